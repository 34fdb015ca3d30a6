//! Descriptions the parser must refuse for their structure (lines, limits, encoding),
//! each with the exact error kind and line. Bad values are in `bad_values.rs`.

mod common;

use common::{HEAD, refused, s, sdp, with_head};
use sbc_sdp::{SdpError, SdpErrorKind as K, SdpLimits, SessionDescription};

fn many_media(n: usize) -> Vec<u8> {
    let mut lines: Vec<&str> = HEAD.to_vec();
    lines.extend(std::iter::repeat_n("m=audio 0 RTP/AVP 0", n));
    sdp(&lines)
}

#[test]
fn active_stream_without_any_connection_is_refused() {
    let input = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.1",
        "s=-",
        "t=0 0",
        "m=audio 5000 RTP/AVP 0",
    ]);
    refused(&input, 5, K::NoConnection { index: 0 });
    let input = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.1",
        "s=-",
        "t=0 0",
        "m=audio 5000 RTP/AVP 0",
        "c=IN IP4 10.0.0.1",
        "m=video 5002 RTP/AVP 31",
    ]);
    refused(&input, 7, K::NoConnection { index: 1 });
}

#[test]
fn rejected_stream_needs_no_connection() {
    let input = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.1",
        "s=-",
        "t=0 0",
        "m=audio 0 RTP/AVP 0",
    ]);
    assert!(SessionDescription::parse(&input).is_ok());
}

#[test]
fn a_thousand_media_sections_are_refused_by_a_limit() {
    let input = many_media(1000);
    refused(
        &input,
        0,
        K::TooLarge {
            size: input.len(),
            limit: 8192,
        },
    );
    let roomy = SdpLimits {
        max_size: 1 << 20,
        ..SdpLimits::default()
    };
    let e = SessionDescription::parse_with(&input, &roomy).expect_err("refused");
    // Lines 1-5 are the head; the 65th m= line is line 70.
    assert_eq!(
        e,
        SdpError {
            line: 70,
            kind: K::TooManyMedia { limit: 64 }
        }
    );
}

#[test]
fn a_hundred_thousand_media_sections_parse_in_one_pass_when_allowed() {
    // No timing assertion: a quadratic parser would make this test visibly slow.
    let input = many_media(100_000);
    let unlimited = SdpLimits {
        max_size: usize::MAX,
        max_media: usize::MAX,
        ..SdpLimits::default()
    };
    let sdp = SessionDescription::parse_with(&input, &unlimited).expect("parses");
    assert_eq!(sdp.media.len(), 100_000);
}

#[test]
fn truncated_lines() {
    let o = sdp(&["v=0", "o=- 1", "s=-", "t=0 0"]);
    refused(&o, 2, K::BadOrigin { value: s("- 1") });
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "c=IN IP4"]),
        7,
        K::BadConnection { value: s("IN IP4") },
    );
    refused(
        &with_head(&["m=audio 49170"]),
        6,
        K::BadMedia {
            value: s("audio 49170"),
        },
    );
    refused(
        &with_head(&["m=audio 49170 RTP/AVP"]),
        6,
        K::BadMedia {
            value: s("audio 49170 RTP/AVP"),
        },
    );
    refused(&with_head(&["t=0"]), 6, K::BadTiming { value: s("0") });
    refused(&with_head(&["b=AS"]), 6, K::BadBandwidth { value: s("AS") });
    refused(
        &with_head(&["b=AS:"]),
        6,
        K::BadBandwidth { value: s("AS:") },
    );
    let rtpmap = |v: &str| K::BadAttribute {
        name: "rtpmap",
        value: s(v),
    };
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "a=rtpmap:0"]),
        7,
        rtpmap("0"),
    );
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "a=rtpmap:0 PCMU"]),
        7,
        rtpmap("0 PCMU"),
    );
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "a=rtpmap"]),
        7,
        rtpmap(""),
    );
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "a=rtpmap:128 X/8000"]),
        7,
        rtpmap("128 X/8000"),
    );
    // Cut in the middle of the last line, no line ending.
    let mut cut = with_head(&[]);
    cut.extend_from_slice(b"m=aud");
    refused(&cut, 6, K::BadMedia { value: s("aud") });
    refused(b"v=0\r\no=", 2, K::BadOrigin { value: s("") });
    refused(
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm",
        5,
        K::MalformedLine { line: s("m") },
    );
}

