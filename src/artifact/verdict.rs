//! Verdicts: may a number be presented for a use, on a day, in a context, and why.
//!
//! Everything that decides comes from the plan's data; this module only combines it, in the order
//! the law reads:
//!
//! 1. the plan's **requirements** in force for the use and the number's category: a built-in
//!    check (`valid`: a number of the plan; `allocated`: a register block holds it that day) or a
//!    condition that applies across categories (an authentication cut-off);
//! 2. the category's **verdict statement** for the use on the day (`allowed`, `forbidden`,
//!    `unknown`), and the conditions it carries.
//!
//! A **condition** decides in one context (`when: from-abroad=yes, authenticated=no`) and says
//! what it decides (`then: forbidden`, or `allowed` for an exception). A [`Context`] given by the
//! caller settles it: every pair given → it decides; a pair contradicted → it does not; nothing
//! said → it is unsettled, which makes an `allowed` statement `conditional` when the plan marks the
//! condition so (`unsettled: conditional`) and changes nothing otherwise.
//!
//! The verdict: **forbidden** if anything fails (the first failure is the headline); else the
//! statement's value, lifted from `forbidden` to **allowed** by an exception that applies, or
//! lowered from `allowed` to **conditional** by an unsettled condition; **unknown** when the plan
//! states nothing. Every step is a [`Reason`] with its basis and source line.

use super::lookup::{Answer, LookupError};
use super::reader::Artifact;
use super::reader::Holding;
use super::{DAY_MAX, DAY_MIN, Kind, MAX_REQUIREMENTS, NONE, code, col, verdict_code, verdict_of};
use crate::date::Date;
use crate::plan::Verdict;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A use the plan gives verdicts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UseInfo<'a> {
    /// Slug, e.g. `automated-voice`.
    pub id: &'a str,
    /// Name for people.
    pub name: &'a str,
    /// What it covers.
    pub description: Option<&'a str>,
}

/// What the caller knows about a call: context keys of the plan and their values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// (key row, value index), sorted by key.
    terms: Vec<(u32, u32)>,
}

impl Context {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn value(&self, key: u32) -> Option<u32> {
        self.terms.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }
}

/// A context key of the plan, as the artifact stores it (see [`Artifact::context_keys`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextKeyInfo<'a> {
    /// Its id, as `--context KEY=VALUE` names it.
    pub id: &'a str,
    /// What it says of the call.
    pub description: &'a str,
    /// The values it takes.
    pub values: Vec<&'a str>,
}

/// Why a context cannot be built from what the caller gave.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextError {
    /// The plan has no such context key.
    UnknownKey {
        /// The key given.
        key: String,
        /// The plan's keys.
        known: Vec<String>,
    },
    /// The key has no such value.
    UnknownValue {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// The key's values.
        known: Vec<String>,
    },
    /// The key was given twice.
    Repeated {
        /// The key.
        key: String,
    },
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::UnknownKey { key, known } if known.is_empty() => {
                write!(f, "unknown context key `{key}`: this plan declares none")
            }
            ContextError::UnknownKey { key, known } => write!(
                f,
                "unknown context key `{key}`; the plan's keys are: {}",
                known.join(", ")
            ),
            ContextError::UnknownValue { key, value, known } => write!(
                f,
                "`{value}` is not a value of context key `{key}`; its values are: {}",
                known.join(", ")
            ),
            ContextError::Repeated { key } => write!(f, "context key `{key}` is given twice"),
        }
    }
}

impl std::error::Error for ContextError {}

/// How one reason bears on a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A requirement is met, or a condition the context contradicts does not bar it.
    Pass,
    /// A requirement or condition bars it: the verdict is forbidden.
    Fail,
    /// The context does not settle a condition.
    Unsettled,
    /// An exception applies: a forbidden statement becomes allowed.
    Exception,
    /// An exception the context rules out.
    NotApplicable,
    /// The category's statement for the use (or the plan's silence).
    Rule,
}

impl Outcome {
    /// The word used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unsettled => "unsettled",
            Outcome::Exception => "exception",
            Outcome::NotApplicable => "not-applicable",
            Outcome::Rule => "rule",
        }
    }
}

/// One step of a verdict: what was checked, with its legal basis and where the plan says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason<'a> {
    /// How it bears on the verdict.
    pub outcome: Outcome,
    /// What it says, for people.
    pub text: String,
    /// The legal basis, as the plan cites it.
    pub basis: Option<&'a str>,
    /// `file:line` of the plan source it comes from.
    pub source: String,
}

/// Something the sources leave unsure, with where the plan says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doubt<'a> {
    /// The doubt, for people.
    pub text: Cow<'a, str>,
    /// `file:line` of the plan source that records it.
    pub source: String,
}

