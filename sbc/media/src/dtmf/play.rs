//! Playing digits towards a side: RFC 4733 events (§2.5.1) or Q.23 tones in G.711, one
//! 20 ms frame at a time on the engine's clock ([`MediaTimer::Transform`]); towards a
//! transcoded side tones go into its PCM instead ([`Output::Pcm`], [`Numberer::tone`]):
//! the transcoder encodes them into whatever codec the side speaks.
//!
//! Events: every packet of a digit carries its start timestamp and a duration that grows
//! by a frame per packet (in the stream's clock units: x6 at 48 kHz), the first has the
//! marker bit, the last is sent three times with the E bit. A digit longer than the
//! 16-bit duration field continues in segments (§2.5.1.3). Tones: 160 samples per packet
//! in the audio's payload type, timestamps advancing by 160.
//!
//! Digits wait in a bounded queue ([`QUEUE`]) and play one after another, [`GAP`] apart
//! (Q.24's minimum pause). A digit is either of a known length (a SIP INFO's `Duration`)
//! or live: it plays until [`Player::stop`] says how long it lasted (an event or tone
//! still being received on the other leg). While a digit plays, the side's audio is
//! suppressed (RFC 4733 §2.5); packets join the side's stream through a [`Numberer`]: the
//! relayed sender's numbering (`Numbering`), or the transcoder's own stream (its SSRC,
//! sequence numbers shared with its audio, timestamps at its output clock).
//!
//! [`MediaTimer::Transform`]: crate::MediaTimer::Transform

use std::time::{Duration, Instant};

use sbc_codec::Law;
use sbc_core::Digit;

use super::payload::EventPayload;
use super::tone::ToneGen;
use crate::{Emit, StepError};

/// One packet every 20 ms.
pub const FRAME: Duration = Duration::from_millis(20);
/// Pause between two digits.
pub const GAP: Duration = Duration::from_millis(40);
/// Digits waiting at most.
pub const QUEUE: usize = 16;
/// The shortest digit played (Q.24 accepts 40 ms).
pub const MIN_MS: u32 = 40;
/// Volume of the events sent, -dBm0.
const VOLUME: u8 = 10;
const TONE_SAMPLES: usize = 160;

/// The stream the packets of a [`Player`] join: who gives them their SSRC, sequence
/// numbers and the stream's timestamp at a moment.
pub trait Numberer {
    /// The SSRC the side's stream carries now.
    fn ssrc(&self) -> u32;
    /// The next sequence number of the side's stream, taken by a packet of the SBC's own.
    fn add(&mut self) -> u16;
    /// The side's stream's RTP timestamp at `now` (its clock).
    fn timestamp_at(&mut self, now: Instant) -> u32;
    /// A packet of the SBC's own left with timestamp `ts` and `payload` bytes (for a
    /// stream that reports on what it sent). Default: nothing to count.
    fn sent(&mut self, now: Instant, ts: u32, payload: usize) {
        let _ = (now, ts, payload);
    }
    /// [`FRAME`] of `digit`'s tone, to be encoded into the side's audio by the stream
    /// itself ([`Output::Pcm`]); `first`: the digit's first frame. Default: this stream
    /// encodes no audio of its own (refused).
    fn tone(&mut self, now: Instant, digit: Digit, first: bool) -> Result<(), StepError> {
        let _ = (now, digit, first);
        Err(StepError::Malformed {
            what: "a tone for a stream that encodes no audio of its own",
        })
    }
}

/// How digits are played towards the side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// telephone-event payload type `pt` at `rate` Hz.
    Events { pt: u8, rate: u32 },
    /// G.711 audio of payload type `pt`.
    Tone { pt: u8, law: Law },
    /// Tones into the audio a transcoded side encodes itself ([`Numberer::tone`]).
    Pcm,
}

