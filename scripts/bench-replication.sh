#!/usr/bin/env bash
# Replication benchmark: a master and its slave (FerroMQ or Apache RocketMQ 5.3.3) on this
# machine, loaded by `ferromq bench producer`; prints throughput, p99, broker CPU per
# message (master and slave) and, under ASYNC_MASTER, the slave's lag.
#
#   scripts/bench-replication.sh path/to/ferromq ferromq|java sync|async|controller [rounds]
#
# sync  = SYNC_MASTER with totalReplicas=2, inSyncReplicas=2 (every ack waits for the slave)
# async = ASYNC_MASTER (lag sampled every 100 ms with GET_BROKER_HA_STATUS during the load)
# controller = controller mode (one `ferromq controller`; broker 0 starts first and is elected
#         master) with allAckInSyncStateSet=true: every ack waits for the SyncStateSet, the
#         AutoSwitch HA protocol, dispatch gated at the confirm offset
# Java's jars come from interop/ha-compat (mvn compile writes target/classpath.txt).
set -euo pipefail
bin=$(readlink -f "$1"); impl=$2; mode=$3; rounds=${4:-3}
here="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d /tmp/bench-repl.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ns=38876; mp=38911; sp=38921; ctl=38878
wait_port() { for _ in $(seq 1 300); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
if [ "$impl" = java ]; then
  (cd "$here/interop/ha-compat" && mvn -q -B compile) >/dev/null
  cp="$here/interop/ha-compat/target/classes:$(cat "$here/interop/ha-compat/target/classpath.txt")"
fi
conf() { # conf ID ROLE PORT
  cat <<C
brokerClusterName=BenchCluster
brokerName=bench-a
brokerId=$1
brokerRole=$2
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
listenPort=$3
haListenPort=$(($3 + 1))
namesrvAddr=127.0.0.1:$ns
storePathRootDir=$work/b$1
storePathCommitLog=$work/b$1/commitlog
rocketmqHome=$work
C
  if [ "$2" = SYNC_MASTER ]; then printf 'totalReplicas=2\ninSyncReplicas=2\n'; fi
  if [ "$mode" = controller ]; then
    printf 'enableControllerMode=true\ncontrollerAddr=127.0.0.1:%s\nallAckInSyncStateSet=true\n' "$ctl"
  fi
}
start() { # start ID ROLE PORT -> pid on stdout
  mkdir -p "$work/b$1"; conf "$@" > "$work/b$1/broker.conf"
  if [ "$impl" = java ]; then
    java -Xms512m -Xmx512m -XX:+UseG1GC -Duser.home="$work/b$1" -cp "$cp" \
      org.apache.rocketmq.broker.BrokerStartup -c "$work/b$1/broker.conf" > "$work/b$1/out" 2>&1 < /dev/null &
  else
    FERROMQ_LOG_DIR="$work/b$1/logs" RUST_LOG=warn "$bin" broker -c "$work/b$1/broker.conf" > "$work/b$1/out" 2>&1 < /dev/null &
  fi
  echo $!
}
role=ASYNC_MASTER; [ "$mode" = sync ] && role=SYNC_MASTER
echo "bindAddress=127.0.0.1" > "$work/ns.conf"
FERROMQ_LOG_DIR="$work/nslogs" "$bin" namesrv -c "$work/ns.conf" --listen-port $ns > "$work/ns.out" 2>&1 &
pids+=($!); wait_port $ns
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/b0" "$work/b1" "$work/ctl"
  if [ "$mode" = controller ]; then
    mkdir -p "$work/ctl"
    printf 'controllerDLegerGroup=bench\ncontrollerDLegerPeers=n0-127.0.0.1:%s\ncontrollerDLegerSelfId=n0\ncontrollerStorePath=%s\n' \
      "$ctl" "$work/ctl/store" > "$work/ctl/ctl.conf"
    FERROMQ_LOG_DIR="$work/ctl/logs" "$bin" controller -c "$work/ctl/ctl.conf" > "$work/ctl/out" 2>&1 &
    c=$!; pids+=("$c"); wait_port $ctl
    # broker 0 first: the first to ask is elected master
    m=$(start 0 SLAVE $mp); pids+=("$m"); wait_port $mp
    for _ in $(seq 1 300); do
      "$bin" admin haStatus -n 127.0.0.1:$ns -b 127.0.0.1:$mp --json 2>/dev/null | grep -q '"master": *true' && break
      sleep 0.2
    done
    s=$(start 1 SLAVE $sp); pids+=("$s")
  else
    m=$(start 0 $role $mp); pids+=("$m"); s=$(start 1 SLAVE $sp); pids+=("$s")
  fi
  wait_port $mp; wait_port $sp
  # the slave attached (the master sees an acknowledging slave)
  for _ in $(seq 1 300); do
    "$bin" admin haStatus -n 127.0.0.1:$ns -b 127.0.0.1:$mp --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); i=list(d.values())[0]
ok = any(c["slaveAckOffset"]>=0 for c in i.get("haConnectionInfo",[]))
# controller mode: the slave must be in the SyncStateSet too (else acks do not wait for it)
ok = ok and (sys.argv[1] != "controller" or i.get("inSyncSlaveNums",0) >= 1)
sys.exit(0 if ok else 1)' "$mode" && break
    sleep 0.2
  done
  args=(producer -n 127.0.0.1:$ns -t BenchTopic -s 1024 -w 64 --queues 8 --cluster BenchCluster --json)
  "$bin" bench "${args[@]}" --duration 4 > /dev/null 2>&1    # warm-up (JIT, page cache)
  mt0=$(cpu "$m"); st0=$(cpu "$s")
  : > "$work/lag"
  if [ "$mode" = async ]; then
    ( while true; do "$bin" admin haStatus -n 127.0.0.1:$ns -b 127.0.0.1:$mp --json 2>/dev/null \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); i=list(d.values())[0]; print(max([c["diff"] for c in i.get("haConnectionInfo",[])] or [0]))' >> "$work/lag"; sleep 0.1; done ) &
    sampler=$!
  fi
  out=$("$bin" bench "${args[@]}" --duration 8 2>/dev/null)
  mt1=$(cpu "$m"); st1=$(cpu "$s")
  [ "$mode" = async ] && { kill $sampler; wait $sampler 2>/dev/null || true; }
  python3 - "$impl" "$mode" "$mt0" "$mt1" "$st0" "$st1" "$out" "$work/lag" <<'PY'
import json, sys
impl, mode, mt0, mt1, st0, st1, out, lagf = sys.argv[1:]
j = json.loads(out)
n = j["messages_sent"]
m_us = (int(mt1) - int(mt0)) * 10000 / n
s_us = (int(st1) - int(st0)) * 10000 / n
line = f"{impl:7s} {mode:5s} {j['tps']/1000:6.1f} k msg/s  p99 {j['latency_ms']['p99']:6.2f} ms  master {m_us:5.1f} us/msg  slave {s_us:5.1f} us/msg  failed {j['send_failed']+j['response_failed']}"
lags = [int(x) for x in open(lagf).read().split() if x.strip().lstrip('-').isdigit()]
if lags:
    lags.sort()
    line += f"  lag p50 {lags[len(lags)//2]/1024:.0f} KiB max {lags[-1]/1024:.0f} KiB ({len(lags)} samples)"
print(line)
PY
  kill "$m" "$s" ${c:+"$c"}
  # started in a subshell: not our children, so poll until they are gone
  for _ in $(seq 1 300); do kill -0 "$m" 2>/dev/null || kill -0 "$s" 2>/dev/null || break; sleep 0.1; done
done
