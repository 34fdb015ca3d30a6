//! The ICE-lite agent of one media stream (RFC 8445 §2.5, §7.3): it answers connectivity
//! checks and never sends any.
//!
//! [`LiteAgent::handle`] takes a datagram whose first byte said STUN (RFC 7983) and
//! either writes the Binding success response over it (the caller sends it back to the
//! source) or says why it is dropped. A check is answered only when
//!
//! * it is a Binding request (indications are keep-alives: consumed; responses cannot be
//!   for a lite agent, which sends no requests),
//! * its FINGERPRINT, when present, is right,
//! * its USERNAME is `<our ufrag>:<their ufrag>` — another local ufrag (a check for
//!   credentials an ICE restart replaced, or for another stream) is [`Drop::UnknownUfrag`],
//! * its MESSAGE-INTEGRITY is there and right for our password ([`Drop::BadIntegrity`]
//!   otherwise).
//!
//! Failures are dropped, not answered with 400/401 as RFC 8489 §9.1.3 would: an SBC's
//! media port answers nobody who cannot prove they read its SDP, so a scanner learns
//! nothing, and nothing unauthenticated is ever reflected.
//!
//! Forks: each remote ufrag is a remote agent (a forked 183 brings its own). Remote
//! ufrags signalled in SDP are [`LiteAgent::add_remote`]ed; a check whose remote part is
//! new is still answered when it authenticates (it may overtake its 183), and tracked,
//! up to [`MAX_REMOTES`]. A check with USE-CANDIDATE nominates its source for that
//! remote (aggressive or regular nomination alike: a lite agent nominates what the
//! controlling side says); a later nomination replaces an earlier one.
//! [`LiteAgent::select`] names the remote whose answer won (the 200's fork); from then
//! on [`LiteAgent::media_target`] follows that remote's nominations only, before it the
//! latest nomination of any remote. An ICE restart ([`LiteAgent::restart`]) takes new
//! local credentials and forgets every remote and nomination.

use std::net::SocketAddr;
use std::time::Instant;

use crate::credentials::Credentials;
use crate::encode::Writer;
use crate::message::{BINDING, Class, Message, ParseError};

/// Remote agents (forks) tracked per stream at most.
pub const MAX_REMOTES: usize = 8;

/// Index of a remote agent of a [`LiteAgent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteId(pub usize);

/// Why a STUN datagram was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Drop {
    #[error("not a STUN message: {0}")]
    Malformed(ParseError),
    #[error("FINGERPRINT does not match")]
    BadFingerprint,
    #[error("not a Binding request")]
    NotARequest,
    #[error("a Binding indication (keep-alive)")]
    Indication,
    #[error("USERNAME names no current local ufrag")]
    UnknownUfrag,
    #[error("MESSAGE-INTEGRITY missing or wrong")]
    BadIntegrity,
    #[error("more than {MAX_REMOTES} remote agents")]
    TooManyRemotes,
    #[error("the buffer cannot hold the response")]
    NoRoom,
}

/// A check answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// Length of the response written at the start of the buffer.
    pub len: usize,
    /// The remote agent the check came from.
    pub remote: RemoteId,
    /// Whether it nominated its source (USE-CANDIDATE).
    pub nominated: bool,
}

#[derive(Debug, Clone)]
struct Remote {
    ufrag: String,
    /// Source of its last authenticated check, and when.
    last_check: Option<(SocketAddr, Instant)>,
    nominated: Option<SocketAddr>,
}

/// The lite agent of one stream.
#[derive(Debug, Clone)]
pub struct LiteAgent {
    local: Credentials,
    remotes: Vec<Remote>,
    selected: Option<RemoteId>,
    /// The remote of the latest nomination.
    latest: Option<RemoteId>,
}

impl LiteAgent {
    pub fn new(local: Credentials) -> Self {
        LiteAgent {
            local,
            remotes: Vec::new(),
            selected: None,
            latest: None,
        }
    }

    /// The credentials SDP advertises (the same in every 183 and the 200).
    pub fn local(&self) -> &Credentials {
        &self.local
    }

