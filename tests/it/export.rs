//! `numplan export` is exact: for random numbers and days, on the mini, mini NANP, French and
//! Canadian artifacts, a number is in the export of a selection if and only if `lookup` answers
//! it on that day as a valid number that meets the selection, judged here from the lookup's
//! answer, independently of the export's walk of the index.

use crate::util::{code, numplan, repo};
use numplan::artifact::{Artifact, compile};
use numplan::date::Date;
use numplan::export::{Entry, Selection, export};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn artifact_bytes(dir: &str) -> Vec<u8> {
    if dir.starts_with("generated/") {
        return std::fs::read(repo(dir)).unwrap();
    }
    let checked = numplan::validate::check_dir(&repo(dir));
    compile(&checked.plan.expect("a valid plan"), &Default::default()).unwrap()
}

/// Whether `number` is in the export: some entry's national prefix starts it and one of the
/// entry's lengths is its length.
fn listed(entries: &[Entry<'_>], number: &str) -> bool {
    entries
        .iter()
        .any(|e| number.starts_with(e.national.as_str()) && e.lengths.contains(&number.len()))
}

/// The selection judged on a lookup's answer: `(field, values)` conditions, all met.
fn meets(a: &Artifact<'_>, number: &str, day: Date, conditions: &[(&str, &[&str])]) -> bool {
    let Ok(found) = a.lookup(number, day) else {
        return false;
    };
    let answer = &found.answer;
    let ctx = Default::default();
    conditions.iter().all(|(field, values)| {
        let value = match *field {
            "category" => answer.category().id.to_string(),
            "territory" => answer.territory_id().to_string(),
            "allocated" => (if answer.is_allocated() { "yes" } else { "no" }).to_string(),
            "operator" => answer.holder_code().unwrap_or("").to_string(),
            "country-code" => answer.country_code().map_or(String::new(), |c| c.to_string()),
            use_id => {
                let row = a.use_row(use_id).expect("a use of the plan");
                answer.verdict(row, &ctx).as_str().to_string()
            }
        };
        values.contains(&value.as_str())
    })
}

/// `numplan export` with these options; its standard output (it must succeed).
fn run_export(plan: Option<&str>, at: &str, conditions: &[&str], format: &str) -> String {
    let mut args = vec!["export", "--at", at, "--format", format];
    let path;
    if let Some(p) = plan {
        path = repo(p);
        args.extend(["--plan", path.to_str().unwrap()]);
    }
    for c in conditions {
        args.extend(["--where", c]);
    }
    let out = numplan(&args);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The `pattern` strings of a `patterns` document.
fn patterns_of(json: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    doc["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pattern"].as_str().unwrap().to_string())
        .collect()
}

/// `FIELD=V1,V2` conditions as (field, values).
fn parse_conditions<'c>(conditions: &[&'c str]) -> Vec<(&'c str, Vec<&'c str>)> {
    conditions
        .iter()
        .map(|c| {
            let (f, v) = c.split_once('=').unwrap();
            (f, v.split(',').collect())
        })
        .collect()
}

