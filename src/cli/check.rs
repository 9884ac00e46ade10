//! `numplan check`: validate plan sources and report every problem.

use super::{CliError, ColorChoice, EXIT_ERROR, EXIT_FAIL, EXIT_OK, print_stderr, print_stdout};
use numplan::diag::{self, Code, Severity};
use numplan::validate;
use std::path::PathBuf;
use std::process::ExitCode;

/// Validate plan sources and report every problem, rustc-style.
///
/// Exit status: 0 when the plan has no errors (warnings allowed), 1 when it has errors (a file
/// over its size limit, E0002, is one), 2 when it cannot be read (no plan.yaml, a missing or
/// unreadable file, a symbolic link, FIFO or device: E0001) or on a usage error.
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (holding plan.yaml).
    plan_dir: PathBuf,
    #[command(flatten)]
    limits: super::LoadLimits,
    /// Output format: `human` (rustc-style, on stderr), `json` or `github` (Actions annotations),
    /// both on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    deny_warnings: bool,
}

/// Diagnostic output formats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
}

/// Runs `check`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut progress = super::progress::Progress::new();
    let checked = validate::check_dir_observed(&args.plan_dir, &args.limits.limits(), &|done, total| {
        progress.register(done, total)
    });
    progress.finish();
    match args.format {
        Format::Human => {
            print_stderr(&diag::render_human(
                &checked.diagnostics,
                &checked.sources,
                args.color.for_stderr(),
            ));
            if let Some(plan) = &checked.plan {
                {
                    let register = match (plan.register_date(), plan.history_len()) {
                        (Some(d), 0) => format!(" (register of {d})"),
                        (Some(d), 1) => format!(" (register of {d}, 1 earlier snapshot)"),
                        (Some(d), n) => format!(" (register of {d}, {n} earlier snapshots)"),
                        (None, _) => String::new(),
                    };
                    print_stdout(&format!(
                        "plan `{}` version {}: {} territories, {} categories, {} ranges, {} uses, {} operators, {} register blocks{register}: ok\n",
                        super::escape_controls(plan.id()),
                        super::escape_controls(plan.version()),
                        plan.territories().len(),
                        plan.categories().len(),
                        plan.ranges().len(),
                        plan.uses().len(),
                        plan.operators().len(),
                        plan.block_count()
                    ))?;
                }
            }
        }
        Format::Json => print_stdout(&diag::render_json(&checked.diagnostics, &checked.sources))?,
        Format::Github => print_stdout(&diag::render_github(&checked.diagnostics, &checked.sources))?,
    }
    let io_error = unreadable(&checked);
    let errors = checked.error_count();
    let warnings = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    Ok(ExitCode::from(if io_error {
        EXIT_ERROR
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_FAIL
    } else {
        EXIT_OK
    }))
}

/// Whether some file of the plan could not be read at all (missing, unreadable, not a regular
/// file: E0001): exit 2 by the table. A file read but refused for its size or YAML budget
/// (E0002) is an error of the plan: exit 1.
pub fn unreadable(checked: &validate::Checked) -> bool {
    checked.no_manifest || checked.diagnostics.iter().any(|d| d.code == Code::Io)
}
