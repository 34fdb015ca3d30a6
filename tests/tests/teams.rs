//! Microsoft Teams Direct Routing replayed in the lab: the trunk runs on
//! `profile = "teams"` with only `peers` and `tls_ca` overridden (the lab cannot reach
//! Microsoft), so every other value of the profile is in force: SRTP required with
//! AES_CM_128_HMAC_SHA1_80, ICE-lite, OPTIONS every 60 s, REFER handled, the `X-MS-SBC`
//! header rule. `tools/tls_ua.py` plays Microsoft's SIP proxy over TLS in the carrier
//! namespace (Debian's sipp has no TLS) and runs `tools/rtp.py` for SRTP media; a sipp
//! PBX with plain RTP sits in the pbx namespace. The realm's `domain` is `sbc.lab.test`,
//! a name of the SBC's certificate.
//!
//! * OPTIONS both ways: the SBC's probe (within its first 5 s) has `sip:` URIs without
//!   userinfo, the FQDN in Via/From/Contact and `X-MS-SBC`; the SBC's 200 to the Teams
//!   side's OPTIONS has the FQDN Contact and an Allow with REFER and without REGISTER.
//! * An inbound call (Teams -> PBX) and an outbound one (PBX -> Teams), the Teams side
//!   running ICE (its credentials in SDP, a nominating check answered before media): SDES SRTP with
//!   rtcp-mux on the Teams side (answered and offered by the SBC although the PBX does
//!   without; every packet received there authenticated under the key the SBC's SDP
//!   gave), plain RTP on the PBX side, media both ways.
//! * Media bypass with forked early media: two Teams endpoints each send a 183 with their
//!   own key and ICE credentials and nominate with a check; the PBX hears the first that
//!   streams, then, from the 200 of the other, that one only. A digit the PBX keys as
//!   RFC 4733 telephone-events during the early media reaches the endpoint the SBC
//!   latched to as SRTP under the SBC's key, at the payload type that endpoint's SDP
//!   gave telephone-event (not the PBX's), with its event code and end bit.

use std::time::Duration;

use sbc_lab::Ns;
use sbc_lab::rtp::{EventSeen, RtpResult, rtp_tool, tool_keys};
use sbc_lab::teams::{FQDN, TeamsLab, spawn_ua};
use sbc_lab::tls_ua::{finish_ua, header};
use sbc_lab::topology::{
    CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_TLS_PORT, sip_addr,
};

/// The SBC's Contact on the Teams realm.
fn fqdn_contact() -> String {
    format!("<sip:{FQDN}:{SIP_TLS_PORT};transport=tls>")
}

fn assert_x_ms_sbc(message: &str) {
    let value = header(message, "X-MS-SBC").unwrap_or_else(|| panic!("no X-MS-SBC:\n{message}"));
    assert_eq!(
        value,
        concat!("EdgeSBC/sbc/", env!("CARGO_PKG_VERSION")),
        "{message}"
    );
}

