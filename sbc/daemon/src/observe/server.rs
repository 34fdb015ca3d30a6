//! The `/metrics` listener: plain HTTP/1.1, one request per connection, `GET /metrics`
//! (or `HEAD`) only.
//!
//! A client outside `[metrics] allow` (as of the running configuration) gets `403` and
//! the connection is closed; the firewall drops it before that when it is on. Each
//! connection runs in its own task with a deadline for the request and for the answer,
//! and at most [`MAX_CONNECTIONS`] are served at once (more are closed unanswered): a
//! scraper that never reads costs a task until its deadline, never the call path, which
//! only publishes a report once a second.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tracing::{debug, warn};

use super::exposition::CONTENT_TYPE;
use super::media::MediaBoard;
use super::process::ProcessStats;
use super::report::CoreReport;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Longest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// Deadline for reading the request, and (separately) for writing the answer.
const DEADLINE: Duration = Duration::from_secs(10);

/// What a scrape reads.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The core's latest report (`None` until its first).
    pub core: watch::Receiver<Option<Arc<CoreReport>>>,
    /// The configuration at start: whose `allow` counts until the core's first report.
    pub config: Arc<sbc_config::Config>,
    pub media: Arc<MediaBoard>,
}

/// Serves `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, sources: Sources) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!("metrics: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            debug!(%peer, "metrics: too many connections; closed");
            continue;
        };
        let sources = sources.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, peer, &sources).await {
                debug!(%peer, "metrics: {e}");
            }
            drop(permit);
        });
    }
}

/// The answer to a request head.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics { head_only: bool },
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

fn route(head: &[u8]) -> Route {
    let Some(line) = head
        .split(|&b| b == b'\n')
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
    else {
        return Route::BadRequest;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    let path = target.split('?').next().unwrap_or_default();
    match (method, path) {
        ("GET", "/metrics") => Route::Metrics { head_only: false },
        ("HEAD", "/metrics") => Route::Metrics { head_only: true },
        (_, "/metrics") => Route::MethodNotAllowed,
        _ => Route::NotFound,
    }
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    sources: &Sources,
) -> std::io::Result<()> {
    let report = sources.core.borrow().clone();
    let config = report.as_ref().map_or(&sources.config, |r| &r.config);
    let allowed = config.metrics().is_some_and(|m| m.allows(peer.ip()));
    if !allowed {
        debug!(%peer, "metrics: not in [metrics] allow: 403");
        return answer(
            &mut stream,
            "403 Forbidden",
            "text/plain",
            b"forbidden\n",
            false,
        )
        .await;
    }
    let head = match tokio::time::timeout(DEADLINE, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_) => return Ok(()),
    };
    match route(&head) {
        Route::Metrics { head_only } => {
            let Some(report) = report else {
                let starting = b"starting: no counters yet\n";
                return answer(
                    &mut stream,
                    "503 Service Unavailable",
                    "text/plain",
                    starting,
                    head_only,
                )
                .await;
            };
            let media = sources.media.sum();
            let process = ProcessStats::read();
            let body = super::metrics::render(&report, &media, &process);
            answer(
                &mut stream,
                "200 OK",
                CONTENT_TYPE,
                body.as_bytes(),
                head_only,
            )
            .await
        }
        Route::NotFound => {
            answer(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"try /metrics\n",
                false,
            )
            .await
        }
        Route::MethodNotAllowed => {
            answer(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                b"GET only\n",
                false,
            )
            .await
        }
        Route::BadRequest => answer(&mut stream, "400 Bad Request", "text/plain", b"", false).await,
    }
}

/// Reads until the blank line ending the head (bodies are not expected).
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(head);
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() >= MAX_HEAD {
            return Ok(head);
        }
    }
}

async fn answer(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        if !head_only {
            stream.write_all(body).await?;
        }
        stream.shutdown().await
    };
    match tokio::time::timeout(DEADLINE, write).await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_and_head_of_metrics_are_served() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route(b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Route::Metrics { head_only: true }
        );
        assert_eq!(
            route(b"POST /metrics HTTP/1.1\r\n\r\n"),
            Route::MethodNotAllowed
        );
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"GET /metrics SIP/2.0\r\n\r\n"), Route::BadRequest);
        assert_eq!(route(b"\xff\xfe"), Route::BadRequest);
    }
}
