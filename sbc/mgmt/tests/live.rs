//! Live views from the daemon's snapshot, server-sent events, unban, certificates and the
//! embedded UI files.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::Env;
use http_body_util::BodyExt;
use sbc_mgmt::live::{
    BanView, CallView, Command, DigitView, LegView, PeerView, RegistrationView, Snapshot,
    StreamSideView, StreamView, TrunkRegistrationView, TrunkView,
};
use serde_json::json;
use tower::ServiceExt;

fn snapshot() -> Snapshot {
    Snapshot {
        active_calls: 1,
        calls_listed: true,
        calls: vec![CallView {
            id: "call#1".into(),
            started: "2026-11-21T03:00:00Z".into(),
            duration_seconds: 12,
            state: "answered".into(),
            from: "carrier".into(),
            to: "100".into(),
            a: LegView {
                trunk: "carrier".into(),
                realm: "outside".into(),
                remote: "127.0.0.1:5080".into(),
                codec: "PCMA".into(),
                srtp: true,
                srtp_suite: Some("AEAD_AES_128_GCM".into()),
                transcoded: true,
            },
            b: LegView::default(),
            streams: vec![StreamView {
                media: "audio".into(),
                a: StreamSideView {
                    local: "127.0.0.1:20000".into(),
                    latched: Some("127.0.0.1:4000".into()),
                    packets: 100,
                    dropped: [("unprotect".to_owned(), 3), ("replay".to_owned(), 1)]
                        .into_iter()
                        .collect(),
                    ..StreamSideView::default()
                },
                b: StreamSideView::default(),
            }],
            digits: vec![DigitView {
                digit: "x".into(),
                direction: "a-to-b".into(),
                from_mode: "rfc4733".into(),
                to_mode: "sip-info".into(),
                time: "2026-11-21T03:00:05Z".into(),
                duration_ms: 120,
            }],
        }],
        cps: 0.5,
        trunks: vec![TrunkView {
            name: "carrier".into(),
            realm: "outside".into(),
            peers: vec![PeerView {
                address: "udp:127.0.0.1:5080".into(),
                up: false,
            }],
            active_calls: 1,
            ..TrunkView::default()
        }],
        registrations: vec![RegistrationView {
            aor: "sip:200@edge".into(),
            contact: "sip:200@192.0.2.50:5060".into(),
            expires_in: 300,
        }],
        trunk_registrations: vec![TrunkRegistrationView {
            trunk: "carrier".into(),
            registrar: "sip:carrier.example".into(),
            peer: "udp:127.0.0.1:5080".into(),
            aor: "sip:edge@carrier.example".into(),
            state: "backoff".into(),
            expires_in: None,
            retry_in: Some(30),
            reason: Some("no response (timeout)".into()),
        }],
        bans: vec![BanView {
            address: "192.0.2.9".into(),
            expires_in: 60,
        }],
        draining: true,
    }
}

