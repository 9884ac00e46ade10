//! Semantic diffs of two plan versions, over the number space and over time.
//!
//! Both artifacts are read at every key of either index (a range or block prefix). The keys cut the
//! number space into regions: the numbers under a key and under no longer key. Within a region
//! both versions give one answer each (a timeline of ranges, and a block), so comparing the answers
//! region by region is exact for every number, and splitting or merging a block that changes
//! nothing for any number is no change. Changed regions that are neighbours and changed the same
//! way are merged into one entry, as the regions come: a diff keeps what it outputs, not every
//! key that changed, and [`differs`] stops at the first difference (`docs/diff-output.md`,
//! "Memory").

use crate::artifact::{Artifact, RangeInfo, Resolved, Segment};
use crate::date::Date;
use serde::Serialize;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::rc::Rc;

/// What changed for a set of numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Item {
    /// A block now holds the numbers.
    Allocated {
        /// Operator code and name.
        operator: Operator,
        /// The new block prefixes.
        blocks: Vec<String>,
    },
    /// The block that held the numbers is gone.
    Withdrawn {
        /// The operator that held them.
        operator: Operator,
        /// The old block prefixes.
        blocks: Vec<String>,
    },
    /// Another operator holds the numbers.
    Transferred {
        /// Before.
        from: Operator,
        /// After.
        to: Operator,
        /// The new block prefixes.
        blocks: Vec<String>,
    },
    /// The register gives the numbers another status (CNAC's `Available` → `Assigned`…).
    Status {
        /// Before (`None`: no row, or a register without statuses).
        old: Option<String>,
        /// After.
        new: Option<String>,
        /// The block prefixes (the new row's, else the old one's).
        blocks: Vec<String>,
    },
    /// Same operator, another allocation date.
    AllocationDate {
        /// The operator.
        operator: Operator,
        /// Before.
        old: Option<Date>,
        /// After.
        new: Option<Date>,
    },
    /// The plan's answer changed during a period.
    Plan {
        /// First day of the change (`None`: since always).
        from: Option<Date>,
        /// First day after it (`None`: until further notice).
        until: Option<Date>,
        /// What the old version says then (`None`: outside the plan).
        old: Option<PlanAnswer>,
        /// What the new version says then.
        new: Option<PlanAnswer>,
        /// Which aspects differ.
        aspects: Vec<Aspect>,
    },
}

/// What differs in the plan's answer for some numbers and days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Aspect {
    /// The category.
    Category,
    /// The territory.
    Territory,
    /// The lengths numbers may have.
    Length,
    /// The category's rule statements (values or dates), the category unchanged.
    Rules,
    /// Whether any range answers: the numbers entered or left the plan.
    Range,
}

impl Aspect {
    /// The aspect as JSON writes it: `category`, `territory`, `length`, `rules`, `range`.
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Category => "category",
            Aspect::Territory => "territory",
            Aspect::Length => "length",
            Aspect::Rules => "rules",
            Aspect::Range => "range",
        }
    }
}

/// An operator, as the register names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Operator {
    /// Code (Mnémo).
    pub code: String,
    /// Name, when known.
    pub name: Option<String>,
    /// Allocation date of the block.
    pub allocated: Option<Date>,
}

/// The plan's answer for numbers in a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanAnswer {
    /// Category slug.
    pub category: String,
    /// Territory slug.
    pub territory: String,
    /// Allowed lengths.
    pub lengths: Vec<usize>,
    /// Rule and verdict statements: `rule=value` or `use=verdict` with their periods and the
    /// conditions of a verdict, e.g. `automated-voice=forbidden from 2023-01-01`,
    /// `voice=allowed from 2023-01-01 if own-mobile-access`.
    pub rules: Vec<String>,
}

/// One entry of a diff: numbers that changed the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The numbers in range syntax: a prefix (`0162`) or a run of prefixes (`0159071-0159076`).
    pub range: String,
    /// The same numbers as canonical prefixes.
    pub prefixes: Vec<String>,
    /// First number (at `length` digits).
    pub first: String,
    /// Last number.
    pub last: String,
    /// Length of the numbers counted.
    pub length: usize,
    /// How many numbers changed (`u128`: a 20-digit category holds 10^20 numbers, more than a
    /// `u64` counts).
    pub numbers: u128,
    /// Longer prefixes inside this entry's that are not part of it (listed in their own entries
    /// or unchanged).
    pub except: Vec<String>,
    /// What changed.
    pub items: Vec<Item>,
}

