//! Lookup speed: numplan against the `phonenumber` crate (libphonenumber's metadata in Rust), on
//! the same French numbers, in the same run; and the CLI streaming a million numbers, JSON Lines
//! and TSV, against a named peer.
//!
//! Run with `cargo bench --bench query` (about 3 minutes on 2 cores). Besides criterion's
//! reports, it prints on stderr:
//!
//! - the medians per lookup and their ratio (numplan, `phonenumber` parse + number type);
//! - end to end, the median of 5 runs of the release binary (`numplan query --format json -` and
//!   `--format tsv -`, 1 M register numbers on stdin in four written forms, answers to
//!   `/dev/null`: reading, answering and writing, without a reader's cost) in numbers a second,
//!   against the peer: the `phonenumber` crate parsing each number of the same input, formatting
//!   it E.164 and writing one serde_json line per number (input, E.164, valid, type) to a sink,
//!   in process (so without the pipe and process start the CLI pays), median of 3 runs; and the
//!   ratios. Also JSON over 1 M lines cycling over the first number of every register block
//!   (19,684 index keys, where the sample touches 1,000: each key's tail is made once), median
//!   of 3.
//!
//! One JSON run is also checked: its lines, one per number, each a JSON object that says whether
//! the number is valid.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use numplan::artifact::{Artifact, Context};
use numplan::date::Date;
use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "common/sample.rs"]
mod sample;
use sample::sample_numbers;

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

/// A million numbers from [`sample_numbers`], one a line, in four written forms: `0162123456`
/// (half), `+33 162123456`, `01 62 12 34 56`.
fn stream_input() -> Vec<u8> {
    let numbers = sample_numbers();
    let mut input = Vec::with_capacity(12_000_000);
    for i in 0..STREAMED {
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
    input
}

/// The numbers streamed through the CLI.
const STREAMED: usize = 1_000_000;

/// Runs `numplan query --format FORMAT --at 2026-11-28 -` on `input`, its answers to `stdout`;
/// the seconds it took, from start to exit.
fn run_cli(format: &str, input: &[u8], stdout: Stdio) -> (f64, Vec<u8>) {
    let data = input.to_vec();
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .args(["query", "--format", format, "--at", "2026-11-28", "-"])
        .stdin(Stdio::piped())
        .stdout(stdout)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    writer.join().unwrap().unwrap();
    // 0: every number valid; 1: some are not (a few of the `+33` forms); anything else failed.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{format}: {}",
        out.status
    );
    (seconds, out.stdout)
}

/// The median of `runs` timings of `f`, in seconds.
fn median_s(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut times: Vec<f64> = (0..runs).map(|_| f()).collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The peer's line per number: what `phonenumber` says of it, as JSON.
#[derive(serde::Serialize)]
struct PeerLine<'x> {
    input: &'x str,
    e164: Option<String>,
    valid: bool,
    r#type: &'static str,
}

/// The peer on `input`: `phonenumber` parses each line (as a French number), formats it E.164,
/// judges it valid and typed, and serde_json writes a line of it to a buffered sink; seconds.
fn run_peer(input: &[u8]) -> f64 {
    use phonenumber::{Mode, Type};
    let db = &*phonenumber::metadata::DATABASE;
    let fr = Some(phonenumber::country::Id::FR);
    let start = Instant::now();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::sink());
    for line in input.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let line = match phonenumber::parse(fr, text) {
            Ok(p) => PeerLine {
                input: text,
                e164: Some(p.format().mode(Mode::E164).to_string()),
                valid: p.is_valid_with(db),
                r#type: match p.number_type(db) {
                    Type::FixedLine => "fixed-line",
                    Type::Mobile => "mobile",
                    Type::FixedLineOrMobile => "fixed-line-or-mobile",
                    Type::TollFree => "toll-free",
                    Type::PremiumRate => "premium-rate",
                    Type::SharedCost => "shared-cost",
                    Type::Voip => "voip",
                    Type::Unknown => "unknown",
                    _ => "other",
                },
            },
            Err(_) => PeerLine {
                input: text,
                e164: None,
                valid: false,
                r#type: "unknown",
            },
        };
        serde_json::to_writer(&mut out, &line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    black_box(&out);
    start.elapsed().as_secs_f64()
}

