//! Trunk peers and sources as written: an IP address or a host name, with an optional
//! transport prefix and port (`sip.carrier.example`, `tls:sbc.pbx.example:5061`,
//! `10.0.0.1:5060`, `udp:[2001:db8::1]:5060`).
//!
//! RFC 3263 decides what a spec means: an IP address needs no lookup and defaults to UDP
//! and the transport's port (§4.1-4.2), so `10.0.0.1:5060` is `udp:10.0.0.1:5060`. A name
//! is read and checked here; the validation refuses it until the daemon resolves names.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use sbc_core::{Transport, TransportAddr};

/// A host as written: an address, or a DNS name (lowercase, no trailing dot).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// One `peers` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerSpec {
    /// The `udp:`/`tcp:`/`tls:` prefix; `None`: RFC 3263 chooses.
    pub transport: Option<Transport>,
    pub host: Host,
    /// `None`: SRV for a name, the transport's default port for an address.
    pub port: Option<u16>,
}

impl PeerSpec {
    /// The address this spec means without any lookup: an IP address (UDP and port
    /// 5060, or 5061 for TLS, when not given; RFC 3263 §4.1-4.2). `None` for a name.
    pub fn literal(&self) -> Option<TransportAddr> {
        let Host::Ip(ip) = self.host else {
            return None;
        };
        let transport = self.transport.unwrap_or(Transport::Udp);
        let port = self.port.unwrap_or(transport.default_port());
        Some(TransportAddr {
            transport,
            addr: SocketAddr::new(ip, port),
        })
    }

    /// The DNS name to resolve, if the host is one.
    pub fn name(&self) -> Option<&str> {
        match &self.host {
            Host::Name(n) => Some(n),
            Host::Ip(_) => None,
        }
    }

    /// `host[:port]` as a SIP URI writes it (Request-URI, To, register domain).
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.to_string(),
        }
    }
}

impl fmt::Display for PeerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = self.transport {
            write!(f, "{t}:")?;
        }
        f.write_str(&self.host_port())
    }
}

/// Why a peer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerSpecError {
    #[error("invalid address \"{0}\"")]
    BadAddress(String),
    #[error("unknown transport \"{0}\" (expected udp, tcp or tls)")]
    UnknownTransport(String),
    #[error("invalid host name \"{name}\": {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("invalid port in \"{0}\" (1 to 65535)")]
    BadPort(String),
}

impl std::str::FromStr for PeerSpec {
    type Err = PeerSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A bare IPv6 address has colons of its own.
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(PeerSpec {
                transport: None,
                host: Host::Ip(ip),
                port: None,
            });
        }
        let (transport, rest) = match s.split_once(':') {
            Some((t, rest)) if !t.starts_with('[') => match t.parse::<Transport>() {
                Ok(t) => (Some(t), rest),
                // `name:5060` is a host and port; `sctp:10.0.0.1:5060` a wrong transport.
                Err(_) if rest.bytes().all(|b| b.is_ascii_digit()) => (None, s),
                Err(_) if t.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    return Err(PeerSpecError::UnknownTransport(t.to_owned()));
                }
                Err(_) => (None, s),
            },
            _ => (None, s),
        };
        let (host, port) = split_host_port(rest)?;
        Ok(PeerSpec {
            transport,
            host,
            port,
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, bare `v6`.
fn split_host_port(s: &str) -> Result<(Host, Option<u16>), PeerSpecError> {
    let bad = || PeerSpecError::BadAddress(s.to_owned());
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((Host::Ip(ip), None));
    }
    let (host, port) = if let Some(inner) = s.strip_prefix('[') {
        let (v6, after) = inner.split_once(']').ok_or_else(bad)?;
        let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| bad())?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (h, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        (host(h, s)?, port)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
                return Err(PeerSpecError::BadPort(s.to_owned()));
            }
            Ok(p) => Some(p),
            Err(_) => return Err(bad()),
        },
    };
    Ok((host, port))
}

