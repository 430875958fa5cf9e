#!/usr/bin/env bash
# Controller mode across zones on one machine: three `ferromq controller`s, two NameServers and a
# broker set of two `ferromq broker`s in controller mode, spread over three zones built from Linux
# network namespaces (interop/netns.sh), driven by the official RocketMQ 5.3.3 Java client and
# admin API — the very scenario of interop/controller-compat.sh (ControllerCompat.java): kill -9 of
# the master under a synchronous producer with the slave frozen (the master dies holding a tail
# its slave never got), the other replica in the route and taking writes within 10 s, the killed
# broker back as a slave truncating its unreplicated tail, kill -9 of the controller leader, a
# second master failover, and every message acknowledged SEND_OK consumed by two groups.
#
#   interop/zones-controller.sh path/to/ferromq        (root: it creates network namespaces)
#
# Hosts (one network namespace each; every server binds only its own address):
#   zone-a 10.77.1.0/24   .10 NameServer + controller n0   .11 broker 0 (ctl-a)
#   zone-b 10.77.2.0/24   .10 NameServer + controller n1   .11 broker 1 (ctl-a)
#   zone-c 10.77.3.0/24   .10 the Java client               .11 controller n2
# Then the killed broker starts again, nftables cut it off from its master (the SyncStateSet
# must shrink to the master, which keeps acknowledging), the link heals, and it must catch up
# and rejoin the SyncStateSet.
# Brokers: enableControllerMode, allAckInSyncStateSet=true (a SEND_OK is on both zones),
# slaveReadEnable, both NameServers, all three controllers. Needs ip, nft, java 17, mvn.
# ZC_KEEP=1 keeps the logs of a passing run; a failed run keeps them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "zones-controller.sh needs root (network namespaces)" >&2; exit 2; }
for tool in ip nft java mvn; do
  command -v "$tool" >/dev/null || { echo "zones-controller.sh needs $tool" >&2; exit 2; }
done

started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-zones-controller.XXXXXX")"
chmod 755 "$work"
pfx="zc$$"
status=1
# shellcheck source=interop/netns.sh
. "$here/netns.sh"