/// Counts over the whole diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Numbers in a block in the new version and in none in the old.
    pub numbers_allocated: u128,
    /// Numbers in a block in the old version and in none in the new.
    pub numbers_withdrawn: u128,
    /// Numbers whose operator changed.
    pub numbers_transferred: u128,
    /// Blocks of the new register holding numbers that no block held before.
    pub blocks_allocated: u64,
    /// Blocks of the old register holding numbers that no block holds now.
    pub blocks_withdrawn: u64,
    /// Blocks of the new register holding numbers that another operator held before.
    pub blocks_transferred: u64,
    /// Numbers whose register status changed (registers with statuses, such as CNAC's).
    pub numbers_status_changed: u128,
    /// Blocks whose register status changed.
    pub blocks_status_changed: u64,
    /// Numbers whose category changed at some date.
    pub numbers_category_changed: u128,
    /// Numbers whose rules (or their dates) changed, category aside.
    pub numbers_rules_changed: u128,
    /// Numbers whose territory or allowed lengths changed.
    pub numbers_other_plan_changes: u128,
    /// Entries in the diff.
    pub changes: u64,
    /// Lines of the plan-wide policy removed or added (see [`Diff::policy`]).
    pub policy_changes: u64,
}

/// What changed in the plan-wide policy: uses, context keys, conditions and requirements, which
/// apply across the number space (see [`crate::artifact::Artifact::policy`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyChange {
    /// Lines of OLD's policy that NEW does not have.
    pub removed: Vec<String>,
    /// Lines of NEW's policy that OLD does not have.
    pub added: Vec<String>,
}

/// A side of a diff: the plan id and version an artifact says it holds. In JSON, the pair
/// `["fr", "2026-04-17"]` (`docs/diff-output.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanVersion {
    /// Plan id, e.g. `fr`.
    pub id: String,
    /// Plan version.
    pub version: String,
}

impl PlanVersion {
    fn of(a: &Artifact<'_>) -> PlanVersion {
        PlanVersion {
            id: a.plan_id().to_string(),
            version: a.plan_version().to_string(),
        }
    }
}

impl Serialize for PlanVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.id, &self.version).serialize(serializer)
    }
}

/// A diff between two plan versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old side's plan.
    pub old: PlanVersion,
    /// The new side's plan.
    pub new: PlanVersion,
    /// Counts.
    pub summary: Summary,
    /// The plan-wide policy's changes: they bear on the verdicts of many numbers at once.
    pub policy: PolicyChange,
    /// The entries, in number order.
    pub changes: Vec<Change>,
}

impl Diff {
    /// Whether nothing changed: for no number, and not in the plan-wide policy.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.policy.removed.is_empty() && self.policy.added.is_empty()
    }
}

/// The lines of `old` not in `new` and those of `new` not in `old`, each in its side's order.
fn policy_change(old: &[String], new: &[String]) -> PolicyChange {
    PolicyChange {
        removed: old.iter().filter(|l| !new.contains(l)).cloned().collect(),
        added: new.iter().filter(|l| !old.contains(l)).cloned().collect(),
    }
}

/// One side's answer for a region.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Answer {
    /// The current register's row covering the numbers.
    block: Option<Row>,
    timeline: Vec<(Option<Date>, Option<Date>, Rc<PlanAnswer>)>,
}

/// A register row as a diff compares it: its holder, its status, its prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    operator: Option<Operator>,
    status: Option<String>,
    block: String,
}

fn plan_answer(info: &RangeInfo<'_>) -> PlanAnswer {
    let period = |f: Option<Date>, u: Option<Date>| match (f, u) {
        (None, None) => String::new(),
        (Some(f), None) => format!(" from {f}"),
        (None, Some(u)) => format!(" until {u}"),
        (Some(f), Some(u)) => format!(" from {f} until {u}"),
    };
    PlanAnswer {
        category: info.category.to_string(),
        territory: info.territory.to_string(),
        lengths: (0..32).filter(|l| info.lengths & (1 << l) != 0).collect(),
        rules: info
            .rules
            .iter()
            .map(|r| format!("{}={}{}", r.rule, r.value, period(r.from, r.until)))
            .chain(info.verdicts.iter().map(|v| {
                let conditions = if v.conditions.is_empty() {
                    String::new()
                } else {
                    format!(" if {}", v.conditions.join(", "))
                };
                format!(
                    "{}={}{}{conditions}",
                    v.use_id,
                    v.verdict,
                    period(v.from, v.until)
                )
            }))
            .collect(),
    }
}

