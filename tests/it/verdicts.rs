//! Verdicts that depend on the register over time, and on a plan that is not French.
//!
//! Expectations come from the sources: the two register snapshots are read in the test (July 2025
//! and April 2026), and the mini plan in other words is written in `tests/data/valid/mini-other`.

use crate::util::{code, numplan, repo, scratch};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// A register file's rows: prefix → (first number, Mnémo, allocation date as YYYY-MM-DD), read
/// independently of numplan (latin-1 bytes, `;`, quotes trimmed).
fn register(path: &str) -> BTreeMap<String, (String, String, String)> {
    let bytes = std::fs::read(repo(path)).unwrap();
    let text: String = bytes.iter().map(|&b| b as char).collect();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.trim_end_matches('\r').split(';').collect();
            let d: Vec<&str> = f[5].split('/').collect();
            let iso = format!("{}-{}-{}", d[2], d[1], d[0]);
            (f[0].to_string(), (f[1].to_string(), f[3].to_string(), iso))
        })
        .collect()
}

/// Whether any prefix of `set` is a prefix of `p`, or extends it.
fn overlaps(set: &BTreeMap<String, (String, String, String)>, p: &str) -> bool {
    (1..=p.len()).any(|n| set.contains_key(&p[..n]))
        || set
            .range(p.to_string()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(p))
}

