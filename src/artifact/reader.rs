//! The artifact reader: open (the structure and the number index), explicit verify, the tables'
//! accessors.
//!
//! [`Artifact::open`] checks the structure (magic, version, section table, table shapes, every
//! run a table points to against the format's limits, that strings are UTF-8, the fst header)
//! and every node of the number index once (a bounded walk: see `check_index`), without hashing
//! the file: so every `Artifact` can be walked, listed and diffed without hanging or panicking,
//! whatever its bytes. It is linear in the tables' and the index's size.
//! [`Artifact::verify`] checks, given a public key, the minisign signature and its trusted
//! comment first, then the SHA-256 digest, the expiry date and rollback;
//! [`Artifact::open_verified`] checks the signature after the structural checks and before the
//! index walk, so that with a key no byte of an unsigned file reaches the walk. Lookups (`lookup.rs`) trust the content: verify
//! before relying on an answer. No byte sequence makes `open` or `verify` panic or loop; every
//! table access is bounds-checked.
use super::verdict::Doubt;
use super::{
    COLUMN_LEN, DAY_MAX, DAY_MIN, DIGEST_LEN, FORMAT_VERSION, HEADER_LEN, KINDS, Kind, MAGIC,
    MAX_REQUIREMENTS, MAX_STATEMENT_CONDITIONS, MAX_TERMS, NONE, SECTION_ENTRY_LEN, SENTINELS, TABLE_PADDING,
    code, col, split_value,
};
use crate::date::Date;
use sha2::{Digest, Sha256};
use std::fmt;

/// Why an artifact is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The file is shorter than its structure says.
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// Not a numplan artifact at all.
    Foreign,
    /// A numplan artifact of a format version this library does not read.
    UnsupportedVersion {
        /// The file's version.
        found: u32,
    },
    /// The structure is inconsistent (a section out of bounds, a table of the wrong shape).
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// The content does not match its SHA-256 digest: the file was altered or damaged.
    Corrupt {
        /// The digest stored in the file (hex).
        stored: String,
        /// The digest of the content (hex).
        computed: String,
    },
    /// The signature does not verify with the given key.
    BadSignature {
        /// Why.
        reason: String,
    },
    /// The signature is valid but its trusted comment does not describe this file.
    CommentMismatch {
        /// What the file says.
        expected: String,
        /// What the signed comment says.
        found: String,
    },
    /// The artifact's expiry date has passed.
    Expired {
        /// The first day it is no longer valid.
        expires: Date,
        /// Today.
        today: Date,
    },
    /// The artifact is older than one the consumer has already seen.
    Rollback {
        /// This file's sequence number.
        sequence: u64,
        /// The newest sequence number seen before.
        last_seen: u64,
    },
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::Truncated { what } => {
                write!(
                    f,
                    "the artifact is truncated (it ends inside the {what}); fetch it again"
                )
            }
            ArtifactError::Foreign => {
                write!(
                    f,
                    "not a numplan artifact (no NUMPLAN magic at the start of the file)"
                )
            }
            ArtifactError::UnsupportedVersion { found } if *found < FORMAT_VERSION => write!(
                f,
                "artifact format version {found} is older than version {FORMAT_VERSION}, the one this numplan \
                 reads; compile the plan again with this numplan (`numplan compile PLAN_DIR -o FILE`) or \
                 fetch a file published for it"
            ),
            ArtifactError::UnsupportedVersion { found } => write!(
                f,
                "artifact format version {found} is newer than version {FORMAT_VERSION}, the one this numplan \
                 reads; upgrade numplan to read it"
            ),
            ArtifactError::Malformed { what } => write!(f, "the artifact is malformed: {what}"),
            ArtifactError::Corrupt { stored, computed } => write!(
                f,
                "the artifact is corrupt: its content hashes to {computed} but the file says {stored}; \
                 it was altered or damaged, fetch it again"
            ),
            ArtifactError::BadSignature { reason } => write!(f, "the signature does not verify: {reason}"),
            ArtifactError::CommentMismatch { expected, found } => write!(
                f,
                "the signature is valid but signs another artifact: trusted comment `{found}`, expected `{expected}`"
            ),
            ArtifactError::Expired { expires, today } => write!(
                f,
                "the artifact expired on {expires} (today is {today}); fetch a newer one"
            ),
            ArtifactError::Rollback { sequence, last_seen } => write!(
                f,
                "rollback refused: the artifact has sequence {sequence}, older than {last_seen} already seen"
            ),
        }
    }
}

impl std::error::Error for ArtifactError {}

/// The longest index key.
pub(super) const MAX_KEY: usize = super::limit::KEY_DIGITS;

pub(super) fn malformed(what: impl Into<String>) -> ArtifactError {
    ArtifactError::Malformed { what: what.into() }
}

use super::hex;

/// One column of a packed table, decoded from its descriptor: where its bits lie in a row and
/// what a code stands for.
#[derive(Clone, Copy, Debug, Default)]
struct Column {
    /// Bit offset of the column in a row.
    offset: u32,
    /// `width` low bits set.
    mask: u64,
    /// Codes below `ordinary` stand for `base + code`; the next ones for the sentinels present.
    base: u32,
    ordinary: u64,
    /// The sentinels present, in code order; `NONE` for a code past them (a crafted file).
    sentinels: [u32; 3],
}

/// A table of rows of `u32` words, bit-packed column by column (see `format.rs`).
#[derive(Clone, Debug, Default)]
pub(super) struct Table<'a> {
    data: &'a [u8],
    row_bits: u64,
    columns: Box<[Column]>,
    pub(super) rows: u32,
    /// A small table's words, decoded once by `parse` (see [`DECODED_WORDS`]); empty for a
    /// large one, read in place.
    words: Box<[u32]>,
}

/// Tables of at most this many words are decoded when the file is opened: the plan's
/// definitions (ranges, categories, verdicts…), which every lookup reads several times, then
/// cost a plain load each. The register's tables (blocks, operators, holdings) stay packed and are
/// read in place. Decoding them all costs about as much as hashing a few kilobytes.
const DECODED_WORDS: u64 = 4096;

