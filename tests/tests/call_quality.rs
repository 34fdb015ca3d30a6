//! Call quality of the real SBC (issue 15, item 3): a call whose caller leaves out every
//! 20th RTP sequence number (5 % real loss) and whose peers both send RTCP SRs with report
//! blocks (tests/tools/rtcp_peer.py). While it lasts, `/api/calls` shows per stream side the
//! loss, jitter and MOS the SBC measured on what it relayed, the round trip it timed from
//! the relayed SRs and the answering LSR/DLSR, and what each peer reported; the CDR line
//! carries the same per stream side (`quality_source = "userspace"`), and the lossy side's
//! MOS is lower than the clean side's by what the E-model says for 5 %.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::config::{MGMT_LISTEN, StandardConfig};
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, cmd};
use serde_json::Value;

const PASSWORD: &str = "lab-quality-password-42";
const WAIT: Duration = Duration::from_secs(20);

/// One HTTPS request with curl in the sbc namespace (cookie jar in the lab's dir):
/// `(status, body)`.
fn curl(lab: &Lab, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let jar = lab.dir().join("cookies").display().to_string();
    let url = format!("https://{MGMT_LISTEN}{path}");
    let mut argv = vec![
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
        "-w",
        "\n%{http_code}",
    ];
    if let Some(b) = body {
        argv.extend(["-H", "content-type: application/json", "--data-binary", b]);
    }
    argv.push(&url);
    let out = lab.exec_ok(Ns::Sbc, &argv).expect("curl runs");
    let (body, status) = out.rsplit_once('\n').expect("status line");
    (
        status.trim().parse().expect("numeric status"),
        body.to_owned(),
    )
}

/// Sets the password with the setup token from state_dir and logs in.
fn login(lab: &Lab, sbc: &SbcProcess) {
    sbc.wait_for_log(0, "management on https://", WAIT)
        .expect("management listens");
    let path = sbc
        .config_path()
        .parent()
        .expect("dir")
        .join("state/setup-token");
    let token = wait_for(WAIT, || {
        std::fs::read_to_string(&path)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    })
    .expect("setup token");
    let body = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
    assert_eq!(curl(lab, "POST", "/api/setup", Some(&body)).0, 204);
    let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
    let (status, answer) = curl(lab, "POST", "/api/login", Some(&body));
    assert_eq!(status, 200, "{answer}");
}

fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn keys(python: &str, out: &Path) -> Vec<String> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/rtcp_peer.py");
    [
        "-key",
        "python",
        python,
        "-key",
        "rtcp_tool",
        &tool.display().to_string(),
        "-key",
        "rtp_out",
        &out.display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn loss_jitter_rtt_and_mos_in_the_live_view_and_the_cdr() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("start sbc");
    login(&lab, &sbc);
    let python = cmd::python().expect("python3").display().to_string();
    let (pbx_out, carrier_out) = (
        lab.artifacts().unique_path("rtcp-pbx", ".json"),
        lab.artifacts().unique_path("rtcp-carrier", ".json"),
    );
    let uas = lab
        .sipp(Ns::Pbx, "quality_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(keys(&python, &pbx_out))
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "quality_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "8000"])
        .args(keys(&python, &carrier_out))
        .timeout(Duration::from_secs(40))
        .recv_timeout(Duration::from_secs(10))
        .spawn()
        .expect("sipp caller");

    // The live view, refreshed once a second: wait for a round trip and both MOS.
    let live = wait_for(WAIT, || {
        let (status, body) = curl(&lab, "GET", "/api/calls", None);
        assert_eq!(status, 200, "{body}");
        let calls: Value = serde_json::from_str(&body).ok()?;
        let stream = calls.get(0)?.get("streams")?.get(0)?.clone();
        let ready = ["a", "b"].iter().all(|s| {
            let q = &stream[s]["quality"];
            q["mos"].is_number() && q["rtt_ms"].is_number() && q["rtcp_reports"].as_u64() > Some(1)
        });
        ready.then_some(stream)
    })
    .unwrap_or_else(|| {
        panic!(
            "no quality in /api/calls: {}\n{}",
            curl(&lab, "GET", "/api/calls", None).1,
            sbc.log_tail()
        )
    });
    let (qa, qb) = (&live["a"]["quality"], &live["b"]["quality"]);
    assert_eq!(
        (&qa["source"], &qb["source"]),
        (&"userspace".into(), &"userspace".into()),
        "{live:#}"
    );
    assert!(f(&qa["loss_pct"]) >= 3.0, "the caller's 5 % gaps: {live:#}");
    assert_eq!(f(&qb["loss_pct"]), 0.0, "{live:#}");
    assert!(f(&qa["mos"]) < f(&qb["mos"]), "{live:#}");
    // Each peer reported on the other's media: the PBX sees the caller's gaps.
    assert!(qb["reported_lost"].as_i64() > Some(0), "{live:#}");

    let uac = uac.finish().expect("sipp caller");
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "{}\n{}",
        uac.report(),
        uas.report()
    );

    // The CDR line, once the streams' final counters are in.
    let path = sbc
        .config_path()
        .parent()
        .expect("dir")
        .join("state/cdr.jsonl");
    let record: Value = wait_for(WAIT, || {
        let text = std::fs::read_to_string(&path).ok()?;
        serde_json::from_str(text.lines().next()?).ok()
    })
    .unwrap_or_else(|| panic!("no CDR line\n{}", sbc.log_tail()));
    let stream = &record["streams"][0];
    eprintln!("live view: {live}\nCDR stream: {stream}");
    let (a, b) = (&stream["a"], &stream["b"]);
    for side in [a, b] {
        assert_eq!(side["quality_source"], "userspace", "{record:#}");
        assert!(side["jitter_ms"].is_number(), "{record:#}");
        assert!(f(&side["rtt_ms"]) >= 0.0, "{record:#}");
        assert!(side["rtcp"]["reports"].as_u64() >= Some(3), "{record:#}");
    }
    // 12 of 250 left out (every 20th): 4.8 %.
    assert_eq!(a["lost"], 12, "{record:#}");
    assert!((f(&a["loss"]) - 4.8).abs() < 0.2, "{record:#}");
    assert_eq!(
        (b["lost"].as_u64(), f(&b["loss"])),
        (Some(0), 0.0),
        "{record:#}"
    );
    // The E-model: 4.8 % loss costs 12 points of R, about 0.35 of MOS.
    let (mos_a, mos_b) = (f(&a["mos"]), f(&b["mos"]));
    assert!(mos_b >= 4.3, "a clean stream on a LAN: {record:#}");
    assert!(mos_b - mos_a > 0.25 && mos_b - mos_a < 0.45, "{record:#}");
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
