//! A digit arriving during a comfort noise pause on a transcoded stream (virtual clock):
//! A's peer talks PCMA, sends a CN and goes quiet, keys "5" as RFC 4733 events for 100 ms
//! in the pause, stays quiet and talks again; B's peer, an `inband` PCMU leg, gets the
//! digit as a Q.23 tone in place of the pause's noise. The tone and the pause share the
//! output clock: every packet's timestamp stands where the stream is when it leaves (the
//! tone's time is not counted twice, as a tone and as noise), sequence numbers stay
//! gapless, and towards a leg that negotiated CN the pause after the tone starts with a
//! CN of its own (the receiver played the tone as audio), the audio after it marked.
//! The other way round, a digit the SBC plays as RFC 4733 events towards a leg with CN
//! while the other peer starts a pause: the pause's first CN, held back with the audio
//! while the events play (RFC 4733 §2.5), goes out at the first tick after them.
//! The same bytes leave with the codec work handed off to transcoding threads.
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use dtmf_util::{A, PCMA, PCMU, Rtp, arrive, leg, run_until_settled, settle};
use sbc_codec::Law;
use sbc_codec::transcode::Codec;
use sbc_core::dtmf::{Delivery, Heard};
use sbc_core::{Digit, DtmfLeg, DtmfWay, LatchMode, MediaOp, Side};
use sbc_media::dtmf::detect::{Detection, ToneDetector};
use sbc_media::transcode::TranscodeSpec;

const MS: fn(u64) -> Duration = Duration::from_millis;
const CN_PT: u8 = 13;
const EVENT_A: u8 = 101;

/// An answered call transcoding A's PCMA (with CN and events) to PCMU towards B's
/// `inband` leg, with CN towards B if `cn_out`.
fn call(offload: bool, cn_out: bool) -> Bench {
    call_with(
        offload,
        cn_out,
        leg(DtmfWay::Events, &[(EVENT_A, 8000)], &[PCMA]),
        leg(DtmfWay::Inband, &[], &[PCMU]),
    )
}

/// The same call with these DTMF legs (A's, B's).
fn call_with(offload: bool, cn_out: bool, a: DtmfLeg, to_b: DtmfLeg) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: offload,
        ..common::config()
    };
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(dtmf_util::B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        comfort_noise_pt: Some(CN_PT),
        comfort_noise_out_pt: cn_out.then_some(CN_PT),
        output_pt: 0,
        output: Codec::Pcmu,
        ptime_ms: 20,
        events: None,
    };
    b.shard.set_transcode(KEY, Side::B, Some(spec)).unwrap();
    for (side, leg) in [(Side::A, a), (Side::B, to_b)] {
        b.op(MediaOp::Dtmf {
            stream: KEY,
            side,
            leg,
        });
    }
    b.take_events();
    b
}

/// A's 20 ms packet `n` of quiet 300 Hz (seq 1000.., ts 5000..).
fn audio(n: u16, seq: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..160)
        .map(|i| {
            let t = f64::from(u32::from(n) * 160 + i) / 8000.0;
            Law::Alaw.encode((600.0 * (2.0 * PI * 300.0 * t).sin()) as i16)
        })
        .collect();
    dtmf_util::packet(
        8,
        n == 0,
        seq,
        5000 + u32::from(n) * 160,
        0xca11e4,
        &payload,
    )
}