impl<'a> Table<'a> {
    pub(super) fn parse(kind: Kind, bytes: &'a [u8]) -> Result<Table<'a>, ArtifactError> {
        let head =
            |i: usize| -> Option<u32> { Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?)) };
        let (Some(stride), Some(rows)) = (head(0), head(4)) else {
            return Err(malformed(format!("{kind:?} table has no header")));
        };
        if stride as usize != kind.stride() {
            return Err(malformed(format!(
                "{kind:?} rows have {stride} columns, expected {}",
                kind.stride()
            )));
        }
        let data_at = 8 + kind.stride() * COLUMN_LEN;
        let Some(descriptors) = bytes.get(8..data_at) else {
            return Err(malformed(format!(
                "{kind:?} table ends in its column descriptors"
            )));
        };
        let mut columns = Vec::with_capacity(kind.stride());
        let mut row_bits = 0u64;
        for (c, d) in descriptors.chunks_exact(COLUMN_LEN).enumerate() {
            let (width, mask) = (u32::from(d[0]), d[1]);
            let word = |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
            let (base, ordinary) = (word(4), word(8));
            let codes = u64::from(ordinary) + u64::from(mask.count_ones());
            if width > 32 || mask > 0b111 || d[2..4] != [0, 0] || (mask == 0 && ordinary != 0) {
                return Err(malformed(format!("{kind:?} column {c} has a bad descriptor")));
            }
            if mask != 0 && codes > 1 << width {
                return Err(malformed(format!(
                    "{kind:?} column {c} has more codes than its {width} bits hold"
                )));
            }
            let mut sentinels = [NONE; 3];
            for (slot, s) in sentinels
                .iter_mut()
                .zip(SENTINELS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0))
            {
                *slot = *s.1;
            }
            columns.push(Column {
                offset: row_bits as u32,
                mask: (1u64 << width) - 1,
                base,
                ordinary: if mask == 0 {
                    1 << width
                } else {
                    u64::from(ordinary)
                },
                sentinels,
            });
            row_bits += u64::from(width);
        }
        // Every row takes a bit at least, so a file holds the rows it claims: a table of
        // constant columns cannot claim billions of rows in a few bytes (the writer gives such
        // a table's first column one bit).
        if rows == NONE || (rows > 0 && row_bits == 0) {
            return Err(malformed(format!(
                "{kind:?} table claims {rows} rows that take no bits"
            )));
        }
        let data = &bytes[data_at..];
        let expected = (u64::from(rows) * row_bits).div_ceil(8) + TABLE_PADDING as u64;
        if data.len() as u64 != expected || data[data.len() - TABLE_PADDING..].iter().any(|&b| b != 0) {
            return Err(malformed(format!(
                "{kind:?} table size does not match its {rows} rows"
            )));
        }
        let mut table = Table {
            data,
            row_bits,
            columns: columns.into(),
            rows,
            words: Box::default(),
        };
        if u64::from(rows) * kind.stride() as u64 <= DECODED_WORDS {
            table.words = (0..rows)
                .flat_map(|r| (0..kind.stride()).map(move |c| (r, c)))
                .map(|(r, c)| table.get(r, c))
                .collect();
        }
        Ok(table)
    }

    /// Word `col` of row `row`; [`NONE`] when out of bounds (only on a malformed file).
    #[inline]
    pub(super) fn get(&self, row: u32, col: usize) -> u32 {
        let Some(c) = self.columns.get(col) else {
            return NONE;
        };
        if row >= self.rows {
            return NONE;
        }
        if !self.words.is_empty() {
            let at = row as usize * self.columns.len() + col;
            return self.words.get(at).copied().unwrap_or(NONE);
        }
        let bit = u64::from(row) * self.row_bits + u64::from(c.offset);
        let at = (bit >> 3) as usize;
        // `parse` checked the length: every row's bits, then 8 bytes of padding.
        let Some(b) = self.data.get(at..at + 8) else {
            return NONE;
        };
        let code =
            (u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) >> (bit & 7)) & c.mask;
        if code < c.ordinary {
            c.base.wrapping_add(code as u32)
        } else {
            c.sentinels
                .get((code - c.ordinary) as usize)
                .copied()
                .unwrap_or(NONE)
        }
    }
}

/// Checks every run of rows a table points to (`first`, `count` columns): inside its target
/// table, and no longer than the format's limit; and the tables whose size a bitmask or a
/// packed field bounds. Linear in the rows of the small tables, so `open` stays cheap; after it,
/// no accessor iterates further than a limit allows.
fn check_runs(tables: &[Table<'_>; KINDS]) -> Result<(), ArtifactError> {
    use super::limit;
    let rows = |k: Kind| tables[k as usize].rows;
    let runs: [(Kind, usize, usize, Kind, u32, &str); 10] = [
        (
            Kind::Timelines,
            col::TL_FIRST,
            col::TL_COUNT,
            Kind::Segments,
            limit::TIMELINE_SEGMENTS,
            "timeline segments of a key",
        ),
        (
            Kind::Holdings,
            col::HOLD_FIRST,
            col::HOLD_COUNT,
            Kind::HoldSegments,
            limit::HOLD_SEGMENTS,
            "holdings of a key",
        ),
        (
            Kind::Categories,
            col::CAT_STMT_FIRST,
            col::CAT_STMT_COUNT,
            Kind::Statements,
            limit::CATEGORY_STATEMENTS,
            "rule statements of a category",
        ),
        (
            Kind::Categories,
            col::CAT_VERDICT_FIRST,
            col::CAT_VERDICT_COUNT,
            Kind::Verdicts,
            limit::CATEGORY_STATEMENTS,
            "verdict statements of a category",
        ),
        (
            Kind::Categories,
            col::CAT_REQ_FIRST,
            col::CAT_REQ_COUNT,
            Kind::Indices,
            MAX_REQUIREMENTS,
            "requirements of a category",
        ),
        (
            Kind::Rules,
            col::RULE_VALUES_FIRST,
            col::RULE_VALUES_COUNT,
            Kind::RuleValues,
            limit::VALUES,
            "values of a rule",
        ),
        (
            Kind::Territories,
            col::TER_NAMES_FIRST,
            col::TER_NAMES_COUNT,
            Kind::RuleValues,
            limit::VALUES,
            "register names of a territory",
        ),
        (
            Kind::ContextKeys,
            col::CTX_VALUES_FIRST,
            col::CTX_VALUES_COUNT,
            Kind::RuleValues,
            limit::VALUES,
            "values of a context key",
        ),
        (
            Kind::Conditions,
            col::COND_WHEN_FIRST,
            col::COND_WHEN_COUNT,
            Kind::Terms,
            MAX_TERMS,
            "terms of a condition",
        ),
        (
            Kind::Verdicts,
            col::VS_COND_FIRST,
            col::VS_COND_COUNT,
            Kind::Indices,
            MAX_STATEMENT_CONDITIONS,
            "conditions of a verdict statement",
        ),
    ];
    for (kind, first, count, target, max, what) in runs {
        let table = &tables[kind as usize];
        for row in 0..table.rows {
            let (f, n) = (table.get(row, first), table.get(row, count));
            if n > max {
                return Err(malformed(format!(
                    "{kind:?} row {row} claims {n} {what}, more than the format's {max}"
                )));
            }
            if u64::from(f) + u64::from(n) > u64::from(rows(target)) {
                return Err(malformed(format!(
                    "{kind:?} row {row} points past the end of the {target:?} table"
                )));
            }
        }
    }
    // The snapshot a hold segment names: the answers walk the snapshots up to it.
    let segments = &tables[Kind::HoldSegments as usize];
    for row in 0..segments.rows {
        let snapshot = segments.get(row, col::HS_SNAPSHOT);
        if snapshot as usize >= crate::validate::MAX_SNAPSHOTS {
            return Err(malformed(format!(
                "HoldSegments row {row} names snapshot {snapshot}, past the format's {}",
                crate::validate::MAX_SNAPSHOTS
            )));
        }
    }
    let sized: [(Kind, u32, &str); 3] = [
        (Kind::Uses, crate::validate::MAX_USES as u32, "uses"),
        (
            Kind::Registers,
            crate::validate::MAX_SNAPSHOTS as u32,
            "register snapshots",
        ),
        (Kind::Requirements, MAX_REQUIREMENTS, "requirements"),
    ];
    for (kind, max, what) in sized {
        if rows(kind) > max {
            return Err(malformed(format!(
                "{} {what}, more than the format's {max}",
                rows(kind)
            )));
        }
    }
    Ok(())
}

std::thread_local! {
    /// Set while [`quietly`] runs on this thread.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic without printing it: a panic hook, installed once, stays silent
/// on a thread inside `quietly` and hands every other panic to the hook that was there before.
/// (A program that installs its own hook later will print what `f` panics with; it is still
/// caught.) Unwinding is needed: under `panic = "abort"` a crafted index aborts the process.
fn quietly<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|_| ())
}

/// An opened artifact. Borrowed bytes: from a `Vec`, `include_bytes!` or a memory map.
#[derive(Clone)]
pub struct Artifact<'a> {
    bytes: &'a [u8],
    sequence: u64,
    expires: Option<Date>,
    sources_sha256: [u8; 32],
    id: &'a str,
    version: &'a str,
    name: &'a str,
    strings: &'a str,
    pub(super) fst: fst::raw::Fst<&'a [u8]>,
    tables: [Table<'a>; KINDS],
    /// The territories' distinct country codes, for reading international numbers.
    pub(super) country_codes: Vec<u32>,
    /// The national prefix, the international prefix, and whether numbers are written with the
    /// national prefix: read once, since every lookup needs them.
    dialling: (&'a str, &'a str, bool),
    /// The walk's state after every 4-digit prefix, built on the first lookup (see
    /// [`Artifact::longest_prefix`]); not built by `open`, which stays cheap.
    pub(super) head: std::sync::OnceLock<Vec<Head>>,
    /// Verdicts without context, per (category, use), for the last day asked (see
    /// `verdict::Memo`); made on the first verdict, shared by clones.
    pub(crate) memo: std::sync::OnceLock<std::sync::Arc<[std::sync::atomic::AtomicU64]>>,
}

