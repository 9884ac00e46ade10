//! `numplan export`: the plan on a day as the list of numbers a selection keeps, for the
//! blockers, phones and switches that load lists (`docs/export-formats.md`).

use super::{CliError, EXIT_OK, Pinning, print_stderr};
use numplan::artifact::Artifact;
use numplan::date::Date;
use numplan::export::{Entry, Selection};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The numbers of a plan that meet conditions on a day, as the fewest prefixes, each with its
/// numbers' lengths and what the plan says of them: exact (a number is in the list if and only
/// if `numplan query` answers it on that day, valid, within the selection).
///
/// Every output starts with (or, in JSON, carries) the plan id, version, register date, the
/// artifact's SHA-256 and sequence, and the day, so that a consumer knows which data it holds.
///
/// Exit status: 0 the list is written (an empty selection is not an error: stderr says so); 2
/// usage or I/O error (an unknown field, use or value in `--where` names the valid choices); 3
/// to 7 the artifact is refused, as in `verify`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::ArtifactSource,
    /// The day to export (YYYY-MM-DD; default: today in the plan's time zone).
    #[arg(long, value_parser = super::compile::parse_date)]
    at: Option<Date>,
    /// Instead of one day, the list from this day on, with the changes already known for later
    /// days: every entry carries the days between which the selection keeps it, so a list can be
    /// built ahead (ranges that open on 1 January). `tsv` and `json` only: the other formats
    /// have no dates. Instead of `--at`.
    #[arg(long, value_name = "DAY", value_parser = super::compile::parse_date, conflicts_with = "at")]
    changes_after: Option<Date>,
    /// A condition, FIELD=VALUE[,VALUE…] (repeatable, ANDed; values ORed): a use's verdict
    /// (`automated-voice=allowed`), `category=`, `territory=`, `country-code=`, `operator=`,
    /// `allocated=yes|no`.
    #[arg(long = "where", value_name = "COND")]
    conditions: Vec<String>,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// With `callkit`: refuse (exit 1, the count stated) a list of more numbers than this.
    #[arg(long, value_name = "N")]
    max: Option<u128>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    pinning: Pinning,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// The canonical list, tab-separated, with a commented header.
    Tsv,
    /// The canonical list as one JSON document.
    Json,
    /// Every number, expanded: ascending decimal E.164 digits without `+`, one a line (iOS
    /// CallKit's call directory), streamed.
    Callkit,
    /// JSON pattern objects as Android blocking apps load them: `{"pattern": "33162######",
    /// "start", "end", "label"}`, one per prefix and length.
    Patterns,
    /// Asterisk dialplan patterns: `exten => _+33162XXXXXX,…`.
    Asterisk,
    /// One anchored regular expression per country code, accepting `+CC`, `CC`, the
    /// international prefix and `CC`, and the national form, prefixes factored.
    Regex,
    /// SQL `INSERT`s into Kamailio's `mtrees` table: one tree per number length.
    KamailioMtree,
    /// SQL `INSERT`s into Kamailio's `globalblocklist` table (userblocklist module).
    KamailioBlocklist,
}

/// Runs `export`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    // With --pub, the artifact and its signature are read under a shared lock of its directory.
    let owned = match &args.source.plan {
        Some(path) => Some(super::read_artifact_signed(
            path,
            args.source.public_key.as_deref(),
            args.source.sig.as_deref(),
        )?),
        None => None,
    };
    let (bytes, minisig): (&[u8], Option<&str>) = match &owned {
        Some((bytes, sig)) => (bytes, sig.as_deref()),
        None => (numplan::embedded::FR, None),
    };
    let artifact = super::open_trusted(
        args.source.plan.as_deref(),
        bytes,
        args.source.public_key.as_deref(),
        minisig,
        &args.pinning,
    )?;
    let request = Request {
        format: args.format,
        at: args.at,
        changes_after: args.changes_after,
        conditions: &args.conditions,
        max: args.max,
    };
    let prepared = prepare(&artifact, &request)?;
    if prepared.is_empty() {
        print_stderr(&format!(
            "export: no number of plan `{}` meets the conditions on {}\n",
            super::escape_controls(artifact.plan_id()),
            prepared.day
        ));
    }
    let write = |out: &mut dyn Write| prepared.write(out);
    match &args.output {
        Some(path) => numplan::fsutil::write_atomic_streamed(path, numplan::fsutil::Mode::Public, write)
            .map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))?,
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            match write(&mut out).and_then(|()| out.flush()) {
                // `numplan export … | head` closes the pipe early: not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(CliError::usage(format!("cannot write the export: {e}")));
                }
                _ => {}
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// What an export is asked (the command line's options, or the HTTP API's query string).
pub(super) struct Request<'r> {
    pub format: Format,
    pub at: Option<Date>,
    pub changes_after: Option<Date>,
    pub conditions: &'r [String],
    /// With `callkit`: refuse a list of more numbers than this.
    pub max: Option<u128>,
}

