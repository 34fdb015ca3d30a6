//! The kernel's view of the SBC's firewall, from inside the lab's `sbc` namespace: our
//! nftables table, its rule counters (by rule comment) and set elements, a second source
//! address on the carrier side (an "unlisted" stranger), and a bystander table that
//! belongs to somebody else.

use std::net::Ipv4Addr;
use std::process::Command;

use crate::cmd;
use crate::error::Result;
use crate::lab::Lab;
use crate::topology::{Ns, PREFIX_LEN};

/// A stranger on the carrier's network: no trunk's peer.
pub const STRANGER_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 1, 3);
/// A second stranger (for a second ban, a flood...).
pub const STRANGER2_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 1, 4);

/// A second address of the SBC on the carrier's network, for an open realm (phones).
pub const SBC_PHONES_IP: Ipv4Addr = Ipv4Addr::new(10, 91, 1, 5);

/// The bystander table [`Lab::add_bystander_table`] creates: not the SBC's.
pub const BYSTANDER_TABLE: &str = "bystander";

impl Lab {
    /// Adds `ip` to the carrier namespace's interface (same subnet as the carrier).
    pub fn add_carrier_address(&self, ip: Ipv4Addr) -> Result<()> {
        let cidr = format!("{ip}/{PREFIX_LEN}");
        cmd::run_ok(Command::new("ip").args([
            "-n",
            &self.ns_name(Ns::Carrier),
            "addr",
            "add",
            &cidr,
            "dev",
            "eth0",
        ]))?;
        Ok(())
    }

    /// Adds `ip` to the SBC's outside interface (before the daemon starts, for a realm
    /// listening on it).
    pub fn add_sbc_outside_address(&self, ip: Ipv4Addr) -> Result<()> {
        let cidr = format!("{ip}/{PREFIX_LEN}");
        cmd::run_ok(Command::new("ip").args([
            "-n",
            &self.ns_name(Ns::Sbc),
            "addr",
            "add",
            &cidr,
            "dev",
            "out0",
        ]))?;
        Ok(())
    }

    /// `nft list table inet <table>` in the sbc namespace; `None` when there is no such table.
    pub fn nft_table(&self, table: &str) -> Result<Option<String>> {
        cmd::require_tool("nft", "apt-get install nftables (or run scripts/setup)")?;
        let out = self.exec(Ns::Sbc, &["nft", "list", "table", "inet", table])?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
        } else if stderr.contains("No such file or directory") {
            Ok(None)
        } else {
            Err(crate::error::LabError::BadOutput {
                tool: format!("nft list table inet {table}"),
                output: format!("{}: {stderr}", out.status),
            })
        }
    }

    /// Packets counted by the rules of our `table` whose comment is `comment` (summed); 0
    /// when the table is absent.
    pub fn nft_counter(&self, table: &str, comment: &str) -> Result<u64> {
        Ok(self
            .nft_table(table)?
            .map_or(0, |listing| counter(&listing, comment)))
    }

    /// The elements of one set of `table` as nft prints them (`elements = { ... }`), empty
    /// when the set has none or the table is absent.
    pub fn nft_set(&self, table: &str, set: &str) -> Result<String> {
        let out = self.exec(Ns::Sbc, &["nft", "list", "set", "inet", table, set])?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .split_once("elements = {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(elements, _)| elements.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default())
    }

    /// Creates table `inet bystander` in the sbc namespace (a chain hooked on input with a
    /// counter, and a set with an element) — somebody else's table the SBC must not touch.
    /// Returns its listing.
    pub fn add_bystander_table(&self) -> Result<String> {
        let ruleset = format!(
            "table inet {BYSTANDER_TABLE} {{\n\
             \tset keep {{ type ipv4_addr; elements = {{ 192.0.2.99 }} }}\n\
             \tchain watch {{ type filter hook input priority 10; policy accept; \
             ip saddr @keep counter drop comment \"bystander\"; }}\n}}\n"
        );
        let path = self.artifacts().unique_path("bystander", ".nft");
        self.artifacts().write(&path, &ruleset)?;
        let path = path.display().to_string();
        self.exec_ok(Ns::Sbc, &["nft", "-f", &path])?;
        Ok(self.nft_table(BYSTANDER_TABLE)?.unwrap_or_default())
    }
}

/// Sum of `counter packets N` over the lines of an `nft list` output carrying `comment "<comment>"`.
pub fn counter(listing: &str, comment: &str) -> u64 {
    let tag = format!("comment \"{comment}\"");
    listing
        .lines()
        .filter(|l| l.contains(&tag))
        .filter_map(|l| {
            l.split_once("counter packets ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::counter;

    #[test]
    fn counters_are_summed_by_comment() {
        let listing = "\t\tip saddr @ban4 counter packets 3 bytes 120 drop comment \"ban\"\n\
                       \t\tip6 saddr @ban6 counter packets 2 bytes 80 drop comment \"ban\"\n\
                       \t\tcounter packets 7 bytes 9 drop comment \"policy\"\n\
                       \t\tudp dport 5060 update @r { ip saddr limit rate over 20/second burst 20 packets } \
                       counter packets 11 bytes 9 drop comment \"sip-rate\"\n";
        assert_eq!(counter(listing, "ban"), 5);
        assert_eq!(counter(listing, "policy"), 7);
        assert_eq!(counter(listing, "media"), 0);
        assert_eq!(counter(listing, "sip-rate"), 11);
    }
}
