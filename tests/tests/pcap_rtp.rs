//! RTP in the per-call pcap (issue 15 item 5): real calls through the daemon, picked for
//! capture over the management API while up, their pcap downloaded and read by tshark.
//!
//! * A plain call (carrier sipp + tests/tools/rtp.py sending PCMA and the digit 1 as
//!   RFC 4733 events, the pbx echoing everything): every RTP packet of both legs, both
//!   ways, is in the pcap with the caller's SSRC and the counts the peers sent, tshark
//!   decoding it as RTP from the SDP of the SIP in the same file (no `-d`), and every
//!   telephone-event's code masked (255).
//! * An SRTP call (the carrier keys its leg with SDES over UDP, `sdes_without_tls`; the pbx
//!   stays plain): the carrier's leg is in the pcap in the clear — its packets have no
//!   authentication tag and carry the same payload as the pbx leg's for each sequence
//!   number — and its events are masked too.
//! * With `[media] kernel_forwarding = true`: a call the kernel forwards is taken back to
//!   userspace when picked (logged `why=capture`), its packets are captured, and it goes
//!   back to the kernel when the capture stops.
//! * In the browser (e2e.mjs phase `capture`): a live call's ladder page starts the capture,
//!   shows packets counted, and stops it; the pcap then holds both legs' RTP. Screenshots
//!   stay in tests/artifacts/<this test>/screenshots/.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sbc_lab::config::MGMT_LISTEN;
use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{BrowserTest, Lab, Mgmt, Ns, RunningSipp, SbcProcess, StandardConfig, cmd};
use serde_json::Value;

const CALLER_SSRC: &str = "0xca110001";
/// A key for the carrier's SRTP (30 bytes, base64): what rtp.py protects with.
const CARRIER_KEY: &str = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";

/// The live call's number, once `/api/calls` lists it.
fn live_call(mgmt: &Mgmt<'_>, sbc: &SbcProcess) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = mgmt.get("/api/calls").expect("GET /api/calls");
        let calls: Vec<Value> = serde_json::from_str(&body).expect("JSON");
        let id = calls
            .iter()
            .find_map(|c| c["id"].as_str()?.strip_prefix("call#")?.parse().ok());
        if let Some(id) = id {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "the call never showed up\n{}",
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Which way a packet went on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Way {
    /// Carrier -> SBC (leg A, received).
    AIn,
    /// SBC -> pbx (leg B, sent).
    BOut,
    /// pbx -> SBC (leg B, received).
    BIn,
    /// SBC -> carrier (leg A, sent).
    AOut,
}

/// One RTP packet as tshark decoded it.
#[derive(Debug, Clone)]
struct Rtp {
    way: Way,
    ssrc: String,
    seq: u16,
    pt: u8,
    udp_len: usize,
    event: Option<u8>,
    payload: String,
}

/// `tshark -Y rtp` on the pcap: every RTP packet with its direction.
fn read_rtp(lab: &Lab, pcap: &std::path::Path) -> Vec<Rtp> {
    let tshark = cmd::require_tool(
        "tshark",
        "apt-get install tshark (scripts/setup installs it)",
    )
    .expect("tshark");
    let mut argv = vec![tshark.display().to_string()];
    argv.extend(
        [
            "-r",
            &pcap.display().to_string(),
            "-Y",
            "rtp",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "rtp.ssrc",
            "-e",
            "rtp.seq",
            "-e",
            "rtp.p_type",
            "-e",
            "udp.length",
            "-e",
            "rtpevent.event_id",
            "-e",
            "rtp.payload",
        ]
        .map(str::to_owned),
    );
    let out = lab.exec_ok(Ns::Sbc, &argv).expect("tshark reads the pcap");
    let (carrier, pbx) = (CARRIER_IP.to_string(), PBX_IP.to_string());
    let (outside, inside) = (SBC_OUTSIDE_IP.to_string(), SBC_INSIDE_IP.to_string());
    out.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            assert_eq!(f.len(), 8, "{line}");
            let way = match (f[0], f[1]) {
                (s, d) if s == carrier && d == outside => Way::AIn,
                (s, d) if s == inside && d == pbx => Way::BOut,
                (s, d) if s == pbx && d == inside => Way::BIn,
                (s, d) if s == outside && d == carrier => Way::AOut,
                _ => panic!("RTP between unexpected addresses: {line}"),
            };
            Rtp {
                way,
                ssrc: f[2].to_owned(),
                seq: f[3].parse().expect("seq"),
                pt: f[4].parse().expect("pt"),
                udp_len: f[5].parse().expect("udp length"),
                event: f[6].parse().ok(),
                payload: f[7].to_owned(),
            }
        })
        .collect()
}

