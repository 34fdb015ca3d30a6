//! Running sipp (Debian package sip-tester) inside a lab namespace with a scenario file from
//! `tests/scenarios/`, collecting its exit status and message/error traces.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::child::{LabChild, read_lossy};
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// The scenario directory.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// SIP transport for sipp's `-t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SippTransport {
    /// `-t u1`: one UDP socket.
    Udp,
    /// `-t t1`: one TCP connection.
    Tcp,
}

/// A sipp run to configure, then [`Sipp::run`].
#[derive(Debug, Clone)]
pub struct Sipp<'lab> {
    lab: &'lab Lab,
    ns: Ns,
    scenario: PathBuf,
    /// Where to send (a UAC); `None` for a UAS that only listens.
    target: Option<SocketAddr>,
    transport: SippTransport,
    local_ip: IpAddr,
    calls: u32,
    timeout: Duration,
    recv_timeout: Option<Duration>,
    extra: Vec<String>,
}

/// What a sipp run produced.
#[derive(Debug, Clone)]
pub struct SippOutcome {
    /// sipp's exit status (0: every call succeeded; 1: some failed; 99: none ran; -1, -2 fatal).
    pub status: ExitStatus,
    /// The `-trace_msg` log: every message sent and received.
    pub messages: String,
    /// The `-trace_err` log: unexpected messages and errors.
    pub errors: String,
    /// sipp's stdout (final statistics screen).
    pub stdout: String,
    /// sipp's stderr.
    pub stderr: String,
}

impl SippOutcome {
    /// True when sipp exited 0 (all calls succeeded).
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// A multi-line report for assertion messages.
    pub fn report(&self) -> String {
        format!(
            "sipp {}\n--- errors:\n{}\n--- messages:\n{}\n--- stderr:\n{}",
            self.status,
            self.errors.trim_end(),
            self.messages.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl Lab {
    /// A sipp run of `scenario` (a file name in `tests/scenarios/`, or a path) from `ns`
    /// against `target`: UDP, 1 call, 20 s global timeout, local IP = the namespace's address.
    pub fn sipp(&self, ns: Ns, scenario: &str, target: SocketAddr) -> Sipp<'_> {
        Sipp {
            lab: self,
            ns,
            scenario: scenarios_dir().join(scenario),
            target: Some(target),
            transport: SippTransport::Udp,
            local_ip: IpAddr::V4(ns.ip()),
            calls: 1,
            timeout: Duration::from_secs(20),
            recv_timeout: None,
            extra: Vec::new(),
        }
    }
}

impl Sipp<'_> {
    /// Listens instead of sending (a UAS): no target address.
    pub fn listen(mut self) -> Self {
        self.target = None;
        self
    }

    /// Uses TCP (`-t t1`).
    pub fn tcp(mut self) -> Self {
        self.transport = SippTransport::Tcp;
        self
    }

    /// Sets the transport.
    pub fn transport(mut self, transport: SippTransport) -> Self {
        self.transport = transport;
        self
    }

    /// Number of calls (`-m`).
    pub fn calls(mut self, calls: u32) -> Self {
        self.calls = calls;
        self
    }

    /// Global timeout (`-timeout`, an error when reached).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Fail a call whose expected message does not arrive within `timeout` (`-recv_timeout`;
    /// unlike a `<recv timeout>` in the scenario, it also applies while sipp retransmits).
    pub fn recv_timeout(mut self, timeout: Duration) -> Self {
        self.recv_timeout = Some(timeout);
        self
    }

    /// Local address for sockets and headers (`-i`).
    pub fn local_ip(mut self, ip: IpAddr) -> Self {
        self.local_ip = ip;
        self
    }

    /// Extra sipp arguments (e.g. `-r 10`, `-key k v`).
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.extra.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs sipp to completion (in its own directory of the lab, where its traces stay).
    pub fn run(self) -> Result<SippOutcome> {
        self.spawn()?.finish()
    }

    /// Starts sipp in the background (a UAS waiting for calls); [`RunningSipp::finish`]
    /// waits for it and collects its traces.
    pub fn spawn(self) -> Result<RunningSipp> {
        let sipp = cmd::require_tool("sipp", "apt-get install sip-tester (or run scripts/setup)")?;
        if !self.scenario.is_file() {
            return Err(LabError::io(
                format!("sipp scenario {}", self.scenario.display()),
                std::io::ErrorKind::NotFound.into(),
            ));
        }
        let dir = self.lab.artifacts().unique_path("sipp", "");
        fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let messages = dir.join("messages.log");
        let errors = dir.join("errors.log");
        let transport = match self.transport {
            SippTransport::Udp => "u1",
            SippTransport::Tcp => "t1",
        };
        let mut argv: Vec<String> = vec![sipp.display().to_string()];
        if let Some(target) = self.target {
            argv.push(target.to_string());
        }
        argv.extend([
            "-sf".into(),
            self.scenario.display().to_string(),
            "-i".into(),
            self.local_ip.to_string(),
            "-t".into(),
            transport.into(),
            "-m".into(),
            self.calls.to_string(),
            "-timeout".into(),
            format!("{}s", self.timeout.as_secs().max(1)),
            "-timeout_error".into(),
            "-nostdin".into(),
            "-trace_msg".into(),
            "-message_file".into(),
            messages.display().to_string(),
            "-trace_err".into(),
            "-error_file".into(),
            errors.display().to_string(),
        ]);
        if let Some(recv_timeout) = self.recv_timeout {
            argv.push("-recv_timeout".into());
            argv.push(recv_timeout.as_millis().max(1).to_string());
        }
        argv.extend(self.extra);
        let mut command = self.lab.command(self.ns, &argv);
        command.current_dir(&dir);
        let child = LabChild::spawn(command, &dir.join("sipp"))?;
        Ok(RunningSipp {
            child,
            messages,
            errors,
            budget: self.timeout + Duration::from_secs(15),
        })
    }
}

/// A sipp started with [`Sipp::spawn`]; killed on drop if not finished.
#[derive(Debug)]
pub struct RunningSipp {
    child: LabChild,
    messages: PathBuf,
    errors: PathBuf,
    budget: Duration,
}

impl RunningSipp {
    /// Waits for sipp to exit (it enforces its own timeout; this only guards against a hung
    /// sipp) and collects its traces.
    pub fn finish(mut self) -> Result<SippOutcome> {
        let status = self.child.wait_timeout(self.budget)?;
        Ok(SippOutcome {
            status,
            messages: read_lossy(&self.messages),
            errors: read_lossy(&self.errors),
            stdout: self.child.stdout(),
            stderr: self.child.stderr(),
        })
    }
}
