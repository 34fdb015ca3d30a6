//! Whatever the registrar answers, in whatever order, the client never panics, keeps
//! one REGISTER in flight at a time with one Call-ID and growing CSeqs, always has a
//! deadline or a request to send until it is done, and finishes after unregister().

mod registration_util;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use registration_util::*;
use sbc_sip::Message;
use sbc_sip::registration::{RegistrationClient, RegistrationState};

#[derive(Debug, Clone)]
enum Step {
    /// The registrar answers the request in flight with one of [`ANSWERS`].
    Answer(usize),
    /// The client transaction times out.
    Timeout,
    /// Time passes to the client's next deadline.
    Wait,
    Unregister,
}

const ANSWERS: [(&str, &str); 12] = [
    ("100 Trying", ""),
    ("200 OK", ""),
    (
        "200 OK",
        "Contact: <sip:+4930123@192.0.2.1:5060>;expires=0\r\n",
    ),
    ("200 OK", "Expires: 1\r\n"),
    ("401 Unauthorized", CHALLENGE),
    (
        "401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"c\", nonce=\"x\", stale=true\r\n",
    ),
    (
        "407 Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"p\", nonce=\"y\", algorithm=SHA-256, qop=\"auth\"\r\n",
    ),
    (
        "401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"c\", nonce=\"z\", algorithm=MD5-sess\r\n",
    ),
    ("423 Interval Too Brief", "Min-Expires: 4000000000\r\n"),
    ("423 Interval Too Brief", ""),
    ("503 Service Unavailable", "Retry-After: 4294967295\r\n"),
    ("302 Moved", "Contact: <sip:x.example.com>\r\n"),
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..ANSWERS.len()).prop_map(Step::Answer),
        2 => Just(Step::Timeout),
        3 => Just(Step::Wait),
        1 => Just(Step::Unregister),
    ]
}

/// Sends what is due, checking the one-at-a-time, Call-ID and CSeq invariants.
fn pump(reg: &mut RegistrationClient, now: Instant, random: &mut u64, last: &mut Option<Message>) {
    while let Some(m) = reg.poll_request(now, *random) {
        *random += 1;
        assert!(last.is_none(), "a second REGISTER while one is in flight");
        assert_eq!(m.call_id(), Some(reg.call_id()));
        *last = Some(m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_sequence_of_answers(steps in prop::collection::vec(step(), 1..60)) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut reg = RegistrationClient::new(config(), 3).expect("valid");
        let mut random = 100;
        let mut in_flight: Option<Message> = None;
        let mut cseq = 0;
        for s in steps.iter().chain(std::iter::once(&Step::Unregister)) {
            pump(&mut reg, now, &mut random, &mut in_flight);
            if let Some(m) = &in_flight {
                let seq = m.cseq().expect("CSeq").seq;
                prop_assert!(seq >= cseq);
                cseq = seq;
            }
            match s {
                Step::Answer(i) => {
                    if let Some(req) = &in_flight {
                        let (status, extra) = ANSWERS[*i];
                        prop_assert!(reg.handle_response(now, &reply(req, status, extra)));
                        if !status.starts_with('1') {
                            in_flight = None;
                        }
                    }
                }
                Step::Timeout => {
                    if in_flight.take().is_some() {
                        now += Duration::from_secs(32);
                        reg.handle_transaction_timeout(now);
                    }
                }
                Step::Wait => {
                    if let Some(at) = reg.poll_timeout() {
                        now = now.max(at);
                        reg.handle_timeout(now);
                    }
                }
                Step::Unregister => reg.unregister(),
            }
            pump(&mut reg, now, &mut random, &mut in_flight);
            let done = reg.state() == RegistrationState::Unregistered;
            prop_assert!(
                done || in_flight.is_some() || reg.poll_timeout().is_some(),
                "stuck in {:?}", reg.state()
            );
        }
        // After unregister(): at most a few more exchanges, whatever the answers.
        for _ in 0..4 {
            pump(&mut reg, now, &mut random, &mut in_flight);
            if let Some(req) = in_flight.take() {
                reg.handle_response(now, &reply(&req, "401 Unauthorized", CHALLENGE));
            }
        }
        prop_assert_eq!(reg.state(), RegistrationState::Unregistered);
        prop_assert!(reg.poll_request(now, 0).is_none());
        prop_assert_eq!(reg.poll_timeout(), None);
    }
}
