//! The load of the transcoding bench ([`sessions`](crate::sessions)): what A and B send,
//! what they receive, and how a received packet is matched to the frame it carries
//! (see the module docs there).

use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use sbc_codec::Law;
use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};

use crate::load::{FRAME, Histogram, now_ns};
use crate::relays::Anchor;
use crate::sessions::TxCodec;

/// Frames of the tone the senders loop over (1 s).
const TONE_FRAMES: usize = 50;
/// Every this many frames a packet carries the marker bit: relays keep it through
/// transcoding, so it names the frame a received packet carries (up to 1 s of latency).
const MARK_EVERY: usize = 50;

/// What to send.
pub struct TxPlan<'a> {
    pub anchors: &'a [Anchor],
    /// The payload type each call's B sends.
    pub b_pts: &'a [u8],
    pub codec: TxCodec,
    pub warmup: u16,
    pub measure: u16,
}

/// One direction's outcome.
pub struct Direction {
    /// Frames of the measured window that arrived (each counted once).
    pub received: u64,
    /// Frames of the measured window sent.
    pub sent: u64,
    pub latency: Histogram,
    /// Calls whose packets came back without any marker bit: matched by the fastest
    /// packet instead (exact only if one crossed in under 20 ms).
    pub unmarked_calls: usize,
}

impl Direction {
    pub fn loss(&self) -> f64 {
        1.0 - self.received as f64 / self.sent.max(1) as f64
    }
}

pub struct TxOutcome {
    pub to_b: Direction,
    pub to_a: Direction,
    pub seconds: f64,
    /// Packets that were not the load's (RTCP, other payload types, unknown ports).
    pub other: u64,
}

/// A packet received: from which relay port, its payload type and timestamp, when.
#[derive(Clone, Copy)]
struct Arrival {
    port: u16,
    pt: u8,
    ts: u32,
    at_ns: u64,
}

/// Payloads of consecutive 20 ms frames.
type Frames = Vec<Vec<u8>>;

