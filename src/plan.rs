//! The validated numbering plan: the model that the compiler, queries and diffs work from.
//!
//! A [`Plan`] is only made by [`crate::validate`], after every check passed, so its invariants
//! hold: every index points into its vector, periods are non-empty, no two ranges conflict, every
//! block lies in a range whose category allows its length. Collections keep source order; each
//! item carries a [`SourceRef`] (file name relative to the plan directory, and line) so answers
//! can cite their source.

use crate::date::Date;
use crate::range::RangeExpr;
use std::collections::HashMap;

/// Where an item was written: a file of the plan directory and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    /// File name relative to the plan directory, e.g. `ranges.yaml`.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A period of calendar days: `from` inclusive, `until` exclusive, each open when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First day, or since always.
    pub from: Option<Date>,
    /// First day no longer in the period, or until further notice.
    pub until: Option<Date>,
}

impl Period {
    /// Whether `date` lies in the period.
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|f| f <= date) && self.until.is_none_or(|u| date < u)
    }

    /// Whether the two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        let starts_before_other_ends = match (self.from, other.until) {
            (Some(f), Some(u)) => f < u,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.until) {
            (Some(f), Some(u)) => f < u,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }
}

impl Period {
    /// The period for people: "since D", "from D until E", "until E", "always".
    pub fn words(&self) -> String {
        match (self.from, self.until) {
            (None, None) => "always".to_string(),
            (Some(f), None) => format!("since {f}"),
            (None, Some(u)) => format!("until {u}"),
            (Some(f), Some(u)) => format!("from {f} until {u}"),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.from, self.until) {
            (None, None) => write!(f, "always"),
            (Some(a), None) => write!(f, "from {a}"),
            (None, Some(b)) => write!(f, "until {b}"),
            (Some(a), Some(b)) => write!(f, "from {a} until {b}"),
        }
    }
}

/// A legal basis: a cited document and the article or section.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Basis {
    /// Index into [`Plan::documents`].
    pub document: usize,
    /// The whole citation as written, e.g. `2022-1583 annexe 1, §2.3.7`.
    pub text: String,
}

/// A territory: where numbers ring, and under which country code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Territory {
    /// Stable slug, e.g. `reunion`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// E.164 country code; `None` when the sources do not give it (see `doubt`).
    pub country_code: Option<u16>,
    /// IANA time zone (the plan's when the territory names none).
    pub time_zone: String,
    /// The register's `Territoire` values for it.
    pub register_names: Vec<String>,
    /// Territories (indices) whose register rows may lie in this territory's ranges.
    pub includes: Vec<usize>,
    /// Its numbers belong to another plan that shares the country code: answered "not in this
    /// plan".
    pub foreign: bool,
    /// What the sources leave unsure about it, if anything.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// A use of numbers that the plan rules on: a person's call, an automated message…
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// Stable slug, e.g. `automated-voice`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// What it covers.
    pub description: Option<String>,
}

/// A context key: something about a call that an enforcer may know and the plan cannot (whether
/// it comes from abroad, whether it was authenticated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextKey {
    /// Stable slug.
    pub id: String,
    /// What it means.
    pub description: String,
    /// The values it may take.
    pub values: Vec<String>,
}

/// A verdict: may a number be presented for a use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// It may.
    Allowed,
    /// It may not.
    Forbidden,
    /// It may if a condition holds, which the context did not settle.
    Conditional,
    /// The plan says nothing.
    Unknown,
}

