#!/usr/bin/env bash
# Throughput and broker CPU per message with ACL and TLS on beside off (docs/benchmarks.md).
#
#   cargo build --release -p ferromq-cli
#   scripts/bench-security.sh                 # every mode, RUNS=3 runs each
#   MODES="plain tls" RUNS=2 scripts/bench-security.sh
#   A=/path/to/older/ferromq MODES=plain scripts/bench-security.sh   # the default path, A/B
#   CLIENT=/path/to/ferromq …        # one bench client for every broker (default: each its own)
#   EXTRA_CONF='tls.test.mode.enable=false' …   # more broker.conf lines
#   IMPL=java MODES="plain acl2 tls tlsacl" …     # Apache RocketMQ 5.3.3's broker instead (a
#       FerroMQ NameServer; jars from interop/ha-compat, `mvn compile` there writes the
#       classpath; TLS as -D system properties, as Java reads them; 5.3.3 has no ACL 1.0)
#
# Modes (one standalone broker each, a fresh data directory per run):
#   plain  no ACL, TLS at its default (permissive; the test-mode certificate is made)
#   acl2   ACL 2.0: a Normal user with a policy for the topic and the group signs every request
#   acl1   ACL 1.0: a non-admin plain_acl.yml account with topic and group permissions
#   tls    tls.server.mode=enforcing with a certificate; the bench speaks TLS
#   tlsacl enforcing TLS and ACL 2.0 together
# Workloads: sync sends with 64 senders, batches of 32 with 4 senders; 1 KiB bodies; a 3 s
# warm-up, then an 8 s measured run. Broker CPU per message = Δ(utime+stime) of the broker
# over the measured run / messages stored.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-target/release/ferromq}
A=${A:-}
RUNS=${RUNS:-3}
MODES=${MODES:-plain acl2 acl1 tls tlsacl}
NS=38876
BP=38911
IMPL=${IMPL:-ferromq}
if [ "$IMPL" = java ]; then
  (cd interop/ha-compat && mvn -q -B compile) > /dev/null
  jcp="$PWD/interop/ha-compat/target/classes:$(cat interop/ha-compat/target/classpath.txt)"
fi
nspid=
work=$(mktemp -d /tmp/ferromq-bench-security.XXXXXX)
pid=
cleanup() {
  for p in "$pid" "$nspid"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.pem" 2>/dev/null

acl2_conf='authenticationEnabled=true
authorizationEnabled=true
authenticationMetadataProvider=org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider
authorizationMetadataProvider=org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider
initAuthenticationUser={"username":"rocketmq","password":"12345678"}'
tls_conf="tls.server.mode=enforcing
tls.server.certPath=$work/server.pem
tls.server.keyPath=$work/server.key
tls.config.file=$work/none"

conf_of() { # mode -> broker.conf text
  case $1 in
    plain) echo "tls.config.file=$work/none" ;;
    acl2) printf '%s\ntls.config.file=%s/none\n' "$acl2_conf" "$work" ;;
    acl1) printf 'aclEnable=true\nrocketmqHome=%s/home\ntls.config.file=%s/none\n' "$work" "$work" ;;
    tls) echo "$tls_conf" ;;
    tlsacl) printf '%s\n%s\n' "$acl2_conf" "$tls_conf" ;;
  esac
}

# The bench's credentials and TLS switch per mode (admin setup runs as the super user).
client_env() {
  case $1 in
    acl2) echo "ROCKETMQ_ACCESS_KEY=bench-user ROCKETMQ_SECRET_KEY=bench-pass1" ;;
    acl1) echo "ROCKETMQ_ACCESS_KEY=bench-user ROCKETMQ_SECRET_KEY=bench-pass1" ;;
    tls) echo "ROCKETMQ_TLS_ENABLE=true" ;;
    tlsacl) echo "ROCKETMQ_TLS_ENABLE=true ROCKETMQ_ACCESS_KEY=bench-user ROCKETMQ_SECRET_KEY=bench-pass1" ;;
    *) echo "" ;;
  esac
}

setup() { # mode bin: users, policies and the topic
  local mode=$1 bin=$2 admin_env
  admin_env="ROCKETMQ_ACCESS_KEY=rocketmq ROCKETMQ_SECRET_KEY=12345678"
  case $mode in
    tls) admin_env="ROCKETMQ_TLS_ENABLE=true" ;;
    tlsacl) admin_env="$admin_env ROCKETMQ_TLS_ENABLE=true" ;;
    plain) admin_env="" ;;
    acl1) admin_env="ROCKETMQ_ACCESS_KEY=bench-admin ROCKETMQ_SECRET_KEY=bench-admin1" ;;
  esac
  local adm="env $admin_env $bin admin"
  # The broker has registered (Java's first registration may take a few seconds).
  for _ in $(seq 120); do
    $adm clusterList -n 127.0.0.1:$NS 2>/dev/null | grep -q 127.0.0.1:$BP && break
    sleep 0.5
  done
  $adm updateTopic -n 127.0.0.1:$NS -c DefaultCluster -t BenchTopic -r 8 -w 8 > /dev/null
  case $mode in
    acl2|tlsacl)
      $adm createUser -n 127.0.0.1:$NS -c DefaultCluster -u bench-user -p bench-pass1 > /dev/null
      $adm createAcl -n 127.0.0.1:$NS -c DefaultCluster -s User:bench-user \
        -r Topic:BenchTopic,Group:bench* -a Pub,Sub -d Allow > /dev/null ;;
  esac
}

