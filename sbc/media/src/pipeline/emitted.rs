//! The egress half of the pipeline for packets of the engine's own (what transforms
//! emitted): taken from the shard's queue into the caller's buffer, then the protect and
//! send phases, as for a relayed packet. What cannot go (its stream closed, its side has
//! no address, protection failed) is dropped and counted in the shard's counters.

use crate::buf::{HEADROOM, PacketBuf};
use crate::shard::Shard;
use crate::transmit::{MediaTransmit, Queued};
use crate::{DropReason, StepError};

impl Shard {
    /// The next packet of the engine's own, written into `mem` (give it
    /// [`HEADROOM`] + [`MAX_EMITTED`](crate::MAX_EMITTED) + [`TAILROOM`](crate::TAILROOM)
    /// bytes); `None` when there is none. Call until `None` after each
    /// [`handle_datagram`](Self::handle_datagram) and [`handle_timeout`](Self::handle_timeout).
    #[inline]
    pub fn poll_transmit(&mut self, mem: &mut [u8]) -> Option<MediaTransmit> {
        if self.tx.is_empty() {
            return None;
        }
        self.next_transmit(mem)
    }

    fn next_transmit(&mut self, mem: &mut [u8]) -> Option<MediaTransmit> {
        let room = mem.len();
        let at = HEADROOM.min(room);
        while let Some((q, copied)) = self.tx.pop_into(&mut mem[at..]) {
            let result = match copied {
                Ok(len) => self.emit_one(q, mem, at, len),
                Err(len) => Err(DropReason::Transform(StepError::NoRoom {
                    needed: len,
                    room: room - at,
                })),
            };
            match result {
                Ok(t) => return Some(t),
                Err(reason) => self.drops.add(reason.kind()),
            }
        }
        None
    }

    fn emit_one(
        &mut self,
        q: Queued,
        mem: &mut [u8],
        at: usize,
        len: usize,
    ) -> Result<MediaTransmit, DropReason> {
        let Queued {
            slot, toward, rtcp, ..
        } = q;
        let stream = match self.streams.get_mut(slot) {
            Some(Some(s)) if s.key == q.key => s,
            _ => return Err(DropReason::NoStream),
        };
        let room = mem.len().saturating_sub(at);
        // Invariant: pop_into copied `len` bytes to `mem[at..]`, so they fit.
        let mut buf =
            PacketBuf::new(mem, at, len).ok_or(DropReason::Transform(StepError::NoRoom {
                needed: len,
                room,
            }))?;
        // Captured at the time of the packet or timer that made it (always known then).
        if let (true, Some(now)) = (stream.capture, self.capture.now) {
            super::capture_sent(&mut self.capture, stream, now, toward, rtcp, buf.data());
        }
        super::protect::run(&mut stream.side_mut(toward).egress, &mut buf, rtcp)?;
        let (socket, to) =
            super::destination(stream, toward, rtcp).ok_or(DropReason::NoDestination)?;
        Ok(MediaTransmit {
            socket,
            to,
            start: buf.start(),
            len: buf.len(),
        })
    }
}
