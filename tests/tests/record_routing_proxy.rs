//! Calls through a real record-routing proxy (Debian's Kamailio) on either side of the SBC,
//! one of them to a real phone (baresip) registered through the SBC's open realm.
//!
//! What breaks without RFC 3261 §12.1.1 in the SBC: the proxy record-routes the INVITE, the
//! caller's route set comes from the SBC's 200, and the proxy routes the caller's ACK and
//! BYE by their Route header only; a 200 without Record-Route leaves them unroutable, the
//! 200 is retransmitted until the call fails. Each call here is answered, ACKed, carries
//! RTP both ways (the first of each test) and is hung up by BYE through the proxy, from
//! either side. Every UDP datagram either side saw is scanned (SIP, SDP, RTP, RTCP): the
//! phone's address and identity never reach the PBX side, the proxy and PBX never reach the
//! phone's side, and the phone's RTCP CNAME arrives as the pseudonym its SDP got.

use std::net::SocketAddr;
use std::time::Duration;

use sbc_lab::capture::{Datagram, rtcp_cnames, rtp_ssrc};
use sbc_lab::kamailio::ProxyRole;
use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

/// The SSRC `tools/rtp.py` sends with from `media_uac.xml`.
const CALLER_SSRC: u32 = 0xca11_e400;
/// Where the caller (sipp) listens, beside the proxy on 5060 of the same namespace.
const CALLER_PORT: u16 = 5080;

