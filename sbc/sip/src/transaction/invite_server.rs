//! The INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as updated by RFC 6026
//! §8.5–8.7 with the Accepted state).
//!
//! ```text
//!   new INVITE: 100 Trying (configurable)
//!   Proceeding ──TU 300-699──▶ Completed ──ACK──▶ Confirmed ──I──▶ Terminated
//!       │                         └──H──▶ Terminated (ServerTimeout)
//!       └──TU 2xx──▶ Accepted ──L──▶ Terminated
//! ```
//!
//! In Accepted the transaction absorbs retransmitted INVITEs, passes the TU's 2xx
//! retransmissions (which the TU's UAS core sends, §13.3.1.4) to the wire, and hands a
//! matching ACK to the TU (RFC 6026 §8.7): the 2xx and its ACK are the dialog's
//! business, not the transaction's.

use std::time::Duration;

use super::build::response_for;
use super::ctx::{Ctx, Flow};
use super::error::TransactionError;
use super::events::{ServerTxId, TransactionEvent};
use super::timer::Timer;
use crate::Message;

#[derive(Debug)]
enum State {
    /// Waiting for the TU's final response.
    Proceeding,
    /// A non-2xx final was sent; re-sending it every `interval` (Timer G, UDP) until
    /// the ACK arrives or Timer H fires.
    Completed { interval: Duration },
    /// The ACK arrived; absorbing its retransmissions until Timer I.
    Confirmed,
    /// A 2xx was sent (RFC 6026).
    Accepted,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Proceeding => "Proceeding",
            State::Completed { .. } => "Completed",
            State::Confirmed => "Confirmed",
            State::Accepted => "Accepted",
        }
    }
}

/// One INVITE server transaction.
#[derive(Debug)]
pub(crate) struct InviteServer {
    state: State,
    /// The last response sent, re-sent for each retransmitted INVITE (and by Timer G).
    last: Option<Vec<u8>>,
    /// A 100 Trying waiting for [`Timer::Trying`].
    trying: Option<Vec<u8>>,
    /// The To tag of the last response that had one: what an RFC 2543 ACK carries, and
    /// the tag the layer reuses in its 200 to a CANCEL (§9.2).
    to_tag: Option<Box<str>>,
}

impl InviteServer {
    /// Enters Proceeding and sends (or schedules) the 100 Trying (§17.2.1).
    pub(crate) fn new(ctx: &mut Ctx<'_, ServerTxId>, request: &Message) -> InviteServer {
        let mut tx = InviteServer::without_trying();
        if let Some(delay) = ctx.config.trying_delay {
            let trying = response_for(request, 100, "Trying", None).to_bytes();
            if delay.is_zero() {
                ctx.send(trying.clone());
                tx.last = Some(trying);
            } else {
                tx.trying = Some(trying);
                ctx.arm(Timer::Trying, delay);
            }
        }
        tx
    }

    /// Enters Proceeding without a 100 Trying: for a request the layer answers at once.
    pub(crate) fn without_trying() -> InviteServer {
        InviteServer {
            state: State::Proceeding,
            last: None,
            trying: None,
            to_tag: None,
        }
    }

    /// Whether the TU still owes the final response.
    pub(crate) fn is_proceeding(&self) -> bool {
        matches!(self.state, State::Proceeding)
    }

    pub(crate) fn to_tag(&self) -> Option<&str> {
        self.to_tag.as_deref()
    }

    /// A retransmitted INVITE: answered with the last response in Proceeding and
    /// Completed, absorbed otherwise.
    pub(crate) fn on_invite(&mut self, ctx: &mut Ctx<'_, ServerTxId>) -> Flow {
        if let (State::Proceeding | State::Completed { .. }, Some(last)) = (&self.state, &self.last)
        {
            ctx.send(last.clone());
        }
        Flow::Continue
    }

    pub(crate) fn on_ack(&mut self, ctx: &mut Ctx<'_, ServerTxId>, ack: Message) -> Flow {
        match self.state {
            State::Completed { .. } => {
                ctx.disarm(Timer::G);
                ctx.disarm(Timer::H);
                self.state = State::Confirmed;
                ctx.linger(Timer::I, ctx.config.t4)
            }
            State::Accepted => {
                ctx.emit(TransactionEvent::Ack {
                    request: ack,
                    peer: ctx.peer,
                });
                Flow::Continue
            }
            // Confirmed: a retransmitted ACK, absorbed. Proceeding: an ACK before any
            // final response acknowledges nothing.
            State::Confirmed | State::Proceeding => Flow::Continue,
        }
    }

    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerTxId>,
        response: &Message,
    ) -> Result<Flow, TransactionError> {
        let status = response.status().ok_or(TransactionError::NotAResponse)?;
        let flow = match (&self.state, status) {
            (State::Proceeding, 100..=199) => {
                ctx.disarm(Timer::Trying);
                self.trying = None;
                Flow::Continue
            }
            (State::Proceeding, 200..=299) => {
                ctx.disarm(Timer::Trying);
                self.state = State::Accepted;
                ctx.arm(Timer::L, ctx.config.timeout());
                Flow::Continue
            }
            (State::Accepted, 200..=299) => Flow::Continue,
            (State::Proceeding, _) => {
                ctx.disarm(Timer::Trying);
                let interval = ctx.config.t1;
                self.state = State::Completed { interval };
                if !ctx.reliable() {
                    ctx.arm(Timer::G, interval);
                }
                ctx.arm(Timer::H, ctx.config.timeout());
                Flow::Continue
            }
            (state, status) => {
                return Err(TransactionError::ResponseNotAllowed {
                    tx: ctx.id,
                    status,
                    state: state.name(),
                });
            }
        };
        let bytes = response.to_bytes();
        ctx.send(bytes.clone());
        self.last = Some(bytes);
        self.trying = None;
        if let Some(tag) = response.to().ok().and_then(|to| to.tag()) {
            self.to_tag = Some(tag.into());
        }
        Ok(flow)
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ServerTxId>, timer: Timer) -> Flow {
        match (&mut self.state, timer) {
            (State::Proceeding, Timer::Trying) => {
                if let Some(trying) = self.trying.take() {
                    ctx.send(trying.clone());
                    self.last = Some(trying);
                }
                Flow::Continue
            }
            (State::Completed { interval }, Timer::G) => {
                if let Some(last) = &self.last {
                    ctx.send(last.clone());
                }
                *interval = ctx.config.backoff(*interval);
                let next = *interval;
                ctx.arm(Timer::G, next);
                Flow::Continue
            }
            (State::Completed { .. }, Timer::H) => {
                ctx.disarm(Timer::G);
                ctx.emit(TransactionEvent::ServerTimeout { tx: ctx.id });
                Flow::Terminate
            }
            (State::Confirmed, Timer::I) | (State::Accepted, Timer::L) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }
}
