//! [`RegistrarRelay`]: bindings, and the REGISTER exchanges that keep them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::binding::Binding;
use super::upstream::{self, Contacts, Upstream, aor_of};
use crate::b2bua::{LegIdentity, Target, Tokens};
use crate::transaction::{ClientTxId, Peer, ServerTxId, response_for};
use crate::wire::{Known, Message, reason_phrase};

/// Where a phone's REGISTER goes: decided by the daemon from its config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterPlan {
    /// The registrar (a trunk peer).
    pub target: Target,
    /// The SBC on the phone's side and on the registrar's side.
    pub inbound: LegIdentity,
    pub outbound: LegIdentity,
    /// Expiry granted to the phone (NAT keep-alive interval), in seconds.
    pub nat_expires: u32,
    pub realm: String,
    pub trunk: String,
}

/// What to do with a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterAction {
    /// Answer the phone with this response.
    Respond(Message),
    /// Send this REGISTER to the registrar (`Engine::send_request`), then report its
    /// transaction with [`RegistrarRelay::forwarded`].
    Forward { request: Message, peer: Peer },
}

#[derive(Debug, Clone)]
struct Pending {
    downstream: ServerTxId,
    phone_request: Message,
    key: Option<(String, String)>,
    requested: u32,
    remove_all: Option<String>,
    /// The plan's `nat_expires`: what the phone will be granted.
    nat_expires: u32,
}

/// The registration relay: every phone binding, by (AOR, contact) and by token.
#[derive(Debug, Default)]
pub struct RegistrarRelay {
    bindings: HashMap<(String, String), Binding>,
    by_token: HashMap<String, (String, String)>,
    pending: HashMap<ClientTxId, Pending>,
    unsent: Option<Pending>,
    agent: String,
}

/// How long before the upstream registration runs out a phone refresh is relayed
/// anyway (so the registrar's binding never lapses while the phone is alive).
const UPSTREAM_MARGIN: Duration = Duration::from_secs(60);

/// How long a binding that never succeeded upstream is kept (a 401 challenge and the
/// phone's retry with credentials fit in it, keeping one Call-ID upstream).
const PENDING_LIFETIME: Duration = Duration::from_secs(64);

impl RegistrarRelay {
    pub fn new(agent: impl Into<String>) -> Self {
        RegistrarRelay {
            agent: agent.into(),
            ..RegistrarRelay::default()
        }
    }

