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
use super::sdes::{KeySource, LegSrtp, Line, is_savp, parse_line};
use super::state::CallMedia;
use super::transcode;
use sbc_sdp::Crypto;
use tracing::info;

/// Handles an answer from `from`'s peer; returns the description for the offerer.
#[allow(clippy::too_many_arguments)]
pub fn answer(
    call: &mut CallMedia,
    pools: &mut Pools,
    ops: &mut Vec<MediaOp>,
    keys: &mut KeySource,
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
    let ice_remote = super::ice::credentials(&sdp);
    sdp.strip_ice();
    let answer_lines: Vec<Vec<Crypto>> = sdp.media.iter().map(|m| m.cryptos()).collect();
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
    let section_codecs = offer.codecs.clone();
    let (peer_protos, peer_lines, our_offered) = (
        offer.peer_protos.clone(),
        offer.peer_lines.clone(),
        offer.our_offered.clone(),
    );
    // The answerer's keys, checked against what was offered it, before anything changes.
    let mut answerer_pairs: Vec<Option<(Line, Line)>> = vec![None; n];
    for index in (0..n).filter(|i| accepted[*i]) {
        answerer_pairs[index] = answered_srtp(
            index,
            &sdp.media[index].proto,
            &answer_lines[index],
            &our_offered[index],
            &call.leg(from).srtp,
        )?;
    }
    // The offerer's: its chosen line and the SBC's own key for that leg (kept from before
    // when the suite is the same: the peer's context goes on).
    let mut offerer_pairs: Vec<Option<(Line, Line)>> = vec![None; n];
    for index in (0..n).filter(|i| accepted[*i]) {
        let Some(theirs) = peer_lines.get(index).cloned().flatten() else {
            continue;
        };
        let kept = call
            .keying
            .ours
            .get(&(index, offerer))
            .and_then(|lines| lines.iter().find(|l| l.suite.name == theirs.suite.name))
            .map(|l| l.key.clone());
        let key = match kept {
            Some(k) => k,
            None => keys.key(theirs.suite)?,
        };
        let ours = Line {
            tag: theirs.tag,
            suite: theirs.suite,
            key,
            mki: None,
        };
        call.keying
            .ours
            .insert((index, offerer), vec![ours.clone()]);
        offerer_pairs[index] = Some((theirs, ours));
    }
    let mut named_codec = false;
    for index in (0..n).filter(|i| accepted[*i]) {
        let (theirs, ours) = (&offered[index], &peer[index]);
        // rtcp-mux is on when offered and accepted (RFC 5761 §5.1.1); an answer cannot
        // turn it on alone. Each leg on its own: a leg with `rtcp_mux = "offer"` was
        // offered mux by the SBC (answerer) or gets it from the SBC (offerer) whatever
        // the other leg does; otherwise mux is on for both or for neither.
        let answerer_mux =
            ours.spec.rtcp_mux && (theirs.spec.rtcp_mux || call.leg(from).rtcp_mux_offer);
        let offerer_mux =
            theirs.spec.rtcp_mux && (ours.spec.rtcp_mux || call.leg(offerer).rtcp_mux_offer);
        let m = &mut sdp.media[index];
        if offerer_mux && !m.rtcp_mux() {
            m.remove_rtcp();
        }
        m.set_rtcp_mux(offerer_mux);
        let answerer = if answerer_mux {
            ours.spec.clone()
        } else {
            ours.unmuxed()
        };
        let offerer_spec = if offerer_mux {
            theirs.spec.clone()
        } else {
            theirs.unmuxed()
        };
        call.remote(ops, index, from, answerer);
        call.sending(ops, index, from, ours.sends);
        call.remote(ops, index, offerer, offerer_spec);
        let stream = call.key(index);
        call.keying.set(
            ops,
            stream,
            index,
            from,
            fork,
            answerer_pairs[index].clone(),
        );
        call.keying.set(
            ops,
            stream,
            index,
            offerer,
            None,
            offerer_pairs[index].clone(),
        );
        if let Some(rate) = clock_rate(&sdp.media[index]) {
            call.clock_rate(ops, index, rate);
        }
        let m = &mut sdp.media[index];
        let answered_codec = (m.media == "audio" && m.is_rtp())
            .then(|| first_codec(m))
            .flatten();
        let (answered_events, answerer_audio) = (super::dtmf::events(m), super::dtmf::audio(m));
        // Transcoding first: the engine then knows not to convert digits there.
        if let (Some(codecs), Some(sd)) = (section_codecs.get(index), section_dtmf.get(index)) {
            let as_answered = m.clone();
            let both =
                transcode::answer(m, codecs, &sd.offered, &answered_events).map(
                    |t| match offerer {
                        Side::A => [t.to_offerer, t.to_answerer],
                        Side::B => [t.to_answerer, t.to_offerer],
                    },
                );
            let (to_offerer, to_answerer) = match both {
                Some(_) => (None, None),
                None => {
                    let legs = (call.leg(offerer), call.leg(from));
                    let events = (sd.offered.as_slice(), answered_events.as_slice());
                    super::ptime::recut(&as_answered, codecs, legs, events)
                }
            };
            // Whichever step goes away first, so that the other's stays.
            if both.is_some() {
                call.recut(ops, index, offerer, None);
                call.recut(ops, index, from, None);
                call.transcode(ops, index, both);
            } else {
                call.transcode(ops, index, None);
                call.recut(ops, index, offerer, to_offerer);
                call.recut(ops, index, from, to_answerer);
            }
            super::ptime::announce(m, call.leg(offerer));
        }
        call.note_codecs(index, answered_codec);
        if m.media == "audio" && !named_codec {
            named_codec = true;
            call.relayed_codec = clock_rate(m).and_then(|_| {
                m.formats
                    .iter()
                    .filter_map(|f| m.encoding(f))
                    .find(|e| !is_auxiliary(&e.encoding))
                    .map(|e| format!("{}/{}", e.encoding, e.clock_rate))
            });
        }
        if let Some(sd) = section_dtmf.get(index) {
            let answerer = (answered_events, answerer_audio);
            dtmf(call, ops, index, from, &mut sdp.media[index], sd, answerer);
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
    // The offerer's answer in its own transport, with the SBC's key where it keyed SRTP.
    for (index, m) in sdp.media.iter_mut().enumerate() {
        if let Some(proto) = peer_protos.get(index) {
            m.proto.clone_from(proto);
        }
    }
    hide_identities(&mut sdp, &call.names);
    // The SBC's own key goes in after the hiding, which drops every `a=crypto`.
    for (m, pair) in sdp.media.iter_mut().zip(&offerer_pairs) {
        if let Some((_, ours)) = pair {
            m.set_crypto(&[ours.attribute()]);
        }
    }
    unbundle(&mut sdp);
    // ICE-lite legs: the answerer's ufrag to the engine, the SBC's lines towards the
    // offerer.
    super::ice::from_peer(call, keys, ops, from, fork, ice_remote, &accepted)?;
    super::ice::to_peer(call, keys, ops, offerer, &mut sdp, &accepted)?;
    Ok(call.leg_mut(offerer).origin.stamp(&mut sdp))
}

/// The first codec of a section (not telephone-event, CN ...): name and clock rate.
pub(super) fn first_codec(m: &MediaDescription) -> Option<(String, u32)> {
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .find(|e| !is_auxiliary(&e.encoding))
        .map(|e| (e.encoding, e.clock_rate))
}

/// Section `index` of an answer from `from`'s peer: its telephone-events made right for
/// the offerer, and each leg's DTMF told to the engine.
/// `answerer`: the answerer's telephone-events and audio as it answered (before a
/// transcoded section was rewritten for the offerer).
fn dtmf(
    call: &mut CallMedia,
    ops: &mut Vec<MediaOp>,
    index: usize,
    from: Side,
    m: &mut MediaDescription,
    sd: &super::dtmf::SectionDtmf,
    answerer: (Vec<sbc_core::dtmf::EventPt>, Vec<sbc_core::dtmf::AudioPt>),
) {
    if m.media != "audio" || !m.is_rtp() || m.is_rejected() {
        return;
    }
    let offerer = from.other();
    let (answered, answerer_audio) = answerer;
    super::dtmf::answer(m, call.leg(offerer), &sd.offered);
    let to_offerer = super::dtmf::events(m);
    let offerer_audio = super::dtmf::audio(m);
    let answerer_leg = super::dtmf::leg(
        call.leg(from).dtmf.mode,
        answered,
        sd.sent.clone(),
        answerer_audio,
    );
    let offerer_leg = super::dtmf::leg(
        call.leg(offerer).dtmf.mode,
        sd.offered.clone(),
        to_offerer,
        offerer_audio,
    );
    call.dtmf(ops, index, from, answerer_leg);
    call.dtmf(ops, index, offerer, offerer_leg);
}

/// The answerer's SRTP of section `index`: its key and the SBC's line it chose, checked
/// against what the SBC offered it. `None`: plain RTP (nothing offered, or an OSRTP offer
/// answered without keys).
fn answered_srtp(
    index: usize,
    proto: &str,
    lines: &[Crypto],
    offered: &[Line],
    leg: &LegSrtp,
) -> Result<Option<(Line, Line)>, MediaError> {
    if offered.is_empty() {
        return Ok(None);
    }
    for c in lines {
        let Some(ours) = offered
            .iter()
            .find(|l| l.tag == c.tag && l.suite.name == c.suite)
        else {
            continue;
        };
        match parse_line(c, &leg.policy) {
            Ok(theirs) => return Ok(Some((theirs, ours.clone()))),
            Err(why) => info!(index, tag = c.tag, "answer's a=crypto line unusable: {why}"),
        }
    }
    if is_savp(proto) || leg.required() {
        return Err(MediaError::SrtpAnswer { index });
    }
    Ok(None)
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
    let early = call.offer.as_ref().and_then(|o| {
        o.early
            .iter()
            .find(|(f, _)| Some(f.as_str()) == fork)
            .map(|(_, accepted)| accepted.clone())
    });
    let known = fork.is_none() || early.is_some();
    for index in 0..call.streams.len() {
        if call.streams[index].is_some() {
            let stream = call.key(index);
            ops.push(MediaOp::Answered {
                stream,
                fork: fork.map(str::to_owned),
            });
            call.keying.answered(ops, stream, index, fork, known);
        }
    }
    if let Some(accepted) = early {
        call.settle(&accepted, pools, ops);
    }
}