/// The plan's answers of an artifact's range rows, made once each: a diff reads every key's
/// timeline, and keys share ranges; a key's timeline shares them (a region's answer holds no copy
/// of the rule strings).
type Memo = std::collections::HashMap<u32, Rc<PlanAnswer>>;

fn answer(a: &Artifact<'_>, key: &str, memo: &mut Memo) -> Answer {
    let Some(Resolved { block, segments }) = a.resolve(key) else {
        return Answer {
            block: None,
            timeline: Vec::new(),
        };
    };
    let block = block.map(|b| {
        let info = a.block_info(b);
        let op = info.operator.map(|code| Operator {
            code: code.to_string(),
            name: info.operator_name.map(str::to_string),
            allocated: info.allocated,
        });
        Row {
            operator: op,
            status: info.status.map(str::to_string),
            block: key.get(..info.prefix_len).unwrap_or(key).to_string(),
        }
    });
    let timeline = segments
        .iter()
        .map(|s: &Segment| {
            let answer = memo
                .entry(s.range)
                .or_insert_with(|| Rc::new(plan_answer(&a.range_info(s.range))));
            (s.from, s.until, Rc::clone(answer))
        })
        .collect();
    Answer { block, timeline }
}

/// The answer of a timeline on a day (`None` for "since always" means the earliest).
fn at(timeline: &[(Option<Date>, Option<Date>, Rc<PlanAnswer>)], from: Option<Date>) -> Option<&PlanAnswer> {
    timeline
        .iter()
        .find(|(f, u, _)| {
            let starts = match (f, from) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(f), Some(d)) => *f <= d,
            };
            let ends = match (u, from) {
                (None, _) => true,
                (Some(u), Some(d)) => d < *u,
                (Some(_), None) => true,
            };
            starts && ends
        })
        .map(|(_, _, p)| &**p)
}

/// The items that differ between two answers.
fn compare(old: &Answer, new: &Answer) -> Vec<Item> {
    let mut items = Vec::new();
    fn holder(r: &Option<Row>) -> Option<(&Operator, &String)> {
        r.as_ref().and_then(|r| Some((r.operator.as_ref()?, &r.block)))
    }
    match (holder(&old.block), holder(&new.block)) {
        (None, Some((op, block))) => items.push(Item::Allocated {
            operator: op.clone(),
            blocks: vec![block.clone()],
        }),
        (Some((op, block)), None) => items.push(Item::Withdrawn {
            operator: op.clone(),
            blocks: vec![block.clone()],
        }),
        // Holders are told by their code: a company renamed under the same code is no transfer.
        (Some((a, _)), Some((b, block))) if a.code != b.code => items.push(Item::Transferred {
            from: a.clone(),
            to: b.clone(),
            blocks: vec![block.clone()],
        }),
        (Some((a, _)), Some((b, _))) if a.allocated != b.allocated => items.push(Item::AllocationDate {
            operator: b.clone(),
            old: a.allocated,
            new: b.allocated,
        }),
        _ => {}
    }
    let status = |r: &Option<Row>| r.as_ref().and_then(|r| r.status.clone());
    let (old_status, new_status) = (status(&old.block), status(&new.block));
    if old_status != new_status {
        let block = new.block.as_ref().or(old.block.as_ref()).map(|r| r.block.clone());
        items.push(Item::Status {
            old: old_status,
            new: new_status,
            blocks: block.into_iter().collect(),
        });
    }
    // The timelines, cut at every date either one changes.
    let mut cuts: BTreeSet<Option<Date>> = BTreeSet::new();
    cuts.insert(None);
    for (f, u, _) in old.timeline.iter().chain(&new.timeline) {
        cuts.extend([*f, *u].into_iter().flatten().map(Some));
    }
    let cuts: Vec<Option<Date>> = cuts.into_iter().collect();
    let mut plan: Vec<Item> = Vec::new();
    for (i, from) in cuts.iter().enumerate() {
        let until = cuts.get(i + 1).copied().flatten();
        let (o, n) = (at(&old.timeline, *from), at(&new.timeline, *from));
        if o == n {
            continue;
        }
        let mut aspects = Vec::new();
        match (o, n) {
            (Some(o), Some(n)) => {
                if o.category != n.category {
                    aspects.push(Aspect::Category);
                }
                if o.territory != n.territory {
                    aspects.push(Aspect::Territory);
                }
                if o.lengths != n.lengths {
                    aspects.push(Aspect::Length);
                }
                if o.rules != n.rules && o.category == n.category {
                    aspects.push(Aspect::Rules);
                }
            }
            _ => aspects.push(Aspect::Range),
        }
        if aspects.is_empty() {
            continue;
        }
        // Extend the previous period when it changed the same way.
        if let Some(Item::Plan {
            until: last_until,
            old,
            new,
            ..
        }) = plan.last_mut()
            && *last_until == *from
            && old.as_ref() == o
            && new.as_ref() == n
        {
            *last_until = until;
            continue;
        }
        plan.push(Item::Plan {
            from: *from,
            until,
            old: o.cloned(),
            new: n.cloned(),
            aspects,
        });
    }
    items.extend(plan);
    items
}

