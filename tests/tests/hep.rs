//! HEP v3 capture of the real SBC (issue 15, item 4): with `[hep] collector =
//! "udp:<pbx>:9060"`, a UDP sink in the PBX namespace (tests/tools/udp_sink.py) receives a
//! copy of every SIP message of both legs of a sipp call (firewall on: the SBC's table does
//! not filter its output). The test decodes each packet against the HEP3 layout (header,
//! chunk lengths, address family, protocol, addresses, ports, timestamp, protocol type 1,
//! agent id, password) and compares each leg's captures with that leg's sipp message trace:
//! the same messages each way, and every one carrying the other leg's Call-ID as its
//! correlation id (chunk 0x0011). Also: RTCP reports as type 5, DTMF digits masked in the
//! copies unless both trunks show them, and a `[hep]` change applied on reload.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sbc_lab::config::StandardConfig;
use sbc_lab::rtp::tool_keys;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, Signal, SippOutcome, cmd};

const COLLECTOR_PORT: u16 = 9060;

/// One decoded HEP3 packet.
#[derive(Debug)]
struct Hep {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    ip_proto: u8,
    seconds: u32,
    proto: u8,
    agent: u32,
    password: Option<String>,
    correlation: Option<String>,
    payload: String,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Decodes one packet; panics (the test fails) on anything the HEP3 layout does not allow.
fn decode(p: &[u8]) -> Hep {
    assert_eq!(&p[..4], b"HEP3", "magic");
    assert_eq!(usize::from(be16(&p[4..6])), p.len(), "total length");
    let mut chunks: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut at = 6;
    while at < p.len() {
        assert!(at + 6 <= p.len(), "chunk header past the end");
        assert_eq!(be16(&p[at..]), 0, "generic vendor");
        let kind = be16(&p[at + 2..]);
        let len = usize::from(be16(&p[at + 4..]));
        assert!(
            len >= 6 && at + len <= p.len(),
            "chunk {kind:#x} length {len}"
        );
        chunks.insert(kind, p[at + 6..at + len].to_vec());
        at += len;
    }
    let one = |k: u16| {
        chunks
            .get(&k)
            .unwrap_or_else(|| panic!("no chunk {k:#x}"))
            .clone()
    };
    assert_eq!(one(0x0001), [2], "IPv4");
    let ip = |b: Vec<u8>| IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    Hep {
        src: (ip(one(0x0003)), be16(&one(0x0007))),
        dst: (ip(one(0x0004)), be16(&one(0x0008))),
        ip_proto: one(0x0002)[0],
        seconds: be32(&one(0x0009)),
        proto: one(0x000b)[0],
        agent: be32(&one(0x000c)),
        password: chunks.get(&0x000e).cloned().map(text),
        correlation: chunks.get(&0x0011).cloned().map(text),
        payload: text(one(0x000f)),
    }
}

/// Every packet the collector wrote so far (one hex line each), decoded.
fn read_packets(out: &Path) -> Vec<Hep> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    text.lines()
        .map(|l| {
            let bytes: Vec<u8> = (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).expect("hex"))
                .collect();
            decode(&bytes)
        })
        .collect()
}

fn call_id(message: &str) -> Option<&str> {
    message.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        (name.eq_ignore_ascii_case("call-id") || name == "i").then(|| value.trim())
    })
}

/// The first lines of the messages in a sipp trace, `true` for sent ones.
fn trace(run: &SippOutcome) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut next: Option<bool> = None;
    for line in run.messages.lines() {
        let l = line.trim_end_matches('\r').trim();
        if l.contains("message sent") {
            next = Some(true);
        } else if l.contains("message received") {
            next = Some(false);
        } else if let Some(sent) = next.filter(|_| !l.is_empty()) {
            out.push((sent, l.to_owned()));
            next = None;
        }
    }
    out
}

fn sorted(mut v: Vec<(bool, String)>) -> Vec<(bool, String)> {
    v.sort();
    v
}

