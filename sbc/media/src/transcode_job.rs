//! The codec work of one transcoded direction as a value that can travel
//! ([`TranscodeJob`]): the [`Transcoder`] (its codec state), the packets it still has to
//! convert and the room for what comes out.
//!
//! A job is owned by exactly one place at a time: by its
//! [`TranscodeTransform`](crate::transcode::TranscodeTransform) while it is at home, by
//! the shard's hand-off queue ([`Shard::poll_transcode`](crate::Shard::poll_transcode))
//! and by whichever thread runs it after that. [`TranscodeJob::run`] is pure computation:
//! it converts the queued inputs in order and writes the outputs into the job; the
//! transform numbers and sends them when the job is handed back
//! ([`Shard::transcoded`](crate::Shard::transcoded)). No locks, no sharing: the codec
//! state moves with the work, so the engine stays sans-IO and any thread may run any job.
//!
//! A relayed G.722 or G.729 stream re-cut to another packet time is a job too, whose
//! work is a [`Repacketiser`] instead of a [`Transcoder`] ([`Work`]): the same
//! re-ordering, numbering, RTCP and hand-off, but no codec runs.
//!
//! Everything is sized when the job is made: [`JOB_INPUTS`] packets of up to
//! [`MAX_EMITTED`] bytes in, the same room out. Nothing allocates per packet.

use sbc_codec::CodecError;
use sbc_codec::transcode::{
    OutPacket, Repacketiser, Transcoder, TranscoderConfig, TranscoderStats, repacketises,
};
use sbc_core::{Digit, Side, StreamKey};

use crate::transcode_inband::{DigitListener, HeardTone, ToneMaker, keep_ends};
use crate::transmit::MAX_EMITTED;

/// Packets a direction may have waiting for its transcoder (in the job, or in the
/// transform while the job is away). One more is dropped as
/// [`DropKind::TranscodeQueue`](sbc_core::DropKind::TranscodeQueue): 160 ms at 20 ms.
pub const JOB_INPUTS: usize = 8;
/// Output packets one job may give (a flush of the re-ordering window re-cut to 10 ms
/// gives the most).
const JOB_OUTPUTS: usize = 4 * JOB_INPUTS;
/// Digits' starts and ends one job may hear in the decoded input (beyond it, starts give
/// way to ends, and what is dropped is counted as failed).
const JOB_HEARD: usize = 2 * JOB_INPUTS;

/// What the transcoder is asked to do, in order.
#[derive(Debug, Clone, Copy)]
enum Input {
    /// Audio of the input payload type (or, `comfort`, an RFC 3389 comfort noise
    /// payload): payload at `at..at + len` of the input memory.
    Audio {
        seq: u16,
        ts: u32,
        marker: bool,
        comfort: bool,
        at: usize,
        len: usize,
    },
    /// A telephone-event, timed by the transcoder on the output clock.
    Event {
        ts: u32,
        marker: bool,
        pt: u8,
        body: [u8; 4],
    },
    /// Release what the re-ordering window holds.
    Flush,
    /// One output ptime passed in a pause the sender described: a frame of comfort noise.
    ComfortTick,
    /// 20 ms of `digit`'s tone in place of the input's audio (`first`: the tone starts).
    Tone { digit: Digit, first: bool },
}

/// Inputs waiting, with their payloads (preallocated).
#[derive(Debug)]
pub(crate) struct Inputs {
    list: Vec<Input>,
    mem: Box<[u8]>,
}

