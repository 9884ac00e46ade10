//! Instruction counts of one lookup, for callgrind: wall times on a shared machine are noisy,
//! instruction counts are not. `benches/callgrind.sh` runs this program under
//! `valgrind --tool=callgrind` twice per measure, with 1 and with 11 passes over the same 1,000
//! French register numbers that `benches/query.rs` times, and divides the difference by 10,000:
//! set-up (opening and verifying the artifact, building the peer's metadata) cancels out.
//!
//! Measures (the first argument):
//! - `lookup`: normalise + find + validate + verdict for automated voice, as `benches/query.rs`;
//! - `national`: the find only (`lookup_national` and the category's id);
//! - `peer`: the named peer, the `phonenumber` crate (libphonenumber's metadata in Rust):
//!   parse + number type.
//!
//! The second argument is the number of passes. Run: `bash benches/callgrind.sh`.

use numplan::artifact::{Artifact, Context};
use numplan::date::Date;
use std::hint::black_box;

#[path = "common/sample.rs"]
mod sample;
use sample::sample_numbers;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let (what, passes) = match args.as_slice() {
        [what, passes] => (what.as_str(), passes.parse::<usize>().unwrap_or(1)),
        // `cargo bench` runs every bench target with `--bench`: one quick pass of each measure
        // shows that the program works.
        _ => {
            for what in ["lookup", "national", "peer"] {
                eprintln!("{what}: {} numbers answered", run(what, 1));
            }
            eprintln!("instruction counts: bash benches/callgrind.sh");
            return;
        }
    };
    let answered = run(what, passes);
    println!("{what} {passes} {answered}");
}

/// Runs `passes` passes of a measure; returns how many numbers the last pass answered.
fn run(what: &str, passes: usize) -> usize {
    let plan = Artifact::open(numplan::embedded::FR).expect("the embedded artifact opens");
    plan.verify(&Default::default())
        .expect("the embedded artifact verifies");
    let day = Date::new(2026, 11, 28).expect("a date");
    let numbers = sample_numbers();
    let automated = plan
        .use_row("automated-voice")
        .expect("the plan has automated-voice");
    let ctx = Context::default();
    let db = &*phonenumber::metadata::DATABASE;
    let fr = Some(phonenumber::country::Id::FR);
    let mut answered = 0;
    for _ in 0..passes {
        answered = 0;
        for n in &numbers {
            let ok = match what {
                "lookup" => black_box(
                    plan.lookup(black_box(n), day)
                        .ok()
                        .map(|f| f.answer.verdict(automated, &ctx)),
                )
                .is_some(),
                "national" => {
                    black_box(plan.lookup_national(black_box(n), day).map(|a| a.category().id)).is_some()
                }
                "peer" => black_box(
                    phonenumber::parse(fr, black_box(n))
                        .map(|p| p.number_type(db))
                        .ok(),
                )
                .is_some_and(|t| t != phonenumber::Type::Unknown),
                other => panic!("unknown measure {other}: lookup, national or peer"),
            };
            answered += usize::from(ok);
        }
    }
    answered
}
