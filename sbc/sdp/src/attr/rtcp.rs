//! `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).

use std::fmt;
use std::str::FromStr;

use crate::address::{Address, parse_net};
use crate::error::AttributeError;

/// Where the writer receives RTCP when it is not on RTP port + 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    pub port: u16,
    /// When absent, the stream's connection address applies.
    pub address: Option<Address>,
}

impl FromStr for Rtcp {
    type Err = AttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || AttributeError::new("rtcp", value);
        let fields: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
        let port_ok = |p: &str| {
            (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u16>().ok())
                .flatten()
        };
        match fields[..] {
            [port] => Ok(Rtcp {
                port: port_ok(port).ok_or_else(bad)?,
                address: None,
            }),
            [port, nettype, addrtype, address] => {
                let port = port_ok(port).ok_or_else(bad)?;
                let addrtype = parse_net(nettype, addrtype).map_err(|_| bad())?;
                let address = Address::parse(addrtype, address).map_err(|_| bad())?;
                Ok(Rtcp {
                    port,
                    address: Some(address),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(a) = &self.address {
            write!(f, " IN {} {a}", a.addrtype())?;
        }
        Ok(())
    }
}
