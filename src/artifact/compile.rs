//! The artifact writer: a validated plan in, deterministic bytes out.
//!
//! Determinism: every collection is written in an order that depends only on the plan (source
//! order for definitions, lexicographic order for prefixes), strings are interned in first-use
//! order, and nothing from the build machine (time, paths) enters the file.

use super::{
    COLUMN_LEN, DAY_MAX, DAY_MIN, DIGEST_LEN, FORMAT_VERSION, HEADER_LEN, Kind, MAGIC, MAX_REQUIREMENTS,
    MAX_STATEMENT_CONDITIONS, MAX_TERMS, NONE, SECTION_ENTRY_LEN, SENTINELS, TABLE_PADDING, code, join_value,
    verdict_code,
};
use crate::date::Date;
#[cfg(test)]
use crate::plan::Block;
use crate::plan::{Basis, BlockRef, Check, Plan, Range, Register, Resolver, SourceRef};
use crate::validate::MAX_SNAPSHOTS;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Options of one compilation that are not in the sources.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Overrides the plan's sequence number.
    pub sequence: Option<u64>,
    /// Overrides the plan's expiry date.
    pub expires: Option<Date>,
}

/// Why a plan cannot be compiled (beyond validation, which a [`Plan`] has passed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileError {
    /// A table is over the format's capacity.
    TooLarge {
        /// Which.
        what: &'static str,
    },
    /// A count is over one of the format's limits (`docs/artifact-format.md` lists them; a
    /// reader refuses a file over them).
    OverLimit {
        /// What is counted, e.g. `segments in one key's timeline`.
        what: &'static str,
        /// How many the plan has.
        found: u64,
        /// The format's limit.
        limit: u64,
    },
    /// A header string (plan id, version or name) holds a control character: it would go raw
    /// into the signature's one-line trusted comment, and the reader refuses such a file.
    ControlCharacter {
        /// Which field: `plan id`, `plan version` or `plan name`.
        field: &'static str,
    },
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::TooLarge { what } => {
                write!(f, "the plan is too large for the artifact format: {what}")
            }
            CompileError::OverLimit { what, found, limit } => write!(
                f,
                "the plan is too large for the artifact format: {found} {what}, the format holds at most {limit}"
            ),
            CompileError::ControlCharacter { field } => {
                write!(
                    f,
                    "the {field} holds a control character, which the artifact's header may not hold"
                )
            }
        }
    }
}

impl std::error::Error for CompileError {}

/// Refuses a plan whose id, version or name holds a control character, as the reader does
/// (validation refuses them too; a hand-built [`Plan`] is checked here).
fn check_header_strings(plan: &Plan) -> Result<(), CompileError> {
    for (field, text) in [
        ("plan id", plan.id()),
        ("plan version", plan.version()),
        ("plan name", plan.name()),
    ] {
        if text.chars().any(char::is_control) {
            return Err(CompileError::ControlCharacter { field });
        }
    }
    Ok(())
}

/// Compiles a plan into artifact bytes.
///
/// The same plan (and options) always gives the same bytes.
pub fn compile(plan: &Plan, options: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    check_header_strings(plan)?;
    check_limits(plan)?;
    let mut w = Writer::default();
    let bytes = w.compile(plan, options)?;
    match w.overflow {
        Some(e) => Err(e),
        None => Ok(bytes),
    }
}

/// `found` against the format's `limit` for `what`.
fn within(what: &'static str, found: usize, limit: u64) -> Result<(), CompileError> {
    let found = found as u64;
    if found > limit {
        return Err(CompileError::OverLimit { what, found, limit });
    }
    Ok(())
}

/// The limits of the format a plan's counts must keep within (see [`super::limit`]); the
/// reader refuses a file over any of them. Checked before anything is written, so that every
/// row index and count written below fits its word.
fn check_limits(plan: &Plan) -> Result<(), CompileError> {
    use super::limit;
    // Every table's rows are numbered by u32 words, NONE (u32::MAX) meaning absent.
    let rows = u64::from(NONE - 1);
    for (what, n) in [
        ("rules", plan.rules.len()),
        ("territories", plan.territories.len()),
        ("context keys", plan.context.len()),
        ("conditions", plan.conditions.len()),
        ("documents", plan.documents.len()),
        ("categories", plan.categories.len()),
        ("ranges", plan.ranges.len()),
        ("operators", plan.operators.len()),
    ] {
        within(what, n, rows)?;
    }
    within("uses", plan.uses.len(), crate::validate::MAX_USES as u64)?;
    within(
        "requirements",
        plan.requirements.len(),
        u64::from(MAX_REQUIREMENTS),
    )?;
    let values = u64::from(limit::VALUES);
    for r in &plan.rules {
        within("values of a rule", r.values.len(), values)?;
    }
    for t in &plan.territories {
        within("register names of a territory", t.register_names.len(), values)?;
    }
    for k in &plan.context {
        within("values of a context key", k.values.len(), values)?;
    }
    for c in &plan.conditions {
        within("terms of a condition", c.when.len(), u64::from(MAX_TERMS))?;
    }
    let statements = u64::from(limit::CATEGORY_STATEMENTS);
    for c in &plan.categories {
        within("rule statements of a category", c.rules.len(), statements)?;
        within("verdict statements of a category", c.verdicts.len(), statements)?;
        for v in &c.verdicts {
            within(
                "conditions of a verdict statement",
                v.conditions.len(),
                u64::from(MAX_STATEMENT_CONDITIONS),
            )?;
        }
    }
    Ok(())
}

fn day(d: Option<Date>, open: i32) -> u32 {
    // Day numbers are stored as the bits of an i32.
    d.map_or(open, Date::to_days).cast_unsigned()
}

/// Builds the tables.
#[derive(Default)]
struct Writer {
    strings: Vec<u8>,
    interned: HashMap<String, (u32, u32)>,
    files: BTreeMap<String, u32>,
    file_rows: Vec<u32>,
    tables: BTreeMap<Kind, Vec<u32>>,
    /// Statuses rows by (status, remarks).
    statuses: HashMap<(Option<String>, Option<String>), u32>,
    /// The first count found not to fit a `u32` word (see [`Writer::fit`]).
    overflow: Option<CompileError>,
}

