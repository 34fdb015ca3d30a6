//! The shard's timers: what [`Shard::poll_timeout`] waits for and
//! [`Shard::handle_timeout`] fires. Like the SIP transaction timers, each is a named
//! variant of [`MediaTimer`]; [`Shard::poll_timer`] says which one is next.
//!
//! Inactivity keeps one lower bound for all calls ([`calls`](crate::calls)). Transform
//! deadlines are asked again only of the streams touched since the last look (`slots.rs`
//! keeps each stream's earliest one), so `poll_timer` costs one comparison per stream
//! with a transform and nothing for plain relays.

use std::time::Instant;

use sbc_core::{DropKind, MediaEvent, Side};

use crate::shard::Shard;
use crate::transmit::Emit;

/// A deadline of the shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaTimer {
    /// No RTP/RTCP on any stream of an answered call for its inactivity time (60 s; 1 h
    /// while a side does not send): [`MediaEvent::Inactive`]. The SBC's policy, after RFC
    /// 3550 §6.3.5's timeout of a silent participant.
    Inactivity,
    /// A transform's own clock: packets no packet caused, e.g. RFC 4733 §2.5.1.2 event
    /// updates every 50 ms, RFC 3389 comfort noise, RFC 3550 §6.2 reports of a leg the
    /// SBC terminates. What it emits leaves through [`Shard::poll_transmit`].
    Transform,
}

impl Shard {
    /// The next deadline and which timer it is.
    pub fn poll_timer(&self) -> Option<(Instant, MediaTimer)> {
        let mut next = self
            .calls
            .poll_timeout()
            .map(|t| (t, MediaTimer::Inactivity));
        if let Some(t) = self.streams.next_deadline(&self.timed)
            && next.is_none_or(|(n, _)| t < n)
        {
            next = Some((t, MediaTimer::Transform));
        }
        next
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.poll_timer().map(|(t, _)| t)
    }

    /// Fires what is due: [`MediaEvent::Inactive`] for calls silent too long, and the
    /// transforms whose deadline passed (drain [`poll_transmit`](Self::poll_transmit)
    /// afterwards). A transform that fails here is counted (`transform`) and asked again
    /// at its next deadline.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.capture.now = Some(now);
        let events = &mut self.events;
        self.calls
            .handle_timeout(now, |call| events.push_back(MediaEvent::Inactive { call }));
        for i in 0..self.timed.len() {
            let slot = self.timed[i];
            if !self.streams.is_due(slot, now) {
                continue;
            }
            let Some(Some(s)) = self.streams.get_mut(slot) else {
                continue;
            };
            let key = s.key;
            for toward in [Side::A, Side::B] {
                let side = s.side_mut(toward);
                let Some(t) = side.egress.transform.as_mut() else {
                    continue;
                };
                if t.poll_timeout().is_none_or(|d| d > now) {
                    continue;
                }
                t.reception(now, side.stats.reception());
                let mut emit = Emit::new(&mut self.tx, slot, key, toward);
                if t.on_timeout(now, &mut emit).is_err() {
                    self.drops.add(DropKind::Transform);
                }
            }
        }
    }
}
