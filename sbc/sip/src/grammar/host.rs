//! `host` and `hostport` (RFC 3261 §25.1).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::GrammarError;
use super::chars::{find, is_hostname, split_once};

/// A host: a name, an IPv4 address or a bracketed IPv6 reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    Name(&'a str),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl Host<'_> {
    /// Parses a whole `host`. A dotted all-numeric string must be a valid IPv4 address
    /// (`10.0.0.300` is neither an address nor a host name: a top label starts with a letter).
    pub fn parse(s: &str) -> Result<Host<'_>, GrammarError> {
        let bad = || GrammarError::BadHost(s.to_owned());
        let b = s.as_bytes();
        if b.first() == Some(&b'[') {
            let inner = s[1..].strip_suffix(']').ok_or_else(bad)?;
            return inner.parse::<Ipv6Addr>().map(Host::V6).map_err(|_| bad());
        }
        // One pass: every byte a host-name byte, no empty label; note whether all are
        // digits or dots.
        let mut numeric = true;
        let mut previous = b'.';
        for &c in b {
            if !is_hostname(c) || (c == b'.' && previous == b'.') {
                return Err(bad());
            }
            numeric &= c.is_ascii_digit() || c == b'.';
            previous = c;
        }
        if b.is_empty() {
            return Err(bad());
        }
        if numeric {
            return parse_ipv4(b).map(Host::V4).ok_or_else(bad);
        }
        Ok(Host::Name(s))
    }

    /// The address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Host::Name(_) => None,
            Host::V4(a) => Some(IpAddr::V4(a)),
            Host::V6(a) => Some(IpAddr::V6(a)),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A dotted quad of decimal octets without leading zeros (as `Ipv4Addr::from_str`, in a
/// fraction of its instructions: every Via, Contact and Request-URI carries one).
fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in b.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut v: u16 = 0;
        for &d in part {
            v = v * 10 + u16::from(d - b'0');
        }
        octets[n] = u8::try_from(v).ok()?;
        n += 1;
    }
    (n == 4).then(|| Ipv4Addr::from(octets))
}

/// Splits `host[:port]` and parses both parts.
pub fn parse_hostport(s: &str) -> Result<(Host<'_>, Option<u16>), GrammarError> {
    let (host, port) = if s.as_bytes().first() == Some(&b'[') {
        let end = find(s, b']').ok_or_else(|| GrammarError::BadHost(s.to_owned()))?;
        let (h, rest) = s.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if rest.is_empty() => (h, None),
            None => return Err(GrammarError::BadHost(s.to_owned())),
        }
    } else {
        match split_once(s, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(parse_port(p)?),
    };
    Ok((Host::parse(host)?, port))
}

pub(crate) fn parse_port(p: &str) -> Result<u16, GrammarError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GrammarError::BadPort(p.to_owned()));
    }
    p.parse::<u16>()
        .map_err(|_| GrammarError::BadPort(p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(Host::parse("example.com"), Ok(Host::Name("example.com")));
        assert_eq!(Host::parse("example.com."), Ok(Host::Name("example.com.")));
        assert_eq!(
            Host::parse("192.0.2.1"),
            Ok(Host::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert!(matches!(Host::parse("[2001:db8::10]"), Ok(Host::V6(_))));
        assert!(Host::parse("10.0.0.300").is_err());
        assert!(Host::parse("10.0.0").is_err());
        assert!(Host::parse("10.0.0.1.2").is_err());
        assert!(Host::parse("10..0.1").is_err());
        assert!(Host::parse("010.0.0.1").is_err());
        assert_eq!(Host::parse("0.0.0.0"), Ok(Host::V4(Ipv4Addr::UNSPECIFIED)));
        assert_eq!(
            Host::parse("255.255.255.255"),
            Ok(Host::V4(Ipv4Addr::BROADCAST))
        );
        assert!(Host::parse("[2001:db8::10").is_err());
        assert!(Host::parse("exa mple.com").is_err());
        assert!(Host::parse("").is_err());
    }

    #[test]
    fn hostports() {
        assert_eq!(
            parse_hostport("[2001:db8::10]:5070").map(|(_, p)| p),
            Ok(Some(5070))
        );
        assert_eq!(parse_hostport("h.example.com").map(|(_, p)| p), Ok(None));
        assert!(parse_hostport("h.example.com:99999").is_err());
        assert!(parse_hostport("h.example.com:").is_err());
    }
}
