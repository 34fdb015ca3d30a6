//! ICE attributes (RFC 8839). The SBC anchors media on its own address and does not
//! take part in ICE, so it removes all of them ([`crate::SessionDescription::strip_ice`]).
//! [`Candidate`] is only parsed on demand; malformed candidates do not refuse a
//! description, since they are removed anyway.

use std::fmt;
use std::str::FromStr;

use crate::error::AttributeError;

/// Every attribute name `strip_ice` removes, at session and media level.
pub const ICE_ATTRIBUTES: &[&str] = &[
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
    "ice-pacing",
    "candidate",
    "remote-candidates",
    "end-of-candidates",
];

/// `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ
/// <type> [raddr <addr>] [rport <port>] *(<extension name> <value>)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    pub foundation: String,
    /// 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// `UDP`, `TCP`, ...
    pub transport: String,
    pub priority: u32,
    /// IP literal, or a name (mDNS `*.local` in browsers); kept as text.
    pub address: String,
    pub port: u16,
    /// `host`, `srflx`, `prflx`, `relay`.
    pub kind: String,
    /// Tokens after the type (`raddr`, `rport`, extensions), as written.
    pub rest: Vec<String>,
}

impl FromStr for Candidate {
    type Err = AttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || AttributeError::new("candidate", value);
        let f: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
        if f.len() < 8 || f[6] != "typ" {
            return Err(bad());
        }
        let num = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        Ok(Candidate {
            foundation: f[0].to_owned(),
            component: Some(f[1])
                .filter(|s| num(s))
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
            transport: f[2].to_owned(),
            priority: Some(f[3])
                .filter(|s| num(s))
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
            address: f[4].to_owned(),
            port: Some(f[5])
                .filter(|s| num(s))
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
            kind: f[7].to_owned(),
            // `f.len() >= 8` was checked above.
            rest: f[8..].iter().map(|s| (*s).to_owned()).collect(),
        })
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind
        )?;
        for r in &self.rest {
            write!(f, " {r}")?;
        }
        Ok(())
    }
}
