//! Blind transfer completed by the SBC (`refer = "handle"`, RFC 3515): the referrer X asks,
//! in the call, that the other party Y be connected to someone else.
//!
//! 1. X's REFER is read ([`TransferRequest::from_refer`]); a bad one is answered at once
//!    (400/403/416/482), as is one before the call is up (403) or during another transfer
//!    (491). A good one waits for the daemon: [`EngineEvent::Transfer`] names the target,
//!    the daemon routes it (the REFER's own trunk when the target's host is that trunk's
//!    peer, else its routing rules) and calls [`Engine::transfer_to`] or
//!    [`Engine::refuse_transfer`] (403 for a target no route allows).
//! 2. [`Engine::transfer_to`] asks the hook for the new leg's offer
//!    ([`SessionHook::transfer_offer`]: Y's media as anchored on X's side), sends the INVITE
//!    to the Refer-To URI as received (Referred-By copied, From the party X saw), answers
//!    the REFER 202 and NOTIFYs X `SIP/2.0 100 Trying`.
//! 3. Provisional responses of the new leg are NOTIFYed (`SIP/2.0 180 Ringing`); the final
//!    one too, with `Subscription-State: terminated`. On a 2xx the new leg is ACKed, the
//!    hook re-anchors ([`SessionHook::transfer_answered`]) and the new dialog takes X's
//!    place in the call: Y's requests now reach the new party. X's old dialog is kept as
//!    `retired`: X's BYE is answered 200 and ends nothing else. A failure (3xx-6xx, Timer
//!    B as 408, an answer the hook refuses) leaves X and Y as they were.
//! 4. X may hang up before the final NOTIFY (a Teams client closed): its BYE is answered 200
//!    and the call goes on, since Y is the one who should end up with the new party. A 2xx
//!    still bridges them (X is told nothing more, its dialog forgotten); a failure leaves
//!    Y with nobody, and Y's leg is ended with a BYE.
//!
//! Y is not re-INVITEd for the new party's media: the hook offers the new leg Y's codec
//! (and what the SBC can transcode to), so an answer the media plane accepts needs
//! nothing from Y. Only a Y the referrer had put on hold is re-INVITEd, to take it off
//! hold (`resume.rs`). Loops are
//! refused with 482: a target that is the SBC or a party of the call, and a REFER after
//! [`MAX_TRANSFERS`] completed transfers in one call.

use std::time::Instant;

use super::call::{CallState, Purpose};
use super::dialog::{Dialog, contact_uri, record_route};
use super::engine::{Engine, EngineEvent};
use super::hook::{NotAcceptable, SessionHook};
use super::ids::{CallId, Side};
use super::outgoing::contact_for;
use super::plan::{LegIdentity, Target};
use super::transfer::{Progress, TransferRequest};
use crate::grammar::{NameAddr, Uri};
use crate::transaction::{ClientTxId, ServerTxId, TransactionError};
use crate::wire::{Known, Message, Method};

/// A transfer in progress in a call.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The leg whose REFER started it.
    pub referrer: Side,
    /// The REFER, until answered (202 or a refusal).
    pub refer_tx: Option<ServerTxId>,
    pub request: TransferRequest,
    /// The new leg, once its INVITE is sent.
    pub leg: Option<Dialog>,
    pub invite_cseq: u32,
    /// The status last NOTIFYed (one NOTIFY per provisional status).
    pub notified: u16,
    /// The call ended meanwhile: a late 2xx is ACKed and BYEd.
    pub aborted: bool,
    /// The referrer hung up before the final NOTIFY: it is told nothing more, a 2xx
    /// still bridges the kept leg to the new one, a failure ends the kept leg too.
    pub referrer_gone: bool,
}

/// Transfers one call may complete (each new party may refer again): one more REFER is
/// refused with 482, as a loop between REFER-handling peers would otherwise never end.
pub const MAX_TRANSFERS: u8 = 3;

/// Why [`Engine::transfer_to`] or [`Engine::refuse_transfer`] did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("no call {call}")]
    UnknownCall { call: CallId },
    #[error("call {call} has no transfer waiting for a decision")]
    NoTransfer { call: CallId },
    /// The hook refused to offer the kept leg's media; the REFER got 488.
    #[error("the media plane refused the transfer: {0}")]
    NotAcceptable(NotAcceptable),
    /// The INVITE could not be sent; the REFER got 500.
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

