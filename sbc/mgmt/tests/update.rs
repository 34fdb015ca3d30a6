//! `/api/system/update`: a bundle streamed to `state_dir/update/` with an installation
//! request beside it; what is not a bundle, too late or a second one is refused.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{Client, Env};

async fn upload(env: &Env, c: &Client, body: Vec<u8>) -> common::Answer {
    env.request(
        Method::POST,
        "/api/system/update",
        &[
            ("cookie", &c.cookie),
            ("x-csrf-token", &c.csrf),
            ("content-type", "application/octet-stream"),
        ],
        Body::from(body),
    )
    .await
}

/// Two MiB starting like a squashfs image (a bundle's first bytes), larger than the
/// 1 MiB limit of every other route.
fn bundle() -> Vec<u8> {
    let mut b = b"hsqs".to_vec();
    b.extend((0..2 * 1024 * 1024).map(|i| (i % 251) as u8));
    b
}

#[tokio::test]
async fn a_bundle_is_stored_with_an_installation_request() {
    let env = Env::new("update-ok");
    let c = env.ready().await;
    let a = env.get(&c, "/api/system/update").await;
    assert_eq!(
        (a.status, a.json()["state"].as_str()),
        (StatusCode::OK, Some("idle"))
    );

    let body = bundle();
    let a = upload(&env, &c, body.clone()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    assert_eq!(a.json()["bytes"].as_u64(), Some(body.len() as u64));
    let dir = env.dir.join("state/update");
    assert_eq!(
        std::fs::read(dir.join("bundle.raucb")).expect("bundle"),
        body
    );
    let request = std::fs::read_to_string(dir.join("request")).expect("request");
    assert!(request.contains("\"user\":\"admin\""), "{request}");
    assert!(!dir.join("upload.part").exists());
    let a = env.get(&c, "/api/system/update").await;
    assert_eq!(a.json()["state"].as_str(), Some("queued"));

    // A second upload while one waits is refused; the first stays.
    let a = upload(&env, &c, bundle()).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert!(dir.join("bundle.raucb").exists());

    // The installer's status file is what the UI sees.
    std::fs::remove_file(dir.join("request")).expect("consume the request");
    std::fs::write(
        dir.join("status.json"),
        r#"{"state":"failed","message":"signature verification failed"}"#,
    )
    .expect("status");
    let a = env.get(&c, "/api/system/update").await;
    assert_eq!(a.json()["state"].as_str(), Some("failed"));
    assert_eq!(
        a.json()["message"].as_str(),
        Some("signature verification failed")
    );
    let audit = std::fs::read_to_string(env.dir.join("state/audit.log")).expect("audit");
    assert!(audit.contains("system.update"), "{audit}");
}

#[tokio::test]
async fn what_is_not_a_bundle_is_refused_and_nothing_is_left() {
    let env = Env::new("update-bad");
    let c = env.ready().await;
    let a = upload(&env, &c, b"#!/bin/sh\necho not a bundle\n".to_vec()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(a.text().contains("not a RAUC bundle"), "{}", a.text());
    let dir = env.dir.join("state/update");
    assert!(!dir.join("bundle.raucb").exists());
    assert!(!dir.join("upload.part").exists());
    assert!(!dir.join("request").exists());
}

#[tokio::test]
async fn an_upload_needs_a_session_and_the_csrf_token() {
    let env = Env::new("update-auth");
    let c = env.ready().await;
    let a = env
        .request(
            Method::POST,
            "/api/system/update",
            &[],
            Body::from(bundle()),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = env
        .request(
            Method::POST,
            "/api/system/update",
            &[("cookie", &c.cookie)],
            Body::from(bundle()),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!env.dir.join("state/update/bundle.raucb").exists());
}
