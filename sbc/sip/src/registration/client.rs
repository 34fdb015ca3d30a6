//! [`RegistrationClient`]: one binding of the SBC at a registrar, kept alive. The
//! public calls live here; what a response or failure does to the state is in
//! `attempt.rs`.

use std::time::Instant;

use super::attempt::{Attempt, InFlight, Kind, Phase, mix};
use super::config::{ConfigError, RegistrationConfig};
use super::message::{self, RegisterFields};
use super::state::{FailureReason, RegistrationState, RegistrationTimer, Timers};
use crate::Message;
use crate::auth::{DigestRequest, DigestSession};

/// A sans-IO registration client. See the [module docs](super) for the run loop.
#[derive(Debug)]
pub struct RegistrationClient {
    pub(super) config: RegistrationConfig,
    pub(super) call_id: String,
    pub(super) from_tag: String,
    /// CSeq of the last request sent (0: none yet).
    pub(super) cseq: u32,
    /// Expires asked for: the configured value, raised by 423.
    pub(super) expires: u32,
    /// The challenges answered so far: `Authorization` and `Proxy-Authorization`.
    pub(super) sessions: [Option<DigestSession>; 2],
    pub(super) phase: Phase,
    pub(super) queued: Option<Kind>,
    pub(super) in_flight: Option<InFlight>,
    pub(super) attempt: Attempt,
    pub(super) binding_until: Option<Instant>,
    pub(super) failures: u32,
    pub(super) timers: Timers,
}

