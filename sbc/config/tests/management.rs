//! `[management]` TLS keys: they come in pairs and are resolved against the file's folder.

use std::path::Path;

use sbc_config::Config;

fn config(management_extra: &str) -> String {
    format!(
        r#"
[system]
name = "edge"
[management]
listen = "127.0.0.1:8443"
{management_extra}
[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20999"
"#
    )
}

#[test]
fn certificate_and_key_are_resolved() {
    let c = Config::from_toml_str(
        &config("tls_cert = \"certs/ui.pem\"\ntls_key = \"/etc/sbc/ui.key\""),
        "/srv/sbc",
    )
    .expect("valid");
    let tls = c.management().tls.as_ref().expect("files");
    assert_eq!(tls.cert, Path::new("/srv/sbc/certs/ui.pem"));
    assert_eq!(tls.key, Path::new("/etc/sbc/ui.key"));
    let none = Config::from_toml_str(&config(""), "/srv/sbc").expect("valid");
    assert_eq!(none.management().tls, None);
}

#[test]
fn one_without_the_other_is_an_error() {
    for (extra, path) in [
        ("tls_cert = \"ui.pem\"", "management.tls_key"),
        ("tls_key = \"ui.key\"", "management.tls_cert"),
    ] {
        let errors = Config::from_toml_str(&config(extra), "/srv/sbc").expect_err(extra);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec![path], "{errors}");
    }
}
