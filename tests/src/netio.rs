//! Raw UDP, TCP and TLS exchanges from inside a lab namespace, through `tools/netio.py`.
//!
//! Sockets opened by the test process would live in the root namespace, so a small Python
//! helper runs in the target namespace instead (see the script's docstring for its protocol).
//! These are the building blocks for garbage, torture (RFC 4475) and flood tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::child::LabChild;
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// The helper script.
pub fn netio_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/netio.py")
}

/// One datagram received by the helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Who sent it.
    pub from: SocketAddr,
    /// Its payload.
    pub bytes: Vec<u8>,
}

impl Datagram {
    /// The payload as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// A batch of datagrams to send from one socket.
#[derive(Debug, Clone)]
pub struct UdpBurst<'a> {
    /// Namespace to send from.
    pub ns: Ns,
    /// Local address to bind (port 0: any); `None`: let the kernel choose.
    pub from: Option<SocketAddr>,
    /// Destination.
    pub to: SocketAddr,
    /// The payloads, one datagram each, in order.
    pub datagrams: &'a [Vec<u8>],
    /// Pause between two sends.
    pub interval: Duration,
    /// How long to keep collecting replies after the last send.
    pub wait: Duration,
    /// Stop at the first reply.
    pub first_only: bool,
}

/// How a TCP exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpEnd {
    /// The peer closed the connection (FIN).
    Closed,
    /// The connection was reset / the pipe broke.
    Reset,
    /// Still connected when the helper gave up waiting.
    Open,
    /// The peer stopped reading and stayed connected.
    Stalled,
    /// Could not connect.
    Refused,
    /// Connected, but the TLS handshake failed (see [`TcpOutcome::error`]).
    TlsFailed,
}

impl TcpEnd {
    /// True when the peer ended the connection (closed or reset).
    pub fn disconnected(self) -> bool {
        matches!(self, TcpEnd::Closed | TcpEnd::Reset)
    }
}

/// Result of a TCP exchange.
#[derive(Debug, Clone)]
pub struct TcpOutcome {
    /// Bytes written before the end.
    pub sent: usize,
    /// How it ended.
    pub end: TcpEnd,
    /// Everything received.
    pub reply: Vec<u8>,
    /// Why the TLS handshake failed (TLS sessions only).
    pub error: Option<String>,
}

impl TcpOutcome {
    /// The reply as (lossy) text.
    pub fn reply_text(&self) -> String {
        String::from_utf8_lossy(&self.reply).into_owned()
    }
}

/// A TCP connection from a lab namespace.
#[derive(Debug, Clone)]
pub struct TcpSession<'a> {
    /// Namespace to connect from.
    pub ns: Ns,
    /// Local address to bind; `None`: any.
    pub from: Option<SocketAddr>,
    /// Destination.
    pub to: SocketAddr,
    /// Writes to make, in order.
    pub writes: &'a [Vec<u8>],
    /// After the writes, write this chunk repeatedly until `flood_max` bytes in total are sent
    /// or the connection breaks (empty: no flood).
    pub flood: &'a [u8],
    /// Total byte budget of the flood.
    pub flood_max: usize,
    /// How long to wait for the peer (to read, to close) at the end.
    pub wait: Duration,
}

/// A TCP session running in the background; [`RunningTcp::finish`] collects its outcome.
#[derive(Debug)]
pub struct RunningTcp {
    child: LabChild,
    budget: Duration,
}

impl RunningTcp {
    /// Waits for the session to end and returns its outcome.
    pub fn finish(mut self) -> Result<TcpOutcome> {
        let status = self.child.wait_timeout(self.budget)?;
        let stdout = self.child.stdout();
        if !status.success() {
            return Err(LabError::Command {
                command: self.child.label().to_owned(),
                status: status.to_string(),
                stderr: self.child.stderr(),
            });
        }
        parse_tcp(&stdout)
    }
}

impl Lab {
    /// Sends the datagrams of `burst` and returns the replies received.
    pub fn udp_burst(&self, burst: &UdpBurst<'_>) -> Result<Vec<Datagram>> {
        let frames = self.write_frames(burst.datagrams)?;
        let mut argv = netio_argv("udp", burst.to, burst.from, &frames, burst.wait)?;
        argv.push(format!(
            "--interval-ms={}",
            burst.interval.as_secs_f64() * 1000.0
        ));
        if burst.first_only {
            argv.push("--first".to_owned());
        }
        let stdout = self.exec_ok(burst.ns, &argv)?;
        // Kept with the artifacts, next to the payloads.
        self.artifacts()
            .write(&frames.with_extension("replies"), &stdout)?;
        parse_udp(&stdout)
    }

