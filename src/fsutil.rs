//! Atomic file writes: a file is either its old self or its complete new self, never half-written.
//!
//! [`write_atomic`] writes to a temporary file in the same directory, flushes it to disk, renames
//! it over the target (atomic on POSIX file systems), then flushes the directory. An interrupted or
//! failed write leaves the previous file untouched and removes the temporary one.
//!
//! [`write_all_atomic`] writes a set of files of one directory (an artifact and its signature, a
//! key pair) as a set: under an exclusive [`DirLock`] of the directory (`flock` on Unix), so that
//! concurrent writers of the same files take turns, and readers holding it shared see a whole
//! set; every temporary file is written before any is renamed; each file about to be replaced is
//! first kept under a temporary name (a hard link, or a copy), and if a rename fails midway, the
//! files already replaced get their old content back: the old set stays whole.
//! [`replace_set_atomic`] also removes files of the set in the same locked write (the stale
//! signature of an artifact written unsigned).
//!
//! Targets that exist must be regular files: a device node, FIFO, directory or symbolic link is
//! refused before anything is written. Temporary files are named `.NAME.tmp.PID.N`; those of a
//! process that is no longer alive (a killed run) are removed by the next write of `NAME`
//! (on Linux, where `/proc` says which processes are alive).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Who may read a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The usual permissions (0644 before the umask).
    Public,
    /// Owner only (0600): secret keys.
    Private,
}

/// One file of a set written by [`write_all_atomic`].
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// Where.
    pub path: &'a Path,
    /// What.
    pub bytes: &'a [u8],
    /// Who may read it.
    pub mode: Mode,
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    write_all_atomic(&[Target { path, bytes, mode }])
}

