//! [`Engine`]: the transaction layer and the B2BUA, driven together.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use sbc_core::Transmit;

use super::call::{Call, EndReason, Purpose};
use super::hook::SessionHook;
use super::ids::{CallId, Side, Tokens};
use crate::deadlines::Deadlines;
use crate::transaction::{
    ClientTxId, Peer, ServerTxId, TimerConfig, TransactionEvent, TransactionLayer,
};
use crate::wire::{Known, Message};

/// What the daemon configures.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub timers: TimerConfig,
    /// The SBC's User-Agent / Server value.
    pub agent: String,
    /// Random seed for tags, Call-IDs and branches.
    pub seed: u64,
}

/// What the engine tells the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A request outside any dialog: the daemon answers it ([`Engine::answer`]) or
    /// relays it ([`Engine::relay`]); one of the two must follow.
    Request {
        tx: ServerTxId,
        request: Message,
        peer: Peer,
    },
    /// A call was set up towards B.
    CallStarted { call: CallId },
    /// B answered.
    CallAnswered { call: CallId },
    /// The call is over and forgotten.
    CallEnded { call: CallId, reason: EndReason },
    /// A REFER asks for a blind transfer (`refer = "handle"`) to `request.target`: the
    /// daemon routes it and calls [`Engine::transfer_to`] or [`Engine::refuse_transfer`];
    /// one of the two must follow. Until then the REFER waits unanswered.
    Transfer {
        call: CallId,
        from: Side,
        request: super::transfer::TransferRequest,
    },
    /// A transfer ended with the new leg's final status (a timeout as 408): 2xx, the new
    /// leg took the referrer's place; else the call stays as it was.
    TransferEnded { call: CallId, from: Side, code: u16 },
    /// A response to a request the daemon sent itself ([`Engine::send_request`]):
    /// provisional ones, then the final one.
    Response { tx: ClientTxId, response: Message },
    /// A request the daemon sent itself got no final response (Timer B/F), or could
    /// not be sent ([`Engine::transport_error`]).
    Timeout { tx: ClientTxId },
}

/// One leg of a call as its peer sees it ([`Engine::legs`]): the Call-ID and the two
/// parties' headers (the SBC's side first: on A's leg the To the caller dialled, on B's the
/// From the SBC sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegInfo {
    pub call_id: String,
    pub local_party: String,
    pub remote_party: String,
}

/// A view of the engine's bookkeeping ([`Engine::bookkeeping`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bookkeeping {
    /// B2BUA timers armed.
    pub timers: usize,
    /// Calls with at least one timer armed.
    pub calls_with_timers: usize,
    /// Entries looked at by per-call queries and timer cancellations, since the start.
    pub visited: u64,
}

/// B2BUA timers (the transaction layer has its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CallTimer {
    /// Retransmit a 2xx until its ACK (RFC 3261 §13.3.1.4: T1, doubling to T2).
    OkRetransmit(ServerTxId),
    /// Give up on the ACK after 64*T1 (§13.3.1.4) and end the call.
    AckTimeout(ServerTxId),
    /// Retransmit the reliable provisional response with this RSeq to A until its
    /// PRACK (RFC 3262 §3: T1, doubling).
    RelRetransmit(u32),
    /// No PRACK 64*T1 after the reliable provisional response with this RSeq: reject
    /// A's INVITE with a 5xx (RFC 3262 §3).
    PrackTimeout(u32),
    /// The session interval passed without a refresh: end the call (RFC 4028 §10).
    SessionExpires,
    /// The SBC is the refresher: refresh at half the interval (RFC 4028 §10).
    SessionRefresh,
    /// The B INVITE in this client transaction got no response at all within the plan's
    /// `invite_timeout`: abandon that target for the next.
    InviteTimeout(ClientTxId),
    /// Send the re-INVITE resuming a kept party after a transfer: once the offer in
    /// progress is over (T2), or after a 491 (RFC 3261 §14.1's random wait).
    Resume,
}

