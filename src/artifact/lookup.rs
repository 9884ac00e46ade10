//! Lookups: the head table (the walk's state after every 4-digit prefix), the longest-prefix walk
//! of the number index, and the answer for a number on a date ([`Answer`]: category, territory,
//! rules, holder, doubts). Reads what `reader.rs` opened and `verify` checked; every table access
//! is bounds-checked, and the walk follows digits only, at most `MAX_KEY` of them.

use super::reader::{HEAD_DIGITS, Head, MAX_KEY, in_period};
use super::reader::{Holding, RangeRef, RegisterRow, RuleValue, TerritoryInfo};
use super::verdict::Doubt;
use super::{Artifact, DAY_MAX, DAY_MIN, Kind, NONE, col};
use crate::date::Date;
use std::fmt;

impl<'a> Artifact<'a> {
    /// The walk's state after each 4-digit prefix (10,000 entries), so that a lookup starts four
    /// transitions down: decoding fst nodes is most of a lookup's cost.
    fn build_head(&self) -> Vec<Head> {
        let fst = &self.fst;
        let mut table = vec![Head::default(); 10usize.pow(HEAD_DIGITS as u32)];
        // Depth-first over digit strings, sharing the walk of common prefixes.
        fn walk(fst: &fst::raw::Fst<&[u8]>, table: &mut [Head], index: usize, depth: usize, state: Head) {
            if depth == HEAD_DIGITS {
                table[index] = state;
                return;
            }
            for d in 0..10u8 {
                let mut next = Head {
                    node: None,
                    out: state.out,
                    best: state.best,
                };
                if let Some(addr) = state.node {
                    let node = fst.node(addr);
                    if let Some(t) = node.find_input(b'0' + d) {
                        let t = node.transition(t);
                        let child = fst.node(t.addr);
                        next.out = state.out + t.out.value();
                        next.node = Some(t.addr);
                        if child.is_final() {
                            next.best = Some(((depth + 1) as u8, next.out + child.final_output().value()));
                        }
                    }
                }
                walk(fst, table, index * 10 + usize::from(d), depth + 1, next);
            }
        }
        let root = fst.root();
        let start = Head {
            node: Some(root.addr()),
            out: 0,
            best: root.is_final().then(|| (0, root.final_output().value())),
        };
        walk(fst, &mut table, 0, 0, start);
        table
    }

    /// The longest prefix of `digits` in the number index, with its value.
    #[inline]
    pub(super) fn longest_prefix(&self, digits: &[u8]) -> Option<(usize, u64)> {
        let fst = &self.fst;
        if digits.len() >= HEAD_DIGITS && digits[..HEAD_DIGITS].iter().all(u8::is_ascii_digit) {
            let index = digits[..HEAD_DIGITS]
                .iter()
                .fold(0usize, |i, &b| i * 10 + usize::from(b - b'0'));
            let head = self.head.get_or_init(|| self.build_head())[index];
            let best = head.best.map(|(l, v)| (usize::from(l), v));
            return match head.node {
                Some(addr) => self.walk_from(fst.node(addr), head.out, best, digits, HEAD_DIGITS),
                None => best,
            };
        }
        self.walk_from_root(digits)
    }

    /// The longest prefix of `digits` in the number index, walking from the root.
    fn walk_from_root(&self, digits: &[u8]) -> Option<(usize, u64)> {
        let root = self.fst.root();
        let best = root.is_final().then(|| (0, root.final_output().value()));
        self.walk_from(root, 0, best, digits, 0)
    }

