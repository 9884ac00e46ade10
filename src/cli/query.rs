//! `numplan query`: what a number is, whose it is, and whether it may be shown as caller ID.

use super::{CliError, EXIT_FAIL, EXIT_OK, Pinning, escape_controls};
use numplan::artifact::{
    Answer, Artifact, Context, Doubt, Holding, Lookup, LookupError, RegisterRow, Ruling,
};
use numplan::date::Date;
use numplan::number::MAX_INPUT_BYTES;
use numplan::plan::Verdict;
use serde::Serialize;
use serde::ser::SerializeMap;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// What is this number, on this date: category, territory, block holder, and the verdict for
/// each use the plan rules on (may it be presented as caller ID, by whom), with every reason.
///
/// NUMBER is written as people and switches write it: `0162123456`, `01 62 12 34 56`,
/// `01.62.12.34.56`, `+33 1 62 12 34 56`, `+33 (0)1 62 12 34 56`, `0033162123456`, `33162123456`,
/// `+590 590 12 34 56`, `15`. A number typed with spaces as several arguments (`query 01 62 12 34
/// 56`) is read as one number. `-` reads numbers from standard input, one per line, answered in
/// order; a line longer than any number is answered as invalid, and reading goes on.
///
/// Digit groups typed as separate arguments are joined only into a number of the plan whose
/// parts are not numbers by themselves: `query 15 17 18` is three numbers.
///
/// Sources (`FILE:LINE`) are relative to the plan's source directory.
///
/// Exit status: 0 every input is a valid number (with --use: every verdict is `allowed`); 1 some
/// are not (each is still answered; with --use, a `conditional`, `forbidden` or `unknown` verdict
/// counts as not allowed); 2 usage or I/O error; 3 to 7 the artifact is refused, as in `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The numbers, or `-` for standard input.
    #[arg(required = true, value_name = "NUMBER")]
    numbers: Vec<String>,
    /// The artifact to query (default: the French plan built into numplan). Repeat it, or name
    /// a directory (its `*.npa` files, by name), to query several plans: a number written with a
    /// country code (`+1 …`, `+33 …`, or after a plan's international prefix: `011 33 …`) is
    /// answered by the plan that has that code, one written without by the first plan in which
    /// it is a valid number (else by the first plan).
    #[arg(long, value_name = "ARTIFACT|DIR")]
    plan: Vec<PathBuf>,
    /// Verify the artifact's signature with this public key first.
    #[arg(long = "pub", value_name = "KEY", requires = "plan")]
    public_key: Option<PathBuf>,
    /// The signature file (default: ARTIFACT.minisig; only with a single artifact).
    #[arg(long, value_name = "FILE", requires = "public_key")]
    sig: Option<PathBuf>,
    /// The date to answer for (YYYY-MM-DD; default: today in the number's territory).
    #[arg(long, value_parser = super::compile::parse_date)]
    at: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Judge one use of the plan (e.g. `automated-voice`): the verdict with every reason and its
    /// legal basis; exit 0 only when every number is allowed.
    #[arg(long = "use", visible_alias = "rule", value_name = "USE")]
    use_id: Option<String>,
    /// What you know about the call, as a context key of the plan (repeatable), e.g.
    /// `--context from-abroad=yes`: it settles the conditions that depend on it.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    #[command(flatten)]
    pinning: Pinning,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// For people.
    Text,
    /// One JSON object per line (fields in docs/query-output.md).
    Json,
    /// Tab-separated values with a header line, for pipelines.
    Tsv,
}

/// The artifacts `--plan` names: files as given, directories as their `*.npa` files in name
/// order.
fn artifact_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for path in given {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| CliError::usage(format!("cannot read the directory {}: {e}", path.display())))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry
                .map_err(|e| CliError::usage(format!("cannot read the directory {}: {e}", path.display())))?;
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "npa") {
                found.push(p);
            }
        }
        if found.is_empty() {
            return Err(CliError::usage(format!(
                "{}: a directory without artifacts (*.npa)",
                path.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Runs `query`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let paths = artifact_paths(&args.plan)?;
    if paths.len() > 1 && args.sig.is_some() {
        return Err(CliError::usage(
            "--sig names the signature of one artifact; with several, each is ARTIFACT.minisig",
        ));
    }
    // With --pub, each artifact and its signature are read under a shared lock of the
    // artifact's directory (see `fsutil::DirLock`), released before the answers.
    let mut owned: Vec<(Vec<u8>, Option<String>)> = Vec::new();
    for path in &paths {
        owned.push(super::read_artifact_signed(
            path,
            args.public_key.as_deref(),
            args.sig.as_deref(),
        )?);
    }
    let mut artifacts: Vec<Artifact<'_>> = Vec::new();
    if paths.is_empty() {
        artifacts.push(open_verified(&args, None, numplan::embedded::FR, None)?);
    }
    for (path, (bytes, sig)) in paths.iter().zip(&owned) {
        artifacts.push(open_verified(&args, Some(path), bytes, sig.as_deref())?);
    }
    // The TSV columns: every use of every plan, in order of first appearance.
    let mut columns: Vec<&str> = Vec::new();
    for a in &artifacts {
        for u in a.uses() {
            if !columns.contains(&u.id) {
                columns.push(u.id);
            }
        }
    }
    let several = artifacts.len() > 1;
    let mut queriers = Vec::new();
    for artifact in &artifacts {
        let selected = match &args.use_id {
            None => None,
            Some(id) => match artifact.use_row(id) {
                Some(row) => Some(row),
                None if several => {
                    return Err(CliError::usage(format!(
                        "plan `{}`: {}",
                        artifact.plan_id(),
                        unknown_use(artifact, id)
                    )));
                }
                None => return Err(CliError::usage(unknown_use(artifact, id))),
            },
        };
        let ctx = parse_context(artifact, &args.context).map_err(|e| {
            CliError::usage(if several {
                format!("plan `{}`: {e}", artifact.plan_id())
            } else {
                e
            })
        })?;
        let mut q = Querier::new(artifact, args.format, args.at, ctx);
        q.selected = selected;
        q.columns = columns.iter().map(|id| artifact.use_row(id)).collect();
        q.show_plan = several;
        queriers.push(q);
    }
    let plans: Vec<&Artifact<'_>> = artifacts.iter().collect();
    let route_day = args.at.unwrap_or_else(super::today_utc);
    let stdout = std::io::stdout();
    // Plan text (names, sources, reasons) comes from the artifact: escaped on the way out.
    let buffered = Batched::new(stdout.lock());
    let mut out = if args.format == Format::Json {
        super::Escaping::json(buffered)
    } else {
        super::Escaping::text(buffered)
    };
    let result = (|| -> Result<(), Failure> {
        queriers[0].header(&mut out, &columns).map_err(Failure::Write)?;
        let mut answer = |out: &mut _, text: &str| -> std::io::Result<()> {
            let (i, asked) = route(&plans, text, route_day);
            queriers[i].answer(out, text, &asked)
        };
        if args.numbers.len() == 1 && args.numbers[0] == "-" {
            let stdin = std::io::stdin();
            let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
            let mut line = Vec::new();
            while read_line(&mut input, &mut line).map_err(Failure::Read)? {
                // A line that is not UTF-8 is still answered (as not a number), never fatal.
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                answer(&mut out, text).map_err(Failure::Write)?;
            }
        } else {
            for number in group_arguments(&plans, &args.numbers, args.at) {
                answer(&mut out, &number).map_err(Failure::Write)?;
            }
        }
        for q in &queriers {
            q.trailer(&mut out).map_err(Failure::Write)?;
        }
        out.flush().map_err(Failure::Write)
    })();
    let all_ok = queriers.iter().all(|q| q.all_ok);
    match result {
        Ok(()) => Ok(ExitCode::from(if all_ok { EXIT_OK } else { EXIT_FAIL })),
        // `numplan query - | head` closes the pipe early: not an error.
        Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::from(EXIT_OK)),
        Err(Failure::Write(e)) => Err(CliError::usage(format!("cannot write the answers: {e}"))),
        Err(Failure::Read(e)) => Err(CliError::usage(format!("cannot read standard input: {e}"))),
    }
}

/// The answers' way out: like a `BufWriter` of 64 KiB, except that a kept JSON tail (1 to 8 KB,
/// most of a line) is not copied into the buffer but handed over where it is, with the buffered
/// bytes around it, in one `writev` of up to [`BATCH_KEPT`] tails.
struct Batched<W: Write> {
    inner: W,
    /// What was written, kept tails aside.
    buf: Vec<u8>,
    /// The kept tails, each with the length of `buf` when it came (where it goes).
    kept: Vec<(usize, std::sync::Arc<[u8]>)>,
}

/// The buffered bytes that make `Batched` write.
const BATCH_BYTES: usize = 1 << 16;
/// The kept tails that make `Batched` write: one `writev` takes at most 1,024 slices (`IOV_MAX`
/// on Linux), a tail and the bytes before it two.
const BATCH_KEPT: usize = 500;
/// Kept bytes shorter than this are copied: a slice of their own would cost more.
const BATCH_COPIED: usize = 512;

impl<W: Write> Batched<W> {
    fn new(inner: W) -> Batched<W> {
        Batched {
            inner,
            buf: Vec::with_capacity(BATCH_BYTES + (4 << 10)),
            kept: Vec::with_capacity(BATCH_KEPT),
        }
    }

    /// Writes what is buffered and kept, in order. After an error the batch is dropped, part of
    /// it perhaps written: nothing is written twice, and the stream has failed anyway.
    fn write_batch(&mut self) -> std::io::Result<()> {
        let result = self.write_all_kept();
        self.buf.clear();
        self.kept.clear();
        result
    }

    fn write_all_kept(&mut self) -> std::io::Result<()> {
        let Batched { inner, buf, kept } = self;
        if kept.is_empty() {
            return inner.write_all(buf);
        }
        let mut slices = Vec::with_capacity(2 * kept.len() + 1);
        let mut from = 0;
        for (at, tail) in kept.iter() {
            if *at > from {
                slices.push(std::io::IoSlice::new(&buf[from..*at]));
            }
            slices.push(std::io::IoSlice::new(tail));
            from = *at;
        }
        if from < buf.len() {
            slices.push(std::io::IoSlice::new(&buf[from..]));
        }
        let mut left = &mut slices[..];
        while !left.is_empty() {
            match inner.write_vectored(left) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => std::io::IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for Batched<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= BATCH_BYTES {
            self.write_batch()?;
        }
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write(bytes).map(drop)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_batch()?;
        self.inner.flush()
    }
}

impl<W: Write> super::KeepWrite for Batched<W> {
    fn write_kept(&mut self, kept: &std::sync::Arc<[u8]>) -> std::io::Result<()> {
        if kept.len() < BATCH_COPIED {
            return self.write_all(kept);
        }
        self.kept.push((self.buf.len(), std::sync::Arc::clone(kept)));
        if self.kept.len() >= BATCH_KEPT {
            self.write_batch()?;
        }
        Ok(())
    }
}

impl<W: Write> Drop for Batched<W> {
    /// Writes what is left, as `BufWriter` does (answers before a read error are not lost);
    /// an error then is ignored.
    fn drop(&mut self) {
        let _ = self.write_batch();
    }
}

/// Which plan answers `input`, and the input to ask it: with one plan, that plan and the input
/// as written. With several, in this order:
///
/// 1. the first plan in which it is a valid number, asked as written;
/// 2. when a plan reads it as another country's number (`011 44 …` dialled from Canada, `+33 …`),
///    the plan that has that country code, asked `+CC …` (valid there or not: its answer says);
/// 3. a plan that reads it so and that no plan has: another country's number, answered as such;
/// 4. a plan whose foreign territory holds it (a US number under +1): another plan's;
/// 5. a plan with a range for it (a wrong length, a range not yet in force): malformed there;
/// 6. else the first plan, whose answer says why it is no number of any.
///
/// International readings come before national ones: a plan's international prefix (`00`,
/// `011`) is no start of a national number elsewhere worth a verdict.
fn route<'i>(plans: &[&Artifact<'_>], input: &'i str, day: Date) -> (usize, std::borrow::Cow<'i, str>) {
    use numplan::number::NumberError;
    use std::borrow::Cow;
    if plans.len() < 2 {
        return (0, Cow::Borrowed(input));
    }
    let (mut abroad, mut foreign, mut ranged) = (None, None, None);
    let mut routed: Option<(usize, String)> = None;
    for (i, plan) in plans.iter().enumerate() {
        match plan.lookup(input, day) {
            Ok(_) => return (i, Cow::Borrowed(input)),
            Err(e @ LookupError::Number(NumberError::UnknownCountryCode { .. })) => {
                let LookupError::Number(NumberError::UnknownCountryCode { digits }) = &e else {
                    unreachable!("matched above")
                };
                let asked = format!("+{digits}");
                for (j, other) in plans.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    match other.lookup(&asked, day) {
                        Ok(_) => return (j, Cow::Owned(asked)),
                        // `other` has the country code: the number is its, malformed there.
                        Err(LookupError::Number(
                            NumberError::UnknownCountryCode { .. } | NumberError::NotACountryCode { .. },
                        )) => {}
                        Err(_) => {
                            routed.get_or_insert((j, asked.clone()));
                        }
                    }
                }
                if e.is_other_plan() {
                    abroad.get_or_insert(i);
                }
            }
            Err(LookupError::OtherPlan { .. }) => {
                foreign.get_or_insert(i);
            }
            Err(LookupError::Number(_) | LookupError::UnknownPrefix { .. }) => {}
            Err(_) => {
                ranged.get_or_insert(i);
            }
        }
    }
    if let Some((j, asked)) = routed {
        return (j, Cow::Owned(asked));
    }
    (abroad.or(foreign).or(ranged).unwrap_or(0), Cow::Borrowed(input))
}

