//! Taking a kept party off hold after a handled transfer (`refer = "handle"`).
//!
//! A referrer often holds the other party before its REFER (Teams and most phones send a
//! re-INVITE with `a=sendonly` or `a=inactive` first), and the SBC relayed that hold to the
//! kept party Y, who answered `recvonly`/`inactive` and stopped sending. The transfer
//! replaces the referrer but nothing tells Y the hold is over: the audio would stay
//! one-way. So, once the new leg is bridged, the SBC asks the hook
//! ([`SessionHook::resume_offer`]) whether Y needs resuming — the media plane says yes
//! when the SBC's last session description to Y holds it and the new party's answer is
//! `sendrecv`, and gives the offer: that description with `sendrecv`, the same codecs,
//! keys and ports, its `o=` version one higher. The SBC sends it to Y in a re-INVITE of
//! its own:
//!
//! * a 2xx is ACKed (a retransmitted 2xx re-ACKed); its answer names the same streams, so
//!   nothing changes in the media plane;
//! * 491 (Y's own offer crossed ours) is retried after RFC 3261 §14.1's random wait —
//!   2.1–4 s when the SBC chose the leg's Call-ID, 0–2 s when Y did — at most
//!   [`RESUME_ATTEMPTS`] times;
//! * any other failure leaves the call as it is (Y still held, the new party connected);
//!   408 or 481 mean Y's dialog is gone, and the call ends as for a relayed request;
//! * while another offer is in progress on the call, the re-INVITE waits (T2) for it.

use std::time::{Duration, Instant};

use super::call::{CallState, EndReason, Purpose};
use super::engine::{CallTimer, Engine};
use super::hook::SessionHook;
use super::ids::{CallId, Side};
use crate::wire::{Known, Message, Method};

/// Re-INVITEs the SBC sends to resume a kept party, 491s included.
pub const RESUME_ATTEMPTS: u8 = 3;

/// A resume the SBC owes a kept party (kept in the call until it is sent and answered).
#[derive(Debug, Clone)]
pub struct PendingResume {
    /// The kept leg.
    pub side: Side,
    /// The session description offered (the SBC's last to that leg, `sendrecv`).
    pub offer: Vec<u8>,
    /// Re-INVITEs sent so far.
    pub attempts: u8,
}

/// The re-INVITE of a resume, in flight.
#[derive(Debug, Clone)]
pub struct ResumeInvite {
    pub side: Side,
    pub cseq: u32,
    /// A final response arrived (see [`Relay::answered`](super::call::Relay::answered)).
    pub answered: bool,
}

impl Engine {
    /// The new leg replacing `referrer` answered `answer`: resume the kept leg if the
    /// media plane says it is held.
    pub(crate) fn resume_kept(
        &mut self,
        now: Instant,
        id: CallId,
        referrer: Side,
        answer: &[u8],
        hook: &mut dyn SessionHook,
    ) {
        let kept = referrer.other();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(sent) = call.dialog(kept).last_sdp.as_deref() else {
            return;
        };
        let Some(offer) = hook.resume_offer(id, kept, sent, answer) else {
            return;
        };
        call.resume = Some(PendingResume {
            side: kept,
            offer,
            attempts: 0,
        });
        self.send_resume(now, id);
    }

    /// Sends the resume the call owes, or waits for the offer in progress.
    pub(crate) fn send_resume(&mut self, now: Instant, id: CallId) {
        let retry = self.t2();
        let busy = self.offer_in_progress(id);
        let branch = self.tokens.branch();
        let agent = self.agent.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state == CallState::Ending {
            call.resume = None;
            return;
        }
        let Some(pending) = call.resume.as_mut() else {
            return;
        };
        if busy || call.state != CallState::Confirmed || !call.awaiting_ack.is_empty() {
            self.arm(now + retry, id, CallTimer::Resume);
            return;
        }
        pending.attempts += 1;
        let (side, offer) = (pending.side, pending.offer.clone());
        let leg = call.dialog_mut(side);
        let mut request = leg.request(Method::Invite, &branch);
        request.push_header(Known::UserAgent, agent);
        request.push_header(Known::ContentType, "application/sdp");
        request.set_body(offer);
        let (cseq, peer) = (leg.local_cseq, leg.peer);
        match self.layer.start_client(now, request, peer) {
            Ok(tx) => {
                call.open.insert(tx);
                let invite = ResumeInvite {
                    side,
                    cseq,
                    answered: false,
                };
                self.clients.insert(tx, (id, Purpose::Resume(invite)));
            }
            Err(e) => {
                tracing::info!(call = %id, ?side, "kept party not resumed: {e}");
                call.resume = None;
            }
        }
    }

    /// The kept party's response to the resume re-INVITE.
    pub(crate) fn resume_response(
        &mut self,
        now: Instant,
        id: CallId,
        invite: ResumeInvite,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(code) = response.status() else {
            return;
        };
        if code < 200 {
            return;
        }
        let wait = self.glare_wait(id, invite.side);
        let branch = self.tokens.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let side = invite.side;
        match code {
            200..=299 => {
                let offer = call.resume.take().map(|p| p.offer);
                let leg = call.dialog_mut(side);
                if offer.is_some() {
                    leg.last_sdp = offer;
                }
                leg.refresh_target(response);
                let ack = leg.request_with_cseq(Method::Ack, invite.cseq, &branch);
                self.layer.send_stateless(&ack, leg.peer);
                call.set_last_ack(side, ack);
                tracing::info!(call = %id, ?side, "kept party resumed after the transfer");
            }
            491 => match call.resume.as_ref() {
                Some(p) if p.attempts < RESUME_ATTEMPTS => {
                    self.arm(now + wait, id, CallTimer::Resume);
                }
                _ => {
                    call.resume = None;
                    tracing::info!(call = %id, ?side, "kept party not resumed: 491 again");
                }
            },
            408 | 481 => {
                call.resume = None;
                self.hang_up_call(now, id, EndReason::DialogLost(side), hook);
            }
            _ => {
                call.resume = None;
                tracing::info!(call = %id, ?side, code, "kept party not resumed: the call goes on as it is");
            }
        }
    }

    /// The resume re-INVITE got no response: the kept party's dialog is gone.
    pub(crate) fn resume_timeout(
        &mut self,
        now: Instant,
        id: CallId,
        invite: ResumeInvite,
        hook: &mut dyn SessionHook,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.resume = None;
        }
        self.hang_up_call(now, id, EndReason::DialogLost(invite.side), hook);
    }

    /// RFC 3261 §14.1: after a 491, wait 2.1–4 s when the SBC chose the dialog's
    /// Call-ID, else 0–2 s, in units of 10 ms, at random.
    fn glare_wait(&mut self, id: CallId, side: Side) -> Duration {
        let owner = self
            .calls
            .get(&id)
            .is_some_and(|c| c.a_request.call_id() != Some(c.dialog(side).call_id.as_str()));
        let (base, steps) = if owner { (210, 190) } else { (0, 200) };
        let tens = base + self.tokens.next_u64() % (steps + 1);
        Duration::from_millis(tens * 10)
    }
}
