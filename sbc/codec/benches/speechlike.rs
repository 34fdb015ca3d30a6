//! One second of a speech-like signal for the benches: a 120–240 Hz voiced harmonic
//! series, syllable-rate amplitude modulation and some noise, so codecs work as on voice
//! and not on a pure tone they predict for free.

use std::f64::consts::PI;

/// One second at `rate`.
pub fn speechlike(rate: u32) -> Vec<i16> {
    let fs = f64::from(rate);
    let mut noise = 0x2545_f491_u32;
    (0..rate as usize)
        .map(|n| {
            let t = n as f64 / fs;
            let pitch = 160.0 + 40.0 * (2.0 * PI * 3.0 * t).sin();
            let mut v = 0.0;
            for h in 1..20 {
                let f = pitch * f64::from(h);
                if f < fs / 2.0 {
                    v += (2.0 * PI * f * t).sin() / f64::from(h);
                }
            }
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let hiss = f64::from(noise as i32) / f64::from(i32::MAX);
            let envelope = 0.55 + 0.45 * (2.0 * PI * 4.0 * t).sin();
            (envelope * (5000.0 * v + 300.0 * hiss)) as i16
        })
        .collect()
}
