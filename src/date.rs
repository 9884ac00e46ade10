//! Calendar dates, as plan sources and registers write them.
//!
//! A [`Date`] is a day of the proleptic Gregorian calendar, years 1 to 9999. It has no time zone:
//! a date means that day in the time zone of whatever it describes.
//!
//! Plan sources write dates in ISO 8601, `2023-01-01` (the canonical form, and what [`Date`]
//! displays as). Because Arcep's decisions write dates in words, [`Date::parse`] also accepts
//! `1 August 2019`, `1er août 2019`, `1 aout 2019`, `01 janvier 2023` or `1st August 2019`:
//! English or French month names, in any case, accents optional. Arcep's registers write
//! `dd/mm/yyyy`, read by [`Date::parse_dmy`].
//!
//! Nothing here panics, whatever the input.

use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// A calendar day of the proleptic Gregorian calendar, from 0001-01-01 to 9999-12-31.
///
/// Dates order chronologically. They display in ISO 8601 (`2023-01-01`). The calendar
/// arithmetic is jiff's ([`jiff::civil::Date`]); this type narrows it to the years plan sources
/// and artifacts can hold, and adds the parsers of the words Arcep's decisions use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

/// The earliest supported year.
const MIN_YEAR: i32 = 1;
/// The latest supported year.
const MAX_YEAR: i32 = 9999;
/// Day 0 of [`Date::to_days`].
const UNIX_EPOCH: jiff::civil::Date = jiff::civil::Date::constant(1970, 1, 1);
/// Seconds in a civil day (civil dates have no leap seconds).
const SECONDS_PER_DAY: i64 = 86_400;
/// [`Date::to_days`] of 0001-01-01 and of 9999-12-31.
const DAYS: std::ops::RangeInclusive<i32> = -719_162..=2_932_896;

/// Whether `year` is a leap year of the (proleptic) Gregorian calendar.
pub fn is_leap_year(year: i32) -> bool {
    i16::try_from(year)
        .ok()
        .and_then(|y| jiff::civil::Date::new(y, 1, 1).ok())
        .is_some_and(jiff::civil::Date::in_leap_year)
}

/// The number of days of `month` (1 to 12) in `year`, or `None` if `month` is not a month or
/// the year is outside jiff's range (-9999 to 9999).
pub fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = jiff::civil::Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, 1).ok()?;
    u32::try_from(first.days_in_month()).ok()
}

