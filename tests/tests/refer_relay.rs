//! `refer = "relay"` through the real daemon: the sipp referrer on the carrier trunk (the
//! "Teams side", `refer_handled_uac.xml`) calls the sipp PBX and transfers it to a party on
//! the carrier trunk's peer address. The SBC relays the REFER to the PBX
//! (`refer_relay_pbx_uas.xml`) with Refer-To and Referred-By naming only the SBC; the PBX
//! answers 202, NOTIFYs 100 and 200 (relayed back to the referrer), and meanwhile a second
//! sipp in the PBX namespace calls the Refer-To it got. The SBC maps that INVITE back to the
//! original Refer-To: the target (`call_uas.xml` on the carrier trunk's peer address) gets
//! an INVITE whose Request-URI is the referrer's Refer-To as sent, parameters included.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SippTransport};

/// Waits for the token the PBX scenario writes when the REFER arrives.
fn token(path: &Path, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path) {
            let t = text.trim().to_owned();
            if !t.is_empty() {
                return Some(t);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_relayed_refer_hides_the_referrer_and_maps_back_to_its_target() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("refer = \"relay\"\n")
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let token_file = lab.artifacts().unique_path("refer-token", ".txt");
    let pbx = lab
        .sipp(Ns::Pbx, "refer_relay_pbx_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(["-key".to_owned(), "token_file".to_owned()])
        .args([token_file.display().to_string()])
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp PBX");
    let target = lab
        .sipp(Ns::Carrier, "call_uas.xml", sip_addr(CARRIER_IP))
        .listen()
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp transfer target");
    std::thread::sleep(Duration::from_millis(300));
    let referrer = lab
        .sipp(
            Ns::Carrier,
            "refer_handled_uac.xml",
            sip_addr(SBC_OUTSIDE_IP),
        )
        .transport(SippTransport::Udp)
        .args(["-s", "4930123", "-p", "5062"])
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .spawn()
        .expect("start sipp referrer");
    let token = token(&token_file, Duration::from_secs(10));
    // The PBX calls the Refer-To it got, from another port of its own address.
    let transferred = token.as_ref().map(|t| {
        lab.sipp(Ns::Pbx, "call_uac.xml", sip_addr(SBC_INSIDE_IP))
            .transport(SippTransport::Udp)
            .args(["-s", t.as_str(), "-p", "5064", "-d", "300"])
            .timeout(Duration::from_secs(15))
            .recv_timeout(Duration::from_secs(10))
            .run()
            .expect("run sipp transferred call")
    });
    let referrer = referrer.finish().expect("sipp referrer");
    let pbx = pbx.finish().expect("sipp PBX");
    let target = target.finish().expect("sipp target");
    let running = sbc.is_running();
    let report = format!(
        "\n== referrer: {}\n== pbx: {}\n== transferred call: {}\n== target: {}\n== sbc:\n{}",
        referrer.report(),
        pbx.report(),
        transferred
            .as_ref()
            .map_or("never started".to_owned(), |t| t.report()),
        target.report(),
        sbc.log_tail()
    );
    let token = token.unwrap_or_else(|| panic!("the PBX got no REFER with an SBC token{report}"));
    let transferred = transferred.expect("started with the token");
    assert!(
        referrer.success(),
        "referrer: 202, NOTIFY 100 then 200, its BYE{report}"
    );
    assert!(
        pbx.success(),
        "PBX: the REFER, its NOTIFYs, the BYE{report}"
    );
    assert!(
        transferred.success(),
        "the PBX's call to the Refer-To{report}"
    );
    assert!(target.success(), "the target: a call, then its BYE{report}");

    // The REFER the PBX got names the SBC only.
    let refer = pbx.messages.split("REFER sip:").nth(1).unwrap_or_default();
    assert!(
        refer.contains(&format!("Refer-To: <sip:{token}@{SBC_INSIDE_IP}")),
        "Refer-To{report}"
    );
    assert!(
        refer.contains(&format!("@{SBC_INSIDE_IP}")) && refer.contains("Referred-By: <sip:"),
        "Referred-By{report}"
    );
    assert!(
        !pbx.messages.contains(&CARRIER_IP.to_string()),
        "the carrier side leaked to the PBX{report}"
    );
    assert!(
        !pbx.messages.contains("x-m=abc"),
        "the Refer-To leaked{report}"
    );
    // The target's INVITE: the referrer's Refer-To as sent.
    let invite = target
        .messages
        .split("INVITE sip:")
        .nth(1)
        .unwrap_or_default();
    assert!(
        invite.starts_with(&format!(
            "+4930999@{CARRIER_IP}:5060;user=phone;x-m=abc;x-t=12345 SIP/2.0"
        )),
        "the target's Request-URI{report}"
    );
    assert!(
        !target.messages.contains(&PBX_IP.to_string()),
        "the PBX leaked to the target{report}"
    );
    assert!(
        running && sbc.panics().is_empty(),
        "sbc exited or panicked{report}"
    );
}
