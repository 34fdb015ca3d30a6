//! The Edge SBC's firewall: one nftables table of its own, plus per-call set elements.
//!
//! # Two paths to the kernel
//!
//! * **The ruleset** — desired state ([`Desired`]) -> render -> apply. [`Firewall::setup`],
//!   [`Firewall::apply`] and [`Firewall::shutdown`] each run one `nft -j -f -` transaction
//!   built with the nftables crate's schema: all of it happens or none of it. Only our table
//!   (`inet sbc`, name configurable) is ever changed; other tables are never touched (apply
//!   only lists the inet family's set names to find which of ours exist). [`render_text`]
//!   prints the same ruleset as nft text (the golden files in `tests/golden/`, each checked
//!   by `nft -c -f`, and a test loads both forms into the kernel and compares the listings).
//! * **Set elements** — pinholes and bans change per call, far too often for nft (a spawn
//!   per element manages ~300 adds/s). [`Elements`] writes them over a NETLINK_NETFILTER
//!   socket as hand-built NEWSETELEM / DELSETELEM batches (see `scripts/bench/firewall`
//!   for figures: several hundred thousand operations per second).
//!
//! * **The kernel media fast path** — [`fastpath`]: a second table of ours whose NAT maps
//!   and conntrack forward plain RTP relays without the daemon (off unless configured).
//!
//! # Entry points
//!
//! * [`Firewall::check`]: `nft` installed, netlink socket opens, `nft --check` accepts the
//!   rendered ruleset. Changes nothing.
//! * [`Firewall::setup`]: deletes and recreates our table in one transaction, so every
//!   pinhole and ban set starts empty: the reconcile after a crash (no stale hole survives).
//!   The daemon re-opens the holes of calls it still has.
//! * [`Firewall::apply`]: config change. Replaces chains and rules in one transaction; the
//!   pinhole and ban sets keep their elements (live calls are undisturbed), the rate meters
//!   are reset.
//! * [`Firewall::shutdown`] / [`Firewall::remove`]: delete our table.
//! * [`Firewall::elements`]: a netlink writer (one per thread; it is `Send`).
//!
//! # Table layout (see `tests/golden/*.nft` for real renderings)
//!
//! * `chain input` (hook input, priority filter, **policy accept**): `iif "lo" accept`, then
//!   traffic to our addresses (`Desired::addresses` plus every service address) jumps to
//!   `filter`. Traffic to other addresses is not ours to judge.
//! * `chain filter`, in order:
//!   1. `ip saddr @ban4` / `ip6 saddr @ban6`: counted drop ("ban") — bans beat everything.
//!   2. global deny list: counted drop ("deny").
//!   3. UDP to a media range: `goto media` — **before conntrack**, because a hung-up peer that
//!      keeps sending would otherwise keep its conntrack entry "established" forever. So the
//!      host's own UDP must not use ports in a media range (setup warns when the kernel's
//!      ephemeral port range overlaps one: answers to DNS queries would be dropped).
//!   4. global allow list: accept ("allow"); not for media, which is pinholes only.
//!   5. UDP SIP, per packet (also before conntrack: a flood is "established" after one
//!      reply): trunk peers accept ("sip-peer", not rate limited); open realms:
//!      `update @sip_rate4 { ip saddr limit rate over N/second burst M packets } counter drop`
//!      ("sip-rate") then accept ("sip-open"); closed realms: counted drop ("sip").
//!   6. `ct state established,related accept`; `ct state invalid` counted drop ("invalid").
//!   7. TCP/TLS SIP, per new connection: same as 5.
//!   8. management port: accept from `management.allow`, else counted drop ("management").
//!   9. ICMP: echo rate-limited, errors; ICMPv6: echo rate-limited, errors, PMTU, ND.
//!   10. everything else to our addresses: counted drop, or with [`Policy::Reject`] a TCP
//!       reset for TCP and an ICMP(v6) port unreachable for the rest ("policy").
//!
//! A listener on `0.0.0.0` / `::` covers only the addresses in `Desired::addresses` (render
//! refuses one that no listed address covers: it would not be filtered at all), and a UDP
//! SIP port inside a media range is refused (media there is pinholes only).
//! * `chain media`: `ip saddr . ip daddr . udp dport @pin4 accept` (latched holes),
//!   `ip daddr . udp dport @port4 accept` (local port open to anyone), the same for IPv6,
//!   then counted drop ("media").
//! * Sets: `ban4/6` (address), `pin4/6` (remote . local . port), `port4/6`
//!   (local . port), all with per-element timeouts (the safety net when a close is lost);
//!   `sip_rate4/6` dynamic meters, present only while an open realm uses them. Names are
//!   in [`sets`].
//!
//! Rule comments name the counters: tests and the UI read "dropped in the kernel" from
//! `nft -j list table inet sbc` by comment.
//!
//! # Elements
//!
//! [`Elements::open`] / [`Elements::close`] / [`Elements::ban`] / [`Elements::unban`] queue;
//! [`Elements::flush`] sends the queue (one transaction per 1024 operations) and returns
//! the operations that failed, each with its errno, so the caller can act on them (a call
//! never silently ends up with audio blocked). Re-opening an open hole (or re-banning) refreshes
//! its kernel timeout: recent kernels (6.18 does) update the timeout of an existing element on
//! NEWSETELEM without `NLM_F_EXCL`; older ones (Debian 12's 6.1) answer success and keep the
//! old one, so each writer probes this once and otherwise sends every add as add, delete, add in
//! one transaction ([`Elements::refreshes_in_place`]).
//! Closing or unbanning something absent (ENOENT) is success. ENOBUFS and EMSGSIZE split
//! the transaction and retry. A hole whose remote and local addresses differ in family is
//! refused without a kernel round trip.
//!
//! Typical daemon use: `Firewall::setup` at start (after `check`), `apply` on config reload,
//! an `Elements` on the thread that handles call events: `open(Hole::Port{..})` when the
//! offer/answer is known, `open(Hole::Peer{..})` + `close(Hole::Port{..})` once latched,
//! `open` again on activity to refresh, `close` at hang-up, `flush` after each event batch;
//! `shutdown` on SIGTERM.

