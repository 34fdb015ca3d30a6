//! DTMF interworking on a transcoded side ([`TranscodeDtmf`], owned by the side's
//! [`TranscodeTransform`](crate::transcode::TranscodeTransform)): towards a transcoded
//! side the SBC is the sender, so the digits it converts must join the transcoder's own
//! stream rather than a relayed one, and tones live in the PCM the transcoder decodes
//! and encodes.
//!
//! | the other side carries | this side wants | what the step does |
//! |---|---|---|
//! | RFC 4733 events | SIP INFO | events taken out of the input (never transcoded), each digit reported at its first end packet ([`Delivery::Info`](sbc_core::dtmf::Delivery::Info): the control plane sends the INFO); the audio keeps being transcoded |
//! | RFC 4733 events | in-band | events taken out; from an event's first packet to its end the digit's Q.23 tone is encoded in place of the input's audio ([`Output::Pcm`]: 20 ms of tone PCM per frame, at the rate the transcoder encodes from, into whatever codec this side speaks), at least [`MIN_MS`](crate::dtmf::play::MIN_MS) |
//! | RFC 4733 events | nothing | events taken out, digits reported [`Delivery::Dropped`](sbc_core::dtmf::Delivery::Dropped) |
//! | SIP INFO | RFC 4733 events | digits of [`MediaOp::PlayDigit`](sbc_core::MediaOp::PlayDigit) played as events on the transcoder's stream: its SSRC, sequence numbers gapless with its audio, the event's timestamp the stream's timestamp at the digit's start, durations in the output clock (8000 for PCMA/PCMU/G.722, 48000 for Opus), the end packet sent three times (RFC 4733 §2.5.1.4); the transcoded audio is held back while a digit plays (§2.5) |
//! | SIP INFO | in-band | the INFO's digit encoded as its tone for its `Duration` (at least 40 ms), in place of the input's audio |
//! | in-band | RFC 4733 events | the detector ([`ToneDetector`](crate::dtmf::detect::ToneDetector), Q.24 limits) hears the decoded input at the decoding rate inside the transcoder (`transcode_inband.rs`); a digit's events start at the output timestamp of the tone's first sample and end with the tone, or [`FLUSH_AFTER`] after the sender's audio stops mid-tone (hold, DTX without CN, the end of the stream), or after [`MAX_HEARD`]; the audio is held back while they play, so the tone (after detection) does not reach this side as audio too (as on a relayed stream: RFC 4733 §2.5) |
//! | in-band | SIP INFO | likewise heard (and ended); one INFO per digit when its tone ends, with the tone's measured duration; the audio, tone included, keeps being transcoded (as on a relayed stream) |
//!
//! Events on both legs need no conversion: the transcoder carries them across itself
//! (renumbered, on the output clock); tones on both legs cross as audio.
//!
//! Whether a heard tone is taken out of the audio follows the relayed path
//! (`dtmf/transform.rs`), for the same reasons: towards an RFC 4733 leg the audio is held
//! back from detection to the tone's end, because RFC 4733 §2.5 wants no audio beside an
//! event and a receiver given both the events and the tone may count the digit twice
//! (what leaks is the 26–40 ms before detection: cutting that too would mean delaying every
//! packet by a detector's latency); towards a SIP INFO leg the audio goes on untouched,
//! the digit travelling in signalling and nothing on the stream standing for it.

use std::time::{Duration, Instant};

use sbc_core::dtmf::Heard;
use sbc_core::{Digit, DtmfLeg, DtmfWay};

use crate::dtmf::play::{Numberer, Output, Player};
use crate::dtmf::receive::EventReceiver;
use crate::dtmf::transform::{digit_ended, fold_event};
use crate::packet::RtpHeader;
use crate::transcode::FLUSH_AFTER;
use crate::transcode_inband::HeardTone;
use crate::{Emit, StepError};

/// The longest a digit heard in the other side's audio may last: its end is reported
/// then even though its tone goes on (as long as RFC 4733 events' own timeout allows a
/// sender's events no end packet for).
pub const MAX_HEARD: Duration = Duration::from_secs(5);

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
    /// A digit heard starting in the other side's audio whose end was not heard yet, and
    /// when its start was.
    live: Option<(Digit, Instant)>,
    /// When decoded audio last came in for the detector (a packet, or a tick of a pause).
    heard_until: Option<Instant>,
    /// A digit ended here (no audio came, or it lasted too long) whose end the detector
    /// has still to say: that end is not reported again.
    ended_early: Option<Digit>,
}

/// Whether digits from a leg carrying them `from` to a transcoded side wanting them `to`
/// need converting (events on both legs are carried by the transcoder, tones on both
/// cross as audio).
fn converts(from: DtmfWay, to: DtmfWay) -> bool {
    match from {
        DtmfWay::Events => to != DtmfWay::Events,
        DtmfWay::Info => matches!(to, DtmfWay::Events | DtmfWay::Inband),
        DtmfWay::Inband => matches!(to, DtmfWay::Events | DtmfWay::Info),
        DtmfWay::None => false,
    }
}

impl TranscodeDtmf {
    /// The conversion from `from`'s leg to `to`'s on a side whose transcoded stream runs
    /// at `clock` Hz; `None`: digits need no conversion here.
    pub fn new(from: DtmfLeg, to: DtmfLeg, clock: u32) -> Option<Self> {
        let mut t = TranscodeDtmf {
            from: to.clone(),
            to: to.clone(),
            clock,
            events: EventReceiver::default(),
            player: Player::default(),
            live: None,
            heard_until: None,
            ended_early: None,
        };
        t.update(from, to).then_some(t)
    }

