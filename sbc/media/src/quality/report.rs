//! Reading an RTCP compound packet for quality: the sender information of an SR, the first
//! report block of an SR or RR (RFC 3550 §6.4.1, §6.4.2) and the VoIP metrics block of an
//! XR (RFC 3611 §4.7). Other packets (SDES, BYE, APP, feedback) and other XR blocks are
//! skipped by their length. Nothing is copied or allocated; a packet whose length runs past
//! the datagram ends the walk (what was read before stays).

use sbc_core::{ReportBlock, RtcpReport, SenderInfo, XrVoip};

const SR: u8 = 200;
const RR: u8 = 201;
const XR: u8 = 207;
/// RFC 3611 §4.7: block type of VoIP metrics, and its length field (words - 1).
const XR_VOIP: u8 = 7;
const XR_VOIP_WORDS: u16 = 8;
/// A report block is six words.
const BLOCK: usize = 24;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads `buf` (an RTCP compound packet in the clear) into an [`RtcpReport`]; `None` when
/// its first packet's header cannot be read.
pub fn read(buf: &[u8]) -> Option<RtcpReport> {
    let mut report = RtcpReport {
        packet_type: *buf.get(1)?,
        ssrc: be32(buf, 4)?,
        ..RtcpReport::default()
    };
    let mut at = 0;
    while let (Some(&b0), Some(&pt), Some(words)) =
        (buf.get(at), buf.get(at + 1), be16(buf, at + 2))
    {
        let len = (usize::from(words) + 1) * 4;
        let Some(packet) = buf.get(at..at + len) else {
            break;
        };
        if b0 >> 6 != 2 {
            break;
        }
        let count = usize::from(b0 & 0x1f);
        match pt {
            SR => {
                report.sender = sender_info(packet);
                blocks(&mut report, packet, 28, count);
            }
            RR => blocks(&mut report, packet, 8, count),
            XR => report.xr = report.xr.or_else(|| xr_voip(packet)),
            _ => {}
        }
        at += len;
    }
    Some(report)
}

/// Calls `each` with every report block of `buf`'s SR and RR packets, in order (blocks a
/// packet's length does not hold are not read).
pub fn each_block(buf: &[u8], mut each: impl FnMut(ReportBlock) -> bool) {
    let mut at = 0;
    while let (Some(&b0), Some(&pt), Some(words)) =
        (buf.get(at), buf.get(at + 1), be16(buf, at + 2))
    {
        let len = (usize::from(words) + 1) * 4;
        let Some(packet) = buf.get(at..at + len) else {
            return;
        };
        if b0 >> 6 != 2 {
            return;
        }
        let first = match pt {
            SR => 28,
            RR => 8,
            _ => {
                at += len;
                continue;
            }
        };
        let present = usize::from(b0 & 0x1f).min(packet.len().saturating_sub(first) / BLOCK);
        for i in 0..present {
            if let Some(b) = block(packet, first + i * BLOCK) {
                if !each(b) {
                    return;
                }
            }
        }
        at += len;
    }
}

fn sender_info(p: &[u8]) -> Option<SenderInfo> {
    let ntp = (u64::from(be32(p, 8)?) << 32) | u64::from(be32(p, 12)?);
    Some(SenderInfo {
        ntp,
        rtp_timestamp: be32(p, 16)?,
        packets: be32(p, 20)?,
        octets: be32(p, 24)?,
    })
}

/// Counts the report blocks from `first` on and keeps the compound's first one.
fn blocks(report: &mut RtcpReport, p: &[u8], first: usize, count: usize) {
    let present = count.min(p.len().saturating_sub(first) / BLOCK);
    report.blocks = report.blocks.saturating_add(present as u8);
    if report.block.is_none() && present > 0 {
        report.block = block(p, first);
    }
}

