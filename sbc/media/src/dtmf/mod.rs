//! DTMF in the media engine: RFC 4733 events received and played, dual tones heard
//! (Goertzel, Q.24) and made (Q.23) in G.711 audio (and in a transcoder's PCM at 8 or
//! 16 kHz), and digits reported for SIP INFO.
//!
//! The control plane says how each leg of a stream carries digits
//! ([`MediaOp::Dtmf`](sbc_core::MediaOp::Dtmf) with a [`DtmfLeg`]); once both legs are
//! known the shard sets up each direction:
//!
//! * both legs carry events: no step, only a payload-type map towards each side (the
//!   sender's event payload types to the receiver's, clock rate by clock rate: 101 on one
//!   leg, 96 on the other; 8000 and 48000 side by side). The stream can still go to the
//!   kernel when the numbers agree;
//! * otherwise, where digits must change form, a [`DtmfTransform`] towards the receiving
//!   side (the table in `transform.rs`): the stream stays in userspace
//!   ([`Shard::needs_userspace`] names "dtmf"), packets are renumbered gaplessly, digits
//!   are reported as [`MediaEvent::Digit`] (with the early dialog relayed, for an INFO
//!   to a fork) and played from [`MediaOp::PlayDigit`](sbc_core::MediaOp::PlayDigit);
//! * on a transcoded side the transcoding step converts digits itself (RFC 4733, SIP
//!   INFO and in-band tones, the tones on the PCM it decodes and encodes;
//!   `transcode_dtmf.rs` and `transcode_inband.rs`, feature `transcoding`): what it sends
//!   is a stream of the SBC's own, which events and tones must join. Installing or
//!   removing transcoding hands the conversion over between the two steps, from the legs
//!   kept here.
//!
//! Building blocks, each with its tests: [`payload`] (the RFC 4733 payload), [`receive`]
//! (events folded into digits), [`detect`] (Goertzel detector), [`tone`] (Q.23
//! generator), [`play`] (digits played on the engine's clock), `numbering` (sequence
//! numbers kept gapless). Nothing here allocates per packet; a digit's report is queued
//! in room allocated with the shard and becomes an event (with its fork's tag) only when
//! the control plane polls it. Digits print masked ([`sbc_core::Digit`]).

pub mod detect;
mod numbering;
pub mod payload;
pub mod play;
pub mod receive;
pub mod tone;
pub(crate) mod transform;

use std::time::Instant;

use sbc_core::dtmf::Delivery;
use sbc_core::{Digit, DtmfLeg, DtmfWay, HeardDigit, MediaEvent, Side, StreamKey};

pub use transform::DtmfTransform;
#[cfg(feature = "transcoding")]
pub(crate) use transform::own_ssrc;

use crate::shard::Shard;
use crate::stream::ix;
use crate::{OpError, PtMap};

impl Shard {
    /// How `side`'s leg of `stream` carries DTMF; with both legs known, sets up both
    /// directions (see the module docs).
    pub fn set_dtmf(&mut self, stream: StreamKey, side: Side, leg: DtmfLeg) -> Result<(), OpError> {
        let legs = {
            let s = self.stream_mut(stream)?;
            s.dtmf[ix(side)] = Some(leg);
            s.dtmf.clone()
        };
        for toward in [Side::A, Side::B] {
            let (Some(from), Some(to)) = (&legs[ix(toward.other())], &legs[ix(toward)]) else {
                continue;
            };
            self.install_dtmf(stream, toward, from, to)?;
        }
        Ok(())
    }

