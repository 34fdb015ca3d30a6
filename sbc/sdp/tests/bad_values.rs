//! Descriptions the parser must refuse for a bad value (address, port, number, typed
//! attribute), each with the exact error kind and line.

mod common;

use common::{refuse, refused, s, sdp, with_head};
use sbc_sdp::{AddrType, SdpErrorKind as K, SessionDescription};

#[test]
fn absurd_ports() {
    refused(
        &with_head(&["m=audio 70000 RTP/AVP 0"]),
        6,
        K::PortOutOfRange { value: s("70000") },
    );
    refused(
        &with_head(&["m=audio 99999999999999999999999 RTP/AVP 0"]),
        6,
        K::PortOutOfRange {
            value: s("99999999999999999999999"),
        },
    );
    refused(
        &with_head(&["m=audio abc RTP/AVP 0"]),
        6,
        K::BadPort { value: s("abc") },
    );
    refused(
        &with_head(&["m=audio -1 RTP/AVP 0"]),
        6,
        K::BadPort { value: s("-1") },
    );
    refused(
        &with_head(&["m=audio /2 RTP/AVP 0"]),
        6,
        K::BadPort { value: s("") },
    );
}

#[test]
fn port_count_overflow_and_nonsense() {
    refused(
        &with_head(&["m=audio 65534/2 RTP/AVP 0"]),
        6,
        K::PortRangeOverflow {
            port: 65534,
            count: 2,
        },
    );
    refused(
        &with_head(&["m=image 65535/2 udptl t38"]),
        6,
        K::PortRangeOverflow {
            port: 65535,
            count: 2,
        },
    );
    refused(
        &with_head(&["m=video 40000/4000000000 RTP/AVP 31"]),
        6,
        K::PortRangeOverflow {
            port: 40000,
            count: 4_000_000_000,
        },
    );
    refused(
        &with_head(&["m=audio 49170/0 RTP/AVP 0"]),
        6,
        K::BadPortCount { value: s("0") },
    );
    refused(
        &with_head(&["m=audio 49170/x RTP/AVP 0"]),
        6,
        K::BadPortCount { value: s("x") },
    );
    let ok = SessionDescription::parse(&with_head(&["m=video 65532/2 RTP/AVP 31"])).expect("fits");
    assert_eq!(ok.media[0].port_count, Some(2));
}

#[test]
fn bad_ip_addresses() {
    let bad = |addrtype, value: &str| K::BadAddress {
        addrtype,
        value: s(value),
    };
    let c = |line: &str| with_head(&["m=audio 5000 RTP/AVP 0", line]);
    refused(&c("c=IN IP4 999.1.1.1"), 7, bad(AddrType::Ip4, "999.1.1.1"));
    refused(&c("c=IN IP4 1.2.3"), 7, bad(AddrType::Ip4, "1.2.3"));
    refused(&c("c=IN IP4 01.2.3.4"), 7, bad(AddrType::Ip4, "01.2.3.4"));
    refused(&c("c=IN IP4 ::1"), 7, bad(AddrType::Ip4, "::1"));
    refused(&c("c=IN IP6 1.2.3.4"), 7, bad(AddrType::Ip6, "1.2.3.4"));
    refused(
        &c("c=IN IP6 2001:db8::g"),
        7,
        bad(AddrType::Ip6, "2001:db8::g"),
    );
    refused(
        &c("c=IN IP4 -bad-.example"),
        7,
        bad(AddrType::Ip4, "-bad-.example"),
    );
    refused(
        &c("c=IN IP4 a_b.example"),
        7,
        bad(AddrType::Ip4, "a_b.example"),
    );
    refused(
        &c("c=IN IPX 1.2.3.4"),
        7,
        K::BadAddrType { value: s("IPX") },
    );
    refused(
        &c("c=ATM NSAP 47.0005"),
        7,
        K::BadNetType { value: s("ATM") },
    );
    refused(
        &c("c=IN IP4 224.2.1.1/300"),
        7,
        K::BadConnection {
            value: s("IN IP4 224.2.1.1/300"),
        },
    );
    let o = sdp(&["v=0", "o=- 1 1 IN IP4 256.0.0.1", "s=-", "t=0 0"]);
    refused(&o, 2, bad(AddrType::Ip4, "256.0.0.1"));
    refused(
        &with_head(&["m=audio 5000 RTP/AVP 0", "a=rtcp:5001 IN IP4 1.2.3.999"]),
        7,
        K::BadAttribute {
            name: "rtcp",
            value: s("5001 IN IP4 1.2.3.999"),
        },
    );
}

#[test]
fn other_attribute_grammar() {
    let a = |v: &str| with_head(&["m=audio 5000 RTP/AVP 0", v]);
    let bad = |name, v: &str| K::BadAttribute { name, value: s(v) };
    // The error carries the value with its key masked: it reaches logs and Warnings.
    refused(
        &a("a=crypto:abc AES inline:WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4|2^20|1:4"),
        7,
        bad(
            "crypto",
            "abc AES inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|2^20|1:4",
        ),
    );
    refused(
        &a("a=crypto:1 AES_CM_128_HMAC_SHA1_80"),
        7,
        bad("crypto", "1 AES_CM_128_HMAC_SHA1_80"),
    );
    refused(
        &a("a=crypto:1 AES inline"),
        7,
        bad("crypto", "1 AES inline"),
    );
    refused(&a("a=ptime:0"), 7, bad("ptime", "0"));
    refused(&a("a=ptime:abc"), 7, bad("ptime", "abc"));
    refused(&a("a=maxptime:-5"), 7, bad("maxptime", "-5"));
    refused(&a("a=fmtp:"), 7, bad("fmtp", ""));
    refused(&a("a=rtcp:70000"), 7, bad("rtcp", "70000"));
}

#[test]
fn numbers_in_the_origin() {
    let o = |v: &str| sdp(&["v=0", v, "s=-", "t=0 0"]);
    refused(
        &o("o=- abc 1 IN IP4 10.0.0.1"),
        2,
        K::BadNumber {
            field: "sess-id",
            value: s("abc"),
        },
    );
    refused(
        &o("o=- 1 18446744073709551616 IN IP4 10.0.0.1"),
        2,
        K::BadNumber {
            field: "sess-version",
            value: s("18446744073709551616"),
        },
    );
}

#[test]
fn errors_read_well() {
    let e = refuse(&with_head(&["m=audio 70000 RTP/AVP 0"]));
    assert_eq!(
        e.to_string(),
        "SDP line 6: media port 70000 is out of range 0-65535"
    );
    let e = refuse(&with_head(&[
        "m=audio 5000 RTP/AVP 0",
        "c=IN IP4 999.1.1.1",
    ]));
    assert_eq!(
        e.to_string(),
        "SDP line 7: invalid IP4 address \"999.1.1.1\""
    );
}
