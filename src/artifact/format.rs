//! The artifact's layout, the one description both sides use: section kinds, the columns of each
//! table's rows (column numbers), the codes stored in them, how a table is bit-packed, how an
//! index value packs a key's timeline and holdings, and the limits a file must keep within.
//! `compile.rs` writes rows in this order and checks these limits; `reader.rs` reads the columns
//! it needs and refuses a file that claims more than a limit allows (`docs/artifact-format.md`
//! lists them).
//!
//! A table is written column by column in bits: each column gets the fewest bits that hold its
//! values' spread above the column's smallest value, plus codes for the three sentinels
//! ([`NONE`], [`DAY_MIN`], [`DAY_MAX`]) that occur in it. A column with one value takes no bit
//! (but a row takes one at least, so that a table holds the rows it claims).
//! Readers decode a word with one unaligned 8-byte load, a shift and a mask.

/// A date that is not there: `from` since always.
pub(crate) const DAY_MIN: i32 = i32::MIN;
/// A date that is not there: `until` further notice.
pub(crate) const DAY_MAX: i32 = i32::MAX;
/// An absent index or string.
pub(crate) const NONE: u32 = u32::MAX;

/// Section kinds, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub(crate) enum Kind {
    Strings = 1,
    Fst = 2,
    Meta = 3,
    Files = 4,
    Territories = 5,
    Rules = 6,
    RuleValues = 7,
    Documents = 8,
    Categories = 9,
    Statements = 10,
    Ranges = 11,
    Timelines = 12,
    Segments = 13,
    Operators = 14,
    Blocks = 15,
    Uses = 16,
    ContextKeys = 17,
    Conditions = 18,
    Terms = 19,
    Verdicts = 20,
    Requirements = 21,
    Indices = 22,
    Registers = 23,
    Holdings = 24,
    HoldSegments = 25,
    Statuses = 26,
}

/// The most pairs in a condition's `when` (checked by `check`; a reader reads no more).
pub(crate) const MAX_TERMS: u32 = crate::validate::MAX_WHEN as u32;
/// The most conditions a verdict statement carries (likewise).
pub(crate) const MAX_STATEMENT_CONDITIONS: u32 = crate::validate::MAX_STATEMENT_CONDITIONS as u32;
/// The most requirements a plan has (likewise).
pub(crate) const MAX_REQUIREMENTS: u32 = crate::validate::MAX_REQUIREMENTS as u32;

/// How many section kinds there are, plus one (kinds start at 1).
pub(crate) const KINDS: usize = 27;

impl Kind {
    pub(crate) const ALL: [Kind; 26] = [
        Kind::Strings,
        Kind::Fst,
        Kind::Meta,
        Kind::Files,
        Kind::Territories,
        Kind::Rules,
        Kind::RuleValues,
        Kind::Documents,
        Kind::Categories,
        Kind::Statements,
        Kind::Ranges,
        Kind::Timelines,
        Kind::Segments,
        Kind::Operators,
        Kind::Blocks,
        Kind::Uses,
        Kind::ContextKeys,
        Kind::Conditions,
        Kind::Terms,
        Kind::Verdicts,
        Kind::Requirements,
        Kind::Indices,
        Kind::Registers,
        Kind::Holdings,
        Kind::HoldSegments,
        Kind::Statuses,
    ];

    /// Columns (words) per row, for the table sections.
    pub(crate) fn stride(self) -> usize {
        match self {
            Kind::Strings | Kind::Fst => 0,
            Kind::Meta => 12,
            Kind::Files | Kind::RuleValues => 2,
            Kind::Territories => 14,
            Kind::Rules => 6,
            Kind::Documents => 11,
            Kind::Categories => 19,
            Kind::Statements => 11,
            Kind::Ranges => 14,
            Kind::Timelines => 2,
            Kind::Segments => 3,
            Kind::Operators => 6,
            Kind::Blocks => 6,
            Kind::Statuses => 4,
            Kind::Uses => 6,
            Kind::ContextKeys => 6,
            Kind::Conditions => 15,
            Kind::Terms => 2,
            Kind::Verdicts => 15,
            Kind::Requirements => 13,
            Kind::Indices | Kind::Registers => 1,
            Kind::Holdings => 2,
            Kind::HoldSegments => 5,
        }
    }
}

