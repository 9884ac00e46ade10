//! Lookup speed: numplan against the `phonenumber` crate (libphonenumber's metadata in Rust), on
//! the same French numbers, in the same run; and the CLI streaming a million numbers to TSV.
//!
//! Run with `cargo bench --bench query`. Besides criterion's reports, it prints the medians per
//! lookup and their ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use numplan::artifact::{Artifact, Context};
use numplan::date::Date;
use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

/// 1,000 numbers inside blocks of the real register (every n-th block, a number inside it).
fn sample_numbers() -> Vec<String> {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/plan-sources/fr/MAJNUM.csv")).unwrap();
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(';').collect()).collect();
    let rows: Vec<&Vec<&str>> = rows.iter().filter(|r| r[1].len() == 10).collect();
    let step = rows.len() / 1000;
    rows.iter()
        .step_by(step)
        .take(1000)
        .enumerate()
        .map(|(i, r)| {
            // Mix the digits of the block's first and last numbers: a number inside the block.
            r[1].chars()
                .zip(r[2].chars())
                .enumerate()
                .map(|(k, (a, b))| if (i + k) % 3 == 0 { b } else { a })
                .collect()
        })
        .collect()
}

/// 1,000 Canadian numbers in held codes of the CNAC register (every n-th In Service row).
fn sample_canadian_numbers() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/plan-sources/ca/COCodeStatus-2024-10-10.csv"
    ))
    .unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("\"In Service\"")).collect();
    let step = rows.len() / 1000;
    rows.iter()
        .step_by(step)
        .take(1000)
        .enumerate()
        .map(|(i, l)| {
            let mut f = l.split(',');
            let (npa, nxx) = (f.next().unwrap(), f.next().unwrap());
            format!("{npa}{nxx}{:04}", (i * 7919) % 10_000)
        })
        .collect()
}

/// Median nanoseconds per call of `f` over `numbers`, from 31 passes.
fn median_ns(numbers: &[String], mut f: impl FnMut(&str)) -> f64 {
    let mut passes: Vec<f64> = (0..31)
        .map(|_| {
            let start = Instant::now();
            for n in numbers {
                f(n);
            }
            start.elapsed().as_nanos() as f64 / numbers.len() as f64
        })
        .collect();
    passes.sort_by(f64::total_cmp);
    passes[passes.len() / 2]
}

