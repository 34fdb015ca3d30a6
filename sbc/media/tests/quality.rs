//! Call quality through the packet path: an SR of side A's phone relayed to B's PBX, the
//! PBX's receiver report answering it, and the round trip the SBC times on B's side from
//! the two (virtual clock); the reports land in each side's stats.

mod common;

use std::time::Duration;

use common::{Bench, KEY};
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::Verdict;

const PHONE: &str = "10.0.0.5:4000";
const PHONE_RTCP: &str = "10.0.0.5:4001";
const PBX: &str = "198.51.100.20:5004";
const PBX_RTCP: &str = "198.51.100.20:5005";

/// An SR of `ssrc` at NTP time `ntp`, no report blocks.
fn sr(ssrc: u32, ntp: u64) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&ntp.to_be_bytes());
    p.extend_from_slice(&[0; 12]);
    p
}

/// An RR of `ssrc` with one block: `lost` of 256 lost lately, LSR/DLSR.
fn rr(ssrc: u32, on: u32, lost: u8, lsr: u32, dlsr: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&on.to_be_bytes());
    p.extend_from_slice(&[lost, 0, 0, 3]);
    p.extend_from_slice(&[0, 0, 0, 100, 0, 0, 0, 40]);
    p.extend_from_slice(&lsr.to_be_bytes());
    p.extend_from_slice(&dlsr.to_be_bytes());
    p
}

#[test]
fn an_sr_relayed_and_its_answer_time_the_round_trip_to_that_side() {
    let mut b = Bench::open(LatchMode::Always, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(PHONE), None);
    b.remote(Side::B, Some(PBX), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let ntp = 0xe65b_1234_8000_0000u64;
    let v = b.recv(Side::A, true, PHONE_RTCP, &sr(0xaaaa, ntp));
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    // 50 ms later the PBX answers, having held the SR 20 ms (1311 / 65536 s).
    b.now += Duration::from_millis(50);
    let v = b.recv(
        Side::B,
        true,
        PBX_RTCP,
        &rr(0xbbbb, 0xaaaa, 26, (ntp >> 16) as u32, 1311),
    );
    assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
    let report = b.shard.stats(KEY).expect("the stream");
    let (a, pbx) = (report.a.rtcp_report, report.b.rtcp_report);
    assert_eq!((a.reports, pbx.reports), (1, 1));
    assert_eq!(a.sender.map(|s| s.ntp), Some(ntp));
    let rtt = pbx.rtt_us.expect("a round trip on B's side");
    assert!((29_990..=30_010).contains(&rtt), "{rtt}");
    assert_eq!(
        pbx.block.map(|b| (b.ssrc, b.fraction_lost)),
        Some((0xaaaa, 26))
    );
    // A's media as the PBX receives it: no RTP went through here, so its RR is the source.
    let q = report.a.quality;
    assert_eq!(q.source, sbc_core::QualitySource::Rtcp);
    assert_eq!((q.loss_permille, q.rtt_us), (101, Some(rtt)));
    assert!(q.mos_x100.is_some_and(|m| m < 420), "{q:?}");
}
