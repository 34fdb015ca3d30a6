//! The appliance's network settings (not part of `sbc.toml`): hostname, time zone, DNS and
//! NTP servers, and per interface DHCP or static addresses with a gateway; VLANs are
//! interfaces named `<parent>.<id>` (`eth0.100`).
//!
//! Management validates what the operator sends ([`NetworkSettings::validate`], errors
//! with key paths like `interfaces[1].gateway`) and hands it to the privileged helper
//! (`sbc network apply` on the appliance), which renders it for systemd-networkd
//! ([`NetworkSettings::networkd_files`]) and applies it with a 60 s safety net: unless the
//! operator confirms from the new address, the previous settings come back.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Everything the Network page edits.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// An IANA zone name (`Europe/Berlin`); absent: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// DNS servers for every interface (DHCP may add its own).
    #[serde(default)]
    pub dns: Vec<String>,
    /// NTP servers (addresses or names).
    #[serde(default)]
    pub ntp: Vec<String>,
    #[serde(default)]
    pub interfaces: Vec<InterfaceSettings>,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceSettings {
    /// `eth0`, or `eth0.100` for VLAN 100 on eth0.
    pub name: String,
    pub mode: AddressMode,
    /// Static mode: `address/prefix`, IPv4 or IPv6.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Static mode: the default gateway, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressMode {
    Dhcp,
    Static,
}

/// One problem, with the key path it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct NetworkError {
    pub path: String,
    pub message: String,
}

/// A file for systemd-networkd (`/run/systemd/network/<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkdFile {
    pub name: String,
    pub text: String,
}

fn hostname_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn timezone_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && !s.split('/').any(|p| p.is_empty() || p == "..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
}

/// `eth0.100` as (`eth0`, 100).
pub fn vlan_of(name: &str) -> Option<(&str, u16)> {
    let (parent, id) = name.rsplit_once('.')?;
    let id: u16 = id.parse().ok()?;
    (1..=4094).contains(&id).then_some((parent, id))
}

/// `192.0.2.10/24` or `2001:db8::10/64`: a host address (not unspecified) and a prefix
/// length its family allows (host bits may be set: it is an interface address).
fn address_with_prefix(s: &str) -> bool {
    let Some((ip, prefix)) = s.split_once('/') else {
        return false;
    };
    let (Ok(ip), Ok(prefix)) = (ip.parse::<IpAddr>(), prefix.parse::<u8>()) else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    !ip.is_unspecified() && prefix <= max
}

