#!/usr/bin/env bash
# Access control with clients nobody here wrote: the official RocketMQ Java client 5.3.3
# (AclClientRPCHook), Java mqadmin (rocketmq-tools 5.3.3; 5.3.1 for the ACL 1.0 commands, which
# 5.3.3 dropped and 5.3.2 was never published to Maven Central) and the official Go client
# (primitive.Credentials) against one `ferromq namesrv` + `ferromq broker` per ACL mode.
#
#   interop/acl-compat.sh path/to/ferromq          (root: ACL 1.0 uses network namespaces)
#
# ACL 2.0 (authenticationEnabled + authorizationEnabled, super users from initAuthenticationUser
# and innerClientAuthenticationCredentials; 127.0.0.1): interop/acl-compat Acl2.java — mqadmin
# createUser/createAcl/getUser/listUser/getAcl/listAcl/updateAcl/updateUser/deleteAcl/deleteUser
# (the tables compared line for line with what Java prints), a signed producer and push consumer,
# refusals (wrong secret, unsigned, unknown/disabled/deleted user, topic and group without a
# policy, a normal user's mqadmin createUser) with NO_PERMISSION (16) and Java's remark; the same
# signatures over binary headers (-Drocketmq.serialize.type=ROCKETMQ); then the Go client
# (interop/acl-compat/go) signed, with a wrong secret, unsigned, without a policy.
# ACL 1.0 (aclEnable, $rocketmqHome/conf/plain_acl.yml), servers and clients in network
# namespaces (interop/netns.sh): srv 10.77.1.10, client 10.77.3.10, white 10.77.2.10 (the only
# globalWhiteRemoteAddresses entry) — Acl1.java: the account produces and consumes; wrong secret,
# unsigned, unknown key, DENY topic/group, default DENY, an admin code by a non-admin refused with
# SYSTEM_ERROR (1) and Java's AclException remark; mqadmin 5.3.1 updateAclConfig /
# clusterAclConfigVersion / deleteAclConfig / updateGlobalWhiteAddr; the file edited and reloaded
# within 6 s; "white" served unsigned (even an admin code) before updateGlobalWhiteAddr replaced
# the list with the client's address, refused after.
# Needs java 17, mvn, go, python3, ip (iproute2). Logs are kept when the run fails (and with
# ACL_COMPAT_KEEP=1): the Java client's *.out files hold every mqadmin command and its output.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "acl-compat.sh needs root (network namespaces for the ACL 1.0 whitelist)" >&2; exit 2; }
for tool in java mvn go python3 ip; do
  command -v "$tool" >/dev/null || { echo "acl-compat.sh needs $tool" >&2; exit 2; }
done
started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-acl-compat.XXXXXX")"
chmod 755 "$work"
pfx="fa$$"            # namespace names: fa<pid>-<host>
status=1
pids=()
# shellcheck source=interop/netns.sh
. "$here/netns.sh"

