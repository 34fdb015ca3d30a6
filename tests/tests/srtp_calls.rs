//! SRTP with real, independent implementations on the wire: Debian's baresip (libre's SRTP,
//! `mediaenc=srtp-mand`) over SIP/TLS on the outside, and on the inside either a plain-RTP
//! sipp PBX or a second baresip keyed over UDP (`sdes_without_tls`).
//!
//! What each call proves, from what the far ends heard and what crossed the wires:
//! * audio both ways: the PBX's 400 Hz tone is in the WAV baresip dumps of what it
//!   decrypted and decoded, baresip's tone is in what the PBX received (so the SBC
//!   unprotected what baresip protected, and baresip unprotected what the SBC protected);
//! * on the outside capture the SBC's packets read as G.711 hold no tone, and decrypted with
//!   the key the SBC gave baresip in its SDP (read from baresip's SIP trace: the SDP crossed
//!   in TLS) they hold the PBX's tone;
//! * with SRTP on both legs, the four keys differ and none of the outside ones is in the
//!   inside's SDP; none of the four is in the call's ladder (JSON) or pcap (the TLS leg
//!   written decrypted) fetched over the management API, whose `a=crypto` lines hold
//!   masked keys (issue 15: observation copies never carry SRTP keys);
//! * linphone-cli (libsrtp2) as the SRTP PBX: a third implementation, audio both ways;
//! * forked 183s, each fork with its own key (`tools/rtp.py` protecting with Python's
//!   cryptography): the phone hears each fork's tone.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sbc_codec::g711::Law;
use sbc_lab::baresip::{Phone, PhoneSpec};
use sbc_lab::capture::{Datagram, rtp_ssrc};
use sbc_lab::linphone::LinphoneSpec;
use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::tone::{self, Heard};
use sbc_lab::topology::{
    CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT, sip_addr,
};
use sbc_lab::{Lab, Mgmt, Ns, SbcProcess, StandardConfig, TestCa};
use sbc_srtp::{Context, Suite};

/// The PBX's tone (tone_uas.xml, or the inside baresip).
const PBX_TONE: f64 = 400.0;
/// The outside phone's tone.
const PHONE_TONE: f64 = 1000.0;
/// Talk time before the phone hangs up.
const TALK: Duration = Duration::from_secs(5);
/// 50 ms blocks that must be the tone (of about 80 in 4 s).
const MIN_TONE_BLOCKS: usize = 20;

