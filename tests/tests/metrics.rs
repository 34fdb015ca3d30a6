//! Prometheus metrics of the real SBC (`[metrics]`), scraped in the lab after real calls:
//! the page passes `promtool check metrics`, and its numbers are what the sipp peers and
//! the RTP tools did (calls by result, SIP messages per realm, direction, method and code
//! class, RTP packets per realm). The firewall opens the metrics port to `allow` only; a
//! client the firewall lets through but `allow` does not list gets 403.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, SippOutcome, cmd};

const METRICS_PORT: u16 = 9090;

fn url() -> String {
    format!("http://{SBC_INSIDE_IP}:{METRICS_PORT}/metrics")
}

/// `(HTTP status, body)` of a GET from `ns`; status 0 when nothing answered.
fn get(lab: &Lab, ns: Ns) -> (u16, String) {
    let out = lab
        .exec(
            ns,
            &[
                "curl",
                "-sS",
                "--max-time",
                "10",
                "-w",
                "\n%{http_code}",
                url().as_str(),
            ],
        )
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// A scrape by the allowed client (the PBX's address).
fn scrape(lab: &Lab, sbc: &SbcProcess) -> String {
    let (code, body) = get(lab, Ns::Pbx);
    assert_eq!(code, 200, "scrape from the pbx: {body}\n{}", sbc.log_tail());
    body
}

/// `promtool check metrics` on a page: exit 0 and no lint complaint.
fn promtool_check(page: &str) {
    let promtool = cmd::require_tool("promtool", "scripts/setup installs the prometheus package")
        .expect("promtool");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}\n{}{}\n--- page:\n{page}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sum of the samples of `name` whose labels include all of `labels`.
fn value(page: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut sum = 0.0;
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, v)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, label_text) = match series.split_once('{') {
            Some((m, rest)) => (m, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric != name {
            continue;
        }
        let has = |k: &str, want: &str| {
            label_text
                .split(',')
                .any(|pair| pair == format!("{k}=\"{want}\""))
        };
        if labels.iter().all(|(k, want)| has(k, want)) {
            sum += v.parse::<f64>().unwrap_or(f64::NAN);
        }
    }
    sum
}

/// SIP messages of sipp `-trace_msg` logs, counted by (direction as the SBC sees it,
/// method or code class): what the peer sent the SBC received (`in`), and vice versa.
fn sip_counts(runs: &[&SippOutcome]) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for run in runs {
        let mut direction: Option<&str> = None;
        for line in run.messages.lines() {
            let l = line.trim_end_matches('\r');
            if l.starts_with("-----") {
                direction = None;
            } else if direction.is_none() && l.contains(" message received") {
                direction = Some("out");
            } else if direction.is_none() && l.contains(" message sent") {
                direction = Some("in");
            } else if let Some(dir) = direction {
                if dir.is_empty() || l.trim().is_empty() {
                    continue;
                }
                let key = if let Some(rest) = l.strip_prefix("SIP/2.0 ") {
                    format!("{}xx", &rest[..1])
                } else {
                    l.split(' ').next().unwrap_or_default().to_owned()
                };
                *counts.entry((dir.to_owned(), key)).or_default() += 1;
                // The first line is all that counts; skip to the next message.
                direction = Some("");
            }
        }
    }
    counts
}

/// The SBC's SIP counters of one realm, in the shape of [`sip_counts`].
fn sbc_sip_counts(page: &str, realm: &str) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let key_label = if line.starts_with("sbc_sip_messages_total{") {
            "method"
        } else if line.starts_with("sbc_sip_responses_total{") {
            "code_class"
        } else {
            continue;
        };
        let label = |k: &str| {
            line.split(&format!("{k}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        if label("realm") != realm {
            continue;
        }
        let n: u64 = line
            .rsplit_once(' ')
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        counts.insert((label("direction"), label(key_label)), n);
    }
    counts
}

/// Runs `calls` calls of a sipp caller/callee pair (scenarios in tests/scenarios).
fn calls(lab: &Lab, uac: &str, uas: &str, calls: u32) -> (SippOutcome, SippOutcome) {
    let callee = lab
        .sipp(Ns::Pbx, uas, sip_addr(PBX_IP))
        .listen()
        .calls(calls)
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, uac, sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .calls(calls)
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let callee = callee.finish().expect("sipp callee");
    (caller, callee)
}