/// Why answering stopped: reading the input or writing the answers failed.
enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Reads one line of at most [`MAX_INPUT_BYTES`] (and its line break) into `line`; the rest of a
/// longer line is skipped without being kept, so that `line` holds a prefix one byte over the
/// limit, which the lookup refuses as too long. `false` at the end of the input.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    line.clear();
    let cap = MAX_INPUT_BYTES as u64 + 2; // the line, one byte over, and `\n`
    if input.by_ref().take(cap).read_until(b'\n', line)? == 0 {
        return Ok(false);
    }
    if line.last() != Some(&b'\n') && line.len() as u64 == cap {
        // Skip to the end of the line, a buffer at a time.
        line.truncate(MAX_INPUT_BYTES + 1);
        loop {
            let (done, used) = {
                let buf = input.fill_buf()?;
                match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (buf.is_empty(), buf.len()),
                }
            };
            input.consume(used);
            if done {
                break;
            }
        }
    }
    Ok(true)
}

/// An input as the outputs echo it: control characters escaped, and an input over the limit cut
/// short (it is refused as too long anyway).
fn shown(input: &str) -> std::borrow::Cow<'_, str> {
    if input.len() > MAX_INPUT_BYTES {
        let cut: String = input.chars().take(32).collect();
        return format!("{}…", escape_controls(&cut)).into();
    }
    escape_controls(input)
}

/// The message for `--use` with a name the plan does not declare as a use.
fn unknown_use(artifact: &Artifact<'_>, id: &str) -> String {
    let uses: Vec<&str> = artifact.uses().map(|u| u.id).collect();
    let list = if uses.is_empty() {
        "this plan declares no use".to_string()
    } else {
        format!("the plan's uses are: {}", uses.join(", "))
    };
    if artifact.rules().any(|r| r.id == id) {
        format!(
            "`{id}` is a rule of the plan, not a use: verdicts are given for uses ({list}); \
             rules are shown in every answer"
        )
    } else {
        format!("unknown use `{id}`; {list}")
    }
}

/// Reads `--context KEY=VALUE` arguments against the plan's context keys.
pub(super) fn parse_context(artifact: &Artifact<'_>, given: &[String]) -> Result<Context, String> {
    let mut pairs = Vec::new();
    for g in given {
        let Some((key, value)) = g.split_once('=') else {
            let keys: Vec<&str> = artifact.context_keys().map(|k| k.id).collect();
            let keys = if keys.is_empty() {
                "it has none".to_string()
            } else {
                keys.join(", ")
            };
            return Err(format!(
                "--context `{g}`: expected KEY=VALUE, with a context key of the plan ({keys})"
            ));
        };
        pairs.push((key.trim(), value.trim()));
    }
    artifact.context(&pairs).map_err(|e| format!("--context: {e}"))
}

/// Opens an artifact as `query` trusts it (see [`super::open_trusted`]).
fn open_verified<'a>(
    args: &Args,
    path: Option<&std::path::Path>,
    bytes: &'a [u8],
    sig: Option<&str>,
) -> Result<Artifact<'a>, CliError> {
    super::open_trusted(path, bytes, args.public_key.as_deref(), sig, &args.pinning)
}

/// The most digit groups joined into one number, and the most digits: bounds that keep grouping
/// linear in the number of arguments.
const MAX_GROUP_PARTS: usize = 12;

