//! Property-based fuzzing of the SDP parser, bounded so it runs in CI.
//!
//! Inputs are arbitrary bytes and mutations (byte flips, truncations, splices of SDP
//! fragments, deletions, line swaps) of the golden inputs. Properties: nothing panics;
//! whatever parses prints to bytes that parse again to an equal model; and the full
//! rewrite a B2BUA applies leaves a description that still parses, with the same number
//! of m= lines and port 0 wherever the input had it.

use std::net::IpAddr;
use std::path::PathBuf;

use proptest::prelude::*;
use sbc_sdp::{Crypto, Direction, Retained, SdpLimits, SessionDescription};

/// The golden inputs without their `#` header lines.
fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("golden directory")
        .filter_map(Result::ok)
        .filter(|e| e.path().to_string_lossy().ends_with(".in.sdp"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .map(|raw| {
            let text = String::from_utf8_lossy(&raw).into_owned();
            let body: String = text
                .split_inclusive('\n')
                .filter(|l| !l.starts_with('#'))
                .collect();
            body.into_bytes()
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 18,
        "golden corpus incomplete: {} files",
        out.len()
    );
    out
}

const FRAGMENTS: &[&str] = &[
    "\r\n",
    "\n",
    "\r",
    " ",
    "/",
    ":",
    "=",
    "0",
    "65535",
    "70000",
    "0.0.0.0",
    "::",
    "m=audio 0 RTP/AVP 0\r\n",
    "m=video 5000/2 RTP/AVP 96\r\n",
    "c=IN IP4 ",
    "c=IN IP6 ::1\r\n",
    "a=rtpmap:",
    "a=fmtp:",
    "a=rtcp:",
    "a=crypto:1 ",
    "a=sendonly\r\n",
    "a=inactive\r\n",
    "a=rtcp-mux\r\n",
    "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n",
    "t=0 0\r\n",
    "r=1 2 3\r\n",
    "y=x\r\n",
    "b=AS:64\r\n",
    "example.net",
    "\u{e9}",
    "\0",
];

/// A valid session head; random lines follow it.
const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";

/// Lines that are plausible SDP: well-formed ones of every kind, and random values
/// behind known type letters.
fn sdp_line() -> impl Strategy<Value = String> {
    let good = prop::sample::select(vec![
        "m=audio 5000 RTP/AVP 0 8 101\r\n",
        "m=video 0 RTP/AVP 96\r\n",
        "m=audio 5002/2 RTP/SAVP 18\r\n",
        "m=image 6000 udptl t38\r\n",
        "c=IN IP4 0.0.0.0\r\n",
        "c=IN IP6 2001:db8::1\r\n",
        "c=IN IP4 224.2.1.1/127/3\r\n",
        "c=IN IP4 media.example.net\r\n",
        "b=AS:64\r\n",
        "i=info\r\n",
        "k=prompt\r\n",
        "a=rtpmap:101 telephone-event/8000\r\n",
        "a=rtpmap:96 opus/48000/2\r\n",
        "a=fmtp:101 0-16\r\n",
        "a=rtcp-fb:96 nack\r\n",
        "a=rtcp:5001 IN IP4 10.0.0.2\r\n",
        "a=rtcp-mux\r\n",
        "a=ptime:20\r\n",
        "a=sendonly\r\n",
        "a=recvonly\r\n",
        "a=inactive\r\n",
        "a=ice-ufrag:abcd\r\n",
        "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
        "y=vendor\r\n",
        "\n",
    ])
    .prop_map(str::to_owned);
    let random = (prop::sample::select(b"abcikmrxy".to_vec()), "[ -~]{0,40}")
        .prop_map(|(l, v)| format!("{}={v}\r\n", char::from(l)));
    prop_oneof![3 => good, 1 => random]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Truncate { at: usize },
    Splice { at: usize, fragment: usize },
    Delete { at: usize, len: usize },
    SwapLines { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Splice { at, fragment }),
        (any::<usize>(), 0usize..16).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn apply(mut sdp: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = sdp.len().max(1);
        match m {
            Mutation::Flip { at, byte } => {
                if !sdp.is_empty() {
                    sdp[at % n] = *byte;
                }
            }
            Mutation::Truncate { at } => sdp.truncate(at % (n + 1)),
            Mutation::Splice { at, fragment } => {
                let at = at % (sdp.len() + 1);
                sdp.splice(at..at, FRAGMENTS[*fragment].bytes());
            }
            Mutation::Delete { at, len } => {
                let at = at % (sdp.len() + 1);
                let end = (at + len).min(sdp.len());
                sdp.drain(at..end);
            }
            Mutation::SwapLines { a, b } => {
                let mut lines: Vec<Vec<u8>> = sdp
                    .split_inclusive(|&b| b == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect();
                if !lines.is_empty() {
                    let len = lines.len();
                    lines.swap(a % len, b % len);
                }
                sdp = lines.concat();
            }
        }
    }
    sdp
}

/// Everything a B2BUA does to a description, with every helper exercised.
fn full_rewrite(sdp: &mut SessionDescription) {
    let addr: IpAddr = "192.0.2.1".parse().expect("literal");
    sdp.normalize_old_hold();
    sdp.strip_ice();
    for (n, m) in sdp.media.iter_mut().enumerate() {
        if m.is_rtp()
            && m.retain_codecs(&["PCMA", "opus/48000", "telephone-event"]) == Retained::NoCodec
        {
            m.reject();
        }
        let port = 30000 + 2 * n as u16;
        if m.set_port(port) {
            if m.rtcp().is_some() {
                m.set_rtcp(port + 1, Some(addr));
            }
            m.set_crypto(&[Crypto::inline(
                1,
                "AES_CM_128_HMAC_SHA1_80",
                "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
            )]);
        } else {
            m.remove_rtcp();
            m.strip_crypto();
        }
        m.set_rtcp_mux(n % 2 == 0);
    }
    if sdp.streams().any(|s| s.is_hold()) {
        sdp.set_direction(Direction::SendOnly);
    }
    sdp.anchor_connections(addr);
    sdp.set_origin("sbc", 1, 1, addr);
}

fn check(bytes: &[u8]) {
    let Ok(sdp) = SessionDescription::parse(bytes) else {
        return;
    };
    let printed = sdp.to_bytes();
    let again = SessionDescription::parse(&printed).unwrap_or_else(|e| {
        panic!(
            "printed description does not parse again: {e}\n{}",
            String::from_utf8_lossy(&printed)
        )
    });
    assert_eq!(
        again,
        sdp,
        "round trip changed the model\n{}",
        String::from_utf8_lossy(&printed)
    );

    let mut rewritten = sdp.clone();
    full_rewrite(&mut rewritten);
    let printed = rewritten.to_bytes();
    let roomy = SdpLimits {
        max_size: 1 << 20,
        ..SdpLimits::default()
    };
    let out = SessionDescription::parse_with(&printed, &roomy).unwrap_or_else(|e| {
        panic!(
            "rewritten description does not parse: {e}\n{}",
            String::from_utf8_lossy(&printed)
        )
    });
    assert_eq!(out.media.len(), sdp.media.len(), "m-line count changed");
    for (a, b) in sdp.media.iter().zip(&out.media) {
        assert!(a.port != 0 || b.port == 0, "a rejected stream came back");
        assert!(!b.attributes.has_ice());
    }
    assert!(!out.attributes.has_ice());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn sdp_shaped_lines_never_panic(lines in prop::collection::vec(sdp_line(), 0..24)) {
        let body: String = lines.concat();
        check(format!("{HEAD}{body}").as_bytes());
    }

    #[test]
    fn mutated_golden_inputs_never_panic(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let base = corpus[pick.index(corpus.len())].clone();
        check(&apply(base, &muts));
    }
}

#[test]
fn every_golden_input_round_trips() {
    for input in corpus() {
        check(&input);
        assert!(SessionDescription::parse(&input).is_ok());
    }
}
