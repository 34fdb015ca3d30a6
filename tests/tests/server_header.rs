//! What the SBC says about itself (issue 16, item 5): each realm's `server_header` in
//! the Server header of its answers, none where it is empty, never a version by default;
//! and the RFC reason phrase on a status code that used to go out as "Unknown".

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sbc_lab::messages::{invite, options, status_code};
use sbc_lab::netio::UdpBurst;
use sbc_lab::topology::{CARRIER_IP, PBX_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

/// Every datagram the SBC answers `request` from `ns` (port 5099) with, as text.
fn exchange(lab: &Lab, ns: Ns, ip: std::net::Ipv4Addr, request: &str) -> Vec<String> {
    let to = ns
        .sbc_sip_addr()
        .expect("the SBC faces every peer namespace");
    let replies = lab
        .udp_burst(&UdpBurst {
            ns,
            from: Some(SocketAddr::new(IpAddr::V4(ip), 5099)),
            to,
            datagrams: &[request.as_bytes().to_vec()],
            interval: Duration::ZERO,
            wait: Duration::from_secs(2),
            first_only: false,
        })
        .expect("send from the namespace");
    replies.iter().map(|d| d.text()).collect()
}

/// The final response among `replies`.
fn final_response(replies: &[String]) -> &str {
    replies
        .iter()
        .find(|r| status_code(r.as_bytes()).is_some_and(|c| c >= 200))
        .unwrap_or_else(|| panic!("no final response among {replies:#?}"))
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn each_realm_gets_its_server_header_and_no_version() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .outside_keys("server_header = \"\"\n")
        .inside_keys("server_header = \"Edge gateway (lab)\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let to_carrier = exchange(
        &lab,
        Ns::Carrier,
        CARRIER_IP,
        &options(
            SocketAddr::new(IpAddr::V4(CARRIER_IP), 5099),
            Ns::Carrier.sbc_sip_addr().expect("outside address"),
            "UDP",
            1,
        ),
    );
    let ok = final_response(&to_carrier);
    assert!(
        ok.starts_with("SIP/2.0 200 OK\r\n"),
        "{ok}\n{}",
        sbc.log_tail()
    );
    assert_eq!(header(ok, "Server"), None, "{ok}");
    assert!(!ok.contains(env!("CARGO_PKG_VERSION")), "{ok}");

    let to_pbx = exchange(
        &lab,
        Ns::Pbx,
        PBX_IP,
        &options(
            SocketAddr::new(IpAddr::V4(PBX_IP), 5099),
            Ns::Pbx.sbc_sip_addr().expect("inside address"),
            "UDP",
            2,
        ),
    );
    let ok = final_response(&to_pbx);
    assert_eq!(header(ok, "Server"), Some("Edge gateway (lab)"), "{ok}");
}

#[test]
fn default_server_header_has_no_version_and_488_has_its_phrase() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    let from = SocketAddr::new(IpAddr::V4(CARRIER_IP), 5099);
    let to = Ns::Carrier.sbc_sip_addr().expect("outside address");
    // A connection address that is a host name: refused with 488 (hostile SDP).
    let request = invite(from, to, "4930555", 3).replace(
        &format!("c=IN IP4 {CARRIER_IP}"),
        "c=IN IP4 media.evil.example",
    );
    let request = fix_content_length(&request);
    let replies = exchange(&lab, Ns::Carrier, CARRIER_IP, &request);
    let rejected = final_response(&replies);
    assert!(
        rejected.starts_with("SIP/2.0 488 Not Acceptable Here\r\n"),
        "{rejected}\n{}",
        sbc.log_tail()
    );
    assert_eq!(header(rejected, "Server"), Some("sbc"), "{rejected}");
    assert!(!rejected.contains(env!("CARGO_PKG_VERSION")), "{rejected}");
}

/// `message` with its Content-Length set to its body's length.
fn fix_content_length(message: &str) -> String {
    let (head, body) = message.split_once("\r\n\r\n").expect("a head and a body");
    let head: Vec<String> = head
        .lines()
        .map(|l| {
            if l.starts_with("Content-Length:") {
                format!("Content-Length: {}", body.len())
            } else {
                l.to_owned()
            }
        })
        .collect();
    format!("{}\r\n\r\n{body}", head.join("\r\n"))
}
