//! UDP: one task per listening socket reads datagrams, one message each (RFC 3261 §18.1).
//! New INVITEs are answered 503 here when the core is overloaded (`shed.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use sbc_core::Transport;
use sbc_sip::Framing;
use sbc_sip::transaction::Peer;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::shed::{self, ShedLog};
use super::{Inbound, Ingest};

/// Largest UDP payload; a datagram is never larger, so nothing is ever truncated.
const MAX_DATAGRAM: usize = 65_535;

/// Receive buffer asked of the kernel for a SIP socket: bursts of a few thousand
/// messages wait there instead of being dropped (the default is about 200 KiB).
const RECV_BUFFER: usize = 4 << 20;

/// Binds a SIP UDP socket with a large receive buffer (the kernel caps it at
/// `net.core.rmem_max`; the request is best effort).
pub fn bind(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(RECV_BUFFER) {
        debug!(%addr, "receive buffer not enlarged: {e}");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Counts datagrams dropped because the core is overloaded, and logs them at most once
/// a second (one line per drop would add work exactly when there is no time for it).
#[derive(Debug)]
struct Drops {
    count: u64,
    since: std::time::Instant,
}

impl Drops {
    fn note(&mut self, local: SocketAddr) {
        self.count += 1;
        if self.since.elapsed() >= std::time::Duration::from_secs(1) {
            warn!(%local, dropped = self.count, "core overloaded: datagrams dropped in the last second(s)");
            self.count = 0;
            self.since = std::time::Instant::now();
        }
    }
}

/// Reads datagrams until the socket fails or the core goes away.
pub async fn serve(
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    ingest: Arc<Ingest>,
    core: mpsc::Sender<Inbound>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut drops = Drops {
        count: 0,
        since: std::time::Instant::now(),
    };
    let mut shed_log = ShedLog::new(std::time::Instant::now());
    loop {
        let (n, remote) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface as recv errors on some kernels; they are not fatal.
                debug!(%local, "udp receive error: {e}");
                continue;
            }
        };
        let datagram = &buf[..n];
        if datagram.iter().all(|&b| b == b'\r' || b == b'\n' || b == 0) {
            // Keep-alives (CRLF, or a single NUL some devices send): nothing to parse.
            continue;
        }
        match ingest.parse(datagram.to_vec(), Framing::Datagram, remote) {
            Ok(msg) => {
                if shed::overloaded(core.capacity(), core.max_capacity()) && shed::is_new_call(&msg)
                {
                    let _ = socket.try_send_to(&shed::busy_response(&msg, &ingest.agent), remote);
                    shed_log.note(std::time::Instant::now(), local);
                    continue;
                }
                let peer = Peer {
                    transport: Transport::Udp,
                    local,
                    remote,
                };
                match core.try_send(Inbound::Message { msg, peer }) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => drops.note(local),
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
            Err(refused) => {
                if let Some(response) = refused.response {
                    let _ = socket.try_send_to(&response, remote);
                }
            }
        }
    }
}
