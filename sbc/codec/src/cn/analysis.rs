//! Noise described as an RFC 3389 payload: the level byte and, when asked, the reflection
//! coefficients of an all-pole model of its spectrum (autocorrelation, Levinson-Durbin,
//! quantized as [`super::lpc`] says).
//!
//! One 20 ms frame of noise is a poor estimate of its level and spectrum (a resonant
//! noise's power wanders by a dB or two from frame to frame), so [`NoiseAnalyser`] keeps
//! an exponential average of the frames' autocorrelations (time constant about five
//! frames), the way a VAD/DTX encoder tracks the background it describes.

use super::lpc::{self, MAX_ORDER};

/// Model order of the SBC's own CN payloads: G.729 Annex B's and G.711 Appendix II's
/// order, enough for the broad shape of background noise at 8 kHz.
pub const ANALYSIS_ORDER: usize = 10;

/// Longest payload [`describe`] writes.
pub const MAX_PAYLOAD: usize = 1 + MAX_ORDER;

/// Weight of each new frame in the running average.
const NEW_FRAME_WEIGHT: f64 = 0.2;

/// The running description of a noise (see the module docs). No allocation.
#[derive(Debug, Clone, Default)]
pub struct NoiseAnalyser {
    /// Autocorrelation per sample, lags 0..=ANALYSIS_ORDER, averaged over frames.
    r: [f64; ANALYSIS_ORDER + 1],
    /// Whether a frame was added since the last reset.
    started: bool,
}

impl NoiseAnalyser {
    /// Forgets the noise described so far (a new pause).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Takes one frame of the noise.
    pub fn add(&mut self, samples: &[i16]) {
        if samples.is_empty() {
            return;
        }
        let weight = if self.started { NEW_FRAME_WEIGHT } else { 1.0 };
        self.started = true;
        for (lag, r) in self.r.iter_mut().enumerate() {
            let sum: f64 = samples
                .get(lag..)
                .unwrap_or_default()
                .iter()
                .zip(samples)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum();
            let per_sample = sum / samples.len() as f64;
            *r = (1.0 - weight) * *r + weight * per_sample;
        }
    }

    /// Writes the CN payload of the noise so far into `out`; returns its length: 1 (the
    /// level only) when `spectrum` is false or the noise is silence, else 1 + the model
    /// order found (at most [`ANALYSIS_ORDER`]). The level is the RMS in −dBov, rounded,
    /// 127 for silence.
    pub fn describe(&self, spectrum: bool, out: &mut [u8; MAX_PAYLOAD]) -> usize {
        let power = self.r[0];
        let level = if power > 0.0 {
            (-10.0 * (power / (32767.0 * 32767.0)).log10())
                .round()
                .clamp(0.0, 127.0)
        } else {
            127.0
        };
        // In 0..=127 after the clamp.
        out[0] = level as u8;
        if !spectrum || power <= 0.0 {
            return 1;
        }
        let mut r = [0f32; ANALYSIS_ORDER + 1];
        for (r, &value) in r.iter_mut().zip(&self.r) {
            *r = (value / power) as f32;
        }
        // A little white noise (−40 dB) keeps the recursion well away from instability on
        // strongly coloured noise (the "white noise correction" of LPC analysers).
        r[0] *= 1.0001;
        let mut k = [0f32; ANALYSIS_ORDER];
        let order = lpc::levinson(&r, &mut k);
        for (q, &k) in out[1..=order].iter_mut().zip(&k[..order]) {
            *q = lpc::quantize(k);
        }
        1 + order
    }
}

/// The CN payload describing `samples` alone (see [`NoiseAnalyser::describe`]).
pub fn describe(samples: &[i16], spectrum: bool, out: &mut [u8; MAX_PAYLOAD]) -> usize {
    let mut analyser = NoiseAnalyser::default();
    analyser.add(samples);
    analyser.describe(spectrum, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_level_only() {
        let mut out = [0u8; MAX_PAYLOAD];
        assert_eq!(describe(&[0; 160], true, &mut out), 1);
        assert_eq!(out[0], 127);
        // A full-scale square wave is 0 dBov.
        let square: Vec<i16> = (0..160)
            .map(|i| if i % 2 == 0 { 32767 } else { -32767 })
            .collect();
        assert_eq!(describe(&square, false, &mut out), 1);
        assert_eq!(out[0], 0);
    }

    #[test]
    fn the_average_follows_a_level_change() {
        let mut analyser = NoiseAnalyser::default();
        let mut out = [0u8; MAX_PAYLOAD];
        let quiet: Vec<i16> = (0..160)
            .map(|i| if i % 2 == 0 { 100 } else { -100 })
            .collect();
        let loud: Vec<i16> = quiet.iter().map(|s| s * 10).collect();
        analyser.add(&quiet);
        analyser.describe(false, &mut out);
        let before = out[0];
        for _ in 0..30 {
            analyser.add(&loud);
        }
        analyser.describe(false, &mut out);
        assert_eq!(before - out[0], 20, "20 dB louder");
        analyser.reset();
        assert_eq!(analyser.describe(false, &mut out), 1);
        assert_eq!(out[0], 127);
    }
}