impl Writer {
    /// `n` as a word; past `u32::MAX - 1` (`NONE` is reserved) the count `what` does not fit,
    /// which [`compile`] reports once the tables are written.
    fn fit(&mut self, n: usize, what: &'static str) -> u32 {
        match u32::try_from(n) {
            Ok(w) if w < NONE => w,
            _ => {
                self.overflow.get_or_insert(CompileError::OverLimit {
                    what,
                    found: n as u64,
                    limit: u64::from(NONE - 1),
                });
                NONE
            }
        }
    }

    /// Interns a string; returns its two words.
    fn s(&mut self, text: &str) -> [u32; 2] {
        if let Some(&(o, l)) = self.interned.get(text) {
            return [o, l];
        }
        let o = self.fit(self.strings.len(), "bytes of strings");
        self.strings.extend_from_slice(text.as_bytes());
        let v = (o, self.fit(text.len(), "bytes of a string"));
        self.interned.insert(text.to_string(), v);
        [v.0, v.1]
    }

    fn opt_s(&mut self, text: Option<&str>) -> [u32; 2] {
        match text {
            Some(t) => self.s(t),
            None => [NONE, NONE],
        }
    }

    /// The index of a source file name in the Files table.
    fn file(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.files.get(name) {
            return i;
        }
        let i = self.fit(self.files.len(), "source files");
        self.files.insert(name.to_string(), i);
        let words = self.s(name);
        self.file_rows.extend(words);
        i
    }

    fn source(&mut self, s: &SourceRef) -> [u32; 2] {
        [self.file(&s.file), s.line]
    }

    fn basis(&mut self, b: Option<&Basis>) -> [u32; 3] {
        match b {
            Some(b) => {
                let [o, l] = self.s(&b.text);
                [self.fit(b.document, "documents"), o, l]
            }
            None => [NONE, NONE, NONE],
        }
    }

    fn row(&mut self, kind: Kind, words: &[u32]) {
        debug_assert_eq!(words.len(), kind.stride(), "{kind:?}");
        self.tables.entry(kind).or_default().extend_from_slice(words);
    }

