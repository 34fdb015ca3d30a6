//! Transcoded sessions (`--transcoding N[,N...]`, `--transcode-codecs opus,g722,g729`):
//! N calls transcoded both ways, PCMA on side A and the other codec on side B, through
//! the SBC and, in the same run, through rtpengine asked to transcode the same calls
//! (`codec: {transcode: [...], mask: [PCMA]}` over ng, B answering the other codec only).
//! Nothing else runs on the relay: its CPU per session, sessions per core, loss per
//! direction and one-way latency per direction are what transcoding costs.
//!
//! The load ([`tx_load`](crate::tx_load)): every 20 ms each call's A sends a PCMA frame of
//! a 400 Hz tone and its B a frame of the same tone in B's codec (encoded once before the
//! run by `sbc-codec`), spread evenly over the 20 ms. Each packet's send time is noted
//! per call, direction and frame; what arrives is stamped by the kernel
//! (`SO_TIMESTAMPNS`) and told apart by the relay port it comes from. Transcoding
//! changes payloads, sequence numbers and timestamps, so a received packet is matched to
//! the frame it carries through its RTP timestamp (frames are one codec frame apart on
//! the output clock, from the relay's first timestamp on) and one offset per call and
//! direction, fixed by the marker bit that every 50th frame carries and both relays keep
//! (the marked packet that arrives carries the last marked frame sent before it). Were
//! markers lost, the offset would be the largest that keeps every packet after its
//! frame's send time (exact only if one packet crossed in under 20 ms; the table says
//! so when that happened).
//!
//! Rows: `sbc` (transcoding threads under normal scheduling, as the daemon runs by
//! default), `sbc-tx-fifo` (the same `SCHED_FIFO` one below the workers,
//! `media.transcode_priority`), `sbc-inline` (codecs in the relay worker,
//! `media.transcode_threads = 0`, so at the workers' `SCHED_FIFO`) and `rtpengine` (its
//! threads `SCHED_FIFO` like the SBC's workers). Every relay starts under normal
//! scheduling and sets its own policies (see `relays::pinned`). Loss counts frames of the
//! measured window that never arrived; `sessions/core` is N divided by the relay's CPU
//! (utime + stime, all its threads) in cores; `added` latency is the one-way latency
//! minus the direct path's (no relay) of the same run.

use std::io;
use std::net::SocketAddr;

use crate::Args;
use crate::load::Histogram;
use crate::measure::measure;
use crate::relays::{Anchor, Relay, RtpEngine, Sbc, SbcMode, cpu_seconds};
use crate::tx_load::{self, TxPlan};

/// A codec of side B.
#[derive(Debug, Clone, Copy)]
pub struct TxCodec {
    /// Its name on the command line and in the table.
    pub name: &'static str,
    /// The payload type the SBC is told B uses (rtpengine chooses its own).
    pub sbc_pt: u8,
    /// `a=rtpmap` format.
    pub rtpmap: &'static str,
    /// What rtpengine is asked to transcode to (`ENCODING/RATE/CHANNELS/BITRATE`).
    pub rtpengine: &'static str,
    /// RTP timestamp units of one 20 ms frame.
    pub frame_ticks: u32,
}

/// Every codec the bench knows.
pub const CODECS: [TxCodec; 3] = [
    TxCodec {
        name: "opus",
        sbc_pt: 111,
        rtpmap: "opus/48000/2",
        rtpengine: "opus/48000/2/24000",
        frame_ticks: 960,
    },
    TxCodec {
        name: "g722",
        sbc_pt: 9,
        rtpmap: "G722/8000",
        rtpengine: "G722/8000",
        frame_ticks: 160,
    },
    TxCodec {
        name: "g729",
        sbc_pt: 18,
        rtpmap: "G729/8000",
        rtpengine: "G729/8000",
        frame_ticks: 160,
    },
];

/// The codecs of a `--transcode-codecs` list.
pub fn codecs(list: &str) -> Result<Vec<TxCodec>, String> {
    list.split(',')
        .map(|n| {
            CODECS
                .iter()
                .find(|c| c.name == n)
                .copied()
                .ok_or(format!("--transcode-codecs: {n}? (opus, g722, g729)"))
        })
        .collect()
}

/// A relay that anchors transcoded calls.
trait TxRelay: Relay {
    /// Anchors call `i` (PCMA at `a`, `codec` at `b`): where A and B send, and the
    /// payload type B sends.
    fn open_tx(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        codec: TxCodec,
    ) -> io::Result<(Anchor, u8)>;

    /// Packets the relay says it dropped for want of transcoding capacity (the SBC's
    /// `transcode-queue` drops), when it tells.
    fn queue_drops(&mut self, _calls: usize) -> Option<u64> {
        None
    }
}

