//! What the parser accepts and how it models it.

use std::net::IpAddr;

use sbc_sdp::{
    AddrType, Address, Bandwidth, Candidate, Connection, Crypto, Direction, Fmtp, OtherLine, Rtcp,
    RtpMap, SessionDescription,
};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test literal")
}

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text.replace('\n', "\r\n").as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// RFC 8866 §5 example.
const RFC8866: &str = "v=0
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
s=Call to John Smith
i=SDP Offer #1
u=http://www.jdoe.example.com/home.html
e=Jane Doe <jane@jdoe.example.com>
p=+1 617 555-6011
c=IN IP4 198.51.100.1
t=0 0
m=audio 49170 RTP/AVP 0
m=audio 49180 RTP/AVP 0
m=video 51372 RTP/AVP 99
c=IN IP6 2001:db8::2
a=rtpmap:99 h263-1998/90000
";

#[test]
fn rfc8866_example() {
    let sdp = parse(RFC8866);
    assert_eq!(sdp.origin.username, "jdoe");
    assert_eq!(sdp.origin.session_id, 3724394400);
    assert_eq!(sdp.origin.session_version, 3724394405);
    assert_eq!(sdp.origin.address, Address::Ip(ip("198.51.100.1")));
    assert_eq!(sdp.session_name, "Call to John Smith");
    assert_eq!(sdp.emails, ["Jane Doe <jane@jdoe.example.com>"]);
    assert_eq!(sdp.media.len(), 3);
    let video = &sdp.media[2];
    assert_eq!(
        (video.media.as_str(), video.port, video.proto.as_str()),
        ("video", 51372, "RTP/AVP")
    );
    assert_eq!(video.formats, ["99"]);
    assert_eq!(video.connection, Some(Connection::new(ip("2001:db8::2"))));
    assert_eq!(
        video.attributes.rtpmap(99),
        Some(RtpMap::new(99, "h263-1998", 90000, None))
    );
    assert_eq!(
        sdp.stream(0).and_then(|s| s.connection()),
        sdp.connection.as_ref()
    );
    let text = String::from_utf8(sdp.to_bytes()).expect("utf-8");
    assert_eq!(text, RFC8866.replace('\n', "\r\n"));
}

#[test]
fn addresses_of_every_kind() {
    let c = |v: &str| {
        parse(&format!(
            "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc={v}\nt=0 0\n"
        ))
        .connection
    };
    let name = |addrtype, n: &str| Address::Name {
        addrtype,
        name: n.to_owned(),
    };
    let conn = |address| {
        Some(Connection {
            address,
            ttl: None,
            count: None,
        })
    };
    assert_eq!(c("IN IP4 0.0.0.0"), Some(Connection::new(ip("0.0.0.0"))));
    assert_eq!(
        c("IN IP4 media.example.net"),
        conn(name(AddrType::Ip4, "media.example.net"))
    );
    assert_eq!(
        c("IN IP6 host6.example.net"),
        conn(name(AddrType::Ip6, "host6.example.net"))
    );
    assert_eq!(
        c("IN IP6 2001:DB8:0:0:0:0:0:1"),
        Some(Connection::new(ip("2001:db8::1")))
    );
    assert_eq!(
        c("IN IP6 ::ffff:192.0.2.1"),
        Some(Connection::new(ip("::ffff:192.0.2.1")))
    );
    let multicast = c("IN IP4 224.2.1.1/127/3").expect("c=");
    assert_eq!((multicast.ttl, multicast.count), (Some(127), Some(3)));
    assert_eq!(multicast.to_string(), "IN IP4 224.2.1.1/127/3");
    let multicast6 = c("IN IP6 ff15::101/3").expect("c=");
    assert_eq!((multicast6.ttl, multicast6.count), (None, Some(3)));
    assert!(c("IN IP4 0.0.0.0").expect("c=").address.is_unspecified());
}

#[test]
fn bare_lf_blank_lines_and_no_final_newline() {
    let text =
        b"v=0\no=- 1 1 IN IP4 10.0.0.1\n\ns=-\r\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 5000 RTP/AVP 0";
    let sdp = SessionDescription::parse(text).expect("parses");
    assert_eq!(sdp.media[0].port, 5000);
    assert!(sdp.to_bytes().ends_with(b"m=audio 5000 RTP/AVP 0\r\n"));
}

#[test]
fn lenient_spacing_prints_canonically() {
    let sdp = parse(
        "v=0\no=-  1 1 IN IP4 10.0.0.1\ns=-\nc=IN  IP4 10.0.0.1\nt=00 0\nm=audio  5000  RTP/AVP 0  8\n",
    );
    let text = String::from_utf8(sdp.to_bytes()).expect("utf-8");
    assert!(text.contains("o=- 1 1 IN IP4 10.0.0.1\r\n"));
    assert!(text.contains("t=0 0\r\n"));
    assert!(text.contains("m=audio 5000 RTP/AVP 0 8\r\n"));
}

