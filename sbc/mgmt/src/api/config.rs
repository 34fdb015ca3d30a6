//! The file as a whole (`/api/config`, versions, rollback), the ACL lists and the
//! audit log.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sbc_config::Document;
use serde::{Deserialize, Serialize};

use crate::audit::Entry;
use crate::body::{Body, JsonValue, decode, etag, if_match, saved};
use crate::error::ApiError;
use crate::guard::User;
use crate::state::AppState;

pub async fn get_text(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (text, version) = state.0.store.text().await?;
    Ok((
        etag(version),
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response())
}

pub async fn put_text(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let base = if_match(&headers)?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("the configuration must be UTF-8 text"))?;
    let committed = state
        .commit(&user, "config.replace", base, |_| Ok(text))
        .await?;
    Ok((StatusCode::NO_CONTENT, saved(&committed)).into_response())
}

#[derive(Debug, Serialize)]
pub struct VersionView {
    pub version: u64,
    pub saved_at: String,
    pub by: String,
}

pub async fn versions(State(state): State<AppState>) -> Result<Json<Vec<VersionView>>, ApiError> {
    state.0.store.text().await?;
    let list = state.0.store.versions()?;
    Ok(Json(
        list.into_iter()
            .map(|v| VersionView {
                version: v.version,
                saved_at: crate::clock::rfc3339(i64::try_from(v.saved_at).unwrap_or(0)),
                by: v.by,
            })
            .collect(),
    ))
}

/// Makes a kept version the current file again (as a new version). `If-Match` is
/// optional here: a rollback is meant to override.
pub async fn rollback(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let version: u64 = version
        .parse()
        .map_err(|_| ApiError::not_found(format!("no saved version {version:?}")))?;
    let old = state.0.store.version_text(version)?;
    let base = match headers.get(header::IF_MATCH) {
        Some(_) => if_match(&headers)?,
        None => state.0.store.text().await?.1,
    };
    let committed = state
        .commit(&user, &format!("config.rollback {version}"), base, |_| {
            Ok(old)
        })
        .await?;
    Ok((
        saved(&committed),
        Json(serde_json::json!({ "version": committed.version })),
    )
        .into_response())
}

/// `{"allow": [cidr], "deny": [cidr]}`: the `[firewall]` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

pub async fn get_acl(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (text, version) = state.0.store.text().await?;
    let doc = Document::parse(&text)?;
    let acl = Acl {
        allow: doc.string_list("firewall", "allow").unwrap_or_default(),
        deny: doc.string_list("firewall", "deny").unwrap_or_default(),
    };
    Ok((etag(version), Json(acl)).into_response())
}

pub async fn put_acl(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let base = if_match(&headers)?;
    let acl: Acl = decode(body, "firewall")?;
    let committed = state
        .commit(&user, "acl.update", base, |text| {
            let mut doc = Document::parse(text)?;
            for (key, list) in [("allow", &acl.allow), ("deny", &acl.deny)] {
                // An empty list is written as no list (the default).
                let value = (!list.is_empty()).then_some(list);
                doc.set_key("firewall", key, value)?;
            }
            Ok(doc.render())
        })
        .await?;
    Ok((saved(&committed), Json(acl)).into_response())
}

pub async fn audit(State(state): State<AppState>) -> Json<Vec<Entry>> {
    Json(state.0.audit.recent())
}
