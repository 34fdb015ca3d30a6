//! RFC 3389 packets of the SBC's own on a transcoded leg that negotiated CN (virtual
//! clock): A's peer talks PCMA, sends one CN and then nothing for 600 ms; B's peer, which
//! gets PCMU and negotiated `CN/8000`, receives one CN packet where the pause starts and
//! a refresh 500 ms later — both in the SBC's numbering, gapless with the audio,
//! timestamps where the pause stands, unmarked — instead of a noise frame every 20 ms;
//! the first audio after the pause is marked, and the SBC's RTCP towards B counts the
//! CN packets among those it sent.
#![allow(clippy::unwrap_used)]

mod common;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use sbc_codec::Law;
use sbc_codec::transcode::Codec;
use sbc_core::{DropKind, LatchMode, MediaOp, Side};
use sbc_media::transcode::{FLUSH_AFTER, TranscodeSpec};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";
const CN_PT: u8 = 13;
const PCMU_PT: u8 = 0;
const RTCP_SR: u8 = 200;

fn call(offload: bool) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: offload,
        ..common::config()
    };
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        comfort_noise_pt: Some(CN_PT),
        comfort_noise_out_pt: Some(CN_PT),
        output_pt: PCMU_PT,
        output: Codec::Pcmu,
        ptime_ms: 20,
        events: None,
    };
    b.shard.set_transcode(KEY, Side::B, Some(spec)).unwrap();
    b
}

fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn tone(n: u32) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let t = f64::from(n * 160 + i) / 8000.0;
            Law::Alaw.encode((8000.0 * (2.0 * PI * 400.0 * t).sin()) as i16)
        })
        .collect()
}

/// What left towards B: RTP (pt, seq, ts, marker, payload) and the SRs' packet counts.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    rtp: Vec<(u8, u16, u32, bool, Vec<u8>)>,
    sr_packet_counts: Vec<u32>,
}

fn emitted(b: &mut Bench, seen: &mut Seen) {
    while let Some(mut job) = b.shard.poll_transcode() {
        job.run();
        b.shard.transcoded(b.now, job);
    }
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        let p = &mem[t.start..t.start + t.len];
        if p[1] == RTCP_SR {
            seen.sr_packet_counts
                .push(u32::from_be_bytes([p[20], p[21], p[22], p[23]]));
            continue;
        }
        seen.rtp.push((
            p[1] & 0x7f,
            u16::from_be_bytes([p[2], p[3]]),
            u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            p[1] & 0x80 != 0,
            p[12..].to_vec(),
        ));
    }
}

fn step(b: &mut Bench, seen: &mut Seen) {
    b.advance(Duration::from_millis(20));
    emitted(b, seen);
}

fn run(offload: bool) -> (Bench, Seen) {
    let mut b = call(offload);
    let mut seen = Seen::default();
    for n in 0..5u16 {
        let ts = 5000 + u32::from(n) * 160;
        b.recv(Side::A, false, A, &packet(8, 1000 + n, ts, &tone(n.into())));
        emitted(&mut b, &mut seen);
        step(&mut b, &mut seen);
    }
    b.recv(
        Side::A,
        false,
        A,
        &packet(CN_PT, 1005, 5800, &[40, 100, 150]),
    );
    emitted(&mut b, &mut seen);
    for _ in 0..30 {
        step(&mut b, &mut seen);
    }
    for n in 0..5u16 {
        let ts = 5800 + 30 * 160 + u32::from(n) * 160;
        let audio = packet(8, 1006 + n, ts, &tone(u32::from(n) + 35));
        b.recv(Side::A, false, A, &audio);
        emitted(&mut b, &mut seen);
        step(&mut b, &mut seen);
    }
    b.advance(FLUSH_AFTER);
    emitted(&mut b, &mut seen);
    (b, seen)
}

#[test]
fn a_pause_reaches_a_cn_leg_as_cn_packets_and_rtcp_counts_them() {
    let (mut b, mut seen) = run(false);
    let (_, offloaded) = run(true);
    assert_eq!(
        seen.rtp, offloaded.rtp,
        "the same packets with the codecs handed off"
    );
    let rtp = &seen.rtp;
    let kinds: Vec<(u8, bool)> = rtp.iter().map(|p| (p.0, p.3)).collect();
    let talk = (PCMU_PT, false);
    let cn = (CN_PT, false);
    assert_eq!(
        kinds,
        [
            (PCMU_PT, true),
            talk,
            talk,
            talk,
            talk,
            cn,
            cn,
            (PCMU_PT, true),
            talk,
            talk,
            talk,
            talk
        ],
        "5 talk, a CN and its refresh, 5 talk (the first marked)"
    );
    for w in rtp.windows(2) {
        assert_eq!(w[1].1, w[0].1.wrapping_add(1), "gapless sequence numbers");
    }
    let base = rtp[0].2;
    let ticks = |p: &(u8, u16, u32, bool, Vec<u8>)| p.2.wrapping_sub(base) / 160;
    assert_eq!(ticks(&rtp[5]), 5, "the CN where the pause starts");
    assert_eq!(ticks(&rtp[6]), 30, "its refresh 500 ms later");
    assert_eq!(ticks(&rtp[7]), 35, "audio where A's clock is after 600 ms");
    assert_eq!(rtp[5].4, [40, 100, 150], "A's CN re-sent, level and shape");
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 0);
    // The SBC's next SR towards B counts every RTP packet it sent, CN included.
    for _ in 0..600 {
        step(&mut b, &mut seen);
    }
    assert_eq!(
        seen.sr_packet_counts.last(),
        Some(&12),
        "{:?}",
        seen.sr_packet_counts
    );
}
