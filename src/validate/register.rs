//! Checks of the register: the operator lists, the snapshots' dates, and every block (tranche,
//! territory, operator, the range it falls in, length, duplicates and overlaps).

use super::{Builder, MAX_SNAPSHOTS, Validator, file_name, help_for};
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::load::{self, RegisterRows, S};
use crate::plan::{BlockRef, Operator, Register, Resolver, SourceRef};
use crate::register::RegisterFormat;
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

    /// The register's format (`files.register.format`), `None` (reported) when it names none.
    pub(super) fn register_format(
        &mut self,
        file: FileId,
        reg: &load::RawRegisterFiles,
    ) -> Option<RegisterFormat> {
        let format = load::register_format(reg);
        if let (None, Some(name)) = (format, &reg.format) {
            let names = RegisterFormat::ALL.map(|(n, _)| n);
            let help = help_for(name.value.trim(), ("format", "formats"), names);
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, name),
                format!("`{}` is not a register format", name.value),
            )
            .with_label("unknown format")
            .with_help(help);
            self.error(d);
        }
        format
    }

    /// The options of `files.register` that `format` does not take: CNAC's file names its
    /// operators in its rows (OCN and Company), so it has no operator list.
    pub(super) fn register_options(
        &mut self,
        file: FileId,
        reg: &load::RawRegisterFiles,
        format: RegisterFormat,
    ) {
        if format != RegisterFormat::CnacCoCodeStatus {
            return;
        }
        for (name, key) in [
            (&reg.operators, "operators"),
            (&reg.extra_operators, "extra_operators"),
        ] {
            if let Some(name) = name {
                let d = Diagnostic::error(
                    Code::BadValue,
                    self.span(file, name),
                    format!("`{key}` is not read with the register format `cnac-co-code-status`"),
                )
                .with_label("not used")
                .with_help(
                    "CNAC's file names each code's holder in its rows (OCN, Company): remove this key",
                );
                self.error(d);
            }
        }
    }

    /// The register's dates: its own and its earlier snapshots', which must come in order before
    /// it. Each is the one `plan.yaml` gives, or its files' own (CNAC's date row), which must agree
    /// with it when both are there. `file_dates` holds, for the current register then each
    /// snapshot, the date its files carry. Returns each snapshot's date (`None` where it has none).
    pub(super) fn register_dates(
        &mut self,
        b: &mut Builder,
        file: FileId,
        reg: &load::RawRegisterFiles,
        file_dates: &[Option<(Date, Span)>],
    ) -> Vec<Option<Date>> {
        let resolve = |v: &mut Self,
                       written: Option<&S<String>>,
                       own: Option<&Option<(Date, Span)>>,
                       at: Option<Span>| {
            let own = own.copied().flatten();
            let given = written.map(|w| (v.date(file, w), v.span(file, w)));
            match (given, own) {
                (Some((Some(g), gspan)), Some((o, ospan))) if g != o => {
                    let d = Diagnostic::error(
                        Code::RegisterDate,
                        gspan,
                        format!("plan.yaml dates this register {g}, but its file is dated {o}"),
                    )
                    .with_label(format!("{g}"))
                    .with_secondary(ospan, "the file's own date")
                    .with_help("leave `date` out to take the file's, or check which file is named");
                    v.error(d);
                    None
                }
                (Some((g, _)), _) => g,
                (None, Some((o, _))) => Some(o),
                (None, None) => {
                    // The current register may be undated (`at` is `None`) unless earlier
                    // snapshots need it to follow.
                    let at = at?;
                    let d = Diagnostic::error(Code::RegisterDate, at, "this register snapshot has no date")
                        .with_label("no `date`")
                        .with_help("give `date`, the day its files were published (a CNAC file gives its own in its date row)");
                    v.error(d);
                    None
                }
            }
        };
        let blocks_span =
            |v: &Self, names: &[S<String>]| names.first().map_or(Span::new(file, 0..0), |n| v.span(file, n));
        let at = blocks_span(self, &reg.blocks);
        b.register_date = resolve(self, reg.date.as_ref(), file_dates.first(), None);
        if b.register_date.is_none()
            && reg.date.is_none()
            && let Some(first) = reg.history.first()
        {
            let span = first
                .date
                .as_ref()
                .map_or_else(|| blocks_span(self, &first.blocks), |d| self.span(file, d));
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                span,
                "earlier register snapshots are listed, but the register has no `date`",
            )
            .with_label("a snapshot")
            .with_help("give `files.register.date`, the day the current register files were published");
            self.error(d);
            return reg.history.iter().map(|_| None).collect();
        }
        let mut dates = Vec::new();
        for (i, s) in reg.history.iter().enumerate() {
            let at = blocks_span(self, &s.blocks);
            dates.push(resolve(self, s.date.as_ref(), file_dates.get(i + 1), Some(at)));
        }
        let where_of = |v: &Self, s: &load::RawSnapshot| {
            s.date
                .as_ref()
                .map_or_else(|| blocks_span(v, &s.blocks), |d| v.span(file, d))
        };
        if let Some(s) = reg.history.get(MAX_SNAPSHOTS - 1) {
            let d = Diagnostic::error(
                Code::SnapshotOrder,
                where_of(self, s),
                format!("a register has at most {} earlier snapshots", MAX_SNAPSHOTS - 1),
            )
            .with_label("one too many")
            .with_help("keep the snapshots that answers about past days need");
            self.error(d);
        }
        for s in reg.history.iter().filter(|s| s.blocks.is_empty()) {
            let d = Diagnostic::error(
                Code::BadValue,
                where_of(self, s),
                "this snapshot lists no block file",
            )
            .with_label("a snapshot without blocks")
            .with_help("name its register files in `blocks`, or drop the snapshot");
            self.error(d);
        }
        let register_at = reg.date.as_ref().map_or(at, |d| self.span(file, d));
        let mut previous: Option<(Date, Span)> = None;
        for (s, date) in reg.history.iter().zip(&dates) {
            let Some(date) = *date else { continue };
            let span = where_of(self, s);
            let later = match previous {
                Some((p, pspan)) if date <= p => Some((p, pspan, "the snapshot before it")),
                _ => None,
            }
            .or_else(|| {
                let register = b.register_date?;
                (date >= register).then_some((register, register_at, "the register's own date"))
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

    /// The date a snapshot's files carry (CNAC's date row), if they do; two files that disagree
    /// are reported.
    pub(super) fn files_date(&mut self, files: &[&(FileId, RegisterRows)]) -> Option<(Date, Span)> {
        let mut found: Option<(Date, Span)> = None;
        for (file, rows) in files {
            let RegisterRows::CoCodes(f) = rows else { continue };
            let (Some(date), Some(span)) = (f.date, f.date_span.clone()) else {
                continue;
            };
            let span = Span::new(*file, span);
            match found {
                Some((d, first)) if d != date => {
                    let diag = Diagnostic::error(
                        Code::RegisterDate,
                        span,
                        format!("the files of one register snapshot are dated {d} and {date}"),
                    )
                    .with_label(format!("{date}"))
                    .with_secondary(first, format!("{d}"))
                    .with_help("a snapshot's files are published together: name files of one day");
                    self.error(diag);
                }
                Some(_) => {}
                None => found = Some((date, span)),
            }
        }
        found
    }

    /// The operators a register names in its rows (CNAC's OCN, with its Company as the name),
    /// from the newest snapshot first: a company renamed under the same OCN is one operator,
    /// named as the newest register names it.
    pub(super) fn row_operators(
        &mut self,
        b: &mut Builder,
        snapshots_newest_first: &[Vec<&(FileId, RegisterRows)>],
    ) {
        for files in snapshots_newest_first {
            for (file, rows) in files {
                let RegisterRows::CoCodes(f) = rows else { continue };
                for code in &f.codes {
                    let (Some(ocn), Some(company)) = (&code.ocn, &code.company) else {
                        continue;
                    };
                    if b.operators.index(&ocn.value).is_some() {
                        continue;
                    }
                    b.operators.push(
                        Operator {
                            code: ocn.value.clone(),
                            name: Some(company.value.clone()),
                            source: SourceRef {
                                file: file_name(self.sources, *file),
                                line: u32::try_from(code.line).unwrap_or(u32::MAX),
                            },
                        },
                        Span::new(*file, ocn.span.clone()),
                    );
                }
            }
        }
    }

    /// The territory a register row names (`Territoire`, `Province`), reported when no territory
    /// lists that name.
    fn row_territory(&mut self, b: &Builder, name: &str, span: Span, column: &str) -> Option<usize> {
        if let Some((t, _)) = b.register_names.get(name) {
            return Some(*t);
        }
        let names: Vec<&str> = b
            .register_names
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let help = help_for(name, ("register name", "register names"), names);
        let d = Diagnostic::error(
            Code::RegisterTerritory,
            span,
            format!("`{name}` is not the register name of any territory"),
        )
        .with_label(format!("unknown {column}"))
        .with_help(format!(
            "{help} (territories list their names in plan.yaml `register_names`)"
        ));
        self.error(d);
        None
    }

    /// Checks the block files of one register snapshot (published on `date`) and returns its
    /// blocks, sorted by prefix.
    ///
    /// Arcep's files are read here, row by row from their text (the loader keeps no rows), so
    /// that what a register costs is its text and its compact blocks.
    pub(super) fn blocks(
        &mut self,
        b: &Builder,
        files: &[&(FileId, RegisterRows)],
        date: Option<Date>,
        missing: load::Missing,
    ) -> Register {
        let mut out = Register::new(date);
        let resolver = Resolver::new(&b.ranges);
        let place_blocks = !missing.categories && !missing.ranges && !b.broken_ranges;
        // Every block prefix read, for the duplicate check: its digits in one string.
        let mut seen = Seen::default();
        let sources = self.sources;
        for &(file, rows) in files {
            let file = *file;
            let at = |r: &std::ops::Range<usize>| Span::new(file, r.clone());
            let file_name = sources.file(file).name();
            match rows {
                RegisterRows::Majnum => {
                    let mut errors = Vec::new();
                    let text = sources.file(file).text();
                    let (total, before) = self.register_bytes;
                    let mut rows_read = 0u32;
                    crate::register::for_each_majnum_row(text, &mut errors, |row| {
                        rows_read = rows_read.wrapping_add(1);
                        if rows_read.is_multiple_of(4096) {
                            (self.progress)(before + row.span.end as u64, total);
                        }
                        let prefix = row.ezabpqm.value.as_str();
                        let tranche = row.check_tranche();
                        if let Err(e) = &tranche {
                            self.tranche_mismatch(&row, e, file);
                        }
                        let territory = self.row_territory(
                            b,
                            &row.territoire.value,
                            at(&row.territoire.span),
                            "Territoire",
                        );
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
                        let (Ok(len), Some(allocated)) = (tranche, row.date) else {
                            return;
                        };
                        seen.push(prefix, at(&row.ezabpqm.span));
                        let broken = territory.is_none() || operator.is_none();
                        let placed = Row {
                            prefix,
                            prefix_span: at(&row.ezabpqm.span),
                            length: len,
                            length_span: at(&row.tranche_debut.span),
                            territory: territory
                                .map(|t| (t, at(&row.territoire.span), row.territoire.value.as_str())),
                            broken,
                            operator,
                            status: None,
                            remarks: None,
                            allocated: Some(allocated),
                            file: file_name,
                            line: u32::try_from(row.line).unwrap_or(u32::MAX),
                        };
                        if place_blocks {
                            self.place(b, &resolver, placed, allocated, &mut out);
                        }
                    });
                    load::push_register_errors(&mut self.diags, file, errors);
                    self.register_bytes.1 = before + text.len() as u64;
                    (self.progress)(self.register_bytes.1, total);
                }
                RegisterRows::CoCodes(f) => {
                    let Some(date) = date else { continue };
                    // Codes are written without a national prefix; a plan that writes its
                    // numbers with one gets it in front.
                    let np = if b.national_prefix_in_numbers {
                        b.national_prefix.as_str()
                    } else {
                        ""
                    };
                    for code in &f.codes {
                        let prefix = format!("{np}{}{}", code.npa.value, code.nxx.value);
                        let prefix_span = at(&(code.npa.span.start..code.nxx.span.end));
                        seen.push(&prefix, prefix_span);
                        let mut broken = false;
                        let territory = match &code.province {
                            Some(p) => {
                                let t = self.row_territory(b, &p.value, at(&p.span), "Province");
                                broken = t.is_none();
                                t.map(|t| (t, at(&p.span), p.value.as_str()))
                            }
                            None => None,
                        };
                        let operator = match &code.ocn {
                            Some(ocn) if code.company.is_some() => b.operators.index(&ocn.value),
                            _ => None,
                        };
                        let row = Row {
                            prefix: &prefix,
                            prefix_span,
                            length: np.len() + 10,
                            length_span: prefix_span,
                            territory,
                            broken,
                            operator,
                            status: Some(code.status.as_str()),
                            remarks: code.remarks.as_ref().map(|r| r.value.as_str()),
                            allocated: None,
                            file: file_name,
                            line: u32::try_from(code.line).unwrap_or(u32::MAX),
                        };
                        if place_blocks {
                            self.place(b, &resolver, row, date, &mut out);
                        }
                    }
                }
            }
        }
        // Duplicates and overlaps. In sorted order, every block that contains `p` (is a prefix of
        // it) comes before `p`, and so does everything between them: a stack of the enclosing
        // blocks finds them in one pass.
        let order = seen.sorted();
        let mut open: Vec<usize> = Vec::new();
        for (w, &i) in order.iter().enumerate() {
            let (p, span) = seen.get(i);
            while open.last().is_some_and(|&k| !p.starts_with(seen.get(order[k]).0)) {
                open.pop();
            }
            if let Some(&k) = open.last() {
                let (q, qspan) = seen.get(order[k]);
                let (msg, label) = if p == q {
                    (format!("block `{p}` is listed twice"), "listed again here")
                } else {
                    (
                        format!("block `{p}` lies inside block `{q}`"),
                        "overlaps another block",
                    )
                };
                let d = Diagnostic::error(Code::DuplicateBlock, span, msg)
                    .with_label(label)
                    .with_secondary(qspan, "the other block")
                    .with_help("a number belongs to one block: remove or split one of them");
                self.error(d);
            }
            open.push(w);
        }
        drop(order);
        drop(seen);
        out.sort();
        out
    }
}

/// The block prefixes of a snapshot as read, with where each is written: digits in one string
/// rather than a `String` each.
#[derive(Default)]
struct Seen {
    digits: String,
    /// (start in `digits`, length, span of the prefix).
    prefixes: Vec<(usize, u32, Span)>,
}

impl Seen {
    fn push(&mut self, prefix: &str, span: Span) {
        let len = u32::try_from(prefix.len()).unwrap_or(u32::MAX);
        self.prefixes.push((self.digits.len(), len, span));
        self.digits.push_str(prefix);
    }

    fn get(&self, i: usize) -> (&str, Span) {
        let (at, len, span) = self.prefixes[i];
        (self.digits.get(at..at + len as usize).unwrap_or(""), span)
    }

    /// The indices of the prefixes, sorted by prefix, then by where they are written.
    fn sorted(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.prefixes.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (pa, sa) = self.get(a);
            let (pb, sb) = self.get(b);
            pa.cmp(pb).then(sa.cmp(&sb))
        });
        order
    }
}

