//! The plan on a day as a list: the numbers a selection keeps, as the fewest prefixes, each with
//! the lengths its numbers have and what the plan says of them (category, territory, block
//! holder, every use's verdict). What `numplan export` writes, and what blockers and switches
//! load.
//!
//! **Exact.** A number is in the list if and only if [`Artifact::lookup`] answers it on that day
//! as a valid number that meets every condition. The index keys cut the number space into
//! regions (the numbers under a key and under no longer key that is a prefix of them); within a
//! region, and for one length, the answer is one: so a region of one length is either kept
//! whole or left out. A region is written as the prefixes of its key minus its longer keys,
//! then prefixes of the same answer are merged (ten siblings make their parent).
//!
//! **Conditions** (`--where`), ANDed; a condition may list values, ORed: `USE=VERDICT` (a use of
//! the plan and `allowed`, `forbidden`, `conditional`, `unknown`), `category=ID`,
//! `territory=ID`, `country-code=N`, `operator=CODE` (the block holder on the day),
//! `allocated=yes|no`. Names and values are the plan's: an unknown one is an error naming the
//! valid choices.

use crate::artifact::{Answer, Artifact, Context};
use crate::date::Date;
use crate::plan::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a condition reads of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Field {
    /// The verdict of a use (its row).
    Use(u32),
    Category,
    Territory,
    CountryCode,
    Operator,
    Allocated,
}

/// The fields every plan has, with what their values are.
const FIELDS: [(&str, &str); 5] = [
    ("category", "a category id"),
    ("territory", "a territory id"),
    ("country-code", "a country code"),
    ("operator", "a block holder's code"),
    ("allocated", "yes or no"),
];

/// One `--where` condition: a field and the values it may have.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Condition {
    field: Field,
    values: Vec<String>,
}

/// The conditions of an export, checked against one plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    conditions: Vec<Condition>,
}

