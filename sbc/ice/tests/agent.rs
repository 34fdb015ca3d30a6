//! The lite agent on a virtual clock: checks answered with the source's
//! XOR-MAPPED-ADDRESS under our password, bad ones dropped (and never nominating),
//! forked endpoints nominating before and after the answer, an ICE restart.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_ice::credentials::RANDOM_LEN;
use sbc_ice::message::{BINDING, attr};
use sbc_ice::{Class, Credentials, Drop, LiteAgent, Message, RemoteId, Writer};

fn local() -> Credentials {
    Credentials::from_random(&[7; RANDOM_LEN])
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("an address")
}

/// A connectivity check as a controlling full agent sends it.
struct Check<'a> {
    username: &'a str,
    key: &'a [u8],
    use_candidate: bool,
    fingerprint: bool,
    transaction: [u8; 12],
}

impl<'a> Check<'a> {
    fn new(username: &'a str, key: &'a [u8]) -> Self {
        Check {
            username,
            key,
            use_candidate: false,
            fingerprint: true,
            transaction: [9; 12],
        }
    }

    fn nominating(mut self) -> Self {
        self.use_candidate = true;
        self
    }

    fn bytes(&self) -> ([u8; 1500], usize) {
        let mut buf = [0u8; 1500];
        let mut w = Writer::new(&mut buf, BINDING, Class::Request, self.transaction).expect("room");
        w.attribute(attr::USERNAME, self.username.as_bytes())
            .expect("room");
        w.attribute(attr::PRIORITY, &0x6e00_01ffu32.to_be_bytes())
            .expect("room");
        w.attribute(attr::ICE_CONTROLLING, &42u64.to_be_bytes())
            .expect("room");
        if self.use_candidate {
            w.attribute(attr::USE_CANDIDATE, &[]).expect("room");
        }
        w.message_integrity(self.key).expect("room");
        if self.fingerprint {
            w.fingerprint().expect("room");
        }
        let n = w.finish();
        (buf, n)
    }
}

fn username(agent: &LiteAgent, remote: &str) -> String {
    format!("{}:{remote}", agent.local().ufrag())
}

#[test]
fn a_check_is_answered_with_its_source_under_our_password() {
    let now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let pwd = agent.local().pwd().to_owned();
    let user = username(&agent, "fork1");
    let (mut buf, n) = Check::new(&user, pwd.as_bytes()).bytes();
    let from = addr("198.51.100.7:50000");
    let answered = agent.handle(now, from, &mut buf, n).expect("answered");
    assert!(!answered.nominated);
    let response = Message::parse(&buf[..answered.len]).expect("a STUN response");
    assert_eq!(response.class, Class::Success);
    assert_eq!(response.method, BINDING);
    assert_eq!(response.transaction, [9; 12]);
    assert_eq!(response.xor_mapped_address, Some(from));
    assert!(response.verify_integrity(pwd.as_bytes()));
    assert_eq!(response.fingerprint_ok(), Some(true));
    assert_eq!(agent.last_check(answered.remote), Some((from, now)));
    assert_eq!(agent.media_target(), None, "no nomination yet");

    // IPv6 sources get an IPv6 XOR-MAPPED-ADDRESS.
    let (mut buf, n) = Check::new(&user, pwd.as_bytes()).bytes();
    let v6 = addr("[2001:db8::7]:40000");
    let answered = agent.handle(now, v6, &mut buf, n).expect("answered");
    let response = Message::parse(&buf[..answered.len]).expect("a STUN response");
    assert_eq!(response.xor_mapped_address, Some(v6));
}

#[test]
fn bad_checks_are_dropped_and_never_nominate() {
    let now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let pwd = agent.local().pwd().to_owned();
    let user = username(&agent, "fork1");
    let from = addr("198.51.100.7:50000");

    let (mut buf, n) = Check::new(&user, b"not-the-password-at-all")
        .nominating()
        .bytes();
    assert_eq!(
        agent.handle(now, from, &mut buf, n),
        Err(Drop::BadIntegrity)
    );

    let (mut buf, n) = Check::new("someoneelse:fork1", pwd.as_bytes())
        .nominating()
        .bytes();
    assert_eq!(
        agent.handle(now, from, &mut buf, n),
        Err(Drop::UnknownUfrag)
    );

    let no_colon = agent.local().ufrag().to_owned();
    let (mut buf, n) = Check::new(&no_colon, pwd.as_bytes()).nominating().bytes();
    assert_eq!(
        agent.handle(now, from, &mut buf, n),
        Err(Drop::UnknownUfrag)
    );

    let (mut buf, n) = Check::new(&user, pwd.as_bytes()).nominating().bytes();
    buf[n - 1] ^= 1; // the FINGERPRINT's last byte
    assert_eq!(
        agent.handle(now, from, &mut buf, n),
        Err(Drop::BadFingerprint)
    );

    let (mut buf, n) = Check::new(&user, pwd.as_bytes()).nominating().bytes();
    buf[30] ^= 1; // inside USERNAME: integrity (and fingerprint) break
    assert!(agent.handle(now, from, &mut buf, n).is_err());

    // A response (the SBC sends no requests) and an indication (keep-alive).
    let mut buf = [0u8; 100];
    let mut w = Writer::new(&mut buf, BINDING, Class::Success, [1; 12]).expect("room");
    w.fingerprint().expect("room");
    let n = w.finish();
    assert_eq!(agent.handle(now, from, &mut buf, n), Err(Drop::NotARequest));
    let mut w = Writer::new(&mut buf, BINDING, Class::Indication, [1; 12]).expect("room");
    w.fingerprint().expect("room");
    let n = w.finish();
    assert_eq!(agent.handle(now, from, &mut buf, n), Err(Drop::Indication));

    // Garbage and truncation.
    let mut junk = [0u8, 1, 0, 0, 1, 2, 3];
    assert!(matches!(
        agent.handle(now, from, &mut junk, 7),
        Err(Drop::Malformed(_))
    ));
    assert!(agent.handle(now, from, &mut junk, 100).is_err());

    assert_eq!(agent.media_target(), None, "nothing nominated");
    assert_eq!(
        agent.add_remote("fork1"),
        Some(RemoteId(0)),
        "no remote was learned"
    );
}

