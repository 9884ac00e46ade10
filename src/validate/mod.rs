//! Validation: raw sources in, a [`Plan`] and every diagnostic out.
//!
//! Validation never stops at the first problem. It checks, in order: the manifest (ids, dialling,
//! territories, rules, documents); the categories (lengths, rule statements, their periods and
//! legal basis); the ranges (syntax, references, periods, lengths, conflicts between ranges);
//! the operators; and every register block (tranche consistency, territory, operator,
//! duplicates, which range it falls in, length). A [`Plan`] is returned only when no error was
//! found; warnings do not prevent it.
//!
//! One submodule per kind of source: `manifest` (plan.yaml), `categories`, `ranges` (and the
//! conflicts between them), `register` (operators, snapshots, blocks). This module holds the
//! driver ([`validate`]), the plan under construction and the checks they share (ids, dates,
//! periods, legal bases, suggestions).

use crate::date::Date;
use crate::diag::{Code, Diagnostic, Severity};
use crate::load::{self, Loaded, S, span_of};
use crate::plan::{
    Basis, Category, Condition, ContextKey, Document, Operator, Period, Plan, Range, Register, Requirement,
    RuleDef, SourceRef, Territory, Use,
};
use crate::span::{FileId, SourceMap, Span};
use std::collections::HashMap;
use std::path::Path;

mod categories;
mod manifest;
mod ranges;
mod register;
mod table;

use table::{Named, Syntax, Table};

/// The outcome of checking a plan.
#[derive(Debug)]
pub struct Checked {
    /// The plan, when it has no errors.
    pub plan: Option<Plan>,
    /// Every problem found, sorted by location.
    pub diagnostics: Vec<Diagnostic>,
    /// The texts the diagnostics point into.
    pub sources: SourceMap,
    /// True when `plan.yaml` could not be read at all.
    pub no_manifest: bool,
}

impl Checked {
    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        crate::diag::count(&self.diagnostics).0
    }
}

/// Loads and validates the plan in `dir`.
pub fn check_dir(dir: &Path) -> Checked {
    validate(load::load_dir(dir))
}

/// [`check_dir`] under `limits` (a larger register file, say).
pub fn check_dir_with(dir: &Path, limits: &load::Limits) -> Checked {
    validate(load::load_dir_with(dir, limits))
}

/// [`check_dir_with`], telling `progress(done, total)` how far it is: now and then while the
/// register's rows are read, in bytes of register text (`total` is the same in every call). The
/// library prints nothing: the CLI draws a bar with it.
pub fn check_dir_observed(dir: &Path, limits: &load::Limits, progress: &dyn Fn(u64, u64)) -> Checked {
    validate_observed(load::load_dir_with(dir, limits), progress)
}

/// Validates what [`load::load_with`] or [`load::load_dir`] read.
pub fn validate(loaded: Loaded) -> Checked {
    validate_observed(loaded, &|_, _| {})
}

