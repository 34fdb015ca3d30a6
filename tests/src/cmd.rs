//! Running host commands: checked execution, tool lookup, privilege check.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::error::{LabError, Result};

/// The command line of `cmd`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` to completion and returns its output, whatever its exit status.
pub fn output(cmd: &mut Command) -> Result<Output> {
    cmd.output()
        .map_err(|e| LabError::io(format!("cannot run `{}`", describe(cmd)), e))
}

/// Runs `cmd` to completion; an unsuccessful exit is an error. Returns its stdout.
pub fn run_ok(cmd: &mut Command) -> Result<String> {
    let out = output(cmd)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(LabError::Command {
            command: describe(cmd),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// Convenience: a [`Command`] for `program` with `args`.
pub fn command<P, S>(program: P, args: &[S]) -> Command
where
    P: AsRef<OsStr>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}

/// Where `tool` is on `PATH`, like `command -v`.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Fails with an install hint when `tool` is not on `PATH`.
pub fn require_tool(tool: &str, hint: &str) -> Result<PathBuf> {
    which(tool).ok_or_else(|| LabError::MissingTool {
        tool: tool.to_owned(),
        hint: hint.to_owned(),
    })
}

/// True when this process runs with effective uid 0 (read from `/proc/self/status`, so no libc).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                // Fields: real, effective, saved, filesystem.
                .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// The Python interpreter for the helper tools: Debian's, else whatever `python3` is on `PATH`.
pub fn python() -> Result<PathBuf> {
    let system = PathBuf::from("/usr/bin/python3");
    if system.is_file() {
        return Ok(system);
    }
    require_tool("python3", "apt-get install python3 (or run scripts/setup)")
}
