//! Arcep's register formats, read unchanged.
//!
//! Arcep publishes the French number register as `;`-separated files in ISO-8859-1 (latin-1):
//!
//! - **MAJNUM** (and MAJNFB, same columns), the allocated number blocks:
//!   `EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution`, read by
//!   [`parse_majnum`] into [`BlockRow`]s;
//! - **identifiants_CE**, the operators:
//!   `IDENTITE_OPERATEUR;CODE_OPERATEUR;SIRET_ACTEUR;RCS_ACTEUR;ADRESSE_COMPLETE_ACTEUR;ATTRIB_RESS_NUM;DATE_DECLARATION_OPERATEUR`,
//!   read by [`parse_operators`] into [`OperatorRow`]s.
//!
//! The format, as Arcep writes it: one record per line (LF, or CRLF as in MAJNFB), values that
//! contain spaces wrapped in double quotes (`"Guadeloupe, St Martin et St Barthélemy"`, where the
//! comma is part of the value), `""` inside quotes for a quote, dates `dd/mm/yyyy`, a trailing
//! newline, no byte order mark.
//!
//! The caller decodes the file once with [`decode`] and parses the text: every [`Field`],
//! [`Record`] and [`RegisterError`] carries a byte range of that decoded text, which is what
//! diagnostics show. Problems are collected, never fatal: a parser reports everything it finds
//! and returns what it could read. Nothing here panics, whatever the input.
//!
//! A second register format, CNAC's CO Code Status file (Canada), is read by [`cnac`].

pub mod cnac;
use std::error::Error;
use std::fmt;
use std::ops::Range;

use crate::date::Date;

/// The columns of a MAJNUM (or MAJNFB) file, in order.
pub const MAJNUM_COLUMNS: [&str; 6] = [
    "EZABPQM",
    "Tranche_Debut",
    "Tranche_Fin",
    "Mnémo",
    "Territoire",
    "Date_Attribution",
];

/// The columns of an identifiants_CE file, in order.
pub const OPERATOR_COLUMNS: [&str; 7] = [
    "IDENTITE_OPERATEUR",
    "CODE_OPERATEUR",
    "SIRET_ACTEUR",
    "RCS_ACTEUR",
    "ADRESSE_COMPLETE_ACTEUR",
    "ATTRIB_RESS_NUM",
    "DATE_DECLARATION_OPERATEUR",
];

/// Decodes the bytes of a register file into text.
///
/// Register files are latin-1 (ISO-8859-1): each byte is the code point of the same value
/// (`0xE9` is `é`). Bytes 0x80 to 0x9F are therefore C1 control characters, not the Windows-1252
/// punctuation; Arcep's files do not use them.
///
/// One exception: people sometimes re-save a register in UTF-8. If the bytes are valid UTF-8
/// *and* contain a non-ASCII character, they are decoded as UTF-8. This cannot misread a real
/// register: its header contains `Mnémo`, whose latin-1 `é` (`0xE9`) followed by `m` is never
/// valid UTF-8; a latin-1 text in general would have to contain sequences such as `Ã©` to be
/// mistaken for UTF-8. ASCII text reads the same either way.
///
/// A UTF-8 byte order mark (`EF BB BF`) at the start is removed.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// [`decode`], taking the bytes: text that is valid UTF-8 (ASCII included) is kept without a
/// copy, and latin-1 is widened in place (the buffer grows by one byte for each byte over 0x7F),
/// so that decoding a register of hundreds of megabytes does not hold it twice.
pub fn decode_owned(mut bytes: Vec<u8>) -> String {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return text,
        Err(e) => e.into_bytes(),
    };
    let mut bytes = bytes;
    let old = bytes.len();
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    bytes.resize(old + high, 0);
    // From the end, so that every byte is read before its place is written.
    let mut w = bytes.len();
    for r in (0..old).rev() {
        let b = bytes[r];
        if b < 0x80 {
            w -= 1;
            bytes[w] = b;
        } else {
            w -= 2;
            bytes[w] = 0xC0 | (b >> 6);
            bytes[w + 1] = 0x80 | (b & 0x3F);
        }
    }
    // Every byte was written as one or two bytes of UTF-8: the conversion cannot fail.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Encodes text as latin-1 (ISO-8859-1) bytes, or `None` if it has a character above U+00FF,
/// which latin-1 cannot write.
pub fn encode_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// One field of a record: its value, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The value, unquoted (`""` inside quotes read as `"`).
    pub value: String,
    /// The byte range of the field as written in the text, quotes included.
    pub span: Range<usize>,
}

/// A record: one non-blank line of a register file, split into fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The line number, from 1 (blank lines count).
    pub line: usize,
    /// The byte range of the line in the text, without its line end.
    pub span: Range<usize>,
    /// The fields, in order.
    pub fields: Vec<Field>,
}

/// A problem found while reading a register file, located in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterError {
    /// What kind of problem it is.
    pub kind: RegisterErrorKind,
    /// The byte range of the text the problem is about (a field, a line, or the header).
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for RegisterError {}

/// The kinds of [`RegisterError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterErrorKind {
    /// The header line is missing, or its columns are not the format's.
    Header,
    /// A row does not have as many fields as the header has columns.
    FieldCount,
    /// A quote problem: an unterminated quoted value, text after a closing quote, or a quote
    /// inside an unquoted value.
    Quote,
    /// A value is not what its column allows: not digits, not a date, and so on.
    Value,
    /// The snapshot's date is missing or malformed (CNAC's date row).
    Date,
    /// A status the reader does not know (CNAC's `Status` column): the row is kept, as
    /// [`cnac::Status::Other`].
    UnknownStatus,
}

impl RegisterError {
    fn new(
        kind: RegisterErrorKind,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> RegisterError {
        RegisterError {
            kind,
            span,
            message: message.into(),
            help,
        }
    }
}

/// Splits `;`-separated text into records.
///
/// A record is a line; lines end with LF or CRLF, and blank lines (empty or only whitespace,
/// including after the final newline) are skipped. A value that starts with `"` is quoted: it runs to the next lone `"`
/// and may contain `;`, and `""` in it stands for `"`. A quoted value cannot span lines (Arcep's
/// files never do), so a quote not closed on its line is reported as unterminated. Text after a
/// closing quote, other than `;` or the line end, is an error, and so is a `"` inside an
/// unquoted value. A line with any such error is reported and left out of the records; the rest
/// is read. A byte order mark (U+FEFF) at the start of the text is skipped.
pub fn records(text: &str) -> (Vec<Record>, Vec<RegisterError>) {
    records_separated(text, ';')
}

/// [`records`] with another separator (CNAC's files use `,`), same quoting rules.
pub fn records_separated(text: &str, separator: char) -> (Vec<Record>, Vec<RegisterError>) {
    let mut errors = Vec::new();
    let mut records = Vec::new();
    scan(text, separator, &mut errors, |line, span, fields, ok, _| {
        if ok {
            let capacity = fields.len();
            records.push(Record {
                line,
                span,
                fields: std::mem::replace(fields, Vec::with_capacity(capacity)),
            });
        }
    });
    (records, errors)
}

/// Splits the text into records and hands each to `each`: its line number, span, fields (a
/// buffer reused from line to line: take the fields out of it to keep them), whether it was read
/// without error (a record with a quote error is handed over too, with its best-effort fields, so
/// that a broken header is still seen as the header), and the error list.
fn scan(
    text: &str,
    separator: char,
    errors: &mut Vec<RegisterError>,
    mut each: impl FnMut(usize, Range<usize>, &mut Vec<Field>, bool, &mut Vec<RegisterError>),
) {
    let bytes = text.as_bytes();
    let mut fields = Vec::with_capacity(8);
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line = 0;
    while start < bytes.len() {
        line += 1;
        // A line ends at `\n`, `\r\n` or a `\r` alone (as `span::line_ends` counts lines).
        let end = text
            .get(start..)
            .and_then(|rest| rest.find(['\n', '\r']))
            .map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            _ => end + 1,
        };
        let content = text.get(start..end).unwrap_or("");
        if !content.trim().is_empty() {
            fields.clear();
            let ok = scan_line(text, start..end, separator, &mut fields, errors);
            each(line, start..end, &mut fields, ok, errors);
        }
        start = next;
    }
}

