//! The one place session descriptions pass through on their way across: the seam where
//! the media plane anchors streams and rewrites SDP (offer/answer, RFC 3264).
//!
//! The engine tells the hook, in order: [`SessionHook::call_started`] with the relay plan
//! (which realms and trunks the legs belong to) before anything of the call is sent;
//! [`SessionHook::relay_body`] for every offer and answer crossing; [`SessionHook::answered`]
//! when B's 2xx picks the fork whose media wins; [`SessionHook::call_ended`] once.

use super::ids::{CallId, Side};
use super::plan::RelayPlan;

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

    /// The call is over: release what it held.
    fn call_ended(&mut self, call: CallId);
}

/// Relays bodies unchanged: signalling only, media flows end to end.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough;

impl SessionHook for PassThrough {
    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        Ok(body.bytes.to_vec())
    }

    fn call_ended(&mut self, _call: CallId) {}
}