/// A verdict with every reason for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ruling<'a> {
    /// The use judged.
    pub use_id: &'a str,
    /// The verdict.
    pub verdict: Verdict,
    /// Index into `reasons` of the headline: the first failure, the exception or unsettled
    /// condition that decided, or the category's statement (always a valid index).
    headline: usize,
    /// Every reason, in the order checked.
    pub reasons: Vec<Reason<'a>>,
    /// What the sources leave unsure about these reasons.
    pub doubts: Vec<Doubt<'a>>,
}

impl<'a> Ruling<'a> {
    /// The headline reason: the first failure, the exception or unsettled condition that
    /// decided, or the category's statement.
    pub fn reason(&self) -> &Reason<'a> {
        // Every evaluation notes at least one step and points its headline at one of them, and
        // rulings are only made here: the index is valid.
        &self.reasons[self.headline]
    }

    /// The index of the headline in `reasons`.
    pub fn headline(&self) -> usize {
        self.headline
    }
}

/// Where a condition comes from: a requirement (row) or the category's verdict statement.
#[derive(Clone, Copy, Debug)]
enum Attach {
    Requirement(u32),
    Statement,
}

/// One step of an evaluation, before it is put in words.
#[derive(Clone, Copy, Debug)]
enum Item {
    Valid { req: u32 },
    Invalid { req: Option<u32> },
    OtherPlan,
    Allocated { req: u32 },
    NotAllocated { req: u32 },
    Rule { stmt: Option<u32> },
    Condition { cond: u32, attach: Attach },
}

/// What is being judged: a number's category (a valid number) or none (not a number of the plan).
#[derive(Clone, Copy, Debug)]
struct Subject {
    category: Option<u32>,
    allocated: bool,
    /// Another plan's number: no requirement of this plan applies.
    other_plan: bool,
}

/// Whether `day` lies in a period of table words (`from`, `until`).
fn in_period(from: u32, until: u32, day: i32) -> bool {
    super::reader::in_period(from as i32, until as i32, day)
}

impl<'a> Artifact<'a> {
    /// The uses the plan gives verdicts for, in its order.
    pub fn uses(&self) -> impl Iterator<Item = UseInfo<'a>> + '_ {
        let k = Kind::Uses;
        (0..self.rows(k)).map(move |u| UseInfo {
            id: self.string(k, u, col::USE_ID),
            name: self.string(k, u, col::USE_NAME),
            description: self.opt_string(k, u, col::USE_DESCRIPTION),
        })
    }

    /// The row of a use, for [`Answer::ruling`] and [`Answer::verdict`].
    pub fn use_row(&self, id: &str) -> Option<u32> {
        (0..self.rows(Kind::Uses)).find(|&u| self.string(Kind::Uses, u, col::USE_ID) == id)
    }

    /// The context keys, in the plan's order.
    pub fn context_keys(&self) -> impl Iterator<Item = ContextKeyInfo<'a>> + '_ {
        let k = Kind::ContextKeys;
        (0..self.rows(k)).map(move |c| ContextKeyInfo {
            id: self.string(k, c, col::CTX_ID),
            description: self.string(k, c, col::CTX_DESCRIPTION),
            values: self.context_values(c),
        })
    }

