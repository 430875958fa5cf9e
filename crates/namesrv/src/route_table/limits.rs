//! Bounds on what brokers (or anyone claiming to be one: REGISTER_BROKER needs no
//! credentials) can make the route table hold, and why a request was refused.

use ferromq_protocol::response_code;

use crate::checks::BadName;

/// Bounds on the route table. With them every map it holds is bounded: broker groups, cluster
/// memberships and broker addresses each need a live broker instance, and topic routes a
/// broker group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteLimits {
    /// Broker instances (cluster + address) known at once (1 024).
    pub max_brokers: usize,
    /// Broker instances one connection may register (64: one Java broker, or one broker
    /// container, registers a few over its connection).
    pub max_brokers_per_channel: usize,
    /// Topics routed to one broker group (100 000), and topics one registration may carry.
    pub max_topics_per_broker: usize,
    /// (topic, broker group) routes in the whole table (500 000).
    pub max_topic_routes: usize,
    /// Static-topic queue mappings in the whole table (10 000).
    pub max_static_topic_mappings: usize,
    /// Queues in one static-topic mapping (1 024); larger mappings are skipped with a warning.
    pub max_mapping_queues: usize,
    /// Longest heartbeat timeout a broker may ask for, in ms (10 min; Java brokers ask for
    /// 10 s when acting-master is on, and send nothing otherwise, which means 120 s).
    pub max_broker_timeout_ms: i64,
}

impl Default for RouteLimits {
    fn default() -> Self {
        RouteLimits {
            max_brokers: 1024,
            max_brokers_per_channel: 64,
            max_topics_per_broker: 100_000,
            max_topic_routes: 500_000,
            max_static_topic_mappings: 10_000,
            max_mapping_queues: 1024,
            max_broker_timeout_ms: 600_000,
        }
    }
}

/// Why a registration (or REGISTER_TOPIC_IN_NAMESRV) was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteRefused {
    /// A broker, cluster or zone name, an address, or a topic name is not acceptable.
    #[error(transparent)]
    BadName(#[from] BadName),
    /// The table already knows [`RouteLimits::max_brokers`] broker instances.
    #[error("the name server already knows {max} broker instances, its limit")]
    TooManyBrokers { max: usize },
    /// This connection registered [`RouteLimits::max_brokers_per_channel`] instances.
    #[error("this connection already registered {max} broker instances, the limit per connection")]
    TooManyBrokersOnChannel { max: usize },
    /// The broker group would route more than [`RouteLimits::max_topics_per_broker`] topics.
    #[error(
        "broker {broker} would route {topics} topics, more than the limit of {max} per broker"
    )]
    TooManyTopics {
        broker: String,
        topics: usize,
        max: usize,
    },
    /// The table would hold more than [`RouteLimits::max_topic_routes`] routes.
    #[error("the name server would hold {routes} topic routes, more than its limit of {max}")]
    TooManyRoutes { routes: usize, max: usize },
    /// The table would hold more than [`RouteLimits::max_static_topic_mappings`] mappings.
    #[error(
        "the name server would hold {mappings} static topic mappings, more than its limit of {max}"
    )]
    TooManyMappings { mappings: usize, max: usize },
}

impl RouteRefused {
    /// INVALID_PARAMETER for a name that is not acceptable (what Java answers for a bad topic
    /// name); SYSTEM_ERROR for a limit (what Java answers when a registration fails).
    pub fn response_code(&self) -> i32 {
        match self {
            RouteRefused::BadName(_) => response_code::INVALID_PARAMETER,
            _ => response_code::SYSTEM_ERROR,
        }
    }
}
