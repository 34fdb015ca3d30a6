//! Copies of the RTCP reports peers send, for a capture (HEP type 5, `[hep]`).
//!
//! Off unless [`ShardConfig::rtcp_copies`](crate::ShardConfig::rtcp_copies) is above 0:
//! then every RTCP compound packet the packet path reads (after unprotect and latch, see
//! [`quality`](super)) leaves a [`RtcpCopy`] in a queue of that many in the shard, which
//! the IO layer drains with [`Shard::poll_rtcp_copy`](crate::Shard::poll_rtcp_copy). A
//! full queue drops the copy and counts it ([`Shard::take_rtcp_copies_dropped`](crate::Shard::take_rtcp_copies_dropped)):
//! copying never holds up a packet. The copy is the report as read ([`RtcpReport`], plain
//! integers, no allocation) and every report block of the compound's SRs and RRs
//! ([`ReportBlocks`], up to [`MAX_BLOCKS`], inline). RTP packets never reach this code.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{ReportBlock, RtcpReport, Side, StreamKey};

/// Report blocks a copy keeps: as many as one SR or RR can carry (its 5-bit count).
pub const MAX_BLOCKS: usize = 31;

/// The report blocks of a compound packet's SRs and RRs, in order, the first
/// [`MAX_BLOCKS`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks {
    blocks: [ReportBlock; MAX_BLOCKS],
    len: u8,
}

impl Default for ReportBlocks {
    fn default() -> Self {
        ReportBlocks {
            blocks: [ReportBlock::default(); MAX_BLOCKS],
            len: 0,
        }
    }
}

impl ReportBlocks {
    /// Every report block of `buf` (an RTCP compound packet in the clear).
    pub fn read(buf: &[u8]) -> Self {
        let mut out = ReportBlocks::default();
        super::report::each_block(buf, |b| out.push(b));
        out
    }

    /// Adds a block; whether there was room.
    pub fn push(&mut self, block: ReportBlock) -> bool {
        let Some(slot) = self.blocks.get_mut(usize::from(self.len)) else {
            return false;
        };
        *slot = block;
        self.len += 1;
        true
    }

    pub fn as_slice(&self) -> &[ReportBlock] {
        &self.blocks[..usize::from(self.len)]
    }
}

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
    /// Every report block, not only the report's first.
    pub blocks: ReportBlocks,
}
