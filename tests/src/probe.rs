//! Liveness probes of the daemon used by many tests: an OPTIONS over raw UDP or sipp, and the
//! standard-config start-up.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::config::standard_config;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::messages;
use crate::sbc::SbcProcess;
use crate::sipp::{SippOutcome, SippTransport};
use crate::topology::Ns;

/// Scenario used by [`Lab::sipp_options`].
pub const OPTIONS_SCENARIO: &str = "options_uac.xml";

/// Varies tags of raw OPTIONS so retries are distinct transactions.
static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

impl Lab {
    /// Starts the daemon with [`standard_config`].
    pub fn start_standard_sbc(&self) -> Result<SbcProcess> {
        self.start_sbc(&standard_config())
    }

    /// Sends one OPTIONS over UDP from `ns` to the SBC address facing it and returns the status
    /// code of the first response within `timeout` (`None`: no response at all).
    pub fn options_udp(&self, ns: Ns, timeout: Duration) -> Result<Option<u16>> {
        let to = ns.sbc_sip_addr().ok_or_else(|| LabError::BadOutput {
            tool: "options_udp".to_owned(),
            output: format!("no SBC address faces namespace {ns}"),
        })?;
        // A fixed local port, so the Via is exact and the response comes back to it.
        let from = SocketAddr::new(IpAddr::V4(ns.ip()), 5099);
        let tag = NEXT_TAG.fetch_add(1, Ordering::Relaxed);
        let request = messages::options(from, to, "UDP", tag);
        let replies = self.udp_burst(&crate::netio::UdpBurst {
            ns,
            from: Some(from),
            to,
            datagrams: &[request.into_bytes()],
            interval: Duration::ZERO,
            wait: timeout,
            first_only: false,
        })?;
        // Skip provisional responses.
        let codes: Vec<u16> = replies
            .iter()
            .filter_map(|d| messages::status_code(&d.bytes))
            .collect();
        Ok(codes
            .iter()
            .copied()
            .find(|&c| c >= 200)
            .or(codes.first().copied()))
    }

    /// Runs the OPTIONS scenario (expects 200 within 5 s) with sipp from `ns` to the SBC
    /// address facing it.
    pub fn sipp_options(&self, ns: Ns, transport: SippTransport) -> Result<SippOutcome> {
        let to = ns.sbc_sip_addr().ok_or_else(|| LabError::BadOutput {
            tool: "sipp_options".to_owned(),
            output: format!("no SBC address faces namespace {ns}"),
        })?;
        self.sipp(ns, OPTIONS_SCENARIO, to)
            .transport(transport)
            .recv_timeout(Duration::from_secs(5))
            .run()
    }
}

impl SbcProcess {
    /// Log lines reporting a panic (a panic is always a bug, DESIGN.md convention 6).
    pub fn panics(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("panicked"))
            .map(str::to_owned)
            .collect()
    }
}