mod elements;
mod error;
pub mod fastpath;
mod model;
mod netlink;
mod nft;
mod render;
pub mod sets;

pub use elements::Elements;
pub use error::{ElementError, ElementErrors, FirewallError};
pub use fastpath::{FastPath, FastPathError, Forwarding};
pub use model::{
    Cidr, Desired, ElementOp, Hole, ManagementService, MediaRange, ParseCidrError, Policy,
    RateLimit, SipProto, SipService,
};
pub use render::render_text;

/// Our table in the kernel: created by [`Firewall::setup`], replaced by [`Firewall::apply`],
/// removed by [`Firewall::shutdown`].
#[derive(Debug)]
pub struct Firewall {
    table: String,
}

impl Firewall {
    /// nft and netlink usable? Ruleset valid (`nft --check`)? No change to the kernel.
    pub fn check(desired: &Desired) -> Result<(), FirewallError> {
        let table = render::build::table(desired)?;
        netlink::Socket::open()?;
        let json = render::json::batch(&table, render::json::Mode::Setup);
        nft::run(&desired.table, &json, true)
    }

    /// Create or replace our table atomically; pinhole and ban sets start empty (this is the
    /// reconcile after a crash: no stale hole survives).
    pub fn setup(desired: &Desired) -> Result<Firewall, FirewallError> {
        let table = render::build::table(desired)?;
        let json = render::json::batch(&table, render::json::Mode::Setup);
        nft::run(&desired.table, &json, false)?;
        tracing::info!(table = %desired.table, rules = table.rules.len(), "nftables table set up");
        warn_ephemeral_overlap(desired);
        Ok(Firewall {
            table: desired.table.clone(),
        })
    }

