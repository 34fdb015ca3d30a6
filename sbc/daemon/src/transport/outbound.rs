//! Where the core's transmits go: the UDP socket bound to the transmit's local address,
//! or the stream connection between the two addresses.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use sbc_core::{Transmit, Transport};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::warn;

/// The sockets and connections the core writes to. Owned by the core task (no locks).
#[derive(Debug, Default)]
pub struct Outbound {
    udp: HashMap<SocketAddr, Arc<UdpSocket>>,
    streams: HashMap<(SocketAddr, SocketAddr), mpsc::Sender<Vec<u8>>>,
}

impl Outbound {
    pub fn new(udp: HashMap<SocketAddr, Arc<UdpSocket>>) -> Self {
        Outbound {
            udp,
            streams: HashMap::new(),
        }
    }

    /// A stream connection is up: writes between `local` and `remote` go to `writer`.
    pub fn connected(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    ) {
        self.streams.insert((local, remote), writer);
    }

    pub fn disconnected(&mut self, local: SocketAddr, remote: SocketAddr) {
        self.streams.remove(&(local, remote));
    }

    /// Sends without waiting: a full socket buffer or connection backlog drops the message
    /// (SIP retransmits over UDP; a stream that cannot keep up is failing anyway).
    pub fn send(&mut self, t: Transmit) {
        match t.transport {
            Transport::Udp => match self.udp.get(&t.local) {
                Some(socket) => {
                    if let Err(e) = socket.try_send_to(&t.payload, t.remote) {
                        warn!(local = %t.local, remote = %t.remote, "udp send failed: {e}");
                    }
                }
                None => warn!(local = %t.local, "no UDP socket for transmit"),
            },
            Transport::Tcp | Transport::Tls => match self.streams.get(&(t.local, t.remote)) {
                Some(w) => {
                    if w.try_send(t.payload).is_err() {
                        warn!(remote = %t.remote, "connection backlog full or closed: message dropped");
                    }
                }
                None => warn!(remote = %t.remote, "no connection to {}: message dropped", t.remote),
            },
        }
    }
}
