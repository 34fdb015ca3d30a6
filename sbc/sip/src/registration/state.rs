//! What a registration reports (for the UI and logs) and the timers it arms.

use std::fmt;
use std::time::Instant;

use crate::auth::AuthError;

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// A REGISTER is queued or in flight and no binding is known to be in force.
    Registering,
    /// The registrar holds the binding until `until` (also while a refresh is in
    /// flight: the old binding stays valid until then).
    Registered { until: Instant },
    /// The last attempt failed; the next one goes out at `retry_at`.
    Failed {
        retry_at: Instant,
        reason: FailureReason,
    },
    /// The removing REGISTER (expires=0) is queued or in flight.
    Unregistering,
    /// Done: the binding was removed (or removal was attempted). Nothing more is sent.
    Unregistered,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// A final response the client does not recover from by itself (3xx-6xx but
    /// 401/407/423), as sent.
    Rejected { status: u16, reason: String },
    /// Credentials were refused: a second challenge without `stale=true` (RFC 3261
    /// §22.2: wrong user name or password).
    AuthenticationFailed { status: u16 },
    /// The challenge cannot be answered (another scheme, unknown algorithm ...).
    Challenge(AuthError),
    /// 423 without a Min-Expires above what was asked (RFC 3261 §10.2.8).
    IntervalTooBrief { min_expires: Option<u32> },
    /// No final response: the client transaction timed out (Timer F, RFC 3261
    /// §17.1.2.2) or the transport failed. Treated as a 408 (§8.1.3.1).
    Timeout,
    /// A 2xx whose binding for the SBC's contact has expiry 0: the registrar did not
    /// keep it.
    NotBound,
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::Rejected { status, reason } => write!(f, "{status} {reason}"),
            FailureReason::AuthenticationFailed { status } => {
                write!(f, "credentials refused ({status})")
            }
            FailureReason::Challenge(e) => write!(f, "cannot answer challenge: {e}"),
            FailureReason::IntervalTooBrief {
                min_expires: Some(m),
            } => {
                write!(f, "423 Interval Too Brief (Min-Expires {m} not usable)")
            }
            FailureReason::IntervalTooBrief { min_expires: None } => {
                f.write_str("423 Interval Too Brief without Min-Expires")
            }
            FailureReason::Timeout => f.write_str("no response (timeout)"),
            FailureReason::NotBound => f.write_str("registrar did not keep the binding"),
        }
    }
}

/// The timers of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegistrationTimer {
    /// RFC 3261 §10.2.4: re-REGISTER before the binding expires. Armed on a 2xx at
    /// `sent + max(granted / 2, granted - REFRESH_MARGIN)`, measured from when the
    /// successful REGISTER was sent (the registrar's clock started no earlier).
    Refresh,
    /// RFC 3261 §10.2 leaves failure recovery to the client: after a failed attempt,
    /// try again after the [`Backoff`](super::Backoff) delay, or after Retry-After
    /// (§20.33, §21.5.4) when the response carried one.
    Retry,
    /// RFC 3261 §10.2.1.1, §10.3: the registrar drops the binding when its expiry
    /// passes. If no refresh has succeeded by then the state stops saying Registered.
    Expiry,
}

impl RegistrationTimer {
    const ALL: [RegistrationTimer; 3] = [
        RegistrationTimer::Refresh,
        RegistrationTimer::Retry,
        RegistrationTimer::Expiry,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// One optional deadline per timer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Timers([Option<Instant>; 3]);

impl Timers {
    pub(crate) fn set(&mut self, timer: RegistrationTimer, at: Instant) {
        self.0[timer.index()] = Some(at);
    }

    pub(crate) fn clear(&mut self, timer: RegistrationTimer) {
        self.0[timer.index()] = None;
    }

    pub(crate) fn clear_all(&mut self) {
        self.0 = [None; 3];
    }

    pub(crate) fn get(&self, timer: RegistrationTimer) -> Option<Instant> {
        self.0[timer.index()]
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Removes and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<RegistrationTimer> {
        let (timer, _) = RegistrationTimer::ALL
            .into_iter()
            .filter_map(|t| self.get(t).map(|at| (t, at)))
            .filter(|&(_, at)| at <= now)
            .min_by_key(|&(_, at)| at)?;
        self.clear(timer);
        Some(timer)
    }
}
