//! `numplan compile`: check a plan and write its artifact (and signature), atomically.

use super::{
    EXIT_ERROR, EXIT_FAIL, EXIT_OK, fail, print_stderr, print_stdout, read_secret_key, signature_path,
};
use numplan::artifact::{self, Artifact, CompileOptions};
use numplan::date::Date;
use numplan::diag;
use numplan::fsutil::{Mode, write_atomic};
use numplan::validate;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check a plan and compile it into one artifact file.
///
/// Runs the same validation as `check` and refuses to compile a plan with errors (exit 1).
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (holding plan.yaml).
    #[arg(default_value = "plan-sources/fr")]
    plan_dir: PathBuf,
    /// Where to write the artifact.
    #[arg(short, long)]
    output: PathBuf,
    /// Sign with this secret key (writes OUTPUT.minisig). An encrypted key's password is read from
    /// the NUMPLAN_KEY_PASSWORD environment variable.
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// Override the plan's sequence number.
    #[arg(long)]
    sequence: Option<u64>,
    /// Override the plan's expiry date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    expires: Option<Date>,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = super::ColorChoice::Auto)]
    color: super::ColorChoice,
}

/// Parses a date argument.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).map_err(|e| e.to_string())
}

/// Runs `compile`.
pub fn run(args: Args) -> ExitCode {
    // Read the key first: a bad key must not cost a compilation, nor leave an unsigned artifact.
    let key = match &args.sign {
        Some(path) => match read_secret_key(path) {
            Ok(k) => Some(k),
            Err(code) => return code,
        },
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
    let Some(plan) = checked.plan else {
        let io = checked.no_manifest || checked.diagnostics.iter().any(|d| d.code == diag::Code::Io);
        print_stderr("error: the plan has errors; nothing was written\n");
        return ExitCode::from(if io { EXIT_ERROR } else { EXIT_FAIL });
    };
    let options = CompileOptions {
        sequence: args.sequence,
        expires: args.expires,
    };
    let bytes = match artifact::compile(&plan, &options) {
        Ok(b) => b,
        Err(e) => return fail(&e.to_string(), EXIT_FAIL),
    };
    // Re-open what was just built: the writer and the reader must agree before anything is written.
    let a = match Artifact::open(&bytes) {
        Ok(a) => a,
        Err(e) => {
            return fail(
                &format!("internal error: the compiled artifact does not open: {e}"),
                EXIT_ERROR,
            );
        }
    };
    let signature = match &key {
        Some(k) => {
            let untrusted = format!("numplan artifact {} {}", a.plan_id(), a.plan_version());
            match numplan::minisign::sign(k, &bytes, &a.trusted_comment(), &untrusted) {
                Ok(s) => Some(s),
                Err(e) => return fail(&format!("cannot sign: {e}"), EXIT_ERROR),
            }
        }
        None => None,
    };
    if let Err(e) = write_atomic(&args.output, &bytes, Mode::Public) {
        return fail(
            &format!("cannot write {}: {e}", args.output.display()),
            EXIT_ERROR,
        );
    }
    if let Some(sig) = signature {
        let path = signature_path(&args.output);
        if let Err(e) = write_atomic(&path, sig.as_bytes(), Mode::Public) {
            return fail(&format!("cannot write {}: {e}", path.display()), EXIT_ERROR);
        }
    }
    let signed = if args.sign.is_some() { ", signed" } else { "" };
    print_stdout(&format!(
        "compiled plan `{}` version {} (sequence {}): {} bytes, sha256 {}{signed} -> {}\n",
        a.plan_id(),
        a.plan_version(),
        a.sequence(),
        bytes.len(),
        super::hex(a.stored_sha256()),
        args.output.display()
    ));
    ExitCode::from(EXIT_OK)
}
