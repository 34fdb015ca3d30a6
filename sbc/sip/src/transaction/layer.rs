//! [`TransactionLayer`]: the transactions, their indexes, and the TU-facing calls.
//! Messages from the network are placed by `inbound.rs`.

use std::collections::HashMap;
use std::time::Instant;

use sbc_core::Transmit;

use super::build::cancel_for;
use super::ctx::{Ctx, Flow, Outbox};
use super::entry::{ClientMachine, ClientTx, ServerTx};
use super::error::TransactionError;
use super::events::{ClientTxId, Peer, ServerTxId, TransactionEvent, TxId};
use super::invite_client::InviteClient;
use super::key::{ClientKey, MergeKey, ServerKey};
use super::non_invite_client::NonInviteClient;
use super::timer::{Timer, TimerConfig};
use crate::{Message, Method};

/// The RFC 3261 §17 transaction layer of one SIP endpoint. See the [module
/// docs](super) for the run loop.
#[derive(Debug)]
pub struct TransactionLayer {
    pub(crate) config: TimerConfig,
    pub(crate) next_id: u64,
    pub(crate) clients: HashMap<ClientTxId, ClientTx>,
    pub(crate) servers: HashMap<ServerTxId, ServerTx>,
    pub(crate) client_keys: HashMap<ClientKey, ClientTxId>,
    pub(crate) server_keys: HashMap<ServerKey, ServerTxId>,
    pub(crate) merge_keys: HashMap<MergeKey, ServerTxId>,
    pub(crate) out: Outbox,
}

impl Default for TransactionLayer {
    fn default() -> Self {
        TransactionLayer::new(TimerConfig::default())
    }
}