#[test]
fn non_utf8_and_control_bytes() {
    let mut input = sdp(&["v=0", "o=- 1 1 IN IP4 10.0.0.1"]);
    input.extend_from_slice(b"s=caf\xe9\r\nt=0 0\r\n");
    refused(&input, 3, K::NotUtf8);
    refused(
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=a\0b\r\n",
        3,
        K::BadCharacter { byte: 0 },
    );
    refused(
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=a\rb\r\n",
        3,
        K::BadCharacter { byte: b'\r' },
    );
    refused(b"v=0\r\r\n", 1, K::BadCharacter { byte: b'\r' });
}

#[test]
fn mandatory_lines() {
    refused(b"", 1, K::MissingLine { letter: 'v' });
    refused(b"\r\n\r\n", 1, K::MissingLine { letter: 'v' });
    refused(
        &sdp(&["o=- 1 1 IN IP4 10.0.0.1", "v=0"]),
        1,
        K::MissingLine { letter: 'v' },
    );
    refused(&sdp(&["v=1"]), 1, K::BadVersion { value: s("1") });
    refused(
        &sdp(&["v=0", "s=-", "t=0 0"]),
        4,
        K::MissingLine { letter: 'o' },
    );
    refused(
        &sdp(&[
            "v=0",
            "o=- 1 1 IN IP4 10.0.0.1",
            "t=0 0",
            "m=audio 0 RTP/AVP 0",
        ]),
        4,
        K::MissingLine { letter: 's' },
    );
    refused(
        &sdp(&["v=0", "o=- 1 1 IN IP4 10.0.0.1", "s=-"]),
        4,
        K::MissingLine { letter: 't' },
    );
}

#[test]
fn misplaced_and_duplicated_lines() {
    refused(
        &with_head(&["o=- 2 2 IN IP4 10.0.0.1"]),
        6,
        K::DuplicateLine { letter: 'o' },
    );
    refused(&with_head(&["v=0"]), 6, K::DuplicateLine { letter: 'v' });
    refused(
        &with_head(&["c=IN IP4 10.0.0.2"]),
        6,
        K::DuplicateLine { letter: 'c' },
    );
    refused(
        &with_head(&[
            "m=audio 5000 RTP/AVP 0",
            "c=IN IP4 10.0.0.2",
            "c=IN IP4 10.0.0.3",
        ]),
        8,
        K::DuplicateLine { letter: 'c' },
    );
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "t=0 0"]),
        7,
        K::UnexpectedLine { letter: 't' },
    );
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "o=- 1 1 IN IP4 10.0.0.1"]),
        7,
        K::UnexpectedLine { letter: 'o' },
    );
    refused(
        &sdp(&["v=0", "r=7d 1h 0", "o=- 1 1 IN IP4 10.0.0.1"]),
        2,
        K::UnexpectedLine { letter: 'r' },
    );
    refused(
        &with_head(&["hello"]),
        6,
        K::MalformedLine { line: s("hello") },
    );
    refused(
        &with_head(&["A=foo"]),
        6,
        K::MalformedLine { line: s("A=foo") },
    );
    refused(
        &with_head(&["a:foo"]),
        6,
        K::MalformedLine { line: s("a:foo") },
    );
}

#[test]
fn line_and_attribute_limits() {
    let long = format!("a=x:{}", "y".repeat(2000));
    refused(
        &with_head(&[&long]),
        6,
        K::LineTooLong {
            length: 2004,
            limit: 1024,
        },
    );
    let attrs: Vec<String> = (0..257).map(|i| format!("a=x-{i}")).collect();
    let mut lines: Vec<&str> = HEAD.to_vec();
    lines.push("m=audio 5000 RTP/AVP 0");
    lines.extend(attrs.iter().map(String::as_str));
    let limits = SdpLimits {
        max_size: 1 << 20,
        ..SdpLimits::default()
    };
    let e = SessionDescription::parse_with(&sdp(&lines), &limits).expect_err("refused");
    assert_eq!(
        e,
        SdpError {
            line: 6 + 257,
            kind: K::TooManyAttributes { limit: 256 }
        }
    );
}
