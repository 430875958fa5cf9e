#!/usr/bin/env bash
# Runs the interop suites (official Java and Go RocketMQ clients) against FerroMQ.
#
#   interop/run.sh [path/to/ferromq]      (default: target/debug/ferromq)
#
# Starts the servers each suite needs on free loopback ports, runs the suite, stops them:
#   1. one `ferromq standalone` (feature settings on)      → Go suite, Java suite (JSON + ROCKETMQ headers)
#   2. two NameServers + two brokers in one cluster        → the multi-broker tests of both suites
# Set INTEROP_SKIP_JAVA=1 / INTEROP_SKIP_GO=1 to skip a language.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-$root/target/debug/ferromq}"
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-interop.XXXXXX")"
pids=()

status=0
cleanup() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do wait "$p" 2>/dev/null || true; done
  # Keep the logs of a failed run; a passed run leaves nothing behind.
  if [ "$status" -eq 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# A free port p such that p-2 (the fast port) is free too.
free_port() {
  python3 - <<'PY'
import socket, random
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    p = random.randint(20000, 60000)
    if free(p) and free(p - 2) and free(p + 1):
        print(p); break
PY
}

wait_port() {
  local port=$1
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $port did not come up" >&2
  return 1
}

delay_levels="1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s"
# Small CommitLog files (space is reserved up front) and disk-ratio guards that do not trip on a
# crowded shared CI disk.
common_conf="mappedFileSizeCommitLog=67108864
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
diskSpaceWarningLevelRatio=99"
cat > "$work/features.conf" <<CONF
$common_conf
enablePropertyFilter=true
messageDelayLevel=$delay_levels
transactionCheckInterval=1000
transactionTimeOut=3000
CONF

# --- 1. standalone -----------------------------------------------------------------------
ns_port=$(free_port); broker_port=$(free_port)
FERROMQ_LOG_DIR="$work/logs" "$bin" standalone --data "$work/standalone" --bind 127.0.0.1 \
  --namesrv-port "$ns_port" --broker-port "$broker_port" -c "$work/features.conf" \
  > "$work/standalone.out" 2>&1 &
pids+=($!)
wait_port "$ns_port"; wait_port "$broker_port"
export FERROMQ_NAMESRV="127.0.0.1:$ns_port"
export FERROMQ_FEATURES="${INTEROP_FEATURES:-1}"
export FERROMQ_DELAY_LEVELS="$delay_levels"
export FERROMQ_SLOW=1   # the 65 s timer message (issue 6)
echo "== standalone on $FERROMQ_NAMESRV (broker $broker_port), logs in $work"

if [ "${INTEROP_SKIP_GO:-}" != 1 ]; then
  echo "== Go client suite"
  (cd "$here/go" && go test -count=1 ./...) || status=1
fi
if [ "${INTEROP_SKIP_JAVA:-}" != 1 ] && [ -f "$here/java/pom.xml" ]; then
  echo "== Java client suite"
  (cd "$here/java" && mvn -B test | grep -E "Tests run:|FAIL|ERROR|BUILD") || status=1
fi

# --- 2. two NameServers, two brokers ------------------------------------------------------
ns1=$(free_port); ns2=$(free_port); b1=$(free_port); b2=$(free_port)
for p in "$ns1" "$ns2"; do
  FERROMQ_LOG_DIR="$work/logs" "$bin" namesrv --listen-port "$p" > "$work/namesrv-$p.out" 2>&1 &
  pids+=($!)
done
wait_port "$ns1"; wait_port "$ns2"
for spec in "broker-a:$b1" "broker-b:$b2"; do
  name=${spec%%:*}; port=${spec##*:}
  cat > "$work/$name.conf" <<CONF
brokerClusterName=MultiCluster
brokerName=$name
brokerId=0
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$port
storePathRootDir=$work/$name
namesrvAddr=127.0.0.1:$ns1;127.0.0.1:$ns2
$common_conf
CONF
  FERROMQ_LOG_DIR="$work/logs" "$bin" broker -c "$work/$name.conf" > "$work/$name.out" 2>&1 &
  pids+=($!)
done
wait_port "$b1"; wait_port "$b2"
sleep 1
export FERROMQ_NAMESRV="127.0.0.1:$ns1;127.0.0.1:$ns2"
export FERROMQ_MULTI=1
unset FERROMQ_FEATURES
echo "== multi-broker cluster: namesrvs $ns1 $ns2, brokers $b1 $b2"
if [ "${INTEROP_SKIP_GO:-}" != 1 ]; then
  (cd "$here/go" && go test -count=1 -run 'TestMulti' ./...) || status=1
fi
if [ "${INTEROP_SKIP_JAVA:-}" != 1 ] && [ -f "$here/java/pom.xml" ]; then
  (cd "$here/java" && mvn -B test -Pmulti | grep -E "Tests run:|FAIL|ERROR|BUILD") || status=1
fi

if [ $status -ne 0 ]; then
  echo "== interop FAILED; server logs:" >&2
  tail -n 50 "$work"/*.out >&2 || true
fi
exit $status
