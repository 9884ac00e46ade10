//! Reading a plan directory: files, limits, YAML and CSV into raw, span-carrying structures.
//!
//! This is the I/O boundary of the pipeline. [`load_dir`] reads from the file system;
//! [`load_with`] takes any reader of plan-relative names (tests and fuzzers use memory). Nothing
//! here judges the meaning of the sources: that is [`crate::validate`]'s job. What this module
//! reports is what stops it from reading: a missing file, a file over its size limit, YAML that
//! does not parse or does not have the format's shape, a register with a broken header, and any
//! YAML string (a name, a text, a file name in `files:`, a key) that holds a control or
//! bidirectional character (E0206): such text would rewrite the terminal of whoever prints it.
//!
//! Limits: a YAML file may be at most [`MAX_YAML_BYTES`], a register file [`MAX_REGISTER_BYTES`]
//! unless [`Limits`] says otherwise;
//! YAML parsing runs under a budget (events, aliases, nesting), so a "billion laughs" document is
//! refused in microseconds instead of exhausting memory.

use crate::diag::{Code, Diagnostic};
use crate::register::{self, OperatorRow, RegisterErrorKind, RegisterFormat};
use crate::span::{FileId, SourceMap, Span};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;
use std::io::{self, Read};
use std::path::Path;

/// The largest YAML source file that is read (8 MiB).
pub const MAX_YAML_BYTES: u64 = 8 << 20;
/// The largest register file that is read by default (64 MiB; the real French register is about
/// 1 MiB, 10 million synthetic blocks about 560 MiB). [`Limits::max_register_bytes`] changes it
/// (the CLI's `--max-register-size`).
pub const MAX_REGISTER_BYTES: u64 = 64 << 20;

/// Limits of one load that the caller may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest register file (block files and the operator list) read, in bytes: a larger
    /// one is refused unread (E0002). Default [`MAX_REGISTER_BYTES`].
    pub max_register_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_register_bytes: MAX_REGISTER_BYTES,
        }
    }
}
/// The most YAML parser events one file may produce (the French plan's largest file needs about
/// 5,000; a generous margin, and a small bound on what an alias bomb can cost).
const MAX_YAML_EVENTS: usize = 100_000;

/// A string, or other scalar, with where it was written.
pub type S<T> = Spanned<T>;

/// `plan.yaml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawManifest {
    pub id: S<String>,
    pub name: S<String>,
    pub authority: S<String>,
    pub version: S<String>,
    #[serde(default)]
    pub sequence: Option<S<u64>>,
    #[serde(default)]
    pub expires: Option<S<String>>,
    pub time_zone: S<String>,
    pub dialling: RawDialling,
    pub territories: Vec<RawTerritory>,
    #[serde(default)]
    pub rules: Vec<RawRuleDef>,
    #[serde(default)]
    pub uses: Vec<RawUse>,
    #[serde(default)]
    pub context: Vec<RawContextKey>,
    #[serde(default)]
    pub conditions: Vec<RawCondition>,
    #[serde(default)]
    pub requirements: Vec<RawRequirement>,
    #[serde(default)]
    pub documents: Vec<RawDocument>,
    pub files: RawFiles,
    #[serde(default)]
    pub note: Option<String>,
}

/// Dialling data of the manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawDialling {
    pub national_prefix: S<String>,
    pub international_prefix: S<String>,
    /// Whether the plan writes its numbers with the national prefix (`0162…`, the default) or
    /// without it (the NANP's `NPA-NXX-XXXX`, dialled after an optional `1`).
    #[serde(default)]
    pub national_prefix_in_numbers: Option<S<bool>>,
}