impl Date {
    /// The date `year`-`month`-`day`, or `None` if there is no such day (month 13, 30 February,
    /// 29 February of a common year) or the year is outside 1 to 9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        jiff::civil::Date::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
        )
        .ok()
        .map(Date)
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> i32 {
        i32::from(self.0.year())
    }

    /// The month, 1 (January) to 12 (December).
    pub fn month(self) -> u32 {
        // jiff's months are 1 to 12.
        self.0.month().unsigned_abs().into()
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        // jiff's days are 1 to 31.
        self.0.day().unsigned_abs().into()
    }

    /// Days since 1970-01-01 (negative before it): 1970-01-02 is 1, 1969-12-31 is -1.
    #[inline]
    pub fn to_days(self) -> i32 {
        // Every lookup asks this: the civil-calendar count (eras of 400 years, years from
        // March), a few integer operations where jiff's span arithmetic takes about a hundred
        // instructions. A test checks it against jiff for every day of years 1 to 9999.
        let (m, d) = (self.month() as i32, self.day() as i32);
        let y = self.year() - i32::from(m <= 2);
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01 (before it if negative), the inverse of
    /// [`Date::to_days`]; `None` outside 0001-01-01 to 9999-12-31.
    pub fn from_days(days: i32) -> Option<Date> {
        if !DAYS.contains(&days) {
            return None;
        }
        let offset = jiff::SignedDuration::from_secs(i64::from(days) * SECONDS_PER_DAY);
        UNIX_EPOCH.checked_add(offset).ok().map(Date)
    }

    /// The same day as a [`jiff::civil::Date`].
    pub fn to_jiff(self) -> jiff::civil::Date {
        self.0
    }

    /// The same day, if its year is 1 to 9999.
    pub fn from_jiff(date: jiff::civil::Date) -> Option<Date> {
        (MIN_YEAR..=MAX_YEAR)
            .contains(&i32::from(date.year()))
            .then_some(Date(date))
    }

    /// Parses a date as plan sources write it, ISO 8601 `2023-01-01` (four-digit year, two-digit
    /// month and day), or as decisions write it: `1 August 2019`, `1er août 2019`,
    /// `1 aout 2019`, `01 janvier 2023`, `1st August 2019`.
    ///
    /// In the words form the day has one or two digits, optionally followed by an ordinal suffix
    /// (`1er` in French; `1st`, `2nd`, `3rd`, `4th`… in English), then a month name in English or
    /// French (any case, accents optional), then a four-digit year; the parts are separated by
    /// whitespace. Whitespace around the date is ignored.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(DateError::new(
                "expected a date like 2023-01-01, found nothing",
                Some(FORMS_HELP.to_owned()),
            ));
        }
        if t.contains(char::is_whitespace) {
            return parse_words(t);
        }
        if t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('-') {
            return parse_iso(t);
        }
        let help = if let Ok(date) = Date::parse_dmy(t) {
            format!("dates are written year first: {date}")
        } else if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            format!(
                "ISO dates separate year, month and day with dashes: {}-{}-{}",
                &t[..4],
                &t[4..6],
                &t[6..]
            )
        } else {
            FORMS_HELP.to_owned()
        };
        Err(DateError::new(
            format!("expected a date like 2023-01-01, found `{}`", show(t)),
            Some(help),
        ))
    }

    /// Parses a date as Arcep's registers write it, `dd/mm/yyyy`: exactly two digits, two digits
    /// and four digits, nothing around them.
    pub fn parse_dmy(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[2] == b'/'
            && b[5] == b'/'
            && [0, 1, 3, 4, 6, 7, 8, 9].iter().all(|&i| b[i].is_ascii_digit());
        if !shape_ok {
            let found = if s.is_empty() {
                "nothing".to_owned()
            } else {
                format!("`{}`", show(s))
            };
            return Err(DateError::new(
                format!("expected a date like 31/12/2023 (dd/mm/yyyy), found {found}"),
                Some("register dates have two-digit day and month and a four-digit year".into()),
            ));
        }
        let day = digits_value(&b[0..2]);
        let month = digits_value(&b[3..5]);
        let year = digits_value(&b[6..10]);
        checked(year, month, day, s)
    }

    /// The date as registers write it, `dd/mm/yyyy`.
    pub fn to_dmy(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day(), self.month(), self.year())
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// As [`Date::parse`].
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

