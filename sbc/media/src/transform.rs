//! Transforms: steps of the pipeline's transform phase that a feature installs on a side
//! of a stream ([`Shard::set_transform`](crate::Shard::set_transform)) — DTMF
//! interworking, transcoding, packetisation.
//!
//! A transform sees each packet relayed towards its side after the packet authenticated
//! and latched, and before the payload-type map, the rewrite and protection. It may
//!
//! * rewrite the packet in place (its buffer has head- and tailroom) and let it go on
//!   ([`Action::Forward`]): 1 -> 1;
//! * take it ([`Action::Consume`]): 1 -> 0, counted as
//!   [`DropKind::Consumed`](sbc_core::DropKind::Consumed), not as a loss;
//! * add packets after it ([`Emit::packet`]): 1 -> n, with or without the original;
//! * fail ([`StepError`]): that packet is dropped and counted
//!   ([`DropKind::Transform`](sbc_core::DropKind::Transform)); the stream, the transform
//!   and the worker go on;
//! * emit packets that no packet caused, on its own clock: it names a deadline in
//!   [`Transform::poll_timeout`] (the shard's [`MediaTimer::Transform`]) and emits from
//!   [`Transform::on_timeout`].
//!
//! Emitted packets are queued in the shard (preallocated, bounded) and leave through
//! [`Shard::poll_transmit`](crate::Shard::poll_transmit), which protects them for their
//! side. A stream with a transform is never handed to the kernel fast path. A transform
//! must not allocate per packet either.
//!
//! [`MediaTimer::Transform`]: crate::MediaTimer::Transform

use std::fmt;
use std::time::Instant;

use sbc_core::Side;

use crate::packet::Packet;
use crate::transmit::Emit;
use crate::{PacketBuf, StepError};

/// What happens to the packet after a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It goes on (possibly rewritten).
    Forward,
    /// It goes no further.
    Consume,
}

/// What a transform gets for one packet.
#[derive(Debug)]
pub struct TransformCtx<'c, 'b> {
    pub now: Instant,
    /// The side the packet goes to (the transform's side).
    pub toward: Side,
    /// Its header fields as parsed on arrival (the buffer holds the same until rewritten).
    pub packet: Packet,
    pub buf: &'c mut PacketBuf<'b>,
    /// Queues packets after this one, towards the same side.
    pub emit: Emit<'c>,
}

/// A step of the transform phase on one side of a stream (see the module docs).
pub trait Transform: fmt::Debug + Send {
    /// Its name, in logs and as the reason the stream stays in userspace.
    fn name(&self) -> &'static str;

    /// One packet relayed towards this side.
    fn packet(&mut self, cx: &mut TransformCtx<'_, '_>) -> Result<Action, StepError>;

    /// When [`on_timeout`](Self::on_timeout) must run next; `None`: no timer.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Its deadline has come: emit what is due (and move the deadline on).
    fn on_timeout(&mut self, now: Instant, emit: &mut Emit<'_>) -> Result<(), StepError> {
        let _ = (now, emit);
        Ok(())
    }

    /// An RTCP packet this side's peer sent (plaintext, SDES scrubbed), before it goes
    /// the other way: for a step that sources this side's stream and reports on it
    /// (its SRs give the LSR of [`rtcp_gen`](crate::rtcp_gen)). Default: ignored.
    fn peer_rtcp(&mut self, now: Instant, rtcp: &[u8]) {
        let _ = (now, rtcp);
    }

    /// What the SBC received from this side's peer so far (RFC 3550 A.1/A.8), told
    /// just before [`on_timeout`](Self::on_timeout): for a step that writes RTCP of its
    /// own for the leg ([`rtcp_gen`](crate::rtcp_gen)). Default: ignored.
    fn reception(&mut self, now: Instant, received: Option<crate::rtcp_gen::Reception>) {
        let _ = (now, received);
    }

    /// Itself as `Any`, for the feature that installed it to reach its own type again
    /// (DTMF: a digit to play). `None`: nobody needs to.
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}
