//! TCP: an accept loop per listener, a reader and a writer task per connection.
//!
//! The reader frames the stream with [`StreamFramer`] (Content-Length, keep-alive pings,
//! a cap on buffered bytes) and closes the connection when framing is lost: a message
//! too large, a header block that never ends, a missing Content-Length. Idle connections
//! are closed after [`IDLE_TIMEOUT`]; at most [`MAX_CONNECTIONS`] are open at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::Transport;
use sbc_sip::transaction::Peer;
use sbc_sip::{Framing, StreamEvent, StreamFramer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tracing::{debug, info, warn};

use super::{Inbound, Ingest};

/// A connection with no bytes for this long is closed (clients keep alive with CRLF pings).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Open connections across all TCP listeners.
pub const MAX_CONNECTIONS: usize = 8192;
/// Messages queued for one connection's writer before the core drops further ones.
const WRITE_QUEUE: usize = 256;

/// Accepts connections until the listener fails.
pub async fn serve(
    listener: TcpListener,
    local: SocketAddr,
    ingest: Arc<Ingest>,
    core: mpsc::Sender<Inbound>,
    slots: Arc<Semaphore>,
) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!(%local, "tcp accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            warn!(%local, %remote, "too many TCP connections: refused");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let ingest = ingest.clone();
        let core = core.clone();
        tokio::spawn(async move {
            connection(stream, local, remote, ingest, core).await;
            drop(permit);
        });
    }
}

async fn connection(
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    ingest: Arc<Ingest>,
    core: mpsc::Sender<Inbound>,
) {
    debug!(%local, %remote, "tcp connection open");
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    if core
        .send(Inbound::Connected {
            local,
            remote,
            writer: tx.clone(),
        })
        .await
        .is_err()
    {
        return;
    }
    let write_task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    let reason = read_loop(&mut reader, local, remote, &ingest, &core, &tx).await;
    info!(%local, %remote, "tcp connection closed: {reason}");
    let _ = core.send(Inbound::Disconnected { local, remote }).await;
    drop(tx);
    let _ = write_task.await;
}

async fn read_loop(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    local: SocketAddr,
    remote: SocketAddr,
    ingest: &Ingest,
    core: &mpsc::Sender<Inbound>,
    writer: &mpsc::Sender<Vec<u8>>,
) -> String {
    let mut framer = StreamFramer::new(ingest.limits);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout(IDLE_TIMEOUT, reader.read(&mut buf)).await {
            Err(_) => return "idle".into(),
            Ok(Err(e)) => return format!("read error: {e}"),
            Ok(Ok(0)) => return "peer closed".into(),
            Ok(Ok(n)) => n,
        };
        framer.push(&buf[..n]);
        loop {
            let event = match framer.next_event() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    warn!(%local, %remote, "tcp framing lost, closing: {e}");
                    return format!("framing: {e}");
                }
            };
            match event {
                StreamEvent::Ping => {
                    let _ = writer.try_send(b"\r\n".to_vec());
                }
                StreamEvent::Message(bytes) => match ingest.parse(bytes, Framing::Stream, remote) {
                    Ok(msg) => {
                        let peer = Peer {
                            transport: Transport::Tcp,
                            local,
                            remote,
                        };
                        if core.send(Inbound::Message { msg, peer }).await.is_err() {
                            return "shutting down".into();
                        }
                    }
                    Err(refused) => {
                        if let Some(response) = refused.response {
                            let _ = writer.try_send(response);
                        }
                        if refused.error.breaks_framing() {
                            return format!("framing: {}", refused.error);
                        }
                    }
                },
            }
        }
    }
}
