#!/usr/bin/env bash
# gRPC produce and POP consume throughput beside the remoting path, on FerroMQ and on Apache
# RocketMQ 5.3.3's own proxy, on the same machine (docs/benchmarks.md).
#
#   cargo build --release -p ferromq-cli
#   scripts/bench-grpc.sh                          # FerroMQ standalone (LOCAL proxy), RUNS=3
#   IMPL=java scripts/bench-grpc.sh                # Apache RocketMQ 5.3.3: NameServer + ProxyStartup -pm local
#   IMPL="ferromq java" RUNS=2 scripts/bench-grpc.sh   # both, alternating run by run
#   PERF=1 RUNS=1 scripts/bench-grpc.sh            # + perf record (dwarf call graphs) of the FerroMQ server
#                                                  #   (reports in the output dir; figures then not comparable)
#
# One server set per run, a fresh store each. The load generator is interop/java5's
# io.ferromq.grpc5.Bench (one JVM per phase, on the same 2 cores as the server):
#   grpc produce      rocketmq-client-java 5.2.0 Producer, THREADS threads of synchronous sends,
#                     1 KiB bodies, plaintext gRPC; WARM s warm-up, DURATION s measured
#   grpc simple       SimpleConsumer, CONSUMER_THREADS threads of receive(32, 60 s invisible), each
#                     message acked with ackAsync; drains everything the produce phase sent, the last
#                     min(<measured produce count>, half of them) measured (the rest warms up)
#   grpc push         PushConsumer (the client's defaults), same drain and window, another group
#   remoting produce  rocketmq-client 5.3.3 DefaultMQProducer (remoting, JSON headers: its default),
#                     THREADS threads, WARM s warm-up, then the same message count as gRPC's measured one
#   remoting consume  DefaultMQPushConsumer (pull-based; Java defaults), same drain rule
#   rust produce      `ferromq bench producer -w THREADS` (the Rust SDK, ROCKETMQ binary headers: the
#                     remoting path with a cheaper client), WARM s, then the same count
# Server CPU per message = Δ(utime+stime) of the server process(es) over the measured window / messages
# (FerroMQ: the standalone process, NameServer included; Java: the proxy process, which embeds the
# broker, plus the NameServer process). Also printed: the client JVM's CPU and the whole machine's.
#
# Settings: B (target/release/ferromq), IMPL (ferromq; "ferromq java" alternates run by run), RUNS (3),
# THREADS (64), WARM (6), DURATION (10), CONSUMER_THREADS (4), PHASES ("grpc simple push remoting
# remoting-consume rust"), COUNT (messages of the remoting runs; default gRPC's measured count),
# SERVER_ENV ("VAR=value ..." for the FerroMQ server only), CLIENT_CLASSES (Bench compiled elsewhere:
# no mvn compile), OUT (results dir, default /tmp/bench-grpc.<time>), PERF (0), KEEP (keep the work
# dir). Ports 37876 (NameServer), 37911 (broker; Java also 37909, 37912), 37081 (gRPC), 37080 (Java
# proxy remoting).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
B=${B:-target/release/ferromq}
IMPL=${IMPL:-ferromq}
RUNS=${RUNS:-3}
THREADS=${THREADS:-64}
WARM=${WARM:-6}
DURATION=${DURATION:-10}
CONSUMER_THREADS=${CONSUMER_THREADS:-4}
PHASES=${PHASES:-grpc simple push remoting remoting-consume rust}
PERF=${PERF:-0}
OUT=${OUT:-/tmp/bench-grpc.$(date -u +%H%M%S)}
NS=37876
BP=37911
GP=37081
PRP=37080
HZ=$(getconf CLK_TCK)

started=$(date +%s)
step() { echo "== [$(( $(date +%s) - started ))s] $*"; }

