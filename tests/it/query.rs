//! `numplan query` on the real French plan: the cases enforcers ask about, every input form, and
//! operators checked against the register itself.

use crate::util::{code, numplan, repo, scratch};
use std::io::Write;
use std::process::{Command, Stdio};

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The reason of a verdict that states the category's own rule for the use.
fn rule_reason(v: &serde_json::Value, use_id: &str) -> serde_json::Value {
    v["verdicts"][use_id]["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("no verdict for {use_id}: {v}"))
        .iter()
        .find(|r| r["outcome"] == "rule")
        .cloned()
        .unwrap_or_else(|| panic!("no rule reason for {use_id}: {v}"))
}

/// One number on one date, as JSON.
fn ask(number: &str, at: &str) -> serde_json::Value {
    let out = numplan(&["query", "--format", "json", "--at", at, number]);
    let mut v = json_lines(&out);
    assert_eq!(v.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    v.remove(0)
}

#[test]
fn npv_ranges_with_their_country_codes() {
    for n in [
        "0162123456",
        "0163123456",
        "0270123456",
        "0271123456",
        "0377123456",
        "0378123456",
        "0424123456",
        "0425123456",
        "0568123456",
        "0569123456",
        "0948123456",
        "0949123456",
    ] {
        let v = ask(n, "2026-11-28");
        assert_eq!(v["category"], "polyvalent-verifie", "{n}: {v}");
        assert_eq!(v["territory"], "metropole", "{n}");
        assert_eq!(
            rule_reason(&v, "automated-voice")["basis"],
            "2022-1583 annexe 1, §2.3.7",
            "{n}"
        );
        assert_eq!(v["e164"], format!("+33{}", &n[1..]), "{n}");
    }
    // The five overseas NPV ranges ring under their own country codes.
    for (n, territory, cc) in [
        ("0947512345", "guadeloupe", 590),
        ("0947612345", "guyane", 594),
        ("0947712345", "martinique", 596),
        ("0947812345", "mayotte", 262),
        ("0947912345", "reunion", 262),
    ] {
        let v = ask(n, "2026-11-28");
        assert_eq!(v["category"], "polyvalent-verifie", "{n}");
        assert_eq!(v["territory"], territory, "{n}");
        assert_eq!(v["country_code"], cc, "{n}");
        assert_eq!(v["e164"], format!("+{cc}{}", &n[1..]), "{n}");
        assert_eq!(
            rule_reason(&v, "automated-voice")["basis"],
            "2022-1583 annexe 1, §2.3.7",
            "{n}"
        );
        // Written internationally under its own code, it is the same number; under +33 it is not.
        let intl = ask(&format!("+{cc} {}", &n[1..]), "2026-11-28");
        assert_eq!(intl["national"], n);
        assert_eq!(intl["valid"], true);
        let wrong = ask(&format!("+33 {}", &n[1..]), "2026-11-28");
        assert_eq!(wrong["valid"], false, "{n} under +33");
        assert!(
            wrong["error"].as_str().unwrap().contains(&format!("+{cc}")),
            "{wrong}"
        );
    }
}

#[test]
fn history_0162_became_npv_on_2023_01_01() {
    let before = ask("01 62 12 34 56", "2022-12-31");
    assert_eq!(before["category"], "polyvalent");
    let after = ask("01 62 12 34 56", "2023-01-01");
    assert_eq!(after["category"], "polyvalent-verifie");
    assert_eq!(after["at"], "2023-01-01");
}

#[test]
fn mobiles_lose_automated_caller_id_on_2023_01_01() {
    let before = ask("0612345678", "2022-12-31");
    assert_eq!(before["category"], "mobile");
    assert_eq!(before["verdicts"]["automated-voice"]["verdict"], "allowed");
    assert!(
        rule_reason(&before, "automated-voice")["text"]
            .as_str()
            .unwrap()
            .ends_with("from 2021-04-08 until 2023-01-01"),
        "{before}"
    );
    let after = ask("0612345678", "2023-01-01");
    assert_eq!(after["verdicts"]["automated-voice"]["verdict"], "forbidden");
    assert_eq!(
        rule_reason(&after, "automated-voice")["basis"],
        "2022-1583 annexe 1, §2.3.2 f et §2.3.4 f"
    );
    // A person's call from a mobile number is conditional on its own mobile access.
    assert_eq!(after["verdicts"]["voice"]["verdict"], "conditional", "{after}");
    assert_eq!(
        ask("0751234567", "2026-11-28")["verdicts"]["automated-voice"]["verdict"],
        "forbidden"
    );
    // 071 and 072 are not mobile ranges of the plan (mobiles are 06 and 073–079).
    assert_eq!(ask("0712345678", "2026-11-28")["valid"], false);
}

#[test]
fn special_numbers() {
    let v = ask("0899123456", "2026-11-28");
    assert_eq!(v["verdicts"]["voice"]["verdict"], "forbidden", "{v}");
    assert_eq!(v["rules"]["tariff"], "majore");
    let v = ask("0800123456", "2026-11-28");
    assert_eq!(v["category"], "special-gratuit");
    assert_eq!(v["rules"]["tariff"], "gratuit");
}

#[test]
fn m2m_numbers_have_14_digits() {
    let v = ask("07 00 00 00 00 00 00", "2026-11-28");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["category"], "mobile-etendu");
    let v = ask("0700000000", "2026-11-28");
    assert_eq!(v["valid"], false);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("too short for its range"),
        "{v}"
    );
}

