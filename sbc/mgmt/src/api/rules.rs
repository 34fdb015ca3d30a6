//! `POST /api/rules/test`: the header manipulation rule tester. The operator pastes a
//! SIP message and a trunk's rules (as the `rule` list of a trunk's JSON); the answer is
//! the message as the SBC would send it (`direction` "outbound", the default) or act on
//! it (`"inbound"`), and what each rule did. Nothing is saved or applied; rules that
//! would be refused in the file are refused here with the same key paths (`rule[1].match`).
//! `other` is the message of the call's other leg that `${other.<Header>}` reads (as the
//! SBC would have received it); without it such a rule is refused.

use axum::Json;
use sbc_config::RuleSection;
use sbc_rules::{Direction, Outcome, SipText};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// The message, with LF or CRLF line ends.
    pub message: String,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub rule: Vec<RuleSection>,
    /// The other leg's message (`${other.<Header>}`), LF or CRLF line ends.
    #[serde(default)]
    pub other: Option<String>,
}

/// What one rule did.
#[derive(Debug, Serialize)]
pub struct RuleOutcome {
    pub rule: usize,
    /// `"changed"`, `"unchanged"` (its conditions held, the text is the same),
    /// `"not applicable"` or `"refused"` (what it would write cannot stand there).
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct RuleTestResult {
    /// The message after the rules (CRLF line ends, Content-Length recomputed).
    pub message: String,
    pub changed: bool,
    pub outcomes: Vec<RuleOutcome>,
}

pub async fn test(Json(body): Json<RuleTest>) -> Result<Json<RuleTestResult>, ApiError> {
    let direction = match body.direction.as_deref() {
        None | Some("outbound") => Direction::Outbound,
        Some("inbound") => Direction::Inbound,
        Some(other) => {
            return Err(ApiError::unprocessable(
                "direction",
                format!("\"{other}\": expected \"outbound\" or \"inbound\""),
            ));
        }
    };
    let rules = sbc_config::check_rules("", &body.rule)?;
    let text = crlf(&body.message);
    let mut msg = SipText::parse(text.as_bytes())
        .map_err(|e| ApiError::unprocessable("message", format!("not a SIP message: {e}")))?;
    let other = match &body.other {
        Some(o) => Some(
            SipText::parse(crlf(o).as_bytes())
                .map_err(|e| ApiError::unprocessable("other", format!("not a SIP message: {e}")))?,
        ),
        None => None,
    };
    let before = msg.clone();
    let outcomes = rules
        .apply(&mut msg, direction, other.as_ref())
        .into_iter()
        .enumerate()
        .map(|(rule, o)| match o {
            Outcome::NotApplicable => RuleOutcome {
                rule,
                result: "not applicable",
                reason: None,
            },
            Outcome::Applied { changed } => RuleOutcome {
                rule,
                result: if changed { "changed" } else { "unchanged" },
                reason: None,
            },
            Outcome::Refused { reason } => RuleOutcome {
                rule,
                result: "refused",
                reason: Some(reason),
            },
        })
        .collect();
    Ok(Json(RuleTestResult {
        message: String::from_utf8_lossy(&msg.to_bytes()).into_owned(),
        changed: msg != before,
        outcomes,
    }))
}

/// `text` with every line end CRLF and the header section ended by an empty line.
fn crlf(text: &str) -> String {
    let unified = text.replace("\r\n", "\n");
    let mut out = unified.replace('\n', "\r\n");
    if !out.contains("\r\n\r\n") {
        out.push_str(if out.ends_with("\r\n") {
            "\r\n"
        } else {
            "\r\n\r\n"
        });
    }
    out
}
