//! [`Context`]: one direction of SRTP/SRTCP under one master key — what a peer protects
//! with (the SBC unprotects) or what the SBC protects with towards a peer.
//!
//! Packets are protected and unprotected in place: the caller passes a buffer holding the
//! packet in its first `len` bytes and room behind it (protecting adds at most
//! [`Suite::max_overhead`] bytes plus the MKI), and gets the new length back. Nothing is
//! allocated per packet: the per-SSRC state lives in [`SSRC_SLOTS`] preallocated slots
//! (the least recently used is reused for a new SSRC).
//!
//! Unprotecting checks, in order: the length, the replay window (a packet seen before or
//! older than the window is refused before any crypto), the authentication tag (in
//! constant time), then decrypts; only an authenticated packet moves the window.
//!
//! Protecting never uses a (key, SSRC, index) twice:
//! * a duplicate of a packet already protected (its index within the window) is refused;
//! * a source that restarts its numbering under an SSRC this key protected before (its
//!   index falls behind the window: another fork, or the peer after a re-INVITE, behind
//!   the same SSRC) continues from the highest index used: its sequence numbers are
//!   rewritten from then on (an offset kept per SSRC), so the index and rollover counter go
//!   on and the receiver sees one stream;
//! * the SSRC slots of a protecting context are never reused: a ninth SSRC under one key
//!   is refused ([`Error::TooManySources`]), since forgetting an SSRC's highest index
//!   could repeat it. A stream has one or two; re-keying starts afresh.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::cm::{AesKey, apply_keystream};
use crate::index::{Refused, Window, estimate};
use crate::kdf::{Label, derive};
use crate::{Error, Suite};

/// SSRCs a context keeps state for (a stream has one or two; forks and re-INVITEs add a
/// few).
pub const SSRC_SLOTS: usize = 8;

/// Session keys of one of SRTP or SRTCP (the AES-CM variant inline, as [`AesKey`]).
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
enum Keys {
    Cm {
        enc: AesKey,
        auth: Hmac<Sha1>,
        salt: [u8; 14],
    },
    Gcm128 {
        aead: Box<Aes128Gcm>,
        salt: [u8; 12],
    },
    Gcm256 {
        aead: Box<Aes256Gcm>,
        salt: [u8; 12],
    },
}

impl Keys {
    fn derive(
        suite: Suite,
        master: &AesKey,
        master_salt: &[u8],
        labels: [Label; 3],
    ) -> Result<Keys, Error> {
        let [enc_label, auth_label, salt_label] = labels;
        let mut key = [0u8; 32];
        let key = &mut key[..suite.key_len()];
        derive(master, master_salt, enc_label, key)?;
        let keys = if suite.is_aead() {
            let mut salt = [0u8; 12];
            derive(master, master_salt, salt_label, &mut salt)?;
            if suite.key_len() == 16 {
                Keys::Gcm128 {
                    aead: Box::new(
                        Aes128Gcm::new_from_slice(key)
                            .map_err(|_| Error::KeyLength { len: key.len() })?,
                    ),
                    salt,
                }
            } else {
                Keys::Gcm256 {
                    aead: Box::new(
                        Aes256Gcm::new_from_slice(key)
                            .map_err(|_| Error::KeyLength { len: key.len() })?,
                    ),
                    salt,
                }
            }
        } else {
            let mut salt = [0u8; 14];
            derive(master, master_salt, salt_label, &mut salt)?;
            let mut auth = [0u8; 20];
            derive(master, master_salt, auth_label, &mut auth)?;
            let mac = <Hmac<Sha1> as Mac>::new_from_slice(&auth)
                .map_err(|_| Error::KeyLength { len: auth.len() })?;
            auth.fill(0);
            Keys::Cm {
                enc: AesKey::new(key)?,
                auth: mac,
                salt,
            }
        };
        key.fill(0);
        Ok(keys)
    }
}

/// State of one SSRC.
#[derive(Debug, Clone, Copy, Default)]
struct SsrcState {
    /// SRTP indexes seen (unprotect) or used (protect).
    rtp: Window,
    /// SRTCP indexes seen (unprotect); the last one used (protect) is its highest.
    rtcp: Window,
    /// Protect: added to each sequence number of this SSRC (a restarted source continued).
    seq_offset: u16,
}

