//! DTMF in offer/answer: which telephone-events each leg sees, and what the media engine
//! is told about each leg ([`MediaOp::Dtmf`]).
//!
//! * An offer towards an `rfc4733` leg carries telephone-event for every audio clock rate
//!   it offers (8000 beside G.711/G.722, 48000 beside Opus), added by the SBC where the
//!   offerer had none (the SBC converts), with a payload type of 96-127 that the section
//!   does not use (never 64-95, which collide with RTCP on an rtcp-mux leg, RFC 5761 §4) —
//!   unless that leg's codec list leaves telephone-event out. Towards a `sip-info` or
//!   `inband` leg telephone-event is stripped.
//! * An answer towards an `rfc4733` offerer carries the telephone-events it offered at the
//!   answered codec's rate (added back where the answerer had none: a `sip-info` or
//!   `inband` answerer never saw them); towards a `sip-info` or `inband` offerer they are
//!   stripped.
//! * Each leg's way then follows: `sip-info` and `inband` as configured; `rfc4733` carries
//!   events where its SDP has telephone-event at the audio's rate, else falls back to
//!   in-band on G.711, else has none (its digits are dropped and counted by the engine).
//!
//! [`MediaOp::Dtmf`]: sbc_core::MediaOp::Dtmf

use sbc_config::{Codec, DtmfMode};
use sbc_core::dtmf::{AudioPt, EventPt, G711};
use sbc_core::{DtmfLeg, DtmfWay};
use sbc_sdp::codec::is_auxiliary;
use sbc_sdp::{Attribute, MediaDescription, RtpMap};

use super::legs::Leg;

const TE: &str = "telephone-event";

/// What of a section DTMF needs, as written by one side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionDtmf {
    /// The offerer's telephone-events, as it wrote them.
    pub offered: Vec<EventPt>,
    /// The telephone-events in the offer the SBC sent on.
    pub sent: Vec<EventPt>,
}

/// The telephone-event payload types of a section.
pub fn events(m: &MediaDescription) -> Vec<EventPt> {
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .filter(|e| e.encoding.eq_ignore_ascii_case(TE))
        .map(|e| EventPt {
            pt: e.payload_type,
            clock_rate: e.clock_rate,
        })
        .collect()
}

/// The audio payload types of a section (telephone-event, comfort noise and the like
/// left out).
pub fn audio(m: &MediaDescription) -> Vec<AudioPt> {
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .filter(|e| !is_auxiliary(&e.encoding))
        .map(|e| AudioPt {
            pt: e.payload_type,
            clock_rate: e.clock_rate,
            g711: if e.encoding.eq_ignore_ascii_case("PCMU") {
                Some(G711::Ulaw)
            } else if e.encoding.eq_ignore_ascii_case("PCMA") {
                Some(G711::Alaw)
            } else {
                None
            },
        })
        .collect()
}

fn is_dtmf_section(m: &MediaDescription) -> bool {
    m.media == "audio" && m.is_rtp() && !m.is_rejected()
}

/// Removes telephone-event formats and their `a=rtpmap`/`a=fmtp` lines.
fn strip(m: &mut MediaDescription) {
    let gone: Vec<String> = events(m).iter().map(|e| e.pt.to_string()).collect();
    remove_formats(m, &gone);
}

/// Removes formats `gone` and their `a=rtpmap`/`a=fmtp` lines.
fn remove_formats(m: &mut MediaDescription, gone: &[String]) {
    if gone.is_empty() {
        return;
    }
    m.formats.retain(|f| !gone.contains(f));
    m.attributes.remove_where(|a| {
        matches!(a.name.as_str(), "rtpmap" | "fmtp")
            && a.value
                .as_deref()
                .and_then(|v| v.split_whitespace().next())
                .is_some_and(|f| gone.iter().any(|g| g == f))
    });
}

/// A payload type of 96..=127 the section does not use (101 first, the customary one).
fn free_pt(m: &MediaDescription) -> Option<u8> {
    std::iter::once(101)
        .chain(96..=127)
        .find(|pt| !m.formats.iter().any(|f| f == &pt.to_string()))
}

/// Adds telephone-event at `pt` and `rate` (digits 0-15).
fn add(m: &mut MediaDescription, pt: u8, rate: u32) {
    m.formats.push(pt.to_string());
    m.attributes
        .push(Attribute::new("rtpmap", RtpMap::new(pt, TE, rate, None)));
    m.attributes
        .push(Attribute::new("fmtp", format!("{pt} 0-15")));
}