fn per_way(packets: &[Rtp]) -> BTreeMap<Way, usize> {
    let mut m = BTreeMap::new();
    for p in packets {
        *m.entry(p.way).or_default() += 1;
    }
    m
}

/// One captured call: the caller's and the pbx's RTP results and the pcap's RTP.
struct Captured {
    caller: RtpResult,
    pbx: RtpResult,
    rtp: Vec<Rtp>,
    ladder: Value,
}

/// The two sipp peers of a capture call, running, and where their RTP tools write.
struct Peers {
    pbx: RunningSipp,
    caller: RunningSipp,
    pbx_out: PathBuf,
    caller_out: PathBuf,
}

/// Starts the echoing pbx (`echo` packets back) and then the carrier calling it for
/// `call_ms`, its RTP tool sending PCMA from [`CALLER_SSRC`] with `rtp_args`, offering
/// `proto` with `media_attr`; both sipp runs bounded by `timeout`.
fn start_peers(
    lab: &Lab,
    tag: &str,
    echo: u32,
    rtp_args: &str,
    (proto, media_attr): (&str, &str),
    call_ms: u32,
    timeout: Duration,
) -> Peers {
    let pbx_out = lab
        .artifacts()
        .unique_path(&format!("pbx-rtp-{tag}"), ".json");
    let caller_out = lab
        .artifacts()
        .unique_path(&format!("carrier-rtp-{tag}"), ".json");
    let pbx = lab
        .sipp(Ns::Pbx, "capture_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out)]).expect("python3"))
        .args(["-key", "echo_count", &echo.to_string()])
        .timeout(timeout)
        .spawn()
        .expect("sipp pbx");
    std::thread::sleep(Duration::from_millis(300));
    let rtp_args = format!("--alaw --ssrc {} {rtp_args}", &CALLER_SSRC[2..]);
    let caller = lab
        .sipp(Ns::Carrier, "capture_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(tool_keys(&[("rtp_out", &caller_out)]).expect("python3"))
        .args(["-key", "proto", proto, "-key", "media_attr", media_attr])
        .args(["-key", "rtp_args", &rtp_args])
        .args(["-s", "4930123", "-d", &call_ms.to_string()])
        .timeout(timeout)
        .spawn()
        .expect("sipp caller");
    Peers {
        pbx,
        caller,
        pbx_out,
        caller_out,
    }
}

/// A call from the carrier to the echoing pbx, picked for capture as soon as it is up;
/// `srtp`: the carrier's leg keyed with [`CARRIER_KEY`].
fn captured_call(lab: &Lab, sbc: &SbcProcess, mgmt: &Mgmt<'_>, srtp: bool) -> Captured {
    let tag = if srtp { "srtp" } else { "plain" };
    // 2.5 s of quiet after the answer (the test picks the call then), 100 packets of
    // PCMA with the digit 1 as events from packet 20.
    let mut rtp_args =
        "--delay 2.5 --count 100 --dtmf 1 --dtmf-pt 101 --dtmf-at 20 --wait 1.5".to_owned();
    let (proto, attr) = if srtp {
        rtp_args.push_str(&format!(" --srtp-key {CARRIER_KEY}"));
        (
            "RTP/SAVP",
            format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{CARRIER_KEY}"),
        )
    } else {
        ("RTP/AVP", "a=ptime:20".to_owned())
    };
    let Peers {
        pbx,
        caller,
        pbx_out,
        caller_out,
    } = start_peers(
        lab,
        tag,
        400,
        &rtp_args,
        (proto, &attr),
        6500,
        Duration::from_secs(30),
    );
    let call = live_call(mgmt, sbc);
    let (status, body) = mgmt
        .request("POST", &format!("/api/calls/{call}/capture"), None)
        .expect("POST capture");
    assert_eq!(status, 200, "{body}\n{}", sbc.log_tail());
    let state: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(state["capturing"], true, "{body}");
    let caller_run = caller.finish().expect("sipp caller");
    let pbx_run = pbx.finish().expect("sipp pbx");
    for (who, run) in [("caller", &caller_run), ("pbx", &pbx_run)] {
        assert!(
            run.success(),
            "{who}:\n{}\n--- sbc:\n{}",
            run.report(),
            sbc.log_tail()
        );
    }
    let caller = RtpResult::wait(&caller_out, Duration::from_secs(10)).expect("caller's RTP");
    let pbx = RtpResult::wait(&pbx_out, Duration::from_secs(10)).expect("pbx's RTP");
    let ladder: Value = serde_json::from_str(
        &mgmt
            .get(&format!("/api/calls/{call}/ladder"))
            .expect("ladder"),
    )
    .expect("JSON");
    let pcap = lab.dir().join(format!("call-{call}-{tag}.pcap"));
    mgmt.download(&format!("/api/calls/{call}/pcap"), &pcap)
        .expect("pcap");
    let rtp = read_rtp(lab, &pcap);
    Captured {
        caller,
        pbx,
        rtp,
        ladder,
    }
}

/// What every captured call shows: both legs both ways, the counts the peers sent, the
/// caller's SSRC on both legs, events masked.
fn check_both_legs(c: &Captured, what: &str) {
    let ways = per_way(&c.rtp);
    let context = || {
        format!(
            "{what}: {ways:?}\ncaller: {}\npbx: {}\nladder rtp: {}",
            c.caller.raw, c.pbx.raw, c.ladder["rtp"]
        )
    };
    assert!(c.caller.sent >= 100, "{}", context());
    assert_eq!(
        ways.get(&Way::AIn),
        Some(&(c.caller.sent as usize)),
        "{}",
        context()
    );
    assert_eq!(
        ways.get(&Way::BOut),
        Some(&(c.caller.sent as usize)),
        "{}",
        context()
    );
    assert!(c.pbx.sent > 0, "{}", context());
    assert_eq!(
        ways.get(&Way::BIn),
        Some(&(c.pbx.sent as usize)),
        "{}",
        context()
    );
    assert_eq!(
        ways.get(&Way::AOut),
        Some(&(c.pbx.sent as usize)),
        "{}",
        context()
    );
    let ssrcs: BTreeSet<&str> = c.rtp.iter().map(|p| p.ssrc.as_str()).collect();
    assert_eq!(ssrcs, BTreeSet::from([CALLER_SSRC]), "{}", context());
    let seqs: BTreeSet<u16> = c
        .rtp
        .iter()
        .filter(|p| p.way == Way::AIn)
        .map(|p| p.seq)
        .collect();
    assert_eq!(
        seqs.len(),
        c.caller.sent as usize,
        "every sequence number once"
    );
    let events: Vec<&Rtp> = c.rtp.iter().filter(|p| p.pt == 101).collect();
    let event_ways: BTreeSet<Way> = events.iter().map(|p| p.way).collect();
    assert_eq!(
        event_ways.len(),
        4,
        "events in all four directions: {}",
        context()
    );
    // The event code is the payload's first byte; tshark names it where the SDP of that
    // conversation maps 101 to telephone-event.
    let codes: Vec<(Way, Option<u8>, &str)> = events
        .iter()
        .map(|p| (p.way, p.event, p.payload.get(..2).unwrap_or("")))
        .collect();
    assert!(
        codes
            .iter()
            .all(|&(_, event, first)| first == "ff" && event.is_none_or(|e| e == 255)),
        "every event code masked: {codes:?}"
    );
    assert!(
        codes.iter().any(|&(_, event, _)| event == Some(255)),
        "tshark reads them as telephone-events: {codes:?}"
    );
    assert_eq!(c.ladder["rtp"]["dropped"], 0, "{}", context());
    assert_eq!(
        c.ladder["rtp"]["packets"].as_u64(),
        Some(c.rtp.len() as u64),
        "the ladder counts what the pcap holds: {}",
        context()
    );
    assert_eq!(c.ladder["rtp"]["capturing"], false, "the call ended");
}

fn config(extra_carrier: &str, media: &str) -> String {
    StandardConfig {
        firewall: true,
        ..StandardConfig::default()
    }
    .carrier_keys(extra_carrier)
    .extra(media)
    .render()
}

#[test]
fn a_plain_and_an_srtp_call_are_captured_both_legs_in_the_clear_with_events_masked() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&config(
            "srtp = \"optional\"\nsdes_without_tls = true\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n",
            "",
        ))
        .expect("start sbc");
    let mgmt = Mgmt::login(&lab, &sbc).expect("management login");

    let plain = captured_call(&lab, &sbc, &mgmt, false);
    check_both_legs(&plain, "plain");
    assert!(
        plain
            .rtp
            .iter()
            .filter(|p| p.pt == 8)
            .all(|p| p.udp_len == 8 + 12 + 160),
        "PCMA packets as sent"
    );

    let srtp = captured_call(&lab, &sbc, &mgmt, true);
    check_both_legs(&srtp, "srtp");
    // Leg A is SRTP on the wire: in the pcap its packets are plain RTP (no 10-byte tag)
    // with the payload leg B (plain on the wire) carries for the same sequence number.
    let audio = |way: Way| -> BTreeMap<u16, (usize, String)> {
        srtp.rtp
            .iter()
            .filter(|p| p.way == way && p.pt == 8)
            .map(|p| (p.seq, (p.udp_len, p.payload.clone())))
            .collect()
    };
    let (a_in, b_out) = (audio(Way::AIn), audio(Way::BOut));
    assert!(!a_in.is_empty());
    for (seq, (len, payload)) in &a_in {
        assert_eq!(*len, 8 + 12 + 160, "seq {seq}: no SRTP tag in the capture");
        let b = b_out.get(seq).map(|(_, p)| p.as_str());
        assert_eq!(
            b,
            Some(payload.as_str()),
            "seq {seq}: decrypted as the pbx got it"
        );
    }
    let (b_in, a_out) = (audio(Way::BIn), audio(Way::AOut));
    assert_eq!(
        b_in, a_out,
        "what went to the carrier, before it was protected"
    );
}

