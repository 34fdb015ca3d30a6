//! Bans and rate limits in the kernel, fed by the SIP layer. An open realm "phones" (any
//! source may send requests, as registering phones do) listens on a second SBC address,
//! [`SBC_PHONES_IP`]; strangers on the carrier's network send to it.
//!
//! * a scanner's User-Agent gets its source banned at the first request, and from then on
//!   its packets are dropped in the kernel (`ban` counter); `firewall.unban` lifts it;
//!   trunk peers are never banned;
//! * more requests per second than `ban_requests_per_second` get the source banned;
//! * `ban_after_auth_failures` REGISTERs in a row refused by the registrar (403) get the
//!   phone banned;
//! * a flood above `sip_rate` is cut in the kernel (`sip-rate` counter) while the trunk's
//!   calls still complete.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use sbc_lab::nft::{SBC_PHONES_IP, STRANGER_IP, STRANGER2_IP};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, Signal, StandardConfig, UdpBurst, messages};

const TABLE: &str = "sbc";

fn phones_realm() -> String {
    format!(
        "\n[[realm]]\nname = \"phones\"\nlisten = [\"udp:{SBC_PHONES_IP}:{SIP_PORT}\"]\n\
         media_ip = \"{SBC_PHONES_IP}\"\nmedia_ports = \"40000-40999\"\nopen = true\n"
    )
}

fn lab_with_phones() -> Lab {
    let lab = Lab::new().expect("create lab");
    for ip in [STRANGER_IP, STRANGER2_IP] {
        lab.add_carrier_address(ip).expect("carrier address");
    }
    lab.add_sbc_outside_address(SBC_PHONES_IP)
        .expect("sbc address");
    lab
}

fn config(firewall_keys: &str) -> StandardConfig {
    StandardConfig::default()
        .firewall(true)
        .firewall_keys(firewall_keys)
        .extra(&phones_realm())
}

/// OPTIONS from `from` to `to`, with a User-Agent when given.
fn options(from: SocketAddr, to: SocketAddr, tag: u32, user_agent: Option<&str>) -> Vec<u8> {
    let mut m = messages::options(from, to, "UDP", tag);
    if let Some(ua) = user_agent {
        m = m.replacen(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\nUser-Agent: {ua}\r\n"),
            1,
        );
    }
    m.into_bytes()
}

/// Sends `n` OPTIONS from `ip` to `to`, `interval` apart; returns how many were answered.
fn send(
    lab: &Lab,
    ip: Ipv4Addr,
    to: SocketAddr,
    n: u32,
    interval: Duration,
    ua: Option<&str>,
) -> usize {
    let from = SocketAddr::new(IpAddr::V4(ip), 5097);
    let datagrams: Vec<Vec<u8>> = (0..n).map(|i| options(from, to, 9000 + i, ua)).collect();
    lab.udp_burst(&UdpBurst {
        ns: Ns::Carrier,
        from: Some(from),
        to,
        datagrams: &datagrams,
        interval,
        wait: Duration::from_millis(700),
        first_only: false,
    })
    .expect("udp burst")
    .len()
}

fn phones() -> SocketAddr {
    sip_addr(SBC_PHONES_IP)
}

fn banned(lab: &Lab) -> String {
    lab.nft_set(TABLE, "ban4").expect("nft")
}

fn assert_banned(lab: &Lab, sbc: &SbcProcess, ip: Ipv4Addr, yes: bool) {
    let set = banned(lab);
    let listed = set
        .split(',')
        .any(|e| e.trim().starts_with(&format!("{ip} ")) || e.trim() == ip.to_string());
    assert_eq!(listed, yes, "{ip} in ban4 = {{{set}}}\n{}", sbc.log_tail());
}

