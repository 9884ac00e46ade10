//! Diffing two full French artifacts (the July 2025 and April 2026 registers under the same plan),
//! against a named peer in the same run: GNU diff on the two raw MAJNUM.csv files, the text diff
//! people use today (which says which lines moved, not which numbers changed).
//!
//! Run with `cargo bench --bench diff`.

use criterion::{Criterion, criterion_group, criterion_main};
use numplan::artifact::{Artifact, CompileOptions, compile};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

fn artifact_with_register(register: &Path) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-diff-2025");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-sources/fr");
    for e in std::fs::read_dir(&plan).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    std::fs::copy(register, dir.join("MAJNUM.csv")).unwrap();
    let checked = numplan::validate::check_dir(&dir);
    compile(
        &checked.plan.expect("the July 2025 register checks clean"),
        &CompileOptions::default(),
    )
    .unwrap()
}

fn diffs(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let old_csv = root.join("plan-sources/fr/MAJNUM-2025-07-03.csv");
    let new_csv = root.join("plan-sources/fr/MAJNUM.csv");
    let old_bytes = artifact_with_register(&old_csv);
    let old = Artifact::open(&old_bytes).unwrap();
    let new = Artifact::open(numplan::embedded::FR).unwrap();
    let d = numplan::diff::diff(&old, &new);
    eprintln!(
        "\ndiff July 2025 → April 2026: {} entries, {} numbers allocated, {} withdrawn, {} transferred",
        d.summary.changes,
        d.summary.numbers_allocated,
        d.summary.numbers_withdrawn,
        d.summary.numbers_transferred
    );
    let mut g = c.benchmark_group("diff");
    g.sample_size(10);
    g.bench_function("numplan/diff_two_french_artifacts", |b| {
        b.iter(|| black_box(numplan::diff::diff(&old, &new)))
    });
    if Command::new("diff").arg("--version").output().is_ok() {
        g.bench_function("peer/gnu_diff_majnum_csv", |b| {
            b.iter(|| {
                black_box(
                    Command::new("diff")
                        .arg(&old_csv)
                        .arg(&new_csv)
                        .output()
                        .unwrap()
                        .stdout
                        .len(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, diffs);
criterion_main!(benches);
