#!/usr/bin/env bash
# Replication compatibility with Apache RocketMQ 5.3.3, both ways: a classic master/slave broker
# set (DefaultHAService on haListenPort) where one side is `ferromq broker` and the other the real
# Java broker (jars resolved by Maven from interop/ha-compat/pom.xml).
#
#   interop/ha-compat.sh path/to/ferromq
#
#   1. FerroMQ ASYNC_MASTER, Java SLAVE (brokerName ha-a): the official Java client sends COUNT
#      messages (random bodies, a fifth over 32 KiB so HA transfers cut records; tags incl.
#      non-ASCII ones, keys, UTF-8 and 1000-char properties) to the master, 1 MiB CommitLog files
#      so several roll. Once the slave has caught up (CommitLog end and every queue's max offset
#      equal to the master's), every record is pulled raw from the master's and from the slave's
#      address: the same bytes, decoding to what was sent (body, tags, keys, properties, msgId,
#      offsetMsgId, queue offset). The topic is created on both brokers (a Java 5.3.3 slave copies
#      its master's metadata only once a minute); instead the answers to the metadata codes such a
#      slave sends (21/43/45/201) are fetched from the FerroMQ master with Java's own
#      BrokerOuterAPI and checked for what SlaveSynchronize dereferences. Then the master is
#      SIGKILLed; once the NameServer's route names only the slave, a new push consumer group
#      (CONSUME_FROM_FIRST_OFFSET) must get every message, intact, from the slave.
#   2. Java ASYNC_MASTER, FerroMQ SLAVE (brokerName ha-b): the same with the roles swapped, except
#      that the topic, a subscription group and a committed consumer offset are created on the
#      Java master only: the FerroMQ slave must copy them itself.
#   3. FerroMQ SYNC_MASTER (totalReplicas=2, inSyncReplicas=2), Java SLAVE (ha-c): sends return
#      SEND_OK and are in the slave's CommitLog when acknowledged; after the slave is SIGKILLed they
#      return FLUSH_SLAVE_TIMEOUT after about slaveTimeout (3 s) and stay stored on the master.
#
# One `ferromq namesrv` serves all three. Brokers bind 127.0.0.1 (Java's HA port binds 0.0.0.0).
# The client is interop/ha-compat/src/.../HaCompat.java. Exits non-zero on any mismatch; the logs
# of a failed run are kept. HA_COMPAT_COUNT sets the message count (default 500).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
count=${HA_COMPAT_COUNT:-500}
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-ha-compat.XXXXXX")"
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

kill_pid() { # kill_pid PID: SIGKILL (a crash, or a broker whose store we no longer need)
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}

forget() { # forget PID: no longer ours to stop
  local keep=()
  for p in "${pids[@]:-}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  pids=("${keep[@]:-}")
}

cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && stop_pid "$p" 20 >/dev/null 2>&1; done
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    echo "== ha-compat FAILED; logs in $work" >&2
  fi
}
trap cleanup EXIT
. "$(dirname "$0")/ports.sh"