#[test]
fn a_scanner_is_banned_and_then_dropped_in_the_kernel_until_unbanned() {
    let lab = lab_with_phones();
    let cfg = config("ban_seconds = 600");
    let sbc = lab.start_sbc(&cfg.render()).expect("start sbc");
    let ms = Duration::from_millis(20);
    // An ordinary stranger on the open realm is answered.
    assert_eq!(
        send(&lab, STRANGER2_IP, phones(), 1, ms, Some("Linphone/5.2")),
        1,
        "{}",
        sbc.log_tail()
    );
    // The scanner: its first request bans it, unanswered.
    assert_eq!(
        send(&lab, STRANGER_IP, phones(), 1, ms, Some("friendly-scanner")),
        0
    );
    assert_banned(&lab, &sbc, STRANGER_IP, true);
    assert!(
        sbc.log().contains("banning 10.91.1.3: scanner User-Agent"),
        "{}",
        sbc.log_tail()
    );
    // From now on the kernel drops whatever it sends, whatever its User-Agent.
    let before = lab.nft_counter(TABLE, "ban").expect("counter");
    let mark = sbc.log_mark();
    assert_eq!(send(&lab, STRANGER_IP, phones(), 5, ms, None), 0);
    assert!(lab.nft_counter(TABLE, "ban").expect("counter") >= before + 5);
    assert!(
        !sbc.log_since(mark).contains("10.91.1.3"),
        "{}",
        sbc.log_since(mark)
    );
    // The other stranger is unaffected.
    assert_eq!(send(&lab, STRANGER2_IP, phones(), 1, ms, None), 1);
    // A trunk peer is never banned, whatever it claims to be.
    let from_carrier = send(
        &lab,
        CARRIER_IP,
        sip_addr(SBC_OUTSIDE_IP),
        2,
        ms,
        Some("sipvicious"),
    );
    assert_eq!(from_carrier, 2, "{}", sbc.log_tail());
    assert_banned(&lab, &sbc, CARRIER_IP, false);

    // firewall.unban on reload lifts the ban.
    let mark = sbc.log_mark();
    sbc.write_config(&config(&format!("ban_seconds = 600\nunban = [\"{STRANGER_IP}\"]")).render())
        .expect("write config");
    sbc.signal(Signal::Hup).expect("SIGHUP");
    sbc.wait_for_log(mark, "unbanned by configuration", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_banned(&lab, &sbc, STRANGER_IP, false);
    assert_eq!(
        send(&lab, STRANGER_IP, phones(), 1, ms, None),
        1,
        "{}",
        sbc.log_tail()
    );
}

#[test]
fn too_many_requests_per_second_is_a_ban() {
    let lab = lab_with_phones();
    let sbc = lab
        .start_sbc(
            &config("sip_rate = 10000\nsip_burst = 10000\nban_requests_per_second = 10").render(),
        )
        .expect("start sbc");
    let answered = send(
        &lab,
        STRANGER_IP,
        phones(),
        40,
        Duration::from_millis(5),
        None,
    );
    assert!(answered <= 10, "{answered} answered");
    assert_banned(&lab, &sbc, STRANGER_IP, true);
    assert!(
        sbc.log().contains("more than 10 requests in a second"),
        "{}",
        sbc.log_tail()
    );
}

#[test]
fn a_flood_is_cut_in_the_kernel_while_the_trunk_calls_complete() {
    let lab = lab_with_phones();
    let sbc = lab
        .start_sbc(&config("sip_rate = 20\nsip_burst = 20\nban_requests_per_second = 0").render())
        .expect("start sbc");
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(10)
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let (answered, uac) = std::thread::scope(|s| {
        let flood = s.spawn(|| {
            send(
                &lab,
                STRANGER_IP,
                phones(),
                2000,
                Duration::from_millis(1),
                None,
            )
        });
        let uac = lab
            .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
            .args(["-s", "4930123"])
            .calls(10)
            .timeout(Duration::from_secs(25))
            .recv_timeout(Duration::from_secs(10))
            .run()
            .expect("run sipp caller");
        (flood.join().expect("flood thread"), uac)
    });
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "trunk calls failed during the flood:\n{}\n{}",
        uac.report(),
        sbc.log_tail()
    );
    let cut = lab.nft_counter(TABLE, "sip-rate").expect("counter");
    // 2000 sent over a few seconds at 20/s with a burst of 20: most are cut in the kernel.
    assert!(
        cut >= 1500,
        "only {cut} cut in the kernel ({answered} answered)"
    );
    assert!(answered <= 500, "{answered} of 2000 answered");
    assert!(sbc.panics().is_empty());
}

/// A phone's REGISTER with (wrong) credentials, attempt `n`.
fn register(from: SocketAddr, to: SocketAddr, n: u32) -> Vec<u8> {
    format!(
        "REGISTER sip:{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-lab-reg-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:201@{to}>;tag=lab-reg-{n}\r\n\
         To: <sip:201@{to}>\r\n\
         Call-ID: lab-register-{n}@{from}\r\n\
         CSeq: {n} REGISTER\r\n\
         Contact: <sip:201@{from}>\r\n\
         Authorization: Digest username=\"201\", realm=\"pbx\", nonce=\"n{n}\", uri=\"sip:{to}\", response=\"00000000000000000000000000000000\"\r\n\
         Expires: 600\r\n\
         Content-Length: 0\r\n\
         \r\n"
    )
    .into_bytes()
}

#[test]
fn failed_authentications_in_a_row_are_a_ban() {
    let lab = lab_with_phones();
    let cfg = StandardConfig::default()
        .firewall(true)
        .firewall_keys("ban_after_auth_failures = 3")
        .extra(&phones_realm().replace("open = true", "open = true\nregistrar = \"pbx\""));
    let sbc = lab.start_sbc(&cfg.render()).expect("start sbc");
    let registrar = lab
        .sipp(Ns::Pbx, "registrar_403_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(3)
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start the registrar");
    std::thread::sleep(Duration::from_millis(300));
    let from = SocketAddr::new(IpAddr::V4(STRANGER_IP), 5096);
    let mut answers = Vec::new();
    for n in 1..=4 {
        let replies = lab
            .udp_burst(&UdpBurst {
                ns: Ns::Carrier,
                from: Some(from),
                to: phones(),
                datagrams: &[register(from, phones(), n)],
                interval: Duration::ZERO,
                wait: Duration::from_millis(1500),
                first_only: true,
            })
            .expect("register");
        answers.push(
            replies
                .first()
                .and_then(|d| messages::status_code(&d.bytes)),
        );
    }
    // Three refusals relayed, then the phone is banned: the fourth gets nothing.
    assert_eq!(
        answers,
        [Some(403), Some(403), Some(403), None],
        "{}",
        sbc.log_tail()
    );
    assert_banned(&lab, &sbc, STRANGER_IP, true);
    assert!(
        sbc.log()
            .contains("banning 10.91.1.3: 3 failed authentications (403)"),
        "{}",
        sbc.log_tail()
    );
    assert!(lab.nft_counter(TABLE, "ban").expect("counter") >= 1);
    let registrar = registrar.finish().expect("registrar");
    assert!(registrar.success(), "{}", registrar.report());
}
