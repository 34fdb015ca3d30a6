//! RFC 5769's sample messages (§2.1–2.3, short-term credentials): each parsed, its
//! MESSAGE-INTEGRITY verified with the password (and refused with another), its
//! FINGERPRINT verified, its XOR-MAPPED-ADDRESS decoded, and each rebuilt byte for byte
//! by the writer (the samples pad with spaces, so the writer pads with spaces here).

use std::net::SocketAddr;

use sbc_ice::message::{BINDING, attr};
use sbc_ice::{Class, Message, Writer};

const PASSWORD: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";
const TRANSACTION: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| {
            let text = std::str::from_utf8(p).expect("ASCII digits");
            u8::from_str_radix(text, 16).expect("hex digits")
        })
        .collect()
}

/// §2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED,
/// USERNAME "evtj:h6vY".
fn request() -> Vec<u8> {
    hex(
        "00 01 00 58  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
         80 22 00 10  53 54 55 4e  20 74 65 73  74 20 63 6c  69 65 6e 74
         00 24 00 04  6e 00 01 ff
         80 29 00 08  93 2f f9 b1  51 26 3b 36
         00 06 00 09  65 76 74 6a  3a 68 36 76  59 20 20 20
         00 08 00 14  9a ea a7 0c  bf d8 cb 56  78 1e f2 b5  b2 d3 f2 49  c1 b5 71 a2
         80 28 00 04  e5 7a 3b cf",
    )
}

/// §2.2 Sample IPv4 Response: SOFTWARE "test vector", 192.0.2.1 port 32853.
fn response_v4() -> Vec<u8> {
    hex(
        "01 01 00 3c  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
         80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
         00 20 00 08  00 01 a1 47  e1 12 a6 43
         00 08 00 14  2b 91 f5 99  fd 9e 90 c3  8c 74 89 f9  2a f9 ba 53  f0 6b e7 d7
         80 28 00 04  c0 7d 4c 96",
    )
}

/// §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
fn response_v6() -> Vec<u8> {
    hex(
        "01 01 00 48  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
         80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
         00 20 00 14  00 02 a1 47  01 13 a9 fa  a5 d3 f1 79  bc 25 f4 b5  be d2 b9 d9
         00 08 00 14  a3 82 95 4e  4b e6 7b f1  17 84 c9 7c  82 92 c2 75  bf e3 ed 41
         80 28 00 04  c8 fb 0b 4c",
    )
}

fn check_authenticated(bytes: &[u8]) -> Message<'_> {
    let msg = Message::parse(bytes).expect("the sample parses");
    assert_eq!(msg.method, BINDING);
    assert_eq!(msg.transaction, TRANSACTION);
    assert!(msg.verify_integrity(PASSWORD), "MESSAGE-INTEGRITY verifies");
    assert!(
        !msg.verify_integrity(b"VOkJxbRl1RmTxUk/WvJxBu"),
        "another password does not"
    );
    assert_eq!(msg.fingerprint_ok(), Some(true), "FINGERPRINT verifies");
    msg
}

#[test]
fn sample_request() {
    let bytes = request();
    let msg = check_authenticated(&bytes);
    assert_eq!(msg.class, Class::Request);
    assert_eq!(msg.username, Some(&b"evtj:h6vY"[..]));
    assert_eq!(msg.software, Some(&b"STUN test client"[..]));
    assert_eq!(msg.priority, Some(0x6e00_01ff));
    assert_eq!(msg.ice_controlled, Some(0x932f_f9b1_5126_3b36));
    assert!(!msg.use_candidate);

    let mut out = [0u8; 256];
    let mut w = Writer::new(&mut out, BINDING, Class::Request, TRANSACTION)
        .expect("room")
        .pad_with(b' ');
    w.attribute(attr::SOFTWARE, b"STUN test client")
        .expect("room");
    w.attribute(attr::PRIORITY, &0x6e00_01ffu32.to_be_bytes())
        .expect("room");
    w.attribute(
        attr::ICE_CONTROLLED,
        &0x932f_f9b1_5126_3b36u64.to_be_bytes(),
    )
    .expect("room");
    w.attribute(attr::USERNAME, b"evtj:h6vY").expect("room");
    w.message_integrity(PASSWORD).expect("room");
    w.fingerprint().expect("room");
    let n = w.finish();
    assert_eq!(&out[..n], &bytes[..], "rebuilt byte for byte");
}

fn response(bytes: &[u8], mapped: &str) {
    let msg = check_authenticated(bytes);
    assert_eq!(msg.class, Class::Success);
    assert_eq!(msg.software, Some(&b"test vector"[..]));
    let mapped: SocketAddr = mapped.parse().expect("an address");
    assert_eq!(msg.xor_mapped_address, Some(mapped));

    let mut out = [0u8; 256];
    let mut w = Writer::new(&mut out, BINDING, Class::Success, TRANSACTION)
        .expect("room")
        .pad_with(b' ');
    w.attribute(attr::SOFTWARE, b"test vector").expect("room");
    w.xor_mapped_address(mapped).expect("room");
    w.message_integrity(PASSWORD).expect("room");
    w.fingerprint().expect("room");
    let n = w.finish();
    assert_eq!(&out[..n], bytes, "rebuilt byte for byte");
}

#[test]
fn sample_ipv4_response() {
    response(&response_v4(), "192.0.2.1:32853");
}

#[test]
fn sample_ipv6_response() {
    response(
        &response_v6(),
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
    );
}

#[test]
fn a_flipped_bit_anywhere_fails_integrity_or_fingerprint_or_parsing() {
    let good = request();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        let Ok(msg) = Message::parse(&bad) else {
            continue;
        };
        let integrity = msg.verify_integrity(PASSWORD);
        let fingerprint = msg.fingerprint_ok() == Some(true);
        // The padding of USERNAME (bytes 69..72) is covered by both; every byte is.
        assert!(
            !(integrity && fingerprint),
            "byte {i} changed and the message still verifies"
        );
    }
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    let good = request();
    for cut in 0..good.len() {
        assert!(Message::parse(&good[..cut]).is_err(), "cut at {cut}");
    }
    // An attribute length running past the end, the length field lying.
    let mut bad = good.clone();
    bad[22..24].copy_from_slice(&[0xff, 0xff]);
    assert!(Message::parse(&bad).is_err());
    let mut bad = good;
    bad[3] = 0x54;
    assert!(Message::parse(&bad).is_err());
}
