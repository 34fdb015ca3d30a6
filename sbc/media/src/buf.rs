//! The packet's buffer: the datagram somewhere inside a larger, caller-owned byte slice,
//! with room in front (headroom) and behind (tailroom).
//!
//! Steps of the pipeline change a packet's length in place: protect appends an SRTP tag
//! (10 or 16 bytes; SRTCP adds 4 bytes of index, RFC 3711 §3.4) and unprotect removes it, a
//! transform may shrink RTCP or re-encode a payload, and a header may have to grow in front
//! (a prepended header, RTP header extensions). The IO layer receives each datagram at
//! [`HEADROOM`] into a buffer [`TAILROOM`] longer than its largest datagram, so none of
//! this moves the packet or allocates. A step that needs more room than there is fails
//! with [`StepError::NoRoom`](crate::StepError::NoRoom); the packet is dropped and counted.

use crate::StepError;

/// Bytes the IO layer leaves in front of each received datagram.
pub const HEADROOM: usize = 32;
/// Bytes the IO layer leaves behind the largest datagram it takes: an SRTCP index, MKI and
/// tag (4 + 4 + 16) fit.
pub const TAILROOM: usize = 32;

/// A datagram at `start..end` of `mem`.
#[derive(Debug)]
pub struct PacketBuf<'a> {
    mem: &'a mut [u8],
    start: usize,
    end: usize,
}

impl<'a> PacketBuf<'a> {
    /// The `len` bytes at `start` of `mem`; `None` when they do not fit in `mem`.
    pub fn new(mem: &'a mut [u8], start: usize, len: usize) -> Option<Self> {
        let end = start.checked_add(len)?;
        (end <= mem.len()).then_some(PacketBuf { mem, start, end })
    }

    /// All of `mem` is the datagram: no room on either side.
    pub fn exact(mem: &'a mut [u8]) -> Self {
        let end = mem.len();
        PacketBuf { mem, start: 0, end }
    }

    pub fn data(&self) -> &[u8] {
        &self.mem[self.start..self.end]
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Where the datagram starts in `mem` (for the IO layer's send).
    pub fn start(&self) -> usize {
        self.start
    }

    pub fn headroom(&self) -> usize {
        self.start
    }

    pub fn tailroom(&self) -> usize {
        self.mem.len() - self.end
    }

    /// Grows the datagram by `n` bytes at its end; returns them (contents unspecified).
    pub fn append(&mut self, n: usize) -> Result<&mut [u8], StepError> {
        if n > self.tailroom() {
            return Err(StepError::NoRoom {
                needed: n,
                room: self.tailroom(),
            });
        }
        let old = self.end;
        self.end += n;
        Ok(&mut self.mem[old..self.end])
    }

    /// Grows the datagram by `n` bytes in front; returns them (contents unspecified).
    pub fn prepend(&mut self, n: usize) -> Result<&mut [u8], StepError> {
        if n > self.headroom() {
            return Err(StepError::NoRoom {
                needed: n,
                room: self.headroom(),
            });
        }
        self.start -= n;
        Ok(&mut self.mem[self.start..self.start + n])
    }

    /// Runs `step` over the datagram and its tailroom (`step(region, len)`: the datagram is
    /// `region[..len]`) and takes the length it returns as the datagram's new one: for
    /// in-place rewrites that change the length, as SRTP protect and unprotect do.
    pub fn in_place<E>(
        &mut self,
        step: impl FnOnce(&mut [u8], usize) -> Result<usize, E>,
    ) -> Result<(), E> {
        let len = self.len();
        let region = &mut self.mem[self.start..];
        let new_len = step(region, len)?;
        // A step never reports more than its region.
        self.end = self.start + new_len.min(region.len());
        Ok(())
    }

    /// Cuts the datagram to its first `len` bytes (no-op if it is not longer).
    pub fn truncate(&mut self, len: usize) {
        self.end = self.start + len.min(self.len());
    }

    /// Drops the first `n` bytes (at most all of them); they become headroom.
    pub fn advance(&mut self, n: usize) {
        self.start += n.min(self.len());
    }

    /// Replaces the datagram by `bytes`, in place (it may grow into the tailroom).
    pub fn set(&mut self, bytes: &[u8]) -> Result<(), StepError> {
        let end = self.start + bytes.len();
        if end > self.mem.len() {
            return Err(StepError::NoRoom {
                needed: end - self.end,
                room: self.tailroom(),
            });
        }
        self.end = end;
        self.mem[self.start..end].copy_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_shrinks_within_its_room() {
        let mut mem = [0u8; 16];
        let mut b = PacketBuf::new(&mut mem, 4, 8).unwrap_or_else(|| panic!("fits"));
        b.data_mut().copy_from_slice(b"abcdefgh");
        assert_eq!((b.headroom(), b.tailroom()), (4, 4));
        b.append(4)
            .unwrap_or_else(|e| panic!("{e}"))
            .copy_from_slice(b"TAG!");
        assert_eq!(b.data(), b"abcdefghTAG!");
        assert_eq!(b.append(1), Err(StepError::NoRoom { needed: 1, room: 0 }));
        b.prepend(2)
            .unwrap_or_else(|e| panic!("{e}"))
            .copy_from_slice(b"<<");
        assert_eq!((b.start(), b.data()), (2, &b"<<abcdefghTAG!"[..]));
        assert_eq!(b.prepend(3), Err(StepError::NoRoom { needed: 3, room: 2 }));
        b.advance(2);
        b.truncate(8);
        assert_eq!(b.data(), b"abcdefgh");
        b.set(b"xy").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((b.data(), b.tailroom()), (&b"xy"[..], 10));
        assert_eq!(
            b.set(&[0; 13]),
            Err(StepError::NoRoom {
                needed: 11,
                room: 10
            })
        );
        assert!(PacketBuf::new(&mut [0u8; 4], 2, 3).is_none());
        let mut exact = *b"rtp";
        let mut e = PacketBuf::exact(&mut exact);
        assert_eq!((e.len(), e.headroom(), e.tailroom()), (3, 0, 0));
        assert!(e.append(1).is_err());
    }
}