fn lookups(c: &mut Criterion) {
    let plan = Artifact::open(numplan::embedded::FR).unwrap();
    plan.verify(&Default::default()).unwrap();
    let day = Date::new(2026, 11, 28).unwrap();
    let numbers = sample_numbers();
    // Both sides must understand the numbers, or the comparison is meaningless.
    let db = &*phonenumber::metadata::DATABASE;
    let fr = Some(phonenumber::country::Id::FR);
    let understood = numbers.iter().filter(|n| plan.lookup(n, day).is_ok()).count();
    let peer_understood = numbers
        .iter()
        .filter(|n| phonenumber::parse(fr, n).is_ok_and(|p| p.number_type(db) != phonenumber::Type::Unknown))
        .count();

    // A client resolves the use it asks about once, then asks per number: the verdict (with the
    // plan's requirements, the register on the day, the category's statement and conditions).
    let automated = plan.use_row("automated-voice").unwrap();
    let ctx = Context::default();
    let ours = median_ns(&numbers, |n| {
        black_box(
            plan.lookup(black_box(n), day)
                .ok()
                .map(|f| f.answer.verdict(automated, &ctx)),
        );
    });
    let national = median_ns(&numbers, |n| {
        black_box(plan.lookup_national(black_box(n), day).map(|a| a.category().id));
    });
    let peer = median_ns(&numbers, |n| {
        black_box(
            phonenumber::parse(fr, black_box(n))
                .map(|p| p.number_type(db))
                .ok(),
        );
    });
    eprintln!(
        "\nlookup medians over {} register numbers (31 passes):",
        numbers.len()
    );
    eprintln!(
        "  numplan lookup (normalise + find + validate + verdict) {ours:8.1} ns   understood {understood}"
    );
    eprintln!("  numplan lookup_national (find only)                  {national:8.1} ns");
    eprintln!(
        "  peer: phonenumber parse + number_type                {peer:8.1} ns   understood {peer_understood}"
    );
    eprintln!("  ratio peer / numplan lookup: {:.1}x\n", peer / ours);

    // The Canadian plan, in the same run: the same lookup, 1,000 numbers of held CO codes.
    let ca_bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/generated/ca.npa")).unwrap();
    let ca = Artifact::open(&ca_bytes).unwrap();
    ca.verify(&Default::default()).unwrap();
    let ca_numbers = sample_canadian_numbers();
    let ca_voice = ca.use_row("voice").unwrap();
    let ca_understood = ca_numbers.iter().filter(|n| ca.lookup(n, day).is_ok()).count();
    let ca_ours = median_ns(&ca_numbers, |n| {
        black_box(
            ca.lookup(black_box(n), day)
                .ok()
                .map(|f| f.answer.verdict(ca_voice, &ctx)),
        );
    });
    let ca_national = median_ns(&ca_numbers, |n| {
        black_box(ca.lookup_national(black_box(n), day).map(|a| a.category().id));
    });
    let ca_region = Some(phonenumber::country::Id::CA);
    let ca_peer = median_ns(&ca_numbers, |n| {
        black_box(
            phonenumber::parse(ca_region, black_box(n))
                .map(|p| p.number_type(db))
                .ok(),
        );
    });
    eprintln!(
        "lookup medians over {} Canadian register numbers:",
        ca_numbers.len()
    );
    eprintln!(
        "  numplan lookup (normalise + find + validate + verdict) {ca_ours:8.1} ns   understood {ca_understood}"
    );
    eprintln!("  numplan lookup_national (find only)                  {ca_national:8.1} ns");
    eprintln!("  peer: phonenumber parse + number_type                {ca_peer:8.1} ns");
    eprintln!(
        "  Canadian / French lookup: {:.2} (find only {:.2})\n",
        ca_ours / ours,
        ca_national / national
    );

    let mut g = c.benchmark_group("lookup");
    let mut i = 0;
    g.bench_function("numplan/lookup", |b| {
        b.iter(|| {
            i = (i + 1) % numbers.len();
            black_box(
                plan.lookup(black_box(&numbers[i]), day)
                    .ok()
                    .map(|f| f.answer.verdict(automated, &ctx)),
            )
        })
    });
    g.bench_function("numplan/lookup_national", |b| {
        b.iter(|| {
            i = (i + 1) % numbers.len();
            black_box(
                plan.lookup_national(black_box(&numbers[i]), day)
                    .map(|a| a.category().id),
            )
        })
    });
    g.bench_function("peer/phonenumber_parse_number_type", |b| {
        b.iter(|| {
            i = (i + 1) % numbers.len();
            black_box(
                phonenumber::parse(fr, black_box(&numbers[i]))
                    .map(|p| p.number_type(db))
                    .ok(),
            )
        })
    });
    g.finish();
}

/// The CLI end to end: a million numbers on stdin, TSV on stdout.
fn streaming(c: &mut Criterion) {
    let numbers = sample_numbers();
    let mut input = Vec::with_capacity(12_000_000);
    for i in 0..1_000_000 {
        let n = &numbers[i % numbers.len()];
        match i % 4 {
            0 | 1 => input.extend_from_slice(n.as_bytes()),
            2 => input.extend_from_slice(format!("+33 {}", &n[1..]).as_bytes()),
            _ => input.extend_from_slice(
                format!("{} {} {} {} {}", &n[0..2], &n[2..4], &n[4..6], &n[6..8], &n[8..]).as_bytes(),
            ),
        }
        input.push(b'\n');
    }
    let run = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
            .args(["query", "--format", "tsv", "--at", "2026-11-28", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = input.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 1_000_001);
    };
    let mut g = c.benchmark_group("cli");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("query_tsv_1M_stdin", |b| b.iter(run));
    g.finish();
}

criterion_group!(benches, lookups, streaming);
criterion_main!(benches);
