//! Sampling rate conversion by two, 8 ↔ 16 kHz (G.711 ↔ G.722), with a halfband
//! polyphase FIR as the anti-alias (decimating) and anti-image (interpolating) filter.
//!
//! The filter is a windowed sinc of `2·L+1 = 95` taps cut at a quarter of the 16 kHz rate
//! (4 kHz), Kaiser window β = 7.86 (about 80 dB stopband): passband flat to about
//! 3.5 kHz, stopband from about 4.5 kHz. A halfband filter's even taps are zero but the
//! centre one (½), so each phase is cheap: downsampling computes one output per input
//! pair from the 48 odd taps on the odd samples plus ½ of one even sample;
//! upsampling gives per input sample one output from the 48 odd taps (×2 for the
//! zeros stuffed in between) and one that is the input delayed. Both delay the audio by
//! 47 samples at 16 kHz (2.94 ms). No crate: the design is 40 lines of `f64` and costs
//! about 50 multiply-adds per output sample; designing it at construction needs no
//! table and no allocation.
//!
//! The downsampler (G.722 → G.711/G.729 on every such transcoded call) filters in
//! integers: the taps rounded to Q15, the 16-bit samples multiplied and summed in 32
//! bits, which the compiler turns into SIMD multiply-add-pairs (eight products per
//! instruction); with the rounded taps the stopband stays at the design's −80 dB (the
//! anti-alias tests measure it: 5–7 kHz come out at −80 dB or below). The upsampler, which no transcoded call uses today
//! (8 kHz audio goes into G.722's narrow encoder), filters in `f32`.

use crate::CodecError;

/// Half the filter length beyond the centre: taps run from −L to L.
const L: usize = 47;
/// Non-zero taps beside the centre (the odd ones): the length of one polyphase branch
/// (48, a multiple of the 8 lanes [`dot`] adds in).
const TAPS: usize = L + 1;
/// The centre tap's delay in input pairs (decimator) or input samples (interpolator).
const CENTRE: usize = (L - 1) / 2;
/// Kaiser window shape for about 80 dB stopband attenuation (β = 0.1102·(A − 8.7)).
const BETA: f64 = 7.857;

/// The odd taps `h[2i − L]`, i = 0..TAPS, normalised so they sum to ½ (unit gain at DC).
fn odd_taps() -> [f32; TAPS] {
    let mut taps = [0f64; TAPS];
    let i0_beta = bessel_i0(BETA);
    for (i, tap) in taps.iter_mut().enumerate() {
        let n = (2 * i) as f64 - L as f64; // odd, −L..=L
        let sinc = (std::f64::consts::FRAC_PI_2 * n).sin() / (std::f64::consts::PI * n);
        let ratio = n / L as f64;
        let window = bessel_i0(BETA * (1.0 - ratio * ratio).max(0.0).sqrt()) / i0_beta;
        *tap = sinc * window;
    }
    let sum: f64 = taps.iter().sum();
    let mut out = [0f32; TAPS];
    for (o, t) in out.iter_mut().zip(taps) {
        *o = (t * 0.5 / sum) as f32;
    }
    out
}

/// Modified Bessel function of the first kind, order 0 (power series; converges fast for
/// the arguments a Kaiser window uses).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

/// A delay line of `N` samples read as one contiguous slice, oldest first (every sample is
/// written twice, so the window never wraps).
#[derive(Debug, Clone)]
struct DelayLine<T, const N: usize, const TWICE: usize> {
    buf: [T; TWICE],
    pos: usize,
}

impl<T: Copy + Default, const N: usize, const TWICE: usize> DelayLine<T, N, TWICE> {
    fn new() -> Self {
        Self {
            buf: [T::default(); TWICE],
            pos: 0,
        }
    }

    fn push(&mut self, x: T) {
        self.buf[self.pos] = x;
        self.buf[self.pos + N] = x;
        self.pos = if self.pos + 1 == N { 0 } else { self.pos + 1 };
    }

    /// The last `N` samples, oldest first.
    fn window(&self) -> &[T] {
        &self.buf[self.pos..self.pos + N]
    }

    fn oldest(&self) -> T {
        self.buf[self.pos]
    }
}

/// The taps reversed, so that a dot product with an oldest-first window applies tap 0 to
/// the newest sample.
fn reversed(taps: [f32; TAPS]) -> [f32; TAPS] {
    let mut out = taps;
    out.reverse();
    out
}

/// A dot product in eight independent lanes: a single running sum would make every
/// addition wait for the one before (floating point is not reassociated by the compiler),
/// eight let it use SIMD and keep the adders busy. `TAPS` is a multiple of 8.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum()
}

