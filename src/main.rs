//! The `numplan` command-line tool: glue between the library and the terminal.
//!
//! Each subcommand lives in its own module under `src/cli/` as `Args` + `run(args) -> ExitCode`.
//! Exit codes follow grep and diff: 0 success, 1 "the answer is no" (the plan has errors), 2 usage
//! or I/O errors.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