/// Reads arguments typed without quotes: consecutive digit groups (`01 62 12 34 56`, `+590 590
/// 12 34 56`) are joined into the shortest run that is a number of the plan, when none of its
/// parts is one by itself (`15 17 18` are three numbers). A group from which no run makes a number
/// is an input by itself (`1 1 1` are three invalid inputs, not one `111`), as is any other
/// argument. Each argument is looked up alone once, and each start tries at most
/// [`MAX_GROUP_PARTS`] parts: linear in the arguments.
fn group_arguments(plans: &[&Artifact<'_>], args: &[String], at: Option<Date>) -> Vec<String> {
    // A digit group: 1 to 4 digits, after a `+` or inside parentheses (`(0)` after a country
    // code, `(613)` before a number).
    let is_group = |a: &String| {
        let digits = a
            .strip_prefix('(')
            .and_then(|a| a.strip_suffix(')'))
            .or_else(|| a.strip_prefix('+'))
            .unwrap_or(a);
        (1..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let day = at.unwrap_or_else(super::today_utc);
    // A whole number: valid in its plan, or another plan's number as a whole (`+1 212 555 1234`
    // in the Canadian plan alone, `+44 20 7946 0000` in the French one).
    // What a run of groups makes: a valid number of its plan, another plan's number as a whole,
    // or neither.
    #[derive(PartialEq)]
    enum Makes {
        Valid,
        OtherPlan,
        Nothing,
    }
    let makes = |s: &str| {
        let (i, asked) = route(plans, s, day);
        match plans[i].lookup(&asked, day) {
            Ok(_) => Makes::Valid,
            Err(e) if e.is_other_plan() => Makes::OtherPlan,
            Err(_) => Makes::Nothing,
        }
    };
    let valid = |s: &str| makes(s) != Makes::Nothing;
    // Per argument: a digit group that is not a number by itself (joinable), or not.
    let joinable: Vec<bool> = args.iter().map(|a| is_group(a) && !valid(a)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if !joinable[i] {
            out.push(args[i].clone());
            i += 1;
            continue;
        }
        // The run's end within reach: never scanned past MAX_GROUP_PARTS, so linear.
        let reach = args.len().min(i + MAX_GROUP_PARTS);
        let end = (i..reach).find(|&k| !joinable[k]).unwrap_or(reach);
        let mut joined = args[i].clone();
        let (mut found, mut other) = (None, None);
        for (j, part) in args.iter().enumerate().take(end).skip(i + 1) {
            joined.push(' ');
            joined.push_str(part);
            match makes(&joined) {
                Makes::Valid => {
                    found = Some(j + 1);
                    break;
                }
                Makes::OtherPlan => other = Some(j + 1),
                Makes::Nothing => {}
            }
        }
        // Joined into the shortest run that is a number of a plan; failing that, the longest
        // that is another plan's number (whose length this plan cannot check: `+44 20 7946
        // 0000` is still one after `+44 20 7946`); otherwise this group stands alone and the
        // next one starts its own run.
        let j = found.or(other).unwrap_or(i + 1);
        out.push(args[i..j].join(" "));
        i = j;
    }
    out
}

/// Answers numbers in one format, tracking whether all were valid (or allowed).
pub(super) struct Querier<'a> {
    artifact: &'a Artifact<'a>,
    at: Option<Date>,
    /// Today per time zone, computed once (a handful of zones: a list beats hashing).
    today: Vec<(&'a str, Date)>,
    format: Format,
    /// The use judged with `--use`.
    selected: Option<u32>,
    /// Every use of the plan: row and id.
    uses: Vec<(u32, &'a str)>,
    /// The TSV verdict columns (every plan's uses, when several plans answer): this plan's row
    /// of each, `None` (an empty cell) for a use it does not rule on.
    columns: Vec<Option<u32>>,
    ctx: Context,
    rule_ids: Vec<&'a str>,
    /// Whether the plan has a register (else `allocated` is unknown: empty, or null).
    has_register: bool,
    /// Per range row: the date, and the TSV columns category and territory and the verdict of
    /// every use if allocated and if not (streams repeat the same few ranges on the same date).
    tsv_cache: Vec<Option<TsvColumns>>,
    /// No cells (for a range row out of the cache's bounds).
    tsv_empty: TsvColumns,
    /// The verdict cells of invalid inputs, for one date.
    tsv_invalid: Option<((Date, bool), Vec<u8>)>,
    all_ok: bool,
    /// Whether a source (`FILE:LINE`) was printed in text, to say once what it is relative to.
    sources_shown: std::cell::Cell<bool>,
    /// Several plans answer: text says which one answered.
    show_plan: bool,
    /// The JSON tails of valid numbers, by day and index key (see `write_json`).
    json_tails: TailMap,
    /// The head of the JSON line being written (kept for its allocation).
    json_head: Vec<u8>,
    /// The JSON tails of the last invalid inputs, by day and error (see `write_json_invalid`).
    json_invalid: Vec<(Date, LookupError, std::sync::Arc<[u8]>)>,
    /// Tails shared with other queriers of the same artifact (a server's requests), used
    /// instead of `json_tails` when the context is empty.
    shared_tails: Option<&'a SharedTails>,
}

/// JSON tails by day and index key (see [`tail_key`]), and their size in bytes.
#[derive(Default)]
struct TailMap {
    tails: std::collections::HashMap<(Date, u128), std::sync::Arc<[u8]>, FxBuild>,
    bytes: usize,
}

/// An index key as a number, for keeping tails by it: a nibble per digit (the digit plus one,
/// so that `0` and `00` differ), in order. `None` for a key that is empty, longer than 31
/// digits or not all digits (only a crafted artifact has one): its tail is not kept.
fn tail_key(prefix: &str) -> Option<u128> {
    if prefix.is_empty() || prefix.len() > 31 {
        return None;
    }
    let mut key = 0u128;
    for b in prefix.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        key = key << 4 | u128::from(b - b'0' + 1);
    }
    Some(key)
}

/// The hasher of [`TailMap`]: rustc's FxHash (a rotate, a xor and a multiply per word), for
/// keys that are a date and a number; the keys come from the artifact, not from the input, so
/// no input can choose collisions.
#[derive(Clone, Copy, Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// JSON tails of one artifact, shared between queriers (one a request, in `serve`), for
/// answers without context.
#[derive(Default)]
pub(super) struct SharedTails(std::sync::Mutex<TailMap>);

/// What the TSV writer caches per range row: cells written out once.
#[derive(Clone, Default)]
struct TsvColumns {
    /// The date the cells are for (`None`: none yet).
    date: Option<Date>,
    /// `\tcategory\tterritory`.
    place: Vec<u8>,
    /// The verdict cells of every use (`\tallowed\tforbidden…`): when allocated, when not.
    verdicts: [Vec<u8>; 2],
}

impl<'a> Querier<'a> {
    /// A querier of one plan answering in `format`, on day `at` (`None`: today in the number's
    /// territory), in context `ctx`: every use judged, the TSV columns those of this plan.
    pub(super) fn new(
        artifact: &'a Artifact<'a>,
        format: Format,
        at: Option<Date>,
        ctx: Context,
    ) -> Querier<'a> {
        let uses: Vec<(u32, &str)> = artifact
            .uses()
            .enumerate()
            .map(|(i, u)| (i as u32, u.id))
            .collect();
        let tsv_rows = if format == Format::Tsv {
            artifact.range_count().min(1 << 20) as usize
        } else {
            0
        };
        Querier {
            artifact,
            at,
            today: Vec::new(),
            format,
            selected: None,
            columns: uses.iter().map(|&(row, _)| Some(row)).collect(),
            uses,
            ctx,
            rule_ids: artifact.rules().map(|r| r.id).collect(),
            has_register: artifact.has_register(),
            tsv_cache: vec![None; tsv_rows],
            tsv_empty: TsvColumns::default(),
            tsv_invalid: None,
            all_ok: true,
            sources_shown: std::cell::Cell::new(false),
            show_plan: false,
            json_tails: TailMap::default(),
            json_head: Vec::with_capacity(256),
            json_invalid: Vec::new(),
            shared_tails: None,
        }
    }

    /// Keeps the JSON tails in `shared` (for answers without context), which other queriers of
    /// the same artifact use too.
    pub(super) fn with_shared_tails(mut self, shared: &'a SharedTails) -> Querier<'a> {
        if self.ctx.is_empty() {
            self.shared_tails = Some(shared);
        }
        self
    }

    /// The TSV header line (nothing in the other formats).
    pub(super) fn header(&self, out: &mut impl Write, columns: &[&str]) -> std::io::Result<()> {
        if self.format != Format::Tsv {
            return Ok(());
        }
        out.write_all(if self.show_plan { b"input\tplan" } else { b"input" })?;
        if self.selected.is_some() {
            return writeln!(out, "\tvalid\tnational\tallocated\tuse\tverdict\treason\tbasis");
        }
        out.write_all(b"\tvalid\te164\tnational\tcategory\tterritory\tallocated")?;
        for id in columns {
            write!(out, "\t{}", tsv(id))?;
        }
        out.write_all(b"\tholder\terror\n")
    }

    /// After the answers: in text, once, what the printed sources are relative to.
    fn trailer(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.format == Format::Text && self.sources_shown.get() {
            writeln!(
                out,
                "note: sources (FILE:LINE) are relative to the source directory of plan `{}`",
                esc(self.artifact.plan_id())
            )?;
        }
        Ok(())
    }

    /// Today in time zone `tz`.
    fn today_in(&mut self, tz: &'a str) -> Date {
        if let Some((_, d)) = self.today.iter().find(|(z, _)| std::ptr::eq(*z, tz) || *z == tz) {
            return *d;
        }
        let d = super::today_in_zone(tz).unwrap_or_else(|| {
            // An artifact of an older compiler, or a crafted one: said once per zone, not silently.
            super::print_stderr(&format!(
                "warning: time zone `{}` of the artifact is not known to this build; today is taken \
                 in UTC (pass --at DATE to choose the day)\n",
                super::escape_controls(tz)
            ));
            super::today_utc()
        });
        self.today.push((tz, d));
        d
    }

    /// Looks `input` up on the asked date, or today in the number's territory.
    fn lookup(&mut self, input: &str) -> (Date, Result<Lookup<'a>, LookupError>) {
        let artifact = self.artifact;
        if let Some(at) = self.at {
            return (at, artifact.lookup(input, at));
        }
        let plan_day = self.today_in(artifact.time_zone());
        let first = artifact.lookup(input, plan_day);
        // The territory's own calendar day may differ from the plan's (Réunion is UTC+4).
        if let Ok(found) = &first {
            let tz = found.answer.territory().time_zone;
            let day = self.today_in(tz);
            if day != plan_day {
                return (day, artifact.lookup(input, day));
            }
        }
        (plan_day, first)
    }

    /// The verdict of use `row` for a lookup, without words.
    fn verdict(&self, at: Date, result: &Result<Lookup<'a>, LookupError>, row: u32) -> Verdict {
        match result {
            Ok(found) => found.answer.verdict(row, &self.ctx),
            Err(e) => self.artifact.verdict_for_invalid(e, row, at, &self.ctx),
        }
    }

    /// The ruling of use `row` for a lookup, with every reason.
    fn ruling(&self, at: Date, result: &Result<Lookup<'a>, LookupError>, row: u32) -> Ruling<'a> {
        match result {
            Ok(found) => found.answer.ruling(row, &self.ctx),
            Err(e) => self.artifact.ruling_for_invalid(e, row, at, &self.ctx),
        }
    }

    /// Answers `raw` (as echoed), looking up `asked` (the same, or the `+CC …` form another
    /// plan read it as).
    pub(super) fn answer<W: super::KeepWrite>(
        &mut self,
        out: &mut super::Escaping<W>,
        raw: &str,
        asked: &str,
    ) -> std::io::Result<()> {
        let (at, result) = self.lookup(asked);
        // Echoed with control characters escaped (JSON escapes its own), never over the limit.
        let echo = if self.format == Format::Json && raw.len() <= MAX_INPUT_BYTES {
            raw.into()
        } else {
            shown(raw)
        };
        let input: &str = &echo;
        // With several plans, TSV says which answered.
        let plan = self.show_plan.then(|| self.artifact.plan_id());
        match self.selected {
            Some(row) => self.all_ok &= self.verdict(at, &result, row) == Verdict::Allowed,
            None => self.all_ok &= result.is_ok(),
        }
        match (self.format, self.selected) {
            (Format::Json, _) => self.write_json(out, input, at, &result),
            (Format::Tsv, None) => {
                let has_register = self.has_register;
                match &result {
                    Ok(found) => {
                        let holder = found.answer.holder_code();
                        let cells = self.tsv_cells(&found.answer);
                        let verdicts = &cells.verdicts[usize::from(holder.is_none())];
                        write_tsv_valid(
                            out,
                            input,
                            plan,
                            found,
                            &cells.place,
                            verdicts,
                            holder,
                            has_register,
                        )
                    }
                    Err(e) => {
                        let verdicts = self.tsv_invalid_cells(at, e);
                        write_tsv_invalid(out, input, plan, e, verdicts, has_register)
                    }
                }
            }
            (Format::Tsv, Some(row)) => {
                let r = self.ruling(at, &result, row);
                self.write_verdict_tsv(out, input, plan, &result, &r)
            }
            (Format::Text, None) => self.write_text(out, input, at, &result),
            (Format::Text, Some(row)) => {
                let r = self.ruling(at, &result, row);
                self.sources_shown.set(true);
                write_ruling_text(out, input, at, plan, &r)
            }
        }
    }

    /// Category, territory and every use's verdicts (if allocated, if not) of an answer, cached
    /// per range row and date.
    /// The TSV cells of an answer that depend only on its range row and date, cached: category
    /// and territory, and every use's verdict when the number is allocated and when not, each
    /// run of cells written out once (`\tcategory\tterritory`, `\tallowed\tforbidden…`).
    fn tsv_cells(&mut self, a: &Answer<'a>) -> &TsvColumns {
        let row = a.range_row() as usize;
        let fresh = matches!(self.tsv_cache.get(row), Some(Some(c)) if c.date == Some(a.date()));
        if !fresh && row < self.tsv_cache.len() {
            let ctx = &self.ctx;
            let mut place = b"\t".to_vec();
            place.extend_from_slice(tsv(a.category().id).as_bytes());
            place.push(b'\t');
            place.extend_from_slice(tsv(a.territory_id()).as_bytes());
            let verdicts = [true, false].map(|allocated| {
                let mut cells = Vec::new();
                for &u in &self.columns {
                    cells.push(b'\t');
                    if let Some(u) = u {
                        cells.extend_from_slice(a.verdict_if(u, ctx, allocated).as_str().as_bytes());
                    }
                }
                cells
            });
            self.tsv_cache[row] = Some(TsvColumns {
                date: Some(a.date()),
                place,
                verdicts,
            });
        }
        match self.tsv_cache.get(row) {
            Some(Some(c)) => c,
            // Only a malformed artifact has range rows beyond its table: no cells then.
            _ => &self.tsv_empty,
        }
    }

    /// The verdict cells of an input that is not a number of the plan, cached per date.
    fn tsv_invalid_cells(&mut self, at: Date, error: &LookupError) -> &[u8] {
        let key = (at, error.is_other_plan());
        if self.tsv_invalid.as_ref().is_none_or(|(k, _)| *k != key) {
            let mut cells = Vec::new();
            for &u in &self.columns {
                cells.push(b'\t');
                if let Some(u) = u {
                    cells.extend_from_slice(
                        self.artifact
                            .verdict_for_invalid(error, u, at, &self.ctx)
                            .as_str()
                            .as_bytes(),
                    );
                }
            }
            self.tsv_invalid = Some((key, cells));
        }
        self.tsv_invalid.as_ref().map_or(&[], |(_, c)| c)
    }

    fn verdicts_json(
        &self,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
    ) -> Vec<(&'a str, VerdictJson<'a>)> {
        self.uses
            .iter()
            .map(|&(row, id)| (id, VerdictJson::new(self.ruling(at, result, row))))
            .collect()
    }

    /// Whether a block holds the number: unknown (`None`) without a register, and for another
    /// plan's number, whose register this plan does not hold.
    fn allocated_json(&self, result: &Result<Lookup<'a>, LookupError>) -> Option<bool> {
        if result.as_ref().is_err_and(LookupError::is_other_plan) {
            return None;
        }
        self.has_register
            .then(|| result.as_ref().is_ok_and(|f| f.answer.is_allocated()))
    }

    /// The JSON line of an answer. A valid number's line is its own head (input, E.164 and
    /// national forms) and a tail that depends only on the index key that answered and the day
    /// (plan, day, category, territory, holder, verdicts, rules, doubts, basis, source): the
    /// tail is made once per key and day, escaped, and kept; the head is written field by field
    /// without serde, except for an input that needs escaping. The output is byte for byte
    /// [`Querier::write_json_whole`]'s (a test compares the two).
    fn write_json<W: super::KeepWrite>(
        &mut self,
        out: &mut super::Escaping<W>,
        input: &str,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
    ) -> std::io::Result<()> {
        let found = match result {
            Ok(found) => found,
            Err(e) => return self.write_json_invalid(out, input, at, e),
        };
        let tail = self.kept_tail(at, found)?;
        let mut head = std::mem::take(&mut self.json_head);
        head.clear();
        head.extend_from_slice(b"{\"input\":");
        // Plain text needs no escaping, by serde_json or by `Escaping`.
        let mut plain = push_json_str(&mut head, input)?;
        head.extend_from_slice(b",\"valid\":true,\"e164\":");
        match (found.significant(), found.country_code) {
            (Some(significant), Some(cc)) if is_plain(significant) => {
                head.extend_from_slice(b"\"+");
                head.extend_from_slice(numplan::number::decimal(cc, &mut [0; 10]));
                head.extend_from_slice(significant.as_bytes());
                head.push(b'"');
            }
            _ => {
                serde_json::to_writer(&mut head, &found.e164())?;
                plain = false;
            }
        }
        head.extend_from_slice(b",\"national\":");
        plain &= push_json_str(&mut head, found.national.as_str())?;
        self.write_head_and_tail(out, head, plain, &tail)
    }

    /// Writes a line's head (scanned for control characters unless `plain`: then it has none)
    /// and its kept tail; the head's buffer is kept for the next line.
    fn write_head_and_tail<W: super::KeepWrite>(
        &mut self,
        out: &mut super::Escaping<W>,
        head: Vec<u8>,
        plain: bool,
        tail: &std::sync::Arc<[u8]>,
    ) -> std::io::Result<()> {
        let written = if plain {
            out.write_escaped(&head)
        } else {
            out.write_all(&head)
        };
        self.json_head = head;
        written?;
        out.write_kept(tail)
    }

    /// The tail of a valid number's JSON line for its index key and day: kept, or made and
    /// kept (in the shared tails when there are some).
    fn kept_tail(&mut self, at: Date, found: &Lookup<'a>) -> std::io::Result<std::sync::Arc<[u8]>> {
        let Some(key) = tail_key(found.answer.prefix()).map(|k| (at, k)) else {
            return self.json_tail(at, found);
        };
        if let Some(shared) = self.shared_tails {
            let kept = shared
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .tails
                .get(&key)
                .cloned();
            if let Some(tail) = kept {
                return Ok(tail);
            }
            // Made outside the lock: requests for other keys go on meanwhile.
            let tail = self.json_tail(at, found)?;
            let mut tails = shared.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            keep(&mut tails, key, &tail, MAX_SHARED_TAIL_BYTES);
            return Ok(tail);
        }
        if let Some(tail) = self.json_tails.tails.get(&key) {
            return Ok(std::sync::Arc::clone(tail));
        }
        let tail = self.json_tail(at, found)?;
        keep(&mut self.json_tails, key, &tail, MAX_JSON_TAIL_BYTES);
        Ok(tail)
    }

    /// The tail of a valid number's JSON line, from `,"plan":` to the closing brace and line
    /// break, escaped.
    fn json_tail(&self, at: Date, found: &Lookup<'a>) -> std::io::Result<std::sync::Arc<[u8]>> {
        let mut json = Vec::with_capacity(8 << 10);
        json.extend_from_slice(b",\"plan\":");
        serde_json::to_writer(&mut json, self.artifact.plan_id())?;
        json.extend_from_slice(b",\"at\":");
        serde_json::to_writer(&mut json, &at.to_string())?;
        // `{"prefix":…}` becomes `,"prefix":…}\n`: the rest of the head's object.
        let start = json.len();
        serde_json::to_writer(&mut json, &self.tail(at, found))?;
        if let Some(first) = json.get_mut(start) {
            *first = b',';
        }
        json.push(b'\n');
        let mut escaped = super::Escaping::json(Vec::with_capacity(json.len()));
        escaped.write_all(&json)?;
        Ok(escaped.into_inner().into())
    }

    /// What an invalid input's JSON says after its head.
    fn invalid_tail<'y>(&'y self, at: Date, e: &'y LookupError, at_text: &'y str) -> InvalidTail<'y> {
        let result = Err(e.clone());
        InvalidTail {
            error: e.to_string(),
            national: e.national(),
            plan: self.artifact.plan_id(),
            at: at_text,
            allocated: self.allocated_json(&result),
            verdicts: Verdicts(self.verdicts_json(at, &result)),
        }
    }

    /// The JSON line of an input that is not a number of the plan: its head (input, `valid`),
    /// and the rest, which depends only on the error and the day, kept for the last
    /// [`KEPT_INVALID`] errors.
    fn write_json_invalid<W: super::KeepWrite>(
        &mut self,
        out: &mut super::Escaping<W>,
        input: &str,
        at: Date,
        e: &LookupError,
    ) -> std::io::Result<()> {
        let kept = self
            .json_invalid
            .iter()
            .find(|(day, error, _)| *day == at && error == e)
            .map(|(_, _, tail)| std::sync::Arc::clone(tail));
        let tail = match kept {
            Some(tail) => tail,
            None => {
                let mut json = serde_json::to_vec(&self.invalid_tail(at, e, &at.to_string()))?;
                // `{"error":…}` becomes `,"error":…}\n`: the rest of the head's object.
                if let Some(first) = json.first_mut() {
                    *first = b',';
                }
                json.push(b'\n');
                let mut escaped = super::Escaping::json(Vec::with_capacity(json.len()));
                escaped.write_all(&json)?;
                let tail: std::sync::Arc<[u8]> = escaped.into_inner().into();
                let entry = (at, e.clone(), std::sync::Arc::clone(&tail));
                if self.json_invalid.len() < KEPT_INVALID {
                    self.json_invalid.push(entry);
                } else {
                    // The oldest goes.
                    self.json_invalid.rotate_left(1);
                    if let Some(last) = self.json_invalid.last_mut() {
                        *last = entry;
                    }
                }
                tail
            }
        };
        let mut head = std::mem::take(&mut self.json_head);
        head.clear();
        head.extend_from_slice(b"{\"input\":");
        let plain = push_json_str(&mut head, input)?;
        head.extend_from_slice(b",\"valid\":false");
        self.write_head_and_tail(out, head, plain, &tail)
    }

    /// What a valid number's JSON says after its head.
    fn tail<'y>(&'y self, at: Date, found: &'y Lookup<'a>) -> Tail<'y> {
        let a = &found.answer;
        let territory = a.territory();
        let category = a.category();
        let result = Ok(found.clone());
        Tail {
            prefix: a.prefix(),
            category: category.id,
            category_name: category.name,
            territory: territory.id,
            territory_name: territory.name,
            country_code: territory.country_code,
            allocated: self.allocated_json(&result),
            holder: a.holder().map(HolderJson::new),
            status: a.register_row().and_then(StatusJson::new),
            verdicts: Verdicts(self.verdicts_json(at, &result)),
            rules: Rules {
                answer: a,
                ids: &self.rule_ids,
            },
            doubts: a.doubts().into_iter().map(DoubtJson::new).collect(),
            basis: basis(a),
            source: a.range().source.to_string(),
        }
    }

    /// The JSON line of an answer, serialised whole by serde_json: the reference the fast
    /// writer ([`Querier::write_json`]) is tested against.
    #[cfg(test)]
    fn write_json_whole(
        &self,
        out: &mut impl Write,
        input: &str,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
    ) -> std::io::Result<()> {
        let plan = self.artifact.plan_id();
        let at_text = at.to_string();
        // Serialised whole, then written in one call: `out` (an `Escaping`) scans one buffer
        // instead of serde's many small pieces.
        let mut buf = Vec::with_capacity(8 << 10);
        match result {
            Ok(found) => {
                let obj = Valid {
                    input,
                    valid: true,
                    e164: found.e164(),
                    national: &found.national,
                    plan,
                    at: &at_text,
                    tail: self.tail(at, found),
                };
                serde_json::to_writer(&mut buf, &obj)?;
            }
            Err(e) => {
                let obj = Invalid {
                    input,
                    valid: false,
                    tail: self.invalid_tail(at, e, &at_text),
                };
                serde_json::to_writer(&mut buf, &obj)?;
            }
        }
        buf.push(b'\n');
        out.write_all(&buf)
    }

    fn write_verdict_tsv(
        &self,
        out: &mut impl Write,
        input: &str,
        plan: Option<&str>,
        result: &Result<Lookup<'a>, LookupError>,
        r: &Ruling<'a>,
    ) -> std::io::Result<()> {
        let allocated = match self.allocated_json(result) {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        out.write_all(tsv(input).as_bytes())?;
        write_plan_cell(out, plan)?;
        writeln!(
            out,
            "\t{}\t{}\t{allocated}\t{}\t{}\t{}\t{}",
            result.is_ok(),
            result
                .as_ref()
                .map_or_else(|e| e.national().unwrap_or(""), |f| f.national.as_str()),
            tsv(r.use_id),
            r.verdict,
            tsv(&r.reason().text),
            tsv(r.reason().basis.unwrap_or(""))
        )
    }

    fn write_text(
        &self,
        out: &mut impl Write,
        input: &str,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
    ) -> std::io::Result<()> {
        let found = match result {
            Ok(found) => found,
            Err(e) => {
                writeln!(out, "{input}: invalid: {e}")?;
                if self.show_plan {
                    writeln!(out, "  plan       {}", esc(self.artifact.plan_id()))?;
                }
                for &(row, _) in &self.uses {
                    let r = self.ruling(at, result, row);
                    write_use_line(out, &r)?;
                }
                return Ok(());
            }
        };
        let a = &found.answer;
        let cat = a.category();
        let t = a.territory();
        let e164 = found.e164().unwrap_or_else(|| "(no E.164 form)".to_string());
        self.sources_shown.set(true);
        writeln!(out, "{input}: {e164}, on {at}")?;
        if self.show_plan {
            writeln!(out, "  plan       {}", esc(self.artifact.plan_id()))?;
        }
        writeln!(out, "  category   {} ({})", esc(cat.name), esc(cat.id))?;
        match t.country_code {
            Some(cc) => writeln!(out, "  territory  {} ({}, +{cc})", esc(t.name), esc(t.id))?,
            None => writeln!(
                out,
                "  territory  {} ({}, country code unknown)",
                esc(t.name),
                esc(t.id)
            )?,
        }
        let row = a.register_row();
        if let Some(row) = row.as_ref().filter(|r| r.status.is_some()) {
            let mut words = esc(row.status.unwrap_or("")).into_owned();
            if let Some(r) = row.remarks {
                words.push_str(&format!(" ({})", esc(r)));
            }
            let date = |d: Option<Date>| d.map_or_else(String::new, |d| d.to_string());
            let mut register = format!("register of {}", date(row.register));
            if let Some(current) = self.artifact.register_date()
                && at > current
            {
                register = format!("as of the register of {current}");
            }
            writeln!(
                out,
                "  status     {words}, block {} ({register})",
                esc(&row.block)
            )?;
        }
        match a.holder() {
            Some(h) => {
                let name = esc(h.name.unwrap_or("(name not published)"));
                let date = h.allocated.map_or(String::new(), |d| format!(", allocated {d}"));
                let register = h.register_note(self.artifact.register_date(), at);
                let note = format!("{date}{register}");
                writeln!(
                    out,
                    "  holder     {} {name}, holder of block {} ({})",
                    esc(h.code),
                    esc(&h.block),
                    note.trim_start_matches(", ")
                )?;
            }
            None if row.is_some() => {
                writeln!(out, "  holder     none: the register names no holder on {at}")?
            }
            None if self.has_register => writeln!(
                out,
                "  holder     none: no block of the register holds it on {at}"
            )?,
            None => {}
        }
        let rulings: Vec<Ruling<'a>> = self
            .uses
            .iter()
            .map(|&(row, _)| a.ruling(row, &self.ctx))
            .collect();
        for r in &rulings {
            write_use_line(out, r)?;
        }
        for r in a.rules() {
            writeln!(
                out,
                "  {:<16} {:<11} {} [{}]",
                esc(r.rule),
                esc(r.value),
                period(r.from, r.until),
                esc(r.basis)
            )?;
        }
        let own = a.doubts();
        for d in &own {
            writeln!(out, "  doubt      {} ({})", esc(&d.text), esc(&d.source))?;
        }
        // Each other doubt of a verdict once, with the uses it bears on.
        let mut seen: Vec<(&Doubt<'a>, Vec<&str>)> = Vec::new();
        for r in &rulings {
            for d in r.doubts.iter().filter(|d| !own.iter().any(|o| o.text == d.text)) {
                match seen.iter_mut().find(|(x, _)| x.text == d.text) {
                    Some((_, uses)) => uses.push(r.use_id),
                    None => seen.push((d, vec![r.use_id])),
                }
            }
        }
        for (d, uses) in seen {
            writeln!(
                out,
                "  doubt      {}: {} ({})",
                esc(&uses.join(", ")),
                esc(&d.text),
                esc(&d.source)
            )?;
        }
        writeln!(out, "  source     {}", esc(&a.range().source.to_string()))
    }
}

/// One line per use in the default text output: verdict, headline and its basis.
fn write_use_line(out: &mut impl Write, r: &Ruling<'_>) -> std::io::Result<()> {
    let head = r.reason();
    let basis = head.basis.map_or(String::new(), |b| format!(" [{}]", esc(b)));
    let doubt = if r.doubts.is_empty() { "" } else { " (doubt below)" };
    writeln!(
        out,
        "  {:<16} {:<11} {}{basis}{doubt}",
        esc(r.use_id),
        r.verdict.as_str(),
        esc(&head.text)
    )
}

/// `--use` in text: the verdict and headline, then every reason and doubt.
fn write_ruling_text(
    out: &mut impl Write,
    input: &str,
    at: Date,
    plan: Option<&str>,
    r: &Ruling<'_>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{input}: {} {} on {at}: {}",
        esc(r.use_id),
        r.verdict,
        esc(&r.reason().text)
    )?;
    // With several plans, which one answered, right under the headline.
    if let Some(p) = plan {
        writeln!(out, "  plan       {}", esc(p))?;
    }
    for reason in &r.reasons {
        let basis = reason.basis.map_or(String::new(), |b| format!(" [{}]", esc(b)));
        let source = if reason.source.is_empty() {
            String::new()
        } else {
            format!(" ({})", esc(&reason.source.to_string()))
        };
        writeln!(
            out,
            "  {:<14} {}{basis}{source}",
            reason.outcome.as_str(),
            esc(&reason.text)
        )?;
    }
    for d in &r.doubts {
        writeln!(out, "  {:<14} {} ({})", "doubt", esc(&d.text), esc(&d.source))?;
    }
    Ok(())
}

/// The legal bases of an answer: the category's, the range's, and each rule's, once each.
fn basis<'a>(a: &Answer<'a>) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::new();
    let mut push = |b: &'a str| {
        if !out.contains(&b) {
            out.push(b);
        }
    };
    if let Some(b) = a.category_basis() {
        push(b);
    }
    if let Some(b) = a.range().basis {
        push(b);
    }
    for r in a.rules() {
        push(r.basis);
    }
    out
}

