//! The printer: canonical SDP, CRLF line endings, lines in RFC 8866 order.
//!
//! Session: `v o s i u e* p* c b* (t r*)+ z k a*`, then lines of undefined type;
//! each media section: `m i c b* k a*`, then lines of undefined type.

use std::fmt::{self, Write};

use crate::attr::Attributes;
use crate::model::{Bandwidth, MediaDescription, OtherLine, SessionDescription};

fn line(f: &mut fmt::Formatter<'_>, letter: char, value: impl fmt::Display) -> fmt::Result {
    write!(f, "{letter}={value}\r\n")
}

fn opt(f: &mut fmt::Formatter<'_>, letter: char, value: &Option<impl fmt::Display>) -> fmt::Result {
    match value {
        Some(v) => line(f, letter, v),
        None => Ok(()),
    }
}

/// The `a=` lines, then lines of undefined type.
fn tail(f: &mut fmt::Formatter<'_>, attributes: &Attributes, other: &[OtherLine]) -> fmt::Result {
    for a in attributes {
        line(f, 'a', a)?;
    }
    for o in other {
        line(f, o.letter, &o.value)?;
    }
    Ok(())
}

fn bandwidths(f: &mut fmt::Formatter<'_>, list: &[Bandwidth]) -> fmt::Result {
    for b in list {
        write!(f, "b={}:{}\r\n", b.bwtype, b.value)?;
    }
    Ok(())
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        f.write_str("v=0\r\n")?;
        write!(
            f,
            "o={} {} {} IN {} {}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            o.address.addrtype(),
            o.address
        )?;
        line(f, 's', &self.session_name)?;
        opt(f, 'i', &self.information)?;
        opt(f, 'u', &self.uri)?;
        for e in &self.emails {
            line(f, 'e', e)?;
        }
        for p in &self.phones {
            line(f, 'p', p)?;
        }
        opt(f, 'c', &self.connection)?;
        bandwidths(f, &self.bandwidths)?;
        for t in &self.timings {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                line(f, 'r', r)?;
            }
        }
        opt(f, 'z', &self.time_zones)?;
        opt(f, 'k', &self.key)?;
        tail(f, &self.attributes, &self.other_lines)?;
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl fmt::Display for MediaDescription {
    /// The section from its `m=` line on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            f.write_char(' ')?;
            f.write_str(fmt)?;
        }
        f.write_str("\r\n")?;
        opt(f, 'i', &self.information)?;
        opt(f, 'c', &self.connection)?;
        bandwidths(f, &self.bandwidths)?;
        opt(f, 'k', &self.key)?;
        tail(f, &self.attributes, &self.other_lines)
    }
}