impl Verdict {
    /// The word used in sources and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Forbidden => "forbidden",
            Verdict::Conditional => "conditional",
            Verdict::Unknown => "unknown",
        }
    }

    /// The verdict a word names.
    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Allowed,
            Verdict::Forbidden,
            Verdict::Conditional,
            Verdict::Unknown,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition that a verdict may carry: in a given context it decides the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Stable slug.
    pub id: String,
    /// The condition in the plan's words.
    pub text: String,
    /// Where the law states it.
    pub basis: Option<Basis>,
    /// The context that decides: every `(key, value)` pair (indices into [`Plan::context`] and
    /// its values) must be given.
    pub when: Vec<(usize, usize)>,
    /// The verdict in that context: [`Verdict::Allowed`] (an exception) or [`Verdict::Forbidden`].
    pub then: Verdict,
    /// Whether, when the context does not say, the verdict becomes [`Verdict::Conditional`]
    /// (a condition the number is allowed only under) rather than staying as it is.
    pub unsettled_conditional: bool,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// A verdict statement of a category: the verdict for some uses during a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseStatement {
    /// Indices into [`Plan::uses`].
    pub uses: Vec<usize>,
    /// [`Verdict::Allowed`], [`Verdict::Forbidden`] or [`Verdict::Unknown`].
    pub value: Verdict,
    /// When it holds.
    pub period: Period,
    /// The conditions attached (indices into [`Plan::conditions`]).
    pub conditions: Vec<usize>,
    /// Why.
    pub basis: Basis,
    /// The reason in the plan's words, if written.
    pub reason: Option<String>,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// What a requirement checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The number is a valid number of the plan on the day.
    Valid,
    /// A register block holds the number on the day.
    Allocated,
    /// A condition (index into [`Plan::conditions`]).
    Condition(usize),
}

/// A requirement that applies to every category (or to the listed ones) for some uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// What it checks.
    pub check: Check,
    /// The uses it applies to (indices into [`Plan::uses`]).
    pub uses: Vec<usize>,
    /// The categories it applies to, or `None` for all.
    pub categories: Option<Vec<usize>>,
    /// When it applies.
    pub period: Period,
    /// Why.
    pub basis: Basis,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// An earlier snapshot of the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The day it was published.
    pub date: Date,
    /// Its blocks, sorted by prefix.
    pub blocks: Vec<Block>,
}

/// A rule of the vocabulary, with the values it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDef {
    /// Stable slug, e.g. `cli-automated`.
    pub id: String,
    /// What it means.
    pub description: String,
    /// Allowed values, e.g. `allowed`, `forbidden`.
    pub values: Vec<String>,
}

/// A legal document cited by the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Id used in `basis:` strings, e.g. `2022-1583`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Date of the document.
    pub date: Date,
    /// Where to read it.
    pub url: Option<String>,
    /// What the sources leave unsure about it (e.g. its exact date).
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// One statement of a category: `rule` = `value` during `period`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStatement {
    /// Index into [`Plan::rules`].
    pub rule: usize,
    /// One of the rule's values.
    pub value: String,
    /// When it holds.
    pub period: Period,
    /// Why.
    pub basis: Basis,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// A category of numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Stable slug, e.g. `polyvalent-verifie`.
    pub id: String,
    /// Official name.
    pub name: String,
    /// Allowed national lengths, sorted.
    pub lengths: Vec<u8>,
    /// Whether its numbers have an international (E.164) form (`false` for short codes).
    pub e164: bool,
    /// Where the category is defined.
    pub basis: Option<Basis>,
    /// Its rules over time, in source order.
    pub rules: Vec<RuleStatement>,
    /// Its verdicts over time, in source order.
    pub verdicts: Vec<UseStatement>,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// A range entry: numbers, their category and territory, during a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// The numbers, as parsed.
    pub numbers: RangeExpr,
    /// The same numbers as canonical prefixes.
    pub prefixes: Vec<String>,
    /// Index into [`Plan::categories`].
    pub category: usize,
    /// Index into [`Plan::territories`].
    pub territory: usize,
    /// Lengths narrower than the category's, for these numbers only (`None`: the category's).
    pub lengths: Option<Vec<u8>>,
    /// When the entry applies.
    pub period: Period,
    /// Why.
    pub basis: Option<Basis>,
    /// What the sources leave unsure.
    pub doubt: Option<String>,
    /// Where it is written.
    pub source: SourceRef,
}

/// An operator (the register's `Mnémo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The code, e.g. `FRTE`.
    pub code: String,
    /// Its name, when a list gives one.
    pub name: Option<String>,
    /// Where it is defined.
    pub source: SourceRef,
}