cleanup() {
  set +e
  netns_stop '(client|broker)'
  if [ "$status" -eq 0 ] && [ -z "${ZC_KEEP:-}" ]; then
    rm -rf "$work"
  else
    [ "$status" -eq 0 ] && echo "== logs kept in $work" || echo "== zones-controller FAILED; logs in $work" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== compiling the client (interop/controller-compat, rocketmq 5.3.3)"
(cd "$here/controller-compat" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/controller-compat/target/classes:$(cat "$here/controller-compat/target/classpath.txt")"

echo "== building zones (network namespaces $pfx-*)"
netns_init "$pfx"
netns_host a-ns 1 10; netns_host a-broker 1 11
netns_host b-ns 2 10; netns_host b-broker 2 11
netns_host client 3 10; netns_host c-ctl 3 11
ctl_hosts=(a-ns b-ns c-ctl); ctl_addrs=(10.77.1.10 10.77.2.10 10.77.3.11)
broker_hosts=(a-broker b-broker); broker_addrs=(10.77.1.11 10.77.2.11)
namesrv="10.77.1.10:9876;10.77.2.10:9876"
peers="n0-10.77.1.10:9878;n1-10.77.2.10:9878;n2-10.77.3.11:9878"
controllers="10.77.1.10:9878;10.77.2.10:9878;10.77.3.11:9878"
group=ZoneCtl

mkdir -p "$work/pids"
for i in 0 1 2; do
  mkdir -p "$work/controller-$i"
  cat > "$work/controller-$i/controller.conf" <<CONF
controllerDLegerGroup=$group
controllerDLegerPeers=$peers
controllerDLegerSelfId=n$i
controllerStorePath=$work/controller-$i/store
CONF
done
for h in a-ns b-ns; do
  mkdir -p "$work/namesrv-$h"
  addr=10.77.1.10; [ "$h" = b-ns ] && addr=10.77.2.10
  cat > "$work/namesrv-$h/namesrv.conf" <<CONF
listenPort=9876
bindAddress=$addr
kvConfigPath=$work/namesrv-$h/kvConfig.json
configStorePath=$work/namesrv-$h/namesrv.properties
CONF
done
for i in 0 1; do
  d="$work/broker-$i"; a=${broker_addrs[$i]}
  mkdir -p "$d"
  cat > "$d/broker.conf" <<CONF
brokerClusterName=CtlCluster
brokerName=ctl-a
enableControllerMode=true
controllerAddr=$controllers
namesrvAddr=$namesrv
allAckInSyncStateSet=true
flushDiskType=ASYNC_FLUSH
listenPort=10911
haListenPort=10912
brokerIP1=$a
brokerIP2=$a
bindAddress=$a
storePathRootDir=$d/store
mappedFileSizeCommitLog=1048576
slaveReadEnable=true
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
diskSpaceWarningLevelRatio=99
CONF
done

# The control script (ControllerCompat's contract): the Java client calls it back, from the
# client host, to start, freeze and kill servers in their own hosts.
{
  echo '#!/usr/bin/env bash'
  printf 'work=%q\nbin=%q\npfx=%q\n' "$work" "$bin" "$pfx"
  printf 'ctl_hosts=(%q %q %q)\nctl_addrs=(%q %q %q)\n' "${ctl_hosts[@]}" "${ctl_addrs[@]}"
  printf 'broker_hosts=(%q %q)\nbroker_addrs=(%q %q)\n' "${broker_hosts[@]}" "${broker_addrs[@]}"
  cat <<'CTL'
set -euo pipefail
wait_port() { # wait_port ADDR PORT SECONDS
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "[ctl] nothing listens on $1:$2" >&2
  return 1
}
# serve HOST NAME ARGS...: `ip netns exec` execs the server, so $! is its pid.
serve() {
  local host=$1 name=$2; shift 2
  FERROMQ_LOG_DIR="$work/$name/logs" RUST_LOG=info \
    nohup ip netns exec "$pfx-$host" "$bin" "$@" >> "$work/$name/$name.out" 2>&1 < /dev/null &
  echo $! > "$work/pids/$name"; rm -f "$work/pids/$name.killed"
}
kill9() {
  local pid at; pid=$(cat "$work/pids/$1")
  at=$(date +%s%3N)
  kill -9 "$pid"
  echo "$at" > "$work/killed-at"
  touch "$work/pids/$1.killed"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  echo "[ctl] $1 (pid $pid) survived kill -9" >&2; return 1
}
case "$1" in
  start-controller)
    serve "${ctl_hosts[$2]}" "controller-$2" controller -c "$work/controller-$2/controller.conf"
    wait_port "${ctl_addrs[$2]}" 9878 30 ;;
  start-namesrv)
    for h in a-ns b-ns; do serve "$h" "namesrv-$h" namesrv -c "$work/namesrv-$h/namesrv.conf"; done
    wait_port 10.77.1.10 9876 30; wait_port 10.77.2.10 9876 30 ;;
  start-broker)
    echo "== start $(date +%T.%N)" >> "$work/broker-$2/broker-$2.out"
    serve "${broker_hosts[$2]}" "broker-$2" broker -c "$work/broker-$2/broker.conf"
    wait_port "${broker_addrs[$2]}" 10911 60 ;;
  freeze-broker) kill -STOP "$(cat "$work/pids/broker-$2")"; echo "[ctl] SIGSTOP broker-$2 (${broker_addrs[$2]}:10911)" ;;
  kill-broker)
    kill9 "broker-$2"
    [ $# -ge 3 ] && kill -CONT "$(cat "$work/pids/broker-$3")"
    echo "[ctl] kill -9 broker-$2 (${broker_addrs[$2]}:10911)${3:+, SIGCONT broker-$3} at=$(cat "$work/killed-at")" ;;
  kill-controller) kill9 "controller-$2"; echo "[ctl] kill -9 controller-$2 (${ctl_addrs[$2]}:9878) at=$(cat "$work/killed-at")" ;;
  *) echo "usage: $0 start-controller|start-broker|freeze-broker|kill-controller I | kill-broker I [J] | start-namesrv" >&2
     exit 2 ;;
