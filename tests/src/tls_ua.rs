//! `tools/tls_ua.py`, the lab's scripted SIP user agent over TLS (Debian's sipp has no
//! TLS): started in a namespace, and what it printed read back (`recv` messages, `note`
//! events, the `result` line).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Lab, LabChild, Ns};

/// What a run of the TLS UA printed.
#[derive(Debug)]
pub struct UaOutcome {
    /// `result ...` line: "ok" or `"fail <why>"`.
    pub result: String,
    /// Every SIP message received, as text.
    pub received: Vec<String>,
    /// `note ...` lines.
    pub notes: Vec<String>,
    pub stderr: String,
}

impl UaOutcome {
    pub fn ok(&self) -> bool {
        self.result == "ok"
    }

    pub fn report(&self) -> String {
        format!(
            "tls_ua result {:?}\n--- notes:\n{}\n--- received:\n{}\n--- stderr:\n{}",
            self.result,
            self.notes.join("\n"),
            self.received.join("\n----\n"),
            self.stderr.trim_end()
        )
    }

    /// The first received message whose start line begins with `start`.
    pub fn message(&self, start: &str) -> Option<&str> {
        self.received
            .iter()
            .find(|m| m.starts_with(start))
            .map(String::as_str)
    }
}

/// The value of header `name` in a message's header section.
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// `tools/tls_ua.py`.
pub fn ua_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/tls_ua.py")
}

/// Starts `tls_ua.py <args>` in `ns`.
pub fn spawn_ua(lab: &Lab, ns: Ns, args: &[String]) -> LabChild {
    let mut argv = vec!["python3".to_owned(), ua_script().display().to_string()];
    argv.extend(args.iter().cloned());
    lab.spawn(ns, &argv).expect("start tls_ua.py")
}

/// Waits for the UA to exit and reads what it printed.
pub fn finish_ua(mut child: LabChild, budget: Duration) -> UaOutcome {
    // The UA ends itself at --wait; the budget only guards against a hang.
    let _ = child.wait_timeout(budget);
    child.kill();
    let stdout = child.stdout();
    let mut outcome = UaOutcome {
        result: "none (no result line)".into(),
        received: Vec::new(),
        notes: Vec::new(),
        stderr: child.stderr(),
    };
    for line in stdout.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "recv" => outcome.received.push(unhex(rest)),
            "note" => outcome.notes.push(rest.to_owned()),
            "result" => outcome.result = rest.to_owned(),
            _ => {}
        }
    }
    outcome
}

fn unhex(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits until a serving UA listens (its "note listening" line).
pub fn wait_listening(child: &LabChild) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !child.stdout().contains("note listening") {
        assert!(
            Instant::now() < deadline,
            "tls_ua.py serve did not listen:\n{}",
            child.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
