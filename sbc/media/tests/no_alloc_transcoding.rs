//! Transcoding does not allocate per packet either: a counting global allocator around
//! 5,000 PCMA packets (100 s of audio, every 20th one missing, so loss concealment runs)
//! transcoded to G.722 towards B, and B's G.722 to Opus towards A, with the
//! flush timer and the draining of what is emitted. Only Rust allocations on the test's
//! own thread are counted (the C codecs' own memory is theirs, sized at creation).
//! In-band DTMF on transcoded streams likewise: 50,000 packets of a call whose PCMA leg
//! sends RFC 4733 events (tones into the G.722 towards the other) and whose G.722 leg
//! keys in-band (heard on its decoded audio, events towards the PCMA leg).
#![allow(unsafe_code, clippy::unwrap_used)]

mod common;
mod counting_alloc;
mod dtmf_util;

use std::time::Duration;

use common::{Bench, KEY, rtp};
use sbc_codec::transcode::Codec;
use sbc_core::{LatchMode, MediaOp, Side};
use sbc_media::transcode::TranscodeSpec;
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn transcoded_packets_do_not_allocate() {
    let a = "198.51.100.10:4000";
    let b_addr = "198.51.100.20:5004";
    let mut b = Bench::open(LatchMode::Never, LatchMode::Never);
    b.remote(Side::A, Some(a), None);
    b.remote(Side::B, Some(b_addr), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = |input_pt, input, output_pt, output| TranscodeSpec {
        input_pt,
        input,
        output_pt,
        output,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
    };
    let opus = Codec::Opus {
        bitrate: 24_000,
        complexity: 5,
        inband_fec: false,
        dtx: false,
    };
    b.shard
        .set_transcode(KEY, Side::B, Some(spec(8, Codec::Pcma, 9, Codec::G722)))
        .unwrap();
    b.shard
        .set_transcode(KEY, Side::A, Some(spec(9, Codec::G722, 96, opus)))
        .unwrap();
    let (sa, sb) = (b.socket(Side::A, false), b.socket(Side::B, false));
    let (from_a, from_b) = (common::addr(a), common::addr(b_addr));
    let mut pa = rtp(1, 0, 0);
    let mut pb = rtp(2, 0, 0);
    pb[1] = 9;
    let mut out = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    let mut emitted = 0u64;
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 1..=5_000u32 {
        b.now += Duration::from_millis(20);
        if i % 20 == 0 {
            continue;
        }
        let seq = (i as u16).to_be_bytes();
        let ts = (i * 160).to_be_bytes();
        for p in [&mut pa, &mut pb] {
            p[2..4].copy_from_slice(&seq);
            p[4..8].copy_from_slice(&ts);
        }
        b.shard.handle_packet(b.now, sa, from_a, &mut pa);
        b.shard.handle_packet(b.now, sb, from_b, &mut pb);
        while b.shard.poll_timeout().is_some_and(|t| t <= b.now) {
            b.shard.handle_timeout(b.now);
        }
        while b.shard.poll_transmit(&mut out).is_some() {
            emitted += 1;
        }
    }
    let allocs = measuring.stop();
    assert_eq!(allocs, 0, "allocations while transcoding");
    // Both directions kept up: about one packet out per 20 ms in, each way.
    assert!(emitted > 2 * 4_700, "{emitted} packets emitted");
}

#[test]
fn in_band_dtmf_on_transcoded_streams_does_not_allocate() {
    use dtmf_util::{A, B, PCMA, call, leg, packet};
    use sbc_core::dtmf::AudioPt;
    use sbc_core::{DtmfWay, MediaEvent};

    const G722: AudioPt = AudioPt {
        pt: 9,
        clock_rate: 8000,
        g711: None,
    };
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
        leg(DtmfWay::Inband, &[], &[G722]),
    );
    let spec = |input_pt, input, output_pt, output| TranscodeSpec {
        input_pt,
        input,
        output_pt,
        output,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
    };
    b.shard
        .set_transcode(KEY, Side::B, Some(spec(8, Codec::Pcma, 9, Codec::G722)))
        .unwrap();
    b.shard
        .set_transcode(KEY, Side::A, Some(spec(9, Codec::G722, 8, Codec::Pcma)))
        .unwrap();
    let (sa, sb) = (b.socket(Side::A, false), b.socket(Side::B, false));
    let (from_a, from_b) = (common::addr(A), common::addr(B));
    // B's 200 ms of "9" every second in G.722, and silence around it: one second
    // encoded in one go (G.722 is adaptive: its packets only decode right in sequence),
    // quiet at both ends so that it repeats cleanly.
    let (l, h) = sbc_core::Digit::from_char('9').unwrap().frequencies();
    let pcm: Vec<i16> = (0..16_000)
        .map(|n| {
            if !(6400..9600).contains(&n) {
                return 0;
            }
            let t = f64::from(n) / 16_000.0;
            let v = 7000.0 * (2.0 * std::f64::consts::PI * f64::from(l) * t).sin()
                + 9000.0 * (2.0 * std::f64::consts::PI * f64::from(h) * t).sin();
            v as i16
        })
        .collect();
    let mut second = vec![0u8; 8000];
    sbc_codec::G722Encoder::default()
        .encode(&pcm, &mut second)
        .unwrap();
    let mut pa = packet(8, false, 0, 0, 1, &[0xd5; 160]);
    let mut ev = packet(101, false, 0, 0, 1, &[5, 10, 0, 160]);
    let mut pb = packet(9, false, 0, 0, 2, &second[..160]);
    let mut out = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    let (mut emitted, mut heard) = (0u64, 0u64);
    b.take_events();
    let measuring = counting_alloc::Measuring::start();
    for i in 1..=25_000u32 {
        b.now += Duration::from_millis(20);
        let seq = (i as u16).to_be_bytes();
        let ts = (i * 160).to_be_bytes();
        // A: an event of 100 ms every 500 ms (five packets, the last one ends it).
        let phase = i % 25;
        let a = if phase < 5 {
            let start = ((i - phase) * 160).to_be_bytes();
            ev[2..4].copy_from_slice(&seq);
            ev[4..8].copy_from_slice(&start);
            ev[13] = if phase == 4 { 0x8a } else { 10 };
            ev[14..16].copy_from_slice(&(((phase + 1) * 160) as u16).to_be_bytes());
            &mut ev
        } else {
            pa[2..4].copy_from_slice(&seq);
            pa[4..8].copy_from_slice(&ts);
            &mut pa
        };
        let _ = b.shard.handle_packet(b.now, sa, from_a, a);
        pb[2..4].copy_from_slice(&seq);
        pb[4..8].copy_from_slice(&ts);
        let k = (i % 50) as usize;
        pb[12..].copy_from_slice(&second[k * 160..][..160]);
        let _ = b.shard.handle_packet(b.now, sb, from_b, &mut pb);
        while b.shard.poll_timeout().is_some_and(|t| t <= b.now) {
            b.shard.handle_timeout(b.now);
        }
        while b.shard.poll_transmit(&mut out).is_some() {
            emitted += 1;
        }
        while let Some(e) = b.shard.poll_event() {
            heard += u64::from(matches!(e, MediaEvent::Digit { .. }));
        }
    }
    let allocs = measuring.stop();
    assert_eq!(
        allocs, 0,
        "allocations with in-band DTMF on transcoded streams"
    );
    // 1,000 events from A, 500 tones from B.
    assert_eq!(heard, 1_500);
    assert!(emitted > 2 * 20_000, "audio, tones and events: {emitted}");
}
