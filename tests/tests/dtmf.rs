//! DTMF interworking with real peers (issue 12): a sipp carrier keying RFC 4733 events
//! (generated RTP, `tools/dtmf_rtp.py`) to a PBX in `sip-info` mode, which receives one
//! INFO per digit; the PBX's INFOs reaching the carrier as RFC 4733 events with the right
//! digits, durations, marker and end bits; in-band tones heard from a G.711 carrier (into
//! INFO) and made towards it (checked by Debian's multimon-ng, a detector of its own).

use std::time::Duration;

use sbc_lab::capture::RtpPacket;
use sbc_lab::config::StandardConfig;
use sbc_lab::dtmf_tool::{dtmf_tool, read_record, sip_infos};
use sbc_lab::rtp::tool_keys;
use sbc_lab::tone::multimon_dtmf;
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, SippOutcome};

/// A call from the carrier to the PBX: `uas` in the PBX, the carrier keying per
/// `dtmf_args`; returns both outcomes and the carrier's record of what it received.
fn call(
    lab: &Lab,
    sbc: &SbcProcess,
    uas: &str,
    dtmf_args: &str,
    talk_ms: u32,
) -> (SippOutcome, SippOutcome, Vec<RtpPacket>) {
    let out = lab.artifacts().unique_path("dtmf-rtp", ".txt");
    let keys = [
        "-key".to_owned(),
        "dtmf_tool".into(),
        dtmf_tool(),
        "-key".into(),
        "dtmf_args".into(),
        dtmf_args.into(),
    ];
    let pbx = lab
        .sipp(Ns::Pbx, uas, sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let carrier = lab
        .sipp(Ns::Carrier, "dtmf_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", &talk_ms.to_string()])
        .args(tool_keys(&[("rtp_out", &out)]).expect("python3"))
        .args(keys)
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let pbx = pbx.finish().expect("sipp callee");
    assert!(
        carrier.success() && pbx.success(),
        "call failed:\n--- carrier\n{}\n--- pbx\n{}\n--- sbc\n{}",
        carrier.report(),
        pbx.report(),
        sbc.log_tail()
    );
    (carrier, pbx, read_record(&out))
}

#[test]
fn carrier_events_reach_a_sip_info_pbx_as_one_info_per_digit() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("dtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (_, pbx, _) = call(
        &lab,
        &sbc,
        "dtmf_info_uas.xml",
        "--events 155# --seconds 3",
        3500,
    );
    let got = sip_infos(&pbx.messages);
    let signals: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        signals,
        ["1", "5", "5", "#"],
        "once each, in order: {got:?}"
    );
    assert!(
        got.iter().all(|(_, ms)| *ms == 100),
        "the measured 100 ms: {got:?}"
    );
    let invite = pbx.messages.split("INVITE sip:").nth(1).unwrap_or_default();
    assert!(
        !invite.contains("telephone-event"),
        "no events offered to the sip-info PBX:\n{invite}"
    );
    assert!(sbc.log_tail().contains("DTMF digit"), "digits logged");
    assert!(!sbc.log_tail().contains("digit=5"), "masked in the log");
}

#[test]
fn pbx_infos_reach_the_carrier_as_rfc4733_events() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("dtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (_, _, got) = call(&lab, &sbc, "dtmf_info_send_uas.xml", "--seconds 4", 3500);
    let events: Vec<&RtpPacket> = got.iter().filter(|p| p.pt == 101).collect();
    let mut digits: Vec<(u32, u8)> = Vec::new();
    for e in &events {
        assert_eq!(e.payload.len(), 4, "{e:?}");
        if !digits.iter().any(|(ts, _)| *ts == e.ts) {
            digits.push((e.ts, e.payload[0]));
            assert!(
                e.marker,
                "the first packet of each event has the marker: {e:?}"
            );
        }
    }
    assert_eq!(
        digits.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [5, 11],
        "5 then #: {events:?}"
    );
    for (ts, code) in &digits {
        let of: Vec<&&RtpPacket> = events.iter().filter(|e| e.ts == *ts).collect();
        let ends: Vec<u16> = of
            .iter()
            .filter(|e| e.payload[1] & 0x80 != 0)
            .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
            .collect();
        let want = if *code == 5 { 1280 } else { 2400 };
        assert_eq!(
            ends, [want; 3],
            "three end packets of the INFO's duration: {of:?}"
        );
        assert!(
            of.windows(2).all(|w| w[1].seq == w[0].seq.wrapping_add(1)),
            "consecutive sequence numbers: {of:?}"
        );
    }
}