    /// Continues the longest-prefix walk at `node` (reached by the first `start` digits with
    /// output `out`), keeping the longest final state seen.
    fn walk_from<'f>(
        &'f self,
        mut node: fst::raw::Node<'f>,
        out: u64,
        mut best: Option<(usize, u64)>,
        digits: &[u8],
        start: usize,
    ) -> Option<(usize, u64)> {
        let mut out = fst::raw::Output::new(out);
        for (i, &b) in digits.iter().enumerate().skip(start) {
            // The index check proved transitions on digits only: another byte ends the walk.
            if !b.is_ascii_digit() {
                break;
            }
            let Some(t) = node.find_input(b) else { break };
            let t = node.transition(t);
            out = out.cat(t.out);
            node = self.fst.node(t.addr);
            if node.is_final() {
                best = Some((i + 1, out.cat(node.final_output()).value()));
            }
        }
        best
    }

    /// What the plan says of the national number `digits` (trunk prefix included, digits only)
    /// on `date`: the most specific range in force and the block it was allocated in, if any.
    /// `None` when no range of the plan covers the number on that date.
    #[inline]
    pub fn lookup_national(&'a self, digits: &str, date: Date) -> Option<Answer<'a>> {
        self.lookup_digits(digits.as_bytes(), date)
    }

    /// [`Artifact::lookup_national`] of digits as bytes (a parsed number's, with no UTF-8 check).
    #[inline]
    fn lookup_digits(&'a self, digits: &[u8], date: Date) -> Option<Answer<'a>> {
        let (prefix_len, value) = self.longest_prefix(digits)?;
        let (holdings, timeline) = super::split_value(value);
        let day = date.to_days();
        let first = self.word(Kind::Timelines, timeline, col::TL_FIRST);
        let count = self.word(Kind::Timelines, timeline, col::TL_COUNT);
        let range = (first..first.saturating_add(count)).find_map(|s| {
            let from = self.word(Kind::Segments, s, col::SEG_FROM) as i32;
            let until = self.word(Kind::Segments, s, col::SEG_UNTIL) as i32;
            in_period(from, until, day).then(|| self.word(Kind::Segments, s, col::SEG_RANGE))
        })?;
        if range >= self.table(Kind::Ranges).rows {
            return None;
        }
        let mut key = [0u8; MAX_KEY];
        let key_len = prefix_len.min(MAX_KEY).min(digits.len());
        key[..key_len].copy_from_slice(&digits[..key_len]);
        Some(Answer {
            artifact: self,
            key,
            key_len: key_len as u8,
            holdings,
            range,
            date,
            day,
        })
    }

    /// The plan's dialling data, for [`crate::number::parse`].
    pub fn dialling(&self) -> crate::number::Dialling<'_> {
        crate::number::Dialling {
            national_prefix: self.national_prefix(),
            international_prefix: self.international_prefix(),
            country_codes: &self.country_codes,
            prefix_in_numbers: self.national_prefix_in_numbers(),
        }
    }

    /// What the plan says of `number`, written in any usual form (`01 62 12 34 56`,
    /// `+33 1 62 12 34 56`, `0033…`, `15`; see [`crate::number`]), on `date`.
    ///
    /// A number is valid when a range of the plan holds it on that date, its length is one its
    /// category allows, and, if it was written with a country code, that code is its territory's.
    ///
    /// ```
    /// use numplan::artifact::Artifact;
    /// use numplan::date::Date;
    ///
    /// let plan = Artifact::open(numplan::embedded::FR)?;
    /// plan.verify(&Default::default())?; // digest (and, given a key, signature) before trust
    /// let day = Date::new(2023, 1, 1).unwrap();
    /// let found = plan.lookup("+33 1 62 12 34 56", day)?;
    /// assert_eq!(found.e164().as_deref(), Some("+33162123456"));
    /// assert_eq!(found.answer.category().id, "polyvalent-verifie");
    /// // The register names the block's holder (a number may have been ported since).
    /// assert_eq!(found.answer.holder().map(|h| h.code), Some("FREE"));
    /// // May an automated calling system present it? With every reason and its basis.
    /// let automated = plan.use_row("automated-voice").expect("a use of the French plan");
    /// let ruling = found.answer.ruling(automated, &Default::default());
    /// assert_eq!(ruling.verdict, numplan::plan::Verdict::Allowed);
    /// assert_eq!(ruling.reason().basis, Some("2022-1583 annexe 1, §2.3.7"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&'a self, number: &str, date: Date) -> Result<Lookup<'a>, LookupError> {
        let parsed = crate::number::parse(number, &self.dialling()).map_err(LookupError::Number)?;
        let national = parsed.national;
        let Some(answer) = self.lookup_digits(national.as_bytes(), date) else {
            return Err(if self.longest_prefix(national.as_bytes()).is_some() {
                LookupError::NotInForce {
                    national: national.to_string(),
                    date,
                }
            } else {
                LookupError::UnknownPrefix {
                    national: national.to_string(),
                }
            });
        };
        // The checks read only the words they need; names are looked up on the error paths.
        let cc = answer.country_code();
        let lengths = answer.lengths_mask();
        if national.len() >= 32 || lengths & (1 << national.len()) == 0 {
            let category = answer.category();
            return Err(LookupError::Length {
                digits: national.len(),
                allowed: category.lengths(),
                category: category.id.to_string(),
                prefix: answer.prefix().to_string(),
                national: national.to_string(),
            });
        }
        // Another plan's number under the same country code: well formed (its length is checked
        // above: a malformed one is malformed in any plan), but not this plan's to answer.
        let territory = self.word(Kind::Ranges, answer.range, col::RANGE_TERRITORY);
        if self.word(Kind::Territories, territory, col::TER_FOREIGN) == 1 {
            let t = self.territory(territory);
            return Err(LookupError::OtherPlan {
                national: national.to_string(),
                territory: t.name.to_string(),
                country_code: t.country_code,
            });
        }
        if let (Some(written), Some(cc)) = (parsed.country_code, cc)
            && written != cc
        {
            return Err(LookupError::CountryCode {
                written,
                territory: answer.territory_id().to_string(),
                expected: cc,
                national: national.to_string(),
            });
        }
        let np = self.national_prefix().as_bytes();
        let category = self.word(Kind::Ranges, answer.range, col::RANGE_CATEGORY);
        // Without a country code (a territory the sources do not give), there is no E.164 form;
        // nor for a category of short codes.
        let e164 = cc.is_some() && self.word(Kind::Categories, category, col::CAT_E164) == 1;
        if parsed.country_code.is_some() && self.word(Kind::Categories, category, col::CAT_E164) != 1 {
            return Err(LookupError::NoInternationalForm {
                national: national.to_string(),
                category: answer.category().id.to_string(),
            });
        }
        let (has_e164, national_prefix_len) = if self.national_prefix_in_numbers() {
            // Numbers dialled with the trunk prefix have an E.164 form: the digits after it.
            let with_prefix =
                !np.is_empty() && national.as_bytes().starts_with(np) && national.len() > np.len();
            (e164 && with_prefix, np.len())
        } else {
            (e164, 0)
        };
        Ok(Lookup {
            national,
            country_code: cc,
            has_e164,
            national_prefix_len,
            answer,
        })
    }
}

