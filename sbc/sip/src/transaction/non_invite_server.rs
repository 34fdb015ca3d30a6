//! The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
//!
//! ```text
//!   Trying ──TU 1xx──▶ Proceeding ──TU 200-699──▶ Completed ──J──▶ Terminated
//!      └──────────TU 200-699─────────────────────────▲
//! ```

use super::ctx::{Ctx, Flow};
use super::error::TransactionError;
use super::events::ServerTxId;
use super::timer::Timer;
use crate::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No response yet: retransmitted requests are absorbed silently.
    Trying,
    /// A provisional response was sent; it answers retransmitted requests.
    Proceeding,
    /// The final response was sent; it answers retransmitted requests until Timer J.
    Completed,
}

/// One non-INVITE server transaction.
#[derive(Debug)]
pub(crate) struct NonInviteServer {
    state: State,
    last: Option<Vec<u8>>,
}

impl NonInviteServer {
    pub(crate) fn new() -> NonInviteServer {
        NonInviteServer {
            state: State::Trying,
            last: None,
        }
    }

    /// A retransmitted request.
    pub(crate) fn on_request(&mut self, ctx: &mut Ctx<'_, ServerTxId>) -> Flow {
        if let Some(last) = &self.last {
            ctx.send(last.clone());
        }
        Flow::Continue
    }

    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerTxId>,
        response: &Message,
    ) -> Result<Flow, TransactionError> {
        let status = response.status().ok_or(TransactionError::NotAResponse)?;
        if self.state == State::Completed {
            return Err(TransactionError::ResponseNotAllowed {
                tx: ctx.id,
                status,
                state: "Completed",
            });
        }
        let bytes = response.to_bytes();
        ctx.send(bytes.clone());
        self.last = Some(bytes);
        if status < 200 {
            self.state = State::Proceeding;
            return Ok(Flow::Continue);
        }
        self.state = State::Completed;
        Ok(ctx.linger(Timer::J, ctx.config.timeout()))
    }

    pub(crate) fn on_timer(&mut self, timer: Timer) -> Flow {
        match (self.state, timer) {
            (State::Completed, Timer::J) => Flow::Terminate,
            _ => Flow::Continue,
        }
    }
}