/// Talk 0–200 ms, a CN at 200 ms, "5" as events 400–500 ms, talk again from 800 ms.
fn digit_in_a_pause(offload: bool, cn_out: bool) -> (Vec<(Duration, Rtp)>, Bench) {
    let mut b = call(offload, cn_out);
    let mut out = Vec::new();
    for n in 0..10 {
        arrive(&mut b, MS(20 * u64::from(n)), &audio(n, 1000 + n), &mut out);
    }
    let cn = dtmf_util::packet(CN_PT, false, 1010, 5000 + 1600, 0xca11e4, &[40]);
    arrive(&mut b, MS(200), &cn, &mut out);
    let ts = 5000 + 20 * 160;
    let ev = |seq, marker, end, dur| dtmf_util::event(EVENT_A, marker, seq, ts, 5, end, dur);
    for (i, dur) in [160u16, 320, 480, 640].into_iter().enumerate() {
        let at = MS(400 + 20 * i as u64);
        arrive(
            &mut b,
            at,
            &ev(1011 + i as u16, i == 0, false, dur),
            &mut out,
        );
    }
    for k in 0..3 {
        arrive(&mut b, MS(480), &ev(1015 + k, false, true, 800), &mut out);
    }
    for n in 40..50 {
        let seq = 1018 + n - 40;
        arrive(&mut b, MS(20 * u64::from(n)), &audio(n, seq), &mut out);
    }
    run_until_settled(&mut b, MS(1100), &mut out);
    (out, b)
}

/// Checks what both variants share; returns the PCMU packets' decoded audio.
fn check_common(out: &[(Duration, Rtp)], b: &mut Bench) -> Vec<i16> {
    let ssrc = out[0].1.ssrc;
    assert!(out.iter().all(|(_, p)| p.ssrc == ssrc), "one SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1), "gapless: {w:?}");
    }
    // The stream's clock stands where the call is: a packet carries the timestamp of the
    // 20 ms that just began (audio is sent as it arrives, noise and CNs a tick after the
    // time they stand for, the tone as it is made), never ahead of the time it leaves.
    let base = out[0].1.ts;
    for (at, p) in out {
        let ms = u64::from(p.ts.wrapping_sub(base)) / 8;
        let left = at.as_millis() as u64;
        assert!(
            ms <= left && left - ms <= 20,
            "timestamp of {ms} ms leaving at {left} ms: {p:?}"
        );
    }
    let reported = dtmf_util::digits(b);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(
        (reported[0].digit, reported[0].heard, reported[0].delivery),
        (
            Digit::from_char('5').unwrap(),
            Heard::Events,
            Delivery::Tone
        )
    );
    let pcm: Vec<i16> = out
        .iter()
        .filter(|(_, p)| p.pt == 0)
        .flat_map(|(_, p)| p.payload.iter().map(|&c| Law::Ulaw.decode(c)))
        .collect();
    let mut det = ToneDetector::at_rate(8000).unwrap();
    let mut heard = Vec::new();
    det.feed(&pcm, |x| heard.push(x));
    det.feed(&[0; 1600], |x| heard.push(x));
    let heard: Vec<(char, u32)> = heard
        .into_iter()
        .filter_map(|x| match x {
            Detection::Ended { digit, samples } => Some((digit.reveal(), det.ms(samples))),
            Detection::Started { .. } => None,
        })
        .collect();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, '5');
    assert!((85..=125).contains(&heard[0].1), "{} ms", heard[0].1);
    pcm
}

#[test]
fn a_digit_in_a_cn_pause_towards_a_cn_leg() {
    let (out, mut b) = digit_in_a_pause(false, true);
    let (offloaded, _) = digit_in_a_pause(true, true);
    assert_eq!(
        offloaded, out,
        "the same packets with the codecs handed off"
    );
    check_common(&out, &mut b);
    let kinds: Vec<(u8, bool)> = out.iter().map(|(_, p)| (p.pt, p.marker)).collect();
    let (talk, cn) = ((0, false), (CN_PT, false));
    let mut expected = vec![(0, true)];
    expected.extend([talk; 9]);
    // The pause's CN; the tone (6 frames: the digit's end arrives just after the fifth
    // is made, and a live digit plays on until its end is known); the pause again with a
    // CN of its own at once; talk again, marked.
    expected.push(cn);
    expected.push((0, true));
    expected.extend([talk; 5]);
    expected.push(cn);
    expected.push((0, true));
    expected.extend([talk; 9]);
    assert_eq!(kinds, expected, "{out:?}");
    let base = out[0].1.ts;
    let ms = |i: usize| out[i].1.ts.wrapping_sub(base) / 8;
    assert_eq!(ms(10), 200, "the CN where the pause starts");
    assert_eq!(ms(11), 400, "the tone where the digit starts");
    assert_eq!(ms(16), 500, "the tone's last frame");
    assert_eq!(ms(17), 520, "the pause again where the tone ends");
    assert_eq!(out[17].0, MS(540), "at the first tick after the tone");
    assert_eq!(ms(18), 800, "A's audio where its clock is");
    assert_eq!(out[17].1.payload, [40], "A's CN re-sent");
}

