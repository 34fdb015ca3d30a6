//! Kamailio as a TLS server (its `tls` module on OpenSSL): the reference the SBC's TLS
//! figures are measured against (`scripts/bench/tls`). It listens on one `tls:` address,
//! answers OPTIONS 200 and every other request 404, and keeps idle connections open for an
//! hour, so what a benchmark measures is the cost of the handshake and of a held connection.

use std::net::SocketAddr;

use crate::child::LabChild;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::pki::CertFiles;
use crate::topology::Ns;

/// How the reference server is sized.
#[derive(Debug, Clone, Copy)]
pub struct KamailioTlsSizing {
    /// TCP/TLS worker processes (`tcp_children`).
    pub workers: u32,
    /// Shared memory in MiB (`-m`): OpenSSL's per-connection state is allocated there.
    pub shm_mb: u32,
    /// Connections accepted at most (`tcp_max_connections`, `tls_max_connections`).
    pub max_connections: u32,
}

/// A running Kamailio TLS server; killed when dropped (and with the lab in any case).
#[derive(Debug)]
pub struct KamailioTls {
    child: LabChild,
    /// Where it listens (TLS).
    pub listen: SocketAddr,
}

impl KamailioTls {
    /// The main process; its children (the workers) are found by walking `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.child.stderr()
    }
}

impl Lab {
    /// Starts Kamailio in `ns` serving TLS on `listen` with `server`'s certificate.
    pub fn start_kamailio_tls(
        &self,
        ns: Ns,
        listen: SocketAddr,
        server: &CertFiles,
        sizing: KamailioTlsSizing,
    ) -> Result<KamailioTls> {
        let modules = "/usr/lib/x86_64-linux-gnu/kamailio/modules";
        if !std::path::Path::new(modules).join("tls.so").exists() {
            return Err(LabError::MissingTool {
                tool: "kamailio tls module".into(),
                hint: "apt-get install kamailio-tls-modules (or run scripts/setup)".into(),
            });
        }
        let dir = self.artifacts().unique_path("kamailio-tls", "");
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let tls_cfg = dir.join("tls.cfg");
        self.artifacts()
            .write(&tls_cfg, tls_module_config(server))?;
        let script = format!(
            r#"#!KAMAILIO
# Written by sbc-lab (tests/src/kamailio_tls.rs).
debug=1
log_stderror=yes
children=1
tcp_children={workers}
auto_aliases=no
enable_tls=yes
tcp_max_connections={max}
tls_max_connections={max}
tcp_connection_lifetime=3600
open_files_limit={files}
tcp_accept_no_cl=yes
listen=tls:{listen}
mpath="{modules}/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "tls.so"
modparam("tls", "config", "{tls_cfg}")

request_route {{
    if (is_method("OPTIONS")) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    sl_send_reply("404", "Not here");
}}
"#,
            workers = sizing.workers,
            max = sizing.max_connections,
            files = sizing.max_connections + 1024,
            tls_cfg = tls_cfg.display(),
        );
        let child = self.run_kamailio_script(ns, &dir, &script, sizing.shm_mb, Some(listen))?;
        Ok(KamailioTls { child, listen })
    }
}

/// Kamailio + rtpengine as the reference SBC for calls over TLS: the record-routing proxy
/// of `scripts/bench/reference/kamailio-rtpengine.cfg` (the one `scripts/bench/calls
/// --compare-kamailio` runs), taking the carrier's calls on `tls:` and relaying them over
/// UDP to the PBX with rtpengine anchoring the media. Both killed when dropped.
#[derive(Debug)]
pub struct KamailioTlsProxy {
    kamailio: LabChild,
    rtpengine: LabChild,
}

impl KamailioTlsProxy {
    /// Kamailio's main process and rtpengine's: their CPU is the reference's.
    pub fn pids(&self) -> [u32; 2] {
        [self.kamailio.pid(), self.rtpengine.pid()]
    }

    /// Kamailio's log so far.
    pub fn log(&self) -> String {
        self.kamailio.stderr()
    }
}

/// rtpengine's ng control port on the sbc namespace's loopback.
const NG_PORT: u16 = 2223;

