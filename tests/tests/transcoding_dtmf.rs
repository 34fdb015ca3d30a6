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

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::capture::rtp_ssrc;
use sbc_lab::rtp::tool_keys;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

/// An RTP packet: payload type, SSRC (0 where the record has none), timestamp, payload.
#[derive(Debug, Clone)]
struct Rtp {
    pt: u8,
    ssrc: u32,
    ts: u32,
    payload: Vec<u8>,
}

fn dtmf_tool() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tools/dtmf_rtp.py")
        .display()
        .to_string()
}

/// The carrier tool's record (`<pt> <marker> <seq> <ts> <payload hex>` per packet).
fn carrier_record(path: &Path) -> Vec<Rtp> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(path).expect("the DTMF tool's record");
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = f.get(4).copied().unwrap_or("");
            Some(Rtp {
                pt: f.first()?.parse().ok()?,
                ssrc: 0,
                ts: f.get(3)?.parse().ok()?,
                payload: (0..hex.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                    .collect(),
            })
        })
        .collect()
}

/// Checks one leg's copy of the digit: event packets of `event_pt` for digit 5 whose
/// timestamp is one `frame` after the audio packet just before them, whose durations are
/// multiples of `frame`, the last with the end bit; returns the number of event packets.
fn check_digit(leg: &str, packets: &[Rtp], audio_pt: u8, event_pt: u8, frame: u32) -> usize {
    let first = packets
        .iter()
        .position(|p| p.pt == event_pt)
        .unwrap_or_else(|| panic!("{leg}: no telephone-event (PT {event_pt}): {packets:?}"));
    let before = packets[..first]
        .iter()
        .rev()
        .find(|p| p.pt == audio_pt)
        .unwrap_or_else(|| panic!("{leg}: no audio before the digit"));
    let events: Vec<&Rtp> = packets.iter().filter(|p| p.pt == event_pt).collect();
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
    let pbx_out = lab.artifacts().unique_path("echo-pbx", ".json");
    let carrier_out = lab.artifacts().unique_path("dtmf-carrier", ".txt");
    let pbx = lab
        .sipp(Ns::Pbx, "echo_te_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out)]).expect("python3"))
        .args([
            "-key",
            "answer_pt",
            "96",
            "-key",
            "answer_map",
            "opus/48000/2",
            "-key",
            "event_pt",
            "101",
            "-key",
            "event_map",
            "telephone-event/48000",
        ])
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let carrier = lab
        .sipp(Ns::Carrier, "dtmf_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "4000"])
        .args(tool_keys(&[("rtp_out", &carrier_out)]).expect("python3"))
        .args([
            "-key",
            "dtmf_tool",
            &dtmf_tool(),
            "-key",
            "dtmf_args",
            "--events 5 --event-pt 101 --seconds 3 --start 1",
        ])
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
    let to_pbx: Vec<Rtp> = pbx_wire
        .finish()
        .expect("the PBX's capture")
        .into_iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP && d.to.ip() == PBX_IP && d.to.port() == 40002)
        .filter_map(|d| {
            let p = &d.payload;
            Some(Rtp {
                pt: p.get(1)? & 0x7f,
                ssrc: rtp_ssrc(p)?,
                ts: u32::from_be_bytes([*p.get(4)?, *p.get(5)?, *p.get(6)?, *p.get(7)?]),
                payload: p.get(12..)?.to_vec(),
            })
        })
        .collect();
    let sent = check_digit("towards the PBX (Opus, 48 kHz)", &to_pbx, 96, 101, 960);
    let back = carrier_record(&carrier_out);
    let got = check_digit("back at the carrier (PCMA, 8 kHz)", &back, 8, 101, 160);
    assert!(
        sent >= 3 && got >= 3,
        "the digit's packets crossed both ways"
    );
}