/// The state of the longest-prefix walk after the first [`HEAD_DIGITS`] digits of a number.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Head {
    /// Address of the node reached, if the walk is still going.
    pub(super) node: Option<fst::raw::CompiledAddr>,
    /// The output accumulated up to it.
    pub(super) out: u64,
    /// The longest prefix found so far: length and value.
    pub(super) best: Option<(u8, u64)>,
}

/// How many leading digits the head table resolves at once.
pub(super) const HEAD_DIGITS: usize = 4;

impl fmt::Debug for Artifact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Artifact")
            .field("plan", &self.id)
            .field("version", &self.version)
            .field("sequence", &self.sequence)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What [`Artifact::verify`] checks besides the digest.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions<'k> {
    /// The signature to check; `None` checks the digest only.
    pub signature: Option<SignatureCheck<'k>>,
    /// Today, for the expiry check; `None` skips it.
    pub today: Option<Date>,
    /// The newest sequence number the consumer has seen; an older artifact is refused.
    pub last_seen_sequence: Option<u64>,
}

/// A signature to check (see [`VerifyOptions::signature`]): the signer's public key and the
/// text of the artifact's `.minisig` file.
#[derive(Clone, Copy, Debug)]
pub struct SignatureCheck<'k> {
    /// The public key the signature must verify with.
    pub key: &'k crate::minisign::PublicKey,
    /// The `.minisig` file's text.
    pub minisig: &'k str,
}

/// An artifact opened by [`Artifact::open_verified`], and how far it was checked.
#[derive(Clone, Debug)]
pub struct Verified<'a> {
    /// The artifact.
    pub artifact: Artifact<'a>,
    /// What was checked.
    pub trust: Trust,
}

