#!/usr/bin/env bash
# "Zones on one machine": a 2-master/2-slave FerroMQ cluster spread over two zones built from Linux
# network namespaces, driven by the official RocketMQ 5.3.3 Java client, with a broker killed and a
# replication link cut under load.
#
#   interop/zones.sh path/to/ferromq          (root: it creates network namespaces)
#
# Hosts (one network namespace each, every server binds only its own address); a "core"
# namespace routes between the zones (one bridge per zone, 10.77.<zone>.1 the gateway):
#   zone-a 10.77.1.0/24   .10 NameServer  .11 broker-a master   .12 broker-b slave
#   zone-b 10.77.2.0/24   .10 NameServer  .11 broker-b master   .12 broker-a slave
#   client 10.77.3.0/24   .10 the Java client (interop/zones, io.ferromq.zones.Zones)
# Every broker: SYNC_MASTER/SLAVE, totalReplicas=inSyncReplicas=2, slaveReadEnable=true,
# ASYNC_FLUSH (the kill below is a process kill: the page cache survives it), both NameServers.
#
# Run A (kill): one synchronous producer sends to ZoneTopic (4 queues on each master) and records
# every outcome; push consumer group zones_live consumes. `kill -9` of broker-a's master; a second
# group (zones_late) starts after the kill, so all it reads from broker-a comes from broker-a's
# slave; production continues (the client routes to broker-b).
# Run B (partition): nftables drop rules, both directions, between broker-b's master and slave
# while producing (sends to broker-b come back FLUSH_SLAVE_TIMEOUT); the producer stops, the link
# heals, and broker-b's slave must reach the master's max offset on every queue.
# Then both groups must have consumed every message acknowledged SEND_OK (and the
# FLUSH_SLAVE_TIMEOUT ones). The Java program prints the figures and decides pass/fail.
#
# ZONES_RATE, ZONES_BEFORE_KILL, ZONES_AFTER_KILL, ZONES_PARTITION (s, default 25: longer than the
# 20 s HA housekeeping interval, so the replication connection is dropped and re-made),
# ZONES_AFTER_HEAL, ZONES_CATCHUP_LIMIT, ZONES_DRAIN_LIMIT tune the Java side. Needs ip
# (iproute2), nft (nftables), java 17, mvn. Logs are kept when the run fails.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "zones.sh needs root (network namespaces, nftables)" >&2; exit 2; }
for tool in ip nft java mvn; do
  command -v "$tool" >/dev/null || { echo "zones.sh needs $tool (nftables: apt-get install -y nftables)" >&2; exit 2; }
done

started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-zones.XXXXXX")"
chmod 755 "$work"
pfx="fz$$"            # namespace names: fz<pid>-<host>
status=1
# shellcheck source=interop/netns.sh
. "$here/netns.sh"

