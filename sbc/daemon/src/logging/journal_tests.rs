//! The journal writer against a datagram socket the test binds in place of journald's,
//! each entry parsed back from the native protocol.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt as _;

use super::*;

/// Parses one native-protocol entry into its `(name, value)` fields, in order.
fn parse(mut entry: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut fields = Vec::new();
    while !entry.is_empty() {
        let line_end = entry.iter().position(|&b| b == b'\n').expect("a newline");
        let line = &entry[..line_end];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            let name = String::from_utf8(line[..eq].to_vec()).expect("ascii name");
            fields.push((name, line[eq + 1..].to_vec()));
            entry = &entry[line_end + 1..];
        } else {
            // NAME\n, 64-bit LE length, value, \n.
            let name = String::from_utf8(line.to_vec()).expect("ascii name");
            let rest = &entry[line_end + 1..];
            let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")) as usize;
            fields.push((name, rest[8..8 + len].to_vec()));
            assert_eq!(rest[8 + len], b'\n', "value ends with a newline");
            entry = &rest[8 + len + 1..];
        }
    }
    fields
}

fn value<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| std::str::from_utf8(v).expect("utf-8"))
        .collect()
}

/// A journal stand-in bound in a temporary directory, and a layer writing to it.
fn journal(name: &str) -> (UnixDatagram, JournalLayer, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("sbc-journal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("socket");
    let server = UnixDatagram::bind(&path).expect("bind the journal stand-in");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let layer = JournalLayer::connect(&path, "sbc").expect("connect");
    (server, layer, dir)
}

fn receive(server: &UnixDatagram) -> Vec<(String, Vec<u8>)> {
    let mut buf = vec![0u8; 256 * 1024];
    let n = server.recv(&mut buf).expect("an entry");
    parse(&buf[..n])
}

#[test]
fn events_carry_their_fields_and_their_spans_fields_as_journal_fields() {
    let (server, layer, dir) = journal("fields");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("tx", method = "INVITE", call_id = "abc@10.0.0.1");
        let _in = span.enter();
        tracing::info!(
            call = 7u64,
            trunk = "carrier",
            realm = "outside",
            "a-call-id" = "x",
            "call ended"
        );
        tracing::warn!(detail = "two\nlines", "multi-line value");
    });
    let first = receive(&server);
    assert_eq!(value(&first, "MESSAGE"), ["call ended"]);
    assert_eq!(value(&first, "PRIORITY"), ["6"]);
    assert_eq!(value(&first, "SYSLOG_IDENTIFIER"), ["sbc"]);
    assert_eq!(value(&first, "CALL"), ["7"]);
    assert_eq!(value(&first, "TRUNK"), ["carrier"]);
    assert_eq!(value(&first, "REALM"), ["outside"]);
    assert_eq!(value(&first, "A_CALL_ID"), ["x"], "a name made valid");
    assert_eq!(value(&first, "METHOD"), ["INVITE"], "the span's fields");
    assert_eq!(value(&first, "CALL_ID"), ["abc@10.0.0.1"]);
    let second = receive(&server);
    assert_eq!(value(&second, "PRIORITY"), ["4"]);
    assert_eq!(
        value(&second, "DETAIL"),
        ["two\nlines"],
        "binary form for a newline"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn field_names_follow_the_journals_rules() {
    assert_eq!(field_name("call_id"), "CALL_ID");
    assert_eq!(field_name("a.b-c"), "A_B_C");
    assert_eq!(
        field_name("_private"),
        "F_PRIVATE",
        "_ names are the journal's own"
    );
    assert_eq!(field_name("1st"), "F1ST");
    assert_eq!(field_name(""), "F");
}

#[test]
fn an_entry_too_large_for_a_datagram_goes_as_its_message_cut_short() {
    let (server, layer, dir) = journal("large");
    // A send buffer smaller than the entry makes the kernel refuse it with EMSGSIZE.
    let big = "y".repeat(512 * 1024);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::error!(blob = big.as_str(), "{}", "z".repeat(10_000));
    });
    let entry = receive(&server);
    assert_eq!(value(&entry, "PRIORITY"), ["3"]);
    assert_eq!(value(&entry, "MESSAGE")[0].len(), FALLBACK_MESSAGE);
    assert!(value(&entry, "BLOB").is_empty(), "the fields were dropped");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn nothing_listening_loses_entries_without_blocking() {
    let (server, layer, dir) = journal("gone");
    drop(server);
    let subscriber = tracing_subscriber::registry().with(layer);
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info!("into the void");
        tracing::info!("again");
    });
    let layer = dispatch
        .downcast_ref::<JournalLayer>()
        .expect("the layer is reachable");
    assert_eq!(layer.lost(), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn journal_stream_must_name_this_stderr() {
    use std::ffi::OsStr;
    use std::os::unix::fs::MetadataExt as _;
    assert!(!names_stderr(None));
    assert!(!names_stderr(Some(OsStr::new("0:0"))));
    assert!(!names_stderr(Some(OsStr::new("garbage"))));
    let m = std::fs::metadata("/proc/self/fd/2").expect("stderr");
    let ours = format!("{}:{}", m.dev(), m.ino());
    assert!(names_stderr(Some(OsStr::new(&ours))));
}
