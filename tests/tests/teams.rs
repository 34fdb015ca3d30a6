//! Microsoft Teams Direct Routing replayed in the lab: the trunk runs on
//! `profile = "teams"` with only `peers` and `tls_ca` overridden (the lab cannot reach
//! Microsoft), so every other value of the profile is in force: SRTP required with
//! AES_CM_128_HMAC_SHA1_80, ICE-lite, OPTIONS every 60 s, REFER handled, the `X-MS-SBC`
//! header rule. `tools/tls_ua.py` plays Microsoft's SIP proxy over TLS in the carrier
//! namespace (Debian's sipp has no TLS) and runs `tools/rtp.py` for SRTP media; a sipp
//! PBX with plain RTP sits in the pbx namespace. The realm's `domain` is `sbc.lab.test`,
//! a name of the SBC's certificate.
//!
//! * OPTIONS both ways: the SBC's probe (within its first 5 s) has `sip:` URIs without
//!   userinfo, the FQDN in Via/From/Contact and `X-MS-SBC`; the SBC's 200 to the Teams
//!   side's OPTIONS has the FQDN Contact and an Allow with REFER and without REGISTER.
//! * An inbound call (Teams -> PBX) and an outbound one (PBX -> Teams): SDES SRTP with
//!   rtcp-mux offered by the Teams side (every packet received there authenticated under
//!   the key the SBC's SDP gave), plain RTP on the PBX side, media both ways.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sbc_lab::rtp::{RtpResult, rtp_tool, tool_keys};
use sbc_lab::topology::{
    CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_TLS_PORT, sip_addr,
};
use sbc_lab::{Lab, LabChild, Ns, SbcProcess, StandardConfig, TestCa};

/// The SBC's FQDN on the Teams realm.
const FQDN: &str = "sbc.lab.test";

/// What a run of the TLS UA printed.
#[derive(Debug)]
struct UaOutcome {
    result: String,
    received: Vec<String>,
    notes: Vec<String>,
    stderr: String,
}

impl UaOutcome {
    fn ok(&self) -> bool {
        self.result == "ok"
    }

    fn report(&self) -> String {
        format!(
            "tls_ua result {:?}\n--- notes:\n{}\n--- received:\n{}\n--- stderr:\n{}",
            self.result,
            self.notes.join("\n"),
            self.received.join("\n----\n"),
            self.stderr.trim_end()
        )
    }

    /// The first received message whose start line begins with `start`.
    fn message(&self, start: &str) -> Option<&str> {
        self.received
            .iter()
            .find(|m| m.starts_with(start))
            .map(String::as_str)
    }
}

fn ua_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/tls_ua.py")
}

fn spawn_ua(lab: &Lab, args: &[String]) -> LabChild {
    let mut argv = vec!["python3".to_owned(), ua_script().display().to_string()];
    argv.extend(args.iter().cloned());
    lab.spawn(Ns::Carrier, &argv).expect("start tls_ua.py")
}

fn finish_ua(mut child: LabChild, budget: Duration) -> UaOutcome {
    // The UA ends itself at --wait; the budget only guards against a hang.
    let _ = child.wait_timeout(budget);
    child.kill();
    let mut outcome = UaOutcome {
        result: "none (no result line)".into(),
        received: Vec::new(),
        notes: Vec::new(),
        stderr: child.stderr(),
    };
    for line in child.stdout().lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "recv" => outcome.received.push(unhex(rest)),
            "note" => outcome.notes.push(rest.to_owned()),
            "result" => outcome.result = rest.to_owned(),
            _ => {}
        }
    }
    outcome
}