impl TxRelay for Sbc {
    fn open_tx(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        codec: TxCodec,
    ) -> io::Result<(Anchor, u8)> {
        let anchor = self.open_transcoded(i, a, b, codec.sbc_pt, codec.rtpmap)?;
        Ok((anchor, codec.sbc_pt))
    }

    fn queue_drops(&mut self, calls: usize) -> Option<u64> {
        self.drops(calls, "transcode-queue").ok()
    }
}

impl TxRelay for RtpEngine {
    fn open_tx(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        codec: TxCodec,
    ) -> io::Result<(Anchor, u8)> {
        self.open_transcoded(i, a, b, codec.rtpengine)
    }
}

/// One relay's figures for one codec and session count.
pub struct TxRow {
    pub relay: &'static str,
    pub codec: TxCodec,
    pub sessions: usize,
    /// Frames lost towards B (PCMA encoded to the codec) and towards A (decoded to PCMA).
    pub loss_to_b: f64,
    pub loss_to_a: f64,
    /// The relay's CPU during the window, cores.
    pub cores: f64,
    /// One-way latency towards B and towards A.
    pub to_b: Histogram,
    pub to_a: Histogram,
    /// Packets that were not the load's (RTCP, other payload types).
    pub other: u64,
    /// Calls and directions matched without a marker bit.
    pub unmarked: usize,
    /// The relay's own count of packets dropped for want of transcoding capacity (the
    /// whole run, warm-up included), if it tells.
    pub queue_drops: Option<u64>,
}

impl TxRow {
    pub fn sessions_per_core(&self) -> f64 {
        if self.cores <= 0.0 {
            return 0.0;
        }
        self.sessions as f64 / self.cores
    }
}