fn period(from: Option<Date>, until: Option<Date>) -> String {
    numplan::plan::Period { from, until }.words()
}

/// A TSV field: tabs and line breaks would break the columns, and are written as `\u{9}`,
/// `\u{a}` (as every control character).
fn tsv(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s)
}

/// A value from the artifact (a name, id, text or source) in text output: its tabs and line
/// breaks escaped like every control character, so that the only raw ones are the output's own
/// layout (a line break in a name cannot forge a line).
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s)
}

/// Whether `s` is written as is inside a JSON string, by serde_json and by [`super::Escaping`]:
/// printable ASCII without `"` and `\\`.
fn is_plain(s: &str) -> bool {
    s.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// Appends `s` as a JSON string, as serde_json writes it; `true` if it is [plain](is_plain)
/// (else serde_json wrote it, and what it left raw still goes through `Escaping`).
fn push_json_str(buf: &mut Vec<u8>, s: &str) -> std::io::Result<bool> {
    if is_plain(s) {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        return Ok(true);
    }
    serde_json::to_writer(&mut *buf, s)?;
    Ok(false)
}

/// One TSV line for a valid number, written field by field (this is the streaming hot path: no
/// formatting machinery; the cells that depend on the range are written out in advance).
#[allow(clippy::too_many_arguments)]
fn write_tsv_valid(
    out: &mut impl Write,
    input: &str,
    plan: Option<&str>,
    found: &Lookup<'_>,
    place: &[u8],
    verdicts: &[u8],
    holder: Option<&str>,
    has_register: bool,
) -> std::io::Result<()> {
    out.write_all(tsv(input).as_bytes())?;
    write_plan_cell(out, plan)?;
    out.write_all(b"\ttrue\t")?;
    if let (Some(significant), Some(cc)) = (found.significant_bytes(), found.country_code) {
        out.write_all(b"+")?;
        out.write_all(numplan::number::decimal(cc, &mut [0; 10]))?;
        out.write_all(significant)?;
    }
    out.write_all(b"\t")?;
    out.write_all(found.national.as_bytes())?;
    out.write_all(place)?;
    out.write_all(match (has_register, holder.is_some()) {
        (false, _) => b"\t",
        (true, true) => b"\ttrue",
        (true, false) => b"\tfalse",
    })?;
    out.write_all(verdicts)?;
    out.write_all(b"\t")?;
    out.write_all(tsv(holder.unwrap_or("")).as_bytes())?;
    out.write_all(b"\t\n")
}

/// One TSV line for an input that is not a number of the plan.
/// The plan column of TSV when several plans answer (`\tfr`); nothing with one.
fn write_plan_cell(out: &mut impl Write, plan: Option<&str>) -> std::io::Result<()> {
    if let Some(p) = plan {
        out.write_all(b"\t")?;
        out.write_all(tsv(p).as_bytes())?;
    }
    Ok(())
}

fn write_tsv_invalid(
    out: &mut impl Write,
    input: &str,
    plan: Option<&str>,
    e: &LookupError,
    verdicts: &[u8],
    has_register: bool,
) -> std::io::Result<()> {
    out.write_all(tsv(input).as_bytes())?;
    write_plan_cell(out, plan)?;
    out.write_all(b"\tfalse\t\t")?;
    out.write_all(e.national().unwrap_or("").as_bytes())?;
    let known = has_register && !e.is_other_plan();
    out.write_all(if known { b"\t\t\tfalse" } else { b"\t\t\t" })?;
    out.write_all(verdicts)?;
    // Error messages hold no tab or line break (characters are quoted with {:?}).
    writeln!(out, "\t\t{e}")
}

/// A valid number's JSON line: its head, then [`Tail`] (the whole, for the test's reference).
#[cfg(test)]
#[derive(Serialize)]
struct Valid<'x> {
    input: &'x str,
    valid: bool,
    e164: Option<String>,
    national: &'x str,
    plan: &'x str,
    at: &'x str,
    #[serde(flatten)]
    tail: Tail<'x>,
}

