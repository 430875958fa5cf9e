//! A `tokio_util` codec for remoting frames.

use bytes::BytesMut;
use ferromq_protocol::{frame, FrameError, RemotingCommand};
use tokio_util::codec::{Decoder, Encoder};

/// Decodes frames into commands and encodes commands (head plus body, copied) into frames.
///
/// The connection writer does not use [`Encoder`] for large bodies (it writes them straight
/// from their buffers); the encoder exists for simple clients and tests.
#[derive(Debug, Clone)]
pub struct RemotingCodec {
    max_frame: usize,
}

impl RemotingCodec {
    /// A codec rejecting frames longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        RemotingCodec { max_frame }
    }
}

impl Default for RemotingCodec {
    fn default() -> Self {
        RemotingCodec::new(ferromq_protocol::DEFAULT_MAX_FRAME_LENGTH)
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, CodecError> {
        Ok(frame::decode(src, self.max_frame)?)
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = CodecError;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<(), CodecError> {
        frame::encode_head(&cmd, dst);
        for chunk in cmd.body.chunks() {
            dst.extend_from_slice(chunk);
        }
        Ok(())
    }
}

/// A codec failure: bad bytes or a broken socket.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