/// An export computed and ready to be written.
pub(super) struct Prepared<'a> {
    artifact: &'a Artifact<'a>,
    format: Format,
    /// The day exported (with `--changes-after`, the first day).
    pub day: Date,
    /// The conditions, as the header says them.
    shown: Vec<String>,
    entries: Vec<Entry<'a>>,
}

/// Computes the export `request` asks of `artifact`: a usage error (exit 2, HTTP 400) for an
/// unknown field or value, or `--changes-after` with a dateless format; exit 1 for a CallKit
/// list over `max`.
pub(super) fn prepare<'a>(
    artifact: &'a Artifact<'a>,
    request: &Request<'_>,
) -> Result<Prepared<'a>, CliError> {
    if request.changes_after.is_some() && !matches!(request.format, Format::Tsv | Format::Json) {
        return Err(CliError::usage(
            "--changes-after gives each entry the days between which it holds, which only `tsv` and \
             `json` carry: the other formats list one day (use --at)",
        ));
    }
    let conditions: Vec<&str> = request.conditions.iter().map(String::as_str).collect();
    let selection = Selection::parse(artifact, &conditions).map_err(|e| CliError::usage(e.to_string()))?;
    let (day, entries) = match request.changes_after {
        Some(day) => (day, numplan::export::export_ahead(artifact, day, &selection)),
        None => {
            let day = request
                .at
                .unwrap_or_else(|| super::today_in(artifact.time_zone()));
            (day, numplan::export::export(artifact, day, &selection))
        }
    };
    // Which data this is: with --changes-after, the list runs from that day on.
    let mut shown = request.conditions.to_vec();
    if let Some(d) = request.changes_after {
        shown.push(format!("changes-after={d}"));
    }
    if request.format == Format::Callkit {
        let total = callkit_count(&entries);
        if let Some(max) = request.max
            && total > max
        {
            return Err(CliError::with_code(
                super::EXIT_FAIL,
                format!(
                    "callkit: the list would hold {} numbers, more than --max {}",
                    numplan::diag::group_digits(total),
                    numplan::diag::group_digits(max)
                ),
            ));
        }
    }
    Ok(Prepared {
        artifact,
        format: request.format,
        day,
        shown,
        entries,
    })
}

impl Prepared<'_> {
    /// Whether no number meets the conditions (for the formats of E.164 numbers: no number with
    /// an E.164 form).
    pub(super) fn is_empty(&self) -> bool {
        let e164_only = !matches!(self.format, Format::Tsv | Format::Json);
        self.entries.is_empty() || (e164_only && self.entries.iter().all(|e| e.e164.is_none()))
    }

    /// Writes it in its format.
    pub(super) fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let (artifact, day, shown, entries) = (self.artifact, self.day, &self.shown, &self.entries);
        match self.format {
            Format::Tsv => write_tsv(out, artifact, day, shown, entries),
            Format::Json => write_json(out, artifact, day, shown, entries),
            Format::Callkit => write_callkit(out, artifact, day, shown, entries),
            Format::Patterns => write_patterns(out, artifact, day, shown, entries),
            Format::Asterisk => write_asterisk(out, artifact, day, shown, entries),
            Format::Regex => write_regex(out, artifact, day, shown, entries),
            Format::KamailioMtree => write_kamailio(out, artifact, day, shown, entries, true),
            Format::KamailioBlocklist => write_kamailio(out, artifact, day, shown, entries, false),
        }
    }
}

/// The header every output starts with: which data this is.
struct About<'x> {
    plan: &'x str,
    version: &'x str,
    register: Option<String>,
    sha256: String,
    sequence: u64,
}

fn about<'x>(a: &'x Artifact<'x>) -> About<'x> {
    About {
        plan: a.plan_id(),
        version: a.plan_version(),
        register: a.register_date().map(|d| d.to_string()),
        sha256: numplan::artifact::hex(a.stored_sha256()),
        sequence: a.sequence(),
    }
}

