//! Codec normalisation of one audio section: relayed when the two sides share a codec,
//! transcoded when they do not and both trunks allow it (`transcode = "when-needed"`).
//!
//! * **Offer** ([`offer`]): the offerer's trunk policy first (nothing left: refused), then
//!   the destination's. A shared codec is relayed: the section goes on with the shared
//!   codecs only, nothing is added (an answerer's own preference must not turn a call
//!   that could be relayed into a transcoded one). When nothing is shared and
//!   transcoding is allowed, the section sent on lists the codecs the SBC can transcode
//!   to ([`transcodable`], in the destination's `codecs` order), each with a payload type
//!   of the SBC's choosing (its static one, else a free dynamic one), and the
//!   destination's auxiliary encodings (telephone-event). Nothing shared and nothing to
//!   transcode to is a [`MediaError::NoCodec`] naming the policy that stopped it
//!   (`transcode = "never"`, the engine's cap, or the trunks' `codecs`).
//! * **Answer** ([`answer`]): if the answerer's first codec is one the SBC added, the
//!   section is transcoded: the offerer is answered with its own first codec the SBC can
//!   transcode ([`SectionCodecs::offered`]), and each direction gets a
//!   [`Transcoding`] for the engine; otherwise the payload types the SBC added are
//!   removed from the answer and the section is relayed.
//!
//! G.729 (RFC 4856): an absent `annexb` means yes. The SBC writes `annexb=no` for the
//! G.729 it offers or answers unless that leg's trunk allows Annex B (`g729_annexb`), and
//! tells the engine to encode without it unless both the trunk and the peer's SDP allow it.
//! Its decoder takes SID frames (comfort noise) whatever was negotiated.
//!
//! DTMF: between two RFC 4733 legs the engine carries events across a transcoded stream
//! ([`Transcoding::events`]); otherwise its transcoding step converts them on the stream
//! it makes: events taken out and reported for an INFO one way, an INFO's digit played as
//! events on the transcoded stream the other, and in-band tones (a `dtmf = "inband"`
//! leg, or an `rfc4733` G.711 leg whose answer lacks telephone-event) generated into and
//! heard in the PCM it decodes and encodes. Two in-band legs need nothing: their tones
//! cross as audio. No DTMF pairing refuses transcoding.

use sbc_config::DtmfMode;
use sbc_core::dtmf::EventPt;
use sbc_core::registry::{CODECS, CodecKind};
use sbc_core::{PayloadFormat, Transcoding};
use sbc_sdp::codec::is_auxiliary;
use sbc_sdp::{Attribute, MediaDescription, Retained, RtpMap};

use super::error::MediaError;
use super::legs::Leg;

/// What the SBC writes in `a=fmtp` when it offers or answers Opus: mono (RFC 7587 §7),
/// in-band FEC wanted (its decoder uses it), 10 ms packets accepted.
const OPUS_FMTP: &str = "minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0";

use super::ptime::PTIMES;

/// Whether the engine can take one more transcoded call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// This build of the engine has no codecs.
    Unavailable,
    /// `media.max_transcoded` calls are transcoded already.
    Full {
        limit: usize,
    },
    Yes,
}

/// When an offer lists the codecs the SBC transcodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Only when the two sides share no codec: every offer crossing a call (a codec both
    /// sides allow is relayed, never turned into a transcoded one by the answerer).
    WhenNothingShared,
    /// Behind the shared codecs too: the offer to a transfer's new leg, which carries the
    /// kept side's codec only. The kept side cannot follow the new party to another codec
    /// without a re-INVITE; the SBC transcodes to it instead.
    AlsoWhenShared,
}

/// The codecs the SBC transcodes between (the registry's audio codecs it supports).
pub fn transcodable(encoding: &str) -> bool {
    CODECS.iter().any(|c| {
        c.kind == CodecKind::Audio && c.transcode.is_yes() && c.name.eq_ignore_ascii_case(encoding)
    })
}

