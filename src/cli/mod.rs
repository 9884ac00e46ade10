//! Command-line parsing, the one error path and exit-code table, and the shared I/O helpers.
//!
//! Every subcommand is `run(args) -> Result<ExitCode, CliError>`: success and "the answer is no"
//! are exit codes, anything else is a [`CliError`], printed in one place ([`main`]) as
//! `error: MESSAGE` with the code of the table below (the README's table is the same).
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success (the plan is valid, every number valid, no difference) |
//! | 1 | the answer is no: the plan has errors, an input is not a valid number, the versions differ |
//! | 2 | usage or I/O error: a missing, unreadable, oversized or non-regular file, a bad key |
//! | 3 | not an intact artifact: truncated, foreign, malformed, corrupt, unsupported version |
//! | 4 | the signature does not verify, or signs another artifact |
//! | 5 | the artifact has expired |
//! | 6 | rollback: the artifact is older than `--last-seen-sequence` |
//! | 7 | the artifact is of another plan than `--expect-plan` |

mod check;
mod compile;
mod diff;
mod export;
mod keys;
mod progress;
mod query;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use numplan::artifact::{Artifact, ArtifactError};
use std::io::{Read, Write};
use std::path::Path;
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
/// Exit status: the artifact is of another plan than the one expected.
pub const EXIT_WRONG_PLAN: u8 = 7;

/// The largest artifact read (256 MiB; the French plan is about 0.5 MiB).
pub const MAX_ARTIFACT_BYTES: u64 = 256 << 20;
/// The largest key or signature file read (64 KiB; minisign's are a few hundred bytes).
pub const MAX_KEY_BYTES: u64 = 64 << 10;

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
    /// Verify an artifact's digest, signature, expiry, sequence and plan.
    Verify(keys::VerifyArgs),
    /// What is this number, on this date: category, territory, operator, caller-ID rules.
    Query(query::Args),
    /// What changed between two plan versions, over the number space.
    Diff(diff::Args),
    /// The numbers that meet conditions on a day, as the lists blockers and switches load.
    Export(export::Args),
    /// Answer over HTTP (JSON API, lists, metrics) and in a web page; reload new signed files.
    Serve(serve::Args),
}

/// Why a subcommand could not do its job: a message and its exit code from the table.
#[derive(Debug)]
pub struct CliError {
    /// The exit code (2 to 7; 1 for a plan with errors in `compile`).
    pub code: u8,
    /// What went wrong, located (the file it concerns).
    pub message: String,
}

impl CliError {
    /// A usage or I/O error (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_ERROR,
            message: message.into(),
        }
    }

    /// An artifact refused, with the code of its kind of error.
    pub fn artifact(name: &str, e: &ArtifactError) -> CliError {
        CliError {
            code: artifact_exit_code(e),
            message: format!("{name}: {e}"),
        }
    }

    /// A failure already explained on stderr (diagnostics), with its exit code.
    pub fn with_code(code: u8, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
        }
    }
}

/// The limits of reading a plan directory that the command line may change, shared by every
/// subcommand that reads one (`check`, `compile`, `diff`).
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct LoadLimits {
    /// The largest register file read (MAJNUM, MAJNFB, the operator list, CNAC files), in bytes
    /// or with a unit (`KiB`, `MiB`, `GiB`); a larger one is refused unread (E0002). Memory
    /// follows the register: about 120 bytes a block at most.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_register_size: u64,
}

impl LoadLimits {
    /// The library's limits.
    pub fn limits(&self) -> numplan::load::Limits {
        numplan::load::Limits {
            max_register_bytes: self.max_register_size,
        }
    }
}

/// Parses a size: a number of bytes, or with a binary unit (`64MiB`, `1 GiB`, `512k`; `K`, `M`,
/// `G` are the binary units too), at least one byte.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write bytes, or a number with KiB, MiB, GiB or TiB"
            ));
        }
    };
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a size: write bytes, or a number with KiB, MiB, GiB or TiB"
        ));
    }
    // At most 1 TiB: more than any register, and `limit + 1` stays far from overflow.
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&b| b <= 1 << 40)
        .ok_or_else(|| format!("`{text}` is too large: at most 1TiB"))?;
    if bytes == 0 {
        return Err("the size must be at least 1 byte".to_string());
    }
    Ok(bytes)
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal that supports colour, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output written to stderr.
    pub fn for_stderr(self) -> bool {
        self.decide(&std::io::stderr())
    }

    /// Whether to colour output written to stdout.
    pub fn for_stdout(self) -> bool {
        self.decide(&std::io::stdout())
    }

    /// The one colour decision: anstream's (terminal, `NO_COLOR`, `CLICOLOR_FORCE`, `TERM=dumb`).
    fn decide<S: anstream::stream::RawStream>(self, stream: &S) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never,
        }
    }
}

