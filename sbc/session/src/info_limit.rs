//! How many DTMF INFOs a leg may send: a token bucket per leg of a call, so that a flood
//! in one dialog is answered 503 there and costs other calls nothing.

use std::time::Instant;

/// INFOs a leg may send at once.
pub const BURST: f64 = 20.0;
/// INFOs per second a leg may send on average (no dialler keys faster).
pub const RATE: f64 = 10.0;

/// One leg's budget.
#[derive(Debug, Clone, Copy)]
pub struct InfoBudget {
    tokens: f64,
    at: Option<Instant>,
}

impl Default for InfoBudget {
    fn default() -> Self {
        InfoBudget {
            tokens: BURST,
            at: None,
        }
    }
}

impl InfoBudget {
    /// Whether an INFO at `now` is within the budget (and takes from it).
    pub fn take(&mut self, now: Instant) -> bool {
        if let Some(at) = self.at {
            let secs = now.saturating_duration_since(at).as_secs_f64();
            self.tokens = (self.tokens + secs * RATE).min(BURST);
        }
        self.at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let t = Instant::now();
        let mut b = InfoBudget::default();
        let taken = (0..30).filter(|_| b.take(t)).count();
        assert_eq!(taken, 20);
        assert!(
            b.take(t + Duration::from_millis(100)),
            "one more after 100 ms"
        );
        assert!(!b.take(t + Duration::from_millis(100)));
        assert!(
            (0..10).all(|_| b.take(t + Duration::from_secs(2))),
            "refilled"
        );
    }
}
