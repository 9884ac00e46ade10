//! The Canadian plan (`plan-sources/ca`, compiled in `generated/ca.npa`) answered against its
//! sources: CNAC's three CO Code Status snapshots, read here with the `csv` crate (not numplan's
//! reader), and the facts of the reference notes on the Canadian plan (CNA's mandate page, CRTC
//! 2018-484 and 2022-234), written into the tests by hand.

use crate::util::{code, numplan, repo};
use numplan::artifact::{Artifact, LookupError, VerifyOptions};
use numplan::date::Date;
use numplan::plan::Verdict;
use std::collections::HashMap;

/// One row of a CO Code Status file, by column name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    status: String,
    company: String,
    ocn: String,
    remarks: String,
}

/// A snapshot: its date row and its rows by `NPA‖NXX`, read with the csv crate.
fn snapshot(name: &str) -> (String, HashMap<String, Row>) {
    let path = repo(&format!("plan-sources/ca/{name}"));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&path)
        .expect("a CSV file");
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (npa, nxx, status, company, ocn, remarks) = (
        col("NPA"),
        col("CO Code (NXX)"),
        col("Status"),
        col("Company"),
        col("OCN"),
        col("Remarks"),
    );
    let mut rows = HashMap::new();
    let mut date = String::new();
    for rec in reader.records() {
        let rec = rec.expect("a record");
        if rec[npa].is_empty() {
            date = rec[rec.len() - 1].to_string();
            continue;
        }
        rows.insert(
            format!("{}{}", &rec[npa], &rec[nxx]),
            Row {
                status: rec[status].to_string(),
                company: rec[company].to_string(),
                ocn: rec[ocn].to_string(),
                remarks: rec[remarks].to_string(),
            },
        );
    }
    (date, rows)
}

fn ca() -> Vec<u8> {
    std::fs::read(repo("generated/ca.npa")).expect("generated/ca.npa")
}

fn day(s: &str) -> Date {
    Date::parse(s).expect("a date")
}

/// Every `step`-th code (sorted) of a snapshot whose status is `status`.
fn codes_with<'r>(rows: &'r HashMap<String, Row>, status: &str, step: usize) -> Vec<(&'r String, &'r Row)> {
    let mut v: Vec<_> = rows.iter().filter(|(_, r)| r.status == status).collect();
    v.sort();
    v.into_iter().step_by(step).collect()
}

