//! Authentication: the one admin account, its sessions and the login lockout.
//!
//! * [`password`]: argon2id hashes (PHC strings); hashing runs on the blocking pool,
//!   at most [`password::HASHERS`] at a time, so a login flood cannot starve the runtime.
//! * [`setup`]: no default password. Until the admin password exists, a one-time setup
//!   token (`state_dir/setup-token`, mode 0600, also logged) lets whoever can read it set
//!   the password once.
//! * [`sessions`]: random 256-bit session ids in an `HttpOnly; Secure; SameSite=Strict`
//!   cookie, a CSRF token per session, idle expiry.
//! * [`throttle`]: failed logins counted per address and per user name; five within 15
//!   minutes lock both for the rest of the window (even the right password is refused).

pub mod password;
pub mod sessions;
pub mod setup;
pub mod throttle;

/// `n` random bytes as lowercase hex (session ids, CSRF and setup tokens).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS random source failing is not recoverable for a security token.
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
