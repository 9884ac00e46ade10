//! The integration tests: one binary, one module per area (ripgrep's layout).
//!
//! Tests read only what the repository holds (`plan-sources/`, `tests/data/`); nothing reads
//! `../shared`.

mod artifact;
mod artifact_index;
mod browser;
mod canada;
mod check_cli;
mod cli_exit_codes;
mod cli_io;
mod cli_query;
mod diff;
mod diff_oracle;
mod export;
mod generated;
mod invalid;
mod limits;
mod minisign_interop;
mod oracle;
mod query;
mod register_data;
mod register_size;
mod serve;
mod several_plans;
mod signing;
mod util;
mod verdict_table;
mod verdicts;
