//! The INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as updated by RFC 6026
//! §8.4 with the Accepted state).
//!
//! ```text
//!   start: send INVITE, A (UDP), B
//!   Calling ──1xx──▶ Proceeding ──300-699: ACK──▶ Completed ──D──▶ Terminated
//!      │  └──300-699: ACK───────────────────────────▲
//!      └──2xx (also from Proceeding)──▶ Accepted ──M──▶ Terminated
//!   Calling ──B──▶ Terminated (Timeout)
//!   Calling/Proceeding ──transport error──▶ Terminated (Timeout, §17.1.4)
//! ```

use std::time::Duration;

use super::build::ack_for;
use super::ctx::{Ctx, Flow};
use super::events::{ClientTxId, TransactionEvent};
use super::timer::Timer;
use crate::Message;

#[derive(Debug)]
enum State {
    /// Waiting for any response; retransmitting every `interval` (Timer A, UDP).
    Calling { interval: Duration },
    /// A provisional response arrived; no timers (the TU may CANCEL).
    Proceeding,
    /// A non-2xx final response was ACKed; `ack` is re-sent for each retransmission.
    Completed { ack: Vec<u8> },
    /// A 2xx arrived (RFC 6026): further 2xx responses go to the TU until Timer M.
    Accepted,
}

/// One INVITE client transaction.
#[derive(Debug)]
pub(crate) struct InviteClient {
    /// The INVITE as sent: the template for its ACK and CANCEL.
    request: Message,
    /// Its wire form, for retransmissions.
    bytes: Vec<u8>,
    state: State,
}

impl InviteClient {
    /// Sends the INVITE and arms timers A (unreliable transports) and B.
    pub(crate) fn start(ctx: &mut Ctx<'_, ClientTxId>, request: Message) -> InviteClient {
        let bytes = request.to_bytes();
        ctx.send(bytes.clone());
        let interval = ctx.config.t1;
        if !ctx.reliable() {
            ctx.arm(Timer::A, interval);
        }
        ctx.arm(Timer::B, ctx.config.timeout());
        InviteClient {
            request,
            bytes,
            state: State::Calling { interval },
        }
    }

    pub(crate) fn request(&self) -> &Message {
        &self.request
    }

    pub(crate) fn is_calling(&self) -> bool {
        matches!(self.state, State::Calling { .. })
    }

    /// Whether a final response has arrived (Completed or Accepted).
    pub(crate) fn has_final(&self) -> bool {
        matches!(self.state, State::Completed { .. } | State::Accepted)
    }

    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientTxId>, response: Message) -> Flow {
        let Some(code) = response.status() else {
            return Flow::Continue;
        };
        match (&self.state, code) {
            (State::Calling { .. } | State::Proceeding, 100..=199) => {
                ctx.disarm(Timer::A);
                ctx.disarm(Timer::B);
                self.state = State::Proceeding;
                self.pass(ctx, response);
                Flow::Continue
            }
            (State::Calling { .. } | State::Proceeding, 200..=299) => {
                self.stop_waiting(ctx);
                self.state = State::Accepted;
                ctx.arm(Timer::M, ctx.config.timeout());
                self.pass(ctx, response);
                Flow::Continue
            }
            (State::Calling { .. } | State::Proceeding, _) => {
                self.stop_waiting(ctx);
                // A parsed response always has a To header and the INVITE was checked
                // when the transaction started, so the ACK can be built; were it not,
                // the transaction still completes (with nothing to re-send).
                let ack = ack_for(&self.request, &response)
                    .map(|m| m.to_bytes())
                    .unwrap_or_default();
                if !ack.is_empty() {
                    ctx.send(ack.clone());
                }
                self.state = State::Completed { ack };
                self.pass(ctx, response);
                ctx.linger(Timer::D, ctx.config.timer_d)
            }
            (State::Completed { ack }, 300..) => {
                // A retransmitted final response: our ACK was lost.
                if !ack.is_empty() {
                    ctx.send(ack.clone());
                }
                Flow::Continue
            }
            (State::Accepted, 200..=299) => {
                self.pass(ctx, response);
                Flow::Continue
            }
            // Provisional or 2xx after a non-2xx final, anything but 2xx in Accepted:
            // out of sequence, discarded.
            (State::Completed { .. } | State::Accepted, _) => Flow::Continue,
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientTxId>, timer: Timer) -> Flow {
        match (&mut self.state, timer) {
            (State::Calling { interval }, Timer::A) => {
                ctx.send(self.bytes.clone());
                *interval = interval.saturating_mul(2);
                let next = *interval;
                ctx.arm(Timer::A, next);
                Flow::Continue
            }
            (State::Calling { .. }, Timer::B)
            | (State::Calling { .. } | State::Proceeding, Timer::Cancel) => {
                ctx.emit(TransactionEvent::Timeout { tx: ctx.id, timer });
                Flow::Terminate
            }
            (State::Completed { .. }, Timer::D) | (State::Accepted, Timer::M) => Flow::Terminate,
            // Timers are disarmed on every transition, so nothing else can fire.
            _ => Flow::Continue,
        }
    }

    /// The transport could not carry the INVITE (§17.1.4): without a final response
    /// the transaction tells the TU and terminates at once; with one (Completed,
    /// Accepted) it has nothing left to send and lives on until Timer D/M.
    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientTxId>) -> Flow {
        if self.has_final() {
            return Flow::Continue;
        }
        ctx.emit(TransactionEvent::Timeout {
            tx: ctx.id,
            timer: Timer::Transport,
        });
        Flow::Terminate
    }

    /// Leaves Calling/Proceeding for a final state.
    fn stop_waiting(&self, ctx: &mut Ctx<'_, ClientTxId>) {
        ctx.disarm(Timer::A);
        ctx.disarm(Timer::B);
        ctx.disarm(Timer::Cancel);
    }

    fn pass(&self, ctx: &mut Ctx<'_, ClientTxId>, response: Message) {
        ctx.emit(TransactionEvent::Response {
            tx: ctx.id,
            response,
        });
    }
}