/// A valid number's JSON fields after its head (input, forms, plan, day), in their order.
#[derive(Serialize)]
struct Tail<'x> {
    prefix: &'x str,
    category: &'x str,
    category_name: &'x str,
    territory: &'x str,
    territory_name: &'x str,
    country_code: Option<u32>,
    allocated: Option<bool>,
    holder: Option<HolderJson<'x>>,
    /// The register row's status, for registers that give one (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusJson<'x>>,
    verdicts: Verdicts<'x>,
    rules: Rules<'x, 'x>,
    doubts: Vec<DoubtJson<'x>>,
    basis: Vec<&'x str>,
    source: String,
}

/// The bytes of JSON tails a stream keeps (`query -`): a tail is 1 to 8 KB, and the whole French
/// register's take 141 MB (19,684 blocks), the Canadian's 190 MB (44,001 codes), so a stream over
/// every block of either is answered from kept tails after its first pass. A one-shot command
/// holds them until it ends.
const MAX_JSON_TAIL_BYTES: usize = 256 << 20;

/// The bytes of JSON tails a server keeps per artifact (`SharedTails`): it runs for months and
/// holds two artifacts during a reload, so less; some 9,000 blocks' tails.
const MAX_SHARED_TAIL_BYTES: usize = 64 << 20;

