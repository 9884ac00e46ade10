//! `numplan compile`: check a plan and write its artifact (and signature), atomically.

use super::{
    CliError, EXIT_ERROR, EXIT_FAIL, EXIT_OK, print_stderr, print_stdout, read_secret_key, signature_path,
};
use numplan::artifact::{self, Artifact, CompileOptions};
use numplan::date::Date;
use numplan::diag;
use numplan::fsutil::{Mode, Target, replace_set_atomic};
use numplan::validate;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check a plan and compile it into one artifact file.
///
/// Runs the same validation as `check` and refuses to compile a plan with errors (exit 1). With
/// `--sign`, the artifact and its signature are written as a pair: concurrent runs on the same
/// output never leave one run's artifact beside another's signature. Without `--sign`, an
/// existing OUTPUT.minisig (which signed the artifact replaced) is removed in the same write.
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (holding plan.yaml).
    plan_dir: PathBuf,
    /// Where to write the artifact (an existing target must be a regular file).
    #[arg(short, long)]
    output: PathBuf,
    /// Sign with this secret key (writes OUTPUT.minisig). An encrypted key's password is read from
    /// the NUMPLAN_KEY_PASSWORD environment variable.
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// Override the plan's sequence number.
    #[arg(long)]
    sequence: Option<u64>,
    /// Override the plan's expiry date (YYYY-MM-DD). A day already past is refused (exit 2)
    /// unless --allow-expired is given.
    #[arg(long, value_parser = parse_date)]
    expires: Option<Date>,
    /// Write the artifact even if its expiry date is already past (for tests of expiry).
    #[arg(long)]
    allow_expired: bool,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = super::ColorChoice::Auto)]
    color: super::ColorChoice,
}

/// Parses a date argument.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).map_err(|e| e.to_string())
}

/// Runs `compile`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if let Some(expires) = args.expires {
        let today = super::today_utc();
        if expires <= today && !args.allow_expired {
            return Err(CliError::usage(format!(
                "--expires {expires} is not after today ({today} UTC): the artifact would be expired \
                 when written; pass --allow-expired to write it anyway"
            )));
        }
    }
    // Read the key first: a bad key must not cost a compilation, nor leave an unsigned artifact.
    let key = match &args.sign {
        Some(path) => Some(read_secret_key(path)?),
        None => None,
    };
    let checked = validate::check_dir(&args.plan_dir);
    if !checked.diagnostics.is_empty() {
        print_stderr(&diag::render_human(
            &checked.diagnostics,
            &checked.sources,
            args.color.for_stderr(),
        ));
    }
    let unreadable = super::check::unreadable(&checked);
    let Some(plan) = checked.plan else {
        return Err(CliError::with_code(
            if unreadable { EXIT_ERROR } else { EXIT_FAIL },
            "the plan has errors; nothing was written",
        ));
    };
    let options = CompileOptions {
        sequence: args.sequence,
        expires: args.expires,
    };
    let bytes =
        artifact::compile(&plan, &options).map_err(|e| CliError::with_code(EXIT_FAIL, e.to_string()))?;
    // Re-open what was just built: the writer and the reader must agree before anything is written.
    // Its error exits with the table's code for it, as in every subcommand.
    let a = Artifact::open(&bytes)
        .map_err(|e| CliError::artifact("internal error: the compiled artifact does not open", &e))?;
    if let Some(expires) = a.expires().filter(|&d| d <= super::today_utc()) {
        print_stderr(&format!(
            "warning: the plan's expiry date {expires} is already past: the artifact is expired\n"
        ));
    }
    let signature = match &key {
        Some(k) => {
            let untrusted = format!(
                "numplan artifact {} {}",
                super::escape_controls(a.plan_id()),
                super::escape_controls(a.plan_version())
            );
            Some(
                numplan::minisign::sign(k, &bytes, &a.trusted_comment(), &untrusted)
                    .map_err(|e| CliError::usage(format!("cannot sign: {e}")))?,
            )
        }
        None => None,
    };
    let sig_path = signature_path(&args.output);
    let mut targets = vec![Target {
        path: &args.output,
        bytes: &bytes,
        mode: Mode::Public,
    }];
    if let Some(sig) = &signature {
        targets.push(Target {
            path: &sig_path,
            bytes: sig.as_bytes(),
            mode: Mode::Public,
        });
    }
    // Unsigned over a signed output: the old signature signs the old artifact and would make the
    // new one fail `verify`; it is removed in the same locked write.
    let stale_signature =
        signature.is_none() && std::fs::symlink_metadata(&sig_path).is_ok_and(|m| m.is_file());
    let stale: &[&std::path::Path] = if stale_signature { &[&sig_path] } else { &[] };
    replace_set_atomic(&targets, stale)
        .map_err(|e| CliError::usage(format!("cannot write {}: {e}", args.output.display())))?;
    if stale_signature {
        print_stderr(&format!(
            "note: removed {}: it signed the artifact this one replaces (sign again with `numplan \
             sign` or `compile --sign`)\n",
            sig_path.display()
        ));
    }
    let signed = if args.sign.is_some() { ", signed" } else { "" };
    print_stdout(&format!(
        "compiled plan `{}` version {} (sequence {}): {} bytes, sha256 {}{signed} -> {}\n",
        super::escape_controls(a.plan_id()),
        super::escape_controls(a.plan_version()),
        a.sequence(),
        bytes.len(),
        super::hex(a.stored_sha256()),
        args.output.display()
    ))?;
    Ok(ExitCode::from(EXIT_OK))
}
