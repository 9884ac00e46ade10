//! `numplan query`: what a number is, whose it is, and whether it may be shown as caller ID.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, fail, read_file, signature_path};
use numplan::artifact::{Answer, Artifact, Lookup, LookupError, VerifyOptions};
use numplan::date::Date;
use numplan::minisign::PublicKey;
use serde::Serialize;
use serde::ser::SerializeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// What is this number, on this date: category, territory, operator, caller-ID rules.
///
/// NUMBER is written as people and switches write it: `0162123456`, `01 62 12 34 56`,
/// `01.62.12.34.56`, `+33 1 62 12 34 56`, `+33 (0)1 62 12 34 56`, `0033162123456`, `33162123456`,
/// `+590 590 12 34 56`, `15`. A number typed with spaces as several arguments (`query 01 62 12 34
/// 56`) is read as one number. `-` reads numbers from standard input, one per line, answered in
/// order.
///
/// Exit status: 0 every input is a valid number (with --rule: every verdict is `allowed`); 1 some
/// are not (each is still answered); 2 usage error, or the artifact cannot be read or verified.
#[derive(clap::Args)]
pub struct Args {
    /// The numbers, or `-` for standard input.
    #[arg(required = true, allow_hyphen_values = true, value_name = "NUMBER")]
    numbers: Vec<String>,
    /// The artifact to query (default: the French plan built into numplan).
    #[arg(long, value_name = "ARTIFACT")]
    plan: Option<PathBuf>,
    /// Verify the artifact's signature with this public key first.
    #[arg(long = "pub", value_name = "KEY", requires = "plan")]
    public_key: Option<PathBuf>,
    /// The signature file (default: ARTIFACT.minisig).
    #[arg(long, value_name = "FILE", requires = "public_key")]
    sig: Option<PathBuf>,
    /// The date to answer for (YYYY-MM-DD; default: today in the number's territory).
    #[arg(long, value_parser = super::compile::parse_date)]
    at: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Give a verdict on one rule (e.g. `cli-automated`): allowed or forbidden, with the reason
    /// and legal basis; exit 0 only when every number is allowed.
    #[arg(long, value_name = "RULE")]
    rule: Option<String>,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// One JSON object per line (fields in docs/query-output.md).
    Json,
    /// Tab-separated values with a header line, for pipelines.
    Tsv,
}

/// Runs `query`.
pub fn run(args: Args) -> ExitCode {
    let owned;
    let bytes: &[u8] = match &args.plan {
        Some(path) => match read_file(path) {
            Ok(b) => {
                owned = b;
                &owned
            }
            Err(code) => return code,
        },
        None => numplan::embedded::FR,
    };
    let artifact = match open_verified(&args, bytes) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Some(rule) = &args.rule
        && !artifact.rules().any(|(id, _, _)| id == rule)
    {
        let known: Vec<&str> = artifact.rules().map(|r| r.0).collect();
        return fail(
            &format!(
                "unknown rule `{rule}`; the plan's rules are: {}",
                known.join(", ")
            ),
            EXIT_ERROR,
        );
    }
    let mut q = Querier {
        artifact: &artifact,
        at: args.at,
        today: Vec::new(),
        format: args.format,
        rule: args.rule.clone(),
        rule_ids: artifact.rules().map(|r| r.0).collect(),
        tsv_rules: ["cli", "cli-automated", "cli-sms"].map(|r| artifact.rule_row(r)),
        tsv_cache: vec![None; artifact.range_count().min(1 << 20) as usize],
        all_ok: true,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = (|| -> std::io::Result<()> {
        q.header(&mut out)?;
        if args.numbers.len() == 1 && args.numbers[0] == "-" {
            let stdin = std::io::stdin();
            let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
            let mut line = Vec::new();
            loop {
                line.clear();
                if input.read_until(b'\n', &mut line)? == 0 {
                    break;
                }
                // A line that is not UTF-8 is still answered (as not a number), never fatal.
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                q.answer(&mut out, text)?;
            }
        } else {
            for number in group_arguments(&artifact, &args.numbers, args.at) {
                q.answer(&mut out, &number)?;
            }
        }
        out.flush()
    })();
    match result {
        Ok(()) => ExitCode::from(if q.all_ok { EXIT_OK } else { EXIT_FAIL }),
        // `numplan query - | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => fail(&format!("cannot write the answers: {e}"), EXIT_ERROR),
    }
}

/// Opens the artifact and checks its digest; with `--pub`, its signature; and its expiry.
fn open_verified<'a>(args: &Args, bytes: &'a [u8]) -> Result<Artifact<'a>, ExitCode> {
    let name = args
        .plan
        .as_ref()
        .map_or("the built-in plan".to_string(), |p| p.display().to_string());
    let artifact = Artifact::open(bytes).map_err(|e| fail(&format!("{name}: {e}"), EXIT_ERROR))?;
    let key = match &args.public_key {
        Some(path) => {
            let text = String::from_utf8_lossy(&read_file(path)?).into_owned();
            Some(PublicKey::parse(&text).map_err(|e| fail(&format!("{}: {e}", path.display()), EXIT_ERROR))?)
        }
        None => None,
    };
    let sig = match (&key, &args.plan) {
        (Some(_), Some(plan)) => {
            let path = args.sig.clone().unwrap_or_else(|| signature_path(plan));
            Some(String::from_utf8_lossy(&read_file(&path)?).into_owned())
        }
        _ => None,
    };
    let options = VerifyOptions {
        signature: key.as_ref().zip(sig.as_deref()),
        today: Some(super::today_utc()),
        last_seen_sequence: None,
    };
    artifact
        .verify(&options)
        .map_err(|e| fail(&format!("{name}: {e}"), EXIT_ERROR))?;
    Ok(artifact)
}

