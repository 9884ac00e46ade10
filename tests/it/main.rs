//! The integration tests: one binary, one module per area (ripgrep's layout).
//!
//! Tests read only what the repository holds (`plan-sources/`, `tests/data/`); nothing reads
//! `../shared`.

mod check_cli;
mod invalid;
mod limits;
mod register_data;
mod util;