mkdir -p "$OUT"
work=$(mktemp -d /tmp/ferromq-bench-grpc.XXXXXX)
pids=()
perfpid=
cleanup() {
  local p
  [ -n "$perfpid" ] && kill -INT "$perfpid" 2>/dev/null
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------------------------
step "building the load generator (interop/java5: rocketmq-client-java 5.2.0, rocketmq-client 5.3.3)"
if [ -z "${CLIENT_CLASSES:-}" ]; then
  (cd interop/java5 && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
fi
client_cp="${CLIENT_CLASSES:-$root/interop/java5/target/classes}:$(cat interop/java5/target/classpath.txt)"
if [[ " $IMPL " == *" java "* ]]; then
  step "resolving Apache RocketMQ 5.3.3 (NameServer, broker, proxy) from ~/.m2"
  (cd interop/java5/reference && mvn -q -B generate-resources) > "$work/mvn-ref.log" 2>&1 \
    || { cat "$work/mvn-ref.log" >&2; exit 1; }
  ref_cp="$(cat interop/java5/reference/target/classpath.txt)"
fi
if [[ " $IMPL " == *" ferromq "* ]]; then
  [ -x "$B" ] || { echo "no $B: cargo build --release -p ferromq-cli" >&2; exit 2; }
  B="$(cd "$(dirname "$B")" && pwd)/$(basename "$B")"
fi

for p in $NS $BP $((BP - 2)) $((BP + 1)) $GP $PRP; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is taken (another benchmark running?)" >&2; exit 1
  fi
done

wait_port() { # PORT SECONDS PID
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "server exited before listening on $1" >&2; return 1; }
    sleep 0.2
  done
  echo "nothing listens on $1 after $2 s" >&2; return 1
}

# What else loads the machine (the benchmark's own processes excluded).
machine_note() {
  local mine=" ${pids[*]:-} $$ " others
  others=$(pgrep -f 'cargo|rustc|java|mvn' | while read -r p; do
    [[ "$mine" == *" $p "* ]] || echo "$p"; done | wc -l)
  echo "load $(cut -d' ' -f1-3 /proc/loadavg), other cargo/rustc/java/mvn processes: $others"
}

server_pids=
start_server() { # impl data
  local impl=$1 data=$2
  if [ "$impl" = ferromq ]; then
    printf 'grpcServerPort=%s\ndiskMaxUsedSpaceRatio=95\n' $GP > "$work/standalone.conf"
    env ${SERVER_ENV:-} FERROMQ_LOG_DIR="$work/logs" "$B" standalone --data "$data" --bind 127.0.0.1 --namesrv-port $NS \
      --broker-port $BP -c "$work/standalone.conf" > "$work/server.out" 2>&1 < /dev/null &
    pids+=($!)
    server_pids=$!
    wait_port $BP 30 $! && wait_port $GP 30 $!
    return
  fi
  mkdir -p "$work/rmqhome/conf" "$work/namesrv"
  printf 'listenPort=%s\nrocketmqHome=%s\nkvConfigPath=%s/namesrv/kvConfig.json\n' $NS "$work/rmqhome" "$work" \
    > "$work/namesrv/namesrv.conf"
  java -Xms256m -Xmx256m -XX:+UseG1GC -Djava.net.preferIPv4Stack=true -Duser.home="$work/namesrv" -cp "$ref_cp" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$work/namesrv/namesrv.conf" > "$work/namesrv.out" 2>&1 < /dev/null &
  pids+=($!)
  local nspid=$!
  wait_port $NS 60 $nspid
  cat > "$work/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=$BP
namesrvAddr=127.0.0.1:$NS
storePathRootDir=$data
storePathCommitLog=$data/commitlog
rocketmqHome=$work/rmqhome
diskMaxUsedSpaceRatio=95
CONF
  printf '{"rocketMQClusterName":"DefaultCluster","namesrvAddr":"127.0.0.1:%s","grpcServerPort":%s,"remotingListenPort":%s}\n' \
    $NS $GP $PRP > "$work/rmq-proxy.json"
  ROCKETMQ_HOME="$work/rmqhome" java -Xms1g -Xmx1g -XX:+UseG1GC -Djava.net.preferIPv4Stack=true \
    -Duser.home="$work/proxy" -Drocketmq.home.dir="$work/rmqhome" -cp "$ref_cp" org.apache.rocketmq.proxy.ProxyStartup \
    -pm local -pc "$work/rmq-proxy.json" -bc "$work/broker.conf" > "$work/proxy.out" 2>&1 < /dev/null &
  pids+=($!)
  server_pids="$!,$nspid"
  wait_port $BP 120 $! && wait_port $GP 120 $!
}

stop_server() {
  local p
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] || continue
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}

