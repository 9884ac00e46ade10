//! The French plan's artifact, built into the library and the binary.
//!
//! `generated/fr.npa` is committed and kept fresh by `cargo xtask generate` (a test fails when it
//! is stale), so a fresh clone answers queries with no set-up step.

use crate::artifact::{Artifact, ArtifactError};

/// The bytes of `generated/fr.npa`.
pub static FR: &[u8] = include_bytes!("../generated/fr.npa");

/// Opens the embedded French artifact.
///
/// # Errors
/// Only if the committed file is damaged, which the test suite rules out.
pub fn fr() -> Result<Artifact<'static>, ArtifactError> {
    Artifact::open(FR)
}
