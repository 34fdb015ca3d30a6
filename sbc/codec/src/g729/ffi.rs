//! bcg729's C API (`bcg729/encoder.h`, `bcg729/decoder.h`, 1.1), declared by hand.
//! Linked against Debian's `libbcg729` (`libbcg729-dev` to build).

#![allow(unsafe_code)]

/// bcg729's encoder channel context (opaque).
#[repr(C)]
pub(super) struct EncoderContext {
    _private: [u8; 0],
}

/// bcg729's decoder channel context (opaque).
#[repr(C)]
pub(super) struct DecoderContext {
    _private: [u8; 0],
}

#[link(name = "bcg729")]
unsafe extern "C" {
    pub(super) fn initBcg729EncoderChannel(enable_vad: u8) -> *mut EncoderContext;
    pub(super) fn closeBcg729EncoderChannel(ctx: *mut EncoderContext);
    /// Encodes 80 samples; writes 10 (voice), 2 (SID) or 0 (nothing) bytes.
    pub(super) fn bcg729Encoder(
        ctx: *mut EncoderContext,
        input: *const i16,
        bit_stream: *mut u8,
        bit_stream_length: *mut u8,
    );

    pub(super) fn initBcg729DecoderChannel() -> *mut DecoderContext;
    pub(super) fn closeBcg729DecoderChannel(ctx: *mut DecoderContext);
    /// Decodes one frame (10 bytes voice, 2 bytes SID, or an erased frame) to 80 samples.
    pub(super) fn bcg729Decoder(
        ctx: *mut DecoderContext,
        bit_stream: *const u8,
        bit_stream_length: u8,
        frame_erasure: u8,
        sid_frame: u8,
        rfc3389_payload: u8,
        signal: *mut i16,
    );
}