/// A territory of the manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawTerritory {
    pub id: S<String>,
    pub name: S<String>,
    /// Absent when the sources do not give it (the territory must then carry a `doubt`).
    #[serde(default)]
    pub country_code: Option<S<u32>>,
    /// Absent: the plan's time zone.
    #[serde(default)]
    pub time_zone: Option<S<String>>,
    #[serde(default)]
    pub register_names: Vec<S<String>>,
    /// Territories whose register rows may fall in this territory's ranges (the register
    /// places a code more finely than the ranges do: 902 is Nova Scotia and Prince Edward Island).
    #[serde(default)]
    pub includes: Vec<S<String>>,
    /// Numbers of another plan that shares the country code (the United States under +1):
    /// answered "not in this plan".
    #[serde(default)]
    pub foreign: Option<S<bool>>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A rule declaration of the manifest (the rule vocabulary).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRuleDef {
    pub id: S<String>,
    pub description: S<String>,
    pub values: Vec<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A use of numbers the plan rules on (a person's call, an automated message…).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawUse {
    pub id: S<String>,
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A context key: something an enforcer may know about a call that the plan cannot.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawContextKey {
    pub id: S<String>,
    pub description: S<String>,
    pub values: Vec<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A condition a verdict may carry, settled by the context.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawCondition {
    pub id: S<String>,
    pub text: S<String>,
    #[serde(default)]
    pub basis: Option<S<String>>,
    /// `key=value, key=value`: the context in which the condition decides.
    pub when: S<String>,
    /// What it decides then: `allowed` or `forbidden`.
    pub then: S<String>,
    /// Without that context: `unchanged` (the default) or `conditional`.
    #[serde(default)]
    pub unsettled: Option<S<String>>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A requirement every category meets (or the listed ones): a built-in check or a condition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRequirement {
    /// `valid` or `allocated`.
    #[serde(default)]
    pub check: Option<S<String>>,
    /// A declared condition.
    #[serde(default)]
    pub condition: Option<S<String>>,
    /// The uses it applies to (default: every use).
    #[serde(default)]
    pub uses: Option<S<Vec<S<String>>>>,
    /// The categories it applies to (default: every category).
    #[serde(default)]
    pub categories: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    pub from: Option<S<String>>,
    #[serde(default)]
    pub until: Option<S<String>>,
    pub basis: S<String>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A legal document that `basis:` strings cite.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawDocument {
    pub id: S<String>,
    pub title: S<String>,
    pub date: S<String>,
    #[serde(default)]
    pub url: Option<S<String>>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The files that make up the plan.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawFiles {
    pub categories: Vec<S<String>>,
    pub ranges: Vec<S<String>>,
    #[serde(default)]
    pub register: Option<RawRegisterFiles>,
}

/// The register files of the plan.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRegisterFiles {
    /// The files' format: `arcep-majnum` (the default) or `cnac-co-code-status`.
    #[serde(default)]
    pub format: Option<S<String>>,
    /// The day the register files were published (the snapshot's date). A format whose files
    /// carry their date (CNAC's date row) may leave it out.
    #[serde(default)]
    pub date: Option<S<String>>,
    pub blocks: Vec<S<String>>,
    #[serde(default)]
    pub operators: Option<S<String>>,
    #[serde(default)]
    pub extra_operators: Option<S<String>>,
    /// Earlier snapshots of the register, oldest first.
    #[serde(default)]
    pub history: Vec<RawSnapshot>,
}

/// An earlier snapshot of the register: its date and its block files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawSnapshot {
    /// Its date; a format whose files carry their date may leave it out.
    #[serde(default)]
    pub date: Option<S<String>>,
    pub blocks: Vec<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A categories file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawCategories {
    pub categories: Vec<RawCategory>,
}

/// A category, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawCategory {
    pub id: S<String>,
    pub name: S<String>,
    pub lengths: S<Vec<S<u32>>>,
    /// `false`: its numbers have no international (E.164) form (short codes dialled only inside
    /// the country). Default `true`.
    #[serde(default)]
    pub e164: Option<S<bool>>,
    #[serde(default)]
    pub basis: Option<S<String>>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub verdicts: Vec<RawVerdict>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A verdict statement of a category: what it says of some uses during a period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawVerdict {
    pub uses: S<Vec<S<String>>>,
    /// `allowed`, `forbidden` or `unknown`.
    pub value: S<String>,
    #[serde(default)]
    pub from: Option<S<String>>,
    #[serde(default)]
    pub until: Option<S<String>>,
    #[serde(default)]
    pub conditions: Vec<S<String>>,
    pub basis: S<String>,
    #[serde(default)]
    pub reason: Option<S<String>>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A rule statement of a category.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRule {
    pub rule: S<String>,
    pub value: S<String>,
    #[serde(default)]
    pub from: Option<S<String>>,
    #[serde(default)]
    pub until: Option<S<String>>,
    pub basis: S<String>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A ranges file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRanges {
    pub ranges: Vec<RawRange>,
}

/// A range entry, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRange {
    pub numbers: S<String>,
    pub category: S<String>,
    pub territory: S<String>,
    #[serde(default)]
    pub lengths: Option<S<Vec<S<u32>>>>,
    #[serde(default)]
    pub from: Option<S<String>>,
    #[serde(default)]
    pub until: Option<S<String>>,
    #[serde(default)]
    pub basis: Option<S<String>>,
    #[serde(default)]
    pub doubt: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The extra operators file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawOperators {
    pub operators: Vec<RawOperator>,
}

/// An operator the operator list lacks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawOperator {
    pub code: S<String>,
    pub name: Option<S<String>>,
    pub source: S<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Everything read from a plan directory, before validation.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The texts of every file read.
    pub sources: SourceMap,
    /// `plan.yaml`, if it parsed.
    pub manifest: Option<(FileId, RawManifest)>,
    /// The categories files that parsed.
    pub categories: Vec<(FileId, RawCategories)>,
    /// The ranges files that parsed.
    pub ranges: Vec<(FileId, RawRanges)>,
    /// The register block files, row by row: each file once, however many snapshots name it.
    pub blocks: Vec<(FileId, RegisterRows)>,
    /// The files of `blocks` (indices) that make up the current register.
    pub current: Vec<usize>,
    /// For each earlier snapshot of `files.register.history`, in order, the files of `blocks`
    /// (indices) it is made of (those that could be read).
    pub history: Vec<Vec<usize>>,
    /// The operator list, row by row.
    pub operators: Option<(FileId, Vec<OperatorRow>)>,
    /// The extra operators file.
    pub extra_operators: Option<(FileId, RawOperators)>,
    /// Problems met while reading.
    pub diagnostics: Vec<Diagnostic>,
    /// True when nothing could be checked because `plan.yaml` itself could not be read.
    pub no_manifest: bool,
    /// Files that could not be read or parsed, so that checks depending on them are skipped
    /// rather than reporting consequences of the first error.
    pub missing: Missing,
}

/// The rows of one register file, in its format.
#[derive(Debug)]
pub enum RegisterRows {
    /// Arcep's MAJNUM (or MAJNFB): one row a block, with its holder and allocation date. The
    /// rows are not kept: validation reads them from the file's text in the source map, one at
    /// a time ([`register::for_each_majnum_row`]), and reports what is wrong with them, so that
    /// a register of millions of rows costs its text and its blocks, not a `BlockRow` a row.
    Majnum,
    /// CNAC's CO Code Status file: one row a code, with its status; its date is the file's.
    CoCodes(register::cnac::CoCodeFile),
}

/// The format of `files.register`: its `format`, the default when absent, `None` when it names
/// none (validation reports it).
pub fn register_format(reg: &RawRegisterFiles) -> Option<RegisterFormat> {
    match &reg.format {
        None => Some(RegisterFormat::default()),
        Some(name) => RegisterFormat::from_name(name.value.trim()),
    }
}

/// Which parts of the plan could not be read (their errors are already reported).
#[derive(Debug, Default, Clone, Copy)]
pub struct Missing {
    /// A categories file.
    pub categories: bool,
    /// A ranges file.
    pub ranges: bool,
    /// The operator list or the extra operators.
    pub operators: bool,
}

/// Reads the plan in directory `dir`. Paths in diagnostics are `dir` joined with the file name.
pub fn load_dir(dir: &Path) -> Loaded {
    load_dir_with(dir, &Limits::default())
}

/// [`load_dir`] under `limits`.
pub fn load_dir_with(dir: &Path, limits: &Limits) -> Loaded {
    let display = dir.to_string_lossy();
    let display = display.trim_end_matches('/');
    let display = if display.is_empty() { "." } else { display };
    let canonical_dir = std::fs::canonicalize(dir);
    let mut read = |name: &str, limit: u64| match &canonical_dir {
        Ok(root) => read_plan_file(dir, root, name, limit),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    };
    load_with_limits(display, &mut read, limits)
}

/// Reads `name` (plan-relative, `/`-separated, already free of `..`) of the plan in `dir`, whose
/// canonical path is `root`: it must be a regular file inside the plan directory, reached without
/// a symbolic link. A symlink, FIFO, device or directory is refused before it is opened (a FIFO
/// would block), and the file opened is checked again by its handle (the same file as checked,
/// still regular), so that a file swapped in between is not read either.
fn read_plan_file(dir: &Path, root: &Path, name: &str, limit: u64) -> io::Result<Vec<u8>> {
    let refuse = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let mut path = dir.to_path_buf();
    let parts: Vec<&str> = name.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path)?;
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            return Err(refuse(
                "it is a symbolic link (or lies under one); plan files must be regular files inside the plan directory"
                    .to_string(),
            ));
        }
        if !last && !meta.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
        }
        if last && !meta.is_file() {
            return Err(refuse(format!(
                "it is {}, not a regular file",
                crate::fsutil::file_kind(&meta)
            )));
        }
    }
    let checked = std::fs::symlink_metadata(&path)?;
    let canonical = std::fs::canonicalize(&path)?;
    if !canonical.starts_with(root) {
        return Err(refuse("it lies outside the plan directory".to_string()));
    }
    let (file, meta) = crate::fsutil::open_regular(&canonical, false)?;
    if !same_file(&checked, &meta) {
        return Err(refuse(
            "it was replaced while being read; plan files must be regular files inside the plan directory"
                .to_string(),
        ));
    }
    read_open_limited(file, &meta, limit)
}

/// Whether two metadata describe the same file (device and inode on Unix; elsewhere, the size).
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        a.len() == b.len()
    }
}

