//! The loader and the validator on arbitrary file contents: a small valid plan
//! (`tests/data/valid/mini`, or `mini-nanp`: CNAC's register format, numbers without the
//! national prefix) with ONE file replaced by the input, loaded through `load_with`, validated,
//! and its diagnostics rendered in every format. Nothing may panic. When the plan is still valid,
//! it is compiled, and the artifact must open, verify and answer a lookup.
//!
//! The first input byte chooses the plan (its high bit) and the file (the rest, modulo the
//! number of files); the rest is its content.

#![no_main]

use libfuzzer_sys::fuzz_target;
use numplan::artifact::{Artifact, CompileOptions, VerifyOptions, compile};
use numplan::date::Date;
use numplan::{diag, load, validate};
use std::io;

/// The base plans, embedded at build time.
const NANP: [(&str, &[u8]); 5] = [
    (
        "plan.yaml",
        include_bytes!("../../tests/data/valid/mini-nanp/plan.yaml"),
    ),
    (
        "categories.yaml",
        include_bytes!("../../tests/data/valid/mini-nanp/categories.yaml"),
    ),
    (
        "ranges.yaml",
        include_bytes!("../../tests/data/valid/mini-nanp/ranges.yaml"),
    ),
    (
        "COCodeStatus-2024-01-25.csv",
        include_bytes!("../../tests/data/valid/mini-nanp/COCodeStatus-2024-01-25.csv"),
    ),
    (
        "COCodeStatus-2023-08-04.csv",
        include_bytes!("../../tests/data/valid/mini-nanp/COCodeStatus-2023-08-04.csv"),
    ),
];

const FILES: [(&str, &[u8]); 6] = [
    (
        "plan.yaml",
        include_bytes!("../../tests/data/valid/mini/plan.yaml"),
    ),
    (
        "categories.yaml",
        include_bytes!("../../tests/data/valid/mini/categories.yaml"),
    ),
    (
        "ranges.yaml",
        include_bytes!("../../tests/data/valid/mini/ranges.yaml"),
    ),
    (
        "MAJNUM.csv",
        include_bytes!("../../tests/data/valid/mini/MAJNUM.csv"),
    ),
    (
        "identifiants_CE.csv",
        include_bytes!("../../tests/data/valid/mini/identifiants_CE.csv"),
    ),
    (
        "operators.yaml",
        include_bytes!("../../tests/data/valid/mini/operators.yaml"),
    ),
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, content)) = data.split_first() else {
        return;
    };
    let files: &[(&str, &[u8])] = if which & 0x80 == 0 { &FILES } else { &NANP };
    let replaced = files[usize::from(which & 0x7F) % files.len()].0;
    let mut read = |name: &str, limit: u64| -> io::Result<Vec<u8>> {
        let bytes = if name == replaced {
            content
        } else {
            match files.iter().find(|(n, _)| *n == name) {
                Some((_, b)) => *b,
                None => return Err(io::Error::new(io::ErrorKind::NotFound, "no such file")),
            }
        };
        if bytes.len() as u64 > limit {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "over the limit"));
        }
        Ok(bytes.to_vec())
    };
    let checked = validate::validate(load::load_with("fuzz", &mut read));
    let _ = checked.error_count();
    let _ = diag::render_human(&checked.diagnostics, &checked.sources, false);
    let _ = diag::render_human(&checked.diagnostics, &checked.sources, true);
    let json = diag::render_json(&checked.diagnostics, &checked.sources);
    let _ = diag::render_github(&checked.diagnostics, &checked.sources);
    for d in &checked.diagnostics {
        let _ = d.location(&checked.sources);
    }
    assert!(
        json.starts_with('{'),
        "render_json did not produce a JSON object: {json}"
    );
    if let Some(plan) = &checked.plan {
        assert_eq!(checked.error_count(), 0, "a plan was returned despite errors");
        let Ok(bytes) = compile(plan, &CompileOptions::default()) else {
            return;
        };
        let artifact = Artifact::open(&bytes).expect("a compiled plan must open");
        artifact
            .verify(&VerifyOptions::default())
            .expect("a compiled plan must verify");
        for number in [
            "0162000000",
            "+262 262 12 34 56",
            "15",
            "0",
            "613 601 0123",
            "+1 212 555 1234",
            "911",
            "011 33 1 62 12 34 56",
        ] {
            for date in [Date::new(2024, 1, 1), Date::new(1990, 1, 1)]
                .into_iter()
                .flatten()
            {
                match artifact.lookup(number, date) {
                    Ok(found) => {
                        let a = &found.answer;
                        let _ = (a.category(), a.territory(), a.range(), a.rules(), a.holder(), a.holdings());
                        let _ = (a.register_rows(), a.status(), a.doubts(), found.e164());
                    }
                    Err(e) => {
                        let _ = e.to_string();
                    }
                }
            }
        }
        let _ = artifact.entries().count();
    }
});
