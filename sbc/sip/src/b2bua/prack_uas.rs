//! RFC 3262 on the A leg, where the SBC is the UAS: provisional responses go reliably to
//! an A whose INVITE has `Supported: 100rel` or `Require: 100rel`, whatever B did.
//!
//! * Each 18x (not 100) gets `Require: 100rel` and the next RSeq (the first one random
//!   in 1..2**31, §3) and is retransmitted at T1, doubling, until A's PRACK (on
//!   unreliable transports; over TCP/TLS it is sent once, as the 2xx is). 64*T1
//!   without a PRACK fails A's INVITE with 500 and ends the call: CANCEL to B, or BYE
//!   if B has answered meanwhile ([`EndReason::PrackTimeout`](super::EndReason)).
//! * One reliable response is outstanding at a time (§3): later 18x wait in a queue
//!   (of [`MAX_QUEUED`]; more are dropped: they only report progress) and go, in
//!   order, as each PRACK arrives.
//! * A's PRACK is matched by RAck (RSeq, the INVITE's CSeq and method) and answered
//!   200 by the SBC; one that matches nothing outstanding gets 481. A body in it is the
//!   answer to an offer the 18x carried (INVITE without SDP): it crosses the session
//!   hook into the PRACK to B that waited for it. An offer in a PRACK is not supported:
//!   488, though the 18x counts as acknowledged.
//! * B's 2xx waits while the outstanding response carried a session description (§3:
//!   no final response before it is PRACKed); without one, the 2xx goes at once and
//!   the retransmissions stop (a late PRACK still gets 200). Queued 18x are dropped
//!   when the final response goes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::call::EndReason;
use super::engine::{CallTimer, Engine};
use super::hook::{Body, BodyRole, SessionHook};
use super::ids::{CallId, Side, Tokens};
use super::in_dialog::is_sdp;
use super::prack_uac::{DeferredPrack, parse_rseq};
use crate::transaction::ServerTxId;
use crate::wire::{Known, Message};

/// Provisional responses waiting behind an unacknowledged reliable one.
pub const MAX_QUEUED: usize = 8;

/// A provisional response for A not sent yet.
#[derive(Debug, Clone)]
pub struct Pending {
    response: Message,
    /// Its body is an offer: A's PRACK carries the answer.
    offer: bool,
    /// B's PRACK that waits for A's.
    prack_b: Option<DeferredPrack>,
}

/// A reliable provisional response sent to A and not PRACKed yet.
#[derive(Debug, Clone)]
pub struct Unacked {
    rseq: u32,
    response: Message,
    interval: Duration,
    give_up: Instant,
    has_body: bool,
    offer: bool,
    prack_b: Option<DeferredPrack>,
}

/// The A leg's reliable provisional responses.
#[derive(Debug, Clone)]
pub struct ReliableA {
    next_rseq: u32,
    unacked: Option<Unacked>,
    queue: VecDeque<Pending>,
}

impl ReliableA {
    /// RSeq numbering from a random start in 1..2**31 (§3).
    pub fn new(tokens: &mut Tokens) -> Self {
        ReliableA {
            next_rseq: 1 + (tokens.next_u64() % ((1 << 31) - 1)) as u32,
            unacked: None,
            queue: VecDeque::new(),
        }
    }

    /// A final response must wait for a PRACK (§3).
    pub fn holds_final(&self) -> bool {
        self.unacked.as_ref().is_some_and(|u| u.has_body)
    }
}

/// B's 2xx for A, held until A's PRACK.
#[derive(Debug, Clone)]
pub struct HeldOk {
    pub response: Message,
    /// The 2xx carries the offer: the ACK to B waits for A's (with the answer).
    pub late_offer: bool,
}

/// `RAck = response-num LWS CSeq-num LWS Method` (§7.2).
fn parse_rack(v: &str) -> Option<(u32, u32, &str)> {
    let mut it = v.split_ascii_whitespace();
    let rseq = parse_rseq(it.next()?)?;
    let cseq = it.next()?.parse().ok()?;
    let method = it.next()?;
    it.next().is_none().then_some((rseq, cseq, method))
}

impl Engine {
    /// Sends a provisional response to A, reliably when A allows it. `offer`: its body
    /// is an offer; `prack_b`: B's PRACK waiting for A's.
    pub(crate) fn provisional_to_a(
        &mut self,
        now: Instant,
        id: CallId,
        a_tx: ServerTxId,
        response: Message,
        offer: bool,
        prack_b: Option<DeferredPrack>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(rel) = call.rel_a.as_mut() else {
            let _ = self.layer.respond(now, a_tx, response);
            if let Some(d) = prack_b {
                self.send_prack_b(now, id, d, None);
            }
            return;
        };
        let pending = Pending {
            response,
            offer,
            prack_b,
        };
        if rel.unacked.is_none() {
            self.send_reliable(now, id, a_tx, pending);
        } else if rel.queue.len() < MAX_QUEUED {
            rel.queue.push_back(pending);
        } else if let Some(d) = pending.prack_b {
            self.send_prack_b(now, id, d, None);
        }
    }

    fn send_reliable(&mut self, now: Instant, id: CallId, a_tx: ServerTxId, p: Pending) {
        let t1 = self.layer.config().t1;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(rel) = call.rel_a.as_mut() else {
            return;
        };
        let rseq = rel.next_rseq;
        // Starting below 2**31, one INVITE never sends enough responses to wrap.
        rel.next_rseq = rel.next_rseq.wrapping_add(1).max(1);
        let mut out = p.response;
        out.push_header(Known::Require, "100rel");
        out.push_header(Known::RSeq, rseq.to_string());
        rel.unacked = Some(Unacked {
            rseq,
            response: out.clone(),
            interval: t1,
            give_up: now + t1 * 64,
            has_body: !out.body().is_empty(),
            offer: p.offer,
            prack_b: p.prack_b,
        });
        let reliable = call.a.peer.transport.is_reliable();
        let _ = self.layer.respond(now, a_tx, out);
        if !reliable {
            self.arm(now + t1, id, CallTimer::RelRetransmit(rseq));
        }
        self.arm(now + t1 * 64, id, CallTimer::PrackTimeout(rseq));
    }

