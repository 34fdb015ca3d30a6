//! `/api/system/network`: settings validated with key paths and handed to the privileged
//! helper as `state_dir/network/request.json`; confirm leaves its file; GET shows the
//! helper's status and saved settings.

mod common;

use axum::http::{Method, StatusCode};
use common::{Client, Env};

async fn put(env: &Env, c: &Client, body: &str) -> common::Answer {
    env.request(
        Method::PUT,
        "/api/system/network",
        &[
            ("cookie", &c.cookie),
            ("x-csrf-token", &c.csrf),
            ("content-type", "application/json"),
        ],
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn valid_settings_become_a_request_for_the_helper() {
    let env = Env::new("network-ok");
    let c = env.ready().await;
    let a = env.get(&c, "/api/system/network").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["status"]["state"].as_str(), Some("idle"));

    let body = r#"{"hostname":"edge-7","timezone":"Europe/Berlin","dns":["192.0.2.53"],
        "interfaces":[{"name":"eth0","mode":"static","addresses":["192.0.2.10/24"],"gateway":"192.0.2.1"},
                      {"name":"eth0.100","mode":"dhcp"}]}"#;
    let a = put(&env, &c, body).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    assert_eq!(a.json()["confirm_within_seconds"].as_u64(), Some(60));
    let dir = env.dir.join("state/network");
    let request = std::fs::read_to_string(dir.join("request.json")).expect("request");
    let parsed: sbc_config::network::NetworkSettings =
        serde_json::from_str(&request).expect("the helper can read it");
    assert_eq!(parsed.interfaces.len(), 2);
    assert_eq!(parsed.hostname.as_deref(), Some("edge-7"));
    let a = env.get(&c, "/api/system/network").await;
    assert_eq!(a.json()["status"]["state"].as_str(), Some("requested"));

    // What the helper reports is what the UI sees.
    std::fs::remove_file(dir.join("request.json")).expect("consumed");
    std::fs::write(
        dir.join("status.json"),
        r#"{"state":"pending","message":"confirm within 60 s"}"#,
    )
    .expect("status");
    std::fs::write(
        dir.join("saved.json"),
        r#"{"interfaces":[{"name":"eth0","mode":"dhcp"}]}"#,
    )
    .expect("saved");
    let a = env.get(&c, "/api/system/network").await;
    assert_eq!(a.json()["status"]["state"].as_str(), Some("pending"));
    assert_eq!(
        a.json()["settings"]["interfaces"][0]["name"].as_str(),
        Some("eth0")
    );

    let a = env
        .request(
            Method::POST,
            "/api/system/network/confirm",
            &[("cookie", &c.cookie), ("x-csrf-token", &c.csrf)],
            String::new(),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    assert!(dir.join("confirm").exists());
}

#[tokio::test]
async fn invalid_settings_are_422_naming_every_key_and_nothing_is_written() {
    let env = Env::new("network-bad");
    let c = env.ready().await;
    let body = r#"{"hostname":"-x-","interfaces":[{"name":"eth0","mode":"static","addresses":["10.0.0.1"]}]}"#;
    let a = put(&env, &c, body).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"].as_str(), Some("hostname"));
    let fields: Vec<String> = a.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(fields, ["hostname", "interfaces[0].addresses[0]"]);
    let a = put(
        &env,
        &c,
        r#"{"interfaces":[{"name":"eth0","mode":"dhcp","mtu":1500}]}"#,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(!env.dir.join("state/network/request.json").exists());
}