    /// A REGISTER from a phone (server transaction `tx`, observed at `phone`).
    pub fn handle_register(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Message,
        phone: Peer,
        plan: &RegisterPlan,
        tokens: &mut Tokens,
    ) -> RegisterAction {
        let refuse = |code: u16, tokens: &mut Tokens| {
            RegisterAction::Respond(response_for(
                request,
                code,
                reason_phrase(code),
                Some(&tokens.tag()),
            ))
        };
        let Some(aor) = request.to().ok().and_then(|t| aor_of(&t)) else {
            // RFC 4475 §3.3.4: a registrar refuses a To that is not a SIP AOR.
            return refuse(400, tokens);
        };
        let aor = upstream_aor(&aor, plan);
        let contact = match upstream::contacts(request) {
            Ok(c) => c,
            Err(_) => return refuse(400, tokens),
        };
        let (key, expires, remove_all) = match contact {
            Contacts::Query => {
                let mut r = response_for(request, 200, "OK", Some(&tokens.tag()));
                for b in self.bindings.values().filter(|b| b.aor == aor) {
                    let left = b.phone_until.saturating_duration_since(now).as_secs();
                    r.push_header(
                        Known::Contact,
                        format!("<{}>;expires={left}", b.phone_contact),
                    );
                }
                return RegisterAction::Respond(r);
            }
            Contacts::RemoveAll => (None, 0, Some(aor.clone())),
            Contacts::One { uri, expires } => (Some((aor.clone(), uri)), expires, None),
        };
        if let Some(k) = &key {
            let binding = self.bindings.entry(k.clone()).or_insert_with(|| Binding {
                aor: k.0.clone(),
                phone_contact: k.1.clone(),
                phone,
                phone_call_id: request.call_id().unwrap_or_default().to_owned(),
                token: tokens.tag(),
                upstream_call_id: tokens.call_id(),
                upstream_from_tag: tokens.tag(),
                upstream_cseq: 0,
                upstream_until: None,
                // Until the first success: long enough for a challenge round trip.
                phone_until: now + PENDING_LIFETIME,
                realm: plan.realm.clone(),
                trunk: plan.trunk.clone(),
            });
            self.by_token.insert(binding.token.clone(), k.clone());
            binding.phone = phone;
            let keep_alive = Duration::from_secs(u64::from(plan.nat_expires.min(expires)));
            if expires > 0 && binding.upstream_valid_at(now + keep_alive + UPSTREAM_MARGIN) {
                // A NAT refresh while the registrar's binding is good for long: answer here.
                binding.phone_until = now + keep_alive;
                let mut r = response_for(request, 200, "OK", Some(&tokens.tag()));
                r.push_header(
                    Known::Contact,
                    format!(
                        "<{}>;expires={}",
                        binding.phone_contact,
                        keep_alive.as_secs()
                    ),
                );
                return RegisterAction::Respond(r);
            }
        }
        let (call_id, from_tag, cseq, token) = match &key {
            Some(k) => {
                // Invariant: inserted just above.
                let b = self.bindings.get_mut(k).expect("binding inserted above");
                b.upstream_cseq = b.upstream_cseq.wrapping_add(1);
                (
                    b.upstream_call_id.clone(),
                    b.upstream_from_tag.clone(),
                    b.upstream_cseq,
                    b.token.clone(),
                )
            }
            None => (tokens.call_id(), tokens.tag(), 1, String::new()),
        };
        let request_uri = upstream_request_uri(request, plan);
        let branch = tokens.branch();
        let up = Upstream {
            request_uri,
            aor: &aor,
            call_id: &call_id,
            from_tag: &from_tag,
            cseq,
            contact: format!(
                "<sip:{token}@{}{}>",
                plan.outbound.advertised,
                transport_param(plan.target.peer.transport)
            ),
            expires,
            via_host: &plan.outbound.advertised,
            branch: &branch,
            target: &plan.target,
            agent: &self.agent,
        };
        let out = upstream::register(&up, request, remove_all.is_some());
        self.unsent = Some(Pending {
            downstream: tx,
            phone_request: request.clone(),
            key,
            requested: expires,
            remove_all,
            nat_expires: plan.nat_expires,
        });
        RegisterAction::Forward {
            request: out,
            peer: plan.target.peer,
        }
    }

    /// The REGISTER of the last [`RegisterAction::Forward`] went out as `tx`.
    pub fn forwarded(&mut self, tx: ClientTxId) {
        if let Some(p) = self.unsent.take() {
            self.pending.insert(tx, p);
        }
    }

    /// It could not be sent: the response for the phone.
    pub fn forward_failed(&mut self, tokens: &mut Tokens) -> Option<(ServerTxId, Message)> {
        let p = self.unsent.take()?;
        self.forget_unregistered(p.key.as_ref());
        Some((
            p.downstream,
            response_for(
                &p.phone_request,
                500,
                reason_phrase(500),
                Some(&tokens.tag()),
            ),
        ))
    }

    /// Whether `tx` is an upstream REGISTER of this relay.
    pub fn owns(&self, tx: ClientTxId) -> bool {
        self.pending.contains_key(&tx)
    }