    /// Sends one datagram from `ns` (bound to `from`) to `to` and returns the first reply
    /// within 2 s, if any.
    pub fn udp_send(
        &self,
        ns: Ns,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let replies = self.udp_burst(&UdpBurst {
            ns,
            from: Some(from),
            to,
            datagrams: &[bytes.to_vec()],
            interval: Duration::ZERO,
            wait: Duration::from_secs(2),
            first_only: true,
        })?;
        Ok(replies.into_iter().next().map(|d| d.bytes))
    }

    /// Hook for over-the-wire parser tests (RFC 4475 torture messages): sends `bytes` as one
    /// datagram from `ns` to the SBC's SIP address facing `ns`, and returns every datagram
    /// received within `timeout`.
    pub fn send_datagram_and_collect(
        &self,
        ns: Ns,
        bytes: &[u8],
        timeout: Duration,
    ) -> Result<Vec<Datagram>> {
        let to = ns.sbc_sip_addr().ok_or_else(|| LabError::BadOutput {
            tool: "send_datagram_and_collect".to_owned(),
            output: format!("no SBC address faces namespace {ns}"),
        })?;
        self.udp_burst(&UdpBurst {
            ns,
            from: None,
            to,
            datagrams: &[bytes.to_vec()],
            interval: Duration::ZERO,
            wait: timeout,
            first_only: false,
        })
    }

    /// Starts a TCP session in the background (e.g. a flood while another client is tested).
    pub fn tcp_start(&self, session: &TcpSession<'_>) -> Result<RunningTcp> {
        let frames = self.write_frames(session.writes)?;
        let mut argv = netio_argv("tcp", session.to, session.from, &frames, session.wait)?;
        if !session.flood.is_empty() {
            let flood = self.artifacts().unique_path("flood", ".bin");
            self.artifacts().write(&flood, session.flood)?;
            argv.push(format!("--flood={}", flood.display()));
            argv.push(format!("--flood-max={}", session.flood_max));
        }
        let child = self.spawn_command(self.command(session.ns, &argv), "netio-tcp")?;
        Ok(RunningTcp {
            child,
            // Connect + sends + final read each get `wait`; plus interpreter start-up.
            budget: session.wait * 4 + Duration::from_secs(10),
        })
    }

    /// Runs a TCP session to its end.
    pub fn tcp_exchange(&self, session: &TcpSession<'_>) -> Result<TcpOutcome> {
        self.tcp_start(session)?.finish()
    }

    /// Starts a TLS session in the background: like [`Lab::tcp_start`] over TLS, the
    /// server verified against the CA bundle `ca` by the IP address of `session.to`.
    pub fn tls_start(&self, session: &TcpSession<'_>, ca: &Path) -> Result<RunningTcp> {
        let frames = self.write_frames(session.writes)?;
        let mut argv = netio_argv("tls", session.to, session.from, &frames, session.wait)?;
        argv.push(format!("--ca={}", ca.display()));
        if !session.flood.is_empty() {
            let flood = self.artifacts().unique_path("flood", ".bin");
            self.artifacts().write(&flood, session.flood)?;
            argv.push(format!("--flood={}", flood.display()));
            argv.push(format!("--flood-max={}", session.flood_max));
        }
        let child = self.spawn_command(self.command(session.ns, &argv), "netio-tls")?;
        Ok(RunningTcp {
            child,
            // Connect, handshake + sends + final read each get `wait`; plus start-up.
            budget: session.wait * 5 + Duration::from_secs(10),
        })
    }

    /// Runs a TLS session to its end (see [`Lab::tls_start`]).
    pub fn tls_exchange(&self, session: &TcpSession<'_>, ca: &Path) -> Result<TcpOutcome> {
        self.tls_start(session, ca)?.finish()
    }

