//! Topology hiding in relayed RTCP: source descriptions (SDES, RFC 3550 §6.5) name their
//! sender. The CNAME is usually `user@host` or a SIP URI with the phone's private address
//! (baresip sends `sip:alice@10.99.1.3:5080`), and NAME, EMAIL, PHONE, LOC, TOOL, NOTE and
//! PRIV say who or what it is. Relayed as they are, they would tell the other side what
//! the SBC hides in SIP and SDP.
//!
//! [`scrub`] rewrites every SDES packet of a compound RTCP datagram in place: each chunk
//! keeps its SSRC and its first CNAME, replaced by its [`Pseudonyms`] pseudonym (the same
//! one the SDP's `a=ssrc` cname got, and of the same length); every other item goes. A
//! datagram never grows, so this works in the receive buffer; the packets after a shrunk
//! SDES move up. Other RTCP packets (SR, RR, BYE, APP, XR, feedback) are copied as they
//! are. A compound datagram whose packets or SDES chunks run past their length is
//! [`Malformed`]: the caller drops it (an unreadable SDES cannot be hidden).

use sbc_core::Pseudonyms;

/// RTCP packet type of a source description.
const SDES: u8 = 202;
/// SDES item types.
const END: u8 = 0;
const CNAME: u8 = 1;

/// A compound RTCP datagram that cannot be walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("RTCP packet or SDES chunk at byte {at} runs past its length")]
pub struct Malformed {
    pub at: usize,
}

/// Rewrites the SDES packets of the compound RTCP datagram `buf` (see the module docs);
/// returns the datagram's new length (at most `buf.len()`).
pub fn scrub(buf: &mut [u8], names: &Pseudonyms) -> Result<usize, Malformed> {
    let mut read = 0;
    let mut write = 0;
    while read < buf.len() {
        let header = buf.get(read..read + 4).ok_or(Malformed { at: read })?;
        let (b0, packet_type) = (header[0], header[1]);
        let words = u16::from_be_bytes([header[2], header[3]]);
        let len = (usize::from(words) + 1) * 4;
        let end = read + len;
        if end > buf.len() {
            return Err(Malformed { at: read });
        }
        if packet_type == SDES {
            write = sdes(buf, read, end, write, b0, names)?;
        } else {
            buf.copy_within(read..end, write);
            write += len;
        }
        read = end;
    }
    Ok(write)
}

