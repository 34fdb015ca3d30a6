//! RTCP of the SBC's own for a leg whose stream it sources (a transcoded side): the two
//! ends of a transcoded call no longer share a stream, so neither end's reports mean
//! anything to the other, and the SBC reports for itself (RFC 3550 §7.2: a translator that
//! changes the encoding is a new source).
//!
//! An [`RtcpReporter`] belongs to the step that sends towards the leg. It counts what it
//! sent (packets, payload octets, the last RTP timestamp and when), is told what the SBC
//! receives on that leg ([`Reception`], from the side's RFC 3550 A.1/A.8 statistics) and,
//! when its deadline comes, writes one compound packet (RFC 3550 §6.1):
//!
//! * an SR (§6.4.1) with the SBC's SSRC, an NTP timestamp and the RTP timestamp of the same
//!   instant at the output clock (extrapolated from the last packet sent), the packet and
//!   octet counts — or an RR (§6.4.2) while it has sent nothing;
//! * one report block about the peer's stream once it has received any: fraction lost
//!   since the last report, cumulative loss (24-bit, clamped), extended highest sequence
//!   number and interarrival jitter (in the peer's own RTP clock units), LSR (the middle
//!   32 bits of the NTP timestamp of the peer's last SR) and DLSR (the time since it came,
//!   1/65536 s), so that the peer can measure the round trip to the SBC; 0 and 0 before
//!   any SR came (§6.4.1);
//! * an SDES with the CNAME `sbc-<ssrc in hex>` (§6.5.1: required in every compound).
//!
//! Interval (§6.2, §6.3.1, Appendix A.7): with two participants and any audio bitrate the
//! computed interval is under the 5 s minimum, so T = 5 s, the first report after half of
//! it (§6.2: "initial ... 2.5 s"); each is randomised over [0.5, 1.5] T and divided by
//! e - 3/2 (the §6.3.1 compensation), with a generator seeded by the SSRC: deterministic
//! under a virtual clock.
//!
//! No allocation per report: the packet is written into a fixed buffer.

use std::time::{Duration, Instant};

/// RFC 3550 §6.2: the minimum report interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// §6.3.1: the compensation for the timer reconsideration's convergence, e - 3/2.
const COMPENSATION: f64 = 1.218_281_828_459_045;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// SR (28) + one report block (24) + SDES with a 12-byte CNAME (24).
pub const MAX_REPORT: usize = 28 + 24 + 24;

/// A wall-clock reading taken by whoever owns clocks (the daemon), so that the sans-IO
/// engine can turn its `Instant`s into NTP timestamps (RFC 3550 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpAnchor {
    /// The instant of the reading.
    pub at: Instant,
    /// The NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low) at
    /// `at`.
    pub ntp: u64,
}

impl NtpAnchor {
    /// The anchor for `at`, when the wall clock read `since_unix` since 1970.
    pub fn from_unix(at: Instant, since_unix: Duration) -> Self {
        NtpAnchor {
            at,
            ntp: ntp_of(Duration::from_secs(NTP_UNIX_OFFSET) + since_unix),
        }
    }

    /// The NTP timestamp of `now` (instants before the anchor read as the anchor).
    pub fn ntp(&self, now: Instant) -> u64 {
        self.ntp
            .wrapping_add(ntp_of(now.saturating_duration_since(self.at)))
    }
}

/// A duration as a 32.32 fixed-point NTP value.
fn ntp_of(d: Duration) -> u64 {
    (d.as_secs() << 32) | ((u64::from(d.subsec_nanos()) << 32) / 1_000_000_000)
}

/// What the SBC received from the leg's peer (RFC 3550 A.1/A.8 state of the side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reception {
    /// The peer's SSRC.
    pub ssrc: u32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub extended_max: u32,
    /// Packets expected (A.3).
    pub expected: u64,
    /// Packets received.
    pub received: u64,
    /// Cumulative loss (expected - received; may count duplicates as negative: clamped).
    pub lost: u64,
    /// Interarrival jitter, the peer's RTP clock units.
    pub jitter: u32,
}

/// The SBC's own RTCP towards one leg (see the module docs).
#[derive(Debug)]
pub struct RtcpReporter {
    ssrc: u32,
    clock_rate: u32,
    anchor: Option<NtpAnchor>,
    packets: u32,
    octets: u32,
    /// The last RTP timestamp sent, and when.
    last_sent: Option<(u32, Instant)>,
    reception: Option<Reception>,
    /// The peer's last SR: the middle 32 bits of its NTP timestamp, and when it came.
    peer_sr: Option<(u32, Instant)>,
    /// (expected, received) at the last report, for the fraction lost (A.3).
    prior: (u64, u64),
    next_at: Option<Instant>,
    rng: u64,
    buf: [u8; MAX_REPORT],
    /// Reports written.
    sent_reports: u64,
}

