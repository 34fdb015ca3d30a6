//! The media engine of the Edge SBC (sans-IO).
//!
//! The daemon runs one [`Shard`] per media worker thread; each is a plain `&mut` engine
//! owning its streams (in a slab) and nothing else: no socket, no clock, no lock. The
//! worker's loop:
//!
//! 1. ops from the control plane: [`Shard::apply`]`(now, MediaOp)`; then every
//!    [`Shard::poll_io`] (bind/unbind sockets, a bind failure back through
//!    [`Shard::bind_failed`]);
//! 2. each datagram, received at [`HEADROOM`] into a buffer with [`TAILROOM`] to spare:
//!    [`Shard::handle_datagram`]`(now, socket, from, PacketBuf)` returns a [`Verdict`]:
//!    forward `len` bytes at `start` of the buffer from one of the shard's sockets to an
//!    address, or drop (counted per [`DropReason`]); then [`Shard::poll_transmit`] until
//!    `None` — packets a transform added (1 -> n). [`Shard::handle_packet`] is the same
//!    for a buffer without room around the datagram;
//! 3. time: [`Shard::poll_timeout`] for the next deadline ([`Shard::poll_timer`] names it,
//!    a [`MediaTimer`]), [`Shard::handle_timeout`] at it (media inactivity, transforms'
//!    own packets), then [`Shard::poll_transmit`] until `None`;
//!    The packet path may also queue [`IoOp::Offload`] (hand a latched plain-RTP stream to
//!    the kernel fast path) and ops may queue [`IoOp::Reclaim`] (take it back): see
//!    [`offload`]; the IO layer drains [`Shard::poll_io`] after packets too.
//! 4. reports: [`Shard::poll_event`] until `None` ([`MediaEvent`](sbc_core::MediaEvent)s:
//!    latches, inactivity, bind failures, stats, closes).
//!
//! # The packet path
//!
//! A pipeline of named phases over a per-packet context ([`pipeline`]):
//!
//! ```text
//! demux -> parse -> unprotect -> latch -> transform -> protect -> send
//! ```
//!
//! demux tells RTP/RTCP from STUN, DTLS, ZRTP and TURN by the first byte (RFC 7983) and
//! drops the others (counted), except STUN on a side with ICE-lite ([`MediaOp::Ice`](sbc_core::MediaOp::Ice)),
//! which that side's agent answers in place (the verdict sends the response back to the
//! check's source) and whose nominations move the latch (`ice`); unprotect and protect run the SRTP context of the sending
//! peer and of the receiving side ([`crypto`]: none exists until SRTP lands, so both pass
//! packets through); unprotect comes before latch, so only a packet that authenticated can
//! move a latch; transform hides RTCP SDES ([`sdes`]), runs the receiving side's
//! [`Transform`] (DTMF, codecs: 1 -> 0, 1 -> 1 or 1 -> n, and packets on its own clock) and
//! its payload-type map and SSRC/sequence/timestamp rewrite ([`Egress`]). A step that
//! fails drops that packet only, counted; nothing in the path panics on a peer's input.
//!
//! Who forwards a stream is decided per stream: [`Shard::needs_userspace`] says why one
//! must stay here (SRTP, a transform, a payload-type map, a rewrite, T.38, a capture), else the
//! kernel fast path may take its RTP ([`offload`]).
//!
//! Invariants: each stream has four socket ids ([`SocketId`]: A RTP, A RTCP, B RTP,
//! B RTCP) derived from its slab slot; an `Unbind` of a slot's sockets is always emitted
//! before a `Bind` that reuses the slot. All streams of a call must be in the same shard
//! (the inactivity timer is per call). The packet path does not allocate, hash or lock:
//! packets of the engine's own wait in a queue allocated with the shard.
//!
//! Transcoding (feature `transcoding`, default on; it links libopus and libbcg729 through
//! `sbc-codec`) is a transform like DTMF's: [`Shard::set_transcode`] installs a
//! `transcode::TranscodeTransform` towards a side, which turns the other side's audio
//! into this side's codec as a stream of the SBC's own (or re-cuts it to another packet
//! time, one codec in and out), and reports on that stream with RTCP of its own
//! ([`rtcp_gen`]: SR, a block about what the side's peer sends, SDES), each side's jitter
//! counted in its own codec's clock. It runs inline in the worker that owns the stream.
//!
//! RTP capture of picked calls (every packet of their streams copied in the clear, for
//! the per-call pcap) is in [`capture`].
//!
//! Call quality (RTCP SR/RR/XR read on every side, round-trip time on each side of the
//! SBC, an E-model MOS) is in [`quality`]; every stats report carries it.
//!
//! Latching (symmetric RTP) and its defences against injection are in [`peer`]; forks in
//! [`side`]; loss and jitter in [`stats`]; the inactivity timer in [`calls`].
//!
//! Ports come from the control plane (`sbc-session`'s port pools), which allocates them
//! before `Open` and releases them after `Close`.

mod buf;
pub mod calls;
pub mod capture;
mod config;
mod configure;
pub mod crypto;
mod drop;
pub mod dtmf;
mod egress;
mod ice;
pub mod offload;
mod ops;
pub mod packet;
pub mod peer;
pub mod pipeline;
mod ptmap;
pub mod quality;
mod rewrite;
pub mod rtcp_gen;
pub mod sdes;
pub mod shard;
pub mod side;
mod slots;
pub mod stats;
mod stream;
pub mod timer;
#[cfg(feature = "transcoding")]
pub mod transcode;
#[cfg(feature = "transcoding")]
pub mod transcode_dtmf;
#[cfg(feature = "transcoding")]
mod transcode_handoff;
#[cfg(feature = "transcoding")]
pub mod transcode_inband;
#[cfg(feature = "transcoding")]
pub mod transcode_job;
mod transcode_op;
pub mod transform;
mod transmit;

pub use buf::{HEADROOM, PacketBuf, TAILROOM};
pub use config::{Forwarder, ShardConfig};
pub use crypto::{CryptoContext, CryptoError};
pub use drop::{DropReason, StepError};
pub use egress::Egress;
pub use offload::KernelRelay;
pub use ops::OpError;
pub use ptmap::{PtMap, PtOutOfRange};
pub use rewrite::Rewrite;
pub use shard::{IoOp, Shard, StreamReport, Verdict};
pub use stream::{Endpoint, SocketId};
pub use timer::MediaTimer;
pub use transform::{Action, Transform, TransformCtx};
pub use transmit::{DigitReport, Emit, MAX_EMITTED, MediaTransmit};
