//! Comfort noise through a pause, with real peers (issue 13, RFC 3389 on input): a sipp
//! carrier offering PCMA and CN/8000 calls a PBX whose trunk allows G.722 and CN, whose
//! sipp answers G.722 and CN and echoes every packet. The carrier talks 1 s of a 400 Hz
//! tone, sends one CN packet, sends nothing for 1 s (DTX) and talks 1 s again: 101
//! packets for 150 slots of 20 ms. The SBC keeps a packet going to the PBX every 20 ms
//! through the pause (comfort noise in G.722), so the PBX's wire carries G.722 only and
//! about 150 packets, and the echoed noise comes back to the carrier as PCMA, with the
//! tone on both sides of it.

use sbc_codec::g711::Law;
use sbc_lab::tone;
use sbc_lab::{Lab, StandardConfig};

/// The carrier's 150 slots less start-up and the echo's end: without comfort noise the
/// PBX gets the 100 audio packets and at most 10 concealed ones (200 ms).
const MIN_PACKETS: u64 = 140;

#[test]
fn a_carriers_cn_pause_reaches_a_g722_pbx_as_comfort_noise_every_20_ms() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .pbx_keys("codecs = [\"G722\", \"CN\", \"telephone-event\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let call = lab
        .echo_call("echo_cn_uas.xml", "pcma_cn_pause_uac.xml")
        .pbx_keys(&[("answer_pt", "9"), ("answer_map", "G722/8000")])
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back, heard) = (call.echoed(), call.back(), call.heard());
    let samples = tone::decode(Law::Alaw, &heard);
    let h = tone::listen(&samples, 400.0);
    eprintln!(
        "the carrier sent {} packets (one CN); the PBX received {} (payload types {:?}, \
         sizes {:?}); the carrier got {} back (payload types {:?}), {h:?}",
        back.sent, echoed.rtp, echoed.pts, echoed.sizes, back.rtp, back.pts
    );
    assert_eq!(back.sent, 101, "100 tone packets and one CN: {}", back.raw);
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
    assert!(h.has_tone(25), "the tone around the pause: {h:?}");
}