    fn compile(&mut self, plan: &Plan, options: &CompileOptions) -> Result<Vec<u8>, CompileError> {
        let id = self.s(&plan.id);
        let version = self.s(&plan.version);
        let name = self.s(&plan.name);

        let mut meta: Vec<u32> = [
            self.s(&plan.name),
            self.s(&plan.authority),
            self.s(&plan.time_zone),
            self.s(&plan.national_prefix),
            self.s(&plan.international_prefix),
        ]
        .concat();
        meta.push(u32::from(plan.has_register));
        meta.push(u32::from(plan.national_prefix_in_numbers));
        self.row(Kind::Meta, &meta);

        // A string list shared by rule values and register names.
        let mut values: Vec<u32> = Vec::new();
        let mut rule_value_base = Vec::new();
        for r in &plan.rules {
            let first = self.fit(values.len() / 2, "values of rules, territories and context keys");
            rule_value_base.push(first);
            for v in &r.values {
                let w = self.s(v);
                values.extend(w);
            }
            let row = [
                self.s(&r.id),
                self.s(&r.description),
                [first, self.fit(r.values.len(), "values of a rule")],
            ]
            .concat();
            self.row(Kind::Rules, &row);
        }
        for t in &plan.territories {
            let first = self.fit(values.len() / 2, "values of rules, territories and context keys");
            for n in &t.register_names {
                let w = self.s(n);
                values.extend(w);
            }
            let row = [
                &self.s(&t.id)[..],
                &self.s(&t.name),
                &self.s(&t.time_zone),
                &[
                    t.country_code.map_or(NONE, u32::from),
                    first,
                    self.fit(t.register_names.len(), "register names of a territory"),
                ],
                &self.opt_s(t.doubt.as_deref()),
                &self.source(&t.source),
                &[u32::from(t.foreign)],
            ]
            .concat();
            self.row(Kind::Territories, &row);
        }
        for k in &plan.context {
            let first = self.fit(values.len() / 2, "values of rules, territories and context keys");
            for v in &k.values {
                let w = self.s(v);
                values.extend(w);
            }
            let row = [
                self.s(&k.id),
                self.s(&k.description),
                [first, self.fit(k.values.len(), "values of a context key")],
            ]
            .concat();
            self.row(Kind::ContextKeys, &row);
        }
        self.tables.insert(Kind::RuleValues, values);
        for u in &plan.uses {
            let row = [
                self.s(&u.id),
                self.s(&u.name),
                self.opt_s(u.description.as_deref()),
            ]
            .concat();
            self.row(Kind::Uses, &row);
        }
        let mut terms: Vec<u32> = Vec::new();
        for c in &plan.conditions {
            let first = self.fit(terms.len() / 2, "terms of conditions");
            for &(k, v) in &c.when {
                // Rows of the context keys and of their values: within the limits checked.
                terms.extend([
                    self.fit(k, "context keys"),
                    self.fit(v, "values of a context key"),
                ]);
            }
            let row = [
                &self.s(&c.id)[..],
                &self.s(&c.text),
                &self.basis(c.basis.as_ref()),
                &[
                    first,
                    self.fit(c.when.len(), "terms of a condition"),
                    verdict_code(c.then),
                    u32::from(c.unsettled_conditional),
                ],
                &self.opt_s(c.doubt.as_deref()),
                &self.source(&c.source),
            ]
            .concat();
            self.row(Kind::Conditions, &row);
        }
        self.tables.insert(Kind::Terms, terms);
        for d in &plan.documents {
            let row = [
                &self.s(&d.id)[..],
                &self.s(&d.title),
                &[d.date.to_days().cast_unsigned()],
                &self.opt_s(d.url.as_deref()),
                &self.opt_s(d.doubt.as_deref()),
                &self.source(&d.source),
            ]
            .concat();
            self.row(Kind::Documents, &row);
        }
        let mut statements = 0u32;
        let mut verdict_rows = 0u32;
        let mut indices: Vec<u32> = Vec::new();
        for (category, c) in plan.categories.iter().enumerate() {
            let lengths = length_mask(&c.lengths);
            let first = statements;
            for st in &c.rules {
                let value = rule_value_base[st.rule] as usize
                    + plan.rules[st.rule]
                        .values
                        .iter()
                        .position(|v| *v == st.value)
                        .unwrap_or(0);
                let value = self.fit(value, "values of rules, territories and context keys");
                let row = [
                    &[
                        self.fit(st.rule, "rules"),
                        value,
                        day(st.period.from, DAY_MIN),
                        day(st.period.until, DAY_MAX),
                    ][..],
                    &self.basis(Some(&st.basis)),
                    &self.source(&st.source),
                    &self.opt_s(st.doubt.as_deref()),
                ]
                .concat();
                self.row(Kind::Statements, &row);
                statements += 1;
            }
            let verdict_first = verdict_rows;
            for v in &c.verdicts {
                let cond_first = self.fit(indices.len(), "indices");
                for &i in &v.conditions {
                    let i = self.fit(i, "conditions");
                    indices.push(i);
                }
                let row = [
                    &[
                        use_mask(&v.uses),
                        verdict_code(v.value),
                        day(v.period.from, DAY_MIN),
                        day(v.period.until, DAY_MAX),
                    ][..],
                    &self.basis(Some(&v.basis)),
                    &self.opt_s(v.reason.as_deref()),
                    &self.opt_s(v.doubt.as_deref()),
                    &[
                        cond_first,
                        self.fit(v.conditions.len(), "conditions of a verdict statement"),
                    ],
                    &self.source(&v.source),
                ]
                .concat();
                self.row(Kind::Verdicts, &row);
                verdict_rows += 1;
            }
            // The requirements that apply to the category, so that a verdict reads only those.
            let req_first = self.fit(indices.len(), "indices");
            let reqs: Vec<usize> = (0..plan.requirements.len())
                .filter(|&r| {
                    plan.requirements[r]
                        .categories
                        .as_ref()
                        .is_none_or(|cats| cats.contains(&category))
                })
                .collect();
            let req_count = self.fit(reqs.len(), "requirements");
            for r in reqs {
                let r = self.fit(r, "requirements");
                indices.push(r);
            }
            let row = [
                &self.s(&c.id)[..],
                &self.s(&c.name),
                &[lengths],
                &self.basis(c.basis.as_ref()),
                &[first, self.fit(c.rules.len(), "rule statements of a category")],
                &self.source(&c.source),
                &self.opt_s(c.doubt.as_deref()),
                &[
                    verdict_first,
                    self.fit(c.verdicts.len(), "verdict statements of a category"),
                    req_first,
                    req_count,
                    u32::from(c.e164),
                ],
            ]
            .concat();
            self.row(Kind::Categories, &row);
        }
        for r in &plan.requirements {
            let (check, condition) = match r.check {
                Check::Valid => (code::CHECK_VALID, NONE),
                Check::Allocated => (code::CHECK_ALLOCATED, NONE),
                Check::Condition(c) => (code::CHECK_CONDITION, self.fit(c, "conditions")),
            };
            let row = [
                &[
                    check,
                    condition,
                    use_mask(&r.uses),
                    u32::from(r.categories.is_none()),
                    day(r.period.from, DAY_MIN),
                    day(r.period.until, DAY_MAX),
                ][..],
                &self.basis(Some(&r.basis)),
                &self.opt_s(r.doubt.as_deref()),
                &self.source(&r.source),
            ]
            .concat();
            self.row(Kind::Requirements, &row);
        }
        self.tables.insert(Kind::Indices, std::mem::take(&mut indices));
        for r in &plan.ranges {
            let row = [
                &[
                    self.fit(r.category, "categories"),
                    self.fit(r.territory, "territories"),
                    day(r.period.from, DAY_MIN),
                    day(r.period.until, DAY_MAX),
                ][..],
                &self.basis(r.basis.as_ref()),
                &self.s(&r.numbers.to_string()),
                &self.source(&r.source),
                &[r.lengths.as_deref().map_or(0, length_mask)],
                &self.opt_s(r.doubt.as_deref()),
            ]
            .concat();
            self.row(Kind::Ranges, &row);
        }
        for o in &plan.operators {
            let row = [
                &self.s(&o.code)[..],
                &self.opt_s(o.name.as_deref()),
                &self.source(&o.source),
            ]
            .concat();
            self.row(Kind::Operators, &row);
        }
        if let Some(current) = plan.registers().last() {
            for b in current.iter() {
                self.block_row(b)?;
            }
        }
        let fst = self.number_space(plan)?;
        // Files were numbered in first-use order; their rows are written in that order too.
        let files = std::mem::take(&mut self.file_rows);
        self.tables.insert(Kind::Files, files);
        let sequence = options.sequence.unwrap_or(plan.sequence);
        let expires = options.expires.or(plan.expires);
        Ok(self.layout(plan, fst, sequence, expires, [id, version, name]))
    }

    /// Appends a Blocks row; returns its index.
    fn block_row(&mut self, b: BlockRef<'_>) -> Result<u32, CompileError> {
        let [file, line] = [self.file(b.file), b.line];
        let rows = self
            .tables
            .get(&Kind::Blocks)
            .map_or(0, |t| t.len() / Kind::Blocks.stride());
        let status = self.status_row(b)?;
        if rows >= super::limit::BLOCK_ROWS as usize {
            return Err(CompileError::TooLarge {
                what: "register (more than 16,777,214 rows over its snapshots)",
            });
        }
        let operator = b.operator.map_or(NONE, |o| self.fit(o, "operators"));
        let row = [
            operator,
            self.fit(b.prefix.len(), "digits of a block"),
            b.allocated.map_or(DAY_MIN, Date::to_days).cast_unsigned(),
            line,
            file,
            status,
        ];
        self.row(Kind::Blocks, &row);
        Ok(self.fit(rows, "blocks"))
    }

