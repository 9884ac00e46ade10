//! `numplan diff`: two register snapshots against an independent count, and a hand-made pair of
//! plans with one change of each kind.

use crate::util::{code, copy_dir, numplan, repo, scratch};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// A register's blocks, read independently: (number length) → sorted (first, last, Mnémo).
fn intervals(path: &std::path::Path) -> BTreeMap<usize, Vec<(u64, u64, String)>> {
    let bytes = std::fs::read(path).unwrap();
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let mut by_len: BTreeMap<usize, Vec<(u64, u64, String)>> = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(';').collect();
        let (first, last) = (f[1], f[2]);
        by_len.entry(first.len()).or_default().push((
            first.parse().unwrap(),
            last.parse().unwrap(),
            f[3].to_string(),
        ));
    }
    for v in by_len.values_mut() {
        v.sort();
    }
    by_len
}

/// Allocated, withdrawn and transferred numbers between two registers, by interval arithmetic.
fn independent_counts(old: &std::path::Path, new: &std::path::Path) -> (u64, u64, u64) {
    let (old, new) = (intervals(old), intervals(new));
    let size = |v: &[(u64, u64, String)]| v.iter().map(|(a, b, _)| b - a + 1).sum::<u64>();
    let (mut allocated, mut withdrawn, mut transferred) = (0, 0, 0);
    let lengths: std::collections::BTreeSet<usize> = old.keys().chain(new.keys()).copied().collect();
    for len in lengths {
        let empty = Vec::new();
        let (o, n) = (old.get(&len).unwrap_or(&empty), new.get(&len).unwrap_or(&empty));
        // Overlaps of two sorted lists of disjoint intervals, two pointers.
        let (mut i, mut j, mut overlap) = (0, 0, 0u64);
        while i < o.len() && j < n.len() {
            let lo = o[i].0.max(n[j].0);
            let hi = o[i].1.min(n[j].1);
            if lo <= hi {
                overlap += hi - lo + 1;
                if o[i].2 != n[j].2 {
                    transferred += hi - lo + 1;
                }
            }
            if o[i].1 < n[j].1 { i += 1 } else { j += 1 }
        }
        allocated += size(n) - overlap;
        withdrawn += size(o) - overlap;
    }
    (allocated, withdrawn, transferred)
}

fn plan_with_register(name: &str, register: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("plan-sources/fr"), &dir);
    std::fs::copy(repo(register), dir.join("MAJNUM.csv")).unwrap();
    dir
}