/// Reads arguments typed without quotes: consecutive digit groups (`01 62 12 34 56`, `+590 590
/// 12 34 56`) are joined into the shortest run that makes a valid number; a run that never does is
/// one (invalid) number. Any other argument is a number by itself.
fn group_arguments(artifact: &Artifact<'_>, args: &[String], at: Option<Date>) -> Vec<String> {
    let is_group = |a: &String| {
        let digits = a.strip_prefix('+').unwrap_or(a);
        a == "(0)" || ((1..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    let day = at.unwrap_or_else(super::today_utc);
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if !is_group(&args[i]) {
            out.push(args[i].clone());
            i += 1;
            continue;
        }
        let end = (i..args.len())
            .find(|&k| !is_group(&args[k]))
            .unwrap_or(args.len());
        let shortest = (i + 1..=end).find(|&j| artifact.lookup(&args[i..j].join(" "), day).is_ok());
        let j = shortest.unwrap_or(end);
        out.push(args[i..j].join(" "));
        i = j;
    }
    out
}

/// Answers numbers in one format, tracking whether all were valid (or allowed).
struct Querier<'a> {
    artifact: &'a Artifact<'a>,
    at: Option<Date>,
    /// Today per time zone, computed once (a handful of zones: a list beats hashing).
    today: Vec<(&'a str, Date)>,
    format: Format,
    rule: Option<String>,
    rule_ids: Vec<&'a str>,
    /// Rows of the rules the TSV columns show.
    tsv_rules: [Option<u32>; 3],
    /// Per range row: the date and the TSV columns category, territory and the three rules
    /// (streams repeat the same few ranges on the same date).
    tsv_cache: Vec<Option<(Date, [&'a str; 5])>>,
    all_ok: bool,
}

impl<'a> Querier<'a> {
    fn header(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.format == Format::Tsv {
            if self.rule.is_some() {
                writeln!(out, "input\tvalid\tnational\trule\tverdict\treason\tbasis")?;
            } else {
                writeln!(
                    out,
                    "input\tvalid\te164\tnational\tcategory\tterritory\tcli\tcli-automated\tcli-sms\toperator\terror"
                )?;
            }
        }
        Ok(())
    }

    /// Today in time zone `tz`.
    fn today_in(&mut self, tz: &'a str) -> Date {
        if let Some((_, d)) = self.today.iter().find(|(z, _)| std::ptr::eq(*z, tz) || *z == tz) {
            return *d;
        }
        let d = today_in_zone(tz);
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
            let tz = found.answer.territory().3;
            let day = self.today_in(tz);
            if day != plan_day {
                return (day, artifact.lookup(input, day));
            }
        }
        (plan_day, first)
    }

    fn answer(&mut self, out: &mut impl Write, input: &str) -> std::io::Result<()> {
        let (at, result) = self.lookup(input);
        if let Some(rule) = self.rule.clone() {
            let v = verdict(&result, &rule);
            self.all_ok &= v.value == "allowed";
            return self.write_verdict(out, input, at, &result, &v);
        }
        self.all_ok &= result.is_ok();
        match self.format {
            Format::Json => self.write_json(out, input, at, &result, None),
            Format::Tsv => {
                let columns = result.as_ref().ok().map(|found| self.tsv_columns(&found.answer));
                write_tsv(out, input, &result, columns)
            }
            Format::Text => write_text(out, input, at, &result, self.artifact.plan_id()),
        }
    }

    /// Category, territory and the three rule values of an answer, cached per range and date.
    fn tsv_columns(&mut self, a: &Answer<'a>) -> [&'a str; 5] {
        let row = a.range_row() as usize;
        if let Some(Some((date, cols))) = self.tsv_cache.get(row)
            && *date == a.date()
        {
            return *cols;
        }
        let rule = |r: Option<u32>| r.and_then(|r| a.rule_value_at(r)).unwrap_or("");
        let [r0, r1, r2] = self.tsv_rules;
        let cols = [a.category().id, a.territory_id(), rule(r0), rule(r1), rule(r2)];
        if let Some(slot) = self.tsv_cache.get_mut(row) {
            *slot = Some((a.date(), cols));
        }
        cols
    }

    fn write_json(
        &self,
        out: &mut impl Write,
        input: &str,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
        verdict: Option<&Verdict>,
    ) -> std::io::Result<()> {
        let plan = self.artifact.plan_id();
        let at = at.to_string();
        match result {
            Ok(found) => {
                let a = &found.answer;
                let (territory, territory_name, country_code, _) = a.territory();
                let category = a.category();
                let obj = Valid {
                    input,
                    valid: true,
                    e164: found.e164(),
                    national: &found.national,
                    plan,
                    at: &at,
                    prefix: a.prefix(),
                    category: category.id,
                    category_name: category.name,
                    territory,
                    territory_name,
                    country_code,
                    rules: Rules {
                        answer: a,
                        ids: &self.rule_ids,
                    },
                    operator: a.allocation().map(|al| Operator {
                        code: al.code,
                        name: al.name,
                        allocated: al.allocated.map(|d| d.to_string()),
                        block: al.block,
                        source: format!("plan-sources/{plan}/{}", al.source),
                    }),
                    basis: basis(a),
                    source: format!("plan-sources/{plan}/{}", a.range().2),
                    verdict,
                };
                serde_json::to_writer(&mut *out, &obj)?;
            }
            Err(e) => {
                let obj = Invalid {
                    input,
                    valid: false,
                    error: e.to_string(),
                    national: e.national(),
                    plan,
                    at: &at,
                    verdict,
                };
                serde_json::to_writer(&mut *out, &obj)?;
            }
        }
        out.write_all(b"\n")
    }

    fn write_verdict(
        &self,
        out: &mut impl Write,
        input: &str,
        at: Date,
        result: &Result<Lookup<'a>, LookupError>,
        v: &Verdict,
    ) -> std::io::Result<()> {
        match self.format {
            Format::Json => self.write_json(out, input, at, result, Some(v)),
            Format::Tsv => writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                tsv(input),
                result.is_ok(),
                result
                    .as_ref()
                    .map_or_else(|e| e.national().unwrap_or(""), |f| f.national.as_str()),
                v.rule,
                v.value,
                tsv(&v.reason),
                tsv(&v.basis.join("; "))
            ),
            Format::Text => {
                writeln!(out, "{input}: {} {} on {at}: {}", v.rule, v.value, v.reason)?;
                for b in &v.basis {
                    writeln!(out, "  basis: {b}")?;
                }
                Ok(())
            }
        }
    }
}

/// Today's date in an IANA time zone (UTC if the zone is unknown).
fn today_in_zone(tz: &str) -> Date {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let d = zone.to_datetime(jiff::Timestamp::now()).date();
    Date::new(i32::from(d.year()), d.month() as u32, d.day() as u32).unwrap_or_else(super::today_utc)
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
    if let Some(b) = a.range().1 {
        push(b);
    }
    for r in a.rules() {
        push(r.basis);
    }
    out
}

/// A verdict on one rule for one input.
#[derive(Serialize)]
struct Verdict {
    rule: String,
    /// `allowed`, `forbidden`, or `unknown` (the plan states nothing for that date).
    value: String,
    reason: String,
    basis: Vec<String>,
    source: Option<String>,
}

fn verdict(result: &Result<Lookup<'_>, LookupError>, rule: &str) -> Verdict {
    match result {
        Ok(found) => {
            let a = &found.answer;
            let cat = a.category();
            match a.rule(rule) {
                Some(r) => Verdict {
                    rule: rule.to_string(),
                    value: r.value.to_string(),
                    reason: format!(
                        "{} ({}) numbers: {rule} {}",
                        cat.name,
                        cat.id,
                        period(r.from, r.until)
                    ),
                    basis: vec![r.basis.to_string()],
                    source: Some(r.source.clone()),
                },
                None => Verdict {
                    rule: rule.to_string(),
                    value: "unknown".to_string(),
                    reason: format!(
                        "the plan states no `{rule}` rule for {} ({}) on this date",
                        cat.name, cat.id
                    ),
                    basis: Vec::new(),
                    source: None,
                },
            }
        }
        Err(e) => Verdict {
            rule: rule.to_string(),
            value: "forbidden".to_string(),
            reason: format!("not a valid number of the plan ({e}); a caller ID must conform to the plan"),
            basis: vec!["2018-0881 annexe 1, §2.2.2".to_string()],
            source: None,
        },
    }
}

fn period(from: Option<Date>, until: Option<Date>) -> String {
    match (from, until) {
        (None, None) => "always".to_string(),
        (Some(f), None) => format!("since {f}"),
        (None, Some(u)) => format!("until {u}"),
        (Some(f), Some(u)) => format!("from {f} until {u}"),
    }
}

/// A TSV field: tabs and line breaks would break the columns.
fn tsv(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\t', '\n', '\r']) {
        s.replace(['\t', '\n', '\r'], " ").into()
    } else {
        s.into()
    }
}

/// One TSV line, written field by field (this is the streaming hot path: no formatting machinery).
/// One TSV line, written field by field (this is the streaming hot path: no formatting machinery).
fn write_tsv(
    out: &mut impl Write,
    input: &str,
    result: &Result<Lookup<'_>, LookupError>,
    columns: Option<[&str; 5]>,
) -> std::io::Result<()> {
    out.write_all(tsv(input).as_bytes())?;
    match (result, columns) {
        (Ok(found), Some([category, territory, cli, automated, sms])) => {
            out.write_all(b"\ttrue\t")?;
            if let Some(significant) = found.significant_bytes() {
                out.write_all(b"+")?;
                out.write_all(numplan::number::decimal(found.country_code, &mut [0; 10]))?;
                out.write_all(significant)?;
            }
            for field in [
                found.national.as_bytes(),
                category.as_bytes(),
                territory.as_bytes(),
            ] {
                out.write_all(b"\t")?;
                out.write_all(field)?;
            }
            for field in [cli, automated, sms, found.answer.allocation_code().unwrap_or("")] {
                out.write_all(b"\t")?;
                out.write_all(field.as_bytes())?;
            }
            out.write_all(b"\t\n")
        }
        (Ok(_), None) => out.write_all(b"\n"),
        (Err(e), _) => {
            out.write_all(b"\tfalse\t\t")?;
            out.write_all(e.national().unwrap_or("").as_bytes())?;
            // Error messages hold no tab or line break (characters are quoted with {:?}).
            writeln!(out, "\t\t\t\t\t\t\t{e}")
        }
    }
}

fn write_text(
    out: &mut impl Write,
    input: &str,
    at: Date,
    result: &Result<Lookup<'_>, LookupError>,
    plan: &str,
) -> std::io::Result<()> {
    match result {
        Ok(found) => {
            let a = &found.answer;
            let cat = a.category();
            let (tid, tname, cc, _) = a.territory();
            let e164 = found.e164().unwrap_or_else(|| "(no E.164 form)".to_string());
            writeln!(out, "{input}: {e164}, on {at}")?;
            writeln!(out, "  category   {} ({})", cat.name, cat.id)?;
            writeln!(out, "  territory  {tname} ({tid}, +{cc})")?;
            match a.allocation() {
                Some(al) => {
                    let name = al.name.unwrap_or("(name not published)");
                    let date = al.allocated.map_or(String::new(), |d| format!(", allocated {d}"));
                    writeln!(out, "  operator   {} {name} (block {}{date})", al.code, al.block)?;
                }
                None => writeln!(out, "  operator   none: no block of the register holds it")?,
            }
            for r in a.rules() {
                writeln!(
                    out,
                    "  {:<24} {:<10} {} [{}]",
                    r.rule,
                    r.value,
                    period(r.from, r.until),
                    r.basis
                )?;
            }
            writeln!(out, "  source     plan-sources/{plan}/{}", a.range().2)
        }
        Err(e) => writeln!(out, "{input}: invalid: {e}"),
    }
}

#[derive(Serialize)]
struct Valid<'x> {
    input: &'x str,
    valid: bool,
    e164: Option<String>,
    national: &'x str,
    plan: &'x str,
    at: &'x str,
    prefix: &'x str,
    category: &'x str,
    category_name: &'x str,
    territory: &'x str,
    territory_name: &'x str,
    country_code: u32,
    rules: Rules<'x, 'x>,
    operator: Option<Operator<'x>>,
    basis: Vec<&'x str>,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'x Verdict>,
}

#[derive(Serialize)]
struct Invalid<'x> {
    input: &'x str,
    valid: bool,
    error: String,
    national: Option<&'x str>,
    plan: &'x str,
    at: &'x str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'x Verdict>,
}

#[derive(Serialize)]
struct Operator<'x> {
    code: &'x str,
    name: Option<&'x str>,
    allocated: Option<String>,
    block: String,
    source: String,
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