/// The SIP core of the SBC: owns every transaction and every call.
///
/// Run it like the transaction layer: feed [`handle_message`](Engine::handle_message)
/// and [`handle_timeout`](Engine::handle_timeout), then drain
/// [`poll_event`](Engine::poll_event) (answering each `Request`) and
/// [`poll_transmit`](Engine::poll_transmit), and sleep until
/// [`poll_timeout`](Engine::poll_timeout).
#[derive(Debug)]
pub struct Engine {
    pub(crate) layer: TransactionLayer,
    pub(crate) tokens: Tokens,
    /// Tokens of REFERs relayed to the other leg (`refer = "relay"`).
    pub(crate) refer_tokens: super::refer_relay::ReferTokens,
    pub(crate) agent: String,
    pub(crate) calls: HashMap<CallId, Call>,
    /// (Call-ID, our tag) of each leg -> the call and side.
    pub(crate) dialogs: HashMap<(String, String), (CallId, Side)>,
    pub(crate) clients: HashMap<ClientTxId, (CallId, Purpose)>,
    /// The B2BUA's timers, by call: a call's end clears its own without a scan.
    pub(crate) timers: Deadlines<CallId, CallTimer>,
    pub(crate) events: VecDeque<EngineEvent>,
    /// Client transactions of requests the daemon sent itself.
    own: HashSet<ClientTxId>,
    /// Entries of other maps looked at by per-call queries (see [`Engine::bookkeeping`]).
    pub(crate) visited: u64,
    next_call: u64,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Engine {
            layer: TransactionLayer::new(config.timers),
            tokens: Tokens::new(config.seed),
            refer_tokens: Default::default(),
            agent: config.agent,
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            clients: HashMap::new(),
            timers: Deadlines::default(),
            events: VecDeque::new(),
            own: HashSet::new(),
            visited: 0,
            next_call: 0,
        }
    }

    /// A message arrived from `peer`.
    pub fn handle_message(
        &mut self,
        now: Instant,
        msg: Message,
        peer: Peer,
        hook: &mut dyn SessionHook,
    ) {
        self.layer.handle_message(now, msg, peer);
        self.pump(now, hook);
    }

    /// Time has come for [`poll_timeout`](Engine::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant, hook: &mut dyn SessionHook) {
        self.layer.handle_timeout(now);
        while let Some((call, timer)) = self.timers.pop_due(now) {
            self.on_timer(now, call, timer, hook);
        }
        self.pump(now, hook);
    }

    /// The daemon could not open the `transport` connection from `local` to `remote`
    /// (RFC 3261 §17.1.4): the client transactions waiting on it fail at once
    /// ([`TransactionLayer::transport_error`]) and the engine acts as on their
    /// timeout — a call's INVITE fails over to the next target or is answered to A
    /// (408), an in-dialog request ends its call, a request of the daemon's own comes
    /// back as [`EngineEvent::Timeout`]. Returns how many transactions failed.
    pub fn transport_error(
        &mut self,
        now: Instant,
        transport: sbc_core::Transport,
        local: std::net::SocketAddr,
        remote: std::net::SocketAddr,
        hook: &mut dyn SessionHook,
    ) -> usize {
        let failed = self.layer.transport_error(now, transport, local, remote);
        self.pump(now, hook);
        failed
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let own = self.timers.next();
        match (own, self.layer.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.layer.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        self.events.pop_front()
    }

    /// Sends a request of the daemon's own outside any call (an OPTIONS health check, a
    /// REGISTER): its responses come back as [`EngineEvent::Response`], or
    /// [`EngineEvent::Timeout`]. The request must carry its Via with a fresh branch
    /// ([`Engine::tokens`]).
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Message,
        peer: Peer,
    ) -> Result<ClientTxId, crate::transaction::TransactionError> {
        let tx = self.layer.start_client(now, request, peer)?;
        self.own.insert(tx);
        Ok(tx)
    }

    /// A response to the request of server transaction `tx` (Via, From, To with
    /// `to_tag`, Call-ID, CSeq copied from it), for the daemon to complete and
    /// [`respond`](Engine::respond) with.
    pub fn response_to(
        &self,
        tx: ServerTxId,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) -> Option<Message> {
        self.layer.response_to(tx, code, reason, to_tag).ok()
    }

    /// Sends a response the daemon built for an out-of-dialog request it was given.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: Message,
    ) -> Result<(), crate::transaction::TransactionError> {
        self.layer.respond(now, tx, response)
    }

    /// Tags, Call-IDs and branches for requests the daemon builds.
    pub fn tokens(&mut self) -> &mut Tokens {
        &mut self.tokens
    }

    /// Each leg of call `call` as on the wire, A then B (`None` once the call is over).
    pub fn legs(&self, call: CallId) -> Option<[LegInfo; 2]> {
        let c = self.calls.get(&call)?;
        let leg = |d: &super::dialog::Dialog| LegInfo {
            call_id: d.call_id.clone(),
            local_party: d.local_party.clone(),
            remote_party: d.remote_party.clone(),
        };
        Some([leg(&c.a), leg(&c.b)])
    }

    /// The relay plan call `call` was set up with (its trunks, identities, REFER policy).
    pub fn plan(&self, call: CallId) -> Option<&super::plan::RelayPlan> {
        self.calls.get(&call).map(|c| &c.plan)
    }

    /// Calls in progress.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Ends call `call` for a reason outside SIP (the media plane saw no packets:
    /// [`EndReason::MediaTimeout`]): BYE to both legs once answered, else A's INVITE is
    /// answered 500 and B's cancelled. Returns whether the call existed; a call already
    /// ending is left alone.
    pub fn hang_up(
        &mut self,
        now: Instant,
        call: CallId,
        reason: EndReason,
        hook: &mut dyn SessionHook,
    ) -> bool {
        if !self.calls.contains_key(&call) {
            return false;
        }
        self.hang_up_call(now, call, reason, hook);
        self.pump(now, hook);
        true
    }

    /// What the engine's bookkeeping has done so far: timers armed, calls and transactions
    /// alive, and the entries per-call queries and cancellations looked at. The last
    /// figure is what scale tests compare before and after one call's work: it must not
    /// depend on how many other calls are in progress.
    pub fn bookkeeping(&self) -> Bookkeeping {
        Bookkeeping {
            timers: self.timers.len(),
            calls_with_timers: self.timers.owners(),
            visited: self.visited + self.timers.visited(),
        }
    }

    /// Live transactions (for tests: zero once everything has ended).
    pub fn transaction_count(&self) -> usize {
        self.layer.len()
    }

    /// Answers an out-of-dialog request the engine reported: `code` with extra headers,
    /// and a Warning with `why` for failures.
    pub fn answer(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        code: u16,
        headers: Vec<(Known, String)>,
        why: Option<&str>,
    ) {
        let tag = self.tokens.tag();
        let Ok(mut response) =
            self.layer
                .response_to(tx, code, crate::wire::reason_phrase(code), Some(&tag))
        else {
            return;
        };
        for (name, value) in headers {
            response.push_header(name, value);
        }
        response.push_header(Known::Server, self.agent.as_str());
        if let Some(why) = why.filter(|_| code >= 400) {
            response.push_header(Known::Warning, warning(&self.agent, why));
        }
        let _ = self.layer.respond(now, tx, response);
    }

    /// Processes everything the transaction layer has to say, until it is quiet.
    pub(crate) fn pump(&mut self, now: Instant, hook: &mut dyn SessionHook) {
        while let Some(ev) = self.layer.poll_event() {
            self.on_transaction_event(now, ev, hook);
        }
    }

    fn on_transaction_event(
        &mut self,
        now: Instant,
        ev: TransactionEvent,
        hook: &mut dyn SessionHook,
    ) {
        match ev {
            TransactionEvent::Request { tx, request, peer } => {
                if has_to_tag(&request) {
                    self.in_dialog_request(now, tx, request, peer, hook);
                } else {
                    self.events
                        .push_back(EngineEvent::Request { tx, request, peer });
                }
            }
            TransactionEvent::Cancel {
                invite, request, ..
            } => {
                if let Some(invite) = invite {
                    let reason = request.other_header("Reason");
                    self.cancel_from_a(now, invite, reason, hook);
                }
            }
            TransactionEvent::Ack { request, peer } => self.ack(now, &request, peer, hook),
            TransactionEvent::Response { tx, response } if self.own.contains(&tx) => {
                self.events
                    .push_back(EngineEvent::Response { tx, response });
            }
            TransactionEvent::Timeout { tx, .. } if self.own.contains(&tx) => {
                self.events.push_back(EngineEvent::Timeout { tx });
            }
            TransactionEvent::Terminated {
                tx: crate::transaction::TxId::Client(tx),
            } if self.own.remove(&tx) => {}
            TransactionEvent::Response { tx, response } => self.response(now, tx, response, hook),
            TransactionEvent::StrayResponse { response, peer } => {
                self.stray_response(&response, peer)
            }
            TransactionEvent::Timeout { tx, timer } => {
                let unreachable = timer == crate::transaction::Timer::Transport;
                self.client_timeout(now, tx, unreachable, hook)
            }
            TransactionEvent::Terminated {
                tx: crate::transaction::TxId::Client(tx),
            } => self.client_terminated(tx, hook),
            TransactionEvent::ServerTimeout { .. } | TransactionEvent::Terminated { .. } => {}
        }
    }

    pub(crate) fn new_call_id(&mut self) -> CallId {
        self.next_call += 1;
        CallId(self.next_call)
    }

    /// Arms (or re-arms) `timer` of `call` at `at`.
    pub(crate) fn arm(&mut self, at: Instant, call: CallId, timer: CallTimer) {
        self.timers.arm(call, timer, at);
    }

    pub(crate) fn disarm(&mut self, call: CallId, timer: CallTimer) {
        self.timers.disarm(call, timer);
    }

    pub(crate) fn t2(&self) -> Duration {
        self.layer.config().t2
    }
}

/// A Warning header value (RFC 3261 §20.43, code 399: miscellaneous).
pub(crate) fn warning(agent: &str, text: &str) -> String {
    // The product without a version (`sbc/1.2` -> `sbc`): scanners fingerprint versions.
    let product = agent.split('/').next().unwrap_or_default();
    let agent: String = product
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let text: String = text
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect();
    format!(
        "399 {} \"{text}\"",
        if agent.is_empty() { "sbc" } else { &agent }
    )
}

pub(crate) fn has_to_tag(m: &Message) -> bool {
    m.to().is_ok_and(|t| t.tag().is_some())
}
