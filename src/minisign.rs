//! Signatures in [minisign](https://jedisct1.github.io/minisign/)'s format, implemented on Ed25519,
//! BLAKE2b and scrypt primitives.
//!
//! numplan signs its artifacts so that anyone can check them with the stock `minisign -V`, and it
//! verifies signatures and uses keys made by the stock `minisign` tool. The formats (as written by
//! minisign 0.11; every binary line is standard base64, every text file is `\n`-terminated):
//!
//! - public key (`.pub`): `untrusted comment: minisign public key <KEYID>` and
//!   base64(`"Ed"` ‖ key id (8 bytes) ‖ Ed25519 public key (32)).
//! - secret key (`.key`): an untrusted comment and base64(`"Ed"` ‖ kdf (`"Sc"` for scrypt, two zero
//!   bytes for an unencrypted key) ‖ `"B2"` ‖ kdf salt (32) ‖ opslimit (u64 LE) ‖ memlimit (u64 LE)
//!   ‖ [key id (8) ‖ Ed25519 secret key (64) ‖ checksum (32)]). When encrypted, the bracketed 104
//!   bytes are XORed with scrypt(password, salt), whose `N`, `r`, `p` follow libsodium's choice from
//!   opslimit and memlimit. The checksum is BLAKE2b-256(`"Ed"` ‖ key id ‖ secret key).
//! - signature (`.minisig`): `untrusted comment: <text>`, base64(`"ED"` ‖ key id ‖ Ed25519 signature
//!   of BLAKE2b-512(data)), `trusted comment: <text>`, base64(Ed25519 signature of (the signature
//!   ‖ the trusted comment)). The legacy variant `"Ed"` signs the data itself; it is verified, not
//!   produced.
//!
//! The key id shown to people ([`PublicKey::key_id_hex`]) is the 8 key-id bytes read as a
//! little-endian integer, in 16 uppercase hex digits.
//!
//! Parsing never panics: every malformed input is a [`MinisignError`]. Line ends may be `\n` or
//! `\r\n`, and the final newline may be missing.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use blake2::{Blake2b256, Blake2b512, Digest as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// Signature algorithm of keys, and of legacy signatures over the data itself.
const SIG_ALG: [u8; 2] = *b"Ed";
/// Signature algorithm of prehashed signatures (over BLAKE2b-512 of the data).
const SIG_ALG_PREHASHED: [u8; 2] = *b"ED";
/// Key derivation of password-protected secret keys.
const KDF_SCRYPT: [u8; 2] = *b"Sc";
/// "No key derivation": an unencrypted secret key (`minisign -G -W`).
const KDF_NONE: [u8; 2] = [0, 0];
/// Checksum algorithm of secret keys.
const CHK_BLAKE2B: [u8; 2] = *b"B2";

const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";
/// The comment `minisign -G` writes into every secret key file, `-W` (unencrypted) included.
const SECRET_KEY_COMMENT: &str = "minisign encrypted secret key";

const KEY_ID_LEN: usize = 8;
const PUBLIC_KEY_LEN: usize = 32;
const KEYPAIR_LEN: usize = 64;
const SIGNATURE_LEN: usize = 64;
const CHECKSUM_LEN: usize = 32;
const SALT_LEN: usize = 32;
/// The encrypted part of a secret key: key id, secret key, checksum.
const KEYNUM_SK_LEN: usize = KEY_ID_LEN + KEYPAIR_LEN + CHECKSUM_LEN;
/// `"Ed"` ‖ key id ‖ public key.
const PUBLIC_KEY_BYTES: usize = 2 + KEY_ID_LEN + PUBLIC_KEY_LEN;
/// Algorithms, salt, limits and the key part.
const SECRET_KEY_BYTES: usize = 2 + 2 + 2 + SALT_LEN + 8 + 8 + KEYNUM_SK_LEN;
/// `"ED"` ‖ key id ‖ signature.
const SIGNATURE_BYTES: usize = 2 + KEY_ID_LEN + SIGNATURE_LEN;

/// The longest trusted comment stock minisign accepts (`TRUSTEDCOMMENTMAXBYTES` 8192, less the
/// `trusted comment: ` prefix and its NUL): a longer one makes `minisign -V` fail.
pub const TRUSTED_COMMENT_MAX_BYTES: usize = 8192 - TRUSTED_PREFIX.len() - 2;
/// The longest untrusted comment stock minisign reads as one line (`COMMENTMAXBYTES` 1024, less the
/// `untrusted comment: ` prefix, the newline and the NUL).
pub const UNTRUSTED_COMMENT_MAX_BYTES: usize = 1024 - UNTRUSTED_PREFIX.len() - 2;

/// The largest scrypt cost accepted when decrypting a secret key: `N = 2^20` (1 GiB of memory
/// with `r = 8`), what `minisign -G` uses.
const SCRYPT_MAX_LOG_N: u32 = 20;
/// The largest scrypt work `N * p` accepted (twice what `minisign -G` uses).
const SCRYPT_MAX_WORK: u64 = 1 << 21;

/// Everything that can go wrong reading, using or checking minisign keys and signatures.
#[derive(Debug)]
#[non_exhaustive]
pub enum MinisignError {
    /// The text is not a well-formed minisign key or signature.
    Malformed {
        /// What is wrong, and where.
        what: String,
    },
    /// A key, signature, key derivation or checksum algorithm that numplan does not implement.
    UnsupportedAlgorithm {
        /// Which algorithm field (`"signature"`, `"public key"`, `"key derivation"`, …).
        what: &'static str,
        /// The two identifier bytes found.
        found: [u8; 2],
    },
    /// The signature was made by another key than the public key given.
    KeyIdMismatch {
        /// The key id recorded in the signature.
        signature_key_id: [u8; 8],
        /// The key id of the public key given.
        public_key_id: [u8; 8],
    },
    /// The Ed25519 signature of the data does not verify: the data changed, or the signature was
    /// not made by this key.
    BadSignature,
    /// The signature of the trusted comment does not verify: the trusted comment was changed.
    BadTrustedCommentSignature,
    /// The secret key is protected by a password and none was given.
    Encrypted,
    /// The decrypted secret key fails its checksum: the password is wrong (or the key corrupted).
    WrongPassword,
    /// The secret key is internally inconsistent.
    CorruptedKey {
        /// What does not match.
        what: &'static str,
    },
    /// The scrypt parameters of an encrypted secret key are outside what numplan accepts.
    KdfParameters {
        /// The key's opslimit.
        opslimit: u64,
        /// The key's memlimit, in bytes.
        memlimit: u64,
    },
    /// A comment given to [`sign`] cannot be written into a signature file.
    InvalidComment {
        /// `"trusted"` or `"untrusted"`.
        which: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The operating system's random number generator failed.
    Random(String),
}

impl fmt::Display for MinisignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MinisignError::Malformed { what } => write!(
                f,
                "malformed minisign data: {what}; pass the unmodified minisign file (or, for a \
                 public key, its base64 line)"
            ),
            MinisignError::UnsupportedAlgorithm { what, found } => write!(
                f,
                "unsupported {what} algorithm {:?}: numplan reads Ed25519 keys (\"Ed\"), prehashed \
                 (\"ED\") and legacy (\"Ed\") signatures, scrypt (\"Sc\") or unencrypted secret keys \
                 and BLAKE2b (\"B2\") checksums; was the file made by minisign?",
                String::from_utf8_lossy(found)
            ),
            MinisignError::KeyIdMismatch {
                signature_key_id,
                public_key_id,
            } => write!(
                f,
                "the signature was made by key {} but the public key given is {}; verify with the \
                 public key {} (the one that made the signature)",
                key_id_to_hex(signature_key_id),
                key_id_to_hex(public_key_id),
                key_id_to_hex(signature_key_id)
            ),
            MinisignError::BadSignature => write!(
                f,
                "signature verification failed: the data was modified or the signature was not made \
                 by this key; do not use the data"
            ),
            MinisignError::BadTrustedCommentSignature => write!(
                f,
                "the trusted comment's signature does not verify: the trusted comment was modified; \
                 do not use the data"
            ),
            MinisignError::Encrypted => write!(
                f,
                "the secret key is protected by a password: give the password (or remove it with \
                 `minisign -C -W`)"
            ),
            MinisignError::WrongPassword => write!(
                f,
                "wrong password or corrupted key: the decrypted secret key fails its checksum; check \
                 the password"
            ),
            MinisignError::CorruptedKey { what } => {
                write!(
                    f,
                    "corrupted secret key: {what}; restore the key file from a backup"
                )
            }
            MinisignError::KdfParameters { opslimit, memlimit } => write!(
                f,
                "the secret key's scrypt parameters (opslimit {opslimit}, memlimit {memlimit}) are \
                 outside what numplan accepts (at most N = 2^20, as `minisign -G` uses); re-encrypt \
                 the key with `minisign -C`"
            ),
            MinisignError::InvalidComment { which, reason } => {
                write!(
                    f,
                    "the {which} comment {reason}; shorten or rewrite it as a single line"
                )
            }
            MinisignError::Random(detail) => write!(
                f,
                "the operating system's random number generator failed ({detail}); retry, and check \
                 that the system's random device is available"
            ),
        }
    }
}

