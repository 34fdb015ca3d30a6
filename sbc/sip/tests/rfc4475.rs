//! RFC 4475 torture tests: every message of §3, with the outcome the RFC describes.
//!
//! The messages are the RFC's own (tests/data/rfc4475, produced byte-exact by
//! generate.py); MANIFEST.tsv records each one's section and what the RFC says of it.
//! This test holds the SBC to it: what must parse parses and prints back to an equal
//! message; what is malformed is refused with a typed error and answered 400 (505 for
//! another SIP version) when a response can be formed, dropped when not; and the
//! unusual-but-valid requests get the answers §3.3 describes (416, 420, 415, 406).

use std::path::PathBuf;

use sbc_sip::grammar::{NameAddr, Uri, Via};
use sbc_sip::uas::{Capabilities, screen};
use sbc_sip::{Framing, Known, Limits, Message, Method, reject_response};

/// What the SBC must do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Parses; a request passes §8.2 screening.
    Accept,
    /// Parses, and screening answers with this status.
    Screened(u16),
    /// Refused by the parser and answered with this status.
    Refused(u16),
    /// Refused and dropped: no response can be formed (responses are never answered).
    Dropped,
}

fn expected(file: &str) -> Outcome {
    use Outcome::*;
    match file {
        // §3.1.2: malformed.
        "badinv01.dat" | "clerr.dat" | "ncl.dat" | "scalar02.dat" | "quotbal.dat"
        | "ltgtruri.dat" | "lwsruri.dat" | "lwsstart.dat" | "trws.dat" | "escruri.dat"
        | "baddate.dat" | "regbadct.dat" | "badaspec.dat" | "baddn.dat" | "mismatch01.dat"
        | "mismatch02.dat" => Refused(400),
        "badvers.dat" => Refused(505),
        "scalarlg.dat" | "bigcode.dat" => Dropped,
        // §3.3: grammatical, but refused for what they say.
        "insuf.dat" | "multi01.dat" | "mcl01.dat" => Refused(400),
        "unkscm.dat" | "novelsc.dat" => Screened(416),
        "bext01.dat" => Screened(420),
        "invut.dat" => Screened(415),
        "sdp01.dat" => Screened(406),
        _ => Accept,
    }
}

struct Case {
    file: String,
    section: String,
    expect: String,
    bytes: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 3, "manifest line: {line}");
            let bytes = std::fs::read(dir.join(cols[0])).expect("message file");
            Case {
                file: cols[0].into(),
                section: cols[1].into(),
                expect: cols[2].into(),
                bytes,
            }
        })
        .collect()
}

fn parse(bytes: &[u8]) -> Result<Message, (sbc_sip::ParseError, Vec<u8>)> {
    Message::parse_or_return(bytes.to_vec(), Framing::Datagram, &Limits::default())
}

#[test]
fn the_manifest_covers_all_49_messages() {
    let cases = cases();
    assert_eq!(cases.len(), 49);
    let valid_311 = cases
        .iter()
        .filter(|c| c.section.starts_with("3.1.1."))
        .count();
    let invalid_312 = cases
        .iter()
        .filter(|c| c.section.starts_with("3.1.2."))
        .count();
    assert_eq!((valid_311, invalid_312), (13, 19));
}