/// Splits one line (`span`, without its line end) into `fields` (empty on entry), reporting quote
/// problems; returns whether there were none.
fn scan_line(
    text: &str,
    span: Range<usize>,
    separator: char,
    fields: &mut Vec<Field>,
    errors: &mut Vec<RegisterError>,
) -> bool {
    let end = span.end;
    let slice = |range: Range<usize>| text.get(range).unwrap_or("");
    let find = |from: usize, c: char| slice(from..end).find(c).map(|i| from + i).filter(|&i| i < end);
    let mut ok = true;
    let mut pos = span.start;
    loop {
        if text.as_bytes().get(pos) == Some(&b'"') && pos < end {
            // A quoted value: up to the next `"` not doubled.
            let mut value = String::new();
            let mut segment = pos + 1;
            let mut closing = None;
            while let Some(quote) = find(segment, '"') {
                if text.as_bytes().get(quote + 1) == Some(&b'"') && quote + 1 < end {
                    value.push_str(slice(segment..quote + 1));
                    segment = quote + 2;
                } else {
                    closing = Some(quote);
                    break;
                }
            }
            let Some(closing) = closing else {
                value.push_str(slice(segment.min(end)..end));
                errors.push(RegisterError::new(
                    RegisterErrorKind::Quote,
                    pos..end,
                    "unterminated quoted value: no closing `\"` on this line",
                    Some(
                        "a quoted value ends with `\"` on the same line; a quote inside it is written `\"\"`"
                            .into(),
                    ),
                ));
                fields.push(Field {
                    value,
                    span: pos..end,
                });
                return false;
            };
            value.push_str(slice(segment..closing));
            let after = closing + 1;
            let field_end = find(after, separator).unwrap_or(end);
            if field_end > after {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Quote,
                    after..field_end,
                    format!(
                        "unexpected `{}` after the closing quote",
                        shorten(slice(after..field_end))
                    ),
                    Some(format!("a quoted value ends at its closing `\"`, followed by `{separator}` or the line end; a quote inside it is written `\"\"`")),
                ));
                ok = false;
            }
            fields.push(Field {
                value,
                span: pos..field_end,
            });
            if field_end >= end {
                return ok;
            }
            pos = field_end + 1;
        } else {
            let field_end = find(pos, separator).unwrap_or(end);
            let raw = slice(pos..field_end);
            if let Some(quote) = raw.find('"') {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Quote,
                    pos + quote..pos + quote + 1,
                    "quote inside an unquoted value",
                    Some(
                        "wrap the value in quotes and double the quotes inside it: `\"a \"\"b\"\"\"`".into(),
                    ),
                ));
                ok = false;
            }
            fields.push(Field {
                value: raw.to_owned(),
                span: pos..field_end,
            });
            if field_end >= end {
                return ok;
            }
            pos = field_end + 1;
        }
    }
}

/// A value as quoted in a message: at most 40 characters.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A column name for lenient comparison: lower case, no accents, no `_`, `-` or spaces.
fn loose(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '\t' | '\u{a0}'))
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            other => other,
        })
        .collect()
}

/// What the first record of a file turned out to be.
enum Header {
    /// The header, with the expected columns in order (possibly misspelt: errors were
    /// reported); the rows are read by position.
    Usable,
    /// Not a header at all but a row of data with the right number of fields (an error was
    /// reported); it is read as a row.
    MissingFirstIsData,
    /// A header whose columns are missing, extra or out of order (errors were reported): the
    /// rows cannot be read by position.
    Unusable,
}

/// Checks the first record of a file of format `format` against its expected columns.
fn check_header(header: &Record, expected: &[&str], format: &str, errors: &mut Vec<RegisterError>) -> Header {
    if header
        .fields
        .iter()
        .map(|f| f.value.as_str())
        .eq(expected.iter().copied())
    {
        return Header::Usable;
    }
    let expected_line = expected.join(";");
    let help = || Some(format!("the {format} header is `{expected_line}`"));
    let header_error = |span: Range<usize>, message: String| {
        RegisterError::new(RegisterErrorKind::Header, span, message, help())
    };
    let expected_loose: Vec<String> = expected.iter().map(|e| loose(e)).collect();
    let found_loose: Vec<String> = header.fields.iter().map(|f| loose(&f.value)).collect();

    if !found_loose.iter().any(|f| expected_loose.contains(f)) {
        errors.push(header_error(
            header.span.clone(),
            format!("missing header: the first line should be the {format} header"),
        ));
        return if header.fields.len() == expected.len() {
            Header::MissingFirstIsData
        } else {
            Header::Unusable
        };
    }

    let before = errors.len();
    for (i, field) in header.fields.iter().enumerate() {
        if found_loose[..i].contains(&found_loose[i]) {
            errors.push(header_error(
                field.span.clone(),
                format!("column `{}` appears twice", shorten(&field.value)),
            ));
            continue;
        }
        match expected_loose.iter().position(|e| *e == found_loose[i]) {
            Some(j) if expected[j] != field.value => errors.push(header_error(
                field.span.clone(),
                format!(
                    "column `{}` should be written `{}`",
                    shorten(&field.value),
                    expected[j]
                ),
            )),
            Some(_) => {}
            None => {
                let mut error = header_error(
                    field.span.clone(),
                    format!("unexpected column `{}`", shorten(&field.value)),
                );
                if field.value.contains('\u{fffd}') {
                    error.help = Some(
                        "this looks like latin-1 text decoded as UTF-8; decode register files with `register::decode`"
                            .into(),
                    );
                }
                errors.push(error);
            }
        }
    }
    for (column, column_loose) in expected.iter().zip(&expected_loose) {
        if !found_loose.contains(column_loose) {
            errors.push(header_error(
                header.span.clone(),
                format!("missing column `{column}`"),
            ));
        }
    }
    let in_order = found_loose == expected_loose;
    if !in_order && errors.len() == before {
        errors.push(header_error(
            header.span.clone(),
            "the columns are not in the expected order".to_owned(),
        ));
    }
    if in_order {
        Header::Usable
    } else {
        Header::Unusable
    }
}

