//! Registration through the real SBC: the SBC registering itself at a carrier with digest
//! authentication, and phones registering through it.

use std::time::Duration;

use sbc_lab::topology::{CARRIER_IP, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

#[test]
fn the_sbc_registers_at_the_carrier_with_digest() {
    let lab = Lab::new().expect("create lab");
    let registrar = lab
        .sipp(
            Ns::Carrier,
            "registrar_digest_uas.xml",
            sip_addr(CARRIER_IP),
        )
        .listen()
        .timeout(Duration::from_secs(15))
        .spawn()
        .expect("start the registrar");
    std::thread::sleep(Duration::from_millis(300));
    let config = StandardConfig::default()
        .without_routes()
        .render()
        .replace(
            "[[trunk]]\nname = \"pbx\"",
            "[trunk.register]\nuser = \"sbc-trunk\"\npassword = \"s3cret\"\ndomain = \"carrier.example\"\nexpires = 600\n\n[[trunk]]\nname = \"pbx\"",
        );
    assert!(
        config.contains("[trunk.register]"),
        "the carrier trunk gets a registration:\n{config}"
    );
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let outcome = registrar.finish().expect("registrar");
    assert!(
        outcome.success(),
        "the registrar did not see valid credentials:\n{}\n--- sbc:\n{}",
        outcome.report(),
        sbc.log_tail()
    );
    sbc.wait_for_log(0, "registration registered", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", sbc.log_tail()));
    // The REGISTER the registrar saw carries the SBC's outside address, nothing inside.
    assert!(
        !outcome.messages.contains("10.91.2."),
        "{}",
        outcome.messages
    );
}

#[test]
fn a_phone_registers_through_the_sbc_and_gets_a_call_from_the_pbx() {
    use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP};
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default().without_routes().render().replace(
        "name = \"outside\"\n",
        "name = \"outside\"\nopen = true\nregistrar = \"pbx\"\n",
    );
    assert!(config.contains("registrar = \"pbx\""), "{config}");
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx = lab
        .sipp(Ns::Pbx, "registrar_then_call.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start the pbx registrar");
    std::thread::sleep(Duration::from_millis(300));
    let phone_port = ["-p", "5070"];
    let register = lab
        .sipp(
            Ns::Carrier,
            "phone_register_uac.xml",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .args(phone_port)
        .timeout(Duration::from_secs(10))
        .recv_timeout(Duration::from_secs(5))
        .run()
        .expect("phone registers");
    assert!(
        register.success(),
        "REGISTER failed:\n{}\n--- sbc:\n{}",
        register.report(),
        sbc.log_tail()
    );
    let answer = lab
        .sipp(Ns::Carrier, "phone_answer_uas.xml", sip_addr(CARRIER_IP))
        .listen()
        .args(phone_port)
        .timeout(Duration::from_secs(15))
        .run()
        .expect("phone answers");
    let pbx = pbx.finish().expect("pbx");
    assert!(
        answer.success(),
        "the phone got no call:\n{}\n--- pbx:\n{}\n--- sbc:\n{}",
        answer.report(),
        pbx.report(),
        sbc.log_tail()
    );
    assert!(
        pbx.success(),
        "the pbx call failed:\n{}\n--- sbc:\n{}",
        pbx.report(),
        sbc.log_tail()
    );
    // The PBX never saw the phone's address or its product banner in any header. (SDP
    // lines are left out: session descriptions are rewritten by the media plane.)
    let headers: String = pbx
        .messages
        .lines()
        .filter(|l| {
            !(l.len() > 1 && l.as_bytes()[1] == b'=' && l.as_bytes()[0].is_ascii_lowercase())
        })
        .collect::<Vec<_>>()
        .join("\n");
    for leak in ["10.91.1.", "DeskPhone-secret"] {
        assert!(!headers.contains(leak), "pbx saw {leak:?}:\n{headers}");
    }
}
