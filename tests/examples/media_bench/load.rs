//! The load: two peers (A and B, one UDP socket each) exchanging 20 ms RTP on every
//! anchored stream, 50 packets/s each way, each packet stamped with its send time. Sends
//! are spread evenly over each 20 ms frame. Two receiver threads record the latency of
//! every packet of the measured frames into a histogram and count them.
//!
//! Latency is the kernel's receive timestamp (`SO_TIMESTAMPNS`) minus the send time stamped
//! in the packet, both CLOCK_REALTIME. The receivers do not block per packet: they drain
//! their socket every millisecond ([`Receive::Stamped`]), so the relay's send does not have
//! to wake a sleeping generator thread (on loopback that wake-up, an IPI on this VM, was
//! charged to the relay's CPU, and the generator's own scheduling delay to its latency; a
//! relay sending out of a NIC pays neither). [`Receive::Blocking`] is the former way
//! (blocking `recv_from`, timestamped when the thread runs), for comparison.
//!
//! With `--srtp` side A speaks SRTP ([`SrtpA`]): what A sends is protected under the
//! generator's key of the stream, what A receives unprotected under the relay's. Every packet
//! received is checked whole ([`packet::check`]); one that does not authenticate or does not
//! match what was sent is counted ([`Outcome::unauthenticated`], [`Outcome::corrupt`]), and
//! the bench fails the run for it.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sbc_srtp::Context;

use crate::packet::{self, Direction, PACKET};
use crate::relays::Anchor;

pub const FRAME: Duration = Duration::from_millis(20);
/// Room behind a packet for the SRTP tag (and an MKI).
const TAILROOM: usize = 48;
/// Latency buckets: 1 µs each up to this many; above goes to the last.
const BUCKETS: usize = 50_000;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS + 1],
            total: 0,
        }
    }

    pub fn record(&mut self, micros: u64) {
        let i = usize::try_from(micros).map_or(BUCKETS, |m| m.min(BUCKETS));
        self.counts[i] += 1;
        self.total += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// The `q` quantile in µs.
    pub fn quantile(&self, q: f64) -> f64 {
        let want = (self.total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want.max(1) {
                return i as f64;
            }
        }
        BUCKETS as f64
    }
}

/// How the receivers wait and timestamp (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receive {
    Stamped,
    Blocking,
}

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME, the clock of SO_TIMESTAMPNS).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

pub struct Outcome {
    /// Packets sent in the measured frames (both directions).
    pub sent: u64,
    /// Of those, received intact.
    pub received: u64,
    pub latency: Histogram,
    pub seconds: f64,
    /// SRTP packets (any frame) that did not unprotect: authentication, replay.
    pub unauthenticated: u64,
    /// Packets (any frame) that are not what was sent: length, header, payload, stream.
    pub corrupt: u64,
    /// RTCP from the relay (not counted otherwise).
    pub rtcp: u64,
    /// The first thing that went wrong, for the message.
    pub first_problem: Option<String>,
}

/// SRTP on side A of every stream, per stream (index = SSRC): the context A protects what
/// it sends with, and the one it unprotects what it receives with.
pub struct SrtpA {
    pub protect: Vec<Context>,
    pub unprotect: Vec<Context>,
}

/// What to send: where (per stream), how (SRTP on A or not), for how long, and how the
/// receivers wait.
pub struct Plan<'a> {
    pub anchors: &'a [Anchor],
    pub srtp: Option<SrtpA>,
    pub warmup: u16,
    pub measure: u16,
    pub receive: Receive,
}

/// A peer's socket with a large receive buffer (the relays' sockets carry one stream;
/// these carry all of them).
pub fn peer_socket() -> std::io::Result<UdpSocket> {
    let s = UdpSocket::bind("127.0.0.1:0")?;
    crate::sockopt::force_rcvbuf(&s, 32 << 20);
    s.set_read_timeout(Some(Duration::from_millis(100)))?;
    Ok(s)
}