wait_port() { # wait_port PORT SECONDS
  local deadline=$(( $(date +%s) + ${2:-60} ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

echo "== resolving Apache RocketMQ 5.3.3 (Maven) and compiling the client"
(cd "$here/ha-compat" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/ha-compat/target/classes:$(cat "$here/ha-compat/target/classpath.txt")"
mkdir -p "$work/rmqhome"
jvm=(-XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true -Drocketmq.home.dir="$work/rmqhome")

read -r ns p1m p1s p2m p2s p3m p3s <<< "$(free_ports 7)"
echo "   NameServer 127.0.0.1:$ns, work dir $work, $count messages per direction"

# What every broker of the sets runs with (Java's key names; FerroMQ reads the same file).
common() { # common NAME ID ROLE PORT
  cat <<CONF
brokerClusterName=HaCluster
brokerName=$1
brokerId=$2
brokerRole=$3
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
listenPort=$4
haListenPort=$(($4 + 1))
namesrvAddr=127.0.0.1:$ns
storePathRootDir=$work/$1-$2
storePathCommitLog=$work/$1-$2/commitlog
mappedFileSizeCommitLog=1048576
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
registerNameServerPeriod=10000
slaveReadEnable=true
autoCreateSubscriptionGroup=true
CONF
}

start_ferromq() { # start_ferromq NAME ID ROLE PORT [extra conf lines]; sets $last_pid
  local dir="$work/$1-$2"
  mkdir -p "$dir"
  { common "$1" "$2" "$3" "$4"; [ $# -ge 5 ] && printf '%s\n' "$5"; } > "$dir/broker.conf"
  FERROMQ_LOG_DIR="$dir/logs" "$bin" broker -c "$dir/broker.conf" >> "$dir/broker.out" 2>&1 < /dev/null &
  last_pid=$!; pids+=("$last_pid")
  wait_port "$4" 30
}

start_java() { # start_java NAME ID ROLE PORT [extra conf lines]; sets $last_pid
  local dir="$work/$1-$2"
  mkdir -p "$dir"
  { common "$1" "$2" "$3" "$4"; [ $# -ge 5 ] && printf '%s\n' "$5"
    printf '%s\n' "rocketmqHome=$work/rmqhome" "mappedFileSizeTimerLog=1048576"; } > "$dir/broker.conf"
  java -Xms384m -Xmx384m "${jvm[@]}" -Duser.home="$dir" -cp "$cp" \
    org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" >> "$dir/broker.out" 2>&1 < /dev/null &
  last_pid=$!; pids+=("$last_pid")
  wait_port "$4" 90
}

wait_registered() { # wait_registered NAME ID ADDR: the NameServer lists ADDR as NAME's broker ID
  local deadline=$(( $(date +%s) + 60 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    "$bin" admin clusterList -n "127.0.0.1:$ns" --json 2>/dev/null | python3 -c '
import json, sys
rows = json.load(sys.stdin)
sys.exit(0 if any(r.get("brokerName") == sys.argv[1] and str(r.get("brokerId")) == sys.argv[2]
                  and r.get("addr") == sys.argv[3] for r in rows) else 1)' "$1" "$2" "$3" && return 0
    sleep 0.3
  done
  echo "the NameServer never listed $3 as broker $2 of $1" >&2
  "$bin" admin clusterList -n "127.0.0.1:$ns" >&2 || true
  return 1
}

client() { # client NAME MODE ARGS...
  local log="$work/client-$1.log" rc=0 name=$1
  shift
  java -Xmx256m "${jvm[@]}" -Duser.home="$work/client" -cp "$cp" io.ferromq.hacompat.HaCompat \
    "$@" > "$log" 2>&1 || rc=$?
  grep '^\[ha-compat\]' "$log" | sed 's/^/   /' || true
  if [ "$rc" -ne 0 ]; then
    grep -v '^\[ha-compat\]' "$log" | grep -v ' |-' | tail -n 20 >&2 || true
    echo "client $name failed (exit $rc), log: $log" >&2
    return 1
  fi
}

# A scenario stops at its first failing step (`|| return 1`: `set -e` does not apply inside a
# function called from `||`); the next one still runs, on fresh brokers.
ns_pid=""
kill_brokers() { # kill every process but the NameServer
  for p in "${pids[@]:-}"; do [ -n "$p" ] && [ "$p" != "$ns_pid" ] && kill_pid "$p"; done
}

scenario1() {
  local rc=0
  start_ferromq ha-a 0 ASYNC_MASTER "$p1m" || return 1; local master=$last_pid
  wait_registered ha-a 0 "127.0.0.1:$p1m" || return 1
  start_java ha-a 1 SLAVE "$p1s" || return 1
  client f2j-produce produce "127.0.0.1:$ns" "$work/f2j.tsv" HA_F2J ha-a "127.0.0.1:$p1m" "127.0.0.1:$p1s" \
    "$count" ferromq both || return 1
  client f2j-metadata metadata-answers "127.0.0.1:$p1m" HA_F2J || rc=1
  kill_pid "$master"
  client f2j-failover failover "127.0.0.1:$ns" "$work/f2j.tsv" HA_F2J ha-a "127.0.0.1:$p1s" || return 1
  return $rc
}

scenario2() {
  local rc=0
  start_java ha-b 0 ASYNC_MASTER "$p2m" || return 1; local master=$last_pid
  wait_registered ha-b 0 "127.0.0.1:$p2m" || return 1
  start_ferromq ha-b 1 SLAVE "$p2s" || return 1
  client j2f-produce produce "127.0.0.1:$ns" "$work/j2f.tsv" HA_J2F ha-b "127.0.0.1:$p2m" "127.0.0.1:$p2s" \
    "$count" java master || return 1
  client j2f-metadata metadata-synced "127.0.0.1:$ns" "127.0.0.1:$p2s" HA_J2F ha-b || rc=1
  kill_pid "$master"
  client j2f-failover failover "127.0.0.1:$ns" "$work/j2f.tsv" HA_J2F ha-b "127.0.0.1:$p2s" || return 1
  return $rc
}

scenario3() {
  start_ferromq ha-c 0 SYNC_MASTER "$p3m" "totalReplicas=2
inSyncReplicas=2" || return 1
  wait_registered ha-c 0 "127.0.0.1:$p3m" || return 1
  start_java ha-c 1 SLAVE "$p3s" || return 1
  client sync-up sync-up "127.0.0.1:$ns" HA_SYNC ha-c "127.0.0.1:$p3m" "127.0.0.1:$p3s" 20 || return 1
  kill_pid "$last_pid"
  echo "   killed the slave (SIGKILL)"
  client sync-down sync-down "127.0.0.1:$ns" HA_SYNC ha-c "127.0.0.1:$p3m" || return 1
}

failed=()
run() { # run N TITLE
  local t0; t0=$(date +%s)
  echo "== $1. $2"
  if "scenario$1"; then
    echo "   ($(( $(date +%s) - t0 )) s)"
  else
    echo "   scenario $1 FAILED after $(( $(date +%s) - t0 )) s" >&2
    failed+=("$1")
  fi
  kill_brokers
}

FERROMQ_LOG_DIR="$work/namesrv/logs" "$bin" namesrv --listen-port "$ns" >> "$work/namesrv.out" 2>&1 < /dev/null &
ns_pid=$!; pids+=("$ns_pid")
wait_port "$ns" 30

run 1 "Apache RocketMQ 5.3.3 slave follows a FerroMQ master"
run 2 "FerroMQ slave follows an Apache RocketMQ 5.3.3 master"
run 3 "FerroMQ SYNC_MASTER (inSyncReplicas=2) with an Apache RocketMQ 5.3.3 slave"

if [ "${#failed[@]}" -gt 0 ]; then
  echo "== ha-compat: scenario(s) ${failed[*]} FAILED in $(( $(date +%s) - started )) s" >&2
  exit 1
fi
status=0
echo "== ha-compat OK in $(( $(date +%s) - started )) s"