/// A row of the register: a block of numbers, its holder (for the rows that have one) and, for
/// registers that give one, its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The block prefix (`EZABPQM`; CNAC's `NPA‖NXX`).
    pub prefix: String,
    /// Length of its numbers.
    pub length: u8,
    /// Index into [`Plan::operators`]: the block's holder, `None` for a row without one (a
    /// CNAC code that is Available, Not Available…).
    pub operator: Option<usize>,
    /// The register's status for the row (CNAC's `Status`), when the format has one.
    pub status: Option<String>,
    /// The register's remarks on the row, when it has any.
    pub remarks: Option<String>,
    /// Index into [`Plan::territories`] (from the register's `Territoire` or `Province`; the
    /// range's when the row names none).
    pub territory: usize,
    /// Allocation date; `None` for registers whose rows have none (CNAC's: the row holds from
    /// the date of the snapshot that lists it).
    pub allocated: Option<Date>,
    /// Index into [`Plan::ranges`] of the range it was attached to.
    pub range: usize,
    /// Where it is written (the register file and line).
    pub source: SourceRef,
}

/// A validated numbering plan.
///
/// Only [`crate::validate`] makes one (its fields are private, read through the accessors), so
/// its invariants hold for everything that reads it, the compiler first.
///
/// ```compile_fail,E0451
/// // Outside the crate, no `Plan` can be forged, not even from a valid one.
/// fn forge(plan: &numplan::plan::Plan) -> numplan::plan::Plan {
///     numplan::plan::Plan { sequence: 7, ..plan.clone() }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Plan id, e.g. `fr`.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
    /// Publishing authority.
    pub(crate) authority: String,
    /// Plan version string.
    pub(crate) version: String,
    /// Publication sequence number: each published artifact of a plan has a greater one, so
    /// consumers can refuse a rollback to an older file.
    pub(crate) sequence: u64,
    /// The day from which artifacts of this plan should no longer be trusted, if any.
    pub(crate) expires: Option<Date>,
    /// SHA-256 over every source file (names relative to the plan directory, sorted, with their
    /// texts), identifying exactly what the plan was built from.
    pub(crate) sources_sha256: [u8; 32],
    /// IANA time zone of the plan.
    pub(crate) time_zone: String,
    /// Trunk prefix, e.g. `0`.
    pub(crate) national_prefix: String,
    /// Whether the plan's numbers are written with the national prefix (`0162…`) or without
    /// it (the NANP's `NPA-NXX-XXXX`).
    pub(crate) national_prefix_in_numbers: bool,
    /// International prefix, e.g. `00`.
    pub(crate) international_prefix: String,
    /// Territories.
    pub(crate) territories: Vec<Territory>,
    /// The rule vocabulary.
    pub(crate) rules: Vec<RuleDef>,
    /// The uses the plan gives verdicts for.
    pub(crate) uses: Vec<Use>,
    /// The context keys that settle conditions.
    pub(crate) context: Vec<ContextKey>,
    /// The conditions verdicts may carry.
    pub(crate) conditions: Vec<Condition>,
    /// Requirements that apply across categories, in source order.
    pub(crate) requirements: Vec<Requirement>,
    /// Cited documents.
    pub(crate) documents: Vec<Document>,
    /// Categories.
    pub(crate) categories: Vec<Category>,
    /// Ranges.
    pub(crate) ranges: Vec<Range>,
    /// Operators (the list's, then the extra ones).
    pub(crate) operators: Vec<Operator>,
    /// Whether the plan has a register (`files.register`): without one, whether a number is
    /// allocated is not known.
    pub(crate) has_register: bool,
    /// The register snapshots, compact: the earlier ones oldest first, the current one last
    /// (dated `register_date`).
    pub(crate) registers: Vec<Register>,
    /// The day the register was published, if the plan says.
    pub(crate) register_date: Option<Date>,
    /// [`Plan::blocks`] and [`Plan::history`] as [`Block`]s, made on first use from `registers`.
    pub(crate) views: Views,
}

