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

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::relays::Anchor;

pub const FRAME: Duration = Duration::from_millis(20);
const PACKET: usize = 172;
/// Latency buckets: 1 µs each up to this many; above goes to the last.
const BUCKETS: usize = 50_000;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS + 1],
            total: 0,
        }
    }

    fn record(&mut self, micros: u64) {
        let i = usize::try_from(micros).map_or(BUCKETS, |m| m.min(BUCKETS));
        self.counts[i] += 1;
        self.total += 1;
    }

    fn merge(&mut self, other: &Histogram) {
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
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

pub struct Outcome {
    /// Packets sent in the measured frames (both directions).
    pub sent: u64,
    /// Of those, received.
    pub received: u64,
    pub latency: Histogram,
    pub seconds: f64,
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
    anchors: &[Anchor],
    warmup: u16,
    measure: u16,
    mode: Receive,
    mut window: impl FnMut(bool),
) -> std::io::Result<Outcome> {
    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let range = warmup..warmup + measure;
    let receivers: Vec<_> = [a.try_clone()?, b.try_clone()?]
        .into_iter()
        .map(|s| {
            let (stop, range) = (stop.clone(), range.clone());
            thread::spawn(move || receive(&s, mode, range, &stop))
        })
        .collect();
    let n = anchors.len();
    let mut pkt = [0u8; PACKET];
    pkt[0] = 0x80;
    pkt[1] = 8;
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
            pkt[2..4].copy_from_slice(&frame.to_be_bytes());
            pkt[4..8].copy_from_slice(&(u32::from(frame) * 160).to_be_bytes());
            pkt[8..12].copy_from_slice(&(i as u32).to_be_bytes());
            for (sock, to) in [(a, *to_a), (b, *to_b)] {
                let t = now_ns();
                pkt[12..20].copy_from_slice(&t.to_be_bytes());
                if sock.send_to(&pkt, to).is_ok() && range.contains(&frame) {
                    sent += 1;
                }
            }
        }
    }
    let seconds = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let mut latency = Histogram::new();
    let mut received = 0;
    for r in receivers {
        let (h, n) = r
            .join()
            .map_err(|_| std::io::Error::other("receiver panicked"))?;
        latency.merge(&h);
        received += n;
    }
    Ok(Outcome {
        sent,
        received,
        latency,
        seconds,
    })
}

fn receive(
    s: &UdpSocket,
    mode: Receive,
    range: std::ops::Range<u16>,
    stop: &AtomicBool,
) -> (Histogram, u64) {
    let mut h = Histogram::new();
    let mut n = 0;
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
        if len != PACKET {
            continue;
        }
        let frame = u16::from_be_bytes([buf[2], buf[3]]);
        if !range.contains(&frame) {
            continue;
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&buf[12..20]);
        h.record(now.saturating_sub(u64::from_be_bytes(t)) / 1000);
        n += 1;
    }
    (h, n)
}

/// The direct path (no relay): A sends to B's socket and back.
pub fn direct(a: &UdpSocket, b: &UdpSocket, n: usize) -> std::io::Result<Vec<Anchor>> {
    let (aa, ba): (SocketAddr, SocketAddr) = (a.local_addr()?, b.local_addr()?);
    Ok(vec![(ba, aa); n])
}
