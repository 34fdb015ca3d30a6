//! `[log]`: `format` is `"text"` (the default) or `"json"`.

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::model::LogFormat;
use crate::schema::LogSection;

pub(super) fn log(v: &mut Validator<'_>, l: Option<&LogSection>) -> Option<LogFormat> {
    match l.and_then(|l| l.format.as_deref()) {
        None | Some("text") => Some(LogFormat::Text),
        Some("json") => Some(LogFormat::Json),
        Some(other) => {
            v.err(
                "log.format",
                K::InvalidChoice {
                    value: other.to_owned(),
                    expected: &["text", "json"],
                },
            );
            None
        }
    }
}
