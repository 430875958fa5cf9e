//! `RemotingCommand`: one request or response of the RocketMQ remoting protocol.

use crate::body::Body;
use crate::ext_fields::ExtFields;
use crate::headers::{CommandHeader, HeaderError};
use crate::language::LanguageCode;
use crate::{response_code, version};

/// `flag` bit 0: this command is a response.
pub const RESPONSE_FLAG: i32 = 0x1;
/// `flag` bit 1: this request expects no response.
pub const ONEWAY_FLAG: i32 = 0x2;

/// How the header of a frame is encoded (top byte of the header-length word).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SerializeType {
    /// A UTF-8 JSON object (fastjson on the Java side). The default.
    #[default]
    Json,
    /// RocketMQ's compact binary header.
    RocketMq,
}

impl SerializeType {
    /// The type byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// The type for a wire byte, if known.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }
}

/// One request or response.
#[derive(Clone, Debug, PartialEq)]
pub struct RemotingCommand {
    /// Request code, or response code for responses.
    pub code: i32,
    /// The sender's language.
    pub language: LanguageCode,
    /// The sender's `MQVersion` ordinal.
    pub version: i32,
    /// Request id; a response carries its request's opaque.
    pub opaque: i32,
    /// [`RESPONSE_FLAG`] / [`ONEWAY_FLAG`] bits.
    pub flag: i32,
    /// Error text in responses.
    pub remark: Option<String>,
    /// Custom header fields.
    pub ext_fields: ExtFields,
    /// Payload.
    pub body: Body,
    /// How the header was (or will be) encoded.
    pub serialize_type: SerializeType,
}

impl RemotingCommand {
    fn new(code: i32, flag: i32) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::JAVA,
            version: version::CURRENT,
            opaque: 0,
            flag,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Body::empty(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A request with `code` and no header fields.
    pub fn request(code: i32) -> Self {
        Self::new(code, 0)
    }

    /// A request with `code` carrying `header`.
    pub fn request_with(code: i32, header: &impl CommandHeader) -> Self {
        Self::request(code).with_header(header)
    }

    /// A response with `code` (opaque to be set by [`RemotingCommand::for_request`]).
    pub fn response(code: i32) -> Self {
        Self::new(code, RESPONSE_FLAG)
    }

    /// A SUCCESS response.
    pub fn success() -> Self {
        Self::response(response_code::SUCCESS)
    }

    /// An error response with a remark.
    pub fn error(code: i32, remark: impl Into<String>) -> Self {
        Self::response(code).with_remark(remark)
    }

    /// Makes this response answer `request`: copies its opaque and serialization type.
    pub fn for_request(mut self, request: &RemotingCommand) -> Self {
        self.opaque = request.opaque;
        self.flag |= RESPONSE_FLAG;
        self.serialize_type = request.serialize_type;
        self
    }

    /// Sets the opaque.
    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    /// Writes `header`'s fields into the ext fields.
    pub fn with_header(mut self, header: &impl CommandHeader) -> Self {
        header.write_to(&mut self.ext_fields);
        self
    }

    /// Sets one ext field.
    pub fn with_ext(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    /// Sets the remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the header encoding.
    pub fn with_serialize_type(mut self, t: SerializeType) -> Self {
        self.serialize_type = t;
        self
    }

    /// Sets the language.
    pub fn with_language(mut self, language: LanguageCode) -> Self {
        self.language = language;
        self
    }

    /// Marks this request one-way (no response expected).
    pub fn into_oneway(mut self) -> Self {
        self.flag |= ONEWAY_FLAG;
        self
    }

    /// Whether this is a response.
    pub fn is_response(&self) -> bool {
        self.flag & RESPONSE_FLAG != 0
    }

    /// Whether this request expects no response.
    pub fn is_oneway(&self) -> bool {
        self.flag & ONEWAY_FLAG != 0
    }

    /// Decodes the ext fields into a typed header.
    pub fn decode_header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::read_from(&self.ext_fields)
    }

    /// The RocketMQ name of this command's code (request or response table).
    pub fn code_name(&self) -> &'static str {
        let name = if self.is_response() {
            response_code::name(self.code)
        } else {
            crate::request_code::name(self.code)
        };
        name.unwrap_or("UNKNOWN")
    }
}
