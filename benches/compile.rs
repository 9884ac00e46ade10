//! Acceptance figures of `numplan compile` on the French plan (plan-sources/fr, the full register),
//! each against a named peer measured in the same run.
//!
//! Groups:
//! - `check_fr`: `validate::check_dir` (load, parse, validate) of plan-sources/fr;
//! - `compile_fr`: check, then `artifact::compile` (target: under 1 s);
//! - `compile_only_fr`: `artifact::compile` of an already validated plan;
//! - `peer`: what a typical tool does with the same register: `csv_crate_btreemap` reads
//!   MAJNUM.csv with the `csv` crate (latin-1 bytes, `;`, byte records) into a
//!   `BTreeMap<prefix, (operator, territory)>`; `flate2_gzip` gzips MAJNUM.csv at the default
//!   level (the cost of the size baseline).
//!
//! At start, the size table (artifact against MAJNUM.csv and its gzip) is printed on stderr, then
//! the medians of `check_fr`, `compile_fr` and the `csv_crate_btreemap` peer, measured in the
//! same run, and their ratios. Ten million synthetic blocks: `cargo xtask synth` and
//! `/usr/bin/time -v numplan compile` (see CHANGELOG.md for the figures).
//!
//! Run: `cargo bench --bench compile` (about a minute on 2 cores).

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::GzEncoder;
use numplan::artifact::{self, CompileOptions};
use numplan::plan::Plan;
use numplan::validate;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn plan_dir() -> PathBuf {
    root().join("plan-sources/fr")
}

fn majnum_path() -> PathBuf {
    plan_dir().join("MAJNUM.csv")
}

/// The validated French plan; the benchmarks are meaningless without it.
fn checked_plan() -> Plan {
    let checked = validate::check_dir(&plan_dir());
    match checked.plan {
        Some(plan) => plan,
        None => panic!("plan-sources/fr has {} errors", checked.error_count()),
    }
}

fn compile(plan: &Plan) -> Vec<u8> {
    artifact::compile(plan, &CompileOptions::default()).expect("the French plan compiles")
}

/// gzip at the default level (6, as `gzip -6`), with flate2's pure-Rust backend.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    e.write_all(bytes).expect("writing to memory does not fail");
    e.finish().expect("writing to memory does not fail")
}

