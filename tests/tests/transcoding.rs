//! Transcoding with real peers (issue 13): a sipp carrier that speaks only PCMA plays a
//! 400 Hz tone to a PBX that answers only G.722 (then only Opus, then only G.729) and
//! echoes every packet back as it came. The SBC offers the PBX the codec its trunk
//! allows, the PBX's wire carries that codec (the echo tool notes the payload types it
//! received), and the tone comes back to the carrier as PCMA clean enough for the tone
//! detector (`sbc_lab::tone`), after a G.711 -> X -> G.711 round trip through the real
//! `sbc`. A
//! `transcode = "never"` trunk, and a call over `media.max_transcoded`, get 488 with a
//! Warning naming why.

use std::time::Duration;

use sbc_codec::g711::Law;
use sbc_lab::rtp::RtpResult;
use sbc_lab::tone;
use sbc_lab::topology::{SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

const TONE: f64 = 400.0;
/// 50 ms blocks of the tone the carrier must hear back (of 60 in the 3 s it talks).
const MIN_TONE_BLOCKS: usize = 40;

/// A PCMA-only carrier calls a PBX whose trunk allows only `codec` and which answers
/// `answer_pt` `answer_map`; returns what the PBX's echo received and what the carrier
/// heard back (A-law payloads), after checking both calls succeeded.
fn call(codec: &str, answer_pt: &str, answer_map: &str) -> (RtpResult, RtpResult, Vec<u8>) {
    let (echoed, back, heard, wire) = call_with(codec, "", answer_pt, answer_map);
    assert_own_rtcp(codec, &wire);
    (echoed, back, heard)
}

/// What the PBX's wire carried from the SBC: RTP to the echo's port and RTCP to the one
/// above it.
#[derive(Debug, Default)]
struct PbxWire {
    rtp: Vec<Vec<u8>>,
    rtcp: Vec<Vec<u8>>,
}

/// The SBC sources the PBX's transcoded leg, so it reports on it itself: SRs with the
/// SSRC of the RTP the PBX got, packet counts no larger than what went, and the SBC's
/// CNAME (RFC 3550 §6.4.1, §6.5.1).
fn assert_own_rtcp(codec: &str, wire: &PbxWire) {
    let ssrc = wire
        .rtp
        .first()
        .and_then(|p| sbc_lab::capture::rtp_ssrc(p))
        .expect("RTP reached the PBX");
    let srs: Vec<&Vec<u8>> = wire
        .rtcp
        .iter()
        .filter(|p| p.len() >= 28 && p[1] == 200)
        .collect();
    eprintln!(
        "{codec}: {} RTCP packets to the PBX, {} of them SRs",
        wire.rtcp.len(),
        srs.len()
    );
    assert!(!srs.is_empty(), "no SR of the SBC's own towards the PBX");
    for sr in srs {
        let word = |at: usize| u32::from_be_bytes([sr[at], sr[at + 1], sr[at + 2], sr[at + 3]]);
        assert_eq!(word(4), ssrc, "the SR is about the stream the PBX receives");
        let count = word(20) as usize;
        assert!(count > 0 && count <= wire.rtp.len(), "packet count {count}");
        let cnames = sbc_lab::capture::rtcp_cnames(sr);
        assert!(
            cnames.iter().any(|c| c.starts_with(b"sbc-")),
            "the SBC's own CNAME: {cnames:?}"
        );
    }
}

/// [`call`], with more keys for the PBX trunk.
fn call_with(
    codec: &str,
    pbx_keys: &str,
    answer_pt: &str,
    answer_map: &str,
) -> (RtpResult, RtpResult, Vec<u8>, PbxWire) {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys(&format!(
            "codecs = [\"{codec}\", \"telephone-event\"]\n{pbx_keys}"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let call = lab
        .echo_call("echo_uas.xml", "pcma_tone_uac.xml")
        .pbx_keys(&[("answer_pt", answer_pt), ("answer_map", answer_map)])
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back, heard) = (call.echoed(), call.back(), call.heard());
    let mut wire = PbxWire::default();
    for d in pbx_wire.finish().expect("the PBX's capture") {
        match d.to.port() {
            40002 => wire.rtp.push(d.payload),
            40003 => wire.rtcp.push(d.payload),
            _ => {}
        }
    }
    (echoed, back, heard, wire)
}

/// A PCMA-only carrier calls the PBX with `pbx_keys` and `extra` config: refused with 488,
/// whose Warning says `why`.
fn refused(pbx_keys: &str, extra: &str, why: &str) {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys(pbx_keys)
        .extra(extra)
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let carrier = lab
        .sipp(Ns::Carrier, "pcma_488_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let warning = carrier
        .messages
        .lines()
        .find(|l| l.starts_with("Warning:"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        carrier.success() && warning.contains(why),
        "expected 488 with a Warning saying {why:?}, got {warning:?}:\n{}\n--- sbc\n{}",
        carrier.report(),
        sbc.log_tail()
    );
}

fn assert_tone_back(codec: &str, echoed: &RtpResult, back: &RtpResult, heard: &[u8]) {
    let samples = tone::decode(Law::Alaw, heard);
    let h = tone::listen(&samples, TONE);
    eprintln!(
        "{codec}: the PBX received {} packets (payload types {:?}, sizes {:?}); the carrier \
         got {} back (payload types {:?}), {h:?}",
        echoed.rtp, echoed.pts, echoed.sizes, back.rtp, back.pts
    );
    assert_eq!(back.pts, [8], "the carrier gets PCMA only: {}", back.raw);
    assert!(
        h.has_tone(MIN_TONE_BLOCKS),
        "the {TONE} Hz tone did not come back clean through {codec} ({h:?})"
    );
}

#[test]
fn a_pcma_carrier_and_a_g722_pbx_hear_each_other_through_the_sbc() {
    let (echoed, back, heard) = call("G722", "9", "G722/8000");
    // The PBX's wire carries G.722 only: PT 9, 160 bytes per 20 ms.
    assert_eq!(
        echoed.pts,
        [9],
        "the PBX got other than G.722: {}",
        echoed.raw
    );
    assert_eq!(echoed.sizes, [160], "20 ms G.722 frames: {}", echoed.raw);
    assert_tone_back("G.722", &echoed, &back, &heard);
}

#[test]
fn a_pcma_carrier_and_an_opus_pbx_hear_each_other_through_the_sbc() {
    let (echoed, back, heard) = call("opus", "96", "opus/48000/2");
    assert_eq!(
        echoed.pts,
        [96],
        "the PBX got other than Opus: {}",
        echoed.raw
    );
    assert!(
        echoed.sizes.iter().all(|&s| s != 160),
        "Opus frames, not G.711-sized ones: {}",
        echoed.raw
    );
    assert_tone_back("Opus", &echoed, &back, &heard);
}

#[test]
fn a_pcma_carrier_and_a_g729_pbx_hear_each_other_through_the_sbc() {
    // The PBX's trunk does not allow Annex B: the SBC offers annexb=no, and although the
    // PBX's answer has no annexb (which alone would mean yes), the SBC sends plain G.729A
    // frames: 20 bytes per 20 ms, never a 2-byte SID.
    let (echoed, back, heard) = call("G729", "18", "G729/8000");
    assert_eq!(
        echoed.pts,
        [18],
        "the PBX got other than G.729: {}",
        echoed.raw
    );
    assert_eq!(echoed.sizes, [20], "20 ms G.729 frames: {}", echoed.raw);
    assert_tone_back("G.729", &echoed, &back, &heard);
}

#[test]
fn a_pbx_trunk_with_ptime_30_gets_the_carriers_20_ms_pcma_recut() {
    // Relayed PCMA (both sides allow it), but the PBX's trunk wants 30 ms packets: the
    // carrier's 20 ms packets reach the PBX as 240-byte ones, and the echo comes back
    // relayed as it is (the carrier's trunk sets no ptime), the tone intact.
    let (echoed, back, heard, wire) = call_with("PCMA", "ptime = 30\n", "8", "PCMA/8000");
    // A re-cut stream is the SBC's own too.
    assert_own_rtcp("PCMA re-cut", &wire);
    assert_eq!(echoed.pts, [8], "relayed PCMA: {}", echoed.raw);
    assert_eq!(echoed.sizes, [240], "30 ms packets: {}", echoed.raw);
    assert_tone_back("PCMA re-cut to 30 ms", &echoed, &back, &heard);
}

#[test]
fn a_g722_pbx_that_is_never_transcoded_refuses_a_pcma_carrier_with_488() {
    refused(
        "codecs = [\"G722\"]\ntranscode = \"never\"\n",
        "",
        // The Warning's quoted text has the policy's quotes as apostrophes.
        "no codec allowed by trunk pbx, and no transcoding: transcode = 'never' on trunk pbx",
    );
}

#[test]
fn a_call_over_media_max_transcoded_gets_488() {
    refused(
        "codecs = [\"G722\"]\n",
        "[media]\nmax_transcoded = 0\n",
        "no transcoding: media.max_transcoded = 0 reached",
    );
}
