//! Request bodies and preconditions: JSON with errors naming the field, size limits
//! answered with 413 as JSON, `If-Match` versions.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::AppendHeaders;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body in general.
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest certificate upload.
pub const MAX_CERT_BODY: usize = 256 * 1024;
/// Time a client has to send a request body once its headers arrived; a slower (or
/// lying, `Content-Length` larger than what follows) client gets 408 instead of holding
/// one of the few management connections forever.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The raw body within the route's limit (413 as JSON when over it; at once when the
/// announced `Content-Length` is over [`MAX_BODY`]), read within [`BODY_TIMEOUT`] (408).
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            ));
        }
        let read = tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(req, state)).await;
        let Ok(read) = read else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    BODY_TIMEOUT.as_secs()
                ),
            ));
        };
        match read {
            Ok(b) => Ok(Body(b)),
            Err(e) => {
                let status = e.status();
                let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "the request body is too large".to_owned()
                } else {
                    e.body_text()
                };
                Err(ApiError::new(status, message))
            }
        }
    }
}

/// A JSON body parsed as a generic value (syntax errors: 400).
#[derive(Debug)]
pub struct JsonValue(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonValue {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Body(bytes) = Body::from_request(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonValue)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
    }
}

/// Converts a JSON value into `T`; a mismatch is 422 naming `prefix` + the field path.
/// Every body of the API is one object: anything else is 422 naming `prefix` (serde
/// would accept an array for a struct, and name its elements as fields).
pub fn decode<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, ApiError> {
    if !value.is_object() {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body must be a JSON object",
        );
        if !prefix.is_empty() {
            e.field = Some(prefix.to_owned());
        }
        return Err(e);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let field = match (prefix.is_empty(), inner.as_str()) {
            (_, ".") | (_, "") => prefix.to_owned(),
            (true, p) => p.to_owned(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        ApiError::unprocessable(field, e.inner().to_string())
    })
}

/// The version an `If-Match` header names (`"5"`, `W/"5"` or `5`); 428 without one.
pub fn if_match(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "send If-Match with the version (ETag) the change is based on",
        ));
    };
    let text = value.to_str().unwrap_or("");
    let bare = text.trim().trim_start_matches("W/").trim_matches('"');
    bare.parse().map_err(|_| {
        ApiError::bad_request(format!("If-Match: not a configuration version: {text:?}"))
    })
}

/// `ETag: "<version>"`.
pub fn etag(version: u64) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// Extra answer headers.
pub type Headers = AppendHeaders<Vec<(header::HeaderName, String)>>;

/// The headers of a successful config write: `ETag` with the new version and, when saved
/// settings wait for a restart, [`crate::restart::HEADER`] listing their keys.
pub fn saved(committed: &crate::store::Committed) -> Headers {
    let mut headers = vec![(header::ETAG, format!("\"{}\"", committed.version))];
    if !committed.restart.is_empty() {
        headers.push((
            header::HeaderName::from_static(crate::restart::HEADER),
            committed.restart.join(", "),
        ));
    }
    AppendHeaders(headers)
}
