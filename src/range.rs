//! The range syntax of plan sources, and its exact decomposition into prefixes.
//!
//! Numbering plans designate blocks of numbers by their first digits. Plan sources write them
//! in the forms people use in numbering decisions:
//!
//! | Written                           | Meaning                                                  | Prefixes                             |
//! |-----------------------------------|----------------------------------------------------------|--------------------------------------|
//! | `0162`                            | every number starting with 0162 (a *prefix*)             | `0162`                               |
//! | `09 475`, `01.62`                 | spaces and dots between digits are for reading only      | `09475`, `0162`                      |
//! | `0270-0271`                       | a *prefix range*: every 4-digit string from 0270 to 0271 | `0270`, `0271`                       |
//! | `059855-059864`                   | need not be aligned on a power of ten                    | `059855` … `059859`, `059860` … `059864` |
//! | `01 62 00 00 00 - 01 62 49 99 99` | a *number range*, spaces around `-` allowed              | `01620` … `01624`                    |
//! | `0162, 0163, 0270-0271`           | a *list*: items separated by `,`                         | `0162`, `0163`, `0270`, `0271`       |
//!
//! A prefix range and a number range are the same thing, a [`RangeItem`]: an interval of digit
//! strings of one length, both ends included. A number *belongs* to it when its first
//! [`RangeItem::digits`] digits lie in the interval; a single prefix is the interval whose two
//! ends are equal. A list is a [`RangeExpr`].
//!
//! Rules:
//!
//! - each end has 1 to [`MAX_DIGITS`] ASCII digits; spaces and dots may separate them, but a
//!   number cannot start or end with a dot;
//! - the two ends of a range have the same number of digits, and the first is not after the
//!   second;
//! - whitespace is allowed around `-` and `,`, and around the whole input;
//! - the input, and each item of a list, must not be empty.
//!
//! [`parse`] reports a [`RangeError`] located in its input (byte offset and length), so callers
//! can underline the offending text.
//!
//! [`RangeItem::prefixes`] and [`RangeExpr::prefixes`] decompose ranges into the smallest set of
//! prefixes matching exactly the same numbers; [`canonical_prefixes`] does the same for any set
//! of prefixes. A set that covers every number (such as `0-9` or `00-99`) decomposes into the
//! empty prefix `""`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use nom::bytes::complete::take_while1;
use nom::character::complete::{char, digit1, multispace0};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::multi::separated_list1;
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// The most digits an end of a range may have.
pub const MAX_DIGITS: usize = 20;

/// An interval of equal-length digit strings (a single prefix has `from == to`).
///
/// Invariant: `from` and `to` are 1 to [`MAX_DIGITS`] ASCII digits, of the same length, and
/// `from <= to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RangeItem {
    from: String,
    to: String,
}

impl RangeItem {
    /// The item of every number starting with `digits`; `None` unless `digits` is 1 to
    /// [`MAX_DIGITS`] ASCII digits.
    pub fn prefix(digits: &str) -> Option<RangeItem> {
        RangeItem::interval(digits, digits)
    }

