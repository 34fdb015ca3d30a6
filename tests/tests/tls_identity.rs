//! The SBC's FQDN identity on a TLS trunk reached by name (issue 16 item 3, "FQDN Contact
//! and SNI on a TLS trunk"), against the real binary:
//!
//! * dnsmasq in the pbx namespace answers `pbx.lab.test` (A 10.91.2.2); the pbx trunk's
//!   peer is `tls:pbx.lab.test:5061`, served by `tools/tls_ua.py serve`, which asks for a
//!   client certificate of the lab CA and notes the SNI it receives;
//! * realm "inside" has `domain = "sbc1.lab.test"`, a default certificate (`tls_cert`, for
//!   its address) and the domain's certificate as `[[realm.certificate]]`.
//!
//! Proven: the SNI the SBC sends is the peer's name and its certificate is verified
//! against that name (a certificate for another name fails the call at once, nothing
//! reaches the peer); the SBC presents the domain's certificate as client certificate
//! (mutual TLS); the INVITE's Request-URI names the peer as configured and the SBC's Via
//! and Contact carry the realm domain; the listener serves the domain's certificate to a
//! client asking for `sbc1.lab.test` and the default to one asking for another name or
//! for none.

use std::path::Path;
use std::time::Duration;

use sbc_lab::dns::{NetnsResolvConf, start_dnsmasq};
use sbc_lab::tls_ua::{UaOutcome, finish_ua, spawn_ua, wait_listening};
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT, sip_addr};
use sbc_lab::{CertFiles, Lab, LabChild, Ns, SbcProcess, StandardConfig, TestCa};

const DOMAIN: &str = "sbc1.lab.test";
const PEER_NAME: &str = "pbx.lab.test";

/// Prints the DNS SANs of the certificate served at ARGV[1]:5061 to a client asking for
/// ARGV[2] ("-": no SNI), verified against the CA ARGV[3] (names not checked here: the
/// test compares them).
const SERVED_NAMES: &str = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(sys.argv[3])
sni = None if sys.argv[2] == '-' else sys.argv[2]
with socket.create_connection((sys.argv[1], 5061), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname=sni) as tls:
        cert = tls.getpeercert()
        print(' '.join(v for k, v in cert.get('subjectAltName', ()) if k in ('DNS', 'IP Address')))
"#;

/// The standard config with the pbx trunk over TLS to `tls:pbx.lab.test:5061` and realm
/// "inside" listening on TLS with `domain`, its default certificate and the domain's.
fn config(default: &CertFiles, domain_cert: &CertFiles, ca: &Path) -> String {
    let config = StandardConfig::default().render();
    let inside_listen = format!(
        "listen = [\"udp:{SBC_INSIDE_IP}:{SIP_PORT}\", \"tcp:{SBC_INSIDE_IP}:{SIP_PORT}\"]\n"
    );
    let pbx_peers = format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]\n");
    assert!(
        config.contains(&inside_listen) && config.contains(&pbx_peers),
        "the standard config changed shape:\n{config}"
    );
    // `[[realm.certificate]]` must follow its realm's keys: it goes at the end of the
    // inside realm, just before the first trunk.
    let config = config.replacen(
        "[[trunk]]",
        &format!(
            "[[realm.certificate]]\ncert = \"{}\"\nkey = \"{}\"\n\n[[trunk]]",
            domain_cert.cert.display(),
            domain_cert.key.display()
        ),
        1,
    );
    config
        .replace(
            &inside_listen,
            &format!(
                "listen = [\"udp:{SBC_INSIDE_IP}:{SIP_PORT}\", \"tls:{SBC_INSIDE_IP}:{SIP_TLS_PORT}\"]\n\
                 domain = \"{DOMAIN}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
                default.cert.display(),
                default.key.display()
            ),
        )
        .replace(
            &pbx_peers,
            &format!(
                "peers = [\"tls:{PEER_NAME}:{SIP_TLS_PORT}\"]\ntls_ca = \"{}\"\ninvite_timeout_ms = 2000\n",
                ca.display()
            ),
        )
}

/// `tls_ua.py serve` as the pbx with `cert`, asking for client certificates of `ca`.
fn pbx(lab: &Lab, cert: &CertFiles, ca: &TestCa, secs: u32) -> LabChild {
    let ua = spawn_ua(
        lab,
        Ns::Pbx,
        &[
            "serve".into(),
            format!("--listen={PBX_IP}:{SIP_TLS_PORT}"),
            format!("--cert={}", cert.cert.display()),
            format!("--key={}", cert.key.display()),
            format!("--client-ca={}", ca.ca_path().display()),
            format!("--wait={secs}"),
        ],
    );
    wait_listening(&ua);
    ua
}

/// The SANs of the certificate the SBC's inside listener serves for `sni`.
fn served_names(lab: &Lab, sni: &str, ca: &TestCa) -> String {
    let argv = [
        "python3".to_owned(),
        "-c".into(),
        SERVED_NAMES.into(),
        SBC_INSIDE_IP.to_string(),
        sni.to_owned(),
        ca.ca_path().display().to_string(),
    ];
    lab.exec_ok(Ns::Pbx, &argv)
        .unwrap_or_else(|e| panic!("TLS client asking for {sni}: {e}"))
        .trim()
        .to_owned()
}

