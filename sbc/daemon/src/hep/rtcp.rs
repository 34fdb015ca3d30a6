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
//! `sender_information` only for an SR (type 200); `ntp_timestamp_usec` is the NTP
//! fraction in microseconds; `report_count` is the packet's count of report blocks, of
//! which the first is listed (the media engine keeps the first: an SBC leg's peer reports
//! on the one source the SBC sends it); `sdes_ssrc` is the sender's SSRC. Compound packets
//! that start with neither SR nor RR (a lone XR, APP) are not sent.
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

use sbc_core::RtcpReport;
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

/// The JSON body of `r`; `None` for a compound packet that is neither SR nor RR.
pub fn json(r: &RtcpReport) -> Option<String> {
    if r.packet_type != 200 && r.packet_type != 201 {
        return None;
    }
    let mut s = String::with_capacity(320);
    s.push('{');
    if let Some(si) = r.sender.filter(|_| r.packet_type == 200) {
        let secs = si.ntp >> 32;
        let usec = ((si.ntp & 0xffff_ffff) * 1_000_000) >> 32;
        // Writing into a String cannot fail.
        let _ = write!(
            s,
            "\"sender_information\":{{\"ntp_timestamp_sec\":{secs},\"ntp_timestamp_usec\":{usec},\
             \"rtp_timestamp\":{},\"packets\":{},\"octets\":{}}},",
            si.rtp_timestamp, si.packets, si.octets
        );
    }
    let _ = write!(
        s,
        "\"ssrc\":{},\"type\":{},\"report_count\":{},\"report_blocks\":[",
        r.ssrc, r.packet_type, r.blocks
    );
    if let Some(b) = r.block {
        let _ = write!(
            s,
            "{{\"source_ssrc\":{},\"fraction_lost\":{},\"packets_lost\":{},\"highest_seq_no\":{},\
             \"ia_jitter\":{},\"lsr\":{},\"dlsr\":{}}}",
            b.ssrc, b.fraction_lost, b.cumulative_lost, b.highest_seq, b.jitter, b.lsr, b.dlsr
        );
    }
    let _ = write!(s, "],\"sdes_ssrc\":{}}}", r.ssrc);
    Some(s)
}

#[cfg(test)]
mod tests {
    use sbc_core::{ReportBlock, SenderInfo};

    use super::*;

    #[test]
    fn golden_sr_with_a_report_block() {
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
            blocks: 1,
            block: Some(ReportBlock {
                ssrc: 0xcafe_f00d,
                fraction_lost: 12,
                cumulative_lost: -2,
                highest_seq: 70_000,
                jitter: 37,
                lsr: 0xabcd_0000,
                dlsr: 65_536,
            }),
            xr: None,
        };
        assert_eq!(
            json(&r).as_deref(),
            Some(
                "{\"sender_information\":{\"ntp_timestamp_sec\":3900000000,\"ntp_timestamp_usec\":500000,\
                 \"rtp_timestamp\":160000,\"packets\":250,\"octets\":40000},\"ssrc\":305419896,\
                 \"type\":200,\"report_count\":1,\"report_blocks\":[{\"source_ssrc\":3405705229,\
                 \"fraction_lost\":12,\"packets_lost\":-2,\"highest_seq_no\":70000,\"ia_jitter\":37,\
                 \"lsr\":2882338816,\"dlsr\":65536}],\"sdes_ssrc\":305419896}"
            )
        );
        let v: serde_json::Value = serde_json::from_str(&json(&r).expect("json")).expect("valid");
        assert_eq!(v["report_blocks"][0]["source_ssrc"], 0xcafe_f00du32);
    }

    #[test]
    fn rr_without_blocks_and_xr_alone() {
        let rr = RtcpReport {
            packet_type: 201,
            ssrc: 7,
            ..RtcpReport::default()
        };
        assert_eq!(
            json(&rr).as_deref(),
            Some(
                "{\"ssrc\":7,\"type\":201,\"report_count\":0,\"report_blocks\":[],\"sdes_ssrc\":7}"
            )
        );
        let xr = RtcpReport {
            packet_type: 207,
            ..rr
        };
        assert_eq!(json(&xr), None);
    }
}
