#!/usr/bin/env bash
# Store compatibility with Apache RocketMQ 5.3.3, both ways (issue 3: "a directory written by the
# Java broker should open (same layout), and the reverse").
#
#   interop/store-compat.sh path/to/ferromq
#
#   1. Java writes, FerroMQ reads: a real Java NameServer + Broker (jars resolved by Maven from
#      interop/store-compat/pom.xml) with tiny files (1 MiB CommitLog, 300-entry ConsumeQueue,
#      500-entry index files, so all of them roll over); the official Java client creates three
#      topics and sends 1096 messages (tags, keys, properties, zlib-compressed bodies, a batch),
#      reads them back, and commits half of two topics for group sc_group; the broker is stopped
#      cleanly; `ferromq standalone` opens the same directory and the client verifies it.
#   2. FerroMQ writes, Java reads: the same with the roles swapped.
#
# "Verifies" (interop/store-compat/src/.../StoreCompat.java, official client only): every message
# pulled by queue and offset with the same body/tags/keys/properties/msgId as from the writing
# broker, min/max offsets, tag-filtered pulls (ConsumeQueue tag codes), lookups by key, unique key
# and offsetMsgId (physical offset), offset by time, the group's committed offsets, a push consumer
# of the group resuming exactly there, and new sends appending after the old messages.
# Both servers use the same loopback ports (offsetMsgIds encode the broker address) and the same
# brokerName. Exits non-zero on any mismatch; logs of a failed run are kept.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-store-compat.XXXXXX")"
started=$(date +%s)
pids=()
status=1

stop_pid() { # stop_pid PID SECONDS: SIGTERM, wait, then SIGKILL
  local pid=$1 secs=${2:-30}
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "pid $pid did not stop in ${secs}s: killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && stop_pid "$p" 20 >/dev/null 2>&1; done
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    echo "== store-compat FAILED; logs in $work" >&2
  fi
}
trap cleanup EXIT

# Ports below 32768 (Java binds the HA port, listenPort+1, on 0.0.0.0; ephemeral client ports
# start at 32768); the broker needs listenPort-2 (fast port) and listenPort+1 free as well.
free_port() {
  python3 - <<'PY'
import socket, random
def free(p):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    p = random.randint(20000, 32000)
    if free(p) and free(p - 2) and free(p + 1):
        print(p); break
PY
}