    /// A remote ufrag from SDP (a fork's 183 or 200, an offer); the same ufrag twice is
    /// the same remote.
    pub fn add_remote(&mut self, ufrag: &str) -> Option<RemoteId> {
        if let Some(i) = self.remotes.iter().position(|r| r.ufrag == ufrag) {
            return Some(RemoteId(i));
        }
        if self.remotes.len() >= MAX_REMOTES {
            return None;
        }
        self.remotes.push(Remote {
            ufrag: ufrag.to_owned(),
            last_check: None,
            nominated: None,
        });
        Some(RemoteId(self.remotes.len() - 1))
    }

    /// The remote whose answer won the call: media follows its nominations only.
    pub fn select(&mut self, remote: RemoteId) {
        self.selected = Some(remote);
    }

    /// An ICE restart (RFC 8445 §9): new local credentials, every remote forgotten.
    pub fn restart(&mut self, local: Credentials) {
        self.local = local;
        self.remotes.clear();
        self.selected = None;
        self.latest = None;
    }

    /// Where `remote` nominated, if it did.
    pub fn nominated(&self, remote: RemoteId) -> Option<SocketAddr> {
        self.remotes.get(remote.0)?.nominated
    }

    /// The source and time of `remote`'s last authenticated check.
    pub fn last_check(&self, remote: RemoteId) -> Option<(SocketAddr, Instant)> {
        self.remotes.get(remote.0)?.last_check
    }

    /// The ufrag of `remote`.
    pub fn remote_ufrag(&self, remote: RemoteId) -> Option<&str> {
        self.remotes.get(remote.0).map(|r| r.ufrag.as_str())
    }

    /// Where media goes: the selected remote's nomination once a remote is selected,
    /// before that the latest nomination of any.
    pub fn media_target(&self) -> Option<SocketAddr> {
        self.nominated(self.selected.or(self.latest)?)
    }

    /// Answers the check of `len` bytes in `buf` from `from`, writing the response over
    /// it, or says why not.
    pub fn handle(
        &mut self,
        now: Instant,
        from: SocketAddr,
        buf: &mut [u8],
        len: usize,
    ) -> Result<Answered, Drop> {
        let data = buf.get(..len).ok_or(Drop::NoRoom)?;
        let msg = Message::parse(data).map_err(Drop::Malformed)?;
        if msg.fingerprint_ok() == Some(false) {
            return Err(Drop::BadFingerprint);
        }
        match (msg.class, msg.method) {
            (Class::Request, BINDING) => {}
            (Class::Indication, BINDING) => return Err(Drop::Indication),
            _ => return Err(Drop::NotARequest),
        }
        let (ours, theirs) = msg
            .username
            .and_then(|u| std::str::from_utf8(u).ok())
            .and_then(|u| u.split_once(':'))
            .ok_or(Drop::UnknownUfrag)?;
        if ours != self.local.ufrag() || theirs.is_empty() {
            return Err(Drop::UnknownUfrag);
        }
        if !msg.verify_integrity(self.local.pwd().as_bytes()) {
            return Err(Drop::BadIntegrity);
        }
        let nominated = msg.use_candidate;
        let transaction = msg.transaction;
        let theirs = theirs.to_owned();
        let remote = self.add_remote(&theirs).ok_or(Drop::TooManyRemotes)?;
        let len = self.respond(buf, transaction, from).ok_or(Drop::NoRoom)?;
        let r = &mut self.remotes[remote.0];
        r.last_check = Some((from, now));
        if nominated {
            r.nominated = Some(from);
            self.latest = Some(remote);
        }
        Ok(Answered {
            len,
            remote,
            nominated,
        })
    }

    /// The Binding success response: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY with our
    /// password, FINGERPRINT (RFC 8445 §7.3.1.4).
    fn respond(&self, buf: &mut [u8], transaction: [u8; 12], from: SocketAddr) -> Option<usize> {
        let mut w = Writer::new(buf, BINDING, Class::Success, transaction).ok()?;
        w.xor_mapped_address(from).ok()?;
        w.message_integrity(self.local.pwd().as_bytes()).ok()?;
        w.fingerprint().ok()?;
        Some(w.finish())
    }
}
