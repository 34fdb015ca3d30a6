//! HEP version 3 encoding (the Homer capture protocol, "HEP3"): a 6-byte header (`HEP3`,
//! total length) then chunks, each `vendor (0: generic) u16, type u16, length u16`
//! (the chunk's, its 6-byte header included) and the value, all big-endian.
//!
//! | type | chunk | value |
//! |---|---|---|
//! | 0x0001 | IP protocol family | u8: 2 IPv4, 10 IPv6 |
//! | 0x0002 | IP protocol | u8: 17 UDP, 6 TCP (TLS too: HEP has no value of its own) |
//! | 0x0003 / 0x0004 | IPv4 source / destination | 4 bytes |
//! | 0x0005 / 0x0006 | IPv6 source / destination | 16 bytes |
//! | 0x0007 / 0x0008 | source / destination port | u16 |
//! | 0x0009 / 0x000a | timestamp seconds / microseconds | u32 |
//! | 0x000b | protocol type | u8: 1 SIP, 5 RTCP (JSON) |
//! | 0x000c | capture agent id | u32 |
//! | 0x000e | authentication key | the password |
//! | 0x000f | payload | the message |
//! | 0x0011 | correlation id | the other leg's Call-ID |

use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use sbc_core::Transport;

/// HEP protocol type of a SIP message.
pub const PROTO_SIP: u8 = 1;
/// HEP protocol type of an RTCP report (a JSON object, as rtpengine sends them).
pub const PROTO_RTCP: u8 = 5;

/// One captured message.
#[derive(Debug, Clone)]
pub struct Capture<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub at: SystemTime,
    pub proto: u8,
    pub agent_id: u32,
    pub password: Option<&'a str>,
    pub correlation: Option<&'a str>,
    pub payload: &'a [u8],
}

/// Why a capture cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// HEP lengths are 16 bits.
    #[error("HEP packet of {len} bytes exceeds 65535")]
    TooLong { len: usize },
    /// Source and destination of different address families.
    #[error("source and destination in different address families")]
    MixedFamilies,
}

fn chunk(out: &mut Vec<u8>, kind: u16, value: &[u8]) -> Result<(), EncodeError> {
    let len = u16::try_from(6 + value.len()).map_err(|_| EncodeError::TooLong {
        len: 6 + value.len(),
    })?;
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    Ok(())
}

/// The HEP3 packet of `c`.
pub fn encode(c: &Capture<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(128 + c.payload.len());
    out.extend_from_slice(b"HEP3\0\0");
    match (c.src.ip(), c.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            chunk(&mut out, 0x0001, &[2])?;
            chunk(&mut out, 0x0002, &[ip_proto(c.transport)])?;
            chunk(&mut out, 0x0003, &s.octets())?;
            chunk(&mut out, 0x0004, &d.octets())?;
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            chunk(&mut out, 0x0001, &[10])?;
            chunk(&mut out, 0x0002, &[ip_proto(c.transport)])?;
            chunk(&mut out, 0x0005, &s.octets())?;
            chunk(&mut out, 0x0006, &d.octets())?;
        }
        _ => return Err(EncodeError::MixedFamilies),
    }
    chunk(&mut out, 0x0007, &c.src.port().to_be_bytes())?;
    chunk(&mut out, 0x0008, &c.dst.port().to_be_bytes())?;
    let since = c.at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = u32::try_from(since.as_secs()).unwrap_or(u32::MAX);
    chunk(&mut out, 0x0009, &secs.to_be_bytes())?;
    chunk(&mut out, 0x000a, &since.subsec_micros().to_be_bytes())?;
    chunk(&mut out, 0x000b, &[c.proto])?;
    chunk(&mut out, 0x000c, &c.agent_id.to_be_bytes())?;
    if let Some(p) = c.password {
        chunk(&mut out, 0x000e, p.as_bytes())?;
    }
    chunk(&mut out, 0x000f, c.payload)?;
    if let Some(id) = c.correlation {
        chunk(&mut out, 0x0011, id.as_bytes())?;
    }
    let total = u16::try_from(out.len()).map_err(|_| EncodeError::TooLong { len: out.len() })?;
    out[4..6].copy_from_slice(&total.to_be_bytes());
    Ok(out)
}

fn ip_proto(t: Transport) -> u8 {
    match t {
        Transport::Udp => 17,
        Transport::Tcp | Transport::Tls => 6,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn golden_ipv4_udp_sip_with_correlation_and_password() {
        let c = Capture {
            src: "10.0.0.1:5060".parse().expect("addr"),
            dst: "10.0.0.2:5080".parse().expect("addr"),
            transport: Transport::Udp,
            at: UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
            proto: PROTO_SIP,
            agent_id: 7,
            password: Some("pw"),
            correlation: Some("b1@x"),
            payload: b"OPTIONS",
        };
        let expected: Vec<u8> = [
            &b"HEP3"[..],
            &[0x00, 0x7c], // 124 bytes in all
            &[0, 0, 0, 1, 0, 7, 2],
            &[0, 0, 0, 2, 0, 7, 17],
            &[0, 0, 0, 3, 0, 10, 10, 0, 0, 1],
            &[0, 0, 0, 4, 0, 10, 10, 0, 0, 2],
            &[0, 0, 0, 7, 0, 8, 0x13, 0xc4],
            &[0, 0, 0, 8, 0, 8, 0x13, 0xd8],
            &[0, 0, 0, 9, 0, 10, 0x65, 0x53, 0xf1, 0x00], // 1700000000
            &[0, 0, 0, 10, 0, 10, 0x00, 0x01, 0xe2, 0x40], // 123456
            &[0, 0, 0, 11, 0, 7, 1],
            &[0, 0, 0, 12, 0, 10, 0, 0, 0, 7],
            &[0, 0, 0, 14, 0, 8, b'p', b'w'],
            &[0, 0, 0, 15, 0, 13],
            &b"OPTIONS"[..],
            &[0, 0, 0, 17, 0, 10],
            &b"b1@x"[..],
        ]
        .concat();
        assert_eq!(expected.len(), 124);
        assert_eq!(encode(&c), Ok(expected));
    }

    #[test]
    fn ipv6_tcp_and_refusals() {
        let mut c = Capture {
            src: "[2001:db8::1]:5061".parse().expect("addr"),
            dst: "[2001:db8::2]:40000".parse().expect("addr"),
            transport: Transport::Tls,
            at: UNIX_EPOCH,
            proto: PROTO_SIP,
            agent_id: 1,
            password: None,
            correlation: None,
            payload: b"x",
        };
        let p = encode(&c).expect("encodes");
        // family 10, protocol 6, then the IPv6 source chunk.
        assert_eq!(&p[6..20], &[0, 0, 0, 1, 0, 7, 10, 0, 0, 0, 2, 0, 7, 6]);
        assert_eq!(&p[20..26], &[0, 0, 0, 5, 0, 22]);
        assert_eq!(usize::from(u16::from_be_bytes([p[4], p[5]])), p.len());
        c.dst = "10.0.0.1:5060".parse().expect("addr");
        assert_eq!(encode(&c), Err(EncodeError::MixedFamilies));
        let big = vec![0u8; 70_000];
        c.dst = "[2001:db8::2]:1".parse().expect("addr");
        c.payload = &big;
        assert!(matches!(encode(&c), Err(EncodeError::TooLong { .. })));
    }
}
