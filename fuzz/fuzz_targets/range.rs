//! The range syntax on arbitrary UTF-8: `parse` never panics, errors point inside the input on
//! character boundaries, and a parsed expression prints to a form that parses back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use numplan::range;

fuzz_target!(|data: &[u8]| {
    // Bounds the work: a 20-digit interval decomposes into up to ~180 prefixes per item.
    if data.len() > 200 {
        return;
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match range::parse(s) {
        Ok(expr) => {
            let printed = expr.to_string();
            assert_eq!(
                range::parse(&printed).as_ref(),
                Ok(&expr),
                "the canonical form {printed:?} of {s:?} does not parse back to the same value"
            );
            assert_eq!(printed, printed.parse::<range::RangeExpr>().unwrap().to_string());
            let prefixes = expr.prefixes();
            assert_eq!(
                range::canonical_prefixes(prefixes.clone()),
                prefixes,
                "the prefixes of {s:?} are not canonical"
            );
            for item in expr.items() {
                let p = item.prefixes();
                assert!(p.windows(2).all(|w| w[0] < w[1]), "prefixes of {item} not sorted");
                let _ = (
                    item.contains(item.from()),
                    item.contains(item.to()),
                    item.digits(),
                );
            }
        }
        Err(e) => {
            assert!(
                e.offset <= s.len()
                    && e.offset.checked_add(e.len).is_some_and(|end| end <= s.len())
                    && s.is_char_boundary(e.offset)
                    && s.is_char_boundary(e.offset + e.len),
                "error {e:?} points outside {s:?} or inside a character"
            );
            let _ = e.to_string();
        }
    }
});
