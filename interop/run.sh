#!/usr/bin/env bash
# Runs the interop suites (official Java and Go RocketMQ clients) against FerroMQ.
#
#   interop/run.sh [path/to/ferromq]      (default: target/debug/ferromq)
#
# Starts the servers each suite needs on free loopback ports, runs the suite, stops them:
#   1. one `ferromq standalone` (feature settings on)      → Go suite, Java suite (JSON + ROCKETMQ headers)
#   2. the same standalone, restarted by the tests          → the broker-restart tests of both suites
#      (FERROMQ_RESTART_CMD = "$work/standalone.sh restart": SIGTERM, same data dir, ports and config)
#   3. two NameServers + two brokers in one cluster        → the multi-broker tests of both suites
# Every phase prints its wall time; a summary follows at the end.
# Set INTEROP_SKIP_JAVA=1 / INTEROP_SKIP_GO=1 to skip a language, INTEROP_PHASES to run only some
# phases (default "suites restart multi").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-$root/target/debug/ferromq}"
if [ ! -x "$bin" ]; then
  echo "no ferromq binary at $bin (build it with cargo build -p ferromq-cli)" >&2
  exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
phases=" ${INTEROP_PHASES:-suites restart multi} "
wants() { [[ "$phases" == *" $1 "* ]]; }
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-interop.XXXXXX")"
pids=()
status=0
summary=()
run_began=$(date +%s)

