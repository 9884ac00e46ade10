//! The diff against lookups, as a property: for random numbers of two versions of a plan that
//! differ by their register (the French plan with its July 2025 and April 2026 registers, the
//! Canadian one with its 2023-08-04 and 2024-10-10 snapshots), a number lies in a change with a
//! holder item (allocated, withdrawn, transferred) exactly when the two artifacts name another
//! holder for it on a day after both registers, and in one with a status item exactly when they
//! give it another register status. Nothing else differs, so no plan item may appear.

use crate::util::{copy_dir, repo, scratch};
use numplan::artifact::{Artifact, compile};
use numplan::date::Date;
use numplan::diff::{Diff, Item};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// The plan in `sources` with its files replaced (`(name, source file)`), compiled.
fn compiled(
    name: &str,
    sources: &str,
    replace: &[(&str, &str)],
    manifest: Option<&dyn Fn(&str) -> String>,
) -> Vec<u8> {
    let dir = scratch(name);
    copy_dir(&repo(sources), &dir);
    for (file, from) in replace {
        std::fs::copy(repo(from), dir.join(file)).unwrap();
    }
    if let Some(edit) = manifest {
        let text = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
        std::fs::write(dir.join("plan.yaml"), edit(&text)).unwrap();
    }
    let checked = numplan::validate::check_dir(&dir);
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{name}: {:?}", checked.diagnostics));
    compile(&plan, &Default::default()).unwrap()
}

/// Which items of the diff cover `number`: (holder changed, status changed).
fn covered(d: &Diff, number: &str) -> (bool, bool) {
    let mut out = (false, false);
    for c in &d.changes {
        let inside = c.prefixes.iter().any(|p| number.starts_with(p.as_str()))
            && !c.except.iter().any(|p| number.starts_with(p.as_str()));
        if !inside {
            continue;
        }
        for item in &c.items {
            match item {
                Item::Allocated { .. } | Item::Withdrawn { .. } | Item::Transferred { .. } => out.0 = true,
                Item::Status { .. } => out.1 = true,
                // Same holder re-dated: the register too, neither of the two compared here.
                Item::AllocationDate { .. } => {}
                other => panic!("{number}: only the register differs, found {other:?}"),
            }
        }
    }
    out
}

/// `lengths`: the lengths of the register's numbers (a shorter input is not a number of a
/// block, and a diff counts the numbers of a block's length).
fn property(old: &[u8], new: &[u8], lengths: &'static [usize], cases: u32) {
    let (old, new) = (Artifact::open(old).unwrap(), Artifact::open(new).unwrap());
    let d = numplan::diff::diff(&old, &new);
    assert!(!d.changes.is_empty());
    // A day after both registers: each answers with its current register.
    let after = old.register_date().max(new.register_date()).unwrap();
    let day = Date::from_days(after.to_days() + 1).unwrap();
    // Numbers: the changes' own prefixes and the registers' keys, cut and extended at random.
    let mut prefixes: Vec<String> = d.changes.iter().flat_map(|c| c.prefixes.clone()).collect();
    for a in [&old, &new] {
        prefixes.extend(a.entries().step_by(7).map(|e| String::from_utf8(e.key).unwrap()));
    }
    let strategy =
        (0..prefixes.len(), 0usize..=14, 0..lengths.len(), "[0-9]{20}").prop_map(move |(i, cut, l, tail)| {
            let p = &prefixes[i];
            let mut n = p[..cut.min(p.len())].to_string();
            let missing = lengths[l].saturating_sub(n.len());
            n.push_str(&tail[..missing]);
            n
        });
    let mut runner = TestRunner::new(Config {
        cases,
        max_global_rejects: cases * 4,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |number| {
        let holder = |a: &Artifact<'_>| {
            a.lookup_national(&number, day)
                .and_then(|x| x.holder_code().map(str::to_string))
        };
        let status = |a: &Artifact<'_>| {
            a.lookup_national(&number, day)
                .and_then(|x| x.status().map(str::to_string))
        };
        // Numbers of the plan on either side (a valid length for their category).
        prop_assume!(old.lookup(&number, day).is_ok() || new.lookup(&number, day).is_ok());
        let (h, s) = covered(&d, &number);
        prop_assert_eq!(
            h,
            holder(&old) != holder(&new),
            "{}: holder {:?} → {:?}",
            number,
            holder(&old),
            holder(&new)
        );
        prop_assert_eq!(
            s,
            status(&old) != status(&new),
            "{}: status {:?} → {:?}",
            number,
            status(&old),
            status(&new)
        );
        Ok::<(), TestCaseError>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_french_diff_agrees_with_lookups() {
    let old = compiled(
        "diff-oracle-fr-july",
        "plan-sources/fr",
        &[("MAJNUM.csv", "plan-sources/fr/MAJNUM-2025-07-03.csv")],
        None,
    );
    let new = std::fs::read(repo("generated/fr.npa")).unwrap();
    property(&old, &new, &[10, 10, 10, 10, 13, 14], 3000);
}

#[test]
fn the_canadian_diff_agrees_with_lookups() {
    let only = |snapshot: &'static str| {
        move |text: &str| {
            // The register is this snapshot alone: its blocks, and no history.
            let start = text.find("    blocks: [COCodeStatus-").unwrap();
            format!("{}    blocks: [COCodeStatus-{snapshot}.csv]\n", &text[..start])
        }
    };
    let old = compiled(
        "diff-oracle-ca-2023",
        "plan-sources/ca",
        &[],
        Some(&only("2023-08-04")),
    );
    let new = compiled(
        "diff-oracle-ca-2024",
        "plan-sources/ca",
        &[],
        Some(&only("2024-10-10")),
    );
    property(&old, &new, &[10], 3000);
}
