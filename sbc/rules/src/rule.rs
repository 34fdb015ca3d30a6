//! One rule, checked: built from its text keys ([`RuleSpec`]) by [`Rule::build`], which
//! refuses everything that could break a message or the SBC's own state.

use regex::{Regex, RegexBuilder};

use crate::message::same_header;
use crate::template::Template;
use crate::value::UriPart;

/// Most memory one compiled rule regex may take (as routes' `match_user`).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Headers no rule may touch: transactions (Via, CSeq), dialogs (Call-ID, Route,
/// Record-Route) and framing (Content-Length, Content-Type of the SDP the SBC wrote)
/// depend on them.
pub const PROTECTED: &[&str] = &[
    "Via",
    "Call-ID",
    "CSeq",
    "Content-Length",
    "Content-Type",
    "Route",
    "Record-Route",
    "Max-Forwards",
];

/// Headers that must stay exactly once in every message: never added or removed,
/// their tag never changed.
pub const SINGLE: &[&str] = &["From", "To"];

/// The name rules use for the request line's URI.
pub const REQUEST_URI: &str = "Request-URI";

/// Which messages of the trunk's leg a rule sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the SBC sends to the trunk, after the B2BUA built it.
    Outbound,
    /// What the trunk sent, before the SBC acts on it.
    Inbound,
}

/// Requests, responses or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
    Any,
}

/// A response code, or a class (`4xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Code(u16),
    Class(u16),
}

impl Status {
    pub fn matches(self, code: u16) -> bool {
        match self {
            Status::Code(c) => c == code,
            Status::Class(c) => code / 100 == c,
        }
    }
}

/// What a rule does to its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Another instance of the header (a parameter or URI part: set).
    Add(Template),
    /// The target's value, created when missing.
    Set(Template),
    Remove,
    /// The regex's match in the target's value replaced (captures `$1`..).
    Replace {
        pattern: Pattern,
        with: Template,
    },
}

/// A compiled regex, equal to another when written the same (for configuration diffs).
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Pattern {}

impl std::ops::Deref for Pattern {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.0
    }
}

/// What a rule acts on within its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Whole,
    Param(String),
    Uri(UriPart),
}

/// One checked rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub method: Option<String>,
    pub kind: Kind,
    pub status: Option<Status>,
    pub if_header: Option<String>,
    pub if_match: Option<Pattern>,
    pub header: String,
    pub part: Part,
    pub action: Action,
}

/// A rule as written (every key text, as in `[[trunk.rule]]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleSpec<'a> {
    pub direction: Option<&'a str>,
    pub method: Option<&'a str>,
    pub message: Option<&'a str>,
    pub status: Option<&'a str>,
    pub if_header: Option<&'a str>,
    pub if_match: Option<&'a str>,
    pub action: &'a str,
    pub header: &'a str,
    pub param: Option<&'a str>,
    pub uri_part: Option<&'a str>,
    pub pattern: Option<&'a str>,
    pub value: Option<&'a str>,
}

/// Why a rule was refused: the key to blame and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RuleError {
    /// The key as written in the file (`header`, `match`, `value` ...).
    pub key: &'static str,
    pub reason: String,
}

fn err(key: &'static str, reason: impl Into<String>) -> RuleError {
    RuleError {
        key,
        reason: reason.into(),
    }
}

