//! UDP: one task per listening socket reads datagrams, one message each (RFC 3261 §18.1).

use std::net::SocketAddr;
use std::sync::Arc;

use sbc_core::Transport;
use sbc_sip::Framing;
use sbc_sip::transaction::Peer;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::{Inbound, Ingest};

/// Largest UDP payload; a datagram is never larger, so nothing is ever truncated.
const MAX_DATAGRAM: usize = 65_535;

/// Reads datagrams until the socket fails or the core goes away.
pub async fn serve(
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    ingest: Arc<Ingest>,
    core: mpsc::Sender<Inbound>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
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
                let peer = Peer {
                    transport: Transport::Udp,
                    local,
                    remote,
                };
                match core.try_send(Inbound::Message { msg, peer }) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        warn!(%local, %remote, "core overloaded: datagram dropped");
                    }
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
