//! Ending calls: BYE on the legs that are up, answers for whatever is still pending, and
//! forgetting the call once its last transaction is over.

use std::time::Instant;

use super::call::{CallState, EndReason, Purpose};
use super::engine::{CallTimer, Engine, EngineEvent, warning};
use super::hook::SessionHook;
use super::ids::{CallId, Side};
use crate::transaction::{ClientTxId, ServerTxId};
use crate::wire::{Known, Method};

impl Engine {
    /// Ends an established (or answering) call: BYE to every leg that should get one.
    pub(crate) fn hang_up_call(
        &mut self,
        now: Instant,
        id: CallId,
        reason: EndReason,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state == CallState::Ending {
            return;
        }
        if call.a_invite.is_some() {
            // A has no answer yet (B may have one, held for A's PRACK): end it as an
            // unanswered call.
            let code = if matches!(reason, EndReason::Bye(_)) {
                487
            } else {
                500
            };
            self.abort_invite(now, id, code, None, reason, hook);
            return;
        }
        let was_answered = matches!(call.state, CallState::Answered | CallState::Confirmed);
        let mut byes: Vec<Side> = match &reason {
            EndReason::Bye(side) => vec![side.other()],
            EndReason::DialogLost(side) => vec![side.other()],
            _ => vec![Side::A, Side::B],
        };
        // A referrer that hung up during its transfer has no dialog left to end.
        if let Some(t) = call.transfer.as_deref().filter(|t| t.referrer_gone) {
            byes.retain(|s| *s != t.referrer);
        }
        call.state = CallState::Ending;
        call.end_reason.get_or_insert(reason);
        self.abort_transfer(now, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // Answer relayed requests still waiting for the other leg (each is among the call's
        // open transactions until its final response: only this call's are looked at).
        let pending: Vec<(ServerTxId, Side)> = call
            .open
            .iter()
            .filter_map(|tx| match self.clients.get(tx) {
                Some((_, Purpose::Relay(r))) if !r.answered => Some((r.server_tx, r.from)),
                _ => None,
            })
            .collect();
        self.visited += call.open.len() as u64;
        for (tx, side) in pending {
            let tag = self.calls[&id].dialog(side).local_tag.clone();
            if let Ok(r) = self
                .layer
                .response_to(tx, 487, "Request Terminated", Some(&tag))
            {
                let _ = self.layer.respond(now, tx, r);
            }
        }
        let waiting: Vec<ServerTxId> = self.calls[&id]
            .awaiting_ack
            .iter()
            .map(|w| w.server_tx)
            .collect();
        for tx in waiting {
            self.disarm(id, CallTimer::OkRetransmit(tx));
            self.disarm(id, CallTimer::AckTimeout(tx));
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.awaiting_ack.clear();
        }
        if was_answered {
            for side in byes {
                self.send_bye(now, id, side);
            }
        }
        self.release(id, hook);
        self.maybe_finish(id, hook);
    }

    /// Ends a call before A got its 2xx: answers A's INVITE with `code`, and CANCELs
    /// B's INVITE, or ACKs and BYEs B's 2xx when B has answered (held for A's PRACK).
    pub(crate) fn abort_invite(
        &mut self,
        now: Instant,
        id: CallId,
        code: u16,
        why: Option<&str>,
        reason: EndReason,
        hook: &mut dyn SessionHook,
    ) {
        self.final_to_a(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.cancelled = true;
        call.state = CallState::Ending;
        call.end_reason.get_or_insert(reason);
        let reason = ending_reason(call);
        if let Some(tx) = call.a_invite.take() {
            let phrase = crate::wire::reason_phrase(code);
            if let Ok(mut r) = self
                .layer
                .response_to(tx, code, phrase, Some(&call.a.local_tag))
            {
                r.push_header(Known::Server, self.agent.as_str());
                if let Some(why) = why {
                    r.push_header(Known::Warning, warning(&self.agent, why));
                }
                // The SBC ends A's leg for a reason of its own (A's CANCEL needs none).
                if !matches!(call.end_reason, Some(EndReason::Cancelled)) {
                    r.push_header(
                        crate::wire::HeaderName::from_token("Reason"),
                        reason.as_str(),
                    );
                }
                let _ = self.layer.respond(now, tx, r);
            }
        }
        if let Some(b_tx) = call.b_invite {
            let _ = self.layer.cancel_with(now, b_tx, Some(&reason));
        } else if let Some(held) = call.held_ok.take() {
            if held.late_offer {
                let ack = call.b.request_with_cseq(
                    Method::Ack,
                    call.b_invite_cseq,
                    &self.tokens.branch(),
                );
                self.layer.send_stateless(&ack, call.b.peer);
                call.b_ack = Some(ack);
            }
            self.send_bye(now, id, Side::B);
        }
        self.release(id, hook);
        self.maybe_finish(id, hook);
    }

    /// Sends BYE on one leg of a call.
    pub(crate) fn send_bye(&mut self, now: Instant, id: CallId, side: Side) {
        let branch = self.tokens.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let reason = ending_reason(call);
        let dialog = call.dialog_mut(side);
        let mut bye = dialog.request(Method::Bye, &branch);
        bye.push_header(
            crate::wire::HeaderName::from_token("Reason"),
            reason.as_str(),
        );
        let peer = dialog.peer;
        if let Ok(tx) = self.layer.start_client(now, bye, peer) {
            self.clients.insert(tx, (id, Purpose::Bye));
            call.open.insert(tx);
        }
    }

    /// Ends a call that never got up (rejected, failed): no BYE, just forget it once its
    /// transactions are over.
    pub(crate) fn end_call(&mut self, id: CallId, reason: EndReason, hook: &mut dyn SessionHook) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.state = CallState::Ending;
        call.end_reason.get_or_insert(reason);
        self.release(id, hook);
        self.maybe_finish(id, hook);
    }

    fn release(&mut self, id: CallId, hook: &mut dyn SessionHook) {
        if let Some(call) = self.calls.get_mut(&id) {
            if !call.released {
                call.released = true;
                hook.call_ended(id);
            }
        }
    }

    /// Forgets an ending call whose transactions are all over.
    pub(crate) fn maybe_finish(&mut self, id: CallId, hook: &mut dyn SessionHook) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.state != CallState::Ending
            || !call.open.is_empty()
            || call.a_invite.is_some()
            || !call.awaiting_ack.is_empty()
        {
            return;
        }
        self.release(id, hook);
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        self.dialogs
            .remove(&(call.a.call_id.clone(), call.a.local_tag.clone()));
        self.dialogs
            .remove(&(call.b.call_id.clone(), call.b.local_tag.clone()));
        if let Some(old) = &call.retired {
            self.dialogs
                .remove(&(old.call_id.clone(), old.local_tag.clone()));
        }
        self.timers.clear(id);
        let reason = call.end_reason.unwrap_or(EndReason::Failed("ended".into()));
        self.events
            .push_back(EngineEvent::CallEnded { call: id, reason });
    }

