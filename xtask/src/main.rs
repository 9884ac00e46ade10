//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! Tasks:
//! - `check-plans`: run `numplan check` on every plan under `plan-sources/`.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check-plans") => check_plans(),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  check-plans   run `numplan check` on every plan in plan-sources/"
            );
            ExitCode::from(2)
        }
    }
}

/// Runs `numplan check` on each directory of `plan-sources/` that holds a `plan.yaml`.
fn check_plans() -> ExitCode {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Ok(entries) = std::fs::read_dir(root.join("plan-sources")) else {
        eprintln!("xtask: cannot read plan-sources/");
        return ExitCode::from(2);
    };
    let mut dirs: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("plan.yaml").is_file())
        .collect();
    dirs.sort();
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
