//! The refresher's bounds on bad answers, on paused virtual time: a server that does not
//! answer fails its name after the resolution bound (the others are resolved in the same
//! round, nothing waits on it but the refresher), and an address of the SBC itself is
//! dropped with a log line.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbc_config::Config;
use sbc_config::resolved::NameState;
use tokio::sync::{mpsc, watch};

use super::lookup::{Answer, Dns, LookupError, Naptr, Srv};
use super::refresh::run;
use crate::transport::tests::Logs;

/// No NAPTR or SRV anywhere; A records from a table; `slow` names never answer.
struct Scripted {
    ip: HashMap<&'static str, Vec<IpAddr>>,
    slow: Vec<&'static str>,
}

impl Dns for Scripted {
    async fn naptr(&self, name: &str) -> Result<Answer<Naptr>, LookupError> {
        Err(LookupError::NotFound {
            name: name.to_owned(),
            rtype: "NAPTR",
        })
    }
    async fn srv(&self, name: &str) -> Result<Answer<Srv>, LookupError> {
        Err(LookupError::NotFound {
            name: name.to_owned(),
            rtype: "SRV",
        })
    }
    async fn ip(&self, name: &str) -> Result<Answer<IpAddr>, LookupError> {
        if self.slow.contains(&name) {
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        }
        let records = self.ip.get(name).cloned().unwrap_or_default();
        if records.is_empty() {
            return Err(LookupError::NotFound {
                name: name.to_owned(),
                rtype: "A/AAAA",
            });
        }
        Ok(Answer {
            records,
            valid_until: Instant::now() + Duration::from_secs(60),
        })
    }
}

const CONFIG: &str = r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "outside"
listen = ["udp:192.0.2.1:5060"]
media_ip = "192.0.2.1"
media_ports = "20000-20099"
[[trunk]]
name = "slow"
realm = "outside"
peers = ["slow.example"]
[[trunk]]
name = "mirror"
realm = "outside"
peers = ["mirror.example"]
"#;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_fails_its_name_in_bounded_time_and_the_sbcs_own_address_is_dropped() {
    let logs = Logs::capture();
    let config = Config::from_toml_str(CONFIG, "/tmp").expect("valid config");
    let dns = Scripted {
        ip: HashMap::from([("mirror.example", vec![ip("192.0.2.1"), ip("198.51.100.7")])]),
        slow: vec!["slow.example"],
    };
    let (_config_tx, config_rx) = watch::channel(Arc::new(config));
    let (tx, mut rx) = mpsc::channel(4);
    let started = tokio::time::Instant::now();
    tokio::spawn(run(dns, config_rx, tx));
    let resolved = rx.recv().await.expect("a first round");
    // Virtual time: what the refresher waited for the silent server, not the test.
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(15)..Duration::from_secs(20)).contains(&waited),
        "{waited:?}"
    );
    let state = |name: &str| {
        resolved
            .peers
            .iter()
            .find(|(k, _)| k.to_string() == name)
            .map(|(_, (s, _))| s.clone())
            .unwrap_or_else(|| panic!("{name} in {resolved:?}"))
    };
    match state("slow.example") {
        NameState::Failed {
            reason, targets, ..
        } => {
            assert!(reason.contains("no answer within 15 s"), "{reason}");
            assert!(targets.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let mirror = state("mirror.example");
    let addrs: Vec<String> = mirror
        .targets()
        .iter()
        .map(|t| t.addr.to_string())
        .collect();
    assert_eq!(addrs, ["udp:198.51.100.7:5060"], "{mirror:?}");
    let log = logs.text();
    assert!(
        log.contains("DNS: a record points at the SBC itself; ignored")
            && log.contains("192.0.2.1"),
        "{log}"
    );
}