impl RtcpReporter {
    /// A reporter for the stream with `ssrc` at RTP clock `clock_rate`; `anchor` turns
    /// instants into NTP time (without one, NTP time counts from the first report: round
    /// trips still work, wall-clock sync does not).
    pub fn new(ssrc: u32, clock_rate: u32, anchor: Option<NtpAnchor>) -> Self {
        RtcpReporter {
            ssrc,
            clock_rate: clock_rate.max(1),
            anchor,
            packets: 0,
            octets: 0,
            last_sent: None,
            reception: None,
            peer_sr: None,
            prior: (0, 0),
            next_at: None,
            rng: u64::from(ssrc) | 1 << 40,
            buf: [0; MAX_REPORT],
            sent_reports: 0,
        }
    }

    /// Counts an RTP packet sent at `now` with timestamp `ts` and `payload` octets; the
    /// first one starts the report timer.
    pub fn sent(&mut self, now: Instant, ts: u32, payload: usize) {
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload as u32);
        self.last_sent = Some((ts, now));
        self.start(now);
    }

    /// What the SBC received on the leg so far; the first starts the timer too (a leg
    /// that only receives still sends RRs).
    pub fn received(&mut self, now: Instant, reception: Option<Reception>) {
        if reception.is_some() {
            self.reception = reception;
            self.start(now);
        }
    }

    /// An SR of the leg's peer arrived at `at` (a compound starting with one): its NTP
    /// timestamp's middle 32 bits go back as LSR.
    pub fn peer_report(&mut self, rtcp: &[u8], at: Instant) {
        if let [_, 200, _, _, _, _, _, _, _, _, a, b, c, d, ..] = *rtcp {
            self.peer_sr = Some((u32::from_be_bytes([a, b, c, d]), at));
        }
    }

    fn start(&mut self, now: Instant) {
        if self.next_at.is_none() {
            self.next_at = Some(now + self.interval() / 2);
        }
    }

    /// When the next report is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_at
    }

    /// Reports written so far.
    pub fn reports(&self) -> u64 {
        self.sent_reports
    }

    /// The next randomised interval (see the module docs).
    fn interval(&mut self) -> Duration {
        // xorshift64*: enough for spreading report times.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        let unit = r as f64 / (1u64 << 53) as f64;
        MIN_INTERVAL.mul_f64((0.5 + unit) / COMPENSATION)
    }

    /// The report due at `now`, if one is (and the deadline moved on), as bytes of a
    /// compound RTCP packet.
    pub fn poll_report(&mut self, now: Instant) -> Option<&[u8]> {
        if self.next_at.is_none_or(|t| now < t) {
            return None;
        }
        self.next_at = Some(now + self.interval());
        let len = self.write(now);
        self.sent_reports += 1;
        Some(&self.buf[..len])
    }

    fn write(&mut self, now: Instant) -> usize {
        let block = self.reception.map(|r| self.block(r, now));
        let count = u8::from(block.is_some());
        let mut at = 0;
        let sr = self.last_sent.is_some();
        let words = if sr { 6 } else { 1 } + 6 * usize::from(count);
        let b = &mut self.buf;
        b[0] = 0x80 | count;
        b[1] = if sr { 200 } else { 201 };
        b[2..4].copy_from_slice(&(words as u16).to_be_bytes());
        b[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        at += 8;
        if let Some((ts, sent_at)) = self.last_sent {
            let anchor = *self.anchor.get_or_insert(NtpAnchor { at: now, ntp: 0 });
            let ntp = anchor.ntp(now);
            let since = now.saturating_duration_since(sent_at);
            let ticks = (since.as_micros() as u64 * u64::from(self.clock_rate) / 1_000_000) as u32;
            b[at..at + 8].copy_from_slice(&ntp.to_be_bytes());
            b[at + 8..at + 12].copy_from_slice(&ts.wrapping_add(ticks).to_be_bytes());
            b[at + 12..at + 16].copy_from_slice(&self.packets.to_be_bytes());
            b[at + 16..at + 20].copy_from_slice(&self.octets.to_be_bytes());
            at += 20;
        }
        if let Some(block) = block {
            b[at..at + 24].copy_from_slice(&block);
            at += 24;
        }
        // SDES, one chunk: CNAME "sbc-xxxxxxxx", then the end item and padding to 32 bits.
        let cname = cname(self.ssrc);
        let chunk = 4 + 2 + cname.len() + 1;
        let padded = chunk.div_ceil(4) * 4;
        b[at] = 0x81;
        b[at + 1] = 202;
        b[at + 2..at + 4].copy_from_slice(&((padded / 4) as u16).to_be_bytes());
        b[at + 4..at + 8].copy_from_slice(&self.ssrc.to_be_bytes());
        b[at + 8] = 1;
        b[at + 9] = cname.len() as u8;
        b[at + 10..at + 10 + cname.len()].copy_from_slice(&cname);
        b[at + 10 + cname.len()..at + 4 + padded].fill(0);
        at + 4 + padded
    }

    /// The report block about `r` (RFC 3550 §6.4.1), moving the A.3 interval state on.
    fn block(&mut self, r: Reception, now: Instant) -> [u8; 24] {
        let expected = r.expected.saturating_sub(self.prior.0);
        let received = r.received.saturating_sub(self.prior.1);
        self.prior = (r.expected, r.received);
        let lost_interval = expected.saturating_sub(received);
        let fraction = (lost_interval << 8)
            .checked_div(expected)
            .map_or(0, |f| f.min(255) as u8);
        let cumulative = r.lost.min(0x7f_ffff) as u32;
        let mut out = [0u8; 24];
        out[0..4].copy_from_slice(&r.ssrc.to_be_bytes());
        out[4] = fraction;
        out[5..8].copy_from_slice(&cumulative.to_be_bytes()[1..]);
        out[8..12].copy_from_slice(&r.extended_max.to_be_bytes());
        out[12..16].copy_from_slice(&r.jitter.to_be_bytes());
        if let Some((lsr, at)) = self.peer_sr {
            let delay = now.saturating_duration_since(at);
            let dlsr = (delay.as_micros() as u64 * 65_536 / 1_000_000).min(u64::from(u32::MAX));
            out[16..20].copy_from_slice(&lsr.to_be_bytes());
            out[20..24].copy_from_slice(&(dlsr as u32).to_be_bytes());
        }
        out
    }
}

