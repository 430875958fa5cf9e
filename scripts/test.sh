#!/usr/bin/env bash
# The whole test suite: Rust unit/integration tests, the interop suites with the official Java
# and Go RocketMQ clients against a freshly built `ferromq`, and the store-directory round trip,
# master/slave replication and controller-mode failover with the real Apache RocketMQ 5.3.3 broker,
# TLS and access control with the official clients.
set -euo pipefail
cd "$(dirname "$0")/.."

# Snapshot mismatches fail here exactly as on CI (no pending .snap.new files, no auto-accept).
export INSTA_UPDATE=no
echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== building ferromq"
cargo build --locked -p ferromq-cli

echo "== interop"
interop/run.sh "$PWD/target/debug/ferromq"

echo "== store compatibility with Apache RocketMQ 5.3.3 (both directions)"
interop/store-compat.sh "$PWD/target/debug/ferromq"

echo "== master/slave replication with Apache RocketMQ 5.3.3 (both directions)"
interop/ha-compat.sh "$PWD/target/debug/ferromq"

echo "== zones on one machine: 2 masters + 2 slaves across two network-namespace zones, kill -9 and a cut link"
interop/zones.sh "$PWD/target/debug/ferromq"

echo "== controller mode across zones: three ferromq controllers and a set of two ferromq brokers in three network-namespace zones, kill -9s under load"
interop/zones-controller.sh "$PWD/target/debug/ferromq"

echo "== controller mode: two Apache RocketMQ 5.3.3 brokers fail over on three ferromq controllers"
interop/controller-compat.sh "$PWD/target/debug/ferromq"

echo "== controller mode, mixed set: one Apache RocketMQ 5.3.3 and one ferromq broker replicate to each other (AutoSwitch HA) and fail over"
CC_MIXED=1 interop/controller-compat.sh "$PWD/target/debug/ferromq"

echo "== TLS: the official Java client over TLS against an enforcing and a permissive ferromq namesrv + broker"
interop/tls-compat.sh "$PWD/target/debug/ferromq"

echo "== access control: the official Java client, mqadmin and the Go client against ferromq with ACL 2.0 and ACL 1.0"
interop/acl-compat.sh "$PWD/target/debug/ferromq"

# The RocketMQ 5.x gRPC clients (interop/java5, interop/go5) against ferromq's gRPC proxy, LOCAL in
# the standalone and CLUSTER in front of an Apache RocketMQ 5.3.3 broker.
echo "== gRPC (RocketMQ 5.x clients, POP): rocketmq-client-java 5.2.0 and the Go v5 client against ferromq standalone's proxy"
interop/grpc-compat.sh "$PWD/target/debug/ferromq"

echo "== gRPC, CLUSTER mode: ferromq proxy in front of an Apache RocketMQ 5.3.3 NameServer + broker"
GRPC_CLUSTER=1 interop/grpc-compat.sh "$PWD/target/debug/ferromq"
