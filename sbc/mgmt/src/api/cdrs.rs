//! `GET /api/cdrs`: the call detail records the daemon wrote (`<state_dir>/cdr.jsonl` and
//! its rotated files `.1` .. `.7`), newest first, filtered, as JSON, JSON lines or CSV.
//!
//! Query: `limit` (default 100, at most 10,000), `trunk` (either leg's trunk or realm),
//! `number` (a substring of either leg's From or To), `result` (`answered`, `busy`,
//! `cancelled`, `failed`), `format` (`json`: an array, the default; `jsonl`: the lines
//! as written, a download; `csv`: a download, one row per call). A line that does not
//! parse (a write cut short by a full disk) is skipped.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::state::AppState;

/// The CDR file's name in `state_dir` (the daemon writes it; rotated as `.1` .. `.7`).
pub const FILE_NAME: &str = "cdr.jsonl";
/// Rotated files looked at besides the current one.
const ROTATED: usize = 7;
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

#[derive(Debug, Default, Deserialize)]
pub struct CdrQuery {
    pub limit: Option<usize>,
    pub trunk: Option<String>,
    pub number: Option<String>,
    pub result: Option<String>,
    pub format: Option<String>,
}

/// What a record must match.
#[derive(Debug, Default)]
pub struct Filter {
    pub trunk: Option<String>,
    pub number: Option<String>,
    pub result: Option<String>,
}

impl Filter {
    pub fn matches(&self, cdr: &Value) -> bool {
        let legs = cdr["legs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let field = |leg: &Value, k: &str| leg[k].as_str().unwrap_or("").to_owned();
        if let Some(t) = self.trunk.as_deref().filter(|t| !t.is_empty()) {
            if !legs
                .iter()
                .any(|l| field(l, "trunk") == t || field(l, "realm") == t)
            {
                return false;
            }
        }
        if let Some(n) = self.number.as_deref().filter(|n| !n.is_empty()) {
            if !legs
                .iter()
                .any(|l| field(l, "from").contains(n) || field(l, "to").contains(n))
            {
                return false;
            }
        }
        if let Some(r) = self.result.as_deref().filter(|r| !r.is_empty()) {
            if cdr["result"].as_str() != Some(r) {
                return false;
            }
        }
        true
    }
}

/// The newest `limit` records in `dir` matching `filter`, newest first, each with its
/// line as written.
pub fn newest(dir: &Path, filter: &Filter, limit: usize) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let files = std::iter::once(dir.join(FILE_NAME))
        .chain((1..=ROTATED).map(|n| dir.join(format!("{FILE_NAME}.{n}"))));
    for path in files {
        if found.len() >= limit {
            break;
        }
        for line in lines_of(&path).into_iter().rev() {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if filter.matches(&v) {
                found.push((line, v));
                if found.len() >= limit {
                    break;
                }
            }
        }
    }
    found
}

fn lines_of(path: &PathBuf) -> Vec<String> {
    match std::fs::File::open(path) {
        Ok(f) => std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `GET /api/cdrs`
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<CdrQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be 1..={MAX_LIMIT}"
        )));
    }
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "jsonl" | "csv") {
        return Err(ApiError::bad_request("format must be json, jsonl or csv"));
    }
    let filter = Filter {
        trunk: q.trunk,
        number: q.number,
        result: q.result,
    };
    let dir = state.0.state_dir.clone();
    let found = tokio::task::spawn_blocking(move || newest(&dir, &filter, limit))
        .await
        .map_err(|e| ApiError::internal(format!("reading CDRs: {e}")))?;
    Ok(match format {
        "jsonl" => {
            let mut body = String::new();
            for (line, _) in &found {
                body.push_str(line);
                body.push('\n');
            }
            download(body, "application/x-ndjson", "cdr.jsonl")
        }
        "csv" => download(
            super::cdr_csv::render(found.iter().map(|(_, v)| v)),
            "text/csv; charset=utf-8",
            "cdr.csv",
        ),
        _ => axum::Json(found.into_iter().map(|(_, v)| v).collect::<Vec<_>>()).into_response(),
    })
}

fn download(body: String, kind: &'static str, name: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cdr(call: u64, trunk: &str, from: &str, result: &str) -> String {
        json!({"call": call, "result": result, "legs": [
            {"side": "a", "trunk": trunk, "realm": "outside", "from": from, "to": "<sip:100@x>"},
            {"side": "b", "trunk": "pbx", "realm": "inside", "from": from, "to": "<sip:100@y>"}]})
        .to_string()
    }

    #[test]
    fn newest_first_across_rotated_files_with_filters() {
        let dir = std::env::temp_dir().join(format!("sbc-cdrs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let old = [
            cdr(1, "carrier", "<sip:+4989@c>", "answered"),
            cdr(2, "other", "<sip:555@c>", "busy"),
        ];
        let new = [
            cdr(3, "carrier", "<sip:+4989@c>", "busy"),
            "{cut sho".to_owned(),
            cdr(4, "carrier", "<sip:777@c>", "answered"),
        ];
        std::fs::write(dir.join("cdr.jsonl.1"), old.join("\n") + "\n").expect("write");
        std::fs::write(dir.join("cdr.jsonl"), new.join("\n") + "\n").expect("write");
        let calls = |f: Filter, limit| -> Vec<u64> {
            newest(&dir, &f, limit)
                .iter()
                .filter_map(|(_, v)| v["call"].as_u64())
                .collect()
        };
        assert_eq!(calls(Filter::default(), 10), [4, 3, 2, 1]);
        assert_eq!(calls(Filter::default(), 3), [4, 3, 2]);
        let trunk = Filter {
            trunk: Some("other".into()),
            ..Filter::default()
        };
        assert_eq!(calls(trunk, 10), [2]);
        let number = Filter {
            number: Some("4989".into()),
            ..Filter::default()
        };
        assert_eq!(calls(number, 10), [3, 1]);
        let result = Filter {
            result: Some("answered".into()),
            trunk: Some("pbx".into()),
            ..Filter::default()
        };
        assert_eq!(calls(result, 10), [4, 1]);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
