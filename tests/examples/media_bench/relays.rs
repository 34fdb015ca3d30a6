//! The relays under test, each a child process anchoring streams between the generator's
//! two peers: the SBC's media workers (`sbc-media-harness`, ops on stdin) and rtpengine
//! (userspace only, `--table=-1`, offer/answer over ng).

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ng::{self, Ng};
use crate::sdes::MasterKey;

/// Where the generator's peers send one stream: (A sends here, B sends here).
pub type Anchor = (SocketAddr, SocketAddr);

/// A stream anchored on a relay.
pub struct Opened {
    pub anchor: Anchor,
    /// With SRTP on side A: the key the relay protects with towards A.
    pub relay_key: Option<MasterKey>,
}

pub trait Relay {
    fn name(&self) -> &'static str;
    fn pid(&self) -> u32;
    /// Anchors stream `i` between peer `a` and peer `b`; with `srtp`, side A speaks SRTP
    /// and protects what it sends with that key, side B plain RTP.
    fn open(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        srtp: Option<&MasterKey>,
    ) -> io::Result<Opened>;
    /// Problems the relay reported (bind failures, ...).
    fn problems(&self) -> Vec<String>;
}

/// `sbc-media-harness`.
pub struct Sbc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<String>>>,
    base_port: u16,
    mode: SbcMode,
    /// The row's name when it is not the mode's (`--transcoded` rows).
    pub label: Option<&'static str>,
}

/// How the SBC's harness relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbcMode {
    /// The media workers with epoll + `recvmmsg`/`sendmmsg` (the default).
    Epoll,
    /// The kernel fast path (`--kernel-forwarding`).
    Kernel,
    /// The media workers driving their sockets with io_uring (`--io io_uring`).
    Uring,
}

impl Sbc {
    /// `realtime`: SCHED_FIFO priority of the workers (`--realtime`). `mode`: `Kernel`, the
    /// kernel fast path (`--kernel-forwarding`, table `inet sbc_bench_fast`, latch window
    /// 500 ms so the handover happens during the warm-up); `Uring`, `--io io_uring`.
    pub fn start(
        bin: &str,
        workers: usize,
        base_port: u16,
        cpus: &str,
        realtime: Option<u8>,
        mode: SbcMode,
    ) -> io::Result<Self> {
        Self::start_with(bin, workers, base_port, cpus, realtime, mode, &[])
    }

