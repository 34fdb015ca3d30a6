//! In-band DTMF through the engine on a virtual clock: digits played as Q.23 tones into a
//! G.711 leg, tones heard on a G.711 leg and turned into events or reports, events turned
//! into tones; and digits to B's early dialog whose media is relayed.
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::time::Duration;

use common::{Bench, KEY};
use dtmf_util::*;
use sbc_codec::Law;
use sbc_core::dtmf::{Delivery, Heard};
use sbc_core::{Digit, DtmfWay, LatchMode, MediaOp, Side};
use sbc_media::Verdict;
use sbc_media::dtmf::detect::{Detection, ToneDetector};

const MS: fn(u64) -> Duration = Duration::from_millis;

fn d(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

/// 20 ms packets of the tone of `c` (synthesised here), `law`-encoded.
fn tone_packets(c: char, ms: usize, law: Law) -> Vec<Vec<u8>> {
    let (l, h) = d(c).frequencies();
    let samples: Vec<u8> = (0..ms * 8)
        .map(|n| {
            let t = n as f64 / 8000.0;
            let v = 7000.0 * (2.0 * std::f64::consts::PI * f64::from(l) * t).sin()
                + 9000.0 * (2.0 * std::f64::consts::PI * f64::from(h) * t).sin();
            law.encode(v as i16)
        })
        .collect();
    samples.chunks(160).map(<[u8]>::to_vec).collect()
}

/// Digits the detector hears in G.711 payloads.
fn hear(payloads: &[Vec<u8>], law: Law) -> Vec<(char, u64)> {
    let mut det = ToneDetector::new();
    let mut out = Vec::new();
    let mut pcm = [0i16; 160];
    for p in payloads
        .iter()
        .chain(std::iter::repeat_n(&vec![law.silence(); 160], 5))
    {
        let n = law.decode_into(p, &mut pcm);
        det.feed(&pcm[..n], |x| {
            if let Detection::Ended { digit, samples } = x {
                out.push((digit.reveal(), samples / 8));
            }
        });
    }
    out
}

#[test]
fn an_info_digit_is_played_as_tones_into_pcmu() {
    let mut b = call(
        leg(DtmfWay::Info, &[], &[PCMU]),
        leg(DtmfWay::Inband, &[], &[PCMU]),
    );
    b.recv(Side::A, false, A, &audio(0, 500, 32_000));
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('8'),
        duration_ms: 120,
    });
    let mut out = Vec::new();
    run_until(&mut b, MS(400), &mut out);
    assert_eq!(out.len(), 6, "120 ms in 20 ms packets");
    for (i, (t, p)) in out.iter().enumerate() {
        let i16 = u16::try_from(i).unwrap();
        assert_eq!(*t, MS(20) * u32::from(i16), "one every 20 ms");
        assert_eq!((p.pt, p.seq, p.ssrc), (0, 501 + i16, 0xca11e4));
        assert_eq!(p.ts, 32_000 + 160 * u32::from(i16));
        assert_eq!(p.payload.len(), 160);
    }
    let payloads: Vec<Vec<u8>> = out.into_iter().map(|(_, p)| p.payload).collect();
    let got = hear(&payloads, Law::Ulaw);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, '8');
    assert!((100..=130).contains(&got[0].1), "{got:?}");
}

#[test]
fn tones_heard_on_a_pcma_leg_become_a_report_for_info() {
    let mut b = call(
        leg(DtmfWay::Inband, &[], &[PCMA]),
        leg(DtmfWay::Info, &[], &[PCMA]),
    );
    let mut seq = 1u16;
    let mut send = |b: &mut Bench, payload: &[u8]| {
        let p = packet(8, false, seq, u32::from(seq) * 160, 9, payload);
        seq += 1;
        let v = b.recv(Side::A, false, A, &p);
        assert!(
            matches!(v, Verdict::Forward { .. }),
            "audio is relayed: {v:?}"
        );
        b.advance(MS(20));
    };
    for _ in 0..3 {
        send(&mut b, &[0xd5; 160]);
    }
    for p in tone_packets('#', 160, Law::Alaw) {
        send(&mut b, &p);
    }
    for _ in 0..5 {
        send(&mut b, &[0xd5; 160]);
    }
    let got = digits(&mut b);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].digit, got[0].heard, got[0].delivery),
        (d('#'), Heard::Tone, Delivery::Info)
    );
    assert!(
        (145..=175).contains(&got[0].duration_ms),
        "{}",
        got[0].duration_ms
    );
}