    /// The Statuses row of a block's status and remarks (interned), `NONE` for a register
    /// without statuses.
    fn status_row(&mut self, b: BlockRef<'_>) -> Result<u32, CompileError> {
        if b.status.is_none() && b.remarks.is_none() {
            return Ok(NONE);
        }
        let key = (b.status.map(str::to_string), b.remarks.map(str::to_string));
        if let Some(&row) = self.statuses.get(&key) {
            return Ok(row);
        }
        let row = self.fit(self.statuses.len(), "register statuses");
        let words = [self.opt_s(b.status), self.opt_s(b.remarks)].concat();
        self.row(Kind::Statuses, &words);
        self.statuses.insert(key, row);
        Ok(row)
    }

    /// The fst: every range prefix and every block prefix of every register snapshot, mapped to
    /// (holdings word) << 32 | timeline.
    fn number_space(&mut self, plan: &Plan) -> Result<Vec<u8>, CompileError> {
        let resolver = plan.resolver();
        // The register snapshots, oldest first; the current register last.
        let empty = Register::new(plan.register_date);
        let registers = match plan.registers() {
            [] => std::slice::from_ref(&empty),
            r => r,
        };
        let snapshots: Vec<(Option<Date>, &Register)> = registers.iter().map(|r| (r.date, r)).collect();
        if snapshots.len() > MAX_SNAPSHOTS {
            return Err(CompileError::TooLarge {
                what: "register history (more than 64 snapshots)",
            });
        }
        let registers: Vec<u32> = snapshots
            .iter()
            .filter_map(|(d, _)| d.map(|d| d.to_days().cast_unsigned()))
            .collect();
        self.tables.insert(Kind::Registers, registers);
        // Sorted and unique (snapshots repeat most prefixes: an unstable sort and a dedup beat
        // a tree here).
        let mut keys: Vec<&str> = plan
            .ranges
            .iter()
            .flat_map(|r| r.prefixes.iter().map(String::as_str))
            .chain(
                snapshots
                    .iter()
                    .flat_map(|(_, blocks)| (0..blocks.len()).map(|i| blocks.prefix(i))),
            )
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // Per snapshot, a cursor over its blocks (sorted by prefix) that follows the keys.
        let mut cursors = vec![0usize; snapshots.len()];

        let mut timelines: HashMap<Vec<[u32; 3]>, u32> = HashMap::new();
        let mut segments_table: Vec<u32> = Vec::new();
        let mut timelines_table: Vec<u32> = Vec::new();
        let mut holdings = Holdings::default();
        let mut builder = fst::MapBuilder::memory();
        let mut covering: Vec<Option<usize>> = vec![None; snapshots.len()];
        // What a reader allows a file: the listing `diff` makes stays bounded.
        within("keys in the number index", keys.len(), super::limit::INDEX_KEYS)?;
        for key in keys {
            within(
                "digits in an index key",
                key.len(),
                super::limit::KEY_DIGITS as u64,
            )?;
            // The block of a snapshot covering the key is the last one not after it, if it is a
            // prefix of it: a block between the two would lie inside that one, which
            // validation refuses. Keys come in order, so each cursor only moves forward.
            for (s, (_, blocks)) in snapshots.iter().enumerate() {
                let c = &mut cursors[s];
                while *c < blocks.len() && blocks.prefix(*c) <= key {
                    *c += 1;
                }
                covering[s] = c.checked_sub(1).filter(|&b| key.starts_with(blocks.prefix(b)));
            }
            let segs = timeline(&resolver, key);
            within(
                "segments in one key's timeline",
                segs.len(),
                u64::from(super::limit::TIMELINE_SEGMENTS),
            )?;
            let next = self.fit(timelines.len(), "timelines");
            let first = self.fit(segments_table.len() / 3, "timeline segments");
            let count = self.fit(segs.len(), "segments in one key's timeline");
            let tl = *timelines.entry(segs.clone()).or_insert_with(|| {
                timelines_table.extend([first, count]);
                for s in &segs {
                    segments_table.extend(s);
                }
                next
            });
            let block_word = self.holding_word(&snapshots, &covering, &mut holdings)?;
            // Keys are inserted in lexicographic order (sorted, deduplicated) and are unique, so insertion
            // cannot fail; the builder writes to memory, which cannot fail either.
            builder
                .insert(key, join_value(block_word, tl))
                .expect("keys are sorted and unique");
        }
        self.tables.insert(Kind::Timelines, timelines_table);
        self.tables.insert(Kind::Segments, segments_table);
        self.tables.insert(Kind::Holdings, holdings.timelines);
        self.tables.insert(Kind::HoldSegments, holdings.segments);
        let index = builder
            .into_inner()
            .expect("an in-memory fst builder does not fail");
        Ok(index)
    }

