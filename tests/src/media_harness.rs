//! Drives `sbc-media-harness` (the daemon's media workers, ops on stdin, one line per event
//! on stdout, logs on stderr) in the sbc namespace, and builds the RTP the tests send it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::netio::Datagram;
use crate::{Lab, Ns};

/// How long [`MediaHarness::wait_line`] waits.
const WAIT: Duration = Duration::from_secs(5);

/// The harness process: ops in, event and log lines out; killed on drop.
#[derive(Debug)]
pub struct MediaHarness {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl MediaHarness {
    /// Starts `sbc-media-harness <args>` in the sbc namespace and waits for `ready`.
    pub fn start(lab: &Lab, args: &[&str]) -> MediaHarness {
        let bin = crate::sbc::harness_binary().expect("sbc-media-harness (cargo build --release)");
        let mut argv = vec![bin.as_os_str()];
        argv.extend(args.iter().map(OsStr::new));
        let mut cmd = lab.command(Ns::Sbc, &argv);
        cmd.env("RUST_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start sbc-media-harness");
        let stdin = child.stdin.take();
        let lines = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().expect("stdout"), lines.clone());
        collect(child.stderr.take().expect("stderr"), lines.clone());
        let h = MediaHarness {
            child,
            stdin,
            lines,
        };
        h.wait_line("ready");
        h
    }

    /// Writes one op line (`open ...`, `remote ...`, `answered ...`, `stats ...`, `close ...`).
    pub fn send(&mut self, op: &str) {
        let stdin = self.stdin.as_mut().expect("harness running");
        writeln!(stdin, "{op}").expect("write op");
        stdin.flush().expect("flush");
    }

    /// The first output line containing `needle` (within 5 s); panics with the output.
    pub fn wait_line(&self, needle: &str) -> String {
        let end = Instant::now() + WAIT;
        while Instant::now() < end {
            if let Some(l) = self
                .lines
                .lock()
                .expect("lines")
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no {needle:?} from the harness; output:\n{:#?}",
            self.lines.lock()
        );
    }

    /// Ends stdin (the harness stops its relay) and waits for the exit.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let end = Instant::now() + WAIT;
        while Instant::now() < end {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the harness did not exit after end of input");
    }
}

impl Drop for MediaHarness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(r: impl Read + Send + 'static, sink: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
}

/// A 172-byte PCMA RTP packet (20 ms) of `ssrc` with sequence number `seq`.
pub fn rtp_packet(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; 172];
    p[0] = 0x80;
    p[1] = 8;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p
}

/// The SSRC of a received RTP datagram.
pub fn ssrc_of(d: &Datagram) -> Option<u32> {
    let b = d.bytes.get(8..12)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
