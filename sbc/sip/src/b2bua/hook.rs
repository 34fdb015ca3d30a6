//! The one place session descriptions pass through on their way across: the seam where
//! the media plane anchors streams and rewrites SDP (offer/answer, RFC 3264).

use super::ids::{CallId, Side};

/// Whether a body opens or closes an offer/answer exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRole {
    Offer,
    Answer,
}

/// A body the hook refuses (malformed SDP, no common codec): the request carrying it is
/// answered 488 with this text in a Warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAcceptable(pub String);

/// Rewrites session descriptions crossing a call.
pub trait SessionHook {
    /// `body` arrived on leg `from` of `call` as an offer or answer and is about to be
    /// sent on the other leg; returns what to send instead. `content_type` is the
    /// received Content-Type.
    fn relay_body(
        &mut self,
        call: CallId,
        from: Side,
        role: BodyRole,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable>;

    /// The call is over: release what it held.
    fn call_ended(&mut self, call: CallId);
}

/// Relays bodies unchanged: signalling only, media flows end to end.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough;

impl SessionHook for PassThrough {
    fn relay_body(
        &mut self,
        _call: CallId,
        _from: Side,
        _role: BodyRole,
        _content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        Ok(body.to_vec())
    }

    fn call_ended(&mut self, _call: CallId) {}
}
