//! Checks of the register: the operator lists, the snapshots' dates, and every block (tranche,
//! territory, operator, the range it falls in, length, duplicates and overlaps).

use super::{Builder, MAX_SNAPSHOTS, Validator, file_name, help_for};
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::load;
use crate::plan::{Block, Operator, Resolver, SourceRef};
use crate::span::{FileId, Span};
use std::collections::BTreeSet;

impl Validator<'_> {
    pub(super) fn operator_list(
        &mut self,
        b: &mut Builder,
        file: FileId,
        rows: &[crate::register::OperatorRow],
    ) {
        for row in rows {
            let span = Span::new(file, row.code.span.clone());
            let code = row.code.value.trim();
            if code.is_empty() {
                let d = Diagnostic::error(Code::RegisterValue, span, "empty CODE_OPERATEUR")
                    .with_label("no code");
                self.error(d);
                continue;
            }
            if let Some(first) = b.operators.span_of(code) {
                // The operator list is Arcep's file, kept unchanged: a duplicate there is reported,
                // not an error of the plan; the first row is used.
                let d = Diagnostic::error(
                    Code::DuplicateOperator,
                    span,
                    format!("operator `{code}` is listed twice in the operator list"),
                )
                .warning()
                .with_label("listed again here")
                .with_secondary(first, "first listed here")
                .with_help(
                    "the first row is used; the file is the regulator's and stays unchanged, so tell its publisher",
                );
                self.error(d);
                continue;
            }
            let name = row.name.value.trim();
            b.operators.push(
                Operator {
                    code: code.to_string(),
                    name: (!name.is_empty()).then(|| name.to_string()),
                    source: SourceRef {
                        file: file_name(self.sources, file),
                        line: u32::try_from(row.line).unwrap_or(u32::MAX),
                    },
                },
                span,
            );
        }
    }

    pub(super) fn extra_operators(&mut self, b: &mut Builder, file: FileId, ops: &load::RawOperators) {
        for op in &ops.operators {
            let span = self.span(file, &op.code);
            let code = op.code.value.trim();
            if code.is_empty() || !code.bytes().all(|c| c.is_ascii_alphanumeric()) {
                let d = Diagnostic::error(Code::BadId, span, format!("`{code}` is not an operator code"))
                    .with_label("expected letters and digits")
                    .with_help("operator codes are the register's Mnémo, e.g. `FRTE`");
                self.error(d);
                continue;
            }
            if let Some(first) = b.operators.span_of(code) {
                let d = Diagnostic::error(
                    Code::DuplicateOperator,
                    span,
                    format!("operator `{code}` is already defined"),
                )
                .warning()
                .with_label("defined again here")
                .with_secondary(first, "first defined here")
                .with_help("once the operator list has it, remove it from the extra operators");
                self.error(d);
                continue;
            }
            b.operators.push(
                Operator {
                    code: code.to_string(),
                    name: op.name.as_ref().map(|n| n.value.clone()),
                    source: self.source_ref(file, &op.code),
                },
                span,
            );
        }
    }

    /// The register's dates: its own (`date`) and its earlier snapshots', which must come in
    /// order before it. Returns each snapshot's date (`None` where it is not a date).
    pub(super) fn register_dates(
        &mut self,
        b: &mut Builder,
        file: FileId,
        reg: &load::RawRegisterFiles,
    ) -> Vec<Option<Date>> {
        b.register_date = reg.date.as_ref().and_then(|d| self.date(file, d));
        let dates: Vec<Option<Date>> = reg.history.iter().map(|s| self.date(file, &s.date)).collect();
        if reg.date.is_none()
            && let Some(first) = reg.history.first()
        {
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                self.span(file, &first.date),
                "earlier register snapshots are listed, but the register has no `date`",
            )
            .with_label("a snapshot")
            .with_help("give `files.register.date`, the day the current register files were published");
            self.error(d);
            return dates;
        }
        if let Some(s) = reg.history.get(MAX_SNAPSHOTS - 1) {
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                self.span(file, &s.date),
                format!("a register has at most {} earlier snapshots", MAX_SNAPSHOTS - 1),
            )
            .with_label("one too many")
            .with_help("keep the snapshots that answers about past days need");
            self.error(d);
        }
        for s in reg.history.iter().filter(|s| s.blocks.is_empty()) {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, &s.date),
                "this snapshot lists no block file",
            )
            .with_label("a snapshot without blocks")
            .with_help("name its register files in `blocks`, or drop the snapshot");
            self.error(d);
        }
        let mut previous: Option<(Date, Span)> = None;
        for (s, date) in reg.history.iter().zip(&dates) {
            let Some(date) = *date else { continue };
            let span = self.span(file, &s.date);
            let later = match previous {
                Some((p, pspan)) if date <= p => Some((p, pspan, "the snapshot before it")),
                _ => None,
            }
            .or_else(|| {
                let register = b.register_date?;
                let rspan = self.span(file, reg.date.as_ref()?);
                (date >= register).then_some((register, rspan, "the register's own date"))
            });
            if let Some((other, ospan, what)) = later {
                let d = Diagnostic::error(
                    Code::SnapshotOrder,
                    span,
                    format!("snapshot of {date} is not before {what} ({other})"),
                )
                .with_label("out of order")
                .with_secondary(ospan, what)
                .with_help("list earlier snapshots oldest first, each before the next and before `date`");
                self.error(d);
            }
            previous = Some((date, span));
        }
        dates
    }

    /// Checks the block files of one register snapshot and returns its blocks, sorted by prefix.
    pub(super) fn blocks(
        &mut self,
        b: &Builder,
        files: &[&(FileId, Vec<crate::register::BlockRow>)],
        missing: load::Missing,
    ) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        let resolver = Resolver::new(&b.ranges);
        let place_blocks = !missing.categories && !missing.ranges && !b.broken_ranges;
        let mut seen: Vec<(String, Span)> = Vec::new();
        for &(file, rows) in files {
            let file = *file;
            for row in rows {
                let at = |r: &std::ops::Range<usize>| Span::new(file, r.clone());
                let prefix = row.ezabpqm.value.as_str();
                let tranche = row.check_tranche();
                if let Err(e) = &tranche {
                    use crate::register::TrancheMismatch as M;
                    let (field, label) = match e {
                        M::Debut { expected } => (&row.tranche_debut, format!("expected `{expected}`")),
                        M::Fin { expected } => (&row.tranche_fin, format!("expected `{expected}`")),
                        M::Lengths { .. } => {
                            (&row.tranche_fin, "not the length of Tranche_Debut".to_string())
                        }
                        M::PrefixTooLong { .. } => (&row.ezabpqm, "longer than the numbers".to_string()),
                    };
                    let d = Diagnostic::error(
                        Code::TrancheMismatch,
                        at(&field.span),
                        format!("block `{prefix}`: {e}"),
                    )
                    .with_label(label);
                    let d = if field.span == row.ezabpqm.span {
                        d
                    } else {
                        d.with_secondary(at(&row.ezabpqm.span), "the block prefix (EZABPQM)")
                    };
                    let d = d.with_help(
                        "Tranche_Debut and Tranche_Fin are EZABPQM padded with 0s and with 9s to the number length",
                    );
                    self.error(d);
                }
                let territory = match b.register_names.get(row.territoire.value.as_str()) {
                    Some((t, _)) => Some(*t),
                    None => {
                        let names: Vec<&str> = b
                            .register_names
                            .keys()
                            .map(String::as_str)
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        let help =
                            help_for(&row.territoire.value, ("register name", "register names"), names);
                        let d = Diagnostic::error(
                            Code::RegisterTerritory,
                            at(&row.territoire.span),
                            format!(
                                "`{}` is not the register name of any territory",
                                row.territoire.value
                            ),
                        )
                        .with_label("unknown Territoire")
                        .with_help(format!(
                            "{help} (territories list their names in plan.yaml `register_names`)"
                        ));
                        self.error(d);
                        None
                    }
                };
                let operator = match b.operators.index(&row.mnemo.value) {
                    Some(o) => Some(o),
                    None if missing.operators => None,
                    None => {
                        let d = Diagnostic::error(
                            Code::UnknownOperator,
                            at(&row.mnemo.span),
                            format!("operator `{}` is in no operator list", row.mnemo.value),
                        )
                        .with_label("unknown operator code")
                        .with_help("add it to the extra operators file (operators.yaml) with the source of its name, or update identifiants_CE.csv");
                        self.error(d);
                        None
                    }
                };
                let (Ok(len), Some(date)) = (tranche, row.date) else {
                    continue;
                };
                seen.push((prefix.to_string(), at(&row.ezabpqm.span)));
                if !place_blocks {
                    continue;
                }
                // Which range holds the block: the most specific one in force on its allocation
                // date; failing that (allocated before the range's period), the next one in force.
                let range = resolver
                    .at(prefix, date)
                    .or_else(|| resolver.most_specific(prefix, |r| r.period.from.is_some_and(|f| f > date)));
                let Some(range) = range else {
                    let what = if resolver.covering(prefix).next().is_none() {
                        "no range of the plan contains it"
                    } else {
                        "no range containing it applies on or after its allocation date"
                    };
                    let d = Diagnostic::error(
                        Code::BlockOutsidePlan,
                        at(&row.ezabpqm.span),
                        format!("block `{prefix}` allocated {date}: {what}"),
                    )
                    .with_label("outside the plan")
                    .with_help("add a range for these numbers to the plan, or check the block prefix");
                    self.error(d);
                    continue;
                };
                let r = &b.ranges[range];
                let cat = &b.categories[r.category];
                let allowed_lengths = r.lengths.as_ref().unwrap_or(&cat.lengths);
                if !b.broken_lengths.contains(&r.category)
                    && !allowed_lengths.contains(&u8::try_from(len).unwrap_or(0))
                {
                    let allowed: Vec<String> = allowed_lengths.iter().map(u8::to_string).collect();
                    let d = Diagnostic::error(
                        Code::LengthNotAllowed,
                        at(&row.tranche_debut.span),
                        format!(
                            "block `{prefix}` has {len}-digit numbers, but `{}` allows {}",
                            cat.id,
                            allowed.join(" or ")
                        ),
                    )
                    .with_label(format!("{len} digits"))
                    .with_secondary(b.category_length_spans[r.category], "the category's lengths")
                    .with_secondary(b.range_spans[range], "the block falls in this range")
                    .with_help("check the block, or the range and lengths of its category");
                    self.error(d);
                    continue;
                }
                let (Some(territory), Some(operator)) = (territory, operator) else {
                    continue;
                };
                if territory != r.territory {
                    let d = Diagnostic::error(
                        Code::RegisterTerritory,
                        at(&row.territoire.span),
                        format!(
                            "block `{prefix}` is registered in `{}`, but its range is in territory `{}`",
                            row.territoire.value, b.territories[r.territory].id
                        ),
                    )
                    .with_label(format!("territory `{}`", b.territories[territory].id))
                    .with_secondary(b.range_spans[range], "the range")
                    .with_help(
                        "split the range so that each territory has its own, or check the register row",
                    );
                    self.error(d);
                    continue;
                }
                out.push(Block {
                    prefix: prefix.to_string(),
                    length: len as u8,
                    operator,
                    territory,
                    allocated: date,
                    range,
                    source: SourceRef {
                        file: file_name(self.sources, file),
                        line: u32::try_from(row.line).unwrap_or(u32::MAX),
                    },
                });
            }
        }
        // Duplicates and overlaps. In sorted order, every block that contains `p` (is a prefix of
        // it) comes before `p`, and so does everything between them: a stack of the enclosing
        // blocks finds them in one pass.
        seen.sort();
        let mut open: Vec<usize> = Vec::new();
        for (w, (p, span)) in seen.iter().enumerate() {
            while open.last().is_some_and(|&k| !p.starts_with(seen[k].0.as_str())) {
                open.pop();
            }
            if let Some(&k) = open.last() {
                let (q, qspan) = &seen[k];
                let (msg, label) = if p == q {
                    (format!("block `{p}` is listed twice"), "listed again here")
                } else {
                    (
                        format!("block `{p}` lies inside block `{q}`"),
                        "overlaps another block",
                    )
                };
                let d = Diagnostic::error(Code::DuplicateBlock, *span, msg)
                    .with_label(label)
                    .with_secondary(*qspan, "the other block")
                    .with_help("a number belongs to one block: remove or split one of them");
                self.error(d);
            }
            open.push(w);
        }
        out.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        out
    }
}
