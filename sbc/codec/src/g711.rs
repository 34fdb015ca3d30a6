//! ITU-T G.711: 8-bit logarithmic companding of 16-bit linear samples, µ-law (PCMU, RTP
//! payload type 0) and A-law (PCMA, payload type 8).
//!
//! Both laws split the magnitude into 8 segments (an exponent) of 16 steps (a mantissa);
//! each segment doubles the step size of the one below. µ-law works on a 14-bit magnitude
//! biased by 33 (so that segment boundaries fall on powers of two) and inverts every bit
//! of the code; A-law works on a 13-bit magnitude, makes its first two segments one linear
//! piece, and inverts the even bits (0x55). Decoding returns the middle of the step a code
//! stands for, so `encode(decode(c)) == c` for every code (but µ-law's negative zero).

/// A G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (PCMU), North America and Japan.
    Ulaw,
    /// A-law (PCMA), everywhere else.
    Alaw,
}

impl Law {
    /// One sample to its code.
    #[inline]
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Ulaw => ulaw_encode(sample),
            Law::Alaw => alaw_encode(sample),
        }
    }

    /// One code to its sample.
    #[inline]
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Law::Ulaw => ulaw_decode(code),
            Law::Alaw => alaw_decode(code),
        }
    }

    /// Encodes `samples` into `out` (as many as both hold); returns how many.
    pub fn encode_into(self, samples: &[i16], out: &mut [u8]) -> usize {
        let n = samples.len().min(out.len());
        for (o, &s) in out.iter_mut().zip(samples) {
            *o = self.encode(s);
        }
        n
    }

    /// Decodes `codes` into `out` (as many as both hold); returns how many.
    pub fn decode_into(self, codes: &[u8], out: &mut [i16]) -> usize {
        let n = codes.len().min(out.len());
        for (o, &c) in out.iter_mut().zip(codes) {
            *o = self.decode(c);
        }
        n
    }

    /// The code of silence (linear 0).
    pub fn silence(self) -> u8 {
        self.encode(0)
    }
}

/// µ-law bias: added to the magnitude (in 16-bit scale: 33 << 2) so that segment `e`
/// starts at `2^(e+7)`.
const ULAW_BIAS: i32 = 0x84;
/// The largest magnitude µ-law represents (16-bit scale) before the bias.
const ULAW_CLIP: i32 = 32635;

fn ulaw_encode(sample: i16) -> u8 {
    let x = i32::from(sample);
    let (sign, magnitude) = if x < 0 { (0x80, -x) } else { (0, x) };
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    // `biased` is in 132..=32767: its top bit is bit 7..=14, the segment 0..=7.
    let top = 31 - biased.leading_zeros() as i32;
    let segment = top - 7;
    let mantissa = (biased >> (segment + 3)) & 0x0f;
    // In range: sign | segment << 4 | mantissa < 256.
    !((sign | (segment << 4) | mantissa) as u8)
}

fn ulaw_decode(code: u8) -> i16 {
    let c = !code;
    let segment = i32::from((c >> 4) & 0x07);
    let mantissa = i32::from(c & 0x0f);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
    // In range: magnitude <= 32124.
    let m = magnitude as i16;
    if c & 0x80 != 0 { -m } else { m }
}

fn alaw_encode(sample: i16) -> u8 {
    let x = i32::from(sample);
    // Positive samples carry the sign bit; negatives use one's complement, so that -1
    // and 0 land in the same step as in the reference tables.
    let (mask, magnitude) = if x >= 0 { (0xd5, x) } else { (0x55, -x - 1) };
    let m = magnitude >> 3; // 13-bit magnitude, 0..=4095
    let code = if m < 32 {
        m >> 1
    } else {
        let segment = (31 - m.leading_zeros() as i32) - 4;
        (segment << 4) | ((m >> segment) & 0x0f)
    };
    // In range: code < 128.
    (code as u8) ^ mask
}

fn alaw_decode(code: u8) -> i16 {
    let c = code ^ 0x55;
    let segment = i32::from((c >> 4) & 0x07);
    let mantissa = i32::from(c & 0x0f);
    let magnitude = if segment == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (segment - 1)
    };
    // In range: magnitude <= 32256.
    let m = magnitude as i16;
    if c & 0x80 != 0 { m } else { -m }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        assert_eq!(Law::Ulaw.encode(0), 0xff);
        assert_eq!(Law::Alaw.encode(0), 0xd5);
        assert_eq!(Law::Ulaw.decode(0x00), -32124);
        assert_eq!(Law::Ulaw.decode(0x80), 32124);
        assert_eq!(Law::Alaw.decode(0xd5), 8);
        assert_eq!(Law::Alaw.decode(0x55), -8);
        assert_eq!(Law::Alaw.decode(0xaa), 32256);
        assert_eq!(Law::Alaw.decode(0x2a), -32256);
        assert_eq!(Law::Ulaw.encode(i16::MAX), 0x80);
        assert_eq!(Law::Ulaw.encode(i16::MIN), 0x00);
        assert_eq!(Law::Alaw.encode(i16::MAX), 0xaa);
        assert_eq!(Law::Alaw.encode(i16::MIN), 0x2a);
    }

    #[test]
    fn every_code_survives_a_round_trip() {
        for law in [Law::Ulaw, Law::Alaw] {
            for code in 0..=255u8 {
                let back = law.encode(law.decode(code));
                if law == Law::Ulaw && code == 0x7f {
                    assert_eq!(back, 0xff, "negative zero becomes zero");
                } else {
                    assert_eq!(back, code, "{law:?} {code:#04x}");
                }
            }
        }
    }

    #[test]
    fn encoding_is_monotonic_and_close() {
        for law in [Law::Ulaw, Law::Alaw] {
            let mut last = i16::MIN;
            for s in (i16::MIN..=i16::MAX).step_by(7) {
                let d = law.decode(law.encode(s));
                assert!(d >= last, "{law:?}: {s} decodes below its predecessor");
                last = d;
                // The step at the top segment is 1024 (µ) / 1024 (A) in 16-bit scale.
                assert!(
                    (i32::from(d) - i32::from(s)).abs() <= 1024,
                    "{law:?} {s} -> {d}"
                );
            }
        }
    }
}