/// Keeps a tail. When the tails would pass `limit` bytes, some are dropped, in the map's order
/// (by hash: no pattern of keys), down to three quarters of it: a stream cycling over more keys
/// than fit still finds most of them, where starting over would find none.
fn keep(tails: &mut TailMap, key: (Date, u128), tail: &std::sync::Arc<[u8]>, limit: usize) {
    if tails.bytes + tail.len() > limit {
        let target = limit / 4 * 3;
        let mut bytes = tails.bytes;
        tails.tails.retain(|_, t| {
            if bytes > target {
                bytes -= t.len();
                false
            } else {
                true
            }
        });
        tails.bytes = bytes;
    }
    if let Some(old) = tails.tails.insert(key, std::sync::Arc::clone(tail)) {
        tails.bytes -= old.len();
    }
    tails.bytes += tail.len();
}

/// The JSON line of an input that is not a number of the plan: its head, then [`InvalidTail`]
/// (the whole, for the test's reference).
#[cfg(test)]
#[derive(Serialize)]
struct Invalid<'x> {
    input: &'x str,
    valid: bool,
    #[serde(flatten)]
    tail: InvalidTail<'x>,
}

/// The JSON fields of an invalid input after its head (input, `valid`): they depend only on
/// the error and the day, in their order.
#[derive(Serialize)]
struct InvalidTail<'x> {
    error: String,
    national: Option<&'x str>,
    plan: &'x str,
    at: &'x str,
    allocated: Option<bool>,
    verdicts: Verdicts<'x>,
}

