//! An offer crossing a call (INVITE, late offer in a 2xx or reliable 18x, re-INVITE,
//! UPDATE): anchored, filtered, and rewritten for the other side.
//!
//! Per media section:
//!
//! * disabled by the offerer (port 0): forwarded with port 0;
//! * refused by the SBC — an SRTP or non-UDP transport, no codec left by the policy of
//!   either side's trunk, beyond [`MAX_STREAMS`] — forwarded with port 0 (rejected, the
//!   section stays: RFC 3264 §6). If no section is left at all, the offer is refused
//!   with the first reason (488);
//! * otherwise anchored: on the first offer that names it a port pair is taken on each
//!   side's realm ([`MediaOp::Open`]); the offerer's address goes to the engine
//!   ([`MediaOp::Remote`], [`MediaOp::Sending`]); the other side gets the SBC's.
//!
//! A stream the offer disables or the SBC refuses stays anchored until the answer settles
//! it (a refused re-offer leaves the session as it was, RFC 3264 §8).
//!
//! SRTP ([`sdes`](super::sdes)) is decided per leg: the offerer's `a=crypto` line is chosen
//! (or the section refused: SAVP on a leg whose policy or signalling does not allow it, no
//! usable line, plain RTP where SRTP is required), and the other side gets the SBC's own
//! lines as its policy says: `RTP/SAVP(F)` with them (`required`), `RTP/AVP(F)` with them
//! (`optional`: OSRTP), or plain RTP. The offerer's keys are used once the answer comes.

use sbc_core::{MediaOp, Side};
use sbc_sdp::{MediaDescription, SessionDescription};
use tracing::info;

use super::check::peer_streams;
use super::error::MediaError;
use super::hiding::hide_identities;
use super::legs::Leg;
use super::ports::Pools;
use super::rewrite::{anchor, is_srtp, relayed_proto, unbundle};
use super::sdes::{KeySource, Line, choose, is_savp, offer_lines, plain_proto, secure_proto};
use super::state::{CallMedia, Offer, Ports};
use super::transcode::{self, Room, SectionCodecs, Targets};
use sbc_config::SrtpMode;

/// Most streams anchored for one call; further sections are rejected (each takes a port
/// pair on both realms).
pub const MAX_STREAMS: usize = 8;

