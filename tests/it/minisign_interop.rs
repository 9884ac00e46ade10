//! Interoperability of `numplan::minisign` with the stock `minisign` binary (Debian package
//! `minisign`, 0.11): signatures made by numplan verify with `minisign -V`, and keys and signatures
//! made by `minisign` work with numplan.
//!
//! Without `minisign` on PATH these tests are skipped with a message, except in CI (the `CI`
//! environment variable is set), where that is a failure. All keys are throwaway keys made in a
//! scratch directory under `CARGO_TARGET_TMPDIR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use numplan::minisign::{MinisignError, PublicKey, SecretKey, sign, verify};

use crate::util::scratch;

/// Whether stock `minisign` can run; panics in CI if it cannot.
fn have_minisign() -> bool {
    let found = Command::new("minisign")
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "install minisign (apt-get install -y minisign): the interop tests need it in CI"
        );
        eprintln!("skipping: stock `minisign` is not on PATH (install it: apt-get install -y minisign)");
    }
    found
}

/// Runs stock `minisign` with `args` in `dir`, with `stdin` as its standard input.
fn minisign(dir: &Path, args: &[&str], stdin: &str) -> Output {
    minisign_limited(dir, args, stdin, None)
}

/// Runs stock `minisign`, optionally under `ulimit -v <kib>` (which makes `minisign -G` fall back
/// to smaller scrypt parameters, so that decrypting the key stays fast in a debug build).
fn minisign_limited(dir: &Path, args: &[&str], stdin: &str, ulimit_kib: Option<u32>) -> Output {
    use std::io::Write as _;
    let mut command = match ulimit_kib {
        Some(kib) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -v {kib} && exec minisign \"$@\""))
                .arg("minisign");
            c
        }
        None => Command::new("minisign"),
    };
    let mut child = command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run minisign");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("minisign finishes")
}

fn check_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: minisign failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: &Path, contents: impl AsRef<[u8]>) -> PathBuf {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_path_buf()
}

fn data() -> Vec<u8> {
    // Binary content, with CR, LF and NUL bytes, so nothing is line-oriented by accident.
    let mut data = b"numplan artifact\r\n\0".to_vec();
    data.extend((0..=255u8).cycle().take(70_000));
    data
}

/// A public key with the key id of `id_of` and the Ed25519 key of `key_of`.
fn same_id_other_key(id_of: &PublicKey, key_of: &PublicKey) -> String {
    let mut bytes = b"Ed".to_vec();
    bytes.extend_from_slice(&id_of.key_id());
    bytes.extend_from_slice(&key_of.bytes());
    format!("untrusted comment: impostor\n{}\n", BASE64.encode(bytes))
}

#[test]
fn numplan_signature_verifies_with_stock_minisign() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_a");
    let sk = SecretKey::generate().expect("generate");
    let pk = sk.public_key();
    write(&dir.join("key.pub"), pk.to_file_text());
    write(&dir.join("data.bin"), data());
    let comment = "timestamp:1776384000\tfile:fr.fst\tnumplan plan fr 2026-04-17";
    let sig = sign(&sk, &data(), comment, "signature from numplan").expect("sign");
    write(&dir.join("data.bin.minisig"), &sig);

    let out = minisign(
        &dir,
        &["-V", "-p", "key.pub", "-m", "data.bin", "-x", "data.bin.minisig"],
        "",
    );
    check_ok(&out, "minisign -V of a numplan signature");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Signature and comment signature verified"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Trusted comment: {comment}\n")),
        "{stdout}"
    );

    // The same with the key inline, requiring a prehashed signature, printing only the comment.
    let out = minisign(
        &dir,
        &["-V", "-H", "-Q", "-P", &pk.to_base64(), "-m", "data.bin"],
        "",
    );
    check_ok(&out, "minisign -V -H -Q -P");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{comment}\n"));

    // Modified data is refused by stock minisign.
    let mut changed = data();
    changed[20_000] ^= 1;
    write(&dir.join("changed.bin"), changed);
    let out = minisign(
        &dir,
        &[
            "-V",
            "-p",
            "key.pub",
            "-m",
            "changed.bin",
            "-x",
            "data.bin.minisig",
        ],
        "",
    );
    assert!(!out.status.success(), "stock minisign accepted modified data");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Signature verification failed"));

    // A modified trusted comment too.
    let forged = sig.replace(
        comment,
        "timestamp:1776384000\tfile:fr.fst\tnumplan plan fr 2026-04-18",
    );
    write(&dir.join("forged.minisig"), forged);
    let out = minisign(
        &dir,
        &["-V", "-p", "key.pub", "-m", "data.bin", "-x", "forged.minisig"],
        "",
    );
    assert!(
        !out.status.success(),
        "stock minisign accepted a modified trusted comment"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Comment signature verification failed"));
}

