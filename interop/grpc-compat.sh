#!/usr/bin/env bash
# RocketMQ 5.x gRPC interop: the official gRPC clients (apache.rocketmq.v2.MessagingService, POP
# consumption) — rocketmq-client-java 5.2.0 (interop/java5) and rocketmq-clients golang/v5 v5.1.4
# (interop/go5) — against one server set shared by every case.
#
#   interop/grpc-compat.sh [path/to/ferromq] [CASE...]
#
# Targets:
#   (default)           `ferromq standalone` (NameServer + broker + gRPC proxy in LOCAL mode); the
#                       gRPC port is grpcServerPort, set in the standalone's -c file
#   GRPC_REFERENCE=java Apache RocketMQ 5.3.3 from Maven Central: NameServer + ProxyStartup -pm local
#                       (the proxy embeds the broker) — the reference the cases are validated on
#   GRPC_CLUSTER=1      Apache RocketMQ 5.3.3 NameServer + broker, and `ferromq proxy -n NAMESRV
#                       -c rmq-proxy.json` in front of them (CLUSTER mode); with GRPC_REFERENCE=java
#                       too, Apache's own proxy in CLUSTER mode instead (the reference for that target)
#
# Cases (each 1 000 messages, every body/tag/key/property checked; see interop/java5/README.md):
#   normal fifo delay transaction invisible retry        (Java: all; Go: all)
# A CASE argument runs only those cases (e.g. `interop/grpc-compat.sh target/debug/ferromq fifo`).
#
# Settings: GRPC_CLIENTS ("java go"; default "java" with GRPC_CLUSTER=1), GRPC_COUNT (messages per
# case, 1000), GRPC_JAVA_TLS (1: the Java client uses TLS, its default; 0: plaintext — the Go client
# always runs plaintext, so one run covers both), GRPC_SEQUENTIAL=1 runs the clients one after the
# other (default: both at once, each on its own topics and groups), GRPC_KEEP=1 keeps the work dir of
# a passed run. Exits non-zero on any failure; the logs of a failed run are kept (path printed).
# Maven resolves into ~/.m2 and Go into its module cache, both reused from run to run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="$root/target/debug/ferromq"
if [ $# -ge 1 ] && [[ "$1" == */* || -x "$1" ]]; then bin="$1"; shift; fi
cases=("$@")
if [ "${GRPC_CLUSTER:-}" = 1 ]; then
  target=cluster
elif [ "${GRPC_REFERENCE:-}" = java ]; then
  target=java
else
  target=ferromq
fi
# The proxy in CLUSTER mode: ferromq's, or with GRPC_REFERENCE=java Apache's (ProxyStartup -pm cluster).
cluster_proxy=$([ "${GRPC_REFERENCE:-}" = java ] && echo java || echo ferromq)
if [ "$target" = ferromq ] || { [ "$target" = cluster ] && [ "$cluster_proxy" = ferromq ]; }; then
  [ -x "$bin" ] || { echo "no ferromq binary at $bin (cargo build -p ferromq-cli)" >&2; exit 2; }
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
fi
clients=${GRPC_CLIENTS:-$([ "$target" = cluster ] && echo java || echo "java go")}
count=${GRPC_COUNT:-1000}
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-grpc-compat.XXXXXX")"
started=$(date +%s)
pids=()
status=1

stop_pid() { # stop_pid PID SECONDS: SIGTERM, wait, then SIGKILL (nothing here needs a clean shutdown)
  local pid=$1 secs=${2:-30}
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "pid $pid did not stop in ${secs}s: killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local p
  for p in "${pids[@]:-}"; do [ -n "$p" ] && stop_pid "$p" 5 >/dev/null 2>&1; done
  if [ "$status" -eq 0 ] && [ "${GRPC_KEEP:-}" != 1 ]; then
    rm -rf "$work"
  else
    echo "== grpc-compat: logs in $work" >&2
  fi
}
trap cleanup EXIT
. "$(dirname "$0")/ports.sh"

wait_port() { # wait_port PORT SECONDS WHAT [PID]: until 127.0.0.1:PORT accepts (fails early if PID exits)
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
      echo "== grpc-compat: $3 exited before listening on 127.0.0.1:$1" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "== grpc-compat: $3 did not listen on 127.0.0.1:$1 within $2 s" >&2
  return 1
}

wait_registered() { # wait_registered SECONDS: until the NameServer lists the broker (GET_BROKER_CLUSTER_INFO)
  python3 - "$ns" "127.0.0.1:$broker" "$1" <<'PY'
import json, socket, struct, sys, time
port, broker, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
def registered():
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        h = json.dumps({"code": 106, "language": "JAVA", "version": 0, "opaque": 1, "flag": 0,
                        "extFields": {}}).encode()
        s.sendall(struct.pack(">II", 4 + len(h), len(h)) + h)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                return False
            buf += chunk
        return ('"' + broker + '"').encode() in buf
deadline = time.time() + timeout
while True:
    try:
        if registered():
            sys.exit(0)
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("== grpc-compat: broker %s not registered with the NameServer within %s s" % (broker, timeout))
    time.sleep(0.2)
PY
}

step() { echo "== [$(( $(date +%s) - started ))s] $*"; }

# --- build (Maven resolves into ~/.m2, Go into its module cache; both reused across runs) --------
step "building the clients (rocketmq-client-java 5.2.0, rocketmq-clients golang/v5 v5.1.4)"
(cd "$here/java5" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
java_cp="$here/java5/target/classes:$(cat "$here/java5/target/classpath.txt")"
if [[ " $clients " == *" go "* ]]; then
  (cd "$here/go5" && go build -o "$work/go5" .) > "$work/go-build.log" 2>&1 || { cat "$work/go-build.log" >&2; exit 1; }
fi
if [ "$target" != ferromq ]; then
  step "resolving Apache RocketMQ 5.3.3 (NameServer, broker, proxy)"
  (cd "$here/java5/reference" && mvn -q -B generate-resources) > "$work/mvn-ref.log" 2>&1 \
    || { cat "$work/mvn-ref.log" >&2; exit 1; }
  ref_cp="$(cat "$here/java5/reference/target/classpath.txt")"
fi

read -r ns broker grpc remoting <<< "$(free_ports 4)"
jvm=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true)
mkdir -p "$work/rmqhome/conf"

# Every broker: disk guards that do not trip on a crowded build host, small CommitLog files, fast
# transaction check-back: halves older than 6 s (the default) are checked every 5 s — Apache writes
# the op records of ended transactions in 3 s batches (transactionOpBatchInterval): checked more often, a half
# is checked again before the answer to its last check is recorded, and a COMMIT answer stores it again.
broker_conf() {
  cat <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=$broker
namesrvAddr=127.0.0.1:$ns
storePathRootDir=$work/store
storePathCommitLog=$work/store/commitlog
mappedFileSizeCommitLog=67108864
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
transactionCheckInterval=5000
transactionTimeOut=6000
transactionCheckMax=30
CONF
}

# grpcClientConsumerMaxLongPollingTimeoutMillis: Apache's proxy hands a message that comes back (nack,
# expired invisible time) to the next long poll only, and a push consumer polls as long as this
# (default 20 s): with 5 s the retry case takes ~20 s instead of ~60 s.
proxy_json() {
  cat <<JSON
{"rocketMQClusterName":"DefaultCluster","namesrvAddr":"127.0.0.1:$ns","grpcServerPort":$grpc,"remotingListenPort":$remoting,
 "grpcClientConsumerMaxLongPollingTimeoutMillis":5000}
JSON
}

start_java_namesrv() {
  mkdir -p "$work/namesrv"
  printf 'listenPort=%s\nrocketmqHome=%s\nkvConfigPath=%s\n' "$ns" "$work/rmqhome" "$work/namesrv/kvConfig.json" \
    > "$work/namesrv/namesrv.conf"
  java -Xms128m -Xmx256m "${jvm[@]}" -Duser.home="$work/namesrv" -cp "$ref_cp" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$work/namesrv/namesrv.conf" \
    > "$work/namesrv.out" 2>&1 < /dev/null &
  pids+=($!)
  wait_port "$ns" 60 "the Apache RocketMQ NameServer" "${pids[-1]}"
}

case "$target" in
  java)
    step "starting Apache RocketMQ 5.3.3: NameServer :$ns, proxy (LOCAL, embedded broker :$broker) gRPC :$grpc"
    start_java_namesrv
    { broker_conf; echo "rocketmqHome=$work/rmqhome"; echo "mappedFileSizeTimerLog=1048576"; } > "$work/broker.conf"
    proxy_json > "$work/rmq-proxy.json"
    ROCKETMQ_HOME="$work/rmqhome" java -Xms512m -Xmx512m "${jvm[@]}" -Duser.home="$work/proxy" \
      -Drocketmq.home.dir="$work/rmqhome" -cp "$ref_cp" org.apache.rocketmq.proxy.ProxyStartup \
      -pm local -pc "$work/rmq-proxy.json" -bc "$work/broker.conf" > "$work/proxy.out" 2>&1 < /dev/null &
    pids+=($!)
    wait_port "$broker" 120 "the Apache RocketMQ broker (in the proxy)" "${pids[-1]}"
    wait_port "$grpc" 120 "the Apache RocketMQ proxy's gRPC server" "${pids[-1]}"
    wait_registered 60
    ;;
  cluster)
    step "starting Apache RocketMQ 5.3.3 NameServer :$ns + broker :$broker, then $cluster_proxy proxy (CLUSTER) gRPC :$grpc"
    start_java_namesrv
    { broker_conf; echo "rocketmqHome=$work/rmqhome"; echo "mappedFileSizeTimerLog=1048576"; } > "$work/broker.conf"
    java -Xms512m -Xmx512m "${jvm[@]}" -Duser.home="$work/broker" -Drocketmq.home.dir="$work/rmqhome" \
      -cp "$ref_cp" org.apache.rocketmq.broker.BrokerStartup -c "$work/broker.conf" \
      > "$work/broker.out" 2>&1 < /dev/null &
    pids+=($!)
    wait_port "$broker" 120 "the Apache RocketMQ broker" "${pids[-1]}"
    # Apache's CLUSTER proxy creates its system topics on the cluster when it starts.
    wait_registered 60
    proxy_json > "$work/rmq-proxy.json"
    if [ "$cluster_proxy" = java ]; then
      ROCKETMQ_HOME="$work/rmqhome" java -Xms256m -Xmx256m "${jvm[@]}" -Duser.home="$work/proxy" \
        -Drocketmq.home.dir="$work/rmqhome" -cp "$ref_cp" org.apache.rocketmq.proxy.ProxyStartup \
        -pm cluster -pc "$work/rmq-proxy.json" > "$work/proxy.out" 2>&1 < /dev/null &
      pids+=($!)
      wait_port "$grpc" 120 "the Apache RocketMQ proxy's gRPC server (CLUSTER mode)" "${pids[-1]}"
    else
      FERROMQ_LOG_DIR="$work/logs" "$bin" proxy -n "127.0.0.1:$ns" -c "$work/rmq-proxy.json" \
        > "$work/ferromq-proxy.out" 2>&1 < /dev/null &
      pids+=($!)
      if ! wait_port "$grpc" 30 "ferromq proxy" "${pids[-1]}"; then
        echo "== grpc-compat: \`ferromq proxy -n 127.0.0.1:$ns -c rmq-proxy.json\` serves no gRPC on grpcServerPort" \
          "$grpc — is the gRPC proxy (crates/proxy) built into this ferromq? Its output:" >&2
        tail -n 20 "$work/ferromq-proxy.out" >&2 || true
        exit 1
      fi
    fi
    ;;
  ferromq)
    step "starting ferromq standalone: NameServer :$ns, broker :$broker, gRPC :$grpc (grpcServerPort)"
    { broker_conf; echo "grpcServerPort=$grpc"; } > "$work/standalone.conf"
    FERROMQ_LOG_DIR="$work/logs" "$bin" standalone --data "$work/store" --bind 127.0.0.1 \
      --namesrv-port "$ns" --broker-port "$broker" -c "$work/standalone.conf" \
      > "$work/standalone.out" 2>&1 < /dev/null &
    pids+=($!)
    wait_port "$ns" 30 "ferromq standalone (NameServer)" "${pids[-1]}"
    wait_port "$broker" 30 "ferromq standalone (broker)" "${pids[-1]}"
    if ! wait_port "$grpc" 30 "ferromq standalone's gRPC proxy" "${pids[-1]}"; then
      echo "== grpc-compat: ferromq standalone serves no gRPC on grpcServerPort=$grpc — the gRPC proxy" \
        "(crates/proxy, LOCAL mode) is not in this build yet, or ignores grpcServerPort. Its output:" >&2
      tail -n 20 "$work/standalone.out" >&2 || true
      exit 1
    fi
    ;;