    /// The interval from `from` to `to`, both included; `None` unless both are 1 to
    /// [`MAX_DIGITS`] ASCII digits, of the same length, and `from <= to`.
    pub fn interval(from: &str, to: &str) -> Option<RangeItem> {
        let valid = |s: &str| (1..=MAX_DIGITS).contains(&s.len()) && is_digits(s);
        (valid(from) && valid(to) && from.len() == to.len() && from <= to).then(|| RangeItem {
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }

    /// The first end.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The last end (equal to [`from`](RangeItem::from) for a single prefix).
    pub fn to(&self) -> &str {
        &self.to
    }

    /// The number of digits of each end.
    pub fn digits(&self) -> usize {
        self.from.len()
    }

    /// The smallest set of prefixes whose union is exactly the numbers of this interval, sorted.
    ///
    /// The interval of all strings of its length (such as `00-99`) gives the empty prefix `""`.
    pub fn prefixes(&self) -> Vec<String> {
        let mut out = Vec::new();
        cover(
            &mut String::new(),
            self.from.as_bytes(),
            self.to.as_bytes(),
            &mut out,
        );
        out
    }

    /// Whether the number `s` belongs to this interval: `s` is ASCII digits only, at least
    /// [`digits`](RangeItem::digits) long, and its first `digits()` digits lie in `from..=to`.
    pub fn contains(&self, s: &str) -> bool {
        is_digits(s)
            && s.get(..self.digits())
                .is_some_and(|head| self.from.as_str() <= head && head <= self.to.as_str())
    }
}

impl fmt::Display for RangeItem {
    /// `from` for a single prefix, `from-to` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            f.write_str(&self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// A non-empty list of [`RangeItem`]s, in the order written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RangeExpr {
    items: Vec<RangeItem>,
}

impl RangeExpr {
    /// The list of `items`; `None` if it is empty.
    pub fn new(items: Vec<RangeItem>) -> Option<RangeExpr> {
        (!items.is_empty()).then_some(RangeExpr { items })
    }

    /// The items, in the order written (never empty).
    pub fn items(&self) -> &[RangeItem] {
        &self.items
    }

    /// Union of the items' prefixes, canonical (see [`canonical_prefixes`]).
    pub fn prefixes(&self) -> Vec<String> {
        canonical_prefixes(self.items.iter().flat_map(RangeItem::prefixes))
    }
}

impl fmt::Display for RangeExpr {
    /// The canonical form: items joined by `", "`, without spaces or dots inside them.
    /// [`parse`] reads it back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

impl FromStr for RangeExpr {
    type Err = RangeError;

    fn from_str(s: &str) -> Result<RangeExpr, RangeError> {
        parse(s)
    }
}

/// The canonical form of a set of prefixes: the smallest sorted set matching the same numbers.
///
/// Duplicates and prefixes covered by another one (`01620` with `0162`) are removed, and any
/// ten siblings `p0` … `p9` are merged into `p`, repeatedly; ten one-digit prefixes thus merge
/// into the empty prefix `""`, which matches every number. Strings are compared byte-wise and
/// may contain other characters than digits; those are only deduplicated and uncovered.
pub fn canonical_prefixes(prefixes: impl IntoIterator<Item = String>) -> Vec<String> {
    let all: BTreeSet<String> = prefixes.into_iter().collect();
    let covered = |s: &str| (0..s.len()).any(|k| s.get(..k).is_some_and(|p| all.contains(p)));
    let mut set: BTreeSet<String> = all.iter().filter(|s| !covered(s)).cloned().collect();
    // Merging ten siblings of length `len` creates a prefix of length `len - 1`, which may in
    // turn complete ten siblings: go from the longest prefixes to the shortest.
    let longest = set.iter().map(String::len).max().unwrap_or(0);
    for len in (1..=longest).rev() {
        let parents: Vec<String> = set
            .iter()
            .filter(|s| s.len() == len)
            .filter_map(|s| s.strip_suffix('0'))
            .filter(|p| ('1'..='9').all(|d| set.contains(&format!("{p}{d}"))))
            .map(str::to_owned)
            .collect();
        for parent in parents {
            for d in '0'..='9' {
                set.remove(&format!("{parent}{d}"));
            }
            set.insert(parent);
        }
    }
    set.into_iter().collect()
}

/// A syntax error, located in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeError {
    /// Byte offset in the input where the problem is (always on a character boundary).
    pub offset: usize,
    /// Byte length of the offending text; 0 only when pointing at the end of the input.
    pub len: usize,
    /// What is wrong, such as ``unexpected character `x` ``.
    pub message: String,
    /// A hint at how to fix it.
    pub help: Option<String>,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RangeError {}

/// Parses a prefix, a range, or a `,`-separated list of them (see the [module](self) docs).
///
/// # Errors
///
/// A [`RangeError`] locating the first problem in `input`.
///
/// ```
/// use numplan::range::parse;
///
/// let expr = parse("01 62, 0270 - 0271").unwrap();
/// assert_eq!(expr.to_string(), "0162, 0270-0271");
/// assert_eq!(expr.prefixes(), ["0162", "0270", "0271"]);
///
/// let err = parse("0271-0270").unwrap_err();
/// assert_eq!((err.offset, err.len), (0, 9));
/// assert_eq!(err.message, "range end 0270 is before its start 0271");
/// ```
pub fn parse(input: &str) -> Result<RangeExpr, RangeError> {
    match expr(input) {
        Ok((_, expr)) => Ok(expr),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.locate(input)),
        // Complete parsers never ask for more input.
        Err(nom::Err::Incomplete(_)) => Err(RangeError {
            offset: input.len(),
            len: 0,
            message: "unexpected end of input".to_owned(),
            help: None,
        }),
    }
}

/// Whether `s` is ASCII digits only.
fn is_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Pushes onto `out` the minimal prefixes, in order, of the strings `prefix + x` for `x` of
/// `lo.len()` digits with `lo <= x <= hi`.
fn cover(prefix: &mut String, lo: &[u8], hi: &[u8], out: &mut Vec<String>) {
    if lo.iter().all(|&b| b == b'0') && hi.iter().all(|&b| b == b'9') {
        out.push(prefix.clone());
        return;
    }
    let (Some((&a, lo_rest)), Some((&b, hi_rest))) = (lo.split_first(), hi.split_first()) else {
        return;
    };
    let mut sub = |digit: u8, lo: &[u8], hi: &[u8], out: &mut Vec<String>| {
        prefix.push(char::from(digit));
        cover(prefix, lo, hi, out);
        prefix.pop();
    };
    if a == b {
        sub(a, lo_rest, hi_rest, out);
        return;
    }
    let (zeros, nines) = (vec![b'0'; lo_rest.len()], vec![b'9'; lo_rest.len()]);
    sub(a, lo_rest, &nines, out);
    for digit in a + 1..b {
        sub(digit, &zeros, &nines, out);
    }
    sub(b, &zeros, hi_rest, out);
}

// The parser. Errors are built where the problem is found, with `at` the remaining input
// there; `parse` turns that into an offset. Soft errors (`nom::Err::Error`) only say "not
// this"; every real problem is a `nom::Err::Failure` carrying its final message.

/// A parse error whose location is the remaining input `at`.
#[derive(Debug)]
struct Problem<'a> {
    at: &'a str,
    len: usize,
    message: String,
    help: Option<&'static str>,
}

impl<'a> Problem<'a> {
    fn fail<T>(
        at: &'a str,
        len: usize,
        message: impl Into<String>,
        help: Option<&'static str>,
    ) -> PResult<'a, T> {
        Err(nom::Err::Failure(Problem {
            at,
            len,
            message: message.into(),
            help,
        }))
    }

