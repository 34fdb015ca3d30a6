//! SIP over TLS against the real binary: realm "outside" listens on `tls:10.91.1.1:5061` with a
//! certificate for 10.91.1.1 issued at test time by a test CA; clients in the carrier namespace
//! (tools/netio.py, Python's `ssl`) verify it against that CA.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sbc_lab::messages;
use sbc_lab::topology::{CARRIER_IP, SBC_OUTSIDE_IP, SIP_TLS_PORT};
use sbc_lab::{Lab, Ns, Prng, SbcProcess, StandardConfig, TcpOutcome, TcpSession, TestCa};

/// The SBC's TLS listener.
fn tls_addr() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), SIP_TLS_PORT)
}

/// A lab whose daemon serves TLS on the outside realm; the CA that issued its certificate.
fn tls_lab() -> (Lab, SbcProcess, TestCa) {
    let lab = Lab::new().expect("create lab");
    let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let server = ca
        .server("sbc-outside", &["10.91.1.1"])
        .expect("server certificate");
    let config = StandardConfig::default().outside_tls(&server).render();
    let sbc = lab
        .start_sbc(&config)
        .expect("start sbc with a TLS listener");
    (lab, sbc, ca)
}

/// An OPTIONS over TLS from the carrier; the session's outcome.
fn options_over_tls(lab: &Lab, ca: &TestCa, tag: u32) -> TcpOutcome {
    let from = SocketAddr::new(IpAddr::V4(CARRIER_IP), 5061);
    let request = messages::options(from, tls_addr(), "TLS", tag).into_bytes();
    lab.tls_exchange(
        &TcpSession {
            ns: Ns::Carrier,
            from: None,
            to: tls_addr(),
            writes: &[request],
            flood: &[],
            flood_max: 0,
            wait: Duration::from_secs(2),
        },
        &ca.ca_path(),
    )
    .expect("run the TLS client")
}

fn assert_answered_200(outcome: &TcpOutcome, sbc: &SbcProcess) {
    assert!(
        outcome.reply_text().starts_with("SIP/2.0 200 "),
        "OPTIONS over TLS not answered 200: end {:?}, error {:?}, reply {:?}\n--- sbc log:\n{}",
        outcome.end,
        outcome.error,
        outcome.reply_text(),
        sbc.log_tail()
    );
}

