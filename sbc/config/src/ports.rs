//! Media port ranges (`"20000-29999"`).

use std::fmt;
use std::str::FromStr;

/// An inclusive range of UDP ports for RTP/RTCP.
///
/// Invariants (checked by [`FromStr`]): `1024 <= start <= end <= 65535`, `start` is even
/// (RTP on the even port, RTCP on the next odd one, RFC 3550 §11) and the range holds at
/// least one such pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    start: u16,
    end: u16,
}

/// Lowest port a media range may use: below it are the privileged ports.
pub const MIN_MEDIA_PORT: u16 = 1024;

/// Why a port range could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortRangeError {
    #[error("expected \"start-end\", e.g. \"20000-29999\"")]
    Format,
    #[error("\"{0}\" is not a port number")]
    BadPort(String),
    #[error("ports must be within {MIN_MEDIA_PORT}..=65535")]
    OutOfRange,
    #[error("start {start} is greater than end {end}")]
    Reversed { start: u16, end: u16 },
    #[error("start {start} must be even (RTP on even ports, RTCP on the next odd one)")]
    OddStart { start: u16 },
    #[error("the range must hold at least 2 ports (one RTP/RTCP pair)")]
    TooSmall,
}

impl PortRange {
    pub fn start(&self) -> u16 {
        self.start
    }

    pub fn end(&self) -> u16 {
        self.end
    }

    /// Number of ports in the range.
    pub fn len(&self) -> usize {
        usize::from(self.end - self.start) + 1
    }

    /// Always false: a valid range holds at least two ports.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of RTP/RTCP pairs (even port + next odd port) in the range.
    pub fn pairs(&self) -> usize {
        self.len() / 2
    }

    /// The even RTP ports of the range, each with its RTCP port `+ 1` also in the range.
    pub fn rtp_ports(&self) -> std::iter::StepBy<std::ops::Range<u16>> {
        (self.start..self.end).step_by(2)
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.start..=self.end).contains(&port)
    }

    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

fn port(s: &str) -> Result<u32, PortRangeError> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortRangeError::BadPort(t.to_owned()));
    }
    // More digits than any u32 holds is out of range, not malformed.
    Ok(t.parse().unwrap_or(u32::MAX))
}

impl FromStr for PortRange {
    type Err = PortRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.split_once('-').ok_or(PortRangeError::Format)?;
        let (start, end) = (port(a)?, port(b)?);
        let in_range = |p: u32| (u32::from(MIN_MEDIA_PORT)..=65535).contains(&p);
        if !in_range(start) || !in_range(end) {
            return Err(PortRangeError::OutOfRange);
        }
        // Both within 1024..=65535 just above, so they fit a u16.
        let (start, end) = (start as u16, end as u16);
        if start > end {
            return Err(PortRangeError::Reversed { start, end });
        }
        if start % 2 != 0 {
            return Err(PortRangeError::OddStart { start });
        }
        if end == start {
            return Err(PortRangeError::TooSmall);
        }
        Ok(PortRange { start, end })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_ranges() {
        let r: PortRange = "20000-29999".parse().expect("valid");
        assert_eq!(
            (r.start(), r.end(), r.len(), r.pairs()),
            (20000, 29999, 10000, 5000)
        );
        assert_eq!(r.to_string(), "20000-29999");
        let small: PortRange = "1024-1025".parse().expect("one pair");
        assert_eq!(small.rtp_ports().collect::<Vec<_>>(), vec![1024]);
        let odd_len: PortRange = "30000-30004".parse().expect("valid");
        assert_eq!(odd_len.rtp_ports().collect::<Vec<_>>(), vec![30000, 30002]);
        assert!(" 40000 - 40009 ".parse::<PortRange>().is_ok());
    }

    #[test]
    fn refuses_bad_ranges() {
        let e = |s: &str| s.parse::<PortRange>().expect_err(s);
        assert_eq!(e("20000"), PortRangeError::Format);
        assert_eq!(e("x-20"), PortRangeError::BadPort("x".into()));
        assert_eq!(e("-5-20"), PortRangeError::BadPort("".into()));
        assert_eq!(e("80-2000"), PortRangeError::OutOfRange);
        assert_eq!(e("60000-70000"), PortRangeError::OutOfRange);
        assert_eq!(e("60000-99999999999"), PortRangeError::OutOfRange);
        assert_eq!(
            e("30000-20000"),
            PortRangeError::Reversed {
                start: 30000,
                end: 20000
            }
        );
        assert_eq!(e("20001-29999"), PortRangeError::OddStart { start: 20001 });
        assert_eq!(e("20000-20000"), PortRangeError::TooSmall);
    }

    #[test]
    fn overlap() {
        let a: PortRange = "20000-20999".parse().expect("valid");
        let b: PortRange = "21000-21999".parse().expect("valid");
        let c: PortRange = "20998-21001".parse().expect("valid");
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c) && c.overlaps(&b));
    }
}