fn block(p: &[u8], at: usize) -> Option<ReportBlock> {
    let lost = be32(p, at + 4)?;
    // The low 24 bits, sign-extended.
    let cumulative_lost = ((lost << 8) as i32) >> 8;
    Some(ReportBlock {
        ssrc: be32(p, at)?,
        fraction_lost: (lost >> 24) as u8,
        cumulative_lost,
        highest_seq: be32(p, at + 8)?,
        jitter: be32(p, at + 12)?,
        lsr: be32(p, at + 16)?,
        dlsr: be32(p, at + 20)?,
    })
}

/// The first VoIP metrics block of an XR packet (header, then the reporter's SSRC, then
/// blocks of `BT, type-specific, length`).
fn xr_voip(p: &[u8]) -> Option<XrVoip> {
    let mut at = 8;
    while let (Some(&bt), Some(words)) = (p.get(at), be16(p, at + 2)) {
        let len = (usize::from(words) + 1) * 4;
        if bt == XR_VOIP && words == XR_VOIP_WORDS {
            let b = p.get(at + 4..at + len)?;
            return Some(XrVoip {
                ssrc: be32(b, 0)?,
                loss_rate: b[4],
                discard_rate: b[5],
                burst_density: b[6],
                gap_density: b[7],
                burst_duration: be16(b, 8)?,
                gap_duration: be16(b, 10)?,
                round_trip_delay: be16(b, 12)?,
                end_system_delay: be16(b, 14)?,
                // 16..20: signal level, noise level, RERL, Gmin.
                r_factor: b[20],
                ext_r_factor: b[21],
                mos_lq: b[22],
                mos_cq: b[23],
                // 24: RX config, 25: reserved.
                jb_nominal: be16(b, 26)?,
                jb_maximum: be16(b, 28)?,
            });
        }
        at += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SR (RFC 3550 §6.4.1 layout) with one report block, then an SDES with a CNAME.
    const SR_SDES: [u8; 68] = [
        // SR: V=2 RC=1, PT=200, length 12 (13 words).
        0x81, 200, 0x00, 0x0c, //
        0x11, 0x22, 0x33, 0x44, // sender SSRC
        0xe6, 0x5b, 0x12, 0x34, // NTP seconds
        0x80, 0x00, 0x00, 0x00, // NTP fraction (0.5 s)
        0x00, 0x01, 0xe2, 0x40, // RTP timestamp 123456
        0x00, 0x00, 0x01, 0xf4, // packets 500
        0x00, 0x01, 0x38, 0x80, // octets 80000
        // report block
        0xaa, 0xbb, 0xcc, 0xdd, // SSRC reported on
        0x0d, 0x00, 0x00, 0x1b, // fraction 13/256, cumulative 27
        0x00, 0x01, 0x00, 0x64, // extended highest seq: cycle 1, seq 100
        0x00, 0x00, 0x00, 0x50, // jitter 80
        0x5b, 0x12, 0x80, 0x00, // LSR
        0x00, 0x01, 0x80, 0x00, // DLSR 1.5 s
        // SDES: one chunk, CNAME "ab", end of items, padding.
        0x81, 202, 0x00, 0x03, //
        0x11, 0x22, 0x33, 0x44, //
        0x01, 0x02, b'a', b'b', //
        0x00, 0x00, 0x00, 0x00, //
    ];

    #[test]
    fn sender_report_with_a_block() {
        let r = read(&SR_SDES).expect("an SR");
        assert_eq!((r.packet_type, r.ssrc, r.blocks), (200, 0x1122_3344, 1));
        let s = r.sender.expect("sender info");
        assert_eq!(s.ntp, 0xe65b_1234_8000_0000);
        assert_eq!(
            (s.rtp_timestamp, s.packets, s.octets),
            (123_456, 500, 80_000)
        );
        let b = r.block.expect("a block");
        assert_eq!(
            b,
            ReportBlock {
                ssrc: 0xaabb_ccdd,
                fraction_lost: 13,
                cumulative_lost: 27,
                highest_seq: 0x0001_0064,
                jitter: 80,
                lsr: 0x5b12_8000,
                dlsr: 0x0001_8000,
            }
        );
        assert_eq!(r.xr, None);
    }

    #[test]
    fn receiver_report_negative_loss_and_xr_voip() {
        let mut p = vec![
            // RR, RC=1, 8 words.
            0x81, 201, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, //
            0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0xff, 0xff, 0xfe, // cumulative lost -2
            0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        // XR (RFC 3611 §2): header, reporter SSRC; a receiver reference time block (BT 4,
        // §4.4) to skip; then VoIP metrics (BT 7, length 8).
        p.extend_from_slice(&[0x80, 207, 0x00, 0x0d, 0x01, 0x02, 0x03, 0x04]);
        p.extend_from_slice(&[4, 0, 0, 2, 0xe6, 0x5b, 0x12, 0x34, 0, 0, 0, 0]);
        p.extend_from_slice(&[
            7, 0, 0, 8, // BT 7, length 8
            0x0a, 0x0b, 0x0c, 0x0d, // SSRC
            12, 3, 40, 2, // loss, discard, burst density, gap density
            0x00, 0x78, 0x01, 0x2c, // burst 120 ms, gap 300 ms
            0x00, 0x50, 0x00, 0x28, // round trip 80 ms, end system 40 ms
            0xec, 0xc4, 0x7f, 0x7f, // signal, noise, RERL, Gmin
            88, 127, 41, 43, // R, ext R, MOS-LQ 4.1, MOS-CQ 4.3
            0x00, 0x00, 0x00, 0x3c, // RX config, reserved, JB nominal 60
            0x00, 0x78, 0x00, 0xc8, // JB max 120, abs max 200
        ]);
        let r = read(&p).expect("a report");
        assert_eq!((r.packet_type, r.blocks), (201, 1));
        let b = r.block.expect("a block");
        assert_eq!((b.cumulative_lost, b.highest_seq, b.jitter), (-2, 9, 3));
        let x = r.xr.expect("VoIP metrics");
        assert_eq!((x.ssrc, x.loss_rate, x.discard_rate), (0x0a0b_0c0d, 12, 3));
        assert_eq!((x.burst_duration, x.gap_duration), (120, 300));
        assert_eq!((x.round_trip_delay, x.end_system_delay), (80, 40));
        assert_eq!(
            (x.r_factor, x.ext_r_factor, x.mos_lq, x.mos_cq),
            (88, 127, 41, 43)
        );
        assert_eq!((x.jb_nominal, x.jb_maximum), (60, 120));
    }

    #[test]
    fn truncated_and_short_input() {
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[0x81, 201, 0]), None);
        // RC says two blocks, the length holds one: one counted.
        let mut p = SR_SDES[..52].to_vec();
        p[0] = 0x82;
        let r = read(&p).expect("a report");
        assert_eq!(r.blocks, 1);
        // The length runs past the datagram: nothing of that packet.
        let mut p = SR_SDES[..40].to_vec();
        p[3] = 0x0c;
        let r = read(&p).expect("a report");
        assert_eq!((r.sender, r.block), (None, None));
    }

    #[test]
    fn every_block_of_every_sr_and_rr_in_order() {
        // The SR (one block, then its SDES), then an RR with two blocks.
        let mut p = SR_SDES.to_vec();
        p.extend_from_slice(&[0x82, 201, 0x00, 0x0d, 0x01, 0x02, 0x03, 0x04]);
        for ssrc in [0x0000_0001u32, 0x0000_0002] {
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend_from_slice(&[0; 20]);
        }
        let mut seen = Vec::new();
        each_block(&p, |b| {
            seen.push(b.ssrc);
            true
        });
        assert_eq!(seen, [0xaabb_ccdd, 1, 2]);
        assert_eq!(read(&p).expect("a report").blocks, 3);
        let copied = crate::quality::copy::ReportBlocks::read(&p);
        assert_eq!(
            copied.as_slice().iter().map(|b| b.ssrc).collect::<Vec<_>>(),
            [0xaabb_ccdd, 1, 2]
        );
        // A full list keeps the first 31.
        let mut full = crate::quality::copy::ReportBlocks::default();
        for _ in 0..crate::quality::copy::MAX_BLOCKS {
            assert!(full.push(ReportBlock::default()));
        }
        assert!(!full.push(ReportBlock::default()));
    }
}
