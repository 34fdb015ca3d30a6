//! Media relay benchmark: N concurrent streams of 20 ms RTP (50 packets/s each way) relayed
//! on loopback by the SBC's media workers and, in the same run, by Debian's rtpengine
//! (userspace forwarding, `--table=-1`, driven over its ng protocol), with the direct path
//! (no relay) as the latency reference.
//!
//! `scripts/bench/media [--streams 250,500,1000] [--seconds 10] [--workers N]
//!  [--relay-cpus LIST] [--no-rtpengine] [--blocking-receivers] [--realtime PRIO | --no-realtime]
//!  [--kernel]`
//!
//! `--kernel` adds a row `sbc-kernel`: the SBC with the kernel media fast path
//! (`--kernel-forwarding`: nftables NAT maps + conntrack forward each stream once latched;
//! needs root; run it in a network namespace of its own, `scripts/bench/media` does). Its
//! forwarding is not charged to the SBC's process, so every row also gets system-wide CPU
//! ([`system`]): `sys-gen` (all CPUs' busy time minus the generator's own) and `sys-direct`
//! (all CPUs' busy time minus that of the direct path's run), each per 10k packets/s.
//!
//! With 2 or more cores the relay under test runs on the upper half of them (`taskset`)
//! and the load generator on the rest, so the two do not preempt each other; `--workers`
//! (SBC workers, rtpengine threads) defaults to the relay's core count. Both relays run
//! their packet threads SCHED_FIFO at priority 50 (`--realtime`; `sbc-media-harness
//! --realtime`, rtpengine `--scheduling=fifo --priority`), as a media appliance does: on a
//! host shared with other work, normal scheduling makes a relay wait for its turn behind
//! it, which is milliseconds of p99 for either relay. The generator (the instrument) runs
//! SCHED_FIFO too: without it the p99 of both relays measured ~5 ms in the same run in
//! which the direct path's was 3 µs. `--no-realtime` measures with normal scheduling.
//!
//! For each stream count and each relay: a fresh relay process; anchor N streams (`open`,
//! both peers' addresses, answered; or ng offer/answer); 2 s of warm-up; then the measured
//! window. Reported per relay: packets/s relayed, loss, the relay's CPU (utime+stime from
//! /proc) per 10k packets/s, one-way latency p50/p99 through the relay minus the direct
//! path's (added latency), RSS growth per call (one audio stream per call). How latency is
//! taken (kernel receive timestamps; `--blocking-receivers` for the former way): [`load`].
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod load;
mod ng;
mod relays;
mod sockopt;
mod system;

use std::process::ExitCode;
use std::time::Duration;

use relays::{Relay, RtpEngine, Sbc, cpu_seconds, pin_self, rss_kib};

struct Args {
    streams: Vec<usize>,
    seconds: u16,
    workers: usize,
    relay_cpus: String,
    gen_cpus: String,
    sbc: String,
    rtpengine: bool,
    receive: load::Receive,
    realtime: Option<u8>,
    kernel: bool,
}

