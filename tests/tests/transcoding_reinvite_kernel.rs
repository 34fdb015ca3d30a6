//! A call moved by re-INVITE from the kernel fast path to transcoding and back (issue 13:
//! "a re-INVITE may move a stream between relayed, transcoded and kernel-forwarded, both
//! ways"), with real peers, the real `sbc` and `[media] kernel_forwarding = true`:
//!
//! 1. a sipp carrier whose trunk allows PCMA only calls a PBX whose trunk allows PCMA and
//!    G.722; both speak PCMA, so the SBC relays it, and once both peers are latched
//!    (window 300 ms) the kernel forwards it (nftables NAT + conntrack);
//! 2. three seconds in, the PBX re-INVITEs offering G.722 only: the SBC transcodes, so the
//!    stream is taken back to userspace (the kernel cannot transcode);
//! 3. three seconds later the PBX re-INVITEs with PCMA: relayed again, and handed to the
//!    kernel again on its next packet; at BYE it is taken back for good.
//!
//! The PBX echoes every packet as it came, the carrier talks a 400 Hz tone in PCMA
//! throughout. Each phase shows on both wires: the PBX's gets PCMA, then G.722, then PCMA
//! (runs of payload types, each with audio); the carrier's gets its own packets echoed
//! (its SSRC: relayed), then the SBC's (its own SSRC: transcoded), then its own again, all
//! PCMA, and its tone comes back clean. The SBC's log shows the handovers in that order,
//! and the kernel's counters, reported when each relay is taken back, carried the audio
//! of phases 1 and 3 both ways.

use std::time::Duration;

use sbc_codec::g711::Law;
use sbc_lab::capture::{Datagram, rtp_ssrc};
use sbc_lab::tone;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

const TONE: f64 = 400.0;
/// 50 ms blocks of the tone the carrier must hear back (of about 200 in its 10 s).
const MIN_TONE_BLOCKS: usize = 120;
/// RTP packets each phase must show on a wire (a phase lasts about 3 s: 150 packets).
const MIN_PHASE_PACKETS: usize = 60;
/// Packets the kernel must have forwarded each way in a relayed phase (of about 150,
/// after the 300 ms latch window).
const MIN_KERNEL_PACKETS: u64 = 50;

/// Runs of equal `key` (payload type, SSRC, ...) over the RTP `datagrams` that pass
/// `keep`, in wire order, with their packet counts.
fn runs<K: PartialEq + Copy>(
    datagrams: &[Datagram],
    keep: impl Fn(&Datagram) -> bool,
    key: impl Fn(&[u8]) -> Option<K>,
) -> Vec<(K, usize)> {
    let mut runs: Vec<(K, usize)> = vec![];
    for d in datagrams.iter().filter(|d| keep(d)) {
        let Some(k) = key(&d.payload) else {
            continue;
        };
        match runs.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => runs.push((k, 1)),
        }
    }
    runs
}