/// How far an artifact has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trust {
    /// The SHA-256 of the payload (hex), as stored and recomputed.
    pub sha256: String,
    /// The signed trusted comment, when a signature was checked.
    pub trusted_comment: Option<String>,
    /// The signing key id (hex), when a signature was checked.
    pub key_id: Option<String>,
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl<'a> Artifact<'a> {
    /// Opens an artifact: the structure, then every node of the number index once (see
    /// `check_index`), so that no lookup, listing or diff of the result can hang or panic; no
    /// hashing of the whole file. See [`Artifact::verify`] and [`Artifact::open_verified`].
    pub fn open(bytes: &'a [u8]) -> Result<Artifact<'a>, ArtifactError> {
        let a = Artifact::open_structure(bytes)?;
        a.check_index()?;
        Ok(a)
    }

    /// The structural checks of [`Artifact::open`], without the index check: cheap on any size.
    fn open_structure(bytes: &'a [u8]) -> Result<Artifact<'a>, ArtifactError> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) && !bytes.is_empty() {
                return Err(ArtifactError::Truncated { what: "header" });
            }
            return Err(ArtifactError::Foreign);
        }
        let version = read_u32(bytes, 8).ok_or(ArtifactError::Truncated { what: "header" })?;
        if version != FORMAT_VERSION {
            return Err(ArtifactError::UnsupportedVersion { found: version });
        }
        if bytes.len() < HEADER_LEN + DIGEST_LEN {
            return Err(ArtifactError::Truncated { what: "header" });
        }
        let header_len = read_u32(bytes, 12).unwrap_or(0) as usize;
        if header_len != HEADER_LEN {
            return Err(malformed(format!(
                "header length {header_len}, expected {HEADER_LEN}"
            )));
        }
        let payload_len = read_u64(bytes, 88).unwrap_or(0);
        let expected_len = payload_len.checked_add(DIGEST_LEN as u64);
        if expected_len.is_none_or(|l| l > bytes.len() as u64) {
            return Err(ArtifactError::Truncated { what: "payload" });
        }
        if expected_len != Some(bytes.len() as u64) {
            return Err(malformed(format!(
                "{} bytes after the payload, expected {DIGEST_LEN}",
                bytes.len() as u64 - payload_len
            )));
        }
        let payload = &bytes[..payload_len as usize];
        let sequence = read_u64(bytes, 16).unwrap_or(0);
        let expires = match read_u32(bytes, 24).unwrap_or(0) as i32 {
            DAY_MIN => None,
            d => Some(Date::from_days(d).ok_or_else(|| malformed("expiry date out of range"))?),
        };
        let count = read_u32(bytes, 28).unwrap_or(0) as usize;
        let mut sources_sha256 = [0u8; 32];
        sources_sha256.copy_from_slice(&bytes[32..64]);
        let table_end = count
            .checked_mul(SECTION_ENTRY_LEN)
            .and_then(|t| t.checked_add(HEADER_LEN))
            .filter(|&e| e <= payload.len())
            .ok_or(ArtifactError::Truncated {
                what: "section table",
            })?;
        let mut sections: [Option<&'a [u8]>; KINDS] = [None; KINDS];
        for i in 0..count {
            let at = HEADER_LEN + i * SECTION_ENTRY_LEN;
            let kind = read_u32(payload, at).unwrap_or(0) as usize;
            let off = read_u64(payload, at + 8).unwrap_or(u64::MAX);
            let len = read_u64(payload, at + 16).unwrap_or(u64::MAX);
            let end = off
                .checked_add(len)
                .filter(|&e| e <= payload.len() as u64 && off >= table_end as u64);
            let Some(end) = end else {
                return Err(malformed(format!("section {kind} lies outside the payload")));
            };
            let slot = sections
                .get_mut(kind)
                .ok_or_else(|| malformed(format!("unknown section kind {kind}")))?;
            if slot.is_some() || kind == 0 {
                return Err(malformed(format!("section kind {kind} appears twice")));
            }
            *slot = Some(&payload[off as usize..end as usize]);
        }
        let section = |k: Kind| sections[k as usize].ok_or_else(|| malformed(format!("no {k:?} section")));
        let strings =
            std::str::from_utf8(section(Kind::Strings)?).map_err(|_| malformed("strings are not UTF-8"))?;
        let fst =
            fst::raw::Fst::new(section(Kind::Fst)?).map_err(|e| malformed(format!("number index: {e}")))?;
        let mut tables: [Table<'a>; KINDS] = std::array::from_fn(|_| Table::default());
        for k in Kind::ALL {
            if k.stride() > 0 {
                tables[k as usize] = Table::parse(k, section(k)?)?;
            }
        }
        let str_at = |at: usize| -> Result<&'a str, ArtifactError> {
            let (o, l) = (
                read_u32(bytes, at).unwrap_or(NONE),
                read_u32(bytes, at + 4).unwrap_or(NONE),
            );
            let text = strings
                .get(o as usize..(o as usize).saturating_add(l as usize))
                .ok_or_else(|| malformed("a header string is out of bounds"))?;
            // The plan id, version and name go into the signature's one-line trusted comment and
            // into file names and messages: a control character there is a crafted file.
            if text.chars().any(char::is_control) {
                return Err(malformed("a header string holds a control character"));
            }
            Ok(text)
        };
        let meta = &tables[Kind::Meta as usize];
        if meta.rows != 1 {
            return Err(malformed("the meta table must have one row"));
        }
        check_runs(&tables)?;
        Ok(Artifact {
            bytes,
            sequence,
            expires,
            sources_sha256,
            id: str_at(64)?,
            version: str_at(72)?,
            name: str_at(80)?,
            strings,
            fst,
            country_codes: Vec::new(),
            dialling: ("", "", false),
            head: std::sync::OnceLock::new(),
            memo: std::sync::OnceLock::new(),
            tables,
        })
        .map(|mut a| {
            let mut codes: Vec<u32> = a.territories().filter_map(|t| t.country_code).collect();
            codes.sort_unstable();
            codes.dedup();
            a.country_codes = codes;
            a.dialling = (
                a.meta(col::META_NATIONAL_PREFIX),
                a.meta(col::META_INTERNATIONAL_PREFIX),
                a.word(Kind::Meta, 0, col::META_PREFIX_IN_NUMBERS) == 1,
            );
            a
        })
    }

    /// Opens the artifact and checks what `options` ask, with the signature (when they give a
    /// key) before the number index is walked: the structural checks of [`Artifact::open`] (all but
    /// its index walk),
    /// then the signature over the whole file and its trusted comment, the digest, the number
    /// index, expiry and rollback, in that order; the first failure is returned. With a key, no
    /// byte of a file that is not signed reaches the index check. What a consumer that checks
    /// signatures should call.
    pub fn open_verified(
        bytes: &'a [u8],
        options: &VerifyOptions<'_>,
    ) -> Result<Verified<'a>, ArtifactError> {
        let artifact = Artifact::open_structure(bytes)?;
        let trust = artifact.verify_with(options, true)?;
        Ok(Verified { artifact, trust })
    }

    /// Checks (as asked) the signature and its trusted comment first, then the digest, the
    /// expiry date and rollback, in that order; the first failure is returned. The number index
    /// was checked by [`Artifact::open`]; [`Artifact::open_verified`] checks the signature before
    /// that too.
    pub fn verify(&self, options: &VerifyOptions<'_>) -> Result<Trust, ArtifactError> {
        self.verify_with(options, false)
    }

    /// [`Artifact::verify`], and the index check after the digest when `index` is set.
    fn verify_with(&self, options: &VerifyOptions<'_>, index: bool) -> Result<Trust, ArtifactError> {
        let mut trust = Trust {
            sha256: String::new(),
            trusted_comment: None,
            key_id: None,
        };
        if let Some(check) = options.signature {
            let v = crate::minisign::verify(check.key, self.bytes, check.minisig).map_err(|e| {
                ArtifactError::BadSignature {
                    reason: e.to_string(),
                }
            })?;
            let expected = self.trusted_comment();
            if v.trusted_comment != expected {
                return Err(ArtifactError::CommentMismatch {
                    expected,
                    found: v.trusted_comment,
                });
            }
            trust.trusted_comment = Some(v.trusted_comment);
            trust.key_id = Some(check.key.key_id_hex());
        }
        let n = self.bytes.len() - DIGEST_LEN;
        let computed: [u8; 32] = Sha256::digest(&self.bytes[..n]).into();
        let stored = &self.bytes[n..];
        if computed[..] != *stored {
            return Err(ArtifactError::Corrupt {
                stored: hex(stored),
                computed: hex(&computed),
            });
        }
        trust.sha256 = hex(&computed);
        if index {
            self.check_index()?;
        }
        if let (Some(expires), Some(today)) = (self.expires, options.today)
            && today >= expires
        {
            return Err(ArtifactError::Expired { expires, today });
        }
        if let Some(last_seen) = options.last_seen_sequence
            && self.sequence < last_seen
        {
            return Err(ArtifactError::Rollback {
                sequence: self.sequence,
                last_seen,
            });
        }
        Ok(trust)
    }

    /// Checks that the number index is one a lookup can walk, and that walking all of it ends
    /// soon: its own checksum, then every node reachable from the root, each once. A digest is
    /// no signature (anyone can recompute it), and the `fst` crate does not defend against
    /// crafted bytes: this check, done once, is what makes later lookups on the file safe.
    ///
    /// What it holds every reachable node to:
    /// - every transition leads to a strictly lower address (the order in which the fst builder
    ///   writes nodes), so the index is acyclic, and addresses stay inside the index;
    /// - inputs are ASCII digits, and the node finds each of its transitions by its input;
    /// - no key is longer than [`limit::KEY_DIGITS`](super::limit::KEY_DIGITS) digits, and no
    ///   sum of outputs along a key overflows;
    /// - the keys counted through the nodes are the index's own count, and at most
    ///   [`limit::INDEX_KEYS`](super::limit::INDEX_KEYS) (so a full listing, as `diff` makes,
    ///   is bounded).
    ///
    /// Each node is decoded once (a memo by address), so the check is linear in the index's
    /// size. The `fst` crate decodes a node by slicing, which panics on some crafted bytes rather
    /// than returning an error; those panics are caught (the library needs `panic = "unwind"`,
    /// the default) without a word on standard error (see [`quietly`]), and the file is refused.
    fn check_index(&self) -> Result<(), ArtifactError> {
        self.fst
            .verify()
            .map_err(|e| malformed(format!("number index: {e}")))?;
        match quietly(|| self.walk_index()) {
            Ok(result) => result,
            Err(()) => Err(malformed("the number index is inconsistent")),
        }
    }

    /// The walk of [`Artifact::check_index`]: an explicit depth-first search over the index's
    /// nodes, each decoded once.
    fn walk_index(&self) -> Result<(), ArtifactError> {
        use super::limit;
        /// What is known of a node once its transitions are checked.
        #[derive(Clone, Copy)]
        struct Seen {
            /// The longest key suffix below it, in transitions.
            height: usize,
            /// How many keys end at or below it.
            keys: u64,
            /// The largest sum of outputs from it to a final state.
            out: u64,
        }
        let fst = &self.fst;
        let size = fst.as_bytes().len();
        let mut seen: std::collections::HashMap<usize, Seen> = std::collections::HashMap::new();
        let broken = |what: &str| malformed(format!("number index: {what}"));
        // The count the header claims, first: a file that claims too many keys is refused before
        // any node is decoded (the walk below checks the claim).
        if fst.len() as u64 > limit::INDEX_KEYS {
            return Err(broken(&format!(
                "its header says {} keys, more than the format's {}",
                fst.len(),
                limit::INDEX_KEYS
            )));
        }
        // The path from the root: (address, next transition to look at).
        let root = fst.root();
        let mut path: Vec<(fst::raw::Node<'_>, usize)> = vec![(root, 0)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if *next < node.len() {
                let t = node.transition(*next);
                *next += 1;
                if !t.inp.is_ascii_digit() || node.find_input(t.inp) != Some(*next - 1) {
                    return Err(broken("a transition is not on a digit"));
                }
                if t.addr >= node.addr() || t.addr >= size {
                    return Err(broken("a transition does not lead to a lower address"));
                }
                match seen.get(&t.addr) {
                    Some(s) if path.len() + s.height > limit::KEY_DIGITS => {
                        return Err(broken("a key is longer than a number"));
                    }
                    Some(_) => {}
                    None if path.len() + 1 > limit::KEY_DIGITS + 1 => {
                        return Err(broken("a key is longer than a number"));
                    }
                    None => path.push((fst.node(t.addr), 0)),
                }
                continue;
            }
            // Every child is known: sum them up.
            let mut me = Seen {
                height: 0,
                keys: u64::from(node.is_final()),
                out: if node.is_final() {
                    node.final_output().value()
                } else {
                    0
                },
            };
            for t in node.transitions() {
                let Some(child) = seen.get(&t.addr) else {
                    return Err(broken("a node was not reached"));
                };
                me.height = me.height.max(child.height + 1);
                me.keys = me
                    .keys
                    .checked_add(child.keys)
                    .ok_or_else(|| broken("too many keys"))?;
                let out = t
                    .out
                    .value()
                    .checked_add(child.out)
                    .ok_or_else(|| broken("an output overflows"))?;
                me.out = me.out.max(out);
            }
            seen.insert(node.addr(), me);
            path.pop();
        }
        let Some(root) = seen.get(&root.addr()) else {
            return Err(broken("the root was not reached"));
        };
        if root.keys != fst.len() as u64 {
            return Err(broken(&format!(
                "its nodes hold {} keys, its header says {}",
                root.keys,
                fst.len()
            )));
        }
        if root.keys > limit::INDEX_KEYS {
            return Err(broken(&format!(
                "{} keys, more than the format's {}",
                root.keys,
                limit::INDEX_KEYS
            )));
        }
        Ok(())
    }

    /// The trusted comment a signature of this artifact carries: plan id, version, sequence and
    /// payload SHA-256, so that a signature cannot be moved to another file.
    pub fn trusted_comment(&self) -> String {
        format!(
            "numplan plan={} version={} sequence={} sha256={}",
            self.id,
            self.version,
            self.sequence,
            hex(self.stored_sha256())
        )
    }

    /// The SHA-256 the file stores for its payload (not recomputed: see [`Artifact::verify`]).
    pub fn stored_sha256(&self) -> &'a [u8] {
        &self.bytes[self.bytes.len() - DIGEST_LEN..]
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Plan id, e.g. `fr`.
    pub fn plan_id(&self) -> &'a str {
        self.id
    }

    /// Plan version.
    pub fn plan_version(&self) -> &'a str {
        self.version
    }

    /// Plan name.
    pub fn plan_name(&self) -> &'a str {
        self.name
    }

    /// Publication sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Expiry date, if any.
    pub fn expires(&self) -> Option<Date> {
        self.expires
    }

    /// SHA-256 of the sources the artifact was compiled from.
    pub fn sources_sha256(&self) -> [u8; 32] {
        self.sources_sha256
    }

    pub(super) fn table(&self, k: Kind) -> &Table<'a> {
        &self.tables[k as usize]
    }

    #[inline]
    pub(crate) fn word(&self, k: Kind, row: u32, col: usize) -> u32 {
        self.table(k).get(row, col)
    }

    /// How many rows a table has.
    pub(crate) fn rows(&self, k: Kind) -> u32 {
        self.table(k).rows
    }

    /// The string at `col` of a row; `""` for an absent or out-of-bounds one.
    #[inline]
    pub(crate) fn string(&self, k: Kind, row: u32, col: usize) -> &'a str {
        self.opt_string(k, row, col).unwrap_or("")
    }

    #[inline]
    pub(crate) fn opt_string(&self, k: Kind, row: u32, col: usize) -> Option<&'a str> {
        let (o, l) = (self.word(k, row, col), self.word(k, row, col + 1));
        if o == NONE {
            return None;
        }
        self.strings
            .get(o as usize..(o as usize).saturating_add(l as usize))
    }

    /// Meta strings.
    fn meta(&self, c: usize) -> &'a str {
        self.string(Kind::Meta, 0, c)
    }

    /// The plan's trunk prefix (`0`).
    pub fn national_prefix(&self) -> &'a str {
        self.dialling.0
    }

    /// The plan's international prefix (`00`).
    pub fn international_prefix(&self) -> &'a str {
        self.dialling.1
    }

    /// Whether the plan writes its numbers with the national prefix (`0162…`; lengths count
    /// it) or without it (`613 555 0123`, dialled after an optional `1`).
    pub fn national_prefix_in_numbers(&self) -> bool {
        self.dialling.2
    }

    /// The plan's time zone.
    pub fn time_zone(&self) -> &'a str {
        self.meta(col::META_TIME_ZONE)
    }

    /// The publishing authority.
    pub fn authority(&self) -> &'a str {
        self.meta(col::META_AUTHORITY)
    }

    /// Every day on which some answer of the plan may change: the bounds of the ranges' periods
    /// (the index's timeline segments), of rule and verdict statements, of requirements, of the
    /// register's holdings, and the register snapshots' dates.
    pub fn change_days(&self) -> std::collections::BTreeSet<Date> {
        let mut days = std::collections::BTreeSet::new();
        let mut add = |k: Kind, from: usize, until: usize| {
            for r in 0..self.rows(k) {
                for c in [from, until] {
                    let d = self.word(k, r, c) as i32;
                    if d != DAY_MIN && d != DAY_MAX {
                        days.extend(Date::from_days(d));
                    }
                }
            }
        };
        add(Kind::Segments, col::SEG_FROM, col::SEG_UNTIL);
        add(Kind::Statements, col::STMT_FROM, col::STMT_UNTIL);
        add(Kind::Verdicts, col::VS_FROM, col::VS_UNTIL);
        add(Kind::Requirements, col::REQ_FROM, col::REQ_UNTIL);
        add(Kind::HoldSegments, col::HS_FROM, col::HS_UNTIL);
        days.extend(self.register_dates());
        days
    }

    /// The ids of the plan's categories, in the plan's order.
    pub fn category_ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        let k = Kind::Categories;
        (0..self.table(k).rows).map(move |c| self.string(k, c, col::CAT_ID))
    }

    /// The codes of the operators the register names (block holders), in the plan's order.
    pub fn operator_codes(&self) -> impl Iterator<Item = &'a str> + '_ {
        let k = Kind::Operators;
        (0..self.table(k).rows).map(move |o| self.string(k, o, col::OP_CODE))
    }

    /// The territories, in the plan's order.
    pub fn territories(&self) -> impl Iterator<Item = TerritoryInfo<'a>> + '_ {
        (0..self.table(Kind::Territories).rows).map(move |t| self.territory(t))
    }

    pub(crate) fn territory(&self, t: u32) -> TerritoryInfo<'a> {
        let k = Kind::Territories;
        let cc = self.word(k, t, col::TER_COUNTRY_CODE);
        TerritoryInfo {
            id: self.string(k, t, col::TER_ID),
            name: self.string(k, t, col::TER_NAME),
            country_code: (cc != NONE).then_some(cc),
            time_zone: self.string(k, t, col::TER_TIME_ZONE),
            doubt: self.opt_string(k, t, col::TER_DOUBT),
            foreign: self.word(k, t, col::TER_FOREIGN) == 1,
        }
    }

    /// The dates of the register snapshots, oldest first; the last is the current register's.
    /// Empty when the plan gives its register no date.
    pub fn register_dates(&self) -> impl Iterator<Item = Date> + '_ {
        let k = Kind::Registers;
        (0..self.table(k).rows).filter_map(move |r| Date::from_days(self.word(k, r, col::REG_DATE) as i32))
    }

    /// Whether the plan has a register of allocated blocks (else allocation is unknown).
    pub fn has_register(&self) -> bool {
        self.word(Kind::Meta, 0, col::META_HAS_REGISTER) == 1
    }

    /// The current register's publication date, if the plan gives it.
    pub fn register_date(&self) -> Option<Date> {
        let rows = self.table(Kind::Registers).rows;
        rows.checked_sub(1)
            .and_then(|r| Date::from_days(self.word(Kind::Registers, r, col::REG_DATE) as i32))
    }

    /// The date of snapshot `s` (a row of the Registers table).
    fn snapshot_date(&self, s: u32) -> Option<Date> {
        (s < self.table(Kind::Registers).rows)
            .then(|| Date::from_days(self.word(Kind::Registers, s, col::REG_DATE) as i32))
            .flatten()
    }

    /// Who holds the numbers of an index key over time, from its holdings word.
    pub(crate) fn hold_segments(&self, word: u32) -> impl Iterator<Item = HoldSeg> + '_ {
        let current = self.table(Kind::Registers).rows.saturating_sub(1);
        let (single, run) = if word == 0 {
            (None, 0..0)
        } else if word & code::HOLDINGS_BIT == 0 {
            let row = word - 1;
            let from = self.word(Kind::Blocks, row, col::BLOCK_ALLOCATED) as i32;
            let seg = HoldSeg {
                from,
                until: DAY_MAX,
                row,
                snapshot: current,
                end_uncertain: false,
                contradicted: false,
            };
            (Some(seg), 0..0)
        } else {
            let t = word & !code::HOLDINGS_BIT;
            let first = self.word(Kind::Holdings, t, col::HOLD_FIRST);
            let count = self.word(Kind::Holdings, t, col::HOLD_COUNT);
            (None, first..first.saturating_add(count))
        };
        single.into_iter().chain(run.map(move |s| {
            let k = Kind::HoldSegments;
            let flags = self.word(k, s, col::HS_FLAGS);
            HoldSeg {
                from: self.word(k, s, col::HS_FROM) as i32,
                until: self.word(k, s, col::HS_UNTIL) as i32,
                row: self.word(k, s, col::HS_BLOCK),
                snapshot: self.word(k, s, col::HS_SNAPSHOT),
                end_uncertain: flags & code::END_UNCERTAIN != 0,
                contradicted: flags & code::CONTRADICTED != 0,
            }
        }))
    }

    /// The register row covering the numbers of a key on `day`, if any (with or without a
    /// holder).
    #[inline]
    pub(crate) fn row_on(&self, word: u32, day: i32) -> Option<u32> {
        if word == 0 {
            return None;
        }
        if word & code::HOLDINGS_BIT == 0 {
            let row = word - 1;
            let from = self.word(Kind::Blocks, row, col::BLOCK_ALLOCATED) as i32;
            return (from <= day).then_some(row);
        }
        self.hold_segments(word).find(|h| h.contains(day)).map(|h| h.row)
    }

    /// Whether register row `row` names a holder.
    #[inline]
    pub(crate) fn row_is_held(&self, row: u32) -> bool {
        self.word(Kind::Blocks, row, col::BLOCK_OPERATOR) != NONE
    }

    /// The block row holding the numbers of a key on `day`, if any: a row that names a holder.
    #[inline]
    pub(crate) fn held_row(&self, word: u32, day: i32) -> Option<u32> {
        self.row_on(word, day).filter(|&row| self.row_is_held(row))
    }

    /// The register row that covers the numbers of a key in the current register (what diffs
    /// compare), with or without a holder.
    fn current_row(&self, word: u32) -> Option<u32> {
        self.hold_segments(word)
            .last()
            .filter(|h| h.until == DAY_MAX)
            .map(|h| h.row)
    }

    /// A register row's status and remarks, when the register gives them.
    pub(crate) fn row_status(&self, row: u32) -> (Option<&'a str>, Option<&'a str>) {
        let s = self.word(Kind::Blocks, row, col::BLOCK_STATUS);
        if s == NONE {
            return (None, None);
        }
        (
            self.opt_string(Kind::Statuses, s, col::STATUS_NAME),
            self.opt_string(Kind::Statuses, s, col::STATUS_REMARKS),
        )
    }

    /// A register row as the answers show it on `day`: the register cited is the snapshot in
    /// force that day among those that list the row unchanged (a segment of undated rows spans
    /// every snapshot that lists the same row, and is stored as the newest's).
    pub(crate) fn register_row_on(&self, key: &str, seg: HoldSeg, day: i32) -> RegisterRow<'a> {
        let mut row = self.register_row(key, seg);
        if row.allocated.is_none() {
            let in_force = (0..=seg.snapshot)
                .rev()
                .find(|&s| self.snapshot_date(s).is_some_and(|d| d.to_days() <= day))
                .unwrap_or(0);
            row.register = self.snapshot_date(in_force).or(row.register);
        }
        row
    }

    /// A register row as the answers show it, whether it names a holder or not.
    pub(crate) fn register_row(&self, key: &str, seg: HoldSeg) -> RegisterRow<'a> {
        let k = Kind::Blocks;
        let op = self.word(k, seg.row, col::BLOCK_OPERATOR);
        let prefix_len = self.word(k, seg.row, col::BLOCK_PREFIX_LEN) as usize;
        let day = |d: i32| match d {
            DAY_MIN | DAY_MAX => None,
            d => Date::from_days(d),
        };
        let allocated = day(self.word(k, seg.row, col::BLOCK_ALLOCATED) as i32);
        let (status, remarks) = self.row_status(seg.row);
        RegisterRow {
            holder: (op != NONE).then(|| self.string(Kind::Operators, op, col::OP_CODE)),
            holder_name: if op == NONE {
                None
            } else {
                self.opt_string(Kind::Operators, op, col::OP_NAME)
            },
            status,
            remarks,
            allocated,
            block: key.get(..prefix_len).unwrap_or(key).to_string(),
            source: self.source_of(
                self.word(k, seg.row, col::BLOCK_FILE),
                self.word(k, seg.row, col::BLOCK_LINE),
            ),
            from: day(seg.from),
            until: day(seg.until),
            end_uncertain: seg.end_uncertain,
            register: self.snapshot_date(seg.snapshot),
            contradicted_by: seg
                .contradicted
                .then(|| seg.snapshot.checked_sub(1).and_then(|s| self.snapshot_date(s)))
                .flatten(),
            // An undated row covers the days before the oldest snapshot only because nothing
            // older is known.
            oldest_register: if allocated.is_none() {
                self.snapshot_date(0)
            } else {
                None
            },
        }
    }

    /// A holding as the answers show it (`None` for a row without a holder).
    pub(crate) fn holding(&self, key: &str, seg: HoldSeg) -> Option<Holding<'a>> {
        self.register_row(key, seg).into_holding()
    }

    /// `file:line` of a source reference.
    pub(crate) fn source_of(&self, file: u32, line: u32) -> String {
        format!("{}:{line}", self.string(Kind::Files, file, col::FILE_NAME))
    }

    /// The rules of the vocabulary, in the plan's order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'a>> + '_ {
        let k = Kind::Rules;
        (0..self.table(k).rows).map(move |r| {
            let first = self.word(k, r, col::RULE_VALUES_FIRST);
            let count = self.word(k, r, col::RULE_VALUES_COUNT);
            let values = (first..first.saturating_add(count))
                .map(|v| self.string(Kind::RuleValues, v, col::VALUE))
                .collect();
            RuleInfo {
                id: self.string(k, r, col::RULE_ID),
                description: self.string(k, r, col::RULE_DESCRIPTION),
                values,
            }
        })
    }

    /// How many range rows the artifact has (for caches indexed by [`Answer::range_row`](super::Answer::range_row)).
    pub fn range_count(&self) -> u32 {
        self.table(Kind::Ranges).rows
    }

    /// The row of a rule in the vocabulary, for [`Answer::rule_value_at`](super::Answer::rule_value_at).
    pub fn rule_row(&self, id: &str) -> Option<u32> {
        (0..self.table(Kind::Rules).rows).find(|&r| self.string(Kind::Rules, r, col::RULE_ID) == id)
    }

    /// The cited documents, in the plan's order.
    pub fn documents(&self) -> impl Iterator<Item = DocumentInfo<'a>> + '_ {
        let k = Kind::Documents;
        (0..self.table(k).rows).map(move |d| DocumentInfo {
            id: self.string(k, d, col::DOC_ID),
            title: self.string(k, d, col::DOC_TITLE),
            date: Date::from_days(self.word(k, d, col::DOC_DATE) as i32),
            url: self.opt_string(k, d, col::DOC_URL),
        })
    }

    /// The register names of territory row `t`.
    pub fn register_names(&self, t: u32) -> Vec<&'a str> {
        let k = Kind::Territories;
        let first = self.word(k, t, col::TER_NAMES_FIRST);
        let count = self.word(k, t, col::TER_NAMES_COUNT);
        (first..first.saturating_add(count))
            .map(|v| self.string(Kind::RuleValues, v, col::VALUE))
            .collect()
    }

    /// Every key of the index in order, with what it stores (for diffs and exports): its block
    /// in the current register (if any) and its timeline. [`Artifact::open`] checked that there
    /// are at most 2^24 (the format's limit: see `docs/artifact-format.md`).
    pub fn entries(&'a self) -> impl Iterator<Item = Entry> + 'a {
        use fst::Streamer;
        let mut stream = self.fst.stream();
        let mut out = Vec::new();
        while let Some((k, v)) = stream.next() {
            out.push((k.to_vec(), v.value()));
        }
        out.into_iter().map(move |(key, v)| Entry {
            key,
            resolved: self.resolved(v),
        })
    }

    /// Calls `f` with every key of `self`'s index or `other`'s, once each, in order: a merge
    /// of the two streams, holding no list of keys.
    pub(crate) fn for_each_key_of_either(&self, other: &Artifact<'_>, mut f: impl FnMut(&[u8])) {
        use fst::Streamer;
        let mut union = fst::raw::OpBuilder::new().add(&self.fst).add(&other.fst).union();
        while let Some((key, _)) = union.next() {
            f(key);
        }
    }

    /// What an index value says: the block of the current register and the timeline.
    fn resolved(&self, value: u64) -> Resolved {
        Resolved {
            block: self.current_row(split_value(value).0),
            segments: self.segments(split_value(value).1),
        }
    }

    /// The block (in the current register) and timeline that answer for every number under
    /// `prefix` (digits): those of the longest key of the index that is a prefix of it (or
    /// equal). `None` when no key is.
    pub fn resolve(&self, prefix: &str) -> Option<Resolved> {
        let (_, value) = self.longest_prefix(prefix.as_bytes())?;
        Some(self.resolved(value))
    }

    /// What a register block says: operator code and name, allocation date, prefix length.
    pub fn block_info(&self, block: u32) -> BlockInfo<'a> {
        let k = Kind::Blocks;
        let op = self.word(k, block, col::BLOCK_OPERATOR);
        let held = op != NONE;
        let (status, remarks) = self.row_status(block);
        BlockInfo {
            operator: held.then(|| self.string(Kind::Operators, op, col::OP_CODE)),
            operator_name: if held {
                self.opt_string(Kind::Operators, op, col::OP_NAME)
            } else {
                None
            },
            status,
            remarks,
            allocated: match self.word(k, block, col::BLOCK_ALLOCATED) as i32 {
                DAY_MIN => None,
                d => Date::from_days(d),
            },
            prefix_len: self.word(k, block, col::BLOCK_PREFIX_LEN) as usize,
        }
    }

    /// What a range says: category, territory, lengths, and the category's rule statements.
    pub fn range_info(&self, range: u32) -> RangeInfo<'a> {
        let k = Kind::Ranges;
        let c = self.word(k, range, col::RANGE_CATEGORY);
        let t = self.word(k, range, col::RANGE_TERRITORY);
        let own = self.word(k, range, col::RANGE_LENGTHS);
        let lengths = if own != 0 && own != NONE {
            own
        } else {
            self.word(Kind::Categories, c, col::CAT_LENGTHS)
        };
        let first = self.word(Kind::Categories, c, col::CAT_STMT_FIRST);
        let count = self.word(Kind::Categories, c, col::CAT_STMT_COUNT);
        let date = |w: u32| match w as i32 {
            DAY_MIN | DAY_MAX => None,
            d => Date::from_days(d),
        };
        let s = Kind::Statements;
        let mut rules: Vec<RuleStatement<'a>> = (first..first.saturating_add(count))
            .map(|st| RuleStatement {
                rule: self.string(Kind::Rules, self.word(s, st, col::STMT_RULE), col::RULE_ID),
                value: self.string(Kind::RuleValues, self.word(s, st, col::STMT_VALUE), col::VALUE),
                from: date(self.word(s, st, col::STMT_FROM)),
                until: date(self.word(s, st, col::STMT_UNTIL)),
            })
            .collect();
        rules.sort();
        let vk = Kind::Verdicts;
        let first = self.word(Kind::Categories, c, col::CAT_VERDICT_FIRST);
        let count = self.word(Kind::Categories, c, col::CAT_VERDICT_COUNT);
        let mut verdicts = Vec::new();
        for v in first..first.saturating_add(count) {
            let uses = self.word(vk, v, col::VS_USES);
            let cfirst = self.word(vk, v, col::VS_COND_FIRST);
            let ccount = self.word(vk, v, col::VS_COND_COUNT);
            let conditions: Vec<&'a str> = (cfirst..cfirst.saturating_add(ccount))
                .map(|i| {
                    let cond = self.word(Kind::Indices, i, col::INDEX);
                    self.string(Kind::Conditions, cond, col::COND_ID)
                })
                .collect();
            for u in (0..32).filter(|u| uses & (1 << u) != 0) {
                verdicts.push(VerdictStatement {
                    use_id: self.string(Kind::Uses, u, col::USE_ID),
                    verdict: super::verdict_of(self.word(vk, v, col::VS_VALUE)),
                    from: date(self.word(vk, v, col::VS_FROM)),
                    until: date(self.word(vk, v, col::VS_UNTIL)),
                    conditions: conditions.clone(),
                });
            }
        }
        verdicts.sort();
        RangeInfo {
            category: self.string(Kind::Categories, c, col::CAT_ID),
            category_name: self.string(Kind::Categories, c, col::CAT_NAME),
            territory: self.string(Kind::Territories, t, col::TER_ID),
            lengths,
            rules,
            verdicts,
        }
    }

    fn segments(&self, timeline: u32) -> Vec<Segment> {
        let first = self.word(Kind::Timelines, timeline, col::TL_FIRST);
        let count = self.word(Kind::Timelines, timeline, col::TL_COUNT);
        (first..first.saturating_add(count))
            .map(|s| {
                let d = |c| match self.word(Kind::Segments, s, c) as i32 {
                    DAY_MIN | DAY_MAX => None,
                    x => Date::from_days(x),
                };
                Segment {
                    from: d(col::SEG_FROM),
                    until: d(col::SEG_UNTIL),
                    range: self.word(Kind::Segments, s, col::SEG_RANGE),
                }
            })
            .collect()
    }
}