/// Reads a plan through `read(name, limit)`, which returns the bytes of a plan-relative file name,
/// or an error; it must refuse (with `io::ErrorKind::FileTooLarge`) files over `limit` bytes.
pub fn load_with(display_root: &str, read: &mut dyn FnMut(&str, u64) -> io::Result<Vec<u8>>) -> Loaded {
    load_with_limits(display_root, read, &Limits::default())
}

/// [`load_with`] under `limits`.
pub fn load_with_limits(
    display_root: &str,
    read: &mut dyn FnMut(&str, u64) -> io::Result<Vec<u8>>,
    limits: &Limits,
) -> Loaded {
    let max_register_bytes = limits.max_register_bytes;
    let mut out = Loaded::default();
    let display = |name: &str| {
        if display_root.is_empty() {
            name.to_string()
        } else {
            format!("{display_root}/{name}")
        }
    };

    let manifest_bytes = match read("plan.yaml", MAX_YAML_BYTES) {
        Ok(b) => b,
        Err(e) => {
            out.no_manifest = true;
            out.diagnostics.push(
                Diagnostic::error_unlocated(
                    if e.kind() == io::ErrorKind::FileTooLarge {
                        Code::TooLarge
                    } else {
                        Code::Io
                    },
                    format!("cannot read {}: {}", display("plan.yaml"), io_message(&e)),
                )
                .with_help("a plan directory holds a plan.yaml manifest; see docs/plan-format.md"),
            );
            return out;
        }
    };
    let Some((mfile, manifest)) = parse_yaml_file::<RawManifest>(
        &mut out,
        (display("plan.yaml"), "plan.yaml".to_string()),
        manifest_bytes,
    ) else {
        return out;
    };

    // Each file named by the manifest, with the span of its name for errors.
    let files = &manifest.files;
    // `register`: a register file, whose limit the caller sets (`--max-register-size`).
    let mut named = |out: &mut Loaded,
                     name: &S<String>,
                     limit: u64,
                     register: bool|
     -> Option<((String, String), Vec<u8>)> {
        let span = span_of(mfile, name);
        let n = name.value.as_str();
        if n.is_empty()
            || n.starts_with('/')
            || n.contains('\\')
            || n.split('/').any(|c| c == ".." || c.is_empty())
        {
            out.diagnostics.push(
                Diagnostic::error(
                    Code::BadPath,
                    span,
                    format!("`{n}` is not a file name inside the plan directory"),
                )
                .with_label("not a relative path inside the plan")
                .with_help("name files relative to the plan directory, without `..`, e.g. `ranges.yaml`"),
            );
            return None;
        }
        match read(n, limit) {
            Ok(b) => Some(((display(n), n.to_string()), b)),
            Err(e) => {
                let code = if e.kind() == io::ErrorKind::FileTooLarge {
                    Code::TooLarge
                } else {
                    Code::Io
                };
                let mut d = Diagnostic::error(
                    code,
                    span,
                    format!("cannot read {}: {}", display(n), io_message(&e)),
                )
                .with_label("named here");
                if code == Code::TooLarge && register {
                    d = d.with_help(format!(
                        "register files are read up to {limit} bytes; raise the limit with \
                         `--max-register-size` (e.g. `--max-register-size 1GiB`)"
                    ));
                }
                out.diagnostics.push(d);
                None
            }
        }
    };

    for name in &files.categories {
        match named(&mut out, name, MAX_YAML_BYTES, false)
            .and_then(|(path, bytes)| parse_yaml_file::<RawCategories>(&mut out, path, bytes))
        {
            Some(parsed) => out.categories.push(parsed),
            None => out.missing.categories = true,
        }
    }
    for name in &files.ranges {
        match named(&mut out, name, MAX_YAML_BYTES, false)
            .and_then(|(path, bytes)| parse_yaml_file::<RawRanges>(&mut out, path, bytes))
        {
            Some(parsed) => out.ranges.push(parsed),
            None => out.missing.ranges = true,
        }
    }
    if let Some(reg) = &files.register {
        let format = register_format(reg);
        // Each block file is read once, even when several snapshots share it.
        let mut by_name: std::collections::HashMap<String, Option<usize>> = std::collections::HashMap::new();
        let mut block_files = |out: &mut Loaded, names: &[S<String>]| -> Vec<usize> {
            let mut found = Vec::new();
            for name in names {
                let index = match by_name.get(&name.value) {
                    Some(known) => *known,
                    None => {
                        // An unknown format is reported by validation; its files are not read.
                        let index = format
                            .and_then(|_| named(out, name, max_register_bytes, true))
                            .and_then(|(path, bytes)| {
                                let rows = match format? {
                                    RegisterFormat::ArcepMajnum => {
                                        let file = out.sources.add_named(
                                            path.0,
                                            path.1,
                                            register::decode_owned(bytes),
                                        );
                                        (file, RegisterRows::Majnum)
                                    }
                                    RegisterFormat::CnacCoCodeStatus => {
                                        // ASCII as published; any other byte is read as latin-1,
                                        // like Arcep's files, so that every span indexes the text.
                                        let file =
                                            out.sources.add_named(path.0, path.1, register::decode(&bytes));
                                        let mut parsed = register::cnac::parse_co_code_status(
                                            out.sources.file(file).text(),
                                        );
                                        push_register_errors(
                                            &mut out.diagnostics,
                                            file,
                                            std::mem::take(&mut parsed.errors),
                                        );
                                        (file, RegisterRows::CoCodes(parsed))
                                    }
                                };
                                out.blocks.push(rows);
                                Some(out.blocks.len() - 1)
                            });
                        by_name.insert(name.value.clone(), index);
                        index
                    }
                };
                found.extend(index.filter(|i| !found.contains(i)));
            }
            found
        };
        out.current = block_files(&mut out, &reg.blocks);
        for snapshot in &reg.history {
            let files = block_files(&mut out, &snapshot.blocks);
            out.history.push(files);
        }
        // Only Arcep's format has an operator list (validation refuses one with another format).
        let lists = format == Some(RegisterFormat::ArcepMajnum);
        if let Some(name) = reg.operators.as_ref().filter(|_| lists) {
            match named(&mut out, name, max_register_bytes, true) {
                Some((path, bytes)) => {
                    let file = out.sources.add_named(path.0, path.1, register::decode(&bytes));
                    let (rows, errors) = register::parse_operators(out.sources.file(file).text());
                    out.missing.operators |= errors.iter().any(|e| e.kind == RegisterErrorKind::Header);
                    push_register_errors(&mut out.diagnostics, file, errors);
                    out.operators = Some((file, rows));
                }
                None => out.missing.operators = true,
            }
        }
        if let Some(name) = reg.extra_operators.as_ref().filter(|_| lists) {
            out.extra_operators = named(&mut out, name, MAX_YAML_BYTES, false)
                .and_then(|(path, bytes)| parse_yaml_file::<RawOperators>(&mut out, path, bytes));
            out.missing.operators |= out.extra_operators.is_none();
        }
    }
    out.manifest = Some((mfile, manifest));
    out
}

