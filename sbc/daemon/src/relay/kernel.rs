//! A worker's side of the kernel media fast path: carries out the shard's
//! [`IoOp::Offload`](sbc_media::IoOp) / `Reclaim` with an
//! [`sbc_firewall::FastPath`] handle, and folds the kernel's per-direction counters back
//! into the shard once a second ([`KernelPath::poll`]), which also keeps offloaded calls
//! from looking inactive and keeps the pinhole refresh going.
//!
//! Each handover and each return is logged (info) with the stream and the reason; a relay
//! the kernel refuses leaves the stream in userspace for good (warned once). The table is
//! shared by the workers: each poll dumps all of its forward entries (O(relays) per worker
//! per second), and keeps the counters of its own streams.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sbc_core::{Side, StreamKey};
use sbc_firewall::fastpath::{Counter, FastPath, Leg, Relay};
use sbc_media::{KernelRelay, Shard};
use tracing::{info, warn};

/// How often the kernel's counters are read.
const POLL: Duration = Duration::from_secs(1);
/// Kernel timeout of a relay's entries (the safety net when a removal is lost; the table
/// is recreated empty at every start, so none outlives the daemon's restart either).
const TTL: Duration = Duration::from_secs(3600);
/// A relay still forwarding is re-installed (timeouts refreshed) this long after the last.
const REFRESH: Duration = Duration::from_secs(1200);

#[derive(Debug)]
struct Tracked {
    relay: Relay,
    seen: [Counter; 2],
    installed: Instant,
}

/// The fast path of one worker.
#[derive(Debug)]
pub struct KernelPath {
    fast: FastPath,
    streams: HashMap<StreamKey, Tracked>,
    next_poll: Instant,
}

fn to_relay(r: &KernelRelay) -> Option<Relay> {
    Some(Relay {
        a: Leg::new(r.a_local, r.a_peer)?,
        b: Leg::new(r.b_local, r.b_peer)?,
    })
}

impl KernelPath {
    pub fn new(fast: FastPath) -> Self {
        KernelPath {
            fast,
            streams: HashMap::new(),
            next_poll: Instant::now() + POLL,
        }
    }

    /// When [`poll`](Self::poll) is due (`None` while nothing is offloaded).
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.streams.is_empty()).then_some(self.next_poll)
    }

    /// `IoOp::Offload`: installs the relay, or tells the shard it stays in userspace.
    pub fn offload(&mut self, now: Instant, shard: &mut Shard, key: StreamKey, r: &KernelRelay) {
        let Some(relay) = to_relay(r) else {
            warn!(stream = %key, "kernel fast path: not IPv4; the stream stays in userspace");
            shard.offload_failed(key);
            return;
        };
        match self.fast.install(&relay, TTL) {
            Ok(()) => {
                info!(stream = %key, %relay, "media forwarded by the kernel (Forwarder::Kernel)");
                self.streams.insert(
                    key,
                    Tracked {
                        relay,
                        seen: [Counter::default(); 2],
                        installed: now,
                    },
                );
                if self.streams.len() == 1 {
                    self.next_poll = now + POLL;
                }
            }
            Err(e) => {
                warn!(stream = %key, "kernel fast path refused ({e}); the stream stays in userspace");
                shard.offload_failed(key);
            }
        }
    }

    /// `IoOp::Reclaim`: the last counters folded in (unless the stream is closed: its
    /// `Closed` counters were taken already and miss at most the last poll interval), the
    /// relay and its connection removed.
    pub fn reclaim(&mut self, now: Instant, shard: &mut Shard, key: StreamKey, why: &str) {
        if shard.forwarder(key).is_some() {
            self.poll_one(now, shard, key);
        }
        let Some(t) = self.streams.remove(&key) else {
            return;
        };
        let (a_to_b, b_to_a) = (t.seen[0].packets, t.seen[1].packets);
        match self.fast.remove(&t.relay) {
            Ok(()) => info!(
                stream = %key,
                why,
                a_to_b,
                b_to_a,
                "media back in userspace (Forwarder::Userspace)"
            ),
            Err(e) => warn!(stream = %key, why, "kernel fast path: removing the relay failed: {e}"),
        }
    }

    /// Reads the kernel's counters and adds what is new to each offloaded stream.
    pub fn poll(&mut self, now: Instant, shard: &mut Shard) {
        if now < self.next_poll || self.streams.is_empty() {
            return;
        }
        self.next_poll = now + POLL;
        let snap = match self.fast.stats() {
            Ok(s) => s,
            Err(e) => {
                warn!("kernel fast path: reading counters failed: {e}");
                return;
            }
        };
        for (key, t) in &mut self.streams {
            let s = snap.relay(&t.relay);
            let fresh = fold(now, shard, *key, t, [s.a_to_b, s.b_to_a]);
            if fresh && now.saturating_duration_since(t.installed) >= REFRESH {
                match self.fast.install(&t.relay, TTL) {
                    Ok(()) => t.installed = now,
                    Err(e) => warn!(stream = %key, "kernel fast path: refresh failed: {e}"),
                }
            }
        }
    }

    fn poll_one(&mut self, now: Instant, shard: &mut Shard, key: StreamKey) {
        let Some(t) = self.streams.get_mut(&key) else {
            return;
        };
        if let Ok(snap) = self.fast.stats() {
            let s = snap.relay(&t.relay);
            fold(now, shard, key, t, [s.a_to_b, s.b_to_a]);
        }
    }
}

/// Adds the counters' growth since the last look; true when packets moved.
fn fold(now: Instant, shard: &mut Shard, key: StreamKey, t: &mut Tracked, c: [Counter; 2]) -> bool {
    let mut moved = false;
    for (i, side) in [Side::A, Side::B].into_iter().enumerate() {
        let packets = c[i].packets.saturating_sub(t.seen[i].packets);
        let bytes = c[i].bytes.saturating_sub(t.seen[i].bytes);
        if packets > 0 {
            shard.add_offloaded(now, key, side, packets, bytes);
            moved = true;
        }
        t.seen[i] = c[i];
    }
    moved
}