/// Writes one file atomically from a writer: `write` streams the content into a temporary file
/// of the same directory (so that a list of millions of lines needs no buffer of its size), which
/// is synced and renamed over `path` only if `write` succeeds; otherwise it is removed and `path`
/// is left as it was.
pub fn write_atomic_streamed(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    check_target(path)?;
    let lock = DirLock::exclusive(parent(path))?;
    remove_stale_temps(path);
    let tmp = temp_path(path)?;
    let result = (|| {
        let f = create(&tmp, mode).map_err(|e| located(&tmp, e))?;
        let mut out = io::BufWriter::with_capacity(1 << 20, f);
        write(&mut out)?;
        let f = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.sync_all()?;
        // Again under the lock: the target may have been replaced since the first check.
        check_target(path)?;
        fs::rename(&tmp, path).map_err(|e| located(path, e))?;
        sync_dir(&lock.dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes files of one directory atomically and as a set (see the module documentation).
pub fn write_all_atomic(targets: &[Target<'_>]) -> io::Result<()> {
    replace_set_atomic(targets, &[]).map(drop)
}

/// Writes `targets` and removes the files `stale` (of the same directory) as one set, under one
/// exclusive lock: an unsigned artifact written over a signed one takes its old signature away
/// with it. Whether a stale file exists is decided under the lock: a caller passes every file
/// that must not outlive the write, and a file that does not exist is no error. Returns the stale
/// files that were removed. On failure, every file is left as it was.
pub fn replace_set_atomic(targets: &[Target<'_>], stale: &[&Path]) -> io::Result<Vec<PathBuf>> {
    let Some(first) = targets.first().map(|t| t.path).or(stale.first().copied()) else {
        return Ok(Vec::new());
    };
    for path in targets.iter().map(|t| t.path).chain(stale.iter().copied()) {
        check_target(path)?;
    }
    let lock = DirLock::exclusive(parent(first))?;
    replace_set_locked(&lock, targets, stale)
}

/// [`write_all_atomic`] under a lock already held (exclusively) on the files' directory: for a
/// writer that reads what it signs under the same lock (`numplan sign`).
pub fn write_all_locked(lock: &DirLock, targets: &[Target<'_>]) -> io::Result<()> {
    replace_set_locked(lock, targets, &[]).map(drop)
}

/// One step of a set's replacement, kept to undo it if a later step fails.
struct Done {
    /// The file replaced or removed.
    path: PathBuf,
    /// A hard link to (or copy of) its old content, if it existed.
    backup: Option<PathBuf>,
}

/// [`replace_set_atomic`] under a lock already held (exclusively) on the files' directory; returns
/// the stale files removed.
fn replace_set_locked(lock: &DirLock, targets: &[Target<'_>], stale: &[&Path]) -> io::Result<Vec<PathBuf>> {
    let dir = lock.dir.as_path();
    let paths = || targets.iter().map(|t| t.path).chain(stale.iter().copied());
    if !lock.exclusive || paths().any(|p| parent(p) != dir) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the files of a set must be in one directory, locked exclusively",
        ));
    }
    for path in paths() {
        check_target(path)?;
        remove_stale_temps(path);
    }
    let mut temps: Vec<PathBuf> = Vec::new();
    let mut backups: Vec<PathBuf> = Vec::new();
    let mut done: Vec<Done> = Vec::new();
    let result = (|| {
        for t in targets {
            let tmp = temp_path(t.path)?;
            let mut f = create(&tmp, t.mode).map_err(|e| located(&tmp, e))?;
            temps.push(tmp);
            f.write_all(t.bytes)?;
            f.sync_all()?;
        }
        // Again under the lock: a target may have been replaced since the first check.
        for path in paths() {
            check_target(path)?;
        }
        // Stale files go first: a reader without the lock sees an old artifact unsigned (refused
        // as unsigned), never a new artifact beside an old signature.
        for &path in stale {
            let backup = back_up(path, &mut backups)?;
            if backup.is_none() {
                continue;
            }
            let step = Done {
                path: path.to_path_buf(),
                backup,
            };
            fs::remove_file(path).map_err(|e| located(path, e))?;
            done.push(step);
        }
        for (i, (t, tmp)) in targets.iter().zip(&temps).enumerate() {
            let backup = back_up(t.path, &mut backups)?;
            fs::rename(tmp, t.path).map_err(|e| located(t.path, e))?;
            done.push(Done {
                path: t.path.to_path_buf(),
                backup,
            });
            #[cfg(test)]
            test_hooks::after_rename(i);
            #[cfg(not(test))]
            let _ = i;
        }
        sync_dir(dir);
        Ok(())
    })();
    let removed = done
        .iter()
        .filter(|d| stale.iter().any(|s| *s == d.path))
        .map(|d| d.path.clone())
        .collect();
    if result.is_err() {
        // Undo in reverse: each file replaced or removed gets its old content back (a file that
        // did not exist is removed), so the old set stays whole.
        for step in done.iter().rev() {
            match &step.backup {
                Some(b) => {
                    let _ = fs::rename(b, &step.path);
                }
                None => {
                    let _ = fs::remove_file(&step.path);
                }
            }
        }
        sync_dir(dir);
        for tmp in &temps {
            let _ = fs::remove_file(tmp);
        }
    }
    for b in &backups {
        let _ = fs::remove_file(b);
    }
    result.map(|()| removed)
}

/// Keeps the old content of `path`, if it exists, under a temporary name (a hard link, or a copy
/// where the file system has none), recorded in `backups` for removal.
fn back_up(path: &Path, backups: &mut Vec<PathBuf>) -> io::Result<Option<PathBuf>> {
    match fs::symlink_metadata(path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(located(path, e)),
    }
    let backup = temp_path(path)?;
    if fs::hard_link(path, &backup).is_err() {
        fs::copy(path, &backup).map_err(|e| located(path, e))?;
    }
    backups.push(backup.clone());
    Ok(Some(backup))
}

#[cfg(test)]
mod test_hooks {
    //! A hook called after each rename of a set, on the writing thread only: the tests use it to
    //! make a rename fail, or to run another writer, at a chosen point.
    use std::cell::RefCell;

    type Hook = Box<dyn FnMut(usize)>;

    thread_local! {
        static AFTER_RENAME: RefCell<Option<Hook>> = RefCell::new(None);
    }

    /// Calls `hook(i)` after rename `i` of every set written by this thread until [`clear`].
    pub fn set(hook: impl FnMut(usize) + 'static) {
        AFTER_RENAME.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
    }

    /// Removes this thread's hook.
    pub fn clear() {
        AFTER_RENAME.with(|h| *h.borrow_mut() = None);
    }

    pub(super) fn after_rename(i: usize) {
        let hook = AFTER_RENAME.with(|h| h.borrow_mut().take());
        if let Some(mut hook) = hook {
            hook(i);
            AFTER_RENAME.with(|h| {
                let mut slot = h.borrow_mut();
                if slot.is_none() {
                    *slot = Some(hook);
                }
            });
        }
    }
}

/// Opens an input that must be a regular file, without waiting on a FIFO (`O_NONBLOCK` on Unix)
/// and, unless `follow` is set, without following a symbolic link in its last component
/// (`O_NOFOLLOW`), then checks the open handle's type: a file swapped for a link, FIFO or device
/// after an earlier check is refused here. Returns the file and its metadata (from the handle).
pub fn open_regular(path: &Path, follow: bool) -> io::Result<(File, fs::Metadata)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(no_follow | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    let _ = follow;
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a symbolic link, not a regular file",
            );
        }
        e
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a FIFO, device or directory)",
        ));
    }
    Ok((file, meta))
}