#[test]
fn tones_heard_become_events_stamped_at_the_tones_start() {
    let mut b = call(
        leg(DtmfWay::Inband, &[], &[PCMA]),
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
    );
    let mut relayed = Vec::new();
    let mut emitted = Vec::new();
    let mut packets: Vec<Vec<u8>> = vec![vec![0xd5; 160]; 2];
    packets.extend(tone_packets('4', 200, Law::Alaw));
    packets.extend(vec![vec![0xd5; 160]; 6]);
    for (i, payload) in packets.iter().enumerate() {
        let seq = 10 + u16::try_from(i).unwrap();
        let p = packet(8, false, seq, 1600 + 160 * u32::from(seq), 9, payload);
        let (v, bytes) = b.recv_buf(Side::A, false, A, &p);
        if let Verdict::Forward { .. } = v {
            relayed.push(parse(&bytes));
        }
        run_until(&mut b, MS(20 * (i as u64 + 1)), &mut emitted);
    }
    let events: Vec<Rtp> = emitted.into_iter().map(|(_, p)| p).collect();
    assert!(events.iter().all(|p| p.pt == 101 && p.event().0 == 4));
    // Stamped at the first detector block that held the tone: within a block (102
    // samples) of its first sample.
    let tone_start: u32 = 1600 + 160 * 12;
    let ts = events[0].ts;
    assert!(ts.abs_diff(tone_start) <= 102, "{ts} against {tone_start}");
    assert!(events.iter().all(|p| p.ts == ts), "one timestamp per event");
    assert!(events[0].marker && events[1..].iter().all(|p| !p.marker));
    let ends: Vec<u16> = events
        .iter()
        .filter(|p| p.event().1)
        .map(|p| p.event().2)
        .collect();
    assert_eq!(ends.len(), 3, "three end packets");
    assert!((1500..=1700).contains(&ends[0]), "about 200 ms: {ends:?}");
    // Numbering: relayed audio and events interleave without a gap or a repeat.
    let mut seqs: Vec<u16> = relayed.iter().chain(events.iter()).map(|p| p.seq).collect();
    seqs.sort_unstable();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let got = digits(&mut b);
    assert_eq!((got.len(), got[0].delivery), (1, Delivery::Events));
}

#[test]
fn events_become_tones_while_they_last() {
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMU]),
        leg(DtmfWay::Inband, &[], &[PCMU]),
    );
    b.recv(Side::A, false, A, &audio(0, 1, 160));
    let mut out = Vec::new();
    let ts = 320;
    b.recv(Side::A, false, A, &event(101, true, 2, ts, 6, false, 160));
    run_until(&mut b, MS(20), &mut out);
    for (i, dur) in [(3u16, 320u16), (4, 480), (5, 640), (6, 800)] {
        b.recv(Side::A, false, A, &event(101, false, i, ts, 6, false, dur));
        run_until(&mut b, MS(20 * u64::from(i - 1)), &mut out);
    }
    for i in 7..=9 {
        b.recv(Side::A, false, A, &event(101, false, i, ts, 6, true, 960));
    }
    run_until(&mut b, MS(400), &mut out);
    let payloads: Vec<Vec<u8>> = out.iter().map(|(_, p)| p.payload.clone()).collect();
    assert!(out.iter().all(|(_, p)| p.pt == 0 && p.payload.len() == 160));
    let got = hear(&payloads, Law::Ulaw);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, '6');
    assert!((100..=140).contains(&got[0].1), "{got:?}");
    assert_eq!(digits(&mut b)[0].delivery, Delivery::Tone);
}

#[test]
fn digits_for_info_name_the_early_dialog_whose_media_is_relayed() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some("198.51.100.31:6000"), Some("f1"));
    b.remote(Side::B, Some("198.51.100.32:6000"), Some("f2"));
    for (side, l) in [
        (Side::A, leg(DtmfWay::Events, &[(101, 8000)], &[PCMA])),
        (Side::B, leg(DtmfWay::Info, &[], &[PCMA])),
    ] {
        b.op(MediaOp::Dtmf {
            stream: KEY,
            side,
            leg: l,
        });
    }
    // Fork 2 streams first: it is the one relayed.
    b.rtp(Side::B, "198.51.100.32:6000", 22, 1);
    b.take_events();
    b.recv(Side::A, false, A, &event(101, true, 1, 160, 1, true, 400));
    let got = digits(&mut b);
    assert_eq!(got[0].fork.as_deref(), Some("f2"));
    // Across the 200 (from fork 2): the dialog is the call's now.
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: Some("f2".into()),
    });
    b.recv(Side::A, false, A, &event(101, true, 2, 800, 2, true, 400));
    let got = digits(&mut b);
    assert_eq!((got[0].digit, got[0].fork.as_deref()), (d('2'), None));
}