#[test]
fn options_both_ways_carry_the_fqdn_and_a_truthful_allow() {
    let mut t = TeamsLab::start();
    // Microsoft's proxy waits for the SBC's OPTIONS: it comes within the first 5 s.
    let proxy = t.serve(&["--calls=0".into(), "--wait=20".into()]);
    let proxy = finish_ua(proxy, Duration::from_secs(30));
    assert!(
        proxy.ok(),
        "no OPTIONS from the SBC:\n{}\n--- sbc:\n{}",
        proxy.report(),
        t.sbc.log_tail()
    );
    let probe = proxy.message("OPTIONS ").expect("the SBC's OPTIONS");
    let request_line = probe.lines().next().unwrap_or_default();
    assert_eq!(
        request_line,
        format!("OPTIONS sip:{CARRIER_IP}:{SIP_TLS_PORT};transport=tls SIP/2.0")
    );
    for name in ["From", "To", "Contact"] {
        let value = header(probe, name).unwrap_or_else(|| panic!("no {name}:\n{probe}"));
        assert!(
            !value.contains('@') && !value.contains("sips:"),
            "{name} without userinfo, not sips: {value}"
        );
    }
    assert_eq!(header(probe, "Contact"), Some(fqdn_contact().as_str()));
    assert!(
        header(probe, "Via")
            .is_some_and(|v| v.starts_with(&format!("SIP/2.0/TLS {FQDN}:{SIP_TLS_PORT};"))),
        "{probe}"
    );
    assert!(
        header(probe, "From").is_some_and(|f| f.contains(FQDN)),
        "{probe}"
    );
    assert_x_ms_sbc(probe);

    // The other way: Microsoft's OPTIONS to the SBC's FQDN.
    let mut args = t.client("options");
    args.push(format!("--uri=sip:{FQDN}:{SIP_TLS_PORT};transport=tls"));
    let teams = finish_ua(spawn_ua(&t.lab, &args), Duration::from_secs(20));
    assert!(
        teams.ok(),
        "OPTIONS to the SBC failed:\n{}\n--- sbc:\n{}",
        teams.report(),
        t.sbc.log_tail()
    );
    let answer = teams.message("SIP/2.0 200").expect("the 200");
    assert_eq!(header(answer, "Contact"), Some(fqdn_contact().as_str()));
    let allow: Vec<&str> = header(answer, "Allow")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    for method in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REFER"] {
        assert!(allow.contains(&method), "Allow lists {method}: {allow:?}");
    }
    assert!(
        !allow.contains(&"REGISTER"),
        "the Teams realm relays no registrations: {allow:?}"
    );
    assert_x_ms_sbc(answer);
    t.assert_clean();
}

/// The SBC's SDP towards Teams: SRTP with the one suite of the profile, rtcp-mux
/// (`rtcp_mux = "offer"`: whatever the PBX does, which offers and answers none) and its
/// ICE-lite lines.
fn assert_teams_sdp(message: &str) {
    let body = message.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains(" RTP/SAVP "), "SRTP profile:\n{message}");
    let cryptos: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("a=crypto:"))
        .collect();
    assert!(
        !cryptos.is_empty()
            && cryptos
                .iter()
                .all(|l| l.contains(" AES_CM_128_HMAC_SHA1_80 inline:")),
        "only AES_CM_128_HMAC_SHA1_80: {cryptos:?}"
    );
    assert!(body.contains("a=ice-lite"), "ICE-lite:\n{message}");
    assert!(body.contains("\r\na=rtcp-mux\r\n"), "rtcp-mux:\n{message}");
    assert!(
        body.contains(&format!("c=IN IP4 {SBC_OUTSIDE_IP}")),
        "{message}"
    );
}

/// Media through the SBC: the Teams side's packets all authenticate under the SBC's key
/// and the PBX hears plain PCMU from the Teams side.
fn assert_media(teams: &RtpResult, pbx: &RtpResult) {
    assert!(
        teams.rtp >= 40 && teams.authenticated == teams.rtp,
        "the Teams side got SRTP under the SBC's key: {}",
        teams.raw
    );
    assert!(
        teams.sources.len() == 1 && teams.sources[0].starts_with(&format!("{SBC_OUTSIDE_IP}:")),
        "from one port of the SBC: {:?}",
        teams.sources
    );
    assert!(
        pbx.rtp >= 40 && pbx.sizes == [160] && pbx.pts == [0],
        "the PBX got plain PCMU, 160-byte payloads: {}",
        pbx.raw
    );
    assert!(
        pbx.sources
            .iter()
            .all(|s| s.starts_with(&format!("{SBC_INSIDE_IP}:"))),
        "from the SBC only: {:?}",
        pbx.sources
    );
}