fn as_slices<'c>(parsed: &'c [(&'c str, Vec<&'c str>)]) -> Vec<(&'c str, &'c [&'c str])> {
    parsed.iter().map(|(f, v)| (*f, v.as_slice())).collect()
}

/// A number drawn in a random pattern (`#` a random digit), then, by `i`, kept (a third), with a
/// digit changed (a third), or one digit shorter or longer (a third).
fn drawn(patterns: &[String], next: &mut impl FnMut() -> u64, i: usize) -> String {
    let p = &patterns[(next() % patterns.len() as u64) as usize];
    let mut n: Vec<u8> = p
        .bytes()
        .map(|c| if c == b'#' { b'0' + (next() % 10) as u8 } else { c })
        .collect();
    match i % 3 {
        0 => {}
        1 => {
            let k = (next() % n.len() as u64) as usize;
            n[k] = b'0' + (next() % 10) as u8;
        }
        _ => {
            if next().is_multiple_of(2) {
                n.pop();
            } else {
                n.push(b'0' + (next() % 10) as u8);
            }
        }
    }
    String::from_utf8(n).unwrap()
}

/// A small deterministic generator (xorshift64) for the numbers the format tests draw.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn exact(dir: &str, days: &[&str], selections: &[&[(&str, &[&str])]], cases: u32) {
    let bytes = artifact_bytes(dir);
    let a = Artifact::open(&bytes).unwrap();
    a.verify(&Default::default()).unwrap();
    let keys: Vec<String> = a.entries().map(|e| String::from_utf8(e.key).unwrap()).collect();
    for day in days {
        let day = Date::parse(day).unwrap();
        for conditions in selections {
            let written: Vec<String> = conditions
                .iter()
                .map(|(f, v)| format!("{f}={}", v.join(",")))
                .collect();
            let written: Vec<&str> = written.iter().map(String::as_str).collect();
            let selection = Selection::parse(&a, &written).unwrap();
            let entries = export(&a, day, &selection);
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            });
            // A key cut or extended to a length numbers have (3 to 14 digits), or random digits.
            let strategy = (
                0..keys.len(),
                0usize..=14,
                prop::sample::select(vec![2usize, 3, 4, 6, 7, 10, 13, 14]),
                "[0-9]{20}",
            );
            let result = runner.run(&strategy, |(i, cut, len, tail)| {
                let k = &keys[i];
                let mut n = k[..cut.min(k.len())].to_string();
                let missing = len.saturating_sub(n.len());
                n.push_str(&tail[..missing]);
                prop_assert_eq!(
                    listed(&entries, &n),
                    meets(&a, &n, day, conditions),
                    "{}: {} on {} with {:?}",
                    dir,
                    n,
                    day,
                    written
                );
                Ok(())
            });
            if let Err(e) = result {
                panic!("{e}");
            }
        }
    }
}

#[test]
fn the_french_export_is_exact() {
    exact(
        "generated/fr.npa",
        &["2019-01-01", "2023-06-01", "2026-11-30"],
        &[
            &[],
            &[("automated-voice", &["allowed"])],
            &[("voice", &["forbidden", "unknown"]), ("allocated", &["no"])],
            &[
                ("category", &["mobile", "polyvalent-verifie"]),
                ("country-code", &["33", "262"]),
            ],
            &[("operator", &["FRTE", "FREE"])],
        ],
        600,
    );
}

#[test]
fn the_canadian_export_is_exact() {
    exact(
        "generated/ca.npa",
        &["2019-06-01", "2023-11-30", "2024-10-10"],
        &[
            &[],
            &[("voice", &["allowed"])],
            &[("territory", &["on", "qc"]), ("allocated", &["no"])],
            &[("telemarketing", &["conditional"]), ("operator", &["8051"])],
        ],
        600,
    );
}

#[test]
fn the_mini_exports_are_exact() {
    exact(
        "tests/data/valid/mini",
        &["2022-12-31", "2024-01-01"],
        &[&[], &[("automated-voice", &["allowed"])]],
        600,
    );
    exact(
        "tests/data/valid/mini-nanp",
        &["2023-09-01", "2024-02-01"],
        &[&[], &[("voice", &["forbidden"])]],
        600,
    );
}

