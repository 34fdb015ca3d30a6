//! Serving the router over HTTPS: HTTP/1.1 (hyper) on rustls streams.
//!
//! At most [`MAX_CONNECTIONS`] connections at a time (more are closed at once), a TLS
//! handshake must finish within [`HANDSHAKE_TIMEOUT`] and request headers within
//! [`HEADER_TIMEOUT`]. Each request carries the peer address as
//! `ConnectInfo<SocketAddr>`, which the allow-list middleware checks first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

pub const MAX_CONNECTIONS: usize = 64;
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` forever (abort the task to stop).
pub async fn serve_tls(listener: TcpListener, tls: Arc<rustls::ServerConfig>, app: Router) {
    let acceptor = TlsAcceptor::from(tls);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("management: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "management: too many connections; closed");
            continue;
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "management: TLS handshake: {e}");
                    return;
                }
                Err(_) => return,
            };
            serve_connection(TokioIo::new(stream), peer, app).await;
        });
    }
}

async fn serve_connection<I>(io: I, peer: SocketAddr, app: Router)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = app.map_request(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, TowerToHyperService::new(service))
        .await;
    if let Err(e) = result {
        tracing::debug!(%peer, "management: connection: {e}");
    }
}
