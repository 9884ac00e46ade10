//! Telephone numbers as people and switches write them, normalised to national digits.
//!
//! The rules come from the plan's dialling data (trunk prefix, international prefix, the
//! territories' country codes), not from hard-coded French habits:
//!
//! | input | read as |
//! |---|---|
//! | `0162123456`, `01 62 12 34 56`, `01.62.12.34.56`, `01-62-12-34-56` | national |
//! | `+33 1 62 12 34 56`, `+33 (0)1 62 12 34 56` | international: country code, then the national significant number |
//! | `0033162123456` | international, after the international prefix |
//! | `33162123456` | international without `+` (E.164 digits): no trunk prefix, a known country code, 9+ digits |
//! | `15`, `3000`, `118712` | national short numbers |
//!
//! [`parse`] returns the national digits (trunk prefix included, as the plan's ranges are written)
//! and the country code the input named, if any; checking that code against the number's territory
//! is the lookup's job.

use std::fmt;

/// The longest input read as a number, in bytes: longer ones are refused without being read
/// ([`NumberError::InputTooLong`]).
pub const MAX_INPUT_BYTES: usize = 1024;

/// The longest number accepted, in digits (E.164 allows 15, plus a trunk prefix and slack).
pub const MAX_DIGITS: usize = 20;

/// The plan's dialling data needed to read numbers.
#[derive(Clone, Copy, Debug)]
pub struct Dialling<'a> {
    /// Trunk prefix, e.g. `0`.
    pub national_prefix: &'a str,
    /// International prefix, e.g. `00`.
    pub international_prefix: &'a str,
    /// The country codes of the plan's territories.
    pub country_codes: &'a [u32],
    /// Whether the plan writes its numbers with the trunk prefix (`0162…`) or without it
    /// (the NANP's `613 555 0123`, dialled after an optional `1`).
    pub prefix_in_numbers: bool,
}

/// At most [`MAX_DIGITS`] ASCII digits, stored inline: reading a number allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digits {
    buf: [u8; MAX_DIGITS],
    len: u8,
}

impl Digits {
    /// No digits.
    pub const fn new() -> Digits {
        Digits {
            buf: [0; MAX_DIGITS],
            len: 0,
        }
    }

    /// How many digits (without the cost of [`Digits::as_str`]'s UTF-8 check).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The digits as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever pushed.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }

    /// Appends ASCII digits; `false` (and nothing appended) when they do not fit or are not digits.
    pub fn push_str(&mut self, s: &str) -> bool {
        let len = usize::from(self.len);
        if len + s.len() > MAX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        self.buf[len..len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len() as u8;
        true
    }
}

impl Default for Digits {
    fn default() -> Digits {
        Digits::new()
    }
}

impl std::ops::Deref for Digits {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Digits {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Digits {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A number read from input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// National digits as the plan writes its numbers: trunk prefix included for numbers that
    /// have one in a plan that writes it (`0162123456`, `15`), without it in a plan that does
    /// not (`6135550123` for `1-613-555-0123`).
    pub national: Digits,
    /// The country code the input was written with, if it was written internationally.
    pub country_code: Option<u32>,
}

/// Why an input is not a number of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberError {
    /// Nothing but separators.
    Empty,
    /// A character that has no place in a telephone number.
    NotANumber {
        /// The character.
        found: char,
    },
    /// More digits than any number has.
    TooLong {
        /// How many digits.
        digits: usize,
    },
    /// Written internationally (`+`, the international prefix) with no digits after the
    /// country code, or none at all: `+`, `+33`.
    MissingDigits {
        /// What was written: `+` or `+33`.
        after: String,
    },
    /// A longer input than any number is written with ([`MAX_INPUT_BYTES`]): refused unread.
    InputTooLong {
        /// How many bytes (at least; readers stop reading past the limit).
        bytes: usize,
    },
    /// Written internationally with a country code that no territory of the plan has.
    UnknownCountryCode {
        /// The digits after `+` or the international prefix.
        digits: String,
    },
    /// Written internationally with digits that start no country code (`+0…`).
    NotACountryCode {
        /// The digits after `+` or the international prefix.
        digits: String,
    },
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Empty => write!(f, "not a number: no digits"),
            NumberError::NotANumber { found } => write!(f, "not a number: unexpected character {found:?}"),
            NumberError::TooLong { digits } => {
                write!(
                    f,
                    "not a number: {digits} digits, more than any number has ({MAX_DIGITS})"
                )
            }
            NumberError::MissingDigits { after } => {
                write!(f, "not a number: no digits after `{after}`")
            }
            NumberError::InputTooLong { bytes } => write!(
                f,
                "not a number: {bytes} bytes or more, longer than any number is written ({MAX_INPUT_BYTES})"
            ),
            NumberError::NotACountryCode { digits } => {
                let shown: String = digits.chars().take(6).collect();
                write!(f, "not a number: +{shown}… (no country code starts with 0)")
            }
            NumberError::UnknownCountryCode { digits } => {
                let shown: String = digits.chars().take(6).collect();
                write!(
                    f,
                    "unknown country code: +{shown}… starts with no country code of this plan"
                )
            }
        }
    }
}