/// One direction of SRTP and SRTCP.
#[derive(Clone)]
pub struct Context {
    suite: Suite,
    rtp: Keys,
    rtcp: Keys,
    /// Master key identifier carried in every packet (RFC 3711 §3.1), if the key has one.
    mki: [u8; 16],
    mki_len: usize,
    /// (SSRC, state, last use) per slot; `None` free.
    slots: [Option<(u32, SsrcState, u64)>; SSRC_SLOTS],
    clock: u64,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("suite", &self.suite)
            .field("keys", &"<redacted>")
            .field("mki_len", &self.mki_len)
            .finish()
    }
}

/// Where the parts of an RTP packet are.
struct Rtp {
    header_len: usize,
    seq: u16,
    ssrc: u32,
}

fn parse_rtp(buf: &[u8]) -> Result<Rtp, Error> {
    let short = Error::TooShort { len: buf.len() };
    if buf.len() < 12 || buf[0] >> 6 != 2 {
        return Err(short);
    }
    let mut header_len = 12 + 4 * usize::from(buf[0] & 0x0f);
    if buf[0] & 0x10 != 0 {
        let words = buf.get(header_len + 2..header_len + 4).ok_or(short)?;
        header_len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    if header_len > buf.len() {
        return Err(Error::TooShort { len: buf.len() });
    }
    Ok(Rtp {
        header_len,
        seq: u16::from_be_bytes([buf[2], buf[3]]),
        ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
    })
}

fn rtcp_ssrc(buf: &[u8]) -> Result<u32, Error> {
    if buf.len() < 8 || buf[0] >> 6 != 2 {
        return Err(Error::TooShort { len: buf.len() });
    }
    Ok(u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]))
}

/// The AES-CM counter block: salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16 (RFC 3711 §4.1.1).
fn cm_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= i;
    }
    iv
}

/// The AES-GCM nonce of RTP: salt XOR (0 || SSRC || ROC || SEQ) (RFC 7714 §8.1).
fn gcm_rtp_iv(salt: &[u8; 12], ssrc: u32, index: u64) -> [u8; 12] {
    let mut iv = *salt;
    for (b, s) in iv[2..6].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, i) in iv[6..12].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= i;
    }
    iv
}

/// The AES-GCM nonce of RTCP: salt XOR (0 || SSRC || 0 || SRTCP index) (RFC 7714 §9.1).
fn gcm_rtcp_iv(salt: &[u8; 12], ssrc: u32, index: u32) -> [u8; 12] {
    let mut iv = *salt;
    for (b, s) in iv[2..6].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, i) in iv[8..12].iter_mut().zip(index.to_be_bytes()) {
        *b ^= i;
    }
    iv
}

/// The SRTCP trailer word: E flag (encrypted) and the 31-bit index.
const E_FLAG: u32 = 0x8000_0000;

