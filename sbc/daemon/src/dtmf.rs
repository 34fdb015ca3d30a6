//! SIP INFOs of the SBC's own carrying the digits the media plane heard (RFC 4733 events
//! or in-band tones) towards a `sip-info` leg.
//!
//! One INFO per digit, in digit order, one at a time per dialog: the next goes when the
//! previous one got its final response or timed out, so a slow PBX sees them in order and
//! none is dropped (the queue is bounded only by the media plane's own rate of digits).
//! A 408 or 481 is logged and the queue goes on: the engine never ends a call for an INFO
//! of ours. Before the answer, an INFO towards B goes into the early dialog whose media is
//! relayed (its To tag comes with the digit); once B answered, into the call's dialog.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use sbc_config::DtmfPolicy;
use sbc_core::{Digit, Side};
use sbc_sip::Method;
use sbc_sip::b2bua::{CallId, Engine};
use sbc_sip::transaction::ClientTxId;
use tracing::{debug, info};

/// One digit waiting for its INFO.
#[derive(Debug, Clone)]
struct Pending {
    digit: Digit,
    ms: u32,
    fork: Option<String>,
    policy: DtmfPolicy,
}

/// The INFO queues of every dialog.
#[derive(Debug, Default)]
pub struct InfoSender {
    queues: HashMap<(CallId, Side), VecDeque<Pending>>,
    in_flight: HashMap<ClientTxId, (CallId, Side)>,
    busy: HashMap<(CallId, Side), ClientTxId>,
}

impl InfoSender {
    /// Queues `digit` for an INFO on leg `to` of `call` and sends it when it is its turn.
    #[allow(clippy::too_many_arguments)]
    pub fn digit(
        &mut self,
        engine: &mut Engine,
        now: Instant,
        call: CallId,
        to: Side,
        fork: Option<String>,
        policy: DtmfPolicy,
        digit: Digit,
        ms: u32,
    ) {
        self.queues
            .entry((call, to))
            .or_default()
            .push_back(Pending {
                digit,
                ms,
                fork,
                policy,
            });
        self.pump(engine, now, call, to);
    }

    /// Sends the next INFO of a dialog when none is outstanding.
    fn pump(&mut self, engine: &mut Engine, now: Instant, call: CallId, to: Side) {
        while !self.busy.contains_key(&(call, to)) {
            let Some(p) = self
                .queues
                .get_mut(&(call, to))
                .and_then(VecDeque::pop_front)
            else {
                return;
            };
            let t = p.policy.info_type;
            let body = sbc_session::info_body(t, p.digit, p.ms);
            let shown = p.digit.shown(p.policy.show_digits);
            match engine.send_in_dialog(
                now,
                call,
                to,
                p.fork.as_deref(),
                Method::Info,
                Vec::new(),
                Some((t.content_type().to_owned(), body)),
            ) {
                Ok(tx) => {
                    debug!(%call, side = %to, digit = %shown, "DTMF INFO sent");
                    self.in_flight.insert(tx, (call, to));
                    self.busy.insert((call, to), tx);
                }
                Err(e) => info!(%call, side = %to, digit = %shown, "DTMF INFO not sent: {e}"),
            }
        }
    }

    /// A final response (or a timeout: `status` None) to an INFO of ours; `false` when the
    /// transaction is not one.
    pub fn answered(
        &mut self,
        engine: &mut Engine,
        now: Instant,
        tx: ClientTxId,
        status: Option<u16>,
    ) -> bool {
        let Some(&(call, to)) = self.in_flight.get(&tx) else {
            return false;
        };
        if status.is_some_and(|s| s < 200) {
            return true;
        }
        self.in_flight.remove(&tx);
        self.busy.remove(&(call, to));
        match status {
            Some(s) if s < 300 => {}
            Some(s) => info!(%call, side = %to, status = s, "DTMF INFO refused; the call goes on"),
            None => info!(%call, side = %to, "DTMF INFO unanswered; the call goes on"),
        }
        self.pump(engine, now, call, to);
        true
    }

    /// The call is over: its queues go.
    pub fn ended(&mut self, call: CallId) {
        // By key, not by walking every call's entries: a call ending costs the same however
        // many are in progress. (`in_flight` holds only INFOs awaiting their answer.)
        for side in [Side::A, Side::B] {
            self.queues.remove(&(call, side));
            if let Some(tx) = self.busy.remove(&(call, side)) {
                self.in_flight.remove(&tx);
            }
        }
        self.in_flight.retain(|_, (c, _)| *c != call);
    }
}