/// A rule of the plan's vocabulary (see [`Artifact::rules`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo<'a> {
    /// Its id, e.g. `cli-automated`.
    pub id: &'a str,
    /// What it says.
    pub description: &'a str,
    /// The values it takes.
    pub values: Vec<&'a str>,
}

/// A document the plan cites (see [`Artifact::documents`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentInfo<'a> {
    /// Its id, as a basis names it.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its date.
    pub date: Option<Date>,
    /// Where to read it, if given.
    pub url: Option<&'a str>,
}

/// The range entry an answer comes from (see [`Answer::range`](super::Answer::range)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeRef<'a> {
    /// Its numbers, in canonical range syntax.
    pub numbers: &'a str,
    /// Its legal basis, if written.
    pub basis: Option<&'a str>,
    /// `file:line` of the entry.
    pub source: String,
}

/// What the index stores for a key: the block and timeline that answer for the numbers under it
/// (see [`Artifact::resolve`], [`Artifact::entries`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The block of the current register that holds them, if any (a row for
    /// [`Artifact::block_info`]).
    pub block: Option<u32>,
    /// The ranges that answer over time.
    pub segments: Vec<Segment>,
}

/// One key of the index and what it stores (see [`Artifact::entries`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key: national digits.
    pub key: Vec<u8>,
    /// Its block and timeline.
    pub resolved: Resolved,
}