plain_acl_yml() {
  mkdir -p "$work/home/conf"
  cat > "$work/home/conf/plain_acl.yml" <<'YML'
accounts:
- accessKey: bench-admin
  secretKey: bench-admin1
  admin: true
- accessKey: bench-user
  secretKey: bench-pass1
  admin: false
  defaultTopicPerm: DENY
  defaultGroupPerm: SUB
  topicPerms:
  - BenchTopic=PUB|SUB
YML
}

start_server() { # bin mode data: sets $pid (the broker) and, for Java, $nspid
  local bin=$1 mode=$2 data=$3
  if [ "$IMPL" != java ]; then
    FERROMQ_LOG_DIR="$work/logs" "$bin" standalone --data "$data" --bind 127.0.0.1 \
      --namesrv-port $NS --broker-port $BP -c "$work/broker.conf" > "$work/server.out" 2>&1 &
    pid=$!
    return
  fi
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\ntls.config.file=%s/none\n' \
    $NS "$work" "$work" > "$work/ns.conf"
  FERROMQ_LOG_DIR="$work/nslogs" "$bin" namesrv -c "$work/ns.conf" > "$work/ns.out" 2>&1 &
  nspid=$!
  grep -v '^tls\.' "$work/broker.conf" > "$work/java.conf" || true
  printf 'brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerIP1=127.0.0.1\nlistenPort=%s\nnamesrvAddr=127.0.0.1:%s\nstorePathRootDir=%s\nstorePathCommitLog=%s/commitlog\nrocketmqHome=%s\n' \
    $BP $NS "$data" "$data" "$work" >> "$work/java.conf"
  local tls=(-Dtls.config.file="$work/none")
  case $mode in
    tls|tlsacl) tls+=(-Dtls.server.mode=enforcing -Dtls.test.mode.enable=false
      -Dtls.server.certPath="$work/server.pem" -Dtls.server.keyPath="$work/server.key") ;;
  esac
  java -Xms1g -Xmx1g -XX:+UseG1GC -Duser.home="$work" "${tls[@]}" -cp "$jcp" \
    org.apache.rocketmq.broker.BrokerStartup -c "$work/java.conf" > "$work/server.out" 2>&1 < /dev/null &
  pid=$!
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() { # label bin mode workload-args...
  local label=$1 bin=$2 mode=$3; shift 3
  local data="$work/data-$RANDOM"
  { conf_of "$mode"; [ -n "${EXTRA_CONF:-}" ] && printf '%s\n' "$EXTRA_CONF"; } > "$work/broker.conf"
  local client=${CLIENT:-$bin}
  [ "$mode" = acl1 ] && plain_acl_yml
  start_server "$bin" "$mode" "$data"
  for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$BP) 2>/dev/null && break; sleep 0.1; done
  sleep "${SETTLE:-1}"
  setup "$mode" "$client"
  local envs; envs=$(client_env "$mode")
  env $envs "$client" bench "$@" -n 127.0.0.1:$NS -t BenchTopic -s 1024 --duration "${WARM:-3}" --json > /dev/null 2>&1
  local t0; t0=$(cpu_ticks "$pid")
  local out; out=$(env $envs "$client" bench "$@" -n 127.0.0.1:$NS -t BenchTopic -s 1024 --duration 8 --json 2>/dev/null)
  local t1; t1=$(cpu_ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  if [ -n "$nspid" ]; then kill "$nspid"; wait "$nspid" 2>/dev/null || true; nspid=; fi
  rm -rf "$data"
  python3 - "$label" "$mode" "$*" "$t0" "$t1" "$(getconf CLK_TCK)" "$out" <<'PY'
import json, sys
label, mode, args, t0, t1, hz, out = sys.argv[1:]
s = json.loads(out)
msgs = s["messages_sent"]
cpu_us = (int(t1) - int(t0)) * 1e6 / int(hz)
fails = s["send_failed"] + s["response_failed"]
print(f"{label:2} {mode:7} {args:22} {s['tps']:9.0f} msg/s  {cpu_us / max(msgs, 1):6.2f} us/msg  "
      f"p99 {s['latency_ms']['p99']:.2f} ms  failed {fails}")
PY
}

echo "# $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
  for r in $(seq "$RUNS"); do
    for w in "producer -w 64" "batch -b 32 -w 4"; do
      lb=B; [ "$IMPL" = java ] && lb=J
      run_one $lb "$B" "$mode" $w
      [ -n "$A" ] && run_one A "$A" "$mode" $w
    done
  done
done