    /// The holdings word of a key (see `docs/artifact-format.md`) from the block covering it in
    /// each snapshot: 0 when none ever does; the current block's row + 1 when the current register
    /// alone answers (held from its allocation date on); else a Holdings row, with the bit.
    fn holding_word(
        &mut self,
        snapshots: &[(Option<Date>, &Register)],
        covering: &[Option<usize>],
        holdings: &mut Holdings,
    ) -> Result<u32, CompileError> {
        let current = snapshots.len() - 1;
        let rows: Vec<(Option<Date>, Option<Held<'_>>)> = snapshots
            .iter()
            .zip(covering)
            .map(|((d, blocks), c)| (*d, c.map(|b| Held::of(blocks.get(b)))))
            .collect();
        let segments = segments_of(&rows);
        match segments.as_slice() {
            [] => return Ok(0),
            [only] if only.snapshot == current && only.until == DAY_MAX && !only.contradicted => {
                let b = covering[current].expect("a segment holds a covering block");
                if only.from
                    == snapshots[current]
                        .1
                        .get(b)
                        .allocated
                        .map_or(DAY_MIN, Date::to_days)
                {
                    // Current blocks were all written by `block_row`, which keeps them under 2^24.
                    return Ok(self.fit(b, "blocks") + 1);
                }
            }
            _ => {}
        }
        let mut rows = Vec::with_capacity(segments.len());
        for seg in &segments {
            let (snap, b) = (
                seg.snapshot,
                covering[seg.snapshot].expect("a segment holds a covering block"),
            );
            let row = if snap == current {
                self.fit(b, "blocks")
            } else if let Some(&row) = holdings.old_rows.get(&(snap, b)) {
                row
            } else {
                let row = self.block_row(snapshots[snap].1.get(b))?;
                holdings.old_rows.insert((snap, b), row);
                row
            };
            let mut flags = 0;
            if seg.end_uncertain {
                flags |= code::END_UNCERTAIN;
            }
            if seg.contradicted {
                flags |= code::CONTRADICTED;
            }
            rows.push([
                seg.from.cast_unsigned(),
                seg.until.cast_unsigned(),
                row,
                self.fit(snap, "register snapshots"),
                flags,
            ]);
        }
        within(
            "segments in one key's holdings",
            rows.len(),
            u64::from(super::limit::HOLD_SEGMENTS),
        )?;
        let next = self.fit(holdings.interned.len(), "holdings");
        let first = self.fit(
            holdings.segments.len() / Kind::HoldSegments.stride(),
            "holding segments",
        );
        let count = self.fit(rows.len(), "segments in one key's holdings");
        let index = *holdings.interned.entry(rows.clone()).or_insert_with(|| {
            holdings.timelines.extend([first, count]);
            for r in &rows {
                holdings.segments.extend(r);
            }
            next
        });
        if index >= super::limit::BLOCK_ROWS {
            return Err(CompileError::TooLarge {
                what: "register history (more than 16,777,214 holdings)",
            });
        }
        Ok(index | code::HOLDINGS_BIT)
    }

    /// Lays out header, section table, sections and digest.
    fn layout(
        &mut self,
        plan: &Plan,
        mut fst: Vec<u8>,
        sequence: u64,
        expires: Option<Date>,
        [id, version, name]: [[u32; 2]; 3],
    ) -> Vec<u8> {
        let mut sections: Vec<(Kind, Vec<u8>)> = Vec::new();
        for kind in Kind::ALL {
            let bytes = match kind {
                Kind::Strings => std::mem::take(&mut self.strings),
                Kind::Fst => std::mem::take(&mut fst),
                _ => {
                    let words = self.tables.remove(&kind).unwrap_or_default();
                    let rows = self.fit(words.len() / kind.stride(), "rows of a table");
                    pack_table(&words, kind.stride(), rows)
                }
            };
            sections.push((kind, bytes));
        }
        let table_len = sections.len() * SECTION_ENTRY_LEN;
        let mut offset = HEADER_LEN + table_len;
        let mut entries = Vec::new();
        for (kind, bytes) in &sections {
            offset = offset.next_multiple_of(8);
            entries.push((*kind as u32, offset as u64, bytes.len() as u64));
            offset += bytes.len();
        }
        let payload_len = offset.next_multiple_of(8);
        let mut out = Vec::with_capacity(payload_len + DIGEST_LEN);
        out.extend(MAGIC);
        out.extend(FORMAT_VERSION.to_le_bytes());
        out.extend((HEADER_LEN as u32).to_le_bytes());
        out.extend(sequence.to_le_bytes());
        out.extend(expires.map_or(DAY_MIN, Date::to_days).to_le_bytes());
        out.extend((sections.len() as u32).to_le_bytes());
        out.extend(plan.sources_sha256);
        for w in [id, version, name] {
            out.extend(w[0].to_le_bytes());
            out.extend(w[1].to_le_bytes());
        }
        out.extend((payload_len as u64).to_le_bytes());
        debug_assert_eq!(out.len(), HEADER_LEN);
        for (kind, off, len) in &entries {
            out.extend(kind.to_le_bytes());
            out.extend(0u32.to_le_bytes());
            out.extend(off.to_le_bytes());
            out.extend(len.to_le_bytes());
        }
        for ((_, bytes), (_, off, _)) in sections.iter().zip(&entries) {
            out.resize(*off as usize, 0);
            out.extend(bytes);
        }
        out.resize(payload_len, 0);
        let digest: [u8; 32] = Sha256::digest(&out).into();
        out.extend(digest);
        out
    }
}

/// How a packed column codes its values: see [`pack_table`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ColumnCode {
    width: u32,
    sentinels: u8,
    base: u32,
    ordinary: u32,
}

impl ColumnCode {
    /// The fewest bits for a column's values: the spread of its ordinary values above the
    /// smallest, then one code for each sentinel present. When that does not fit 32 bits (values
    /// spread over the whole `u32` range and sentinels too), every value is its own code.
    fn of(values: impl Iterator<Item = u32>) -> ColumnCode {
        let (mut min, mut max, mut sentinels) = (u32::MAX, 0u32, 0u8);
        let mut any = false;
        for v in values {
            match SENTINELS.iter().position(|&s| s == v) {
                Some(i) => sentinels |= 1 << i,
                None => {
                    any = true;
                    min = min.min(v);
                    max = max.max(v);
                }
            }
        }
        let bits = |top: u64| 64 - top.leading_zeros();
        if !any {
            min = 0;
            max = 0;
        }
        let spread = u64::from(max - min);
        if sentinels == 0 {
            return ColumnCode {
                width: bits(spread),
                sentinels: 0,
                base: min,
                ordinary: 0,
            };
        }
        let ordinary = if any { spread + 1 } else { 0 };
        let codes = ordinary + u64::from(sentinels.count_ones());
        match u32::try_from(ordinary) {
            Ok(ordinary) if codes <= 1 << 32 => ColumnCode {
                width: bits(codes - 1),
                sentinels,
                base: min,
                ordinary,
            },
            _ => ColumnCode {
                width: 32,
                sentinels: 0,
                base: 0,
                ordinary: 0,
            },
        }
    }

    /// The code of `v`, a value of the column.
    fn code(&self, v: u32) -> u64 {
        if self.sentinels != 0 {
            let mut code = u64::from(self.ordinary);
            for (i, &s) in SENTINELS.iter().enumerate() {
                if self.sentinels & (1 << i) != 0 {
                    if s == v {
                        return code;
                    }
                    code += 1;
                }
            }
        }
        u64::from(v.wrapping_sub(self.base))
    }
}

