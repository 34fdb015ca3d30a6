//! The configuration, seen by the firewall: which table, which addresses are ours, who
//! may reach each SIP listener, the media ranges, management, the global ACLs and the
//! kernel rate limit. Pure: the same [`Config`] always gives the same [`Desired`].

use std::net::IpAddr;

use sbc_config::{Config, FirewallPolicy};
use sbc_core::Transport;
use sbc_firewall::{
    Cidr, Desired, ManagementService, MediaRange, Policy, RateLimit, SipProto, SipService,
};

/// The firewall's desired state for `config`.
pub fn desired(config: &Config) -> Desired {
    let fw = config.firewall();
    let mut addresses: Vec<IpAddr> = Vec::new();
    let mut add = |ip: IpAddr| {
        let ip = ip.to_canonical();
        if !addresses.contains(&ip) {
            addresses.push(ip);
        }
    };
    let mut sip = Vec::new();
    let mut media = Vec::new();
    for realm in config.realms() {
        // Trunk peers of this realm: their signalling is accepted without rate limit.
        let mut peers: Vec<Cidr> = Vec::new();
        for trunk in config.trunks().iter().filter(|t| t.realm == realm.name) {
            for p in &trunk.peers {
                let c = Cidr::host(p.addr.ip().to_canonical());
                if !peers.contains(&c) {
                    peers.push(c);
                }
            }
        }
        // A realm relaying REGISTERs takes phones from anywhere, like an open one.
        let open = realm.open || realm.registrar.is_some();
        for l in &realm.listen {
            add(l.addr.ip());
            let proto = match l.transport {
                Transport::Udp => SipProto::Udp,
                Transport::Tcp | Transport::Tls => SipProto::Tcp,
            };
            sip.push(SipService {
                proto,
                addr: l.addr,
                peers: peers.clone(),
                open,
            });
        }
        add(realm.media_ip);
        media.push(MediaRange {
            addr: realm.media_ip.to_canonical(),
            first: realm.media_ports.start(),
            last: realm.media_ports.end(),
        });
    }
    let m = config.management();
    add(m.listen.ip());
    if let Some(metrics) = config.metrics() {
        add(metrics.listen.ip());
    }
    Desired {
        table: fw.table.clone(),
        policy: match fw.policy {
            FirewallPolicy::Drop => Policy::Drop,
            FirewallPolicy::Reject => Policy::Reject,
        },
        addresses,
        sip,
        media,
        management: Some(ManagementService {
            addr: m.listen,
            allow: m.allow.iter().map(cidr).collect(),
        }),
        metrics: config.metrics().map(|metrics| ManagementService {
            addr: metrics.listen,
            allow: metrics.allow.iter().map(cidr).collect(),
        }),
        allow: fw.allow.iter().map(cidr).collect(),
        deny: fw.deny.iter().map(cidr).collect(),
        sip_rate: RateLimit {
            packets_per_second: fw.sip_rate,
            burst: fw.sip_burst,
        },
    }
}

fn cidr(c: &sbc_config::Cidr) -> Cidr {
    Cidr {
        addr: c.network(),
        prefix: c.prefix(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realms_trunks_and_acls_become_the_desired_table() {
        let config = Config::from_toml_str(
            r#"
[system]
name = "t"
[management]
listen = "10.0.0.1:8443"
allow = ["10.9.0.0/16"]
[firewall]
table = "edge"
policy = "reject"
allow = ["192.0.2.0/24"]
deny = ["198.51.100.66"]
sip_rate = 10
sip_burst = 30
[[realm]]
name = "outside"
listen = ["udp:203.0.113.1:5060", "tls:203.0.113.1:5061"]
media_ip = "203.0.113.1"
media_ports = "20000-20999"
tls_cert = "c.pem"
tls_key = "c.key"
[[realm]]
name = "phones"
listen = ["udp:203.0.113.2:5060"]
media_ip = "203.0.113.2"
media_ports = "30000-30999"
registrar = "pbx"
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "40000-40999"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060", "tls:198.51.100.21:5061"]
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060"]
"#,
            "/tmp",
        )
        .expect("valid");
        let d = desired(&config);
        assert_eq!(d.table, "edge");
        assert_eq!(d.policy, Policy::Reject);
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(
            d.addresses,
            [ip("203.0.113.1"), ip("203.0.113.2"), ip("10.0.0.1")]
        );
        assert_eq!(d.sip.len(), 4);
        let carrier = [
            Cidr::host(ip("198.51.100.20")),
            Cidr::host(ip("198.51.100.21")),
        ];
        assert_eq!(d.sip[0].proto, SipProto::Udp);
        assert_eq!(d.sip[1].proto, SipProto::Tcp);
        assert_eq!(d.sip[1].peers, carrier);
        assert!(!d.sip[0].open && d.sip[2].open && !d.sip[3].open);
        assert!(d.sip[2].peers.is_empty());
        assert_eq!(d.sip[3].peers, [Cidr::host(ip("10.0.0.20"))]);
        assert_eq!(
            d.media[0],
            MediaRange {
                addr: ip("203.0.113.1"),
                first: 20000,
                last: 20999
            }
        );
        let m = d.management.expect("management");
        assert_eq!(m.allow, ["10.9.0.0/16".parse::<Cidr>().expect("cidr")]);
        assert_eq!(d.allow, ["192.0.2.0/24".parse::<Cidr>().expect("cidr")]);
        assert_eq!(d.deny, [Cidr::host(ip("198.51.100.66"))]);
        assert_eq!(
            d.sip_rate,
            RateLimit {
                packets_per_second: 10,
                burst: 30
            }
        );
    }
}
