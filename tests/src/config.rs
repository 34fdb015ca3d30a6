//! The standard lab configuration of the daemon (TOML, the contract in DESIGN.md).
//!
//! Realm "outside" listens on 10.91.1.1 and realm "inside" on 10.91.2.1, UDP and TCP port 5060;
//! trunk "carrier" is the carrier namespace's address, trunk "pbx" the pbx namespace's; calls
//! route both ways. The firewall is off unless asked for. Management listens on the loopback of
//! the sbc namespace, which is private to that namespace, so a fixed port is always free.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};

use crate::pki::CertFiles;
use crate::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT};

/// Management listen address inside the sbc namespace.
pub const MGMT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);

/// Media port range of realm "outside".
pub const OUTSIDE_MEDIA_PORTS: &str = "20000-20999";
/// Media port range of realm "inside".
pub const INSIDE_MEDIA_PORTS: &str = "30000-30999";

/// Builder of the standard lab config; `StandardConfig::default().render()` is the usual one.
#[derive(Debug, Clone)]
pub struct StandardConfig {
    /// `[system] name`.
    pub name: String,
    /// `[firewall] enabled`.
    pub firewall: bool,
    /// Further `[firewall]` keys, verbatim (`ban_seconds = 60\n`).
    pub firewall_keys: String,
    /// `[management] listen`.
    pub management_listen: SocketAddr,
    /// TOML appended verbatim (extra trunks, routes, keys under test).
    pub extra: String,
    /// A `tls:` listener on the outside realm (port [`SIP_TLS_PORT`]) with these files,
    /// and further realm keys (`tls_verify_client`, ...) verbatim.
    pub outside_tls: Option<(CertFiles, String)>,
    /// The routes carrier -> pbx and pbx -> carrier.
    pub routes: bool,
    /// The trunk "carrier" (the carrier namespace's address).
    pub carrier_trunk: bool,
    /// Keys appended to trunk "carrier" and trunk "pbx", verbatim (`dtmf = "sip-info"\n`).
    pub carrier_keys: String,
    pub pbx_keys: String,
    /// Media port ranges of realms "outside" and "inside" (`20000-20999`, `30000-30999`:
    /// 500 anchored calls; benchmarks widen them).
    pub media_ports: (String, String),
    /// Keys appended to realm "outside" and realm "inside", verbatim
    /// (`server_header = ""\n`).
    pub outside_keys: String,
    pub inside_keys: String,
}

impl Default for StandardConfig {
    fn default() -> Self {
        Self {
            name: "lab-sbc".to_owned(),
            firewall: false,
            firewall_keys: String::new(),
            management_listen: MGMT_LISTEN,
            extra: String::new(),
            outside_tls: None,
            routes: true,
            carrier_trunk: true,
            carrier_keys: String::new(),
            pbx_keys: String::new(),
            media_ports: (
                OUTSIDE_MEDIA_PORTS.to_owned(),
                INSIDE_MEDIA_PORTS.to_owned(),
            ),
            outside_keys: String::new(),
            inside_keys: String::new(),
        }
    }
}

impl StandardConfig {
    /// Turns the nftables firewall on or off.
    pub fn firewall(mut self, enabled: bool) -> Self {
        self.firewall = enabled;
        self
    }

    /// Appends raw TOML to the `[firewall]` section.
    pub fn firewall_keys(mut self, toml: &str) -> Self {
        self.firewall_keys.push_str(toml);
        if !self.firewall_keys.ends_with('\n') {
            self.firewall_keys.push('\n');
        }
        self
    }

    /// Adds a `tls:10.91.1.1:5061` listener to realm "outside" serving `files`.
    pub fn outside_tls(mut self, files: &CertFiles) -> Self {
        self.outside_tls = Some((files.clone(), String::new()));
        self
    }

    /// Appends raw TOML to realm "outside" (after [`StandardConfig::outside_tls`]).
    pub fn outside_tls_keys(mut self, toml: &str) -> Self {
        if let Some((_, keys)) = &mut self.outside_tls {
            keys.push_str(toml);
        }
        self
    }

    /// Leaves out the routes: every request that is not for the SBC itself gets 404.
    pub fn without_routes(mut self) -> Self {
        self.routes = false;
        self
    }

    /// Leaves out the trunk "carrier" and the routes that name it: requests from the carrier
    /// namespace come from no trunk's peer (403 on the closed realm "outside") until a trunk
    /// for it is added, e.g. through the management API. Add routes with
    /// [`StandardConfig::extra`] (a `from = "outside"` route applies to the new trunk too).
    pub fn without_carrier_trunk(mut self) -> Self {
        self.carrier_trunk = false;
        self.routes = false;
        self
    }