impl Engine {
    /// An in-dialog REFER from leg `side` whose trunk handles transfers.
    pub(crate) fn refer_received(
        &mut self,
        now: Instant,
        id: CallId,
        side: Side,
        tx: ServerTxId,
        request: &Message,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.state != CallState::Confirmed {
            let why = "no transfer before the call is up";
            self.answer(now, tx, 403, Vec::new(), Some(why));
            return;
        }
        if call.transfer.is_some() {
            let why = "a transfer is in progress";
            self.answer(now, tx, 491, Vec::new(), Some(why));
            return;
        }
        if call.transfers >= MAX_TRANSFERS {
            let why = format!("this call was transferred {MAX_TRANSFERS} times already");
            self.answer(now, tx, 482, Vec::new(), Some(&why));
            return;
        }
        let own = [
            call.plan.inbound.advertised.as_str(),
            call.plan.outbound.advertised.as_str(),
        ];
        let parties = [call.a.remote_target.as_str(), call.b.remote_target.as_str()];
        match TransferRequest::from_refer(request, &own, &parties) {
            Err(e) => self.answer(now, tx, e.status(), Vec::new(), Some(&e.to_string())),
            Ok(req) => {
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.transfer = Some(Box::new(Transfer {
                    referrer: side,
                    refer_tx: Some(tx),
                    request: req.clone(),
                    leg: None,
                    invite_cseq: 0,
                    notified: 0,
                    aborted: false,
                    referrer_gone: false,
                }));
                self.events.push_back(EngineEvent::Transfer {
                    call: id,
                    from: side,
                    request: req,
                });
            }
        }
    }

    /// Places the transfer of `call` ([`EngineEvent::Transfer`]) towards `target`, the SBC
    /// presenting itself as `identity` on the new leg. On error the REFER has been
    /// answered (488, 500) and the call goes on as it was.
    pub fn transfer_to(
        &mut self,
        now: Instant,
        call: CallId,
        target: Target,
        identity: &LegIdentity,
        hook: &mut dyn SessionHook,
    ) -> Result<(), TransferError> {
        let (referrer, sent) = {
            let c = self
                .calls
                .get(&call)
                .ok_or(TransferError::UnknownCall { call })?;
            let t = waiting(c.transfer.as_deref()).ok_or(TransferError::NoTransfer { call })?;
            (t.referrer, c.dialog(t.referrer).last_sdp.clone())
        };
        let offer = match sent {
            Some(sent) => hook.transfer_offer(call, referrer, &sent),
            None => Err(NotAcceptable("no session description to offer".into())),
        };
        let offer = match offer {
            Ok(o) => o,
            Err(e) => {
                self.refuse_transfer(now, call, 488, &e.0)?;
                return Err(TransferError::NotAcceptable(e));
            }
        };
        let branch = self.tokens.branch();
        let local_tag = self.tokens.tag();
        let call_id = self.tokens.call_id();
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(TransferError::UnknownCall { call })?;
        let party = presented_party(&c.dialog(referrer).local_party, &identity.advertised);
        let Some(t) = c.transfer.as_deref() else {
            return Err(TransferError::NoTransfer { call });
        };
        let mut leg = Dialog {
            call_id,
            local_party: format!("{party};tag={local_tag}"),
            local_tag,
            remote_tag: None,
            remote_party: format!("<{}>", t.request.target),
            local_cseq: 0,
            remote_cseq: None,
            remote_target: t.request.target.clone(),
            route_set: Vec::new(),
            peer: target.peer,
            contact: contact_for(&identity.advertised, target.peer.transport),
            via_host: identity.advertised.clone(),
            last_sdp: Some(offer.clone()),
        };
        let mut invite = leg.request(Method::Invite, &branch);
        if let Some(by) = &t.request.referred_by {
            invite.push_header(Known::ReferredBy, by.as_str());
        }
        invite.push_header(Known::UserAgent, self.agent.as_str());
        invite.push_header(Known::ContentType, "application/sdp");
        invite.set_body(offer);
        let tx = match self.layer.start_client(now, invite, target.peer) {
            Ok(tx) => tx,
            Err(e) => {
                hook.transfer_failed(call, referrer);
                self.refuse_transfer(now, call, 500, &format!("INVITE not sent: {e}"))?;
                return Err(e.into());
            }
        };
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(TransferError::UnknownCall { call })?;
        c.open.insert(tx);
        let refer_tx = c.transfer.as_deref_mut().and_then(|t| {
            t.invite_cseq = leg.local_cseq;
            t.leg = Some(leg);
            t.refer_tx.take()
        });
        self.clients.insert(tx, (call, Purpose::Transfer));
        if let Some(refer_tx) = refer_tx {
            self.answer(now, refer_tx, 202, Vec::new(), None);
        }
        self.notify_progress(now, call, referrer, Progress::Trying);
        Ok(())
    }

