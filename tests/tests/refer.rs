//! REFER through the real daemon. With the default `refer = "reject"` a sipp carrier's
//! in-dialog REFER (a blind transfer) gets 403 from the SBC, the PBX never sees it, and the
//! call goes on to a normal BYE from the caller. With `refer = "handle"` on the carrier
//! trunk (the "Teams side") the SBC completes the transfer itself: 202, the NOTIFYs 100
//! then 200 (sipfrag), a new INVITE to a second sipp on the carrier side (the Refer-To host
//! is the carrier trunk's peer), the referrer's BYE answered without ending the PBX's leg,
//! and the new party's BYE relayed to the PBX.

use std::time::Duration;

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SippTransport};

#[test]
fn a_refused_transfer_keeps_the_call() {
    let lab = Lab::new().expect("create lab");
    let mut sbc = lab.start_standard_sbc().expect("start sbc");
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(
            Ns::Carrier,
            "refer_refused_uac.xml",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .transport(SippTransport::Udp)
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee");
    let running = sbc.is_running();
    let sbc = &sbc;
    let report = || {
        format!(
            "\n== caller: {}\n== callee: {}\n== sbc:\n{}",
            uac.report(),
            uas.report(),
            sbc.log_tail()
        )
    };
    assert!(
        uac.success(),
        "caller: 403 to its REFER, then the call went on{}",
        report()
    );
    assert!(uas.success(), "callee: the call and its BYE{}", report());
    assert!(
        !uas.messages.contains("REFER"),
        "the REFER reached the PBX{}",
        report()
    );
    assert!(
        uac.messages.contains("SIP/2.0 403"),
        "no 403 in the caller's trace{}",
        report()
    );
    assert!(sbc.panics().is_empty(), "sbc panicked: {:?}", sbc.panics());
    assert!(running, "sbc exited{}", report());
}

/// What a handled-transfer run leaves behind.
struct Run {
    referrer: sbc_lab::SippOutcome,
    target: sbc_lab::SippOutcome,
    pbx: sbc_lab::SippOutcome,
    report: String,
    clean: bool,
}

/// A call from the sipp referrer (carrier side, port 5062) to the sipp PBX through an SBC
/// whose carrier trunk handles REFER; `target_scenario` plays the transfer target on the
/// carrier trunk's peer address.
fn handled_transfer(referrer_scenario: &str, target_scenario: &str) -> Run {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("refer = \"handle\"\n")
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(25))
        .spawn()
        .expect("start sipp PBX");
    let target = lab
        .sipp(Ns::Carrier, target_scenario, sip_addr(CARRIER_IP))
        .listen()
        .timeout(Duration::from_secs(25))
        .spawn()
        .expect("start sipp transfer target");
    std::thread::sleep(Duration::from_millis(300));
    let referrer = lab
        .sipp(Ns::Carrier, referrer_scenario, sip_addr(SBC_OUTSIDE_IP))
        .transport(SippTransport::Udp)
        .args(["-s", "4930123", "-p", "5062"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp referrer");
    let target = target.finish().expect("sipp target");
    let pbx = pbx.finish().expect("sipp PBX");
    let running = sbc.is_running();
    let report = format!(
        "\n== referrer: {}\n== target: {}\n== pbx: {}\n== sbc:\n{}",
        referrer.report(),
        target.report(),
        pbx.report(),
        sbc.log_tail()
    );
    let clean = running && sbc.panics().is_empty();
    Run {
        referrer,
        target,
        pbx,
        report,
        clean,
    }
}

#[test]
fn a_transfer_handled_by_the_sbc_bridges_the_pbx_to_the_target() {
    let run = handled_transfer("refer_handled_uac.xml", "transfer_target_uas.xml");
    let report = &run.report;
    assert!(
        run.referrer.success(),
        "referrer: 202, NOTIFY 100 then 200, its BYE answered{report}"
    );
    assert!(
        run.target.success(),
        "target: the SBC's INVITE, then its BYE answered{report}"
    );
    assert!(
        run.pbx.success(),
        "PBX: the call, and the BYE of the transfer target{report}"
    );
    // The new INVITE: the Refer-To URI as received, Referred-By copied, the SBC's media.
    let invite = run
        .target
        .messages
        .split("INVITE sip:")
        .nth(1)
        .unwrap_or_default();
    assert!(
        invite.starts_with("+4930999@10.91.1.2:5060;user=phone;x-m=abc;x-t=12345 SIP/2.0"),
        "Request-URI{report}"
    );
    assert!(
        invite.contains("Referred-By: <sip:agent@"),
        "Referred-By{report}"
    );
    assert!(
        invite.contains(&format!("c=IN IP4 {SBC_OUTSIDE_IP}")),
        "the SBC's media address{report}"
    );
    assert!(
        !invite.contains(&PBX_IP.to_string()),
        "the PBX leaked{report}"
    );
    assert!(
        !run.pbx.messages.contains("REFER") && !run.pbx.messages.contains("NOTIFY"),
        "the PBX heard of the transfer{report}"
    );
    assert!(run.clean, "sbc exited or panicked{report}");
}

#[test]
fn a_transfer_the_target_refuses_keeps_the_call() {
    let run = handled_transfer("refer_failed_uac.xml", "busy_uas.xml");
    let report = &run.report;
    assert!(
        run.referrer.success(),
        "referrer: 202, NOTIFY 100 then 486, then its BYE ends the call{report}"
    );
    assert!(run.target.success(), "target: refused with 486{report}");
    assert!(
        run.pbx.success(),
        "PBX: the call stayed and ended with the referrer's BYE{report}"
    );
    assert!(run.clean, "sbc exited or panicked{report}");
}