/// The span of a YAML value in `file`.
pub fn span_of<T>(file: FileId, s: &Spanned<T>) -> Span {
    let sp = s.referenced.span();
    match (sp.byte_offset(), sp.byte_len()) {
        (Some(o), Some(l)) => Span::new(file, o as usize..(o + l) as usize),
        _ => Span::new(file, 0..0),
    }
}

/// Reports a register reader's errors as diagnostics of `file`.
pub(crate) fn push_register_errors(
    diags: &mut Vec<Diagnostic>,
    file: FileId,
    errors: Vec<register::RegisterError>,
) {
    for e in errors {
        let code = match e.kind {
            RegisterErrorKind::Value => Code::RegisterValue,
            RegisterErrorKind::Date => Code::RegisterDate,
            RegisterErrorKind::UnknownStatus => Code::UnknownStatus,
            _ => Code::RegisterFormat,
        };
        let mut d = Diagnostic::error(code, Span::new(file, e.span.clone()), e.message);
        if e.kind == RegisterErrorKind::UnknownStatus {
            // Kept and reported: a status CNAC adds is not a broken plan.
            d = d.warning();
        }
        if let Some(h) = e.help {
            d = d.with_help(h);
        }
        diags.push(d);
    }
}

fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::FileTooLarge => e.to_string(),
        _ => e.to_string(),
    }
}

