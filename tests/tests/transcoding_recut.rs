//! Relayed G.722 and G.729 re-cut without decoding (issue 13: "packets are re-cut only
//! where the trunk sets `ptime`"), with real peers and the real `sbc`: a sipp carrier
//! speaking only G.722 (then only G.729) in 20 ms packets of a counting pattern calls a
//! PBX trunk that allows that codec and sets `ptime = 30` (G.729: `ptime = 60`); the PBX
//! echoes every packet as it came. No transcoding slot is taken: the calls go through
//! with `media.max_transcoded = 0`.
//!
//! What the wires show: the carrier's wire carries its 20 ms packets, the PBX's wire
//! packets of the trunk's ptime whose concatenated payload is the carrier's, octet for
//! octet, in the SBC's own SSRC with gapless sequence numbers, each packet's timestamp
//! the carrier's for its first octet moved by one constant (G.722: one unit per octet;
//! G.729: 80 per 10-byte frame); the echo comes back to the carrier relayed (its trunk
//! sets no ptime) in the same codec. The G.729 carrier goes quiet for 0.5 s after a
//! packet ending in an Annex B SID frame: the SID ends its packet on the PBX's wire and
//! the pause shows as the same gap in the timestamps.

use std::net::Ipv4Addr;

use sbc_lab::capture::{Datagram, rtp_ssrc};
use sbc_lab::rtp::RtpResult;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
use sbc_lab::{Lab, Ns, StandardConfig};

/// One RTP packet on a wire: sequence number, timestamp, SSRC, payload.
#[derive(Debug, Clone)]
struct Rtp {
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: Vec<u8>,
}

/// The RTP packets of payload type `pt` in `datagrams` from `from` to `to` (to its port
/// `port`, unless 0), in the order the wire carried them.
fn rtp(datagrams: &[Datagram], pt: u8, from: Ipv4Addr, to: Ipv4Addr, port: u16) -> Vec<Rtp> {
    datagrams
        .iter()
        .filter(|d| d.from.ip() == from && d.to.ip() == to && d.payload.len() > 12)
        .filter(|d| (port == 0 || d.to.port() == port) && d.payload[1] & 0x7f == pt)
        .map(|d| {
            let p = &d.payload;
            Rtp {
                seq: u16::from_be_bytes([p[2], p[3]]),
                ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                ssrc: rtp_ssrc(p).unwrap_or_default(),
                payload: p[12..].to_vec(),
            }
        })
        .collect()
}

/// A codec the carrier speaks and what the PBX's trunk wants.
struct Recut {
    name: &'static str,
    pt: u8,
    map: &'static str,
    /// The trunk's `codecs` entry.
    codec: &'static str,
    rtp_args: &'static str,
    ptime: u32,
    /// Octets per timestamp unit step: G.722 1 octet = 1 unit, G.729 10 octets = 80.
    frame: (usize, u32),
}

/// What the call showed: the carrier's packets to the SBC, the SBC's to the PBX, and the
/// two tools' records.
struct Wires {
    sent: Vec<Rtp>,
    got: Vec<Rtp>,
    echoed: RtpResult,
    back: RtpResult,
}

fn recut_call(c: &Recut) -> Wires {
    let lab = Lab::new().expect("create lab");
    let config = StandardConfig::default()
        .carrier_keys(&format!("codecs = [\"{}\"]\n", c.codec))
        .pbx_keys(&format!(
            "codecs = [\"{}\"]\nptime = {}\n",
            c.codec, c.ptime
        ))
        .extra("[media]\nmax_transcoded = 0\n")
        .render();
    let sbc = lab.start_sbc(&config).expect("start sbc");
    let carrier_wire = lab
        .capture_udp(Ns::Carrier, "eth0")
        .expect("capture the carrier's wire");
    let pbx_wire = lab
        .capture_udp(Ns::Pbx, "eth0")
        .expect("capture the PBX's wire");
    let pt = c.pt.to_string();
    let call = lab
        .echo_call("echo_uas.xml", "relayed_codec_uac.xml")
        .pbx_keys(&[("answer_pt", &pt), ("answer_map", c.map)])
        .carrier_keys(&[
            ("offer_pt", &pt),
            ("offer_map", c.map),
            ("rtp_args", c.rtp_args),
        ])
        .record()
        .run()
        .expect("run the call");
    call.assert_success(&sbc);
    let (echoed, back) = (call.echoed(), call.back());
    let sent = rtp(
        &carrier_wire.finish().expect("the carrier's capture"),
        c.pt,
        CARRIER_IP,
        SBC_OUTSIDE_IP,
        0,
    );
    let got = rtp(
        &pbx_wire.finish().expect("the PBX's capture"),
        c.pt,
        SBC_INSIDE_IP,
        PBX_IP,
        40002,
    );
    // Payload sizes as runs: "160x150".
    let sizes = |p: &[Rtp]| -> Vec<String> {
        let mut runs: Vec<(usize, usize)> = vec![];
        for r in p {
            match runs.last_mut() {
                Some((len, n)) if *len == r.payload.len() => *n += 1,
                _ => runs.push((r.payload.len(), 1)),
            }
        }
        runs.iter().map(|(len, n)| format!("{len}x{n}")).collect()
    };
    eprintln!(
        "{} re-cut: the carrier sent {} packets (sizes {:?}), the PBX got {} (sizes {:?}, \
         payload types {:?}); the carrier got {} back (payload types {:?}, sizes {:?})",
        c.name,
        sent.len(),
        sizes(&sent),
        got.len(),
        sizes(&got),
        echoed.pts,
        back.rtp,
        back.pts,
        back.sizes,
    );
    Wires {
        sent,
        got,
        echoed,
        back,
    }
}

