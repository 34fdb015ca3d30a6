//! Call quality per side of a stream: what the peers say in RTCP, the round trip the SBC
//! times on each side of itself, and an E-model MOS of the media each peer sent.
//!
//! # What is read, where
//!
//! Every RTCP compound packet a side's peer sends is read ([`report::read`]) in the packet
//! path, after unprotect (SRTCP in the clear) and latch (only an accepted packet counts),
//! before the SDES scrub: its SR sender information, its first report block and the VoIP
//! metrics of an RTCP XR (RFC 3611 §4.7) are kept in that side's [`RtcpState`]. RTCP always
//! goes through the media workers: the kernel fast path maps only the RTP ports (and a
//! stream with rtcp-mux, whose RTCP shares the RTP port, is not handed to the kernel), so a
//! stream the kernel forwards still has its reports read here.
//!
//! # Round-trip time on each side of the SBC
//!
//! The SBC relays RTCP unchanged apart from the SDES scrub: peer A's SR reaches peer B
//! with A's NTP timestamp. When it relays an SR towards side B, the SBC notes the SR's
//! middle 32 NTP bits (what B will echo as LSR) and its own clock. When B's next report
//! block echoes that LSR with a DLSR (B's holding time, 1/65536 s), the round trip between
//! the SBC and B is `now − relayed_at − DLSR` (RFC 3550 §6.4.1, with the SBC's clock in
//! place of A's). The same happens the other way for A's side. Neither peer's clock is
//! read, so clock offsets between A, B and the SBC do not matter. A's own RTT computation
//! from B's RR would time the whole path; the SBC's two halves add up to it.
//!
//! # The quality of what a side's peer sent
//!
//! `assess` fills [`Quality`] for each side, from one of two sources:
//!
//! * `Userspace`: the stream's RTP went through the workers (no packet of it forwarded by
//!   the kernel): the SBC's own receive statistics of that side (RFC 3550 A.3 loss, A.8
//!   jitter, [`crate::stats`]);
//! * `Rtcp`: the kernel forwarded some of it, so the SBC's counts are incomplete: the other
//!   side's peer's latest report block, which describes exactly this media as it arrived
//!   there (fraction lost of the last interval, cumulative loss, jitter).
//!
//! The round trip is the sum of the SBC's round trips to both peers (the one known, when
//! only one is), and the MOS comes from [`mos`]. Nothing here allocates.

pub mod copy;
pub mod mos;
pub mod report;

use std::time::{Duration, Instant};

use sbc_core::{Quality, QualitySource, RtcpStats, StreamStats};

use crate::stream::Stream;

/// SRs remembered per side for the round-trip match (peers send one every few seconds;
/// a report answers the latest).
const SRS: usize = 4;

/// What a side's peer said in RTCP, and the SRs relayed towards it.
#[derive(Debug, Clone, Default)]
pub struct RtcpState {
    pub stats: RtcpStats,
    /// The middle 32 bits of the NTP timestamp of SRs relayed towards this side's peer,
    /// and when; a ring.
    relayed: [Option<(u32, Instant)>; SRS],
    next: usize,
}

impl RtcpState {
    /// An SR with NTP timestamp `ntp` was relayed towards this side's peer at `now`.
    pub fn relayed_sr(&mut self, ntp: u64, now: Instant) {
        self.relayed[self.next] = Some(((ntp >> 16) as u32, now));
        self.next = (self.next + 1) % SRS;
    }

    /// A report this side's peer sent, read at `now`.
    pub fn read(&mut self, now: Instant, report: &sbc_core::RtcpReport) {
        let s = &mut self.stats;
        s.reports += 1;
        s.sender = report.sender.or(s.sender);
        s.xr = report.xr.or(s.xr);
        let Some(block) = report.block else {
            return;
        };
        s.block = Some(block);
        if block.lsr == 0 {
            return;
        }
        let sent = self
            .relayed
            .iter()
            .flatten()
            .find(|(lsr, _)| *lsr == block.lsr);
        if let Some(&(_, at)) = sent {
            let held = Duration::from_micros(u64::from(block.dlsr) * 1_000_000 / 65_536);
            let rtt = now.saturating_duration_since(at).saturating_sub(held);
            s.rtt_us = Some(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX));
        }
    }
}

/// The packet path's hook for an accepted RTCP packet from `side`'s peer (`data`: in the
/// clear). Notes an SR as relayed towards the other side; returns the report as read.
#[cold]
pub(crate) fn rtcp(
    stream: &mut Stream,
    now: Instant,
    side: sbc_core::Side,
    data: &[u8],
) -> Option<sbc_core::RtcpReport> {
    let report = report::read(data)?;
    stream.side_mut(side).rtcp.read(now, &report);
    if let Some(sender) = report.sender {
        stream
            .side_mut(side.other())
            .rtcp
            .relayed_sr(sender.ntp, now);
    }
    Some(report)
}

/// Both sides' counters with their RTCP and quality filled in (A, then B).
pub(crate) fn assess(stream: &Stream) -> [StreamStats; 2] {
    let mut out = [
        stream.sides[0].stats.snapshot(),
        stream.sides[1].stats.snapshot(),
    ];
    let rtcp = [stream.sides[0].rtcp.stats, stream.sides[1].rtcp.stats];
    let rtt = match (rtcp[0].rtt_us, rtcp[1].rtt_us) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    };
    for (i, c) in out.iter_mut().enumerate() {
        c.rtcp_report = rtcp[i];
        c.quality = quality(c, &rtcp[1 - i], rtt, stream.clock_rate);
    }
    out
}

/// The quality of what one side's peer sent: `c` its counters, `far` the RTCP of the
/// other side's peer (which receives it).
fn quality(c: &StreamStats, far: &RtcpStats, rtt_us: Option<u32>, clock_rate: u32) -> Quality {
    let rtp = c.packets.saturating_sub(c.rtcp);
    let rate = u64::from(clock_rate.max(1));
    let (source, lost, loss_permille, jitter) = if c.kernel_packets == 0 && rtp > 0 {
        let expected = rtp + c.lost;
        let permille = c.lost.saturating_mul(1000) / expected.max(1);
        (QualitySource::Userspace, c.lost, permille, c.jitter)
    } else if let Some(b) = far.block {
        let permille = u64::from(b.fraction_lost) * 1000 / 256;
        let lost = u64::try_from(b.cumulative_lost).unwrap_or(0);
        (QualitySource::Rtcp, lost, permille, b.jitter)
    } else {
        return Quality {
            rtt_us,
            ..Quality::default()
        };
    };
    let jitter_us = u64::from(jitter) * 1_000_000 / rate;
    let loss_permille = u16::try_from(loss_permille.min(1000)).unwrap_or(1000);
    let mos = mos::mos_x100(
        f64::from(loss_permille) / 10.0,
        jitter_us as f64 / 1000.0,
        f64::from(rtt_us.unwrap_or(0)) / 1000.0,
    );
    Quality {
        source,
        lost,
        loss_permille,
        jitter_us: u32::try_from(jitter_us).unwrap_or(u32::MAX),
        rtt_us,
        mos_x100: Some(mos),
    }
}

#[cfg(test)]
mod tests;
