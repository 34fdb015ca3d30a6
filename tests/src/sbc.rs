//! The daemon under test: start it in the sbc namespace, wait until it is ready, signal it,
//! read its log.
//!
//! The binary is `$SBC_BIN` if set, else `$CARGO_TARGET_DIR/release/sbc` if that variable is
//! set, else `<workspace>/target/release/sbc`. The tests never build it: `cargo build --release`
//! first (scripts/test does).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{self, LabChild};
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::listeners::{Listener, Proto, sip_listeners};
use crate::topology::Ns;

/// How long the daemon gets to open its sockets.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Poll interval of readiness and log waits.
const POLL: Duration = Duration::from_millis(50);
/// Lines of log shown in failure messages.
const LOG_TAIL: usize = 60;

/// Signals the tests send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Stop cleanly.
    Term,
    /// Stop cleanly (Ctrl-C).
    Int,
    /// Reload the config file.
    Hup,
    /// Die now.
    Kill,
}

impl Signal {
    /// The name `kill -s` understands.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "TERM",
            Signal::Int => "INT",
            Signal::Hup => "HUP",
            Signal::Kill => "KILL",
        }
    }
}

/// The path of the binary under test (see the module docs); fails if it does not exist.
pub fn sbc_binary() -> Result<PathBuf> {
    let path = if let Some(bin) = std::env::var_os("SBC_BIN") {
        PathBuf::from(bin)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        Path::new(&target).join("release/sbc")
    } else {
        workspace_root().join("target/release/sbc")
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(LabError::MissingBinary { path })
    }
}

/// The developer binary `sbc-media-harness` (the media workers driven by text ops):
/// `$SBC_MEDIA_HARNESS_BIN` if set, else beside [`sbc_binary`]'s default location.
pub fn harness_binary() -> Result<PathBuf> {
    let path = if let Some(bin) = std::env::var_os("SBC_MEDIA_HARNESS_BIN") {
        PathBuf::from(bin)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        Path::new(&target).join("release/sbc-media-harness")
    } else {
        workspace_root().join("target/release/sbc-media-harness")
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(LabError::MissingBinary { path })
    }
}

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A running `sbc --config <file>` in the sbc namespace; SIGKILLed when dropped.
#[derive(Debug)]
pub struct SbcProcess {
    child: LabChild,
    config_path: PathBuf,
    listeners: Vec<Listener>,
}

impl Lab {
    /// Writes `config_toml` to a fresh directory of this lab, starts the daemon on it in the sbc
    /// namespace (`RUST_LOG=debug`, stderr to `sbc.log`), and waits until every SIP listener of
    /// the config has its socket open (or, for a config without listeners, until the log says
    /// "listening"). Fails after [`READY_TIMEOUT`] or if the daemon exits, with the log tail.
    pub fn start_sbc(&self, config_toml: &str) -> Result<SbcProcess> {
        self.start_sbc_logging(config_toml, "debug")
    }

    /// [`Lab::start_sbc`] with another `RUST_LOG` (benchmarks: `warn`, as an operator runs it).
    pub fn start_sbc_logging(&self, config_toml: &str, rust_log: &str) -> Result<SbcProcess> {
        let binary = sbc_binary()?;
        let dir = self.artifacts().unique_path("sbc", "");
        fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let config_path = dir.join("sbc.toml");
        self.artifacts().write(&config_path, config_toml)?;

        let mut command = self.command(Ns::Sbc, &[binary.as_os_str()]);
        command
            .arg("--config")
            .arg(&config_path)
            .current_dir(&dir)
            .env("RUST_LOG", rust_log)
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1");
        let child = LabChild::spawn(command, &dir.join("sbc"))?;
        let mut sbc = SbcProcess {
            child,
            config_path,
            listeners: sip_listeners(config_toml),
        };
        sbc.wait_ready(self)?;
        Ok(sbc)
    }
}

