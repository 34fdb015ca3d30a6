//! Editing trunks, routes, realms, the ACL and the whole file: validation with field
//! paths, ETag/If-Match, comments kept, versions, rollback, audit, live apply.

mod common;

use axum::http::{Method, StatusCode};
use common::Env;
use serde_json::json;

fn applied(env: &mut Env) -> Option<std::sync::Arc<sbc_config::Config>> {
    env.daemon.take_applied().pop()
}

#[tokio::test]
async fn trunk_crud_keeps_comments_and_applies_live() {
    let mut env = Env::new("trunks");
    let c = env.ready().await;
    let list = env.get(&c, "/api/trunks").await;
    assert_eq!(list.etag(), "\"1\"");
    assert_eq!(list.json()[0]["name"], "carrier");

    let new = json!({"name": "carrier2", "realm": "outside", "peers": ["udp:127.0.0.3:5080"], "max_calls": 5});
    let a = env
        .write(&c, Method::POST, "/api/trunks", &new.to_string())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.etag(), "\"2\"");
    let text = env.file();
    assert!(text.contains("# Test appliance."), "{text}");
    assert!(text.contains("name = \"carrier\" # keep me"), "{text}");
    assert!(text.contains("name = \"carrier2\""), "{text}");
    let config = applied(&mut env).expect("applied");
    assert_eq!(
        config.trunk("carrier2").and_then(|t| t.limits.max_calls),
        Some(5)
    );

    let one = env.get(&c, "/api/trunks/carrier2").await;
    assert_eq!(one.json()["max_calls"], 5);
    // SRTP required over UDP signalling: refused, naming the key, unless keys may travel
    // in clear.
    let upd = json!({"name": "carrier2", "realm": "outside", "peers": ["udp:127.0.0.3:5080"], "srtp": "required"});
    let a = env
        .write(&c, Method::PUT, "/api/trunks/carrier2", &upd.to_string())
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(a.text().contains("sdes_without_tls"), "{}", a.text());
    let upd = json!({"name": "carrier2", "realm": "outside", "peers": ["udp:127.0.0.3:5080"],
        "srtp": "required", "srtp_suites": ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"],
        "sdes_without_tls": true});
    let a = env
        .write(&c, Method::PUT, "/api/trunks/carrier2", &upd.to_string())
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(env.file().contains("srtp = \"required\""));
    assert!(env.file().contains("sdes_without_tls = true"));
    let one = env.get(&c, "/api/trunks/carrier2").await;
    assert_eq!(one.json()["srtp_suites"][0], "AEAD_AES_128_GCM");
    assert!(!env.file().contains("max_calls"));

    let a = env
        .write(&c, Method::DELETE, "/api/trunks/carrier2", "")
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(!env.file().contains("carrier2"));
    assert_eq!(
        env.get(&c, "/api/trunks/carrier2").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        applied(&mut env)
            .expect("applied")
            .trunk("carrier2")
            .is_none()
    );

    // The audit log has each change with its diff.
    let audit = env.get(&c, "/api/audit").await.json();
    let actions: Vec<&str> = audit
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"trunk.create carrier2"), "{actions:?}");
    assert!(actions.contains(&"trunk.delete carrier2"), "{actions:?}");
    let created = audit
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["action"] == "trunk.create carrier2")
        .expect("entry");
    assert!(
        created["diff"]
            .as_str()
            .expect("diff")
            .contains("+name = \"carrier2\"")
    );
    assert_eq!(created["user"], "admin");
}