    /// A client transaction is gone: the call has one less thing to wait for.
    pub(crate) fn client_terminated(&mut self, tx: ClientTxId, hook: &mut dyn SessionHook) {
        let Some((id, _)) = self.clients.remove(&tx) else {
            return;
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.open.remove(&tx);
            if call.b_invite == Some(tx) {
                call.b_invite = None;
            }
        }
        self.maybe_finish(id, hook);
    }

    pub(crate) fn on_timer(
        &mut self,
        now: Instant,
        id: CallId,
        timer: CallTimer,
        hook: &mut dyn SessionHook,
    ) {
        match timer {
            CallTimer::OkRetransmit(tx) => {
                let t2 = self.t2();
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                let Some(w) = call.awaiting_ack.iter_mut().find(|w| w.server_tx == tx) else {
                    return;
                };
                let response = w.response.clone();
                w.interval = (w.interval * 2).min(t2);
                let next = now + w.interval;
                let give_up = w.give_up;
                let _ = self.layer.respond(now, tx, response);
                if next < give_up {
                    self.arm(next, id, CallTimer::OkRetransmit(tx));
                }
            }
            CallTimer::AckTimeout(tx) => {
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                let before = call.awaiting_ack.len();
                call.awaiting_ack.retain(|w| w.server_tx != tx);
                if call.awaiting_ack.len() != before {
                    self.hang_up_call(now, id, EndReason::AckTimeout, hook);
                }
            }
            CallTimer::RelRetransmit(rseq) => self.rel_retransmit(now, id, rseq),
            CallTimer::PrackTimeout(rseq) => self.prack_timeout(now, id, rseq, hook),
            CallTimer::SessionExpires => self.session_expired(now, id, hook),
            CallTimer::SessionRefresh => self.send_refresh(now, id),
            CallTimer::Resume => self.send_resume(now, id),
            CallTimer::InviteTimeout(tx) => self.invite_timed_out(now, id, tx, hook),
        }
    }
}

/// RFC 3326: why, as commercial SBCs say it, for the SBC's BYE or CANCEL on the other leg:
/// the ending BYE's or CANCEL's own `Reason` when the peer that ended the call gave one,
/// else the Q.850 cause of the end.
fn ending_reason(call: &super::call::Call) -> String {
    match (&call.end_reason, &call.bye_reason) {
        (Some(EndReason::Bye(_) | EndReason::Cancelled), Some(r)) => r.clone(),
        (Some(end), _) => crate::q850::header_value(crate::q850::for_end(end)),
        (None, _) => crate::q850::header_value(16),
    }
}
