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
/// start and two to end: one job's inputs give one or two). Beyond it starts give way to
/// ends ([`keep_ends`]).
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
    /// Up to [`HELD`] detections (allocated once).
    found: Vec<Detection>,
    /// Detections dropped for want of room since the job last looked.
    dropped: u32,
}

/// Puts `item` into `list`, which holds at most `cap`; when full, an end takes the place
/// of the latest start (an end lost leaves a digit playing towards the other leg for
/// ever; a start lost only makes the digit play whole once its end is known) and a start
/// is dropped. `false`: something was dropped. Allocates nothing while `list` has `cap`
/// of capacity.
pub(crate) fn keep_ends<T>(
    list: &mut Vec<T>,
    cap: usize,
    item: T,
    is_end: impl Fn(&T) -> bool,
) -> bool {
    if list.len() < cap {
        list.push(item);
        return true;
    }
    if is_end(&item)
        && let Some(i) = list.iter().rposition(|t| !is_end(t))
    {
        list.remove(i);
        list.push(item);
    }
    false
}

impl Listener for DigitListener {
    fn decoded(&mut self, pcm: &[i16], rate: u32) {
        if rate != self.detector.rate() {
            return;
        }
        let (found, dropped) = (&mut self.found, &mut self.dropped);
        self.detector.feed(pcm, |d| {
            let end = |d: &Detection| matches!(d, Detection::Ended { .. });
            if !keep_ends(found, HELD, d, end) {
                *dropped += 1;
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
            found: Vec::with_capacity(HELD),
            dropped: 0,
        })
    }

    /// Hands what the listener of `transcoder` (if it has this one) heard since the last
    /// call to `f`, starts placed on the output clock; returns how many detections were
    /// dropped for want of room meanwhile.
    pub fn drain(transcoder: &mut Transcoder, mut f: impl FnMut(HeardTone)) -> u32 {
        let Some(l) = transcoder
            .listener_mut()
            .and_then(|l| l.as_any_mut().downcast_mut::<DigitListener>())
        else {
            return 0;
        };
        let dropped = std::mem::take(&mut l.dropped);
        if l.found.is_empty() {
            return dropped;
        }
        // Ends measured by the detector now; starts placed on the output clock once the
        // listener is let go (`back`: samples before the end of what was decoded).
        let total = l.detector.samples();
        let mut found: [Option<(HeardTone, u64)>; HELD] = [None; HELD];
        for (slot, d) in found.iter_mut().zip(l.found.drain(..)) {
            *slot = Some(match d {
                Detection::Started { digit, at } => (
                    HeardTone::Started {
                        digit,
                        timestamp: 0,
                    },
                    total.saturating_sub(at),
                ),
                Detection::Ended { digit, samples } => (
                    HeardTone::Ended {
                        digit,
                        ms: l.detector.ms(samples),
                    },
                    0,
                ),
            });
        }
        for (mut h, back) in found.into_iter().flatten() {
            if let HeardTone::Started { timestamp, .. } = &mut h {
                *timestamp = transcoder.decoded_timestamp(back);
            }
            f(h);
        }
        dropped
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

#[cfg(test)]
mod tests {
    use super::keep_ends;

    /// (is an end, which).
    type Found = (bool, u8);

    #[test]
    fn when_full_an_end_takes_the_latest_starts_place_and_a_start_is_dropped() {
        let end = |f: &Found| f.0;
        let mut list: Vec<Found> = Vec::with_capacity(4);
        for item in [(false, 1), (true, 1), (false, 2), (true, 2)] {
            assert!(keep_ends(&mut list, 4, item, end));
        }
        // Full: a start goes, an end takes the place of the latest start.
        assert!(!keep_ends(&mut list, 4, (false, 3), end));
        assert_eq!(list, [(false, 1), (true, 1), (false, 2), (true, 2)]);
        assert!(!keep_ends(&mut list, 4, (true, 3), end));
        assert_eq!(list, [(false, 1), (true, 1), (true, 2), (true, 3)]);
        assert!(!keep_ends(&mut list, 4, (true, 4), end));
        assert_eq!(list, [(true, 1), (true, 2), (true, 3), (true, 4)]);
        // Ends only: the new one is dropped (the oldest are the job's to report first).
        assert!(!keep_ends(&mut list, 4, (true, 5), end));
        assert_eq!(list, [(true, 1), (true, 2), (true, 3), (true, 4)]);
        assert_eq!(list.capacity(), 4, "nothing allocated");
    }
}