    /// Appends raw TOML to trunk "carrier" (`dtmf = "inband"\n`).
    pub fn carrier_keys(mut self, toml: &str) -> Self {
        self.carrier_keys.push_str(toml);
        self
    }

    /// Appends raw TOML to trunk "pbx".
    pub fn pbx_keys(mut self, toml: &str) -> Self {
        self.pbx_keys.push_str(toml);
        self
    }

    /// Sets the media port ranges of realms "outside" and "inside" (`"20000-39999"`).
    pub fn media_ports(mut self, outside: &str, inside: &str) -> Self {
        self.media_ports = (outside.to_owned(), inside.to_owned());
        self
    }

    /// Appends keys to realm "outside".
    pub fn outside_keys(mut self, toml: &str) -> Self {
        self.outside_keys.push_str(toml);
        self
    }

    /// Appends keys to realm "inside".
    pub fn inside_keys(mut self, toml: &str) -> Self {
        self.inside_keys.push_str(toml);
        self
    }

    /// Appends raw TOML to the rendered config.
    pub fn extra(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self
    }

    /// The config file text.
    pub fn render(&self) -> String {
        let mut out =
            String::from("# Standard lab config, generated by sbc-lab (tests/src/config.rs).\n");
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            r#"
[system]
name = "{name}"
state_dir = "state"

[management]
listen = "{mgmt}"
allow = ["127.0.0.0/8"]

[firewall]
enabled = {firewall}
{firewall_keys}{outside}{inside}{carrier_trunk}
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:{pbx}:{port}"]
{pbx_keys}"#,
            name = self.name,
            mgmt = self.management_listen,
            firewall = self.firewall,
            firewall_keys = self.firewall_keys,
            outside = realm(
                "outside",
                SBC_OUTSIDE_IP,
                &self.media_ports.0,
                self.outside_tls.as_ref(),
                &self.outside_keys,
            ),
            inside = realm(
                "inside",
                SBC_INSIDE_IP,
                &self.media_ports.1,
                None,
                &self.inside_keys
            ),
            carrier_trunk = if self.carrier_trunk {
                format!(
                    "\n[[trunk]]\nname = \"carrier\"\nrealm = \"outside\"\npeers = [\"udp:{CARRIER_IP}:{SIP_PORT}\"]\n{}",
                    self.carrier_keys
                )
            } else {
                String::new()
            },
            pbx = PBX_IP,
            port = SIP_PORT,
            pbx_keys = self.pbx_keys,
        );
        if self.routes {
            out.push_str("\n[[route]]\nfrom = \"carrier\"\nto = \"pbx\"\n\n[[route]]\nfrom = \"pbx\"\nto = \"carrier\"\n");
        }
        out.push_str(&self.extra);
        out
    }
}

/// The standard lab config with defaults.
pub fn standard_config() -> String {
    StandardConfig::default().render()
}

/// One `[[realm]]` table listening on UDP and TCP port 5060 of `ip`, and with `tls` on TLS
/// port 5061 too.
fn realm(
    name: &str,
    ip: Ipv4Addr,
    media_ports: &str,
    tls: Option<&(CertFiles, String)>,
    extra_keys: &str,
) -> String {
    let Some((files, keys)) = tls else {
        return format!(
            r#"
[[realm]]
name = "{name}"
listen = ["udp:{ip}:{SIP_PORT}", "tcp:{ip}:{SIP_PORT}"]
media_ip = "{ip}"
media_ports = "{media_ports}"
{extra_keys}"#
        );
    };
    format!(
        r#"
[[realm]]
name = "{name}"
listen = ["udp:{ip}:{SIP_PORT}", "tcp:{ip}:{SIP_PORT}", "tls:{ip}:{SIP_TLS_PORT}"]
media_ip = "{ip}"
media_ports = "{media_ports}"
tls_cert = "{cert}"
tls_key = "{key}"
{keys}
{extra_keys}"#,
        cert = files.cert.display(),
        key = files.key.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::sip_listeners;

    #[test]
    fn standard_config_listens_on_both_realms() {
        let listeners = sip_listeners(&standard_config());
        let shown: Vec<String> = listeners.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "udp:10.91.1.1:5060",
                "tcp:10.91.1.1:5060",
                "udp:10.91.2.1:5060",
                "tcp:10.91.2.1:5060"
            ]
        );
    }

    #[test]
    fn without_carrier_trunk_leaves_out_the_trunk_and_its_routes() {
        let toml = StandardConfig::default().without_carrier_trunk().render();
        assert!(!toml.contains("name = \"carrier\""), "{toml}");
        assert!(!toml.contains("[[route]]"), "{toml}");
        assert!(toml.contains("name = \"pbx\""), "{toml}");
        assert!(standard_config().contains("name = \"carrier\""));
    }
}
