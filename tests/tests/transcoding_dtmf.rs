//! RFC 4733 telephone-events across a transcoded leg, with real peers (issue 13, item 3;
//! rtpengine#778 is this bug): a sipp carrier sending PCMA and telephone-event/8000 keys
//! digit 5 to a PBX whose trunk allows only Opus and which answers Opus plus
//! telephone-event/48000 and echoes every packet back.
//!
//! Towards the PBX the SBC is the source of the stream: the event must carry the SBC's
//! SSRC, a timestamp on the 48 kHz clock where the transcoded audio stands when the digit
//! starts (one Opus frame, 960, after the last audio packet: the carrier stops its audio
//! while it keys), durations scaled by 6, and the end bit. The echo sends it back and the
//! carrier gets it on its own 8 kHz clock the same way (durations back in units of 160,
//! one PCMA frame after the last audio).
//!
//! With `dtmf = "sip-info"` on the PBX's trunk and G.722 as its only codec, the digits
//! change form on the transcoded call: the carrier's telephone-event for 5 reaches the
//! G.722 PBX as one INFO (no event on its wire), and the PBX's INFO for # reaches the
//! carrier as RFC 4733 events on the SBC's transcoded PCMA stream: sequence numbers
//! following the audio's without a gap, one timestamp on the 8 kHz clock where the audio
//! stands, durations in units of 160 up to the INFO's 300 ms (2400), the end packet three
//! times.

use sbc_lab::capture::RtpPacket;
use sbc_lab::dtmf_tool::{dtmf_tool, read_record, sip_infos};
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

/// Checks one leg's copy of the digit: event packets of `event_pt` for digit 5 whose
/// timestamp is one `frame` after the audio packet just before them, whose durations are
/// multiples of `frame`, the last with the end bit; returns the number of event packets.
fn check_digit(leg: &str, packets: &[RtpPacket], audio_pt: u8, event_pt: u8, frame: u32) -> usize {
    let first = packets
        .iter()
        .position(|p| p.pt == event_pt)
        .unwrap_or_else(|| panic!("{leg}: no telephone-event (PT {event_pt}): {packets:?}"));
    let before = packets[..first]
        .iter()
        .rev()
        .find(|p| p.pt == audio_pt)
        .unwrap_or_else(|| panic!("{leg}: no audio before the digit"));
    let events: Vec<&RtpPacket> = packets.iter().filter(|p| p.pt == event_pt).collect();
    let start = events[0].ts;
    eprintln!(
        "{leg}: {} event packets, start {start}, last audio before it {}, durations {:?}",
        events.len(),
        before.ts,
        events
            .iter()
            .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        start.wrapping_sub(before.ts),
        frame,
        "{leg}: the digit starts one frame after the last audio packet, on this leg's clock"
    );
    for e in &events {
        assert_eq!(e.payload.first(), Some(&5), "{leg}: digit 5");
        assert_eq!(e.ts, start, "{leg}: one timestamp per digit");
        assert_eq!(e.ssrc, before.ssrc, "{leg}: the audio's SSRC");
        let duration = u32::from(u16::from_be_bytes([e.payload[2], e.payload[3]]));
        assert!(
            duration > 0 && duration % frame == 0,
            "{leg}: duration {duration} in units of {frame}"
        );
    }
    assert!(
        events.last().is_some_and(|e| e.payload[1] & 0x80 != 0),
        "{leg}: the digit ends with the end bit"
    );
    events.len()
}

#[test]
fn telephone_events_cross_a_pcma_to_opus_leg_on_each_legs_clock() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("codecs = [\"opus\", \"telephone-event\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let dtmf_tool = dtmf_tool();
    let call = lab
        .echo_call("echo_te_uas.xml", "dtmf_uac.xml")
        .pbx_keys(&[
            ("answer_pt", "96"),
            ("answer_map", "opus/48000/2"),
            ("event_pt", "101"),
            ("event_map", "telephone-event/48000"),
        ])
        .carrier_keys(&[
            ("dtmf_tool", &dtmf_tool),
            (
                "dtmf_args",
                "--events 5 --event-pt 101 --seconds 3 --start 1",
            ),
        ])
        .carrier_record("dtmf-carrier", ".txt")
        .hold_ms(4000)
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let to_pbx: Vec<RtpPacket> = pbx_wire
        .finish()
        .expect("the PBX's capture")
        .into_iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP && d.to.ip() == PBX_IP && d.to.port() == 40002)
        .filter_map(|d| RtpPacket::parse(&d.payload))
        .collect();
    let sent = check_digit("towards the PBX (Opus, 48 kHz)", &to_pbx, 96, 101, 960);
    let back = read_record(&call.carrier_out);
    let got = check_digit("back at the carrier (PCMA, 8 kHz)", &back, 8, 101, 160);
    assert!(
        sent >= 3 && got >= 3,
        "the digit's packets crossed both ways"
    );
}

