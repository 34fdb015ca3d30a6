//! Header manipulation rules of trunks (`[[trunk.rule]]`): what operators use to fix a
//! peer's quirks without code (AudioCodes "Message Manipulation", Oracle "HMR").
//!
//! # How it runs
//!
//! A [`RuleSet`] is built once per trunk from the rules as written ([`RuleSpec`]) when
//! the configuration is loaded: every rule is checked there ([`Rule::build`]) and a
//! refused rule names the key to blame ([`RuleError::key`]), so nothing is found wrong
//! on the call path. The daemon then hands each message of that trunk's leg, as text
//! ([`SipText`]), to [`RuleSet::apply`] with its [`Direction`]: `Outbound` after the
//! B2BUA built what the SBC sends to the trunk, `Inbound` to what the trunk sent before
//! the SBC acts on it. Rules run in file order, each on the result of the previous.
//!
//! # What a rule is
//!
//! Conditions (all optional): `method` (of a request, or of a response's CSeq),
//! `message` (`request`/`response`/`any`), `status` (`183` or `4xx`), `if_header`
//! present, and `if_match` (a regex on that header's value, whose captures the value
//! may use). An action on `header` (`Request-URI` for the request line's URI), on one
//! of its parameters (`param`) or on a part of its URI (`uri_part`: `user`, `host`,
//! `port`): `add`, `set`, `remove`, or `replace` (`match` regex, `value` with `$1`..).
//! A value of an outbound rule may read the message the SBC last received on the call's
//! other leg: `${other.P-Asserted-Identity}` (the caller's INVITE for the INVITE sent to
//! the trunk; the callee's response for the response relayed back); a rule whose
//! reference cannot be filled (no such header there) leaves the message as it was.
//!
//! # Invariants
//!
//! * Headers the SBC's transactions, dialogs and framing depend on ([`PROTECTED`]) are
//!   never touched; From and To stay exactly once with their tags; the Contact keeps
//!   its host and port (only its user may change); no value can hold a line break.
//! * Regexes are size-limited ([`REGEX_SIZE_LIMIT`]) and run in linear time (the
//!   `regex` crate), so a rule cannot stall the core.
//! * What a template fills in for a URI part or a parameter is checked when applied;
//!   a value that cannot stand there leaves the message as it was
//!   ([`Outcome::Refused`]). The daemon re-parses every changed message with the SIP
//!   parser and sends the original when that fails.

mod apply;
mod message;
mod rule;
mod template;
mod value;

pub use apply::Outcome;
pub use message::{SipText, TextError, full_name, same_header};
pub use rule::{
    Action, Direction, Kind, PROTECTED, Part, Pattern, REGEX_SIZE_LIMIT, REQUEST_URI, Rule,
    RuleError, RuleSpec, SINGLE, Status,
};
pub use value::UriPart;

/// The rules of one trunk, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> Self {
        RuleSet { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether some rule acts on messages going in `direction`.
    pub fn acts_on(&self, direction: Direction) -> bool {
        self.rules.iter().any(|r| r.direction == direction)
    }

    /// Whether some rule reads the other leg's message (`${other.<Header>}`).
    pub fn reads_other_leg(&self) -> bool {
        self.rules.iter().any(Rule::reads_other_leg)
    }

    /// Runs every rule on `msg` in order; one outcome per rule. `other` is the message
    /// the SBC last received on the call's other leg (`${other.<Header>}`), if known.
    pub fn apply(
        &self,
        msg: &mut SipText,
        direction: Direction,
        other: Option<&SipText>,
    ) -> Vec<Outcome> {
        self.rules
            .iter()
            .map(|r| r.apply(msg, direction, other))
            .collect()
    }
}
