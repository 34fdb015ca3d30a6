//! The bench's output: a table per stream count, then the ratios (each SBC row against
//! rtpengine doing the same, each SRTP row against the same relay's plain RTP) and one
//! `RESULT` line per comparison for scripts.
//!
//! `calls/core` is 10,000 / (CPU % of one core per 10k packets/s): one call is one audio
//! stream of 50 packets/s each way (100 relayed packets/s, so 10k packets/s are 100 calls),
//! and the relay's CPU is taken to grow linearly with the packets.

use sbc_srtp::Suite;

use crate::measure::Row;

/// A short name of a suite for the tables.
pub fn short(s: Suite) -> &'static str {
    match s {
        Suite::AesCm128HmacSha1_80 => "cm128-80",
        Suite::AesCm128HmacSha1_32 => "cm128-32",
        Suite::AesCm256HmacSha1_80 => "cm256-80",
        Suite::AeadAes128Gcm => "gcm128",
        Suite::AeadAes256Gcm => "gcm256",
    }
}

/// `sbc`, `rtpengine+gcm128`, ...
pub fn label(r: &Row) -> String {
    match r.srtp {
        None => r.relay.to_owned(),
        Some(s) => format!("{}+{}", r.relay, short(s)),
    }
}

/// Concurrent calls one core relays at this CPU per 10k packets/s (module docs).
pub fn calls_per_core(cpu_per_10k: f64) -> f64 {
    if cpu_per_10k <= 0.0 {
        return 0.0;
    }
    10_000.0 / cpu_per_10k
}

pub fn header() {
    println!(
        "  {:<18} {:>10} {:>8} {:>14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>11}",
        "relay",
        "pps",
        "loss",
        "CPU%/10k pps",
        "calls/core",
        "p50 µs",
        "p99 µs",
        "added p50",
        "added p99",
        "KiB/call",
        "sys-gen",
        "sys-direct"
    );
}

pub fn row(r: &Row, direct: &Row) {
    let relayed = r.relay != "direct";
    let opt = |v: f64, show: bool| if show { format!("{v:.1}") } else { "-".into() };
    println!(
        "  {:<18} {:>10.0} {:>7.3}% {:>14} {:>10} {:>10.0} {:>10.0} {:>10} {:>10} {:>10} {:>9.1} {:>11}",
        label(r),
        r.pps,
        r.loss * 100.0,
        opt(r.cpu_per_10k, relayed),
        if relayed {
            format!("{:.0}", calls_per_core(r.cpu_per_10k))
        } else {
            "-".into()
        },
        r.p50,
        r.p99,
        opt(r.p50 - direct.p50, relayed),
        opt(r.p99 - direct.p99, relayed),
        opt(r.kib_per_call, relayed),
        sys_gen(r),
        opt(sys_direct(r, direct), relayed),
    );
    if r.rtcp > 0 {
        println!("    ({} RTCP packets from the relay, not counted)", r.rtcp);
    }
}

/// The ratios of one stream count's rows.
pub fn comparisons(n: usize, rows: &[Row], direct: &Row) {
    let rtpengine = |srtp| {
        rows.iter()
            .find(|r| r.relay == "rtpengine" && r.srtp == srtp)
    };
    for sbc in rows.iter().filter(|r| r.relay != "rtpengine") {
        let Some(rtpe) = rtpengine(sbc.srtp) else {
            continue;
        };
        println!(
            "  {} / {}: CPU per 10k pps {:.2}x (own process), system-wide {} \
             (sys-gen), {} (sys-direct); added p99 {:.2}x, memory per call {:.2}x",
            label(sbc),
            label(rtpe),
            sbc.cpu_per_10k / rtpe.cpu_per_10k,
            ratio(sys_gen(sbc), sys_gen(rtpe)),
            ratio(sys_direct(sbc, direct), sys_direct(rtpe, direct)),
            (sbc.p99 - direct.p99).max(1.0) / (rtpe.p99 - direct.p99).max(1.0),
            sbc.kib_per_call / rtpe.kib_per_call.max(0.01)
        );
        println!(
            "RESULT streams={n} relay={} cpu_per_10k={:.2} sys_gen_per_10k={:.2} \
             sys_direct_per_10k={:.2} rtpengine_cpu_per_10k={:.2} rtpengine_sys_gen_per_10k={:.2} \
             rtpengine_sys_direct_per_10k={:.2}",
            label(sbc),
            sbc.cpu_per_10k,
            sys_gen(sbc),
            sys_direct(sbc, direct),
            rtpe.cpu_per_10k,
            sys_gen(rtpe),
            sys_direct(rtpe, direct)
        );
    }
    for secure in rows.iter().filter(|r| r.srtp.is_some()) {
        let Some(plain) = rows
            .iter()
            .find(|r| r.relay == secure.relay && r.srtp.is_none())
        else {
            continue;
        };
        println!(
            "  {} / {}: CPU per 10k pps {:.2}x ({:+.2} points); {:.0} SRTP calls per core",
            label(secure),
            label(plain),
            secure.cpu_per_10k / plain.cpu_per_10k,
            secure.cpu_per_10k - plain.cpu_per_10k,
            calls_per_core(secure.cpu_per_10k)
        );
        println!(
            "RESULT streams={n} relay={} cpu_per_10k={:.2} plain_cpu_per_10k={:.2} \
             srtp_overhead={:.2} calls_per_core={:.0}",
            label(secure),
            secure.cpu_per_10k,
            plain.cpu_per_10k,
            secure.cpu_per_10k / plain.cpu_per_10k,
            calls_per_core(secure.cpu_per_10k)
        );
    }
}

/// `a / b`, or a note when `b` is too small to divide by (other work on the host moved the
/// system-wide figures more than the relay did).
fn ratio(a: f64, b: f64) -> String {
    if b < 0.5 {
        "n/a (reference below noise)".to_owned()
    } else {
        format!("{:.2}x", a / b)
    }
}

/// System-wide busy CPU minus the generator's own, per 10k packets/s relayed.
fn sys_gen(r: &Row) -> f64 {
    (r.sys_cores - r.gen_cores) / (r.pps / 10_000.0)
}

/// System-wide busy CPU minus the direct path's (same run), per 10k packets/s relayed.
fn sys_direct(r: &Row, direct: &Row) -> f64 {
    (r.sys_cores - direct.sys_cores) / (r.pps / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_per_core_follow_from_cpu_per_10k_pps() {
        // 10k packets/s are 100 calls at 50 packets/s each way: at 5 % of a core each,
        // a core takes 20 times as many.
        assert_eq!(calls_per_core(5.0), 2000.0);
        assert_eq!(calls_per_core(0.0), 0.0);
    }
}