/// What an offer's section left for its answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionCodecs {
    /// The offerer's formats the SBC can transcode, in its order of preference.
    pub offered: Vec<PayloadFormat>,
    /// Payload types the SBC added: codecs it transcodes to.
    pub added: Vec<u8>,
    /// The offerer's `a=ptime`, ms.
    pub ptime: Option<u32>,
    /// The offerer's `a=maxptime`, ms.
    pub maxptime: Option<u32>,
    /// G.729 Annex B allowed by the offerer's trunk, and by the answerer's.
    pub annexb: (bool, bool),
    /// `ptime` of the offerer's trunk, and of the answerer's.
    pub trunk_ptime: (Option<u32>, Option<u32>),
    /// Both legs carry DTMF as RFC 4733 events (or not at all): the engine may put a
    /// transcoding or re-cutting step on the stream.
    pub events_only: bool,
}

impl SectionCodecs {
    /// Whether the SBC offered to transcode this section.
    pub fn offers_transcoding(&self) -> bool {
        !self.added.is_empty()
    }
}

/// A format of a section as its SDP describes it.
pub(super) fn format_of(m: &MediaDescription, format: &str) -> Option<PayloadFormat> {
    let map = m.encoding(format)?;
    Some(PayloadFormat {
        pt: map.payload_type,
        encoding: map.encoding,
        clock_rate: map.clock_rate,
        channels: map.channels,
        fmtp: m.attributes.fmtp(format).map(|f| f.params),
    })
}

fn policy_text(leg: &Leg) -> String {
    format!("trunk {}", leg.name)
}

/// Applies the codec policies of both legs to an audio section of an offer from `from`
/// to `to` (see the module docs); what the answer will need.
pub fn offer(
    index: usize,
    m: &mut MediaDescription,
    from: &Leg,
    to: &Leg,
    room: Room,
    targets: Targets,
    offered: String,
) -> Result<SectionCodecs, MediaError> {
    if let Some(codecs) = &from.codecs {
        let allowed: Vec<&str> = codecs.iter().map(String::as_str).collect();
        if m.retain_codecs(&allowed) == Retained::NoCodec {
            return Err(MediaError::NoCodec {
                index,
                policy: policy_text(from),
                offered,
            });
        }
    }
    let mut section = SectionCodecs {
        offered: m
            .formats
            .iter()
            .filter_map(|f| format_of(m, f))
            .filter(|f| transcodable(&f.encoding))
            .collect(),
        added: Vec::new(),
        ptime: m.attributes.ptime().map(|p| p.round() as u32),
        maxptime: m.attributes.maxptime().map(|p| p.round() as u32),
        annexb: (from.g729_annexb, to.g729_annexb),
        trunk_ptime: (from.ptime, to.ptime),
        events_only: from.dtmf.mode == DtmfMode::Rfc4733 && to.dtmf.mode == DtmfMode::Rfc4733,
    };
    let shared = match &to.codecs {
        None => true,
        Some(codecs) => {
            let allowed: Vec<&str> = codecs.iter().map(String::as_str).collect();
            let mut kept = m.clone();
            let shared = kept.retain_codecs(&allowed) != Retained::NoCodec;
            if shared {
                *m = kept;
            }
            shared
        }
    };
    let why_not = if from.transcode_never || to.transcode_never {
        let leg = if from.transcode_never { from } else { to };
        Some(format!("transcode = \"never\" on trunk {}", leg.name))
    } else if section.offered.is_empty() {
        None
    } else {
        match room {
            Room::Yes => None,
            Room::Unavailable => Some("this build has no codecs".to_owned()),
            Room::Full { limit } => Some(format!("media.max_transcoded = {limit} reached")),
        }
    };
    if shared {
        if targets == Targets::AlsoWhenShared && why_not.is_none() && !section.offered.is_empty() {
            section.added = add_targets(m, to);
        }
        return Ok(section);
    }
    if why_not.is_none() && !section.offered.is_empty() {
        section.added = add_targets(m, to);
    }
    if section.added.is_empty() {
        let policy = match why_not {
            Some(why) => format!("{}, and no transcoding: {why}", policy_text(to)),
            None => policy_text(to),
        };
        return Err(MediaError::NoCodec {
            index,
            policy,
            offered,
        });
    }
    // Nothing shared: only the codecs the SBC transcodes to (and the auxiliary encodings
    // the destination allows) go on.
    let gone: Vec<String> = m
        .formats
        .iter()
        .filter(|f| {
            let Some(map) = m.encoding(f) else {
                return true;
            };
            let added = section.added.contains(&map.payload_type);
            let aux_allowed = is_auxiliary(&map.encoding) && to.allows(&map.encoding);
            !(added || aux_allowed)
        })
        .cloned()
        .collect();
    remove_formats(m, &gone);
    Ok(section)
}

