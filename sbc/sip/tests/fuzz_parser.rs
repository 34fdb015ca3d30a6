//! Property-based fuzzing of everything that reads peer bytes: the datagram parser, the
//! stream framer and the refusal path. Bounded (case counts below), so it runs in CI.
//!
//! Inputs are arbitrary bytes and mutations (flips, truncations, splices) of the RFC 4475
//! messages, which reach far deeper into the grammar than random bytes do. Properties:
//! nothing panics; a parsed message prints to bytes that parse again to the same start
//! line, header values and body; the framer never buffers more than the limit.

use std::path::PathBuf;

use proptest::prelude::*;
use sbc_sip::{Framing, Limits, Message, StreamEvent, StreamFramer, reject_response};

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("RFC 4475 corpus directory")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "dat"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    out.sort();
    assert!(
        out.len() >= 40,
        "RFC 4475 corpus incomplete: {} files",
        out.len()
    );
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Truncate { at: usize },
    Splice { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![
                    Just(b'\r'),
                    Just(b'\n'),
                    Just(b' '),
                    Just(b':'),
                    Just(b';'),
                    Just(b','),
                    Just(b'"'),
                    Just(b'<'),
                    Just(b'>'),
                    Just(b'%'),
                    Just(b'\\'),
                    any::<u8>()
                ],
                0..8
            )
        )
            .prop_map(|(at, bytes)| Mutation::Splice { at, bytes }),
        (any::<usize>(), 0usize..16).prop_map(|(at, len)| Mutation::Delete { at, len }),
    ]
}

fn apply(mut msg: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = msg.len().max(1);
        match m {
            Mutation::Flip { at, byte } => {
                if !msg.is_empty() {
                    msg[at % n] = *byte;
                }
            }
            Mutation::Truncate { at } => msg.truncate(at % (n + 1)),
            Mutation::Splice { at, bytes } => {
                let at = at % (msg.len() + 1);
                msg.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete { at, len } => {
                let at = at % (msg.len() + 1);
                let end = (at + len).min(msg.len());
                msg.drain(at..end);
            }
        }
    }
    msg
}

fn check_datagram(bytes: Vec<u8>) {
    let limits = Limits::default();
    match Message::parse_or_return(bytes, Framing::Datagram, &limits) {
        Ok(m) => {
            let printed = m.to_bytes();
            let again =
                Message::parse(printed.clone(), Framing::Datagram, &limits).unwrap_or_else(|e| {
                    panic!(
                        "printed message does not parse again: {e}\n{}",
                        String::from_utf8_lossy(&printed)
                    )
                });
            assert_eq!(again.method(), m.method());
            assert_eq!(again.request_uri(), m.request_uri());
            assert_eq!(again.status(), m.status());
            assert_eq!(again.body(), m.body());
            let a: Vec<_> = again
                .headers()
                .filter(|h| h.name != "Content-Length")
                .map(|h| (h.name.to_owned(), h.value.to_owned()))
                .collect();
            let b: Vec<_> = m
                .headers()
                .filter(|h| h.name != "Content-Length")
                .map(|h| (h.name.to_owned(), h.value.to_owned()))
                .collect();
            assert_eq!(a, b);
        }
        Err((e, bytes)) => {
            if let Some(r) = reject_response(&bytes, &e, "sbc") {
                // What we send back must itself be a well-formed message.
                assert!(r.starts_with(b"SIP/2.0 "));
                assert!(r.ends_with(b"\r\n\r\n"));
            }
        }
    }
}

fn check_stream(bytes: &[u8], chunk: usize) {
    let limits = Limits {
        max_message_size: 4096,
        max_headers: 64,
    };
    let mut f = StreamFramer::new(limits);
    for piece in bytes.chunks(chunk.max(1)) {
        f.push(piece);
        loop {
            match f.next_event() {
                Ok(Some(StreamEvent::Message(m))) => {
                    assert!(m.len() <= limits.max_message_size);
                    let _ = Message::parse(m, Framing::Stream, &limits);
                }
                Ok(Some(StreamEvent::Ping)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(f.buffered() <= limits.max_message_size + chunk.max(1));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_datagram(bytes.clone());
        check_stream(&bytes, 7);
    }

    #[test]
    fn mutated_rfc4475_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..6),
        chunk in 1usize..64,
    ) {
        let corpus = corpus();
        let base = corpus[pick.index(corpus.len())].clone();
        let bytes = apply(base, &muts);
        check_datagram(bytes.clone());
        check_stream(&bytes, chunk);
    }
}

#[test]
fn every_rfc4475_message_survives_the_stream_framer_byte_by_byte() {
    for msg in corpus() {
        check_stream(&msg, 1);
        check_datagram(msg);
    }
}
