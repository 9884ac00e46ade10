//! `numplan query`'s reading of its arguments and input, and what it echoes; `compile`'s and
//! `diff`'s words for people.

use crate::util::{code, copy_dir, numplan, repo, scratch};
use std::io::Write;
use std::process::{Command, Stdio};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The first column of each TSV answer line (the header skipped).
fn inputs(out: &std::process::Output) -> Vec<String> {
    stdout(out)
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn short_numbers_side_by_side_are_several_numbers() {
    let out = numplan(&["query", "--format", "tsv", "15", "17", "18"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(inputs(&out), ["15", "17", "18"]);
    let out = numplan(&["query", "--format", "tsv", "3176", "3250"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(inputs(&out), ["3176", "3250"]);
    // A group that is no number before one that is: two inputs, not one invalid `12 15`.
    let out = numplan(&["query", "--format", "tsv", "12", "15"]);
    assert_eq!(inputs(&out), ["12", "15"]);
    // Groups that are no number alone still make one.
    let out = numplan(&["query", "--format", "tsv", "01", "62", "12", "34", "56", "15"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(inputs(&out), ["01 62 12 34 56", "15"]);
    // A run that never makes a number is not joined: each group is its own (invalid) input.
    let out = numplan(&["query", "--format", "tsv", "01", "62", "12"]);
    assert_eq!(code(&out), 1);
    assert_eq!(inputs(&out), ["01", "62", "12"]);
    let out = numplan(&["query", "--format", "tsv", "1", "1", "1"]);
    assert_eq!(code(&out), 1);
    assert_eq!(inputs(&out), ["1", "1", "1"]);
    let out = numplan(&["query", "--format", "tsv", "06", "12"]);
    assert_eq!(inputs(&out), ["06", "12"]);
    // A number still forms after a group that stands alone.
    let out = numplan(&["query", "--format", "tsv", "1", "01", "62", "12", "34", "56"]);
    assert_eq!(inputs(&out), ["1", "01 62 12 34 56"]);
}

#[test]
fn at_after_the_numbers_is_the_option() {
    let out = numplan(&[
        "query",
        "--format",
        "json",
        "01",
        "62",
        "12",
        "34",
        "56",
        "--at",
        "2024-01-01",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    assert_eq!(lines[0]["input"], "01 62 12 34 56");
    assert_eq!(lines[0]["at"], "2024-01-01");
}

#[test]
fn a_hundred_thousand_arguments_are_grouped() {
    // Quadratic grouping took minutes here; each argument is now looked up a bounded number of
    // times. The `1`s never make a number: each is an input of its own.
    let ones = vec!["1"; 100_000];
    let mut args = vec!["query", "--format", "tsv"];
    args.extend_from_slice(&ones);
    args.push("15");
    let out = numplan(&args);
    assert_eq!(code(&out), 1);
    let got = inputs(&out);
    assert_eq!(got.len(), 100_001);
    assert!(got[..100_000].iter().all(|g| g == "1"));
    assert_eq!(got[100_000], "15");
}

#[test]
fn control_characters_are_never_echoed() {
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[31m0162\u{9b}";
    for format in ["text", "tsv", "json"] {
        let out = numplan(&["query", "--format", format, evil]);
        assert_eq!(code(&out), 1);
        let text = stdout(&out);
        assert!(
            !text.contains(['\u{1b}', '\u{7}']) && (format == "json" || !text.contains('\u{9b}')),
            "{format}: {text:?}"
        );
        if format != "json" {
            assert!(text.contains("\\u{1b}]0;pwned"), "{format}: {text:?}");
        }
    }
    // From stdin too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{evil}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!stdout(&out).contains('\u{1b}'), "{:?}", stdout(&out));
    // And in error messages on stderr.
    let out = numplan(&["query", "--use", "\u{1b}[2J", "0162123456"]);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains('\u{1b}'), "{:?}", stderr(&out));
}

#[test]
fn an_endless_stdin_line_is_answered_and_reading_goes_on() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "--format", "tsv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // 8 MiB without a line break, then a number.
        let chunk = vec![b'7'; 1 << 16];
        for _ in 0..128 {
            stdin.write_all(&chunk).unwrap();
        }
        stdin.write_all(b"\n15\n").unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.len() < 4096,
        "the long line is not echoed whole: {} bytes",
        text.len()
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("longer than any number is written"),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with("15\ttrue\t"), "{}", lines[2]);
}

#[test]
fn lengths_and_bare_country_codes_are_told_as_they_are() {
    let thousand = "9".repeat(1000);
    let error = |input: &str| {
        let out = numplan(&["query", "--format", "tsv", input]);
        assert_eq!(code(&out), 1);
        let text = stdout(&out);
        text.lines()
            .nth(1)
            .unwrap()
            .rsplit('\t')
            .next()
            .unwrap()
            .to_string()
    };
    assert!(error(&thousand).contains("1000 digits"), "{}", error(&thousand));
    assert_eq!(error("+"), "not a number: no digits after `+`");
    assert_eq!(error("+33"), "not a number: no digits after `+33`");
    assert_eq!(error("0033"), "not a number: no digits after `+33`");
}

#[test]
fn sources_are_relative_to_the_plan_directory() {
    // A plan copied elsewhere, under another directory name.
    let dir = scratch("cli-query-sources");
    copy_dir(&repo("tests/data/valid/mini"), &dir.join("elsewhere"));
    let a = dir.join("m.npa");
    let out = numplan(&[
        "compile",
        dir.join("elsewhere").to_str().unwrap(),
        "-o",
        a.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let q = |format: &str| {
        numplan(&[
            "query",
            "--plan",
            a.to_str().unwrap(),
            "--format",
            format,
            "--at",
            "2024-06-01",
            "0162123456",
        ])
    };
    let json: serde_json::Value = serde_json::from_str(stdout(&q("json")).trim()).unwrap();
    assert_eq!(json["source"], "ranges.yaml:5");
    let text = stdout(&q("text"));
    assert!(!text.contains("plan-sources/"), "{text}");
    assert!(text.contains("  source     ranges.yaml:5\n"), "{text}");
    assert_eq!(
        text.matches("relative to the source directory of plan `mini`")
            .count(),
        1,
        "{text}"
    );
    // Said once, not per answer.
    let out = numplan(&[
        "query",
        "--plan",
        a.to_str().unwrap(),
        "--at",
        "2024-06-01",
        "0162123456",
        "0162123457",
    ]);
    assert_eq!(
        stdout(&out).matches("relative to the source directory").count(),
        1
    );
}

#[test]
fn an_encrypted_key_without_password_names_the_variable() {
    let dir = scratch("cli-encrypted-key");
    // The throwaway encrypted test key of src/minisign.rs's tests (made by `minisign -G`).
    let key = dir.join("enc.key");
    std::fs::write(
        &key,
        "untrusted comment: throwaway encrypted test key (numplan tests)\n\
         RWRTY0Iycl3xBeKCGogXsrXvamqT8g6GdFTNxl/2K5iUxQ/rx1MAAAgAAAAAAAAAAAEAAAAALTjqgBWEflDSNPNe8qvHj4WvcJs3d0Y0gc9G0JjtDvMG71yPlLD9gNwZK1NYatODK66yL+otM2MjjTIQ4BRrDpPTgTKfINWcTRJmks2qzwUXijjWs84q/9dwkwrzv8aJ0zdMzOOE0B8=\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .current_dir(crate::util::root())
        .env_remove("NUMPLAN_KEY_PASSWORD")
        .args(["compile", "tests/data/valid/mini", "-o"])
        .arg(dir.join("a.npa"))
        .arg("--sign")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("NUMPLAN_KEY_PASSWORD"), "{}", stderr(&out));
}

#[test]
fn compile_refuses_an_expiry_in_the_past_unless_asked() {
    let dir = scratch("cli-expired-compile");
    let a = dir.join("a.npa");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "compile",
            "tests/data/valid/mini",
            "-o",
            a.to_str().unwrap(),
            "--expires",
            "2020-01-01",
        ];
        v.extend_from_slice(extra);
        numplan(&v)
    };
    let out = args(&[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--allow-expired"), "{}", stderr(&out));
    assert!(!a.exists());
    assert_eq!(code(&args(&["--allow-expired"])), 0);
    assert!(a.exists());
}

#[test]
fn release_notes_group_digits_and_show_register_dates() {
    let dir = scratch("cli-diff-notes");
    copy_dir(&repo("plan-sources/fr"), &dir);
    std::fs::copy(
        repo("plan-sources/fr/MAJNUM-2025-07-03.csv"),
        dir.join("MAJNUM.csv"),
    )
    .unwrap();
    let out = numplan(&[
        "diff",
        "--format",
        "markdown",
        dir.to_str().unwrap(),
        "plan-sources/fr",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let md = stdout(&out);
    let head: String = md.lines().take(12).collect::<Vec<_>>().join("\n");
    // Each side's register dates beside its version (the plan declares the same dates on both
    // sides: only the file under MAJNUM.csv differs).
    assert!(
        head.contains(
            "Old: version 2026-04-17, register of 2026-04-17 (earlier snapshots: 2025-07-03). \
             New: version 2026-04-17, register of 2026-04-17 (earlier snapshots: 2025-07-03)."
        ),
        "{head}"
    );
    // No count of five digits or more written without grouping, in the summary or the entries.
    for line in md
        .lines()
        .filter(|l| l.contains("numbers") || l.contains("blocks"))
    {
        let counts = line
            .split(|c: char| !c.is_ascii_digit() && c != ',')
            .filter(|w| !w.is_empty() && !w.contains(','));
        for w in counts {
            assert!(w.len() < 4 || line.contains('`'), "ungrouped {w} in {line}");
        }
    }
    assert!(md.contains(','), "{head}");
}

/// An artifact whose time zone this build does not know (an older compiler's, or a crafted one)
/// is answered in UTC with a warning on stderr, once, not silently; with `--at`, no zone is
/// needed and nothing is said.
#[test]
fn an_unknown_time_zone_in_an_artifact_is_said() {
    let mut file = crate::artifact_index::mini();
    let (from, to) = (b"Europe/Paris", b"Europe/Pxris");
    let body = file.len() - 32;
    let mut replaced = 0;
    let mut i = 0;
    while i + from.len() <= body {
        if &file[i..i + from.len()] == from {
            file[i..i + from.len()].copy_from_slice(to);
            replaced += 1;
        }
        i += 1;
    }
    assert!(replaced > 0, "the mini artifact names its time zone");
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&file[..body]);
    file[body..].copy_from_slice(&digest);
    let dir = scratch("query-unknown-zone");
    let path = dir.join("z.npa");
    std::fs::write(&path, &file).unwrap();
    let out = numplan(&[
        "query",
        "--plan",
        path.to_str().unwrap(),
        "0162123456",
        "0163123456",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("warning: time zone `Europe/Pxris`").count(),
        1,
        "{err}"
    );
    assert!(err.contains("UTC"), "{err}");
    let out = numplan(&[
        "query",
        "--plan",
        path.to_str().unwrap(),
        "--at",
        "2024-01-01",
        "0162123456",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// One entry is `1 entry`, in text and in Markdown (it was `1 entries`).
#[test]
fn a_count_of_one_takes_the_singular() {
    let dir = scratch("cli-diff-one-entry");
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let ranges = dir.join("ranges.yaml");
    let text = std::fs::read_to_string(&ranges).unwrap();
    let edited = text.replacen(
        "  - numbers: 0262\n    category: polyvalent\n",
        "  - numbers: 0262\n    category: polyvalent-verifie\n",
        1,
    );
    assert_ne!(edited, text, "mini's 0262 range is polyvalent");
    std::fs::write(&ranges, edited).unwrap();
    for format in ["text", "markdown"] {
        let out = numplan(&[
            "diff",
            "--format",
            format,
            "tests/data/valid/mini",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("1 entry\n"), "{format}: {text}");
        assert!(!text.contains("1 entries"), "{format}: {text}");
    }
}

/// The mini artifact with `from` replaced by `to` (same length) everywhere, digest recomputed:
/// plan text that validation would refuse, as an older compiler or a forger could write it.
fn patched_mini(edits: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut file = crate::artifact_index::mini();
    let body = file.len() - 32;
    for (from, to) in edits {
        assert_eq!(from.len(), to.len());
        let mut found = false;
        for i in 0..=body - from.len() {
            if &file[i..i + from.len()] == *from {
                file[i..i + from.len()].copy_from_slice(to);
                found = true;
            }
        }
        assert!(
            found,
            "{:?} is in the mini artifact",
            String::from_utf8_lossy(from)
        );
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&file[..body]);
    file[body..].copy_from_slice(&digest);
    file
}

/// No raw control or bidirectional character: ESC, BEL, C1 CSI, right-to-left override.
fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
        "{what}: {text:?}"
    );
}

/// Plan text from an artifact (a category name, an operator code, a source file name) reaches
/// the terminal escaped in every format of `query` and `diff`; JSON still means the same text.
#[test]
fn plan_text_from_an_artifact_is_escaped_in_every_output() {
    // "Numéros polyvalents" (20 bytes), the source file "ranges.yaml", the holder "FRTE".
    let evil_name = "Lo\u{1b}]0;PWN\u{7}ng\u{202e}\u{9b}...";
    assert_eq!(evil_name.len(), "Numéros polyvalents".len());
    let file = patched_mini(&[
        ("Numéros polyvalents".as_bytes(), evil_name.as_bytes()),
        (b"ranges.yaml", b"r\x1b]0;X\x07yaml"),
        (b"FRTE", b"\x1b[2J"),
    ]);
    let dir = scratch("query-escape");
    let (good, evil) = (dir.join("good.npa"), dir.join("evil.npa"));
    std::fs::write(&good, crate::artifact_index::mini()).unwrap();
    std::fs::write(&evil, &file).unwrap();
    let evil_path = evil.to_str().unwrap();
    for format in ["text", "tsv", "json"] {
        let out = numplan(&[
            "query",
            "--plan",
            evil_path,
            "--format",
            format,
            "--at",
            "2024-06-01",
            "0162012345",
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = stdout(&out);
        assert_inert(format, &text);
        match format {
            "text" => {
                assert!(text.contains("Lo\\u{1b}]0;PWN\\u{7}ng\\u{202e}\\u{9b}"), "{text}");
                assert!(text.contains("source     r\\u{1b}]0;X\\u{7}yaml"), "{text}");
                assert!(text.contains("\\u{1b}[2J"), "{text}");
            }
            "tsv" => assert!(text.contains("\t\\u{1b}[2J\t"), "{text}"),
            _ => {
                let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
                let name = v["category_name"].as_str().unwrap();
                assert!(name.starts_with(evil_name), "{text}");
            }
        }
    }
    // With `--use`, the reasons and their sources.
    let out = numplan(&[
        "query",
        "--plan",
        evil_path,
        "--use",
        "voice",
        "--at",
        "2024-06-01",
        "0162012345",
    ]);
    assert_inert("--use", &stdout(&out));
    for format in ["text", "markdown", "json"] {
        let out = numplan(&["diff", "--format", format, good.to_str().unwrap(), evil_path]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let text = stdout(&out);
        assert_inert(format, &text);
        if format != "json" {
            assert!(text.contains("\\u{1b}[2J"), "{format}: {text}");
        }
    }
    // The input's own right-to-left override is echoed escaped too.
    let out = numplan(&["query", "--format", "text", "0162\u{202e}012345"]);
    assert_inert("echo", &stdout(&out));
}

/// A line break or tab inside plan text from an artifact or register (a category name, an
/// operator's name) is escaped in `query`'s text and TSV and in `diff`'s text and Markdown: it
/// cannot forge a `voice allowed` line nor shift a column. Only the layout's own are raw. DEL is
/// escaped in every JSON output, as serde_json leaves it raw.
#[test]
fn line_breaks_and_tabs_inside_values_cannot_forge_lines() {
    // "Numéros polyvalents" (20 bytes), the holder "FRTE", its name "Orange".
    let forged = "V\n  voice allowed  X";
    assert_eq!(forged.len(), "Numéros polyvalents".len());
    let file = patched_mini(&[
        ("Numéros polyvalents".as_bytes(), forged.as_bytes()),
        (b"FRTE", b"F\tTE"),
        (b"Orange", b"Or\x7fn\tg"),
    ]);
    let dir = scratch("query-line-breaks");
    let (good, evil) = (dir.join("good.npa"), dir.join("evil.npa"));
    std::fs::write(&good, crate::artifact_index::mini()).unwrap();
    std::fs::write(&evil, &file).unwrap();
    let evil_path = evil.to_str().unwrap();
    let query = |extra: &[&str]| {
        let mut args = vec!["query", "--plan", evil_path, "--at", "2024-06-01"];
        args.extend_from_slice(extra);
        args.push("0162012345");
        let out = numplan(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let text = query(&["--format", "text"]);
    assert!(!text.contains('\t'), "{text}");
    assert!(
        text.contains("  category   V\\u{a}  voice allowed  X vérifiés (polyvalent-verifie)\n"),
        "{text}"
    );
    assert!(text.contains("F\\u{9}TE Or\\u{7f}n\\u{9}g,"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("  voice allowed")),
        "a forged line: {text}"
    );
    let tsv = query(&["--format", "tsv"]);
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 2, "{tsv}");
    assert_eq!(
        lines[1].matches('\t').count(),
        lines[0].matches('\t').count(),
        "{tsv}"
    );
    assert!(lines[1].contains("\tF\\u{9}TE\t"), "{tsv}");
    let json = query(&["--format", "json"]);
    assert!(!json.contains('\u{7f}'), "{json:?}");
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["category_name"], format!("{forged} vérifiés"));
    assert_eq!(v["holder"]["name"], "Or\u{7f}n\tg");
    for format in ["text", "markdown", "json"] {
        let out = numplan(&["diff", "--format", format, good.to_str().unwrap(), evil_path]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains(['\t', '\u{7f}']), "{format}: {text:?}");
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("voice allowed")),
            "{format}: {text}"
        );
    }
}
