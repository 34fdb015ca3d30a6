//! `a=rtpmap` (RFC 8866 §6.6) and `a=fmtp` (§6.15).

use std::fmt;
use std::str::FromStr;

use crate::error::AttributeError;

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// 0-127.
    pub payload_type: u8,
    /// As written (`PCMA`, `opus`, `telephone-event`); compare case-insensitively.
    pub encoding: String,
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio. `None` means one channel.
    pub channels: Option<u16>,
}

impl RtpMap {
    pub fn new(payload_type: u8, encoding: &str, clock_rate: u32, channels: Option<u16>) -> Self {
        RtpMap {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        }
    }
}

/// A decimal payload type 0-127.
pub(crate) fn parse_pt(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u8>().ok().filter(|pt| *pt <= 127)
}

fn parse_digits<T: FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for RtpMap {
    type Err = AttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || AttributeError::new("rtpmap", value);
        let (pt, rest) = value.split_once(' ').ok_or_else(bad)?;
        let payload_type = parse_pt(pt).ok_or_else(bad)?;
        let mut parts = rest.trim_matches(' ').split('/');
        let encoding = parts
            .next()
            .filter(|e| !e.is_empty() && !e.contains(' '))
            .ok_or_else(bad)?;
        let clock_rate = parts.next().and_then(parse_digits).ok_or_else(bad)?;
        let channels = match parts.next() {
            None => None,
            Some(c) => Some(parse_digits(c).ok_or_else(bad)?),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(RtpMap::new(payload_type, encoding, clock_rate, channels))
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(ch) = self.channels {
            write!(f, "/{ch}")?;
        }
        Ok(())
    }
}

/// `a=fmtp:<format> <format specific parameters>`, e.g. `101 0-16`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (payload type for RTP) the parameters apply to.
    pub format: String,
    /// Everything after the first space, byte-exact (may be empty).
    pub params: String,
}

impl Fmtp {
    /// The format as an RTP payload type, if it is one.
    pub fn payload_type(&self) -> Option<u8> {
        parse_pt(&self.format)
    }
}

impl FromStr for Fmtp {
    type Err = AttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (format, params) = value.split_once(' ').unwrap_or((value, ""));
        if format.is_empty() {
            return Err(AttributeError::new("fmtp", value));
        }
        Ok(Fmtp {
            format: format.to_owned(),
            params: params.to_owned(),
        })
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.params)
    }
}