#[test]
fn options_over_tls_is_answered_200() {
    let (lab, mut sbc, ca) = tls_lab();
    let outcome = options_over_tls(&lab, &ca, 1);
    assert_answered_200(&outcome, &sbc);
    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn tls_garbage_is_disconnected_while_another_client_is_served() {
    let (lab, mut sbc, ca) = tls_lab();
    // An endless header block, in the background.
    let head = b"OPTIONS sip:10.91.1.1:5061 SIP/2.0\r\nVia: SIP/2.0/TLS 10.91.1.2:5099;branch=z9hG4bK-endless\r\n".to_vec();
    let filler = format!("X-Filler: {}\r\n", "a".repeat(1000)).into_bytes();
    let flood = lab
        .tls_start(
            &TcpSession {
                ns: Ns::Carrier,
                from: None,
                to: tls_addr(),
                writes: &[head],
                flood: &filler,
                flood_max: 8 * 1024 * 1024,
                wait: Duration::from_secs(10),
            },
            &ca.ca_path(),
        )
        .expect("start the endless-header client");
    // Random bytes ending in a blank line: no Content-Length, framing lost.
    let mut garbage = Prng::new(0x7151_6a7b).bytes(2000);
    garbage.extend_from_slice(b"\r\n\r\n");
    let garbled = lab
        .tls_exchange(
            &TcpSession {
                ns: Ns::Carrier,
                from: None,
                to: tls_addr(),
                writes: &[garbage],
                flood: &[],
                flood_max: 0,
                wait: Duration::from_secs(5),
            },
            &ca.ca_path(),
        )
        .expect("run the garbage client");
    // Meanwhile a well-behaved client is served.
    let served = options_over_tls(&lab, &ca, 2);
    let flooded = flood.finish().expect("the endless-header client ends");

    assert!(
        garbled.end.disconnected(),
        "a TLS peer sending garbage must be disconnected, got {:?} (error {:?})",
        garbled.end,
        garbled.error
    );
    assert!(
        flooded.end.disconnected(),
        "an endless header block over TLS must be cut off, got {:?} after {} bytes",
        flooded.end,
        flooded.sent
    );
    assert_answered_200(&served, &sbc);
    assert!(sbc.is_running(), "sbc died:\n{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn plain_tcp_on_the_tls_port_is_dropped() {
    let (lab, mut sbc, ca) = tls_lab();
    let from = SocketAddr::new(IpAddr::V4(CARRIER_IP), 5099);
    let request = messages::options(from, tls_addr(), "TCP", 3).into_bytes();
    let plain = lab
        .tcp_exchange(&TcpSession {
            ns: Ns::Carrier,
            from: None,
            to: tls_addr(),
            writes: &[request],
            flood: &[],
            flood_max: 0,
            wait: Duration::from_secs(5),
        })
        .expect("run the plain TCP client");
    assert!(
        plain.end.disconnected(),
        "plain SIP on the TLS port must be dropped, got {:?}",
        plain.end
    );
    assert!(
        !plain.reply_text().starts_with("SIP/2.0"),
        "no SIP answer on the TLS port: {:?}",
        plain.reply_text()
    );
    assert_answered_200(&options_over_tls(&lab, &ca, 4), &sbc);
    assert!(sbc.is_running());
}

#[test]
fn a_missing_certificate_refuses_start_naming_realm_and_path() {
    let lab = Lab::new().expect("create lab");
    let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let mut server = ca
        .server("sbc-outside", &["10.91.1.1"])
        .expect("server certificate");
    server.cert = lab.dir().join("missing.pem");
    let config = StandardConfig::default().outside_tls(&server).render();
    let err = lab
        .start_sbc(&config)
        .expect_err("sbc must refuse to start");
    let text = err.to_string();
    assert!(
        text.contains("realm outside: TLS certificate") && text.contains("missing.pem"),
        "the error names the realm and the file:\n{text}"
    );
}

#[test]
fn sighup_serves_a_renewed_certificate_without_a_restart() {
    let lab = Lab::new().expect("create lab");
    let old_ca = TestCa::new(lab.dir(), "lab").expect("test CA");
    let server = old_ca
        .server("sbc-outside", &["10.91.1.1"])
        .expect("server certificate");
    let config = StandardConfig::default().outside_tls(&server).render();
    let mut sbc = lab
        .start_sbc(&config)
        .expect("start sbc with a TLS listener");
    assert_answered_200(&options_over_tls(&lab, &old_ca, 1), &sbc);
    let pid = sbc.pid();

    // The renewal: a certificate from another CA written over the same files.
    let new_ca = TestCa::new(lab.dir(), "renewed").expect("second CA");
    let renewed = new_ca
        .server("sbc-outside-renewed", &["10.91.1.1"])
        .expect("renewed certificate");
    std::fs::copy(&renewed.cert, &server.cert).expect("replace the certificate");
    std::fs::copy(&renewed.key, &server.key).expect("replace the key");
    let mark = sbc.log_mark();
    sbc.signal(sbc_lab::Signal::Hup).expect("SIGHUP");
    sbc.wait_for_log(mark, "TLS certificates reloaded", Duration::from_secs(5))
        .expect("the reload swaps the certificate");

    assert_answered_200(&options_over_tls(&lab, &new_ca, 2), &sbc);
    let stale = options_over_tls(&lab, &old_ca, 3);
    assert!(
        !stale.reply_text().starts_with("SIP/2.0 200 "),
        "a client trusting only the old CA must fail the handshake now: {:?}",
        stale.reply_text()
    );
    assert_eq!(sbc.pid(), pid, "no restart");
    assert!(sbc.is_running());
}
