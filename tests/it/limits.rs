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

/// The mini plan with `names` register names for its first territory.
fn with_register_names(name: &str, names: usize) -> std::path::PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let yaml = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    let list: Vec<String> = std::iter::once("Métropole".to_string())
        .chain(std::iter::once("National".to_string()))
        .chain((2..names).map(|i| format!("n{i}")))
        .collect();
    let yaml = yaml.replace(
        "register_names: [Métropole, National]",
        &format!("register_names: [{}]", list.join(", ")),
    );
    std::fs::write(dir.join("plan.yaml"), yaml).unwrap();
    dir
}

#[test]
fn the_compiler_refuses_a_plan_over_a_limit_of_the_format() {
    use numplan::artifact::{CompileError, compile};
    let compile_dir = |dir: &std::path::Path| {
        let plan = numplan::validate::check_dir(dir).plan.expect("a valid plan");
        compile(&plan, &Default::default())
    };
    // 4,096 names fit; one more does not, and the error names the limit.
    assert!(compile_dir(&with_register_names("names-4096", 4096)).is_ok());
    let dir = with_register_names("names-4097", 4097);
    assert_eq!(
        compile_dir(&dir).unwrap_err(),
        CompileError::OverLimit {
            what: "register names of a territory",
            found: 4097,
            limit: 4096
        }
    );
    let out = numplan(&[
        "compile",
        dir.to_str().unwrap(),
        "-o",
        dir.join("out.npa").to_str().unwrap(),
    ]);
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("4097 register names of a territory, the format holds at most 4096"),
        "{err}"
    );
    assert!(!dir.join("out.npa").exists());
}

/// The mini plan's artifact with one word of a table row rewritten (and the digest recomputed).
fn with_word(kind: u32, row: usize, col: usize, value: u32) -> Vec<u8> {
    use crate::artifact_index::{lay_out, mini, sections, table_words, word_table};
    let file = mini();
    let mut s = sections(&file);
    let table = &mut s.iter_mut().find(|(k, _)| *k == kind).unwrap().1;
    let (stride, mut words) = table_words(table);
    words[row * stride + col] = value;
    *table = word_table(stride, &words);
    lay_out(&file, &s)
}

#[test]
fn the_reader_refuses_a_file_over_a_limit_of_the_format() {
    use numplan::artifact::{Artifact, ArtifactError};
    // Kinds and columns of docs/artifact-format.md: Timelines (12) first/count, Holdings (24)
    // first/count, Categories (9) statement count (column 9), Conditions (18) terms (column 8).
    let cases: [(u32, usize, u32, &str); 5] = [
        (
            12,
            1,
            257,
            "claims 257 timeline segments of a key, more than the format's 256",
        ),
        (12, 1, 200, "points past the end of the Segments table"),
        (24, 1, 1 << 20, "holdings of a key, more than the format's 256"),
        (9, 9, 65_537, "rule statements of a category"),
        (18, 8, 17, "terms of a condition, more than the format's 16"),
    ];
    let dir = scratch("reader-limits");
    for (kind, col, value, expected) in cases {
        let f = with_word(kind, 0, col, value);
        match Artifact::open(&f) {
            Err(ArtifactError::Malformed { what }) => assert!(what.contains(expected), "{what}"),
            other => panic!("{kind}/{col}={value}: {:?}", other.map(|_| ())),
        }
        // The commands that read every key (diff) or answer one (query) refuse it too.
        let path = dir.join(format!("{kind}-{col}.npa"));
        std::fs::write(&path, &f).unwrap();
        let path = path.to_str().unwrap();
        for args in [
            vec!["diff", path, path],
            vec!["query", "--plan", path, "0162123456"],
        ] {
            let out = numplan(&args);
            assert_ne!(code(&out), 0, "{args:?}");
            assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
        }
    }
}

/// The mini plan with `edit` applied to a copy of it.
fn mini_with(name: &str, edit: impl FnOnce(&std::path::Path)) -> std::path::PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    edit(&dir);
    dir
}

/// `compile` then `verify` (digest and index) of a plan directory, through the binary.
fn compiles_and_verifies(dir: &std::path::Path) {
    let out_path = dir.with_extension("npa");
    let out = numplan(&["compile", dir.to_str().unwrap(), "-o", out_path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let bytes = std::fs::read(&out_path).unwrap();
    let a = numplan::artifact::Artifact::open(&bytes).expect("the compiled artifact opens");
    a.verify(&Default::default()).expect("and verifies");
    let out = numplan(&[
        "diff",
        "--quiet",
        out_path.to_str().unwrap(),
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn ten_thousand_consecutive_blocks_of_one_holder_compile_and_verify() {
    // fst stores consecutive keys with consecutive values in a few bytes: 10,000 keys in far
    // fewer bytes than keys (a keys-per-byte rule refused this valid register).
    let dir = mini_with("consecutive-blocks", |dir| {
        let path = dir.join("MAJNUM.csv");
        let mut register = std::fs::read(&path).unwrap();
        for i in 0..10_000 {
            register.extend(
                format!("0153{i:04};0153{i:04}00;0153{i:04}99;FRTE;M\u{e9}tropole;01/01/2024\n")
                    .chars()
                    .map(|c| c as u8),
            );
        }
        std::fs::write(&path, register).unwrap();
    });
    compiles_and_verifies(&dir);
}

#[test]
fn nine_thousand_consecutive_ranges_compile_and_verify() {
    let dir = mini_with("consecutive-ranges", |dir| {
        let path = dir.join("ranges.yaml");
        let mut ranges = std::fs::read_to_string(&path).unwrap();
        for i in 0..9_000 {
            ranges.push_str(&format!(
                "  - numbers: \"05{i:04}\"\n    category: polyvalent\n    territory: metropole\n"
            ));
        }
        std::fs::write(&path, ranges).unwrap();
    });
    compiles_and_verifies(&dir);
}

/// Crafted files found in review of format 4: a hold segment naming a snapshot past the format's
/// 64 (answers walk the snapshots down from it: billions of steps a lookup), and a table of
/// constant columns claiming millions of rows in a few bytes (which `open` would walk before any
/// signature check). Both are refused by `open`, by name.
#[test]
fn crafted_packed_tables_are_refused_by_open() {
    use crate::artifact_index::{lay_out, mini, sections, table_words, word_table};
    use numplan::artifact::{Artifact, ArtifactError};
    let file = std::fs::read(crate::util::repo("generated/ca.npa")).unwrap();
    let mut s = sections(&file);
    let t = &mut s.iter_mut().find(|(k, _)| *k == 25).unwrap().1;
    let (columns, mut words) = table_words(t);
    assert!(words.len() > columns, "the Canadian artifact has hold segments");
    words[3] = 0xFFFF_FFF0;
    *t = word_table(columns, &words);
    match Artifact::open(&lay_out(&file, &s)) {
        Err(ArtifactError::Malformed { what }) => {
            assert!(what.contains("names snapshot 4294967280"), "{what}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Territories (kind 5, 14 columns) of 4,000,000 rows, every column constant (width 0).
    let file = mini();
    let mut s = sections(&file);
    let t = &mut s.iter_mut().find(|(k, _)| *k == 5).unwrap().1;
    let mut table = Vec::new();
    table.extend(14u32.to_le_bytes());
    table.extend(4_000_000u32.to_le_bytes());
    for _ in 0..14 {
        table.extend([0u8; 12]);
    }
    table.extend([0u8; 8]);
    *t = table;
    match Artifact::open(&lay_out(&file, &s)) {
        Err(ArtifactError::Malformed { what }) => {
            assert!(what.contains("4000000 rows that take no bits"), "{what}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}
