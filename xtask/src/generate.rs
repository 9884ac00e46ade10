//! `generated/`: the committed artifacts of every plan in `plan-sources/`, and their manifest.
//!
//! [`generate`] compiles each plan directory of `plan-sources/` (one holding a `plan.yaml`) into
//! `generated/<id>.npa` and writes `generated/index.json`. In check mode it writes nothing and
//! reports every file that differs from what the sources give: the staleness check that CI runs
//! (`cargo xtask generate --check`, and the tests below, which call this same function).
//!
//! This is repository tooling, not library code: it knows the repository's layout
//! (`plan-sources/`, `generated/`) and its commands, so it lives in xtask, as jiff keeps its
//! generators in `jiff-cli`.

use numplan::artifact::{self, Artifact, CompileOptions, EXTENSION, hex};
use numplan::fsutil::{Mode, write_atomic};
use numplan::validate;
use std::fmt;
use std::path::{Path, PathBuf};

/// What [`generate`] found or did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files written (write mode) or stale (check mode), relative to the repository root.
    pub changed: Vec<String>,
    /// Files already up to date.
    pub unchanged: Vec<String>,
}

/// Why generation failed.
#[derive(Debug)]
pub enum GenerateError {
    /// A plan has errors: run `numplan check` on it.
    Plan {
        /// The plan directory.
        dir: PathBuf,
        /// The rendered diagnostics.
        diagnostics: String,
    },
    /// A file could not be read or written.
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Check mode found stale files.
    Stale {
        /// The stale files.
        files: Vec<String>,
    },
    /// The compiler refused the plan.
    Compile(artifact::CompileError),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::Plan { dir, diagnostics } => {
                write!(f, "the plan in {} has errors:\n{diagnostics}", dir.display())
            }
            GenerateError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            GenerateError::Stale { files } => write!(
                f,
                "generated/ is stale ({}): run `cargo xtask generate` and commit",
                files.join(", ")
            ),
            GenerateError::Compile(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// The directories of `plan-sources/` that hold a plan, sorted.
pub fn plan_dirs(root: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let sources = root.join("plan-sources");
    let io = |error| GenerateError::Io {
        path: sources.clone(),
        error,
    };
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&sources).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.join("plan.yaml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Compiles every plan under `root/plan-sources` into `root/generated`; with `check`, writes
/// nothing and fails with [`GenerateError::Stale`] when anything differs.
pub fn generate(root: &Path, check: bool) -> Result<Report, GenerateError> {
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut index = Vec::new();
    for dir in plan_dirs(root)? {
        let checked = validate::check_dir(&dir);
        let Some(plan) = checked.plan else {
            return Err(GenerateError::Plan {
                diagnostics: numplan::diag::render_human(&checked.diagnostics, &checked.sources, false),
                dir,
            });
        };
        let bytes = artifact::compile(&plan, &CompileOptions::default()).map_err(GenerateError::Compile)?;
        let a = Artifact::open(&bytes).map_err(|e| GenerateError::Io {
            path: dir.clone(),
            error: std::io::Error::other(format!("the compiled artifact does not open: {e}")),
        })?;
        let file = format!("{}.{EXTENSION}", plan.id());
        index.push(serde_json::json!({
            "plan": plan.id(),
            "name": plan.name(),
            "version": plan.version(),
            "sequence": plan.sequence(),
            "file": file,
            "size": bytes.len(),
            "sha256": hex(a.stored_sha256()),
            "sources_sha256": hex(&plan.sources_sha256()),
            "sources": format!("plan-sources/{}", dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()),
        }));
        outputs.push((format!("generated/{file}"), bytes));
    }
    let doc = serde_json::json!({
        "generated_by": "cargo xtask generate (do not edit by hand)",
        "format_version": artifact::FORMAT_VERSION,
        "plans": index,
    });
    let mut json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    json.push('\n');
    outputs.push(("generated/index.json".to_string(), json.into_bytes()));

    let mut report = Report::default();
    for (rel, bytes) in outputs {
        let path = root.join(&rel);
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(&bytes[..]) {
            report.unchanged.push(rel);
            continue;
        }
        if !check {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|error| GenerateError::Io {
                    path: parent.into(),
                    error,
                })?;
            }
            write_atomic(&path, &bytes, Mode::Public).map_err(|error| GenerateError::Io {
                path: path.clone(),
                error,
            })?;
        }
        report.changed.push(rel);
    }
    if check && !report.changed.is_empty() {
        return Err(GenerateError::Stale {
            files: report.changed,
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// A fresh empty directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("numplan-xtask-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    }

    /// Copies the files of directory `from` (not recursive) into `to`.
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create dir");
        for e in std::fs::read_dir(from).expect("read dir") {
            let e = e.expect("dir entry");
            if e.file_type().expect("file type").is_file() {
                std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
            }
        }
    }

    #[test]
    fn generated_is_fresh() {
        match generate(&repo(), true) {
            Ok(report) => assert!(report.changed.is_empty()),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_source_change_makes_generated_stale() {
        let root = scratch("stale-generated");
        for plan in ["fr", "ca"] {
            copy_dir(
                &repo().join("plan-sources").join(plan),
                &root.join("plan-sources").join(plan),
            );
        }
        copy_dir(&repo().join("generated"), &root.join("generated"));
        assert!(generate(&root, true).is_ok(), "a faithful copy is fresh");

        // A reviewer's comment is a change of the sources: the artifact records their digest.
        let ranges = root.join("plan-sources/fr/ranges.yaml");
        let mut text = std::fs::read_to_string(&ranges).unwrap();
        text.push_str("# reviewed\n");
        std::fs::write(&ranges, text).unwrap();
        let err = generate(&root, true).unwrap_err();
        assert!(
            matches!(&err, GenerateError::Stale { files } if files.contains(&"generated/fr.npa".to_string()))
        );
        assert!(
            err.to_string().contains("run `cargo xtask generate` and commit"),
            "{err}"
        );
        let before = std::fs::read(root.join("generated/fr.npa")).unwrap();
        assert_eq!(
            before,
            std::fs::read(repo().join("generated/fr.npa")).unwrap(),
            "check mode writes nothing"
        );

        // Write mode brings it up to date.
        let report = generate(&root, false).unwrap();
        assert_eq!(
            report.changed,
            vec!["generated/fr.npa".to_string(), "generated/index.json".to_string()]
        );
        assert!(generate(&root, true).is_ok());
        let _ = std::fs::remove_dir_all(&root);
    }
}
