//! `tools/dtmf_rtp.py`, the RTP peer the DTMF lab tests start from sipp (keying digits as
//! RFC 4733 events or in-band tones, recording what it receives), its record, and the
//! DTMF INFOs a sipp peer logged.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::capture::RtpPacket;

/// The tool's path, as a sipp `-key` value.
pub fn dtmf_tool() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tools/dtmf_rtp.py")
        .display()
        .to_string()
}

/// The tool's record (`<pt> <marker> <seq> <ts> <payload hex>` per packet received),
/// waited for up to 10 s (the tool writes it when its call ends); `ssrc` is 0.
///
/// # Panics
///
/// When the record cannot be read: the test that started the tool fails there.
pub fn read_record(path: &Path) -> Vec<RtpPacket> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(path).expect("the DTMF tool's record");
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = f.get(4).copied().unwrap_or("");
            Some(RtpPacket {
                pt: f.first()?.parse().ok()?,
                marker: *f.get(1)? == "1",
                ssrc: 0,
                seq: f.get(2)?.parse().ok()?,
                ts: f.get(3)?.parse().ok()?,
                payload: (0..hex.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                    .collect(),
            })
        })
        .collect()
}

/// (signal, duration in ms) of every DTMF INFO (`application/dtmf-relay`) in a sipp
/// message log, in order.
pub fn sip_infos(log: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for block in log.split("INFO sip:").skip(1) {
        let value = |key: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        if let Some(signal) = value("Signal=") {
            let ms = value("Duration=").and_then(|d| d.parse().ok()).unwrap_or(0);
            out.push((signal, ms));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infos_are_read_in_order_with_their_durations() {
        let log = "INFO sip:a SIP/2.0\r\nContent-Type: application/dtmf-relay\r\n\r\nSignal=5\r\nDuration=100\r\n\
                   ----\nINFO sip:a SIP/2.0\r\n\r\nSignal= #\r\n\
                   ----\nOPTIONS sip:a SIP/2.0\r\n\r\n";
        assert_eq!(sip_infos(log), [("5".to_owned(), 100), ("#".to_owned(), 0)]);
    }

    #[test]
    fn a_captured_rtp_packet_is_read_and_rtcp_is_not() {
        let mut rtp = vec![
            0x80,
            0x80 | 101,
            0x12,
            0x34,
            0,
            0,
            0x01,
            0x40,
            0xde,
            0xad,
            0xbe,
            0xef,
        ];
        rtp.extend([5, 0x8a, 0, 160]);
        let p = RtpPacket::parse(&rtp).expect("an RTP packet");
        assert_eq!(
            (p.pt, p.marker, p.ssrc, p.seq, p.ts),
            (101, true, 0xdead_beef, 0x1234, 320)
        );
        assert_eq!(p.payload, [5, 0x8a, 0, 160]);
        assert_eq!(
            RtpPacket::parse(&[0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
    }
}