#[test]
fn check_is_clean() {
    let out = numplan(&[
        "check",
        "--deny-warnings",
        repo("plan-sources/ca").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn in_service_codes_answer_their_ocn_and_company() {
    let (date, rows) = snapshot("COCodeStatus-2024-10-10.csv");
    assert_eq!(date, "2024-10-10");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    a.verify(&VerifyOptions::default()).unwrap();
    let sample = codes_with(&rows, "In Service", 97);
    assert!(sample.len() > 250, "{}", sample.len());
    for (code, row) in sample {
        let number = format!("{}-{}-4321", &code[..3], &code[3..]);
        let found = a
            .lookup(&number, day("2024-10-10"))
            .unwrap_or_else(|e| panic!("{number}: {e}"));
        let holder = found
            .answer
            .holder()
            .unwrap_or_else(|| panic!("{number}: no holder"));
        assert_eq!(holder.code, row.ocn, "{number}");
        assert_eq!(holder.name, Some(row.company.as_str()), "{number}");
        assert_eq!(holder.block, *code, "{number}");
        assert_eq!(found.answer.status(), Some("In Service"), "{number}");
        assert_eq!(found.e164().unwrap(), format!("+1{}4321", code));
    }
}

#[test]
fn available_special_and_not_available_codes_have_no_holder() {
    let (_, rows) = snapshot("COCodeStatus-2024-10-10.csv");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    let voice = a.use_row("voice").expect("the plan rules on a person's call");
    let on = day("2024-10-10");
    let mut checked = 0;
    for status in ["Available", "Not Available", "For Special Use"] {
        for (code, row) in codes_with(&rows, status, 11) {
            if ONTARIO_QUEBEC.contains(&&code[..3]) && &code[3..] == "976" {
                // Bell's pay-per-call (below): no holder in the register, yet maybe live.
                continue;
            }
            let number = format!("{code}0000");
            let found = a.lookup(&number, on).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert!(!found.answer.is_allocated(), "{number}");
            assert!(found.answer.holder().is_none(), "{number}");
            let shown = found.answer.register_row().expect("a register row");
            assert_eq!(shown.status, Some(row.status.as_str()), "{number}");
            assert_eq!(shown.remarks.unwrap_or(""), row.remarks, "{number}");
            // No carrier holds the code, so the caller ID belongs to no one: after 2019-12-19
            // (2018-484) it is not presentable (the reference's reading, with its doubt).
            let ruling = found.answer.ruling(voice, &Default::default());
            assert_eq!(
                ruling.verdict,
                Verdict::Forbidden,
                "{number}: {:?}",
                ruling.reason()
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

/// The area codes of Ontario and Quebec (reference notes §3, from the register's complexes).
const ONTARIO_QUEBEC: [&str; 31] = [
    "226", "382", "519", "548", "249", "683", "705", "289", "365", "742", "905", "343", "613", "753", "416",
    "437", "647", "942", "807", "263", "438", "514", "354", "450", "579", "367", "418", "581", "468", "819",
    "873",
];

/// CRTC: "976 service is also a pay-per-call service, which is provided only by Bell Canada in
/// Ontario and Quebec"; the register names no holder for NXX 976. In those provinces a 976
/// number may be a live premium number: not barred as unassigned, and the answer carries the
/// doubt. Elsewhere no 976 service is known: a code without a holder like any other.
#[test]
fn pay_per_call_976_is_not_barred_as_unassigned_in_ontario_and_quebec() {
    let (_, rows) = snapshot("COCodeStatus-2024-10-10.csv");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    let voice = a.use_row("voice").unwrap();
    let on = day("2025-06-01"); // after the relief dates of 942 and 257
    for npa in rows
        .keys()
        .map(|k| &k[..3])
        .collect::<std::collections::BTreeSet<_>>()
    {
        assert_eq!(
            rows[&format!("{npa}976")].ocn,
            "",
            "{npa}-976 has no holder in the register"
        );
        let number = format!("{npa}9761234");
        let found = a.lookup(&number, on).unwrap_or_else(|e| panic!("{number}: {e}"));
        let verdict = found.answer.verdict(voice, &Default::default());
        if ONTARIO_QUEBEC.contains(&npa) {
            assert_ne!(verdict, Verdict::Forbidden, "{number}");
            assert!(
                !found.answer.doubts().is_empty()
                    || !found.answer.ruling(voice, &Default::default()).doubts.is_empty(),
                "{number}: a doubt"
            );
        } else {
            assert_eq!(verdict, Verdict::Forbidden, "{number}");
        }
    }
}

#[test]
fn every_555_code_is_universal_information_with_no_holder() {
    let (_, rows) = snapshot("COCodeStatus-2024-10-10.csv");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    let npas: std::collections::BTreeSet<&str> = rows.keys().map(|k| &k[..3]).collect();
    assert_eq!(npas.len(), 55, "55 geographic area codes");
    for npa in npas {
        let row = &rows[&format!("{npa}555")];
        assert_eq!(
            (row.status.as_str(), row.remarks.as_str()),
            ("For Special Use", "Universal Information")
        );
        let number = format!("({npa}) 555-0123");
        let found = a
            .lookup(&number, day("2024-10-10"))
            .unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(found.answer.status(), Some("For Special Use"), "{number}");
        assert!(!found.answer.is_allocated(), "{number}");
    }
}

#[test]
fn n11_and_988_are_three_digit_codes_988_from_2023_11_30() {
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    // CNA's N11 page: 211, 311, 411, 511, 611, 711, 811, 911.
    for n in ["211", "311", "411", "511", "611", "711", "811", "911"] {
        let found = a
            .lookup(n, day("2024-10-10"))
            .unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(found.e164(), None, "{n}: a short code has no international form");
        assert!(matches!(
            a.lookup(&format!("+1 {n}"), day("2024-10-10")),
            Err(LookupError::NoInternationalForm { .. })
        ));
    }
    // CRTC 2022-234: 9-8-8 live on 30 November 2023.
    assert!(matches!(
        a.lookup("988", day("2023-11-29")),
        Err(LookupError::NotInForce { .. } | LookupError::UnknownPrefix { .. })
    ));
    let found = a.lookup("988", day("2023-11-30")).expect("988 on 2023-11-30");
    assert_eq!(found.national.as_str(), "988");
    assert_eq!(found.e164(), None);
}

#[test]
fn a_us_area_code_is_not_canadian() {
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    for n in ["212 555 0123", "+1 212 555 0123", "1-212-555-0123"] {
        let err = a.lookup(n, day("2024-10-10")).unwrap_err();
        assert!(
            matches!(
                err,
                LookupError::OtherPlan {
                    country_code: Some(1),
                    ..
                }
            ),
            "{n}: {err}"
        );
        assert!(err.is_other_plan());
    }
    // Not this plan's to judge: no verdict, rather than a wrong "forbidden".
    let voice = a.use_row("voice").unwrap();
    let err = a.lookup("212 555 0123", day("2024-10-10")).unwrap_err();
    assert_eq!(
        a.verdict_for_invalid(&err, voice, day("2024-10-10"), &Default::default()),
        Verdict::Unknown
    );
}

#[test]
fn malformed_and_unassigned_caller_ids_are_forbidden_from_2019_12_19() {
    let (_, rows) = snapshot("COCodeStatus-2024-10-10.csv");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    let voice = a.use_row("voice").unwrap();
    let ctx = Default::default();
    // 2018-484: caller IDs that do not conform to the numbering plan (000-000-0000, an NXX
    // starting with 0 or 1, a wrong length) are blocked from 2019-12-19; nothing was mandated
    // before, so the plan does not say "allowed" then.
    for n in [
        "000-000-0000",
        "613-011-1234",
        "613-155-1234",
        "613 555 01234",
        "61355501",
    ] {
        let err = a.lookup(n, day("2020-01-01")).unwrap_err();
        assert!(!err.is_other_plan(), "{n}");
        assert_eq!(
            a.verdict_for_invalid(&err, voice, day("2019-12-19"), &ctx),
            Verdict::Forbidden,
            "{n}"
        );
        assert_ne!(
            a.verdict_for_invalid(&err, voice, day("2019-12-18"), &ctx),
            Verdict::Allowed,
            "{n}"
        );
        assert_ne!(
            a.verdict_for_invalid(&err, voice, day("2019-12-18"), &ctx),
            Verdict::Forbidden,
            "{n}"
        );
    }
    // A well-formed number in a code no carrier holds (Available in the register).
    let (code, _) = codes_with(&rows, "Available", 1)[0];
    let number = format!("{code}1234");
    let after = a.lookup(&number, day("2024-10-10")).unwrap();
    assert_eq!(after.answer.verdict(voice, &ctx), Verdict::Forbidden, "{number}");
    let before = a.lookup(&number, day("2019-12-18")).unwrap();
    assert_ne!(
        before.answer.verdict(voice, &ctx),
        Verdict::Forbidden,
        "{number} before 2019-12-19"
    );
}

#[test]
fn the_register_of_the_day_answers_between_snapshots() {
    let (_, old) = snapshot("COCodeStatus-2023-08-04.csv");
    let (_, new) = snapshot("COCodeStatus-2024-01-25.csv");
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    // Codes Available on 2023-08-04 and held by a carrier on 2024-01-25.
    let mut moved: Vec<(&String, &Row)> = new
        .iter()
        .filter(|(k, r)| !r.ocn.is_empty() && old[*k].status == "Available")
        .collect();
    moved.sort();
    assert!(moved.len() > 300, "{}", moved.len());
    for (code, row) in moved.into_iter().step_by(37) {
        let number = format!("{code}5555");
        let between = a.lookup(&number, day("2023-12-01")).unwrap();
        assert_eq!(
            between.answer.status(),
            Some("Available"),
            "{number} on 2023-12-01"
        );
        assert!(!between.answer.is_allocated(), "{number}");
        // It may have been assigned before the snapshot that shows it: the answer says so.
        assert!(
            between
                .answer
                .doubts()
                .iter()
                .any(|d| d.text.contains("2024-01-25")),
            "{number}: {:?}",
            between.answer.doubts()
        );
        let after = a.lookup(&number, day("2024-01-25")).unwrap();
        assert_eq!(
            after.answer.holder().map(|h| h.code),
            Some(row.ocn.as_str()),
            "{number}"
        );
    }
}

#[test]
fn every_written_form_of_a_number_is_the_same_number() {
    let bytes = ca();
    let a = Artifact::open(&bytes).unwrap();
    let e164: Vec<Option<String>> = [
        "613 555 0123",
        "(613) 555-0123",
        "1-613-555-0123",
        "+1 613 555 0123",
        "011 1 613 555 0123",
        "16135550123",
    ]
    .iter()
    .map(|n| {
        a.lookup(n, day("2024-10-10"))
            .unwrap_or_else(|e| panic!("{n}: {e}"))
            .e164()
    })
    .collect();
    assert!(
        e164.iter().all(|e| e.as_deref() == Some("+16135550123")),
        "{e164:?}"
    );
    // Dialled from Canada, a French number is another plan's.
    let err = a.lookup("011 33 1 62 12 34 56", day("2024-10-10")).unwrap_err();
    assert!(err.is_other_plan(), "{err}");
}

/// The Canadian plan with one snapshot as its only register, compiled.
fn plan_with_register(snapshot: &str) -> Vec<u8> {
    let dir = crate::util::scratch(&format!("ca-register-{snapshot}"));
    crate::util::copy_dir(&repo("plan-sources/ca"), &dir);
    let manifest = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    let start = manifest
        .find("    blocks: [COCodeStatus-")
        .expect("the register's blocks");
    let history = manifest[start..].find("    history:").expect("the history") + start;
    let mut text = manifest[..start].to_string();
    text.push_str(&format!("    blocks: [COCodeStatus-{snapshot}.csv]\n"));
    // The history and what follows it (nothing but the history's items) goes.
    let rest = &manifest[history..];
    let end = rest
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("      "))
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + rest.lines().next().map_or(0, |l| l.len() + 1);
    text.push_str(&rest[end..]);
    std::fs::write(dir.join("plan.yaml"), text).unwrap();
    let checked = numplan::validate::check_dir(&dir);
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{snapshot}: {:?}", checked.diagnostics));
    assert!(plan.history().is_empty());
    numplan::artifact::compile(&plan, &Default::default()).unwrap()
}

/// One line of a derived change list (`tests/data/cnac/`): a code's status and OCN before and
/// after, and its company names.
struct Derived {
    status: (String, String),
    company: (String, String),
    ocn: (String, String),
}

fn derived(name: &str) -> HashMap<String, Derived> {
    let mut reader = csv::Reader::from_path(repo(&format!("tests/data/cnac/{name}"))).unwrap();
    let mut out = HashMap::new();
    for rec in reader.records() {
        let r = rec.unwrap();
        out.insert(
            format!("{}{}", &r[0], &r[1]),
            Derived {
                status: (r[2].to_string(), r[3].to_string()),
                company: (r[4].to_string(), r[5].to_string()),
                ocn: (r[6].to_string(), r[7].to_string()),
            },
        );
    }
    out
}

/// The codes a diff says changed status, and those it says changed holder (allocated,
/// withdrawn, transferred), and those it says were transferred.
fn diff_codes(old: &[u8], new: &[u8]) -> [std::collections::BTreeSet<String>; 3] {
    use numplan::diff::Item;
    let (old, new) = (Artifact::open(old).unwrap(), Artifact::open(new).unwrap());
    let d = numplan::diff::diff(&old, &new);
    let mut out: [std::collections::BTreeSet<String>; 3] = Default::default();
    for c in &d.changes {
        for item in &c.items {
            match item {
                Item::Status { blocks, .. } => out[0].extend(blocks.iter().cloned()),
                Item::Allocated { blocks, .. } | Item::Withdrawn { blocks, .. } => {
                    out[1].extend(blocks.iter().cloned())
                }
                Item::Transferred { blocks, .. } => {
                    out[1].extend(blocks.iter().cloned());
                    out[2].extend(blocks.iter().cloned());
                }
                Item::Plan { .. } => panic!("the plan is the same on both sides: {c:?}"),
                _ => {}
            }
        }
    }
    out
}

/// The derived lists give each code's status and OCN before and after; the diff's codes are
/// exactly those whose status, and whose OCN, differ. A company renamed under the same OCN
/// (Allstream → Zayo, ISP Telecom → ISP Telecom Inc.) is no transfer.
#[test]
fn the_diff_of_two_snapshots_is_the_derived_change_lists() {
    let first = derived("changes-2023-08-04_to_2024-01-25.csv");
    let second = derived("changes-2024-01-25_to_2024-10-10.csv");
    let a = plan_with_register("2023-08-04");
    let b = plan_with_register("2024-01-25");
    let c = plan_with_register("2024-10-10");
    let expect = |list: &HashMap<String, Derived>| {
        let pick = |f: &dyn Fn(&Derived) -> bool| -> std::collections::BTreeSet<String> {
            list.iter()
                .filter(|(_, d)| f(d))
                .map(|(k, _)| k.clone())
                .collect()
        };
        [
            pick(&|d| d.status.0 != d.status.1),
            pick(&|d| d.ocn.0 != d.ocn.1),
            pick(&|d| d.ocn.0 != d.ocn.1 && !d.ocn.0.is_empty() && !d.ocn.1.is_empty()),
        ]
    };
    for (old, new, list) in [(&a, &b, &first), (&b, &c, &second)] {
        let found = diff_codes(old, new);
        let want = expect(list);
        for k in 0..3 {
            assert!(
                !want[k].is_empty(),
                "kind {k}: the lists have changes of each kind"
            );
            assert_eq!(found[k].len(), want[k].len(), "kind {k}");
            assert_eq!(found[k], want[k], "kind {k}");
        }
    }
    // 2023-08-04 → 2024-10-10 directly: each code's first state and last state, chained
    // through the two lists.
    let mut chained: HashMap<String, Derived> = HashMap::new();
    for (code, d) in &first {
        let last = second.get(code);
        chained.insert(
            code.clone(),
            Derived {
                status: (
                    d.status.0.clone(),
                    last.map_or(&d.status.1, |l| &l.status.1).clone(),
                ),
                company: (
                    d.company.0.clone(),
                    last.map_or(&d.company.1, |l| &l.company.1).clone(),
                ),
                ocn: (d.ocn.0.clone(), last.map_or(&d.ocn.1, |l| &l.ocn.1).clone()),
            },
        );
    }
    for (code, d) in &second {
        chained.entry(code.clone()).or_insert(Derived {
            status: d.status.clone(),
            company: d.company.clone(),
            ocn: d.ocn.clone(),
        });
    }
    let found = diff_codes(&a, &c);
    let want = expect(&chained);
    assert_eq!(found, want);
    // Renames: same OCN, another company name, and no transfer reported.
    let renamed: Vec<&String> = chained
        .iter()
        .filter(|(_, d)| d.ocn.0 == d.ocn.1 && !d.ocn.0.is_empty() && d.company.0 != d.company.1)
        .map(|(k, _)| k)
        .collect();
    assert!(renamed.len() > 900, "{}", renamed.len());
    assert!(renamed.iter().all(|k| !found[2].contains(*k)));
}

/// No French constant outside the reader of Arcep's files (`src/register.rs`): no country code
/// 33, no trunk prefix `"0"`, no MAJNUM in the library's or the CLI's code (comments and test
/// modules aside). Every plan's dialling, codes and register format come from its data.
#[test]
fn the_code_holds_no_french_constant() {
    let mut found = Vec::new();
    for (path, text) in crate::util::rust_sources() {
        if path.ends_with("src/register.rs") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if code.starts_with("//") {
                continue;
            }
            let code = code.split(" // ").next().unwrap_or(code);
            let mut bad = Vec::new();
            for (i, part) in code.split('"').enumerate() {
                if i % 2 == 1 {
                    if part == "0" {
                        bad.push("the trunk prefix \"0\"");
                    }
                    if part.to_ascii_uppercase().contains("MAJNUM") {
                        bad.push("MAJNUM");
                    }
                } else if part
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .any(|w| w == "33" || w == "33u32" || w == "33u16")
                {
                    bad.push("the country code 33");
                }
            }
            for b in bad {
                found.push(format!("{}:{}: {b}: {line}", path.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "French constants in the code:\n{}",
        found.join("\n")
    );
}

/// Another country's number is not this plan's to judge; a malformed international form is
/// malformed in any plan: `+0…` (no country code starts with 0), nothing after the prefix, or
/// fewer digits than any E.164 number has. In the French plan and the Canadian one alike.
#[test]
fn malformed_international_forms_are_not_another_plans_numbers() {
    let ca_bytes = ca();
    let ca = Artifact::open(&ca_bytes).unwrap();
    let fr = numplan::embedded::fr().unwrap();
    let on = day("2024-10-10");
    let ctx = Default::default();
    let judge = |a: &Artifact<'_>, n: &str| {
        let voice = a.use_row("voice").unwrap();
        match a.lookup(n, on) {
            Ok(found) => panic!("{n} is no valid number: {:?}", found.e164()),
            Err(e) => a.verdict_for_invalid(&e, voice, on, &ctx),
        }
    };
    for n in [
        "0000000000",
        "00 00 00 00 00",
        "+0000000000",
        "00",
        "000",
        "+3",
        "+9",
    ] {
        assert_eq!(judge(&fr, n), Verdict::Forbidden, "fr: {n}");
    }
    for n in ["011", "011 0 613 555 0123", "+0 613 555 0123", "+4"] {
        assert_eq!(judge(&ca, n), Verdict::Forbidden, "ca: {n}");
    }
    for n in ["+44 20 7946 0000", "0044 20 7946 0000"] {
        assert_eq!(judge(&fr, n), Verdict::Unknown, "fr: {n}");
    }
    for n in ["011 44 20 7946 0000", "+44 20 7946 0000", "011 33 1 62 12 34 56"] {
        assert_eq!(judge(&ca, n), Verdict::Unknown, "ca: {n}");
    }
    // A 16-digit international number exceeds E.164's 15 (2018-484 names "exceeds 15 digits").
    assert_eq!(judge(&ca, "011 44 2079 4600 0000 12"), Verdict::Forbidden);
    // Reserved area codes are in service nowhere: non-conforming, not another plan's.
    let voice = ca.use_row("voice").unwrap();
    for n in ["999 555 1234", "370 555 1234", "960 555 1234", "387 555 1234"] {
        let found = ca
            .lookup(n, on)
            .unwrap_or_else(|e| panic!("{n}: in the plan as an area code in service nowhere: {e}"));
        assert_eq!(found.answer.verdict(voice, &ctx), Verdict::Forbidden, "{n}");
    }
}
