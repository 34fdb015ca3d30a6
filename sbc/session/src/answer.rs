//! An answer crossing a call (18x/2xx to an INVITE, ACK or PRACK after a late offer, the
//! 2xx of a re-INVITE/UPDATE): checked against the offer, the answerer's address given
//! to the engine, and rewritten for the offerer.
//!
//! An answer from an early dialog of B (a 18x from fork `f`, before the call is
//! answered) only adds that fork's address; the streams are settled — those the answer
//! rejected closed and their ports released — by a final answer, or by
//! [`answered`] when the 2xx of a fork that already answered early carries no SDP.

use sbc_core::{MediaOp, Side};
use sbc_sdp::codec::is_auxiliary;
use sbc_sdp::{MediaDescription, SessionDescription};

use super::check::peer_streams;
use super::error::MediaError;
use super::hiding::hide_identities;
use super::ports::Pools;
use super::rewrite::{anchor, unbundle};
use super::state::CallMedia;

/// Handles an answer from `from`'s peer; returns the description for the offerer.
pub fn answer(
    call: &mut CallMedia,
    pools: &mut Pools,
    ops: &mut Vec<MediaOp>,
    from: Side,
    mut sdp: SessionDescription,
    fork: Option<&str>,
) -> Result<Vec<u8>, MediaError> {
    let Some(offer) = call.offer.as_ref() else {
        return Err(MediaError::AnswerWithoutOffer);
    };
    if offer.from == from {
        return Err(MediaError::AnswerFromOfferer);
    }
    let offerer = offer.from;
    let n = sdp.media.len();
    if n != offer.anchored.len() {
        return Err(MediaError::SectionCount {
            offer: offer.anchored.len(),
            answer: n,
        });
    }
    sdp.normalize_old_hold();
    let peer = peer_streams(&sdp, call.leg(from), pools, fork)?;
    sdp.strip_ice();
    sdp.strip_crypto();
    let accepted: Vec<bool> = (0..n)
        .map(|i| offer.anchored[i] && !peer[i].rejected)
        .collect();
    for (index, m) in sdp.media.iter().enumerate().filter(|(i, _)| accepted[*i]) {
        if !m.proto.eq_ignore_ascii_case(&offer.protos[index]) {
            return Err(MediaError::ProtoMismatch {
                index,
                offer: offer.protos[index].clone(),
                answer: m.proto.clone(),
            });
        }
    }

    let offered = offer.peer.clone();
    let section_dtmf = offer.dtmf.clone();
    for index in (0..n).filter(|i| accepted[*i]) {
        let (theirs, ours) = (&offered[index], &peer[index]);
        // rtcp-mux is on when offered and accepted (RFC 5761 §5.1.1); an answer cannot
        // turn it on alone.
        let mux = theirs.spec.rtcp_mux && ours.spec.rtcp_mux;
        if ours.spec.rtcp_mux && !mux {
            sdp.media[index].set_rtcp_mux(false);
        }
        let answerer = if mux {
            ours.spec.clone()
        } else {
            ours.unmuxed()
        };
        let offerer_spec = if mux {
            theirs.spec.clone()
        } else {
            theirs.unmuxed()
        };
        call.remote(ops, index, from, answerer);
        call.sending(ops, index, from, ours.sends);
        call.remote(ops, index, offerer, offerer_spec);
        if let Some(rate) = clock_rate(&sdp.media[index]) {
            call.clock_rate(ops, index, rate);
        }
        if let Some(sd) = section_dtmf.get(index) {
            dtmf(call, ops, index, from, &mut sdp.media[index], sd);
        }
    }

    let early = from == Side::B && !call.answered && fork.is_some();
    match (early, fork) {
        (true, Some(fork)) => {
            if let Some(offer) = call.offer.as_mut() {
                offer.early.retain(|(f, _)| f != fork);
                offer.early.push((fork.to_owned(), accepted.clone()));
            }
        }
        _ => call.settle(&accepted, pools, ops),
    }

    let ports = call.ports_on(offerer, &accepted);
    anchor(&mut sdp, call.leg(offerer).sdp_ip, &ports);
    hide_identities(&mut sdp, &call.names);
    unbundle(&mut sdp);
    Ok(call.leg_mut(offerer).origin.stamp(&mut sdp))
}

/// Section `index` of an answer from `from`'s peer: its telephone-events made right for
/// the offerer, and each leg's DTMF told to the engine.
fn dtmf(
    call: &mut CallMedia,
    ops: &mut Vec<MediaOp>,
    index: usize,
    from: Side,
    m: &mut MediaDescription,
    sd: &super::dtmf::SectionDtmf,
) {
    if m.media != "audio" || !m.is_rtp() || m.is_rejected() {
        return;
    }
    let offerer = from.other();
    let answered = super::dtmf::events(m);
    let audio = super::dtmf::audio(m);
    super::dtmf::answer(m, call.leg(offerer), &sd.offered);
    let to_offerer = super::dtmf::events(m);
    let answerer_leg = super::dtmf::leg(
        call.leg(from).dtmf.mode,
        answered,
        sd.sent.clone(),
        audio.clone(),
    );
    let offerer_leg = super::dtmf::leg(
        call.leg(offerer).dtmf.mode,
        sd.offered.clone(),
        to_offerer,
        audio,
    );
    call.dtmf(ops, index, from, answerer_leg);
    call.dtmf(ops, index, offerer, offerer_leg);
}

/// The RTP clock rate of the codec an answer puts first (DTMF events, comfort noise and
/// the like do not count).
fn clock_rate(m: &MediaDescription) -> Option<u32> {
    if !m.is_rtp() {
        return None;
    }
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .find(|e| !is_auxiliary(&e.encoding))
        .map(|e| e.clock_rate)
}

/// B answered the call from early dialog `fork`: the streams are its now. If that fork's
/// answer came early (its 2xx may carry no SDP), the streams it rejected close.
pub fn answered(
    call: &mut CallMedia,
    pools: &mut Pools,
    ops: &mut Vec<MediaOp>,
    fork: Option<&str>,
) {
    call.answered = true;
    call.answered_fork = fork.map(str::to_owned);
    for index in 0..call.streams.len() {
        if call.streams[index].is_some() {
            ops.push(MediaOp::Answered {
                stream: call.key(index),
                fork: fork.map(str::to_owned),
            });
        }
    }
    let early = call.offer.as_ref().and_then(|o| {
        o.early
            .iter()
            .find(|(f, _)| Some(f.as_str()) == fork)
            .map(|(_, accepted)| accepted.clone())
    });
    if let Some(accepted) = early {
        call.settle(&accepted, pools, ops);
    }
}
