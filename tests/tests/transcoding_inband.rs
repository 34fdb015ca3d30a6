//! In-band DTMF across a transcoded call, with real peers (issue 13; the transcoding
//! step converts on the PCM it decodes and encodes): a sipp carrier whose trunk is
//! `dtmf = "inband"` and PCMA-only keys digit 5 as Q.23 tones in its audio to a PBX whose
//! trunk allows only G.722 and which echoes every packet back.
//!
//! * PBX in `rfc4733` (answers G.722 and telephone-event/8000): the SBC hears the tone in
//!   the carrier's decoded audio and sends the PBX telephone-events on its own G.722
//!   stream (the audio's SSRC, sequence numbers gapless, one timestamp, marker on the
//!   first packet, the end packet three times); the echo sends them back, and the carrier
//!   hears them as a tone the SBC encoded into its PCMA (decoded by Debian's multimon-ng).
//! * PBX in `sip-info` (G.722 only): the tone becomes one INFO (Signal=5, its measured
//!   duration); the PBX's own INFO for # becomes a tone in the carrier's PCMA, heard by
//!   multimon-ng after the echo of the carrier's own 5.

use sbc_lab::capture::RtpPacket;
use sbc_lab::dtmf_tool::{dtmf_tool, read_record, sip_infos};
use sbc_lab::tone::multimon_dtmf;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP};
use sbc_lab::{EchoOutcome, Lab, Ns, SbcProcess, StandardConfig};

/// The call: the PBX's `uas` answering G.722 (with `pbx_keys` for sipp), the carrier
/// keying 5 in-band (its record under `inband-carrier`); how it went and what the PBX's
/// wire carried from the SBC.
fn call(
    lab: &Lab,
    sbc: &SbcProcess,
    uas: &str,
    pbx_keys: &[(&str, &str)],
) -> (EchoOutcome, Vec<RtpPacket>) {
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let dtmf_tool = dtmf_tool();
    let call = lab
        .echo_call(uas, "dtmf_uac.xml")
        .pbx_keys(pbx_keys)
        .carrier_keys(&[
            ("dtmf_tool", &dtmf_tool),
            ("dtmf_args", "--tones 5 --seconds 3 --start 1"),
        ])
        .carrier_record("inband-carrier", ".txt")
        .hold_ms(4000)
        .run()
        .expect("run the call");
    call.assert_success(sbc);
    let to_pbx = pbx_wire
        .finish()
        .expect("the PBX's capture")
        .into_iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP && d.to.ip() == PBX_IP && d.to.port() == 40002)
        .filter_map(|d| RtpPacket::parse(&d.payload))
        .filter(|p| !(72..=76).contains(&p.pt))
        .collect();
    (call, to_pbx)
}

/// The A-law audio (payload type 8) the carrier received, in order.
fn carrier_alaw(packets: &[RtpPacket]) -> Vec<u8> {
    assert!(
        packets.iter().all(|p| p.pt == 8),
        "only PCMA towards the in-band carrier: {:?}",
        packets.iter().map(|p| p.pt).collect::<Vec<_>>()
    );
    packets
        .iter()
        .flat_map(|p| p.payload.iter().copied())
        .collect()
}

