//! Packet indexes and replay protection: the 48-bit SRTP index from the 16-bit sequence
//! number and a rollover counter (RFC 3711 §3.3.1, Appendix A), the 31-bit SRTCP index, and
//! a 64-packet replay window over either (§3.3.2; 64 is the minimum the RFC allows and what
//! libsrtp keeps).

/// Packets a window remembers behind the highest index seen.
pub const WINDOW: u64 = 64;

/// Why an index is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Seen before.
    Replay,
    /// Older than the window.
    TooOld,
}

/// The highest index of one SSRC and which of the [`WINDOW`] before it were seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    highest: Option<u64>,
    /// Bit `d` set: index `highest - d` was seen.
    seen: u64,
}

impl Window {
    /// The highest index accepted so far.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// Whether `index` may be accepted (does not record it).
    pub fn check(&self, index: u64) -> Result<(), Refused> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        let behind = highest - index;
        if behind >= WINDOW {
            Err(Refused::TooOld)
        } else if self.seen & (1 << behind) != 0 {
            Err(Refused::Replay)
        } else {
            Ok(())
        }
    }

    /// Records `index` as seen (after it authenticated).
    pub fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index <= highest => {
                let behind = highest - index;
                if behind < WINDOW {
                    self.seen |= 1 << behind;
                }
            }
            Some(highest) => {
                let ahead = index - highest;
                self.seen = if ahead >= WINDOW {
                    1
                } else {
                    (self.seen << ahead) | 1
                };
                self.highest = Some(index);
            }
            None => {
                self.highest = Some(index);
                self.seen = 1;
            }
        }
    }
}

/// The SRTP index a packet with sequence number `seq` most likely has, given the highest
/// index seen so far of its SSRC (RFC 3711 Appendix A); with none, the rollover counter
/// is taken as 0 (SDES: RFC 4568 §6.4.1).
pub fn estimate(highest: Option<u64>, seq: u16) -> u64 {
    let Some(highest) = highest else {
        return u64::from(seq);
    };
    let roc = highest >> 16;
    let s_l = (highest & 0xffff) as i64;
    let seq_i = i64::from(seq);
    let v = if s_l < 32768 {
        if seq_i - s_l > 32768 {
            roc.wrapping_sub(1)
        } else {
            roc
        }
    } else if s_l - 32768 > seq_i {
        roc + 1
    } else {
        roc
    };
    // A rollover counter below 0 (a packet from before the first one, around 0): 0.
    if v > roc + 1 {
        return u64::from(seq);
    }
    ((v & 0xffff_ffff) << 16) | u64::from(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollover_counter_follows_the_sequence_numbers() {
        assert_eq!(estimate(None, 1234), 1234);
        assert_eq!(estimate(Some(65_535), 0), 65_536, "wrap");
        assert_eq!(
            estimate(Some(65_536), 65_535),
            65_535,
            "late, from before the wrap"
        );
        assert_eq!(estimate(Some(0x5_0010), 0x0012), 0x5_0012);
        assert_eq!(estimate(Some(0x5_fff0), 0x0003), 0x6_0003);
        assert_eq!(estimate(Some(0x6_0003), 0xfff0), 0x5_fff0);
        assert_eq!(estimate(Some(10), 65_000), 65_000, "no counter below 0");
    }

    #[test]
    fn the_window_refuses_replays_and_the_too_old() {
        let mut w = Window::default();
        assert_eq!(w.check(100), Ok(()));
        w.accept(100);
        assert_eq!(w.check(100), Err(Refused::Replay));
        assert_eq!(w.check(99), Ok(()), "late but new");
        w.accept(99);
        assert_eq!(w.check(99), Err(Refused::Replay));
        w.accept(200);
        assert_eq!(w.check(100), Err(Refused::TooOld));
        assert_eq!(w.check(137), Ok(()), "63 behind");
        assert_eq!(w.check(136), Err(Refused::TooOld), "64 behind");
        w.accept(137);
        assert_eq!(w.check(137), Err(Refused::Replay));
        w.accept(201);
        assert_eq!(
            w.check(200),
            Err(Refused::Replay),
            "shifted with the window"
        );
        assert_eq!(w.highest(), Some(201));
    }
}