/// A cell of TSV: control characters (tabs and line breaks included) escaped.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    super::escape_controls(text)
}

/// The comment lines that start the text outputs (`#` for TSV, CallKit and regex, `;` for
/// Asterisk, `--` for SQL): which data this is.
fn write_about(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    marker: &str,
) -> std::io::Result<()> {
    let ab = about(a);
    writeln!(
        out,
        "{marker} numplan export: plan {} version {} register {} sequence {} sha256 {} at {day}",
        cell(ab.plan),
        cell(ab.version),
        ab.register.as_deref().unwrap_or("-"),
        ab.sequence,
        ab.sha256
    )?;
    writeln!(out, "{marker} where {}", cell(&conditions.join(" and ")))
}

/// The (E.164 prefix, E.164 length) runs of a CallKit list, ascending as numbers: by length,
/// then by digits (the entries' prefixes are disjoint, so the runs do not interleave).
fn callkit_runs<'e>(entries: &'e [Entry<'_>]) -> Vec<(usize, &'e str)> {
    let mut runs: Vec<(usize, &str)> = entries
        .iter()
        .filter_map(|e| e.e164.as_deref().map(|p| (e, p)))
        .flat_map(|(e, p)| e.e164_lengths.iter().map(move |&l| (l, p)))
        .filter(|&(l, p)| l >= p.len())
        .collect();
    runs.sort_unstable();
    runs
}

/// How many numbers a CallKit list holds.
fn callkit_count(entries: &[Entry<'_>]) -> u128 {
    callkit_runs(entries)
        .iter()
        .map(|&(l, p)| 10u128.checked_pow((l - p.len()) as u32).unwrap_or(u128::MAX))
        .fold(0u128, u128::saturating_add)
}

/// Every number of the list, ascending, one a line: each run's digits counted up in place, a line
/// written at a time into the buffered writer (constant memory, whatever the count).
fn write_callkit(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    write_about(out, a, day, conditions, "#")?;
    for (length, prefix) in callkit_runs(entries) {
        let mut line = Vec::with_capacity(length + 1);
        line.extend_from_slice(prefix.as_bytes());
        line.resize(length, b'0');
        line.push(b'\n');
        let start = prefix.len();
        loop {
            out.write_all(&line)?;
            // Add one to the digits after the prefix; done when they all wrap around to 0.
            let mut i = length;
            let wrapped = loop {
                if i == start {
                    break true;
                }
                i -= 1;
                if line[i] == b'9' {
                    line[i] = b'0';
                } else {
                    line[i] += 1;
                    break false;
                }
            };
            if wrapped {
                break;
            }
        }
    }
    Ok(())
}

/// One (E.164 prefix, E.164 length) of an entry, with the entry: the unit of the pattern formats.
fn e164_runs<'e, 'a>(entries: &'e [Entry<'a>]) -> impl Iterator<Item = (&'e str, usize, &'e Entry<'a>)> {
    entries.iter().flat_map(|e| {
        let prefix = e.e164.as_deref();
        e.e164_lengths
            .iter()
            .filter_map(move |&l| prefix.filter(|p| p.len() <= l).map(|p| (p, l, e)))
    })
}

/// The label of a pattern: category and territory.
fn label(e: &Entry<'_>) -> String {
    format!("{} ({})", e.said.category, e.said.territory)
}

#[derive(Serialize)]
struct PatternsDoc<'x> {
    #[serde(flatten)]
    about: JsonAbout<'x>,
    patterns: Vec<Pattern>,
}

#[derive(Serialize)]
struct Pattern {
    pattern: String,
    start: String,
    end: String,
    label: String,
}

fn write_patterns(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    let pad = |p: &str, l: usize, c: char| format!("{p}{}", c.to_string().repeat(l - p.len()));
    let doc = PatternsDoc {
        about: JsonAbout::new(a, day, conditions),
        patterns: e164_runs(entries)
            .map(|(p, l, e)| Pattern {
                pattern: pad(p, l, '#'),
                start: pad(p, l, '0'),
                end: pad(p, l, '9'),
                label: label(e),
            })
            .collect(),
    };
    let mut w = super::Escaping::json(out);
    serde_json::to_writer(&mut w, &doc)?;
    w.write_all(b"\n")
}

