//! `MQVersion.Version` ordinals that change behaviour on either side of the wire.
//!
//! The `version` header field is the ordinal of the sender's version in Java's enum. Java
//! clients remember the version a broker answers HEART_BEAT with and refuse SQL92 pulls from
//! brokers older than 4.1.0, so FerroMQ always answers with a real, recent ordinal.

/// 3.0.11: namesrv switches RegisterBrokerBody formats.
pub const V3_0_11: i32 = 37;
/// 3.4.9: the broker honours the `maxReconsumeTimes` header.
pub const V3_4_9: i32 = 121;
/// 4.1.0-SNAPSHOT: SQL92 pulls allowed.
pub const V4_1_0_SNAPSHOT: i32 = 232;
/// 4.5.1.
pub const V4_5_1: i32 = 315;
/// 4.9.4: the NameServer returns standard JSON (quoted map keys) for routes.
pub const V4_9_4: i32 = 401;
/// 4.9.8.
pub const V4_9_8: i32 = 409;
/// 5.0.0.
pub const V5_0_0: i32 = 413;
/// 5.3.1: shutting-down servers answer GO_AWAY to clients newer than this.
pub const V5_3_1: i32 = 475;
/// 5.3.3.
pub const V5_3_3: i32 = 479;

/// The version FerroMQ speaks and stamps on every command it sends.
pub const CURRENT: i32 = V5_3_3;

/// A human-readable version for an ordinal, e.g. `V5_3_3` for 479, as mqadmin prints it.
pub fn describe(ordinal: i32) -> String {
    // Ordinals between releases are snapshots and patch versions; name the ones we know.
    let known = [
        (V3_0_11, "V3_0_11"),
        (V3_4_9, "V3_4_9"),
        (V4_1_0_SNAPSHOT, "V4_1_0_SNAPSHOT"),
        (V4_5_1, "V4_5_1"),
        (V4_9_4, "V4_9_4"),
        (V4_9_8, "V4_9_8"),
        (V5_0_0, "V5_0_0"),
        (V5_3_1, "V5_3_1"),
        (V5_3_3, "V5_3_3"),
    ];
    known
        .iter()
        .find(|(o, _)| *o == ordinal)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("ordinal {ordinal}"))
}
