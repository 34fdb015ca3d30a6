//! RFC 3262 on the B leg, where the SBC is the UAC: it offers `100rel` to B and PRACKs
//! B's reliable provisional responses itself, in the early dialog each one belongs to.
//!
//! Each early dialog (fork, told apart by B's To tag) keeps the last RSeq taken (§4):
//! the first reliable response of a fork is taken whatever its RSeq, then only RSeq + 1.
//! Anything else — a retransmission (its PRACK is on its way: the PRACK's own
//! transaction retransmits it), or a response out of order — is neither PRACKed nor
//! relayed to A, so A sees each reliable response of B once.

use std::time::Instant;

use super::call::Purpose;
use super::dialog::early_dialog;
use super::engine::Engine;
use super::headers::lists;
use super::ids::CallId;
use crate::wire::{Known, Message, Method};

/// One early dialog of B that sent reliable provisional responses.
#[derive(Debug, Clone)]
pub struct EarlyFork {
    /// B's To tag.
    pub tag: String,
    /// The RSeq of the last reliable provisional response taken.
    pub rseq: u32,
}

/// A PRACK for B built when its reliable 18x arrived, sent once A's PRACK brings the
/// answer to the offer that 18x carried (INVITE without SDP, §5).
#[derive(Debug, Clone)]
pub struct DeferredPrack {
    pub prack: Message,
}

/// What to do with a provisional response from B.
#[derive(Debug)]
pub(crate) enum FromB {
    /// Relay it to A; when `deferred` holds a PRACK, it waits for A's.
    Relay { deferred: Option<DeferredPrack> },
    /// A retransmission or out of order: nothing more to do.
    Drop,
}

/// `RSeq = 1*DIGIT` (§7.1), 1 to 2**32-1.
pub(crate) fn parse_rseq(v: &str) -> Option<u32> {
    v.trim().parse().ok().filter(|n| *n > 0)
}

impl Engine {
    /// Takes a provisional response of B: PRACKs it when it is reliable and new
    /// (`defer`: the PRACK waits for A's, see [`DeferredPrack`]).
    pub(crate) fn provisional_from_b(
        &mut self,
        now: Instant,
        id: CallId,
        response: &Message,
        defer: bool,
    ) -> FromB {
        let unreliable = FromB::Relay { deferred: None };
        if !lists(response, Known::Require, "100rel") {
            return unreliable;
        }
        // Without RSeq or a To tag there is nothing to acknowledge: a malformed reliable
        // response is relayed as an unreliable one.
        let Some(rseq) = response.header(Known::RSeq).and_then(parse_rseq) else {
            return unreliable;
        };
        let Some(tag) = response.to().ok().and_then(|t| t.tag().map(str::to_owned)) else {
            return unreliable;
        };
        let branch = self.tokens.branch();
        let agent = self.agent.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return FromB::Drop;
        };
        match call.b_forks.iter_mut().find(|f| f.tag == tag) {
            Some(f) if f.rseq.checked_add(1) != Some(rseq) => return FromB::Drop,
            Some(f) => f.rseq = rseq,
            None => call.b_forks.push(EarlyFork {
                tag: tag.clone(),
                rseq,
            }),
        }
        // The PRACK goes within the early dialog of this response (§12.1.2).
        let fork = early_dialog(&call.b, response, tag);
        call.b.local_cseq = call.b.local_cseq.wrapping_add(1);
        let mut prack = fork.request_with_cseq(Method::Prack, call.b.local_cseq, &branch);
        prack.push_header(Known::RAck, format!("{rseq} {} INVITE", call.b_invite_cseq));
        prack.push_header(Known::UserAgent, agent);
        if defer {
            return FromB::Relay {
                deferred: Some(DeferredPrack { prack }),
            };
        }
        self.send_prack_b(now, id, DeferredPrack { prack }, None);
        FromB::Relay { deferred: None }
    }

    /// Sends a PRACK to B, with the answer A's PRACK carried when there is one.
    pub(crate) fn send_prack_b(
        &mut self,
        now: Instant,
        id: CallId,
        deferred: DeferredPrack,
        answer: Option<(String, Vec<u8>)>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut prack = deferred.prack;
        if let Some((content_type, body)) = answer {
            prack.set_header(Known::ContentType, content_type);
            call.b.last_sdp = Some(body.clone());
            call.early_answer = true;
            prack.set_body(body);
        }
        if let Ok(tx) = self.layer.start_client(now, prack, call.b.peer) {
            call.open.insert(tx);
            self.clients.insert(tx, (id, Purpose::Prack));
        }
    }
}
