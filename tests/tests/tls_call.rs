//! Calls over TLS through the real SBC, with `tools/tls_ua.py` as the TLS user agent
//! (Debian's sipp has no TLS) and sipp over UDP on the other side:
//!
//! * inbound: a TLS caller in the carrier namespace -> `tls:10.91.1.1:5061` -> sipp callee;
//! * outbound: a sipp caller -> the SBC -> a TLS trunk peer (`tls:10.91.2.2:5061`, the UA
//!   serving) whose certificate the SBC verifies against the trunk's `tls_ca`;
//! * and the same with a certificate from another CA: the INVITE never leaves the SBC
//!   and the caller is answered at once (RFC 3261 §17.1.4), not after Timer B's 32 s.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::tls_ua::{finish_ua, spawn_ua, wait_listening};
use sbc_lab::topology::{
    CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT, sip_addr,
};
use sbc_lab::{CertFiles, Lab, LabChild, Ns, SbcProcess, SippOutcome, StandardConfig, TestCa};

/// The header section of a SIP message (SDP still crosses unchanged until the media
/// plane anchors it, so only headers are checked for topology hiding).
fn head(message: &str) -> &str {
    message.split("\r\n\r\n").next().unwrap_or(message)
}

/// `;tag=` values and Call-IDs in sipp's message trace of one side.
fn identifiers(trace: &str, tag_marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in trace.lines() {
        let l = line.trim();
        if let Some(v) = l.strip_prefix("Call-ID:").or_else(|| l.strip_prefix("i:")) {
            out.push(v.trim().to_owned());
        }
        for part in l.split(";tag=").skip(1) {
            let tag = part.split([';', '>', ' ']).next().unwrap_or(part);
            if tag.contains(tag_marker) {
                out.push(tag.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A sipp callee (UDP) in the pbx namespace, running in the background.
fn sipp_callee(lab: &Lab) -> sbc_lab::sipp::RunningSipp {
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    // The callee binds its socket at start; give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    uas
}

fn assert_clean(sbc: &mut SbcProcess) {
    assert!(sbc.is_running(), "sbc died:\n{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn a_tls_caller_completes_a_call_through_the_sbc() {
    let lab = Lab::new().expect("create lab");
    let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let server = ca
        .server("sbc-outside", &["10.91.1.1"])
        .expect("server certificate");
    let config = StandardConfig::default().outside_tls(&server).render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc with TLS");
    let uas = sipp_callee(&lab);
    let ua = spawn_ua(
        &lab,
        Ns::Carrier,
        &[
            "call".into(),
            format!("--to={SBC_OUTSIDE_IP}:{SIP_TLS_PORT}"),
            format!("--bind={CARRIER_IP}"),
            format!("--ca={}", ca.ca_path().display()),
            "--user=4930123".into(),
            "--hold-ms=500".into(),
            "--wait=15".into(),
        ],
    );
    let ua = finish_ua(ua, Duration::from_secs(25));
    let uas: SippOutcome = uas.finish().expect("sipp callee");

    assert!(
        ua.ok(),
        "TLS caller failed:\n{}\n--- sbc:\n{}",
        ua.report(),
        sbc.log_tail()
    );
    assert!(
        uas.success(),
        "sipp callee failed:\n{}\n--- sbc:\n{}",
        uas.report(),
        sbc.log_tail()
    );
    let statuses: Vec<&str> = ua
        .received
        .iter()
        .filter_map(|m| m.strip_prefix("SIP/2.0 "))
        .map(|m| m.get(..3).unwrap_or(m))
        .collect();
    assert!(
        statuses.contains(&"180") && statuses.iter().filter(|s| **s == "200").count() >= 2,
        "180, 200 (INVITE) and 200 (BYE) over TLS: {statuses:?}"
    );

    // Topology hiding: nothing of the pbx side in the headers the TLS caller saw.
    let mut secrets: Vec<String> = [
        PBX_IP.to_string(),
        SBC_INSIDE_IP.to_string(),
        "pbx-secret".into(),
        "InternalPBX".into(),
    ]
    .into();
    secrets.extend(identifiers(&uas.messages, "SIPpTag01"));
    assert!(secrets.len() >= 6, "pbx Call-ID and tag found: {secrets:?}");
    for message in &ua.received {
        for s in &secrets {
            assert!(
                !head(message).contains(s.as_str()),
                "the TLS caller saw {s:?} of the pbx side:\n{message}"
            );
        }
    }
    sbc.wait_for_log(0, "call ended", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no 'call ended': {e}\n{}", sbc.log_tail()));
    assert_clean(&mut sbc);
}

/// The standard config with a TLS listener on the inside realm too, and the pbx trunk
/// reached over TLS at 10.91.2.2:5061, verified against `trunk_ca`.
fn tls_trunk_config(outside: &CertFiles, inside: &CertFiles, trunk_ca: &Path) -> String {
    let config = StandardConfig::default().outside_tls(outside).render();
    let inside_listen = format!(
        "listen = [\"udp:{SBC_INSIDE_IP}:{SIP_PORT}\", \"tcp:{SBC_INSIDE_IP}:{SIP_PORT}\"]\n"
    );
    let pbx_peers = format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]\n");
    assert!(
        config.contains(&inside_listen) && config.contains(&pbx_peers),
        "the standard config changed shape:\n{config}"
    );
    config
        .replace(
            &inside_listen,
            &format!(
                "listen = [\"udp:{SBC_INSIDE_IP}:{SIP_PORT}\", \"tls:{SBC_INSIDE_IP}:{SIP_TLS_PORT}\"]\n\
                 tls_cert = \"{}\"\ntls_key = \"{}\"\n",
                inside.cert.display(),
                inside.key.display()
            ),
        )
        .replace(
            &pbx_peers,
            &format!(
                "peers = [\"tls:{PBX_IP}:{SIP_TLS_PORT}\"]\ntls_ca = \"{}\"\n",
                trunk_ca.display()
            ),
        )
}

/// A lab whose pbx trunk is TLS, served by `tls_ua.py serve` with `pbx_cert` for at most
/// `serve_secs`; the SBC trusts the CA `trusted`.
fn tls_trunk_lab(
    lab: &Lab,
    trusted: &TestCa,
    pbx_cert: &CertFiles,
    serve_secs: u32,
) -> (SbcProcess, LabChild) {
    let outside = trusted
        .server("sbc-outside", &["10.91.1.1"])
        .expect("certificate");
    let inside = trusted
        .server("sbc-inside", &["10.91.2.1"])
        .expect("certificate");
    let config = tls_trunk_config(&outside, &inside, &trusted.ca_path());
    let sbc = lab.start_sbc(&config).expect("start sbc with a TLS trunk");
    let pbx = spawn_ua(
        lab,
        Ns::Pbx,
        &[
            "serve".into(),
            format!("--listen={PBX_IP}:{SIP_TLS_PORT}"),
            format!("--cert={}", pbx_cert.cert.display()),
            format!("--key={}", pbx_cert.key.display()),
            format!("--wait={serve_secs}"),
        ],
    );
    wait_listening(&pbx);
    (sbc, pbx)
}

#[test]
fn the_sbc_calls_a_tls_trunk_and_verifies_its_certificate() {
    let lab = Lab::new().expect("create lab");
    let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let pbx_cert = ca.server("pbx", &["10.91.2.2"]).expect("pbx certificate");
    let (mut sbc, pbx) = tls_trunk_lab(&lab, &ca, &pbx_cert, 15);
    let uac = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(15))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let pbx = finish_ua(pbx, Duration::from_secs(25));

    assert!(
        uac.success(),
        "sipp caller failed:\n{}\n--- pbx:\n{}\n--- sbc:\n{}",
        uac.report(),
        pbx.report(),
        sbc.log_tail()
    );
    assert!(
        pbx.ok(),
        "TLS pbx failed:\n{}\n--- sbc:\n{}",
        pbx.report(),
        sbc.log_tail()
    );
    let invite = pbx
        .received
        .iter()
        .find(|m| m.starts_with("INVITE "))
        .expect("the pbx got the INVITE");
    assert!(
        invite.contains(&format!("Via: SIP/2.0/TLS {SBC_INSIDE_IP}:{SIP_TLS_PORT}")),
        "the SBC's Via names TLS and its inside listener:\n{invite}"
    );
    assert!(
        pbx.received.iter().any(|m| m.starts_with("BYE ")),
        "the caller's BYE reached the pbx over TLS"
    );
    for message in &pbx.received {
        for s in [CARRIER_IP.to_string(), "carrier-secret".into()] {
            assert!(
                !head(message).contains(s.as_str()),
                "the pbx saw {s:?} of the carrier side:\n{message}"
            );
        }
    }
    sbc.wait_for_log(0, "call ended", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no 'call ended': {e}\n{}", sbc.log_tail()));
    assert_clean(&mut sbc);
}

#[test]
fn a_tls_trunk_with_an_untrusted_certificate_fails_the_call_at_once() {
    let lab = Lab::new().expect("create lab");
    let trusted = TestCa::new(lab.dir(), "lab").expect("test CA");
    let rogue = TestCa::new(lab.dir(), "rogue").expect("another CA");
    let pbx_cert = rogue
        .server("pbx", &["10.91.2.2"])
        .expect("pbx certificate");
    let (mut sbc, pbx) = tls_trunk_lab(&lab, &trusted, &pbx_cert, 5);
    let started = Instant::now();
    let uac = lab
        .sipp(
            Ns::Carrier,
            "invite_fails_uac.xml",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(15))
        .recv_timeout(Duration::from_secs(8))
        .run()
        .expect("run sipp caller");
    let answered_after = started.elapsed();
    let pbx = finish_ua(pbx, Duration::from_secs(25));

    assert!(
        uac.success(),
        "the caller must get 408/503 within 8 s:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(
        answered_after < Duration::from_secs(8),
        "answered after {answered_after:?}: Timer B was not cut short"
    );
    assert!(
        pbx.received.is_empty(),
        "no SIP message may reach a peer whose certificate failed:\n{}",
        pbx.report()
    );
    assert!(
        pbx.notes.iter().any(|n| n.contains("handshake")),
        "the pbx saw the SBC abort the handshake:\n{}",
        pbx.report()
    );
    let log = sbc.log().to_ascii_lowercase();
    assert!(
        log.contains("cannot open tls connection") && log.contains("invalid peer certificate"),
        "the SBC log names the certificate problem:\n{}",
        sbc.log_tail()
    );
    assert!(
        log.contains("transaction(s) failed"),
        "the INVITE failed on the transport error:\n{}",
        sbc.log_tail()
    );
    assert_clean(&mut sbc);
}
