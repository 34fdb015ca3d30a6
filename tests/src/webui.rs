//! The web UI's browser test: `node tests/webui/e2e.mjs <phase>` (playwright-core driving
//! Debian's chromium) run inside the sbc namespace, where the daemon's management listener is.
//!
//! [`BrowserTest::new`] checks the prerequisites first and fails with a message naming the
//! missing piece and the script that installs it (scripts/setup installs the `chromium` package
//! and runs `npm ci` in tests/webui). [`BrowserTest::run`] runs one phase of the script with the
//! URL, setup-token file, password and screenshot directory in its environment and returns its
//! output; a non-zero exit is an error carrying the script's log.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// The browser used: Debian's package `chromium`.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one phase of the script may take (browser start included).
pub const PHASE_TIMEOUT: Duration = Duration::from_secs(120);
/// Where the prerequisites come from.
const INSTALL_HINT: &str = "run scripts/setup as root (installs the Debian packages nodejs, npm \
                            and chromium, and runs `npm ci` in tests/webui)";

/// `tests/webui/`: package.json, package-lock.json, e2e.mjs, node_modules/.
pub fn webui_test_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("webui")
}

/// What a finished phase printed.
#[derive(Debug, Clone)]
pub struct PhaseOutput {
    /// The script's exit status.
    pub status: ExitStatus,
    /// Its step log.
    pub stdout: String,
    /// Its errors (the failure reason).
    pub stderr: String,
}

/// The browser test of one lab, with its environment.
#[derive(Debug)]
pub struct BrowserTest<'lab> {
    lab: &'lab Lab,
    node: PathBuf,
    env: Vec<(String, String)>,
    screenshots: PathBuf,
}

impl<'lab> BrowserTest<'lab> {
    /// Checks that node, chromium and tests/webui/node_modules/playwright-core exist, and
    /// prepares runs whose screenshots go to `<lab dir>/screenshots/`.
    pub fn new(lab: &'lab Lab) -> Result<Self> {
        let node = cmd::require_tool("node", INSTALL_HINT)?;
        if !Path::new(CHROMIUM).is_file() {
            return Err(LabError::MissingTool {
                tool: CHROMIUM.to_owned(),
                hint: INSTALL_HINT.to_owned(),
            });
        }
        let playwright = webui_test_dir().join("node_modules/playwright-core/package.json");
        if !playwright.is_file() {
            return Err(LabError::MissingTool {
                tool: format!("playwright-core (no {})", playwright.display()),
                hint: INSTALL_HINT.to_owned(),
            });
        }
        settle_addresses(lab)?;
        let screenshots = lab.dir().join("screenshots");
        std::fs::create_dir_all(&screenshots)
            .map_err(|e| LabError::io(format!("create {}", screenshots.display()), e))?;
        Ok(Self {
            lab,
            node,
            env: vec![("CHROMIUM".to_owned(), CHROMIUM.to_owned())],
            screenshots,
        })
    }

    /// Sets an environment variable of every run (SBC_URL, SBC_PASSWORD, TRUNK_PEER ...).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    /// The screenshot directory (in the lab directory, so kept with the artifacts).
    pub fn screenshots(&self) -> &Path {
        &self.screenshots
    }

    /// Runs `node e2e.mjs <phase>` in the sbc namespace to completion.
    pub fn run(&self, phase: &str) -> Result<PhaseOutput> {
        let mut child = self.spawn(phase)?;
        let status = child.wait_timeout(PHASE_TIMEOUT)?;
        let out = PhaseOutput {
            status,
            stdout: child.stdout(),
            stderr: child.stderr(),
        };
        if out.status.success() {
            Ok(out)
        } else {
            Err(LabError::Command {
                command: format!("node tests/webui/e2e.mjs {phase}"),
                status: out.status.to_string(),
                stderr: format!(
                    "{}\n--- its log:\n{}\n(screenshots in {})",
                    out.stderr.trim_end(),
                    out.stdout.trim_end(),
                    self.screenshots.display()
                ),
            })
        }
    }

    /// Starts `node e2e.mjs <phase>` in the sbc namespace in the background; pair with
    /// [`crate::LabChild::wait_timeout`] (or use [`BrowserTest::run`]).
    pub fn spawn(&self, phase: &str) -> Result<crate::LabChild> {
        let dir = webui_test_dir();
        let script = dir.join("e2e.mjs");
        let mut command = self.lab.command(Ns::Sbc, &[self.node.as_os_str()]);
        command
            .arg(&script)
            .arg(phase)
            .current_dir(&dir)
            .env("SCREENSHOT_DIR", &self.screenshots)
            .env("NO_COLOR", "1");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        self.lab.spawn_command(command, &format!("e2e-{phase}"))
    }
}

/// Waits until no IPv6 address of the sbc namespace is still tentative (duplicate address
/// detection runs for about a second after the lab's links come up). Chromium treats the
/// address change at the end of DAD as a network change and aborts the page's requests
/// with `ERR_NETWORK_CHANGED`, so the browser must start after it.
fn settle_addresses(lab: &Lab) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let tentative = lab.exec_ok(Ns::Sbc, &["ip", "-6", "addr", "show", "tentative"])?;
        if tentative.trim().is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(LabError::Command {
                command: "ip -6 addr show tentative".to_owned(),
                status: "addresses still tentative after 10 s".to_owned(),
                stderr: tentative,
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
