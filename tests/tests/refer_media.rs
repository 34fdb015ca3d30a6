//! Media after a blind transfer the SBC completes (`refer = "handle"` on the carrier trunk,
//! the "Teams side"): the sipp referrer calls the sipp PBX, which talks from its INVITE on
//! (`tools/rtp.py`, 300 PCMU packets); the referrer transfers the PBX to a sipp target on
//! the carrier trunk's peer address, which talks too (100 packets) once it has the SBC's
//! offer. After the transfer each of the two hears the other through the SBC's ports,
//! counted packet by packet:
//!
//! * the target answers the kept codec (PCMU): relayed, both ways;
//! * the target answers PCMA, which the SBC offered behind PCMU as a codec it transcodes
//!   to: the PBX still hears PCMU (payload type 0), the target PCMA (8) — the PBX is never
//!   re-INVITEd;
//! * the referrer hangs up after NOTIFY 100, before the target answers: the PBX's leg
//!   stays, and it ends up talking with the target all the same;
//! * the referrer holds the PBX first (`a=sendonly`, answered `recvonly`; the PBX stays
//!   silent as a held phone does): after the transfer the SBC re-INVITEs the PBX with
//!   `a=sendrecv`, and only that makes the PBX talk — it and the target hear each other.

use std::path::PathBuf;
use std::time::Duration;

use sbc_lab::config::StandardConfig;
use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SippOutcome, SippTransport};

/// Packets the target sends (its scenario's `--count`).
const TARGET_SENDS: u64 = 100;

/// How the target answers, and which referrer plays.
struct Case {
    referrer: &'static str,
    target: &'static str,
    /// The PBX's scenario.
    pbx: &'static str,
    /// The payload type of the target's answer (`-key codec`).
    codec: u8,
}

struct Outcome {
    referrer: SippOutcome,
    target: SippOutcome,
    pbx: SippOutcome,
    pbx_rtp: RtpResult,
    target_rtp: RtpResult,
    report: String,
    clean: bool,
}

fn transfer_with_media(case: &Case) -> Outcome {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("refer = \"handle\"\n")
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_out: PathBuf = lab.artifacts().unique_path("rtp-pbx", ".json");
    let target_out: PathBuf = lab.artifacts().unique_path("rtp-target", ".json");
    let pbx = lab
        .sipp(Ns::Pbx, case.pbx, sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out)]).expect("rtp tool"))
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp PBX");
    let flags = if case.codec == 8 {
        "--ssrc 7a7a0003 --alaw"
    } else {
        "--ssrc 7a7a0003"
    };
    let target = lab
        .sipp(Ns::Carrier, case.target, sip_addr(CARRIER_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &target_out)]).expect("rtp tool"))
        .args(["-key", "rtp_flags", flags])
        .args([
            "-key".to_owned(),
            "codec".to_owned(),
            case.codec.to_string(),
        ])
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp transfer target");
    std::thread::sleep(Duration::from_millis(300));
    let referrer = lab
        .sipp(Ns::Carrier, case.referrer, sip_addr(SBC_OUTSIDE_IP))
        .transport(SippTransport::Udp)
        .args(["-s", "4930123", "-p", "5062"])
        .timeout(Duration::from_secs(20))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp referrer");
    let target = target.finish().expect("sipp target");
    let pbx = pbx.finish().expect("sipp PBX");
    let wait = Duration::from_secs(15);
    let logs = |sbc: &sbc_lab::SbcProcess| {
        format!(
            "\n== referrer: {}\n== target: {}\n== pbx: {}\n== sbc:\n{}",
            referrer.report(),
            target.report(),
            pbx.report(),
            sbc.log_tail()
        )
    };
    let pbx_rtp = RtpResult::wait(&pbx_out, wait)
        .unwrap_or_else(|e| panic!("PBX RTP tool: {e}{}", logs(&sbc)));
    let target_rtp = RtpResult::wait(&target_out, wait)
        .unwrap_or_else(|e| panic!("target RTP tool: {e}{}", logs(&sbc)));
    let running = sbc.is_running();
    let report = format!(
        "{}\n== PBX heard: {}\n== target heard: {}",
        logs(&sbc),
        pbx_rtp.raw,
        target_rtp.raw
    );
    let clean = running && sbc.panics().is_empty();
    Outcome {
        referrer,
        target,
        pbx,
        pbx_rtp,
        target_rtp,
        report,
        clean,
    }
}

