//! `numplan diff`: what changed between two plan versions, over the number space.

use super::{CliError, EXIT_ERROR, EXIT_FAIL, EXIT_OK, Pinning, print_stderr, print_stdout, read_artifact};
use numplan::artifact::{self, Artifact, CompileOptions, VerifyOptions};
use numplan::diff::{Aspect, Change, Diff, Item, Operator, PlanAnswer};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What changed between two plan versions, number by number and over time.
///
/// OLD and NEW are artifacts or plan-source directories (compiled on the fly). Exit status, like
/// diff(1): 0 identical for every number, 1 differences (or a plan directory with errors, as in
/// `compile`), 2 usage or I/O error; an artifact that cannot be trusted exits as in `verify` (3 to 7).
#[derive(clap::Args)]
pub struct Args {
    /// The old version: an artifact, or a plan directory.
    old: PathBuf,
    /// The new version: an artifact, or a plan directory.
    new: PathBuf,
    /// Output format: text for people, json for tools (docs/diff-output.md), markdown for release
    /// notes.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print nothing; the exit status says whether anything changed.
    #[arg(short, long)]
    quiet: bool,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = super::ColorChoice::Auto)]
    color: super::ColorChoice,
    /// Both sides must be of this plan; `--last-seen-sequence` applies to the new side.
    #[command(flatten)]
    pinning: Pinning,
    /// Limits of reading a plan directory given as OLD or NEW.
    #[command(flatten)]
    limits: super::LoadLimits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

/// Reads one side: an artifact file (digest checked) or a plan directory (checked and compiled).
fn load(
    path: &Path,
    last_seen_sequence: Option<u64>,
    limits: &numplan::load::Limits,
) -> Result<Vec<u8>, CliError> {
    let name = path.display().to_string();
    if path.is_dir() {
        let checked = numplan::validate::check_dir_with(path, limits);
        let unreadable = super::check::unreadable(&checked);
        let Some(plan) = checked.plan else {
            print_stderr(&numplan::diag::render_human(
                &checked.diagnostics,
                &checked.sources,
                false,
            ));
            // As in `compile`: a plan with errors is exit 1, a plan that cannot be read exit 2.
            let (code, why) = if unreadable {
                (EXIT_ERROR, "cannot be read")
            } else {
                (EXIT_FAIL, "has errors")
            };
            return Err(CliError::with_code(code, format!("{name}: the plan {why}")));
        };
        // A plan over a limit of the format has errors, as in `compile` (exit 1).
        let bytes = artifact::compile(&plan, &CompileOptions::default())
            .map_err(|e| CliError::with_code(EXIT_FAIL, format!("{name}: {e}")))?;
        // A plan compiled here is checked for rollback like an artifact.
        let a = Artifact::open(&bytes).map_err(|e| CliError::artifact(&name, &e))?;
        a.verify(&VerifyOptions {
            last_seen_sequence,
            ..VerifyOptions::default()
        })
        .map_err(|e| CliError::artifact(&name, &e))?;
        return Ok(bytes);
    }
    let bytes = read_artifact(path)?;
    Artifact::open(&bytes)
        .and_then(|a| {
            a.verify(&VerifyOptions {
                last_seen_sequence,
                ..VerifyOptions::default()
            })
        })
        .map_err(|e| CliError::artifact(&name, &e))?;
    Ok(bytes)
}