#[test]
fn a_kernel_forwarded_call_is_taken_back_while_captured_and_handed_over_after() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab
        .start_sbc(&config(
            "",
            "\n[media]\nkernel_forwarding = true\nlatch_window_ms = 300\n",
        ))
        .expect("start sbc");
    let mgmt = Mgmt::login(&lab, &sbc).expect("management login");
    let mark = sbc.log_mark();
    let Peers {
        pbx,
        caller,
        caller_out,
        ..
    } = start_peers(
        &lab,
        "kernel",
        400,
        "--delay 0.2 --count 300 --wait 1.5",
        ("RTP/AVP", "a=ptime:20"),
        7000,
        Duration::from_secs(30),
    );
    let call = live_call(&mgmt, &sbc);
    sbc.wait_for_log(
        mark,
        "media forwarded by the kernel",
        Duration::from_secs(5),
    )
    .expect("handed to the kernel before the capture");
    let picked = sbc.log_mark();
    let (status, body) = mgmt
        .request("POST", &format!("/api/calls/{call}/capture"), None)
        .expect("POST capture");
    assert_eq!(status, 200, "{body}");
    let back = sbc
        .wait_for_log(picked, "media back in userspace", Duration::from_secs(5))
        .expect("taken back from the kernel");
    assert!(back.contains("capture"), "why=capture:\n{back}");
    std::thread::sleep(Duration::from_millis(1500));
    let stopped = sbc.log_mark();
    let (status, body) = mgmt
        .request("DELETE", &format!("/api/calls/{call}/capture"), None)
        .expect("DELETE capture");
    assert_eq!(status, 200, "{body}");
    sbc.wait_for_log(
        stopped,
        "media forwarded by the kernel",
        Duration::from_secs(5),
    )
    .expect("handed to the kernel again after the capture");
    let caller = caller.finish().expect("sipp caller");
    let pbx = pbx.finish().expect("sipp pbx");
    assert!(
        caller.success() && pbx.success(),
        "{}\n{}",
        caller.report(),
        pbx.report()
    );
    let pcap = lab.dir().join(format!("call-{call}-kernel.pcap"));
    mgmt.download(&format!("/api/calls/{call}/pcap"), &pcap)
        .expect("pcap");
    let rtp = read_rtp(&lab, &pcap);
    let ways = per_way(&rtp);
    let carrier = RtpResult::wait(&caller_out, Duration::from_secs(10)).expect("caller's RTP");
    eprintln!(
        "captured while picked: {ways:?} of {} sent by the carrier",
        carrier.sent
    );
    assert_eq!(ways.len(), 4, "both legs both ways while picked: {ways:?}");
    // About 1.5 s of 50 packets/s each way: the capture was in userspace.
    assert!(ways.values().all(|&n| n >= 20), "{ways:?}");
    assert!(
        ways.values().all(|&n| n < carrier.sent as usize),
        "only while picked: {ways:?}"
    );
}