/// A rule statement of a category: the rule's value over a period (see [`RangeInfo::rules`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleStatement<'a> {
    /// The rule's id.
    pub rule: &'a str,
    /// Its value.
    pub value: &'a str,
    /// First day, or since always.
    pub from: Option<Date>,
    /// First day after, or until further notice.
    pub until: Option<Date>,
}

/// A period of a key's timeline and the range that answers in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First day, or since always.
    pub from: Option<Date>,
    /// First day after, or until further notice.
    pub until: Option<Date>,
    /// The range row.
    pub range: u32,
}

/// A register block as the artifact stores it (see [`Artifact::block_info`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo<'a> {
    /// The holder's operator code, when the row names one.
    pub operator: Option<&'a str>,
    /// Operator name, when known.
    pub operator_name: Option<&'a str>,
    /// The row's status, for registers that give one.
    pub status: Option<&'a str>,
    /// The register's remarks on the row.
    pub remarks: Option<&'a str>,
    /// Allocation date.
    pub allocated: Option<Date>,
    /// Length of the block prefix.
    pub prefix_len: usize,
}

/// A range's answer as the artifact stores it (see [`Artifact::range_info`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeInfo<'a> {
    /// Category slug.
    pub category: &'a str,
    /// Category name.
    pub category_name: &'a str,
    /// Territory slug.
    pub territory: &'a str,
    /// Allowed lengths, as a bitmask (bit n: length n).
    pub lengths: u32,
    /// The category's rule statements, sorted.
    pub rules: Vec<RuleStatement<'a>>,
    /// The category's verdict statements, one per use, sorted.
    pub verdicts: Vec<VerdictStatement<'a>>,
}

