//! The RTP/RTCP captured of calls picked for capture, kept with their ladders.
//!
//! The media workers copy the packets ([`sbc_media::capture`]) and hand them over in
//! batches ([`MediaEvent::Captured`](sbc_core::MediaEvent::Captured)); each packet is
//! appended to its call's arena (one growing byte buffer and a small record per packet,
//! not an allocation per packet). Kept as long as the call's ladder is (live, then among
//! the last ended calls), within [`RtpLimits`]: per call, in all, and how many calls are
//! captured at once. Over the total, the RTP of the oldest ended call goes first; with
//! none left, new packets are dropped and counted in the call's `dropped`, with those the
//! workers could not hand over.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sbc_core::{CaptureBatch, CaptureWay};
use sbc_mgmt::ladder::{MediaPacket, RtpCapture};
use sbc_mgmt::live::CaptureRefused;

use super::Ladders;

/// How much captured RTP is kept.
#[derive(Debug, Clone, Copy)]
pub struct RtpLimits {
    /// Bytes per call: its packets and their records ([`RECORD`] each). 16 MiB hold about
    /// 5.5 minutes of a G.711 call at 20 ms (four copies of each packet: received and sent
    /// on each leg, 172 + 88 bytes each, 200 a second: 52 KB/s).
    pub call_bytes: usize,
    /// The same, in all calls kept.
    pub total_bytes: usize,
    /// Calls captured at once.
    pub calls: usize,
}

impl Default for RtpLimits {
    fn default() -> Self {
        RtpLimits {
            call_bytes: 16 * 1024 * 1024,
            total_bytes: 64 * 1024 * 1024,
            calls: 8,
        }
    }
}

/// What a packet's record costs besides its bytes.
pub const RECORD: usize = std::mem::size_of::<Record>();

/// One packet in its call's arena.
#[derive(Debug, Clone, Copy)]
struct Record {
    unix_us: i64,
    src: SocketAddr,
    dst: SocketAddr,
    offset: usize,
    len: usize,
}

/// A call's captured packets.
#[derive(Debug, Default)]
pub(super) struct CallRtp {
    capturing: bool,
    /// Was ever picked (its ladder then says so).
    picked: bool,
    data: Vec<u8>,
    records: Vec<Record>,
    dropped: u64,
}

impl CallRtp {
    fn summary(&self) -> RtpCapture {
        RtpCapture {
            capturing: self.capturing,
            packets: self.records.len() as u64,
            bytes: self.data.len() as u64,
            dropped: self.dropped,
        }
    }

    /// Memory it holds: the packets and their records.
    pub(super) fn bytes(&self) -> usize {
        self.data.len() + self.records.len() * RECORD
    }

    /// The packets, oldest first.
    fn packets(&self) -> Vec<MediaPacket> {
        let mut v: Vec<MediaPacket> = self
            .records
            .iter()
            .map(|r| MediaPacket {
                unix_us: r.unix_us,
                src: r.src,
                dst: r.dst,
                bytes: self.data[r.offset..r.offset + r.len].to_vec(),
            })
            .collect();
        v.sort_by_key(|p| p.unix_us);
        v
    }
}

impl Ladders {
    /// Starts (`on`) or stops capturing `call`'s RTP; the call must be live. On success
    /// the media plane must be told ([`sbc_core::MediaOp::Capture`]) with the returned
    /// `show_digits`.
    pub fn capture(&mut self, call: u64, on: bool) -> Result<(RtpCapture, bool), CaptureRefused> {
        let capturing = self.calls.values().filter(|c| c.rtp.capturing).count();
        let max = self.rtp_limits.calls;
        let c = self
            .calls
            .get_mut(&call)
            .filter(|c| !c.ended)
            .ok_or(CaptureRefused::NotLive { call })?;
        if on && !c.rtp.capturing && capturing >= max {
            return Err(CaptureRefused::Full { max });
        }
        c.rtp.capturing = on;
        c.rtp.picked |= on;
        Ok((c.rtp.summary(), c.show_digits))
    }

    /// Whether `call` is being captured.
    pub fn capturing(&self, call: u64) -> bool {
        self.calls.get(&call).is_some_and(|c| c.rtp.capturing)
    }

    /// A batch of captured packets from a media worker (`now`/`wall`: the clocks read
    /// together, to date the packets).
    pub fn captured(&mut self, batch: &CaptureBatch, now: Instant, wall: SystemTime) {
        let wall_us = wall
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        for &(call, n) in &batch.dropped {
            if let Some(c) = self.calls.get_mut(&call) {
                c.rtp.dropped += n;
            }
        }
        for p in &batch.packets {
            let bytes = batch.bytes(p);
            let len = bytes.len();
            let cost = len + RECORD;
            self.make_rtp_room(p.call, cost);
            let total = self.rtp_bytes;
            let limits = self.rtp_limits;
            let Some(c) = self.calls.get_mut(&p.call).filter(|c| c.rtp.picked) else {
                continue;
            };
            if c.rtp.bytes() + cost > limits.call_bytes || total + cost > limits.total_bytes {
                c.rtp.dropped += 1;
                continue;
            }
            let ago = now.saturating_duration_since(p.at);
            let unix_us = wall_us - i64::try_from(ago.as_micros()).unwrap_or(0);
            let (src, dst) = match p.way {
                CaptureWay::In => (p.remote, p.local),
                CaptureWay::Out => (p.local, p.remote),
            };
            let offset = c.rtp.data.len();
            c.rtp.data.extend_from_slice(bytes);
            c.rtp.records.push(Record {
                unix_us,
                src,
                dst,
                offset,
                len,
            });
            self.rtp_bytes += cost;
        }
    }

    /// Over the total, the RTP of the oldest ended calls goes (never `call`'s own).
    fn make_rtp_room(&mut self, call: u64, len: usize) {
        if self.rtp_bytes + len <= self.rtp_limits.total_bytes {
            return;
        }
        for i in 0..self.ended.len() {
            let victim = self.ended[i];
            if victim == call {
                continue;
            }
            if let Some(c) = self.calls.get_mut(&victim) {
                if c.rtp.bytes() > 0 {
                    self.rtp_bytes -= c.rtp.bytes();
                    c.rtp.dropped += c.rtp.records.len() as u64;
                    c.rtp.data = Vec::new();
                    c.rtp.records = Vec::new();
                }
            }
            if self.rtp_bytes + len <= self.rtp_limits.total_bytes {
                return;
            }
        }
    }

    /// Memory of captured RTP kept (packets and their records).
    pub fn rtp_bytes(&self) -> usize {
        self.rtp_bytes
    }

    /// The capture summary and (with `media`) the packets of `call`.
    pub(super) fn rtp_view(&self, call: u64, media: bool) -> (RtpCapture, Vec<MediaPacket>) {
        match self.calls.get(&call) {
            Some(c) => (
                c.rtp.summary(),
                if media { c.rtp.packets() } else { Vec::new() },
            ),
            None => (RtpCapture::default(), Vec::new()),
        }
    }
}

/// A call ended: it captures no more (its streams are closed).
pub(super) fn ended(rtp: &mut CallRtp) -> bool {
    std::mem::take(&mut rtp.capturing)
}
