//! Requests inside a call: relayed to the other leg with the SBC's own dialog values, and
//! their responses relayed back. BYE ends the call on both legs.

use std::time::Instant;

use super::call::{AwaitingAck, CallState, EndReason, ForwardAck, Purpose, Relay};
use super::engine::{CallTimer, Engine};
use super::headers::copy_crossing;
use super::hook::{BodyRole, SessionHook};
use super::ids::{CallId, Side};
use crate::transaction::{ClientTxId, Peer, ServerTxId};
use crate::wire::{Known, Message, Method};

/// Methods whose body is a session description the media plane must see.
fn carries_session(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Ack | Method::Prack
    )
}

fn is_sdp(msg: &Message) -> bool {
    !msg.body().is_empty()
        && msg.header(Known::ContentType).is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/sdp")
        })
}

impl Engine {
    /// The call and side a message with our tag `local_tag` on Call-ID `call_id` belongs to.
    pub(crate) fn find_dialog(&self, call_id: &str, local_tag: &str) -> Option<(CallId, Side)> {
        self.dialogs
            .get(&(call_id.to_owned(), local_tag.to_owned()))
            .copied()
    }

    pub(crate) fn in_dialog_request(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Message,
        _peer: Peer,
        hook: &mut dyn SessionHook,
    ) {
        let call_id = request.call_id().unwrap_or_default().to_owned();
        let to_tag = request
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned))
            .unwrap_or_default();
        let Some((id, side)) = self.find_dialog(&call_id, &to_tag) else {
            self.answer(now, tx, 481, Vec::new(), Some("no such dialog"));
            return;
        };
        let Some(method) = request.method().cloned() else {
            return;
        };
        let cseq = request.cseq().map(|c| c.seq).unwrap_or(0);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !call.dialog_mut(side).accept_remote_cseq(cseq, &method) {
            self.answer(now, tx, 500, Vec::new(), Some("CSeq out of order"));
            return;
        }
        if method == Method::Bye {
            self.answer(now, tx, 200, Vec::new(), None);
            self.hang_up(now, id, EndReason::Bye(side), hook);
            return;
        }
        if call.state == CallState::Ending {
            self.answer(now, tx, 481, Vec::new(), Some("call is ending"));
            return;
        }
        let offer = carries_session(&method) && is_sdp(&request);
        if matches!(method, Method::Invite | Method::Update) {
            let busy = self.clients.values().any(|(c, p)| *c == id && matches!(p, Purpose::Relay(r) if matches!(r.method, Method::Invite | Method::Update)));
            if busy || call.state != CallState::Confirmed && method == Method::Invite {
                // §14.2: an offer crossing another in progress.
                self.answer(
                    now,
                    tx,
                    491,
                    Vec::new(),
                    Some("another offer is in progress"),
                );
                return;
            }
            call.dialog_mut(side).refresh_target(&request);
        }
        let branch = self.tokens.branch();
        let other = side.other();
        let call = self.calls.get_mut(&id).expect("call looked up above");
        let mut out = call.dialog_mut(other).request(method.clone(), &branch);
        copy_crossing(&request, &mut out, call.plan.trust_identity);
        out.push_header(Known::UserAgent, self.agent.as_str());
        if offer {
            match hook.relay_body(
                id,
                side,
                BodyRole::Offer,
                request.header(Known::ContentType),
                request.body(),
            ) {
                Ok(body) => out.set_body(body),
                Err(e) => {
                    self.answer(now, tx, 488, Vec::new(), Some(&e.0));
                    return;
                }
            }
        }
        let peer = call.dialog(other).peer;
        let cseq_out = call.dialog(other).local_cseq;
        match self.layer.start_client(now, out, peer) {
            Ok(ctx) => {
                let relay = Relay {
                    server_tx: tx,
                    from: side,
                    method,
                    offer_in_request: offer,
                    cseq: cseq_out,
                };
                self.clients.insert(ctx, (id, Purpose::Relay(relay)));
                if let Some(call) = self.calls.get_mut(&id) {
                    call.open_clients += 1;
                }
            }
            Err(e) => self.answer(now, tx, 500, Vec::new(), Some(&format!("not relayed: {e}"))),
        }
    }

    /// A response on the other leg to a relayed in-dialog request.
    pub(crate) fn relay_response(
        &mut self,
        now: Instant,
        id: CallId,
        relay: Relay,
        response: Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(code) = response.status() else {
            return;
        };
        if code == 100 {
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let from = relay.from;
        let answering = from.other();
        if relay.method == Method::Invite && (200..300).contains(&code) {
            call.dialog_mut(answering).refresh_target(&response);
        }
        let local_tag = call.dialog(from).local_tag.clone();
        let Ok(mut out) = self.layer.response_to(
            relay.server_tx,
            code,
            response.reason().unwrap_or(""),
            Some(&local_tag),
        ) else {
            return;
        };
        if matches!(relay.method, Method::Invite | Method::Update) && code < 300 {
            out.push_header(Known::Contact, call.dialog(from).contact.as_str());
        }
        copy_crossing(&response, &mut out, call.plan.trust_identity);
        out.push_header(Known::Server, self.agent.as_str());
        if carries_session(&relay.method) && is_sdp(&response) {
            let role = if relay.offer_in_request {
                BodyRole::Answer
            } else {
                BodyRole::Offer
            };
            match hook.relay_body(
                id,
                answering,
                role,
                response.header(Known::ContentType),
                response.body(),
            ) {
                Ok(body) => out.set_body(body),
                Err(_) => {
                    out.set_body(Vec::new());
                    out.remove_header(Known::ContentType);
                }
            }
        }
        let reliable = call.dialog(from).peer.transport.is_reliable();
        if relay.method == Method::Invite && (200..300).contains(&code) {
            // ACK the answering leg now, or once the ACK with the answer arrives.
            let ack = call.dialog(answering).request_with_cseq(
                Method::Ack,
                relay.cseq,
                &self.tokens.branch(),
            );
            let forward_ack = if relay.offer_in_request {
                self.layer.send_stateless(&ack, call.dialog(answering).peer);
                None
            } else {
                Some(ForwardAck { cseq: relay.cseq })
            };
            let interval = self.layer.config().t1;
            call.awaiting_ack.push(AwaitingAck {
                side: from,
                server_tx: relay.server_tx,
                cseq: call.dialog(from).remote_cseq.unwrap_or(0),
                response: out.clone(),
                interval,
                give_up: now + interval * 64,
                forward_ack,
            });
            let _ = self.layer.respond(now, relay.server_tx, out);
            if !reliable {
                self.arm(now + interval, id, CallTimer::OkRetransmit(relay.server_tx));
            }
            self.arm(
                now + interval * 64,
                id,
                CallTimer::AckTimeout(relay.server_tx),
            );
            return;
        }
        let _ = self.layer.respond(now, relay.server_tx, out);
        if matches!(code, 408 | 481) {
            // The other side lost the dialog: the call cannot continue.
            self.hang_up(now, id, EndReason::DialogLost(answering), hook);
        }
    }

    /// A relayed in-dialog request got no response: answer 408 and end the call.
    pub(crate) fn relay_timeout(
        &mut self,
        now: Instant,
        id: CallId,
        relay: Relay,
        hook: &mut dyn SessionHook,
    ) {
        if let Some(call) = self.calls.get(&id) {
            let tag = call.dialog(relay.from).local_tag.clone();
            if let Ok(r) =
                self.layer
                    .response_to(relay.server_tx, 408, "Request Timeout", Some(&tag))
            {
                let _ = self.layer.respond(now, relay.server_tx, r);
            }
        }
        self.hang_up(now, id, EndReason::DialogLost(relay.from.other()), hook);
    }

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
                if let Ok(body) = hook.relay_body(
                    id,
                    side,
                    BodyRole::Answer,
                    request.header(Known::ContentType),
                    request.body(),
                ) {
                    if let Some(ct) = request.header(Known::ContentType) {
                        ack.set_header(Known::ContentType, ct);
                    }
                    ack.set_body(body);
                }
            }
            self.layer.send_stateless(&ack, call.dialog(other).peer);
            if other == Side::B {
                call.b_ack = Some(ack);
            }
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
        match purpose {
            Purpose::Invite => self.invite_response(now, id, response, hook),
            Purpose::Relay(relay) => self.relay_response(now, id, relay, response, hook),
            Purpose::Bye => {}
        }
    }

    /// A client transaction got no response.
    pub(crate) fn client_timeout(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        hook: &mut dyn SessionHook,
    ) {
        let Some((id, purpose)) = self.clients.get(&tx).cloned() else {
            return;
        };
        match purpose {
            Purpose::Invite => self.invite_timeout(now, id, hook),
            Purpose::Relay(relay) => self.relay_timeout(now, id, relay, hook),
            Purpose::Bye => {}
        }
    }
}
