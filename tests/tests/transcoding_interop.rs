//! Transcoding with a real client (issue 13's interop check): Debian's baresip, offering
//! Opus only (`audio_codecs=opus/48000/2`, its opus module over libopus), calls through
//! the SBC a sipp PBX whose trunk allows PCMA only and which echoes every packet back.
//!
//! What the call proves, from what crossed the two wires:
//! * the PBX's wire carries PCMA only, and the phone's 1000 Hz tone is in it: the SBC
//!   decoded baresip's Opus (another encoder than its own);
//! * the phone's wire carries Opus only both ways (the payload type baresip offered), and
//!   what the SBC sends the phone, decoded here with libopus, holds the same tone: the
//!   echo, transcoded back from PCMA by the SBC's Opus encoder;
//! * baresip took the SBC's answer (the call was established, its SDP named Opus) and
//!   decoded audio from it (the WAV it dumped is not silent).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use sbc_codec::g711::Law;
use sbc_codec::opus::OpusDecoder;
use sbc_lab::baresip::PhoneSpec;
use sbc_lab::capture::{Datagram, rtp_ssrc};
use sbc_lab::rtp::{RtpResult, tool_keys};
use sbc_lab::tone::{self, Heard};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{Lab, Ns, StandardConfig};

/// The phone's tone.
const PHONE_TONE: f64 = 1000.0;
/// Talk time before the phone hangs up.
const TALK: Duration = Duration::from_secs(5);
/// 50 ms blocks that must be the tone (of about 100 in 5 s).
const MIN_TONE_BLOCKS: usize = 30;

/// RTP datagrams from `from` to `to` (by IP), in capture order.
fn rtp_between(datagrams: &[Datagram], from: Ipv4Addr, to: Ipv4Addr) -> Vec<&Datagram> {
    datagrams
        .iter()
        .filter(|d| d.from.ip() == from && d.to.ip() == to)
        // RTCP's packet types 200-204 read as payload types 72-76 with the marker bit.
        .filter(|d| {
            rtp_ssrc(&d.payload).is_some()
                && d.payload
                    .get(1)
                    .is_some_and(|b| !(72..=76).contains(&(b & 0x7f)))
        })
        .collect()
}

/// The payload types of `packets`, each once, in order of appearance.
fn payload_types(packets: &[&Datagram]) -> Vec<u8> {
    let mut pts = vec![];
    for p in packets {
        let pt = p.payload[1] & 0x7f;
        if !pts.contains(&pt) {
            pts.push(pt);
        }
    }
    pts
}

/// The RTP payload of a datagram (fixed header plus CSRCs; no extension in this lab).
fn payload(d: &Datagram) -> &[u8] {
    let csrcs = usize::from(d.payload[0] & 0x0f);
    d.payload.get(12 + 4 * csrcs..).unwrap_or_default()
}

/// What Opus packets hold, decoded at 8 kHz by libopus.
fn hear_opus(packets: &[&Datagram]) -> Heard {
    let mut decoder = OpusDecoder::new(8000).expect("an Opus decoder");
    let mut samples = vec![];
    let mut frame = vec![0i16; 960];
    for p in packets {
        let n = decoder
            .decode(payload(p), &mut frame)
            .unwrap_or_else(|e| panic!("the SBC's Opus packet does not decode: {e}"));
        samples.extend_from_slice(&frame[..n]);
    }
    tone::listen(&samples, PHONE_TONE)
}