#[test]
fn numplan_secret_key_file_works_with_stock_minisign() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_a_key");
    let sk = SecretKey::generate().expect("generate");
    write(&dir.join("numplan.key"), sk.to_file_text());
    write(&dir.join("data.bin"), data());

    // Stock minisign recreates our public key from our secret key file...
    let out = minisign(&dir, &["-R", "-s", "numplan.key", "-p", "recreated.pub"], "");
    check_ok(&out, "minisign -R from a numplan secret key");
    let recreated = PublicKey::parse(&read(&dir.join("recreated.pub"))).expect("recreated key");
    assert_eq!(recreated, sk.public_key());
    // ... and signs with it (no password prompt: the key is unencrypted).
    let out = minisign(
        &dir,
        &[
            "-S",
            "-s",
            "numplan.key",
            "-m",
            "data.bin",
            "-t",
            "stock, numplan key",
        ],
        "",
    );
    check_ok(&out, "minisign -S with a numplan secret key");
    let verified = verify(&sk.public_key(), &data(), &read(&dir.join("data.bin.minisig"))).expect("verify");
    assert_eq!(verified.trusted_comment, "stock, numplan key");
}

#[test]
fn stock_key_and_signature_work_with_numplan() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_b");
    write(&dir.join("data.bin"), data());
    let out = minisign(&dir, &["-G", "-W", "-p", "stock.pub", "-s", "stock.key"], "");
    check_ok(&out, "minisign -G -W");
    let out = minisign(
        &dir,
        &[
            "-S",
            "-s",
            "stock.key",
            "-m",
            "data.bin",
            "-t",
            "signed by stock minisign",
        ],
        "",
    );
    check_ok(&out, "minisign -S");

    let pk = PublicKey::parse(&read(&dir.join("stock.pub"))).expect("stock public key");
    let verified = verify(&pk, &data(), &read(&dir.join("data.bin.minisig"))).expect("stock signature");
    assert_eq!(verified.trusted_comment, "signed by stock minisign");
    assert_eq!(verified.key_id, pk.key_id());
    let mut changed = data();
    changed[0] ^= 0x20;
    assert!(matches!(
        verify(&pk, &changed, &read(&dir.join("data.bin.minisig"))),
        Err(MinisignError::BadSignature)
    ));

    // Stock's default trusted comment (timestamp, file name, "hashed") and legacy signatures.
    let out = minisign(
        &dir,
        &["-S", "-s", "stock.key", "-m", "data.bin", "-x", "default.minisig"],
        "",
    );
    check_ok(&out, "minisign -S, default comment");
    let verified = verify(&pk, &data(), &read(&dir.join("default.minisig"))).expect("default comment");
    assert!(
        verified.trusted_comment.contains("file:data.bin"),
        "{}",
        verified.trusted_comment
    );
    let out = minisign(
        &dir,
        &[
            "-S",
            "-l",
            "-s",
            "stock.key",
            "-m",
            "data.bin",
            "-x",
            "legacy.minisig",
        ],
        "",
    );
    check_ok(&out, "minisign -S -l");
    verify(&pk, &data(), &read(&dir.join("legacy.minisig"))).expect("stock legacy signature");

    // numplan reads the stock secret key and signs what stock minisign verifies.
    let sk = SecretKey::parse(&read(&dir.join("stock.key")), None).expect("stock secret key");
    assert_eq!(sk.public_key(), pk);
    write(&dir.join("other.bin"), b"signed by numplan with a stock key\n");
    let sig = sign(
        &sk,
        b"signed by numplan with a stock key\n",
        "numplan, stock key",
        "numplan",
    )
    .expect("sign");
    write(&dir.join("other.bin.minisig"), sig);
    let out = minisign(&dir, &["-V", "-p", "stock.pub", "-m", "other.bin"], "");
    check_ok(&out, "minisign -V of numplan's signature with the stock key");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Trusted comment: numplan, stock key\n"));
}