impl std::error::Error for MinisignError {}

fn malformed(what: impl Into<String>) -> MinisignError {
    MinisignError::Malformed { what: what.into() }
}

/// The key id as minisign prints it: the 8 bytes as a little-endian integer, 16 uppercase hex
/// digits.
fn key_id_to_hex(key_id: &[u8; KEY_ID_LEN]) -> String {
    format!("{:016X}", u64::from_le_bytes(*key_id))
}

/// The lines of `text`: `\n` or `\r\n` line ends, and a missing final newline, are accepted.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// Decodes one base64 line of exactly `N` bytes.
fn decode_line<const N: usize>(line: &str, what: &str) -> Result<[u8; N], MinisignError> {
    let bytes = BASE64
        .decode(line.trim())
        .map_err(|e| malformed(format!("the {what} line is not valid base64 ({e})")))?;
    let len = bytes.len();
    <[u8; N]>::try_from(bytes)
        .map_err(|_| malformed(format!("the {what} line decodes to {len} bytes instead of {N}")))
}

/// Splits off a fixed-size array from the front of `bytes` (the caller checked the length).
fn take<const N: usize>(bytes: &mut &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = N.min(bytes.len());
    out[..n].copy_from_slice(&bytes[..n]);
    *bytes = &bytes[n..];
    out
}

/// The one base64 line of a key file: either the whole file (comment line and key line) or just
/// the key line.
fn key_line<'a>(text: &'a str, what: &str) -> Result<&'a str, MinisignError> {
    let lines: Vec<&str> = split_lines(text)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    match lines.as_slice() {
        [] => Err(malformed(format!("the {what} is empty"))),
        [line] if line.starts_with("untrusted comment:") => Err(malformed(format!(
            "the {what} has a comment line but no key line"
        ))),
        [line] => Ok(line),
        [comment, line] => {
            if comment.starts_with("untrusted comment:") {
                Ok(line)
            } else {
                Err(malformed(format!(
                    "the first line of the {what} file should start with `untrusted comment:`"
                )))
            }
        }
        _ => Err(malformed(format!(
            "the {what} file has {} lines; expected an `untrusted comment:` line and a base64 line",
            lines.len()
        ))),
    }
}

/// A minisign public key: an Ed25519 public key and its 8-byte key id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key_id: [u8; KEY_ID_LEN],
    key: VerifyingKey,
}

impl PublicKey {
    /// Reads a public key: a whole `.pub` file (comment line and base64 line) or just the base64
    /// line (what `minisign -P` takes).
    ///
    /// # Errors
    ///
    /// [`MinisignError::Malformed`] for anything that is not such a key (including bytes that are
    /// not an Ed25519 point), [`MinisignError::UnsupportedAlgorithm`] for another key algorithm.
    pub fn parse(text: &str) -> Result<PublicKey, MinisignError> {
        let line = key_line(text, "public key")?;
        let bytes: [u8; PUBLIC_KEY_BYTES] = decode_line(line, "public key")?;
        let mut rest = &bytes[..];
        let alg: [u8; 2] = take(&mut rest);
        if alg != SIG_ALG {
            return Err(MinisignError::UnsupportedAlgorithm {
                what: "public key",
                found: alg,
            });
        }
        let key_id: [u8; KEY_ID_LEN] = take(&mut rest);
        let point: [u8; PUBLIC_KEY_LEN] = take(&mut rest);
        let key = VerifyingKey::from_bytes(&point)
            .map_err(|_| malformed("the public key is not a valid Ed25519 point"))?;
        Ok(PublicKey { key_id, key })
    }

    /// The base64 line of the key (what `minisign -P` takes).
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::with_capacity(PUBLIC_KEY_BYTES);
        bytes.extend_from_slice(&SIG_ALG);
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(self.key.as_bytes());
        BASE64.encode(bytes)
    }

    /// The `.pub` file, as `minisign -G` writes it.
    ///
    /// The comment carries the key id in 16 hex digits, as current minisign writes it (minisign
    /// 0.11 drops leading zeros there; minisign ignores this comment when reading).
    pub fn to_file_text(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign public key {}\n{}\n",
            self.key_id_hex(),
            self.to_base64()
        )
    }

    /// The key id.
    pub fn key_id(&self) -> [u8; 8] {
        self.key_id
    }

    /// The key id as minisign prints it: the bytes read as a little-endian integer, in 16
    /// uppercase hex digits (minisign 0.11 omits leading zeros; later versions pad to 16).
    pub fn key_id_hex(&self) -> String {
        key_id_to_hex(&self.key_id)
    }

    /// The Ed25519 public key.
    pub fn bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

/// A minisign secret key: an Ed25519 key pair and its 8-byte key id. `Debug` shows only the key
/// id.
#[derive(Clone)]
pub struct SecretKey {
    key_id: [u8; KEY_ID_LEN],
    key: SigningKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &key_id_to_hex(&self.key_id))
            .finish_non_exhaustive()
    }
}

/// The secret-key checksum: BLAKE2b-256 of the algorithm, the key id and the secret key.
fn checksum(key_id: &[u8; KEY_ID_LEN], keypair: &[u8; KEYPAIR_LEN]) -> [u8; CHECKSUM_LEN] {
    let mut hasher = Blake2b256::new();
    hasher.update(SIG_ALG);
    hasher.update(key_id);
    hasher.update(keypair);
    hasher.finalize().into()
}