/// A category's verdict for one use during a period (see [`Artifact::range_info`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct VerdictStatement<'a> {
    /// The use.
    pub use_id: &'a str,
    /// The verdict stated.
    pub verdict: crate::plan::Verdict,
    /// First day, or since always.
    pub from: Option<Date>,
    /// First day after, or until further notice.
    pub until: Option<Date>,
    /// The conditions it carries.
    pub conditions: Vec<&'a str>,
}

/// A rule's value for a number on a date, with its legal basis and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleValue<'a> {
    /// Rule id, e.g. `cli-automated`.
    pub rule: &'a str,
    /// Its value, e.g. `forbidden`.
    pub value: &'a str,
    /// The statement's period start.
    pub from: Option<Date>,
    /// The statement's period end.
    pub until: Option<Date>,
    /// The legal basis as written.
    pub basis: &'a str,
    /// `file:line` of the statement.
    pub source: String,
}

/// A territory as the artifact stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerritoryInfo<'a> {
    /// Slug.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// E.164 country code, when the sources give it.
    pub country_code: Option<u32>,
    /// IANA time zone.
    pub time_zone: &'a str,
    /// What the sources leave unsure about it.
    pub doubt: Option<&'a str>,
    /// Its numbers belong to another plan that shares the country code.
    pub foreign: bool,
}

