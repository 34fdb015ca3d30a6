//! The structured line values: `v=`, `o=`, `t=`, `b=`, `m=`.

use crate::address::{Address, parse_net};
use crate::error::SdpErrorKind;
use crate::model::{Bandwidth, MediaDescription, Origin, Timing};

fn tokens(value: &str) -> Vec<&str> {
    value.split(' ').filter(|s| !s.is_empty()).collect()
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn number(field: &'static str, s: &str) -> Result<u64, SdpErrorKind> {
    Some(s)
        .filter(|s| is_digits(s))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| SdpErrorKind::BadNumber {
            field,
            value: s.to_owned(),
        })
}

/// `v=0`
pub(crate) fn version(value: &str) -> Result<(), SdpErrorKind> {
    if value.trim_matches(' ') == "0" {
        Ok(())
    } else {
        Err(SdpErrorKind::BadVersion {
            value: value.to_owned(),
        })
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
pub(crate) fn origin(value: &str) -> Result<Origin, SdpErrorKind> {
    let [username, id, version, nettype, addrtype, address] = tokens(value)[..] else {
        return Err(SdpErrorKind::BadOrigin {
            value: value.to_owned(),
        });
    };
    let addrtype = parse_net(nettype, addrtype)?;
    Ok(Origin {
        username: username.to_owned(),
        session_id: number("sess-id", id)?,
        session_version: number("sess-version", version)?,
        address: Address::parse(addrtype, address)?,
    })
}

/// `t=<start-time> <stop-time>`
pub(crate) fn timing(value: &str) -> Result<Timing, SdpErrorKind> {
    let bad = || SdpErrorKind::BadTiming {
        value: value.to_owned(),
    };
    let [start, stop] = tokens(value)[..] else {
        return Err(bad());
    };
    Ok(Timing {
        start: number("start time", start).map_err(|_| bad())?,
        stop: number("stop time", stop).map_err(|_| bad())?,
        repeats: Vec::new(),
    })
}

/// `b=<bwtype>:<bandwidth>`
pub(crate) fn bandwidth(value: &str) -> Result<Bandwidth, SdpErrorKind> {
    let bad = || SdpErrorKind::BadBandwidth {
        value: value.to_owned(),
    };
    let (bwtype, bw) = value.split_once(':').ok_or_else(bad)?;
    let token_ok = |s: &str| !s.is_empty() && !s.contains([' ', ':']);
    if !token_ok(bwtype) {
        return Err(bad());
    }
    Ok(Bandwidth {
        bwtype: bwtype.to_owned(),
        value: number("bandwidth", bw).map_err(|_| bad())?,
    })
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`
pub(crate) fn media(value: &str) -> Result<MediaDescription, SdpErrorKind> {
    let fields = tokens(value);
    let [media, port, proto, formats @ ..] = &fields[..] else {
        return Err(SdpErrorKind::BadMedia {
            value: value.to_owned(),
        });
    };
    if formats.is_empty() {
        return Err(SdpErrorKind::BadMedia {
            value: value.to_owned(),
        });
    }
    let (port_text, count_text) = match port.split_once('/') {
        Some((p, c)) => (p, Some(c)),
        None => (*port, None),
    };
    if !is_digits(port_text) {
        return Err(SdpErrorKind::BadPort {
            value: port_text.to_owned(),
        });
    }
    let port: u16 = port_text
        .parse()
        .map_err(|_| SdpErrorKind::PortOutOfRange {
            value: port_text.to_owned(),
        })?;
    let port_count = count_text.map(|c| port_count(port, c, proto)).transpose()?;
    let formats = formats.iter().map(|f| (*f).to_owned()).collect();
    let mut m = MediaDescription::new(media, port, proto, formats);
    m.port_count = port_count;
    Ok(m)
}

/// The `/<number of ports>` suffix. RTP streams use a port pair each (RFC 8866 §5.14),
/// so `49170/2 RTP/AVP` takes RTP ports 49170 and 49172.
fn port_count(port: u16, text: &str, proto: &str) -> Result<u16, SdpErrorKind> {
    let count: u32 = Some(text)
        .filter(|s| is_digits(s))
        .and_then(|s| s.parse().ok())
        .filter(|c| *c > 0)
        .ok_or_else(|| SdpErrorKind::BadPortCount {
            value: text.to_owned(),
        })?;
    let step = if proto.contains("RTP") { 2 } else { 1 };
    let last = u64::from(port) + u64::from(count - 1) * step;
    if last > u64::from(u16::MAX) {
        return Err(SdpErrorKind::PortRangeOverflow { port, count });
    }
    // Only 65536 ports from port 0 (non-RTP) get here without fitting a u16.
    u16::try_from(count).map_err(|_| SdpErrorKind::PortRangeOverflow { port, count })
}
