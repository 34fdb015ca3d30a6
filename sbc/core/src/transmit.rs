//! What a sans-IO core asks the daemon to put on the wire.

use std::net::SocketAddr;

use crate::Transport;

/// One message to send. The core chooses the bytes and the destination; the daemon
/// chooses the socket: for UDP the listener bound to `local`, for TCP/TLS the
/// connection to `remote` (opening one if none exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub transport: Transport,
    /// The SBC's own address the message leaves from.
    pub local: SocketAddr,
    /// Where it goes.
    pub remote: SocketAddr,
    pub payload: Vec<u8>,
}
