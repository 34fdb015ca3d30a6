//! Media pinholes in the kernel, per call: opened when the offer/answer is known,
//! narrowed to the latched peer, gone after the BYE (and the same packets dropped again);
//! kept across a SIGHUP reload; never left behind by a kill -9 once the daemon is back;
//! and a call whose pinhole cannot be written fails loudly instead of going silent.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sbc_lab::media_call::CARRIER_RTP_PORT;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, Signal, StandardConfig, UdpBurst, messages};

const TABLE: &str = "sbc";

/// Latched pinholes of one peer, as nft prints `pin4` elements: `remote . local . port`.
fn pins_of(elements: &str, remote: impl ToString, local: impl ToString) -> Vec<u16> {
    let prefix = format!("{} . {} . ", remote.to_string(), local.to_string());
    elements
        .split(',')
        .filter_map(|e| e.trim().strip_prefix(&prefix))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The elements of a set listing without their remaining lifetimes (`expires ...`).
fn without_expiry(elements: &str) -> Vec<String> {
    elements
        .split(',')
        .map(|e| e.split(" expires ").next().unwrap_or(e).trim().to_owned())
        .collect()
}

/// Polls `pin4` until both peers of the call have their latched pinholes; returns the
/// outside and inside local ports (RTP: the even one).
fn wait_for_pins(lab: &Lab, sbc: &SbcProcess) -> (u16, u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pins = lab.nft_set(TABLE, "pin4").expect("nft");
        let outside = pins_of(&pins, CARRIER_IP, SBC_OUTSIDE_IP);
        let inside = pins_of(&pins, PBX_IP, SBC_INSIDE_IP);
        let rtp = |ports: &[u16]| ports.iter().copied().find(|p| p % 2 == 0);
        if let (Some(o), Some(i)) = (rtp(&outside), rtp(&inside)) {
            return (o, i);
        }
        assert!(
            Instant::now() < deadline,
            "no latched pinholes for both peers: pin4 = {{{pins}}} port4 = {{{}}}\n{}",
            lab.nft_set(TABLE, "port4").expect("nft"),
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `set` has no element left.
fn wait_empty(lab: &Lab, set: &str, sbc: &SbcProcess) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let elements = lab.nft_set(TABLE, set).expect("nft");
        if elements.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{set} still holds {{{elements}}}\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends 10 RTP-looking datagrams from the carrier's address to the SBC's outside `port`
/// (pinholes are keyed by the peer's address, so the source port does not matter; the
/// RTP tool of a call may still hold its own); returns the replies (none expected).
fn rtp_to_outside(lab: &Lab, port: u16) -> usize {
    let rtp = vec![vec![0x80u8, 0, 0, 9, 0, 0, 0, 0, 0xca, 0x11, 0xe4, 0]; 10];
    lab.udp_burst(&UdpBurst {
        ns: Ns::Carrier,
        from: Some(SocketAddr::new(
            IpAddr::V4(CARRIER_IP),
            CARRIER_RTP_PORT + 10,
        )),
        to: SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), port),
        datagrams: &rtp,
        interval: Duration::ZERO,
        wait: Duration::from_millis(500),
        first_only: false,
    })
    .expect("rtp burst")
    .len()
}

#[test]
fn a_call_opens_its_pinholes_audio_flows_and_the_bye_closes_them() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().firewall(true).render())
        .expect("start sbc");
    let call = lab
        .start_media_call(Duration::from_secs(4))
        .expect("start call");
    let (outside, inside) = wait_for_pins(&lab, &sbc);
    // Each peer narrowed to exactly its RTP and RTCP ports.
    let pins = lab.nft_set(TABLE, "pin4").expect("nft");
    assert_eq!(
        pins_of(&pins, CARRIER_IP, SBC_OUTSIDE_IP),
        [outside, outside + 1],
        "{pins}"
    );
    assert_eq!(
        pins_of(&pins, PBX_IP, SBC_INSIDE_IP),
        [inside, inside + 1],
        "{pins}"
    );
    let out = call.finish().expect("call");
    let report = || {
        format!(
            "carrier: {}\npbx: {}\n--- caller\n{}\n--- sbc\n{}",
            out.carrier_rtp.raw,
            out.pbx_rtp.raw,
            out.uac.report(),
            sbc.log_tail()
        )
    };
    assert!(out.uac.success() && out.uas.success(), "{}", report());
    // Audio flowed both ways through the pinholes (a few packets may precede latching).
    assert_eq!(out.carrier_rtp.sent, 50, "{}", report());
    assert!(out.carrier_rtp.rtp >= 45, "{}", report());
    assert!(out.pbx_rtp.rtp >= 45, "{}", report());

    // After the BYE: no hole left, and the same packets are dropped in the kernel again.
    wait_empty(&lab, "pin4", &sbc);
    wait_empty(&lab, "port4", &sbc);
    let before = lab.nft_counter(TABLE, "media").expect("counter");
    assert_eq!(rtp_to_outside(&lab, outside), 0);
    let after = lab.nft_counter(TABLE, "media").expect("counter");
    assert!(after >= before + 10, "media drops {before} -> {after}");
    assert!(sbc.panics().is_empty(), "{}", sbc.log_tail());
}