    /// Re-render the rules atomically; pinhole and ban elements survive. The table name
    /// cannot change here (use shutdown + setup).
    pub fn apply(&mut self, desired: &Desired) -> Result<(), FirewallError> {
        if desired.table != self.table {
            return Err(FirewallError::Invalid {
                reason: format!(
                    "table name change {:?} -> {:?} needs shutdown and setup",
                    self.table, desired.table
                ),
            });
        }
        let table = render::build::table(desired)?;
        let existing = nft::sets(&self.table)?;
        let json = render::json::batch(
            &table,
            render::json::Mode::Apply {
                existing: &existing,
            },
        );
        nft::run(&self.table, &json, false)?;
        tracing::info!(table = %self.table, rules = table.rules.len(), "nftables ruleset applied");
        Ok(())
    }

    /// Delete our table (clean stop).
    pub fn shutdown(self) -> Result<(), FirewallError> {
        Firewall::remove(&self.table)
    }

    /// Delete table `inet NAME` if present (for a stop without a [`Firewall`] value).
    pub fn remove(table: &str) -> Result<(), FirewallError> {
        nft::run(table, &render::json::delete(table), false)?;
        tracing::debug!(table, "nftables table removed");
        Ok(())
    }

    /// A netlink writer for set elements of this table; `Send`; one per thread that needs it.
    pub fn elements(&self) -> Result<Elements, FirewallError> {
        Elements::new(&self.table)
    }

    /// The table name (family inet).
    pub fn table(&self) -> &str {
        &self.table
    }
}

/// The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`, IPv6 too).
const LOCAL_PORT_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// Media ranges are judged before conntrack, so the answer to anything the host itself
/// sends from an ephemeral port inside a media range (a DNS query, NTP) is dropped: say so.
fn warn_ephemeral_overlap(desired: &Desired) {
    let Ok(text) = std::fs::read_to_string(LOCAL_PORT_RANGE) else {
        return;
    };
    if let Some((m, (lo, hi))) = ephemeral_overlap(&text, &desired.media) {
        tracing::warn!(
            media = %format!("{}:{}-{}", m.addr, m.first, m.last),
            ephemeral = %format!("{lo}-{hi}"),
            "media ports overlap the kernel's ephemeral ports ({LOCAL_PORT_RANGE}): replies to \
             the host's own UDP (DNS, NTP) from those ports are dropped; move the media range"
        );
    }
}

/// The first media range overlapping the ephemeral range in `sysctl` ("32768\t60999").
fn ephemeral_overlap<'a>(
    sysctl: &str,
    media: &'a [MediaRange],
) -> Option<(&'a MediaRange, (u16, u16))> {
    let mut it = sysctl.split_whitespace().map(str::parse::<u16>);
    let (Some(Ok(lo)), Some(Ok(hi))) = (it.next(), it.next()) else {
        return None;
    };
    media
        .iter()
        .find(|m| m.first <= hi && lo <= m.last)
        .map(|m| (m, (lo, hi)))
}

/// The nftables JSON transaction [`Firewall::setup`] would run (for inspection and tests).
pub fn render_json(desired: &Desired) -> Result<String, FirewallError> {
    Ok(render::json::batch(
        &render::build::table(desired)?,
        render::json::Mode::Setup,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ranges_overlapping_ephemeral_ports_are_found() {
        let media = |first, last| MediaRange {
            addr: "192.0.2.1".parse().expect("ip"),
            first,
            last,
        };
        let ranges = [media(20000, 29999), media(40000, 40099)];
        assert_eq!(ephemeral_overlap("32768\t60999\n", &ranges[..1]), None);
        let (m, eph) = ephemeral_overlap("32768\t60999\n", &ranges).expect("overlap");
        assert_eq!((m.first, eph), (40000, (32768, 60999)));
        assert!(
            ephemeral_overlap("29999 30000", &ranges).is_some(),
            "one port shared"
        );
        assert_eq!(ephemeral_overlap("garbage", &ranges), None);
    }
}
