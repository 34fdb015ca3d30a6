//! Calls through the real SBC between real sipp peers: carrier -> SBC -> pbx.

use std::time::Duration;

use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, SippOutcome};

/// A lab with the daemon on the standard config (route carrier -> pbx).
fn standard_lab() -> (Lab, SbcProcess) {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    (lab, sbc)
}

/// Runs one call: a sipp callee in the pbx namespace, a sipp caller in the carrier.
fn call(lab: &Lab) -> (SippOutcome, SippOutcome) {
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start sipp callee");
    // The callee binds its socket at start; give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(15))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee");
    (uac, uas)
}

#[test]
fn a_call_from_the_carrier_reaches_the_pbx_and_hangs_up() {
    let (lab, mut sbc) = standard_lab();
    let (uac, uas) = call(&lab);
    assert!(
        uac.success(),
        "caller failed:\n{}\n--- sbc:\n{}",
        uac.report(),
        sbc.log_tail()
    );
    assert!(
        uas.success(),
        "callee failed:\n{}\n--- sbc:\n{}",
        uas.report(),
        sbc.log_tail()
    );
    assert!(sbc.is_running());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
    // The call is forgotten once its last transaction is over (Timer K: 5 s on UDP).
    sbc.wait_for_log(0, "call ended", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no 'call ended': {e}\n{}", sbc.log_tail()));
}

/// Every SIP header section in a sipp message trace, with the message's first line.
fn header_sections(trace: &str) -> Vec<String> {
    // sipp's -trace_msg separates messages with lines of dashes and timestamps; each
    // message's header section ends at its first empty line.
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in trace.lines() {
        let l = line.trim_end_matches('\r');
        let starts =
            l.starts_with("SIP/2.0 ") || l.split(' ').nth(2).is_some_and(|v| v == "SIP/2.0");
        if starts {
            if let Some(c) = current.take() {
                out.push(c);
            }
            current = Some(format!("{l}\n"));
        } else if let Some(c) = current.as_mut() {
            if l.is_empty() {
                out.push(std::mem::take(c));
                current = None;
            } else {
                c.push_str(l);
                c.push('\n');
            }
        }
    }
    out.extend(current);
    out
}

/// Values of header `name` (case-insensitive) in the sections.
fn values(sections: &[String], name: &str) -> Vec<String> {
    sections
        .iter()
        .flat_map(|s| s.lines())
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
        .collect()
}

fn tags(sections: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ["From", "To", "f", "t"]
        .iter()
        .flat_map(|h| values(sections, h))
        .filter_map(|v| {
            v.split(";tag=")
                .nth(1)
                .map(|t| t.split(';').next().unwrap_or(t).to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn topology_hiding_nothing_of_one_side_in_the_other_sides_headers() {
    let (lab, sbc) = standard_lab();
    let (uac, uas) = call(&lab);
    assert!(
        uac.success() && uas.success(),
        "call failed:\n{}\n{}\n{}",
        uac.report(),
        uas.report(),
        sbc.log_tail()
    );
    let carrier = header_sections(&uac.messages);
    let pbx = header_sections(&uas.messages);
    assert!(
        carrier.len() >= 6 && pbx.len() >= 6,
        "traces too short: {} / {}",
        carrier.len(),
        pbx.len()
    );

    // What identifies each side.
    let carrier_secrets: Vec<String> = [
        CARRIER_IP.to_string(),
        SBC_OUTSIDE_IP.to_string(),
        "carrier-secret".into(),
    ]
    .into_iter()
    .chain(values(&carrier, "Call-ID"))
    .chain(
        tags(&carrier)
            .into_iter()
            .filter(|t| t.contains("SIPpTag00")),
    )
    .collect();
    let pbx_secrets: Vec<String> = [
        PBX_IP.to_string(),
        SBC_INSIDE_IP.to_string(),
        "pbx-secret".into(),
        "InternalPBX".into(),
    ]
    .into_iter()
    .chain(values(&pbx, "Call-ID"))
    .chain(tags(&pbx).into_iter().filter(|t| t.contains("SIPpTag01")))
    .collect();
    // Headers only: the SDP bodies are scanned too by media_calls.rs (media anchoring).
    for section in &pbx {
        for s in &carrier_secrets {
            assert!(
                !section.contains(s.as_str()),
                "pbx side saw {s:?} of the carrier side:\n{section}"
            );
        }
    }
    for section in &carrier {
        for s in &pbx_secrets {
            assert!(
                !section.contains(s.as_str()),
                "carrier side saw {s:?} of the pbx side:\n{section}"
            );
        }
    }
}