#[test]
fn baresip_with_opus_calls_a_pcma_only_pbx_through_the_sbc() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("codecs = [\"PCMA\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_out = lab.artifacts().unique_path("echo-pbx", ".json");
    let pbx = lab
        .sipp(Ns::Pbx, "echo_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(tool_keys(&[("rtp_out", &pbx_out)]).expect("python3"))
        .args(["-key", "answer_pt", "8", "-key", "answer_map", "PCMA/8000"])
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("start sipp callee");
    let outside = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture outside");
    let inside = lab.capture_udp(Ns::Pbx, "eth0").expect("capture inside");
    let mut spec = PhoneSpec::new(
        SocketAddr::from((CARRIER_IP, 5080)),
        "alice",
        SocketAddr::from((SBC_OUTSIDE_IP, SIP_PORT)),
    );
    spec.register = false;
    spec.tone_hz = PHONE_TONE;
    spec.sip_trace = true;
    spec.dump_audio = true;
    spec.audio_codecs = Some("opus/48000/2");
    let mut phone = lab
        .start_phone_with(Ns::Carrier, &spec)
        .expect("start baresip");

    // The console is up once baresip printed its banner of loaded modules.
    std::thread::sleep(Duration::from_secs(1));
    let uri = format!("sip:4930123@{SBC_OUTSIDE_IP}:{SIP_PORT}");
    phone.command(&lab, &format!("/dial {uri}")).expect("dial");
    phone
        .wait_for_count("Call established", 1, Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("no call: {e}\n--- sbc\n{}", sbc.log_tail()));
    std::thread::sleep(TALK);
    phone.command(&lab, "/hangup").expect("hang up");
    // baresip closes its audio dumps when the call ends.
    std::thread::sleep(Duration::from_secs(1));
    let pbx = pbx.finish().expect("sipp callee");
    let echoed = RtpResult::wait(&pbx_out, Duration::from_secs(10)).expect("the echo's record");
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

    // The PBX's wire: PCMA only, with the phone's tone (the SBC decoded baresip's Opus).
    let to_pbx = rtp_between(&inside, SBC_INSIDE_IP, PBX_IP);
    assert_eq!(payload_types(&to_pbx), [8], "PCMA only towards the PBX");
    let pcma: Vec<u8> = to_pbx.iter().flat_map(|d| payload(d).to_vec()).collect();
    let heard = tone::listen(&tone::decode(Law::Alaw, &pcma), PHONE_TONE);
    eprintln!(
        "opus interop: {} PCMA packets to the PBX ({heard:?}); the echo saw payload types {:?}",
        to_pbx.len(),
        echoed.pts
    );
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "the PBX did not get the phone's {PHONE_TONE} Hz tone as PCMA ({heard:?}):\n{}",
        context()
    );

    // The phone's wire: Opus both ways, under the payload type baresip offered.
    let from_phone = rtp_between(&outside, CARRIER_IP, SBC_OUTSIDE_IP);
    let to_phone = rtp_between(&outside, SBC_OUTSIDE_IP, CARRIER_IP);
    let opus_pt = payload_types(&from_phone);
    assert_eq!(
        opus_pt.len(),
        1,
        "baresip sends one payload type: {opus_pt:?}"
    );
    assert!(
        log.contains(&format!("a=rtpmap:{} opus/48000/2", opus_pt[0])),
        "payload type {} is not Opus in baresip's SDP:\n{}",
        opus_pt[0],
        context()
    );
    assert_eq!(
        payload_types(&to_phone),
        opus_pt,
        "the SBC answers the phone in its own Opus payload type"
    );
    let heard = hear_opus(&to_phone);
    eprintln!(
        "opus interop: {} Opus packets to the phone, decoded {heard:?}",
        to_phone.len()
    );
    assert!(
        heard.has_tone(MIN_TONE_BLOCKS),
        "the echo of the phone's tone is not in the SBC's Opus ({heard:?}):\n{}",
        context()
    );

    // baresip decoded the SBC's Opus: what it dumped is not silence.
    let dumps = phone.dumps("-dec.wav");
    assert!(
        !dumps.is_empty(),
        "baresip dumped no decoded audio in {}",
        phone.dir().display()
    );
    let loud: usize = dumps
        .iter()
        .filter_map(|f| tone::read_wav_any_rate(f).ok())
        .map(|s| tone::listen(&s, PHONE_TONE).loud)
        .sum();
    assert!(
        loud >= MIN_TONE_BLOCKS,
        "baresip decoded only silence from the SBC ({loud} loud blocks):\n{}",
        context()
    );
}
