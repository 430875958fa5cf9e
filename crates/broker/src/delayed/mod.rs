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

pub mod delay_offsets;
pub mod repost;
pub mod rewrite;
pub mod schedule;
pub mod state;
pub mod system_queue;
pub mod ticker;
pub mod timer;
pub mod transaction;