cleanup() {
  set +e
  local t=$(date +%s)
  # the client and the brokers first (they unregister from the NameServers), then the rest
  netns_stop '(client|broker)'
  echo "== cleanup: $(( $(date +%s) - t )) s"
  if [ "$status" -eq 0 ]; then
    if [ -n "${ZONES_KEEP:-}" ]; then echo "== logs kept in $work"; else rm -rf "$work"; fi
  else
    echo "== zones FAILED; logs in $work" >&2
    for f in "$work"/*.out; do
      [ -s "$f" ] || continue
      echo "--- last warnings in $f" >&2
      sed 's/\x1b\[[0-9;]*m//g' "$f" | grep -E 'WARN|ERROR|panicked|Exception' | tail -n 8 >&2
    done
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

used=$(df --output=pcent / | tail -1 | tr -dc 0-9)
if [ "$used" -ge 85 ]; then
  echo "the disk is ${used} % full: the brokers refuse writes at 90 %" >&2
  exit 1
fi

echo "== compiling the client (interop/zones, rocketmq-client 5.3.3)"
(cd "$here/zones" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/zones/target/classes:$(cat "$here/zones/target/classpath.txt")"

# --- the network -----------------------------------------------------------------------------
echo "== building zones (network namespaces $pfx-*)"
netns_init "$pfx"
netns_host a-ns     1 10; netns_host a-brokerA 1 11; netns_host a-brokerB 1 12
netns_host b-ns     2 10; netns_host b-brokerB 2 11; netns_host b-brokerA 2 12
netns_host client   3 10
ns_a=10.77.1.10; a_master=10.77.1.11; b_slave=10.77.1.12
ns_b=10.77.2.10; b_master=10.77.2.11; a_slave=10.77.2.12
namesrv="$ns_a:9876;$ns_b:9876"

# reachable IP PORT [SECONDS]: a TCP connect from the client host succeeds.
reachable() {
  local deadline=$(( $(date +%s) + ${3:-30} ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    ip netns exec "$pfx-client" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on $1:$2 (seen from the client host)" >&2
  return 1
}

# --- the servers -------------------------------------------------------------------------------
# serve HOST NAME COMMAND...: runs COMMAND in HOST's namespace (`ip netns exec` execs it: $! is
# the server's pid), output in $work/NAME.out, pid in $work/NAME.pid.
serve() {
  local hostns="$pfx-$1" name=$2; shift 2
  mkdir -p "$work/$name"
  HOME="$work/$name" FERROMQ_LOG_DIR="$work/$name/logs" \
    ip netns exec "$hostns" "$@" > "$work/$name.out" 2>&1 < /dev/null &
  echo $! > "$work/$name.pid"
  disown $!   # no job notice when broker-a's master is killed
}

for spec in "a-ns:$ns_a" "b-ns:$ns_b"; do
  h=${spec%%:*}; addr=${spec##*:}
  mkdir -p "$work/namesrv-$h"
  cat > "$work/namesrv-$h/namesrv.conf" <<CONF
listenPort=9876
bindAddress=$addr
kvConfigPath=$work/namesrv-$h/kvConfig.json
configStorePath=$work/namesrv-$h/namesrv.properties
CONF
  serve "$h" "namesrv-$h" "$bin" namesrv -c "$work/namesrv-$h/namesrv.conf"
done
reachable "$ns_a" 9876; reachable "$ns_b" 9876

# broker HOST NAME ID ROLE ADDR
broker() {
  local h=$1 name=$2 id=$3 role=$4 addr=$5 dir="$work/$2-$3"
  mkdir -p "$dir"
  cat > "$dir/broker.conf" <<CONF
brokerClusterName=ZoneCluster
brokerName=$name
brokerId=$id
brokerRole=$role
flushDiskType=ASYNC_FLUSH
totalReplicas=2
inSyncReplicas=2
slaveReadEnable=true
brokerIP1=$addr
brokerIP2=$addr
bindAddress=$addr
listenPort=10911
haListenPort=10912
storePathRootDir=$dir/store
namesrvAddr=$namesrv
mappedFileSizeCommitLog=67108864
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
diskSpaceWarningLevelRatio=99
CONF
  serve "$h" "$name-$id" "$bin" broker -c "$dir/broker.conf"
}
broker a-brokerA broker-a 0 SYNC_MASTER "$a_master"
broker b-brokerB broker-b 0 SYNC_MASTER "$b_master"
broker b-brokerA broker-a 1 SLAVE "$a_slave"
broker a-brokerB broker-b 1 SLAVE "$b_slave"
for a in "$a_master" "$b_master" "$a_slave" "$b_slave"; do reachable "$a" 10911; done
# Every server listens on its own address only (no wildcard listeners).
netns_no_wildcard a-ns b-ns a-brokerA b-brokerB b-brokerA a-brokerB || exit 1
echo "== up after $(( $(date +%s) - started )) s: NameServers $ns_a $ns_b;" \
  "broker-a $a_master (zone-a) -> $a_slave (zone-b); broker-b $b_master (zone-b) -> $b_slave (zone-a)"

# --- the failures, called back by the client ---------------------------------------------------
{
  echo '#!/usr/bin/env bash'
  printf 'work=%q\npfx=%q\nb_master=%q\nb_slave=%q\n' "$work" "$pfx" "$b_master" "$b_slave"
  cat <<'CTL'
set -euo pipefail
# cut NS PEER: drop everything between NS's host and PEER, both directions.
cut() {
  ip netns exec "$pfx-$1" nft -f - <<NFT
table inet zones_cut {
  chain in  { type filter hook input priority 0; policy accept; ip saddr $2 drop; }
  chain out { type filter hook output priority 0; policy accept; ip daddr $2 drop; }
}
NFT
}
case "$1" in
  kill-a-master)
    pid=$(cat "$work/broker-a-0.pid")
    kill -9 "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    echo "[ctl] kill -9 broker-a master (pid $pid)"
    ;;
  cut-b)
    cut b-brokerB "$b_slave"
    cut a-brokerB "$b_master"
    echo "[ctl] nftables: $b_master <-/-> $b_slave"
    ;;
  heal-b)
    ip netns exec "$pfx-b-brokerB" nft delete table inet zones_cut
    ip netns exec "$pfx-a-brokerB" nft delete table inet zones_cut
    echo "[ctl] healed $b_master <-> $b_slave"
    ;;
  *) echo "usage: $0 kill-a-master|cut-b|heal-b" >&2; exit 2 ;;
esac
CTL
} > "$work/ctl.sh"
chmod +x "$work/ctl.sh"

# --- the client --------------------------------------------------------------------------------
echo "== running the Java client in the client host; every broker runs with:" \
  $(grep -E '^(brokerRole|flushDiskType|totalReplicas|inSyncReplicas|slaveReadEnable)=' "$work/broker-b-0/broker.conf" | sed 's/brokerRole=SYNC_MASTER/brokerRole=SYNC_MASTER|SLAVE/')
rc=0
env ZONES_NAMESRV="$namesrv" ZONES_CTL="$work/ctl.sh" ZONES_OUT="$work/client" \
  ZONES_A_MASTER="$a_master:10911" ZONES_A_SLAVE="$a_slave:10911" \
  ZONES_B_MASTER="$b_master:10911" ZONES_B_SLAVE="$b_slave:10911" \
  timeout --signal=KILL 480 ip netns exec "$pfx-client" java -Xmx384m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
    -Duser.home="$work/client" -Drocketmq.client.logRoot="$work/client/logs" -cp "$cp" io.ferromq.zones.Zones \
  > "$work/client.out" 2>&1 || rc=$?
grep -E '^\[(zones|ctl)\]' "$work/client.out" | sed 's/^/   /' || true

# The broker processes that must still be alive are: all but broker-a's master.
for n in namesrv-a-ns namesrv-b-ns broker-b-0 broker-a-1 broker-b-1; do
  if ! kill -0 "$(cat "$work/$n.pid")" 2>/dev/null; then
    echo "$n is no longer running" >&2
    rc=1
  fi
done
if grep -l -E 'panicked at|RUST_BACKTRACE' "$work"/*.out >/dev/null 2>&1; then
  echo "a server panicked:" >&2
  grep -H -A3 'panicked at' "$work"/*.out >&2 || true
  rc=1
fi
if [ "$rc" -eq 0 ]; then status=0; fi
echo "== zones $([ "$status" -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