/// 20 ms frames of a 400 Hz tone in PCMA, and the same encoded to `codec` by
/// `sbc-codec`.
fn tone(codec: TxCodec) -> Result<(Frames, Frames), String> {
    let pcma: Vec<Vec<u8>> = (0..TONE_FRAMES as u32)
        .map(|f| {
            (0..160u32)
                .map(|i| {
                    let t = f64::from(f * 160 + i) / 8000.0;
                    let s = 8000.0 * (2.0 * std::f64::consts::PI * 400.0 * t).sin();
                    Law::Alaw.encode(s as i16)
                })
                .collect()
        })
        .collect();
    let output = sbc_codec::transcode::Codec::from_sdp(
        codec.rtpmap.split('/').next().unwrap_or_default(),
        codec
            .rtpmap
            .split('/')
            .nth(1)
            .and_then(|r| r.parse().ok())
            .unwrap_or(8000),
        codec.rtpmap.split('/').nth(2).and_then(|c| c.parse().ok()),
        Some("annexb=no"),
        Default::default(),
    )
    .ok_or(format!("{}: not a codec of sbc-codec", codec.rtpmap))?;
    let mut t = Transcoder::new(TranscoderConfig {
        input: Codec::Pcma,
        output,
        ptime_ms: 20,
        reorder_depth: 1,
        ssrc: 1,
        first_seq: 0,
        first_ts: 0,
    })
    .map_err(|e| format!("encoder: {e}"))?;
    let mut encoded = Vec::new();
    for (f, frame) in pcma.iter().enumerate() {
        t.push(
            f as u16,
            f as u32 * 160,
            f == 0,
            frame,
            &mut |p: OutPacket<'_>| encoded.push(p.payload.to_vec()),
        );
    }
    t.flush(&mut |p: OutPacket<'_>| encoded.push(p.payload.to_vec()));
    if encoded.is_empty() {
        return Err(format!("{}: the encoder gave nothing", codec.name));
    }
    Ok((pcma, encoded))
}

/// Sends `plan`'s load through the relay for `warmup` then `measure` frames (calling
/// `window(true)` and `window(false)` around the measured ones), receives, and matches.
pub fn run(
    a: &UdpSocket,
    b: &UdpSocket,
    plan: &TxPlan<'_>,
    mut window: impl FnMut(bool),
) -> std::io::Result<TxOutcome> {
    let (pcma, coded) = tone(plan.codec).map_err(std::io::Error::other)?;
    let n = plan.anchors.len();
    let frames = usize::from(plan.warmup + plan.measure);
    // Send times, ns: [direction (0: to B, 1: to A)][call][frame].
    let mut sent_at = vec![0u64; 2 * n * frames];
    let stop = Arc::new(AtomicBool::new(false));
    let receivers: Vec<_> = [a.try_clone()?, b.try_clone()?]
        .into_iter()
        .map(|s| {
            let stop = stop.clone();
            thread::spawn(move || receive(&s, &stop, n * frames))
        })
        .collect();
    let epoch = Instant::now();
    let mut pkt = [0u8; 12 + 1500];
    let mut start = None;
    for frame in 0..frames {
        if frame == usize::from(plan.warmup) {
            start = Some(Instant::now());
            window(true);
        }
        let frame_start = epoch + FRAME * frame as u32;
        for (i, (to_a_side, to_b_side)) in plan.anchors.iter().enumerate() {
            let due = frame_start + FRAME * (i as u32) / (n as u32);
            let now = Instant::now();
            if due > now + Duration::from_micros(200) {
                thread::sleep(due - now);
            }
            // A sends PCMA (it goes to B transcoded); B sends the codec (to A as PCMA).
            let sends = [
                (
                    a,
                    *to_a_side,
                    8u8,
                    160u32,
                    &pcma[frame % pcma.len()],
                    0usize,
                ),
                (
                    b,
                    *to_b_side,
                    plan.b_pts[i],
                    plan.codec.frame_ticks,
                    &coded[frame % coded.len()],
                    1,
                ),
            ];
            for (sock, to, pt, ticks, payload, dir) in sends {
                let len = 12 + payload.len();
                pkt[0] = 0x80;
                pkt[1] = pt | if frame % MARK_EVERY == 0 { 0x80 } else { 0 };
                pkt[2..4].copy_from_slice(&(frame as u16).to_be_bytes());
                pkt[4..8].copy_from_slice(&(frame as u32 * ticks).to_be_bytes());
                pkt[8..12].copy_from_slice(&(i as u32 + 1).to_be_bytes());
                pkt[12..len].copy_from_slice(payload);
                sent_at[(dir * n + i) * frames + frame] = now_ns();
                let _ = sock.send_to(&pkt[..len], to);
            }
        }
    }
    window(false);
    let seconds = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let mut got = vec![];
    for r in receivers {
        got.push(
            r.join()
                .map_err(|_| std::io::Error::other("receiver panicked"))?,
        );
    }
    let (at_a, at_b) = (got.remove(0), got.remove(0));
    let window = usize::from(plan.warmup)..frames;
    let mut other = 0;
    let a_ports: HashMap<u16, usize> = plan
        .anchors
        .iter()
        .enumerate()
        .map(|(i, (x, _))| (x.port(), i))
        .collect();
    let b_ports: HashMap<u16, usize> = plan
        .anchors
        .iter()
        .enumerate()
        .map(|(i, (_, y))| (y.port(), i))
        .collect();
    let to_b = matched(
        &at_b,
        &b_ports,
        |i| plan.b_pts[i],
        plan.codec.frame_ticks,
        &sent_at[..n * frames],
        frames,
        &window,
        &mut other,
    );
    let to_a = matched(
        &at_a,
        &a_ports,
        |_| 8,
        160,
        &sent_at[n * frames..],
        frames,
        &window,
        &mut other,
    );
    Ok(TxOutcome {
        to_b,
        to_a,
        seconds,
        other,
    })
}

/// Receives until `stop`, noting every datagram (polling every millisecond).
fn receive(s: &UdpSocket, stop: &AtomicBool, capacity: usize) -> Vec<Arrival> {
    let mut got = Vec::with_capacity(capacity + capacity / 8);
    let mut buf = [0u8; 2048];
    if let Err(e) = crate::sockopt::enable_rx_timestamps(s) {
        eprintln!("SO_TIMESTAMPNS: {e}");
    }
    while !stop.load(Ordering::Relaxed) {
        let Some((len, at_ns, port)) = crate::sockopt::recv_stamped_from(s, &mut buf) else {
            thread::sleep(Duration::from_millis(1));
            continue;
        };
        if len < 12 {
            continue;
        }
        got.push(Arrival {
            port,
            pt: buf[1],
            ts: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            at_ns,
        });
    }
    got
}

/// Matches one direction's arrivals to the frames sent (module docs of `sessions`).
#[allow(clippy::too_many_arguments)]
fn matched(
    arrivals: &[Arrival],
    ports: &HashMap<u16, usize>,
    pt_of: impl Fn(usize) -> u8,
    ticks: u32,
    sent_at: &[u64],
    frames: usize,
    window: &std::ops::Range<usize>,
    other: &mut u64,
) -> Direction {
    let calls = sent_at.len() / frames;
    let mut per_call: Vec<Vec<(u32, u64, bool)>> = vec![vec![]; calls];
    for p in arrivals {
        match ports.get(&p.port) {
            Some(&i) if p.pt & 0x7f == pt_of(i) => {
                per_call[i].push((p.ts, p.at_ns, p.pt & 0x80 != 0));
            }
            _ => *other += 1,
        }
    }
    let mut d = Direction {
        received: 0,
        sent: (calls * window.len()) as u64,
        latency: Histogram::new(),
        unmarked_calls: 0,
    };
    for (i, got) in per_call.iter().enumerate() {
        let Some(&(ts0, _, _)) = got.first() else {
            continue;
        };
        let sends = &sent_at[i * frames..(i + 1) * frames];
        // Frame index from the relay's timestamps, relative to its first packet.
        let k = |ts: u32| {
            let d = i64::from(ts.wrapping_sub(ts0) as i32);
            (d + i64::from(ticks) / 2).div_euclid(i64::from(ticks))
        };
        // The latest frame sent before each arrival bounds its frame from above.
        let latest = |at: u64| sends.partition_point(|&s| s != 0 && s <= at) as i64 - 1;
        // A marked packet carries the latest marked frame sent before it arrived.
        let mut votes: HashMap<i64, usize> = HashMap::new();
        for &(ts, at, marked) in got {
            if marked {
                let frame = latest(at).div_euclid(MARK_EVERY as i64) * MARK_EVERY as i64;
                *votes.entry(k(ts) - frame).or_default() += 1;
            }
        }
        let by_marker = votes.into_iter().max_by_key(|&(_, n)| n).map(|(o, _)| o);
        if by_marker.is_none() {
            d.unmarked_calls += 1;
        }
        let Some(offset) =
            by_marker.or_else(|| got.iter().map(|&(ts, at, _)| k(ts) - latest(at)).max())
        else {
            continue;
        };
        let mut seen = vec![false; frames];
        for &(ts, at, _) in got {
            let Ok(frame) = usize::try_from(k(ts) - offset) else {
                continue;
            };
            if !window.contains(&frame) || seen[frame] {
                continue;
            }
            seen[frame] = true;
            d.received += 1;
            d.latency.record(at.saturating_sub(sends[frame]) / 1000);
        }
    }
    d
}