# alive PID: the process exists and is not a zombie.
alive() {
  [ -e "/proc/$1" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

# stop PID...: SIGTERM, up to 30 s for a clean exit, then SIGKILL. Works for processes that are not
# children of this shell (the standalone restarted by the tests is not).
stop() {
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 300); do
    local any=0
    for p in "$@"; do if alive "$p"; then any=1; fi; done
    [ "$any" -eq 0 ] && break
    sleep 0.1
  done
  for p in "$@"; do
    if alive "$p"; then
      echo "pid $p still running 30 s after SIGTERM; killing it" >&2
      kill -9 "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
  done
}

cleanup() {
  local all=("${pids[@]:-}")
  if [ -s "$work/standalone.pid" ]; then all+=("$(cat "$work/standalone.pid")"); fi
  local live=()
  for p in "${all[@]}"; do [ -n "$p" ] && live+=("$p"); done
  if [ "${#live[@]}" -gt 0 ]; then stop "${live[@]}"; fi
  # Keep the logs of a failed run; a passed run leaves nothing behind.
  if [ "$status" -eq 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# phase LABEL COMMAND...: runs one phase, prints its wall time, records a failure.
phase() {
  local label=$1; shift
  local began rc=0
  began=$(date +%s)
  echo "== $label"
  "$@" || rc=$?
  local took=$(( $(date +%s) - began ))
  if [ "$rc" -eq 0 ]; then
    summary+=("$(printf '%-44s %4d s  ok' "$label" "$took")")
  else
    status=1
    summary+=("$(printf '%-44s %4d s  FAILED (exit %d)' "$label" "$took" "$rc")")
  fi
  echo "== $label: ${took} s$([ "$rc" -eq 0 ] || echo ", FAILED (exit $rc)")"
}

# Maven's own output is long; keep the test counts and failures (pipefail keeps mvn's status).
mvn_test() {
  (cd "$here/java" && mvn -B test "$@" | grep -E "Tests run:|FAIL|ERROR|BUILD")
}

go_test() {
  (cd "$here/go" && go test -count=1 "$@" ./...)
}

# free_port [TAKEN...]: a free port p such that p-2 (the fast port) and p+1 (HA) are free too and
# none of p-2..p+1 is within that range of a TAKEN port. Below 32768, out of the ephemeral range
# that client connections use.
free_port() {
  python3 - "$@" <<'PY'
import socket, random, sys
taken = [int(a) for a in sys.argv[1:]]
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    p = random.randint(20000, 32000)
    if all(abs(p - t) > 3 for t in taken) and free(p) and free(p - 2) and free(p + 1):
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
# transactionCheckMax: every check of a half without a live producer counts, once a second here;
# the restart tests leave halves unchecked for the whole restart.
cat > "$work/features.conf" <<CONF
$common_conf
enablePropertyFilter=true
messageDelayLevel=$delay_levels
transactionCheckInterval=1000
transactionTimeOut=3000
transactionCheckMax=100
CONF

# --- 1. standalone -----------------------------------------------------------------------
ns_port=$(free_port); broker_port=$(free_port "$ns_port")

# $work/standalone.sh start|restart: starts the standalone in the background (pid in
# $work/standalone.pid), or restarts it: SIGTERM (clean shutdown), wait for the exit, start again
# with the same data dir, ports and config, wait until both ports accept connections and the broker
# is registered with the NameServer (GET_BROKER_CLUSTER_INFO). The restart is FERROMQ_RESTART_CMD.
{
  echo '#!/usr/bin/env bash'
  printf 'bin=%q\nwork=%q\nns_port=%q\nbroker_port=%q\n' "$bin" "$work" "$ns_port" "$broker_port"
  cat <<'SCRIPT'
set -euo pipefail
pidfile="$work/standalone.pid"
alive() {
  [ -e "/proc/$1" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "port $1 did not open within 30 s" >&2
  return 1
}
wait_registered() {
  python3 - "127.0.0.1:$ns_port" "127.0.0.1:$broker_port" 30 <<'PY'
import json, socket, struct, sys, time
ns, broker, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
host, port = ns.rsplit(":", 1)
def registered():
    with socket.create_connection((host, int(port)), timeout=3) as s:
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
        sys.exit("broker %s not registered with %s within %s s" % (broker, ns, timeout))
    time.sleep(0.1)
PY
}
start() {
  FERROMQ_LOG_DIR="$work/logs" nohup "$bin" standalone --data "$work/standalone" --bind 127.0.0.1 \
    --namesrv-port "$ns_port" --broker-port "$broker_port" -c "$work/features.conf" \
    >> "$work/standalone.out" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  wait_port "$ns_port"
  wait_port "$broker_port"
  wait_registered
}
case "${1:-}" in
  start) start ;;
  restart)
    t0=$(now_ms)
    old=$(cat "$pidfile")
    alive "$old" || { echo "ferromq standalone (pid $old) is not running" >&2; exit 1; }
    echo "== restart: SIGTERM to pid $old" >> "$work/standalone.out"
    kill -TERM "$old"
    for _ in $(seq 1 300); do alive "$old" || break; sleep 0.1; done
    if alive "$old"; then
      echo "ferromq standalone (pid $old) still running 30 s after SIGTERM; killed" >&2
      kill -9 "$old"
      exit 1
    fi
    t1=$(now_ms)
    start
    echo "ferromq standalone restarted (pid $old -> $(cat "$pidfile")): stopped in $((t1 - t0)) ms," \
      "up and registered $(( $(now_ms) - t1 )) ms later"
    ;;
  *) echo "usage: $0 start|restart" >&2; exit 2 ;;
esac
SCRIPT
} > "$work/standalone.sh"
chmod +x "$work/standalone.sh"

"$work/standalone.sh" start
export FERROMQ_NAMESRV="127.0.0.1:$ns_port"
export FERROMQ_FEATURES="${INTEROP_FEATURES:-1}"
export FERROMQ_DELAY_LEVELS="$delay_levels"
export FERROMQ_SLOW=1   # the 65 s timer message (issue 6)
echo "== standalone on $FERROMQ_NAMESRV (broker $broker_port), logs in $work"

if wants suites && [ "${INTEROP_SKIP_GO:-}" != 1 ]; then
  phase "Go client suite" go_test
fi
if wants suites && [ "${INTEROP_SKIP_JAVA:-}" != 1 ]; then
  phase "Java client suite (JSON + ROCKETMQ headers)" mvn_test
fi

# --- 2. broker restarts ---------------------------------------------------------------------
# On their own, after the suites above: a restart breaks the connections of whatever runs.
if wants restart && [ "$FERROMQ_FEATURES" = 1 ]; then
  export FERROMQ_RESTART_CMD="$work/standalone.sh restart"
  if [ "${INTEROP_SKIP_GO:-}" != 1 ]; then
    phase "Go broker-restart test" go_test -run TestBrokerRestart
  fi
  if [ "${INTEROP_SKIP_JAVA:-}" != 1 ]; then
    phase "Java broker-restart tests" mvn_test -Prestart
  fi
  unset FERROMQ_RESTART_CMD
fi

# --- 3. two NameServers, two brokers ------------------------------------------------------
multi() {
  local ns1 ns2 b1 b2 p spec name port
  ns1=$(free_port); ns2=$(free_port "$ns1"); b1=$(free_port "$ns1" "$ns2"); b2=$(free_port "$ns1" "$ns2" "$b1")
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
}
if wants multi; then
  # the standalone is not needed any more
  stop "$(cat "$work/standalone.pid")"
  rm -f "$work/standalone.pid"
  multi
  if [ "${INTEROP_SKIP_GO:-}" != 1 ]; then
    phase "Go multi-broker tests" go_test -run TestMulti
  fi
  if [ "${INTEROP_SKIP_JAVA:-}" != 1 ]; then
    phase "Java multi-broker tests" mvn_test -Pmulti
  fi
fi

echo "== summary (total $(( $(date +%s) - run_began )) s)"
printf '   %s\n' "${summary[@]}"
if [ $status -ne 0 ]; then
  echo "== interop FAILED; server logs in $work:" >&2
  tail -n 50 "$work"/*.out >&2 || true
fi
exit $status