#[tokio::test]
async fn invalid_values_name_the_field() {
    let env = Env::new("invalid");
    let c = env.ready().await;
    let cases = [
        (
            json!({"name": "t", "realm": "outside", "peers": ["udp:10.0.0.300:5060"]}),
            "trunk[2].peers[0]",
        ),
        (
            json!({"name": "t", "realm": "nowhere", "peers": ["udp:127.0.0.3:5060"]}),
            "trunk[2].realm",
        ),
        (
            json!({"name": "t", "realm": "outside", "peers": ["udp:127.0.0.3:5060"], "max_calls": "ten"}),
            "trunk[2].max_calls",
        ),
        (
            json!({"name": "t", "realm": "outside", "peers": ["udp:127.0.0.3:5060"], "colour": 1}),
            "trunk[2]",
        ),
        (
            json!({"name": "pbx", "realm": "outside", "peers": ["udp:127.0.0.3:5060"]}),
            "trunk[2].name",
        ),
    ];
    for (body, field) in cases {
        let a = env
            .write(&c, Method::POST, "/api/trunks", &body.to_string())
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text()
        );
        let j = a.json();
        assert!(
            j["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{body}: {j}"
        );
        assert!(j["error"].is_string());
    }
    let a = env
        .write(
            &c,
            Method::POST,
            "/api/routes",
            r#"{"from":"carrier","to":"nobody"}"#,
        )
        .await;
    assert_eq!(a.json()["field"], "route[1].to");
    let a = env
        .write(&c, Method::PUT, "/api/acl", r#"{"allow":["10.0.0.0/33"]}"#)
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(
        a.json()["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("firewall.allow")),
        "{}",
        a.text()
    );
    // Nothing was saved.
    assert_eq!(env.file(), common::CONFIG);
}

#[tokio::test]
async fn stale_or_missing_versions_are_refused() {
    let env = Env::new("etag");
    let c = env.ready().await;
    let body =
        json!({"name": "t", "realm": "outside", "peers": ["udp:127.0.0.3:5060"]}).to_string();
    let headers = |v: &'static str| {
        vec![
            ("cookie", c.cookie.clone()),
            ("x-csrf-token", c.csrf.clone()),
            ("if-match", v.to_owned()),
        ]
    };
    let send = |h: Vec<(&'static str, String)>| {
        let body = body.clone();
        let env = &env;
        async move {
            let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            env.request(Method::POST, "/api/trunks", &h, body).await
        }
    };
    let mut no_match = headers("1");
    no_match.pop();
    assert_eq!(
        send(no_match).await.status,
        StatusCode::PRECONDITION_REQUIRED
    );
    let a = send(headers("\"7\"")).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["version"], 1);
    assert_eq!(
        a.json()["error"],
        "the configuration changed since you loaded it"
    );

    // A hand edit of the file makes the version the client holds stale.
    std::fs::write(&env.path, common::CONFIG.replace("edge-test", "edge-hand")).expect("edit");
    let a = send(headers("\"1\"")).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["version"], 2);
    assert!(send(headers("\"2\"")).await.status.is_success());
    assert!(env.file().contains("edge-hand"), "the hand edit is kept");
}

#[tokio::test]
async fn routes_realms_and_acl() {
    let env = Env::new("routes");
    let c = env.ready().await;
    let a = env
        .write(
            &c,
            Method::POST,
            "/api/routes",
            r#"{"from":"pbx","match_user":"^9(\\d+)$","rewrite_user":"$1","to":"carrier"}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let routes = env.get(&c, "/api/routes").await.json();
    assert_eq!(routes[1]["to"], "carrier");
    assert_eq!(env.get(&c, "/api/routes/1").await.json()["from"], "pbx");
    assert_eq!(
        env.get(&c, "/api/routes/9").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get(&c, "/api/routes/x").await.status,
        StatusCode::NOT_FOUND
    );
    let a = env.write(&c, Method::DELETE, "/api/routes/0", "").await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env.get(&c, "/api/routes")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let realm = json!({"name": "dmz", "listen": ["udp:127.0.0.4:5060"], "media_ip": "127.0.0.4", "media_ports": "22000-22999"});
    let a = env
        .write(&c, Method::POST, "/api/realms", &realm.to_string())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let bad = json!({"name": "dmz", "listen": ["udp:127.0.0.4:5060"], "media_ip": "127.0.0.4", "media_ports": "22001-22999"});
    let a = env
        .write(&c, Method::PUT, "/api/realms/dmz", &bad.to_string())
        .await;
    assert_eq!(a.json()["field"], "realm[2].media_ports", "{}", a.text());
    // A realm in use by a trunk cannot go.
    let a = env
        .write(&c, Method::DELETE, "/api/realms/inside", "")
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);

    let a = env
        .write(
            &c,
            Method::PUT,
            "/api/acl",
            r#"{"allow":["10.0.0.0/8"],"deny":["192.0.2.0/24"]}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let acl = env.get(&c, "/api/acl").await.json();
    assert_eq!(
        acl,
        json!({"allow": ["10.0.0.0/8"], "deny": ["192.0.2.0/24"]})
    );
    assert!(
        env.file()
            .contains("[firewall]\nenabled = false\nallow = [\"10.0.0.0/8\"]"),
        "{}",
        env.file()
    );
}

#[tokio::test]
async fn whole_file_versions_and_rollback() {
    let env = Env::new("file");
    let c = env.ready().await;
    let a = env.get(&c, "/api/config").await;
    assert_eq!(a.text(), common::CONFIG);
    assert!(
        a.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain"))
    );
    let a = env
        .write(&c, Method::PUT, "/api/config", "[system\nname=")
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = env
        .write(
            &c,
            Method::PUT,
            "/api/config",
            &common::CONFIG.replace("edge-test", "edge-9"),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert_eq!(a.etag(), "\"2\"");
    let versions = env.get(&c, "/api/config/versions").await.json();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["by"], "admin");
    assert_eq!(versions[1]["by"], "file");
    let a = env
        .write(&c, Method::POST, "/api/config/rollback/1", "")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["version"], 3);
    assert_eq!(env.file(), common::CONFIG);
    assert_eq!(
        env.write(&c, Method::POST, "/api/config/rollback/99", "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Status reflects the applied name.
    assert_eq!(env.get(&c, "/api/status").await.json()["name"], "edge-test");
}

#[tokio::test]
async fn oversize_bodies_are_refused() {
    let env = Env::new("oversize");
    let c = env.ready().await;
    let big = "#".repeat(1024 * 1024 + 1);
    let a = env.write(&c, Method::PUT, "/api/config", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.json()["error"].is_string());
    let cert =
        json!({"name": "big", "cert_pem": "x".repeat(300 * 1024), "key_pem": ""}).to_string();
    let a = env
        .write(&c, Method::POST, "/api/certificates", &cert)
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(env.file(), common::CONFIG);
}

/// A body that is JSON but not an object is 422 naming the entry, not its elements.
#[tokio::test]
async fn bodies_that_are_not_objects_are_refused() {
    let env = Env::new("not-object");
    let c = env.ready().await;
    for body in ["[1, 2]", "\"trunk\"", "42", "null"] {
        let a = env.write(&c, Method::POST, "/api/trunks", body).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text()
        );
        assert_eq!(a.json()["field"], "trunk[2]", "{body}");
        let a = env.write(&c, Method::PUT, "/api/acl", body).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text()
        );
        assert_eq!(a.json()["field"], "firewall", "{body}");
    }
    let a = env
        .request(Method::POST, "/api/login", &[], "[\"admin\"]")
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(env.file(), common::CONFIG);
}

