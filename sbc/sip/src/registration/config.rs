//! What one trunk registration needs to know, and the retry back-off policy.

use std::fmt;
use std::time::Duration;

use crate::grammar::Uri;
use crate::transaction::Peer;

/// Settings of one registration of the SBC at a carrier's registrar.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// The Request-URI of every REGISTER: the registrar's domain, e.g.
    /// `sip:carrier.example.com` (RFC 3261 §10.2). Also the digest `uri`.
    pub registrar: String,
    /// The address-of-record, in To and From: `sip:+4930123456@carrier.example.com`.
    pub aor: String,
    /// Digest user name (often, not always, the AOR's user part).
    pub username: String,
    pub password: String,
    /// The SBC's own URI on that realm, bound to the AOR: where the carrier sends
    /// calls, e.g. `sip:+4930123456@198.51.100.7:5060` (add `;transport=tcp` for
    /// TCP). Responses' Contact lists are searched for it to read the granted expiry.
    pub contact: String,
    /// Expires asked for, in seconds (RFC 3261 §10.2.1.1). A 423 raises it.
    pub expires: u32,
    /// Where REGISTERs go, over which transport, from which local address. The Via
    /// names `peer.transport` and, unless [`Self::via_sent_by`] is set, `peer.local`.
    pub peer: Peer,
    /// Via sent-by when it is not `peer.local` (the public address behind 1:1 NAT).
    pub via_sent_by: Option<String>,
    /// A User-Agent header, when set.
    pub user_agent: Option<String>,
    pub backoff: Backoff,
}

impl RegistrationConfig {
    /// A configuration with the defaults: 3600 s, Via from `peer`, no User-Agent,
    /// [`Backoff::default`].
    pub fn new(
        registrar: impl Into<String>,
        aor: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
        contact: impl Into<String>,
        peer: Peer,
    ) -> RegistrationConfig {
        RegistrationConfig {
            registrar: registrar.into(),
            aor: aor.into(),
            username: username.into(),
            password: password.into(),
            contact: contact.into(),
            expires: DEFAULT_EXPIRES,
            peer,
            via_sent_by: None,
            user_agent: None,
            backoff: Backoff::default(),
        }
    }

    /// Checks what [`RegistrationClient::new`](super::RegistrationClient::new) relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("registrar", &self.registrar),
            ("aor", &self.aor),
            ("contact", &self.contact),
        ] {
            if !matches!(Uri::parse(value), Ok(Uri::Sip(_))) {
                return Err(ConfigError::InvalidUri {
                    field,
                    value: value.clone(),
                });
            }
        }
        if self.expires == 0 {
            return Err(ConfigError::Invalid {
                field: "expires",
                reason: "must be at least 1 s (0 removes the binding)",
            });
        }
        if self.backoff.initial.is_zero() || self.backoff.max < self.backoff.initial {
            return Err(ConfigError::Invalid {
                field: "backoff",
                reason: "initial must be above zero and at most max",
            });
        }
        if self.backoff.jitter_percent > 100 {
            return Err(ConfigError::Invalid {
                field: "backoff.jitter_percent",
                reason: "must be 0..=100",
            });
        }
        Ok(())
    }
}

/// The password stays out of logs.
impl fmt::Debug for RegistrationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationConfig")
            .field("registrar", &self.registrar)
            .field("aor", &self.aor)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("contact", &self.contact)
            .field("expires", &self.expires)
            .field("peer", &self.peer)
            .field("via_sent_by", &self.via_sent_by)
            .field("user_agent", &self.user_agent)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The Expires asked for when the configuration names none.
pub const DEFAULT_EXPIRES: u32 = 3600;

/// Why a configuration cannot drive a registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{field}: \"{value}\" is not a sip: or sips: URI")]
    InvalidUri { field: &'static str, value: String },
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// How long to wait after a failed attempt: exponential, capped, with jitter so that
/// many SBCs (or trunks) failing together do not retry together (the RFC 5626 §4.5
/// recovery formula, which RFC 3261 §10.2 leaves to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure (default 30 s).
    pub initial: Duration,
    /// Cap of the doubling (default 30 min).
    pub max: Duration,
    /// Up to this share of the wait is taken off at random (default 50: the wait lies
    /// between half and all of the doubled value, as in RFC 5626 §4.5).
    pub jitter_percent: u8,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(30),
            max: Duration::from_secs(30 * 60),
            jitter_percent: 50,
        }
    }
}

impl Backoff {
    /// The wait after `failures` consecutive failures (1 for the first):
    /// `min(initial * 2^(failures-1), max)`, less `random` modulo `jitter_percent` of it.
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let upper = self.initial.saturating_mul(1 << doublings).min(self.max);
        let span = upper.as_millis() * u128::from(self.jitter_percent.min(100)) / 100;
        let off = u128::from(random) % (span + 1);
        // `off <= span <= upper`, and `upper` (at most `max`) fits in u64 milliseconds
        // for any sane configuration; saturate otherwise.
        upper.saturating_sub(Duration::from_millis(
            u64::try_from(off).unwrap_or(u64::MAX),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let b = Backoff {
            jitter_percent: 0,
            ..Backoff::default()
        };
        let secs: Vec<u64> = (1..=8).map(|n| b.delay(n, 12345).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1800, 1800]);
        assert_eq!(b.delay(u32::MAX, 0), b.max);
        let j = Backoff::default();
        for r in [0, 1, 7_777, u64::MAX] {
            let d = j.delay(2, r);
            assert!(
                d >= Duration::from_secs(30) && d <= Duration::from_secs(60),
                "{d:?}"
            );
        }
        assert_eq!(j.delay(2, 0), Duration::from_secs(60));
    }
}
