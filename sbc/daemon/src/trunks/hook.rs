//! A [`SessionHook`] wrapper that notes when the engine releases a call.
//!
//! The engine calls [`SessionHook::call_ended`] the moment a call is over (BYE, CANCEL,
//! rejection), while its `CallEnded` event waits for the call's last transactions (Timer
//! K or D: 5 to 32 s on UDP). Call limits must free the slot at the first moment, so the
//! core's hook is wrapped in this and the ids it collects go to
//! [`Limits::released`](super::Limits::released).

use sbc_sip::b2bua::{
    Body, CallId, InDialog, InDialogAction, NotAcceptable, RelayPlan, SessionHook, Side,
};

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

    /// The wrapped hook.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut H {
        &mut self.inner
    }

    /// The calls released since the last call, oldest first.
    pub fn take_released(&mut self) -> Vec<CallId> {
        std::mem::take(&mut self.released)
    }
}

impl<H: SessionHook> SessionHook for ReleaseHook<H> {
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
        self.released.push(call);
        self.inner.call_ended(call);
    }
}
