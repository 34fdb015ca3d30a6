//! Limits on a virtual clock.

use std::time::{Duration, Instant};

use sbc_config::Config;

use super::{Limit, Limits, Refusal, TokenBucket};

fn config(carrier_keys: &str) -> Config {
    config2(carrier_keys, "")
}

fn config2(carrier_keys: &str, pbx_keys: &str) -> Config {
    let text = format!(
        r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"
open = true
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]
{carrier_keys}
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060"]
{pbx_keys}
"#
    );
    Config::from_toml_str(&text, "/etc/sbc").unwrap_or_else(|e| panic!("valid:\n{e}"))
}

#[test]
fn a_bucket_allows_a_burst_of_rate_then_one_call_per_period() {
    let t0 = Instant::now();
    let mut b = TokenBucket::per_second(2);
    for _ in 0..2 {
        assert_eq!(b.check(t0), Ok(()));
        b.take(t0);
    }
    assert_eq!(b.check(t0), Err(Duration::from_millis(500)));
    assert_eq!(
        b.check(t0 + Duration::from_millis(499)),
        Err(Duration::from_millis(1))
    );
    let t1 = t0 + Duration::from_millis(500);
    assert_eq!(b.check(t1), Ok(()));
    b.take(t1);
    assert!(b.check(t1).is_err());
    // Idle for long: the burst is back, not more.
    let t2 = t1 + Duration::from_secs(10);
    b.take(t2);
    b.take(t2);
    assert!(b.check(t2).is_err());
}

#[test]
fn a_rate_of_one_has_a_burst_of_one() {
    let t0 = Instant::now();
    let mut b = TokenBucket::per_second(1);
    b.take(t0);
    assert_eq!(b.check(t0), Err(Duration::from_secs(1)));
}

#[test]
fn max_calls_counts_calls_from_and_to_the_trunk_until_released() {
    let now = Instant::now();
    let mut l: Limits<u64> = Limits::new(&config("max_calls = 2"));
    assert_eq!(l.admit(now, "carrier", "pbx"), Ok(()));
    l.relayed(1, "carrier", "pbx");
    assert_eq!(l.admit(now, "pbx", "carrier"), Ok(()));
    l.relayed(2, "pbx", "carrier");
    assert_eq!((l.calls("carrier"), l.calls("pbx")), (2, 2));
    let refused = l.admit(now, "carrier", "pbx");
    assert_eq!(
        refused,
        Err(Refusal {
            trunk: "carrier".into(),
            limit: Limit::MaxCalls(2),
            retry_after: 1
        })
    );
    assert_eq!(
        refused.map_err(|r| r.to_string()),
        Err("trunk carrier is at its limit of max_calls 2".into())
    );
    // The hook's release and the engine's CallEnded both report the end: counted once.
    l.released(1);
    l.released(1);
    assert_eq!(l.calls("carrier"), 1);
    assert_eq!(l.admit(now, "pbx", "carrier"), Ok(()));
    // Realm sources are not limited; the pbx is unlimited.
    assert_eq!(l.admit(now, "outside", "pbx"), Ok(()));
}

#[test]
fn max_cps_refuses_the_burst_beyond_its_rate_with_a_retry_after() {
    let t0 = Instant::now();
    let mut l: Limits<u64> = Limits::new(&config("max_cps = 2"));
    let admitted = (0..10)
        .filter(|i| {
            let at = t0 + Duration::from_millis(100) * *i;
            l.admit(at, "carrier", "pbx").is_ok()
        })
        .count();
    // 2 at once, then one every 500 ms: at 0, 0.1 (burst), 0.5, later ones wait.
    assert_eq!(admitted, 3);
    let refusal = l.admit(t0 + Duration::from_millis(950), "pbx", "carrier");
    let refusal = refusal.expect_err("over the rate");
    assert_eq!((refusal.limit, refusal.retry_after), (Limit::MaxCps(2), 1));
    assert_eq!(
        refusal.to_string(),
        "trunk carrier is over its limit of max_cps 2"
    );
}

#[test]
fn a_refused_call_takes_no_token_from_the_other_trunk() {
    let t0 = Instant::now();
    let mut l: Limits<u64> = Limits::new(&config2("max_calls = 1", "max_cps = 1"));
    l.relayed(1, "outside", "carrier");
    // The pbx has a token, the carrier no free slot: refused by the carrier...
    let refusal = l.admit(t0, "pbx", "carrier").expect_err("carrier full");
    assert_eq!(
        (refusal.trunk.as_str(), refusal.limit),
        ("carrier", Limit::MaxCalls(1))
    );
    // ... and the pbx's token is still there (a call within the pbx takes it).
    assert_eq!(l.admit(t0, "pbx", "pbx"), Ok(()));
    assert!(l.admit(t0, "pbx", "pbx").is_err());
}

#[test]
fn reload_keeps_counts_and_applies_new_limits() {
    let now = Instant::now();
    let mut l: Limits<u64> = Limits::new(&config(""));
    l.relayed(7, "carrier", "pbx");
    l.reload(&config("max_calls = 1"));
    assert_eq!(l.calls("carrier"), 1);
    assert!(l.admit(now, "carrier", "pbx").is_err());
    l.released(7);
    assert_eq!(l.admit(now, "carrier", "pbx"), Ok(()));
}
