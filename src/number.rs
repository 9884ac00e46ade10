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
}

/// A number read from input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// National digits, trunk prefix included for numbers that have one (`0162123456`, `15`).
    pub national: String,
    /// The country code the input was written with, if it was written internationally.
    pub country_code: Option<u32>,
}

/// Why an input is not a number of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Written internationally with a country code that no territory of the plan has.
    UnknownCountryCode {
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
            NumberError::UnknownCountryCode { digits } => {
                let shown: String = digits.chars().take(3).collect();
                write!(
                    f,
                    "unknown country code: +{shown}… is not a country code of this plan"
                )
            }
        }
    }
}

impl std::error::Error for NumberError {}

/// Reads a number written in any of the accepted forms (see the module docs).
pub fn parse(input: &str, d: &Dialling<'_>) -> Result<Parsed, NumberError> {
    let s = input.trim();
    let s = s.strip_prefix("tel:").unwrap_or(s);
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    // Digits, and whether a "(0)" (the trunk prefix written after a country code) was seen.
    let mut digits = String::with_capacity(rest.len());
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
        if digits.len() > MAX_DIGITS + 4 {
            break;
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            NumberError::UnknownCountryCode { digits }
        } else {
            NumberError::Empty
        });
    }
    if digits.len() > MAX_DIGITS {
        return Err(NumberError::TooLong { digits: digits.len() });
    }
    let international = if plus {
        Some(digits.as_str())
    } else if !d.international_prefix.is_empty() && digits.starts_with(d.international_prefix) {
        Some(&digits[d.international_prefix.len()..])
    } else if !d.national_prefix.is_empty() && digits.starts_with(d.national_prefix) {
        None
    } else if digits.len() >= 9 && country_code(&digits, d).is_some() {
        // E.164 digits without the `+`: no trunk prefix, a country code, a full-length number.
        Some(digits.as_str())
    } else {
        None
    };
    match international {
        None => Ok(Parsed {
            national: digits,
            country_code: None,
        }),
        Some(intl) => {
            let Some(cc) = country_code(intl, d) else {
                return Err(NumberError::UnknownCountryCode {
                    digits: intl.to_string(),
                });
            };
            let significant = &intl[decimal_len(cc)..];
            if significant.is_empty() {
                return Err(NumberError::Empty);
            }
            let mut national = String::with_capacity(d.national_prefix.len() + significant.len());
            national.push_str(d.national_prefix);
            national.push_str(significant);
            Ok(Parsed {
                national,
                country_code: Some(cc),
            })
        }
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
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.starts_with(&buf[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: &[u32] = &[33, 262, 508, 590, 594, 596];
    const FR: Dialling<'static> = Dialling {
        national_prefix: "0",
        international_prefix: "00",
        country_codes: CODES,
    };

    fn ok(input: &str) -> (String, Option<u32>) {
        let p = parse(input, &FR).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        (p.national, p.country_code)
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
        assert_eq!(
            err("+"),
            NumberError::UnknownCountryCode {
                digits: String::new()
            }
        );
        assert_eq!(err("+33"), NumberError::Empty);
        assert!(matches!(
            err("0123456789012345678901234"),
            NumberError::TooLong { .. }
        ));
        assert!(matches!(err(&"9".repeat(10_000)), NumberError::TooLong { .. }));
        assert_eq!(err("(01) x"), NumberError::NotANumber { found: 'x' });
        assert_eq!(err("+1 (x)"), NumberError::NotANumber { found: 'x' });
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
