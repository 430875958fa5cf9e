#!/usr/bin/env bash
# The whole test suite: Rust unit/integration tests, then the interop suites with the
# official Java and Go RocketMQ clients against a freshly built `ferromq`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== building ferromq"
cargo build --locked -p ferromq-cli

echo "== interop"
interop/run.sh "$PWD/target/debug/ferromq"
