//! The RFC 4733 §2.3 named-event payload: one event per packet, four bytes.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! `volume` is the power level in -dBm0 (0..=63), `duration` is in timestamp units of the
//! stream's clock (x6 at telephone-event/48000), counted from the event's timestamp.

/// The length of the payload.
pub const LEN: usize = 4;

/// One named event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    pub event: u8,
    /// The E bit: the last packet(s) of the event.
    pub end: bool,
    /// -dBm0, 0..=63.
    pub volume: u8,
    pub duration: u16,
}

/// A payload that is not a named event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("telephone-event payload of {len} bytes (4 needed)")]
    Short { len: usize },
}

impl EventPayload {
    /// Reads the first event of `payload` (RFC 4733 senders put one per packet).
    pub fn parse(payload: &[u8]) -> Result<Self, PayloadError> {
        let b = payload
            .get(..LEN)
            .ok_or(PayloadError::Short { len: payload.len() })?;
        Ok(EventPayload {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// Its four bytes (R is zero, the volume cut to six bits).
    pub fn bytes(&self) -> [u8; LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from the field layout of RFC 4733 §2.3: a digit "5" at volume -10 dBm0
    /// starting (duration 160: 20 ms at 8 kHz) and ending (1280: 160 ms), a "#" at the
    /// longest duration, all-zero.
    #[test]
    fn vectors() {
        let cases: [([u8; 4], EventPayload); 4] = [
            (
                [0x05, 0x0a, 0x00, 0xa0],
                EventPayload {
                    event: 5,
                    end: false,
                    volume: 10,
                    duration: 160,
                },
            ),
            (
                [0x05, 0x8a, 0x05, 0x00],
                EventPayload {
                    event: 5,
                    end: true,
                    volume: 10,
                    duration: 1280,
                },
            ),
            (
                [0x0b, 0xbf, 0xff, 0xff],
                EventPayload {
                    event: 11,
                    end: true,
                    volume: 63,
                    duration: 0xffff,
                },
            ),
            (
                [0x00, 0x00, 0x00, 0x00],
                EventPayload {
                    event: 0,
                    end: false,
                    volume: 0,
                    duration: 0,
                },
            ),
        ];
        for (bytes, payload) in cases {
            assert_eq!(EventPayload::parse(&bytes), Ok(payload));
            assert_eq!(payload.bytes(), bytes);
        }
        // The R bit is ignored on receipt and sent as zero.
        let r = EventPayload::parse(&[0x01, 0x4a, 0, 1]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.end, r.volume, r.bytes()[1]), (false, 10, 0x0a));
        // A longer payload (redundancy, RFC 2198 is not negotiated): the first event.
        assert_eq!(
            EventPayload::parse(&[0x09, 0x0a, 0x01, 0x40, 0xff]).map(|p| p.duration),
            Ok(320)
        );
        assert_eq!(
            EventPayload::parse(&[]),
            Err(PayloadError::Short { len: 0 })
        );
        assert_eq!(
            EventPayload::parse(&[5, 0x8a, 5]),
            Err(PayloadError::Short { len: 3 })
        );
    }
}