/// Both parties heard each other through the SBC, each in its own codec; the PBX got
/// `pbx_invites` INVITEs (1: never re-INVITEd).
fn assert_talking(o: &Outcome, pbx_hears: u8, target_hears: u8, pbx_invites: usize) {
    let report = &o.report;
    assert!(o.referrer.success(), "referrer{report}");
    assert!(o.target.success(), "target: INVITE, 200, its BYE{report}");
    assert!(
        o.pbx.success(),
        "PBX: the call, then the target's BYE{report}"
    );
    assert!(o.clean, "sbc exited or panicked{report}");
    // The target sent only after it answered: everything it sent reaches the PBX.
    assert!(
        o.pbx_rtp.rtp >= TARGET_SENDS * 9 / 10,
        "the PBX heard {} of the target's {TARGET_SENDS} packets{report}",
        o.pbx_rtp.rtp
    );
    // The PBX talks for 6 s; the target listens for more than 2 s of it after the answer.
    assert!(
        o.target_rtp.rtp >= 50,
        "the target heard {} packets of the PBX{report}",
        o.target_rtp.rtp
    );
    assert_eq!(
        o.pbx_rtp.sources,
        [format!("{SBC_INSIDE_IP}:{}", sbc_port(&o.pbx_rtp))],
        "the PBX hears the SBC only{report}"
    );
    assert!(
        o.target_rtp
            .sources
            .iter()
            .all(|s| s.starts_with(&format!("{SBC_OUTSIDE_IP}:"))),
        "the target hears the SBC only{report}"
    );
    assert_eq!(o.pbx_rtp.pts, [pbx_hears], "{report}");
    assert_eq!(o.target_rtp.pts, [target_hears], "{report}");
    assert!(
        !o.pbx.messages.contains("REFER") && !o.pbx.messages.contains("NOTIFY"),
        "the PBX heard of the transfer{report}"
    );
    assert_eq!(
        o.pbx.messages.matches("INVITE sip:").count(),
        pbx_invites,
        "INVITEs to the PBX{report}"
    );
}

/// The port of the one source a peer heard (the SBC's).
fn sbc_port(r: &RtpResult) -> String {
    r.sources
        .first()
        .and_then(|s| s.rsplit(':').next())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn after_a_transfer_the_kept_party_and_the_new_one_hear_each_other() {
    let o = transfer_with_media(&Case {
        referrer: "refer_handled_uac.xml",
        target: "transfer_target_talk_uas.xml",
        pbx: "transfer_pbx_talk_uas.xml",
        codec: 0,
    });
    assert_talking(&o, 0, 0, 1);
    // Relayed: the PBX hears the target's own stream.
    assert!(
        o.pbx_rtp.ssrcs.iter().all(|s| s == "7a7a0003"),
        "{}",
        o.report
    );
}

#[test]
fn a_target_answering_another_codec_is_transcoded_and_the_kept_leg_left_alone() {
    let o = transfer_with_media(&Case {
        referrer: "refer_handled_uac.xml",
        target: "transfer_target_talk_uas.xml",
        pbx: "transfer_pbx_talk_uas.xml",
        codec: 8,
    });
    let report = &o.report;
    // The SBC's offer to the target: PCMU (the PBX's codec) first, PCMA behind it.
    let offer = o
        .target
        .messages
        .split("INVITE sip:")
        .nth(1)
        .unwrap_or_default();
    let m_line = offer
        .lines()
        .find(|l| l.trim_start().starts_with("m=audio"))
        .unwrap_or_default();
    let formats: Vec<&str> = m_line.split_whitespace().skip(3).collect();
    assert_eq!(formats.first(), Some(&"0"), "{m_line}{report}");
    assert!(formats.contains(&"8"), "{m_line}{report}");
    assert_talking(&o, 0, 8, 1);
}

#[test]
fn a_referrer_hanging_up_before_the_final_notify_leaves_the_pbx_to_the_target() {
    let o = transfer_with_media(&Case {
        referrer: "refer_early_bye_uac.xml",
        target: "transfer_target_late_talk_uas.xml",
        pbx: "transfer_pbx_talk_uas.xml",
        codec: 0,
    });
    assert_talking(&o, 0, 0, 1);
}

#[test]
fn a_pbx_held_before_the_refer_is_taken_off_hold_and_talks_with_the_target() {
    let o = transfer_with_media(&Case {
        referrer: "refer_hold_uac.xml",
        target: "transfer_target_talk_uas.xml",
        pbx: "transfer_pbx_held_uas.xml",
        codec: 0,
    });
    // The call's INVITE, the referrer's hold, the SBC's resume.
    assert_talking(&o, 0, 0, 3);
    let resume = o
        .pbx
        .messages
        .split("INVITE sip:")
        .nth(3)
        .unwrap_or_default();
    assert!(
        resume.contains("a=sendrecv") && !resume.contains("a=sendonly"),
        "the resume offer{}",
        o.report
    );
}