    /// New legs after an offer/answer (digits in progress carry on); `false`: digits
    /// need no conversion any more.
    pub fn update(&mut self, from: DtmfLeg, to: DtmfLeg) -> bool {
        let converts = converts(from.way, to.way);
        self.from = from;
        self.to = to;
        converts
    }

    /// Whether the other side's decoded audio must be listened to for tones.
    pub fn hears_tones(&self) -> bool {
        self.from.way == DtmfWay::Inband
    }

    /// Audio for the detector came in at `now` (a packet of the other side, or a tick of
    /// its pause): a digit heard starting lives on while it does (see
    /// [`on_timeout`](Self::on_timeout)).
    pub fn audio_in(&mut self, now: Instant) {
        self.heard_until = Some(now);
    }

    /// When the live digit heard in the audio ends for want of audio ([`FLUSH_AFTER`]
    /// after the last, the time the transcoder takes the sender to have stopped), or for
    /// having lasted [`MAX_HEARD`].
    fn live_deadline(&self) -> Option<Instant> {
        let (_, start) = self.live?;
        let last = self.heard_until.map_or(start, |h| h.max(start));
        Some((last + FLUSH_AFTER).min(start + MAX_HEARD))
    }

    /// Whether this side takes digits the SBC plays.
    pub fn takes_digits(&self) -> bool {
        self.output().is_some()
    }

    /// Queues `digit` to play towards this side for `ms` milliseconds.
    pub fn play(&mut self, now: Instant, digit: Digit, ms: u32) -> Result<(), StepError> {
        self.player.push(now, digit, Some(ms))
    }

    /// Whether events play now: the transcoded audio waits meanwhile (RFC 4733 §2.5).
    pub fn holds_audio(&self) -> bool {
        matches!(self.player.playing_output(), Some(Output::Events { .. }))
    }

    /// Whether a tone plays now: it takes the place of the input's audio, which is not
    /// transcoded meanwhile.
    pub fn replaces_audio(&self) -> bool {
        self.player.playing_output() == Some(Output::Pcm)
    }

    /// How digits are played towards this side: its telephone-event at the stream's
    /// clock (else the first it takes), or tones in its audio.
    fn output(&self) -> Option<Output> {
        match (self.from.way, self.to.way) {
            (DtmfWay::Info | DtmfWay::Inband, DtmfWay::Events) => {
                let e = self
                    .to
                    .receive_at(self.clock)
                    .or_else(|| self.to.receive.first().copied())?;
                Some(Output::Events {
                    pt: e.pt,
                    rate: e.clock_rate,
                })
            }
            (DtmfWay::Info | DtmfWay::Events, DtmfWay::Inband) => Some(Output::Pcm),
            _ => None,
        }
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
        let payload = data
            .get(h.payload_offset..h.payload_offset + h.payload_len)
            .unwrap_or_default();
        let live = self.output().filter(|_| self.to.way == DtmfWay::Inband);
        Some(fold_event(
            (&mut self.events, &mut self.player),
            self.to.way,
            live,
            now,
            (h, payload, rate),
            emit,
        ))
    }

    /// What the detector heard in the other side's decoded audio.
    pub fn heard(
        &mut self,
        now: Instant,
        tone: HeardTone,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        match tone {
            HeardTone::Started { digit, timestamp } => {
                self.ended_early = None;
                self.live = Some((digit, now));
                if let Some(output) = self.output().filter(|_| self.to.way == DtmfWay::Events) {
                    self.player.start_live(now, digit, timestamp, output);
                }
                Ok(())
            }
            HeardTone::Ended { digit, .. } if self.ended_early == Some(digit) => {
                // Ended here already, for silence or length.
                self.ended_early = None;
                Ok(())
            }
            HeardTone::Ended { digit, ms } => {
                self.live = None;
                digit_ended(
                    &mut self.player,
                    self.to.way,
                    now,
                    (digit, ms, Heard::Tone),
                    emit,
                )
            }
        }
    }

    /// When [`on_timeout`](Self::on_timeout) must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.events.poll_timeout(),
            self.player.poll_timeout(),
            self.live_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// An event whose end never came is reported, and so is a digit heard in the audio
    /// once no audio came for [`FLUSH_AFTER`] (hold, DTX without CN, the end of the
    /// stream) or after [`MAX_HEARD`] (its length: up to its last audio); digits due are
    /// played into `emit` on `stream` (the transcoder's numbering, and its audio for
    /// tones).
    pub fn on_timeout(
        &mut self,
        now: Instant,
        stream: &mut impl Numberer,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        if let Some(e) = self.events.on_timeout(now) {
            digit_ended(
                &mut self.player,
                self.to.way,
                now,
                (e.digit, e.duration_ms, Heard::Events),
                emit,
            )?;
        }
        if let Some((digit, start)) = self.live
            && self.live_deadline().is_some_and(|at| now >= at)
        {
            self.live = None;
            self.ended_early = Some(digit);
            let last = self.heard_until.map_or(start, |h| h.clamp(start, now));
            let ms = u32::try_from(last.duration_since(start).as_millis()).unwrap_or(u32::MAX);
            digit_ended(
                &mut self.player,
                self.to.way,
                now,
                (digit, ms, Heard::Tone),
                emit,
            )?;
        }
        let output = self.output();
        self.player.tick(now, stream, output, emit)
    }
}
