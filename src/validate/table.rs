//! One table for each kind of definition a plan declares by id (territories, rules, uses, context
//! keys, conditions, documents, categories, operators): the accepted items in source order, where
//! each is defined, an index by id, and the ids whose definition was rejected (references to
//! those are not reported again).

use crate::diag::Code;
use crate::plan::{Category, Condition, ContextKey, Document, Operator, RuleDef, Territory, Use};
use crate::span::Span;
use std::collections::{HashMap, HashSet};
use std::ops::Index;

/// An item defined by an id.
pub(super) trait Named {
    /// Its id (an operator's code).
    fn id(&self) -> &str;
}

macro_rules! named {
    ($($t:ty => $field:ident),* $(,)?) => {
        $(impl Named for $t {
            fn id(&self) -> &str {
                &self.$field
            }
        })*
    };
}

named! {
    Territory => id, RuleDef => id, Use => id, ContextKey => id, Condition => id,
    Document => id, Category => id, Operator => code,
}

/// How the ids of a kind are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Syntax {
    /// Lower-case ASCII letters, digits and inner `-`.
    Slug,
    /// ASCII letters, digits, `-` and `.` (documents: `2022-1583`, `TA-2020`).
    Document,
}

/// A kind of definition: its names in messages, how its ids are written, and how a reference to
/// an id that is not defined is reported.
#[derive(Debug)]
pub(super) struct Kind {
    /// Singular, e.g. `context key`.
    pub(super) one: &'static str,
    /// Plural, e.g. `context keys`.
    pub(super) many: &'static str,
    /// How its ids are written.
    pub(super) syntax: Syntax,
    /// The code of an unknown reference.
    pub(super) unknown: Code,
    /// What an unknown reference is, after "`id` is": `not defined`…
    pub(super) missing: &'static str,
}

macro_rules! kinds {
    ($($name:ident = $one:literal, $many:literal, $syntax:ident, $code:ident, $missing:literal;)*) => {
        $(pub(super) const $name: Kind = Kind {
            one: $one,
            many: $many,
            syntax: Syntax::$syntax,
            unknown: Code::$code,
            missing: $missing,
        };)*
    };
}

kinds! {
    TERRITORY = "territory", "territories", Slug, UnknownTerritory, "not defined";
    RULE = "rule", "rules", Slug, UnknownRule, "not declared in plan.yaml";
    USE = "use", "uses", Slug, UnknownUse, "not declared in plan.yaml";
    CONTEXT_KEY = "context key", "context keys", Slug, UnknownContext, "not declared in plan.yaml";
    CONDITION = "condition", "conditions", Slug, UnknownCondition, "not declared in plan.yaml";
    DOCUMENT = "document", "documents", Document, UnknownDocument, "not declared in plan.yaml";
    CATEGORY = "category", "categories", Slug, UnknownCategory, "not defined";
    OPERATOR = "operator", "operators", Slug, UnknownOperator, "in no operator list";
}

/// The definitions of one kind.
#[derive(Debug)]
pub(super) struct Table<T> {
    /// What they are.
    pub(super) kind: &'static Kind,
    items: Vec<T>,
    spans: Vec<Span>,
    by_id: HashMap<String, usize>,
    broken: HashSet<String>,
}

impl<T: Named> Table<T> {
    /// An empty table of `kind`.
    pub(super) fn new(kind: &'static Kind) -> Table<T> {
        Table {
            kind,
            items: Vec::new(),
            spans: Vec::new(),
            by_id: HashMap::new(),
            broken: HashSet::new(),
        }
    }

    /// Adds an item defined at `span`; returns its index. The first definition of an id stays
    /// the one found by [`Table::index`].
    pub(super) fn push(&mut self, item: T, span: Span) -> usize {
        let i = self.items.len();
        self.by_id.entry(item.id().to_string()).or_insert(i);
        self.items.push(item);
        self.spans.push(span);
        i
    }

    /// The index of the item with this id.
    pub(super) fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Item `i`, to complete it after every item is known.
    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i)
    }

    /// Where item `i` is defined.
    pub(super) fn span(&self, i: usize) -> Span {
        self.spans[i]
    }

    /// Where the item with this id is defined, if it is.
    pub(super) fn span_of(&self, id: &str) -> Option<Span> {
        self.index(id).map(|i| self.spans[i])
    }

    /// The ids, in source order.
    pub(super) fn ids(&self) -> impl Iterator<Item = &str> + Clone {
        self.items.iter().map(Named::id)
    }

    /// Whether a definition of this id was rejected.
    pub(super) fn is_broken(&self, id: &str) -> bool {
        self.broken.contains(id)
    }

    /// Records that a definition of this id was rejected.
    pub(super) fn mark_broken(&mut self, id: &str) {
        self.broken.insert(id.to_string());
    }

    /// How many items it has.
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// The items, in source order.
    pub(super) fn into_items(self) -> Vec<T> {
        self.items
    }
}

impl<T> Index<usize> for Table<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.items[i]
    }
}
