//! What every packet of the load carries, and how a receiver knows it arrived intact.
//!
//! 172 bytes of RTP (PCMA, 20 ms): a header whose SSRC is the stream's index, whose sequence
//! number is the frame and whose timestamp is 160 per frame; then the send time (ns since
//! the epoch, big-endian); then 152 bytes that are a function of stream, frame and direction.
//! A receiver rebuilds all of it but the send time from the header it got and compares:
//! a relay that lost, moved or garbled a byte (or decrypted with the wrong key and passed
//! the garbage on) is caught, not counted.

/// Length of the plain RTP packet.
pub const PACKET: usize = 172;
/// Where the send time is.
const STAMP: std::ops::Range<usize> = 12..20;

/// Which way a packet travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AToB,
    BToA,
}

/// Why a received packet is not the one sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrupt {
    Length(usize),
    /// Version, payload type or timestamp not what the header's frame implies.
    Header,
    /// A payload byte differs.
    Payload,
}

/// Writes the packet of `stream`, `frame` and `dir` into `buf[..PACKET]`, stamped `sent_ns`.
pub fn build(buf: &mut [u8; PACKET], stream: u32, frame: u16, dir: Direction, sent_ns: u64) {
    header(buf, stream, frame);
    buf[STAMP].copy_from_slice(&sent_ns.to_be_bytes());
    fill(&mut buf[STAMP.end..], stream, frame, dir);
}

/// Checks `packet` (plain RTP, as received) against what `dir` sends; returns its stream,
/// frame and send time.
pub fn check(packet: &[u8], dir: Direction) -> Result<(u32, u16, u64), Corrupt> {
    let p: &[u8; PACKET] = packet
        .try_into()
        .map_err(|_| Corrupt::Length(packet.len()))?;
    let stream = u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
    let frame = u16::from_be_bytes([p[2], p[3]]);
    let mut want = [0u8; PACKET];
    header(&mut want, stream, frame);
    if p[..STAMP.start] != want[..STAMP.start] {
        return Err(Corrupt::Header);
    }
    fill(&mut want[STAMP.end..], stream, frame, dir);
    if p[STAMP.end..] != want[STAMP.end..] {
        return Err(Corrupt::Payload);
    }
    let mut t = [0u8; 8];
    t.copy_from_slice(&p[STAMP]);
    Ok((stream, frame, u64::from_be_bytes(t)))
}

fn header(buf: &mut [u8; PACKET], stream: u32, frame: u16) {
    buf[0] = 0x80;
    buf[1] = 8;
    buf[2..4].copy_from_slice(&frame.to_be_bytes());
    buf[4..8].copy_from_slice(&(u32::from(frame) * 160).to_be_bytes());
    buf[8..12].copy_from_slice(&stream.to_be_bytes());
}

/// The payload of `stream`, `frame`, `dir`: splitmix64 output from a seed made of the three.
fn fill(out: &mut [u8], stream: u32, frame: u16, dir: Direction) {
    let mut x =
        (u64::from(stream) << 24) | (u64::from(frame) << 1) | (dir == Direction::BToA) as u64;
    for chunk in out.chunks_mut(8) {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_be_bytes()[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_checks_only_as_itself() {
        let mut p = [0u8; PACKET];
        build(&mut p, 7, 300, Direction::AToB, 12345);
        assert_eq!(check(&p, Direction::AToB), Ok((7, 300, 12345)));
        assert_eq!(check(&p, Direction::BToA), Err(Corrupt::Payload));
        assert_eq!(check(&p[..171], Direction::AToB), Err(Corrupt::Length(171)));
        for i in (0..PACKET).filter(|i| !STAMP.contains(i)) {
            let mut q = p;
            q[i] ^= 0x10;
            assert!(check(&q, Direction::AToB).is_err(), "byte {i}");
        }
        // Another stream's or frame's payload under this header is caught too.
        let mut other = [0u8; PACKET];
        build(&mut other, 8, 300, Direction::AToB, 12345);
        other[8..12].copy_from_slice(&7u32.to_be_bytes());
        assert_eq!(check(&other, Direction::AToB), Err(Corrupt::Payload));
    }
}
