//! Call detail records of the real SBC: after an answered, a busy, a cancelled and a
//! failed call between sipp peers, `<state_dir>/cdr.jsonl` holds one JSON line per call
//! with the result, the final code A received, who hung up, the duration, each leg's
//! Call-ID as that leg's peer saw it (different on the two legs: topology hiding) and each
//! leg's Q.850 cause.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, SippOutcome};
use serde_json::Value;

/// How long the answered call stays up before the caller's BYE.
const HOLD_MS: u64 = 1000;

/// One call of a sipp caller/callee pair (scenarios in tests/scenarios).
fn call(
    lab: &Lab,
    sbc: &SbcProcess,
    uac: &str,
    uas: &str,
    extra: &[&str],
) -> (SippOutcome, SippOutcome) {
    let callee = lab
        .sipp(Ns::Pbx, uas, sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, uac, sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .args(extra.iter().copied())
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let callee = callee.finish().expect("sipp callee");
    for (who, run) in [("caller", &caller), ("callee", &callee)] {
        assert!(
            run.success(),
            "{uac}/{uas}: {who} failed:\n{}\n--- sbc:\n{}",
            run.report(),
            sbc.log_tail()
        );
    }
    (caller, callee)
}

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

/// The final response to the INVITE the caller received (its status code).
fn final_code(run: &SippOutcome) -> u64 {
    // Each received message: its first line, then its headers (until the blank line).
    let mut messages: Vec<Vec<&str>> = Vec::new();
    let mut received = false;
    for line in run.messages.lines() {
        let l = line.trim_end_matches('\r');
        if l.starts_with("-----") {
            received = false;
        } else if l.contains(" message received") {
            received = true;
            messages.push(Vec::new());
        } else if received && !(l.is_empty() && messages.last().is_some_and(Vec::is_empty)) {
            if l.is_empty() {
                received = false;
            } else if let Some(m) = messages.last_mut() {
                m.push(l);
            }
        }
    }
    messages
        .iter()
        .filter(|m| {
            m.iter()
                .any(|h| h.to_ascii_lowercase().starts_with("cseq:") && h.ends_with("INVITE"))
        })
        .find_map(|m| {
            m.first()?
                .strip_prefix("SIP/2.0 ")?
                .get(..3)?
                .parse::<u64>()
                .ok()
                .filter(|&c| c >= 200)
        })
        .unwrap_or_else(|| panic!("no final response to the INVITE:\n{}", run.messages))
}

/// Waits for `n` lines in the CDR file.
fn cdr_lines(path: &Path, n: usize, sbc: &SbcProcess) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() >= n || Instant::now() > deadline {
            assert_eq!(
                lines.len(),
                n,
                "{}:\n{text}\n--- sbc:\n{}",
                path.display(),
                sbc.log_tail()
            );
            return lines
                .iter()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
                .collect();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn each_call_leaves_one_record_with_its_result_code_and_legs() {
    let lab = Lab::new().expect("create lab");
    let mut sbc = lab.start_standard_sbc().expect("start sbc");
    let path = sbc
        .config_path()
        .parent()
        .expect("config dir")
        .join("state/cdr.jsonl");

    let hold = HOLD_MS.to_string();
    let runs = [
        (
            "answered",
            call(
                &lab,
                &sbc,
                "call_hold_uac.xml",
                "call_uas.xml",
                &["-d", &hold],
            ),
        ),
        (
            "busy",
            call(&lab, &sbc, "busy_uac.xml", "busy_uas.xml", &[]),
        ),
        (
            "cancelled",
            call(&lab, &sbc, "cancel_uac.xml", "cancel_uas.xml", &[]),
        ),
        (
            "failed",
            call(&lab, &sbc, "call_or_503_uac.xml", "reject_503_uas.xml", &[]),
        ),
    ];
    let records = cdr_lines(&path, runs.len(), &sbc);

    for (result, (caller, callee)) in &runs {
        let (a_id, b_id) = (call_id(caller), call_id(callee));
        let Some(r) = records
            .iter()
            .find(|r| r["legs"][0]["call_id"] == a_id.as_str())
        else {
            panic!("no record with A's Call-ID {a_id}: {records:#?}");
        };
        let what = format!("{result}: {r:#}");
        assert_eq!(r["result"], *result, "{what}");
        assert_eq!(
            r["code"].as_u64(),
            Some(final_code(caller)),
            "the code A got: {what}"
        );
        assert_eq!(
            r["legs"][1]["call_id"],
            b_id.as_str(),
            "B's Call-ID: {what}"
        );
        assert_ne!(a_id, b_id, "topology hiding");
        assert_eq!(
            (&r["legs"][0]["trunk"], &r["legs"][1]["trunk"]),
            (&Value::from("carrier"), &Value::from("pbx")),
            "{what}"
        );
        assert_eq!(
            (&r["legs"][0]["realm"], &r["legs"][1]["realm"]),
            (&Value::from("outside"), &Value::from("inside")),
            "{what}"
        );
        for key in ["start", "end"] {
            assert!(
                r[key].as_str().is_some_and(|t| t.ends_with('Z')),
                "{key}: {what}"
            );
        }
        // Q.850 per leg (RFC 3398): sipp sends no Reason headers; the SBC says why in its
        // own BYE (answered), CANCEL (cancelled) and failure responses (RFC 3326/6432).
        let cause = match *result {
            "answered" | "cancelled" => 16,
            "busy" => 17,
            _ => 41,
        };
        for leg in 0..2 {
            assert_eq!(r["legs"][leg]["q850"]["cause"], cause, "leg {leg}: {what}");
        }
        let b_source = if matches!(*result, "answered" | "cancelled") {
            "sent"
        } else {
            "mapped"
        };
        assert_eq!(r["legs"][1]["q850"]["source"], b_source, "{what}");
        let duration = r["duration_ms"].as_u64().expect("duration_ms");
        match *result {
            "answered" => {
                assert!(
                    duration >= HOLD_MS,
                    "held {HOLD_MS} ms before the BYE: {what}"
                );
                assert_eq!(r["hangup"], "caller", "{what}");
                assert!(r["answer"].is_string(), "{what}");
            }
            "cancelled" => {
                assert_eq!(
                    (duration, &r["hangup"]),
                    (0, &Value::from("caller")),
                    "{what}"
                );
            }
            _ => {
                assert_eq!(
                    (duration, &r["hangup"]),
                    (0, &Value::from("callee")),
                    "{what}"
                );
                assert!(r["answer"].is_null(), "{what}");
            }
        }
    }
    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