wait_port() { # wait_port PORT SECONDS
  local deadline=$(( $(date +%s) + ${2:-60} ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

forget() { # forget PID: no longer ours to stop
  local keep=()
  for p in "${pids[@]:-}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  pids=("${keep[@]:-}")
}

echo "== resolving Apache RocketMQ 5.3.3 (Maven) and compiling the client"
(cd "$here/store-compat" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/store-compat/target/classes:$(cat "$here/store-compat/target/classpath.txt")"
mkdir -p "$work/rmqhome"
jvm=(-XX:+UseG1GC -Djava.net.preferIPv4Stack=true -Drocketmq.home.dir="$work/rmqhome")

ns=$(free_port)
broker=$(free_port)
while [ "$broker" = "$ns" ] || [ $((broker - 2)) = "$ns" ] || [ $((broker + 1)) = "$ns" ]; do broker=$(free_port); done
echo "   NameServer 127.0.0.1:$ns, broker 127.0.0.1:$broker, work dir $work"

# The settings both servers run with.
sizes="brokerName=broker-a
mappedFileSizeCommitLog=1048576
mappedFileSizeConsumeQueue=6000
maxHashSlotNum=1000
maxIndexNum=500
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
diskSpaceWarningLevelRatio=99"

java_namesrv_pid=""; java_broker_pid=""; ferromq_pid=""

start_java() { # start_java STOREDIR: NameServer + broker on STOREDIR
  local store=$1
  mkdir -p "$work/java-ns"
  cat > "$work/java-ns/namesrv.conf" <<CONF
listenPort=$ns
bindAddress=127.0.0.1
rocketmqHome=$work/rmqhome
kvConfigPath=$work/java-ns/kvConfig.json
CONF
  java -Xms256m -Xmx256m "${jvm[@]}" -Duser.home="$work/java-ns" -cp "$cp" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$work/java-ns/namesrv.conf" \
    >> "$work/java-ns/namesrv.out" 2>&1 < /dev/null &
  java_namesrv_pid=$!; pids+=("$java_namesrv_pid")
  mkdir -p "$store.java"
  cat > "$store.java/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$broker
namesrvAddr=127.0.0.1:$ns
storePathRootDir=$store
storePathCommitLog=$store/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
mappedFileSizeTimerLog=1048576
rocketmqHome=$work/rmqhome
$sizes
CONF
  wait_port "$ns" 60
  java -Xms512m -Xmx512m "${jvm[@]}" -Duser.home="$store.java" -cp "$cp" \
    org.apache.rocketmq.broker.BrokerStartup -c "$store.java/broker.conf" \
    >> "$store.java/broker.out" 2>&1 < /dev/null &
  java_broker_pid=$!; pids+=("$java_broker_pid")
  wait_port "$broker" 90
}

stop_java() {
  # A clean broker shutdown (flush, checkpoint, consumerOffset.json, `abort` removed) takes ~10 s.
  stop_pid "$java_broker_pid" 60 || { echo "the Java broker did not stop cleanly" >&2; return 1; }
  forget "$java_broker_pid"
  stop_pid "$java_namesrv_pid" 20 || true
  forget "$java_namesrv_pid"
}

start_ferromq() { # start_ferromq STOREDIR
  local store=$1
  mkdir -p "$store.ferromq"
  printf '%s\n' "$sizes" > "$store.ferromq/broker.conf"
  FERROMQ_LOG_DIR="$store.ferromq/logs" "$bin" standalone --data "$store" --bind 127.0.0.1 \
    --namesrv-port "$ns" --broker-port "$broker" -c "$store.ferromq/broker.conf" \
    >> "$store.ferromq/standalone.out" 2>&1 < /dev/null &
  ferromq_pid=$!; pids+=("$ferromq_pid")
  wait_port "$ns" 30
  wait_port "$broker" 30
}

stop_ferromq() {
  stop_pid "$ferromq_pid" 30 || { echo "ferromq did not stop cleanly" >&2; return 1; }
  forget "$ferromq_pid"
}

client() { # client MODE MANIFEST [ORIGIN]
  local log="$work/client-$1-$(basename "$2" .tsv).log" rc=0
  java -Xmx256m "${jvm[@]}" -Duser.home="$work/client" -cp "$cp" io.ferromq.storecompat.StoreCompat \
    "$1" "127.0.0.1:$ns" "$2" "${3:-}" > "$log" 2>&1 || rc=$?
  grep '^\[store-compat\]' "$log" | sed 's/^/   /' || true
  if [ "$rc" -ne 0 ]; then
    grep -v '^\[store-compat\]' "$log" | grep -v ' |-' | tail -n 20 >&2 || true
    echo "client $1 failed (exit $rc), log: $log" >&2
    return 1
  fi
}

echo "== 1. Apache RocketMQ 5.3.3 writes, FerroMQ reads"
start_java "$work/java-store"
client produce "$work/java-written.tsv" java
stop_java
[ ! -e "$work/java-store/abort" ] || { echo "the Java broker left its abort file" >&2; exit 1; }
start_ferromq "$work/java-store"
grep -q "RecoveryReport { abnormal: false" "$work/java-store.ferromq/standalone.out" \
  || { echo "FerroMQ did not open the Java store as cleanly shut down" >&2; exit 1; }
client verify "$work/java-written.tsv"
stop_ferromq

echo "== 2. FerroMQ writes, Apache RocketMQ 5.3.3 reads"
start_ferromq "$work/ferromq-store"
client produce "$work/ferromq-written.tsv" ferromq
stop_ferromq
[ ! -e "$work/ferromq-store/abort" ] || { echo "ferromq left its abort file" >&2; exit 1; }
start_java "$work/ferromq-store"
client verify "$work/ferromq-written.tsv"
grep -q "recover mode: normal" "$work/ferromq-store.java/logs/rocketmqlogs/store.log" \
  || { echo "the Java broker did not recover the FerroMQ store normally" >&2; exit 1; }
stop_java

status=0
echo "== store-compat OK in $(( $(date +%s) - started )) s"
