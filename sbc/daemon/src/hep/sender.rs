//! The HEP sender: a task that owns the socket to the collector and a bounded queue in
//! front of it. The core only ever `try_send`s into the queue ([`HepSink::push`]): a full
//! queue (a slow or dead collector) drops the packet, counted, and never waits.
//!
//! UDP: one socket connected to the collector, one datagram per packet. Connected, so the
//! kernel tells it when the collector's host answers a datagram with ICMP port unreachable
//! (nothing listening there): the next send fails with `ECONNREFUSED`. Like any send error
//! (or a socket that cannot be opened: no route yet), that drops the packet and the packets
//! of the next [`RETRY`], all counted (`dropped-send`), then the next packet is sent again:
//! a collector that comes back gets captures again within [`RETRY`]. The datagrams sent
//! before the host's answer (hosts rate-limit them, about one a second) are lost uncounted,
//! a few per [`RETRY`]; the rest of what a dead collector would lose is counted, where an
//! unconnected socket showed it as all sent.
//! TCP: one connection, opened on demand (3 s to connect), each packet written whole (2 s
//! at most); a failure drops the packet and the connection, and packets arriving in the
//! next [`RETRY`] are dropped (counted) before a new connection is tried.
//!
//! Drops of either kind are logged as one warning with their count, at most once a
//! [`WARN_EVERY`] ([`DropWarning`]): a dead collector is one line a minute, not one a call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sbc_core::{Transport, TransportAddr};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Packets waiting for the sender at most.
pub const QUEUE: usize = 4096;
/// A TCP collector that failed (or a UDP socket that could not be opened) is tried again
/// after this.
const RETRY: Duration = Duration::from_secs(5);
/// Drops are warned about at most this often.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// Warns about dropped captures: the first drop at once, then at most once a
/// [`WARN_EVERY`], each line with the drops since the last.
#[derive(Debug, Default)]
pub struct DropWarning {
    warned: u64,
    at: Option<Instant>,
}

impl DropWarning {
    /// Whether to warn now, given the drops so far; the count since the last warning.
    pub fn due(&mut self, now: Instant, dropped: u64) -> Option<u64> {
        if dropped <= self.warned || self.at.is_some_and(|t| now.duration_since(t) < WARN_EVERY) {
            return None;
        }
        let new = dropped - self.warned;
        self.warned = dropped;
        self.at = Some(now);
        Some(new)
    }

    fn check(&mut self, addr: SocketAddr, counts: &HepCounts) {
        let dropped = counts.dropped_queue.load(Ordering::Relaxed)
            + counts.dropped_send.load(Ordering::Relaxed);
        if let Some(n) = self.due(Instant::now(), dropped) {
            warn!(
                dropped = n,
                "HEP: {n} capture(s) to {addr} dropped (collector slow, unreachable or refusing)"
            );
        }
    }
}

/// What happened to the packets handed to the sender.
#[derive(Debug, Default)]
pub struct HepCounts {
    pub sent: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped_queue: AtomicU64,
    /// Dropped because the collector could not be reached or written to.
    pub dropped_send: AtomicU64,
}

/// The core's end of the sender.
#[derive(Debug, Clone)]
pub struct HepSink {
    tx: mpsc::Sender<Vec<u8>>,
    pub counts: Arc<HepCounts>,
}

impl HepSink {
    /// Starts the sender task for `collector` (on the current tokio runtime).
    pub fn start(collector: TransportAddr) -> Self {
        Self::start_counting(collector, Arc::default())
    }

    /// Starts a sender for `collector` that counts into `counts` (shared with an earlier
    /// sender's, so a reload does not reset the metric).
    pub fn start_counting(collector: TransportAddr, counts: Arc<HepCounts>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(collector, rx, counts.clone()));
        HepSink { tx, counts }
    }

    /// Queues a packet; drops it (counted) when the queue is full.
    pub fn push(&self, packet: Vec<u8>) {
        if self.tx.try_send(packet).is_err() {
            self.counts.dropped_queue.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn run(collector: TransportAddr, mut rx: mpsc::Receiver<Vec<u8>>, counts: Arc<HepCounts>) {
    let addr = collector.addr;
    match collector.transport {
        Transport::Tcp | Transport::Tls => tcp(addr, &mut rx, &counts).await,
        Transport::Udp => udp(addr, &mut rx, &counts).await,
    }
}

async fn udp(addr: SocketAddr, rx: &mut mpsc::Receiver<Vec<u8>>, counts: &HepCounts) {
    let mut socket: Option<UdpSocket> = None;
    // When the socket could not be opened or a send failed: packets are dropped (counted)
    // until RETRY has passed, then the next one is sent again.
    let mut failed_at: Option<Instant> = None;
    let mut warning = DropWarning::default();
    while let Some(p) = rx.recv().await {
        if failed_at.is_some_and(|t| t.elapsed() < RETRY) {
            counts.dropped_send.fetch_add(1, Ordering::Relaxed);
            warning.check(addr, counts);
            continue;
        }
        if socket.is_none() {
            match connected_udp(addr).await {
                Ok(s) => socket = Some(s),
                // The drop warning says so (once a minute at most); the cause at debug.
                Err(e) => debug!("HEP: no UDP socket to {addr}: {e}"),
            }
        }
        let sent = match &socket {
            Some(s) => s
                .send(&p)
                .await
                .map_err(|e| debug!("HEP: send to {addr}: {e}")),
            None => Err(()),
        };
        match sent {
            Ok(_) => {
                failed_at = None;
                counts.sent.fetch_add(1, Ordering::Relaxed);
            }
            // ECONNREFUSED: the collector's host said nothing listens there.
            Err(()) => {
                failed_at = Some(Instant::now());
                counts.dropped_send.fetch_add(1, Ordering::Relaxed);
            }
        }
        warning.check(addr, counts);
    }
}

/// A UDP socket of `addr`'s family, connected to it.
async fn connected_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let any: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any).await?;
    socket.connect(addr).await?;
    Ok(socket)
}