/// The `name=N` field of a log line.
fn field(line: &str, name: &str) -> u64 {
    line.split(&format!("{name}="))
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_reinvite_moves_a_kernel_forwarded_call_to_transcoding_and_back_to_the_kernel() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig {
        firewall: true,
        ..StandardConfig::default()
    }
    .carrier_keys("codecs = [\"PCMA\"]\n")
    .pbx_keys("codecs = [\"PCMA\", \"G722\"]\n")
    .extra("\n[media]\nkernel_forwarding = true\nlatch_window_ms = 300\n")
    .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let carrier_wire = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture the carrier's wire");
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
    // The relay of phase 3 is taken back at BYE.
    sbc.wait_for_log(0, "why=\"close\"", Duration::from_secs(15))
        .or_else(|_| sbc.wait_for_log(0, "why=close", Duration::from_secs(1)))
        .unwrap_or_else(|e| panic!("relay not taken back at BYE: {e}\n{}", sbc.log_tail()));
    let (echoed, back, heard) = (call.echoed(), call.back(), call.heard());
    let h = tone::listen(&tone::decode(Law::Alaw, &heard), TONE);

    // The PBX's wire: payload types 8, 9, 8, each phase with audio.
    let pbx_runs = runs(
        &pbx_wire.finish().expect("the PBX's capture"),
        |d| d.from.ip() == SBC_INSIDE_IP && d.to.ip() == PBX_IP && d.to.port() == 40002,
        |p| p.get(1).map(|b| b & 0x7f),
    );
    // The carrier's wire: its own SSRC echoed (relayed), the SBC's (transcoded), its own.
    let carrier_runs = runs(
        &carrier_wire.finish().expect("the carrier's capture"),
        |d| d.from.ip() == SBC_OUTSIDE_IP && d.to.ip() == CARRIER_IP && d.to.port() == 40000,
        rtp_ssrc,
    );
    let log = sbc.log();
    let handovers: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("media forwarded by the kernel") || l.contains("media back in userspace")
        })
        .collect();
    let carrier_ssrcs: Vec<String> = carrier_runs
        .iter()
        .map(|(ssrc, n)| format!("{ssrc:08x}: {n}"))
        .collect();
    let report = format!(
        "PBX wire (pt, packets): {pbx_runs:?}\ncarrier wire (ssrc: packets): {carrier_ssrcs:?}\n\
         handovers:\n{}\nthe PBX echoed {} packets (types {:?}); the carrier got {} back \
         (types {:?}), {h:?}",
        handovers.join("\n"),
        echoed.rtp,
        echoed.pts,
        back.rtp,
        back.pts
    );
    eprintln!("{report}");
    let report = format!("{report}\n--- sbc\n{}", sbc.log_tail());

    let pts: Vec<u8> = pbx_runs.iter().map(|r| r.0).collect();
    assert_eq!(pts, [8, 9, 8], "PCMA, G.722, PCMA to the PBX\n{report}");
    assert!(
        pbx_runs.iter().all(|r| r.1 >= MIN_PHASE_PACKETS),
        "audio to the PBX in every phase\n{report}"
    );
    assert_eq!(
        carrier_runs.len(),
        3,
        "relayed, transcoded, relayed to the carrier\n{report}"
    );
    assert_eq!(carrier_runs[0].0, carrier_runs[2].0, "{report}");
    assert_eq!(
        carrier_runs[0].0, 0xca11_e400,
        "relayed: the carrier's own packets echoed\n{report}"
    );
    assert!(
        carrier_runs.iter().all(|r| r.1 >= MIN_PHASE_PACKETS),
        "audio to the carrier in every phase\n{report}"
    );
    assert_eq!(back.pts, [8], "the carrier gets PCMA only\n{report}");
    assert!(
        h.has_tone(MIN_TONE_BLOCKS),
        "the {TONE} Hz tone came back clean across the moves\n{report}"
    );

    // The kernel had the stream in phases 1 and 3, userspace in phase 2.
    let kinds: Vec<bool> = handovers
        .iter()
        .map(|l| l.contains("media forwarded by the kernel"))
        .collect();
    assert_eq!(
        kinds,
        [true, false, true, false],
        "to the kernel, back for transcoding, to the kernel again, back at BYE\n{report}"
    );
    let (first, last) = (handovers[1], handovers[3]);
    assert!(
        !first.contains("close") && last.contains("close"),
        "taken back by the re-INVITE, then by the BYE\n{report}"
    );
    for line in [first, last] {
        let (a_to_b, b_to_a) = (field(line, "a_to_b"), field(line, "b_to_a"));
        assert!(
            a_to_b >= MIN_KERNEL_PACKETS && b_to_a >= MIN_KERNEL_PACKETS,
            "the kernel forwarded the relayed phase both ways: {a_to_b}, {b_to_a}\n{report}"
        );
    }
}
