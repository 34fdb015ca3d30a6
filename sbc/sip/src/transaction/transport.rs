//! Transport failures (RFC 3261 §17.1.4, §18.4): a flow that cannot carry requests
//! fails the client transactions waiting on it at once.
//!
//! Over UDP a lost request is retransmitted and Timer B/F ends the wait after 64*T1.
//! Over TCP and TLS nothing is retransmitted, so when the daemon cannot open the
//! connection (refused, timed out, TLS handshake or certificate rejected) the request
//! is simply gone, and waiting 32 s for Timer B would only delay the caller's answer
//! and the failover to the next peer. The daemon reports the failure with
//! [`TransactionLayer::transport_error`] instead.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::Transport;

use super::events::{ClientTxId, Peer};
use super::layer::TransactionLayer;

impl TransactionLayer {
    /// The transport reported that it cannot carry messages from `local` to `remote`
    /// over `transport` (§17.1.4, §18.4; for TCP/TLS: the connection could not be
    /// opened). Every client transaction sending to exactly that flow that has no final
    /// response yet ends at once: the TU gets [`TransactionEvent::Timeout`] with
    /// [`Timer::Transport`], then [`TransactionEvent::Terminated`], in the order the
    /// transactions were started. A CANCEL still held back for its INVITE ends with it.
    ///
    /// Untouched: client transactions with a final response (they have nothing left
    /// to send), transactions on other flows, and server transactions — a response
    /// that cannot be delivered is the peer's loss, and their own timers (H, J, L)
    /// end them. Returns how many transactions were failed.
    ///
    /// [`TransactionEvent::Timeout`]: super::TransactionEvent::Timeout
    /// [`TransactionEvent::Terminated`]: super::TransactionEvent::Terminated
    /// [`Timer::Transport`]: super::Timer::Transport
    pub fn transport_error(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> usize {
        let flow = Peer {
            transport,
            local,
            remote,
        };
        let mut on_flow: Vec<ClientTxId> = self
            .clients
            .iter()
            .filter(|(_, tx)| tx.peer == flow)
            .map(|(&id, _)| id)
            .collect();
        // Ids grow with every transaction: the TU hears about them in start order.
        on_flow.sort_unstable();
        let mut failed = 0;
        for id in on_flow {
            // An INVITE failed earlier in this loop may have taken its CANCEL with it.
            if !self.clients.contains_key(&id) {
                continue;
            }
            self.step_client(now, id, |m, ctx| m.on_transport_error(ctx));
            if !self.clients.contains_key(&id) {
                failed += 1;
            }
        }
        failed
    }
}
