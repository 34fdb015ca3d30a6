//! A real softphone in a lab namespace: Debian's baresip, registering (through the SBC)
//! and answering calls by itself, talking a tone in PCMU/PCMA from a WAV file (440 Hz unless
//! asked otherwise) and playing what it hears into a bridge (no sound card). Like the
//! phones in the field it writes its identity into SDP (`a=ssrc:<id> cname:sip:user@its-address:port`,
//! `a=tool:baresip ...`) and into RTCP (SDES CNAME).
//!
//! [`PhoneSpec`] turns on what the SRTP tests need: SIP over TLS (the lab CA trusted),
//! SRTP (`mediaenc=srtp-mand`: its own SRTP, libre's, not the SBC's), the SIP trace (every
//! message it sent and received, decrypted, in its log) and a WAV dump of the audio it
//! decoded (the `sndfile` module), to check what it heard.
//!
//! Commands (`/hangup`, `/dial URI`) reach it over its UDP console (`cons` module) on the
//! namespace's loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::child::{LabChild, tail};
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// The console port on the phone namespace's loopback.
const CONSOLE: &str = "127.0.0.1:5555";
/// Seconds of tone in the WAV file (it plays once per call, then silence is sent).
const TONE_SECONDS: usize = 30;

/// A running baresip.
#[derive(Debug)]
pub struct Phone {
    child: LabChild,
    ns: Ns,
    /// Where its SIP listens.
    pub sip: SocketAddr,
    dir: PathBuf,
}

/// How a phone is set up; [`PhoneSpec::new`] is a plain UDP phone like [`Lab::start_phone`].
#[derive(Debug, Clone)]
pub struct PhoneSpec {
    /// Where its SIP listens (UDP and TCP; TLS on the next port when `tls_ca` is set).
    pub sip: SocketAddr,
    /// Its account: `sip:<user>@<registrar>` plus the parameters below.
    pub user: String,
    pub registrar: SocketAddr,
    /// Register (every 600 s); otherwise the account only places and answers calls.
    pub register: bool,
    /// The account's transport towards the registrar (`udp`, `tcp`, `tls`).
    pub transport: &'static str,
    /// The CA certificate it verifies TLS servers with.
    pub tls_ca: Option<PathBuf>,
    /// `mediaenc=` of the account (`srtp-mand`, `srtp`, ...).
    pub mediaenc: Option<&'static str>,
    /// The tone it talks, Hz.
    pub tone_hz: f64,
    /// `-s`: every SIP message in its log.
    pub sip_trace: bool,
    /// Dump the audio it decodes (and encodes) as WAV files in [`Phone::dumps`].
    pub dump_audio: bool,
    /// `audio_codecs=` of the account (`opus/48000/2`): the only codecs it offers and
    /// accepts; when it names Opus the opus module is loaded and the tone comes from
    /// baresip's sine generator (`ausine`) instead of the 8 kHz WAV file. `None`: G.711.
    pub audio_codecs: Option<&'static str>,
}

impl PhoneSpec {
    /// A phone at `sip`, account `user` at `registrar` over UDP, registering, 440 Hz.
    pub fn new(sip: SocketAddr, user: &str, registrar: SocketAddr) -> Self {
        PhoneSpec {
            sip,
            user: user.to_owned(),
            registrar,
            register: true,
            transport: "udp",
            tls_ca: None,
            mediaenc: None,
            tone_hz: 440.0,
            sip_trace: false,
            dump_audio: false,
            audio_codecs: None,
        }
    }
}

impl Lab {
    /// Starts baresip in `ns`, its SIP on `sip`, registering `user` at `registrar` (the
    /// SBC), answering every call.
    pub fn start_phone(
        &self,
        ns: Ns,
        sip: SocketAddr,
        user: &str,
        registrar: SocketAddr,
    ) -> Result<Phone> {
        self.start_phone_with(ns, &PhoneSpec::new(sip, user, registrar))
    }

