//! Media inactivity per call (the timer of [`MediaEvent::Inactive`]).
//!
//! A call's clock starts when it is answered and is pushed forward by every accepted
//! packet of any of its streams. Its deadline is `last + inactivity`, or
//! `last + hold_inactivity` while any side of its streams does not send. The table keeps a
//! lower bound of all deadlines (`next`): packets only push deadlines later, so the bound
//! stays valid without touching it per packet; reaching it sweeps the table once, fires what
//! is due and computes the next bound. Each silence fires once.
//!
//! Each call keeps the two durations it was created with: [`Calls::set_timers`] (a config
//! reload) changes them for calls created from then on only.
//!
//! [`MediaEvent::Inactive`]: sbc_core::MediaEvent::Inactive

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Call {
    pub id: u64,
    pub streams: u32,
    /// Stream sides that do not send (`MediaOp::Sending` false).
    pub quiet_sides: u32,
    /// Set by the answer; `None` before it (no timer on an unanswered call).
    pub last: Option<Instant>,
    pub fired: bool,
    /// The timers in force when the call was created.
    pub inactivity: Duration,
    pub hold_inactivity: Duration,
}

#[derive(Debug)]
pub struct Calls {
    slots: Vec<Option<Call>>,
    free: Vec<usize>,
    by_id: HashMap<u64, usize>,
    next: Option<Instant>,
    inactivity: Duration,
    hold_inactivity: Duration,
}

impl Calls {
    pub fn new(capacity: usize, inactivity: Duration, hold_inactivity: Duration) -> Self {
        Calls {
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            by_id: HashMap::with_capacity(capacity),
            next: None,
            inactivity,
            hold_inactivity,
        }
    }

    /// The timers of calls created from now on.
    pub fn set_timers(&mut self, inactivity: Duration, hold_inactivity: Duration) {
        self.inactivity = inactivity;
        self.hold_inactivity = hold_inactivity;
    }

    /// The slot of call `id`, created with no streams if new.
    pub fn slot(&mut self, id: u64) -> usize {
        if let Some(&s) = self.by_id.get(&id) {
            return s;
        }
        let call = Some(Call {
            id,
            streams: 0,
            quiet_sides: 0,
            last: None,
            fired: false,
            inactivity: self.inactivity,
            hold_inactivity: self.hold_inactivity,
        });
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s] = call;
                s
            }
            None => {
                self.slots.push(call);
                self.slots.len() - 1
            }
        };
        self.by_id.insert(id, s);
        s
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Call> {
        self.slots.get_mut(slot)?.as_mut()
    }

    /// Frees the slot once its last stream is gone.
    pub fn release_stream(&mut self, slot: usize) {
        let Some(call) = self.get_mut(slot) else {
            return;
        };
        call.streams = call.streams.saturating_sub(1);
        if call.streams == 0 {
            let id = call.id;
            self.slots[slot] = None;
            self.by_id.remove(&id);
            self.free.push(slot);
        }
    }

    /// The hot path: an accepted packet of a stream of call `slot`.
    #[inline]
    pub fn activity(&mut self, slot: usize, now: Instant) {
        if let Some(Some(call)) = self.slots.get_mut(slot) {
            if call.last.is_some() {
                call.last = Some(now);
                if call.fired {
                    // Media again after a reported silence: the next silence counts anew.
                    call.fired = false;
                    self.rearm(slot);
                }
            }
        }
    }

    /// The call is answered: its timer starts (if not already running).
    pub fn answered(&mut self, slot: usize, now: Instant) {
        if let Some(call) = self.get_mut(slot) {
            call.last.get_or_insert(now);
        }
        self.rearm(slot);
    }

    /// A side stopped or started sending.
    pub fn quiet(&mut self, slot: usize, quiet: bool) {
        if let Some(call) = self.get_mut(slot) {
            if quiet {
                call.quiet_sides += 1;
            } else {
                call.quiet_sides = call.quiet_sides.saturating_sub(1);
            }
        }
        self.rearm(slot);
    }

    /// Lowers the bound to `slot`'s deadline (an op may have brought it forward).
    fn rearm(&mut self, slot: usize) {
        if let Some(d) = self
            .slots
            .get(slot)
            .and_then(|c| self.deadline(c.as_ref()?))
        {
            self.next = Some(self.next.map_or(d, |n| n.min(d)));
        }
    }

    fn deadline(&self, call: &Call) -> Option<Instant> {
        if call.fired {
            return None;
        }
        let wait = if call.quiet_sides > 0 {
            call.hold_inactivity
        } else {
            call.inactivity
        };
        Some(call.last? + wait)
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// Sweeps when the bound is reached: calls `inactive(id)` for each call due.
    pub fn handle_timeout(&mut self, now: Instant, mut inactive: impl FnMut(u64)) {
        if self.next.is_none_or(|n| now < n) {
            return;
        }
        let mut next: Option<Instant> = None;
        for i in 0..self.slots.len() {
            let Some(d) = self.slots[i].as_ref().and_then(|c| self.deadline(c)) else {
                continue;
            };
            if d <= now {
                if let Some(c) = self.slots[i].as_mut() {
                    c.fired = true;
                    inactive(c.id);
                }
            } else {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        self.next = next;
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
