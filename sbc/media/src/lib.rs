//! The media engine of the Edge SBC (sans-IO).
//!
//! The daemon runs one [`Shard`] per media worker thread; each is a plain `&mut` engine
//! owning its streams (in a slab) and nothing else: no socket, no clock, no lock. The
//! worker's loop:
//!
//! 1. ops from the control plane: [`Shard::apply`]`(now, MediaOp)`; then every
//!    [`Shard::poll_io`] (bind/unbind sockets, a bind failure back through
//!    [`Shard::bind_failed`]);
//! 2. each datagram: [`Shard::handle_packet`]`(now, socket, from, buf)` returns a
//!    [`Verdict`]: forward `len` bytes from one of the shard's sockets to an address, or
//!    drop (counted) — the packet path, in named phases (demux, parse, latch, transform,
//!    send; see [`shard`]);
//! 3. time: [`Shard::poll_timeout`] for the next deadline, [`Shard::handle_timeout`]
//!    at it (media inactivity);
//!    The packet path may also queue [`IoOp::Offload`] (hand a latched plain-RTP stream to
//!    the kernel fast path) and ops may queue [`IoOp::Reclaim`] (take it back): see
//!    [`offload`]; the IO layer drains [`Shard::poll_io`] after packets too.
//! 4. reports: [`Shard::poll_event`] until `None` ([`MediaEvent`](sbc_core::MediaEvent)s:
//!    latches, inactivity, bind failures, stats, closes).
//!
//! Invariants: each stream has four socket ids ([`SocketId`]: A RTP, A RTCP, B RTP,
//! B RTCP) derived from its slab slot; an `Unbind` of a slot's sockets is always emitted
//! before a `Bind` that reuses the slot. All streams of a call must be in the same shard
//! (the inactivity timer is per call). The packet path does not allocate.
//!
//! Latching (symmetric RTP) and its defences against injection are in [`peer`]; forks in
//! [`side`]; loss and jitter in [`stats`]; the inactivity timer in [`calls`].
//!
//! * [`PortPool`] — the even RTP ports of a realm's `media_ports` range (RTCP on +1); it
//!   lives with the control plane, which allocates before `Open` and releases after `Close`.

pub mod calls;
mod config;
pub mod offload;
mod ops;
pub mod packet;
pub mod peer;
mod pool;
pub mod sdes;
pub mod shard;
pub mod side;
pub mod stats;
mod stream;

pub use config::{Forwarder, ShardConfig};
pub use offload::KernelRelay;
pub use ops::OpError;
pub use pool::PortPool;
pub use shard::{DropReason, IoOp, Shard, StreamReport, Verdict};
pub use stream::{Endpoint, SocketId};
