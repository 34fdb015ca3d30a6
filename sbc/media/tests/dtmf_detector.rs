//! The Goertzel detector against ITU-T Q.24's limits, with tones synthesised here (not by
//! the engine's generator), and against a speech corpus: zero false digits over
//! `data/speech-corpus.alaw` (223 s of synthetic speech in four languages and fourteen
//! voices, A-law; how it was made: `data/make-speech-corpus`).
#![allow(clippy::unwrap_used)]

use sbc_codec::Law;
use sbc_core::Digit;
use sbc_media::dtmf::detect::{DBM0_PEAK, Detection, ToneDetector};

const RATE: f64 = 8000.0;

/// `ms` of the dual tone (`low`, `high` Hz at `low_db`, `high_db` dBm0), through A-law.
fn tone(low: f64, high: f64, low_db: f64, high_db: f64, ms: usize) -> Vec<i16> {
    let amp = |db: f64| f64::from(DBM0_PEAK) * 10f64.powf(db / 20.0);
    let (a1, a2) = (amp(low_db), amp(high_db));
    (0..ms * 8)
        .map(|n| {
            let t = n as f64 / RATE;
            let v = a1 * (2.0 * std::f64::consts::PI * low * t).sin()
                + a2 * (2.0 * std::f64::consts::PI * high * t).sin();
            Law::Alaw.decode(Law::Alaw.encode(v as i16))
        })
        .collect()
}

fn silence(ms: usize) -> Vec<i16> {
    vec![0; ms * 8]
}

/// What the detector makes of `samples` fed in 160-sample packets.
fn detect(samples: &[i16]) -> Vec<Detection> {
    let mut d = ToneDetector::new();
    let mut out = Vec::new();
    for chunk in samples.chunks(160) {
        d.feed(chunk, |x| out.push(x));
    }
    d.feed(&silence(100), |x| out.push(x));
    out
}

/// The digits heard, with their durations in ms.
fn heard(samples: &[i16]) -> Vec<(char, u64)> {
    detect(samples)
        .into_iter()
        .filter_map(|d| match d {
            Detection::Ended { digit, samples } => Some((digit.reveal(), samples / 8)),
            Detection::Started { .. } => None,
        })
        .collect()
}

fn freqs(c: char) -> (f64, f64) {
    let (l, h) = Digit::from_char(c).unwrap().frequencies();
    (f64::from(l), f64::from(h))
}

#[test]
fn every_digit_of_40_ms_is_heard_whatever_its_alignment() {
    for c in "0123456789*#ABCD".chars() {
        let (l, h) = freqs(c);
        for offset in [0, 13, 37, 51, 77, 101] {
            let mut s = silence(30);
            s.extend(std::iter::repeat_n(0, offset));
            s.extend(tone(l, h, -7.0, -5.0, 40));
            s.extend(silence(60));
            let got = heard(&s);
            assert_eq!(got.len(), 1, "{c} at +{offset}: {got:?}");
            assert_eq!(got[0].0, c);
            assert!((25..=55).contains(&got[0].1), "{c}: {} ms", got[0].1);
        }
    }
}

#[test]
fn durations_are_measured_and_digits_apart_by_the_minimum_pause_stay_apart() {
    let (l, h) = freqs('5');
    let mut s = silence(20);
    s.extend(tone(l, h, -7.0, -5.0, 200));
    s.extend(silence(40));
    s.extend(tone(l, h, -7.0, -5.0, 100));
    let got = heard(&s);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!((185..=215).contains(&got[0].1), "{got:?}");
    assert!((85..=115).contains(&got[1].1), "{got:?}");
}

#[test]
fn too_short_too_weak_or_too_twisted_is_not_a_digit() {
    let (l, h) = freqs('1');
    for (what, s) in [
        ("20 ms", tone(l, h, -7.0, -5.0, 20)),
        ("-36 dBm0", tone(l, h, -36.0, -36.0, 100)),
        ("high tone 10 dB under", tone(l, h, -5.0, -15.0, 100)),
        ("high tone 6 dB over", tone(l, h, -12.0, -6.0, 100)),
        ("a single tone", tone(l, l, -7.0, -100.0, 100)),
        ("5% off", tone(l * 1.05, h * 1.05, -7.0, -5.0, 100)),
    ] {
        assert_eq!(heard(&s), [], "{what}");
    }
    for (what, s) in [
        ("-25 dBm0", tone(l, h, -25.0, -25.0, 100)),
        ("high tone 6 dB under", tone(l, h, -5.0, -11.0, 100)),
        ("high tone 3 dB over", tone(l, h, -9.0, -6.0, 100)),
        ("1.5% off", tone(l * 1.015, h * 0.985, -7.0, -5.0, 100)),
    ] {
        assert_eq!(heard(&s).len(), 1, "{what}");
    }
}