/// Column numbers of each table (each column a `u32` word once decoded). A string takes two
/// columns: offset and length.
/// The writer lays each row out in this order; the reader reads the columns it needs.
#[allow(dead_code)]
pub(crate) mod col {
    // Meta: one row.
    pub const META_NAME: usize = 0;
    pub const META_AUTHORITY: usize = 2;
    pub const META_TIME_ZONE: usize = 4;
    pub const META_NATIONAL_PREFIX: usize = 6;
    pub const META_INTERNATIONAL_PREFIX: usize = 8;
    pub const META_HAS_REGISTER: usize = 10; // 1: the plan has a register (allocation is known)
    pub const META_PREFIX_IN_NUMBERS: usize = 11; // 1: numbers are written with the national prefix
    // Files: name.
    pub const FILE_NAME: usize = 0;
    // Territories.
    pub const TER_ID: usize = 0;
    pub const TER_NAME: usize = 2;
    pub const TER_TIME_ZONE: usize = 4;
    pub const TER_COUNTRY_CODE: usize = 6; // NONE: not given by the sources
    pub const TER_NAMES_FIRST: usize = 7; // into the rule-values string list
    pub const TER_NAMES_COUNT: usize = 8;
    pub const TER_DOUBT: usize = 9;
    pub const TER_FILE: usize = 11;
    pub const TER_LINE: usize = 12;
    pub const TER_FOREIGN: usize = 13; // 1: another plan's numbers under the same country code
    // Rules.
    pub const RULE_ID: usize = 0;
    pub const RULE_DESCRIPTION: usize = 2;
    pub const RULE_VALUES_FIRST: usize = 4;
    pub const RULE_VALUES_COUNT: usize = 5;
    // RuleValues: a string list shared by rules (values) and territories (register names).
    pub const VALUE: usize = 0;
    // Documents.
    pub const DOC_ID: usize = 0;
    pub const DOC_TITLE: usize = 2;
    pub const DOC_DATE: usize = 4;
    pub const DOC_URL: usize = 5;
    pub const DOC_DOUBT: usize = 7;
    pub const DOC_FILE: usize = 9;
    pub const DOC_LINE: usize = 10;
    // Categories.
    pub const CAT_ID: usize = 0;
    pub const CAT_NAME: usize = 2;
    pub const CAT_LENGTHS: usize = 4; // bit n set: length n allowed
    pub const CAT_BASIS_DOC: usize = 5;
    pub const CAT_BASIS: usize = 6;
    pub const CAT_STMT_FIRST: usize = 8;
    pub const CAT_STMT_COUNT: usize = 9;
    pub const CAT_FILE: usize = 10;
    pub const CAT_LINE: usize = 11;
    pub const CAT_DOUBT: usize = 12;
    pub const CAT_VERDICT_FIRST: usize = 14;
    pub const CAT_VERDICT_COUNT: usize = 15;
    pub const CAT_REQ_FIRST: usize = 16; // the requirements that apply to it: a run of Indices
    pub const CAT_REQ_COUNT: usize = 17;
    pub const CAT_E164: usize = 18; // 1: its numbers have an E.164 form
    // Statements.
    pub const STMT_RULE: usize = 0;
    pub const STMT_VALUE: usize = 1; // index into RuleValues
    pub const STMT_FROM: usize = 2;
    pub const STMT_UNTIL: usize = 3;
    pub const STMT_BASIS_DOC: usize = 4;
    pub const STMT_BASIS: usize = 5;
    pub const STMT_FILE: usize = 7;
    pub const STMT_LINE: usize = 8;
    pub const STMT_DOUBT: usize = 9;
    // Ranges.
    pub const RANGE_CATEGORY: usize = 0;
    pub const RANGE_TERRITORY: usize = 1;
    pub const RANGE_FROM: usize = 2;
    pub const RANGE_UNTIL: usize = 3;
    pub const RANGE_BASIS_DOC: usize = 4;
    pub const RANGE_BASIS: usize = 5;
    pub const RANGE_NUMBERS: usize = 7;
    pub const RANGE_FILE: usize = 9;
    pub const RANGE_LINE: usize = 10;
    pub const RANGE_LENGTHS: usize = 11; // bitmask; 0: the category's
    pub const RANGE_DOUBT: usize = 12;
    // Timelines: a run of segments.
    pub const TL_FIRST: usize = 0;
    pub const TL_COUNT: usize = 1;
    // Segments: [from, until) → range.
    pub const SEG_FROM: usize = 0;
    pub const SEG_UNTIL: usize = 1;
    pub const SEG_RANGE: usize = 2;
    // Operators.
    pub const OP_CODE: usize = 0;
    pub const OP_NAME: usize = 2;
    pub const OP_FILE: usize = 4;
    pub const OP_LINE: usize = 5;
    // Blocks (register rows): operator row (`NONE`: a row without a holder), the block prefix's
    // length in digits, allocation date (`DAY_MIN`: the row has none), source line and file,
    // Statuses row (`NONE`: none; a register without statuses has a constant column, 0 bits).
    // The block's number length and territory are those of its register row, checked against
    // its range's.
    pub const BLOCK_OPERATOR: usize = 0;
    pub const BLOCK_PREFIX_LEN: usize = 1;
    pub const BLOCK_ALLOCATED: usize = 2;
    pub const BLOCK_LINE: usize = 3;
    pub const BLOCK_FILE: usize = 4;
    pub const BLOCK_STATUS: usize = 5;
    // Statuses: a register row's status and remarks (interned pairs).
    pub const STATUS_NAME: usize = 0;
    pub const STATUS_REMARKS: usize = 2;
    // Uses.
    pub const USE_ID: usize = 0;
    pub const USE_NAME: usize = 2;
    pub const USE_DESCRIPTION: usize = 4;
    // Context keys: values are a run of the rule-values string list.
    pub const CTX_ID: usize = 0;
    pub const CTX_DESCRIPTION: usize = 2;
    pub const CTX_VALUES_FIRST: usize = 4;
    pub const CTX_VALUES_COUNT: usize = 5;
    // Conditions: `when` is a run of Terms; then: a verdict code; unsettled: 1 = conditional.
    pub const COND_ID: usize = 0;
    pub const COND_TEXT: usize = 2;
    pub const COND_BASIS_DOC: usize = 4;
    pub const COND_BASIS: usize = 5;
    pub const COND_WHEN_FIRST: usize = 7;
    pub const COND_WHEN_COUNT: usize = 8;
    pub const COND_THEN: usize = 9;
    pub const COND_UNSETTLED: usize = 10;
    pub const COND_DOUBT: usize = 11;
    pub const COND_FILE: usize = 13;
    pub const COND_LINE: usize = 14;
    // Terms: a context key row and the index of one of its values.
    pub const TERM_KEY: usize = 0;
    pub const TERM_VALUE: usize = 1;
    // Verdict statements of categories: uses as a bitmask (bit n: use row n), a verdict code,
    // conditions as a run of Indices.
    pub const VS_USES: usize = 0;
    pub const VS_VALUE: usize = 1;
    pub const VS_FROM: usize = 2;
    pub const VS_UNTIL: usize = 3;
    pub const VS_BASIS_DOC: usize = 4;
    pub const VS_BASIS: usize = 5;
    pub const VS_REASON: usize = 7;
    pub const VS_DOUBT: usize = 9;
    pub const VS_COND_FIRST: usize = 11;
    pub const VS_COND_COUNT: usize = 12;
    pub const VS_FILE: usize = 13;
    pub const VS_LINE: usize = 14;
    // Requirements: check (0 valid, 1 allocated, 2 condition), the condition row, uses bitmask,
    // 1 when it applies to every category (else the categories list it: CAT_REQ_FIRST/COUNT).
    pub const REQ_CHECK: usize = 0;
    pub const REQ_CONDITION: usize = 1;
    pub const REQ_USES: usize = 2;
    pub const REQ_ALL_CATEGORIES: usize = 3;
    pub const REQ_FROM: usize = 4;
    pub const REQ_UNTIL: usize = 5;
    pub const REQ_BASIS_DOC: usize = 6;
    pub const REQ_BASIS: usize = 7;
    pub const REQ_DOUBT: usize = 9;
    pub const REQ_FILE: usize = 11;
    pub const REQ_LINE: usize = 12;
    // Indices: one u32 a row (lists of condition and category rows).
    pub const INDEX: usize = 0;
    // Registers: the dates of the register snapshots, oldest first; the last is the current one.
    pub const REG_DATE: usize = 0;
    // Holdings: a run of HoldSegments.
    pub const HOLD_FIRST: usize = 0;
    pub const HOLD_COUNT: usize = 1;
    // HoldSegments: [from, until) → block row, the snapshot listing it, and flags:
    // `code::END_UNCERTAIN` when the segment ends at a snapshot that no longer lists the block
    // (the day it went is not known), `code::CONTRADICTED` when the snapshot before disagrees.
    pub const HS_FROM: usize = 0;
    pub const HS_UNTIL: usize = 1;
    pub const HS_BLOCK: usize = 2;
    pub const HS_SNAPSHOT: usize = 3;
    pub const HS_FLAGS: usize = 4;
}

