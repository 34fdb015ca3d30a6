//! RTCP reports to the collector as HEP protocol type 5, the JSON report rtpengine and
//! Asterisk send and Homer reads (one object per RTCP compound packet):
//!
//! ```json
//! {"sender_information":{"ntp_timestamp_sec":..,"ntp_timestamp_usec":..,"rtp_timestamp":..,
//!  "packets":..,"octets":..},"ssrc":..,"type":200,"report_count":1,
//!  "report_blocks":[{"source_ssrc":..,"fraction_lost":..,"packets_lost":..,
//!  "highest_seq_no":..,"ia_jitter":..,"lsr":..,"dlsr":..}],"sdes_ssrc":..}
//! ```
//!
//! `sender_information` only for an SR (type 200); `report_blocks` lists every report
//! block of the compound's SRs and RRs (at most 31, [`sbc_media::quality::copy::MAX_BLOCKS`])
//! and `report_count` counts them; `sdes_ssrc` is the sender's SSRC. Compound packets that
//! start with neither SR nor RR (a lone XR, APP) are not sent.
//!
//! The values are the ones the writers Homer is fed by put there, checked against their
//! sources: rtpengine's `daemon/rtcp.c` (`homer_sr`, `homer_rr_list_start`, `homer_rr`)
//! and Homer's own RTCP decoder (heplify's `ParseRTCP`, the struct heplify-server reads
//! the JSON into). So `ntp_timestamp_usec` carries the NTP timestamp's low word (its
//! fraction, 1/2^32 s) as both do, despite its name, and `packets_lost` the report
//! block's 24-bit cumulative-lost field as an unsigned number (heplify reads it into a
//! `uint32`: a negative value would not decode). Asterisk's `res_hep_rtcp` differs in
//! the fraction (real microseconds); Homer shows either.
//!
//! The path, with `[hep]` only: the media engine copies each report it reads
//! ([`sbc_media::quality::copy`], a queue of [`SHARD_COPIES`] per worker); each worker
//! round moves them, stamped with the wall clock, into a bounded channel ([`QUEUE`]) with
//! `try_send` ([`RtcpTx::send`]); the core drains it when it flushes its SIP captures and
//! adds the Call-ID of the leg the report arrived on as correlation id. A full queue at
//! either step drops the report, counted in `sbc_hep_packets_total{result="dropped-queue"}`.
//! Without `[hep]` the engine copies nothing: the RTCP path tests one number.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use sbc_core::{ReportBlock, RtcpReport};
use sbc_media::quality::copy::RtcpCopy;
use tokio::sync::mpsc;

/// Reports waiting in a worker's engine for its next round at most.
pub const SHARD_COPIES: usize = 256;
/// Reports waiting between the workers and the core at most.
pub const QUEUE: usize = 4096;

/// A report with the wall-clock time it was read.
#[derive(Debug, Clone, Copy)]
pub struct Stamped {
    pub copy: RtcpCopy,
    pub at: SystemTime,
}

/// The workers' end of the channel.
#[derive(Debug, Clone)]
pub struct RtcpTx {
    tx: mpsc::Sender<Stamped>,
    dropped: Arc<AtomicU64>,
}

/// The core's end.
#[derive(Debug)]
pub struct RtcpRx {
    pub(super) rx: mpsc::Receiver<Stamped>,
    pub(super) dropped: Arc<AtomicU64>,
}

/// A bounded channel for RTCP copies from the workers to the core.
pub fn channel() -> (RtcpTx, RtcpRx) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        RtcpTx {
            tx,
            dropped: dropped.clone(),
        },
        RtcpRx { rx, dropped },
    )
}

