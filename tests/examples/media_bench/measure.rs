//! One measurement: a relay (or the direct path) anchoring N streams, the load through it,
//! and what it cost. With an SRTP suite, side A of every stream is SRTP under a fresh key
//! per stream and direction; a packet that fails to authenticate or does not match what was
//! sent fails the measurement.

use std::time::Duration;

use sbc_srtp::Suite;

use crate::load::{self, SrtpA};
use crate::relays::{Relay, cpu_seconds, rss_kib};
use crate::sdes::MasterKey;
use crate::system;

pub struct Row {
    /// `direct`, `sbc`, `sbc-kernel` or `rtpengine`.
    pub relay: &'static str,
    /// SRTP on side A.
    pub srtp: Option<Suite>,
    pub pps: f64,
    pub loss: f64,
    pub cpu_per_10k: f64,
    pub p50: f64,
    pub p99: f64,
    pub kib_per_call: f64,
    /// System-wide busy CPU (% of one core) during the window.
    pub sys_cores: f64,
    /// The generator's own CPU (% of one core) during the window.
    pub gen_cores: f64,
    /// RTCP the relay sent of its own (not counted as load).
    pub rtcp: u64,
}

/// Anchors `n` streams on `relay` (the direct path when `None`), runs the load for
/// `seconds` after 2 s of warm-up and measures.
pub fn measure(
    relay: Option<&mut dyn Relay>,
    n: usize,
    seconds: u16,
    receive: load::Receive,
    srtp: Option<Suite>,
) -> Result<Row, String> {
    let e = |x: std::io::Error| x.to_string();
    let (a, b) = (
        load::peer_socket().map_err(e)?,
        load::peer_socket().map_err(e)?,
    );
    let (aa, ba) = (a.local_addr().map_err(e)?, b.local_addr().map_err(e)?);
    let mut crypto = srtp.map(|_| SrtpA {
        protect: Vec::with_capacity(n),
        unprotect: Vec::with_capacity(n),
    });
    let (name, pid, anchors) = match relay {
        None => {
            if srtp.is_some() {
                return Err("the direct path has no SRTP".into());
            }
            ("direct", None, load::direct(&a, &b, n).map_err(e)?)
        }
        Some(r) => {
            let pid = r.pid();
            std::thread::sleep(Duration::from_millis(300));
            let rss0 = rss_kib(pid).unwrap_or(0);
            let mut anchors = Vec::with_capacity(n);
            for i in 0..n {
                let ours = srtp.map(MasterKey::random).transpose().map_err(e)?;
                let opened = r.open(i, aa, ba, ours.as_ref()).map_err(e)?;
                anchors.push(opened.anchor);
                if let (Some(c), Some(ours)) = (crypto.as_mut(), ours) {
                    let theirs = opened
                        .relay_key
                        .ok_or_else(|| format!("{}: no key towards A", r.name()))?;
                    let context = |k: &MasterKey| k.context().map_err(|e| format!("key: {e}"));
                    c.protect.push(context(&ours)?);
                    c.unprotect.push(context(&theirs)?);
                }
            }
            std::thread::sleep(Duration::from_millis(500));
            let problems = r.problems();
            if !problems.is_empty() {
                return Err(format!("{}: {}", r.name(), problems.join("; ")));
            }
            (r.name(), Some((pid, rss0)), anchors)
        }
    };
    let mut cpu = (0.0, 0.0);
    let mut sys = (0.0, 0.0);
    let mut gen_cpu = (0.0, 0.0);
    let me = std::process::id();
    let plan = load::Plan {
        anchors: &anchors,
        srtp: crypto,
        warmup: 100,
        measure: seconds * 50,
        receive,
    };
    let out = load::run(&a, &b, plan, |start| {
        let t = pid.and_then(|(p, _)| cpu_seconds(p)).unwrap_or(0.0);
        let s = system::busy_seconds().unwrap_or(0.0);
        let g = cpu_seconds(me).unwrap_or(0.0);
        if start {
            (cpu.0, sys.0, gen_cpu.0) = (t, s, g);
        } else {
            (cpu.1, sys.1, gen_cpu.1) = (t, s, g);
        }
    })
    .map_err(e)?;
    if out.unauthenticated > 0 || out.corrupt > 0 {
        let label = match srtp {
            Some(s) => format!("{name}+{}", crate::report::short(s)),
            None => name.to_owned(),
        };
        return Err(format!(
            "{label}: FAILED integrity: {} packets did not authenticate, {} not as sent \
             (first: {})",
            out.unauthenticated,
            out.corrupt,
            out.first_problem.as_deref().unwrap_or("-")
        ));
    }
    let pps = out.received as f64 / out.seconds;
    let cores = (cpu.1 - cpu.0) / out.seconds;
    let kib_per_call = pid.map_or(0.0, |(p, rss0)| {
        (rss_kib(p).unwrap_or(0).saturating_sub(rss0)) as f64 / n as f64
    });
    Ok(Row {
        relay: name,
        srtp,
        pps,
        loss: 1.0 - out.received as f64 / out.sent.max(1) as f64,
        cpu_per_10k: cores / (pps / 10_000.0) * 100.0,
        p50: out.latency.quantile(0.5),
        p99: out.latency.quantile(0.99),
        kib_per_call,
        sys_cores: (sys.1 - sys.0) / out.seconds * 100.0,
        gen_cores: (gen_cpu.1 - gen_cpu.0) / out.seconds * 100.0,
        rtcp: out.rtcp,
    })
}
