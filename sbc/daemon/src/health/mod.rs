//! `sbc health --config PATH`: is the daemon running on this config healthy? The
//! appliance runs it after every boot, and after an update marks the new slot good only
//! when it passes (image/rootfs/usr/lib/sbc/health).
//!
//! Checks, each printed as one line (`ok ...` or `FAILED ...`); exit 0 only if all pass:
//!
//! * every realm listener answers a SIP OPTIONS (UDP, TCP, and TLS without verifying the
//!   certificate: the point is that the daemon answers, not who it is). Any final answer
//!   counts: from this host the SBC may well refuse (403) a source that is no trunk peer;
//! * management answers HTTPS (`GET /`, any HTTP status);
//! * the SBC's nftables table exists (`nft list table inet <table>`), when the firewall is
//!   enabled.

mod probe;
mod tls;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use sbc_config::Config;
use sbc_core::{Transport, TransportAddr};

/// How long each probe may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the checks and prints one line each.
pub fn run(path: &Path) -> ExitCode {
    let config = match Config::load_with(path, &crate::ifaddrs::read_or_empty()) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors.iter() {
                eprintln!("FAILED config {}: {e}", path.display());
            }
            return ExitCode::FAILURE;
        }
    };
    let mut failed = 0;
    let mut report = |what: String, outcome: Result<String, String>| match outcome {
        Ok(detail) => eprintln!("ok {what}: {detail}"),
        Err(why) => {
            failed += 1;
            eprintln!("FAILED {what}: {why}");
        }
    };
    for realm in config.realms() {
        for l in &realm.listen {
            report(format!("{l} OPTIONS"), probe::options(l, TIMEOUT));
        }
    }
    let mgmt = reachable(config.management().listen);
    report(format!("https://{mgmt}/"), probe::https(mgmt, TIMEOUT));
    if config.firewall().enabled {
        let table = &config.firewall().table;
        report(format!("nftables table inet {table}"), nft_table(table));
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A wildcard listener is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

fn nft_table(table: &str) -> Result<String, String> {
    let out = std::process::Command::new("nft")
        .args(["list", "table", "inet", table])
        .output()
        .map_err(|e| format!("running nft: {e}"))?;
    if out.status.success() {
        let chains = String::from_utf8_lossy(&out.stdout)
            .matches("chain ")
            .count();
        Ok(format!("present ({chains} chains)"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The listener a probe goes to, for messages.
fn describe(l: &TransportAddr) -> &'static str {
    match l.transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
    }
}