impl Context {
    /// A context for `suite` under `master_key` and `master_salt`; `mki` is the master key
    /// identifier the packets of this direction carry (RFC 4568 `|MKI:len`), if any.
    pub fn new(
        suite: Suite,
        master_key: &[u8],
        master_salt: &[u8],
        mki: Option<&[u8]>,
    ) -> Result<Context, Error> {
        if master_key.len() != suite.key_len() {
            return Err(Error::KeyLength {
                len: master_key.len(),
            });
        }
        if master_salt.len() != suite.salt_len() {
            return Err(Error::SaltLength {
                len: master_salt.len(),
            });
        }
        let mki = mki.unwrap_or(&[]);
        if mki.len() > 16 {
            return Err(Error::MkiLength { len: mki.len() });
        }
        let master = AesKey::new(master_key)?;
        let rtp = Keys::derive(
            suite,
            &master,
            master_salt,
            [
                Label::RtpEncryption,
                Label::RtpAuthentication,
                Label::RtpSalt,
            ],
        )?;
        let rtcp = Keys::derive(
            suite,
            &master,
            master_salt,
            [
                Label::RtcpEncryption,
                Label::RtcpAuthentication,
                Label::RtcpSalt,
            ],
        )?;
        let mut mki_bytes = [0u8; 16];
        mki_bytes[..mki.len()].copy_from_slice(mki);
        Ok(Context {
            suite,
            rtp,
            rtcp,
            mki: mki_bytes,
            mki_len: mki.len(),
            slots: [None; SSRC_SLOTS],
            clock: 0,
        })
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The state of `ssrc` for protecting: made in a free slot if new, never in a used one.
    fn protect_state(&mut self, ssrc: u32) -> Result<&mut SsrcState, Error> {
        let known = self
            .slots
            .iter()
            .any(|s| s.is_some_and(|(x, ..)| x == ssrc));
        if !known && self.slots.iter().all(Option::is_some) {
            return Err(Error::TooManySources { ssrc });
        }
        Ok(self.state(ssrc))
    }

    /// The state of `ssrc`, made (in a free or the least recently used slot) if new.
    fn state(&mut self, ssrc: u32) -> &mut SsrcState {
        self.clock += 1;
        let clock = self.clock;
        let at = match self
            .slots
            .iter()
            .position(|s| s.is_some_and(|(x, ..)| x == ssrc))
        {
            Some(i) => i,
            None => {
                let i = self
                    .slots
                    .iter()
                    .position(Option::is_none)
                    .unwrap_or_else(|| {
                        (0..SSRC_SLOTS)
                            .min_by_key(|&i| self.slots[i].map_or(0, |(.., used)| used))
                            .unwrap_or(0)
                    });
                self.slots[i] = Some((ssrc, SsrcState::default(), clock));
                i
            }
        };
        // Invariant: slot `at` was found or filled just above.
        let slot = self.slots[at].get_or_insert((ssrc, SsrcState::default(), clock));
        slot.2 = clock;
        &mut slot.1
    }

    /// Protects the RTP packet in `buf[..len]` in place; returns its new length.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::TooShort { len })?;
        let rtp = parse_rtp(packet)?;
        let tag_len = self.suite.rtp_tag_len();
        let total = len + self.mki_len + tag_len;
        if total > buf.len() {
            return Err(Error::NoRoom { need: total });
        }
        let state = self.protect_state(rtp.ssrc)?;
        let mut seq = rtp.seq.wrapping_add(state.seq_offset);
        let mut index = estimate(state.rtp.highest(), seq);
        match (state.rtp.check(index), state.rtp.highest()) {
            (Ok(()), _) => {}
            (Err(Refused::TooOld), Some(highest)) => {
                // A restarted source: continue after the highest index used.
                let next = highest + 1;
                // Invariant: the low 16 bits of an index are its sequence number.
                let next_seq = (next & 0xffff) as u16;
                state.seq_offset = state.seq_offset.wrapping_add(next_seq.wrapping_sub(seq));
                seq = next_seq;
                index = next;
            }
            (Err(_), _) => return Err(Error::IndexReused { index }),
        }
        state.rtp.accept(index);
        if seq != rtp.seq {
            buf[2..4].copy_from_slice(&seq.to_be_bytes());
        }
        let roc = (index >> 16) as u32;
        match &self.rtp {
            Keys::Cm { enc, auth, salt } => {
                let iv = cm_iv(salt, rtp.ssrc, index);
                apply_keystream(enc, &iv, &mut buf[rtp.header_len..len]);
                let mut mac = auth.clone();
                mac.update(&buf[..len]);
                mac.update(&roc.to_be_bytes());
                let tag = mac.finalize().into_bytes();
                buf[len..len + self.mki_len].copy_from_slice(&self.mki[..self.mki_len]);
                buf[len + self.mki_len..total].copy_from_slice(&tag[..tag_len]);
            }
            Keys::Gcm128 { aead, salt } => {
                let iv = gcm_rtp_iv(salt, rtp.ssrc, index);
                let (head, body) = buf[..len].split_at_mut(rtp.header_len);
                let tag = aead
                    .encrypt_in_place_detached(Nonce::from_slice(&iv), head, body)
                    .map_err(|_| Error::TooLong { len })?;
                self.finish_gcm(buf, len, &tag);
            }
            Keys::Gcm256 { aead, salt } => {
                let iv = gcm_rtp_iv(salt, rtp.ssrc, index);
                let (head, body) = buf[..len].split_at_mut(rtp.header_len);
                let tag = aead
                    .encrypt_in_place_detached(Nonce::from_slice(&iv), head, body)
                    .map_err(|_| Error::TooLong { len })?;
                self.finish_gcm(buf, len, &tag);
            }
        }
        Ok(total)
    }

