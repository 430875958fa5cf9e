//! Messages delivered later, and the rewrites that park them:
//!
//! - [`rewrite`]: what a send does to a message before it is stored (unique id, `CLUSTER`,
//!   parking transactional halves, delay-level and timer messages).
//! - [`state`]: [`state::Delayed`], the progress of the three services below.
//! - [`system_queue`]: the one reader of a system queue in batches that every service uses.
//! - [`schedule`]: delay levels (`SCHEDULE_TOPIC_XXXX`); [`timer`]: timer messages
//!   (`rmq_sys_wheel_timer`); [`transaction`]: half messages and check-backs.
//! - [`repost`]: the checks and outcome of putting a parked message back.
//!
//! Each service decides with pure steps (tested without a store or a runtime) and a thin
//! runner applies them; [`ticker`] runs them periodically.

pub(crate) mod delay_offsets;
pub(crate) mod repost;
pub(crate) mod rewrite;
pub(crate) mod schedule;
pub(crate) mod state;
pub(crate) mod system_queue;
pub(crate) mod ticker;
pub(crate) mod timer;
pub(crate) mod transaction;
