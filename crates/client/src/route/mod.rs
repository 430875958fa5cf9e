//! Topic routes as the client uses them: the queues a producer may write, the queues a
//! consumer may read, and the cache of routes and broker addresses.

mod publish;
mod subscribe;
mod table;

pub use publish::PublishInfo;
pub(crate) use subscribe::subscribe_queues;
pub use table::{RouteTable, TopicRoute};