/// libsodium's `pickparams` for `crypto_pwhash_scryptsalsa208sha256`: `(log2 N, r, p)` from
/// opslimit and memlimit.
fn scrypt_pick_params(opslimit: u64, memlimit: u64) -> (u32, u32, u32) {
    let opslimit = opslimit.max(32768);
    let r: u32 = 8;
    let mut n_log2: u32 = 1;
    if opslimit < memlimit / 32 {
        let max_n = opslimit / (u64::from(r) * 4);
        while n_log2 < 63 {
            if 1u64 << n_log2 > max_n / 2 {
                break;
            }
            n_log2 += 1;
        }
        (n_log2, r, 1)
    } else {
        let max_n = memlimit / (u64::from(r) * 128);
        while n_log2 < 63 {
            if 1u64 << n_log2 > max_n / 2 {
                break;
            }
            n_log2 += 1;
        }
        let max_rp = ((opslimit / 4) / (1u64 << n_log2)).min(0x3fff_ffff);
        // max_rp <= 0x3fff_ffff, so it fits in u32.
        let p = u32::try_from(max_rp).unwrap_or(0x3fff_ffff) / r;
        (n_log2, r, p)
    }
}

/// The keystream that encrypts the key part of a secret key.
fn scrypt_stream(
    password: &str,
    salt: &[u8; SALT_LEN],
    opslimit: u64,
    memlimit: u64,
) -> Result<[u8; KEYNUM_SK_LEN], MinisignError> {
    let bad = MinisignError::KdfParameters { opslimit, memlimit };
    let (n_log2, r, p) = scrypt_pick_params(opslimit, memlimit);
    if n_log2 > SCRYPT_MAX_LOG_N || p == 0 || (1u64 << n_log2).saturating_mul(u64::from(p)) > SCRYPT_MAX_WORK
    {
        return Err(bad);
    }
    let n_log2 = u8::try_from(n_log2).map_err(|_| MinisignError::KdfParameters { opslimit, memlimit })?;
    let params = scrypt::Params::new(n_log2, r, p).map_err(|_| bad)?;
    let mut stream = [0u8; KEYNUM_SK_LEN];
    scrypt::scrypt(password.as_bytes(), salt, &params, &mut stream)
        .map_err(|_| MinisignError::KdfParameters { opslimit, memlimit })?;
    Ok(stream)
}

impl SecretKey {
    /// A new key pair and key id from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`MinisignError::Random`] if the random number generator fails.
    pub fn generate() -> Result<SecretKey, MinisignError> {
        let mut seed = [0u8; 32];
        let mut key_id = [0u8; KEY_ID_LEN];
        getrandom::fill(&mut seed).map_err(|e| MinisignError::Random(e.to_string()))?;
        getrandom::fill(&mut key_id).map_err(|e| MinisignError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(SecretKey { key_id, key })
    }

    /// Reads a secret key file (or its base64 line): unencrypted (`minisign -G -W`) or encrypted
    /// with scrypt (`minisign -G`). The password is needed only for an encrypted key.
    ///
    /// Stock minisign writes unencrypted keys with an all-zero checksum; such a key is accepted
    /// (its consistency is still checked: the public half must match the secret seed). Any other
    /// checksum must be right.
    ///
    /// # Errors
    ///
    /// [`MinisignError::Encrypted`] if the key is encrypted and `password` is `None`,
    /// [`MinisignError::WrongPassword`] if the checksum fails after decryption,
    /// [`MinisignError::CorruptedKey`], [`MinisignError::KdfParameters`],
    /// [`MinisignError::UnsupportedAlgorithm`] and [`MinisignError::Malformed`].
    pub fn parse(text: &str, password: Option<&str>) -> Result<SecretKey, MinisignError> {
        let line = key_line(text, "secret key")?;
        let bytes: [u8; SECRET_KEY_BYTES] = decode_line(line, "secret key")?;
        let mut rest = &bytes[..];
        let sig_alg: [u8; 2] = take(&mut rest);
        let kdf_alg: [u8; 2] = take(&mut rest);
        let chk_alg: [u8; 2] = take(&mut rest);
        let salt: [u8; SALT_LEN] = take(&mut rest);
        let opslimit = u64::from_le_bytes(take(&mut rest));
        let memlimit = u64::from_le_bytes(take(&mut rest));
        let mut keynum_sk: [u8; KEYNUM_SK_LEN] = take(&mut rest);
        if sig_alg != SIG_ALG {
            return Err(MinisignError::UnsupportedAlgorithm {
                what: "secret key",
                found: sig_alg,
            });
        }
        if chk_alg != CHK_BLAKE2B {
            return Err(MinisignError::UnsupportedAlgorithm {
                what: "secret key checksum",
                found: chk_alg,
            });
        }
        let encrypted = match kdf_alg {
            KDF_NONE => false,
            KDF_SCRYPT => {
                let password = password.ok_or(MinisignError::Encrypted)?;
                let stream = scrypt_stream(password, &salt, opslimit, memlimit)?;
                for (byte, mask) in keynum_sk.iter_mut().zip(stream) {
                    *byte ^= mask;
                }
                true
            }
            other => {
                return Err(MinisignError::UnsupportedAlgorithm {
                    what: "key derivation",
                    found: other,
                });
            }
        };
        let mut part = &keynum_sk[..];
        let key_id: [u8; KEY_ID_LEN] = take(&mut part);
        let keypair: [u8; KEYPAIR_LEN] = take(&mut part);
        let stored: [u8; CHECKSUM_LEN] = take(&mut part);
        keynum_sk.fill(0);
        let unchecked = !encrypted && stored == [0u8; CHECKSUM_LEN];
        if !unchecked && checksum(&key_id, &keypair) != stored {
            return Err(if encrypted {
                MinisignError::WrongPassword
            } else {
                MinisignError::CorruptedKey {
                    what: "its checksum does not match",
                }
            });
        }
        let key = SigningKey::from_keypair_bytes(&keypair).map_err(|_| MinisignError::CorruptedKey {
            what: "its public half does not match its secret seed",
        })?;
        Ok(SecretKey { key_id, key })
    }

    /// The secret key file, unencrypted, as `minisign -G -W` writes it (same comment line, zero
    /// salt and limits), except that the checksum is filled in where minisign 0.11 leaves zeros;
    /// stock minisign does not check it for an unencrypted key, numplan does.
    pub fn to_file_text(&self) -> String {
        let keypair = self.key.to_keypair_bytes();
        let mut bytes = Vec::with_capacity(SECRET_KEY_BYTES);
        bytes.extend_from_slice(&SIG_ALG);
        bytes.extend_from_slice(&KDF_NONE);
        bytes.extend_from_slice(&CHK_BLAKE2B);
        bytes.extend_from_slice(&[0u8; SALT_LEN + 8 + 8]);
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&keypair);
        bytes.extend_from_slice(&checksum(&self.key_id, &keypair));
        let text = format!(
            "{UNTRUSTED_PREFIX}{SECRET_KEY_COMMENT}\n{}\n",
            BASE64.encode(&bytes)
        );
        bytes.fill(0);
        text
    }

    /// The public key of this key pair, with the same key id.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }
}