    /// Appends the GCM tag, then the MKI (RFC 7714 §8: the MKI follows the ciphertext and tag).
    fn finish_gcm(&self, buf: &mut [u8], len: usize, tag: &Tag) {
        buf[len..len + 16].copy_from_slice(tag);
        buf[len + 16..len + 16 + self.mki_len].copy_from_slice(&self.mki[..self.mki_len]);
    }

    /// Authenticates, checks against replay and decrypts the SRTP packet in `buf[..len]` in
    /// place; returns the RTP packet's length.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::TooShort { len })?;
        let rtp = parse_rtp(packet)?;
        let tag_len = self.suite.rtp_tag_len();
        let trailer = tag_len + self.mki_len;
        if len < rtp.header_len + trailer {
            return Err(Error::TooShort { len });
        }
        let end = len - trailer;
        let mki_at = if self.suite.is_aead() {
            end + tag_len
        } else {
            end
        };
        if buf[mki_at..mki_at + self.mki_len] != self.mki[..self.mki_len] {
            return Err(Error::UnknownMki);
        }
        let state = self.state(rtp.ssrc);
        let index = estimate(state.rtp.highest(), rtp.seq);
        state.rtp.check(index).map_err(|r| refused(r, index))?;
        let roc = (index >> 16) as u32;
        match &self.rtp {
            Keys::Cm { enc, auth, salt } => {
                let mut mac = auth.clone();
                mac.update(&buf[..end]);
                mac.update(&roc.to_be_bytes());
                let tag_at = end + self.mki_len;
                mac.verify_truncated_left(&buf[tag_at..tag_at + tag_len])
                    .map_err(|_| Error::Authentication)?;
                let iv = cm_iv(salt, rtp.ssrc, index);
                apply_keystream(enc, &iv, &mut buf[rtp.header_len..end]);
            }
            Keys::Gcm128 { aead, salt } => {
                let iv = gcm_rtp_iv(salt, rtp.ssrc, index);
                let tag = Tag::clone_from_slice(&buf[end..end + 16]);
                let (head, body) = buf[..end].split_at_mut(rtp.header_len);
                aead.decrypt_in_place_detached(Nonce::from_slice(&iv), head, body, &tag)
                    .map_err(|_| Error::Authentication)?;
            }
            Keys::Gcm256 { aead, salt } => {
                let iv = gcm_rtp_iv(salt, rtp.ssrc, index);
                let tag = Tag::clone_from_slice(&buf[end..end + 16]);
                let (head, body) = buf[..end].split_at_mut(rtp.header_len);
                aead.decrypt_in_place_detached(Nonce::from_slice(&iv), head, body, &tag)
                    .map_err(|_| Error::Authentication)?;
            }
        }
        self.state(rtp.ssrc).rtp.accept(index);
        Ok(end)
    }

    /// Protects the (compound) RTCP packet in `buf[..len]` in place, encrypted (E flag set);
    /// returns its new length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::TooShort { len })?;
        let ssrc = rtcp_ssrc(packet)?;
        let tag_len = self.suite.rtcp_tag_len();
        let total = len + 4 + self.mki_len + tag_len;
        if total > buf.len() {
            return Err(Error::NoRoom { need: total });
        }
        let state = self.state(ssrc);
        // The first SRTCP index is 1, as libsrtp's; 31 bits, then the key is used up.
        let index = state.rtcp.highest().map_or(1, |h| h + 1);
        if index >= 1 << 31 {
            return Err(Error::KeyExhausted);
        }
        state.rtcp.accept(index);
        // Invariant: index < 2^31.
        let index = index as u32;
        let word = (E_FLAG | index).to_be_bytes();
        match &self.rtcp {
            Keys::Cm { enc, auth, salt } => {
                let iv = cm_iv(salt, ssrc, u64::from(index));
                apply_keystream(enc, &iv, &mut buf[8..len]);
                buf[len..len + 4].copy_from_slice(&word);
                let mut mac = auth.clone();
                mac.update(&buf[..len + 4]);
                let tag = mac.finalize().into_bytes();
                let at = len + 4;
                buf[at..at + self.mki_len].copy_from_slice(&self.mki[..self.mki_len]);
                buf[at + self.mki_len..total].copy_from_slice(&tag[..tag_len]);
            }
            Keys::Gcm128 { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, index);
                let tag = gcm_rtcp_seal(aead.as_ref(), &iv, buf, len, word)?;
                self.finish_gcm_rtcp(buf, len, &tag, word);
            }
            Keys::Gcm256 { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, index);
                let tag = gcm_rtcp_seal(aead.as_ref(), &iv, buf, len, word)?;
                self.finish_gcm_rtcp(buf, len, &tag, word);
            }
        }
        Ok(total)
    }

    /// RFC 7714 §9: header, ciphertext, tag, then E and the index, then the MKI.
    fn finish_gcm_rtcp(&self, buf: &mut [u8], len: usize, tag: &Tag, word: [u8; 4]) {
        buf[len..len + 16].copy_from_slice(tag);
        buf[len + 16..len + 20].copy_from_slice(&word);
        buf[len + 20..len + 20 + self.mki_len].copy_from_slice(&self.mki[..self.mki_len]);
    }

    /// Authenticates, checks against replay and decrypts the SRTCP packet in `buf[..len]`
    /// in place; returns the RTCP packet's length.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::TooShort { len })?;
        let ssrc = rtcp_ssrc(packet)?;
        let tag_len = self.suite.rtcp_tag_len();
        let trailer = 4 + tag_len + self.mki_len;
        if len < 8 + trailer {
            return Err(Error::TooShort { len });
        }
        let end = len - trailer;
        // Where the E/index word and the MKI are depends on the transform.
        let (word_at, mki_at, tag_at) = if self.suite.is_aead() {
            (end + tag_len, end + tag_len + 4, end)
        } else {
            (end, end + 4, end + 4 + self.mki_len)
        };
        if buf[mki_at..mki_at + self.mki_len] != self.mki[..self.mki_len] {
            return Err(Error::UnknownMki);
        }
        let word = u32::from_be_bytes([
            buf[word_at],
            buf[word_at + 1],
            buf[word_at + 2],
            buf[word_at + 3],
        ]);
        // Unencrypted SRTCP (E = 0) exists only with UNENCRYPTED_SRTCP, which the SBC never
        // accepts in SDP.
        if word & E_FLAG == 0 {
            return Err(Error::Unencrypted);
        }
        let index = word & !E_FLAG;
        let state = self.state(ssrc);
        state
            .rtcp
            .check(u64::from(index))
            .map_err(|r| refused(r, u64::from(index)))?;
        match &self.rtcp {
            Keys::Cm { enc, auth, salt } => {
                let mut mac = auth.clone();
                mac.update(&buf[..end + 4]);
                mac.verify_truncated_left(&buf[tag_at..tag_at + tag_len])
                    .map_err(|_| Error::Authentication)?;
                let iv = cm_iv(salt, ssrc, u64::from(index));
                apply_keystream(enc, &iv, &mut buf[8..end]);
            }
            Keys::Gcm128 { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, index);
                gcm_rtcp_open(aead.as_ref(), &iv, buf, end, word)?;
            }
            Keys::Gcm256 { aead, salt } => {
                let iv = gcm_rtcp_iv(salt, ssrc, index);
                gcm_rtcp_open(aead.as_ref(), &iv, buf, end, word)?;
            }
        }
        self.state(ssrc).rtcp.accept(u64::from(index));
        Ok(end)
    }
}

