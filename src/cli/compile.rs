//! `numplan compile`: check a plan and write its artifact (and signature), atomically.

use super::{
    CliError, EXIT_ERROR, EXIT_FAIL, EXIT_OK, escape_path, print_stderr, print_stdout, read_secret_key,
    signature_path,
};
use numplan::artifact::{self, Artifact, CompileOptions};
use numplan::date::Date;
use numplan::diag;
use numplan::fsutil::{Mode, Target, replace_set_atomic};
use numplan::validate;
use std::path::{Path, PathBuf};
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
    #[command(flatten)]
    limits: super::LoadLimits,
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
    let mut progress = super::progress::Progress::new();
    let checked = validate::check_dir_observed(&args.plan_dir, &args.limits.limits(), &|done, total| {
        progress.register(done, total)
    });
    progress.finish();
    if !checked.diagnostics.is_empty() {
        print_stderr(&diag::render_human(
            &checked.diagnostics,
            &checked.sources,
            args.color.for_stderr(),
        ));
    }
    let unreadable = super::check::unreadable(&checked);
    // The sources' texts (the register's among them) served the diagnostics, printed above: the
    // compiler needs only the plan.
    let validate::Checked { plan, sources, .. } = checked;
    drop(sources);
    let Some(plan) = plan else {
        return Err(CliError::with_code(
            if unreadable { EXIT_ERROR } else { EXIT_FAIL },
            "the plan has errors; nothing was written",
        ));
    };
    let options = CompileOptions {
        sequence: args.sequence,
        expires: args.expires,
    };
    progress.stage("compiling");
    let bytes = artifact::compile(&plan, &options);
    progress.finish();
    drop(plan);
    let bytes = bytes.map_err(|e| CliError::with_code(EXIT_FAIL, e.to_string()))?;
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
    let removed = write_outputs(&args.output, &bytes, signature.as_deref())
        .map_err(|e| CliError::usage(format!("cannot write {}: {e}", escape_path(&args.output))))?;
    for path in removed {
        print_stderr(&format!(
            "note: removed {}: it signed the artifact this one replaces (sign again with `numplan \
             sign` or `compile --sign`)\n",
            escape_path(&path)
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
        escape_path(&args.output)
    ))?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Writes the artifact `bytes` to `output`, with its `signature` beside it, as one locked set.
/// Unsigned, the signature file is always named as stale: whether an old one is there is decided
/// under the directory lock, so a signed writer that runs just before cannot leave its signature
/// beside this unsigned artifact. Returns the stale files removed (to say so).
fn write_outputs(output: &Path, bytes: &[u8], signature: Option<&str>) -> std::io::Result<Vec<PathBuf>> {
    let sig_path = signature_path(output);
    let mut targets = vec![Target {
        path: output,
        bytes,
        mode: Mode::Public,
    }];
    if let Some(sig) = signature {
        targets.push(Target {
            path: &sig_path,
            bytes: sig.as_bytes(),
            mode: Mode::Public,
        });
    }
    // Unsigned over a signed output: the old signature signs the old artifact and would make the
    // new one fail `verify`; it is removed in the same locked write.
    let stale: &[&Path] = if signature.is_none() { &[&sig_path] } else { &[] };
    replace_set_atomic(&targets, stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use numplan::fsutil::{DirLock, write_all_locked};

    /// A signed writer of the same output that takes the directory lock just before an unsigned
    /// one: its signature must not survive beside the unsigned artifact. The old code looked for
    /// a signature before taking the lock, saw none, and left the signed writer's in place.
    #[test]
    fn an_unsigned_write_removes_a_signature_written_while_it_waited_for_the_lock() {
        let d = std::env::temp_dir().join(format!("numplan-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let out = d.join("a.npa");
        let sig = signature_path(&out);
        let lock = DirLock::exclusive(&d).unwrap();
        let out2 = out.clone();
        let unsigned = std::thread::spawn(move || write_outputs(&out2, b"unsigned", None));
        // Give the unsigned writer the time to reach the lock (the old code decided before it).
        // Were it slower, the old code would see the signature and the test would pass vacuously;
        // the new code passes in every order.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let pair = [
            Target {
                path: &out,
                bytes: b"signed",
                mode: Mode::Public,
            },
            Target {
                path: &sig,
                bytes: b"its signature",
                mode: Mode::Public,
            },
        ];
        write_all_locked(&lock, &pair).unwrap();
        drop(lock);
        let removed = unsigned.join().unwrap().unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"unsigned");
        assert!(
            !sig.exists(),
            "the signed writer's signature is left beside the unsigned artifact"
        );
        assert_eq!(removed, vec![sig.clone()]);
        // With no signature there, nothing is removed and nothing is said.
        assert_eq!(
            write_outputs(&out, b"again", None).unwrap(),
            Vec::<PathBuf>::new()
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
