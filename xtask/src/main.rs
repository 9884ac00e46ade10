//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! Tasks:
//! - `generate [--check]`: compile every plan of `plan-sources/` into `generated/` (with `--check`,
//!   fail when `generated/` is stale instead of writing).
//! - `check-plans`: run `numplan check` on every plan under `plan-sources/`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate"] => generate(false),
        ["generate", "--check"] => generate(true),
        ["check-plans"] => check_plans(),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  generate [--check]   compile plan-sources/ into generated/ (--check: fail if stale)\n  check-plans          run `numplan check` on every plan in plan-sources/"
            );
            ExitCode::from(2)
        }
    }
}

fn generate(check: bool) -> ExitCode {
    match numplan::generate::generate(&root(), check) {
        Ok(report) => {
            for f in &report.changed {
                println!("wrote {f}");
            }
            for f in &report.unchanged {
                println!("up to date: {f}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask generate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `numplan check` on each plan directory of `plan-sources/`.
fn check_plans() -> ExitCode {
    let root = root();
    let dirs = match numplan::generate::plan_dirs(&root) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("xtask: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    for dir in dirs {
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["run", "--quiet", "--release", "--bin", "numplan", "--", "check"])
            .arg(&dir)
            .status();
        ok &= matches!(status, Ok(s) if s.success());
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
