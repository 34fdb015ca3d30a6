//! Collections of `[[trunk]]`, `[[realm]]` and `[[route]]` entries: list, read, create,
//! replace, delete. Trunks and realms are addressed by name, routes by position (the
//! order routes are evaluated in).
//!
//! Every write follows the same path: the JSON body is decoded into the config crate's
//! section struct (a type mismatch is 422 naming `trunk[3].max_calls`), merged into the
//! file's TOML document (comments survive), validated as a whole (422 with the key
//! path), saved and applied (`AppState::commit`).

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sbc_config::{ConfigFile, Document, EditError, RealmSection, RouteSection, TrunkSection};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::body::{JsonValue, decode, etag, if_match, saved};
use crate::error::ApiError;
use crate::guard::User;
use crate::state::AppState;

/// A kind of array-of-tables entry the API edits.
pub trait Section: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The TOML key (`trunk`).
    const KEY: &'static str;
    /// Whether entries are addressed by `name` (else by index).
    const NAMED: bool;
    fn all(file: &ConfigFile) -> &[Self];
    fn name(&self) -> &str;
}

impl Section for TrunkSection {
    const KEY: &'static str = "trunk";
    const NAMED: bool = true;
    fn all(file: &ConfigFile) -> &[Self] {
        &file.trunks
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Section for RealmSection {
    const KEY: &'static str = "realm";
    const NAMED: bool = true;
    fn all(file: &ConfigFile) -> &[Self] {
        &file.realms
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Section for RouteSection {
    const KEY: &'static str = "route";
    const NAMED: bool = false;
    fn all(file: &ConfigFile) -> &[Self] {
        &file.routes
    }
    fn name(&self) -> &str {
        ""
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        match e {
            EditError::NoEntry { .. } => ApiError::not_found(e.to_string()),
            EditError::Syntax { .. } => ApiError::unprocessable("", e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

/// The position of entry `id` (a name, or an index for routes).
fn position<S: Section>(file: &ConfigFile, id: &str) -> Option<usize> {
    let all = S::all(file);
    if S::NAMED {
        all.iter().position(|e| e.name() == id)
    } else {
        id.parse::<usize>().ok().filter(|i| *i < all.len())
    }
}

fn not_found<S: Section>(id: &str) -> ApiError {
    ApiError::not_found(format!("no {} {id:?}", S::KEY))
}

pub async fn list<S: Section>(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (_, version) = state.0.store.text().await?;
    let (config, _) = state.config();
    Ok((etag(version), Json(S::all(config.file()).to_vec())).into_response())
}

pub async fn get_one<S: Section>(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, version) = state.0.store.text().await?;
    let (config, _) = state.config();
    let i = position::<S>(config.file(), &id).ok_or_else(|| not_found::<S>(&id))?;
    Ok((etag(version), Json(S::all(config.file())[i].clone())).into_response())
}

pub async fn create<S: Section>(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let base = if_match(&headers)?;
    let mut created: Option<S> = None;
    let label = body.get("name").and_then(|n| n.as_str()).unwrap_or("");
    let action = format!("{}.create {label}", S::KEY);
    let action = action.trim_end().to_owned();
    let committed = state
        .commit(&user, &action, base, |text| {
            let file = ConfigFile::from_toml_str(text)?;
            let index = S::all(&file).len();
            let entry: S = decode(body, &format!("{}[{index}]", S::KEY))?;
            if S::NAMED && position::<S>(&file, entry.name()).is_some() {
                return Err(ApiError::unprocessable(
                    format!("{}[{index}].name", S::KEY),
                    format!("a {} named {:?} exists already", S::KEY, entry.name()),
                ));
            }
            let mut doc = Document::parse(text)?;
            doc.set_entry(S::KEY, None, &entry)?;
            created = Some(entry);
            Ok(doc.render())
        })
        .await?;
    Ok((StatusCode::CREATED, saved(&committed), Json(created)).into_response())
}

pub async fn replace<S: Section>(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let base = if_match(&headers)?;
    let mut updated: Option<S> = None;
    let action = format!("{}.update {id}", S::KEY);
    let committed = state
        .commit(&user, &action, base, |text| {
            let file = ConfigFile::from_toml_str(text)?;
            let index = position::<S>(&file, &id).ok_or_else(|| not_found::<S>(&id))?;
            let entry: S = decode(body, &format!("{}[{index}]", S::KEY))?;
            if S::NAMED && entry.name() != id && position::<S>(&file, entry.name()).is_some() {
                return Err(ApiError::unprocessable(
                    format!("{}[{index}].name", S::KEY),
                    format!("a {} named {:?} exists already", S::KEY, entry.name()),
                ));
            }
            let mut doc = Document::parse(text)?;
            doc.set_entry(S::KEY, Some(index), &entry)?;
            updated = Some(entry);
            Ok(doc.render())
        })
        .await?;
    Ok((saved(&committed), Json(updated)).into_response())
}

pub async fn delete<S: Section>(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = if_match(&headers)?;
    let action = format!("{}.delete {id}", S::KEY);
    let committed = state
        .commit(&user, &action, base, |text| {
            let file = ConfigFile::from_toml_str(text)?;
            let index = position::<S>(&file, &id).ok_or_else(|| not_found::<S>(&id))?;
            let mut doc = Document::parse(text)?;
            doc.remove_entry(S::KEY, index)?;
            Ok(doc.render())
        })
        .await?;
    Ok((StatusCode::NO_CONTENT, saved(&committed)).into_response())
}