/// A number found in the plan.
#[derive(Clone, Debug)]
pub struct Lookup<'a> {
    /// National digits, trunk prefix included (`0162123456`, `15`).
    pub national: crate::number::Digits,
    /// The country code of its territory.
    pub country_code: Option<u32>,
    has_e164: bool,
    national_prefix_len: usize,
    /// What the plan says of it.
    pub answer: Answer<'a>,
}

impl Lookup<'_> {
    /// The national significant number: the national digits without the trunk prefix, for
    /// numbers dialled with one (`None` for short numbers).
    pub fn significant(&self) -> Option<&str> {
        self.has_e164.then(|| {
            self.national
                .as_str()
                .get(self.national_prefix_len..)
                .unwrap_or("")
        })
    }

    /// [`Lookup::significant`] as bytes, without the UTF-8 check (for streaming).
    pub fn significant_bytes(&self) -> Option<&[u8]> {
        self.has_e164.then(|| {
            self.national
                .as_bytes()
                .get(self.national_prefix_len..)
                .unwrap_or(b"")
        })
    }

    /// E.164 form (`+33162123456`, `+262262123456`), for numbers dialled with the trunk prefix.
    pub fn e164(&self) -> Option<String> {
        self.significant()
            .zip(self.country_code)
            .map(|(s, cc)| format!("+{cc}{s}"))
    }
}

/// Why an input is not a valid number of the plan on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// The input is not a telephone number.
    Number(crate::number::NumberError),
    /// No range of the plan starts like this number.
    UnknownPrefix {
        /// National digits.
        national: String,
    },
    /// Ranges start like this number, but none applies on the date.
    NotInForce {
        /// National digits.
        national: String,
        /// The date asked about.
        date: Date,
    },
    /// The number is too short or too long for its category.
    Length {
        /// National digits.
        national: String,
        /// How many.
        digits: usize,
        /// The lengths the category allows.
        allowed: Vec<usize>,
        /// The category.
        category: String,
        /// The prefix that matched.
        prefix: String,
    },
    /// A number of another plan that shares the country code (a US number under +1 in the
    /// Canadian plan): not this plan's to answer.
    OtherPlan {
        /// National digits.
        national: String,
        /// The name of the territory the plan gives such numbers.
        territory: String,
        /// Its country code.
        country_code: Option<u32>,
    },
    /// Written with a country code, but its category's numbers have no international form (a
    /// short code dialled only inside the country: `+1 911`).
    NoInternationalForm {
        /// National digits.
        national: String,
        /// Its category.
        category: String,
    },
    /// Written with a country code other than its territory's.
    CountryCode {
        /// National digits.
        national: String,
        /// The code written.
        written: u32,
        /// The number's territory.
        territory: String,
        /// Its country code.
        expected: u32,
    },
}