/// Asterisk dialplan: a context of `_+CC…XXX` patterns (one `X` a digit), each setting
/// `NUMPLAN_CATEGORY` and `NUMPLAN_TERRITORY` and returning, for a `GoSub` from the inbound
/// context to test a caller ID; any other number reaches the catch-alls (`_+.`, `_X.`), which
/// return with both empty.
fn write_asterisk(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    write_about(out, a, day, conditions, ";")?;
    let ab = about(a);
    // Asterisk reads `;` as a comment and `,` as an argument separator: neither may appear in
    // a value (ids are slugs; they cannot).
    let safe = |s: &str| s.replace([';', ',', '\n', '\r'], "_");
    writeln!(out, "[numplan-{}]", safe(ab.plan))?;
    for (p, l, e) in e164_runs(entries) {
        let pattern = format!("_+{p}{}", "X".repeat(l - p.len()));
        writeln!(
            out,
            "exten => {pattern},1,Set(NUMPLAN_CATEGORY={})",
            safe(e.said.category)
        )?;
        writeln!(
            out,
            " same => n,Set(NUMPLAN_TERRITORY={})",
            safe(e.said.territory)
        )?;
        writeln!(out, " same => n,Return()")?;
    }
    // Any other number: not in the list, both variables empty (a GoSub to a missing extension
    // would end the call).
    for other in ["_+.", "_X."] {
        writeln!(out, "exten => {other},1,Set(NUMPLAN_CATEGORY=)")?;
        writeln!(out, " same => n,Set(NUMPLAN_TERRITORY=)")?;
        writeln!(out, " same => n,Return()")?;
    }
    Ok(())
}

/// A trie of digit prefixes, each ending with the counts of digits that may follow it.
#[derive(Default)]
struct Trie {
    tails: std::collections::BTreeSet<usize>,
    children: std::collections::BTreeMap<u8, Trie>,
}

impl Trie {
    fn insert(&mut self, digits: &[u8], tail: usize) {
        match digits.split_first() {
            None => {
                self.tails.insert(tail);
            }
            Some((&d, rest)) => self.children.entry(d).or_default().insert(rest, tail),
        }
    }

    /// The node as a regular expression: digits whose subtrees read the same share a character
    /// class (`[0-3]`), and the digits that may follow a prefix are `[0-9]{n}`.
    fn regex(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let tail = digits_regex;
        match self.tails.len() {
            0 => {}
            1 => parts.push(tail(*self.tails.first().unwrap_or(&0))),
            _ => parts.push(format!(
                "(?:{})",
                self.tails.iter().map(|&n| tail(n)).collect::<Vec<_>>().join("|")
            )),
        }
        // Digits grouped by what follows them, in digit order of their first one.
        let mut groups: Vec<(String, Vec<u8>, Option<usize>)> = Vec::new();
        for (&d, child) in &self.children {
            let sub = child.regex();
            match groups.iter_mut().find(|(s, _, _)| *s == sub) {
                Some((_, ds, _)) => ds.push(d),
                None => groups.push((sub, vec![d], child.pure_tail())),
            }
        }
        for (sub, digits, pure) in groups {
            match pure {
                // Any digit, then n digits: n + 1 digits.
                Some(n) if digits.len() == 10 => parts.push(digits_regex(n + 1)),
                _ => parts.push(format!("{}{sub}", class(&digits))),
            }
        }
        match parts.len() {
            1 => parts.pop().unwrap_or_default(),
            _ => format!("(?:{})", parts.join("|")),
        }
    }
}

impl Trie {
    /// `Some(n)` for a node that only says "n more digits" (no children, one tail).
    fn pure_tail(&self) -> Option<usize> {
        match (self.children.is_empty(), self.tails.len()) {
            (true, 1) => self.tails.first().copied(),
            _ => None,
        }
    }
}

/// `n` ASCII digits: `[0-9]`, `[0-9]{n}` (never `\d`, which some engines read as any Unicode
/// digit).
fn digits_regex(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "[0-9]".to_string(),
        n => format!("[0-9]{{{n}}}"),
    }
}

/// Ascending digits as a character class: `5`, `[0-3]`, `[1-35]`.
fn class(digits: &[u8]) -> String {
    if let [d] = digits {
        return char::from(*d).to_string();
    }
    if digits.len() == 10 {
        return "[0-9]".to_string();
    }
    let mut out = String::from("[");
    let mut i = 0;
    while i < digits.len() {
        let mut j = i;
        while j + 1 < digits.len() && digits[j + 1] == digits[j] + 1 {
            j += 1;
        }
        out.push(char::from(digits[i]));
        if j > i + 1 {
            out.push('-');
        }
        if j > i {
            out.push(char::from(digits[j]));
        }
        i = j + 1;
    }
    out.push(']');
    out
}