impl RegistrationClient {
    /// A client that wants to send its first REGISTER at once. `random` seeds the
    /// Call-ID (kept for every REGISTER of this client, RFC 3261 §10.2) and From tag.
    pub fn new(config: RegistrationConfig, random: u64) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(RegistrationClient {
            call_id: format!("{:016x}", mix(random)),
            from_tag: format!("{:08x}", mix(!random) >> 32),
            cseq: 0,
            expires: config.expires,
            sessions: [None, None],
            phase: Phase::Registering,
            queued: Some(Kind::Register),
            in_flight: None,
            attempt: Attempt::default(),
            binding_until: None,
            failures: 0,
            timers: Timers::default(),
            config,
        })
    }

    pub fn config(&self) -> &RegistrationConfig {
        &self.config
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The expiry currently asked for (the configured one unless a 423 raised it).
    pub fn requested_expires(&self) -> u32 {
        self.expires
    }

    pub fn state(&self) -> RegistrationState {
        match &self.phase {
            Phase::Registering | Phase::Registered => match self.binding_until {
                Some(until) => RegistrationState::Registered { until },
                None => RegistrationState::Registering,
            },
            Phase::Failed { retry_at, reason } => RegistrationState::Failed {
                retry_at: *retry_at,
                reason: reason.clone(),
            },
            Phase::Unregistering => RegistrationState::Unregistering,
            Phase::Unregistered => RegistrationState::Unregistered,
        }
    }

    /// The next REGISTER to send, if one is due and none is in flight (RFC 3261 §10.2:
    /// one at a time). The caller sends it in a client transaction to
    /// `config().peer` and feeds back its final response or timeout. `random` gives
    /// the Via branch ([`new_branch`](crate::transaction::new_branch)), the cnonce and
    /// the jitter of the back-off should this attempt fail.
    pub fn poll_request(&mut self, now: Instant, random: u64) -> Option<Message> {
        let kind = self.queued?;
        if self.in_flight.is_some() {
            return None;
        }
        self.queued = None;
        let request = DigestRequest {
            method: "REGISTER",
            uri: &self.config.registrar,
            body: b"",
        };
        let mut credentials = Vec::new();
        let mut carried = [false; 2];
        let mut refused = None;
        for (i, session) in self.sessions.iter_mut().enumerate() {
            let Some(s) = session else { continue };
            let cnonce = mix(random ^ i as u64);
            match s.authorize(
                &self.config.username,
                &self.config.password,
                &request,
                cnonce,
            ) {
                Ok(auth) => {
                    credentials.push((s.header(), auth.to_string()));
                    carried[i] = true;
                }
                Err(e) => {
                    *session = None;
                    refused = Some(e);
                }
            }
        }
        if let Some(e) = refused {
            self.fail(now, kind, random, FailureReason::Challenge(e), None);
            return None;
        }
        self.cseq += 1;
        let expires = if kind == Kind::Register {
            self.expires
        } else {
            0
        };
        let fields = RegisterFields {
            call_id: &self.call_id,
            from_tag: &self.from_tag,
            cseq: self.cseq,
            expires,
            branch_random: random,
            credentials,
        };
        let msg = message::register(&self.config, &fields);
        self.in_flight = Some(InFlight {
            cseq: self.cseq,
            kind,
            sent_at: now,
            jitter: mix(mix(random)),
            carried,
        });
        Some(msg)
    }

    /// A response to the REGISTER in flight. Returns false (and changes nothing) when
    /// it is not one: no request in flight, another Call-ID or CSeq. Provisional
    /// responses are accepted and ignored.
    pub fn handle_response(&mut self, now: Instant, response: &Message) -> bool {
        let (Some(flight), Some(status)) = (self.in_flight, response.status()) else {
            return false;
        };
        let ours = response.call_id() == Some(self.call_id.as_str())
            && response
                .cseq()
                .is_ok_and(|c| c.seq == flight.cseq && c.method == "REGISTER");
        if !ours {
            return false;
        }
        if status < 200 {
            return true;
        }
        self.in_flight = None;
        match status {
            401 | 407 => match self.adopt_challenge(&flight, response, status) {
                Ok(()) => {
                    self.queued.get_or_insert(flight.kind);
                }
                Err(reason) => self.fail(now, flight.kind, flight.jitter, reason, None),
            },
            _ if flight.kind == Kind::Unregister => self.finish_unregister(),
            // A REGISTER answered after unregister(): the queued removal follows.
            _ if self.phase == Phase::Unregistering => {}
            200..=299 => self.bound(now, &flight, response),
            423 => match message::min_expires(response) {
                Some(min) if min > self.expires => {
                    self.expires = min;
                    self.queued = Some(Kind::Register);
                }
                min => {
                    let reason = FailureReason::IntervalTooBrief { min_expires: min };
                    self.fail(now, flight.kind, flight.jitter, reason, None);
                }
            },
            _ => {
                let reason = FailureReason::Rejected {
                    status,
                    reason: response.reason().unwrap_or_default().to_owned(),
                };
                let retry_after = message::retry_after(response);
                self.fail(now, flight.kind, flight.jitter, reason, retry_after);
            }
        }
        true
    }

    /// The REGISTER in flight got no final response: its client transaction timed out
    /// ([`TransactionEvent::Timeout`](crate::TransactionEvent::Timeout)) or the
    /// transport could not send it.
    pub fn handle_transaction_timeout(&mut self, now: Instant) {
        if let Some(flight) = self.in_flight.take() {
            self.fail(
                now,
                flight.kind,
                flight.jitter,
                FailureReason::Timeout,
                None,
            );
        }
    }

    /// When [`Self::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            let start = match timer {
                RegistrationTimer::Refresh | RegistrationTimer::Retry => {
                    matches!(self.phase, Phase::Registered | Phase::Failed { .. })
                }
                RegistrationTimer::Expiry => {
                    self.binding_until = None;
                    // A safety net: Refresh is always armed earlier than Expiry.
                    self.phase == Phase::Registered
                }
            };
            if start {
                self.phase = Phase::Registering;
                self.attempt = Attempt::default();
                if self.in_flight.is_none() {
                    self.queued = Some(Kind::Register);
                }
            }
        }
    }

    /// Removes the binding: a REGISTER with expires=0 for the SBC's contact (never
    /// `Contact: *`, which would also remove other nodes' bindings of the AOR), sent
    /// once any REGISTER in flight is answered. Then the client is done
    /// ([`RegistrationState::Unregistered`]), whatever the answer; a challenge is
    /// answered once. Without any REGISTER sent so far it is done at once.
    pub fn unregister(&mut self) {
        if matches!(self.phase, Phase::Unregistering | Phase::Unregistered) {
            return;
        }
        self.timers.clear_all();
        self.attempt = Attempt::default();
        if self.cseq == 0 {
            self.finish_unregister();
            return;
        }
        self.phase = Phase::Unregistering;
        self.queued = Some(Kind::Unregister);
    }
}