/// A register row being placed in the plan, whatever its format.
struct Row<'t> {
    prefix: &'t str,
    prefix_span: Span,
    length: usize,
    length_span: Span,
    /// The territory the row names, where, and as written; `None`: the range's.
    territory: Option<(usize, Span, &'t str)>,
    /// Its territory or operator is unknown (reported): the row is checked, but makes no block.
    broken: bool,
    operator: Option<usize>,
    status: Option<&'t str>,
    remarks: Option<&'t str>,
    allocated: Option<Date>,
    /// Where it is written: the file (its name in the plan) and line.
    file: &'t str,
    line: u32,
}

impl Validator<'_> {
    fn tranche_mismatch(
        &mut self,
        row: &crate::register::BlockRow,
        e: &crate::register::TrancheMismatch,
        file: FileId,
    ) {
        use crate::register::TrancheMismatch as M;
        let at = |r: &std::ops::Range<usize>| Span::new(file, r.clone());
        let prefix = row.ezabpqm.value.as_str();
        let (field, label) = match e {
            M::Debut { expected } => (&row.tranche_debut, format!("expected `{expected}`")),
            M::Fin { expected } => (&row.tranche_fin, format!("expected `{expected}`")),
            M::Lengths { .. } => (&row.tranche_fin, "not the length of Tranche_Debut".to_string()),
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

    /// The block a row makes: in the most specific range in force on `date` (its allocation
    /// date, or its snapshot's for undated rows); failing that (before the range's period), the
    /// next one in force. Checks its length and territory against that range's.
    fn place(&mut self, b: &Builder, resolver: &Resolver<'_>, row: Row<'_>, date: Date, out: &mut Register) {
        let prefix = row.prefix;
        let range = resolver
            .at(prefix, date)
            .or_else(|| resolver.most_specific(prefix, |r| r.period.from.is_some_and(|f| f > date)));
        let Some(range) = range else {
            let (when, after) = if row.allocated.is_some() {
                (format!("allocated {date}"), "its allocation date".to_string())
            } else {
                (format!("in the register of {date}"), format!("{date}"))
            };
            let what = if resolver.covering(prefix).next().is_none() {
                "no range of the plan contains it".to_string()
            } else {
                format!("no range containing it applies on or after {after}")
            };
            let d = Diagnostic::error(
                Code::BlockOutsidePlan,
                row.prefix_span,
                format!("block `{prefix}` {when}: {what}"),
            )
            .with_label("outside the plan")
            .with_help("add a range for these numbers to the plan, or check the block prefix");
            self.error(d);
            return;
        };
        let r = &b.ranges[range];
        let cat = &b.categories[r.category];
        let allowed_lengths = r.lengths.as_ref().unwrap_or(&cat.lengths);
        let len = row.length;
        if !b.broken_lengths.contains(&r.category)
            && !allowed_lengths.contains(&u8::try_from(len).unwrap_or(0))
        {
            let allowed: Vec<String> = allowed_lengths.iter().map(u8::to_string).collect();
            let d = Diagnostic::error(
                Code::LengthNotAllowed,
                row.length_span,
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
            return;
        }
        if row.broken {
            return;
        }
        let territory = match row.territory {
            None => r.territory,
            Some((t, _, _)) if t == r.territory || b.territories[r.territory].includes.contains(&t) => t,
            Some((t, span, written)) => {
                let d = Diagnostic::error(
                    Code::RegisterTerritory,
                    span,
                    format!(
                        "block `{prefix}` is registered in `{written}`, but its range is in territory `{}`",
                        b.territories[r.territory].id
                    ),
                )
                .with_label(format!("territory `{}`", b.territories[t].id))
                .with_secondary(b.range_spans[range], "the range")
                .with_help("split the range so that each territory has its own, list the territory in the range territory's `includes`, or check the register row");
                self.error(d);
                return;
            }
        };
        out.push(BlockRef {
            prefix: row.prefix,
            length: u8::try_from(len).unwrap_or(u8::MAX),
            operator: row.operator,
            status: row.status,
            remarks: row.remarks,
            territory,
            allocated: row.allocated,
            range,
            file: row.file,
            line: row.line,
        });
    }
}
