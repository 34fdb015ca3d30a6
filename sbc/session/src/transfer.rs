//! Media of a blind transfer (`refer = "handle"`): the new leg takes the referrer's place
//! on the referrer's side, on the SBC ports that side already has.
//!
//! * **The offer** to the new leg is the kept side's last session description run through
//!   the offer path again, as if the kept side had re-offered it: the same sections on
//!   the same ports of the referrer's realm, the SBC's own SDES keys for that side (the
//!   referrer trunk's `srtp` policy: crypto never crosses legs, so the kept leg's keys stay
//!   as they are), and in each audio section only the codec the kept side sends and
//!   receives now (its telephone-event and other auxiliary encodings kept). Behind it,
//!   when both trunks allow transcoding (`transcode = "when-needed"`, RFC 4733 DTMF or
//!   none on both, a `media.max_transcoded` slot), the codecs the SBC transcodes to that
//!   the referrer's trunk allows ([`Targets::AlsoWhenShared`]).
//! * **The answer** is checked before anything changes: each section the kept side uses
//!   must be accepted, with the kept codec or one the SBC added. Then it goes through the
//!   answer path as the referrer's would: the engine is told the new peer's address (a
//!   fresh latch window) and keys; an answer with an added codec is transcoded to the
//!   kept codec in both directions. An answer that fails the check changes nothing: the
//!   engine still relays between the kept side and the referrer, and the B2BUA ends the
//!   new leg.
//! * **A failure** of the new leg gives back the transcoding slot its offer held.
//!
//! The kept side is never re-INVITEd for the new party's codec (only to take it off a
//! hold the referrer had put it on: `resume.rs`). It cannot be asked to change codec
//! without a re-INVITE, which costs a round trip on a leg that is up and working (and that carriers
//! answer with 491s and 488s of their own), and can fail only after the new party has been
//! connected: offering just the kept codec, plus what the SBC can transcode to, makes every
//! answer a compliant new party can give one that the kept side needs to hear nothing of.

use sbc_core::Side;
use sbc_sdp::SessionDescription;
use sbc_sdp::codec::is_auxiliary;
use sbc_sip::b2bua::{Body, BodyRole, CallId, NotAcceptable};

use super::MediaHook;
use super::answer::first_codec;
use super::resume::unhold_for_new_leg;
use super::state::CallMedia;
use super::transcode::{Targets, remove_formats};

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
        let Some(c) = self.calls.get(&call) else {
            return Err(NotAcceptable("the call has no media".into()));
        };
        let Some(last) = c.received[index(kept)].as_deref() else {
            return Err(NotAcceptable("the kept leg has no session to offer".into()));
        };
        let mut sdp = SessionDescription::parse(last)
            .map_err(|e| NotAcceptable(format!("the kept leg's session: {e}")))?;
        for (i, m) in sdp.media.iter_mut().enumerate() {
            let Some((name, rate)) = c.codec_in_use(i, kept) else {
                continue;
            };
            let others: Vec<String> = m
                .formats
                .iter()
                .filter(|f| {
                    m.encoding(f).is_none_or(|e| {
                        let kept_codec =
                            e.encoding.eq_ignore_ascii_case(name) && e.clock_rate == *rate;
                        !(is_auxiliary(&e.encoding) || kept_codec)
                    })
                })
                .cloned()
                .collect();
            if others.len() < m.formats.len() {
                remove_formats(m, &others);
            }
        }
        unhold_for_new_leg(&mut sdp);
        let bytes = sdp.to_bytes();
        self.sdp(
            &Body {
                call,
                from: kept,
                role: BodyRole::Offer,
                fork: None,
                content_type: Some("application/sdp"),
                bytes: &bytes,
            },
            Targets::AlsoWhenShared,
        )
        .map_err(|e| NotAcceptable(format!("transfer offer: {e}")))
    }

    /// The new leg's answer: it replaces the referrer's media.
    pub(super) fn transfer_answer_from(
        &mut self,
        call: CallId,
        referrer: Side,
        answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        let Some(c) = self.calls.get(&call) else {
            return Err(NotAcceptable("the call has no media".into()));
        };
        fits(c, referrer.other(), answer)?;
        // The answer path writes the description the kept side would get, which is never
        // sent: its leg's origin stays at what the kept side last saw (RFC 3264 §8: the
        // next description sent there is one version higher, not two).
        let kept_origin = c.leg(referrer.other()).origin.clone();
        let result = self
            .sdp(
                &Body {
                    call,
                    from: referrer,
                    role: BodyRole::Answer,
                    fork: None,
                    content_type: Some("application/sdp"),
                    bytes: answer,
                },
                Targets::WhenNothingShared,
            )
            .map(|_| ())
            .map_err(|e| NotAcceptable(format!("transfer answer: {e}")));
        if let Some(c) = self.calls.get_mut(&call) {
            c.leg_mut(referrer.other()).origin = kept_origin;
        }
        result
    }

    /// The new leg failed (or its answer was refused): the call goes on as it was; the
    /// transfer's offer no longer waits for an answer nor holds a transcoding slot.
    pub(super) fn transfer_failed_for(&mut self, call: CallId, referrer: Side) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if c.offer.as_ref().is_some_and(|o| o.from == referrer.other()) {
            c.offer = None;
        }
        self.account(call, BodyRole::Answer, false);
    }
}

/// Whether the new leg's `answer` can replace the referrer's media without the kept side
/// changing: every section the transfer offer anchored is accepted, each audio section
/// with the kept codec or a codec the SBC added to transcode to.
fn fits(c: &CallMedia, kept: Side, answer: &[u8]) -> Result<(), NotAcceptable> {
    let Some(offer) = c.offer.as_ref().filter(|o| o.from == kept) else {
        return Err(NotAcceptable(
            "no transfer offer waits for an answer".into(),
        ));
    };
    let sdp = SessionDescription::parse(answer)
        .map_err(|e| NotAcceptable(format!("transfer answer: {e}")))?;
    if sdp.media.len() != offer.anchored.len() {
        return Err(NotAcceptable(format!(
            "the transfer target answered {} sections to {}",
            sdp.media.len(),
            offer.anchored.len()
        )));
    }
    for (i, m) in sdp.media.iter().enumerate() {
        if !offer.anchored[i] {
            continue;
        }
        if m.is_rejected() {
            return Err(NotAcceptable(format!(
                "the transfer target rejected stream {i}, which the kept leg uses"
            )));
        }
        let Some(kept_codec) = c.codec_in_use(i, kept) else {
            continue;
        };
        let Some(chosen) = m
            .formats
            .iter()
            .filter_map(|f| m.encoding(f).map(|e| (f, e)))
            .find(|(_, e)| !is_auxiliary(&e.encoding))
        else {
            continue;
        };
        let added = offer
            .codecs
            .get(i)
            .is_some_and(|s| s.added.contains(&chosen.1.payload_type));
        let same = first_codec(m).is_some_and(|(name, rate)| {
            name.eq_ignore_ascii_case(&kept_codec.0) && rate == kept_codec.1
        });
        if !(added || same) {
            return Err(NotAcceptable(format!(
                "the transfer target answered {}/{} where the kept leg sends {}/{} and the SBC \
                 offered no transcoding to it",
                chosen.1.encoding, chosen.1.clock_rate, kept_codec.0, kept_codec.1
            )));
        }
    }
    Ok(())
}