impl RtcpTx {
    /// Hands a copy read at `read` (the engine's clock) to the core; never waits.
    pub fn send(&self, copy: RtcpCopy, now: Instant, wall: SystemTime) {
        let ago = now.saturating_duration_since(copy.at);
        let at = wall.checked_sub(ago).unwrap_or(wall);
        if self.tx.try_send(Stamped { copy, at }).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts copies the engine dropped before they reached the channel.
    pub fn dropped(&self, n: u64) {
        if n > 0 {
            self.dropped.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// The JSON body of `r` with its report `blocks`; `None` for a compound packet that is
/// neither SR nor RR.
pub fn json(r: &RtcpReport, blocks: &[ReportBlock]) -> Option<String> {
    if r.packet_type != 200 && r.packet_type != 201 {
        return None;
    }
    let mut s = String::with_capacity(320);
    s.push('{');
    if let Some(si) = r.sender.filter(|_| r.packet_type == 200) {
        let secs = si.ntp >> 32;
        let fraction = si.ntp & 0xffff_ffff;
        // Writing into a String cannot fail.
        let _ = write!(
            s,
            "\"sender_information\":{{\"ntp_timestamp_sec\":{secs},\"ntp_timestamp_usec\":{fraction},\
             \"rtp_timestamp\":{},\"packets\":{},\"octets\":{}}},",
            si.rtp_timestamp, si.packets, si.octets
        );
    }
    let _ = write!(
        s,
        "\"ssrc\":{},\"type\":{},\"report_count\":{},\"report_blocks\":[",
        r.ssrc,
        r.packet_type,
        blocks.len()
    );
    for (i, b) in blocks.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(
            s,
            "{comma}{{\"source_ssrc\":{},\"fraction_lost\":{},\"packets_lost\":{},\"highest_seq_no\":{},\
             \"ia_jitter\":{},\"lsr\":{},\"dlsr\":{}}}",
            b.ssrc,
            b.fraction_lost,
            lost_field(b.cumulative_lost),
            b.highest_seq,
            b.jitter,
            b.lsr,
            b.dlsr
        );
    }
    let _ = write!(s, "],\"sdes_ssrc\":{}}}", r.ssrc);
    Some(s)
}

/// The 24-bit cumulative-lost field as sent (two's complement), unsigned.
fn lost_field(cumulative_lost: i32) -> u32 {
    u32::from_ne_bytes(cumulative_lost.to_ne_bytes()) & 0x00ff_ffff
}

#[cfg(test)]
mod tests {
    use sbc_core::{ReportBlock, SenderInfo};

    use super::*;

    #[test]
    fn golden_sr_with_every_report_block() {
        let first = ReportBlock {
            ssrc: 0xcafe_f00d,
            fraction_lost: 12,
            cumulative_lost: -2,
            highest_seq: 70_000,
            jitter: 37,
            lsr: 0xabcd_0000,
            dlsr: 65_536,
        };
        let second = ReportBlock {
            ssrc: 9,
            cumulative_lost: 3,
            ..ReportBlock::default()
        };
        let r = RtcpReport {
            packet_type: 200,
            ssrc: 0x1234_5678,
            sender: Some(SenderInfo {
                // 3_900_000_000 s and half a second.
                ntp: (3_900_000_000u64 << 32) | 0x8000_0000,
                rtp_timestamp: 160_000,
                packets: 250,
                octets: 40_000,
            }),
            blocks: 2,
            block: Some(first),
            xr: None,
        };
        let blocks = [first, second];
        assert_eq!(
            json(&r, &blocks).as_deref(),
            Some(
                "{\"sender_information\":{\"ntp_timestamp_sec\":3900000000,\"ntp_timestamp_usec\":2147483648,\
                 \"rtp_timestamp\":160000,\"packets\":250,\"octets\":40000},\"ssrc\":305419896,\
                 \"type\":200,\"report_count\":2,\"report_blocks\":[{\"source_ssrc\":3405705229,\
                 \"fraction_lost\":12,\"packets_lost\":16777214,\"highest_seq_no\":70000,\"ia_jitter\":37,\
                 \"lsr\":2882338816,\"dlsr\":65536},{\"source_ssrc\":9,\"fraction_lost\":0,\
                 \"packets_lost\":3,\"highest_seq_no\":0,\"ia_jitter\":0,\"lsr\":0,\"dlsr\":0}],\
                 \"sdes_ssrc\":305419896}"
            )
        );
        let v: serde_json::Value =
            serde_json::from_str(&json(&r, &blocks).expect("json")).expect("valid");
        assert_eq!(v["report_blocks"][0]["source_ssrc"], 0xcafe_f00du32);
        assert_eq!(v["report_blocks"][1]["source_ssrc"], 9);
    }

    #[test]
    fn rr_without_blocks_and_xr_alone() {
        let rr = RtcpReport {
            packet_type: 201,
            ssrc: 7,
            ..RtcpReport::default()
        };
        assert_eq!(
            json(&rr, &[]).as_deref(),
            Some(
                "{\"ssrc\":7,\"type\":201,\"report_count\":0,\"report_blocks\":[],\"sdes_ssrc\":7}"
            )
        );
        let xr = RtcpReport {
            packet_type: 207,
            ..rr
        };
        assert_eq!(json(&xr, &[]), None);
    }
}