/// Checks that a comment can be written on one line and read back by stock minisign.
fn check_comment(comment: &str, which: &'static str, max: usize) -> Result<(), MinisignError> {
    let refuse = |reason: String| Err(MinisignError::InvalidComment { which, reason });
    if comment.contains(['\n', '\r']) {
        return refuse("contains a line break".to_string());
    }
    if comment.contains('\0') {
        return refuse("contains a NUL character".to_string());
    }
    if comment.len() > max {
        return refuse(format!(
            "is {} bytes long; minisign reads at most {max}",
            comment.len()
        ));
    }
    Ok(())
}

/// Signs `data`: the text of a `.minisig` file in the prehashed (`"ED"`) format, which stock
/// `minisign -V` verifies.
///
/// # Errors
///
/// [`MinisignError::InvalidComment`] if a comment contains a line break or a NUL, or is longer
/// than [`TRUSTED_COMMENT_MAX_BYTES`] / [`UNTRUSTED_COMMENT_MAX_BYTES`].
pub fn sign(
    key: &SecretKey,
    data: &[u8],
    trusted_comment: &str,
    untrusted_comment: &str,
) -> Result<String, MinisignError> {
    check_comment(trusted_comment, "trusted", TRUSTED_COMMENT_MAX_BYTES)?;
    check_comment(untrusted_comment, "untrusted", UNTRUSTED_COMMENT_MAX_BYTES)?;
    let digest = Blake2b512::digest(data);
    let signature = key.key.sign(&digest).to_bytes();
    let mut signed_comment = Vec::with_capacity(SIGNATURE_LEN + trusted_comment.len());
    signed_comment.extend_from_slice(&signature);
    signed_comment.extend_from_slice(trusted_comment.as_bytes());
    let global = key.key.sign(&signed_comment).to_bytes();

    let mut sig_line = Vec::with_capacity(SIGNATURE_BYTES);
    sig_line.extend_from_slice(&SIG_ALG_PREHASHED);
    sig_line.extend_from_slice(&key.key_id);
    sig_line.extend_from_slice(&signature);
    Ok(format!(
        "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n{TRUSTED_PREFIX}{trusted_comment}\n{}\n",
        BASE64.encode(sig_line),
        BASE64.encode(global)
    ))
}

/// What a verified signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The trusted comment, covered by the signature.
    pub trusted_comment: String,
    /// The key id of the signing key.
    pub key_id: [u8; 8],
}

/// The parts of a `.minisig` file.
struct ParsedSignature<'a> {
    alg: [u8; 2],
    key_id: [u8; KEY_ID_LEN],
    signature: [u8; SIGNATURE_LEN],
    trusted_comment: &'a str,
    global: [u8; SIGNATURE_LEN],
}

fn parse_signature(text: &str) -> Result<ParsedSignature<'_>, MinisignError> {
    let lines = split_lines(text);
    let [untrusted, sig_line, trusted, global_line] = lines.as_slice() else {
        return Err(malformed(format!(
            "a signature file has 4 lines (untrusted comment, signature, trusted comment, comment \
             signature), this text has {}",
            lines.len()
        )));
    };
    if !untrusted.starts_with(UNTRUSTED_PREFIX) {
        return Err(malformed(
            "line 1 of the signature should start with `untrusted comment: `",
        ));
    }
    let bytes: [u8; SIGNATURE_BYTES] = decode_line(sig_line, "signature (line 2)")?;
    let Some(trusted_comment) = trusted.strip_prefix(TRUSTED_PREFIX) else {
        return Err(malformed(
            "line 3 of the signature should start with `trusted comment: `",
        ));
    };
    if trusted_comment.contains(['\r', '\0']) {
        return Err(malformed(
            "the trusted comment contains a carriage return or a NUL character",
        ));
    }
    let global: [u8; SIGNATURE_LEN] = decode_line(global_line, "trusted comment signature (line 4)")?;
    let mut rest = &bytes[..];
    Ok(ParsedSignature {
        alg: take(&mut rest),
        key_id: take(&mut rest),
        signature: take(&mut rest),
        trusted_comment,
        global,
    })
}

