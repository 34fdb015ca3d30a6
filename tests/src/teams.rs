//! Microsoft Teams Direct Routing in the lab: `tools/tls_ua.py` plays Microsoft's SIP
//! proxy over TLS in the carrier namespace, and the SBC runs trunk "teams" on
//! `profile = "teams"` with only `peers` and `tls_ca` overridden (the lab cannot reach
//! Microsoft), routed both ways to the sipp PBX. The realm "outside" has `domain =
//! "sbc.lab.test"`, a name of the SBC's certificate.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::pki::{CertFiles, TestCa};
use crate::topology::{CARRIER_IP, SBC_OUTSIDE_IP, SIP_TLS_PORT};
use crate::{Lab, LabChild, Ns, SbcProcess, StandardConfig};

/// The SBC's FQDN on the Teams realm.
pub const FQDN: &str = "sbc.lab.test";

/// What a run of the TLS UA printed.
#[derive(Debug)]
pub struct UaOutcome {
    /// `result ...` line: "ok" or "fail" and why.
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

/// `tools/tls_ua.py`.
pub fn ua_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/tls_ua.py")
}

/// Starts `tls_ua.py <args>` in the carrier namespace.
pub fn spawn_ua(lab: &Lab, args: &[String]) -> LabChild {
    let mut argv = vec!["python3".to_owned(), ua_script().display().to_string()];
    argv.extend(args.iter().cloned());
    lab.spawn(Ns::Carrier, &argv).expect("start tls_ua.py")
}

/// Waits for the UA to exit (at its --wait; `budget` guards against a hang) and reads
/// what it printed.
pub fn finish_ua(mut child: LabChild, budget: Duration) -> UaOutcome {
    // The UA ends itself at --wait; the budget only guards against a hang.
    let _ = child.wait_timeout(budget);
    child.kill();
    let mut outcome = UaOutcome {
        result: "none (no result line)".into(),
        received: Vec::new(),
        notes: Vec::new(),
        stderr: child.stderr(),
    };
    for line in child.stdout().lines() {
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

/// The value of header `name` in a message's header section.
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The lab, its CA, and the Teams side's certificate.
#[derive(Debug)]
pub struct TeamsLab {
    pub lab: Lab,
    pub ca: TestCa,
    /// The certificate Microsoft's proxy (the carrier namespace) serves.
    pub teams_cert: CertFiles,
    pub sbc: SbcProcess,
}

impl TeamsLab {
    /// The SBC with trunk "teams" on the Teams profile (peers and tls_ca overridden)
    /// towards the carrier namespace, routed both ways to the PBX.
    pub fn start() -> TeamsLab {
        let lab = Lab::new().expect("create lab");
        let ca = TestCa::new(lab.dir(), "lab").expect("test CA");
        let sbc_cert = ca
            .server("sbc", &[FQDN, &SBC_OUTSIDE_IP.to_string()])
            .expect("SBC certificate");
        let teams_cert = ca
            .server("teams", &[&CARRIER_IP.to_string()])
            .expect("Teams proxy certificate");
        let trunk = format!(
            "\n[[trunk]]\nname = \"teams\"\nrealm = \"outside\"\nprofile = \"teams\"\n\
             peers = [\"tls:{CARRIER_IP}:{SIP_TLS_PORT}\"]\ntls_ca = \"{}\"\n\
             \n[[route]]\nfrom = \"teams\"\nto = \"pbx\"\n\
             \n[[route]]\nfrom = \"pbx\"\nto = \"teams\"\n",
            ca.ca_path().display()
        );
        let config = StandardConfig::default()
            .without_carrier_trunk()
            .outside_tls(&sbc_cert)
            .outside_tls_keys(&format!("domain = \"{FQDN}\"\n"))
            .extra(&trunk)
            .render();
        let sbc = lab
            .start_sbc(&config)
            .expect("start sbc on the Teams profile");
        TeamsLab {
            lab,
            ca,
            teams_cert,
            sbc,
        }
    }

    /// `tls_ua.py serve` as Microsoft's proxy on the trunk's peer address.
    pub fn serve(&self, extra: &[String]) -> LabChild {
        let mut args = vec![
            "serve".to_owned(),
            format!("--listen={CARRIER_IP}:{SIP_TLS_PORT}"),
            format!("--cert={}", self.teams_cert.cert.display()),
            format!("--key={}", self.teams_cert.key.display()),
        ];
        args.extend(extra.iter().cloned());
        let child = spawn_ua(&self.lab, &args);
        wait_listening(&child);
        child
    }

    /// Arguments of a `tls_ua.py` client mode towards the SBC's TLS listener by its FQDN.
    pub fn client(&self, mode: &str) -> Vec<String> {
        vec![
            mode.to_owned(),
            format!("--to={SBC_OUTSIDE_IP}:{SIP_TLS_PORT}"),
            format!("--bind={CARRIER_IP}"),
            format!("--ca={}", self.ca.ca_path().display()),
            format!("--server-name={FQDN}"),
        ]
    }

    pub fn assert_clean(&mut self) {
        assert!(self.sbc.is_running(), "sbc died:\n{}", self.sbc.log_tail());
        assert!(self.sbc.panics().is_empty(), "{:?}", self.sbc.panics());
    }
}