/// Verdict codes in Verdicts, Conditions (`then`) rows.
pub(crate) mod code {
    pub const ALLOWED: u32 = 0;
    pub const FORBIDDEN: u32 = 1;
    pub const CONDITIONAL: u32 = 2;
    pub const UNKNOWN: u32 = 3;
    /// Requirement checks.
    pub const CHECK_VALID: u32 = 0;
    pub const CHECK_ALLOCATED: u32 = 1;
    pub const CHECK_CONDITION: u32 = 2;
    /// A key's holdings word (as [`super::split_value`] gives it): with this bit set, the low
    /// 31 bits are a Holdings row; clear, the word is a block row + 1 held from its allocation
    /// date on (0: no block).
    pub const HOLDINGS_BIT: u32 = 1 << 31;
    /// HoldSegments flags: the segment's end is only known to lie before the next snapshot's
    /// date.
    pub const END_UNCERTAIN: u32 = 1;
    /// HoldSegments flags: the snapshot before the segment's does not list this holding, though
    /// it dates from before that snapshot (the registers disagree).
    pub const CONTRADICTED: u32 = 2;
}

/// How many low bits of an index value hold the key's holdings code: 0 for none, `(row + 1) << 1`
/// for a current block held from its allocation date on, `(holdings row << 1) | 1` for a run of
/// hold segments. Block and holdings rows stay under 2^24 ([`limit::BLOCK_ROWS`]), so 25 bits
/// hold every code; the timeline row sits above them. Keys that share a timeline (a range's
/// blocks) then differ in the low bits only, and consecutive blocks by small amounts, which
/// the fst stores in a byte or two where a `holdings << 32 | timeline` value took five.
pub(crate) const HOLDINGS_CODE_BITS: u32 = 25;

