//! The wire layer: parsing, validating and printing messages, and framing them on
//! datagram and stream transports.

mod error;
mod framing;
mod header_name;
mod limits;
mod message;
mod method;
mod parse;
mod reason;
mod reject;
mod validate;

pub use error::ParseError;
pub use framing::{FrameError, StreamEvent, StreamFramer};
pub use header_name::{HeaderName, Known};
pub use limits::Limits;
pub use message::{HeaderRef, Message};
pub use method::Method;
pub use parse::Framing;
pub use reason::reason_phrase;
pub use reject::reject_response;