    /// Writes a frames file (4-byte big-endian length + bytes, per frame) into the lab dir.
    fn write_frames(&self, frames: &[Vec<u8>]) -> Result<PathBuf> {
        let mut data = Vec::with_capacity(frames.iter().map(|f| f.len() + 4).sum());
        for frame in frames {
            let len = u32::try_from(frame.len()).map_err(|_| LabError::BadOutput {
                tool: "netio frames".to_owned(),
                output: format!("frame of {} bytes is too long", frame.len()),
            })?;
            data.extend_from_slice(&len.to_be_bytes());
            data.extend_from_slice(frame);
        }
        let path = self.artifacts().unique_path("frames", ".bin");
        self.artifacts().write(&path, data)?;
        Ok(path)
    }
}

/// Common helper arguments: `python3 netio.py MODE --to .. [--bind ..] --frames .. --wait ..`.
fn netio_argv(
    mode: &str,
    to: SocketAddr,
    from: Option<SocketAddr>,
    frames: &Path,
    wait: Duration,
) -> Result<Vec<String>> {
    let mut argv = vec![
        cmd::python()?.display().to_string(),
        netio_script().display().to_string(),
        mode.to_owned(),
        format!("--to={to}"),
        format!("--frames={}", frames.display()),
        format!("--wait={}", wait.as_secs_f64()),
    ];
    if let Some(from) = from {
        argv.push(format!("--bind={from}"));
    }
    Ok(argv)
}

/// Parses `reply IP:PORT HEX` lines up to `done`.
fn parse_udp(stdout: &str) -> Result<Vec<Datagram>> {
    let bad = || LabError::BadOutput {
        tool: "netio.py udp".to_owned(),
        output: stdout.to_owned(),
    };
    let mut replies = Vec::new();
    let mut done = false;
    for line in stdout.lines() {
        if line == "done" {
            done = true;
        } else if let Some(rest) = line.strip_prefix("reply ") {
            let (from, hex) = rest.split_once(' ').unwrap_or((rest, ""));
            replies.push(Datagram {
                from: from.parse().map_err(|_| bad())?,
                bytes: decode_hex(hex).ok_or_else(bad)?,
            });
        }
    }
    if done { Ok(replies) } else { Err(bad()) }
}

/// Parses the `sent` / `end` / `reply` lines.
fn parse_tcp(stdout: &str) -> Result<TcpOutcome> {
    let bad = || LabError::BadOutput {
        tool: "netio.py tcp".to_owned(),
        output: stdout.to_owned(),
    };
    let (mut sent, mut end, mut reply, mut error) = (None, None, None, None);
    for line in stdout.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "sent" => sent = value.parse().ok(),
            "end" => {
                end = Some(match value {
                    "closed" => TcpEnd::Closed,
                    "reset" => TcpEnd::Reset,
                    "open" => TcpEnd::Open,
                    "stalled" => TcpEnd::Stalled,
                    "refused" => TcpEnd::Refused,
                    "tls-failed" => TcpEnd::TlsFailed,
                    _ => return Err(bad()),
                });
            }
            "reply" => reply = decode_hex(value),
            "error" => error = Some(value.to_owned()),
            _ => {}
        }
    }
    match (sent, end, reply) {
        (Some(sent), Some(end), Some(reply)) => Ok(TcpOutcome {
            sent,
            end,
            reply,
            error,
        }),
        _ => Err(bad()),
    }
}

/// Lowercase/uppercase hex → bytes; `None` if malformed.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_output_is_parsed() {
        let out = "reply 10.91.1.1:5060 5349500a\nreply 10.91.1.1:5060 \ndone\n";
        let replies = parse_udp(out).expect("well-formed output");
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].text(), "SIP\n");
        assert!(replies[1].bytes.is_empty());
        assert!(parse_udp("reply 1.2.3.4:5 zz\ndone").is_err());
        assert!(
            parse_udp("").is_err(),
            "a helper that died prints no `done`"
        );
    }

    #[test]
    fn tcp_output_is_parsed() {
        let outcome = parse_tcp("sent 70000\nend reset\nreply 4f4b\n").expect("well-formed");
        assert_eq!(outcome.sent, 70000);
        assert_eq!(outcome.end, TcpEnd::Reset);
        assert_eq!(outcome.reply_text(), "OK");
        assert!(parse_tcp("sent 1\nend weird\nreply \n").is_err());
        let failed = parse_tcp("error certificate verify failed\nsent 0\nend tls-failed\nreply \n")
            .expect("well-formed");
        assert_eq!(failed.end, TcpEnd::TlsFailed);
        assert_eq!(failed.error.as_deref(), Some("certificate verify failed"));
    }
}