#[test]
fn july_2025_to_april_2026_matches_an_independent_count() {
    let old = plan_with_register("diff-2025-07", "plan-sources/fr/MAJNUM-2025-07-03.csv");
    let out = numplan(&[
        "diff",
        "--format",
        "json",
        old.to_str().unwrap(),
        "plan-sources/fr",
    ]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (allocated, withdrawn, transferred) = independent_counts(
        &repo("plan-sources/fr/MAJNUM-2025-07-03.csv"),
        &repo("plan-sources/fr/MAJNUM.csv"),
    );
    assert!(allocated > 0 && withdrawn > 0 && transferred > 0);
    assert_eq!(d["summary"]["numbers_allocated"], allocated);
    assert_eq!(d["summary"]["numbers_withdrawn"], withdrawn);
    assert_eq!(d["summary"]["numbers_transferred"], transferred);
    assert_eq!(
        d["summary"]["numbers_category_changed"], 0,
        "same plan, other register"
    );

    // Named blocks appear with the right operators: every block new in April 2026 is listed
    // under an `allocated` or `transferred` item naming its Mnémo from the CSV.
    let new_blocks: HashMap<String, String> = {
        let bytes = std::fs::read(repo("plan-sources/fr/MAJNUM.csv")).unwrap();
        let text: String = bytes.iter().map(|&b| b as char).collect();
        text.lines()
            .skip(1)
            .map(|l| l.split(';').collect::<Vec<_>>())
            .map(|f| (f[0].to_string(), f[3].to_string()))
            .collect()
    };
    let old_blocks: HashMap<String, String> = {
        let bytes = std::fs::read(repo("plan-sources/fr/MAJNUM-2025-07-03.csv")).unwrap();
        let text: String = bytes.iter().map(|&b| b as char).collect();
        text.lines()
            .skip(1)
            .map(|l| l.split(';').collect::<Vec<_>>())
            .map(|f| (f[0].to_string(), f[3].to_string()))
            .collect()
    };
    let mut listed: HashMap<String, String> = HashMap::new();
    for c in d["changes"].as_array().unwrap() {
        for item in c["items"].as_array().unwrap() {
            let op = match item["kind"].as_str().unwrap() {
                "allocated" => &item["operator"]["code"],
                "transferred" => &item["to"]["code"],
                _ => continue,
            };
            for b in item["blocks"].as_array().unwrap() {
                listed.insert(b.as_str().unwrap().to_string(), op.as_str().unwrap().to_string());
            }
        }
    }
    let mut checked = 0;
    for (block, mnemo) in &new_blocks {
        if !old_blocks.contains_key(block)
            && !old_blocks
                .keys()
                .any(|o| block.starts_with(o.as_str()) && old_blocks[o] == *mnemo)
        {
            assert_eq!(listed.get(block), Some(mnemo), "block {block}");
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked} new blocks checked");
}

/// The mini plan, with one file rewritten by `edit`.
fn mini_variant(name: &str, file: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo("tests/data/valid/mini"), &dir);
    let path = dir.join(file);
    let bytes = std::fs::read(&path).unwrap();
    // Register files are latin-1, YAML files UTF-8: edit each in its own encoding.
    let latin1 = file.ends_with(".csv");
    let text: String = if latin1 {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8(bytes).unwrap()
    };
    let edited = edit(text);
    let out: Vec<u8> = if latin1 {
        edited.chars().map(|c| c as u8).collect()
    } else {
        edited.into_bytes()
    };
    std::fs::write(&path, out).unwrap();
    dir
}

fn diff_json(old: &std::path::Path, new: &std::path::Path) -> (i32, serde_json::Value) {
    let out = numplan(&[
        "diff",
        "--format",
        "json",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (code(&out), v)
}

/// The text rendering of a diff, without colour.
fn diff_text(old: &std::path::Path, new: &std::path::Path) -> String {
    let out = numplan(&[
        "diff",
        "--color",
        "never",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn items(d: &serde_json::Value) -> Vec<serde_json::Value> {
    d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn each_kind_of_change_is_reported() {
    let base = repo("tests/data/valid/mini");

    // Identical: exit 0, and nothing at all with --quiet (nor in text).
    let out = numplan(&["diff", "--quiet", base.to_str().unwrap(), base.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out = numplan(&["diff", base.to_str().unwrap(), base.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());

    // Category: 0262 (Réunion) becomes verified.
    let cat = mini_variant("diff-category", "ranges.yaml", |t| {
        t.replace(
            "  - numbers: 0262\n    category: polyvalent\n",
            "  - numbers: 0262\n    category: polyvalent-verifie\n",
        )
    });
    let (c, d) = diff_json(&base, &cat);
    assert_eq!(c, 1);
    // Each side is the pair [plan id, version] in JSON (a named struct in the library).
    assert_eq!(d["old"], serde_json::json!(["mini", "1"]));
    assert_eq!(d["new"], serde_json::json!(["mini", "1"]));
    let it = items(&d);
    assert!(
        it.iter().any(|i| i["kind"] == "plan"
            && i["aspects"][0] == "category"
            && i["new"]["category"] == "polyvalent-verifie"),
        "{d}"
    );
    assert_eq!(d["changes"][0]["range"], "0262");

    // A rule's date, and a change that takes effect in the future.
    let rule = mini_variant("diff-rule-date", "categories.yaml", |t| {
        t.replace("        until: 2023-01-01\n", "        until: 2030-01-01\n")
            .replace(
                "        from: 2023-01-01\n        basis: 2022-1583 §2.2.2\n",
                "        from: 2030-01-01\n        basis: 2022-1583 §2.2.2\n",
            )
    });
    let (c, d) = diff_json(&base, &rule);
    assert_eq!(c, 1);
    let it = items(&d);
    let r = it
        .iter()
        .find(|i| i["kind"] == "plan" && i["aspects"][0] == "rules")
        .unwrap_or_else(|| panic!("{d}"));
    let text = diff_text(&base, &rule);
    assert!(text.contains("rules: cli-automated=allowed until 2023-01-01, cli-automated=forbidden from 2023-01-01 → cli-automated=allowed until 2030-01-01, cli-automated=forbidden from 2030-01-01"), "{text}");
    assert!(r["from"].is_null());

    let future = mini_variant("diff-future", "ranges.yaml", |t| {
        t + "  - numbers: 0163 5\n    category: polyvalent-verifie\n    territory: metropole\n    from: 2030-01-01\n"
    });
    let (c, d) = diff_json(&base, &future);
    assert_eq!(c, 1);
    let it = items(&d);
    let f = it
        .iter()
        .find(|i| i["kind"] == "plan")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(f["from"], "2030-01-01", "the change takes effect later: {d}");
    let text = diff_text(&base, &future);
    assert!(
        text.contains("from 2030-01-01: category polyvalent → polyvalent-verifie"),
        "{text}"
    );

    // Territory.
    let ter = mini_variant("diff-territory", "ranges.yaml", |t| {
        t.replace(
            "  - numbers: 01 63 00 00 00 - 01 63 49 99 99\n    category: polyvalent-verifie\n    territory: metropole\n",
            "  - numbers: 01 63 00 00 00 - 01 63 49 99 99\n    category: polyvalent-verifie\n    territory: reunion\n",
        )
    });
    let (_, d) = diff_json(&base, &ter);
    assert!(items(&d).iter().any(|i| i["aspects"][0] == "territory"), "{d}");

    // Length: the urgence category also allows 6 digits.
    let len = mini_variant("diff-length", "categories.yaml", |t| {
        t.replace("    lengths: [2, 3]\n", "    lengths: [2, 3, 6]\n")
    });
    let (_, d) = diff_json(&base, &len);
    assert!(
        items(&d)
            .iter()
            .any(|i| i["aspects"].as_array().unwrap().iter().any(|a| a == "length")),
        "{d}"
    );

    // Operator: block 0262 moves from SRR to FRTE.
    let op = mini_variant("diff-operator", "MAJNUM.csv", |t| t.replace(";SRR;", ";FRTE;"));
    let (c, d) = diff_json(&base, &op);
    assert_eq!(c, 1);
    assert_eq!(d["summary"]["numbers_transferred"], 1_000_000, "{d}");
    assert_eq!(d["summary"]["blocks_transferred"], 1);
    let t = items(&d)
        .into_iter()
        .find(|i| i["kind"] == "transferred")
        .unwrap();
    assert_eq!(t["from"]["code"], "SRR");
    assert_eq!(t["to"]["code"], "FRTE");

    // A block split that changes nothing for any number is no change.
    let split = mini_variant("diff-split", "MAJNUM.csv", |t| {
        t.replace(
            "01620;0162000000;0162099999;FRTE;Métropole;01/01/2023\n",
            &(0..10)
                .map(|i| format!("01620{i};01620{i}0000;01620{i}9999;FRTE;Métropole;01/01/2023\n"))
                .collect::<String>(),
        )
    });
    let out = numplan(&["diff", "--quiet", base.to_str().unwrap(), split.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "a split block is not a change");
}

#[test]
fn markdown_release_notes_start_with_the_summary() {
    let old = plan_with_register("diff-md-2025-07", "plan-sources/fr/MAJNUM-2025-07-03.csv");
    let out = numplan(&[
        "diff",
        "--format",
        "markdown",
        old.to_str().unwrap(),
        "plan-sources/fr",
    ]);
    assert_eq!(code(&out), 1);
    let md = String::from_utf8_lossy(&out.stdout);
    let summary = md.find("## Summary").unwrap();
    let allocated = md.find("## Numbers allocated").unwrap();
    let transferred = md.find("## Numbers transferred between operators").unwrap();
    assert!(summary < allocated && allocated < transferred, "{}", &md[..500]);
    assert!(
        md.contains("allocated to TWIL (Twilio Ireland Limited)"),
        "operator names in the notes"
    );
}

#[test]
fn usage_errors_exit_2_and_a_file_that_is_not_an_artifact_exits_3() {
    assert_eq!(code(&numplan(&["diff", "no/such", "plan-sources/fr"])), 2);
    let dir = scratch("diff-bad");
    std::fs::write(dir.join("x.npa"), b"junk").unwrap();
    assert_eq!(
        code(&numplan(&[
            "diff",
            dir.join("x.npa").to_str().unwrap(),
            "plan-sources/fr"
        ])),
        3,
        "not an artifact: the exit code of verify"
    );
}

/// A change to the plan-wide policy (a requirement's date, what a condition decides) changes
/// verdicts across the number space: `diff` reports it and exits 1.
#[test]
fn plan_wide_policy_changes_are_differences() {
    let base = repo("tests/data/valid/mini");
    let changed = mini_variant("diff-policy", "plan.yaml", |t| {
        t.replace(
            "  - check: allocated\n    from: 2019-08-01\n",
            "  - check: allocated\n    from: 2025-08-01\n",
        )
        .replace(
            "    when: own-access=no\n    then: forbidden\n    unsettled: conditional\n",
            "    when: own-access=no\n    then: allowed\n",
        )
    });
    let (c, d) = diff_json(&base, &changed);
    assert_eq!(c, 1, "{d}");
    assert_eq!(d["summary"]["policy_changes"], 4);
    let removed: Vec<&str> = d["policy"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let added: Vec<&str> = d["policy"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        removed
            .iter()
            .any(|l| l.contains("check allocated") && l.contains("since 2019-08-01")),
        "{removed:?}"
    );
    assert!(
        added
            .iter()
            .any(|l| l.contains("check allocated") && l.contains("since 2025-08-01")),
        "{added:?}"
    );
    assert!(
        added
            .iter()
            .any(|l| l.starts_with("condition own-access:") && l.contains("then allowed")),
        "{added:?}"
    );
    assert_eq!(
        d["changes"].as_array().map(Vec::len),
        Some(0),
        "no number's own answer changed"
    );
    let out = numplan(&[
        "diff",
        "--quiet",
        base.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
}

/// The mini plan with two categories of 20-digit numbers and the ranges `3` and `4` in `long`
/// (10^19 numbers each): `long-other` is where the second plan moves them.
fn twenty_digits(name: &str, category: &str) -> PathBuf {
    let dir = mini_variant(name, "categories.yaml", |t| {
        t + "  - id: long\n    name: Long\n    lengths: [20]\n  - id: long-other\n    name: Long too\n    lengths: [20]\n"
    });
    let ranges = std::fs::read_to_string(dir.join("ranges.yaml")).unwrap();
    let ranges = format!("{ranges}  - numbers: 3-4\n    category: {category}\n    territory: metropole\n");
    std::fs::write(dir.join("ranges.yaml"), ranges).unwrap();
    dir
}

#[test]
fn counts_of_20_digit_categories_do_not_overflow() {
    let compile = |dir: &std::path::Path| {
        let checked = numplan::validate::check_dir(dir);
        let plan = checked.plan.unwrap_or_else(|| {
            panic!(
                "{}",
                numplan::diag::render_human(&checked.diagnostics, &checked.sources, false)
            )
        });
        numplan::artifact::compile(&plan, &Default::default()).unwrap()
    };
    let old = compile(&twenty_digits("diff-20-digits-old", "long"));
    let new = compile(&twenty_digits("diff-20-digits-new", "long-other"));
    let (old, new) = (
        numplan::artifact::Artifact::open(&old).unwrap(),
        numplan::artifact::Artifact::open(&new).unwrap(),
    );
    let d = numplan::diff::diff(&old, &new);
    // 2·10^19 is more than a u64 holds (1.8·10^19): it wrapped to 1553255926290448384.
    let two_e19: u128 = 2 * 10u128.pow(19);
    assert_eq!(d.summary.numbers_category_changed, two_e19);
    let total: u128 = d.changes.iter().map(|c| c.numbers).sum();
    assert_eq!(total, two_e19);
}

/// `diff -q` stops at the first difference (issue 9, second review, point 1) and says what the
/// full diff says: a change of the plan-wide policy only, of one rule's date, of one block's
/// operator, and no change, each with the same exit status as the full diff.
#[test]
fn quiet_says_what_the_full_diff_says() {
    let base = repo("tests/data/valid/mini");
    let policy = mini_variant("diff-q-policy", "plan.yaml", |t| {
        t.replace(
            "  - check: allocated\n    from: 2019-08-01\n",
            "  - check: allocated\n    from: 2025-08-01\n",
        )
    });
    let rule = mini_variant("diff-q-rule", "categories.yaml", |t| {
        t.replace("        until: 2023-01-01\n", "        until: 2030-01-01\n")
    });
    let op = mini_variant("diff-q-operator", "MAJNUM.csv", |t| t.replace(";SRR;", ";FRTE;"));
    for (new, expected) in [(&base, 0), (&policy, 1), (&rule, 1), (&op, 1)] {
        let (full, d) = diff_json(&base, new);
        assert_eq!(full, expected, "{}: {d}", new.display());
        for (a, b) in [(&base, new), (new, &base)] {
            let out = numplan(&["diff", "-q", a.to_str().unwrap(), b.to_str().unwrap()]);
            assert_eq!(code(&out), expected, "{} {}", a.display(), b.display());
            assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}