#[test]
fn the_ladder_page_of_a_live_call_starts_and_stops_the_capture_in_the_browser() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_sbc(&config("", "")).expect("start sbc");
    let mgmt = Mgmt::login(&lab, &sbc).expect("management login");
    // 30 s of RTP: time for the browser to log in, start, watch and stop.
    let Peers { pbx, caller, .. } = start_peers(
        &lab,
        "browser",
        2000,
        "--delay 0.2 --count 1500 --wait 1.5",
        ("RTP/AVP", "a=ptime:20"),
        31000,
        Duration::from_secs(60),
    );
    let call = live_call(&mgmt, &sbc);
    let browser = BrowserTest::new(&lab)
        .expect("browser test prerequisites")
        .env("SBC_URL", format!("https://{MGMT_LISTEN}"))
        .env("SBC_PASSWORD", sbc_lab::mgmt::PASSWORD)
        .env("CALL", call.to_string());
    let run = browser
        .run("capture")
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()));
    assert!(run.stdout.contains("passed"), "{}", run.stdout);
    let ladder: Value = serde_json::from_str(
        &mgmt
            .get(&format!("/api/calls/{call}/ladder"))
            .expect("ladder"),
    )
    .expect("JSON");
    assert_eq!(ladder["rtp"]["capturing"], false, "stopped in the browser");
    assert!(
        ladder["rtp"]["packets"].as_u64().is_some_and(|n| n > 0),
        "{}",
        ladder["rtp"]
    );
    let audit = mgmt.get("/api/audit").expect("audit");
    assert!(
        audit.contains(&format!("stop capture call {call}"))
            && audit.contains(&format!("\"capture call {call}\"")),
        "{audit}"
    );
    let pcap = lab.dir().join(format!("call-{call}-browser.pcap"));
    mgmt.download(&format!("/api/calls/{call}/pcap"), &pcap)
        .expect("pcap");
    let ways = per_way(&read_rtp(&lab, &pcap));
    assert_eq!(ways.len(), 4, "both legs both ways: {ways:?}");
    let caller = caller.finish().expect("sipp caller");
    let pbx = pbx.finish().expect("sipp pbx");
    assert!(
        caller.success() && pbx.success(),
        "{}\n{}",
        caller.report(),
        pbx.report()
    );
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
    let kept = lab.artifacts().keep().expect("keep artifacts");
    eprintln!("screenshots: {}", kept.join("screenshots").display());
}
