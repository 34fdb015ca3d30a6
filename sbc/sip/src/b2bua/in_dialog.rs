//! Requests inside a call: relayed to the other leg with the SBC's own dialog values, and
//! their responses relayed back. BYE ends the call on both legs.

use std::time::Instant;

use super::call::{AwaitingAck, CallState, EndReason, ForwardAck, Purpose, Relay};
use super::engine::{CallTimer, Engine};
use super::headers::copy_crossing;
use super::hook::{Body, BodyRole, InDialog, InDialogAction, SessionHook};
use super::ids::{CallId, Side};
use super::plan::ReferMode;
use super::refer_relay::sipfrag_status_line;
use super::session_timer::{Refresher, fill_in, hide_timer, requested};
use crate::transaction::{Peer, ServerTxId};
use crate::wire::{Known, Message, Method};

/// Methods whose body is a session description the media plane must see.
fn carries_session(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Ack | Method::Prack
    )
}

pub(crate) fn is_sdp(msg: &Message) -> bool {
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
        if call
            .retired
            .as_ref()
            .is_some_and(|d| d.call_id == call_id && d.local_tag == to_tag)
        {
            self.retired_request(now, id, tx, &method);
            return;
        }
        if !call.dialog_mut(side).accept_remote_cseq(cseq, &method) {
            self.answer(now, tx, 500, Vec::new(), Some("CSeq out of order"));
            return;
        }
        if method == Method::Bye {
            if self.referrer_left(now, id, side, tx) {
                return;
            }
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            if call.state != CallState::Ending {
                call.bye_reason = request.other_header("Reason").map(str::to_owned);
            }
            self.answer(now, tx, 200, Vec::new(), None);
            self.hang_up_call(now, id, EndReason::Bye(side), hook);
            return;
        }
        if method == Method::Prack {
            // PRACK is hop-by-hop: the SBC answers it on each leg (RFC 3262).
            self.prack_request(now, id, side, tx, &request, hook);
            return;
        }
        if call.state == CallState::Ending {
            self.answer(now, tx, 481, Vec::new(), Some("call is ending"));
            return;
        }
        let mut refer_headers = Vec::new();
        let mut refer_token = None;
        if method == Method::Refer {
            match call.plan.refer(side) {
                ReferMode::Reject => {
                    let why = "REFER is not accepted from this trunk";
                    self.answer(now, tx, 403, Vec::new(), Some(why));
                    return;
                }
                ReferMode::Handle => {
                    self.refer_received(now, id, side, tx, &request);
                    return;
                }
                ReferMode::Relay => match self.refer_to_relay(now, id, side, tx, &request) {
                    Some(relayed) => {
                        refer_headers = relayed.headers;
                        refer_token = Some(relayed.token);
                    }
                    None => return,
                },
            }
        }
        // Requests without a session description: the hook may answer them here (also in
        // A's early dialog, before B's exists), or change their body.
        let mut rewrite = None;
        if !carries_session(&method) {
            match hook.in_dialog(InDialog {
                now,
                call: id,
                from: side,
                method: &method,
                content_type: request.header(Known::ContentType),
                bytes: request.body(),
            }) {
                InDialogAction::Relay => {}
                InDialogAction::Rewrite { content_type, body } => {
                    rewrite = Some((content_type, body));
                }
                InDialogAction::Answer(code) => {
                    self.answer(now, tx, code, Vec::new(), None);
                    return;
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if side == Side::A && call.state == CallState::Calling && method != Method::Invite {
            // B's dialog is not established: nothing to relay on (a non-2xx final that
            // leaves A's early dialog as it is, RFC 3311 §5.2).
            self.answer(
                now,
                tx,
                500,
                vec![(Known::RetryAfter, "1".into())],
                Some("not before the call is answered"),
            );
            return;
        }
        let offer = carries_session(&method) && is_sdp(&request);
        if matches!(method, Method::Invite | Method::Update) {
            let busy = self.offer_in_progress(id);
            let call = self.calls.get_mut(&id).expect("call looked up above");
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
        for (name, value) in refer_headers {
            out.push_header(name, value);
        }
        let sipfrag = request.header(Known::ContentType).is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("message/sipfrag")
        });
        if method == Method::Notify && sipfrag {
            out.set_body(sipfrag_status_line(request.body()));
        }
        if let Some((content_type, body)) = rewrite {
            out.remove_header(Known::ContentType);
            if !body.is_empty() {
                out.push_header(Known::ContentType, content_type);
            }
            out.set_body(body);
        }
        out.push_header(Known::UserAgent, self.agent.as_str());
        if other == Side::A && !call.timer.a_supports {
            hide_timer(&mut out);
        }
        if let Some(n) = call.timer.current {
            // The SBC refreshes B for an A without timers: A's re-INVITE or UPDATE
            // carries the SBC's timer, or B's answer would switch it off (RFC 4028 §7.4).
            let ours = n.refresher == Refresher::Sbc && other == Side::B;
            if ours
                && matches!(method, Method::Invite | Method::Update)
                && !out.has_header(Known::SessionExpires)
            {
                out.push_header(Known::SessionExpires, format!("{};refresher=uac", n.secs));
                out.push_header(Known::Supported, "timer");
            }
        }
        if offer {
            match hook.relay_body(Body {
                call: id,
                from: side,
                role: BodyRole::Offer,
                fork: None,
                content_type: request.header(Known::ContentType),
                bytes: request.body(),
            }) {
                Ok(body) => {
                    call.dialog_mut(other).last_sdp = Some(body.clone());
                    out.set_body(body);
                }
                Err(e) => {
                    self.answer(now, tx, 488, Vec::new(), Some(&e.0));
                    return;
                }
            }
        }
        let peer = call.dialog(other).peer;
        let cseq_out = call.dialog(other).local_cseq;
        let session_expires = matches!(method, Method::Invite | Method::Update)
            .then(|| requested(&request))
            .flatten();
        match self.layer.start_client(now, out, peer) {
            Ok(ctx) => {
                let relay = Relay {
                    server_tx: tx,
                    from: side,
                    method,
                    offer_in_request: offer,
                    cseq: cseq_out,
                    in_cseq: cseq,
                    session_expires,
                    answered: false,
                    refer_token,
                };
                self.clients.insert(ctx, (id, Purpose::Relay(relay)));
                if let Some(call) = self.calls.get_mut(&id) {
                    call.open.insert(ctx);
                }
            }
            Err(e) => {
                if let Some(token) = &refer_token {
                    self.forget_relayed_refer(token);
                }
                self.answer(now, tx, 500, Vec::new(), Some(&format!("not relayed: {e}")));
            }
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
        if code >= 300 {
            if let Some(token) = &relay.refer_token {
                // Refused: nobody will call the token.
                self.forget_relayed_refer(token);
            }
        }
        let from = relay.from;
        let answering = from.other();
        let refresh =
            matches!(relay.method, Method::Invite | Method::Update) && (200..300).contains(&code);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
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
        if refresh {
            fill_in(&mut out, relay.session_expires);
        }
        // The session timer as the requester sees the 2xx: the SBC itself when A does
        // not support timers.
        let hidden = from == Side::A && !call.timer.a_supports;
        if hidden {
            hide_timer(&mut out);
        }
        if carries_session(&relay.method) && is_sdp(&response) {
            let role = if relay.offer_in_request {
                BodyRole::Answer
            } else {
                BodyRole::Offer
            };
            match hook.relay_body(Body {
                call: id,
                from: answering,
                role,
                fork: None,
                content_type: response.header(Known::ContentType),
                bytes: response.body(),
            }) {
                Ok(body) => {
                    call.dialog_mut(from).last_sdp = Some(body.clone());
                    out.set_body(body);
                }
                Err(_) => {
                    out.set_body(Vec::new());
                    out.remove_header(Known::ContentType);
                }
            }
        }
        let established = matches!(call.state, CallState::Answered | CallState::Confirmed);
        if refresh && established {
            // A successful re-INVITE or UPDATE refreshes the session (RFC 4028 §10).
            let view = if hidden { &response } else { &out };
            self.session_refreshed(now, id, Refresher::from(from), answering, view);
        }
        let call = self.calls.get_mut(&id).expect("call looked up above");
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
                call.set_last_ack(answering, ack);
                None
            } else {
                Some(ForwardAck { cseq: relay.cseq })
            };
            let interval = self.layer.config().t1;
            call.awaiting_ack.push(AwaitingAck {
                side: from,
                server_tx: relay.server_tx,
                cseq: relay.in_cseq,
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
            self.hang_up_call(now, id, EndReason::DialogLost(answering), hook);
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
        if let Some(token) = &relay.refer_token {
            self.forget_relayed_refer(token);
        }
        if let Some(call) = self.calls.get(&id) {
            let tag = call.dialog(relay.from).local_tag.clone();
            if let Ok(r) =
                self.layer
                    .response_to(relay.server_tx, 408, "Request Timeout", Some(&tag))
            {
                let _ = self.layer.respond(now, relay.server_tx, r);
            }
        }
        self.hang_up_call(now, id, EndReason::DialogLost(relay.from.other()), hook);
    }
}
