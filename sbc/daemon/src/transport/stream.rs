//! One task per stream connection — TCP or TLS, accepted from a peer or opened by the SBC.
//!
//! The task owns the socket whole (no split halves, no second writer task) and waits on
//! four things at once: the socket becoming readable, a message from the core to write,
//! the idle deadline, and — on connections the SBC opened — the keep-alive deadline.
//!
//! Memory is what bounds how many idle connections an SBC holds, so an idle connection
//! keeps as little as it can (measured by `tests/examples/tls_idle.rs`: ~2 kB per idle TCP
//! connection, ~9 kB per idle TLS one, of which rustls keeps ~7 kB):
//!
//! * the task waits for *readability* of the TCP socket without a read buffer, allocates
//!   [`READ_BUF`] bytes only while data is there to read, reads until nothing more is
//!   available and frees it again; the framer holds only a partial message;
//! * the work after a wake-up (reading, writing) runs in boxed futures that exist only
//!   while it runs, so the task's own future is only what an idle wait needs; a TLS
//!   stream (~1.2 kB of rustls state inline) is held boxed, once;
//! * the write queue is a [`Queue`], one small allocation while empty.
//!
//! Framing is [`StreamFramer`]'s (Content-Length, keep-alive pings, a cap on buffered
//! bytes); the connection is closed when framing is lost. RFC 5626 §4.4.1 keep-alives: a
//! connection the SBC opened sends a CRLFCRLF ping after [`KEEPALIVE_INTERVAL`] without
//! receiving anything, and the peer's CRLF pong is absorbed; any connection with nothing
//! received for [`IDLE_TIMEOUT`] is dead and closed.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::Transport;
use sbc_sip::transaction::Peer;
use sbc_sip::{Framing, StreamEvent, StreamFramer};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tracing::{debug, info, warn};

use super::queue::{Queue, queue};
use super::socket::Socket;
use super::socket::read_now;
use super::{Inbound, Ingest};

/// A connection with nothing received for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Idle time after which a connection the SBC opened sends a CRLFCRLF ping.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// Bytes queued for one connection (also while it is being opened) before the core drops
/// further messages: about 2,000 typical messages, so that a connection task stalled for a
/// moment under load (a trunk carrying 1,000 calls/s sends ~4,000 messages a second on one
/// connection) loses nothing; a peer that stops reading is cut by [`WRITE_TIMEOUT`]. With
/// 256 messages, a carrier's single TLS connection lost calls at 1,000 calls/s on a busy
/// machine (`scripts/bench/tls`).
pub const WRITE_QUEUE: usize = 2 * 1024 * 1024;
/// A write that makes no progress for this long (the peer stopped reading) ends the
/// connection.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Read buffer, allocated only while the socket has data.
pub const READ_BUF: usize = 16 * 1024;
/// Messages written before the socket is flushed and the loop looks at reads again.
const WRITE_BATCH: usize = 32;

/// What every connection task needs: the parser and the way to the core.
#[derive(Debug, Clone)]
pub struct StreamCtx {
    pub ingest: Arc<Ingest>,
    pub core: mpsc::Sender<Inbound>,
}

/// A connection as the core sees it: `local` is the SBC's *listener* address (also for
/// connections the SBC opened from an ephemeral port), so responses and later requests
/// find the connection under the same key the core uses in Via.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub transport: Transport,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// Who opened the connection; the opener sends the keep-alives (RFC 5626 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Accepted,
    /// Pings after `keepalive` without receiving anything ([`KEEPALIVE_INTERVAL`]).
    Opened {
        keepalive: Duration,
    },
}

/// Runs an accepted connection: registers its writer with the core, serves it until it
/// ends, and tells the core it is gone.
pub async fn accepted<S: Socket>(sock: S, link: Link, ctx: StreamCtx) {
    let (tx, rx) = queue(WRITE_QUEUE);
    let hello = Inbound::Connected {
        local: link.local,
        remote: link.remote,
        writer: tx,
    };
    if Box::pin(ctx.core.send(hello)).await.is_err() {
        return;
    }
    serve(sock, link, Role::Accepted, &ctx, rx).await;
}

/// Serves a connection until it ends, logs why, and tells the core it is gone. `rx` is
/// dropped before the core hears of it, so the core can tell this connection's writer
/// (closed) from a newer one under the same addresses.
pub async fn serve<S: Socket>(sock: S, link: Link, role: Role, ctx: &StreamCtx, rx: Queue) {
    debug!(transport = %link.transport, local = %link.local, remote = %link.remote, "connection open");
    let mut conn = Conn {
        sock,
        link,
        ctx,
        framer: StreamFramer::new(ctx.ingest.limits),
        awaiting_pong: false,
        last_rx: Instant::now(),
    };
    let reason = Box::pin(conn.run(role, rx)).await;
    info!(transport = %link.transport, local = %link.local, remote = %link.remote, "connection closed: {reason}");
    let bye = Inbound::Disconnected {
        transport: link.transport,
        local: link.local,
        remote: link.remote,
    };
    let _ = Box::pin(ctx.core.send(bye)).await;
}

/// Why a connection ended (logged).
type Closed = String;

/// What woke the connection task.
enum Wake {
    Readable(io::Result<()>),
    Write(Option<Vec<u8>>),
    Idle,
    Ping,
}

struct Conn<'a, S> {
    sock: S,
    link: Link,
    ctx: &'a StreamCtx,
    framer: StreamFramer,
    /// A ping was sent and its pong not yet seen.
    awaiting_pong: bool,
    last_rx: Instant,
}

