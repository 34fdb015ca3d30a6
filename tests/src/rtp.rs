//! `tools/rtp.py`, the RTP peer sipp scenarios start in the background, and its results.
//!
//! A scenario runs it with `<exec command="[python] [rtp_tool] ... --out [rtp_out]">`;
//! [`tool_keys`] gives the `-key` arguments for that, [`RtpResult::wait`] reads the JSON
//! the tool writes when it is done (without a JSON library: the keys are flat).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cmd;
use crate::error::{LabError, Result};

/// The tool's path.
pub fn rtp_tool() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/rtp.py")
}

/// `-key python .. -key rtp_tool ..` and one `-key NAME PATH` per output file.
pub fn tool_keys(outputs: &[(&str, &Path)]) -> Result<Vec<String>> {
    let python = cmd::python()?.display().to_string();
    let mut keys = vec![
        "-key".to_owned(),
        "python".into(),
        python,
        "-key".into(),
        "rtp_tool".into(),
        rtp_tool().display().to_string(),
    ];
    for (name, path) in outputs {
        keys.extend([
            "-key".into(),
            (*name).to_owned(),
            path.display().to_string(),
        ]);
    }
    Ok(keys)
}

/// What one run of the tool saw.
#[derive(Debug, Clone)]
pub struct RtpResult {
    /// RTP packets it sent.
    pub sent: u64,
    /// RTP packets it received.
    pub rtp: u64,
    /// Of those, SRTP packets whose tag was valid under `--srtp-recv-key` (0 without).
    pub authenticated: u64,
    /// ICE connectivity checks it sent (`--ice`), and the Binding success responses it got.
    pub ice_checks: u64,
    pub ice_answers: u64,
    /// Where they came from, in order of first appearance.
    pub sources: Vec<String>,
    /// Their SSRCs (hex), in order of first appearance.
    pub ssrcs: Vec<String>,
    /// Runs of one SSRC in arrival order: `(ssrc hex, packets)`.
    pub runs: Vec<(String, u64)>,
    /// Payload types received, in order of first arrival.
    pub pts: Vec<u8>,
    /// Payload sizes received (bytes), in order of first arrival.
    pub sizes: Vec<usize>,
    /// RFC 4733 telephone-events received (4-byte payloads, decrypted when SRTP that
    /// authenticated), one per payload type and RTP timestamp, in arrival order.
    pub events: Vec<EventSeen>,
    /// RFC 3389 comfort noise packets received (payload type 13), in arrival order.
    pub comfort_noise: Vec<CnSeen>,
    /// Packets received with the marker bit: `(sequence number, timestamp)`.
    pub marked: Vec<(u16, u32)>,
    /// The JSON as written.
    pub raw: String,
}

/// One telephone-event as received: every packet of one payload type and RTP timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSeen {
    /// The packets' payload type.
    pub pt: u8,
    /// The event code of the first packet (0-9, 10 `*`, 11 `#`, 12-15 A-D).
    pub code: u8,
    /// Packets received.
    pub packets: u64,
    /// Of those, packets with the end bit set.
    pub ends: u64,
}

/// One RFC 3389 comfort noise packet as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnSeen {
    pub seq: u16,
    pub ts: u32,
    /// The noise level byte, −dBov (128: an empty payload).
    pub level: u8,
    /// Payload length: 1 for the level alone, more with reflection coefficients.
    pub len: usize,
}

