//! Route matching and rewriting, and trunk lookup by source address.

use std::net::IpAddr;

use sbc_config::Config;

const TEXT: &str = r#"[system]
name = "t"

[management]
listen = "127.0.0.1:8443"

[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060", "tcp:192.0.2.10:5060", "udp:[2001:db8::10]:5060"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"

[[realm]]
name = "phones"
listen = ["udp:192.0.2.11:5060"]
media_ip = "192.0.2.11"
media_ports = "20000-29999"
open = true

[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060", "udp:127.0.0.1:5070"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"

[[realm]]
name = "lab"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "40000-40999"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060", "tcp:198.51.100.21:5060", "udp:[2001:db8::20]:5060"]

[[trunk]]
name = "carrier-b"
realm = "outside"
peers = ["udp:198.51.100.30:5060"]

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060", "udp:127.0.0.1:5090"]

[[trunk]]
name = "sipp"
realm = "lab"
peers = ["udp:127.0.0.1:5080"]

# German numbers to the PBX, nationally.
[[route]]
from = "carrier"
match_user = "^\\+?49(\\d+)$"
rewrite_user = "0$1"
to = "pbx"

# Other numbers from the carrier: international format.
[[route]]
from = "carrier"
match_user = "^\\+(\\d+)$"
rewrite_user = "00$1"
to = "pbx"

# Anything else arriving in the outside realm (carrier-b, or the carrier's non-numbers).
[[route]]
from = "outside"
to = "pbx"

# Phones dial 3-digit extensions only.
[[route]]
from = "phones"
match_user = "^\\d{3}$"
to = "pbx"

[[route]]
from = "pbx"
match_user = "^(0)?(\\d+)$"
rewrite_user = "+49$2"
to = "carrier"
"#;

fn config() -> Config {
    Config::from_toml_str(TEXT, "/etc/sbc").expect("valid test config")
}

fn route(c: &Config, from: &str, user: &str) -> Option<(String, String)> {
    c.route_for(from, user).map(|(r, u)| (r.to.clone(), u))
}

fn some(to: &str, user: &str) -> Option<(String, String)> {
    Some((to.to_owned(), user.to_owned()))
}

#[test]
fn first_matching_route_in_file_order_wins() {
    let c = config();
    assert_eq!(route(&c, "carrier", "+493012345"), some("pbx", "03012345"));
    assert_eq!(route(&c, "carrier", "493012345"), some("pbx", "03012345"));
    assert_eq!(route(&c, "carrier", "+4412345"), some("pbx", "004412345"));
    let (r, _) = c.route_for("carrier", "+4412345").expect("route");
    assert_eq!(
        r.match_user.as_ref().map(|p| p.as_str()),
        Some(r"^\+(\d+)$")
    );
    assert_eq!(r.rewrite_user.as_ref().map(|w| w.as_str()), Some("00$1"));
}

#[test]
fn a_realm_route_covers_the_realms_trunks() {
    let c = config();
    assert_eq!(route(&c, "carrier", "anonymous"), some("pbx", "anonymous"));
    assert_eq!(
        route(&c, "carrier-b", "+493012345"),
        some("pbx", "+493012345")
    );
    assert_eq!(route(&c, "outside", "x"), some("pbx", "x"));
}

#[test]
fn realm_sources_and_misses() {
    let c = config();
    assert_eq!(route(&c, "phones", "201"), some("pbx", "201"));
    assert_eq!(route(&c, "phones", "0049301234"), None, "no route: refused");
    assert_eq!(route(&c, "pbx", "03012345"), some("carrier", "+493012345"));
    assert_eq!(route(&c, "pbx", "3012345"), some("carrier", "+493012345"));
    assert_eq!(route(&c, "pbx", "abc"), None);
    assert_eq!(
        route(&c, "inside", "030"),
        None,
        "pbx routes are not realm routes"
    );
    assert_eq!(route(&c, "nobody", "030"), None);
}

#[test]
fn trunk_for_source_ignores_port_and_transport() {
    let c = config();
    let ip = |s: &str| s.parse::<IpAddr>().expect("test address");
    let name = |ip: IpAddr| c.trunk_for_source(ip).map(|t| t.name.as_str());
    assert_eq!(name(ip("198.51.100.20")), Some("carrier"));
    assert_eq!(
        name(ip("198.51.100.21")),
        Some("carrier"),
        "tcp peer, any port"
    );
    assert_eq!(
        name(ip("::ffff:198.51.100.20")),
        Some("carrier"),
        "v4-mapped"
    );
    assert_eq!(name(ip("2001:db8::20")), Some("carrier"));
    assert_eq!(name(ip("198.51.100.30")), Some("carrier-b"));
    assert_eq!(name(ip("10.0.0.20")), Some("pbx"));
    assert_eq!(name(ip("203.0.113.99")), None);
}

#[test]
fn a_peer_ip_shared_across_realms_needs_the_realm() {
    let c = config();
    let lo = IpAddr::from([127, 0, 0, 1]);
    assert!(
        c.trunk_for_source(lo).is_none(),
        "pbx and sipp share 127.0.0.1"
    );
    let name = |realm: &str| c.trunk_for_source_in(realm, lo).map(|t| t.name.as_str());
    assert_eq!(name("inside"), Some("pbx"));
    assert_eq!(name("lab"), Some("sipp"));
    assert_eq!(name("outside"), None);

    let local = "udp:127.0.0.1:5070".parse().expect("listener");
    let realm = c.realm_for_listener(&local).expect("a realm listens there");
    assert_eq!(realm.name, "inside");
    let t = c.trunk("pbx").expect("pbx");
    assert_eq!(c.realm_of(t).name, "inside");
    assert!(t.has_peer_ip(lo) && t.allows_codec(sbc_config::Codec::Opus));
}
