//! RFC 3263 resolution against a table of records (no network): each rule of §4 and
//! RFC 2782's ordering.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sbc_config::PeerSpec;

use super::lookup::{Answer, Dns, LookupError, Naptr, Srv};
use super::rfc3263::{ResolveError, resolve, weighted_order};

/// A zone: records by name, a TTL per name, names whose server does not answer.
#[derive(Default)]
struct Zone {
    naptr: HashMap<&'static str, Vec<Naptr>>,
    srv: HashMap<&'static str, Vec<Srv>>,
    ip: HashMap<&'static str, Vec<IpAddr>>,
    ttl: HashMap<&'static str, u64>,
    broken: Vec<&'static str>,
    now: Option<Instant>,
}

impl Zone {
    fn answer<T: Clone>(
        &self,
        table: &HashMap<&'static str, Vec<T>>,
        name: &str,
        rtype: &'static str,
    ) -> Result<Answer<T>, LookupError> {
        if self.broken.contains(&name) {
            return Err(LookupError::Failed {
                name: name.to_owned(),
                rtype,
                reason: "timed out".to_owned(),
            });
        }
        let records = table.get(name).cloned().unwrap_or_default();
        if records.is_empty() {
            return Err(LookupError::NotFound {
                name: name.to_owned(),
                rtype,
            });
        }
        let ttl = self.ttl.get(name).copied().unwrap_or(300);
        Ok(Answer {
            records,
            valid_until: self.now.expect("now set") + Duration::from_secs(ttl),
        })
    }
}