/// Reads a file, refusing it (without reading it) when it is over `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
    }
    read_open_limited(file, &meta, limit)
}

/// Reads an open file whose metadata is `meta`, refusing it unread when it is over `limit` bytes.
fn read_open_limited(file: std::fs::File, meta: &std::fs::Metadata, limit: u64) -> io::Result<Vec<u8>> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            if limit.is_multiple_of(1 << 20) {
                format!("larger than the limit of {} MiB", limit >> 20)
            } else {
                format!("larger than the limit of {limit} bytes")
            },
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // `take` guards against a file that grows while it is read.
    file.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// The YAML options: strict, budgeted, no snippets (we render our own).
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = MAX_YAML_EVENTS;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options.alias_limits.max_total_replayed_events = MAX_YAML_EVENTS;
    // Plan sources have no use for `<<`, and merge-key bombs are slow to refuse: reject them.
    options.merge_keys = serde_saphyr::MergeKeyPolicy::Error;
    options
}

/// Adds `bytes` to the source map as `path` and deserializes it; on failure, records a located
/// diagnostic and returns `None`.
fn parse_yaml_file<T: DeserializeOwned>(
    out: &mut Loaded,
    (path, name): (String, String),
    bytes: Vec<u8>,
) -> Option<(FileId, T)> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = out.sources.add_named(path, name, text);
            let start = out
                .sources
                .file(file)
                .text()
                .char_indices()
                .nth(valid_chars(e.as_bytes(), valid))
                .map_or(0, |(i, _)| i);
            out.diagnostics.push(
                Diagnostic::error(
                    Code::YamlSyntax,
                    Span::new(file, start..start + 3),
                    "YAML sources must be UTF-8",
                )
                .with_label("not UTF-8")
                .with_help("save the file as UTF-8"),
            );
            return None;
        }
    };
    let file = out.sources.add_named(path, name, text);
    let text = out.sources.file(file).text();
    match serde_saphyr::from_str_with_options::<T>(text, yaml_options()) {
        Ok(v) => {
            refuse_control_characters(out, file);
            Some((file, v))
        }
        Err(e) => {
            out.diagnostics.push(yaml_diagnostic(file, text, &e));
            None
        }
    }
}