/// A change that would cut the operator making it off from management (their address
/// out of `management.allow`, or dropped by `firewall.deny` with the firewall on) is
/// refused with the key, nothing applied or saved; the same lists without the
/// operator's address go through.
#[tokio::test]
async fn changes_that_would_lock_the_operator_out_are_refused() {
    let mut env = Env::new("lockout");
    let c = env.ready().await;
    let text = env.file();
    let outside = text.replace(r#"allow = ["127.0.0.0/8"]"#, r#"allow = ["10.0.0.0/8"]"#);
    assert_ne!(outside, text);
    let a = env.write(&c, Method::PUT, "/api/config", &outside).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "management.allow");
    assert!(a.text().contains("127.0.0.1"), "{}", a.text());
    assert_eq!(env.file(), text);
    assert!(applied(&mut env).is_none());
    // Both networks, and the firewall on: fine from loopback.
    let both = text
        .replace(
            r#"allow = ["127.0.0.0/8"]"#,
            r#"allow = ["127.0.0.0/8", "10.0.0.0/8"]"#,
        )
        .replace("enabled = false", "enabled = true");
    let a = env.write(&c, Method::PUT, "/api/config", &both).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert!(applied(&mut env).is_some());
    // Loopback is never filtered: denying it does not cut off a loopback client.
    let a = env
        .write(&c, Method::PUT, "/api/acl", r#"{"deny": ["127.0.0.0/8"]}"#)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(applied(&mut env).is_some());
    // An operator at 10.1.2.3 cannot deny their own address...
    env.peer = "10.1.2.3:40000".parse().expect("addr");
    let saved = env.file();
    let body = r#"{"deny": ["192.0.2.0/24", "10.1.0.0/16"]}"#;
    let a = env.write(&c, Method::PUT, "/api/acl", body).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "firewall.deny[1]");
    assert_eq!(env.file(), saved);
    assert!(applied(&mut env).is_none());
    // ...but other addresses.
    let a = env
        .write(&c, Method::PUT, "/api/acl", r#"{"deny": ["192.0.2.0/24"]}"#)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(applied(&mut env).is_some());
}

/// A body announced larger than the limit is refused before it is read; a body that does
/// not arrive (slow, or shorter than its `Content-Length`) is cut off with 408, so such
/// clients cannot hold the management connections. Public routes included.
#[tokio::test(start_paused = true)]
async fn lying_or_slow_bodies_are_cut_off() {
    use axum::body::{Body, Bytes};
    let env = Env::new("slow-body");
    // One byte, then nothing, forever.
    let stalled = || {
        let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{"))]);
        Body::from_stream(futures_util::StreamExt::chain(
            first,
            futures_util::stream::pending(),
        ))
    };
    let huge = env.request(
        Method::POST,
        "/api/login",
        &[
            ("content-length", "99999999999"),
            ("content-type", "application/json"),
        ],
        stalled(),
    );
    let a = tokio::time::timeout(std::time::Duration::from_secs(1), huge)
        .await
        .expect("answered before any body arrived");
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    let started = tokio::time::Instant::now();
    let a = env
        .request(
            Method::POST,
            "/api/login",
            &[
                ("content-length", "100"),
                ("content-type", "application/json"),
            ],
            stalled(),
        )
        .await;
    assert_eq!(a.status, StatusCode::REQUEST_TIMEOUT, "{}", a.text());
    assert!(a.json()["error"].is_string());
    assert!(started.elapsed() >= sbc_mgmt::body::BODY_TIMEOUT);
}

/// The daemon refuses a change (as when the kernel refuses the firewall ruleset or a TLS
/// file does not load): 422 with its reason and key, nothing saved, no new version, no
/// audit entry; once it accepts again the same write goes through.
#[tokio::test]
async fn a_change_the_daemon_refuses_is_not_saved() {
    let mut env = Env::new("refused");
    let c = env.ready().await;
    env.daemon
        .set_refusal(Some(sbc_mgmt::live::ApplyError::Refused {
            field: Some("realm[0].tls_cert".to_owned()),
            reason: "/x/cert.pem: cannot read certificates".to_owned(),
        }));
    let new = json!({"name": "carrier2", "realm": "outside", "peers": ["udp:127.0.0.3:5080"]});
    let a = env
        .write(&c, Method::POST, "/api/trunks", &new.to_string())
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let body = a.json();
    assert_eq!(body["field"], "realm[0].tls_cert");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read certificates") && e.contains("not saved")),
        "{body}"
    );
    assert_eq!(env.file(), common::CONFIG);
    assert_eq!(env.version(&c).await, "\"1\"");
    assert_eq!(
        env.get(&c, "/api/config/versions").await.json()[0]["version"],
        1
    );
    let audit = env.get(&c, "/api/audit").await.text();
    assert!(!audit.contains("trunk.create"), "{audit}");
    assert_eq!(
        env.get(&c, "/api/trunks/carrier2").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(applied(&mut env).is_none());

    // A failure of the daemon itself: 500, nothing saved either.
    env.daemon
        .set_refusal(Some(sbc_mgmt::live::ApplyError::Failed {
            reason: "the core is gone".to_owned(),
        }));
    let a = env
        .write(
            &c,
            Method::PUT,
            "/api/config",
            &common::CONFIG.replace("edge-test", "x"),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.text());
    assert_eq!(env.file(), common::CONFIG);

    env.daemon.set_refusal(None);
    let a = env
        .write(&c, Method::POST, "/api/trunks", &new.to_string())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert!(env.file().contains("carrier2"));
    assert!(applied(&mut env).is_some_and(|cfg| cfg.trunk("carrier2").is_some()));
    assert!(a.headers.get(sbc_mgmt::restart::HEADER).is_none());
}

/// Settings read only at start are saved, applied for the rest, and named in the answer
/// and in /api/system until they are changed back.
#[tokio::test]
async fn settings_read_at_start_say_they_wait_for_a_restart() {
    let env = Env::new("restart");
    let c = env.ready().await;
    let changed = common::CONFIG
        .replace("listen = \"127.0.0.1:8443\"", "listen = \"127.0.0.1:9443\"")
        .replace("enabled = false", "enabled = true")
        .replace("\"udp:127.0.0.1:5060\"]", "\"udp:127.0.0.1:5062\"]");
    let a = env.write(&c, Method::PUT, "/api/config", &changed).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    let pending = a
        .headers
        .get(sbc_mgmt::restart::HEADER)
        .and_then(|v| v.to_str().ok())
        .expect("a restart note")
        .to_owned();
    assert_eq!(
        pending, "management.listen, firewall.enabled, realm[0].listen",
        "{pending}"
    );
    assert!(env.file().contains("127.0.0.1:9443"));
    let system = env.get(&c, "/api/system").await.json();
    assert_eq!(
        system["restart_required"],
        json!(["management.listen", "firewall.enabled", "realm[0].listen"])
    );
    // A live-only change still reports what is pending; going back clears it.
    let a = env
        .write(&c, Method::PUT, "/api/config", common::CONFIG)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert!(a.headers.get(sbc_mgmt::restart::HEADER).is_none());
    assert_eq!(
        env.get(&c, "/api/system").await.json()["restart_required"],
        json!([])
    );
}
