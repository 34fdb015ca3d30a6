//! ICE-lite on legs whose trunk says `ice = "lite"` (Microsoft Teams Direct Routing with
//! media bypass): the SBC is a lite agent (RFC 8445 §2.5), the far end a full one.
//!
//! * Every SDP the SBC sends on such a leg carries `a=ice-lite` (session level) and, per
//!   anchored section, `a=ice-ufrag`/`a=ice-pwd` and one host candidate per component
//!   on the SBC's address there (`public_ip` when set): component 1 on the RTP port,
//!   component 2 on the RTCP port unless the section is muxed. The credentials are made
//!   once per call and leg (from the OS CSPRNG, like SDES keys), so every 183 and the
//!   200 say the same.
//! * Every SDP received on such a leg gives its `a=ice-ufrag` (media level, else session
//!   level) to the engine with [`MediaOp::Ice`] — per early dialog of B, each fork being
//!   its own remote agent — after the section's `Open`/`Remote`.
//! * An ICE restart (RFC 8445 §9): once answered, an SDP from the leg whose ufrag or
//!   password differs from the answering dialog's makes the SBC take new credentials
//!   too (its answer carries them); the engine then forgets the old nominations.
//! * Other legs never see ICE: the offer/answer steps strip every ICE attribute before
//!   anything crosses.

use sbc_core::{IceCredentials, MediaOp, Side};
use sbc_ice::credentials::RANDOM_LEN;
use sbc_sdp::{Attribute, SessionDescription};

use super::sdes::{KeySource, NoRandom};
use super::state::CallMedia;

/// Candidate priority of a host candidate (RFC 8445 §5.1.2.1: type preference 126, local
/// preference 65535) for `component`.
fn priority(component: u32) -> u32 {
    (126 << 24) + (65535 << 8) + (256 - component)
}

/// The SBC's ICE state on one leg of a call.
#[derive(Debug, Clone)]
pub struct IceLeg {
    pub local: IceCredentials,
    /// The peer's credentials by early dialog (`None`: side A, or B after the answer).
    remote: Vec<(Option<String>, String, String)>,
}

fn fresh(keys: &mut KeySource) -> Result<IceCredentials, NoRandom> {
    let mut random = [0u8; RANDOM_LEN];
    keys.fill(&mut random)?;
    let c = sbc_ice::Credentials::from_random(&random);
    random.fill(0);
    Ok(IceCredentials {
        ufrag: c.ufrag().to_owned(),
        pwd: c.pwd().to_owned(),
    })
}

/// The peer's `(ufrag, pwd)` in `sdp` (the first section's, else the session's).
pub fn credentials(sdp: &SessionDescription) -> Option<(String, String)> {
    let media = sdp.media.first().map(|m| &m.attributes);
    let ufrag = media
        .and_then(|a| a.ice_ufrag())
        .or(sdp.attributes.ice_ufrag())?;
    let pwd = media
        .and_then(|a| a.ice_pwd())
        .or(sdp.attributes.ice_pwd())?;
    Some((ufrag.to_owned(), pwd.to_owned()))
}

/// The leg's state, made on first use.
fn leg<'c>(
    call: &'c mut CallMedia,
    side: Side,
    keys: &mut KeySource,
) -> Result<&'c mut IceLeg, NoRandom> {
    let slot = &mut call.ice[usize::from(side == Side::B)];
    if slot.is_none() {
        *slot = Some(IceLeg {
            local: fresh(keys)?,
            remote: Vec::new(),
        });
    }
    // Invariant: filled just above.
    Ok(slot.as_mut().unwrap_or_else(|| unreachable!()))
}

/// An SDP from `side`'s peer (offer or answer, `fork` on B before the answer), with its
/// ICE credentials `remote` read before they were stripped: a restart when they changed
/// after the answer; the engine told the peer's ufrag for every anchored section.
pub fn from_peer(
    call: &mut CallMedia,
    keys: &mut KeySource,
    ops: &mut Vec<MediaOp>,
    side: Side,
    fork: Option<&str>,
    remote: Option<(String, String)>,
    anchored: &[bool],
) -> Result<(), NoRandom> {
    if !call.leg(side).ice {
        return Ok(());
    }
    let answered = call.answered;
    let dialog = if answered {
        call.answered_fork.clone()
    } else {
        fork.map(str::to_owned)
    };
    let state = leg(call, side, keys)?;
    if let Some((ufrag, pwd)) = &remote {
        let before = state.remote.iter().find(|(f, _, _)| *f == dialog);
        let changed = before.is_some_and(|(_, u, p)| u != ufrag || p != pwd);
        if answered && changed {
            state.local = fresh(keys)?;
            state.remote.clear();
        }
        state.remote.retain(|(f, _, _)| *f != dialog);
        state
            .remote
            .push((dialog.clone(), ufrag.clone(), pwd.clone()));
    }
    let local = state.local.clone();
    let ufrag = remote.map(|(u, _)| u);
    for index in (0..anchored.len()).filter(|&i| anchored[i] && call.streams[i].is_some()) {
        ops.push(MediaOp::Ice {
            stream: call.key(index),
            side,
            fork: if side == Side::B && !answered {
                fork.map(str::to_owned)
            } else {
                None
            },
            local: Some(local.clone()),
            remote_ufrag: ufrag.clone(),
        });
    }
    Ok(())
}

/// An SDP the SBC is about to send on `side` (already anchored and hidden): the lite
/// agent's lines added, and the engine told to answer checks on those streams.
pub fn to_peer(
    call: &mut CallMedia,
    keys: &mut KeySource,
    ops: &mut Vec<MediaOp>,
    side: Side,
    sdp: &mut SessionDescription,
    anchored: &[bool],
) -> Result<(), NoRandom> {
    if !call.leg(side).ice {
        return Ok(());
    }
    let local = leg(call, side, keys)?.local.clone();
    let ip = call.leg(side).sdp_ip;
    sdp.attributes.push(Attribute::flag("ice-lite"));
    for (index, m) in sdp.media.iter_mut().enumerate() {
        if !anchored.get(index).copied().unwrap_or(false) || m.is_rejected() {
            continue;
        }
        m.attributes.push(Attribute::new("ice-ufrag", &local.ufrag));
        m.attributes.push(Attribute::new("ice-pwd", &local.pwd));
        let mut components = vec![(1, m.port)];
        if !m.rtcp_mux() {
            let rtcp = m
                .attributes
                .rtcp()
                .map(|r| r.port)
                .or(m.port.checked_add(1));
            components.extend(rtcp.map(|p| (2, p)));
        }
        for (component, port) in components {
            m.attributes.push(Attribute::new(
                "candidate",
                format!(
                    "1 {component} UDP {} {ip} {port} typ host",
                    priority(component)
                ),
            ));
        }
        if call.streams[index].is_some() {
            ops.push(MediaOp::Ice {
                stream: call.key(index),
                side,
                fork: None,
                local: Some(local.clone()),
                remote_ufrag: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::priority;

    #[test]
    fn host_candidate_priorities() {
        // RFC 8445 §5.1.2.1 with type preference 126 and local preference 65535.
        assert_eq!(priority(1), 2_130_706_431);
        assert_eq!(priority(2), 2_130_706_430);
    }
}