/// The automated-voice export of the French plan (CSV and plan facts, not the export's own
/// output): the verified numbers (NPV) of 2022-1583 that have allocated blocks, under +33, and
/// the overseas 0947 5…9 NPV under their own country codes (+590, +594, +596, +262, +262);
/// a number of an unallocated block is in no "allowed" export.
#[test]
fn the_french_automated_voice_export_holds_the_verified_numbers_under_their_own_codes() {
    let out = numplan(&[
        "export",
        "--at",
        "2026-11-30",
        "--where",
        "automated-voice=allowed",
        "--format",
        "tsv",
    ]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let e164: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("e164"))
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    for npv in ["+33162", "+33270", "+33377", "+33424", "+33568", "+33948"] {
        assert!(e164.iter().any(|e| e.starts_with(npv)), "{npv}");
    }
    // 0947 5…9 (2022-1583: the overseas NPV) ring under +590, +594, +596, +262 (twice), never
    // under +33.
    for (prefix, cc) in [
        ("0947 5", "590"),
        ("0947 6", "594"),
        ("0947 7", "596"),
        ("0947 8", "262"),
        ("0947 9", "262"),
    ] {
        let national = prefix.replace(' ', "");
        let want = format!("+{cc}{}", &national[1..]);
        assert!(e164.iter().any(|e| e.starts_with(&want)), "{prefix}: {want}");
    }
    assert!(
        !e164.iter().any(|e| e.starts_with("+33947")),
        "no overseas NPV under +33"
    );
    // A block the register does not list: 0163 (no block in MAJNUM.csv of 2026-04-17).
    let majnum = std::fs::read(repo("plan-sources/fr/MAJNUM.csv")).unwrap();
    let text: String = majnum.iter().map(|&b| b as char).collect();
    assert!(!text.lines().any(|l| l.starts_with("0163")));
    assert!(!e164.iter().any(|e| e.starts_with("+33163")));
    // The category itself (2022-1583 annexe 1, §2.3.7: 0162, 0163, 0270, 0271, 0377, 0378, 0424,
    // 0425, 0568, 0569, 0948, 0949 in metropolitan France) holds all twelve, allocated or not.
    let out = numplan(&[
        "export",
        "--at",
        "2026-11-30",
        "--where",
        "category=polyvalent-verifie",
        "--where",
        "country-code=33",
        "--format",
        "tsv",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let found: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with('+'))
        .map(|l| &l[..6])
        .collect();
    let npv = [
        "+33162", "+33163", "+33270", "+33271", "+33377", "+33378", "+33424", "+33425", "+33568", "+33569",
        "+33948", "+33949",
    ];
    assert_eq!(found, npv.into_iter().collect());
}

#[test]
fn bad_conditions_are_usage_errors_naming_the_choices() {
    for (cond, says) in [
        ("bogus=1", "the fields are: voice"),
        ("automated-voice=maybe", "is not one of: allowed"),
        ("category=nope", "polyvalent-verifie"),
        ("novalue", "expected FIELD=VALUE"),
        ("=", "expected FIELD=VALUE"),
        ("voice=", "expected FIELD=VALUE"),
        ("voice=allowed,,forbidden", "expected FIELD=VALUE"),
        ("operator=\u{1b}[31m", "is not one of"),
    ] {
        let out = numplan(&["export", "--where", cond, "--format", "tsv"]);
        assert_eq!(code(&out), 2, "{cond}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{cond}: {err}");
    }
    // --changes-after only with the formats that carry dates.
    for format in [
        "callkit",
        "regex",
        "patterns",
        "asterisk",
        "kamailio-mtree",
        "kamailio-blocklist",
    ] {
        let out = numplan(&["export", "--changes-after", "2025-01-01", "--format", format]);
        assert_eq!(code(&out), 2, "{format}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("only `tsv` and `json`"),
            "{format}"
        );
    }
    // An empty selection is no error, and says so.
    let out = numplan(&[
        "export",
        "--where",
        "territory=mayotte",
        "--where",
        "country-code=33",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no number"));
}

/// CallKit: every number expanded, ascending as integers, each a number of the selection when
/// looked up with `+` (the French overseas NPV of Guadeloupe that automated systems may show:
/// small enough to check every line), as many as the canonical list's prefixes hold.
#[test]
fn callkit_lists_every_number_ascending() {
    let args = |format: &str| {
        numplan(&[
            "export",
            "--at",
            "2026-11-30",
            "--where",
            "automated-voice=allowed",
            "--where",
            "territory=guadeloupe",
            "--format",
            format,
        ])
    };
    let out = args("callkit");
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# numplan export: plan fr version "),
        "{}",
        &text[..80]
    );
    let numbers: Vec<u64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.parse().expect("decimal digits"))
        .collect();
    assert!(numbers.len() >= 10_000, "{}", numbers.len());
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "strictly ascending");
    let plan = numplan::embedded::fr().unwrap();
    let day = Date::parse("2026-11-30").unwrap();
    let av = plan.use_row("automated-voice").unwrap();
    for n in numbers.iter().step_by(97) {
        let found = plan
            .lookup(&format!("+{n}"), day)
            .unwrap_or_else(|e| panic!("+{n}: {e}"));
        assert_eq!(found.answer.territory_id(), "guadeloupe", "+{n}");
        assert_eq!(
            found.answer.verdict(av, &Default::default()).as_str(),
            "allowed",
            "+{n}"
        );
    }
    // As many numbers as the canonical list's E.164 prefixes and lengths hold.
    let tsv = String::from_utf8(args("tsv").stdout).unwrap();
    let held: u64 = tsv
        .lines()
        .filter(|l| l.starts_with('+'))
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let prefix_digits = cells[0].len() - 1;
            cells[3]
                .split(',')
                .map(|len| 10u64.pow((len.parse::<usize>().unwrap() - prefix_digits) as u32))
                .sum::<u64>()
        })
        .sum();
    assert_eq!(numbers.len() as u64, held);
}

