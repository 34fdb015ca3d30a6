//! Sockets: UDP, TCP and TLS listeners of every realm, and stream connections the SBC
//! opens itself.
//!
//! Listener and connection tasks do the per-message work that needs no shared state —
//! framing, parsing, answering what the parser refuses — so it spreads over the runtime's
//! threads. Good messages go to the core task as [`Inbound`] events over one bounded
//! channel; what the core sends goes through [`Outbound`]: straight to the socket (UDP) or
//! to the connection task's queue (TCP, TLS), which is opened on demand when there is no
//! connection yet.
//!
//! | module | job |
//! |---|---|
//! | `udp` | one task per UDP socket |
//! | `tcp`, `tls` | accept loops; TLS handshakes with the realm's certificate |
//! | `sni` | which of a realm's certificates a TLS client gets, by the SNI it sends |
//! | `stream`, `socket` | one task per stream connection: read, frame, write, keep-alive, idle |
//! | `connect` | opening connections (TCP connect, TLS handshake verifying the peer) |
//! | `certs`, `clients` | PEM files to rustls server (per realm) and client (per trunk) configs; a trunk without its own client certificate presents its realm's `domain` certificate |
//! | `outbound`, `queue` | transmits to sockets and connection write queues |

pub(crate) mod certs;
mod clients;
mod connect;
mod identities;
mod ingest;
mod outbound;
mod queue;
mod shed;
mod sni;
mod socket;
pub mod stream;
pub mod tcp;
pub mod tls;
pub mod udp;

#[cfg(test)]
pub(crate) mod tests;

use std::net::SocketAddr;

use sbc_core::Transport;
use sbc_sip::Message;
use sbc_sip::transaction::Peer;

pub use certs::{TlsSetupError, server_config};
pub use clients::TlsClients;
pub use connect::Connector;
pub use identities::ServerIdentities;
pub use ingest::Ingest;
pub use outbound::Outbound;
pub use queue::Writer;
pub use stream::{KEEPALIVE_INTERVAL, StreamCtx};

/// What listener and connection tasks tell the core.
#[derive(Debug)]
pub enum Inbound {
    /// A parsed, validated message.
    Message { msg: Message, peer: Peer },
    /// A peer opened a stream connection; write to it through `writer`.
    Connected {
        local: SocketAddr,
        remote: SocketAddr,
        writer: Writer,
    },
    /// A stream connection is gone (its writer is closed by then). Client transactions
    /// still waiting on it fail at once (RFC 3261 §17.1.4), like a connection that could
    /// not be opened: over TCP/TLS nothing is retransmitted, so waiting for Timer B/F
    /// would only delay failover.
    Disconnected {
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
    },
    /// A connection the SBC tried to open for transmits from `local` to `remote` could
    /// not be opened: TCP connect refused or timed out, TLS handshake failed, the peer's
    /// certificate was rejected. Already logged; the queued messages are dropped. The
    /// core must forward it to [`Outbound::connect_failed`]; a transaction layer can
    /// also end the client transactions waiting on that flow at once (RFC 3261 §17.1.4
    /// transport error, answered like a 503) instead of waiting for Timer B/F.
    ConnectFailed {
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        reason: String,
    },
}

/// Capacity of the listeners -> core channel. A UDP listener drops datagrams when it is
/// full (overload), a stream reader waits (back-pressure to the peer).
pub const CORE_QUEUE: usize = 16 * 1024;