#[test]
fn an_inbound_srtp_call_from_teams_reaches_a_plain_rtp_pbx() {
    let mut t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp PBX");
    std::thread::sleep(Duration::from_millis(300));
    let mut args = t.client("call");
    args.extend([
        "--user=+4930123".to_owned(),
        "--hold-ms=3000".into(),
        "--wait=20".into(),
        "--srtp".into(),
        "--ice".into(),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let teams = finish_ua(spawn_ua(&t.lab, &args), Duration::from_secs(30));
    let pbx = pbx.finish().expect("sipp PBX");
    assert!(
        teams.ok() && pbx.success(),
        "call failed:\n{}\n--- pbx:\n{}\n--- sbc:\n{}",
        teams.report(),
        pbx.report(),
        t.sbc.log_tail()
    );
    let answer = teams
        .received
        .iter()
        .find(|m| m.starts_with("SIP/2.0 200") && m.contains("CSeq: 1 INVITE"))
        .expect("the 200 to the INVITE");
    assert_teams_sdp(answer);
    assert!(
        header(answer, "Contact").is_some_and(|c| c.contains(&format!("@{FQDN}:{SIP_TLS_PORT}"))
            || c.contains(&format!("sip:{FQDN}:{SIP_TLS_PORT}"))),
        "FQDN Contact: {answer}"
    );
    assert!(!answer.contains("sips:"), "{answer}");
    assert_x_ms_sbc(answer);
    let teams_rtp = RtpResult::wait(&teams_rtp, Duration::from_secs(10)).expect("Teams RTP");
    let pbx_rtp = RtpResult::wait(&pbx_rtp, Duration::from_secs(10)).expect("PBX RTP");
    assert_media(&teams_rtp, &pbx_rtp);
    // The Teams side ran ICE: its nominating check was answered by the SBC's lite agent.
    assert!(
        teams_rtp.ice_checks >= 1 && teams_rtp.ice_answers >= 1,
        "ICE check answered: {}",
        teams_rtp.raw
    );
    t.assert_clean();
}

#[test]
fn an_outbound_call_from_the_pbx_reaches_teams_with_srtp() {
    let mut t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let proxy = t.serve(&[
        "--calls=1".into(),
        "--wait=25".into(),
        "--srtp".into(),
        "--ice".into(),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "media_uac.xml", sip_addr(SBC_INSIDE_IP))
        .args(["-s", "+4930123", "-d", "3000"])
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp PBX caller");
    let proxy = finish_ua(proxy, Duration::from_secs(30));
    assert!(
        pbx.success() && proxy.ok(),
        "call failed:\n{}\n--- teams:\n{}\n--- sbc:\n{}",
        pbx.report(),
        proxy.report(),
        t.sbc.log_tail()
    );
    let invite = proxy.message("INVITE ").expect("the INVITE to Teams");
    let request_line = invite.lines().next().unwrap_or_default();
    assert!(
        request_line.starts_with("INVITE sip:") && !request_line.contains("sips:"),
        "{request_line}"
    );
    assert!(
        header(invite, "Contact").is_some_and(
            |c| c.contains(&format!("{FQDN}:{SIP_TLS_PORT}")) && c.contains("transport=tls")
        ),
        "FQDN Contact:\n{invite}"
    );
    assert!(
        header(invite, "Via")
            .is_some_and(|v| v.starts_with(&format!("SIP/2.0/TLS {FQDN}:{SIP_TLS_PORT};"))),
        "{invite}"
    );
    assert!(!invite.contains("sips:"), "{invite}");
    assert_x_ms_sbc(invite);
    assert_teams_sdp(invite);
    let teams_rtp = RtpResult::wait(&teams_rtp, Duration::from_secs(10)).expect("Teams RTP");
    let pbx_rtp = RtpResult::wait(&pbx_rtp, Duration::from_secs(10)).expect("PBX RTP");
    assert_media(&teams_rtp, &pbx_rtp);
    assert!(
        teams_rtp.ice_checks >= 1 && teams_rtp.ice_answers >= 1,
        "ICE check answered: {}",
        teams_rtp.raw
    );
    t.assert_clean();
}

/// Media bypass with two Teams endpoints: each sends its own 183 (own To tag, SDES key,
/// ICE credentials) and nominates its address with an ICE check; the PBX hears the first
/// endpoint that streams until the other one answers, then the answering one only.
/// Microsoft: "the SBC must latch to the first endpoint that starts streaming media, and
/// should send DTMF during this phase": the PBX keys a digit (telephone-event at PT 101)
/// before anyone answers, and the first endpoint, whose 183 gave telephone-event PT 110
/// (RFC 3264 §6.1 allows an answer its own numbers), receives it at 110 under the SBC's key.
#[test]
fn forked_teams_endpoints_first_streaming_heard_until_the_other_answers() {
    const PACKETS: &str = "200";
    /// The digit the PBX keys, and its RFC 4733 event code.
    const DIGIT: (&str, u8) = ("5", 5);
    /// The telephone-event payload type of the PBX's offer (`early_fork_dtmf_uac.xml`)...
    const PBX_EVENT_PT: u8 = 101;
    /// ... and the one of the Teams endpoints' SDP (`tls_ua.py --event-pt`).
    const TEAMS_EVENT_PT: u8 = 110;
    let mut t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let proxy = t.serve(&[
        "--calls=1".into(),
        "--wait=30".into(),
        "--srtp".into(),
        "--ice".into(),
        "--forks=2".into(),
        format!("--event-pt={TEAMS_EVENT_PT}"),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "early_fork_dtmf_uac.xml", sip_addr(SBC_INSIDE_IP))
        .args(["-s", "+4930123", "-d", "3000"])
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .args(["-key", "rtp_count", PACKETS])
        .args(["-key", "dtmf", DIGIT.0])
        .timeout(Duration::from_secs(30))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp PBX caller");
    let proxy = finish_ua(proxy, Duration::from_secs(40));
    assert!(
        pbx.success() && proxy.ok(),
        "call failed:\n{}\n--- teams:\n{}\n--- sbc:\n{}",
        pbx.report(),
        proxy.report(),
        t.sbc.log_tail()
    );
    let fork = |name: &str| {
        let path = teams_rtp.with_file_name(format!(
            "{}-{name}.json",
            teams_rtp
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
        ));
        RtpResult::wait(&path, Duration::from_secs(10)).expect("fork RTP result")
    };
    let (fork_a, fork_b) = (fork("a"), fork("b"));
    let caller = RtpResult::wait(&pbx_rtp, Duration::from_secs(10)).expect("PBX RTP result");
    let report = format!(
        "pbx: {}\nfork a: {}\nfork b: {}\n--- sbc:\n{}",
        caller.raw,
        fork_a.raw,
        fork_b.raw,
        t.sbc.log_tail()
    );
    for f in [&fork_a, &fork_b] {
        assert!(
            f.ice_answers >= 1,
            "each endpoint's check answered: {report}"
        );
        assert!(
            f.rtp > 0 && f.authenticated == f.rtp,
            "the PBX's media reached each endpoint, SRTP under the SBC's key: {report}"
        );
    }
    let order: Vec<&str> = caller.runs.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(order, ["f0a0000a", "f0b0000b"], "{report}");
    let (heard_a, heard_b) = (caller.runs[0].1, caller.runs[1].1);
    assert!(heard_a >= 50, "fork a's early media: {heard_a}\n{report}");
    assert!(
        heard_b >= 80,
        "fork b after its answer: {heard_b}\n{report}"
    );
    eprintln!("the PBX heard fork a {heard_a}, then fork b {heard_b} packets");

    // DTMF in the early media: the offer to Teams carried the PBX's telephone-event on,
    // the endpoints answered theirs at another number, and the digit reached fork a (the
    // endpoint latched to, the only one signalled while it was keyed) at that number:
    // one event, every packet of it (RFC 4733 §2.5: 4 growing, then 3 ends), under the
    // SBC's key (checked above for every packet fork a got).
    let invite = proxy.message("INVITE ").expect("the INVITE to Teams");
    assert!(
        invite.contains(&format!("a=rtpmap:{PBX_EVENT_PT} telephone-event/8000")),
        "the offer to Teams has the PBX's telephone-event:\n{invite}"
    );
    assert_eq!(
        fork_a.events,
        [EventSeen {
            pt: TEAMS_EVENT_PT,
            code: DIGIT.1,
            packets: 7,
            ends: 3
        }],
        "fork a got the digit at its own payload type: {report}"
    );
    eprintln!("fork a got the digit: {:?}", fork_a.events);
    t.assert_clean();
}
