//! Where the core's transmits go: the UDP socket bound to the transmit's local address,
//! or the stream connection between the two addresses — opened on demand when there is
//! none.
//!
//! Stream connections are keyed by (local listener address, remote address). A
//! connection a peer opened is used for transmits to exactly its remote address (its
//! ephemeral port); a transmit to any other address of a stream transport opens a new
//! connection from the listener's IP ([`Connector`]). While that connection is being
//! opened, transmits queue in its write queue (at most [`WRITE_QUEUE`] bytes) and
//! are written when it is up, or dropped with one log line when it cannot be opened.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;
use std::sync::Arc;

use sbc_core::{Transmit, Transport};
use tokio::net::UdpSocket;
use tracing::{debug, warn};

use super::connect::Connector;
use super::queue::{TrySendError, Writer, queue};
use super::stream::{Link, WRITE_QUEUE};

/// The sockets and connections the core writes to. Owned by the core task (no locks).
#[derive(Debug, Default)]
pub struct Outbound {
    udp: HashMap<SocketAddr, Arc<UdpSocket>>,
    streams: HashMap<(SocketAddr, SocketAddr), Writer>,
    /// `None`: connections are never opened; stream transmits without one are dropped.
    connector: Option<Connector>,
}

impl Outbound {
    pub fn new(udp: HashMap<SocketAddr, Arc<UdpSocket>>) -> Self {
        Outbound {
            udp,
            ..Outbound::default()
        }
    }

    /// Opens stream connections on demand through `connector`.
    pub fn with_connector(mut self, connector: Connector) -> Self {
        self.connector = Some(connector);
        self
    }

    /// A stream connection is up: writes between `local` and `remote` go to `writer`.
    pub fn connected(&mut self, local: SocketAddr, remote: SocketAddr, writer: Writer) {
        self.streams.insert((local, remote), writer);
    }

    /// A stream connection is gone. Its task closed its writer before saying so; a newer
    /// connection between the same addresses (whose writer is open) stays.
    /// Connections opened from now on use `tls` (trunk CAs and client certificates of a
    /// reloaded configuration); open ones keep theirs.
    pub fn set_tls_clients(&mut self, tls: std::sync::Arc<super::TlsClients>) {
        if let Some(connector) = &mut self.connector {
            connector.tls = tls;
        }
    }

    /// A connection between the two addresses ended. Returns whether it was the current
    /// one (false when a newer connection under the same addresses took its place).
    pub fn disconnected(&mut self, local: SocketAddr, remote: SocketAddr) -> bool {
        if let Entry::Occupied(e) = self.streams.entry((local, remote)) {
            if e.get().is_closed() {
                e.remove();
                return true;
            }
        }
        false
    }

    /// A connection could not be opened (already logged, its queue dropped): the next
    /// transmit between the two addresses tries again.
    pub fn connect_failed(
        &mut self,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        reason: &str,
    ) {
        debug!(%local, %remote, "{transport} connection failed: {reason}");
        let _ = self.disconnected(local, remote);
    }

    /// Open or opening stream connections.
    #[cfg(test)]
    pub fn streams(&self) -> usize {
        self.streams.len()
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
            Transport::Tcp | Transport::Tls => self.send_stream(t),
        }
    }

    fn send_stream(&mut self, t: Transmit) {
        let key = (t.local, t.remote);
        let payload = match self.streams.get(&key) {
            None => t.payload,
            Some(writer) => match writer.try_send(t.payload) {
                Ok(()) => return,
                Err(TrySendError::Full(_)) => {
                    warn!(remote = %t.remote, "connection backlog full: message dropped");
                    return;
                }
                // The connection ended and the core has not heard yet: open a new one.
                Err(TrySendError::Closed(payload)) => {
                    self.streams.remove(&key);
                    payload
                }
            },
        };
        self.open(t.transport, t.local, t.remote, payload);
    }

    /// Starts opening a connection with `first` queued.
    fn open(
        &mut self,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        first: Vec<u8>,
    ) {
        let Some(connector) = &self.connector else {
            warn!(%remote, "no {transport} connection to {remote}: message dropped");
            return;
        };
        let (tx, rx) = queue(WRITE_QUEUE);
        // A new queue has room for one message.
        let _ = tx.try_send(first);
        debug!(%local, %remote, "opening {transport} connection");
        let link = Link {
            transport,
            local,
            remote,
        };
        connector.spawn(link, rx);
        self.streams.insert((local, remote), tx);
    }
}