/// Why a text is not a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    /// What is wrong, e.g. "2023-02-30 is not a date: February 2023 has 28 days".
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl DateError {
    fn new(message: impl Into<String>, help: Option<String>) -> DateError {
        DateError {
            message: message.into(),
            help,
        }
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for DateError {}

/// The help shown when a text does not look like any date form.
const FORMS_HELP: &str =
    "write dates as 2023-01-01 (ISO 8601), or in words like 1 August 2019 or 1er août 2019";

/// English month names, as displayed.
const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// French month names, as displayed.
const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The input as quoted in a message: at most 40 characters.
fn show(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The value of a short run of ASCII digits (callers check the run is digits, at most 4 long).
fn digits_value(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |n, &b| {
        n.saturating_mul(10).saturating_add(u32::from(b - b'0'))
    })
}

/// The date, or an error explaining why `shown` (the date as written) is not one.
fn checked(year: u32, month: u32, day: u32, shown: &str) -> Result<Date, DateError> {
    let y = i32::try_from(year).unwrap_or(i32::MAX);
    if let Some(date) = Date::new(y, month, day) {
        return Ok(date);
    }
    let shown = show(shown);
    let (reason, help) = if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        (
            format!("year {year} is out of range"),
            Some("years go from 1 to 9999".to_owned()),
        )
    } else if !(1..=12).contains(&month) {
        (format!("there is no month {month}"), None)
    } else if day == 0 {
        ("there is no day 0".to_owned(), None)
    } else {
        let days = days_in_month(y, month).unwrap_or(31);
        let name = ENGLISH_MONTHS.get(month as usize - 1).copied().unwrap_or("?");
        let help = (month == 2 && day == 29).then(|| format!("{year} is not a leap year"));
        (format!("{name} {year} has {days} days"), help)
    };
    Err(DateError::new(format!("{shown} is not a date: {reason}"), help))
}

/// Splits `s` into its leading ASCII digits and the rest.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// Parses `YYYY-MM-DD` (`s` is trimmed, starts with a digit and contains a dash).
fn parse_iso(s: &str) -> Result<Date, DateError> {
    let help = Some("ISO dates are written YYYY-MM-DD, e.g. 2023-01-01".to_owned());
    let not_iso = |reason: &str, help: Option<String>| {
        DateError::new(format!("`{}` is not a date: {reason}", show(s)), help)
    };
    let (year, rest) = split_digits(s);
    let Some(rest) = rest.strip_prefix('-') else {
        return Err(not_iso("expected `-` after the year", help));
    };
    let (month, rest) = split_digits(rest);
    let Some(rest) = rest.strip_prefix('-') else {
        return Err(not_iso("expected the month and `-` after the year", help));
    };
    let (day, rest) = split_digits(rest);
    if year.len() != 4 || !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
        let reason = if year.len() != 4 {
            "the year must have four digits"
        } else if month.len() != 2 {
            "the month must have two digits"
        } else {
            "the day must have two digits"
        };
        return Err(not_iso(reason, help));
    }
    if month.len() != 2 || day.len() != 2 {
        let reason = if month.len() != 2 {
            "the month must have two digits"
        } else {
            "the day must have two digits"
        };
        let padded = format!("{year}-{month:0>2}-{day:0>2}{rest}");
        return Err(not_iso(reason, Some(format!("write `{}`", show(&padded)))));
    }
    if !rest.is_empty() {
        return Err(DateError::new(
            format!(
                "unexpected `{}` after the date `{year}-{month}-{day}`",
                show(rest)
            ),
            Some("a date is written alone, e.g. 2023-01-01".to_owned()),
        ));
    }
    checked(
        digits_value(year.as_bytes()),
        digits_value(month.as_bytes()),
        digits_value(day.as_bytes()),
        s,
    )
}

/// Parses `1 August 2019`, `1er août 2019` and the like (`s` is trimmed and contains whitespace).
fn parse_words(s: &str) -> Result<Date, DateError> {
    let not_date = |reason: String, help: Option<String>| {
        DateError::new(format!("`{}` is not a date: {reason}", show(s)), help)
    };
    let mut words = s.split_whitespace();
    let (Some(day_word), Some(month_word), Some(year_word), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(not_date(
            "expected a day, a month name and a year".to_owned(),
            Some(FORMS_HELP.to_owned()),
        ));
    };

    let (day_digits, suffix) = split_digits(day_word);
    if !(1..=2).contains(&day_digits.len()) {
        return Err(not_date(
            format!("expected a day of one or two digits, found `{}`", show(day_word)),
            Some(FORMS_HELP.to_owned()),
        ));
    }
    let day = digits_value(day_digits.as_bytes());
    check_ordinal(day, day_digits, suffix).map_err(|(reason, help)| not_date(reason, help))?;

    let month = month_number(month_word).ok_or_else(|| {
        let folded = fold(month_word);
        let help = folded
            .as_deref()
            .and_then(suggest_month)
            .map(|name| format!("did you mean `{name}`?"))
            .or_else(|| Some("month names are English (August) or French (août, aout)".to_owned()));
        DateError::new(format!("unknown month name `{}`", show(month_word)), help)
    })?;

    if year_word.len() != 4 || !year_word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_date(
            format!("expected a four-digit year, found `{}`", show(year_word)),
            None,
        ));
    }
    let year = digits_value(year_word.as_bytes());
    let y = i32::try_from(year).unwrap_or(i32::MAX);
    if let Some(date) = Date::new(y, month, day) {
        return Ok(date);
    }
    // Same explanations as the ISO form, showing the date as written.
    checked(year, month, day, s)
}

