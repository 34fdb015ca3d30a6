//! Interface names in place of addresses: `listen = ["udp:eth0:5060"]`,
//! `media_ip = "eth0"`.
//!
//! An appliance gets its address from DHCP, so its configuration cannot name it. It names
//! the interface instead, and validation looks the name up in an [`Interfaces`] table: the
//! addresses each interface had when the daemon read them (the daemon owns that IO and
//! passes the table to [`Config::load_with`](crate::Config::load_with)). The first IPv4
//! address of the interface is used, else its first IPv6 address that is not link-local.
//! A configuration validated against one table keeps it ([`Config::interfaces`](crate::Config::interfaces)),
//! so that edits made through management resolve names the same way. A changed address is
//! picked up at the next start (listeners are bound at start).

use std::collections::BTreeMap;
use std::net::IpAddr;

/// Interface name to its addresses, in the order the system listed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interfaces {
    by_name: BTreeMap<String, Vec<IpAddr>>,
}

impl Interfaces {
    /// A table of `(name, address)` pairs, as the system lists them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, IpAddr)>) -> Self {
        let mut by_name: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
        for (name, ip) in pairs {
            by_name.entry(name).or_default().push(ip);
        }
        Interfaces { by_name }
    }

    /// The address a configuration naming `name` gets: see the module docs.
    pub fn address(&self, name: &str) -> Option<IpAddr> {
        let ips = self.by_name.get(name)?;
        let v4 = ips.iter().find(|ip| ip.is_ipv4());
        let v6 = || {
            ips.iter()
                .find(|ip| matches!(ip, IpAddr::V6(v6) if !v6.is_unicast_link_local()))
        };
        v4.or_else(v6).copied()
    }

    /// Whether the table knows the interface (it may have no usable address).
    pub fn knows(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The interface names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }
}

/// Whether `s` is spelled like a Linux interface name (1–15 characters of letters,
/// digits, `.`, `-`, `_`, starting with a letter), so it is not mistaken for an address.
pub fn is_interface_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_first_then_global_ipv6() {
        let t = Interfaces::from_pairs([
            ("eth0".to_owned(), "fe80::1".parse().expect("ip")),
            ("eth0".to_owned(), "2001:db8::5".parse().expect("ip")),
            ("eth0".to_owned(), "10.0.2.15".parse().expect("ip")),
            ("eth1".to_owned(), "fe80::2".parse().expect("ip")),
            ("eth1".to_owned(), "2001:db8::6".parse().expect("ip")),
            ("eth2".to_owned(), "fe80::3".parse().expect("ip")),
        ]);
        assert_eq!(t.address("eth0"), Some("10.0.2.15".parse().expect("ip")));
        assert_eq!(t.address("eth1"), Some("2001:db8::6".parse().expect("ip")));
        assert_eq!(t.address("eth2"), None);
        assert!(t.knows("eth2"));
        assert_eq!(t.address("eth9"), None);
        assert_eq!(t.names(), ["eth0", "eth1", "eth2"]);
    }

    #[test]
    fn names_are_not_addresses() {
        assert!(is_interface_name("eth0"));
        assert!(is_interface_name("enp0s31f6"));
        assert!(is_interface_name("eth0.100"));
        assert!(!is_interface_name("10.0.0.1"));
        assert!(!is_interface_name("::1"));
        assert!(!is_interface_name("[::1]"));
        assert!(!is_interface_name("averyveryverylongname"));
        assert!(!is_interface_name(""));
    }
}