/// [`Plan::blocks`] and [`Plan::history`], made from the compact registers when first asked for
/// (the compiler and `check` never ask: ten million blocks as `Block`s would be gigabytes). Not
/// part of a plan's value: two plans compare equal whether they were made or not.
#[derive(Clone, Default)]
pub(crate) struct Views {
    blocks: std::sync::OnceLock<Vec<Block>>,
    history: std::sync::OnceLock<Vec<Snapshot>>,
}

impl PartialEq for Views {
    fn eq(&self, _: &Views) -> bool {
        true
    }
}

impl Eq for Views {}

impl std::fmt::Debug for Views {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Views")
    }
}

/// One register snapshot, compact: each block a fixed-size record, its prefix digits in one
/// shared string, its source file and its (status, remarks) interned. About 50 bytes a block,
/// against some 200 for a [`Block`] with its strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Register {
    /// The day it was published (`None`: an undated current register).
    pub(crate) date: Option<Date>,
    digits: String,
    rows: Vec<Record>,
    files: Vec<String>,
    statuses: Vec<(Option<String>, Option<String>)>,
    status_index: HashMap<(Option<String>, Option<String>), u32>,
}

/// A block of a [`Register`]; `u32::MAX` stands for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    prefix: usize,
    prefix_len: u32,
    line: u32,
    operator: u32,
    territory: u32,
    range: u32,
    status: u32,
    file: u32,
    allocated: Option<Date>,
    length: u8,
}

/// A block of a [`Register`], borrowed: the fields of a [`Block`] without its strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockRef<'r> {
    pub prefix: &'r str,
    pub length: u8,
    pub operator: Option<usize>,
    pub status: Option<&'r str>,
    pub remarks: Option<&'r str>,
    pub territory: usize,
    pub allocated: Option<Date>,
    pub range: usize,
    pub file: &'r str,
    pub line: u32,
}

const NO_INDEX: u32 = u32::MAX;

/// An index as stored in a [`Record`]; the validator never makes one of `u32::MAX` or more
/// (operators, territories, ranges and files are counted in the thousands).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NO_INDEX - 1).min(NO_INDEX - 1)
}

impl Register {
    /// An empty register published on `date`.
    pub(crate) fn new(date: Option<Date>) -> Register {
        Register {
            date,
            ..Register::default()
        }
    }

    /// Appends a block.
    pub(crate) fn push(&mut self, b: BlockRef<'_>) {
        let file = match self.files.iter().rposition(|f| f == b.file) {
            Some(i) => i,
            None => {
                self.files.push(b.file.to_string());
                self.files.len() - 1
            }
        };
        let status = if b.status.is_none() && b.remarks.is_none() {
            NO_INDEX
        } else {
            let key = (b.status.map(str::to_string), b.remarks.map(str::to_string));
            let next = index(self.statuses.len());
            *self.status_index.entry(key.clone()).or_insert_with(|| {
                self.statuses.push(key);
                next
            })
        };
        self.rows.push(Record {
            prefix: self.digits.len(),
            prefix_len: u32::try_from(b.prefix.len()).unwrap_or(u32::MAX),
            line: b.line,
            operator: b.operator.map_or(NO_INDEX, index),
            territory: index(b.territory),
            range: index(b.range),
            status,
            file: index(file),
            allocated: b.allocated,
            length: b.length,
        });
        self.digits.push_str(b.prefix);
    }

    fn prefix_of(&self, r: &Record) -> &str {
        self.digits
            .get(r.prefix..r.prefix + r.prefix_len as usize)
            .unwrap_or("")
    }

