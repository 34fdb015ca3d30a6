//! RTP capture of picked calls: what the media plane hands the control plane.
//!
//! A call picked for capture ([`MediaOp::Capture`](crate::MediaOp::Capture)) has every RTP
//! and RTCP packet of its streams copied by the media worker that relays it, received and
//! sent, on both legs, as the peers see them but in the clear: SRTP/SRTCP after
//! unprotect (received) and before protect (sent). The copies travel in batches
//! ([`CaptureBatch`]: one byte arena and a record per packet, so a batch costs two
//! allocations whatever its size) inside
//! [`MediaEvent::Captured`](crate::MediaEvent::Captured).

use std::net::SocketAddr;
use std::time::Instant;

use crate::Side;

/// Which way a captured packet went, seen from the SBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureWay {
    /// Received from the peer of `side`.
    In,
    /// Sent to the peer of `side`.
    Out,
}

/// One captured packet: its bytes are `len` bytes at `offset` of its batch's `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedPacket {
    /// The call (as in [`StreamKey::call`](crate::StreamKey::call)).
    pub call: u64,
    /// When the worker read or wrote it.
    pub at: Instant,
    /// The leg it was on.
    pub side: Side,
    pub way: CaptureWay,
    pub rtcp: bool,
    /// The SBC's media socket of that leg.
    pub local: SocketAddr,
    /// The peer's address (its source, or where it was sent).
    pub remote: SocketAddr,
    pub offset: u32,
    pub len: u32,
}

/// Packets captured by one worker since its last batch, and what it could not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureBatch {
    pub packets: Vec<CapturedPacket>,
    /// The packets' bytes, back to back.
    pub data: Vec<u8>,
    /// Per call: packets not captured (the worker's capture buffer was full).
    pub dropped: Vec<(u64, u64)>,
}

impl CaptureBatch {
    /// The bytes of `p` (empty if it does not belong to this batch).
    pub fn bytes(&self, p: &CapturedPacket) -> &[u8] {
        let start = p.offset as usize;
        self.data
            .get(start..start.saturating_add(p.len as usize))
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty() && self.dropped.is_empty()
    }
}