fn at(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

/// The standard config with TLS on the outside and the carrier trunk reached over TLS,
/// requiring SRTP; `pbx_keys` are added to the pbx trunk.
fn config(lab: &Lab, pbx_keys: &str) -> (String, TestCa) {
    let ca = TestCa::new(lab.dir(), "srtp-ca").expect("test CA");
    let server = ca
        .server("sbc-outside", &["10.91.1.1"])
        .expect("server certificate");
    let config = StandardConfig::default().outside_tls(&server).render();
    let carrier = format!("peers = [\"udp:{CARRIER_IP}:{SIP_PORT}\"]\n");
    let pbx = format!("peers = [\"udp:{PBX_IP}:{SIP_PORT}\"]\n");
    assert!(
        config.contains(&carrier) && config.contains(&pbx),
        "the standard config changed shape:\n{config}"
    );
    let config = config
        .replace(
            &carrier,
            &format!(
                "peers = [\"tls:{CARRIER_IP}:{SIP_TLS_PORT}\"]\nsrtp = \"required\"\n\
                 srtp_suites = [\"AES_CM_128_HMAC_SHA1_80\", \"AEAD_AES_128_GCM\"]\n"
            ),
        )
        .replace(&pbx, &format!("{pbx}{pbx_keys}"));
    (config, ca)
}

/// The outside phone: baresip over TLS to the SBC, SRTP mandatory, not registering.
fn outside_phone(lab: &Lab, ca: &TestCa) -> Phone {
    let mut spec = PhoneSpec::new(
        at(CARRIER_IP, 5080),
        "alice",
        at(SBC_OUTSIDE_IP, SIP_TLS_PORT),
    );
    spec.register = false;
    spec.transport = "tls";
    spec.tls_ca = Some(ca.ca_path());
    spec.mediaenc = Some("srtp-mand");
    spec.tone_hz = PHONE_TONE;
    spec.sip_trace = true;
    spec.dump_audio = true;
    lab.start_phone_with(Ns::Carrier, &spec)
        .expect("start baresip")
}

/// Dials through the SBC to the PBX, talks, hangs up.
fn call_and_hang_up(lab: &Lab, phone: &mut Phone) {
    // The console is up once baresip printed its banner of loaded modules.
    std::thread::sleep(Duration::from_secs(1));
    let uri = format!("sip:4930123@{SBC_OUTSIDE_IP}:{SIP_TLS_PORT};transport=tls");
    phone.command(lab, &format!("/dial {uri}")).expect("dial");
    phone
        .wait_for_count("SRTP is Enabled", 1, Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("no SRTP call: {e}\n{}", phone.log()));
    std::thread::sleep(TALK);
    phone.command(lab, "/hangup").expect("hang up");
    // baresip closes its audio dumps when the call ends.
    std::thread::sleep(Duration::from_secs(1));
}

/// The first `a=crypto` value in the SDP of each message of a baresip SIP trace that
/// starts with `start` (a request method or `SIP/2.0 200`).
fn crypto_in(trace: &str, start: &str) -> Option<String> {
    let mut inside = false;
    for line in trace.lines().map(str::trim) {
        let is_start = line.starts_with("SIP/2.0 ")
            || line.split_once(' ').is_some_and(|(m, rest)| {
                rest.starts_with("sip:") && m.chars().all(|c| c.is_ascii_uppercase())
            });
        if is_start {
            inside = line.starts_with(start);
        } else if inside {
            if let Some(v) = line.strip_prefix("a=crypto:") {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// `<tag> <suite> inline:<key||salt>[|...]` as the suite and its master key and salt.
fn parse_crypto(value: &str) -> (Suite, Vec<u8>, Vec<u8>) {
    let mut words = value.split_whitespace();
    let _tag = words.next();
    let suite_name = words.next().expect("suite");
    let suite = Suite::from_name(suite_name).unwrap_or_else(|| panic!("suite {suite_name}"));
    let inline = words
        .next()
        .and_then(|k| k.strip_prefix("inline:"))
        .expect("inline key");
    let b64 = inline.split('|').next().unwrap_or(inline);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64 key");
    let key_len = raw.len()
        - if raw.len() == 28 || raw.len() == 44 {
            12
        } else {
            14
        };
    (suite, raw[..key_len].to_vec(), raw[key_len..].to_vec())
}

/// RTP datagrams from `from` to `to` (by IP), in capture order.
fn rtp_between(datagrams: &[Datagram], from: Ipv4Addr, to: Ipv4Addr) -> Vec<&Datagram> {
    datagrams
        .iter()
        .filter(|d| d.from.ip() == from && d.to.ip() == to)
        .filter(|d| {
            rtp_ssrc(&d.payload).is_some() && d.payload.get(1).is_some_and(|pt| pt & 0x7f < 64)
        })
        .collect()
}

/// What the SRTP packets' payloads hold, read as G.711 as they are and decrypted with
/// `crypto` (the key the receiver was given).
fn hear_srtp(packets: &[&Datagram], crypto: &str, law: Law) -> (Heard, Heard) {
    let (suite, key, salt) = parse_crypto(crypto);
    let mut context = Context::new(suite, &key, &salt, None).expect("SRTP context");
    let (mut raw, mut clear) = (Vec::new(), Vec::new());
    for d in packets {
        let header = 12 + 4 * usize::from(d.payload[0] & 0x0f);
        // As they are: everything after the header (the tag too: a few bytes of noise).
        raw.extend(tone::decode(
            law,
            d.payload.get(header..).unwrap_or_default(),
        ));
        let mut buf = d.payload.clone();
        let len = buf.len();
        if let Ok(n) = context.unprotect_rtp(&mut buf, len) {
            clear.extend(tone::decode(law, &buf[header..n]));
        }
    }
    (tone::listen(&raw, PBX_TONE), tone::listen(&clear, PBX_TONE))
}

/// The law of the payload type of the first packet (0 PCMU, 8 PCMA).
fn law_of(packets: &[&Datagram]) -> Law {
    match packets.first().map(|d| d.payload[1] & 0x7f) {
        Some(8) => Law::Alaw,
        _ => Law::Ulaw,
    }
}

/// What baresip decoded, from its `-dec.wav` dumps.
fn phone_heard(phone: &Phone, hz: f64) -> Heard {
    let dumps = phone.dumps("-dec.wav");
    assert!(
        !dumps.is_empty(),
        "baresip dumped no decoded audio in {}",
        phone.dir().display()
    );
    let mut heard = Heard { loud: 0, tone: 0 };
    for file in dumps {
        let samples = tone::read_wav(&file).expect("read baresip's dump");
        let h = tone::listen(&samples, hz);
        heard.loud += h.loud;
        heard.tone += h.tone;
    }
    heard
}

fn read_record(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn a_phone_over_tls_and_srtp_talks_with_a_plain_rtp_pbx() {
    let lab = Lab::new().expect("create lab");
    let (config, ca) = config(&lab, "");
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_out = lab.artifacts().unique_path("rtp-pbx", ".json");
    let pbx_heard = lab.artifacts().unique_path("pbx-heard", ".raw");
    let pbx = lab
        .sipp(Ns::Pbx, "tone_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out), ("rtp_rec", &pbx_heard)]).expect("keys"))
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("sipp pbx");
    let outside = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture outside");
    let inside = lab.capture_udp(Ns::Pbx, "eth0").expect("capture inside");
    let mut phone = outside_phone(&lab, &ca);

    call_and_hang_up(&lab, &mut phone);
    let pbx = pbx.finish().expect("sipp pbx");
    let pbx_rtp = RtpResult::wait(&pbx_out, Duration::from_secs(10)).expect("rtp.py result");
    let outside = outside.finish().expect("outside capture");
    let inside = inside.finish().expect("inside capture");
    let log = phone.log();
    let context = || format!("--- baresip:\n{log}\n--- sbc:\n{}", sbc.log_tail());

    assert!(
        pbx.success(),
        "the PBX's call failed:\n{}\n{}",
        pbx.report(),
        context()
    );
    assert!(
        !log.contains("failed to decrypt") && !log.contains("failed to encrypt"),
        "baresip could not unprotect what the SBC sent:\n{}",
        context()
    );
    // Baresip's tone reached the plain PBX: the SBC unprotected baresip's SRTP.
    let heard = tone::listen(
        &tone::decode(Law::Ulaw, &read_record(&pbx_heard)),
        PHONE_TONE,
    );
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "the PBX did not hear the phone's {PHONE_TONE} Hz tone ({heard:?}, {} RTP packets):\n{}",
        pbx_rtp.rtp,
        context()
    );
    // The PBX's tone reached baresip: baresip unprotected the SBC's SRTP.
    let heard = phone_heard(&phone, PBX_TONE);
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "baresip did not hear the PBX's {PBX_TONE} Hz tone ({heard:?}):\n{}",
        context()
    );
    // On the outside wire the tone is encrypted; with the key the SBC gave baresip, it is there.
    let to_phone = rtp_between(&outside, SBC_OUTSIDE_IP, CARRIER_IP);
    let sbc_key = crypto_in(&log, "SIP/2.0 200")
        .expect("the SBC's a=crypto in its 200 (baresip's SIP trace)");
    let (raw, clear) = hear_srtp(&to_phone, &sbc_key, law_of(&to_phone));
    eprintln!(
        "srtp: {} packets to the phone; as they are {raw:?}, decrypted {clear:?}; suite {}",
        to_phone.len(),
        sbc_key.split_whitespace().nth(1).unwrap_or("?")
    );
    assert_eq!(
        raw.tone, 0,
        "the tone is audible on the outside wire: not encrypted ({raw:?})"
    );
    assert!(
        clear.has_tone(MIN_TONE_BLOCKS),
        "decrypted with the SDP key, the outside packets hold no tone ({clear:?}; {} packets)",
        to_phone.len()
    );
    // The inside wire is plain RTP with the tone, and no key of the outside leg is in it.
    let to_pbx = rtp_between(&inside, SBC_INSIDE_IP, PBX_IP);
    assert!(!to_pbx.is_empty(), "no RTP towards the PBX");
    let inside_text: String = inside
        .iter()
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect();
    assert!(
        !inside_text.contains("a=crypto"),
        "SDES keys on the plain leg"
    );
    assert!(!inside_text.contains("RTP/SAVP"), "SAVP on the plain leg");
}

#[test]
fn srtp_on_both_legs_uses_different_keys_on_each() {
    let lab = Lab::new().expect("create lab");
    // The PBX leg: SRTP over UDP signalling (keys in clear, so the capture can read them).
    let (config, ca) = config(
        &lab,
        "srtp = \"required\"\nsdes_without_tls = true\nsrtp_suites = [\"AEAD_AES_128_GCM\"]\n",
    );
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let outside = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture outside");
    let inside = lab.capture_udp(Ns::Pbx, "eth0").expect("capture inside");
    // The PBX answers as the user the call is for (baresip takes calls for its own user).
    let mut pbx_spec = PhoneSpec::new(at(PBX_IP, SIP_PORT), "4930123", sip_addr(SBC_INSIDE_IP));
    pbx_spec.register = false;
    pbx_spec.mediaenc = Some("srtp-mand");
    pbx_spec.tone_hz = PBX_TONE;
    pbx_spec.sip_trace = true;
    pbx_spec.dump_audio = true;
    let pbx = lab
        .start_phone_with(Ns::Pbx, &pbx_spec)
        .expect("start baresip pbx");
    let mut phone = outside_phone(&lab, &ca);

    call_and_hang_up(&lab, &mut phone);
    let outside = outside.finish().expect("outside capture");
    let inside = inside.finish().expect("inside capture");
    let (log, pbx_log) = (phone.log(), pbx.log());
    let context = || {
        format!(
            "--- baresip outside:\n{log}\n--- baresip inside:\n{pbx_log}\n--- sbc:\n{}",
            sbc.log_tail()
        )
    };
    for l in [&log, &pbx_log] {
        assert!(
            !l.contains("failed to decrypt") && !l.contains("failed to encrypt"),
            "a baresip could not unprotect what the SBC sent:\n{}",
            context()
        );
    }
    let heard = phone_heard(&phone, PBX_TONE);
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "the phone did not hear the PBX ({heard:?}):\n{}",
        context()
    );
    let heard = phone_heard(&pbx, PHONE_TONE);
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "the PBX did not hear the phone ({heard:?}):\n{}",
        context()
    );

    // Four keys: each peer's and the SBC's on each leg, all different.
    let inline = |c: Option<String>, what: &str| -> String {
        let c = c.unwrap_or_else(|| panic!("no a=crypto: {what}\n{}", context()));
        c.split_whitespace().nth(2).unwrap_or_default().to_owned()
    };
    let keys = [
        inline(crypto_in(&log, "INVITE"), "the phone's offer"),
        inline(
            crypto_in(&log, "SIP/2.0 200"),
            "the SBC's answer to the phone",
        ),
        inline(crypto_in(&pbx_log, "INVITE"), "the SBC's offer to the PBX"),
        inline(crypto_in(&pbx_log, "SIP/2.0 200"), "the PBX's answer"),
    ];
    eprintln!(
        "srtp: key prefixes (phone, SBC outside, SBC inside, PBX): {:?}",
        keys.iter()
            .map(|k| k
                .trim_start_matches("inline:")
                .chars()
                .take(6)
                .collect::<String>())
            .collect::<Vec<_>>()
    );
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b, "a key was used on two legs or both ways: {keys:?}");
        }
    }
    let inside_text: String = inside
        .iter()
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect();
    for k in &keys[..2] {
        let b64 = k
            .trim_start_matches("inline:")
            .split('|')
            .next()
            .unwrap_or_default();
        assert!(
            !inside_text.contains(b64),
            "an outside key crossed to the inside"
        );
    }
    assert!(
        inside_text.contains("AEAD_AES_128_GCM"),
        "the PBX leg's suite is its trunk's"
    );
    no_key_in_the_ladder_or_pcap(&lab, &sbc, &keys);

    // Both wires carry only ciphertext; the inside one decrypts with the SBC's inside key.
    let to_pbx = rtp_between(&inside, SBC_INSIDE_IP, PBX_IP);
    let sbc_inside = crypto_in(&pbx_log, "INVITE").expect("the SBC's offer");
    let phone_tone = |packets: &[&Datagram]| {
        let (suite, key, salt) = parse_crypto(&sbc_inside);
        let mut ctx = Context::new(suite, &key, &salt, None).expect("context");
        let mut clear = Vec::new();
        for d in packets {
            let mut buf = d.payload.clone();
            let len = buf.len();
            let header = 12 + 4 * usize::from(buf[0] & 0x0f);
            if let Ok(n) = ctx.unprotect_rtp(&mut buf, len) {
                clear.extend(tone::decode(law_of(packets), &buf[header..n]));
            }
        }
        tone::listen(&clear, PHONE_TONE)
    };
    let heard = phone_tone(&to_pbx);
    eprintln!(
        "srtp: {} packets to the PBX, decrypted {heard:?}",
        to_pbx.len()
    );
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "decrypted with the SBC's inside key, the inside packets hold no tone ({heard:?})"
    );
    let to_phone = rtp_between(&outside, SBC_OUTSIDE_IP, CARRIER_IP);
    let (raw, clear) = hear_srtp(
        &to_phone,
        &crypto_in(&log, "SIP/2.0 200").unwrap_or_default(),
        law_of(&to_phone),
    );
    assert_eq!(raw.tone, 0, "plain tone on the outside wire ({raw:?})");
    assert!(
        clear.has_tone(MIN_TONE_BLOCKS),
        "outside packets ({clear:?})"
    );
}

