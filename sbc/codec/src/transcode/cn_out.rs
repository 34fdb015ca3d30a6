//! RFC 3389 packets of the SBC's own through a pause, on a transcoded leg that negotiated
//! CN at its codec's clock: instead of a frame of noise in the leg's codec every ptime,
//! one CN packet when the pause starts and a new one only when needed.
//!
//! When a CN goes out ([`CnSender::due`]):
//!
//! * at the first tick of a pause;
//! * when the noise changes notably: its level by 2 dB or more, or a reflection
//!   coefficient by 0.1 or more (13 steps of the quantizer) — at most one such update per
//!   100 ms, since estimates of noise wobble from frame to frame (G.729 Annex B and
//!   WebRTC's CNG likewise send a SID on a change of about that size, no more often than
//!   every few frames);
//! * otherwise every 500 ms of unchanged noise: a receiver that lost the first CN
//!   (RTP is UDP) plays the right noise within half a second, at 2 packets/s against the
//!   50 noise frames/s of a leg without CN.
//!
//! What it says ([`Source`]): after an RFC 3389 payload from the other leg, that payload
//! re-sent (level and coefficients); after a G.729 SID, the level and LPC analysis of the
//! comfort noise the decoder makes ([`crate::cn::NoiseAnalyser`]). Coefficients go out
//! only when both legs' audio is 8 kHz narrowband (G.711, G.729): they describe a
//! spectrum at one sample rate, and a `CN/8000` paired with G.722 or a `CN/48000` with
//! Opus would read them at another; the level alone is sent then (RFC 3389 makes the
//! coefficients optional).

use crate::cn::{MAX_PAYLOAD, NoiseAnalyser};

/// Change in level, dB, that is worth an update.
const LEVEL_STEP: u8 = 2;
/// Change in a quantized reflection coefficient that is worth an update (≈ 0.1).
const COEFFICIENT_STEP: u8 = 13;
/// Least time between two updates for a change, ms.
const MIN_UPDATE_MS: u64 = 100;
/// Time between two CNs of unchanged noise, ms.
const REFRESH_MS: u64 = 500;

/// Where the description of the noise comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source<'a> {
    /// An RFC 3389 payload of the other leg, re-sent.
    Payload(&'a [u8]),
    /// The analysis of the noise played (a SID's comfort noise).
    Analysis,
}

/// The CNs of one direction (see the module docs).
#[derive(Debug, Clone)]
pub(super) struct CnSender {
    /// Coefficients go out (both legs narrowband at 8 kHz).
    spectrum: bool,
    /// Output samples per ms.
    per_ms: u64,
    pub(super) analyser: NoiseAnalyser,
    /// The payload being built.
    payload: [u8; MAX_PAYLOAD],
    /// The last CN sent in this pause, and the output clock when it left.
    last: Option<([u8; MAX_PAYLOAD], usize, u64)>,
}

impl CnSender {
    pub(super) fn new(spectrum: bool, output_rate: u32) -> Self {
        CnSender {
            spectrum,
            per_ms: u64::from(output_rate / 1000),
            analyser: NoiseAnalyser::default(),
            payload: [0; MAX_PAYLOAD],
            last: None,
        }
    }

    /// The pause is over: the next one starts with a CN of its own.
    pub(super) fn reset(&mut self) {
        self.analyser.reset();
        self.last = None;
    }

    /// What was sent in this pause no longer stands (audio of the SBC's own went out, or
    /// the CN never left): the next tick sends a CN at once. The noise analysis goes on.
    pub(super) fn resend(&mut self) {
        self.last = None;
    }

    /// The payload to send at output clock `clock` (samples), if one is due.
    pub(super) fn due(&mut self, source: Source<'_>, clock: u64) -> Option<&[u8]> {
        let len = match source {
            Source::Payload(payload) => {
                let len = if self.spectrum {
                    payload.len().min(MAX_PAYLOAD)
                } else {
                    payload.len().min(1)
                };
                self.payload[..len].copy_from_slice(&payload[..len]);
                len
            }
            Source::Analysis => self.analyser.describe(self.spectrum, &mut self.payload),
        };
        if len == 0 {
            return None;
        }
        let send = match &self.last {
            None => true,
            Some((last, last_len, at)) => {
                let elapsed_ms = clock.saturating_sub(*at) / self.per_ms.max(1);
                let changed = last[0].abs_diff(self.payload[0]) >= LEVEL_STEP
                    || *last_len != len
                    || last[1..len]
                        .iter()
                        .zip(&self.payload[1..len])
                        .any(|(a, b)| a.abs_diff(*b) >= COEFFICIENT_STEP);
                elapsed_ms >= REFRESH_MS || (changed && elapsed_ms >= MIN_UPDATE_MS)
            }
        };
        if !send {
            return None;
        }
        self.last = Some((self.payload, len, clock));
        Some(&self.payload[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_changes_and_refreshes() {
        let mut cn = CnSender::new(true, 8000);
        let ms = |ms: u64| ms * 8;
        assert_eq!(cn.due(Source::Payload(&[40, 100]), 0), Some(&[40, 100][..]));
        assert_eq!(cn.due(Source::Payload(&[40, 100]), ms(20)), None);
        assert_eq!(cn.due(Source::Payload(&[41, 105]), ms(200)), None, "small");
        assert_eq!(
            cn.due(Source::Payload(&[45, 100]), ms(60)),
            None,
            "a change, too soon"
        );
        assert_eq!(
            cn.due(Source::Payload(&[45, 100]), ms(100)),
            Some(&[45, 100][..])
        );
        assert_eq!(cn.due(Source::Payload(&[45, 100]), ms(580)), None);
        assert_eq!(
            cn.due(Source::Payload(&[45, 100]), ms(600)),
            Some(&[45, 100][..]),
            "refreshed after 500 ms"
        );
        cn.reset();
        assert_eq!(
            cn.due(Source::Payload(&[45, 100]), ms(620)),
            Some(&[45, 100][..])
        );
        cn.resend();
        assert_eq!(
            cn.due(Source::Payload(&[45, 100]), ms(640)),
            Some(&[45, 100][..]),
            "at once after a resend"
        );
        // Without a spectrum towards this leg: the level only.
        let mut level_only = CnSender::new(false, 8000);
        assert_eq!(
            level_only.due(Source::Payload(&[40, 100, 90]), 0),
            Some(&[40][..])
        );
    }
}
