//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! Tasks:
//! - `generate [--check]`: compile every plan of `plan-sources/` into `generated/` (with `--check`,
//!   fail when `generated/` is stale instead of writing).
//! - `check-plans`: run `numplan check` on every plan under `plan-sources/`.
//! - `synth --blocks N --out DIR`: write a synthetic, valid plan directory with N register blocks
//!   (the French plan's sources, with a generated MAJNUM.csv), for the compile benchmarks.

mod generate;

use numplan::date::Date;
use numplan::plan::Plan;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate"] => generate(false),
        ["generate", "--check"] => generate(true),
        ["check-plans"] => check_plans(),
        ["synth", rest @ ..] => match synth_args(rest) {
            Some((blocks, out)) => synth(blocks, &out),
            None => usage(),
        },
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <task>\n\ntasks:\n  generate [--check]   compile plan-sources/ into generated/ (--check: fail if stale)\n  check-plans          run `numplan check` on every plan in plan-sources/\n  synth --blocks N --out DIR\n                       write a valid synthetic plan with N register blocks into DIR"
    );
    ExitCode::from(2)
}

fn generate(check: bool) -> ExitCode {
    match generate::generate(&root(), check) {
        Ok(report) => {
            for f in &report.changed {
                println!("wrote {f}");
            }
            for f in &report.unchanged {
                println!("up to date: {f}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask generate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `numplan check` on each plan directory of `plan-sources/`.
fn check_plans() -> ExitCode {
    let root = root();
    let dirs = match generate::plan_dirs(&root) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("xtask: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    for dir in dirs {
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["run", "--quiet", "--release", "--bin", "numplan", "--", "check"])
            .arg(&dir)
            .status();
        ok &= matches!(status, Ok(s) if s.success());
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `plan.yaml`'s text without the register's `history:` entry (its key, the lines indented under
/// it, and the comment lines just above it); `None` when there is none.
fn without_history(plan: &str) -> Option<String> {
    let lines: Vec<&str> = plan.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let at = lines.iter().position(|l| l.trim() == "history:")?;
    let own = indent(lines[at]);
    let mut start = at;
    while start > 0 && lines[start - 1].trim_start().starts_with('#') && indent(lines[start - 1]) == own {
        start -= 1;
    }
    let mut end = at + 1;
    while end < lines.len() && (lines[end].trim().is_empty() || indent(lines[end]) > own) {
        end += 1;
    }
    let mut out: Vec<&str> = lines[..start].to_vec();
    out.extend(&lines[end..]);
    Some(out.join("\n") + "\n")
}

/// `--blocks N --out DIR`, in either order.
fn synth_args(args: &[&str]) -> Option<(usize, PathBuf)> {
    let (mut blocks, mut out) = (None, None);
    let mut it = args.iter();
    while let Some(&flag) = it.next() {
        match (flag, it.next()) {
            ("--blocks", Some(n)) => blocks = Some(n.replace(['_', ','], "").parse().ok()?),
            ("--out", Some(dir)) => out = Some(PathBuf::from(dir)),
            _ => return None,
        }
    }
    Some((blocks?, out?))
}

/// The register's most frequent operators in 01–05 and 09 (MAJNUM 2026-04-17), with their block
/// counts there, used as weights.
const SYNTH_OPERATORS: [(&str, u32); 12] = [
    ("SFR0", 2800),
    ("COMP", 2418),
    ("FRTE", 974),
    ("FREE", 673),
    ("LEGO", 605),
    ("OPEN", 580),
    ("BOUY", 512),
    ("PJT3", 480),
    ("COLT", 421),
    ("OVH", 415),
    ("UPCF", 349),
    ("MCI", 334),
];

/// Prefixes that lie in a plain range but are not numbers users dial (ranges.yaml: "Not
/// modelled"): mobile and special-number routing prefixes. Arcep allocates no block there.
const SYNTH_ROUTING: [&str; 17] = [
    "0509", "0510", "0511", "0512", "0513", "0514", "0515", "0526", "0527", "0528", "0529", "0530", "05230",
    "05231", "05232", "05233", "05234",
];

/// A small deterministic generator (xorshift64*): the same N gives the same register.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The 6-digit prefixes (10,000 ten-digit numbers each) of 01–05 and 09 where only the plain
/// `polyvalent` / `metropole` ranges, undated, apply: no NPV, intérêt-général, platform, extended
/// or overseas range contains or overlaps them, so a block there passes every register check at
/// any allocation date. Found from the plan itself rather than a hand-written list.
fn plain_prefixes(plan: &Plan) -> Result<Vec<String>, String> {
    let plain = |i: usize| {
        let r = &plan.ranges()[i];
        plan.categories()[r.category].id == "polyvalent"
            && plan.territories()[r.territory].id == "metropole"
            && r.period == Default::default()
    };
    let range_prefixes: Vec<(&str, usize)> = plan
        .ranges()
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.prefixes.iter().map(move |p| (p.as_str(), i)))
        .collect();
    let mut out = Vec::new();
    for family in ["01", "02", "03", "04", "05", "09"] {
        for n in 0..10_000 {
            let c = format!("{family}{n:04}");
            if SYNTH_ROUTING.iter().any(|r| c.starts_with(r)) {
                continue;
            }
            let mut touching = range_prefixes
                .iter()
                .filter(|(p, _)| p.starts_with(&c) || c.starts_with(p))
                .peekable();
            if touching.peek().is_some() && touching.all(|&(_, i)| plain(i)) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        return Err("no plain polyvalent/metropole prefix in 01-05 or 09".into());
    }
    Ok(out)
}

/// Writes a synthetic plan: the French plan's sources with a MAJNUM.csv of `blocks` blocks.
///
/// The blocks are spread evenly over the plain 6-digit prefixes of 01–05 and 09 (see
/// [`plain_prefixes`]). Each prefix gets `c` blocks: one 10,000-number block (6-digit EZABPQM)
/// when `c` is 1; else up to ten 1,000-number blocks (7 digits), some of them split into ten
/// 100-number blocks (8 digits) when `c` is over 10; past 100, all hundred 100-number blocks,
/// some of them split into ten 10-number blocks (9 digits). The French plan takes such blocks:
/// validation checks a block's number length (10 digits in these ranges) against its category's,
/// not the length of its prefix, and Arcep's register has prefixes of 4 to 9 digits. So the mix
/// of sizes follows `blocks`: the ~56,000 plain prefixes hold at most ~56 million blocks;
/// 1,000,000 blocks come out as ~505,000 of 1,000 numbers and ~495,000 of 100 (56 MB), 10,000,000
/// as ~4.4 million of 100 and ~5.6 million of 10 (about 580 MB). MAJNUM.csv is over the default
/// register size limit (`MAX_REGISTER_BYTES`, 64 MiB) past about 1.186 million blocks: `check`
/// and `compile` read it with `--max-register-size`. Output is deterministic.
///
/// The synthetic register is the plan's only snapshot: `plan.yaml`'s `history` (the real register
/// of July 2025) is left out, as in a national portability database, which is one snapshot. Kept,
/// it would disagree with nearly every synthetic block (its real blocks cover the same prefixes
/// with other holders), giving every key a history of transfers no real register has.
fn synth(blocks: usize, out: &Path) -> ExitCode {
    match write_synth(blocks, out) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask synth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_synth(blocks: usize, out: &Path) -> Result<String, String> {
    let src = root().join("plan-sources/fr");
    let checked = numplan::validate::check_dir(&src);
    let plan = checked
        .plan
        .ok_or_else(|| format!("{} has errors; run `cargo xtask check-plans`", src.display()))?;
    for (code, _) in SYNTH_OPERATORS {
        if !plan.operators().iter().any(|o| o.code == code) {
            return Err(format!(
                "operator {code} is not in the French plan's operator lists"
            ));
        }
    }
    let territory = plan
        .territory("metropole")
        .and_then(|t| t.register_names.first())
        .ok_or("the French plan has no `metropole` territory")?;
    let territory =
        numplan::register::encode_latin1(territory).ok_or("the metropole register name is not latin-1")?;
    let prefixes = plain_prefixes(&plan)?;
    let capacity = prefixes.len() * 1000;
    if blocks > capacity {
        return Err(format!(
            "at most {capacity} blocks fit ({} prefixes of 10,000 numbers, in 10-number blocks)",
            prefixes.len()
        ));
    }
    // Allocation dates: from 1997-01-01 to the plan's version date (the plain ranges are undated).
    let first = Date::new(1997, 1, 1).ok_or("bad date")?.to_days();
    let last = Date::parse(plan.version())
        .map_err(|e| format!("plan version `{}` is not a date: {e}", plan.version()))?
        .to_days();
    let weights: u64 = SYNTH_OPERATORS.iter().map(|&(_, w)| u64::from(w)).sum();

    let mut rng = Rng(0x6e75_6d70_6c61_6e21);
    let mut csv: Vec<u8> = Vec::with_capacity(64 * (blocks + 1));
    let header = numplan::register::MAJNUM_COLUMNS.join(";");
    csv.extend(numplan::register::encode_latin1(&header).ok_or("the MAJNUM header is not latin-1")?);
    csv.push(b'\n');
    let mut sizes = [0usize; 4]; // 10k, 1k, 100, 10
    let mut row = |csv: &mut Vec<u8>, prefix: &str, rng: &mut Rng| {
        let mut pick = rng.below(weights);
        let op = SYNTH_OPERATORS
            .iter()
            .find(|&&(_, w)| {
                let hit = pick < u64::from(w);
                pick = pick.saturating_sub(u64::from(w));
                hit
            })
            .map_or("FRTE", |&(c, _)| c);
        let day = first + rng.below((last - first + 1) as u64) as i32;
        let date = Date::from_days(day).map_or_else(String::new, Date::to_dmy);
        let pad = 10 - prefix.len();
        csv.extend(prefix.as_bytes());
        csv.push(b';');
        csv.extend(prefix.as_bytes());
        csv.extend(std::iter::repeat_n(b'0', pad));
        csv.push(b';');
        csv.extend(prefix.as_bytes());
        csv.extend(std::iter::repeat_n(b'9', pad));
        csv.push(b';');
        csv.extend(op.as_bytes());
        csv.push(b';');
        csv.extend(&territory);
        csv.push(b';');
        csv.extend(date.as_bytes());
        csv.push(b'\n');
        sizes[prefix.len() - 6] += 1;
    };
    // Spread evenly: prefix i gets round((i+1)·m) − round(i·m) blocks, m = blocks / prefixes.
    let n = prefixes.len() as u128;
    let share = |i: usize| (i as u128 * blocks as u128 * 2 + n) / (2 * n);
    for (i, p) in prefixes.iter().enumerate() {
        let c = (share(i + 1) - share(i)) as usize;
        match c {
            0 => {}
            1 => row(&mut csv, p, &mut rng),
            101.. => {
                // The hundred 100-number sub-prefixes; the first k of them hold ten 10-number
                // blocks instead (the last of those possibly only some, at least two), so that
                // the count is exactly c: (100 - k) hundreds + `tens` tens.
                let k = (c - 100).div_ceil(9);
                let mut tens = c - (100 - k);
                for jh in 0..100 {
                    if jh < k {
                        for t in 0..tens.min(10) {
                            row(&mut csv, &format!("{p}{jh:02}{t}"), &mut rng);
                        }
                        tens = tens.saturating_sub(10);
                    } else {
                        row(&mut csv, &format!("{p}{jh:02}"), &mut rng);
                    }
                }
            }
            _ => {
                // Up to ten 1,000-number sub-prefixes; past 10 blocks, the first k of them hold
                // 100-number blocks instead (the last of those possibly only some), so that the
                // count is exactly c: (10 - k) thousands + `hundreds` hundreds.
                let k = c.saturating_sub(10).div_ceil(9);
                let mut hundreds = c.saturating_sub(10 - k);
                let thousands = c - hundreds;
                for j in 0..k {
                    for h in 0..hundreds.min(10) {
                        row(&mut csv, &format!("{p}{j}{h}"), &mut rng);
                    }
                    hundreds = hundreds.saturating_sub(10);
                }
                for j in k..k + thousands {
                    row(&mut csv, &format!("{p}{j}"), &mut rng);
                }
            }
        }
    }
    let written: usize = sizes.iter().sum();
    if written != blocks {
        return Err(format!("internal error: wrote {written} blocks, not {blocks}"));
    }
    // Over the default register limit, `check` and `compile` need a larger one.
    let option = if csv.len() as u64 > numplan::load::MAX_REGISTER_BYTES {
        format!(" --max-register-size {}MiB", (csv.len() as u64).div_ceil(1 << 20))
    } else {
        String::new()
    };

    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let entries = std::fs::read_dir(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", src.display()))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = name.ends_with(".yaml") || name.ends_with(".csv");
        if name == "plan.yaml" {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
            let text = without_history(&text).ok_or("plan.yaml has no `history:` under `register:`")?;
            std::fs::write(out.join(&name), text).map_err(|e| format!("cannot write {name}: {e}"))?;
        } else if source && name != "MAJNUM.csv" && !name.starts_with("MAJNUM-") {
            std::fs::copy(&path, out.join(&name)).map_err(|e| format!("cannot copy {name}: {e}"))?;
        }
    }
    let majnum = out.join("MAJNUM.csv");
    numplan::fsutil::write_atomic(&majnum, &csv, numplan::fsutil::Mode::Public)
        .map_err(|e| format!("cannot write {}: {e}", majnum.display()))?;
    Ok(format!(
        "wrote {}: {blocks} blocks ({} of 10,000 numbers, {} of 1,000, {} of 100, {} of 10) over {} plain \
         prefixes, MAJNUM.csv {} bytes; check it with `numplan check{option} {}`",
        out.display(),
        sizes[0],
        sizes[1],
        sizes[2],
        sizes[3],
        prefixes.len(),
        csv.len(),
        out.display()
    ))
}

#[cfg(test)]
mod synth_tests {
    use super::*;

    /// A synthetic plan checks and compiles, with as many blocks as asked, in one snapshot, and
    /// every block inside the plain prefixes it was spread over.
    #[test]
    fn a_synthetic_plan_checks_with_its_blocks_in_one_snapshot() {
        let out = std::env::temp_dir().join(format!("numplan-synth-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let blocks = 12_345;
        write_synth(blocks, &out).expect("synth writes");
        let checked = numplan::validate::check_dir(&out);
        let plan = checked.plan.expect("the synthetic plan is valid");
        // The synthetic MAJNUM.csv, and MAJNFB.csv (copied): one block a line after the header.
        let majnfb = std::fs::read(out.join("MAJNFB.csv")).unwrap();
        let majnfb = majnfb.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() - 1;
        assert_eq!(plan.block_count(), blocks + majnfb);
        assert_eq!(plan.history_len(), 0);
        let real = numplan::validate::check_dir(&root().join("plan-sources/fr"))
            .plan
            .unwrap();
        let prefixes = plain_prefixes(&real).unwrap();
        let synthetic = plan
            .blocks()
            .iter()
            .filter(|b| prefixes.iter().any(|p| b.prefix.starts_with(p.as_str())));
        assert_eq!(synthetic.count(), blocks);
        let bytes = numplan::artifact::compile(&plan, &Default::default()).expect("it compiles");
        assert!(numplan::artifact::Artifact::open(&bytes).is_ok());
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn the_history_entry_and_its_comments_are_left_out() {
        let plan = "files:\n  register:\n    date: 2026-04-17\n    # older ones\n    history:\n      # a comment\n      - date: 2025-07-03\n\n        blocks: [a.csv]\n  other: 1\nlast: 2\n";
        assert_eq!(
            without_history(plan).unwrap(),
            "files:\n  register:\n    date: 2026-04-17\n  other: 1\nlast: 2\n"
        );
        assert_eq!(without_history("a: 1\n"), None);
    }
}
