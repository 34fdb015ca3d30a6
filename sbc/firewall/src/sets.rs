//! Names of the named sets in our table (the same in every table name).

/// Banned IPv4 sources (`ipv4_addr`, per-element timeout).
pub const BAN4: &str = "ban4";
/// Banned IPv6 sources.
pub const BAN6: &str = "ban6";
/// Latched pinholes, IPv4: `remote . local address . local port`.
pub const PIN4: &str = "pin4";
/// Latched pinholes, IPv6.
pub const PIN6: &str = "pin6";
/// Open local media ports (any source), IPv4: `local address . local port`.
pub const PORT4: &str = "port4";
/// Open local media ports, IPv6.
pub const PORT6: &str = "port6";
/// Per-source SIP rate meter, IPv4 (dynamic, flushed on apply).
pub const RATE4: &str = "sip_rate4";
/// Per-source SIP rate meter, IPv6.
pub const RATE6: &str = "sip_rate6";
