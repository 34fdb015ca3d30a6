//! A client of the SBC's management API for lab tests: curl in the sbc namespace (where
//! `[management] listen` is, on loopback), a cookie jar in the lab's directory, the
//! first-start setup with the token from `state_dir/setup-token`, then a logged-in session.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::MGMT_LISTEN;
use crate::{Lab, LabError, Ns, Result, SbcProcess};

/// The admin password the client sets.
pub const PASSWORD: &str = "lab-admin-password-42";

/// How long the daemon may take to serve management and write its token.
const READY: Duration = Duration::from_secs(20);

/// A logged-in management session.
#[derive(Debug)]
pub struct Mgmt<'lab> {
    lab: &'lab Lab,
    jar: PathBuf,
    /// The session's CSRF token (from the login), sent with every request but a GET.
    csrf: String,
}

impl<'lab> Mgmt<'lab> {
    /// Waits for management, sets the admin password with the setup token and logs in.
    pub fn login(lab: &'lab Lab, sbc: &SbcProcess) -> Result<Self> {
        sbc.wait_for_log(0, "management on https://", READY)?;
        let token_file = sbc
            .config_path()
            .parent()
            .map(|d| d.join("state/setup-token"))
            .ok_or_else(|| LabError::BadOutput {
                tool: "sbc".into(),
                output: "config path without a directory".into(),
            })?;
        let deadline = Instant::now() + READY;
        let token = loop {
            match std::fs::read_to_string(&token_file) {
                Ok(t) if !t.trim().is_empty() => break t.trim().to_owned(),
                _ if Instant::now() > deadline => {
                    return Err(LabError::Timeout {
                        what: format!("{}", token_file.display()),
                        waited: READY,
                        detail: sbc.log_tail(),
                    });
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        let mut client = Mgmt {
            lab,
            jar: lab.artifacts().unique_path("cookies", ".txt"),
            csrf: String::new(),
        };
        let setup = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
        client.expect("POST", "/api/setup", Some(&setup), 204)?;
        let login = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
        let session = client.expect("POST", "/api/login", Some(&login), 200)?;
        client.csrf = session
            .split("\"csrf\":\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        Ok(client)
    }

    /// `(status, body)` of one request.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String)> {
        self.request_to(method, path, body, None)
    }

    /// A GET answered 200 whose body is saved to `file` (binary: a pcap).
    pub fn download(&self, path: &str, file: &std::path::Path) -> Result<()> {
        let (status, text) = self.request_to("GET", path, None, Some(file))?;
        if status == 200 {
            return Ok(());
        }
        Err(LabError::BadOutput {
            tool: format!("GET {path} (wanted 200)"),
            output: format!("{status}: {text}"),
        })
    }

    fn request_to(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        out: Option<&std::path::Path>,
    ) -> Result<(u16, String)> {
        let jar = self.jar.display().to_string();
        let mut argv: Vec<String> = [
            "curl",
            "-sk",
            "--max-time",
            "20",
            "-c",
            &jar,
            "-b",
            &jar,
            "-X",
            method,
            "-w",
            "\n%{http_code}",
        ]
        .map(str::to_owned)
        .to_vec();
        if let Some(b) = body {
            argv.extend(
                ["-H", "content-type: application/json", "--data-binary", b].map(str::to_owned),
            );
        }
        if method != "GET" && !self.csrf.is_empty() {
            argv.extend(["-H".to_owned(), format!("x-csrf-token: {}", self.csrf)]);
        }
        if let Some(file) = out {
            argv.extend(["-o".to_owned(), file.display().to_string()]);
        }
        argv.push(format!("https://{MGMT_LISTEN}{path}"));
        let out = self.lab.exec_ok(Ns::Sbc, &argv)?;
        let (text, status) = out.rsplit_once('\n').unwrap_or(("", out.as_str()));
        let status = status.trim().parse().map_err(|_| LabError::BadOutput {
            tool: "curl".into(),
            output: out.clone(),
        })?;
        Ok((status, text.to_owned()))
    }

    /// The body of a GET answered 200.
    pub fn get(&self, path: &str) -> Result<String> {
        self.expect("GET", path, None, 200)
    }

    fn expect(&self, method: &str, path: &str, body: Option<&str>, want: u16) -> Result<String> {
        let (status, text) = self.request(method, path, body)?;
        if status == want {
            Ok(text)
        } else {
            Err(LabError::BadOutput {
                tool: format!("{method} {path} (wanted {want})"),
                output: format!("{status}: {text}"),
            })
        }
    }
}
