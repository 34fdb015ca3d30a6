//! A [`SessionHook`] wrapper that notes when the engine releases a call.
//!
//! The engine calls [`SessionHook::call_ended`] the moment a call is over (BYE, CANCEL,
//! rejection), while its `CallEnded` event waits for the call's last transactions (Timer
//! K or D: 5 to 32 s on UDP). Call limits must free the slot at the first moment, so the
//! core's hook is wrapped in this and the ids it collects go to
//! [`Limits::released`](super::Limits::released).

use sbc_sip::b2bua::{BodyRole, CallId, NotAcceptable, SessionHook, Side};

/// `inner`, plus the calls released since the last [`take_released`](Self::take_released).
#[derive(Debug, Default)]
pub struct ReleaseHook<H> {
    inner: H,
    released: Vec<CallId>,
}

impl<H: SessionHook> ReleaseHook<H> {
    pub fn new(inner: H) -> Self {
        ReleaseHook {
            inner,
            released: Vec::new(),
        }
    }

    /// The calls released since the last call, oldest first.
    pub fn take_released(&mut self) -> Vec<CallId> {
        std::mem::take(&mut self.released)
    }
}

impl<H: SessionHook> SessionHook for ReleaseHook<H> {
    fn relay_body(
        &mut self,
        call: CallId,
        from: Side,
        role: BodyRole,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        self.inner.relay_body(call, from, role, content_type, body)
    }

    fn call_ended(&mut self, call: CallId) {
        self.released.push(call);
        self.inner.call_ended(call);
    }
}