#[test]
fn reload_keeps_live_pinholes_and_a_restart_after_kill_9_leaves_none() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().firewall(true);
    let mut sbc = lab.start_sbc(&config.render()).expect("start sbc");
    let _call = lab
        .start_media_call(Duration::from_secs(30))
        .expect("start call");
    let (outside, _) = wait_for_pins(&lab, &sbc);
    let pins = lab.nft_set(TABLE, "pin4").expect("nft");

    // SIGHUP with a changed ruleset: re-rendered, the call's pinholes untouched.
    let mark = sbc.log_mark();
    sbc.write_config(
        &config
            .clone()
            .firewall_keys("deny = [\"192.0.2.0/24\"]")
            .render(),
    )
    .expect("write config");
    sbc.signal(Signal::Hup).expect("SIGHUP");
    sbc.wait_for_log(mark, "firewall ruleset re-applied", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let table = lab.nft_table(TABLE).expect("nft").unwrap_or_default();
    assert!(table.contains("192.0.2.0/24"), "{table}");
    assert_eq!(
        without_expiry(&lab.nft_set(TABLE, "pin4").expect("nft")),
        without_expiry(&pins)
    );

    // kill -9: the table and its holes stay behind (kernel timeouts are the safety net) ...
    sbc.signal(Signal::Kill).expect("SIGKILL");
    sbc.wait_exit(Duration::from_secs(5)).expect("killed");
    let stale = lab.nft_set(TABLE, "pin4").expect("nft");
    assert!(
        !pins_of(&stale, CARRIER_IP, SBC_OUTSIDE_IP).is_empty(),
        "{stale}"
    );
    assert!(stale.contains("expires"), "no kernel timeout: {stale}");
    // ... until the daemon is back: it starts from empty sets.
    let mut sbc = lab.start_sbc(&config.render()).expect("restart sbc");
    assert_eq!(lab.nft_set(TABLE, "pin4").expect("nft"), "");
    assert_eq!(lab.nft_set(TABLE, "port4").expect("nft"), "");
    let before = lab.nft_counter(TABLE, "media").expect("counter");
    assert_eq!(rtp_to_outside(&lab, outside), 0);
    assert!(lab.nft_counter(TABLE, "media").expect("counter") >= before + 10);

    sbc.signal(Signal::Term).expect("SIGTERM");
    sbc.wait_exit(Duration::from_secs(10)).expect("exit");
    assert_eq!(lab.nft_table(TABLE).expect("nft"), None);
}

#[test]
fn a_pinhole_that_cannot_be_written_fails_the_call_loudly() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().firewall(true).render())
        .expect("start sbc");
    // Somebody flushes our table behind the daemon's back: every pinhole write fails.
    lab.exec_ok(Ns::Sbc, &["nft", "delete", "table", "inet", TABLE])
        .expect("delete table");
    let from = SocketAddr::new(IpAddr::V4(CARRIER_IP), 5098);
    let to = sip_addr(SBC_OUTSIDE_IP);
    let replies = lab
        .udp_burst(&UdpBurst {
            ns: Ns::Carrier,
            from: Some(from),
            to,
            datagrams: &[messages::invite(from, to, "4930123", 1).into_bytes()],
            interval: Duration::ZERO,
            wait: Duration::from_secs(3),
            first_only: false,
        })
        .expect("invite");
    let finals: Vec<u16> = replies
        .iter()
        .filter_map(|d| messages::status_code(&d.bytes))
        .filter(|c| *c >= 200)
        .collect();
    assert!(
        finals.first().is_some_and(|c| *c >= 500),
        "no failure answer: {finals:?}\n{}",
        sbc.log_tail()
    );
    let log = sbc.log();
    assert!(
        log.contains("media pinhole of call#") && log.contains("not opened"),
        "no log line naming the stream and the error:\n{}",
        sbc.log_tail()
    );
}