/// An IPv4 address or a DNS name; something that looks like an address but is not one
/// (`10.0.0.300`) is a bad address, not a name.
fn host(h: &str, whole: &str) -> Result<Host, PeerSpecError> {
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    if h.is_empty()
        || h.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || h.contains(':')
        || h.contains('[')
    {
        return Err(PeerSpecError::BadAddress(whole.to_owned()));
    }
    dns_name(h).map(Host::Name)
}

/// A DNS host name (RFC 1123 labels; a trailing dot dropped, lowercased).
pub fn dns_name(value: &str) -> Result<String, PeerSpecError> {
    let bad = |reason| PeerSpecError::BadName {
        name: value.to_owned(),
        reason,
    };
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each dot-separated label must have 1 to 63 characters"));
        }
        let ok = label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok || label.starts_with('-') || label.ends_with('-') {
            return Err(bad(
                "use letters, digits and '-' (not at either end of a label)",
            ));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("the last label must not be all digits"));
    }
    Ok(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<PeerSpec, PeerSpecError> {
        s.parse()
    }

    #[test]
    fn reads_every_form() {
        let cases = [
            (
                "udp:10.0.0.1:5060",
                Some(Transport::Udp),
                "10.0.0.1",
                Some(5060),
            ),
            ("10.0.0.1:5060", None, "10.0.0.1", Some(5060)),
            ("10.0.0.1", None, "10.0.0.1", None),
            ("2001:db8::1", None, "[2001:db8::1]", None),
            ("[2001:db8::1]:5062", None, "[2001:db8::1]", Some(5062)),
            (
                "tls:[2001:db8::1]",
                Some(Transport::Tls),
                "[2001:db8::1]",
                None,
            ),
            ("sip.Carrier.example.", None, "sip.carrier.example", None),
            (
                "tls:sbc.pbx.example:5061",
                Some(Transport::Tls),
                "sbc.pbx.example",
                Some(5061),
            ),
            ("localhost:5080", None, "localhost", Some(5080)),
            ("TCP:pbx", Some(Transport::Tcp), "pbx", None),
        ];
        for (text, transport, host, port) in cases {
            let spec = p(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(spec.transport, transport, "{text}");
            assert_eq!(spec.host.to_string(), host, "{text}");
            assert_eq!(spec.port, port, "{text}");
        }
    }

    #[test]
    fn literals_follow_rfc3263_defaults() {
        let lit = |s: &str| p(s).ok().and_then(|s| s.literal()).map(|a| a.to_string());
        assert_eq!(lit("10.0.0.1").as_deref(), Some("udp:10.0.0.1:5060"));
        assert_eq!(lit("tls:10.0.0.1").as_deref(), Some("tls:10.0.0.1:5061"));
        assert_eq!(
            lit("tcp:10.0.0.1:5070").as_deref(),
            Some("tcp:10.0.0.1:5070")
        );
        assert_eq!(lit("pbx.example"), None);
    }

    #[test]
    fn refuses_bad_input_naming_the_problem() {
        let e = |s: &str| p(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            e("10.91.1.300:5060"),
            r#"invalid address "10.91.1.300:5060""#
        );
        assert_eq!(
            e("udp:10.0.0.300:5060"),
            r#"invalid address "10.0.0.300:5060""#
        );
        assert_eq!(
            e("sctp:10.0.0.20:5060"),
            r#"unknown transport "sctp" (expected udp, tcp or tls)"#
        );
        assert_eq!(
            e("10.0.0.1:0"),
            r#"invalid port in "10.0.0.1:0" (1 to 65535)"#
        );
        assert_eq!(
            e("10.0.0.1:99999"),
            r#"invalid port in "10.0.0.1:99999" (1 to 65535)"#
        );
        assert!(e("bad_-.example").contains("invalid host name"));
        assert!(e("a..b").contains("label"));
        assert_eq!(e("udp:"), r#"invalid address """#);
        assert_eq!(e("[::1"), r#"invalid address "[::1""#);
        assert_eq!(
            e("host:port"),
            r#"unknown transport "host" (expected udp, tcp or tls)"#
        );
    }
}
