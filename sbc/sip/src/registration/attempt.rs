//! The inside of a [`RegistrationClient`]: its phases, the request in flight, and what
//! each outcome (bound, challenged, failed, removed) does to it.

use std::time::{Duration, Instant};

use super::client::RegistrationClient;
use super::message;
use super::state::{FailureReason, RegistrationTimer};
use crate::Message;
use crate::auth::{ChallengeKind, DigestSession, select_challenge};

/// A refresh goes out this long before the binding expires, or half-way through it when
/// that is later: `refresh = max(granted / 2, granted - REFRESH_MARGIN)`. 60 s covers a
/// whole non-INVITE transaction (Timer F, 32 s) plus a challenge round trip, so a slow
/// registrar still answers before the old binding lapses.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// `stale=true` challenges answered in a row within one attempt, so a registrar that
/// calls every nonce stale cannot keep the client in a loop.
pub(super) const MAX_STALE: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Register,
    /// expires=0: remove the binding.
    Unregister,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
    /// An attempt is queued or in flight (a refresh too).
    Registering,
    /// Bound; the Refresh timer is armed.
    Registered,
    Failed {
        retry_at: Instant,
        reason: FailureReason,
    },
    Unregistering,
    Unregistered,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct InFlight {
    pub(super) cseq: u32,
    pub(super) kind: Kind,
    pub(super) sent_at: Instant,
    /// Randomness for the back-off should this attempt fail.
    pub(super) jitter: u64,
    /// Whether it carried credentials, per [`slot`].
    pub(super) carried: [bool; 2],
}

/// Challenges met since the attempt began (first REGISTER, refresh or retry).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Attempt {
    pub(super) answered: [bool; 2],
    pub(super) stale: u8,
}

pub(super) fn slot(kind: ChallengeKind) -> usize {
    match kind {
        ChallengeKind::Www => 0,
        ChallengeKind::Proxy => 1,
    }
}

/// SplitMix64's output function: independent-looking values from one random word.
pub(super) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `now + d`, saturating instead of panicking on absurd durations.
pub(super) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

impl RegistrationClient {
    pub(super) fn adopt_challenge(
        &mut self,
        flight: &InFlight,
        response: &Message,
        status: u16,
    ) -> Result<(), FailureReason> {
        let challenge = select_challenge(response).map_err(FailureReason::Challenge)?;
        let i = slot(challenge.kind);
        // Credentials of this kind were refused after this attempt already answered a
        // challenge: only an expired nonce (stale) earns another try (RFC 3261 §22.2).
        if flight.carried[i] && self.attempt.answered[i] {
            if !challenge.stale || self.attempt.stale >= MAX_STALE {
                return Err(FailureReason::AuthenticationFailed { status });
            }
            self.attempt.stale += 1;
        }
        self.attempt.answered[i] = true;
        match &mut self.sessions[i] {
            Some(session) => session.update(challenge),
            empty => *empty = Some(DigestSession::new(challenge)),
        }
        Ok(())
    }

    pub(super) fn bound(&mut self, now: Instant, flight: &InFlight, response: &Message) {
        let granted =
            message::granted_expires(response, &self.config.contact).unwrap_or(self.expires);
        if granted == 0 {
            self.fail(
                now,
                flight.kind,
                flight.jitter,
                FailureReason::NotBound,
                None,
            );
            return;
        }
        let life = Duration::from_secs(u64::from(granted));
        let refresh = (life / 2).max(life.saturating_sub(REFRESH_MARGIN));
        let until = later(flight.sent_at, life);
        self.binding_until = Some(until);
        self.failures = 0;
        self.attempt = Attempt::default();
        self.phase = Phase::Registered;
        self.timers.clear(RegistrationTimer::Retry);
        self.timers
            .set(RegistrationTimer::Refresh, later(flight.sent_at, refresh));
        self.timers.set(RegistrationTimer::Expiry, until);
    }

    pub(super) fn fail(
        &mut self,
        now: Instant,
        kind: Kind,
        jitter: u64,
        reason: FailureReason,
        retry_after: Option<Duration>,
    ) {
        if kind == Kind::Unregister {
            self.finish_unregister();
            return;
        }
        if matches!(self.phase, Phase::Unregistering | Phase::Unregistered) {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        let backoff = &self.config.backoff;
        // Retry-After is honoured, but never sooner than the first back-off step.
        let delay = match retry_after {
            Some(d) => d.max(backoff.initial),
            None => backoff.delay(self.failures, jitter),
        };
        let retry_at = later(now, delay);
        tracing::debug!(aor = %self.config.aor, %reason, ?delay, "registration failed");
        self.timers.clear(RegistrationTimer::Refresh);
        self.timers.set(RegistrationTimer::Retry, retry_at);
        self.phase = Phase::Failed { retry_at, reason };
    }

    pub(super) fn finish_unregister(&mut self) {
        self.phase = Phase::Unregistered;
        self.timers.clear_all();
        self.queued = None;
        self.binding_until = None;
    }
}
