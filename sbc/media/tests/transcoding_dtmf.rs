//! DTMF conversion on transcoded streams (virtual clock): a SIP INFO's digit played as
//! RFC 4733 events on the transcoder's own stream (its SSRC, sequence numbers gapless with
//! its audio, the event's timestamp the stream's timestamp at the digit's start, durations
//! in the output clock, the end packet three times), and telephone-events received on a
//! transcoded input reported for an INFO while the audio keeps being transcoded; the
//! conversion handed between the DTMF step and the transcoding step as transcoding comes
//! and goes, in-band conversion included (`transcoding_inband.rs` tests it in full).
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use dtmf_util::{A, OPUS, PCMA, Rtp, digits, leg, transmits};
use sbc_codec::Law;
use sbc_codec::transcode::Codec;
use sbc_core::dtmf::Delivery;
use sbc_core::{Digit, DtmfLeg, DtmfWay, LatchMode, MediaOp, Side};
use sbc_media::Verdict;
use sbc_media::transcode::TranscodeSpec;

const MS: fn(u64) -> Duration = Duration::from_millis;
const OPUS_CODEC: Codec = Codec::Opus {
    bitrate: 24_000,
    complexity: 5,
    inband_fec: false,
    dtx: false,
};
/// The Opus payload type towards B, and B's telephone-event at 48 kHz.
const OPUS_PT: u8 = 111;
const EVENT_48K: u8 = 96;

fn pcma_to_opus() -> TranscodeSpec {
    TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        output_pt: OPUS_PT,
        output: OPUS_CODEC,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
    }
}

/// An answered call, A's PCMA transcoded to Opus towards B, then each leg's DTMF (in the
/// order the offer/answer side tells them).
fn call(a: DtmfLeg, b: DtmfLeg) -> Bench {
    let mut bench = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    bench.remote(Side::A, Some(A), None);
    bench.remote(Side::B, Some(dtmf_util::B), None);
    bench.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    bench
        .shard
        .set_transcode(KEY, Side::B, Some(pcma_to_opus()))
        .unwrap();
    dtmf(&mut bench, Side::A, a);
    dtmf(&mut bench, Side::B, b);
    bench.take_events();
    bench
}

fn dtmf(b: &mut Bench, side: Side, leg: DtmfLeg) {
    b.op(MediaOp::Dtmf {
        stream: KEY,
        side,
        leg,
    });
}

/// The `n`th 20 ms packet of a 400 Hz tone in A-law from A (seq 1000.., ts 5000..).
fn tone(n: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..160)
        .map(|i| {
            let t = f64::from(u32::from(n) * 160 + i) / 8000.0;
            Law::Alaw.encode((8000.0 * (2.0 * PI * 400.0 * t).sin()) as i16)
        })
        .collect();
    dtmf_util::packet(
        8,
        n == 0,
        1000 + n,
        5000 + u32::from(n) * 160,
        0xca11e4,
        &payload,
    )
}

/// Moves the clock to `at` after the start, firing every deadline on the way; what left
/// towards B, with when.
fn run_until(b: &mut Bench, at: Duration, out: &mut Vec<(Duration, Rtp)>) {
    dtmf_util::run_until(b, at, out);
}

/// Tone packet `n` arrives from A at `n * 20` ms; what left at once.
fn audio_in(b: &mut Bench, n: u16, out: &mut Vec<(Duration, Rtp)>) {
    run_until(b, MS(20 * u64::from(n)), out);
    b.recv(Side::A, false, A, &tone(n));
    for p in transmits(b) {
        out.push((b.now - b.t0, p));
    }
}

