//! A process the lab started; killed and reaped when dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd;
use crate::error::{LabError, Result};

/// How often waits poll a child.
const POLL: Duration = Duration::from_millis(20);

/// A running child process whose stdout and stderr go to files.
///
/// `ip netns exec` execs its command, so [`LabChild::pid`] is the pid of the program itself and
/// signals reach it directly.
#[derive(Debug)]
pub struct LabChild {
    child: Child,
    label: String,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    exit: Option<ExitStatus>,
}

impl LabChild {
    /// Spawns `cmd` with stdin closed and output redirected to `<stem>.out` / `<stem>.err`.
    pub fn spawn(mut cmd: Command, stem: &Path) -> Result<Self> {
        let stdout_path = stem.with_extension("out");
        let stderr_path = stem.with_extension("err");
        let label = cmd::describe(&cmd);
        let open = |path: &Path| {
            fs::File::create(path)
                .map_err(|e| LabError::io(format!("create {}", path.display()), e))
        };
        cmd.stdin(Stdio::null())
            .stdout(open(&stdout_path)?)
            .stderr(open(&stderr_path)?);
        let child = cmd
            .spawn()
            .map_err(|e| LabError::io(format!("cannot start `{label}`"), e))?;
        Ok(Self {
            child,
            label,
            stdout_path,
            stderr_path,
            exit: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The command line, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The exit status, if it has exited (reaps it).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            // An error here means the child cannot be waited for: treat as still running.
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.try_exit().is_none()
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(LabError::Timeout {
                    what: format!("`{}` to exit", self.label),
                    waited: timeout,
                    detail: format!("stderr tail:\n{}", tail(&self.stderr(), 40)),
                });
            }
            thread::sleep(POLL);
        }
    }

    /// SIGKILLs the process (if still running) and reaps it.
    pub fn kill(&mut self) {
        if self.try_exit().is_none() {
            // Fails only if it already exited; wait() below reaps either way.
            let _ = self.child.kill();
            self.exit = self.child.wait().ok();
        }
    }

    /// Everything written to stdout so far.
    pub fn stdout(&self) -> String {
        read_lossy(&self.stdout_path)
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr_path)
    }

    /// The stdout file.
    pub fn stdout_path(&self) -> &Path {
        &self.stdout_path
    }

    /// The stderr file.
    pub fn stderr_path(&self) -> &Path {
        &self.stderr_path
    }
}

impl Drop for LabChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The file's content as text; empty when it cannot be read.
pub fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
