//! The invalid-plan corpus: every case under `tests/data/invalid/<case>/` is the valid plan
//! `tests/data/valid/mini/` with some files replaced (the case directory holds only the files that
//! differ), plus an `EXPECT` file written by hand:
//!
//! ```text
//! # comments start with `#`
//! base mini-nanp              # optional: derive from tests/data/valid/<name>/ instead of mini
//! E0301 ranges.yaml:3:15      # a diagnostic the case must produce: code, path:line:column
//! warning                     # optional: the case has warnings only (the plan is still built)
//! ```
//!
//! For each case, in order, the plan is loaded through [`numplan::load::load_with`] (the case's
//! file when it has one, the base's otherwise) and validated; the test checks that nothing panics,
//! that the plan is rejected (or, for a `warning` case, accepted with a warning), that the
//! diagnostics are exactly those of `EXPECT` (code and location), and snapshots the plain human
//! rendering (`tests/it/snapshots/it__invalid__<case>.snap`). Every failing case is reported, not
//! only the first.
//!
//! Writing a case: copy only the files you change from the base; register CSV files are latin-1
//! like Arcep's, so write them as bytes (`open(p, 'wb').write(text.encode('latin-1'))` in
//! Python), never through an editor that re-encodes them. Write `EXPECT` from your reading of the
//! case, then create the snapshot with `INSTA_UPDATE=always cargo test --test it invalid` and read
//! it.

use crate::util;
use numplan::diag::{Code, render_human};
use numplan::load;
use numplan::validate::{Checked, validate};
use std::collections::BTreeSet;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};

/// The fewest cases the corpus may have.
const MIN_CASES: usize = 36;

/// The plan a case is derived from: `mini`, or the one its `EXPECT` names.
fn base_dir(expect: &Expect) -> PathBuf {
    util::repo(&format!(
        "tests/data/valid/{}",
        expect.base.as_deref().unwrap_or("mini")
    ))
}

/// The directory of the cases.
fn corpus_dir() -> PathBuf {
    util::repo("tests/data/invalid")
}

/// The case names (directory names), sorted.
fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("tests/data/invalid exists")
        .map(|e| e.expect("dir entry"))
        .filter(|e| e.file_type().expect("file type").is_dir())
        .map(|e| e.file_name().into_string().expect("UTF-8 case name"))
        .collect();
    names.sort();
    names
}

/// What a case's `EXPECT` file says.
#[derive(Debug)]
struct Expect {
    /// The valid plan the case derives from, when not `mini`.
    base: Option<String>,
    /// The case has warnings only.
    warning: bool,
    /// `(code, path:line:column)` of every diagnostic, the path relative to the plan directory.
    diagnostics: Vec<(String, String)>,
}

/// Reads `EXPECT` (see the module docs).
fn parse_expect(text: &str) -> Result<Expect, String> {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut expect = Expect {
        base: None,
        warning: false,
        diagnostics: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line == "warning" {
            expect.warning = true;
            continue;
        }
        if let Some(name) = line.strip_prefix("base ") {
            let name = name.trim();
            if !matches!(name, "mini" | "mini-nanp") {
                return Err(format!("EXPECT line {}: unknown base `{name}`", n + 1));
            }
            expect.base = Some(name.to_string());
            continue;
        }
        let bad = |why: &str| format!("EXPECT line {}: {why}: `{line}`", n + 1);
        let mut words = line.split_whitespace();
        let (Some(code), Some(location), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad("expected `CODE path:line:column`"));
        };
        if !known.contains(code) {
            return Err(bad("unknown diagnostic code"));
        }
        let mut parts = location.rsplitn(3, ':');
        let (Some(col), Some(row), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected a location `path:line:column`"));
        };
        if path.is_empty() || row.parse::<u32>().is_err() || col.parse::<u32>().is_err() {
            return Err(bad("expected a location `path:line:column`"));
        }
        expect.diagnostics.push((code.to_string(), location.to_string()));
    }
    if expect.diagnostics.is_empty() {
        return Err("EXPECT lists no diagnostic".to_string());
    }
    Ok(expect)
}

