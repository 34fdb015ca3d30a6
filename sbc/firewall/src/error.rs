//! Errors of the firewall crate.

use std::io;

use crate::model::ElementOp;

/// Why a ruleset operation (check, setup, apply, shutdown) or a netlink socket failed.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// The `nft` binary is not installed.
    #[error("the nft program was not found ({program}); apt install nftables")]
    NftMissing {
        /// The program looked for.
        program: String,
    },
    /// `nft` could not be run (other than missing).
    #[error("running {program} failed: {source}")]
    NftExec {
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The kernel (or `nft`) refused our ruleset; the text is nft's error output.
    #[error("nft rejected the ruleset for table inet {table}: {error}")]
    Rejected {
        /// Our table name.
        table: String,
        /// nft's message.
        error: String,
    },
    /// A NETLINK_NETFILTER socket could not be opened or used.
    #[error("netfilter netlink socket unavailable: {source}")]
    NetlinkUnavailable {
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A netlink request was answered with an error.
    #[error("netlink request on set {set} of table inet {table} failed: {source}")]
    Netlink {
        /// Our table.
        table: String,
        /// The set.
        set: String,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The desired state cannot be rendered (bad table name, empty media range...).
    #[error("invalid firewall state: {reason}")]
    Invalid {
        /// What is wrong, naming the value.
        reason: String,
    },
}

/// One set-element operation the kernel did not carry out.
#[derive(Debug, thiserror::Error)]
#[error("{op:?} failed: {source}")]
pub struct ElementError {
    /// The operation.
    pub op: ElementOp,
    /// The kernel's (or the socket's) error.
    #[source]
    pub source: io::Error,
}

/// The operations of one [`crate::Elements::flush`] that failed; the others were committed.
#[derive(Debug, thiserror::Error)]
#[error("{} set element operation(s) failed{}", .failed.len(), first(.failed))]
pub struct ElementErrors {
    /// Each failed operation with its error, in queue order.
    pub failed: Vec<ElementError>,
}

fn first(failed: &[ElementError]) -> String {
    match failed.first() {
        Some(e) => format!(", first: {e}"),
        None => String::new(),
    }
}
