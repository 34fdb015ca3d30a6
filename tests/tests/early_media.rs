//! Forked early media through the SBC, with the switch on answer (issue 4, item 4).
//!
//! The PBX forks the call (`early_fork_uas.xml`): a 183 with SDP from To tag `fork-a`
//! (port 40010) whose RTP starts at once, then a 183 from `fork-b` (port 40020) whose RTP
//! starts a second later; two seconds in, the 200 comes from fork-b. The caller
//! (`early_fork_uac.xml`) records which SSRCs reach it, in order: the SBC must relay
//! fork-a's early media (the first fork that streams, not fork-b's even once it streams),
//! and from the 200 on only fork-b's (the answering fork: at once, and nothing of the
//! loser's after it).

use std::time::Duration;

use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns};

const FORK_A: &str = "f0a0000a";
const FORK_B: &str = "f0b0000b";
/// Packets per RTP peer (20 ms apart): 4 s, past the answer at 2 s.
const PACKETS: u32 = 200;

#[test]
fn the_first_fork_that_streams_is_heard_until_the_other_fork_answers() {
    let lab = Lab::new().expect("create lab");
    let sbc = lab.start_standard_sbc().expect("start sbc");
    let caller_out = lab.artifacts().unique_path("rtp-caller", ".json");
    let a_out = lab.artifacts().unique_path("rtp-fork-a", ".json");
    let b_out = lab.artifacts().unique_path("rtp-fork-b", ".json");
    let count = ["-key".to_owned(), "rtp_count".into(), PACKETS.to_string()];
    let uas = lab
        .sipp(Ns::Pbx, "early_fork_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out_a", &a_out), ("rtp_out_b", &b_out)]).expect("python3"))
        .args(count.clone())
        .timeout(Duration::from_secs(30))
        .spawn()
        .expect("start sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "early_fork_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "3000"])
        .args(tool_keys(&[("rtp_out", &caller_out)]).expect("python3"))
        .args(count)
        .timeout(Duration::from_secs(25))
        .recv_timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp caller");
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "call failed:\n--- caller\n{}\n--- callee\n{}\n--- sbc\n{}",
        uac.report(),
        uas.report(),
        sbc.log_tail()
    );
    let wait = Duration::from_secs(10);
    let caller = RtpResult::wait(&caller_out, wait).expect("caller RTP result");
    let fork_a = RtpResult::wait(&a_out, wait).expect("fork-a RTP result");
    let fork_b = RtpResult::wait(&b_out, wait).expect("fork-b RTP result");
    let report = || {
        format!(
            "caller: {}\nfork-a: {}\nfork-b: {}\n--- sbc\n{}",
            caller.raw,
            fork_a.raw,
            fork_b.raw,
            sbc.log_tail()
        )
    };
    for r in [&fork_a, &fork_b] {
        assert_eq!(r.sent, u64::from(PACKETS), "{}", report());
    }
    // fork-a's early media, then fork-b's: one switch, never back.
    let order: Vec<&str> = caller.runs.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(order, [FORK_A, FORK_B], "{}", report());
    // fork-a streamed ~1.7 s before the answer, fork-b ~2 s after it; nothing of fork-b
    // before the answer although it streamed for a second, and no gap at the switch
    // beyond a few packets (the answering fork is relayed at once).
    let (heard_a, heard_b) = (caller.runs[0].1, caller.runs[1].1);
    assert!(
        heard_a >= 50,
        "fork-a's early media: {heard_a}\n{}",
        report()
    );
    assert!(
        heard_b >= 80,
        "fork-b after the answer: {heard_b}\n{}",
        report()
    );
    assert!(
        heard_a + heard_b + 10 >= u64::from(PACKETS),
        "the switch lost media: {heard_a} + {heard_b} of {PACKETS} per 4 s\n{}",
        report()
    );
    // The caller's media reached the fork relayed at each moment.
    assert!(fork_a.rtp > 0 && fork_b.rtp > 0, "{}", report());
    let log = sbc.log();
    let switched = log
        .lines()
        .filter(|l| l.contains("media latched") && l.contains("reason=ForkAnswered"))
        .count();
    assert_eq!(switched, 1, "one switch, logged once\n{}", sbc.log_tail());

    sbc.wait_for_log(
        0,
        "media ports free: inside 500/500, outside 500/500",
        Duration::from_secs(15),
    )
    .unwrap_or_else(|e| panic!("ports not all back: {e}\n{}", sbc.log_tail()));
}
