//! The DTMF step towards one side of a stream ([`DtmfTransform`]): what becomes of the
//! digits the other side's peer sends, and the digits the SBC plays to this side.
//!
//! | the sender carries | this side wants | packets from the sender | digits |
//! |---|---|---|---|
//! | events | sip-info | events removed, audio relayed | reported at their first end packet ([`Delivery::Info`]: the control plane sends INFO) |
//! | events | inband | events removed; audio suppressed while the tone plays | played as tones from the event's first packet until its end |
//! | events | none | events removed | reported [`Delivery::Dropped`] |
//! | inband | events | audio relayed until a digit is heard, suppressed while its events play | events from detection to the tone's end |
//! | inband | sip-info | audio relayed | reported when the tone ends |
//! | sip-info | events or inband | audio relayed but while a digit plays | what `MediaOp::PlayDigit` asks for |
//!
//! (Events on both sides need no step: they are relayed, their payload type renumbered.)
//! Sequence numbers towards the side are kept gapless ([`Numbering`]). A telephone-event
//! that is too short or carries a code above 15 is dropped and counted (the step fails
//! for that packet).

use std::time::Instant;

use sbc_codec::Law;
use sbc_core::dtmf::{Delivery, G711, Heard};
use sbc_core::{Digit, DtmfLeg, DtmfWay, Side, StreamKey};

use super::detect::{Detection, ToneDetector};
use super::numbering::Numbering;
use super::payload::EventPayload;
use super::play::{Output, Player};
use super::receive::EventReceiver;
use crate::packet::{Packet, RtpHeader};
use crate::transmit::DigitReport;
use crate::{Action, Emit, StepError, Transform, TransformCtx};

/// Samples decoded at a time for the detector.
const CHUNK: usize = 160;

/// Whether digits from a leg carrying them `from` to one that wants them `to` need the
/// step (events on both sides are only renumbered).
pub(crate) fn converts(from: DtmfWay, to: DtmfWay) -> bool {
    match from {
        DtmfWay::Events => to != DtmfWay::Events,
        DtmfWay::Inband => matches!(to, DtmfWay::Events | DtmfWay::Info),
        DtmfWay::Info => matches!(to, DtmfWay::Events | DtmfWay::Inband),
        DtmfWay::None => false,
    }
}

pub(crate) fn law(g: G711) -> Law {
    match g {
        G711::Ulaw => Law::Ulaw,
        G711::Alaw => Law::Alaw,
    }
}

/// The DTMF step towards one side (see the module docs).
#[derive(Debug)]
pub struct DtmfTransform {
    /// The sender's leg (the other side).
    from: DtmfLeg,
    /// This side's leg.
    to: DtmfLeg,
    numbering: Numbering,
    events: EventReceiver,
    detector: Option<ToneDetector>,
    player: Player,
    scratch: [i16; CHUNK],
}

/// An SSRC of the SBC's own for a stream side, until the sender's is known.
pub(crate) fn own_ssrc(key: StreamKey, toward: Side) -> u32 {
    let mut x = key.call ^ (u64::from(key.index) << 48) ^ u64::from(toward == Side::B);
    // splitmix64's finaliser: spreads sequential call numbers.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as u32
}

impl DtmfTransform {
    pub(crate) fn new(key: StreamKey, toward: Side, from: DtmfLeg, to: DtmfLeg) -> Self {
        let rate = to.audio.first().map_or(8000, |a| a.clock_rate);
        let mut t = DtmfTransform {
            from: to.clone(),
            to: to.clone(),
            numbering: Numbering::new(own_ssrc(key, toward), rate),
            events: EventReceiver::default(),
            detector: None,
            player: Player::default(),
            scratch: [0; CHUNK],
        };
        t.update(from, to);
        t
    }

    /// New legs after an offer/answer; the numbering and digits in progress carry on.
    pub(crate) fn update(&mut self, from: DtmfLeg, to: DtmfLeg) {
        let hears = from.way == DtmfWay::Inband;
        if hears && self.detector.is_none() {
            self.detector = Some(ToneDetector::new());
        } else if !hears {
            self.detector = None;
        }
        self.from = from;
        self.to = to;
    }

