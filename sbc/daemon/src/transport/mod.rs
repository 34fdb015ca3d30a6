//! Sockets: UDP and TCP listeners of every realm.
//!
//! Listener tasks do the per-message work that needs no shared state — framing, parsing,
//! answering what the parser refuses — so it spreads over the runtime's threads. Good
//! messages go to the core task as [`Inbound`] events over one bounded channel; what the
//! core sends goes straight to the socket (UDP) or to the connection's writer task (TCP).

mod ingest;
mod outbound;
pub mod tcp;
pub mod udp;

use std::net::SocketAddr;

use sbc_sip::Message;
use sbc_sip::transaction::Peer;
use tokio::sync::mpsc;

pub use ingest::Ingest;
pub use outbound::Outbound;

/// What listener tasks tell the core.
#[derive(Debug)]
pub enum Inbound {
    /// A parsed, validated message.
    Message { msg: Message, peer: Peer },
    /// A stream connection is up; write to it through `writer`.
    Connected {
        local: SocketAddr,
        remote: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// A stream connection is gone.
    Disconnected {
        local: SocketAddr,
        remote: SocketAddr,
    },
}

/// Capacity of the listeners -> core channel. A UDP listener drops datagrams when it is
/// full (overload), a TCP reader waits (back-pressure to the peer).
pub const CORE_QUEUE: usize = 16 * 1024;