/// Checks the ordinal suffix after a day number (`1er`, `1st`, `2nd`, `23rd`, `4th`; none).
fn check_ordinal(day: u32, digits: &str, suffix: &str) -> Result<(), (String, Option<String>)> {
    if suffix.is_empty() {
        return Ok(());
    }
    let lower = suffix.to_lowercase();
    let english = match (day % 100, day % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if lower == english || (lower == "er" && day == 1) {
        return Ok(());
    }
    let help = if lower == "er" {
        Some("in French only the first is an ordinal (1er); write the other days as numbers".into())
    } else if ["st", "nd", "rd", "th"].contains(&lower.as_str()) {
        Some(format!("write {digits}{english}, or just {digits}"))
    } else {
        Some(FORMS_HELP.to_owned())
    };
    Err((
        format!("unexpected `{}` after the day {digits}", show(suffix)),
        help,
    ))
}

/// Lower case without accents (`Août` → `aout`), or `None` if the word has a character that
/// cannot be part of a month name.
fn fold(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        let base = match c {
            'a'..='z' => c,
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            _ => return None,
        };
        out.push(base);
    }
    Some(out)
}

/// The month (1 to 12) a month name in English or French means.
fn month_number(word: &str) -> Option<u32> {
    let folded = fold(word)?;
    ENGLISH_MONTHS
        .iter()
        .chain(FRENCH_MONTHS.iter())
        .position(|name| fold(name).as_deref() == Some(folded.as_str()))
        .and_then(|i| u32::try_from(i % 12 + 1).ok())
}

