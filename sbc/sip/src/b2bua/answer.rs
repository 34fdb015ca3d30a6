//! Responses to the B leg's INVITE, mapped onto the A leg: provisional, 2xx, failures,
//! failover; and CANCEL from A.

use std::time::Instant;

use super::call::{AwaitingAck, CallState, EndReason, ForwardAck, MAX_EARLY_DIALOGS, Purpose};
use super::dialog::{contact_uri, early_dialog, record_route};
use super::engine::{CallTimer, Engine, EngineEvent};
use super::headers::{copy_crossing, lists};
use super::hook::{Body, BodyRole, SessionHook};
use super::ids::{CallId, Side};
use super::prack_uac::FromB;
use super::prack_uas::HeldOk;
use super::session_timer::{Refresher, fill_in, hide_timer, requested};
use crate::transaction::ServerTxId;
use crate::wire::{Known, Message, Method};

/// Final responses after which the next peer of the trunk is tried (when B has not
/// answered provisionally yet).
fn fails_over(code: u16) -> bool {
    matches!(code, 408 | 503)
}

/// The code A gets for B's final failure. Redirects and authentication challenges
/// belong to B's side (their Contact and realm would leak it): A sees neither.
fn mapped_failure(code: u16) -> u16 {
    match code {
        300..=399 => 480,
        401 | 407 => 403,
        c => c,
    }
}

