//! Checks of the ranges files: syntax, references, periods, lengths, and conflicts between
//! ranges.

use super::{Builder, Validator, doubt};
use crate::diag::{Code, Diagnostic};
use crate::load;
use crate::plan::{self, Range, Resolver};
use crate::range;
use crate::span::FileId;
use std::collections::BTreeSet;

impl Validator<'_> {
    pub(super) fn range(&mut self, b: &mut Builder, file: FileId, r: &load::RawRange) {
        let nspan = self.span(file, &r.numbers);
        let numbers = match range::parse(&r.numbers.value) {
            Ok(x) => Some(x),
            Err(e) => {
                let span = self.value_sub_span(file, &r.numbers, e.offset, e.len);
                let mut d =
                    Diagnostic::error(Code::RangeSyntax, span, format!("invalid range: {}", e.message))
                        .with_label("here");
                d = d.with_help(e.help.unwrap_or_else(|| {
                    "write prefixes (`0162`), ranges (`0270-0271`) or lists (`0162, 0163`)".to_string()
                }));
                self.error(d);
                None
            }
        };
        let category = self.reference(&b.categories, &r.category.value, self.span(file, &r.category));
        let territory = self.reference(&b.territories, &r.territory.value, self.span(file, &r.territory));
        let period = self.period(file, &r.from, &r.until);
        // `Some(None)`: no basis written; `None`: a basis that does not resolve.
        let basis = match &r.basis {
            Some(s) => self.basis(b, file, s).map(Some),
            None => Some(None),
        };
        let (Some(numbers), Some(category), Some(territory), Some(period), Some(basis)) =
            (numbers, category, territory, period, basis)
        else {
            b.broken_ranges = true;
            return;
        };
        // No item may be longer than the longest number of the category.
        // Narrower lengths for this range: each must be one the category allows.
        let mut lengths = None;
        if let Some(ls) = &r.lengths {
            let cat = &b.categories[category];
            let mut own = Vec::new();
            for l in &ls.value {
                let ok = u8::try_from(l.value).is_ok_and(|v| cat.lengths.contains(&v));
                if ok {
                    own.push(l.value as u8);
                } else if !b.broken_lengths.contains(&category) {
                    let allowed: Vec<String> = cat.lengths.iter().map(u8::to_string).collect();
                    let d = Diagnostic::error(
                        Code::LengthNotAllowed,
                        self.span(file, l),
                        format!(
                            "length {} is not one category `{}` allows ({})",
                            l.value,
                            cat.id,
                            allowed.join(", ")
                        ),
                    )
                    .with_label("not a length of the category")
                    .with_secondary(b.category_length_spans[category], "the category's lengths")
                    .with_help("a range's `lengths` narrows its category's: pick among them");
                    self.error(d);
                    b.broken_ranges = true;
                    return;
                }
            }
            if own.is_empty() {
                let d = Diagnostic::error(Code::BadValue, self.list_span(file, ls), "`lengths` is empty")
                    .with_help("omit `lengths` to use the category's, or list at least one");
                self.error(d);
                b.broken_ranges = true;
                return;
            }
            own.sort_unstable();
            own.dedup();
            lengths = Some(own);
        }
        let max = lengths
            .as_ref()
            .unwrap_or(&b.categories[category].lengths)
            .iter()
            .copied()
            .max()
            .unwrap_or(0) as usize;
        let too_long = numbers.items().iter().position(|i| i.digits() > max);
        if let Some(index) = too_long.filter(|_| !b.broken_lengths.contains(&category)) {
            let item = &numbers.items()[index];
            let digits = item.digits();
            // Items are the comma-separated parts of the value, in order.
            let mut offset = 0;
            let mut span = nspan;
            for (i, part) in r.numbers.value.split(',').enumerate() {
                if i == index {
                    let lead = part.len() - part.trim_start().len();
                    span = self.value_sub_span(file, &r.numbers, offset + lead, part.trim().len());
                    break;
                }
                offset += part.len() + 1;
            }
            let d = Diagnostic::error(
                Code::LengthNotAllowed,
                span,
                format!(
                    "`{item}` has {digits} digits, but numbers of `{}` have at most {max}",
                    r.category.value
                ),
            )
            .with_label(format!("{digits} digits"))
            .with_secondary(b.category_length_spans[category], "the category's lengths")
            .with_help("shorten the range, or add the length to the category");
            self.error(d);
            b.broken_ranges = true;
            return;
        }
        let prefixes = numbers.prefixes();
        // A plan that writes its numbers without the national prefix reads a number dialled
        // with it as the digits after it: a range starting with the prefix can never be reached.
        let np = b.national_prefix.as_str();
        if !b.national_prefix_in_numbers
            && !np.is_empty()
            && let Some(p) = prefixes.iter().find(|p| p.starts_with(np))
        {
            let d = Diagnostic::error(
                Code::BadValue,
                nspan,
                format!("`{p}` starts with the national prefix `{np}`, which this plan's numbers are written without"),
            )
            .with_label("cannot be dialled")
            .with_help("`1 613 …` is read as `613 …`: write the numbers without the prefix, or set `national_prefix_in_numbers: true`");
            self.error(d);
            b.broken_ranges = true;
            return;
        }
        b.ranges.push(Range {
            numbers,
            prefixes,
            category,
            territory,
            lengths,
            period,
            basis,
            doubt: doubt(&r.doubt),
            source: self.source_ref(file, &r.numbers),
        });
        b.range_spans.push(nspan);
    }

    /// Ranges that cover the same numbers on the same day must agree, unless one lies strictly
    /// inside the other (it then refines it).
    pub(super) fn range_conflicts(&mut self, b: &Builder) {
        let resolver = Resolver::new(&b.ranges);
        let mut pairs = BTreeSet::new();
        for (i, r) in b.ranges.iter().enumerate() {
            for p in &r.prefixes {
                for j in resolver.covering(p).filter(|&j| j != i) {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
        for (i, j) in pairs {
            let (a, bb) = (&b.ranges[i], &b.ranges[j]);
            if !a.period.overlaps(&bb.period) {
                continue;
            }
            let a_in_b = a.prefixes.iter().all(|p| plan::covers(&bb.prefixes, p));
            let b_in_a = bb.prefixes.iter().all(|p| plan::covers(&a.prefixes, p));
            if a_in_b != b_in_a {
                continue; // strictly nested: the inner one refines the outer one
            }
            let same = a.category == bb.category && a.territory == bb.territory;
            let (cat, ter) = (&b.categories, &b.territories);
            if !same {
                let what = if a.category != bb.category {
                    format!(
                        "category `{}` here, `{}` there",
                        cat[bb.category].id, cat[a.category].id
                    )
                } else {
                    format!(
                        "territory `{}` here, `{}` there",
                        ter[bb.territory].id, ter[a.territory].id
                    )
                };
                let shape = if a_in_b {
                    "the same numbers"
                } else {
                    "overlapping numbers"
                };
                let d = Diagnostic::error(
                    Code::RangeConflict,
                    b.range_spans[j],
                    format!("this range and another cover {shape} on the same dates with different answers: {what}"),
                )
                .with_label(if a.category != bb.category {
                    format!("{} {}", cat[bb.category].id, bb.period)
                } else {
                    format!("{} {}", ter[bb.territory].id, bb.period)
                })
                .with_secondary(
                    b.range_spans[i],
                    if a.category != bb.category {
                        format!("{} {}", cat[a.category].id, a.period)
                    } else {
                        format!("{} {}", ter[a.territory].id, a.period)
                    },
                )
                .with_help("give them periods that do not overlap, or make one range lie strictly inside the other");
                self.error(d);
            } else if a_in_b && a.period == bb.period {
                let d = Diagnostic::error(
                    Code::RedundantRange,
                    b.range_spans[j],
                    "this range repeats another one",
                )
                .warning()
                .with_label("same numbers, category and territory")
                .with_secondary(b.range_spans[i], "first written here")
                .with_help("remove one of the two");
                self.error(d);
            }
        }
    }
}
