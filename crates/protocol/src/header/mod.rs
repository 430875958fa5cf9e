//! The two header encodings of a frame: JSON (type 0) and RocketMQ binary (type 1).
//!
//! Decoding is lenient (numbers or strings, language names or ordinals, unknown keys); encoding
//! is strict (every ext field a JSON string, codes that fit an `i16` in binary).

pub(crate) mod binary;
pub(crate) mod json;

use crate::body::Body;
use crate::command::RemotingCommand;
use crate::ext_fields::ExtFields;
use crate::language::LanguageCode;

/// The most `extFields` a decoded header may hold.
///
/// Java bounds them only by the 16 MiB header, but no client sends more than a few dozen
/// (the largest Java header has about twenty fields, plus ACL and RPC fields), while each
/// decoded field costs about a hundred bytes beyond its text: 16 MiB of one-letter keys would
/// decode into well over 100 MiB. A header with more fields is malformed, which closes its
/// connection like any undecodable frame.
pub const MAX_EXT_FIELDS: usize = 4096;

/// Why a header could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum HeaderDecodeError {
    /// The JSON header is not valid JSON of the expected shape.
    #[error("malformed JSON header: {0}")]
    Json(#[source] serde_json::Error),
    /// The JSON header is valid JSON but not an object.
    #[error("malformed JSON header: {0}")]
    NotAnObject(&'static str),
    /// The binary header ended early or has inconsistent lengths.
    #[error("malformed ROCKETMQ header: {0}")]
    Binary(&'static str),
    /// The header holds more than [`MAX_EXT_FIELDS`] fields.
    #[error("header has more than {MAX_EXT_FIELDS} extFields")]
    TooManyFields,
    /// Header text is not UTF-8.
    #[error("header text is not UTF-8")]
    Utf8,
}

/// The header part of a command, before the body is attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodedHeader {
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
}

impl DecodedHeader {
    pub(crate) fn into_command(
        self,
        body: Body,
        serialize_type: crate::command::SerializeType,
    ) -> RemotingCommand {
        RemotingCommand {
            code: self.code,
            language: self.language,
            version: self.version,
            opaque: self.opaque,
            flag: self.flag,
            remark: self.remark,
            ext_fields: self.ext_fields,
            body,
            serialize_type,
        }
    }
}
