//! Which media pinholes each anchored stream needs, as it goes through its life.
//!
//! Sans-IO: the core shows it every [`MediaOp`] it sends to the media workers and every
//! [`MediaEvent`] they report; it answers with set-element operations ([`ElementOp`]) for
//! the writer. Per stream and side (the peer on that side sends to the side's local RTP
//! port, and RTCP to the next one):
//!
//! * `Open` (an offer/answer was accepted and ports allocated): the local ports open to any
//!   source ([`Hole::Port`]): the latch window, the peer's real address is not known yet.
//! * `Latched` (the engine learned or was told the peer's address): narrowed to that
//!   address ([`Hole::Peer`]); the port-wide hole is closed.
//! * `Remote` on a latched side (a re-INVITE, another 183): a new latch window opens, so
//!   the port-wide hole opens again for [`RELATCH_GRACE`] only, and the peer's hole is
//!   renewed (after a long hold it may have run out). On a side not latched yet nothing
//!   changes (its port-wide hole is open).
//! * `Stats` showing packets from a side since the last look: its holes are re-opened,
//!   which refreshes their kernel timeout ([`Pinholes::refresh_due`] asks for the stats).
//! * `Close`, `BindFailed`, `Closed`: every hole of the stream is closed.
//!
//! Every hole carries a kernel timeout, so a crash leaves nothing open for longer than
//! that, and the setup at the next start empties the sets anyway.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sbc_core::{MediaEvent, MediaOp, Side, StreamKey, StreamStats};
use sbc_firewall::{ElementOp, Hole};

/// How long the port-wide hole of an already latched side stays open after a new SDP:
/// longer than the media engine's latch window (3 s).
pub const RELATCH_GRACE: Duration = Duration::from_secs(10);

/// One side of a stream: its local RTP address and what is open towards it.
#[derive(Debug, Clone, Copy)]
struct SideHoles {
    local: SocketAddr,
    /// The port-wide hole is (or may still be) open.
    port_open: bool,
    /// The latched peer's address, with its hole open.
    peer: Option<IpAddr>,
    /// Packets seen from this side's peer at the last refresh.
    packets: u64,
}

impl SideHoles {
    /// Local ports of the side: RTP, and RTCP on the next one (opened whether or not the
    /// peer muxes RTCP: the engine knows, the firewall need not).
    fn ports(&self) -> impl Iterator<Item = u16> {
        let rtp = self.local.port();
        [Some(rtp), rtp.checked_add(1)].into_iter().flatten()
    }

    fn port_holes(&self) -> impl Iterator<Item = Hole> {
        let ip = self.local.ip().to_canonical();
        self.ports().map(move |port| Hole::Port { ip, port })
    }

    fn peer_holes(&self, remote: IpAddr) -> impl Iterator<Item = Hole> {
        let ip = self.local.ip().to_canonical();
        self.ports()
            .map(move |port| Hole::Peer { remote, ip, port })
    }
}

#[derive(Debug)]
struct StreamHoles {
    a: SideHoles,
    b: SideHoles,
    /// A refresh was asked for: the next stats re-open the holes of active sides. (Stats
    /// also arrive for other reasons, e.g. every second for the management UI; those do
    /// not refresh.)
    refresh_due: bool,
}

impl StreamHoles {
    fn side(&mut self, side: Side) -> &mut SideHoles {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}

/// The pinhole state of every anchored stream.
#[derive(Debug)]
pub struct Pinholes {
    streams: HashMap<StreamKey, StreamHoles>,
    /// Kernel timeout of an open hole.
    ttl: Duration,
    /// Operations for the writer, each with the stream it is for.
    out: Vec<(StreamKey, ElementOp)>,
    next_refresh: Option<Instant>,
}

impl Pinholes {
    pub fn new(ttl: Duration) -> Self {
        Pinholes {
            streams: HashMap::new(),
            ttl,
            out: Vec::new(),
            next_refresh: None,
        }
    }

