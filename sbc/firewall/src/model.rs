//! The desired state of our table: what the daemon derives from its configuration.
//!
//! Nothing here touches the kernel; [`crate::render`] turns a [`Desired`] into a ruleset.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// An address prefix: `10.0.0.0/8`, `2001:db8::/32`; a bare address is a host prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    /// The address; host bits are masked away when rendered.
    pub addr: IpAddr,
    /// Prefix length: at most 32 for IPv4, 128 for IPv6.
    pub prefix: u8,
}

/// Why a string is not a [`Cidr`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseCidrError {
    /// The part before `/` is not an IP address.
    #[error("invalid address in {input:?}")]
    Address {
        /// The whole input.
        input: String,
    },
    /// The prefix length is not a number or too long for the address family.
    #[error("invalid prefix length in {input:?}")]
    Prefix {
        /// The whole input.
        input: String,
    },
}

impl Cidr {
    /// A host prefix (/32 or /128).
    pub fn host(addr: IpAddr) -> Self {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Cidr { addr, prefix }
    }

    /// The prefix with its host bits cleared (and the prefix length clamped to the family).
    pub fn network(&self) -> Cidr {
        match self.addr {
            IpAddr::V4(a) => {
                let prefix = self.prefix.min(32);
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                Cidr {
                    addr: IpAddr::V4((u32::from(a) & mask).into()),
                    prefix,
                }
            }
            IpAddr::V6(a) => {
                let prefix = self.prefix.min(128);
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                Cidr {
                    addr: IpAddr::V6((u128::from(a) & mask).into()),
                    prefix,
                }
            }
        }
    }

    /// Whether `other` lies entirely inside this prefix (same family).
    pub fn contains(&self, other: &Cidr) -> bool {
        if self.addr.is_ipv4() != other.addr.is_ipv4() || other.prefix < self.prefix {
            return false;
        }
        let narrowed = Cidr {
            addr: other.addr,
            prefix: self.prefix,
        };
        narrowed.network().addr == self.network().addr
    }

    /// True for a /32 or /128.
    pub fn is_host(&self) -> bool {
        self.prefix >= if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

impl FromStr for Cidr {
    type Err = ParseCidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| ParseCidrError::Address {
            input: s.to_owned(),
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => {
                    return Err(ParseCidrError::Prefix {
                        input: s.to_owned(),
                    });
                }
            },
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl From<IpAddr> for Cidr {
    fn from(addr: IpAddr) -> Self {
        Cidr::host(addr)
    }
}

/// What happens to traffic to our addresses that no rule accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Silently dropped (counted).
    #[default]
    Drop,
    /// Rejected: TCP reset, ICMP port unreachable otherwise (counted).
    Reject,
}

/// Transport of a SIP listener; TLS is TCP here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SipProto {
    /// SIP over UDP: judged per packet (before conntrack).
    Udp,
    /// SIP over TCP or TLS: judged per new connection.
    Tcp,
}

/// One SIP listener and who may reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipService {
    /// UDP or TCP (TLS).
    pub proto: SipProto,
    /// Listening address; an unspecified address (0.0.0.0, ::) means any of ours.
    pub addr: SocketAddr,
    /// Trunk peers: accepted without rate limit.
    pub peers: Vec<Cidr>,
    /// The realm takes registering phones: any source is accepted, under the per-source
    /// rate limit ([`Desired::sip_rate`]).
    pub open: bool,
}

/// A media port range on one local address: UDP to it passes only through a pinhole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaRange {
    /// Local media address.
    pub addr: IpAddr,
    /// First port, inclusive.
    pub first: u16,
    /// Last port, inclusive.
    pub last: u16,
}

/// A TCP service of the SBC's own (the HTTPS management listener, the Prometheus
/// endpoint) and who may reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementService {
    /// Listening address (TCP); unspecified means any of ours.
    pub addr: SocketAddr,
    /// Sources allowed to connect.
    pub allow: Vec<Cidr>,
}

/// Per-source rate limit on SIP ports, enforced in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained packets (UDP) or new connections (TCP) per second per source address.
    pub packets_per_second: u32,
    /// Burst allowance in packets.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            packets_per_second: 50,
            burst: 100,
        }
    }
}

