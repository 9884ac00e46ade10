//! The numbers the lookup benchmarks share (`benches/query.rs` times them, `benches/instructions.rs`
//! counts their instructions): a module of each bench, not a bench of its own.

/// 1,000 numbers inside blocks of the real register (every n-th block of 10-digit numbers, a
/// number inside it).
pub fn sample_numbers() -> Vec<String> {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/plan-sources/fr/MAJNUM.csv"))
        .expect("plan-sources/fr/MAJNUM.csv is readable");
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
