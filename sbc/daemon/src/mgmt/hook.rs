//! A [`SessionHook`] wrapper that keeps, for the CDR, what each leg of an ended call had
//! negotiated (codec, SRTP suite), and lets the views ask the same of live calls.
//!
//! Nothing here reads SDP: the session hook parsed every offer and answer once and knows
//! each leg's codec and SRTP suite ([`Negotiation`]); this wrapper only asks it, and keeps
//! the answer of an ended call until the core takes it for the call's record. The wrapper
//! derefs to the hook it wraps, so the core keeps calling that hook's own methods
//! unchanged.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use sbc_mgmt::live::LegView;
use sbc_session::MediaHook;
use sbc_sip::b2bua::{
    Body, CallId, InDialog, InDialogAction, NotAcceptable, RelayPlan, SessionHook, Side,
};

/// What one leg negotiated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegMedia {
    /// The encoding name (`PCMU`, `opus`), empty before an answer settled it.
    pub codec: String,
    pub srtp: bool,
    /// The SRTP suite in use (SDES, in `RTP/SAVP` or, OSRTP, `RTP/AVP`).
    pub suite: Option<String>,
    /// Whether the SBC transcodes between this leg and the other.
    pub transcoded: bool,
}

impl LegMedia {
    /// Writes the codec and SRTP suite into a leg view.
    pub fn fill(&self, leg: &mut LegView) {
        leg.codec.clone_from(&self.codec);
        leg.srtp = self.srtp;
        leg.srtp_suite.clone_from(&self.suite);
        leg.transcoded = self.transcoded;
    }
}

/// What a session hook knows each leg of a call negotiated.
pub trait Negotiation {
    /// A then B; `None` for a call the hook does not know.
    fn negotiated(&self, call: CallId) -> Option<[LegMedia; 2]>;
}

impl Negotiation for MediaHook {
    fn negotiated(&self, call: CallId) -> Option<[LegMedia; 2]> {
        let codecs = self.codecs(call);
        let suites = self.srtp_suites(call);
        if codecs.is_none() && suites == [None, None] {
            return None;
        }
        let transcoded = codecs.as_ref().is_some_and(|c| c.transcoded);
        // `PCMA/8000` -> `PCMA`: the encoding name, as operators read it.
        let name = |c: &str| c.split('/').next().unwrap_or_default().to_owned();
        let leg = |codec: Option<&String>, suite: Option<&'static str>| LegMedia {
            codec: codec.map(|c| name(c)).unwrap_or_default(),
            srtp: suite.is_some(),
            suite: suite.map(str::to_owned),
            transcoded,
        };
        Some([
            leg(codecs.as_ref().map(|c| &c.a), suites[0]),
            leg(codecs.as_ref().map(|c| &c.b), suites[1]),
        ])
    }
}

impl<H: SessionHook + Negotiation> Negotiation for crate::trunks::ReleaseHook<H> {
    fn negotiated(&self, call: CallId) -> Option<[LegMedia; 2]> {
        self.inner().negotiated(call)
    }
}

/// `inner`, plus what ended calls' legs had negotiated.
#[derive(Debug, Default)]
pub struct ViewHook<H> {
    inner: H,
    /// What ended calls' legs had negotiated, until the core takes it for the CDR.
    ended: HashMap<u64, [LegMedia; 2]>,
}

impl<H: Negotiation> ViewHook<H> {
    pub fn new(inner: H) -> Self {
        ViewHook {
            inner,
            ended: HashMap::new(),
        }
    }

    /// What the legs of live call `call` negotiated, A then B.
    pub fn media(&self, call: CallId) -> Option<[LegMedia; 2]> {
        self.inner.negotiated(call)
    }

    /// What the legs of an ended call negotiated (once; `EngineEvent::CallEnded` follows
    /// the hook's `call_ended`).
    pub fn take_ended(&mut self, call: u64) -> Option<[LegMedia; 2]> {
        self.ended.remove(&call)
    }
}

impl<H> Deref for ViewHook<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.inner
    }
}

impl<H> DerefMut for ViewHook<H> {
    fn deref_mut(&mut self) -> &mut H {
        &mut self.inner
    }
}

impl<H: SessionHook + Negotiation> SessionHook for ViewHook<H> {
    fn call_started(&mut self, call: CallId, plan: &RelayPlan) {
        self.inner.call_started(call, plan);
    }

    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        self.inner.relay_body(body)
    }

    fn answered(&mut self, call: CallId, fork: Option<&str>) {
        self.inner.answered(call, fork);
    }

    fn in_dialog(&mut self, request: InDialog<'_>) -> InDialogAction {
        self.inner.in_dialog(request)
    }

    fn transfer_offer(
        &mut self,
        call: CallId,
        referrer: Side,
        sent_to_referrer: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        self.inner.transfer_offer(call, referrer, sent_to_referrer)
    }

    fn transfer_answered(
        &mut self,
        call: CallId,
        referrer: Side,
        answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        self.inner.transfer_answered(call, referrer, answer)
    }

    fn transfer_failed(&mut self, call: CallId, referrer: Side) {
        self.inner.transfer_failed(call, referrer);
    }

    fn resume_offer(
        &mut self,
        call: CallId,
        kept: Side,
        sent_to_kept: &[u8],
        new_answer: &[u8],
    ) -> Option<Vec<u8>> {
        self.inner
            .resume_offer(call, kept, sent_to_kept, new_answer)
    }

    fn call_ended(&mut self, call: CallId) {
        if let Some(m) = self.inner.negotiated(call) {
            self.ended.insert(call.get(), m);
        }
        self.inner.call_ended(call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core's hook stack (views around releases around the media hook) hands the
    /// in-dialog decision to the innermost hook, not to the trait's default.
    #[test]
    fn in_dialog_requests_reach_the_inner_hook() {
        struct Answers;
        impl SessionHook for Answers {
            fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
                Ok(body.bytes.to_vec())
            }
            fn call_ended(&mut self, _call: CallId) {}
            fn in_dialog(&mut self, _request: InDialog<'_>) -> InDialogAction {
                InDialogAction::Answer(200)
            }
        }
        impl Negotiation for Answers {
            fn negotiated(&self, _call: CallId) -> Option<[LegMedia; 2]> {
                None
            }
        }
        let mut stack = ViewHook::new(crate::trunks::ReleaseHook::new(Answers));
        let request = InDialog {
            now: std::time::Instant::now(),
            call: CallId::from_number(1),
            from: Side::A,
            method: &sbc_sip::Method::Info,
            content_type: None,
            bytes: b"",
        };
        assert_eq!(stack.in_dialog(request), InDialogAction::Answer(200));
    }
}