/// An RFC 3261 token (header and parameter names, methods).
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn regex(key: &'static str, source: &str) -> Result<Pattern, RuleError> {
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map(Pattern)
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => err(
                key,
                format!("the regex is too large once compiled (limit {limit} bytes)"),
            ),
            e => err(key, format!("invalid regex: {}", one_line(&e.to_string()))),
        })
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Rule {
    /// Whether its value reads the other leg's message (`${other.<Header>}`).
    pub fn reads_other_leg(&self) -> bool {
        match &self.action {
            Action::Add(t) | Action::Set(t) | Action::Replace { with: t, .. } => {
                t.others().next().is_some()
            }
            Action::Remove => false,
        }
    }

    /// Checks `spec`; the first problem found is the error.
    pub fn build(spec: &RuleSpec<'_>) -> Result<Rule, RuleError> {
        let direction = match spec.direction.map(str::to_ascii_lowercase).as_deref() {
            None | Some("outbound") => Direction::Outbound,
            Some("inbound") => Direction::Inbound,
            Some(d) => {
                return Err(err(
                    "direction",
                    format!("\"{d}\": expected \"outbound\" or \"inbound\""),
                ));
            }
        };
        let method = match spec.method {
            Some(m) if is_token(m) => Some(m.to_ascii_uppercase()),
            Some(m) => return Err(err("method", format!("\"{m}\" is not a SIP method name"))),
            None => None,
        };
        let status = spec.status.map(status).transpose()?;
        let kind = match spec.message.map(str::to_ascii_lowercase).as_deref() {
            None | Some("any") if status.is_some() => Kind::Response,
            None | Some("any") => Kind::Any,
            Some("request") if status.is_some() => {
                return Err(err(
                    "status",
                    "a status applies to responses, and message is \"request\"",
                ));
            }
            Some("request") => Kind::Request,
            Some("response") => Kind::Response,
            Some(m) => {
                return Err(err(
                    "message",
                    format!("\"{m}\": expected \"request\", \"response\" or \"any\""),
                ));
            }
        };
        let if_header = match spec.if_header {
            Some(h) if is_token(h) || h.eq_ignore_ascii_case(REQUEST_URI) => Some(h.to_owned()),
            Some(h) => return Err(err("if_header", format!("\"{h}\" is not a header name"))),
            None => None,
        };
        let if_match = match (spec.if_match, &if_header) {
            (Some(_), None) => {
                return Err(err(
                    "if_match",
                    "needs if_header: the header whose value it matches",
                ));
            }
            (Some(m), Some(_)) => Some(regex("if_match", m)?),
            (None, _) => None,
        };
        let header = spec.header;
        let is_ruri = header.eq_ignore_ascii_case(REQUEST_URI);
        if !is_token(header) {
            return Err(err("header", format!("\"{header}\" is not a header name")));
        }
        if let Some(p) = PROTECTED.iter().find(|p| same_header(p, header)) {
            return Err(err(
                "header",
                format!(
                    "{p} is protected: the SBC's transactions, dialogs and framing depend on it"
                ),
            ));
        }
        if is_ruri && kind == Kind::Response {
            return Err(err("header", "responses have no Request-URI"));
        }
        let part = match (spec.param, spec.uri_part) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "uri_part",
                    "a rule acts on a param or a uri_part, not both",
                ));
            }
            (Some(p), None) if is_token(p) => Part::Param(p.to_ascii_lowercase()),
            (Some(p), None) => {
                return Err(err("param", format!("\"{p}\" is not a parameter name")));
            }
            (None, Some(u)) => Part::Uri(UriPart::from_name(u).ok_or_else(|| {
                err(
                    "uri_part",
                    format!("\"{u}\": expected \"user\", \"host\" or \"port\""),
                )
            })?),
            (None, None) => Part::Whole,
        };
        let action_name = spec.action.to_ascii_lowercase();
        let needs_value = matches!(action_name.as_str(), "add" | "set" | "replace");
        match (needs_value, spec.value) {
            (true, None) => return Err(err("value", format!("\"{action_name}\" needs a value"))),
            (false, Some(_)) if action_name == "remove" => {
                return Err(err("value", "\"remove\" takes no value"));
            }
            _ => {}
        }
        let pattern = match (action_name.as_str(), spec.pattern) {
            ("replace", Some(m)) => Some(regex("match", m)?),
            ("replace", None) => {
                return Err(err(
                    "match",
                    "\"replace\" needs match: the regex whose match is replaced",
                ));
            }
            (_, Some(_)) => return Err(err("match", "only \"replace\" takes a match")),
            _ => None,
        };
        let groups = pattern
            .as_ref()
            .or(if_match.as_ref())
            .map_or(0, |r| r.captures_len() - 1);
        let template = spec
            .value
            .map(|v| Template::parse(v, groups))
            .transpose()
            .map_err(|reason| err("value", reason))?;
        if direction == Direction::Inbound
            && template
                .as_ref()
                .is_some_and(|t| t.others().next().is_some())
        {
            return Err(err(
                "value",
                "${other.<Header>} reads the call's other leg, which an inbound rule runs before: use it in an outbound rule",
            ));
        }
        let action = match (action_name.as_str(), template) {
            ("add", Some(t)) => Action::Add(t),
            ("set", Some(t)) => Action::Set(t),
            ("remove", None) => Action::Remove,
            ("replace", Some(with)) => Action::Replace {
                // Checked above: replace has a pattern.
                pattern: pattern.ok_or_else(|| err("match", "missing"))?,
                with,
            },
            (a, _) => {
                return Err(err(
                    "action",
                    format!("\"{a}\": expected \"add\", \"set\", \"remove\" or \"replace\""),
                ));
            }
        };
        check_integrity(header, is_ruri, &part, &action)?;
        Ok(Rule {
            direction,
            method,
            kind,
            status,
            if_header,
            if_match,
            header: if is_ruri {
                REQUEST_URI.to_owned()
            } else {
                header.to_owned()
            },
            part,
            action,
        })
    }
}

