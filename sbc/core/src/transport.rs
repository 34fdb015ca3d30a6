//! Transports and transport-qualified addresses (`udp:192.0.2.1:5060`).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// A SIP transport (RFC 3261 §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    /// The lowercase name used in config (`udp`) .
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// The token used in a Via header's sent-protocol (`SIP/2.0/UDP`).
    pub const fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// Whether messages on this transport are framed by a byte stream (TCP, TLS)
    /// rather than one message per datagram.
    pub const fn is_stream(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// Whether the transport retransmits by itself, so RFC 3261 timers A, E and G
    /// do not fire (§17.1.1.2, §17.1.2.2).
    pub const fn is_reliable(self) -> bool {
        self.is_stream()
    }

    /// The default port for this transport (RFC 3261 §19.1.2).
    pub const fn default_port(self) -> u16 {
        match self {
            Transport::Udp | Transport::Tcp => 5060,
            Transport::Tls => 5061,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Transport {
    type Err = ParseTransportAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("udp") {
            Ok(Transport::Udp)
        } else if s.eq_ignore_ascii_case("tcp") {
            Ok(Transport::Tcp)
        } else if s.eq_ignore_ascii_case("tls") {
            Ok(Transport::Tls)
        } else {
            Err(ParseTransportAddrError::UnknownTransport(s.to_owned()))
        }
    }
}

/// A socket address qualified by its transport, written `udp:203.0.113.10:5060`
/// (IPv6: `udp:[2001:db8::1]:5060`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportAddr {
    pub transport: Transport,
    pub addr: SocketAddr,
}

/// Why a `transport:address:port` string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseTransportAddrError {
    /// No `transport:` prefix.
    MissingTransport,
    /// A prefix other than `udp`, `tcp` or `tls`.
    UnknownTransport(String),
    /// The part after the prefix is not `ip:port`.
    BadAddress(String),
}

impl fmt::Display for ParseTransportAddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingTransport => {
                f.write_str("expected transport:address:port, e.g. \"udp:192.0.2.1:5060\"")
            }
            Self::UnknownTransport(t) => {
                write!(f, "unknown transport \"{t}\" (expected udp, tcp or tls)")
            }
            Self::BadAddress(a) => write!(f, "invalid address \"{a}\""),
        }
    }
}

impl std::error::Error for ParseTransportAddrError {}

impl FromStr for TransportAddr {
    type Err = ParseTransportAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (transport, rest) = s
            .split_once(':')
            .ok_or(ParseTransportAddrError::MissingTransport)?;
        let transport: Transport = transport.parse()?;
        let addr: SocketAddr = rest
            .parse()
            .map_err(|_| ParseTransportAddrError::BadAddress(rest.to_owned()))?;
        Ok(TransportAddr { transport, addr })
    }
}

impl fmt::Display for TransportAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport, self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_v4_and_v6() {
        let a: TransportAddr = "udp:203.0.113.10:5060".parse().expect("valid");
        assert_eq!(a.transport, Transport::Udp);
        assert_eq!(a.to_string(), "udp:203.0.113.10:5060");
        let b: TransportAddr = "tls:[2001:db8::1]:5061".parse().expect("valid");
        assert_eq!(b.transport, Transport::Tls);
        assert_eq!(b.to_string(), "tls:[2001:db8::1]:5061");
    }

    #[test]
    fn rejects_bad_input_with_the_offending_part() {
        assert_eq!(
            "10.0.0.1:5060".parse::<TransportAddr>(),
            Err(ParseTransportAddrError::UnknownTransport("10.0.0.1".into()))
        );
        assert_eq!(
            "udp:10.0.0.300:5060".parse::<TransportAddr>(),
            Err(ParseTransportAddrError::BadAddress(
                "10.0.0.300:5060".into()
            ))
        );
        assert_eq!(
            "sctp:10.0.0.1:5060".parse::<TransportAddr>(),
            Err(ParseTransportAddrError::UnknownTransport("sctp".into()))
        );
        assert_eq!(
            "udp".parse::<TransportAddr>(),
            Err(ParseTransportAddrError::MissingTransport)
        );
    }
}