    /// Whether this side takes digits the SBC plays (events or tones).
    pub(crate) fn takes_digits(&self) -> bool {
        self.output().is_some()
    }

    /// Queues `digit` to play towards this side for `ms` milliseconds.
    pub(crate) fn play(&mut self, now: Instant, digit: Digit, ms: u32) -> Result<(), StepError> {
        self.player.push(now, digit, Some(ms))
    }

    /// How a digit is played towards this side now.
    fn output(&self) -> Option<Output> {
        match self.to.way {
            DtmfWay::Events => {
                let e = self
                    .to
                    .receive_at(self.numbering.rate)
                    .or_else(|| self.to.receive.first().copied())?;
                Some(Output::Events {
                    pt: e.pt,
                    rate: e.clock_rate,
                })
            }
            DtmfWay::Inband => {
                let current = self.numbering.audio_pt.and_then(|pt| {
                    let a = self.to.audio(pt).or_else(|| self.from.audio(pt))?;
                    Some((pt, a.g711?))
                });
                let (pt, g) =
                    current.or_else(|| self.to.audio.iter().find_map(|a| Some((a.pt, a.g711?))))?;
                Some(Output::Tone { pt, law: law(g) })
            }
            DtmfWay::Info | DtmfWay::None => None,
        }
    }

    /// A digit heard from the sender ended: reported, and ends its live tone/events.
    fn ended(
        &mut self,
        now: Instant,
        digit: Digit,
        ms: u32,
        heard: Heard,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        digit_ended(&mut self.player, self.to.way, now, (digit, ms, heard), emit)
    }

    fn event_packet(
        &mut self,
        cx: &mut TransformCtx<'_, '_>,
        h: &RtpHeader,
        rate: u32,
    ) -> Result<Action, StepError> {
        // The packet goes no further, whatever it holds.
        self.numbering.remove();
        let payload = cx
            .buf
            .data()
            .get(h.payload_offset..h.payload_offset + h.payload_len)
            .unwrap_or_default();
        let live = self.output().filter(|_| self.to.way == DtmfWay::Inband);
        let way = self.to.way;
        fold_event(
            (&mut self.events, &mut self.player),
            way,
            live,
            cx.now,
            (h, payload, rate),
            &mut cx.emit,
        )?;
        Ok(Action::Consume)
    }

    /// Feeds G.711 audio to the detector and acts on what it heard.
    fn hear(
        &mut self,
        cx: &mut TransformCtx<'_, '_>,
        h: &RtpHeader,
        law: Law,
    ) -> Result<(), StepError> {
        let Some(detector) = self.detector.as_mut() else {
            return Ok(());
        };
        let base = detector.samples();
        let mut found = [None; 8];
        let mut n = 0;
        let payload = cx
            .buf
            .data()
            .get(h.payload_offset..h.payload_offset + h.payload_len)
            .unwrap_or_default();
        for chunk in payload.chunks(CHUNK) {
            let k = law.decode_into(chunk, &mut self.scratch);
            detector.feed(&self.scratch[..k], |d| {
                if let Some(slot) = found.get_mut(n) {
                    *slot = Some(d);
                    n += 1;
                }
            });
        }
        for d in found.into_iter().flatten() {
            match d {
                Detection::Started { digit, at } => {
                    if self.to.way == DtmfWay::Events {
                        if let Some(output) = self.output() {
                            // Samples before this packet: a timestamp behind its own.
                            let back = base.wrapping_sub(at) as u32;
                            let ts = h.timestamp.wrapping_sub(back);
                            self.player.start_live(cx.now, digit, ts, output);
                        }
                    }
                }
                Detection::Ended { digit, samples } => {
                    let ms = detector_ms(samples);
                    self.ended(cx.now, digit, ms, Heard::Tone, &mut cx.emit)?;
                }
            }
        }
        Ok(())
    }
}

/// Milliseconds of `samples` at 8 kHz.
fn detector_ms(samples: u64) -> u32 {
    u32::try_from(samples / 8).unwrap_or(u32::MAX)
}