/// Why a `--where` condition cannot be read against the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionError {
    /// Not `FIELD=VALUE[,VALUE…]`.
    Syntax {
        /// The condition as given.
        given: String,
    },
    /// No such field (or use) in the plan.
    UnknownField {
        /// The field given.
        field: String,
        /// The plan's fields: its uses, then the fields every plan has.
        known: Vec<String>,
    },
    /// No such value for the field.
    UnknownValue {
        /// The field.
        field: String,
        /// The value given.
        value: String,
        /// The values it may have (for a field whose values the plan lists).
        known: Vec<String>,
    },
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectionError::Syntax { given } => write!(
                f,
                "--where `{given}`: expected FIELD=VALUE, several values separated by commas (`category=a,b`)"
            ),
            SelectionError::UnknownField { field, known } => write!(
                f,
                "--where: unknown field `{field}`; the fields are: {}",
                known.join(", ")
            ),
            SelectionError::UnknownValue { field, value, known } => {
                // An operator list has hundreds: the first ones and the count.
                let shown: Vec<&str> = known.iter().take(30).map(String::as_str).collect();
                let more = if known.len() > shown.len() {
                    format!(", … ({} in all)", known.len())
                } else {
                    String::new()
                };
                write!(
                    f,
                    "--where {field}: `{value}` is not one of: {}{more}",
                    shown.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for SelectionError {}

impl Selection {
    /// Reads `--where` conditions (`FIELD=VALUE[,VALUE…]`) against the plan of `a`.
    pub fn parse(a: &Artifact<'_>, conditions: &[&str]) -> Result<Selection, SelectionError> {
        let mut out = Vec::new();
        for given in conditions {
            let Some((field, values)) = given.split_once('=') else {
                return Err(SelectionError::Syntax {
                    given: given.to_string(),
                });
            };
            let (field, values) = (field.trim(), values.trim());
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            if values.iter().any(String::is_empty) {
                return Err(SelectionError::Syntax {
                    given: given.to_string(),
                });
            }
            let unknown_value = |value: &str, known: Vec<String>| SelectionError::UnknownValue {
                field: field.to_string(),
                value: value.to_string(),
                known,
            };
            let check = |known: Vec<String>| -> Result<(), SelectionError> {
                match values.iter().find(|v| !known.contains(v)) {
                    Some(v) => Err(unknown_value(v, known)),
                    None => Ok(()),
                }
            };
            let field = match field {
                "category" => {
                    check(a.category_ids().map(str::to_string).collect())?;
                    Field::Category
                }
                "territory" => {
                    check(a.territories().map(|t| t.id.to_string()).collect())?;
                    Field::Territory
                }
                "country-code" => {
                    let codes: BTreeSet<u32> = a.territories().filter_map(|t| t.country_code).collect();
                    check(codes.iter().map(u32::to_string).collect())?;
                    Field::CountryCode
                }
                "operator" => {
                    check(a.operator_codes().map(str::to_string).collect())?;
                    Field::Operator
                }
                "allocated" => {
                    check(vec!["yes".to_string(), "no".to_string()])?;
                    Field::Allocated
                }
                name => match a.use_row(name) {
                    Some(row) => {
                        let verdicts = [
                            Verdict::Allowed,
                            Verdict::Forbidden,
                            Verdict::Conditional,
                            Verdict::Unknown,
                        ];
                        check(verdicts.iter().map(|v| v.as_str().to_string()).collect())?;
                        Field::Use(row)
                    }
                    None => {
                        let mut known: Vec<String> = a.uses().map(|u| u.id.to_string()).collect();
                        known.extend(FIELDS.iter().map(|(f, _)| f.to_string()));
                        return Err(SelectionError::UnknownField {
                            field: name.to_string(),
                            known,
                        });
                    }
                },
            };
            out.push(Condition { field, values });
        }
        Ok(Selection { conditions: out })
    }

    /// Whether an answer meets every condition (verdicts with nothing known of the call).
    fn keeps(&self, answer: &Answer<'_>, ctx: &Context) -> bool {
        self.conditions.iter().all(|c| {
            let is = |v: &str| c.values.iter().any(|x| x == v);
            match c.field {
                Field::Use(row) => is(answer.verdict(row, ctx).as_str()),
                Field::Category => is(answer.category().id),
                Field::Territory => is(answer.territory_id()),
                Field::CountryCode => answer.country_code().is_some_and(|cc| is(&cc.to_string())),
                Field::Operator => answer.holder_code().is_some_and(is),
                Field::Allocated => is(if answer.is_allocated() { "yes" } else { "no" }),
            }
        })
    }
}

/// What the plan says of the numbers of an entry: everything but the prefixes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Said<'a> {
    /// Category id.
    pub category: &'a str,
    /// Territory id.
    pub territory: &'a str,
    /// The territory's country code, when the sources give it.
    pub country_code: Option<u32>,
    /// Whether the numbers have an E.164 form (a country code, and not a short code).
    pub e164: bool,
    /// The block holder on the day, if a block holds them.
    pub holder: Option<&'a str>,
    /// Every use's verdict on the day, in the plan's order of uses.
    pub verdicts: Vec<Verdict>,
    /// The first day the range and the register row that answer hold (`None`: since always).
    pub from: Option<Date>,
    /// The first day they no longer do (`None`: until further notice).
    pub until: Option<Date>,
    /// The range's legal basis.
    pub basis: Option<&'a str>,
    /// `file:line` of the range entry.
    pub source: String,
}

/// One line of an export: national prefixes of one length set and one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The national prefix (as the plan writes its numbers: `0162`, `613555`).
    pub national: String,
    /// Its E.164 digits without `+` (`33162`, `1613555`), when the numbers have an E.164 form.
    pub e164: Option<String>,
    /// The national lengths of its numbers.
    pub lengths: Vec<usize>,
    /// The same as E.164 lengths (country code included), when they have an E.164 form.
    pub e164_lengths: Vec<usize>,
    /// What the plan says of them.
    pub said: Said<'a>,
}

