//! Logs of the real daemon with `[log] format = "json"` (issue 15, item 7): every line on
//! stderr is a JSON object, and a call through the SBC leaves one `call ended` line at info
//! level whose fields are the CDR's essentials: both legs' Call-IDs (each the one that leg's
//! sipp saw), the trunks, caller and callee, result, code, who hung up, Q.850 per leg,
//! durations and codecs.

use std::time::Duration;

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SippOutcome, StandardConfig};
use serde_json::Value;

/// The Call-ID of the first message in a sipp trace.
fn call_id(run: &SippOutcome) -> String {
    run.messages
        .lines()
        .find_map(|l| {
            l.strip_prefix("Call-ID:")
                .or_else(|| l.strip_prefix("Call-Id:"))
        })
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no Call-ID in the trace:\n{}", run.messages))
}

#[test]
fn json_logs_and_one_line_per_call_with_the_cdrs_essentials() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .extra("\n[log]\nformat = \"json\"\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let callee = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "300"])
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
    sbc.wait_for_log(0, "\"call ended\"", Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("no 'call ended' line: {e}\n{}", sbc.log_tail()));

    let log = sbc.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    let ended: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "call ended")
        .collect();
    assert_eq!(ended.len(), 1, "one line per call:\n{log}");
    let f = &ended[0]["fields"];
    assert_eq!(ended[0]["level"], "INFO");
    assert_eq!(f["a_call_id"], call_id(&caller).as_str(), "{f:#}");
    assert_eq!(f["b_call_id"], call_id(&callee).as_str(), "{f:#}");
    assert_eq!(
        (&f["from_trunk"], &f["to_trunk"]),
        (&Value::from("carrier"), &Value::from("pbx"))
    );
    assert_eq!(f["callee"], "4930123", "{f:#}");
    assert_eq!(f["result"], "answered", "{f:#}");
    assert_eq!(f["code"], 200, "{f:#}");
    assert_eq!(f["hangup"], "caller", "{f:#}");
    assert_eq!(
        (&f["q850_a"], &f["q850_b"]),
        (&Value::from(16), &Value::from(16)),
        "{f:#}"
    );
    assert!(f["duration_ms"].as_u64().is_some_and(|d| d >= 300), "{f:#}");
    assert_eq!(
        (&f["codec_a"], &f["codec_b"]),
        (&Value::from("PCMU"), &Value::from("PCMU")),
        "{f:#}"
    );
    // Requests are logged inside their span, whose fields (method, Call-ID) come along.
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "relaying"
            && l["spans"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["method"] == "INVITE"))),
        "{log}"
    );
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