fn unhex(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn wait_listening(child: &LabChild) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !child.stdout().contains("note listening") {
        assert!(
            Instant::now() < deadline,
            "tls_ua.py serve did not listen:\n{}",
            child.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of header `name` in a message's header section.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The lab, its CA, and the Teams side's certificate.
struct TeamsLab {
    lab: Lab,
    ca: TestCa,
    teams_cert: sbc_lab::CertFiles,
    sbc: SbcProcess,
}

impl TeamsLab {
    /// The SBC with trunk "teams" on the Teams profile (peers and tls_ca overridden)
    /// towards the carrier namespace, routed both ways to the PBX.
    fn start() -> TeamsLab {
        let lab = Lab::new().expect("create lab");
        let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
        let sbc_cert = ca
            .server("sbc", &[FQDN, &SBC_OUTSIDE_IP.to_string()])
            .expect("SBC certificate");
        let teams_cert = ca
            .server("teams", &[&CARRIER_IP.to_string()])
            .expect("Teams proxy certificate");
        let trunk = format!(
            "\n[[trunk]]\nname = \"teams\"\nrealm = \"outside\"\nprofile = \"teams\"\n\
             peers = [\"tls:{CARRIER_IP}:{SIP_TLS_PORT}\"]\ntls_ca = \"{}\"\n\
             \n[[route]]\nfrom = \"teams\"\nto = \"pbx\"\n\
             \n[[route]]\nfrom = \"pbx\"\nto = \"teams\"\n",
            ca.ca_path().display()
        );
        let config = StandardConfig::default()
            .without_carrier_trunk()
            .outside_tls(&sbc_cert)
            .outside_tls_keys(&format!("domain = \"{FQDN}\"\n"))
            .extra(&trunk)
            .render();
        let sbc = lab
            .start_sbc(&config)
            .expect("start sbc on the Teams profile");
        TeamsLab {
            lab,
            ca,
            teams_cert,
            sbc,
        }
    }

    /// `tls_ua.py serve` as Microsoft's proxy on the trunk's peer address.
    fn serve(&self, extra: &[String]) -> LabChild {
        let mut args = vec![
            "serve".to_owned(),
            format!("--listen={CARRIER_IP}:{SIP_TLS_PORT}"),
            format!("--cert={}", self.teams_cert.cert.display()),
            format!("--key={}", self.teams_cert.key.display()),
        ];
        args.extend(extra.iter().cloned());
        let child = spawn_ua(&self.lab, &args);
        wait_listening(&child);
        child
    }

    /// Arguments of a `tls_ua.py` client mode towards the SBC's TLS listener by its FQDN.
    fn client(&self, mode: &str) -> Vec<String> {
        vec![
            mode.to_owned(),
            format!("--to={SBC_OUTSIDE_IP}:{SIP_TLS_PORT}"),
            format!("--bind={CARRIER_IP}"),
            format!("--ca={}", self.ca.ca_path().display()),
            format!("--server-name={FQDN}"),
        ]
    }

    fn assert_clean(&mut self) {
        assert!(self.sbc.is_running(), "sbc died:\n{}", self.sbc.log_tail());
        assert!(self.sbc.panics().is_empty(), "{:?}", self.sbc.panics());
    }
}

/// The SBC's Contact on the Teams realm.
fn fqdn_contact() -> String {
    format!("<sip:{FQDN}:{SIP_TLS_PORT};transport=tls>")
}

fn assert_x_ms_sbc(message: &str) {
    let value = header(message, "X-MS-SBC").unwrap_or_else(|| panic!("no X-MS-SBC:\n{message}"));
    assert_eq!(
        value,
        concat!("EdgeSBC/sbc/", env!("CARGO_PKG_VERSION")),
        "{message}"
    );
}

#[test]
fn options_both_ways_carry_the_fqdn_and_a_truthful_allow() {
    let mut t = TeamsLab::start();
    // Microsoft's proxy waits for the SBC's OPTIONS: it comes within the first 5 s.
    let proxy = t.serve(&["--calls=0".into(), "--wait=20".into()]);
    let proxy = finish_ua(proxy, Duration::from_secs(30));
    assert!(
        proxy.ok(),
        "no OPTIONS from the SBC:\n{}\n--- sbc:\n{}",
        proxy.report(),
        t.sbc.log_tail()
    );
    let probe = proxy.message("OPTIONS ").expect("the SBC's OPTIONS");
    let request_line = probe.lines().next().unwrap_or_default();
    assert_eq!(
        request_line,
        format!("OPTIONS sip:{CARRIER_IP}:{SIP_TLS_PORT};transport=tls SIP/2.0")
    );
    for name in ["From", "To", "Contact"] {
        let value = header(probe, name).unwrap_or_else(|| panic!("no {name}:\n{probe}"));
        assert!(
            !value.contains('@') && !value.contains("sips:"),
            "{name} without userinfo, not sips: {value}"
        );
    }
    assert_eq!(header(probe, "Contact"), Some(fqdn_contact().as_str()));
    assert!(
        header(probe, "Via")
            .is_some_and(|v| v.starts_with(&format!("SIP/2.0/TLS {FQDN}:{SIP_TLS_PORT};"))),
        "{probe}"
    );
    assert!(
        header(probe, "From").is_some_and(|f| f.contains(FQDN)),
        "{probe}"
    );
    assert_x_ms_sbc(probe);

    // The other way: Microsoft's OPTIONS to the SBC's FQDN.
    let mut args = t.client("options");
    args.push(format!("--uri=sip:{FQDN}:{SIP_TLS_PORT};transport=tls"));
    let teams = finish_ua(spawn_ua(&t.lab, &args), Duration::from_secs(20));
    assert!(
        teams.ok(),
        "OPTIONS to the SBC failed:\n{}\n--- sbc:\n{}",
        teams.report(),
        t.sbc.log_tail()
    );
    let answer = teams.message("SIP/2.0 200").expect("the 200");
    assert_eq!(header(answer, "Contact"), Some(fqdn_contact().as_str()));
    let allow: Vec<&str> = header(answer, "Allow")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    for method in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REFER"] {
        assert!(allow.contains(&method), "Allow lists {method}: {allow:?}");
    }
    assert!(
        !allow.contains(&"REGISTER"),
        "the Teams realm relays no registrations: {allow:?}"
    );
    assert_x_ms_sbc(answer);
    t.assert_clean();
}

/// The SBC's SDP towards Teams: SRTP with the one suite of the profile and its ICE-lite
/// lines. (rtcp-mux is negotiated end to end today: the SBC offers it to Teams only when
/// the PBX offered it, and answers it only when the PBX accepted it.)
fn assert_teams_sdp(message: &str) {
    let body = message.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains(" RTP/SAVP "), "SRTP profile:\n{message}");
    let cryptos: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("a=crypto:"))
        .collect();
    assert!(
        !cryptos.is_empty()
            && cryptos
                .iter()
                .all(|l| l.contains(" AES_CM_128_HMAC_SHA1_80 inline:")),
        "only AES_CM_128_HMAC_SHA1_80: {cryptos:?}"
    );
    assert!(body.contains("a=ice-lite"), "ICE-lite:\n{message}");
    assert!(
        body.contains(&format!("c=IN IP4 {SBC_OUTSIDE_IP}")),
        "{message}"
    );
}

