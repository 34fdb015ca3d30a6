//! Copies of the RTCP reports peers send, for a capture (HEP type 5, `[hep]`).
//!
//! Off unless [`ShardConfig::rtcp_copies`](crate::ShardConfig::rtcp_copies) is above 0:
//! then every RTCP compound packet the packet path reads (after unprotect and latch, see
//! [`quality`](super)) leaves a [`RtcpCopy`] in a queue of that many in the shard, which
//! the IO layer drains with [`Shard::poll_rtcp_copy`](crate::Shard::poll_rtcp_copy). A
//! full queue drops the copy and counts it ([`Shard::take_rtcp_copies_dropped`](crate::Shard::take_rtcp_copies_dropped)):
//! copying never holds up a packet. The copy is the report as read ([`RtcpReport`], plain
//! integers, no allocation). RTP packets never reach this code.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{RtcpReport, Side, StreamKey};

/// One RTCP report a peer sent, with where it came from and went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpCopy {
    pub stream: StreamKey,
    /// The side whose peer sent it (its leg's Call-ID is the capture's correlation id).
    pub side: Side,
    /// The peer's address (the packet's source) and the SBC's socket it arrived on.
    pub remote: SocketAddr,
    pub local: SocketAddr,
    /// When the packet path read it.
    pub at: Instant,
    pub report: RtcpReport,
}
