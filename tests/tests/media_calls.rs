//! Media through the real SBC: each side's SDP names only the SBC on that side, and RTP
//! flows both ways through the SBC's anchored ports.
//!
//! The peers are sipp (`media_uac.xml` in the carrier, `media_uas.xml` in the PBX). Each
//! scenario starts `tools/rtp.py` as soon as it knows the other side's SDP, sending 50 RTP
//! packets to the address that SDP gave and counting what arrives at its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, SippOutcome, cmd};

/// How long the caller keeps the call up after its ACK (the RTP tools need ~1.7 s).
const TALK: Duration = Duration::from_secs(4);

/// The traces and RTP results of one call.
struct MediaCall {
    uac: SippOutcome,
    uas: SippOutcome,
    /// What the carrier's RTP peer saw.
    carrier_rtp: RtpResult,
    /// What the PBX's RTP peer saw.
    pbx_rtp: RtpResult,
}

fn rtp_tool() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/rtp.py")
}

/// Runs one call with RTP between a sipp caller in the carrier and a sipp callee in the PBX.
fn media_call(lab: &Lab, sbc: &SbcProcess) -> MediaCall {
    let python = cmd::python().expect("python3").display().to_string();
    let tool = rtp_tool().display().to_string();
    let carrier_out = lab.artifacts().unique_path("rtp-carrier", ".json");
    let pbx_out = lab.artifacts().unique_path("rtp-pbx", ".json");
    let keys = |out: &Path| {
        vec![
            "-key".to_owned(),
            "python".into(),
            python.clone(),
            "-key".into(),
            "rtp_tool".into(),
            tool.clone(),
            "-key".into(),
            "rtp_out".into(),
            out.display().to_string(),
        ]
    };
    let uas = lab
        .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(keys(&pbx_out))
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "media_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", &TALK.as_millis().to_string()])
        .args(keys(&carrier_out))
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "call failed:\n--- caller\n{}\n--- callee\n{}\n--- sbc\n{}",
        uac.report(),
        uas.report(),
        sbc.log_tail()
    );
    let carrier_rtp = RtpResult::wait(&carrier_out).unwrap_or_else(|e| {
        panic!(
            "carrier RTP tool: {e}\n{}\n{}",
            uac.report(),
            sbc.log_tail()
        )
    });
    let pbx_rtp = RtpResult::wait(&pbx_out)
        .unwrap_or_else(|e| panic!("pbx RTP tool: {e}\n{}\n{}", uas.report(), sbc.log_tail()));
    MediaCall {
        uac,
        uas,
        carrier_rtp,
        pbx_rtp,
    }
}

/// The JSON `tools/rtp.py` writes (read without a JSON library: flat keys only).
#[derive(Debug)]
struct RtpResult {
    sent: u64,
    rtp: u64,
    sources: Vec<String>,
    ssrcs: Vec<String>,
    raw: String,
}