impl SbcProcess {
    /// Polls until ready; see [`Lab::start_sbc`].
    fn wait_ready(&mut self, lab: &Lab) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_exit() {
                return Err(LabError::Command {
                    command: self.child.label().to_owned(),
                    status: status.to_string(),
                    stderr: format!(
                        "sbc exited before it was ready; log tail:\n{}",
                        self.log_tail()
                    ),
                });
            }
            let missing = self.missing_listeners(lab)?;
            if missing.is_empty() {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                return Err(LabError::Timeout {
                    what: format!("sbc to listen on {}", missing.join(", ")),
                    waited: READY_TIMEOUT,
                    detail: format!("sbc log tail:\n{}", self.log_tail()),
                });
            }
            thread::sleep(POLL);
        }
    }

    /// Listeners whose socket is not open yet (or `["a \"listening\" log line"]`).
    fn missing_listeners(&self, lab: &Lab) -> Result<Vec<String>> {
        if self.listeners.is_empty() {
            let listening = self.log().to_ascii_lowercase().contains("listening");
            return Ok(if listening {
                Vec::new()
            } else {
                vec!["a \"listening\" log line".to_owned()]
            });
        }
        let udp = lab.exec_ok(Ns::Sbc, &["ss", "-Hlnu"])?;
        let tcp = lab.exec_ok(Ns::Sbc, &["ss", "-Hlnt"])?;
        Ok(self
            .listeners
            .iter()
            .filter(|l| {
                let table = if l.proto() == Proto::Udp { &udp } else { &tcp };
                !is_bound(table, l)
            })
            .map(ToString::to_string)
            .collect())
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// True while it has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child.is_running()
    }

    /// The config file it was started with (rewrite it, then [`Signal::Hup`], to reload).
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Replaces the config file (without signalling).
    pub fn write_config(&self, toml: &str) -> Result<()> {
        fs::write(&self.config_path, toml)
            .map_err(|e| LabError::io(format!("write {}", self.config_path.display()), e))
    }

    /// Sends `signal` with `kill -s`.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        cmd::run_ok(
            Command::new("kill")
                .args(["-s", signal.name()])
                .arg(self.pid().to_string()),
        )
        .map(drop)
    }

    /// Waits up to `timeout` for it to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        self.child.wait_timeout(timeout).map_err(|e| match e {
            LabError::Timeout { what, waited, .. } => LabError::Timeout {
                what,
                waited,
                detail: format!("sbc log tail:\n{}", self.log_tail()),
            },
            other => other,
        })
    }

    /// The whole log (stderr) so far, ANSI colours removed.
    pub fn log(&self) -> String {
        strip_ansi(&self.child.stderr())
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        child::tail(&self.log(), LOG_TAIL)
    }

    /// Log length now; pass to [`SbcProcess::log_since`] to see only what follows.
    pub fn log_mark(&self) -> usize {
        self.log().len()
    }

    /// The log written after `mark`.
    pub fn log_since(&self, mark: usize) -> String {
        let log = self.log();
        log.get(mark..).unwrap_or_default().to_owned()
    }

    /// Waits until the log after `mark` contains `needle` (case-insensitive).
    pub fn wait_for_log(&self, mark: usize, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let needle_lower = needle.to_ascii_lowercase();
        loop {
            let text = self.log_since(mark);
            if text.to_ascii_lowercase().contains(&needle_lower) {
                return Ok(text);
            }
            if Instant::now() >= deadline {
                return Err(LabError::Timeout {
                    what: format!("sbc log to mention {needle:?}"),
                    waited: timeout,
                    detail: format!("sbc log since mark:\n{}", child::tail(&text, LOG_TAIL)),
                });
            }
            thread::sleep(POLL);
        }
    }
}

/// True when an `ss -H -l -n` table shows a socket bound to `listener`'s address (or to the
/// wildcard address on its port).
fn is_bound(table: &str, listener: &Listener) -> bool {
    let port = listener.addr.port();
    let wanted = [
        listener.addr.to_string(),
        format!("0.0.0.0:{port}"),
        format!("*:{port}"),
        format!("[::]:{port}"),
    ];
    table
        .lines()
        // Columns: State Recv-Q Send-Q Local-Address:Port Peer-Address:Port ...
        .filter_map(|line| line.split_whitespace().nth(3))
        .any(|local| wanted.iter().any(|w| w == local))
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_removed() {
        assert_eq!(
            strip_ansi("\u{1b}[2mts\u{1b}[0m \u{1b}[32mINFO\u{1b}[0m hi"),
            "ts INFO hi"
        );
    }

    #[test]
    fn bound_sockets_are_found_in_ss_output() {
        let table = "UNCONN 0 0 10.91.1.1:5060 0.0.0.0:*\nUNCONN 0 0 0.0.0.0:7000 0.0.0.0:*\n";
        let at = |s: &str| Listener {
            scheme: "udp".into(),
            addr: s.parse().expect("test address"),
        };
        assert!(is_bound(table, &at("10.91.1.1:5060")));
        assert!(
            is_bound(table, &at("10.91.2.1:7000")),
            "wildcard bind counts"
        );
        assert!(!is_bound(table, &at("10.91.2.1:5060")));
    }
}
