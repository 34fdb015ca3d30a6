//! DTMF interworking on a transcoded side ([`TranscodeDtmf`], owned by the side's
//! [`TranscodeTransform`](crate::transcode::TranscodeTransform)): towards a transcoded
//! side the SBC is the sender, so the digits it converts must join the transcoder's own
//! stream rather than a relayed one.
//!
//! | the other side carries | this side wants | what the step does |
//! |---|---|---|
//! | RFC 4733 events | SIP INFO | events taken out of the input (never transcoded), each digit reported at its first end packet ([`Delivery::Info`]: the control plane sends the INFO); the audio keeps being transcoded |
//! | RFC 4733 events | nothing | events taken out, digits reported [`Delivery::Dropped`] |
//! | SIP INFO | RFC 4733 events | digits of [`MediaOp::PlayDigit`](sbc_core::MediaOp::PlayDigit) played as events on the transcoder's stream: its SSRC, sequence numbers gapless with its audio, the event's timestamp the stream's timestamp at the digit's start, durations in the output clock (8000 for PCMA/PCMU/G.722, 48000 for Opus), the end packet sent three times (RFC 4733 §2.5.1.4); the transcoded audio is held back while a digit plays (§2.5) |
//!
//! Events on both legs need no conversion: the transcoder carries them across itself
//! (renumbered, on the output clock). In-band tones on a transcoded leg are not
//! converted: the offer/answer side does not transcode such calls, and the engine
//! refuses the combination ([`Unsupported`]).

use std::time::Instant;

use sbc_core::dtmf::{Delivery, Heard};
use sbc_core::{Digit, DtmfLeg, DtmfWay};

use crate::dtmf::payload::EventPayload;
use crate::dtmf::play::{Numberer, Output, Player};
use crate::dtmf::receive::EventReceiver;
use crate::packet::RtpHeader;
use crate::transmit::DigitReport;
use crate::{Emit, StepError};

/// A DTMF conversion the transcoding step does not make (in-band tones on either leg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Digits converted on one transcoded side (see the module docs).
#[derive(Debug)]
pub struct TranscodeDtmf {
    /// The sender's leg (the other side).
    from: DtmfLeg,
    /// This side's leg.
    to: DtmfLeg,
    /// The clock of this side's stream (the transcoder's output).
    clock: u32,
    events: EventReceiver,
    player: Player,
}

impl TranscodeDtmf {
    /// The conversion from `from`'s leg to `to`'s on a side whose transcoded stream runs
    /// at `clock` Hz; `Ok(None)`: digits need no conversion here.
    pub fn new(from: DtmfLeg, to: DtmfLeg, clock: u32) -> Result<Option<Self>, Unsupported> {
        let mut t = TranscodeDtmf {
            from: to.clone(),
            to: to.clone(),
            clock,
            events: EventReceiver::default(),
            player: Player::default(),
        };
        Ok(t.update(from, to)?.then_some(t))
    }

    /// New legs after an offer/answer (digits in progress carry on); `Ok(false)`: digits
    /// need no conversion any more.
    pub fn update(&mut self, from: DtmfLeg, to: DtmfLeg) -> Result<bool, Unsupported> {
        let converts = match (from.way, to.way) {
            (DtmfWay::Events, DtmfWay::Info | DtmfWay::None) => true,
            (DtmfWay::Info, DtmfWay::Events) => true,
            (DtmfWay::Inband, DtmfWay::Events | DtmfWay::Info) => return Err(Unsupported),
            (DtmfWay::Info, DtmfWay::Inband) | (DtmfWay::Events, DtmfWay::Inband) => {
                return Err(Unsupported);
            }
            _ => false,
        };
        self.from = from;
        self.to = to;
        Ok(converts)
    }

    /// Whether this side takes digits the SBC plays.
    pub fn takes_digits(&self) -> bool {
        self.output().is_some()
    }

    /// Queues `digit` to play towards this side for `ms` milliseconds.
    pub fn play(&mut self, now: Instant, digit: Digit, ms: u32) -> Result<(), StepError> {
        self.player.push(now, digit, Some(ms))
    }

    /// Whether a digit plays now (the transcoded audio waits meanwhile).
    pub fn playing(&self) -> bool {
        self.player.playing()
    }

    /// How digits are played towards this side: its telephone-event at the stream's
    /// clock (else the first it takes).
    fn output(&self) -> Option<Output> {
        if self.to.way != DtmfWay::Events || self.from.way != DtmfWay::Info {
            return None;
        }
        let e = self
            .to
            .receive_at(self.clock)
            .or_else(|| self.to.receive.first().copied())?;
        Some(Output::Events {
            pt: e.pt,
            rate: e.clock_rate,
        })
    }

    /// The sender's packet `h` (its bytes `data`) if it is a telephone-event this step
    /// turns into a digit: `None` when it is not one (it goes to the transcoder), else
    /// what became of it (it goes no further either way).
    pub fn input(
        &mut self,
        now: Instant,
        data: &[u8],
        h: &RtpHeader,
        emit: &mut Emit<'_>,
    ) -> Option<Result<(), StepError>> {
        if self.from.way != DtmfWay::Events {
            return None;
        }
        let rate = self.from.event(h.payload_type)?.clock_rate;
        Some(self.event(now, data, h, rate, emit))
    }

    fn event(
        &mut self,
        now: Instant,
        data: &[u8],
        h: &RtpHeader,
        rate: u32,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        let payload = data
            .get(h.payload_offset..h.payload_offset + h.payload_len)
            .unwrap_or_default();
        let event = EventPayload::parse(payload).map_err(|_| StepError::Malformed {
            what: "telephone-event payload shorter than 4 bytes",
        })?;
        let digit = Digit::from_code(event.event).ok_or(StepError::Malformed {
            what: "telephone-event code out of range",
        })?;
        let out = self
            .events
            .packet(now, h.ssrc, h.timestamp, h.marker, event, digit, rate);
        for e in out.ended.into_iter().flatten() {
            self.report(e.digit, e.duration_ms, emit)?;
        }
        Ok(())
    }

    fn report(&self, digit: Digit, ms: u32, emit: &mut Emit<'_>) -> Result<(), StepError> {
        let delivery = match self.to.way {
            DtmfWay::Info => Delivery::Info,
            _ => Delivery::Dropped,
        };
        emit.digit(DigitReport {
            digit,
            duration_ms: ms,
            heard: Heard::Events,
            delivery,
        })
    }

    /// When [`on_timeout`](Self::on_timeout) must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.events.poll_timeout(), self.player.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// An event whose end never came is reported; digits due are played into `emit` on
    /// `stream` (the transcoder's numbering).
    pub fn on_timeout(
        &mut self,
        now: Instant,
        stream: &mut impl Numberer,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        if let Some(e) = self.events.on_timeout(now) {
            self.report(e.digit, e.duration_ms, emit)?;
        }
        let output = self.output();
        self.player.tick(now, stream, output, emit)
    }
}
