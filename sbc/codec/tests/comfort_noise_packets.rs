//! RFC 3389 packets of the SBC's own through pauses, on a virtual clock (each call of
//! `Transcoder::comfort_noise` is one output ptime of the engine's timer): towards a leg
//! that negotiated CN (`send_comfort_noise_packets`), a pause goes out as one CN when it
//! starts, an update on a notable change (not sooner than 100 ms after the last) or every
//! 500 ms, in the stream's gapless numbering, timestamps where the pause stands on the
//! output clock, unmarked; the first audio after it is marked.
#![cfg(all(feature = "opus", feature = "g729"))]

mod common;

use std::any::Any;

use common::packets::{Out, alaw_talk, sink};
use sbc_codec::Law;
use sbc_codec::transcode::{Codec, Listener, Transcoder, TranscoderConfig};

const FIRST_SEQ: u16 = 65_533;
const FIRST_TS: u32 = 4_294_967_000;

fn transcoder(input: Codec, output: Codec) -> Transcoder {
    let mut t = Transcoder::new(TranscoderConfig {
        input,
        output,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 0x1234_5678,
        first_seq: FIRST_SEQ,
        first_ts: FIRST_TS,
    })
    .expect("transcoder");
    t.send_comfort_noise_packets();
    t
}

/// (index in the output, ticks into the pause) → what the CN packets must be.
fn summary(out: &[Out]) -> Vec<(usize, bool, bool)> {
    out.iter()
        .enumerate()
        .map(|(i, p)| (i, p.cn, p.marker))
        .collect()
}

#[test]
fn a_cn_pause_goes_out_as_one_cn_a_refresh_every_500_ms_and_marked_audio_after() {
    let mut t = transcoder(Codec::Pcma, Codec::Pcmu);
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 5) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    let cn = [40, 60, 200];
    t.push_comfort_noise(105, 8800, false, &cn, &mut sink(&mut out));
    for _ in 0..30 {
        assert!(t.comfort_noise(&mut sink(&mut out)));
    }
    // The sender's clock ran on 600 ms.
    for (seq, ts, payload) in alaw_talk(106, 8800 + 30 * 160, 3) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.flush(&mut sink(&mut out));
    // 5 talk, the CN at the pause's start, its refresh 500 ms (25 ticks) later, 3 talk.
    assert_eq!(out.len(), 10, "{:?}", summary(&out));
    for (i, p) in out.iter().enumerate() {
        assert_eq!(
            p.seq,
            FIRST_SEQ.wrapping_add(i as u16),
            "gapless: packet {i}"
        );
        assert_eq!(p.cn, i == 5 || i == 6, "packet {i}: CN");
        assert_eq!(p.marker, i == 0 || i == 7, "packet {i}: marker");
    }
    let at = |samples: u32| FIRST_TS.wrapping_add(samples);
    assert_eq!(out[5].ts, at(5 * 160), "the CN where the pause starts");
    assert_eq!(out[6].ts, at((5 + 25) * 160), "refreshed after 500 ms");
    assert_eq!(
        out[7].ts,
        at((5 + 30) * 160),
        "audio where the sender's clock is"
    );
    assert_eq!(out[8].ts, at((5 + 31) * 160));
    // Both legs narrowband: the CN is re-sent with its spectral shape.
    assert_eq!(out[5].payload, cn);
    assert_eq!(out[6].payload, cn);
    let stats = t.stats();
    assert_eq!((stats.comfort_packets, stats.sent), (2, 10));
}

#[test]
fn a_changed_cn_goes_out_no_sooner_than_100_ms_after_the_last() {
    let mut t = transcoder(Codec::Pcma, Codec::G729 { annex_b: false });
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 2) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.push_comfort_noise(102, 8320, false, &[40], &mut sink(&mut out));
    let ticks = |t: &mut Transcoder, out: &mut Vec<Out>, n| {
        for _ in 0..n {
            assert!(t.comfort_noise(&mut sink(out)));
        }
    };
    ticks(&mut t, &mut out, 2);
    // 40 ms in: louder. Sent at the 5th tick (100 ms after the first CN).
    t.push_comfort_noise(103, 8320 + 320, false, &[30], &mut sink(&mut out));
    ticks(&mut t, &mut out, 5);
    // A change of 1 dB is not worth a packet.
    t.push_comfort_noise(104, 8320 + 7 * 160, false, &[31], &mut sink(&mut out));
    ticks(&mut t, &mut out, 10);
    let cns: Vec<(u32, Vec<u8>)> = out
        .iter()
        .filter(|p| p.cn)
        .map(|p| (p.ts.wrapping_sub(FIRST_TS), p.payload.clone()))
        .collect();
    assert_eq!(
        cns,
        [(2 * 160, vec![40]), ((2 + 5) * 160, vec![30])],
        "{:?}",
        summary(&out)
    );
    assert!(out.iter().all(|p| !p.cn || !p.marker), "CN never marked");
}

#[test]
fn towards_opus_the_cn_carries_the_level_only_on_the_48_khz_clock() {
    let opus = Codec::Opus {
        bitrate: 24_000,
        complexity: 5,
        inband_fec: false,
        dtx: false,
    };
    let mut t = transcoder(Codec::Pcma, opus);
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 5) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.push_comfort_noise(105, 8800, false, &[45, 90, 160], &mut sink(&mut out));
    for _ in 0..10 {
        t.comfort_noise(&mut sink(&mut out));
    }
    for (seq, ts, payload) in alaw_talk(106, 8800 + 1600, 2) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.flush(&mut sink(&mut out));
    let cn = out.iter().position(|p| p.cn).expect("a CN");
    assert_eq!(
        out[cn].payload,
        [45],
        "coefficients of 8 kHz audio not sent on CN/48000"
    );
    assert_eq!(out[cn].ts, FIRST_TS.wrapping_add(5 * 960), "48 kHz clock");
    assert_eq!(out.iter().filter(|p| p.cn).count(), 1);
    let resumed = &out[cn + 1];
    assert!(resumed.marker && !resumed.cn);
    assert_eq!(resumed.ts, FIRST_TS.wrapping_add(15 * 960));
}

