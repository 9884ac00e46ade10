//! Export speed, each against a named peer in the same run:
//!
//! - the whole French plan as `tsv` (the CLI end to end, process start included), against the
//!   `csv` crate reading MAJNUM.csv and writing each of its rows as TSV (the list a script makes
//!   of the register alone, the usual way);
//! - `callkit` of every verified number (NPV, `category=polyvalent-verifie`: 13 million numbers)
//!   to a file, against a plain loop writing the same count of integers with `writeln!` through a
//!   `BufWriter` (the naive expansion).
//!
//! Run with `cargo bench --bench export`; it prints the medians and the ratios.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

/// Median of `runs` timings of `f`, in seconds.
fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn export(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .arg("export")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let dir = std::env::temp_dir().join(format!("numplan-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tsv = dir.join("fr.tsv");
    let tsv = tsv.to_str().unwrap();

    // The whole French plan, every valid number, as TSV.
    let ours = median(15, || {
        export(&["--at", "2026-11-30", "--format", "tsv", "-o", tsv])
    });
    let lines = std::fs::read_to_string(tsv).unwrap().lines().count();
    let majnum = concat!(env!("CARGO_MANIFEST_DIR"), "/plan-sources/fr/MAJNUM.csv");
    let peer = median(15, || {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_path(majnum)
            .unwrap();
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("peer.tsv")).unwrap());
        for rec in reader.byte_records() {
            let rec = rec.unwrap();
            for (i, f) in rec.iter().enumerate() {
                if i > 0 {
                    out.write_all(b"\t").unwrap();
                }
                out.write_all(f).unwrap();
            }
            out.write_all(b"\n").unwrap();
        }
        out.flush().unwrap();
    });
    eprintln!("\nexport, the whole French plan (median of 15):");
    eprintln!(
        "  numplan export --format tsv (CLI, {lines} lines)   {:8.1} ms",
        ours * 1e3
    );
    eprintln!(
        "  peer: csv crate, MAJNUM.csv rows to TSV            {:8.1} ms",
        peer * 1e3
    );

    // CallKit: every NPV number, expanded, to a file.
    let file = dir.join("npv.txt");
    let file_s = file.to_str().unwrap();
    let ours = median(5, || {
        export(&[
            "--at",
            "2026-11-30",
            "--where",
            "category=polyvalent-verifie",
            "--format",
            "callkit",
            "-o",
            file_s,
        ])
    });
    let numbers = std::fs::read(&file)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        - 2;
    let peer = median(5, || {
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("peer.txt")).unwrap());
        for n in 0..numbers as u64 {
            writeln!(out, "{}", 33_162_000_000u64 + n).unwrap();
        }
        out.flush().unwrap();
    });
    eprintln!("callkit, every verified number (median of 5):");
    eprintln!(
        "  numplan export --format callkit ({numbers} numbers)  {:8.1} ms  {:6.1} M numbers/s",
        ours * 1e3,
        numbers as f64 / ours / 1e6
    );
    eprintln!(
        "  peer: writeln! of as many integers                {:8.1} ms  {:6.1} M numbers/s",
        peer * 1e3,
        numbers as f64 / peer / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}
