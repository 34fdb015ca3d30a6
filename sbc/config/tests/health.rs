//! `[[trunk]]` health checks and limits: defaults, values, and what a reload sees.

use std::time::Duration;

use sbc_config::{Config, OptionsPing, TrunkLimits};

fn config(trunk_keys: &str) -> Config {
    let text = format!(
        r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060", "udp:10.0.0.21:5060"]
{trunk_keys}
"#
    );
    Config::from_toml_str(&text, "/etc/sbc").unwrap_or_else(|e| panic!("valid:\n{e}"))
}

#[test]
fn health_checks_are_off_and_calls_unlimited_by_default() {
    let c = config("");
    let pbx = c.trunk("pbx").expect("trunk");
    assert_eq!(pbx.options, None);
    assert_eq!(pbx.limits, TrunkLimits::default());
    assert_eq!((pbx.limits.max_calls, pbx.limits.max_cps), (None, None));
}

#[test]
fn an_interval_turns_health_checks_on_with_default_thresholds() {
    let c = config("options_interval = 30");
    let expected = OptionsPing {
        interval: Duration::from_secs(30),
        down_after: 3,
        up_after: 2,
    };
    assert_eq!(c.trunk("pbx").expect("trunk").options, Some(expected));
}

#[test]
fn every_key_is_read() {
    let c = config(
        "options_interval = 1\noptions_down_after = 5\noptions_up_after = 1\nmax_calls = 30\nmax_cps = 2",
    );
    let pbx = c.trunk("pbx").expect("trunk");
    assert_eq!(
        pbx.options,
        Some(OptionsPing {
            interval: Duration::from_secs(1),
            down_after: 5,
            up_after: 1,
        })
    );
    assert_eq!(
        pbx.limits,
        TrunkLimits {
            max_calls: Some(30),
            max_cps: Some(2),
        }
    );
}

#[test]
fn thresholds_may_stay_while_the_interval_is_zero() {
    let c = config("options_interval = 0\noptions_down_after = 5");
    assert_eq!(c.trunk("pbx").expect("trunk").options, None);
}
