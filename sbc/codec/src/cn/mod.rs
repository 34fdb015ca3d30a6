//! RFC 3389 comfort noise: a CN payload (static payload type 13 at 8000 Hz, or a dynamic
//! `CN/<rate>`) tells the noise a sender stopped sending audio at; the receiver plays
//! noise like it until audio resumes. The SBC reads such payloads ([`ComfortNoise`]) and
//! writes its own ([`describe`]).
//!
//! ```text
//!   byte    0      1    2   …   M
//!        +-----+-----+-----+---+-----+
//!        |level|  N1 |  N2 | … |  NM |
//!        +-----+-----+-----+---+-----+
//! ```
//!
//! The first byte is the level in −dBov (0..=127; its top bit must be 0); dBov is relative
//! to the overload point, a full-scale square wave, so for 16-bit samples the noise's RMS
//! is `32767 · 10^(−level/20)`. The bytes after it, if any, are the spectral shape: the
//! reflection coefficients of an all-pole model of the noise, one octet each, the model
//! order being the payload's length less one ([`lpc`] has the quantization and the
//! conventions).
//!
//! **Playing** ([`ComfortNoise::generate`]): white noise through the synthesis filter
//! `1/A(z)` those coefficients give (step-up recursion, every |k| < 1 so it is stable),
//! its excitation scaled by `Π(1 − kᵢ²)` so that the output's level is still the payload's
//! whatever the shape. A payload without coefficients gives white noise. Orders above
//! [`MAX_ORDER`] are cut there (RFC 3389 §3 lets a decoder do so). No allocation.
//!
//! **Describing** ([`describe`]): the level of a frame of noise and, optionally, its
//! reflection coefficients by Levinson-Durbin on its autocorrelation, quantized as the
//! payload carries them — what the SBC sends as its own CN packets.
//!
//! The transcoder (feature-gated `transcode` module) plays it through a pause: one output
//! frame per tick of the media engine's clock after a CN payload, until audio resumes.

mod analysis;
pub mod lpc;

pub use analysis::{ANALYSIS_ORDER, MAX_PAYLOAD, NoiseAnalyser, describe};
pub use lpc::{MAX_ORDER, dequantize, quantize};

use crate::CodecError;

const NAME: &str = "comfort noise";

/// Noise like the last CN payload said: its level and spectral shape.
#[derive(Debug, Clone)]
pub struct ComfortNoise {
    /// Target RMS of the output, linear.
    rms: f32,
    /// RMS of the white excitation that gives `rms` through the filter.
    excitation: f32,
    /// The synthesis filter's predictor (`a[i]` is `aᵢ₊₁`), `order` of them used.
    a: [f32; MAX_ORDER],
    order: usize,
    /// The filter's last outputs, newest first.
    history: [f32; MAX_ORDER],
    /// The last payload as received (level and the coefficients kept).
    payload: [u8; 1 + MAX_ORDER],
    payload_len: usize,
    /// xorshift32 state (never 0).
    state: u32,
}

impl ComfortNoise {
    /// A generator that is silent until its first payload; `seed` varies the noise.
    pub fn new(seed: u32) -> Self {
        Self {
            rms: 0.0,
            excitation: 0.0,
            a: [0.0; MAX_ORDER],
            order: 0,
            history: [0.0; MAX_ORDER],
            payload: [0; 1 + MAX_ORDER],
            payload_len: 0,
            state: seed | 1,
        }
    }