#[derive(Debug, Clone, Copy)]
struct Note {
    digit: Digit,
    /// `None`: live, until [`Player::stop`].
    ms: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Playing {
    digit: Digit,
    output: Output,
    /// When frame `frames` is due.
    next: Instant,
    frames: u32,
    /// The event's (or tone's first packet's) timestamp.
    timestamp: u32,
    /// Units of the segments before the current one (events).
    segment_base: u32,
    total_ms: Option<u32>,
    tone: ToneGen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Idle,
    Playing(Playing),
    /// Pause after a digit until then.
    Gap(Instant),
}

/// The digits to play towards one side.
#[derive(Debug, Clone)]
pub struct Player {
    queue: [Option<Note>; QUEUE],
    head: usize,
    len: usize,
    state: State,
    /// When a digit queued while idle may start.
    wake: Option<Instant>,
}

impl Default for Player {
    fn default() -> Self {
        Player {
            queue: [None; QUEUE],
            head: 0,
            len: 0,
            state: State::Idle,
            wake: None,
        }
    }
}

impl Player {
    /// Queues a digit of `ms` milliseconds (`None`: live, until [`stop`](Self::stop)).
    pub fn push(&mut self, now: Instant, digit: Digit, ms: Option<u32>) -> Result<(), StepError> {
        if self.len == QUEUE {
            return Err(StepError::QueueFull);
        }
        if self.wake.is_none() {
            self.wake = Some(now);
        }
        self.queue[(self.head + self.len) % QUEUE] = Some(Note {
            digit,
            ms: ms.map(|m| m.max(MIN_MS)),
        });
        self.len += 1;
        Ok(())
    }

    /// The live digit playing lasted `ms`: it ends when that is reached. `false` when no
    /// live digit plays (it was never started: the caller queues it instead).
    pub fn stop(&mut self, ms: u32) -> bool {
        match &mut self.state {
            State::Playing(p) if p.total_ms.is_none() => {
                p.total_ms = Some(ms.max(MIN_MS));
                true
            }
            _ => false,
        }
    }

    /// Whether a digit plays now (the side's audio is suppressed meanwhile).
    pub fn playing(&self) -> bool {
        matches!(self.state, State::Playing(_))
    }

    /// How the digit playing now is played, if one is.
    pub fn playing_output(&self) -> Option<Output> {
        match self.state {
            State::Playing(p) => Some(p.output),
            _ => None,
        }
    }

    /// Digits waiting or playing.
    pub fn busy(&self) -> bool {
        self.len > 0 || !matches!(self.state, State::Idle)
    }

    /// When [`tick`](Self::tick) must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Playing(p) => Some(p.next),
            State::Gap(until) => Some(until),
            State::Idle if self.len > 0 => self.wake,
            State::Idle => None,
        }
    }

    /// Plays what is due at `now` into `emit`, numbered by `numbering`; `output` says how a
    /// digit starting now is played (`None`: the side cannot take digits now: they wait).
    pub fn tick(
        &mut self,
        now: Instant,
        numbering: &mut impl Numberer,
        output: Option<Output>,
        emit: &mut Emit<'_>,
    ) -> Result<(), StepError> {
        loop {
            match self.state {
                State::Gap(until) if now >= until => self.state = State::Idle,
                State::Gap(_) => return Ok(()),
                State::Idle => {
                    self.wake = None;
                    let Some(output) = output else {
                        // Nothing to play them with: they would wait for ever.
                        self.clear();
                        return Ok(());
                    };
                    let Some(note) = self.pop() else {
                        return Ok(());
                    };
                    self.start(now, note, output, numbering);
                }
                State::Playing(mut p) => {
                    if p.next > now {
                        return Ok(());
                    }
                    let done = frame(now, &mut p, numbering, emit)?;
                    p.frames += 1;
                    p.next += FRAME;
                    self.state = if done {
                        let until = p.next - FRAME + GAP;
                        if self.len > 0 {
                            self.wake = Some(until);
                        }
                        State::Gap(until)
                    } else {
                        State::Playing(p)
                    };
                }
            }
        }
    }

    /// Forgets the digits waiting.
    pub fn clear(&mut self) {
        self.queue = [None; QUEUE];
        self.len = 0;
        self.wake = None;
    }

    fn pop(&mut self) -> Option<Note> {
        if self.len == 0 {
            return None;
        }
        let n = self.queue[self.head].take();
        self.head = (self.head + 1) % QUEUE;
        self.len -= 1;
        n
    }

    fn start(&mut self, now: Instant, note: Note, output: Output, numbering: &mut impl Numberer) {
        self.state = State::Playing(Playing {
            digit: note.digit,
            output,
            next: now,
            frames: 0,
            timestamp: numbering.timestamp_at(now),
            segment_base: 0,
            total_ms: note.ms,
            tone: ToneGen::new(note.digit),
        });
    }

    /// Starts a live digit at once, with the event timestamp `timestamp` (the start of the
    /// tone it stands for), ahead of anything queued.
    pub fn start_live(&mut self, now: Instant, digit: Digit, timestamp: u32, output: Output) {
        self.state = State::Playing(Playing {
            digit,
            output,
            next: now,
            frames: 0,
            timestamp,
            segment_base: 0,
            total_ms: None,
            tone: ToneGen::new(digit),
        });
    }
}

