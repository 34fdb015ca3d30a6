//! Relayed G.722 re-cut without decoding (issue 13: "packets are re-cut only where the
//! trunk sets `ptime`"), with real peers and the real `sbc`: a sipp carrier speaking
//! only G.722 in 20 ms packets (160 octets of a counting pattern each) calls a PBX trunk
//! that allows G.722 and sets `ptime = 30`; the PBX echoes every packet as it came.
//!
//! What the wires show: the carrier's wire carries its 20 ms packets, the PBX's wire
//! 30 ms ones (240 octets, the SBC's own SSRC, gapless sequence numbers, timestamps
//! counting octets)
//! whose concatenated payload is the carrier's, octet for octet; the echo comes back to
//! the carrier relayed (its trunk sets no ptime), still G.722. No transcoding slot is
//! taken: the call goes through with `media.max_transcoded = 0`.

use std::net::Ipv4Addr;

use sbc_lab::capture::{Datagram, rtp_ssrc};
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

/// The RTP packets of `datagrams` from `from` to `to`'s port `port`, as (sequence number,
/// timestamp, SSRC, payload), in the order the wire carried them.
fn rtp(
    datagrams: &[Datagram],
    from: Ipv4Addr,
    to: Ipv4Addr,
    port: u16,
) -> Vec<(u16, u32, u32, Vec<u8>)> {
    datagrams
        .iter()
        .filter(|d| d.from.ip() == from && d.to.ip() == to && d.payload.len() > 12)
        .filter(|d| (port == 0 || d.to.port() == port) && d.payload[1] & 0x7f == 9)
        .map(|d| {
            let p = &d.payload;
            (
                u16::from_be_bytes([p[2], p[3]]),
                u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                rtp_ssrc(p).unwrap_or_default(),
                p[12..].to_vec(),
            )
        })
        .collect()
}

#[test]
fn a_pbx_trunk_with_ptime_30_gets_the_carriers_20_ms_g722_recut_octet_for_octet() {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys("codecs = [\"G722\"]\n")
        .pbx_keys("codecs = [\"G722\"]\nptime = 30\n")
        .extra("[media]\nmax_transcoded = 0\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let carrier_wire = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture the carrier's wire");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let call = lab
        .echo_call("echo_uas.xml", "g722_uac.xml")
        .pbx_keys(&[("answer_pt", "9"), ("answer_map", "G722/8000")])
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back) = (call.echoed(), call.back());
    let sent = rtp(
        &carrier_wire.finish().expect("the carrier's capture"),
        CARRIER_IP,
        SBC_OUTSIDE_IP,
        0,
    );
    let got = rtp(
        &pbx_wire.finish().expect("the PBX's capture"),
        SBC_INSIDE_IP,
        PBX_IP,
        40002,
    );
    eprintln!(
        "G.722 re-cut: the carrier sent {} packets (sizes {:?}), the PBX got {} (sizes {:?}, \
         payload types {:?}); the carrier got {} back (payload types {:?}, sizes {:?})",
        sent.len(),
        sent.iter()
            .map(|p| p.3.len())
            .collect::<std::collections::BTreeSet<_>>(),
        got.len(),
        echoed.sizes,
        echoed.pts,
        back.rtp,
        back.pts,
        back.sizes,
    );
    assert_eq!(sent.len(), 150, "the carrier's 3 s of 20 ms packets");
    assert!(
        sent.iter().all(|p| p.3.len() == 160),
        "20 ms from the carrier"
    );
    let sent_octets: Vec<u8> = sent.iter().flat_map(|p| p.3.clone()).collect();
    let got_octets: Vec<u8> = got.iter().flat_map(|p| p.3.clone()).collect();
    assert_eq!(
        got_octets.len(),
        sent_octets.len(),
        "every octet reached the PBX\n--- sbc\n{}",
        sbc.log_tail()
    );
    assert!(
        got_octets == sent_octets,
        "the PBX's octets are the carrier's, in order"
    );
    // 30 ms packets; a short one only where the carrier's sender stalled past the
    // re-ordering flush (60 ms without a packet) on this shared machine.
    let full = got.iter().filter(|p| p.3.len() == 240).count();
    assert!(
        got.iter().all(|p| p.3.len() <= 240) && full >= 90,
        "30 ms packets to the PBX: {full} of {}",
        got.len()
    );
    let ssrc = got[0].2;
    assert_ne!(ssrc, sent[0].2, "the SBC's own SSRC");
    for w in got.windows(2) {
        assert_eq!(w[1].2, ssrc);
        assert_eq!(w[1].0, w[0].0.wrapping_add(1), "gapless sequence numbers");
        let octets = w[0].3.len() as u32;
        assert_eq!(
            w[1].1.wrapping_sub(w[0].1),
            octets,
            "timestamps count octets (one per 125 us at the 8000 clock)"
        );
    }
    assert_eq!(echoed.pts, [9], "relayed G.722: {}", echoed.raw);
    assert!(echoed.sizes.contains(&240), "30 ms packets: {}", echoed.raw);
    assert_eq!(back.pts, [9], "the echo comes back as G.722: {}", back.raw);
    assert!(back.rtp >= 95, "the echo came back: {}", back.raw);
}