/// A register row covering numbers during a period: the block, its status (for registers that
/// give one, such as CNAC's) and, when it names one, its **block holder**.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRow<'a> {
    /// The holder's operator code (Arcep's Mnémo, CNAC's OCN), when the row names one.
    pub holder: Option<&'a str>,
    /// The holder's name, when a list gives one.
    pub holder_name: Option<&'a str>,
    /// The row's status as the register writes it (`In Service`, `Available`…), for registers
    /// that give one.
    pub status: Option<&'a str>,
    /// The register's remarks on the row.
    pub remarks: Option<&'a str>,
    /// The block's allocation date, for registers that give one (`Date_Attribution`).
    pub allocated: Option<Date>,
    /// The block prefix (EZABPQM; NPA‖NXX).
    pub block: String,
    /// `file:line` of the register row (of an undated row listed unchanged by several
    /// snapshots, as the newest of them writes it).
    pub source: String,
    /// First day it covers the numbers (its allocation date, or the day a snapshot shows it;
    /// `None`: since always, as far as the registers tell).
    pub from: Option<Date>,
    /// First day it no longer does (`None`: still in the current register).
    pub until: Option<Date>,
    /// The end is only known to lie before `until` (a later snapshot lists something else).
    pub end_uncertain: bool,
    /// The date of the register snapshot that lists it (`None` for an undated register); for a
    /// row without an allocation date answered on a day, the snapshot in force that day.
    pub register: Option<Date>,
    /// The date of an earlier snapshot that does not list this holding although it dates from
    /// before it: the registers disagree (a doubt).
    pub contradicted_by: Option<Date>,
    /// For a row without an allocation date, the date of the oldest register snapshot the plan
    /// has: what the row says of days before it is the best known, not known.
    pub oldest_register: Option<Date>,
}

impl<'a> RegisterRow<'a> {
    /// The row as a holding, when it names a holder.
    pub fn into_holding(self) -> Option<Holding<'a>> {
        Some(Holding {
            code: self.holder?,
            name: self.holder_name,
            row: self,
        })
    }

    /// How the row reads in an answer: `held by FRTE (Orange)`, `Available`, `In Service, held by
    /// 8051 (Bell Canada)`, with the remarks.
    pub fn describe(&self) -> String {
        describe_row(self.status, self.holder, self.holder_name, self.remarks)
    }

    /// What is unsure about the row on `day` (see [`Holding::doubts`]).
    pub fn doubts(&self, day: Date) -> Vec<Doubt<'a>> {
        row_doubts(
            &RowFacts {
                block: &self.block,
                holder: self.holder,
                what: self.describe(),
                source: &self.source,
                end_uncertain: self.end_uncertain,
                register: self.register,
                until: self.until,
                allocated: self.allocated,
                contradicted_by: self.contradicted_by,
                oldest_register: self.oldest_register,
            },
            day,
        )
    }
}

/// How a register row reads in an answer (one wording for rows and holdings, so that the doubts
/// an answer and its verdicts carry about one row are the same text).
fn describe_row(
    status: Option<&str>,
    holder: Option<&str>,
    holder_name: Option<&str>,
    remarks: Option<&str>,
) -> String {
    let mut out = String::new();
    if let Some(s) = status {
        out.push_str(s);
    }
    if let Some(h) = holder {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str("held by ");
        out.push_str(h);
        if let Some(n) = holder_name {
            out.push_str(&format!(" ({n})"));
        }
    }
    if let Some(r) = remarks {
        out.push_str(&format!(" ({r})"));
    }
    out
}

/// The facts [`row_doubts`] reads.
struct RowFacts<'r> {
    block: &'r str,
    holder: Option<&'r str>,
    what: String,
    source: &'r str,
    end_uncertain: bool,
    register: Option<Date>,
    until: Option<Date>,
    allocated: Option<Date>,
    contradicted_by: Option<Date>,
    oldest_register: Option<Date>,
}

/// What is unsure about a register row on `day`.
fn row_doubts<'a>(r: &RowFacts<'_>, day: Date) -> Vec<Doubt<'a>> {
    let mut out = Vec::new();
    if r.end_uncertain
        && let (Some(listed), Some(gone)) = (r.register, r.until)
        && day > listed
    {
        let change = r.holder.map_or_else(
            || "it may have changed".to_string(),
            |h| format!("{h} may have lost it"),
        );
        out.push(Doubt {
            text: format!(
                "block {} is {} in the register of {listed}, no longer in that of {gone}: {change} before {day}",
                r.block, r.what
            )
            .into(),
            source: r.source.to_string(),
        });
    }
    if let Some(oldest) = r.oldest_register
        && day < oldest
    {
        out.push(Doubt {
            text: format!(
                "the oldest register this plan has is of {oldest}: what it says of block {} ({}) is read back to {day}, which no register covers",
                r.block, r.what
            )
            .into(),
            source: r.source.to_string(),
        });
    }
    if let Some(other) = r.contradicted_by {
        let date = |d: Option<Date>| d.map_or_else(String::new, |d| d.to_string());
        out.push(Doubt {
            text: format!(
                "the register of {other} does not list block {} as {} since {}; the register of {} does",
                r.block,
                r.what,
                date(r.allocated),
                date(r.register)
            )
            .into(),
            source: r.source.to_string(),
        });
    }
    out
}

/// A register block holding numbers during a period: the **block holder** the register names.
///
/// The register says which operator a block was allocated to. A number of the block may have
/// been ported to another operator since: the holder is not the number's current operator.
/// Everything else is the register row's, read through it (`holding.block`, `holding.register`,
/// …: see [`RegisterRow`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding<'a> {
    /// The holder's operator code (Arcep's Mnémo, CNAC's OCN).
    pub code: &'a str,
    /// Its name, when a list gives one.
    pub name: Option<&'a str>,
    /// The register row that names it.
    pub row: RegisterRow<'a>,
}

impl<'a> std::ops::Deref for Holding<'a> {
    type Target = RegisterRow<'a>;

    fn deref(&self) -> &RegisterRow<'a> {
        &self.row
    }
}

impl<'a> Holding<'a> {
    /// What is unsure about this holding on `day`: on a day after the last snapshot that lists
    /// the block, when a later one no longer does (it may have gone before); on a day before the
    /// oldest snapshot, for a register without allocation dates; and when an earlier snapshot
    /// disagrees (see [`RegisterRow::doubts`]).
    pub fn doubts(&self, day: Date) -> Vec<Doubt<'a>> {
        self.row.doubts(day)
    }

    /// How the answers cite the register for this holding on `day`: ", register of D" (the
    /// snapshot that lists it), or ", as of the register of D" for a day after the current
    /// register (`current`), which cannot know what happened since.
    pub fn register_note(&self, current: Option<Date>, day: Date) -> String {
        match (self.register, current) {
            (_, Some(current)) if day > current => format!(", as of the register of {current}"),
            (Some(d), _) => format!(", register of {d}"),
            _ => String::new(),
        }
    }
}

/// One segment of a key's holdings, as the artifact stores it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HoldSeg {
    pub from: i32,
    pub until: i32,
    pub row: u32,
    pub snapshot: u32,
    pub end_uncertain: bool,
    pub contradicted: bool,
}

impl HoldSeg {
    /// Whether the segment holds on `day`.
    pub(super) fn contains(&self, day: i32) -> bool {
        in_period(self.from, self.until, day)
    }
}

/// Whether `day` lies in `[from, until)`, `until` [`DAY_MAX`] meaning further notice (day numbers
/// as the tables store them).
pub(crate) fn in_period(from: i32, until: i32, day: i32) -> bool {
    from <= day && (day < until || until == DAY_MAX)
}
