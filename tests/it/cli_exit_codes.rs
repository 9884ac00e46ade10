//! The one exit-code table (README, `src/cli/mod.rs`): the same error gives the same code in
//! every subcommand that meets it. One row per (subcommand, case), with the code written by hand.

use crate::util::{code, numplan, repo, scratch};
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A signed mini artifact (sequence 5, expiring 2030-01-01), an expired one, the other files a
/// case needs, and a second key pair.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let dir = scratch(name);
        for base in ["k", "other"] {
            let out = numplan(&["keygen", "-o", s(&dir.join(base))]);
            assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        }
        let compile = |file: &str, expires: &str| {
            let out = numplan(&[
                "compile",
                "tests/data/valid/mini",
                "-o",
                s(&dir.join(file)),
                "--sign",
                s(&dir.join("k.key")),
                "--sequence",
                "5",
                "--expires",
                expires,
                "--allow-expired",
            ]);
            assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        };
        compile("a.npa", "2030-01-01");
        compile("expired.npa", "2020-01-01");
        std::fs::write(dir.join("foreign.npa"), b"GIF89a definitely not an artifact").unwrap();
        std::fs::copy(dir.join("a.npa.minisig"), dir.join("foreign.npa.minisig")).unwrap();
        Setup { dir }
    }

    fn p(&self, name: &str) -> String {
        if name.starts_with('/') || name.contains("tests/data") || name.starts_with("plan-sources") {
            name.to_string()
        } else {
            s(&self.dir.join(name)).to_string()
        }
    }
}