#[test]
fn stock_encrypted_key_works_with_numplan() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_b_encrypted");
    let password = "throwaway password";
    // Under `ulimit -v`, minisign halves its scrypt limits until the derivation fits in memory.
    let out = minisign_limited(
        &dir,
        &["-G", "-p", "enc.pub", "-s", "enc.key"],
        &format!("{password}\n{password}\n"),
        Some(30_000),
    );
    check_ok(&out, "minisign -G (encrypted, password on stdin)");
    let pk = PublicKey::parse(&read(&dir.join("enc.pub"))).expect("public key");
    let key_text = read(&dir.join("enc.key"));

    assert!(matches!(
        SecretKey::parse(&key_text, None),
        Err(MinisignError::Encrypted)
    ));
    assert!(matches!(
        SecretKey::parse(&key_text, Some("wrong")),
        Err(MinisignError::WrongPassword)
    ));
    let sk = SecretKey::parse(&key_text, Some(password)).expect("decrypt the stock key");
    assert_eq!(sk.public_key(), pk);

    write(&dir.join("data.bin"), data());
    write(
        &dir.join("data.bin.minisig"),
        sign(&sk, &data(), "encrypted stock key", "u").expect("sign"),
    );
    let out = minisign(&dir, &["-V", "-p", "enc.pub", "-m", "data.bin"], "");
    check_ok(
        &out,
        "minisign -V of numplan's signature with the decrypted stock key",
    );

    // And stock minisign signs with the same key, given the password on stdin.
    let out = minisign(
        &dir,
        &[
            "-S",
            "-s",
            "enc.key",
            "-m",
            "data.bin",
            "-x",
            "stock.minisig",
            "-t",
            "stock",
        ],
        &format!("{password}\n"),
    );
    check_ok(&out, "minisign -S with the encrypted key");
    assert_eq!(
        verify(&pk, &data(), &read(&dir.join("stock.minisig")))
            .expect("verify")
            .trusted_comment,
        "stock"
    );
}

#[test]
fn wrong_key_fails_both_ways() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_c");
    write(&dir.join("data.bin"), data());

    // A numplan signature checked by stock minisign against another key.
    let (ours, other) = (
        SecretKey::generate().expect("generate"),
        SecretKey::generate().expect("generate"),
    );
    write(
        &dir.join("data.bin.minisig"),
        sign(&ours, &data(), "t", "u").expect("sign"),
    );
    write(&dir.join("other.pub"), other.public_key().to_file_text());
    let out = minisign(&dir, &["-V", "-p", "other.pub", "-m", "data.bin"], "");
    assert!(
        !out.status.success(),
        "stock minisign accepted a signature by another key"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key id"), "{stderr}");
    // Same key id, different key: stock minisign's signature check fails.
    write(
        &dir.join("impostor.pub"),
        same_id_other_key(&ours.public_key(), &other.public_key()),
    );
    let out = minisign(&dir, &["-V", "-p", "impostor.pub", "-m", "data.bin"], "");
    assert!(
        !out.status.success(),
        "stock minisign accepted a signature by an impostor key"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Signature verification failed"));

    // A stock signature checked by numplan against another key.
    let out = minisign(&dir, &["-G", "-W", "-p", "stock.pub", "-s", "stock.key"], "");
    check_ok(&out, "minisign -G -W");
    let out = minisign(
        &dir,
        &["-S", "-s", "stock.key", "-m", "data.bin", "-x", "stock.minisig"],
        "",
    );
    check_ok(&out, "minisign -S");
    let stock_pk = PublicKey::parse(&read(&dir.join("stock.pub"))).expect("stock public key");
    let stock_sig = read(&dir.join("stock.minisig"));
    match verify(&other.public_key(), &data(), &stock_sig) {
        Err(MinisignError::KeyIdMismatch {
            signature_key_id,
            public_key_id,
        }) => {
            assert_eq!(signature_key_id, stock_pk.key_id());
            assert_eq!(public_key_id, other.public_key().key_id());
        }
        other => panic!("expected KeyIdMismatch, got {other:?}"),
    }
    let impostor = PublicKey::parse(&same_id_other_key(&stock_pk, &other.public_key())).expect("impostor");
    assert!(matches!(
        verify(&impostor, &data(), &stock_sig),
        Err(MinisignError::BadSignature)
    ));
}

/// A key as `minisign -G` makes it by default: scrypt with N = 2^20 and 1 GiB of memory, which
/// takes minutes unoptimised; Cargo.toml optimises scrypt even in test builds.
#[test]
fn stock_full_strength_encrypted_key_works_with_numplan() {
    if !have_minisign() {
        return;
    }
    let dir = scratch("minisign_interop_b_full_strength");
    let password = "throwaway password";
    let out = minisign(
        &dir,
        &["-G", "-p", "enc.pub", "-s", "enc.key"],
        &format!("{password}\n{password}\n"),
    );
    check_ok(&out, "minisign -G (encrypted, default scrypt limits)");
    let sk = SecretKey::parse(&read(&dir.join("enc.key")), Some(password)).expect("decrypt the stock key");
    assert_eq!(
        sk.public_key(),
        PublicKey::parse(&read(&dir.join("enc.pub"))).expect("public key")
    );
}
