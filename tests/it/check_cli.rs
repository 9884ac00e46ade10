//! `numplan check` through the real binary: the shipped plan, exit codes, output formats.

use crate::util::{code, copy_dir, numplan, repo, scratch};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_french_plan_is_valid() {
    let out = numplan(&["check", "plan-sources/fr"]);
    assert_eq!(
        code(&out),
        0,
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("plan `fr` version 2026-04-17:"), "{stdout}");
    // Every row of both register files is a block: count the rows independently.
    let rows = |f: &str| {
        let bytes = std::fs::read(repo(&format!("plan-sources/fr/{f}"))).unwrap();
        bytes
            .split(|&b| b == b'\n')
            .skip(1)
            .filter(|l| !l.is_empty() && *l != b"\r")
            .count()
    };
    assert_eq!(rows("MAJNUM.csv"), 19_991);
    let blocks = rows("MAJNUM.csv") + rows("MAJNFB.csv");
    assert!(
        stdout.contains(&format!(
            " {blocks} register blocks (register of 2026-04-17, 1 earlier snapshot): ok"
        )),
        "{stdout}"
    );
}

#[test]
fn the_mini_plan_is_valid_in_every_format() {
    for format in ["human", "json", "github"] {
        let out = numplan(&["check", "--format", format, "tests/data/valid/mini"]);
        assert_eq!(code(&out), 0, "{format}: {}", text(&out.stderr));
    }
    let out = numplan(&["check", "--format", "json", "tests/data/valid/mini"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(0));
}

/// A plan with two errors in two files, to check every output format and the exit code; each
/// test gets its own copy (`name`), since tests run in parallel.
fn broken_plan(name: &str) -> std::path::PathBuf {
    let dir = scratch(&format!("check-broken-{name}"));
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let ranges = std::fs::read_to_string(dir.join("ranges.yaml")).unwrap();
    let ranges = ranges.replace("category: urgence", "category: urgense");
    std::fs::write(dir.join("ranges.yaml"), ranges).unwrap();
    let cats = std::fs::read_to_string(dir.join("categories.yaml")).unwrap();
    let cats = cats.replacen("until: 2023-01-01", "until: 2022-13-01", 1);
    std::fs::write(dir.join("categories.yaml"), cats).unwrap();
    dir
}

#[test]
fn errors_exit_1_with_located_diagnostics() {
    let dir = broken_plan("errors_exit_1_with_located_diagnostics");
    let d = dir.to_str().unwrap();
    let out = numplan(&["check", "--color", "never", d]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty(), "no success line: {}", text(&out.stdout));
    let err = text(&out.stderr);
    // ranges.yaml line 17, `urgense` at column 15; categories.yaml line 11, the date at column 16.
    assert!(
        err.contains(&format!(
            "error[E0301]: category `urgense` is not defined\n  --> {d}/ranges.yaml:17:15"
        )),
        "{err}"
    );
    assert!(err.contains("help: did you mean `urgence`?"), "{err}");
    assert!(
        err.contains("error[E0202]: 2022-13-01 is not a date")
            && err.contains(&format!("{d}/categories.yaml:11:16")),
        "{err}"
    );
    assert!(err.contains("^^^^^^^ unknown category"), "{err}");
    assert!(err.trim_end().ends_with("2 errors, 0 warnings"), "{err}");
    assert!(!err.contains('\u{1b}'), "--color never");

    let out = numplan(&["check", "--color", "always", d]);
    assert!(text(&out.stderr).contains('\u{1b}'), "--color always");
}

#[test]
fn json_format_lists_every_diagnostic() {
    let dir = broken_plan("json_format_lists_every_diagnostic");
    let out = numplan(&["check", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    assert_eq!(v["errors"], 2);
    let diags = v["diagnostics"].as_array().unwrap();
    let e0301 = diags.iter().find(|d| d["code"] == "E0301").expect("E0301");
    assert_eq!(e0301["name"], "unknown-category");
    assert_eq!(e0301["line"], 17);
    assert_eq!(e0301["column"], 15);
    assert_eq!(e0301["text"], "urgense");
    assert_eq!(e0301["severity"], "error");
    assert!(e0301["file"].as_str().unwrap().ends_with("/ranges.yaml"));
}

#[test]
fn github_format_is_workflow_commands() {
    let dir = broken_plan("github_format_is_workflow_commands");
    let out = numplan(&["check", "--format", "github", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 2, "{s}");
    assert!(lines.iter().all(|l| l.starts_with("::error file=")), "{s}");
    assert!(
        s.contains("/ranges.yaml,line=17,col=15,endLine=17,endColumn=22,title=E0301 unknown-category::"),
        "{s}"
    );
}

#[test]
fn unreadable_plans_exit_2() {
    let out = numplan(&["check", "no/such/dir"]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("cannot read no/such/dir/plan.yaml"),
        "{}",
        text(&out.stderr)
    );

    let dir = scratch("check-missing-file");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    std::fs::remove_file(dir.join("ranges.yaml")).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("error[E0001]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&numplan(&["check", "--format", "xml"])), 2);
    assert_eq!(code(&numplan(&["frobnicate"])), 2);
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = scratch("check-warning");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let mut ranges = std::fs::read_to_string(dir.join("ranges.yaml")).unwrap();
    ranges.push_str("  - numbers: 0262\n    category: polyvalent\n    territory: reunion\n");
    std::fs::write(dir.join("ranges.yaml"), ranges).unwrap();
    let d = dir.to_str().unwrap();
    let out = numplan(&["check", "--color", "never", d]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning[E0403]"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(code(&numplan(&["check", "--deny-warnings", d])), 1);
}

/// The mini plan in a scratch directory with its MAJNUM.csv replaced by `rows` copies of its first
/// block row, lines ended by `eol`.
fn duplicated_register(name: &str, rows: usize, eol: &[u8]) -> std::path::PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let original = std::fs::read(dir.join("MAJNUM.csv")).unwrap();
    let mut lines = original.split(|&b| b == b'\n');
    let header = lines.next().unwrap().to_vec();
    let row = lines.next().unwrap().to_vec();
    let mut csv = header;
    for _ in 0..rows {
        csv.extend_from_slice(eol);
        csv.extend_from_slice(&row);
    }
    csv.extend_from_slice(eol);
    std::fs::write(dir.join("MAJNUM.csv"), csv).unwrap();
    dir
}

#[test]
fn thousands_of_bad_rows_give_fifty_errors_and_a_count() {
    // 3,000 copies of one row: 2,999 duplicates, counted in full, 50 of them shown.
    let dir = duplicated_register("many-duplicates", 3_000, b"\n");
    let out = numplan(&["check", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("error[E0506]").count(), 50, "{stderr}");
    assert!(
        stderr.contains("note: 2,949 more E0506 (duplicate-block)"),
        "{stderr}"
    );
    assert!(stderr.ends_with("2999 errors, 0 warnings\n"), "{stderr}");
    // The last duplicate shown is the 50th: line 52 (header, first row, then 50 copies).
    assert!(stderr.contains("MAJNUM.csv:52:"), "{stderr}");

    let out = numplan(&["check", "--format", "json", dir.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], 2999);
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(50));
}

#[test]
fn a_register_with_cr_line_ends_is_read_line_by_line() {
    // Old-Mac line ends: each row is a line of its own, so the duplicates are on lines 3 and 4.
    let dir = duplicated_register("cr-line-ends", 3, b"\r");
    let out = numplan(&["check", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("error[E0506]").count(), 2, "{stderr}");
    assert!(stderr.contains("MAJNUM.csv:3:1"), "{stderr}");
    assert!(stderr.contains("MAJNUM.csv:4:1"), "{stderr}");
    assert!(!stderr.contains('\u{240d}'), "no CR symbol in snippets: {stderr}");
}

/// A file named in `files:` with control characters (it exists, with an error in it): its name is
/// refused (E0206), and printed escaped in `check`'s `-->` line, in `--format github` and in
/// `--format json` (which also escapes the right-to-left override serde_json leaves raw).
#[cfg(unix)]
#[test]
fn control_characters_in_file_names_are_refused_and_never_printed_raw() {
    let dir = scratch("check-control-file-name");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let evil = "r\u{202e}\u{1b}]0;PWN\u{7}.yaml";
    let ranges = std::fs::read_to_string(dir.join("ranges.yaml")).unwrap();
    let broken = ranges.replacen("category: polyvalent\n", "category: no-such-category\n", 1);
    assert_ne!(broken, ranges);
    std::fs::write(dir.join(evil), broken).unwrap();
    std::fs::remove_file(dir.join("ranges.yaml")).unwrap();
    let plan = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    let renamed = plan.replace(
        "  ranges: [ranges.yaml]",
        "  ranges: [\"r\\u202E\\e]0;PWN\\a.yaml\"]",
    );
    assert_ne!(renamed, plan);
    std::fs::write(dir.join("plan.yaml"), renamed).unwrap();
    let raw = |t: &str| t.contains(['\u{1b}', '\u{7}', '\u{202e}']);
    let out = numplan(&["check", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(!raw(&err), "{err:?}");
    assert!(err.contains("error[E0206]"), "{err}");
    assert!(err.contains("error[E0301]"), "{err}");
    assert!(err.contains("r\\u{202e}\\u{1b}]0;PWN\\u{7}.yaml:"), "{err}");
    for format in ["github", "json"] {
        let out = numplan(&["check", "--format", format, dir.to_str().unwrap()]);
        assert_eq!(code(&out), 1, "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(!raw(&stdout), "{format}: {stdout:?}");
        assert!(stdout.contains("E0206") && stdout.contains("E0301"), "{stdout}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let files: Vec<&str> = v["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|d| d["file"].as_str())
                .collect();
            assert!(files.iter().any(|f| f.ends_with(evil)), "{files:?}");
        }
    }
}

/// A DEL in a plan (here in an unknown key, which the message names) is escaped in `check`'s JSON
/// (`\u007f`) as in `query`'s: serde_json leaves it raw, and the old code did too.
#[test]
fn json_escapes_del_as_every_control_character() {
    let dir = scratch("check-json-del");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let plan = dir.join("plan.yaml");
    let mut yaml = std::fs::read_to_string(&plan).unwrap();
    yaml.push_str("\"sec\\x7fret\": x\n");
    std::fs::write(&plan, yaml).unwrap();
    let out = numplan(&["check", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\u{7f}'), "{stdout:?}");
    assert!(stdout.contains("sec\\u007fret"), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v.to_string().contains("sec\u{7f}ret"), "{v}");
}