impl Lab {
    /// Starts rtpengine and Kamailio in the sbc namespace: TLS on `tls_listen` (outside),
    /// UDP on the outside and inside addresses, calls from the carrier relayed to the PBX.
    pub fn start_kamailio_tls_proxy(
        &self,
        tls_listen: SocketAddr,
        server: &CertFiles,
        udp_children: u32,
    ) -> Result<KamailioTlsProxy> {
        use crate::topology::{CARRIER_IP, PBX_IP, SBC_INSIDE_IP, SBC_OUTSIDE_IP};
        let rtpengine_bin = crate::cmd::require_tool(
            "rtpengine",
            "apt-get install rtpengine-daemon (or run scripts/setup)",
        )?;
        let reference =
            crate::sbc::workspace_root().join("scripts/bench/reference/kamailio-rtpengine.cfg");
        let text = std::fs::read_to_string(&reference)
            .map_err(|e| LabError::io(format!("read {}", reference.display()), e))?;
        let dir = self.artifacts().unique_path("kamailio-tls-proxy", "");
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let tls_cfg = dir.join("tls.cfg");
        self.artifacts()
            .write(&tls_cfg, tls_module_config(server))?;
        let mut script = text;
        for (key, value) in [
            ("CARRIER_IP", CARRIER_IP.to_string()),
            ("PBX_IP", PBX_IP.to_string()),
            ("SBC_OUT_IP", SBC_OUTSIDE_IP.to_string()),
            ("SBC_IN_IP", SBC_INSIDE_IP.to_string()),
            ("NG_PORT", NG_PORT.to_string()),
            ("CHILDREN", udp_children.to_string()),
        ] {
            script = script.replace(&format!("@{key}@"), &value);
        }
        let udp_inside = format!("listen=udp:{SBC_INSIDE_IP}:5060\n");
        if !script.contains(&udp_inside) || !script.contains("loadmodule \"rtpengine.so\"\n") {
            return Err(LabError::BadOutput {
                tool: reference.display().to_string(),
                output: "no inside listen line or rtpengine loadmodule to add TLS after".into(),
            });
        }
        // One TLS worker: Kamailio 5.6.3 with OpenSSL 3 aborts with two or more under
        // load (kamailio/kamailio#3791); one connection is served by one worker anyway.
        // Write queues of 4 MiB per connection (defaults: 32 kB TCP, 64 kB TLS), so that a
        // burst is queued rather than the connection closed, as the SBC queues it.
        script = script.replacen(
            &udp_inside,
            &format!(
                "{udp_inside}listen=tls:{tls_listen}\nenable_tls=yes\ntcp_children=1\n\
                 tcp_connection_lifetime=3600\ntcp_conn_wq_max=4194304\n"
            ),
            1,
        );
        script = script.replacen(
            "loadmodule \"rtpengine.so\"\n",
            &format!(
                "loadmodule \"rtpengine.so\"\nloadmodule \"tls.so\"\n\
                 modparam(\"tls\", \"config\", \"{}\")\n\
                 modparam(\"tls\", \"con_ct_wq_max\", 4194304)\n\
                 modparam(\"tls\", \"ct_wq_max\", 67108864)\n",
                tls_cfg.display()
            ),
            1,
        );
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let rtpengine = self.spawn(
            Ns::Sbc,
            &[
                rtpengine_bin.display().to_string(),
                "--foreground".into(),
                "--config-file=none".into(),
                "--table=-1".into(),
                format!("--interface=outside/{SBC_OUTSIDE_IP}"),
                format!("--interface=inside/{SBC_INSIDE_IP}"),
                format!("--listen-ng=127.0.0.1:{NG_PORT}"),
                "--port-min=20000".into(),
                "--port-max=59999".into(),
                format!("--num-threads={cores}"),
                "--log-stderr".into(),
                "--log-level=4".into(),
                "--delete-delay=0".into(),
                "--timeout=60".into(),
            ],
        )?;
        // Kamailio pings rtpengine at start and disables it if nobody answers.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self
            .exec_ok(Ns::Sbc, &["ss", "-lunH"])
            .is_ok_and(|out| out.contains(&format!("127.0.0.1:{NG_PORT}")))
        {
            if std::time::Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: "rtpengine to listen".into(),
                    waited: std::time::Duration::from_secs(10),
                    detail: crate::child::tail(&rtpengine.stderr(), 20),
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // 1 GiB of shared memory, as scripts/bench/calls gives it.
        let kamailio = self.run_kamailio_script(Ns::Sbc, &dir, &script, 1024, Some(tls_listen))?;
        Ok(KamailioTlsProxy {
            kamailio,
            rtpengine,
        })
    }
}

/// The `tls` module's own config file: `server`'s certificate for every client, no client
/// certificates asked for.
fn tls_module_config(server: &CertFiles) -> String {
    format!(
        "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
         require_certificate = no\ncertificate = {}\nprivate_key = {}\n\n\
         [client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n",
        server.cert.display(),
        server.key.display()
    )
}
