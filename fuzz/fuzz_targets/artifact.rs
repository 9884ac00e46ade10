//! The artifact reader on arbitrary bytes: `open`, `verify`, the accessors, and (on files that
//! verify) `lookup` and `entries`. Nothing may panic, and nothing may hang: `verify`'s index
//! check bounds every walk (docs/artifact-format.md, "Limits").
//!
//! The first input byte chooses the mode:
//!
//! - even: the rest of the input is the file itself;
//! - odd: the rest of the input is a list of patches applied to a small artifact, the mini plan's
//!   (`tests/data/valid/mini`, compiled once per process), which reaches the section tables, the
//!   tables and the fst far more often than random bytes do. The patched file's fst checksum
//!   (CRC32C) and SHA-256 digest are then recomputed, as anyone can: a digest is no signature, so
//!   this asks whether `verify` refuses every content that would make a lookup misbehave, and
//!   whether lookups survive the content it accepts.
//!
//! Lookups and `entries` run only on files that verify: "verify before trusting lookups" is the
//! reader's contract.

#![no_main]

use libfuzzer_sys::fuzz_target;
use numplan::artifact::{Answer, Artifact, ArtifactError, VerifyOptions};
use numplan::date::Date;
use std::sync::LazyLock;

/// Offset of the section table in the header, and the size of one entry (docs/artifact-format.md).
const SECTION_TABLE: usize = 96;
const SECTION_ENTRY: usize = 24;
const DIGEST_LEN: usize = 32;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        check(rest);
    } else {
        let mut file = MINI.clone();
        patch(&mut file, rest);
        reseal_index(&mut file);
        check(&file);
    }
});

/// The mini plan's artifact: small (a few KB), so that hashing it and checking its index on every
/// run costs little, and complete (every section has rows).
static MINI: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/valid/mini");
    let plan = numplan::validate::check_dir(std::path::Path::new(dir))
        .plan
        .expect("the mini plan is valid");
    numplan::artifact::compile(&plan, &Default::default()).expect("the mini plan compiles")
});

/// Rewrites the checksum at the end of the fst section, if the section table still finds one,
/// as the `fst` crate computes it: CRC32C, masked as Snappy does.
fn reseal_index(file: &mut [u8]) {
    let count = u32_at(file, 28).unwrap_or(0) as usize;
    for i in 0..count.min(64) {
        let at = SECTION_TABLE + i * SECTION_ENTRY;
        if u32_at(file, at) != Some(2) {
            continue;
        }
        let (Some(off), Some(len)) = (u64_at(file, at + 8), u64_at(file, at + 16)) else {
            return;
        };
        let (off, len) = (off as usize, len as usize);
        let Some(end) = off.checked_add(len).filter(|&e| e <= file.len() && len >= 4) else {
            return;
        };
        let mut crc = !0u32;
        for &b in &file[off..end - 4] {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
            }
        }
        let masked = (!crc).rotate_right(15).wrapping_add(0xA282_EAD8);
        file[end - 4..end].copy_from_slice(&masked.to_le_bytes());
        return;
    }
}