esac

export GRPC5_NAMESRV="127.0.0.1:$ns" GRPC5_ENDPOINT="127.0.0.1:$grpc" GRPC5_COUNT="$count"
GRPC5_SUFFIX="$(date +%H%M%S)$RANDOM"; export GRPC5_SUFFIX
export GRPC5_TLS="${GRPC_JAVA_TLS:-1}"

streamed() { # streamed LOG PREFIX COMMAND...: runs COMMAND, shows its PREFIX lines as they come, all output in LOG
  local log=$1 prefix=$2; shift 2
  local rc=0
  : > "$log"
  timeout --signal=KILL 600 "$@" > "$log" 2>&1 &
  local pid=$!
  tail -n +1 -f --pid="$pid" "$log" 2>/dev/null | grep --line-buffered "^\[$prefix" | sed -u 's/^/   /' || true
  wait "$pid" || rc=$?
  return "$rc"
}

java5() { # java5 LOG ARGS...: the Java harness (interop/java5)
  local log=$1; shift
  streamed "$log" grpc5-java java -Xmx384m "${jvm[@]}" -Duser.home="$work/java5" -cp "$java_cp" \
    io.ferromq.grpc5.Grpc5Compat "$@"
}

step "creating typed topics and groups with DefaultMQAdminExt (rocketmq-tools 5.3.3) via the NameServer"
java5 "$work/setup.log" setup || { tail -n 30 "$work/setup.log" >&2; exit 1; }

