//! `POST`/`DELETE /api/calls/{call}/capture` go to the daemon and are audited, its
//! refusals become 404/409; the ladder JSON carries the capture's counts but no packets,
//! the pcap carries the packets merged with the SIP messages in time order.

mod common;

use axum::http::{Method, StatusCode};
use common::Env;
use sbc_mgmt::ladder::{LadderMessage, LadderView, MediaPacket, RtpCapture};
use sbc_mgmt::live::{CaptureRefused, Command};

/// Plays the daemon: call 7 is live (captured or not), 8 is not, 9 finds it full.
fn daemon(env: &mut Env) {
    let (_, rx) = tokio::sync::mpsc::channel(1);
    let mut commands = std::mem::replace(&mut env.daemon.commands, rx);
    tokio::spawn(async move {
        while let Some(c) = commands.recv().await {
            match c {
                Command::Capture { call, on, reply } => {
                    let _ = reply.send(match call {
                        7 => Ok(RtpCapture {
                            capturing: on,
                            packets: 3,
                            bytes: 516,
                            dropped: 1,
                        }),
                        9 => Err(CaptureRefused::Full { max: 8 }),
                        _ => Err(CaptureRefused::NotLive { call }),
                    });
                }
                Command::Ladder { call, media, reply } => {
                    let packet = MediaPacket {
                        unix_us: 2_000,
                        src: "10.0.0.9:4000".parse().expect("addr"),
                        dst: "10.0.0.1:20000".parse().expect("addr"),
                        bytes: vec![0x80, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 0xd5],
                    };
                    let ladder = LadderView {
                        call,
                        messages: vec![LadderMessage {
                            unix_us: 1_000,
                            src: "10.0.0.9:5060".into(),
                            dst: "10.0.0.1:5060".into(),
                            message: "BYE sip:x SIP/2.0\r\n\r\n".into(),
                            ..LadderMessage::default()
                        }],
                        rtp: RtpCapture {
                            capturing: true,
                            packets: 1,
                            bytes: 13,
                            dropped: 0,
                        },
                        media: if media { vec![packet] } else { Vec::new() },
                        ..LadderView::default()
                    };
                    let _ = reply.send(Some(ladder));
                }
                _ => {}
            }
        }
    });
}

#[tokio::test]
async fn picking_a_call_goes_to_the_daemon_and_is_audited() {
    let mut env = Env::new("capture");
    let c = env.ready().await;
    daemon(&mut env);
    let a = env
        .write(&c, Method::POST, "/api/calls/7/capture", "")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["capturing"], true);
    assert_eq!(a.json()["dropped"], 1);
    let a = env
        .write(&c, Method::DELETE, "/api/calls/7/capture", "")
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["capturing"], false);
    let a = env
        .write(&c, Method::POST, "/api/calls/8/capture", "")
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("not in progress")
    );
    let a = env
        .write(&c, Method::POST, "/api/calls/9/capture", "")
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let audit = env.get(&c, "/api/audit").await.json();
    assert_eq!(audit[0]["action"], "stop capture call 7");
    assert_eq!(audit[1]["action"], "capture call 7");
}

#[tokio::test]
async fn the_ladder_counts_the_packets_and_the_pcap_carries_them() {
    let mut env = Env::new("capture-pcap");
    let c = env.ready().await;
    daemon(&mut env);
    let ladder = env.get(&c, "/api/calls/7/ladder").await.json();
    assert_eq!(ladder["rtp"]["capturing"], true);
    assert_eq!(ladder["rtp"]["packets"], 1);
    assert!(ladder.get("media").is_none(), "no packets in the JSON");
    let a = env.get(&c, "/api/calls/7/pcap").await;
    assert_eq!(a.status, StatusCode::OK);
    let file = a.body.clone();
    // The header, then the BYE (at 1 ms), then the RTP packet (at 2 ms).
    let first_len = u32::from_le_bytes([file[32], file[33], file[34], file[35]]) as usize;
    let second = 24 + 16 + first_len;
    assert_eq!(&file[second + 4..second + 8], &2_000u32.to_le_bytes());
    let ip = &file[second + 16..];
    assert_eq!(&ip[12..16], &[10, 0, 0, 9]);
    assert_eq!(&ip[20..24], &[0x0f, 0xa0, 0x4e, 0x20], "4000 -> 20000");
    assert_eq!(&ip[28..], &[0x80, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 0xd5]);
}
