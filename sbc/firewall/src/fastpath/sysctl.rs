//! IPv4 forwarding for the fast path: switched on only while the fast path runs, put back
//! as it was at shutdown.
//!
//! Enabling `net.ipv4.conf.all.forwarding` turns the host into a router; the fast path's
//! forward chain (policy drop) lets through only the DNATed relays it installed. rp_filter
//! needs nothing: a relayed packet arrives on the interface that routes back to its source.

use std::io;

/// `net.ipv4.conf.all.forwarding` of the calling thread's network namespace.
pub(crate) const FORWARDING: &str = "/proc/sys/net/ipv4/conf/all/forwarding";

/// Reads the flag ("0"/"1").
pub(crate) fn read(path: &str) -> io::Result<bool> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.trim() != "0")
}

/// Writes the flag.
pub(crate) fn write(path: &str, on: bool) -> io::Result<()> {
    std::fs::write(path, if on { "1\n" } else { "0\n" })
}