/// The call's ladder and pcap over the management API hold its four SDPs with their
/// `a=crypto` lines, and none of `keys` (`inline:<key>[|...]`, as the peers saw them).
fn no_key_in_the_ladder_or_pcap(lab: &Lab, sbc: &SbcProcess, keys: &[String]) {
    let mgmt = Mgmt::login(lab, sbc).expect("management login");
    // The ended call's number, from its CDR (written within 3 s of the end).
    let deadline = Instant::now() + Duration::from_secs(20);
    let call = loop {
        let list: serde_json::Value =
            serde_json::from_str(&mgmt.get("/api/cdrs?limit=1").expect("GET /api/cdrs"))
                .expect("JSON");
        if let Some(call) = list[0]["call"].as_u64() {
            break call;
        }
        assert!(Instant::now() < deadline, "no CDR\n{}", sbc.log_tail());
        std::thread::sleep(Duration::from_millis(300));
    };
    let ladder = mgmt
        .get(&format!("/api/calls/{call}/ladder"))
        .expect("GET ladder");
    let pcap_path = lab.dir().join(format!("call-{call}.pcap"));
    mgmt.download(&format!("/api/calls/{call}/pcap"), &pcap_path)
        .expect("GET pcap");
    let pcap = std::fs::read(&pcap_path).expect("read the pcap");
    let pcap_text = String::from_utf8_lossy(&pcap);
    // Each leg's offer and answer, received and sent: masked keys, `A`s (base64 of zeros).
    let masked = format!("inline:{}", "A".repeat(38));
    for (what, text) in [("ladder", ladder.as_str()), ("pcap", &*pcap_text)] {
        assert!(
            text.matches(&masked).count() >= 4,
            "{what}: the four SDPs with masked a=crypto lines:\n{text}"
        );
        for k in keys {
            let b64 = k
                .trim_start_matches("inline:")
                .split('|')
                .next()
                .unwrap_or_default();
            assert!(b64.len() >= 38, "a key as on the wire: {k}");
            assert!(!text.contains(b64), "{what} holds the key {b64}:\n{text}");
        }
    }
}