/// A HEP collector in the PBX's namespace (tests/tools/udp_sink.py on the collector port):
/// every datagram it gets is written, hex, to the returned file.
fn collector(lab: &Lab, python: &str, name: &str) -> (sbc_lab::LabChild, PathBuf) {
    let out = lab.artifacts().unique_path(name, ".hex");
    let sink = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/udp_sink.py");
    let bind = format!("{PBX_IP}:{COLLECTOR_PORT}");
    let child = lab
        .spawn(
            Ns::Pbx,
            &[
                python,
                &sink.display().to_string(),
                "--bind",
                &bind,
                "--out",
                &out.display().to_string(),
            ],
        )
        .expect("start the collector");
    (child, out)
}

#[test]
fn every_message_of_both_legs_reaches_the_collector_correlated() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .firewall(true)
        .extra(&format!(
            "\n[hep]\ncollector = \"udp:{PBX_IP}:{COLLECTOR_PORT}\"\nid = 7\npassword = \"homer-secret\"\n"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let python = cmd::python().expect("python3").display().to_string();
    let (_collector, out) = collector(&lab, &python, "hep");

    let callee = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "500"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("sipp caller");
    let callee = callee.finish().expect("sipp callee");
    assert!(
        caller.success() && callee.success(),
        "{}\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        sbc.log_tail()
    );
    let (a_id, b_id) = (
        call_id(&caller.messages).expect("A's Call-ID").to_owned(),
        call_id(&callee.messages).expect("B's Call-ID").to_owned(),
    );
    assert_ne!(a_id, b_id, "topology hiding");
    let (a_trace, b_trace) = (sorted(trace(&caller)), sorted(trace(&callee)));
    // INVITE, 100, 180, 200, ACK, BYE, 200 at least on each leg.
    assert!(
        a_trace.len() >= 7 && b_trace.len() >= 6,
        "{a_trace:?}\n{b_trace:?}"
    );

    // Every message the SBC saw of the two legs (the traces' counts), as HEP.
    let want = a_trace.len() + b_trace.len();
    let deadline = Instant::now() + Duration::from_secs(10);
    let packets = loop {
        let packets = read_packets(&out);
        let of_legs = packets
            .iter()
            .filter(|p| call_id(&p.payload).is_some_and(|id| id == a_id || id == b_id))
            .count();
        if of_legs >= want || Instant::now() > deadline {
            break packets;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let carrier = IpAddr::V4(CARRIER_IP);
    let pbx = IpAddr::V4(PBX_IP);
    let (outside, inside) = (IpAddr::V4(SBC_OUTSIDE_IP), IpAddr::V4(SBC_INSIDE_IP));
    let mut legs: [Vec<(bool, String)>; 2] = [Vec::new(), Vec::new()];
    for p in &packets {
        let what = format!("{p:#?}\n--- sbc:\n{}", sbc.log_tail());
        assert_eq!((p.proto, p.agent, p.ip_proto), (1, 7, 17), "{what}");
        assert_eq!(p.password.as_deref(), Some("homer-secret"), "{what}");
        assert!(
            u64::from(p.seconds).abs_diff(now) < 120,
            "timestamp: {what}"
        );
        let id = call_id(&p.payload).unwrap_or_else(|| panic!("no Call-ID: {what}"));
        let first = p
            .payload
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if id == a_id {
            assert_eq!(p.correlation.as_deref(), Some(b_id.as_str()), "{what}");
            // Sent by the caller: carrier -> SBC outside; else the other way.
            let by_peer = p.src.0 == carrier && p.dst.0 == outside && p.dst.1 == 5060;
            let to_peer = p.src.0 == outside && p.src.1 == 5060 && p.dst.0 == carrier;
            assert!(by_peer || to_peer, "A's addresses: {what}");
            legs[0].push((by_peer, first));
        } else if id == b_id {
            assert_eq!(p.correlation.as_deref(), Some(a_id.as_str()), "{what}");
            let by_peer = p.src.0 == pbx && p.dst.0 == inside;
            let to_peer = p.src.0 == inside && p.dst.0 == pbx && p.dst.1 == 5060;
            assert!(by_peer || to_peer, "B's addresses: {what}");
            legs[1].push((by_peer, first));
        } else {
            // The SBC's own requests (OPTIONS health checks) are captured too.
            let cseq = p
                .payload
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("cseq:"));
            assert!(
                cseq.is_some_and(|l| l.ends_with("OPTIONS")),
                "a message of neither leg: {what}"
            );
        }
    }
    let [a, b] = legs.map(sorted);
    eprintln!(
        "captured {} packets; A's leg {a:?}; B's leg {b:?}",
        packets.len()
    );
    assert_eq!(
        a, a_trace,
        "A's leg: HEP (sent by the peer = true) vs the caller's trace"
    );
    assert_eq!(b, b_trace, "B's leg: HEP vs the callee's trace");
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

/// The quality call's sipp keys: python, the RTCP peer tool, where it writes.
fn rtcp_keys(python: &str, out: &Path) -> Vec<String> {
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

/// RTCP as HEP type 5 (issue 15, item 4): a call whose peers both send SRs with report
/// blocks (tests/tools/rtcp_peer.py, the call quality test's peers). The collector receives
/// JSON reports, each from the sending peer's address to the SBC's media socket on that
/// side, correlated with the Call-ID of the leg it arrived on.
#[test]
fn rtcp_reports_reach_the_collector_as_type_5_on_their_leg() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .extra(&format!(
            "\n[hep]\ncollector = \"udp:{PBX_IP}:{COLLECTOR_PORT}\"\nid = 9\n"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let python = cmd::python().expect("python3").display().to_string();
    let (_collector, out) = collector(&lab, &python, "hep-rtcp");
    let (pbx_out, carrier_out) = (
        lab.artifacts().unique_path("rtcp-pbx", ".json"),
        lab.artifacts().unique_path("rtcp-carrier", ".json"),
    );
    let callee = lab
        .sipp(Ns::Pbx, "quality_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(rtcp_keys(&python, &pbx_out))
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "quality_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "6000"])
        .args(rtcp_keys(&python, &carrier_out))
        .timeout(Duration::from_secs(40))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("sipp caller");
    let callee = callee.finish().expect("sipp callee");
    assert!(
        caller.success() && callee.success(),
        "{}\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        sbc.log_tail()
    );
    let (a_id, b_id) = (
        call_id(&caller.messages).expect("A's Call-ID").to_owned(),
        call_id(&callee.messages).expect("B's Call-ID").to_owned(),
    );

    // Reports of both legs (the peers send one every second or so).
    let deadline = Instant::now() + Duration::from_secs(10);
    let reports = loop {
        let reports: Vec<Hep> = read_packets(&out)
            .into_iter()
            .filter(|p| p.proto == 5)
            .collect();
        let of = |id: &str| {
            reports
                .iter()
                .filter(|p| p.correlation.as_deref() == Some(id))
                .count()
        };
        if (of(&a_id) >= 2 && of(&b_id) >= 2) || Instant::now() > deadline {
            break reports;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (carrier, pbx) = (IpAddr::V4(CARRIER_IP), IpAddr::V4(PBX_IP));
    let (outside, inside) = (IpAddr::V4(SBC_OUTSIDE_IP), IpAddr::V4(SBC_INSIDE_IP));
    let mut per_leg = [0, 0];
    let mut with_block = 0;
    for p in &reports {
        let what = format!("{p:#?}\n--- sbc:\n{}", sbc.log_tail());
        assert_eq!((p.agent, p.ip_proto), (9, 17), "{what}");
        let body: serde_json::Value = serde_json::from_str(&p.payload).expect("JSON report");
        let kind = body["type"].as_u64();
        assert!(kind == Some(200) || kind == Some(201), "{what}");
        if kind == Some(200) {
            assert!(body["sender_information"]["packets"].is_u64(), "{what}");
        }
        assert!(
            body["ssrc"].is_u64() && body["report_blocks"].is_array(),
            "{what}"
        );
        if let Some(b) = body["report_blocks"].get(0) {
            assert!(
                b["source_ssrc"].is_u64() && b["packets_lost"].is_i64(),
                "{what}"
            );
            with_block += 1;
        }
        // From the peer that sent it to the SBC's odd (RTCP) media port on its side.
        if p.correlation.as_deref() == Some(a_id.as_str()) {
            assert_eq!((p.src.0, p.dst.0), (carrier, outside), "A's: {what}");
            per_leg[0] += 1;
        } else {
            assert_eq!(p.correlation.as_deref(), Some(b_id.as_str()), "{what}");
            assert_eq!((p.src.0, p.dst.0), (pbx, inside), "B's: {what}");
            per_leg[1] += 1;
        }
        assert_eq!(p.dst.1 % 2, 1, "RTCP port: {what}");
    }
    eprintln!(
        "HEP type 5: {per_leg:?} reports (A, B), {with_block} with a report block; first: {:?}",
        reports.first().map(|p| &p.payload)
    );
    assert!(per_leg[0] >= 2 && per_leg[1] >= 2, "{per_leg:?}");
    assert!(with_block >= 2, "{with_block}");
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

/// The `Signal=` values of the DTMF INFOs in `text` (a sipp message log or HEP payloads).
fn signals<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for text in texts {
        for block in text.split("INFO sip:").skip(1) {
            if let Some(v) = block.lines().find_map(|l| l.trim().strip_prefix("Signal=")) {
                out.push(v.trim().to_owned());
            }
        }
    }
    out
}

/// A carrier keying RFC 4733 events "155#" to a PBX in `sip-info` mode (the DTMF lab test's
/// peers, `tests/tests/dtmf.rs`): the SBC sends the PBX one INFO per digit (`Signal=1`, ...), and the HEP copies of those INFOs carry the
/// digits masked (`Signal=x`, Content-Length unchanged) unless both trunks have
/// `show_digits = true`. The PBX always gets the real digits.
fn dtmf_infos_reach_the_collector(show_digits: bool) {
    let lab = Lab::new().expect("create lab");
    let show = if show_digits {
        "show_digits = true\n"
    } else {
        ""
    };
    let config = StandardConfig::default()
        .pbx_keys(&format!("dtmf = \"sip-info\"\n{show}"))
        .carrier_keys(show)
        .extra(&format!(
            "\n[hep]\ncollector = \"udp:{PBX_IP}:{COLLECTOR_PORT}\"\nid = 3\n"
        ))
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let python = cmd::python().expect("python3").display().to_string();
    let (_collector, out) = collector(&lab, &python, "hep-dtmf");
    let tool = sbc_lab::dtmf_tool::dtmf_tool();
    let rtp_out = lab.artifacts().unique_path("hep-dtmf-rtp", ".txt");
    let pbx = lab
        .sipp(Ns::Pbx, "dtmf_info_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let carrier = lab
        .sipp(Ns::Carrier, "dtmf_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "3500"])
        .args(tool_keys(&[("rtp_out", &rtp_out)]).expect("python3"))
        .args([
            "-key",
            "dtmf_tool",
            &tool,
            "-key",
            "dtmf_args",
            "--events 155# --seconds 3",
        ])
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("sipp caller");
    let pbx = pbx.finish().expect("sipp callee");
    assert!(
        carrier.success() && pbx.success(),
        "{}\n{}\n--- sbc:\n{}",
        carrier.report(),
        pbx.report(),
        sbc.log_tail()
    );
    assert_eq!(
        signals(std::iter::once(pbx.messages.as_str())),
        ["1", "5", "5", "#"],
        "the PBX gets the real digits"
    );
    let b_id = call_id(&pbx.messages).expect("B's Call-ID").to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    let infos = loop {
        let infos: Vec<Hep> = read_packets(&out)
            .into_iter()
            .filter(|p| p.payload.starts_with("INFO ") && call_id(&p.payload) == Some(&b_id))
            .collect();
        if infos.len() >= 4 || Instant::now() > deadline {
            break infos;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let want = if show_digits {
        ["1", "5", "5", "#"]
    } else {
        ["x"; 4]
    };
    assert_eq!(
        signals(infos.iter().map(|p| p.payload.as_str())),
        want,
        "show_digits = {show_digits}: {infos:#?}"
    );
    for p in &infos {
        let (head, body) = p.payload.split_once("\r\n\r\n").expect("head and body");
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        assert_eq!(
            length,
            Some(body.len()),
            "Content-Length still right: {p:#?}"
        );
    }
    eprintln!(
        "HEP copies of the SBC's INFOs (show_digits = {show_digits}): {:?}",
        signals(infos.iter().map(|p| p.payload.as_str()))
    );
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}

#[test]
fn dtmf_infos_reach_the_collector_masked() {
    dtmf_infos_reach_the_collector(false);
}

#[test]
fn dtmf_infos_reach_the_collector_unmasked_when_both_trunks_show_digits() {
    dtmf_infos_reach_the_collector(true);
}

/// One sipp call from the carrier to the PBX; the callee's Call-ID.
fn one_call(lab: &Lab, sbc: &sbc_lab::SbcProcess) -> String {
    let callee = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let caller = lab
        .sipp(Ns::Carrier, "call_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("sipp caller");
    let callee = callee.finish().expect("sipp callee");
    assert!(
        caller.success() && callee.success(),
        "{}\n{}\n--- sbc:\n{}",
        caller.report(),
        callee.report(),
        sbc.log_tail()
    );
    call_id(&callee.messages).expect("B's Call-ID").to_owned()
}

/// The captures of Call-ID `id` the collector wrote to `out`, waiting (bounded) for `want`.
fn captures_of(out: &Path, id: &str, want: usize) -> Vec<Hep> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let of: Vec<Hep> = read_packets(out)
            .into_iter()
            .filter(|p| call_id(&p.payload) == Some(id))
            .collect();
        if of.len() >= want || Instant::now() > deadline {
            return of;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `[hep]` on reload: a call captured to the first collector; the config rewritten with
/// another collector port and agent id, SIGHUP; the next call's captures reach the new
/// collector with the new id and none the old one; `[hep]` removed and reloaded: a third
/// call reaches neither.
#[test]
fn a_reload_moves_the_capture_to_another_collector_and_can_stop_it() {
    const NEW_PORT: u16 = COLLECTOR_PORT + 4;
    let lab = Lab::new().expect("create lab");
    let base = StandardConfig::default();
    let with_hep = |port: u16, id: u32| {
        base.clone()
            .extra(&format!(
                "\n[hep]\ncollector = \"udp:{PBX_IP}:{port}\"\nid = {id}\n"
            ))
            .render()
    };
    let sbc = lab
        .start_sbc(&with_hep(COLLECTOR_PORT, 5))
        .expect("start sbc");
    let python = cmd::python().expect("python3").display().to_string();
    let (_old, old_out) = collector(&lab, &python, "hep-old");
    let new_out = lab.artifacts().unique_path("hep-new", ".hex");
    let sink = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/udp_sink.py");
    let _new = lab
        .spawn(
            Ns::Pbx,
            &[
                python.as_str(),
                &sink.display().to_string(),
                "--bind",
                &format!("{PBX_IP}:{NEW_PORT}"),
                "--out",
                &new_out.display().to_string(),
            ],
        )
        .expect("start the second collector");

    let first = one_call(&lab, &sbc);
    let got = captures_of(&old_out, &first, 6);
    assert!(
        got.len() >= 6 && got.iter().all(|p| p.agent == 5),
        "{got:#?}"
    );

    let reloaded = |what: &str, needle: &str| {
        sbc.signal(Signal::Hup).expect("SIGHUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sbc.log().contains(needle) {
            assert!(Instant::now() < deadline, "{what}: {}", sbc.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    sbc.write_config(&with_hep(NEW_PORT, 6))
        .expect("rewrite config");
    reloaded("new collector", "reload: HEP capture changed");
    let second = one_call(&lab, &sbc);
    let got = captures_of(&new_out, &second, 6);
    assert!(
        got.len() >= 6 && got.iter().all(|p| p.agent == 6),
        "{got:#?}"
    );
    assert!(
        captures_of(&old_out, &second, 1).is_empty(),
        "the old collector got the second call"
    );

    sbc.write_config(&base.render()).expect("rewrite config");
    reloaded("off", "reload: HEP capture off");
    let third = one_call(&lab, &sbc);
    // The first call's captures are there by now; the third's never come.
    std::thread::sleep(Duration::from_secs(2));
    let stray = [&old_out, &new_out]
        .iter()
        .flat_map(|out| read_packets(out))
        .filter(|p| call_id(&p.payload) == Some(third.as_str()))
        .count();
    assert_eq!(stray, 0, "captures of a call after [hep] was removed");
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
}