/// A table section: `columns u32`, `rows u32`, a 12-byte descriptor per column (width, sentinel
/// mask, zero, base, ordinary codes), then the rows' codes as one little-endian bit stream (row
/// after row, each column's `width` bits in turn), then [`TABLE_PADDING`] zero bytes.
fn pack_table(words: &[u32], stride: usize, rows: u32) -> Vec<u8> {
    let mut codes: Vec<ColumnCode> = (0..stride)
        .map(|c| ColumnCode::of(words.iter().skip(c).step_by(stride).copied()))
        .collect();
    // A row takes one bit at least (readers refuse rows that take none: see `Table::parse`).
    if rows > 0
        && codes.iter().all(|c| c.width == 0)
        && let Some(first) = codes.first_mut()
    {
        first.width = 1;
    }
    let row_bits: u64 = codes.iter().map(|c| u64::from(c.width)).sum();
    let data_len = (u64::from(rows) * row_bits).div_ceil(8) as usize;
    let mut b = Vec::with_capacity(8 + stride * COLUMN_LEN + data_len + TABLE_PADDING);
    b.extend((stride as u32).to_le_bytes());
    b.extend(rows.to_le_bytes());
    for c in &codes {
        b.push(c.width as u8);
        b.push(c.sentinels);
        b.extend([0, 0]);
        b.extend(c.base.to_le_bytes());
        b.extend(c.ordinary.to_le_bytes());
    }
    let (mut acc, mut filled) = (0u64, 0u32);
    for row in words.chunks(stride) {
        for (v, c) in row.iter().zip(&codes) {
            // `filled` < 8 and `width` <= 32: the accumulator never overflows.
            acc |= c.code(*v) << filled;
            filled += c.width;
            while filled >= 8 {
                b.push(acc as u8);
                acc >>= 8;
                filled -= 8;
            }
        }
    }
    if filled > 0 {
        b.push(acc as u8);
    }
    b.resize(b.len() + TABLE_PADDING, 0);
    b
}

/// Bit `n` set for each use row `n` (a plan has at most 32 uses).
fn use_mask(uses: &[usize]) -> u32 {
    uses.iter().fold(0u32, |m, &u| m | (1u32 << u.min(31)))
}

/// Bit `n` set for each length `n` (lengths are at most 20).
fn length_mask(lengths: &[u8]) -> u32 {
    lengths.iter().fold(0u32, |m, &l| m | (1u32 << l.min(31)))
}

/// The Holdings and HoldSegments tables under construction.
#[derive(Default)]
struct Holdings {
    timelines: Vec<u32>,
    segments: Vec<u32>,
    interned: HashMap<Vec<[u32; 5]>, u32>,
    /// Blocks rows written for blocks of earlier snapshots: (snapshot, block) → row.
    old_rows: HashMap<(usize, usize), u32>,
}

/// One segment of who holds a key's numbers: `[from, until)` (day numbers), the snapshot that
/// lists the holding block, and what is unsure about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeldSegment {
    pub from: i32,
    pub until: i32,
    /// The snapshot (oldest first) whose block holds the numbers.
    pub snapshot: usize,
    /// The segment ends at a snapshot that no longer lists the block: the block went on some
    /// day after the snapshot before it.
    pub end_uncertain: bool,
    /// The snapshot in force then (the one before `snapshot`) says otherwise: it does not list
    /// this holding though it dates from before it.
    pub contradicted: bool,
}

/// Which register row covers the numbers of a key over time (whether it names a holder or only
/// a status), from the block covering it in each register snapshot (oldest first, the current
/// register last).
///
/// On a day, the snapshot in force is the latest one published on or before it (before the
/// first, the first). A dated row (Arcep's blocks) covers the numbers from its allocation date;
/// an undated one (CNAC's codes) from its snapshot's date, and a row of the oldest snapshot
/// since always (what the oldest register says is the best known before it). The next snapshot
/// is evidence too: a dated row it lists with an allocation date on or before the day held the
/// numbers then, whatever the snapshot in force says (a transfer dated between the two); when
/// that allocation date is not after the in-force snapshot's own date, the two registers
/// disagree and the segment is marked `contradicted`. Neighbouring segments of the same row
/// (operator, allocation date, status and remarks) are one, named by the newer snapshot. A
/// segment that ends at a snapshot's date without a row dated that day taking over ends on a
/// day only known to lie between that snapshot and the one before.
///
/// This form takes the snapshots' blocks as [`Block`]s (the unit tests write them so); the
/// compiler reads its compact registers through [`segments_of`].
#[cfg(test)]
pub(crate) fn holder_segments(
    snapshots: &[(Option<Date>, &[Block])],
    covering: &[Option<usize>],
) -> Vec<HeldSegment> {
    let rows: Vec<(Option<Date>, Option<Held<'_>>)> = snapshots
        .iter()
        .zip(covering)
        .map(|((d, blocks), c)| {
            (
                *d,
                c.map(|b| {
                    let b = &blocks[b];
                    Held {
                        operator: b.operator,
                        allocated: b.allocated,
                        status: b.status.as_deref(),
                        remarks: b.remarks.as_deref(),
                    }
                }),
            )
        })
        .collect();
    segments_of(&rows)
}

/// What the holder segments of a key read of a register row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held<'r> {
    operator: Option<usize>,
    allocated: Option<Date>,
    status: Option<&'r str>,
    remarks: Option<&'r str>,
}

