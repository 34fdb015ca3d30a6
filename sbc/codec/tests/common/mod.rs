//! Tone round-trip analysis shared by the codec tests: a sine goes through a codec, and
//! what comes out is measured against the criteria — frequency within 1 %, level
//! within 1 dB, energy away from the tone at least 25 dB down (Opus: 15 dB).
//!
//! The codec's delay needs no separate compensation: the tone is fitted (least squares,
//! cosine and sine at the measured frequency) to a steady window after the start-up
//! transient, so any delay is absorbed into the fitted phase; everything the fit does
//! not explain — noise, distortion, aliases, harmonics — is the off-tone energy.

#![allow(dead_code)] // each test binary uses a part

use std::f64::consts::PI;

pub mod packets;

/// A sine of `frequency` Hz at `amplitude`, `len` samples at `rate`.
pub fn tone(frequency: f64, amplitude: f64, rate: u32, len: usize) -> Vec<i16> {
    (0..len)
        .map(|n| {
            (amplitude * (2.0 * PI * frequency * n as f64 / f64::from(rate)).sin()).round() as i16
        })
        .collect()
}

/// What came out of a codec, measured.
#[derive(Debug, Clone, Copy)]
pub struct ToneReport {
    /// The strongest frequency, Hz.
    pub frequency: f64,
    /// Fitted amplitude relative to the input's, dB.
    pub level_db: f64,
    /// Energy not explained by the fitted tone, relative to the tone's, dB (negative).
    pub off_tone_db: f64,
}

impl ToneReport {
    /// Asserts the criteria for a tone of `frequency`; `off_tone_limit_db` is −25
    /// (waveform codecs) or −15 (Opus).
    pub fn assert_clean(&self, what: &str, frequency: f64, off_tone_limit_db: f64) {
        let error = (self.frequency - frequency).abs() / frequency;
        assert!(
            error <= 0.01,
            "{what}: frequency {:.2} Hz, wanted {frequency} Hz ± 1 %",
            self.frequency
        );
        assert!(
            self.level_db.abs() <= 1.0,
            "{what}: level {:+.2} dB, wanted ± 1 dB",
            self.level_db
        );
        assert!(
            self.off_tone_db <= off_tone_limit_db,
            "{what}: off-tone energy {:.1} dB, wanted <= {off_tone_limit_db} dB",
            self.off_tone_db
        );
    }
}

/// Measures `output` (at `rate`) against an input tone of `amplitude`: skips the first
/// `skip` samples, analyses the next `len`.
pub fn analyse(output: &[i16], rate: u32, amplitude: f64, skip: usize, len: usize) -> ToneReport {
    assert!(
        output.len() >= skip + len,
        "output too short: {} < {}",
        output.len(),
        skip + len
    );
    let x: Vec<f64> = output[skip..skip + len]
        .iter()
        .map(|&s| f64::from(s))
        .collect();
    let fs = f64::from(rate);
    // Coarse scan over the whole band on the first 2048 samples (Hann window), then a
    // fine one on the whole window around the peak.
    let coarse_len = len.min(2048);
    let coarse = hann_windowed(&x[..coarse_len]);
    let coarse_bin = fs / coarse_len as f64;
    let mut best = (0.0, 0.0);
    let mut f = coarse_bin;
    while f < fs / 2.0 - coarse_bin {
        let p = power(&coarse, f, fs);
        if p > best.1 {
            best = (f, p);
        }
        f += coarse_bin / 2.0;
    }
    let windowed = hann_windowed(&x);
    let mut fine = (best.0, 0.0);
    let mut f = (best.0 - coarse_bin).max(1.0);
    let step = fs / len as f64 / 20.0;
    while f <= best.0 + coarse_bin {
        let p = power(&windowed, f, fs);
        if p > fine.1 {
            fine = (f, p);
        }
        f += step;
    }
    // Golden-section search within one grid step of the best point: the fit below needs
    // the frequency to a few thousandths of a hertz.
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (fine.0 - step, fine.0 + step);
    for _ in 0..40 {
        let a = hi - ratio * (hi - lo);
        let b = lo + ratio * (hi - lo);
        if power(&windowed, a, fs) > power(&windowed, b, fs) {
            hi = b;
        } else {
            lo = a;
        }
    }
    let frequency = (lo + hi) / 2.0;
    // Least-squares fit of c·cos + s·sin + dc at that frequency.
    let w = 2.0 * PI * frequency / fs;
    let basis = |n: usize| [(w * n as f64).cos(), (w * n as f64).sin(), 1.0];
    let mut ata = [[0.0f64; 3]; 3];
    let mut atb = [0.0f64; 3];
    for (n, &v) in x.iter().enumerate() {
        let b = basis(n);
        for i in 0..3 {
            atb[i] += b[i] * v;
            for j in 0..3 {
                ata[i][j] += b[i] * b[j];
            }
        }
    }
    let coef = solve3(ata, atb);
    let mut residual = 0.0;
    let mut fitted = 0.0;
    for (n, &v) in x.iter().enumerate() {
        let b = basis(n);
        let tone = coef[0] * b[0] + coef[1] * b[1];
        fitted += tone * tone;
        let r = v - tone - coef[2] * b[2];
        residual += r * r;
    }
    let fitted_amplitude = (coef[0] * coef[0] + coef[1] * coef[1]).sqrt();
    ToneReport {
        frequency,
        level_db: 20.0 * (fitted_amplitude / amplitude).log10(),
        off_tone_db: 10.0 * (residual.max(1e-9) / fitted.max(1e-9)).log10(),
    }
}

fn hann_windowed(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, v)| v * (0.5 - 0.5 * (2.0 * PI * i as f64 / n).cos()))
        .collect()
}

fn power(x: &[f64], f: f64, fs: f64) -> f64 {
    // A rotating phasor instead of sin/cos per sample.
    let (step_im, step_re) = (2.0 * PI * f / fs).sin_cos();
    let (mut re, mut im) = (1.0f64, 0.0f64);
    let (mut acc_re, mut acc_im) = (0.0, 0.0);
    for &v in x {
        acc_re += v * re;
        acc_im += v * im;
        let next_re = re * step_re - im * step_im;
        im = re * step_im + im * step_re;
        re = next_re;
    }
    acc_re * acc_re + acc_im * acc_im
}

fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> [f64; 3] {
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *x -= factor * p;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let sum: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    x
}

/// Runs `pcm` through `frame_fn` in frames of `frame` samples; collects what it returns.
pub fn in_frames(pcm: &[i16], frame: usize, frame_fn: impl FnMut(&[i16]) -> Vec<i16>) -> Vec<i16> {
    pcm.chunks_exact(frame).flat_map(frame_fn).collect()
}

/// A deterministic byte stream for garbage inputs (xorshift).
pub fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
