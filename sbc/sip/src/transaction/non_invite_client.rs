//! The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6), also used for the
//! CANCEL the layer sends for an INVITE (§9.1), which may have to wait for a
//! provisional response before it is allowed on the wire.
//!
//! ```text
//!   (Deferred ──start──▶) Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──K──▶ Terminated
//!                           └──────────200-699──────────────────────▲
//!   Trying/Proceeding ──F──▶ Terminated (Timeout)
//!   Trying/Proceeding ──transport error──▶ Terminated (Timeout, §17.1.4)
//! ```

use std::time::Duration;

use super::ctx::{Ctx, Flow};
use super::events::{ClientTxId, TransactionEvent};
use super::timer::Timer;
use crate::Message;

#[derive(Debug)]
enum State {
    /// A CANCEL waiting for its INVITE's first provisional response (§9.1): nothing
    /// sent, no timers.
    Deferred,
    /// Sent; retransmitting every `interval` (Timer E, UDP), doubling up to T2.
    Trying { interval: Duration },
    /// A provisional response arrived; retransmitting every T2.
    Proceeding,
    /// A final response arrived; absorbing its retransmissions until Timer K.
    Completed,
}

/// One non-INVITE client transaction.
#[derive(Debug)]
pub(crate) struct NonInviteClient {
    bytes: Vec<u8>,
    state: State,
}

impl NonInviteClient {
    /// Sends the request and arms timers E (unreliable transports) and F.
    pub(crate) fn start(ctx: &mut Ctx<'_, ClientTxId>, request: &Message) -> NonInviteClient {
        let mut tx = NonInviteClient::deferred(request);
        tx.send_first(ctx);
        tx
    }

    /// A transaction whose request is held back until [`Self::send_first`].
    pub(crate) fn deferred(request: &Message) -> NonInviteClient {
        NonInviteClient {
            bytes: request.to_bytes(),
            state: State::Deferred,
        }
    }

    pub(crate) fn is_deferred(&self) -> bool {
        matches!(self.state, State::Deferred)
    }

    /// Deferred → Trying: sends the request, arms E and F. No-op in other states.
    pub(crate) fn send_first(&mut self, ctx: &mut Ctx<'_, ClientTxId>) {
        if !self.is_deferred() {
            return;
        }
        ctx.send(self.bytes.clone());
        let interval = ctx.config.t1;
        if !ctx.reliable() {
            ctx.arm(Timer::E, interval);
        }
        ctx.arm(Timer::F, ctx.config.timeout());
        self.state = State::Trying { interval };
    }

    /// The transport could not carry the request (§17.1.4): in Trying or Proceeding
    /// the transaction tells the TU and terminates at once. A deferred CANCEL has sent
    /// nothing yet (it ends with its INVITE), a completed one has its answer.
    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientTxId>) -> Flow {
        match self.state {
            State::Trying { .. } | State::Proceeding => {
                ctx.emit(TransactionEvent::Timeout {
                    tx: ctx.id,
                    timer: Timer::Transport,
                });
                Flow::Terminate
            }
            State::Deferred | State::Completed => Flow::Continue,
        }
    }

    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientTxId>, response: Message) -> Flow {
        let Some(code) = response.status() else {
            return Flow::Continue;
        };
        match (&self.state, code) {
            (State::Trying { .. } | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                pass(ctx, response);
                Flow::Continue
            }
            (State::Trying { .. } | State::Proceeding, _) => {
                ctx.disarm(Timer::E);
                ctx.disarm(Timer::F);
                self.state = State::Completed;
                pass(ctx, response);
                ctx.linger(Timer::K, ctx.config.t4)
            }
            // Completed: retransmissions absorbed. Deferred: nothing was sent, so a
            // response cannot be for this transaction.
            (State::Completed | State::Deferred, _) => Flow::Continue,
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientTxId>, timer: Timer) -> Flow {
        match (&mut self.state, timer) {
            (State::Trying { interval }, Timer::E) => {
                ctx.send(self.bytes.clone());
                *interval = ctx.config.backoff(*interval);
                let next = *interval;
                ctx.arm(Timer::E, next);
                Flow::Continue
            }
            (State::Proceeding, Timer::E) => {
                ctx.send(self.bytes.clone());
                ctx.arm(Timer::E, ctx.config.t2);
                Flow::Continue
            }
            (State::Trying { .. } | State::Proceeding, Timer::F) => {
                ctx.emit(TransactionEvent::Timeout { tx: ctx.id, timer });
                Flow::Terminate
            }
            (State::Completed, Timer::K) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }
}

fn pass(ctx: &mut Ctx<'_, ClientTxId>, response: Message) {
    ctx.emit(TransactionEvent::Response {
        tx: ctx.id,
        response,
    });
}