    /// A new `pinhole_seconds` (reload): applies to holes opened or refreshed from now on.
    pub fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }

    /// What the queued operations are, for the writer.
    pub fn take_ops(&mut self) -> Vec<(StreamKey, ElementOp)> {
        std::mem::take(&mut self.out)
    }

    /// The stream failed (a hole could not be opened): forget it; the call is ended.
    pub fn forget(&mut self, stream: StreamKey) {
        if let Some(s) = self.streams.remove(&stream) {
            self.close_all(stream, s);
        }
    }

    /// A command the core is sending to the media workers.
    pub fn on_op(&mut self, op: &MediaOp) {
        match *op {
            MediaOp::Open {
                stream,
                a_local,
                b_local,
                ..
            } => {
                let side = |local| SideHoles {
                    local,
                    port_open: true,
                    peer: None,
                    packets: 0,
                };
                let s = StreamHoles {
                    a: side(a_local),
                    b: side(b_local),
                    refresh_due: false,
                };
                for hole in s.a.port_holes().chain(s.b.port_holes()) {
                    self.open(stream, hole, self.ttl);
                }
                if let Some(old) = self.streams.insert(stream, s) {
                    self.close_all(stream, old);
                }
            }
            MediaOp::Remote {
                stream,
                side,
                ref remote,
            } => {
                let Some(s) = self.streams.get_mut(&stream) else {
                    return;
                };
                let s = *s.side(side);
                // Unlatched, the port-wide hole is open already. Latched: a new latch
                // window, the peer may move; the port opens for a grace period only.
                let Some(peer) = s.peer.filter(|_| remote.rtp.is_some()) else {
                    return;
                };
                for hole in s.port_holes() {
                    self.open(stream, hole, RELATCH_GRACE);
                }
                // The peer's own hole may have run out meanwhile (a long hold sends
                // nothing, so nothing refreshed it): renew it.
                for hole in s.peer_holes(peer) {
                    self.open(stream, hole, self.ttl);
                }
                if let Some(st) = self.streams.get_mut(&stream) {
                    st.side(side).port_open = true;
                }
            }
            MediaOp::Close { stream } => self.forget(stream),
            _ => {}
        }
    }

    /// An event from the media workers.
    pub fn on_event(&mut self, ev: &MediaEvent) {
        match *ev {
            MediaEvent::Latched {
                stream, side, addr, ..
            } => self.latched(stream, side, addr.ip().to_canonical()),
            MediaEvent::BindFailed { stream, .. } | MediaEvent::Closed { stream, .. } => {
                self.forget(stream)
            }
            MediaEvent::Stats { stream, a, b } => self.stats(stream, &a, &b),
            MediaEvent::Inactive { .. } | MediaEvent::Digit { .. } | MediaEvent::Captured(_) => {}
        }
    }

    /// Streams whose stats to ask for now, to refresh the holes of the active ones; `None`
    /// until the next refresh is due (a third of the kernel timeout after the last).
    pub fn refresh_due(&mut self, now: Instant) -> Option<Vec<StreamKey>> {
        let period = self.ttl / 3;
        match self.next_refresh {
            Some(at) if now < at => None,
            _ => {
                self.next_refresh = Some(now + period);
                for s in self.streams.values_mut() {
                    s.refresh_due = true;
                }
                Some(self.streams.keys().copied().collect())
            }
        }
    }