/// Sends frame `p.frames` of the digit; whether it was the last.
fn frame(
    now: Instant,
    p: &mut Playing,
    numbering: &mut impl Numberer,
    emit: &mut Emit<'_>,
) -> Result<bool, StepError> {
    let mut packet = [0u8; 12 + TONE_SAMPLES];
    match p.output {
        Output::Events { pt, rate } => {
            let frame_units = rate / 50;
            let total = p.total_ms.map(|ms| ms_to_units(ms, rate));
            let mut units = (p.frames + 1).saturating_mul(frame_units);
            let done = total.is_some_and(|t| units >= t);
            if let Some(t) = total.filter(|_| done) {
                // A live digit heard late may have run past its measured length: its end
                // never shortens what was sent (durations only grow, RFC 4733 §2.5.1.3).
                units = t.max(p.frames.saturating_mul(frame_units));
            }
            // A new segment when the duration field would overflow (RFC 4733 §2.5.1.3).
            while units - p.segment_base > u32::from(u16::MAX) {
                p.segment_base += u32::from(u16::MAX);
            }
            let first = p.frames == 0;
            let ts = p.timestamp.wrapping_add(p.segment_base);
            // In range: the loop above keeps it at most u16::MAX.
            let duration = (units - p.segment_base) as u16;
            let repeats = if done { 3 } else { 1 };
            for _ in 0..repeats {
                let payload = EventPayload {
                    event: p.digit.code(),
                    end: done,
                    volume: VOLUME,
                    duration,
                };
                header(
                    &mut packet,
                    first,
                    pt,
                    numbering.add(),
                    ts,
                    numbering.ssrc(),
                );
                packet[12..16].copy_from_slice(&payload.bytes());
                emit.packet(&packet[..16], false)?;
                numbering.sent(now, ts, 4);
            }
            Ok(done)
        }
        Output::Tone { pt, law } => {
            let mut samples = [0i16; TONE_SAMPLES];
            p.tone.fill(&mut samples);
            let ts = p
                .timestamp
                .wrapping_add(p.frames.wrapping_mul(TONE_SAMPLES as u32));
            header(
                &mut packet,
                false,
                pt,
                numbering.add(),
                ts,
                numbering.ssrc(),
            );
            law.encode_into(&samples, &mut packet[12..]);
            emit.packet(&packet, false)?;
            numbering.sent(now, ts, TONE_SAMPLES);
            let frames = p.total_ms.map(|ms| ms.div_ceil(20));
            Ok(frames.is_some_and(|f| p.frames + 1 >= f))
        }
        Output::Pcm => {
            numbering.tone(now, p.digit, p.frames == 0)?;
            let frames = p.total_ms.map(|ms| ms.div_ceil(20));
            Ok(frames.is_some_and(|f| p.frames + 1 >= f))
        }
    }
}

fn ms_to_units(ms: u32, rate: u32) -> u32 {
    let u = u64::from(ms) * u64::from(rate) / 1000;
    u32::try_from(u).unwrap_or(u32::MAX)
}

fn header(out: &mut [u8], marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32) {
    out[0] = 0x80;
    out[1] = (u8::from(marker) << 7) | (pt & 0x7f);
    out[2..4].copy_from_slice(&seq.to_be_bytes());
    out[4..8].copy_from_slice(&ts.to_be_bytes());
    out[8..12].copy_from_slice(&ssrc.to_be_bytes());
}
