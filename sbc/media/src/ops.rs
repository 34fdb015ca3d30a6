//! The control plane's ops applied to a shard ([`Shard::apply`]).

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{LatchReason, MediaEvent, MediaOp, Side as Leg, SrtpKeys, StreamKey};

use crate::crypto::CryptoContext;

use crate::shard::{IoOp, Shard};
use crate::stream::{ENDPOINTS, SocketId, Stream, ix};

/// An op that could not be applied (a control-plane bug or a race with a close; the
/// shard's state is unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("{stream}: no such stream")]
    UnknownStream { stream: StreamKey },
    #[error("{stream}: already open")]
    AlreadyOpen { stream: StreamKey },
    /// A payload type above 127 in a DTMF op.
    #[error("{stream}: payload type {pt} out of range")]
    PayloadType { stream: StreamKey, pt: u8 },
    /// Digits to play towards a side are queued no further (a flood of INFOs).
    #[error("{stream}: too many digits waiting to be played")]
    DigitQueueFull { stream: StreamKey },
    /// The op asks for something the engine does not do yet.
    #[error("{stream}: {what} not supported yet")]
    Unsupported {
        stream: StreamKey,
        what: &'static str,
    },
    /// SRTP keys for a peer (side, early dialog) no `Remote` has described.
    #[error("{stream}: no peer on side {side:?} for fork {fork:?}")]
    UnknownPeer {
        stream: StreamKey,
        side: Leg,
        fork: Option<String>,
    },
    /// A transcoder the engine cannot build (a ptime the codec has no frame for).
    #[cfg(feature = "transcoding")]
    #[error("{stream}: transcoding refused: {error}")]
    Codec {
        stream: StreamKey,
        error: sbc_codec::CodecError,
    },
    /// ICE credentials the engine cannot use.
    #[error("{stream}: ICE credentials refused: {error}")]
    Ice {
        stream: StreamKey,
        error: sbc_ice::CredentialsError,
    },
    /// More calls picked for capture than a shard takes
    /// ([`MAX_PICKED`](crate::capture::MAX_PICKED)).
    #[error("call {call}: not captured, {max} calls are captured already", max = crate::capture::MAX_PICKED)]
    CaptureFull { call: u64 },
    /// SRTP keys the engine cannot use.
    #[error("{stream}: SRTP keys refused: {error}")]
    Keys {
        stream: StreamKey,
        error: crate::crypto::CryptoError,
    },
}

