//! Receive statistics of one side (what its peer sent): RFC 3550 Appendix A.1/A.3 sequence
//! tracking for loss, A.8 interarrival jitter. Updated in place per packet; no allocation.

use std::time::Instant;

use sbc_core::{DropKind, StreamStats};

/// A jump of the sequence number larger than this is not loss but a restart (A.1).
const MAX_DROPOUT: u16 = 3000;
/// Sequence numbers this far behind the highest are late (reordered) packets (A.1).
const MAX_MISORDER: u16 = 100;

/// Counters and RTP sequence/jitter state of one side.
#[derive(Debug, Clone, Default)]
pub struct SideStats {
    pub counters: StreamStats,
    seq: Option<SeqState>,
    /// Loss counted under earlier SSRCs (a new source restarts the A.1 state).
    lost_before: u64,
    /// First arrival: the origin of arrival times in timestamp units.
    epoch: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct SeqState {
    ssrc: u32,
    base: u32,
    max: u16,
    /// Wrap-arounds of the sequence number, times 65536.
    cycles: u32,
    received: u64,
    /// A.1 `bad_seq`: after a big jump, the sequence number that confirms a restart.
    bad: Option<u16>,
    /// A.8 relative transit time of the previous packet, and jitter scaled by 16.
    transit: Option<u32>,
    jitter16: u32,
}

impl SeqState {
    fn new(ssrc: u32, seq: u16) -> Self {
        SeqState {
            ssrc,
            base: u32::from(seq),
            max: seq,
            cycles: 0,
            received: 0,
            bad: None,
            transit: None,
            jitter16: 0,
        }
    }

    fn expected(&self) -> u64 {
        (u64::from(self.cycles) + u64::from(self.max) + 1).saturating_sub(u64::from(self.base))
    }

    fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }
}

impl SideStats {
    /// Counts an accepted packet of `len` bytes (RTP or RTCP).
    pub fn count(&mut self, len: usize, rtcp: bool) {
        self.counters.packets += 1;
        self.counters.bytes += len as u64;
        if rtcp {
            self.counters.rtcp += 1;
            self.counters.rtcp_bytes += len as u64;
        }
    }

    /// Counts a packet of this side that went no further: under its kind, and in the
    /// `dropped` (every kind but `Consumed`), `junk` and `foreign` sums.
    pub fn drop(&mut self, kind: DropKind) {
        let c = &mut self.counters;
        c.drops.add(kind);
        c.dropped += u64::from(kind.is_loss());
        c.junk += u64::from(kind.is_junk());
        c.foreign += u64::from(kind == DropKind::Foreign);
    }

    /// Sequence (loss) and jitter update for an accepted RTP packet arriving at `now`;
    /// `clock_rate` converts arrival time to timestamp units (A.8).
    pub fn rtp(&mut self, now: Instant, ssrc: u32, seq: u16, timestamp: u32, clock_rate: u32) {
        let epoch = *self.epoch.get_or_insert(now);
        let micros = now.saturating_duration_since(epoch).as_micros() as u64;
        let arrival = (micros.wrapping_mul(u64::from(clock_rate)) / 1_000_000) as u32;
        let s = match &mut self.seq {
            Some(s) if s.ssrc == ssrc => s,
            other => {
                self.lost_before += other.as_ref().map_or(0, SeqState::lost);
                other.insert(SeqState::new(ssrc, seq))
            }
        };
        let delta = seq.wrapping_sub(s.max);
        if s.received == 0 {
            // First packet of this source: the state was just set from it.
        } else if delta < MAX_DROPOUT {
            if seq < s.max {
                s.cycles = s.cycles.wrapping_add(1 << 16);
            }
            s.max = seq;
            s.bad = None;
        } else if delta <= u16::MAX - MAX_MISORDER {
            // A big jump: the source restarted, or a stray packet. A.1: a restart is
            // believed when the next packet follows the jump.
            if s.bad == Some(seq) {
                self.lost_before += s.lost();
                *s = SeqState::new(ssrc, seq);
            } else {
                s.bad = Some(seq.wrapping_add(1));
                return;
            }
        }
        // (else: a duplicate or reordered packet; counted as received.)
        s.received += 1;
        // A.8: D(i-1,i) from the change in relative transit time; J += (|D| - J) / 16.
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(prev) = s.transit {
            let d = (transit.wrapping_sub(prev) as i32).unsigned_abs();
            s.jitter16 = s
                .jitter16
                .wrapping_add(d)
                .wrapping_sub((s.jitter16.wrapping_add(8)) >> 4);
        }
        s.transit = Some(transit);
    }

    /// The RFC 3550 reception state of the current source, for a report block of the
    /// SBC's own RTCP ([`rtcp_gen`](crate::rtcp_gen)); `None` before any RTP.
    pub fn reception(&self) -> Option<crate::rtcp_gen::Reception> {
        let s = self.seq.as_ref().filter(|s| s.received > 0)?;
        Some(crate::rtcp_gen::Reception {
            ssrc: s.ssrc,
            extended_max: s.cycles.wrapping_add(u32::from(s.max)),
            expected: s.expected(),
            received: s.received,
            lost: s.lost(),
            jitter: s.jitter16 >> 4,
        })
    }

    /// The counters, with loss and jitter filled in.
    pub fn snapshot(&self) -> StreamStats {
        let mut c = self.counters;
        c.lost = self.lost_before + self.seq.as_ref().map_or(0, SeqState::lost);
        c.jitter = self.seq.as_ref().map_or(0, |s| s.jitter16 >> 4);
        c
    }
}
