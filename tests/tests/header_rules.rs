//! Header manipulation rules (`[[trunk.rule]]`) in one real call, both directions: the
//! carrier dials 4930123; its trunk's inbound rule makes the Request-URI user E.164
//! (+4930123) before routing; the pbx trunk's outbound rules make it national (030123),
//! add a header, remove the User-Agent and copy the caller's P-Asserted-Identity from the
//! other leg (`${other.P-Asserted-Identity}`: the carrier is not trusted, so the SBC
//! would not relay it); the carrier trunk's outbound rules add headers to the 200 of the
//! INVITE, one read from the pbx's 200 (`${other.X-Pbx-Name}`). sipp checks each on both
//! ends (`ereg check_it`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT};
use sbc_lab::{Lab, Ns, StandardConfig};

fn sip_addr(ip: Ipv4Addr) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), SIP_PORT)
}

const CARRIER_RULES: &str = r#"
[[trunk.rule]]
direction = "inbound"
method = "INVITE"
action = "replace"
header = "Request-URI"
uri_part = "user"
match = '^49(\d+)$'
value = "+49$1"

[[trunk.rule]]
method = "INVITE"
status = "2xx"
action = "set"
header = "X-Answered"
value = "pbx answered"

[[trunk.rule]]
method = "INVITE"
status = "2xx"
action = "set"
header = "X-Answered-By"
value = "by ${other.X-Pbx-Name}"
"#;

const PBX_RULES: &str = r#"
[[trunk.rule]]
action = "replace"
header = "Request-URI"
uri_part = "user"
match = '^\+49(\d+)$'
value = "0$1"

[[trunk.rule]]
method = "INVITE"
action = "add"
header = "X-Carrier-Profile"
value = "lab-rules"

[[trunk.rule]]
message = "request"
action = "remove"
header = "User-Agent"

[[trunk.rule]]
method = "INVITE"
message = "request"
action = "set"
header = "P-Asserted-Identity"
value = "${other.P-Asserted-Identity}"
"#;

#[test]
fn rules_rewrite_a_call_both_ways() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys(CARRIER_RULES)
        .pbx_keys(PBX_RULES)
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let uas = lab
        .sipp(Ns::Pbx, "rules_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    // The callee binds its socket at start; give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "rules_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee ends");
    let running = sbc.is_running();
    let report = || {
        format!(
            "\n===== caller: {}\n===== callee: {}\n===== sbc:\n{}",
            uac.report(),
            uas.report(),
            sbc.log_tail()
        )
    };
    assert!(uac.success(), "caller failed:{}", report());
    assert!(uas.success(), "callee failed:{}", report());
    assert!(running, "{}", report());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