/// The whole desired state of our table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// Table name (family is always `inet`); default `sbc`.
    pub table: String,
    /// Fate of traffic to our addresses that nothing accepts.
    pub policy: Policy,
    /// The SBC's own addresses: only traffic to these (and to the service addresses below)
    /// is judged; everything else passes our table untouched.
    pub addresses: Vec<IpAddr>,
    /// SIP listeners.
    pub sip: Vec<SipService>,
    /// Media port ranges (pinholes only).
    pub media: Vec<MediaRange>,
    /// The management listener.
    pub management: Option<ManagementService>,
    /// The Prometheus listener (`[metrics]`): the same shape, its own allow list.
    pub metrics: Option<ManagementService>,
    /// Global allow list: accepted for everything but the media ranges (after bans and deny).
    pub allow: Vec<Cidr>,
    /// Global deny list: dropped (after bans, before everything else).
    pub deny: Vec<Cidr>,
    /// Per-source rate limit on open SIP services.
    pub sip_rate: RateLimit,
}

impl Desired {
    /// The SBC's own TCP services with their allow lists, each with the name its drop
    /// rule is commented with: management, then metrics.
    pub fn services(&self) -> impl Iterator<Item = (&ManagementService, &'static str)> {
        (self.management.iter().map(|m| (m, "management")))
            .chain(self.metrics.iter().map(|m| (m, "metrics")))
    }
}

impl Default for Desired {
    fn default() -> Self {
        Desired {
            table: "sbc".to_owned(),
            policy: Policy::Drop,
            addresses: Vec::new(),
            sip: Vec::new(),
            media: Vec::new(),
            management: None,
            metrics: None,
            allow: Vec::new(),
            deny: Vec::new(),
            sip_rate: RateLimit::default(),
        }
    }
}

/// A media pinhole: UDP to a local media port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hole {
    /// The local media port open to any source (before the peer is latched).
    Port {
        /// Local media address.
        ip: IpAddr,
        /// Local media port.
        port: u16,
    },
    /// Only `remote` may reach local `ip:port` (after latching). `remote` and `ip` must be
    /// of the same family.
    Peer {
        /// The latched remote address.
        remote: IpAddr,
        /// Local media address.
        ip: IpAddr,
        /// Local media port.
        port: u16,
    },
}

/// One queued set-element operation (also what [`crate::ElementError`] reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementOp {
    /// Add a pinhole, or refresh its timeout.
    Open {
        /// The hole.
        hole: Hole,
        /// Kernel timeout (safety net).
        ttl: Duration,
    },
    /// Remove a pinhole (absent is fine).
    Close {
        /// The hole.
        hole: Hole,
    },
    /// Ban a source address for `ttl`.
    Ban {
        /// Source to drop.
        ip: IpAddr,
        /// Ban length.
        ttl: Duration,
    },
    /// Lift a ban (absent is fine).
    Unban {
        /// Source.
        ip: IpAddr,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parses_prefixes_and_bare_hosts() {
        let c: Cidr = "10.0.0.0/8".parse().expect("prefix");
        assert_eq!((c.addr.to_string(), c.prefix), ("10.0.0.0".to_owned(), 8));
        let h: Cidr = "2001:db8::1".parse().expect("host");
        assert_eq!(h.prefix, 128);
        assert!(h.is_host());
        assert_eq!(h.to_string(), "2001:db8::1/128");
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(ParseCidrError::Prefix { .. })
        ));
        assert!(matches!(
            "10.0.0.300/8".parse::<Cidr>(),
            Err(ParseCidrError::Address { .. })
        ));
        assert!(matches!(
            "::/x".parse::<Cidr>(),
            Err(ParseCidrError::Prefix { .. })
        ));
    }

    #[test]
    fn cidr_network_and_contains() {
        let c: Cidr = "10.1.2.3/16".parse().expect("prefix");
        assert_eq!(c.network().to_string(), "10.1.0.0/16");
        let all: Cidr = "0.0.0.0/0".parse().expect("default");
        assert_eq!(all.network().to_string(), "0.0.0.0/0");
        assert!(all.contains(&c));
        assert!(c.contains(&"10.1.200.0/24".parse().expect("p")));
        assert!(!c.contains(&"10.2.0.0/24".parse().expect("p")));
        assert!(!c.contains(&"::/0".parse().expect("p")), "families differ");
        let v6: Cidr = "2001:db8::ff/120".parse().expect("v6");
        assert_eq!(v6.network().to_string(), "2001:db8::/120");
    }
}