/// One anchored regular expression per country code (a line `CC<TAB>REGEX`), for blocking apps:
/// the number written `+CC…`, `CC…`, after the plan's international prefix (`00CC…`), or in the
/// national form (after the trunk prefix, or, in a plan that writes numbers without it, with or
/// without it), digits only (strip spaces and punctuation first).
fn write_regex(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    write_about(out, a, day, conditions, "#")?;
    let np = a.national_prefix();
    let ip = a.international_prefix();
    let mut by_cc: BTreeMap<u32, Trie> = BTreeMap::new();
    for (prefix, length, e) in e164_runs(entries) {
        let Some(cc) = e.said.country_code else { continue };
        let cc_digits = cc.to_string();
        let Some(significant) = prefix.strip_prefix(cc_digits.as_str()) else {
            continue;
        };
        by_cc
            .entry(cc)
            .or_default()
            .insert(significant.as_bytes(), length - prefix.len());
    }
    for (cc, trie) in by_cc {
        let international = format!("\\+{cc}|{cc}|{}{cc}", regex_escape(ip));
        let lead = if a.national_prefix_in_numbers() {
            format!("(?:{international}|{})", regex_escape(np))
        } else if np.is_empty() {
            format!("(?:{international})?")
        } else {
            format!("(?:{international}|{})?", regex_escape(np))
        };
        writeln!(out, "{cc}\t^{lead}{}$", trie.regex())?;
    }
    Ok(())
}

/// Digits are their own regex; anything else is escaped.
fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// A string as an SQL literal: in single quotes, quotes doubled, control characters escaped.
fn sql(text: &str) -> String {
    format!("'{}'", super::escape_controls(text).replace('\'', "''"))
}

