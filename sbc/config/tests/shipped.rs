//! Every configuration file shipped under `config/` parses and validates.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use sbc_config::{Config, ConfigFile, DtmfMode, SrtpMode};
use sbc_core::Transport;

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("config directory is readable");
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_config_validates() {
    let mut files = Vec::new();
    toml_files(&config_dir(), &mut files);
    files.sort();
    for required in ["sbc.toml", "examples/carrier-to-pbx.toml"] {
        assert!(
            files.contains(&config_dir().join(required)),
            "{required} is shipped"
        );
    }
    assert!(
        files.len() >= 4,
        "sbc.toml and at least three examples: {files:?}"
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            Config::load(f)
                .err()
                .map(|e| format!("{}:\n{e}", f.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shipped_files_survive_a_write_and_read_back() {
    let mut files = Vec::new();
    toml_files(&config_dir(), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        let file = ConfigFile::from_toml_str(&text).expect("parses");
        let printed = file.to_toml_string().expect("prints");
        let again = ConfigFile::from_toml_str(&printed).expect("printed file parses");
        assert_eq!(file, again, "{}", f.display());
    }
}

#[test]
fn default_config_is_the_dev_setup() {
    let path = config_dir().join("sbc.toml");
    let c = Config::load(&path).expect("default config validates");
    let base = std::path::absolute(config_dir()).expect("absolute");

    // On: scripts/run runs it as root; loopback traffic is never filtered.
    assert!(c.firewall().enabled);
    assert_eq!(c.firewall().table, "sbc");
    assert_eq!(c.firewall().pinhole_seconds, 120);
    assert_eq!(
        c.management().listen,
        "127.0.0.1:8443".parse().expect("addr")
    );
    assert!(c.management().allows(IpAddr::from([127, 0, 0, 1])));
    assert!(!c.management().allows(IpAddr::from([10, 0, 0, 1])));
    assert_eq!(c.system().state_dir, base.join("state"));
    assert!(c.system().state_dir.is_absolute());
    assert_eq!(
        (c.sip().max_message_size, c.sip().max_headers),
        (65535, 128)
    );

    let outside = c.realm("outside").expect("outside realm");
    let listen: Vec<String> = outside.listen.iter().map(|a| a.to_string()).collect();
    assert_eq!(listen, ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]);
    assert_eq!(outside.media_ports.to_string(), "20000-20999");
    assert!(!outside.open && outside.tls.is_none() && outside.public_ip.is_none());
    let inside = c.realm("inside").expect("inside realm");
    assert_eq!(inside.listen[0].addr.port(), 5070);
    assert_eq!(inside.listen[1].transport, Transport::Tcp);
    assert_eq!(inside.media_ports.to_string(), "21000-21999");

    let carrier = c.trunk("carrier").expect("carrier trunk");
    assert_eq!(c.realm_of(carrier).name, "outside");
    assert_eq!(carrier.peers[0].to_string(), "udp:127.0.0.1:5080");
    assert_eq!(
        (carrier.dtmf, carrier.srtp.mode),
        (DtmfMode::Rfc4733, SrtpMode::Off)
    );
    let pbx = c.trunk("pbx").expect("pbx trunk");
    assert_eq!(pbx.peers[0].to_string(), "udp:127.0.0.1:5090");
    assert!(pbx.codecs.is_none());

    let (route, user) = c.route_for("carrier", "+4930123").expect("carrier route");
    assert_eq!((route.to.as_str(), user.as_str()), ("pbx", "+4930123"));
    let (route, _) = c.route_for("pbx", "100").expect("pbx route");
    assert_eq!(route.to, "carrier");
}

#[test]
fn example_tls_paths_resolve_against_the_file() {
    let dir = config_dir().join("examples");
    let c = Config::load(dir.join("carrier-to-pbx.toml")).expect("validates");
    let tls = c
        .realm("outside")
        .and_then(|r| r.tls.as_ref())
        .expect("tls files");
    let dir = std::path::absolute(&dir).expect("absolute");
    assert_eq!(tls.cert, dir.join("certs/outside.pem"));
    assert_eq!(tls.key, dir.join("certs/outside.key"));
    let pbx = c.trunk("pbx").expect("pbx trunk");
    assert_eq!(pbx.tls.ca, Some(dir.join("certs/pbx-ca.pem")));
    assert_eq!(
        c.realm("outside").map(|r| r.advertised_media_ip()),
        Some(IpAddr::from([198, 51, 100, 7]))
    );
    let phones = Config::load(dir.join("registering-phones.toml")).expect("validates");
    assert!(phones.realm("phones").expect("phones realm").open);
}
