//! `numplan query` over several plans (`--plan` repeated, or a directory): each number is
//! answered by its own plan, chosen by the country code written (or dialled after a plan's
//! international prefix), else by the first plan in which it is valid. The plans are the mini
//! NANP plan (its sources say which codes it holds) and the French plan built into numplan.

use crate::util::{code, numplan, repo, scratch};
use serde_json::Value;

/// A directory holding the mini NANP plan compiled and the French artifact.
fn plans_dir(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let nanp = dir.join("mini-nanp.npa");
    let out = numplan(&[
        "compile",
        repo("tests/data/valid/mini-nanp").to_str().unwrap(),
        "-o",
        nanp.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::copy(repo("generated/fr.npa"), dir.join("fr.npa")).unwrap();
    dir
}

fn answers(plans: &[&str], numbers: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["query", "--format", "json", "--at", "2024-02-01"];
    for p in plans {
        args.extend(["--plan", p]);
    }
    args.extend(numbers);
    let out = numplan(&args);
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (code(&out), lines)
}

#[test]
fn each_number_is_answered_by_its_own_plan() {
    let dir = plans_dir("several-plans-dir");
    let d = dir.to_str().unwrap();
    let numbers = [
        "+33 1 62 12 34 56",
        // Dialled from the NANP plan: its international prefix, then +33.
        "011 33 1 62 12 34 56",
        "613 601 0123",
        "+1 613 601 0123",
        "01 62 12 34 56",
        "15",
        "911",
        "+1 212 555 0123",
    ];
    let (_, a) = answers(&[d], &numbers);
    let plan: Vec<&str> = a.iter().map(|v| v["plan"].as_str().unwrap_or("")).collect();
    assert_eq!(
        plan,
        [
            "fr",
            "fr",
            "mini-nanp",
            "mini-nanp",
            "fr",
            "fr",
            "mini-nanp",
            "mini-nanp"
        ],
        "{a:?}"
    );
    // `011 33 …` is the same number as `+33 …`.
    assert_eq!(a[1]["e164"], "+33162123456");
    assert_eq!(a[0]["e164"], a[1]["e164"]);
    // 613-601 is In Service and held by OCN 8304 in the register of 2024-01-25 (the CSV's row).
    assert_eq!(a[2]["holder"]["code"], "8304");
    assert_eq!(a[2]["status"]["status"], "In Service");
    // 212 is the foreign territory's: not in this plan, and no verdict of this plan.
    assert_eq!(a[7]["valid"], false);
    assert!(
        a[7]["error"].as_str().unwrap().contains("not in this plan"),
        "{}",
        a[7]
    );
    assert_eq!(a[7]["verdicts"]["voice"]["verdict"], "unknown");
}

#[test]
fn repeated_plans_and_a_directory_agree() {
    let dir = plans_dir("several-plans-repeated");
    let nanp = dir.join("mini-nanp.npa");
    let fr = dir.join("fr.npa");
    let numbers = ["011 33 1 62 12 34 56", "613 601 0123", "15"];
    let (c1, by_dir) = answers(&[dir.to_str().unwrap()], &numbers);
    let (c2, repeated) = answers(&[nanp.to_str().unwrap(), fr.to_str().unwrap()], &numbers);
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(by_dir, repeated);
    // With the NANP plan alone, `011 33 …` is another country's number: answered, not judged.
    let (c, alone) = answers(&[nanp.to_str().unwrap()], &numbers[..1]);
    assert_eq!(c, 1);
    assert_eq!(alone[0]["valid"], false);
    assert_eq!(
        alone[0]["verdicts"]["voice"]["verdict"], "unknown",
        "{}",
        alone[0]
    );
}

#[test]
fn tsv_columns_are_every_plans_uses() {
    let dir = plans_dir("several-plans-tsv");
    let out = numplan(&[
        "query",
        "--format",
        "tsv",
        "--at",
        "2024-02-01",
        "--plan",
        dir.join("fr.npa").to_str().unwrap(),
        "--plan",
        dir.join("mini-nanp.npa").to_str().unwrap(),
        "0162123456",
        "613 601 0123",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    // A plan column; the French plan's four uses, then none new from the NANP plan (`voice` is
    // shared).
    let header = &rows[0];
    assert_eq!(&header[..2], ["input", "plan"]);
    assert_eq!(
        &header[8..12],
        ["voice", "sms", "automated-voice", "automated-sms"]
    );
    assert!(rows.iter().all(|r| r.len() == header.len()), "{text}");
    assert_eq!((rows[1][0], rows[1][1]), ("0162123456", "fr"));
    // The NANP number has a verdict for `voice` only; the French uses it lacks are empty.
    assert_eq!((rows[2][0], rows[2][1]), ("613 601 0123", "mini-nanp"));
    assert_eq!(rows[2][8], "allowed");
    assert_eq!(&rows[2][9..12], ["", "", ""]);
}

#[test]
fn a_use_one_plan_lacks_is_a_usage_error_naming_it() {
    let dir = plans_dir("several-plans-use");
    let out = numplan(&[
        "query",
        "--plan",
        dir.to_str().unwrap(),
        "--use",
        "automated-voice",
        "15",
    ]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plan `mini-nanp`") && err.contains("unknown use"),
        "{err}"
    );
}

/// A number no plan finds valid is answered by the plan whose reading says most: another
/// country's number (dialled after a plan's international prefix), a foreign territory's, a
/// plan's own malformed number; never a wrong "forbidden" from a plan that does not know it.
#[test]
fn a_number_no_plan_finds_valid_is_answered_by_the_plan_that_knows_most() {
    // The real plans: the Canadian one knows every +1 area code (262 and 508 are US ones, and
    // also French country codes).
    let generated = repo("generated");
    let d = generated.to_str().unwrap();
    let (_, a) = answers(
        &[d],
        &[
            // A US number written nationally: the NANP plan's foreign territory, not France's
            // "unknown prefix" (262 and 508 are also French country codes).
            "212 555 1234",
            "262 555 0123",
            // A UK number dialled from the NANP plan, and from France: another country's.
            "011 44 20 7946 0000",
            "00 44 20 7946 0000",
            // A French number one digit short, dialled from the NANP plan: malformed in France.
            "011 33 1 62 12 34 5",
        ],
    );
    let got: Vec<(&str, &str)> = a
        .iter()
        .map(|v| {
            (
                v["plan"].as_str().unwrap(),
                v["verdicts"]["voice"]["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ca", "unknown"),
            ("ca", "unknown"),
            ("ca", "unknown"),
            ("fr", "unknown"),
            ("fr", "forbidden"),
        ],
        "{a:?}"
    );
    assert!(a[4]["error"].as_str().unwrap().contains("too short"), "{}", a[4]);
}

/// Digit groups typed as separate arguments make one number when together they are another
/// plan's number (`+1 212 555 1234` in the NANP plan alone), not four invalid inputs.
#[test]
fn another_plans_number_typed_in_groups_is_one_input() {
    let dir = plans_dir("several-plans-groups");
    let nanp = dir.join("mini-nanp.npa");
    let out = numplan(&[
        "query",
        "--format",
        "tsv",
        "--at",
        "2024-02-01",
        "--plan",
        nanp.to_str().unwrap(),
        "+1",
        "212",
        "555",
        "1234",
        "011",
        "33",
        "1",
        "62",
        "12",
        "34",
        "56",
        "911",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let inputs: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        inputs,
        ["+1 212 555 1234", "011 33 1 62 12 34 56", "911"],
        "{text}"
    );
}

/// Judging one use over several plans: the text says which plan answered, under the headline.
#[test]
fn a_judged_use_says_which_plan_answered() {
    let dir = plans_dir("several-plans-judged");
    let out = numplan(&[
        "query",
        "--at",
        "2024-02-01",
        "--plan",
        dir.to_str().unwrap(),
        "--use",
        "voice",
        "613 601 0123",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("613 601 0123: voice allowed"), "{text}");
    assert_eq!(lines[1], "  plan       mini-nanp", "{text}");
}
