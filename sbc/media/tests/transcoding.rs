//! The transcoding step in a shard (virtual clock): a PCMA tone from A leaves towards B as
//! G.722 or Opus in the SBC's own numbering, telephone-events cross with their timestamps
//! on the output clock, RTCP and stray payload types do not cross, held packets leave on
//! the step's timer, and a ptime the codec cannot do is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use sbc_codec::transcode::Codec;
use sbc_codec::{G722Decoder, Law};
use sbc_core::{DropKind, LatchMode, MediaOp, PayloadFormat, Side, Transcoding};
use sbc_media::transcode::{FLUSH_AFTER, TranscodeSpec};
use sbc_media::{HEADROOM, MAX_EMITTED, OpError, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";
const OPUS: Codec = Codec::Opus {
    bitrate: 24_000,
    complexity: 5,
    inband_fec: false,
    dtx: false,
};

fn call(spec: TranscodeSpec) -> Bench {
    let mut b = Bench::with(
        common::config(),
        LatchMode::PrivateOnly,
        LatchMode::PrivateOnly,
    );
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.shard.set_transcode(KEY, Side::B, Some(spec)).unwrap();
    b
}

fn spec(output_pt: u8, output: Codec) -> TranscodeSpec {
    TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        output_pt,
        output,
        ptime_ms: 20,
        events: Some((101, 96)),
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    }
}

/// RTP of payload type `pt`.
fn packet(pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// 20 ms of a 400 Hz tone at -12 dBFS in A-law, the `n`th packet of it.
fn tone_packet(n: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..160)
        .map(|i| {
            let t = f64::from(u32::from(n) * 160 + i) / 8000.0;
            let s = 8000.0 * (2.0 * PI * 400.0 * t).sin();
            Law::Alaw.encode(s as i16)
        })
        .collect();
    packet(8, 1000 + n, 5000 + u32::from(n) * 160, n == 0, &payload)
}

/// Every packet the engine emitted, as (pt, seq, ts, ssrc, marker, payload).
type Out = (u8, u16, u32, u32, bool, Vec<u8>);

fn emitted(b: &mut Bench) -> Vec<Out> {
    let mut out = Vec::new();
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        let p = &mem[t.start..t.start + t.len];
        out.push((
            p[1] & 0x7f,
            u16::from_be_bytes([p[2], p[3]]),
            u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            p[1] & 0x80 != 0,
            p[12..].to_vec(),
        ));
    }
    out
}

/// Power of `f` Hz in `samples` (at `rate`) against all of their power, in dB.
fn tone_share_db(samples: &[i16], rate: f64, f: f64) -> f64 {
    let (mut re, mut im, mut total) = (0.0, 0.0, 0.0);
    for (i, &s) in samples.iter().enumerate() {
        let s = f64::from(s);
        let w = 2.0 * PI * f * i as f64 / rate;
        re += s * w.cos();
        im += s * w.sin();
        total += s * s;
    }
    let tone = 2.0 * (re * re + im * im) / samples.len() as f64;
    10.0 * (tone / total).log10()
}

/// Sends `n` tone packets from A, 20 ms apart on the virtual clock; what left towards B.
fn play(b: &mut Bench, n: u16) -> Vec<Out> {
    let mut out = Vec::new();
    for i in 0..n {
        b.recv(Side::A, false, A, &tone_packet(i));
        out.extend(emitted(b));
        b.advance(Duration::from_millis(20));
        out.extend(emitted(b));
    }
    b.advance(FLUSH_AFTER);
    out.extend(emitted(b));
    out
}

fn assert_own_numbering(out: &[Out], pt: u8, ts_step: u32) {
    assert!(out.iter().all(|p| p.0 == pt), "payload type {pt}");
    let ssrc = out[0].3;
    assert_ne!(ssrc, 0x1234_5678, "the SBC's own SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].3, ssrc);
        assert_eq!(w[1].1, w[0].1.wrapping_add(1), "gapless sequence numbers");
        assert_eq!(w[1].2.wrapping_sub(w[0].2), ts_step, "timestamps per 20 ms");
    }
}

fn format(pt: u8, encoding: &str, clock_rate: u32) -> PayloadFormat {
    PayloadFormat {
        pt,
        encoding: encoding.into(),
        clock_rate,
        channels: None,
        fmtp: None,
    }
}

#[test]
fn pcma_tone_leaves_as_g722_in_the_sbcs_own_numbering() {
    // Replaced through the control plane's op, as SDP names the formats.
    let mut b = call(spec(9, Codec::G722));
    b.op(MediaOp::Transcode {
        stream: KEY,
        toward: Side::B,
        spec: Some(Transcoding {
            input: format(8, "PCMA", 8000),
            output: format(9, "G722", 8000),
            ptime_ms: 20,
            events: None,
            comfort_noise: None,
            comfort_noise_out: None,
        }),
    });
    let out = play(&mut b, 50);
    assert!(out.len() >= 48, "{} packets out of 50", out.len());
    assert_own_numbering(&out, 9, 160);
    assert!(out.iter().all(|p| p.5.len() == 160), "20 ms of G.722");
    let mut dec = G722Decoder::new();
    let mut pcm = Vec::new();
    for p in &out {
        let mut frame = [0i16; 320];
        let n = dec.decode(&p.5, &mut frame).unwrap();
        pcm.extend_from_slice(&frame[..n]);
    }
    // After the codecs' start-up: the 400 Hz tone holds nearly all of the power.
    let share = tone_share_db(&pcm[3200..], 16_000.0, 400.0);
    assert!(share > -0.5, "400 Hz is {share:.2} dB of the audio");
    // The other direction is not transcoded: relayed as it came.
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.packets, 50);
}

