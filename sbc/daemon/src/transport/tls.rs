//! TLS listeners: an accept loop per listener; each connection does its handshake (at
//! most [`HANDSHAKE_TIMEOUT`]) in its own task, then runs like a TCP one (same framing,
//! same connection cap and idle timeout) with `Transport::Tls` in its [`Peer`]s.
//!
//! A client that is not speaking TLS (plain SIP on the TLS port, garbage), fails the
//! handshake, or presents no acceptable certificate where the realm requires one, is
//! disconnected with one log line; nothing it sent reaches the core.
//!
//! [`Peer`]: sbc_sip::transaction::Peer

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::Transport;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tracing::info;

use super::identities::{LiveServerConfig, current};
use super::stream::{self, Link, StreamCtx};

/// A handshake that takes longer than this is abandoned (slow-loris protection).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the listener fails.
pub async fn serve(
    listener: TcpListener,
    local: SocketAddr,
    config: LiveServerConfig,
    ctx: StreamCtx,
    slots: Arc<Semaphore>,
) {
    loop {
        let (sock, link, permit) =
            super::tcp::accept(&listener, local, Transport::Tls, &slots).await;
        // The certificate current at accept time (a reload may have replaced it).
        let acceptor = TlsAcceptor::from(current(&config));
        tokio::spawn(connection(acceptor, sock, link, ctx.clone(), permit));
    }
}

async fn connection(
    acceptor: TlsAcceptor,
    sock: TcpStream,
    link: Link,
    ctx: StreamCtx,
    permit: OwnedSemaphorePermit,
) {
    // Boxed: the handshake's state is freed when it ends instead of staying part of the
    // connection's task for its lifetime; the stream itself lives behind one pointer.
    let handshake = Box::pin(tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        acceptor.accept(sock),
    ));
    if let Some(tls) = handshake_done(handshake.await, link) {
        stream::accepted(tls, link, ctx).await;
    }
    drop(permit);
}

type Handshake = Result<std::io::Result<ServerTls>, tokio::time::error::Elapsed>;
type ServerTls = tokio_rustls::server::TlsStream<TcpStream>;

/// The established stream, boxed; `None` after logging why the handshake failed.
fn handshake_done(result: Handshake, link: Link) -> Option<Box<ServerTls>> {
    let (local, remote) = (link.local, link.remote);
    match result {
        Ok(Ok(tls)) => Some(Box::new(tls)),
        Ok(Err(e)) => {
            info!(%local, %remote, "tls handshake failed: {e}");
            None
        }
        Err(_) => {
            let secs = HANDSHAKE_TIMEOUT.as_secs();
            info!(%local, %remote, "tls handshake timed out after {secs} s");
            None
        }
    }
}

/// The connection task's future, unpolled, for the size test.
#[cfg(test)]
pub(super) fn connection_for_size(
    acceptor: TlsAcceptor,
    sock: TcpStream,
    link: Link,
    ctx: StreamCtx,
    permit: OwnedSemaphorePermit,
) -> impl std::future::Future<Output = ()> {
    connection(acceptor, sock, link, ctx, permit)
}