fn refused(r: Refused, index: u64) -> Error {
    match r {
        Refused::Replay => Error::Replay { index },
        Refused::TooOld => Error::TooOld { index },
    }
}

/// Encrypts `buf[8..len]` with AAD = the first 8 bytes and the E/index word (RFC 7714 §9.2).
fn gcm_rtcp_seal<A: AeadInPlace>(
    aead: &A,
    iv: &[u8; 12],
    buf: &mut [u8],
    len: usize,
    word: [u8; 4],
) -> Result<Tag, Error> {
    let mut aad = [0u8; 12];
    aad[..8].copy_from_slice(&buf[..8]);
    aad[8..].copy_from_slice(&word);
    let tag = aead
        .encrypt_in_place_detached(Nonce::from_slice(iv), &aad, &mut buf[8..len])
        .map_err(|_| Error::TooLong { len })?;
    // The aead crates' tag types agree for AES-GCM (16 bytes).
    Ok(*Tag::from_slice(&tag))
}

/// Opens `buf[8..end]`, whose tag follows it, with AAD = the first 8 bytes and the E/index
/// word (RFC 7714 §9.2).
fn gcm_rtcp_open<A: AeadInPlace>(
    aead: &A,
    iv: &[u8; 12],
    buf: &mut [u8],
    end: usize,
    word: u32,
) -> Result<(), Error> {
    let tag = Tag::clone_from_slice(&buf[end..end + 16]);
    let mut aad = [0u8; 12];
    aad[..8].copy_from_slice(&buf[..8]);
    aad[8..].copy_from_slice(&word.to_be_bytes());
    aead.decrypt_in_place_detached(Nonce::from_slice(iv), &aad, &mut buf[8..end], &tag)
        .map_err(|_| Error::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex::hex;

    impl Context {
        /// A GCM context from session keys given directly (RFC 7714's vectors do).
        fn from_session_keys(suite: Suite, key: &[u8], salt: &[u8]) -> Context {
            let mut s = [0u8; 12];
            s.copy_from_slice(salt);
            let keys = || match suite {
                Suite::AeadAes128Gcm => Keys::Gcm128 {
                    aead: Box::new(Aes128Gcm::new_from_slice(key).expect("key")),
                    salt: s,
                },
                _ => Keys::Gcm256 {
                    aead: Box::new(Aes256Gcm::new_from_slice(key).expect("key")),
                    salt: s,
                },
            };
            Context {
                suite,
                rtp: keys(),
                rtcp: keys(),
                mki: [0; 16],
                mki_len: 0,
                slots: [None; SSRC_SLOTS],
                clock: 0,
            }
        }
    }

    const GCM_RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 \
                           20646976 69736120 696e2070 61727465 73207472 6573";

    /// RFC 7714 §16.1: AEAD_AES_128_GCM, the packet "Gallia est omnis divisa in partes tres".
    #[test]
    fn rfc7714_16_1_aes_128_gcm_rtp() {
        let key = hex("000102030405060708090a0b0c0d0e0f");
        let salt = hex("517569642070726f2071756f");
        let mut iv_salt = [0u8; 12];
        iv_salt.copy_from_slice(&salt);
        assert_eq!(
            gcm_rtp_iv(&iv_salt, 0x5501_a0b2, 0xf17b).to_vec(),
            hex("51753c6580c2726f20718414"),
            "§16.1.1 IV"
        );
        let plain = hex(GCM_RTP);
        let want = hex(
            "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f \
             42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
        );
        let mut buf = [0u8; 128];
        buf[..plain.len()].copy_from_slice(&plain);
        let mut tx = Context::from_session_keys(Suite::AeadAes128Gcm, &key, &salt);
        let len = tx.protect_rtp(&mut buf, plain.len()).expect("protect");
        assert_eq!(buf[..len].to_vec(), want);
        let mut rx = Context::from_session_keys(Suite::AeadAes128Gcm, &key, &salt);
        let back = rx.unprotect_rtp(&mut buf, len).expect("unprotect");
        assert_eq!(buf[..back].to_vec(), plain);
    }

    /// RFC 7714 §17: the SRTCP nonce for SSRC "Mars" and SRTCP index 0x5d4.
    #[test]
    fn rfc7714_srtcp_nonce() {
        let mut salt = [0u8; 12];
        salt.copy_from_slice(&hex("517569642070726f2071756f"));
        assert_eq!(
            gcm_rtcp_iv(&salt, 0x4d61_7273, 0x5d4).to_vec(),
            hex("517524055203726f207170bb")
        );
    }

    #[test]
    fn aes_cm_counter_block_layout() {
        let iv = cm_iv(&[0u8; 14], 0x0102_0304, 0x5566_7788_99aa);
        assert_eq!(iv.to_vec(), hex("00000000 01020304 5566778899aa 0000"));
    }
}