/// The numbers of the plan in `a` that `selection` keeps on `day`, as the fewest prefixes, in
/// prefix order (see the module docs).
pub fn export<'a>(a: &'a Artifact<'a>, day: Date, selection: &Selection) -> Vec<Entry<'a>> {
    let ctx = Context::default();
    let keys: Vec<String> = a
        .entries()
        .map(|e| String::from_utf8(e.key).unwrap_or_default())
        .collect();
    // Each key's children: the keys of which it is the longest proper prefix among keys. The
    // keys come sorted, so a stack of the open ancestors finds them in one pass.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        while open.last().is_some_and(|&p| !k.starts_with(keys[p].as_str())) {
            open.pop();
        }
        if let Some(&p) = open.last() {
            children[p].push(i);
        }
        open.push(i);
    }
    let np = a.national_prefix();
    let in_numbers = a.national_prefix_in_numbers();
    let uses = a.uses().count().min(32) as u32;
    // Prefixes by answer and length, the answer keyed by what decides it (the range row, the
    // holder, the verdicts, the period): cheap to hash, and its words built once per answer.
    let mut kept: std::collections::HashMap<(AnswerKey<'a>, usize), Vec<String>> = Default::default();
    let mut said_of: std::collections::HashMap<AnswerKey<'a>, Said<'a>> = Default::default();
    for (i, key) in keys.iter().enumerate() {
        let Some(answer) = a.lookup_national(key, day) else {
            continue;
        };
        if answer.prefix() != key.as_str() || answer.is_foreign() || !selection.keeps(&answer, &ctx) {
            continue;
        }
        let mask = answer.lengths_mask();
        let (from, until) = answer.in_force();
        let verdicts = (0..uses).fold(0u64, |bits, u| {
            bits | (u64::from(verdict_bits(answer.verdict(u, &ctx))) << (2 * u))
        });
        let group = AnswerKey {
            range: answer.range_row(),
            holder: answer.holder_code(),
            verdicts,
            from,
            until,
        };
        said_of.entry(group).or_insert_with(|| {
            let range = answer.range();
            Said {
                category: answer.category().id,
                territory: answer.territory_id(),
                country_code: answer.country_code(),
                e164: answer.has_e164_form(),
                holder: group.holder,
                verdicts: (0..uses).map(|u| answer.verdict(u, &ctx)).collect(),
                from,
                until,
                basis: range.basis,
                source: range.source,
            }
        });
        for length in (key.len()..32).filter(|&l| mask & (1 << l) != 0) {
            // The children that take numbers of this length away from the key's region.
            let taken: Vec<&str> = children[i]
                .iter()
                .map(|&c| keys[c].as_str())
                .filter(|c| c.len() <= length)
                .collect();
            let prefixes = kept.entry((group, length)).or_default();
            region(key, &taken, prefixes);
        }
    }
    // Merge each answer's prefixes (ten siblings make their parent), then gather the lengths of
    // one prefix and answer into one entry.
    let mut by_prefix: BTreeMap<(String, Said<'a>), Vec<usize>> = BTreeMap::new();
    for ((group, length), prefixes) in kept {
        let Some(said) = said_of.get(&group) else { continue };
        for p in merge_siblings(prefixes) {
            by_prefix.entry((p, said.clone())).or_default().push(length);
        }
    }
    by_prefix
        .into_iter()
        .map(|((national, said), mut lengths)| {
            lengths.sort_unstable();
            let e164 = said.e164.then_some(()).and_then(|()| {
                let cc = said.country_code?;
                let significant = if in_numbers {
                    national.strip_prefix(np)?
                } else {
                    national.as_str()
                };
                Some((cc, significant.to_string()))
            });
            let trunk = if in_numbers { np.len() } else { 0 };
            let (e164, e164_lengths) = match e164 {
                Some((cc, significant)) => {
                    let cc_len = cc.to_string().len();
                    let lengths = lengths.iter().map(|l| l - trunk + cc_len).collect();
                    (Some(format!("{cc}{significant}")), lengths)
                }
                None => (None, Vec::new()),
            };
            Entry {
                national,
                e164,
                lengths,
                e164_lengths,
                said,
            }
        })
        .collect()
}

/// The export on `day` and the changes already known for later days: every entry that the
/// selection keeps on some day from `day` on, with `from` and `until` the days between which it
/// does (`from` is `day` for those kept that day). The plan's answers change only on its
/// [`Artifact::change_days`], so the exports of those days say everything.
pub fn export_ahead<'a>(a: &'a Artifact<'a>, day: Date, selection: &Selection) -> Vec<Entry<'a>> {
    let days: Vec<Date> = std::iter::once(day)
        .chain(a.change_days().into_iter().filter(|&d| d > day))
        .collect();
    // Open entries (kept on the previous day) by prefix, lengths and answer, with their start.
    type Key<'a> = (String, Vec<usize>, Said<'a>);
    let mut open: BTreeMap<Key<'a>, (Date, Entry<'a>)> = BTreeMap::new();
    let mut done: Vec<Entry<'a>> = Vec::new();
    for &d in &days {
        let mut now: BTreeMap<Key<'a>, Entry<'a>> = BTreeMap::new();
        for e in export(a, d, selection) {
            let mut said = e.said.clone();
            (said.from, said.until) = (None, None);
            now.insert((e.national.clone(), e.lengths.clone(), said), e);
        }
        let closed: Vec<Key<'a>> = open.keys().filter(|k| !now.contains_key(*k)).cloned().collect();
        for k in closed {
            if let Some((from, mut e)) = open.remove(&k) {
                (e.said.from, e.said.until) = (Some(from), Some(d));
                done.push(e);
            }
        }
        for (k, e) in now {
            open.entry(k).or_insert((d, e));
        }
    }
    for (_, (from, mut e)) in open {
        (e.said.from, e.said.until) = (Some(from), None);
        done.push(e);
    }
    done.sort_by(|x, y| (&x.national, x.said.from).cmp(&(&y.national, y.said.from)));
    done
}

