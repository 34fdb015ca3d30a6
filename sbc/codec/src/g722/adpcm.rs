//! The two sub-band ADPCM coders of G.722 (§3.3–§3.6 for the encoder, §4 for the decoder):
//! a lower band quantized to 6 bits (adapting on its top 4) and a higher band to 2 bits,
//! each with a logarithmic scale factor and the same adaptive predictor (BLOCK 4: two poles
//! on the reconstructed signal, six zeros on the quantized difference).
//!
//! Integer arithmetic as the standard writes it: 16-bit saturation after each step, shifts
//! by 15 for the Q15 multiplications. Encoder and decoder run the same adaptation on the
//! same codes, so they stay in step without side information.

use super::tables::{IHN, IHP, ILB, ILN, ILP, Q2, Q6, QM2, QM4, QM6, RH2, RL42, WH, WL};

/// Saturates to the 16-bit range, as the standard does after each addition.
fn sat(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// Lanes of the zero section: its six coefficients and differences padded to eight, so
/// that the per-tap loops below are whole SIMD vectors (the two extra lanes stay 0).
const ZERO_LANES: usize = 8;
/// The UPZERO step per lane: 128 on the six real taps, 0 on the padding.
const ZERO_STEP: [i32; ZERO_LANES] = [128, 128, 128, 128, 128, 128, 0, 0];

/// The state one sub-band's predictor and scale factor adaptation keeps.
#[derive(Debug, Clone)]
struct Band {
    /// Signal estimate `s = sp + sz` (PREDIC).
    s: i32,
    /// Zero section output (FILTEZ).
    sz: i32,
    /// Reconstructed signal doubled and saturated, `sat(2·r(n-1))`, `sat(2·r(n-2))`: all
    /// FILTEP uses of it.
    rr: [i32; 2],
    /// Pole coefficients a1, a2.
    a: [i32; 2],
    /// Partially reconstructed signal p(n-1), p(n-2).
    p: [i32; 2],
    /// Quantized differences doubled and saturated, `sat(2·d(n-1))..sat(2·d(n-6))`: what
    /// FILTEZ multiplies by, with the same sign (and zero) as d that UPZERO looks at.
    /// Lanes 6 and 7 are padding, always 0.
    dd: [i32; ZERO_LANES],
    /// Zero coefficients b1..b6; lanes 6 and 7 are padding, always 0.
    b: [i32; ZERO_LANES],
    /// Log scale factor (NBL / NBH).
    nb: i32,
    /// Linear scale factor (DETL / DETH).
    det: i32,
}

/// The sign of a 16-bit-range value as the standard takes it: 0 (≥ 0) or −1.
fn sign(x: i32) -> i32 {
    x >> 15
}

/// `value` if `x` and `y` have the same sign, else `−value`, without a branch (the signs
/// of speech samples are what a branch predictor cannot guess).
fn same_sign_or_negated(x: i32, y: i32, value: i32) -> i32 {
    let differ = sign(x) ^ sign(y); // 0 or −1
    (value ^ differ) - differ
}

/// `(x · 32640) >> 15` for a 16-bit `x`, without the multiplication: 32640 = 32768 − 128,
/// so the product is `x·2^15 − x·2^7` and its floor division by 2^15 is `x + ⌊−x / 2^8⌋`.
/// (The leak factor of UPPOL1 and UPZERO; `leak_128_exact` checks every 16-bit `x`.)
fn leak_128(x: i32) -> i32 {
    x + ((-x) >> 8)
}

/// `(x · 32512) >> 15` for a 16-bit `x`: 32512 = 32768 − 256, so `x + ⌊−x / 2^7⌋`
/// (UPPOL2's leak).
fn leak_256(x: i32) -> i32 {
    x + ((-x) >> 7)
}

impl Band {
    fn new(det: i32) -> Self {
        Self {
            s: 0,
            sz: 0,
            rr: [0; 2],
            a: [0; 2],
            p: [0; 2],
            dd: [0; ZERO_LANES],
            b: [0; ZERO_LANES],
            nb: 0,
            det,
        }
    }

    /// LOGSCL / LOGSCH then SCALEL / SCALEH: the log scale factor leaks by 127/128 and
    /// moves by the code's multiplier; the linear one is its antilog.
    #[inline(always)]
    fn adapt_scale(&mut self, multiplier: i32, limit: i32, shift: i32) {
        let leaked = (self.nb * 127) >> 7;
        self.nb = (leaked + multiplier).clamp(0, limit);
        let fraction = ((self.nb >> 6) & 31) as usize; // in 0..32
        // `shift − (nb >> 11)` is at least −1 for both bands' limits (8 − 18432/2048,
        // 10 − 22528/2048): one left shift of the mantissa up front makes every case a
        // right shift, without a branch.
        let exponent = shift - (self.nb >> 11);
        debug_assert!(exponent >= -1);
        let linear = (ILB[fraction] << 1) >> (exponent + 1);
        self.det = linear << 2;
    }

    /// BLOCK 4: reconstruct, adapt the pole and zero coefficients on the signs of the
    /// partially reconstructed signal and of the differences, shift the delay lines, and
    /// predict the next sample.
    ///
    /// Every 16-bit saturation of the standard is kept where a value can leave the
    /// range, and left out only where it provably cannot (said at each place); the
    /// tests run this against a transcription of the standard's blocks step by step.
    #[inline(always)]
    fn adapt_predictor(&mut self, d: i32) {
        // RECONS, PARREC
        let r0 = sat(self.s + d);
        let p0 = sat(self.sz + d);

        // UPPOL2
        let wd1 = sat(self.a[0] << 2);
        let wd2 = (-same_sign_or_negated(p0, self.p[0], wd1)).min(32767);
        let wd3 = same_sign_or_negated(p0, self.p[1], 128) + (wd2 >> 7) + leak_256(self.a[1]);
        let ap2 = wd3.clamp(-12288, 12288);

        // UPPOL1. `ap2` is within ±12288, so the bound 15360 − ap2 is within 3072..=27648
        // and clamping to it also does the standard's saturation of the sum.
        let wd1 = same_sign_or_negated(p0, self.p[0], 192);
        let bound = 15360 - ap2;
        let ap1 = (wd1 + leak_128(self.a[0])).clamp(-bound, bound);

        // UPZERO. For a 16-bit b, leak_128(b) lies in −32640..=32639 and the step is ±128
        // or 0: the sum stays 16-bit, so the standard's saturation never acts. The sign of
        // the new difference d is that of sat(2·d), and d == 0 exactly when it is.
        let dd0 = sat(d + d);
        let step = if d == 0 { 0 } else { -1 };
        let sign_d = sign(dd0);
        for ((b, &di), &lane_step) in self.b.iter_mut().zip(&self.dd).zip(&ZERO_STEP) {
            let differ = sign_d ^ sign(di);
            let value = lane_step & step;
            *b = leak_128(*b) + ((value ^ differ) - differ);
        }

        // DELAYA
        let old = self.dd;
        self.dd = [dd0, old[0], old[1], old[2], old[3], old[4], 0, 0];
        let rr0 = sat(r0 + r0);
        self.rr = [rr0, self.rr[0]];
        self.p = [p0, self.p[0]];
        self.a = [ap1, ap2];

        // FILTEP
        let wd1 = (ap1 * rr0) >> 15;
        let wd2 = (ap2 * self.rr[1]) >> 15;
        let sp = sat(wd1 + wd2);

        // FILTEZ: the standard adds b6·d6 down to b1·d1, saturating after each term.
        // When the terms' magnitudes sum to at most 32767 no partial sum can reach the
        // limits and the plain sum is the same; only otherwise the terms are added one
        // by one with saturation.
        let mut terms = [0i32; ZERO_LANES];
        for ((t, &b), &di) in terms.iter_mut().zip(&self.b).zip(&self.dd) {
            *t = (b * di) >> 15;
        }
        let sum: i32 = terms.iter().sum();
        let magnitudes: i32 = terms.iter().map(|t| t.abs()).sum();
        let sz = if magnitudes <= 32767 {
            sum
        } else {
            terms[..6].iter().rev().fold(0, |sz, &t| sat(sz + t))
        };
        self.sz = sz;

        // PREDIC
        self.s = sat(sp + sz);
    }
}

/// QUANTL's decision levels 1..=29 (Table 6) times 16, padded to 32 lanes with 65535 (a
/// level above every real one at any scale factor).
const Q6_X16: [u16; 32] = {
    let mut out = [u16::MAX; 32];
    let mut m = 1;
    while m < 30 {
        out[m - 1] = (Q6[m] * 16) as u16; // at most 2919·16 = 46704
        m += 1;
    }
    out
};

/// How many of the lower band's decision levels 1..=29, scaled by `det`, the magnitude
/// reaches: the quantizer interval is one more (the first interval whose upper level lies
/// above the magnitude, 30 when none does), as the standard's linear scan finds it.
///
/// The scaled level `(Q6[m]·det) >> 12` is `(16·Q6[m]·det) >> 16` (16·Q6 and `det` both
/// fit 16 unsigned bits: `det` is at most 32064), which is a SIMD multiply-high. The
/// levels grow with `m`, so the count of levels reached is the interval's index; counting
/// all 32 lanes at once keeps the quantizer's latency, which every next sample waits for,
/// to a few vector operations instead of a search's chain of dependent comparisons (the
/// scaled levels do not depend on the sample and are ready early). The padding lanes are
/// reached only when level 29 is, hence the `min`.
#[inline(always)]
fn levels_below(magnitude: i32, det: i32) -> usize {
    debug_assert!((0..=32767).contains(&magnitude) && (0..=0xffff).contains(&det));
    let (magnitude, det) = (magnitude as u16, det as u16);
    let mut reached = 0u16;
    for &level in &Q6_X16 {
        let scaled = ((u32::from(level) * u32::from(det)) >> 16) as u16;
        reached += u16::from(magnitude >= scaled);
    }
    usize::from(reached).min(29)
}

/// The lower sub-band coder: 6-bit codes at 64 kbit/s.
#[derive(Debug, Clone)]
pub(crate) struct LowBand(Band);

impl LowBand {
    /// Reset state (§3.7): `det` 32, everything else 0.
    pub(crate) fn new() -> Self {
        Self(Band::new(32))
    }

    /// Quantizes one lower sub-band sample (15-bit range) to its 6-bit code (QUANTL) and
    /// adapts.
    #[inline(always)]
    pub(crate) fn encode(&mut self, xl: i32) -> u8 {
        let band = &self.0;
        let el = sat(xl - band.s);
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let interval = 1 + levels_below(magnitude, band.det);
        let code = if el < 0 { ILN[interval] } else { ILP[interval] };
        self.adapt(code);
        code
    }

    /// Decodes one 6-bit code (INVQBL, 64 kbit/s mode) and adapts; returns the
    /// reconstructed lower sub-band sample (limited to 15 bits).
    pub(crate) fn decode(&mut self, code: u8) -> i32 {
        let code = code & 0x3f;
        let band = &self.0;
        let dq = (band.det * QM6[usize::from(code)]) >> 15;
        let rl = (band.s + dq).clamp(-16384, 16383);
        self.adapt(code);
        rl
    }

    /// INVQAL on the 4-bit core, LOGSCL/SCALEL and BLOCK 4: what encoder and decoder share.
    #[inline(always)]
    fn adapt(&mut self, code: u8) {
        let core = usize::from(code >> 2);
        let band = &mut self.0;
        let d = (band.det * QM4[core]) >> 15;
        band.adapt_scale(WL[RL42[core]], 18432, 8);
        band.adapt_predictor(d);
    }
}

/// The code the higher band gives for silence from its reset state, which it never
/// leaves doing so (see the test `silence_keeps_the_higher_band_at_rest`).
pub(crate) const HIGH_SILENCE: u8 = 3;
/// Samples of silence after which the higher band's pole coefficients stop moving.
pub(crate) const SILENCE_SETTLES: u64 = 1000;

/// The higher sub-band coder: 2-bit codes.
#[derive(Debug, Clone)]
pub(crate) struct HighBand(Band);

impl HighBand {
    /// Reset state (§3.7): `det` 8, everything else 0.
    pub(crate) fn new() -> Self {
        Self(Band::new(8))
    }

    /// Quantizes one higher sub-band sample to its 2-bit code (QUANTH) and adapts.
    pub(crate) fn encode(&mut self, xh: i32) -> u8 {
        let band = &self.0;
        let eh = sat(xh - band.s);
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let interval = if magnitude >= (Q2 * band.det) >> 12 {
            2
        } else {
            1
        };
        let code = if eh < 0 { IHN[interval] } else { IHP[interval] };
        self.adapt(code);
        code
    }

    /// Decodes one 2-bit code (INVQAH) and adapts; returns the reconstructed higher
    /// sub-band sample (limited to 15 bits).
    pub(crate) fn decode(&mut self, code: u8) -> i32 {
        let code = code & 0x03;
        let s = self.0.s;
        let d = self.adapt(code);
        (s + d).clamp(-16384, 16383)
    }

    /// INVQAH, LOGSCH/SCALEH and BLOCK 4; returns the quantized difference.
    #[inline(always)]
    fn adapt(&mut self, code: u8) -> i32 {
        let code = usize::from(code);
        let band = &mut self.0;
        let d = (band.det * QM2[code]) >> 15;
        band.adapt_scale(WH[RH2[code]], 22528, 10);
        band.adapt_predictor(d);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_keeps_the_higher_band_at_rest() {
        let mut high = HighBand::new();
        let mut last_a = high.0.a;
        let mut settled = None;
        for n in 0..10_000 {
            assert_eq!(high.encode(0), HIGH_SILENCE);
            let band = &high.0;
            assert_eq!((band.s, band.sz, band.nb, band.det), (0, 0, 0, 8));
            assert_eq!(
                (band.rr, band.p, band.dd, band.b),
                ([0; 2], [0; 2], [0; ZERO_LANES], [0; ZERO_LANES])
            );
            if band.a == last_a && settled.is_none() {
                settled = Some(n);
            }
            last_a = band.a;
        }
        eprintln!("pole coefficients settle after {settled:?} samples at {last_a:?}");
        let settled = settled.expect("the pole coefficients settle");
        assert!(settled < SILENCE_SETTLES, "settled after {settled}");
    }

    #[test]
    fn leak_128_exact() {
        for x in -32768..=32767 {
            assert_eq!(leak_128(x), (x * 32640) >> 15, "x = {x}");
            assert_eq!(leak_256(x), (x * 32512) >> 15, "x = {x}");
        }
    }

    /// Our band's state is the reference's, variable for variable (the differences kept
    /// doubled and saturated, the padding lanes zero).
    fn assert_same_state(ours: &Band, reference: &super::super::reference::Band, at: &str) {
        let doubled = reference.d.map(|d| sat(d + d));
        assert_eq!(
            (ours.s, ours.sz, ours.rr, ours.a, ours.p, ours.nb, ours.det),
            (
                reference.s,
                reference.sz,
                reference.r.map(|r| sat(r + r)),
                reference.a,
                reference.p,
                reference.nb,
                reference.det
            ),
            "{at}"
        );
        assert_eq!(ours.dd[..6], doubled, "{at}: differences");
        assert_eq!(ours.b[..6], reference.b, "{at}: zero coefficients");
        assert_eq!(
            (&ours.dd[6..], &ours.b[6..]),
            (&[0; 2][..], &[0; 2][..]),
            "{at}"
        );
    }

    /// A deterministic xorshift generator.
    struct Noise(u32);

    impl Noise {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
    }

    /// Sub-band inputs that reach every corner: white noise at full scale and at low
    /// levels, full-scale alternation (as the ITU's second sequence), full-scale steps
    /// held long enough for the scale factors to hit their limits, loud and quiet sines,
    /// and silence after loud audio.
    fn hard_inputs() -> Vec<i32> {
        let mut noise = Noise(0x1234_5678);
        let mut out = Vec::new();
        for _ in 0..40_000 {
            out.push((noise.next() as i32) >> 17); // −16384..=16383
        }
        for _ in 0..20_000 {
            out.push((noise.next() as i32) >> 25);
        }
        for n in 0..20_000 {
            out.push(if n % 2 == 0 { 16383 } else { -16384 });
        }
        for n in 0..20_000 {
            out.push(if (n / 500) % 2 == 0 { 16383 } else { -16384 });
        }
        for n in 0..40_000 {
            let amplitude = if n < 20_000 { 16_000.0 } else { 300.0 };
            let phase = f64::from(n) * 2.0 * std::f64::consts::PI * 0.0371;
            out.push((amplitude * phase.sin()) as i32);
        }
        out.extend(std::iter::repeat_n(0, 5000));
        for _ in 0..20_000 {
            let x = (noise.next() as i32) >> 17;
            out.push(if noise.next() % 3 == 0 {
                x
            } else {
                x.signum() * 16383
            });
        }
        out
    }

    #[test]
    fn encoders_match_the_reference_transcription() {
        let (mut low, mut high) = (LowBand::new(), HighBand::new());
        let (mut low_ref, mut high_ref) = (
            super::super::reference::Band::low(),
            super::super::reference::Band::high(),
        );
        for (n, &x) in hard_inputs().iter().enumerate() {
            assert_eq!(
                low.encode(x),
                low_ref.encode_low(x),
                "lower band, sample {n}"
            );
            assert_eq!(
                high.encode(x),
                high_ref.encode_high(x),
                "higher band, sample {n}"
            );
            assert_same_state(&low.0, &low_ref, &format!("lower band after sample {n}"));
            assert_same_state(&high.0, &high_ref, &format!("higher band after sample {n}"));
        }
    }

    #[test]
    fn decoders_match_the_reference_transcription() {
        let mut noise = Noise(0x9e37_79b9);
        let mut codes: Vec<u8> = (0..100_000).map(|_| noise.next() as u8).collect();
        // Runs of the loudest codes of each sign drive both bands to their limits.
        for run in 0..40u8 {
            let code = [0x04, 0x20, 0xc4, 0xe0, 0x3f, 0xff][usize::from(run % 6)];
            codes.extend(std::iter::repeat_n(code, 200 + 37 * usize::from(run)));
        }
        let (mut low, mut high) = (LowBand::new(), HighBand::new());
        let (mut low_ref, mut high_ref) = (
            super::super::reference::Band::low(),
            super::super::reference::Band::high(),
        );
        for (n, &code) in codes.iter().enumerate() {
            assert_eq!(
                low.decode(code),
                low_ref.decode_low(code),
                "lower band, octet {n}"
            );
            assert_eq!(
                high.decode(code >> 6),
                high_ref.decode_high(code >> 6),
                "higher band, octet {n}"
            );
            assert_same_state(&low.0, &low_ref, &format!("lower band after octet {n}"));
            assert_same_state(&high.0, &high_ref, &format!("higher band after octet {n}"));
        }
    }
}
