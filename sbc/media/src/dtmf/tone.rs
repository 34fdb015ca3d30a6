//! Making DTMF in audio (ITU-T Q.23): the digit's low-group and high-group sines, summed
//! at 8 kHz (or any rate, [`ToneGen::at_rate`]: a transcoded leg's PCM), [`LOW_DBM0`] and [`HIGH_DBM0`] (the high tone 2 dB louder, as telephones
//! send it to make up for the line's loss). Phases run on across packets, so a digit
//! split over 20 ms packets is one clean tone.

use sbc_core::Digit;

use super::detect::DBM0_PEAK;

/// Level of the low-group tone, dBm0.
pub const LOW_DBM0: f64 = -7.0;
/// Level of the high-group tone, dBm0.
pub const HIGH_DBM0: f64 = -5.0;

/// A dual-tone generator for one digit.
#[derive(Debug, Clone, Copy)]
pub struct ToneGen {
    step: [f64; 2],
    phase: [f64; 2],
    amplitude: [f64; 2],
}

impl ToneGen {
    /// The digit's tone at 8 kHz.
    pub fn new(digit: Digit) -> Self {
        Self::at_rate(digit, 8000)
    }

    /// The digit's tone at `rate` Hz (at least 4 kHz: the tones stay below half of it).
    pub fn at_rate(digit: Digit, rate: u32) -> Self {
        let rate = f64::from(rate.max(4000));
        let (low, high) = digit.frequencies();
        let tau = 2.0 * std::f64::consts::PI;
        let peak = f64::from(DBM0_PEAK);
        ToneGen {
            step: [tau * f64::from(low) / rate, tau * f64::from(high) / rate],
            phase: [0.0; 2],
            amplitude: [
                peak * 10f64.powf(LOW_DBM0 / 20.0),
                peak * 10f64.powf(HIGH_DBM0 / 20.0),
            ],
        }
    }

    /// The next `out.len()` samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let tau = 2.0 * std::f64::consts::PI;
        for o in out.iter_mut() {
            let v =
                self.amplitude[0] * self.phase[0].sin() + self.amplitude[1] * self.phase[1].sin();
            // In range: the two amplitudes sum to about 21,600 < 32,767.
            *o = v as i16;
            for i in 0..2 {
                self.phase[i] += self.step[i];
                if self.phase[i] >= tau {
                    self.phase[i] -= tau;
                }
            }
        }
    }
}