#[test]
fn inband_tones_from_a_g711_carrier_become_infos() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("dtmf = \"inband\"\ncodecs = [\"PCMA\", \"PCMU\"]\n")
        .pbx_keys("dtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (_, pbx, _) = call(
        &lab,
        &sbc,
        "dtmf_info_uas.xml",
        "--tones 7A*9 --seconds 3",
        3500,
    );
    let signals: Vec<String> = sip_infos(&pbx.messages)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(signals, ["7", "A", "*", "9"]);
}

#[test]
fn pbx_infos_become_inband_tones_towards_a_g711_carrier() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("dtmf = \"inband\"\ncodecs = [\"PCMA\", \"PCMU\"]\n")
        .pbx_keys("dtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (_, _, got) = call(&lab, &sbc, "dtmf_info_send_uas.xml", "--seconds 4", 3500);
    let audio: Vec<u8> = got
        .iter()
        .filter(|p| p.pt == 8)
        .flat_map(|p| p.payload.iter().copied())
        .collect();
    // The PBX sends no audio: what arrives is the tones, 160 + 300 ms in 20 ms packets.
    assert_eq!(audio.len(), (8 + 15) * 160, "the tones' packets");
    assert!(
        got.iter().all(|p| p.pt == 8),
        "no events towards an inband leg"
    );
    // Debian's multimon-ng, a DTMF decoder of its own, reads what the carrier heard.
    let dir = lab.artifacts().unique_path("tones", "");
    let heard = multimon_dtmf(&dir, &audio).expect("multimon-ng reads the carrier's audio");
    assert_eq!(
        heard,
        "5#",
        "multimon-ng heard {heard:?}; sbc:\n{}",
        sbc.log_tail()
    );
}

#[test]
fn baresip_keying_rfc4733_reaches_a_sip_info_pbx() {
    use sbc_lab::topology::CARRIER_IP;
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("dtmf = \"sip-info\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx = lab
        .sipp(Ns::Pbx, "dtmf_info_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("start sipp callee");
    let mut phone = lab
        .start_phone(
            Ns::Carrier,
            std::net::SocketAddr::new(CARRIER_IP.into(), 5080),
            "alice",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .expect("start baresip");
    std::thread::sleep(Duration::from_millis(500));
    phone
        .command(&lab, &format!("/dial sip:4930123@{SBC_OUTSIDE_IP}:5060"))
        .expect("dial");
    phone
        .wait_for_count("established", 1, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()));
    std::thread::sleep(Duration::from_millis(500));
    // baresip's keypad: a digit key sends RFC 4733 events until it is released (the next
    // key, or KEYCODE_REL, 0x04).
    for key in ["1", "5", "5", "#", "\\x04"] {
        phone.command(&lab, key).expect("key");
        std::thread::sleep(Duration::from_millis(400));
    }
    std::thread::sleep(Duration::from_millis(500));
    phone.command(&lab, "/hangup").expect("hang up");
    let pbx = pbx.finish().expect("sipp callee");
    assert!(
        pbx.success(),
        "{}\n--- phone:\n{}\n--- sbc:\n{}",
        pbx.report(),
        phone.log(),
        sbc.log_tail()
    );
    let signals: Vec<String> = sip_infos(&pbx.messages)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(signals, ["1", "5", "5", "#"], "one INFO per key, in order");
}
