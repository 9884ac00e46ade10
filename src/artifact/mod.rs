//! The compiled artifact: one file that answers lookups, laid out for memory mapping.
//!
//! [`compile`] turns a validated [`crate::plan::Plan`] into bytes, deterministically; [`Artifact`]
//! reads them. The format is documented in `docs/artifact-format.md`; in short:
//!
//! ```text
//! header (96 bytes): magic, format version, sequence, expiry, sources SHA-256, plan id/version/name
//! section table: (kind, offset, length) per section, sections 8-byte aligned
//! sections: strings, an fst map (digit prefix → block and timeline), tables of u32 words
//! trailer: SHA-256 of everything before it
//! ```
//!
//! Every table is an array of rows of `u32` words (little-endian), so a reader needs no parsing:
//! it indexes. Strings are `(offset, length)` pairs into the strings section.

mod compile;
mod reader;

pub use compile::{CompileError, CompileOptions, compile};
pub use reader::{
    Allocation, Answer, Artifact, ArtifactError, BlockInfo, CategoryRef, Lookup, LookupError, RangeInfo,
    RuleValue, Segment, Trust, VerifyOptions,
};

/// The first eight bytes of every artifact.
pub const MAGIC: [u8; 8] = *b"NUMPLAN\0";
/// The format version this library writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The size of the fixed header.
pub const HEADER_LEN: usize = 96;
/// The size of one section-table entry.
pub const SECTION_ENTRY_LEN: usize = 24;
/// The size of the trailing digest.
pub const DIGEST_LEN: usize = 32;
/// The file extension of artifacts.
pub const EXTENSION: &str = "npa";

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
}

impl Kind {
    pub(crate) const ALL: [Kind; 15] = [
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
    ];

    /// Words per row, for the table sections.
    pub(crate) fn stride(self) -> usize {
        match self {
            Kind::Strings | Kind::Fst => 0,
            Kind::Meta => 10,
            Kind::Files | Kind::RuleValues => 2,
            Kind::Territories => 10,
            Kind::Rules => 6,
            Kind::Documents => 7,
            Kind::Categories => 12,
            Kind::Statements => 9,
            Kind::Ranges => 12,
            Kind::Timelines => 2,
            Kind::Segments => 3,
            Kind::Operators => 6,
            Kind::Blocks => 3,
        }
    }
}

/// Column numbers of each table (in `u32` words). A string takes two words: offset and length.
/// The writer lays each row out in this order; the reader reads the columns it needs.
#[allow(dead_code)]
pub(crate) mod col {
    // Meta: one row.
    pub const META_NAME: usize = 0;
    pub const META_AUTHORITY: usize = 2;
    pub const META_TIME_ZONE: usize = 4;
    pub const META_NATIONAL_PREFIX: usize = 6;
    pub const META_INTERNATIONAL_PREFIX: usize = 8;
    // Files: name.
    pub const FILE_NAME: usize = 0;
    // Territories.
    pub const TER_ID: usize = 0;
    pub const TER_NAME: usize = 2;
    pub const TER_TIME_ZONE: usize = 4;
    pub const TER_COUNTRY_CODE: usize = 6;
    pub const TER_NAMES_FIRST: usize = 7; // into the rule-values string list
    pub const TER_NAMES_COUNT: usize = 8;
    // word 9 reserved
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
    // Statements.
    pub const STMT_RULE: usize = 0;
    pub const STMT_VALUE: usize = 1; // index into RuleValues
    pub const STMT_FROM: usize = 2;
    pub const STMT_UNTIL: usize = 3;
    pub const STMT_BASIS_DOC: usize = 4;
    pub const STMT_BASIS: usize = 5;
    pub const STMT_FILE: usize = 7;
    pub const STMT_LINE: usize = 8;
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
    // Blocks, packed (there are many): word 0 = operator (24 bits) | prefix length (8 bits) << 24;
    // word 1 = allocation date; word 2 = line (24 bits) | file (8 bits) << 24. The block's number
    // length and territory are those of its register row, checked equal to its range's.
    pub const BLOCK_OPERATOR_PREFIX: usize = 0;
    pub const BLOCK_ALLOCATED: usize = 1;
    pub const BLOCK_LINE_FILE: usize = 2;
}