    /// Sorts the blocks by prefix.
    pub(crate) fn sort(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| self.prefix_of(a).cmp(self.prefix_of(b)));
        self.rows = rows;
    }

    /// How many blocks it has.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Block `i` (`i < len()`).
    pub(crate) fn get(&self, i: usize) -> BlockRef<'_> {
        let r = &self.rows[i];
        let (status, remarks) = match self.statuses.get(r.status as usize) {
            Some((s, m)) => (s.as_deref(), m.as_deref()),
            None => (None, None),
        };
        BlockRef {
            prefix: self.prefix_of(r),
            length: r.length,
            operator: (r.operator != NO_INDEX).then_some(r.operator as usize),
            status,
            remarks,
            territory: r.territory as usize,
            allocated: r.allocated,
            range: r.range as usize,
            file: self.files.get(r.file as usize).map_or("", String::as_str),
            line: r.line,
        }
    }

    /// The prefix of block `i`.
    pub(crate) fn prefix(&self, i: usize) -> &str {
        self.prefix_of(&self.rows[i])
    }

    /// Every block, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = BlockRef<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The blocks as [`Block`]s.
    fn to_blocks(&self) -> Vec<Block> {
        self.iter()
            .map(|b| Block {
                prefix: b.prefix.to_string(),
                length: b.length,
                operator: b.operator,
                status: b.status.map(str::to_string),
                remarks: b.remarks.map(str::to_string),
                territory: b.territory,
                allocated: b.allocated,
                range: b.range,
                source: SourceRef {
                    file: b.file.to_string(),
                    line: b.line,
                },
            })
            .collect()
    }
}

impl Plan {
    /// Plan id, e.g. `fr`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Publishing authority.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Plan version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Publication sequence number: each published artifact of a plan has a greater one, so
    /// consumers can refuse a rollback to an older file.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The day from which artifacts of this plan should no longer be trusted, if any.
    pub fn expires(&self) -> Option<Date> {
        self.expires
    }

    /// SHA-256 over every source file (names relative to the plan directory, sorted, with their
    /// texts), identifying exactly what the plan was built from.
    pub fn sources_sha256(&self) -> [u8; 32] {
        self.sources_sha256
    }

    /// IANA time zone of the plan.
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// Trunk prefix, e.g. `0`.
    pub fn national_prefix(&self) -> &str {
        &self.national_prefix
    }

    /// International prefix, e.g. `00`.
    pub fn international_prefix(&self) -> &str {
        &self.international_prefix
    }

    /// Whether the plan's numbers are written with the national prefix (`0162…`, lengths count
    /// it) or without it (`613 555 0123`, dialled after an optional `1`).
    pub fn national_prefix_in_numbers(&self) -> bool {
        self.national_prefix_in_numbers
    }

    /// Territories.
    pub fn territories(&self) -> &[Territory] {
        &self.territories
    }

    /// The rule vocabulary.
    pub fn rules(&self) -> &[RuleDef] {
        &self.rules
    }

    /// The uses the plan gives verdicts for.
    pub fn uses(&self) -> &[Use] {
        &self.uses
    }

    /// The context keys that settle conditions.
    pub fn context(&self) -> &[ContextKey] {
        &self.context
    }

    /// The conditions verdicts may carry.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Requirements that apply across categories, in source order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Cited documents.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// Categories.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Ranges.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    /// Operators (the list's, then the extra ones).
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// Whether the plan has a register (`files.register`): without one, whether a number is
    /// allocated is not known.
    pub fn has_register(&self) -> bool {
        self.has_register
    }

    /// Register blocks, sorted by prefix.
    ///
    /// Made on first call from the plan's compact register (a `Block` owns its strings: for
    /// millions of blocks, prefer [`Plan::block_count`] where a count is enough).
    pub fn blocks(&self) -> &[Block] {
        self.views
            .blocks
            .get_or_init(|| self.registers.last().map_or_else(Vec::new, Register::to_blocks))
    }

    /// How many blocks the current register has (the length of [`Plan::blocks`], without
    /// making them).
    pub fn block_count(&self) -> usize {
        self.registers.last().map_or(0, Register::len)
    }

    /// The day the register was published, if the plan says.
    pub fn register_date(&self) -> Option<Date> {
        self.register_date
    }

