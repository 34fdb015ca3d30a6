//! RFC 3389 spectral shape: a CN payload's reflection coefficients shape the comfort
//! noise, which keeps the payload's level; the SBC's own description of noise
//! (`cn::describe`) gives back the coefficients that shaped it.
//!
//! Spectra are measured with a Goertzel bank (Hann-windowed blocks of 256 samples,
//! averaged over 4 s of noise) at 250 Hz steps and compared, after normalising both to
//! their mean, with `|1/A(e^jω)|²` computed here from the coefficients (independently of
//! the crate's step-up code).

use std::f64::consts::PI;

use sbc_codec::cn::{self, ComfortNoise, MAX_PAYLOAD, NoiseAnalyser};

const RATE: f64 = 8000.0;
const BLOCK: usize = 256;

/// 4 s of noise from `payload`, made 20 ms at a time as the transcoder does.
fn noise(payload: &[u8]) -> Vec<i16> {
    let mut cn = ComfortNoise::new(0x5eed);
    cn.update(payload)
        .unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    let mut out = vec![0i16; 32_000 + 160];
    for frame in out.chunks_mut(160) {
        cn.generate(frame);
    }
    // Past the filter's start.
    out.split_off(160)
}

fn level_dbov(samples: &[i16]) -> f64 {
    let power = samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
    10.0 * (power / (32767.0 * 32767.0)).log10()
}

/// Power at `frequency`, averaged over Hann-windowed blocks (Goertzel).
fn power_at(samples: &[i16], frequency: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * PI * frequency / RATE).cos();
    let mut total = 0.0;
    let mut blocks = 0;
    for block in samples.chunks_exact(BLOCK) {
        let (mut s1, mut s2) = (0.0, 0.0);
        for (n, &x) in block.iter().enumerate() {
            let window = 0.5 - 0.5 * (2.0 * PI * n as f64 / BLOCK as f64).cos();
            let s0 = f64::from(x) * window + coefficient * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        total += s1 * s1 + s2 * s2 - coefficient * s1 * s2;
        blocks += 1;
    }
    total / f64::from(blocks)
}

/// `|1/A(e^jω)|²` for the predictor `a` (`A(z) = 1 + Σ aᵢ z⁻ⁱ`).
fn model_power(a: &[f64], frequency: f64) -> f64 {
    let w = 2.0 * PI * frequency / RATE;
    let (mut re, mut im) = (1.0, 0.0);
    for (i, a) in a.iter().enumerate() {
        let phase = w * (i + 1) as f64;
        re += a * phase.cos();
        im -= a * phase.sin();
    }
    1.0 / (re * re + im * im)
}

const BANK: [f64; 15] = [
    250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0, 2250.0, 2500.0, 2750.0, 3000.0,
    3250.0, 3500.0, 3750.0,
];

/// The measured spectrum against the model's, both in dB relative to their mean; the
/// largest difference.
fn worst_deviation_db(samples: &[i16], a: &[f64]) -> (f64, Vec<(f64, f64, f64)>) {
    let measured: Vec<f64> = BANK.iter().map(|&f| power_at(samples, f)).collect();
    let model: Vec<f64> = BANK.iter().map(|&f| model_power(a, f)).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mm, pm) = (mean(&measured), mean(&model));
    let rows: Vec<(f64, f64, f64)> = BANK
        .iter()
        .zip(measured.iter().zip(&model))
        .map(|(&f, (&m, &p))| (f, 10.0 * (m / mm).log10(), 10.0 * (p / pm).log10()))
        .collect();
    let worst = rows
        .iter()
        .map(|&(_, m, p)| (m - p).abs())
        .fold(0.0, f64::max);
    (worst, rows)
}

fn k(q: u8) -> f64 {
    f64::from(cn::dequantize(q).unwrap_or_else(|e| panic!("{q}: {e}")))
}

#[test]
fn a_payload_without_coefficients_gives_white_noise_at_its_level() {
    let samples = noise(&[40]);
    let (worst, rows) = worst_deviation_db(&samples, &[]);
    assert!(worst <= 2.0, "flat within 2 dB: {rows:?}");
    let level = level_dbov(&samples);
    eprintln!("white: spectrum within {worst:.2} dB of flat, level {level:.2} dBov (CN: -40)");
    assert!((level + 40.0).abs() <= 1.0, "level {level:.2} dBov");
}