    /// Takes one CN payload; returns the level in −dBov. A bad payload (empty, level
    /// above 127, a coefficient of +1) is an error and changes nothing.
    pub fn update(&mut self, payload: &[u8]) -> Result<u8, CodecError> {
        let Some((&level, coefficients)) = payload.split_first() else {
            return Err(CodecError::PayloadLength {
                codec: NAME,
                len: 0,
            });
        };
        if level & 0x80 != 0 {
            return Err(CodecError::Corrupt {
                codec: NAME,
                reason: "noise level above 127 -dBov",
            });
        }
        let coefficients = &coefficients[..coefficients.len().min(MAX_ORDER)];
        let mut k = [0f32; MAX_ORDER];
        for (k, &q) in k.iter_mut().zip(coefficients) {
            *k = dequantize(q)?;
        }
        let order = coefficients.len();
        lpc::step_up(&k[..order], &mut self.a[..order]);
        self.order = order;
        self.rms = 32767.0 * 10f32.powf(-f32::from(level) / 20.0);
        self.excitation = self.rms / lpc::synthesis_gain(&k[..order]).sqrt();
        self.payload[0] = level;
        self.payload[1..=order].copy_from_slice(coefficients);
        self.payload_len = 1 + order;
        Ok(level)
    }

    /// The current noise level's RMS (16-bit scale).
    pub fn rms(&self) -> f32 {
        self.rms
    }

    /// The last payload taken (level and the coefficients used), empty before the first.
    pub fn payload(&self) -> &[u8] {
        &self.payload[..self.payload_len]
    }

    /// Fills `out` with noise of the current level and shape.
    pub fn generate(&mut self, out: &mut [i16]) {
        // Uniform in [−1, 1) has RMS 1/√3: scale by √3 to hit the excitation's RMS.
        let scale = self.excitation * 3f32.sqrt();
        let order = self.order;
        for sample in out {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 17;
            self.state ^= self.state << 5;
            let uniform = (self.state as f32 / u32::MAX as f32) * 2.0 - 1.0;
            let mut y = uniform * scale;
            for (a, past) in self.a[..order].iter().zip(&self.history[..order]) {
                y -= a * past;
            }
            if order > 0 {
                self.history.copy_within(..order - 1, 1);
                self.history[0] = y;
            }
            // `as` saturates to the sample range.
            *sample = y as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms_db(samples: &[i16]) -> f32 {
        let power: f64 =
            samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
        (10.0 * (power.sqrt() / 32767.0).log10() * 2.0) as f32
    }

    #[test]
    fn noise_has_the_level_the_payload_says() {
        let mut cn = ComfortNoise::new(1);
        let mut out = vec![0i16; 8000];
        cn.generate(&mut out);
        assert!(
            out.iter().all(|&s| s == 0),
            "silent before the first payload"
        );
        for level in [20u8, 40, 60, 70] {
            // A level and two reflection coefficients, as a SID carries them.
            assert_eq!(cn.update(&[level, 0x80, 0x7f]), Ok(level));
            assert_eq!(cn.payload(), &[level, 0x80, 0x7f]);
            cn.generate(&mut out);
            let measured = rms_db(&out);
            assert!(
                (measured + f32::from(level)).abs() <= 1.0,
                "level {level}: measured {measured:.2} dBov"
            );
        }
    }

    #[test]
    fn bad_payloads_are_errors() {
        let mut cn = ComfortNoise::new(1);
        assert!(matches!(
            cn.update(&[]),
            Err(CodecError::PayloadLength { len: 0, .. })
        ));
        assert!(matches!(
            cn.update(&[0x80]),
            Err(CodecError::Corrupt { .. })
        ));
        assert!(matches!(
            cn.update(&[40, 100, 255]),
            Err(CodecError::Corrupt { .. })
        ));
        assert!(cn.payload().is_empty(), "a refused payload changes nothing");
        // 0 dBov (full scale) saturates rather than wrapping.
        assert_eq!(cn.update(&[0]), Ok(0));
        let mut out = vec![0i16; 1000];
        cn.generate(&mut out);
        assert!(out.iter().any(|&s| s == i16::MAX || s == i16::MIN));
    }

    #[test]
    fn orders_above_the_maximum_are_cut() {
        let mut cn = ComfortNoise::new(3);
        let mut payload = vec![50u8];
        payload.extend(std::iter::repeat_n(127u8, 20));
        assert_eq!(cn.update(&payload), Ok(50));
        assert_eq!(cn.payload().len(), 1 + MAX_ORDER);
    }
}