#[test]
fn callkit_refuses_a_list_over_max_stating_the_count() {
    let out = numplan(&[
        "export",
        "--at",
        "2026-11-30",
        "--where",
        "category=polyvalent-verifie",
        "--format",
        "callkit",
        "--max",
        "1000000",
    ]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty(), "nothing written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("more than --max 1,000,000") && err.contains("numbers"),
        "{err}"
    );
}

/// `patterns` (Android) and `asterisk` say the same as `lookup`: a number written `+CC…` matches
/// a pattern exactly when the plan answers it on the day, valid, within the selection. Numbers
/// are drawn inside the patterns (each must be in the selection) and near them (a digit changed,
/// a length changed: in the selection exactly when some pattern matches).
#[test]
fn patterns_and_asterisk_match_exactly_the_selection() {
    for (plan, at, conditions) in [
        (
            None,
            "2026-11-30",
            vec!["automated-voice=allowed", "territory=guadeloupe,martinique"],
        ),
        (
            None,
            "2026-11-30",
            vec!["category=urgence,polyvalent-verifie", "country-code=590"],
        ),
        (
            Some("generated/ca.npa"),
            "2024-10-10",
            vec!["voice=forbidden", "territory=nu,nt,yt,yt-nt-nu"],
        ),
        (
            None,
            "2023-06-01",
            vec!["automated-sms=forbidden", "territory=reunion,mayotte"],
        ),
        (
            Some("generated/ca.npa"),
            "2023-11-30",
            vec!["voice=allowed", "territory=pe,ns,ns-pe"],
        ),
    ] {
        let run = |format: &str| run_export(plan, at, &conditions, format);
        let patterns = patterns_of(&run("patterns"));
        assert!(!patterns.is_empty(), "{conditions:?}");
        // Asterisk: `exten => _+DIGITSXXX,…` is the same pattern, `X` for `#`.
        let asterisk: Vec<String> = run("asterisk")
            .lines()
            .filter_map(|l| l.strip_prefix("exten => _+"))
            // The catch-alls for numbers not in the list.
            .filter(|l| !l.starts_with(".,"))
            .map(|l| l.split(',').next().unwrap().replace('X', "#"))
            .collect();
        assert_eq!(asterisk, patterns);
        let matches = |n: &str| {
            patterns
                .iter()
                .any(|p| p.len() == n.len() && p.bytes().zip(n.bytes()).all(|(a, b)| a == b'#' || a == b))
        };
        let bytes = plan.map_or_else(
            || numplan::embedded::FR.to_vec(),
            |p| std::fs::read(repo(p)).unwrap(),
        );
        let a = Artifact::open(&bytes).unwrap();
        let day = Date::parse(at).unwrap();
        let parsed = parse_conditions(&conditions);
        let selected = as_slices(&parsed);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15u64);
        let mut next = move || rng.next();
        for i in 0..3000 {
            let n = drawn(&patterns, &mut next, i);
            let expected = meets(&a, &format!("+{n}"), day, &selected);
            assert_eq!(matches(&n), expected, "+{n} with {conditions:?}");
        }
    }
}