#[test]
fn emergency_and_short_numbers() {
    for n in [
        "15", "17", "18", "112", "114", "115", "119", "191", "196", "197", "116000", "116117",
    ] {
        let v = ask(n, "2026-11-28");
        assert_eq!(v["category"], "urgence", "{n}: {v}");
        assert_eq!(v["e164"], serde_json::Value::Null, "{n}");
        assert_eq!(v["verdicts"]["voice"]["verdict"], "forbidden", "{n}");
    }
    assert_eq!(ask("3000", "2026-11-28")["category"], "court-gratuit");
    assert_eq!(ask("118712", "2026-11-28")["category"], "court-renseignements");
    assert_eq!(ask("1014", "2026-11-28")["category"], "court-operateur");
}

#[test]
fn every_input_form() {
    let forms = [
        "0162123456",
        "01 62 12 34 56",
        "01.62.12.34.56",
        "+33 1 62 12 34 56",
        "+33 (0)1 62 12 34 56",
        "0033162123456",
        "33162123456",
    ];
    for f in forms {
        let v = ask(f, "2026-11-28");
        assert_eq!(v["input"], f);
        assert_eq!(v["national"], "0162123456", "{f}");
        assert_eq!(v["e164"], "+33162123456", "{f}");
    }
    let v = ask("0262 12 34 56", "2026-11-28");
    assert_eq!(v["e164"], "+262262123456");
    assert_eq!(v["territory"], "reunion");
    let v = ask("+590 590 12 34 56", "2026-11-28");
    assert_eq!(v["national"], "0590123456");
    assert_eq!(v["territory"], "guadeloupe");
    // Typed without quotes, the groups of one number are one number.
    let out = numplan(&["query", "--format", "json", "01", "62", "12", "34", "56"]);
    assert_eq!(code(&out), 0);
    let v = json_lines(&out);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["national"], "0162123456");
    // ... while separate numbers stay separate.
    let out = numplan(&["query", "--format", "json", "15", "17", "0162123456"]);
    assert_eq!(json_lines(&out).len(), 3);
}

/// The register rows, split by hand from the latin-1 bytes.
fn register_rows() -> Vec<Vec<String>> {
    let bytes = std::fs::read(repo("plan-sources/fr/MAJNUM.csv")).unwrap();
    let text: String = bytes.iter().map(|&b| b as char).collect();
    text.lines()
        .skip(1)
        .map(|l| l.split(';').map(|f| f.trim_matches('"').to_string()).collect())
        .collect()
}