impl Engine {
    /// A response to the B leg's INVITE.
    pub(crate) fn invite_response(
        &mut self,
        now: Instant,
        id: CallId,
        response: Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(code) = response.status() else {
            return;
        };
        match code {
            100 => {}
            101..=199 => self.provisional(now, id, &response, hook),
            200..=299 => self.answered(now, id, response, hook),
            _ => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.b_invite = None;
                }
                self.failed(now, id, code, &response, hook);
            }
        }
    }

    fn provisional(
        &mut self,
        now: Instant,
        id: CallId,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.provisional_seen = true;
        if call.cancelled || call.state != CallState::Calling {
            return;
        }
        if let Some(tag) = response.to().ok().and_then(|t| t.tag().map(str::to_owned)) {
            let early = early_dialog(&call.b, response, tag);
            call.b_early.retain(|d| d.remote_tag != early.remote_tag);
            if call.b_early.len() >= MAX_EARLY_DIALOGS {
                call.b_early.remove(0);
            }
            call.b_early.push(early);
        }
        let Some(a_tx) = call.a_invite else { return };
        let Some(code) = response.status() else {
            return;
        };
        // An offer from B in a reliable 18x: its PRACK carries the answer, which only a
        // reliable 18x to A can bring back (in A's PRACK).
        let defer = !call.offer_in_invite && !response.body().is_empty() && call.rel_a.is_some();
        let FromB::Relay { deferred } = self.provisional_from_b(now, id, response, defer) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Ok(mut out) = self.layer.response_to(
            a_tx,
            code,
            response.reason().unwrap_or(""),
            Some(&call.a.local_tag),
        ) else {
            return;
        };
        out.push_header(Known::Contact, call.a.contact.as_str());
        copy_crossing(response, &mut out, call.plan.trust_identity);
        out.push_header(Known::Server, self.agent.as_str());
        if !call.timer.a_supports {
            hide_timer(&mut out);
        }
        let fork = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
        let role = if call.offer_in_invite {
            BodyRole::Answer
        } else {
            BodyRole::Offer
        };
        if !response.body().is_empty() {
            match hook.relay_body(Body {
                call: id,
                from: Side::B,
                role,
                fork: fork.as_deref(),
                content_type: response.header(Known::ContentType),
                bytes: response.body(),
            }) {
                Ok(body) => {
                    call.a.last_sdp = Some(body.clone());
                    out.set_body(body);
                }
                // An early answer the media plane cannot take: relay the progress alone.
                Err(_) => {
                    out.set_body(Vec::new());
                    out.remove_header(Known::ContentType);
                }
            }
        }
        let offer = role == BodyRole::Offer && !out.body().is_empty();
        self.provisional_to_a(now, id, a_tx, out, offer, deferred);
    }

    fn answered(
        &mut self,
        now: Instant,
        id: CallId,
        response: Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let to_tag = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
        // A 2xx retransmission, or a second fork answering: only the first 2xx counts.
        if call.state != CallState::Calling || call.cancelled {
            if to_tag.is_some() && to_tag == call.b.remote_tag {
                if let Some(ack) = call.b_ack.clone() {
                    self.layer.send_stateless(&ack, call.b.peer);
                }
            } else {
                self.ack_and_bye_fork(now, id, &response);
            }
            return;
        }
        call.b.remote_tag = to_tag;
        call.b.remote_party = response.header(Known::To).unwrap_or_default().to_owned();
        if let Some(target) = contact_uri(&response) {
            call.b.remote_target = target;
        }
        call.b.route_set = record_route(&response).into_iter().rev().collect();
        if let Some(tx) = call.b_invite.take() {
            self.clients.insert(tx, (id, Purpose::InviteAnswered));
            call.open.remove(&tx);
        }
        call.state = CallState::Answered;
        call.b_early.clear();
        call.timer.b_allows_update = lists(&response, Known::Allow, "UPDATE");
        let b_ack =
            call.b
                .request_with_cseq(Method::Ack, call.b_invite_cseq, &self.tokens.branch());
        let late_offer = !call.offer_in_invite && !call.early_answer;
        let Some(a_tx) = call.a_invite else {
            return;
        };
        let Ok(mut out) = self.layer.response_to(
            a_tx,
            response.status().unwrap_or(200),
            response.reason().unwrap_or("OK"),
            Some(&call.a.local_tag),
        ) else {
            return;
        };
        out.push_header(Known::Contact, call.a.contact.as_str());
        copy_crossing(&response, &mut out, call.plan.trust_identity);
        out.push_header(Known::Server, self.agent.as_str());
        if call.timer.a_supports {
            let asked = call.timer.retry_se.or_else(|| requested(&call.a_request));
            fill_in(&mut out, asked);
        } else {
            hide_timer(&mut out);
        }
        let fork = call.b.remote_tag.clone();
        hook.answered(id, fork.as_deref());
        if !response.body().is_empty() {
            let role = if late_offer {
                BodyRole::Offer
            } else {
                BodyRole::Answer
            };
            match hook.relay_body(Body {
                call: id,
                from: Side::B,
                role,
                fork: fork.as_deref(),
                content_type: response.header(Known::ContentType),
                bytes: response.body(),
            }) {
                Ok(body) => {
                    call.a.last_sdp = Some(body.clone());
                    out.set_body(body);
                }
                Err(e) => {
                    // B answered with a session the SBC cannot relay: confirm and end
                    // B's dialog, and fail A's INVITE.
                    self.layer.send_stateless(&b_ack, call.b.peer);
                    self.send_bye(now, id, Side::B);
                    let why = e.0;
                    self.reject_a(now, id, 488, &why, EndReason::Failed(why.clone()), hook);
                    return;
                }
            }
        }
        if !late_offer {
            // With a late offer, the ACK to B waits for A's, which carries the answer.
            self.layer.send_stateless(&b_ack, call.b.peer);
            call.b_ack = Some(b_ack);
        }
        // The session timer as the requester sees the 2xx: A, as relayed to it, or the
        // SBC itself when A does not support timers.
        let a_supports = self.calls.get(&id).is_some_and(|c| c.timer.a_supports);
        let view = if a_supports { &out } else { &response };
        self.session_refreshed(now, id, Refresher::A, Side::B, view);
        self.events
            .push_back(EngineEvent::CallAnswered { call: id });
        let call = self.calls.get_mut(&id).expect("call looked up above");
        if call.rel_a.as_ref().is_some_and(|r| r.holds_final()) {
            // RFC 3262 §3: not before the reliable 18x with a body is PRACKed.
            call.held_ok = Some(HeldOk {
                response: out,
                late_offer,
            });
            return;
        }
        self.final_to_a(id);
        self.send_ok_to_a(now, id, a_tx, out, late_offer);
    }

    /// Sends B's 2xx, mapped, to A and retransmits it until A's ACK (§13.3.1.4).
    pub(crate) fn send_ok_to_a(
        &mut self,
        now: Instant,
        id: CallId,
        a_tx: ServerTxId,
        out: Message,
        late_offer: bool,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.a_invite = None;
        let interval = self.layer.config().t1;
        // A's ACK repeats its INVITE's CSeq (PRACKs may have come in between).
        let cseq = call.a_request.cseq().map(|c| c.seq).unwrap_or(0);
        call.awaiting_ack.push(AwaitingAck {
            side: Side::A,
            server_tx: a_tx,
            cseq,
            response: out.clone(),
            interval,
            give_up: now + interval * 64,
            forward_ack: late_offer.then_some(ForwardAck {
                cseq: call.b_invite_cseq,
            }),
        });
        let reliable = call.a.peer.transport.is_reliable();
        let _ = self.layer.respond(now, a_tx, out);
        if !reliable {
            self.arm(now + interval, id, CallTimer::OkRetransmit(a_tx));
        }
        self.arm(now + interval * 64, id, CallTimer::AckTimeout(a_tx));
    }

    pub(crate) fn failed(
        &mut self,
        now: Instant,
        id: CallId,
        code: u16,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.cancelled {
            self.maybe_finish(id, hook);
            return;
        }
        // A timeout, 408 or 503 before any provisional response: the target failed.
        let target_failed = fails_over(code) && !call.provisional_seen;
        if target_failed && call.target + 1 < call.plan.targets.len() {
            self.next_target(now, id, hook);
            return;
        }
        let no_target_code = call.plan.no_target_code.filter(|_| target_failed);
        if code == 422 && self.retry_after_422(now, id, response, hook) {
            return;
        }
        self.final_to_a(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(a_tx) = call.a_invite.take() else {
            return;
        };
        // No target left: the trunk's answer, without the last target's Retry-After (A
        // would shun the whole SBC for it).
        let mapped = no_target_code.unwrap_or_else(|| mapped_failure(code));
        let reason = if mapped == code {
            response.reason().unwrap_or("").to_owned()
        } else {
            crate::wire::reason_phrase(mapped).to_owned()
        };
        if let Ok(mut out) = self
            .layer
            .response_to(a_tx, mapped, &reason, Some(&call.a.local_tag))
        {
            for name in [Known::RetryAfter, Known::Unsupported, Known::MinSe] {
                if no_target_code.is_some() && name == Known::RetryAfter {
                    continue;
                }
                for v in response.header_values(name) {
                    out.push_header(name, v);
                }
            }
            // RFC 3326/6432: why the leg ended: B's own Q.850 cause when it gave one for
            // this code, else the code mapped as RFC 3398 maps it.
            let reason = response
                .other_header("Reason")
                .filter(|_| mapped == code)
                .map_or_else(
                    || crate::q850::header_value(crate::q850::from_status(mapped)),
                    str::to_owned,
                );
            out.push_header(crate::wire::HeaderName::from_token("Reason"), reason);
            out.push_header(Known::Server, self.agent.as_str());
            let _ = self.layer.respond(now, a_tx, out);
        }
        self.end_call(id, EndReason::Rejected(mapped), hook);
    }

    /// Tries the next peer of the destination trunk with a fresh B leg.
    fn next_target(&mut self, now: Instant, id: CallId, hook: &mut dyn SessionHook) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.target += 1;
        let (plan, index, request) = (call.plan.clone(), call.target, call.a_request.clone());
        let old = (call.b.call_id.clone(), call.b.local_tag.clone());
        let b = self.b_dialog(&plan, index, &request);
        self.dialogs.remove(&old);
        self.dialogs
            .insert((b.call_id.clone(), b.local_tag.clone()), (id, Side::B));
        if let Some(call) = self.calls.get_mut(&id) {
            call.b = b;
            call.b_forks.clear();
            call.b_early.clear();
        }
        self.send_b_invite(now, id, hook);
    }

    /// The B INVITE got no final response at all (Timer B, or a CANCEL never answered).
    /// `unreachable`: the transport failed (§8.1.3.1 treats that as 503), else it timed
    /// out (408).
    pub(crate) fn invite_timeout(
        &mut self,
        now: Instant,
        id: CallId,
        unreachable: bool,
        hook: &mut dyn SessionHook,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.b_invite = None;
        }
        let code = if unreachable { 503 } else { 408 };
        let failure = Message::response(code, crate::wire::reason_phrase(code));
        self.failed(now, id, code, &failure, hook);
    }

    /// A cancelled its INVITE: answer it 487 and cancel B (with the `Reason` of A's CANCEL
    /// when it had one: `SIP;cause=200` "call completed elsewhere" must reach the phones).
    pub(crate) fn cancel_from_a(
        &mut self,
        now: Instant,
        a_tx: ServerTxId,
        reason: Option<&str>,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.values_mut().find(|c| c.a_invite == Some(a_tx)) else {
            return;
        };
        call.bye_reason = reason.map(str::to_owned);
        let id = call.id;
        self.abort_invite(now, id, 487, None, EndReason::Cancelled, hook);
    }

    /// A 2xx from a fork other than the one answered: confirm it and end it at once.
    fn ack_and_bye_fork(&mut self, now: Instant, id: CallId, response: &Message) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let mut fork = call.b.clone();
        fork.remote_tag = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
        fork.remote_party = response.header(Known::To).unwrap_or_default().to_owned();
        if let Some(target) = contact_uri(response) {
            fork.remote_target = target;
        }
        fork.route_set = record_route(response).into_iter().rev().collect();
        let ack = fork.request_with_cseq(Method::Ack, call.b_invite_cseq, &self.tokens.branch());
        self.layer.send_stateless(&ack, fork.peer);
        let bye = fork.request(Method::Bye, &self.tokens.branch());
        if let Ok(tx) = self.layer.start_client(now, bye, fork.peer) {
            self.clients.insert(tx, (id, Purpose::Bye));
            if let Some(call) = self.calls.get_mut(&id) {
                call.open.insert(tx);
            }
        }
    }
}