    /// [`start`](Self::start) with more arguments for the harness.
    pub fn start_with(
        bin: &str,
        workers: usize,
        base_port: u16,
        cpus: &str,
        realtime: Option<u8>,
        mode: SbcMode,
        extra: &[String],
    ) -> io::Result<Self> {
        let mut cmd = pinned(cpus, bin);
        cmd.args(extra);
        cmd.args(["--workers", &workers.to_string()]);
        if mode == SbcMode::Uring {
            cmd.args(["--io", "io_uring"]);
        }
        if mode == SbcMode::Kernel {
            cmd.args([
                "--kernel-forwarding",
                "sbc_bench_fast",
                "--latch-window",
                "500",
            ]);
        }
        if let Some(p) = realtime {
            cmd.args(["--realtime".to_owned(), p.to_string()]);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        let sbc = Sbc {
            child,
            stdin: Some(stdin),
            lines,
            base_port,
            mode,
            label: None,
        };
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if sbc.seen("ready") {
                return Ok(sbc);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(io::Error::other("sbc-media-harness did not say ready"))
    }

    /// Anchors call `i` between `a` (PCMA, payload type 8) and `b` (`pt`, `format` as
    /// `a=rtpmap` names it), transcoded both ways; its SBC addresses (A, B).
    pub fn open_transcoded(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        pt: u8,
        format: &str,
    ) -> io::Result<Anchor> {
        let port = u16::try_from(usize::from(self.base_port) + 4 * i)
            .map_err(|_| io::Error::other("out of ports"))?;
        let (a_local, b_local) = (
            SocketAddr::new(a.ip(), port),
            SocketAddr::new(b.ip(), port + 2),
        );
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("harness stopped"))?;
        writeln!(stdin, "open {i} 0 {a_local} {b_local} always always")?;
        writeln!(stdin, "remote {i} 0 a {a}")?;
        writeln!(stdin, "remote {i} 0 b {b}")?;
        writeln!(stdin, "transcode {i} 0 b 8 PCMA/8000 {pt} {format}")?;
        writeln!(stdin, "transcode {i} 0 a {pt} {format} 8 PCMA/8000")?;
        writeln!(stdin, "answered {i} 0")?;
        stdin.flush()?;
        Ok((a_local, b_local))
    }

    /// Asks the harness for the counters of calls `0..calls` and sums, over every stats
    /// event that came back, the drops of `reason` (`transcode-queue`, ...): where the
    /// SBC itself lost packets.
    pub fn drops(&mut self, calls: usize, reason: &str) -> io::Result<u64> {
        let before = self.lines.lock().map_or(0, |l| l.len());
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("harness stopped"))?;
        for i in 0..calls {
            writeln!(stdin, "stats {i} 0")?;
        }
        stdin.flush()?;
        std::thread::sleep(Duration::from_millis(500));
        let key = format!("\"{reason}\": ");
        let lines = self
            .lines
            .lock()
            .map_err(|_| io::Error::other("harness output lock"))?;
        Ok(lines
            .iter()
            .skip(before)
            .filter(|l| l.starts_with("event"))
            .flat_map(|l| {
                l.match_indices(key.as_str())
                    .map(|(at, _)| &l[at + key.len()..])
            })
            .filter_map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<u64>().ok()
            })
            .sum())
    }

    fn seen(&self, what: &str) -> bool {
        self.lines
            .lock()
            .is_ok_and(|l| l.iter().any(|x| x.starts_with(what)))
    }
}

impl Relay for Sbc {
    fn name(&self) -> &'static str {
        if let Some(label) = self.label {
            return label;
        }
        match self.mode {
            SbcMode::Epoll => "sbc",
            SbcMode::Kernel => "sbc-kernel",
            SbcMode::Uring => "sbc-uring",
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// With `srtp` the harness gets an `srtp` line for side A: the generator's key inbound,
    /// one the generator makes for the relay outbound (the SBC's session layer would make
    /// its own; the harness has none).
    fn open(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        srtp: Option<&MasterKey>,
    ) -> io::Result<Opened> {
        let port = |k: usize| {
            u16::try_from(usize::from(self.base_port) + 4 * i + k)
                .map_err(|_| io::Error::other("out of ports"))
        };
        let a_local = SocketAddr::new(a.ip(), port(0)?);
        let b_local = SocketAddr::new(b.ip(), port(2)?);
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("harness stopped"))?;
        writeln!(stdin, "open {i} 0 {a_local} {b_local} always always")?;
        writeln!(stdin, "remote {i} 0 a {a}")?;
        writeln!(stdin, "remote {i} 0 b {b}")?;
        let relay_key = match srtp {
            Some(theirs) => {
                let ours = MasterKey::random(theirs.suite())?;
                writeln!(
                    stdin,
                    "srtp {i} 0 a {} {} {}",
                    theirs.suite().name(),
                    theirs.inline(),
                    ours.inline()
                )?;
                Some(ours)
            }
            None => None,
        };
        writeln!(stdin, "answered {i} 0")?;
        stdin.flush()?;
        Ok(Opened {
            anchor: (a_local, b_local),
            relay_key,
        })
    }

    fn problems(&self) -> Vec<String> {
        self.lines.lock().map_or_else(
            |_| vec![],
            |l| {
                l.iter()
                    .filter(|x| x.starts_with("error") || x.contains("BindFailed"))
                    .cloned()
                    .collect()
            },
        )
    }
}

