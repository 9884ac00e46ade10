//! An artifact that owns its bytes: what a long-running consumer keeps and swaps.
//!
//! [`Artifact`] borrows the bytes it reads (a memory map, an embedded array, a buffer), which
//! suits one-shot commands. A service that loads fresh data at run time and replaces it without
//! a restart needs the bytes and the reader together in one value it can share between threads
//! (`Arc<OwnedArtifact>`) and drop when the last request on it ends: [`OwnedArtifact`] is that
//! value, with nothing leaked across reloads.

use super::{Artifact, ArtifactError, Trust, VerifyOptions};

self_cell::self_cell!(
    /// The bytes and the reader over them.
    struct Cell {
        owner: Box<[u8]>,
        #[covariant]
        dependent: Artifact,
    }
);

/// An artifact and the bytes it reads, in one value (see the module docs).
pub struct OwnedArtifact {
    cell: Cell,
    trust: Trust,
}

impl OwnedArtifact {
    /// Opens and verifies `bytes` as [`Artifact::open_verified`] does, keeping them.
    ///
    /// # Errors
    /// The first check that fails, as [`Artifact::open_verified`] reports it.
    pub fn open_verified(
        bytes: Vec<u8>,
        options: &VerifyOptions<'_>,
    ) -> Result<OwnedArtifact, ArtifactError> {
        let mut trust = None;
        let cell = Cell::try_new(bytes.into_boxed_slice(), |bytes| {
            let verified = Artifact::open_verified(bytes, options)?;
            trust = Some(verified.trust);
            Ok::<_, ArtifactError>(verified.artifact)
        })?;
        // Set whenever the closure succeeded; the error is unreachable.
        let trust = trust.ok_or(ArtifactError::Foreign)?;
        Ok(OwnedArtifact { cell, trust })
    }

    /// The artifact.
    pub fn artifact(&self) -> &Artifact<'_> {
        self.cell.borrow_dependent()
    }

    /// What was checked when it was opened (its SHA-256, the trusted comment).
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.cell.borrow_owner()
    }
}

impl std::fmt::Debug for OwnedArtifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.artifact();
        f.debug_struct("OwnedArtifact")
            .field("plan", &a.plan_id())
            .field("version", &a.plan_version())
            .field("sequence", &a.sequence())
            .field("sha256", &self.trust.sha256)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owned_artifact_answers_as_the_borrowed_one_and_is_shared_between_threads() {
        let owned = OwnedArtifact::open_verified(crate::embedded::FR.to_vec(), &VerifyOptions::default())
            .expect("the embedded plan opens");
        let borrowed = Artifact::open(crate::embedded::FR).unwrap();
        let day = crate::date::Date::new(2026, 1, 1).unwrap();
        let owned = std::sync::Arc::new(owned);
        let other = std::sync::Arc::clone(&owned);
        let from_thread = std::thread::spawn(move || {
            let found = other.artifact().lookup("0162123456", day).unwrap();
            found.answer.category().id.to_string()
        })
        .join()
        .unwrap();
        let found = borrowed.lookup("0162123456", day).unwrap();
        assert_eq!(from_thread, found.answer.category().id);
        assert_eq!(owned.bytes(), crate::embedded::FR);
        assert_eq!(owned.trust().sha256.len(), 64);
    }

    #[test]
    fn a_damaged_file_is_refused_with_the_readers_error() {
        let mut bytes = crate::embedded::FR.to_vec();
        let n = bytes.len();
        bytes[n / 2] ^= 1;
        let e = OwnedArtifact::open_verified(bytes, &VerifyOptions::default()).unwrap_err();
        assert!(
            matches!(e, ArtifactError::Corrupt { .. } | ArtifactError::Malformed { .. }),
            "{e}"
        );
    }
}