    fn context_values(&self, key: u32) -> Vec<&'a str> {
        let k = Kind::ContextKeys;
        let first = self.word(k, key, col::CTX_VALUES_FIRST);
        let count = self.word(k, key, col::CTX_VALUES_COUNT);
        (first..first.saturating_add(count))
            .map(|v| self.string(Kind::RuleValues, v, col::VALUE))
            .collect()
    }

    /// The plan-wide policy, one canonical line per item, in the plan's order: its uses, context
    /// keys, conditions and requirements (what `diff` compares beside the number space).
    pub fn policy(&self) -> Vec<String> {
        let mut out: Vec<String> = self.uses().map(|u| format!("use {}: {}", u.id, u.name)).collect();
        for ContextKeyInfo { id, values, .. } in self.context_keys() {
            out.push(format!("context {id}: {}", values.join(", ")));
        }
        let ck = Kind::Conditions;
        for c in 0..self.rows(ck) {
            let then = verdict_of(self.word(ck, c, col::COND_THEN));
            let unsettled = if self.word(ck, c, col::COND_UNSETTLED) == 1 {
                ", else conditional"
            } else {
                ""
            };
            out.push(format!(
                "condition {}: when {} then {then}{unsettled}",
                self.string(ck, c, col::COND_ID),
                self.when_words(c).join(", ")
            ));
        }
        let rk = Kind::Requirements;
        let use_ids: Vec<&str> = self.uses().map(|u| u.id).collect();
        for r in 0..self.rows(rk) {
            let what = match self.word(rk, r, col::REQ_CHECK) {
                code::CHECK_VALID => "check valid".to_string(),
                code::CHECK_ALLOCATED => "check allocated".to_string(),
                _ => {
                    let cond = self.word(rk, r, col::REQ_CONDITION);
                    format!("condition {}", self.string(ck, cond, col::COND_ID))
                }
            };
            let mask = self.word(rk, r, col::REQ_USES);
            let uses: Vec<&str> = use_ids
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 32 && mask & (1 << i) != 0)
                .map(|(_, id)| *id)
                .collect();
            let categories = if self.word(rk, r, col::REQ_ALL_CATEGORIES) == 1 {
                "every category".to_string()
            } else {
                let ids: Vec<&str> = (0..self.rows(Kind::Categories))
                    .filter(|&c| self.category_requirements(c).any(|x| x == r))
                    .map(|c| self.string(Kind::Categories, c, col::CAT_ID))
                    .collect();
                ids.join(", ")
            };
            let period = period_words(self.word(rk, r, col::REQ_FROM), self.word(rk, r, col::REQ_UNTIL));
            out.push(format!(
                "requirement: {what} for {} in {categories}, {period}",
                uses.join(", ")
            ));
        }
        out
    }

    /// A condition's `when`, as `key=value` words.
    fn when_words(&self, cond: u32) -> Vec<String> {
        let k = Kind::Conditions;
        let first = self.word(k, cond, col::COND_WHEN_FIRST);
        let count = self.word(k, cond, col::COND_WHEN_COUNT);
        (first..first.saturating_add(count))
            .map(|t| {
                let key = self.word(Kind::Terms, t, col::TERM_KEY);
                let value = self.word(Kind::Terms, t, col::TERM_VALUE);
                format!(
                    "{}={}",
                    self.string(Kind::ContextKeys, key, col::CTX_ID),
                    self.context_values(key)
                        .get(value as usize)
                        .copied()
                        .unwrap_or("")
                )
            })
            .collect()
    }

    /// The rows of the requirements that apply to category `c`.
    fn category_requirements(&self, c: u32) -> impl Iterator<Item = u32> + '_ {
        let first = self.word(Kind::Categories, c, col::CAT_REQ_FIRST);
        let count = self
            .word(Kind::Categories, c, col::CAT_REQ_COUNT)
            .min(MAX_REQUIREMENTS);
        (first..first.saturating_add(count)).map(|i| self.word(Kind::Indices, i, col::INDEX))
    }

    /// A context from `key=value` pairs of the plan's context keys.
    pub fn context(&self, pairs: &[(&str, &str)]) -> Result<Context, ContextError> {
        let mut terms: Vec<(u32, u32)> = Vec::new();
        let keys: Vec<ContextKeyInfo<'_>> = self.context_keys().collect();
        for &(key, value) in pairs {
            let Some(k) = keys.iter().position(|c| c.id == key) else {
                return Err(ContextError::UnknownKey {
                    key: key.to_string(),
                    known: keys.iter().map(|c| c.id.to_string()).collect(),
                });
            };
            let values = &keys[k].values;
            let Some(v) = values.iter().position(|x| *x == value) else {
                return Err(ContextError::UnknownValue {
                    key: key.to_string(),
                    value: value.to_string(),
                    known: values.iter().map(|x| x.to_string()).collect(),
                });
            };
            if terms.iter().any(|&(tk, _)| tk == k as u32) {
                return Err(ContextError::Repeated { key: key.to_string() });
            }
            terms.push((k as u32, v as u32));
        }
        terms.sort_unstable();
        Ok(Context { terms })
    }

    /// The verdict for an input that is not a valid number of the plan (see [`LookupError`]).
    /// Another plan's number ([`LookupError::is_other_plan`]) is not this plan's to judge: its
    /// verdict is `unknown`, whatever the requirements say of malformed numbers.
    pub fn ruling_for_invalid(
        &'a self,
        error: &LookupError,
        use_row: u32,
        date: Date,
        ctx: &Context,
    ) -> Ruling<'a> {
        let subject = Subject {
            category: None,
            allocated: false,
            other_plan: error.is_other_plan(),
        };
        self.explain(subject, None, Some(error), use_row, date, ctx)
    }

    /// Just the verdict for an input that is not a valid number of the plan.
    pub fn verdict_for_invalid(
        &self,
        error: &LookupError,
        use_row: u32,
        date: Date,
        ctx: &Context,
    ) -> Verdict {
        let subject = Subject {
            category: None,
            allocated: false,
            other_plan: error.is_other_plan(),
        };
        self.evaluate(subject, date.to_days(), use_row, ctx, |_| {}).0
    }

    /// How a condition bears on the verdict in `ctx`, and whether an unsettled one makes the
    /// verdict conditional.
    fn condition_outcome(&self, cond: u32, ctx: &Context) -> (Outcome, bool) {
        let k = Kind::Conditions;
        if ctx.is_empty() {
            // Nothing known: every condition is unsettled (the common case, and the fast one).
            return (Outcome::Unsettled, self.word(k, cond, col::COND_UNSETTLED) == 1);
        }
        let forbids = self.word(k, cond, col::COND_THEN) == code::FORBIDDEN;
        let first = self.word(k, cond, col::COND_WHEN_FIRST);
        let count = self.word(k, cond, col::COND_WHEN_COUNT);
        let (mut given, mut contradicted) = (count > 0, false);
        for t in first..first.saturating_add(count) {
            let key = self.word(Kind::Terms, t, col::TERM_KEY);
            match ctx.value(key) {
                Some(v) if v == self.word(Kind::Terms, t, col::TERM_VALUE) => {}
                Some(_) => {
                    given = false;
                    contradicted = true;
                }
                None => given = false,
            }
        }
        match (given, contradicted, forbids) {
            (true, _, true) => (Outcome::Fail, false),
            (true, _, false) => (Outcome::Exception, false),
            (false, true, true) => (Outcome::Pass, false),
            (false, true, false) => (Outcome::NotApplicable, false),
            (false, false, _) => (Outcome::Unsettled, self.word(k, cond, col::COND_UNSETTLED) == 1),
        }
    }

    /// Combines requirements, the category's statement and conditions (see the module docs).
    /// Each step goes to `note`; returns the verdict and the index of the headline step.
    fn evaluate(
        &self,
        subject: Subject,
        day: i32,
        use_row: u32,
        ctx: &Context,
        mut note: impl FnMut(Item),
    ) -> (Verdict, usize) {
        let bit = if use_row < 32 { 1u32 << use_row } else { 0 };
        let mut steps = 0usize;
        let (mut fail, mut exception, mut conditional, mut rule) = (None, None, None, 0);
        let mut step = |item: Item, outcome: Outcome, makes_conditional: bool| {
            note(item);
            match outcome {
                Outcome::Fail => {
                    fail.get_or_insert(steps);
                }
                Outcome::Exception => {
                    exception.get_or_insert(steps);
                }
                Outcome::Unsettled if makes_conditional => {
                    conditional.get_or_insert(steps);
                }
                Outcome::Rule => rule = steps,
                _ => {}
            }
            steps += 1;
        };
        if subject.other_plan {
            step(Item::OtherPlan, Outcome::Rule, false);
            return (Verdict::Unknown, rule);
        }
        let rk = Kind::Requirements;
        let mut invalid_judged = false;
        // A category lists the requirements that apply to it; an invalid number has no category,
        // and only the requirements of every category apply to it.
        let (all, list) = match subject.category {
            Some(c) => {
                let first = self.word(Kind::Categories, c, col::CAT_REQ_FIRST);
                let count = self
                    .word(Kind::Categories, c, col::CAT_REQ_COUNT)
                    .min(MAX_REQUIREMENTS);
                (0..0, first..first.saturating_add(count))
            }
            None => (0..self.rows(rk).min(MAX_REQUIREMENTS), 0..0),
        };
        let requirements = all
            .filter(|&r| self.word(rk, r, col::REQ_ALL_CATEGORIES) == 1)
            .chain(list.map(|i| self.word(Kind::Indices, i, col::INDEX)));
        for r in requirements {
            if self.word(rk, r, col::REQ_USES) & bit == 0
                || !in_period(
                    self.word(rk, r, col::REQ_FROM),
                    self.word(rk, r, col::REQ_UNTIL),
                    day,
                )
            {
                continue;
            }
            match (self.word(rk, r, col::REQ_CHECK), subject.category) {
                (code::CHECK_VALID, Some(_)) => step(Item::Valid { req: r }, Outcome::Pass, false),
                (code::CHECK_VALID, None) => {
                    invalid_judged = true;
                    step(Item::Invalid { req: Some(r) }, Outcome::Fail, false);
                }
                (_, None) => {}
                (code::CHECK_ALLOCATED, Some(_)) if subject.allocated => {
                    step(Item::Allocated { req: r }, Outcome::Pass, false)
                }
                (code::CHECK_ALLOCATED, Some(_)) => step(Item::NotAllocated { req: r }, Outcome::Fail, false),
                (_, Some(_)) => {
                    let cond = self.word(rk, r, col::REQ_CONDITION);
                    let (outcome, makes_conditional) = self.condition_outcome(cond, ctx);
                    let attach = Attach::Requirement(r);
                    step(Item::Condition { cond, attach }, outcome, makes_conditional);
                }
            }
        }
        let Some(category) = subject.category else {
            if !invalid_judged {
                step(Item::Invalid { req: None }, Outcome::Rule, false);
                return (Verdict::Unknown, rule);
            }
            return (Verdict::Forbidden, fail.unwrap_or(0));
        };
        let ck = Kind::Categories;
        let first = self.word(ck, category, col::CAT_VERDICT_FIRST);
        let count = self.word(ck, category, col::CAT_VERDICT_COUNT);
        let vk = Kind::Verdicts;
        // Statements for one use never overlap, so any order finds the one; newest first, since
        // most questions are about today.
        let stmt = (first..first.saturating_add(count)).rev().find(|&v| {
            self.word(vk, v, col::VS_USES) & bit != 0
                && in_period(
                    self.word(vk, v, col::VS_FROM),
                    self.word(vk, v, col::VS_UNTIL),
                    day,
                )
        });
        let base = stmt.map_or(Verdict::Unknown, |v| verdict_of(self.word(vk, v, col::VS_VALUE)));
        step(Item::Rule { stmt }, Outcome::Rule, false);
        if let Some(v) = stmt {
            let first = self.word(vk, v, col::VS_COND_FIRST);
            let count = self.word(vk, v, col::VS_COND_COUNT);
            for i in first..first.saturating_add(count) {
                let cond = self.word(Kind::Indices, i, col::INDEX);
                let (outcome, makes_conditional) = self.condition_outcome(cond, ctx);
                let attach = Attach::Statement;
                step(Item::Condition { cond, attach }, outcome, makes_conditional);
            }
        }
        if let Some(f) = fail {
            return (Verdict::Forbidden, f);
        }
        match (base, exception, conditional) {
            (Verdict::Forbidden, Some(e), _) => (Verdict::Allowed, e),
            (Verdict::Allowed, _, Some(c)) => (Verdict::Conditional, c),
            (base, ..) => (base, rule),
        }
    }

    /// Evaluates and puts every step in words.
    fn explain(
        &'a self,
        subject: Subject,
        answer: Option<&Answer<'a>>,
        error: Option<&LookupError>,
        use_row: u32,
        date: Date,
        ctx: &Context,
    ) -> Ruling<'a> {
        let mut items = Vec::new();
        let (verdict, headline) = self.evaluate(subject, date.to_days(), use_row, ctx, |i| items.push(i));
        let use_id = self.string(Kind::Uses, use_row, col::USE_ID);
        let mut words = Words {
            a: self,
            answer,
            error,
            date,
            use_row,
            ctx,
            doubts: Vec::new(),
        };
        let reasons = items.iter().map(|&i| words.reason(i)).collect();
        Ruling {
            use_id,
            verdict,
            headline,
            reasons,
            doubts: words.doubts,
        }
    }
}