fn at(ip: std::net::Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

/// Payloads of `datagrams` as text (SIP and SDP read as they are; binary bytes lossy).
fn text_of(datagrams: &[Datagram]) -> String {
    datagrams
        .iter()
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `a=ssrc ... cname:` values in SIP bodies of `datagrams`.
fn sdp_cnames(datagrams: &[Datagram]) -> Vec<String> {
    text_of(datagrams)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=ssrc:"))
        .filter_map(|v| v.split_once(" cname:").map(|(_, c)| c.to_owned()))
        .collect()
}

/// RTP datagrams of `ssrc` sent from `from_ip` to `to_ip`.
fn rtp_count(
    datagrams: &[Datagram],
    from_ip: std::net::Ipv4Addr,
    to_ip: std::net::Ipv4Addr,
    ssrc: u32,
) -> usize {
    datagrams
        .iter()
        .filter(|d| d.from.ip() == from_ip && d.to.ip() == to_ip)
        .filter(|d| rtp_ssrc(&d.payload) == Some(ssrc))
        .count()
}

#[test]
fn a_pbx_behind_kamailio_calls_a_phone_registered_through_the_sbc() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().without_routes().render().replace(
        "name = \"outside\"\n",
        "name = \"outside\"\nopen = true\nregistrar = \"pbx\"\n",
    );
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let proxy = lab
        .start_kamailio(Ns::Pbx, sip_addr(PBX_IP), ProxyRole::Registrar)
        .expect("start kamailio");
    let carrier_wire = lab.capture_udp(Ns::Carrier, "eth0").expect("capture");
    let pbx_wire = lab.capture_udp(Ns::Pbx, "eth0").expect("capture");
    let mut phone = lab
        .start_phone(
            Ns::Carrier,
            at(CARRIER_IP, 5080),
            "alice",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .expect("start baresip");
    phone
        .wait_registered(Duration::from_secs(10))
        .unwrap_or_else(|e| {
            panic!(
                "{e}\n--- sbc:\n{}\n--- kamailio:\n{}",
                sbc.log_tail(),
                proxy.log()
            )
        });

    // Call 1: the PBX side calls alice through the proxy, talks, hangs up.
    let rtp_out = lab.artifacts().unique_path("rtp-caller", ".json");
    let caller = lab
        .sipp(Ns::Pbx, "media_uac.xml", sip_addr(PBX_IP))
        .args(["-p", &CALLER_PORT.to_string(), "-s", "alice", "-d", "7000"])
        .args(tool_keys(&[("rtp_out", &rtp_out)]).expect("tool keys"))
        .timeout(Duration::from_secs(30))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("caller");
    assert!(
        caller.success(),
        "the call through the proxy failed:\n{}\n--- kamailio:\n{}\n--- phone:\n{}\n--- sbc:\n{}",
        caller.report(),
        proxy.log(),
        phone.log(),
        sbc.log_tail()
    );
    let heard = RtpResult::wait(&rtp_out, Duration::from_secs(10)).expect("rtp result");
    assert!(
        heard.rtp >= 100,
        "the caller heard the phone: {}",
        heard.raw
    );
    assert!(
        heard
            .sources
            .iter()
            .all(|s| s.starts_with(&SBC_INSIDE_IP.to_string())),
        "only from the SBC: {:?}",
        heard.sources
    );
    phone
        .wait_for_count("terminated", 1, Duration::from_secs(5))
        .expect("the caller's BYE reached the phone");

    // Call 2: the phone hangs up; its BYE reaches the caller through the proxy.
    let caller = lab
        .sipp(Ns::Pbx, "callee_bye_uac.xml", sip_addr(PBX_IP))
        .args(["-p", &CALLER_PORT.to_string(), "-s", "alice"])
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("caller");
    phone
        .wait_for_count("Call established", 2, Duration::from_secs(10))
        .expect("the phone answers again");
    std::thread::sleep(Duration::from_millis(500));
    phone.command(&lab, "/hangup").expect("hang up");
    let caller = caller.finish().expect("caller");
    assert!(
        caller.success(),
        "the phone's BYE did not reach the caller:\n{}\n--- kamailio:\n{}\n--- phone:\n{}\n--- sbc:\n{}",
        caller.report(),
        proxy.log(),
        phone.log(),
        sbc.log_tail()
    );
    assert!(
        proxy.log().contains("routing ACK"),
        "ACKs went through the proxy"
    );
    assert!(
        !proxy.log().contains("without a route"),
        "every in-dialog request carried its route:\n{}",
        proxy.log()
    );

    let carrier = carrier_wire.finish().expect("carrier capture");
    let pbx = pbx_wire.finish().expect("pbx capture");
    let phone_heard = rtp_count(&carrier, SBC_OUTSIDE_IP, CARRIER_IP, CALLER_SSRC);
    assert!(
        phone_heard >= 45,
        "the phone heard the caller: {phone_heard} of 50"
    );

    // Nothing of the phone's side on the PBX's wire, nothing of the PBX's on the phone's.
    let pbx_text = text_of(&pbx);
    for leak in ["10.91.1.", "baresip"] {
        assert!(!pbx_text.contains(leak), "the PBX side saw {leak:?}");
    }
    let carrier_text = text_of(&carrier);
    for leak in ["10.91.2.", "carrier-secret", "ftag="] {
        assert!(
            !carrier_text.contains(leak),
            "the phone's side saw {leak:?}"
        );
    }
    // The phone names itself in SDP and RTCP; the other side gets one pseudonym for both.
    let phone_cname = sdp_cnames(&carrier)
        .into_iter()
        .find(|c| c.contains("alice@"))
        .unwrap_or_else(|| panic!("baresip writes a=ssrc cname: {carrier_text}"));
    assert!(
        !pbx_text.contains(&phone_cname),
        "the phone's CNAME {phone_cname} reached the PBX side"
    );
    // What the SBC sent on the PBX side (the caller's own offer has a cname of its own).
    let from_sbc: Vec<Datagram> = pbx
        .iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP)
        .cloned()
        .collect();
    let pbx_cnames = sdp_cnames(&from_sbc);
    assert!(!pbx_cnames.is_empty(), "a=ssrc crossed as a pseudonym");
    let pseudonym = &pbx_cnames[0];
    assert_eq!(pseudonym.len(), phone_cname.len());
    assert_ne!(pseudonym, &phone_cname);
    let relayed_rtcp: Vec<Vec<u8>> = pbx
        .iter()
        .filter(|d| d.from.ip() == SBC_INSIDE_IP)
        .flat_map(|d| rtcp_cnames(&d.payload))
        .collect();
    assert!(
        !relayed_rtcp.is_empty(),
        "the phone's RTCP reached the PBX side (a 7 s call has a report)"
    );
    for cname in &relayed_rtcp {
        assert_eq!(cname, pseudonym.as_bytes(), "RTCP CNAME = SDP pseudonym");
    }
    drop(phone);
    drop(sbc);
}

#[test]
fn a_carrier_behind_kamailio_calls_the_pbx() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("start sbc");
    let proxy = lab
        .start_kamailio(
            Ns::Carrier,
            sip_addr(CARRIER_IP),
            ProxyRole::Edge {
                sbc: sip_addr(SBC_OUTSIDE_IP),
            },
        )
        .expect("start kamailio");
    let proxy_at = sip_addr(CARRIER_IP);

    // Call 1: talk, then the caller's BYE through the proxy.
    let (uac_out, uas_out) = (
        lab.artifacts().unique_path("rtp-carrier", ".json"),
        lab.artifacts().unique_path("rtp-pbx", ".json"),
    );
    let callee = lab
        .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &uas_out)]).expect("keys"))
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "media_uac.xml", proxy_at)
        .args([
            "-p",
            &CALLER_PORT.to_string(),
            "-s",
            "4930123",
            "-d",
            "2000",
        ])
        .args(tool_keys(&[("rtp_out", &uac_out)]).expect("keys"))
        .timeout(Duration::from_secs(30))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("caller");
    let callee = callee.finish().expect("callee");
    assert!(
        caller.success() && callee.success(),
        "call through the carrier's proxy:\n{}\n--- callee:\n{}\n--- kamailio:\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        proxy.log(),
        sbc.log_tail()
    );
    let heard_by_caller = RtpResult::wait(&uac_out, Duration::from_secs(10)).expect("rtp");
    let heard_by_callee = RtpResult::wait(&uas_out, Duration::from_secs(10)).expect("rtp");
    assert!(heard_by_caller.rtp >= 45, "{}", heard_by_caller.raw);
    assert!(heard_by_callee.rtp >= 45, "{}", heard_by_callee.raw);
    let carrier_saw = &caller.messages;
    assert!(
        carrier_saw.contains("Record-Route: <sip:10.91.1.2;lr;ftag="),
        "the 200 carries the proxy's Record-Route:\n{carrier_saw}"
    );
    assert!(
        !carrier_saw.contains("10.91.2."),
        "nothing of the PBX side:\n{carrier_saw}"
    );
    assert!(
        !callee.messages.contains("10.91.1."),
        "nothing of the carrier side:\n{}",
        callee.messages
    );

    // Call 2: the PBX hangs up; the SBC's BYE follows the route set through the proxy.
    let callee = lab
        .sipp(Ns::Pbx, "callee_bye_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "callee_bye_uac.xml", proxy_at)
        .args(["-p", &CALLER_PORT.to_string(), "-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .run()
        .expect("caller");
    let callee = callee.finish().expect("callee");
    assert!(
        caller.success() && callee.success(),
        "BYE from the PBX through the carrier's proxy:\n{}\n--- callee:\n{}\n--- kamailio:\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        proxy.log(),
        sbc.log_tail()
    );
    let log = proxy.log();
    assert!(
        log.contains(&format!(
            "routing BYE sip:caller@{CARRIER_IP}:{CALLER_PORT}"
        )),
        "the SBC's BYE went through the proxy to the caller's contact:\n{log}"
    );
    assert!(!log.contains("without a route"), "{log}");
}