/// The length of the numbers a region counts: the shortest length allowed that is at least the
/// prefix's own (a 2-digit emergency number counts one number, `0162` counts 10-digit numbers).
fn region_length(old: &Answer, new: &Answer, key: &str) -> usize {
    new.timeline
        .last()
        .or(old.timeline.last())
        .and_then(|(_, _, p)| p.lengths.iter().copied().find(|&l| l >= key.len()))
        .unwrap_or(key.len())
}

/// The keys of both indexes, in order, in one buffer: key `i` is `text[ends[i - 1]..ends[i]]`.
/// About 4 bytes a key beyond its digits (`docs/diff-output.md`, "Memory").
struct Keys {
    text: String,
    ends: Vec<u32>,
}

impl Keys {
    fn of(old: &Artifact<'_>, new: &Artifact<'_>) -> Keys {
        let mut keys = Keys {
            text: String::new(),
            ends: Vec::new(),
        };
        old.for_each_key_of_either(new, |key| {
            // Keys are ASCII digits (`Artifact::open` checked every transition), at most 2^24
            // of at most 20 digits a side: the buffer stays far below 4 GiB.
            keys.text.push_str(&String::from_utf8_lossy(key));
            keys.ends.push(u32::try_from(keys.text.len()).unwrap_or(u32::MAX));
        });
        keys
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }
}

/// The keys of both indexes with, for each, the extent of the keys under it: what a walk over
/// the regions needs besides the two files (`docs/diff-output.md`, "Memory").
struct Listing {
    keys: Keys,
    /// The keys under key `i` (its "holes") are those from `i + 1` up to `under[i]`, sorted order
    /// putting a key's descendants right after it.
    under: Vec<u32>,
}

impl Listing {
    fn of(old: &Artifact<'_>, new: &Artifact<'_>) -> Listing {
        let keys = Keys::of(old, new);
        let n_keys = keys.len();
        let mut under: Vec<u32> = vec![0; n_keys];
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..n_keys {
            let k = keys.get(i);
            while let Some(&p) = stack.last() {
                if k.starts_with(keys.get(p)) {
                    break;
                }
                under[p] = i as u32;
                stack.pop();
            }
            stack.push(i);
        }
        for p in stack {
            under[p] = n_keys as u32;
        }
        Listing { keys, under }
    }

    /// The children of key `i`: the holes that are no key's descendant below `i`, found by
    /// skipping each one's own run.
    fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.under[i] as usize;
        std::iter::successors(Some(i + 1), move |&c| self.under.get(c).map(|&u| u as usize))
            .take_while(move |&c| c < end)
    }

    /// How many numbers of `length` digits lie under key `i` and under none of its holes.
    fn count(&self, i: usize, length: usize) -> u128 {
        // In `u128`: numbers are at most 31 digits long (a length bitmask of 32 bits), and
        // 10^31 < 2^128; the sums saturate all the same rather than trust that.
        let size = |k: &str| {
            10u128.saturating_pow(u32::try_from(length.saturating_sub(k.len())).unwrap_or(u32::MAX))
        };
        let all = size(self.keys.get(i));
        let minus: u128 = self
            .children(i)
            .filter(|&h| self.keys.get(h).len() <= length)
            .map(|h| size(self.keys.get(h)))
            .fold(0, u128::saturating_add);
        all.saturating_sub(minus)
    }
}

/// A region that changed and holds numbers of its own.
struct Region {
    /// Its key's index in the listing.
    key: usize,
    /// The length of the numbers counted.
    length: usize,
    /// How many.
    numbers: u128,
    items: Vec<Item>,
}

