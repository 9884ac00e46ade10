//! Resource limits: hostile sources are refused quickly with an error, never an out-of-memory.

use crate::util::{code, copy_dir, numplan, repo, scratch};
use std::io::Write;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn billion_laughs_is_refused() {
    let dir = scratch("billion-laughs");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    // Nine levels of nine aliases: 9^9 (387 million) strings if expanded.
    let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=9 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    yaml.push_str("ranges: *a9\n");
    std::fs::write(dir.join("ranges.yaml"), yaml).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error[E0002]") || err.contains("error[E0102]"),
        "{err}"
    );
}

#[test]
fn alias_bomb_in_an_accepted_position_hits_the_budget() {
    let dir = scratch("alias-bomb");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let mut yaml = String::from(
        "ranges:\n  - numbers: &n0 \"01\"\n    category: polyvalent\n    territory: metropole\n    note: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    // The note is free text: an alias bomb there must still be refused by the budget.
    let mut prev = "a0".to_string();
    for i in 1..=8 {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        yaml.push_str(&format!("  - numbers: \"0{i}\"\n    category: polyvalent\n    territory: metropole\n    note: &a{i} [{refs}]\n"));
        prev = format!("a{i}");
    }
    std::fs::write(dir.join("ranges.yaml"), yaml).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!stderr(&out).is_empty());
}

#[test]
fn a_100_mb_source_is_refused_without_reading_it() {
    let dir = scratch("huge-source");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    // A sparse 100 MB file: refused from its size, before any byte is read.
    let f = std::fs::File::create(dir.join("ranges.yaml")).unwrap();
    f.set_len(100 << 20).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error[E0002]") && err.contains("larger than the limit"),
        "{err}"
    );

    // Same for a register file.
    let mut f = std::fs::File::create(dir.join("MAJNUM.csv")).unwrap();
    f.write_all(b"EZABPQM;").unwrap();
    f.set_len(100 << 20).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert!(
        stderr(&out).matches("error[E0002]").count() >= 2,
        "{}",
        stderr(&out)
    );
}

#[test]
fn deep_nesting_is_refused() {
    let dir = scratch("deep-nesting");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let yaml = format!("ranges: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    std::fs::write(dir.join("ranges.yaml"), yaml).unwrap();
    let out = numplan(&["check", "--color", "never", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}
