//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path below the repository root.
pub fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Runs the real `numplan` binary in the repository root.
pub fn numplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_numplan"))
        .current_dir(root())
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("the numplan binary runs")
}

/// The exit code of a finished command.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

/// A fresh empty directory under the target directory, for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Copies the files of directory `from` (not recursive) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("dir entry");
        if e.file_type().expect("file type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// The Rust files under `src/`, with their text, in no particular order (for tests that scan the
/// library's code).
pub fn rust_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut files = vec![repo("src")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// A small xorshift generator: the same sequence on every run, for tests that draw inputs.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