    /// A response from the registrar; returns the phone's response when there is one.
    pub fn handle_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        resp: &Message,
        tokens: &mut Tokens,
    ) -> Option<(ServerTxId, Message)> {
        let code = resp.status()?;
        if code < 200 {
            return None;
        }
        let p = self.pending.remove(&tx)?;
        let tag = tokens.tag();
        if let Some(aor) = &p.remove_all {
            let gone: Vec<(String, String)> = self
                .bindings
                .keys()
                .filter(|k| &k.0 == aor)
                .cloned()
                .collect();
            for k in gone {
                self.remove(&k);
            }
            return Some((p.downstream, relayed(&p.phone_request, resp, code, &tag)));
        }
        if (200..300).contains(&code) {
            let key = p.key?;
            let granted = self
                .bindings
                .get(&key)
                .and_then(|b| upstream::granted(resp, &b.token));
            let mut out = response_for(
                &p.phone_request,
                code,
                resp.reason().unwrap_or("OK"),
                Some(&tag),
            );
            match granted.filter(|g| *g > 0 && p.requested > 0) {
                Some(g) => {
                    let down = g.min(p.nat_expires).max(1);
                    if let Some(b) = self.bindings.get_mut(&key) {
                        b.upstream_until = Some(now + Duration::from_secs(u64::from(g)));
                        b.phone_until = now + Duration::from_secs(u64::from(down));
                        out.push_header(
                            Known::Contact,
                            format!("<{}>;expires={down}", b.phone_contact),
                        );
                    }
                }
                None => self.remove(&key),
            }
            return Some((p.downstream, out));
        }
        if !matches!(code, 401 | 407) {
            self.forget_unregistered(p.key.as_ref());
        }
        Some((p.downstream, relayed(&p.phone_request, resp, code, &tag)))
    }

    /// An upstream REGISTER got no response.
    pub fn handle_timeout(
        &mut self,
        tx: ClientTxId,
        tokens: &mut Tokens,
    ) -> Option<(ServerTxId, Message)> {
        let p = self.pending.remove(&tx)?;
        self.forget_unregistered(p.key.as_ref());
        Some((
            p.downstream,
            response_for(
                &p.phone_request,
                408,
                reason_phrase(408),
                Some(&tokens.tag()),
            ),
        ))
    }

    /// Forgets phones that stopped refreshing. Returns how many were dropped.
    pub fn expire(&mut self, now: Instant) -> usize {
        let dead: Vec<(String, String)> = self
            .bindings
            .iter()
            .filter(|(k, b)| {
                b.phone_until <= now && !self.pending.values().any(|p| p.key.as_ref() == Some(k))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &dead {
            self.remove(k);
        }
        dead.len()
    }

    /// When the next phone binding runs out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.bindings.values().map(|b| b.phone_until).min()
    }

    /// The binding a call for `sip:<token>@SBC` belongs to.
    pub fn by_token(&self, token: &str) -> Option<&Binding> {
        self.by_token.get(token).and_then(|k| self.bindings.get(k))
    }

    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.values()
    }

    fn remove(&mut self, key: &(String, String)) {
        if let Some(b) = self.bindings.remove(key) {
            self.by_token.remove(&b.token);
        }
    }

    /// A binding created for a REGISTER that failed before ever succeeding is dropped.
    fn forget_unregistered(&mut self, key: Option<&(String, String)>) {
        if let Some(k) = key {
            if self
                .bindings
                .get(k)
                .is_some_and(|b| b.upstream_until.is_none())
            {
                self.remove(k);
            }
        }
    }
}

/// The registrar's failure (or removal answer), relayed: challenges cross (they belong to
/// the AOR's domain), nothing else of the registrar's side does.
fn relayed(phone_request: &Message, resp: &Message, code: u16, tag: &str) -> Message {
    let code = match code {
        300..=399 => 480,
        c => c,
    };
    let mut out = response_for(
        phone_request,
        code,
        resp.reason().unwrap_or(reason_phrase(code)),
        Some(tag),
    );
    for name in [
        Known::WwwAuthenticate,
        Known::ProxyAuthenticate,
        Known::RetryAfter,
    ] {
        for v in resp.header_values(name) {
            out.push_header(name, v);
        }
    }
    if let Some(min) = resp.other_header("Min-Expires") {
        out.push_header(crate::wire::HeaderName::Other("Min-Expires".into()), min);
    }
    out
}

/// The AOR upstream: a phone that registers with the SBC's own address as its domain
/// gets the registrar's host instead (the SBC's address must not cross).
fn upstream_aor(aor: &str, plan: &RegisterPlan) -> String {
    let (user, host) = aor.split_once('@').unwrap_or(("", aor));
    let ours = host_only(&plan.inbound.advertised);
    if host == ours || host == plan.inbound.advertised.to_ascii_lowercase() {
        format!("{user}@{}", host_only(&plan.target.host))
    } else {
        aor.to_owned()
    }
}

fn upstream_request_uri(req: &Message, plan: &RegisterPlan) -> String {
    let uri = req.request_uri().unwrap_or_default();
    let host = req
        .request_uri_parsed()
        .and_then(Result::ok)
        .and_then(|u| u.as_sip().map(|s| s.host.to_string().to_ascii_lowercase()));
    match host {
        Some(h) if h != host_only(&plan.inbound.advertised) => uri.to_owned(),
        _ => format!("sip:{}", plan.target.host),
    }
}

/// `host` of `host:port` (IPv6 kept in brackets).
fn host_only(hostport: &str) -> String {
    let h = match hostport.rsplit_once(':') {
        Some((h, p))
            if p.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) =>
        {
            h
        }
        _ => hostport,
    };
    h.to_ascii_lowercase()
}

fn transport_param(t: sbc_core::Transport) -> &'static str {
    match t {
        sbc_core::Transport::Udp => "",
        sbc_core::Transport::Tcp => ";transport=tcp",
        sbc_core::Transport::Tls => ";transport=tls",
    }
}
