//! The compiled artifact: lookups on the French plan, determinism, tamper detection.

use crate::util::{repo, scratch};
use numplan::artifact::{Artifact, ArtifactError, CompileOptions, Context, VerifyOptions, compile};
use numplan::date::Date;
use numplan::plan::Verdict;
use numplan::validate;
use std::path::Path;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn compile_dir(dir: &Path) -> Vec<u8> {
    let checked = validate::check_dir(dir);
    let plan = checked.plan.unwrap_or_else(|| {
        panic!(
            "{}",
            numplan::diag::render_human(&checked.diagnostics, &checked.sources, false)
        )
    });
    compile(&plan, &CompileOptions::default()).unwrap()
}

#[test]
fn french_lookups() {
    let bytes = compile_dir(&repo("plan-sources/fr"));
    let a = Artifact::open(&bytes).unwrap();
    a.verify(&VerifyOptions::default()).unwrap();
    assert_eq!(a.plan_id(), "fr");

    let cat = |n: &str, at: &str| a.lookup_national(n, d(at)).map(|x| x.category().id.to_string());
    // 0162 was an ordinary 01 number until the NPV rule of 2023-01-01.
    assert_eq!(cat("0162123456", "2022-12-31").as_deref(), Some("polyvalent"));
    assert_eq!(
        cat("0162123456", "2023-01-01").as_deref(),
        Some("polyvalent-verifie")
    );
    assert_eq!(
        cat("0800123456", "2026-11-28").as_deref(),
        Some("special-gratuit")
    );
    assert_eq!(cat("0612345678", "2026-11-28").as_deref(), Some("mobile"));
    assert_eq!(cat("15", "2026-11-28").as_deref(), Some("urgence"));

    // The category's statement, whether or not a block holds the number: mobiles are barred
    // for automated systems from 2023-01-01; overseas NPV are open to them.
    let automated = a.use_row("automated-voice").unwrap();
    let none = Context::default();
    let ans = a.lookup_national("0612345678", d("2023-01-01")).unwrap();
    assert_eq!(ans.verdict_if(automated, &none, true), Verdict::Forbidden);
    let ans = a.lookup_national("0947512345", d("2026-11-28")).unwrap();
    assert_eq!(ans.territory().id, "guadeloupe");
    assert_eq!(ans.territory().country_code, Some(590));
    assert_eq!(ans.verdict_if(automated, &none, true), Verdict::Allowed);
    // Not allocated is forbidden, whatever the category says.
    assert_eq!(ans.verdict_if(automated, &none, false), Verdict::Forbidden);
}