fn allows_events(leg: &Leg) -> bool {
    leg.codecs.as_ref().is_none_or(|c| {
        c.iter()
            .any(|name| name.eq_ignore_ascii_case(Codec::TelephoneEvent.as_str()))
    })
}

/// The telephone-events an offerer on leg `from` wrote into a section (none when its own
/// codec list leaves telephone-event out).
pub fn offered(m: &MediaDescription, from: &Leg) -> Vec<EventPt> {
    if allows_events(from) {
        events(m)
    } else {
        Vec::new()
    }
}

/// An offer's section on its way to `to`: telephone-events as that leg wants them.
/// Returns what the offerer wrote (`offered`) and what goes on.
pub fn offer(m: &mut MediaDescription, to: &Leg, offered: Vec<EventPt>) -> SectionDtmf {
    if is_dtmf_section(m) {
        match to.dtmf.mode {
            DtmfMode::SipInfo | DtmfMode::Inband => strip(m),
            DtmfMode::Rfc4733 if allows_events(to) => {
                let mut rates: Vec<u32> = audio(m).iter().map(|a| a.clock_rate).collect();
                rates.dedup();
                for rate in rates {
                    if events(m).iter().any(|e| e.clock_rate == rate) {
                        continue;
                    }
                    if let Some(pt) = free_pt(m) {
                        add(m, pt, rate);
                    }
                }
            }
            DtmfMode::Rfc4733 => {}
        }
    }
    SectionDtmf {
        offered,
        sent: events(m),
    }
}

/// An answer's section on its way to the offerer's leg `offerer`, which offered the
/// telephone-events `offered`.
pub fn answer(m: &mut MediaDescription, offerer: &Leg, offered: &[EventPt]) {
    if !is_dtmf_section(m) {
        return;
    }
    match offerer.dtmf.mode {
        DtmfMode::SipInfo | DtmfMode::Inband => strip(m),
        DtmfMode::Rfc4733 => {
            // An answer names only what was offered (RFC 3264 §6.1): events the answerer
            // took from the SBC's offer but the offerer never offered go.
            let unoffered: Vec<String> = events(m)
                .iter()
                .filter(|e| !offered.iter().any(|o| o.clock_rate == e.clock_rate))
                .map(|e| e.pt.to_string())
                .collect();
            remove_formats(m, &unoffered);
            let rates: Vec<u32> = audio(m).iter().map(|a| a.clock_rate).collect();
            for e in offered.iter().filter(|e| rates.contains(&e.clock_rate)) {
                if events(m).iter().any(|x| x.clock_rate == e.clock_rate) {
                    continue;
                }
                let taken = m.formats.iter().any(|f| f == &e.pt.to_string());
                let pt = if taken { free_pt(m) } else { Some(e.pt) };
                if let Some(pt) = pt {
                    add(m, pt, e.clock_rate);
                }
            }
        }
    }
}

/// How a leg configured `mode` carries digits, given the telephone-events it has and the
/// answered audio.
pub fn way(mode: DtmfMode, events: &[EventPt], audio: &[AudioPt]) -> DtmfWay {
    match mode {
        DtmfMode::SipInfo => DtmfWay::Info,
        DtmfMode::Inband => DtmfWay::Inband,
        DtmfMode::Rfc4733 => {
            if audio
                .iter()
                .any(|a| events.iter().any(|e| e.clock_rate == a.clock_rate))
            {
                DtmfWay::Events
            } else if audio.iter().any(|a| a.g711.is_some()) {
                DtmfWay::Inband
            } else {
                DtmfWay::None
            }
        }
    }
}

/// One leg's [`DtmfLeg`]: `receive` its peer declared, `send` what the SBC declared to it.
/// It carries events only where both sides of it name telephone-event at a rate.
pub fn leg(
    mode: DtmfMode,
    receive: Vec<EventPt>,
    send: Vec<EventPt>,
    audio: Vec<AudioPt>,
) -> DtmfLeg {
    let both: Vec<EventPt> = receive
        .iter()
        .filter(|r| send.iter().any(|s| s.clock_rate == r.clock_rate))
        .copied()
        .collect();
    DtmfLeg {
        way: way(mode, &both, &audio),
        receive,
        send,
        audio,
    }
}