/// Any YAML node, with the location of every string in it (keys too): read a second time from a
/// file that already parsed into its format, to check all of its text at once.
enum Node {
    Text(String),
    List(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
    Other,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Text(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_i128<E>(self, _: i128) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_u128<E>(self, _: u128) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<Node>, Spanned<Node>>()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Refuses every string of YAML file `file` that holds a character
/// [`crate::diag::is_unsafe_text_char`] refuses (written raw or as a YAML escape such as `\e`),
/// with its location (E0206). The file is read a second time as generic YAML that takes every
/// scalar the typed parse took (`1e999` and `.nan` included); should that read still fail, the
/// raw text is scanned instead ([`scan_raw_controls`]): a file is never left unchecked.
fn refuse_control_characters(out: &mut Loaded, file: FileId) {
    let text = out.sources.file(file).text();
    let mut options = yaml_options();
    // A non-finite float is refused by default, which would fail the whole generic read.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let found = match serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
        Ok(root) => unsafe_strings(file, &root),
        Err(_) => scan_raw_controls(text)
            .into_iter()
            .map(|(range, c)| (Span::new(file, range), c))
            .collect(),
    };
    for (span, c) in found {
        let (what, help) = if c == '\n' || c == '\t' {
            (
                "a line break or tab",
                "plan text is one line: write a long text as a folded scalar without its final \
                 line break (`>-`), and no tab",
            )
        } else {
            (
                "control character",
                "remove it: names, texts and file names may hold no control character (tab and \
                 line break included) nor bidirectional control, which would rewrite a terminal's \
                 output",
            )
        };
        out.diagnostics.push(
            Diagnostic::error(
                Code::ControlCharacter,
                span,
                format!("this text holds the control character {}", c.escape_unicode()),
            )
            .with_label(what)
            .with_help(help),
        );
    }
}

/// The location and first unsafe character of every string of `root` (keys too) that holds one.
fn unsafe_strings(file: FileId, root: &Spanned<Node>) -> Vec<(Span, char)> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            Node::Text(t) => {
                if let Some(c) = t.chars().find(|&c| crate::diag::is_unsafe_text_char(c)) {
                    found.push((span_of(file, node), c));
                }
            }
            Node::List(items) => stack.extend(items.iter().rev()),
            Node::Map(entries) => {
                for (k, v) in entries.iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            Node::Other => {}
        }
    }
    found
}

/// The fallback of [`refuse_control_characters`] when the generic read fails: every unsafe
/// character written raw (other than the line feeds and tabs of the layout), and every YAML escape
/// that stands for one (`\e`, `\n`, `\x1b`, `\u202e`…), wherever it is. Cautious: an escape is
/// reported even where YAML would take the backslash literally.
fn scan_raw_controls(text: &str) -> Vec<(std::ops::Range<usize>, char)> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            if c != '\n' && c != '\t' && c != '\r' && crate::diag::is_unsafe_text_char(c) {
                found.push((i..i + c.len_utf8(), c));
            }
            continue;
        }
        let Some(&(_, e)) = chars.peek() else { break };
        chars.next();
        let hex = |n: usize| {
            let digits = text.get(i + 2..i + 2 + n)?;
            u32::from_str_radix(digits, 16).ok().and_then(char::from_u32)
        };
        let (decoded, len) = match e {
            '0' => (Some('\0'), 2),
            'a' => (Some('\u{7}'), 2),
            'b' => (Some('\u{8}'), 2),
            't' => (Some('\t'), 2),
            'n' => (Some('\n'), 2),
            'v' => (Some('\u{b}'), 2),
            'f' => (Some('\u{c}'), 2),
            'r' => (Some('\r'), 2),
            'e' => (Some('\u{1b}'), 2),
            'N' => (Some('\u{85}'), 2),
            'x' => (hex(2), 4),
            'u' => (hex(4), 6),
            'U' => (hex(8), 10),
            _ => (None, 2),
        };
        if let Some(d) = decoded.filter(|&d| crate::diag::is_unsafe_text_char(d)) {
            found.push((i..(i + len).min(text.len()), d));
        }
    }
    found
}