/// [`validate`], telling `progress` how far it is, as [`check_dir_observed`] does.
pub fn validate_observed(loaded: Loaded, progress: &dyn Fn(u64, u64)) -> Checked {
    let Loaded {
        sources,
        manifest,
        categories,
        ranges,
        blocks,
        current,
        history,
        operators,
        extra_operators,
        diagnostics,
        no_manifest,
        missing,
    } = loaded;
    // Arcep's block files are read row by row during validation, once for each snapshot that
    // lists them.
    let register_bytes: u64 = std::iter::once(&current)
        .chain(&history)
        .flatten()
        .filter_map(|&i| blocks.get(i))
        .filter(|(_, rows)| matches!(rows, crate::load::RegisterRows::Majnum))
        .map(|(file, _)| sources.file(*file).text().len() as u64)
        .sum();
    let mut v = Validator {
        sources: &sources,
        diags: diagnostics,
        progress,
        register_bytes: (register_bytes, 0),
    };
    let plan = manifest.and_then(|(mfile, m)| {
        let mut b = Builder::new();
        v.manifest(&mut b, mfile, &m);
        for (file, cats) in &categories {
            for c in &cats.categories {
                v.category(&mut b, *file, c);
            }
        }
        // Without every category, range references cannot be judged; without every range, blocks
        // cannot be placed: those checks are skipped rather than report the first error's echoes.
        if !missing.categories {
            for (file, rs) in &ranges {
                for r in &rs.ranges {
                    v.range(&mut b, *file, r);
                }
            }
            v.range_conflicts(&b);
        }
        if let Some((file, rows)) = &operators {
            v.operator_list(&mut b, *file, rows);
        }
        if let Some((file, ops)) = &extra_operators {
            v.extra_operators(&mut b, *file, ops);
        }
        v.requirements(&mut b, mfile, &m, missing);
        let files = |which: &[usize]| -> Vec<&(FileId, crate::load::RegisterRows)> {
            which.iter().filter_map(|&i| blocks.get(i)).collect()
        };
        if let Some(reg) = &m.files.register
            && let Some(format) = v.register_format(mfile, reg)
        {
            v.register_options(mfile, reg, format);
            let mut snapshots: Vec<Vec<&(FileId, crate::load::RegisterRows)>> = vec![files(&current)];
            snapshots.extend(history.iter().map(|which| files(which)));
            let file_dates: Vec<_> = snapshots.iter().map(|s| v.files_date(s)).collect();
            let dates = v.register_dates(&mut b, mfile, reg, &file_dates);
            let newest_first: Vec<_> = std::iter::once(snapshots[0].clone())
                .chain(snapshots[1..].iter().rev().cloned())
                .collect();
            v.row_operators(&mut b, &newest_first);
            b.blocks = v.blocks(&b, &snapshots[0], b.register_date, missing);
            for (date, files) in dates.into_iter().zip(&snapshots[1..]) {
                let blocks = v.blocks(&b, files, date, missing);
                if date.is_some() {
                    b.history.push(blocks);
                }
            }
        }
        let expires = m.expires.as_ref().and_then(|e| v.date(mfile, e));
        b.finish(&m, expires, sources_sha256(&sources))
    });
    let mut diagnostics = v.diags;
    crate::diag::sort(&mut diagnostics);
    // A block file shared by several snapshots is checked with each: report its problems once.
    diagnostics.dedup();
    // A file with a hundred thousand bad rows gives fifty located errors of each kind and a count.
    crate::diag::cap(&mut diagnostics);
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Checked {
        plan: if has_errors { None } else { plan },
        diagnostics,
        sources,
        no_manifest,
    }
}

/// The plan under construction, with the spans diagnostics need.
struct Builder {
    territories: Table<Territory>,
    register_names: HashMap<String, (usize, Span)>,
    rules: Table<RuleDef>,
    uses: Table<Use>,
    context: Table<ContextKey>,
    conditions: Table<Condition>,
    requirements: Vec<Requirement>,
    documents: Table<Document>,
    categories: Table<Category>,
    category_length_spans: Vec<Span>,
    ranges: Vec<Range>,
    range_spans: Vec<Span>,
    operators: Table<Operator>,
    /// The current register.
    blocks: Register,
    register_date: Option<Date>,
    /// The earlier snapshots that have a date, oldest first.
    history: Vec<Register>,
    national_prefix: String,
    international_prefix: String,
    national_prefix_in_numbers: bool,
    /// Some range entry was rejected: blocks are not placed (they would echo that error).
    broken_ranges: bool,
    /// Categories whose `lengths` had an error: length checks against them are skipped.
    broken_lengths: std::collections::HashSet<usize>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            territories: Table::new(&table::TERRITORY),
            register_names: HashMap::new(),
            rules: Table::new(&table::RULE),
            uses: Table::new(&table::USE),
            context: Table::new(&table::CONTEXT_KEY),
            conditions: Table::new(&table::CONDITION),
            requirements: Vec::new(),
            documents: Table::new(&table::DOCUMENT),
            categories: Table::new(&table::CATEGORY),
            category_length_spans: Vec::new(),
            ranges: Vec::new(),
            range_spans: Vec::new(),
            operators: Table::new(&table::OPERATOR),
            blocks: Register::default(),
            register_date: None,
            history: Vec::new(),
            national_prefix: String::new(),
            international_prefix: String::new(),
            national_prefix_in_numbers: true,
            broken_ranges: false,
            broken_lengths: Default::default(),
        }
    }
}