/// Reads a file's header, then hands each row with the right number of fields to `row` (its
/// line, span and fields); the other rows are reported.
fn read_rows<const N: usize>(
    text: &str,
    expected: &[&str; N],
    format: &str,
    errors: &mut Vec<RegisterError>,
    mut row: impl FnMut(usize, Range<usize>, [Field; N], &mut Vec<RegisterError>),
) {
    #[derive(PartialEq)]
    enum State {
        Header,
        Rows,
        Stop,
    }
    let mut state = State::Header;
    scan(text, ';', errors, |line, span, fields, ok, errors| {
        match state {
            State::Stop => return,
            State::Rows => {}
            State::Header => {
                let header = Record {
                    line,
                    span: span.clone(),
                    fields: std::mem::take(fields),
                };
                match check_header(&header, expected, format, errors) {
                    Header::Usable => {
                        state = State::Rows;
                        return;
                    }
                    Header::MissingFirstIsData => {
                        state = State::Rows;
                        *fields = header.fields;
                    }
                    Header::Unusable => {
                        state = State::Stop;
                        return;
                    }
                }
            }
        }
        if !ok {
            return;
        }
        if fields.len() != N {
            errors.push(RegisterError::new(
                RegisterErrorKind::FieldCount,
                span,
                format!("expected {N} fields, found {}", fields.len()),
                Some(format!("{format} rows are `{}`", expected.join(";"))),
            ));
            return;
        }
        let mut drain = fields.drain(..);
        // `fields` has exactly N fields: the placeholder is never used.
        let array = [(); N].map(|()| {
            drain.next().unwrap_or(Field {
                value: String::new(),
                span: 0..0,
            })
        });
        drop(drain);
        row(line, span, array, errors);
    });
    if state == State::Header {
        errors.push(RegisterError::new(
            RegisterErrorKind::Header,
            0..0,
            format!("empty file: expected the {format} header"),
            Some(format!("the {format} header is `{}`", expected.join(";"))),
        ));
    }
}

/// How many rows to reserve room for: the lines of the text, but no more than rows of
/// `min_row_len` bytes could fill it, and no more than a generous real register.
fn expected_rows(text: &str, min_row_len: usize) -> usize {
    const MAX_RESERVED: usize = 1 << 16;
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    lines.min(text.len() / min_row_len).min(MAX_RESERVED)
}

/// Checks that a field is a non-empty run of ASCII digits, reporting it otherwise.
fn digits_ok(field: &Field, column: &str, errors: &mut Vec<RegisterError>) -> bool {
    if !field.value.is_empty() && field.value.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let message = if field.value.is_empty() {
        format!("`{column}` is empty")
    } else {
        format!("`{column}` must be digits, found `{}`", shorten(&field.value))
    };
    errors.push(RegisterError::new(
        RegisterErrorKind::Value,
        field.span.clone(),
        message,
        Some(format!("`{column}` is written with the digits 0 to 9 only")),
    ));
    false
}

/// Reads a `dd/mm/yyyy` date field, reporting it if it is not one.
fn date_of(field: &Field, column: &str, errors: &mut Vec<RegisterError>) -> Option<Date> {
    Date::parse_dmy(&field.value)
        .map_err(|e| {
            errors.push(RegisterError::new(
                RegisterErrorKind::Value,
                field.span.clone(),
                format!("`{column}`: {}", e.message),
                e.help
                    .or_else(|| Some(format!("`{column}` is a date written dd/mm/yyyy"))),
            ));
        })
        .ok()
}

/// Sorts errors by position (stable, so errors at one place keep their order).
fn sorted(mut errors: Vec<RegisterError>) -> Vec<RegisterError> {
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors
}

/// The register formats `files.register.format` names: every format numplan reads, by the name
/// `plan.yaml` gives it. The readers themselves are [`parse_majnum`] (and [`parse_operators`])
/// and [`cnac::parse_co_code_status`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegisterFormat {
    /// `arcep-majnum`: Arcep's MAJNUM/MAJNFB and identifiants_CE (the default, the format of
    /// the first plan numplan published).
    #[default]
    ArcepMajnum,
    /// `cnac-co-code-status`: CNAC's CO Code Status file.
    CnacCoCodeStatus,
}

impl RegisterFormat {
    /// Every format, with its name in `plan.yaml`.
    pub const ALL: [(&'static str, RegisterFormat); 2] = [
        ("arcep-majnum", RegisterFormat::ArcepMajnum),
        ("cnac-co-code-status", RegisterFormat::CnacCoCodeStatus),
    ];

    /// The format `name` names.
    pub fn from_name(name: &str) -> Option<RegisterFormat> {
        RegisterFormat::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, f)| f)
    }
}

/// A block of the number register: one row of a MAJNUM (or MAJNFB) file, fields with their
/// spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRow {
    /// The line number, from 1.
    pub line: usize,
    /// The byte range of the line, without its line end.
    pub span: Range<usize>,
    /// `EZABPQM`: the block's prefix (ASCII digits, non-empty).
    pub ezabpqm: Field,
    /// `Tranche_Debut`: the first number of the block (ASCII digits, non-empty).
    pub tranche_debut: Field,
    /// `Tranche_Fin`: the last number of the block (ASCII digits, non-empty).
    pub tranche_fin: Field,
    /// `Mnémo`: the operator's code (identifiants_CE's `CODE_OPERATEUR`).
    pub mnemo: Field,
    /// `Territoire`: the territory name, e.g. `Métropole`.
    pub territoire: Field,
    /// `Date_Attribution`, as written (`dd/mm/yyyy`).
    pub date_attribution: Field,
    /// The allocation date, or `None` if `Date_Attribution` is not a date (an error was
    /// reported).
    pub date: Option<Date>,
}

impl BlockRow {
    /// Checks that `Tranche_Debut` and `Tranche_Fin` are `EZABPQM` padded with 0s and with 9s;
    /// see [`check_tranche`].
    pub fn check_tranche(&self) -> Result<usize, TrancheMismatch> {
        check_tranche(
            &self.ezabpqm.value,
            &self.tranche_debut.value,
            &self.tranche_fin.value,
        )
    }
}

/// Why a block's `Tranche_Debut` / `Tranche_Fin` do not match its `EZABPQM`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrancheMismatch {
    /// The first and last numbers have different lengths.
    Lengths {
        /// Digits of `Tranche_Debut`.
        debut: usize,
        /// Digits of `Tranche_Fin`.
        fin: usize,
    },
    /// The prefix is longer than the numbers.
    PrefixTooLong {
        /// Digits of `EZABPQM`.
        prefix: usize,
        /// Digits of the numbers.
        numbers: usize,
    },
    /// `Tranche_Debut` is not the prefix padded with 0s.
    Debut {
        /// What it should be.
        expected: String,
    },
    /// `Tranche_Fin` is not the prefix padded with 9s.
    Fin {
        /// What it should be.
        expected: String,
    },
}

impl fmt::Display for TrancheMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrancheMismatch::Lengths { debut, fin } => {
                write!(f, "Tranche_Debut has {debut} digits but Tranche_Fin has {fin}")
            }
            TrancheMismatch::PrefixTooLong { prefix, numbers } => write!(
                f,
                "EZABPQM has {prefix} digits, more than the block's {numbers}-digit numbers"
            ),
            TrancheMismatch::Debut { expected } => {
                write!(f, "Tranche_Debut should be {expected} (EZABPQM padded with 0s)")
            }
            TrancheMismatch::Fin { expected } => {
                write!(f, "Tranche_Fin should be {expected} (EZABPQM padded with 9s)")
            }
        }
    }
}