/// Handles an offer from `from`'s peer; returns the description for the other side.
#[allow(clippy::too_many_arguments)]
pub fn offer(
    call: &mut CallMedia,
    pools: &mut Pools,
    ops: &mut Vec<MediaOp>,
    keys: &mut KeySource,
    from: Side,
    mut sdp: SessionDescription,
    fork: Option<&str>,
    room: Room,
    targets: Targets,
) -> Result<Vec<u8>, MediaError> {
    let to = from.other();
    let (before, n) = (call.streams.len(), sdp.media.len());
    if n < before {
        return Err(MediaError::SectionsRemoved { before, now: n });
    }
    sdp.normalize_old_hold();
    let peer = peer_streams(&sdp, call.leg(from), pools, fork)?;
    let ice_remote = super::ice::credentials(&sdp);
    sdp.strip_ice();
    let peer_protos: Vec<String> = sdp.media.iter().map(|m| m.proto.clone()).collect();
    let mut peer_lines: Vec<Option<Line>> = vec![None; n];

    // The offerer's telephone-events, before the codec policies: the destination's may
    // leave them out (it converts), the offerer still gets them back in the answer.
    let offered_events: Vec<_> = sdp
        .media
        .iter()
        .map(|m| super::dtmf::offered(m, call.leg(from)))
        .collect();
    let mut anchored = vec![false; n];
    let mut codecs = vec![SectionCodecs::default(); n];
    let mut refusals = Vec::new();
    for (index, m) in sdp.media.iter_mut().enumerate() {
        if m.is_rejected() {
            continue;
        }
        let admitted = if index >= MAX_STREAMS {
            Err(MediaError::TooManyStreams {
                index,
                limit: MAX_STREAMS,
            })
        } else {
            admit(index, m, call.leg(from), call.leg(to), room, targets).and_then(|section| {
                offered_srtp(index, m, call.leg(from), call.leg(to)).map(|l| (section, l))
            })
        };
        match admitted {
            Ok((section, line)) => {
                anchored[index] = true;
                peer_lines[index] = line;
                codecs[index] = section;
            }
            Err(e) => refusals.push(e),
        }
    }
    sdp.strip_crypto();
    if !anchored.contains(&true) {
        if let Some(first) = refusals.into_iter().next() {
            return Err(first);
        }
    } else {
        for e in &refusals {
            info!(call = %call.id, "stream rejected: {e}");
        }
    }

    let dtmf: Vec<super::dtmf::SectionDtmf> = sdp
        .media
        .iter_mut()
        .enumerate()
        .map(|(index, m)| {
            if anchored[index] {
                super::dtmf::offer(m, call.leg(to), offered_events[index].clone())
            } else {
                super::dtmf::SectionDtmf::default()
            }
        })
        .collect();

    let fresh = allocate(call, pools, &anchored)?;
    for &index in &fresh {
        // Invariant: `allocate` just gave both sides of these streams a port.
        if let (Some(a_local), Some(b_local)) =
            (call.local(index, Side::A), call.local(index, Side::B))
        {
            ops.push(MediaOp::Open {
                stream: call.key(index),
                a_local,
                b_local,
                latch_a: call.leg(Side::A).latch,
                latch_b: call.leg(Side::B).latch,
            });
        }
    }
    for (index, p) in peer.iter().enumerate().filter(|(i, _)| anchored[*i]) {
        if sdp.media[index].proto.eq_ignore_ascii_case("udptl") {
            call.udptl(ops, index);
        }
        call.remote(ops, index, from, p.spec.clone());
        call.sending(ops, index, from, p.sends);
    }
    if call.answered {
        // Streams new after the answer (late offer, a stream added by a re-offer) are
        // answered already: the engine's inactivity timer runs for answered streams.
        for &index in &fresh {
            ops.push(MediaOp::Answered {
                stream: call.key(index),
                fork: call.answered_fork.clone(),
            });
        }
    }
    // What the other side is offered: its policy's SRTP, the SBC's own keys.
    let mut our_offered: Vec<Vec<Line>> = vec![Vec::new(); n];
    for (index, m) in sdp.media.iter_mut().enumerate() {
        if !anchored[index] || !m.is_rtp() {
            continue;
        }
        let plain = plain_proto(&m.proto);
        let leg = &call.leg(to).srtp;
        if leg.usable() {
            let before = call
                .keying
                .ours
                .get(&(index, to))
                .cloned()
                .unwrap_or_default();
            let lines = offer_lines(leg, &before, keys)?;
            m.proto = if leg.required() {
                secure_proto(&plain)
            } else {
                plain
            };
            call.keying.ours.insert((index, to), lines.clone());
            our_offered[index] = lines;
        } else {
            m.proto = plain;
        }
    }
    let crypto_lines: Vec<Vec<_>> = our_offered
        .iter()
        .map(|lines| lines.iter().map(Line::attribute).collect())
        .collect();
    call.offer = Some(Offer {
        from,
        anchored: anchored.clone(),
        protos: sdp.media.iter().map(|m| m.proto.clone()).collect(),
        peer,
        early: Vec::new(),
        dtmf,
        peer_protos,
        peer_lines,
        our_offered,
        codecs,
    });

    let ports = call.ports_on(to, &anchored);
    anchor(&mut sdp, call.leg(to).sdp_ip, &ports);
    hide_identities(&mut sdp, &call.names);
    // The SBC's own keys go in after the hiding, which drops every `a=crypto`.
    for (m, lines) in sdp.media.iter_mut().zip(&crypto_lines) {
        if !lines.is_empty() {
            m.set_crypto(lines);
        }
    }
    unbundle(&mut sdp);
    // ICE-lite legs: the peer's ufrag to the engine, the SBC's lines towards `to`.
    super::ice::from_peer(call, keys, ops, from, fork, ice_remote, &anchored)?;
    super::ice::to_peer(call, keys, ops, to, &mut sdp, &anchored)?;
    if call.leg(to).rtcp_mux_offer {
        // After the ICE lines: component 2 stays a candidate for a peer that declines.
        for m in sdp
            .media
            .iter_mut()
            .filter(|m| !m.is_rejected() && m.is_rtp())
        {
            m.set_rtcp_mux(true);
        }
    }
    Ok(call.leg_mut(to).origin.stamp(&mut sdp))
}

/// Whether the SBC relays section `index`; applies the codec policies (the offerer's
/// trunk first, then the destination's, whose order of preference wins) and offers
/// transcoding where they share no codec ([`transcode::offer`]).
fn admit(
    index: usize,
    m: &mut MediaDescription,
    from: &Leg,
    to: &Leg,
    room: Room,
    targets: Targets,
) -> Result<SectionCodecs, MediaError> {
    if !relayed_proto(&m.proto) {
        let proto = m.proto.clone();
        return Err(if is_srtp(&proto) {
            MediaError::Srtp { index, proto }
        } else {
            MediaError::Proto { index, proto }
        });
    }
    // Trunk policies name audio codecs; other media cross as they are.
    if m.media != "audio" || !m.is_rtp() {
        return Ok(SectionCodecs::default());
    }
    let offered = encodings(m);
    let codecs = transcode::offer(index, m, from, to, room, targets, offered)?;
    super::ptime::announce(m, to);
    Ok(codecs)
}

