//! API errors: a status and `{"error": message, "field": key path}` as JSON.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer of the API. Every failure of a handler becomes one of these, so
/// clients always get JSON with a human message and, where it applies, the field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Key path of the offending value: `trunk[1].peers[0]`, `password`.
    pub field: Option<String>,
    /// The current config version (409 answers).
    pub version: Option<u64>,
    /// Seconds until a locked-out login may be tried again (429 answers).
    pub retry_after: Option<u64>,
    /// Every validation error of the config, `path: message` (422 answers).
    pub errors: Vec<FieldError>,
}

/// One validation error: `{"field": ..., "error": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub error: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
            version: None,
            retry_after: None,
            errors: Vec::new(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).with_field(field)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not logged in (or the session expired)",
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn conflict(version: u64) -> ApiError {
        ApiError {
            version: Some(version),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "the configuration changed since you loaded it",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.message,
            field: self.field.as_deref(),
            version: self.version,
            errors: &self.errors,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sbc_config::ConfigErrors> for ApiError {
    /// Validation errors: 422 naming the first error's key path, all of them in `errors`.
    fn from(errors: sbc_config::ConfigErrors) -> ApiError {
        let all: Vec<FieldError> = errors
            .iter()
            .map(|e| FieldError {
                field: e.path.clone(),
                error: e.kind.to_string(),
            })
            .collect();
        let (field, message) = match all.first() {
            Some(first) => (first.field.clone(), first.error.clone()),
            None => (String::new(), "invalid configuration".to_owned()),
        };
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message);
        if !field.is_empty() {
            e.field = Some(field);
        }
        e.errors = all;
        e
    }
}

impl From<sbc_config::PersistError> for ApiError {
    fn from(e: sbc_config::PersistError) -> ApiError {
        match e {
            sbc_config::PersistError::NoSuchVersion { .. } => ApiError::not_found(e.to_string()),
            _ => {
                tracing::error!("management: {e}");
                ApiError::internal(e.to_string())
            }
        }
    }
}

impl From<crate::live::ApplyError> for ApiError {
    /// The daemon's refusal: 422 (naming the key when one is to blame) when the
    /// configuration cannot run, 500 when the daemon failed. Either way nothing was saved.
    fn from(e: crate::live::ApplyError) -> ApiError {
        use crate::live::ApplyError;
        match e {
            ApplyError::Refused { field, reason } => {
                let mut e = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("not applied, not saved: {reason}"),
                );
                if let Some(field) = field {
                    e.errors = vec![FieldError {
                        field: field.clone(),
                        error: reason,
                    }];
                    e.field = Some(field);
                }
                e
            }
            ApplyError::Failed { reason } => {
                ApiError::internal(format!("not applied, not saved: {reason}"))
            }
        }
    }
}
