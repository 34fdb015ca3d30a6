//! One call of the transcoding lab tests ([`Lab::echo_call`]): a sipp PBX in the PBX
//! namespace answers with one of the echo scenarios of `tests/scenarios` (its `-key`s say
//! which codec it answers) and starts `tools/rtp.py` in echo mode, then a sipp carrier
//! calls it through the SBC with a scenario that starts its own RTP tool once the answer
//! is in. The call stays up for the carrier's hold time, then the carrier hangs up.
//!
//! ```no_run
//! # use sbc_lab::{Lab, StandardConfig};
//! let lab = Lab::new().expect("create lab");
//! let sbc = lab.start_sbc(&StandardConfig::default().render()).expect("start sbc");
//! let call = lab
//!     .echo_call("echo_uas.xml", "pcma_tone_uac.xml")
//!     .pbx_keys(&[("answer_pt", "9"), ("answer_map", "G722/8000")])
//!     .record()
//!     .run()
//!     .expect("run the call");
//! call.assert_success(&sbc);
//! let (echoed, back) = (call.echoed(), call.back());
//! let heard = call.heard();
//! # let _ = (echoed, back, heard);
//! ```
//!
//! Each tool writes its record under the lab's artifacts: the PBX's echo and the carrier's
//! JSON ([`RtpResult`]; the DTMF tool's text record with [`EchoCall::carrier_record`]),
//! and with [`EchoCall::record`] the payloads that came back to the carrier.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::lab::Lab;
use crate::rtp::{RtpResult, tool_keys};
use crate::sbc::SbcProcess;
use crate::sipp::SippOutcome;
use crate::topology::{Ns, PBX_IP, SBC_OUTSIDE_IP, sip_addr};

/// How long the tools' records may take to appear after the call.
const RECORD_WAIT: Duration = Duration::from_secs(10);

/// A call to set up ([`Lab::echo_call`]), then [`EchoCall::run`].
#[derive(Debug)]
pub struct EchoCall<'lab> {
    lab: &'lab Lab,
    pbx_scenario: String,
    pbx_keys: Vec<String>,
    pbx_timeout: Duration,
    carrier_scenario: String,
    carrier_keys: Vec<String>,
    carrier_timeout: Duration,
    recv_timeout: Duration,
    hold_ms: u64,
    record: bool,
    carrier_record: Option<(&'static str, &'static str)>,
}

/// How the call went, and where the tools wrote what they saw.
#[derive(Debug)]
pub struct EchoOutcome {
    /// The carrier's sipp.
    pub carrier: SippOutcome,
    /// The PBX's sipp.
    pub pbx: SippOutcome,
    /// The PBX's echo record (JSON, [`RtpResult`]).
    pub pbx_out: PathBuf,
    /// The carrier tool's record.
    pub carrier_out: PathBuf,
    /// The payloads that came back to the carrier, with [`EchoCall::record`].
    pub carrier_heard: Option<PathBuf>,
}

impl Lab {
    /// A call from the carrier (`carrier_scenario`) to a PBX that answers and echoes
    /// (`pbx_scenario`), both files of `tests/scenarios`: by default held 5 s, the PBX's
    /// sipp given 30 s, the carrier's 25 s and 10 s to wait for each message.
    pub fn echo_call(&self, pbx_scenario: &str, carrier_scenario: &str) -> EchoCall<'_> {
        EchoCall {
            lab: self,
            pbx_scenario: pbx_scenario.to_owned(),
            pbx_keys: Vec::new(),
            pbx_timeout: Duration::from_secs(30),
            carrier_scenario: carrier_scenario.to_owned(),
            carrier_keys: Vec::new(),
            carrier_timeout: Duration::from_secs(25),
            recv_timeout: Duration::from_secs(10),
            hold_ms: 5000,
            record: false,
            carrier_record: None,
        }
    }
}

/// `-key name value` arguments of sipp.
fn keys(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(k, v)| ["-key".to_owned(), (*k).to_owned(), (*v).to_owned()])
        .collect()
}