/// The peer's register reader: MAJNUM.csv with the `csv` crate, prefix → (operator, territory).
fn csv_btreemap(bytes: &[u8]) -> BTreeMap<String, (String, String)> {
    // Latin-1 is the first 256 code points of Unicode: each byte is one char.
    fn latin1(b: &[u8]) -> String {
        b.iter().map(|&c| char::from(c)).collect()
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(true)
        .from_reader(bytes);
    let mut map = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .expect("MAJNUM.csv is valid CSV")
    {
        let (Some(prefix), Some(operator), Some(territory)) = (record.get(0), record.get(3), record.get(4))
        else {
            panic!("a MAJNUM.csv row has fewer than 5 fields");
        };
        map.insert(latin1(prefix), (latin1(operator), latin1(territory)));
    }
    map
}

/// The size table, printed once.
fn size_table() {
    let plan = checked_plan();
    let artifact = compile(&plan);
    let committed = std::fs::read(root().join("generated/fr.npa")).ok();
    let majnum = std::fs::read(majnum_path()).expect("MAJNUM.csv is readable");
    let majnum_gz = gzip(&majnum);
    let artifact_gz = gzip(&artifact);
    let ratio = |a: usize, b: usize| a as f64 / b as f64;
    let pct = |a: usize, b: usize| 100.0 * ratio(a, b);
    let committed_note = match &committed {
        Some(c) if *c == artifact => "same bytes as generated/fr.npa".to_string(),
        Some(c) => format!(
            "generated/fr.npa differs: {} bytes (stale? run `cargo xtask generate`)",
            c.len()
        ),
        None => "generated/fr.npa is missing".to_string(),
    };
    eprintln!(
        "\nsize table (plan-sources/fr: {} register blocks, {} ranges)\n\
         {:<36} {:>10}  {:>9}  {:>9}\n\
         {:<36} {:>10}  {:>8.1}%  {:>8.1}%   ({committed_note})\n\
         {:<36} {:>10}  {:>8.1}%  {:>8.1}%\n\
         {:<36} {:>10}  {:>8.1}%  {:>8.1}%\n\
         {:<36} {:>10}  {:>8.1}%  {:>8.1}%\n\
         artifact / MAJNUM.csv = {:.3}; artifact / MAJNUM.csv.gz = {:.3}; \
         MAJNUM.csv / artifact = {:.2}x\n",
        plan.blocks().len(),
        plan.ranges().len(),
        "file",
        "bytes",
        "of CSV",
        "of CSV.gz",
        "artifact (numplan compile)",
        artifact.len(),
        pct(artifact.len(), majnum.len()),
        pct(artifact.len(), majnum_gz.len()),
        "MAJNUM.csv (raw register)",
        majnum.len(),
        100.0,
        pct(majnum.len(), majnum_gz.len()),
        "MAJNUM.csv gzip -6 (flate2)",
        majnum_gz.len(),
        pct(majnum_gz.len(), majnum.len()),
        100.0,
        "artifact gzip -6 (flate2, reference)",
        artifact_gz.len(),
        pct(artifact_gz.len(), majnum.len()),
        pct(artifact_gz.len(), majnum_gz.len()),
        ratio(artifact.len(), majnum.len()),
        ratio(artifact.len(), majnum_gz.len()),
        ratio(majnum.len(), artifact.len()),
    );
    eprintln!(
        "peer csv_crate_btreemap reads {} MAJNUM.csv blocks (numplan: {} blocks, MAJNUM + MAJNFB)\n",
        csv_btreemap(&majnum).len(),
        plan.blocks().len()
    );
}

/// The median wall time of `runs` runs of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The medians of checking and compiling the French plan and of the peer reading the same
/// MAJNUM.csv, measured in one run, and their ratios, on stderr.
fn ratio_table() {
    const RUNS: usize = 11;
    let dir = plan_dir();
    let majnum = majnum_path();
    let check = median_ms(RUNS, || {
        black_box(validate::check_dir(black_box(&dir)));
    });
    let check_compile = median_ms(RUNS, || {
        let plan = validate::check_dir(black_box(&dir)).plan.expect("valid");
        black_box(compile(&plan));
    });
    let peer = median_ms(RUNS, || {
        let bytes = std::fs::read(black_box(&majnum)).expect("MAJNUM.csv is readable");
        black_box(csv_btreemap(&bytes));
    });
    eprintln!(
        "medians of {RUNS} runs (plan-sources/fr):
           numplan check_dir              {check:8.1} ms
           numplan check_dir + compile    {check_compile:8.1} ms
           peer csv_crate_btreemap        {peer:8.1} ms (MAJNUM.csv only)
           ratio check / peer: {:.1}x; check + compile / peer: {:.1}x
",
        check / peer,
        check_compile / peer
    );
}

fn configure<'c>(
    c: &'c mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    // Flat sampling: every sample runs the same number of iterations; these benchmarks take
    // tens of milliseconds, too long for linear sampling's 1+2+…+10 iterations in 3 s.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g
}

fn benches(c: &mut Criterion) {
    size_table();
    ratio_table();
    let dir = plan_dir();

    let mut g = configure(c, "check_fr");
    g.bench_function("numplan_check_dir", |b| {
        b.iter(|| validate::check_dir(black_box(&dir)))
    });
    g.finish();

    let mut g = configure(c, "compile_fr");
    g.bench_function("numplan_check_dir_and_compile", |b| {
        b.iter(|| {
            let plan = validate::check_dir(black_box(&dir)).plan.expect("valid");
            compile(&plan)
        })
    });
    g.finish();

    let plan = checked_plan();
    let mut g = configure(c, "compile_only_fr");
    g.bench_function("numplan_compile", |b| b.iter(|| compile(black_box(&plan))));
    g.finish();

    // The peers read the file inside the loop, as check_dir does.
    let majnum = majnum_path();
    let mut g = configure(c, "peer");
    g.bench_function("csv_crate_btreemap", |b| {
        b.iter(|| {
            let bytes = std::fs::read(black_box(&majnum)).expect("MAJNUM.csv is readable");
            csv_btreemap(&bytes)
        })
    });
    g.bench_function("flate2_gzip", |b| {
        b.iter(|| {
            let bytes = std::fs::read(black_box(&majnum)).expect("MAJNUM.csv is readable");
            gzip(&bytes)
        })
    });
    g.finish();
}

criterion_group!(compile_benches, benches);
criterion_main!(compile_benches);