/// Puts evaluation steps in words, collecting the doubts they carry.
struct Words<'a, 'x> {
    a: &'a Artifact<'a>,
    answer: Option<&'x Answer<'a>>,
    error: Option<&'x LookupError>,
    date: Date,
    use_row: u32,
    ctx: &'x Context,
    doubts: Vec<Doubt<'a>>,
}

impl<'a> Words<'a, '_> {
    fn doubt(&mut self, text: Option<&'a str>, source: &str) {
        if let Some(text) = text {
            self.push_doubt(Doubt {
                text: text.into(),
                source: source.to_string(),
            });
        }
    }

    /// Records a doubt, once.
    fn push_doubt(&mut self, doubt: Doubt<'a>) {
        if !self.doubts.iter().any(|d| d.text == doubt.text) {
            self.doubts.push(doubt);
        }
    }

    /// The basis text of a row, and the doubt of the document it cites.
    fn basis(&mut self, k: Kind, row: u32, doc_col: usize, basis_col: usize) -> Option<&'a str> {
        let a = self.a;
        let doc = a.word(k, row, doc_col);
        if doc != NONE {
            let dk = Kind::Documents;
            let source = self.source(dk, doc, col::DOC_FILE, col::DOC_LINE);
            self.doubt(a.opt_string(dk, doc, col::DOC_DOUBT), &source);
        }
        a.opt_string(k, row, basis_col)
    }

    fn source(&self, k: Kind, row: u32, file_col: usize, line_col: usize) -> String {
        self.a
            .source_of(self.a.word(k, row, file_col), self.a.word(k, row, line_col))
    }

    /// A built-in check's reason. Its doubt bears on the check failing (whether such a number
    /// is really barred): it is shown when the check fails, not on every number that passes.
    fn requirement(&mut self, req: u32, outcome: Outcome, text: String) -> Reason<'a> {
        let k = Kind::Requirements;
        let source = self.source(k, req, col::REQ_FILE, col::REQ_LINE);
        if outcome == Outcome::Fail {
            self.doubt(self.a.opt_string(k, req, col::REQ_DOUBT), &source);
        }
        Reason {
            outcome,
            text,
            basis: self.basis(k, req, col::REQ_BASIS_DOC, col::REQ_BASIS),
            source,
        }
    }

    fn reason(&mut self, item: Item) -> Reason<'a> {
        let a = self.a;
        let day = self.date;
        match item {
            Item::Valid { req } => {
                let text = match self.answer {
                    Some(ans) => {
                        let c = ans.category();
                        format!("valid: a number of the plan, {} ({})", c.name, c.id)
                    }
                    None => "valid: a number of the plan".to_string(),
                };
                self.requirement(req, Outcome::Pass, text)
            }
            Item::OtherPlan => {
                let why = self.error.map_or_else(String::new, |e| format!("{e}; "));
                Reason {
                    outcome: Outcome::Rule,
                    text: format!("{why}its own plan rules on it, this one states no verdict"),
                    basis: None,
                    source: String::new(),
                }
            }
            Item::Invalid { req } => {
                let why = self.error.map_or_else(String::new, |e| format!(": {e}"));
                match req {
                    Some(req) => {
                        self.requirement(req, Outcome::Fail, format!("not a valid number of the plan{why}"))
                    }
                    None => Reason {
                        outcome: Outcome::Rule,
                        text: format!(
                            "not a valid number of the plan{why}; the plan states no verdict for such numbers on {day}"
                        ),
                        basis: None,
                        source: String::new(),
                    },
                }
            }
            Item::Allocated { req } => {
                let current = a.register_date();
                let text = self.answer.and_then(Answer::holder).map_or_else(
                    || "allocated".to_string(),
                    |h| {
                        let mut t = format!(
                            "allocated: block {}{} held by {}{}{}",
                            h.block,
                            h.status.map_or_else(String::new, |s| format!(" ({s})")),
                            h.code,
                            h.name.map_or_else(String::new, |n| format!(" ({n})")),
                            h.allocated.map_or_else(String::new, |d| format!(" since {d}")),
                        );
                        t.push_str(&h.register_note(current, day));
                        for d in h.doubts(day) {
                            self.push_doubt(d);
                        }
                        t
                    },
                );
                self.requirement(req, Outcome::Pass, text)
            }
            Item::NotAllocated { req } => {
                let text = self.not_allocated();
                if let Some(row) = self.answer.and_then(Answer::register_row) {
                    for d in row.doubts(self.date) {
                        self.push_doubt(d);
                    }
                }
                self.requirement(req, Outcome::Fail, text)
            }
            Item::Rule { stmt: Some(v) } => {
                let k = Kind::Verdicts;
                let source = self.source(k, v, col::VS_FILE, col::VS_LINE);
                self.doubt(a.opt_string(k, v, col::VS_DOUBT), &source);
                let value = verdict_of(a.word(k, v, col::VS_VALUE));
                let period = period_words(a.word(k, v, col::VS_FROM), a.word(k, v, col::VS_UNTIL));
                let text = match a.opt_string(k, v, col::VS_REASON) {
                    Some(reason) => format!("{reason} ({value} {period})"),
                    None => {
                        let (name, id) = self.category_names();
                        let use_name = a.string(Kind::Uses, self.use_row, col::USE_NAME);
                        format!("{value} for {use_name}: {name} ({id}), {period}")
                    }
                };
                Reason {
                    outcome: Outcome::Rule,
                    text,
                    basis: self.basis(k, v, col::VS_BASIS_DOC, col::VS_BASIS),
                    source,
                }
            }
            Item::Rule { stmt: None } => {
                let (name, id) = self.category_names();
                let use_id = a.string(Kind::Uses, self.use_row, col::USE_ID);
                Reason {
                    outcome: Outcome::Rule,
                    text: format!("the plan states no `{use_id}` verdict for {name} ({id}) on {day}"),
                    basis: None,
                    source: self.answer.map_or_else(String::new, |ans| {
                        let c = ans.category_row();
                        self.source(Kind::Categories, c, col::CAT_FILE, col::CAT_LINE)
                    }),
                }
            }
            Item::Condition { cond, attach } => {
                let k = Kind::Conditions;
                let (outcome, _) = a.condition_outcome(cond, self.ctx);
                let source = self.source(k, cond, col::COND_FILE, col::COND_LINE);
                self.doubt(a.opt_string(k, cond, col::COND_DOUBT), &source);
                let own = self.basis(k, cond, col::COND_BASIS_DOC, col::COND_BASIS);
                let (basis, source) = match attach {
                    Attach::Requirement(r) => {
                        let rk = Kind::Requirements;
                        let rsource = self.source(rk, r, col::REQ_FILE, col::REQ_LINE);
                        self.doubt(a.opt_string(rk, r, col::REQ_DOUBT), &rsource);
                        let rbasis = self.basis(rk, r, col::REQ_BASIS_DOC, col::REQ_BASIS);
                        (rbasis.or(own), rsource)
                    }
                    Attach::Statement => (own, source),
                };
                let text = format!(
                    "{} [{}]",
                    a.string(k, cond, col::COND_TEXT),
                    self.settled(cond, outcome)
                );
                Reason {
                    outcome,
                    text,
                    basis,
                    source,
                }
            }
        }
    }

    fn category_names(&self) -> (&'a str, &'a str) {
        self.answer.map_or(("", ""), |ans| {
            let c = ans.category();
            (c.name, c.id)
        })
    }

    /// How the context stands to a condition: the pairs that decide, and what was given.
    fn settled(&self, cond: u32, outcome: Outcome) -> String {
        let a = self.a;
        let k = Kind::Conditions;
        let first = a.word(k, cond, col::COND_WHEN_FIRST);
        let count = a.word(k, cond, col::COND_WHEN_COUNT);
        let pair = |key: u32, value: u32| {
            let values = a.context_values(key);
            format!(
                "{}={}",
                a.string(Kind::ContextKeys, key, col::CTX_ID),
                values.get(value as usize).copied().unwrap_or("")
            )
        };
        let terms: Vec<(u32, u32)> = (first..first.saturating_add(count))
            .map(|t| {
                (
                    a.word(Kind::Terms, t, col::TERM_KEY),
                    a.word(Kind::Terms, t, col::TERM_VALUE),
                )
            })
            .collect();
        let decides: Vec<String> = terms.iter().map(|&(kk, v)| pair(kk, v)).collect();
        match outcome {
            Outcome::Unsettled => format!("unsettled: decided by {}", decides.join(", ")),
            Outcome::Fail | Outcome::Exception => format!("applies: {}", decides.join(", ")),
            _ => {
                let given: Vec<String> = terms
                    .iter()
                    .filter_map(|&(kk, _)| self.ctx.value(kk).map(|v| pair(kk, v)))
                    .collect();
                format!("does not apply: {}", given.join(", "))
            }
        }
    }

    /// Why no block holds the number on the day: not yet allocated, or no longer.
    fn not_allocated(&self) -> String {
        let day = self.date;
        let date = |d: Option<Date>| d.map_or_else(String::new, |d| d.to_string());
        // A row without a holder covers the number (a CNAC code Available, Not Available…).
        if let Some(row) = self.answer.and_then(Answer::register_row) {
            return format!(
                "not allocated on {day}: block {} is {} in the register of {}, with no holder",
                row.block,
                row.describe(),
                date(row.register)
            );
        }
        let holdings = self.answer.map(Answer::holdings).unwrap_or_default();
        let next = holdings.iter().find(|h| h.from.is_some_and(|f| f > day));
        let before = holdings.iter().rev().find(|h| h.until.is_some_and(|u| u <= day));
        let since = |h: &Holding<'_>| h.allocated.map_or_else(String::new, |d| format!(" since {d}"));
        let mut text = match (next, before) {
            (Some(h), _) if h.from == h.allocated => format!(
                "not allocated on {day}: block {} was allocated to {} on {}",
                h.block,
                h.code,
                date(h.allocated)
            ),
            (Some(h), _) if h.allocated.is_none() => format!(
                "not allocated on {day}: block {} is held by {} from the register of {}",
                h.block,
                h.code,
                date(h.from)
            ),
            (Some(h), _) => format!(
                "not allocated on {day}: block {} (allocated to {} on {}) is held from the register of {}",
                h.block,
                h.code,
                date(h.allocated),
                date(h.from)
            ),
            (None, Some(h)) => format!(
                "not allocated on {day}: block {}, held by {}{}, is not in the register of {}",
                h.block,
                h.code,
                since(h),
                date(h.until)
            ),
            (None, None) => format!("not allocated on {day}: no block of the register holds it"),
        };
        if let Some(register) = self.a.register_date()
            && day > register
        {
            text.push_str(&format!(" (as of the register of {register})"));
        }
        text
    }
}

