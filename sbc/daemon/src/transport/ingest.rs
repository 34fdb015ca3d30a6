//! Parse a received message; refuse it on the wire when it is malformed.

use std::net::SocketAddr;

use sbc_sip::{Framing, Limits, Message, ParseError, reject_response};
use tracing::warn;

/// Parsing context shared by all listeners.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub limits: Limits,
    /// Name used as the warn-agent of Warning headers.
    pub agent: String,
}

/// A message that was refused, and the response to send back, if one can be formed.
#[derive(Debug)]
pub struct Refused {
    pub error: ParseError,
    pub response: Option<Vec<u8>>,
}

impl Ingest {
    /// Parses `bytes` received from `remote`. On failure logs one line and returns the
    /// response to send (400/505/513 with a Warning), when one can be formed.
    pub fn parse(
        &self,
        bytes: Vec<u8>,
        framing: Framing,
        remote: SocketAddr,
    ) -> Result<Message, Refused> {
        match Message::parse_or_return(bytes, framing, &self.limits) {
            Ok(m) => Ok(m),
            Err((error, bytes)) => {
                let response = reject_response(&bytes, &error, &self.agent);
                warn!(
                    %remote,
                    len = bytes.len(),
                    answered = response.is_some(),
                    "refused malformed message: {error}"
                );
                Err(Refused { error, response })
            }
        }
    }
}