/// Runs `diff`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let limits = args.limits.limits();
    let old = load(&args.old, None, &limits)?;
    let new = load(&args.new, args.pinning.last_seen_sequence, &limits)?;
    let (old_name, new_name) = (args.old.display().to_string(), args.new.display().to_string());
    let old = Artifact::open(&old).map_err(|e| CliError::artifact(&old_name, &e))?;
    let new = Artifact::open(&new).map_err(|e| CliError::artifact(&new_name, &e))?;
    args.pinning.check_plan(&old_name, &old)?;
    args.pinning.check_plan(&new_name, &new)?;
    if args.quiet {
        // Stops at the first difference, keeping none (`docs/diff-output.md`, "Memory").
        let differs = numplan::diff::differs(&old, &new);
        return Ok(ExitCode::from(if differs { EXIT_FAIL } else { EXIT_OK }));
    }
    let d = numplan::diff::diff(&old, &new);
    let status = if d.is_empty() { EXIT_OK } else { EXIT_FAIL };
    let registers = [register_words(&old), register_words(&new)];
    let text = match args.format {
        Format::Json => {
            let mut s =
                numplan::diag::escape_json_controls(serde_json::to_string_pretty(&d).unwrap_or_default());
            s.push('\n');
            s
        }
        Format::Text => render_text(&d, args.color.for_stdout(), &registers),
        Format::Markdown => render_markdown(&d, &registers),
    };
    print_stdout(&text)?;
    Ok(ExitCode::from(status))
}

/// The register date(s) of one side, in words: `register of 2026-04-17 (earlier: 2025-07-03)`.
fn register_words(a: &Artifact<'_>) -> String {
    let Some(current) = a.register_date() else {
        return "no register".to_string();
    };
    let earlier: Vec<String> = a
        .register_dates()
        .filter(|&d| d != current)
        .map(|d| d.to_string())
        .collect();
    if earlier.is_empty() {
        format!("register of {current}")
    } else {
        format!(
            "register of {current} (earlier snapshots: {})",
            earlier.join(", ")
        )
    }
}

/// Plan text as printed: control and bidirectional characters escaped (the colours are added
/// around it, never inside).
fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    numplan::diag::escape_controls(text)
}

fn numbers_of(c: &Change) -> String {
    let prefixes = &c.range;
    // Digits as the plan writes its numbers, unspaced: how numbers are grouped for reading is
    // a national habit (pairs in France, 3-3-4 in North America) that no plan data gives.
    let span = if c.first == c.last {
        c.first.clone()
    } else {
        format!("{} – {}", c.first, c.last)
    };
    let except = if c.except.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = c.except.iter().take(5).map(String::as_str).collect();
        let more = if c.except.len() > 5 {
            format!(" and {} more", c.except.len() - 5)
        } else {
            String::new()
        };
        format!(", except {}{more}", shown.join(", "))
    };
    format!("{prefixes} ({span}{except})")
}

fn op(o: &Operator) -> String {
    match &o.name {
        Some(n) => format!("{} ({n})", o.code),
        None => o.code.clone(),
    }
}

fn period(from: Option<numplan::date::Date>, until: Option<numplan::date::Date>) -> String {
    match (from, until) {
        (None, None) => String::new(),
        (Some(f), None) => format!("from {f}: "),
        (None, Some(u)) => format!("until {u}: "),
        (Some(f), Some(u)) => format!("from {f} until {u}: "),
    }
}

fn plan_change(old: &Option<PlanAnswer>, new: &Option<PlanAnswer>, aspects: &[Aspect]) -> Vec<String> {
    let (o, n) = match (old, new) {
        (None, Some(n)) => return vec![format!("now in the plan: {} ({})", n.category, n.territory)],
        (Some(o), None) => {
            return vec![format!(
                "no longer in the plan (was {}, {})",
                o.category, o.territory
            )];
        }
        (Some(o), Some(n)) => (o, n),
        (None, None) => return Vec::new(),
    };
    let mut out = Vec::new();
    for a in aspects {
        match *a {
            Aspect::Category => out.push(format!("category {} → {}", o.category, n.category)),
            Aspect::Territory => out.push(format!("territory {} → {}", o.territory, n.territory)),
            Aspect::Length => out.push(format!("lengths {:?} → {:?}", o.lengths, n.lengths)),
            Aspect::Rules => {
                let removed: Vec<&str> = o
                    .rules
                    .iter()
                    .filter(|r| !n.rules.contains(r))
                    .map(String::as_str)
                    .collect();
                let added: Vec<&str> = n
                    .rules
                    .iter()
                    .filter(|r| !o.rules.contains(r))
                    .map(String::as_str)
                    .collect();
                out.push(format!("rules: {} → {}", or_none(&removed), or_none(&added)));
            }
            _ => {}
        }
    }
    out
}

