//! Packets and bytes the media plane received, per SBC media address, kind (RTP/RTCP)
//! and path (relayed by a worker, or forwarded by the kernel fast path), and every packet
//! it did not relay, per reason.
//!
//! Each worker keeps a [`MediaTally`]: the streams it opened (with their local
//! addresses, from `MediaOp::Open`), the final counters of those it closed, and once a
//! second it sums those with the live streams' counters into its slot of the shared
//! [`MediaBoard`] (one uncontended lock a second; nothing on the packet path). The
//! metrics endpoint sums the slots and names each address by its realm (`media_ip`).
//! Counters are what the peers sent (`direction="in"`): the engine counts packets where
//! they arrive.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sbc_core::{DropCounts, MediaEvent, MediaOp, StreamKey, StreamStats};
use sbc_media::Shard;

/// How often a worker publishes its totals.
const PUBLISH: Duration = Duration::from_secs(1);

/// Packets and bytes of one kind, by who forwarded them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    pub userspace_packets: u64,
    pub userspace_bytes: u64,
    pub kernel_packets: u64,
    pub kernel_bytes: u64,
}

impl Flow {
    fn add(&mut self, other: &Flow) {
        self.userspace_packets += other.userspace_packets;
        self.userspace_bytes += other.userspace_bytes;
        self.kernel_packets += other.kernel_packets;
        self.kernel_bytes += other.kernel_bytes;
    }
}

/// RTP and RTCP received on one media address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    pub rtp: Flow,
    pub rtcp: Flow,
}

impl Received {
    fn add(&mut self, other: &Received) {
        self.rtp.add(&other.rtp);
        self.rtcp.add(&other.rtcp);
    }

    fn add_stats(&mut self, s: &StreamStats) {
        let rtp_packets = s.packets.saturating_sub(s.rtcp);
        let rtp_bytes = s.bytes.saturating_sub(s.rtcp_bytes);
        self.rtp.kernel_packets += s.kernel_packets;
        self.rtp.kernel_bytes += s.kernel_bytes;
        self.rtp.userspace_packets += rtp_packets.saturating_sub(s.kernel_packets);
        self.rtp.userspace_bytes += rtp_bytes.saturating_sub(s.kernel_bytes);
        self.rtcp.userspace_packets += s.rtcp;
        self.rtcp.userspace_bytes += s.rtcp_bytes;
    }
}

/// One worker's (or, summed, the media plane's) totals since the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaTotals {
    pub received: BTreeMap<IpAddr, Received>,
    pub drops: DropCounts,
    /// Streams open now.
    pub streams: u64,
}

impl MediaTotals {
    fn add(&mut self, other: &MediaTotals) {
        for (ip, r) in &other.received {
            self.received.entry(*ip).or_default().add(r);
        }
        self.drops.merge(&other.drops);
        self.streams += other.streams;
    }
}

/// The workers' slots, read by the metrics endpoint.
#[derive(Debug)]
pub struct MediaBoard {
    slots: Vec<Mutex<MediaTotals>>,
}

impl MediaBoard {
    pub fn new(workers: usize) -> Self {
        MediaBoard {
            slots: (0..workers.max(1))
                .map(|_| Mutex::new(MediaTotals::default()))
                .collect(),
        }
    }

    /// The media plane's totals as of each worker's last publication.
    pub fn sum(&self) -> MediaTotals {
        let mut total = MediaTotals::default();
        for slot in &self.slots {
            // A worker that panicked while publishing left a whole copy: read it anyway.
            let t = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            total.add(&t);
        }
        total
    }

    fn publish(&self, worker: usize, totals: MediaTotals) {
        if let Some(slot) = self.slots.get(worker) {
            *slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = totals;
        }
    }
}

/// A worker's bookkeeping for the board.
#[derive(Debug)]
pub struct MediaTally {
    worker: usize,
    board: std::sync::Arc<MediaBoard>,
    /// Open streams and the SBC's media address of each side.
    live: HashMap<StreamKey, [IpAddr; 2]>,
    /// Counters of the streams closed since the start.
    closed: BTreeMap<IpAddr, Received>,
    next: Instant,
}

impl MediaTally {
    pub fn new(worker: usize, board: std::sync::Arc<MediaBoard>) -> Self {
        MediaTally {
            worker,
            board,
            live: HashMap::new(),
            closed: BTreeMap::new(),
            next: Instant::now(),
        }
    }

    /// An op the worker applies (before it does).
    pub fn on_op(&mut self, op: &MediaOp) {
        if let MediaOp::Open {
            stream,
            a_local,
            b_local,
            ..
        } = op
        {
            self.live.insert(*stream, [a_local.ip(), b_local.ip()]);
        }
    }

    /// An event the worker passes on: a closed stream's final counters are kept.
    pub fn on_event(&mut self, ev: &MediaEvent) {
        if let MediaEvent::Closed { stream, a, b } = ev {
            if let Some([a_ip, b_ip]) = self.live.remove(stream) {
                self.closed.entry(a_ip).or_default().add_stats(a);
                self.closed.entry(b_ip).or_default().add_stats(b);
            }
        }
    }

    /// When the next publication is due.
    pub fn poll_timeout(&self) -> Instant {
        self.next
    }

    /// Publishes the worker's totals when due (after its events were passed on: a stream
    /// the shard no longer has, and whose `Closed` never came, was never opened there).
    pub fn publish(&mut self, now: Instant, shard: &Shard) {
        if now < self.next {
            return;
        }
        self.next = now + PUBLISH;
        let mut totals = MediaTotals {
            received: self.closed.clone(),
            drops: *shard.drops(),
            streams: 0,
        };
        self.live.retain(|key, ips| {
            let Some(report) = shard.stats(*key) else {
                return false;
            };
            totals
                .received
                .entry(ips[0])
                .or_default()
                .add_stats(&report.a);
            totals
                .received
                .entry(ips[1])
                .or_default()
                .add_stats(&report.b);
            totals.streams += 1;
            true
        });
        self.board.publish(self.worker, totals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_counters_split_into_kind_and_path() {
        let mut r = Received::default();
        r.add_stats(&StreamStats {
            packets: 110,
            bytes: 110 * 172 - 10 * 100,
            rtcp: 10,
            rtcp_bytes: 10 * 72,
            kernel_packets: 60,
            kernel_bytes: 60 * 172,
            ..StreamStats::default()
        });
        assert_eq!(
            r.rtp,
            Flow {
                userspace_packets: 40,
                userspace_bytes: 40 * 172,
                kernel_packets: 60,
                kernel_bytes: 60 * 172,
            }
        );
        assert_eq!(
            (r.rtcp.userspace_packets, r.rtcp.userspace_bytes),
            (10, 720)
        );
    }

    #[test]
    fn the_board_sums_the_workers() {
        let board = MediaBoard::new(2);
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let mut t = MediaTotals::default();
        t.received.entry(ip).or_default().rtp.userspace_packets = 5;
        t.drops.add(sbc_core::DropKind::Foreign);
        t.streams = 1;
        board.publish(0, t.clone());
        board.publish(1, t);
        let sum = board.sum();
        assert_eq!(sum.received[&ip].rtp.userspace_packets, 10);
        assert_eq!(sum.drops.get(sbc_core::DropKind::Foreign), 2);
        assert_eq!(sum.streams, 2);
    }
}
