//! Memory per idle connection: the daemon's RSS before and after N idle connections.
//!
//! `cargo run --release -p sbc-lab --example tls_idle [N]` (root; `cargo build --release`
//! first; `scripts/bench/tls_idle` does both). For each of plain TCP and TLS, on a fresh
//! daemon in a fresh lab:
//!
//! 1. start `sbc` with the standard lab config plus `tls:10.91.1.1:5061` (certificate for
//!    10.91.1.1 from a test CA generated now);
//! 2. warm up: open and close 100 connections of the kind measured (thread pools, allocator
//!    arenas, rustls session cache), wait, and read VmRSS from `/proc/<pid>/status`;
//! 3. open N connections from the carrier namespace (`tools/idle_conns.py`: TCP connect, or a
//!    full TLS handshake verified against the test CA) that then send nothing;
//! 4. wait until the daemon's RSS is stable, read it again; print (after - before) / N;
//! 5. close them, then open N again: RSS should not grow past step 4 (closed connections
//!    give their memory back to the allocator; glibc keeps it mapped, so RSS does not drop).
//!
//! The side-by-side with Kamailio + OpenSSL (same run, 10,000 TLS connections, PSS) is
//! `scripts/bench/tls`; this one compares TLS with plain TCP on the SBC.
//!
//! `TLS_IDLE_HOLD=SECS` keeps the connections open that long after the measurement, with the
//! daemon's pid printed, for a closer look (`valgrind --tool=massif` via `SBC_BIN`, `pmap`).

#![allow(clippy::print_stdout)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant};

use sbc_lab::cmd::python;
use sbc_lab::topology::{SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT};
use sbc_lab::{Lab, LabChild, Ns, SbcProcess, StandardConfig, TestCa};

/// Connections opened and closed before the baseline is read.
const WARM_UP: usize = 100;

fn main() -> ExitCode {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(2000);
    let mut figures = Vec::new();
    for mode in ["tcp", "tls"] {
        match measure(mode, n) {
            Ok(f) => figures.push((mode, f)),
            Err(e) => {
                eprintln!("tls_idle: {mode}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("idle connections: {n} per run, fresh daemon per transport");
    for (mode, f) in &figures {
        println!(
            "{mode}: RSS {} kB -> {} kB (+{} kB): {:.1} kB per idle connection; \
             {} kB after closing, {} kB with {n} open again",
            f.before,
            f.after,
            f.after.saturating_sub(f.before),
            f.per_connection(n),
            f.closed,
            f.reopened
        );
    }
    ExitCode::SUCCESS
}

/// RSS readings in kB.
struct Figures {
    before: u64,
    after: u64,
    closed: u64,
    reopened: u64,
}

impl Figures {
    fn per_connection(&self, n: usize) -> f64 {
        self.after.saturating_sub(self.before) as f64 / n as f64
    }
}

fn measure(mode: &str, n: usize) -> Result<Figures, String> {
    let lab = Lab::new().map_err(|e| e.to_string())?;
    let ca = TestCa::new(lab.dir(), "bench").map_err(|e| e.to_string())?;
    let server = ca
        .server("sbc-outside", &["10.91.1.1"])
        .map_err(|e| e.to_string())?;
    let config = StandardConfig::default().outside_tls(&server).render();
    let sbc = lab.start_sbc(&config).map_err(|e| e.to_string())?;
    let port = if mode == "tls" {
        SIP_TLS_PORT
    } else {
        SIP_PORT
    };
    let to = SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), port);

    let warm = hold(&lab, mode, to, &ca, WARM_UP)?;
    drop(warm);
    let before = stable_rss(&sbc)?;
    let held = hold(&lab, mode, to, &ca, n)?;
    let after = stable_rss(&sbc)?;
    if let Some(secs) = std::env::var("TLS_IDLE_HOLD")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        // Time to inspect the daemon with the connections open (heap profilers, pmap).
        eprintln!(
            "{mode}: {n} connections open to sbc pid {}; holding {secs} s",
            sbc.pid()
        );
        sleep(Duration::from_secs(secs));
    }
    drop(held);
    let closed = stable_rss(&sbc)?;
    let again = hold(&lab, mode, to, &ca, n)?;
    let reopened = stable_rss(&sbc)?;
    drop(again);
    Ok(Figures {
        before,
        after,
        closed,
        reopened,
    })
}

/// Starts the idle-connection holder and waits until its `n` connections are open.
fn hold(lab: &Lab, mode: &str, to: SocketAddr, ca: &TestCa, n: usize) -> Result<LabChild, String> {
    let script = sbc_lab::netio::netio_script().with_file_name("idle_conns.py");
    let python = python().map_err(|e| e.to_string())?;
    let argv = [
        python.display().to_string(),
        script.display().to_string(),
        mode.to_owned(),
        format!("--to={to}"),
        format!("--count={n}"),
        format!("--ca={}", ca.ca_path().display()),
    ];
    let child = lab.spawn(Ns::Carrier, &argv).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let out = child.stdout();
        if out.contains("ready") {
            return Ok(child);
        }
        if out.contains("error") || Instant::now() > deadline {
            return Err(format!("idle_conns.py: {out}{}", child.stderr()));
        }
        sleep(Duration::from_millis(100));
    }
}

/// VmRSS once two readings 1 s apart agree within 1% (at most 30 s).
fn stable_rss(sbc: &SbcProcess) -> Result<u64, String> {
    let mut last = rss_kb(sbc.pid())?;
    for _ in 0..30 {
        sleep(Duration::from_secs(1));
        let now = rss_kb(sbc.pid())?;
        if now.abs_diff(last) * 100 <= last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

fn rss_kb(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}