impl Builder {
    fn finish(self, m: &load::RawManifest, expires: Option<Date>, sources_sha256: [u8; 32]) -> Option<Plan> {
        Some(Plan {
            id: m.id.value.clone(),
            name: m.name.value.clone(),
            authority: m.authority.value.clone(),
            version: m.version.value.clone(),
            sequence: m.sequence.as_ref().map_or(0, |s| s.value),
            expires,
            sources_sha256,
            time_zone: m.time_zone.value.clone(),
            national_prefix: self.national_prefix,
            international_prefix: self.international_prefix,
            national_prefix_in_numbers: self.national_prefix_in_numbers,
            territories: self.territories.into_items(),
            rules: self.rules.into_items(),
            uses: self.uses.into_items(),
            context: self.context.into_items(),
            conditions: self.conditions.into_items(),
            requirements: self.requirements,
            documents: self.documents.into_items(),
            categories: self.categories.into_items(),
            ranges: self.ranges,
            operators: self.operators.into_items(),
            has_register: m.files.register.is_some(),
            registers: self.history.into_iter().chain([self.blocks]).collect(),
            register_date: self.register_date,
            views: Default::default(),
        })
    }
}

/// The most uses a plan may declare (answers and the artifact keep them in 32-bit sets).
pub const MAX_USES: usize = 32;
/// The most register snapshots a plan may have, the current one included (the artifact numbers
/// them in 6 bits).
pub const MAX_SNAPSHOTS: usize = 64;
/// The most `key=value` pairs in a condition's `when`.
pub const MAX_WHEN: usize = 16;
/// The most conditions one verdict statement carries.
pub const MAX_STATEMENT_CONDITIONS: usize = 16;
/// The most requirements a plan has.
pub const MAX_REQUIREMENTS: usize = 1024;

/// A `doubt:` text, trimmed; an empty one is none.
fn doubt(s: &Option<S<String>>) -> Option<String> {
    s.as_ref()
        .map(|d| d.value.trim().to_string())
        .filter(|d| !d.is_empty())
}

struct Validator<'a> {
    sources: &'a SourceMap,
    diags: Vec<Diagnostic>,
    /// Told the bytes of register text read so far, and the total.
    progress: &'a dyn Fn(u64, u64),
    /// Bytes of register text to read (each snapshot reads its files), and read so far.
    register_bytes: (u64, u64),
}

/// Is `s` a slug: lower-case ASCII letters, digits and inner `-`?
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Is `s` a document id: ASCII letters, digits, `-` and `.`?
fn is_document_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The candidate closest to `name` by edit distance, when it is close enough to be a typo.
fn suggest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or the list of what exists.
/// `what` is `(singular, plural)`.
fn help_for<'c>(
    name: &str,
    (one, many): (&str, &str),
    candidates: impl IntoIterator<Item = &'c str> + Clone,
) -> String {
    match suggest(name, candidates.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            if all.is_empty() {
                format!("no {one} is defined")
            } else {
                format!("the {many} defined are: {}", all.join(", "))
            }
        }
    }
}

