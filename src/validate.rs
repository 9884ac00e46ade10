//! Validation: raw sources in, a [`Plan`] and every diagnostic out.
//!
//! Validation never stops at the first problem. It checks, in order: the manifest (ids, dialling,
//! territories, rules, documents); the categories (lengths, rule statements, their periods and
//! legal basis); the ranges (syntax, references, periods, lengths, conflicts between ranges);
//! the operators; and every register block (tranche consistency, territory, operator,
//! duplicates, which range it falls in, length). A [`Plan`] is returned only when no error was
//! found; warnings do not prevent it.

use crate::date::Date;
use crate::diag::{Code, Diagnostic, Severity};
use crate::load::{self, Loaded, S, span_of};
use crate::plan::{
    self, Basis, Block, Category, Check, Condition, ContextKey, Document, Operator, Period, Plan, Range,
    Requirement, RuleDef, RuleStatement, Snapshot, SourceRef, Territory, Use, UseStatement, Verdict,
};
use crate::range;
use crate::span::{FileId, SourceMap, Span};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

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
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// Loads and validates the plan in `dir`.
pub fn check_dir(dir: &Path) -> Checked {
    validate(load::load_dir(dir))
}

/// Validates what [`load::load_with`] or [`load::load_dir`] read.
pub fn validate(loaded: Loaded) -> Checked {
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
    let mut v = Validator {
        sources: &sources,
        diags: diagnostics,
    };
    let plan = manifest.and_then(|(mfile, m)| {
        let mut b = Builder::default();
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
        let files = |which: &[usize]| -> Vec<&(FileId, Vec<crate::register::BlockRow>)> {
            which.iter().filter_map(|&i| blocks.get(i)).collect()
        };
        b.blocks = v.blocks(&b, &files(&current), missing);
        if let Some(reg) = &m.files.register {
            let dates = v.register_dates(&mut b, mfile, reg);
            for (date, which) in dates.into_iter().zip(&history) {
                let blocks = v.blocks(&b, &files(which), missing);
                if let Some(date) = date {
                    b.history.push(Snapshot { date, blocks });
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
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Checked {
        plan: if has_errors { None } else { plan },
        diagnostics,
        sources,
        no_manifest,
    }
}

/// The plan under construction, with the spans diagnostics need.
#[derive(Default)]
struct Builder {
    territories: Vec<Territory>,
    territory_spans: Vec<Span>,
    register_names: HashMap<String, (usize, Span)>,
    rules: Vec<RuleDef>,
    rule_spans: Vec<Span>,
    uses: Vec<Use>,
    use_spans: Vec<Span>,
    context: Vec<ContextKey>,
    context_spans: Vec<Span>,
    conditions: Vec<Condition>,
    condition_spans: Vec<Span>,
    requirements: Vec<Requirement>,
    documents: Vec<Document>,
    document_spans: Vec<Span>,
    categories: Vec<Category>,
    category_spans: Vec<Span>,
    category_length_spans: Vec<Span>,
    ranges: Vec<Range>,
    range_spans: Vec<Span>,
    operators: Vec<Operator>,
    operator_index: HashMap<String, (usize, Span)>,
    blocks: Vec<Block>,
    register_date: Option<Date>,
    history: Vec<Snapshot>,
    national_prefix: String,
    international_prefix: String,
    /// Some range entry was rejected: blocks are not placed (they would echo that error).
    broken_ranges: bool,
    /// Ids whose definition was rejected (`kind:id`): references to them are not reported again.
    broken_ids: std::collections::HashSet<String>,
    /// Categories whose `lengths` had an error: length checks against them are skipped.
    broken_lengths: std::collections::HashSet<usize>,
}

impl Builder {
    fn broken(&self, kind: &str, id: &str) -> bool {
        self.broken_ids.contains(&format!("{kind}:{id}"))
    }

    fn mark_broken(&mut self, kind: &str, id: &str) {
        self.broken_ids.insert(format!("{kind}:{id}"));
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
            territories: self.territories,
            rules: self.rules,
            uses: self.uses,
            context: self.context,
            conditions: self.conditions,
            requirements: self.requirements,
            documents: self.documents,
            categories: self.categories,
            ranges: self.ranges,
            operators: self.operators,
            has_register: m.files.register.is_some(),
            blocks: self.blocks,
            register_date: self.register_date,
            history: self.history,
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
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
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
        match b.documents.iter().position(|d| d.id == id) {
            Some(document) => Some(Basis {
                document,
                text: text.to_string(),
            }),
            None if b.broken("document", id) => None,
            None => {
                let span = self.value_sub_span(file, s, s.value.find(id).unwrap_or(0), id.len());
                let help = if id.is_empty() {
                    "a basis starts with the id of a document declared in plan.yaml, e.g. `TA-2020 s. 12(1)`"
                        .to_string()
                } else {
                    help_for(
                        id,
                        ("document", "documents"),
                        b.documents.iter().map(|d| d.id.as_str()),
                    )
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

    /// Checks the id of a new definition of `kind` (`territory`, `rule`, `use`…): a slug, not
    /// already defined (`first`: where it is). A bad id is marked broken, so that references to
    /// it are not reported again; a duplicate is reported and the first definition kept.
    fn new_id(
        &mut self,
        b: &mut Builder,
        file: FileId,
        id: &S<String>,
        kind: &str,
        first: Option<Span>,
    ) -> bool {
        if !self.slug(file, id, kind) {
            b.mark_broken(kind, &id.value);
            return false;
        }
        if let Some(first) = first {
            self.duplicate(Code::DuplicateId, self.span(file, id), first, kind, &id.value);
            return false;
        }
        true
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

    fn manifest(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        self.slug(file, &m.id, "plan");
        for (s, what) in [
            (&m.dialling.national_prefix, "national"),
            (&m.dialling.international_prefix, "international"),
        ] {
            let ok = !s.value.is_empty() && s.value.len() <= 4 && s.value.bytes().all(|c| c.is_ascii_digit());
            if ok {
                if what == "national" {
                    b.national_prefix = s.value.clone();
                } else {
                    b.international_prefix = s.value.clone();
                }
            } else {
                let d = Diagnostic::error(
                    Code::BadValue,
                    self.span(file, s),
                    format!("the {what} prefix `{}` is not 1 to 4 digits", s.value),
                )
                .with_label("expected digits")
                .with_help("write 1 to 4 digits, quoted so YAML keeps leading zeros: `\"0\"`, `\"00\"`");
                self.error(d);
            }
        }
        self.time_zone(file, &m.time_zone);
        for t in &m.territories {
            let span = self.span(file, &t.id);
            let first = b
                .territories
                .iter()
                .position(|x| x.id == t.id.value)
                .map(|i| b.territory_spans[i]);
            if !self.new_id(b, file, &t.id, "territory", first) {
                continue;
            }
            let cc = match &t.country_code {
                Some(c) if (1..=999).contains(&c.value) => u16::try_from(c.value).ok(),
                Some(c) => {
                    let d = Diagnostic::error(
                        Code::BadValue,
                        self.span(file, c),
                        format!("{} is not an E.164 country code", c.value),
                    )
                    .with_label("expected 1 to 999")
                    .with_help("country codes have 1 to 3 digits, e.g. 33 or 262");
                    self.error(d);
                    None
                }
                None => {
                    if t.doubt.is_none() {
                        let d = Diagnostic::error(
                            Code::BadValue,
                            span,
                            format!("territory `{}` has no country code and no `doubt`", t.id.value),
                        )
                        .with_label("no country code")
                        .with_help(
                            "give its `country_code`, or say in `doubt:` why the sources do not give it",
                        );
                        self.error(d);
                    }
                    None
                }
            };
            if let Some(tz) = &t.time_zone {
                self.time_zone(file, tz);
            }
            let idx = b.territories.len();
            for n in &t.register_names {
                let nspan = self.span(file, n);
                if let Some((_, first)) = b.register_names.get(&n.value) {
                    let first = *first;
                    self.duplicate(Code::DuplicateId, nspan, first, "register name", &n.value);
                } else {
                    b.register_names.insert(n.value.clone(), (idx, nspan));
                }
            }
            b.territories.push(Territory {
                id: t.id.value.clone(),
                name: t.name.value.clone(),
                country_code: cc,
                time_zone: t
                    .time_zone
                    .as_ref()
                    .map_or_else(|| m.time_zone.value.clone(), |z| z.value.clone()),
                register_names: t.register_names.iter().map(|n| n.value.clone()).collect(),
                doubt: doubt(&t.doubt),
                source: self.source_ref(file, &t.id),
            });
            b.territory_spans.push(span);
        }
        for r in &m.rules {
            let span = self.span(file, &r.id);
            let first = b
                .rules
                .iter()
                .position(|x| x.id == r.id.value)
                .map(|i| b.rule_spans[i]);
            if !self.new_id(b, file, &r.id, "rule", first) {
                continue;
            }
            let owner = format!("rule `{}`", r.id.value);
            let values = self.value_list(file, &r.values, (&owner, span), "values: [allowed, forbidden]");
            b.rules.push(RuleDef {
                id: r.id.value.clone(),
                description: r.description.value.clone(),
                values,
            });
            b.rule_spans.push(span);
        }
        for doc in &m.documents {
            let span = self.span(file, &doc.id);
            if !is_document_id(&doc.id.value) {
                let d = Diagnostic::error(
                    Code::BadId,
                    span,
                    format!("`{}` is not a valid document id", doc.id.value),
                )
                .with_label("not an id")
                .with_help("document ids are ASCII letters, digits, `-` and `.`, e.g. `TA-2020`");
                self.error(d);
                b.mark_broken("document", &doc.id.value);
                continue;
            }
            if let Some(i) = b.documents.iter().position(|x| x.id == doc.id.value) {
                self.duplicate(
                    Code::DuplicateId,
                    span,
                    b.document_spans[i],
                    "document",
                    &doc.id.value,
                );
                continue;
            }
            let Some(date) = self.date(file, &doc.date) else {
                b.mark_broken("document", &doc.id.value);
                continue;
            };
            b.documents.push(Document {
                id: doc.id.value.clone(),
                title: doc.title.value.clone(),
                date,
                url: doc.url.as_ref().map(|u| u.value.clone()),
                doubt: doubt(&doc.doubt),
                source: self.source_ref(file, &doc.id),
            });
            b.document_spans.push(span);
        }
        self.uses(b, file, m);
        self.context(b, file, m);
        for c in &m.conditions {
            self.condition(b, file, c);
        }
    }

    /// The uses: slugs, unique among uses and rules (outputs put both side by side), at most
    /// [`MAX_USES`].
    fn uses(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        for u in &m.uses {
            let span = self.span(file, &u.id);
            let first = b
                .uses
                .iter()
                .position(|x| x.id == u.id.value)
                .map(|i| b.use_spans[i]);
            if !self.new_id(b, file, &u.id, "use", first) {
                continue;
            }
            if let Some(i) = b.rules.iter().position(|x| x.id == u.id.value) {
                let d = Diagnostic::error(
                    Code::DuplicateId,
                    span,
                    format!("`{}` is both a rule and a use", u.id.value),
                )
                .with_label("declared as a use here")
                .with_secondary(b.rule_spans[i], "and as a rule here")
                .with_help("rules and uses share one namespace in answers; rename one of them");
                self.error(d);
                b.mark_broken("use", &u.id.value);
                continue;
            }
            if b.uses.len() == MAX_USES {
                let d = Diagnostic::error(
                    Code::BadValue,
                    span,
                    format!("a plan may declare at most {MAX_USES} uses"),
                )
                .with_label("one use too many")
                .with_help("merge uses that are always judged alike");
                self.error(d);
                b.mark_broken("use", &u.id.value);
                continue;
            }
            b.uses.push(Use {
                id: u.id.value.clone(),
                name: u.name.value.clone(),
                description: u.description.as_ref().map(|d| d.value.clone()),
            });
            b.use_spans.push(span);
        }
    }

    /// The context keys and their values.
    fn context(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        for k in &m.context {
            let span = self.span(file, &k.id);
            let first = b
                .context
                .iter()
                .position(|x| x.id == k.id.value)
                .map(|i| b.context_spans[i]);
            if !self.new_id(b, file, &k.id, "context key", first) {
                continue;
            }
            let owner = format!("context key `{}`", k.id.value);
            let values = self.value_list(file, &k.values, (&owner, span), "values: [\"yes\", \"no\"]");
            b.context.push(ContextKey {
                id: k.id.value.clone(),
                description: k.description.value.clone(),
                values,
            });
            b.context_spans.push(span);
        }
    }

    /// A condition: its `when` context, what it decides, and what it leaves when unsettled.
    fn condition(&mut self, b: &mut Builder, file: FileId, c: &load::RawCondition) {
        let span = self.span(file, &c.id);
        let first = b
            .conditions
            .iter()
            .position(|x| x.id == c.id.value)
            .map(|i| b.condition_spans[i]);
        if !self.new_id(b, file, &c.id, "condition", first) {
            return;
        }
        let basis = match &c.basis {
            Some(s) => match self.basis(b, file, s) {
                Some(basis) => Some(basis),
                None => {
                    b.mark_broken("condition", &c.id.value);
                    return;
                }
            },
            None => None,
        };
        let when = self.when(b, file, &c.when);
        let then = match Verdict::parse(&c.then.value) {
            Some(v @ (Verdict::Allowed | Verdict::Forbidden)) => Some(v),
            _ => {
                self.bad_word(file, &c.then, "`then`", &["allowed", "forbidden"]);
                None
            }
        };
        let unsettled = match c.unsettled.as_ref().map(|u| u.value.as_str()) {
            None | Some("unchanged") => Some(false),
            Some("conditional") => Some(true),
            Some(_) => {
                let u = c.unsettled.as_ref().expect("matched Some above");
                self.bad_word(file, u, "`unsettled`", &["unchanged", "conditional"]);
                None
            }
        };
        let (Some(when), Some(then), Some(unsettled_conditional)) = (when, then, unsettled) else {
            b.mark_broken("condition", &c.id.value);
            return;
        };
        b.conditions.push(Condition {
            id: c.id.value.clone(),
            text: c.text.value.clone(),
            basis,
            when,
            then,
            unsettled_conditional,
            doubt: doubt(&c.doubt),
            source: self.source_ref(file, &c.id),
        });
        b.condition_spans.push(span);
    }

    /// A condition's `when`: `key=value` pairs separated by commas, each a declared context key
    /// and one of its values.
    fn when(&mut self, b: &Builder, file: FileId, s: &S<String>) -> Option<Vec<(usize, usize)>> {
        let mut pairs = Vec::new();
        let mut offset = 0;
        let mut ok = true;
        for part in s.value.split(',') {
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            let at = offset + lead;
            offset += part.len() + 1;
            let Some((key, value)) = item.split_once('=') else {
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, at, item.len()),
                    format!("`{item}` is not `key=value`"),
                )
                .with_label("expected `key=value`")
                .with_help("write the context that decides, e.g. `when: roaming=yes, verified=no`");
                self.error(d);
                ok = false;
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let Some(k) = b.context.iter().position(|c| c.id == key) else {
                if !b.broken("context key", key) {
                    let help = help_for(
                        key,
                        ("context key", "context keys"),
                        b.context.iter().map(|c| c.id.as_str()),
                    );
                    let d = Diagnostic::error(
                        Code::UnknownContext,
                        self.value_sub_span(file, s, at, key.len()),
                        format!("context key `{key}` is not declared in plan.yaml"),
                    )
                    .with_label("unknown context key")
                    .with_help(help);
                    self.error(d);
                }
                ok = false;
                continue;
            };
            let Some(v) = b.context[k].values.iter().position(|x| x == value) else {
                let help = help_for(
                    value,
                    ("value", "values"),
                    b.context[k].values.iter().map(String::as_str),
                );
                let after_eq = item.find('=').map_or(0, |i| i + 1);
                let voff = at + after_eq + (item[after_eq..].len() - item[after_eq..].trim_start().len());
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, voff, value.len()),
                    format!("`{value}` is not a value of context key `{key}`"),
                )
                .with_label("unknown value")
                .with_secondary(b.context_spans[k], "the key is declared here")
                .with_help(help);
                self.error(d);
                ok = false;
                continue;
            };
            if pairs.iter().any(|&(pk, _)| pk == k) {
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, at, item.len()),
                    format!("context key `{key}` is given twice"),
                )
                .with_label("again here")
                .with_help("a condition gives each key one value");
                self.error(d);
                ok = false;
                continue;
            }
            pairs.push((k, v));
        }
        if pairs.len() > MAX_WHEN {
            let d = Diagnostic::error(
                Code::UnknownContext,
                self.span(file, s),
                format!("a condition decides on at most {MAX_WHEN} context keys"),
            )
            .with_label("too many pairs")
            .with_help("split the condition in two");
            self.error(d);
            return None;
        }
        ok.then_some(pairs)
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

    fn time_zone(&mut self, file: FileId, s: &S<String>) {
        let v = &s.value;
        let ok = v == "UTC"
            || (v.contains('/')
                && v.split('/').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || b"_-+".contains(&c))
                }));
        if !ok {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, s),
                format!("`{v}` is not an IANA time zone name"),
            )
            .with_label("expected Area/Location")
            .with_help("use a tz database name such as `Europe/Paris` or `Indian/Reunion`");
            self.error(d);
            return;
        }
        // Shaped like a name: it must also be one that answers can be given in (the bundled
        // tzdb, the one `query` uses for "today").
        if jiff::tz::TimeZone::get(v).is_err() {
            let db = jiff::tz::db();
            let names: Vec<_> = db.available().collect();
            let help = match suggest(v, names.iter().map(|n| n.as_str())) {
                Some(name) => format!("did you mean `{name}`?"),
                None => {
                    "use a name of the IANA tz database, e.g. `Europe/Paris` or `Indian/Reunion`".to_string()
                }
            };
            let d = Diagnostic::error(
                Code::UnknownTimeZone,
                self.span(file, s),
                format!("`{v}` is not a time zone of the IANA tz database"),
            )
            .with_label("unknown time zone")
            .with_help(help);
            self.error(d);
        }
    }

    fn category(&mut self, b: &mut Builder, file: FileId, c: &load::RawCategory) {
        let span = self.span(file, &c.id);
        let first = b
            .categories
            .iter()
            .position(|x| x.id == c.id.value)
            .map(|i| b.category_spans[i]);
        if !self.new_id(b, file, &c.id, "category", first) {
            return;
        }
        let mut lengths = Vec::new();
        let mut lengths_ok = !c.lengths.value.is_empty();
        for l in &c.lengths.value {
            if (1..=20).contains(&l.value) {
                lengths.push(l.value as u8);
            } else {
                let d = Diagnostic::error(Code::BadValue, self.span(file, l), format!("{} is not a number length", l.value))
                    .with_label("expected 1 to 20")
                    .with_help("lengths count the digits of national numbers, trunk prefix included (10 for 01 23 45 67 89)");
                self.error(d);
                lengths_ok = false;
            }
        }
        if c.lengths.value.is_empty() {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, &c.lengths),
                format!("category `{}` allows no length", c.id.value),
            )
            .with_help("list the lengths its numbers may have, e.g. `lengths: [10]`");
            self.error(d);
        }
        lengths.sort_unstable();
        lengths.dedup();
        let basis = c.basis.as_ref().and_then(|s| self.basis(b, file, s));
        let mut rules: Vec<(RuleStatement, Span)> = Vec::new();
        for r in &c.rules {
            let rspan = self.span(file, &r.rule);
            let Some(rule) = b.rules.iter().position(|x| x.id == r.rule.value) else {
                if b.broken("rule", &r.rule.value) {
                    continue;
                }
                let help = help_for(
                    &r.rule.value,
                    ("rule", "rules"),
                    b.rules.iter().map(|x| x.id.as_str()),
                );
                let d = Diagnostic::error(
                    Code::UnknownRule,
                    rspan,
                    format!("rule `{}` is not declared in plan.yaml", r.rule.value),
                )
                .with_label("unknown rule")
                .with_help(help);
                self.error(d);
                continue;
            };
            let def = &b.rules[rule];
            if !def.values.contains(&r.value.value) {
                let help = help_for(
                    &r.value.value,
                    ("value", "values"),
                    def.values.iter().map(String::as_str),
                );
                let d = Diagnostic::error(
                    Code::UnknownRuleValue,
                    self.span(file, &r.value),
                    format!("`{}` is not a value of rule `{}`", r.value.value, def.id),
                )
                .with_label("unknown value")
                .with_secondary(b.rule_spans[rule], "the rule is declared here")
                .with_help(help);
                self.error(d);
                continue;
            }
            let Some(period) = self.period(file, &r.from, &r.until) else {
                continue;
            };
            let Some(basis) = self.basis(b, file, &r.basis) else {
                continue;
            };
            let statement = RuleStatement {
                rule,
                value: r.value.value.clone(),
                period,
                basis,
                doubt: doubt(&r.doubt),
                source: self.source_ref(file, &r.rule),
            };
            if let Some((other, ospan)) = rules
                .iter()
                .find(|(o, _)| o.rule == rule && o.period.overlaps(&period))
            {
                let d = Diagnostic::error(
                    Code::RuleOverlap,
                    rspan,
                    format!(
                        "rule `{}` of `{}` is stated twice for the same days ({} and {})",
                        b.rules[rule].id, c.id.value, other.period, period
                    ),
                )
                .with_label("this statement")
                .with_secondary(*ospan, "overlaps this one")
                .with_help(
                    "give the statements periods that do not overlap (`until` of one = `from` of the next)",
                );
                self.error(d);
                continue;
            }
            rules.push((statement, rspan));
        }
        let verdicts = self.verdicts(b, file, c);
        b.categories.push(Category {
            id: c.id.value.clone(),
            name: c.name.value.clone(),
            lengths,
            basis,
            rules: rules.into_iter().map(|(r, _)| r).collect(),
            verdicts,
            doubt: doubt(&c.doubt),
            source: self.source_ref(file, &c.id),
        });
        if !lengths_ok {
            b.broken_lengths.insert(b.categories.len() - 1);
        }
        b.category_spans.push(span);
        b.category_length_spans.push(self.list_span(file, &c.lengths));
    }

    /// The indices of the uses a list names; unknown ones are reported. `None` if any is unknown.
    fn use_list(&mut self, b: &Builder, file: FileId, list: &S<Vec<S<String>>>) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut ok = true;
        for u in &list.value {
            match b.uses.iter().position(|x| x.id == u.value) {
                Some(i) if out.contains(&i) => {
                    let d = Diagnostic::error(
                        Code::DuplicateId,
                        self.span(file, u),
                        format!("use `{}` is listed twice", u.value),
                    )
                    .with_label("again here");
                    self.error(d);
                    ok = false;
                }
                Some(i) => out.push(i),
                None => {
                    ok = false;
                    if b.broken("use", &u.value) {
                        continue;
                    }
                    let help = help_for(&u.value, ("use", "uses"), b.uses.iter().map(|x| x.id.as_str()));
                    let d = Diagnostic::error(
                        Code::UnknownUse,
                        self.span(file, u),
                        format!("use `{}` is not declared in plan.yaml", u.value),
                    )
                    .with_label("unknown use")
                    .with_help(help);
                    self.error(d);
                }
            }
        }
        if list.value.is_empty() {
            let d = Diagnostic::error(Code::BadValue, self.span(file, list), "the list of uses is empty")
                .with_help("name at least one use declared in plan.yaml");
            self.error(d);
            ok = false;
        }
        ok.then_some(out)
    }

    /// The condition a name refers to; an unknown one is reported.
    fn condition_ref(&mut self, b: &Builder, file: FileId, name: &S<String>) -> Option<usize> {
        if let Some(i) = b.conditions.iter().position(|c| c.id == name.value) {
            return Some(i);
        }
        if !b.broken("condition", &name.value) {
            let help = help_for(
                &name.value,
                ("condition", "conditions"),
                b.conditions.iter().map(|c| c.id.as_str()),
            );
            let d = Diagnostic::error(
                Code::UnknownCondition,
                self.span(file, name),
                format!("condition `{}` is not declared in plan.yaml", name.value),
            )
            .with_label("unknown condition")
            .with_help(help);
            self.error(d);
        }
        None
    }

    /// A category's verdict statements: uses, value, period, conditions, basis; two statements
    /// for the same use may not overlap in time.
    fn verdicts(&mut self, b: &Builder, file: FileId, c: &load::RawCategory) -> Vec<UseStatement> {
        let mut out: Vec<(UseStatement, Span)> = Vec::new();
        for v in &c.verdicts {
            let uses = self.use_list(b, file, &v.uses);
            let value = match Verdict::parse(&v.value.value) {
                Some(x @ (Verdict::Allowed | Verdict::Forbidden | Verdict::Unknown)) => Some(x),
                _ => {
                    self.bad_word(file, &v.value, "a verdict", &["allowed", "forbidden", "unknown"]);
                    None
                }
            };
            let period = self.period(file, &v.from, &v.until);
            let mut conditions = Some(Vec::new());
            for name in &v.conditions {
                match (self.condition_ref(b, file, name), conditions.as_mut()) {
                    (Some(i), Some(list)) => list.push(i),
                    _ => conditions = None,
                }
            }
            if v.conditions.len() > MAX_STATEMENT_CONDITIONS {
                let d = Diagnostic::error(
                    Code::BadValue,
                    self.span(file, &v.value),
                    format!("a verdict carries at most {MAX_STATEMENT_CONDITIONS} conditions"),
                )
                .with_label("this statement")
                .with_help("a requirement in plan.yaml can carry a condition for many categories");
                self.error(d);
                conditions = None;
            }
            let basis = self.basis(b, file, &v.basis);
            let (Some(uses), Some(value), Some(period), Some(conditions), Some(basis)) =
                (uses, value, period, conditions, basis)
            else {
                continue;
            };
            let span = self.list_span(file, &v.uses);
            if let Some((other, ospan)) = out
                .iter()
                .find(|(o, _)| o.period.overlaps(&period) && o.uses.iter().any(|u| uses.contains(u)))
            {
                let both = uses.iter().find(|u| other.uses.contains(u)).copied().unwrap_or(0);
                let d = Diagnostic::error(
                    Code::RuleOverlap,
                    span,
                    format!(
                        "use `{}` of `{}` is given two verdicts for the same days ({} and {})",
                        b.uses[both].id, c.id.value, other.period, period
                    ),
                )
                .with_label("this statement")
                .with_secondary(*ospan, "overlaps this one")
                .with_help(
                    "give the statements periods that do not overlap (`until` of one = `from` of the next)",
                );
                self.error(d);
                continue;
            }
            out.push((
                UseStatement {
                    uses,
                    value,
                    period,
                    conditions,
                    basis,
                    reason: v.reason.as_ref().map(|r| r.value.trim().to_string()),
                    doubt: doubt(&v.doubt),
                    source: self.source_ref(file, &v.uses),
                },
                span,
            ));
        }
        out.into_iter().map(|(s, _)| s).collect()
    }

    /// The plan-wide requirements (after the categories, which they may name).
    fn requirements(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest, missing: load::Missing) {
        if let Some(r) = m.requirements.get(MAX_REQUIREMENTS) {
            let at = r.check.as_ref().or(r.condition.as_ref()).unwrap_or(&r.basis);
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, at),
                format!("a plan has at most {MAX_REQUIREMENTS} requirements"),
            )
            .with_label("one too many")
            .with_help("requirements apply across categories: merge those that say the same");
            self.error(d);
        }
        for r in &m.requirements {
            let check = match (&r.check, &r.condition) {
                (Some(c), None) => match c.value.as_str() {
                    "valid" => Some(Check::Valid),
                    "allocated" if m.files.register.is_none() => {
                        let d = Diagnostic::error(
                            Code::BadValue,
                            self.span(file, c),
                            "`check: allocated` needs a register, and the plan has none",
                        )
                        .with_label("no register to check against")
                        .with_help("name the register files in `files.register`, or drop this requirement");
                        self.error(d);
                        None
                    }
                    "allocated" => Some(Check::Allocated),
                    _ => {
                        self.bad_word(file, c, "`check`", &["valid", "allocated"]);
                        None
                    }
                },
                (None, Some(name)) => self.condition_ref(b, file, name).map(Check::Condition),
                _ => {
                    let at = r.condition.as_ref().or(r.check.as_ref()).unwrap_or(&r.basis);
                    let d = Diagnostic::error(
                        Code::BadValue,
                        self.span(file, at),
                        "a requirement has either `check` or `condition`, not both or neither",
                    )
                    .with_label("here")
                    .with_help("write `check: valid`, `check: allocated`, or `condition: <id>`");
                    self.error(d);
                    None
                }
            };
            let uses = match &r.uses {
                Some(list) => self.use_list(b, file, list),
                None => Some((0..b.uses.len()).collect()),
            };
            let categories = match &r.categories {
                None => Some(None),
                Some(list) => {
                    let mut out = Some(Vec::new());
                    for c in &list.value {
                        match b.categories.iter().position(|x| x.id == c.value) {
                            Some(i) => {
                                if let Some(o) = out.as_mut() {
                                    o.push(i);
                                }
                            }
                            None => {
                                out = None;
                                // Without every categories file, the category may well exist.
                                if !missing.categories && !b.broken("category", &c.value) {
                                    let help = help_for(
                                        &c.value,
                                        ("category", "categories"),
                                        b.categories.iter().map(|x| x.id.as_str()),
                                    );
                                    let d = Diagnostic::error(
                                        Code::UnknownCategory,
                                        self.span(file, c),
                                        format!("category `{}` is not defined", c.value),
                                    )
                                    .with_label("unknown category")
                                    .with_help(help);
                                    self.error(d);
                                }
                            }
                        }
                    }
                    out.map(Some)
                }
            };
            let period = self.period(file, &r.from, &r.until);
            let basis = self.basis(b, file, &r.basis);
            let (Some(check), Some(uses), Some(categories), Some(period), Some(basis)) =
                (check, uses, categories, period, basis)
            else {
                continue;
            };
            let at = r.check.as_ref().or(r.condition.as_ref()).unwrap_or(&r.basis);
            b.requirements.push(Requirement {
                check,
                uses,
                categories,
                period,
                basis,
                doubt: doubt(&r.doubt),
                source: self.source_ref(file, at),
            });
        }
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

    fn range(&mut self, b: &mut Builder, file: FileId, r: &load::RawRange) {
        let nspan = self.span(file, &r.numbers);
        let numbers = match range::parse(&r.numbers.value) {
            Ok(x) => Some(x),
            Err(e) => {
                let span = self.value_sub_span(file, &r.numbers, e.offset, e.len);
                let mut d =
                    Diagnostic::error(Code::RangeSyntax, span, format!("invalid range: {}", e.message))
                        .with_label("here");
                d = d.with_help(e.help.unwrap_or_else(|| {
                    "write prefixes (`0162`), ranges (`0270-0271`) or lists (`0162, 0163`)".to_string()
                }));
                self.error(d);
                None
            }
        };
        let category = b.categories.iter().position(|c| c.id == r.category.value);
        if category.is_none() && !b.broken("category", &r.category.value) {
            let help = help_for(
                &r.category.value,
                ("category", "categories"),
                b.categories.iter().map(|c| c.id.as_str()),
            );
            let d = Diagnostic::error(
                Code::UnknownCategory,
                self.span(file, &r.category),
                format!("category `{}` is not defined", r.category.value),
            )
            .with_label("unknown category")
            .with_help(help);
            self.error(d);
        }
        let territory = b.territories.iter().position(|t| t.id == r.territory.value);
        if territory.is_none() && !b.broken("territory", &r.territory.value) {
            let help = help_for(
                &r.territory.value,
                ("territory", "territories"),
                b.territories.iter().map(|t| t.id.as_str()),
            );
            let d = Diagnostic::error(
                Code::UnknownTerritory,
                self.span(file, &r.territory),
                format!("territory `{}` is not defined", r.territory.value),
            )
            .with_label("unknown territory")
            .with_help(help);
            self.error(d);
        }
        let period = self.period(file, &r.from, &r.until);
        // `Some(None)`: no basis written; `None`: a basis that does not resolve.
        let basis = match &r.basis {
            Some(s) => self.basis(b, file, s).map(Some),
            None => Some(None),
        };
        let (Some(numbers), Some(category), Some(territory), Some(period), Some(basis)) =
            (numbers, category, territory, period, basis)
        else {
            b.broken_ranges = true;
            return;
        };
        // No item may be longer than the longest number of the category.
        // Narrower lengths for this range: each must be one the category allows.
        let mut lengths = None;
        if let Some(ls) = &r.lengths {
            let cat = &b.categories[category];
            let mut own = Vec::new();
            for l in &ls.value {
                let ok = u8::try_from(l.value).is_ok_and(|v| cat.lengths.contains(&v));
                if ok {
                    own.push(l.value as u8);
                } else if !b.broken_lengths.contains(&category) {
                    let allowed: Vec<String> = cat.lengths.iter().map(u8::to_string).collect();
                    let d = Diagnostic::error(
                        Code::LengthNotAllowed,
                        self.span(file, l),
                        format!(
                            "length {} is not one category `{}` allows ({})",
                            l.value,
                            cat.id,
                            allowed.join(", ")
                        ),
                    )
                    .with_label("not a length of the category")
                    .with_secondary(b.category_length_spans[category], "the category's lengths")
                    .with_help("a range's `lengths` narrows its category's: pick among them");
                    self.error(d);
                    b.broken_ranges = true;
                    return;
                }
            }
            if own.is_empty() {
                let d = Diagnostic::error(Code::BadValue, self.list_span(file, ls), "`lengths` is empty")
                    .with_help("omit `lengths` to use the category's, or list at least one");
                self.error(d);
                b.broken_ranges = true;
                return;
            }
            own.sort_unstable();
            own.dedup();
            lengths = Some(own);
        }
        let max = lengths
            .as_ref()
            .unwrap_or(&b.categories[category].lengths)
            .iter()
            .copied()
            .max()
            .unwrap_or(0) as usize;
        let too_long = numbers.items().iter().position(|i| i.digits() > max);
        if let Some(index) = too_long.filter(|_| !b.broken_lengths.contains(&category)) {
            let item = &numbers.items()[index];
            let digits = item.digits();
            // Items are the comma-separated parts of the value, in order.
            let mut offset = 0;
            let mut span = nspan;
            for (i, part) in r.numbers.value.split(',').enumerate() {
                if i == index {
                    let lead = part.len() - part.trim_start().len();
                    span = self.value_sub_span(file, &r.numbers, offset + lead, part.trim().len());
                    break;
                }
                offset += part.len() + 1;
            }
            let d = Diagnostic::error(
                Code::LengthNotAllowed,
                span,
                format!(
                    "`{item}` has {digits} digits, but numbers of `{}` have at most {max}",
                    r.category.value
                ),
            )
            .with_label(format!("{digits} digits"))
            .with_secondary(b.category_length_spans[category], "the category's lengths")
            .with_help("shorten the range, or add the length to the category");
            self.error(d);
            b.broken_ranges = true;
            return;
        }
        let prefixes = numbers.prefixes();
        b.ranges.push(Range {
            numbers,
            prefixes,
            category,
            territory,
            lengths,
            period,
            basis,
            doubt: doubt(&r.doubt),
            source: self.source_ref(file, &r.numbers),
        });
        b.range_spans.push(nspan);
    }

    /// Ranges that cover the same numbers on the same day must agree, unless one lies strictly
    /// inside the other (it then refines it).
    fn range_conflicts(&mut self, b: &Builder) {
        let resolver = plan::Resolver::new(&b.ranges);
        let mut pairs = BTreeSet::new();
        for (i, r) in b.ranges.iter().enumerate() {
            for p in &r.prefixes {
                for j in resolver.covering(p).filter(|&j| j != i) {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
        for (i, j) in pairs {
            let (a, bb) = (&b.ranges[i], &b.ranges[j]);
            if !a.period.overlaps(&bb.period) {
                continue;
            }
            let a_in_b = a.prefixes.iter().all(|p| plan::covers(&bb.prefixes, p));
            let b_in_a = bb.prefixes.iter().all(|p| plan::covers(&a.prefixes, p));
            if a_in_b != b_in_a {
                continue; // strictly nested: the inner one refines the outer one
            }
            let same = a.category == bb.category && a.territory == bb.territory;
            let (cat, ter) = (&b.categories, &b.territories);
            if !same {
                let what = if a.category != bb.category {
                    format!(
                        "category `{}` here, `{}` there",
                        cat[bb.category].id, cat[a.category].id
                    )
                } else {
                    format!(
                        "territory `{}` here, `{}` there",
                        ter[bb.territory].id, ter[a.territory].id
                    )
                };
                let shape = if a_in_b {
                    "the same numbers"
                } else {
                    "overlapping numbers"
                };
                let d = Diagnostic::error(
                    Code::RangeConflict,
                    b.range_spans[j],
                    format!("this range and another cover {shape} on the same dates with different answers: {what}"),
                )
                .with_label(if a.category != bb.category {
                    format!("{} {}", cat[bb.category].id, bb.period)
                } else {
                    format!("{} {}", ter[bb.territory].id, bb.period)
                })
                .with_secondary(
                    b.range_spans[i],
                    if a.category != bb.category {
                        format!("{} {}", cat[a.category].id, a.period)
                    } else {
                        format!("{} {}", ter[a.territory].id, a.period)
                    },
                )
                .with_help("give them periods that do not overlap, or make one range lie strictly inside the other");
                self.error(d);
            } else if a_in_b && a.period == bb.period {
                let d = Diagnostic::error(
                    Code::RedundantRange,
                    b.range_spans[j],
                    "this range repeats another one",
                )
                .warning()
                .with_label("same numbers, category and territory")
                .with_secondary(b.range_spans[i], "first written here")
                .with_help("remove one of the two");
                self.error(d);
            }
        }
    }

    fn operator_list(&mut self, b: &mut Builder, file: FileId, rows: &[crate::register::OperatorRow]) {
        for row in rows {
            let span = Span::new(file, row.code.span.clone());
            let code = row.code.value.trim();
            if code.is_empty() {
                let d = Diagnostic::error(Code::RegisterValue, span, "empty CODE_OPERATEUR")
                    .with_label("no code");
                self.error(d);
                continue;
            }
            if let Some((_, first)) = b.operator_index.get(code) {
                let first = *first;
                // The operator list is Arcep's file, kept unchanged: a duplicate there is reported,
                // not an error of the plan; the first row is used.
                let d = Diagnostic::error(
                    Code::DuplicateOperator,
                    span,
                    format!("operator `{code}` is listed twice in the operator list"),
                )
                .warning()
                .with_label("listed again here")
                .with_secondary(first, "first listed here")
                .with_help(
                    "the first row is used; the file is the regulator's and stays unchanged, so tell its publisher",
                );
                self.error(d);
                continue;
            }
            let name = row.name.value.trim();
            b.operator_index
                .insert(code.to_string(), (b.operators.len(), span));
            b.operators.push(Operator {
                code: code.to_string(),
                name: (!name.is_empty()).then(|| name.to_string()),
                source: SourceRef {
                    file: file_name(self.sources, file),
                    line: u32::try_from(row.line).unwrap_or(u32::MAX),
                },
            });
        }
    }

    fn extra_operators(&mut self, b: &mut Builder, file: FileId, ops: &load::RawOperators) {
        for op in &ops.operators {
            let span = self.span(file, &op.code);
            let code = op.code.value.trim();
            if code.is_empty() || !code.bytes().all(|c| c.is_ascii_alphanumeric()) {
                let d = Diagnostic::error(Code::BadId, span, format!("`{code}` is not an operator code"))
                    .with_label("expected letters and digits")
                    .with_help("operator codes are the register's Mnémo, e.g. `FRTE`");
                self.error(d);
                continue;
            }
            if let Some((_, first)) = b.operator_index.get(code) {
                let first = *first;
                let d = Diagnostic::error(
                    Code::DuplicateOperator,
                    span,
                    format!("operator `{code}` is already defined"),
                )
                .warning()
                .with_label("defined again here")
                .with_secondary(first, "first defined here")
                .with_help("once the operator list has it, remove it from the extra operators");
                self.error(d);
                continue;
            }
            b.operator_index
                .insert(code.to_string(), (b.operators.len(), span));
            b.operators.push(Operator {
                code: code.to_string(),
                name: op.name.as_ref().map(|n| n.value.clone()),
                source: self.source_ref(file, &op.code),
            });
        }
    }

    /// The register's dates: its own (`date`) and its earlier snapshots', which must come in
    /// order before it. Returns each snapshot's date (`None` where it is not a date).
    fn register_dates(
        &mut self,
        b: &mut Builder,
        file: FileId,
        reg: &load::RawRegisterFiles,
    ) -> Vec<Option<Date>> {
        b.register_date = reg.date.as_ref().and_then(|d| self.date(file, d));
        let dates: Vec<Option<Date>> = reg.history.iter().map(|s| self.date(file, &s.date)).collect();
        if reg.date.is_none()
            && let Some(first) = reg.history.first()
        {
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                self.span(file, &first.date),
                "earlier register snapshots are listed, but the register has no `date`",
            )
            .with_label("a snapshot")
            .with_help("give `files.register.date`, the day the current register files were published");
            self.error(d);
            return dates;
        }
        if let Some(s) = reg.history.get(MAX_SNAPSHOTS - 1) {
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                self.span(file, &s.date),
                format!("a register has at most {} earlier snapshots", MAX_SNAPSHOTS - 1),
            )
            .with_label("one too many")
            .with_help("keep the snapshots that answers about past days need");
            self.error(d);
        }
        for s in reg.history.iter().filter(|s| s.blocks.is_empty()) {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, &s.date),
                "this snapshot lists no block file",
            )
            .with_label("a snapshot without blocks")
            .with_help("name its register files in `blocks`, or drop the snapshot");
            self.error(d);
        }
        let mut previous: Option<(Date, Span)> = None;
        for (s, date) in reg.history.iter().zip(&dates) {
            let Some(date) = *date else { continue };
            let span = self.span(file, &s.date);
            let later = match previous {
                Some((p, pspan)) if date <= p => Some((p, pspan, "the snapshot before it")),
                _ => None,
            }
            .or_else(|| {
                let register = b.register_date?;
                let rspan = self.span(file, reg.date.as_ref()?);
                (date >= register).then_some((register, rspan, "the register's own date"))
            });
            if let Some((other, ospan, what)) = later {
                let d = Diagnostic::error(
                    Code::SnapshotOrder,
                    span,
                    format!("snapshot of {date} is not before {what} ({other})"),
                )
                .with_label("out of order")
                .with_secondary(ospan, what)
                .with_help("list earlier snapshots oldest first, each before the next and before `date`");
                self.error(d);
            }
            previous = Some((date, span));
        }
        dates
    }

    /// Checks the block files of one register snapshot and returns its blocks, sorted by prefix.
    fn blocks(
        &mut self,
        b: &Builder,
        files: &[&(FileId, Vec<crate::register::BlockRow>)],
        missing: load::Missing,
    ) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        let resolver = plan::Resolver::new(&b.ranges);
        let place_blocks = !missing.categories && !missing.ranges && !b.broken_ranges;
        let mut seen: Vec<(String, Span)> = Vec::new();
        for &(file, rows) in files {
            let file = *file;
            for row in rows {
                let at = |r: &std::ops::Range<usize>| Span::new(file, r.clone());
                let prefix = row.ezabpqm.value.as_str();
                let tranche = row.check_tranche();
                if let Err(e) = &tranche {
                    use crate::register::TrancheMismatch as M;
                    let (field, label) = match e {
                        M::Debut { expected } => (&row.tranche_debut, format!("expected `{expected}`")),
                        M::Fin { expected } => (&row.tranche_fin, format!("expected `{expected}`")),
                        M::Lengths { .. } => {
                            (&row.tranche_fin, "not the length of Tranche_Debut".to_string())
                        }
                        M::PrefixTooLong { .. } => (&row.ezabpqm, "longer than the numbers".to_string()),
                    };
                    let d = Diagnostic::error(
                        Code::TrancheMismatch,
                        at(&field.span),
                        format!("block `{prefix}`: {e}"),
                    )
                    .with_label(label);
                    let d = if field.span == row.ezabpqm.span {
                        d
                    } else {
                        d.with_secondary(at(&row.ezabpqm.span), "the block prefix (EZABPQM)")
                    };
                    let d = d.with_help(
                        "Tranche_Debut and Tranche_Fin are EZABPQM padded with 0s and with 9s to the number length",
                    );
                    self.error(d);
                }
                let territory = match b.register_names.get(row.territoire.value.as_str()) {
                    Some((t, _)) => Some(*t),
                    None => {
                        let names: Vec<&str> = b
                            .register_names
                            .keys()
                            .map(String::as_str)
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        let help =
                            help_for(&row.territoire.value, ("register name", "register names"), names);
                        let d = Diagnostic::error(
                            Code::RegisterTerritory,
                            at(&row.territoire.span),
                            format!(
                                "`{}` is not the register name of any territory",
                                row.territoire.value
                            ),
                        )
                        .with_label("unknown Territoire")
                        .with_help(format!(
                            "{help} (territories list their names in plan.yaml `register_names`)"
                        ));
                        self.error(d);
                        None
                    }
                };
                let operator = match b.operator_index.get(row.mnemo.value.as_str()) {
                    Some((o, _)) => Some(*o),
                    None if missing.operators => None,
                    None => {
                        let d = Diagnostic::error(
                            Code::UnknownOperator,
                            at(&row.mnemo.span),
                            format!("operator `{}` is in no operator list", row.mnemo.value),
                        )
                        .with_label("unknown operator code")
                        .with_help("add it to the extra operators file (operators.yaml) with the source of its name, or update identifiants_CE.csv");
                        self.error(d);
                        None
                    }
                };
                let (Ok(len), Some(date)) = (tranche, row.date) else {
                    continue;
                };
                seen.push((prefix.to_string(), at(&row.ezabpqm.span)));
                if !place_blocks {
                    continue;
                }
                // Which range holds the block: the most specific one in force on its allocation
                // date; failing that (allocated before the range's period), the next one in force.
                let range = resolver
                    .at(prefix, date)
                    .or_else(|| resolver.most_specific(prefix, |r| r.period.from.is_some_and(|f| f > date)));
                let Some(range) = range else {
                    let what = if resolver.covering(prefix).next().is_none() {
                        "no range of the plan contains it"
                    } else {
                        "no range containing it applies on or after its allocation date"
                    };
                    let d = Diagnostic::error(
                        Code::BlockOutsidePlan,
                        at(&row.ezabpqm.span),
                        format!("block `{prefix}` allocated {date}: {what}"),
                    )
                    .with_label("outside the plan")
                    .with_help("add a range for these numbers to the plan, or check the block prefix");
                    self.error(d);
                    continue;
                };
                let r = &b.ranges[range];
                let cat = &b.categories[r.category];
                let allowed_lengths = r.lengths.as_ref().unwrap_or(&cat.lengths);
                if !b.broken_lengths.contains(&r.category)
                    && !allowed_lengths.contains(&u8::try_from(len).unwrap_or(0))
                {
                    let allowed: Vec<String> = allowed_lengths.iter().map(u8::to_string).collect();
                    let d = Diagnostic::error(
                        Code::LengthNotAllowed,
                        at(&row.tranche_debut.span),
                        format!(
                            "block `{prefix}` has {len}-digit numbers, but `{}` allows {}",
                            cat.id,
                            allowed.join(" or ")
                        ),
                    )
                    .with_label(format!("{len} digits"))
                    .with_secondary(b.category_length_spans[r.category], "the category's lengths")
                    .with_secondary(b.range_spans[range], "the block falls in this range")
                    .with_help("check the block, or the range and lengths of its category");
                    self.error(d);
                    continue;
                }
                let (Some(territory), Some(operator)) = (territory, operator) else {
                    continue;
                };
                if territory != r.territory {
                    let d = Diagnostic::error(
                        Code::RegisterTerritory,
                        at(&row.territoire.span),
                        format!(
                            "block `{prefix}` is registered in `{}`, but its range is in territory `{}`",
                            row.territoire.value, b.territories[r.territory].id
                        ),
                    )
                    .with_label(format!("territory `{}`", b.territories[territory].id))
                    .with_secondary(b.range_spans[range], "the range")
                    .with_help(
                        "split the range so that each territory has its own, or check the register row",
                    );
                    self.error(d);
                    continue;
                }
                out.push(Block {
                    prefix: prefix.to_string(),
                    length: len as u8,
                    operator,
                    territory,
                    allocated: date,
                    range,
                    source: SourceRef {
                        file: file_name(self.sources, file),
                        line: u32::try_from(row.line).unwrap_or(u32::MAX),
                    },
                });
            }
        }
        // Duplicates and overlaps. In sorted order, every block that contains `p` (is a prefix of
        // it) comes before `p`, and so does everything between them: a stack of the enclosing
        // blocks finds them in one pass.
        seen.sort();
        let mut open: Vec<usize> = Vec::new();
        for (w, (p, span)) in seen.iter().enumerate() {
            while open.last().is_some_and(|&k| !p.starts_with(seen[k].0.as_str())) {
                open.pop();
            }
            if let Some(&k) = open.last() {
                let (q, qspan) = &seen[k];
                let (msg, label) = if p == q {
                    (format!("block `{p}` is listed twice"), "listed again here")
                } else {
                    (
                        format!("block `{p}` lies inside block `{q}`"),
                        "overlaps another block",
                    )
                };
                let d = Diagnostic::error(Code::DuplicateBlock, *span, msg)
                    .with_label(label)
                    .with_secondary(*qspan, "the other block")
                    .with_help("a number belongs to one block: remove or split one of them");
                self.error(d);
            }
            open.push(w);
        }
        out.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        out
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
