//! Fast failover (`invite_timeout_ms`): a target that has not answered the B INVITE at
//! all (not even 100 Trying) within the plan's `invite_timeout` is abandoned for the
//! next, instead of waiting for Timer B (32 s).
//!
//! Abandoning stops the INVITE's retransmissions but keeps its client transaction, so
//! what the target may still send is handled (RFC 3261 §9.1 forbids a CANCEL before a
//! provisional response): the CANCEL is asked for at once and held back by the
//! transaction layer until a provisional response arrives (dropped if a final one comes
//! first); a late 2xx gets an ACK and a BYE on the leg it set up; a late failure is
//! ACKed by the transaction layer. None of it reaches A.

use std::time::Instant;

use super::call::{Abandoned, CallState, Purpose};
use super::dialog::{contact_uri, record_route};
use super::engine::Engine;
use super::hook::SessionHook;
use super::ids::CallId;
use crate::transaction::ClientTxId;
use crate::wire::{Message, Method};

impl Engine {
    /// The `invite_timeout` of B INVITE `tx` of call `id` passed.
    pub(crate) fn invite_timed_out(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let current = call.b_invite == Some(tx)
            && call.state == CallState::Calling
            && !call.cancelled
            && !call.provisional_seen;
        if !current || !self.layer.is_calling(tx) {
            return;
        }
        self.layer.stop_retransmitting(tx);
        // Held back by the layer until a provisional response, if one ever comes.
        // Q.850 102: recovery on timer expiry (the peer never answered).
        let reason = crate::q850::header_value(102);
        let _ = self.layer.cancel_with(now, tx, Some(&reason));
        let abandoned = Abandoned {
            dialog: call.b.clone(),
            cseq: call.b_invite_cseq,
        };
        call.b_invite = None;
        call.open.remove(&tx);
        self.clients
            .insert(tx, (id, Purpose::Abandoned(Box::new(abandoned))));
        let failure = Message::response(408, crate::wire::reason_phrase(408));
        self.failed(now, id, 408, &failure, hook);
    }

    /// A response to an abandoned INVITE: a 2xx is confirmed and ended at once.
    pub(crate) fn abandoned_response(&mut self, now: Instant, tx: ClientTxId, response: &Message) {
        let Some((id, Purpose::Abandoned(a))) = self.clients.get(&tx).cloned() else {
            return;
        };
        if !response.status().is_some_and(|c| (200..300).contains(&c)) {
            return;
        }
        let mut leg = a.dialog;
        leg.remote_tag = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
        leg.remote_party = response
            .header(crate::wire::Known::To)
            .unwrap_or_default()
            .to_owned();
        if let Some(target) = contact_uri(response) {
            leg.remote_target = target;
        }
        leg.route_set = record_route(response).into_iter().rev().collect();
        let ack = leg.request_with_cseq(Method::Ack, a.cseq, &self.tokens.branch());
        self.layer.send_stateless(&ack, leg.peer);
        let bye = leg.request(Method::Bye, &self.tokens.branch());
        if let Ok(bye_tx) = self.layer.start_client(now, bye, leg.peer) {
            self.clients.insert(bye_tx, (id, Purpose::Bye));
        }
    }
}
