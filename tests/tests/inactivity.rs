//! Media inactivity ends the call: with `[media] inactivity_seconds = 2`, a call whose RTP
//! stops is ended by the SBC with a BYE on both legs, and its ports go back to the pools.
//!
//! A reload (SIGHUP) that sets the timer applies it to the calls set up after it.
//!
//! The caller (`inactivity_uac.xml`, carrier) and the callee (`inactivity_uas.xml`, PBX) each
//! run `tools/rtp.py` for 150 packets (3 s, longer than the timeout: media keeps the call up),
//! then fall silent; neither hangs up. Both scenarios succeed only if a BYE reaches them.

use std::time::Duration;

use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, Signal, StandardConfig};

/// RTP packets each side sends (20 ms apart): 3 s, more than the 2 s timeout.
const PACKETS: u32 = 150;

#[test]
fn a_silent_call_is_ended_with_bye_on_both_legs_and_the_ports_come_back() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .extra("\n[media]\ninactivity_seconds = 2\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    silent_call(&lab, &sbc);
}

#[test]
fn after_a_reload_new_calls_use_the_new_timer() {
    // Started with the default (60 s: the scenarios' 15 s receive timeout would fail the
    // call), reloaded with 2 s before the call.
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("start sbc");
    let config = StandardConfig::default()
        .extra("\n[media]\ninactivity_seconds = 2\n")
        .render();
    sbc.write_config(&config).expect("write config");
    let mark = sbc.log_mark();
    sbc.signal(Signal::Hup).expect("SIGHUP");
    sbc.wait_for_log(mark, "configuration reloaded", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no reload: {e}\n{}", sbc.log_tail()));
    silent_call(&lab, &sbc);
}

/// A call whose both sides talk for 3 s, then fall silent until the SBC's BYE reaches each
/// of them; then its ports must be back in the pools.
fn silent_call(lab: &Lab, sbc: &SbcProcess) {
    let carrier_out = lab.artifacts().unique_path("rtp-carrier", ".json");
    let pbx_out = lab.artifacts().unique_path("rtp-pbx", ".json");
    let count = ["-key".to_owned(), "rtp_count".into(), PACKETS.to_string()];
    let uas = lab
        .sipp(Ns::Pbx, "inactivity_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out)]).expect("python3"))
        .args(count.clone())
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "inactivity_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .args(tool_keys(&[("rtp_out", &carrier_out)]).expect("python3"))
        .args(count)
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(15))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "no BYE on both legs:\n--- caller\n{}\n--- callee\n{}\n--- sbc\n{}",
        uac.report(),
        uas.report(),
        sbc.log_tail()
    );
    let log = sbc.log();
    assert!(
        log.contains("media inactive") && log.contains("reason=MediaTimeout"),
        "the call was not ended for media inactivity:\n{}",
        sbc.log_tail()
    );

    // While media flowed (3 s > the 2 s timeout) the call stayed up: each side heard
    // (nearly) everything the other sent.
    let wait = Duration::from_secs(10);
    let carrier = RtpResult::wait(&carrier_out, wait).expect("carrier RTP result");
    let pbx = RtpResult::wait(&pbx_out, wait).expect("pbx RTP result");
    for (who, r) in [("carrier", &carrier), ("pbx", &pbx)] {
        assert_eq!(r.sent, u64::from(PACKETS), "{who}: {}", r.raw);
        assert!(
            r.rtp >= u64::from(PACKETS) - 10,
            "{who} heard too little while media flowed: {}\n{}",
            r.raw,
            sbc.log_tail()
        );
    }

    sbc.wait_for_log(
        0,
        "media ports free: inside 500/500, outside 500/500",
        Duration::from_secs(15),
    )
    .unwrap_or_else(|e| panic!("ports not all back: {e}\n{}", sbc.log_tail()));
}
