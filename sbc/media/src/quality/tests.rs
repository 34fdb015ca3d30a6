//! Round trip and quality on a virtual clock: SRs relayed one way, reports back.

use std::time::{Duration, Instant};

use sbc_core::{LatchMode, QualitySource, ReportBlock, RtcpReport, SenderInfo, Side, StreamKey};

use super::*;

fn stream() -> Stream {
    let key = StreamKey { call: 1, index: 0 };
    let local = [
        "10.0.0.1:20000".parse().expect("address"),
        "10.1.0.1:30000".parse().expect("address"),
    ];
    Stream::new(key, 0, 0, local, [LatchMode::Always; 2], 8000)
}

fn sr(ntp: u64) -> RtcpReport {
    RtcpReport {
        packet_type: 200,
        sender: Some(SenderInfo {
            ntp,
            ..SenderInfo::default()
        }),
        ..RtcpReport::default()
    }
}

fn rr(lsr: u32, dlsr: u32, fraction_lost: u8, jitter: u32) -> RtcpReport {
    RtcpReport {
        packet_type: 201,
        blocks: 1,
        block: Some(ReportBlock {
            fraction_lost,
            cumulative_lost: 12,
            jitter,
            lsr,
            dlsr,
            ..ReportBlock::default()
        }),
        ..RtcpReport::default()
    }
}

#[test]
fn round_trip_on_each_side_from_relayed_srs() {
    let t0 = Instant::now();
    let mut s = stream();
    // A's SR at t0 is relayed towards B; B answers 120 ms later, having held it 100 ms
    // (6553.6 units of 1/65536 s): 20 ms between the SBC and B.
    let ntp_a = 0xe65b_1234_8000_0000u64;
    let a_sr = sr(ntp_a);
    s.side_mut(Side::A).rtcp.read(t0, &a_sr);
    s.side_mut(Side::B).rtcp.relayed_sr(ntp_a, t0);
    let lsr_a = (ntp_a >> 16) as u32;
    s.side_mut(Side::B)
        .rtcp
        .read(t0 + Duration::from_millis(120), &rr(lsr_a, 6554, 0, 0));
    let rtt_b = s.sides[1].rtcp.stats.rtt_us.expect("a round trip");
    assert!((19_980..=20_000).contains(&rtt_b), "{rtt_b}");
    // B's SR relayed towards A at t0 + 1 s; A answers 40 ms later with DLSR 10 ms.
    let ntp_b = 0x0000_1111_2222_0000u64;
    let t1 = t0 + Duration::from_secs(1);
    s.side_mut(Side::A).rtcp.relayed_sr(ntp_b, t1);
    s.side_mut(Side::A).rtcp.read(
        t1 + Duration::from_millis(40),
        &rr((ntp_b >> 16) as u32, 655, 0, 0),
    );
    let rtt_a = s.sides[0].rtcp.stats.rtt_us.expect("a round trip");
    assert!((29_990..=30_010).contains(&rtt_a), "{rtt_a}");
    // An LSR the SBC never relayed (or 0) measures nothing.
    s.side_mut(Side::A)
        .rtcp
        .read(t1 + Duration::from_secs(5), &rr(0x1234_5678, 0, 0, 0));
    assert_eq!(s.sides[0].rtcp.stats.rtt_us, Some(rtt_a));
    // Both halves add up in the quality of either side.
    let [qa, qb] = assess(&s).map(|c| c.quality);
    assert_eq!(qa.rtt_us, Some(rtt_a + rtt_b));
    assert_eq!(qb.rtt_us, Some(rtt_a + rtt_b));
    // No RTP of A went through the workers, but B's report block describes A's media as
    // B receives it.
    assert_eq!(qa.source, QualitySource::Rtcp);
}

#[test]
fn userspace_loss_and_jitter_score_the_mos() {
    let t0 = Instant::now();
    let mut s = stream();
    // A sends 100 packets, every 20th missing (5 %), perfectly timed.
    for seq in 1..=100u16 {
        let now = t0 + Duration::from_millis(20 * u64::from(seq));
        if seq % 20 == 0 {
            continue;
        }
        let side = s.side_mut(Side::A);
        side.stats.count(172, false);
        side.stats.rtp(now, 7, seq, u32::from(seq) * 160, 8000);
    }
    let [qa, qb] = assess(&s).map(|c| c.quality);
    assert_eq!(qa.source, QualitySource::Userspace);
    // The last packet (100) is missing too: 99 expected, 95 received.
    assert_eq!((qa.lost, qa.loss_permille), (4, 40));
    assert_eq!(qa.jitter_us, 0);
    assert_eq!(qa.mos_x100, Some(mos::mos_x100(4.0, 0.0, 0.0)));
    assert!(qa.mos_x100 < Some(420));
    // B sent nothing and nobody reported on it.
    assert_eq!((qb.source, qb.mos_x100), (QualitySource::None, None));
}

#[test]
fn kernel_forwarded_media_is_judged_by_the_far_peers_reports() {
    let t0 = Instant::now();
    let mut s = stream();
    let a = &mut s.side_mut(Side::A).stats;
    a.count(172, false);
    a.rtp(t0, 7, 1, 160, 8000);
    a.counters.kernel_packets = 500;
    a.counters.packets += 500;
    // B reports 10 % lost (26/256) and 40 ms jitter (320 units at 8 kHz) on A's media.
    s.side_mut(Side::B).rtcp.read(t0, &rr(0, 0, 26, 320));
    let [qa, _] = assess(&s).map(|c| c.quality);
    assert_eq!(qa.source, QualitySource::Rtcp);
    assert_eq!((qa.lost, qa.loss_permille, qa.jitter_us), (12, 101, 40_000));
    assert_eq!(qa.mos_x100, Some(mos::mos_x100(10.1, 40.0, 0.0)));
}
