//! In-band DTMF on transcoded streams (virtual clock), on the PCM the transcoder decodes
//! and encodes:
//!
//! * towards an in-band leg, RFC 4733 events and SIP INFO digits become Q.23 tones in
//!   place of the audio, encoded into the leg's codec (PCMA out of a G.722 input at
//!   8 kHz; G.722 out of an Opus input at 16 kHz), as long as signalled; the detector
//!   hears them back in what left;
//! * from an in-band leg, the detector hears the tones in the decoded input (16 kHz from
//!   G.722): events on the transcoder's own stream (its SSRC, sequence numbers gapless
//!   with its audio, the timestamp of the tone's start, durations at the output clock,
//!   three end packets, audio held back meanwhile), or one SIP INFO per digit with the
//!   audio going on.
//!
//! Handed off to transcoding threads (what the daemon runs), the same bytes leave.
#![allow(clippy::unwrap_used)]

mod common;
mod dtmf_util;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use dtmf_util::{A, OPUS, PCMA, Rtp, arrive, digits, leg, run_until_settled};
use sbc_codec::opus::{OpusEncoder, OpusSettings};
use sbc_codec::transcode::Codec;
use sbc_codec::{G722Decoder, G722Encoder, Law};
use sbc_core::dtmf::{AudioPt, Delivery, Heard};
use sbc_core::{Digit, DtmfLeg, DtmfWay, LatchMode, MediaOp, Side};
use sbc_media::dtmf::detect::{Detection, ToneDetector};
use sbc_media::transcode::TranscodeSpec;

const MS: fn(u64) -> Duration = Duration::from_millis;
const G722: AudioPt = AudioPt {
    pt: 9,
    clock_rate: 8000,
    g711: None,
};
const OPUS_CODEC: Codec = Codec::Opus {
    bitrate: 32_000,
    complexity: 5,
    inband_fec: false,
    dtx: false,
};
/// A's telephone-event, and B's.
const EVENT_A: u8 = 101;
/// The RFC 3389 CN payload type of both legs, where they negotiated CN.
const CN_PT: u8 = 13;
const EVENT_B: u8 = 100;

fn spec(input_pt: u8, input: Codec, output_pt: u8, output: Codec) -> TranscodeSpec {
    TranscodeSpec {
        input_pt,
        input,
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
        output_pt,
        output,
        ptime_ms: 20,
        events: None,
    }
}

/// An answered call transcoding A's audio towards B as `s`, then each leg's DTMF.
fn call(s: TranscodeSpec, a: DtmfLeg, b: DtmfLeg) -> Bench {
    call_with(false, s, a, b)
}

/// [`call`], with the codec work handed off as jobs (`offload`) or run in place.
fn call_with(offload: bool, s: TranscodeSpec, a: DtmfLeg, b: DtmfLeg) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: offload,
        ..common::config()
    };
    let mut bench = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    bench.remote(Side::A, Some(A), None);
    bench.remote(Side::B, Some(dtmf_util::B), None);
    bench.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    bench.shard.set_transcode(KEY, Side::B, Some(s)).unwrap();
    for (side, leg) in [(Side::A, a), (Side::B, b)] {
        bench.op(MediaOp::Dtmf {
            stream: KEY,
            side,
            leg,
        });
    }
    bench.take_events();
    bench
}

