//! A stream's state in the shard's slab, and the socket ids its slot implies.
//!
//! The shard's slab index `s` of a stream owns four socket ids, `4s..4s+4`: A's RTP, A's
//! RTCP, B's RTP, B's RTCP. The IO layer keys its sockets by [`SocketId`] (an index into a
//! plain vector, or an epoll token), so the demux phase is two array lookups — no hash, and
//! no clash when two realms use the same port numbers on different addresses.

use std::net::SocketAddr;

use sbc_core::{DtmfLeg, LatchMode, Side as Leg, StreamKey};

use crate::config::Forwarder;
use crate::offload::KernelRelay;
use crate::side::Side;

/// One local UDP socket of the shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u32);

/// What a socket is to its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub side: Leg,
    pub rtcp: bool,
}

impl SocketId {
    pub fn new(slot: usize, ep: Endpoint) -> Self {
        let side = match ep.side {
            Leg::A => 0,
            Leg::B => 2,
        };
        SocketId((slot * 4 + side + usize::from(ep.rtcp)) as u32)
    }

    /// The stream slot and endpoint this id stands for.
    pub fn split(self) -> (usize, Endpoint) {
        let i = self.0 as usize;
        let side = if i & 2 == 0 { Leg::A } else { Leg::B };
        (
            i / 4,
            Endpoint {
                side,
                rtcp: i & 1 == 1,
            },
        )
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The four endpoints of a stream, in socket-id order.
pub const ENDPOINTS: [Endpoint; 4] = [
    Endpoint {
        side: Leg::A,
        rtcp: false,
    },
    Endpoint {
        side: Leg::A,
        rtcp: true,
    },
    Endpoint {
        side: Leg::B,
        rtcp: false,
    },
    Endpoint {
        side: Leg::B,
        rtcp: true,
    },
];

#[derive(Debug)]
pub struct Stream {
    pub key: StreamKey,
    /// Its own slot in the shard's slab (its socket ids are `4 * slot ..`).
    pub slot: usize,
    /// Slot of its call in the shard's call table.
    pub call: usize,
    /// The SBC's RTP address on each leg (RTCP on port + 1).
    pub local: [SocketAddr; 2],
    pub sides: [Side; 2],
    pub clock_rate: u32,
    pub forwarder: Forwarder,
    /// The relay handed to the kernel while `forwarder` is `Kernel`.
    pub offloaded: Option<KernelRelay>,
    /// The IO layer refused the kernel relay once: userspace for good.
    pub kernel_refused: bool,
    /// T.38 UDPTL instead of RTP (`MediaOp::Udptl`).
    pub udptl: bool,
    /// How each leg carries DTMF (`MediaOp::Dtmf`), A then B.
    pub dtmf: [Option<DtmfLeg>; 2],
    /// Its call is picked for capture (`MediaOp::Capture`): every packet is copied.
    pub capture: bool,
}

pub fn ix(side: Leg) -> usize {
    match side {
        Leg::A => 0,
        Leg::B => 1,
    }
}

impl Stream {
    pub fn new(
        key: StreamKey,
        slot: usize,
        call: usize,
        local: [SocketAddr; 2],
        latch: [LatchMode; 2],
        clock_rate: u32,
    ) -> Self {
        let mut a = Side::new(latch[0]);
        // Side A has one peer: it is relayed from its first packet on.
        a.active = Some(0);
        a.answered = true;
        Stream {
            key,
            slot,
            call,
            local,
            sides: [a, Side::new(latch[1])],
            clock_rate,
            forwarder: Forwarder::Userspace,
            offloaded: None,
            kernel_refused: false,
            udptl: false,
            dtmf: [None, None],
            capture: false,
        }
    }

    /// Why its packets need the engine: T.38 (the kernel path relays RTP only), a capture
    /// (every packet is copied), or a side's SRTP, transform, payload-type map or rewrite.
    /// `None`: the kernel could relay it.
    pub fn needs_userspace(&self) -> Option<&'static str> {
        if self.udptl {
            return Some("T.38 UDPTL");
        }
        if self.capture {
            return Some("capture");
        }
        self.sides.iter().find_map(Side::needs_userspace)
    }

    pub fn side_mut(&mut self, side: Leg) -> &mut Side {
        &mut self.sides[ix(side)]
    }

    /// The local address of an endpoint (RTCP: RTP port + 1; `None` past port 65535).
    pub fn local_addr(&self, ep: Endpoint) -> Option<SocketAddr> {
        let rtp = self.local[ix(ep.side)];
        let port = rtp.port().checked_add(u16::from(ep.rtcp))?;
        Some(SocketAddr::new(rtp.ip(), port))
    }
}
