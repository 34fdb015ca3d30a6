//! A management app over a real config file in a temporary directory, driven with
//! `oneshot`; the test plays the daemon's end of the live channels: [`FakeDaemon`]
//! answers applies itself (accepting them, or refusing with what the test set) and
//! passes every other command on.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use sbc_config::Config;
use sbc_mgmt::live::{ApplyError, Command, Snapshot, link};
use sbc_mgmt::{AppState, router};
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub const CONFIG: &str = r#"# Test appliance.
[system]
name = "edge-test" # the name
state_dir = "state"

[management]
listen = "127.0.0.1:8443"
allow = ["127.0.0.0/8"]

[firewall]
enabled = false

# The outside world.
[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20999"

[[realm]]
name = "inside"
listen = ["udp:127.0.0.2:5060"]
media_ip = "127.0.0.2"
media_ports = "21000-21999"

# Carriers.
[[trunk]]
name = "carrier" # keep me
realm = "outside"
peers = ["udp:127.0.0.1:5080"]

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:127.0.0.2:5090"]

# Routing.
[[route]]
from = "carrier"
to = "pbx"
"#;

pub struct Env {
    pub dir: PathBuf,
    pub path: PathBuf,
    pub app: Router,
    pub state: AppState,
    pub daemon: FakeDaemon,
    pub peer: SocketAddr,
}

/// The daemon's ends of the live channels, as a test sees them.
pub struct FakeDaemon {
    pub snapshot: watch::Sender<Snapshot>,
    /// Whether the management side wants the calls listed.
    pub demand: Arc<sbc_mgmt::live::Demand>,
    /// Every command but `Apply` (unban, restart).
    pub commands: mpsc::Receiver<Command>,
    /// Every config the daemon applied, in order.
    pub applied: Arc<Mutex<Vec<Arc<Config>>>>,
    /// While set, applies are refused with this.
    pub refuse: Arc<Mutex<Option<ApplyError>>>,
}

impl FakeDaemon {
    fn spawn(live: sbc_mgmt::live::LiveDaemon) -> FakeDaemon {
        let applied = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(Mutex::new(None::<ApplyError>));
        let (tx, rx) = mpsc::channel(16);
        let mut commands = live.commands;
        let (log, verdict) = (applied.clone(), refuse.clone());
        tokio::spawn(async move {
            while let Some(c) = commands.recv().await {
                match c {
                    Command::Apply { config, reply } => {
                        let refused = verdict.lock().expect("lock").clone();
                        let answer = match refused {
                            Some(e) => Err(e),
                            None => {
                                log.lock().expect("lock").push(config);
                                Ok(())
                            }
                        };
                        let _ = reply.send(answer);
                    }
                    other => {
                        if tx.send(other).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        FakeDaemon {
            snapshot: live.snapshot,
            demand: live.demand,
            commands: rx,
            applied,
            refuse,
        }
    }

    /// The configs applied since the last call.
    pub fn take_applied(&self) -> Vec<Arc<Config>> {
        std::mem::take(&mut *self.applied.lock().expect("lock"))
    }

    pub fn set_refusal(&self, refusal: Option<ApplyError>) {
        *self.refuse.lock().expect("lock") = refusal;
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn etag(&self) -> String {
        self.headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_owned()
    }
}

/// A logged-in client.
#[derive(Clone)]
pub struct Client {
    pub cookie: String,
    pub csrf: String,
}

impl Env {
    pub fn new(tag: &str) -> Env {
        Env::with(tag, None)
    }

    pub fn with(tag: &str, idle: Option<Duration>) -> Env {
        let dir = std::env::temp_dir().join(format!("sbc-mgmt-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("sbc.toml");
        std::fs::write(&path, CONFIG).expect("write config");
        let config = Arc::new(Config::load(&path).expect("valid config"));
        let (live, daemon) = link();
        let state = match idle {
            Some(idle) => AppState::with_idle_timeout(&path, config, live, idle),
            None => AppState::new(&path, config, live),
        }
        .expect("state");
        Env {
            app: router(state.clone()),
            dir,
            path,
            state,
            daemon: FakeDaemon::spawn(daemon),
            peer: "127.0.0.1:40000".parse().expect("addr"),
        }
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.join("state/setup-token"))
            .expect("setup token")
            .trim()
            .to_owned()
    }

    pub fn file(&self) -> String {
        std::fs::read_to_string(&self.path).expect("config file")
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(body.into()).expect("request");
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, c: &Client, uri: &str) -> Answer {
        self.request(Method::GET, uri, &[("cookie", &c.cookie)], Body::empty())
            .await
    }

    /// A state-changing request with session, CSRF token and `If-Match`: the current
    /// version.
    pub async fn write(&self, c: &Client, method: Method, uri: &str, body: &str) -> Answer {
        let version = self.version(c).await;
        self.request(
            method,
            uri,
            &[
                ("cookie", &c.cookie),
                ("x-csrf-token", &c.csrf),
                ("if-match", &version),
                ("content-type", "application/json"),
            ],
            body.to_owned(),
        )
        .await
    }

    pub async fn version(&self, c: &Client) -> String {
        self.get(c, "/api/config").await.etag()
    }

    pub async fn setup(&self) {
        let body = serde_json::json!({"token": self.token(), "password": PASSWORD}).to_string();
        let a = self.request(Method::POST, "/api/setup", &[], body).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    }

    pub async fn login(&self) -> Client {
        let body = serde_json::json!({"username": "admin", "password": PASSWORD}).to_string();
        let a = self.request(Method::POST, "/api/login", &[], body).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let set = a
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("Set-Cookie")
            .to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set.split(';').next().expect("cookie").to_owned();
        Client {
            cookie,
            csrf: a.json()["csrf"].as_str().expect("csrf").to_owned(),
        }
    }

    /// Setup and login.
    pub async fn ready(&self) -> Client {
        self.setup().await;
        self.login().await
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