/// The PBX's packets carry the carrier's octets in order, in the SBC's own numbering,
/// each timestamped like the carrier's first octet in it (one constant apart).
fn assert_recut(c: &Recut, w: &Wires) {
    let sent_octets: Vec<u8> = w.sent.iter().flat_map(|p| p.payload.clone()).collect();
    let got_octets: Vec<u8> = w.got.iter().flat_map(|p| p.payload.clone()).collect();
    assert_eq!(
        got_octets.len(),
        sent_octets.len(),
        "every octet reached the PBX"
    );
    assert!(
        got_octets == sent_octets,
        "the PBX's octets are the carrier's, in order"
    );
    // The input timestamp of each octet position.
    let (octets, units) = c.frame;
    let mut input_ts = Vec::with_capacity(sent_octets.len());
    for p in &w.sent {
        for i in 0..p.payload.len() {
            input_ts.push(p.ts.wrapping_add((i / octets) as u32 * units));
        }
    }
    let ssrc = w.got[0].ssrc;
    assert_ne!(ssrc, w.sent[0].ssrc, "the SBC's own SSRC");
    let offset = w.got[0].ts.wrapping_sub(input_ts[0]);
    let mut at = 0;
    for (i, p) in w.got.iter().enumerate() {
        assert_eq!(p.ssrc, ssrc);
        assert_eq!(
            p.seq,
            w.got[0].seq.wrapping_add(i as u16),
            "gapless sequence numbers"
        );
        assert_eq!(
            p.ts.wrapping_sub(offset),
            input_ts[at],
            "packet {i}: timestamped like its first octet"
        );
        at += p.payload.len();
    }
    // Packets of the trunk's ptime; a short one only at a SID, or where the carrier's
    // sender stalled past the re-ordering flush (60 ms without a packet) on this shared
    // machine.
    let full = c.ptime as usize * 8 * octets / units as usize;
    let whole = w.got.iter().filter(|p| p.payload.len() == full).count();
    assert!(
        w.got.iter().all(|p| p.payload.len() <= full + 2) && whole + 5 >= w.got.len(),
        "{} ms packets to the PBX: {whole} of {}",
        c.ptime,
        w.got.len()
    );
    assert_eq!(w.echoed.pts, [c.pt], "relayed: {}", w.echoed.raw);
    assert!(w.echoed.sizes.contains(&full), "{}", w.echoed.raw);
    assert_eq!(
        w.back.pts,
        [c.pt],
        "the echo comes back as it went: {}",
        w.back.raw
    );
    assert!(
        w.back.rtp as usize + 5 >= w.got.len(),
        "the echo came back: {}",
        w.back.raw
    );
}

#[test]
fn a_pbx_trunk_with_ptime_30_gets_the_carriers_20_ms_g722_recut_octet_for_octet() {
    let c = Recut {
        name: "G.722",
        pt: 9,
        map: "G722/8000",
        codec: "G722",
        rtp_args: "--g722",
        ptime: 30,
        frame: (1, 1),
    };
    let w = recut_call(&c);
    assert_eq!(w.sent.len(), 150, "the carrier's 3 s of 20 ms packets");
    assert!(
        w.sent.iter().all(|p| p.payload.len() == 160),
        "20 ms from the carrier"
    );
    assert_recut(&c, &w);
}

#[test]
fn a_pbx_trunk_with_ptime_60_gets_the_carriers_20_ms_g729_recut_with_its_sid() {
    let c = Recut {
        name: "G.729",
        pt: 18,
        map: "G729/8000",
        codec: "G729",
        // Packet 51 is one voice frame and a SID, then 24 slots (480 ms) of nothing.
        rtp_args: "--g729 --cn-pause 50:25:0",
        ptime: 60,
        frame: (10, 80),
    };
    let w = recut_call(&c);
    assert_eq!(
        w.sent.len(),
        126,
        "50 packets, the SID one, 75 after the pause"
    );
    let sid = w
        .sent
        .iter()
        .find(|p| p.payload.len() == 12)
        .expect("the carrier's SID packet");
    assert_recut(&c, &w);
    // The SID ends its packet on the PBX's wire: 2 voice frames before it, then the
    // packet's own voice frame and the SID.
    let ending = w
        .got
        .iter()
        .position(|p| p.payload.ends_with(&sid.payload[10..]) && p.payload.len() % 10 == 2)
        .expect("a packet ending in the SID");
    assert_eq!(
        w.got[ending].payload.len(),
        52,
        "40 octets waiting, a frame, the SID"
    );
    let after = &w.got[ending + 1];
    let pause = after.ts.wrapping_sub(w.got[ending].ts);
    // That packet starts with frame 49 (timestamp 49 * 160), the next with frame 76.
    assert_eq!(pause, (76 - 49) * 160, "the pause as the same gap: {pause}");
}
