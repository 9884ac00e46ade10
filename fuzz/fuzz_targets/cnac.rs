//! CNAC's CO Code Status reader on arbitrary text: `parse_co_code_status` never panics, every
//! error and every code points inside the input on character boundaries, and a code it keeps has
//! a three-digit NPA and NXX and a holder exactly when its status has one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use numplan::register::cnac::{Status, parse_co_code_status};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = parse_co_code_status(&text);
    let inside = |r: &std::ops::Range<usize>| {
        r.start <= r.end && r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
    };
    for e in &file.errors {
        assert!(inside(&e.span), "error span {:?} outside the input", e.span);
    }
    for c in &file.codes {
        assert!(inside(&c.span) && inside(&c.npa.span) && inside(&c.nxx.span));
        assert!(c.npa.value.len() == 3 && c.nxx.value.len() == 3);
        if !matches!(c.status, Status::Other(_)) {
            assert_eq!(c.company.is_some(), c.status.has_holder());
        }
    }
});