impl Dns for Zone {
    async fn naptr(&self, name: &str) -> Result<Answer<Naptr>, LookupError> {
        self.answer(&self.naptr, name, "NAPTR")
    }
    async fn srv(&self, name: &str) -> Result<Answer<Srv>, LookupError> {
        self.answer(&self.srv, name, "SRV")
    }
    async fn ip(&self, name: &str) -> Result<Answer<IpAddr>, LookupError> {
        self.answer(&self.ip, name, "A/AAAA")
    }
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Srv {
    Srv {
        priority,
        weight,
        port,
        target: target.to_owned(),
    }
}

fn naptr(order: u16, services: &str, replacement: &str) -> Naptr {
    Naptr {
        order,
        preference: 10,
        flags: "s".to_owned(),
        services: services.to_owned(),
        replacement: replacement.to_owned(),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

/// The carrier zone of the examples: NAPTR prefers TCP, SRV with two priorities.
fn carrier() -> Zone {
    let mut z = Zone {
        now: Some(Instant::now()),
        ..Zone::default()
    };
    z.naptr.insert(
        "carrier.example",
        vec![
            naptr(20, "SIP+D2U", "_sip._udp.carrier.example"),
            naptr(10, "SIP+D2T", "_sip._tcp.carrier.example"),
            naptr(5, "SIP+D2X", "_sip._sctp.carrier.example"),
        ],
    );
    z.srv.insert(
        "_sip._tcp.carrier.example",
        vec![
            srv(20, 0, 5060, "b.carrier.example"),
            srv(10, 0, 5070, "a.carrier.example"),
        ],
    );
    z.srv.insert(
        "_sip._udp.carrier.example",
        vec![srv(10, 0, 5060, "a.carrier.example")],
    );
    z.ip.insert(
        "a.carrier.example",
        vec![ip("192.0.2.1"), ip("2001:db8::1")],
    );
    z.ip.insert("b.carrier.example", vec![ip("192.0.2.2")]);
    z.ip.insert("carrier.example", vec![ip("192.0.2.9")]);
    z.ttl.insert("a.carrier.example", 30);
    z
}

fn run<D: Dns>(zone: &D, spec: &str) -> Result<Vec<String>, ResolveError> {
    let spec: PeerSpec = spec.parse().expect("spec");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut random = || 0u64;
    rt.block_on(resolve(zone, &spec, &mut random))
        .map(|t| t.iter().map(|t| t.addr.to_string()).collect())
}

#[test]
fn naptr_picks_the_transport_and_srv_orders_by_priority() {
    let z = carrier();
    assert_eq!(
        run(&z, "carrier.example").expect("resolves"),
        [
            "tcp:192.0.2.1:5070",
            "tcp:[2001:db8::1]:5070",
            "tcp:192.0.2.2:5060"
        ]
    );
}

#[test]
fn a_transport_without_port_asks_its_srv_only() {
    let z = carrier();
    assert_eq!(
        run(&z, "udp:carrier.example").expect("resolves"),
        ["udp:192.0.2.1:5060", "udp:[2001:db8::1]:5060"]
    );
    // No _sips._tcp SRV: A/AAAA with TLS's default port.
    assert_eq!(
        run(&z, "tls:carrier.example").expect("resolves"),
        ["tls:192.0.2.9:5061"]
    );
}

#[test]
fn a_port_means_a_records_only() {
    let z = carrier();
    // RFC 3263 §4.2: no NAPTR, no SRV, UDP unless written.
    assert_eq!(
        run(&z, "carrier.example:5080").expect("resolves"),
        ["udp:192.0.2.9:5080"]
    );
    assert_eq!(
        run(&z, "tcp:a.carrier.example:5090").expect("resolves"),
        ["tcp:192.0.2.1:5090", "tcp:[2001:db8::1]:5090"]
    );
}

#[test]
fn without_naptr_srv_is_tried_per_transport_then_a_records() {
    let mut z = carrier();
    z.naptr.clear();
    // _sip._udp exists: UDP first.
    assert_eq!(
        run(&z, "carrier.example").expect("resolves"),
        ["udp:192.0.2.1:5060", "udp:[2001:db8::1]:5060"]
    );
    z.srv.clear();
    assert_eq!(
        run(&z, "carrier.example").expect("resolves"),
        ["udp:192.0.2.9:5060"]
    );
}

#[test]
fn a_target_expires_with_the_shortest_ttl_on_its_way() {
    let z = carrier();
    let spec: PeerSpec = "carrier.example".parse().expect("spec");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let targets = rt
        .block_on(resolve(&z, &spec, &mut || 0))
        .expect("resolves");
    let now = z.now.expect("now");
    assert_eq!(targets[0].expires, now + Duration::from_secs(30));
    assert_eq!(targets[2].expires, now + Duration::from_secs(300));
    assert_eq!((targets[0].priority, targets[2].priority), (10, 20));
    assert_eq!(
        targets[0].source,
        "_sip._tcp.carrier.example SRV → a.carrier.example A/AAAA"
    );
}

#[test]
fn a_name_that_does_not_exist_is_not_found_and_a_silent_server_is_a_failure() {
    let mut z = carrier();
    assert!(matches!(
        run(&z, "ghost.example"),
        Err(ResolveError::NotFound(_))
    ));
    z.broken.push("carrier.example");
    assert!(matches!(
        run(&z, "carrier.example"),
        Err(ResolveError::Failed(_))
    ));
}

#[test]
fn an_srv_target_without_address_does_not_spoil_the_others() {
    let mut z = carrier();
    z.ip.remove("a.carrier.example");
    assert_eq!(
        run(&z, "carrier.example").expect("resolves"),
        ["tcp:192.0.2.2:5060"]
    );
}

#[test]
fn weights_share_the_picks_within_a_priority() {
    let records = vec![
        srv(10, 90, 1, "heavy"),
        srv(10, 10, 1, "light"),
        srv(5, 0, 1, "first"),
    ];
    let mut firsts: HashMap<String, u32> = HashMap::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..1000 {
        let order = weighted_order(records.clone(), &mut random);
        assert_eq!(order[0].target, "first", "priority 5 always first");
        *firsts.entry(order[1].target.clone()).or_default() += 1;
    }
    let heavy = firsts.get("heavy").copied().unwrap_or(0);
    assert!((850..=950).contains(&heavy), "{firsts:?}");
}

#[test]
fn a_huge_answer_is_cut_to_its_bounds_with_a_log_line() {
    let logs = crate::transport::tests::Logs::capture();
    let mut z = Zone {
        now: Some(Instant::now()),
        ..Zone::default()
    };
    // 40 SRV records (priority 40 down to 1), each target with 3 addresses.
    let names: Vec<&'static str> = (1..=40)
        .map(|i| &*Box::leak(format!("t{i}.huge.example").into_boxed_str()))
        .collect();
    z.srv.insert(
        "_sip._udp.huge.example",
        names
            .iter()
            .enumerate()
            .map(|(i, n)| srv(40 - i as u16, 0, 5060, n))
            .collect(),
    );
    for (i, n) in names.iter().enumerate() {
        z.ip.insert(n, (0..3).map(|k| ip(&format!("10.1.{i}.{k}"))).collect());
    }
    // 100 addresses for one name.
    z.ip.insert(
        "many.example",
        (0..100).map(|k| ip(&format!("10.2.0.{k}"))).collect(),
    );

    let targets = run(&z, "udp:huge.example").expect("resolves");
    assert_eq!(targets.len(), super::rfc3263::MAX_ADDRESSES, "{targets:?}");
    // The lowest priorities are kept: priority 1 is t40, its addresses first.
    assert_eq!(targets[0], "udp:10.1.39.0:5060");
    let many = run(&z, "many.example:5060").expect("resolves");
    assert_eq!(many.len(), super::rfc3263::MAX_ADDRESSES);
    let log = logs.text();
    assert!(
        log.contains("more SRV records than 16") && log.contains("more addresses than 32"),
        "{log}"
    );
}