impl TransactionLayer {
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            config,
            next_id: 0,
            clients: HashMap::new(),
            servers: HashMap::new(),
            client_keys: HashMap::new(),
            server_keys: HashMap::new(),
            merge_keys: HashMap::new(),
            out: Outbox::default(),
        }
    }

    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// Starts a client transaction for `request` towards `peer` and sends it. The
    /// request must carry its final top Via with an RFC 3261 branch (see
    /// [`new_branch`](super::new_branch)) and From, To, Call-ID and CSeq; ACK is
    /// refused (an ACK for a 2xx has no transaction: use [`Self::send_stateless`]).
    pub fn start_client(
        &mut self,
        now: Instant,
        request: Message,
        peer: Peer,
    ) -> Result<ClientTxId, TransactionError> {
        let key = ClientKey::for_request(&request)?;
        if self.client_keys.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction {
                branch: key.branch.into(),
                method: key.method.as_str().into(),
            });
        }
        let id = ClientTxId(self.next_id());
        let mut ctx = Ctx {
            now,
            config: &self.config,
            peer,
            id,
            out: &mut self.out,
        };
        let machine = if key.method == Method::Invite {
            ClientMachine::Invite(InviteClient::start(&mut ctx, request))
        } else {
            ClientMachine::NonInvite(NonInviteClient::start(&mut ctx, &request))
        };
        self.client_keys.insert(key.clone(), id);
        self.clients.insert(
            id,
            ClientTx {
                peer,
                key,
                machine,
                cancel: None,
            },
        );
        Ok(id)
    }

    /// Sends `response` in server transaction `tx`, to the peer the request came from.
    /// Refused when the transaction's state does not allow it: after a final response
    /// (except further 2xx to an INVITE, RFC 6026 Accepted), or for a CANCEL, which
    /// the layer answers itself.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: Message,
    ) -> Result<(), TransactionError> {
        self.respond_ref(now, tx, &response)
    }

    pub(crate) fn respond_ref(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: &Message,
    ) -> Result<(), TransactionError> {
        if response.is_request() {
            return Err(TransactionError::NotAResponse);
        }
        let entry = self
            .servers
            .get_mut(&tx)
            .ok_or(TransactionError::UnknownServer { tx })?;
        let mut ctx = Ctx {
            now,
            config: &self.config,
            peer: entry.peer,
            id: tx,
            out: &mut self.out,
        };
        if entry.machine.respond(&mut ctx, response)? == Flow::Terminate {
            self.remove_server(tx);
        }
        Ok(())
    }

    /// A response to the request that opened server transaction `tx`, built like
    /// [`response_for`](super::response_for) from the Via, From, To, Call-ID and CSeq
    /// the transaction kept. For when the TU no longer holds that request — above all
    /// the 487 for an INVITE after [`TransactionEvent::Cancel`], which must be built
    /// from the INVITE, not from the CANCEL (their Via stacks and CSeq methods differ).
    pub fn response_to(
        &self,
        tx: ServerTxId,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) -> Result<Message, TransactionError> {
        let entry = self
            .servers
            .get(&tx)
            .ok_or(TransactionError::UnknownServer { tx })?;
        Ok(super::response_for(&entry.template, code, reason, to_tag))
    }

    /// Stops retransmitting the INVITE of client transaction `tx` (its target was
    /// abandoned for another): the transaction goes on matching responses until it ends
    /// (Timer B, or a final response).
    pub fn stop_retransmitting(&mut self, tx: ClientTxId) {
        self.out.timers.disarm(tx.into(), Timer::A);
    }

    /// Whether INVITE client transaction `tx` is still Calling: no response at all yet
    /// (§17.1.1.2).
    pub fn is_calling(&self, tx: ClientTxId) -> bool {
        self.clients
            .get(&tx)
            .is_some_and(|e| matches!(&e.machine, ClientMachine::Invite(i) if i.is_calling()))
    }

    /// Cancels the pending INVITE client transaction `tx` (§9.1): builds the CANCEL
    /// from the INVITE and runs it in its own client transaction, whose id is returned
    /// (asking again returns the same id). Before any provisional response the CANCEL
    /// is held back until one arrives, and dropped if a final response comes first.
    /// If the INVITE still has no final response 64*T1 after the CANCEL went out, the
    /// INVITE transaction ends with [`TransactionEvent::Timeout`] and
    /// [`Timer::Cancel`](super::Timer::Cancel).
    pub fn cancel(&mut self, now: Instant, tx: ClientTxId) -> Result<ClientTxId, TransactionError> {
        self.cancel_with(now, tx, None)
    }

    /// [`cancel`](Self::cancel) with a `Reason` header (RFC 3326) saying why.
    pub fn cancel_with(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        reason: Option<&str>,
    ) -> Result<ClientTxId, TransactionError> {
        let entry = self
            .clients
            .get(&tx)
            .ok_or(TransactionError::UnknownClient { tx })?;
        let ClientMachine::Invite(invite) = &entry.machine else {
            return Err(TransactionError::NotInvite { tx });
        };
        if let Some(cancel) = entry.cancel {
            return Ok(cancel);
        }
        if invite.has_final() {
            return Err(TransactionError::AlreadyFinal { tx });
        }
        let mut request = cancel_for(invite.request())?;
        if let Some(reason) = reason {
            request.push_header(crate::wire::HeaderName::from_token("Reason"), reason);
        }
        let key = ClientKey {
            branch: entry.key.branch.clone(),
            method: Method::Cancel,
        };
        if self.client_keys.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction {
                branch: key.branch.into(),
                method: "CANCEL".into(),
            });
        }
        let (peer, calling) = (entry.peer, invite.is_calling());
        let id = ClientTxId(self.next_id());
        self.client_keys.insert(key.clone(), id);
        self.clients.insert(
            id,
            ClientTx {
                peer,
                key,
                machine: ClientMachine::NonInvite(NonInviteClient::deferred(&request)),
                cancel: None,
            },
        );
        if let Some(entry) = self.clients.get_mut(&tx) {
            entry.cancel = Some(id);
        }
        if !calling {
            self.send_cancel(now, tx, id);
        }
        Ok(id)
    }

    /// Sends `message` outside any transaction: the ACK for a 2xx (§13.2.2.4), or a
    /// response to a request that has no transaction.
    pub fn send_stateless(&mut self, message: &Message, peer: Peer) {
        self.out.send(peer, message.to_bytes());
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((tx, timer)) = self.out.timers.pop_due(now) {
            match tx {
                TxId::Client(id) => self.step_client(now, id, |m, ctx| m.on_timer(ctx, timer)),
                TxId::Server(id) => self.step_server(now, id, |m, ctx| m.on_timer(ctx, timer)),
            }
        }
    }

    /// When [`Self::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.out.timers.next()
    }

    /// The next message to put on the wire.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next thing the TU must know.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.out.events.pop_front()
    }

    /// Live transactions, client and server.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
