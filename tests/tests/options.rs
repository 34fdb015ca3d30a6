//! OPTIONS answered over UDP and TCP, clean stop on SIGTERM/SIGINT, SIGHUP with a broken config.

use std::time::Duration;

use sbc_lab::{Lab, Ns, SbcProcess, Signal, SippTransport, StandardConfig};

/// A lab with the daemon running on the standard config.
fn standard_lab() -> (Lab, SbcProcess) {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_standard_sbc()
        .expect("start sbc with the standard config");
    (lab, sbc)
}

/// Asserts that sipp's OPTIONS from `ns` over `transport` got its 200.
fn assert_options_ok(lab: &Lab, sbc: &SbcProcess, ns: Ns, transport: SippTransport) {
    let outcome = lab.sipp_options(ns, transport).expect("run sipp");
    assert!(
        outcome.success(),
        "OPTIONS from {ns} over {transport:?} not answered 200:\n{}\n--- sbc log:\n{}",
        outcome.report(),
        sbc.log_tail()
    );
}

#[test]
fn options_over_udp_is_answered_200() {
    let (lab, mut sbc) = standard_lab();
    assert_options_ok(&lab, &sbc, Ns::Carrier, SippTransport::Udp);
    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn options_over_tcp_is_answered_200() {
    let (lab, mut sbc) = standard_lab();
    assert_options_ok(&lab, &sbc, Ns::Carrier, SippTransport::Tcp);
    assert!(sbc.is_running());
}

#[test]
fn options_from_the_inside_is_answered_200() {
    let (lab, _sbc) = standard_lab();
    let code = lab
        .options_udp(Ns::Pbx, Duration::from_secs(3))
        .expect("send OPTIONS from pbx");
    assert_eq!(code, Some(200), "raw OPTIONS from pbx to 10.91.2.1:5060");
}

#[test]
fn sigterm_stops_with_exit_code_0_within_5s() {
    let (_lab, mut sbc) = standard_lab();
    sbc.signal(Signal::Term).expect("send SIGTERM");
    let status = sbc
        .wait_exit(Duration::from_secs(5))
        .expect("sbc exits after SIGTERM");
    assert_eq!(
        status.code(),
        Some(0),
        "exit status {status}; log:\n{}",
        sbc.log_tail()
    );
}

#[test]
fn sigint_stops_with_exit_code_0_within_5s() {
    let (_lab, mut sbc) = standard_lab();
    sbc.signal(Signal::Int).expect("send SIGINT");
    let status = sbc
        .wait_exit(Duration::from_secs(5))
        .expect("sbc exits after SIGINT");
    assert_eq!(
        status.code(),
        Some(0),
        "exit status {status}; log:\n{}",
        sbc.log_tail()
    );
}

#[test]
fn sighup_with_an_invalid_config_keeps_the_old_one() {
    let (lab, mut sbc) = standard_lab();
    let broken = StandardConfig::default()
        .extra("\n[[trunk]]\nname = \"broken\"\nrealm = \"outside\"\npeers = [\"udp:10.0.0.300:5060\"]\n")
        .render();
    sbc.write_config(&broken).expect("write broken config");
    let mark = sbc.log_mark();

    sbc.signal(Signal::Hup).expect("send SIGHUP");

    sbc.wait_for_log(mark, "10.0.0.300", Duration::from_secs(5))
        .expect("the log names the invalid value after SIGHUP");
    assert!(sbc.is_running(), "sbc died on reload:\n{}", sbc.log_tail());
    assert_options_ok(&lab, &sbc, Ns::Carrier, SippTransport::Udp);
}

#[test]
fn sighup_with_unparseable_config_keeps_running() {
    let (lab, mut sbc) = standard_lab();
    sbc.write_config("[system\nname = \"unterminated")
        .expect("write unparseable config");

    sbc.signal(Signal::Hup).expect("send SIGHUP");

    // The reload happens asynchronously; give it time to fail before probing.
    std::thread::sleep(Duration::from_millis(500));
    assert!(sbc.is_running(), "sbc died on reload:\n{}", sbc.log_tail());
    assert_options_ok(&lab, &sbc, Ns::Carrier, SippTransport::Udp);
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
