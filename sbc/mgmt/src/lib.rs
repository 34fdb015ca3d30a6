//! Edge SBC management: the HTTPS web UI and JSON REST API of the appliance.
//!
//! # Pieces
//!
//! * [`router`] builds the axum [`Router`] from an [`AppState`]; [`serve::serve_tls`]
//!   serves it over HTTP/1.1 on rustls. The daemon binds `[management] listen`, makes the
//!   TLS config (a self-signed certificate in `state_dir` when none is configured) and
//!   spawns `serve_tls`.
//! * [`live`]: the seam to the running daemon. Management never imports SIP, media or
//!   firewall code: the core task publishes a [`live::Snapshot`] (calls, trunk health,
//!   registrations, bans) on a `watch` channel about once a second and executes
//!   [`live::Command`]s (apply a config, unban, restart).
//! * [`store`]: the config lifecycle. Edits are made to the file's TOML document
//!   (comments survive), validated by `sbc-config` (errors keep their key paths and
//!   become 422 answers naming the field), applied live through
//!   [`live::Command::Apply`] — the same path as a SIGHUP reload: new calls use the new
//!   config, calls in progress keep theirs — and only once the daemon took it written
//!   atomically (temp, fsync, rename, fsync of the folder) and kept as a numbered version
//!   in `state_dir/config-versions` (the last 10). What the daemon refuses (a TLS file
//!   that does not load, a ruleset the kernel refuses) is a 422 with the reason, and the
//!   file stays as it was. A change that would cut off the client making it (its address
//!   out of `management.allow`, or in `firewall.deny` with the firewall on) is a 422
//!   naming that key. Settings read only at start ([`restart`]) are saved and
//!   reported as waiting for a restart.
//! * [`auth`]: no default password; the one-time setup token; argon2id; sessions with
//!   CSRF tokens and idle expiry; login lockout.
//! * [`audit`]: `state_dir/audit.log`, one JSON line per change with the diff.
//!
//! # Request pipeline
//!
//! 1. Security headers on every answer (CSP, nosniff, no framing, HSTS, no-store).
//! 2. The allow list: a client outside `management.allow` gets 403 and nothing else.
//! 3. Bodies over 1 MiB (certificate uploads: 256 KiB) are refused with 413 (at once
//!    when `Content-Length` says so); a body that does not arrive within
//!    [`body::BODY_TIMEOUT`] gets 408.
//! 4. Public: `GET/POST /api/setup`, `POST /api/login` and the UI files (a POST a
//!    browser marks as coming from another site is refused with 403). Everything else
//!    needs the `sbc_session` cookie (401 without it) and, for POST/PUT/PATCH/DELETE,
//!    the session's `X-CSRF-Token` header (403 without it).
//!
//! # API
//!
//! Documented in [`openapi::ROUTES`] and served at `/api/openapi.json`. Errors are
//! `{"error": message, "field": key path}`; validation failures are 422 and also list
//! every error in `errors`. Config resources carry `ETag: "<version>"`; writes must send
//! `If-Match` with it (409 with `version` when stale; 428 when missing). Deviations
//! from the contract shared with the web UI: none in shape; additions are `errors` on
//! 422 answers, `name` and `restart_required` in `/api/system`, `path`/`error` in
//! certificate entries, 428 for a write without `If-Match`, `/api/config/rollback`
//! accepting no `If-Match`, `trunk_registrations` in the status, and the
//! `Sbc-Restart-Required` header on writes whose settings take effect at restart.
//!
//! # Files in `state_dir`
//!
//! | file | what |
//! |---|---|
//! | `admin.hash` | argon2id PHC string of the admin password (0600) |
//! | `setup-token` | one-time setup token until the password is set (0600) |
//! | `audit.log` | JSON lines: `at`, `user`, `action`, `diff` |
//! | `config-versions/N.toml`, `N.meta` | the last 10 saved versions of the file |
//! | `certs/NAME.pem`, `NAME.key` | uploaded certificates (keys 0600) |

pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod body;
pub mod clock;
pub mod der;
pub mod error;
pub mod guard;
pub mod ladder;
pub mod live;
pub mod openapi;
pub mod restart;
pub mod serve;
pub mod state;
pub mod store;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use sbc_config::{RealmSection, RouteSection, TrunkSection};

pub use error::ApiError;
pub use state::{AppState, StartError};

use api::sections;

/// The whole management application.
pub fn router(state: AppState) -> Router {
    let public = Router::new()
        .route(
            "/api/setup",
            get(api::auth::get_setup).post(api::auth::post_setup),
        )
        .route("/api/login", post(api::auth::login))
        .route_layer(from_fn(guard::same_origin));
    let protected = Router::new()
        .route("/api/logout", post(api::auth::logout))
        .route("/api/session", get(api::auth::session))
        .route("/api/status", get(api::live::status))
        .route("/api/calls", get(api::live::calls))
        .route("/api/calls/{call}/ladder", get(api::ladder::ladder))
        .route("/api/calls/{call}/pcap", get(api::ladder::pcap_file))
        .route(
            "/api/calls/{call}/capture",
            post(api::capture::start).delete(api::capture::stop),
        )
        .route("/api/cdrs", get(api::cdrs::list))
        .route("/api/events", get(api::live::events))
        .route(
            "/api/trunks",
            get(sections::list::<TrunkSection>).post(sections::create::<TrunkSection>),
        )
        .route(
            "/api/trunks/{name}",
            get(sections::get_one::<TrunkSection>)
                .put(sections::replace::<TrunkSection>)
                .delete(sections::delete::<TrunkSection>),
        )
        .route(
            "/api/routes",
            get(sections::list::<RouteSection>).post(sections::create::<RouteSection>),
        )
        .route(
            "/api/routes/{index}",
            get(sections::get_one::<RouteSection>)
                .put(sections::replace::<RouteSection>)
                .delete(sections::delete::<RouteSection>),
        )
        .route(
            "/api/realms",
            get(sections::list::<RealmSection>).post(sections::create::<RealmSection>),
        )
        .route(
            "/api/realms/{name}",
            get(sections::get_one::<RealmSection>)
                .put(sections::replace::<RealmSection>)
                .delete(sections::delete::<RealmSection>),
        )
        .route(
            "/api/acl",
            get(api::config::get_acl).put(api::config::put_acl),
        )
        .route("/api/bans", get(api::live::bans))
        .route("/api/drain", axum::routing::post(api::live::drain))
        .route("/api/rules/test", axum::routing::post(api::rules::test))
        .route("/api/undrain", axum::routing::post(api::live::undrain))
        .route(
            "/api/bans/{address}",
            axum::routing::delete(api::live::unban),
        )
        .route(
            "/api/certificates",
            get(api::certs::list).post(api::certs::upload).layer(
                // The per-route limit replaces the global one for this route.
                DefaultBodyLimit::max(body::MAX_CERT_BODY),
            ),
        )
        .route(
            "/api/config",
            get(api::config::get_text).put(api::config::put_text),
        )
        .route("/api/config/versions", get(api::config::versions))
        .route(
            "/api/config/rollback/{version}",
            post(api::config::rollback),
        )
        .route("/api/audit", get(api::config::audit))
        .route("/api/registry", get(api::registry::get))
        .route("/api/system", get(api::live::system))
        .route("/api/system/restart", post(api::live::restart))
        .route(
            "/api/system/network",
            get(api::network::get).put(api::network::put),
        )
        .route("/api/system/network/confirm", post(api::network::confirm))
        .route(
            "/api/system/update",
            get(api::update::status).post(api::update::upload).layer(
                // Bundles are large; the upload is streamed to disk, not held in memory.
                DefaultBodyLimit::max(api::update::MAX_BUNDLE),
            ),
        )
        .route("/api/openapi.json", get(openapi::serve))
        .route_layer(from_fn_with_state(state.clone(), guard::require_session));
    Router::new()
        .merge(public)
        .merge(protected)
        .fallback(assets::serve)
        .layer(DefaultBodyLimit::max(body::MAX_BODY))
        .layer(from_fn_with_state(state.clone(), guard::allow_list))
        .layer(from_fn(guard::security_headers))
        .with_state(state)
}
