//! IPv4 / IPv6 networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network: an address whose host bits are all zero, and a prefix length.
///
/// A bare address (`192.0.2.7`) reads as a single host (`/32`, or `/128` for IPv6).
/// An address with host bits set (`10.0.0.1/8`) is refused, because it is almost
/// always a typo for either the host or the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a CIDR string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("\"{0}\" is not an IP address")]
    BadAddress(String),
    #[error("\"{0}\" is not a prefix length")]
    BadPrefix(String),
    #[error("prefix /{prefix} is longer than {max}")]
    PrefixTooLong { prefix: u8, max: u8 },
    #[error("host bits set (the network is {network})")]
    HostBitsSet { network: Cidr },
}

impl Cidr {
    /// The network, refusing host bits beyond `prefix`.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, CidrError> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(CidrError::PrefixTooLong { prefix, max });
        }
        let network = mask(addr, prefix);
        if network != addr {
            return Err(CidrError::HostBitsSet {
                network: Cidr { network, prefix },
            });
        }
        Ok(Cidr { network, prefix })
    }

    pub fn network(&self) -> IpAddr {
        self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in this network. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`,
    /// as a dual-stack socket reports IPv4 peers) match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.network
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `addr` with every bit after the first `prefix` cleared. `prefix` <= the family's width.
fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & m).into())
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| CidrError::BadAddress(addr.to_owned()))?;
        let prefix = match prefix {
            None => max_prefix(addr),
            // `u8::from_str` accepts a leading '+'; a prefix is digits only.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| CidrError::PrefixTooLong {
                    prefix: u8::MAX,
                    max: max_prefix(addr),
                })?
            }
            Some(p) => return Err(CidrError::BadPrefix(p.to_owned())),
        };
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn parses_networks_and_hosts() {
        let c: Cidr = "10.0.0.0/8".parse().expect("valid");
        assert_eq!((c.network(), c.prefix()), (ip("10.0.0.0"), 8));
        assert_eq!(
            "192.0.2.7".parse::<Cidr>().expect("host").to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(
            "2001:db8::/32".parse::<Cidr>().expect("v6").to_string(),
            "2001:db8::/32"
        );
        assert_eq!(
            "::1".parse::<Cidr>().expect("v6 host").to_string(),
            "::1/128"
        );
        assert_eq!("0.0.0.0/0".parse::<Cidr>().expect("all").prefix(), 0);
        assert_eq!("::/0".parse::<Cidr>().expect("all v6").prefix(), 0);
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(
            "10.0.0.1/8".parse::<Cidr>(),
            Err(CidrError::HostBitsSet {
                network: Cidr::new(ip("10.0.0.0"), 8).expect("valid"),
            })
        );
        assert_eq!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(CidrError::PrefixTooLong {
                prefix: 33,
                max: 32
            })
        );
        assert_eq!(
            "10.0.0.0/999".parse::<Cidr>(),
            Err(CidrError::PrefixTooLong {
                prefix: 255,
                max: 32
            })
        );
        assert_eq!(
            "10.0.0.0/+8".parse::<Cidr>(),
            Err(CidrError::BadPrefix("+8".into()))
        );
        assert_eq!(
            "10.0.0.0/".parse::<Cidr>(),
            Err(CidrError::BadPrefix("".into()))
        );
        assert_eq!(
            "10.0.0/8".parse::<Cidr>(),
            Err(CidrError::BadAddress("10.0.0".into()))
        );
        assert!(matches!(
            "2001:db8::1/32".parse::<Cidr>(),
            Err(CidrError::HostBitsSet { .. })
        ));
    }

    #[test]
    fn contains_matches_family_and_prefix() {
        let c: Cidr = "10.1.0.0/16".parse().expect("valid");
        assert!(c.contains(ip("10.1.255.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(c.contains(ip("::ffff:10.1.0.9")), "v4-mapped source");
        assert!(!c.contains(ip("2001:db8::1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("valid");
        assert!(all.contains(ip("203.0.113.1")));
        let v6: Cidr = "2001:db8::/32".parse().expect("valid");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
    }
}