#[test]
fn metrics_count_what_the_peers_did_and_pass_promtool() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .firewall(true)
        .extra(&format!(
            "\n[metrics]\nlisten = \"{SBC_INSIDE_IP}:{METRICS_PORT}\"\nallow = [\"{PBX_IP}/32\"]\n"
        ))
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");

    // Before any call: a valid page with the contract's families (503 until the core's
    // first report, which it publishes before it runs; the listener is bound earlier, and
    // on a loaded machine the firewall and media workers in between can take seconds).
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&lab, Ns::Pbx).0 == 503 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let page = scrape(&lab, &sbc);
    promtool_check(&page);
    for family in [
        "sbc_build_info",
        "sbc_calls_active",
        "sbc_call_setup_seconds_count",
        "sbc_call_mos_count",
        "sbc_call_rtt_seconds_count",
        "sbc_media_packets_total",
        "sbc_media_dropped_packets_total",
        "sbc_trunk_up",
        "process_cpu_seconds_total",
    ] {
        assert!(
            page.lines().any(|l| l.starts_with(family)),
            "{family} missing:\n{page}"
        );
    }
    assert_eq!(value(&page, "sbc_calls_active", &[]), 0.0);

    // Who may scrape: the carrier is dropped by the firewall (no answer at all); the SBC's
    // own address (accepted by the firewall on loopback) is not in `allow`: 403.
    let (code, body) = get(&lab, Ns::Carrier);
    assert_eq!(code, 0, "the carrier got an answer: {body}");
    let (code, _) = get(&lab, Ns::Sbc);
    assert_eq!(code, 403, "a client outside [metrics] allow");

    // One call with RTP both ways, three plain answered calls, two busy, one cancelled.
    let media = lab
        .start_media_call(Duration::from_secs(3))
        .and_then(|c| c.finish())
        .expect("media call");
    let answered = calls(&lab, "call_uac.xml", "call_uas.xml", 3);
    let busy = calls(&lab, "busy_uac.xml", "busy_uas.xml", 2);
    let cancelled = calls(&lab, "cancel_uac.xml", "cancel_uas.xml", 1);
    for (what, run) in [
        ("media caller", &media.uac),
        ("media callee", &media.uas),
        ("caller", &answered.0),
        ("callee", &answered.1),
        ("busy caller", &busy.0),
        ("busy callee", &busy.1),
        ("cancelling caller", &cancelled.0),
        ("cancelled callee", &cancelled.1),
    ] {
        assert!(
            run.success(),
            "{what} failed:\n{}\n--- sbc:\n{}",
            run.report(),
            sbc.log_tail()
        );
    }

    // Calls end when their last transaction does; their CDRs follow their streams' counters.
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = scrape(&lab, &sbc);
        let settled = value(&page, "sbc_calls_active", &[]) == 0.0
            && value(&page, "sbc_cdr_records_total", &[]) == 7.0;
        if settled || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let kept = lab.artifacts().unique_path("metrics", ".txt");
    lab.artifacts().write(&kept, &page).expect("keep the page");
    promtool_check(&page);
    assert_eq!(value(&page, "sbc_calls_active", &[]), 0.0, "{page}");
    // Call quality: the media call's two stream sides judged from what the SBC relayed
    // (no loss on the lab's veths: a clean MOS above 4).
    for side in ["a", "b"] {
        let judged = value(&page, "sbc_call_mos_count", &[("side", side)]);
        assert_eq!(judged, 1.0, "side {side}: {page}");
        let poor = value(&page, "sbc_call_mos_bucket", &[("side", side), ("le", "4")]);
        assert_eq!(poor, 0.0, "side {side}: {page}");
        let source = [("side", side), ("source", "userspace")];
        assert_eq!(value(&page, "sbc_call_quality_streams_total", &source), 1.0);
    }
    let calls_of = |result: &str| {
        value(
            &page,
            "sbc_calls_total",
            &[
                ("from_trunk", "carrier"),
                ("to_trunk", "pbx"),
                ("result", result),
            ],
        )
    };
    assert_eq!(
        [
            calls_of("answered"),
            calls_of("busy"),
            calls_of("cancelled")
        ],
        [4.0, 2.0, 1.0],
        "{page}"
    );
    assert_eq!(
        value(&page, "sbc_calls_total", &[]),
        7.0,
        "nothing else: {page}"
    );
    assert_eq!(
        (
            value(&page, "sbc_cdr_records_total", &[]),
            value(&page, "sbc_cdr_lost_total", &[])
        ),
        (7.0, 0.0),
        "one CDR per call, none lost: {page}"
    );
    assert_eq!(
        value(&page, "sbc_call_setup_seconds_count", &[]),
        7.0,
        "every call got an 18x or a final response: {page}"
    );
    assert_eq!(
        value(&page, "sbc_call_setup_seconds_bucket", &[("le", "+Inf")]),
        7.0
    );

    // SIP: the outside realm saw what the callers sent and received, the inside realm what
    // the callees did, message for message.
    let carrier = sip_counts(&[&media.uac, &answered.0, &busy.0, &cancelled.0]);
    let pbx = sip_counts(&[&media.uas, &answered.1, &busy.1, &cancelled.1]);
    assert_eq!(
        sbc_sip_counts(&page, "outside"),
        carrier,
        "outside realm:\n{page}"
    );
    assert_eq!(
        sbc_sip_counts(&page, "inside"),
        pbx,
        "inside realm:\n{page}"
    );
    assert!(carrier[&("in".to_owned(), "INVITE".to_owned())] >= 7);

    // RTP: what the SBC took from each side is what reached the other side.
    let rtp_in = |realm: &str| {
        value(
            &page,
            "sbc_media_packets_total",
            &[
                ("realm", realm),
                ("direction", "in"),
                ("kind", "rtp"),
                ("path", "userspace"),
            ],
        )
    };
    assert!(
        media.pbx_rtp.rtp > 0 && media.carrier_rtp.rtp > 0,
        "{media:?}"
    );
    assert_eq!(rtp_in("outside"), media.pbx_rtp.rtp as f64, "{page}");
    assert_eq!(rtp_in("inside"), media.carrier_rtp.rtp as f64, "{page}");
    assert_eq!(
        value(&page, "sbc_media_packets_total", &[("path", "kernel")]),
        0.0,
        "the fast path is off in this lab"
    );
    assert!(
        value(
            &page,
            "sbc_media_bytes_total",
            &[("realm", "outside"), ("kind", "rtp")]
        ) > 0.0
    );
    assert_eq!(value(&page, "sbc_media_streams_active", &[]), 0.0);
    assert!(
        value(&page, "sbc_media_latches_total", &[]) >= 2.0,
        "{page}"
    );
    assert_eq!(
        value(&page, "sbc_trunk_up", &[("trunk", "pbx")]),
        1.0,
        "{page}"
    );

    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
