//! Client ↔ server integration tests. By default they run against an in-process FerroMQ
//! cluster (NameServer + broker on 127.0.0.1, started once for this test binary); set
//! `FERROMQ_TEST_NAMESRV` (e.g. `127.0.0.1:9876`) to run them against any other
//! RocketMQ-protocol server instead. Each test creates its own uniquely named topics and
//! groups through the admin API, so tests share one cluster and run in parallel.

mod admin;
mod common;
mod consume;
mod lite_pull;
mod orderly;
mod produce;
mod transaction;