/// What becomes of a digit heard from the sender on a side that wants digits `to`.
pub(crate) fn delivery(to: DtmfWay) -> Delivery {
    match to {
        DtmfWay::Info => Delivery::Info,
        DtmfWay::Events => Delivery::Events,
        DtmfWay::Inband => Delivery::Tone,
        DtmfWay::None => Delivery::Dropped,
    }
}

/// A digit heard from the sender (`digit`, lasting `ms`, heard as `heard`) ended, on a
/// side that wants digits `to`: its live tone/events told its length (or, its start
/// unheard, the digit queued whole), and the digit reported.
pub(crate) fn digit_ended(
    player: &mut Player,
    to: DtmfWay,
    now: Instant,
    (digit, ms, heard): (Digit, u32, Heard),
    emit: &mut Emit<'_>,
) -> Result<(), StepError> {
    let delivery = delivery(to);
    if matches!(delivery, Delivery::Tone | Delivery::Events) && !player.stop(ms) {
        // Its start went unheard (the step came mid-digit): play it whole.
        player.push(now, digit, Some(ms))?;
    }
    emit.digit(DigitReport {
        digit,
        duration_ms: ms,
        heard,
        delivery,
    })
}

/// One telephone-event packet of the sender (`h`, its `payload`, its clock `rate`)
/// folded into digits for a side that wants digits `to`: a digit's start played live
/// as `live` (a tone, while the event lasts), each end handed to [`digit_ended`].
pub(crate) fn fold_event(
    (events, player): (&mut EventReceiver, &mut Player),
    to: DtmfWay,
    live: Option<Output>,
    now: Instant,
    (h, payload, rate): (&RtpHeader, &[u8], u32),
    emit: &mut Emit<'_>,
) -> Result<(), StepError> {
    let event = EventPayload::parse(payload).map_err(|_| StepError::Malformed {
        what: "telephone-event payload shorter than 4 bytes",
    })?;
    let digit = Digit::from_code(event.event).ok_or(StepError::Malformed {
        what: "telephone-event code out of range",
    })?;
    let out = events.packet(now, h.ssrc, h.timestamp, h.marker, event, digit, rate);
    // The new event's own end (a packet that is a whole event) comes after its start.
    let mut ends = out.ended;
    let own_end = if out.started.is_some() && event.end {
        ends.iter_mut().rev().find_map(Option::take)
    } else {
        None
    };
    for e in ends.into_iter().flatten() {
        digit_ended(
            player,
            to,
            now,
            (e.digit, e.duration_ms, Heard::Events),
            emit,
        )?;
    }
    if let (Some(s), Some(output)) = (out.started, live) {
        player.start_live(now, s.digit, s.timestamp, output);
    }
    if let Some(e) = own_end {
        digit_ended(
            player,
            to,
            now,
            (e.digit, e.duration_ms, Heard::Events),
            emit,
        )?;
    }
    Ok(())
}

impl Transform for DtmfTransform {
    fn name(&self) -> &'static str {
        "dtmf"
    }

    fn packet(&mut self, cx: &mut TransformCtx<'_, '_>) -> Result<Action, StepError> {
        let Packet::Rtp(h) = cx.packet else {
            return Ok(Action::Forward);
        };
        if self.from.way == DtmfWay::Events {
            if let Some(e) = self.from.event(h.payload_type) {
                return self.event_packet(cx, &h, e.clock_rate);
            }
        }
        let audio = self.from.audio(h.payload_type);
        self.numbering
            .observe(cx.now, &h, audio.map(|a| a.clock_rate));
        if let Some(g) = audio.and_then(|a| a.g711) {
            self.hear(cx, &h, law(g))?;
        }
        if self.player.playing() {
            self.numbering.remove();
            return Ok(Action::Consume);
        }
        self.numbering.forward(cx.buf.data_mut(), &h);
        Ok(Action::Forward)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match (self.events.poll_timeout(), self.player.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_timeout(&mut self, now: Instant, emit: &mut Emit<'_>) -> Result<(), StepError> {
        if let Some(e) = self.events.on_timeout(now) {
            self.ended(now, e.digit, e.duration_ms, Heard::Events, emit)?;
        }
        let output = self.output();
        self.player.tick(now, &mut self.numbering, output, emit)
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}
