//! What the engine does to packets on their way to one side ([`Egress`], one per side of
//! a stream): the steps of the pipeline's transform and protect phases that belong to the
//! receiving leg. All identity by default: a plain relay.

use crate::crypto::CryptoContext;
use crate::ptmap::PtMap;
use crate::rewrite::Rewrite;
use crate::transform::Transform;

/// The egress state of one side, applied in this order to each packet relayed to it:
/// `transform` (DTMF interworking, transcoding: may rewrite, consume or add packets), the
/// payload-type map and the SSRC/sequence/timestamp rewrite (RTP only), then `crypto`
/// (the protect phase). Packets the engine emits itself are built in the side's own
/// numbering by their transform and only protected.
#[derive(Debug, Default)]
pub struct Egress {
    /// SRTP towards this side's peer; `None`: plain RTP. Boxed (a context is large; a
    /// plain side stays compact).
    pub(crate) crypto: Option<Box<CryptoContext>>,
    pub(crate) payload_types: PtMap,
    pub(crate) rewrite: Rewrite,
    pub(crate) transform: Option<Box<dyn Transform>>,
    /// Any of transform, payload-type map, rewrite is set: the transform phase has work
    /// for this side (kept by [`refresh`](Self::refresh), so a plain relay tests one flag).
    pub(crate) steps: bool,
}

impl Egress {
    /// Recomputes `steps` after a change.
    pub(crate) fn refresh(&mut self) {
        self.steps = self.transform.is_some()
            || !self.payload_types.is_identity()
            || !self.rewrite.is_identity();
    }

    /// Why packets to this side need the engine (`None`: relayed as they came).
    pub fn needs_userspace(&self) -> Option<&'static str> {
        if self.crypto.is_some() {
            return Some("SRTP");
        }
        if let Some(t) = &self.transform {
            return Some(t.name());
        }
        if !self.payload_types.is_identity() {
            return Some("payload-type map");
        }
        if !self.rewrite.is_identity() {
            return Some("SSRC/sequence rewrite");
        }
        None
    }
}
