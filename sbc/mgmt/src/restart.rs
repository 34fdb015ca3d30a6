//! Settings the daemon reads only when it starts: a change to them is saved and checked
//! like any other, but runs only after a restart. The API says so instead of letting
//! the operator believe it is live: every write answer carries
//! [`HEADER`]` : management.listen, firewall.enabled` (the keys still waiting for a
//! restart), and `/api/system` lists them as `restart_required`.
//!
//! What is pending is the difference between the configuration the daemon started with
//! and the saved one, so changing a key back clears it again. Certificate files
//! replaced by an upload are noted separately ([`crate::AppState`] keeps them): their
//! paths did not change, their content did.

use sbc_config::Config;

/// The answer header naming the keys that take effect at the next restart.
pub const HEADER: &str = "sbc-restart-required";

/// What an operator reads next to the keys.
pub const NOTE: &str = "saved; takes effect at restart";

/// Keys of `saved` that differ from `running` (the configuration the daemon started
/// with) and that the daemon reads only at start. Key paths as in validation errors.
pub fn pending(running: &Config, saved: &Config) -> Vec<String> {
    let mut keys = Vec::new();
    let mut note = |changed: bool, key: String| {
        if changed {
            keys.push(key);
        }
    };
    let (rm, sm) = (running.management(), saved.management());
    note(rm.listen != sm.listen, "management.listen".into());
    note(rm.tls != sm.tls, "management.tls_cert".into());
    note(
        running.system().state_dir != saved.system().state_dir,
        "system.state_dir".into(),
    );
    let (rf, sf) = (running.firewall(), saved.firewall());
    note(rf.enabled != sf.enabled, "firewall.enabled".into());
    note(rf.table != sf.table, "firewall.table".into());
    let (rs, ss) = (running.sip(), saved.sip());
    note(
        rs.max_message_size != ss.max_message_size,
        "sip.max_message_size".into(),
    );
    note(rs.max_headers != ss.max_headers, "sip.max_headers".into());
    note(
        rs.max_connections != ss.max_connections,
        "sip.max_connections".into(),
    );
    let (rmedia, smedia) = (running.media(), saved.media());
    note(rmedia.workers != smedia.workers, "media.workers".into());
    note(
        rmedia.realtime_priority != smedia.realtime_priority,
        "media.realtime_priority".into(),
    );
    note(
        rmedia.transcode_threads != smedia.transcode_threads,
        "media.transcode_threads".into(),
    );
    note(
        rmedia.transcode_priority != smedia.transcode_priority,
        "media.transcode_priority".into(),
    );
    // Listeners are bound, and their TLS identities loaded, at start.
    for (i, realm) in saved.realms().iter().enumerate() {
        let before = running.realm(&realm.name);
        let mut listen: Vec<_> = realm.listen.iter().map(ToString::to_string).collect();
        listen.sort();
        let was = before.map(|r| {
            let mut v: Vec<_> = r.listen.iter().map(ToString::to_string).collect();
            v.sort();
            v
        });
        note(
            was.as_ref() != Some(&listen) && !(was.is_none() && listen.is_empty()),
            format!("realm[{i}].listen"),
        );
        let tls = |r: &sbc_config::Realm| {
            (
                r.tls.clone(),
                r.certificates.clone(),
                r.tls_verify_client,
                r.tls_client_ca.clone(),
            )
        };
        let has_tls = realm.listen.iter().any(is_tls);
        note(
            has_tls && before.map(tls) != Some(tls(realm)),
            format!("realm[{i}].tls_cert"),
        );
    }
    for realm in running.realms() {
        note(
            saved.realm(&realm.name).is_none() && !realm.listen.is_empty(),
            format!("realm \"{}\" (removed; its listeners stay)", realm.name),
        );
    }
    // Trunks' TLS client settings (CAs, client certificates) are loaded at start.
    for (i, trunk) in saved.trunks().iter().enumerate() {
        let tls_peers = |t: &sbc_config::Trunk| t.peers.iter().any(is_tls);
        let before = running.trunk(&trunk.name);
        let changed = match before {
            Some(b) => b.tls != trunk.tls || (tls_peers(trunk) && !tls_peers(b)),
            None => tls_peers(trunk),
        };
        note(changed, format!("trunk[{i}].tls"));
    }
    keys
}

/// Whether a listener or peer (`tls:10.0.0.1:5061`) is TLS.
fn is_tls(addr: &impl std::fmt::Display) -> bool {
    addr.to_string().starts_with("tls:")
}