/// `regex`: one expression per country code, compiled with the `regex` crate as blocking apps do,
/// matches a number in every written form (`+CC…`, `CC…`, the international prefix and `CC…`,
/// the national form) exactly when `lookup` answers it on the day within the selection.
#[test]
fn regex_matches_every_written_form_exactly_when_the_plan_does() {
    for (plan, at, conditions, ip, trunk, trunk_in_numbers) in [
        (
            None,
            "2026-11-30",
            vec!["automated-voice=allowed", "country-code=33,590,596"],
            "00",
            "0",
            true,
        ),
        (
            Some("generated/ca.npa"),
            "2024-10-10",
            vec!["voice=allowed", "territory=nu,yt,nt,yt-nt-nu"],
            "011",
            "1",
            false,
        ),
        (
            None,
            "2021-02-01",
            vec!["voice=allowed", "country-code=262"],
            "00",
            "0",
            true,
        ),
        (
            Some("generated/ca.npa"),
            "2023-08-04",
            vec!["telemarketing=conditional", "territory=nb,pe"],
            "011",
            "1",
            false,
        ),
    ] {
        let run = |format: &str| run_export(plan, at, &conditions, format);
        let regexes: Vec<(String, regex::Regex)> = run("regex")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let (cc, re) = l.split_once('\t').unwrap();
                // ASCII digits only: `\d` is any Unicode digit in several engines.
                assert!(!re.contains("\\d"), "{re}");
                (cc.to_string(), regex::Regex::new(re).expect("a valid regex"))
            })
            .collect();
        assert!(!regexes.is_empty());
        let patterns = patterns_of(&run("patterns"));
        let bytes = plan.map_or_else(
            || numplan::embedded::FR.to_vec(),
            |p| std::fs::read(repo(p)).unwrap(),
        );
        let a = Artifact::open(&bytes).unwrap();
        let day = Date::parse(at).unwrap();
        let parsed = parse_conditions(&conditions);
        let selected = as_slices(&parsed);
        let mut rng = Rng(0x2545_F491_4F6C_DD1Du64);
        let mut next = move || rng.next();
        let mut matched = 0;
        for i in 0..2000 {
            let n = drawn(&patterns, &mut next, i);
            let Some((cc, re)) = regexes.iter().find(|(cc, _)| n.starts_with(cc.as_str())) else {
                // A mutated country code no line has: in the selection only if the plan says so.
                assert!(!meets(&a, &format!("+{n}"), day, &selected), "+{n}");
                continue;
            };
            let expected = meets(&a, &format!("+{n}"), day, &selected);
            let significant = &n[cc.len()..];
            let national = if trunk_in_numbers {
                format!("{trunk}{significant}")
            } else {
                significant.to_string()
            };
            for form in [format!("+{n}"), n.clone(), format!("{ip}{n}"), national] {
                assert_eq!(re.is_match(&form), expected, "{form} (+{n}) with {conditions:?}");
            }
            matched += usize::from(expected);
        }
        assert!(matched > 300, "{matched}");
    }
}

/// Kamailio's tables, loaded into SQLite (`rusqlite`) and queried by longest prefix as the mtree
/// and userblocklist modules do: a number (E.164 digits) is found exactly when `lookup` answers it
/// on the day within the selection (mtree: in the tree of its length; globalblocklist: the row's
/// lengths, which the script checks).
#[test]
fn kamailio_tables_in_sqlite_find_exactly_the_selection() {
    for (plan, at, conditions) in [
        (
            None,
            "2026-11-30",
            vec!["automated-voice=allowed", "country-code=33,590,594"],
        ),
        (
            Some("generated/ca.npa"),
            "2024-10-10",
            vec!["voice=forbidden", "territory=on", "allocated=no"],
        ),
        (
            None,
            "2024-01-01",
            vec!["sms=allowed", "territory=guyane,martinique"],
        ),
    ] {
        let run = |format: &str| run_export(plan, at, &conditions, format);
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE mtrees (id INTEGER PRIMARY KEY, tname TEXT, tprefix TEXT, tvalue TEXT, UNIQUE (tname, tprefix));
             CREATE TABLE globalblocklist (id INTEGER PRIMARY KEY, prefix TEXT UNIQUE, allowlist TEXT, description TEXT);",
        )
        .unwrap();
        db.execute_batch(&run("kamailio-mtree")).unwrap();
        db.execute_batch(&run("kamailio-blocklist")).unwrap();
        let plan_id = if plan.is_some() { "ca" } else { "fr" };
        let in_mtree = |n: &str| -> bool {
            db.query_row(
                "SELECT tvalue FROM mtrees WHERE tname = ?1 AND substr(?2, 1, length(tprefix)) = tprefix \
                 ORDER BY length(tprefix) DESC LIMIT 1",
                (format!("{plan_id}-{}", n.len()), n),
                |r| r.get::<_, String>(0),
            )
            .is_ok()
        };
        let in_blocklist = |n: &str| -> bool {
            let description: Option<String> = db
                .query_row(
                    "SELECT description FROM globalblocklist WHERE substr(?1, 1, length(prefix)) = prefix \
                     ORDER BY length(prefix) DESC LIMIT 1",
                    [n],
                    |r| r.get(0),
                )
                .ok();
            description.is_some_and(|d| {
                let lengths = d.rsplit(", ").next().unwrap().trim_end_matches(" digits");
                lengths.split(" or ").any(|l| l == n.len().to_string())
            })
        };
        let patterns = patterns_of(&run("patterns"));
        assert!(!patterns.is_empty());
        let bytes = plan.map_or_else(
            || numplan::embedded::FR.to_vec(),
            |p| std::fs::read(repo(p)).unwrap(),
        );
        let a = Artifact::open(&bytes).unwrap();
        let day = Date::parse(at).unwrap();
        let parsed = parse_conditions(&conditions);
        let selected = as_slices(&parsed);
        let mut rng = Rng(0x1234_5678_9ABC_DEF1u64);
        let mut next = move || rng.next();
        let mut found = 0;
        for i in 0..1500 {
            let p = &patterns[(next() % patterns.len() as u64) as usize];
            let mut n: Vec<u8> = p
                .bytes()
                .map(|c| if c == b'#' { b'0' + (next() % 10) as u8 } else { c })
                .collect();
            if i % 2 == 1 {
                let k = (next() % n.len() as u64) as usize;
                n[k] = b'0' + (next() % 10) as u8;
            }
            if i % 5 == 4 {
                n.push(b'0');
            }
            let n = String::from_utf8(n).unwrap();
            let expected = meets(&a, &format!("+{n}"), day, &selected);
            assert_eq!(in_mtree(&n), expected, "mtree: {n} with {conditions:?}");
            assert_eq!(
                in_blocklist(&n),
                expected,
                "globalblocklist: {n} with {conditions:?}"
            );
            found += usize::from(expected);
        }
        assert!(found > 300, "{found}");
    }
}

