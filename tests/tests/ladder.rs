//! The SIP ladder and pcap of a call, and the CDR browser, on the real daemon (issue 15,
//! items 2 and 5): a sipp call from the carrier through the SBC to the pbx, then over the
//! management API (curl in the sbc namespace):
//!
//! * `GET /api/cdrs` lists the call with each leg's Q.850 cause (A: mapped from the caller's
//!   BYE without a Reason, B: the Reason the SBC put in its own BYE), as JSON and as CSV;
//! * `GET /api/calls/{call}/ladder` holds every message each sipp sent and received, on the
//!   right leg, with the addresses and ports as on the wire on each side;
//! * `GET /api/calls/{call}/pcap` is read back by `tshark -Y sip`: the same messages, both
//!   legs' Call-IDs, the same addresses and ports;
//! * in the browser (playwright-core + chromium, tests/webui/e2e.mjs phase `ladder`), the
//!   Call history page opens the call's ladder, a message opens to its full text and the pcap
//!   downloads. Screenshots stay in tests/artifacts/<this test>/screenshots/ (also when it
//!   passes).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::config::MGMT_LISTEN;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{BrowserTest, Lab, Ns, SbcProcess, SippOutcome, cmd};
use serde_json::Value;

const PASSWORD: &str = "lab-admin-password-42";
const WAIT: Duration = Duration::from_secs(15);

/// One request with curl in the sbc namespace: (status, body); `out` saves the body there.
fn curl(
    lab: &Lab,
    method: &str,
    path: &str,
    body: Option<&str>,
    out: Option<&Path>,
) -> (u16, String) {
    let jar = lab.dir().join("cookies").display().to_string();
    let mut argv: Vec<String> = [
        "curl",
        "-sk",
        "--max-time",
        "20",
        "-c",
        &jar,
        "-b",
        &jar,
        "-X",
        method,
    ]
    .map(str::to_owned)
    .to_vec();
    argv.extend(["-w".into(), "\n%{http_code}".into()]);
    if let Some(b) = body {
        argv.extend(["-H".into(), "content-type: application/json".into()]);
        argv.extend(["--data-binary".into(), b.into()]);
    }
    if let Some(path) = out {
        argv.extend(["-o".into(), path.display().to_string()]);
    }
    argv.push(format!("https://{MGMT_LISTEN}{path}"));
    let text = lab.exec_ok(Ns::Sbc, &argv).expect("curl runs");
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        status.trim().parse().expect("numeric status"),
        body.to_owned(),
    )
}

