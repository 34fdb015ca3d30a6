//! In-band DTMF inside a transcoded direction's codec work (feature `transcoding`): the
//! two pieces that must travel with the [`TranscodeJob`](crate::transcode_job::TranscodeJob),
//! because they work on the PCM only the job sees.
//!
//! * [`DigitListener`]: the Goertzel detector ([`ToneDetector`], Q.24 limits) as the
//!   transcoder's [`Listener`], hearing the other leg's decoded audio at the decoding
//!   rate (8 kHz from G.711, 16 kHz from G.722: the detector's blocks and coefficients
//!   follow the rate). What it heard is placed on the output clock
//!   ([`Transcoder::decoded_timestamp`]) and carried home as [`HeardTone`]s.
//! * [`ToneMaker`]: a digit's Q.23 tone, 20 ms per frame at the rate the transcoder
//!   encodes from, phases running on from frame to frame, put into the output with
//!   [`Transcoder::insert`] in place of the input's audio.
//!
//! Both are sized when made; nothing allocates per packet.

use std::any::Any;

use sbc_codec::transcode::{Listener, OutPacket, Transcoder};
use sbc_core::Digit;

use crate::dtmf::detect::{Detection, ToneDetector};
use crate::dtmf::tone::ToneGen;

/// Detections a listener keeps until the job looks (a digit needs two blocks, 25 ms, to
/// start and two to end: one job's inputs give one or two).
const HELD: usize = 8;
/// Frames of tone per second (20 ms each, as the player plays them).
const FRAMES_PER_SECOND: u32 = 50;
/// The most samples of one frame of tone (20 ms at 48 kHz).
const MAX_FRAME: usize = 960;

/// A digit heard in the other leg's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeardTone {
    /// Its tone began at output timestamp `timestamp`.
    Started { digit: Digit, timestamp: u32 },
    /// Its tone ended after `ms`.
    Ended { digit: Digit, ms: u32 },
}

/// The detector as a transcoder's [`Listener`] (see the module docs).
#[derive(Debug)]
pub struct DigitListener {
    detector: ToneDetector,
    found: [Option<Detection>; HELD],
    len: usize,
}

impl Listener for DigitListener {
    fn decoded(&mut self, pcm: &[i16], rate: u32) {
        if rate != self.detector.rate() {
            return;
        }
        let (found, len) = (&mut self.found, &mut self.len);
        self.detector.feed(pcm, |d| {
            if let Some(slot) = found.get_mut(*len) {
                *slot = Some(d);
                *len += 1;
            }
        });
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl DigitListener {
    /// A listener of audio decoded at `rate` Hz (`None`: no detector for that rate).
    pub fn new(rate: u32) -> Option<Self> {
        Some(DigitListener {
            detector: ToneDetector::at_rate(rate)?,
            found: [None; HELD],
            len: 0,
        })
    }

    /// Hands what the listener of `transcoder` (if it has this one) heard since the last
    /// call to `f`, starts placed on the output clock.
    pub fn drain(transcoder: &mut Transcoder, mut f: impl FnMut(HeardTone)) {
        let Some(l) = transcoder
            .listener_mut()
            .and_then(|l| l.as_any_mut().downcast_mut::<DigitListener>())
        else {
            return;
        };
        if l.len == 0 {
            return;
        }
        let found = std::mem::replace(&mut l.found, [None; HELD]);
        l.len = 0;
        let total = l.detector.samples();
        let rate = l.detector.rate();
        for d in found.into_iter().flatten() {
            f(match d {
                Detection::Started { digit, at } => HeardTone::Started {
                    digit,
                    timestamp: transcoder.decoded_timestamp(total.saturating_sub(at)),
                },
                Detection::Ended { digit, samples } => HeardTone::Ended {
                    digit,
                    ms: u32::try_from(samples * 1000 / u64::from(rate)).unwrap_or(u32::MAX),
                },
            });
        }
    }
}

/// A digit's tone, frame by frame, into a transcoder's output (see the module docs).
#[derive(Debug)]
pub struct ToneMaker {
    playing: Option<(Digit, ToneGen)>,
    pcm: Box<[i16]>,
}

impl Default for ToneMaker {
    fn default() -> Self {
        ToneMaker {
            playing: None,
            pcm: vec![0; MAX_FRAME].into_boxed_slice(),
        }
    }
}

impl ToneMaker {
    /// 20 ms of `digit`'s tone into `transcoder`'s output (`first`: the tone starts
    /// here; otherwise it goes on where the last frame of the same digit ended).
    pub fn frame(
        &mut self,
        transcoder: &mut Transcoder,
        digit: Digit,
        first: bool,
        emit: &mut impl FnMut(OutPacket<'_>),
    ) {
        let rate = transcoder.encode_rate();
        let n = ((rate / FRAMES_PER_SECOND) as usize).min(self.pcm.len());
        let tone = match &mut self.playing {
            Some((d, g)) if *d == digit && !first => g,
            other => &mut other.insert((digit, ToneGen::at_rate(digit, rate))).1,
        };
        tone.fill(&mut self.pcm[..n]);
        transcoder.insert(&self.pcm[..n], emit);
    }
}