#[test]
fn every_message_gets_the_answer_the_rfc_describes() {
    let caps = Capabilities::sbc("sbc");
    let mut failures = Vec::new();
    for case in cases() {
        let want = expected(&case.file);
        // §3.1.2 messages are malformed: none of them may be accepted.
        if case.expect == "invalid" {
            assert!(
                matches!(want, Outcome::Refused(_) | Outcome::Dropped),
                "{}",
                case.file
            );
        }
        let got = match parse(&case.bytes) {
            Ok(msg) => match screen(&msg, &caps) {
                Ok(()) => Outcome::Accept,
                Err(r) => Outcome::Screened(r.code),
            },
            Err((error, bytes)) => match reject_response(&bytes, &error, "sbc") {
                Some(response) => {
                    // The echoed Via/From/To may be the malformed ones (§8.2.6.2 copies
                    // them), so the answer is read as text, not parsed.
                    let text = String::from_utf8_lossy(&response);
                    assert!(
                        text.contains("\r\nWarning: 399 sbc \""),
                        "{}: no Warning",
                        case.file
                    );
                    assert!(
                        text.ends_with("\r\nContent-Length: 0\r\n\r\n"),
                        "{}",
                        case.file
                    );
                    let code = text.get(8..11).and_then(|c| c.parse().ok()).unwrap_or(0);
                    Outcome::Refused(code)
                }
                None => Outcome::Dropped,
            },
        };
        if got != want {
            failures.push(format!(
                "{} (§{}): expected {want:?}, got {got:?}",
                case.file, case.section
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn accepted_messages_print_back_to_equal_messages() {
    for case in cases() {
        let Ok(msg) = parse(&case.bytes) else {
            continue;
        };
        let again = Message::parse(msg.to_bytes(), Framing::Datagram, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: printed form does not parse: {e}", case.file));
        assert_same_message(&msg, &again, &case.file);
    }
}

/// Compares parsed views rather than buffers (spans differ after printing).
fn assert_same_message(a: &Message, b: &Message, file: &str) {
    assert_eq!(a.method(), b.method(), "{file}");
    assert_eq!(a.request_uri(), b.request_uri(), "{file}");
    assert_eq!(a.status(), b.status(), "{file}");
    assert_eq!(a.reason(), b.reason(), "{file}");
    assert_eq!(a.body(), b.body(), "{file}");
    let ha: Vec<_> = a
        .headers()
        .filter(|h| h.known != Some(Known::ContentLength))
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect();
    let hb: Vec<_> = b
        .headers()
        .filter(|h| h.known != Some(Known::ContentLength))
        .map(|h| (h.name.to_owned(), h.value.to_owned()))
        .collect();
    assert_eq!(ha, hb, "{file}");
}

fn ok(file: &str) -> Message {
    let case = cases()
        .into_iter()
        .find(|c| c.file == file)
        .expect("known file");
    parse(&case.bytes).unwrap_or_else(|(e, _)| panic!("{file}: {e}"))
}

#[test]
fn wsinv_values_survive_folding_and_white_space() {
    let m = ok("wsinv.dat");
    assert_eq!(m.cseq().map(|c| (c.seq, c.method)), Ok((9, "INVITE")));
    assert_eq!(m.max_forwards(), Some(68));
    assert_eq!(m.to().ok().and_then(|t| t.tag()), Some("1918181833n"));
    assert_eq!(m.from().ok().and_then(|f| f.tag()), Some("98asjd8"));
    let vias: Vec<_> = m
        .header_values(Known::Via)
        .flat_map(|v| Via::parse_list(v).expect("valid Via"))
        .collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert!(m.other_header("UnknownHeaderWithUnusualValue").is_some());
    // An empty Subject (compact form `s`) is kept.
    assert_eq!(m.header(Known::Subject), Some(""));
}

#[test]
fn unusual_methods_and_uris() {
    let m = ok("intmeth.dat");
    assert_eq!(
        m.method().map(Method::as_str),
        Some("!interesting-Method0123456789_*+`.%indeed'~")
    );
    let m = ok("esc02.dat");
    assert_eq!(m.method().map(Method::as_str), Some("RE%47IST%45R"));
    let contacts: usize = m
        .header_values(Known::Contact)
        .map(|v| NameAddr::parse_list(v).expect("valid Contact").len())
        .sum();
    assert_eq!(contacts, 2);
    assert!(m.other_header("C%6Fntact").is_some());
    let m = ok("semiuri.dat");
    let Some(Ok(Uri::Sip(u))) = m.request_uri_parsed() else {
        panic!("semiuri: sip URI expected")
    };
    assert_eq!(u.user, Some("user;par=u%40example.net"));
    let m = ok("esc01.dat");
    let Some(Ok(Uri::Sip(u))) = m.request_uri_parsed() else {
        panic!("esc01: sip URI expected")
    };
    assert_eq!(u.user, Some("sips%3Auser%40example.com"));
}

#[test]
fn datagram_framing_follows_content_length() {
    // Bytes after Content-Length are ignored (§18.3): the REGISTER, not the INVITE.
    let m = ok("dblreq.dat");
    assert_eq!(m.method(), Some(&Method::Register));
    assert!(m.body().is_empty());
    // No Content-Length on UDP: the body runs to the end of the datagram.
    let m = ok("inv2543.dat");
    assert_eq!(m.body().len(), 105);
    // A binary body with NULs and CRLFs is framed by Content-Length alone.
    let m = ok("mpart01.dat");
    assert_eq!(m.body().len(), 553);
}

#[test]
fn responses_with_unusual_reason_phrases() {
    assert_eq!(ok("noreason.dat").reason(), Some(""));
    let m = ok("unreason.dat");
    assert_eq!(m.status(), Some(200));
    assert!(m.reason().is_some_and(|r| !r.is_ascii()));
}

#[test]
fn many_vias_and_long_values() {
    let m = ok("longreq.dat");
    let vias: usize = m
        .header_values(Known::Via)
        .map(|v| Via::parse_list(v).expect("valid Via").len())
        .sum();
    assert_eq!(vias, 34);
    let m = ok("transports.dat");
    let transports: Vec<String> = m
        .header_values(Known::Via)
        .flat_map(|v| Via::parse_list(v).expect("valid Via"))
        .map(|v| v.transport.to_owned())
        .collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    let to = NameAddr::parse(m.header(Known::To).expect("To")).expect("valid To");
    assert!(to.uri.as_sip().is_some());
}
