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
    /// Pole section output (FILTEP).
    sp: i32,
    /// Zero section output (FILTEZ).
    sz: i32,
    /// Reconstructed signal r(n), r(n-1), r(n-2).
    r: [i32; 3],
    /// Pole coefficients a1, a2 (index 0 unused).
    a: [i32; 3],
    /// Partially reconstructed signal p(n), p(n-1), p(n-2).
    p: [i32; 3],
    /// Quantized differences d(n)..d(n-6).
    d: [i32; 7],
    /// Zero coefficients b1..b6 (index 0 unused).
    b: [i32; 7],
    /// Log scale factor (NBL / NBH).
    nb: i32,
    /// Linear scale factor (DETL / DETH).
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Self {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            a: [0; 3],
            p: [0; 3],
            d: [0; 7],
            b: [0; 7],
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
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);

        // UPPOL2
        let sign = |x: i32| x >> 15;
        let sg = [sign(self.p[0]), sign(self.p[1]), sign(self.p[2])];
        let wd1 = sat(self.a[1] << 2);
        let wd2 = (if sg[0] == sg[1] { -wd1 } else { wd1 }).min(32767);
        let mut wd3 = if sg[0] == sg[2] { 128 } else { -128 };
        wd3 += wd2 >> 7;
        wd3 += (self.a[2] * 32512) >> 15;
        let ap2 = wd3.clamp(-12288, 12288);

        // UPPOL1
        let wd1 = if sg[0] == sg[1] { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let bound = sat(15360 - ap2);
        let ap1 = sat(wd1 + wd2).clamp(-bound, bound);

        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        let sg0 = sign(d);
        let mut bp = [0i32; 7];
        for ((bp, &d), &b) in bp.iter_mut().zip(&self.d).zip(&self.b).skip(1) {
            let wd2 = if sign(d) == sg0 { step } else { -step };
            let wd3 = (b * 32640) >> 15;
            *bp = sat(wd2 + wd3);
        }

        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a[1] = ap1;
        self.a[2] = ap2;

        // FILTEP
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);

        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
            sz = sat(sz);
        }
        self.sz = sz;

        // PREDIC
        self.s = sat(self.sp + self.sz);
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