#[test]
fn a_digit_in_a_cn_pause_towards_a_leg_without_cn() {
    let (out, mut b) = digit_in_a_pause(false, false);
    let (offloaded, _) = digit_in_a_pause(true, false);
    assert_eq!(
        offloaded, out,
        "the same packets with the codecs handed off"
    );
    check_common(&out, &mut b);
    assert!(out.iter().all(|(_, p)| p.pt == 0), "PCMU only");
    // One frame per 20 ms throughout: talk, noise, the tone in the noise's place, noise,
    // talk.
    for w in out.windows(2) {
        assert_eq!(w[1].1.ts.wrapping_sub(w[0].1.ts), 160, "{w:?}");
    }
    assert_eq!(out.len(), 50, "1 s of 20 ms frames");
}

/// A (SIP INFO) talks 0–200 ms and sends a CN at 200 ms; the SBC plays B's `#` of an INFO
/// at 190 ms for 100 ms as events towards B (RFC 4733, CN negotiated); A talks again from
/// 400 ms.
fn events_into_a_pause(offload: bool) -> Vec<(Duration, Rtp)> {
    const EVENT_B: u8 = 100;
    let mut b = call_with(
        offload,
        true,
        leg(DtmfWay::Info, &[], &[PCMA]),
        leg(DtmfWay::Events, &[(EVENT_B, 8000)], &[PCMU]),
    );
    let mut out = Vec::new();
    for n in 0..10 {
        arrive(&mut b, MS(20 * u64::from(n)), &audio(n, 1000 + n), &mut out);
    }
    run_until_settled(&mut b, MS(190), &mut out);
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: Digit::from_char('#').unwrap(),
        duration_ms: 100,
    });
    settle(&mut b, &mut out);
    let cn = dtmf_util::packet(CN_PT, false, 1010, 5000 + 1600, 0xca11e4, &[40]);
    arrive(&mut b, MS(200), &cn, &mut out);
    for n in 20..30 {
        let seq = 1011 + n - 20;
        arrive(&mut b, MS(20 * u64::from(n)), &audio(n, seq), &mut out);
    }
    run_until_settled(&mut b, MS(700), &mut out);
    out
}

#[test]
fn a_cn_held_back_by_events_goes_out_after_them() {
    let out = events_into_a_pause(false);
    assert_eq!(events_into_a_pause(true), out, "handed off alike");
    let ssrc = out[0].1.ssrc;
    assert!(out.iter().all(|(_, p)| p.ssrc == ssrc), "one SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1), "gapless: {w:?}");
    }
    let kinds: Vec<(u8, bool)> = out.iter().map(|(_, p)| (p.pt, p.marker)).collect();
    let mut expected = vec![(0, true)];
    expected.extend([(0, false); 9]);
    // 5 frames of events, the last three times; the CN; talk again, marked.
    expected.push((100, true));
    expected.extend([(100, false); 6]);
    expected.push((CN_PT, false));
    expected.push((0, true));
    expected.extend([(0, false); 9]);
    assert_eq!(kinds, expected, "{out:?}");
    let base = out[0].1.ts;
    let ms = |i: usize| out[i].1.ts.wrapping_sub(base) / 8;
    assert_eq!(
        ms(10),
        190,
        "the events where the stream stands when the digit starts"
    );
    assert_eq!(out[16].1.event(), (11, true, 800), "# ends after 100 ms");
    // The first tick after the events (at 280 ms) stands for 260–280 ms.
    assert_eq!((out[17].0, ms(17)), (MS(280), 260), "the CN at once");
    assert_eq!(out[17].1.payload, [40]);
    assert_eq!(ms(18), 400, "A's audio where its clock is");
}