    fn locate(self, input: &str) -> RangeError {
        let offset = input.len().saturating_sub(self.at.len());
        RangeError {
            offset,
            len: self.len.min(input.len() - offset),
            message: self.message,
            help: self.help.map(str::to_owned),
        }
    }
}

impl<'a> ParseError<&'a str> for Problem<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Problem<'a> {
        Problem {
            at: input,
            len: next_char_len(input),
            message: format!("syntax error ({})", kind.description()),
            help: None,
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Problem<'a>) -> Problem<'a> {
        other
    }
}

type PResult<'a, T> = IResult<&'a str, T, Problem<'a>>;

const EXAMPLE: &str = "write a prefix like 0162 or a range like 0270-0271";

/// The byte length of the first character of `s` (0 at the end).
fn next_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// The first character of `s`, as quoted in messages.
fn found(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("`{}`", c.escape_debug()),
        None => "end of input".to_owned(),
    }
}

/// The whole input: a non-empty list of items, with whitespace around.
fn expr(input: &str) -> PResult<'_, RangeExpr> {
    let (rest, _) = multispace0(input)?;
    if rest.is_empty() {
        return Problem::fail(input, input.len(), "empty range", Some(EXAMPLE));
    }
    let (rest, items) = separated_list1(comma, item).parse(rest)?;
    let (rest, _) = multispace0(rest)?;
    let Some(c) = rest.chars().next() else {
        return Ok((rest, RangeExpr { items }));
    };
    let len = c.len_utf8();
    match c {
        '-' => Problem::fail(
            rest,
            len,
            "a range has only two ends",
            Some("separate items with `,`, like 0270-0271, 0275"),
        ),
        '0'..='9' => Problem::fail(
            rest,
            len,
            format!("expected `,` or `-`, found {}", found(rest)),
            Some("separate items with `,`; only spaces and dots may separate the digits of a number"),
        ),
        _ => Problem::fail(
            rest,
            len,
            format!("unexpected character {}", found(rest)),
            Some("write digits, separating items with `,`, like 0162, 0270-0271"),
        ),
    }
}

