//! Comfort noise through a pause, with real peers (issue 13, RFC 3389): a sipp carrier
//! offering PCMA and CN/8000 calls a PBX whose trunk allows G.722 and CN, whose sipp
//! answers G.722 (with or without CN) and echoes every packet. The carrier talks 1 s of
//! a 400 Hz tone, sends one CN packet at −40 dBov, sends nothing for 1 s (DTX) and talks
//! 1 s again: 101 packets for 150 slots of 20 ms.
//!
//! * A PBX that answers without CN: the carrier is still answered with its CN (the SBC
//!   takes it), and the SBC keeps a packet going to the PBX every 20 ms through the pause
//!   (comfort noise in G.722), so the PBX's wire carries G.722 only and about 150
//!   packets, and the echoed noise comes back to the carrier as PCMA, with the tone on
//!   both sides of it.
//! * A PBX that answers with CN: it gets the SBC's own CN packets instead — one where the
//!   pause starts and a refresh 500 ms later, level 40 (the level alone: G.722's 16 kHz
//!   audio is not what a `CN/8000` spectrum would describe), unmarked, numbered with the
//!   audio, the first audio after them marked and 50 slots (8000 timestamp units) after
//!   the first; its echo of them reaches the carrier as CN packets of the SBC's too.

use sbc_codec::g711::Law;
use sbc_lab::rtp::RtpResult;
use sbc_lab::tone;
use sbc_lab::{Lab, StandardConfig};

/// The carrier's 150 slots less start-up and the echo's end: without comfort noise the
/// PBX gets the 100 audio packets and at most 10 concealed ones (200 ms).
const MIN_PACKETS: u64 = 140;

/// What one call left behind: the PBX's and the carrier's records, and the carrier's
/// decoded audio listened to for the tone.
struct Call {
    echoed: RtpResult,
    back: RtpResult,
    heard: tone::Heard,
}

/// The call, with the PBX run by sipp scenario `pbx_scenario` answering G.722.
fn call(pbx_scenario: &str) -> Call {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("codecs = [\"G722\", \"CN\", \"telephone-event\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let call = lab
        .echo_call(pbx_scenario, "pcma_cn_pause_uac.xml")
        .pbx_keys(&[("answer_pt", "9"), ("answer_map", "G722/8000")])
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back, heard) = (call.echoed(), call.back(), call.heard());
    let samples = tone::decode(Law::Alaw, &heard);
    let heard = tone::listen(&samples, 400.0);
    eprintln!(
        "the carrier sent {} packets (one CN); the PBX received {} (payload types {:?}, \
         sizes {:?}, CN {:?}, marked {:?}); the carrier got {} back (payload types {:?}, \
         CN {:?}), {heard:?}",
        back.sent,
        echoed.rtp,
        echoed.pts,
        echoed.sizes,
        echoed.comfort_noise,
        echoed.marked,
        back.rtp,
        back.pts,
        back.comfort_noise
    );
    assert_eq!(back.sent, 101, "100 tone packets and one CN: {}", back.raw);
    Call {
        echoed,
        back,
        heard,
    }
}

#[test]
fn a_carriers_cn_pause_reaches_a_g722_pbx_without_cn_as_comfort_noise_every_20_ms() {
    let Call {
        echoed,
        back,
        heard,
    } = call("echo_uas.xml");
    assert_eq!(echoed.pts, [9], "the PBX gets G.722 only: {}", echoed.raw);
    assert_eq!(echoed.sizes, [160], "20 ms G.722 frames: {}", echoed.raw);
    assert!(
        echoed.rtp >= MIN_PACKETS,
        "a packet every 20 ms through the pause: the PBX got {} for 150 slots",
        echoed.rtp
    );
    assert_eq!(back.pts, [8], "the carrier gets PCMA only: {}", back.raw);
    assert!(
        back.rtp >= MIN_PACKETS - 5,
        "the echoed noise came back: {} packets",
        back.rtp
    );
    assert!(heard.has_tone(25), "the tone around the pause: {heard:?}");
}

#[test]
fn a_pbx_that_negotiated_cn_gets_the_sbcs_own_cn_packets_through_the_pause() {
    let Call {
        echoed,
        back,
        heard,
    } = call("echo_cn_uas.xml");
    assert_eq!(echoed.pts, [9, 13], "G.722, then CN: {}", echoed.raw);
    let cn = &echoed.comfort_noise;
    // One where the pause starts, a refresh 500 ms (25 ticks) later; a third only if the
    // tick 1 s in ran before the carrier's audio arrived.
    assert!(
        (2..=3).contains(&cn.len()),
        "CN packets at the start and every 500 ms: {cn:?}"
    );
    assert!(
        cn.iter().all(|c| c.level == 40 && c.len == 1),
        "the carrier's level, alone: {cn:?}"
    );
    assert_eq!(
        cn[1].ts.wrapping_sub(cn[0].ts),
        25 * 160,
        "the refresh 500 ms of the SBC's clock later: {cn:?}"
    );
    for w in cn.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "gapless: {cn:?}");
    }
    let last = cn[cn.len() - 1];
    let resumed = echoed
        .marked
        .iter()
        .find(|&&(seq, _)| seq == last.seq.wrapping_add(1))
        .copied();
    assert_eq!(
        resumed.map(|(_, ts)| ts.wrapping_sub(cn[0].ts)),
        Some(50 * 160),
        "the next packet is the audio, marked, 50 slots after the pause began: {:?}",
        echoed.marked
    );
    // Talk and CN only: 100 audio packets and the CNs, far fewer than a packet per slot.
    assert!(
        echoed.rtp < MIN_PACKETS,
        "no noise frames besides the CN: the PBX got {}",
        echoed.rtp
    );
    // The PBX's echo of the CN puts its leg in DTX: the carrier gets CN of the SBC's own.
    assert_eq!(back.pts, [8, 13], "PCMA, then CN: {}", back.raw);
    assert!(
        back.comfort_noise.iter().all(|c| c.level == 40),
        "{:?}",
        back.comfort_noise
    );
    assert!(heard.has_tone(25), "the tone around the pause: {heard:?}");
}
