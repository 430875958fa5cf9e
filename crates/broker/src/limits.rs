//! Bounds on what one client can make the broker hold or do. Java sets few of these; each
//! exists because a single unauthenticated client could otherwise grow the broker's memory
//! or work without bound. `docs/security.md` lists every one, with what a client that
//! exceeds it gets.

use std::time::Duration;

/// Consumer (and, separately, producer) groups in one HEART_BEAT.
pub const MAX_GROUPS_PER_HEARTBEAT: usize = 1024;
/// Consumer (and, separately, producer) groups one connection may be registered in.
pub const MAX_GROUPS_PER_CHANNEL: usize = 1024;
/// Subscriptions (topics) of one consumer group in a heartbeat.
pub const MAX_SUBSCRIPTIONS_PER_GROUP: usize = 1024;
/// Length of one subscription expression (TAG or SQL92), in bytes.
pub const MAX_EXPRESSION_LEN: usize = 16 * 1024;
/// Tags (and tag codes) of one subscription.
pub const MAX_TAGS_PER_SUBSCRIPTION: usize = 1024;
/// All of one group's subscriptions together (topics, expressions, tags), in bytes.
pub const MAX_SUBSCRIPTION_BYTES_PER_GROUP: usize = 256 * 1024;
/// Length of a client id (`ip@instance`).
pub const MAX_CLIENT_ID_LEN: usize = 1024;

/// Pulls parked by long polling, per connection.
pub const MAX_HELD_PULLS_PER_CHANNEL: usize = 4096;
/// Pulls parked by long polling, in total.
pub const MAX_HELD_PULLS: usize = 100_000;
/// Longest a pull may be parked, whatever `suspendTimeoutMillis` asks (clients ask 15–30 s).
pub const MAX_SUSPEND: Duration = Duration::from_secs(60);

/// Compiled subscription filters kept (by group and topic); the oldest go first.
pub const MAX_COMPILED_FILTERS: usize = 8192;

/// Queues in one LOCK_BATCH_MQ / UNLOCK_BATCH_MQ request.
pub const MAX_QUEUES_PER_LOCK_REQUEST: usize = 4096;

/// POP_MESSAGE and NOTIFICATION requests held by long polling, per connection.
pub const MAX_HELD_POPS_PER_CHANNEL: usize = 1024;
/// POP_MESSAGE and NOTIFICATION requests held by long polling, in total (Java's
/// `maxPopPollingSize` default).
pub const MAX_HELD_POPS: usize = 100_000;
