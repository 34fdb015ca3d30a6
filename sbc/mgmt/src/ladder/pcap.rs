//! A ladder as a pcap file (the classic libpcap format, microsecond timestamps,
//! `LINKTYPE_RAW`: each record an IPv4 or IPv6 packet), as Wireshark, tshark and sngrep
//! read it.
//!
//! Each SIP message becomes one packet with synthesized IP and UDP headers between the
//! addresses and ports it had on the wire, at the time it was read or written. TCP and
//! TLS messages are written as UDP too (TLS decrypted: the SBC has the plain text), so one
//! filter (`sip`) shows every message of both legs. A message longer than a UDP datagram
//! can carry (65,507 bytes over IPv4) is cut there.
//!
//! The call's captured RTP/RTCP packets ([`LadderView::media`]) are merged in, in time
//! order, the same way: UDP between the peer and the SBC's media socket of that leg, as
//! they were on the wire but in the clear (SRTP decrypted by the SBC). Wireshark's SIP
//! dissector sets up RTP conversations from the SDP of the messages in the same file, so
//! `tshark -r call.pcap -Y rtp` shows the streams without `-d udp.port==N,rtp`; since the
//! packets are in the clear, the SDP in such a file says `RTP/AVP` where it said
//! `RTP/SAVP` (`clear_sdp`), or Wireshark would take them for SRTP.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::LadderView;

/// `LINKTYPE_RAW`: the packet starts with its IP header (4 or 6 by its first nibble).
const LINKTYPE_RAW: u32 = 101;
const MAX_UDP_PAYLOAD: usize = 65_535 - 20 - 8;

/// The pcap file of `ladder`'s messages. Messages whose addresses do not parse (none the
/// daemon writes) are left out.
pub fn pcap(ladder: &LadderView) -> Vec<u8> {
    // With RTP in the file (decrypted), the SDP says plain RTP too (see `clear_sdp`).
    let clear = !ladder.media.is_empty();
    let sip = ladder.messages.iter().filter_map(|m| {
        let (Ok(src), Ok(dst)) = (m.src.parse::<SocketAddr>(), m.dst.parse::<SocketAddr>()) else {
            return None;
        };
        let text = if clear {
            super::clear_sdp::clear_profiles(&m.message)
        } else {
            Cow::Borrowed(m.message.as_str())
        };
        Some((
            m.unix_us,
            src,
            dst,
            Cow::Owned(text.into_owned().into_bytes()),
        ))
    });
    let media = ladder
        .media
        .iter()
        .map(|p| (p.unix_us, p.src, p.dst, Cow::Borrowed(p.bytes.as_slice())));
    let mut records: Vec<(i64, SocketAddr, SocketAddr, Cow<'_, [u8]>)> = sip.chain(media).collect();
    // Stable: messages and packets of the same microsecond keep their order.
    records.sort_by_key(|r| r.0);
    let mut out = Vec::with_capacity(24 + records.iter().map(|r| r.3.len() + 64).sum::<usize>());
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&262_144u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    for (n, (unix_us, src, dst, bytes)) in records.into_iter().enumerate() {
        let payload = &bytes[..bytes.len().min(MAX_UDP_PAYLOAD)];
        // The IP identification field wraps: it only needs to differ between neighbours.
        let packet = udp_packet(src, dst, payload, n as u16);
        let secs = u32::try_from(unix_us.div_euclid(1_000_000)).unwrap_or(0);
        let micros = unix_us.rem_euclid(1_000_000) as u32;
        let len = packet.len() as u32;
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&micros.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&packet);
    }
    out
}

/// An IP packet carrying `payload` in UDP from `src` to `dst` (IPv6 when either is; an
/// IPv4 address then written as IPv4-mapped).
fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8], id: u16) -> Vec<u8> {
    let udp_len = (8 + payload.len()) as u16;
    let mut udp = Vec::with_capacity(udp_len as usize);
    udp.extend_from_slice(&src.port().to_be_bytes());
    udp.extend_from_slice(&dst.port().to_be_bytes());
    udp.extend_from_slice(&udp_len.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut pseudo = Vec::with_capacity(12);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 17]);
            pseudo.extend_from_slice(&udp_len.to_be_bytes());
            set_udp_checksum(&mut udp, &pseudo);
            let total = (20 + udp.len()) as u16;
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&total.to_be_bytes());
            ip.extend_from_slice(&id.to_be_bytes());
            ip.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
            ip.extend_from_slice(&[64, 17, 0, 0]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let sum = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            ip.extend_from_slice(&udp);
            ip
        }
        (s, d) => {
            let (s, d) = (v6(s), v6(d));
            let mut pseudo = Vec::with_capacity(40);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&u32::from(udp_len).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 17]);
            set_udp_checksum(&mut udp, &pseudo);
            let mut ip = vec![0x60, 0, 0, 0];
            ip.extend_from_slice(&udp_len.to_be_bytes());
            ip.extend_from_slice(&[17, 64]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            ip.extend_from_slice(&udp);
            ip
        }
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