fn d(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

#[test]
fn an_info_digit_plays_as_48khz_events_on_the_opus_stream_of_the_sbc() {
    // A (PCMA) sends digits as SIP INFO; B (Opus) takes telephone-event/48000.
    let mut b = call(
        leg(DtmfWay::Info, &[], &[PCMA]),
        leg(DtmfWay::Events, &[(EVENT_48K, 48000)], &[OPUS]),
    );
    let mut out = Vec::new();
    for n in 0..10 {
        audio_in(&mut b, n, &mut out);
    }
    // 10 ms after the last packet left: "5" for 100 ms.
    run_until(&mut b, MS(190), &mut out);
    let before = out.len();
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('5'),
        duration_ms: 100,
    });
    for n in 10..20 {
        audio_in(&mut b, n, &mut out);
    }
    run_until(&mut b, MS(420), &mut out);

    let audio_before: Vec<&(Duration, Rtp)> = out[..before].iter().collect();
    assert!(audio_before.iter().all(|(_, p)| p.pt == OPUS_PT));
    assert_eq!(audio_before.len(), 10, "every tone packet transcoded");
    let (last_at, last) = audio_before.last().map(|(t, p)| (*t, p)).unwrap();
    assert_eq!(last_at, MS(180));

    let events: Vec<&(Duration, Rtp)> = out.iter().filter(|(_, p)| p.pt == EVENT_48K).collect();
    // The stream's timestamp when the digit starts: 10 ms on from the last audio at 48 kHz.
    let start = last.ts.wrapping_add(480);
    // (when, marker, timestamp, (event, end, duration at 48 kHz))
    type Sent = (Duration, bool, u32, (u8, bool, u16));
    let expected: Vec<Sent> = vec![
        (MS(190), true, start, (5, false, 960)),
        (MS(210), false, start, (5, false, 1920)),
        (MS(230), false, start, (5, false, 2880)),
        (MS(250), false, start, (5, false, 3840)),
        (MS(270), false, start, (5, true, 4800)),
        (MS(270), false, start, (5, true, 4800)),
        (MS(270), false, start, (5, true, 4800)),
    ];
    let got: Vec<Sent> = events
        .iter()
        .map(|(t, p)| (*t, p.marker, p.ts, p.event()))
        .collect();
    assert_eq!(got, expected);

    // One stream: the audio's SSRC, sequence numbers gapless across audio and events.
    let ssrc = out[0].1.ssrc;
    assert!(out.iter().all(|(_, p)| p.ssrc == ssrc), "one SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1), "gapless: {w:?}");
    }
    // No audio while the digit plays (RFC 4733 §2.5), audio again after it.
    let during = |t: &Duration| *t >= MS(190) && *t <= MS(270);
    assert!(
        out.iter()
            .filter(|(t, _)| during(t))
            .all(|(_, p)| p.pt == EVENT_48K)
    );
    let after: Vec<&Rtp> = out
        .iter()
        .filter(|(t, p)| *t > MS(270) && p.pt == OPUS_PT)
        .map(|(_, p)| p)
        .collect();
    assert!(!after.is_empty(), "audio resumes after the digit");
    // Audio timestamps run on through the digit: 960 per 20 ms packet.
    let first_after = after[0];
    let packets_on = u32::from(first_after.seq.wrapping_sub(last.seq)) - 7;
    assert!(first_after.ts.wrapping_sub(last.ts) >= 960 * packets_on);
    assert_eq!(first_after.ts.wrapping_sub(last.ts) % 960, 0);
}

#[test]
fn an_info_digit_before_any_audio_starts_the_stream_of_the_sbc() {
    let mut b = call(
        leg(DtmfWay::Info, &[], &[PCMA]),
        leg(DtmfWay::Events, &[(EVENT_48K, 48000)], &[OPUS]),
    );
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('#'),
        duration_ms: 40,
    });
    let mut out = Vec::new();
    run_until(&mut b, MS(100), &mut out);
    let got: Vec<(bool, (u8, bool, u16))> =
        out.iter().map(|(_, p)| (p.marker, p.event())).collect();
    assert_eq!(
        got,
        vec![
            (true, (11, false, 960)),
            (false, (11, true, 1920)),
            (false, (11, true, 1920)),
            (false, (11, true, 1920)),
        ]
    );
    // Then the audio continues that stream.
    audio_in(&mut b, 0, &mut out);
    audio_in(&mut b, 1, &mut out);
    assert!(out.len() >= 5);
    for w in out.windows(2) {
        assert_eq!(w[1].1.ssrc, w[0].1.ssrc);
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1));
    }
}

#[test]
fn events_on_a_transcoded_input_become_info_digits_and_the_audio_goes_on() {
    // A (PCMA) sends telephone-event/8000 at 101; B (Opus) wants SIP INFO.
    let mut b = call(
        leg(DtmfWay::Events, &[(101, 8000)], &[PCMA]),
        leg(DtmfWay::Info, &[], &[OPUS]),
    );
    let mut out = Vec::new();
    for n in 0..5 {
        audio_in(&mut b, n, &mut out);
    }
    // "7" for 100 ms (800 units), audio going on beside it.
    let ts = 5000 + 5 * 160;
    let ev = |seq, marker, end, dur| dtmf_util::event(101, marker, seq, ts, 7, end, dur);
    let mut seq = 2000;
    for (i, dur) in [160u16, 320, 480, 640].into_iter().enumerate() {
        audio_in(&mut b, 5 + i as u16, &mut out);
        b.recv(Side::A, false, A, &ev(seq, i == 0, false, dur));
        seq += 1;
    }
    assert!(digits(&mut b).is_empty(), "reported at its end");
    for _ in 0..3 {
        b.recv(Side::A, false, A, &ev(seq, false, true, 800));
        seq += 1;
    }
    let heard = digits(&mut b);
    assert_eq!(heard.len(), 1, "one digit for the three end packets");
    assert_eq!(heard[0].digit, d('7'));
    assert_eq!(heard[0].duration_ms, 100);
    assert_eq!(heard[0].delivery, Delivery::Info);
    assert_eq!(heard[0].from, Side::A);
    for n in 9..12 {
        audio_in(&mut b, n, &mut out);
    }
    assert!(
        out.iter().all(|(_, p)| p.pt == OPUS_PT),
        "no event reaches B"
    );
    assert_eq!(out.len(), 12, "every audio packet transcoded");
    for w in out.windows(2) {
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1));
        assert_eq!(w[1].1.ts.wrapping_sub(w[0].1.ts), 960);
    }
}