impl std::error::Error for NumberError {}

/// Reads a number written in any of the accepted forms (see the module docs).
pub fn parse(input: &str, d: &Dialling<'_>) -> Result<Parsed, NumberError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(NumberError::InputTooLong { bytes: input.len() });
    }
    let s = input.trim();
    let s = s.strip_prefix("tel:").unwrap_or(s);
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    // Digits only (what machines send): they are the digits, with nothing to check or copy.
    let mut scratch = Scratch::default();
    let digits = if !rest.is_empty() && rest.len() <= MAX_DIGITS && rest.bytes().all(|b| b.is_ascii_digit()) {
        rest
    } else {
        collect(rest, plus, d, &mut scratch)?;
        scratch.as_str()
    };
    let international = |digits: &str| -> Option<usize> {
        if plus {
            Some(0)
        } else if !d.international_prefix.is_empty() && digits.starts_with(d.international_prefix) {
            Some(d.international_prefix.len())
        } else if !d.national_prefix.is_empty() && digits.starts_with(d.national_prefix) {
            None
        } else if digits.len() >= 9 && country_code(digits, d).is_some() {
            // E.164 digits without the `+`: no trunk prefix, a country code, a full-length number.
            Some(0)
        } else {
            None
        }
    };
    match international(digits) {
        None => {
            // A plan that writes its numbers without the trunk prefix: the prefix dialled before
            // one (`1 613 555 0123`) is not part of it.
            let digits = match digits.strip_prefix(d.national_prefix) {
                Some(rest) if !d.prefix_in_numbers && !d.national_prefix.is_empty() && !rest.is_empty() => {
                    rest
                }
                _ => digits,
            };
            let mut national = Digits::new();
            national.push_str(digits);
            Ok(Parsed {
                national,
                country_code: None,
            })
        }
        Some(skip) => {
            let intl = &digits[skip..];
            if intl.is_empty() {
                return Err(NumberError::MissingDigits {
                    after: "+".to_string(),
                });
            }
            if intl.starts_with('0') {
                // No country code starts with 0: `+0…`, or `00` then `0…`.
                return Err(NumberError::NotACountryCode {
                    digits: intl.to_string(),
                });
            }
            let Some(cc) = country_code(intl, d) else {
                return Err(NumberError::UnknownCountryCode {
                    digits: intl.to_string(),
                });
            };
            let significant = &intl[decimal_len(cc)..];
            if significant.is_empty() {
                return Err(NumberError::MissingDigits {
                    after: format!("+{cc}"),
                });
            }
            let prefix = if d.prefix_in_numbers {
                d.national_prefix
            } else {
                ""
            };
            let mut national = Digits::new();
            if !national.push_str(prefix) || !national.push_str(significant) {
                return Err(NumberError::TooLong {
                    digits: prefix.len() + significant.len(),
                });
            }
            Ok(Parsed {
                national,
                country_code: Some(cc),
            })
        }
    }
}

