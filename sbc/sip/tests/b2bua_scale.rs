//! The cost of one call's work must not depend on how many other calls are in progress:
//! ending one call among 10,000 looks at that call's timers and transactions only, and a
//! flood of BYEs for dialogs that do not exist is answered 481 without looking at any
//! call. Work is counted ([`Engine::bookkeeping`]: entries that per-call queries and timer
//! cancellations looked at), never timed.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::Known;

/// Session timers on every call (RFC 4028), so each holds timers of its own.
const TIMER_HEADERS: &str = "Supported: timer\r\nSession-Expires: 1800\r\n";

struct Up {
    call_id: String,
    a_tag: String,
}

/// `n` answered and confirmed calls; every transaction of their setup has ended.
fn calls_up(h: &mut Harness, n: usize) -> Vec<Up> {
    let mut up = Vec::with_capacity(n);
    for i in 0..n {
        let call_id = format!("scale-{i}@carrier");
        h.deliver_from_a(&invite_from_a_with(&call_id, 1, true, TIMER_HEADERS));
        let b_invite = h.request_to(B_PEER, "INVITE");
        h.deliver_from_b(
            B_PEER,
            b_response(&b_invite, 200, "OK", Some(&format!("b{i}")), SDP_B),
        );
        let ok = h
            .take_to(A_PEER)
            .into_iter()
            .find(|m| m.status() == Some(200))
            .expect("200 to A");
        let a_tag = to_tag(&ok);
        h.deliver_from_a(&in_dialog_from_a("ACK", &call_id, 1, &a_tag, ""));
        h.sent.clear();
        up.push(Up { call_id, a_tag });
    }
    // Let every setup transaction run out (Timers I, J, K ...); session timers stay.
    h.advance(Duration::from_secs(40));
    h.sent.clear();
    h.events.clear();
    assert_eq!(h.engine.call_count(), n);
    up
}

/// The bookkeeping work of ending one call (BYE from A, B's 200) among `n`.
fn work_of_one_teardown(n: usize) -> u64 {
    let mut h = Harness::new();
    let up = calls_up(&mut h, n);
    let before = h.engine.bookkeeping();
    assert_eq!(
        before.calls_with_timers, n,
        "each call holds its session timer"
    );
    let victim = &up[n / 2];
    h.deliver_from_a(&in_dialog_from_a(
        "BYE",
        &victim.call_id,
        2,
        &victim.a_tag,
        "",
    ));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.advance(Duration::from_secs(1));
    let after = h.engine.bookkeeping();
    assert_eq!(h.engine.call_count(), n - 1, "exactly one call ended");
    assert_eq!(after.calls_with_timers, n - 1, "only its timers went");
    assert!(h.sent.is_empty(), "nothing sent for the other calls");
    after.visited - before.visited
}

#[test]
fn ending_one_call_among_ten_thousand_touches_only_that_call() {
    let few = work_of_one_teardown(10);
    let many = work_of_one_teardown(10_000);
    eprintln!("work of one teardown: {few} with 10 calls, {many} with 10,000");
    assert!(few > 0, "a teardown cancels the call's own timers");
    assert_eq!(
        few, many,
        "the work of one teardown grew with the calls in progress: {few} with 10, {many} with 10,000"
    );
}

#[test]
fn a_flood_of_byes_and_cancels_for_unknown_dialogs_gets_481_and_touches_no_call() {
    let mut h = Harness::new();
    let up = calls_up(&mut h, 2_000);
    let before = h.engine.bookkeeping();
    for (i, call) in up.iter().take(1_000).enumerate() {
        // A dialog that never existed, and a real Call-ID with a wrong tag.
        let call_id = if i % 2 == 0 {
            format!("nobody-{i}@scanner")
        } else {
            call.call_id.clone()
        };
        h.deliver_from_a(&in_dialog_from_a("BYE", &call_id, 2, "not-our-tag", ""));
    }
    for i in 0..200 {
        h.deliver_from_a(&format!(
            "CANCEL sip:+4930123@{SBC_A} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {A_PEER};branch=z9hG4bKflood{i}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:x@scanner.example>;tag=f{i}\r\n\
             To: <sip:+4930123@{SBC_A}>\r\n\
             Call-ID: flood-{i}@scanner\r\n\
             CSeq: 1 CANCEL\r\n\
             Content-Length: 0\r\n\r\n"
        ));
    }
    let answers = h.take_to(A_PEER);
    assert_eq!(answers.len(), 1_200, "every request answered once");
    assert!(
        answers.iter().all(|m| m.status() == Some(481)),
        "481 each: {:?}",
        answers.iter().map(|m| m.status()).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|m| m.header(Known::Via).is_some()));
    assert!(h.take_to(B_PEER).is_empty(), "nothing reached B");
    let after = h.engine.bookkeeping();
    assert_eq!(after.visited, before.visited, "no call was looked at");
    assert_eq!(h.engine.call_count(), 2_000);
}
