//! RTCP of the SBC's own on a transcoded leg, and jitter in each leg's own clock (virtual
//! clock): PCMA from A leaves towards B as Opus; B's peer sends Opus (48 kHz timestamps)
//! back. B's peer gets SR + RR + SDES compounds on its RTCP port at RFC 3550 intervals,
//! describing the stream it receives (the SBC's SSRC, packet and octet counts, a
//! timestamp on the 48 kHz clock) and the stream it sends (its SSRC, highest sequence
//! number, loss, jitter); jitter of B's packets is measured at 48 kHz, not at the
//! stream's 8 kHz.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Bench, KEY, addr};
use sbc_codec::transcode::Codec;
use sbc_core::{LatchMode, MediaOp, RemoteSpec, Side};
use sbc_media::transcode::TranscodeSpec;
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";
const B_RTCP: &str = "198.51.100.20:5005";
const B_SSRC: u32 = 0x0bbb_0001;
const OPUS: Codec = Codec::Opus {
    bitrate: 24_000,
    complexity: 5,
    inband_fec: false,
    dtx: false,
};

fn call() -> Bench {
    let mut b = Bench::with(
        common::config(),
        LatchMode::PrivateOnly,
        LatchMode::PrivateOnly,
    );
    b.remote(Side::A, Some(A), None);
    b.remote_spec(
        Side::B,
        RemoteSpec {
            rtp: Some(addr(B)),
            rtcp: Some(addr(B_RTCP)),
            rtcp_mux: false,
            fork: None,
        },
    );
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = |input_pt, input, output_pt, output| TranscodeSpec {
        input_pt,
        input,
        output_pt,
        output,
        ptime_ms: 20,
        events: None,
        comfort_noise_pt: None,
        comfort_noise_out_pt: None,
    };
    b.shard
        .set_transcode(KEY, Side::B, Some(spec(8, Codec::Pcma, 111, OPUS)))
        .unwrap();
    b.shard
        .set_transcode(KEY, Side::A, Some(spec(111, OPUS, 8, Codec::Pcma)))
        .unwrap();
    b
}

