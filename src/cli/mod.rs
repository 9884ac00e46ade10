//! Command-line parsing and the shared output helpers of the subcommands.

mod check;
mod compile;
mod diff;
mod keys;
mod query;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the plan has errors (check), or the answer is "no".
pub const EXIT_FAIL: u8 = 1;
/// Exit status: usage or I/O error (clap uses 2 for usage errors too).
pub const EXIT_ERROR: u8 = 2;
/// Exit status: the artifact is not intact (truncated, foreign, corrupt, unsupported version).
pub const EXIT_CORRUPT: u8 = 3;
/// Exit status: the signature does not verify, or signs another artifact.
pub const EXIT_SIGNATURE: u8 = 4;
/// Exit status: the artifact has expired.
pub const EXIT_EXPIRED: u8 = 5;
/// Exit status: the artifact is older than one already seen.
pub const EXIT_ROLLBACK: u8 = 6;

#[derive(Parser)]
#[command(name = "numplan", version, about = "Numbering plans as reviewed, signed, machine-readable data", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate plan sources and report every problem, rustc-style.
    Check(check::Args),
    /// Check a plan and compile it into one artifact file (optionally signed).
    Compile(compile::Args),
    /// Make a signing key pair (minisign format).
    Keygen(keys::KeygenArgs),
    /// Sign an artifact (writes ARTIFACT.minisig).
    Sign(keys::SignArgs),
    /// Verify an artifact's digest, signature, expiry and sequence.
    Verify(keys::VerifyArgs),
    /// What is this number, on this date: category, territory, operator, caller-ID rules.
    Query(query::Args),
    /// What changed between two plan versions, over the number space.
    Diff(diff::Args),
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output written to stderr.
    pub fn for_stderr(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
            }
        }
    }
}

/// Parses the command line and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Keygen(args) => keys::keygen(args),
        Command::Sign(args) => keys::sign(args),
        Command::Verify(args) => keys::verify(args),
        Command::Query(args) => query::run(args),
        Command::Diff(args) => diff::run(args),
    }
}

/// Writes `text` to stdout; a closed pipe (`numplan … | head`) is not an error.
pub fn print_stdout(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
    }
}

/// Writes `text` to stderr, ignoring failures (there is nowhere left to report them).
pub fn print_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Prints `error: message` on stderr and returns `code`.
pub fn fail(message: &str, code: u8) -> ExitCode {
    print_stderr(&format!("error: {message}\n"));
    ExitCode::from(code)
}

/// Reads a whole file, or reports the error (exit 2).
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| fail(&format!("cannot read {}: {e}", path.display()), EXIT_ERROR))
}

/// Reads a minisign secret key; an encrypted one takes its password from NUMPLAN_KEY_PASSWORD.
pub fn read_secret_key(path: &std::path::Path) -> Result<numplan::minisign::SecretKey, ExitCode> {
    let text = String::from_utf8_lossy(&read_file(path)?).into_owned();
    let password = std::env::var("NUMPLAN_KEY_PASSWORD").ok();
    numplan::minisign::SecretKey::parse(&text, password.as_deref())
        .map_err(|e| fail(&format!("{}: {e}", path.display()), EXIT_ERROR))
}

/// `ARTIFACT.minisig`.
pub fn signature_path(artifact: &std::path::Path) -> std::path::PathBuf {
    let mut s = artifact.as_os_str().to_owned();
    s.push(".minisig");
    s.into()
}

/// The exit status for an artifact error.
pub fn artifact_exit_code(e: &numplan::artifact::ArtifactError) -> u8 {
    use numplan::artifact::ArtifactError as E;
    match e {
        E::Truncated { .. }
        | E::Foreign
        | E::UnsupportedVersion { .. }
        | E::Malformed { .. }
        | E::Corrupt { .. } => EXIT_CORRUPT,
        E::BadSignature { .. } | E::CommentMismatch { .. } => EXIT_SIGNATURE,
        E::Expired { .. } => EXIT_EXPIRED,
        E::Rollback { .. } => EXIT_ROLLBACK,
        // `ArtifactError` is non-exhaustive: a new reason to refuse a file is a corrupt file
        // until the table says otherwise.
        _ => EXIT_CORRUPT,
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Today's date in UTC, from the system clock.
pub fn today_utc() -> numplan::date::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i32::try_from(secs / 86_400).unwrap_or(i32::MAX);
    numplan::date::Date::from_days(days)
        .unwrap_or_else(|| numplan::date::Date::new(1970, 1, 1).expect("a valid date"))
}
