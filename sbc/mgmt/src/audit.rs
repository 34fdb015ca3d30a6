//! The audit log: one JSON object per line in `state_dir/audit.log` for every change
//! (who, when, what, and the diff of the config file). Secrets (`password = ...`) are
//! masked in diffs. The file is mode 0600 and rotated once at [`ROTATE_AT`].

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

pub const FILE: &str = "audit.log";
/// Size beyond which the log is renamed to `audit.log.1` (replacing an older one) and a
/// new one is started.
pub const ROTATE_AT: u64 = 10 * 1024 * 1024;
/// Entries returned by [`Audit::recent`] at most.
pub const RECENT: usize = 200;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub at: String,
    pub user: String,
    /// `"trunk.create carrier"`, `"config.rollback 4"`, `"login"`...
    pub action: String,
    /// Unified-style line diff of the config file (`-`/`+` lines), empty when the config
    /// did not change.
    pub diff: String,
}

/// Appends entries to the log file.
#[derive(Debug)]
pub struct Audit {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Audit {
    pub fn new(path: PathBuf) -> Audit {
        Audit {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Appends one entry (and logs it); a write failure is logged, never fatal.
    pub fn record(&self, user: &str, action: &str, diff: String) {
        let entry = Entry {
            at: crate::clock::rfc3339(crate::clock::unix_now()),
            user: user.to_owned(),
            action: action.to_owned(),
            diff,
        };
        tracing::info!(user, action, "management change");
        let Ok(mut line) = serde_json::to_string(&entry) else {
            return;
        };
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() >= ROTATE_AT) {
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let _ = std::fs::rename(&self.path, old);
        }
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = result {
            tracing::error!("audit log {}: {e}", self.path.display());
        }
    }

    /// The newest [`RECENT`] entries, newest first.
    pub fn recent(&self) -> Vec<Entry> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut out: Vec<Entry> = text
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str(l).ok())
            .take(RECENT)
            .collect();
        out.truncate(RECENT);
        out
    }
}

/// Lines of `old` and `new` that differ, `-` removed and `+` added, in file order
/// (longest common subsequence; files beyond a few thousand lines are compared as a
/// whole replacement). Values of `password` keys are masked.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = String::new();
    let mut push = |sign: char, line: &str| {
        out.push(sign);
        out.push_str(&mask(line));
        out.push('\n');
    };
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        a.iter().for_each(|l| push('-', l));
        b.iter().for_each(|l| push('+', l));
        return out;
    }
    // lcs[i][j]: common subsequence length of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            push('-', a[i]);
            i += 1;
        } else {
            push('+', b[j]);
            j += 1;
        }
    }
    out
}

fn mask(line: &str) -> String {
    // The first `password` key (bare, dotted or in an inline table, with or without
    // spaces around `=`): everything after its `=` is hidden.
    let mut from = 0;
    while let Some(at) = line[from..].find("password").map(|i| i + from) {
        let rest = line[at + "password".len()..].trim_start();
        if rest.starts_with('=') {
            let trimmed = line.trim_start();
            if trimmed.len() == line.len() - at {
                let indent = &line[..at];
                return format!("{indent}password = (hidden)");
            }
            return format!("{}password = (hidden) ...", &line[..at]);
        }
        from = at + "password".len();
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_and_masks_passwords() {
        let d = diff(
            "a = 1\nb = 2\npassword = \"x\"\nc = 3\n",
            "a = 1\nb = 5\npassword = \"y\"\nc = 3\n",
        );
        assert_eq!(
            d,
            "-b = 2\n-password = (hidden)\n+b = 5\n+password = (hidden)\n"
        );
        assert_eq!(diff("x\n", "x\n"), "");
    }

    #[test]
    fn passwords_are_masked_however_they_are_written() {
        for line in [
            "password=\"secret\"",
            "  password   =\"secret\"",
            "register = {user=\"u\",password=\"secret\"}",
            "register.password = \"secret\"",
            "register = { user = \"u\", password = \"secret\", expires = 60 }",
        ] {
            let masked = mask(line);
            assert!(!masked.contains("secret"), "{line} -> {masked}");
            assert!(masked.contains("password = (hidden)"), "{line} -> {masked}");
        }
        assert_eq!(mask("user = \"password\""), "user = \"password\"");
        assert_eq!(mask("  password = \"x\""), "  password = (hidden)");
    }
}