/// `path: error`, for errors that do not name their file.
fn located(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The directory of `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Refuses a target that exists and is not a regular file (a device, FIFO, directory, symlink).
pub fn check_target(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => {
            let kind = if m.file_type().is_symlink() {
                "a symbolic link"
            } else if m.is_dir() {
                "a directory"
            } else {
                "a device, FIFO or socket"
            };
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} exists and is {kind}, not a regular file; refusing to replace it",
                    path.display()
                ),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(located(path, e)),
    }
}

/// A lock on a directory (`flock` on Unix), held until dropped. Writers take it exclusively, so
/// that writers of the same files take turns; readers of a set (an artifact and its signature)
/// may take it shared, so that they never read one file of a set before and the other after a
/// writer's renames. A file system without locks is used without one.
#[derive(Debug)]
pub struct DirLock {
    dir: PathBuf,
    exclusive: bool,
    _handle: Option<File>,
}

impl DirLock {
    /// Locks directory `dir` exclusively, waiting for other holders.
    pub fn exclusive(dir: &Path) -> io::Result<DirLock> {
        Ok(DirLock {
            dir: dir.to_path_buf(),
            exclusive: true,
            _handle: lock_handle(dir, true)?,
        })
    }

    /// Locks the directory of file `path` shared, best effort: a directory that cannot be opened
    /// or locked (permissions, file system) is read without a lock.
    pub fn shared_for(path: &Path) -> DirLock {
        let dir = parent(path);
        DirLock {
            dir: dir.to_path_buf(),
            exclusive: false,
            _handle: lock_handle(dir, false).ok().flatten(),
        }
    }

    /// Locks the directory of file `path` exclusively, waiting for other holders.
    pub fn exclusive_for(path: &Path) -> io::Result<DirLock> {
        DirLock::exclusive(parent(path))
    }
}

fn lock_handle(dir: &Path, exclusive: bool) -> io::Result<Option<File>> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| located(dir, e))?;
        let locked = if exclusive {
            handle.lock()
        } else {
            handle.lock_shared()
        };
        match locked {
            Ok(()) => Ok(Some(handle)),
            Err(e) if e.kind() == io::ErrorKind::Unsupported => Ok(None),
            Err(e) => Err(located(dir, e)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, exclusive);
        Ok(None)
    }
}

/// Removes `.NAME.tmp.PID.N` files next to `path` whose process is no longer alive.
fn remove_stale_temps(path: &Path) {
    let (Some(name), Ok(entries)) = (path.file_name(), fs::read_dir(parent(path))) else {
        return;
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp.");
    let Some(prefix) = prefix.to_str() else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(pid), true) = (
            pid.parse::<u32>(),
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
        ) else {
            continue;
        };
        if pid != own && !process_alive(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` is alive (when unsure: yes, so that nothing is removed).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        let proc_root = Path::new("/proc");
        !proc_root.join("self").exists() || proc_root.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// A temporary name next to `path`, unique within this process and across processes.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp.{}.{n}", std::process::id()));
    Ok(path.with_file_name(tmp))
}

