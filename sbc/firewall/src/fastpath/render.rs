//! The fast path's nftables table as nft text (one `nft -f -` transaction).
//!
//! Packets are named by four tuples: a peer `P`, the SBC's socket `L` that `P` was latched
//! on, and the same on the other leg (`Q`, `M`). Forwarding `P -> L` becomes `P -> Q` after
//! DNAT and `M -> Q` after SNAT; the reply direction is conntrack's.
//!
//! * `dnat4` (`P . Pport . L . Lport : Q . Qport`): consulted by the nat hooks for the first
//!   packet of a connection only. Keyed by the latched source too, so a packet from anyone
//!   else (RTP Bleed) is not forwarded: it reaches the input chain and the userspace socket,
//!   which counts it as foreign, as before.
//! * `snat4` (`L . Lport : M . Mport`): keyed by the connection's original destination.
//! * `flow4` (`S . Sport . O . Oport`, counter per element): a packet's source `S` and the
//!   SBC socket `O` its connection was first addressed to (`ct original`: `L` or `M`,
//!   whichever peer spoke first), so four entries per relay, unique to it (the SBC's ports
//!   are). The forward chain accepts only DNATed connections found there and drops
//!   everything else (policy drop), so enabling `net.ipv4.conf.all.forwarding` forwards
//!   nothing but our relays. Its counters are the per-direction stats.
//! * Peers on the SBC host itself (a benchmark on loopback): locally sent packets take the
//!   output hook instead of prerouting and are delivered through input instead of forward,
//!   so the same three lookups are repeated there (SNAT for local delivery is the nat input
//!   hook).

use std::fmt::Write;

/// Set names.
pub(crate) const DNAT4: &str = "dnat4";
pub(crate) const SNAT4: &str = "snat4";
pub(crate) const FLOW4: &str = "flow4";

/// The tuple of the DNAT lookup: source and the SBC socket addressed.
const DNAT_KEY: &str = "ip saddr . udp sport . ip daddr . udp dport";
/// The tuple of the forward-chain lookup: source and the connection's first SBC socket.
const FLOW: &str = "ip saddr . udp sport . ct original ip daddr . ct original proto-dst";

/// `nft -f` text that creates (or replaces, emptied) table `inet table`.
pub(crate) fn table(table: &str) -> String {
    let dnat = format!("meta l4proto udp dnat ip to {DNAT_KEY} map @{DNAT4}");
    let snat = format!(
        "meta l4proto udp ct status dnat snat ip to ct original ip daddr . ct original proto-dst map @{SNAT4}"
    );
    let mut s = String::new();
    // Create-then-delete makes the delete succeed whether or not the table exists.
    let _ = writeln!(s, "table inet {table}\ndelete table inet {table}");
    let _ = writeln!(s, "table inet {table} {{");
    let _ = writeln!(
        s,
        "  map {DNAT4} {{ type ipv4_addr . inet_service . ipv4_addr . inet_service : ipv4_addr . inet_service; flags timeout; }}"
    );
    let _ = writeln!(
        s,
        "  map {SNAT4} {{ type ipv4_addr . inet_service : ipv4_addr . inet_service; flags timeout; }}"
    );
    let _ = writeln!(
        s,
        "  set {FLOW4} {{ type ipv4_addr . inet_service . ipv4_addr . inet_service; flags timeout; counter; }}"
    );
    let chain = |s: &mut String, name: &str, hook: &str, rules: &[&str]| {
        let _ = writeln!(s, "  chain {name} {{\n    {hook}");
        for r in rules {
            let _ = writeln!(s, "    {r}");
        }
        let _ = writeln!(s, "  }}");
    };
    let dnat_rule = format!("{dnat} comment \"fast-dnat\"");
    let snat_rule = format!("{snat} comment \"fast-snat\"");
    let accept =
        format!("ct status dnat meta l4proto udp {FLOW} @{FLOW4} accept comment \"fast-forward\"");
    let count = format!("ct status dnat meta l4proto udp {FLOW} @{FLOW4} comment \"fast-local\"");
    chain(
        &mut s,
        "prerouting",
        "type nat hook prerouting priority dstnat; policy accept;",
        &[&dnat_rule],
    );
    chain(
        &mut s,
        "output",
        "type nat hook output priority -100; policy accept;",
        &[&dnat_rule],
    );
    chain(
        &mut s,
        "postrouting",
        "type nat hook postrouting priority srcnat; policy accept;",
        &[&snat_rule],
    );
    chain(
        &mut s,
        "local_snat",
        "type nat hook input priority 100; policy accept;",
        &[&snat_rule],
    );
    chain(
        &mut s,
        "forward",
        "type filter hook forward priority filter; policy drop;",
        &[&accept, "counter comment \"forward\""],
    );
    chain(
        &mut s,
        "local",
        "type filter hook input priority filter; policy accept;",
        &[&count],
    );
    let _ = writeln!(s, "}}");
    s
}

/// `nft -f` text that deletes table `inet table` whether or not it exists.
pub(crate) fn delete(table: &str) -> String {
    format!("table inet {table}\ndelete table inet {table}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_chain_drops_all_but_our_flows() {
        let t = table("sbc_fast");
        assert!(t.contains("hook forward priority filter; policy drop;"));
        assert!(t.contains("@flow4 accept comment \"fast-forward\""));
        assert!(t.contains("dnat ip to ip saddr . udp sport . ip daddr . udp dport map @dnat4"));
        assert_eq!(
            t.matches("map @snat4").count(),
            2,
            "postrouting and local input"
        );
    }
}