/// Verifies a `.minisig` text over `data` with `key`, as `minisign -V` does: the prehashed
/// (`"ED"`) and the legacy (`"Ed"`) formats are accepted.
///
/// # Errors
///
/// [`MinisignError::Malformed`] or [`MinisignError::UnsupportedAlgorithm`] if the text is not a
/// signature numplan reads, [`MinisignError::KeyIdMismatch`] if it was made by another key,
/// [`MinisignError::BadSignature`] if the data (or the signature) was changed,
/// [`MinisignError::BadTrustedCommentSignature`] if the trusted comment was changed.
pub fn verify(key: &PublicKey, data: &[u8], signature_text: &str) -> Result<Verified, MinisignError> {
    let parsed = parse_signature(signature_text)?;
    let prehashed = match parsed.alg {
        SIG_ALG_PREHASHED => true,
        SIG_ALG => false,
        other => {
            return Err(MinisignError::UnsupportedAlgorithm {
                what: "signature",
                found: other,
            });
        }
    };
    if parsed.key_id != key.key_id {
        return Err(MinisignError::KeyIdMismatch {
            signature_key_id: parsed.key_id,
            public_key_id: key.key_id,
        });
    }
    let signature = Signature::from_bytes(&parsed.signature);
    let checked = if prehashed {
        key.key.verify_strict(&Blake2b512::digest(data), &signature)
    } else {
        key.key.verify_strict(data, &signature)
    };
    checked.map_err(|_| MinisignError::BadSignature)?;
    let mut signed_comment = Vec::with_capacity(SIGNATURE_LEN + parsed.trusted_comment.len());
    signed_comment.extend_from_slice(&parsed.signature);
    signed_comment.extend_from_slice(parsed.trusted_comment.as_bytes());
    key.key
        .verify_strict(&signed_comment, &Signature::from_bytes(&parsed.global))
        .map_err(|_| MinisignError::BadTrustedCommentSignature)?;
    Ok(Verified {
        trusted_comment: parsed.trusted_comment.to_string(),
        key_id: parsed.key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Known-answer vectors made ONCE by the stock `minisign` 0.11 binary (Debian package), not by
    // numplan:
    //
    //   minisign -G -W -p k.pub -s k.key
    //   printf 'numplan known-answer test\n' > kat.txt
    //   minisign -S -s k.key -m kat.txt -x kat.ed.minisig -t "numplan KAT: prehashed" \
    //       -c "signature from stock minisign 0.11 (-W key)"
    //   minisign -S -l -s k.key -m kat.txt -x kat.legacy.minisig -t "numplan KAT: legacy"
    //
    // and, for the encrypted key (`ulimit -v` makes minisign halve its scrypt limits until the
    // derivation fits, so the key uses N = 2^14, not 2^20, and the test stays fast):
    //
    //   (ulimit -v 30000; printf 'correct horse\ncorrect horse\n' | minisign -G -p enc.pub \
    //       -s enc.key -c "throwaway encrypted test key (numplan tests)")
    //   printf 'correct horse\n' | minisign -S -s enc.key -m kat.txt -x kat.enc.minisig \
    //       -t "numplan KAT: encrypted key"
    const KAT_DATA: &[u8] = b"numplan known-answer test\n";

    const STOCK_PUB: &str = "untrusted comment: minisign public key 8A524513651E44E1
RWThRB5lE0VSilGa77Gce9x0cA9R1rPScsolyUAeLekJy7HTrow+yKc2
";

    /// THROWAWAY TEST KEY, made for these tests by `minisign -G -W`; it signs nothing else. Note
    /// the all-zero checksum that minisign 0.11 writes for unencrypted keys.
    const STOCK_SECRET_KEY_TEST_ONLY: &str = "untrusted comment: minisign encrypted secret key
RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA4UQeZRNFUoqlHvMWnGaC35gVNJ83TXvYOM2yEBIs700Vyy4TnKBIbVGa77Gce9x0cA9R1rPScsolyUAeLekJy7HTrow+yKc2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
";

    const STOCK_SIG_PREHASHED: &str = "untrusted comment: signature from stock minisign 0.11 (-W key)
RUThRB5lE0VSiktxaM0por9rc4iqnGk2fDWX2DaH0xCjJ0RZBX52iFiXEpBNTZgTqv0PX63r2UUvQgzHxeeaaAe3CeFDKlV2zwg=
trusted comment: numplan KAT: prehashed
NP6WcRldDQVGRApYa/b0um+qSjRIVbmUzNyBi89sdVwELVymEIDgyrLB0pabF2UprXfK0ZgS5LbW2X88A+8LAA==
";

    const STOCK_SIG_LEGACY: &str = "untrusted comment: signature from minisign secret key
RWThRB5lE0VSisXzAJX+NxrwO8bJe7gdeWLcNQzIoNZ98F2JMQN7203qpiKUbhsFZ6/jndlWWDjAYuGZtfHXK4YyMxrn6Y6wVQ8=
trusted comment: numplan KAT: legacy
HpqRHo2hwOkeOPYj2NO6Wl0Mhudh/YCSj90UGOpIEgBpWCjYF6Xk8Orr9W6YKuUSS0AwDDWVImLQm1hKoS1yCg==
";

    /// Written by minisign 0.11, which drops the leading zero of the key id in the comment.
    const STOCK_ENC_PUB: &str = "untrusted comment: minisign public key 708CC26642DF800
RWQA+C1kJswIB/qhdmREbqIL7c4jzHn1sjryFB3+w5CIeRLn6RE/LaGa
";

    /// THROWAWAY TEST KEY, made for these tests by `minisign -G` with the password below.
    const STOCK_ENC_SECRET_KEY_TEST_ONLY: &str = "untrusted comment: throwaway encrypted test key (numplan tests)
RWRTY0Iycl3xBeKCGogXsrXvamqT8g6GdFTNxl/2K5iUxQ/rx1MAAAgAAAAAAAAAAAEAAAAALTjqgBWEflDSNPNe8qvHj4WvcJs3d0Y0gc9G0JjtDvMG71yPlLD9gNwZK1NYatODK66yL+otM2MjjTIQ4BRrDpPTgTKfINWcTRJmks2qzwUXijjWs84q/9dwkwrzv8aJ0zdMzOOE0B8=
";
    const STOCK_ENC_PASSWORD_TEST_ONLY: &str = "correct horse";

    const STOCK_SIG_ENC: &str = "untrusted comment: signature from minisign secret key
RUQA+C1kJswIBw8wsNxqy9RrljGNduqDkzCFIJzWbOZWfe1GEi9lT6nBD+RzlV126csI+4ipQCBnEpuYhRgspY+GTOaW5aISnQ0=
trusted comment: numplan KAT: encrypted key
fK7DWUSt14WWEQaq5u6ZhLzIgIrSYwUyxwz9fmF6l5wB+ZzcUeVmSI13wbowgaEqcOxe3IIzmyDwrhlOSjRZAw==
";

    /// A predicate on the expected error of a test case.
    type Expect = fn(&MinisignError) -> bool;

    fn key() -> SecretKey {
        SecretKey::generate().expect("the OS RNG works in tests")
    }

    /// Replaces line `index` (0-based) of a signature text.
    fn with_line(text: &str, index: usize, line: &str) -> String {
        let mut lines: Vec<&str> = text.lines().collect();
        lines[index] = line;
        lines.join("\n") + "\n"
    }

    /// A secret key file over raw fields, unencrypted unless `kdf` says otherwise.
    fn secret_key_text(fields: &[&[u8]]) -> String {
        let bytes: Vec<u8> = fields.concat();
        format!("untrusted comment: test\n{}\n", BASE64.encode(bytes))
    }

    #[test]
    fn round_trip() {
        let sk = key();
        let pk = sk.public_key();
        let data = b"plan fr 2026-04-17";
        let sig = sign(&sk, data, "timestamp:1\tfile:fr.fst", "numplan artifact").expect("sign");
        let verified = verify(&pk, data, &sig).expect("verify");
        assert_eq!(verified.trusted_comment, "timestamp:1\tfile:fr.fst");
        assert_eq!(verified.key_id, pk.key_id());
        assert!(sig.starts_with("untrusted comment: numplan artifact\n"), "{sig}");
        let sig_line = BASE64
            .decode(sig.lines().nth(1).expect("line 2"))
            .expect("base64");
        assert_eq!(sig_line[..2], *b"ED");

        // Keys survive their files.
        let pk2 = PublicKey::parse(&pk.to_file_text()).expect("public key file");
        assert_eq!(pk2, pk);
        assert_eq!(PublicKey::parse(&pk.to_base64()).expect("base64 line"), pk);
        let sk2 = SecretKey::parse(&sk.to_file_text(), None).expect("secret key file");
        assert_eq!(sk2.public_key(), pk);
        assert_eq!(
            sign(&sk2, data, "c", "u").expect("sign"),
            sign(&sk, data, "c", "u").expect("sign")
        );
        // Empty data and empty comments are fine.
        let sig = sign(&sk, b"", "", "").expect("sign");
        assert_eq!(verify(&pk, b"", &sig).expect("verify").trusted_comment, "");
    }

    #[test]
    fn every_modified_data_byte_fails() {
        let sk = key();
        let data: Vec<u8> = (0u8..=200).collect();
        let sig = sign(&sk, &data, "t", "u").expect("sign");
        for i in 0..data.len() {
            for bit in [0x01, 0x80] {
                let mut changed = data.clone();
                changed[i] ^= bit;
                let err = verify(&sk.public_key(), &changed, &sig).expect_err("modified data");
                assert!(matches!(err, MinisignError::BadSignature), "byte {i}: {err:?}");
            }
        }
        let mut longer = data.clone();
        longer.push(0);
        assert!(matches!(
            verify(&sk.public_key(), &longer, &sig),
            Err(MinisignError::BadSignature)
        ));
        assert!(matches!(
            verify(&sk.public_key(), &data[..data.len() - 1], &sig),
            Err(MinisignError::BadSignature)
        ));
    }

    #[test]
    fn modified_trusted_comment_fails() {
        let sk = key();
        let sig = sign(&sk, b"data", "timestamp:1700000000", "u").expect("sign");
        for comment in [
            "timestamp:1700000001",
            "timestamp:1700000000 ",
            "",
            "Timestamp:1700000000",
        ] {
            let changed = with_line(&sig, 2, &format!("trusted comment: {comment}"));
            let err = verify(&sk.public_key(), b"data", &changed).expect_err("modified comment");
            assert!(
                matches!(err, MinisignError::BadTrustedCommentSignature),
                "{comment}: {err:?}"
            );
        }
        // The untrusted comment is not covered.
        let changed = with_line(&sig, 0, "untrusted comment: anything");
        assert!(verify(&sk.public_key(), b"data", &changed).is_ok());
    }

    #[test]
    fn signature_bytes_modified_fail() {
        let sk = key();
        let sig = sign(&sk, b"data", "t", "u").expect("sign");
        let lines: Vec<&str> = sig.lines().collect();
        for (index, byte) in [(1usize, 10usize), (1, 40), (1, 73), (3, 0), (3, 63)] {
            let mut bytes = BASE64.decode(lines[index]).expect("base64");
            bytes[byte] ^= 0x04;
            let changed = with_line(&sig, index, &BASE64.encode(&bytes));
            let err = verify(&sk.public_key(), b"data", &changed).expect_err("modified signature");
            let expected = if index == 1 {
                matches!(err, MinisignError::BadSignature)
            } else {
                matches!(err, MinisignError::BadTrustedCommentSignature)
            };
            assert!(expected, "line {index} byte {byte}: {err:?}");
        }
    }

    #[test]
    fn different_key_is_a_key_id_mismatch() {
        let (a, b) = (key(), key());
        let sig = sign(&a, b"data", "t", "u").expect("sign");
        match verify(&b.public_key(), b"data", &sig) {
            Err(MinisignError::KeyIdMismatch {
                signature_key_id,
                public_key_id,
            }) => {
                assert_eq!(signature_key_id, a.public_key().key_id());
                assert_eq!(public_key_id, b.public_key().key_id());
                let message = verify(&b.public_key(), b"data", &sig)
                    .expect_err("mismatch")
                    .to_string();
                assert!(message.contains(&a.public_key().key_id_hex()), "{message}");
            }
            other => panic!("expected KeyIdMismatch, got {other:?}"),
        }
    }

    #[test]
    fn same_key_id_different_key_is_a_bad_signature() {
        let (a, b) = (key(), key());
        let sig = sign(&a, b"data", "t", "u").expect("sign");
        let impostor = PublicKey {
            key_id: a.public_key().key_id(),
            key: b.public_key().key,
        };
        assert!(matches!(
            verify(&impostor, b"data", &sig),
            Err(MinisignError::BadSignature)
        ));
    }

    #[test]
    fn crlf_and_missing_final_newline_are_tolerated() {
        let sk = key();
        let pk = sk.public_key();
        let sig = sign(&sk, b"data", "t c", "u").expect("sign");
        let crlf = sig.replace('\n', "\r\n");
        assert_eq!(verify(&pk, b"data", &crlf).expect("crlf").trusted_comment, "t c");
        assert!(verify(&pk, b"data", sig.trim_end()).is_ok());
        assert!(verify(&pk, b"data", crlf.trim_end_matches('\n')).is_ok());
        assert!(verify(&pk, b"data", &format!("{sig}\n\n")).is_ok());
        assert_eq!(
            PublicKey::parse(&pk.to_file_text().replace('\n', "\r\n")).expect("crlf"),
            pk
        );
        assert_eq!(
            PublicKey::parse(pk.to_file_text().trim_end()).expect("no newline"),
            pk
        );
        let sk_text = sk.to_file_text().replace('\n', "\r\n");
        assert_eq!(
            SecretKey::parse(sk_text.trim_end(), None)
                .expect("crlf")
                .public_key(),
            pk
        );
    }

    #[test]
    fn comments_that_cannot_be_written_are_refused() {
        let sk = key();
        for (trusted, untrusted) in [
            ("a\nb", "u"),
            ("a\rb", "u"),
            ("a\0b", "u"),
            ("t", "a\nb"),
            ("t", "a\r"),
            ("t", "\0"),
        ] {
            let err = sign(&sk, b"d", trusted, untrusted).expect_err("bad comment");
            assert!(matches!(err, MinisignError::InvalidComment { .. }), "{err:?}");
        }
        let longest = "x".repeat(TRUSTED_COMMENT_MAX_BYTES);
        assert!(sign(&sk, b"d", &longest, "u").is_ok());
        let too_long = "x".repeat(TRUSTED_COMMENT_MAX_BYTES + 1);
        assert!(matches!(
            sign(&sk, b"d", &too_long, "u"),
            Err(MinisignError::InvalidComment { .. })
        ));
        let too_long = "x".repeat(UNTRUSTED_COMMENT_MAX_BYTES + 1);
        assert!(matches!(
            sign(&sk, b"d", "t", &too_long),
            Err(MinisignError::InvalidComment { .. })
        ));
    }

    #[test]
    fn malformed_signatures_are_errors() {
        let sk = key();
        let pk = sk.public_key();
        let sig = sign(&sk, b"data", "t", "u").expect("sign");
        let short = BASE64.encode([0u8; 10]);
        let long = BASE64.encode([0u8; SIGNATURE_BYTES + 1]);
        let global_short = BASE64.encode([0u8; 63]);
        let sig_line = sig.lines().nth(1).expect("line 2").to_string();
        let unpadded = sig_line.trim_end_matches('=').to_string();
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("only whitespace", " \n\r\n".to_string()),
            ("one line", "untrusted comment: x\n".to_string()),
            ("three lines", sig.lines().take(3).collect::<Vec<_>>().join("\n")),
            ("extra line", format!("{sig}extra\n")),
            ("no untrusted prefix", with_line(&sig, 0, "comment: u")),
            ("prefix without space", with_line(&sig, 0, "untrusted comment:u")),
            ("bad base64", with_line(&sig, 1, "!!!!not base64!!!!")),
            ("unpadded base64", with_line(&sig, 1, &unpadded)),
            ("short signature", with_line(&sig, 1, &short)),
            ("long signature", with_line(&sig, 1, &long)),
            ("no trusted prefix", with_line(&sig, 2, "trusted: t")),
            (
                "carriage return in trusted comment",
                with_line(&sig, 2, "trusted comment: a\rb"),
            ),
            ("bad global base64", with_line(&sig, 3, "%%%%")),
            ("short global signature", with_line(&sig, 3, &global_short)),
            ("lines swapped", {
                let l: Vec<&str> = sig.lines().collect();
                [l[0], l[2], l[1], l[3]].join("\n")
            }),
        ];
        for (name, text) in cases {
            match verify(&pk, b"data", &text) {
                Err(MinisignError::Malformed { what }) => assert!(!what.is_empty(), "{name}"),
                other => panic!("{name}: expected Malformed, got {other:?}"),
            }
        }
        // Unknown signature algorithms, including bytes that are not UTF-8.
        for alg in [*b"XX", [0xff, 0xfe], [0, 0]] {
            let mut bytes = BASE64.decode(&sig_line).expect("base64");
            bytes[..2].copy_from_slice(&alg);
            let text = with_line(&sig, 1, &BASE64.encode(&bytes));
            let err = verify(&pk, b"data", &text).expect_err("unsupported");
            assert!(
                matches!(
                    err,
                    MinisignError::UnsupportedAlgorithm {
                        what: "signature",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn malformed_public_keys_are_errors() {
        let pk = key().public_key();
        let line = pk.to_base64();
        let bytes = BASE64.decode(&line).expect("base64");
        let mut hashed_alg = bytes.clone();
        hashed_alg[..2].copy_from_slice(b"ED");
        // A y coordinate with no point on the curve.
        let not_a_point = (0u8..=255)
            .map(|y| {
                let mut point = [0u8; 32];
                point[0] = y;
                point
            })
            .find(|point| VerifyingKey::from_bytes(point).is_err())
            .expect("some y is not on the curve");
        let off_curve = [&SIG_ALG[..], &[1u8; 8], &not_a_point].concat();
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            (
                "comment only",
                "untrusted comment: minisign public key 00\n".to_string(),
            ),
            (
                "first line not a comment",
                format!("minisign public key\n{line}\n"),
            ),
            ("three lines", format!("untrusted comment: x\n{line}\n{line}\n")),
            ("bad base64", "untrusted comment: x\nRWT*\n".to_string()),
            ("short", BASE64.encode(&bytes[..41])),
            ("long", BASE64.encode([&bytes[..], &[0]].concat())),
            ("secret key given", key().to_file_text()),
            ("not a point", BASE64.encode(off_curve)),
        ];
        for (name, text) in cases {
            match PublicKey::parse(&text) {
                Err(MinisignError::Malformed { .. }) => {}
                other => panic!("{name}: expected Malformed, got {other:?}"),
            }
        }
        assert!(matches!(
            PublicKey::parse(&BASE64.encode(hashed_alg)),
            Err(MinisignError::UnsupportedAlgorithm { what: "public key", found }) if &found == b"ED"
        ));
    }

    #[test]
    fn malformed_and_inconsistent_secret_keys_are_errors() {
        let sk = key();
        let keypair = sk.key.to_keypair_bytes();
        let id = sk.key_id;
        let chk = checksum(&id, &keypair);
        let zeros = [0u8; SALT_LEN + 16];
        let good = secret_key_text(&[b"Ed", &[0, 0], b"B2", &zeros, &id, &keypair, &chk]);
        assert_eq!(
            SecretKey::parse(&good, None).expect("good").public_key(),
            sk.public_key()
        );
        // A password given for an unencrypted key is not needed, and ignored.
        assert!(SecretKey::parse(&good, Some("unused")).is_ok());

        let mut bad_chk = chk;
        bad_chk[31] ^= 1;
        let mut other_half = keypair;
        other_half[32..].copy_from_slice(key().public_key().bytes().as_slice());
        let cases: Vec<(&str, String, Expect)> = vec![
            ("empty", String::new(), |e| {
                matches!(e, MinisignError::Malformed { .. })
            }),
            ("short", secret_key_text(&[b"Ed", &[0, 0], b"B2"]), |e| {
                matches!(e, MinisignError::Malformed { .. })
            }),
            ("public key given", sk.public_key().to_file_text(), |e| {
                matches!(e, MinisignError::Malformed { .. })
            }),
            (
                "sig alg",
                secret_key_text(&[b"ED", &[0, 0], b"B2", &zeros, &id, &keypair, &chk]),
                |e| {
                    matches!(
                        e,
                        MinisignError::UnsupportedAlgorithm {
                            what: "secret key",
                            ..
                        }
                    )
                },
            ),
            (
                "checksum alg",
                secret_key_text(&[b"Ed", &[0, 0], b"B3", &zeros, &id, &keypair, &chk]),
                |e| {
                    matches!(
                        e,
                        MinisignError::UnsupportedAlgorithm {
                            what: "secret key checksum",
                            ..
                        }
                    )
                },
            ),
            (
                "kdf alg",
                secret_key_text(&[b"Ed", b"Ar", b"B2", &zeros, &id, &keypair, &chk]),
                |e| {
                    matches!(
                        e,
                        MinisignError::UnsupportedAlgorithm {
                            what: "key derivation",
                            ..
                        }
                    )
                },
            ),
            (
                "bad checksum",
                secret_key_text(&[b"Ed", &[0, 0], b"B2", &zeros, &id, &keypair, &bad_chk]),
                |e| matches!(e, MinisignError::CorruptedKey { .. }),
            ),
            (
                "public half of another key",
                secret_key_text(&[b"Ed", &[0, 0], b"B2", &zeros, &id, &other_half, &[0u8; 32]]),
                |e| matches!(e, MinisignError::CorruptedKey { .. }),
            ),
            (
                "encrypted, no password",
                STOCK_ENC_SECRET_KEY_TEST_ONLY.to_string(),
                |e| matches!(e, MinisignError::Encrypted),
            ),
        ];
        for (name, text, expected) in cases {
            match SecretKey::parse(&text, None) {
                Err(e) if expected(&e) => assert!(!e.to_string().is_empty()),
                other => panic!("{name}: unexpected {other:?}"),
            }
        }

        // scrypt parameters beyond what minisign uses are refused before any derivation.
        let huge = [u64::MAX.to_le_bytes(), (1u64 << 40).to_le_bytes()].concat();
        let text = secret_key_text(&[b"Ed", b"Sc", b"B2", &[7; 32], &huge, &id, &keypair, &chk]);
        assert!(matches!(
            SecretKey::parse(&text, Some("pw")),
            Err(MinisignError::KdfParameters { .. })
        ));
        let tiny_memory_huge_p = [u64::MAX.to_le_bytes(), 0u64.to_le_bytes()].concat();
        let text = secret_key_text(&[
            b"Ed",
            b"Sc",
            b"B2",
            &[7; 32],
            &tiny_memory_huge_p,
            &id,
            &keypair,
            &chk,
        ]);
        assert!(matches!(
            SecretKey::parse(&text, Some("pw")),
            Err(MinisignError::KdfParameters { .. })
        ));
    }

    #[test]
    fn secret_key_debug_hides_the_key() {
        let sk = key();
        let debug = format!("{sk:?}");
        assert_eq!(
            debug,
            format!("SecretKey {{ key_id: {:?}, .. }}", sk.public_key().key_id_hex())
        );
    }

    #[test]
    fn libsodium_scrypt_parameter_choice() {
        // minisign -G: crypto_pwhash_scryptsalsa208sha256_{OPS,MEM}LIMIT_SENSITIVE.
        assert_eq!(scrypt_pick_params(33_554_432, 1_073_741_824), (20, 8, 1));
        // The same, halved 6 times (what minisign does when memory is short).
        assert_eq!(scrypt_pick_params(524_288, 16_777_216), (14, 8, 1));
        // libsodium's INTERACTIVE limits.
        assert_eq!(scrypt_pick_params(524_288, 16_777_216), (14, 8, 1));
        // opslimit < memlimit / 32: p = 1 and N from opslimit (32768 / 32 = 1024, so N = 2^10).
        assert_eq!(scrypt_pick_params(32_768, 1 << 30), (10, 8, 1));
        // opslimit below the floor of 32768 is raised to it.
        assert_eq!(scrypt_pick_params(1, 1 << 30), (10, 8, 1));
        // Memory-bound with spare operations: p grows (maxrp = (2^25/4)/2^14 = 512, p = 64).
        assert_eq!(scrypt_pick_params(1 << 25, 1 << 24), (14, 8, 64));
        // No memory at all: N = 2, and p absorbs the operations.
        assert_eq!(scrypt_pick_params(32_768, 0), (1, 8, 512));
    }

    #[test]
    fn legacy_signatures_verify() {
        let sk = key();
        let pk = sk.public_key();
        let data = b"legacy data";
        let signature = sk.key.sign(data).to_bytes();
        let global = sk
            .key
            .sign(&[&signature[..], b"legacy comment"].concat())
            .to_bytes();
        let text = format!(
            "untrusted comment: legacy\n{}\ntrusted comment: legacy comment\n{}\n",
            BASE64.encode([&SIG_ALG[..], &sk.key_id, &signature].concat()),
            BASE64.encode(global)
        );
        assert_eq!(
            verify(&pk, data, &text).expect("legacy").trusted_comment,
            "legacy comment"
        );
        assert!(matches!(
            verify(&pk, b"legacy dat4", &text),
            Err(MinisignError::BadSignature)
        ));
        // A legacy signature relabelled as prehashed (or the reverse) does not verify.
        let mut bytes = BASE64
            .decode(text.lines().nth(1).expect("line 2"))
            .expect("base64");
        bytes[..2].copy_from_slice(&SIG_ALG_PREHASHED);
        let relabelled = with_line(&text, 1, &BASE64.encode(&bytes));
        assert!(matches!(
            verify(&pk, data, &relabelled),
            Err(MinisignError::BadSignature)
        ));
    }

    #[test]
    fn stock_minisign_known_answers() {
        let pk = PublicKey::parse(STOCK_PUB).expect("stock public key");
        assert_eq!(pk.key_id_hex(), "8A524513651E44E1");
        assert_eq!(pk.to_file_text(), STOCK_PUB);
        assert_eq!(
            PublicKey::parse("RWThRB5lE0VSilGa77Gce9x0cA9R1rPScsolyUAeLekJy7HTrow+yKc2").expect("-P"),
            pk
        );

        let verified = verify(&pk, KAT_DATA, STOCK_SIG_PREHASHED).expect("stock prehashed signature");
        assert_eq!(
            verified,
            Verified {
                trusted_comment: "numplan KAT: prehashed".into(),
                key_id: pk.key_id()
            }
        );
        let verified = verify(&pk, KAT_DATA, STOCK_SIG_LEGACY).expect("stock legacy signature");
        assert_eq!(verified.trusted_comment, "numplan KAT: legacy");
        assert!(matches!(
            verify(&pk, b"numplan known-answer test", STOCK_SIG_PREHASHED),
            Err(MinisignError::BadSignature)
        ));
        assert!(matches!(
            verify(&pk, b"numplan known-answer test", STOCK_SIG_LEGACY),
            Err(MinisignError::BadSignature)
        ));

        // The stock secret key (all-zero checksum) is read, and, Ed25519 being deterministic,
        // signs exactly what stock minisign wrote.
        let sk = SecretKey::parse(STOCK_SECRET_KEY_TEST_ONLY, None).expect("stock -W secret key");
        assert_eq!(sk.public_key(), pk);
        let ours = sign(
            &sk,
            KAT_DATA,
            "numplan KAT: prehashed",
            "signature from stock minisign 0.11 (-W key)",
        )
        .expect("sign");
        assert_eq!(ours, STOCK_SIG_PREHASHED);
        // Our file differs from stock's only by the checksum (stock writes zeros there).
        let ours = sk.to_file_text();
        assert_eq!(ours.lines().next(), STOCK_SECRET_KEY_TEST_ONLY.lines().next());
        let (ours, stock) = (
            BASE64.decode(ours.lines().nth(1).expect("line")).expect("base64"),
            BASE64
                .decode(STOCK_SECRET_KEY_TEST_ONLY.lines().nth(1).expect("line"))
                .expect("base64"),
        );
        assert_eq!(
            ours[..SECRET_KEY_BYTES - CHECKSUM_LEN],
            stock[..SECRET_KEY_BYTES - CHECKSUM_LEN]
        );
        assert_ne!(ours[SECRET_KEY_BYTES - CHECKSUM_LEN..], [0u8; CHECKSUM_LEN]);
    }

    #[test]
    fn stock_minisign_encrypted_key_known_answer() {
        let pk = PublicKey::parse(STOCK_ENC_PUB).expect("stock public key");
        assert_eq!(pk.key_id_hex(), "0708CC26642DF800");
        assert_eq!(
            verify(&pk, KAT_DATA, STOCK_SIG_ENC)
                .expect("verify")
                .trusted_comment,
            "numplan KAT: encrypted key"
        );

        let sk = SecretKey::parse(STOCK_ENC_SECRET_KEY_TEST_ONLY, Some(STOCK_ENC_PASSWORD_TEST_ONLY))
            .expect("stock encrypted key");
        assert_eq!(sk.public_key(), pk);
        let ours = sign(
            &sk,
            KAT_DATA,
            "numplan KAT: encrypted key",
            "signature from minisign secret key",
        )
        .expect("sign");
        assert_eq!(ours, STOCK_SIG_ENC);

        let err = SecretKey::parse(STOCK_ENC_SECRET_KEY_TEST_ONLY, Some("correct horse "))
            .expect_err("wrong password");
        assert!(matches!(err, MinisignError::WrongPassword));
        assert!(err.to_string().contains("wrong password or corrupted key"));
        assert!(matches!(
            SecretKey::parse(STOCK_ENC_SECRET_KEY_TEST_ONLY, None),
            Err(MinisignError::Encrypted)
        ));
    }

    fn base64_of_bytes(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<u8>(), 0..max).prop_map(|b| BASE64.encode(b))
    }

    proptest! {
        #[test]
        fn verify_never_panics_on_text(text in "\\PC*(\n\\PC*){0,6}") {
            let pk = PublicKey::parse(STOCK_PUB).expect("stock public key");
            let _ = verify(&pk, KAT_DATA, &text);
            let _ = PublicKey::parse(&text);
            let _ = SecretKey::parse(&text, None);
        }

        #[test]
        fn verify_never_panics_on_near_signatures(
            untrusted in "(untrusted comment: )?[^\n]{0,20}",
            sig in base64_of_bytes(90),
            trusted in "(trusted comment: )?[^\n]{0,20}",
            global in base64_of_bytes(80),
            alg in prop_oneof![Just(*b"ED"), Just(*b"Ed"), any::<[u8; 2]>()],
            body in proptest::collection::vec(any::<u8>(), 72),
            crlf in any::<bool>(),
        ) {
            let pk = PublicKey::parse(STOCK_PUB).expect("stock public key");
            let sized = BASE64.encode([&alg[..], &body].concat());
            for sig_line in [&sig, &sized] {
                let text = format!("{untrusted}\n{sig_line}\n{trusted}\n{global}\n");
                let text = if crlf { text.replace('\n', "\r\n") } else { text };
                let _ = verify(&pk, KAT_DATA, &text);
            }
        }

        #[test]
        fn key_parsers_never_panic_on_decoded_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            head in prop_oneof![Just(&b"Ed\0\0B2"[..]), Just(&b"EdScB2"[..]), Just(&b"Ed"[..])],
        ) {
            let _ = PublicKey::parse(&BASE64.encode(&bytes));
            let _ = PublicKey::parse(&BASE64.encode([head, &bytes].concat()));
            let _ = SecretKey::parse(&BASE64.encode(&bytes), None);
            let _ = SecretKey::parse(&BASE64.encode([head, &bytes].concat()), None);
        }
    }
}
