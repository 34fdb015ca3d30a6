//! What a state machine may do while it handles one input: send to its peer, arm and
//! disarm its own timers, tell the TU. The layer owns the queues; a machine borrows
//! them through a [`Ctx`] for the duration of one call, so machines stay plain data
//! with no references to the layer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sbc_core::Transmit;

use super::events::{Peer, TransactionEvent, TxId};
use super::timer::{MIN_DELAY, Timer, TimerConfig};
use crate::deadlines::Deadlines;

/// The layer's outputs, shared by all transactions.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) timers: Deadlines<TxId, Timer>,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<TransactionEvent>,
}

impl Outbox {
    pub(crate) fn send(&mut self, peer: Peer, payload: Vec<u8>) {
        self.transmits.push_back(Transmit {
            transport: peer.transport,
            local: peer.local,
            remote: peer.remote,
            payload,
        });
    }
}

/// Whether the transaction lives on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Flow {
    Continue,
    /// The machine reached Terminated; the layer removes it, its timers and its keys.
    Terminate,
}

/// One step's view of the layer, for the transaction `id` talking to `peer`.
#[derive(Debug)]
pub(crate) struct Ctx<'a, I> {
    pub(crate) now: Instant,
    pub(crate) config: &'a TimerConfig,
    pub(crate) peer: Peer,
    pub(crate) id: I,
    pub(crate) out: &'a mut Outbox,
}

impl<I: Copy + Into<TxId>> Ctx<'_, I> {
    /// TCP and TLS: no retransmission timers, zero-length wait timers (§17.1.1.2 ...).
    pub(crate) fn reliable(&self) -> bool {
        self.peer.transport.is_reliable()
    }

    pub(crate) fn send(&mut self, payload: Vec<u8>) {
        self.out.send(self.peer, payload);
    }

    /// Arms (or re-arms) `timer` to fire `delay` from now. A deadline beyond what `Instant`
    /// can represent means "never": the timer stays disarmed.
    pub(crate) fn arm(&mut self, timer: Timer, delay: Duration) {
        let id = self.id.into();
        match self.now.checked_add(delay.max(MIN_DELAY)) {
            Some(at) => self.out.timers.arm(id, timer, at),
            None => self.out.timers.disarm(id, timer),
        }
    }

    pub(crate) fn disarm(&mut self, timer: Timer) {
        self.out.timers.disarm(self.id.into(), timer);
    }

    pub(crate) fn emit(&mut self, event: TransactionEvent) {
        self.out.events.push_back(event);
    }

    /// Enters a wait state guarded by `timer` (D, I, J or K): zero on reliable
    /// transports, so the transaction terminates at once; `delay` otherwise.
    pub(crate) fn linger(&mut self, timer: Timer, delay: Duration) -> Flow {
        if self.reliable() {
            Flow::Terminate
        } else {
            self.arm(timer, delay);
            Flow::Continue
        }
    }
}