/// Calls `f` with every changed region that holds numbers, in key order, until `f` breaks. Nothing
/// is kept from one region to the next but the plan answers of the range rows (one per row of
/// each file).
fn for_each_region(
    old: &Artifact<'_>,
    new: &Artifact<'_>,
    listing: &Listing,
    mut f: impl FnMut(Region) -> ControlFlow<()>,
) {
    let (mut old_memo, mut new_memo) = (Memo::new(), Memo::new());
    for i in 0..listing.keys.len() {
        let k = listing.keys.get(i);
        let (o, n) = (answer(old, k, &mut old_memo), answer(new, k, &mut new_memo));
        let items = compare(&o, &n);
        if items.is_empty() {
            continue;
        }
        let length = region_length(&o, &n, k);
        // A region whose numbers all lie under longer keys holds no number of its own.
        let numbers = listing.count(i, length);
        if numbers == 0 {
            continue;
        }
        let region = Region {
            key: i,
            length,
            numbers,
            items,
        };
        if f(region).is_break() {
            return;
        }
    }
}

/// Whether two artifacts differ, as [`diff`] would say (`!diff(old, new).is_empty()`), stopping at
/// the first difference: it keeps nothing of the changes, for `diff -q`.
pub fn differs(old: &Artifact<'_>, new: &Artifact<'_>) -> bool {
    let policy = policy_change(&old.policy(), &new.policy());
    if !policy.removed.is_empty() || !policy.added.is_empty() {
        return true;
    }
    let listing = Listing::of(old, new);
    let mut found = false;
    for_each_region(old, new, &listing, |_| {
        found = true;
        ControlFlow::Break(())
    });
    found
}

/// A merged run of prefixes in the making: more than this many are made canonical as they come,
/// so a run of a million keys holds its few canonical prefixes, not the million.
const COMPACT_AT: usize = 1024;

