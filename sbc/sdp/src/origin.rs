//! [`LegOrigin`]: the origin the SBC presents on one leg.
//!
//! RFC 3264 §8: within a dialog the `o=` line keeps its session id, and the version
//! grows by exactly one whenever the description changes, and only then. The SBC must
//! never forward the peer's `o=` (topology hiding; and the two legs' versions move
//! independently), so the B2BUA keeps one `LegOrigin` per leg and stamps every
//! description it sends there.

use crate::model::{Origin, SessionDescription};

/// The SBC's origin on one leg, and what it last sent there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegOrigin {
    origin: Origin,
    last: Option<Vec<u8>>,
}

impl LegOrigin {
    /// Starts a leg; the first description stamped carries `origin` unchanged.
    pub fn new(origin: Origin) -> Self {
        LegOrigin { origin, last: None }
    }

    /// The origin as it was last stamped.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Writes this leg's origin into `sdp` and returns the bytes to send. If the
    /// description differs from the one last stamped (anything but the origin line), the
    /// version is bumped first. Call it only for descriptions actually sent.
    pub fn stamp(&mut self, sdp: &mut SessionDescription) -> Vec<u8> {
        sdp.origin = self.origin.clone();
        let mut bytes = sdp.to_bytes();
        if self.last.as_ref().is_some_and(|last| *last != bytes) {
            self.origin.bump();
            sdp.origin = self.origin.clone();
            bytes = sdp.to_bytes();
        }
        self.last = Some(bytes.clone());
        bytes
    }
}
