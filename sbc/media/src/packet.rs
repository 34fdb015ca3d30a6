//! The parse phase: is a datagram RTP or RTCP (RFC 3550 §5.1, §6.4; RFC 5761 §4 to tell
//! them apart on a muxed port), and its header fields. Nothing is copied; anything that is
//! neither is [`Junk`] (dropped and counted by the caller).

/// The header fields the relay needs of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    Rtp(RtpHeader),
    /// A (compound) RTCP packet; `ssrc` of its first packet's sender.
    Rtcp {
        packet_type: u8,
        ssrc: u32,
    },
    /// A T.38 UDPTL datagram (ITU-T T.38 §9.1): only its sequence number is read.
    Udptl {
        seq: u16,
    },
}

/// Fixed RTP header fields (RFC 3550 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Offset of the payload (after CSRCs and the header extension).
    pub payload_offset: usize,
    /// Payload length (without padding).
    pub payload_len: usize,
}

/// Why a datagram is not RTP/RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Junk {
    #[error("{len} bytes: too short for RTP/RTCP")]
    Short { len: usize },
    #[error("version {version}, not 2")]
    Version { version: u8 },
    #[error("RTP header (CSRCs, extension, padding) runs past the datagram")]
    BadRtpLength,
    #[error("RTCP length field {words} runs past the datagram")]
    BadRtcpLength { words: u16 },
    #[error("datagram larger than the receive buffer")]
    Truncated,
    #[error("RTCP source description runs past its length")]
    BadSdes,
    /// RFC 7983 §7: first byte 0..=3. ICE is not terminated yet.
    #[error("STUN")]
    Stun,
    /// First byte 16..=19.
    #[error("ZRTP")]
    Zrtp,
    /// First byte 20..=63. DTLS-SRTP is not terminated yet.
    #[error("DTLS")]
    Dtls,
    /// First byte 64..=79.
    #[error("TURN ChannelData")]
    TurnChannel,
}

/// The fixed RTP header, in bytes.
const RTP_HEADER: usize = 12;

/// Parses `buf` as RTP or RTCP.
pub fn parse(buf: &[u8]) -> Result<Packet, Junk> {
    let (&b0, rest) = buf.split_first().ok_or(Junk::Short { len: 0 })?;
    let version = b0 >> 6;
    if version != 2 {
        return Err(Junk::Version { version });
    }
    let b1 = *rest.first().ok_or(Junk::Short { len: buf.len() })?;
    // RFC 5761 §4: RTCP packet types 192..=223 occupy what would be RTP payload types
    // 64..=95 with the marker bit set; RTP must not use those.
    if (192..=223).contains(&b1) {
        parse_rtcp(buf, b1)
    } else {
        parse_rtp(buf, b0, b1)
    }
}

/// Parses `buf` as UDPTL (a stream signalled as T.38): at least its 2-byte sequence
/// number and one byte of primary IFP packet.
pub fn parse_udptl(buf: &[u8]) -> Result<Packet, Junk> {
    if buf.len() < 3 {
        return Err(Junk::Short { len: buf.len() });
    }
    let seq = be16(buf, 0).ok_or(Junk::Short { len: buf.len() })?;
    Ok(Packet::Udptl { seq })
}

fn be16(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?]))
}

fn be32(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn parse_rtcp(buf: &[u8], packet_type: u8) -> Result<Packet, Junk> {
    if buf.len() < 8 {
        return Err(Junk::Short { len: buf.len() });
    }
    let words = be16(buf, 2).ok_or(Junk::Short { len: buf.len() })?;
    if (usize::from(words) + 1) * 4 > buf.len() {
        return Err(Junk::BadRtcpLength { words });
    }
    let ssrc = be32(buf, 4).ok_or(Junk::Short { len: buf.len() })?;
    Ok(Packet::Rtcp { packet_type, ssrc })
}

fn parse_rtp(buf: &[u8], b0: u8, b1: u8) -> Result<Packet, Junk> {
    let short = Junk::Short { len: buf.len() };
    if buf.len() < RTP_HEADER {
        return Err(short);
    }
    let csrcs = usize::from(b0 & 0x0f);
    let mut offset = RTP_HEADER + 4 * csrcs;
    if b0 & 0x10 != 0 {
        // Header extension (§5.3.1): 16-bit profile, 16-bit length in 32-bit words.
        let words = be16(buf, offset + 2).ok_or(Junk::BadRtpLength)?;
        offset += 4 + 4 * usize::from(words);
    }
    if offset > buf.len() {
        return Err(Junk::BadRtpLength);
    }
    let mut payload_len = buf.len() - offset;
    if b0 & 0x20 != 0 {
        // Padding (§5.1): the last octet counts the padding octets, itself included.
        let pad = usize::from(*buf.last().ok_or(Junk::BadRtpLength)?);
        if pad == 0 || pad > payload_len {
            return Err(Junk::BadRtpLength);
        }
        payload_len -= pad;
    }
    Ok(Packet::Rtp(RtpHeader {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7f,
        seq: be16(buf, 2).ok_or(short)?,
        timestamp: be32(buf, 4).ok_or(short)?,
        ssrc: be32(buf, 8).ok_or(short)?,
        payload_offset: offset,
        payload_len,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_rtcp_and_junk() {
        let mut rtp = [0u8; 172];
        rtp[0] = 0x80;
        rtp[1] = 0x08;
        rtp[2..4].copy_from_slice(&7u16.to_be_bytes());
        rtp[8..12].copy_from_slice(&0xdead_beefu32.to_be_bytes());
        let Ok(Packet::Rtp(h)) = parse(&rtp) else {
            panic!("not rtp")
        };
        assert_eq!((h.seq, h.ssrc, h.payload_len), (7, 0xdead_beef, 160));
        let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
        assert_eq!(
            parse(&rr),
            Ok(Packet::Rtcp {
                packet_type: 201,
                ssrc: 0x0102_0304
            })
        );
        assert!(matches!(
            parse(b"hello world, junk"),
            Err(Junk::Version { .. })
        ));
        assert!(parse(&[0x80, 201, 0, 9, 1, 2, 3, 4]).is_err());
        assert!(
            parse(&[0x9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err(),
            "15 CSRCs"
        );
        assert!(parse(&[]).is_err());
        let mut padded = rtp;
        padded[0] |= 0x20;
        padded[171] = 200;
        assert_eq!(parse(&padded), Err(Junk::BadRtpLength));
    }
}