fn args() -> Result<Args, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (relay_cpus, gen_cpus) = if cores >= 2 {
        (
            format!("{}-{}", cores / 2, cores - 1),
            format!("0-{}", cores / 2 - 1),
        )
    } else {
        (String::new(), String::new())
    };
    let mut workers = None;
    let mut a = Args {
        streams: vec![250, 500, 1000],
        seconds: 10,
        workers: 0,
        relay_cpus,
        gen_cpus,
        sbc: std::env::var("SBC_MEDIA_HARNESS_BIN")
            .unwrap_or_else(|_| "target/release/sbc-media-harness".into()),
        rtpengine: true,
        receive: load::Receive::Stamped,
        realtime: Some(50),
        kernel: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k}: value missing"));
        match k.as_str() {
            "--streams" => {
                a.streams = v()?
                    .split(',')
                    .map(|s| s.parse().map_err(|e| format!("--streams: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--seconds" => a.seconds = v()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--workers" => workers = Some(v()?.parse().map_err(|e| format!("--workers: {e}"))?),
            "--relay-cpus" => {
                a.relay_cpus = v()?;
                a.gen_cpus = String::new();
            }
            "--sbc" => a.sbc = v()?,
            "--no-rtpengine" => a.rtpengine = false,
            "--blocking-receivers" => a.receive = load::Receive::Blocking,
            "--realtime" => {
                a.realtime = Some(v()?.parse().map_err(|e| format!("--realtime: {e}"))?);
            }
            "--no-realtime" => a.realtime = None,
            "--kernel" => a.kernel = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    a.workers = workers.unwrap_or(if a.relay_cpus.is_empty() {
        cores
    } else {
        cores - cores / 2
    });
    Ok(a)
}

/// First of the SBC's anchored ports in the bench.
const SBC_BASE_PORT: u16 = 14000;

struct Row {
    name: &'static str,
    pps: f64,
    loss: f64,
    cpu_per_10k: f64,
    p50: f64,
    p99: f64,
    kib_per_call: f64,
    /// System-wide busy CPU (% of one core) during the window.
    sys_cores: f64,
    /// The generator's own CPU (% of one core) during the window.
    gen_cores: f64,
}

fn measure(
    relay: Option<&mut dyn Relay>,
    n: usize,
    seconds: u16,
    receive: load::Receive,
) -> Result<Row, String> {
    let e = |x: std::io::Error| x.to_string();
    let (a, b) = (
        load::peer_socket().map_err(e)?,
        load::peer_socket().map_err(e)?,
    );
    let (aa, ba) = (a.local_addr().map_err(e)?, b.local_addr().map_err(e)?);
    let (name, pid, anchors) = match relay {
        None => ("direct", None, load::direct(&a, &b, n).map_err(e)?),
        Some(r) => {
            let pid = r.pid();
            std::thread::sleep(Duration::from_millis(300));
            let rss0 = rss_kib(pid).unwrap_or(0);
            let anchors = (0..n)
                .map(|i| r.open(i, aa, ba))
                .collect::<Result<Vec<_>, _>>()
                .map_err(e)?;
            std::thread::sleep(Duration::from_millis(500));
            let problems = r.problems();
            if !problems.is_empty() {
                return Err(format!("{}: {}", r.name(), problems.join("; ")));
            }
            (r.name(), Some((pid, rss0)), anchors)
        }
    };
    let frames = seconds * 50;
    let mut cpu = (0.0, 0.0);
    let mut sys = (0.0, 0.0);
    let mut gen_cpu = (0.0, 0.0);
    let me = std::process::id();
    let out = load::run(&a, &b, &anchors, 100, frames, receive, |start| {
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
    let pps = out.received as f64 / out.seconds;
    let cores = (cpu.1 - cpu.0) / out.seconds;
    let kib_per_call = pid.map_or(0.0, |(p, rss0)| {
        (rss_kib(p).unwrap_or(0).saturating_sub(rss0)) as f64 / n as f64
    });
    Ok(Row {
        name,
        pps,
        loss: 1.0 - out.received as f64 / out.sent.max(1) as f64,
        cpu_per_10k: cores / (pps / 10_000.0) * 100.0,
        p50: out.latency.quantile(0.5),
        p99: out.latency.quantile(0.99),
        kib_per_call,
        sys_cores: (sys.1 - sys.0) / out.seconds * 100.0,
        gen_cores: (gen_cpu.1 - gen_cpu.0) / out.seconds * 100.0,
    })
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("media_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rtpengine = args.rtpengine
        && std::process::Command::new("rtpengine")
            .arg("--version")
            .output()
            .is_ok();
    if !rtpengine {
        println!(
            "rtpengine: not available (apt-get install rtpengine-daemon); no reference column"
        );
    }
    if let Some(p) = args.realtime {
        if let Err(e) = sockopt::set_realtime(p) {
            println!("could not make the generator SCHED_FIFO {p}: {e}");
        }
    }
    if !args.gen_cpus.is_empty() {
        if let Err(e) = pin_self(&args.gen_cpus) {
            println!("could not pin the generator to CPUs {}: {e}", args.gen_cpus);
        }
    }
    let cpus = |c: &str| {
        if c.is_empty() {
            "any".to_string()
        } else {
            c.to_string()
        }
    };
    println!(
        "media relay benchmark: loopback, {} s per run, 20 ms RTP (172 bytes) both ways; \
         relays on CPUs {} with {} worker thread(s), scheduling {}, generator on CPUs {}; \
         latency from {}",
        args.seconds,
        cpus(&args.relay_cpus),
        args.workers,
        args.realtime
            .map_or("normal".to_owned(), |p| format!("SCHED_FIFO {p}")),
        cpus(&args.gen_cpus),
        match args.receive {
            load::Receive::Stamped => "kernel receive timestamps (receivers poll every 1 ms)",
            load::Receive::Blocking => "blocking receivers (timestamped when they run)",
        }
    );
    let mut failed = false;
    for &n in &args.streams {
        println!("\n{n} streams ({} packets/s offered):", n * 100);
        println!(
            "  {:<10} {:>10} {:>8} {:>14} {:>10} {:>10} {:>12} {:>12} {:>10} {:>9} {:>11}",
            "relay",
            "pps",
            "loss",
            "CPU%/10k pps",
            "p50 µs",
            "p99 µs",
            "added p50",
            "added p99",
            "KiB/call",
            "sys-gen",
            "sys-direct"
        );
        let direct = match measure(None, n, args.seconds, args.receive) {
            Ok(r) => r,
            Err(e) => {
                println!("  direct: {e}");
                failed = true;
                continue;
            }
        };
        let mut rows = vec![];
        match Sbc::start(
            &args.sbc,
            args.workers,
            // Below the ephemeral range (32768-60999 by default): 4 ports per stream, so
            // 1000 streams end at 18000 and no client socket on the host can hold one.
            SBC_BASE_PORT,
            &args.relay_cpus,
            args.realtime,
            false,
        ) {
            Ok(mut s) => rows.push(measure(Some(&mut s), n, args.seconds, args.receive)),
            Err(e) => rows.push(Err(format!("sbc: {e}"))),
        }
        if args.kernel {
            match Sbc::start(
                &args.sbc,
                args.workers,
                SBC_BASE_PORT,
                &args.relay_cpus,
                args.realtime,
                true,
            ) {
                Ok(mut s) => rows.push(measure(Some(&mut s), n, args.seconds, args.receive)),
                Err(e) => rows.push(Err(format!("sbc-kernel: {e}"))),
            }
        }
        if rtpengine {
            match RtpEngine::start(
                args.workers,
                2223,
                (40000, 59999),
                &args.relay_cpus,
                args.realtime,
            ) {
                Ok(mut r) => rows.push(measure(Some(&mut r), n, args.seconds, args.receive)),
                Err(e) => rows.push(Err(format!("rtpengine: {e}"))),
            }
        }
        print_row(&direct, &direct);
        let mut ok_rows = vec![];
        for r in rows {
            match r {
                Ok(r) => {
                    print_row(&r, &direct);
                    ok_rows.push(r);
                }
                Err(e) => {
                    println!("  {e}");
                    failed = true;
                }
            }
        }
        let rtpe = ok_rows.iter().find(|r| r.name == "rtpengine");
        for sbc in ok_rows.iter().filter(|r| r.name != "rtpengine") {
            let Some(rtpe) = rtpe else { break };
            println!(
                "  {} / rtpengine: CPU per 10k pps {:.2}x (own process), system-wide {} \
                 (sys-gen), {} (sys-direct); added p99 {:.2}x, memory per call {:.2}x",
                sbc.name,
                sbc.cpu_per_10k / rtpe.cpu_per_10k,
                ratio(sys_gen(sbc), sys_gen(rtpe)),
                ratio(sys_direct(sbc, &direct), sys_direct(rtpe, &direct)),
                (sbc.p99 - direct.p99).max(1.0) / (rtpe.p99 - direct.p99).max(1.0),
                sbc.kib_per_call / rtpe.kib_per_call.max(0.01)
            );
            println!(
                "RESULT streams={n} relay={} cpu_per_10k={:.2} sys_gen_per_10k={:.2} \
                 sys_direct_per_10k={:.2} rtpengine_cpu_per_10k={:.2} rtpengine_sys_gen_per_10k={:.2} \
                 rtpengine_sys_direct_per_10k={:.2}",
                sbc.name,
                sbc.cpu_per_10k,
                sys_gen(sbc),
                sys_direct(sbc, &direct),
                rtpe.cpu_per_10k,
                sys_gen(rtpe),
                sys_direct(rtpe, &direct)
            );
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
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

fn print_row(r: &Row, direct: &Row) {
    let relayed = r.name != "direct";
    let opt = |v: f64, show: bool| if show { format!("{v:.1}") } else { "-".into() };
    println!(
        "  {:<10} {:>10.0} {:>7.3}% {:>14} {:>10.0} {:>10.0} {:>12} {:>12} {:>10} {:>9.1} {:>11}",
        r.name,
        r.pps,
        r.loss * 100.0,
        opt(r.cpu_per_10k, relayed),
        r.p50,
        r.p99,
        opt(r.p50 - direct.p50, relayed),
        opt(r.p99 - direct.p99, relayed),
        opt(r.kib_per_call, relayed),
        sys_gen(r),
        opt(sys_direct(r, direct), relayed),
    );
}
