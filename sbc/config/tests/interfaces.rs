//! Interface names in place of addresses, and the appliance's first-boot config
//! (`image/rootfs/usr/share/sbc/sbc.toml`), which names eth0 because DHCP gives the address.

use std::net::IpAddr;
use std::path::Path;

use sbc_config::{Config, Interfaces};
use sbc_core::Transport;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn appliance() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../image/rootfs/usr/share/sbc/sbc.toml");
    std::fs::read_to_string(path).expect("the appliance config is readable")
}

#[test]
fn the_appliance_config_takes_eth0s_address() {
    let eth0 = Interfaces::from_pairs([
        ("lo".to_owned(), ip("127.0.0.1")),
        ("eth0".to_owned(), ip("fe80::5054:ff:fe12:3456")),
        ("eth0".to_owned(), ip("10.0.2.15")),
    ]);
    let c = Config::from_toml_str_with(&appliance(), "/data/sbc", &eth0)
        .unwrap_or_else(|e| panic!("valid:\n{e}"));
    let realm = &c.realms()[0];
    assert_eq!(realm.media_ip, ip("10.0.2.15"));
    let listen: Vec<_> = realm.listen.iter().map(|l| l.to_string()).collect();
    assert_eq!(listen, ["udp:10.0.2.15:5060", "tcp:10.0.2.15:5060"]);
    assert!(realm.listen.iter().any(|l| l.transport == Transport::Tcp));
    assert!(c.management().listen.ip().is_unspecified());
    assert!(c.firewall().enabled);
    // Management is open to private networks only.
    for allowed in [
        "10.1.2.3",
        "192.168.1.10",
        "172.16.0.5",
        "fd00::1",
        "fe80::1",
    ] {
        assert!(c.management().allows(ip(allowed)), "{allowed}");
    }
    for refused in ["8.8.8.8", "2001:db8::1"] {
        assert!(!c.management().allows(ip(refused)), "{refused}");
    }
    assert_eq!(c.interfaces(), &eth0);
}

#[test]
fn an_unknown_interface_or_one_without_an_address_is_an_error_naming_the_key() {
    let e = Config::from_toml_str(&appliance(), "/data/sbc")
        .expect_err("no interface table: eth0 is unknown")
        .to_string();
    assert!(
        e.contains("realm[0].listen[0]: unknown interface \"eth0\" (this host has: none known)"),
        "{e}"
    );
    assert!(
        e.contains("realm[0].media_ip: unknown interface \"eth0\""),
        "{e}"
    );
    let link_local_only = Interfaces::from_pairs([("eth0".to_owned(), ip("fe80::1"))]);
    let e = Config::from_toml_str_with(&appliance(), "/data/sbc", &link_local_only)
        .expect_err("no usable address")
        .to_string();
    assert!(
        e.contains("realm[0].listen[0]: interface \"eth0\" has no usable address"),
        "{e}"
    );
    let other = Interfaces::from_pairs([("eth1".to_owned(), ip("192.0.2.7"))]);
    let e = Config::from_toml_str_with(&appliance(), "/data/sbc", &other)
        .expect_err("eth0 missing")
        .to_string();
    assert!(e.contains("(this host has: eth1)"), "{e}");
}

#[test]
fn addresses_still_work_and_are_not_taken_for_names() {
    let text = appliance()
        .replace("udp:eth0:5060", "udp:192.0.2.1:5060")
        .replace("tcp:eth0:5060", "tcp:[2001:db8::1]:5060")
        .replace("media_ip = \"eth0\"", "media_ip = \"192.0.2.1\"");
    let c = Config::from_toml_str(&text, "/data/sbc").unwrap_or_else(|e| panic!("valid:\n{e}"));
    assert_eq!(c.realms()[0].media_ip, ip("192.0.2.1"));
    let bad = appliance().replace("udp:eth0:5060", "udp:eth0:0");
    let eth0 = Interfaces::from_pairs([("eth0".to_owned(), ip("10.0.2.15"))]);
    let e = Config::from_toml_str_with(&bad, "/data/sbc", &eth0)
        .expect_err("port 0")
        .to_string();
    assert!(e.contains("realm[0].listen[0]"), "{e}");
}
