//! FerroMQ model: the domain types shared by the NameServer, broker, client and tools — the JSON
//! bodies of the RocketMQ remoting protocol and the broker's JSON config files. Pure
//! (de)serialization, no I/O.
//!
//! Reading is lenient (fastjson's unquoted and object-valued map keys, numbers as strings,
//! booleans as 0/1, enum ordinals, nulls, unknown fields); writing is standard JSON with
//! fastjson's key names and order, except where Java tooling needs fastjson's object keys.
//!
//! Plumbing:
//! - [`fastjson`]: `normalize` fastjson text to standard JSON, `from_fastjson`, object-key writer.
//! - [`lenient`]: tolerant field readers used by every type here.
//! - [`enums`]: Java enums in bodies (`ConsumeType`, `MessageModel`, `ConsumeFromWhere`, …).
//! - [`java`]: Java `String.hashCode` / `compareTo`.
//! - [`names`]: well-known topics and groups, retry/DLQ names.
//! - [`validate`]: topic/group name rules. [`perm`]: permission bits.
//! - [`error`]: the crate's error type, [`ModelError`].
//!
//! Types:
//! - [`data_version`]: `DataVersion`, the version stamp of broker tables.
//! - [`topic_config`], [`topic_config_wrapper`], [`static_topic`]: topics and `topics.json`.
//! - [`register_broker`]: `RegisterBrokerBody`, JSON and zlib-compressed.
//! - [`route`], [`cluster`]: `TopicRouteData`, `QueueData`, `BrokerData`, `ClusterInfo`.
//! - [`kv`], [`lists`]: `KVTable`, `kvConfig.json`, topic/group/consumer lists.
//! - [`heartbeat`], [`subscription`], [`check_client`]: heartbeats and subscriptions.
//! - [`subscription_group`]: `SubscriptionGroupConfig` and `subscriptionGroup.json`.
//! - [`message_queue`]: `MessageQueue` (Java ordering).
//! - [`connection`]: consumer/producer connection lists.
//! - [`stats`]: `ConsumeStats`, `TopicStatsTable`, consume time spans.
//! - [`lock`]: batch queue lock bodies.
//! - [`offsets`]: `consumerOffset.json`, `delayOffset.json`, `ResetOffsetBody`.
//! - [`assignment`]: 5.x `QUERY_ASSIGNMENT` / `SET_MESSAGE_REQUEST_MODE` bodies.

pub mod assignment;
pub mod check_client;
pub mod cluster;
pub mod connection;
pub mod data_version;
pub mod enums;
pub mod error;
pub mod fastjson;
pub mod heartbeat;
pub mod java;
pub mod kv;
pub mod lenient;
pub mod lists;
pub mod lock;
pub mod message_queue;
pub mod names;
pub mod offsets;
pub mod perm;
pub mod register_broker;
pub mod route;
pub mod static_topic;
pub mod stats;
pub mod subscription;
pub mod subscription_group;
pub mod topic_config;
pub mod topic_config_wrapper;
pub mod validate;

pub use assignment::{
    MessageQueueAssignment, QueryAssignmentRequestBody, QueryAssignmentResponseBody,
    SetMessageRequestModeRequestBody,
};
pub use check_client::CheckClientRequestBody;
pub use cluster::{BrokerMemberGroup, ClusterInfo, GetBrokerMemberGroupResponseBody};
pub use connection::{Connection, ConsumerConnection, ProducerConnection};
pub use data_version::DataVersion;
pub use enums::{
    ConsumeFromWhere, ConsumeType, ExpressionType, GroupRetryPolicyType, MessageModel,
    MessageRequestMode, TopicFilterType,
};
pub use error::ModelError;
pub use fastjson::{from_fastjson, from_fastjson_slice, normalize};
pub use heartbeat::{ConsumerData, HeartbeatData, ProducerData};
pub use kv::{KVTable, KvConfigSerializeWrapper};
pub use lists::{GetConsumerListByGroupResponseBody, GroupList, TopicList};
pub use lock::{LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody};
pub use message_queue::MessageQueue;
pub use offsets::{ConsumerOffsetSerializeWrapper, DelayOffsetSerializeWrapper, ResetOffsetBody};
pub use register_broker::RegisterBrokerBody;
pub use route::{BrokerData, QueueData, TopicRouteData};
pub use static_topic::{LogicQueueMappingItem, TopicQueueMappingDetail, TopicQueueMappingInfo};
pub use stats::{
    ConsumeStats, OffsetWrapper, QueryConsumeTimeSpanBody, QueueTimeSpan, TopicOffset,
    TopicStatsTable,
};
pub use subscription::SubscriptionData;
pub use subscription_group::{
    CustomizedRetryPolicy, ExponentialRetryPolicy, GroupRetryPolicy, SimpleSubscriptionData,
    SubscriptionGroupConfig, SubscriptionGroupList, SubscriptionGroupWrapper,
};
pub use topic_config::TopicConfig;
pub use topic_config_wrapper::{
    CreateTopicListRequestBody, TopicConfigAndMappingSerializeWrapper, TopicConfigAndQueueMapping,
    TopicConfigSerializeWrapper,
};
