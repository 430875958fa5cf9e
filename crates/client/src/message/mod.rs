//! Messages as the client sees them: what a producer sends, what a consumer receives, and the
//! client-side encodings around them (unique ids, compression, batches).

mod batch;
mod compression;
mod outgoing;
pub(crate) mod received;
mod uniq_id;

pub(crate) use batch::encode_batch;
pub use compression::CompressionConfig;
pub(crate) use compression::{compress_body, decompress_body};
pub use outgoing::Message;
pub use received::ReceivedMessage;
pub use uniq_id::UniqueIdGenerator;
