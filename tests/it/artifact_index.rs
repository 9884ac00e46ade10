//! Crafted number indexes (issue 9, points 4 and 7): files whose index is forged with a valid fst
//! checksum (CRC32C) and a valid artifact digest, so that `verify` reaches the index check and
//! must refuse them by it, quickly and without a word of panic, from the library and from every
//! command that reads an artifact.

use crate::util::{code, numplan, repo, scratch};
use numplan::artifact::{Artifact, ArtifactError, CompileOptions, VerifyOptions, compile};
use sha2::{Digest, Sha256};

/// The mini plan's artifact.
pub fn mini() -> Vec<u8> {
    let plan = numplan::validate::check_dir(&repo("tests/data/valid/mini"))
        .plan
        .expect("the mini plan is valid");
    compile(&plan, &CompileOptions::default()).unwrap()
}

/// The sections of an artifact: (kind, bytes), in file order.
pub fn sections(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
    let long = |at: usize| u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
    (0..word(28) as usize)
        .map(|i| {
            let e = 96 + 24 * i;
            let (off, len) = (long(e + 8), long(e + 16));
            (word(e), file[off..off + len].to_vec())
        })
        .collect()
}

/// An artifact with the header of `file` and these sections, laid out as the compiler does
/// (8-byte aligned), with its SHA-256 digest recomputed.
pub fn lay_out(file: &[u8], sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = file[..96].to_vec();
    let mut offset = 96 + 24 * sections.len();
    let mut entries = Vec::new();
    for (kind, bytes) in sections {
        offset = offset.next_multiple_of(8);
        entries.push((*kind, offset, bytes.len()));
        offset += bytes.len();
    }
    let payload = offset.next_multiple_of(8);
    out[88..96].copy_from_slice(&(payload as u64).to_le_bytes());
    for (kind, off, len) in &entries {
        out.extend(kind.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((*off as u64).to_le_bytes());
        out.extend((*len as u64).to_le_bytes());
    }
    for ((_, bytes), (_, off, _)) in sections.iter().zip(&entries) {
        out.resize(*off, 0);
        out.extend(bytes);
    }
    out.resize(payload, 0);
    let digest = Sha256::digest(&out);
    out.extend(digest);
    out
}

/// The words of a table section, row after row, and its columns a row, decoded as
/// docs/artifact-format.md describes packed tables (written here from the document, not from the
/// library's reader).
pub fn table_words(table: &[u8]) -> (usize, Vec<u32>) {
    let word = |at: usize| u32::from_le_bytes(table[at..at + 4].try_into().unwrap());
    let (columns, rows) = (word(0) as usize, word(4) as usize);
    let sentinels = [u32::MAX, 0x8000_0000, 0x7FFF_FFFF];
    let descriptors: Vec<(usize, u8, u32, u32)> = (0..columns)
        .map(|c| {
            let d = 8 + 12 * c;
            (table[d] as usize, table[d + 1], word(d + 4), word(d + 8))
        })
        .collect();
    let data = &table[8 + 12 * columns..];
    let bit = |at: usize| (data[at / 8] >> (at % 8)) & 1;
    let mut at = 0;
    let mut words = Vec::with_capacity(rows * columns);
    for _ in 0..rows {
        for &(width, mask, base, ordinary) in &descriptors {
            let code = (0..width).fold(0u64, |v, i| v | u64::from(bit(at + i)) << i);
            at += width;
            let present: Vec<u32> = (0..3)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| sentinels[i])
                .collect();
            words.push(if mask != 0 && code >= u64::from(ordinary) {
                present[(code - u64::from(ordinary)) as usize]
            } else {
                base.wrapping_add(code as u32)
            });
        }
    }
    (columns, words)
}

/// A table section holding `words` in the plainest packed form the format allows: every column
/// 32 bits wide, base 0, no sentinel codes.
pub fn word_table(columns: usize, words: &[u32]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend((columns as u32).to_le_bytes());
    t.extend(((words.len() / columns) as u32).to_le_bytes());
    for _ in 0..columns {
        t.extend([32, 0, 0, 0]);
        t.extend([0u8; 8]);
    }
    for w in words {
        t.extend(w.to_le_bytes());
    }
    t.extend([0u8; 8]);
    t
}

