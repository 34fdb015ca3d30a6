//! Opening stream connections on demand, for transmits to a remote the SBC has no
//! connection to (requests to a `tcp:`/`tls:` trunk peer, responses whose connection is
//! gone).
//!
//! [`Connector::open`] runs in its own task: it binds the realm's listener IP (ephemeral
//! port), connects within [`CONNECT_TIMEOUT`], does the TLS handshake within
//! [`HANDSHAKE_TIMEOUT`] verifying the peer ([`TlsClients`]), and then serves the
//! connection like an accepted one, writing first what was queued meanwhile. On failure
//! it logs one line with the reason, drops the queue, and sends the core an
//! [`Inbound::ConnectFailed`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::Transport;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tracing::warn;

use super::Inbound;
use super::clients::{SYSTEM_ROOTS, TlsClients};
use super::queue::Queue;
use super::stream::{self, Link, Role, StreamCtx};
use super::tls::HANDSHAKE_TIMEOUT;

/// A TCP connect that takes longer than this fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("too many stream connections (sip.max_connections)")]
    TooMany,
    #[error("{0} is not a stream transport")]
    NotStream(Transport),
    #[error(
        "no TLS client configuration: not a trunk peer, and the system CA bundle {SYSTEM_ROOTS} is unusable"
    )]
    NoTlsConfig,
    #[error("cannot bind {ip}: {error}")]
    Bind {
        ip: std::net::IpAddr,
        error: io::Error,
    },
    #[error("connect timed out after {} s", CONNECT_TIMEOUT.as_secs())]
    ConnectTimeout,
    #[error("connect failed: {0}")]
    Connect(io::Error),
    #[error("TLS handshake timed out after {} s", HANDSHAKE_TIMEOUT.as_secs())]
    HandshakeTimeout,
    /// Includes certificate verification failures ("invalid peer certificate: ...").
    #[error("TLS handshake failed: {0}")]
    Handshake(io::Error),
}

/// What opening connections needs; cheap to clone (one per connect task).
#[derive(Debug, Clone)]
pub struct Connector {
    pub ctx: StreamCtx,
    pub tls: Arc<TlsClients>,
    /// Shared with the listeners: one cap on all stream connections.
    pub slots: Arc<Semaphore>,
    /// Keep-alive ping interval ([`KEEPALIVE_INTERVAL`](super::KEEPALIVE_INTERVAL) in
    /// the daemon).
    pub keepalive: Duration,
}

impl Connector {
    /// Starts opening `link` in a new task; what arrives on `rx` is written once it is
    /// up.
    pub fn spawn(&self, link: Link, rx: Queue) {
        tokio::spawn(self.clone().open(link, rx));
    }

    /// Opens `link` and serves it until it ends; see the module docs.
    pub async fn open(self, link: Link, rx: Queue) {
        let permit = self.slots.clone().try_acquire_owned();
        // Boxed: the TCP connect and TLS handshake state is freed once the connection is up.
        let opened = match &permit {
            Ok(_) => Box::pin(self.connect(link)).await,
            Err(_) => Err(ConnectError::TooMany),
        };
        let role = Role::Opened {
            keepalive: self.keepalive,
        };
        match opened {
            Ok(Opened::Tcp(sock)) => stream::serve(sock, link, role, &self.ctx, rx).await,
            Ok(Opened::Tls(sock)) => stream::serve(sock, link, role, &self.ctx, rx).await,
            Err(error) => Box::pin(self.failed(link, rx, error)).await,
        }
        drop(permit);
    }

    async fn connect(&self, link: Link) -> Result<Opened, ConnectError> {
        let client = match link.transport {
            Transport::Tcp => None,
            Transport::Tls => Some(
                self.tls
                    .for_link(link.local, link.remote)
                    .ok_or(ConnectError::NoTlsConfig)?,
            ),
            Transport::Udp => return Err(ConnectError::NotStream(link.transport)),
        };
        let tcp = tcp_connect(link).await?;
        let Some(client) = client else {
            return Ok(Opened::Tcp(tcp));
        };
        let name = client.server_name_for(link.remote);
        let connector = TlsConnector::from(client.config.clone());
        let tls = timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp))
            .await
            .map_err(|_| ConnectError::HandshakeTimeout)?
            .map_err(ConnectError::Handshake)?;
        Ok(Opened::Tls(Box::new(tls)))
    }

    /// One log line, the queue dropped, the core told.
    async fn failed(&self, link: Link, rx: Queue, error: ConnectError) {
        let dropped = rx.len();
        // Closing the queue first: the core sees a closed writer and connects afresh
        // for the next transmit, even before it has read the event below.
        drop(rx);
        warn!(
            transport = %link.transport,
            local = %link.local,
            remote = %link.remote,
            "cannot open {} connection to {}: {error}; {dropped} queued message(s) dropped",
            link.transport, link.remote,
        );
        let event = Inbound::ConnectFailed {
            transport: link.transport,
            local: link.local,
            remote: link.remote,
            reason: error.to_string(),
        };
        let _ = self.ctx.core.send(event).await;
    }
}

enum Opened {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A TCP connection from the listener's IP (ephemeral port) to the remote.
async fn tcp_connect(link: Link) -> Result<TcpStream, ConnectError> {
    let ip = link.local.ip();
    let bind_err = |error| ConnectError::Bind { ip, error };
    let socket = match link.remote {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(bind_err)?;
    socket.bind(SocketAddr::new(ip, 0)).map_err(bind_err)?;
    let tcp = timeout(CONNECT_TIMEOUT, socket.connect(link.remote))
        .await
        .map_err(|_| ConnectError::ConnectTimeout)?
        .map_err(ConnectError::Connect)?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}