#[test]
fn no_digit_in_the_speech_corpus() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/speech-corpus.alaw");
    let codes = std::fs::read(path).unwrap();
    assert!(
        codes.len() >= 200 * 8000,
        "the corpus is {} bytes",
        codes.len()
    );
    let samples: Vec<i16> = codes.iter().map(|&c| Law::Alaw.decode(c)).collect();
    let loud = samples.iter().filter(|s| s.unsigned_abs() > 1000).count();
    assert!(loud > samples.len() / 10, "speech, not silence: {loud}");
    assert_eq!(
        heard(&samples),
        [],
        "false digits in {} s of speech",
        codes.len() / 8000
    );
    // The same speech with digits in its pauses: each is heard (the corpus does not hide
    // them either).
    let mut mixed = samples[..8000 * 20].to_vec();
    let (l, h) = freqs('7');
    for at in [8000 * 3, 8000 * 9, 8000 * 15] {
        for (i, t) in tone(l, h, -7.0, -5.0, 80).into_iter().enumerate() {
            mixed[at + i] = mixed[at + i] / 8 + t;
        }
    }
    let got = heard(&mixed);
    assert_eq!(
        got.iter().map(|g| g.0).collect::<String>(),
        "777",
        "{got:?}"
    );
}

/// `samples` at 8 kHz brought to 16 kHz by the codec crate's anti-aliased upsampler (what
/// a G.722 leg's decoded audio is like).
fn at_16khz(samples: &[i16]) -> Vec<i16> {
    let mut up = sbc_codec::resample::Upsampler::new();
    let mut out = Vec::with_capacity(samples.len() * 2);
    let mut buf = vec![0i16; 2 * 160];
    for chunk in samples.chunks(160) {
        let n = up.process(chunk, &mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// The digits a 16 kHz detector hears in `samples` (at 16 kHz), with their durations.
fn heard_16khz(samples: &[i16]) -> Vec<(char, u32)> {
    let mut d = ToneDetector::at_rate(16_000).unwrap();
    assert_eq!(d.rate(), 16_000);
    let mut out = Vec::new();
    let mut ms = Vec::new();
    for chunk in samples
        .chunks(320)
        .chain(std::iter::once(&[0i16; 3200][..]))
    {
        d.feed(chunk, |x| out.push(x));
    }
    for x in out {
        if let Detection::Ended { digit, samples } = x {
            ms.push((digit.reveal(), d.ms(samples)));
        }
    }
    ms
}

#[test]
fn at_16_khz_the_same_limits_hold_and_the_corpus_gives_no_digit() {
    assert!(ToneDetector::at_rate(11_025).is_none());
    assert!(ToneDetector::at_rate(56_000).is_none());
    // Every digit of 40 ms, whatever its alignment; a 20 ms one is not a digit.
    for c in "0123456789*#ABCD".chars() {
        let (l, h) = freqs(c);
        for offset in [0, 13, 51, 101] {
            let mut s = silence(30);
            s.extend(std::iter::repeat_n(0, offset));
            s.extend(tone(l, h, -7.0, -5.0, 40));
            s.extend(silence(60));
            let got = heard_16khz(&at_16khz(&s));
            assert_eq!(got.len(), 1, "{c} at +{offset}: {got:?}");
            assert_eq!(got[0].0, c);
            assert!((25..=55).contains(&got[0].1), "{c}: {} ms", got[0].1);
        }
        let mut s = silence(30);
        s.extend(tone(l, h, -7.0, -5.0, 20));
        s.extend(silence(60));
        assert_eq!(heard_16khz(&at_16khz(&s)), [], "{c} for 20 ms");
    }
    // Too much twist is refused at 16 kHz too.
    let (l, h) = freqs('5');
    let mut s = silence(20);
    s.extend(tone(l, h, -5.0, -15.0, 100));
    s.extend(silence(40));
    assert_eq!(heard_16khz(&at_16khz(&s)), [], "10 dB twist");

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/speech-corpus.alaw");
    let codes = std::fs::read(path).unwrap();
    let samples: Vec<i16> = codes.iter().map(|&c| Law::Alaw.decode(c)).collect();
    assert_eq!(
        heard_16khz(&at_16khz(&samples)),
        [],
        "false digits in {} s of speech at 16 kHz",
        codes.len() / 8000
    );
}
