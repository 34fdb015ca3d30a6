//! The media ports of every realm: one [`PortPool`] each, built from `media_ports`.
//!
//! Each port handed out is remembered until it is given back, so a release is never
//! doubled and a reload that changes a realm's range cannot hand out a port still in use:
//! the new pool starts without the ports lent from the old range, and a lent port outside
//! the new range is simply forgotten when released.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::pool::PortPool;
use sbc_config::{Config, PortRange};

/// Free and total RTP ports (each with its RTCP port) of one realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortUsage {
    pub free: usize,
    pub total: usize,
}

#[derive(Debug)]
struct RealmPorts {
    range: PortRange,
    pool: PortPool,
    lent: HashSet<u16>,
}

impl RealmPorts {
    fn new(range: PortRange) -> Self {
        RealmPorts {
            range,
            pool: PortPool::new(range.start(), range.end()),
            lent: HashSet::new(),
        }
    }

    /// A pool for `range` that keeps lending what this one lent.
    fn resized(&self, range: PortRange) -> Self {
        let mut pool = PortPool::new(range.start(), range.end());
        let mut all = Vec::with_capacity(pool.total());
        while let Some(p) = pool.allocate() {
            all.push(p);
        }
        for p in all {
            if !self.lent.contains(&p) {
                pool.release(p);
            }
        }
        RealmPorts {
            range,
            pool,
            lent: self.lent.clone(),
        }
    }
}

/// The port pools, by realm name.
#[derive(Debug, Default)]
pub struct Pools {
    realms: HashMap<String, RealmPorts>,
    /// Media address and range of every realm: the SBC's own ports, which no peer may
    /// name as its media address.
    own: Vec<(IpAddr, PortRange)>,
}

impl Pools {
    pub fn new(config: &Config) -> Self {
        let mut pools = Pools::default();
        pools.reload(config);
        pools
    }

    /// Applies a new configuration: new realms get a pool, a changed range a new pool
    /// (without the ports still lent), realms that are gone keep theirs until their
    /// ports are back.
    pub fn reload(&mut self, config: &Config) {
        for realm in config.realms() {
            let range = realm.media_ports;
            match self.realms.get_mut(&realm.name) {
                Some(r) if r.range == range => {}
                Some(r) => *r = r.resized(range),
                None => {
                    self.realms
                        .insert(realm.name.clone(), RealmPorts::new(range));
                }
            }
        }
        self.realms
            .retain(|name, r| config.realm(name).is_some() || !r.lent.is_empty());
        self.own = config
            .realms()
            .iter()
            .flat_map(|r| {
                let ips = [Some(r.media_ip), r.public_ip];
                ips.into_iter().flatten().map(move |ip| (ip, r.media_ports))
            })
            .collect();
    }

    /// An RTP port of `realm` (RTCP on the next one).
    pub fn allocate(&mut self, realm: &str) -> Option<u16> {
        let r = self.realms.get_mut(realm)?;
        let port = r.pool.allocate()?;
        r.lent.insert(port);
        Some(port)
    }

    /// Gives back a port [`Pools::allocate`] handed out; anything else is ignored.
    pub fn release(&mut self, realm: &str, port: u16) {
        let Some(r) = self.realms.get_mut(realm) else {
            return;
        };
        if r.lent.remove(&port) && r.range.contains(port) {
            r.pool.release(port);
        }
    }

    pub fn usage(&self, realm: &str) -> Option<PortUsage> {
        self.realms.get(realm).map(|r| PortUsage {
            free: r.pool.free(),
            total: r.pool.total(),
        })
    }

    /// Realm names with a pool, sorted.
    pub fn realms(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.realms.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Whether `ip:port` is one of the SBC's own media ports (RTP or RTCP).
    pub fn is_own(&self, ip: IpAddr, port: u16) -> bool {
        let ip = ip.to_canonical();
        self.own
            .iter()
            .any(|(own, range)| own.to_canonical() == ip && range.contains(port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(range: &str) -> Config {
        let text = format!(
            r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "{range}"
"#
        );
        Config::from_toml_str(&text, "/etc/sbc").unwrap_or_else(|e| panic!("valid:\n{e}"))
    }

    #[test]
    fn ports_come_back_and_double_releases_are_ignored() {
        let mut p = Pools::new(&config("30000-30005"));
        assert_eq!(p.usage("inside"), Some(PortUsage { free: 3, total: 3 }));
        let a = p.allocate("inside").expect("port");
        let b = p.allocate("inside").expect("port");
        p.release("inside", a);
        p.release("inside", a);
        p.release("inside", 12345);
        assert_eq!(p.usage("inside").map(|u| u.free), Some(2));
        p.release("inside", b);
        assert_eq!(p.usage("inside"), Some(PortUsage { free: 3, total: 3 }));
        assert_eq!(p.allocate("nowhere"), None);
    }

    #[test]
    fn a_reload_never_lends_a_port_twice() {
        let mut p = Pools::new(&config("30000-30005"));
        let a = p.allocate("inside").expect("port");
        assert_eq!(a, 30000);
        p.reload(&config("30000-30009"));
        assert_eq!(p.usage("inside"), Some(PortUsage { free: 4, total: 5 }));
        let mut got = Vec::new();
        while let Some(port) = p.allocate("inside") {
            got.push(port);
        }
        assert!(!got.contains(&a), "{got:?}");
        p.reload(&config("31000-31003"));
        p.release("inside", a);
        assert_eq!(p.usage("inside"), Some(PortUsage { free: 2, total: 2 }));
    }

    #[test]
    fn own_ports_are_recognised() {
        let p = Pools::new(&config("30000-30005"));
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(p.is_own(ip, 30001));
        assert!(!p.is_own(ip, 30006));
        assert!(!p.is_own("10.0.0.2".parse().expect("ip"), 30000));
    }
}
