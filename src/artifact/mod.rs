//! The compiled artifact: one file that answers lookups, laid out for memory mapping.
//!
//! [`compile`](fn@compile) turns a validated [`crate::plan::Plan`] into bytes, deterministically; [`Artifact`]
//! reads them. The format is documented in `docs/artifact-format.md`; in short:
//!
//! ```text
//! header (96 bytes): magic, format version, sequence, expiry, sources SHA-256, plan id/version/name
//! section table: (kind, offset, length) per section, sections 8-byte aligned
//! sections: strings, an fst map (digit prefix → timeline and holdings), bit-packed tables
//! trailer: SHA-256 of everything before it
//! ```
//!
//! Every table is an array of rows of `u32` words, bit-packed column by column (each column as
//! wide as its values' spread), so a reader needs no parsing: it indexes, and decodes a word with
//! one load, a shift and a mask; the small tables of the plan's definitions are decoded once when
//! the file is opened. Strings are `(offset, length)` pairs into the strings section.

mod compile;
mod format;
mod lookup;
mod owned;
mod reader;

mod verdict;

pub use compile::{CompileError, CompileOptions, compile};
pub(crate) use format::*;
pub use lookup::{Answer, CategoryRef, Lookup, LookupError};
pub use owned::OwnedArtifact;
pub use reader::{
    Artifact, ArtifactError, BlockInfo, DocumentInfo, Entry, Holding, RangeInfo, RangeRef, RegisterRow,
    Resolved, RuleInfo, RuleStatement, RuleValue, Segment, SignatureCheck, TerritoryInfo, Trust, Verified,
    VerifyOptions,
};
pub use verdict::{Context, ContextError, ContextKeyInfo, Doubt, Outcome, Reason, Ruling, UseInfo};

/// A digest in lower-case hex, as numplan writes SHA-256s everywhere (`verify`, `index.json`,
/// trusted comments, errors).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The first eight bytes of every artifact.
pub const MAGIC: [u8; 8] = *b"NUMPLAN\0";
/// The format version this library writes and reads.
pub const FORMAT_VERSION: u32 = 4;
/// The size of the fixed header.
pub const HEADER_LEN: usize = 96;
/// The size of one section-table entry.
pub const SECTION_ENTRY_LEN: usize = 24;
/// The size of the trailing digest.
pub const DIGEST_LEN: usize = 32;
/// The file extension of artifacts.
pub const EXTENSION: &str = "npa";

/// The verdict code of a verdict.
pub(crate) fn verdict_code(v: crate::plan::Verdict) -> u32 {
    use crate::plan::Verdict as V;
    match v {
        V::Allowed => code::ALLOWED,
        V::Forbidden => code::FORBIDDEN,
        V::Conditional => code::CONDITIONAL,
        V::Unknown => code::UNKNOWN,
    }
}

/// The verdict of a verdict code (an unknown code reads as unknown).
pub(crate) fn verdict_of(c: u32) -> crate::plan::Verdict {
    use crate::plan::Verdict as V;
    match c {
        code::ALLOWED => V::Allowed,
        code::FORBIDDEN => V::Forbidden,
        code::CONDITIONAL => V::Conditional,
        _ => V::Unknown,
    }
}