fn set_udp_checksum(udp: &mut [u8], pseudo: &[u8]) {
    let mut sum = checksum(&[pseudo, udp]);
    if sum == 0 {
        sum = 0xffff; // RFC 768: zero means "no checksum"
    }
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
}

/// The Internet checksum (RFC 1071) of the concatenated `parts` (each but the last of
/// even length).
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::{LadderLeg, LadderMessage};

    fn message(src: &str, dst: &str, unix_us: i64, text: &str) -> LadderMessage {
        LadderMessage {
            time: String::new(),
            unix_us,
            leg: "a".into(),
            direction: "in".into(),
            transport: "udp".into(),
            src: src.into(),
            dst: dst.into(),
            first_line: text.lines().next().unwrap_or_default().into(),
            message: text.into(),
        }
    }

    #[test]
    fn rfc_1071_example() {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before the complement).
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
    }

    #[test]
    fn ipv4_udp_record_golden_bytes() {
        let ladder = LadderView {
            call: 1,
            ended: true,
            dropped: 0,
            legs: vec![LadderLeg {
                side: "a".into(),
                call_id: "x".into(),
            }],
            messages: vec![message(
                "10.0.0.1:5060",
                "10.0.0.2:5070",
                1_700_000_000_250_000,
                "BYE",
            )],
            ..LadderView::default()
        };
        let file = pcap(&ladder);
        assert_eq!(&file[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&file[20..24], &101u32.to_le_bytes());
        let rec = &file[24..];
        assert_eq!(&rec[..4], &1_700_000_000u32.to_le_bytes());
        assert_eq!(&rec[4..8], &250_000u32.to_le_bytes());
        assert_eq!(&rec[8..12], &31u32.to_le_bytes());
        let ip = &rec[16..];
        assert_eq!(ip.len(), 31);
        assert_eq!(&ip[..4], &[0x45, 0, 0, 31]);
        assert_eq!(&ip[12..20], &[10, 0, 0, 1, 10, 0, 0, 2]);
        // A header whose checksum is right sums to zero.
        assert_eq!(checksum(&[&ip[..20]]), 0);
        assert_eq!(&ip[20..26], &[0x13, 0xc4, 0x13, 0xce, 0, 11]);
        let pseudo = [10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 11];
        assert_eq!(checksum(&[&pseudo, &ip[20..]]), 0);
        assert_eq!(&ip[28..], b"BYE");
    }

    #[test]
    fn captured_packets_merge_with_the_messages_in_time_order() {
        let rtp = |unix_us: i64, seq: u8| crate::ladder::MediaPacket {
            unix_us,
            src: "10.0.0.9:4000".parse().unwrap_or_else(|_| unreachable!()),
            dst: "10.0.0.1:20000".parse().unwrap_or_else(|_| unreachable!()),
            bytes: vec![0x80, 0, 0, seq, 0, 0, 0, 0, 0, 0, 0, 1],
        };
        let ladder = LadderView {
            messages: vec![
                message("10.0.0.1:5060", "10.0.0.2:5060", 100, "INVITE"),
                message("10.0.0.2:5060", "10.0.0.1:5060", 300, "BYE"),
            ],
            media: vec![rtp(200, 1), rtp(400, 2)],
            ..LadderView::default()
        };
        let file = pcap(&ladder);
        let mut at = 24;
        let mut seen = Vec::new();
        while at < file.len() {
            let us = u32::from_le_bytes([file[at + 4], file[at + 5], file[at + 6], file[at + 7]]);
            let len = u32::from_le_bytes([file[at + 8], file[at + 9], file[at + 10], file[at + 11]])
                as usize;
            let ip = &file[at + 16..at + 16 + len];
            assert_eq!(checksum(&[&ip[..20]]), 0);
            let mut pseudo = ip[12..20].to_vec();
            pseudo.extend_from_slice(&[0, 17]);
            pseudo.extend_from_slice(&ip[24..26]);
            assert_eq!(checksum(&[&pseudo, &ip[20..]]), 0, "UDP checksum");
            seen.push((us, u16::from_be_bytes([ip[22], ip[23]]), ip[28..].len()));
            at += 16 + len;
        }
        assert_eq!(
            seen,
            vec![
                (100, 5060, 6),
                (200, 20000, 12),
                (300, 5060, 3),
                (400, 20000, 12)
            ]
        );
    }

    #[test]
    fn ipv6_and_bad_addresses() {
        let ladder = LadderView {
            messages: vec![
                message("[2001:db8::1]:5060", "[2001:db8::2]:5060", 0, "OPTIONS"),
                message("nonsense", "10.0.0.1:5060", 0, "x"),
            ],
            ..LadderView::default()
        };
        let file = pcap(&ladder);
        let ip = &file[24 + 16..];
        assert_eq!(ip.len(), 40 + 8 + 7, "one record: the bad one left out");
        assert_eq!(ip[0] >> 4, 6);
        assert_eq!(&ip[4..7], &[0, 15, 17]);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&ip[8..40]);
        pseudo.extend_from_slice(&[0, 0, 0, 15, 0, 0, 0, 17]);
        assert_eq!(checksum(&[&pseudo, &ip[40..]]), 0);
    }
}