/// The offerer's SRTP of section `index`: its chosen `a=crypto` line (`None`: plain RTP),
/// or why the section is refused.
fn offered_srtp(
    index: usize,
    m: &MediaDescription,
    from: &Leg,
    to: &Leg,
) -> Result<Option<Line>, MediaError> {
    if !m.is_rtp() {
        return Ok(None);
    }
    if to.srtp.required() && !to.srtp.keys_may_travel {
        return Err(MediaError::SrtpRefused {
            index,
            leg: to.name.clone(),
            why: "SRTP is required there, and its signalling is not TLS",
        });
    }
    let leg = &from.srtp;
    let lines = m.cryptos();
    let savp = is_savp(&m.proto);
    if savp && !leg.usable() {
        let why = if leg.policy.mode == SrtpMode::Off {
            "its srtp policy is off"
        } else {
            "SDES keys arrived over signalling that is not TLS"
        };
        return Err(MediaError::SrtpRefused {
            index,
            leg: from.name.clone(),
            why,
        });
    }
    if !leg.usable() {
        // Plain RTP; keys in an OSRTP offer are ignored.
        return Ok(None);
    }
    let (chosen, skipped) = choose(&lines, &leg.policy);
    for (tag, why) in &skipped {
        info!(leg = %from.name, index, tag, "a=crypto line skipped: {why}");
    }
    match chosen {
        Some(line) => Ok(Some(line)),
        None if savp || leg.required() => Err(MediaError::SrtpRequired {
            index,
            leg: from.name.clone(),
            skipped: skipped_text(&skipped),
        }),
        None => Ok(None),
    }
}

/// `1: why; 2: why` of the skipped lines, the first few (a Warning header stays short).
fn skipped_text(skipped: &[(u32, super::sdes::Skip)]) -> String {
    const SHOWN: usize = 4;
    if skipped.is_empty() {
        return "none offered".to_owned();
    }
    let mut text: Vec<String> = skipped
        .iter()
        .take(SHOWN)
        .map(|(tag, why)| format!("{tag}: {why}"))
        .collect();
    if skipped.len() > SHOWN {
        text.push(format!("{} more", skipped.len() - SHOWN));
    }
    text.join("; ")
}

/// `PCMU/8000, G722/8000, ...` of a section's formats.
fn encodings(m: &MediaDescription) -> String {
    m.formats
        .iter()
        .map(|f| match m.encoding(f) {
            Some(e) => format!("{}/{}", e.encoding, e.clock_rate),
            None => f.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes ports for anchored sections that have none yet; all or nothing. Returns the
/// sections that got ports.
fn allocate(
    call: &mut CallMedia,
    pools: &mut Pools,
    anchored: &[bool],
) -> Result<Vec<usize>, MediaError> {
    let mut fresh: Vec<(usize, Ports)> = Vec::new();
    let mut failed = None;
    for (index, _) in anchored.iter().enumerate().filter(|(_, a)| **a) {
        if call.streams.get(index).copied().flatten().is_some() {
            continue;
        }
        let (ra, rb) = (&call.leg(Side::A).realm, &call.leg(Side::B).realm);
        let a = pools.allocate(ra);
        let b = pools.allocate(rb);
        match (a, b) {
            (Some(a), Some(b)) => fresh.push((index, Ports { a, b })),
            (a, b) => {
                if let Some(a) = a {
                    pools.release(ra, a);
                }
                if let Some(b) = b {
                    pools.release(rb, b);
                }
                failed = Some(if a.is_none() { ra.clone() } else { rb.clone() });
                break;
            }
        }
    }
    if let Some(realm) = failed {
        for (_, p) in fresh {
            pools.release(&call.leg(Side::A).realm, p.a);
            pools.release(&call.leg(Side::B).realm, p.b);
        }
        return Err(MediaError::NoPorts { realm });
    }
    if call.streams.len() < anchored.len() {
        call.streams.resize(anchored.len(), None);
    }
    Ok(fresh
        .into_iter()
        .map(|(index, ports)| {
            call.streams[index] = Some(ports);
            index
        })
        .collect())
}