/// How many characters the first `valid` bytes of `bytes` hold.
fn valid_chars(bytes: &[u8], valid: usize) -> usize {
    std::str::from_utf8(&bytes[..valid]).map_or(0, |s| s.chars().count())
}

/// Turns a serde-saphyr error into a located diagnostic.
fn yaml_diagnostic(file: FileId, text: &str, e: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    // Alias and snippet wrappers keep the original error inside; judge that one.
    let mut inner = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let shape_help = || Some("see docs/plan-format.md for the shape of this file".to_string());
    let budget_help = || {
        Some("the file is over the YAML budget (aliases, events, nesting); write it out plainly".to_string())
    };
    let (code, message, help) = match inner {
        E::SerdeUnknownField { field, expected, .. } => (
            Code::UnknownKey,
            format!("unknown key `{field}`"),
            Some(if expected.is_empty() {
                "this mapping takes no keys".to_string()
            } else {
                format!("the keys allowed here are: {}", expected.join(", "))
            }),
        ),
        E::DuplicateMappingKey { key, .. } => (
            Code::DuplicateKey,
            match key {
                Some(k) => format!("duplicate key `{k}`"),
                None => "duplicate key".to_string(),
            },
            Some("a key may appear once per mapping; remove one of the two".to_string()),
        ),
        E::Budget { .. } => (
            Code::TooLarge,
            "the YAML budget is exceeded".to_string(),
            budget_help(),
        ),
        E::InvalidScalar { ty, .. } => (
            Code::YamlShape,
            format!("expected {}", scalar_name(ty)),
            Some("write a single whole number here, without quotes".to_string()),
        ),
        E::SerdeMissingField { .. }
        | E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::Unexpected { .. } => (Code::YamlShape, strip_location(&inner.to_string()), shape_help()),
        _ => {
            let m = strip_location(&inner.to_string());
            if m.starts_with("budget breached") {
                (
                    Code::TooLarge,
                    "the YAML budget is exceeded".to_string(),
                    budget_help(),
                )
            } else if m.contains("recursion limit") {
                (
                    Code::TooLarge,
                    "the YAML nests collections too deeply".to_string(),
                    Some("the file nests deeper than the parser allows; write it out plainly".to_string()),
                )
            } else if m.contains("mapping values are not allowed") {
                (
                    Code::YamlSyntax,
                    m,
                    Some("a `: ` inside a plain value starts a mapping; quote the value".to_string()),
                )
            } else if m.contains("merge") {
                (
                    Code::YamlSyntax,
                    m,
                    Some("plan sources do not use YAML merge keys (`<<`)".to_string()),
                )
            } else {
                (Code::YamlSyntax, m, None)
            }
        }
    };
    let span = match inner.location().or_else(|| e.location()) {
        Some(loc) => {
            let sp = loc.span();
            match (sp.byte_offset(), sp.byte_len()) {
                (Some(o), Some(l)) if (o as usize) <= text.len() => {
                    let start = floor_char_boundary(text, o as usize);
                    let end = ceil_char_boundary(text, (start + (l as usize).max(1)).min(text.len()));
                    Span::new(file, start..end)
                }
                _ => line_col_span(file, text, loc.line() as usize, loc.column() as usize),
            }
        }
        None => Span::new(file, 0..0),
    };
    let mut d = Diagnostic::error(code, span, message);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

/// A person's name for a scalar type.
fn scalar_name(ty: &str) -> &'static str {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        _ => "a scalar value",
    }
}

