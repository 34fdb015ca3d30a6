//! Ban policy: which SIP sources go into the kernel's ban set, and why.
//!
//! Sans-IO, time as an argument. Three reasons, each configured under `[firewall]`:
//!
//! * a request whose User-Agent names a scanner (`scanner_user_agents`): at once;
//! * more than `ban_requests_per_second` requests from one source within a second;
//! * `ban_after_auth_failures` failed registrations in a row: a 403 to a phone's
//!   REGISTER, or a 401/407 to one that carried credentials (a wrong password). A
//!   successful registration starts the count again.
//!
//! Trunk peers and the global allow list are never banned (the caller tells which
//! sources are exempt). The ban itself is the writer's job; this only decides.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sbc_config::Firewall;

/// Sources tracked at most per table (a spoofed flood cannot grow them without bound).
const MAX_SOURCES: usize = 65_536;

#[derive(Debug, Default)]
pub struct BanPolicy {
    /// Requests per source in the current one-second window.
    rate: HashMap<IpAddr, (Instant, u32)>,
    /// Failed authentications in a row per source.
    auth_failures: HashMap<IpAddr, u32>,
}

impl BanPolicy {
    /// A request from `ip` (not exempt); `Some(why)` when it must be banned.
    pub fn request(
        &mut self,
        now: Instant,
        fw: &Firewall,
        ip: IpAddr,
        user_agent: Option<&str>,
    ) -> Option<String> {
        if let Some(ua) = user_agent.filter(|ua| fw.is_scanner(ua)) {
            self.rate.remove(&ip);
            return Some(format!("scanner User-Agent \"{}\"", ua.escape_debug()));
        }
        let limit = fw.ban_requests_per_second;
        if limit == 0 {
            return None;
        }
        if self.rate.len() >= MAX_SOURCES && !self.rate.contains_key(&ip) {
            self.rate
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(1));
            if self.rate.len() >= MAX_SOURCES {
                return None;
            }
        }
        let entry = self.rate.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            self.rate.remove(&ip);
            return Some(format!("more than {limit} requests in a second"));
        }
        None
    }

    /// The final answer to a phone's REGISTER from `ip` (not exempt): `status`, and
    /// whether the REGISTER carried credentials. `Some(why)` when it must be banned.
    pub fn register_answered(
        &mut self,
        fw: &Firewall,
        ip: IpAddr,
        status: u16,
        had_credentials: bool,
    ) -> Option<String> {
        let failed = status == 403 || (matches!(status, 401 | 407) && had_credentials);
        if (200..300).contains(&status) {
            self.auth_failures.remove(&ip);
            return None;
        }
        if !failed || fw.ban_after_auth_failures == 0 {
            return None;
        }
        if self.auth_failures.len() >= MAX_SOURCES && !self.auth_failures.contains_key(&ip) {
            // Forget the oldest evidence wholesale rather than grow without bound.
            self.auth_failures.clear();
        }
        let n = self.auth_failures.entry(ip).or_insert(0);
        *n += 1;
        if *n >= fw.ban_after_auth_failures {
            let n = *n;
            self.auth_failures.remove(&ip);
            return Some(format!("{n} failed authentications ({status})"));
        }
        None
    }

    /// A source was banned or unbanned: start its counts afresh.
    pub fn forget(&mut self, ip: IpAddr) {
        self.rate.remove(&ip);
        self.auth_failures.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(extra: &str) -> Firewall {
        sbc_config::Config::from_toml_str(
            &format!(
                "[system]\nname = \"t\"\n[management]\nlisten = \"127.0.0.1:8443\"\n\
                 [firewall]\n{extra}\n[[realm]]\nname = \"o\"\nlisten = [\"udp:192.0.2.1:5060\"]\n\
                 media_ip = \"192.0.2.1\"\nmedia_ports = \"20000-20099\"\n"
            ),
            "/tmp",
        )
        .expect("valid")
        .firewall()
        .clone()
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));

    #[test]
    fn scanners_are_banned_at_the_first_request() {
        let (f, mut p, now) = (fw(""), BanPolicy::default(), Instant::now());
        assert!(p.request(now, &f, IP, Some("Linphone/5.2")).is_none());
        assert!(p.request(now, &f, IP, None).is_none());
        let why = p
            .request(now, &f, IP, Some("friendly-scanner"))
            .expect("ban");
        assert!(why.contains("friendly-scanner"), "{why}");
        assert!(p.request(now, &f, IP, Some("SIPVicious/0.3")).is_some());
    }

    #[test]
    fn more_requests_per_second_than_allowed_is_a_ban() {
        let (f, mut p, now) = (
            fw("ban_requests_per_second = 5"),
            BanPolicy::default(),
            Instant::now(),
        );
        for _ in 0..5 {
            assert!(p.request(now, &f, IP, None).is_none());
        }
        // A new second: the count starts again.
        let later = now + Duration::from_secs(1);
        for _ in 0..5 {
            assert!(p.request(later, &f, IP, None).is_none());
        }
        assert!(p.request(later, &f, IP, None).is_some());
        let off = fw("ban_requests_per_second = 0");
        for _ in 0..1000 {
            assert!(p.request(now, &off, IP, None).is_none());
        }
    }

    #[test]
    fn failed_authentications_in_a_row_are_a_ban() {
        let (f, mut p) = (fw("ban_after_auth_failures = 3"), BanPolicy::default());
        // A challenge to a REGISTER without credentials is the normal first step.
        for _ in 0..10 {
            assert!(p.register_answered(&f, IP, 401, false).is_none());
        }
        assert!(p.register_answered(&f, IP, 401, true).is_none());
        assert!(p.register_answered(&f, IP, 403, true).is_none());
        // Success resets the count.
        assert!(p.register_answered(&f, IP, 200, true).is_none());
        assert!(p.register_answered(&f, IP, 401, true).is_none());
        assert!(p.register_answered(&f, IP, 407, true).is_none());
        assert!(p.register_answered(&f, IP, 403, false).is_some());
    }
}
