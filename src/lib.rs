//! numplan: a national telephone numbering plan as reviewed, machine-readable data.
//!
//! The library is a pipeline (see `ARCHITECTURE.md`):
//!
//! ```text
//! plan-sources/ ──load──▶ raw sources ──validate──▶ Plan + diagnostics ──compile──▶ artifact
//! artifact ──open──▶ verify (digest, signature, expiry, rollback) ──▶ lookup / diff
//! ```
//!
//! ```
//! use numplan::artifact::Artifact;
//! let plan = Artifact::open(numplan::embedded::FR)?;
//! plan.verify(&Default::default())?;
//! let found = plan.lookup("0162123456", numplan::date::Date::new(2022, 12, 31).unwrap())?;
//! assert_eq!(found.answer.category().id, "polyvalent"); // 0162 became NPV on 2023-01-01
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`load`], [`validate`], [`plan`]: reading a plan directory, checking it, the validated model.
//! - [`artifact`]: the compiled, memory-mappable artifact: [`artifact::compile`] and
//!   [`artifact::Artifact`] (open, verify, lookup).
//! - [`number`]: numbers as people write them, normalised with the plan's dialling data.
//! - [`diff`]: what changed between two artifacts, over the number space.
//! - [`embedded`]: the French artifact of `generated/`, built in (`cargo xtask generate` makes it).
//! - [`fsutil`]: atomic writes.
//! - [`minisign`]: Ed25519 signatures in minisign's format.
//! - [`range`]: the small range syntax of plan sources (`09 475`, `0270-0271`, lists) and its exact
//!   decomposition into prefixes.
//! - [`date`]: calendar dates as plan sources and registers write them.
//! - [`register`]: Arcep's register formats (MAJNUM, identifiants_CE), read unchanged.
//! - [`span`], [`diag`]: source locations and diagnostics.
//!
//! The library never prints; the `numplan` binary decides about files, output and exit codes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod artifact;
pub mod date;
pub mod diag;
pub mod diff;
pub mod embedded;
pub mod export;
pub mod fsutil;
pub mod load;
pub mod minisign;
pub mod number;
pub mod plan;
pub mod range;
pub mod register;
pub mod span;
pub mod validate;
