//! A real record-routing SIP proxy in a lab namespace: Debian's Kamailio, as it sits in
//! front of PBXs (registrar + proxy) and at carrier edges. It `record_route()`s every
//! dialog-creating request (`Record-Route: <sip:IP;lr;ftag=...>`) and routes in-dialog
//! requests only by their Route header (`loose_route()`): a UA that ignores the route set,
//! or an SBC that leaves Record-Route out of its 2xx, loses its ACK and BYE there.

use std::net::SocketAddr;
use std::time::Duration;

use crate::child::LabChild;
use crate::cmd;
use crate::error::{LabError, Result};
use crate::lab::Lab;
use crate::topology::Ns;

/// What the proxy does with a new request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyRole {
    /// Registrar and proxy in front of a PBX: REGISTERs are saved in memory (usrloc), new
    /// requests go to the registered contact of their Request-URI's user.
    Registrar,
    /// A carrier's edge: new requests from anyone but `sbc` go to `sbc`; those from `sbc`
    /// go where their Request-URI says.
    Edge { sbc: SocketAddr },
}

/// A running Kamailio; killed when dropped (and with the lab in any case).
#[derive(Debug)]
pub struct Kamailio {
    child: LabChild,
    /// Where it listens (UDP).
    pub listen: SocketAddr,
}

impl Lab {
    /// Starts Kamailio in `ns` listening on UDP `listen`, and waits until it serves.
    pub fn start_kamailio(&self, ns: Ns, listen: SocketAddr, role: ProxyRole) -> Result<Kamailio> {
        let dir = self.artifacts().unique_path("kamailio", "");
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let child = self.run_kamailio_script(ns, &dir, &config(listen, role), 32, None)?;
        Ok(Kamailio { child, listen })
    }

    /// Checks `script` with `kamailio -c`, then runs it in `ns` from `dir` (its working
    /// directory for files the script names) with `shm_mb` MiB of shared memory, and waits
    /// until its processes serve: until `tcp_listening` accepts connections when given
    /// (scripts that log only warnings), else until it logs its process list (`debug=2`).
    pub(crate) fn run_kamailio_script(
        &self,
        ns: Ns,
        dir: &std::path::Path,
        script: &str,
        shm_mb: u32,
        tcp_listening: Option<SocketAddr>,
    ) -> Result<LabChild> {
        let kamailio = cmd::require_tool(
            "kamailio",
            "apt-get install kamailio (or run scripts/setup)",
        )?;
        let cfg = dir.join("kamailio.cfg");
        self.artifacts().write(&cfg, script)?;
        let check = cmd::output(&mut cmd::command(
            &kamailio,
            &["-c".as_ref(), "-f".as_ref(), cfg.as_os_str()],
        ))?;
        if !check.status.success() {
            return Err(LabError::Command {
                command: format!("kamailio -c -f {}", cfg.display()),
                status: check.status.to_string(),
                stderr: String::from_utf8_lossy(&check.stderr).into_owned(),
            });
        }
        let mut command = self.command(ns, &[kamailio.as_os_str()]);
        // -DD: stay in the foreground; -E: log to stderr; shared (-m) and private (-M) memory.
        command
            .args(["-DD", "-E", "-m"])
            .arg(shm_mb.to_string())
            .args(["-M", "4", "-f"])
            .arg(&cfg)
            .arg("-Y")
            .arg(dir);
        let mut child = self.spawn_command(command, "kamailio")?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let ready = |child: &LabChild| match tcp_listening {
            Some(addr) => self
                .exec_ok(ns, &["ss", "-ltnH"])
                .is_ok_and(|out| out.contains(&addr.to_string())),
            None => child.stderr().contains("main(): processes"),
        };
        while !ready(&child) {
            if !child.is_running() || std::time::Instant::now() > deadline {
                return Err(LabError::Timeout {
                    what: "kamailio to start".into(),
                    waited: Duration::from_secs(10),
                    detail: crate::child::tail(&child.stderr(), 30),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Its children bind after the main process logs; give them a moment.
        std::thread::sleep(Duration::from_millis(300));
        Ok(child)
    }
}

impl Kamailio {
    /// Its log so far (every request it routed is logged with its source).
    pub fn log(&self) -> String {
        self.child.stderr()
    }
}

/// The routing script for `role`.
fn config(listen: SocketAddr, role: ProxyRole) -> String {
    let new_request = match role {
        ProxyRole::Registrar => r#"
    if (is_method("REGISTER")) {
        save("location");
        exit;
    }
    record_route();
    if (!lookup("location")) {
        sl_send_reply("404", "Not Found");
        exit;
    }
    route(RELAY);"#
            .to_owned(),
        ProxyRole::Edge { sbc } => format!(
            r#"
    record_route();
    if ($si != "{ip}") {{
        $du = "sip:{sbc}";
    }}
    route(RELAY);"#,
            ip = sbc.ip(),
        ),
    };
    format!(
        r#"#!KAMAILIO
# Written by sbc-lab (tests/src/kamailio.rs).
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:{listen}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"
modparam("usrloc", "db_mode", 0)
modparam("rr", "append_fromtag", 1)

request_route {{
    xlog("L_NOTICE", "routing $rm $ru from $si:$sp\n");
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            route(RELAY);
        }}
        if (is_method("ACK")) {{
            if (t_check_trans()) {{
                t_relay();
            }}
            exit;
        }}
        xlog("L_NOTICE", "in-dialog $rm without a route: refused\n");
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (is_method("OPTIONS") && uri == myself) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    t_check_trans();{new_request}
}}

route[RELAY] {{
    if (!t_relay()) {{
        sl_reply_error();
    }}
    exit;
}}
"#
    )
}
