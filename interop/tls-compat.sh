#!/usr/bin/env bash
# TLS with the official RocketMQ 5.3.3 Java client: a `ferromq namesrv` and a `ferromq broker`
# with a certificate (openssl, a CA and a v3 server certificate as docs/reference/acl-tls.md
# §4.5 makes them) in `tls.server.mode=enforcing`, then `permissive`; the Java client
# (interop/tls-compat, TlsCompat.java) produces, consumes and administers over TLS
# (`setUseTLS(true)`), and a plain producer must be refused (enforcing) or served (permissive);
# FerroMQ's own `admin` and `bench` (the Rust SDK, ROCKETMQ_TLS_ENABLE=true) over TLS too.
#
#   interop/tls-compat.sh path/to/ferromq
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
for tool in java mvn openssl python3; do
  command -v "$tool" >/dev/null || { echo "tls-compat.sh needs $tool" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-tls-compat.XXXXXX")"
started=$(date +%s)
status=1
pids=()
cleanup() {
  set +e
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "== tls-compat FAILED; logs in $work" >&2; fi
}
trap cleanup EXIT

echo "== compiling the client (interop/tls-compat, rocketmq-client 5.3.3)"
(cd "$here/tls-compat" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/tls-compat/target/classes:$(cat "$here/tls-compat/target/classpath.txt")"

echo "== certificates (openssl: a CA and a v3 server certificate for 127.0.0.1)"
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes -keyout ca.key -out ca.pem -subj "/CN=FerroMQ Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -sha256 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile server.ext -out server.pem 2>/dev/null
  # PKCS#8, as Java and rustls read it (OpenSSL 1.1 writes PKCS#1)
  openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8.key
)

read -r ns bp <<< "$(python3 - <<'PY'
import socket, random
def free(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
out = []
while len(out) < 2:
    p = random.randint(20000, 32000)
    if all(free(q) for q in range(p - 2, p + 2)) and all(abs(p - o) > 4 for o in out):
        out.append(p)
print(" ".join(map(str, out)))
PY
)"
wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; echo "nothing on $1" >&2; return 1; }

rc=0
for mode in enforcing permissive; do
  d="$work/$mode"; mkdir -p "$d"
  tls="tls.server.mode=$mode
tls.server.certPath=$work/server.pem
tls.server.keyPath=$work/server.pk8.key
tls.config.file=$d/none"
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n%s\n' "$ns" "$d" "$tls" > "$d/namesrv.conf"
  printf 'brokerClusterName=TlsCluster\nbrokerName=tls-a\nlistenPort=%s\nbindAddress=127.0.0.1\nbrokerIP1=127.0.0.1\nnamesrvAddr=127.0.0.1:%s\nstorePathRootDir=%s/store\nmappedFileSizeCommitLog=4194304\ndiskSpaceWarningLevelRatio=99\ndiskMaxUsedSpaceRatio=95\ndiskSpaceCleanForciblyRatio=97\n%s\n' \
    "$bp" "$ns" "$d" "$tls" > "$d/broker.conf"
  FERROMQ_LOG_DIR="$d/logs" "$bin" namesrv -c "$d/namesrv.conf" > "$d/namesrv.out" 2>&1 & pids+=($!)
  wait_port "$ns"
  FERROMQ_LOG_DIR="$d/logs" "$bin" broker -c "$d/broker.conf" > "$d/broker.out" 2>&1 & pids+=($!)
  wait_port "$bp"
  echo "== tls.server.mode=$mode: NameServer 127.0.0.1:$ns, broker 127.0.0.1:$bp"
  r=0
  env TC_NAMESRV="127.0.0.1:$ns" TC_MODE="$mode" timeout --signal=KILL 120 \
    java -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true -Duser.home="$d/client" \
    -Drocketmq.client.logRoot="$d/client/logs" -cp "$cp" io.ferromq.tlscompat.TlsCompat > "$d/client.out" 2>&1 || r=$?
  grep '^\[tls-compat\]' "$d/client.out" | sed 's/^/   /' || true
  [ "$r" -eq 0 ] || { echo "the Java client exited with $r ($d/client.out)" >&2; rc=1; }
  if [ "$mode" = enforcing ]; then
    # FerroMQ's own clients (the Rust SDK under `ferromq admin` and `ferromq bench`) over TLS.
    if ROCKETMQ_TLS_ENABLE=true "$bin" admin clusterList -n "127.0.0.1:$ns" 2>&1 | grep -q tls-a; then
      echo "   [ferromq] ok    admin clusterList over TLS"
    else echo "   [ferromq] FAIL  admin clusterList over TLS" >&2; rc=1; fi
    if "$bin" admin clusterList -n "127.0.0.1:$ns" > /dev/null 2>&1; then
      echo "   [ferromq] FAIL  plain admin served by an enforcing NameServer" >&2; rc=1
    else echo "   [ferromq] ok    plain admin refused"; fi
    sent=$(ROCKETMQ_TLS_ENABLE=true "$bin" bench producer -n "127.0.0.1:$ns" -t TlsBench -q 200 -w 4 --json 2>/dev/null \
      | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["messages_sent"] if j["send_failed"] + j["response_failed"] == 0 else -1)' || echo -1)
    if [ "$sent" = 200 ]; then echo "   [ferromq] ok    bench producer over TLS: 200 sent"
    else echo "   [ferromq] FAIL  bench producer over TLS: $sent" >&2; rc=1; fi
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true
  pids=()
  if grep -q 'panicked at' "$d"/*.out; then echo "a server panicked ($d)" >&2; rc=1; fi
done
if [ "$rc" -eq 0 ]; then status=0; fi
echo "== tls-compat $([ "$status" -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