#[test]
fn unknown_lines_and_attributes_are_kept_byte_exact() {
    let sdp = parse(
        "v=0\no=- 1 1 IN IP4 10.0.0.1\ns= \nc=IN IP4 10.0.0.1\nb=X-YZ:128\nt=0 0\nr=7d 1h 0 25h\nz=2882844526 -1h\ny=foo  bar \na=X-odd: a  b \nm=audio 5000 RTP/AVP 0\nq=media level\na=tool\n",
    );
    assert_eq!(sdp.session_name, " ");
    assert_eq!(
        sdp.bandwidths,
        [Bandwidth {
            bwtype: "X-YZ".into(),
            value: 128
        }]
    );
    assert_eq!(sdp.timings[0].repeats, ["7d 1h 0 25h"]);
    assert_eq!(sdp.time_zones.as_deref(), Some("2882844526 -1h"));
    assert_eq!(
        sdp.other_lines,
        [OtherLine {
            letter: 'y',
            value: "foo  bar ".into()
        }]
    );
    assert_eq!(sdp.attributes.value("X-odd"), Some(" a  b "));
    assert_eq!(sdp.media[0].other_lines[0].letter, 'q');
    assert!(sdp.media[0].attributes.has("tool"));
    let text = String::from_utf8(sdp.to_bytes()).expect("utf-8");
    assert!(text.contains("\r\ny=foo  bar \r\n"));
    assert!(text.contains("\r\na=X-odd: a  b \r\n"));
}

#[test]
fn typed_attributes() {
    let sdp = parse(
        "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\na=ice-lite\nm=audio 5000 RTP/SAVP 96 101\na=rtpmap:96 opus/48000/2\na=fmtp:101 0-16\na=ptime:20\na=maxptime:40.5\na=rtcp:5001 IN IP6 2001:db8::7\na=rtcp-mux\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32;inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj KDR=1\na=ice-ufrag:F7gI\na=ice-pwd:x9cml/YzichV2+XlhiMu8g\na=ice-options:trickle ice2\na=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\na=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998\na=end-of-candidates\na=mid:audio0\na=label:1\na=recvonly\n",
    );
    assert!(sdp.attributes.ice_lite());
    let a = &sdp.media[0].attributes;
    assert_eq!(a.rtpmap(96), Some(RtpMap::new(96, "opus", 48000, Some(2))));
    assert_eq!(
        a.fmtp("101"),
        Some(Fmtp {
            format: "101".into(),
            params: "0-16".into()
        })
    );
    assert_eq!(a.ptime(), Some(20.0));
    assert_eq!(a.maxptime(), Some(40.5));
    assert_eq!(
        a.rtcp(),
        Some(Rtcp {
            port: 5001,
            address: Some(Address::Ip(ip("2001:db8::7")))
        })
    );
    assert!(a.rtcp_mux());
    let crypto: Vec<Crypto> = a.cryptos().collect();
    assert_eq!(crypto[0].tag, 1);
    assert_eq!(crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(crypto[0].key_params.len(), 2);
    let inline = crypto[0].key_params[0].as_inline().expect("inline");
    assert_eq!(inline.key_salt, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    assert_eq!((inline.lifetime, inline.mki), (Some("2^20"), Some("1:32")));
    assert_eq!(crypto[0].session_params, ["KDR=1"]);
    assert_eq!(a.ice_ufrag(), Some("F7gI"));
    assert_eq!(a.ice_pwd(), Some("x9cml/YzichV2+XlhiMu8g"));
    assert_eq!(a.ice_options().collect::<Vec<_>>(), ["trickle", "ice2"]);
    let cands: Vec<Candidate> = a
        .candidates()
        .collect::<Result<_, _>>()
        .expect("candidates");
    assert_eq!((cands[1].port, cands[1].kind.as_str()), (45664, "srflx"));
    assert_eq!(cands[1].rest, ["raddr", "10.0.1.1", "rport", "8998"]);
    assert_eq!(
        cands[1].to_string(),
        a.values("candidate").nth(1).expect("two")
    );
    assert!(a.end_of_candidates());
    assert_eq!((a.mid(), a.label()), (Some("audio0"), Some("1")));
    assert_eq!(a.direction(), Some(Direction::RecvOnly));
    assert_eq!(
        sdp.media[0].encoding("101"),
        None,
        "dynamic payload type without rtpmap"
    );
}

#[test]
fn typed_values_print_as_parsed() {
    for v in ["96 opus/48000/2", "0 PCMU/8000"] {
        assert_eq!(v.parse::<RtpMap>().expect("rtpmap").to_string(), v);
    }
    let v = "1 AES_CM_128_HMAC_SHA1_80 inline:abc|2^20|1:4;inline:def KDR=1 UNENCRYPTED_SRTP";
    assert_eq!(v.parse::<Crypto>().expect("crypto").to_string(), v);
    assert_eq!(
        "5001 IN IP4 10.0.0.1"
            .parse::<Rtcp>()
            .expect("rtcp")
            .to_string(),
        "5001 IN IP4 10.0.0.1"
    );
}