impl Shard {
    /// Applies one op of the control plane. Socket work comes out of
    /// [`poll_io`](Self::poll_io), reports out of [`poll_event`](Self::poll_event).
    pub fn apply(&mut self, now: Instant, op: MediaOp) -> Result<(), OpError> {
        match op {
            MediaOp::Open {
                stream,
                a_local,
                b_local,
                latch_a,
                latch_b,
            } => {
                if self.by_key.contains_key(&stream) {
                    return Err(OpError::AlreadyOpen { stream });
                }
                let slot = self.free.pop().unwrap_or(self.streams.len());
                let call = self.calls.slot(stream.call);
                if let Some(c) = self.calls.get_mut(call) {
                    c.streams += 1;
                }
                let rate = self.config.default_clock_rate;
                let mut s = Stream::new(
                    stream,
                    slot,
                    call,
                    [a_local, b_local],
                    [latch_a, latch_b],
                    rate,
                );
                s.capture = self.capture.picks(stream.call);
                let locals = ENDPOINTS.map(|ep| (SocketId::new(slot, ep), s.local_addr(ep)));
                self.streams.put(slot, s);
                self.by_key.insert(stream, slot);
                for (socket, local) in locals {
                    match local {
                        Some(local) => self.io.push_back(IoOp::Bind { socket, local }),
                        None => {
                            let local = if socket.split().1.side == Leg::A {
                                a_local
                            } else {
                                b_local
                            };
                            self.bind_failed(socket, local, "no RTCP port above 65535".into());
                            break;
                        }
                    }
                }
            }
            MediaOp::Remote {
                stream,
                side,
                remote,
            } => {
                let window = now + self.config.latch_window;
                self.reclaim_key(stream, "new SDP");
                let s = self.stream_mut(stream)?;
                let sd = s.side_mut(side);
                let (_, signalled) = sd.remote(&remote, window);
                if let Some(addr) = signalled.filter(|&a| sd.report(a, LatchReason::Signalled)) {
                    self.events.push_back(MediaEvent::Latched {
                        stream,
                        side,
                        addr,
                        reason: LatchReason::Signalled,
                    });
                }
            }
            MediaOp::Answered { stream, fork } => {
                let window = now + self.config.latch_window;
                self.reclaim_key(stream, "answer");
                let s = self.stream_mut(stream)?;
                let b = s.side_mut(Leg::B);
                let switched = b
                    .answer(fork.as_deref(), window)
                    .filter(|&(addr, reason)| b.report(addr, reason));
                if let Some(peer) = s.side_mut(Leg::A).peers.first_mut() {
                    if peer.latched.is_none() {
                        peer.window_until = Some(window);
                    }
                }
                let call = s.call;
                if let Some((addr, reason)) = switched {
                    self.events.push_back(MediaEvent::Latched {
                        stream,
                        side: Leg::B,
                        addr,
                        reason,
                    });
                }
                self.calls.answered(call, now);
                self.ice_answered(stream, fork.as_deref());
            }
            MediaOp::Sending {
                stream,
                side,
                sends,
            } => {
                let s = self.stream_mut(stream)?;
                let side = s.side_mut(side);
                if side.sends != sends {
                    side.sends = sends;
                    let call = s.call;
                    self.calls.quiet(call, !sends);
                }
            }
            MediaOp::Close { stream } => {
                let slot = *self
                    .by_key
                    .get(&stream)
                    .ok_or(OpError::UnknownStream { stream })?;
                self.reclaim(slot, "close");
                if let Some(s) = self.remove(slot) {
                    let [a, b] = crate::quality::assess(&s);
                    self.events.push_back(MediaEvent::Closed { stream, a, b });
                }
            }
            MediaOp::ClockRate { stream, rate } => {
                if rate > 0 {
                    self.stream_mut(stream)?.clock_rate = rate;
                }
            }
            MediaOp::Udptl { stream } => self.stream_mut(stream)?.udptl = true,
            MediaOp::Srtp {
                stream,
                side,
                fork,
                keys,
            } => {
                // A stream that needs the engine is taken back from the kernel first.
                if keys.is_some() {
                    self.reclaim_key(stream, "SRTP");
                }
                let s = self.stream_mut(stream)?;
                let sd = s.side_mut(side);
                let Some(i) = sd.peer_of(fork.as_deref()) else {
                    return Err(OpError::UnknownPeer { stream, side, fork });
                };
                let keyed = |k: Option<&SrtpKeys>, ingress: bool| -> Result<_, OpError> {
                    k.map(|k| {
                        let (key, mki) = if ingress {
                            (k.inbound(), k.inbound_mki())
                        } else {
                            (k.outbound(), &[][..])
                        };
                        CryptoContext::new(k.suite(), key, mki)
                            .map(Box::new)
                            .map_err(|error| OpError::Keys { stream, error })
                    })
                    .transpose()
                };
                // The same keys again (a re-INVITE that keeps them) keep their contexts:
                // rollover counters and replay windows go on.
                let same_in = match (&sd.peers[i].srtp, &keys) {
                    (Some(c), Some(k)) => c.is(k.suite(), k.inbound()),
                    (None, None) => true,
                    _ => false,
                };
                if !same_in {
                    sd.peers[i].srtp = keyed(keys.as_ref(), true)?;
                }
                let same_out = match (&sd.egress.crypto, &keys) {
                    (Some(c), Some(k)) => c.is(k.suite(), k.outbound()),
                    (None, None) => true,
                    _ => false,
                };
                if !same_out {
                    sd.egress.crypto = keyed(keys.as_ref(), false)?;
                }
                sd.refresh_keyed();
            }
            MediaOp::Dtmf { stream, side, leg } => self.set_dtmf(stream, side, leg)?,
            MediaOp::Ice {
                stream,
                side,
                fork,
                local,
                remote_ufrag,
            } => {
                self.reclaim_key(stream, "ICE");
                self.ice_op(stream, side, fork, local, remote_ufrag)?;
            }
            MediaOp::PlayDigit {
                stream,
                toward,
                digit,
                duration_ms,
            } => self.play_digit(now, stream, toward, digit, duration_ms)?,
            MediaOp::Transcode {
                stream,
                toward,
                spec,
            } => self.transcode_op(stream, toward, spec)?,
            MediaOp::Capture {
                call,
                on,
                show_digits,
            } => {
                if !self.set_capture(call, on, show_digits) {
                    return Err(OpError::CaptureFull { call });
                }
            }
            MediaOp::QueryStats { stream } => {
                let s = self.stream_mut(stream)?;
                let [a, b] = crate::quality::assess(s);
                self.events.push_back(MediaEvent::Stats { stream, a, b });
            }
        }
        Ok(())
    }

    /// The IO layer could not bind `socket` on `local`: the stream is closed (its other
    /// sockets unbound) and [`MediaEvent::BindFailed`] reported.
    pub fn bind_failed(&mut self, socket: SocketId, local: SocketAddr, reason: String) {
        let (slot, _) = socket.split();
        // Binds of this stream not done yet are moot.
        self.io
            .retain(|op| !matches!(op, IoOp::Bind { socket, .. } if socket.split().0 == slot));
        if let Some(s) = self.remove(slot) {
            self.events.push_back(MediaEvent::BindFailed {
                stream: s.key,
                local,
                reason,
            });
        }
    }

    fn reclaim_key(&mut self, stream: StreamKey, why: &'static str) {
        if let Some(&slot) = self.by_key.get(&stream) {
            self.reclaim(slot, why);
        }
    }

    pub(crate) fn stream_mut(&mut self, stream: StreamKey) -> Result<&mut Stream, OpError> {
        let unknown = OpError::UnknownStream { stream };
        let slot = *self.by_key.get(&stream).ok_or(unknown.clone())?;
        self.streams
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(unknown)
    }

    /// Takes a stream out of the slab: its sockets are unbound, its call forgets it.
    fn remove(&mut self, slot: usize) -> Option<Stream> {
        let s = self.streams.get_mut(slot)?.take()?;
        self.by_key.remove(&s.key);
        self.timed.retain(|&t| t != slot);
        self.free.push(slot);
        for ep in ENDPOINTS {
            self.io.push_back(IoOp::Unbind {
                socket: SocketId::new(slot, ep),
            });
        }
        for side in [Leg::A, Leg::B] {
            if !s.sides[ix(side)].sends {
                self.calls.quiet(s.call, false);
            }
        }
        self.calls.release_stream(s.call);
        Some(s)
    }
}