/// The month name closest to a misspelt (folded) one, if one is close enough.
fn suggest_month(folded: &str) -> Option<&'static str> {
    if folded.is_empty() || folded.chars().count() > 20 {
        return None;
    }
    ENGLISH_MONTHS
        .iter()
        .chain(FRENCH_MONTHS.iter())
        .filter_map(|name| {
            let distance = strsim::levenshtein(folded, &fold(name)?);
            (distance <= 2 && distance < folded.chars().count()).then_some((distance, *name))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// Dates serialize as their ISO form, `2023-01-01`.
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The civil-calendar count agrees with jiff's span arithmetic on every day of years 1 to
    /// 9999, and `from_days` inverts it.
    #[test]
    fn to_days_is_jiffs_count_on_every_day() {
        let mut day = Date::new(1, 1, 1).unwrap();
        let mut expected = -719_162;
        loop {
            let jiff_days = day.0.duration_since(UNIX_EPOCH).as_secs() / SECONDS_PER_DAY;
            assert_eq!(i64::from(day.to_days()), jiff_days, "{day}");
            assert_eq!(day.to_days(), expected, "{day}");
            assert_eq!(Date::from_days(expected), Some(day));
            let Some(next) = day.0.tomorrow().ok().filter(|d| d.year() <= 9999) else {
                break;
            };
            day = Date(next);
            expected += 1;
        }
        assert_eq!(expected, *DAYS.end());
    }

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::new(y, m, day).expect("valid test date")
    }

    #[test]
    fn new_validates() {
        let cases: &[(i32, u32, u32, bool)] = &[
            (2023, 1, 1, true),
            (2024, 2, 29, true),
            (2000, 2, 29, true),
            (1, 1, 1, true),
            (9999, 12, 31, true),
            (2023, 2, 29, false),
            (1900, 2, 29, false),
            (2023, 4, 31, false),
            (2023, 13, 1, false),
            (2023, 0, 1, false),
            (2023, 1, 0, false),
            (2023, 1, 32, false),
            (0, 1, 1, false),
            (10000, 1, 1, false),
            (-1, 1, 1, false),
            (i32::MAX, u32::MAX, u32::MAX, false),
        ];
        for &(y, m, day, ok) in cases {
            assert_eq!(Date::new(y, m, day).is_some(), ok, "{y}-{m}-{day}");
        }
        let date = d(2024, 2, 29);
        assert_eq!((date.year(), date.month(), date.day()), (2024, 2, 29));
    }

    #[test]
    fn days_known_values() {
        let cases: &[(Date, i32)] = &[
            (d(1970, 1, 1), 0),
            (d(1970, 1, 2), 1),
            (d(1969, 12, 31), -1),
            (d(2000, 3, 1), 11_017),
            (d(2023, 1, 1), 19_358),
            (d(1, 1, 1), -719_162),
            (d(9999, 12, 31), 2_932_896),
        ];
        for &(date, days) in cases {
            assert_eq!(date.to_days(), days, "{date}");
            assert_eq!(Date::from_days(days), Some(date), "{days}");
        }
        assert_eq!(Date::from_days(-719_163), None);
        assert_eq!(Date::from_days(2_932_897), None);
        assert_eq!(Date::from_days(i32::MIN), None);
        assert_eq!(Date::from_days(i32::MAX), None);
    }

    #[test]
    fn parse_good() {
        let cases: &[(&str, Date)] = &[
            ("2023-01-01", d(2023, 1, 1)),
            ("  2024-02-29\n", d(2024, 2, 29)),
            ("0001-01-01", d(1, 1, 1)),
            ("9999-12-31", d(9999, 12, 31)),
            ("1 August 2019", d(2019, 8, 1)),
            ("1er août 2019", d(2019, 8, 1)),
            ("1 aout 2019", d(2019, 8, 1)),
            ("01 janvier 2023", d(2023, 1, 1)),
            ("1st August 2019", d(2019, 8, 1)),
            ("1ER AOÛT 2019", d(2019, 8, 1)),
            ("31 DÉCEMBRE 2022", d(2022, 12, 31)),
            ("31 decembre 2022", d(2022, 12, 31)),
            ("29 février 2024", d(2024, 2, 29)),
            ("22nd March 2021", d(2021, 3, 22)),
            ("13th may 2021", d(2021, 5, 13)),
            ("1\u{a0}juillet\t 2020", d(2020, 7, 1)),
        ];
        for &(text, date) in cases {
            assert_eq!(Date::parse(text), Ok(date), "{text:?}");
            assert_eq!(text.parse::<Date>(), Ok(date), "{text:?}");
        }
    }

    #[test]
    fn parse_errors() {
        // (input, expected message, expected help if it matters)
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("", "expected a date like 2023-01-01, found nothing", None),
            ("   ", "expected a date like 2023-01-01, found nothing", None),
            (
                "garbage",
                "expected a date like 2023-01-01, found `garbage`",
                None,
            ),
            (
                "01/08/2019",
                "expected a date like 2023-01-01, found `01/08/2019`",
                Some("dates are written year first: 2019-08-01"),
            ),
            (
                "20230101",
                "expected a date like 2023-01-01, found `20230101`",
                Some("ISO dates separate year, month and day with dashes: 2023-01-01"),
            ),
            (
                "2023-13-01",
                "2023-13-01 is not a date: there is no month 13",
                None,
            ),
            (
                "2023-00-01",
                "2023-00-01 is not a date: there is no month 0",
                None,
            ),
            ("2023-01-00", "2023-01-00 is not a date: there is no day 0", None),
            (
                "2023-02-29",
                "2023-02-29 is not a date: February 2023 has 28 days",
                Some("2023 is not a leap year"),
            ),
            (
                "2023-02-30",
                "2023-02-30 is not a date: February 2023 has 28 days",
                None,
            ),
            (
                "1900-02-29",
                "1900-02-29 is not a date: February 1900 has 28 days",
                None,
            ),
            (
                "2023-04-31",
                "2023-04-31 is not a date: April 2023 has 30 days",
                None,
            ),
            (
                "0000-01-01",
                "0000-01-01 is not a date: year 0 is out of range",
                None,
            ),
            (
                "2023-1-01",
                "`2023-1-01` is not a date: the month must have two digits",
                Some("write `2023-01-01`"),
            ),
            (
                "2023-01-1",
                "`2023-01-1` is not a date: the day must have two digits",
                Some("write `2023-01-01`"),
            ),
            (
                "23-01-01",
                "`23-01-01` is not a date: the year must have four digits",
                None,
            ),
            (
                "2023-001-01",
                "`2023-001-01` is not a date: the month must have two digits",
                None,
            ),
            (
                "2023-01",
                "`2023-01` is not a date: expected the month and `-` after the year",
                None,
            ),
            (
                "2023--01",
                "`2023--01` is not a date: the month must have two digits",
                None,
            ),
            (
                "2023/01-01",
                "`2023/01-01` is not a date: expected `-` after the year",
                None,
            ),
            (
                "2023-01-01x",
                "unexpected `x` after the date `2023-01-01`",
                Some("a date is written alone, e.g. 2023-01-01"),
            ),
            ("2023-01-01-", "unexpected `-` after the date `2023-01-01`", None),
            (
                "31 juin 2023",
                "31 juin 2023 is not a date: June 2023 has 30 days",
                None,
            ),
            (
                "0 août 2019",
                "0 août 2019 is not a date: there is no day 0",
                None,
            ),
            (
                "29 February 2023",
                "29 February 2023 is not a date: February 2023 has 28 days",
                None,
            ),
            (
                "1 agust 2019",
                "unknown month name `agust`",
                Some("did you mean `August`?"),
            ),
            (
                "1 juilet 2019",
                "unknown month name `juilet`",
                Some("did you mean `juillet`?"),
            ),
            ("1 xyzzy 2019", "unknown month name `xyzzy`", None),
            ("1 08 2019", "unknown month name `08`", None),
            (
                "1 August",
                "`1 August` is not a date: expected a day, a month name and a year",
                None,
            ),
            (
                "1 August 2019 extra",
                "`1 August 2019 extra` is not a date: expected a day, a month name and a year",
                None,
            ),
            (
                "August 1 2019",
                "`August 1 2019` is not a date: expected a day of one or two digits, found `August`",
                None,
            ),
            (
                "001 août 2019",
                "`001 août 2019` is not a date: expected a day of one or two digits, found `001`",
                None,
            ),
            (
                "2er août 2019",
                "`2er août 2019` is not a date: unexpected `er` after the day 2",
                None,
            ),
            (
                "2st August 2019",
                "`2st August 2019` is not a date: unexpected `st` after the day 2",
                Some("write 2nd, or just 2"),
            ),
            (
                "1x August 2019",
                "`1x August 2019` is not a date: unexpected `x` after the day 1",
                None,
            ),
            (
                "1 August 19",
                "`1 August 19` is not a date: expected a four-digit year, found `19`",
                None,
            ),
            (
                "1 August 2019.",
                "`1 August 2019.` is not a date: expected a four-digit year, found `2019.`",
                None,
            ),
            (
                "1 August 0000",
                "1 August 0000 is not a date: year 0 is out of range",
                None,
            ),
        ];
        for &(text, message, help) in cases {
            let err = Date::parse(text).expect_err(text);
            assert_eq!(err.message, message, "{text:?}");
            if let Some(help) = help {
                assert_eq!(err.help.as_deref(), Some(help), "{text:?}");
            }
            assert_eq!(err.to_string(), err.message);
        }
    }

    #[test]
    fn parse_dmy_cases() {
        let good: &[(&str, Date)] = &[
            ("01/01/2017", d(2017, 1, 1)),
            ("29/02/2024", d(2024, 2, 29)),
            ("31/12/9999", d(9999, 12, 31)),
        ];
        for &(text, date) in good {
            assert_eq!(Date::parse_dmy(text), Ok(date), "{text:?}");
            assert_eq!(date.to_dmy(), text);
        }
        let bad: &[(&str, &str)] = &[
            (
                "31/02/2023",
                "31/02/2023 is not a date: February 2023 has 28 days",
            ),
            (
                "29/02/2023",
                "29/02/2023 is not a date: February 2023 has 28 days",
            ),
            ("01/13/2023", "01/13/2023 is not a date: there is no month 13"),
            ("00/01/2023", "00/01/2023 is not a date: there is no day 0"),
            ("01/01/0000", "01/01/0000 is not a date: year 0 is out of range"),
            ("", "expected a date like 31/12/2023 (dd/mm/yyyy), found nothing"),
            (
                "1/01/2023",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `1/01/2023`",
            ),
            (
                "01/01/23",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `01/01/23`",
            ),
            (
                " 01/01/2023",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found ` 01/01/2023`",
            ),
            (
                "01/01/2023 ",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `01/01/2023 `",
            ),
            (
                "01-01-2023",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `01-01-2023`",
            ),
            (
                "2023-01-01",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `2023-01-01`",
            ),
            (
                "0a/01/2023",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `0a/01/2023`",
            ),
            (
                "01/01/2é23",
                "expected a date like 31/12/2023 (dd/mm/yyyy), found `01/01/2é23`",
            ),
        ];
        for &(text, message) in bad {
            let err = Date::parse_dmy(text).expect_err(text);
            assert_eq!(err.message, message, "{text:?}");
        }
    }

    #[test]
    fn display_and_order() {
        assert_eq!(d(1, 2, 3).to_string(), "0001-02-03");
        assert_eq!(d(2023, 12, 31).to_string(), "2023-12-31");
        assert!(d(2022, 12, 31) < d(2023, 1, 1));
        assert!(d(2023, 1, 31) < d(2023, 2, 1));
    }

    #[test]
    fn long_input_is_shortened_in_messages() {
        let long = "x".repeat(10_000);
        let err = Date::parse(&long).expect_err("garbage");
        assert!(err.message.len() < 100, "{}", err.message);
    }

    const UNIX: Date = Date(UNIX_EPOCH);

    /// Days since 1970-01-01 by Howard Hinnant's days-from-civil algorithm, written out here as an
    /// oracle independent of jiff: the artifact format stores these day numbers.
    fn hinnant_days(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let year_of_era = y.rem_euclid(400);
        let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (Date::new(1, 1, 1).map_or(0, Date::to_days)..=Date::new(9999, 12, 31).map_or(0, Date::to_days))
            .prop_map(|days| Date::from_days(days).unwrap_or(UNIX))
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(date in any_date()) {
            prop_assert_eq!(Date::parse(&date.to_string()), Ok(date));
            prop_assert_eq!(Date::parse_dmy(&date.to_dmy()), Ok(date));
            let english = format!("{} {} {}", date.day(), ENGLISH_MONTHS[date.month() as usize - 1], date.year());
            let french = format!("{:02} {} {:04}", date.day(), FRENCH_MONTHS[date.month() as usize - 1], date.year());
            if date.year() >= 1000 {
                prop_assert_eq!(Date::parse(&english), Ok(date));
                prop_assert_eq!(Date::parse(&french), Ok(date));
            }
        }

        #[test]
        fn day_numbers_are_days_from_civil(y in 1i32..=9999, m in 1u32..=12, day in 1u32..=28) {
            let date = Date::new(y, m, day);
            prop_assert!(date.is_some());
            let days = date.map(Date::to_days);
            prop_assert_eq!(days.map(i64::from), Some(hinnant_days(i64::from(y), i64::from(m), i64::from(day))));
        }

        #[test]
        fn days_round_trip_and_monotonic(days in -719_162i32..2_932_896) {
            let date = Date::from_days(days);
            prop_assert!(date.is_some());
            let date = date.unwrap_or(UNIX);
            prop_assert_eq!(date.to_days(), days);
            let next = Date::from_days(days + 1);
            prop_assert!(next.is_some_and(|next| next > date));
            prop_assert_eq!(Date::new(date.year(), date.month(), date.day()), Some(date));
        }

        #[test]
        fn new_then_days_round_trip(y in 1i32..=9999, m in 1u32..=12, day in 1u32..=31) {
            if let Some(date) = Date::new(y, m, day) {
                prop_assert_eq!(Date::from_days(date.to_days()), Some(date));
            } else {
                prop_assert!(day > days_in_month(y, m).unwrap_or(0));
            }
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Date::parse(&s);
            let _ = Date::parse_dmy(&s);
        }

        #[test]
        fn parse_never_panics_on_date_like(s in "[0-9 /a-zA-Zéû\\-]{0,24}") {
            let _ = Date::parse(&s);
            let _ = Date::parse_dmy(&s);
        }
    }
}