impl LookupError {
    /// The national digits, when the input was a number at all.
    pub fn national(&self) -> Option<&str> {
        match self {
            LookupError::Number(_) => None,
            LookupError::UnknownPrefix { national }
            | LookupError::NotInForce { national, .. }
            | LookupError::Length { national, .. }
            | LookupError::OtherPlan { national, .. }
            | LookupError::NoInternationalForm { national, .. }
            | LookupError::CountryCode { national, .. } => Some(national),
        }
    }

    /// Whether the input is another plan's number (another country's under its own country
    /// code, or one that shares this plan's): not this plan's to judge, rather than malformed.
    /// Another country's number is one of E.164's possible lengths (7 to 15 digits, country
    /// code included); `+3`, or 20 digits after `00`, are malformed in any plan.
    pub fn is_other_plan(&self) -> bool {
        match self {
            LookupError::OtherPlan { .. } => true,
            LookupError::Number(crate::number::NumberError::UnknownCountryCode { digits }) => {
                (7..=15).contains(&digits.len())
            }
            _ => false,
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Number(e) => write!(f, "{e}"),
            LookupError::UnknownPrefix { national } => {
                write!(f, "unknown prefix: no range of the plan holds {national}")
            }
            LookupError::NotInForce { national, date } => {
                write!(
                    f,
                    "not in the plan on {date}: no range holding {national} applies then"
                )
            }
            LookupError::Length {
                national: _,
                digits,
                allowed,
                category,
                prefix,
            } => {
                let which = if allowed.iter().all(|a| a > digits) {
                    "too short"
                } else if allowed.iter().all(|a| a < digits) {
                    "too long"
                } else {
                    "wrong length"
                };
                let allowed: Vec<String> = allowed.iter().map(usize::to_string).collect();
                write!(
                    f,
                    "{which} for its range: {prefix}… numbers ({category}) have {} digits, this one has {digits}",
                    allowed.join(" or ")
                )
            }
            LookupError::OtherPlan {
                national,
                territory,
                country_code,
            } => {
                let cc = country_code.map_or_else(String::new, |c| format!(" under +{c}"));
                write!(
                    f,
                    "not in this plan: {national} is a number of {territory}{cc}, another plan's"
                )
            }
            LookupError::NoInternationalForm { national, category } => write!(
                f,
                "no international form: {national} ({category}) is dialled only inside the country, not after a country code"
            ),
            LookupError::CountryCode {
                national: _,
                written,
                territory,
                expected,
            } => write!(
                f,
                "wrong country code: this number is in territory `{territory}`, reached as +{expected}, not +{written}"
            ),
        }
    }
}

impl std::error::Error for LookupError {}

/// A category as the artifact stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CategoryRef<'a> {
    /// Slug.
    pub id: &'a str,
    /// Official name.
    pub name: &'a str,
    lengths: u32,
}

impl<'a> Artifact<'a> {
    /// The plan's categories, in the plan's order, with their lengths.
    pub fn categories(&self) -> impl Iterator<Item = CategoryRef<'a>> + '_ {
        let k = Kind::Categories;
        (0..self.rows(k)).map(move |c| CategoryRef {
            id: self.string(k, c, col::CAT_ID),
            name: self.string(k, c, col::CAT_NAME),
            lengths: self.word(k, c, col::CAT_LENGTHS),
        })
    }
}

impl CategoryRef<'_> {
    /// Whether numbers of the category may have `len` digits.
    pub fn allows_length(&self, len: usize) -> bool {
        len < 32 && self.lengths & (1 << len) != 0
    }

    /// The allowed lengths, ascending.
    pub fn lengths(&self) -> Vec<usize> {
        (0..32).filter(|&l| self.lengths & (1 << l) != 0).collect()
    }
}

/// The answer for one number on one date.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    artifact: &'a Artifact<'a>,
    key: [u8; MAX_KEY],
    key_len: u8,
    /// The holdings word of the key (see `hold_segments`).
    holdings: u32,
    range: u32,
    date: Date,
    /// `date` as a day number.
    day: i32,
}

