//! `POST /api/rules/test`: the header rule tester answers the message as the rules leave
//! it and what each rule did; a refused rule is a 422 naming its key path.

mod common;

use axum::http::{Method, StatusCode};
use common::Env;
use serde_json::json;

const INVITE: &str = "INVITE sip:+4930555@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\nFrom: <sip:a@10.0.0.1>;tag=1\nTo: <sip:+4930555@10.0.0.2>\nCall-ID: c1\nCSeq: 1 INVITE\nContent-Length: 0\n\n";

#[tokio::test]
async fn the_tester_shows_the_rewritten_message_and_each_outcome() {
    let env = Env::new("rule-tester");
    let c = env.ready().await;
    let body = json!({
        "message": INVITE,
        "rule": [
            {"action": "replace", "header": "Request-URI", "uri_part": "user",
             "match": "^\\+49(\\d+)$", "value": "0$1"},
            {"method": "BYE", "action": "remove", "header": "X-A"},
            {"action": "set", "header": "X-Profile", "value": "lab"}
        ]
    });
    let a = env
        .write(&c, Method::POST, "/api/rules/test", &body.to_string())
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let r = a.json();
    let message = r["message"].as_str().expect("message");
    assert!(
        message.starts_with("INVITE sip:030555@10.0.0.2 SIP/2.0\r\n"),
        "{message}"
    );
    assert!(message.contains("X-Profile: lab\r\n"), "{message}");
    assert_eq!(r["changed"], true);
    let results: Vec<&str> = r["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["result"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(results, ["changed", "not applicable", "changed"]);
}

#[tokio::test]
async fn a_rule_that_would_break_a_message_is_422_with_its_key_path() {
    let env = Env::new("rule-tester-422");
    let c = env.ready().await;
    let body = json!({
        "message": INVITE,
        "rule": [
            {"action": "set", "header": "X-Ok", "value": "1"},
            {"action": "remove", "header": "Call-ID"}
        ]
    });
    let a = env
        .write(&c, Method::POST, "/api/rules/test", &body.to_string())
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "rule[1].header");
    let body = json!({"message": "no colon here\nnor here", "rule": []});
    let a = env
        .write(&c, Method::POST, "/api/rules/test", &body.to_string())
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(a.json()["field"], "message");
}

#[tokio::test]
async fn a_rule_reading_the_other_leg_uses_the_message_given_as_other() {
    let env = Env::new("rule-tester-other");
    let c = env.ready().await;
    let rule = json!([{"action": "set", "header": "P-Asserted-Identity",
                       "value": "${other.P-Asserted-Identity}"}]);
    let other = "INVITE sip:+4930555@10.9.0.1 SIP/2.0\nFrom: <sip:a@carrier>;tag=9\nP-Asserted-Identity: <sip:+4930111@carrier.example>\n\n";
    let body = json!({"message": INVITE, "rule": rule, "other": other});
    let a = env
        .write(&c, Method::POST, "/api/rules/test", &body.to_string())
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let message = a.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("P-Asserted-Identity: <sip:+4930111@carrier.example>\r\n"),
        "{message}"
    );
    // Without the other leg's message the rule is refused and nothing changes.
    let body = json!({"message": INVITE, "rule": rule});
    let a = env
        .write(&c, Method::POST, "/api/rules/test", &body.to_string())
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let r = a.json();
    assert_eq!(r["changed"], false);
    assert_eq!(r["outcomes"][0]["result"], "refused");
    assert!(
        r["outcomes"][0]["reason"]
            .as_str()
            .is_some_and(|s| s.contains("no message of the other leg")),
        "{r}"
    );
}