cleanup() {
  set +e
  [ "${#netns_list[@]}" -gt 0 ] && netns_stop 'client|white|broker'
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$status" -eq 0 ]; then
    if [ -n "${ACL_COMPAT_KEEP:-}" ]; then echo "== logs kept in $work"; else rm -rf "$work"; fi
  else
    echo "== acl-compat FAILED; logs in $work" >&2
    for f in "$work"/*.out "$work"/*/*.out; do
      [ -s "$f" ] || continue
      echo "--- tail of $f" >&2
      sed 's/\x1b\[[0-9;]*m//g' "$f" | grep -v '^   |' | tail -n 12 >&2
    done
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== compiling the clients (interop/acl-compat: rocketmq-client/-tools 5.3.3, rocketmq-tools 5.3.1; Go rocketmq-client-go/v2)"
(cd "$here/acl-compat" && mvn -q -B compile && cd tools-5.3.1 && mvn -q -B generate-resources) > "$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/acl-compat/target/classes:$(cat "$here/acl-compat/target/classpath.txt")"
tools_v1_cp="$(cat "$here/acl-compat/tools-5.3.1/target/classpath.txt")"
(cd "$here/acl-compat/go" && go build -o "$work/aclcompat-go" .) > "$work/go-build.log" 2>&1 || { cat "$work/go-build.log" >&2; exit 1; }

# java_client DIR OUT ARGS...: the Java program (io.ferromq.aclcompat.AclCompat), its lines on
# the console, everything in OUT. Environment: AC_* and ROCKETMQ_HOME (mqadmin's tools.yml).
java_client() {
  local dir=$1 out=$2 r=0; shift 2
  # shellcheck disable=SC2086
  timeout --signal=KILL 120 java ${JAVA_OPTS:-} -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
    -Duser.home="$dir" -Drocketmq.client.logRoot="$dir/logs" -cp "$cp" io.ferromq.aclcompat.AclCompat "$@" > "$out" 2>&1 || r=$?
  grep '^\[acl-compat\]' "$out" | sed 's/^/   /' || true
  [ "$r" -eq 0 ] || echo "   the Java client ($*) exited with $r ($out)" >&2
  return "$r"
}

# wait_registered NAMESRV BROKER: the NameServer's cluster table (GET_BROKER_CLUSTER_INFO, 106)
# lists the broker (mqadmin -c and the clients' routes need it).
wait_registered() {
  python3 - "$1" "$2" <<'PY'
import json, socket, struct, sys, time
ns, broker = sys.argv[1], sys.argv[2]
host, port = ns.rsplit(":", 1)
def registered():
    with socket.create_connection((host, int(port)), timeout=3) as s:
        h = json.dumps({"code": 106, "language": "JAVA", "version": 0, "opaque": 1, "flag": 0, "extFields": {}}).encode()
        s.sendall(struct.pack(">II", 4 + len(h), len(h)) + h)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                return False
            buf += chunk
        return ('"' + broker + '"').encode() in buf
deadline = time.time() + 30
while True:
    try:
        if registered():
            sys.exit(0)
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("broker %s not registered with %s within 30 s" % (broker, ns))
    time.sleep(0.1)
PY
}

rc=0
# ==== ACL 2.0 ==================================================================================
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

d="$work/v2"; mkdir -p "$d/home/conf"
inner_user=ferromq-inner; inner_pw=inner-secret-1
printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n' "$ns" "$d" > "$d/namesrv.conf"
cat > "$d/broker.conf" <<CONF
brokerClusterName=AclCluster
brokerName=acl-a
listenPort=$bp
bindAddress=127.0.0.1
brokerIP1=127.0.0.1
namesrvAddr=127.0.0.1:$ns
storePathRootDir=$d/store
mappedFileSizeCommitLog=4194304
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
authenticationEnabled=true
authorizationEnabled=true
authenticationMetadataProvider=org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider
authorizationMetadataProvider=org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider
initAuthenticationUser={"username":"rocketmq","password":"12345678"}
innerClientAuthenticationCredentials={"accessKey":"$inner_user","secretKey":"$inner_pw"}
CONF
printf 'accessKey: rocketmq\nsecretKey: 12345678\n' > "$d/home/conf/tools.yml"
FERROMQ_LOG_DIR="$d/logs" "$bin" namesrv -c "$d/namesrv.conf" > "$d/namesrv.out" 2>&1 & pids+=($!)
wait_port "$ns"
FERROMQ_LOG_DIR="$d/logs" "$bin" broker -c "$d/broker.conf" > "$d/broker.out" 2>&1 & pids+=($!)
wait_port "$bp"
wait_registered "127.0.0.1:$ns" "127.0.0.1:$bp"
echo "== ACL 2.0: NameServer 127.0.0.1:$ns, broker 127.0.0.1:$bp — Java client and mqadmin 5.3.3"
(
  export AC_NAMESRV="127.0.0.1:$ns" AC_BROKER="127.0.0.1:$bp" AC_CLUSTER=AclCluster AC_INNER_USER="$inner_user" \
    AC_INNER_PASSWORD="$inner_pw" ROCKETMQ_HOME="$d/home"
  java_client "$d/client" "$d/java.out" v2 || exit 1
  echo "== ACL 2.0: the Java client with binary (ROCKETMQ) headers"
  JAVA_OPTS=-Drocketmq.serialize.type=ROCKETMQ java_client "$d/client" "$d/java-binary.out" v2-binary
) || rc=1
echo "== ACL 2.0: the Go client (rocketmq-client-go/v2, primitive.Credentials)"
r=0; AC_NAMESRV="127.0.0.1:$ns" timeout --signal=KILL 60 "$work/aclcompat-go" > "$d/go.out" 2>&1 || r=$?
grep '^\[acl-compat/go\]' "$d/go.out" | sed 's/^/   /' || true
[ "$r" -eq 0 ] || { echo "   the Go client exited with $r ($d/go.out)" >&2; rc=1; }
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null || true
pids=()
if grep -q 'panicked at' "$d"/*.out; then echo "a server panicked ($d)" >&2; rc=1; fi

# ==== ACL 1.0 ==================================================================================
d="$work/v1"; mkdir -p "$d/home/conf"
echo "== ACL 1.0: network namespaces $pfx-* (srv 10.77.1.10, client 10.77.3.10, white 10.77.2.10)"
netns_init "$pfx"
netns_host broker 1 10; netns_host white 2 10; netns_host client 3 10
srv=10.77.1.10; white=10.77.2.10; client=10.77.3.10
cat > "$d/home/conf/plain_acl.yml" <<YML
globalWhiteRemoteAddresses:
  - $white
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - TopicA=PUB|SUB
      - TopicB=DENY
    groupPerms:
      - GroupA=SUB
      - GroupB=DENY
  - accessKey: rocketmq2
    secretKey: 12345678
    admin: true
YML
printf 'accessKey: rocketmq2\nsecretKey: 12345678\n' > "$d/home/conf/tools.yml"
printf 'listenPort=9876\nbindAddress=%s\nkvConfigPath=%s/kv.json\n' "$srv" "$d" > "$d/namesrv.conf"
cat > "$d/broker.conf" <<CONF
brokerClusterName=AclCluster1
brokerName=acl1-a
listenPort=10911
bindAddress=$srv
brokerIP1=$srv
namesrvAddr=$srv:9876
storePathRootDir=$d/store
mappedFileSizeCommitLog=4194304
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
rocketmqHome=$d/home
aclEnable=true
CONF
# reachable PORT: a TCP connect from the client host to the server host succeeds.
reachable() {
  for _ in $(seq 1 150); do
    ip netns exec "$pfx-client" bash -c "exec 3<>/dev/tcp/$srv/$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on $srv:$1" >&2; return 1
}
FERROMQ_LOG_DIR="$d/logs" ip netns exec "$pfx-broker" "$bin" namesrv -c "$d/namesrv.conf" > "$d/namesrv.out" 2>&1 < /dev/null &
reachable 9876
FERROMQ_LOG_DIR="$d/logs" ip netns exec "$pfx-broker" "$bin" broker -c "$d/broker.conf" > "$d/broker.out" 2>&1 < /dev/null &
reachable 10911
ip netns exec "$pfx-client" bash -c "$(declare -f wait_registered); wait_registered $srv:9876 $srv:10911"
v1env=(AC_NAMESRV="$srv:9876" AC_BROKER="$srv:10911" AC_ACL_FILE="$d/home/conf/plain_acl.yml" AC_WHITE_IP="$white"
  AC_TOOLS_V1_CP="$tools_v1_cp" ROCKETMQ_HOME="$d/home")
export -f java_client; export cp
echo "== ACL 1.0: unsigned client from $white (whitelisted)"
ip netns exec "$pfx-white" env "${v1env[@]}" AC_CLIENT_IP="$white" bash -c 'java_client "$0" "$1" v1-white served' "$d/white" "$d/white1.out" || rc=1
echo "== ACL 1.0: Java client and mqadmin from $client"
ip netns exec "$pfx-client" env "${v1env[@]}" AC_CLIENT_IP="$client" bash -c 'java_client "$0" "$1" v1' "$d/client" "$d/java.out" || rc=1
echo "== ACL 1.0: unsigned client from $white after updateGlobalWhiteAddr"
ip netns exec "$pfx-white" env "${v1env[@]}" AC_CLIENT_IP="$white" bash -c 'java_client "$0" "$1" v1-white refused' "$d/white" "$d/white2.out" || rc=1
netns_stop 'client|white|broker'; netns_list=()
if grep -q 'panicked at' "$d"/*.out; then echo "a server panicked ($d)" >&2; rc=1; fi

if [ "$rc" -eq 0 ]; then status=0; fi
echo "== acl-compat $([ "$status" -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
