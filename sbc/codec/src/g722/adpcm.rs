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

/// The state one sub-band's predictor and scale factor adaptation keeps.
#[derive(Debug, Clone)]
struct Band {
    /// Signal estimate `s = sp + sz` (PREDIC).
    s: i32,
    /// Zero section output (FILTEZ).
    sz: i32,
    /// Reconstructed signal r(n-1), r(n-2).
    r: [i32; 2],
    /// Pole coefficients a1, a2.
    a: [i32; 2],
    /// Partially reconstructed signal p(n-1), p(n-2).
    p: [i32; 2],
    /// Quantized differences d(n-1)..d(n-6).
    d: [i32; 6],
    /// Zero coefficients b1..b6.
    b: [i32; 6],
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

impl Band {
    fn new(det: i32) -> Self {
        Self {
            s: 0,
            sz: 0,
            r: [0; 2],
            a: [0; 2],
            p: [0; 2],
            d: [0; 6],
            b: [0; 6],
            nb: 0,
            det,
        }
    }

    /// LOGSCL / LOGSCH then SCALEL / SCALEH: the log scale factor leaks by 127/128 and
    /// moves by the code's multiplier; the linear one is its antilog.
    fn adapt_scale(&mut self, multiplier: i32, limit: i32, shift: i32) {
        let leaked = (self.nb * 127) >> 7;
        self.nb = (leaked + multiplier).clamp(0, limit);
        let fraction = ((self.nb >> 6) & 31) as usize; // in 0..32
        let exponent = shift - (self.nb >> 11);
        let mantissa = ILB[fraction];
        let linear = if exponent < 0 {
            mantissa << -exponent
        } else {
            mantissa >> exponent
        };
        self.det = linear << 2;
    }

    /// BLOCK 4: reconstruct, adapt the pole and zero coefficients on the signs of the
    /// partially reconstructed signal and of the differences, shift the delay lines, and
    /// predict the next sample.
    fn adapt_predictor(&mut self, d: i32) {
        // RECONS, PARREC
        let r0 = sat(self.s + d);
        let p0 = sat(self.sz + d);

        // UPPOL2
        let wd1 = sat(self.a[0] << 2);
        let wd2 = (-same_sign_or_negated(p0, self.p[0], wd1)).min(32767);
        let wd3 =
            same_sign_or_negated(p0, self.p[1], 128) + (wd2 >> 7) + ((self.a[1] * 32512) >> 15);
        let ap2 = wd3.clamp(-12288, 12288);

        // UPPOL1
        let wd1 = same_sign_or_negated(p0, self.p[0], 192);
        let wd2 = (self.a[0] * 32640) >> 15;
        let bound = sat(15360 - ap2);
        let ap1 = sat(wd1 + wd2).clamp(-bound, bound);

        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        for (b, &di) in self.b.iter_mut().zip(&self.d) {
            *b = sat(same_sign_or_negated(d, di, step) + ((*b * 32640) >> 15));
        }

        // DELAYA
        let old = self.d;
        self.d = [d, old[0], old[1], old[2], old[3], old[4]];
        self.r = [r0, self.r[0]];
        self.p = [p0, self.p[0]];
        self.a = [ap1, ap2];

        // FILTEP
        let wd1 = (self.a[0] * sat(self.r[0] + self.r[0])) >> 15;
        let wd2 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let sp = sat(wd1 + wd2);

        // FILTEZ, from b6·d6 down to b1·d1, saturating after each term as the standard does
        let mut sz = 0;
        for (&b, &di) in self.b.iter().zip(&self.d).rev() {
            sz = sat(sz + ((b * sat(di + di)) >> 15));
        }
        self.sz = sz;

        // PREDIC
        self.s = sat(sp + sz);
    }
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
    pub(crate) fn encode(&mut self, xl: i32) -> u8 {
        let band = &self.0;
        let el = sat(xl - band.s);
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        // The first interval whose upper decision level lies above the magnitude (30 when
        // none does). The levels grow with the index, so a binary search finds the same
        // interval as the standard's linear scan with 5 comparisons instead of up to 29.
        let interval = 1 + Q6[1..].partition_point(|&level| magnitude >= (level * band.det) >> 12);
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
                (band.r, band.p, band.d, band.b),
                ([0; 2], [0; 2], [0; 6], [0; 6])
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
}