impl RtpResult {
    /// Waits for the tool's file (it finishes ~2 s after it started).
    fn wait(path: &Path) -> Result<Self, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(raw) = std::fs::read_to_string(path) {
                return Ok(Self::parse(raw));
            }
            if Instant::now() > deadline {
                return Err(format!("{} never written", path.display()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn parse(raw: String) -> Self {
        let number = |key: &str| -> u64 {
            raw.split(&format!("\"{key}\": "))
                .nth(1)
                .and_then(|r| r.split([',', '}']).next())
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        let list = |key: &str| -> Vec<String> {
            raw.split(&format!("\"{key}\": ["))
                .nth(1)
                .and_then(|r| r.split(']').next())
                .map(|items| {
                    items
                        .split(',')
                        .map(|s| s.trim().trim_matches('"').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        RtpResult {
            sent: number("sent"),
            rtp: number("rtp"),
            sources: list("sources"),
            ssrcs: list("ssrcs"),
            raw,
        }
    }
}

/// Every message of a sipp `-trace_msg` log, headers and body.
fn messages(trace: &str) -> Vec<String> {
    trace
        .split("\n-----------------------------------------------")
        .filter_map(|chunk| {
            // "<timestamp>\nUDP message sent (N bytes):\n\n<message>"
            let (_, rest) = chunk.split_once("bytes")?;
            let (_, message) = rest.split_once('\n')?;
            let message = message.trim_start_matches(['\r', '\n']);
            (!message.is_empty()).then(|| message.to_owned())
        })
        .collect()
}

/// The SDP bodies among `messages`, by the message's first line.
fn sdp_bodies(messages: &[String]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|m| {
            let first = m.lines().next().unwrap_or_default().to_owned();
            let body = m.split_once("\r\n\r\n").or_else(|| m.split_once("\n\n"))?.1;
            body.trim_start()
                .starts_with("v=0")
                .then(|| (first, body.to_owned()))
        })
        .collect()
}

#[test]
fn each_side_sees_only_the_sbc_in_the_sdp() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    let call = media_call(&lab, &sbc);
    let carrier = messages(&call.uac.messages);
    let pbx = messages(&call.uas.messages);

    // The SDP each side received names the SBC on its side, nothing else.
    let to_pbx = sdp_bodies(&pbx);
    let offer = to_pbx
        .iter()
        .find(|(first, _)| first.starts_with("INVITE "))
        .unwrap_or_else(|| panic!("no SDP offer reached the PBX:\n{pbx:#?}"));
    assert!(
        offer.1.contains(&format!("c=IN IP4 {SBC_INSIDE_IP}")),
        "offer to the PBX:\n{}",
        offer.1
    );
    assert!(
        offer.1.contains("o=- ") && offer.1.contains(&format!("IN IP4 {SBC_INSIDE_IP}\r\n")),
        "origin of the offer to the PBX:\n{}",
        offer.1
    );
    let to_carrier = sdp_bodies(&carrier);
    let answer = to_carrier
        .iter()
        .find(|(first, _)| first.starts_with("SIP/2.0 200"))
        .unwrap_or_else(|| panic!("no SDP answer reached the carrier:\n{carrier:#?}"));
    assert!(
        answer.1.contains(&format!("c=IN IP4 {SBC_OUTSIDE_IP}")),
        "answer to the carrier:\n{}",
        answer.1
    );

    // The topology-hiding scan of calls.rs, over whole messages (headers and bodies).
    let carrier_secrets = [
        CARRIER_IP.to_string(),
        SBC_OUTSIDE_IP.to_string(),
        "carrier-secret".to_owned(),
    ];
    let pbx_secrets = [
        PBX_IP.to_string(),
        SBC_INSIDE_IP.to_string(),
        "pbx-secret".to_owned(),
        "InternalPBX".to_owned(),
    ];
    for m in &pbx {
        for s in &carrier_secrets {
            assert!(!m.contains(s.as_str()), "the PBX saw {s:?}:\n{m}");
        }
    }
    for m in &carrier {
        for s in &pbx_secrets {
            assert!(!m.contains(s.as_str()), "the carrier saw {s:?}:\n{m}");
        }
    }
}

#[test]
fn rtp_flows_both_ways_through_the_sbc_and_the_ports_come_back() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    let call = media_call(&lab, &sbc);
    let report = || {
        format!(
            "carrier: {}\npbx: {}\n--- sbc\n{}",
            call.carrier_rtp.raw,
            call.pbx_rtp.raw,
            sbc.log_tail()
        )
    };
    for (who, r) in [("carrier", &call.carrier_rtp), ("pbx", &call.pbx_rtp)] {
        assert_eq!(r.sent, 50, "{who} did not send everything\n{}", report());
    }
    // Each side hears the other (a few packets may fall before the SBC latched).
    assert!(
        call.carrier_rtp.rtp >= 45,
        "carrier heard too little\n{}",
        report()
    );
    assert!(call.pbx_rtp.rtp >= 45, "pbx heard too little\n{}", report());
    assert_eq!(call.carrier_rtp.ssrcs, ["0bbe0002"], "{}", report());
    assert_eq!(call.pbx_rtp.ssrcs, ["ca11e400"], "{}", report());
    // ... and only from the SBC's address on its own side.
    let from_ips = |r: &RtpResult| -> Vec<String> {
        let mut ips: Vec<String> = r
            .sources
            .iter()
            .filter_map(|s| s.rsplit_once(':').map(|(ip, _)| ip.to_owned()))
            .collect();
        ips.dedup();
        ips
    };
    assert_eq!(
        from_ips(&call.carrier_rtp),
        [SBC_OUTSIDE_IP.to_string()],
        "{}",
        report()
    );
    assert_eq!(
        from_ips(&call.pbx_rtp),
        [SBC_INSIDE_IP.to_string()],
        "{}",
        report()
    );

    // Once the call is over its ports are back in the pools (500 pairs per realm).
    sbc.wait_for_log(
        0,
        "media ports free: inside 500/500, outside 500/500",
        Duration::from_secs(15),
    )
    .unwrap_or_else(|e| panic!("ports not all back: {e}\n{}", sbc.log_tail()));
    let anchored = sbc.log().matches("media stream anchored").count();
    assert_eq!(anchored, 1, "one stream, anchored once\n{}", sbc.log_tail());
}

/// `[media] kernel_forwarding`: once latched (window 300 ms), the call's RTP is forwarded
/// by nftables NAT + conntrack; both sides still hear everything from the SBC's addresses,
/// and at BYE the relay is taken back (maps empty) and the ports return to the pools.
#[test]
fn kernel_fast_path_relays_a_calls_rtp_and_is_emptied_at_bye() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig {
        firewall: true,
        ..StandardConfig::default()
    }
    .extra("\n[media]\nkernel_forwarding = true\nlatch_window_ms = 300\n")
    .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let call = media_call(&lab, &sbc);
    let report = || {
        format!(
            "carrier: {}\npbx: {}\n--- sbc\n{}",
            call.carrier_rtp.raw,
            call.pbx_rtp.raw,
            sbc.log_tail()
        )
    };
    assert!(
        call.carrier_rtp.rtp >= 45,
        "carrier heard too little\n{}",
        report()
    );
    assert!(call.pbx_rtp.rtp >= 45, "pbx heard too little\n{}", report());
    assert!(
        call.carrier_rtp
            .sources
            .iter()
            .all(|s| s.starts_with(&format!("{SBC_OUTSIDE_IP}:"))),
        "{}",
        report()
    );
    assert!(
        call.pbx_rtp
            .sources
            .iter()
            .all(|s| s.starts_with(&format!("{SBC_INSIDE_IP}:"))),
        "{}",
        report()
    );
    let log = sbc.log();
    assert!(
        log.contains("media forwarded by the kernel"),
        "no handover\n{}",
        report()
    );
    let back = sbc
        .wait_for_log(0, "media back in userspace", Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("relay not taken back: {e}\n{}", report()));
    let field = |name: &str| -> u64 {
        back.split(&format!("{name}="))
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let (a_to_b, b_to_a) = (field("a_to_b"), field("b_to_a"));
    eprintln!("kernel relayed {a_to_b} carrier->pbx and {b_to_a} pbx->carrier of 50 each");
    assert!(
        a_to_b >= 25 && b_to_a >= 25,
        "the kernel relayed most of the 50 each way after the handover: {a_to_b}, {b_to_a}\n{back}"
    );
    assert!(
        back.contains("why=\"close\"") || back.contains("why=close"),
        "{back}"
    );
    for set in ["dnat4", "snat4", "flow4"] {
        assert_eq!(
            lab.nft_set("sbc_fast", set).expect("nft"),
            "",
            "{set} after BYE"
        );
    }
    sbc.wait_for_log(
        0,
        "media ports free: inside 500/500, outside 500/500",
        Duration::from_secs(15),
    )
    .unwrap_or_else(|e| panic!("ports not all back: {e}\n{}", sbc.log_tail()));
}