#[test]
fn inband_tones_and_rfc4733_events_cross_a_pcma_to_g722_call() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("dtmf = \"inband\"\ncodecs = [\"PCMA\"]\n")
        .pbx_keys("codecs = [\"G722\", \"telephone-event\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (call, to_pbx) = call(
        &lab,
        &sbc,
        "echo_te_uas.xml",
        &[
            ("answer_pt", "9"),
            ("answer_map", "G722/8000"),
            ("event_pt", "101"),
            ("event_map", "telephone-event/8000"),
        ],
    );

    // Towards the PBX: G.722 and the digit's events, one stream of the SBC's own.
    assert!(
        to_pbx.iter().all(|p| p.pt == 9 || p.pt == 101),
        "G.722 and telephone-event only: {:?}",
        to_pbx.iter().map(|p| p.pt).collect::<Vec<_>>()
    );
    let events: Vec<&RtpPacket> = to_pbx.iter().filter(|p| p.pt == 101).collect();
    assert!(!events.is_empty(), "no telephone-event reached the PBX");
    let first = to_pbx.iter().position(|p| p.pt == 101).unwrap_or_default();
    let before = to_pbx[..first]
        .iter()
        .rev()
        .find(|p| p.pt == 9)
        .expect("G.722 audio before the digit");
    let start = events[0].ts;
    let durations: Vec<u16> = events
        .iter()
        .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
        .collect();
    eprintln!(
        "towards the PBX: {} event packets, start {start}, last audio {} (seq {} -> {}), durations {durations:?}",
        events.len(),
        before.ts,
        before.seq,
        events[0].seq
    );
    assert!(events[0].marker, "marker on the first event packet");
    assert_eq!(
        events[0].seq,
        before.seq.wrapping_add(1),
        "gapless after the audio"
    );
    // The tone began with the carrier's packet 50; the event's timestamp is the first
    // detector block that held it (at most one block, 102 samples, later) on the G.722
    // stream's clock: within the last audio packet before it, or a few blocks behind.
    let offset = start.wrapping_sub(before.ts) as i32;
    assert!(
        (-480..160).contains(&offset),
        "the event starts where the tone began: {offset} units from the last audio packet"
    );
    for w in events.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "consecutive");
    }
    for e in &events {
        assert_eq!(e.payload[0], 5, "digit 5");
        assert_eq!(e.ts, start, "one timestamp");
        assert_eq!(e.ssrc, before.ssrc, "the audio's SSRC");
    }
    let ends: Vec<u16> = events
        .iter()
        .filter(|e| e.payload[1] & 0x80 != 0)
        .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
        .collect();
    assert_eq!(ends.len(), 3, "the end packet three times");
    assert!(
        (640..=1280).contains(&ends[0]),
        "about the tone's 100 ms at 8 kHz: {}",
        ends[0]
    );
    let last = to_pbx.iter().rposition(|p| p.pt == 101).unwrap_or_default();
    assert!(
        to_pbx[last + 1..].iter().any(|p| p.pt == 9),
        "audio after the digit"
    );

    // Back at the carrier: the echoed events as a tone in its PCMA.
    let back = read_record(&call.carrier_out);
    let alaw = carrier_alaw(&back);
    let heard =
        multimon_dtmf(&lab.artifacts().unique_path("inband-back", ""), &alaw).expect("multimon-ng");
    eprintln!("multimon-ng heard {heard:?} in what the carrier received");
    assert!(
        !heard.is_empty() && heard.chars().all(|c| c == '5'),
        "the echoed 5 as a tone: {heard:?}; sbc:\n{}",
        sbc.log_tail()
    );
}

#[test]
fn inband_tones_and_sip_info_cross_a_pcma_to_g722_call() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("dtmf = \"inband\"\ncodecs = [\"PCMA\"]\n")
        .pbx_keys("codecs = [\"G722\"]\ndtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (call, to_pbx) = call(
        &lab,
        &sbc,
        "echo_info_uas.xml",
        &[("answer_pt", "9"), ("answer_map", "G722/8000")],
    );
    let got = sip_infos(&call.pbx.messages);
    eprintln!("INFOs on the PBX's side: {got:?}");
    assert_eq!(
        got.len(),
        2,
        "the carrier's 5, then the PBX's own #: {got:?}"
    );
    assert_eq!(got[0].0, "5");
    assert!(
        (80..=130).contains(&got[0].1),
        "the tone's measured 100 ms: {}",
        got[0].1
    );
    assert_eq!(got[1], ("#".to_owned(), 300));
    assert!(!to_pbx.is_empty(), "transcoded audio reached the PBX");
    assert!(
        to_pbx.iter().all(|p| p.pt == 9),
        "only G.722 towards the sip-info PBX"
    );

    // Back at the carrier: the echo of its own 5 (audio, transcoded twice) and the PBX's
    // # as a tone the SBC made.
    let back = read_record(&call.carrier_out);
    let alaw = carrier_alaw(&back);
    let heard =
        multimon_dtmf(&lab.artifacts().unique_path("info-back", ""), &alaw).expect("multimon-ng");
    assert_eq!(
        heard,
        "5#",
        "multimon-ng heard {heard:?}; sbc:\n{}",
        sbc.log_tail()
    );
}
