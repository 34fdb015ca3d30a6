//! Trunk peers by name (issue 16, items 1 and 7) against a real DNS server: Debian's
//! dnsmasq in the pbx namespace serves `lab.test` (NAPTR, SRV and A records; names it
//! does not know are NXDOMAIN), and the sbc namespace's resolver points at it through
//! `/etc/netns/<sbc ns>/resolv.conf` (which `ip netns exec` mounts over /etc/resolv.conf;
//! created here and removed on drop, also on failure).
//!
//! The pbx trunk's only peer is `pbx.lab.test`: NAPTR `SIP+D2U` → `_sip._udp.pbx.lab.test`
//! SRV → `pbx1.lab.test:5062` (priority 10, a silent UDP socket) and `pbx2.lab.test:5060`
//! (priority 20, the sipp callee). Proven, with the firewall on:
//! - the status API lists both targets in SRV order with priority, weight, TTL and record;
//! - a call tries the SRV's first target and, as it stays silent past
//!   `invite_timeout_ms`, completes on the second;
//! - after `pbx1.lab.test` moves to 10.91.2.3 (hosts file changed, dnsmasq SIGHUPed; TTLs
//!   are 2 s) the SBC follows: the API and `nft list table` show the new address and the
//!   next call is answered there, at once;
//! - a trunk whose name does not exist is down, with the reason, in the status API.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use sbc_lab::config::MGMT_LISTEN;
use sbc_lab::dns::NetnsResolvConf;
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, StandardConfig, cmd};

const PASSWORD: &str = "lab-admin-password-42";
const WAIT: Duration = Duration::from_secs(20);
const TABLE: &str = "sbc";
const MOVED_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 2, 3);

/// Reads datagrams on 10.91.2.2:5062, prints each request's method, answers nothing.
const SILENT_PEER: &str = "import socket\n\
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
s.bind(('10.91.2.2', 5062))\n\
print('ready', flush=True)\n\
while True:\n    d, a = s.recvfrom(65535)\n    print(d.split(b' ', 1)[0].decode(errors='replace'), flush=True)\n";

fn hosts(pbx1: Ipv4Addr) -> String {
    format!("{pbx1} pbx1.lab.test\n{PBX_IP} pbx2.lab.test\n")
}

/// One HTTPS request with curl in the sbc namespace (cookie jar in the lab's dir): status
/// and body.
fn curl(lab: &Lab, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let jar = lab.dir().join("cookies").display().to_string();
    let mut argv: Vec<String> = ["curl", "-sk", "--max-time", "20", "-c", &jar, "-b", &jar]
        .into_iter()
        .map(String::from)
        .collect();
    argv.extend([
        "-X".into(),
        method.into(),
        "-w".into(),
        "\n%{http_code}".into(),
    ]);
    if let Some(b) = body {
        argv.extend([
            "-H".into(),
            "content-type: application/json".into(),
            "--data-binary".into(),
            b.into(),
        ]);
    }
    argv.push(format!("https://{MGMT_LISTEN}{path}"));
    let out = lab.exec_ok(Ns::Sbc, &argv).expect("curl runs");
    let (body, status) = out.rsplit_once('\n').expect("status line");
    (
        status.trim().parse().expect("numeric status"),
        body.to_owned(),
    )
}

