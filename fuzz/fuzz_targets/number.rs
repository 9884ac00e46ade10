//! Written telephone numbers on arbitrary UTF-8: `Artifact::lookup` on the embedded French plan
//! (which reads the input with `numplan::number::parse` and the plan's dialling data, then walks
//! the index) never panics, and what it accepts is consistent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use numplan::artifact::{Artifact, VerifyOptions};
use numplan::date::Date;
use std::sync::OnceLock;

fn plan() -> &'static Artifact<'static> {
    static PLAN: OnceLock<Artifact<'static>> = OnceLock::new();
    PLAN.get_or_init(|| {
        let plan = numplan::embedded::fr().expect("the embedded artifact opens");
        plan.verify(&VerifyOptions::default())
            .expect("the embedded artifact verifies");
        plan
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 {
        return;
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let plan = plan();
    let _ = numplan::number::parse(s, &plan.dialling()).map_err(|e| e.to_string());
    for date in [Date::new(2000, 1, 1), Date::new(2026, 4, 17)]
        .into_iter()
        .flatten()
    {
        match plan.lookup(s, date) {
            Ok(found) => {
                let national = found.national.as_str();
                assert!(
                    national.bytes().all(|b| b.is_ascii_digit()),
                    "{s:?} read as non-digits {national:?}"
                );
                let _ = found.significant();
                if let Some(e164) = &found.e164() {
                    assert!(e164.starts_with('+'), "{s:?}: E.164 form {e164:?}");
                }
                let a = &found.answer;
                let _ = (a.category(), a.territory(), a.range(), a.rules(), a.holder(), a.holdings());
                // The national digits name the same answer.
                let again = plan
                    .lookup(national, date)
                    .unwrap_or_else(|e| panic!("{s:?} found as {national:?}, which is refused: {e}"));
                assert_eq!(again.answer.range(), a.range());
            }
            Err(e) => {
                let _ = (e.to_string(), e.national());
            }
        }
    }
});