/// Adds the codecs the SBC can transcode to that `to` allows and the section does not
/// list already, before the auxiliary encodings; their payload types.
fn add_targets(m: &mut MediaDescription, to: &Leg) -> Vec<u8> {
    let names: Vec<&str> = match &to.codecs {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => CODECS.iter().map(|c| c.name).collect(),
    };
    let mut added = Vec::new();
    for name in names {
        let Some(info) = CODECS.iter().find(|c| c.name.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let listed = m.formats.iter().any(|f| {
            m.encoding(f).is_some_and(|e| {
                e.encoding.eq_ignore_ascii_case(info.name) && e.clock_rate == info.clock_rate
            })
        });
        if !transcodable(info.name) || listed {
            continue;
        }
        let Some(pt) = free_pt(m, info.static_payload_type) else {
            continue;
        };
        let channels = (info.channels > 1).then_some(u16::from(info.channels));
        let at = m
            .formats
            .iter()
            .position(|f| m.encoding(f).is_some_and(|e| is_auxiliary(&e.encoding)))
            .unwrap_or(m.formats.len());
        m.formats.insert(at, pt.to_string());
        let map = RtpMap::new(pt, info.name, info.clock_rate, channels);
        m.attributes.push(Attribute::new("rtpmap", map));
        if let Some(fmtp) = own_fmtp(info.name, to.g729_annexb) {
            m.attributes
                .push(Attribute::new("fmtp", format!("{pt} {fmtp}")));
        }
        added.push(pt);
    }
    added
}

/// What the SBC writes in `a=fmtp` for `encoding` in its own offers and answers: Opus
/// mono with FEC, G.729 `annexb=no` unless Annex B is allowed.
fn own_fmtp(encoding: &str, annexb: bool) -> Option<&'static str> {
    if encoding.eq_ignore_ascii_case("opus") {
        Some(OPUS_FMTP)
    } else if encoding.eq_ignore_ascii_case("G729") && !annexb {
        Some("annexb=no")
    } else {
        None
    }
}

/// Whether a G.729 format's fmtp says `annexb=no` (RFC 4856: absent means yes).
fn refuses_annexb(f: &PayloadFormat) -> bool {
    f.fmtp.as_deref().is_some_and(|fmtp| {
        fmtp.split(';').any(|pair| {
            pair.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("annexb") && v.trim().eq_ignore_ascii_case("no")
            })
        })
    })
}

/// `f` as the engine must encode it towards a peer whose trunk allows Annex B or not:
/// a G.729 the trunk or the peer refuses Annex B on says `annexb=no`.
fn towards(f: &PayloadFormat, annexb: bool) -> PayloadFormat {
    let mut f = f.clone();
    if f.encoding.eq_ignore_ascii_case("G729") && (!annexb || refuses_annexb(&f)) {
        f.fmtp = Some("annexb=no".to_owned());
    }
    f
}

/// `preferred` if the section does not use it, else a dynamic payload type it does not.
fn free_pt(m: &MediaDescription, preferred: Option<u8>) -> Option<u8> {
    let used = |pt: u8| m.formats.iter().any(|f| f == &pt.to_string());
    preferred.into_iter().chain(96..=127).find(|&pt| !used(pt))
}

pub(super) fn remove_formats(m: &mut MediaDescription, gone: &[String]) {
    if gone.is_empty() {
        return;
    }
    m.formats.retain(|f| !gone.contains(f));
    m.attributes.remove_where(|a| {
        matches!(a.name.as_str(), "rtpmap" | "fmtp" | "rtcp-fb")
            && a.value
                .as_deref()
                .and_then(|v| v.split_whitespace().next())
                .is_some_and(|f| gone.iter().any(|g| g == f))
    });
}

/// Both directions of a transcoded section: (towards the answerer, towards the offerer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcoded {
    pub to_answerer: Transcoding,
    pub to_offerer: Transcoding,
}

