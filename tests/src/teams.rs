//! Microsoft Teams Direct Routing in the lab: `tools/tls_ua.py` plays Microsoft's SIP
//! proxy over TLS in the carrier namespace, and the SBC runs trunk "teams" on
//! `profile = "teams"` with only `peers` and `tls_ca` overridden (the lab cannot reach
//! Microsoft), routed both ways to the sipp PBX. The realm "outside" has `domain =
//! "sbc.lab.test"`, a name of the SBC's certificate. Running the UA and reading what it
//! printed is [`crate::tls_ua`]'s.

use crate::pki::{CertFiles, TestCa};
use crate::tls_ua::{self, wait_listening};
use crate::topology::{CARRIER_IP, SBC_OUTSIDE_IP, SIP_TLS_PORT};
use crate::{Lab, LabChild, Ns, SbcProcess, StandardConfig};

/// The SBC's FQDN on the Teams realm.
pub const FQDN: &str = "sbc.lab.test";

/// Starts `tls_ua.py <args>` in the carrier namespace (where Microsoft's side is).
pub fn spawn_ua(lab: &Lab, args: &[String]) -> LabChild {
    tls_ua::spawn_ua(lab, Ns::Carrier, args)
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