esac
CTL
} > "$work/ctl.sh"
chmod +x "$work/ctl.sh"

echo "== controllers n0 10.77.1.10 (zone-a), n1 10.77.2.10 (zone-b), n2 10.77.3.11 (zone-c) :9878;" \
  "NameServers 10.77.1.10, 10.77.2.10 :9876; ctl-a replicas 10.77.1.11 (zone-a), 10.77.2.11 (zone-b) :10911"
for i in 0 1 2; do "$work/ctl.sh" start-controller "$i"; done
"$work/ctl.sh" start-namesrv
"$work/ctl.sh" start-broker 0
"$work/ctl.sh" start-broker 1
netns_no_wildcard a-ns b-ns c-ctl a-broker b-broker
echo "== servers up after $(( $(date +%s) - started )) s; running the Java client in zone-c"

rc=0
env CC_BROKERS_DESC="two ferromq brokers in two zones" CC_NAMESRV="$namesrv" CC_CONTROLLERS="$controllers" \
  CC_BROKERS="10.77.1.11:10911;10.77.2.11:10911" CC_BROKER_NAME=ctl-a CC_CLUSTER=CtlCluster \
  CC_CONTROLLER_GROUP="$group" CC_CTL="$work/ctl.sh" CC_OUT="$work/client" \
  CC_BROKER_LOGS="$work/broker-0/logs;$work/broker-1/logs" \
  timeout --signal=KILL 300 ip netns exec "$pfx-client" java -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
    -Duser.home="$work/client" -Drocketmq.client.logRoot="$work/client/logs" -cp "$cp" \
    io.ferromq.controllercompat.ControllerCompat > "$work/client.out" 2>&1 || rc=$?
grep -E '^\[(controller-compat|ctl)\]' "$work/client.out" | sed 's/^/   /' || true
[ "$rc" -eq 0 ] || echo "the Java client exited with $rc (output: $work/client.out)" >&2
for i in 0 1; do
  grep -h -E 'truncated the local log|shares no epoch|truncating to the master' "$work/broker-$i/logs/"broker.log* 2>/dev/null \
    | cut -c1-300 | sed "s/^/   broker-$i: /" || true
done