/// Checks that a block's first and last numbers are its prefix padded with 0s and with 9s to the
/// numbers' length (`01056`, `0105600000`, `0105699999`), returning that length.
///
/// Compares the texts as they are; [`parse_majnum`] has already made sure they are digits.
/// The first problem found is returned: lengths, then `Tranche_Debut`, then `Tranche_Fin`.
pub fn check_tranche(ezabpqm: &str, debut: &str, fin: &str) -> Result<usize, TrancheMismatch> {
    let (debut_len, fin_len) = (debut.chars().count(), fin.chars().count());
    if debut_len != fin_len {
        return Err(TrancheMismatch::Lengths {
            debut: debut_len,
            fin: fin_len,
        });
    }
    let prefix_len = ezabpqm.chars().count();
    if prefix_len > debut_len {
        return Err(TrancheMismatch::PrefixTooLong {
            prefix: prefix_len,
            numbers: debut_len,
        });
    }
    let padded = |pad: char| {
        let mut s = String::with_capacity(debut.len().max(ezabpqm.len()));
        s.push_str(ezabpqm);
        s.extend(std::iter::repeat_n(pad, debut_len - prefix_len));
        s
    };
    let expected = padded('0');
    if debut != expected {
        return Err(TrancheMismatch::Debut { expected });
    }
    let expected = padded('9');
    if fin != expected {
        return Err(TrancheMismatch::Fin { expected });
    }
    Ok(debut_len)
}

/// Reads a MAJNUM-format text (MAJNUM or MAJNFB), decoded with [`decode`].
///
/// The first non-blank line must be the header [`MAJNUM_COLUMNS`], exactly (quoted cells are
/// unquoted first). A misspelt column (`Mnemo`) is reported and the rows are still read; a
/// missing, unexpected, repeated or misplaced column is reported and no row is read, since the
/// rows could not be read by position. A file whose first line is already data is reported as
/// missing its header, and read if that line has six fields.
///
/// Then every row becomes a [`BlockRow`], except: rows with a quote problem (see [`records`]) or
/// a number of fields other than six (reported as [`RegisterErrorKind::FieldCount`] at the
/// line), and rows whose `EZABPQM`, `Tranche_Debut` or `Tranche_Fin` is empty or not ASCII
/// digits ([`RegisterErrorKind::Value`] at each such field): a block without its numbers is of
/// no use to later checks. A `Date_Attribution` that is not a `dd/mm/yyyy` date is reported
/// ([`RegisterErrorKind::Value`] at the field) and the row is kept with `date: None`.
///
/// Whether the bounds match the prefix is not checked here; see [`check_tranche`]. Errors are
/// returned in text order.
pub fn parse_majnum(text: &str) -> (Vec<BlockRow>, Vec<RegisterError>) {
    let mut errors = Vec::new();
    let mut blocks = Vec::with_capacity(expected_rows(text, 19));
    for_each_majnum_row(text, &mut errors, |row| blocks.push(row));
    (blocks, sorted(errors))
}

/// [`parse_majnum`] one row at a time: each [`BlockRow`] is handed to `each` rather than
/// collected, so that a register of millions of rows is never held as rows (a `BlockRow` owns
/// six strings). The errors are appended to `errors` as they are found (in text order, save
/// that a row's field errors follow its line's quote errors).
pub fn for_each_majnum_row(text: &str, errors: &mut Vec<RegisterError>, mut each: impl FnMut(BlockRow)) {
    read_rows(
        text,
        &MAJNUM_COLUMNS,
        "MAJNUM",
        errors,
        |line, span, fields, errors| {
            let [
                ezabpqm,
                tranche_debut,
                tranche_fin,
                mnemo,
                territoire,
                date_attribution,
            ] = fields;
            let numbers_ok = [
                (&ezabpqm, MAJNUM_COLUMNS[0]),
                (&tranche_debut, MAJNUM_COLUMNS[1]),
                (&tranche_fin, MAJNUM_COLUMNS[2]),
            ]
            .into_iter()
            .fold(true, |ok, (field, column)| digits_ok(field, column, errors) && ok);
            let date = date_of(&date_attribution, MAJNUM_COLUMNS[5], errors);
            if numbers_ok {
                each(BlockRow {
                    line,
                    span,
                    ezabpqm,
                    tranche_debut,
                    tranche_fin,
                    mnemo,
                    territoire,
                    date_attribution,
                    date,
                });
            }
        },
    );
}

/// An operator of the identifiants_CE list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorRow {
    /// The line number, from 1.
    pub line: usize,
    /// The byte range of the line, without its line end.
    pub span: Range<usize>,
    /// `CODE_OPERATEUR`: the operator's code (MAJNUM's `Mnémo`), non-empty.
    pub code: Field,
    /// `IDENTITE_OPERATEUR`: the operator's name.
    pub name: Field,
    /// Whether `ATTRIB_RESS_NUM` is `1`: the operator may be allocated numbering resources.
    pub assigns_numbers: bool,
    /// `DATE_DECLARATION_OPERATEUR`, the date the operator declared itself, or `None` if it is
    /// not a `dd/mm/yyyy` date (an error was reported).
    pub declared: Option<Date>,
}

/// Reads an identifiants_CE-format text, decoded with [`decode`].
///
/// The header is checked as in [`parse_majnum`], against [`OPERATOR_COLUMNS`]. Rows with a quote
/// problem or a number of fields other than seven are reported and skipped, and so are rows with
/// an empty `CODE_OPERATEUR`. An `ATTRIB_RESS_NUM` other than `0` or `1` is reported (the row is
/// kept, with `assigns_numbers: false`), and so is a `DATE_DECLARATION_OPERATEUR` that is not a
/// `dd/mm/yyyy` date (kept, with `declared: None`). Errors are returned in text order.
pub fn parse_operators(text: &str) -> (Vec<OperatorRow>, Vec<RegisterError>) {
    let mut errors = Vec::new();
    let mut operators = Vec::with_capacity(expected_rows(text, 20));
    read_rows(
        text,
        &OPERATOR_COLUMNS,
        "identifiants_CE",
        &mut errors,
        |line, span, fields, errors| {
            let [name, code, _siret, _rcs, _address, attrib, declaration] = fields;
            let assigns_numbers = match attrib.value.as_str() {
                "1" => true,
                "0" => false,
                other => {
                    errors.push(RegisterError::new(
                        RegisterErrorKind::Value,
                        attrib.span.clone(),
                        format!("`ATTRIB_RESS_NUM` must be 0 or 1, found `{}`", shorten(other)),
                        Some("1 means the operator may be allocated numbers, 0 that it may not".into()),
                    ));
                    false
                }
            };
            let declared = date_of(&declaration, OPERATOR_COLUMNS[6], errors);
            if code.value.is_empty() {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Value,
                    code.span.clone(),
                    "`CODE_OPERATEUR` is empty",
                    Some("every operator has a code, the `Mnémo` of the number register".into()),
                ));
                return;
            }
            operators.push(OperatorRow {
                line,
                span,
                code,
                name,
                assigns_numbers,
                declared,
            });
        },
    );
    (operators, sorted(errors))
}