/// The tails of invalid inputs kept by a querier (the last ones: a stream repeats the same few
/// mistakes).
const KEPT_INVALID: usize = 64;

/// The block holder, as JSON.
#[derive(Serialize)]
struct HolderJson<'x> {
    code: &'x str,
    name: Option<&'x str>,
    allocated: Option<String>,
    block: String,
    register: Option<String>,
    until: Option<String>,
    source: String,
}

impl<'x> HolderJson<'x> {
    fn new(h: Holding<'x>) -> HolderJson<'x> {
        let row = h.row;
        HolderJson {
            code: h.code,
            name: h.name,
            allocated: row.allocated.map(|d| d.to_string()),
            block: row.block,
            register: row.register.map(|d| d.to_string()),
            until: row.until.map(|d| d.to_string()),
            source: row.source,
        }
    }
}

/// The register row's status, as JSON (for registers that give statuses).
#[derive(Serialize)]
struct StatusJson<'x> {
    status: &'x str,
    remarks: Option<&'x str>,
    block: String,
    register: Option<String>,
    source: String,
}

impl<'x> StatusJson<'x> {
    fn new(r: RegisterRow<'x>) -> Option<StatusJson<'x>> {
        Some(StatusJson {
            status: r.status?,
            remarks: r.remarks,
            block: r.block,
            register: r.register.map(|d| d.to_string()),
            source: r.source,
        })
    }
}

/// One use's verdict, as JSON.
#[derive(Serialize)]
struct VerdictJson<'x> {
    verdict: &'static str,
    reason: String,
    basis: Option<&'x str>,
    reasons: Vec<ReasonJson<'x>>,
    doubts: Vec<DoubtJson<'x>>,
}

impl<'x> VerdictJson<'x> {
    fn new(r: Ruling<'x>) -> VerdictJson<'x> {
        let head = r.reason();
        let (reason, basis) = (head.text.clone(), head.basis);
        VerdictJson {
            verdict: r.verdict.as_str(),
            reason,
            basis,
            reasons: r
                .reasons
                .into_iter()
                .map(|x| ReasonJson {
                    outcome: x.outcome.as_str(),
                    text: x.text,
                    basis: x.basis,
                    source: x.source,
                })
                .collect(),
            doubts: r.doubts.into_iter().map(DoubtJson::new).collect(),
        }
    }
}

#[derive(Serialize)]
struct ReasonJson<'x> {
    text: String,
    basis: Option<&'x str>,
    source: String,
    outcome: &'static str,
}

#[derive(Serialize)]
struct DoubtJson<'x> {
    text: std::borrow::Cow<'x, str>,
    source: String,
}

impl<'x> DoubtJson<'x> {
    fn new(d: Doubt<'x>) -> DoubtJson<'x> {
        DoubtJson {
            text: d.text,
            source: d.source,
        }
    }
}

/// The verdicts of every use, as a JSON object in the plan's order.
struct Verdicts<'x>(Vec<(&'x str, VerdictJson<'x>)>);

impl Serialize for Verdicts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (id, v) in &self.0 {
            map.serialize_entry(id, v)?;
        }
        map.end()
    }
}

/// The rules in force, as a JSON object in the plan's vocabulary order.
struct Rules<'x, 'y> {
    answer: &'y Answer<'x>,
    ids: &'y [&'x str],
}

impl Serialize for Rules<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for id in self.ids {
            if let Some(v) = self.answer.rule_value(id) {
                map.serialize_entry(id, v)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept tails stay within their bound, their byte count is theirs, and when full they
    /// drop to three quarters of it, keeping the rest (not starting over).
    #[test]
    fn kept_tails_stay_within_their_bound() {
        let mut tails = TailMap::default();
        let day = Date::new(2026, 4, 17).unwrap();
        let limit = 100_000;
        for i in 0..1_000u32 {
            let tail: std::sync::Arc<[u8]> = vec![b'x'; 100 + (i as usize * 37) % 900].into();
            keep(&mut tails, (day, u128::from(i % 700)), &tail, limit);
            let sum: usize = tails.tails.values().map(|t| t.len()).sum();
            assert_eq!(tails.bytes, sum, "after {i}");
            assert!(tails.bytes <= limit, "after {i}: {}", tails.bytes);
            assert!(tails.tails.contains_key(&(day, u128::from(i % 700))));
        }
        assert!(tails.bytes > limit / 2, "{} bytes kept", tails.bytes);
    }

    /// A writer that takes 100 bytes, then fails once (`WouldBlock`), then takes everything.
    struct FailsOnce<'a>(&'a mut Vec<u8>, u32);

    impl Write for FailsOnce<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.1 += 1;
            match self.1 {
                1 => {
                    let n = bytes.len().min(100);
                    self.0.extend_from_slice(&bytes[..n]);
                    Ok(n)
                }
                2 => Err(std::io::ErrorKind::WouldBlock.into()),
                _ => {
                    self.0.extend_from_slice(bytes);
                    Ok(bytes.len())
                }
            }
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// After a write fails part-way, the batch is dropped: what was written is not written again
    /// (when dropped), and the error reaches the caller (found in review: the whole batch came
    /// out a second time).
    #[test]
    fn batched_writes_nothing_twice_after_a_failed_write() {
        for kept in [false, true] {
            let expected: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
            let mut got = Vec::new();
            {
                let mut out = Batched::new(FailsOnce(&mut got, 0));
                if kept {
                    use crate::cli::KeepWrite;
                    out.write_kept(&std::sync::Arc::from(expected.clone())).unwrap();
                } else {
                    out.write_all(&expected).unwrap();
                }
                assert!(out.flush().is_err(), "kept: {kept}");
            }
            assert_eq!(got, expected[..100], "kept: {kept}");
        }
    }