/// Compares two artifacts over the number space.
pub fn diff(old: &Artifact<'_>, new: &Artifact<'_>) -> Diff {
    let listing = Listing::of(old, new);
    let keys = &listing.keys;

    let mut summary = Summary::default();
    let (mut allocated, mut withdrawn, mut transferred) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut status_changed = BTreeSet::new();
    // Neighbours that changed the same way (equal-length keys, consecutive, no holes) are merged
    // as the regions come, in key order: `last` is the last change's first and last key, and the
    // size of its prefix list when last made canonical.
    let mut changes: Vec<Change> = Vec::new();
    let mut last: Option<(String, String, usize)> = None;
    for_each_region(old, new, &listing, |r| {
        let n = r.numbers;
        for item in &r.items {
            match item {
                Item::Allocated { blocks, .. } => {
                    summary.numbers_allocated = summary.numbers_allocated.saturating_add(n);
                    allocated.extend(blocks.iter().cloned());
                }
                Item::Withdrawn { blocks, .. } => {
                    summary.numbers_withdrawn = summary.numbers_withdrawn.saturating_add(n);
                    withdrawn.extend(blocks.iter().cloned());
                }
                Item::Transferred { blocks, .. } => {
                    summary.numbers_transferred = summary.numbers_transferred.saturating_add(n);
                    transferred.extend(blocks.iter().cloned());
                }
                Item::Status { blocks, .. } => {
                    summary.numbers_status_changed = summary.numbers_status_changed.saturating_add(n);
                    status_changed.extend(blocks.iter().cloned());
                }
                _ => {}
            }
        }
        let aspects: BTreeSet<Aspect> = r
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Plan { aspects, .. } => Some(aspects.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        if aspects.contains(&Aspect::Category) || aspects.contains(&Aspect::Range) {
            summary.numbers_category_changed = summary.numbers_category_changed.saturating_add(n);
        } else if aspects.contains(&Aspect::Rules) {
            summary.numbers_rules_changed = summary.numbers_rules_changed.saturating_add(n);
        } else if !aspects.is_empty() {
            summary.numbers_other_plan_changes = summary.numbers_other_plan_changes.saturating_add(n);
        }

        let key = keys.get(r.key);
        let has_holes = listing.children(r.key).next().is_some();
        let pad = |c: char| {
            format!(
                "{key}{}",
                c.to_string().repeat(r.length.saturating_sub(key.len()))
            )
        };
        if let (Some(c), Some((_, prev, compacted))) = (changes.last_mut(), &mut last)
            && same_change(&c.items, &r.items)
            && c.except.is_empty()
            && !has_holes
            && c.length == r.length
            && prev.len() == key.len()
            && successor(prev).as_deref() == Some(key)
        {
            c.prefixes.push(key.to_string());
            if c.prefixes.len() >= COMPACT_AT.max(2 * *compacted) {
                c.prefixes = crate::range::canonical_prefixes(std::mem::take(&mut c.prefixes));
                *compacted = c.prefixes.len();
            }
            merge_blocks(&mut c.items, r.items);
            c.last = pad('9');
            c.numbers = c.numbers.saturating_add(n);
            *prev = key.to_string();
            return ControlFlow::Continue(());
        }
        close(&mut changes, last.take());
        let except: Vec<String> = listing.children(r.key).map(|h| keys.get(h).to_string()).collect();
        changes.push(Change {
            range: key.to_string(),
            prefixes: vec![key.to_string()],
            first: pad('0'),
            last: pad('9'),
            length: r.length,
            numbers: n,
            except,
            items: r.items,
        });
        last = Some((key.to_string(), key.to_string(), 1));
        ControlFlow::Continue(())
    });
    close(&mut changes, last);
    // Blocks, counted by their prefixes: those with at least one number that changed.
    summary.blocks_allocated = allocated.len() as u64;
    summary.blocks_withdrawn = withdrawn.len() as u64;
    summary.blocks_transferred = transferred.len() as u64;
    summary.blocks_status_changed = status_changed.len() as u64;
    summary.changes = changes.len() as u64;
    let policy = policy_change(&old.policy(), &new.policy());
    summary.policy_changes = (policy.removed.len() + policy.added.len()) as u64;
    Diff {
        old: PlanVersion::of(old),
        new: PlanVersion::of(new),
        summary,
        policy,
        changes,
    }
}

/// Finishes the last change: a merged run is shown by its canonical prefixes (ten siblings make
/// their parent), its range by its first and last keys when they are not one prefix.
fn close(changes: &mut [Change], last: Option<(String, String, usize)>) {
    let (Some(c), Some((first, last, _))) = (changes.last_mut(), last) else {
        return;
    };
    if first == last {
        return;
    }
    c.prefixes = crate::range::canonical_prefixes(std::mem::take(&mut c.prefixes));
    c.range = match c.prefixes.as_slice() {
        [one] => one.clone(),
        _ => format!("{first}-{last}"),
    };
}

/// Block prefixes of an item, for merging.
fn blocks_mut(item: &mut Item) -> Option<&mut Vec<String>> {
    match item {
        Item::Allocated { blocks, .. }
        | Item::Withdrawn { blocks, .. }
        | Item::Transferred { blocks, .. }
        | Item::Status { blocks, .. } => Some(blocks),
        _ => None,
    }
}

/// Whether two regions changed the same way (which blocks they are in aside).
fn same_change(a: &[Item], b: &[Item]) -> bool {
    let strip = |items: &[Item]| -> Vec<Item> {
        items
            .iter()
            .cloned()
            .map(|mut i| {
                if let Some(b) = blocks_mut(&mut i) {
                    b.clear();
                }
                i
            })
            .collect()
    };
    a.len() == b.len() && strip(a) == strip(b)
}

/// Adds `from`'s block prefixes to `into`'s (items in the same order, per [`same_change`]).
fn merge_blocks(into: &mut [Item], from: Vec<Item>) {
    for (a, mut b) in into.iter_mut().zip(from) {
        if let (Some(a), Some(b)) = (blocks_mut(a), blocks_mut(&mut b)) {
            for block in b.drain(..) {
                if !a.contains(&block) {
                    a.push(block);
                }
            }
        }
    }
}

/// The next digit string of the same length (`0162` → `0163`), if any.
fn successor(key: &str) -> Option<String> {
    let mut b = key.as_bytes().to_vec();
    for i in (0..b.len()).rev() {
        if b[i] < b'9' {
            b[i] += 1;
            return String::from_utf8(b).ok();
        }
        b[i] = b'0';
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors() {
        assert_eq!(successor("0162").as_deref(), Some("0163"));
        assert_eq!(successor("0199").as_deref(), Some("0200"));
        assert_eq!(successor("99"), None);
    }

    #[test]
    fn an_artifact_does_not_differ_from_itself() {
        let a = Artifact::open(crate::embedded::FR).unwrap();
        let d = diff(&a, &a);
        assert!(d.is_empty(), "{:?}", d.changes.first());
        assert_eq!(d.summary, Summary::default());
    }
}