    /// Earlier snapshots of the register, oldest first (all before `register_date`).
    ///
    /// Made on first call, as [`Plan::blocks`] is.
    pub fn history(&self) -> &[Snapshot] {
        self.views.history.get_or_init(|| {
            let earlier = self.registers.len().saturating_sub(1);
            self.registers[..earlier]
                .iter()
                .filter_map(|r| {
                    Some(Snapshot {
                        date: r.date?,
                        blocks: r.to_blocks(),
                    })
                })
                .collect()
        })
    }

    /// How many earlier snapshots the register has (the length of [`Plan::history`]).
    pub fn history_len(&self) -> usize {
        self.registers.len().saturating_sub(1)
    }

    /// The register snapshots, compact, oldest first, the current one last (none without a
    /// register).
    pub(crate) fn registers(&self) -> &[Register] {
        &self.registers
    }
}

impl Range {
    /// The lengths its numbers may have: its own, or its category's.
    pub fn lengths<'p>(&'p self, plan: &'p Plan) -> &'p [u8] {
        self.lengths
            .as_deref()
            .unwrap_or(&plan.categories[self.category].lengths)
    }
}

impl Plan {
    /// The category with this slug.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The territory with this slug.
    pub fn territory(&self, id: &str) -> Option<&Territory> {
        self.territories.iter().find(|t| t.id == id)
    }

    /// The resolver of its ranges: which range answers for a prefix on a day.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.ranges)
    }
}

/// Whether the canonical prefix set `set` contains every number that starts with `prefix`.
pub fn covers(set: &[String], prefix: &str) -> bool {
    (0..=prefix.len()).any(|n| set.binary_search_by(|p| p.as_str().cmp(&prefix[..n])).is_ok())
}

/// A measure of how many numbers a canonical prefix set holds (each prefix of length `n` counts
/// `10^(24-n)`), used to order nested ranges: the smaller, the more specific.
pub fn measure(set: &[String]) -> u128 {
    set.iter()
        .map(|p| 10u128.pow(24u32.saturating_sub(p.len() as u32)))
        .sum()
}

/// The one answer to "which range holds these numbers": an index of every range prefix, and each
/// range's [`measure`], built once over a plan's ranges.
///
/// Nesting refines (see `ARCHITECTURE.md`): among the ranges that contain every number starting
/// with a prefix and pass a filter (typically, in force on a day), the answer is the one of
/// smallest measure, the earliest in source order on a tie. Validation places register blocks
/// with it, the compiler builds each key's timeline with it, and the differential test checks
/// the compiled artifact against it.
#[derive(Clone, Debug)]
pub struct Resolver<'p> {
    ranges: &'p [Range],
    measures: Vec<u128>,
    index: HashMap<&'p str, Vec<usize>>,
}

impl<'p> Resolver<'p> {
    /// Indexes `ranges` (a plan's, or the ones validated so far).
    pub fn new(ranges: &'p [Range]) -> Resolver<'p> {
        let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in ranges.iter().enumerate() {
            for p in &r.prefixes {
                index.entry(p.as_str()).or_default().push(i);
            }
        }
        Resolver {
            ranges,
            measures: ranges.iter().map(|r| measure(&r.prefixes)).collect(),
            index,
        }
    }

    /// The ranges it resolves among.
    pub fn ranges(&self) -> &'p [Range] {
        self.ranges
    }

