//! Encode + decode cost of one 20 ms frame per codec, the unit a transcoded session pays
//! once per direction every 20 ms: `cargo bench -p sbc-codec`. Transcoded sessions per
//! core follow as 20 ms / (cost of leg A's codec + cost of leg B's codec).
//!
//! The input is one second of a speech-like signal (a 120–240 Hz voiced harmonic series,
//! syllable-rate amplitude modulation, some noise), so the codecs work as on voice, not on
//! a pure tone they predict for free.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sbc_codec::g729::{G729Decoder, G729Encoder};
use sbc_codec::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use sbc_codec::resample::{Downsampler, Upsampler};
use sbc_codec::{G722Decoder, G722Encoder, Law};
use std::hint::black_box;

#[path = "speechlike.rs"]
mod speechlike;
use speechlike::speechlike;

/// Benchmarks `step(frame)` over 20 ms frames of one second of `rate` audio.
fn frames(c: &mut Criterion, name: &str, rate: u32, mut step: impl FnMut(&[i16])) {
    let signal = speechlike(rate);
    let frame = rate as usize / 50;
    let mut i = 0;
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter(|| {
            let start = (i % 50) * frame;
            i += 1;
            step(black_box(&signal[start..start + frame]));
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    for law in [Law::Alaw, Law::Ulaw] {
        let mut codes = [0u8; 160];
        let mut out = [0i16; 160];
        frames(c, &format!("{law:?}/enc+dec"), 8000, |pcm| {
            law.encode_into(pcm, &mut codes);
            law.decode_into(&codes, &mut out);
            black_box(&out);
        });
    }

    let mut encoder = G722Encoder::new();
    let mut decoder = G722Decoder::new();
    let mut payload = [0u8; 160];
    let mut out = [0i16; 320];
    frames(c, "G722/enc+dec", 16_000, |pcm| {
        let n = encoder.encode(pcm, &mut payload).expect("encodes");
        decoder.decode(&payload[..n], &mut out).expect("decodes");
        black_box(&out);
    });

    let mut up = Upsampler::new();
    let mut down = Downsampler::new();
    let mut wide = [0i16; 320];
    let mut narrow = [0i16; 160];
    frames(c, "resample/8k->16k->8k", 8000, |pcm| {
        up.process(pcm, &mut wide).expect("up");
        down.process(&wide, &mut narrow).expect("down");
        black_box(&narrow);
    });

    for (rate, complexity, bitrate) in [
        (8000, 5, 24_000),
        (8000, 10, 24_000),
        (16_000, 5, 24_000),
        (16_000, 10, 32_000),
        (48_000, 5, 32_000),
        (48_000, 10, 32_000),
    ] {
        let settings = OpusSettings {
            complexity,
            bitrate,
            ..OpusSettings::voice(rate)
        };
        let mut encoder = OpusEncoder::new(settings).expect("encoder");
        let mut decoder = OpusDecoder::new(rate).expect("decoder");
        let mut packet = [0u8; 1500];
        let mut out = vec![0i16; rate as usize / 50];
        let name = format!(
            "Opus/{}k/c{complexity}/{}kbps/enc+dec",
            rate / 1000,
            bitrate / 1000
        );
        frames(c, &name, rate, |pcm| {
            let n = encoder.encode(pcm, &mut packet).expect("encodes");
            decoder.decode(&packet[..n], &mut out).expect("decodes");
            black_box(&out);
        });
    }

    for annex_b in [false, true] {
        let mut encoder = G729Encoder::new(annex_b).expect("encoder");
        let mut decoder = G729Decoder::new().expect("decoder");
        let mut payload = [0u8; 22];
        let mut out = [0i16; 160];
        let name = if annex_b {
            "G729A+B/enc+dec"
        } else {
            "G729A/enc+dec"
        };
        frames(c, name, 8000, |pcm| {
            let n = encoder.encode(pcm, &mut payload).expect("encodes");
            if n > 0 {
                decoder.decode(&payload[..n], &mut out).expect("decodes");
            } else {
                decoder.conceal(2, &mut out).expect("conceals");
            }
            black_box(&out);
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