impl Drop for Sbc {
    /// End of input stops the harness cleanly (the kernel fast path removes its table and
    /// puts forwarding back); killed if it does not exit within 5 s.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// rtpengine, userspace forwarding only.
pub struct RtpEngine {
    child: Child,
    ng: Ng,
}

impl RtpEngine {
    /// `realtime`: SCHED_FIFO priority of its threads (`--scheduling=fifo --priority`).
    pub fn start(
        threads: usize,
        ng_port: u16,
        ports: (u16, u16),
        cpus: &str,
        realtime: Option<u8>,
    ) -> io::Result<Self> {
        let mut cmd = pinned(cpus, "rtpengine");
        if let Some(p) = realtime {
            cmd.args(["--scheduling=fifo".to_owned(), format!("--priority={p}")]);
        }
        let child = cmd
            .args([
                "--foreground",
                "--config-file=none",
                "--table=-1",
                "--interface=127.0.0.1",
                &format!("--listen-ng=127.0.0.1:{ng_port}"),
                &format!("--port-min={}", ports.0),
                &format!("--port-max={}", ports.1),
                &format!("--num-threads={threads}"),
                "--log-stderr",
                "--log-level=3",
                "--delete-delay=0",
                "--timeout=60",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut ng = Ng::new(SocketAddr::from(([127, 0, 0, 1], ng_port)))?;
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            match ng.call(&ng::dict(&[("command", "ping")])) {
                Ok(r) if r.get("result").and_then(|v| v.str()) == Some("pong") => break,
                _ if Instant::now() > end => {
                    return Err(io::Error::other("rtpengine does not answer ng ping"));
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        Ok(RtpEngine { child, ng })
    }

    /// Anchors call `i` transcoded both ways: A offers PCMA only, rtpengine is asked to
    /// offer B `codec` instead (`codec: {transcode: [codec], mask: [PCMA]}`), B answers
    /// with it. Returns where A and B send, and the payload type B must use (rtpengine's
    /// choice for a dynamic codec).
    pub fn open_transcoded(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        codec: &str,
    ) -> io::Result<(Anchor, u8)> {
        let call_id = format!("bench-tx-{i}");
        let text = |s: &str| ng::Bencode::Bytes(s.as_bytes().to_vec());
        let key = |s: &str| s.as_bytes().to_vec();
        let offer = ng::Bencode::Dict(vec![
            (key("command"), text("offer")),
            (key("call-id"), text(&call_id)),
            (key("from-tag"), text("a")),
            (key("sdp"), text(&ng::sdp(a, i as u64, None))),
            (
                key("codec"),
                ng::Bencode::Dict(vec![
                    (key("transcode"), ng::Bencode::List(vec![text(codec)])),
                    (key("mask"), ng::Bencode::List(vec![text("PCMA")])),
                ]),
            ),
        ]);
        let offer = self.ng.call(&offer)?;
        let to_b = offer
            .get("sdp")
            .and_then(|s| s.str())
            .map(str::to_owned)
            .ok_or_else(|| io::Error::other(format!("ng offer without SDP: {offer:?}")))?;
        let encoding = codec.split('/').next().unwrap_or(codec);
        let pt = ng::rtpmap_pt(&to_b, encoding).ok_or_else(|| {
            io::Error::other(format!("rtpengine did not offer {encoding} to B: {to_b}"))
        })?;
        let rtpmap = ng::rtpmap_of(&to_b, pt).unwrap_or_default();
        let answer = self.ng.call(&ng::dict(&[
            ("command", "answer"),
            ("call-id", &call_id),
            ("from-tag", "a"),
            ("to-tag", "b"),
            ("sdp", &ng::sdp_with(b, i as u64, pt, &rtpmap)),
        ]))?;
        let to_a = answer
            .get("sdp")
            .and_then(|s| s.str())
            .map(str::to_owned)
            .ok_or_else(|| io::Error::other(format!("ng answer without SDP: {answer:?}")))?;
        if ng::rtpmap_pt(&to_a, "PCMA") != Some(8) {
            return Err(io::Error::other(format!("rtpengine's answer to A: {to_a}")));
        }
        let port = |sdp: &str| {
            ng::audio_line(sdp)
                .map(|(port, _)| port)
                .ok_or_else(|| io::Error::other(format!("no m=audio: {sdp}")))
        };
        Ok((
            (
                SocketAddr::new(a.ip(), port(&to_a)?),
                SocketAddr::new(b.ip(), port(&to_b)?),
            ),
            pt,
        ))
    }
}

impl Relay for RtpEngine {
    fn name(&self) -> &'static str {
        "rtpengine"
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// With `srtp`, SDES bridging: A's offer is `RTP/SAVP` with the generator's `a=crypto`,
    /// the offer goes to B as `RTP/AVP` (`transport-protocol`), B answers plain, and
    /// rtpengine's answer to A carries its own key (read back here).
    fn open(
        &mut self,
        i: usize,
        a: SocketAddr,
        b: SocketAddr,
        srtp: Option<&MasterKey>,
    ) -> io::Result<Opened> {
        let call_id = format!("bench-{i}");
        let mut offer = vec![
            ("command", "offer"),
            ("call-id", call_id.as_str()),
            ("from-tag", "a"),
        ];
        if srtp.is_some() {
            offer.push(("transport-protocol", "RTP/AVP"));
        }
        let offer_sdp = ng::sdp(a, i as u64, srtp);
        offer.push(("sdp", &offer_sdp));
        let offer = self.ng.call(&ng::dict(&offer))?;
        let answer = self.ng.call(&ng::dict(&[
            ("command", "answer"),
            ("call-id", &call_id),
            ("from-tag", "a"),
            ("to-tag", "b"),
            ("sdp", &ng::sdp(b, i as u64, None)),
        ]))?;
        let sdp = |r: &ng::Bencode| -> io::Result<String> {
            r.get("sdp")
                .and_then(|s| s.str())
                .map(str::to_owned)
                .ok_or_else(|| io::Error::other(format!("ng reply without SDP: {r:?}")))
        };
        let (to_b, to_a) = (sdp(&offer)?, sdp(&answer)?);
        let port = |sdp: &str, want: &str| {
            ng::audio_line(sdp)
                .filter(|(_, proto)| *proto == want)
                .map(|(port, _)| port)
                .ok_or_else(|| io::Error::other(format!("rtpengine's SDP is not {want}: {sdp}")))
        };
        // The offer's SDP (sent to B) names where B sends; the answer's where A sends.
        let b_port = port(&to_b, "RTP/AVP")?;
        let (a_port, relay_key) = match srtp {
            None => (port(&to_a, "RTP/AVP")?, None),
            Some(k) => {
                if to_b.contains("a=crypto") {
                    return Err(io::Error::other(format!("a key went to B: {to_b}")));
                }
                let theirs = MasterKey::from_sdp(&to_a, k.suite()).map_err(|e| {
                    io::Error::other(format!("rtpengine's answer to A: {e}: {to_a}"))
                })?;
                (port(&to_a, "RTP/SAVP")?, Some(theirs))
            }
        };
        Ok(Opened {
            anchor: (
                SocketAddr::new(a.ip(), a_port),
                SocketAddr::new(b.ip(), b_port),
            ),
            relay_key,
        })
    }

    fn problems(&self) -> Vec<String> {
        vec![]
    }
}

impl Drop for RtpEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `program` run on the CPUs `cpus` (taskset execs it: same pid); all CPUs when empty.
/// It starts under normal scheduling (`chrt -o 0` execs it too), as a relay started by
/// systemd does, and sets up its own policy: without that it would inherit the
/// generator's `SCHED_FIFO` in every thread, helpers included.
fn pinned(cpus: &str, program: &str) -> Command {
    let mut c = if cpus.is_empty() {
        Command::new("chrt")
    } else {
        let mut c = Command::new("taskset");
        c.args(["-c", cpus, "chrt"]);
        c
    };
    c.args(["-o", "0", program]);
    c
}

/// Pins this process (all its threads, and those it starts later) to `cpus`.
pub fn pin_self(cpus: &str) -> io::Result<()> {
    let pid = std::process::id().to_string();
    let out = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid])
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

/// utime + stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
