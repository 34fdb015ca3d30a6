//! A literal transcription of the sub-band ADPCM blocks (§3.3–§3.6, §4), for the tests
//! only: every 16-bit saturation where the standard writes one, the Q15 multiplications
//! as multiplications, the quantizer's linear scan of its decision levels. The coders in
//! `adpcm.rs` leave out what provably cannot change a result; the tests run both on the
//! same inputs and compare every code, every output sample and the whole state after
//! each step, which covers what the ITU test sequences here do not (their first sequence
//! is only present as its head).

use super::tables::{IHN, IHP, ILB, ILN, ILP, Q2, Q6, QM2, QM4, QM6, RH2, RL42, WH, WL};

fn sat(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// SGN as the standard's blocks take it: of a 16-bit value, 0 or −1.
fn sign(x: i32) -> i32 {
    x >> 15
}

/// One band's state, field for field the standard's variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Band {
    pub(super) s: i32,
    pub(super) sz: i32,
    pub(super) r: [i32; 2],
    pub(super) a: [i32; 2],
    pub(super) p: [i32; 2],
    pub(super) d: [i32; 6],
    pub(super) b: [i32; 6],
    pub(super) nb: i32,
    pub(super) det: i32,
}

impl Band {
    pub(super) fn low() -> Self {
        Self {
            det: 32,
            ..Self::default()
        }
    }

    pub(super) fn high() -> Self {
        Self {
            det: 8,
            ..Self::default()
        }
    }

    fn adapt_scale(&mut self, multiplier: i32, limit: i32, shift: i32) {
        let leaked = (self.nb * 127) >> 7;
        self.nb = sat(leaked + multiplier).clamp(0, limit);
        let wd1 = (self.nb >> 6) & 31;
        let wd2 = shift - (self.nb >> 11);
        let wd3 = if wd2 < 0 {
            ILB[wd1 as usize] << -wd2
        } else {
            ILB[wd1 as usize] >> wd2
        };
        self.det = wd3 << 2;
    }

    fn block4(&mut self, d: i32) {
        // RECONS, PARREC
        let r0 = sat(self.s + d);
        let p0 = sat(self.sz + d);
        // UPPOL2
        let sg0 = sign(p0);
        let sg1 = sign(self.p[0]);
        let sg2 = sign(self.p[1]);
        let wd1 = sat(self.a[0] << 2);
        let wd2 = if sg0 == sg1 { sat(-wd1) } else { wd1 };
        let wd2 = wd2 >> 7;
        let wd3 = if sg0 == sg2 { 128 } else { -128 };
        let wd4 = sat(wd2 + wd3);
        let wd5 = (self.a[1] * 32512) >> 15;
        let ap2 = sat(wd4 + wd5).clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[0] * 32640) >> 15;
        let ap1 = sat(wd1 + wd2);
        let wd3 = sat(15360 - ap2);
        let ap1 = ap1.clamp(-wd3, wd3);
        // UPZERO
        let wd1 = if d == 0 { 0 } else { 128 };
        let sgd = sign(d);
        for i in 0..6 {
            let wd2 = if sign(self.d[i]) == sgd { wd1 } else { -wd1 };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.b[i] = sat(wd2 + wd3);
        }
        // DELAYA
        for i in (1..6).rev() {
            self.d[i] = self.d[i - 1];
        }
        self.d[0] = d;
        self.r = [r0, self.r[0]];
        self.p = [p0, self.p[0]];
        self.a = [ap1, ap2];
        // FILTEP
        let wd1 = (self.a[0] * sat(self.r[0] + self.r[0])) >> 15;
        let wd2 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let sp = sat(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (0..6).rev() {
            let wd = sat(self.d[i] + self.d[i]);
            sz = sat(sz + ((self.b[i] * wd) >> 15));
        }
        self.sz = sz;
        // PREDIC
        self.s = sat(sp + sz);
    }

    fn adapt_low(&mut self, code: u8) {
        let core = usize::from(code >> 2);
        let d = (self.det * QM4[core]) >> 15;
        self.adapt_scale(WL[RL42[core]], 18432, 8);
        self.block4(d);
    }

    /// QUANTL with the standard's linear scan, then the adaptation.
    pub(super) fn encode_low(&mut self, xl: i32) -> u8 {
        let el = sat(xl - self.s);
        let wd = if el >= 0 { el } else { sat(-el - 1) };
        let mut mil = 1;
        while mil < 30 && wd >= (Q6[mil] * self.det) >> 12 {
            mil += 1;
        }
        let code = if el < 0 { ILN[mil] } else { ILP[mil] };
        self.adapt_low(code);
        code
    }

    pub(super) fn decode_low(&mut self, code: u8) -> i32 {
        let code = code & 0x3f;
        let dq = (self.det * QM6[usize::from(code)]) >> 15;
        let rl = sat(self.s + dq).clamp(-16384, 16383);
        self.adapt_low(code);
        rl
    }

    fn adapt_high(&mut self, code: u8) -> i32 {
        let d = (self.det * QM2[usize::from(code)]) >> 15;
        self.adapt_scale(WH[RH2[usize::from(code)]], 22528, 10);
        self.block4(d);
        d
    }

    pub(super) fn encode_high(&mut self, xh: i32) -> u8 {
        let eh = sat(xh - self.s);
        let wd = if eh >= 0 { eh } else { sat(-eh - 1) };
        let mih = if wd >= (Q2 * self.det) >> 12 { 2 } else { 1 };
        let code = if eh < 0 { IHN[mih] } else { IHP[mih] };
        self.adapt_high(code);
        code
    }

    pub(super) fn decode_high(&mut self, code: u8) -> i32 {
        let code = code & 0x03;
        let s = self.s;
        let d = self.adapt_high(code);
        sat(s + d).clamp(-16384, 16383)
    }
}