/// Continues [`parse`]: the digits of `rest` (up to a few past the maximum, to tell "too long"
/// apart) into `digits`, skipping the separators people write, or why it is not a number.
fn collect(rest: &str, plus: bool, d: &Dialling<'_>, digits: &mut Scratch) -> Result<(), NumberError> {
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '/' | '\u{a0}' | '\t' | ')' => {}
            '(' => {
                // "(0)" after a country code is the trunk prefix, which E.164 omits.
                let mut group = String::new();
                for g in chars.by_ref() {
                    if g == ')' {
                        break;
                    }
                    group.push(g);
                }
                if plus && group.trim() == d.national_prefix && !digits.is_empty() {
                    continue;
                }
                for g in group.chars() {
                    match g {
                        '0'..='9' => digits.push(g),
                        ' ' | '.' | '-' => {}
                        other => return Err(NumberError::NotANumber { found: other }),
                    }
                }
            }
            other => return Err(NumberError::NotANumber { found: other }),
        }
        if digits.len() > MAX_DIGITS {
            // Too long whatever follows: count the digits that do (the input is bounded by
            // MAX_INPUT_BYTES), to say how long it is.
            let rest = chars.filter(char::is_ascii_digit).count();
            return Err(NumberError::TooLong {
                digits: digits.len() + rest,
            });
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            NumberError::MissingDigits {
                after: "+".to_string(),
            }
        } else {
            NumberError::Empty
        });
    }
    if digits.len() > MAX_DIGITS {
        return Err(NumberError::TooLong { digits: digits.len() });
    }
    Ok(())
}

/// Digits being collected: a few more than any number has, so that "too long" can be told.
#[derive(Default)]
struct Scratch {
    buf: [u8; MAX_DIGITS + 8],
    len: usize,
}

impl Scratch {
    fn push(&mut self, c: char) {
        if self.len < self.buf.len() {
            self.buf[self.len] = c as u8;
        }
        self.len += 1;
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn len(&self) -> usize {
        self.len
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len.min(self.buf.len())]).unwrap_or("")
    }
}

/// The plan's country code that `digits` starts with (country codes are prefix-free).
fn country_code(digits: &str, d: &Dialling<'_>) -> Option<u32> {
    d.country_codes
        .iter()
        .copied()
        .find(|&cc| starts_with_number(digits.as_bytes(), cc))
}

