//! Setup token, password rules, login, lockout, sessions, the allow list.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::{Env, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn setup_sets_the_password_once_with_the_token() {
    let env = Env::new("setup");
    let token = env.token();
    let token_file = env.dir.join("state/setup-token");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("token")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let a = env.request(Method::GET, "/api/setup", &[], "").await;
    assert_eq!(a.json(), json!({"needed": true}));
    // No session can exist before the password: login is refused.
    let login = json!({"username": "admin", "password": PASSWORD}).to_string();
    let a = env
        .request(Method::POST, "/api/login", &[], login.clone())
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);

    let wrong = json!({"token": "0".repeat(48), "password": PASSWORD}).to_string();
    let a = env.request(Method::POST, "/api/setup", &[], wrong).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let short = json!({"token": token, "password": "short"}).to_string();
    let a = env.request(Method::POST, "/api/setup", &[], short).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["field"], "password");
    let bad = r#"{"token": 5}"#;
    let a = env.request(Method::POST, "/api/setup", &[], bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let a = env
        .request(Method::POST, "/api/setup", &[], "{not json")
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    env.setup().await;
    assert!(!token_file.exists(), "the token is retired");
    let hash = std::fs::read_to_string(env.dir.join("state/admin.hash")).expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let again = json!({"token": token, "password": "another long password"}).to_string();
    let a = env.request(Method::POST, "/api/setup", &[], again).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = env.request(Method::GET, "/api/setup", &[], "").await;
    assert_eq!(a.json(), json!({"needed": false}));
    env.login().await;
}

#[tokio::test]
async fn five_failures_lock_the_login_even_for_the_right_password() {
    let env = Env::new("lockout");
    env.setup().await;
    let wrong = json!({"username": "admin", "password": "not the password"}).to_string();
    for _ in 0..5 {
        let a = env
            .request(Method::POST, "/api/login", &[], wrong.clone())
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let right = json!({"username": "admin", "password": PASSWORD}).to_string();
    let a = env.request(Method::POST, "/api/login", &[], right).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = a
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
}

#[tokio::test]
async fn session_info_and_logout() {
    let env = Env::new("session");
    let c = env.ready().await;
    let s = env.get(&c, "/api/session").await.json();
    assert_eq!(s["user"], "admin");
    assert_eq!(s["csrf"], c.csrf.as_str());
    assert!(s["idle_expires_in"].as_u64().is_some_and(|n| n > 0));
    let a = env.write(&c, Method::POST, "/api/logout", "").await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let cleared = a
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(
        env.get(&c, "/api/status").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    // An idle timeout of zero: every session is expired by its next request.
    let env = Env::with("idle", Some(Duration::ZERO));
    let c = env.ready().await;
    assert_eq!(
        env.get(&c, "/api/status").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn clients_outside_the_allow_list_get_403_for_everything() {
    let mut env = Env::new("allow");
    env.peer = "192.0.2.50:40000".parse().expect("addr");
    for (m, p) in [
        (Method::GET, "/"),
        (Method::GET, "/api/setup"),
        (Method::POST, "/api/login"),
        (Method::GET, "/api/status"),
    ] {
        let a = env.request(m, p, &[], "").await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{p}");
    }
    // IPv4-mapped IPv6 loopback is loopback.
    env.peer = "[::ffff:127.0.0.1]:40000".parse().expect("addr");
    assert_eq!(
        env.request(Method::GET, "/api/setup", &[], "").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn answers_carry_security_headers() {
    let env = Env::new("headers");
    let a = env.request(Method::GET, "/api/setup", &[], "").await;
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
    ] {
        assert!(a.headers.contains_key(h), "{h}");
    }
    assert_eq!(
        a.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

/// A page on another site cannot post logins (to lock the operator out) or the setup:
/// what browsers mark as cross-site is refused before it counts as a failure; the UI's
/// own requests (same origin) and non-browser clients pass.
#[tokio::test]
async fn cross_site_logins_are_refused_and_do_not_count() {
    let env = Env::new("cross-site");
    env.setup().await;
    let wrong = json!({"password": "not the password at all"}).to_string();
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[
            ("host", "127.0.0.1:8443"),
            ("origin", "https://evil.example"),
        ][..],
        &[("host", "127.0.0.1:8443"), ("origin", "null")][..],
    ] {
        for _ in 0..6 {
            let a = env
                .request(Method::POST, "/api/login", headers, wrong.clone())
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{headers:?}: {}", a.text());
        }
    }
    let a = env
        .request(
            Method::POST,
            "/api/setup",
            &[("sec-fetch-site", "cross-site")],
            json!({"token": "x", "password": "y"}).to_string(),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Not locked: the same-origin UI logs in.
    let same = [
        ("host", "127.0.0.1:8443"),
        ("origin", "https://127.0.0.1:8443"),
        ("sec-fetch-site", "same-origin"),
    ];
    let right = json!({"password": common::PASSWORD}).to_string();
    let a = env.request(Method::POST, "/api/login", &same, right).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}