async fn tcp(addr: SocketAddr, rx: &mut mpsc::Receiver<Vec<u8>>, counts: &HepCounts) {
    let mut conn: Option<TcpStream> = None;
    let mut failed_at: Option<Instant> = None;
    let mut warning = DropWarning::default();
    while let Some(p) = rx.recv().await {
        warning.check(addr, counts);
        if conn.is_none() {
            if failed_at.is_some_and(|t| t.elapsed() < RETRY) {
                counts.dropped_send.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            match tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    conn = Some(s);
                    failed_at = None;
                }
                _ => {
                    failed_at = Some(Instant::now());
                    counts.dropped_send.fetch_add(1, Ordering::Relaxed);
                    warning.check(addr, counts);
                    continue;
                }
            }
        }
        let Some(s) = conn.as_mut() else { continue };
        match tokio::time::timeout(Duration::from_secs(2), s.write_all(&p)).await {
            Ok(Ok(())) => {
                counts.sent.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                conn = None;
                failed_at = Some(Instant::now());
                counts.dropped_send.fetch_add(1, Ordering::Relaxed);
                // At once: the next capture may not come for a while (the calls ended).
                warning.check(addr, counts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn udp_packets_arrive_and_a_full_queue_drops() {
        let collector = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let at = collector.local_addr().expect("addr");
        let sink = HepSink::start(TransportAddr {
            transport: Transport::Udp,
            addr: at,
        });
        sink.push(b"HEP3 one".to_vec());
        let mut buf = [0u8; 64];
        let (n, _) = tokio::time::timeout(Duration::from_secs(5), collector.recv_from(&mut buf))
            .await
            .expect("in time")
            .expect("recv");
        assert_eq!(&buf[..n], b"HEP3 one");
        // More than the queue holds at once, without yielding: the rest are dropped.
        for _ in 0..QUEUE + 10 {
            sink.push(vec![0; 8]);
        }
        assert!(sink.counts.dropped_queue.load(Ordering::Relaxed) >= 10);
    }

    /// A UDP collector with nothing listening: its host's ICMP port unreachable makes a
    /// later send fail, counted as a drop; once a collector listens there again, packets
    /// reach it (after the RETRY pause).
    #[tokio::test]
    async fn a_refusing_udp_collector_counts_drops_and_is_used_again_when_back() {
        let gone = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = gone.local_addr().expect("addr");
        drop(gone);
        let sink = HepSink::start(TransportAddr {
            transport: Transport::Udp,
            addr,
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while sink.counts.dropped_send.load(Ordering::Relaxed) == 0 {
            assert!(Instant::now() < deadline, "no refusal counted");
            sink.push(vec![2; 8]);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let back = UdpSocket::bind(addr).await.expect("the collector again");
        // Sends resume after RETRY.
        let deadline = Instant::now() + RETRY + Duration::from_secs(10);
        let mut buf = [0u8; 64];
        let got = loop {
            sink.push(b"HEP3 back".to_vec());
            let r = tokio::time::timeout(Duration::from_millis(200), back.recv(&mut buf)).await;
            if let Ok(r) = r {
                break r.expect("recv");
            }
            assert!(
                Instant::now() < deadline,
                "nothing reached the collector again"
            );
        };
        assert_eq!(&buf[..got], b"HEP3 back");
    }

    #[test]
    fn drops_are_warned_at_once_then_once_a_minute() {
        let t0 = Instant::now();
        let mut w = DropWarning::default();
        assert_eq!(w.due(t0, 0), None, "nothing dropped");
        assert_eq!(w.due(t0, 3), Some(3), "the first drop at once");
        assert_eq!(w.due(t0 + Duration::from_secs(30), 50), None);
        assert_eq!(
            w.due(t0 + WARN_EVERY, 50),
            Some(47),
            "a minute later, the drops since"
        );
        assert_eq!(w.due(t0 + WARN_EVERY * 3, 50), None, "none since");
    }

    #[tokio::test]
    async fn a_dead_tcp_collector_drops_without_blocking() {
        // A port nobody listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        drop(l);
        let sink = HepSink::start(TransportAddr {
            transport: Transport::Tcp,
            addr,
        });
        for _ in 0..3 {
            sink.push(vec![1; 8]);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while sink.counts.dropped_send.load(Ordering::Relaxed) < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(sink.counts.dropped_send.load(Ordering::Relaxed), 3);
        assert_eq!(sink.counts.sent.load(Ordering::Relaxed), 0);
    }
}