/// Rewrites the SDES packet `buf[start..end]` to `buf[write..]`; returns where the next
/// packet goes. Invariant: `write <= start`, and the output never passes the input.
fn sdes(
    buf: &mut [u8],
    start: usize,
    mut end: usize,
    write: usize,
    b0: u8,
    names: &Pseudonyms,
) -> Result<usize, Malformed> {
    if b0 & 0x20 != 0 {
        // Padding (§6.4): the last octet counts it; it is not carried over.
        let pad = usize::from(buf[end - 1]);
        if pad == 0 || pad > end - start - 4 {
            return Err(Malformed { at: start });
        }
        end -= pad;
    }
    let chunks = b0 & 0x1f;
    let mut read = start + 4;
    let mut out = write + 4;
    for _ in 0..chunks {
        if read + 4 > end {
            return Err(Malformed { at: read });
        }
        buf.copy_within(read..read + 4, out);
        read += 4;
        out += 4;
        let mut cname_kept = false;
        loop {
            let item = *buf
                .get(read)
                .filter(|_| read < end)
                .ok_or(Malformed { at: read })?;
            if item == END {
                // The chunk ends with one to four null octets, up to a 32-bit boundary.
                read = start + (read + 1 - start).next_multiple_of(4);
                if read > end {
                    return Err(Malformed { at: read });
                }
                break;
            }
            let len = usize::from(*buf.get(read + 1).ok_or(Malformed { at: read })?);
            let value = read + 2..read + 2 + len;
            if value.end > end {
                return Err(Malformed { at: read });
            }
            if item == CNAME && !cname_kept {
                cname_kept = true;
                names.replace_in_place(&mut buf[value.clone()]);
                buf.copy_within(read..value.end, out);
                out += 2 + len;
            }
            read = value.end;
        }
        // END, then nulls up to the chunk's 32-bit boundary (relative to the packet,
        // which starts on one).
        let padded = write + (out + 1 - write).next_multiple_of(4);
        buf[out..padded].fill(0);
        out = padded;
    }
    let words = (out - write) / 4 - 1;
    // Invariant: the packet shrank or kept its size, so its length fits 16 bits.
    let words = u16::try_from(words).unwrap_or(u16::MAX);
    buf[write] = b0 & !0x20;
    buf[write + 1] = SDES;
    buf[write + 2..write + 4].copy_from_slice(&words.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Pseudonyms {
        Pseudonyms::new([3; 16])
    }

    /// SDES items of one chunk: (type, value).
    type Items<'a> = &'a [(u8, &'a [u8])];

    /// An SDES packet with one chunk per (ssrc, items).
    fn sdes_packet(chunks: &[(u32, Items<'_>)]) -> Vec<u8> {
        let mut p = vec![0x80 | chunks.len() as u8, SDES, 0, 0];
        for (ssrc, items) in chunks {
            p.extend_from_slice(&ssrc.to_be_bytes());
            for (t, v) in *items {
                p.push(*t);
                p.push(v.len() as u8);
                p.extend_from_slice(v);
            }
            p.push(0);
            while p.len() % 4 != 0 {
                p.push(0);
            }
        }
        let words = (p.len() / 4 - 1) as u16;
        p[2..4].copy_from_slice(&words.to_be_bytes());
        p
    }

    fn receiver_report(ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 201, 0, 1];
        p.extend_from_slice(&ssrc.to_be_bytes());
        p
    }

    #[test]
    fn cname_is_replaced_and_the_rest_of_the_sdes_removed() {
        let cname: &[u8] = b"sip:alice@10.99.1.3:5080";
        let mut buf = receiver_report(0x1234);
        buf.extend(sdes_packet(&[(
            0x1234,
            &[
                (CNAME, cname),
                (2, b"Alice Example"),
                (6, b"baresip v3.0.0 (x86_64/linux)"),
                (5, b"Room 12"),
            ],
        )]));
        buf.extend(receiver_report(0x1234)); // a packet after the SDES moves up
        let len = scrub(&mut buf, &names()).expect("well-formed");
        let mut want = receiver_report(0x1234);
        let pseudonym = names().of(std::str::from_utf8(cname).expect("ascii"));
        want.extend(sdes_packet(&[(0x1234, &[(CNAME, pseudonym.as_bytes())])]));
        want.extend(receiver_report(0x1234));
        assert_eq!(&buf[..len], &want[..]);
        let text = String::from_utf8_lossy(&buf[..len]);
        for leak in ["alice", "10.99", "Alice", "baresip", "Room"] {
            assert!(!text.contains(leak), "{leak} left in {text:?}");
        }
    }

    #[test]
    fn several_chunks_padding_and_a_second_cname() {
        let mut buf = sdes_packet(&[
            (1, &[(2, b"n"), (CNAME, b"a@b"), (CNAME, b"c@d")]),
            (2, &[]),
            (3, &[(CNAME, b"0123456789abcdef")]),
        ]);
        // Padding on the packet: 4 octets, the last one counting them.
        buf[0] |= 0x20;
        buf.extend_from_slice(&[0, 0, 0, 4]);
        let words = (buf.len() / 4 - 1) as u16;
        buf[2..4].copy_from_slice(&words.to_be_bytes());
        let len = scrub(&mut buf, &names()).expect("well-formed");
        let want = sdes_packet(&[
            (1, &[(CNAME, names().of("a@b").as_bytes())]),
            (2, &[]),
            (3, &[(CNAME, names().of("0123456789abcdef").as_bytes())]),
        ]);
        assert_eq!(&buf[..len], &want[..]);
    }

    #[test]
    fn packets_without_sdes_are_untouched() {
        let mut buf = receiver_report(9);
        buf.extend([0x81, 203, 0, 1, 0, 0, 0, 9]); // BYE
        let copy = buf.clone();
        assert_eq!(scrub(&mut buf, &names()), Ok(copy.len()));
        assert_eq!(buf, copy);
    }

    #[test]
    fn malformed_datagrams_are_refused_never_panic() {
        let good = sdes_packet(&[(1, &[(CNAME, b"abcdefgh")])]);
        // Every truncation, and every single-byte corruption, is refused or scrubbed
        // within the buffer.
        for cut in 0..good.len() {
            let mut b = good[..cut].to_vec();
            if let Ok(len) = scrub(&mut b, &names()) {
                assert!(len <= cut);
            }
        }
        for at in 0..good.len() {
            for value in [0u8, 1, 0x1f, 0x20, 0x3f, 0x80, 0xa1, 0xbf, 0xff] {
                let mut b = good.clone();
                b[at] = value;
                if let Ok(len) = scrub(&mut b, &names()) {
                    assert!(len <= good.len());
                }
            }
        }
        let mut item_past_end = sdes_packet(&[(1, &[(CNAME, b"abcdefgh")])]);
        item_past_end[9] = 200;
        assert!(scrub(&mut item_past_end, &names()).is_err());
    }
}
