//! A shard on a virtual clock, and RTP/RTCP packets to feed it.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::{LatchMode, MediaEvent, MediaOp, RemoteSpec, Side, StreamKey};
use sbc_media::{Endpoint, IoOp, Shard, ShardConfig, SocketId, Verdict};

pub const KEY: StreamKey = StreamKey { call: 7, index: 0 };
pub const A_LOCAL: &str = "192.0.2.1:20000";
pub const B_LOCAL: &str = "192.0.2.2:30000";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub struct Bench {
    pub shard: Shard,
    pub t0: Instant,
    pub now: Instant,
    /// The slot's socket ids, from the shard's Bind ops.
    pub sockets: Vec<(SocketId, SocketAddr)>,
    pub events: Vec<MediaEvent>,
    /// Kernel fast path ops (`Offload`, `Reclaim`), in order.
    pub kernel: Vec<IoOp>,
}

pub fn config() -> ShardConfig {
    ShardConfig {
        inactivity: Duration::from_secs(60),
        hold_inactivity: Duration::from_secs(600),
        latch_window: Duration::from_secs(3),
        latch_packets: 2,
        ..ShardConfig::default()
    }
}

impl Bench {
    /// A shard with stream [`KEY`] open, latching as given.
    pub fn open(latch_a: LatchMode, latch_b: LatchMode) -> Self {
        Self::with(config(), latch_a, latch_b)
    }

    pub fn with(config: ShardConfig, latch_a: LatchMode, latch_b: LatchMode) -> Self {
        let now = Instant::now();
        let mut b = Bench {
            shard: Shard::new(config),
            t0: now,
            now,
            sockets: Vec::new(),
            events: Vec::new(),
            kernel: Vec::new(),
        };
        b.op(MediaOp::Open {
            stream: KEY,
            a_local: addr(A_LOCAL),
            b_local: addr(B_LOCAL),
            latch_a,
            latch_b,
        });
        b
    }

    pub fn op(&mut self, op: MediaOp) {
        self.shard.apply(self.now, op).unwrap();
        self.io();
        self.drain();
    }

    /// Carries out the shard's socket work (kernel ops are only recorded).
    pub fn io(&mut self) {
        while let Some(io) = self.shard.poll_io() {
            match io {
                IoOp::Bind { socket, local } => self.sockets.push((socket, local)),
                IoOp::Unbind { socket } => self.sockets.retain(|(s, _)| *s != socket),
                other => self.kernel.push(other),
            }
        }
    }

    pub fn drain(&mut self) {
        while let Some(ev) = self.shard.poll_event() {
            self.events.push(ev);
        }
    }

    /// Takes the events so far.
    pub fn take_events(&mut self) -> Vec<MediaEvent> {
        self.drain();
        std::mem::take(&mut self.events)
    }

    pub fn remote(&mut self, side: Side, rtp: Option<&str>, fork: Option<&str>) {
        self.remote_spec(
            side,
            RemoteSpec {
                rtp: rtp.map(addr),
                rtcp: None,
                rtcp_mux: false,
                fork: fork.map(str::to_owned),
            },
        );
    }

    pub fn remote_spec(&mut self, side: Side, remote: RemoteSpec) {
        self.op(MediaOp::Remote {
            stream: KEY,
            side,
            remote,
        });
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.shard.handle_timeout(self.now);
        self.drain();
    }

    /// The socket id of an endpoint of [`KEY`].
    pub fn socket(&self, side: Side, rtcp: bool) -> SocketId {
        let ep = Endpoint { side, rtcp };
        let local = match side {
            Side::A => addr(A_LOCAL),
            Side::B => addr(B_LOCAL),
        };
        let port = local.port() + u16::from(rtcp);
        let (id, _) = self
            .sockets
            .iter()
            .find(|(_, a)| a.port() == port && a.ip() == local.ip())
            .copied()
            .unwrap_or_else(|| panic!("no socket for {ep:?}"));
        id
    }

    /// A datagram from `from` arriving on `side`'s RTP (or RTCP) port.
    pub fn recv(&mut self, side: Side, rtcp: bool, from: &str, packet: &[u8]) -> Verdict {
        let mut buf = packet.to_vec();
        let socket = self.socket(side, rtcp);
        let v = self
            .shard
            .handle_packet(self.now, socket, addr(from), &mut buf);
        self.io();
        self.drain();
        v
    }

    /// A datagram received as the IO layer receives it (at `HEADROOM`, `TAILROOM` spare
    /// behind it); the verdict and the bytes forwarded (empty for a drop).
    pub fn recv_roomy(
        &mut self,
        side: Side,
        rtcp: bool,
        from: &str,
        packet: &[u8],
    ) -> (Verdict, Vec<u8>) {
        let mut mem = vec![0u8; sbc_media::HEADROOM + packet.len() + sbc_media::TAILROOM];
        mem[sbc_media::HEADROOM..sbc_media::HEADROOM + packet.len()].copy_from_slice(packet);
        let socket = self.socket(side, rtcp);
        let buf = sbc_media::PacketBuf::new(&mut mem, sbc_media::HEADROOM, packet.len()).unwrap();
        let v = self
            .shard
            .handle_datagram(self.now, socket, addr(from), buf);
        let out = match v {
            Verdict::Forward { start, len, .. } => mem[start..start + len].to_vec(),
            Verdict::Drop(_) => Vec::new(),
        };
        self.io();
        self.drain();
        (v, out)
    }

    /// Like [`recv`](Self::recv), also giving back the buffer as the transform left it
    /// (cut to the forwarded length).
    pub fn recv_buf(
        &mut self,
        side: Side,
        rtcp: bool,
        from: &str,
        packet: &[u8],
    ) -> (Verdict, Vec<u8>) {
        let mut buf = packet.to_vec();
        let socket = self.socket(side, rtcp);
        let v = self
            .shard
            .handle_packet(self.now, socket, addr(from), &mut buf);
        if let Verdict::Forward { len, .. } = v {
            buf.truncate(len);
        }
        self.io();
        self.drain();
        (v, buf)
    }

    /// RTP from `from` on `side`'s RTP port.
    pub fn rtp(&mut self, side: Side, from: &str, ssrc: u32, seq: u16) -> Verdict {
        let p = rtp(ssrc, seq, u32::from(seq) * 160);
        self.recv(side, false, from, &p)
    }

    /// Where a forward goes, or `None` for a drop.
    pub fn dest(v: Verdict) -> Option<SocketAddr> {
        match v {
            Verdict::Forward { to, .. } => Some(to),
            Verdict::Drop(_) => None,
        }
    }
}

/// An RTP packet: PCMA, 160 bytes of payload.
pub fn rtp(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0u8; 172];
    p[0] = 0x80;
    p[1] = 8;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&ts.to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p
}

/// An RTCP receiver report without report blocks.
pub fn rtcp_rr(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}
