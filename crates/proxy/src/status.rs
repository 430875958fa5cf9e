//! The `apache.rocketmq.v2.Status` every response carries, and the mapping from remoting
//! response codes to its `Code` — in one place, as Java's proxy keeps it in one place.

use crate::pb;

/// A status with `code` and `message`.
pub fn status(code: pb::Code, message: impl Into<String>) -> pb::Status {
    pb::Status {
        code: code as i32,
        message: message.into(),
    }
}

/// The OK status.
#[allow(dead_code)] // the first RPCs to land use it
pub fn ok() -> pb::Status {
    status(pb::Code::Ok, "OK")
}