# --- partition: the slave cut off from its master across zones, then healed -----------------
# (after the Java scenario, with the broker it killed last started again). The master's
# SyncStateSet must drop the slave (writes go on, SEND_OK), and after the heal the slave must
# catch up and rejoin it. Driven with `ferromq admin` from the client host.
in_client() { ip netns exec "$pfx-client" "$@"; }
admin() { in_client "$bin" admin "$@" -n "$namesrv"; }
sync_state_set() { # getSyncStateSet from the first controller still running: the client's step 5
  # kill -9s whichever controller leads, which may be the first one listed
  local i addr
  for i in 0 1 2; do
    [ -e "$work/pids/controller-$i.killed" ] && continue
    addr=$(echo "$controllers" | cut -d';' -f$((i + 1)))
    admin getSyncStateSet -a "$addr" -b ctl-a 2>/dev/null && return 0
  done
  return 1
}
in_sync() { # the number of in-sync replicas the controllers report
  sync_state_set | awk -F'\t' '/^#SyncStateSetNums/ {print $2}'
}
wait_for() { # wait_for SECONDS WHAT COMMAND...: prints the seconds it took
  local limit=$1 what=$2 t0; shift 2; t0=$(date +%s%3N)
  while ! "$@"; do
    if [ $(( $(date +%s%3N) - t0 )) -gt $(( limit * 1000 )) ]; then echo "never within ${limit} s: $what" >&2; return 1; fi
    sleep 0.2
  done
  echo "$(( $(date +%s%3N) - t0 ))" | awk '{printf "%.1f", $1 / 1000}'
}
ends_equal() { # both replicas' CommitLogs end at the same offset (getBrokerEpoch: the last
  # epoch of each broker ends at its CommitLog end)
  local ends
  ends=$(admin getBrokerEpoch -b ctl-a 2>/dev/null | awk -F'\t' '
    /^#brokerAddr/ {b = $2} /^#Epoch/ {last[b] = $0}
    END {for (k in last) {sub(/.*endOffset=/, "", last[k]); sub(/}.*/, "", last[k]); print last[k]}}')
  [ "$(echo "$ends" | grep -c .)" = 2 ] && [ "$(echo "$ends" | sort -u | grep -c .)" = 1 ]
}
two_in_sync() { [ "$(in_sync)" = 2 ]; }
one_in_sync() { [ "$(in_sync)" = 1 ]; }
partition() {
  local dead master slave mi si t
  dead=$(for i in 0 1; do [ -e "$work/pids/broker-$i.killed" ] && ! kill -0 "$(cat "$work/pids/broker-$i")" 2>/dev/null && echo "$i"; done | head -1)
  if [ -n "$dead" ]; then in_client "$work/ctl.sh" start-broker "$dead" > /dev/null; fi
  t=$(wait_for 60 "both replicas in the SyncStateSet" two_in_sync) || return 1
  master=$(sync_state_set | awk -F'\t' '/^#MasterAddr/ {print $2}')
  if [ "$master" = "${broker_addrs[0]}:10911" ]; then mi=0; si=1; else mi=1; si=0; fi
  slave="${broker_addrs[$si]}"
  echo "   [partition] master ${broker_addrs[$mi]}, slave $slave: both in sync ${t} s after the restart"
  for pair in "$mi:$slave" "$si:${broker_addrs[$mi]}"; do
    ip netns exec "$pfx-${broker_hosts[${pair%%:*}]}" nft -f - <<NFT
table inet zc_cut {
  chain in  { type filter hook input priority 0; policy accept; ip saddr ${pair#*:} drop; }
  chain out { type filter hook output priority 0; policy accept; ip daddr ${pair#*:} drop; }
}
NFT
  done
  t=$(wait_for 60 "the master drops its cut-off slave from the SyncStateSet" one_in_sync) || return 1
  echo "   [partition] link cut: the SyncStateSet is the master alone after ${t} s"
  local ok=0
  for k in $(seq 1 20); do
    admin sendMessage -t CtlTopic -p "partition-$k" -b ctl-a 2>/dev/null | grep -q SEND_OK && ok=$((ok + 1))
  done
  echo "   [partition] sends during the cut: $ok of 20 SEND_OK"
  [ "$ok" = 20 ] || { echo "the master alone refused writes during the cut" >&2; return 1; }
  for h in "${broker_hosts[$mi]}" "${broker_hosts[$si]}"; do ip netns exec "$pfx-$h" nft delete table inet zc_cut; done
  t=$(wait_for 60 "the slave catches up after the heal" ends_equal) || return 1
  echo "   [partition] healed: the slave's CommitLog ends where the master's does after ${t} s"
  t=$(wait_for 60 "the slave rejoins the SyncStateSet" two_in_sync) || return 1
  echo "   [partition] the slave is back in the SyncStateSet after ${t} s"
}
if [ "$rc" -eq 0 ]; then
  echo "== partition across zones"
  partition || rc=1
fi
# Every server the test did not kill must still run; none may have panicked.
for f in "$work"/pids/*; do
  case "$f" in *.killed) continue ;; esac
  n=$(basename "$f")
  if [ ! -e "$f.killed" ] && ! kill -0 "$(cat "$f")" 2>/dev/null; then echo "$n died (see $work/$n)" >&2; rc=1; fi
done
if grep -l 'panicked at' "$work"/*/*.out >/dev/null 2>&1; then
  echo "a server panicked:" >&2; grep -H -A3 'panicked at' "$work"/*/*.out >&2 || true; rc=1
fi
if [ "$rc" -eq 0 ]; then status=0; fi
echo "== zones-controller $([ "$status" -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