/// Removes the trailing " at line L, column C" that serde-saphyr appends (the location is shown
/// separately), and only that.
fn strip_location(message: &str) -> String {
    if let Some(i) = message.rfind(" at line ") {
        let tail = &message[i + " at line ".len()..];
        let mut parts = tail.splitn(2, ", column ");
        let (line, col) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(line) && digits(col) {
            return message[..i].to_string();
        }
    }
    message.to_string()
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A one-character span at 1-based `line`:`column` (in characters).
fn line_col_span(file: FileId, text: &str, line: usize, column: usize) -> Span {
    let start_of_line: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start_of_line.min(text.len())..];
    let start = start_of_line
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    Span::new(file, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_scan_finds_raw_and_escaped_controls_but_not_the_layout() {
        let text = "a: \"x\\e]0;y\\a\"\r\n\tb: c\u{9b}\\u202e \\x41 \\\\ \\u00e9\n";
        let found = scan_raw_controls(text);
        let chars: Vec<char> = found.iter().map(|(_, c)| *c).collect();
        assert_eq!(chars, ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']);
        assert_eq!(&text[found[0].0.clone()], "\\e");
        assert_eq!(&text[found[3].0.clone()], "\\u202e");
        assert!(
            scan_raw_controls("a: b\r\n  c: \"d\\te\"\n")
                .iter()
                .any(|(_, c)| *c == '\t')
        );
    }

    /// The budget holds even for a target type that would accept anything.
    #[test]
    fn billion_laughs_hits_the_budget() {
        let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..=9 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(&yaml, yaml_options())
            .expect_err("a billion laughs must not parse");
        let d = yaml_diagnostic(FileId(0), &yaml, &err);
        assert_eq!(d.code, Code::TooLarge, "{}", d.message);
        assert_eq!(d.message, "the YAML budget is exceeded");
    }

    #[test]
    fn type_mismatches_are_shape_errors() {
        let yaml = "ranges:\n  - numbers: [1, 2]\n";
        let err = serde_saphyr::from_str_with_options::<RawRanges>(yaml, yaml_options()).unwrap_err();
        let d = yaml_diagnostic(FileId(0), yaml, &err);
        assert_eq!(d.code, Code::YamlShape, "{}", d.message);
        assert_eq!(d.primary.unwrap().span.start, 21, "at the `[`");
    }

    #[test]
    fn unknown_keys_are_located_and_listed() {
        let yaml = "ranges:\n  - numbers: \"01\"\n    untill: 2023-01-01\n";
        let err = serde_saphyr::from_str_with_options::<RawRanges>(yaml, yaml_options()).unwrap_err();
        let d = yaml_diagnostic(FileId(0), yaml, &err);
        assert_eq!(d.code, Code::UnknownKey);
        let span = d.primary.unwrap().span;
        assert_eq!(&yaml[span.range()], "untill");
        assert!(d.help.unwrap().contains("until"));
    }

    #[test]
    fn paths_may_not_leave_the_plan() {
        let mut files = std::collections::HashMap::new();
        files.insert("plan.yaml", "id: x\nname: x\nauthority: x\nversion: x\ntime_zone: UTC\ndialling: {national_prefix: \"0\", international_prefix: \"00\"}\nterritories: []\nrules: []\nfiles: {categories: [../etc/passwd], ranges: [/abs.yaml]}\n");
        let mut read = |name: &str, _limit: u64| {
            files
                .get(name)
                .map(|s| s.as_bytes().to_vec())
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        };
        let loaded = load_with("p", &mut read);
        let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::BadPath, Code::BadPath]);
        assert!(loaded.missing.categories && loaded.missing.ranges);
    }

    #[test]
    fn spans_never_split_a_character() {
        let yaml = "operators:\n é: x\n";
        let err = serde_saphyr::from_str_with_options::<RawOperators>(yaml, yaml_options()).unwrap_err();
        let d = yaml_diagnostic(FileId(0), yaml, &err);
        let span = d.primary.unwrap().span;
        assert!(yaml.is_char_boundary(span.start as usize) && yaml.is_char_boundary(span.end as usize));
    }

    #[test]
    fn numbers_that_are_not_numbers_are_shape_errors() {
        let yaml = "categories:\n  - id: a\n    name: a\n    lengths: [10, 2.5]\n";
        let err = serde_saphyr::from_str_with_options::<RawCategories>(yaml, yaml_options()).unwrap_err();
        let d = yaml_diagnostic(FileId(0), yaml, &err);
        assert_eq!(d.code, Code::YamlShape, "{}", d.message);
        assert_eq!(d.message, "expected a whole number");
    }

    #[test]
    fn merge_keys_are_refused() {
        let yaml = "ranges:\n  - &a {numbers: \"01\", category: c, territory: t}\n  - {<<: *a}\n";
        assert!(serde_saphyr::from_str_with_options::<RawRanges>(yaml, yaml_options()).is_err());
    }

    #[test]
    fn only_the_trailing_location_is_stripped() {
        assert_eq!(strip_location("bad thing at line 3, column 4"), "bad thing");
        assert_eq!(
            strip_location("x (defined at line 1, column 2) (used"),
            "x (defined at line 1, column 2) (used"
        );
    }
}
