//! Per-trunk call limits against the real binary: `max_calls` and `max_cps` on trunk
//! "carrier" refuse calls beyond them with 503, Retry-After and a Warning naming the trunk
//! and the limit.

use std::time::Duration;

use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, RunningSipp, StandardConfig};

/// The standard config with `keys` added to trunk "carrier".
fn config(keys: &str) -> String {
    let text = StandardConfig::default().render();
    let carrier_peers = format!("peers = [\"udp:{CARRIER_IP}:{SIP_PORT}\"]");
    assert!(
        text.contains(&carrier_peers),
        "standard config has the carrier:\n{text}"
    );
    text.replacen(&carrier_peers, &format!("{carrier_peers}\n{keys}"), 1)
}

/// A sipp callee in the pbx namespace taking up to `calls` calls.
fn callee(lab: &Lab, calls: u32) -> RunningSipp {
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(calls)
        .timeout(Duration::from_secs(60))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    uas
}

/// Count of lines starting with `prefix` in a sipp message trace.
fn count(trace: &str, prefix: &str) -> usize {
    trace
        .lines()
        .filter(|l| l.trim_start().starts_with(prefix))
        .count()
}

#[test]
fn max_calls_refuses_a_second_call_while_the_first_is_up() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_sbc(&config("max_calls = 1")).expect("start sbc");
    let _uas = callee(&lab, 10);

    // The first call holds the trunk's only slot for 4 s.
    let held = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "4000"])
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start held call");
    sbc.wait_for_log(0, "call answered", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", sbc.log_tail()));

    // A second caller (another port of the carrier) is refused.
    let second = lab
        .sipp(Ns::Carrier, "invite_503_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930124", "-p", "5070", "-mp", "16000"])
        .timeout(Duration::from_secs(10))
        .run()
        .expect("run second caller");
    assert!(
        second.success(),
        "expected 503:\n{}\n--- sbc:\n{}",
        second.report(),
        sbc.log_tail()
    );
    assert!(
        second
            .messages
            .contains("trunk carrier is at its limit of max_calls 1"),
        "the Warning names trunk and limit:\n{}",
        second.messages
    );

    let held = held.finish().expect("held call");
    assert!(
        held.success(),
        "held call failed:\n{}\n--- sbc:\n{}",
        held.report(),
        sbc.log_tail()
    );

    // Hung up: the slot is free at once (not only when the call's transactions end).
    let again = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930125"])
        .timeout(Duration::from_secs(10))
        .recv_timeout(Duration::from_secs(5))
        .run()
        .expect("run third caller");
    assert!(
        again.success(),
        "call after hang-up failed:\n{}\n--- sbc:\n{}",
        again.report(),
        sbc.log_tail()
    );
}

#[test]
fn max_cps_refuses_part_of_a_burst() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_sbc(&config("max_cps = 2")).expect("start sbc");
    let _uas = callee(&lab, 10);
    let burst = lab
        .sipp(Ns::Carrier, "call_or_503_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-r", "10"])
        .calls(10)
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(5))
        .run()
        .expect("run burst");
    assert!(
        burst.success(),
        "burst:\n{}\n--- sbc:\n{}",
        burst.report(),
        sbc.log_tail()
    );
    let refused = count(&burst.messages, "SIP/2.0 503");
    let answered = count(&burst.messages, "SIP/2.0 200");
    // 10 INVITEs in about a second against 2/s with a burst of 2: a few get through
    // (each with a 200 to its INVITE and one to its BYE), most are refused.
    assert!(
        refused >= 3,
        "{refused} 503s, {answered} 200s:\n{}",
        burst.messages
    );
    assert!(
        answered >= 2,
        "{refused} 503s, {answered} 200s:\n{}",
        burst.messages
    );
    assert!(
        burst
            .messages
            .contains("trunk carrier is over its limit of max_cps 2"),
        "{}",
        burst.messages
    );
}