/// Applies patches to `file`. Each patch is a 4-byte head `[op, a, b, c]` and its operand:
///
/// - op 0: XOR the byte at `abc % len` with the next input byte;
/// - op 1: write the next 4 input bytes as the aligned word `bc` of section `a` (the tables are
///   rows of `u32` words, so this hits one field exactly);
/// - op 2: overwrite the bytes at `abc % len` with the next `a % 32 + 1` input bytes;
/// - op 3: write the next 4 input bytes as the aligned word `abc` of the header and section
///   table and the first sections (offset below 4096).
fn patch(file: &mut [u8], mut input: &[u8]) {
    let len = file.len();
    if len == 0 {
        return;
    }
    // Section extents of the unpatched file (it is valid, so its table is).
    let sections: Vec<(usize, usize)> = {
        let count = u32_at(file, 28).unwrap_or(0) as usize;
        (0..count.min(64))
            .filter_map(|i| {
                let at = SECTION_TABLE + i * SECTION_ENTRY;
                let off = u64_at(file, at + 8)? as usize;
                let l = u64_at(file, at + 16)? as usize;
                (off.checked_add(l)? <= len).then_some((off, l))
            })
            .collect()
    };
    while let [op, a, b, c, tail @ ..] = input {
        let abc = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
        input = tail;
        match op & 3 {
            0 => {
                let Some((&x, tail)) = input.split_first() else {
                    return;
                };
                file[abc % len] ^= x;
                input = tail;
            }
            1 => {
                let Some((word, tail)) = input.split_first_chunk::<4>() else {
                    return;
                };
                input = tail;
                if sections.is_empty() {
                    continue;
                }
                let (off, l) = sections[usize::from(*a) % sections.len()];
                if l < 4 {
                    continue;
                }
                let at = off + (usize::from(*b) << 8 | usize::from(*c)) % (l / 4) * 4;
                file[at..at + 4].copy_from_slice(word);
            }
            2 => {
                let n = usize::from(*a) % 32 + 1;
                let n = n.min(input.len());
                let (bytes, tail) = input.split_at(n);
                input = tail;
                let at = abc % len;
                let end = (at + n).min(len);
                file[at..end].copy_from_slice(&bytes[..end - at]);
            }
            _ => {
                let Some((word, tail)) = input.split_first_chunk::<4>() else {
                    return;
                };
                input = tail;
                let at = (abc % 4096).min(len.saturating_sub(4)) / 4 * 4;
                if at + 4 <= len {
                    file[at..at + 4].copy_from_slice(word);
                }
            }
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Opens and verifies `bytes`; then, if only the digest was wrong, the same bytes with the digest
/// `verify` computed (anyone can forge a digest).
fn check(bytes: &[u8]) {
    match exercise(bytes) {
        Some(ArtifactError::Corrupt { computed, .. }) => {
            let Some(digest) = unhex(&computed) else {
                panic!("verify reported a digest that is not 32 bytes of hex: {computed:?}");
            };
            let mut fixed = bytes.to_vec();
            let n = fixed.len() - DIGEST_LEN;
            fixed[n..].copy_from_slice(&digest);
            if let Some(e @ ArtifactError::Corrupt { .. }) = exercise(&fixed) {
                panic!("verify refused a file whose digest was just fixed: {e}");
            }
        }
        _ => {}
    }
}

/// Everything a consumer may do with an artifact, `verify` included; the `verify` error, if any.
fn exercise(bytes: &[u8]) -> Option<ArtifactError> {
    // `open_verified` (the signature before the index walk) accepts exactly what `open` then
    // `verify` accept; only the order of the checks, so the error of a bad file, differs.
    let verified = Artifact::open_verified(bytes, &VerifyOptions::default()).is_ok();
    let artifact = match Artifact::open(bytes) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.to_string();
            assert!(!verified, "open_verified accepts a file that open refuses");
            return None;
        }
    };
    let _ = format!("{artifact:?}");
    let _ = artifact.trusted_comment();
    let _ = (
        artifact.plan_id(),
        artifact.plan_version(),
        artifact.plan_name(),
        artifact.sequence(),
        artifact.expires(),
        artifact.sources_sha256(),
        artifact.stored_sha256(),
        artifact.national_prefix(),
        artifact.international_prefix(),
        artifact.time_zone(),
        artifact.authority(),
    );
    let territories = artifact.territories().count();
    for t in 0..territories.min(64) as u32 + 1 {
        let _ = artifact.register_names(t);
    }
    let _ = artifact.rules().count();
    let _ = artifact.documents().count();
    let _ = (artifact.uses().count(), artifact.context_keys().count());
    let _ = (artifact.register_date(), artifact.register_dates().count(), artifact.has_register());

    // Options that exercise the expiry and rollback checks too.
    let today = Date::new(2026, 4, 17);
    let options = VerifyOptions {
        signature: None,
        today,
        last_seen_sequence: Some(0),
    };
    let default = artifact.verify(&VerifyOptions::default());
    assert_eq!(
        default.is_ok(),
        verified,
        "open_verified and open + verify disagree"
    );
    if default.is_ok() {
        // The expiry and rollback checks come after the digest's.
        let _ = artifact.verify(&options);
    }
    match default {
        Err(e) => {
            let _ = e.to_string();
            Some(e)
        }
        Ok(_) => {
            // Only a verified file is trusted for lookups.
            let dates = [
                Date::new(1, 1, 1),
                Date::new(1999, 12, 31),
                today,
                Date::new(9999, 12, 31),
            ];
            for date in dates.iter().flatten() {
                // National digits, straight to the index.
                for number in [
                    "",
                    "0",
                    "15",
                    "112",
                    "0162000000",
                    "0162100500",
                    "0163499999",
                    "0262123456",
                    "0612345678",
                    "0999999999",
                    "99999999999999999999999",
                ] {
                    if let Some(answer) = artifact.lookup_national(number, *date) {
                        answer_details(&answer);
                        // Verdicts on one day: they cost most, and the day changes little.
                        if Some(*date) == today {
                            verdicts(&artifact, &answer);
                        }
                    }
                }
                // Written forms, read with the file's own dialling data.
                for number in [
                    "01 62 10 05 00",
                    "+33 1 62 12 34 56",
                    "+33 (0)1 63 00 00 00",
                    "0033162123456",
                    "+262 262 12 34 56",
                    "262262123456",
                    "15",
                    "+",
                ] {
                    match artifact.lookup(number, *date) {
                        Ok(found) => {
                            let _ = (found.national.as_str(), found.significant(), found.e164());
                            answer_details(&found.answer);
                            if Some(*date) == today {
                                verdicts(&artifact, &found.answer);
                            }
                        }
                        Err(e) => {
                            let _ = (e.to_string(), e.national());
                            for u in 0..artifact.uses().count().min(40) as u32 + 1 {
                                let ctx = Default::default();
                                let _ = artifact.ruling_for_invalid(&e, u, *date, &ctx);
                                let _ = artifact.verdict_for_invalid(&e, u, *date, &ctx);
                            }
                        }
                    }
                }
            }
            let _ = artifact.entries().count();
            None
        }
    }
}

/// Every accessor of an answer.
fn answer_details(answer: &Answer<'_>) {
    let _ = (answer.prefix(), answer.date());
    let category = answer.category();
    let _ = (category.allows_length(10), category.lengths());
    let _ = (answer.territory(), answer.range(), answer.category_basis());
    let _ = answer.rules();
    let _ = (answer.holder(), answer.holdings(), answer.is_allocated(), answer.holder_code());
    let _ = answer.doubts();
}

/// Every verdict of an answer, in every context the artifact's keys allow (each key alone, with
/// each of its values), through the full ruling and the fast (memoised) path; they must agree.
fn verdicts(artifact: &Artifact<'_>, answer: &Answer<'_>) {
    let mut contexts = vec![artifact.context(&[]).expect("the empty context")];
    let keys: Vec<_> = artifact.context_keys().take(4).collect();
    for key in &keys {
        for value in key.values.iter().take(3) {
            contexts.extend(artifact.context(&[(key.id, value)]).ok());
        }
    }
    for ctx in &contexts {
        for u in 0..artifact.uses().count().min(40) as u32 + 1 {
            let ruling = answer.ruling(u, ctx);
            let _ = (ruling.reason(), &ruling.doubts);
            assert_eq!(answer.verdict(u, ctx), ruling.verdict, "fast and full verdicts differ");
            let _ = (answer.verdict_if(u, ctx, true), answer.verdict_if(u, ctx, false));
        }
    }
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let d = |c: u8| (c as char).to_digit(16);
        out[i] = (d(pair[0])? * 16 + d(pair[1])?) as u8;
    }
    Some(out)
}
