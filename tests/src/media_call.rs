//! One call with RTP both ways, started in the background: a sipp caller in the carrier
//! (`media_uac.xml`) and a sipp callee in the PBX (`media_uas.xml`), each starting
//! `tools/rtp.py` (50 RTP packets to the address the other side's SDP gave) as soon as it
//! knows that SDP. The firewall tests look at the kernel while the call is up.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::lab::Lab;
use crate::rtp::{RtpResult, tool_keys};
use crate::sipp::{RunningSipp, SippOutcome};
use crate::topology::{Ns, PBX_IP, SBC_OUTSIDE_IP, sip_addr};

/// Where the carrier's RTP peer listens (media_uac.xml).
pub const CARRIER_RTP_PORT: u16 = 40000;
/// Where the PBX's RTP peer listens (media_uas.xml).
pub const PBX_RTP_PORT: u16 = 40002;

/// A call in progress; [`MediaCall::finish`] waits for its end.
#[derive(Debug)]
pub struct MediaCall {
    uac: RunningSipp,
    uas: RunningSipp,
    carrier_out: PathBuf,
    pbx_out: PathBuf,
}

/// How a call with media ended.
#[derive(Debug)]
pub struct MediaOutcome {
    pub uac: SippOutcome,
    pub uas: SippOutcome,
    /// What the carrier's RTP peer saw.
    pub carrier_rtp: RtpResult,
    /// What the PBX's RTP peer saw.
    pub pbx_rtp: RtpResult,
}

impl Lab {
    /// Starts a call from the carrier to the PBX through the SBC that stays up `talk` after
    /// its ACK, then ends with a BYE from the caller.
    pub fn start_media_call(&self, talk: Duration) -> Result<MediaCall> {
        let carrier_out = self.artifacts().unique_path("rtp-carrier", ".json");
        let pbx_out = self.artifacts().unique_path("rtp-pbx", ".json");
        let budget = talk + Duration::from_secs(25);
        let uas = self
            .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
            .listen()
            .args(tool_keys(&[("rtp_out", &pbx_out)])?)
            .timeout(budget)
            .spawn()?;
        std::thread::sleep(Duration::from_millis(300));
        let uac = self
            .sipp(Ns::Carrier, "media_uac.xml", sip_addr(SBC_OUTSIDE_IP))
            .args(["-s", "4930123", "-d", &talk.as_millis().to_string()])
            .args(tool_keys(&[("rtp_out", &carrier_out)])?)
            .timeout(budget)
            .recv_timeout(Duration::from_secs(10))
            .spawn()?;
        Ok(MediaCall {
            uac,
            uas,
            carrier_out,
            pbx_out,
        })
    }
}

impl MediaCall {
    /// Waits for both sipp instances and both RTP tools.
    pub fn finish(self) -> Result<MediaOutcome> {
        let uac = self.uac.finish()?;
        let uas = self.uas.finish()?;
        Ok(MediaOutcome {
            carrier_rtp: RtpResult::wait(&self.carrier_out, Duration::from_secs(10))?,
            pbx_rtp: RtpResult::wait(&self.pbx_out, Duration::from_secs(10))?,
            uac,
            uas,
        })
    }
}
