//! The differential test: the compiled artifact against the validated plan.
//!
//! For random numbers and days on the mini plan (`tests/data/valid/mini`) and the French plan
//! (`plan-sources/fr`), the artifact's answer ([`Artifact::lookup_national`]) must be the one
//! computed from the validated [`Plan`] without the compiler: the range from [`Resolver::at`]
//! (so its category, territory, lengths and rules in force), and the block holding the number on
//! the day, from the register snapshots as `ARCHITECTURE.md` and `docs/artifact-format.md`
//! describe them (the snapshot in force, or a later one's allocation dated on or before the day).
//!
//! Numbers are drawn to hit ranges and blocks often: a prefix of the plan (a range's or a block's,
//! of any snapshot) cut or extended with random digits; days around every boundary of the plan
//! (periods of ranges and rule statements, allocation dates, register dates).

use numplan::artifact::{Answer, Artifact, CompileOptions, compile};
use numplan::date::Date;
use numplan::plan::{Block, Plan, Resolver};
use numplan::validate::check_dir;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// A plan, its compiled bytes, and what numbers and days to draw from.
struct Case {
    plan: Plan,
    bytes: Vec<u8>,
    /// Every range and block prefix.
    prefixes: Vec<String>,
    /// Every day the answer may change on.
    days: Vec<i32>,
}

fn case(dir: &str) -> Case {
    let checked = check_dir(&crate::util::repo(dir));
    let plan = checked
        .plan
        .unwrap_or_else(|| panic!("{dir} is valid: {:?}", checked.diagnostics));
    let bytes = compile(&plan, &CompileOptions::default()).expect("the plan compiles");
    let mut prefixes: Vec<String> = plan.ranges().iter().flat_map(|r| r.prefixes.clone()).collect();
    let snapshots = plan
        .history()
        .iter()
        .map(|s| &s.blocks[..])
        .chain([plan.blocks()]);
    prefixes.extend(snapshots.flatten().map(|b| b.prefix.clone()));
    prefixes.sort();
    prefixes.dedup();
    let mut days: Vec<Date> = Vec::new();
    let periods = plan.ranges().iter().map(|r| r.period).chain(
        plan.categories()
            .iter()
            .flat_map(|c| c.rules.iter().map(|s| s.period)),
    );
    for p in periods {
        days.extend(p.from);
        days.extend(p.until);
    }
    days.extend(plan.register_date());
    for s in plan.history() {
        days.push(s.date);
        days.extend(s.blocks.iter().filter_map(|b| b.allocated));
    }
    days.extend(plan.blocks().iter().filter_map(|b| b.allocated));
    let mut days: Vec<i32> = days.into_iter().map(Date::to_days).collect();
    days.sort_unstable();
    days.dedup();
    assert!(days.len() > 3, "{dir} has dated periods");
    Case {
        plan,
        bytes,
        prefixes,
        days,
    }
}

/// A national number: a plan prefix cut to `cut` digits (when shorter) and extended with `tail`,
/// or (`random`) `tail` alone.
fn number(prefixes: &[String]) -> impl Strategy<Value = String> + use<> {
    let prefixes = prefixes.to_vec();
    (
        0..prefixes.len(),
        0usize..=20,
        "[0-9]{0,8}",
        prop::bool::weighted(0.1),
    )
        .prop_map(move |(i, cut, tail, random)| {
            if random {
                return tail;
            }
            let p = &prefixes[i];
            let cut = if cut < 4 { cut } else { p.len() };
            let mut n = p[..cut.min(p.len())].to_string();
            n.push_str(&tail);
            n
        })
}

/// A day: a boundary of the plan, the day before or after it, or any day around them.
fn day(days: &[i32]) -> impl Strategy<Value = Date> + use<> {
    let days = days.to_vec();
    let (lo, hi) = (days[0] - 400, days[days.len() - 1] + 400);
    prop_oneof![
        4 => (0..days.len(), -1i32..=1).prop_map(move |(i, d)| days[i] + d),
        1 => lo..=hi,
    ]
    .prop_map(|d| Date::from_days(d).expect("a day of the calendar"))
}

/// The register row covering `number` on `day`, from the plan's register snapshots (oldest
/// first, the current register last): the snapshot in force is the latest published on or
/// before the day (before the first, the first; an undated register is never in force before the
/// others); a dated row of the next snapshot covers it if allocated on or before the day, else
/// the in-force snapshot's row if it started: a dated row on its allocation date, an undated one
/// on its snapshot's date (the oldest snapshot's since always).
fn expected_row<'p>(plan: &'p Plan, number: &str, day: Date) -> Option<&'p Block> {
    let snapshots: Vec<(Option<Date>, &[Block])> = plan
        .history()
        .iter()
        .map(|s| (Some(s.date), &s.blocks[..]))
        .chain([(plan.register_date(), plan.blocks())])
        .collect();
    let row = |i: usize| {
        snapshots[i]
            .1
            .iter()
            .find(|b| number.starts_with(b.prefix.as_str()))
    };
    let in_force = (0..snapshots.len())
        .rev()
        .find(|&i| snapshots[i].0.is_some_and(|d| d <= day))
        .unwrap_or(0);
    let next = (in_force + 1 < snapshots.len())
        .then(|| row(in_force + 1))
        .flatten()
        .filter(|b| b.allocated.is_some_and(|a| a <= day));
    next.or_else(|| {
        row(in_force).filter(|b| match b.allocated {
            Some(a) => a <= day,
            None => in_force == 0 || snapshots[in_force].0.is_some_and(|d| d <= day),
        })
    })
}