/// An index value from a key's holdings word (see [`code::HOLDINGS_BIT`]) and timeline row.
pub(crate) fn join_value(holdings: u32, timeline: u32) -> u64 {
    let code = if holdings & code::HOLDINGS_BIT != 0 {
        (u64::from(holdings & !code::HOLDINGS_BIT) << 1) | 1
    } else {
        u64::from(holdings) << 1
    };
    debug_assert!(code < 1 << HOLDINGS_CODE_BITS);
    (u64::from(timeline) << HOLDINGS_CODE_BITS) | code
}

/// A key's holdings word and timeline row from its index value. A timeline past `u32` (only in a
/// crafted file) reads as [`NONE`], a row no table has.
#[inline]
pub(crate) fn split_value(value: u64) -> (u32, u32) {
    let code = (value & ((1 << HOLDINGS_CODE_BITS) - 1)) as u32;
    let holdings = if code & 1 != 0 {
        (code >> 1) | code::HOLDINGS_BIT
    } else {
        code >> 1
    };
    let timeline = u32::try_from(value >> HOLDINGS_CODE_BITS).unwrap_or(NONE);
    (holdings, timeline)
}

/// The sentinels a packed column codes apart from its other values, in the order of the bits of
/// a column's sentinel mask: bit 0 [`NONE`], bit 1 [`DAY_MIN`], bit 2 [`DAY_MAX`].
pub(crate) const SENTINELS: [u32; 3] = [NONE, DAY_MIN.cast_unsigned(), DAY_MAX.cast_unsigned()];

/// The size of a packed column's descriptor: width (1 byte), sentinel mask (1), zero (2), base
/// (4), ordinary codes (4).
pub(crate) const COLUMN_LEN: usize = 12;

/// Zero bytes after a packed table's bits, so that a reader loads any field with one 8-byte read.
pub(crate) const TABLE_PADDING: usize = 8;

/// The limits of the format, checked by both sides: the compiler refuses a plan that does not
/// fit ([`crate::artifact::CompileError::TooLarge`] names the limit) and the reader refuses a file
/// that claims more ([`crate::artifact::ArtifactError::Malformed`]). They bound what a crafted
/// file can make a reader do: every run a key leads to is short, every walk of the index ends.
pub(crate) mod limit {
    /// The longest index key, in digits (the longest number the range syntax writes).
    pub const KEY_DIGITS: usize = crate::range::MAX_DIGITS;
    /// The most keys an index may hold: 2^24 (16,777,216). Every key is a range prefix or a
    /// register block prefix, and a national portability database has about 10 million blocks;
    /// the limit bounds what a full listing (as `diff` makes) costs whatever the file, since fst
    /// can store many consecutive keys in a few bytes.
    pub const INDEX_KEYS: u64 = 1 << 24;
    /// The most segments in one key's timeline (the ranges that answer for it over time; the
    /// French plan's keys have at most 2). Every key of a `diff` reads its whole timeline, so
    /// this bounds a diff's work by keys × 256.
    pub const TIMELINE_SEGMENTS: u32 = 256;
    /// The most segments in one key's holdings (who held its block over the snapshots: a
    /// snapshot opens at most two, and there are at most 64).
    pub const HOLD_SEGMENTS: u32 = 256;
    /// The most rule statements, and the most verdict statements, of one category.
    pub const CATEGORY_STATEMENTS: u32 = 4096;
    /// The most values of a rule, register names of a territory, values of a context key.
    pub const VALUES: u32 = 4096;
    /// The most register rows (blocks) and holdings: 2^24 - 1, so that an index value's
    /// holdings code fits its 25 bits ([`super::HOLDINGS_CODE_BITS`]).
    pub const BLOCK_ROWS: u32 = (1 << 24) - 1;
}
