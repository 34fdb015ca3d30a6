//! Why a packet went no further ([`DropReason`]), and how a pipeline step fails
//! ([`StepError`]).
//!
//! Every drop is counted once, by the pipeline's driver, under its [`DropKind`]: in the
//! ingress side's [`StreamStats`](sbc_core::StreamStats) (`drops`, and the older `dropped`,
//! `junk`, `foreign` sums) and in the shard's own counters ([`Shard::drops`]), which also
//! count what no stream can be charged with (strays, engine-emitted packets).
//!
//! [`Shard::drops`]: crate::Shard::drops

use sbc_core::DropKind;

use crate::packet::Junk;

/// Why a datagram was not relayed, with what the phase that decided it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The socket belongs to no stream (a late packet of a closed one).
    NoStream,
    /// Not media this stream relays: not RTP/RTCP (or UDPTL), truncated, an unreadable
    /// RTCP SDES, or a class RFC 7983 tells apart that the engine does not terminate yet
    /// (STUN, DTLS, ZRTP, TURN channels).
    Junk(Junk),
    /// STUN on an ICE side that did not authenticate (MESSAGE-INTEGRITY, ufrag).
    IceAuth,
    /// SRTP/SRTCP authentication or replay check failed.
    Unprotect(StepError),
    /// From a source the side is not latched to and may not latch to now.
    Foreign,
    /// From a new source whose consistency is still being checked.
    Latching,
    /// From a fork that is not the one relayed.
    OtherFork,
    /// RTP of a stream the kernel forwards, still queued on the socket from before the
    /// handover. Relaying it would create a conntrack entry without NAT for the stream's
    /// tuple, which would pull the stream back to the sockets for good.
    Offloaded,
    /// A transform step failed on this packet; the stream and its transform go on.
    Transform(StepError),
    /// A transform step took the packet (1 -> 0); what it carried goes another way, or
    /// later, through [`Shard::poll_transmit`](crate::Shard::poll_transmit).
    Consumed,
    /// Protecting the packet for the other side failed.
    Protect(StepError),
    /// The other side has no address to send to yet (no SDP, or held).
    NoDestination,
}

impl DropReason {
    /// The counter this drop goes to.
    pub fn kind(self) -> DropKind {
        match self {
            DropReason::NoStream => DropKind::NoStream,
            DropReason::Junk(Junk::Stun) => DropKind::Stun,
            DropReason::IceAuth => DropKind::IceAuth,
            DropReason::Junk(Junk::Dtls) => DropKind::Dtls,
            DropReason::Junk(Junk::Zrtp) => DropKind::Zrtp,
            DropReason::Junk(Junk::TurnChannel) => DropKind::TurnChannel,
            DropReason::Junk(_) => DropKind::Junk,
            DropReason::Unprotect(StepError::Srtp(
                sbc_srtp::Error::Replay { .. } | sbc_srtp::Error::TooOld { .. },
            )) => DropKind::Replay,
            DropReason::Unprotect(_) => DropKind::Unprotect,
            DropReason::Foreign => DropKind::Foreign,
            DropReason::Latching => DropKind::Latching,
            DropReason::OtherFork => DropKind::OtherFork,
            DropReason::Offloaded => DropKind::Offloaded,
            DropReason::Transform(StepError::TranscodeQueueFull) => DropKind::TranscodeQueue,
            DropReason::Transform(_) => DropKind::Transform,
            DropReason::Consumed => DropKind::Consumed,
            DropReason::Protect(_) => DropKind::Protect,
            DropReason::NoDestination => DropKind::NoDestination,
        }
    }
}

/// Why a step (unprotect, a transform, protect, an emitted packet) could not process a
/// packet. The packet is dropped; the step and its stream go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The buffer lacks room for what the step must add.
    #[error("needs {needed} more bytes, {room} left in the buffer")]
    NoRoom { needed: usize, room: usize },
    /// The shard's queue of packets of its own is full (the IO layer has not drained it).
    #[error("transmit queue full")]
    QueueFull,
    /// The packet is not what the step can work on (a payload it cannot decode, a header
    /// it cannot rewrite).
    #[error("{what}")]
    Malformed { what: &'static str },
    /// The direction's transcoder is behind: `transcode_job::JOB_INPUTS` packets wait for it already, or the transcoding threads' queue was full.
    #[error("transcoding queue full")]
    TranscodeQueueFull,
    /// SRTP/SRTCP refused the packet (authentication, replay, length, MKI, key use).
    #[error("SRTP: {0}")]
    Srtp(sbc_srtp::Error),
}
