//! Deterministic strong ETags.
//!
//! An ETag is the first 128 bits (32 hex digits) of SHA-256 over a version tag, the payload length,
//! the payload and the residue. The same content therefore has the same ETag on every store, after
//! every resync and across restarts, so a resync from key 0 produces no spurious changes. The
//! length prefix keeps `(payload, residue)` pairs unambiguous. The value is unquoted; the DAV layer
//! adds the quotes.

use sha2::{Digest, Sha256};

/// Computes the strong ETag for an item's content.
///
/// # Example
///
/// ```
/// let a = store::etag::compute(b"payload", b"residue");
/// assert_eq!(a, store::etag::compute(b"payload", b"residue"));
/// assert_ne!(a, store::etag::compute(b"payloadr", b"esidue"));
/// assert_eq!(a.len(), 32);
/// ```
pub fn compute(payload: &[u8], residue: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"easdav-etag-v1\0");
    hasher.update((payload.len() as u64).to_be_bytes());
    hasher.update(payload);
    hasher.update(residue);
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}
