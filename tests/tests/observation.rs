//! One place for numbers (issue #15 item 6): what the web UI's API shows and what
//! `/metrics` says are the same numbers, because the daemon makes both (and the CDRs) from
//! one model. In the lab, around real calls (one with RTP both ways, two busy ones):
//!
//! * while the media call is up: calls in progress and each trunk peer's health in
//!   `/api/status` against `sbc_calls_active` and `sbc_trunk_up` (read API, metrics, API
//!   again: when the two API reads agree, the scrape between them must say the same);
//! * after the calls: the CDRs `/api/cdrs` lists per result against `sbc_calls_total`,
//!   and the packets and bytes each side's peers sent, summed over the CDRs' streams,
//!   against `sbc_media_packets_total` and `sbc_media_bytes_total` of that side's realm.

use std::time::{Duration, Instant};

use sbc_lab::config::StandardConfig;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Mgmt, Ns, SbcProcess, SippOutcome};
use serde_json::Value;

const METRICS_PORT: u16 = 9090;
const WAIT: Duration = Duration::from_secs(60);

/// A scrape by the PBX (the only address in `[metrics] allow`).
fn scrape(lab: &Lab, sbc: &SbcProcess) -> String {
    let url = format!("http://{SBC_INSIDE_IP}:{METRICS_PORT}/metrics");
    let deadline = Instant::now() + WAIT;
    loop {
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
        // 503 only until the core's first report.
        if code.trim() == "200" {
            return body.to_owned();
        }
        assert!(
            code.trim() == "503" && Instant::now() < deadline,
            "scrape: {code} {body}\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The sum of the samples of `name` whose labels include all of `labels`.
fn value(page: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    let mut sum = 0;
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, v)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, label_text) = series.split_once('{').unwrap_or((series, ""));
        let label_text = label_text.trim_end_matches('}');
        let has = |k: &str, want: &str| {
            label_text
                .split(',')
                .any(|pair| pair == format!("{k}=\"{want}\""))
        };
        if metric == name && labels.iter().all(|(k, want)| has(k, want)) {
            sum += v.parse::<u64>().unwrap_or_else(|_| panic!("{line}"));
        }
    }
    sum
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `/api/status`'s calls in progress and `(trunk, peer, up)` of every trunk peer.
fn ui_numbers(status: &Value) -> (u64, Vec<(String, String, bool)>) {
    let active = status["calls"]["active"].as_u64().expect("calls.active");
    let mut peers = Vec::new();
    for t in status["trunks"].as_array().expect("trunks") {
        for p in t["peers"].as_array().expect("peers") {
            peers.push((
                t["name"].as_str().unwrap_or_default().to_owned(),
                p["address"].as_str().unwrap_or_default().to_owned(),
                p["up"].as_bool().expect("up"),
            ));
        }
    }
    (active, peers)
}

/// The same numbers from a `/metrics` page.
fn metrics_numbers(
    page: &str,
    peers: &[(String, String, bool)],
) -> (u64, Vec<(String, String, bool)>) {
    let active = value(page, "sbc_calls_active", &[]);
    let peers = peers
        .iter()
        .map(|(trunk, peer, _)| {
            let up = value(page, "sbc_trunk_up", &[("trunk", trunk), ("peer", peer)]);
            (trunk.clone(), peer.clone(), up == 1)
        })
        .collect();
    (active, peers)
}

fn busy_calls(lab: &Lab, n: u32) -> (SippOutcome, SippOutcome) {
    let callee = lab
        .sipp(Ns::Pbx, "busy_uas.xml", sip_addr(PBX_IP))
        .listen()
        .calls(n)
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "busy_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .calls(n)
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    (caller, callee.finish().expect("sipp callee"))
}

#[test]
fn the_ui_the_cdrs_and_metrics_show_the_same_numbers() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .extra(&format!(
            "\n[metrics]\nlisten = \"{SBC_INSIDE_IP}:{METRICS_PORT}\"\nallow = [\"{PBX_IP}/32\"]\n"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let mgmt = Mgmt::login(&lab, &sbc).expect("management login");

    // While a call with RTP is up.
    let media = lab
        .start_media_call(Duration::from_secs(6))
        .expect("media call");
    let deadline = Instant::now() + WAIT;
    let mut compared = 0;
    while compared < 3 {
        let before = ui_numbers(&json(&mgmt.get("/api/status").expect("status")));
        let page = scrape(&lab, &sbc);
        let after = ui_numbers(&json(&mgmt.get("/api/status").expect("status")));
        if before == after && before.0 == 1 {
            assert_eq!(
                metrics_numbers(&page, &before.1),
                before,
                "/api/status and /metrics disagree:\n{page}"
            );
            assert!(!before.1.is_empty(), "trunk peers listed");
            compared += 1;
        }
        assert!(
            Instant::now() < deadline,
            "the call never showed in /api/status: {after:?}\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let media = media.finish().expect("media call ends");
    assert!(media.uac.success(), "{}", media.uac.report());
    assert!(
        media.pbx_rtp.rtp > 0 && media.carrier_rtp.rtp > 0,
        "{media:?}"
    );
    let (caller, callee) = busy_calls(&lab, 2);
    assert!(caller.success() && callee.success(), "{}", caller.report());

    // Every record written (its streams' final counters in), nothing in progress.
    let deadline = Instant::now() + WAIT;
    let page = loop {
        let page = scrape(&lab, &sbc);
        if value(&page, "sbc_cdr_records_total", &[]) == 3
            && value(&page, "sbc_calls_active", &[]) == 0
        {
            break page;
        }
        assert!(Instant::now() < deadline, "CDRs not written:\n{page}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let status = json(&mgmt.get("/api/status").expect("status"));
    assert_eq!(ui_numbers(&status).0, value(&page, "sbc_calls_active", &[]));

    let cdrs = json(&mgmt.get("/api/cdrs?limit=100").expect("cdrs"));
    let cdrs = cdrs.as_array().expect("an array of CDRs");
    assert_eq!(cdrs.len(), 3, "{cdrs:?}");
    for result in ["answered", "busy", "cancelled", "failed"] {
        let listed = cdrs.iter().filter(|c| c["result"] == result).count() as u64;
        let counted = value(&page, "sbc_calls_total", &[("result", result)]);
        assert_eq!(
            listed, counted,
            "{result}: /api/cdrs {listed}, /metrics {counted}"
        );
    }
    // What each side's peers sent: side A's on the outside realm's media address, B's
    // on the inside one's.
    for (side, realm) in [("a", "outside"), ("b", "inside")] {
        let sum = |key: &str| -> u64 {
            cdrs.iter()
                .flat_map(|c| c["streams"].as_array().cloned().unwrap_or_default())
                .map(|s| s[side][key].as_u64().expect("a counter"))
                .sum()
        };
        let (packets, bytes) = (sum("packets"), sum("bytes"));
        assert!(packets > 0, "side {side}: no packets in the CDRs");
        assert_eq!(
            (
                value(&page, "sbc_media_packets_total", &[("realm", realm)]),
                value(&page, "sbc_media_bytes_total", &[("realm", realm)]),
            ),
            (packets, bytes),
            "side {side} ({realm}): /metrics against the CDRs' streams\n{page}"
        );
    }
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
