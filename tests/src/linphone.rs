//! A second, independent softphone: Debian's linphone-cli (`linphonec`: liblinphone and
//! mediastreamer2, SRTP from libsrtp2), answering every call by itself (`-a`). With no
//! sound card it streams from and to files (`soundcard use files`): it talks a tone from
//! a WAV file and records what it decoded into another, so a test can tell what it heard.
//!
//! linphonec reads its commands from standard input; here that is a FIFO the lab keeps
//! open for the phone's lifetime (closing it ends linphonec). It gets a HOME of its own
//! (liblinphone does not start its SIP stack without a database it can open) and network
//! state monitoring off (a lab namespace has no default route).

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::child::{LabChild, tail};
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// How a linphonec is set up.
#[derive(Debug, Clone)]
pub struct LinphoneSpec {
    /// Its SIP port (UDP, all addresses of its namespace).
    pub sip_port: u16,
    /// Its RTP port (RTCP on the next one).
    pub rtp_port: u16,
    /// The tone it talks, Hz.
    pub tone_hz: f64,
    /// `media_encryption=srtp`, mandatory (calls without SRTP refused).
    pub srtp: bool,
}

/// A running linphonec.
#[derive(Debug)]
pub struct Linphone {
    child: LabChild,
    /// Its standard input.
    commands: File,
    log: PathBuf,
    /// Where it records what it heard.
    pub recording: PathBuf,
}

impl Lab {
    /// Starts linphonec in `ns` as `spec` says.
    pub fn start_linphone(&self, ns: Ns, spec: &LinphoneSpec) -> Result<Linphone> {
        let linphonec = cmd::require_tool(
            "linphonec",
            "apt-get install linphone-cli (or run scripts/setup)",
        )?;
        let dir = self.artifacts().unique_path("linphone", "");
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let tone = dir.join("tone.wav");
        self.artifacts()
            .write(&tone, crate::tone::wav(spec.tone_hz, 30))?;
        let recording = dir.join("heard.wav");
        let log = dir.join("linphone.log");
        let encryption = if spec.srtp {
            "media_encryption=srtp\nmedia_encryption_mandatory=1\n"
        } else {
            "media_encryption=none\n"
        };
        self.artifacts().write(
            &dir.join("linphonerc"),
            format!(
                "[sip]\nauto_net_state_mon=0\nsip_port={sip}\nsip_tcp_port=-1\nsip_tls_port=-1\n{encryption}\
                 [rtp]\naudio_rtp_port={rtp}\n[sound]\necho_cancellation=0\n",
                sip = spec.sip_port,
                rtp = spec.rtp_port,
            ),
        )?;
        let fifo = dir.join("stdin");
        self.exec_ok(Ns::Sbc, &["mkfifo", &fifo.display().to_string()])?;
        // Its own HOME: liblinphone does not start its SIP stack without a database it can
        // open (~/.local/share/linphone/linphone.db).
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".local/share/linphone"))
            .map_err(|e| LabError::io(format!("create {}", home.display()), e))?;
        let script = format!(
            "export HOME={home}; exec {linphonec} -c {rc} -a -d 6 -l {log} < {fifo}",
            home = home.display(),
            linphonec = linphonec.display(),
            rc = dir.join("linphonerc").display(),
            log = log.display(),
            fifo = fifo.display(),
        );
        let child = self.spawn_command(self.command(ns, &["bash", "-c", &script]), "linphonec")?;
        let mut child = child;
        let commands = open_writer(&fifo, &mut child)?;
        let mut phone = Linphone {
            child,
            commands,
            log,
            recording,
        };
        phone.send("soundcard use files")?;
        phone.send(&format!("play {}", tone.display()))?;
        let recording = phone.recording.display().to_string();
        phone.send(&format!("record {recording}"))?;
        Ok(phone)
    }
}

impl Linphone {
    /// Sends one command line.
    pub fn send(&mut self, line: &str) -> Result<()> {
        writeln!(self.commands, "{line}")
            .and_then(|()| self.commands.flush())
            .map_err(|e| LabError::io(format!("linphonec command {line:?}"), e))
    }

    /// Everything it printed and logged.
    pub fn log(&self) -> String {
        format!(
            "{}{}\n--- linphone.log:\n{}",
            self.child.stdout(),
            self.child.stderr(),
            crate::child::read_lossy(&self.log)
        )
    }

    /// Waits until its output or log contains `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.log().contains(needle) {
            if !self.child.is_running() || Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: format!("linphonec to print {needle:?}"),
                    waited: timeout,
                    detail: tail(&self.log(), 40),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Ends linphonec (`quit`), so that its recording is complete.
    pub fn quit(&mut self, timeout: Duration) -> Result<()> {
        let _ = self.send("quit");
        let deadline = Instant::now() + timeout;
        while self.child.is_running() {
            if Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: "linphonec to quit".to_owned(),
                    waited: timeout,
                    detail: tail(&self.log(), 20),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// Opens the FIFO for writing once linphonec's shell opened it for reading (without
/// blocking: if linphonec never starts, this fails instead of hanging the test).
fn open_writer(fifo: &std::path::Path, child: &mut LabChild) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match File::options()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
        {
            Ok(f) => return Ok(f),
            // ENXIO: no reader yet.
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
            Err(e) => return Err(LabError::io(format!("open {}", fifo.display()), e)),
        }
        if !child.is_running() || Instant::now() > deadline {
            return Err(LabError::Timeout {
                what: "linphonec to read its commands".to_owned(),
                waited: Duration::from_secs(10),
                detail: tail(&format!("{}{}", child.stdout(), child.stderr()), 20),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
