//! Atomic file writes: a file is either its old self or its complete new self, never half-written.
//!
//! [`write_atomic`] writes to a temporary file in the same directory, flushes it to disk, renames
//! it over the target (atomic on POSIX file systems), then flushes the directory. An interrupted or
//! failed write leaves the previous file untouched and removes the temporary one.
//!
//! [`write_all_atomic`] writes a set of files of one directory (an artifact and its signature, a
//! key pair) as a set: under an exclusive [`DirLock`] of the directory (`flock` on Unix), so that
//! concurrent writers of the same files take turns, and readers holding it shared see a whole set; every temporary file is written before any is
//! renamed; and if a rename fails midway, the files not yet replaced are removed, so no new file
//! is left beside an old companion.
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

/// Writes files of one directory atomically and as a set (see the module documentation).
pub fn write_all_atomic(targets: &[Target<'_>]) -> io::Result<()> {
    let Some(first) = targets.first() else {
        return Ok(());
    };
    for t in targets {
        check_target(t.path)?;
    }
    let lock = DirLock::exclusive(parent(first.path))?;
    write_all_locked(&lock, targets)
}

/// [`write_all_atomic`] under a lock already held (exclusively) on the files' directory: for a
/// writer that reads what it signs under the same lock (`numplan sign`).
pub fn write_all_locked(lock: &DirLock, targets: &[Target<'_>]) -> io::Result<()> {
    let dir = lock.dir.as_path();
    if !lock.exclusive || targets.iter().any(|t| parent(t.path) != dir) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the files of a set must be in one directory, locked exclusively",
        ));
    }
    for t in targets {
        check_target(t.path)?;
    }
    for t in targets {
        remove_stale_temps(t.path);
    }
    let mut temps: Vec<PathBuf> = Vec::new();
    let result = (|| {
        for t in targets {
            let tmp = temp_path(t.path)?;
            let mut f = create(&tmp, t.mode).map_err(|e| located(&tmp, e))?;
            temps.push(tmp);
            f.write_all(t.bytes)?;
            f.sync_all()?;
        }
        // Again under the lock: a target may have been replaced since the first check.
        for t in targets {
            check_target(t.path)?;
        }
        for (i, (t, tmp)) in targets.iter().zip(&temps).enumerate() {
            if let Err(e) = fs::rename(tmp, t.path) {
                // The files before `i` are new: their old companions must not stay beside them.
                for later in &targets[i..] {
                    if fs::symlink_metadata(later.path).is_ok_and(|m| m.is_file()) {
                        let _ = fs::remove_file(later.path);
                    }
                }
                return Err(located(t.path, e));
            }
        }
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        for tmp in &temps {
            let _ = fs::remove_file(tmp);
        }
    }
    result
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
