//! Helpers of the DTMF tests: legs, RTP audio and event packets, what the engine sent.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use sbc_core::dtmf::{AudioPt, EventPt, G711};
use sbc_core::{DtmfLeg, DtmfWay, LatchMode, MediaEvent, MediaOp, Side};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

use crate::common::{Bench, KEY};

pub const A: &str = "198.51.100.10:4000";
pub const B: &str = "198.51.100.20:5004";

pub const PCMA: AudioPt = AudioPt {
    pt: 8,
    clock_rate: 8000,
    g711: Some(G711::Alaw),
};
pub const PCMU: AudioPt = AudioPt {
    pt: 0,
    clock_rate: 8000,
    g711: Some(G711::Ulaw),
};
pub const OPUS: AudioPt = AudioPt {
    pt: 111,
    clock_rate: 48000,
    g711: None,
};

pub fn leg(way: DtmfWay, events: &[(u8, u32)], audio: &[AudioPt]) -> DtmfLeg {
    let events: Vec<EventPt> = events
        .iter()
        .map(|&(pt, clock_rate)| EventPt { pt, clock_rate })
        .collect();
    DtmfLeg {
        way,
        receive: events.clone(),
        send: events,
        audio: audio.to_vec(),
    }
}

/// An answered call with both peers signalled (public addresses) and each leg's DTMF.
pub fn call(a: DtmfLeg, b: DtmfLeg) -> Bench {
    let mut bench = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    bench.remote(Side::A, Some(A), None);
    bench.remote(Side::B, Some(B), None);
    bench.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    bench.op(MediaOp::Dtmf {
        stream: KEY,
        side: Side::A,
        leg: a,
    });
    bench.op(MediaOp::Dtmf {
        stream: KEY,
        side: Side::B,
        leg: b,
    });
    bench.take_events();
    bench
}

/// An RTP packet.
pub fn packet(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A telephone-event packet.
#[allow(clippy::too_many_arguments)]
pub fn event(
    pt: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    code: u8,
    end: bool,
    duration: u16,
) -> Vec<u8> {
    let d = duration.to_be_bytes();
    packet(
        pt,
        marker,
        seq,
        ts,
        0xca11e4,
        &[code, (u8::from(end) << 7) | 10, d[0], d[1]],
    )
}

/// 20 ms of G.711 silence in `pt`.
pub fn audio(pt: u8, seq: u16, ts: u32) -> Vec<u8> {
    let silence = if pt == 0 { 0xff } else { 0xd5 };
    packet(pt, false, seq, ts, 0xca11e4, &[silence; 160])
}

/// The fields of an RTP packet the tests look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtp {
    pub pt: u8,
    pub marker: bool,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

pub fn parse(p: &[u8]) -> Rtp {
    Rtp {
        pt: p[1] & 0x7f,
        marker: p[1] & 0x80 != 0,
        seq: u16::from_be_bytes([p[2], p[3]]),
        ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        payload: p[12..].to_vec(),
    }
}

impl Rtp {
    /// (event code, end bit, duration) of a telephone-event.
    pub fn event(&self) -> (u8, bool, u16) {
        let p = &self.payload;
        (p[0], p[1] & 0x80 != 0, u16::from_be_bytes([p[2], p[3]]))
    }
}

/// Every packet of the engine's own waiting now.
pub fn transmits(b: &mut Bench) -> Vec<Rtp> {
    let mut out = Vec::new();
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        out.push(parse(&mem[t.start..t.start + t.len]));
    }
    out
}

/// Moves the clock to `at` after the bench's start, firing every deadline on the way
/// (as the worker does), and collects what was emitted with the time it left.
pub fn run_until(b: &mut Bench, at: Duration, out: &mut Vec<(Duration, Rtp)>) {
    let end = b.t0 + at;
    while let Some(due) = b.shard.poll_timeout().filter(|&d| d <= end) {
        b.now = due.max(b.now);
        b.shard.handle_timeout(b.now);
        for p in transmits(b) {
            out.push((b.now - b.t0, p));
        }
    }
    b.now = end;
}

/// Runs every job of codec work handed out (as a transcoding thread would, at once) and
/// hands it back; what left, the engine's own RTCP reports aside, is added to `out` with
/// the time it left.
#[cfg(feature = "transcoding")]
pub fn settle(b: &mut Bench, out: &mut Vec<(Duration, Rtp)>) {
    while let Some(mut job) = b.shard.poll_transcode() {
        job.run();
        b.shard.transcoded(b.now, job);
    }
    for t in transmits(b) {
        let rtcp = t.marker && (72..=76).contains(&t.pt);
        if !rtcp {
            out.push((b.now - b.t0, t));
        }
    }
}

/// [`run_until`] with codec work: every deadline on the way fired and the jobs it hands
/// out run ([`settle`]).
#[cfg(feature = "transcoding")]
pub fn run_until_settled(b: &mut Bench, at: Duration, out: &mut Vec<(Duration, Rtp)>) {
    let end = b.t0 + at;
    while let Some(due) = b.shard.poll_timeout().filter(|&d| d <= end) {
        b.now = due.max(b.now);
        b.shard.handle_timeout(b.now);
        settle(b, out);
    }
    b.now = end;
}

/// Packet `p` arrives from A at `at` (the clock moved there first); what left at once is
/// added to `out`.
#[cfg(feature = "transcoding")]
pub fn arrive(b: &mut Bench, at: Duration, p: &[u8], out: &mut Vec<(Duration, Rtp)>) {
    run_until_settled(b, at, out);
    b.recv(Side::A, false, A, p);
    settle(b, out);
}

/// The digits reported so far.
pub fn digits(b: &mut Bench) -> Vec<sbc_core::HeardDigit> {
    b.take_events()
        .into_iter()
        .filter_map(|e| match e {
            MediaEvent::Digit { digit, .. } => Some(digit),
            _ => None,
        })
        .collect()
}
