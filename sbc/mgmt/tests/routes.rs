//! Every route of the router: 401 without a session, 403 without the CSRF token on
//! state-changing methods, served (neither 404 nor 405) with both, and listed in the
//! OpenAPI document.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::Env;
use sbc_mgmt::live::Command;
use sbc_mgmt::openapi::ROUTES;

/// A concrete URI for a route path.
fn uri(path: &str) -> String {
    let name = if path.starts_with("/api/realms") {
        "outside"
    } else {
        "carrier"
    };
    path.replace("{name}", name)
        .replace("{index}", "0")
        .replace("{address}", "192.0.2.1")
        .replace("{version}", "1")
        .replace("{call}", "1")
}

/// A body that makes sense for the route (validity does not matter here).
fn body(method: &str, path: &str) -> String {
    match (method, path) {
        ("PUT", "/api/config") => common::CONFIG.to_owned(),
        ("POST", "/api/trunks") | ("PUT", "/api/trunks/{name}") => {
            r#"{"name":"carrier","realm":"outside","peers":["udp:127.0.0.1:5080"]}"#.to_owned()
        }
        ("POST", "/api/realms") | ("PUT", "/api/realms/{name}") => {
            r#"{"name":"x","listen":["udp:127.0.0.3:5060"],"media_ip":"127.0.0.3","media_ports":"22000-22999"}"#.to_owned()
        }
        ("POST", "/api/routes") | ("PUT", "/api/routes/{index}") => {
            r#"{"from":"pbx","to":"carrier"}"#.to_owned()
        }
        ("PUT", "/api/acl") => r#"{"allow":[],"deny":[]}"#.to_owned(),
        ("POST", "/api/certificates") => r#"{"name":"x","cert_pem":"","key_pem":""}"#.to_owned(),
        ("POST", "/api/rules/test") => {
            r#"{"message":"OPTIONS sip:a SIP/2.0\nCSeq: 1 OPTIONS\n\n","rule":[]}"#.to_owned()
        }
        _ => String::new(),
    }
}

fn method(m: &str) -> Method {
    m.parse().expect("method")
}

/// Plays the daemon: 192.0.2.1 is banned; applies and restarts are accepted.
fn daemon(env: &mut Env) -> tokio::task::JoinHandle<Vec<String>> {
    let (_, rx) = tokio::sync::mpsc::channel(1);
    let mut commands = std::mem::replace(&mut env.daemon.commands, rx);
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(c) = commands.recv().await {
            match c {
                Command::Apply { .. } => seen.push("apply".to_owned()),
                Command::Unban { address, reply } => {
                    seen.push(format!("unban {address}"));
                    let _ = reply.send(Ok(address.to_string() == "192.0.2.1"));
                }
                Command::Restart => seen.push("restart".to_owned()),
                Command::Drain { drain, reply } => {
                    seen.push(format!("drain {drain}"));
                    let _ = reply.send(());
                }
                Command::Capture { call, on, reply } => {
                    seen.push(format!("capture {call} {on}"));
                    let _ = reply.send(Ok(sbc_mgmt::ladder::RtpCapture {
                        capturing: on,
                        ..Default::default()
                    }));
                }
                Command::Ladder { call, reply, .. } => {
                    seen.push(format!("ladder {call}"));
                    let ladder = sbc_mgmt::ladder::LadderView {
                        call,
                        ..Default::default()
                    };
                    let _ = reply.send(Some(ladder));
                }
            }
        }
        seen
    })
}

