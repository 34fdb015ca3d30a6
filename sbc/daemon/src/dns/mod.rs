//! Trunk peers and sources by name (RFC 3263), resolved in the background.
//!
//! - [`lookup`]: the DNS questions (NAPTR, SRV, A/AAAA) as a trait, and its hickory-resolver
//!   implementation over the system's `/etc/resolv.conf`.
//! - [`rfc3263`]: from `[transport:]name[:port]` to the ordered targets (NAPTR for the
//!   transport, SRV priorities and weights, A/AAAA), testable with a table of records.
//! - [`refresh`]: the task that keeps every name of the configuration resolved, by TTL,
//!   and sends a [`sbc_config::resolved::Resolved`] whenever what a name gives changes.
//!
//! The daemon applies that with [`sbc_config::Config::with_resolved`] and hands the
//! effective configuration to the firewall and the core like a reload: calls, the
//! "requests from these IPs are this trunk's" identification and the firewall's allow
//! lists follow the names, and nothing on the call path waits for DNS. Other features
//! that need a name resolved the RFC 3263 way (a trunk preset's fixed peers) reuse
//! [`rfc3263::resolve`] with a [`lookup::Dns`].

pub mod apply;
pub mod lookup;
pub mod refresh;
pub mod rfc3263;

#[cfg(test)]
mod refresh_tests;
#[cfg(test)]
mod tests;
