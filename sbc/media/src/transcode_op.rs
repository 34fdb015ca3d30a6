//! [`MediaOp::Transcode`](sbc_core::MediaOp::Transcode): the payload formats SDP
//! negotiated turned into codecs and a transcoding step (feature `transcoding`); built
//! without it, the engine refuses the op.

use sbc_core::{Side, StreamKey, Transcoding};

use crate::{OpError, Shard};

impl Shard {
    pub(crate) fn transcode_op(
        &mut self,
        stream: StreamKey,
        toward: Side,
        spec: Option<Transcoding>,
    ) -> Result<(), OpError> {
        self.stream_mut(stream)?;
        imp::apply(self, stream, toward, spec)
    }
}

#[cfg(feature = "transcoding")]
mod imp {
    use sbc_codec::transcode::{Codec, OpusDefaults};
    use sbc_core::{PayloadFormat, Side, StreamKey, Transcoding};

    use crate::transcode::TranscodeSpec;
    use crate::{OpError, Shard};

    fn codec(stream: StreamKey, f: &PayloadFormat) -> Result<Codec, OpError> {
        Codec::from_sdp(
            &f.encoding,
            f.clock_rate,
            f.channels.map(u32::from),
            f.fmtp.as_deref(),
            OpusDefaults::default(),
        )
        .ok_or(OpError::Unsupported {
            stream,
            what: "transcoding this payload format",
        })
    }

    pub(super) fn apply(
        shard: &mut Shard,
        stream: StreamKey,
        toward: Side,
        spec: Option<Transcoding>,
    ) -> Result<(), OpError> {
        let spec = match spec {
            Some(t) => Some(TranscodeSpec {
                input_pt: t.input.pt,
                input: codec(stream, &t.input)?,
                output_pt: t.output.pt,
                output: codec(stream, &t.output)?,
                ptime_ms: t.ptime_ms,
                events: t.events,
                comfort_noise_pt: t.comfort_noise,
                comfort_noise_out_pt: t.comfort_noise_out,
            }),
            None => None,
        };
        shard.set_transcode(stream, toward, spec)
    }
}

#[cfg(not(feature = "transcoding"))]
mod imp {
    use sbc_core::{Side, StreamKey, Transcoding};

    use crate::{OpError, Shard};

    pub(super) fn apply(
        _shard: &mut Shard,
        stream: StreamKey,
        _toward: Side,
        spec: Option<Transcoding>,
    ) -> Result<(), OpError> {
        match spec {
            Some(_) => Err(OpError::Unsupported {
                stream,
                what: "transcoding (this build has no codecs)",
            }),
            None => Ok(()),
        }
    }
}
