//! The all-pole model behind an RFC 3389 payload: reflection coefficients as the payload
//! quantizes them, the direct-form predictor they give (step-up recursion), and the way
//! back from an autocorrelation (Levinson-Durbin).
//!
//! Conventions (the ones of ITU-T G.711 Appendix II and G.729): the inverse filter is
//! `A(z) = 1 + a₁z⁻¹ + … + aₚz⁻ᵖ`, noise is synthesised by `1/A(z)`, i.e.
//! `y[n] = e[n] − Σ aᵢ·y[n−i]`, and the first reflection coefficient of a signal whose
//! neighbouring samples are alike (low-pass noise) is negative: `k₁ = −r₁/r₀`.
//!
//! Quantization (RFC 3389 §3.2): one octet per coefficient, linear over (−1, 1) in steps of
//! 1/128: `k = (q − 127)/128`, so 0 is −127/128, 127 is 0 and 254 is +127/128. 255 would be
//! +1, a filter on the edge of instability: refused.

use crate::CodecError;

/// Highest model order the SBC synthesises; higher coefficients of a payload are taken as
/// zero, which RFC 3389 §3 allows a decoder ("may reduce the model order").
pub const MAX_ORDER: usize = 12;

/// The reflection coefficient an octet of the payload stands for.
pub fn dequantize(q: u8) -> Result<f32, CodecError> {
    if q == u8::MAX {
        return Err(CodecError::Corrupt {
            codec: "comfort noise",
            reason: "reflection coefficient of +1 (an unstable filter)",
        });
    }
    Ok((f32::from(q) - 127.0) / 128.0)
}

/// The octet that carries reflection coefficient `k` (clamped into what the payload can
/// say, ±127/128).
pub fn quantize(k: f32) -> u8 {
    let q = (k * 128.0).round().clamp(-127.0, 127.0) + 127.0;
    // In 0..=254 after the clamp.
    q as u8
}

/// Step-up recursion: the predictor `a` (`a[i]` is `aᵢ₊₁`) of the reflection
/// coefficients `k` (same length, each |k| < 1 so the filter is stable).
pub fn step_up(k: &[f32], a: &mut [f32]) {
    let order = k.len().min(a.len());
    let mut previous = [0f32; MAX_ORDER];
    for m in 0..order {
        previous[..m].copy_from_slice(&a[..m]);
        for i in 0..m {
            a[i] = previous[i] + k[m] * previous[m - 1 - i];
        }
        a[m] = k[m];
    }
}

/// Power gain of the synthesis filter with reflection coefficients `k` on white noise:
/// `1/Π(1 − kᵢ²)` (the inverse of the prediction error left by the model).
pub fn synthesis_gain(k: &[f32]) -> f32 {
    1.0 / k.iter().map(|k| 1.0 - k * k).product::<f32>()
}

/// Levinson-Durbin: the reflection coefficients of the all-pole model whose
/// autocorrelation starts `r[0..=order]` (`k.len()` is the order). Returns how many it
/// could find: fewer when the signal is fully predicted earlier (or silent: 0).
pub fn levinson(r: &[f32], k: &mut [f32]) -> usize {
    let order = k.len().min(MAX_ORDER).min(r.len().saturating_sub(1));
    let mut a = [0f32; MAX_ORDER];
    let mut previous = [0f32; MAX_ORDER];
    let mut error = r.first().copied().unwrap_or(0.0);
    for m in 0..order {
        if error <= f32::EPSILON * r[0] || error <= 0.0 {
            return m;
        }
        let mut acc = r[m + 1];
        for i in 0..m {
            acc += a[i] * r[m - i];
        }
        let km = -acc / error;
        if km.abs() >= 1.0 || !km.is_finite() {
            return m;
        }
        previous[..m].copy_from_slice(&a[..m]);
        for i in 0..m {
            a[i] = previous[i] + km * previous[m - 1 - i];
        }
        a[m] = km;
        k[m] = km;
        error *= 1.0 - km * km;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_of_two_coefficients() {
        let mut a = [0f32; 2];
        step_up(&[-0.5, 0.25], &mut a);
        // a₁ = k₁(1 + k₂), a₂ = k₂.
        assert!((a[0] - -0.625).abs() < 1e-6, "{a:?}");
        assert!((a[1] - 0.25).abs() < 1e-6, "{a:?}");
    }

    #[test]
    fn levinson_inverts_step_up_on_an_exact_autocorrelation() {
        // AR(1) with a₁ = −0.8: r[n] = 0.8ⁿ (times any power).
        let r: Vec<f32> = (0..4).map(|n| 0.8f32.powi(n)).collect();
        let mut k = [0f32; 3];
        assert_eq!(levinson(&r, &mut k), 3);
        assert!((k[0] + 0.8).abs() < 1e-5, "{k:?}");
        assert!(k[1].abs() < 1e-5 && k[2].abs() < 1e-5, "{k:?}");
        // Silence has no model.
        assert_eq!(levinson(&[0.0, 0.0, 0.0], &mut k), 0);
    }
}
