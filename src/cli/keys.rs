//! `numplan keygen`, `numplan sign` and `numplan verify`: minisign-compatible signing.

use super::{
    CliError, EXIT_OK, Pinning, print_stdout, read_artifact, read_key_text, read_public_key, read_secret_key,
    signature_path,
};
use numplan::artifact::{Artifact, SignatureCheck, VerifyOptions};
use numplan::date::Date;
use numplan::fsutil::{DirLock, Mode, Target, write_all_atomic, write_all_locked};
use numplan::minisign::SecretKey;
use std::path::PathBuf;
use std::process::ExitCode;

/// Make a signing key pair: BASE.key (secret, mode 0600, unencrypted) and BASE.pub.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Base name of the two files.
    #[arg(short, long, value_name = "BASE")]
    output: PathBuf,
    /// Replace existing files (regular files only).
    #[arg(long)]
    force: bool,
}

/// Runs `keygen`.
pub fn keygen(args: KeygenArgs) -> Result<ExitCode, CliError> {
    let with_ext = |ext: &str| {
        let mut s = args.output.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    let (key_path, pub_path) = (with_ext(".key"), with_ext(".pub"));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.symlink_metadata().is_ok() {
                return Err(CliError::usage(format!(
                    "{} exists; pass --force to replace it",
                    p.display()
                )));
            }
        }
    }
    let key = SecretKey::generate().map_err(|e| CliError::usage(format!("cannot generate a key: {e}")))?;
    let public = key.public_key();
    let (key_text, pub_text) = (key.to_file_text(), public.to_file_text());
    write_all_atomic(&[
        Target {
            path: &key_path,
            bytes: key_text.as_bytes(),
            mode: Mode::Private,
        },
        Target {
            path: &pub_path,
            bytes: pub_text.as_bytes(),
            mode: Mode::Public,
        },
    ])
    .map_err(|e| CliError::usage(format!("cannot write the key pair: {e}")))?;
    print_stdout(&format!(
        "key {}: secret key {} (keep it out of the repository), public key {}\n",
        public.key_id_hex(),
        super::escape_path(&key_path),
        super::escape_path(&pub_path)
    ))?;
    Ok(ExitCode::from(EXIT_OK))
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
pub fn sign(args: SignArgs) -> Result<ExitCode, CliError> {
    let key = read_secret_key(&args.key)?;
    // The artifact is read, signed and its signature written under one lock of its directory: a
    // concurrent `compile -o` of the same file cannot slip in between.
    let lock = DirLock::exclusive_for(&args.artifact)
        .map_err(|e| CliError::usage(format!("cannot lock the artifact's directory: {e}")))?;
    let bytes = read_artifact(&args.artifact)?;
    let name = super::escape_path(&args.artifact);
    // Refuse to vouch for a file that is not an intact artifact.
    let a = Artifact::open(&bytes)
        .and_then(|a| a.verify(&VerifyOptions::default()).map(|_| a))
        .map_err(|e| CliError::artifact(&name, &e))?;
    let untrusted = format!(
        "numplan artifact {} {}",
        super::escape_controls(a.plan_id()),
        super::escape_controls(a.plan_version())
    );
    let sig = numplan::minisign::sign(&key, &bytes, &a.trusted_comment(), &untrusted)
        .map_err(|e| CliError::usage(format!("cannot sign: {e}")))?;
    let path = signature_path(&args.artifact);
    let target = Target {
        path: &path,
        bytes: sig.as_bytes(),
        mode: Mode::Public,
    };
    write_all_locked(&lock, &[target])
        .map_err(|e| CliError::usage(format!("cannot write the signature: {e}")))?;
    print_stdout(&format!("signed {name} -> {}\n", super::escape_path(&path)))?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Verify an artifact: digest, signature and trusted comment, expiry, rollback, plan.
///
/// Exit status: 0 verified; 2 usage or I/O error; 3 not an intact artifact (truncated, foreign,
/// corrupt, unsupported version); 4 bad signature; 5 expired; 6 rollback; 7 another plan than
/// --expect-plan.
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
    #[command(flatten)]
    pinning: Pinning,
    /// The artifact.
    artifact: PathBuf,
}

/// Runs `verify`.
pub fn verify(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let key = read_public_key(&args.public_key)?;
    let sig_path = args.sig.clone().unwrap_or_else(|| signature_path(&args.artifact));
    // The pair is read under a shared lock of its directory: never one file before and the other
    // after a concurrent `compile --sign` replaced them.
    let lock = DirLock::shared_for(&args.artifact);
    let sig = read_key_text(&sig_path, "the signature")?;
    let bytes = read_artifact(&args.artifact)?;
    drop(lock);
    let name = super::escape_path(&args.artifact);
    let today = args.at.unwrap_or_else(super::today_utc);
    // The signature is checked over the bytes before the index is walked.
    let numplan::artifact::Verified { artifact: a, trust } = Artifact::open_verified(
        &bytes,
        &VerifyOptions {
            signature: Some(SignatureCheck {
                key: &key,
                minisig: &sig,
            }),
            today: Some(today),
            last_seen_sequence: args.pinning.last_seen_sequence,
        },
    )
    .map_err(|e| CliError::artifact(&name, &e))?;
    args.pinning.check_plan(&name, &a)?;
    let expiry = a
        .expires()
        .map_or("no expiry".to_string(), |d| format!("expires {d}"));
    print_stdout(&format!(
        "ok: plan `{}` version {} sequence {} ({expiry}), sha256 {}, signed by key {}\n",
        super::escape_controls(a.plan_id()),
        super::escape_controls(a.plan_version()),
        a.sequence(),
        trust.sha256,
        trust.key_id.unwrap_or_default()
    ))?;
    Ok(ExitCode::from(EXIT_OK))
}
