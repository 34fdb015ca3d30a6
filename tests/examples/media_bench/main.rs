//! Media relay benchmark: N concurrent streams of 20 ms RTP (50 packets/s each way) relayed
//! on loopback by the SBC's media workers and, in the same run, by Debian's rtpengine
//! (userspace forwarding, `--table=-1`, driven over its ng protocol), with the direct path
//! (no relay) as the latency reference.
//!
//! `scripts/bench/media [--streams 250,500,1000] [--seconds 10] [--workers N]
//!  [--relay-cpus LIST] [--no-rtpengine] [--blocking-receivers] [--realtime PRIO | --no-realtime]
//!  [--kernel] [--io-uring] [--srtp SUITE[,SUITE...]] [--transcoded M [--transcode-codec
//!  opus|g722|g729]] [--transcoding N[,N...] [--transcode-codecs opus,g722,g729]]`
//!
//! `--transcoding N` measures transcoded sessions instead of relayed streams
//! ([`sessions`]): N calls PCMA <-> each codec through the SBC and through rtpengine,
//! sessions per core, loss and latency per direction.
//!
//! `--transcoded M` adds rows `sbc+tx-inline` and `sbc+tx-threads`: the plain streams
//! measured while M more calls on the same SBC are transcoded both ways (PCMA <-> the
//! codec), with the codecs inline in the workers and then on transcoding threads
//! ([`transcoded`]): what transcoding costs the relay's latency, before and after.
//!
//! `--io-uring` adds rows `sbc-uring`: the same workers driving their sockets with io_uring
//! (multishot receive into provided buffers, sends queued on the ring: one `io_uring_enter`
//! per turn of the loop) instead of epoll + `recvmmsg`/`sendmmsg`, plain and per SRTP suite.
//!
//! `--srtp` adds, per suite (`AES_CM_128_HMAC_SHA1_80`, `AEAD_AES_128_GCM`, ...), a row for
//! each relay with side A of every stream in SRTP and side B plain RTP (SDES bridging): the
//! generator protects what A sends under a key of its own and unprotects what A receives
//! under the relay's. The SBC's harness is told both keys (`srtp` op, `MediaOp::Srtp` for
//! side A); rtpengine gets an `RTP/SAVP` offer with the generator's `a=crypto` and
//! `transport-protocol: RTP/AVP` towards B, and its answer's `a=crypto` is read back
//! ([`sdes`]). Every packet received is checked against what was sent ([`packet`]): one
//! that fails to authenticate or differs fails the run. The plain rows stay in the same
//! run, so the SRTP overhead and the SBC/rtpengine ratio come from the same conditions;
//! `calls/core` ([`report`]) is derived from CPU per stream. The direct path stays plain
//! (the latency reference): the generator's own SRTP work is in its CPU, not the relay's.
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
mod measure;
mod ng;
mod packet;
mod relays;
mod report;
mod sdes;
mod sessions;
mod sockopt;
mod system;
mod transcoded;
mod tx_load;

use std::process::ExitCode;

