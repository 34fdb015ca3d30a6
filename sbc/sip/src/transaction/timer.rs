//! The transaction timers (RFC 3261 §17, Table 4 of Appendix A; RFC 6026 §8) and the
//! configuration they are derived from.

use std::time::Duration;

/// Every timer a transaction can arm. Each variant names the section that defines it;
/// durations come from [`TimerConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// RFC 3261 §17.1.1.2: INVITE request retransmission in Calling, unreliable
    /// transports only. Starts at T1 and doubles on every firing, without a cap.
    A,
    /// RFC 3261 §17.1.1.2: INVITE transaction timeout in Calling, 64*T1.
    B,
    /// RFC 3261 §17.1.1.2: how long a completed INVITE client transaction absorbs
    /// retransmitted final responses (and re-ACKs them): at least 32 s on unreliable
    /// transports, zero on reliable ones.
    D,
    /// RFC 3261 §17.1.2.2: non-INVITE request retransmission, unreliable transports
    /// only. T1 doubling up to T2 in Trying; T2 in Proceeding.
    E,
    /// RFC 3261 §17.1.2.2: non-INVITE transaction timeout, 64*T1.
    F,
    /// RFC 3261 §17.2.1: retransmission of an INVITE's non-2xx final response while
    /// waiting for the ACK, unreliable transports only. T1 doubling up to T2.
    G,
    /// RFC 3261 §17.2.1: how long a non-2xx final response waits for its ACK, 64*T1.
    H,
    /// RFC 3261 §17.2.1: how long Confirmed absorbs retransmitted ACKs: T4 on
    /// unreliable transports, zero on reliable ones.
    I,
    /// RFC 3261 §17.2.2: how long a completed non-INVITE server transaction answers
    /// retransmitted requests: 64*T1 on unreliable transports, zero on reliable ones.
    J,
    /// RFC 3261 §17.1.2.2: how long a completed non-INVITE client transaction absorbs
    /// retransmitted responses: T4 on unreliable transports, zero on reliable ones.
    K,
    /// RFC 6026 §8.7: how long an INVITE server transaction stays Accepted after a 2xx
    /// (absorbing INVITE retransmissions, passing the TU's 2xx retransmissions), 64*T1.
    L,
    /// RFC 6026 §8.4: how long an INVITE client transaction stays Accepted after a 2xx
    /// (passing further 2xx responses, forked or retransmitted, to the TU), 64*T1.
    M,
    /// RFC 3261 §17.2.1: the INVITE server transaction sends 100 Trying itself when
    /// the TU has not answered within [`TimerConfig::trying_delay`] (RFC: 200 ms).
    Trying,
    /// RFC 3261 §9.1: an INVITE that still has no final response 64*T1 after its CANCEL
    /// was sent is considered cancelled and its client transaction is destroyed.
    Cancel,
    /// Never armed: the transport failed (RFC 3261 §17.1.4, §18.4) — a TCP/TLS
    /// connection for the request could not be opened (refused, timed out, the TLS
    /// handshake or the peer's certificate failed). "The client transaction SHOULD
    /// inform the TU that a transport failure has occurred, and the client transaction
    /// SHOULD transition directly to the Terminated state"; the daemon reports it with
    /// [`TransactionLayer::transport_error`](super::TransactionLayer::transport_error)
    /// and the TU gets [`TransactionEvent::Timeout`](super::TransactionEvent::Timeout)
    /// with this timer at once instead of Timer B/F 64*T1 later. §8.1.3.1: the TU
    /// treats it like a 503 (Service Unavailable).
    Transport,
}

/// Shortest delay a timer is armed with. Zero-length timers (D, I, J, K on reliable
/// transports) are never armed — the machines terminate directly — so this only guards
/// against a misconfigured zero T1 turning `handle_timeout` into a busy loop.
pub(crate) const MIN_DELAY: std::time::Duration = std::time::Duration::from_millis(1);

impl Timer {
    /// Every variant, for clearing all timers of a transaction.
    pub const ALL: [Timer; 15] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::Trying,
        Timer::Cancel,
        Timer::Transport,
    ];
}

/// The base durations of RFC 3261 §17.1.1.1 and Table 4, and the 100 Trying policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (RFC default 500 ms). Timers A, B, E, F, G, H, J, L, M derive from it.
    pub t1: Duration,
    /// Maximum retransmission interval for non-INVITE requests and INVITE responses
    /// (RFC default 4 s).
    pub t2: Duration,
    /// Maximum time a message stays in the network (RFC default 5 s): timers I and K.
    pub t4: Duration,
    /// Timer D on unreliable transports (RFC: "at least 32 s").
    pub timer_d: Duration,
    /// When an INVITE server transaction sends 100 Trying by itself: `Some(ZERO)` at
    /// once (the default), `Some(d)` only if the TU has not responded within `d`
    /// (§17.2.1 suggests 200 ms), `None` never.
    pub trying_delay: Option<Duration>,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Some(Duration::ZERO),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J (unreliable), L, M and the §9.1 CANCEL wait.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// The next retransmission interval after `current` for timers E (in Trying) and
    /// G: doubled, capped at T2 (§17.1.2.2, §17.2.1).
    pub fn backoff(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_defaults() {
        let c = TimerConfig::default();
        assert_eq!(c.timeout(), Duration::from_secs(32));
        assert_eq!(c.backoff(Duration::from_secs(2)), Duration::from_secs(4));
        assert_eq!(c.backoff(Duration::from_secs(4)), Duration::from_secs(4));
        assert_eq!(c.backoff(c.t1), Duration::from_secs(1));
    }
}