#[tokio::test]
async fn every_protected_route_needs_a_session() {
    let env = Env::new("no-session");
    env.setup().await;
    for r in ROUTES.iter().filter(|r| !r.public) {
        let a = env
            .request(method(r.method), &uri(r.path), &[], body(r.method, r.path))
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "{} {}",
            r.method,
            r.path
        );
        assert!(a.json()["error"].is_string());
        // A made-up session is no session either.
        let a = env
            .request(
                method(r.method),
                &uri(r.path),
                &[("cookie", "sbc_session=00ff")],
                body(r.method, r.path),
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn state_changing_routes_need_the_csrf_token() {
    let env = Env::new("no-csrf");
    let c = env.ready().await;
    let version = env.version(&c).await;
    for r in ROUTES.iter().filter(|r| !r.public && r.method != "GET") {
        for token in [None, Some("wrong")] {
            let mut headers = vec![
                ("cookie", c.cookie.as_str()),
                ("if-match", version.as_str()),
            ];
            if let Some(t) = token {
                headers.push(("x-csrf-token", t));
            }
            let a = env
                .request(
                    method(r.method),
                    &uri(r.path),
                    &headers,
                    body(r.method, r.path),
                )
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{} {}", r.method, r.path);
            assert_eq!(a.json()["error"], "missing or invalid CSRF token");
        }
    }
    // Nothing changed.
    assert_eq!(env.file(), common::CONFIG);
}

#[tokio::test]
async fn every_route_is_served_with_a_session() {
    let mut env = Env::new("served");
    let commands = daemon(&mut env);
    let c = env.ready().await;
    let mut logout = None;
    for r in ROUTES {
        if r.path == "/api/logout" {
            logout = Some(r);
            continue;
        }
        let a = if r.method == "GET" {
            if r.path == "/api/events" {
                // A stream: checked in live.rs; here only that it is routed.
                continue;
            }
            env.get(&c, &uri(r.path)).await
        } else if r.public {
            env.request(method(r.method), r.path, &[], body(r.method, r.path))
                .await
        } else {
            env.write(&c, method(r.method), &uri(r.path), &body(r.method, r.path))
                .await
        };
        assert!(
            !matches!(
                a.status,
                StatusCode::NOT_FOUND
                    | StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::UNAUTHORIZED
                    | StatusCode::INTERNAL_SERVER_ERROR
            ),
            "{} {}: {} {}",
            r.method,
            r.path,
            a.status,
            a.text()
        );
        if a.status.is_client_error() {
            assert!(a.json()["error"].is_string(), "{} {}", r.method, r.path);
        }
    }
    let r = logout.expect("logout is a route");
    let a = env.write(&c, method(r.method), r.path, "").await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env.get(&c, "/api/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(!env.daemon.take_applied().is_empty(), "a write applied");
    drop(env);
    let seen = commands.await.expect("daemon task");
    assert!(seen.contains(&"unban 192.0.2.1".to_owned()), "{seen:?}");
    assert!(seen.contains(&"restart".to_owned()), "{seen:?}");
    assert!(seen.contains(&"drain true".to_owned()), "{seen:?}");
    assert!(seen.contains(&"drain false".to_owned()), "{seen:?}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let env = Env::new("openapi");
    let c = env.ready().await;
    let doc = env.get(&c, "/api/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for m in ops.as_object().expect("operations").keys() {
            documented.insert((m.to_uppercase(), path.clone()));
        }
    }
    let routes: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, routes);
    // Every route that reads a body documents it.
    for (method, path) in [
        ("post", "/api/setup"),
        ("post", "/api/login"),
        ("post", "/api/trunks"),
        ("put", "/api/trunks/{name}"),
        ("post", "/api/routes"),
        ("put", "/api/routes/{index}"),
        ("post", "/api/realms"),
        ("put", "/api/realms/{name}"),
        ("put", "/api/acl"),
        ("post", "/api/certificates"),
        ("put", "/api/config"),
    ] {
        assert!(
            doc["paths"][path][method]["requestBody"]["content"].is_object(),
            "{method} {path} documents no request body"
        );
    }
    // Public routes are marked as needing no security.
    assert_eq!(
        doc["paths"]["/api/login"]["post"]["security"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn unknown_api_paths_are_json_404() {
    let env = Env::new("unknown");
    let c = env.ready().await;
    let a = env.get(&c, "/api/nothing").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["error"].is_string());
    let a = env
        .request(
            Method::PATCH,
            "/api/trunks",
            &[("cookie", &c.cookie), ("x-csrf-token", &c.csrf)],
            Body::empty(),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_openapi_schemas_match_what_the_api_returns() {
    let env = Env::new("schemas");
    let c = env.ready().await;
    let doc = env.get(&c, "/api/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    // Every key a listed trunk, route or realm has is a property of its schema.
    for (uri, schema) in [
        ("/api/trunks", "Trunk"),
        ("/api/routes", "Route"),
        ("/api/realms", "Realm"),
    ] {
        let props = schemas[schema]["properties"].as_object().expect(schema);
        for entry in env.get(&c, uri).await.json().as_array().expect(uri) {
            for key in entry.as_object().expect("object").keys() {
                assert!(props.contains_key(key), "{schema} lacks {key}");
            }
        }
    }
    // And every referenced schema exists.
    let text = doc.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().expect("name");
        assert!(schemas.get(name).is_some(), "no schema {name}");
    }
}
