//! ACKs for 2xx responses, which belong to the dialog (RFC 3261 §13.2.2.4, §13.3.1.4),
//! and the dispatch of client transaction outcomes to what each transaction is for.

use std::time::Instant;

use super::call::{CallState, EndReason, Purpose};
use super::engine::{CallTimer, Engine};
use super::hook::{Body, BodyRole, SessionHook};
use super::ids::{CallId, Side};
use super::in_dialog::is_sdp;
use crate::transaction::{ClientTxId, Peer};
use crate::wire::{Known, Message, Method};

impl Engine {
    /// An ACK for a 2xx: stops its retransmission; forwards the answer it carries.
    pub(crate) fn ack(
        &mut self,
        now: Instant,
        request: &Message,
        _peer: Peer,
        hook: &mut dyn SessionHook,
    ) {
        let call_id = request.call_id().unwrap_or_default();
        let to_tag = request
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned))
            .unwrap_or_default();
        let Some((id, side)) = self.find_dialog(call_id, &to_tag) else {
            return;
        };
        let cseq = request.cseq().map(|c| c.seq).unwrap_or(0);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(pos) = call
            .awaiting_ack
            .iter()
            .position(|w| w.side == side && w.cseq == cseq)
        else {
            return;
        };
        let waiting = call.awaiting_ack.remove(pos);
        if call.state == CallState::Answered && side == Side::A {
            call.state = CallState::Confirmed;
        }
        if let Some(fwd) = waiting.forward_ack {
            let other = side.other();
            let mut ack = match (&call.b_ack, other) {
                (Some(b_ack), Side::B) if fwd.cseq == call.b_invite_cseq => b_ack.clone(),
                _ => call.dialog(other).request_with_cseq(
                    Method::Ack,
                    fwd.cseq,
                    &self.tokens.branch(),
                ),
            };
            if is_sdp(request) {
                if let Ok(body) = hook.relay_body(Body {
                    call: id,
                    from: side,
                    role: BodyRole::Answer,
                    fork: None,
                    content_type: request.header(Known::ContentType),
                    bytes: request.body(),
                }) {
                    if let Some(ct) = request.header(Known::ContentType) {
                        ack.set_header(Known::ContentType, ct);
                    }
                    call.dialog_mut(other).last_sdp = Some(body.clone());
                    ack.set_body(body);
                }
            }
            self.layer.send_stateless(&ack, call.dialog(other).peer);
            call.set_last_ack(other, ack);
        }
        self.disarm(id, CallTimer::OkRetransmit(waiting.server_tx));
        self.disarm(id, CallTimer::AckTimeout(waiting.server_tx));
        self.maybe_finish(id, hook);
        let _ = now;
    }

    /// A response that matched no transaction: a retransmitted 2xx of an INVITE whose
    /// transaction has ended. Re-ACK it when it belongs to a call.
    pub(crate) fn stray_response(&mut self, response: &Message, _peer: Peer) {
        if !response.status().is_some_and(|c| (200..300).contains(&c)) {
            return;
        }
        if response.cseq().map(|c| c.method) != Ok("INVITE") {
            return;
        }
        let call_id = response.call_id().unwrap_or_default();
        let from_tag = response
            .from()
            .ok()
            .and_then(|f| f.tag().map(str::to_owned))
            .unwrap_or_default();
        let Some((id, Side::B)) = self.find_dialog(call_id, &from_tag) else {
            return;
        };
        if let Some(call) = self.calls.get(&id) {
            if let Some(ack) = &call.b_ack {
                self.layer.send_stateless(ack, call.b.peer);
            }
        }
    }

    /// Dispatches a response to the client transaction it belongs to.
    pub(crate) fn response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        response: Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some((id, purpose)) = self.clients.get(&tx).cloned() else {
            return;
        };
        let is_final = response.status().is_some_and(|c| c >= 200);
        if is_final {
            match self.clients.get_mut(&tx) {
                Some((_, Purpose::Relay(r))) => r.answered = true,
                Some((_, Purpose::Refresh(r))) => r.answered = true,
                Some((_, Purpose::Resume(r))) => r.answered = true,
                _ => {}
            }
            // Answered: the call no longer waits for this transaction (which may linger
            // in the layer to absorb retransmissions).
            if let Some(call) = self.calls.get_mut(&id) {
                call.open.remove(&tx);
            }
        }
        match purpose {
            Purpose::Invite | Purpose::InviteAnswered => {
                self.invite_response(now, id, response, hook)
            }
            Purpose::Relay(relay) if relay.answered => {
                self.reack(id, relay.from.other(), relay.cseq, &response);
            }
            Purpose::Refresh(refresh) if refresh.answered => {
                self.reack(id, Side::B, refresh.cseq, &response);
            }
            Purpose::Resume(resume) if resume.answered => {
                self.reack(id, resume.side, resume.cseq, &response);
            }
            Purpose::Resume(resume) => self.resume_response(now, id, resume, &response, hook),
            Purpose::Relay(relay) => self.relay_response(now, id, relay, response, hook),
            Purpose::Refresh(refresh) => self.refresh_response(now, id, refresh, &response, hook),
            Purpose::Bye | Purpose::Prack => {}
            Purpose::Transfer => self.transfer_response(now, id, tx, &response, hook),
            Purpose::TransferAnswered { side, cseq } => self.reack(id, side, cseq, &response),
            Purpose::Abandoned(_) => self.abandoned_response(now, tx, &response),
        }
        if is_final {
            self.maybe_finish(id, hook);
        }
    }

    /// A further 2xx to a re-INVITE already answered (a retransmission: our ACK was
    /// lost, or has not been sent yet because it waits for the other leg's).
    fn reack(&mut self, id: CallId, side: Side, cseq: u32, response: &Message) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !response.status().is_some_and(|c| (200..300).contains(&c)) {
            return;
        }
        let ack = call
            .last_ack(side)
            .filter(|a| a.cseq().is_ok_and(|c| c.seq == cseq && c.method == "ACK"));
        if let Some(ack) = ack {
            self.layer.send_stateless(ack, call.dialog(side).peer);
        }
    }

    /// A client transaction got no response.
    pub(crate) fn client_timeout(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        unreachable: bool,
        hook: &mut dyn SessionHook,
    ) {
        let Some((id, purpose)) = self.clients.get(&tx).cloned() else {
            return;
        };
        match purpose {
            Purpose::Invite => self.invite_timeout(now, id, unreachable, hook),
            Purpose::Relay(relay) => self.relay_timeout(now, id, relay, hook),
            // §10: no answer to a refresh ends the session.
            Purpose::Refresh(_) => self.hang_up_call(now, id, EndReason::DialogLost(Side::B), hook),
            Purpose::Transfer => self.transfer_timeout(now, id, hook),
            Purpose::Resume(resume) => self.resume_timeout(now, id, resume, hook),
            Purpose::Bye
            | Purpose::InviteAnswered
            | Purpose::Prack
            | Purpose::Abandoned(_)
            | Purpose::TransferAnswered { .. } => {}
        }
    }
}
