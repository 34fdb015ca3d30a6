//! Transcoded calls as background load (`--transcoded M`): while the plain streams are
//! measured, M more calls on the same SBC are transcoded both ways, PCMA on side A and
//! `--transcode-codec` (opus, g722 or g729) on side B, so the plain streams' latency shows
//! what the codecs cost the relay workers: with the codecs inline in the workers
//! (`--transcode-threads 0`, row `sbc+tx-inline`) and on transcoding threads (row
//! `sbc+tx-threads`).
//!
//! One sender on side A sends each call 20 ms of a 400 Hz tone in PCMA every 20 ms; one
//! socket on side B echoes whatever the SBC sends it (the other codec) back to where it
//! came from, so the SBC transcodes it back to PCMA towards A; A counts what returns.
//! These threads run under normal scheduling, below the generator's. Payloads are not
//! compared (transcoding changes them): what is checked is the rate,
//! `returned / sent` (1.0 less the loss of two transcodings and two relays).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sbc_codec::Law;

use crate::relays::Sbc;

/// First call index of the background calls (their ports follow the plain streams').
pub const FIRST: usize = 2000;

/// The payload type and `a=rtpmap` format of side B for `--transcode-codec NAME`.
pub fn codec(name: &str) -> Option<(u8, &'static str)> {
    match name {
        "opus" => Some((111, "opus/48000/2")),
        "g722" => Some((9, "G722/8000")),
        "g729" => Some((18, "G729/8000")),
        _ => None,
    }
}

/// The running background load.
pub struct Background {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    sent: Arc<AtomicU64>,
    returned: Arc<AtomicU64>,
    echoed: Arc<AtomicU64>,
}

/// What the background load counted while it ran.
pub struct Counts {
    pub sent: u64,
    pub echoed: u64,
    pub returned: u64,
}

impl Background {
    /// Anchors `m` transcoded calls on `sbc` and starts their load.
    pub fn start(sbc: &mut Sbc, m: usize, (pt, format): (u8, &str)) -> io::Result<Self> {
        let a = crate::load::peer_socket()?;
        let b = crate::load::peer_socket()?;
        let (aa, ba) = (a.local_addr()?, b.local_addr()?);
        let mut anchors = Vec::with_capacity(m);
        for j in 0..m {
            anchors.push(sbc.open_transcoded(FIRST + j, aa, ba, pt, format)?.0);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let counter = || Arc::new(AtomicU64::new(0));
        let (sent, returned, echoed) = (counter(), counter(), counter());
        let mut threads = Vec::new();
        let a_rx = a.try_clone()?;
        threads.push(spawn(&stop, &sent, move |stop, n| {
            send(&a, &anchors, stop, n)
        }));
        threads.push(spawn(&stop, &returned, move |stop, n| {
            count(&a_rx, stop, n)
        }));
        threads.push(spawn(&stop, &echoed, move |stop, n| echo(&b, stop, n)));
        Ok(Background {
            stop,
            threads,
            sent,
            returned,
            echoed,
        })
    }

    /// Counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            sent: self.sent.load(Ordering::Relaxed),
            echoed: self.echoed.load(Ordering::Relaxed),
            returned: self.returned.load(Ordering::Relaxed),
        }
    }

    /// Stops the load and waits for its threads.
    pub fn stop(self) -> Counts {
        self.stop.store(true, Ordering::Relaxed);
        let counts = self.counts();
        for t in self.threads {
            let _ = t.join();
        }
        counts
    }
}

fn spawn(
    stop: &Arc<AtomicBool>,
    counter: &Arc<AtomicU64>,
    f: impl FnOnce(&AtomicBool, &AtomicU64) + Send + 'static,
) -> JoinHandle<()> {
    let (stop, counter) = (stop.clone(), counter.clone());
    std::thread::spawn(move || {
        // Normal scheduling: the generator's measuring threads (SCHED_FIFO) come first.
        let _ = crate::sockopt::set_normal();
        f(&stop, &counter)
    })
}

/// Every 20 ms, one PCMA packet of the tone to each call's side A.
fn send(socket: &UdpSocket, anchors: &[SocketAddr], stop: &AtomicBool, sent: &AtomicU64) {
    let frames: Vec<[u8; 160]> = (0..20u32)
        .map(|f| {
            let mut frame = [0u8; 160];
            for (i, o) in frame.iter_mut().enumerate() {
                let t = f64::from(f * 160 + i as u32) / 8000.0;
                let s = 8000.0 * (2.0 * std::f64::consts::PI * 400.0 * t).sin();
                *o = Law::Alaw.encode(s as i16);
            }
            frame
        })
        .collect();
    let start = Instant::now();
    let mut packet = [0u8; 172];
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        for (j, to) in anchors.iter().enumerate() {
            packet[0] = 0x80;
            packet[1] = 8 | if n == 0 { 0x80 } else { 0 };
            packet[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            packet[4..8].copy_from_slice(&n.wrapping_mul(160).to_be_bytes());
            packet[8..12].copy_from_slice(&(j as u32 + 1).to_be_bytes());
            packet[12..].copy_from_slice(&frames[n as usize % frames.len()]);
            if socket.send_to(&packet, to).is_ok() {
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        n += 1;
        let next = start + Duration::from_millis(20) * n;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// Counts the PCMA that comes back to side A.
fn count(socket: &UdpSocket, stop: &AtomicBool, returned: &AtomicU64) {
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((len, _)) = socket.recv_from(&mut buf)
            && len > 12
            && buf[1] & 0x7f == 8
        {
            returned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Side B's peers: sends back what arrives, to where it came from.
fn echo(socket: &UdpSocket, stop: &AtomicBool, echoed: &AtomicU64) {
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((len, from)) = socket.recv_from(&mut buf)
            && buf[..len].len() > 12
            && !(200..=204).contains(&buf[1])
            && socket.send_to(&buf[..len], from).is_ok()
        {
            echoed.fetch_add(1, Ordering::Relaxed);
        }
    }
}