impl EchoCall<'_> {
    /// More `-key`s of the PBX's scenario (`answer_pt`, `answer_map`, ...).
    pub fn pbx_keys(mut self, pairs: &[(&str, &str)]) -> Self {
        self.pbx_keys.extend(keys(pairs));
        self
    }

    /// More `-key`s of the carrier's scenario.
    pub fn carrier_keys(mut self, pairs: &[(&str, &str)]) -> Self {
        self.carrier_keys.extend(keys(pairs));
        self
    }

    /// How long the carrier holds the call after its ACK (sipp `-d`), ms.
    pub fn hold_ms(mut self, ms: u64) -> Self {
        self.hold_ms = ms;
        self
    }

    /// Time limits of the PBX's and the carrier's sipp, and of each message the carrier
    /// waits for.
    pub fn timeouts(mut self, pbx: Duration, carrier: Duration, recv: Duration) -> Self {
        (self.pbx_timeout, self.carrier_timeout, self.recv_timeout) = (pbx, carrier, recv);
        self
    }

    /// The carrier's tool records the payloads that come back (`-key rtp_rec`).
    pub fn record(mut self) -> Self {
        self.record = true;
        self
    }

    /// The carrier's record is not `rtp.py`'s JSON: its artifact gets this stem and
    /// extension (the DTMF tool's text record: `("dtmf-carrier", ".txt")`).
    pub fn carrier_record(mut self, stem: &'static str, ext: &'static str) -> Self {
        self.carrier_record = Some((stem, ext));
        self
    }

    /// Runs the call to its end (the PBX first, listening, then the carrier).
    pub fn run(self) -> Result<EchoOutcome> {
        let artifacts = self.lab.artifacts();
        let pbx_out = artifacts.unique_path("echo-pbx", ".json");
        let (stem, ext) = self.carrier_record.unwrap_or(("rtp-carrier", ".json"));
        let carrier_out = artifacts.unique_path(stem, ext);
        let carrier_heard = self
            .record
            .then(|| artifacts.unique_path("carrier-heard", ".raw"));
        let pbx = self
            .lab
            .sipp(Ns::Pbx, &self.pbx_scenario, sip_addr(PBX_IP))
            .listen()
            .args(tool_keys(&[("rtp_out", &pbx_out)])?)
            .args(self.pbx_keys)
            .timeout(self.pbx_timeout)
            .spawn()?;
        std::thread::sleep(Duration::from_millis(300));
        let mut outputs = vec![("rtp_out", carrier_out.as_path())];
        if let Some(heard) = &carrier_heard {
            outputs.push(("rtp_rec", heard.as_path()));
        }
        let carrier = self
            .lab
            .sipp(
                Ns::Carrier,
                &self.carrier_scenario,
                sip_addr(SBC_OUTSIDE_IP),
            )
            .args(["-s", "4930123", "-d", &self.hold_ms.to_string()])
            .args(tool_keys(&outputs)?)
            .args(self.carrier_keys)
            .timeout(self.carrier_timeout)
            .recv_timeout(self.recv_timeout)
            .run()?;
        let pbx = pbx.finish()?;
        Ok(EchoOutcome {
            carrier,
            pbx,
            pbx_out,
            carrier_out,
            carrier_heard,
        })
    }
}

impl EchoOutcome {
    /// Both sipps completed their scenario.
    pub fn success(&self) -> bool {
        self.carrier.success() && self.pbx.success()
    }

    /// Panics with both sipps' reports and the SBC's log unless [`success`](Self::success).
    #[track_caller]
    pub fn assert_success(&self, sbc: &SbcProcess) {
        assert!(
            self.success(),
            "call failed:\n--- carrier\n{}\n--- pbx\n{}\n--- sbc\n{}",
            self.carrier.report(),
            self.pbx.report(),
            sbc.log_tail()
        );
    }

    /// What the PBX's echo saw (panics if it wrote nothing in 10 s).
    #[track_caller]
    pub fn echoed(&self) -> RtpResult {
        RtpResult::wait(&self.pbx_out, RECORD_WAIT).expect("the PBX's echo record")
    }

    /// What the carrier's `rtp.py` saw (panics if it wrote nothing in 10 s).
    #[track_caller]
    pub fn back(&self) -> RtpResult {
        RtpResult::wait(&self.carrier_out, RECORD_WAIT).expect("the carrier's record")
    }

    /// The payloads that came back to the carrier, in arrival order (empty without
    /// [`EchoCall::record`] or when nothing came).
    pub fn heard(&self) -> Vec<u8> {
        self.carrier_heard
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default()
    }
}
