//! FerroMQ model: the domain types shared by the NameServer, broker, client and tools — the JSON
//! bodies of the RocketMQ remoting protocol and the broker's JSON config files. Pure
//! (de)serialization, no I/O.
//!
//! Reading is lenient (fastjson's unquoted and object-valued map keys, numbers as strings,
//! booleans as 0/1, enum ordinals, nulls, unknown fields); writing is standard JSON with
//! fastjson's key names and order, except where Java tooling needs fastjson's object keys.
//!
//! Every type is exported at the root; the modules that define them are private:
//! - `data_version`: [`DataVersion`], the version stamp of broker tables.
//! - `topic_config`, `topic_config_wrapper`, `static_topic`: [`TopicConfig`] and `topics.json`.
//! - `register_broker`: [`RegisterBrokerBody`], JSON and zlib-compressed, decoded within
//!   [`DecodeLimits`].
//! - `route`, `cluster`: [`TopicRouteData`], [`QueueData`], [`BrokerData`], [`ClusterInfo`].
//! - `kv`, `lists`: [`KVTable`], `kvConfig.json`, topic/group/consumer lists.
//! - `heartbeat`, `subscription`, `check_client`: heartbeats and subscriptions.
//! - `subscription_group`: [`SubscriptionGroupConfig`] and `subscriptionGroup.json`.
//! - `message_queue`: [`MessageQueue`] (Java ordering).
//! - `connection`: consumer/producer connection lists.
//! - `stats`: [`ConsumeStats`], [`TopicStatsTable`], consume time spans.
//! - `lock`: batch queue lock bodies.
//! - `offsets`: `consumerOffset.json`, `delayOffset.json`, [`ResetOffsetBody`].
//! - `auth`: ACL 2.0 admin bodies ([`UserInfo`], [`AclInfo`]).
//! - `assignment`: 5.x `QUERY_ASSIGNMENT` / `SET_MESSAGE_REQUEST_MODE` bodies.
//! - `enums`: Java enums in bodies ([`ConsumeType`], [`MessageModel`], …).
//! - `lenient`: tolerant field readers used by every type here. `error`: [`ModelError`].
//!
//! Families of constants and functions that other crates address by path stay public modules:
//! - [`names`]: well-known topics and groups, retry/DLQ names (`names::retry_topic`).
//! - [`validate`]: topic/group name rules (`validate::validate_topic`, `validate::NameError`).
//! - [`perm`]: permission bits (`perm::PERM_READ`, `perm::is_writeable`).
//! - [`fastjson`]: `normalize` fastjson text to standard JSON, `from_fastjson`, the object-key
//!   writer; its readers are also at the root.
//! - [`java`]: Java `String.hashCode` / `compareTo`.

#![warn(unreachable_pub)]

mod assignment;
mod auth;
mod check_client;
mod cluster;
mod connection;
mod controller;
mod data_version;
mod enums;
mod error;
pub mod fastjson;
mod ha_runtime;
mod heartbeat;
pub mod java;
mod kv;
mod lenient;
mod lists;
mod lock;
mod message_queue;
pub mod names;
mod offsets;
pub mod perm;
mod register_broker;
mod route;
mod static_topic;
mod stats;
mod subscription;
mod subscription_group;
mod topic_config;
mod topic_config_wrapper;
pub mod validate;

pub use assignment::{
    MessageQueueAssignment, QueryAssignmentRequestBody, QueryAssignmentResponseBody,
    SetMessageRequestModeRequestBody,
};
pub use auth::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};
pub use check_client::CheckClientRequestBody;
pub use cluster::{BrokerMemberGroup, ClusterInfo, GetBrokerMemberGroupResponseBody};
pub use connection::{Connection, ConsumerConnection, ProducerConnection};
pub use controller::{
    BrokerReplicasInfo, ElectMasterResponseBody, EpochEntry, EpochEntryCache, ReplicaIdentity,
    ReplicasInfo, SyncStateSet,
};
pub use data_version::DataVersion;
pub use enums::{
    ConsumeFromWhere, ConsumeType, ExpressionType, GroupRetryPolicyType, MessageModel,
    MessageRequestMode, TopicFilterType,
};
pub use error::ModelError;
pub use fastjson::{from_fastjson, from_fastjson_slice, normalize};
pub use ha_runtime::{HaClientRuntimeInfo, HaConnectionRuntimeInfo, HaRuntimeInfo};
pub use heartbeat::{ConsumerData, HeartbeatData, ProducerData};
pub use kv::{KVTable, KvConfigSerializeWrapper};
pub use lists::{GetConsumerListByGroupResponseBody, GroupList, TopicList};
pub use lock::{LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody};
pub use message_queue::MessageQueue;
pub use offsets::{
    split_topic_group_key, topic_group_key, ConsumerOffsetSerializeWrapper,
    DelayOffsetSerializeWrapper, ResetOffsetBody, TOPIC_GROUP_SEPARATOR,
};
pub use register_broker::{DecodeLimits, RegisterBrokerBody, MAX_INFLATED_BODY};
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
