//! Observers that misbehave must not slow or break calls (issue #15, "Bad input"): all at
//! once, in the lab,
//!
//! * a HEP collector over TCP that accepts the connection and never reads (the SBC's
//!   writes stall, its queue fills),
//! * a full disk under the CDRs (`state_dir` on a tmpfs filled to the last byte once the
//!   daemon has started),
//! * scrapers that open more connections to `/metrics` than it serves and never send a
//!   request or read,
//!
//! while sipp makes calls through the SBC. Every call completes; afterwards `/metrics`
//! counts the CDR lines lost to the disk and the HEP captures dropped, and each loss was
//! warned about once (one line a minute at most), not once a call.
//!
//! And a HEP collector over UDP with nothing listening: its host answers ICMP port
//! unreachable, which the SBC's connected socket turns into counted drops (a dead UDP
//! collector used to show as all sent); calls complete, and once a collector listens there
//! again it gets the next call's captures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, LabChild, Ns, SbcProcess, cmd};

const METRICS_PORT: u16 = 9090;
const HEP_PORT: u16 = 9061;
const CALLS: u32 = 20;
const WAIT: Duration = Duration::from_secs(60);

/// A tmpfs mounted for the test, unmounted when dropped (also when the test fails).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount tmpfs on {}", at.display());
        Tmpfs(at.to_owned())
    }

    /// Writes a filler file until the file system is full.
    fn fill(&self) {
        use std::io::Write as _;
        let mut f = std::fs::File::create(self.0.join("filler")).expect("filler");
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let mut byte = [0u8; 1];
        while f.write_all(&byte).is_ok() {
            byte[0] = 1;
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A python program in `ns`, its output in the lab's artifacts.
fn python(lab: &Lab, ns: Ns, name: &str, program: &str) -> LabChild {
    let python = cmd::python().expect("python3");
    let py = python.display().to_string();
    let command = lab.command(ns, &[py.as_str(), "-c", program]);
    LabChild::spawn(command, &lab.artifacts().unique_path(name, "")).expect("start python")
}

/// `(HTTP status, body)` of one scrape from the PBX (0: no answer).
fn scrape(lab: &Lab) -> (u16, String) {
    let url = format!("http://{SBC_INSIDE_IP}:{METRICS_PORT}/metrics");
    let out = lab
        .exec(
            Ns::Pbx,
            &[
                "curl",
                "-sS",
                "--max-time",
                "10",
                "-w",
                "\n%{http_code}",
                &url,
            ],
        )
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// The sum of the samples of `name` whose labels include all of `labels`.
fn value(page: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v.parse::<u64>().unwrap_or(0))
        .sum()
}

fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn a_stuck_collector_a_full_disk_and_idle_scrapers_cost_calls_nothing() {
    let lab = Lab::new().expect("create lab");
    let state = Tmpfs::mount(&lab.dir().join("tiny-state"), "2m");

    // The collector: accepts, never reads.
    let collector = python(
        &lab,
        Ns::Pbx,
        "stuck-collector",
        &format!(
            "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
             s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1)\n\
             s.bind(('{PBX_IP}',{HEP_PORT}))\ns.listen(8)\nheld=[]\nprint('listening',flush=True)\n\
             while True:\n    c,_=s.accept()\n    held.append(c)\n"
        ),
    );
    let deadline = Instant::now() + WAIT;
    while !collector.stdout().contains("listening") {
        assert!(
            Instant::now() < deadline,
            "collector: {}",
            collector.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let config = StandardConfig::default()
        .extra(&format!(
            "\n[metrics]\nlisten = \"{SBC_INSIDE_IP}:{METRICS_PORT}\"\nallow = [\"{PBX_IP}/32\"]\n\
             \n[hep]\ncollector = \"tcp:{PBX_IP}:{HEP_PORT}\"\nid = 3\n"
        ))
        .render()
        .replace(
            "state_dir = \"state\"",
            &format!("state_dir = \"{}\"", state.0.display()),
        );
    let sbc: SbcProcess = lab.start_sbc(&config).expect("start sbc");
    // The daemon's own files are written: now the disk is full.
    let deadline = Instant::now() + WAIT;
    while scrape(&lab).0 != 200 {
        assert!(Instant::now() < deadline, "{}", sbc.log_tail());
        std::thread::sleep(Duration::from_millis(200));
    }
    state.fill();

    // Scrapers holding every connection slot of /metrics (and more), silent.
    let scrapers = python(
        &lab,
        Ns::Pbx,
        "idle-scrapers",
        &format!(
            "import socket,time\nheld=[]\nfor _ in range(24):\n    try:\n        \
             held.append(socket.create_connection(('{SBC_INSIDE_IP}',{METRICS_PORT}),timeout=5))\n    \
             except OSError as e:\n        print('connect',e,flush=True)\nprint('holding',len(held),flush=True)\n\
             time.sleep(120)\n"
        ),
    );
    let deadline = Instant::now() + WAIT;
    while !scrapers.stdout().contains("holding") {
        assert!(Instant::now() < deadline, "scrapers: {}", scrapers.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }

    // Calls, with every observer misbehaving at once.
    calls(&lab, &sbc, CALLS);
    drop(scrapers);

    // Once the idle scrapers are gone, /metrics answers again and counts the losses. The
    // stuck collector's first drop comes when a write has waited out its 2 s timeout,
    // which on a loaded machine can be after the CDRs are settled: wait for both.
    let hep_dropped = |page: &str| {
        value(page, "sbc_hep_packets_total", &[("result", "dropped-send")])
            + value(
                page,
                "sbc_hep_packets_total",
                &[("result", "dropped-queue")],
            )
    };
    let deadline = Instant::now() + WAIT;
    let page = loop {
        let (code, page) = scrape(&lab);
        let settled = code == 200
            && value(&page, "sbc_cdr_lost_total", &[("cause", "write_failed")])
                + value(&page, "sbc_cdr_records_total", &[])
                == u64::from(CALLS)
            && hep_dropped(&page) > 0;
        if settled {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "{code}: {page}\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let answered = value(&page, "sbc_calls_total", &[("result", "answered")]);
    assert_eq!(answered, u64::from(CALLS), "{page}");
    let lost = value(&page, "sbc_cdr_lost_total", &[("cause", "write_failed")]);
    assert!(lost > 0, "the full disk lost CDR lines: {page}");
    assert!(
        hep_dropped(&page) > 0,
        "the stuck collector dropped captures: {page}"
    );

    // One warning per kind of loss (the test runs well under a minute).
    let log = sbc.log();
    assert_eq!(count(&log, "CDRs lost"), 1, "{}", sbc.log_tail());
    assert_eq!(count(&log, "capture(s) to"), 1, "{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
    drop(collector);
}

/// `calls` calls from the carrier to the PBX, all answered (the test fails otherwise); the
/// callee's message log.
fn calls(lab: &Lab, sbc: &SbcProcess, calls: u32) -> String {
    let callee = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(calls)
        .timeout(Duration::from_secs(60))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-r", "10"])
        .calls(calls)
        .timeout(Duration::from_secs(50))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("sipp caller");
    let callee = callee.finish().expect("sipp callee");
    assert!(
        caller.success() && callee.success(),
        "calls failed:\n{}\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        sbc.log_tail()
    );
    callee.messages
}

#[test]
fn a_dead_udp_collector_counts_drops_and_gets_captures_once_it_listens() {
    const UDP_HEP_PORT: u16 = 9062;
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .firewall(true)
        .extra(&format!(
            "\n[metrics]\nlisten = \"{SBC_INSIDE_IP}:{METRICS_PORT}\"\nallow = [\"{PBX_IP}/32\"]\n\
             \n[hep]\ncollector = \"udp:{PBX_IP}:{UDP_HEP_PORT}\"\nid = 4\n"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");

    // Nothing listens on the collector's port: the PBX's kernel answers each datagram with
    // ICMP port unreachable (rate-limited), the SBC's next send fails and is counted.
    calls(&lab, &sbc, CALLS);
    let dropped = |page: &str| value(page, "sbc_hep_packets_total", &[("result", "dropped-send")]);
    let deadline = Instant::now() + WAIT;
    let page = loop {
        let (code, page) = scrape(&lab);
        if code == 200 && dropped(&page) > 0 {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "no refused capture counted: {code}: {page}\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let answered = value(&page, "sbc_calls_total", &[("result", "answered")]);
    assert_eq!(answered, u64::from(CALLS), "{page}");
    let before = (
        dropped(&page),
        value(&page, "sbc_hep_packets_total", &[("result", "sent")]),
    );
    assert_eq!(
        count(&sbc.log(), "capture(s) to"),
        1,
        "one warning (at most one a minute): {}",
        sbc.log_tail()
    );

    // A collector listens now: the next call's captures reach it.
    let python = cmd::python().expect("python3").display().to_string();
    let out = lab.artifacts().unique_path("udp-collector-back", ".hex");
    let sink = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/udp_sink.py");
    let _collector = lab
        .spawn(
            Ns::Pbx,
            &[
                python.as_str(),
                &sink.display().to_string(),
                "--bind",
                &format!("{PBX_IP}:{UDP_HEP_PORT}"),
                "--out",
                &out.display().to_string(),
            ],
        )
        .expect("start the collector");
    // Sending resumes within the sender's 5 s pause after the last refusal: a call at a
    // time until one's captures arrive.
    let deadline = Instant::now() + WAIT;
    let (got, attempts) = (1..)
        .find_map(|attempt| {
            let messages = calls(&lab, &sbc, 1);
            let b_call_id = messages
                .lines()
                .find_map(|l| l.strip_prefix("Call-ID:"))
                .map(|v| v.trim().to_owned())
                .expect("the callee's Call-ID");
            let hex: String = b_call_id.bytes().map(|b| format!("{b:02x}")).collect();
            // The call's captures (its BYE's answer last) follow within the core's round.
            std::thread::sleep(Duration::from_secs(1));
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            let of_call = text.lines().filter(|l| l.contains(&hex)).count();
            assert!(
                Instant::now() < deadline,
                "the collector that came back got no call's captures ({} lines in all)\n{}",
                text.lines().count(),
                sbc.log_tail()
            );
            (of_call >= 6).then_some((of_call, attempt))
        })
        .expect("an endless range");
    let deadline = Instant::now() + WAIT;
    let after = loop {
        let (code, page) = scrape(&lab);
        let after = (
            dropped(&page),
            value(&page, "sbc_hep_packets_total", &[("result", "sent")]),
        );
        if code == 200 && after.1 > before.1 {
            break after;
        }
        assert!(
            Instant::now() < deadline,
            "{before:?} -> {after:?}: {code}: {page}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!(
        "dead UDP collector: (dropped-send, sent) = {before:?} after {CALLS} calls; \
         {after:?} once a collector listened again and got {got} captures of call {attempts} after it"
    );
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