/// Answers for many numbers on one day, as JSON values, in order.
fn ask_all(plan: Option<&str>, at: &str, numbers: &[String], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["query", "--format", "json", "--at", at];
    if let Some(p) = plan {
        args.extend(["--plan", p]);
    }
    args.extend(extra);
    args.push("-");
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = numbers.iter().map(|n| format!("{n}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), numbers.len());
    answers
}

/// The day before an ISO date.
fn day_before(iso: &str) -> String {
    let d = numplan::date::Date::parse(iso).unwrap();
    numplan::date::Date::from_days(d.to_days() - 1)
        .unwrap()
        .to_string()
}

const JULY: &str = "plan-sources/fr/MAJNUM-2025-07-03.csv";
const APRIL: &str = "plan-sources/fr/MAJNUM.csv";

#[test]
fn a_block_withdrawn_between_snapshots_is_allocated_then_and_not_now() {
    let (july, april) = (register(JULY), register(APRIL));
    // Blocks of July whose numbers no April block covers at all.
    let withdrawn: Vec<(&String, &(String, String, String))> =
        july.iter().filter(|(p, _)| !overlaps(&april, p)).collect();
    assert!(withdrawn.len() > 50, "the snapshots differ: {}", withdrawn.len());
    let sample: Vec<_> = withdrawn.iter().step_by(withdrawn.len() / 40).collect();
    let numbers: Vec<String> = sample.iter().map(|(_, (first, _, _))| first.clone()).collect();
    let then = ask_all(None, "2025-07-03", &numbers, &[]);
    let between = ask_all(None, "2025-12-01", &numbers, &[]);
    let now = ask_all(None, "2026-04-17", &numbers, &[]);
    for (i, (prefix, (_, mnemo, _))) in sample.iter().enumerate() {
        assert_eq!(then[i]["allocated"], true, "{prefix} on 2025-07-03: {}", then[i]);
        assert_eq!(then[i]["holder"]["code"], mnemo.as_str(), "{prefix}");
        assert_eq!(then[i]["holder"]["block"], prefix.as_str(), "{prefix}");
        // Between the two snapshots the July one is in force, with the doubt that the block is
        // gone by April.
        assert_eq!(between[i]["allocated"], true, "{prefix} on 2025-12-01");
        let doubts = between[i]["verdicts"]["voice"]["doubts"].to_string();
        assert!(
            doubts.contains("no longer in that of 2026-04-17") && doubts.contains("may have lost it"),
            "{prefix}: {doubts}"
        );
        // On the day of the snapshot that lists it, there is nothing to doubt.
        let listed = then[i]["verdicts"]["voice"]["doubts"].to_string();
        assert!(!listed.contains("may have lost it"), "{prefix}: {listed}");
        assert_eq!(now[i]["allocated"], false, "{prefix} on 2026-04-17: {}", now[i]);
        for use_id in ["voice", "sms", "automated-voice", "automated-sms"] {
            let v = &now[i]["verdicts"][use_id];
            assert_eq!(v["verdict"], "forbidden", "{prefix} {use_id}");
            let reason = v["reason"].as_str().unwrap();
            assert!(
                reason.starts_with("not allocated on 2026-04-17"),
                "{prefix}: {reason}"
            );
            assert!(
                reason.contains("is not in the register of 2026-04-17"),
                "{prefix}: {reason}"
            );
        }
    }
}

#[test]
fn a_transferred_block_names_the_old_holder_then_and_the_new_one_now() {
    let (july, april) = (register(JULY), register(APRIL));
    let moved: Vec<(&String, &String, &(String, String, String))> = july
        .iter()
        .filter_map(|(p, (_, old, _))| april.get(p).filter(|(_, new, _)| new != old).map(|n| (p, old, n)))
        .collect();
    assert!(moved.len() > 50, "{}", moved.len());
    let numbers: Vec<String> = moved.iter().map(|(_, _, (first, _, _))| first.clone()).collect();
    let then = ask_all(None, "2025-07-03", &numbers, &[]);
    let now = ask_all(None, "2026-04-17", &numbers, &[]);
    for (i, (prefix, old, (_, new, _))) in moved.iter().enumerate() {
        assert_eq!(then[i]["holder"]["code"], old.as_str(), "{prefix} then");
        assert_eq!(now[i]["holder"]["code"], new.as_str(), "{prefix} now");
    }
    // The transfer takes effect on the new holder's allocation date (all after July 2025): the
    // old holder the day before, the new one that day.
    for (prefix, old, (first, new, date)) in moved.iter().take(25) {
        let before = ask_all(None, &day_before(date), std::slice::from_ref(first), &[]);
        let on = ask_all(None, date, std::slice::from_ref(first), &[]);
        assert_eq!(
            before[0]["holder"]["code"],
            old.as_str(),
            "{prefix} before {date}"
        );
        assert_eq!(on[0]["holder"]["code"], new.as_str(), "{prefix} on {date}");
    }
}

#[test]
fn a_number_is_not_allocated_before_its_blocks_allocation_date() {
    let (july, april) = (register(JULY), register(APRIL));
    // Blocks allocated after the caller-ID conditions (2019-08-01) that no other snapshot
    // contradicts: the same row in July, or a new block July has nothing of.
    let blocks: Vec<(&String, &(String, String, String))> = april
        .iter()
        .filter(|(p, (_, m, d))| {
            d.as_str() > "2019-08-01"
                && match july.get(*p) {
                    Some((_, jm, jd)) => jm == m && jd == d,
                    None => !overlaps(&july, p),
                }
        })
        .collect();
    assert!(blocks.len() > 500, "{}", blocks.len());
    for (prefix, (first, mnemo, date)) in blocks.iter().step_by(blocks.len() / 30) {
        let before = ask_all(None, &day_before(date), std::slice::from_ref(first), &[]);
        let on = ask_all(None, date, std::slice::from_ref(first), &[]);
        assert_eq!(
            before[0]["allocated"], false,
            "{prefix} before {date}: {}",
            before[0]
        );
        let reason = before[0]["verdicts"]["voice"]["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("block {prefix} was allocated to {mnemo} on {date}")),
            "{prefix}: {reason}"
        );
        assert_eq!(before[0]["verdicts"]["voice"]["verdict"], "forbidden");
        assert_eq!(on[0]["allocated"], true, "{prefix} on {date}");
        assert_eq!(on[0]["holder"]["code"], mnemo.as_str(), "{prefix} on {date}");
        assert_eq!(on[0]["holder"]["allocated"], date.as_str(), "{prefix}");
    }
}

/// Compiles the plan in other words into a scratch artifact.
fn other_plan() -> String {
    let dir = scratch("mini-other");
    let out = dir.join("testland.npa");
    let c = numplan(&[
        "compile",
        "tests/data/valid/mini-other",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&c), 0, "{}", String::from_utf8_lossy(&c.stderr));
    out.to_str().unwrap().to_string()
}

#[test]
fn a_plan_in_other_words_gets_its_own_verdicts_and_no_french_word() {
    let plan = other_plan();
    // Blocks (tests/data/valid/mini-other/blocks.csv): 021 TEL1 since 2015-02-01, 0712 MOB1 since
    // 2021-02-01, 111 TEL1. 031… is in the plan (landline) but in no block.
    let numbers: Vec<String> = [
        "021234567",
        "071234567",
        "031234567",
        "111",
        "+42 21 234 567",
        "not a number",
    ]
    .map(String::from)
    .to_vec();
    let v = ask_all(Some(&plan), "2024-06-01", &numbers, &[]);
    let verdict = |i: usize, u: &str| v[i]["verdicts"][u]["verdict"].as_str().unwrap().to_string();
    assert_eq!(verdict(0, "call"), "allowed");
    assert_eq!(verdict(0, "bulk"), "forbidden");
    assert_eq!(v[0]["verdicts"]["bulk"]["basis"], "TA-2020 s. 14(2)");
    assert_eq!(v[0]["holder"]["code"], "TEL1");
    // A mobile number for a call: conditional on its own line, which the context settles.
    assert_eq!(verdict(1, "call"), "conditional");
    assert_eq!(verdict(1, "bulk"), "forbidden");
    assert_eq!(verdict(2, "call"), "forbidden");
    assert!(
        v[2]["verdicts"]["call"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not allocated")
    );
    assert_eq!(verdict(3, "call"), "forbidden");
    assert_eq!(
        v[3]["verdicts"]["call"]["doubts"][0]["text"],
        "The Act does not name service numbers; read from its section 15."
    );
    assert_eq!(v[4]["e164"], "+4221234567");
    assert_eq!(verdict(5, "call"), "forbidden");
    assert_eq!(v[5]["verdicts"]["call"]["basis"], "TA-2020 s. 12(1)");
    // Before the Act, the plan says nothing.
    let early = ask_all(Some(&plan), "2019-06-01", &numbers[..1], &[]);
    assert_eq!(early[0]["verdicts"]["call"]["verdict"], "unknown");
    let y = ask_all(
        Some(&plan),
        "2024-06-01",
        &numbers[1..2],
        &["--context", "on-own-line=yes"],
    );
    assert_eq!(y[0]["verdicts"]["call"]["verdict"], "allowed");
    let n = ask_all(
        Some(&plan),
        "2024-06-01",
        &numbers[1..2],
        &["--context", "on-own-line=no"],
    );
    assert_eq!(n[0]["verdicts"]["call"]["verdict"], "forbidden");
    assert!(
        n[0]["verdicts"]["call"]["reason"]
            .as_str()
            .unwrap()
            .contains("own line")
    );
    // Before the landline ban of 2022-06-01, bulk diallers could present landline numbers.
    let old = ask_all(Some(&plan), "2021-06-01", &numbers[..1], &[]);
    assert_eq!(old[0]["verdicts"]["bulk"]["verdict"], "allowed");

    // Every output form, and the usage errors, without a word of the French plan.
    let mut everything = String::new();
    for format in ["text", "json", "tsv"] {
        for extra in [
            &[][..],
            &["--use", "call"][..],
            &["--use", "bulk", "--context", "on-own-line=no"][..],
        ] {
            let mut args = vec!["query", "--plan", &plan, "--at", "2024-06-01", "--format", format];
            args.extend(extra);
            args.extend(["021234567", "071234567", "031234567", "111", "099"]);
            let out = numplan(&args);
            everything.push_str(&String::from_utf8_lossy(&out.stdout));
            everything.push_str(&String::from_utf8_lossy(&out.stderr));
        }
    }
    for wrong in [
        &["--use", "automated-voice"][..],
        &["--context", "from-abroad=yes"][..],
    ] {
        let mut args = vec!["query", "--plan", &plan];
        args.extend(wrong);
        args.push("021234567");
        let out = numplan(&args);
        assert_eq!(code(&out), 2);
        everything.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(everything.contains("bulk"), "the outputs were read: {everything}");
    let lower = everything.to_lowercase();
    for french in ["2018-0881", "cli", "arcep", "polyvalent", "métropole"] {
        assert!(
            !lower.contains(french),
            "`{french}` in the output of a plan that never says it:\n{everything}"
        );
    }
}

/// Whether `ident` stands in `text` as a whole identifier (not inside a longer one).
fn has_identifier(text: &str, ident: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(ident).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + ident.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// The library and the CLI hold no policy of the French plan: none of the identifiers that plan
/// declares (uses, rules, categories, documents, conditions, context keys) is written in the
/// code outside comments, so a plan for another country with other uses works unchanged.
#[test]
fn the_code_holds_no_identifier_of_the_french_plan() {
    let checked = numplan::validate::check_dir(&repo("plan-sources/fr"));
    let plan = checked.plan.expect("the French plan is valid");
    let mut idents: Vec<String> = Vec::new();
    idents.extend(plan.uses().iter().map(|u| u.id.clone()));
    idents.extend(plan.rules().iter().map(|r| r.id.clone()));
    idents.extend(plan.categories().iter().map(|c| c.id.clone()));
    idents.extend(plan.documents().iter().map(|d| d.id.clone()));
    idents.extend(plan.conditions().iter().map(|c| c.id.clone()));
    idents.extend(plan.context().iter().map(|k| k.id.clone()));
    idents.extend(["cli", "cli-automated", "cli-sms", "Arcep"].map(String::from));
    assert!(idents.len() > 40, "{idents:?}");
    let mut found = Vec::new();
    for (path, text) in crate::util::rust_sources() {
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // The string literals of the line.
            for (i, literal) in code.split('"').enumerate() {
                if i % 2 == 1 {
                    for ident in idents.iter().filter(|id| has_identifier(literal, id)) {
                        found.push(format!(
                            "{}:{}: `{ident}` in \"{literal}\"",
                            path.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "French policy in the code:\n{}",
        found.join("\n")
    );
}

/// The fast verdict (memoised per category, use and day) is always the ruling's verdict: for
/// numbers all over the plan, days that change between questions (so memo entries are replaced),
/// with and without context.
#[test]
fn fast_verdicts_agree_with_rulings() {
    use numplan::artifact::Artifact;
    use numplan::date::Date;
    let plan = Artifact::open(numplan::embedded::FR).unwrap();
    let days: Vec<Date> = [
        "2019-07-31",
        "2020-06-01",
        "2021-02-01",
        "2022-06-01",
        "2023-01-01",
        "2025-01-01",
        "2026-11-30",
    ]
    .iter()
    .map(|d| Date::parse(d).unwrap())
    .collect();
    let contexts = [
        plan.context(&[]).unwrap(),
        plan.context(&[("own-mobile-access", "no")]).unwrap(),
        plan.context(&[("automated-exception", "yes"), ("authenticated", "yes")])
            .unwrap(),
    ];
    let uses: Vec<u32> = (0..plan.uses().count() as u32).collect();
    assert_eq!(uses.len(), 4);
    let mut next = super::util::xorshift(0x9e37_79b9_7f4a_7c15);
    let mut seen = std::collections::BTreeSet::new();
    let mut checked = 0;
    for _ in 0..20_000 {
        let first = ["01", "02", "06", "07", "08", "09", "03", "04"][(next() % 8) as usize];
        let number: String = first
            .chars()
            .chain((0..8).map(|_| char::from(b'0' + (next() % 10) as u8)))
            .collect();
        let day = days[(next() % days.len() as u64) as usize];
        let Ok(found) = plan.lookup(&number, day) else {
            continue;
        };
        for ctx in &contexts {
            for &u in &uses {
                let fast = found.answer.verdict(u, ctx);
                let full = found.answer.ruling(u, ctx);
                assert_eq!(
                    fast,
                    full.verdict,
                    "{number} on {day}, use {u}, {ctx:?}: {:?}",
                    full.reason()
                );
                seen.insert(fast);
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
    assert_eq!(seen.len(), 4, "every verdict value was met: {seen:?}");
}

/// Authentication and masking, read from the reference (§1.4, §6.3): unauthenticated calls placed
/// in France are cut from 2024-10-01, those showing a mobile number only "a few weeks later"
/// (certainly by 2025-01-01, a doubt in between); from 2026-01-01 a call from abroad showing an
/// unauthenticated French mobile number is routed with the number masked, not cut.
#[test]
fn authentication_cut_off_and_masking_follow_their_dates() {
    let april = register(APRIL);
    // A metropolitan 01 block and a 06 block allocated long before, the same in both snapshots.
    let pick = |p: &str| {
        april
            .iter()
            .find(|(k, (_, _, d))| k.starts_with(p) && k.len() == 4 && d.as_str() < "2019-01-01")
            .map(|(_, (first, _, _))| first.clone())
            .unwrap_or_else(|| panic!("a {p} block"))
    };
    let (fixed, mobile) = (pick("014"), pick("061"));
    let ask = |n: &str, at: &str, ctx: &[&str]| -> serde_json::Value {
        let mut extra = Vec::new();
        for c in ctx {
            extra.extend(["--context", c]);
        }
        ask_all(None, at, &[n.to_string()], &extra).remove(0)
    };
    let voice = |v: &serde_json::Value| {
        (
            v["verdicts"]["voice"]["verdict"].as_str().unwrap().to_string(),
            v["verdicts"]["voice"]["reason"].as_str().unwrap().to_string(),
        )
    };
    let domestic = ["from-abroad=no", "authenticated=no", "own-mobile-access=yes"];
    assert_eq!(voice(&ask(&fixed, "2024-09-30", &domestic)).0, "allowed");
    let (v, reason) = voice(&ask(&fixed, "2024-10-01", &domestic));
    assert_eq!(v, "forbidden");
    assert!(reason.contains("not authenticated"), "{reason}");
    // Authenticated: allowed.
    assert_eq!(
        voice(&ask(
            &fixed,
            "2024-10-01",
            &["from-abroad=no", "authenticated=yes"]
        ))
        .0,
        "allowed"
    );
    // Mobiles: not cut on 2024-10-01 (with the doubt that they may have been), cut by 2025-01-01.
    let v = ask(&mobile, "2024-10-01", &domestic);
    assert_eq!(voice(&v).0, "allowed");
    assert!(
        v["verdicts"]["voice"]["doubts"]
            .to_string()
            .contains("may have been cut"),
        "{v}"
    );
    assert_eq!(voice(&ask(&mobile, "2025-01-01", &domestic)).0, "forbidden");
    // From abroad, unauthenticated, a mobile number: masked from 2026-01-01, not before.
    let abroad = ["from-abroad=yes", "authenticated=no", "own-mobile-access=yes"];
    assert_eq!(voice(&ask(&mobile, "2025-12-31", &abroad)).0, "allowed");
    let (v, reason) = voice(&ask(&mobile, "2026-01-01", &abroad));
    assert_eq!(v, "forbidden");
    assert!(reason.contains("masked"), "{reason}");
    // ... and a fixed number from abroad is neither cut nor masked by these rules.
    assert_eq!(voice(&ask(&fixed, "2026-01-01", &abroad)).0, "allowed");
}
