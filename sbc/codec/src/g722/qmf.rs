//! The quadrature mirror filters of G.722 (§3.2 transmit, §4.4 receive): 24 taps that split
//! 16 kHz audio into two 8 kHz sub-bands (0–4 kHz, 4–8 kHz) and merge them back with the
//! aliasing of each band cancelled by the other's. Together they delay the signal by 23
//! samples (1.4375 ms).
//!
//! Transmit, for the input pair (x(2n), x(2n+1)): `A = Σ h(2i)·x(2n+1−2i)`,
//! `B = Σ h(2i+1)·x(2n−2i)`, lower band `(A+B) >> 15`, higher band `(A−B) >> 15` (a
//! quarter of the input's scale: 16-bit samples become the 14-bit range the ADPCM works
//! on, with headroom to 15 bits). Receive, for one reconstructed pair (rl, rh): `xd = rl − rh`
//! and `xs = rl + rh` enter two 12-sample delay lines and give, in this order,
//! `Σ h(2i)·xd(n−i)` and `Σ h(2i+1)·xs(n−i)`, shifted back to 16-bit scale.

use super::tables::QMF;

/// Transmit QMF: the last 24 input samples in a ring written twice, so that
/// `buf[pos..pos + 24]` is always the window, oldest first, and nothing is shifted.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    buf: [i32; 48],
    pos: usize,
}

impl Analysis {
    pub(crate) fn new() -> Self {
        Self { buf: [0; 48], pos: 0 }
    }

    /// Takes two input samples, returns the (lower, higher) sub-band samples.
    pub(crate) fn split(&mut self, first: i16, second: i16) -> (i32, i32) {
        let (first, second) = (i32::from(first), i32::from(second));
        self.buf[self.pos] = first;
        self.buf[self.pos + 1] = second;
        self.buf[self.pos + 24] = first;
        self.buf[self.pos + 25] = second;
        self.pos = (self.pos + 2) % 24;
        let x = &self.buf[self.pos..self.pos + 24];
        let mut a = 0i32;
        let mut b = 0i32;
        for i in 0..12 {
            a += QMF[2 * i] * x[23 - 2 * i];
            b += QMF[2 * i + 1] * x[22 - 2 * i];
        }
        let low = ((a + b) >> 15).clamp(-16384, 16383);
        let high = ((a - b) >> 15).clamp(-16384, 16383);
        (low, high)
    }
}

/// Receive QMF: the last 12 difference and sum signals, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct Synthesis {
    xd: [i32; 12],
    xs: [i32; 12],
}

impl Synthesis {
    pub(crate) fn new() -> Self {
        Self {
            xd: [0; 12],
            xs: [0; 12],
        }
    }

    /// Takes one (lower, higher) sub-band pair, returns two output samples.
    pub(crate) fn merge(&mut self, low: i32, high: i32) -> (i16, i16) {
        self.xd.copy_within(1.., 0);
        self.xs.copy_within(1.., 0);
        self.xd[11] = low - high;
        self.xs[11] = low + high;
        let mut first = 0i32;
        let mut second = 0i32;
        for i in 0..12 {
            first += QMF[2 * i] * self.xd[11 - i];
            second += QMF[2 * i + 1] * self.xs[11 - i];
        }
        (to_sample(first >> 10), to_sample(second >> 10))
    }
}

fn to_sample(x: i32) -> i16 {
    // In range after the clamp.
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}