/// A period of table words for people (see [`crate::plan::Period::words`]).
fn period_words(from: u32, until: u32) -> String {
    let day = |w: u32| match w as i32 {
        DAY_MIN | DAY_MAX => None,
        d => Date::from_days(d),
    };
    crate::plan::Period {
        from: day(from),
        until: day(until),
    }
    .words()
}

impl<'a> Answer<'a> {
    /// The verdict for a use (a row of [`Artifact::uses`]) on the answer's date, in `ctx`, with
    /// every reason.
    pub fn ruling(&self, use_row: u32, ctx: &Context) -> Ruling<'a> {
        let subject = Subject {
            category: Some(self.category_row()),
            allocated: self.is_allocated(),
            other_plan: false,
        };
        self.artifact()
            .explain(subject, Some(self), None, use_row, self.date(), ctx)
    }

    /// Just the verdict, without putting reasons in words.
    #[inline]
    pub fn verdict(&self, use_row: u32, ctx: &Context) -> Verdict {
        self.verdict_if(use_row, ctx, self.is_allocated())
    }

    /// The verdict as if a block held the number on the date (`allocated`) or not. Answers with
    /// the same [`Answer::range_row`] and date differ in their verdicts only by that: a cache
    /// keyed by range row and date needs two entries per use.
    pub fn verdict_if(&self, use_row: u32, ctx: &Context, allocated: bool) -> Verdict {
        let a = self.artifact();
        let category = self.category_row();
        let day = self.day();
        let judge = |allocated: bool| {
            let subject = Subject {
                category: Some(category),
                allocated,
                other_plan: false,
            };
            a.evaluate(subject, day, use_row, ctx, |_| {}).0
        };
        if !ctx.is_empty() {
            return judge(allocated);
        }
        let Some(slot) = a.memo_slot(category, use_row) else {
            return judge(allocated);
        };
        // The memo: the verdicts when allocated and when not, for the last day asked.
        let packed = slot.load(Ordering::Relaxed);
        if packed & MEMO_FULL != 0 && (packed >> 32) as u32 == day as u32 {
            return verdict_of((packed >> if allocated { 8 } else { 16 }) as u32 & 0xFF);
        }
        let (yes, no) = (judge(true), judge(false));
        let packed = (u64::from(day as u32) << 32)
            | u64::from(verdict_code(no)) << 16
            | u64::from(verdict_code(yes)) << 8
            | MEMO_FULL;
        slot.store(packed, Ordering::Relaxed);
        if allocated { yes } else { no }
    }
}