#[test]
fn compiling_is_deterministic_across_runs_and_file_order() {
    let first = compile_dir(&repo("plan-sources/fr"));
    let second = compile_dir(&repo("plan-sources/fr"));
    assert!(first == second, "two compilations differ");

    // A copy elsewhere, its files written in reverse order of name.
    let dir = scratch("reordered-plan");
    let mut names: Vec<_> = std::fs::read_dir(repo("plan-sources/fr"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    names.reverse();
    for n in &names {
        std::fs::copy(repo("plan-sources/fr").join(n), dir.join(n)).unwrap();
    }
    let third = compile_dir(&dir);
    assert!(first == third, "a copy of the plan compiles to other bytes");
}

fn mini() -> Vec<u8> {
    compile_dir(&repo("tests/data/valid/mini"))
}

#[test]
fn flipping_any_byte_is_detected() {
    let bytes = mini();
    assert!(
        bytes.len() < 16 * 1024,
        "the small artifact is small: {}",
        bytes.len()
    );
    let digest_at = bytes.len() - 32;
    let (mut by_open, mut by_digest) = (0, 0);
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        // Which check refuses it depends on where the byte is: the header's fields by name,
        // the structure by `open`, anything else (and the digest itself) by the digest.
        match (i, Artifact::open(&b)) {
            (0..8, Err(ArtifactError::Foreign)) => {}
            (8..12, Err(ArtifactError::UnsupportedVersion { .. })) => {}
            // The section count and the payload length: the file is shorter than they say.
            (28..32 | 88..96, Err(ArtifactError::Truncated { .. } | ArtifactError::Malformed { .. })) => {}
            (12..88 | 96.., Err(ArtifactError::Malformed { .. })) if i < digest_at => by_open += 1,
            (12..88 | 96.., Ok(a)) => match a.verify(&VerifyOptions::default()) {
                Err(ArtifactError::Corrupt { .. }) => by_digest += 1,
                other => panic!("flipping byte {i}: {other:?}"),
            },
            (_, other) => panic!("flipping byte {i}: {:?}", other.map(|_| ())),
        }
    }
    // Both checks are reached: the section table and table shapes by `open`, the rest by the
    // digest.
    assert!(
        by_open > 0 && by_digest > 1000,
        "{by_open} by open, {by_digest} by the digest"
    );
}

#[test]
fn truncated_and_foreign_files_are_refused_distinctly() {
    let bytes = mini();
    for n in 0..bytes.len() {
        match Artifact::open(&bytes[..n]) {
            Err(ArtifactError::Truncated { .. }) => {}
            Err(ArtifactError::Foreign) if n == 0 => {}
            other => panic!("{n} bytes: {other:?}"),
        }
    }
    assert_eq!(
        Artifact::open(b"%PDF-1.7 not an artifact").unwrap_err(),
        ArtifactError::Foreign
    );
    // The formats of earlier releases (version 1, without verdicts; version 2, without register
    // statuses; version 3, with tables of whole words) are refused by name, as is a future one.
    for version in [1u8, 2, 3, 5] {
        let mut other = bytes.clone();
        other[8] = version;
        assert_eq!(
            Artifact::open(&other).unwrap_err(),
            ArtifactError::UnsupportedVersion {
                found: u32::from(version)
            }
        );
    }
}

#[test]
fn expiry_and_rollback() {
    let checked = validate::check_dir(&repo("tests/data/valid/mini"));
    let plan = checked.plan.unwrap();
    let options = CompileOptions {
        sequence: Some(7),
        expires: Some(d("2027-01-01")),
    };
    let bytes = compile(&plan, &options).unwrap();
    let a = Artifact::open(&bytes).unwrap();
    assert_eq!(a.sequence(), 7);
    let at = |today: &str, seen: Option<u64>| {
        a.verify(&VerifyOptions {
            signature: None,
            today: Some(d(today)),
            last_seen_sequence: seen,
        })
    };
    assert!(at("2026-12-31", Some(7)).is_ok());
    assert_eq!(
        at("2027-01-01", None).unwrap_err(),
        ArtifactError::Expired {
            expires: d("2027-01-01"),
            today: d("2027-01-01")
        }
    );
    assert_eq!(
        at("2026-01-01", Some(8)).unwrap_err(),
        ArtifactError::Rollback {
            sequence: 7,
            last_seen: 8
        }
    );
}

/// A digest is no signature: a file whose index was altered and whose digest was recomputed must
/// be refused by `verify`, not panic in a later lookup (found by the artifact fuzz target).
#[test]
fn a_forged_digest_over_a_corrupt_index_is_refused() {
    use sha2::{Digest, Sha256};
    let forged = |offset_in_fst: usize, byte: u8| {
        let mut f = numplan::embedded::FR.to_vec();
        let count = u32::from_le_bytes(f[28..32].try_into().unwrap()) as usize;
        let fst = (0..count)
            .map(|i| 96 + 24 * i)
            .find(|&e| u32::from_le_bytes(f[e..e + 4].try_into().unwrap()) == 2)
            .map(|e| u64::from_le_bytes(f[e + 8..e + 16].try_into().unwrap()) as usize)
            .unwrap();
        f[fst + offset_in_fst] ^= byte;
        let n = f.len() - 32;
        let d = Sha256::digest(&f[..n]);
        f[n..].copy_from_slice(&d);
        f
    };
    let mut refused = 0;
    for (offset, byte) in [
        (144, 0xff),
        (9400, 0x4e),
        (1000, 0x01),
        (50_000, 0x80),
        (77_000, 0x10),
    ] {
        let f = forged(offset, byte);
        // `open` checks the index.
        match Artifact::open(&f) {
            Err(ArtifactError::Malformed { .. }) => refused += 1,
            Err(e) => panic!("{offset}: unexpected {e}"),
            // If the change left a valid index, lookups and the full walk must still work.
            Ok(a) => {
                a.verify(&VerifyOptions::default())
                    .expect("the digest was recomputed");
                let _ = a.lookup("0612345678", d("2026-04-17"));
                assert!(a.entries().count() > 0);
            }
        }
    }
    assert!(refused >= 3, "{refused} of 5 forged files refused");
}

#[test]
fn a_large_file_that_is_not_an_artifact_is_refused_by_its_first_bytes() {
    // A sparse 200 MB file without the magic: refused (exit 3) after reading its first 8 bytes,
    // within a 100 MB address-space limit that reading it whole would exceed (abort, 134).
    let dir = crate::util::scratch("large-foreign");
    let path = dir.join("big.npa");
    let f = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut &f, b"GIF89a, not an artifact").unwrap();
    f.set_len(200 << 20).unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 100000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "--plan", path.to_str().unwrap(), "0162123456"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("not a numplan artifact"), "{err}");
}

/// A real file of the previous format (version 3, made by the release before it:
/// `tests/data/format-v3/README.md`) is refused by every command that reads artifacts, with the
/// corrupt-file exit status and a message that says what to do.
#[test]
fn a_version_3_file_is_refused_with_what_to_do() {
    let old = repo("tests/data/format-v3/mini.npa");
    let bytes = std::fs::read(&old).unwrap();
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 3);
    assert_eq!(
        Artifact::open(&bytes).unwrap_err(),
        ArtifactError::UnsupportedVersion { found: 3 }
    );
    let path = old.to_str().unwrap();
    for args in [
        vec!["query", "--plan", path, "0162123456"],
        vec!["diff", path, path],
        vec!["export", "--plan", path, "--format", "tsv"],
    ] {
        let out = crate::util::numplan(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(crate::util::code(&out), 3, "{args:?}: {err}");
        assert!(
            err.contains("artifact format version 3 is older than version 4")
                && err.contains("compile the plan again with this numplan"),
            "{args:?}: {err}"
        );
    }
}