/// Whether `name` is a plain relative path (the loader refuses the others before reading).
fn is_plain_relative(name: &str) -> bool {
    let path = Path::new(name);
    !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Loads and validates the case in `case_dir`, each file read from the case when it has it and
/// from the base otherwise, within the loader's size limit.
fn check_case(case: &str, case_dir: &Path, expect: &Expect) -> Checked {
    let base = base_dir(expect);
    let mut read = |name: &str, limit: u64| -> io::Result<Vec<u8>> {
        if !is_plain_relative(name) || name == "EXPECT" {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not a plan file name"));
        }
        let own = case_dir.join(name);
        let path = if own.is_file() { own } else { base.join(name) };
        // Refuses (with `FileTooLarge`) a file longer than `limit`, without reading it.
        load::read_limited(&path, limit)
    };
    validate(load::load_with(&format!("invalid/{case}"), &mut read))
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Checks one case; returns its problems (empty when it passes).
fn run_case(case: &str) -> Vec<String> {
    let case_dir = corpus_dir().join(case);
    let mut problems = Vec::new();

    let expect = match std::fs::read_to_string(case_dir.join("EXPECT"))
        .map_err(|e| format!("cannot read EXPECT: {e}"))
        .and_then(|t| parse_expect(&t))
    {
        Ok(e) => e,
        Err(e) => return vec![e],
    };

    // The case holds only files that differ from the base.
    for entry in std::fs::read_dir(&case_dir).expect("read case dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "EXPECT" {
            continue;
        }
        if !entry.file_type().expect("file type").is_file() {
            problems.push(format!("`{name}` is not a file"));
            continue;
        }
        if let Ok(base) = std::fs::read(base_dir(&expect).join(&name))
            && std::fs::read(entry.path()).expect("read case file") == base
        {
            problems.push(format!("`{name}` is the same as the base's: remove it"));
        }
    }

    // (1) No panic, in checking or in rendering.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let checked = check_case(case, &case_dir, &expect);
        let rendered = render_human(&checked.diagnostics, &checked.sources, false);
        (checked, rendered)
    }));
    let (checked, rendered) = match outcome {
        Ok(c) => c,
        Err(payload) => {
            problems.push(format!(
                "panicked while checking or rendering: {}",
                panic_message(payload.as_ref())
            ));
            return problems;
        }
    };

    // (2) Rejected, or accepted with a warning for a warning case.
    let errors = checked.error_count();
    let warnings = checked.diagnostics.len() - errors;
    if expect.warning {
        if errors > 0 || warnings == 0 || checked.plan.is_none() {
            problems.push(format!(
                "expected warnings only and a plan, found {errors} errors, {warnings} warnings, plan built: {}",
                checked.plan.is_some()
            ));
        }
    } else if checked.plan.is_some() || errors == 0 {
        problems.push(format!(
            "expected the plan to be rejected, found {errors} errors and a plan built: {}",
            checked.plan.is_some()
        ));
    }

    // (3) Exactly the expected diagnostics, by code and location.
    let root = format!("invalid/{case}/");
    let mut found: Vec<(String, String)> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let location = d.location(&checked.sources).map_or_else(
                || "(no location)".to_string(),
                |l| l.strip_prefix(&root).map_or(l.clone(), str::to_string),
            );
            (d.code.as_str().to_string(), location)
        })
        .collect();
    for want in &expect.diagnostics {
        match found.iter().position(|f| f == want) {
            Some(i) => {
                found.remove(i);
            }
            None => problems.push(format!("missing: {} {}", want.0, want.1)),
        }
    }
    for (code, location) in found {
        problems.push(format!("unexpected: {code} {location}"));
    }

    // (4) The human rendering, as reviewed.
    let mut settings = insta::Settings::clone_current();
    settings.set_description(format!("tests/data/invalid/{case}"));
    settings.set_omit_expression(true);
    let snapshot = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(case, rendered));
    }));
    if let Err(payload) = snapshot {
        problems.push(format!(
            "snapshot does not match (review with `cargo insta review`, or rerun with INSTA_UPDATE=always): {}",
            panic_message(payload.as_ref()).lines().next().unwrap_or("")
        ));
    }
    problems
}

#[test]
fn invalid_plans_are_rejected_with_the_expected_diagnostics() {
    let cases = case_names();
    assert!(
        cases.len() >= MIN_CASES,
        "the corpus has {} cases, fewer than {MIN_CASES}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        for problem in run_case(case) {
            failures.push(format!("{case}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "problems in the invalid corpus ({}):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn the_corpus_covers_every_diagnostic_code() {
    let mut covered = BTreeSet::new();
    for case in case_names() {
        let text = std::fs::read_to_string(corpus_dir().join(&case).join("EXPECT"))
            .unwrap_or_else(|e| panic!("{case}: cannot read EXPECT: {e}"));
        let expect = parse_expect(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        covered.extend(expect.diagnostics.into_iter().map(|(code, _)| code));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "no case of tests/data/invalid expects {}",
        missing.join(", ")
    );
}

#[test]
fn expect_files_are_read_strictly() {
    assert!(parse_expect("E0301 ranges.yaml:3:15\n").is_ok());
    let e = parse_expect("# only a comment\nwarning\n").unwrap_err();
    assert!(e.contains("no diagnostic"), "{e}");
    for bad in [
        "E9999 ranges.yaml:3:15",
        "E0301 ranges.yaml:3",
        "E0301 ranges.yaml:x:15",
        "E0301",
        "E0301 ranges.yaml:3:15 extra",
    ] {
        assert!(parse_expect(bad).is_err(), "{bad}");
    }
}
