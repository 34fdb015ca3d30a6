//! The E-model MOS estimate (ITU-T G.107), simplified as monitoring tools do when all
//! they have is loss, jitter and round-trip time (rtpengine's `--mos`, PingPlotter):
//!
//! * effective latency `d = rtt + 2 × jitter + 10` ms (the jitter buffer's delay and the
//!   codec's);
//! * `R = 93.2 − d / 40` below 160 ms, `R = 93.2 − (d − 120) / 10` from there (the delay
//!   impairment `Id` steepens once the mouth-to-ear delay passes ~177 ms);
//! * `R −= 2.5 × loss%` (the packet-loss impairment of G.711 without concealment, linear);
//! * G.107 Annex B: `MOS = 1 + 0.035 R + 7·10⁻⁶ R (R − 60)(100 − R)` for `0 < R < 100`,
//!   1 below, 4.5 above.
//!
//! A clean stream scores 4.40 (G.711's ceiling is 4.41), 5 % loss 4.04, 20 % loss 2.21.

/// The R factor for `loss_pct` percent of packets lost, `jitter_ms` and `rtt_ms`.
pub fn r_factor(loss_pct: f64, jitter_ms: f64, rtt_ms: f64) -> f64 {
    let effective = rtt_ms + 2.0 * jitter_ms + 10.0;
    let r = if effective < 160.0 {
        93.2 - effective / 40.0
    } else {
        93.2 - (effective - 120.0) / 10.0
    };
    r - 2.5 * loss_pct
}

/// MOS (1.0 ..= 4.5) for an R factor (G.107 Annex B).
pub fn mos_of_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r)).max(1.0)
    }
}

/// MOS times 100, rounded, for the three inputs (see the module docs).
pub fn mos_x100(loss_pct: f64, jitter_ms: f64, rtt_ms: f64) -> u16 {
    let mos = mos_of_r(r_factor(loss_pct, jitter_ms, rtt_ms));
    // 100.0 ..= 450.0: fits.
    (mos * 100.0).round() as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points() {
        // R 92.95: 1 + 3.2533 + 0.1511.
        assert_eq!(mos_x100(0.0, 0.0, 0.0), 440);
        // R 80.45: 1 + 2.8158 + 0.2252.
        assert_eq!(mos_x100(5.0, 0.0, 0.0), 404);
        // R 42.95: 1 + 1.5033 - 0.2924.
        assert_eq!(mos_x100(20.0, 0.0, 0.0), 221);
        // Delay: 200 + 2 x 20 + 10 = 250 ms effective, R 80.2.
        assert_eq!(mos_x100(0.0, 20.0, 200.0), 403);
        // Below 160 ms the slope is 1/40: 100 ms costs 2.5 points of R only.
        assert!((r_factor(0.0, 0.0, 100.0) - 90.45).abs() < 1e-9);
        // Hopeless.
        assert_eq!(mos_x100(60.0, 100.0, 1000.0), 100);
        assert_eq!(mos_of_r(120.0), 4.5);
    }

    #[test]
    fn more_loss_never_scores_better() {
        let mut last = u16::MAX;
        for loss in 0..=100 {
            let m = mos_x100(f64::from(loss), 5.0, 40.0);
            assert!(m <= last, "{loss}%: {m} > {last}");
            last = m;
        }
    }
}