#[test]
fn digits_change_form_between_rfc4733_and_sip_info_on_a_pcma_to_g722_call() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("codecs = [\"G722\"]\ndtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let dtmf_tool = dtmf_tool();
    let call = lab
        .echo_call("echo_info_uas.xml", "dtmf_uac.xml")
        .pbx_keys(&[("answer_pt", "9"), ("answer_map", "G722/8000")])
        .carrier_keys(&[
            ("dtmf_tool", &dtmf_tool),
            (
                "dtmf_args",
                "--events 5 --event-pt 101 --seconds 3 --start 1",
            ),
        ])
        .carrier_record("dtmf-carrier", ".txt")
        .hold_ms(4000)
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let pbx = &call.pbx;
    // Carrier -> PBX: one INFO for the 5, G.722 and nothing else on the PBX's wire.
    // The log has the INFO the PBX received, then the one it sent itself.
    let got = sip_infos(&pbx.messages);
    assert_eq!(
        got,
        [("5".to_owned(), 100), ("#".to_owned(), 300)],
        "one INFO for the 5 (the measured 100 ms), before the PBX's own"
    );
    let invite = pbx.messages.split("INVITE sip:").nth(1).unwrap_or_default();
    assert!(
        !invite.contains("telephone-event"),
        "no events offered to the sip-info PBX:\n{invite}"
    );
    let to_pbx_pts: Vec<u8> = pbx_wire
        .finish()
        .expect("the PBX's capture")
        .into_iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP && d.to.ip() == PBX_IP && d.to.port() == 40002)
        .filter_map(|d| Some(d.payload.get(1)? & 0x7f))
        .filter(|pt| !(72..=76).contains(pt))
        .collect();
    assert!(!to_pbx_pts.is_empty(), "transcoded audio reached the PBX");
    assert!(
        to_pbx_pts.iter().all(|&pt| pt == 9),
        "only G.722 towards the PBX (the event became the INFO): {to_pbx_pts:?}"
    );

    // PBX -> carrier: the INFO's # as events on the SBC's transcoded PCMA stream.
    let back = read_record(&call.carrier_out);
    let first = back
        .iter()
        .position(|p| p.pt == 101)
        .unwrap_or_else(|| panic!("no telephone-event reached the carrier: {back:?}"));
    let before = back[..first]
        .iter()
        .rev()
        .find(|p| p.pt == 8)
        .unwrap_or_else(|| panic!("no transcoded audio before the digit: {back:?}"));
    let events: Vec<&RtpPacket> = back.iter().filter(|p| p.pt == 101).collect();
    let start = events[0].ts;
    eprintln!(
        "towards the carrier: {} event packets, start {start}, last audio before it {} (seq {}, first event seq {})",
        events.len(),
        before.ts,
        before.seq,
        events[0].seq,
    );
    assert_eq!(
        events[0].seq,
        before.seq.wrapping_add(1),
        "the events follow the audio's sequence numbers without a gap"
    );
    let ahead = start.wrapping_sub(before.ts);
    assert!(
        ahead > 0 && ahead < 8000,
        "the digit starts where the 8 kHz stream stands, after its last audio: {ahead}"
    );
    for w in events.windows(2) {
        assert_eq!(
            w[1].seq,
            w[0].seq.wrapping_add(1),
            "consecutive: {events:?}"
        );
    }
    let mut ends = 0;
    for e in &events {
        assert_eq!(e.payload.first(), Some(&11), "digit #: {e:?}");
        assert_eq!(e.ts, start, "one timestamp for the digit");
        let duration = u16::from_be_bytes([e.payload[2], e.payload[3]]);
        assert_eq!(duration % 160, 0, "durations in 20 ms at 8 kHz: {e:?}");
        if e.payload[1] & 0x80 != 0 {
            assert_eq!(duration, 2400, "the INFO's 300 ms");
            ends += 1;
        }
    }
    assert_eq!(ends, 3, "the end packet three times");
    assert!(
        back[first..]
            .iter()
            .any(|p| p.pt == 8 && p.seq == events.last().map_or(0, |e| e.seq).wrapping_add(1)),
        "the audio goes on after the digit, numbered on"
    );
}