/// Runs each case (`args` with `@name` for a file of the setup) and checks its exit code.
fn run_table(setup: &Setup, cases: &[(&[&str], i32, &str)]) {
    let mut wrong = Vec::new();
    for (args, want, why) in cases {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.strip_prefix('@').map_or(a.to_string(), |n| setup.p(n)))
            .collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = numplan(&refs);
        let got = code(&out);
        if got != *want {
            wrong.push(format!(
                "{refs:?} ({why}): exit {got}, want {want}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if got >= 2 {
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.contains("error") || err.contains("panicked") {
                wrong.push(format!("{refs:?}: no clean error line: {err}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_subcommand_follows_the_one_table() {
    let setup = Setup::new("cli-exit-codes");
    let day = "2029-06-01";
    #[rustfmt::skip]
    let cases: &[(&[&str], i32, &str)] = &[
        // 0: success.
        (&["verify", "--pub", "@k.pub", "--at", day, "@a.npa"], 0, "verified"),
        (&["query", "--plan", "@a.npa", "--pub", "@k.pub", "0162123456"], 0, "valid"),
        (&["diff", "@a.npa", "@a.npa"], 0, "identical"),
        (&["export", "--plan", "@a.npa", "--pub", "@k.pub", "--format", "tsv"], 0, "listed"),
        (&["sign", "--key", "@k.key", "@a.npa"], 0, "signed"),
        (&["check", "tests/data/valid/mini"], 0, "valid plan"),
        // 1: the answer is no.
        (&["query", "--plan", "@a.npa", "0999"], 1, "not a number of the plan"),
        (&["diff", "@a.npa", "plan-sources/fr"], 1, "different"),
        // 2: usage or I/O.
        (&["verify", "--pub", "@k.pub", "@missing.npa"], 2, "missing artifact"),
        (&["verify", "--pub", "@missing.pub", "@a.npa"], 2, "missing key"),
        (&["query", "--plan", "@missing.npa", "0162123456"], 2, "missing artifact"),
        (&["diff", "@missing.npa", "@a.npa"], 2, "missing artifact"),
        (&["export", "--plan", "@missing.npa", "--format", "tsv"], 2, "missing artifact"),
        (&["export", "--plan", "@a.npa", "--where", "nope=1", "--format", "tsv"], 2, "unknown field"),
        (&["sign", "--key", "@k.key", "@missing.npa"], 2, "missing artifact"),
        (&["sign", "--key", "@missing.key", "@a.npa"], 2, "missing key"),
        (&["compile", "@no-plan", "-o", "@x.npa"], 2, "missing plan"),
        (&["check", "@no-plan"], 2, "missing plan"),
        (&["check"], 2, "the plan directory is required"),
        (&["compile", "-o", "@x.npa"], 2, "the plan directory is required"),
        // 3: not an intact artifact.
        (&["verify", "--pub", "@k.pub", "@foreign.npa"], 3, "foreign"),
        (&["query", "--plan", "@foreign.npa", "0162123456"], 3, "foreign"),
        (&["query", "--plan", "@foreign.npa", "--pub", "@k.pub", "0162123456"], 3, "foreign"),
        (&["diff", "@foreign.npa", "@a.npa"], 3, "foreign"),
        (&["export", "--plan", "@foreign.npa", "--format", "json"], 3, "foreign"),
        (&["diff", "@a.npa", "@foreign.npa"], 3, "foreign"),
        (&["sign", "--key", "@k.key", "@foreign.npa"], 3, "foreign"),
        // 4: bad signature.
        (&["verify", "--pub", "@other.pub", "--at", day, "@a.npa"], 4, "another key"),
        (&["query", "--plan", "@a.npa", "--pub", "@other.pub", "0162123456"], 4, "another key"),
        // 5: expired.
        (&["verify", "--pub", "@k.pub", "--at", "2030-01-01", "@a.npa"], 5, "expired on that day"),
        (&["verify", "--pub", "@k.pub", "@expired.npa"], 5, "expired today"),
        (&["query", "--plan", "@expired.npa", "0162123456"], 5, "expired today"),
        // 6: rollback.
        (&["verify", "--pub", "@k.pub", "--at", day, "--last-seen-sequence", "6", "@a.npa"], 6, "rollback"),
        (&["query", "--plan", "@a.npa", "--last-seen-sequence", "6", "0162123456"], 6, "rollback"),
        (&["diff", "--last-seen-sequence", "6", "@a.npa", "@a.npa"], 6, "rollback of the new side"),
        // 7: another plan than expected.
        (&["verify", "--pub", "@k.pub", "--at", day, "--expect-plan", "fr", "@a.npa"], 7, "plan mini"),
        (&["query", "--plan", "@a.npa", "--expect-plan", "fr", "0162123456"], 7, "plan mini"),
        (&["diff", "--expect-plan", "fr", "@a.npa", "@a.npa"], 7, "plan mini"),
        (&["export", "--plan", "@a.npa", "--expect-plan", "fr", "--format", "tsv"], 7, "plan mini"),
        (&["diff", "--expect-plan", "mini", "@a.npa", "plan-sources/fr"], 7, "plan fr"),
    ];
    run_table(&setup, cases);
}

#[test]
fn pinning_passes_when_it_matches() {
    let setup = Setup::new("cli-pinning-ok");
    #[rustfmt::skip]
    let cases: &[(&[&str], i32, &str)] = &[
        (&["verify", "--pub", "@k.pub", "--at", "2029-06-01", "--expect-plan", "mini", "--last-seen-sequence", "5", "@a.npa"], 0, "same plan, same sequence"),
        (&["query", "--plan", "@a.npa", "--expect-plan", "mini", "--last-seen-sequence", "5", "0162123456"], 0, "same plan, same sequence"),
        (&["diff", "--expect-plan", "mini", "--last-seen-sequence", "4", "@a.npa", "@a.npa"], 0, "newer"),
        (&["query", "--expect-plan", "fr", "0162123456"], 0, "the built-in plan is fr"),
    ];
    run_table(&setup, cases);
    let out = numplan(&[
        "query",
        "--plan",
        &setup.p("a.npa"),
        "--expect-plan",
        "fr",
        "0162123456",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plan `mini`, not of the expected plan `fr`"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "refused before any answer");
}

#[test]
fn readme_states_the_same_table() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = &readme[readme.find("### Exit status").expect("an exit-status section")..];
    let rows: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim())
        .collect();
    assert_eq!(rows, ["0", "1", "2", "3", "4", "5", "6", "7"]);
}

/// A plan with errors is exit 1 wherever a plan is checked: `check`, `compile`, and `diff` given
/// a plan directory on either side (it exited 2 in `diff`).
#[test]
fn a_plan_with_errors_exits_1_in_every_subcommand() {
    let setup = Setup::new("cli-plan-errors");
    let broken = setup.dir.join("broken");
    crate::util::copy_dir(&repo("tests/data/valid/mini"), &broken);
    let ranges = broken.join("ranges.yaml");
    let text = std::fs::read_to_string(&ranges).unwrap();
    let first = text.find("category: ").expect("a category in mini's ranges");
    let edited = format!("{}category: no-such-category{}", &text[..first], {
        let rest = &text[first..];
        &rest[rest.find('\n').unwrap()..]
    });
    std::fs::write(&ranges, edited).unwrap();
    #[rustfmt::skip]
    let cases: &[(&[&str], i32, &str)] = &[
        (&["check", "@broken"], 1, "plan with errors"),
        (&["compile", "@broken", "-o", "@x.npa"], 1, "plan with errors"),
        (&["diff", "@a.npa", "@broken"], 1, "new side has errors"),
        (&["diff", "@broken", "@a.npa"], 1, "old side has errors"),
        (&["diff", "-q", "@broken", "@broken"], 1, "both sides have errors"),
    ];
    run_table(&setup, cases);
    let out = numplan(&["diff", &setup.p("a.npa"), &setup.p("broken")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("E0301") && err.contains("the plan has errors"),
        "{err}"
    );
}