/// How many decimal digits `n` has.
fn decimal_len(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Whether `digits` starts with the decimal digits of `n` (no allocation: this is per number).
fn starts_with_number(digits: &[u8], n: u32) -> bool {
    let mut buf = [0u8; 10];
    digits.starts_with(decimal(n, &mut buf))
}

/// The decimal digits of `n`, written into `buf` without allocating.
pub fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: &[u32] = &[33, 262, 508, 590, 594, 596];
    const FR: Dialling<'static> = Dialling {
        national_prefix: "0",
        international_prefix: "00",
        country_codes: CODES,
        prefix_in_numbers: true,
    };
    const NANP: Dialling<'static> = Dialling {
        national_prefix: "1",
        international_prefix: "011",
        country_codes: &[1],
        prefix_in_numbers: false,
    };

    fn ok(input: &str) -> (String, Option<u32>) {
        let p = parse(input, &FR).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        (p.national.to_string(), p.country_code)
    }

    #[test]
    fn every_written_form() {
        let n = |s: &str| (s.to_string(), None);
        let i = |s: &str, cc| (s.to_string(), Some(cc));
        let cases = [
            ("0162123456", n("0162123456")),
            ("01 62 12 34 56", n("0162123456")),
            ("01.62.12.34.56", n("0162123456")),
            ("01-62-12-34-56", n("0162123456")),
            ("  01 62 12 34 56\t", n("0162123456")),
            ("+33 1 62 12 34 56", i("0162123456", 33)),
            ("+33 (0)1 62 12 34 56", i("0162123456", 33)),
            ("+33(0)162123456", i("0162123456", 33)),
            ("0033162123456", i("0162123456", 33)),
            ("00 33 1 62 12 34 56", i("0162123456", 33)),
            ("33162123456", i("0162123456", 33)),
            ("0262 12 34 56", n("0262123456")),
            ("+262 262 12 34 56", i("0262123456", 262)),
            ("+590 590 12 34 56", i("0590123456", 590)),
            ("+508 508 12 34 56", i("0508123456", 508)),
            ("262262123456", i("0262123456", 262)),
            ("tel:+33162123456", i("0162123456", 33)),
            ("15", n("15")),
            ("3000", n("3000")),
            ("118712", n("118712")),
            ("116 000", n("116000")),
            ("0 700 00 00 00 00 00", n("07000000000000")),
        ];
        for (input, want) in cases {
            assert_eq!(ok(input), want, "{input:?}");
        }
    }

    #[test]
    fn errors() {
        let err = |s: &str| parse(s, &FR).unwrap_err();
        assert_eq!(err(""), NumberError::Empty);
        assert_eq!(err(" - . "), NumberError::Empty);
        assert_eq!(err("01 62 AB"), NumberError::NotANumber { found: 'A' });
        assert_eq!(err("0162é"), NumberError::NotANumber { found: 'é' });
        assert_eq!(
            err("+44 20 7946 0000"),
            NumberError::UnknownCountryCode {
                digits: "442079460000".into()
            }
        );
        assert_eq!(
            err("0044 20 7946 0000"),
            NumberError::UnknownCountryCode {
                digits: "442079460000".into()
            }
        );
        // `+` and `+33` are the same mistake, told the same way.
        assert_eq!(err("+"), NumberError::MissingDigits { after: "+".into() });
        assert_eq!(err("+33"), NumberError::MissingDigits { after: "+33".into() });
        assert_eq!(err("0033"), NumberError::MissingDigits { after: "+33".into() });
        assert_eq!(
            err("0123456789012345678901234"),
            NumberError::TooLong { digits: 25 }
        );
        // The real count, not where reading could have stopped.
        assert_eq!(err(&"9".repeat(1_000)), NumberError::TooLong { digits: 1_000 });
        assert_eq!(err(&"9 ".repeat(500)), NumberError::TooLong { digits: 500 });
        assert_eq!(
            err(&"9".repeat(10_000)),
            NumberError::InputTooLong { bytes: 10_000 }
        );
        assert_eq!(err("(01) x"), NumberError::NotANumber { found: 'x' });
        assert_eq!(err("+1 (x)"), NumberError::NotANumber { found: 'x' });
    }

    /// The forms issue 10 names for +1, read as the NANP writes them (CNA: `NXX-NXX-XXXX`, the
    /// long-distance prefix `1`, the international prefix `011`).
    #[test]
    fn nanp_forms() {
        let read = |input: &str| {
            let p = parse(input, &NANP).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            (p.national.to_string(), p.country_code)
        };
        for input in [
            "613 555 0123",
            "(613) 555-0123",
            "613-555-0123",
            "613.555.0123",
            "1-613-555-0123",
            "1 (613) 555-0123",
            "16135550123",
        ] {
            assert_eq!(read(input), ("6135550123".to_string(), None), "{input:?}");
        }
        for input in [
            "+1 613 555 0123",
            "+1 (613) 555-0123",
            "+16135550123",
            "011 1 613 555 0123",
        ] {
            assert_eq!(read(input), ("6135550123".to_string(), Some(1)), "{input:?}");
        }
        assert_eq!(read("911"), ("911".to_string(), None));
        assert_eq!(read("988"), ("988".to_string(), None));
        // Another country's number dialled from Canada: not a country code of this plan.
        assert_eq!(
            parse("011 33 1 62 12 34 56", &NANP),
            Err(NumberError::UnknownCountryCode {
                digits: "33162123456".into()
            })
        );
        // The prefix alone is not stripped to nothing.
        assert_eq!(read("1"), ("1".to_string(), None));
    }

    #[test]
    fn a_digit_string_without_trunk_prefix_is_national_unless_e164_shaped() {
        // 9 digits or more, starting with a country code: E.164 without `+`.
        assert_eq!(ok("590590123456").1, Some(590));
        // Shorter: a short number, even if it starts like a country code.
        assert_eq!(ok("3300").1, None);
        assert_eq!(ok("33").1, None);
    }
}
