//! Network addresses as SDP writes them: `IN IP4 192.0.2.1`, `IN IP6 2001:db8::1`, or a
//! domain name (`IN IP4 media.example.net`), plus the `c=` connection data built on them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::SdpErrorKind;

/// The `<addrtype>` field. Only `IP4` and `IP6` are accepted, under network type `IN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrType {
    /// `IP4`
    Ip4,
    /// `IP6`
    Ip6,
}

impl AddrType {
    /// The address type of an IP address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddrType::Ip4,
            IpAddr::V6(_) => AddrType::Ip6,
        }
    }

    /// `IP4` or `IP6`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddrType::Ip4 => "IP4",
            AddrType::Ip6 => "IP6",
        }
    }
}

impl fmt::Display for AddrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unicast address: an IP literal, or a domain name kept as text. Names are accepted
/// by the parser; whether to resolve or refuse them is the caller's decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IP literal; its address type follows from the IP version.
    Ip(IpAddr),
    /// A domain name (RFC 1123 syntax), with the address type it was announced under.
    Name { addrtype: AddrType, name: String },
}

impl Address {
    /// The `<addrtype>` this address is printed with.
    pub fn addrtype(&self) -> AddrType {
        match self {
            Address::Ip(ip) => AddrType::of(*ip),
            Address::Name { addrtype, .. } => *addrtype,
        }
    }

    /// The IP literal, if this is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::Ip(ip) => Some(*ip),
            Address::Name { .. } => None,
        }
    }

    /// `0.0.0.0` or `::`: RFC 2543 hold, or "address not known yet" (RFC 3264 §8.4).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    /// Parses `<addrtype> <address>` fields. A value made only of digits and dots must be
    /// a valid IPv4 literal (so `999.1.1.1` is refused, not taken for a name), one with a
    /// colon must be an IPv6 literal, anything else must be a domain name.
    pub(crate) fn parse(addrtype: AddrType, text: &str) -> Result<Self, SdpErrorKind> {
        let bad = || SdpErrorKind::BadAddress {
            addrtype,
            value: text.to_owned(),
        };
        let dotted = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        match addrtype {
            AddrType::Ip4 if dotted => text
                .parse::<Ipv4Addr>()
                .map(|ip| Address::Ip(ip.into()))
                .map_err(|_| bad()),
            AddrType::Ip6 if text.contains(':') => text
                .parse::<Ipv6Addr>()
                .map(|ip| Address::Ip(ip.into()))
                .map_err(|_| bad()),
            _ if is_domain_name(text) => Ok(Address::Name {
                addrtype,
                name: text.to_owned(),
            }),
            _ => Err(bad()),
        }
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        Address::Ip(ip)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(ip) => write!(f, "{ip}"),
            Address::Name { name, .. } => f.write_str(name),
        }
    }
}

/// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, the
/// last one not all digits (that would be a malformed IPv4 literal).
fn is_domain_name(text: &str) -> bool {
    if text.is_empty() || text.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    text.split('.').all(label_ok)
        && !text
            .rsplit('.')
            .next()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
}

/// A decimal number written with digits only (no sign, no spaces).
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Checks `IN` and returns the address type of `<nettype> <addrtype>`.
pub(crate) fn parse_net(nettype: &str, addrtype: &str) -> Result<AddrType, SdpErrorKind> {
    if nettype != "IN" {
        return Err(SdpErrorKind::BadNetType {
            value: nettype.to_owned(),
        });
    }
    match addrtype {
        "IP4" => Ok(AddrType::Ip4),
        "IP6" => Ok(AddrType::Ip6),
        _ => Err(SdpErrorKind::BadAddrType {
            value: addrtype.to_owned(),
        }),
    }
}

/// Connection data, a `c=` line: `IN IP4 <address>[/<ttl>[/<count>]]` or
/// `IN IP6 <address>[/<count>]`. TTL and count only occur with multicast, which the SBC
/// does not relay; they are kept so the description prints back as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    pub address: Address,
    /// IPv4 multicast TTL. Never set for IP6.
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses. For IP4 only together with `ttl`.
    pub count: Option<u32>,
}

impl Connection {
    /// A plain unicast connection to `ip`.
    pub fn new(ip: IpAddr) -> Self {
        Connection {
            address: Address::Ip(ip),
            ttl: None,
            count: None,
        }
    }

    /// Parses the value of a `c=` line.
    pub(crate) fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = || SdpErrorKind::BadConnection {
            value: value.to_owned(),
        };
        let fields: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
        let [nettype, addrtype, rest] = fields[..] else {
            return Err(bad());
        };
        let addrtype = parse_net(nettype, addrtype)?;
        let mut parts = rest.split('/');
        let address = Address::parse(addrtype, parts.next().unwrap_or_default())?;
        let suffix: Vec<&str> = parts.collect();
        let ttl = |s: &str| digits::<u8>(s).ok_or_else(bad);
        let count = |s: &str| digits::<u32>(s).ok_or_else(bad);
        let (ttl, count) = match (addrtype, &suffix[..]) {
            (_, []) => (None, None),
            (AddrType::Ip4, [t]) => (Some(ttl(t)?), None),
            (AddrType::Ip4, [t, c]) => (Some(ttl(t)?), Some(count(c)?)),
            (AddrType::Ip6, [c]) => (None, Some(count(c)?)),
            _ => return Err(bad()),
        };
        Ok(Connection {
            address,
            ttl,
            count,
        })
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IN {} {}", self.address.addrtype(), self.address)?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(count) = self.count {
            write!(f, "/{count}")?;
        }
        Ok(())
    }
}
