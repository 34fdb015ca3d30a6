//! What transcoding costs, on an uncontended core: `cargo bench -p sbc-codec --bench
//! sessions` prints first the encode + decode cost of one 20 ms frame per codec, then
//! transcoded sessions per core from the real stream objects: one session is a pair of
//! `Transcoder`s (G.711 A-law -> X and X -> A-law) fed 20 ms packets both ways, and the
//! figure is what one second of one session costs, turned into sessions per core at
//! 100 % of it.
//!
//! The machine is shared, so every 20 ms step (one packet each way) is timed on its own,
//! 40 times over the same second of audio, and the figure adds up, per step, the fastest
//! of its 40 (a step that was preempted only ever looks slower): the cost of one second
//! of one session on an uncontended core. The median adds up the medians instead.

#![allow(clippy::print_stdout)]

#[path = "speechlike.rs"]
mod speechlike;

use sbc_codec::g729::{G729Decoder, G729Encoder};
use sbc_codec::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use sbc_codec::resample::{Downsampler, Upsampler};
use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};
use sbc_codec::{G722Decoder, G722Encoder, Law};
use speechlike::speechlike;
use std::hint::black_box;
use std::time::{Duration, Instant};

const ROUNDS: usize = 40;

fn direction(input: Codec, output: Codec) -> Transcoder {
    Transcoder::new(TranscoderConfig {
        input,
        output,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 1,
        first_seq: 0,
        first_ts: 0,
    })
    .expect("transcoder")
}

/// One second of `codec` packets (20 ms each), encoded from the speech-like signal.
fn wire(codec: Codec, alaw: &[Vec<u8>]) -> Vec<(u32, Vec<u8>)> {
    let mut t = direction(Codec::Pcma, codec);
    let mut out = Vec::new();
    for (i, p) in alaw.iter().enumerate() {
        t.push(i as u16, i as u32 * 160, false, p, &mut |o: OutPacket<
            '_,
        >| {
            out.push((o.ts, o.payload.to_vec()))
        });
    }
    out
}

fn measure(name: &str, codec: Codec) {
    let pcm = speechlike(8000);
    let mut codes = vec![0u8; pcm.len()];
    Law::Alaw.encode_into(&pcm, &mut codes);
    let alaw: Vec<Vec<u8>> = codes.chunks(160).map(<[u8]>::to_vec).collect();
    let other = wire(codec, &alaw);
    let mut to_x = direction(Codec::Pcma, codec);
    let mut to_a = direction(codec, Codec::Pcma);
    let mut seq = 0u16;
    let mut ts_a = 0u32;
    let mut ts_x = 0u32;
    let step_x = codec.rtp_clock() / 50;
    let mut sink = |o: OutPacket<'_>| {
        black_box(o.payload);
    };
    let mut times = vec![Vec::with_capacity(ROUNDS); alaw.len()];
    for _ in 0..ROUNDS {
        for (step, (a, (_, x))) in alaw.iter().zip(&other).enumerate() {
            let start = Instant::now();
            to_x.push(seq, ts_a, false, a, &mut sink);
            to_a.push(seq, ts_x, false, x, &mut sink);
            times[step].push(start.elapsed());
            seq = seq.wrapping_add(1);
            ts_a = ts_a.wrapping_add(160);
            ts_x = ts_x.wrapping_add(step_x);
        }
    }
    let mut best = Duration::ZERO;
    let mut median = Duration::ZERO;
    for step in &mut times {
        step.sort();
        best += step[0];
        median += step[ROUNDS / 2];
    }
    let (best, median) = (best.as_secs_f64(), median.as_secs_f64());
    println!(
        "{name:<34} {:>7.1} µs per 20 ms (median {:>7.1})   {:>6.0} sessions/core (median {:>6.0})",
        best * 1e6 / 50.0,
        median * 1e6 / 50.0,
        1.0 / best,
        1.0 / median
    );
}