/// The answer's section `m` to an offer whose section left `codecs`; `offered_events`:
/// the offerer's telephone-events, `answered_events` the answerer's. Rewrites `m` for the
/// offerer when the answerer chose a codec the SBC added (see the module docs).
pub fn answer(
    m: &mut MediaDescription,
    codecs: &SectionCodecs,
    offered_events: &[EventPt],
    answered_events: &[EventPt],
) -> Option<Transcoded> {
    if codecs.added.is_empty() || m.is_rejected() {
        return None;
    }
    let chosen = m
        .formats
        .iter()
        .filter_map(|f| format_of(m, f))
        .find(|f| !is_auxiliary(&f.encoding))?;
    let theirs = codecs.offered.first();
    let (true, Some(theirs)) = (codecs.added.contains(&chosen.pt), theirs) else {
        let gone: Vec<String> = codecs.added.iter().map(u8::to_string).collect();
        remove_formats(m, &gone);
        return None;
    };
    let answer_ptime = m.attributes.ptime().map(|p| p.round() as u32);
    // The offerer's answer: its own codec, with what the SBC wants to receive.
    let audio: Vec<String> = m
        .formats
        .iter()
        .filter(|f| m.encoding(f).is_none_or(|e| !is_auxiliary(&e.encoding)))
        .cloned()
        .collect();
    remove_formats(m, &audio);
    m.attributes.remove("ptime");
    m.attributes.remove("maxptime");
    m.formats.insert(0, theirs.pt.to_string());
    let map = RtpMap::new(
        theirs.pt,
        &theirs.encoding,
        theirs.clock_rate,
        theirs.channels,
    );
    m.attributes.push(Attribute::new("rtpmap", map));
    let (offerer_annexb, answerer_annexb) = codecs.annexb;
    let theirs = towards(theirs, offerer_annexb);
    let chosen = towards(&chosen, answerer_annexb);
    if let Some(fmtp) = own_fmtp(&theirs.encoding, !refuses_annexb(&theirs)) {
        m.attributes
            .push(Attribute::new("fmtp", format!("{} {fmtp}", theirs.pt)));
    }
    let events_at =
        |events: &[EventPt], rate: u32| events.iter().find(|e| e.clock_rate == rate).map(|e| e.pt);
    let offerer_events = events_at(offered_events, theirs.clock_rate);
    let answerer_events = events_at(answered_events, chosen.clock_rate);
    // Events cross as events only between two RFC 4733 legs; otherwise the engine
    // converts them (SIP INFO on the other leg).
    let both = offerer_events
        .zip(answerer_events)
        .filter(|_| codecs.events_only);
    let comfort_noise = |rate: u32| comfort_noise_pt(m, rate);
    Some(Transcoded {
        to_answerer: Transcoding {
            input: theirs.clone(),
            output: chosen.clone(),
            ptime_ms: ptime(codecs.trunk_ptime.1.or(answer_ptime), &chosen.encoding),
            events: both,
            comfort_noise: comfort_noise(theirs.clock_rate),
        },
        to_offerer: Transcoding {
            input: chosen.clone(),
            output: theirs.clone(),
            ptime_ms: ptime(codecs.trunk_ptime.0.or(codecs.ptime), &theirs.encoding),
            events: both.map(|(o, a)| (a, o)),
            comfort_noise: comfort_noise(chosen.clock_rate),
        },
    })
}

/// The RFC 3389 `CN` payload type at `rate` in an answer's section `m`: what each peer
/// sends comfort noise as (the offerer takes the answer's payload types, the answerer
/// echoes the offer's, and the SBC keeps the answer's auxiliary formats).
pub(super) fn comfort_noise_pt(m: &MediaDescription, rate: u32) -> Option<u8> {
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .find(|e| e.encoding.eq_ignore_ascii_case("CN") && e.clock_rate == rate)
        .map(|e| e.payload_type)
}

/// The packet duration towards a peer that asked for `wanted` (its `a=ptime`): the
/// nearest the SBC can make for `encoding` (Opus has no 30 ms frame), else 20 ms.
fn ptime(wanted: Option<u32>, encoding: &str) -> u32 {
    let Some(wanted) = wanted else {
        return 20;
    };
    PTIMES
        .iter()
        .copied()
        .filter(|&p| !(p == 30 && encoding.eq_ignore_ascii_case("opus")))
        .min_by_key(|&p| p.abs_diff(wanted))
        .unwrap_or(20)
}
