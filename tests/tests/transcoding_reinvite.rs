//! A call moved by re-INVITE from relayed to transcoded and back (issue 13: "a re-INVITE may
//! move a stream between relayed, transcoded and kernel-forwarded, both ways"), with real
//! peers and the real `sbc`:
//!
//! 1. a sipp carrier whose trunk allows PCMA only calls a PBX whose trunk allows PCMA and
//!    G.722; both speak PCMA, so the SBC relays it;
//! 2. three seconds in, the PBX re-INVITEs offering G.722 only: the carrier's trunk does
//!    not allow it, so the SBC offers the carrier PCMA, answers the PBX G.722 and
//!    transcodes between them;
//! 3. three seconds later the PBX re-INVITEs with PCMA: relayed again.
//!
//! The PBX echoes every packet as it came, the carrier talks a 400 Hz tone in PCMA
//! throughout. What the wires show: the PBX receives PCMA, then G.722, then PCMA again
//! (payload types in that order on its capture); the carrier only ever receives PCMA, and
//! its tone comes back clean across the three phases.

use std::time::Duration;

use sbc_codec::g711::Law;
use sbc_lab::tone;
use sbc_lab::topology::{PBX_IP, SBC_INSIDE_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

const TONE: f64 = 400.0;
/// 50 ms blocks of the tone the carrier must hear back (of about 200 in its 10 s).
const MIN_TONE_BLOCKS: usize = 120;

/// The payload types of the RTP the SBC sent the PBX's echo port, each run of equal
/// payload types once, in order.
fn pt_runs(datagrams: &[sbc_lab::capture::Datagram]) -> Vec<u8> {
    let mut runs: Vec<u8> = vec![];
    for d in datagrams {
        if d.from.ip() != SBC_INSIDE_IP || d.to.ip() != PBX_IP || d.to.port() != 40002 {
            continue;
        }
        let Some(&byte) = d.payload.get(1) else {
            continue;
        };
        let pt = byte & 0x7f;
        if runs.last() != Some(&pt) {
            runs.push(pt);
        }
    }
    runs
}

#[test]
fn a_reinvite_moves_a_call_from_relayed_to_transcoded_and_back() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("codecs = [\"PCMA\"]\n")
        .pbx_keys("codecs = [\"PCMA\", \"G722\"]\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let call = lab
        .echo_call("echo_reinvite_uas.xml", "pcma_tone_reinvited_uac.xml")
        .hold_ms(3000)
        .timeouts(
            Duration::from_secs(40),
            Duration::from_secs(35),
            Duration::from_secs(15),
        )
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back, heard) = (call.echoed(), call.back(), call.heard());
    let runs = pt_runs(&pbx_wire.finish().expect("the PBX's capture"));
    let h = tone::listen(&tone::decode(Law::Alaw, &heard), TONE);
    eprintln!(
        "re-INVITE: the PBX received payload types {runs:?} in that order ({} packets, \
         types {:?}); the carrier got {} back (types {:?}), {h:?}",
        echoed.rtp, echoed.pts, back.rtp, back.pts
    );
    assert_eq!(
        runs,
        [8, 9, 8],
        "the PBX's wire: PCMA relayed, G.722 transcoded, PCMA relayed again\n--- sbc\n{}",
        sbc.log_tail()
    );
    assert_eq!(back.pts, [8], "the carrier gets PCMA only: {}", back.raw);
    assert!(
        h.has_tone(MIN_TONE_BLOCKS),
        "the {TONE} Hz tone did not come back clean across the moves ({h:?})\n--- sbc\n{}",
        sbc.log_tail()
    );
}