#[test]
fn forks_nominating_before_the_answer_then_the_winner_only() {
    let mut now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let pwd = agent.local().pwd().to_owned();
    let one = agent.add_remote("endpoint1").expect("room");
    let two = agent.add_remote("endpoint2").expect("room");
    let a1 = addr("198.51.100.1:50000");
    let a2 = addr("198.51.100.2:50000");

    // Both endpoints of the forked 183s check and nominate: media follows the latest.
    let (mut buf, n) = Check::new(&username(&agent, "endpoint1"), pwd.as_bytes())
        .nominating()
        .bytes();
    let r = agent.handle(now, a1, &mut buf, n).expect("answered");
    assert_eq!((r.remote, r.nominated), (one, true));
    assert_eq!(agent.media_target(), Some(a1));
    now += Duration::from_millis(20);
    let (mut buf, n) = Check::new(&username(&agent, "endpoint2"), pwd.as_bytes())
        .nominating()
        .bytes();
    let r = agent.handle(now, a2, &mut buf, n).expect("answered");
    assert_eq!((r.remote, r.nominated), (two, true));
    assert_eq!(agent.media_target(), Some(a2));

    // The 200 comes from endpoint 1: its nomination wins, whatever endpoint 2 does.
    agent.select(one);
    assert_eq!(agent.media_target(), Some(a1));
    let (mut buf, n) = Check::new(&username(&agent, "endpoint2"), pwd.as_bytes())
        .nominating()
        .bytes();
    assert!(agent.handle(now, a2, &mut buf, n).is_ok(), "still answered");
    assert_eq!(agent.media_target(), Some(a1));

    // Endpoint 1 moves (a new nominated check from another address): media follows.
    let moved = addr("198.51.100.1:50002");
    let (mut buf, n) = Check::new(&username(&agent, "endpoint1"), pwd.as_bytes())
        .nominating()
        .bytes();
    agent.handle(now, moved, &mut buf, n).expect("answered");
    assert_eq!(agent.media_target(), Some(moved));
}

#[test]
fn a_fork_nominating_after_the_answer() {
    let now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let pwd = agent.local().pwd().to_owned();
    let early = addr("198.51.100.1:50000");
    let winner_addr = addr("198.51.100.9:50000");
    // A check whose remote ufrag came before its SDP: answered, and learned.
    let (mut buf, n) = Check::new(&username(&agent, "early"), pwd.as_bytes())
        .nominating()
        .bytes();
    agent.handle(now, early, &mut buf, n).expect("answered");
    let winner = agent.add_remote("winner").expect("room");
    agent.select(winner);
    assert_eq!(
        agent.media_target(),
        None,
        "the winner has not nominated yet"
    );
    let (mut buf, n) = Check::new(&username(&agent, "winner"), pwd.as_bytes()).bytes();
    agent
        .handle(now, winner_addr, &mut buf, n)
        .expect("answered");
    assert_eq!(agent.media_target(), None, "a check without USE-CANDIDATE");
    let (mut buf, n) = Check::new(&username(&agent, "winner"), pwd.as_bytes())
        .nominating()
        .bytes();
    agent
        .handle(now, winner_addr, &mut buf, n)
        .expect("answered");
    assert_eq!(agent.media_target(), Some(winner_addr));
}

#[test]
fn an_ice_restart_takes_new_credentials_and_forgets_the_old() {
    let now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let old_pwd = agent.local().pwd().to_owned();
    let old_user = username(&agent, "far");
    let from = addr("198.51.100.1:50000");
    let (mut buf, n) = Check::new(&old_user, old_pwd.as_bytes())
        .nominating()
        .bytes();
    agent.handle(now, from, &mut buf, n).expect("answered");
    assert_eq!(agent.media_target(), Some(from));

    agent.restart(Credentials::from_random(&[8; RANDOM_LEN]));
    assert_ne!(agent.local().pwd(), old_pwd);
    assert_eq!(agent.media_target(), None, "nominations forgotten");
    let (mut buf, n) = Check::new(&old_user, old_pwd.as_bytes())
        .nominating()
        .bytes();
    assert_eq!(
        agent.handle(now, from, &mut buf, n),
        Err(Drop::UnknownUfrag)
    );
    let new_pwd = agent.local().pwd().to_owned();
    let (mut buf, n) = Check::new(&username(&agent, "far2"), new_pwd.as_bytes())
        .nominating()
        .bytes();
    agent.handle(now, from, &mut buf, n).expect("answered");
    assert_eq!(agent.media_target(), Some(from));
}

#[test]
fn remotes_are_capped() {
    let now = Instant::now();
    let mut agent = LiteAgent::new(local());
    let pwd = agent.local().pwd().to_owned();
    for i in 0..sbc_ice::MAX_REMOTES {
        assert!(agent.add_remote(&format!("r{i}xx")).is_some());
    }
    assert_eq!(agent.add_remote("onemore"), None);
    let (mut buf, n) = Check::new(&username(&agent, "onemore"), pwd.as_bytes()).bytes();
    assert_eq!(
        agent.handle(now, addr("198.51.100.1:1"), &mut buf, n),
        Err(Drop::TooManyRemotes)
    );
}