use measure::measure;
use relays::{RtpEngine, Sbc, SbcMode, pin_self};
use sbc_srtp::Suite;

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
    /// Add the SBC with io_uring-driven workers (`sbc-uring` rows).
    io_uring: bool,
    srtp: Vec<Suite>,
    /// Transcoded calls run beside the plain streams ([`transcoded`]); 0: none.
    transcoded: usize,
    /// Side B's codec of those calls.
    transcode_codec: (u8, &'static str),
    /// Transcoded sessions to measure ([`sessions`]); empty: the relay bench.
    transcoding: Vec<usize>,
    /// Side B's codecs of those sessions.
    transcode_codecs: Vec<sessions::TxCodec>,
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
        io_uring: false,
        srtp: vec![],
        transcoded: 0,
        transcode_codec: (111, "opus/48000/2"),
        transcoding: vec![],
        transcode_codecs: sessions::CODECS.to_vec(),
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
            "--io-uring" => a.io_uring = true,
            "--srtp" => {
                a.srtp = v()?
                    .split(',')
                    .map(|s| Suite::from_name(s).ok_or(format!("--srtp: unknown suite {s}")))
                    .collect::<Result<_, _>>()?;
            }
            "--transcoded" => {
                a.transcoded = v()?.parse().map_err(|e| format!("--transcoded: {e}"))?;
            }
            "--transcode-codec" => {
                let name = v()?;
                a.transcode_codec = transcoded::codec(&name)
                    .ok_or(format!("--transcode-codec: {name}? (opus, g722, g729)"))?;
            }
            "--transcoding" => {
                a.transcoding = v()?
                    .split(',')
                    .map(|s| s.parse().map_err(|e| format!("--transcoding: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--transcode-codecs" => a.transcode_codecs = sessions::codecs(&v()?)?,
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

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("media_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rtpengine_installed = std::process::Command::new("rtpengine")
        .arg("--version")
        .output()
        .is_ok();
    let rtpengine = args.rtpengine && rtpengine_installed;
    if args.rtpengine && !rtpengine_installed {
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
    if !args.srtp.is_empty() {
        println!(
            "SRTP on side A (SDES bridging to plain RTP on side B): {}",
            args.srtp
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !args.transcoding.is_empty() {
        let args = Args { rtpengine, ..args };
        return if sessions::run(&args) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut failed = false;
    for &n in &args.streams {
        println!("\n{n} streams ({} packets/s offered):", n * 100);
        report::header();
        let direct = match measure(None, n, args.seconds, args.receive, None) {
            Ok(r) => r,
            Err(e) => {
                println!("  direct: {e}");
                failed = true;
                continue;
            }
        };
        let mut rows = vec![];
        // Plain first, then each suite; per mode the SBC then rtpengine, back to back.
        for srtp in std::iter::once(None).chain(args.srtp.iter().copied().map(Some)) {
            let sbc = Sbc::start(
                &args.sbc,
                args.workers,
                // Below the ephemeral range (32768-60999 by default): 4 ports per stream,
                // so 1000 streams end at 18000 and no client socket on the host can hold one.
                SBC_BASE_PORT,
                &args.relay_cpus,
                args.realtime,
                SbcMode::Epoll,
            );
            rows.push(match sbc {
                Ok(mut s) => measure(Some(&mut s), n, args.seconds, args.receive, srtp),
                Err(e) => Err(format!("sbc: {e}")),
            });
            if args.io_uring {
                let sbc = Sbc::start(
                    &args.sbc,
                    args.workers,
                    SBC_BASE_PORT,
                    &args.relay_cpus,
                    args.realtime,
                    SbcMode::Uring,
                );
                rows.push(match sbc {
                    Ok(mut s) => measure(Some(&mut s), n, args.seconds, args.receive, srtp),
                    Err(e) => Err(format!("sbc-uring: {e}")),
                });
            }
            if args.kernel && srtp.is_none() {
                let sbc = Sbc::start(
                    &args.sbc,
                    args.workers,
                    SBC_BASE_PORT,
                    &args.relay_cpus,
                    args.realtime,
                    SbcMode::Kernel,
                );
                rows.push(match sbc {
                    Ok(mut s) => measure(Some(&mut s), n, args.seconds, args.receive, None),
                    Err(e) => Err(format!("sbc-kernel: {e}")),
                });
            }
            if args.transcoded > 0 && srtp.is_none() {
                rows.extend(beside_transcoding(&args, n));
            }
            if rtpengine {
                let r = RtpEngine::start(
                    args.workers,
                    2223,
                    (40000, 59999),
                    &args.relay_cpus,
                    args.realtime,
                );
                rows.push(match r {
                    Ok(mut r) => measure(Some(&mut r), n, args.seconds, args.receive, srtp),
                    Err(e) => Err(format!("rtpengine: {e}")),
                });
            }
        }
        report::row(&direct, &direct);
        let mut ok_rows = vec![];
        for r in rows {
            match r {
                Ok(r) => {
                    report::row(&r, &direct);
                    ok_rows.push(r);
                }
                Err(e) => {
                    println!("  {e}");
                    failed = true;
                }
            }
        }
        report::comparisons(n, &ok_rows, &direct);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The SBC rows with `--transcoded` calls running beside the measured streams: codecs
/// inline in the workers, then on as many transcoding threads as there are workers.
fn beside_transcoding(args: &Args, n: usize) -> Vec<Result<measure::Row, String>> {
    let mut rows = vec![];
    for (label, threads) in [("sbc+tx-inline", 0), ("sbc+tx-threads", args.workers)] {
        let extra = ["--transcode-threads".to_owned(), threads.to_string()];
        let sbc = Sbc::start_with(
            &args.sbc,
            args.workers,
            SBC_BASE_PORT,
            &args.relay_cpus,
            args.realtime,
            SbcMode::Epoll,
            &extra,
        );
        let mut sbc = match sbc {
            Ok(s) => s,
            Err(e) => {
                rows.push(Err(format!("{label}: {e}")));
                continue;
            }
        };
        sbc.label = Some(label);
        let background =
            match transcoded::Background::start(&mut sbc, args.transcoded, args.transcode_codec) {
                Ok(b) => b,
                Err(e) => {
                    rows.push(Err(format!("{label}: transcoded calls: {e}")));
                    continue;
                }
            };
        std::thread::sleep(std::time::Duration::from_secs(1));
        let before = background.counts();
        let row = measure(Some(&mut sbc), n, args.seconds, args.receive, None);
        let after = background.stop();
        let sent = after.sent - before.sent;
        let returned = after.returned - before.returned;
        println!(
            "  {label}: {} transcoded calls (PCMA <-> {}) beside: {sent} packets sent, {} \
             echoed, {returned} back as PCMA during the window ({:.4} of sent)",
            args.transcoded,
            args.transcode_codec.1,
            after.echoed - before.echoed,
            returned as f64 / sent.max(1) as f64
        );
        rows.push(row);
    }
    rows
}