/// Appends a value as the register writes it: quoted iff it contains a space, `;`, `"` or `,`.
#[cfg(test)]
fn push_value(out: &mut String, value: &str) {
    if value.contains([' ', ';', '"', ',']) {
        out.push('"');
        for c in value.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Writes blocks in MAJNUM format: the header, then one line per row, LF line ends, a trailing
/// newline. Each row is `(ezabpqm, tranche_debut, tranche_fin, mnemo, territoire, date)`.
///
/// A value is quoted iff it contains a space, `;`, `"` or `,` (a `"` is doubled); dates are
/// written `dd/mm/yyyy`. The result is text; [`encode_latin1`] makes the bytes of a file. Values
/// are written as given: line breaks in a value cannot be read back. A helper of this module's
/// round-trip tests, not part of the library's API.
#[cfg(test)]
pub(crate) fn write_majnum(rows: &[(String, String, String, String, String, Date)]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(&MAJNUM_COLUMNS.join(";"));
    out.push('\n');
    for (ezabpqm, debut, fin, mnemo, territoire, date) in rows {
        for value in [ezabpqm, debut, fin, mnemo, territoire] {
            push_value(&mut out, value);
            out.push(';');
        }
        out.push_str(&date.to_dmy());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegisterErrorKind::{FieldCount, Header, Quote, Value};
    use proptest::prelude::*;

    const HEADER: &str = "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution";
    const HEADER_LATIN1: &[u8] = b"EZABPQM;Tranche_Debut;Tranche_Fin;Mn\xe9mo;Territoire;Date_Attribution";
    const OPERATORS_HEADER: &str = "IDENTITE_OPERATEUR;CODE_OPERATEUR;SIRET_ACTEUR;RCS_ACTEUR;ADRESSE_COMPLETE_ACTEUR;ATTRIB_RESS_NUM;DATE_DECLARATION_OPERATEUR";

    fn values(record: &Record) -> Vec<&str> {
        record.fields.iter().map(|f| f.value.as_str()).collect()
    }

    fn written<'t>(text: &'t str, field: &Field) -> &'t str {
        &text[field.span.clone()]
    }

    /// (error kind, text the error points at)
    fn located<'t>(text: &'t str, errors: &[RegisterError]) -> Vec<(RegisterErrorKind, &'t str)> {
        errors.iter().map(|e| (e.kind, &text[e.span.clone()])).collect()
    }

    #[test]
    fn decode_latin1_and_utf8() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"abc;def\n", "abc;def\n"),
            (b"\xe9", "é"),
            (b"M\xe9tropole", "Métropole"),
            (b"La R\xe9union - Oc\xe9an indien", "La Réunion - Océan indien"),
            (
                b"\"Guadeloupe, St Martin et St Barth\xe9lemy\"",
                "\"Guadeloupe, St Martin et St Barthélemy\"",
            ),
            (b"\xff\x80\x00", "\u{ff}\u{80}\u{0}"),
            // Re-saved in UTF-8: valid UTF-8 with non-ASCII characters.
            ("Métropole".as_bytes(), "Métropole"),
            // A UTF-8 byte order mark is dropped, in UTF-8 and in latin-1 text.
            (b"\xef\xbb\xbfM\xc3\xa9tropole", "Métropole"),
            (b"\xef\xbb\xbfM\xe9tropole", "Métropole"),
            (b"\xef\xbb\xbfabc", "abc"),
            // A lone UTF-8 lead byte is latin-1.
            (b"\xc3", "Ã"),
        ];
        for &(bytes, text) in cases {
            assert_eq!(decode(bytes), text, "{bytes:?}");
            assert_eq!(decode_owned(bytes.to_vec()), text, "{bytes:?}");
        }
        let header = decode(HEADER_LATIN1);
        assert_eq!(header, HEADER);
        assert_eq!(encode_latin1(HEADER).as_deref(), Some(HEADER_LATIN1));
        assert_eq!(encode_latin1("Océan"), Some(b"Oc\xe9an".to_vec()));
        assert_eq!(encode_latin1("€"), None);
        assert_eq!(encode_latin1("\u{ff}"), Some(vec![0xff]));
        assert_eq!(encode_latin1("\u{100}"), None);
    }

    #[test]
    fn records_good() {
        // (text, expected records: (line, values))
        type Case<'a> = (&'a str, &'a [(usize, &'a [&'a str])]);
        let cases: &[Case] = &[
            ("", &[]),
            ("\n\n", &[]),
            ("a;b\n", &[(1, &["a", "b"])]),
            ("a;b", &[(1, &["a", "b"])]),
            ("a;b\r\nc;d\r\n", &[(1, &["a", "b"]), (2, &["c", "d"])]),
            ("a;b\r\nc;d", &[(1, &["a", "b"]), (2, &["c", "d"])]),
            ("a;b\r", &[(1, &["a", "b"])]),
            ("a\n\n  \nb\n", &[(1, &["a"]), (4, &["b"])]),
            ("a;;b;\n", &[(1, &["a", "", "b", ""])]),
            (";\n", &[(1, &["", ""])]),
            (
                "971;\"Guadeloupe, St Martin et St Barthélemy\";x\n",
                &[(1, &["971", "Guadeloupe, St Martin et St Barthélemy", "x"])],
            ),
            ("\"a;b\";c\n", &[(1, &["a;b", "c"])]),
            (
                "\"IMMEUBLE \"\"LES ARAVIS\"\" 44 RUE\";1\n",
                &[(1, &["IMMEUBLE \"LES ARAVIS\" 44 RUE", "1"])],
            ),
            ("\"\";\"\"\"\"\n", &[(1, &["", "\""])]),
            ("\"x\"\n", &[(1, &["x"])]),
            ("\u{feff}a;b\n", &[(1, &["a", "b"])]),
            ("a b;c\td\n", &[(1, &["a b", "c\td"])]),
        ];
        for &(text, expected) in cases {
            let (records, errors) = records(text);
            assert_eq!(errors, vec![], "{text:?}");
            let got: Vec<(usize, Vec<&str>)> = records.iter().map(|r| (r.line, values(r))).collect();
            let want: Vec<(usize, Vec<&str>)> = expected.iter().map(|&(l, v)| (l, v.to_vec())).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn records_of_every_line_ending() {
        // Old Mac (CR alone), Windows (CR LF) and Unix (LF) line ends, mixed: one record each,
        // numbered as `span::line_ends` numbers the lines.
        let text = "a;b\rc;d\r\ne;f\ng;h";
        let (records, errors) = records(text);
        assert!(errors.is_empty(), "{errors:?}");
        let lines: Vec<usize> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        let texts: Vec<&str> = records.iter().map(|r| &text[r.span.clone()]).collect();
        assert_eq!(texts, ["a;b", "c;d", "e;f", "g;h"]);
        let starts: Vec<usize> = crate::span::line_ends(text).collect();
        assert_eq!(starts, [4, 9, 13]);
    }

    #[test]
    fn records_spans() {
        let text = "a;\"b;c\";\"d \"\"e\"\"\"\r\n\r\n\"Mé\";\n";
        let (records, errors) = records(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].line, 1);
        assert_eq!(&text[records[0].span.clone()], "a;\"b;c\";\"d \"\"e\"\"\"");
        let first: Vec<&str> = records[0].fields.iter().map(|f| written(text, f)).collect();
        assert_eq!(first, ["a", "\"b;c\"", "\"d \"\"e\"\"\""]);
        assert_eq!(values(&records[0]), ["a", "b;c", "d \"e\""]);
        assert_eq!(records[1].line, 3);
        assert_eq!(&text[records[1].span.clone()], "\"Mé\";");
        let second: Vec<&str> = records[1].fields.iter().map(|f| written(text, f)).collect();
        assert_eq!(second, ["\"Mé\"", ""]);
        assert_eq!(records[1].fields[1].span, text.len() - 1..text.len() - 1);
    }

    #[test]
    fn records_errors() {
        // (text, lines of the records read, errors: (kind, text pointed at))
        type Case<'a> = (&'a str, &'a [usize], &'a [(RegisterErrorKind, &'a str)]);
        let cases: &[Case] = &[
            ("\"abc\n", &[], &[(Quote, "\"abc")]),
            ("a;\"abc\nd;e\n", &[2], &[(Quote, "\"abc")]),
            ("a;\"abc\r\n", &[], &[(Quote, "\"abc")]),
            ("\"\n", &[], &[(Quote, "\"")]),
            ("a;\"b\"\"\n", &[], &[(Quote, "\"b\"\"")]),
            ("\"ab\"c;d\n", &[], &[(Quote, "c")]),
            ("\"ab\" ;d\n", &[], &[(Quote, " ")]),
            ("\"ab\"cd\n", &[], &[(Quote, "cd")]),
            ("a\"b;c\n", &[], &[(Quote, "\"")]),
            ("a; \"b\";c\n", &[], &[(Quote, "\"")]),
            (
                "\"x\"y;a\"b;\"c\nok;1\n",
                &[2],
                &[(Quote, "y"), (Quote, "\""), (Quote, "\"c")],
            ),
            ("x\n\"a\nz\n\"b\n", &[1, 3], &[(Quote, "\"a"), (Quote, "\"b")]),
        ];
        for &(text, lines, expected) in cases {
            let (records, errors) = records(text);
            let got: Vec<usize> = records.iter().map(|r| r.line).collect();
            assert_eq!(got, lines, "{text:?}");
            assert_eq!(located(text, &errors), expected, "{text:?}");
            assert!(errors.iter().all(|e| e.help.is_some()), "{text:?}");
        }
    }

    fn majnum(rows: &str) -> String {
        format!("{HEADER}\n{rows}")
    }

    #[test]
    fn majnum_good() {
        let text = decode(
            &[
                HEADER_LATIN1,
                b"\n01056;0105600000;0105699999;FRTE;M\xe9tropole;01/01/2017\n",
                b"0262;0262000000;0262999999;SRR;\"La R\xe9union - Oc\xe9an indien\";15/03/2001\n",
                b"0590;0590000000;0590999999;OMT;\"Guadeloupe, St Martin et St Barth\xe9lemy\";29/02/2000\n",
            ]
            .concat(),
        );
        let (rows, errors) = parse_majnum(&text);
        assert_eq!(errors, vec![]);
        assert_eq!(rows.len(), 3);
        let first = &rows[0];
        assert_eq!(first.line, 2);
        assert_eq!(
            &text[first.span.clone()],
            "01056;0105600000;0105699999;FRTE;Métropole;01/01/2017"
        );
        assert_eq!(first.ezabpqm.value, "01056");
        assert_eq!(written(&text, &first.ezabpqm), "01056");
        assert_eq!(first.tranche_debut.value, "0105600000");
        assert_eq!(first.tranche_fin.value, "0105699999");
        assert_eq!(first.mnemo.value, "FRTE");
        assert_eq!(first.territoire.value, "Métropole");
        assert_eq!(written(&text, &first.territoire), "Métropole");
        assert_eq!(written(&text, &first.date_attribution), "01/01/2017");
        assert_eq!(first.date, Date::new(2017, 1, 1));
        assert_eq!(first.check_tranche(), Ok(10));
        assert_eq!(rows[1].territoire.value, "La Réunion - Océan indien");
        assert_eq!(
            written(&text, &rows[1].territoire),
            "\"La Réunion - Océan indien\""
        );
        assert_eq!(rows[2].territoire.value, "Guadeloupe, St Martin et St Barthélemy");
        assert_eq!(rows[2].date, Date::new(2000, 2, 29));

        // MAJNFB: CRLF line ends, short numbers; no trailing newline; quoted header cells.
        let cases: &[&str] = &[
            "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\r\n15;15;15;URG;National;19/12/2002\r\n",
            "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\n15;15;15;URG;National;19/12/2002",
            "\"EZABPQM\";\"Tranche_Debut\";Tranche_Fin;\"Mnémo\";Territoire;Date_Attribution\n15;15;15;URG;National;19/12/2002\n\n",
            "\n\nEZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\n\n15;15;15;URG;National;19/12/2002\n",
        ];
        for &text in cases {
            let (rows, errors) = parse_majnum(text);
            assert_eq!(errors, vec![], "{text:?}");
            assert_eq!(rows.len(), 1, "{text:?}");
            assert_eq!(&text[rows[0].span.clone()], "15;15;15;URG;National;19/12/2002");
            assert_eq!(rows[0].check_tranche(), Ok(2));
        }
    }

    #[test]
    fn majnum_errors() {
        // (text, EZABPQM of the rows read, errors: (kind, text pointed at, message))
        type Case<'a> = (String, &'a [&'a str], &'a [(RegisterErrorKind, &'a str, &'a str)]);
        const ROW: &str = "01056;0105600000;0105699999;FRTE;Métropole;01/01/2017";
        let cases: Vec<Case> = vec![
            (String::new(), &[], &[(Header, "", "empty file: expected the MAJNUM header")]),
            ("\n\r\n".into(), &[], &[(Header, "", "empty file: expected the MAJNUM header")]),
            (
                "EZABPQM;Tranche_Debut;Tranche_Fin;Mnemo;Territoire;Date_Attribution\n15;15;15;URG;National;19/12/2002\n".into(),
                &["15"],
                &[(Header, "Mnemo", "column `Mnemo` should be written `Mnémo`")],
            ),
            (
                "ezabpqm;Tranche Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\n15;15;15;URG;National;19/12/2002\n".into(),
                &["15"],
                &[
                    (Header, "ezabpqm", "column `ezabpqm` should be written `EZABPQM`"),
                    (Header, "Tranche Debut", "column `Tranche Debut` should be written `Tranche_Debut`"),
                ],
            ),
            (
                format!("EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Date_Attribution\n{ROW}\n"),
                &[],
                &[(Header, "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Date_Attribution", "missing column `Territoire`")],
            ),
            (
                format!("{HEADER};Extra\n{ROW}\n"),
                &[],
                &[(Header, "Extra", "unexpected column `Extra`")],
            ),
            (
                format!("EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Mnemo;Date_Attribution\n{ROW}\n"),
                &[],
                &[
                    (Header, "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Mnemo;Date_Attribution", "missing column `Territoire`"),
                    (Header, "Mnemo", "column `Mnemo` appears twice"),
                ],
            ),
            (
                format!("EZABPQM;Tranche_Fin;Tranche_Debut;Mnémo;Territoire;Date_Attribution\n{ROW}\n"),
                &[],
                &[(Header, "EZABPQM;Tranche_Fin;Tranche_Debut;Mnémo;Territoire;Date_Attribution", "the columns are not in the expected order")],
            ),
            (
                // No header: the first line is data, and is read.
                format!("{ROW}\n15;15;15;URG;National;19/12/2002\n"),
                &["01056", "15"],
                &[(Header, ROW, "missing header: the first line should be the MAJNUM header")],
            ),
            (
                "a;b;c\n15;15;15;URG;National;19/12/2002\n".into(),
                &[],
                &[(Header, "a;b;c", "missing header: the first line should be the MAJNUM header")],
            ),
            (
                // A broken header line is still the header.
                "\"EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\n15;15;15;URG;National;19/12/2002\n".into(),
                &[],
                &[
                    (Quote, "\"EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution", "unterminated quoted value: no closing `\"` on this line"),
                    (Header, "\"EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution", "missing header: the first line should be the MAJNUM header"),
                ],
            ),
            (
                majnum("01056;0105600000;0105699999;FRTE;Métropole\n15;15;15;URG;National;19/12/2002\n"),
                &["15"],
                &[(FieldCount, "01056;0105600000;0105699999;FRTE;Métropole", "expected 6 fields, found 5")],
            ),
            (
                majnum(&format!("{ROW};\n")),
                &[],
                &[(FieldCount, "01056;0105600000;0105699999;FRTE;Métropole;01/01/2017;", "expected 6 fields, found 7")],
            ),
            (
                majnum("15\n"),
                &[],
                &[(FieldCount, "15", "expected 6 fields, found 1")],
            ),
            (
                majnum("15;15;15;URG;\"National;19/12/2002\n16;16;16;URG;National;19/12/2002\n"),
                &["16"],
                &[(Quote, "\"National;19/12/2002", "unterminated quoted value: no closing `\"` on this line")],
            ),
            (
                majnum("15;15;15;URG;National;31/02/2023\n"),
                &["15"],
                &[(Value, "31/02/2023", "`Date_Attribution`: 31/02/2023 is not a date: February 2023 has 28 days")],
            ),
            (
                majnum("15;15;15;URG;National;2023-01-01\n"),
                &["15"],
                &[(Value, "2023-01-01", "`Date_Attribution`: expected a date like 31/12/2023 (dd/mm/yyyy), found `2023-01-01`")],
            ),
            (
                majnum("15;15;15;URG;National;\n"),
                &["15"],
                &[(Value, "", "`Date_Attribution`: expected a date like 31/12/2023 (dd/mm/yyyy), found nothing")],
            ),
            (
                majnum("01A56;0105600000;0105699999;FRTE;Métropole;01/01/2017\n"),
                &[],
                &[(Value, "01A56", "`EZABPQM` must be digits, found `01A56`")],
            ),
            (
                majnum(";0105600000;01056 99999;FRTE;Métropole;01/13/2017\n"),
                &[],
                &[
                    (Value, "", "`EZABPQM` is empty"),
                    (Value, "01056 99999", "`Tranche_Fin` must be digits, found `01056 99999`"),
                    (Value, "01/13/2017", "`Date_Attribution`: 01/13/2017 is not a date: there is no month 13"),
                ],
            ),
            (
                majnum("\"01056\";\"0105600000\";０１;FRTE;Métropole;01/01/2017\n"),
                &[],
                &[(Value, "０１", "`Tranche_Fin` must be digits, found `０１`")],
            ),
            (
                // Errors are all reported, in text order, and good rows are kept.
                majnum(&format!("{ROW}\nx;1;1;A;B;01/01/2017\n15;15;15\n{ROW}\n\"1\"2;2;2;A;B;01/01/2017\n")),
                &["01056", "01056"],
                &[
                    (Value, "x", "`EZABPQM` must be digits, found `x`"),
                    (FieldCount, "15;15;15", "expected 6 fields, found 3"),
                    (Quote, "2", "unexpected `2` after the closing quote"),
                ],
            ),
        ];
        for (text, ezabpqms, expected) in &cases {
            let (rows, errors) = parse_majnum(text);
            let got: Vec<&str> = rows.iter().map(|r| r.ezabpqm.value.as_str()).collect();
            assert_eq!(&got, ezabpqms, "{text:?}");
            let got: Vec<(RegisterErrorKind, &str, &str)> = errors
                .iter()
                .map(|e| (e.kind, &text[e.span.clone()], e.message.as_str()))
                .collect();
            assert_eq!(&got, expected, "{text:?}");
            for error in &errors {
                assert!(error.help.is_some(), "{error:?}");
                assert_eq!(error.to_string(), error.message);
            }
        }
    }

    #[test]
    fn majnum_header_from_latin1_bytes() {
        let bytes = [HEADER_LATIN1, b"\n15;15;15;URG;National;19/12/2002\n"].concat();
        let (rows, errors) = parse_majnum(&decode(&bytes));
        assert_eq!(errors, vec![]);
        assert_eq!(rows.len(), 1);
        // The same header misread as UTF-8 replacement characters does not match.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (rows, errors) = parse_majnum(&text);
        assert!(rows.is_empty());
        let got: Vec<(RegisterErrorKind, &str)> = located(&text, &errors);
        assert_eq!(
            got,
            [
                (
                    Header,
                    "EZABPQM;Tranche_Debut;Tranche_Fin;Mn\u{fffd}mo;Territoire;Date_Attribution"
                ),
                (Header, "Mn\u{fffd}mo"),
            ]
        );
        assert!(errors[1].help.as_deref().is_some_and(|h| h.contains("latin-1")));
    }

    #[test]
    fn tranche_checks() {
        let cases: &[(&str, &str, &str, Result<usize, TrancheMismatch>)] = &[
            ("01056", "0105600000", "0105699999", Ok(10)),
            ("15", "15", "15", Ok(2)),
            ("3999", "3999", "3999", Ok(4)),
            ("0", "0000", "0999", Ok(4)),
            (
                "01056",
                "0105600000",
                "010569999",
                Err(TrancheMismatch::Lengths { debut: 10, fin: 9 }),
            ),
            (
                "0105600",
                "01056",
                "01056",
                Err(TrancheMismatch::PrefixTooLong {
                    prefix: 7,
                    numbers: 5,
                }),
            ),
            (
                "01056",
                "0105700000",
                "0105799999",
                Err(TrancheMismatch::Debut {
                    expected: "0105600000".into(),
                }),
            ),
            (
                "01056",
                "0105600000",
                "0105699998",
                Err(TrancheMismatch::Fin {
                    expected: "0105699999".into(),
                }),
            ),
            (
                "01056",
                "0105600001",
                "0105699999",
                Err(TrancheMismatch::Debut {
                    expected: "0105600000".into(),
                }),
            ),
        ];
        for (prefix, debut, fin, expected) in cases {
            assert_eq!(
                &check_tranche(prefix, debut, fin),
                expected,
                "{prefix} {debut} {fin}"
            );
        }
        assert_eq!(
            TrancheMismatch::Fin {
                expected: "0105699999".into()
            }
            .to_string(),
            "Tranche_Fin should be 0105699999 (EZABPQM padded with 9s)"
        );
    }

    #[test]
    fn operators() {
        let bytes = [
            OPERATORS_HEADER.as_bytes(),
            b"\n\"+2 COM\";2COM;\"510224702 00017\";Paris;\"49 RUE DE PONTHIEU 75008 PARIS\";0;10/01/2018\n",
            b"\"118 218 Le num\xe9ro\";LNUM;\"478343080 00089\";Paris;\"CENTRE D AFFAIRES\";1;09/11/2004\n",
            b"\"M Target\";MTAR;\"490990819 00032\";Toulouse;\"IMMEUBLE \"\"LES ARAVIS\"\" 44 RUE\";1;19/10/2010\n",
        ]
        .concat();
        let text = decode(&bytes);
        let (operators, errors) = parse_operators(&text);
        assert_eq!(errors, vec![]);
        let got: Vec<(usize, &str, &str, bool)> = operators
            .iter()
            .map(|o| {
                (
                    o.line,
                    o.code.value.as_str(),
                    o.name.value.as_str(),
                    o.assigns_numbers,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "2COM", "+2 COM", false),
                (3, "LNUM", "118 218 Le numéro", true),
                (4, "MTAR", "M Target", true),
            ]
        );
        assert_eq!(written(&text, &operators[1].name), "\"118 218 Le numéro\"");
        assert_eq!(written(&text, &operators[1].code), "LNUM");
        assert_eq!(operators[0].declared, Date::new(2018, 1, 10));

        // (with the header?, text, codes read, errors: (kind, text pointed at))
        type Case<'a> = (bool, &'a str, &'a [&'a str], &'a [(RegisterErrorKind, &'a str)]);
        let cases: &[Case] = &[
            (
                false,
                "A;B;;;;1;01/01/2020\n",
                &["B"],
                &[(Header, "A;B;;;;1;01/01/2020")],
            ),
            (false, "\n", &[], &[(Header, "")]),
            (true, "A;;;;;1;01/01/2020\n", &[], &[(Value, "")]),
            (true, "A;B;;;;2;01/01/2020\n", &["B"], &[(Value, "2")]),
            (true, "A;B;;;;1;1/1/2020\n", &["B"], &[(Value, "1/1/2020")]),
            (true, "A;B;;;;1\n", &[], &[(FieldCount, "A;B;;;;1")]),
            (
                true,
                "\"A;B;;;;1;01/01/2020\n",
                &[],
                &[(Quote, "\"A;B;;;;1;01/01/2020")],
            ),
            (
                true,
                "A;B;;;;x;31/04/2020\n",
                &["B"],
                &[(Value, "x"), (Value, "31/04/2020")],
            ),
        ];
        for &(with_header, rows, codes, expected) in cases {
            let text = if with_header {
                format!("{OPERATORS_HEADER}\n{rows}")
            } else {
                rows.to_owned()
            };
            let (operators, errors) = parse_operators(&text);
            let got: Vec<&str> = operators.iter().map(|o| o.code.value.as_str()).collect();
            assert_eq!(got, codes, "{text:?}");
            assert_eq!(located(&text, &errors), expected, "{text:?}");
        }
        let (_, errors) = parse_operators(&format!("{HEADER}\n"));
        assert!(!errors.is_empty() && errors.iter().all(|e| e.kind == Header));
    }

    #[test]
    fn write_then_read() {
        let date = Date::new(2017, 1, 1).unwrap_or_else(|| unreachable!());
        let rows = vec![
            (
                "01056".into(),
                "0105600000".into(),
                "0105699999".into(),
                "FRTE".into(),
                "Métropole".into(),
                date,
            ),
            (
                "0590".into(),
                "0590000000".into(),
                "0590999999".into(),
                "OMT".into(),
                "Guadeloupe, St Martin et St Barthélemy".into(),
                date,
            ),
            (
                "15".into(),
                "15".into(),
                "15".into(),
                "A\"B;C".into(),
                "".into(),
                date,
            ),
        ];
        let text = write_majnum(&rows);
        assert_eq!(
            text,
            "EZABPQM;Tranche_Debut;Tranche_Fin;Mnémo;Territoire;Date_Attribution\n\
             01056;0105600000;0105699999;FRTE;Métropole;01/01/2017\n\
             0590;0590000000;0590999999;OMT;\"Guadeloupe, St Martin et St Barthélemy\";01/01/2017\n\
             15;15;15;\"A\"\"B;C\";;01/01/2017\n"
        );
        let bytes = encode_latin1(&text).unwrap_or_default();
        assert!(bytes.starts_with(HEADER_LATIN1));
        assert_eq!(decode(&bytes), text);
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-zA-Zé ,;\"-]{0,12}"
    }

    fn row() -> impl Strategy<Value = (String, String, String, String, String, Date)> {
        (
            "[0-9]{1,6}",
            "[0-9]{1,14}",
            "[0-9]{1,14}",
            name(),
            name(),
            -719_162i32..=2_932_896,
        )
            .prop_map(|(a, b, c, d, e, days)| {
                let date = Date::from_days(days).unwrap_or_else(|| unreachable!());
                (a, b, c, d, e, date)
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let text = decode(&bytes);
            let _ = records(&text);
            let _ = parse_majnum(&text);
            let _ = parse_operators(&text);
        }

        #[test]
        fn decode_owned_is_decode(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            prop_assert_eq!(decode_owned(bytes.clone()), decode(&bytes));
        }

        #[test]
        fn never_panics_on_register_like(
            body in "[0-9a-zé;\"\r\n ,/]{0,200}",
            with_header in any::<bool>(),
        ) {
            let text = if with_header { majnum(&body) } else { body };
            let (rows, errors) = parse_majnum(&text);
            for error in &errors {
                prop_assert!(text.get(error.span.clone()).is_some());
            }
            for row in &rows {
                for field in [&row.ezabpqm, &row.tranche_debut, &row.tranche_fin, &row.mnemo, &row.territoire, &row.date_attribution] {
                    prop_assert!(text.get(field.span.clone()).is_some());
                }
            }
            let _ = records(&text);
            let _ = parse_operators(&text);
        }

        #[test]
        fn write_encode_decode_parse_round_trip(rows in proptest::collection::vec(row(), 0..20)) {
            let text = write_majnum(&rows);
            let bytes = encode_latin1(&text);
            prop_assert!(bytes.is_some());
            let decoded = decode(&bytes.unwrap_or_default());
            prop_assert_eq!(&decoded, &text);
            let (read, errors) = parse_majnum(&decoded);
            prop_assert_eq!(errors, vec![]);
            let read: Vec<_> = read
                .into_iter()
                .map(|r| (r.ezabpqm.value, r.tranche_debut.value, r.tranche_fin.value, r.mnemo.value, r.territoire.value, r.date))
                .collect();
            let want: Vec<_> = rows.into_iter().map(|(a, b, c, d, e, f)| (a, b, c, d, e, Some(f))).collect();
            prop_assert_eq!(read, want);
        }
    }
}
