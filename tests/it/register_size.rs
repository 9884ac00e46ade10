//! The register size limit as an option (`--max-register-size`), and a plan whose register
//! comes in as text read row by row (validation keeps no row of it): its blocks are the register's
//! rows, as an independent reading of the CSV gives them.

use crate::util::{code, copy_dir, numplan, repo, scratch};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The mini plan, its register padded with blank lines (blank lines are skipped) to `size`
/// bytes at least.
fn mini_with_register_of(name: &str, extra_lines: usize) -> (std::path::PathBuf, u64) {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let path = dir.join("MAJNUM.csv");
    let mut register = std::fs::read(&path).unwrap();
    register.extend(std::iter::repeat_n(b'\n', extra_lines));
    std::fs::write(&path, &register).unwrap();
    (dir, register.len() as u64)
}

#[test]
fn a_register_over_max_register_size_is_refused_and_the_option_lets_it_through() {
    let (dir, size) = mini_with_register_of("register-size", 5000);
    let dir_s = dir.to_str().unwrap();
    let out_path = dir.with_extension("npa");
    let out_s = out_path.to_str().unwrap();
    // Outside the scratch directory: left by an earlier run.
    let _ = std::fs::remove_file(&out_path);

    // One byte under the file's size: refused unread, located at its name in plan.yaml, naming
    // the limit and the option.
    let under = (size - 1).to_string();
    for args in [
        vec!["check", "--color", "never", "--max-register-size", &under, dir_s],
        vec![
            "compile",
            "--color",
            "never",
            "--max-register-size",
            &under,
            dir_s,
            "-o",
            out_s,
        ],
    ] {
        let out = numplan(&args);
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{args:?}: {err}");
        assert!(err.contains("error[E0002]"), "{err}");
        assert!(err.contains("MAJNUM.csv"), "{err}");
        assert!(
            err.contains(&format!("larger than the limit of {} bytes", size - 1)),
            "{err}"
        );
        assert!(err.contains("plan.yaml:"), "located in plan.yaml: {err}");
        assert!(err.contains("--max-register-size"), "{err}");
    }
    assert!(!out_path.exists(), "nothing written");

    // The file's own size: read, and the plan is valid (exit 0).
    let exact = size.to_string();
    let out = numplan(&["check", "--max-register-size", &exact, dir_s]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = numplan(&["compile", "--max-register-size", &exact, dir_s, "-o", out_s]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // With a unit: 1 KiB is under the file's size, 1 MiB over it.
    assert!(size > 1024 && size < 1 << 20, "{size}");
    let out = numplan(&["check", "--max-register-size", "1KiB", dir_s]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than the limit of 1024 bytes"),
        "{}",
        stderr(&out)
    );
    let out = numplan(&["check", "--max-register-size", "1MiB", dir_s]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The default (64 MiB) reads it.
    let out = numplan(&["check", dir_s]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_bad_max_register_size_is_a_usage_error() {
    let dir = repo("tests/data/valid/mini");
    for bad in [
        "0",
        "-1",
        "12 parsecs",
        "",
        "99999999999999999999",
        "18446744073709551615",
        "2TiB",
    ] {
        let out = numplan(&["check", "--max-register-size", bad, dir.to_str().unwrap()]);
        assert_eq!(code(&out), 2, "{bad:?}: {}", stderr(&out));
    }
    // The largest accepted limit reads the plan as the default does.
    let out = numplan(&["check", "--max-register-size", "1TiB", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// The mini plan in `dir` with 2,000 more blocks in its MAJNUM.csv (latin-1, as Arcep writes
/// it): a register whose reading is shown as progress on a terminal.
fn with_a_longer_register(dir: &std::path::Path) {
    copy_dir(&repo("tests/data/valid/mini"), dir);
    let path = dir.join("MAJNUM.csv");
    let mut register = std::fs::read(&path).unwrap();
    for i in 0..2_000 {
        register.extend(
            format!("0153{i:04};0153{i:04}00;0153{i:04}99;FRTE;M\u{e9}tropole;01/01/2024\n")
                .chars()
                .map(|c| c as u8),
        );
    }
    std::fs::write(&path, register).unwrap();
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), `check` shows the register
/// being read; the same run piped shows nothing (the test below).
#[test]
fn check_shows_progress_on_a_terminal() {
    let dir = scratch("progress-tty");
    with_a_longer_register(&dir);
    let command = format!("{} check {}", env!("CARGO_BIN_EXE_numplan"), dir.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NUMPLAN_PROGRESS_AFTER_MS", "0")
        .output()
        .expect("util-linux `script` runs (Debian's bsdutils)");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("checking the register [") && shown.contains("KiB"),
        "{shown:?}"
    );
}

#[test]
fn piped_check_and_compile_write_no_progress() {
    // A register large enough that reading it is shown as progress on a terminal when it
    // takes long (NUMPLAN_PROGRESS_AFTER_MS=0: at once); piped, stderr stays empty.
    let dir = scratch("progress-piped");
    with_a_longer_register(&dir);
    let out_path = dir.with_extension("npa");
    for args in [
        vec!["check", dir.to_str().unwrap()],
        vec!["compile", dir.to_str().unwrap(), "-o", out_path.to_str().unwrap()],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_numplan"))
            .args(&args)
            .env("NUMPLAN_PROGRESS_AFTER_MS", "0")
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}: nothing on a pipe");
    }
}
