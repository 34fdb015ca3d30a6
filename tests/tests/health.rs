//! OPTIONS health checks of trunk peers, against the real binary: trunk "pbx" has a dead
//! peer (10.91.2.2:5062, tried first) and a live one (10.91.2.2:5060, a sipp that answers
//! OPTIONS and calls). The dead one is found DOWN and calls skip it; when a peer starts
//! answering on its port, it comes back UP and takes calls again.

use std::time::{Duration, Instant};

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, RunningSipp, SbcProcess, Signal, SippOutcome, StandardConfig};

/// The pbx port where nothing answers at first.
const DEAD_PORT: u16 = 5062;

/// The standard config with trunk "pbx" on two peers, the dead one first, probed every
/// second.
fn config() -> String {
    let text = StandardConfig::default().render();
    let pbx_peers = format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]");
    assert!(
        text.contains(&pbx_peers),
        "standard config has the pbx peer:\n{text}"
    );
    let two = format!(
        "peers = [\"udp:{PBX_IP}:{DEAD_PORT}\", \"udp:{PBX_IP}:{SIP_PORT}\"]\noptions_interval = 1"
    );
    text.replacen(&pbx_peers, &two, 1)
}

/// A sipp in the pbx namespace on `port` answering OPTIONS (each one a sipp call) and
/// calls, until the test drops it.
fn pbx_peer(lab: &Lab, port: u16, media_port: u16) -> RunningSipp {
    lab.sipp(Ns::Pbx, "options_call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(100_000)
        .timeout(Duration::from_secs(120))
        .args(["-p".to_owned(), port.to_string()])
        .args(["-mp".to_owned(), media_port.to_string()])
        .spawn()
        .expect("start sipp pbx peer")
}

/// One call from the carrier; it must be answered within 3 s (a failover after an
/// unanswered INVITE would take Timer B, 32 s).
fn call(lab: &Lab) -> (SippOutcome, Duration) {
    let started = Instant::now();
    let uac = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(10))
        .recv_timeout(Duration::from_secs(3))
        .run()
        .expect("run sipp caller");
    (uac, started.elapsed())
}

fn wait(sbc: &SbcProcess, mark: usize, needle: &str, secs: u64) -> String {
    sbc.wait_for_log(mark, needle, Duration::from_secs(secs))
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()))
}

#[test]
fn a_dead_peer_is_skipped_and_a_revived_one_comes_back() {
    let lab = Lab::new().expect("create lab");
    let live = pbx_peer(&lab, SIP_PORT, 16000);
    std::thread::sleep(Duration::from_millis(300));
    let sbc = lab.start_sbc(&config()).expect("start sbc");

    // First probe within 1 s, each waits 1 s: DOWN after about 3 s.
    let log = wait(
        &sbc,
        0,
        &format!("trunk pbx peer udp:{PBX_IP}:{DEAD_PORT} is DOWN (no answer to 3 OPTIONS)"),
        15,
    );
    wait(
        &sbc,
        0,
        &format!("trunk pbx peer udp:{PBX_IP}:{SIP_PORT} is UP"),
        5,
    );
    assert!(
        !log.contains(&format!("{PBX_IP}:{SIP_PORT} is DOWN")),
        "{log}"
    );

    // Calls go straight to the live peer.
    let (uac, took) = call(&lab);
    assert!(
        uac.success(),
        "call failed:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(took < Duration::from_secs(5), "the call took {took:?}");

    // The dead port comes alive: UP after 2 answered OPTIONS.
    let mark = sbc.log_mark();
    let revived = pbx_peer(&lab, DEAD_PORT, 17000);
    wait(
        &sbc,
        mark,
        &format!("trunk pbx peer udp:{PBX_IP}:{DEAD_PORT} is UP"),
        10,
    );

    // It is first in the trunk's order again: with the other peer gone (but still UP for
    // the SBC for a few seconds), a call succeeds only if it goes to the revived one.
    drop(live);
    let (uac, took) = call(&lab);
    assert!(
        uac.success(),
        "call to the revived peer failed:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(took < Duration::from_secs(5), "the call took {took:?}");
    drop(revived);
    let mut sbc = sbc;
    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn when_every_peer_is_down_calls_get_503_with_retry_after() {
    let lab = Lab::new().expect("create lab");
    // Nothing answers on either pbx port.
    let sbc = lab.start_sbc(&config()).expect("start sbc");
    wait(
        &sbc,
        0,
        &format!("peer udp:{PBX_IP}:{SIP_PORT} is DOWN"),
        15,
    );
    wait(
        &sbc,
        0,
        &format!("peer udp:{PBX_IP}:{DEAD_PORT} is DOWN"),
        5,
    );
    let uac = lab
        .sipp(Ns::Carrier, "invite_503_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    assert!(
        uac.success(),
        "expected 503:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(
        uac.messages.contains("every peer of trunk pbx is down"),
        "Warning names the trunk:\n{}",
        uac.messages
    );
}

#[test]
fn a_reload_starts_and_stops_health_checks() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    assert!(!sbc.log().contains("OPTIONS every"), "off by default");

    let mark = sbc.log_mark();
    sbc.write_config(&config()).expect("write config");
    sbc.signal(Signal::Hup).expect("SIGHUP");
    wait(
        &sbc,
        mark,
        &format!("trunk pbx peer udp:{PBX_IP}:{DEAD_PORT}: OPTIONS every 1 s"),
        5,
    );
    wait(
        &sbc,
        mark,
        &format!("trunk pbx peer udp:{PBX_IP}:{DEAD_PORT} is DOWN"),
        10,
    );

    let mark = sbc.log_mark();
    sbc.write_config(&StandardConfig::default().render())
        .expect("write config");
    sbc.signal(Signal::Hup).expect("SIGHUP");
    wait(
        &sbc,
        mark,
        &format!("trunk pbx peer udp:{PBX_IP}:{DEAD_PORT}: health checks stopped"),
        5,
    );
    // The remaining peer is no longer watched, so nothing holds calls back.
    let uas = pbx_peer(&lab, SIP_PORT, 16000);
    std::thread::sleep(Duration::from_millis(300));
    let (uac, _) = call(&lab);
    assert!(
        uac.success(),
        "call failed:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    drop(uas);
}
