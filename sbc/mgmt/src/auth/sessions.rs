//! Sessions: random ids mapped to the user and a CSRF token, expiring when idle. Time is
//! an argument.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The cookie carrying the session id.
pub const COOKIE: &str = "sbc_session";
/// Sessions expire after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Sessions kept at most; the least recently used one is dropped for a new one.
const MAX_SESSIONS: usize = 64;

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    pub last_seen: Instant,
}

/// Every live session by id.
#[derive(Debug)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
    idle: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(IDLE_TIMEOUT)
    }
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            by_id: HashMap::new(),
            idle,
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    /// Starts a session; returns its id.
    pub fn create(&mut self, now: Instant, user: &str) -> (String, Session) {
        self.by_id
            .retain(|_, s| now.saturating_duration_since(s.last_seen) < self.idle);
        if self.by_id.len() >= MAX_SESSIONS {
            let oldest = self
                .by_id
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.by_id.remove(&k);
            }
        }
        let id = super::random_hex(32);
        let session = Session {
            user: user.to_owned(),
            csrf: super::random_hex(32),
            last_seen: now,
        };
        self.by_id.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The session `id`, refreshed (`touch`) or just checked; expired ones are removed.
    pub fn get(&mut self, now: Instant, id: &str, touch: bool) -> Option<Session> {
        let s = self.by_id.get_mut(id)?;
        if now.saturating_duration_since(s.last_seen) >= self.idle {
            self.by_id.remove(id);
            return None;
        }
        if touch {
            s.last_seen = now;
        }
        Some(s.clone())
    }

    /// Ends the session `id`.
    pub fn remove(&mut self, id: &str) {
        self.by_id.remove(id);
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; HttpOnly; Secure; SameSite=Strict; Path=/")
}

/// `Set-Cookie` clearing the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sessions_expire() {
        let t0 = Instant::now();
        let mut s = Sessions::new(Duration::from_secs(60));
        let (id, _) = s.create(t0, "admin");
        assert!(s.get(t0 + Duration::from_secs(59), &id, true).is_some());
        // Touched at 59 s: alive until 119 s.
        assert!(s.get(t0 + Duration::from_secs(118), &id, false).is_some());
        assert!(s.get(t0 + Duration::from_secs(119), &id, false).is_none());
        assert!(s.get(t0, &id, false).is_none(), "removed once expired");
    }

    #[test]
    fn cookies() {
        assert_eq!(
            cookie_value("a=1; sbc_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("a=1", COOKIE), None);
        assert!(set_cookie("x").contains("HttpOnly; Secure; SameSite=Strict"));
    }
}