/// Kamailio's tables, as SQL `INSERT`s after `--` comment lines saying which data this is. Both
/// match the caller ID as E.164 digits without `+`, by longest prefix.
///
/// - `mtrees` (mtree module): one tree a number length, named `PLAN-LENGTH` (`fr-11`): look the
///   number up in the tree of its length; `tvalue` is `category;territory`.
/// - `globalblocklist` (userblocklist module): a row a prefix, `allowlist` `0`; the description
///   names the category, territory and the lengths the prefix's numbers have, which the module
///   does not check: the script must (`$(rU{s.len})`).
fn write_kamailio(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
    mtree: bool,
) -> std::io::Result<()> {
    write_about(out, a, day, conditions, "--")?;
    let ab = about(a);
    if mtree {
        for (p, l, e) in e164_runs(entries) {
            writeln!(
                out,
                "INSERT INTO mtrees (tname, tprefix, tvalue) VALUES ({}, {}, {});",
                sql(&format!("{}-{l}", ab.plan)),
                sql(p),
                sql(&format!("{};{}", e.said.category, e.said.territory))
            )?;
        }
        return Ok(());
    }
    // One row a prefix (the table's prefixes are unique): its lengths gathered.
    let mut rows: BTreeMap<&str, (Vec<usize>, &Entry<'_>)> = BTreeMap::new();
    for (p, l, e) in e164_runs(entries) {
        rows.entry(p).or_insert_with(|| (Vec::new(), e)).0.push(l);
    }
    for (p, (mut lengths, e)) in rows {
        lengths.sort_unstable();
        lengths.dedup();
        let lengths: Vec<String> = lengths.iter().map(usize::to_string).collect();
        writeln!(
            out,
            "INSERT INTO globalblocklist (prefix, allowlist, description) VALUES ({}, '0', {});",
            sql(p),
            sql(&format!(
                "{} ({}), {} digits",
                e.said.category,
                e.said.territory,
                lengths.join(" or ")
            ))
        )?;
    }
    Ok(())
}

fn write_tsv(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    write_about(out, a, day, conditions, "#")?;
    let uses: Vec<&str> = a.uses().map(|u| u.id).collect();
    write!(
        out,
        "e164\tnational\tlengths\te164_lengths\tcountry_code\tcategory\tterritory\toperator"
    )?;
    for u in &uses {
        write!(out, "\t{}", cell(u))?;
    }
    writeln!(out, "\tfrom\tuntil\tbasis\tsource")?;
    // The hot loop of a full export: bytes written as they are, no formatting machinery.
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut num = [0u8; 10];
    for e in entries {
        let s = &e.said;
        line.clear();
        if let Some(d) = &e.e164 {
            line.push(b'+');
            line.extend_from_slice(d.as_bytes());
        }
        line.push(b'\t');
        line.extend_from_slice(e.national.as_bytes());
        for list in [&e.lengths, &e.e164_lengths] {
            line.push(b'\t');
            for (k, l) in list.iter().enumerate() {
                if k > 0 {
                    line.push(b',');
                }
                line.extend_from_slice(numplan::number::decimal(*l as u32, &mut num));
            }
        }
        line.push(b'\t');
        if let Some(cc) = s.country_code {
            line.extend_from_slice(numplan::number::decimal(cc, &mut num));
        }
        for text in [s.category, s.territory, s.holder.unwrap_or("")] {
            line.push(b'\t');
            line.extend_from_slice(cell(text).as_bytes());
        }
        for v in &s.verdicts {
            line.push(b'\t');
            line.extend_from_slice(v.as_str().as_bytes());
        }
        for d in [s.from, s.until] {
            line.push(b'\t');
            if let Some(d) = d {
                line.extend_from_slice(d.to_string().as_bytes());
            }
        }
        line.push(b'\t');
        line.extend_from_slice(cell(s.basis.unwrap_or("")).as_bytes());
        line.push(b'\t');
        line.extend_from_slice(cell(&s.source).as_bytes());
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// Which data a JSON output holds: the first fields of every JSON document.
#[derive(Serialize)]
struct JsonAbout<'x> {
    plan: &'x str,
    version: &'x str,
    register: Option<String>,
    sha256: String,
    sequence: u64,
    at: String,
    #[serde(rename = "where")]
    conditions: &'x [String],
}

impl<'x> JsonAbout<'x> {
    fn new(a: &'x Artifact<'x>, day: Date, conditions: &'x [String]) -> JsonAbout<'x> {
        let ab = about(a);
        JsonAbout {
            plan: ab.plan,
            version: ab.version,
            register: ab.register,
            sha256: ab.sha256,
            sequence: ab.sequence,
            at: day.to_string(),
            conditions,
        }
    }
}

#[derive(Serialize)]
struct JsonExport<'x> {
    #[serde(flatten)]
    about: JsonAbout<'x>,
    entries: Vec<JsonEntry<'x>>,
}

#[derive(Serialize)]
struct JsonEntry<'x> {
    e164: Option<String>,
    national: &'x str,
    lengths: &'x [usize],
    e164_lengths: &'x [usize],
    country_code: Option<u32>,
    category: &'x str,
    territory: &'x str,
    operator: Option<&'x str>,
    verdicts: UseVerdicts<'x>,
    from: Option<String>,
    until: Option<String>,
    basis: Option<&'x str>,
    source: &'x str,
}

/// Every use's verdict, as a JSON object in the plan's order of uses.
struct UseVerdicts<'x> {
    uses: &'x [&'x str],
    verdicts: &'x [numplan::plan::Verdict],
}

impl Serialize for UseVerdicts<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.uses.len()))?;
        for (u, v) in self.uses.iter().zip(self.verdicts) {
            map.serialize_entry(u, v.as_str())?;
        }
        map.end()
    }
}

fn write_json(
    out: &mut dyn Write,
    a: &Artifact<'_>,
    day: Date,
    conditions: &[String],
    entries: &[Entry<'_>],
) -> std::io::Result<()> {
    let uses: Vec<&str> = a.uses().map(|u| u.id).collect();
    let doc = JsonExport {
        about: JsonAbout::new(a, day, conditions),
        entries: entries
            .iter()
            .map(|e| JsonEntry {
                e164: e.e164.as_deref().map(|d| format!("+{d}")),
                national: &e.national,
                lengths: &e.lengths,
                e164_lengths: &e.e164_lengths,
                country_code: e.said.country_code,
                category: e.said.category,
                territory: e.said.territory,
                operator: e.said.holder,
                verdicts: UseVerdicts {
                    uses: &uses,
                    verdicts: &e.said.verdicts,
                },
                from: e.said.from.map(|d| d.to_string()),
                until: e.said.until.map(|d| d.to_string()),
                basis: e.said.basis,
                source: &e.said.source,
            })
            .collect(),
    };
    let mut w = super::Escaping::json(out);
    serde_json::to_writer(&mut w, &doc)?;
    w.write_all(b"\n")
}