fn or_none(v: &[&str]) -> String {
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

fn item_lines(item: &Item) -> Vec<String> {
    match item {
        Item::Allocated { operator, blocks } => {
            let date = operator.allocated.map_or(String::new(), |d| format!(" on {d}"));
            vec![format!(
                "allocated to {}{date} ({})",
                op(operator),
                block_list(blocks)
            )]
        }
        Item::Withdrawn { operator, blocks } => {
            vec![format!(
                "withdrawn from {} ({})",
                op(operator),
                block_list(blocks)
            )]
        }
        Item::Transferred { from, to, blocks } => {
            let date = to.allocated.map_or(String::new(), |d| format!(" on {d}"));
            vec![format!(
                "transferred from {} to {}{date} ({})",
                op(from),
                op(to),
                block_list(blocks)
            )]
        }
        Item::Status { old, new, blocks } => vec![format!(
            "status {} → {} ({})",
            old.as_deref().unwrap_or("-"),
            new.as_deref().unwrap_or("-"),
            block_list(blocks)
        )],
        Item::AllocationDate { operator, old, new } => vec![format!(
            "allocation date of {} {} → {}",
            operator.code,
            old.map_or("-".to_string(), |d| d.to_string()),
            new.map_or("-".to_string(), |d| d.to_string())
        )],
        Item::Plan {
            from,
            until,
            old,
            new,
            aspects,
        } => {
            let p = period(*from, *until);
            plan_change(old, new, aspects)
                .into_iter()
                .map(|l| format!("{p}{l}"))
                .collect()
        }
    }
}

fn block_list(blocks: &[String]) -> String {
    match blocks {
        [one] => format!("block {one}"),
        many => format!("blocks {}", many.join(", ")),
    }
}

fn summary_lines(d: &Diff) -> Vec<String> {
    let s = &d.summary;
    let mut lines = vec![
        format!(
            "{} allocated, {} withdrawn, {} transferred",
            counted(s.numbers_allocated, "number", "numbers"),
            numplan::diag::group_digits(s.numbers_withdrawn),
            numplan::diag::group_digits(s.numbers_transferred)
        ),
        format!(
            "{} allocated, {} withdrawn, {} transferred",
            counted(s.blocks_allocated, "block", "blocks"),
            numplan::diag::group_digits(s.blocks_withdrawn),
            numplan::diag::group_digits(s.blocks_transferred)
        ),
        format!(
            "{} changed category, {} changed rules, {} changed territory or length",
            counted(s.numbers_category_changed, "number", "numbers"),
            numplan::diag::group_digits(s.numbers_rules_changed),
            numplan::diag::group_digits(s.numbers_other_plan_changes)
        ),
    ];
    if s.blocks_status_changed > 0 {
        lines.push(format!(
            "{} changed register status ({})",
            counted(s.blocks_status_changed, "block", "blocks"),
            counted(s.numbers_status_changed, "number", "numbers")
        ));
    }
    lines.extend([
        counted(s.changes, "entry", "entries"),
        format!(
            "{} to the plan-wide policy",
            counted(s.policy_changes, "change", "changes")
        ),
    ]);
    lines
}

/// `1 entry`, `2 entries`, `5,828,007 numbers`: a count for people, with its noun agreeing.
fn counted(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let digits = numplan::diag::group_digits(n);
    let noun = if digits == "1" { one } else { many };
    format!("{digits} {noun}")
}

/// The plan-wide policy's changes, one line each: `- ` removed, `+ ` added.
fn policy_lines(d: &Diff) -> Vec<String> {
    let removed = d.policy.removed.iter().map(|l| format!("- {l}"));
    removed
        .chain(d.policy.added.iter().map(|l| format!("+ {l}")))
        .collect()
}

fn render_text(d: &Diff, color: bool, registers: &[String; 2]) -> String {
    let (bold, red, green, yellow, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut out = String::new();
    if d.is_empty() {
        // Like diff(1): identical inputs print nothing.
        return out;
    }
    let _ = writeln!(
        out,
        "{bold}plan {} {} → {} {}{reset}",
        esc(&d.old.id),
        esc(&d.old.version),
        esc(&d.new.id),
        esc(&d.new.version)
    );
    let _ = writeln!(out, "  old: {}; new: {}", registers[0], registers[1]);
    for l in summary_lines(d) {
        let _ = writeln!(out, "  {l}");
    }
    if !d.policy.removed.is_empty() || !d.policy.added.is_empty() {
        let _ = writeln!(out, "\n{bold}plan-wide policy{reset}");
        for l in policy_lines(d) {
            let colour = if l.starts_with('-') { red } else { green };
            let _ = writeln!(out, "  {colour}{}{reset}", esc(&l));
        }
    }
    for c in &d.changes {
        let _ = writeln!(
            out,
            "\n{bold}{}{reset}  {}",
            esc(&numbers_of(c)),
            counted(c.numbers, "number", "numbers")
        );
        for item in &c.items {
            let colour = match item {
                Item::Allocated { .. } => green,
                Item::Withdrawn { .. } => red,
                _ => yellow,
            };
            for l in item_lines(item) {
                let _ = writeln!(out, "  {colour}{}{reset}", esc(&l));
            }
        }
    }
    out
}

/// Release notes in the spirit of the tz database's NEWS: the summary, then the changes by kind.
fn render_markdown(d: &Diff, registers: &[String; 2]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Changes to plan `{}`: {} → {}\n",
        esc(&d.new.id),
        esc(&d.old.version),
        esc(&d.new.version)
    );
    let _ = writeln!(
        out,
        "Old: version {}, {}. New: version {}, {}.\n",
        esc(&d.old.version),
        registers[0],
        esc(&d.new.version),
        registers[1]
    );
    let _ = writeln!(out, "## Summary\n");
    for l in summary_lines(d) {
        let _ = writeln!(out, "- {l}");
    }
    if !d.policy.removed.is_empty() || !d.policy.added.is_empty() {
        let _ = writeln!(
            out,
            "\n## Changes to the plan-wide policy (uses, context, conditions, requirements)\n"
        );
        for l in &d.policy.removed {
            let _ = writeln!(out, "- removed: {}", esc(l));
        }
        for l in &d.policy.added {
            let _ = writeln!(out, "- added: {}", esc(l));
        }
    }
    type Pick = fn(&Item) -> bool;
    let groups: [(&str, Pick); 6] = [
        ("Numbers allocated", |i| matches!(i, Item::Allocated { .. })),
        ("Numbers withdrawn", |i| matches!(i, Item::Withdrawn { .. })),
        ("Numbers transferred between operators", |i| {
            matches!(i, Item::Transferred { .. })
        }),
        ("Allocation dates corrected", |i| {
            matches!(i, Item::AllocationDate { .. })
        }),
        ("Register statuses changed", |i| matches!(i, Item::Status { .. })),
        (
            "Changes to the plan (categories, territories, lengths, rules)",
            |i| matches!(i, Item::Plan { .. }),
        ),
    ];
    for (title, pick) in groups {
        let rows: Vec<(&Change, &Item)> = d
            .changes
            .iter()
            .flat_map(|c| c.items.iter().filter(|i| pick(i)).map(move |i| (c, i)))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {title}\n");
        for (c, i) in rows {
            for l in item_lines(i) {
                let _ = writeln!(
                    out,
                    "- `{}` ({}): {}",
                    esc(&numbers_of(c)),
                    counted(c.numbers, "number", "numbers"),
                    esc(&l)
                );
            }
        }
    }
    out
}