#[tokio::test]
async fn status_calls_and_bans_come_from_the_snapshot() {
    let env = Env::new("status");
    let c = env.ready().await;
    env.daemon.snapshot.send_replace(snapshot());
    let s = env.get(&c, "/api/status").await.json();
    assert_eq!(s["name"], "edge-test");
    assert_eq!(s["calls"], json!({"active": 1, "cps": 0.5}));
    assert_eq!(s["trunks"][0]["peers"][0]["up"], false);
    // A configured trunk the core has not reported yet is listed too.
    assert_eq!(s["trunks"][1]["name"], "pbx");
    assert_eq!(s["firewall"]["enabled"], false);
    assert_eq!(s["draining"], true);
    assert_eq!(s["bans"][0]["address"], "192.0.2.9");
    // Phones' registrations and the SBC's own at trunks, apart.
    assert_eq!(s["registrations"][0]["aor"], "sip:200@edge");
    assert_eq!(
        s["trunk_registrations"][0],
        json!({"trunk": "carrier", "registrar": "sip:carrier.example",
            "peer": "udp:127.0.0.1:5080", "aor": "sip:edge@carrier.example",
            "state": "backoff", "expires_in": null, "retry_in": 30,
            "reason": "no response (timeout)"})
    );
    let calls = env.get(&c, "/api/calls").await.json();
    assert_eq!(calls[0]["a"]["remote"], "127.0.0.1:5080");
    // Each leg's SRTP suite, and SRTP drops per stream side.
    assert_eq!(calls[0]["a"]["srtp_suite"], "AEAD_AES_128_GCM");
    assert_eq!(calls[0]["b"]["srtp_suite"], serde_json::Value::Null);
    assert_eq!(calls[0]["a"]["transcoded"], true);
    assert_eq!(calls[0]["b"]["transcoded"], false);
    assert_eq!(
        calls[0]["streams"][0]["a"]["dropped"],
        json!({"replay": 1, "unprotect": 3})
    );
    assert_eq!(env.get(&c, "/api/bans").await.json()[0]["expires_in"], 60);
    let sys = env.get(&c, "/api/system").await.json();
    assert_eq!(sys["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        sys["config_path"]
            .as_str()
            .is_some_and(|p| p.ends_with("sbc.toml"))
    );
}

#[tokio::test]
async fn calls_are_listed_only_while_somebody_looks() {
    let env = Env::new("demand");
    let c = env.ready().await;
    // The daemon publishes totals only while nobody asked for the calls.
    let mut quiet = snapshot();
    let listed = std::mem::take(&mut quiet.calls);
    quiet.calls_listed = false;
    quiet.active_calls = 20_000;
    env.daemon.snapshot.send_replace(quiet.clone());
    let s = env.get(&c, "/api/status").await.json();
    assert_eq!(s["calls"]["active"], 20_000, "totals without the list");
    assert!(!env.daemon.demand.wanted(std::time::Instant::now()));
    // A GET /api/calls asks for them and waits for the daemon's next snapshot, which a
    // daemon stand-in publishes once it sees the demand (the core does on its next tick).
    let daemon = async {
        while !env.daemon.demand.wanted(std::time::Instant::now()) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let mut full = quiet;
        full.calls = listed;
        full.calls_listed = true;
        env.daemon.snapshot.send_replace(full);
    };
    let (answer, ()) = tokio::join!(env.get(&c, "/api/calls"), daemon);
    assert_eq!(answer.json()[0]["id"], "call#1");
}

#[tokio::test]
async fn events_stream_status_and_calls() {
    let env = Env::new("events");
    let c = env.ready().await;
    env.daemon.snapshot.send_replace(snapshot());
    let mut req = Request::get("/api/events")
        .header("cookie", &c.cookie)
        .body(Body::empty())
        .expect("request");
    req.extensions_mut().insert(ConnectInfo(env.peer));
    let res = env.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut body = res.into_body();
    let mut text = String::new();
    while !text.contains("event: calls") {
        let frame = body.frame().await.expect("a frame").expect("no error");
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(text.starts_with("event: status\ndata: {"), "{text}");
    assert!(text.contains("\"cps\":0.5"), "{text}");
    // The next snapshot makes the next pair of events.
    let mut next = snapshot();
    next.cps = 2.0;
    env.daemon.snapshot.send_replace(next);
    let mut more = String::new();
    while !more.contains("\"cps\":2.0") {
        let frame = body.frame().await.expect("a frame").expect("no error");
        if let Ok(data) = frame.into_data() {
            more.push_str(&String::from_utf8_lossy(&data));
        }
    }
}

#[tokio::test]
async fn unban_goes_to_the_daemon() {
    let mut env = Env::new("unban");
    let c = env.ready().await;
    let (_, rx) = tokio::sync::mpsc::channel(1);
    let mut commands = std::mem::replace(&mut env.daemon.commands, rx);
    tokio::spawn(async move {
        while let Some(cmd) = commands.recv().await {
            if let Command::Unban { address, reply } = cmd {
                let _ = reply.send(Ok(address.to_string() == "192.0.2.9"));
            }
        }
    });
    let a = env
        .write(&c, Method::DELETE, "/api/bans/192.0.2.9", "")
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = env
        .write(&c, Method::DELETE, "/api/bans/192.0.2.10", "")
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = env
        .write(&c, Method::DELETE, "/api/bans/not-an-ip", "")
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["field"], "address");
    let audit = env.get(&c, "/api/audit").await.json();
    assert_eq!(audit[0]["action"], "unban 192.0.2.9");
}

fn certificate(cn: &str) -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec![cn.to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn certificates_are_checked_and_listed() {
    let env = Env::new("certs");
    let c = env.ready().await;
    let (cert, key) = certificate("sbc.example");
    let (_, other_key) = certificate("other.example");
    let upload = |name: &str, cert: &str, key: &str| {
        json!({"name": name, "cert_pem": cert, "key_pem": key}).to_string()
    };
    let cases = [
        (
            upload(
                "bad",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                &key,
            ),
            "cert_pem",
        ),
        (upload("bad", "no pem here", &key), "cert_pem"),
        (upload("bad", &cert, "garbage"), "key_pem"),
        (upload("bad", &cert, &other_key), "key_pem"),
        (upload("../escape", &cert, &key), "name"),
    ];
    for (body, field) in cases {
        let a = env
            .write(&c, Method::POST, "/api/certificates", &body)
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            a.text()
        );
        assert_eq!(a.json()["field"], field, "{}", a.text());
    }
    let a = env
        .write(
            &c,
            Method::POST,
            "/api/certificates",
            &upload("edge", &cert, &key),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    // Used by nothing: nothing waits for a restart.
    assert!(a.headers.get(sbc_mgmt::restart::HEADER).is_none());
    let list = env.get(&c, "/api/certificates").await.json();
    let entry = &list[0];
    assert_eq!(entry["name"], "edge");
    assert_eq!(entry["subject"], "sbc.example");
    assert_eq!(entry["not_after"], "2099-01-01T00:00:00Z");
    assert!(entry["days_left"].as_i64().is_some_and(|d| d > 365));
    assert_eq!(entry["used_by"], json!([]));
    // An upload named "management" is the HTTPS listener's certificate.
    let a = env
        .write(
            &c,
            Method::POST,
            "/api/certificates",
            &upload("management", &cert, &key),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    // Loaded at start: the answer and /api/system say it waits for a restart.
    let note = "certificate management (management)";
    assert_eq!(
        a.headers
            .get(sbc_mgmt::restart::HEADER)
            .and_then(|v| v.to_str().ok()),
        Some(note)
    );
    assert_eq!(
        env.get(&c, "/api/system").await.json()["restart_required"],
        json!([note])
    );
    let list = env.get(&c, "/api/certificates").await.json();
    let m = list
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["name"] == "management")
        .expect("listed");
    assert_eq!(m["used_by"], json!(["management"]));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.dir.join("state/certs/edge.key"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn ui_files_are_served_and_cannot_be_escaped() {
    let env = Env::new("assets");
    for p in [
        "/../Cargo.toml",
        "/assets/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/assets/%2e%2e/build.rs",
        "//etc/passwd",
    ] {
        let a = env.request(Method::GET, p, &[], "").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{p}");
    }
    // Whatever the UI folder holds is served, with a content type, without a session.
    for (path, _) in sbc_mgmt::assets::ASSETS {
        let a = env.request(Method::GET, &format!("/{path}"), &[], "").await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(
            a.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some(sbc_mgmt::assets::content_type(path))
        );
        let a = env
            .request(Method::GET, &format!("/assets/{path}"), &[], "")
            .await;
        assert_eq!(a.status, StatusCode::OK, "/assets/{path}");
    }
    if sbc_mgmt::assets::get("index.html").is_some() {
        let a = env.request(Method::GET, "/", &[], "").await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.text().contains("<html"), "{}", a.text());
    }
}

#[tokio::test]
async fn the_registry_says_what_the_sbc_acts_on() {
    let env = Env::new("registry");
    let c = env.ready().await;
    let r = env.get(&c, "/api/registry").await.json();
    let names: Vec<&str> = r["codecs"]
        .as_array()
        .expect("codecs")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "PCMU",
            "PCMA",
            "G722",
            "opus",
            "G729",
            "telephone-event",
            "CN"
        ]
    );
    assert_eq!(
        r["codecs"][2]["clock_rate"], 8000,
        "G.722's RTP clock quirk"
    );
    assert_eq!(r["codecs"][0]["static_payload_type"], 0);
    assert_eq!(
        r["dtmf_modes"][0],
        json!({"value": "rfc4733", "supported": true,
        "meaning": "RTP telephone-events (RFC 4733); converted to and from the other leg's way"})
    );
    let dtmf: Vec<(&str, bool)> = r["dtmf_modes"]
        .as_array()
        .expect("modes")
        .iter()
        .map(|m| (m["value"].as_str().unwrap_or(""), m["supported"] == true))
        .collect();
    assert_eq!(
        dtmf,
        [("rfc4733", true), ("sip-info", true), ("inband", true)],
        "DTMF interworking acts on every mode"
    );
    assert_eq!(r["dtmf_info_types"][0]["value"], "dtmf-relay");
    let srtp: Vec<(&str, bool)> = r["srtp_modes"]
        .as_array()
        .expect("modes")
        .iter()
        .map(|m| (m["value"].as_str().unwrap_or(""), m["supported"] == true))
        .collect();
    assert_eq!(
        srtp,
        [("off", true), ("optional", true), ("required", true)]
    );
    let suites = r["srtp_suites"].as_array().expect("suites");
    assert_eq!(suites.len(), 5);
    assert!(suites.iter().all(|s| s["supported"] == true), "{suites:?}");
    assert_eq!(suites[3]["name"], "AEAD_AES_128_GCM");
}
