//! Messages from the network: which transaction they belong to, or which new one they
//! open (§17.1.3, §17.2.3, §8.2.2.2, §9.2).

use std::time::Instant;

use super::build::{derived_tag, response_for};
use super::ctx::Ctx;
use super::entry::{ServerMachine, ServerTx};
use super::events::{Peer, ServerTxId, TransactionEvent};
use super::invite_server::InviteServer;
use super::key::{ClientKey, MergeKey, RequestKeys};
use super::layer::TransactionLayer;
use super::non_invite_server::NonInviteServer;
use crate::{Message, Method};

impl TransactionLayer {
    /// A message arrived from `peer`. Anything the layer cannot place — a response
    /// without a usable top Via branch or CSeq, a request whose Via/From/To/CSeq do not
    /// parse — is dropped (logged at debug level); the daemon should hand over only
    /// messages that passed [`Message::parse`].
    pub fn handle_message(&mut self, now: Instant, message: Message, peer: Peer) {
        if message.is_request() {
            self.on_request(now, message, peer);
        } else {
            self.on_response(now, message, peer);
        }
    }

    fn on_response(&mut self, now: Instant, response: Message, peer: Peer) {
        let Some(key) = ClientKey::for_response(&response) else {
            tracing::debug!(
                remote = %peer.remote,
                "response without a usable Via branch or CSeq dropped"
            );
            return;
        };
        match self.client_keys.get(&key).copied() {
            Some(id) => self.step_client(now, id, |m, ctx| m.on_response(ctx, response)),
            None => self
                .out
                .events
                .push_back(TransactionEvent::StrayResponse { response, peer }),
        }
    }

    fn on_request(&mut self, now: Instant, request: Message, peer: Peer) {
        let Some(keys) = RequestKeys::of(&request) else {
            tracing::debug!(
                remote = %peer.remote,
                "request with unusable Via/From/To/CSeq dropped"
            );
            return;
        };
        let method = request.method().cloned();
        let is_ack = method == Some(Method::Ack);
        if let Some(id) = self.matching_server(&keys, is_ack) {
            self.step_server(now, id, |m, ctx| m.on_request(ctx, request));
            return;
        }
        match method {
            Some(Method::Ack) => self
                .out
                .events
                .push_back(TransactionEvent::Ack { request, peer }),
            Some(Method::Cancel) => self.on_cancel(now, request, peer, keys),
            _ => self.on_new_request(now, request, peer, keys),
        }
    }

    /// §17.2.3: the server transaction `keys` belongs to, if any.
    fn matching_server(&self, keys: &RequestKeys, is_ack: bool) -> Option<ServerTxId> {
        let id = *self.server_keys.get(&keys.key)?;
        if keys.key.is_rfc2543() {
            let tx = self.servers.get(&id)?;
            if !tx.to_tag_matches(keys.to_tag.as_deref(), is_ack) {
                return None;
            }
        }
        Some(id)
    }

    /// A request that opens a server transaction. A request merged on its way here
    /// (§8.2.2.2: no To tag, same From tag, Call-ID and CSeq as a live transaction,
    /// but another branch) gets its own transaction, answered 482 by the layer, so its
    /// retransmissions and ACK are absorbed; the TU never sees it.
    fn on_new_request(&mut self, now: Instant, request: Message, peer: Peer, keys: RequestKeys) {
        let merged = keys
            .merge
            .as_ref()
            .is_some_and(|m| self.merge_keys.contains_key(m));
        let id = ServerTxId(self.next_id());
        let machine = if request.method() == Some(&Method::Invite) {
            let mut ctx = Ctx {
                now,
                config: &self.config,
                peer,
                id,
                out: &mut self.out,
            };
            let invite = if merged {
                InviteServer::without_trying()
            } else {
                InviteServer::new(&mut ctx, &request)
            };
            ServerMachine::Invite(invite)
        } else {
            ServerMachine::NonInvite(NonInviteServer::new())
        };
        let merge = if merged { None } else { keys.merge.clone() };
        self.insert_server(id, peer, &request, keys, merge, machine);
        if merged {
            tracing::debug!(
                remote = %peer.remote,
                "merged request answered 482 (RFC 3261 §8.2.2.2)"
            );
            let tag = derived_tag(&request);
            let loop_detected = response_for(&request, 482, "Loop Detected", Some(&tag));
            self.respond_internal(now, id, &loop_detected);
        } else {
            self.out.events.push_back(TransactionEvent::Request {
                tx: id,
                request,
                peer,
            });
        }
    }

    /// §9.2: a new CANCEL is answered by the layer — 200 when it matches an INVITE
    /// server transaction, 481 when not — in a server transaction of its own, and
    /// reported to the TU.
    fn on_cancel(&mut self, now: Instant, request: Message, peer: Peer, keys: RequestKeys) {
        let invite_key = keys.key.with_method(Method::Invite);
        let invite = self.server_keys.get(&invite_key).copied().filter(|id| {
            !invite_key.is_rfc2543()
                || self
                    .servers
                    .get(id)
                    .is_some_and(|tx| tx.to_tag_matches(keys.to_tag.as_deref(), false))
        });
        let matched = invite.and_then(|id| match &self.servers.get(&id)?.machine {
            ServerMachine::Invite(m) => Some((id, m.is_proceeding(), m.to_tag().map(String::from))),
            ServerMachine::NonInvite(_) => None,
        });
        // §9.2: the 200 to the CANCEL SHOULD carry the To tag of the INVITE's
        // responses; before any response had one, the layer derives one.
        let (status, reason, tag) = match &matched {
            Some((_, _, tag)) => (200, "OK", tag.clone()),
            None => (481, "Call/Transaction Does Not Exist", None),
        };
        let tag = tag.unwrap_or_else(|| derived_tag(&request));
        let response = response_for(&request, status, reason, Some(&tag));
        let id = ServerTxId(self.next_id());
        let machine = ServerMachine::NonInvite(NonInviteServer::new());
        self.insert_server(id, peer, &request, keys, None, machine);
        let pending = matched.and_then(|(invite, proceeding, _)| proceeding.then_some(invite));
        self.out.events.push_back(TransactionEvent::Cancel {
            tx: id,
            invite: pending,
            request,
            peer,
        });
        self.respond_internal(now, id, &response);
    }

    fn insert_server(
        &mut self,
        id: ServerTxId,
        peer: Peer,
        request: &Message,
        keys: RequestKeys,
        merge: Option<MergeKey>,
        machine: ServerMachine,
    ) {
        let RequestKeys { key, to_tag, .. } = keys;
        self.server_keys.insert(key.clone(), id);
        if let Some(m) = &merge {
            self.merge_keys.insert(m.clone(), id);
        }
        self.servers.insert(
            id,
            ServerTx {
                peer,
                key,
                to_tag,
                merge,
                template: super::build::response_template(request),
                machine,
            },
        );
    }

    /// A response the layer itself sends in a transaction it just created.
    fn respond_internal(&mut self, now: Instant, id: ServerTxId, response: &Message) {
        if let Err(error) = self.respond_ref(now, id, response) {
            // A fresh transaction accepts any final response; this is unreachable.
            tracing::debug!(%error, "layer-generated response refused");
        }
    }
}
