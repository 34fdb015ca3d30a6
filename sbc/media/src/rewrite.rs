//! SSRC, sequence-number and timestamp rewriting towards one side (RFC 3550 §5.1 fields):
//! what lets a side see one continuous stream when the source behind it changes (a fork
//! switch, a re-INVITE, events removed or inserted), and keeps an SRTP sender's (SSRC,
//! index) from repeating. Identity by default.
//!
//! Applied to RTP only. RTCP still names the original SSRCs: whoever sets an SSRC here
//! also owns that stream's RTCP towards the side (a transcoded leg generates its own).

/// The offsets and SSRC applied to each RTP packet towards a side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rewrite {
    /// Sent with this SSRC instead of the source's.
    pub ssrc: Option<u32>,
    /// Added to each sequence number (mod 2^16).
    pub seq_offset: u16,
    /// Added to each timestamp (mod 2^32).
    pub ts_offset: u32,
}

impl Rewrite {
    pub fn is_identity(&self) -> bool {
        *self == Rewrite::default()
    }

    /// Rewrites the fixed header of the RTP packet `buf` (at least 12 bytes: the parse
    /// phase checked it; a shorter buffer is left alone).
    pub(crate) fn apply(&self, buf: &mut [u8]) {
        let Some(h) = buf.get_mut(..12) else {
            return;
        };
        let seq = u16::from_be_bytes([h[2], h[3]]).wrapping_add(self.seq_offset);
        let ts = u32::from_be_bytes([h[4], h[5], h[6], h[7]]).wrapping_add(self.ts_offset);
        h[2..4].copy_from_slice(&seq.to_be_bytes());
        h[4..8].copy_from_slice(&ts.to_be_bytes());
        if let Some(ssrc) = self.ssrc {
            h[8..12].copy_from_slice(&ssrc.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_wrap_and_the_ssrc_is_replaced() {
        let mut rtp = [
            0x80, 8, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 0xaa,
        ];
        let r = Rewrite {
            ssrc: Some(0x0a0b_0c0d),
            seq_offset: 3,
            ts_offset: 0x20,
        };
        assert!(!r.is_identity() && Rewrite::default().is_identity());
        r.apply(&mut rtp);
        assert_eq!(
            rtp,
            [0x80, 8, 0, 1, 0, 0, 0, 0x10, 0x0a, 0x0b, 0x0c, 0x0d, 0xaa]
        );
        let mut short = [0x80, 8, 0, 1];
        r.apply(&mut short);
        assert_eq!(short, [0x80, 8, 0, 1]);
    }
}