/// The odd taps in Q15 (rounded), reversed for an oldest-first window: the downsampler's.
/// Their magnitudes plus the centre tap's ½ sum to under 2^16
/// (`the_integer_taps_cannot_overflow`), so a window of 16-bit samples sums within 32 bits.
fn q15_taps() -> [i16; TAPS] {
    reversed(odd_taps()).map(|t| (t * 32768.0).round() as i16)
}

/// `Σ a[i]·b[i]` of 16-bit taps and samples in 32 bits, written so that it vectorises to
/// multiply-add-pairs; the caller keeps the sum within range.
fn dot_i16(a: &[i16; TAPS], b: &[i16]) -> i32 {
    let b = &b[..TAPS];
    let mut sum = 0i32;
    for i in 0..TAPS {
        sum += i32::from(a[i]) * i32::from(b[i]);
    }
    sum
}

/// Rounds half away from zero to a sample. Adding ±½ and truncating (`as` saturates a
/// float to the integer range) stays inline where `f32::round` calls libm.
fn to_sample(x: f32) -> i16 {
    (x + 0.5f32.copysign(x)) as i16
}

/// 16 kHz → 8 kHz.
#[derive(Debug, Clone)]
pub struct Downsampler {
    taps: [i16; TAPS],
    odd: DelayLine<i16, TAPS, { 2 * TAPS }>,
    even: DelayLine<i16, { CENTRE + 1 }, { 2 * (CENTRE + 1) }>,
}

impl Default for Downsampler {
    fn default() -> Self {
        Self::new()
    }
}

impl Downsampler {
    /// A downsampler with silence in its history.
    pub fn new() -> Self {
        Self {
            taps: q15_taps(),
            odd: DelayLine::new(),
            even: DelayLine::new(),
        }
    }

    /// Converts `input` (16 kHz, an even number of samples) into `out` (8 kHz, half as
    /// many); returns the number of samples written.
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) -> Result<usize, CodecError> {
        if input.len() % 2 != 0 {
            return Err(CodecError::FrameSize {
                codec: "resampler",
                len: input.len(),
            });
        }
        let needed = input.len() / 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: "resampler",
                needed,
                capacity: out.len(),
            });
        }
        for (pair, o) in input.chunks_exact(2).zip(out.iter_mut()) {
            self.even.push(pair[0]);
            self.odd.push(pair[1]);
            // Q15: the odd taps' products plus ½ (2^14) of the centre sample, rounded.
            let y = dot_i16(&self.taps, self.odd.window())
                + (i32::from(self.even.oldest()) << 14)
                + (1 << 14);
            // In range after the clamp.
            *o = (y >> 15).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
        Ok(needed)
    }
}

/// 8 kHz → 16 kHz.
#[derive(Debug, Clone)]
pub struct Upsampler {
    taps: [f32; TAPS],
    line: DelayLine<f32, TAPS, { 2 * TAPS }>,
}

impl Default for Upsampler {
    fn default() -> Self {
        Self::new()
    }
}

impl Upsampler {
    /// An upsampler with silence in its history.
    pub fn new() -> Self {
        let mut taps = reversed(odd_taps());
        for t in &mut taps {
            *t *= 2.0; // the stuffed zeros halve the energy: gain 2 restores the level
        }
        Self {
            taps,
            line: DelayLine::new(),
        }
    }

    /// Converts `input` (8 kHz) into `out` (16 kHz, twice as many); returns the number of
    /// samples written.
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) -> Result<usize, CodecError> {
        let needed = input.len() * 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: "resampler",
                needed,
                capacity: out.len(),
            });
        }
        for (&x, pair) in input.iter().zip(out.chunks_exact_mut(2)) {
            self.line.push(f32::from(x));
            let window = self.line.window();
            pair[0] = to_sample(dot(&self.taps, window));
            // The centre tap: the input CENTRE samples ago (window is oldest first).
            pair[1] = to_sample(window[TAPS - 1 - CENTRE]);
        }
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integer_taps_cannot_overflow() {
        let taps = q15_taps();
        let magnitudes: i64 = taps.iter().map(|&t| i64::from(t).abs()).sum();
        // Worst case: every sample at −32768 against the taps' signs, the centre's ½ and
        // the rounding.
        let worst = (magnitudes + (1 << 14)) * 32768 + (1 << 14);
        assert!(worst <= i64::from(i32::MAX), "{magnitudes}: {worst}");
        let sum: i32 = taps.iter().map(|&t| i32::from(t)).sum();
        assert!(
            (sum - 16384).abs() <= 24,
            "odd taps sum to {sum}, not ½ in Q15"
        );
    }
}
