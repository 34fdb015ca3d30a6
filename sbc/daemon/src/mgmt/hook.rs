//! A [`SessionHook`] wrapper that notes, per call and leg, the codec and whether SRTP was
//! negotiated, for the management views.
//!
//! When an answer passes through the hook, the SDP the answering side sent is what its
//! leg uses, and the rewritten SDP the hook produced for the other side is what that leg
//! uses. The first payload type of the first audio section names the codec; its
//! `a=crypto` the SRTP suite (in `RTP/SAVP`, or `RTP/AVP` for OSRTP). The wrapper derefs to the hook it wraps, so the core keeps calling
//! that hook's own methods unchanged.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use sbc_mgmt::live::LegView;
use sbc_sip::b2bua::{
    Body, BodyRole, CallId, InDialog, InDialogAction, NotAcceptable, RelayPlan, SessionHook, Side,
};

/// What one leg negotiated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegMedia {
    pub codec: String,
    pub srtp: bool,
    /// The suite of the section's `a=crypto` (an answer names exactly one).
    pub suite: Option<String>,
}

impl LegMedia {
    /// Writes the codec and SRTP suite into a leg view.
    pub fn fill(&self, leg: &mut LegView) {
        leg.codec.clone_from(&self.codec);
        leg.srtp = self.srtp;
        leg.srtp_suite.clone_from(&self.suite);
    }
}

/// `inner`, plus what each call's legs negotiated.
#[derive(Debug, Default)]
pub struct ViewHook<H> {
    inner: H,
    media: HashMap<u64, [LegMedia; 2]>,
    /// What ended calls' legs had negotiated, until the core takes it for the CDR.
    ended: HashMap<u64, [LegMedia; 2]>,
}

impl<H> ViewHook<H> {
    pub fn new(inner: H) -> Self {
        ViewHook {
            inner,
            media: HashMap::new(),
            ended: HashMap::new(),
        }
    }

    /// What the legs of call `call` (its number) negotiated, A then B.
    pub fn media(&self, call: u64) -> Option<&[LegMedia; 2]> {
        self.media.get(&call)
    }

    /// What the legs of an ended call negotiated (once; `EngineEvent::CallEnded` follows
    /// the hook's `call_ended`).
    pub fn take_ended(&mut self, call: u64) -> Option<[LegMedia; 2]> {
        self.ended.remove(&call)
    }
}

impl<H> Deref for ViewHook<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.inner
    }
}

impl<H> DerefMut for ViewHook<H> {
    fn deref_mut(&mut self) -> &mut H {
        &mut self.inner
    }
}

fn index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

impl<H: SessionHook> SessionHook for ViewHook<H> {
    fn call_started(&mut self, call: CallId, plan: &RelayPlan) {
        self.inner.call_started(call, plan);
    }

    fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
        let out = self.inner.relay_body(body)?;
        if body.role == BodyRole::Answer {
            let from = index(body.from);
            let legs = self.media.entry(body.call.get()).or_default();
            legs[from] = describe(body.bytes);
            legs[1 - from] = describe(&out);
        }
        Ok(out)
    }

    fn answered(&mut self, call: CallId, fork: Option<&str>) {
        self.inner.answered(call, fork);
    }

    fn in_dialog(&mut self, request: InDialog<'_>) -> InDialogAction {
        self.inner.in_dialog(request)
    }

    fn transfer_offer(
        &mut self,
        call: CallId,
        referrer: Side,
        sent_to_referrer: &[u8],
    ) -> Result<Vec<u8>, NotAcceptable> {
        self.inner.transfer_offer(call, referrer, sent_to_referrer)
    }

    fn transfer_answered(
        &mut self,
        call: CallId,
        referrer: Side,
        answer: &[u8],
    ) -> Result<(), NotAcceptable> {
        self.inner.transfer_answered(call, referrer, answer)
    }

    fn transfer_failed(&mut self, call: CallId, referrer: Side) {
        self.inner.transfer_failed(call, referrer);
    }

    fn resume_offer(
        &mut self,
        call: CallId,
        kept: Side,
        sent_to_kept: &[u8],
        new_answer: &[u8],
    ) -> Option<Vec<u8>> {
        self.inner
            .resume_offer(call, kept, sent_to_kept, new_answer)
    }

    fn call_ended(&mut self, call: CallId) {
        if let Some(m) = self.media.remove(&call.get()) {
            self.ended.insert(call.get(), m);
        }
        self.inner.call_ended(call);
    }
}

