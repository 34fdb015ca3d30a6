//! Packet time (trunk `ptime`, RFC 4566 `a=ptime`/`a=maxptime`) of an audio section.
//!
//! * The SBC's SDP to a trunk with `ptime` says `a=ptime:<ptime>` ([`announce`]), in offers
//!   and answers alike; other `a=ptime` lines are relayed as the peer wrote them.
//! * A relayed G.711, G.722 or G.729 section is re-cut ([`recut`]) towards a peer only
//!   when the SBC must:
//!   that peer's trunk sets `ptime` and the other peer asks for another (its `a=ptime`,
//!   20 ms when it says none), or that peer's `a=maxptime` is below the other peer's
//!   `a=ptime`. A differing `a=ptime` alone stays relayed. The re-cut is the engine's
//!   transcoding step with the same codec in and out: G.711 decodes and encodes back to
//!   the same octets, G.722 and G.729 are not decoded at all (their octets and frames
//!   move between packets), so every octet arrives, output timestamps count every
//!   sample and sequence numbers stay gapless; no `media.max_transcoded` slot is taken.
//!   Opus is relayed as it comes (see `RECUT`).
//! * A transcoded section is cut to the receiving trunk's `ptime` when it sets one
//!   (`transcode.rs`).

use sbc_core::dtmf::EventPt;
use sbc_core::{PayloadFormat, Transcoding};
use sbc_sdp::codec::is_auxiliary;
use sbc_sdp::{Attribute, MediaDescription};

use super::legs::Leg;
use super::transcode::SectionCodecs;

/// The relayed codecs the engine re-cuts (all at the RTP clock 8000): G.711 through its
/// transcoding step (decoded and encoded back to the same octets), G.722 and G.729 by
/// moving octets and frames between packets, undecoded. Opus is not among them: its
/// frames are not divisible, and joining them needs RFC 6716 §3.2's repacketizer within
/// one encoder's TOC rules (no 30 ms packet at all), so it stays as it comes.
const RECUT: [&str; 4] = ["PCMU", "PCMA", "G722", "G729"];

/// Packet durations the engine cuts to, ms.
pub const PTIMES: [u32; 5] = [10, 20, 30, 40, 60];
/// What a peer that says nothing sends (RFC 3551 §4.5: 20 ms for the frame codecs; the
/// usual default of G.711 too).
const DEFAULT_PTIME: u32 = 20;

/// Writes `a=ptime:<ptime>` of `to`'s trunk into a section going to it, if it sets one.
pub fn announce(m: &mut MediaDescription, to: &Leg) {
    if m.media != "audio" || !m.is_rtp() || m.is_rejected() {
        return;
    }
    if let Some(ptime) = to.ptime {
        m.attributes.remove("ptime");
        m.attributes
            .push(Attribute::new("ptime", ptime.to_string()));
    }
}

/// What a section's SDP says about packet time: `a=ptime`, `a=maxptime`, ms.
pub fn of(m: &MediaDescription) -> (Option<u32>, Option<u32>) {
    let ms = |v: Option<f64>| v.map(|p| p.round() as u32);
    (ms(m.attributes.ptime()), ms(m.attributes.maxptime()))
}

/// The packet time towards a peer, if the SBC must re-cut what `sender_ptime` says the
/// other peer sends: the peer's trunk `ptime`, else the largest the engine can make
/// within the peer's `a=maxptime` when the sender's exceeds it.
fn target(sender_ptime: Option<u32>, trunk: Option<u32>, maxptime: Option<u32>) -> Option<u32> {
    let sent = sender_ptime.unwrap_or(DEFAULT_PTIME);
    let wanted = match (trunk, maxptime) {
        (Some(p), _) => p,
        (None, Some(max)) if sent > max => PTIMES.iter().copied().rfind(|&p| p <= max)?,
        _ => return None,
    };
    (wanted != sent).then_some(wanted)
}

/// The re-cut steps of a relayed section (see the module docs), towards the offerer and
/// towards the answerer: `answer` is the answer's section as the answerer wrote it.
pub fn recut(
    answer: &MediaDescription,
    codecs: &SectionCodecs,
    (offerer, answerer): (&Leg, &Leg),
    (offered_events, answered_events): (&[EventPt], &[EventPt]),
) -> (Option<Transcoding>, Option<Transcoding>) {
    let out = (None, None);
    if answer.media != "audio" || !answer.is_rtp() || answer.is_rejected() || !codecs.events_only {
        return out;
    }
    let Some(chosen) = answer
        .formats
        .iter()
        .filter_map(|f| super::transcode::format_of(answer, f))
        .find(|f| !is_auxiliary(&f.encoding))
    else {
        return out;
    };
    let cuttable = RECUT
        .iter()
        .any(|c| chosen.encoding.eq_ignore_ascii_case(c));
    if !cuttable || chosen.clock_rate != 8000 {
        return out;
    }
    // The offerer's payload type of the same codec (a relayed codec is one it offered).
    let theirs = codecs
        .offered
        .iter()
        .find(|f| f.encoding.eq_ignore_ascii_case(&chosen.encoding))
        .cloned()
        .unwrap_or_else(|| chosen.clone());
    let (answer_ptime, answer_maxptime) = of(answer);
    let events = |events: &[EventPt]| events.iter().find(|e| e.clock_rate == 8000).map(|e| e.pt);
    let both = events(offered_events).zip(events(answered_events));
    // CN, when the answer has it: each leg's own payload type (the offerer's as it
    // offered CN at 8000, else the answer's), taken from the sender and sent as the
    // receiver's.
    let answerer_cn = super::transcode::comfort_noise_pt(answer, 8000);
    let offerer_cn = answerer_cn.map(|a| {
        codecs
            .offered_comfort_noise
            .iter()
            .find(|&&(_, rate)| rate == 8000)
            .map_or(a, |&(pt, _)| pt)
    });
    let step = |input: &PayloadFormat,
                output: &PayloadFormat,
                ptime_ms,
                events,
                (comfort_noise, comfort_noise_out)| Transcoding {
        input: input.clone(),
        output: output.clone(),
        ptime_ms,
        events,
        comfort_noise,
        comfort_noise_out,
    };
    let to_answerer = target(codecs.ptime, answerer.ptime, answer_maxptime)
        .map(|p| step(&theirs, &chosen, p, both, (offerer_cn, answerer_cn)));
    let to_offerer = target(answer_ptime, offerer.ptime, codecs.maxptime).map(|p| {
        step(
            &chosen,
            &theirs,
            p,
            both.map(|(o, a)| (a, o)),
            (answerer_cn, offerer_cn),
        )
    });
    (to_offerer, to_answerer)
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn only_a_trunk_ptime_or_an_exceeded_maxptime_recuts() {
        assert_eq!(target(Some(30), None, None), None, "a=ptime alone: relayed");
        assert_eq!(target(Some(30), Some(20), None), Some(20));
        assert_eq!(target(None, Some(20), None), None, "20 ms by default");
        assert_eq!(target(None, Some(30), None), Some(30));
        assert_eq!(target(Some(20), Some(20), None), None, "already so");
        assert_eq!(target(Some(60), None, Some(40)), Some(40));
        assert_eq!(target(Some(40), None, Some(30)), Some(30));
        assert_eq!(
            target(Some(30), None, Some(25)),
            Some(20),
            "what the engine cuts"
        );
        assert_eq!(target(Some(20), None, Some(30)), None, "within maxptime");
        assert_eq!(
            target(Some(30), None, Some(5)),
            None,
            "nothing fits: relayed"
        );
    }
}
