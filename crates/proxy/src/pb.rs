//! The generated `apache.rocketmq.v2` messages and service traits.

#![allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub)]

tonic::include_proto!("apache.rocketmq.v2");