/// The separator of list items, which must be followed by an item.
fn comma(input: &str) -> PResult<'_, ()> {
    let (at_comma, _) = multispace0(input)?;
    let (rest, _) = char(',').parse(at_comma)?;
    let (rest, _) = multispace0(rest)?;
    if rest.is_empty() {
        return Problem::fail(
            at_comma,
            1,
            "empty item after the last `,`",
            Some("remove the trailing `,`"),
        );
    }
    Ok((rest, ()))
}

/// A prefix, or a range of two ends.
fn item(input: &str) -> PResult<'_, RangeItem> {
    let (rest, from) = end(input, false)?;
    let (rest, to) = opt(preceded((multispace0, char('-'), multispace0), |i| end(i, true))).parse(rest)?;
    let len = input.len() - rest.len();
    let Some(to) = to else {
        let to = from.clone();
        return Ok((rest, RangeItem { from, to }));
    };
    if from.len() != to.len() {
        return Problem::fail(
            input,
            len,
            format!(
                "the two ends of a range must have the same number of digits ({} and {})",
                from.len(),
                to.len()
            ),
            Some("write both ends with the same number of digits, like 0270-0271"),
        );
    }
    if to < from {
        return Problem::fail(
            input,
            len,
            format!("range end {to} is before its start {from}"),
            Some("write the smaller end first, like 0270-0271"),
        );
    }
    Ok((rest, RangeItem { from, to }))
}

/// An end of a range, which must be there: a start of item, or the end after `-`.
fn end(input: &str, after_dash: bool) -> PResult<'_, String> {
    match number(input) {
        Err(nom::Err::Error(_)) => {}
        result => return result,
    }
    let len = next_char_len(input);
    if after_dash {
        return Problem::fail(
            input,
            len,
            format!("expected a digit after `-`, found {}", found(input)),
            Some("a range needs both ends, like 0270-0271"),
        );
    }
    let help = match input.chars().next() {
        Some(',') => {
            return Problem::fail(input, len, "empty item", Some("remove the extra `,`"));
        }
        Some('-') => "a range needs both ends, like 0270-0271",
        Some('.') => "dots and spaces may only separate digits, like 01.62 or 09 475",
        _ => EXAMPLE,
    };
    Problem::fail(
        input,
        len,
        format!("expected a digit, found {}", found(input)),
        Some(help),
    )
}

