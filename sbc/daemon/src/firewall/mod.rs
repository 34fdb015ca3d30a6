//! The daemon's side of the firewall (`[firewall]`): the nftables table's life, media
//! pinholes per call, and bans fed by the SIP layer.
//!
//! # Life of the table
//!
//! [`start`] (from `run`): with `enabled = false` nothing touches nftables and a warning
//! says so. Otherwise the ruleset built from the configuration ([`desired()`]) is
//! checked and installed with [`Firewall::setup`] — which also empties the pinhole and
//! ban sets, so no hole of a crashed run survives — and any failure (nft missing, no
//! CAP_NET_ADMIN, netlink unusable, a ruleset the kernel refuses) stops start-up: no
//! silent fallback. A SIGHUP re-renders it with [`Firewall::apply`] (set elements, i.e.
//! live calls' pinholes and bans, survive); a clean stop deletes the table.
//!
//! # Pinholes and bans
//!
//! The core task owns a [`Guard`]: it shows the guard every
//! [`MediaOp`](sbc_core::MediaOp) it sends and every [`MediaEvent`](sbc_core::MediaEvent)
//! it receives ([`Pinholes`] decides what to open and close), and every request before
//! the policy sees it ([`BanPolicy`]). [`Guard::flush`] writes what was
//! decided as one netlink batch (a few µs), synchronously, before the SIP that carries
//! the SDP goes out. A pinhole that cannot be opened is not ignored: `flush` names the
//! stream and the kernel's error, and the core ends that call (500 to an unanswered
//! caller, BYE to both legs of an answered call).
//!
//! Bans (`firewall.ban_seconds` in the kernel) come from [`Guard::screen`] (scanner
//! User-Agents, requests per second per source), from the answers to phones' relayed
//! REGISTERs ([`Guard::register_answered`]: failed authentications in a row), and are
//! lifted by `firewall.unban` on load/reload or by the management API
//! ([`Guard::unban`]). Trunk peers, `firewall.allow` and `management.allow` are never
//! banned. With the firewall disabled every method of the guard does nothing.

mod bans;
mod desired;
mod guard;
mod pinholes;

use sbc_config::Config;
use sbc_firewall::Firewall;
use tracing::{info, warn};

pub use bans::BanPolicy;
pub use desired::desired;
pub use guard::Guard;
pub use pinholes::Pinholes;

/// Installs our table per `config`, or says why it cannot. `Ok(None)`: disabled.
pub fn start(config: &Config) -> anyhow::Result<Option<Firewall>> {
    let fw = config.firewall();
    if !fw.enabled {
        warn!(
            "firewall disabled by config ([firewall] enabled = false): nftables is not touched, \
             no pinholes, no bans"
        );
        return Ok(None);
    }
    let desired = desired(config);
    let refuse = |e: sbc_firewall::FirewallError| {
        anyhow::anyhow!(
            "[firewall] enabled = true, but the nftables table inet {} cannot be installed: {e}; \
             not starting (set [firewall] enabled = false to run without a firewall)",
            fw.table
        )
    };
    Firewall::check(&desired).map_err(refuse)?;
    let firewall = Firewall::setup(&desired).map_err(refuse)?;
    if !config.media().kernel_forwarding {
        // A fast-path table a crashed run left behind would keep dropping forwarded
        // traffic; with the fast path off nothing of it may stay.
        let _ = Firewall::remove(&fast_path_table(config));
    }
    info!(
        table = %fw.table,
        sip_services = desired.sip.len(),
        media_ranges = desired.media.len(),
        "firewall installed (nftables table inet {})",
        fw.table
    );
    Ok(Some(firewall))
}

/// The kernel media fast path's table: ours too, named after `[firewall] table`.
pub fn fast_path_table(config: &Config) -> String {
    format!("{}_fast", config.firewall().table)
}

/// Re-renders our table for a reloaded `config` (pinholes and bans survive). `enabled`
/// and `table` take effect at the next start: turning the firewall on or off, or moving
/// it to another table, while calls hold pinholes would drop them. An error refuses the
/// reload (the running ruleset stays).
pub fn reload(firewall: &mut Option<Firewall>, config: &Config) -> anyhow::Result<()> {
    let fw = config.firewall();
    let Some(running) = firewall.as_mut() else {
        if fw.enabled {
            warn!("reload: [firewall] enabled = true takes effect after a restart");
        }
        return Ok(());
    };
    if !fw.enabled {
        warn!("reload: [firewall] enabled = false takes effect after a restart; the table stays");
    }
    let mut desired = desired(config);
    if desired.table != running.table() {
        warn!(
            "reload: firewall.table \"{}\" takes effect after a restart; table inet {} stays",
            desired.table,
            running.table()
        );
        desired.table = running.table().to_owned();
    }
    running.apply(&desired).map_err(|e| {
        anyhow::anyhow!(
            "firewall: the new ruleset for table inet {} was refused: {e}",
            desired.table
        )
    })?;
    info!(table = %desired.table, "firewall ruleset re-applied");
    Ok(())
}