/// The encode + decode cost of one 20 ms frame of `rate` audio through `step`: per frame
/// of one second of speech-like audio the fastest of `ROUNDS`, averaged over the second.
fn frame_cost(name: &str, rate: u32, mut step: impl FnMut(&[i16])) {
    let pcm = speechlike(rate);
    let frame = rate as usize / 50;
    let mut times = vec![Duration::MAX; 50];
    for _ in 0..ROUNDS {
        for (i, chunk) in pcm.chunks_exact(frame).enumerate() {
            let start = Instant::now();
            step(black_box(chunk));
            times[i] = times[i].min(start.elapsed());
        }
    }
    let total: Duration = times.iter().sum();
    println!(
        "{name:<34} {:>7.1} µs per 20 ms frame",
        total.as_secs_f64() * 1e6 / 50.0
    );
}

fn codec_costs() {
    println!("encode + decode of one 20 ms frame");
    let mut codes = [0u8; 160];
    let mut out = [0i16; 160];
    frame_cost("G.711 A-law", 8000, |pcm| {
        Law::Alaw.encode_into(pcm, &mut codes);
        Law::Alaw.decode_into(&codes, &mut out);
    });
    let (mut enc, mut dec) = (G722Encoder::new(), G722Decoder::new());
    let mut payload = [0u8; 160];
    let mut wide = [0i16; 320];
    frame_cost("G.722", 16_000, |pcm| {
        let n = enc.encode(pcm, &mut payload).expect("encodes");
        dec.decode(&payload[..n], &mut wide).expect("decodes");
    });
    let (mut up, mut down) = (Upsampler::new(), Downsampler::new());
    frame_cost("resampler 8 -> 16 -> 8 kHz", 8000, |pcm| {
        up.process(pcm, &mut wide).expect("up");
        down.process(&wide, &mut out).expect("down");
    });
    for (rate, complexity, bitrate) in [
        (8000, 5, 24_000),
        (8000, 10, 24_000),
        (16_000, 5, 32_000),
        (48_000, 5, 32_000),
    ] {
        let settings = OpusSettings {
            complexity,
            bitrate,
            ..OpusSettings::voice(rate)
        };
        let mut enc = OpusEncoder::new(settings).expect("encoder");
        let mut dec = OpusDecoder::new(rate).expect("decoder");
        let mut packet = [0u8; 1500];
        let mut pcm_out = vec![0i16; rate as usize / 50];
        let name = format!(
            "Opus {} kHz c{complexity} {} kbit/s",
            rate / 1000,
            bitrate / 1000
        );
        frame_cost(&name, rate, |pcm| {
            let n = enc.encode(pcm, &mut packet).expect("encodes");
            dec.decode(&packet[..n], &mut pcm_out).expect("decodes");
        });
    }
    let mut enc = G729Encoder::new(false).expect("encoder");
    let mut dec = G729Decoder::new().expect("decoder");
    let mut bits = [0u8; 20];
    frame_cost("G.729A", 8000, |pcm| {
        let n = enc.encode(pcm, &mut bits).expect("encodes");
        dec.decode(&bits[..n], &mut out).expect("decodes");
    });
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    codec_costs();
    println!("one session = PCMA -> X and X -> PCMA, 20 ms packets, both directions");
    measure("G.711 A <-> G.711 µ", Codec::Pcmu);
    measure("G.711 A <-> G.722", Codec::G722);
    for (complexity, bitrate) in [(5, 16_000), (5, 24_000), (10, 24_000)] {
        let codec = Codec::Opus {
            bitrate,
            complexity,
            inband_fec: false,
            dtx: false,
        };
        let name = format!(
            "G.711 A <-> Opus 8 kHz c{complexity} {} kbit/s",
            bitrate / 1000
        );
        measure(&name, codec);
    }
    measure("G.711 A <-> G.729A", Codec::G729 { annex_b: false });
    measure("G.711 A <-> G.729A+B", Codec::G729 { annex_b: true });
}
