//! TCP listeners: an accept loop per listener, one [`stream`] task per
//! connection. At most `sip.max_connections` stream connections are open at once (shared
//! with TLS and with connections the SBC opens); idle ones close after
//! [`IDLE_TIMEOUT`](super::stream::IDLE_TIMEOUT).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::Transport;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::warn;

use super::stream::{self, Link, StreamCtx};

/// Accepts connections until the listener fails.
pub async fn serve(
    listener: TcpListener,
    local: SocketAddr,
    ctx: StreamCtx,
    slots: Arc<Semaphore>,
) {
    loop {
        let (sock, link, permit) = accept(&listener, local, Transport::Tcp, &slots).await;
        let ctx = ctx.clone();
        tokio::spawn(async move {
            stream::accepted(sock, link, ctx).await;
            drop(permit);
        });
    }
}

/// The next connection on `listener` that gets one of the shared connection `slots`
/// (TCP and TLS listeners alike); a failed accept backs off, a connection over the cap
/// is refused (closed) with a log line.
pub(super) async fn accept(
    listener: &TcpListener,
    local: SocketAddr,
    transport: Transport,
    slots: &Arc<Semaphore>,
) -> (TcpStream, Link, OwnedSemaphorePermit) {
    loop {
        let (sock, remote) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and the like: back off instead of spinning.
                warn!(%local, "{transport} accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            warn!(%local, %remote, "too many stream connections: refused");
            continue;
        };
        let _ = sock.set_nodelay(true);
        let link = Link {
            transport,
            local,
            remote,
        };
        return (sock, link, permit);
    }
}