/// `"key": [[1, 2], [3, 4]]` as rows of numbers (an empty list: none).
fn number_rows(raw: &str, key: &str) -> Vec<Vec<u64>> {
    raw.split(&format!("\"{key}\": ["))
        .nth(1)
        // An empty list ends at once (its "]]" would be the next key's).
        .filter(|r| !r.trim_start().starts_with(']'))
        .and_then(|r| r.split("]]").next())
        .map(|items| {
            items
                .split('[')
                .map(|row| {
                    row.split([',', ']'])
                        .filter_map(|n| n.trim().parse().ok())
                        .collect::<Vec<u64>>()
                })
                .filter(|row| !row.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl RtpResult {
    /// Waits up to `timeout` for the tool's output file and parses it.
    pub fn wait(path: &Path, timeout: Duration) -> Result<Self> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(raw) = std::fs::read_to_string(path) {
                return Ok(Self::parse(raw));
            }
            if Instant::now() > deadline {
                return Err(LabError::BadOutput {
                    tool: "rtp.py".to_owned(),
                    output: format!("{} never written", path.display()),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Parses the tool's JSON (flat keys, lists of strings, `runs` as pairs).
    pub fn parse(raw: String) -> Self {
        let number = |key: &str| -> u64 {
            raw.split(&format!("\"{key}\": "))
                .nth(1)
                .and_then(|r| r.split([',', '}']).next())
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        let list = |key: &str| -> Vec<String> {
            raw.split(&format!("\"{key}\": ["))
                .nth(1)
                .and_then(|r| r.split(']').next())
                .map(|items| {
                    items
                        .split(',')
                        .map(|s| s.trim().trim_matches('"').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        // "runs": [["f0a0000a", 12], ["f0b0000b", 40]]
        let runs = raw
            .split("\"runs\": [")
            .nth(1)
            .and_then(|r| r.split("]]").next())
            .map(|items| {
                items
                    .split('[')
                    .filter_map(|pair| {
                        let (ssrc, count) = pair.split_once(',')?;
                        let ssrc = ssrc.trim().trim_matches('"').to_owned();
                        let count = count
                            .trim()
                            .trim_end_matches([']', ',', ' '])
                            .parse()
                            .ok()?;
                        Some((ssrc, count))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let events = number_rows(&raw, "events")
            .iter()
            .filter_map(|row| match row[..] {
                [pt, code, packets, ends] => Some(EventSeen {
                    pt: u8::try_from(pt).ok()?,
                    code: u8::try_from(code).ok()?,
                    packets,
                    ends,
                }),
                _ => None,
            })
            .collect();
        let comfort_noise = number_rows(&raw, "comfort_noise")
            .iter()
            .filter_map(|row| match row[..] {
                [seq, ts, level, len] => Some(CnSeen {
                    seq: u16::try_from(seq).ok()?,
                    ts: u32::try_from(ts).ok()?,
                    level: u8::try_from(level).ok()?,
                    len: usize::try_from(len).ok()?,
                }),
                _ => None,
            })
            .collect();
        let marked = number_rows(&raw, "marked")
            .iter()
            .filter_map(|row| match row[..] {
                [seq, ts] => Some((u16::try_from(seq).ok()?, u32::try_from(ts).ok()?)),
                _ => None,
            })
            .collect();
        RtpResult {
            sent: number("sent"),
            rtp: number("rtp"),
            authenticated: number("authenticated"),
            ice_checks: number("ice_checks"),
            ice_answers: number("ice_answers"),
            sources: list("sources"),
            ssrcs: list("ssrcs"),
            runs,
            pts: list("pts").iter().filter_map(|p| p.parse().ok()).collect(),
            sizes: list("sizes")
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            events,
            comfort_noise,
            marked,
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CnSeen, EventSeen, RtpResult};

    #[test]
    fn parses_the_tools_output() {
        let r = RtpResult::parse(
            r#"{"sent": 50, "received": 48, "rtp": 48, "sources": ["10.91.1.1:20000"], "ssrcs": ["f0a0000a", "f0b0000b"], "first_seq": 1, "last_seq": 50, "errors": [], "runs": [["f0a0000a", 12], ["f0b0000b", 36]]}"#
                .to_owned(),
        );
        assert_eq!((r.sent, r.rtp), (50, 48));
        assert_eq!(r.sources, ["10.91.1.1:20000"]);
        assert_eq!(r.ssrcs, ["f0a0000a", "f0b0000b"]);
        assert_eq!(
            r.runs,
            [("f0a0000a".to_owned(), 12), ("f0b0000b".to_owned(), 36)]
        );
        assert!(r.events.is_empty(), "no \"events\" key: none");
        let empty =
            RtpResult::parse(r#"{"sent": 5, "rtp": 0, "runs": [], "events": []}"#.to_owned());
        assert!(empty.runs.is_empty() && empty.events.is_empty());
        let dtmf = RtpResult::parse(
            r#"{"sent": 64, "runs": [["5eed0001", 64]], "pts": [0, 110], "events": [[110, 5, 7, 3], [110, 12, 6, 2]]}"#
                .to_owned(),
        );
        assert_eq!(
            dtmf.events,
            [
                EventSeen {
                    pt: 110,
                    code: 5,
                    packets: 7,
                    ends: 3
                },
                EventSeen {
                    pt: 110,
                    code: 12,
                    packets: 6,
                    ends: 2
                },
            ]
        );
        // Empty lists before others do not take the next key's rows.
        let cn = RtpResult::parse(
            r#"{"sent": 3, "events": [], "comfort_noise": [[7, 4000, 40, 1]], "marked": [[1, 0], [8, 12000]]}"#
                .to_owned(),
        );
        assert!(cn.events.is_empty());
        assert_eq!(
            cn.comfort_noise,
            [CnSeen {
                seq: 7,
                ts: 4000,
                level: 40,
                len: 1
            }]
        );
        assert_eq!(cn.marked, [(1, 0), (8, 12_000)]);
        let none = RtpResult::parse(
            r#"{"events": [], "comfort_noise": [], "marked": [[1, 0]]}"#.to_owned(),
        );
        assert!(none.comfort_noise.is_empty());
        assert_eq!(none.marked, [(1, 0)]);
    }
}
