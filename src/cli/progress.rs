//! The progress of a long `check` or `compile` (a register of millions of rows): a bar on stderr,
//! drawn only when stderr is a terminal and the work has taken more than a second. Piped or
//! redirected, nothing is written, so scripts and tests see the same bytes as before.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::OnceCell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How long work runs before its progress is shown, unless `NUMPLAN_PROGRESS_AFTER_MS` says
/// otherwise (the tests set 0, to show that a pipe still gets nothing).
const AFTER: Duration = Duration::from_secs(1);

/// The progress of one run.
pub struct Progress {
    start: Instant,
    after: Duration,
    terminal: bool,
    bar: OnceCell<ProgressBar>,
}

impl Progress {
    /// Starts timing; shows nothing unless stderr is a terminal.
    pub fn new() -> Progress {
        let after = std::env::var("NUMPLAN_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(AFTER, Duration::from_millis);
        Progress {
            start: Instant::now(),
            after,
            terminal: std::io::stderr().is_terminal(),
            bar: OnceCell::new(),
        }
    }

    /// Whether the run has been long enough to show its progress, on a terminal.
    fn shown(&self) -> bool {
        self.terminal && self.start.elapsed() >= self.after
    }

    /// The register's rows read: `done` of `total` bytes of its text.
    pub fn register(&self, done: u64, total: u64) {
        if self.bar.get().is_none() && !self.shown() {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:40}] {binary_bytes}/{binary_total_bytes}, {elapsed} ({eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message("checking the register");
            bar
        });
        bar.set_position(done);
    }

    /// A stage without a count (compiling the checked plan), shown as a spinner if the run is
    /// already long; [`Progress::finish`] clears it.
    pub fn stage(&mut self, message: &'static str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if !self.shown() {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        let _ = self.bar.set(bar);
    }

    /// Clears the bar, before anything else is written on stderr.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