/// `--changes-after DAY`: every entry says between which days the selection keeps it; on any
/// day from DAY on, the numbers of the entries in force then are exactly those `lookup` answers
/// within the selection that day (the French plan from mid-2025, across the 2026 decision; the
/// Canadian one across 988's opening and the 2024 register snapshots).
#[test]
fn changes_after_says_when_each_entry_holds() {
    for (dir, after, conditions, days) in [
        (
            "generated/fr.npa",
            "2025-06-01",
            vec![("automated-voice", &["allowed"][..])],
            vec![
                "2025-06-01",
                "2025-07-03",
                "2025-12-31",
                "2026-01-01",
                "2026-02-20",
                "2026-04-17",
                "2027-01-01",
            ],
        ),
        (
            "generated/ca.npa",
            "2023-01-01",
            vec![
                ("voice", &["forbidden"][..]),
                ("category", &["crisis-988", "geographic"][..]),
            ],
            vec![
                "2023-01-01",
                "2023-08-04",
                "2023-11-29",
                "2023-11-30",
                "2024-01-25",
                "2024-10-10",
                "2025-06-01",
            ],
        ),
    ] {
        let bytes = artifact_bytes(dir);
        let a = Artifact::open(&bytes).unwrap();
        let written: Vec<String> = conditions
            .iter()
            .map(|(f, v)| format!("{f}={}", v.join(",")))
            .collect();
        let written: Vec<&str> = written.iter().map(String::as_str).collect();
        let selection = Selection::parse(&a, &written).unwrap();
        let after = Date::parse(after).unwrap();
        let ahead = numplan::export::export_ahead(&a, after, &selection);
        assert!(
            ahead.iter().any(|e| e.said.from.is_some_and(|f| f > after)),
            "{dir}: changes ahead"
        );
        let keys: Vec<String> = a.entries().map(|e| String::from_utf8(e.key).unwrap()).collect();
        let mut rng = Rng(0xDEAD_BEEF_1234_5678u64);
        let mut next = move || rng.next();
        for day in &days {
            let day = Date::parse(day).unwrap();
            let in_force: Vec<Entry<'_>> = ahead
                .iter()
                .filter(|e| e.said.from.is_none_or(|f| f <= day) && e.said.until.is_none_or(|u| day < u))
                .cloned()
                .collect();
            for _ in 0..400 {
                let k = &keys[(next() % keys.len() as u64) as usize];
                let mut n = k.clone();
                let len = [3usize, 10, 10, 10, 13, 14][(next() % 6) as usize];
                while n.len() < len {
                    n.push(char::from(b'0' + (next() % 10) as u8));
                }
                n.truncate(len.max(1));
                assert_eq!(
                    listed(&in_force, &n),
                    meets(&a, &n, day, &conditions),
                    "{dir}: {n} on {day}"
                );
            }
        }
    }
}
