//! Parse + serialize of a 900-byte INVITE with SDP, the figure the README reports.
//!
//! `cargo bench -p sbc-sip --bench parse`. Criterion prints time per iteration and the
//! throughput in messages per second (one element = one message).

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use sbc_sip::{Framing, Limits, Message};

pub const INVITE: &str = "INVITE sip:+4930123456@pbx.example.net:5060;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: <sip:+4930123456@pbx.example.net;user=phone>\r\n\
From: \"Carrier Caller\" <sip:+4989555000@carrier.example.com;user=phone>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@carrier.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:+4989555000@198.51.100.20:5060;transport=udp>\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, PRACK, UPDATE, INFO\r\n\
Supported: 100rel, timer, replaces\r\n\
Session-Expires: 1800;refresher=uac\r\n\
User-Agent: CarrierSwitch/4.2\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 273\r\n\
\r\n\
v=0\r\n\
o=switch 2890844526 2890844526 IN IP4 198.51.100.20\r\n\
s=-\r\n\
c=IN IP4 198.51.100.20\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 8 0 18 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

fn parse_and_serialize(c: &mut Criterion) {
    let limits = Limits::default();
    let bytes = INVITE.as_bytes().to_vec();
    assert!(
        bytes.len() >= 900,
        "the reference INVITE is {} bytes",
        bytes.len()
    );
    let mut group = c.benchmark_group("sip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_900B_invite", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(bytes.clone()), Framing::Datagram, &limits);
            black_box(m.is_ok())
        })
    });
    let mut out = Vec::with_capacity(2048);
    group.bench_function("parse_and_serialize_900B_invite", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(bytes.clone()), Framing::Datagram, &limits)
                .expect("the reference INVITE is valid");
            out.clear();
            m.write_to(&mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_serialize);
criterion_main!(benches);