/// Media through the SBC: the Teams side's packets all authenticate under the SBC's key
/// and the PBX hears plain PCMU from the Teams side.
fn assert_media(teams: &RtpResult, pbx: &RtpResult) {
    assert!(
        teams.rtp >= 40 && teams.authenticated == teams.rtp,
        "the Teams side got SRTP under the SBC's key: {}",
        teams.raw
    );
    assert!(
        teams.sources.len() == 1 && teams.sources[0].starts_with(&format!("{SBC_OUTSIDE_IP}:")),
        "from one port of the SBC: {:?}",
        teams.sources
    );
    assert!(
        pbx.rtp >= 40 && pbx.sizes == [160] && pbx.pts == [0],
        "the PBX got plain PCMU, 160-byte payloads: {}",
        pbx.raw
    );
    assert!(
        pbx.sources
            .iter()
            .all(|s| s.starts_with(&format!("{SBC_INSIDE_IP}:"))),
        "from the SBC only: {:?}",
        pbx.sources
    );
}

#[test]
fn an_inbound_srtp_call_from_teams_reaches_a_plain_rtp_pbx() {
    let mut t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp PBX");
    std::thread::sleep(Duration::from_millis(300));
    let mut args = t.client("call");
    args.extend([
        "--user=+4930123".to_owned(),
        "--hold-ms=3000".into(),
        "--wait=20".into(),
        "--srtp".into(),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let teams = finish_ua(spawn_ua(&t.lab, &args), Duration::from_secs(30));
    let pbx = pbx.finish().expect("sipp PBX");
    assert!(
        teams.ok() && pbx.success(),
        "call failed:\n{}\n--- pbx:\n{}\n--- sbc:\n{}",
        teams.report(),
        pbx.report(),
        t.sbc.log_tail()
    );
    let answer = teams
        .received
        .iter()
        .find(|m| m.starts_with("SIP/2.0 200") && m.contains("CSeq: 1 INVITE"))
        .expect("the 200 to the INVITE");
    assert_teams_sdp(answer);
    assert!(
        header(answer, "Contact").is_some_and(|c| c.contains(&format!("@{FQDN}:{SIP_TLS_PORT}"))
            || c.contains(&format!("sip:{FQDN}:{SIP_TLS_PORT}"))),
        "FQDN Contact: {answer}"
    );
    assert!(!answer.contains("sips:"), "{answer}");
    assert_x_ms_sbc(answer);
    let teams_rtp = RtpResult::wait(&teams_rtp, Duration::from_secs(10)).expect("Teams RTP");
    let pbx_rtp = RtpResult::wait(&pbx_rtp, Duration::from_secs(10)).expect("PBX RTP");
    assert_media(&teams_rtp, &pbx_rtp);
    t.assert_clean();
}

#[test]
fn an_outbound_call_from_the_pbx_reaches_teams_with_srtp() {
    let mut t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let proxy = t.serve(&[
        "--calls=1".into(),
        "--wait=25".into(),
        "--srtp".into(),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "media_uac.xml", sip_addr(SBC_INSIDE_IP))
        .args(["-s", "+4930123", "-d", "3000"])
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp PBX caller");
    let proxy = finish_ua(proxy, Duration::from_secs(30));
    assert!(
        pbx.success() && proxy.ok(),
        "call failed:\n{}\n--- teams:\n{}\n--- sbc:\n{}",
        pbx.report(),
        proxy.report(),
        t.sbc.log_tail()
    );
    let invite = proxy.message("INVITE ").expect("the INVITE to Teams");
    let request_line = invite.lines().next().unwrap_or_default();
    assert!(
        request_line.starts_with("INVITE sip:") && !request_line.contains("sips:"),
        "{request_line}"
    );
    assert!(
        header(invite, "Contact").is_some_and(
            |c| c.contains(&format!("{FQDN}:{SIP_TLS_PORT}")) && c.contains("transport=tls")
        ),
        "FQDN Contact:\n{invite}"
    );
    assert!(
        header(invite, "Via")
            .is_some_and(|v| v.starts_with(&format!("SIP/2.0/TLS {FQDN}:{SIP_TLS_PORT};"))),
        "{invite}"
    );
    assert!(!invite.contains("sips:"), "{invite}");
    assert_x_ms_sbc(invite);
    assert_teams_sdp(invite);
    let teams_rtp = RtpResult::wait(&teams_rtp, Duration::from_secs(10)).expect("Teams RTP");
    let pbx_rtp = RtpResult::wait(&pbx_rtp, Duration::from_secs(10)).expect("PBX RTP");
    assert_media(&teams_rtp, &pbx_rtp);
    t.assert_clean();
}