perf_start() { # name
  [ "$PERF" = 1 ] && [ "$cur_impl" = ferromq ] || return 0
  perf record -F 299 --call-graph dwarf,16384 -o "$OUT/perf-$1.data" -p "${server_pids%%,*}" > "$work/perf-$1.log" 2>&1 &
  perfpid=$!
}
perf_stop() { # name
  [ -n "$perfpid" ] || return 0
  kill -INT "$perfpid" 2>/dev/null; wait "$perfpid" 2>/dev/null || true; perfpid=
  perf report -i "$OUT/perf-$1.data" --no-children --sort sym -g none --stdio 2>/dev/null | grep -v '^$' | head -60 > "$OUT/perf-$1.txt" || true
}

bench() { # label args...: one Bench phase; its BENCH json line goes to results, its summary to the terminal
  local label=$1; shift
  local log="$work/bench-$label.log" rc=0
  BENCH_NAMESRV=127.0.0.1:$NS BENCH_ENDPOINT=127.0.0.1:$GP BENCH_PIDS="$server_pids" BENCH_HZ=$HZ \
    BENCH_THREADS=$THREADS BENCH_WARM=$WARM BENCH_DURATION=$DURATION BENCH_CONSUMERS=$CONSUMER_THREADS \
    timeout --signal=KILL 900 java -Xms1g -Xmx1g -XX:+UseG1GC -Djava.net.preferIPv4Stack=true \
    -Duser.home="$work/client" -cp "$client_cp" io.ferromq.grpc5.Bench "$@" > "$log" 2>&1 || rc=$?
  grep '^\[bench' "$log" | grep -E 'msgs/s|WARNING|failed:|FAIL' | sed 's/^/   /' || true
  local line; line=$(grep '^BENCH ' "$log" | tail -1 | cut -c7-)
  if [ -z "$line" ]; then
    echo "   $label: no result (rc $rc); last lines:" >&2; tail -n 15 "$log" >&2; return 1
  fi
  echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.update(impl=sys.argv[1], run=int(sys.argv[2]), label=sys.argv[3], note=sys.argv[4]); print(json.dumps(d))' \
    "$cur_impl" "$run" "$label" "$note" >> "$OUT/results.jsonl"
  last_json=$line
}
jget() { echo "$last_json" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

server_ticks() { # utime+stime of the server process(es); /proc/PID/stat's comm has no spaces here
  local p sum=0
  for p in ${server_pids//,/ }; do sum=$(( sum + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done
  echo "$sum"
}

rust_bench() { # count
  local count=$1 t0 t1 out
  "$B" bench producer -n 127.0.0.1:$NS -t BenchRemoting -s 1024 -w "$THREADS" --duration "$WARM" --json > /dev/null 2>&1
  t0=$(server_ticks)
  out=$("$B" bench producer -n 127.0.0.1:$NS -t BenchRemoting -s 1024 -w "$THREADS" -q "$count" --json 2>/dev/null)
  t1=$(server_ticks)
  python3 - "$out" "$t0" "$t1" "$HZ" "$cur_impl" "$run" "$note" "$THREADS" >> "$OUT/results.jsonl" <<'PY'
import json, sys
out, t0, t1, hz, impl, run, note, threads = sys.argv[1:]
s = json.loads(out)
n = s["messages_sent"]
us = (int(t1) - int(t0)) * 1e6 / int(hz)
l = s["latency_ms"]
print(json.dumps({"phase": "produce", "path": "rust-remoting", "label": "rust", "impl": impl, "run": int(run),
    "note": note, "threads": int(threads), "messages": n, "msgs_per_s": s["tps"],
    "server_cpu_us_per_msg": us / max(n, 1), "p50_ms": l["p50"], "p99_ms": l["p99"],
    "failed": s["send_failed"] + s["response_failed"]}))
PY
  tail -1 "$OUT/results.jsonl" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   rust remoting: %d messages, %.0f msgs/s, %.2f us/msg, p50 %.2f ms, p99 %.2f ms" % (d["messages"], d["msgs_per_s"], d["server_cpu_us_per_msg"], d["p50_ms"], d["p99_ms"]))'
}

has() { [[ " $PHASES " == *" $1 "* ]]; }

step "results in $OUT/results.jsonl; $(nproc) cores; $(machine_note)"
for run in $(seq "$RUNS"); do
  for cur_impl in $IMPL; do
    data="$work/data-$cur_impl-$run"
    step "run $run/$RUNS $cur_impl: starting the server"
    start_server "$cur_impl" "$data"
    BENCH_NAMESRV=127.0.0.1:$NS java -Duser.home="$work/client" -cp "$client_cp" io.ferromq.grpc5.Bench setup \
      > "$work/bench-setup.log" 2>&1 || { tail -n 20 "$work/bench-setup.log" >&2; exit 1; }
    note=$(machine_note)
    step "run $run/$RUNS $cur_impl: $note"
    grpc_total=0; grpc_n=0
    if has grpc; then
      step "gRPC produce: $THREADS threads, ${WARM}s warm-up + ${DURATION}s"
      perf_start "$cur_impl-$run-grpc-produce"
      bench grpc-produce produce grpc
      perf_stop "$cur_impl-$run-grpc-produce"
      grpc_total=$(jget total_sent); grpc_n=$(jget messages)
      # Consumers are measured over the last min(measured produce count, half the drain) messages:
      # at least half of the drain warms up client and server (the JVM's JIT on Apache's side).
      grpc_cn=$(( grpc_n < grpc_total / 2 ? grpc_n : grpc_total / 2 ))
    fi
    if has simple && [ "$grpc_total" -gt 0 ]; then
      step "gRPC SimpleConsumer: drain $grpc_total, the last $grpc_cn measured"
      perf_start "$cur_impl-$run-grpc-simple"
      bench grpc-simple consume simple "$grpc_total" "$grpc_cn"
      perf_stop "$cur_impl-$run-grpc-simple"
    fi
    if has push && [ "$grpc_total" -gt 0 ]; then
      step "gRPC PushConsumer: drain $grpc_total, the last $grpc_cn measured"
      bench grpc-push consume push "$grpc_total" "$grpc_cn"
    fi
    count=${COUNT:-$grpc_n}
    [ "$count" -gt 0 ] || count=100000
    if has remoting; then
      step "remoting produce (Java DefaultMQProducer): $THREADS threads, ${WARM}s warm-up + $count messages"
      perf_start "$cur_impl-$run-remoting-produce"
      BENCH_COUNT=$count bench remoting-produce produce remoting
      perf_stop "$cur_impl-$run-remoting-produce"
      if has remoting-consume; then
        rtotal=$(jget total_sent); rn=$(jget messages); rn=$(( rn < rtotal / 2 ? rn : rtotal / 2 ))
        step "remoting consume (Java DefaultMQPushConsumer): drain $rtotal, the last $rn measured"
        bench remoting-consume consume remoting "$rtotal" "$rn"
      fi
    fi
    if has rust && [ -x "$B" ]; then
      step "remoting produce (ferromq bench producer -w $THREADS): ${WARM}s warm-up + $count messages"
      rust_bench "$count"
    fi
    stop_server
    rm -rf "$data"
  done
done

step "summary (ranges over runs; server CPU per message over each measured window)"
python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
from collections import OrderedDict
rows = OrderedDict()
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows.setdefault((d["impl"], d["label"]), []).append(d)
names = {"grpc-produce": "gRPC produce (sync sends)", "grpc-simple": "gRPC POP, SimpleConsumer",
         "grpc-push": "gRPC POP, PushConsumer", "remoting-produce": "remoting produce (Java client)",
         "remoting-consume": "remoting consume (Java push)", "rust": "remoting produce (ferromq bench)"}
def rng(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    lo, hi = min(vals), max(vals)
    return fmt % lo if fmt % lo == fmt % hi else (fmt % lo) + "–" + (fmt % hi)
print("%-8s %-33s %4s %15s %13s %19s %11s %11s" % ("impl", "workload", "runs", "msgs/s", "server µs/msg",
      "p50 / p99 ms", "client %", "machine %"))
for (impl, label), ds in rows.items():
    lat = "—"
    if "p50_ms" in ds[0]:
        lat = rng([d["p50_ms"] for d in ds], "%.2f") + " / " + rng([d["p99_ms"] for d in ds], "%.2f")
    fails = sum(d.get("failed", 0) for d in ds)
    print("%-8s %-33s %4d %15s %13s %19s %11s %11s%s" % (impl, names.get(label, label), len(ds),
          rng([d["msgs_per_s"] / 1000 for d in ds], "%.1f") + " k", rng([d["server_cpu_us_per_msg"] for d in ds], "%.1f"),
          lat, rng([d.get("client_cpu_pct") for d in ds], "%.0f"), rng([d.get("machine_cpu_pct") for d in ds], "%.0f"),
          "  (%d failed)" % fails if fails else ""))
PY