fn the_invite(pbx: &UaOutcome) -> &str {
    pbx.received
        .iter()
        .find(|m| m.starts_with("INVITE "))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("the pbx got no INVITE:\n{}", pbx.report()))
}

fn assert_clean(sbc: &mut SbcProcess) {
    assert!(sbc.is_running(), "sbc died:\n{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn a_tls_trunk_by_name_gets_its_name_as_sni_and_the_sbc_its_domain_identity() {
    let lab = Lab::new().expect("create lab");
    let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let default = ca
        .identity("sbc-default", &["edge.lab.test", "10.91.2.1"])
        .expect("default certificate");
    let domain_cert = ca.identity("sbc-domain", &[DOMAIN]).expect("domain cert");
    let peer_cert = ca.server("pbx", &[PEER_NAME]).expect("pbx certificate");
    let wrong_cert = ca.server("other", &["other.lab.test"]).expect("other cert");

    let hosts = lab.dir().join("dns-hosts");
    std::fs::write(&hosts, format!("{PBX_IP} {PEER_NAME}\n")).expect("hosts file");
    let _dns = start_dnsmasq(&lab, Ns::Pbx, PBX_IP, &hosts, &[]).expect("start dnsmasq");
    let _resolv = NetnsResolvConf::create(&lab.ns_name(Ns::Sbc), PBX_IP).expect("sbc resolv.conf");

    let mut sbc = lab
        .start_sbc(&config(&default, &domain_cert, &ca.ca_path()))
        .expect("start sbc");
    sbc.wait_for_log(0, "DNS: resolved", Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{PEER_NAME} not resolved: {e}\n{}", sbc.log_tail()));

    // The listener: the domain's certificate for its name, the default otherwise.
    assert_eq!(served_names(&lab, DOMAIN, &ca), DOMAIN);
    assert_eq!(
        served_names(&lab, "other.lab.test", &ca),
        "edge.lab.test 10.91.2.1"
    );
    assert_eq!(served_names(&lab, "-", &ca), "edge.lab.test 10.91.2.1");

    // A call to the peer by name, which asks for a client certificate.
    let ua = pbx(&lab, &peer_cert, &ca, 20);
    let uac = call(&lab, "call_uac.xml");
    let pbx_seen = finish_ua(ua, Duration::from_secs(30));
    assert!(
        uac.success(),
        "the call failed:\n{}\n--- pbx:\n{}\n--- sbc:\n{}",
        uac.report(),
        pbx_seen.report(),
        sbc.log_tail()
    );
    assert!(pbx_seen.ok(), "{}", pbx_seen.report());
    assert!(
        pbx_seen
            .notes
            .iter()
            .any(|n| n == &format!("sni {PEER_NAME}")),
        "the SNI the SBC sends is the peer's name:\n{}",
        pbx_seen.report()
    );
    assert!(
        pbx_seen
            .notes
            .iter()
            .any(|n| n == &format!("client-cert {DOMAIN}")),
        "the SBC presents its domain's certificate as client certificate:\n{}",
        pbx_seen.report()
    );
    let invite = the_invite(&pbx_seen);
    assert!(
        invite.starts_with(&format!(
            "INVITE sip:4930123@{PEER_NAME}:{SIP_TLS_PORT};transport=tls SIP/2.0\r\n"
        )),
        "the Request-URI names the peer as configured, sip: with transport=tls:\n{invite}"
    );
    assert!(
        invite.contains(&format!("Via: SIP/2.0/TLS {DOMAIN}:{SIP_TLS_PORT};")),
        "Via sent-by is the domain:\n{invite}"
    );
    assert!(
        invite.contains(&format!(
            "Contact: <sip:{DOMAIN}:{SIP_TLS_PORT};transport=tls>"
        )),
        "Contact is the domain:\n{invite}"
    );
    for message in &pbx_seen.received {
        let head = message.split("\r\n\r\n").next().unwrap_or(message);
        assert!(
            !head.contains(&SBC_INSIDE_IP.to_string()),
            "the SBC's address in a header towards the domain's trunk:\n{message}"
        );
    }

    // The peer now presents a certificate for another name: verified against the name
    // configured, it fails, and the call fails at once without reaching it.
    let ua = pbx(&lab, &wrong_cert, &ca, 8);
    let uac = call(&lab, "invite_fails_uac.xml");
    let pbx_seen = finish_ua(ua, Duration::from_secs(20));
    assert!(
        uac.success(),
        "the caller gets a failure:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(
        pbx_seen.received.is_empty(),
        "nothing reaches a peer whose certificate does not name it:\n{}",
        pbx_seen.report()
    );
    assert!(
        pbx_seen
            .notes
            .iter()
            .any(|n| n == &format!("sni {PEER_NAME}")),
        "{}",
        pbx_seen.report()
    );
    let log = sbc.log();
    assert!(
        log.contains(&format!(
            "invalid peer certificate: certificate not valid for name \"{PEER_NAME}\""
        )),
        "the SBC log names the certificate problem"
    );
    assert_clean(&mut sbc);
}

fn call(lab: &Lab, scenario: &str) -> sbc_lab::SippOutcome {
    lab.sipp(Ns::Carrier, scenario, sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller")
}
