//! Checks of the categories files: lengths, rule statements and verdict statements (their
//! uses, conditions, periods and legal basis).

use super::{Builder, MAX_STATEMENT_CONDITIONS, Validator, doubt, help_for};
use crate::diag::{Code, Diagnostic};
use crate::load::{self, S};
use crate::plan::{Category, RuleStatement, UseStatement, Verdict};
use crate::span::{FileId, Span};

impl Validator<'_> {
    pub(super) fn category(&mut self, b: &mut Builder, file: FileId, c: &load::RawCategory) {
        let span = self.span(file, &c.id);
        if !self.new_id(&mut b.categories, file, &c.id) {
            return;
        }
        let mut lengths = Vec::new();
        let mut lengths_ok = !c.lengths.value.is_empty();
        for l in &c.lengths.value {
            if (1..=20).contains(&l.value) {
                lengths.push(l.value as u8);
            } else {
                let d = Diagnostic::error(Code::BadValue, self.span(file, l), format!("{} is not a number length", l.value))
                    .with_label("expected 1 to 20")
                    .with_help("lengths count the digits of national numbers, trunk prefix included (10 for 01 23 45 67 89)");
                self.error(d);
                lengths_ok = false;
            }
        }
        if c.lengths.value.is_empty() {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, &c.lengths),
                format!("category `{}` allows no length", c.id.value),
            )
            .with_help("list the lengths its numbers may have, e.g. `lengths: [10]`");
            self.error(d);
        }
        lengths.sort_unstable();
        lengths.dedup();
        let basis = c.basis.as_ref().and_then(|s| self.basis(b, file, s));
        let mut rules: Vec<(RuleStatement, Span)> = Vec::new();
        for r in &c.rules {
            let rspan = self.span(file, &r.rule);
            let Some(rule) = self.reference(&b.rules, &r.rule.value, rspan) else {
                continue;
            };
            let def = &b.rules[rule];
            if !def.values.contains(&r.value.value) {
                let help = help_for(
                    &r.value.value,
                    ("value", "values"),
                    def.values.iter().map(String::as_str),
                );
                let d = Diagnostic::error(
                    Code::UnknownRuleValue,
                    self.span(file, &r.value),
                    format!("`{}` is not a value of rule `{}`", r.value.value, def.id),
                )
                .with_label("unknown value")
                .with_secondary(b.rules.span(rule), "the rule is declared here")
                .with_help(help);
                self.error(d);
                continue;
            }
            let Some(period) = self.period(file, &r.from, &r.until) else {
                continue;
            };
            let Some(basis) = self.basis(b, file, &r.basis) else {
                continue;
            };
            let statement = RuleStatement {
                rule,
                value: r.value.value.clone(),
                period,
                basis,
                doubt: doubt(&r.doubt),
                source: self.source_ref(file, &r.rule),
            };
            if let Some((other, ospan)) = rules
                .iter()
                .find(|(o, _)| o.rule == rule && o.period.overlaps(&period))
            {
                let d = Diagnostic::error(
                    Code::RuleOverlap,
                    rspan,
                    format!(
                        "rule `{}` of `{}` is stated twice for the same days ({} and {})",
                        b.rules[rule].id, c.id.value, other.period, period
                    ),
                )
                .with_label("this statement")
                .with_secondary(*ospan, "overlaps this one")
                .with_help(
                    "give the statements periods that do not overlap (`until` of one = `from` of the next)",
                );
                self.error(d);
                continue;
            }
            rules.push((statement, rspan));
        }
        let verdicts = self.verdicts(b, file, c);
        b.categories.push(
            Category {
                id: c.id.value.clone(),
                name: c.name.value.clone(),
                lengths,
                e164: c.e164.as_ref().is_none_or(|e| e.value),
                basis,
                rules: rules.into_iter().map(|(r, _)| r).collect(),
                verdicts,
                doubt: doubt(&c.doubt),
                source: self.source_ref(file, &c.id),
            },
            span,
        );
        if !lengths_ok {
            b.broken_lengths.insert(b.categories.len() - 1);
        }
        b.category_length_spans.push(self.list_span(file, &c.lengths));
    }

    /// The indices of the uses a list names; unknown ones are reported. `None` if any is unknown.
    pub(super) fn use_list(
        &mut self,
        b: &Builder,
        file: FileId,
        list: &S<Vec<S<String>>>,
    ) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut ok = true;
        for u in &list.value {
            match self.reference(&b.uses, &u.value, self.span(file, u)) {
                Some(i) if out.contains(&i) => {
                    let d = Diagnostic::error(
                        Code::DuplicateId,
                        self.span(file, u),
                        format!("use `{}` is listed twice", u.value),
                    )
                    .with_label("again here");
                    self.error(d);
                    ok = false;
                }
                Some(i) => out.push(i),
                None => ok = false,
            }
        }
        if list.value.is_empty() {
            let d = Diagnostic::error(Code::BadValue, self.span(file, list), "the list of uses is empty")
                .with_help("name at least one use declared in plan.yaml");
            self.error(d);
            ok = false;
        }
        ok.then_some(out)
    }

    /// The condition a name refers to; an unknown one is reported.
    pub(super) fn condition_ref(&mut self, b: &Builder, file: FileId, name: &S<String>) -> Option<usize> {
        self.reference(&b.conditions, &name.value, self.span(file, name))
    }

    /// A category's verdict statements: uses, value, period, conditions, basis; two statements
    /// for the same use may not overlap in time.
    pub(super) fn verdicts(&mut self, b: &Builder, file: FileId, c: &load::RawCategory) -> Vec<UseStatement> {
        let mut out: Vec<(UseStatement, Span)> = Vec::new();
        for v in &c.verdicts {
            let uses = self.use_list(b, file, &v.uses);
            let value = match Verdict::parse(&v.value.value) {
                Some(x @ (Verdict::Allowed | Verdict::Forbidden | Verdict::Unknown)) => Some(x),
                _ => {
                    self.bad_word(file, &v.value, "a verdict", &["allowed", "forbidden", "unknown"]);
                    None
                }
            };
            let period = self.period(file, &v.from, &v.until);
            let mut conditions = Some(Vec::new());
            for name in &v.conditions {
                match (self.condition_ref(b, file, name), conditions.as_mut()) {
                    (Some(i), Some(list)) => list.push(i),
                    _ => conditions = None,
                }
            }
            if v.conditions.len() > MAX_STATEMENT_CONDITIONS {
                let d = Diagnostic::error(
                    Code::BadValue,
                    self.span(file, &v.value),
                    format!("a verdict carries at most {MAX_STATEMENT_CONDITIONS} conditions"),
                )
                .with_label("this statement")
                .with_help("a requirement in plan.yaml can carry a condition for many categories");
                self.error(d);
                conditions = None;
            }
            let basis = self.basis(b, file, &v.basis);
            let (Some(uses), Some(value), Some(period), Some(conditions), Some(basis)) =
                (uses, value, period, conditions, basis)
            else {
                continue;
            };
            let span = self.list_span(file, &v.uses);
            if let Some((other, ospan)) = out
                .iter()
                .find(|(o, _)| o.period.overlaps(&period) && o.uses.iter().any(|u| uses.contains(u)))
            {
                let both = uses.iter().find(|u| other.uses.contains(u)).copied().unwrap_or(0);
                let d = Diagnostic::error(
                    Code::RuleOverlap,
                    span,
                    format!(
                        "use `{}` of `{}` is given two verdicts for the same days ({} and {})",
                        b.uses[both].id, c.id.value, other.period, period
                    ),
                )
                .with_label("this statement")
                .with_secondary(*ospan, "overlaps this one")
                .with_help(
                    "give the statements periods that do not overlap (`until` of one = `from` of the next)",
                );
                self.error(d);
                continue;
            }
            out.push((
                UseStatement {
                    uses,
                    value,
                    period,
                    conditions,
                    basis,
                    reason: v.reason.as_ref().map(|r| r.value.trim().to_string()),
                    doubt: doubt(&v.doubt),
                    source: self.source_ref(file, &v.uses),
                },
                span,
            ));
        }
        out.into_iter().map(|(s, _)| s).collect()
    }
}
