//! RFC 3389 comfort noise on input: a CN payload (static payload type 13 at 8000 Hz, or a
//! dynamic `CN/<rate>`) tells the noise level a sender stopped sending audio at; the
//! receiver plays noise of that level until audio resumes.
//!
//! The first byte is the level in −dBov (0..=127; its top bit must be 0); dBov is relative
//! to the overload point, a full-scale square wave, so for 16-bit samples the noise's RMS
//! is `32767 · 10^(−level/20)`. The bytes after it are the spectral shape (reflection
//! coefficients); they are accepted and not used: the noise made here is white, at the
//! level the sender gave, which is what a receiver that ignores the spectral information
//! plays.
//!
//! The transcoder (feature-gated `transcode` module) plays it through a pause: one output
//! frame per tick of the media engine's clock after a CN payload, until audio resumes.

use crate::CodecError;

const NAME: &str = "comfort noise";

/// Noise at the level of the last CN payload.
#[derive(Debug, Clone)]
pub struct ComfortNoise {
    /// Target RMS, linear.
    rms: f32,
    /// xorshift32 state (never 0).
    state: u32,
}

impl ComfortNoise {
    /// A generator that is silent until its first payload; `seed` varies the noise.
    pub fn new(seed: u32) -> Self {
        Self {
            rms: 0.0,
            state: seed | 1,
        }
    }

    /// Takes one CN payload; returns the level in −dBov.
    pub fn update(&mut self, payload: &[u8]) -> Result<u8, CodecError> {
        let Some(&level) = payload.first() else {
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
        self.rms = 32767.0 * 10f32.powf(-f32::from(level) / 20.0);
        Ok(level)
    }

    /// The current noise level's RMS (16-bit scale).
    pub fn rms(&self) -> f32 {
        self.rms
    }

    /// Fills `out` with noise at the current level.
    pub fn generate(&mut self, out: &mut [i16]) {
        // Uniform in [−1, 1) has RMS 1/√3: scale by √3 to hit the target RMS.
        let scale = self.rms * 3f32.sqrt();
        for sample in out {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 17;
            self.state ^= self.state << 5;
            let uniform = (self.state as f32 / u32::MAX as f32) * 2.0 - 1.0;
            // `as` saturates to the sample range.
            *sample = (uniform * scale) as i16;
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
        // 0 dBov (full scale) saturates rather than wrapping.
        assert_eq!(cn.update(&[0]), Ok(0));
        let mut out = vec![0i16; 1000];
        cn.generate(&mut out);
        assert!(out.iter().any(|&s| s == i16::MAX || s == i16::MIN));
    }
}