/// Runs `warmup` frames, then `measure` frames (calling `window(true)` at their start and
/// `window(false)` at their end), then waits for stragglers.
pub fn run(
    a: &UdpSocket,
    b: &UdpSocket,
    plan: Plan<'_>,
    mut window: impl FnMut(bool),
) -> std::io::Result<Outcome> {
    let Plan {
        anchors,
        srtp,
        warmup,
        measure,
        receive: mode,
    } = plan;
    let (mut protect, unprotect) = match srtp {
        Some(s) => (Some(s.protect), Some(s.unprotect)),
        None => (None, None),
    };
    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let range = warmup..warmup + measure;
    let receivers: Vec<_> = [
        (a.try_clone()?, Direction::BToA, unprotect),
        (b.try_clone()?, Direction::AToB, None),
    ]
    .into_iter()
    .map(|(s, dir, srtp)| {
        let (stop, range) = (stop.clone(), range.clone());
        thread::spawn(move || receive(&s, mode, range, &stop, dir, srtp))
    })
    .collect();
    let n = anchors.len();
    let mut pkt = [0u8; PACKET];
    let mut sealed = [0u8; PACKET + TAILROOM];
    let mut protect_failed = None;
    let mut sent = 0u64;
    let mut start = None;
    for frame in 0..warmup + measure + 1 {
        if frame == warmup {
            start = Some(Instant::now());
            window(true);
        }
        if frame == warmup + measure {
            window(false);
            break;
        }
        let frame_start = epoch + FRAME * u32::from(frame);
        for (i, (to_a, to_b)) in anchors.iter().enumerate() {
            let due = frame_start + FRAME * (i as u32) / (n as u32);
            let now = Instant::now();
            if due > now + Duration::from_micros(200) {
                thread::sleep(due - now);
            }
            for (sock, to, dir) in [(a, *to_a, Direction::AToB), (b, *to_b, Direction::BToA)] {
                packet::build(&mut pkt, i as u32, frame, dir, now_ns());
                let wire = match (dir, protect.as_mut().and_then(|p| p.get_mut(i))) {
                    (Direction::AToB, Some(ctx)) => {
                        sealed[..PACKET].copy_from_slice(&pkt);
                        match ctx.protect_rtp(&mut sealed, PACKET) {
                            Ok(len) => &sealed[..len],
                            Err(e) => {
                                protect_failed.get_or_insert(format!("protect: {e}"));
                                continue;
                            }
                        }
                    }
                    _ => &pkt[..],
                };
                if sock.send_to(wire, to).is_ok() && range.contains(&frame) {
                    sent += 1;
                }
            }
        }
    }
    let seconds = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::new();
    for r in receivers {
        let t = r
            .join()
            .map_err(|_| std::io::Error::other("receiver panicked"))?;
        total.merge(t);
    }
    if let Some(e) = protect_failed {
        return Err(std::io::Error::other(e));
    }
    Ok(Outcome {
        sent,
        received: total.received,
        latency: total.latency,
        seconds,
        unauthenticated: total.unauthenticated,
        corrupt: total.corrupt,
        rtcp: total.rtcp,
        first_problem: total.first_problem,
    })
}

/// What one receiver saw.
struct Tally {
    latency: Histogram,
    received: u64,
    unauthenticated: u64,
    corrupt: u64,
    rtcp: u64,
    first_problem: Option<String>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            latency: Histogram::new(),
            received: 0,
            unauthenticated: 0,
            corrupt: 0,
            rtcp: 0,
            first_problem: None,
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latency.merge(&other.latency);
        self.received += other.received;
        self.unauthenticated += other.unauthenticated;
        self.corrupt += other.corrupt;
        self.rtcp += other.rtcp;
        if self.first_problem.is_none() {
            self.first_problem = other.first_problem;
        }
    }

    fn problem(&mut self, what: impl FnOnce() -> String) {
        if self.first_problem.is_none() {
            self.first_problem = Some(what());
        }
    }
}

/// Receives what arrives on `s` (sent in direction `dir`; SRTP under `srtp`'s context of its
/// stream if given) until `stop`, recording latency and counting the frames in `range`.
fn receive(
    s: &UdpSocket,
    mode: Receive,
    range: std::ops::Range<u16>,
    stop: &AtomicBool,
    dir: Direction,
    mut srtp: Option<Vec<Context>>,
) -> Tally {
    let mut t = Tally::new();
    let mut buf = [0u8; 2048];
    if mode == Receive::Stamped {
        if let Err(e) = crate::sockopt::enable_rx_timestamps(s) {
            eprintln!("SO_TIMESTAMPNS: {e}");
        }
    }
    while !stop.load(Ordering::Relaxed) {
        let got = match mode {
            Receive::Blocking => s.recv_from(&mut buf).ok().map(|(len, _)| (len, now_ns())),
            Receive::Stamped => crate::sockopt::recv_stamped(s, &mut buf),
        };
        let Some((len, now)) = got else {
            if mode == Receive::Stamped {
                thread::sleep(Duration::from_millis(1));
            }
            continue;
        };
        // RTCP (RFC 5761 §4: payload types 200-204 with the marker bit): not the load's.
        if buf.get(1).is_some_and(|b| (192..=223).contains(b)) {
            t.rtcp += 1;
            continue;
        }
        let len = match srtp.as_mut() {
            None => len,
            Some(contexts) => {
                let ssrc = buf
                    .get(8..12)
                    .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
                let Some(ctx) = ssrc.and_then(|s| contexts.get_mut(s as usize)) else {
                    t.corrupt += 1;
                    t.problem(|| {
                        format!("{dir:?}: SRTP of {len} bytes, no stream of SSRC {ssrc:?}")
                    });
                    continue;
                };
                match ctx.unprotect_rtp(&mut buf, len) {
                    Ok(len) => len,
                    Err(e) => {
                        t.unauthenticated += 1;
                        t.problem(|| format!("{dir:?}: unprotect (SSRC {ssrc:?}): {e}"));
                        continue;
                    }
                }
            }
        };
        let (_, frame, sent) = match packet::check(&buf[..len], dir) {
            Ok(p) => p,
            Err(e) => {
                t.corrupt += 1;
                t.problem(|| format!("{dir:?}: packet of {len} bytes not as sent: {e:?}"));
                continue;
            }
        };
        if !range.contains(&frame) {
            continue;
        }
        t.latency.record(now.saturating_sub(sent) / 1000);
        t.received += 1;
    }
    t
}

/// The direct path (no relay): A sends to B's socket and back.
pub fn direct(a: &UdpSocket, b: &UdpSocket, n: usize) -> std::io::Result<Vec<Anchor>> {
    let (aa, ba): (SocketAddr, SocketAddr) = (a.local_addr()?, b.local_addr()?);
    Ok(vec![(ba, aa); n])
}