#[test]
fn pcma_tone_leaves_as_opus_with_48khz_timestamps() {
    let mut b = call(spec(111, OPUS));
    let out = play(&mut b, 50);
    assert!(out.len() >= 48, "{} packets out of 50", out.len());
    assert_own_numbering(&out, 111, 960);
    let mut dec = sbc_codec::opus::OpusDecoder::new(8000).unwrap();
    let mut pcm = Vec::new();
    for p in &out {
        let mut frame = [0i16; 960];
        let n = dec.decode(&p.5, &mut frame).unwrap();
        pcm.extend_from_slice(&frame[..n]);
    }
    let share = tone_share_db(&pcm[1600..], 8000.0, 400.0);
    assert!(share > -1.0, "400 Hz is {share:.2} dB of the audio");
}

#[test]
fn telephone_events_cross_on_the_output_clock_and_numbering() {
    let mut b = call(spec(111, OPUS));
    let mut out = play(&mut b, 10);
    // Digit 5 starting at the 11th packet's timestamp, 400 samples at 8 kHz so far.
    let start = 5000 + 10 * 160;
    b.recv(
        Side::A,
        false,
        A,
        &packet(101, 1010, start, true, &[5, 10, 0x01, 0x90]),
    );
    out.extend(emitted(&mut b));
    let (audio, events): (Vec<Out>, Vec<Out>) = out.into_iter().partition(|p| p.0 == 111);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.5, [5, 10, 0x09, 0x60], "duration 400 * 6 at 48 kHz");
    assert!(e.4, "marker kept");
    assert_eq!(e.3, audio[0].3, "the audio's SSRC");
    assert_eq!(e.1, audio.last().unwrap().1.wrapping_add(1), "next number");
    // The event starts where audio of that input timestamp would: 10 packets on.
    assert_eq!(e.2.wrapping_sub(audio[0].2), 10 * 960);
}

#[test]
fn rtcp_and_stray_payload_types_do_not_cross() {
    let mut b = call(spec(9, Codec::G722));
    b.recv(Side::A, false, A, &tone_packet(0));
    let v = b.recv(
        Side::A,
        true,
        "198.51.100.10:4001",
        &common::rtcp_rr(0x1234_5678),
    );
    assert_eq!(
        v,
        sbc_media::Verdict::Drop(sbc_media::DropReason::Consumed),
        "RTCP"
    );
    let v = b.recv(Side::A, false, A, &packet(13, 1001, 5160, false, &[40]));
    assert!(matches!(
        v,
        sbc_media::Verdict::Drop(sbc_media::DropReason::Transform(_))
    ));
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 1, "the CN packet");
    assert_eq!(
        s.a.drops.get(DropKind::Consumed),
        2,
        "the tone packet (transcoded) and the RTCP report"
    );
}

#[test]
fn formats_the_engine_cannot_transcode_are_refused() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    let op = MediaOp::Transcode {
        stream: KEY,
        toward: Side::A,
        spec: Some(Transcoding {
            input: format(8, "PCMA", 8000),
            output: format(97, "AMR", 8000),
            ptime_ms: 20,
            events: None,
            comfort_noise: None,
            comfort_noise_out: None,
        }),
    };
    let e = b.shard.apply(b.now, op).unwrap_err();
    assert!(matches!(e, OpError::Unsupported { .. }), "{e}");
}

#[test]
fn a_ptime_opus_has_no_frame_for_is_refused() {
    let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    let mut s = spec(111, OPUS);
    s.ptime_ms = 30;
    let e = b.shard.set_transcode(KEY, Side::B, Some(s)).unwrap_err();
    assert!(matches!(e, OpError::Codec { .. }), "{e}");
}

#[test]
fn a_relayed_pcma_stream_is_recut_from_30_to_20_ms_keeping_every_byte() {
    // The re-cut of trunk `ptime`: the same codec in and out.
    let mut b = call(TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        output_pt: 8,
        output: Codec::Pcma,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    });
    let mut sent = Vec::new();
    let mut out = Vec::new();
    for n in 0..20u16 {
        let payload: Vec<u8> = (0..240)
            .map(|i| ((u32::from(n) * 240 + i) % 251) as u8)
            .collect();
        sent.extend_from_slice(&payload);
        let p = packet(8, 300 + n, 9000 + u32::from(n) * 240, n == 0, &payload);
        b.recv(Side::A, false, A, &p);
        out.extend(emitted(&mut b));
        b.advance(Duration::from_millis(30));
        out.extend(emitted(&mut b));
    }
    b.advance(FLUSH_AFTER);
    out.extend(emitted(&mut b));
    // 600 ms in 30 ms packets leave as 30 packets of 20 ms.
    assert_eq!(out.len(), 30);
    assert_own_numbering(&out, 8, 160);
    assert!(out.iter().all(|p| p.5.len() == 160));
    assert!(
        out[0].4 && out[1..].iter().all(|p| !p.4),
        "marker on the first only"
    );
    let got: Vec<u8> = out.iter().flat_map(|p| p.5.clone()).collect();
    assert_eq!(got, sent, "every A-law octet, in order");
}