/// Runs the transcoding bench (see the module docs); false if a row failed.
pub fn run(args: &Args) -> bool {
    let mut ok = true;
    println!(
        "transcoded sessions: PCMA on side A <-> the codec on side B, both ways, 20 ms; \
         SBC: Opus complexity 5 at 24 kbit/s (mono), G.729A without Annex B; rtpengine \
         10.5: Opus through ffmpeg's libopus wrapper (its default complexity 10; 10.5 has \
         no option to change it), 24 kbit/s, G.729 through bcg729"
    );
    for &n in &args.transcoding {
        let direct = match measure(None, n, args.seconds, args.receive, None) {
            Ok(r) => r,
            Err(e) => {
                println!("  direct: {e}");
                ok = false;
                continue;
            }
        };
        println!(
            "\n{n} sessions (direct path p50 / p99: {:.0} / {:.0} µs)",
            direct.p50, direct.p99
        );
        header();
        for &codec in &args.transcode_codecs {
            let mut rows = vec![];
            let threads = args.workers.to_string();
            // One below the workers' (a fixed 49 without realtime workers: the row then
            // shows what that costs them).
            let below = args
                .realtime
                .map_or(49, |p| p.saturating_sub(1).max(1))
                .to_string();
            let variants: [(&'static str, Vec<&str>); 3] = [
                ("sbc", vec!["--transcode-threads", &threads]),
                (
                    "sbc-tx-fifo",
                    vec![
                        "--transcode-threads",
                        &threads,
                        "--transcode-priority",
                        &below,
                    ],
                ),
                ("sbc-inline", vec!["--transcode-threads", "0"]),
            ];
            for (label, extra) in variants {
                let extra: Vec<String> = extra.into_iter().map(str::to_owned).collect();
                let started = Sbc::start_with(
                    &args.sbc,
                    args.workers,
                    crate::SBC_BASE_PORT,
                    &args.relay_cpus,
                    args.realtime,
                    SbcMode::Epoll,
                    &extra,
                );
                rows.push(match started {
                    Ok(mut s) => {
                        s.label = Some(label);
                        measure_tx(&mut s, n, codec, args)
                    }
                    Err(e) => Err(format!("{label}: {e}")),
                });
            }
            if args.rtpengine {
                let started = RtpEngine::start(
                    args.workers,
                    2223,
                    (40000, 59999),
                    &args.relay_cpus,
                    args.realtime,
                );
                rows.push(match started {
                    Ok(mut r) => measure_tx(&mut r, n, codec, args),
                    Err(e) => Err(format!("rtpengine: {e}")),
                });
            }
            for r in &rows {
                match r {
                    Ok(r) => row(r, &direct),
                    Err(e) => {
                        println!("  {e}");
                        ok = false;
                    }
                }
            }
            let ok_rows: Vec<&TxRow> = rows.iter().filter_map(|r| r.as_ref().ok()).collect();
            compare(&ok_rows, &direct);
        }
    }
    ok
}

/// Anchors `n` transcoded calls on `relay` and measures them.
fn measure_tx(
    relay: &mut dyn TxRelay,
    n: usize,
    codec: TxCodec,
    args: &Args,
) -> Result<TxRow, String> {
    let name = relay.name();
    let e = |x: io::Error| format!("{name}: {x}");
    let (a, b) = (
        crate::load::peer_socket().map_err(e)?,
        crate::load::peer_socket().map_err(e)?,
    );
    let (aa, ba) = (a.local_addr().map_err(e)?, b.local_addr().map_err(e)?);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut anchors = Vec::with_capacity(n);
    let mut pts = Vec::with_capacity(n);
    for i in 0..n {
        let (anchor, pt) = relay.open_tx(i, aa, ba, codec).map_err(e)?;
        anchors.push(anchor);
        pts.push(pt);
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let problems = relay.problems();
    if !problems.is_empty() {
        return Err(format!("{name}: {}", problems.join("; ")));
    }
    let pid = relay.pid();
    let mut cpu = (0.0, 0.0);
    let plan = TxPlan {
        anchors: &anchors,
        b_pts: &pts,
        codec,
        warmup: 100,
        measure: args.seconds * 50,
    };
    let out = tx_load::run(&a, &b, &plan, |start| {
        let t = cpu_seconds(pid).unwrap_or(0.0);
        if start { cpu.0 = t } else { cpu.1 = t }
    })
    .map_err(e)?;
    let queue_drops = relay.queue_drops(n);
    Ok(TxRow {
        relay: name,
        codec,
        sessions: n,
        loss_to_b: out.to_b.loss(),
        loss_to_a: out.to_a.loss(),
        cores: (cpu.1 - cpu.0) / out.seconds,
        to_b: out.to_b.latency,
        to_a: out.to_a.latency,
        other: out.other,
        unmarked: out.to_b.unmarked_calls + out.to_a.unmarked_calls,
        queue_drops,
    })
}

fn header() {
    println!(
        "  {:<6} {:<11} {:>9} {:>9} {:>9} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "codec",
        "relay",
        "loss ->B",
        "loss ->A",
        "CPU %",
        "sess/core",
        "->B p50/p99",
        "->A p50/p99",
        "added p50",
        "added p99"
    );
}

fn row(r: &TxRow, direct: &crate::measure::Row) {
    let (p50, p99) = both(r);
    println!(
        "  {:<6} {:<11} {:>8.3}% {:>8.3}% {:>9.1} {:>10.0} {:>12} {:>12} {:>10.0}µs {:>10.0}µs",
        r.codec.name,
        r.relay,
        r.loss_to_b * 100.0,
        r.loss_to_a * 100.0,
        r.cores * 100.0,
        r.sessions_per_core(),
        format!("{:.0}/{:.0}", r.to_b.quantile(0.5), r.to_b.quantile(0.99)),
        format!("{:.0}/{:.0}", r.to_a.quantile(0.5), r.to_a.quantile(0.99)),
        p50 - direct.p50,
        p99 - direct.p99,
    );
    if let Some(n) = r.queue_drops.filter(|&n| n > 0) {
        println!("    (the SBC counted {n} transcode-queue drops over the whole run)");
    }
    if r.unmarked > 0 {
        println!(
            "    ({} call directions came back without marker bits: latency matched by \
             the fastest packet, a lower bound modulo 20 ms)",
            r.unmarked
        );
    }
    if r.other > 0 {
        println!(
            "    ({} packets not of the load: RTCP, other payload types)",
            r.other
        );
    }
    println!(
        "RESULT transcoding codec={} relay={} sessions={} loss_to_b={:.5} loss_to_a={:.5} \
         cpu_cores={:.3} sessions_per_core={:.0} added_p50_us={:.0} added_p99_us={:.0}",
        r.codec.name,
        r.relay,
        r.sessions,
        r.loss_to_b,
        r.loss_to_a,
        r.cores,
        r.sessions_per_core(),
        p50 - direct.p50,
        p99 - direct.p99
    );
}

/// p50 and p99 of both directions together.
fn both(r: &TxRow) -> (f64, f64) {
    let mut h = r.to_b.clone();
    h.merge(&r.to_a);
    (h.quantile(0.5), h.quantile(0.99))
}

/// Each SBC row against rtpengine's.
fn compare(rows: &[&TxRow], direct: &crate::measure::Row) {
    let Some(rtpe) = rows.iter().find(|r| r.relay == "rtpengine") else {
        return;
    };
    for sbc in rows.iter().filter(|r| r.relay != "rtpengine") {
        let (s99, r99) = (both(sbc).1 - direct.p99, both(rtpe).1 - direct.p99);
        println!(
            "  {} / rtpengine ({}): sessions per core {:.2}x, added p99 {:.2}x",
            sbc.relay,
            sbc.codec.name,
            sbc.sessions_per_core() / rtpe.sessions_per_core().max(0.01),
            s99.max(1.0) / r99.max(1.0)
        );
    }
}