/// First start: the password set with the token from state_dir, then a session.
fn setup_and_login(lab: &Lab, sbc: &SbcProcess) {
    sbc.wait_for_log(0, "management on https://", WAIT)
        .expect("management listens");
    let token_file = sbc
        .config_path()
        .parent()
        .expect("dir")
        .join("state/setup-token");
    let deadline = Instant::now() + WAIT;
    let token = loop {
        match std::fs::read_to_string(&token_file) {
            Ok(t) if !t.trim().is_empty() => break t.trim().to_owned(),
            _ => {
                assert!(
                    Instant::now() < deadline,
                    "no setup token\n{}",
                    sbc.log_tail()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let body = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
    assert_eq!(curl(lab, "POST", "/api/setup", Some(&body), None).0, 204);
    let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
    let (status, answer) = curl(lab, "POST", "/api/login", Some(&body), None);
    assert_eq!(status, 200, "{answer}");
}

/// Per leg of sipp's trace: the first line of every message, with `in`/`out` as the SBC saw
/// it (what sipp sent, the SBC received).
fn sipp_lines(run: &SippOutcome) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut want: Option<&str> = None;
    for line in run.messages.lines() {
        let l = line.trim_end_matches('\r');
        if l.contains("message sent") {
            want = Some("in");
        } else if l.contains("message received") {
            want = Some("out");
        } else if let Some(dir) = want {
            if !l.trim().is_empty() {
                out.push((dir.to_owned(), l.to_owned()));
                want = None;
            }
        }
    }
    out
}

/// A multiset of (direction, first line).
fn counted(lines: impl IntoIterator<Item = (String, String)>) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for l in lines {
        *m.entry(l).or_default() += 1;
    }
    m
}

#[test]
fn a_calls_ladder_pcap_and_cdr_in_the_api_and_the_browser() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    setup_and_login(&lab, &sbc);

    let callee = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "500"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let callee = callee.finish().expect("sipp callee");
    for (who, run) in [("caller", &caller), ("callee", &callee)] {
        assert!(
            run.success(),
            "{who}:\n{}\n--- sbc:\n{}",
            run.report(),
            sbc.log_tail()
        );
    }

    // The CDR, through the API (written within 3 s of the end).
    let deadline = Instant::now() + Duration::from_secs(20);
    let cdr = loop {
        let (status, body) = curl(&lab, "GET", "/api/cdrs?limit=10&trunk=carrier", None, None);
        assert_eq!(status, 200, "{body}");
        let list: Vec<Value> = serde_json::from_str(&body).expect("a JSON array");
        if let Some(first) = list.into_iter().next() {
            break first;
        }
        assert!(
            Instant::now() < deadline,
            "no CDR in the API\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(cdr["result"], "answered", "{cdr:#}");
    assert_eq!(cdr["hangup"], "caller", "{cdr:#}");
    assert_eq!(
        cdr["legs"][0]["q850"],
        serde_json::json!({"cause": 16, "text": "Normal call clearing", "source": "mapped"}),
        "A's BYE had no Reason: {cdr:#}"
    );
    assert_eq!(cdr["legs"][1]["q850"]["cause"], 16, "{cdr:#}");
    assert_eq!(
        cdr["legs"][1]["q850"]["source"], "sent",
        "the SBC's BYE said why: {cdr:#}"
    );
    let (_, none) = curl(&lab, "GET", "/api/cdrs?result=busy", None, None);
    assert_eq!(none.trim(), "[]", "filtered by result");
    let (status, csv) = curl(&lab, "GET", "/api/cdrs?format=csv", None, None);
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("call,start,answer,end"), "{csv}");
    assert!(
        rows[1].contains(",answered,200,bye,caller,carrier,outside,"),
        "{csv}"
    );
    let call = cdr["call"].as_u64().expect("call number");

    // The ladder: every message each sipp saw, on its leg, as on the wire.
    let (status, body) = curl(
        &lab,
        "GET",
        &format!("/api/calls/{call}/ladder"),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let ladder: Value = serde_json::from_str(&body).expect("ladder JSON");
    let messages = ladder["messages"].as_array().expect("messages");
    assert_eq!(ladder["dropped"], 0);
    let leg =
        |side: &str| -> Vec<&Value> { messages.iter().filter(|m| m["leg"] == side).collect() };
    let lines = |side: &str| {
        counted(leg(side).iter().map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (s("direction"), s("first_line"))
        }))
    };
    assert_eq!(
        lines("a"),
        counted(sipp_lines(&caller)),
        "leg A against the caller's trace:\n{body}"
    );
    assert_eq!(
        lines("b"),
        counted(sipp_lines(&callee)),
        "leg B against the callee's trace:\n{body}"
    );
    let sbc_out = SBC_OUTSIDE_IP.to_string();
    let sbc_in = SBC_INSIDE_IP.to_string();
    for m in leg("a") {
        let (peer, ours) = if m["direction"] == "in" {
            (&m["src"], &m["dst"])
        } else {
            (&m["dst"], &m["src"])
        };
        assert!(
            peer.as_str()
                .is_some_and(|a| a.starts_with(&format!("{CARRIER_IP}:"))),
            "{m:#}"
        );
        assert_eq!(
            ours.as_str(),
            Some(format!("{sbc_out}:5060").as_str()),
            "{m:#}"
        );
    }
    for m in leg("b") {
        let (peer, ours) = if m["direction"] == "in" {
            (&m["src"], &m["dst"])
        } else {
            (&m["dst"], &m["src"])
        };
        assert!(
            peer.as_str()
                .is_some_and(|a| a.starts_with(&format!("{PBX_IP}:"))),
            "{m:#}"
        );
        assert!(
            ours.as_str()
                .is_some_and(|a| a.starts_with(&format!("{sbc_in}:"))),
            "{m:#}"
        );
    }
    let times: Vec<i64> = messages
        .iter()
        .filter_map(|m| m["unix_us"].as_i64())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    let b_bye = leg("b")
        .into_iter()
        .find(|m| {
            m["direction"] == "out"
                && m["first_line"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("BYE "))
        })
        .expect("the SBC's BYE on leg B");
    assert!(
        b_bye["message"].as_str().is_some_and(|t| t.contains("Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n")),
        "{b_bye:#}"
    );
    let (status, _) = curl(&lab, "GET", "/api/calls/999999/ladder", None, None);
    assert_eq!(status, 404, "a call not kept");

    // The pcap, read back by tshark.
    let tshark = cmd::require_tool(
        "tshark",
        "apt-get install tshark (scripts/setup installs it)",
    )
    .expect("tshark");
    let pcap = lab.dir().join(format!("call-{call}.pcap"));
    let (status, _) = curl(
        &lab,
        "GET",
        &format!("/api/calls/{call}/pcap"),
        None,
        Some(&pcap),
    );
    assert_eq!(status, 200);
    let fields = [
        "-r",
        &pcap.display().to_string(),
        "-Y",
        "sip",
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "ip.src",
        "-e",
        "udp.srcport",
        "-e",
        "ip.dst",
        "-e",
        "udp.dstport",
        "-e",
        "sip.Call-ID",
        "-e",
        "frame.time_epoch",
    ]
    .map(str::to_owned);
    let mut argv = vec![tshark.display().to_string()];
    argv.extend(fields);
    let out = lab.exec_ok(Ns::Sbc, &argv).expect("tshark reads the pcap");
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('|').collect()).collect();
    assert_eq!(
        rows.len(),
        messages.len(),
        "tshark sees every message as SIP:\n{out}"
    );
    for (row, m) in rows.iter().zip(messages) {
        assert_eq!(
            format!("{}:{}", row[0], row[1]),
            m["src"].as_str().unwrap_or_default(),
            "{out}"
        );
        assert_eq!(
            format!("{}:{}", row[2], row[3]),
            m["dst"].as_str().unwrap_or_default(),
            "{out}"
        );
        let leg_id = &ladder["legs"][if m["leg"] == "a" { 0 } else { 1 }]["call_id"];
        assert_eq!(Some(row[4]), leg_id.as_str(), "{out}");
        let epoch: f64 = row[5].parse().expect("a time");
        let us = m["unix_us"].as_i64().expect("unix_us") as f64 / 1e6;
        assert!((epoch - us).abs() < 1e-5, "timestamps: {epoch} vs {us}");
    }
    let ids: Vec<&str> = rows.iter().map(|r| r[4]).collect();
    assert_ne!(ids.first(), ids.last(), "both legs' Call-IDs");

    // The same in the browser.
    let browser = BrowserTest::new(&lab)
        .expect("browser test prerequisites")
        .env("SBC_URL", format!("https://{MGMT_LISTEN}"))
        .env("SBC_PASSWORD", PASSWORD);
    let run = browser
        .run("ladder")
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()));
    assert!(run.stdout.contains("passed"), "{}", run.stdout);
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
    // The screenshots are for looking at: keep them when the test passes too.
    let kept = lab.artifacts().keep().expect("keep artifacts");
    eprintln!("screenshots: {}", kept.join("screenshots").display());
}
