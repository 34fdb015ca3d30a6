//! `[firewall]`: defaults, every key read, and each bad value reported with its key path.

use sbc_config::{Cidr, Config, FirewallPolicy};

const BASE: &str = r#"[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"
"#;

fn with(firewall: &str) -> Result<Config, Vec<String>> {
    Config::from_toml_str(&format!("{BASE}[firewall]\n{firewall}"), "/etc/sbc")
        .map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

#[test]
fn defaults_suit_an_appliance() {
    let c = Config::from_toml_str(BASE, "/etc/sbc").expect("valid");
    let f = c.firewall();
    assert!(f.enabled);
    assert_eq!(f.table, "sbc");
    assert_eq!(f.policy, FirewallPolicy::Drop);
    assert!(f.allow.is_empty() && f.deny.is_empty() && f.unban.is_empty());
    assert_eq!((f.sip_rate, f.sip_burst), (100, 200));
    assert_eq!(f.ban_seconds, 3600);
    assert_eq!(f.ban_after_auth_failures, 5);
    assert_eq!(f.ban_requests_per_second, 50);
    assert_eq!(f.pinhole_seconds, 120);
    assert!(f.is_scanner("friendly-scanner"));
    assert!(f.is_scanner("SIPVicious 0.3.4"));
    assert!(!f.is_scanner("Linphone/5.2 (belle-sip/5.2)"));
}

#[test]
fn every_key_is_read() {
    let c = with(
        r#"enabled = false
table = "edge"
policy = "reject"
allow = ["10.0.0.0/8", "2001:db8::1"]
deny = ["192.0.2.0/24"]
sip_rate = 20
sip_burst = 40
ban_seconds = 60
ban_after_auth_failures = 0
ban_requests_per_second = 0
scanner_user_agents = ["EvilScan"]
unban = ["203.0.113.9"]
pinhole_seconds = 30
"#,
    )
    .expect("valid");
    let f = c.firewall();
    assert!(!f.enabled);
    assert_eq!(f.table, "edge");
    assert_eq!(f.policy, FirewallPolicy::Reject);
    let cidr = |s: &str| s.parse::<Cidr>().expect("cidr");
    assert_eq!(f.allow, [cidr("10.0.0.0/8"), cidr("2001:db8::1/128")]);
    assert_eq!(f.deny, [cidr("192.0.2.0/24")]);
    assert!(f.allows("10.1.2.3".parse().expect("ip")));
    assert!(!f.allows("192.0.2.1".parse().expect("ip")));
    assert_eq!((f.sip_rate, f.sip_burst, f.ban_seconds), (20, 40, 60));
    assert_eq!(
        (f.ban_after_auth_failures, f.ban_requests_per_second),
        (0, 0)
    );
    assert!(f.is_scanner("evilscan/1.0") && !f.is_scanner("friendly-scanner"));
    assert_eq!(
        f.unban,
        ["203.0.113.9".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert_eq!(f.pinhole_seconds, 30);
}

#[test]
fn bad_values_name_their_key() {
    let got = with(
        r#"policy = "accept"
allow = ["10.0.0.0/8", "10.0.0.1/8"]
deny = ["300.1.1.1"]
sip_rate = 0
sip_burst = -1
ban_seconds = 0
ban_after_auth_failures = 1001
ban_requests_per_second = -5
scanner_user_agents = ["ok", " "]
unban = ["nope"]
pinhole_seconds = 5
"#,
    )
    .expect_err("invalid");
    assert_eq!(
        got,
        [
            r#"firewall.policy: invalid value "accept" (expected "drop" or "reject")"#,
            r#"firewall.allow[1]: invalid CIDR "10.0.0.1/8": host bits set (the network is 10.0.0.0/8)"#,
            r#"firewall.deny[0]: invalid CIDR "300.1.1.1": "300.1.1.1" is not an IP address"#,
            "firewall.sip_rate: 0 is out of range 1..=1000000",
            "firewall.sip_burst: -1 is out of range 1..=1000000",
            "firewall.ban_seconds: 0 is out of range 1..=2592000",
            "firewall.ban_after_auth_failures: 1001 is out of range 0..=1000",
            "firewall.ban_requests_per_second: -5 is out of range 0..=1000000",
            "firewall.pinhole_seconds: 5 is out of range 10..=86400",
            "firewall.scanner_user_agents[1]: must not be empty",
            r#"firewall.unban[0]: invalid IP address "nope""#,
        ]
    );
}