/// Disjoint prefixes (none a prefix of another), sorted, with any ten siblings `p0` … `p9` merged
/// into `p`, repeatedly: in one pass over the sorted list, a stack whose top ten, when they are
/// the ten children of one parent, become it. Linear, where the general
/// [`crate::range::canonical_prefixes`] also removes covered prefixes, which regions never have.
fn merge_siblings(mut prefixes: Vec<String>) -> Vec<String> {
    prefixes.sort_unstable();
    prefixes.dedup();
    let mut stack: Vec<String> = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        stack.push(p);
        loop {
            let n = stack.len();
            if n < 10 {
                break;
            }
            let last = &stack[n - 1];
            let Some(parent) = last
                .get(..last.len().saturating_sub(1))
                .filter(|_| !last.is_empty())
            else {
                break;
            };
            let siblings = stack[n - 10..].iter().enumerate().all(|(d, q)| {
                q.len() == last.len() && q.starts_with(parent) && q.as_bytes()[q.len() - 1] == b'0' + d as u8
            });
            if !siblings {
                break;
            }
            let parent = parent.to_string();
            stack.truncate(n - 10);
            stack.push(parent);
        }
    }
    stack
}

/// What decides an answer of the export: its range row (category, territory, lengths, basis,
/// source), its holder, its verdicts (two bits a use) and the period they hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct AnswerKey<'a> {
    range: u32,
    holder: Option<&'a str>,
    verdicts: u64,
    from: Option<Date>,
    until: Option<Date>,
}

fn verdict_bits(v: Verdict) -> u8 {
    match v {
        Verdict::Allowed => 0,
        Verdict::Forbidden => 1,
        Verdict::Conditional => 2,
        Verdict::Unknown => 3,
    }
}

/// The prefixes of the numbers that start with `key` and with none of `taken` (longer keys):
/// `key` itself when nothing is taken, else its ten extensions, each kept whole, dropped (a
/// taken key), or split further.
fn region(key: &str, taken: &[&str], out: &mut Vec<String>) {
    if taken.is_empty() {
        out.push(key.to_string());
        return;
    }
    if taken.contains(&key) {
        return;
    }
    for d in b'0'..=b'9' {
        let mut next = key.to_string();
        next.push(char::from(d));
        let under: Vec<&str> = taken
            .iter()
            .copied()
            .filter(|t| t.starts_with(next.as_str()))
            .collect();
        region(&next, &under, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_merge_as_the_canonical_form_does() {
        let cases: [&[&str]; 4] = [
            &[
                "0162", "0160", "0161", "0163", "0164", "0165", "0166", "0167", "0168", "0169",
            ],
            &[
                "01620", "01621", "01622", "01623", "01624", "01625", "01626", "01627", "01628", "01629",
                "0160",
            ],
            &["3", "40", "41"],
            &[
                "00", "01", "02", "03", "04", "05", "06", "07", "08", "090", "091", "092", "093", "094",
                "095", "096", "097", "098", "099",
            ],
        ];
        for case in cases {
            let v: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                merge_siblings(v.clone()),
                crate::range::canonical_prefixes(v),
                "{case:?}"
            );
        }
    }

    #[test]
    fn a_region_is_its_key_minus_its_longer_keys() {
        let mut out = Vec::new();
        region("016", &["0162", "01634"], &mut out);
        let expected: Vec<String> = [
            "0160", "0161", "01630", "01631", "01632", "01633", "01635", "01636", "01637", "01638", "01639",
            "0164", "0165", "0166", "0167", "0168", "0169",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(out, expected);
        out.clear();
        region("1", &[], &mut out);
        assert_eq!(out, ["1"]);
        out.clear();
        region("1", &["1"], &mut out);
        assert!(out.is_empty());
    }
}
