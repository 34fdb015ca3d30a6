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

/// The transmit filter's two outputs as plain dot products over the oldest-first window:
/// the coefficients are symmetric (h(j) = h(23−j)), so `A` is `Σ h(j)·x[j]` over odd `j`
/// and `B` the same over even `j`; the lower band `A + B` uses every h(j), the higher band
/// `A − B` every h(j) with even `j` negated.
const TX_LOW: [i32; 24] = QMF;
const TX_HIGH: [i32; 24] = {
    let mut g = QMF;
    let mut j = 0;
    while j < 24 {
        g[j] = -g[j];
        j += 2;
    }
    g
};
/// The receive filter's coefficients in window order (oldest first): `Σ h(2i)·xd(n−i)` is
/// `Σ h(2k+1)·xd[k]` and `Σ h(2i+1)·xs(n−i)` is `Σ h(2k)·xs[k]`, again by symmetry.
const RX_FIRST: [i32; 12] = every_other(1);
const RX_SECOND: [i32; 12] = every_other(0);

const fn every_other(start: usize) -> [i32; 12] {
    let mut out = [0; 12];
    let mut k = 0;
    while k < 12 {
        out[k] = QMF[2 * k + start];
        k += 1;
    }
    out
}

fn dot<const N: usize>(h: &[i32; N], x: &[i32]) -> i32 {
    h.iter().zip(x).map(|(h, x)| h * x).sum()
}

/// Transmit QMF: the last 24 input samples in a ring written twice, so that
/// `buf[pos..pos + 24]` is always the window, oldest first, and nothing is shifted.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    buf: [i32; 48],
    pos: usize,
}

impl Analysis {
    pub(crate) fn new() -> Self {
        Self {
            buf: [0; 48],
            pos: 0,
        }
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
        let low = (dot(&TX_LOW, x) >> 15).clamp(-16384, 16383);
        let high = (dot(&TX_HIGH, x) >> 15).clamp(-16384, 16383);
        (low, high)
    }
}

/// Receive QMF: the last 12 difference and sum signals, each in a ring written twice
/// (`[pos..pos + 12]` is the window, oldest first).
#[derive(Debug, Clone)]
pub(crate) struct Synthesis {
    xd: [i32; 24],
    xs: [i32; 24],
    pos: usize,
}

impl Synthesis {
    pub(crate) fn new() -> Self {
        Self {
            xd: [0; 24],
            xs: [0; 24],
            pos: 0,
        }
    }

    /// Takes one (lower, higher) sub-band pair, returns two output samples.
    #[inline(always)]
    pub(crate) fn merge(&mut self, low: i32, high: i32) -> (i16, i16) {
        let (d, s) = (low - high, low + high);
        self.xd[self.pos] = d;
        self.xd[self.pos + 12] = d;
        self.xs[self.pos] = s;
        self.xs[self.pos + 12] = s;
        self.pos = (self.pos + 1) % 12;
        let xd = &self.xd[self.pos..self.pos + 12];
        let xs = &self.xs[self.pos..self.pos + 12];
        (
            to_sample(dot(&RX_FIRST, xd) >> 10),
            to_sample(dot(&RX_SECOND, xs) >> 10),
        )
    }
}

fn to_sample(x: i32) -> i16 {
    // In range after the clamp.
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}
