//! Hostile DNS answers for trunk names (issue 16, "Bad input") against the real binary:
//! `tools/bad_dns.py` in the pbx namespace is the sbc namespace's only DNS server, and
//! answers `loop1.lab.test` with a CNAME loop, never answers `slow.lab.test`, and gives
//! `self.lab.test` the SBC's own inside address. Three trunks are named so.
//!
//! Proven: each bad name is refused with a log line (the loop and the silent server as
//! names that do not resolve, the SBC's own address as a record ignored), and none of it
//! blocks signalling: once the resolver is waiting for the silent server, a call between
//! two trunks with IP peers completes within sipp's 10 s receive timeout.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::dns::NetnsResolvConf;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

const WAIT: Duration = Duration::from_secs(20);

const TRUNKS: &str = r#"
[[trunk]]
name = "looping"
realm = "inside"
peers = ["loop1.lab.test"]

[[trunk]]
name = "silent"
realm = "inside"
peers = ["slow.lab.test"]

[[trunk]]
name = "mirror"
realm = "inside"
peers = ["self.lab.test"]
"#;

#[test]
fn looping_silent_and_self_pointing_answers_are_refused_and_calls_go_on() {
    let lab = Lab::new().expect("create lab");
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/bad_dns.py");
    let dns = lab
        .spawn(
            Ns::Pbx,
            &[
                "python3".to_owned(),
                tool.display().to_string(),
                format!("--listen={PBX_IP}"),
                format!("--self={SBC_INSIDE_IP}"),
            ],
        )
        .expect("start bad_dns.py");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !dns.stdout().contains("note ready") {
        assert!(Instant::now() < deadline, "bad_dns.py: {}", dns.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let _resolv = NetnsResolvConf::create(&lab.ns_name(Ns::Sbc), PBX_IP).expect("sbc resolv.conf");
    let config = StandardConfig::default().extra(TRUNKS).render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");

    // The resolver asks about the loop first, then waits for the silent server (3 s per
    // attempt, 3 attempts): a call now must not wait for it (sipp gives up after 10 s
    // without an answer).
    let deadline = Instant::now() + WAIT;
    while !dns.stdout().contains("query slow.lab.test") {
        assert!(
            Instant::now() < deadline,
            "slow.lab.test never asked:\n{}",
            dns.stdout()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("callee ends");
    assert!(
        uac.success() && uas.success(),
        "the call failed:\n{}\n{}\n{}",
        uac.report(),
        uas.report(),
        sbc.log_tail()
    );
    // Each bad answer ends in a log line.
    sbc.wait_for_log(0, "DNS: a record points at the SBC itself; ignored", WAIT)
        .unwrap_or_else(|e| panic!("self.lab.test: {e}\n{}", sbc.log_tail()));
    sbc.wait_for_log(0, "NAPTR lookup of slow.lab.test failed", WAIT)
        .unwrap_or_else(|e| panic!("slow.lab.test: {e}\n{}", sbc.log_tail()));
    let log = sbc.log();
    let line = |name: &str| {
        log.lines()
            .find(|l| l.contains("DNS: does not resolve") && l.contains(name))
            .map(str::to_owned)
    };
    let looping = line("loop1.lab.test")
        .unwrap_or_else(|| panic!("no line for the CNAME loop\n{}", sbc.log_tail()));
    // hickory follows a CNAME chain 8 deep at most: the loop ends as "no record".
    assert!(
        looping.contains("no A/AAAA record for loop1.lab.test"),
        "{looping}"
    );
    let silent = line("slow.lab.test")
        .unwrap_or_else(|| panic!("no line for the silent server\n{}", sbc.log_tail()));
    assert!(silent.contains("timed out"), "{silent}");
    assert!(sbc.is_running(), "{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