    /// The fast JSON writer (a head per number, a kept tail per index key and day) writes what
    /// serde_json writes of the whole answer, for 10,000 varied inputs of both plans: register
    /// numbers of many blocks (several per block, so kept tails are reused) in every written
    /// form (some with a tab or a no-break space, which the head escapes or leaves to serde_json),
    /// on days across the plans' history, and invalid inputs (with quotes, backslashes, DEL, C1
    /// and bidirectional controls; repeated, and DOM numbers written `+33`, so that kept
    /// invalid tails are reused). The same lines written through [`Batched`], onto a writer
    /// that takes a few hundred bytes at a time, are the same stream.
    #[test]
    fn the_fast_json_writer_writes_what_serde_json_writes() {
        let fr = numplan::embedded::fr().unwrap();
        let ca_bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/generated/ca.npa")).unwrap();
        let ca = Artifact::open(&ca_bytes).unwrap();
        let majnum =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/plan-sources/fr/MAJNUM.csv")).unwrap();
        let mut fr_numbers: Vec<String> = Vec::new();
        for line in majnum.split(|&b| b == b'\n').skip(1).step_by(7) {
            let fields: Vec<&[u8]> = line.split(|&b| b == b';').collect();
            for f in fields.iter().skip(1).take(2) {
                if let Ok(n) = std::str::from_utf8(f)
                    && !n.is_empty()
                {
                    fr_numbers.push(n.to_string());
                    if let Some(rest) = n.strip_prefix('0') {
                        fr_numbers.push(format!("+33 {rest}"));
                    }
                }
            }
        }
        let mut next = {
            let mut state = 0x2545_f491_4f6c_dd1du64;
            move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            }
        };
        let days = [
            "2018-01-01",
            "2019-08-01",
            "2023-01-01",
            "2024-10-10",
            "2025-07-03",
            "2026-11-30",
        ];
        let mut checked = 0;
        let mut valid = 0;
        for (plan, numbers) in [(&fr, &fr_numbers), (&ca, &Vec::new())] {
            for day in days {
                let day = Date::parse(day).unwrap();
                let mut q = Querier::new(plan, Format::Json, Some(day), Context::default());
                // A second querier keeps its tails in a shared cache, as `serve` does.
                let shared = SharedTails::default();
                let mut q2 = Querier::new(plan, Format::Json, Some(day), Context::default())
                    .with_shared_tails(&shared);
                // A third writes its lines through `Batched`, as `run` does.
                let mut q3 = Querier::new(plan, Format::Json, Some(day), Context::default());
                let mut stream = Vec::new();
                let mut batched = crate::cli::Escaping::json(Batched::new(Trickle(&mut stream)));
                let mut expected = Vec::new();
                for i in 0..(10_000 / days.len() / 2 + 1) {
                    let input = match (numbers.is_empty(), next() % 10) {
                        (_, 0) => [
                            "",
                            "12ab",
                            "+0 1",
                            "<b>",
                            "\u{202e}0162",
                            "+44 20 7946 0000",
                            "\"0162123456\"",
                            "01\\62123456",
                            "0162123456\u{7f}",
                            "01\u{9b}62123456",
                            "\u{2066}0162123456\u{2069}",
                        ][i % 11]
                            .to_string(),
                        (false, _) => {
                            let n = &numbers[(next() % numbers.len() as u64) as usize];
                            match next() % 16 {
                                0 => format!("\t{n}"),
                                1 => format!("{}\u{a0}{}", &n[..2], &n[2..]),
                                _ => n.clone(),
                            }
                        }
                        (true, _) => format!(
                            "({}) {:03}-{:04}",
                            200 + next() % 800,
                            next() % 1000,
                            next() % 10_000
                        ),
                    };
                    let (at, result) = q.lookup(&input);
                    valid += usize::from(result.is_ok());
                    let mut fast = crate::cli::Escaping::json(Vec::new());
                    q.write_json(&mut fast, &input, at, &result).unwrap();
                    let mut whole = crate::cli::Escaping::json(Vec::new());
                    q.write_json_whole(&mut whole, &input, at, &result).unwrap();
                    let mut shared_fast = crate::cli::Escaping::json(Vec::new());
                    q2.write_json(&mut shared_fast, &input, at, &result).unwrap();
                    assert_eq!(shared_fast.into_inner(), whole_bytes(&q, &input, at, &result));
                    q3.write_json(&mut batched, &input, at, &result).unwrap();
                    let (fast, whole) = (fast.into_inner(), whole.into_inner());
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&whole),
                        "{input} on {at}"
                    );
                    expected.extend_from_slice(&whole);
                    checked += 1;
                }
                batched.flush().unwrap();
                drop(batched);
                assert!(stream == expected, "the batched stream differs");
            }
        }
        assert!(checked >= 10_000, "{checked}");
        fn whole_bytes(
            q: &Querier<'_>,
            input: &str,
            at: Date,
            result: &Result<Lookup<'_>, LookupError>,
        ) -> Vec<u8> {
            let mut whole = crate::cli::Escaping::json(Vec::new());
            q.write_json_whole(&mut whole, input, at, result).unwrap();
            whole.into_inner()
        }
        assert!(valid > checked / 2, "mostly valid numbers: {valid} of {checked}");
    }

    /// A writer that takes at most 300 bytes a call, of the first slice only (as `write`).
    struct Trickle<'v>(&'v mut Vec<u8>);

    impl Write for Trickle<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let n = bytes.len().min(300);
            self.0.extend_from_slice(&bytes[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// `Batched` writes what it is given, kept or copied, in order, whatever the writer takes a
    /// call: bytes and kept parts of every size around its thresholds, over many batches.
    #[test]
    fn batched_output_is_what_was_written_in_order() {
        use crate::cli::KeepWrite;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for limit in [usize::MAX, 300] {
            let mut expected = Vec::new();
            let mut got = Vec::new();
            {
                let sink: Box<dyn Write> = if limit == usize::MAX {
                    Box::new(&mut got)
                } else {
                    Box::new(Trickle(&mut got))
                };
                let mut out = Batched::new(sink);
                for i in 0..5_000u64 {
                    let len = [0, 1, BATCH_COPIED - 1, BATCH_COPIED, 3_000, 9_000][(next() % 6) as usize];
                    let bytes: Vec<u8> = (0..len).map(|k| (i as usize + k) as u8).collect();
                    expected.extend_from_slice(&bytes);
                    if next() % 2 == 0 {
                        out.write_all(&bytes).unwrap();
                    } else {
                        out.write_kept(&std::sync::Arc::from(bytes)).unwrap();
                    }
                }
                out.flush().unwrap();
            }
            assert!(
                got == expected,
                "{} bytes written, {} expected",
                got.len(),
                expected.len()
            );
        }
    }

    #[test]
    fn lines_are_read_with_a_bound_and_the_rest_skipped() {
        let mut input = Vec::new();
        input.extend_from_slice(b"0162123456\n");
        input.extend(std::iter::repeat_n(b'7', 1 << 20));
        input.extend_from_slice(b"\n15\nlast");
        let mut reader = std::io::BufReader::with_capacity(64, &input[..]);
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while read_line(&mut reader, &mut line).unwrap() {
            assert!(line.len() <= MAX_INPUT_BYTES + 2, "{} bytes kept", line.len());
            lines.push(line.clone());
        }
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], b"0162123456\n");
        assert_eq!(lines[1], vec![b'7'; MAX_INPUT_BYTES + 1]);
        assert_eq!(lines[2], b"15\n");
        assert_eq!(lines[3], b"last");
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept_whole() {
        let mut input = vec![b'1'; MAX_INPUT_BYTES];
        input.extend_from_slice(b"\n2\n");
        let mut reader = &input[..];
        let mut line = Vec::new();
        assert!(read_line(&mut reader, &mut line).unwrap());
        assert_eq!(line.len(), MAX_INPUT_BYTES + 1);
        assert_eq!(line.last(), Some(&b'\n'));
        assert!(read_line(&mut reader, &mut line).unwrap());
        assert_eq!(line, b"2\n");
    }

    #[test]
    fn echoes_escape_controls_and_cut_long_inputs() {
        assert_eq!(shown("01 62"), "01 62");
        assert_eq!(shown("\u{1b}[2J"), "\\u{1b}[2J");
        let long = "8".repeat(MAX_INPUT_BYTES + 1);
        assert_eq!(shown(&long), format!("{}…", "8".repeat(32)));
    }
}