    /// [`CallTimer::RelRetransmit`].
    pub(crate) fn rel_retransmit(&mut self, now: Instant, id: CallId, rseq: u32) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(a_tx) = call.a_invite else {
            return;
        };
        let Some(u) = call
            .rel_a
            .as_mut()
            .and_then(|r| r.unacked.as_mut())
            .filter(|u| u.rseq == rseq)
        else {
            return;
        };
        u.interval = u.interval.saturating_mul(2);
        let next = now + u.interval;
        let give_up = u.give_up;
        let response = u.response.clone();
        let _ = self.layer.respond(now, a_tx, response);
        if next < give_up {
            self.arm(next, id, CallTimer::RelRetransmit(rseq));
        }
    }

    /// [`CallTimer::PrackTimeout`]: §3, reject the INVITE with a 5xx.
    pub(crate) fn prack_timeout(
        &mut self,
        now: Instant,
        id: CallId,
        rseq: u32,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let outstanding = call
            .rel_a
            .as_ref()
            .and_then(|r| r.unacked.as_ref())
            .is_some_and(|u| u.rseq == rseq);
        if outstanding && call.a_invite.is_some() {
            self.abort_invite(
                now,
                id,
                500,
                Some("no PRACK for a reliable provisional response"),
                EndReason::PrackTimeout,
                hook,
            );
        }
    }

    /// The final response to A's INVITE is about to go: stop retransmitting (a late
    /// PRACK is still answered 200) and forget what was queued.
    pub(crate) fn final_to_a(&mut self, id: CallId) {
        let Some(rel) = self.calls.get_mut(&id).and_then(|c| c.rel_a.as_mut()) else {
            return;
        };
        rel.queue.clear();
        if let Some(rseq) = rel.unacked.as_ref().map(|u| u.rseq) {
            self.disarm(id, CallTimer::RelRetransmit(rseq));
            self.disarm(id, CallTimer::PrackTimeout(rseq));
        }
    }

    /// A PRACK on leg `side` of call `id`.
    pub(crate) fn prack_request(
        &mut self,
        now: Instant,
        id: CallId,
        side: Side,
        tx: ServerTxId,
        request: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let rack = request.header(Known::RAck).and_then(parse_rack);
        let Some((rseq, cseq, method)) = rack else {
            self.answer(now, tx, 400, Vec::new(), Some("malformed or missing RAck"));
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let invite_cseq = call.a_request.cseq().map(|c| c.seq).ok();
        let rel = call.rel_a.as_mut().filter(|_| side == Side::A);
        let matched = rel.and_then(|r| {
            r.unacked.take_if(|u| {
                u.rseq == rseq && Some(cseq) == invite_cseq && method.eq_ignore_ascii_case("INVITE")
            })
        });
        let Some(u) = matched else {
            // The SBC sends no reliable responses to B; on A, nothing outstanding.
            self.answer(
                now,
                tx,
                481,
                Vec::new(),
                Some("no such reliable provisional response"),
            );
            return;
        };
        self.disarm(id, CallTimer::RelRetransmit(u.rseq));
        self.disarm(id, CallTimer::PrackTimeout(u.rseq));
        let mut answer = None;
        let mut refused = None;
        if is_sdp(request) {
            let ct = request.header(Known::ContentType);
            if u.offer {
                match hook.relay_body(Body {
                    call: id,
                    from: Side::A,
                    role: BodyRole::Answer,
                    fork: None,
                    content_type: ct,
                    bytes: request.body(),
                }) {
                    Ok(body) => answer = Some((ct.unwrap_or("application/sdp").to_owned(), body)),
                    Err(e) => refused = Some(e.0),
                }
            } else {
                refused = Some("an offer in PRACK is not supported".to_owned());
            }
        }
        match refused {
            Some(why) => self.answer(now, tx, 488, Vec::new(), Some(&why)),
            None => self.answer(now, tx, 200, Vec::new(), None),
        }
        if let Some(d) = u.prack_b {
            self.send_prack_b(now, id, d, answer);
        }
        self.after_prack(now, id);
    }

    /// What waited for A's PRACK: the held 2xx, or the next queued provisional.
    fn after_prack(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(a_tx) = call.a_invite else {
            return;
        };
        if let Some(held) = call.held_ok.take() {
            self.final_to_a(id);
            self.send_ok_to_a(now, id, a_tx, held.response, held.late_offer);
            return;
        }
        let next = call.rel_a.as_mut().and_then(|r| r.queue.pop_front());
        if let Some(p) = next {
            self.send_reliable(now, id, a_tx, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rack_values() {
        assert_eq!(parse_rack("776656 1 INVITE"), Some((776656, 1, "INVITE")));
        assert_eq!(parse_rack("  5\t 2  INVITE "), Some((5, 2, "INVITE")));
        assert_eq!(parse_rack("0 1 INVITE"), None);
        assert_eq!(parse_rack("5 1"), None);
        assert_eq!(parse_rack("5 x INVITE"), None);
        assert_eq!(parse_rack("5 1 INVITE extra"), None);
    }

    #[test]
    fn rseq_starts_below_2_31() {
        let mut tokens = Tokens::new(7);
        for _ in 0..100 {
            let r = ReliableA::new(&mut tokens);
            assert!(r.next_rseq >= 1 && r.next_rseq < (1 << 31));
        }
    }
}
