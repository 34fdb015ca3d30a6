//! REFER through the real daemon, on trunks with the default `refer = "reject"`: a sipp
//! carrier's in-dialog REFER (a blind transfer) gets 403 from the SBC, the PBX never
//! sees it, and the call goes on to a normal BYE from the caller. (Transfers completed
//! by the SBC, `refer = "handle"`, are not built yet.)

use std::time::Duration;

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
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