impl Inputs {
    pub(crate) fn new() -> Self {
        Inputs {
            list: Vec::with_capacity(JOB_INPUTS),
            mem: vec![0u8; JOB_INPUTS * MAX_EMITTED].into_boxed_slice(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn room(&self) -> bool {
        self.list.len() < JOB_INPUTS
    }

    /// Queues audio; `false` when full (or the payload does not fit a slot).
    pub(crate) fn audio(&mut self, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> bool {
        self.payload(seq, ts, marker, false, payload)
    }

    /// Queues an RFC 3389 comfort noise payload; `false` when full.
    pub(crate) fn comfort_noise(
        &mut self,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &[u8],
    ) -> bool {
        self.payload(seq, ts, marker, true, payload)
    }

    /// Queues a comfort noise tick; `false` when full (that frame of noise is not made:
    /// the input clock then shows the time as a pause when audio resumes).
    pub(crate) fn comfort_tick(&mut self) -> bool {
        self.room() && {
            self.list.push(Input::ComfortTick);
            true
        }
    }

    fn payload(&mut self, seq: u16, ts: u32, marker: bool, comfort: bool, payload: &[u8]) -> bool {
        if !self.room() || payload.len() > MAX_EMITTED {
            return false;
        }
        let at = self.list.len() * MAX_EMITTED;
        self.mem[at..at + payload.len()].copy_from_slice(payload);
        self.list.push(Input::Audio {
            seq,
            ts,
            marker,
            comfort,
            at,
            len: payload.len(),
        });
        true
    }

    /// Queues a telephone-event; `false` when full.
    pub(crate) fn event(&mut self, ts: u32, marker: bool, pt: u8, body: [u8; 4]) -> bool {
        self.room() && {
            self.list.push(Input::Event {
                ts,
                marker,
                pt,
                body,
            });
            true
        }
    }

    /// Queues 20 ms of `digit`'s tone; `false` when full.
    pub(crate) fn tone(&mut self, digit: Digit, first: bool) -> bool {
        self.room() && {
            self.list.push(Input::Tone { digit, first });
            true
        }
    }

    /// Queues a flush (dropped when full: the packets queued move the window on anyway).
    pub(crate) fn flush(&mut self) {
        if self.room() && !matches!(self.list.last(), Some(Input::Flush)) {
            self.list.push(Input::Flush);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }
}

/// A packet the transcoder gave, waiting to be numbered and sent.
#[derive(Debug, Clone, Copy)]
struct Output {
    ts: u32,
    marker: bool,
    pt: u8,
    at: usize,
    len: usize,
}

/// What converts one direction's packets: a codec pair, or (the same G.722 or G.729 in
/// and out) octets moved between packets.
/// (One per direction, inside a boxed job: the variants' size difference costs nothing
/// per packet.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Work {
    Transcode(Transcoder),
    Repack(Repacketiser),
}

impl Work {
    /// A [`Repacketiser`] where [`repacketises`] says so, else a [`Transcoder`].
    pub fn new(config: TranscoderConfig) -> Result<Self, CodecError> {
        if repacketises(config.input, config.output) {
            Repacketiser::new(config).map(Work::Repack)
        } else {
            Transcoder::new(config).map(Work::Transcode)
        }
    }

    /// Whether octets are moved between packets, no codec run.
    pub fn is_repack(&self) -> bool {
        matches!(self, Work::Repack(_))
    }

    /// What it counted so far.
    pub fn stats(&self) -> TranscoderStats {
        match self {
            Work::Transcode(t) => t.stats(),
            Work::Repack(r) => r.stats(),
        }
    }

    /// The rate it decodes the input at (what a tone detector would hear): 0 for a
    /// re-cut stream, which decodes nothing.
    pub fn decode_rate(&self) -> u32 {
        match self {
            Work::Transcode(t) => t.decode_rate(),
            Work::Repack(_) => 0,
        }
    }

    fn output_timestamp(&self, input_ts: u32) -> Option<u32> {
        match self {
            Work::Transcode(t) => t.output_timestamp(input_ts),
            Work::Repack(r) => r.output_timestamp(input_ts),
        }
    }

    fn push(
        &mut self,
        (seq, ts, marker, comfort): (u16, u32, bool, bool),
        payload: &[u8],
        emit: &mut impl FnMut(OutPacket<'_>),
    ) {
        match self {
            Work::Transcode(t) if comfort => t.push_comfort_noise(seq, ts, marker, payload, emit),
            Work::Transcode(t) => t.push(seq, ts, marker, payload, emit),
            Work::Repack(r) if comfort => r.push_comfort_noise(seq, ts, marker, payload, emit),
            Work::Repack(r) => r.push(seq, ts, marker, payload, emit),
        }
    }

    fn flush(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        match self {
            Work::Transcode(t) => t.flush(emit),
            Work::Repack(r) => r.flush(emit),
        }
    }

    /// A frame of comfort noise through a pause (a transcoder's; a re-cut stream's
    /// receiver plays its own from the SID or CN packets that crossed).
    fn comfort_noise(&mut self, emit: &mut impl FnMut(OutPacket<'_>)) {
        if let Work::Transcode(t) = self {
            t.comfort_noise(emit);
        }
    }

    /// Towards a leg that negotiated CN: a transcoder sends its pauses as CN packets of
    /// its own, a re-cut stream lets the sender's CN packets cross (else they are
    /// dropped: the receiver could not read them).
    pub fn send_comfort_noise_packets(&mut self) {
        match self {
            Work::Transcode(t) => t.send_comfort_noise_packets(),
            Work::Repack(r) => r.send_comfort_noise_packets(),
        }
    }

    /// The last CN packet given did not leave (held back while a digit played as
    /// events): the next tick sends one.
    pub fn comfort_noise_not_sent(&mut self) {
        if let Work::Transcode(t) = self {
            t.comfort_noise_not_sent();
        }
    }
}

/// The codec work of one direction (see the module docs).
#[derive(Debug)]
pub struct TranscodeJob {
    pub(crate) slot: usize,
    pub(crate) key: StreamKey,
    pub(crate) toward: Side,
    /// Which transform it belongs to (a re-INVITE may replace the transform meanwhile).
    pub(crate) owner: u64,
    pub(crate) output_pt: u8,
    /// The RFC 3389 `CN` payload type of the output leg, when it negotiated CN: what every
    /// CN packet this direction sends goes out as (the transcoder's own, or a re-cut
    /// stream's CN crossing).
    pub(crate) comfort_noise_pt: Option<u8>,
    pub(crate) transcoder: Work,
    pub(crate) inputs: Inputs,
    outputs: Vec<Output>,
    out_mem: Box<[u8]>,
    out_used: usize,
    /// Inputs that gave nothing they should have (an event before any audio, outputs
    /// beyond the job's room, a heard digit's start or end beyond the room for them):
    /// counted as failed steps when the job comes home.
    pub(crate) failed: u32,
    /// Digits heard in the decoded input (with a [`DigitListener`]), for the step at home.
    heard: Vec<HeardTone>,
    /// Tones played into the output.
    tone: ToneMaker,
}

impl TranscodeJob {
    pub(crate) fn new(
        key: StreamKey,
        toward: Side,
        owner: u64,
        (output_pt, comfort_noise_pt): (u8, Option<u8>),
        transcoder: Work,
    ) -> Self {
        TranscodeJob {
            slot: usize::MAX,
            key,
            toward,
            owner,
            output_pt,
            comfort_noise_pt,
            transcoder,
            inputs: Inputs::new(),
            outputs: Vec::with_capacity(JOB_OUTPUTS),
            out_mem: vec![0u8; JOB_OUTPUTS * MAX_EMITTED].into_boxed_slice(),
            out_used: 0,
            failed: 0,
            heard: Vec::with_capacity(JOB_HEARD),
            tone: ToneMaker::default(),
        }
    }

    /// Listens to the decoded input for tones (`on`), or stops; `false` when the
    /// detector cannot hear audio at the rate this direction decodes (a re-cut stream
    /// decodes nothing: it never listens).
    pub(crate) fn listen(&mut self, on: bool) -> bool {
        let Work::Transcode(t) = &mut self.transcoder else {
            return !on;
        };
        let listening = t
            .listener_mut()
            .is_some_and(|l| l.as_any_mut().is::<DigitListener>());
        if on == listening {
            return true;
        }
        if !on {
            t.set_listener(None);
            return true;
        }
        match DigitListener::new(t.decode_rate()) {
            Some(l) => {
                t.set_listener(Some(Box::new(l)));
                true
            }
            None => false,
        }
    }

    /// The stream it works for.
    pub fn stream(&self) -> StreamKey {
        self.key
    }

    /// Converts every queued input, in order, into outputs (pure computation: this is
    /// what a transcoding thread runs).
    pub fn run(&mut self) {
        let TranscodeJob {
            transcoder,
            inputs,
            outputs,
            out_mem,
            out_used,
            failed,
            output_pt,
            comfort_noise_pt,
            heard,
            tone,
            ..
        } = self;
        // Inputs that gave nothing: events before any audio, tones on a re-cut stream.
        let mut lost = 0;
        let audio_pt = *output_pt;
        let mut keep = |p: OutPacket<'_>, pt: u8| {
            // CN packets are made (or cross) only when told the leg's CN payload type.
            let pt = match (p.comfort_noise, *comfort_noise_pt) {
                (true, Some(cn)) => cn,
                _ => pt,
            };
            let at = *out_used;
            let fits = outputs.len() < JOB_OUTPUTS && at + p.payload.len() <= out_mem.len();
            if !fits {
                *failed += 1;
                return;
            }
            out_mem[at..at + p.payload.len()].copy_from_slice(p.payload);
            *out_used += p.payload.len();
            outputs.push(Output {
                ts: p.ts,
                marker: p.marker,
                pt,
                at,
                len: p.payload.len(),
            });
        };
        for input in inputs.list.drain(..) {
            match input {
                Input::Audio {
                    seq,
                    ts,
                    marker,
                    comfort,
                    at,
                    len,
                } => {
                    let payload = &inputs.mem[at..at + len];
                    transcoder.push((seq, ts, marker, comfort), payload, &mut |p| {
                        keep(p, audio_pt)
                    });
                }
                Input::Event {
                    ts,
                    marker,
                    pt,
                    body,
                } => match transcoder.output_timestamp(ts) {
                    Some(ts) => keep(
                        OutPacket {
                            ssrc: 0,
                            seq: 0,
                            ts,
                            marker,
                            payload: &body,
                            comfort_noise: false,
                        },
                        pt,
                    ),
                    None => lost += 1,
                },
                Input::Flush => transcoder.flush(&mut |p| keep(p, audio_pt)),
                Input::ComfortTick => transcoder.comfort_noise(&mut |p| keep(p, audio_pt)),
                Input::Tone { digit, first } => match transcoder {
                    Work::Transcode(t) => {
                        tone.frame(t, digit, first, &mut |p| keep(p, audio_pt));
                    }
                    // Never queued for a re-cut stream (in-band DTMF is refused there).
                    Work::Repack(_) => lost += 1,
                },
            }
            if let Work::Transcode(t) = transcoder {
                let end = |h: &HeardTone| matches!(h, HeardTone::Ended { .. });
                let mut over = 0;
                let dropped = DigitListener::drain(t, |h| {
                    if !keep_ends(heard, JOB_HEARD, h, end) {
                        over += 1;
                    }
                });
                lost += dropped + over;
            }
        }
        *failed += lost;
    }

    /// Hands each digit heard to `f` and forgets them.
    pub(crate) fn drain_heard(&mut self, mut f: impl FnMut(HeardTone)) {
        for h in self.heard.drain(..) {
            f(h);
        }
    }

    /// Hands each output (payload type, timestamp, marker, payload) to `f` and forgets
    /// them.
    pub(crate) fn drain_outputs(&mut self, mut f: impl FnMut(u8, u32, bool, &[u8])) {
        for o in self.outputs.drain(..) {
            f(o.pt, o.ts, o.marker, &self.out_mem[o.at..o.at + o.len]);
        }
        self.out_used = 0;
    }
}
