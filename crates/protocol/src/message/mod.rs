//! Message encodings: property strings, sysflags, message ids, recall handles, and the
//! stored (CommitLog) and batch record formats.

pub mod batch;
pub mod id;
pub mod properties;
pub mod recall;
pub mod record;
pub mod sysflag;

pub use properties::{
    check_properties_len, keys, Properties, PropertiesTooLong, MAX_PROPERTIES_LEN,
};