impl<S: Socket> Conn<'_, S> {
    async fn run(&mut self, role: Role, mut rx: Queue) -> Closed {
        // TLS may hold application data that arrived with the end of the handshake:
        // read what is there before waiting for the socket.
        if let Err(reason) = Box::pin(self.read_available()).await {
            return reason;
        }
        let keepalive = match role {
            Role::Opened { keepalive } => Some(keepalive),
            Role::Accepted => None,
        };
        // Without keep-alives the ping deadline is never armed.
        let interval = keepalive.unwrap_or(IDLE_TIMEOUT);
        let mut next_ping = Instant::now() + interval;
        loop {
            let idle_at = self.last_rx + IDLE_TIMEOUT;
            let deadline = match keepalive {
                Some(_) => idle_at.min(next_ping),
                None => idle_at,
            };
            // The futures waited on here make up most of an idle connection's task: the
            // work after a wake-up runs in boxed futures that exist only while it runs.
            let wake = tokio::select! {
                r = self.sock.tcp().readable() => Wake::Readable(r),
                m = rx.recv() => Wake::Write(m),
                () = sleep_until(deadline) => {
                    if Instant::now() >= idle_at { Wake::Idle } else { Wake::Ping }
                }
            };
            let step = match wake {
                Wake::Readable(Ok(())) => {
                    let r = Box::pin(self.read_available()).await;
                    next_ping = next_ping.max(self.last_rx + interval);
                    r
                }
                Wake::Readable(Err(e)) => Err(format!("read error: {e}")),
                Wake::Write(Some(bytes)) => Box::pin(self.write_batch(bytes, &mut rx)).await,
                Wake::Write(None) => Err("no longer used by the core".into()),
                Wake::Idle => Err(format!("idle for {} s", IDLE_TIMEOUT.as_secs())),
                Wake::Ping => {
                    next_ping = Instant::now() + interval;
                    self.awaiting_pong = true;
                    Box::pin(self.write(b"\r\n\r\n")).await
                }
            };
            if let Err(reason) = step {
                let _ = Box::pin(timeout(WRITE_TIMEOUT, self.sock.shutdown())).await;
                return reason;
            }
        }
    }

    /// Reads until the socket has nothing more, handling every message on the way. The
    /// read buffer lives only as long as this call.
    async fn read_available(&mut self) -> Result<(), Closed> {
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let n = match read_now(&mut self.sock, &mut buf).await {
                None => return Ok(()),
                Some(Err(e)) => return Err(format!("read error: {e}")),
                Some(Ok(0)) => return Err("peer closed".into()),
                Some(Ok(n)) => n,
            };
            self.last_rx = Instant::now();
            let mut data = &buf[..n];
            if self.awaiting_pong && self.framer.buffered() == 0 && data.starts_with(b"\r\n") {
                // The CRLF pong to our ping (RFC 5626 §4.4.1). Kept away from the framer,
                // where two pongs in a row would read as a ping.
                self.awaiting_pong = false;
                data = &data[2..];
            }
            self.framer.push(data);
            self.drain_framer().await?;
        }
    }

    /// Handles every complete message and ping the framer holds.
    async fn drain_framer(&mut self) -> Result<(), Closed> {
        loop {
            let event = match self.framer.next_event() {
                Ok(Some(e)) => e,
                Ok(None) => return Ok(()),
                Err(e) => {
                    warn!(local = %self.link.local, remote = %self.link.remote, "{} framing lost, closing: {e}", self.link.transport);
                    return Err(format!("framing: {e}"));
                }
            };
            match event {
                StreamEvent::Ping => self.write(b"\r\n").await?,
                StreamEvent::Message(bytes) => {
                    match self
                        .ctx
                        .ingest
                        .parse(bytes, Framing::Stream, self.link.remote)
                    {
                        Ok(msg) => {
                            let peer = Peer {
                                transport: self.link.transport,
                                local: self.link.local,
                                remote: self.link.remote,
                            };
                            let ev = Inbound::Message { msg, peer };
                            if self.ctx.core.send(ev).await.is_err() {
                                return Err("shutting down".into());
                            }
                        }
                        Err(refused) => {
                            if let Some(response) = refused.response {
                                self.write(&response).await?;
                            }
                            if refused.error.breaks_framing() {
                                return Err(format!("framing: {}", refused.error));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes `first` and whatever else is queued (up to a batch), then flushes.
    async fn write_batch(&mut self, first: Vec<u8>, rx: &mut Queue) -> Result<(), Closed> {
        self.write_unflushed(&first).await?;
        for _ in 1..WRITE_BATCH {
            match rx.try_recv() {
                Some(bytes) => self.write_unflushed(&bytes).await?,
                None => break,
            }
        }
        self.flush().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.write_unflushed(bytes).await?;
        self.flush().await
    }

    async fn write_unflushed(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        match timeout(WRITE_TIMEOUT, self.sock.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write error: {e}")),
            Err(_) => Err(format!(
                "write stalled for {} s (peer not reading)",
                WRITE_TIMEOUT.as_secs()
            )),
        }
    }

    async fn flush(&mut self) -> Result<(), Closed> {
        match timeout(WRITE_TIMEOUT, self.sock.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write error: {e}")),
            Err(_) => Err("flush stalled (peer not reading)".into()),
        }
    }
}

/// The size of a connection loop's future (what an idle connection's boxed loop holds).
#[cfg(test)]
pub(super) fn run_future_size<S: Socket>(sock: S, link: Link, ctx: &StreamCtx) -> usize {
    let (_writer, rx) = queue(1);
    let mut conn = Conn {
        sock,
        link,
        ctx,
        framer: StreamFramer::new(ctx.ingest.limits),
        awaiting_pong: false,
        last_rx: Instant::now(),
    };
    let run = conn.run(Role::Accepted, rx);
    std::mem::size_of_val(&run)
}
