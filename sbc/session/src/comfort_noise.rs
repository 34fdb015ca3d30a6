//! RFC 3389 comfort noise (`CN`) in the offer/answer of a section the SBC offers to
//! transcode. A CN format describes the pauses of the audio at its own clock rate
//! (RFC 3389 §4; RFC 3551 §4.5.4): `CN/8000` beside G.711, G.722 and G.729, `CN/48000`
//! beside Opus. Since the SBC reads CN on a transcoded leg and sends its own there, each
//! leg's CN is a matter between that leg and the SBC.
//!
//! * **Offer** (when the SBC adds codecs to transcode to, the offerer offered CN and the
//!   destination's `codecs` allow it): CN at each audio clock rate of the section that
//!   has none — payload type 13 at 8000 if free, else a free dynamic one — so that a PBX
//!   answering Opus can pair `CN/48000` with it; CN at a rate no audio format of the
//!   section has (say `CN/16000` or `CN/32000`, beside codecs the SBC does not have) is
//!   removed: nothing would pair with it.
//! * **Answer**, transcoded: the CNs the SBC added leave the offerer's answer (RFC 3264
//!   §6.1: an answer names only what was offered), and the offerer's own CN at its
//!   codec's rate is put back when the answerer had none at that rate, so the offerer may
//!   still go quiet with CN (the SBC plays its pauses to the answerer as noise frames) —
//!   with its own payload type only: when the answer uses that one for something else,
//!   the offerer gets no CN (RFC 3264 §6.1).
//!   Relayed: the SBC's CNs are removed like its codecs.

use sbc_sdp::{Attribute, MediaDescription, RtpMap};

use super::dtmf::audio;
use super::legs::Leg;
use super::transcode::remove_formats;

const CN: &str = "CN";

/// The CN formats of a section, as (payload type, clock rate).
pub(super) fn formats(m: &MediaDescription) -> Vec<(u8, u32)> {
    m.formats
        .iter()
        .filter_map(|f| m.encoding(f))
        .filter(|e| e.encoding.eq_ignore_ascii_case(CN))
        .map(|e| (e.payload_type, e.clock_rate))
        .collect()
}

/// `preferred` if the section does not use it, else a dynamic payload type it does not.
fn free_pt(m: &MediaDescription, preferred: Option<u8>) -> Option<u8> {
    let used = |pt: u8| m.formats.iter().any(|f| f == &pt.to_string());
    preferred.into_iter().chain(96..=127).find(|&pt| !used(pt))
}

fn add(m: &mut MediaDescription, pt: u8, rate: u32) {
    m.formats.push(pt.to_string());
    m.attributes
        .push(Attribute::new("rtpmap", RtpMap::new(pt, CN, rate, None)));
}

/// An offer's section the SBC added transcoding targets to, on its way to `to`; the
/// offerer wrote the CNs `offered`. Returns the payload types of the CNs added.
pub(super) fn offer(m: &mut MediaDescription, to: &Leg, offered: &[(u8, u32)]) -> Vec<u8> {
    if offered.is_empty() || !to.allows(CN) {
        return Vec::new();
    }
    let mut rates: Vec<u32> = audio(m).iter().map(|a| a.clock_rate).collect();
    rates.sort_unstable();
    rates.dedup();
    let unpaired: Vec<String> = formats(m)
        .iter()
        .filter(|(_, rate)| !rates.contains(rate))
        .map(|(pt, _)| pt.to_string())
        .collect();
    remove_formats(m, &unpaired);
    let mut added = Vec::new();
    for rate in rates {
        if formats(m).iter().any(|&(_, r)| r == rate) {
            continue;
        }
        let static_pt = (rate == 8000).then_some(13);
        if let Some(pt) = free_pt(m, static_pt) {
            add(m, pt, rate);
            added.push(pt);
        }
    }
    added
}

/// The offerer's answer section of a transcoded call whose offerer's codec runs at
/// `rate`: without the CNs the SBC added, with the offerer's own CN at `rate` if the
/// answerer had none there — under the offerer's own payload type only (RFC 3264 §6.1:
/// an answer names what was offered as it was offered); when the answer uses that payload
/// type for something else, CN stays out of it.
pub(super) fn answer(m: &mut MediaDescription, added: &[u8], offered: &[(u8, u32)], rate: u32) {
    let gone: Vec<String> = added.iter().map(u8::to_string).collect();
    remove_formats(m, &gone);
    if formats(m).iter().any(|&(_, r)| r == rate) {
        return;
    }
    let Some(&(pt, _)) = offered.iter().find(|&&(_, r)| r == rate) else {
        return;
    };
    if !m.formats.iter().any(|f| f == &pt.to_string()) {
        add(m, pt, rate);
    }
}

#[cfg(test)]
mod tests {
    use sbc_sdp::{MediaDescription, SessionDescription};

    use super::{answer, formats};

    fn section(m: &str) -> MediaDescription {
        let sdp =
            format!("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n{m}");
        let mut s = SessionDescription::parse(sdp.as_bytes()).expect("sdp");
        s.media.remove(0)
    }

    #[test]
    fn the_offerers_cn_goes_back_only_with_its_own_payload_type() {
        let answered = "m=audio 20000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
        // The offerer's CN/8000 was on 101, which the answer uses for its events: CN
        // stays out rather than come back on a payload type the offerer never offered.
        let mut m = section(answered);
        answer(&mut m, &[], &[(101, 8000)], 8000);
        assert_eq!(formats(&m), []);
        assert_eq!(m.formats, ["8", "101"]);
        // On a payload type the answer leaves free, it comes back as offered.
        let mut m = section(answered);
        answer(&mut m, &[], &[(13, 8000)], 8000);
        assert_eq!(formats(&m), [(13, 8000)]);
    }
}