    /// Refuses the transfer of `call` ([`EngineEvent::Transfer`]): its REFER is answered
    /// `code` with `why` in a Warning, and the call goes on.
    pub fn refuse_transfer(
        &mut self,
        now: Instant,
        call: CallId,
        code: u16,
        why: &str,
    ) -> Result<(), TransferError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(TransferError::UnknownCall { call })?;
        waiting(c.transfer.as_deref()).ok_or(TransferError::NoTransfer { call })?;
        let refer_tx = c.transfer.take().and_then(|t| t.refer_tx);
        if let Some(tx) = refer_tx {
            self.answer(now, tx, code, Vec::new(), Some(why));
        }
        Ok(())
    }

    /// A response to the transfer's INVITE.
    pub(crate) fn transfer_response(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(code) = response.status() else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(t) = call.transfer.as_deref_mut() else {
            return;
        };
        let referrer = t.referrer;
        match code {
            100 => {}
            101..=199 => {
                if t.notified != code && !t.aborted && !t.referrer_gone {
                    t.notified = code;
                    self.notify_progress(now, id, referrer, Progress::Provisional(code));
                }
            }
            200..=299 => self.transfer_answered(now, id, tx, response, hook),
            _ => {
                let (aborted, gone) = (t.aborted, t.referrer_gone);
                call.transfer = None;
                hook.transfer_failed(id, referrer);
                if !aborted && !gone {
                    self.notify_progress(now, id, referrer, Progress::Final(code));
                }
                self.events.push_back(EngineEvent::TransferEnded {
                    call: id,
                    from: referrer,
                    code,
                });
                if gone && !aborted {
                    self.kept_leg_alone(now, id, referrer, hook);
                }
            }
        }
    }

    /// The new leg answered: ACK it, and bridge it in the referrer's place.
    fn transfer_answered(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let branch = self.tokens.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(t) = call.transfer.take() else {
            return;
        };
        let Some(mut leg) = t.leg else {
            return;
        };
        leg.remote_tag = response
            .to()
            .ok()
            .and_then(|to| to.tag().map(str::to_owned));
        leg.remote_party = response.header(Known::To).unwrap_or_default().to_owned();
        if let Some(target) = contact_uri(response) {
            leg.remote_target = target;
        }
        leg.route_set = record_route(response).into_iter().rev().collect();
        let ack = leg.request_with_cseq(Method::Ack, t.invite_cseq, &branch);
        self.layer.send_stateless(&ack, leg.peer);
        let referrer = t.referrer;
        let accepted = if t.aborted || call.state == CallState::Ending {
            Err(NotAcceptable("the call ended".into()))
        } else {
            hook.transfer_answered(id, referrer, response.body())
        };
        if accepted.is_err() {
            // The new party's media cannot replace the referrer's: end the new leg, and
            // tell the referrer the transfer failed as if the target had refused it.
            self.bye_leg(now, id, &mut leg);
            if !t.aborted {
                hook.transfer_failed(id, referrer);
                if !t.referrer_gone {
                    self.notify_progress(now, id, referrer, Progress::Final(488));
                }
                self.events.push_back(EngineEvent::TransferEnded {
                    call: id,
                    from: referrer,
                    code: 488,
                });
                if t.referrer_gone {
                    self.kept_leg_alone(now, id, referrer, hook);
                }
            }
            return;
        }
        let code = response.status().unwrap_or(200);
        // The final NOTIFY goes in X's dialog before the new leg takes its place.
        if !t.referrer_gone {
            self.notify_progress(now, id, referrer, Progress::Final(code));
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.transfers = call.transfers.saturating_add(1);
        let key = (leg.call_id.clone(), leg.local_tag.clone());
        let old = std::mem::replace(call.dialog_mut(referrer), leg);
        if t.referrer_gone {
            // Its BYE was answered already: nothing of its dialog is left to keep.
            self.dialogs.remove(&(old.call_id, old.local_tag));
        } else if let Some(earlier) = call.retired.replace(old) {
            self.dialogs.remove(&(earlier.call_id, earlier.local_tag));
        }
        call.set_last_ack(referrer, ack);
        self.dialogs.insert(key, (id, referrer));
        if let Some(entry) = self.clients.get_mut(&tx) {
            entry.1 = Purpose::TransferAnswered {
                side: referrer,
                cseq: t.invite_cseq,
            };
        }
        self.events.push_back(EngineEvent::TransferEnded {
            call: id,
            from: referrer,
            code,
        });
        self.resume_kept(now, id, referrer, response.body(), hook);
    }

    /// The transfer's INVITE got no final response (Timer B): as a 408.
    pub(crate) fn transfer_timeout(
        &mut self,
        now: Instant,
        id: CallId,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(t) = call.transfer.take() else {
            return;
        };
        hook.transfer_failed(id, t.referrer);
        if !t.aborted && !t.referrer_gone {
            self.notify_progress(now, id, t.referrer, Progress::Final(408));
        }
        self.events.push_back(EngineEvent::TransferEnded {
            call: id,
            from: t.referrer,
            code: 408,
        });
        if t.referrer_gone && !t.aborted {
            self.kept_leg_alone(now, id, t.referrer, hook);
        }
    }

    /// A BYE on leg `side` of call `id` while that leg's transfer is calling the new
    /// party: answered 200, and the call goes on — the kept party is the one who should
    /// end up with the new one, whose answer still bridges them (without NOTIFYs: the
    /// referrer is gone). Returns whether the BYE was taken so.
    pub(crate) fn referrer_left(
        &mut self,
        now: Instant,
        id: CallId,
        side: Side,
        tx: ServerTxId,
    ) -> bool {
        let Some(t) = self
            .calls
            .get_mut(&id)
            .filter(|c| c.state == CallState::Confirmed)
            .and_then(|c| c.transfer.as_deref_mut())
        else {
            return false;
        };
        if t.referrer != side || t.leg.is_none() || t.aborted {
            return false;
        }
        t.referrer_gone = true;
        self.answer(now, tx, 200, Vec::new(), None);
        true
    }

    /// The transfer failed after its referrer hung up: the kept party has nobody left,
    /// and its leg ends as if the referrer's BYE had just arrived.
    fn kept_leg_alone(
        &mut self,
        now: Instant,
        id: CallId,
        referrer: Side,
        hook: &mut dyn SessionHook,
    ) {
        self.hang_up_call(now, id, super::call::EndReason::Bye(referrer), hook);
    }

    /// The call is ending: a REFER still waiting for the daemon gets 487, an INVITE in
    /// progress is cancelled (a 2xx crossing the CANCEL is ACKed and BYEd).
    pub(crate) fn abort_transfer(&mut self, now: Instant, id: CallId) {
        let Some(t) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.transfer.as_deref_mut())
        else {
            return;
        };
        t.aborted = true;
        let refer_tx = t.refer_tx.take();
        let pending = t.leg.is_some();
        if let Some(tx) = refer_tx {
            self.answer(now, tx, 487, Vec::new(), None);
        }
        if !pending {
            if let Some(c) = self.calls.get_mut(&id) {
                c.transfer = None;
            }
            return;
        }
        let invite = self
            .clients
            .iter()
            .find(|(_, (c, p))| *c == id && matches!(p, Purpose::Transfer))
            .map(|(tx, _)| *tx);
        if let Some(tx) = invite {
            let reason = crate::q850::header_value(16);
            let _ = self.layer.cancel_with(now, tx, Some(&reason));
        }
    }

    /// A request in the referrer's dialog after the transfer: its BYE is answered 200 and
    /// forgets the dialog; anything else gets 481.
    pub(crate) fn retired_request(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ServerTxId,
        method: &Method,
    ) {
        if *method != Method::Bye {
            self.answer(now, tx, 481, Vec::new(), Some("transferred"));
            return;
        }
        self.answer(now, tx, 200, Vec::new(), None);
        if let Some(old) = self.calls.get_mut(&id).and_then(|c| c.retired.take()) {
            self.dialogs.remove(&(old.call_id, old.local_tag));
        }
    }

    fn notify_progress(&mut self, now: Instant, id: CallId, side: Side, step: Progress) {
        let (headers, body) = step.notify();
        // A referrer that cannot be told is no reason to change the call.
        let _ = self.send_in_dialog(now, id, side, None, Method::Notify, headers, Some(body));
    }

    /// BYE on a leg that is not (or no longer) one of the call's two.
    fn bye_leg(&mut self, now: Instant, id: CallId, leg: &mut Dialog) {
        let bye = leg.request(Method::Bye, &self.tokens.branch());
        if let Ok(tx) = self.layer.start_client(now, bye, leg.peer) {
            self.clients.insert(tx, (id, Purpose::Bye));
            if let Some(call) = self.calls.get_mut(&id) {
                call.open.insert(tx);
            }
        }
    }
}

/// The transfer if it still waits for the daemon's decision.
fn waiting(t: Option<&Transfer>) -> Option<&Transfer> {
    t.filter(|t| t.refer_tx.is_some() && t.leg.is_none() && !t.aborted)
}

/// The party the referrer saw the SBC as (its dialog's local party), on the new leg's side:
/// the same user and display name at the SBC's address there.
fn presented_party(local_party: &str, advertised: &str) -> String {
    let parsed = NameAddr::parse(local_party).ok();
    let user = parsed
        .as_ref()
        .and_then(|a| match a.uri {
            Uri::Sip(u) => u.user.map(str::to_owned),
            Uri::Other { .. } => None,
        })
        .unwrap_or_else(|| "anonymous".into());
    let display = parsed
        .and_then(|a| a.display)
        .map(|d| format!("{d} "))
        .unwrap_or_default();
    format!("{display}<sip:{user}@{advertised}>")
}
