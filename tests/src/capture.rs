//! What crossed a wire: `tcpdump` on a namespace's interface, written to a pcap file in
//! the lab directory, read back as UDP datagrams. Topology scans read every payload a peer
//! could see (SIP, SDP, RTP, RTCP); media checks count RTP by source and SSRC.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::child::LabChild;
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// One captured UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub payload: Vec<u8>,
}

/// A running capture.
#[derive(Debug)]
pub struct Capture {
    child: LabChild,
    file: PathBuf,
}

impl Lab {
    /// Captures every UDP datagram on `iface` of `ns` until [`Capture::finish`].
    pub fn capture_udp(&self, ns: Ns, iface: &str) -> Result<Capture> {
        let tcpdump =
            cmd::require_tool("tcpdump", "apt-get install tcpdump (or run scripts/setup)")?;
        let file = self
            .artifacts()
            .unique_path(&format!("capture-{ns}"), ".pcap");
        let mut command = self.command(ns, &[tcpdump.as_os_str()]);
        // -U: each packet written as it comes; -s 0: whole packets; -Z root: no privilege drop
        // (the file is in the lab directory, which tcpdump's own user cannot write).
        command
            .args(["-i", iface, "-n", "-U", "-s", "0", "-Z", "root", "-w"])
            .arg(&file)
            .arg("udp");
        let mut child = self.spawn_command(command, "tcpdump")?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !child.stderr().contains("listening on") {
            if !child.is_running() || Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: format!("tcpdump on {ns}/{iface}"),
                    waited: Duration::from_secs(5),
                    detail: child.stderr(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Capture { child, file })
    }
}

impl Capture {
    /// Stops the capture and reads what it wrote.
    pub fn finish(mut self) -> Result<Vec<Datagram>> {
        // Packets still in the kernel's buffer are written at SIGINT; give them a moment.
        std::thread::sleep(Duration::from_millis(300));
        let pid = self.child.pid().to_string();
        cmd::run_ok(&mut cmd::command("kill", &["-INT", &pid]))?;
        self.child.wait_timeout(Duration::from_secs(5))?;
        let bytes = std::fs::read(&self.file)
            .map_err(|e| LabError::io(format!("read {}", self.file.display()), e))?;
        Ok(read_pcap(&bytes))
    }
}

/// The IPv4 UDP datagrams of a pcap file with Ethernet framing (what tcpdump writes for a
/// veth). A record cut short at the end (a capture stopped mid-write) is left out.
pub fn read_pcap(bytes: &[u8]) -> Vec<Datagram> {
    let mut out = Vec::new();
    let Some(header) = bytes.get(..24) else {
        return out;
    };
    let little = header[..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    let u32_at = |b: &[u8], at: usize| -> Option<usize> {
        let w: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        let v = if little {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        };
        usize::try_from(v).ok()
    };
    let mut at = 24;
    while let Some(len) = u32_at(bytes, at + 8) {
        let Some(frame) = bytes.get(at + 16..at + 16 + len) else {
            break;
        };
        at += 16 + len;
        if let Some(d) = udp_of_ethernet(frame) {
            out.push(d);
        }
    }
    out
}

fn udp_of_ethernet(frame: &[u8]) -> Option<Datagram> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None; // not IPv4
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 17 {
        return None; // not UDP
    }
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let udp = ip.get(ihl..)?;
    let sport = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    let payload = udp.get(8..len.max(8))?.to_vec();
    Some(Datagram {
        from: SocketAddr::V4(SocketAddrV4::new(src, sport)),
        to: SocketAddr::V4(SocketAddrV4::new(dst, dport)),
        payload,
    })
}

/// The RTP SSRC of a datagram, if it is RTP (version 2, not an RTCP packet type).
pub fn rtp_ssrc(payload: &[u8]) -> Option<u32> {
    if payload.len() < 12 || payload[0] >> 6 != 2 || (192..=223).contains(&payload[1]) {
        return None;
    }
    Some(u32::from_be_bytes([
        payload[8],
        payload[9],
        payload[10],
        payload[11],
    ]))
}

/// One RTP packet as the lab tests read it: from a capture ([`RtpPacket::parse`]) or from a
/// peer tool's record (`ssrc` 0 where the record has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    pub pt: u8,
    pub marker: bool,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub payload: Vec<u8>,
}

impl RtpPacket {
    /// The RTP packet in a datagram's payload, if it is one ([`rtp_ssrc`]'s test).
    pub fn parse(datagram: &[u8]) -> Option<Self> {
        let ssrc = rtp_ssrc(datagram)?;
        Some(Self {
            pt: datagram[1] & 0x7f,
            marker: datagram[1] & 0x80 != 0,
            ssrc,
            seq: u16::from_be_bytes([datagram[2], datagram[3]]),
            ts: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
            payload: datagram[12..].to_vec(),
        })
    }
}

/// The CNAMEs of the SDES packets of an RTCP datagram (empty for anything else).
pub fn rtcp_cnames(payload: &[u8]) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let mut at = 0;
    while let Some(header) = payload.get(at..at + 4) {
        if header[0] >> 6 != 2 {
            break;
        }
        let end = at + (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1) * 4;
        if header[1] == 202 {
            let mut item = at + 8; // first chunk's first item
            while let (Some(&kind), Some(&len)) = (payload.get(item), payload.get(item + 1)) {
                if kind == 0 || item >= end {
                    break;
                }
                if kind == 1 {
                    if let Some(v) = payload.get(item + 2..item + 2 + usize::from(len)) {
                        names.push(v.to_vec());
                    }
                }
                item += 2 + usize::from(len);
            }
        }
        at = end;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_pcap_of_one_udp_datagram_and_a_cut_record() {
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        pcap.extend([0u8; 16]);
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        let payload = b"INVITE";
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip.extend(5060u16.to_be_bytes());
        ip.extend(5080u16.to_be_bytes());
        ip.extend(((8 + payload.len()) as u16).to_be_bytes());
        ip.extend([0, 0]);
        ip.extend(payload);
        frame.extend(ip);
        let mut record = vec![0u8; 8];
        record.extend((frame.len() as u32).to_le_bytes());
        record.extend((frame.len() as u32).to_le_bytes());
        record.extend(&frame);
        pcap.extend(&record);
        pcap.extend(&record[..20]); // cut short
        let got = read_pcap(&pcap);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, "10.0.0.1:5060".parse().expect("addr"));
        assert_eq!(got[0].to, "10.0.0.2:5080".parse().expect("addr"));
        assert_eq!(got[0].payload, payload);
    }

    #[test]
    fn cnames_of_a_compound_rtcp_datagram() {
        let mut p = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
        p.extend([0x81, 202, 0, 3, 0, 0, 0, 1, 1, 5]);
        p.extend(b"a@b.c");
        p.extend([0]);
        assert_eq!(rtcp_cnames(&p), vec![b"a@b.c".to_vec()]);
        assert_eq!(rtp_ssrc(&p), None);
    }
}
