//! The one place session descriptions pass through on their way across: the seam where
//! the media plane anchors streams and rewrites SDP (offer/answer, RFC 3264).
//!
//! The engine tells the hook, in order: [`SessionHook::call_started`] with the relay plan
//! (which realms and trunks the legs belong to) before anything of the call is sent;
//! [`SessionHook::relay_body`] for every offer and answer crossing; [`SessionHook::answered`]
//! when B's 2xx picks the fork whose media wins; [`SessionHook::call_ended`] once.
//!
//! In-dialog requests that carry no session description (INFO, NOTIFY, MESSAGE, OPTIONS,
//! REFER ...) pass [`SessionHook::in_dialog`] before they cross: the hook relays them (the
//! default), relays them with another body (DTMF as `application/dtmf` for a side that
//! wants it), or answers them itself on their own leg (a DTMF INFO the media plane turned
//! into RTP events). What the SBC sends on a leg of its own accord goes through
//! [`Engine::send_in_dialog`](super::Engine::send_in_dialog).

use super::ids::{CallId, Side};
use super::plan::RelayPlan;
use crate::wire::Method;

/// Whether a body opens or closes an offer/answer exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRole {
    Offer,
    Answer,
}

/// A body crossing a call.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    pub call: CallId,
    /// The leg it arrived on.
    pub from: Side,
    pub role: BodyRole,
    /// For a response from B before the call is answered: the To tag of its early dialog
    /// (forks answer with different tags and different SDP).
    pub fork: Option<&'a str>,
    /// The received Content-Type.
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// An in-dialog request without a session description, about to cross to the other leg.
#[derive(Debug, Clone, Copy)]
pub struct InDialog<'a> {
    /// When it arrived (the engine's clock: a hook may rate-limit).
    pub now: std::time::Instant,
    pub call: CallId,
    /// The leg it arrived on.
    pub from: Side,
    pub method: &'a Method,
    /// The received Content-Type.
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// What becomes of an [`InDialog`] request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InDialogAction {
    /// Relay it as it came (headers through the header policy, body unchanged).
    Relay,
    /// Relay it with this body and Content-Type instead (an empty body drops both).
    Rewrite { content_type: String, body: Vec<u8> },
    /// Answer it on its own leg with this final status; nothing reaches the other leg.
    Answer(u16),
}

/// A body the hook refuses (malformed SDP, no common codec): the request carrying it is
/// answered 488 with this text in a Warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAcceptable(pub String);

/// Rewrites session descriptions crossing a call.
pub trait SessionHook {
    /// A call is being set up per `plan`; nothing of it has been sent yet.
    fn call_started(&mut self, _call: CallId, _plan: &RelayPlan) {}

    /// `body` is about to be sent on the other leg; returns what to send instead.
    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable>;

    /// B answered the call from early dialog `fork` (its To tag).
    fn answered(&mut self, _call: CallId, _fork: Option<&str>) {}

    /// An in-dialog request without a session description is about to cross: relay it
    /// (the default), rewrite its body, or answer it here.
    fn in_dialog(&mut self, _request: InDialog<'_>) -> InDialogAction {
        InDialogAction::Relay
    }

    /// The call is over: release what it held.
    fn call_ended(&mut self, call: CallId);

    /// The leg on `referrer` asked for a blind transfer (`refer = "handle"`): the offer
    /// for the new leg, which takes the referrer's place on that side. `sent_to_referrer`
    /// is the session description the SBC last sent the referrer — the kept leg's media
    /// as anchored on that side. The default refuses: a hook must know how to re-anchor.
    fn transfer_offer(
        &mut self,
        _call: CallId,
        _referrer: Side,
        _sent_to_referrer: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        Err(NotAcceptable(
            "transfer not supported by the media plane".into(),
        ))
    }

    /// The new leg of a transfer answered `answer` to [`transfer_offer`]'s offer: its
    /// media now replaces the referrer's. An error ends the new leg (BYE) and keeps the
    /// call as it was.
    ///
    /// [`transfer_offer`]: SessionHook::transfer_offer
    fn transfer_answered(
        &mut self,
        _call: CallId,
        _referrer: Side,
        _answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        Err(NotAcceptable(
            "transfer not supported by the media plane".into(),
        ))
    }

    /// A transfer offered by [`transfer_offer`] failed: release what the new leg held;
    /// the call stays as it was.
    ///
    /// [`transfer_offer`]: SessionHook::transfer_offer
    fn transfer_failed(&mut self, _call: CallId, _referrer: Side) {}

    /// A transfer completed: the new party answered `new_answer` in the referrer's place.
    /// When the SBC's last session description to the kept leg (`sent_to_kept`) holds it
    /// (`sendonly`/`inactive`, the referrer's hold relayed) and the new party's answer
    /// sends and receives, the offer that takes the kept party off hold: the same
    /// description with `sendrecv` and its `o=` version one higher. `None`: nothing to
    /// resume (the default; a hook wrapping another must pass this on, as every method).
    fn resume_offer(
        &mut self,
        _call: CallId,
        _kept: Side,
        _sent_to_kept: &[u8],
        _new_answer: &[u8],
    ) -> Option<Vec<u8>> {
        None
    }
}

/// Relays bodies unchanged: signalling only, media flows end to end.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough;

impl SessionHook for PassThrough {
    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        Ok(body.bytes.to_vec())
    }

    fn call_ended(&mut self, _call: CallId) {}

    /// The new leg gets what the referrer got: media flows end to end anyway.
    fn transfer_offer(
        &mut self,
        _call: CallId,
        _referrer: Side,
        sent_to_referrer: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        Ok(sent_to_referrer.to_vec())
    }

    fn transfer_answered(
        &mut self,
        _call: CallId,
        _referrer: Side,
        _answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        Ok(())
    }
}