/// `sbc-` and the SSRC in lower-case hex: 12 bytes.
fn cname(ssrc: u32) -> [u8; 12] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = *b"sbc-00000000";
    for (i, byte) in out[4..].iter_mut().enumerate() {
        *byte = HEX[((ssrc >> (28 - 4 * i)) & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn ntp_of_the_unix_epoch_is_2208988800() {
        let t0 = Instant::now();
        let a = NtpAnchor::from_unix(t0, Duration::ZERO);
        assert_eq!(a.ntp >> 32, 2_208_988_800);
        let later = a.ntp(t0 + Duration::from_millis(1500));
        assert_eq!(later >> 32, 2_208_988_801);
        assert_eq!(later & 0xffff_ffff, 1 << 31, "half a second");
    }

    #[test]
    fn nothing_before_any_traffic_and_the_first_report_within_half_the_interval() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(0x1234_5678, 8000, None);
        assert_eq!(r.poll_timeout(), None);
        r.sent(t0, 1000, 160);
        let due = r.poll_timeout().expect("timer started");
        let first = due - t0;
        // [0.5, 1.5] * 2.5 s / 1.218
        assert!(first >= Duration::from_millis(1026) && first <= Duration::from_millis(3079));
        assert!(r.poll_report(due - Duration::from_millis(1)).is_none());
    }

    #[test]
    fn intervals_stay_within_rfc3550_bounds() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(7, 48_000, None);
        r.sent(t0, 0, 60);
        let mut now = r.poll_timeout().expect("due");
        let mut sum = Duration::ZERO;
        for _ in 0..200 {
            assert!(r.poll_report(now).is_some());
            let next = r.poll_timeout().expect("due");
            let d = next - now;
            assert!(d >= Duration::from_millis(2052) && d <= Duration::from_millis(6157));
            sum += d;
            now = next;
        }
        // Mean 5 s / 1.218 = 4.1 s.
        let mean = sum / 200;
        assert!(mean > Duration::from_millis(3700) && mean < Duration::from_millis(4500));
    }

    #[test]
    fn a_sender_report_with_its_counts_timestamps_a_block_and_a_cname() {
        let t0 = Instant::now();
        let anchor = NtpAnchor::from_unix(t0, Duration::from_secs(1_700_000_000));
        let mut r = RtcpReporter::new(0xdead_beef, 48_000, Some(anchor));
        for i in 0..50u32 {
            r.sent(t0 + Duration::from_millis(20 * u64::from(i)), 960 * i, 60);
        }
        r.received(
            t0,
            Some(Reception {
                ssrc: 0x0102_0304,
                extended_max: 0x0001_0010,
                expected: 100,
                received: 90,
                lost: 10,
                jitter: 37,
            }),
        );
        let at = t0 + Duration::from_secs(3);
        let report = r.poll_report(at).expect("due by 3 s").to_vec();
        assert_eq!(report.len(), 28 + 24 + 24);
        // SR header: V=2, RC=1, PT=200, length 12 words (52 bytes).
        assert_eq!(&report[..4], &[0x81, 200, 0, 12]);
        assert_eq!(u32_at(&report, 4), 0xdead_beef);
        assert_eq!(
            u64::from(u32_at(&report, 8)),
            1_700_000_000 + NTP_UNIX_OFFSET + 3
        );
        assert_eq!(u32_at(&report, 12), 0, "a whole second: no fraction");
        // The last packet went at 980 ms with 47040; 2.02 s later at 48 kHz: + 96960.
        assert_eq!(u32_at(&report, 16), 47_040 + 96_960);
        assert_eq!(u32_at(&report, 20), 50);
        assert_eq!(u32_at(&report, 24), 3000);
        // The block: fraction 10/100 * 256 = 25, cumulative 10.
        assert_eq!(u32_at(&report, 28), 0x0102_0304);
        assert_eq!(&report[32..36], &[25, 0, 0, 10]);
        assert_eq!(u32_at(&report, 36), 0x0001_0010);
        assert_eq!(u32_at(&report, 40), 37);
        assert_eq!(u32_at(&report, 44), 0);
        assert_eq!(u32_at(&report, 48), 0);
        // SDES: one chunk, CNAME item of 12 bytes, end, padding.
        assert_eq!(&report[52..56], &[0x81, 202, 0, 5]);
        assert_eq!(u32_at(&report, 56), 0xdead_beef);
        assert_eq!(&report[60..62], &[1, 12]);
        assert_eq!(&report[62..74], b"sbc-deadbeef");
        assert_eq!(&report[74..76], &[0, 0]);
        // The next interval's fraction counts only what happened since.
        r.received(
            at,
            Some(Reception {
                ssrc: 0x0102_0304,
                extended_max: 0x0001_0074,
                expected: 200,
                received: 190,
                lost: 10,
                jitter: 30,
            }),
        );
        let next = r.poll_timeout().expect("next");
        let report = r.poll_report(next).expect("due");
        assert_eq!(report[32], 0, "nothing lost in the second interval");
    }

    #[test]
    fn the_peers_last_sr_comes_back_as_lsr_and_dlsr() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(5, 8000, None);
        let reception = Reception {
            ssrc: 9,
            extended_max: 100,
            expected: 100,
            received: 100,
            lost: 0,
            jitter: 3,
        };
        r.received(t0, Some(reception));
        // The peer's SR: NTP 0x0001_2345_6789_abcd -> LSR 0x2345_6789.
        let mut sr = vec![0x80, 200, 0, 6, 0, 0, 0, 9];
        sr.extend_from_slice(&0x0001_2345_6789_abcdu64.to_be_bytes());
        sr.extend_from_slice(&[0; 12]);
        r.peer_report(&[0x80, 201, 0, 1, 0, 0, 0, 9], t0);
        r.peer_report(&sr, t0);
        let due = r.poll_timeout().expect("started");
        let report = r.poll_report(due).expect("due").to_vec();
        assert_eq!(u32_at(&report, 24), 0x2345_6789, "LSR");
        let dlsr = u64::from(u32_at(&report, 28));
        let expected = (due - t0).as_micros() as u64 * 65_536 / 1_000_000;
        assert_eq!(dlsr, expected, "DLSR in 1/65536 s");
    }

    #[test]
    fn a_leg_that_only_receives_sends_receiver_reports() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(5, 8000, None);
        r.received(
            t0,
            Some(Reception {
                ssrc: 9,
                extended_max: 100,
                expected: 100,
                received: 100,
                lost: 0,
                jitter: 3,
            }),
        );
        let due = r.poll_timeout().expect("started by reception");
        let report = r.poll_report(due).expect("due");
        assert_eq!(&report[..4], &[0x81, 201, 0, 7]);
        assert_eq!(report.len(), 8 + 24 + 24);
        assert_eq!(&report[32..34], &[0x81, 202]);
    }
}