/// Compares the artifact's answer for `number` on `day` with the plan's.
fn compare(
    plan: &Plan,
    resolver: &Resolver<'_>,
    answer: Option<Answer<'_>>,
    number: &str,
    day: Date,
) -> Result<(), TestCaseError> {
    let ranges = resolver.ranges();
    let expected = resolver.at(number, day);
    let (Some(range), Some(answer)) = (expected, &answer) else {
        prop_assert_eq!(
            expected.map(|r| ranges[r].source.to_string()),
            answer.map(|a| a.range().source),
            "{} on {}: whether a range answers",
            number,
            day
        );
        return Ok(());
    };
    let r = &ranges[range];
    let found = answer.range();
    prop_assert_eq!(
        (found.numbers.to_string(), found.source),
        (r.numbers.to_string(), r.source.to_string()),
        "{} on {}: the range",
        number,
        day
    );
    let category = &plan.categories()[r.category];
    prop_assert_eq!(
        answer.category().id,
        category.id.as_str(),
        "{} on {}",
        number,
        day
    );
    prop_assert_eq!(
        answer.territory_id(),
        plan.territories()[r.territory].id.as_str(),
        "{} on {}",
        number,
        day
    );
    let lengths: Vec<usize> = r.lengths(plan).iter().map(|&l| usize::from(l)).collect();
    prop_assert_eq!(answer.category().lengths(), lengths, "{} on {}", number, day);
    let rules: Vec<(String, String)> = answer
        .rules()
        .into_iter()
        .map(|v| (v.rule.to_string(), v.value.to_string()))
        .collect();
    let expected_rules: Vec<(String, String)> = category
        .rules
        .iter()
        .filter(|s| s.period.contains(day))
        .map(|s| (plan.rules()[s.rule].id.clone(), s.value.clone()))
        .collect();
    prop_assert_eq!(rules, expected_rules, "{} on {}: rules in force", number, day);
    let holder = answer
        .holder()
        .map(|h| (h.block.clone(), h.code.to_string(), h.allocated));
    let row = expected_row(plan, number, day);
    let holding = row.filter(|b| b.operator.is_some());
    let expected_block = holding.and_then(|b| {
        Some((
            b.prefix.clone(),
            plan.operators()[b.operator?].code.clone(),
            b.allocated,
        ))
    });
    prop_assert_eq!(holder, expected_block, "{} on {}: the block", number, day);
    prop_assert_eq!(answer.is_allocated(), holding.is_some(), "{} on {}", number, day);
    prop_assert_eq!(
        answer.status(),
        row.and_then(|b| b.status.as_deref()),
        "{} on {}: the register status",
        number,
        day
    );
    Ok(())
}

/// Runs `cases` random comparisons on the plan in `dir`.
fn differential(dir: &str, cases: u32) {
    let case = case(dir);
    let artifact = Artifact::open(&case.bytes).expect("the artifact opens");
    artifact
        .verify(&Default::default())
        .expect("the artifact verifies");
    let resolver = case.plan.resolver();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (number(&case.prefixes), day(&case.days));
    let result = runner.run(&strategy, |(number, day)| {
        let answer = artifact.lookup_national(&number, day);
        compare(&case.plan, &resolver, answer, &number, day)
    });
    if let Err(e) = result {
        panic!("{dir}: {e}");
    }
}

#[test]
fn the_mini_artifact_answers_as_the_plan_says() {
    differential("tests/data/valid/mini", 4000);
}

/// Undated register rows with statuses (CNAC's format), a foreign territory, numbers written
/// without the national prefix.
#[test]
fn the_mini_nanp_artifact_answers_as_the_plan_says() {
    differential("tests/data/valid/mini-nanp", 4000);
}

#[test]
fn the_french_artifact_answers_as_the_plan_says() {
    differential("plan-sources/fr", 4000);
}

/// Statuses, undated rows over three snapshots, foreign numbers, a second country.
#[test]
fn the_canadian_artifact_answers_as_the_plan_says() {
    differential("plan-sources/ca", 4000);
}

/// The oracle can fail: a range that the artifact does not know of changes the plan's answer.
#[test]
fn the_oracle_sees_a_wrong_answer() {
    let case = case("tests/data/valid/mini");
    let artifact = Artifact::open(&case.bytes).expect("the artifact opens");
    let day = Date::new(2024, 6, 1).expect("a date");
    let number = case.plan.blocks()[0].prefix.clone() + "0000";
    let mut inner = case.plan.ranges()[0].clone();
    inner.prefixes = vec![number.clone()];
    inner.numbers = numplan::range::parse(&number).expect("digits");
    inner.period = Default::default();
    let mut ranges = case.plan.ranges().to_vec();
    let answer = artifact.lookup_national(&number, day);
    assert!(answer.is_some(), "{number} is in a range of the mini plan");
    let resolver = Resolver::new(&ranges);
    assert!(compare(&case.plan, &resolver, answer, &number, day).is_ok());
    ranges.push(inner);
    let resolver = Resolver::new(&ranges);
    let answer = artifact.lookup_national(&number, day);
    assert!(compare(&case.plan, &resolver, answer, &number, day).is_err());
}