#[test]
fn a_first_order_low_pass_shapes_the_noise_and_keeps_the_level() {
    // k₁ = −0.9: neighbouring samples alike, energy at low frequencies (19 dB more at
    // 250 Hz than at 3750 Hz).
    let q1 = cn::quantize(-0.9);
    let samples = noise(&[35, q1]);
    let (worst, rows) = worst_deviation_db(&samples, &[k(q1)]);
    assert!(worst <= 3.0, "follows 1/A within 3 dB: {rows:?}");
    let span = rows[0].1 - rows[rows.len() - 1].1;
    assert!(span > 15.0, "low-pass: {span:.1} dB from 250 to 3750 Hz");
    let level = level_dbov(&samples);
    eprintln!("low-pass: within {worst:.2} dB of 1/A, level {level:.2} dBov (CN: -35)");
    assert!((level + 35.0).abs() <= 1.0, "level {level:.2} dBov");
}

#[test]
fn a_second_order_resonance_at_1_khz_shapes_the_noise_and_keeps_the_level() {
    // Poles at 0.9·e^(±jπ/4): A(z) = 1 − 2·0.9·cos(π/4) z⁻¹ + 0.81 z⁻²;
    // k₂ = a₂, k₁ = a₁/(1 + a₂).
    let (a1, a2) = (-2.0 * 0.9 * (PI / 4.0).cos(), 0.81);
    let (q1, q2) = (
        cn::quantize((a1 / (1.0 + a2)) as f32),
        cn::quantize(a2 as f32),
    );
    let samples = noise(&[30, q1, q2]);
    let (k1, k2) = (k(q1), k(q2));
    let (worst, rows) = worst_deviation_db(&samples, &[k1 * (1.0 + k2), k2]);
    assert!(worst <= 3.0, "follows 1/A within 3 dB: {rows:?}");
    let peak = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|r| r.0);
    assert_eq!(peak, Some(1000.0), "{rows:?}");
    let level = level_dbov(&samples);
    eprintln!("resonance: within {worst:.2} dB of 1/A, level {level:.2} dBov (CN: -30)");
    assert!((level + 30.0).abs() <= 1.0, "level {level:.2} dBov");
}

#[test]
fn quantized_coefficients_round_trip() {
    // RFC 3389 §3.2's linear quantizer: k = (q − 127)/128 over 0..=254.
    assert_eq!(cn::dequantize(0), Ok(-127.0 / 128.0));
    assert_eq!(cn::dequantize(127), Ok(0.0));
    assert_eq!(cn::dequantize(254), Ok(127.0 / 128.0));
    assert!(cn::dequantize(255).is_err(), "+1 is not a stable filter");
    for q in 0..=254u8 {
        let value = cn::dequantize(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(cn::quantize(value), q, "q = {q}");
        assert!(value.abs() < 1.0);
    }
    assert_eq!(cn::quantize(-1.0), 0, "clamped");
    assert_eq!(cn::quantize(1.0), 254, "clamped");
}

#[test]
fn describing_shaped_noise_gives_back_its_level_and_coefficients() {
    let (q1, q2) = (cn::quantize(-0.7), cn::quantize(0.8));
    let samples = noise(&[30, q1, q2]);
    let mut described = [0u8; MAX_PAYLOAD];
    // One 100 ms frame at a time: a rough estimate (the level within 2 dB).
    for frame in samples.chunks_exact(800).take(10) {
        let len = cn::describe(frame, true, &mut described);
        assert_eq!(len, 1 + cn::ANALYSIS_ORDER);
        assert!(described[0].abs_diff(30) <= 2, "level {}", described[0]);
        assert!(
            described[1].abs_diff(q1) <= 16 && described[2].abs_diff(q2) <= 16,
            "k1, k2 {:?} against {q1}, {q2}",
            &described[1..3]
        );
    }
    // The running average over 20 ms frames, as the transcoder feeds it.
    let mut analyser = NoiseAnalyser::default();
    for frame in samples.chunks_exact(160) {
        analyser.add(frame);
    }
    let len = analyser.describe(true, &mut described);
    assert_eq!(len, 1 + cn::ANALYSIS_ORDER);
    assert!(described[0].abs_diff(30) <= 1, "level {}", described[0]);
    assert!(
        described[1].abs_diff(q1) <= 6 && described[2].abs_diff(q2) <= 6,
        "k1, k2 {:?} against {q1}, {q2}",
        &described[1..3]
    );
    for &q in &described[3..len] {
        assert!(q.abs_diff(127) <= 16, "higher orders near 0: {described:?}");
    }
    // Played again, the description gives noise of the same level and shape.
    let replay = noise(&described[..len]);
    let level = level_dbov(&replay);
    assert!((level + 30.0).abs() <= 1.0, "replayed at {level:.2} dBov");
    let peak = |s: &[i16]| {
        BANK.iter()
            .copied()
            .max_by(|&a, &b| power_at(s, a).total_cmp(&power_at(s, b)))
    };
    assert_eq!(peak(&replay), peak(&samples), "the same resonance");
    // Level only, when asked.
    assert_eq!(cn::describe(&samples[..160], false, &mut described), 1);
}