#[test]
fn operators_of_200_register_numbers_match_the_register() {
    let rows = register_rows();
    // A deterministic spread over the register: every (len / 200)-th row, a number inside it.
    let step = rows.len() / 200;
    let mut input = String::new();
    let mut expected = Vec::new();
    for (i, r) in rows.iter().step_by(step).take(200).enumerate() {
        let (first, last) = (&r[1], &r[2]);
        // A number inside [first, last]: the ends share the block prefix and differ only in the
        // padding (0s against 9s), so any mix of their digits lies between them.
        let number: String = first
            .chars()
            .zip(last.chars())
            .enumerate()
            .map(|(k, (a, b))| if (i + k) % 2 == 0 { a } else { b })
            .collect();
        assert!(number.as_str() >= first.as_str() && number.as_str() <= last.as_str());
        input.push_str(&number);
        input.push('\n');
        expected.push((number, r[3].clone()));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "--format", "json", "--at", "2026-04-17", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let answers = json_lines(&out);
    assert_eq!(answers.len(), 200);
    for ((number, mnemo), v) in expected.iter().zip(&answers) {
        assert_eq!(v["input"], number.as_str());
        assert_eq!(v["valid"], true, "{number}: {v}");
        assert_eq!(v["holder"]["code"], mnemo.as_str(), "{number}");
        assert_eq!(v["allocated"], true, "{number}");
    }
}

#[test]
fn use_verdicts_and_exit_codes() {
    // 016212 is FREE's block since 2023-01-01, 094806 ADVA's since 2023-01-01 (MAJNUM).
    let out = numplan(&[
        "query",
        "--use",
        "automated-voice",
        "--at",
        "2026-11-28",
        "0162123456",
        "0948061234",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0162123456: automated-voice allowed on 2026-11-28"),
        "{text}"
    );
    assert!(text.contains("[2022-1583 annexe 1, §2.3.7]"), "{text}");

    let out = numplan(&[
        "query",
        "--rule",
        "automated-voice",
        "--at",
        "2026-11-28",
        "--format",
        "json",
        "0162123456",
        "0612345678",
    ]);
    assert_eq!(code(&out), 1, "`--rule` is the old name of `--use`");
    let v = json_lines(&out);
    assert_eq!(v[0]["verdicts"]["automated-voice"]["verdict"], "allowed");
    assert_eq!(v[1]["verdicts"]["automated-voice"]["verdict"], "forbidden");

    // An invalid number cannot be a caller ID.
    let out = numplan(&["query", "--use", "voice", "--format", "tsv", "0700000000"]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\tvoice\tforbidden\tnot a valid number of the plan"),
        "{text}"
    );

    // A rule is not a use: a usage error that says so, not a verdict.
    let out = numplan(&["query", "--use", "tariff", "0800123456"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("`tariff` is a rule of the plan, not a use"));
    assert_eq!(
        code(&numplan(&["query", "--use", "no-such-use", "0162123456"])),
        2
    );
    // An unknown context key or value is a usage error naming the choices.
    let out = numplan(&["query", "--context", "from-abroad=maybe", "0162123456"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("its values are: yes, no"));
    assert_eq!(
        code(&numplan(&["query", "--context", "nonsense", "0162123456"])),
        2
    );
}

#[test]
fn streams_answer_every_line_in_order_even_garbage() {
    let mut input = Vec::new();
    input.extend_from_slice(b"0162123456\n");
    input.extend_from_slice(b"not a number\n");
    input.extend_from_slice(&[0xff, 0xfe, b'\n']); // not UTF-8
    input.extend_from_slice(b"\n"); // blank lines are skipped
    input.extend_from_slice(b"+33 6 12 34 56 78\r\n");
    input.extend_from_slice(&b"9".repeat(10_000)); // a very long line, no final newline
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "--format", "tsv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1, "some inputs are invalid");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(
        lines[0],
        "input\tvalid\te164\tnational\tcategory\tterritory\tallocated\tvoice\tsms\tautomated-voice\tautomated-sms\tholder\terror"
    );
    assert!(lines[1].starts_with("0162123456\ttrue\t+33162123456\t"));
    assert!(lines[2].starts_with("not a number\tfalse\t"));
    assert!(lines[3].contains("\tfalse\t"));
    assert!(lines[4].starts_with("+33 6 12 34 56 78\ttrue\t+33612345678\t0612345678\tmobile\tmetropole"));
    // An over-long line is answered as invalid, echoed cut short, and reading goes on.
    assert!(
        lines[5].starts_with(&format!("{}…\tfalse\t", "9".repeat(32))),
        "{}",
        lines[5]
    );
    assert!(
        lines[5].ends_with("longer than any number is written (1024)"),
        "{}",
        lines[5]
    );
    assert!(
        lines.iter().all(|l| l.split('\t').count() == 13),
        "every line has the 13 columns: {text}"
    );
}

#[test]
fn all_valid_exits_0_and_a_foreign_artifact_exits_3() {
    assert_eq!(code(&numplan(&["query", "0162123456", "15"])), 0);
    let dir = scratch("query-bad-artifact");
    let bad = dir.join("bad.npa");
    std::fs::write(&bad, b"not an artifact").unwrap();
    let out = numplan(&["query", "--plan", bad.to_str().unwrap(), "0162123456"]);
    assert_eq!(code(&out), 3, "not an intact artifact: the exit code of verify");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a numplan artifact"));
}

#[test]
fn a_signed_artifact_is_verified_before_use() {
    let dir = scratch("query-signed");
    let key = dir.join("k");
    assert_eq!(code(&numplan(&["keygen", "-o", key.to_str().unwrap()])), 0);
    let a = dir.join("fr.npa");
    let out = numplan(&[
        "compile",
        "plan-sources/fr",
        "-o",
        a.to_str().unwrap(),
        "--sign",
        dir.join("k.key").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0);
    let query_with = |public: &str| {
        let public = dir.join(public);
        numplan(&[
            "query",
            "--plan",
            a.to_str().unwrap(),
            "--pub",
            public.to_str().unwrap(),
            "0162123456",
        ])
    };
    assert_eq!(code(&query_with("k.pub")), 0);
    // Another key: refused before any answer.
    let other = dir.join("other");
    assert_eq!(code(&numplan(&["keygen", "-o", other.to_str().unwrap()])), 0);
    let out = query_with("other.pub");
    assert_eq!(code(&out), 4, "a bad signature: the exit code of verify");
    assert!(out.stdout.is_empty());
}
