//! Payload-type renumbering towards one side: the same codec or telephone-event can have a
//! different dynamic payload type on each leg (101 on one, 96 on the other).

use std::fmt;

/// What each RTP payload type (0..=127) becomes towards a side. Identity by default.
#[derive(Clone, PartialEq, Eq)]
pub struct PtMap {
    to: [u8; 128],
    identity: bool,
}

/// A payload type outside 0..=127.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("payload type {pt} out of range 0..=127")]
pub struct PtOutOfRange {
    pub pt: u8,
}

impl Default for PtMap {
    fn default() -> Self {
        let mut to = [0u8; 128];
        for (pt, t) in (0u8..).zip(to.iter_mut()) {
            *t = pt;
        }
        PtMap { to, identity: true }
    }
}

impl PtMap {
    /// Sends payload type `from` as `to`.
    pub fn set(&mut self, from: u8, to: u8) -> Result<(), PtOutOfRange> {
        for pt in [from, to] {
            if pt > 127 {
                return Err(PtOutOfRange { pt });
            }
        }
        self.to[usize::from(from)] = to;
        let identity = self.pairs().next().is_none();
        self.identity = identity;
        Ok(())
    }

    /// What `pt` (0..=127) becomes.
    pub fn get(&self, pt: u8) -> u8 {
        self.to[usize::from(pt & 0x7f)]
    }

    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// Rewrites the payload type of the RTP packet `buf` (keeping the marker bit).
    pub(crate) fn apply(&self, buf: &mut [u8]) {
        if let Some(b1) = buf.get_mut(1) {
            *b1 = (*b1 & 0x80) | self.get(*b1);
        }
    }

    /// The payload types that change, with what they become.
    pub fn pairs(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        (0u8..)
            .zip(self.to.iter().copied())
            .filter(|&(from, to)| from != to)
    }
}

impl fmt::Debug for PtMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbers_and_keeps_the_marker() {
        let mut m = PtMap::default();
        assert!(m.is_identity());
        assert_eq!(m.set(101, 96), Ok(()));
        assert_eq!(m.set(128, 1), Err(PtOutOfRange { pt: 128 }));
        assert!(!m.is_identity());
        let mut rtp = [0x80, 0x80 | 101, 0, 1];
        m.apply(&mut rtp);
        assert_eq!(rtp[1], 0x80 | 96);
        let mut pcma = [0x80, 8];
        m.apply(&mut pcma);
        assert_eq!(pcma[1], 8);
        assert_eq!(format!("{m:?}"), "{101: 96}");
        assert_eq!(m.set(101, 101), Ok(()));
        assert!(m.is_identity(), "mapped back");
    }
}