    /// The indices of every range that contains all the numbers starting with `prefix` (one of
    /// its prefixes starts `prefix`), whatever their periods, in no particular order.
    pub fn covering<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = usize> + 's {
        (0..=prefix.len())
            .filter_map(move |n| prefix.get(..n).and_then(|p| self.index.get(p)))
            .flatten()
            .copied()
    }

    /// The most specific range containing every number that starts with `prefix`, among those
    /// that pass `keep`: the smallest measure, then the first in source order.
    pub fn most_specific(&self, prefix: &str, keep: impl Fn(&Range) -> bool) -> Option<usize> {
        self.covering(prefix)
            .filter(|&i| keep(&self.ranges[i]))
            .min_by_key(|&i| (self.measures[i], i))
    }

    /// The most specific range containing every number that starts with `prefix` and in force on
    /// `date`.
    pub fn at(&self, prefix: &str, date: Date) -> Option<usize> {
        self.most_specific(prefix, |r| r.period.contains(date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn periods() {
        let p = Period {
            from: Some(d("2023-01-01")),
            until: Some(d("2024-01-01")),
        };
        assert!(!p.contains(d("2022-12-31")));
        assert!(p.contains(d("2023-01-01")));
        assert!(p.contains(d("2023-12-31")));
        assert!(!p.contains(d("2024-01-01")));
        let before = Period {
            from: None,
            until: Some(d("2023-01-01")),
        };
        let after = Period {
            from: Some(d("2023-01-01")),
            until: None,
        };
        assert!(!before.overlaps(&after));
        assert!(!after.overlaps(&before));
        assert!(p.overlaps(&after));
        assert!(Period::default().overlaps(&p));
    }

    #[test]
    fn coverage_and_measure() {
        let set = vec!["0162".to_string(), "0270".to_string()];
        assert!(covers(&set, "0162"));
        assert!(covers(&set, "016212"));
        assert!(!covers(&set, "016"));
        assert!(!covers(&set, "0163"));
        assert!(measure(&["01".to_string()]) > measure(&set));
        assert!(
            covers(&[String::new()], "123"),
            "the empty prefix covers everything"
        );
    }

    fn range(numbers: &str, category: usize, period: Period) -> Range {
        let numbers = crate::range::parse(numbers).unwrap();
        Range {
            prefixes: numbers.prefixes(),
            numbers,
            category,
            territory: 0,
            lengths: None,
            period,
            basis: None,
            doubt: None,
            source: SourceRef {
                file: "ranges.yaml".to_string(),
                line: 1,
            },
        }
    }

    #[test]
    fn the_resolver_picks_the_most_specific_range_in_force() {
        let since = |s: &str| Period {
            from: Some(d(s)),
            until: None,
        };
        let ranges = vec![
            range("01-05", 0, Period::default()),
            range("0162", 1, since("2023-01-01")),
            // Same measure as the one before, later in source order.
            range("0163", 2, Period::default()),
            range("016", 3, Period::default()),
            range("0162-0163", 4, Period::default()),
        ];
        let r = Resolver::new(&ranges);
        let mut covering: Vec<usize> = r.covering("016212").collect();
        covering.sort_unstable();
        assert_eq!(covering, [0, 1, 3, 4]);
        assert_eq!(r.covering("016").collect::<Vec<_>>(), [0, 3]);
        assert_eq!(r.covering("07").count(), 0);
        assert_eq!(r.at("016212", d("2023-01-01")), Some(1));
        assert_eq!(
            r.at("016212", d("2022-12-31")),
            Some(4),
            "0162 is not in force yet"
        );
        assert_eq!(r.at("0163", d("2022-12-31")), Some(2));
        assert_eq!(r.at("0164", d("2022-12-31")), Some(3));
        assert_eq!(
            r.at("016", d("2022-12-31")),
            Some(3),
            "0162 does not cover all of 016"
        );
        assert_eq!(r.at("02", d("2022-12-31")), Some(0));
        assert_eq!(r.at("0", d("2022-12-31")), None, "01-05 does not cover all of 0");
        assert_eq!(r.at("07", d("2022-12-31")), None);
        assert_eq!(r.most_specific("0162", |r| r.category != 1), Some(4));
        assert_eq!(r.most_specific("0162", |_| false), None);
    }

    #[test]
    fn on_a_tie_the_resolver_keeps_source_order() {
        let ranges = vec![
            range("0270", 0, Period::default()),
            range("0271", 1, Period::default()),
            range("0270", 2, Period::default()),
        ];
        let r = Resolver::new(&ranges);
        assert_eq!(r.at("02701", d("2024-01-01")), Some(0));
        assert_eq!(r.most_specific("02701", |r| r.category != 0), Some(2));
    }
}