#[test]
fn the_conversion_moves_between_the_dtmf_step_and_the_transcoder() {
    let info = leg(DtmfWay::Info, &[], &[PCMA]);
    let events = leg(DtmfWay::Events, &[(EVENT_48K, 48000)], &[OPUS]);
    // Relayed first: DTMF's own step converts towards B.
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(dtmf_util::B), None);
    dtmf(&mut b, Side::A, info.clone());
    dtmf(&mut b, Side::B, events.clone());
    let relayed =
        |b: &mut Bench, n| matches!(b.recv(Side::A, false, A, &tone(n)), Verdict::Forward { .. });
    assert!(relayed(&mut b, 0));
    // A re-INVITE transcodes it: the transcoder converts, its events on its stream.
    b.shard
        .set_transcode(KEY, Side::B, Some(pcma_to_opus()))
        .unwrap();
    let mut out = Vec::new();
    audio_in(&mut b, 1, &mut out);
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('1'),
        duration_ms: 40,
    });
    run_until(&mut b, MS(100), &mut out);
    let pts: Vec<u8> = out.iter().map(|(_, p)| p.pt).collect();
    assert_eq!(pts, [OPUS_PT, EVENT_48K, EVENT_48K, EVENT_48K, EVENT_48K]);
    // Relayed again: DTMF's step is back and plays the next digit.
    b.shard.set_transcode(KEY, Side::B, None).unwrap();
    run_until(&mut b, MS(200), &mut out);
    assert!(relayed(&mut b, 10));
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('2'),
        duration_ms: 40,
    });
    let mut out = Vec::new();
    run_until(&mut b, MS(300), &mut out);
    assert!(!out.is_empty() && out.iter().all(|(_, p)| p.pt == EVENT_48K));
}

#[test]
fn in_band_conversion_moves_to_the_transcoder_when_transcoding_comes() {
    // A (PCMA) keys in-band, B wants SIP INFO: relayed first (DTMF's own step hears the
    // tones), then a re-INVITE transcodes towards B (Opus): the transcoder hears them.
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(dtmf_util::B), None);
    dtmf(&mut b, Side::A, leg(DtmfWay::Inband, &[], &[PCMA]));
    dtmf(&mut b, Side::B, leg(DtmfWay::Info, &[], &[OPUS]));
    b.shard
        .set_transcode(KEY, Side::B, Some(pcma_to_opus()))
        .unwrap();
    b.take_events();
    let (low, high) = d('9').frequencies();
    let mut out = Vec::new();
    for n in 0..20u16 {
        let payload: Vec<u8> = (0..160)
            .map(|i| {
                let t = f64::from(u32::from(n) * 160 + i) / 8000.0;
                let keyed = (5..11).contains(&n);
                let v = if keyed {
                    9_900.0 * (2.0 * PI * f64::from(low) * t).sin()
                        + 12_500.0 * (2.0 * PI * f64::from(high) * t).sin()
                } else {
                    0.0
                };
                Law::Alaw.encode(v as i16)
            })
            .collect();
        let p = dtmf_util::packet(
            8,
            n == 0,
            1000 + n,
            5000 + u32::from(n) * 160,
            0xca11e4,
            &payload,
        );
        run_until(&mut b, MS(20 * u64::from(n)), &mut out);
        b.recv(Side::A, false, A, &p);
        for t in transmits(&mut b) {
            out.push((b.now - b.t0, t));
        }
    }
    run_until(&mut b, MS(500), &mut out);
    assert_eq!(parse_pts(&out), [OPUS_PT; 20], "every packet transcoded");
    let heard = digits(&mut b);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(
        (heard[0].digit, heard[0].delivery),
        (d('9'), Delivery::Info)
    );
    assert!(
        (100..=140).contains(&heard[0].duration_ms),
        "{}",
        heard[0].duration_ms
    );
}

fn parse_pts(out: &[(Duration, Rtp)]) -> Vec<u8> {
    out.iter().map(|(_, p)| p.pt).collect()
}