/// 30 random bytes (an AES_CM_128_HMAC_SHA1_80 key and salt) as an inline key.
fn random_inline_key() -> String {
    use std::io::Read as _;
    let mut raw = [0u8; 30];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .expect("read /dev/urandom");
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[test]
fn forked_early_media_brings_a_key_per_fork() {
    let lab = Lab::new().expect("create lab");
    let (config, ca) = config(
        &lab,
        "srtp = \"required\"\nsdes_without_tls = true\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n",
    );
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let (key_a, key_b) = (random_inline_key(), random_inline_key());
    let out_a = lab.artifacts().unique_path("rtp-fork-a", ".json");
    let out_b = lab.artifacts().unique_path("rtp-fork-b", ".json");
    let mut keys = tool_keys(&[("rtp_out_a", &out_a), ("rtp_out_b", &out_b)]).expect("keys");
    for (name, value) in [
        ("key_a", key_a.as_str()),
        ("key_b", key_b.as_str()),
        ("rtp_count", "300"),
    ] {
        keys.extend(["-key".to_owned(), name.to_owned(), value.to_owned()]);
    }
    let pbx = lab
        .sipp(Ns::Pbx, "srtp_fork_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(keys)
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("sipp pbx");
    let mut phone = outside_phone(&lab, &ca);

    call_and_hang_up(&lab, &mut phone);
    let pbx = pbx.finish().expect("sipp pbx");
    let log = phone.log();
    let context = || format!("--- baresip:\n{log}\n--- sbc:\n{}", sbc.log_tail());
    assert!(
        pbx.success(),
        "the forking PBX's call failed:\n{}\n{}",
        pbx.report(),
        context()
    );
    assert!(
        !log.contains("failed to decrypt"),
        "baresip could not unprotect what the SBC sent:\n{}",
        context()
    );
    // Fork a streamed first (its key), fork b answered (its key): the phone heard both,
    // each unprotected with its own fork's key and protected again with the phone's.
    let early = phone_heard(&phone, 600.0);
    let answered = phone_heard(&phone, 800.0);
    eprintln!("srtp: the phone heard fork a {early:?}, fork b {answered:?}");
    assert!(
        early.tone >= 10,
        "the early media of fork a (600 Hz) did not reach the phone ({early:?}):\n{}",
        context()
    );
    assert!(
        answered.tone >= MIN_TONE_BLOCKS,
        "the answering fork b (800 Hz) did not reach the phone ({answered:?}):\n{}",
        context()
    );
    let sbc_log = sbc.log();
    assert!(
        !sbc_log.contains(&key_a) && !sbc_log.contains(&key_b),
        "a key in the SBC's log"
    );
}

#[test]
fn linphone_as_an_srtp_pbx_talks_with_baresip_over_tls() {
    let lab = Lab::new().expect("create lab");
    let (config, ca) = config(
        &lab,
        "srtp = \"required\"\nsdes_without_tls = true\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\"]\n",
    );
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let mut pbx = lab
        .start_linphone(
            Ns::Pbx,
            &LinphoneSpec {
                sip_port: SIP_PORT,
                rtp_port: 40002,
                tone_hz: PBX_TONE,
                srtp: true,
            },
        )
        .expect("start linphonec");
    let inside = lab.capture_udp(Ns::Pbx, "eth0").expect("capture inside");
    let mut phone = outside_phone(&lab, &ca);

    call_and_hang_up(&lab, &mut phone);
    pbx.quit(Duration::from_secs(10)).expect("linphonec quits");
    let inside = inside.finish().expect("inside capture");
    let (log, pbx_log) = (phone.log(), pbx.log());
    let context = || {
        format!(
            "--- baresip:\n{log}\n--- linphonec:\n{}\n--- sbc:\n{}",
            sbc_lab::child::tail(&pbx_log, 120),
            sbc.log_tail()
        )
    };
    assert!(
        !log.contains("failed to decrypt"),
        "baresip could not unprotect what the SBC sent:\n{}",
        context()
    );
    let inside_text: String = inside
        .iter()
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect();
    assert!(
        inside_text.contains("RTP/SAVP") && inside_text.contains("a=crypto"),
        "the PBX leg was not keyed"
    );
    let heard = phone_heard(&phone, PBX_TONE);
    let samples = tone::read_wav(&pbx.recording).unwrap_or_else(|e| panic!("{e}\n{}", context()));
    let pbx_heard = tone::listen(&samples, PHONE_TONE);
    eprintln!("srtp: baresip heard linphone {heard:?}, linphone heard baresip {pbx_heard:?}");
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "baresip did not hear linphone's {PBX_TONE} Hz ({heard:?}):\n{}",
        context()
    );
    assert!(
        pbx_heard.has_tone(MIN_TONE_BLOCKS),
        "linphone did not hear baresip's {PHONE_TONE} Hz ({pbx_heard:?}):\n{}",
        context()
    );
}