fn rtp(pt: u8, ssrc: u32, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// What the engine sent: (destination, bytes).
fn emitted(b: &mut Bench) -> Vec<(SocketAddr, Vec<u8>)> {
    let mut out = Vec::new();
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        out.push((t.to, mem[t.start..t.start + t.len].to_vec()));
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[test]
fn a_transcoded_leg_gets_sender_reports_of_the_sbcs_own_stream() {
    let mut b = call();
    // A 20 ms Opus packet of silence B's peer sends (libopus: a TOC byte and nothing).
    let opus_silence = [0xf8u8, 0xff, 0xfe];
    let mut sent_to_b = Vec::new();
    let mut reports = Vec::new();
    let mut sr_at = None;
    for i in 0..400u16 {
        let pcma = rtp(
            8,
            0x0aaa_0001,
            100 + i,
            8000 + u32::from(i) * 160,
            &[0xd5; 160],
        );
        b.recv(Side::A, false, A, &pcma);
        let opus = rtp(
            111,
            B_SSRC,
            7000 + i,
            96_000 + u32::from(i) * 960,
            &opus_silence,
        );
        b.recv(Side::B, false, B, &opus);
        if i == 50 {
            // B's peer reports too, at 1 s: an SR whose NTP middle is 0x1234_5678.
            let mut sr = vec![0x80, 200, 0, 6];
            sr.extend_from_slice(&B_SSRC.to_be_bytes());
            sr.extend_from_slice(&0x0000_1234_5678_0000u64.to_be_bytes());
            sr.extend_from_slice(&[0; 12]);
            b.recv(Side::B, true, B_RTCP, &sr);
            sr_at = Some(b.now);
        }
        b.advance(Duration::from_millis(20));
        for (to, bytes) in emitted(&mut b) {
            if to == addr(B_RTCP) {
                // The SR counts what went to B before it.
                let rtp_to_b: Vec<&Vec<u8>> = sent_to_b.iter().collect();
                reports.push((
                    b.now,
                    bytes,
                    rtp_to_b.len(),
                    rtp_to_b.last().cloned().cloned(),
                ));
            } else if to == addr(B) {
                sent_to_b.push(bytes);
            }
        }
    }
    // 8 s: the first report within 1.0-3.1 s, then every 2.1-6.2 s.
    assert!(
        (2..=6).contains(&reports.len()),
        "{} reports in 8 s",
        reports.len()
    );
    let our_ssrc = u32_at(&sent_to_b[0], 8);
    let octets_per_packet = sent_to_b[0].len() - 12;
    for (at, r, count, last) in &reports {
        assert_eq!(&r[..2], &[0x81, 200], "an SR with one report block");
        assert_eq!(u32_at(r, 4), our_ssrc, "the SSRC of the stream B receives");
        assert_eq!(u32_at(r, 20) as usize, *count, "packets sent before it");
        let octets: usize = sent_to_b[..*count].iter().map(|p| p.len() - 12).sum();
        assert_eq!(
            u32_at(r, 24) as usize,
            octets,
            "payload octets sent before it"
        );
        // Its RTP timestamp is on the 48 kHz clock, at or after the last packet's.
        let last_ts = u32_at(last.as_ref().unwrap(), 4);
        let ahead = u32_at(r, 16).wrapping_sub(last_ts);
        assert!(
            ahead <= 960,
            "{ahead} ticks after the last packet (within 20 ms)"
        );
        // The block is about B's stream: its SSRC, highest sequence number, no loss, and
        // jitter measured at 48 kHz on packets exactly 20 ms apart: 0.
        assert_eq!(u32_at(r, 28), B_SSRC);
        assert_eq!(&r[32..36], &[0, 0, 0, 0], "fraction and cumulative loss");
        let highest = u32_at(r, 36);
        assert!((7000..7400).contains(&highest), "highest seq {highest}");
        assert_eq!(u32_at(r, 40), 0, "jitter in 48 kHz units");
        // LSR/DLSR: B's SR, once it came, and the time since in 1/65536 s.
        match sr_at.filter(|t| t <= at) {
            Some(t) => {
                assert_eq!(u32_at(r, 44), 0x1234_5678, "LSR");
                let since = (*at - t).as_micros() as u64 * 65_536 / 1_000_000;
                assert_eq!(u64::from(u32_at(r, 48)), since, "DLSR");
            }
            None => assert_eq!(&r[44..52], &[0; 8], "no SR yet"),
        }
        // Then an SDES with the SBC's CNAME for that SSRC.
        assert_eq!(&r[52..54], &[0x81, 202]);
        assert_eq!(u32_at(r, 56), our_ssrc);
        assert_eq!(&r[62..66], b"sbc-");
    }
    assert!(octets_per_packet > 0);
    // A gets reports of its own too (about the PCMA the SBC sends it).
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.b.jitter, 0, "B's jitter in its own clock");
    assert_eq!(s.a.jitter, 0);
}

#[test]
fn jitter_of_a_transcoded_leg_counts_in_that_legs_clock() {
    let mut b = call();
    // B's packets arrive 20 ms apart but carry timestamps 10 ms apart on the 48 kHz
    // clock: every transit difference is 10 ms = 480 ticks at 48 kHz (80 at 8 kHz, which
    // the stream's clock rate would have given).
    for i in 0..300u16 {
        let opus = rtp(111, B_SSRC, 1 + i, u32::from(i) * 480, &[0xf8, 0xff, 0xfe]);
        b.recv(Side::B, false, B, &opus);
        b.advance(Duration::from_millis(20));
    }
    let jitter = b.shard.stats(KEY).unwrap().b.jitter;
    assert!(
        (470..=480).contains(&jitter),
        "jitter {jitter} (480 expected)"
    );
}