fn create(path: &Path, mode: Mode) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(match mode {
            Mode::Public => 0o644,
            Mode::Private => 0o600,
        });
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// Flushes directory `dir` (best effort: not every platform can open directories).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// What kind of file `meta` describes, in words (`a FIFO`, `a device`, `a directory`…), for
/// the errors that refuse a file that is not a regular one.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("numplan-fsutil-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let d = dir("replace");
        let p = d.join("a.npa");
        fs::write(&p, b"old").unwrap();
        write_atomic(&p, b"new content", Mode::Public).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new content");
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.npa")]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let d = dir("fail");
        // The target is a non-empty directory: the rename fails after the data was written.
        let p = d.join("target");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("inside"), b"x").unwrap();
        assert!(write_atomic(&p, b"data", Mode::Public).is_err());
        assert!(p.join("inside").exists());
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "the temporary file was removed: {names:?}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_target_is_refused_and_kept() {
        let d = dir("symlink");
        fs::write(d.join("real"), b"keep").unwrap();
        std::os::unix::fs::symlink(d.join("real"), d.join("link")).unwrap();
        let e = write_atomic(&d.join("link"), b"new", Mode::Public).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(
            fs::symlink_metadata(d.join("link"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(d.join("real")).unwrap(), b"keep");
        fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn open_regular_neither_follows_nor_waits() {
        let d = dir("open-regular");
        fs::write(d.join("real"), b"data").unwrap();
        std::os::unix::fs::symlink(d.join("real"), d.join("link")).unwrap();
        assert!(open_regular(&d.join("real"), false).is_ok());
        let e = open_regular(&d.join("link"), false).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(open_regular(&d.join("link"), true).is_ok());
        // A FIFO with no writer: opened without blocking, then refused by its type.
        let fifo = d.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let e = open_regular(&fifo, true).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(open_regular(Path::new("/dev/null"), true).is_err());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_set_is_written_whole_or_not_at_all() {
        let d = dir("set");
        let (a, b) = (d.join("a.npa"), d.join("a.npa.minisig"));
        fs::write(&a, b"old a").unwrap();
        fs::write(&b, b"old b").unwrap();
        let set = |bytes: &'static [u8]| {
            [
                Target {
                    path: &a,
                    bytes,
                    mode: Mode::Public,
                },
                Target {
                    path: &b,
                    bytes,
                    mode: Mode::Public,
                },
            ]
        };
        write_all_atomic(&set(b"new")).unwrap();
        assert_eq!(
            (fs::read(&a).unwrap(), fs::read(&b).unwrap()),
            (b"new".to_vec(), b"new".to_vec())
        );
        // The second target cannot be replaced: neither is.
        fs::remove_file(&b).unwrap();
        fs::create_dir(&b).unwrap();
        assert!(write_all_atomic(&set(b"newer")).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"new");
        // Files of two directories are not a set.
        let other = d.join("sub");
        fs::create_dir(&other).unwrap();
        let c = other.join("c");
        let mixed = [
            Target {
                path: &a,
                bytes: b"x",
                mode: Mode::Public,
            },
            Target {
                path: &c,
                bytes: b"x",
                mode: Mode::Public,
            },
        ];
        assert!(write_all_atomic(&mixed).is_err());
        assert!(!c.exists());
        fs::remove_dir_all(&d).unwrap();
    }

    /// The files of `d` whose names contain `.tmp.` (temporaries and backups).
    fn temporaries(d: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp."))
            .collect()
    }

    fn pair<'a>(a: &'a Path, b: &'a Path, bytes: &'a [u8]) -> [Target<'a>; 2] {
        [
            Target {
                path: a,
                bytes,
                mode: Mode::Public,
            },
            Target {
                path: b,
                bytes,
                mode: Mode::Public,
            },
        ]
    }

    /// The second rename fails after the first file was replaced: the first gets its old content
    /// back, and the second keeps its own, so the old pair is whole (the old code deleted the old
    /// signature and left the new artifact unsigned).
    #[test]
    fn a_failed_second_rename_restores_the_old_pair() {
        let d = dir("rollback");
        let (a, b) = (d.join("a.npa"), d.join("a.npa.minisig"));
        fs::write(&a, b"old a").unwrap();
        fs::write(&b, b"old b").unwrap();
        // After the artifact's rename, the signature's temporary file disappears.
        let dd = d.clone();
        test_hooks::set(move |i| {
            if i == 0 {
                for n in temporaries(&dd) {
                    if n.to_string_lossy().starts_with(".a.npa.minisig.tmp.") {
                        fs::remove_file(dd.join(n)).unwrap();
                    }
                }
            }
        });
        let e = write_all_atomic(&pair(&a, &b, b"new")).unwrap_err();
        test_hooks::clear();
        assert!(e.to_string().contains("a.npa.minisig"), "{e}");
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        assert_eq!(fs::read(&b).unwrap(), b"old b");
        assert_eq!(temporaries(&d), Vec::<std::ffi::OsString>::new());

        // A pair that did not exist is not left half-written either.
        let (c, e2) = (d.join("c.npa"), d.join("c.npa.minisig"));
        let dd = d.clone();
        test_hooks::set(move |i| {
            if i == 0 {
                for n in temporaries(&dd) {
                    if n.to_string_lossy().starts_with(".c.npa.minisig.tmp.") {
                        fs::remove_file(dd.join(n)).unwrap();
                    }
                }
            }
        });
        assert!(write_all_atomic(&pair(&c, &e2, b"new")).is_err());
        test_hooks::clear();
        assert!(!c.exists() && !e2.exists());
        assert_eq!(temporaries(&d), Vec::<std::ffi::OsString>::new());
        fs::remove_dir_all(&d).unwrap();
    }

    /// A second writer of the same pair, started between the first one's two renames, must wait
    /// for the lock: the pair ends as one writer's, never as one's artifact beside the other's
    /// signature. Without the lock, the second writer (tiny files) runs whole during the first
    /// one's pause and the first one's signature lands beside the second one's artifact.
    #[test]
    fn concurrent_writers_of_a_pair_take_turns() {
        let d = dir("turns");
        let (a, b) = (d.join("a.npa"), d.join("a.npa.minisig"));
        let other = std::rc::Rc::new(std::cell::RefCell::new(None));
        let slot = other.clone();
        let (a2, b2) = (a.clone(), b.clone());
        test_hooks::set(move |i| {
            if i == 0 && slot.borrow().is_none() {
                let (a2, b2) = (a2.clone(), b2.clone());
                *slot.borrow_mut() = Some(std::thread::spawn(move || {
                    write_all_atomic(&pair(&a2, &b2, b"second"))
                }));
                // The window the lock must close: the second writer runs now unless it waits.
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
        });
        write_all_atomic(&pair(&a, &b, b"first")).unwrap();
        test_hooks::clear();
        let second = other.borrow_mut().take().expect("the hook ran");
        second.join().unwrap().unwrap();
        assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
        assert_eq!(fs::read(&a).unwrap(), b"second", "the second writer went after");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_stale_file_is_removed_with_the_write() {
        let d = dir("stale");
        let (a, b) = (d.join("a.npa"), d.join("a.npa.minisig"));
        fs::write(&a, b"old a").unwrap();
        fs::write(&b, b"old b").unwrap();
        let one = [Target {
            path: &a,
            bytes: b"new a",
            mode: Mode::Public,
        }];
        assert_eq!(replace_set_atomic(&one, &[&b]).unwrap(), vec![b.clone()]);
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists());
        // Nothing to remove is no error, and is reported as nothing removed.
        assert_eq!(replace_set_atomic(&one, &[&b]).unwrap(), Vec::<PathBuf>::new());
        // A stale path that is not a regular file is refused, and nothing is written.
        fs::create_dir(&b).unwrap();
        let newer = [Target {
            path: &a,
            bytes: b"newer",
            mode: Mode::Public,
        }];
        assert!(replace_set_atomic(&newer, &[&b]).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(temporaries(&d), Vec::<std::ffi::OsString>::new());
        fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("private");
        let p = d.join("k.key");
        write_atomic(&p, b"secret", Mode::Private).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        fs::remove_dir_all(&d).unwrap();
    }
}
