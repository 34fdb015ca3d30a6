//! Per-side egress configuration of a stream: its transform, payload-type map and rewrite
//! ([`Egress`](crate::Egress)). The features that need them (DTMF interworking,
//! transcoding, SRTP's SSRC continuity) call these from their ops.
//!
//! A change that makes the stream need the engine takes it back from the kernel fast path
//! first ([`IoOp::Reclaim`](crate::IoOp::Reclaim)); one that makes it plain again lets the
//! next relayed packet hand it over ([`offload`](crate::offload)).

use sbc_core::{Side, StreamKey};

use crate::egress::Egress;
use crate::ptmap::PtMap;
use crate::rewrite::Rewrite;
use crate::shard::Shard;
use crate::transform::Transform;
use crate::{Forwarder, OpError};

impl Shard {
    /// Installs the transform of `toward`'s side of `stream` (`None` removes it); returns
    /// the one it replaces.
    pub fn set_transform(
        &mut self,
        stream: StreamKey,
        toward: Side,
        transform: Option<Box<dyn Transform>>,
    ) -> Result<Option<Box<dyn Transform>>, OpError> {
        let (slot, old) = self.configure(stream, toward, |e| {
            std::mem::replace(&mut e.transform, transform)
        })?;
        let has = self
            .streams
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|s| s.sides.iter().any(|side| side.egress.transform.is_some()));
        self.timed.retain(|&s| s != slot);
        if has {
            self.timed.push(slot);
        }
        Ok(old)
    }

    /// Renumbers payload types towards `toward`'s side of `stream`.
    pub fn set_payload_types(
        &mut self,
        stream: StreamKey,
        toward: Side,
        map: PtMap,
    ) -> Result<(), OpError> {
        self.configure(stream, toward, |e| e.payload_types = map)
            .map(|_| ())
    }

    /// Rewrites SSRC, sequence numbers and timestamps towards `toward`'s side of `stream`.
    pub fn set_rewrite(
        &mut self,
        stream: StreamKey,
        toward: Side,
        rewrite: Rewrite,
    ) -> Result<(), OpError> {
        self.configure(stream, toward, |e| e.rewrite = rewrite)
            .map(|_| ())
    }

    /// Why the stream's packets need the engine (`Ok(None)`: it could be relayed as it
    /// is, by the kernel fast path).
    pub fn needs_userspace(&self, stream: StreamKey) -> Result<Option<&'static str>, OpError> {
        let s = self
            .stream(stream)
            .ok_or(OpError::UnknownStream { stream })?;
        Ok(s.needs_userspace())
    }

    fn configure<T>(
        &mut self,
        stream: StreamKey,
        toward: Side,
        change: impl FnOnce(&mut Egress) -> T,
    ) -> Result<(usize, T), OpError> {
        let unknown = OpError::UnknownStream { stream };
        let &slot = self.by_key.get(&stream).ok_or(unknown.clone())?;
        let s = self
            .streams
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(unknown)?;
        let egress = &mut s.side_mut(toward).egress;
        let out = change(egress);
        egress.refresh();
        let kernel = s.forwarder == Forwarder::Kernel;
        if kernel && s.needs_userspace().is_some() {
            self.reclaim(slot, "egress needs userspace");
        }
        Ok((slot, out))
    }
}
