//! `numplan compile --sign`, `keygen`, `sign` and `verify` through the real binary, against the
//! stock `minisign` (Debian's package; `.ci/run` installs it).

use crate::util::{code, numplan, repo, scratch};
use std::path::Path;
use std::process::Command;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The stock minisign, or `None` outside CI when it is not installed.
fn minisign() -> Option<Command> {
    let found = Command::new("minisign").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "install minisign (apt-get install -y minisign)"
        );
        eprintln!("minisign is not installed: skipping the stock-minisign half of this test");
        return None;
    }
    Some(Command::new("minisign"))
}

#[test]
fn compile_sign_verify_round_trip_with_stock_minisign() {
    let dir = scratch("signing-round-trip");
    let (key, artifact) = (dir.join("k"), dir.join("fr.npa"));
    let out = numplan(&["keygen", "-o", s(&key)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("k.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "secret keys are owner-only");
    }
    // keygen refuses to overwrite a key.
    assert_eq!(code(&numplan(&["keygen", "-o", s(&key)])), 2);

    let out = numplan(&[
        "compile",
        "plan-sources/fr",
        "-o",
        s(&artifact),
        "--sign",
        s(&dir.join("k.key")),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("compiled plan `fr`"), "{}", stdout(&out));
    assert!(dir.join("fr.npa.minisig").exists());

    let out = numplan(&["verify", "--pub", s(&dir.join("k.pub")), s(&artifact)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: plan `fr`"), "{}", stdout(&out));

    if let Some(mut m) = minisign() {
        let out = m
            .args(["-V", "-p", s(&dir.join("k.pub")), "-m", s(&artifact)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "stock minisign refused: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let text = stdout(&out) + &stderr(&out);
        assert!(
            text.contains("Trusted comment: numplan plan=fr version=2026-04-17 sequence=1 sha256="),
            "{text}"
        );
    }
}

#[test]
fn stock_minisign_signatures_verify_with_numplan() {
    let Some(mut m) = minisign() else { return };
    let dir = scratch("signing-stock");
    let artifact = dir.join("fr.npa");
    std::fs::copy(repo("generated/fr.npa"), &artifact).unwrap();
    let (pk, sk) = (dir.join("stock.pub"), dir.join("stock.key"));
    let out = m.args(["-G", "-W", "-p", s(&pk), "-s", s(&sk)]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // The trusted comment must describe this artifact: take it from a numplan signature.
    let own = dir.join("own");
    assert_eq!(code(&numplan(&["keygen", "-o", s(&own)])), 0);
    assert_eq!(
        code(&numplan(&[
            "sign",
            "--key",
            s(&dir.join("own.key")),
            s(&artifact)
        ])),
        0
    );
    let sig = std::fs::read_to_string(dir.join("fr.npa.minisig")).unwrap();
    let comment = sig
        .lines()
        .find_map(|l| l.strip_prefix("trusted comment: "))
        .unwrap()
        .to_string();

    let out = Command::new("minisign")
        .args(["-S", "-s", s(&sk), "-m", s(&artifact), "-t", &comment])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = numplan(&["verify", "--pub", s(&pk), s(&artifact)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // numplan signs with a key made by stock minisign, and stock minisign checks it.
    assert_eq!(code(&numplan(&["sign", "--key", s(&sk), s(&artifact)])), 0);
    let out = Command::new("minisign")
        .args(["-V", "-p", s(&pk), "-m", s(&artifact)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // A signature whose trusted comment names another file is refused (exit 4).
    let out = Command::new("minisign")
        .args([
            "-S",
            "-s",
            s(&sk),
            "-m",
            s(&artifact),
            "-t",
            "numplan plan=fr version=old sequence=0 sha256=00",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = numplan(&["verify", "--pub", s(&pk), s(&artifact)]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("signs another artifact"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_wrong_key_fails_both_ways() {
    let dir = scratch("signing-wrong-key");
    let artifact = dir.join("fr.npa");
    std::fs::copy(repo("generated/fr.npa"), &artifact).unwrap();
    for k in ["a", "b"] {
        assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join(k))])), 0);
    }
    assert_eq!(
        code(&numplan(&["sign", "--key", s(&dir.join("a.key")), s(&artifact)])),
        0
    );
    let out = numplan(&["verify", "--pub", s(&dir.join("b.pub")), s(&artifact)]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    if let Some(mut m) = minisign() {
        let out = m
            .args(["-V", "-p", s(&dir.join("b.pub")), "-m", s(&artifact)])
            .output()
            .unwrap();
        assert!(!out.status.success(), "stock minisign accepted a wrong key");
    }
}

#[test]
fn verify_exit_codes_are_distinct() {
    let dir = scratch("signing-exit-codes");
    assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
    let (key, public) = (dir.join("k.key"), dir.join("k.pub"));
    let a = dir.join("a.npa");
    let out = numplan(&[
        "compile",
        "tests/data/valid/mini",
        "-o",
        s(&a),
        "--sign",
        s(&key),
        "--sequence",
        "5",
        "--expires",
        "2030-01-01",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let verify = |extra: &[&str], file: &Path| {
        let mut args = vec!["verify", "--pub", s(&public)];
        args.extend_from_slice(extra);
        args.push(s(file));
        numplan(&args)
    };
    assert_eq!(
        code(&verify(&["--at", "2029-12-31", "--last-seen-sequence", "5"], &a)),
        0
    );
    let expired = verify(&["--at", "2030-01-01"], &a);
    assert_eq!(code(&expired), 5, "{}", stderr(&expired));
    assert!(stderr(&expired).contains("expired on 2030-01-01"));
    let rollback = verify(&["--at", "2029-01-01", "--last-seen-sequence", "6"], &a);
    assert_eq!(code(&rollback), 6, "{}", stderr(&rollback));

    // Corrupt, truncated and foreign files: exit 3, and the signature file is never trusted alone.
    let bytes = std::fs::read(&a).unwrap();
    let sig = std::fs::read(dir.join("a.npa.minisig")).unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "corrupt",
            {
                let mut b = bytes.clone();
                b[200] ^= 0x40;
                b
            },
            "corrupt",
        ),
        ("truncated", bytes[..bytes.len() / 2].to_vec(), "truncated"),
        (
            "foreign",
            b"GIF89a definitely not an artifact".to_vec(),
            "not a numplan artifact",
        ),
    ];
    for (name, content, message) in cases {
        let f = dir.join(format!("{name}.npa"));
        std::fs::write(&f, content).unwrap();
        std::fs::write(dir.join(format!("{name}.npa.minisig")), &sig).unwrap();
        let out = verify(&[], &f);
        assert_eq!(code(&out), 3, "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
    }
    // A missing signature is an I/O error.
    std::fs::remove_file(dir.join("a.npa.minisig")).unwrap();
    assert_eq!(code(&verify(&[], &a)), 2);
}

#[test]
fn compile_refuses_a_broken_plan_and_keeps_the_old_artifact() {
    let dir = scratch("compile-broken");
    let plan = dir.join("plan");
    crate::util::copy_dir(&repo("tests/data/valid/mini"), &plan);
    let out_file = dir.join("mini.npa");
    assert_eq!(code(&numplan(&["compile", s(&plan), "-o", s(&out_file)])), 0);
    let before = std::fs::read(&out_file).unwrap();
    std::fs::write(plan.join("ranges.yaml"), "ranges:\n  - numbers: 01-0\n").unwrap();
    let out = numplan(&["compile", s(&plan), "-o", s(&out_file), "--color", "never"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&out_file).unwrap(),
        before,
        "the previous artifact is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files: {leftovers:?}");
}

/// An unsigned compile over a signed output removes the old signature in the same write (it
/// signed the artifact replaced; left there, `verify` failed on the new one with exit 4), and
/// says so.
#[test]
fn an_unsigned_compile_removes_the_stale_signature() {
    let dir = scratch("signing-stale");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    assert_eq!(code(&numplan(&["keygen", "-o", &s(&dir.join("k"))])), 0);
    let a = dir.join("a.npa");
    let sig = dir.join("a.npa.minisig");
    let out = numplan(&[
        "compile",
        "tests/data/valid/mini",
        "-o",
        &s(&a),
        "--sign",
        &s(&dir.join("k.key")),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(sig.exists());
    let out = numplan(&[
        "compile",
        "tests/data/valid/mini",
        "-o",
        &s(&a),
        "--sequence",
        "2",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !sig.exists(),
        "the old signature was left beside the new artifact"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("removed") && err.contains("a.npa.minisig"), "{err}");
    // Signed again, the pair verifies.
    let out = numplan(&["sign", "--key", &s(&dir.join("k.key")), &s(&a)]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = numplan(&["verify", "--pub", &s(&dir.join("k.pub")), &s(&a)]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

/// The signature is checked before the number index is walked: a crafted index (21 levels of all
/// ten digits, 10^21 keys, with a right fst checksum and artifact digest) checked with a wrong
/// key exits 4 for the signature, not 3 for the index (nor hangs), in `verify` and `query --pub`.
/// With the right key, the walk is reached and refuses the index (exit 3).
#[test]
fn a_crafted_index_with_a_wrong_key_is_refused_for_its_signature() {
    use crate::artifact_index::{all_digits, mini, with_index};
    let dir = scratch("signing-crafted-wrong-key");
    let file = with_index(&mini(), all_digits(21, u64::MAX));
    // `open` refuses the crafted file itself, so its trusted comment is the mini plan's with the
    // crafted file's digest (its last 32 bytes).
    let base = numplan::artifact::Artifact::open(&mini())
        .unwrap()
        .trusted_comment();
    let sha = numplan::artifact::hex(&file[file.len() - 32..]);
    let comment = format!("{} sha256={sha}", base.rsplit_once(" sha256=").unwrap().0);
    let signer = numplan::minisign::SecretKey::generate().unwrap();
    let other = numplan::minisign::SecretKey::generate().unwrap();
    let sig = numplan::minisign::sign(&signer, &file, &comment, "crafted").unwrap();
    let npa = dir.join("crafted.npa");
    std::fs::write(&npa, &file).unwrap();
    std::fs::write(dir.join("crafted.npa.minisig"), sig).unwrap();
    std::fs::write(dir.join("right.pub"), signer.public_key().to_file_text()).unwrap();
    std::fs::write(dir.join("wrong.pub"), other.public_key().to_file_text()).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let npa = npa.to_str().unwrap();
    for (key, want) in [("wrong.pub", 4), ("right.pub", 3)] {
        for args in [
            vec!["verify", "--pub", &p(key), npa],
            vec!["query", "--plan", npa, "--pub", &p(key), "0162123456"],
        ] {
            let out = numplan(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(code(&out), want, "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            if want == 4 {
                assert!(!err.contains("number index"), "{args:?}: {err}");
            } else {
                assert!(err.contains("number index"), "{args:?}: {err}");
            }
        }
    }
}

/// A file name holding an OSC sequence (a directory named so by whoever prepared the paths) is
/// written escaped in what `keygen`, `compile` (its `-> OUTPUT` and the note on a removed
/// signature) and `sign` print; the old code printed the paths raw.
#[test]
fn paths_are_printed_with_their_control_characters_escaped() {
    let dir = scratch("signing-raw-paths").join("d\u{1b}]0;PWN\u{7}");
    std::fs::create_dir_all(&dir).unwrap();
    let (key, artifact) = (dir.join("k"), dir.join("m.npa"));
    let plan = repo("tests/data/valid/mini");
    let inert = |what: &str, out: &std::process::Output| {
        assert_eq!(code(out), 0, "{what}: {}", stderr(out));
        for text in [stdout(out), stderr(out)] {
            assert!(!text.contains(['\u{1b}', '\u{7}']), "{what}: {text:?}");
        }
        let all = stdout(out) + &stderr(out);
        assert!(all.contains("d\\u{1b}]0;PWN\\u{7}"), "{what}: {all}");
    };
    inert("keygen", &numplan(&["keygen", "-o", s(&key)]));
    let signed = numplan(&[
        "compile",
        s(&plan),
        "-o",
        s(&artifact),
        "--sign",
        s(&dir.join("k.key")),
    ]);
    inert("compile --sign", &signed);
    // Unsigned over the signed pair: the note names the removed signature, escaped.
    let unsigned = numplan(&["compile", s(&plan), "-o", s(&artifact)]);
    inert("compile", &unsigned);
    assert!(
        stderr(&unsigned).contains("note: removed"),
        "{}",
        stderr(&unsigned)
    );
    inert(
        "sign",
        &numplan(&["sign", "--key", s(&dir.join("k.key")), s(&artifact)]),
    );
}