    /// Starts baresip in `ns` as `spec` says, answering every call.
    pub fn start_phone_with(&self, ns: Ns, spec: &PhoneSpec) -> Result<Phone> {
        let baresip = cmd::require_tool(
            "baresip",
            "apt-get install baresip-core (or run scripts/setup)",
        )?;
        let dir = self.artifacts().unique_path("baresip", "");
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let tone = dir.join("tone.wav");
        self.artifacts()
            .write(&tone, crate::tone::wav(spec.tone_hz, TONE_SECONDS))?;
        // A WAV file at 8 kHz for G.711; Opus runs at 48 kHz, which baresip's aufile does
        // not resample to: its sine generator makes the tone at whatever rate is asked.
        let opus = spec
            .audio_codecs
            .is_some_and(|c| c.to_ascii_lowercase().contains("opus"));
        let source = if opus {
            format!("ausine,{}", spec.tone_hz.round())
        } else {
            format!("aufile,{}", tone.display())
        };
        let mut config = format!(
            "sip_listen\t\t{sip}\n\
             audio_player\t\taubridge,nowhere\n\
             audio_alert\t\taubridge,nowhere\n\
             audio_source\t\t{source}\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\tg711.so\n\
             module\t\t\taufile.so\n\
             module\t\t\taubridge.so\n\
             module\t\t\tcons.so\n\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             cons_listen\t\t{CONSOLE}\n",
            sip = spec.sip,
            source = source,
        );
        if let Some(ca) = &spec.tls_ca {
            config.push_str(&format!("sip_cafile\t\t{}\n", ca.display()));
        }
        if spec.mediaenc.is_some() {
            config.push_str("module\t\t\tsrtp.so\n");
        }
        if opus {
            config.push_str("module\t\t\topus.so\nmodule\t\t\tausine.so\n");
        }
        if spec.dump_audio {
            let dumps = dir.join("dumps");
            std::fs::create_dir_all(&dumps)
                .map_err(|e| LabError::io(format!("create {}", dumps.display()), e))?;
            config.push_str(&format!(
                "module\t\t\tsndfile.so\nsnd_path\t\t{}\n",
                dumps.display()
            ));
        }
        self.artifacts().write(&dir.join("config"), config)?;
        let mut account = format!(
            "<sip:{user}@{registrar};transport={transport}>;answermode=auto",
            user = spec.user,
            registrar = spec.registrar,
            transport = spec.transport,
        );
        account.push_str(if spec.register {
            ";regint=600"
        } else {
            ";regint=0"
        });
        if let Some(enc) = spec.mediaenc {
            account.push_str(&format!(";mediaenc={enc}"));
        }
        if let Some(codecs) = spec.audio_codecs {
            account.push_str(&format!(";audio_codecs={codecs}"));
        }
        account.push('\n');
        self.artifacts().write(&dir.join("accounts"), account)?;
        let mut command = self.command(ns, &[baresip.as_os_str()]);
        command.arg("-f").arg(&dir);
        if spec.sip_trace {
            command.arg("-s");
        }
        let child = self.spawn_command(command, "baresip")?;
        Ok(Phone {
            child,
            ns,
            sip: spec.sip,
            dir,
        })
    }
}

impl Phone {
    /// Everything it printed.
    pub fn log(&self) -> String {
        format!("{}{}", self.child.stdout(), self.child.stderr())
    }

    /// Waits until its registration was answered 200.
    pub fn wait_registered(&mut self, timeout: Duration) -> Result<()> {
        self.wait_for("200 OK", timeout)
    }

    /// Waits until its log contains `needle` `count` times.
    pub fn wait_for_count(&mut self, needle: &str, count: usize, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while self.log().matches(needle).count() < count {
            if !self.child.is_running() || Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: format!("baresip to print {needle:?} {count} times"),
                    waited: timeout,
                    detail: tail(&self.log(), 40),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn wait_for(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        self.wait_for_count(needle, 1, timeout)
    }

    /// Sends a console command (`/hangup`).
    pub fn command(&self, lab: &Lab, line: &str) -> Result<()> {
        let script = format!(
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
             s.sendto(b'\\n{line}\\n', ('{host}', {port}))",
            host = "127.0.0.1",
            port = CONSOLE.rsplit(':').next().unwrap_or("5555"),
        );
        lab.exec_ok(self.ns, &["python3", "-c", &script]).map(drop)
    }

    /// Its configuration directory (config, accounts, tone).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The WAV files of the audio it decoded (`*-dec.wav`) and encoded (`*-enc.wav`) with
    /// [`PhoneSpec::dump_audio`]; baresip closes them when the call ends.
    pub fn dumps(&self, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("dumps"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.to_string_lossy().ends_with(suffix))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}