fn d(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

/// A's G.722 audio, 20 ms per packet (seq 1000.., ts 5000..): quiet 300 Hz, with the
/// dual tone of `digit` in the samples of `tone` (16 kHz sample indices).
struct G722Source {
    encoder: G722Encoder,
    digit: Option<(Digit, std::ops::Range<usize>)>,
}

impl G722Source {
    fn packet(&mut self, n: u16) -> Vec<u8> {
        let pcm: Vec<i16> = (0..320)
            .map(|i| {
                let k = usize::from(n) * 320 + i;
                let t = k as f64 / 16_000.0;
                let mut v = 600.0 * (2.0 * PI * 300.0 * t).sin();
                if let Some((digit, range)) = &self.digit
                    && range.contains(&k)
                {
                    let (l, h) = digit.frequencies();
                    v = 7_900.0 * (2.0 * PI * f64::from(l) * t).sin()
                        + 9_950.0 * (2.0 * PI * f64::from(h) * t).sin();
                }
                v as i16
            })
            .collect();
        let mut payload = vec![0u8; 160];
        self.encoder.encode(&pcm, &mut payload).unwrap();
        dtmf_util::packet(
            9,
            n == 0,
            1000 + n,
            5000 + u32::from(n) * 160,
            0xca11e4,
            &payload,
        )
    }
}

/// What a detector at `rate` hears in `pcm`: (digit, ms).
fn detected(pcm: &[i16], rate: u32) -> Vec<(char, u32)> {
    let mut det = ToneDetector::at_rate(rate).unwrap();
    let mut found = Vec::new();
    det.feed(pcm, |x| found.push(x));
    det.feed(&vec![0; rate as usize / 5], |x| found.push(x));
    found
        .into_iter()
        .filter_map(|x| match x {
            Detection::Ended { digit, samples } => Some((digit.reveal(), det.ms(samples))),
            Detection::Started { .. } => None,
        })
        .collect()
}

fn assert_one_gapless_stream(out: &[(Duration, Rtp)]) {
    let ssrc = out[0].1.ssrc;
    assert!(out.iter().all(|(_, p)| p.ssrc == ssrc), "one SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].1.seq, w[0].1.seq.wrapping_add(1), "gapless: {w:?}");
    }
}

/// A (G.722) keys "5" as telephone-event/8000 for 100 ms, sending no audio meanwhile
/// (as many senders do, RFC 4733 §2.5); B (PCMA) wants in-band tones. What left towards
/// B and the bench.
fn events_to_tone(offload: bool) -> (Vec<(Duration, Rtp)>, Bench) {
    let mut b = call_with(
        offload,
        spec(9, Codec::G722, 8, Codec::Pcma),
        leg(DtmfWay::Events, &[(EVENT_A, 8000)], &[G722]),
        leg(DtmfWay::Inband, &[], &[PCMA]),
    );
    let mut src = G722Source {
        encoder: G722Encoder::default(),
        digit: None,
    };
    let mut out = Vec::new();
    for n in 0..10 {
        arrive(&mut b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    let ts = 5000 + 10 * 160;
    let ev = |seq, marker, end, dur| dtmf_util::event(EVENT_A, marker, seq, ts, 5, end, dur);
    for (i, dur) in [160u16, 320, 480, 640].into_iter().enumerate() {
        let at = MS(200 + 20 * i as u64);
        arrive(
            &mut b,
            at,
            &ev(2000 + i as u16, i == 0, false, dur),
            &mut out,
        );
    }
    for k in 0..3 {
        arrive(&mut b, MS(280), &ev(2004 + k, false, true, 800), &mut out);
    }
    // Audio again after the digit.
    for n in 15..25 {
        arrive(&mut b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    run_until_settled(&mut b, MS(600), &mut out);
    (out, b)
}

#[test]
fn events_become_a_tone_in_the_pcma_out_of_a_g722_transcoder() {
    let (out, mut b) = events_to_tone(false);
    let reported = digits(&mut b);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].digit, d('5'));
    assert_eq!(reported[0].duration_ms, 100);
    assert_eq!(reported[0].heard, Heard::Events);
    assert_eq!(reported[0].delivery, Delivery::Tone);

    assert!(out.iter().all(|(_, p)| p.pt == 8), "only PCMA reaches B");
    assert_one_gapless_stream(&out);
    for w in out.windows(2) {
        let step = w[1].1.ts.wrapping_sub(w[0].1.ts);
        // The input is aligned to 20 ms frames and the tone takes the events' time.
        assert_eq!(step, 160, "one frame apart, no gap: {w:?}");
    }
    // The tone starts where the event does: A's event is 10 frames into its audio.
    let loud = |p: &Rtp| p.payload.iter().any(|&c| Law::Alaw.decode(c).abs() > 3000);
    let tone_start = out.iter().find(|(_, p)| loud(p)).map(|(_, p)| p.ts);
    assert_eq!(
        tone_start,
        Some(out[0].1.ts.wrapping_add(10 * 160)),
        "the tone's first packet on the event's timestamp"
    );
    let pcm: Vec<i16> = out
        .iter()
        .flat_map(|(_, p)| p.payload.iter().map(|&c| Law::Alaw.decode(c)))
        .collect();
    let heard = detected(&pcm, 8000);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, '5');
    assert!((85..=125).contains(&heard[0].1), "{} ms", heard[0].1);
}

/// Opus packets of 20 ms of quiet 300 Hz at 16 kHz.
fn opus_packet(enc: &mut OpusEncoder, n: u16) -> Vec<u8> {
    let pcm: Vec<i16> = (0..320)
        .map(|i| {
            let t = (usize::from(n) * 320 + i) as f64 / 16_000.0;
            (600.0 * (2.0 * PI * 300.0 * t).sin()) as i16
        })
        .collect();
    let mut payload = vec![0u8; 400];
    let len = enc.encode(&pcm, &mut payload).unwrap();
    payload.truncate(len);
    dtmf_util::packet(
        111,
        n == 0,
        1000 + n,
        5000 + u32::from(n) * 960,
        0xca11e4,
        &payload,
    )
}

#[test]
fn an_info_digit_becomes_a_16_khz_tone_in_g722_out_of_an_opus_transcoder() {
    // A (Opus) sends digits as SIP INFO; B (G.722) wants in-band tones: the transcoder
    // decodes Opus at 16 kHz and encodes G.722 from 16 kHz, so the tone is made at 16 kHz.
    let mut b = call(
        spec(111, OPUS_CODEC, 9, Codec::G722),
        leg(DtmfWay::Info, &[], &[OPUS]),
        leg(DtmfWay::Inband, &[], &[G722]),
    );
    let mut enc = OpusEncoder::new(OpusSettings {
        sample_rate: 16_000,
        bitrate: 32_000,
        complexity: 5,
        inband_fec: false,
        dtx: false,
        expected_loss_percent: 0,
    })
    .unwrap();
    let mut out = Vec::new();
    for n in 0..10 {
        arrive(
            &mut b,
            MS(20 * u64::from(n)),
            &opus_packet(&mut enc, n),
            &mut out,
        );
    }
    b.op(MediaOp::PlayDigit {
        stream: KEY,
        toward: Side::B,
        digit: d('#'),
        duration_ms: 120,
    });
    // The sender keeps talking: its audio gives way to the tone while it plays.
    for n in 10..30 {
        arrive(
            &mut b,
            MS(20 * u64::from(n)),
            &opus_packet(&mut enc, n),
            &mut out,
        );
    }
    run_until_settled(&mut b, MS(700), &mut out);

    assert!(out.iter().all(|(_, p)| p.pt == 9), "only G.722 reaches B");
    assert_one_gapless_stream(&out);
    let mut dec = G722Decoder::default();
    let mut pcm = Vec::new();
    for (_, p) in &out {
        let mut frame = vec![0i16; 2 * p.payload.len()];
        let n = dec.decode(&p.payload, &mut frame).unwrap();
        pcm.extend_from_slice(&frame[..n]);
    }
    let heard = detected(&pcm, 16_000);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, '#');
    assert!((105..=145).contains(&heard[0].1), "{} ms", heard[0].1);
}

/// A's G.722 with "7" keyed in-band from 200 ms for 120 ms, 30 packets; what B got.
fn tones_from_g722(b: &mut Bench) -> Vec<(Duration, Rtp)> {
    let mut src = G722Source {
        encoder: G722Encoder::default(),
        digit: Some((d('7'), 3200..3200 + 1920)),
    };
    let mut out = Vec::new();
    for n in 0..30 {
        arrive(b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    run_until_settled(b, MS(700), &mut out);
    out
}

#[test]
fn tones_in_a_g722_input_become_events_on_the_pcma_stream_of_the_sbc() {
    let mut b = call(
        spec(9, Codec::G722, 8, Codec::Pcma),
        leg(DtmfWay::Inband, &[], &[G722]),
        leg(DtmfWay::Events, &[(EVENT_B, 8000)], &[PCMA]),
    );
    let out = tones_from_g722(&mut b);
    assert_one_gapless_stream(&out);
    let audio: Vec<&Rtp> = out
        .iter()
        .filter(|(_, p)| p.pt == 8)
        .map(|(_, p)| p)
        .collect();
    let events: Vec<&Rtp> = out
        .iter()
        .filter(|(_, p)| p.pt == EVENT_B)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        audio.len() + events.len(),
        out.len(),
        "audio and events only"
    );
    // The tone starts with input packet 10: output timestamp first + 10 * 160.
    let first_ts = audio[0].ts;
    let tone_start = first_ts.wrapping_add(10 * 160);
    let start = events[0].ts;
    assert!(events[0].marker, "marker on the first event packet");
    assert!(
        events.iter().all(|p| p.ts == start),
        "one timestamp per event"
    );
    let late = start.wrapping_sub(tone_start);
    assert!(
        late <= 160,
        "the event starts where the tone did: {late} units late"
    );
    let codes: Vec<(u8, bool, u16)> = events.iter().map(|p| p.event()).collect();
    assert!(codes.iter().all(|c| c.0 == 7));
    let ends: Vec<&(u8, bool, u16)> = codes.iter().filter(|c| c.1).collect();
    assert_eq!(ends.len(), 3, "the end packet three times: {codes:?}");
    assert!(ends.iter().all(|c| c.2 == ends[0].2));
    // Live events run until the tone's end is heard (two blocks, 25 ms, after it ends):
    // they may outlast the tone by up to a frame.
    let ms = u32::from(ends[0].2) / 8;
    assert!((100..=160).contains(&ms), "{ms} ms of 120");
    for w in codes.windows(2) {
        assert!(w[1].2 >= w[0].2, "durations never shrink: {w:?}");
    }
    // No audio while the events play; audio before and after.
    let first_event = out.iter().position(|(_, p)| p.pt == EVENT_B).unwrap();
    let last_event = out.iter().rposition(|(_, p)| p.pt == EVENT_B).unwrap();
    assert!(
        out[first_event..=last_event]
            .iter()
            .all(|(_, p)| p.pt == EVENT_B)
    );
    assert!(first_event > 5 && last_event + 5 < out.len());
    let reported = digits(&mut b);
    assert_eq!(reported.len(), 1);
    assert_eq!(
        (reported[0].digit, reported[0].heard, reported[0].delivery),
        (d('7'), Heard::Tone, Delivery::Events)
    );
}

/// A's G.722 packet `n` of [`G722Source`] renumbered `seq`.
fn renumbered(src: &mut G722Source, n: u16, seq: u16) -> Vec<u8> {
    let mut p = src.packet(n);
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p
}

/// A keys "7" in-band from 200 ms to 320 ms, then goes quiet with one CN for a second
/// and talks again; B (events) negotiated CN too, so the pause goes out as the SBC's own
/// CN packets. The tone's end is heard in the pause's noise: the live event ends there,
/// not when A talks again.
#[test]
fn a_tone_just_before_a_cn_pause_ends_in_the_pause() {
    let mut b = call(
        TranscodeSpec {
            comfort_noise_pt: Some(CN_PT),
            comfort_noise_out_pt: Some(CN_PT),
            ..spec(9, Codec::G722, 8, Codec::Pcma)
        },
        leg(DtmfWay::Inband, &[], &[G722]),
        leg(DtmfWay::Events, &[(EVENT_B, 8000)], &[PCMA]),
    );
    let mut src = G722Source {
        encoder: G722Encoder::default(),
        digit: Some((d('7'), 3200..3200 + 1920)),
    };
    let mut out = Vec::new();
    for n in 0..16 {
        arrive(&mut b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    let cn = dtmf_util::packet(CN_PT, false, 1016, 5000 + 16 * 160, 0xca11e4, &[40]);
    arrive(&mut b, MS(320), &cn, &mut out);
    for (k, n) in (66..76u16).enumerate() {
        let p = renumbered(&mut src, n, 1017 + k as u16);
        arrive(&mut b, MS(20 * u64::from(n)), &p, &mut out);
    }
    run_until_settled(&mut b, MS(1600), &mut out);
    let events: Vec<&(Duration, Rtp)> = out.iter().filter(|(_, p)| p.pt == EVENT_B).collect();
    let ends: Vec<(Duration, u16)> = events
        .iter()
        .filter(|(_, p)| p.event().1)
        .map(|(at, p)| (*at, p.event().2))
        .collect();
    assert_eq!(ends.len(), 3, "the end packet three times: {events:?}");
    assert!(
        ends.iter().all(|&(at, _)| at < MS(500)),
        "the event ended in the pause, not when A talked again at 1320 ms: {ends:?}"
    );
    let ms = u32::from(ends[0].1) / 8;
    assert!((100..=180).contains(&ms), "{ms} ms of 120");
    assert!(
        out.iter().any(|(_, p)| p.pt == CN_PT),
        "the pause went out as CN packets"
    );
    let reported = digits(&mut b);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].digit, d('7'));
}

/// The end packets of B's events in `out` (when they left, duration), and the digits
/// reported.
fn event_ends(out: &[(Duration, Rtp)], b: &mut Bench) -> (Vec<(Duration, u16)>, usize) {
    let ends = out
        .iter()
        .filter(|(_, p)| p.pt == EVENT_B && p.event().1)
        .map(|(at, p)| (*at, p.event().2))
        .collect();
    (ends, digits(b).len())
}

/// An answered G.722 → PCMA call from an in-band leg to an events leg.
fn inband_to_events() -> Bench {
    call(
        spec(9, Codec::G722, 8, Codec::Pcma),
        leg(DtmfWay::Inband, &[], &[G722]),
        leg(DtmfWay::Events, &[(EVENT_B, 8000)], &[PCMA]),
    )
}

/// A keys "7" in-band from 200 ms and its audio stops at 300 ms mid-tone (hold, DTX
/// without CN, a lost stream); it talks again, no tone, at 1 s. The live event towards B
/// ends `FLUSH_AFTER` (60 ms) after the last audio came, not when audio comes again, and
/// the detector's own end of the tone then is not reported again.
#[test]
fn a_live_digit_ends_when_the_senders_audio_stops_mid_tone() {
    let mut b = inband_to_events();
    let mut src = G722Source {
        encoder: G722Encoder::default(),
        digit: Some((d('7'), 3200..16_000)),
    };
    let mut out = Vec::new();
    for n in 0..15 {
        arrive(&mut b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    src.digit = None;
    for (k, n) in (50..60u16).enumerate() {
        let p = renumbered(&mut src, n, 1015 + k as u16);
        arrive(&mut b, MS(20 * u64::from(n)), &p, &mut out);
    }
    run_until_settled(&mut b, MS(1500), &mut out);
    let (ends, reported) = event_ends(&out, &mut b);
    assert_eq!(ends.len(), 3, "the end packet three times: {ends:?}");
    assert!(
        ends.iter().all(|&(at, _)| at <= MS(380)),
        "ended 60 ms after the last audio (280 ms), not when A talked again: {ends:?}"
    );
    let ms = u32::from(ends[0].1) / 8;
    assert!((60..=160).contains(&ms), "{ms} ms");
    assert_eq!(reported, 1, "one digit, its end not told twice");
}

/// A holds "7" for 6 s: the live event ends after `MAX_HEARD` (5 s), once.
#[test]
fn a_live_digit_ends_after_5_s() {
    let mut b = inband_to_events();
    let mut src = G722Source {
        encoder: G722Encoder::default(),
        digit: Some((d('7'), 3200..3200 + 6 * 16_000)),
    };
    let mut out = Vec::new();
    for n in 0..360 {
        arrive(&mut b, MS(20 * u64::from(n)), &src.packet(n), &mut out);
    }
    run_until_settled(&mut b, MS(7500), &mut out);
    let (ends, reported) = event_ends(&out, &mut b);
    assert_eq!(ends.len(), 3, "the end packet three times: {ends:?}");
    assert!(
        ends.iter().all(|&(at, _)| at >= MS(5000) && at <= MS(5400)),
        "{ends:?}"
    );
    let ms = u32::from(ends[0].1) / 8;
    assert!((4900..=5100).contains(&ms), "{ms} ms");
    assert_eq!(reported, 1, "one digit, its end not told twice");
}

#[test]
fn tones_in_a_g722_input_become_one_info_digit_and_the_audio_goes_on() {
    let mut b = call(
        spec(9, Codec::G722, 8, Codec::Pcma),
        leg(DtmfWay::Inband, &[], &[G722]),
        leg(DtmfWay::Info, &[], &[PCMA]),
    );
    let out = tones_from_g722(&mut b);
    assert_eq!(out.len(), 30, "every packet transcoded, tone included");
    assert!(out.iter().all(|(_, p)| p.pt == 8));
    assert_one_gapless_stream(&out);
    let reported = digits(&mut b);
    assert_eq!(reported.len(), 1, "{reported:?}");
    let r = &reported[0];
    assert_eq!(
        (r.digit, r.heard, r.delivery),
        (d('7'), Heard::Tone, Delivery::Info)
    );
    assert!((100..=140).contains(&r.duration_ms), "{} ms", r.duration_ms);
}

#[test]
fn handed_off_to_transcoding_threads_the_same_bytes_leave() {
    let (inline, mut b) = events_to_tone(false);
    let (offloaded, mut c) = events_to_tone(true);
    assert_eq!(offloaded, inline, "events into a tone");
    assert_eq!(digits(&mut c), digits(&mut b));
    for to in [
        leg(DtmfWay::Events, &[(EVENT_B, 8000)], &[PCMA]),
        leg(DtmfWay::Info, &[], &[PCMA]),
    ] {
        let run = |offload| {
            let mut b = call_with(
                offload,
                spec(9, Codec::G722, 8, Codec::Pcma),
                leg(DtmfWay::Inband, &[], &[G722]),
                to.clone(),
            );
            let out = tones_from_g722(&mut b);
            (out, digits(&mut b))
        };
        let (inline, heard) = run(false);
        let (offloaded, heard_offloaded) = run(true);
        assert_eq!(offloaded, inline, "tones heard, towards {:?}", to.way);
        assert_eq!(heard_offloaded, heard);
        assert_eq!(heard.len(), 1);
    }
}