    pub(crate) fn install_dtmf(
        &mut self,
        stream: StreamKey,
        toward: Side,
        from: &DtmfLeg,
        to: &DtmfLeg,
    ) -> Result<(), OpError> {
        let mut map = PtMap::default();
        if from.way == DtmfWay::Events && to.way == DtmfWay::Events {
            for e in from.send.iter().chain(from.receive.iter()) {
                if let Some(t) = to.receive_at(e.clock_rate) {
                    map.set(e.pt, t.pt)
                        .map_err(|bad| OpError::PayloadType { stream, pt: bad.pt })?;
                }
            }
        }
        self.set_payload_types(stream, toward, map)?;
        let converts = transform::converts(from.way, to.way);
        #[cfg(feature = "transcoding")]
        if let Some(t) = self.transcode_step(stream, toward) {
            // A transcoded side: its step converts (events on both legs: it relays them).
            return t
                .set_dtmf(from.clone(), to.clone())
                .map_err(|_| crate::transcode::unsupported(stream));
        }
        let current = self.dtmf_transform(stream, toward);
        match (converts, current) {
            (true, Some(t)) => t.update(from.clone(), to.clone()),
            (true, None) => {
                let t = DtmfTransform::new(stream, toward, from.clone(), to.clone());
                self.set_transform(stream, toward, Some(Box::new(t)))?;
            }
            (false, Some(_)) => {
                self.set_transform(stream, toward, None)?;
            }
            (false, None) => {}
        }
        Ok(())
    }

    /// The legs digits travel between towards `toward` (the other side's, then this
    /// side's), once both are known.
    #[cfg(feature = "transcoding")]
    pub(crate) fn dtmf_legs(
        &mut self,
        stream: StreamKey,
        toward: Side,
    ) -> Result<Option<(DtmfLeg, DtmfLeg)>, OpError> {
        let s = self.stream_mut(stream)?;
        let from = s.dtmf[ix(toward.other())].clone();
        let to = s.dtmf[ix(toward)].clone();
        Ok(from.zip(to))
    }

    /// The DTMF step installed towards `toward`, if any.
    fn dtmf_transform(&mut self, stream: StreamKey, toward: Side) -> Option<&mut DtmfTransform> {
        let s = self.stream_mut(stream).ok()?;
        s.side_mut(toward)
            .egress
            .transform
            .as_mut()?
            .as_any_mut()?
            .downcast_mut::<DtmfTransform>()
    }

    /// Plays `digit` towards `toward`'s peer (a SIP INFO of the other leg).
    pub fn play_digit(
        &mut self,
        now: Instant,
        stream: StreamKey,
        toward: Side,
        digit: Digit,
        ms: u32,
    ) -> Result<(), OpError> {
        self.stream_mut(stream)?;
        let refused = OpError::Unsupported {
            stream,
            what: "playing digits towards a side that takes none from the other",
        };
        #[cfg(feature = "transcoding")]
        if let Some(t) = self.transcode_step(stream, toward) {
            if !t.takes_digits() {
                return Err(refused);
            }
            return t
                .play(now, digit, ms)
                .map_err(|_| OpError::DigitQueueFull { stream });
        }
        let t = self
            .dtmf_transform(stream, toward)
            .filter(|t| t.takes_digits())
            .ok_or(refused)?;
        t.play(now, digit, ms)
            .map_err(|_| OpError::DigitQueueFull { stream })
    }

    /// The next digit a transform reported, as an event (with B's relayed early dialog
    /// when an INFO must go there).
    pub(crate) fn digit_event(&mut self) -> Option<MediaEvent> {
        let q = self.tx.pop_digit()?;
        let fork = match self.streams.get(q.slot) {
            Some(Some(s)) if s.key == q.key && q.toward == Side::B => {
                let b = &s.sides[1];
                let info = q.report.delivery == Delivery::Info;
                (info && !b.answered)
                    .then(|| b.target().and_then(|p| p.fork.clone()))
                    .flatten()
            }
            _ => None,
        };
        Some(MediaEvent::Digit {
            stream: q.key,
            digit: HeardDigit {
                from: q.toward.other(),
                digit: q.report.digit,
                duration_ms: q.report.duration_ms,
                heard: q.report.heard,
                delivery: q.report.delivery,
                fork,
            },
        })
    }
}
