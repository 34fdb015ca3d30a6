//! The part of libopus's C API (`opus.h`, `opus_defines.h`, 1.3) the SBC calls, declared by
//! hand: opaque states, create/destroy, encode/decode, one CTL each way and the packet
//! inspection helper. Linked against Debian's `libopus` (`libopus-dev` to build).

#![allow(unsafe_code)]

use std::ffi::c_int;

/// libopus's encoder state (opaque).
#[repr(C)]
pub(super) struct OpusEncoder {
    _private: [u8; 0],
}

/// libopus's decoder state (opaque).
#[repr(C)]
pub(super) struct OpusDecoder {
    _private: [u8; 0],
}

pub(super) const OPUS_OK: c_int = 0;
pub(super) const OPUS_BAD_ARG: c_int = -1;
pub(super) const OPUS_BUFFER_TOO_SMALL: c_int = -2;
pub(super) const OPUS_INTERNAL_ERROR: c_int = -3;
pub(super) const OPUS_INVALID_PACKET: c_int = -4;
pub(super) const OPUS_UNIMPLEMENTED: c_int = -5;
pub(super) const OPUS_INVALID_STATE: c_int = -6;
pub(super) const OPUS_ALLOC_FAIL: c_int = -7;

pub(super) const OPUS_APPLICATION_VOIP: c_int = 2048;
pub(super) const OPUS_SIGNAL_VOICE: c_int = 3001;

pub(super) const OPUS_SET_BITRATE_REQUEST: c_int = 4002;
pub(super) const OPUS_SET_COMPLEXITY_REQUEST: c_int = 4010;
pub(super) const OPUS_SET_INBAND_FEC_REQUEST: c_int = 4012;
pub(super) const OPUS_SET_PACKET_LOSS_PERC_REQUEST: c_int = 4014;
pub(super) const OPUS_SET_DTX_REQUEST: c_int = 4016;
pub(super) const OPUS_SET_SIGNAL_REQUEST: c_int = 4024;
pub(super) const OPUS_GET_LOOKAHEAD_REQUEST: c_int = 4027;

#[link(name = "opus")]
unsafe extern "C" {
    pub(super) fn opus_encoder_create(
        fs: i32,
        channels: c_int,
        application: c_int,
        error: *mut c_int,
    ) -> *mut OpusEncoder;
    pub(super) fn opus_encoder_destroy(st: *mut OpusEncoder);
    pub(super) fn opus_encode(
        st: *mut OpusEncoder,
        pcm: *const i16,
        frame_size: c_int,
        data: *mut u8,
        max_data_bytes: i32,
    ) -> i32;
    pub(super) fn opus_encoder_ctl(st: *mut OpusEncoder, request: c_int, ...) -> c_int;

    pub(super) fn opus_decoder_create(
        fs: i32,
        channels: c_int,
        error: *mut c_int,
    ) -> *mut OpusDecoder;
    pub(super) fn opus_decoder_destroy(st: *mut OpusDecoder);
    pub(super) fn opus_decode(
        st: *mut OpusDecoder,
        data: *const u8,
        len: i32,
        pcm: *mut i16,
        frame_size: c_int,
        decode_fec: c_int,
    ) -> c_int;

    pub(super) fn opus_packet_get_nb_samples(packet: *const u8, len: i32, fs: i32) -> c_int;
}

/// libopus's error codes as text (`opus_strerror` without the FFI call).
pub(super) fn reason(code: c_int) -> &'static str {
    match code {
        OPUS_BAD_ARG => "invalid argument",
        OPUS_BUFFER_TOO_SMALL => "buffer too small",
        OPUS_INTERNAL_ERROR => "internal error",
        OPUS_INVALID_PACKET => "corrupted stream",
        OPUS_UNIMPLEMENTED => "request not implemented",
        OPUS_INVALID_STATE => "invalid state",
        OPUS_ALLOC_FAIL => "memory allocation failed",
        _ => "unknown error",
    }
}
