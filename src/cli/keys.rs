//! `numplan keygen`, `numplan sign` and `numplan verify`: minisign-compatible signing.

use super::{
    EXIT_ERROR, EXIT_OK, artifact_exit_code, fail, print_stdout, read_file, read_secret_key, signature_path,
};
use numplan::artifact::{Artifact, VerifyOptions};
use numplan::date::Date;
use numplan::fsutil::{Mode, write_atomic};
use numplan::minisign::{PublicKey, SecretKey};
use std::path::PathBuf;
use std::process::ExitCode;

/// Make a signing key pair: BASE.key (secret, mode 0600, unencrypted) and BASE.pub.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Base name of the two files.
    #[arg(short, long, value_name = "BASE")]
    output: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

/// Runs `keygen`.
pub fn keygen(args: KeygenArgs) -> ExitCode {
    let with_ext = |ext: &str| {
        let mut s = args.output.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    let (key_path, pub_path) = (with_ext(".key"), with_ext(".pub"));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return fail(
                    &format!("{} exists; pass --force to replace it", p.display()),
                    EXIT_ERROR,
                );
            }
        }
    }
    let key = match SecretKey::generate() {
        Ok(k) => k,
        Err(e) => return fail(&format!("cannot generate a key: {e}"), EXIT_ERROR),
    };
    if let Err(e) = write_atomic(&key_path, key.to_file_text().as_bytes(), Mode::Private) {
        return fail(&format!("cannot write {}: {e}", key_path.display()), EXIT_ERROR);
    }
    let public = key.public_key();
    if let Err(e) = write_atomic(&pub_path, public.to_file_text().as_bytes(), Mode::Public) {
        return fail(&format!("cannot write {}: {e}", pub_path.display()), EXIT_ERROR);
    }
    print_stdout(&format!(
        "key {}: secret key {} (keep it out of the repository), public key {}\n",
        public.key_id_hex(),
        key_path.display(),
        pub_path.display()
    ));
    ExitCode::from(EXIT_OK)
}

/// Sign an artifact: writes ARTIFACT.minisig, which `minisign -V` and `numplan verify` check.
#[derive(clap::Args)]
pub struct SignArgs {
    /// The secret key (minisign format; an encrypted key's password is read from the
    /// NUMPLAN_KEY_PASSWORD environment variable).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The artifact.
    artifact: PathBuf,
}

/// Runs `sign`.
pub fn sign(args: SignArgs) -> ExitCode {
    let key = match read_secret_key(&args.key) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let bytes = match read_file(&args.artifact) {
        Ok(b) => b,
        Err(code) => return code,
    };
    // Refuse to vouch for a file that is not an intact artifact.
    let a = match Artifact::open(&bytes).and_then(|a| a.verify(&VerifyOptions::default()).map(|_| a)) {
        Ok(a) => a,
        Err(e) => {
            return fail(
                &format!("{}: {e}", args.artifact.display()),
                artifact_exit_code(&e),
            );
        }
    };
    let untrusted = format!("numplan artifact {} {}", a.plan_id(), a.plan_version());
    let sig = match numplan::minisign::sign(&key, &bytes, &a.trusted_comment(), &untrusted) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot sign: {e}"), EXIT_ERROR),
    };
    let path = signature_path(&args.artifact);
    if let Err(e) = write_atomic(&path, sig.as_bytes(), Mode::Public) {
        return fail(&format!("cannot write {}: {e}", path.display()), EXIT_ERROR);
    }
    print_stdout(&format!(
        "signed {} -> {}\n",
        args.artifact.display(),
        path.display()
    ));
    ExitCode::from(EXIT_OK)
}

/// Verify an artifact: digest, signature and trusted comment, expiry, rollback.
///
/// Exit status: 0 verified; 2 usage or I/O error; 3 not an intact artifact (truncated, foreign,
/// corrupt, unsupported version); 4 bad signature; 5 expired; 6 rollback.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The public key (minisign format: the .pub file, or its base64 line).
    #[arg(long = "pub", value_name = "KEY")]
    public_key: PathBuf,
    /// The signature file (default: ARTIFACT.minisig).
    #[arg(long, value_name = "FILE")]
    sig: Option<PathBuf>,
    /// Check expiry against this day instead of today (UTC).
    #[arg(long, value_parser = super::compile::parse_date)]
    at: Option<Date>,
    /// The newest sequence number already accepted: an older artifact is refused as a rollback.
    #[arg(long, value_name = "N")]
    last_seen_sequence: Option<u64>,
    /// The artifact.
    artifact: PathBuf,
}

/// Runs `verify`.
pub fn verify(args: VerifyArgs) -> ExitCode {
    let key_text = match read_file(&args.public_key) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(code) => return code,
    };
    let key = match PublicKey::parse(&key_text) {
        Ok(k) => k,
        Err(e) => return fail(&format!("{}: {e}", args.public_key.display()), EXIT_ERROR),
    };
    let sig_path = args.sig.clone().unwrap_or_else(|| signature_path(&args.artifact));
    let sig = match read_file(&sig_path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(code) => return code,
    };
    let bytes = match read_file(&args.artifact) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let today = args.at.unwrap_or_else(super::today_utc);
    let result = Artifact::open(&bytes).and_then(|a| {
        let trust = a.verify(&VerifyOptions {
            signature: Some((&key, &sig)),
            today: Some(today),
            last_seen_sequence: args.last_seen_sequence,
        })?;
        Ok((a, trust))
    });
    match result {
        Ok((a, trust)) => {
            let expiry = a
                .expires()
                .map_or("no expiry".to_string(), |d| format!("expires {d}"));
            print_stdout(&format!(
                "ok: plan `{}` version {} sequence {} ({expiry}), sha256 {}, signed by key {}\n",
                a.plan_id(),
                a.plan_version(),
                a.sequence(),
                trust.sha256,
                trust.key_id.unwrap_or_default()
            ));
            ExitCode::from(EXIT_OK)
        }
        Err(e) => fail(
            &format!("{}: {e}", args.artifact.display()),
            artifact_exit_code(&e),
        ),
    }
}