/// A memo entry is filled (the rest: day << 32, verdict if not allocated << 16, if allocated << 8).
const MEMO_FULL: u64 = 1;

impl Artifact<'_> {
    /// The memo of context-free verdicts for (category, use): one word a pair, made on first use.
    /// Lookups share an artifact across threads: each entry is one atomic word, read and written
    /// whole, so a race at worst recomputes a verdict.
    fn memo_slot(&self, category: u32, use_row: u32) -> Option<&AtomicU64> {
        let uses = self.rows(Kind::Uses);
        let memo = self.memo.get_or_init(|| {
            let n = (self.rows(Kind::Categories) as usize)
                .saturating_mul(uses as usize)
                .min(1 << 16);
            (0..n).map(|_| AtomicU64::new(0)).collect()
        });
        (use_row < uses)
            .then(|| memo.get(category as usize * uses as usize + use_row as usize))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_half_open() {
        let d = |s: &str| Date::parse(s).unwrap().to_days();
        let (from, until) = (d("2023-01-01") as u32, d("2024-01-01") as u32);
        assert!(!in_period(from, until, d("2022-12-31")));
        assert!(in_period(from, until, d("2023-01-01")));
        assert!(!in_period(from, until, d("2024-01-01")));
        assert!(in_period(DAY_MIN as u32, DAY_MAX as u32, d("1900-01-01")));
    }

    #[test]
    fn period_words_read_as_written() {
        let d = |s: &str| Date::parse(s).unwrap().to_days() as u32;
        assert_eq!(period_words(DAY_MIN as u32, DAY_MAX as u32), "always");
        assert_eq!(period_words(d("2023-01-01"), DAY_MAX as u32), "since 2023-01-01");
        assert_eq!(
            period_words(d("2019-08-01"), d("2021-01-01")),
            "from 2019-08-01 until 2021-01-01"
        );
    }
}