/// Parses the command line, runs the subcommand, and prints its error if any: the one place
/// where errors become `error: …` lines and exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Keygen(args) => keys::keygen(args),
        Command::Sign(args) => keys::sign(args),
        Command::Verify(args) => keys::verify(args),
        Command::Query(args) => query::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Export(args) => export::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            print_stderr(&format!("error: {}\n", escape_controls(&e.message)));
            ExitCode::from(e.code)
        }
    }
}

/// Writes `text` to stdout; a closed pipe (`numplan … | head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::usage(format!("cannot write to standard output: {e}"))),
    }
}

/// Writes `text` to stderr, ignoring failures (there is nowhere left to report them).
pub fn print_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

pub use numplan::diag::escape_controls;

/// A path for a message or note, with its control characters escaped as [`escape_controls`]
/// does: a file name given on the command line is never echoed raw to a terminal.
pub fn escape_path(path: &Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

/// A writer that escapes, as [`escape_controls`] does, every control character of what is
/// written to it except the line feeds and tabs of the output's own layout (text and TSV), or, for
/// JSON, the C1 and bidirectional controls serde_json leaves raw (as `\uXXXX`): plan text from an
/// artifact never reaches the terminal raw, whatever the artifact holds.
pub struct Escaping<W> {
    inner: W,
    json: bool,
}

impl<W: Write> Escaping<W> {
    /// Escapes for text and TSV output.
    pub fn text(inner: W) -> Escaping<W> {
        Escaping { inner, json: false }
    }

    /// Escapes for JSON output.
    pub fn json(inner: W) -> Escaping<W> {
        Escaping { inner, json: true }
    }

    /// Writes bytes that already went through an `Escaping` of the same kind (kept output),
    /// without scanning them again.
    pub fn write_escaped(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(bytes)
    }

    /// The writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: KeepWrite> Escaping<W> {
    /// Writes kept bytes that already went through an `Escaping` of the same kind, as
    /// [`Escaping::write_escaped`] does, handing the writer the shared bytes themselves (see
    /// [`KeepWrite`]).
    pub fn write_kept(&mut self, kept: &std::sync::Arc<[u8]>) -> std::io::Result<()> {
        self.inner.write_kept(kept)
    }
}

/// A writer that can take shared, immutable bytes (a kept JSON tail) by reference instead of
/// copying them: `query`'s output batches them into one `writev` with what is written around
/// them. Any writer can copy them ([`KeepWrite::write_kept`]'s default).
pub trait KeepWrite: Write {
    /// Writes `kept`, whole.
    fn write_kept(&mut self, kept: &std::sync::Arc<[u8]>) -> std::io::Result<()> {
        self.write_all(kept)
    }
}

impl KeepWrite for Vec<u8> {}

impl<W: KeepWrite + ?Sized> KeepWrite for &mut W {
    fn write_kept(&mut self, kept: &std::sync::Arc<[u8]>) -> std::io::Result<()> {
        (**self).write_kept(kept)
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // Fast path: nothing to escape (see `has_controls`).
        if !has_controls(buf) {
            return self.inner.write_all(buf);
        }
        // Everything written here comes from `&str`s, whole characters at a time.
        let text = String::from_utf8_lossy(buf);
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            let mut one = [0; 4];
            let escaped = escape_controls(c.encode_utf8(&mut one));
            if c == '\t' || c == '\n' || matches!(escaped, std::borrow::Cow::Borrowed(_)) {
                out.push(c);
            } else if self.json {
                // Only inside strings (serde_json writes nothing else raw), where `\uXXXX` is the
                // same character.
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{:04x}", u32::from(c)));
            } else {
                out.push_str(&escaped);
            }
        }
        self.inner.write_all(out.as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Whether UTF-8 text holds a character [`Escaping`] escapes: a C0 control other than tab and
/// line feed, DEL, a C1 control (`C2 80`–`C2 9F`), or a bidirectional control (U+061C `D8 9C`;
/// U+200E, U+200F, U+2028–U+202E `E2 80 …`; U+2066–U+2069 `E2 81 A6`–`A9`). Exact to the byte,
/// so that French text (`…`, `’`, `é`) stays on the fast path.
fn has_controls(buf: &[u8]) -> bool {
    // A lead byte: a control itself, or the first byte of a sequence that may be one. Text is
    // looked at 8 bytes at a time, with bit tricks that tell whether a word holds a lead byte
    // (exact as a yes or no); only the words that do are looked at byte by byte.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let equal = |x: u64, b: u8| below(x ^ (ONES * u64::from(b)), 1);
    let lead = |b: u8| b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xd8 || b == 0xe2;
    let escaped_at = |i: usize| match buf[i] {
        b'\t' | b'\n' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(buf.get(i + 1), Some(0x80..=0x9f)),
        0xd8 => buf.get(i + 1) == Some(&0x9c),
        0xe2 => matches!(
            (buf.get(i + 1), buf.get(i + 2)),
            (Some(0x80), Some(0x8e | 0x8f | 0xa8..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
        ),
        _ => false,
    };
    let mut i = 0;
    for word in buf.chunks_exact(8) {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes);
        let hit = below(x, 0x20) | equal(x, 0x7f) | equal(x, 0xc2) | equal(x, 0xd8) | equal(x, 0xe2);
        if hit != 0 && (i..i + 8).any(|k| lead(buf[k]) && escaped_at(k)) {
            return true;
        }
        i += 8;
    }
    (i..buf.len()).any(|k| lead(buf[k]) && escaped_at(k))
}

/// Reads a whole regular file of at most `cap` bytes: its type and size are checked before
/// anything is read (a device, FIFO or directory is refused without blocking), and the read is
/// bounded even if the file grows.
pub fn read_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, CliError> {
    read_capped_checked(path, cap, what, 0, |_| Ok(()))
}

/// [`read_capped`], handing the first `head` bytes (fewer in a shorter file) to `check` before
/// reading the rest: a file refused by its first bytes is not read whole.
fn read_capped_checked(
    path: &Path,
    cap: u64,
    what: &str,
    head: u64,
    check: impl FnOnce(&[u8]) -> Result<(), CliError>,
) -> Result<Vec<u8>, CliError> {
    let shown = path.display();
    let refuse = |why: String| CliError::usage(format!("cannot read {what} {shown}: {why}"));
    // The type first, by the path: opening a FIFO would block.
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse(format!(
            "{}, not a regular file",
            numplan::fsutil::file_kind(&meta)
        )));
    }
    // Then by the handle, opened without waiting on a FIFO: the path may have been replaced.
    let (file, meta) = numplan::fsutil::open_regular(path, true).map_err(|e| refuse(e.to_string()))?;
    let too_large = || refuse(format!("larger than the limit of {}", size_words(cap)));
    if meta.len() > cap {
        return Err(too_large());
    }
    let mut file = file;
    let mut buf = Vec::new();
    (&mut file)
        .take(head)
        .read_to_end(&mut buf)
        .map_err(|e| refuse(e.to_string()))?;
    check(&buf)?;
    buf.reserve(usize::try_from(meta.len()).unwrap_or(0));
    file.take((cap + 1).saturating_sub(buf.len() as u64))
        .read_to_end(&mut buf)
        .map_err(|e| refuse(e.to_string()))?;
    if buf.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(buf)
}

/// `256 MiB`, `64 KiB`.
fn size_words(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Reads an artifact file (at most [`MAX_ARTIFACT_BYTES`]).
/// Its first eight bytes are read first: a file without the artifact's magic is refused
/// (as [`ArtifactError::Foreign`]) before the rest is read.
pub fn read_artifact(path: &Path) -> Result<Vec<u8>, CliError> {
    use numplan::artifact::MAGIC;
    read_capped_checked(
        path,
        MAX_ARTIFACT_BYTES,
        "the artifact",
        MAGIC.len() as u64,
        |head| {
            if head.len() == MAGIC.len() && head != MAGIC {
                return Err(CliError::artifact(
                    &path.display().to_string(),
                    &ArtifactError::Foreign,
                ));
            }
            Ok(())
        },
    )
}

/// Reads a key or signature file (at most [`MAX_KEY_BYTES`]) as text.
pub fn read_key_text(path: &Path, what: &str) -> Result<String, CliError> {
    Ok(String::from_utf8_lossy(&read_capped(path, MAX_KEY_BYTES, what)?).into_owned())
}

/// Reads a minisign secret key; an encrypted one takes its password from NUMPLAN_KEY_PASSWORD.
pub fn read_secret_key(path: &Path) -> Result<numplan::minisign::SecretKey, CliError> {
    let text = read_key_text(path, "the secret key")?;
    let password = std::env::var("NUMPLAN_KEY_PASSWORD").ok();
    numplan::minisign::SecretKey::parse(&text, password.as_deref()).map_err(|e| {
        use numplan::minisign::MinisignError as M;
        let hint = match e {
            M::Encrypted => "; set its password in the NUMPLAN_KEY_PASSWORD environment variable",
            M::WrongPassword => "; check the password in the NUMPLAN_KEY_PASSWORD environment variable",
            _ => "",
        };
        CliError::usage(format!("{}: {e}{hint}", path.display()))
    })
}

/// Reads a public key file.
pub fn read_public_key(path: &Path) -> Result<numplan::minisign::PublicKey, CliError> {
    let text = read_key_text(path, "the public key")?;
    numplan::minisign::PublicKey::parse(&text)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// Reads an artifact and, with a public key, its signature (`sig`, or `ARTIFACT.minisig`), both
/// under a shared lock of the artifact's directory, so that a writer replacing the pair cannot be
/// seen halfway (see `fsutil::DirLock`).
pub fn read_artifact_signed(
    path: &Path,
    public_key: Option<&Path>,
    sig: Option<&Path>,
) -> Result<(Vec<u8>, Option<String>), CliError> {
    let _lock = public_key.map(|_| numplan::fsutil::DirLock::shared_for(path));
    let bytes = read_artifact(path)?;
    let minisig = match public_key {
        Some(_) => {
            let sig_path = sig.map_or_else(|| signature_path(path), Path::to_path_buf);
            Some(read_key_text(&sig_path, "the signature")?)
        }
        None => None,
    };
    Ok((bytes, minisig))
}

/// Opens an artifact and checks its digest; with a public key, its signature (`minisig`, read
/// beforehand under the directory's lock); its expiry; and the pinning options. Errors exit as
/// in `verify`. `path` names it in messages (`None`: the built-in plan).
pub fn open_trusted<'a>(
    path: Option<&Path>,
    bytes: &'a [u8],
    public_key: Option<&Path>,
    minisig: Option<&str>,
    pinning: &Pinning,
) -> Result<Artifact<'a>, CliError> {
    let name = path.map_or("the built-in plan".to_string(), |p| p.display().to_string());
    let key = match public_key {
        Some(path) => Some(read_public_key(path)?),
        None => None,
    };
    let options = numplan::artifact::VerifyOptions {
        signature: key
            .as_ref()
            .zip(minisig)
            .map(|(key, minisig)| numplan::artifact::SignatureCheck { key, minisig }),
        today: Some(today_utc()),
        last_seen_sequence: pinning.last_seen_sequence,
    };
    // The signature (with a key) is checked over the bytes before the index is walked.
    let artifact = Artifact::open_verified(bytes, &options)
        .map_err(|e| CliError::artifact(&name, &e))?
        .artifact;
    pinning.check_plan(&name, &artifact)?;
    Ok(artifact)
}

/// `ARTIFACT.minisig`.
pub fn signature_path(artifact: &Path) -> std::path::PathBuf {
    let mut s = artifact.as_os_str().to_owned();
    s.push(".minisig");
    s.into()
}

/// The exit status for an artifact error.
pub fn artifact_exit_code(e: &ArtifactError) -> u8 {
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

/// Which artifact `export` and `serve` read, and how it must be signed.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ArtifactSource {
    /// The artifact (default: the French plan built into numplan).
    #[arg(long, value_name = "ARTIFACT")]
    pub plan: Option<std::path::PathBuf>,
    /// Verify the artifact's signature with this public key first (`serve`: at start and at
    /// every reload).
    #[arg(long = "pub", value_name = "KEY", requires = "plan")]
    pub public_key: Option<std::path::PathBuf>,
    /// The signature file (default: ARTIFACT.minisig).
    #[arg(long, value_name = "FILE", requires = "public_key")]
    pub sig: Option<std::path::PathBuf>,
}

/// The pinning options every consumer of an artifact takes (`verify`, `query`, `diff`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Pinning {
    /// Refuse an artifact of another plan than this id (exit 7), e.g. `fr`.
    #[arg(long, value_name = "ID")]
    pub expect_plan: Option<String>,
    /// The newest sequence number already accepted: an older artifact is refused as a rollback
    /// (exit 6).
    #[arg(long, value_name = "N")]
    pub last_seen_sequence: Option<u64>,
}

impl Pinning {
    /// Checks `--expect-plan` (the sequence is checked by `Artifact::verify`).
    pub fn check_plan(&self, name: &str, a: &Artifact<'_>) -> Result<(), CliError> {
        match &self.expect_plan {
            Some(id) if id != a.plan_id() => Err(CliError::with_code(
                EXIT_WRONG_PLAN,
                format!(
                    "{name}: the artifact is of plan `{}`, not of the expected plan `{id}`",
                    a.plan_id()
                ),
            )),
            _ => Ok(()),
        }
    }
}

pub use numplan::artifact::hex;

/// Today's date in time zone `tz`, from the system clock (through jiff); `None` for a zone this
/// build does not know.
pub fn today_in_zone(tz: &str) -> Option<numplan::date::Date> {
    let zone = jiff::tz::TimeZone::get(tz).ok()?;
    Some(date_of(zone.to_datetime(jiff::Timestamp::now()).date()))
}

/// Today's date in time zone `tz` (in UTC for a zone this build does not know).
pub fn today_in(tz: &str) -> numplan::date::Date {
    today_in_zone(tz).unwrap_or_else(today_utc)
}

/// Today's date in UTC, from the system clock (through jiff).
pub fn today_utc() -> numplan::date::Date {
    date_of(jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date())
}

/// A jiff civil date as a numplan date (every jiff date is a valid civil date).
pub fn date_of(d: jiff::civil::Date) -> numplan::date::Date {
    numplan::date::Date::new(i32::from(d.year()), d.month() as u32, d.day() as u32)
        .or_else(|| numplan::date::Date::new(1970, 1, 1))
        .expect("1970-01-01 is a valid date")
}

#[cfg(test)]
mod tests {
    use super::{Escaping, has_controls};

    #[test]
    fn the_byte_scan_finds_exactly_the_escaped_characters() {
        // Every character up to U+3000, alone and inside French text: the scan agrees with the
        // character-level rule of `escape_controls` (tab and line feed are the layout's own).
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            let escaped =
                c != '\t' && c != '\n' && super::escape_controls(c.encode_utf8(&mut [0; 4])) != c.to_string();
            let long = format!(
                "{}Numéros … « {c} » l’été, ’’’’’’’’’ {}",
                "x".repeat(37),
                "y".repeat(40)
            );
            for text in [c.to_string(), format!("Numéros … « {c} » l’été"), long] {
                assert_eq!(
                    has_controls(text.as_bytes()),
                    escaped,
                    "U+{:04X} in {text:?}",
                    u32::from(c)
                );
            }
        }
    }
    use std::io::Write;

    #[test]
    fn the_escaping_writer_keeps_layout_and_text_and_escapes_controls() {
        let line = "é\t§ €\u{1b}]0;x\u{7}\u{9b}\u{202e}\n";
        let mut text = Escaping::text(Vec::new());
        text.write_all(line.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(text.inner).unwrap(),
            "é\t§ €\\u{1b}]0;x\\u{7}\\u{9b}\\u{202e}\n"
        );
        let mut json = Escaping::json(Vec::new());
        json.write_all("{\"a\":\"é€\u{9b}\u{2067}\"}\n".as_bytes())
            .unwrap();
        let written = String::from_utf8(json.inner).unwrap();
        assert_eq!(written, "{\"a\":\"é€\\u009b\\u2067\"}\n");
        let v: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(v["a"], "é€\u{9b}\u{2067}");
    }
}