/// Codec and SRTP of the first audio section of an SDP (empty when there is none).
pub fn describe(sdp: &[u8]) -> LegMedia {
    let text = String::from_utf8_lossy(sdp);
    let mut lines = text.lines().map(str::trim);
    let Some(m) = lines.by_ref().find(|l| l.starts_with("m=audio ")) else {
        return LegMedia::default();
    };
    let mut fields = m.split_whitespace().skip(2);
    let proto = fields.next().unwrap_or("");
    let pt = fields.next().unwrap_or("");
    let prefix = format!("a=rtpmap:{pt} ");
    let section: Vec<&str> = lines.take_while(|l| !l.starts_with("m=")).collect();
    // `a=crypto:<tag> <suite> inline:...`: SRTP keyed by SDES, in RTP/SAVP or (OSRTP,
    // RFC 8643) RTP/AVP.
    let suite = section
        .iter()
        .find_map(|l| l.strip_prefix("a=crypto:"))
        .and_then(|c| c.split_whitespace().nth(1))
        .map(str::to_owned);
    let srtp = suite.is_some() || proto.contains("SAVP");
    let named = section
        .iter()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|r| r.split('/').next())
        .map(str::to_owned);
    // Without an rtpmap, a static payload type names its codec (RFC 3551).
    let codec = named.unwrap_or_else(|| {
        pt.parse()
            .ok()
            .and_then(sbc_sdp::static_rtpmap)
            .map_or_else(|| pt.to_owned(), |m| m.encoding)
    });
    LegMedia { codec, srtp, suite }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_and_srtp_of_the_first_audio_section() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/SAVP 96 0\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n\
m=video 4002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n";
        assert_eq!(
            describe(sdp),
            LegMedia {
                codec: "opus".into(),
                srtp: true,
                suite: None
            }
        );
        let osrtp = b"v=0\r\nm=audio 4000 RTP/AVP 8\r\n\
a=crypto:3 AEAD_AES_128_GCM inline:dL6438DxcKGjPM/rVId37T2GLw/jX7w46v75Pg==\r\n\
m=video 4002 RTP/SAVP 97\r\na=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:x\r\n";
        assert_eq!(
            describe(osrtp),
            LegMedia {
                codec: "PCMA".into(),
                srtp: true,
                suite: Some("AEAD_AES_128_GCM".into())
            }
        );
        let plain = b"v=0\r\nm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
        assert_eq!(
            describe(plain),
            LegMedia {
                codec: "PCMA".into(),
                srtp: false,
                suite: None
            }
        );
        assert_eq!(describe(b"garbage"), LegMedia::default());
        let g729 = b"v=0\r\nm=audio 4000 RTP/AVP 18\r\n";
        assert_eq!(
            describe(g729).codec,
            "G729",
            "static payload types by RFC 3551"
        );
    }

    /// The core's hook stack (views around releases around the media hook) hands the
    /// in-dialog decision to the innermost hook, not to the trait's default.
    #[test]
    fn in_dialog_requests_reach_the_inner_hook() {
        struct Answers;
        impl SessionHook for Answers {
            fn relay_body(&mut self, body: Body<'_>) -> Result<Vec<u8>, NotAcceptable> {
                Ok(body.bytes.to_vec())
            }
            fn call_ended(&mut self, _call: CallId) {}
            fn in_dialog(&mut self, _request: InDialog<'_>) -> InDialogAction {
                InDialogAction::Answer(200)
            }
        }
        let mut stack = ViewHook::new(crate::trunks::ReleaseHook::new(Answers));
        let request = InDialog {
            now: std::time::Instant::now(),
            call: CallId::from_number(1),
            from: Side::A,
            method: &sbc_sip::Method::Info,
            content_type: None,
            bytes: b"",
        };
        assert_eq!(stack.in_dialog(request), InDialogAction::Answer(200));
    }
}