/// Decoding every table of the French artifact and writing it again in the plainest form gives
/// a file that answers the same: the format's packing is what the document says, and a reader
/// takes any valid packing.
#[test]
fn every_table_read_by_the_document_and_written_plainly_answers_the_same() {
    let file = std::fs::read(repo("generated/fr.npa")).unwrap();
    let mut s = sections(&file);
    let mut packed = 0;
    for (kind, bytes) in s.iter_mut() {
        if *kind > 2 {
            let (columns, words) = table_words(bytes);
            let plain = word_table(columns, &words);
            assert!(plain.len() >= bytes.len(), "kind {kind}");
            packed += plain.len() - bytes.len();
            *bytes = plain;
        }
    }
    assert!(packed > 100_000, "the packing saves {packed} bytes");
    let plain = lay_out(&file, &s);
    let (a, b) = (Artifact::open(&file).unwrap(), Artifact::open(&plain).unwrap());
    assert!(a.entries().eq(b.entries()), "the index reads the same");
    let dir = scratch("plain-tables");
    let plain_path = dir.join("plain.npa");
    std::fs::write(&plain_path, &plain).unwrap();
    // Every number the plan lists (export), and numbers of the register's blocks (query), in
    // the two files; the export's first lines name the file's digest.
    let numbers: String = std::fs::read(repo("plan-sources/fr/MAJNUM.csv"))
        .unwrap()
        .split(|&b| b == b'\n')
        .skip(1)
        .step_by(7)
        .filter_map(|row| row.split(|&b| b == b';').nth(1))
        .map(|n| format!("{}\n", String::from_utf8_lossy(n)))
        .collect();
    assert!(numbers.lines().count() > 2_500);
    let answers = |plan: &std::path::Path| -> Vec<String> {
        let plan = plan.to_str().unwrap();
        let runs = [
            vec!["export", "--plan", plan, "--format", "tsv", "--at", "2026-04-17"],
            vec!["export", "--plan", plan, "--format", "json", "--at", "2025-01-01"],
            vec![
                "query",
                "--plan",
                plan,
                "--format",
                "json",
                "--at",
                "2026-04-17",
                "-",
            ],
        ];
        runs.iter()
            .map(|args| {
                let out = numplan_with_stdin(args, numbers.as_bytes());
                assert_eq!(
                    code(&out),
                    0,
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8(out.stdout)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.contains("sha256"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect()
    };
    let (x, y) = (answers(&repo("generated/fr.npa")), answers(&plain_path));
    assert!(x[0].lines().count() > 10_000 && x[2].lines().count() > 2_500);
    assert!(x == y, "the two files answer differently");
}

/// Runs `numplan` with `input` on its standard input.
fn numplan_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_numplan"))
        .current_dir(crate::util::root())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// `file` with its number index (section kind 2) replaced by `index`.
pub fn with_index(file: &[u8], index: Vec<u8>) -> Vec<u8> {
    let mut s = sections(file);
    s.iter_mut().find(|(k, _)| *k == 2).expect("an index section").1 = index;
    lay_out(file, &s)
}

/// CRC32C (Castagnoli), masked as the fst crate (and Snappy) store it.
fn fst_checksum(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    let sum = !crc;
    (sum.rotate_right(15)).wrapping_add(0xA282_EAD8)
}

/// Rewrites the checksum at the end of fst bytes, as the crate computes it.
fn reseal(index: &mut [u8]) {
    let n = index.len() - 4;
    let sum = fst_checksum(&index[..n]);
    index[n..].copy_from_slice(&sum.to_le_bytes());
}

/// An fst of `levels` nodes of ten digit transitions each, every one leading to the next: all
/// digit strings of `levels` digits, 10^levels keys, in 22 bytes a level. The fst builder makes
/// the two kinds of node (the last level, and one above it); they are repeated. `len` is the key
/// count the fst's header claims.
pub fn all_digits(levels: usize, len: u64) -> Vec<u8> {
    padded_all_digits(levels, len, 0)
}

/// [`all_digits`] with `padding` zero bytes between the fst's header and its nodes: bytes no
/// node reaches (nodes address each other relative to themselves, so they move as one).
fn padded_all_digits(levels: usize, len: u64, padding: usize) -> Vec<u8> {
    let mut b = fst::raw::Builder::memory();
    for i in 0..100u32 {
        b.insert(format!("{i:02}"), 0).unwrap();
    }
    let two = b.into_inner().unwrap();
    // 16 bytes of header, the bottom node (22 bytes), the node above it (22 bytes).
    assert_eq!(
        two.len(),
        16 + 44 + 20,
        "the builder's layout is the one expected"
    );
    let (header, bottom, above) = (&two[..16], &two[16..38], &two[38..60]);
    let mut out = header.to_vec();
    out.resize(out.len() + padding, 0);
    out.extend(bottom);
    for _ in 1..levels {
        out.extend(above);
    }
    let root = out.len() as u64 - 1;
    out.extend(len.to_le_bytes());
    out.extend(root.to_le_bytes());
    out.extend([0; 4]);
    reseal(&mut out);
    out
}

fn malformed(e: ArtifactError) -> String {
    match e {
        ArtifactError::Malformed { what } => what,
        other => panic!("expected a malformed index, got {other:?}"),
    }
}

#[test]
fn the_checksum_is_the_fst_crates() {
    // A sanity check of the helpers: a rebuilt index with its checksum rewritten verifies.
    let index = all_digits(2, 100);
    let fst = fst::raw::Fst::new(index.clone()).unwrap();
    fst.verify().expect("the recomputed checksum is fst's");
    assert_eq!(fst.len(), 100);
    let f = with_index(&mini(), index);
    // A valid index of 100 keys, though not this plan's: accepted by the index check.
    let a = Artifact::open(&f).unwrap();
    a.verify(&VerifyOptions::default()).unwrap();
}

#[test]
fn a_21_level_index_is_refused_for_its_key_length() {
    // Its header claims a count within the limit: the walk reaches the key-length rule.
    let f = with_index(&mini(), all_digits(21, 1000));
    assert!(f.len() < 16 * 1024);
    // Refused by `open`: no `Artifact` value holds an index that does not pass the check.
    let what = malformed(Artifact::open(&f).unwrap_err());
    assert!(what.contains("longer than a number"), "{what}");
}

#[test]
fn an_index_of_10_pow_19_keys_is_refused_for_its_count() {
    // 19 digits fit a number; 10^19 keys do not fit the format's 2^24.
    let f = with_index(&mini(), all_digits(19, 10u64.pow(19)));
    let what = malformed(Artifact::open(&f).unwrap_err());
    assert!(what.contains("more than the format's 16777216"), "{what}");
    // And an index whose header lies about its count.
    let f = with_index(&mini(), all_digits(3, 999));
    let what = malformed(Artifact::open(&f).unwrap_err());
    assert!(what.contains("header says 999"), "{what}");
}

#[test]
fn an_index_padded_with_unreached_bytes_is_refused_for_its_count() {
    // Every 8-digit key (10^8) in ~200 bytes of nodes, padded with 6.3 MB of zeros that no node
    // reaches, fst checksum and digest recomputed. A budget of keys per byte of the section
    // passed it, and `diff` then listed 10^8 keys (~15 GB).
    let index = padded_all_digits(8, 10u64.pow(8), 6_300_000);
    fst::raw::Fst::new(index.clone())
        .unwrap()
        .verify()
        .expect("a right checksum");
    let f = with_index(&mini(), index);
    let what = malformed(Artifact::open(&f).unwrap_err());
    assert!(
        what.contains("100000000 keys, more than the format's 16777216"),
        "{what}"
    );
    // The same index claiming fewer keys in its header: refused by the walk's count.
    let lying = with_index(&mini(), padded_all_digits(8, 1000, 6_300_000));
    let what = malformed(Artifact::open(&lying).unwrap_err());
    assert!(
        what.contains("its nodes hold 100000000 keys, its header says 1000"),
        "{what}"
    );
    // And the commands refuse it as corrupt (exit 3), without listing a key.
    let dir = scratch("padded-index");
    let path = dir.join("d8.npa");
    std::fs::write(&path, &f).unwrap();
    let path = path.to_str().unwrap();
    for args in [
        vec!["diff", "-q", path, path],
        vec!["query", "--plan", path, "0162123456"],
    ] {
        let out = numplan(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 3, "{args:?}: {err}");
        assert!(err.contains("more than the format's"), "{args:?}: {err}");
    }
}

#[test]
fn a_forged_index_byte_reaches_the_walk() {
    // A transition address of the mini plan's index moved, the fst checksum and the artifact
    // digest recomputed: `fst.verify()` passes, so only the walk can refuse it.
    let base = mini();
    let index = sections(&base).into_iter().find(|(k, _)| *k == 2).unwrap().1;
    let (mut reached, mut caught) = (0, 0);
    let mut panicking: Option<Vec<u8>> = None;
    for at in 16..index.len() - 20 {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut forged = index.clone();
            forged[at] ^= flip;
            reseal(&mut forged);
            if fst::raw::Fst::new(forged.clone()).is_err() {
                continue;
            }
            let f = with_index(&base, forged);
            // `open` checks the index: a forged one is refused there, or opens and works; and
            // `open_verified` (the same checks in another order) agrees.
            let verified = Artifact::open_verified(&f, &VerifyOptions::default()).is_ok();
            let opened = Artifact::open(&f);
            assert_eq!(verified, opened.is_ok(), "byte {at} ^ {flip:#x}");
            match opened {
                Err(ArtifactError::Malformed { what }) => {
                    assert!(
                        what.starts_with("number index:") || what.contains("index"),
                        "{what}"
                    );
                    reached += 1;
                    if what.contains("inconsistent") {
                        caught += 1;
                        panicking.get_or_insert(f.clone());
                    }
                }
                Err(other) => panic!("byte {at} ^ {flip:#x}: {other:?}"),
                // Still a walkable index (another value, another digit): lookups must not panic.
                Ok(a) => {
                    a.verify(&VerifyOptions::default())
                        .expect("the digest was recomputed");
                    let _ = a.lookup_national("0162123456", "2026-01-01".parse().unwrap());
                    let _ = a.entries().count();
                    let _ = numplan::diff::diff(&a, &a);
                }
            }
        }
    }
    assert!(reached > 100, "{reached} forged indexes refused by the walk");
    // Some make the fst crate panic in the walk (a slice out of bounds): caught, refused, and
    // silent, as the commands show on standard error.
    assert!(caught > 0, "no forged index made the fst crate panic");
    let dir = scratch("forged-index-panic");
    let path = dir.join("forged.npa");
    std::fs::write(&path, panicking.unwrap()).unwrap();
    let path = path.to_str().unwrap();
    for args in [
        vec!["query", "--plan", path, "0162123456"],
        vec!["diff", path, path],
    ] {
        let out = numplan(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(code(&out), 0, "{args:?}: {err}");
        assert!(
            err.contains("the number index is inconsistent"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A crafted file (the 21-level index) signed with a fresh key, and that key's files.
struct Signed {
    dir: std::path::PathBuf,
}

impl Signed {
    fn new(name: &str, index: Vec<u8>) -> Signed {
        let dir = scratch(name);
        let base = mini();
        let f = with_index(&base, index);
        // The trusted comment the crafted file's header calls for (it does not open: its index
        // is refused), made from the mini plan's and the crafted file's digest.
        let m = Artifact::open(&base).unwrap();
        let comment = format!(
            "numplan plan={} version={} sequence={} sha256={}",
            m.plan_id(),
            m.plan_version(),
            m.sequence(),
            numplan::artifact::hex(&f[f.len() - 32..])
        );
        let key = numplan::minisign::SecretKey::generate().unwrap();
        let sig = numplan::minisign::sign(&key, &f, &comment, "crafted").unwrap();
        std::fs::write(dir.join("crafted.npa"), &f).unwrap();
        std::fs::write(dir.join("crafted.npa.minisig"), sig).unwrap();
        std::fs::write(dir.join("k.pub"), key.public_key().to_file_text()).unwrap();
        std::fs::write(dir.join("k.key"), key.to_file_text()).unwrap();
        Signed { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

#[test]
fn every_command_refuses_a_crafted_index() {
    for (name, index) in [
        ("crafted-21-levels", all_digits(21, u64::MAX)),
        ("crafted-10e19-keys", all_digits(19, 10u64.pow(19))),
        ("crafted-loop", looping_index()),
    ] {
        let s = Signed::new(name, index);
        let (npa, key, public) = (s.path("crafted.npa"), s.path("k.key"), s.path("k.pub"));
        let mini = repo("tests/data/valid/mini");
        let runs: [Vec<&str>; 6] = [
            vec!["verify", "--pub", &public, &npa],
            vec!["query", "--plan", &npa, "--pub", &public, "0162123456"],
            vec!["query", "--plan", &npa, "0162123456"],
            vec!["sign", "--key", &key, &npa],
            vec!["diff", &npa, &npa],
            vec!["diff", mini.to_str().unwrap(), &npa],
        ];
        for args in runs {
            let out = numplan(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(code(&out), 0, "{args:?}: {err}");
            assert!(
                err.contains("malformed") && err.contains("number index"),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{args:?}: {err}");
        }
    }
}

/// A 2-level index whose root's transition on `5` leads back to the root itself: a cycle, so
/// the keys `5`, `55`, `555`… never end. The root stores its transitions as 8-byte deltas back
/// from its lowest byte; the loop's delta is negative, which the `fst` crate's subtraction wraps
/// to the root's own address in a release build (a debug build panics on the overflow).
fn looping_index() -> Vec<u8> {
    let base = all_digits(1, 10);
    let (header, bottom) = (&base[..16], &base[16..38]); // the bottom node's state byte: 37
    let mut out = header.to_vec();
    out.extend(bottom);
    let end = out.len() as u64; // 38: the root's lowest byte
    let start = end + 10 * 8 + 10 + 2 - 1; // its state byte, its address
    for i in (0..10u8).rev() {
        let target = if i == 5 { start } else { 37 };
        out.extend(end.wrapping_sub(target).to_le_bytes());
    }
    out.extend((b'0'..=b'9').rev());
    out.extend([8 << 4, 10]); // 8-byte transitions, no outputs; ten transitions, not final
    assert_eq!(out.len() as u64, start + 1);
    out.extend(1000u64.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend([0; 4]);
    reseal(&mut out);
    out
}

#[test]
fn an_index_that_loops_back_is_refused() {
    let index = looping_index();
    let fst = fst::raw::Fst::new(index.clone()).expect("a well-formed fst header");
    fst.verify().expect("a right checksum");
    let f = with_index(&mini(), index);
    let what = malformed(Artifact::open(&f).unwrap_err());
    // A release build reaches the address rule; a debug build the caught overflow.
    assert!(
        what.contains("does not lead to a lower address") || what.contains("inconsistent"),
        "{what}"
    );
}

#[test]
fn with_a_key_the_signature_is_checked_before_the_index() {
    // A crafted index (21 levels), signed by one key and checked with another: refused for the
    // signature, so the index check never read it; with the signer's key, for the index.
    let s = Signed::new("crafted-other-key", all_digits(21, 1000));
    let f = std::fs::read(s.path("crafted.npa")).unwrap();
    let sig = std::fs::read_to_string(s.path("crafted.npa.minisig")).unwrap();
    let signer =
        numplan::minisign::PublicKey::parse(&std::fs::read_to_string(s.path("k.pub")).unwrap()).unwrap();
    let other = numplan::minisign::SecretKey::generate().unwrap().public_key();
    let check = |key| {
        Artifact::open_verified(
            &f,
            &VerifyOptions {
                signature: Some(numplan::artifact::SignatureCheck { key, minisig: &sig }),
                ..VerifyOptions::default()
            },
        )
        .map(|_| ())
        .unwrap_err()
    };
    assert!(
        matches!(check(&other), ArtifactError::BadSignature { .. }),
        "{:?}",
        check(&other)
    );
    let what = malformed(check(&signer));
    assert!(what.contains("longer than a number"), "{what}");
    // Through the command: corrupt (3) with the signer's key, a bad signature (4) with another.
    let out = numplan(&["verify", "--pub", &s.path("k.pub"), &s.path("crafted.npa")]);
    assert_eq!(code(&out), 3, "{}", String::from_utf8_lossy(&out.stderr));
    let other_pub = s.dir.join("other.pub");
    let other_key = numplan::minisign::SecretKey::generate().unwrap();
    std::fs::write(&other_pub, other_key.public_key().to_file_text()).unwrap();
    let out = numplan(&[
        "verify",
        "--pub",
        other_pub.to_str().unwrap(),
        &s.path("crafted.npa"),
    ]);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_diff_of_a_million_keys_fits_in_a_small_address_space() {
    // Every 6-digit key (10^6, under the format's 2^24), padded to pass the old keys-per-byte
    // budget. `diff` lists both sides' keys: about 18 bytes a key now (~150 before, 150 MB,
    // which a 120 MB address space refused with an abort).
    let f = with_index(&mini(), padded_all_digits(6, 10u64.pow(6), 70_000));
    Artifact::open(&f).expect("a valid index of a million keys");
    let dir = scratch("million-keys");
    let path = dir.join("d6.npa");
    std::fs::write(&path, &f).unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 120000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_numplan"))
        .args(["diff", "-q", path.to_str().unwrap(), path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// The plan's name, id and version go into the signature's one-line trusted comment: a file whose
/// header strings hold a control character (here an ESC in the name, the digest recomputed) is
/// refused by `open`, so `sign` cannot be made to write a broken signature file.
#[test]
fn a_control_character_in_a_header_string_is_refused() {
    let mut file = mini();
    let at = file
        .windows(9)
        .position(|w| w == b"Mini plan")
        .expect("the plan's name is in the strings");
    file[at + 4] = 0x1b;
    let n = file.len() - 32;
    let digest = Sha256::digest(&file[..n]);
    file[n..].copy_from_slice(&digest);
    match Artifact::open(&file) {
        Err(ArtifactError::Malformed { what }) => assert!(what.contains("control character"), "{what}"),
        other => panic!(
            "expected Malformed, got {:?}",
            other.map(|a| a.plan_name().to_string())
        ),
    }
}

/// Two DIFFERENT sides, one of a million keys (issue 9, second review, point 1): the diff of
/// `mini` against the same plan whose index holds every 6-digit key kept a region, with copies of
/// its plan answers, for every key that changed (1.46 GB for `-q`, which a 250 MB address space
/// refused with an abort). `-q` now stops at the first difference, and the full diff merges each
/// region into its entry as it comes: both fit, and say the sides differ (exit 1).
#[test]
fn a_diff_of_two_different_sides_of_a_million_keys_fits_in_a_small_address_space() {
    let dir = scratch("million-keys-differ");
    let (small, large) = (dir.join("mini.npa"), dir.join("d6.npa"));
    std::fs::write(&small, mini()).unwrap();
    std::fs::write(&large, with_index(&mini(), all_digits(6, 10u64.pow(6)))).unwrap();
    for args in [
        &["diff", "-q"][..],
        &["diff", "--format", "json"][..],
        &["diff", "--format", "text"][..],
    ] {
        let out = std::process::Command::new("sh")
            .args(["-c", "ulimit -v 250000 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_numplan"))
            .args(args)
            .args([small.to_str().unwrap(), large.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        if args[1] == "--format" && args[2] == "json" {
            // The 820,000 keys from 180000 to 999999 all changed the same way (into the plan):
            // one entry, its prefixes made canonical as the run grew (18, 19, then 2 to 9), at 10
            // digits (mini's polyvalent length) 10^4 numbers a key.
            let d: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let last = d["changes"].as_array().and_then(|c| c.last()).expect("changes");
            assert_eq!(last["range"], "180000-999999", "{last}");
            let expected: Vec<String> = ["18", "19"]
                .into_iter()
                .map(str::to_string)
                .chain((2..=9).map(|d| d.to_string()))
                .collect();
            assert_eq!(last["prefixes"], serde_json::json!(expected), "{last}");
            assert_eq!(last["numbers"], 820_000u64 * 10_000, "{last}");
            assert_eq!(last["except"], serde_json::json!([]), "{last}");
        }
    }
}