fn login(lab: &Lab, sbc: &SbcProcess) {
    sbc.wait_for_log(0, "management on https://", WAIT)
        .expect("management listens");
    let token_file = sbc
        .config_path()
        .parent()
        .expect("dir")
        .join("state/setup-token");
    let deadline = Instant::now() + WAIT;
    let token = loop {
        match std::fs::read_to_string(&token_file) {
            Ok(t) if !t.trim().is_empty() => break t.trim().to_owned(),
            _ => assert!(
                Instant::now() < deadline,
                "no setup token\n{}",
                sbc.log_tail()
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let body = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
    assert_eq!(curl(lab, "POST", "/api/setup", Some(&body)).0, 204);
    let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
    let (status, text) = curl(lab, "POST", "/api/login", Some(&body));
    assert_eq!(status, 200, "{text}");
}

/// The JSON object of trunk `name` in `/api/status`.
fn trunk_status(lab: &Lab, name: &str) -> serde_json::Value {
    let (status, body) = curl(lab, "GET", "/api/status", None);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("status is JSON");
    v["trunks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == name).cloned())
        .unwrap_or_else(|| panic!("no trunk {name} in {body}"))
}

/// The addresses (`ip:port`) trunk `name`'s first name resolved to, in order.
fn targets(lab: &Lab, name: &str) -> Vec<String> {
    trunk_status(lab, name)["names"][0]["targets"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|x| format!("{}:{}", x["address"].as_str().unwrap_or("?"), x["port"]))
                .collect()
        })
        .unwrap_or_default()
}

fn wait_for_targets(lab: &Lab, sbc: &SbcProcess, want: &[String]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = targets(lab, "pbx");
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "targets {got:?}, expected {want:?}\n{}\n{}",
            trunk_status(lab, "pbx"),
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn call(lab: &Lab) -> sbc_lab::sipp::SippOutcome {
    lab.sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller")
}

#[test]
fn a_trunk_by_name_follows_naptr_srv_and_a_records_as_they_change() {
    let lab = Lab::new().expect("create lab");
    if Command::new("dnsmasq").arg("--version").output().is_err() {
        panic!("dnsmasq is missing: apt-get install dnsmasq-base (scripts/setup does)");
    }
    cmd::run_ok(Command::new("ip").args([
        "-n",
        &lab.ns_name(Ns::Pbx),
        "addr",
        "add",
        &format!("{MOVED_IP}/24"),
        "dev",
        "eth0",
    ]))
    .expect("second pbx address");
    let hosts_file = lab.dir().join("dns-hosts");
    std::fs::write(&hosts_file, hosts(PBX_IP)).expect("hosts file");
    let dnsmasq_args = [
        "dnsmasq".to_owned(),
        "--keep-in-foreground".into(),
        "--log-queries".into(),
        "--log-facility=-".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--bind-interfaces".into(),
        format!("--listen-address={PBX_IP}"),
        "--local=/lab.test/".into(),
        "--local-ttl=2".into(),
        format!("--addn-hosts={}", hosts_file.display()),
        "--naptr-record=pbx.lab.test,10,10,s,SIP+D2U,,_sip._udp.pbx.lab.test".into(),
        "--srv-host=_sip._udp.pbx.lab.test,pbx1.lab.test,5062,10,60".into(),
        "--srv-host=_sip._udp.pbx.lab.test,pbx2.lab.test,5060,20,40".into(),
        "--user=root".into(),
        format!("--pid-file={}", lab.dir().join("dnsmasq.pid").display()),
    ];
    let dnsmasq = lab.spawn(Ns::Pbx, &dnsmasq_args).expect("start dnsmasq");
    let _resolv = NetnsResolvConf::create(&lab.ns_name(Ns::Sbc), PBX_IP)
        .expect("resolv.conf of the sbc namespace");
    let mut silent = lab
        .spawn(Ns::Pbx, &["python3", "-c", SILENT_PEER])
        .expect("start the silent peer");

    let config = StandardConfig::default().firewall(true).render().replace(
        &format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]"),
        "peers = [\"pbx.lab.test\"]\ninvite_timeout_ms = 1500",
    ) + "\n[[trunk]]\nname = \"ghost\"\nrealm = \"inside\"\npeers = [\"ghost.lab.test\"]\n";
    assert!(config.contains("pbx.lab.test"), "{config}");
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    login(&lab, &sbc);

    // Resolved in SRV order, with what the API tells about each target.
    let first = vec![format!("{PBX_IP}:5062"), format!("{PBX_IP}:5060")];
    wait_for_targets(&lab, &sbc, &first);
    let pbx = trunk_status(&lab, "pbx");
    let t0 = &pbx["names"][0]["targets"][0];
    assert_eq!(pbx["names"][0]["name"], "pbx.lab.test", "{pbx}");
    assert_eq!(pbx["names"][0]["state"], "resolved", "{pbx}");
    assert_eq!(
        (t0["priority"].as_u64(), t0["weight"].as_u64()),
        (Some(10), Some(60)),
        "{pbx}"
    );
    assert_eq!(t0["transport"], "udp", "{pbx}");
    assert!(t0["ttl_left"].as_u64().is_some_and(|t| t <= 2), "{pbx}");
    assert!(
        t0["source"]
            .as_str()
            .is_some_and(|s| s.contains("_sip._udp.pbx.lab.test SRV")),
        "{pbx}"
    );
    assert!(pbx["down"].is_null(), "{pbx}");

    // The unresolvable trunk is down, saying why.
    let ghost = trunk_status(&lab, "ghost");
    let down = ghost["down"].as_str().unwrap_or_default().to_owned();
    assert!(down.contains("ghost.lab.test"), "{ghost}");
    assert_eq!(ghost["names"][0]["state"], "failed", "{ghost}");

    // A call: the first SRV target is silent, the second answers.
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(1)
        .timeout(Duration::from_secs(60))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = call(&lab);
    let uas = uas.finish().expect("callee ends");
    assert!(
        uac.success(),
        "caller failed:\n{}\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(uas.success(), "callee failed:\n{}", uas.report());
    let invites = |heard: &str| heard.lines().filter(|l| *l == "INVITE").count();
    let tried_first = invites(&silent.stdout());
    assert!(tried_first >= 1, "the first SRV target was tried first");
    let table = lab.nft_table(TABLE).expect("nft").expect("our table");
    assert!(table.contains(&PBX_IP.to_string()), "{table}");
    assert!(!table.contains(&MOVED_IP.to_string()), "{table}");

    // pbx1.lab.test moves; after its 2 s TTL the SBC follows.
    std::fs::write(&hosts_file, hosts(MOVED_IP)).expect("hosts file");
    cmd::run_ok(Command::new("kill").args(["-HUP", &dnsmasq.pid().to_string()]))
        .expect("SIGHUP dnsmasq");
    let moved = vec![format!("{MOVED_IP}:5062"), format!("{PBX_IP}:5060")];
    wait_for_targets(&lab, &sbc, &moved);
    let deadline = Instant::now() + WAIT;
    let table = loop {
        let table = lab.nft_table(TABLE).expect("nft").expect("our table");
        if table.contains(&MOVED_IP.to_string()) || Instant::now() > deadline {
            break table;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        table.contains(&MOVED_IP.to_string()),
        "the firewall follows:\n{table}"
    );

    // The next call goes to the moved first target and is answered there at once.
    let uas = lab
        .sipp(
            Ns::Pbx,
            "call_uas.xml",
            SocketAddr::new(IpAddr::V4(MOVED_IP), 5062),
        )
        .local_ip(IpAddr::V4(MOVED_IP))
        .args(["-p", "5062"])
        .listen()
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee on the moved address");
    std::thread::sleep(Duration::from_millis(300));
    let uac = call(&lab);
    let uas = uas.finish().expect("callee ends");
    assert!(
        uac.success(),
        "caller failed:\n{}\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(uas.success(), "moved callee failed:\n{}", uas.report());

    silent.kill();
    let heard = silent.stdout();
    // Its INVITE and the retransmissions before `invite_timeout_ms`, nothing since.
    assert_eq!(
        invites(&heard),
        tried_first,
        "only the first call tried the silent target:\n{heard}"
    );
    assert!(sbc.is_running(), "{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