impl<'r> Held<'r> {
    fn of(b: BlockRef<'r>) -> Held<'r> {
        Held {
            operator: b.operator,
            allocated: b.allocated,
            status: b.status,
            remarks: b.remarks,
        }
    }
}

/// The holder segments of a key (see `holder_segments`) from each snapshot's date and the row
/// covering the key in it.
fn segments_of(snapshots: &[(Option<Date>, Option<Held<'_>>)]) -> Vec<HeldSegment> {
    let n = snapshots.len();
    // An undated register is in force from the end of time: only allocation dates count.
    let published = |i: usize| snapshots[i].0.map_or(DAY_MAX, Date::to_days);
    let block = |i: usize| snapshots[i].1.as_ref();
    // The allocation day of a dated row.
    let dated = |i: usize| block(i).and_then(|b| b.allocated.map(Date::to_days));
    // The first day a row covers the numbers.
    let start = |i: usize| {
        block(i).map(|b| match b.allocated {
            Some(a) => a.to_days(),
            None if i == 0 => DAY_MIN,
            None => published(i),
        })
    };
    let held = |i: usize, day: i32| start(i).is_some_and(|a| a <= day);
    let same = |a: usize, b: usize| match (block(a), block(b)) {
        (Some(x), Some(y)) => {
            x.operator == y.operator
                && x.allocated == y.allocated
                && x.status == y.status
                && x.remarks == y.remarks
        }
        _ => false,
    };
    // (snapshot, contradicted) holding the numbers on `day`.
    let holder = |day: i32| -> Option<(usize, bool)> {
        let in_force = (0..n).rev().find(|&i| published(i) <= day).unwrap_or(0);
        let next = in_force + 1;
        if next < n && dated(next).is_some_and(|a| a <= day) {
            let contradicted = dated(next).is_some_and(|a| a <= published(in_force)) && !same(in_force, next);
            return Some((next, contradicted));
        }
        held(in_force, day).then_some((in_force, false))
    };
    let mut bounds: BTreeSet<i32> = BTreeSet::new();
    bounds.insert(DAY_MIN);
    for (i, (published, _)) in snapshots.iter().enumerate() {
        bounds.extend(published.map(Date::to_days));
        bounds.extend(start(i));
    }
    let snapshot_day = |day: i32| {
        snapshots
            .iter()
            .any(|(d, _)| d.is_some_and(|d| d.to_days() == day))
    };
    let mut out: Vec<HeldSegment> = Vec::new();
    let mut open: Option<HeldSegment> = None;
    for &from in &bounds {
        let now = holder(from);
        match (&mut open, now) {
            (Some(o), Some((t, c))) if same(o.snapshot, t) && o.contradicted == c => o.snapshot = t,
            (None, None) => {}
            _ => {
                if let Some(mut o) = open.take() {
                    // The holding goes on (only the snapshots' agreement changes), or a dated
                    // row starts that day: the end is known to the day.
                    let known = now.is_some_and(|(t, _)| same(o.snapshot, t) || dated(t) == Some(from));
                    o.until = from;
                    o.end_uncertain = snapshot_day(from) && !known;
                    out.push(o);
                }
                open = now.map(|(snapshot, contradicted)| HeldSegment {
                    from,
                    until: DAY_MAX,
                    snapshot,
                    end_uncertain: false,
                    contradicted,
                });
            }
        }
    }
    out.extend(open);
    out
}

/// The answer over time for numbers under a key: `[from, until) → range`, merged, in date order.
/// On each day the answer is the resolver's; it changes only where a covering range's period
/// starts or ends.
fn timeline(resolver: &Resolver<'_>, key: &str) -> Vec<[u32; 3]> {
    let ranges = resolver.ranges();
    let mut bounds: BTreeSet<i32> = BTreeSet::new();
    for c in resolver.covering(key) {
        let p = ranges[c].period;
        bounds.extend(p.from.map(Date::to_days));
        bounds.extend(p.until.map(Date::to_days));
    }
    let mut edges: Vec<i32> = vec![DAY_MIN];
    edges.extend(bounds);
    edges.push(DAY_MAX);
    let mut out: Vec<[u32; 3]> = Vec::new();
    for w in edges.windows(2) {
        let (from, until) = (w[0], w[1]);
        if from >= until {
            continue;
        }
        // Every covering range's period either contains the whole segment or none of it.
        let active = |r: &Range| {
            let p = r.period;
            p.from.is_none_or(|f| f.to_days() <= from) && p.until.is_none_or(|u| until <= u.to_days())
        };
        let Some(best) = resolver.most_specific(key, active) else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last[2] == best as u32 && last[1] == from as u32 => last[1] = until as u32,
            _ => out.push([from as u32, until as u32, best as u32]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packing then reading gives back every word, whatever the columns hold: one value, only
    /// sentinels, sentinels among small or spread values, the whole `u32` range (where the
    /// column falls back to 32-bit codes), and random words; and the widths are the fewest.
    #[test]
    fn a_packed_table_reads_back_every_word() {
        use crate::artifact::reader::Table;
        let (n, m, x) = (NONE, DAY_MIN.cast_unsigned(), DAY_MAX.cast_unsigned());
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut random = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u32
        };
        let columns: Vec<(Vec<u32>, u32)> = vec![
            (vec![7; 5], 0),
            (vec![n; 5], 0),
            // 3..=10 and NONE: 9 codes.
            (vec![n, 3, 4, n, 10], 4),
            // 4,001 days and three sentinels: 4,004 codes.
            (vec![m, 16_000, 20_000, x, n], 12),
            // 2^32 - 3 ordinary codes and three sentinels: exactly 2^32 codes.
            (vec![0, u32::MAX - 3, n, m, x], 32),
            // One code too many: every word is its own code.
            (vec![0, u32::MAX - 1, n, m, 5], 32),
            (
                vec![1 << 20, (1 << 20) + 1, (1 << 20) + 3, 1 << 20, (1 << 20) + 2],
                2,
            ),
            ((0..5).map(|_| random()).collect(), 32),
        ];
        for used in 1..=columns.len() {
            // The narrowest kind with that many columns; the others hold 0.
            let kind = Kind::ALL
                .into_iter()
                .filter(|k| k.stride() >= used)
                .min_by_key(|k| k.stride())
                .expect("a kind that wide");
            let (stride, rows) = (kind.stride(), 5);
            let columns = &columns;
            let words: Vec<u32> = (0..rows)
                .flat_map(|r| {
                    (0..stride).map(move |c| columns.get(c).filter(|_| c < used).map_or(0, |(v, _)| v[r]))
                })
                .collect();
            for (c, (values, width)) in columns[..used].iter().enumerate() {
                let code = ColumnCode::of(values.iter().copied());
                if c < 7 {
                    assert_eq!(code.width, *width, "column {c}: {code:?}");
                }
                if c == 5 {
                    assert_eq!((code.sentinels, code.base), (0, 0), "{code:?}");
                }
            }
            let bytes = pack_table(&words, stride, rows as u32);
            let table = Table::parse(kind, &bytes).expect("a packed table parses");
            for r in 0..rows {
                for c in 0..stride {
                    assert_eq!(
                        table.get(r as u32, c),
                        words[r * stride + c],
                        "row {r} column {c}"
                    );
                }
            }
            assert_eq!(table.get(rows as u32, 0), NONE, "past the last row");
            assert_eq!(table.get(0, stride), NONE, "past the last column");
        }
    }

    #[test]
    fn a_header_string_with_a_control_character_is_refused_naming_the_field() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/mini");
        let plan = crate::validate::validate(crate::load::load_dir(&dir))
            .plan
            .expect("mini is valid");
        assert!(compile(&plan, &CompileOptions::default()).is_ok());
        let cases = [
            (
                "plan id",
                Plan {
                    id: "mi\nni".to_string(),
                    ..plan.clone()
                },
            ),
            (
                "plan version",
                Plan {
                    version: "1\u{7f}".to_string(),
                    ..plan.clone()
                },
            ),
            (
                "plan name",
                Plan {
                    name: "Mini\u{1b}]0;PWN\u{7} plan".to_string(),
                    ..plan.clone()
                },
            ),
        ];
        for (field, forged) in cases {
            let err = compile(&forged, &CompileOptions::default()).expect_err(field);
            assert_eq!(err, CompileError::ControlCharacter { field });
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    fn day(s: &str) -> i32 {
        Date::parse(s).expect("a date").to_days()
    }

    /// A block of operator `op` allocated on `allocated`.
    fn block(op: usize, allocated: &str) -> Block {
        Block {
            prefix: "0162".to_string(),
            length: 10,
            operator: Some(op),
            status: None,
            remarks: None,
            territory: 0,
            allocated: Some(Date::parse(allocated).expect("a date")),
            range: 0,
            source: SourceRef {
                file: "MAJNUM.csv".to_string(),
                line: 2,
            },
        }
    }

    /// Segments as (from, until, snapshot, end uncertain, contradicted), from snapshots given as
    /// (date, the key's block in it).
    fn segments(snapshots: &[(Option<&str>, Option<Block>)]) -> Vec<(i32, i32, usize, bool, bool)> {
        let blocks: Vec<Vec<Block>> = snapshots
            .iter()
            .map(|(_, b)| b.iter().cloned().collect())
            .collect();
        let snaps: Vec<(Option<Date>, &[Block])> = snapshots
            .iter()
            .zip(&blocks)
            .map(|((d, _), b)| (d.map(|d| Date::parse(d).expect("a date")), &b[..]))
            .collect();
        let covering: Vec<Option<usize>> = blocks.iter().map(|b| (!b.is_empty()).then_some(0)).collect();
        holder_segments(&snaps, &covering)
            .into_iter()
            .map(|s| (s.from, s.until, s.snapshot, s.end_uncertain, s.contradicted))
            .collect()
    }

    const JULY: &str = "2025-07-03";
    const APRIL: &str = "2026-04-17";

    #[test]
    fn an_undated_register_holds_from_the_allocation_date() {
        let got = segments(&[(None, Some(block(0, "2020-01-01")))]);
        assert_eq!(got, [(day("2020-01-01"), DAY_MAX, 0, false, false)]);
        assert_eq!(segments(&[(None, None)]), []);
    }

    #[test]
    fn a_block_in_both_snapshots_is_one_holding_named_by_the_newer() {
        let got = segments(&[
            (Some(JULY), Some(block(0, "2011-12-08"))),
            (Some(APRIL), Some(block(0, "2011-12-08"))),
        ]);
        assert_eq!(got, [(day("2011-12-08"), DAY_MAX, 1, false, false)]);
    }

    #[test]
    fn a_transfer_dated_between_snapshots_takes_effect_on_its_date() {
        let got = segments(&[
            (Some(JULY), Some(block(0, "2022-12-13"))),
            (Some(APRIL), Some(block(1, "2026-01-12"))),
        ]);
        assert_eq!(
            got,
            [
                (day("2022-12-13"), day("2026-01-12"), 0, false, false),
                (day("2026-01-12"), DAY_MAX, 1, false, false),
            ]
        );
    }

    #[test]
    fn a_withdrawn_block_holds_until_the_snapshot_that_drops_it_with_an_uncertain_end() {
        let got = segments(&[(Some(JULY), Some(block(0, "2024-02-08"))), (Some(APRIL), None)]);
        assert_eq!(got, [(day("2024-02-08"), day(APRIL), 0, true, false)]);
    }

    #[test]
    fn a_re_dated_block_of_the_same_operator_changes_holding_on_its_new_date() {
        let got = segments(&[
            (Some(JULY), Some(block(0, "2023-01-01"))),
            (Some(APRIL), Some(block(0, "2026-01-20"))),
        ]);
        assert_eq!(
            got,
            [
                (day("2023-01-01"), day("2026-01-20"), 0, false, false),
                (day("2026-01-20"), DAY_MAX, 1, false, false),
            ]
        );
    }

    #[test]
    fn a_later_snapshot_dating_a_block_before_an_earlier_one_that_lacks_it_is_a_contradiction() {
        // The case of block 0339959: in April 2026 (PJT3, 2017-08-10), not in July 2025.
        let got = segments(&[(Some(JULY), None), (Some(APRIL), Some(block(0, "2017-08-10")))]);
        assert_eq!(
            got,
            [
                (day("2017-08-10"), day(APRIL), 1, false, true),
                (day(APRIL), DAY_MAX, 1, false, false),
            ]
        );
        // Allocated after the earlier snapshot: no contradiction, one holding.
        let got = segments(&[(Some(JULY), None), (Some(APRIL), Some(block(0, "2025-09-01")))]);
        assert_eq!(got, [(day("2025-09-01"), DAY_MAX, 1, false, false)]);
    }

    #[test]
    fn a_block_missing_from_a_middle_snapshot_is_held_throughout_with_the_disagreement_marked() {
        let got = segments(&[
            (Some("2024-01-01"), Some(block(0, "2020-01-01"))),
            (Some(JULY), None),
            (Some(APRIL), Some(block(0, "2020-01-01"))),
        ]);
        assert_eq!(
            got,
            [
                (day("2020-01-01"), day(JULY), 0, false, false),
                (day(JULY), day(APRIL), 2, false, true),
                (day(APRIL), DAY_MAX, 2, false, false),
            ]
        );
    }
}