impl Validator<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn span<T>(&self, file: FileId, s: &S<T>) -> Span {
        span_of(file, s)
    }

    fn source_ref<T>(&self, file: FileId, s: &S<T>) -> SourceRef {
        SourceRef {
            file: file_name(self.sources, file),
            line: u32::try_from(s.referenced.line()).unwrap_or(u32::MAX),
        }
    }

    /// A sub-span of a scalar's value, when the value is written verbatim in the source (plain or
    /// simple quoted scalars); the whole scalar otherwise.
    fn value_sub_span(&self, file: FileId, s: &S<String>, offset: usize, len: usize) -> Span {
        let whole = self.span(file, s);
        let text = self.sources.slice(whole);
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
            .unwrap_or(text);
        if inner == s.value {
            let skip = text.len() - inner.len();
            let quote = skip / 2;
            whole.subspan(quote + offset..quote + offset + len.max(1))
        } else {
            whole
        }
    }

    fn slug(&mut self, file: FileId, s: &S<String>, what: &str) -> bool {
        if is_slug(&s.value) {
            return true;
        }
        let d = Diagnostic::error(
            Code::BadId,
            self.span(file, s),
            format!("`{}` is not a valid {what} id", s.value),
        )
        .with_label("not a slug")
        .with_help("ids are lower-case ASCII letters, digits and `-`, e.g. `premium-rate`");
        self.error(d);
        false
    }

    fn date(&mut self, file: FileId, s: &S<String>) -> Option<Date> {
        match Date::parse(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                let mut d =
                    Diagnostic::error(Code::BadDate, self.span(file, s), e.message).with_label("not a date");
                let iso_shaped = s.value.len() == 10
                    && s.value.bytes().enumerate().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            c == b'-'
                        } else {
                            c.is_ascii_digit()
                        }
                    });
                let fallback = if iso_shaped {
                    "the form is right, but that day does not exist: check the month and day"
                } else {
                    "write dates as YYYY-MM-DD, e.g. 2023-01-01"
                };
                d = d.with_help(e.help.unwrap_or_else(|| fallback.to_string()));
                self.error(d);
                None
            }
        }
    }

    /// Reads `from`/`until`; `None` if a date is bad or the period is empty.
    fn period(
        &mut self,
        file: FileId,
        from: &Option<S<String>>,
        until: &Option<S<String>>,
    ) -> Option<Period> {
        let f = match from {
            Some(s) => Some(self.date(file, s)?),
            None => None,
        };
        let u = match until {
            Some(s) => Some(self.date(file, s)?),
            None => None,
        };
        if let (Some(fd), Some(ud), Some(fs), Some(us)) = (f, u, from, until)
            && ud <= fd
        {
            let d = Diagnostic::error(
                Code::EmptyPeriod,
                self.span(file, us),
                format!("`until` {ud} is not after `from` {fd}"),
            )
            .with_label("the period ends here")
            .with_secondary(self.span(file, fs), "and starts here")
            .with_help(
                "`from` is the first day (inclusive), `until` the first day after the period (exclusive)",
            );
            self.error(d);
            return None;
        }
        Some(Period { from: f, until: u })
    }

    fn basis(&mut self, b: &Builder, file: FileId, s: &S<String>) -> Option<Basis> {
        let text = s.value.trim();
        let id = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .next()
            .unwrap_or("");
        match b.documents.index(id) {
            Some(document) => Some(Basis {
                document,
                text: text.to_string(),
            }),
            None if b.documents.is_broken(id) => None,
            None => {
                let span = self.value_sub_span(file, s, s.value.find(id).unwrap_or(0), id.len());
                let help = if id.is_empty() {
                    "a basis starts with the id of a document declared in plan.yaml, e.g. `TA-2020 s. 12(1)`"
                        .to_string()
                } else {
                    help_for(id, ("document", "documents"), b.documents.ids())
                };
                let d = Diagnostic::error(
                    Code::UnknownDocument,
                    span,
                    format!("the basis cites `{id}`, which plan.yaml does not declare"),
                )
                .with_label("unknown document")
                .with_help(help);
                self.error(d);
                None
            }
        }
    }

    fn duplicate(&mut self, code: Code, span: Span, first: Span, what: &str, id: &str) {
        let d = Diagnostic::error(code, span, format!("{what} `{id}` is defined twice"))
            .with_label("defined again here")
            .with_secondary(first, "first defined here")
            .with_help("ids must be unique; rename or remove one");
        self.error(d);
    }

    /// Checks the id of a new definition in `table`: written as its kind's ids are, and not
    /// already defined. A badly written id is marked broken, so that references to it are not
    /// reported again; a duplicate is reported and the first definition kept.
    fn new_id<T: Named>(&mut self, table: &mut Table<T>, file: FileId, id: &S<String>) -> bool {
        let well_written = match table.kind.syntax {
            Syntax::Slug => self.slug(file, id, table.kind.one),
            Syntax::Document => self.document_id(file, id),
        };
        if !well_written {
            table.mark_broken(&id.value);
            return false;
        }
        if let Some(first) = table.span_of(&id.value) {
            self.duplicate(
                Code::DuplicateId,
                self.span(file, id),
                first,
                table.kind.one,
                &id.value,
            );
            return false;
        }
        true
    }

    /// The index of the definition in `table` that `name` (written at `span`) refers to. An
    /// unknown name is reported with the closest id or the list of ids, unless a definition of
    /// it was rejected (that error was reported).
    fn reference<T: Named>(&mut self, table: &Table<T>, name: &str, span: Span) -> Option<usize> {
        if let Some(i) = table.index(name) {
            return Some(i);
        }
        if !table.is_broken(name) {
            let kind = table.kind;
            let help = help_for(name, (kind.one, kind.many), table.ids());
            let d = Diagnostic::error(
                kind.unknown,
                span,
                format!("{} `{name}` is {}", kind.one, kind.missing),
            )
            .with_label(format!("unknown {}", kind.one))
            .with_help(help);
            self.error(d);
        }
        None
    }

    fn document_id(&mut self, file: FileId, s: &S<String>) -> bool {
        if is_document_id(&s.value) {
            return true;
        }
        let d = Diagnostic::error(
            Code::BadId,
            self.span(file, s),
            format!("`{}` is not a valid document id", s.value),
        )
        .with_label("not an id")
        .with_help("document ids are ASCII letters, digits, `-` and `.`, e.g. `TA-2020`");
        self.error(d);
        false
    }

    /// The values of a rule or context key: slugs, none twice, at least one. `owner` names what
    /// they belong to in messages (`rule \`tariff\``), `example` is a `values:` line for the help.
    fn value_list(
        &mut self,
        file: FileId,
        values: &[S<String>],
        owner: (&str, Span),
        example: &str,
    ) -> Vec<String> {
        let (name, span) = owner;
        let mut out: Vec<String> = Vec::new();
        for v in values {
            if !self.slug(file, v, "value") {
                continue;
            }
            if out.contains(&v.value) {
                let d = Diagnostic::error(
                    Code::DuplicateId,
                    self.span(file, v),
                    format!("value `{}` is listed twice", v.value),
                )
                .with_label("again here");
                self.error(d);
            } else {
                out.push(v.value.clone());
            }
        }
        if values.is_empty() {
            let d = Diagnostic::error(Code::BadValue, span, format!("{name} has no values"))
                .with_help(format!("list the values it may take, e.g. `{example}`"));
            self.error(d);
        }
        out
    }

    /// Reports a word that is not one of `allowed`.
    fn bad_word(&mut self, file: FileId, s: &S<String>, what: &str, allowed: &[&str]) {
        let help = help_for(&s.value, ("value", "values"), allowed.iter().copied());
        let d = Diagnostic::error(
            Code::BadValue,
            self.span(file, s),
            format!("`{}` is not a value {what} takes", s.value),
        )
        .with_label("unknown value")
        .with_help(help);
        self.error(d);
    }

    /// The span of a whole YAML list: serde-saphyr gives only its first token, so extend it over
    /// the items (and a closing `]` of a flow list).
    fn list_span<T>(&self, file: FileId, list: &S<Vec<S<T>>>) -> Span {
        let start = self.span(file, list);
        let Some(last) = list.value.last() else {
            return start;
        };
        let end = self.span(file, last);
        let text = self.sources.file(file).text();
        let mut stop = end.end as usize;
        if let Some(rest) = text.get(stop..) {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if trimmed.starts_with(']') {
                stop += rest.len() - trimmed.len() + 1;
            }
        }
        Span::new(file, start.start as usize..stop.max(start.end as usize))
    }
}

/// SHA-256 over the plan's files: for each, sorted by name relative to the plan directory, the name,
/// a zero byte, the text's length (u64 little-endian) and the text. Independent of where the plan
/// directory is and of the order files were read or written in.
pub fn sources_sha256(sources: &SourceMap) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(String, &str)> = sources
        .files()
        .map(|(id, f)| (file_name(sources, id), f.text()))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for (name, text) in files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().into()
}

fn file_name(sources: &SourceMap, file: FileId) -> String {
    sources.file(file).name().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["ca", "premium-rate", "automated-call", "a1"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "Premium", "a_b", "é", "a b"] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn suggestions_find_typos_only() {
        let c = ["geographic", "geographic-verified", "cellular"];
        assert_eq!(suggest("geografic", c), Some("geographic"));
        assert_eq!(suggest("celular", c), Some("cellular"));
        assert_eq!(suggest("emergency", c), None);
    }
}
