//! Media of a blind transfer (`refer = "handle"`): the new leg takes the referrer's place
//! on the referrer's side, on the SBC ports that side already has.
//!
//! The offer to the new leg is the kept side's last session description run through the
//! offer path again, as if the kept side had re-offered it: the same sections on the same
//! ports of the referrer's realm, the codecs the referrer's trunk allows, the SBC's own
//! SDES keys for that side — what an outbound INVITE's offer is made of. The new leg's
//! answer goes through the answer path as the referrer's would: the engine is told the new
//! peer's address (a fresh latch window), its keys and the answered codec. The kept side
//! is told nothing; its own offer/answer stays as it was, so an answer whose codec differs
//! from the one the kept side sends is refused (the engine then ends the new leg and the
//! call stays with the referrer).

use sbc_core::Side;
use sbc_sip::b2bua::{Body, BodyRole, CallId, NotAcceptable};

use super::MediaHook;

/// `side` as an index of per-side arrays (A, B).
pub(super) fn index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

impl MediaHook {
    /// The offer for the new leg replacing `referrer` in `call`.
    pub(super) fn transfer_offer_for(
        &mut self,
        call: CallId,
        referrer: Side,
    ) -> Result<Vec<u8>, NotAcceptable> {
        let kept = referrer.other();
        let Some(last) = self
            .calls
            .get(&call)
            .and_then(|c| c.received[index(kept)].clone())
        else {
            return Err(NotAcceptable("the kept leg has no session to offer".into()));
        };
        self.sdp(&Body {
            call,
            from: kept,
            role: BodyRole::Offer,
            fork: None,
            content_type: Some("application/sdp"),
            bytes: &last,
        })
        .map_err(|e| NotAcceptable(format!("transfer offer: {e}")))
    }

    /// The new leg's answer: it replaces the referrer's media.
    pub(super) fn transfer_answer_from(
        &mut self,
        call: CallId,
        referrer: Side,
        answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        let kept = referrer.other();
        let before = self.codecs(call).map(|c| match kept {
            Side::A => c.a,
            Side::B => c.b,
        });
        self.sdp(&Body {
            call,
            from: referrer,
            role: BodyRole::Answer,
            fork: None,
            content_type: Some("application/sdp"),
            bytes: answer,
        })
        .map_err(|e| NotAcceptable(format!("transfer answer: {e}")))?;
        let after = self.codecs(call).map(|c| match kept {
            Side::A => c.a,
            Side::B => c.b,
        });
        if before.is_some() && after != before {
            return Err(NotAcceptable(format!(
                "the transfer target answered {} where the kept leg sends {}",
                after.unwrap_or_default(),
                before.unwrap_or_default()
            )));
        }
        Ok(())
    }
}
