//! Admin headers used by mqadmin and consoles.

use crate::command_header;

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17).
    pub struct CreateTopicRequestHeader {
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        read_queue_nums: i32 = "readQueueNums",
        write_queue_nums: i32 = "writeQueueNums",
        perm: i32 = "perm",
        topic_filter_type: String = "topicFilterType",
        topic_sys_flag: Option<i32> = "topicSysFlag",
        order: bool = "order",
        attributes: Option<String> = "attributes",
        force: Option<bool> = "force",
    }

    /// GET_ALL_TOPIC_CONFIG (21); 5.x paging fields, all optional in practice.
    pub struct GetAllTopicConfigRequestHeader {
        topic_seq: Option<i32> = "topicSeq",
        data_version: Option<String> = "dataVersion",
        max_topic_num: Option<i32> = "maxTopicNum",
    }

    /// The response to GET_ALL_TOPIC_CONFIG.
    pub struct GetAllTopicConfigResponseHeader {
        total_topic_num: Option<i32> = "totalTopicNum",
    }

    /// The response to GET_BROKER_CONFIG: `version` is a DataVersion JSON.
    pub struct GetBrokerConfigResponseHeader {
        version: String = "version",
    }

    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: Option<String> = "topic",
        topic_list: Option<String> = "topicList",
    }

    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteSubscriptionGroupRequestHeader {
        group_name: String = "groupName",
        clean_offset: Option<bool> = "cleanOffset",
    }

    /// GET_SUBSCRIPTIONGROUP_CONFIG (352), QUERY_TOPICS_BY_CONSUMER (343).
    pub struct GroupRequestHeader {
        group: String = "group",
    }

    /// QUERY_SUBSCRIPTION_BY_CONSUMER (345).
    pub struct QuerySubscriptionByConsumerRequestHeader {
        group: String = "group",
        topic: Option<String> = "topic",
    }

    /// VIEW_BROKER_STATS_DATA (315).
    pub struct ViewBrokerStatsDataRequestHeader {
        stats_name: String = "statsName",
        stats_key: String = "statsKey",
    }

    /// GET_BROKER_CONSUME_STATS (317).
    pub struct GetConsumeStatsInBrokerHeader {
        is_order: bool = "isOrder",
    }

    /// RESUME_CHECK_HALF_MESSAGE (323).
    pub struct ResumeCheckHalfMessageRequestHeader {
        topic: Option<String> = "topic",
        msg_id: Option<String> = "msgId",
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) paging fields.
    pub struct GetAllSubscriptionGroupRequestHeader {
        group_seq: Option<i32> = "groupSeq",
        data_version: Option<String> = "dataVersion",
        max_group_num: Option<i32> = "maxGroupNum",
    }
}
