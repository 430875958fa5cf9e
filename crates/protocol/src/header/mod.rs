//! The two header encodings of a frame: JSON (type 0) and RocketMQ binary (type 1).
//!
//! Decoding is lenient (numbers or strings, language names or ordinals, unknown keys); encoding
//! is strict (every ext field a JSON string, codes that fit an `i16` in binary).

pub mod binary;
pub mod json;

use crate::body::Body;
use crate::command::RemotingCommand;
use crate::ext_fields::ExtFields;
use crate::language::LanguageCode;

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