run_java() {
  local t0; t0=$(date +%s)
  if java5 "$work/java5.log" run "${cases[@]}"; then echo ok > "$work/java5.rc"; else echo FAIL > "$work/java5.rc"; fi
  echo "   (java client: $(( $(date +%s) - t0 )) s)"
}

run_go() {
  local t0 rc=0; t0=$(date +%s)
  mkdir -p "$work/go5home"
  # The Go client's %DLQ% is read over remoting by the Java harness, run by go5 while its push consumer
  # still polls (the proxy moves a message to the DLQ on the receive after its last delivery).
  GRPC5_DLQ_CHECK="java -Xmx256m ${jvm[*]} -Duser.home=$work/java5 -cp $java_cp io.ferromq.grpc5.Grpc5Compat dlq" \
    HOME="$work/go5home" streamed "$work/go5.log" grpc5-go "$work/go5" "${cases[@]}" || rc=$?
  if [ "$rc" -eq 0 ]; then echo ok > "$work/go5.rc"; else echo FAIL > "$work/go5.rc"; fi
  echo "   (go client: $(( $(date +%s) - t0 )) s)"
}

# Both clients at once (their topics and groups are their own), unless GRPC_SEQUENTIAL=1.
bg=()
if [[ " $clients " == *" java "* ]]; then
  step "rocketmq-client-java 5.2.0 ($([ "$GRPC5_TLS" = 0 ] && echo plaintext || echo TLS))"
  if [ "${GRPC_SEQUENTIAL:-}" = 1 ]; then run_java; else run_java & bg+=($!); fi
fi
if [[ " $clients " == *" go "* ]]; then
  step "rocketmq-clients golang/v5 v5.1.4 (plaintext)"
  if [ "${GRPC_SEQUENTIAL:-}" = 1 ]; then run_go; else run_go & bg+=($!); fi
fi
for p in "${bg[@]:-}"; do [ -n "$p" ] && wait "$p"; done
failed=()
for c in $clients; do
  case "$c" in java) f=java5 ;; go) f=go5 ;; *) echo "unknown client $c in GRPC_CLIENTS" >&2; exit 2 ;; esac
  [ "$(cat "$work/$f.rc" 2>/dev/null)" = ok ] || failed+=("$c")
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "== grpc-compat ($target): FAILED (${failed[*]}) in $(( $(date +%s) - started )) s" >&2
  exit 1
fi
status=0
echo "== grpc-compat ($target): PASS in $(( $(date +%s) - started )) s"