    /// When [`Pinholes::refresh_due`] wants to be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.streams.is_empty() {
            None
        } else {
            self.next_refresh
        }
    }

    fn latched(&mut self, stream: StreamKey, side: Side, remote: IpAddr) {
        let ttl = self.ttl;
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let h = s.side(side);
        if h.local.ip().is_ipv4() != remote.is_ipv4() {
            // A peer of the other family cannot be narrowed to: keep the port-wide hole.
            return;
        }
        let before = *h;
        h.peer = Some(remote);
        h.port_open = false;
        if let Some(old) = before.peer.filter(|old| *old != remote) {
            for hole in before.peer_holes(old) {
                self.out.push((stream, ElementOp::Close { hole }));
            }
        }
        if before.peer != Some(remote) {
            for hole in before.peer_holes(remote) {
                self.open(stream, hole, ttl);
            }
        }
        if before.port_open {
            for hole in before.port_holes() {
                self.out.push((stream, ElementOp::Close { hole }));
            }
        }
    }

    fn stats(&mut self, stream: StreamKey, a: &StreamStats, b: &StreamStats) {
        let ttl = self.ttl;
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        if !std::mem::take(&mut s.refresh_due) {
            return;
        }
        let mut refresh = Vec::new();
        for (h, st) in [(&mut s.a, a), (&mut s.b, b)] {
            if st.packets > h.packets {
                h.packets = st.packets;
                match h.peer {
                    Some(remote) => refresh.extend(h.peer_holes(remote)),
                    None => refresh.extend(h.port_holes()),
                }
            }
        }
        for hole in refresh {
            self.open(stream, hole, ttl);
        }
    }

    fn open(&mut self, stream: StreamKey, hole: Hole, ttl: Duration) {
        self.out.push((stream, ElementOp::Open { hole, ttl }));
    }

    fn close_all(&mut self, stream: StreamKey, s: StreamHoles) {
        for h in [s.a, s.b] {
            let holes: Vec<Hole> = match h.peer {
                Some(remote) => h.peer_holes(remote).collect(),
                None => Vec::new(),
            };
            // The port-wide hole may have been re-opened for a latch window: close it too.
            for hole in holes.into_iter().chain(h.port_holes()) {
                self.out.push((stream, ElementOp::Close { hole }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::{LatchMode, LatchReason, RemoteSpec};

    const TTL: Duration = Duration::from_secs(120);
    const KEY: StreamKey = StreamKey { call: 7, index: 0 };

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn ops(p: &mut Pinholes) -> Vec<ElementOp> {
        p.take_ops().into_iter().map(|(_, op)| op).collect()
    }

    fn open(ip: IpAddr, port: u16, ttl: Duration) -> ElementOp {
        ElementOp::Open {
            hole: Hole::Port { ip, port },
            ttl,
        }
    }

    fn open_peer(remote: &str, local: &str, port: u16, ttl: Duration) -> ElementOp {
        ElementOp::Open {
            hole: Hole::Peer {
                remote: ip(remote),
                ip: ip(local),
                port,
            },
            ttl,
        }
    }

    fn close_port(local: &str, port: u16) -> ElementOp {
        ElementOp::Close {
            hole: Hole::Port {
                ip: ip(local),
                port,
            },
        }
    }

    fn anchored() -> Pinholes {
        let mut p = Pinholes::new(TTL);
        p.on_op(&MediaOp::Open {
            stream: KEY,
            a_local: addr("192.0.2.1:20000"),
            b_local: addr("10.0.0.1:30000"),
            latch_a: LatchMode::Always,
            latch_b: LatchMode::PrivateOnly,
        });
        p
    }

    fn latched(side: Side, from: &str) -> MediaEvent {
        MediaEvent::Latched {
            stream: KEY,
            side,
            addr: addr(from),
            reason: LatchReason::Observed,
        }
    }

    #[test]
    fn ports_open_then_narrow_to_the_latched_peer_then_close() {
        let mut p = anchored();
        let (a, b) = (ip("192.0.2.1"), ip("10.0.0.1"));
        assert_eq!(
            ops(&mut p),
            [
                open(a, 20000, TTL),
                open(a, 20001, TTL),
                open(b, 30000, TTL),
                open(b, 30001, TTL)
            ]
        );
        p.on_event(&latched(Side::A, "198.51.100.7:4000"));
        assert_eq!(
            ops(&mut p),
            [
                open_peer("198.51.100.7", "192.0.2.1", 20000, TTL),
                open_peer("198.51.100.7", "192.0.2.1", 20001, TTL),
                close_port("192.0.2.1", 20000),
                close_port("192.0.2.1", 20001),
            ]
        );
        // The same latch again changes nothing.
        p.on_event(&latched(Side::A, "198.51.100.7:4000"));
        assert!(ops(&mut p).is_empty());
        p.on_op(&MediaOp::Close { stream: KEY });
        let closed = ops(&mut p);
        assert!(closed.contains(&ElementOp::Close {
            hole: Hole::Peer {
                remote: ip("198.51.100.7"),
                ip: a,
                port: 20000
            }
        }));
        assert!(closed.contains(&close_port("10.0.0.1", 30001)));
        assert!(
            closed
                .iter()
                .all(|op| matches!(op, ElementOp::Close { .. }))
        );
        // Nothing is left to refresh.
        assert_eq!(p.poll_timeout(), None);
    }

    fn remote(side: Side, rtp: &str) -> MediaOp {
        MediaOp::Remote {
            stream: KEY,
            side,
            remote: RemoteSpec {
                rtp: Some(addr(rtp)),
                rtcp: None,
                rtcp_mux: false,
                fork: None,
            },
        }
    }

    #[test]
    fn a_new_sdp_reopens_the_port_briefly_and_a_move_swaps_the_peer() {
        let mut p = anchored();
        ops(&mut p);
        // Not latched yet: the port-wide hole is open, nothing to write.
        p.on_op(&remote(Side::B, "10.0.0.20:8000"));
        assert!(ops(&mut p).is_empty());
        p.on_event(&latched(Side::B, "10.0.0.20:8000"));
        ops(&mut p);
        p.on_op(&remote(Side::B, "10.0.0.21:8000"));
        let b = ip("10.0.0.1");
        assert_eq!(
            ops(&mut p),
            [
                open(b, 30000, RELATCH_GRACE),
                open(b, 30001, RELATCH_GRACE),
                open_peer("10.0.0.20", "10.0.0.1", 30000, TTL),
                open_peer("10.0.0.20", "10.0.0.1", 30001, TTL)
            ]
        );
        p.on_event(&latched(Side::B, "10.0.0.21:8000"));
        let moved = ops(&mut p);
        assert_eq!(moved.len(), 6, "{moved:?}");
        assert!(moved.contains(&ElementOp::Close {
            hole: Hole::Peer {
                remote: ip("10.0.0.20"),
                ip: b,
                port: 30000
            }
        }));
        assert!(moved.contains(&open_peer("10.0.0.21", "10.0.0.1", 30001, TTL)));
        assert!(moved.contains(&close_port("10.0.0.1", 30000)));
    }

    #[test]
    fn refresh_asks_for_stats_and_reopens_only_active_sides() {
        let mut p = anchored();
        p.on_event(&latched(Side::A, "198.51.100.7:4000"));
        ops(&mut p);
        let now = Instant::now();
        let active = StreamStats {
            packets: 10,
            ..StreamStats::default()
        };
        // Stats nobody asked a refresh for (the UI's) refresh nothing.
        p.on_event(&MediaEvent::Stats {
            stream: KEY,
            a: active,
            b: StreamStats::default(),
        });
        assert!(ops(&mut p).is_empty());
        assert_eq!(p.refresh_due(now), Some(vec![KEY]));
        assert_eq!(p.refresh_due(now + TTL / 6), None);
        assert_eq!(p.poll_timeout(), Some(now + TTL / 3));
        p.on_event(&MediaEvent::Stats {
            stream: KEY,
            a: active,
            b: StreamStats::default(),
        });
        assert_eq!(
            ops(&mut p),
            [
                open_peer("198.51.100.7", "192.0.2.1", 20000, TTL),
                open_peer("198.51.100.7", "192.0.2.1", 20001, TTL)
            ]
        );
        // No new packets by the next refresh: no refresh.
        assert!(p.refresh_due(now + TTL / 3).is_some());
        p.on_event(&MediaEvent::Stats {
            stream: KEY,
            a: active,
            b: StreamStats::default(),
        });
        assert!(ops(&mut p).is_empty());
    }
}