#[test]
fn a_g729_sid_becomes_a_cn_describing_the_decoders_comfort_noise() {
    // An Annex B encoder fed a tone, then faint noise, sends voice frames, a SID, then
    // nothing.
    let mut seed = 0x2545_f491u32;
    let faint: Vec<i16> = (0..8000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 121) as i16 - 60
        })
        .collect();
    let talk: Vec<u8> = alaw_talk(0, 0, 25).into_iter().flat_map(|p| p.2).collect();
    let mut quiet = vec![0u8; faint.len()];
    Law::Alaw.encode_into(&faint, &mut quiet);
    let codes = [talk, quiet].concat();
    let mut encoder = Transcoder::new(TranscoderConfig {
        input: Codec::Pcma,
        output: Codec::G729 { annex_b: true },
        ptime_ms: 20,
        reorder_depth: 1,
        ssrc: 1,
        first_seq: 0,
        first_ts: 0,
    })
    .expect("encoder");
    let mut g729 = Vec::new();
    for (i, chunk) in codes.chunks(160).enumerate() {
        encoder.push(i as u16, 160 * i as u32, false, chunk, &mut sink(&mut g729));
    }
    encoder.flush(&mut sink(&mut g729));
    let sid_at = g729
        .iter()
        .position(|p| p.payload.len() % 10 == 2)
        .expect("Annex B sent a SID for the faint noise");
    // The same SID played as noise frames (no CN negotiated) is the reference level, in
    // µ-law: A-law's coarsest step at these levels (16) would add 4 dB to noise at −76 dBov.
    let mut frames = Transcoder::new(TranscoderConfig {
        input: Codec::G729 { annex_b: true },
        output: Codec::Pcmu,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 1,
        first_seq: 0,
        first_ts: 0,
    })
    .expect("reference");
    let mut t = transcoder(Codec::G729 { annex_b: true }, Codec::Pcma);
    let (mut out, mut reference) = (Vec::new(), Vec::new());
    for p in &g729[..=sid_at] {
        t.push(p.seq, p.ts, false, &p.payload, &mut sink(&mut out));
        frames.push(p.seq, p.ts, false, &p.payload, &mut sink(&mut reference));
    }
    let (before, reference_before) = (out.len(), reference.len());
    for _ in 0..50 {
        assert!(t.comfort_noise(&mut sink(&mut out)));
        assert!(frames.comfort_noise(&mut sink(&mut reference)));
    }
    let cns: Vec<&Out> = out[before..].iter().filter(|p| p.cn).collect();
    eprintln!(
        "CNs for a G.729 SID pause (ts, payload): {:?}",
        cns.iter()
            .map(|p| (p.ts.wrapping_sub(FIRST_TS), p.payload.clone()))
            .collect::<Vec<_>>()
    );
    // bcg729 moves its noise from the last voice frame's energy to the SID's over the
    // first half second: the CN follows with updates, at most one per 100 ms.
    assert!(!cns.is_empty() && cns.len() <= 11, "{:?}", summary(&out));
    for w in cns.windows(2) {
        assert!(
            w[1].ts.wrapping_sub(w[0].ts) >= 800,
            "100 ms apart at least"
        );
    }
    assert!(
        cns.iter().all(|p| p.payload.len() == 11),
        "level and 10 coefficients"
    );
    // The last CN against the noise frames of the last 100 ms.
    let tail = &reference[reference.len() - 5..];
    let mut pcm = vec![0i16; 160 * tail.len()];
    for (p, chunk) in tail.iter().zip(pcm.chunks_mut(160)) {
        Law::Ulaw.decode_into(&p.payload, chunk);
    }
    let power = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    let level = -10.0 * (power / (32767.0 * 32767.0)).log10();
    let said = f64::from(cns.last().map_or(0, |p| p.payload[0]));
    eprintln!("G.729 SID as CN: {said} -dBov; the decoder's noise as frames {level:.1} -dBov");
    assert!(
        (said - level).abs() <= 3.0,
        "CN says {said} -dBov, the decoder's noise is {level:.1}"
    );
    assert!(reference_before > 0);
}

/// Counts the samples it hears.
#[derive(Debug, Default)]
struct Ears {
    heard: usize,
}

impl Listener for Ears {
    fn decoded(&mut self, pcm: &[i16], _rate: u32) {
        self.heard += pcm.len();
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[test]
fn a_listener_hears_every_tick_of_a_pause_sent_as_cn_packets() {
    let mut t = transcoder(Codec::Pcma, Codec::Pcmu);
    t.set_listener(Some(Box::new(Ears::default())));
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 5) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.push_comfort_noise(105, 8800, false, &[40], &mut sink(&mut out));
    for _ in 0..30 {
        assert!(t.comfort_noise(&mut sink(&mut out)));
    }
    let heard = t
        .listener_mut()
        .and_then(|l| l.as_any_mut().downcast_mut::<Ears>())
        .map(|e| e.heard);
    // The in-band detector is such a listener: a tone before the pause must end in it.
    assert_eq!(
        heard,
        Some((5 + 30) * 160),
        "the talk and every tick of the pause"
    );
    assert_eq!(
        t.stats().comfort_packets,
        2,
        "the pause went out as CN packets"
    );
}
