//! Helpers shared by the refusal tests.
#![allow(dead_code)]

use sbc_sdp::{SdpError, SdpErrorKind as K, SessionDescription};

/// Joins lines with CRLF.
pub fn sdp(lines: &[&str]) -> Vec<u8> {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n");
    s.into_bytes()
}

/// A valid head: v, o, s, c, t on lines 1 to 5.
pub const HEAD: [&str; 5] = [
    "v=0",
    "o=- 1 1 IN IP4 10.0.0.1",
    "s=-",
    "c=IN IP4 10.0.0.1",
    "t=0 0",
];

pub fn with_head(tail: &[&str]) -> Vec<u8> {
    let lines: Vec<&str> = HEAD.iter().chain(tail).copied().collect();
    sdp(&lines)
}

pub fn refuse(input: &[u8]) -> SdpError {
    match SessionDescription::parse(input) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => e,
    }
}

pub fn refused(input: &[u8], line: usize, kind: K) {
    assert_eq!(refuse(input), SdpError { line, kind });
}

pub fn s(v: &str) -> String {
    v.to_owned()
}