/// Digits, possibly separated by spaces and dots; returns the digits only. A soft error if
/// `input` does not start with a digit.
fn number(input: &str) -> PResult<'_, String> {
    let separator = take_while1(|c| c == ' ' || c == '.');
    let (rest, text) = recognize(separated_list1(separator, digit1)).parse(input)?;
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > MAX_DIGITS {
        return Problem::fail(
            input,
            text.len(),
            format!("more than {MAX_DIGITS} digits ({})", digits.len()),
            Some("a number has at most 20 digits"),
        );
    }
    Ok((rest, digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(from: &str, to: &str) -> RangeItem {
        RangeItem::interval(from, to).unwrap()
    }

    #[test]
    fn good_inputs() {
        // (input, canonical form, prefixes)
        let cases: &[(&str, &str, &[&str])] = &[
            ("0162", "0162", &["0162"]),
            ("09 475", "09475", &["09475"]),
            ("01.62", "0162", &["0162"]),
            ("0 1. 6 .2", "0162", &["0162"]),
            ("0162 0163", "01620163", &["01620163"]),
            ("0270-0271", "0270-0271", &["0270", "0271"]),
            ("0270 - 0271", "0270-0271", &["0270", "0271"]),
            ("0270\t-\t0271", "0270-0271", &["0270", "0271"]),
            (
                "01 62 00 00 00 - 01 62 49 99 99",
                "0162000000-0162499999",
                &["01620", "01621", "01622", "01623", "01624"],
            ),
            (
                "059855-059864",
                "059855-059864",
                &[
                    "059855", "059856", "059857", "059858", "059859", "059860", "059861", "059862", "059863",
                    "059864",
                ],
            ),
            ("0100-0599", "0100-0599", &["01", "02", "03", "04", "05"]),
            ("0160-0169", "0160-0169", &["016"]),
            ("1999-2000", "1999-2000", &["1999", "2000"]),
            ("0123-0123", "0123", &["0123"]),
            ("00-99", "00-99", &[""]),
            ("0-9", "0-9", &[""]),
            (
                "0, 1, 2, 3, 4, 5, 6, 7, 8, 9",
                "0, 1, 2, 3, 4, 5, 6, 7, 8, 9",
                &[""],
            ),
            (
                "0162, 0163, 0270-0271",
                "0162, 0163, 0270-0271",
                &["0162", "0163", "0270", "0271"],
            ),
            ("  0162 ,0163  ", "0162, 0163", &["0162", "0163"]),
            ("\t0162\n", "0162", &["0162"]),
            ("0162,\n0163", "0162, 0163", &["0162", "0163"]),
            ("0162, 01620-01629", "0162, 01620-01629", &["0162"]),
            ("01625, 0162", "01625, 0162", &["0162"]),
            (
                "12345678901234567890",
                "12345678901234567890",
                &["12345678901234567890"],
            ),
            (
                "12 34 56 78 90 12 34 56 78 90-12345678901234567899",
                "12345678901234567890-12345678901234567899",
                &["1234567890123456789"],
            ),
        ];
        for &(input, canonical, prefixes) in cases {
            let expr = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
            assert_eq!(expr.to_string(), canonical, "{input:?}");
            assert_eq!(expr.prefixes(), prefixes, "{input:?}");
            assert_eq!(parse(canonical), Ok(expr.clone()), "{input:?}");
            assert_eq!(input.parse::<RangeExpr>(), Ok(expr), "{input:?}");
        }
    }

    #[test]
    fn parsed_items() {
        let expr = parse("01 62 00 00 00 - 01 62 49 99 99, 09 475").unwrap();
        assert_eq!(
            expr.items(),
            [item("0162000000", "0162499999"), item("09475", "09475")]
        );
        assert_eq!(expr.items()[0].digits(), 10);
        assert_eq!(expr.items()[1].to_string(), "09475");
    }

    #[test]
    fn bad_inputs() {
        let digits21 = "012345678901234567890";
        let spaced21 = "01 23 45 67 89 01 23 45 67 89 0";
        let after_dash21 = format!("0162-{digits21}");
        // (input, offset, len, part of the message)
        let cases: &[(&str, usize, usize, &str)] = &[
            ("", 0, 0, "empty range"),
            ("   ", 0, 3, "empty range"),
            (",", 0, 1, "empty item"),
            (" , ", 1, 1, "empty item"),
            ("0162,", 4, 1, "empty item after the last `,`"),
            ("0162, ", 4, 1, "empty item after the last `,`"),
            ("0162\n,\n", 5, 1, "empty item after the last `,`"),
            ("0162-0163,", 9, 1, "empty item after the last `,`"),
            (",0162", 0, 1, "empty item"),
            ("0162,,0163", 5, 1, "empty item"),
            ("0162, ,0163", 6, 1, "empty item"),
            ("01a2", 2, 1, "unexpected character `a`"),
            ("0162;0163", 4, 1, "unexpected character `;`"),
            ("0162 - 0163 a", 12, 1, "unexpected character `a`"),
            ("0162.", 4, 1, "unexpected character `.`"),
            ("0162 .", 5, 1, "unexpected character `.`"),
            ("0162é", 4, 2, "unexpected character `é`"),
            ("0x10", 1, 1, "unexpected character `x`"),
            ("0162\t0163", 5, 1, "expected `,` or `-`, found `0`"),
            (
                "0270-027",
                0,
                8,
                "the two ends of a range must have the same number of digits (4 and 3)",
            ),
            ("0270 - 027", 0, 10, "same number of digits (4 and 3)"),
            ("027-0271", 0, 8, "same number of digits (3 and 4)"),
            ("0162, 0270-027", 6, 8, "same number of digits (4 and 3)"),
            ("0271-0270", 0, 9, "range end 0270 is before its start 0271"),
            (
                "0162, 0271 - 0270",
                6,
                11,
                "range end 0270 is before its start 0271",
            ),
            (digits21, 0, 21, "more than 20 digits (21)"),
            (spaced21, 0, spaced21.len(), "more than 20 digits (21)"),
            (&after_dash21, 5, 21, "more than 20 digits (21)"),
            ("-0162", 0, 1, "expected a digit, found `-`"),
            ("0162-", 5, 0, "expected a digit after `-`, found end of input"),
            ("0162 - ", 7, 0, "expected a digit after `-`, found end of input"),
            ("0162 - - 0163", 7, 1, "expected a digit after `-`, found `-`"),
            ("0162-,0163", 5, 1, "expected a digit after `-`, found `,`"),
            ("0162-.0163", 5, 1, "expected a digit after `-`, found `.`"),
            ("0162-0163-0164", 9, 1, "a range has only two ends"),
            ("0162 -0163 -", 11, 1, "a range has only two ends"),
            (".0162", 0, 1, "expected a digit, found `.`"),
            ("é", 0, 2, "expected a digit, found `é`"),
            ("😀", 0, 4, "expected a digit, found `😀`"),
            ("٣", 0, 2, "expected a digit, found `٣`"),
            ("+33 1", 0, 1, "expected a digit, found `+`"),
            ("0162, x", 6, 1, "expected a digit, found `x`"),
            ("\u{0}", 0, 1, "expected a digit, found `\\0`"),
        ];
        for &(input, offset, len, message) in cases {
            let err = parse(input).expect_err(input);
            assert_eq!((err.offset, err.len), (offset, len), "{input:?}: {err:?}");
            assert!(err.message.contains(message), "{input:?}: {err:?}");
            assert!(err.help.is_some(), "{input:?}: {err:?}");
            assert_eq!(err.to_string(), err.message);
        }
    }

    #[test]
    fn constructors_validate() {
        assert_eq!(RangeItem::prefix("0162"), Some(item("0162", "0162")));
        for bad in ["", "01a", "٣", "+33", "012345678901234567890", "01 62"] {
            assert_eq!(RangeItem::prefix(bad), None, "{bad:?}");
        }
        assert!(RangeItem::interval("0270", "0271").is_some());
        assert!(RangeItem::interval("0271", "0270").is_none());
        assert!(RangeItem::interval("0270", "027").is_none());
        assert!(RangeItem::interval("", "").is_none());
        assert!(RangeExpr::new(Vec::new()).is_none());
        let expr = RangeExpr::new(vec![item("0270", "0271"), item("0162", "0162")]).unwrap();
        assert_eq!(expr.to_string(), "0270-0271, 0162");
    }

    #[test]
    fn contains() {
        let r = item("0270", "0271");
        assert!(r.contains("0270"));
        assert!(r.contains("0271999999"));
        assert!(!r.contains("0272"));
        assert!(!r.contains("0269999999"));
        assert!(!r.contains("027"));
        assert!(!r.contains("0270a"));
        assert!(!r.contains("027é"));
        assert!(item("00", "99").contains("42"));
    }

    #[test]
    fn canonical() {
        let canon = |v: &[&str]| canonical_prefixes(v.iter().map(ToString::to_string));
        assert_eq!(canon(&[]), Vec::<String>::new());
        assert_eq!(canon(&["02", "01", "01"]), ["01", "02"]);
        assert_eq!(canon(&["016", "0162", "01699"]), ["016"]);
        let mut tens: Vec<String> = (0..10).map(|d| format!("016{d}")).collect();
        tens.push("0170".to_owned());
        assert_eq!(canonical_prefixes(tens), ["016", "0170"]);
        // Merging cascades: 0160..0168 + 01690..01699 -> 0169 -> 016.
        let mut cascade: Vec<String> = (0..9).map(|d| format!("016{d}")).collect();
        cascade.extend((0..10).map(|d| format!("0169{d}")));
        assert_eq!(canonical_prefixes(cascade), ["016"]);
        assert_eq!(canon(&["", "0162"]), [""]);
        assert_eq!(canon(&["é", "éa", "a"]), ["a", "é"]);
    }

    fn digits(n: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..10, n)
            .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
    }

    fn range_item(max_digits: usize) -> impl Strategy<Value = RangeItem> {
        (1..=max_digits)
            .prop_flat_map(|n| (digits(n), digits(n), any::<bool>()))
            .prop_map(|(a, b, single)| {
                let (from, to) = if a <= b { (a, b) } else { (b, a) };
                let to = if single { from.clone() } else { to };
                RangeItem { from, to }
            })
    }

    fn range_expr(max_digits: usize) -> impl Strategy<Value = RangeExpr> {
        proptest::collection::vec(range_item(max_digits), 1..5).prop_map(|items| RangeExpr { items })
    }

    /// `expr` written by a person: spaces and dots between digits, whitespace around `-`, `,`
    /// and the whole input, as picked by `choices`.
    fn human(expr: &RangeExpr, choices: &[u8]) -> String {
        const INSIDE: [&str; 6] = ["", "", " ", ".", " . ", ".."];
        const AROUND: [&str; 5] = ["", " ", "  ", "\t", "\n"];
        let mut choices = choices.iter().cycle().map(|&c| usize::from(c));
        let mut pick = |options: &[&'static str]| options[choices.next().unwrap_or(0) % options.len()];
        let mut out = String::new();
        out.push_str(pick(&AROUND));
        for (i, item) in expr.items().iter().enumerate() {
            if i > 0 {
                out.push_str(pick(&AROUND));
                out.push(',');
                out.push_str(pick(&AROUND));
            }
            let ends = if item.from() == item.to() {
                vec![item.from()]
            } else {
                vec![item.from(), item.to()]
            };
            for (j, end) in ends.into_iter().enumerate() {
                if j > 0 {
                    out.push_str(pick(&AROUND));
                    out.push('-');
                    out.push_str(pick(&AROUND));
                }
                for (k, digit) in end.chars().enumerate() {
                    if k > 0 {
                        out.push_str(pick(&INSIDE));
                    }
                    out.push(digit);
                }
            }
        }
        out.push_str(pick(&AROUND));
        out
    }

    /// Whether `prefixes` are canonical: sorted, none covering another, no ten full siblings.
    fn assert_canonical(prefixes: &[String]) {
        assert!(prefixes.windows(2).all(|w| w[0] < w[1]), "{prefixes:?}");
        for p in prefixes {
            for q in prefixes {
                assert!(p == q || !q.starts_with(p.as_str()), "{p} covers {q}");
            }
            if let Some(parent) = p.strip_suffix('0') {
                let all = ('0'..='9').all(|d| prefixes.contains(&format!("{parent}{d}")));
                assert!(!all, "ten siblings of {parent} in {prefixes:?}");
            }
        }
    }

    /// For every number of `n` digits, how many of `prefixes` match it.
    fn matches(prefixes: &[String], n: usize) -> Vec<u8> {
        let mut counts = vec![0u8; 10usize.pow(n as u32)];
        for p in prefixes {
            let scale = 10usize.pow((n - p.len()) as u32);
            let start = if p.is_empty() {
                0
            } else {
                p.parse::<usize>().unwrap()
            } * scale;
            for count in &mut counts[start..start + scale] {
                *count += 1;
            }
        }
        counts
    }

    proptest! {
        #[test]
        fn round_trip(expr in range_expr(8)) {
            prop_assert_eq!(parse(&expr.to_string()), Ok(expr));
        }

        #[test]
        fn human_round_trip(
            expr in range_expr(8),
            choices in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let written = human(&expr, &choices);
            prop_assert_eq!(parse(&written), Ok(expr), "{:?}", written);
        }

        #[test]
        fn decomposition_is_exact_and_minimal(item in range_item(5)) {
            let prefixes = item.prefixes();
            assert_canonical(&prefixes);
            prop_assert_eq!(canonical_prefixes(prefixes.clone()), prefixes.clone());
            let n = item.digits();
            let from: usize = item.from().parse().unwrap();
            let to: usize = item.to().parse().unwrap();
            let counts = matches(&prefixes, n);
            for (x, &count) in counts.iter().enumerate() {
                prop_assert_eq!(count, u8::from((from..=to).contains(&x)), "{} at {}", item, x);
            }
        }

        #[test]
        fn contains_agrees_with_prefixes(item in range_item(5), number in "[0-9]{0,7}") {
            let by_prefix = number.len() >= item.digits()
                && item.prefixes().iter().any(|p| number.starts_with(p.as_str()));
            prop_assert_eq!(item.contains(&number), by_prefix);
        }

        #[test]
        fn expr_prefixes_are_the_union(expr in range_expr(4)) {
            let prefixes = expr.prefixes();
            assert_canonical(&prefixes);
            let n = expr.items().iter().map(RangeItem::digits).max().unwrap();
            let counts = matches(&prefixes, n);
            for (x, &count) in counts.iter().enumerate() {
                let number = format!("{x:0n$}");
                let expected = expr.items().iter().any(|i| i.contains(&number));
                prop_assert_eq!(count, u8::from(expected), "{} at {}", expr, number);
            }
        }

        #[test]
        fn never_panics(input in ".*") {
            check_no_panic(&input)?;
        }

        #[test]
        fn never_panics_near_the_syntax(input in "[0-9 \\-,.é\t]{0,30}") {
            check_no_panic(&input)?;
        }
    }

    fn check_no_panic(input: &str) -> Result<(), TestCaseError> {
        match parse(input) {
            Ok(expr) => prop_assert_eq!(parse(&expr.to_string()), Ok(expr)),
            Err(e) => {
                prop_assert!(e.offset + e.len <= input.len(), "{:?}: {:?}", input, e);
                prop_assert!(input.is_char_boundary(e.offset), "{:?}: {:?}", input, e);
                prop_assert!(input.is_char_boundary(e.offset + e.len), "{:?}: {:?}", input, e);
                prop_assert!(e.len > 0 || e.offset == input.len(), "{:?}: {:?}", input, e);
            }
        }
        Ok(())
    }
}