impl<'a> Answer<'a> {
    fn a(&self) -> &'a Artifact<'a> {
        self.artifact
    }

    fn source(&self, file: u32, line: u32) -> String {
        format!("{}:{line}", self.a().string(Kind::Files, file, col::FILE_NAME))
    }

    /// The longest prefix of the number that the index holds.
    pub fn prefix(&self) -> &str {
        // Index keys are ASCII digits (the compiler writes only those).
        std::str::from_utf8(&self.key[..usize::from(self.key_len)]).unwrap_or("")
    }

    /// The date asked about.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The date asked about, as a day number.
    pub(crate) fn day(&self) -> i32 {
        self.day
    }

    /// The category, with the lengths that apply to this number (its range's, when the range
    /// narrows them).
    pub fn category(&self) -> CategoryRef<'a> {
        let c = self.a().word(Kind::Ranges, self.range, col::RANGE_CATEGORY);
        let k = Kind::Categories;
        CategoryRef {
            id: self.a().string(k, c, col::CAT_ID),
            name: self.a().string(k, c, col::CAT_NAME),
            lengths: self.lengths_mask(),
        }
    }

    /// The territory of the range.
    pub fn territory(&self) -> TerritoryInfo<'a> {
        let t = self.a().word(Kind::Ranges, self.range, col::RANGE_TERRITORY);
        self.a().territory(t)
    }

    /// The lengths its numbers may have, as a bitmask (bit n: length n): the range's own, or its
    /// category's.
    pub fn lengths_mask(&self) -> u32 {
        let a = self.a();
        let own = a.word(Kind::Ranges, self.range, col::RANGE_LENGTHS);
        if own != 0 && own != NONE {
            return own;
        }
        let c = a.word(Kind::Ranges, self.range, col::RANGE_CATEGORY);
        a.word(Kind::Categories, c, col::CAT_LENGTHS)
    }

    /// Just the territory's country code, when the sources give it.
    pub fn country_code(&self) -> Option<u32> {
        let t = self.a().word(Kind::Ranges, self.range, col::RANGE_TERRITORY);
        let cc = self.a().word(Kind::Territories, t, col::TER_COUNTRY_CODE);
        (cc != NONE).then_some(cc)
    }

    /// Whether its numbers have an E.164 form: a country code, and a category that is not one
    /// of short codes (`e164: false`). In a plan that writes numbers with the trunk prefix, only
    /// the numbers dialled with it have one.
    pub fn has_e164_form(&self) -> bool {
        let a = self.a();
        let c = a.word(Kind::Ranges, self.range, col::RANGE_CATEGORY);
        self.country_code().is_some() && a.word(Kind::Categories, c, col::CAT_E164) == 1
    }

    /// The period in which this answer's range and register row both hold: from the later start
    /// to the earlier end (`None`: since always, until further notice).
    pub fn in_force(&self) -> (Option<Date>, Option<Date>) {
        let a = self.a();
        let day = self.day;
        let days = |d: Option<Date>, none: i32| d.map_or(none, Date::to_days);
        let (mut from, mut until) = (DAY_MIN, DAY_MAX);
        let segments = a.resolve(self.prefix()).map(|r| r.segments).unwrap_or_default();
        if let Some(s) = segments
            .iter()
            .find(|s| in_period(days(s.from, DAY_MIN), days(s.until, DAY_MAX), day))
        {
            (from, until) = (days(s.from, DAY_MIN), days(s.until, DAY_MAX));
        }
        if let Some(seg) = a.hold_segments(self.holdings).find(|h| h.contains(day)) {
            from = from.max(seg.from);
            until = until.min(seg.until);
        }
        let date = |d: i32| match d {
            DAY_MIN | DAY_MAX => None,
            d => Date::from_days(d),
        };
        (date(from), date(until))
    }

    /// Whether its territory is foreign: another plan's numbers under the same country code
    /// (without building the territory's words).
    pub fn is_foreign(&self) -> bool {
        let a = self.a();
        let t = a.word(Kind::Ranges, self.range, col::RANGE_TERRITORY);
        a.word(Kind::Territories, t, col::TER_FOREIGN) == 1
    }

    /// Just the territory's slug.
    pub fn territory_id(&self) -> &'a str {
        let t = self.a().word(Kind::Ranges, self.range, col::RANGE_TERRITORY);
        self.a().string(Kind::Territories, t, col::TER_ID)
    }

    /// The row of the range that answers, in the artifact's range table: answers with the same
    /// row and date have the same category, territory and rules (for caching them).
    pub fn range_row(&self) -> u32 {
        self.range
    }

    /// The range entry that answers: its numbers, basis and `file:line`.
    pub fn range(&self) -> RangeRef<'a> {
        let a = self.a();
        let k = Kind::Ranges;
        RangeRef {
            numbers: a.string(k, self.range, col::RANGE_NUMBERS),
            basis: a.opt_string(k, self.range, col::RANGE_BASIS),
            source: self.source(
                a.word(k, self.range, col::RANGE_FILE),
                a.word(k, self.range, col::RANGE_LINE),
            ),
        }
    }

    /// The rows of the category's rule statements in force on the date, in source order.
    fn statements_in_force(&self) -> impl Iterator<Item = u32> + use<'a> {
        let a = self.a();
        let c = a.word(Kind::Ranges, self.range, col::RANGE_CATEGORY);
        let first = a.word(Kind::Categories, c, col::CAT_STMT_FIRST);
        let count = a.word(Kind::Categories, c, col::CAT_STMT_COUNT);
        let day = self.day;
        (first..first.saturating_add(count)).filter(move |&s| {
            let from = a.word(Kind::Statements, s, col::STMT_FROM) as i32;
            let until = a.word(Kind::Statements, s, col::STMT_UNTIL) as i32;
            in_period(from, until, day)
        })
    }

    /// Every rule of the category in force on the date, in source order.
    pub fn rules(&self) -> Vec<RuleValue<'a>> {
        let a = self.a();
        let k = Kind::Statements;
        let date = |w: u32| match w as i32 {
            DAY_MIN | DAY_MAX => None,
            d => Date::from_days(d),
        };
        self.statements_in_force()
            .map(|s| RuleValue {
                rule: a.string(Kind::Rules, a.word(k, s, col::STMT_RULE), col::RULE_ID),
                value: a.string(Kind::RuleValues, a.word(k, s, col::STMT_VALUE), col::VALUE),
                from: date(a.word(k, s, col::STMT_FROM)),
                until: date(a.word(k, s, col::STMT_UNTIL)),
                basis: a.string(k, s, col::STMT_BASIS),
                source: self.source(a.word(k, s, col::STMT_FILE), a.word(k, s, col::STMT_LINE)),
            })
            .collect()
    }

    /// The value of one rule on the date, if the category states it then.
    pub fn rule(&self, rule: &str) -> Option<RuleValue<'a>> {
        self.rules().into_iter().find(|r| r.rule == rule)
    }

    /// Just the value of one rule on the date, without allocating.
    pub fn rule_value(&self, rule: &str) -> Option<&'a str> {
        self.a().rule_row(rule).and_then(|row| self.rule_value_at(row))
    }

    /// The value of the rule at row `rule` of the vocabulary ([`Artifact::rule_row`]) on the date:
    /// the fastest form, for streaming.
    pub fn rule_value_at(&self, rule: u32) -> Option<&'a str> {
        let a = self.a();
        let k = Kind::Statements;
        self.statements_in_force()
            .find(|&s| a.word(k, s, col::STMT_RULE) == rule)
            .map(|s| a.string(Kind::RuleValues, a.word(k, s, col::STMT_VALUE), col::VALUE))
    }

    /// The category's legal basis, if written.
    pub fn category_basis(&self) -> Option<&'a str> {
        let c = self.a().word(Kind::Ranges, self.range, col::RANGE_CATEGORY);
        self.a().opt_string(Kind::Categories, c, col::CAT_BASIS)
    }

    /// Every holding of the number's block over time, in date order (one for a block that never
    /// changed hands; none for numbers no register snapshot allocates). Rows without a holder
    /// (a CNAC code Available for a while) are left out: see [`Answer::register_rows`].
    pub fn holdings(&self) -> Vec<Holding<'a>> {
        let a = self.a();
        a.hold_segments(self.holdings)
            .filter_map(|seg| a.holding(self.prefix(), seg))
            .collect()
    }

    /// Every register row covering the number over time, in date order, with or without a
    /// holder.
    pub fn register_rows(&self) -> Vec<RegisterRow<'a>> {
        let a = self.a();
        a.hold_segments(self.holdings)
            .map(|seg| a.register_row(self.prefix(), seg))
            .collect()
    }

    /// The block holder on the date, if a block holds the number then.
    pub fn holder(&self) -> Option<Holding<'a>> {
        self.register_row().and_then(RegisterRow::into_holding)
    }

    /// The register row covering the number on the date, with or without a holder: its status
    /// for registers that give one (CNAC's `Available`, `Not Available`…).
    pub fn register_row(&self) -> Option<RegisterRow<'a>> {
        let a = self.a();
        let day = self.day;
        a.hold_segments(self.holdings)
            .find(|h| h.contains(day))
            .map(|seg| a.register_row_on(self.prefix(), seg, day))
    }

    /// Just the register status on the date, without allocating (`None` for a register without
    /// statuses, or no row).
    #[inline]
    pub fn status(&self) -> Option<&'a str> {
        let a = self.a();
        a.row_on(self.holdings, self.day)
            .and_then(|row| a.row_status(row).0)
    }

    /// Whether a register block holds the number on the date, without allocating.
    #[inline]
    pub fn is_allocated(&self) -> bool {
        self.a().held_row(self.holdings, self.day).is_some()
    }

    /// Just the block holder's operator code on the date, without allocating.
    #[inline]
    pub fn holder_code(&self) -> Option<&'a str> {
        let a = self.a();
        let row = a.held_row(self.holdings, self.day)?;
        let op = a.word(Kind::Blocks, row, col::BLOCK_OPERATOR);
        Some(a.string(Kind::Operators, op, col::OP_CODE))
    }

    /// The row of the answer's category.
    pub(crate) fn category_row(&self) -> u32 {
        self.a().word(Kind::Ranges, self.range, col::RANGE_CATEGORY)
    }

    /// The artifact the answer comes from.
    pub(crate) fn artifact(&self) -> &'a Artifact<'a> {
        self.artifact
    }

    /// What the sources leave unsure about this answer: the range's, its category's and its
    /// territory's doubts, those of the category's rules in force, and those of the day's block
    /// holder (see [`Holding::doubts`]).
    pub fn doubts(&self) -> Vec<Doubt<'a>> {
        let a = self.a();
        let mut out = Vec::new();
        let r = self.range;
        if let Some(text) = a.opt_string(Kind::Ranges, r, col::RANGE_DOUBT) {
            let source = self.range().source;
            out.push(Doubt {
                text: text.into(),
                source,
            });
        }
        let c = self.category_row();
        if let Some(text) = a.opt_string(Kind::Categories, c, col::CAT_DOUBT) {
            let k = Kind::Categories;
            let source = a.source_of(a.word(k, c, col::CAT_FILE), a.word(k, c, col::CAT_LINE));
            out.push(Doubt {
                text: text.into(),
                source,
            });
        }
        let t = a.word(Kind::Ranges, r, col::RANGE_TERRITORY);
        if let Some(text) = a.opt_string(Kind::Territories, t, col::TER_DOUBT) {
            let k = Kind::Territories;
            let source = a.source_of(a.word(k, t, col::TER_FILE), a.word(k, t, col::TER_LINE));
            out.push(Doubt {
                text: text.into(),
                source,
            });
        }
        let k = Kind::Statements;
        for st in self.statements_in_force() {
            if let Some(text) = a.opt_string(k, st, col::STMT_DOUBT) {
                let source = a.source_of(a.word(k, st, col::STMT_FILE), a.word(k, st, col::STMT_LINE));
                out.push(Doubt {
                    text: text.into(),
                    source,
                });
            }
        }
        out.extend(
            self.register_row()
                .map(|r| r.doubts(self.date))
                .unwrap_or_default(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head table is a cache: starting from it must give what walking from the root gives.
    #[test]
    fn the_head_table_agrees_with_the_plain_walk() {
        let a = Artifact::open(crate::embedded::FR).unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let len = (next() % 15) as usize;
            // Mostly numbers starting with 0 (where the plan is dense), some with 1 or 3.
            let first = [b'0', b'0', b'0', b'1', b'3'][(next() % 5) as usize];
            let mut digits = vec![first];
            digits.extend((1..len.max(1)).map(|_| b'0' + (next() % 10) as u8));
            assert_eq!(
                a.longest_prefix(&digits),
                a.walk_from_root(&digits),
                "{}",
                String::from_utf8_lossy(&digits)
            );
            checked += usize::from(a.walk_from_root(&digits).is_some());
        }
        assert!(checked > 10_000, "the sample mostly hits the index: {checked}");
    }
}
