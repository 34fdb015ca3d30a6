//! System-wide CPU from `/proc/stat`, for relays whose work is not charged to their own
//! process: the kernel fast path forwards in softirq, mostly in the context of the sender
//! (here the load generator) or on whichever CPU runs the network stack.
//!
//! Busy time is user + nice + system + irq + softirq + steal of the `cpu` line (idle and
//! iowait excluded), in seconds. The bench reports for each relay the system's busy time
//! minus the generator's own (utime + stime), and the system's busy time minus that of the
//! direct path (the generator talking to itself, no relay) in the same run: the first is
//! what the brief asks for, the second also removes the generator's loopback delivery,
//! which the kernel charges to whoever sends.

/// Busy CPU seconds of the whole system since boot.
pub fn busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| f.get(i))
        .sum::<f64>();
    Some(busy / super::relays::clock_ticks())
}