impl NetworkSettings {
    /// Every problem, each with its key path; `Ok` when there is none.
    pub fn validate(&self) -> Result<(), Vec<NetworkError>> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String| errors.push(NetworkError { path, message });
        if let Some(h) = &self.hostname {
            if !hostname_ok(h) {
                err("hostname".into(), format!("invalid host name \"{h}\""));
            }
        }
        if let Some(tz) = &self.timezone {
            if !timezone_ok(tz) {
                err("timezone".into(), format!("invalid time zone \"{tz}\""));
            }
        }
        for (i, d) in self.dns.iter().enumerate() {
            if d.parse::<IpAddr>().is_err() {
                err(format!("dns[{i}]"), format!("not an IP address: \"{d}\""));
            }
        }
        for (i, n) in self.ntp.iter().enumerate() {
            if n.parse::<IpAddr>().is_err() && !hostname_ok(n) {
                err(
                    format!("ntp[{i}]"),
                    format!("not an address or host name: \"{n}\""),
                );
            }
        }
        let mut names = BTreeSet::new();
        for (i, iface) in self.interfaces.iter().enumerate() {
            let p = format!("interfaces[{i}]");
            let name = &iface.name;
            if !crate::is_interface_name(name) {
                err(
                    format!("{p}.name"),
                    format!("invalid interface name \"{name}\""),
                );
            } else if !names.insert(name.clone()) {
                err(format!("{p}.name"), format!("\"{name}\" is listed twice"));
            }
            if name.contains('.') && vlan_of(name).is_none() {
                err(
                    format!("{p}.name"),
                    format!("\"{name}\": a VLAN is named <parent>.<1-4094>"),
                );
            }
            match iface.mode {
                AddressMode::Dhcp => {
                    if !iface.addresses.is_empty() || iface.gateway.is_some() {
                        err(
                            format!("{p}.addresses"),
                            "DHCP takes no static addresses or gateway".into(),
                        );
                    }
                }
                AddressMode::Static => {
                    if iface.addresses.is_empty() {
                        err(
                            format!("{p}.addresses"),
                            "a static interface needs at least one address/prefix".into(),
                        );
                    }
                    for (j, a) in iface.addresses.iter().enumerate() {
                        if !address_with_prefix(a) {
                            err(
                                format!("{p}.addresses[{j}]"),
                                format!("not an address/prefix: \"{a}\""),
                            );
                        }
                    }
                    if let Some(g) = &iface.gateway {
                        if g.parse::<IpAddr>().is_err() {
                            err(
                                format!("{p}.gateway"),
                                format!("not an IP address: \"{g}\""),
                            );
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The systemd-networkd files these settings make: one `.network` per interface
    /// (`10-sbc-<name>.network`, ahead of the image's DHCP default), a `.netdev` per VLAN,
    /// and a `.network` for a VLAN's parent that is not listed itself (no addresses, just
    /// the VLANs). DNS and NTP servers go to every interface.
    pub fn networkd_files(&self) -> Vec<NetworkdFile> {
        let mut files = Vec::new();
        let listed: BTreeSet<&str> = self.interfaces.iter().map(|i| i.name.as_str()).collect();
        let vlans_of = |parent: &str| -> Vec<&str> {
            self.interfaces
                .iter()
                .filter_map(|i| {
                    vlan_of(&i.name)
                        .filter(|(p, _)| *p == parent)
                        .map(|_| i.name.as_str())
                })
                .collect()
        };
        let mut bare_parents = BTreeSet::new();
        for iface in &self.interfaces {
            if let Some((parent, id)) = vlan_of(&iface.name) {
                files.push(NetworkdFile {
                    name: format!("10-sbc-{}.netdev", iface.name),
                    text: format!(
                        "[NetDev]\nName={}\nKind=vlan\n\n[VLAN]\nId={id}\n",
                        iface.name
                    ),
                });
                if !listed.contains(parent) {
                    bare_parents.insert(parent.to_owned());
                }
            }
            let mut text = format!("[Match]\nName={}\n\n[Network]\n", iface.name);
            match iface.mode {
                AddressMode::Dhcp => text.push_str("DHCP=yes\nIPv6AcceptRA=yes\n"),
                AddressMode::Static => {
                    text.push_str("DHCP=no\n");
                    for a in &iface.addresses {
                        text.push_str(&format!("Address={a}\n"));
                    }
                    if let Some(g) = &iface.gateway {
                        text.push_str(&format!("Gateway={g}\n"));
                    }
                }
            }
            for d in &self.dns {
                text.push_str(&format!("DNS={d}\n"));
            }
            for n in &self.ntp {
                text.push_str(&format!("NTP={n}\n"));
            }
            for v in vlans_of(&iface.name) {
                text.push_str(&format!("VLAN={v}\n"));
            }
            files.push(NetworkdFile {
                name: format!("10-sbc-{}.network", iface.name),
                text,
            });
        }
        for parent in bare_parents {
            let mut text = format!("[Match]\nName={parent}\n\n[Network]\nLinkLocalAddressing=no\n");
            for v in vlans_of(&parent) {
                text.push_str(&format!("VLAN={v}\n"));
            }
            files.push(NetworkdFile {
                name: format!("10-sbc-{parent}.network"),
                text,
            });
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(
        name: &str,
        mode: AddressMode,
        addresses: &[&str],
        gateway: Option<&str>,
    ) -> InterfaceSettings {
        InterfaceSettings {
            name: name.to_owned(),
            mode,
            addresses: addresses.iter().map(|s| s.to_string()).collect(),
            gateway: gateway.map(str::to_owned),
        }
    }

    #[test]
    fn static_dhcp_and_a_vlan_render_for_networkd() {
        let s = NetworkSettings {
            hostname: Some("edge-1".into()),
            timezone: Some("Europe/Berlin".into()),
            dns: vec!["192.0.2.53".into()],
            ntp: vec!["ntp.example.net".into()],
            interfaces: vec![
                iface("eth0", AddressMode::Dhcp, &[], None),
                iface(
                    "eth1.100",
                    AddressMode::Static,
                    &["198.51.100.10/24", "2001:db8::10/64"],
                    Some("198.51.100.1"),
                ),
            ],
        };
        assert_eq!(s.validate(), Ok(()));
        let files = s.networkd_files();
        let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "10-sbc-eth0.network",
                "10-sbc-eth1.100.netdev",
                "10-sbc-eth1.100.network",
                "10-sbc-eth1.network"
            ]
        );
        assert_eq!(
            files[0].text,
            "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\nIPv6AcceptRA=yes\nDNS=192.0.2.53\nNTP=ntp.example.net\n"
        );
        assert_eq!(
            files[1].text,
            "[NetDev]\nName=eth1.100\nKind=vlan\n\n[VLAN]\nId=100\n"
        );
        assert_eq!(
            files[2].text,
            "[Match]\nName=eth1.100\n\n[Network]\nDHCP=no\nAddress=198.51.100.10/24\nAddress=2001:db8::10/64\nGateway=198.51.100.1\nDNS=192.0.2.53\nNTP=ntp.example.net\n"
        );
        assert_eq!(
            files[3].text,
            "[Match]\nName=eth1\n\n[Network]\nLinkLocalAddressing=no\nVLAN=eth1.100\n"
        );
    }

    #[test]
    fn every_bad_value_is_named_by_its_key() {
        let s = NetworkSettings {
            hostname: Some("-bad-".into()),
            timezone: Some("../etc/passwd".into()),
            dns: vec!["dns.example".into()],
            ntp: vec!["bad host".into()],
            interfaces: vec![
                iface("eth0", AddressMode::Static, &[], None),
                iface("eth0", AddressMode::Dhcp, &["10.0.0.1/24"], None),
                iface(
                    "eth1",
                    AddressMode::Static,
                    &["10.0.0.300/24", "10.0.0.5"],
                    Some("gw"),
                ),
                iface("eth2.5000", AddressMode::Dhcp, &[], None),
            ],
        };
        let paths: Vec<String> = s
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(
            paths,
            [
                "hostname",
                "timezone",
                "dns[0]",
                "ntp[0]",
                "interfaces[0].addresses",
                "interfaces[1].name",
                "interfaces[1].addresses",
                "interfaces[2].addresses[0]",
                "interfaces[2].addresses[1]",
                "interfaces[2].gateway",
                "interfaces[3].name",
            ]
        );
    }

    #[test]
    fn json_with_unknown_keys_is_refused() {
        let ok: Result<NetworkSettings, _> =
            toml::from_str("interfaces = [{ name = \"eth0\", mode = \"dhcp\" }]");
        assert!(ok.is_ok());
        let bad: Result<NetworkSettings, _> =
            toml::from_str("interfaces = [{ name = \"eth0\", mode = \"dhcp\", mtu = 9000 }]");
        assert!(bad.is_err());
    }
}