/// The CLI end to end, a million numbers on stdin: JSON Lines and TSV against the peer (medians
/// on stderr), then TSV on stdout read back, under criterion.
/// [`STREAMED`] lines cycling over the first number of every block of 10-digit numbers in the
/// register (19,684): every index key's JSON tail is made once, then kept (a stream over the
/// whole number space, where the 1,000 sample numbers touch 1,000 keys).
fn every_block_input() -> Vec<u8> {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/plan-sources/fr/MAJNUM.csv")).unwrap();
    let firsts: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .skip(1)
        .filter_map(|row| row.split(|&b| b == b';').nth(1))
        .filter(|n| n.len() == 10)
        .collect();
    let mut input = Vec::with_capacity(STREAMED * 11);
    for n in firsts.iter().cycle().take(STREAMED) {
        input.extend_from_slice(n);
        input.push(b'\n');
    }
    input
}

fn streaming(c: &mut Criterion) {
    let input = stream_input();
    // One JSON run checked, on the first 20,000 numbers: a JSON object per number, in order.
    let checked: Vec<&[u8]> = input.split(|&b| b == b'\n').take(20_000).collect();
    let mut sample = checked.join(&b'\n');
    sample.push(b'\n');
    let (_, json) = run_cli("json", &sample, Stdio::piped());
    let lines: Vec<&[u8]> = json.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), checked.len());
    let mut valid = 0;
    for (line, asked) in lines.iter().zip(&checked) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(v["input"].as_str().map(str::as_bytes), Some(*asked));
        valid += usize::from(v["valid"] == true);
    }
    assert!(
        valid > checked.len() * 9 / 10,
        "{valid} valid of {}",
        checked.len()
    );

    let json = median_s(5, || run_cli("json", &input, Stdio::null()).0);
    let wide = every_block_input();
    let json_wide = median_s(3, || run_cli("json", &wide, Stdio::null()).0);
    let tsv = median_s(5, || run_cli("tsv", &input, Stdio::null()).0);
    let peer = median_s(3, || run_peer(&input));
    let rate = |s: f64| STREAMED as f64 / s / 1e6;
    eprintln!("\nend to end, {STREAMED} register numbers on stdin (medians):");
    eprintln!(
        "  numplan query --format json, to /dev/null  {json:6.3} s  {:5.2} M numbers/s",
        rate(json)
    );
    eprintln!(
        "  numplan query --format json, every block of the register in turn  {json_wide:6.3} s  {:5.2} M numbers/s",
        rate(json_wide)
    );
    eprintln!(
        "  numplan query --format tsv, to /dev/null   {tsv:6.3} s  {:5.2} M numbers/s",
        rate(tsv)
    );
    eprintln!(
        "  peer: phonenumber parse + E.164 + serde_json line, in process  {peer:6.3} s  {:5.2} M numbers/s",
        rate(peer)
    );
    eprintln!(
        "  ratios: peer / numplan json {:.1}x, peer / numplan tsv {:.1}x, json / tsv time {:.2}\n",
        peer / json,
        peer / tsv,
        json / tsv
    );

    let run = || {
        let (_, out) = run_cli("tsv", &input, Stdio::piped());
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), STREAMED + 1);
    };
    let mut g = c.benchmark_group("cli");
    g.sample_size(10);
    g.throughput(Throughput::Elements(STREAMED as u64));
    g.bench_function("query_tsv_1M_stdin", |b| b.iter(run));
    g.finish();
}

criterion_group!(benches, lookups, streaming);
criterion_main!(benches);
