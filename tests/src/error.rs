//! The one error type of the lab harness.
//!
//! Every variant carries enough context to diagnose a failed test from its message alone
//! (the command that ran, its stderr, the tail of a daemon log). `Debug` prints the same text
//! as `Display`, so `result.expect("why")` in a test shows a readable message.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Result of a lab operation.
pub type Result<T, E = LabError> = std::result::Result<T, E>;

/// Why a lab operation failed.
pub enum LabError {
    /// The lab needs root (network namespaces, veth pairs).
    NotRoot,
    /// A program the lab runs is not installed.
    MissingTool {
        /// The program looked up on `PATH`.
        tool: String,
        /// How to install it.
        hint: String,
    },
    /// The `sbc` binary under test does not exist.
    MissingBinary {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A filesystem or process operation failed.
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A command exited unsuccessfully.
    Command {
        /// The command line.
        command: String,
        /// Its exit status, as printed by std.
        status: String,
        /// Its standard error output.
        stderr: String,
    },
    /// Something did not happen within its deadline.
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        waited: Duration,
        /// Diagnostics: exit status, log tail, ...
        detail: String,
    },
    /// A helper tool printed something the harness does not understand.
    BadOutput {
        /// Which tool.
        tool: String,
        /// The offending output.
        output: String,
    },
}

impl LabError {
    /// Wraps an I/O error with a description of what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRoot => write!(
                f,
                "the network-namespace lab needs root (ip netns, veth); \
                 run the tests as root, e.g. `sudo -E cargo test -p sbc-lab`"
            ),
            Self::MissingTool { tool, hint } => write!(f, "`{tool}` is not installed: {hint}"),
            Self::MissingBinary { path } => write!(
                f,
                "sbc binary not found at {}: build it first: cargo build --release \
                 (or point SBC_BIN at it)",
                path.display()
            ),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::Command {
                command,
                status,
                stderr,
            } => write!(f, "`{command}` failed ({status}): {}", stderr.trim_end()),
            Self::Timeout {
                what,
                waited,
                detail,
            } => write!(f, "timed out after {waited:?} waiting for {what}\n{detail}"),
            Self::BadOutput { tool, output } => {
                write!(f, "unexpected output from {tool}: {output:?}")
            }
        }
    }
}

impl fmt::Debug for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LabError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