fn status(s: &str) -> Result<Status, RuleError> {
    let bad = || {
        err(
            "status",
            format!("\"{s}\": expected a code (183) or a class (4xx)"),
        )
    };
    let lower = s.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        return match class.parse::<u16>() {
            Ok(c @ 1..=6) if class.len() == 1 => Ok(Status::Class(c)),
            _ => Err(bad()),
        };
    }
    match s.parse::<u16>() {
        Ok(c @ 100..=699) => Ok(Status::Code(c)),
        _ => Err(bad()),
    }
}

/// What would leave a message without a header it must have once, or with a broken
/// URI, is refused here (what templates fill in is checked again when applied).
fn check_integrity(
    header: &str,
    is_ruri: bool,
    part: &Part,
    action: &Action,
) -> Result<(), RuleError> {
    let single = SINGLE.iter().any(|s| same_header(s, header)) || is_ruri;
    let contact = same_header(header, "Contact");
    match (part, action) {
        (Part::Whole, Action::Remove | Action::Add(_)) if single || contact => {
            let what = if matches!(action, Action::Remove) {
                "removed"
            } else {
                "added"
            };
            return Err(err(
                "action",
                format!(
                    "{header} cannot be {what}: every message needs it exactly as the SBC built it"
                ),
            ));
        }
        (Part::Whole, _) if contact => {
            return Err(err(
                "header",
                "the Contact is where peers reach the SBC: only its uri_part user may change",
            ));
        }
        (Part::Whole, _) if is_ruri => {
            return Err(err(
                "header",
                "change the Request-URI by uri_part (user, host, port) or param",
            ));
        }
        (Part::Param(p), _) if p == "tag" && single => {
            return Err(err(
                "param",
                "the tag identifies the dialog: it is protected",
            ));
        }
        (Part::Uri(UriPart::Host | UriPart::Port), _) if contact => {
            return Err(err(
                "uri_part",
                "the Contact's host and port are where peers reach the SBC",
            ));
        }
        (Part::Uri(UriPart::Host), Action::Remove) => {
            return Err(err("action", "a URI cannot lose its host"));
        }
        _ => {}
    }
    if let Part::Uri(p) = part {
        if let Action::Add(t) | Action::Set(t) = action {
            if let Some(text) = t.literal() {
                if !p.accepts(text) {
                    return Err(err(
                        "value",
                        format!("\"{text}\" cannot stand in a URI's {}", part_name(*p)),
                    ));
                }
            }
        }
    }
    if let (Part::Whole, Action::Add(t) | Action::Set(t)) = (part, action) {
        if let Some(text) = t.literal() {
            if text.trim().is_empty() && single {
                return Err(err("value", format!("{header} cannot be empty")));
            }
            if single && !text.contains("sip:") && !text.contains("sips:") && !text.contains("tel:")
            {
                return Err(err(
                    "value",
                    format!("{header} must carry a sip:, sips: or tel: URI"),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn part_name(p: UriPart) -> &'static str {
    match p {
        UriPart::User => "user",
        UriPart::Host => "host",
        UriPart::Port => "port",
    }
}
