//! What the CLI reads and writes, against hostile file systems: plan files that are symlinks,
//! FIFOs or devices; endless inputs; targets that are not regular files; concurrent writers of one
//! artifact and its signature; stale temporary files.

use crate::util::{code, copy_dir, numplan, repo, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A copy of the mini plan in a fresh directory.
fn mini(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir.join("plan"));
    dir
}

/// Runs numplan with no stdin, failing the test (instead of hanging) if it has not exited after
/// a minute: a blocked read is what some of these tests look for.
fn numplan_bounded(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .current_dir(crate::util::root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("numplan {args:?} blocked");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn a_plan_file_that_is_a_symlink_is_refused_unread() {
    let dir = mini("cli-io-symlink");
    let plan = dir.join("plan");
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "ranges: CI_SECRET_TOKEN=hunter2\n").unwrap();
    std::fs::remove_file(plan.join("ranges.yaml")).unwrap();
    std::os::unix::fs::symlink(&secret, plan.join("ranges.yaml")).unwrap();
    let out = numplan(&["check", "--color", "never", s(&plan)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(!err.contains("hunter2"), "the linked file was printed: {err}");
    assert!(err.contains("symbolic link"), "{err}");
    // Located at the `files:` entry that names it.
    assert!(err.contains("plan.yaml:34:12"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_file_under_a_directory_symlink_is_refused() {
    let dir = mini("cli-io-dir-symlink");
    let plan = dir.join("plan");
    let outside = dir.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::rename(plan.join("ranges.yaml"), outside.join("ranges.yaml")).unwrap();
    std::os::unix::fs::symlink(&outside, plan.join("sub")).unwrap();
    let manifest = std::fs::read_to_string(plan.join("plan.yaml")).unwrap();
    let manifest = manifest.replace("ranges: [ranges.yaml]", "ranges: [sub/ranges.yaml]");
    std::fs::write(plan.join("plan.yaml"), manifest).unwrap();
    let out = numplan(&["check", "--color", "never", s(&plan)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("sub/ranges.yaml: it is a symbolic link"), "{err}");
}

#[cfg(unix)]
#[test]
fn plan_yaml_that_is_a_symlink_is_refused() {
    let dir = mini("cli-io-manifest-symlink");
    let plan = dir.join("plan");
    std::fs::rename(plan.join("plan.yaml"), dir.join("real.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("real.yaml"), plan.join("plan.yaml")).unwrap();
    let out = numplan(&["check", "--color", "never", s(&plan)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    let out = numplan(&["compile", s(&plan), "-o", s(&dir.join("x.npa"))]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!dir.join("x.npa").exists());
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_in_a_plan_do_not_block_and_are_refused() {
    let dir = mini("cli-io-fifo");
    let plan = dir.join("plan");
    std::fs::remove_file(plan.join("ranges.yaml")).unwrap();
    mkfifo(&plan.join("ranges.yaml"));
    let out = numplan_bounded(&["check", "--color", "never", s(&plan)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("ranges.yaml: it is a FIFO, not a regular file"),
        "{err}"
    );

    std::fs::remove_file(plan.join("ranges.yaml")).unwrap();
    std::fs::create_dir(plan.join("ranges.yaml")).unwrap();
    let out = numplan_bounded(&["check", "--color", "never", s(&plan)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("a directory"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn endless_and_special_inputs_are_refused_before_reading() {
    let dir = mini("cli-io-endless");
    let out = numplan(&["compile", s(&dir.join("plan")), "-o", s(&dir.join("a.npa"))]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let (a, k, public) = (dir.join("a.npa"), dir.join("k.key"), dir.join("k.pub"));
    let (plan, b) = (dir.join("plan"), dir.join("b.npa"));
    let a_sig = dir.join("a.npa.minisig");
    std::fs::write(&a_sig, b"untrusted comment: x\n").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["query", "--plan", "/dev/zero", "0162123456"],
        vec!["query", "--plan", s(&fifo), "0162123456"],
        vec!["query", "--plan", s(&a), "--pub", "/dev/zero", "0162123456"],
        vec![
            "query",
            "--plan",
            s(&a),
            "--pub",
            s(&public),
            "--sig",
            "/dev/zero",
            "0162123456",
        ],
        vec!["verify", "--pub", "/dev/zero", s(&a)],
        vec!["verify", "--pub", s(&public), "--sig", "/dev/zero", s(&a)],
        vec!["verify", "--pub", s(&public), "--sig", s(&a_sig), "/dev/zero"],
        vec!["sign", "--key", "/dev/zero", s(&a)],
        vec!["sign", "--key", s(&k), "/dev/zero"],
        vec!["compile", s(&plan), "-o", s(&b), "--sign", "/dev/zero"],
        vec!["diff", "/dev/zero", s(&a)],
    ];
    for args in cases {
        let out = numplan_bounded(&args);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
    // Over the caps, told from the size alone (sparse files: nothing is read).
    let big = dir.join("big.npa");
    std::fs::File::create(&big).unwrap().set_len(300 << 20).unwrap();
    let out = numplan(&["query", "--plan", s(&big), "0162123456"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("larger than the limit of 256 MiB"),
        "{}",
        stderr(&out)
    );
    let big_key = dir.join("big.pub");
    std::fs::File::create(&big_key).unwrap().set_len(1 << 20).unwrap();
    let out = numplan(&["verify", "--pub", s(&big_key), s(&a)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("larger than the limit of 64 KiB"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn targets_that_are_not_regular_files_are_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = mini("cli-io-targets");
    let plan = dir.join("plan");
    let fifo = dir.join("out.npa");
    mkfifo(&fifo);
    let out = numplan_bounded(&["compile", s(&plan), "-o", s(&fifo)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

    // A symlink target is not followed nor replaced.
    let real = dir.join("real.npa");
    std::fs::write(&real, b"keep").unwrap();
    let link = dir.join("link.npa");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = numplan(&["compile", s(&plan), "-o", s(&link)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), b"keep");

    // keygen --force over a FIFO, sign over a directory.
    mkfifo(&dir.join("k2.key"));
    let out = numplan_bounded(&["keygen", "--force", "-o", s(&dir.join("k2"))]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(dir.join("k2.key"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(!dir.join("k2.pub").exists(), "nothing of the pair was written");
    assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
    let a = dir.join("a.npa");
    assert_eq!(code(&numplan(&["compile", s(&plan), "-o", s(&a)])), 0);
    std::fs::create_dir(dir.join("a.npa.minisig")).unwrap();
    let out = numplan(&["sign", "--key", s(&dir.join("k.key")), s(&a)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(dir.join("a.npa.minisig").is_dir());
}

#[test]
fn a_signature_that_cannot_be_written_leaves_the_old_pair() {
    let dir = mini("cli-io-pair-failure");
    let plan = dir.join("plan");
    assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
    let a = dir.join("a.npa");
    let compile = |sequence: &str| {
        numplan(&[
            "compile",
            s(&plan),
            "-o",
            s(&a),
            "--sign",
            s(&dir.join("k.key")),
            "--sequence",
            sequence,
        ])
    };
    assert_eq!(code(&compile("1")), 0);
    let old = std::fs::read(&a).unwrap();
    // The signature's place is taken by a directory: the new artifact must not be written.
    let sig = dir.join("a.npa.minisig");
    std::fs::rename(&sig, dir.join("old.minisig")).unwrap();
    std::fs::create_dir(&sig).unwrap();
    let out = compile("2");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(std::fs::read(&a).unwrap(), old, "the old artifact is kept");
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn concurrent_signed_compiles_leave_a_matching_pair() {
    let dir = mini("cli-io-concurrent");
    let plan = dir.join("plan");
    assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
    let a = dir.join("same.npa");
    let (key, public) = (dir.join("k.key"), dir.join("k.pub"));
    assert_eq!(
        code(&numplan(&["compile", s(&plan), "-o", s(&a), "--sign", s(&key)])),
        0
    );
    // An end-to-end stress run of the binaries; it may pass by luck without the lock (the old
    // code mixed the pair in about one round in five). The deterministic test, which fails
    // without the lock, is `fsutil::tests::concurrent_writers_of_a_pair_take_turns`.
    for round in 0..6 {
        // Writers (compile, sign) and readers (verify, query --pub) of the pair at once.
        let handles: Vec<_> = (0..16u32)
            .map(|i| {
                let (plan, a, key, public) = (plan.clone(), a.clone(), key.clone(), public.clone());
                std::thread::spawn(move || {
                    // Each compile a different artifact (its own sequence), so a mixed pair shows.
                    let sequence = (round * 100 + i).to_string();
                    let args: Vec<&str> = match i {
                        0..12 => vec![
                            "compile",
                            s(&plan),
                            "-o",
                            s(&a),
                            "--sign",
                            s(&key),
                            "--sequence",
                            &sequence,
                        ],
                        12 | 13 => vec!["verify", "--pub", s(&public), s(&a)],
                        _ => vec![
                            "query",
                            "--plan",
                            s(&a),
                            "--pub",
                            s(&public),
                            "--at",
                            "2024-06-01",
                            "0162123456",
                        ],
                    };
                    let out = numplan(&args);
                    (args.join(" "), out)
                })
            })
            .collect();
        for h in handles {
            let (args, out) = h.join().unwrap();
            assert_eq!(code(&out), 0, "round {round}: {args}: {}", stderr(&out));
        }
        assert_eq!(code(&numplan(&["sign", "--key", s(&key), s(&a)])), 0);
        let out = numplan(&["verify", "--pub", s(&public), s(&a)]);
        assert_eq!(code(&out), 0, "round {round}: {}", stderr(&out));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_files_of_dead_runs_are_removed() {
    let dir = mini("cli-io-stale");
    let plan = dir.join("plan");
    // No process has this id (Linux pids stop at 2^22); the test's own process is alive.
    let dead = dir.join(".a.npa.tmp.999999999.0");
    let alive = dir.join(format!(".a.npa.tmp.{}.0", std::process::id()));
    let other = dir.join(".b.npa.tmp.999999999.0");
    for f in [&dead, &alive, &other] {
        std::fs::write(f, b"half-written").unwrap();
    }
    let out = numplan(&["compile", s(&plan), "-o", s(&dir.join("a.npa"))]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!dead.exists(), "a dead run's temporary file is removed");
    assert!(alive.exists(), "a live process's temporary file is kept");
    assert!(other.exists(), "another file's temporary files are not touched");
}

#[cfg(unix)]
#[test]
fn a_directory_as_stdin_is_a_read_error() {
    let dir = scratch("cli-io-stdin-dir");
    let out = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "-"])
        .stdin(std::fs::File::open(&dir).unwrap())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("cannot read standard input"), "{err}");
}

#[cfg(unix)]
#[test]
fn an_artifact_given_through_a_symlink_is_read() {
    // Paths given on the command line are the user's: a link to an artifact is fine (only plan
    // files must not be links).
    let dir = mini("cli-io-artifact-link");
    let a = dir.join("a.npa");
    assert_eq!(code(&numplan(&["compile", s(&dir.join("plan")), "-o", s(&a)])), 0);
    std::os::unix::fs::symlink(&a, dir.join("link.npa")).unwrap();
    let out = numplan(&[
        "query",
        "--plan",
        s(&dir.join("link.npa")),
        "--at",
        "2024-06-01",
        "0162123456",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
