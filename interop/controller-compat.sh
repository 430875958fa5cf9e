#!/usr/bin/env bash
# Controller mode (RocketMQ 5.x, RIP-44) with FerroMQ's controllers: three `ferromq controller`s
# (n0, n1, n2), one `ferromq namesrv` and TWO real Apache RocketMQ 5.3.3 brokers of one broker set
# (jars resolved by Maven from interop/controller-compat/pom.xml), driven by the official Java
# client and admin API (interop/controller-compat/src/.../ControllerCompat.java).
#
#   interop/controller-compat.sh path/to/ferromq
#
# Brokers: as Java's distribution/conf/controller/quick-start/broker-n0.conf
# (enableControllerMode=true, brokerId=-1 and brokerRole=SLAVE as placeholders the controller
# overrides, allAckInSyncStateSet=true) with controllerAddr listing all three controllers, plus
# distinct ports and stores, slaveReadEnable=true and 1 MiB CommitLog files.
# allAckInSyncStateSet=true: a SEND_OK means every SyncStateSet member holds the message, so an
# acknowledged message survives the master's kill -9 (and consumers only see replicated
# messages: dispatch stops at the confirm offset). inSyncReplicas is then not used (it counts acks
# only with allAckInSyncStateSet=false, where a kill -9 may lose acknowledged messages by design);
# minInSyncReplicas stays 1, so a master alone in its SyncStateSet keeps taking writes.
#
#   1. one broker becomes master (NameServer: id 0 at its address), the other a slave;
#   2. getControllerMetaData / getInSyncStateData / getBrokerEpochCache (DefaultMQAdminExt) give a
#      leader all controllers agree on, the SyncStateSet {master, slave}, masterEpoch >= 1;
#   3. under a synchronous producer (one thread, every outcome recorded), the slave is frozen
#      (SIGSTOP) while 5 x 200 KiB go oneway to the master, which is then killed -9 (the slave
#      resumes at once): the master dies holding ~1 MiB its slave never got. The other broker must
#      be master in the route and take writes within 10 s; a consumer group then starts from the
#      first offset. (Java's broker itself spends ~5 s of that promoting a slave that holds an
#      unconfirmed tail: ReputMessageService.shutdown waits for a dispatch that cannot finish.)
#   4. the killed broker restarts on its store: a slave again (same controller id), the
#      SyncStateSet regrows, its AutoSwitchHAClient truncates its CommitLog exactly where the new
#      master's epoch starts, and with the producer paused both CommitLogs end at the same offset;
#   5. kill -9 the controller leader: another leads with the same state, sends go on; kill -9 the
#      master again: the rejoined broker must take over within 10 s. Both consumer groups must
#      have every message acknowledged SEND_OK.
# Prints acked / consumed / lost / duplicated and the failover times; exits non-zero on any lost
# acknowledged message, a failover slower than 10 s or any other failed check. The logs of a
# failed run are kept (CC_KEEP=1 keeps a passing one's). CC_RATE (msg/s, default 100),
# CC_FAILOVER_LIMIT (s, default 10), CC_DRAIN_LIMIT tune the Java side. CC_REFERENCE=java runs the
# very same test on Java's own DLedger controllers (rocketmq-controller 5.3.3): the reference to
# compare figures and broker complaints with. CC_MIXED=1 makes broker 1 a `ferromq broker` on the
# same configuration file: one Java and one FerroMQ broker in one set, replicating to each other
# over the AutoSwitch HA protocol in both directions (whichever is master), the truncation of
# step 4 done by whichever broker returns.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 path/to/ferromq" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
for tool in java mvn python3; do
  command -v "$tool" >/dev/null || { echo "controller-compat.sh needs $tool" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/ferromq-controller-compat.XXXXXX")"
started=$(date +%s)
status=1

# Every server this test starts leaves its pid in $work/pids/NAME; a pid is only ours while its
# command line still names our work directory.
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF "$work"; }
stop_all() {
  local f pid sig
  for sig in KILL TERM; do   # brokers first, with SIGKILL (their stores are not needed any more)
    for f in "$work"/pids/*; do
      [ -e "$f" ] || continue
      case "$f" in *.killed) continue ;; esac
      case "$(basename "$f")" in broker-*) [ "$sig" = KILL ] || continue ;; *) [ "$sig" = TERM ] || continue ;; esac
      pid=$(cat "$f")
      ours "$pid" && kill -"$sig" "$pid" 2>/dev/null
    done
  done
  for _ in $(seq 1 100); do
    local left=0
    for f in "$work"/pids/*; do [[ -e "$f" && "$f" != *.killed ]] && ours "$(cat "$f")" && left=1; done
    [ "$left" = 0 ] && return 0
    sleep 0.2
  done
  for f in "$work"/pids/*; do
    [[ -e "$f" && "$f" != *.killed ]] || continue
    pid=$(cat "$f")
    if ours "$pid"; then echo "$(basename "$f") (pid $pid) ignored SIGTERM: killing it" >&2; kill -KILL "$pid" 2>/dev/null; fi
  done
}
cleanup() {
  set +e
  stop_all
  if [ "$status" -eq 0 ] && [ -z "${CC_KEEP:-}" ]; then
    rm -rf "$work"
  else
    [ "$status" -eq 0 ] && echo "== logs kept in $work" || echo "== controller-compat FAILED; logs in $work" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports below 32768 (ephemeral client ports start there). A broker uses listenPort-2 (Java's fast
# port), listenPort and listenPort+1 (HA): every port picked keeps [p-2, p+1] free and apart.
read -r c0 c1 c2 ns b0 b1 <<< "$(python3 - <<'PY'
import socket, random
def free(p):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", p)); return True
    except OSError:
        return False
    finally:
        s.close()
taken, out = set(), []
while len(out) < 6:
    p = random.randint(20000, 32000)
    window = set(range(p - 2, p + 2))
    if window & taken or not all(free(q) for q in window):
        continue
    taken |= window
    out.append(p)
print(" ".join(map(str, out)))
PY
)"

echo "== resolving Apache RocketMQ 5.3.3 (Maven) and compiling the client"
(cd "$here/controller-compat" && mvn -q -B compile) > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
cp="$here/controller-compat/target/classes:$(cat "$here/controller-compat/target/classpath.txt")"

group=FerroCtl
peers="n0-127.0.0.1:$c0;n1-127.0.0.1:$c1;n2-127.0.0.1:$c2"
controllers="127.0.0.1:$c0;127.0.0.1:$c1;127.0.0.1:$c2"
mkdir -p "$work/pids" "$work/rmqhome"
for i in 0 1 2; do
  mkdir -p "$work/controller-$i"
  cat > "$work/controller-$i/controller.conf" <<CONF
controllerDLegerGroup=$group
controllerDLegerPeers=$peers
controllerDLegerSelfId=n$i
controllerStorePath=$work/controller-$i/store
CONF
done
mkdir -p "$work/namesrv"
printf 'bindAddress=127.0.0.1\nkvConfigPath=%s\n' "$work/namesrv/kvConfig.json" > "$work/namesrv/namesrv.conf"
bports=("$b0" "$b1")
for i in 0 1; do
  d="$work/broker-$i"; p=${bports[$i]}
  mkdir -p "$d"
  cat > "$d/broker.conf" <<CONF
brokerClusterName=CtlCluster
brokerName=ctl-a
brokerId=-1
brokerRole=SLAVE
deleteWhen=04
fileReservedTime=48
enableControllerMode=true
controllerAddr=$controllers
namesrvAddr=127.0.0.1:$ns
allAckInSyncStateSet=true
listenPort=$p
haListenPort=$((p + 1))
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
storePathRootDir=$d/store
storePathCommitLog=$d/store/commitlog
mappedFileSizeCommitLog=1048576
mappedFileSizeTimerLog=1048576
diskSpaceWarningLevelRatio=99
diskMaxUsedSpaceRatio=95
diskSpaceCleanForciblyRatio=97
slaveReadEnable=true
rocketmqHome=$work/rmqhome
CONF
done

# The control script: the Java client calls it back to kill and restart servers.
{
  echo '#!/usr/bin/env bash'
  printf 'work=%q\nbin=%q\ncp=%q\ncport=(%q %q %q)\nbport=(%q %q)\nns=%q\nreference=%q\nmixed=%q\n' "$work" "$bin" "$cp" \
    "$c0" "$c1" "$c2" "$b0" "$b1" "$ns" "${CC_REFERENCE:-}" "${CC_MIXED:-}"
  cat <<'CTL'
set -euo pipefail
wait_port() { # wait_port PORT SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "[ctl] nothing listens on 127.0.0.1:$1" >&2
  return 1
}
kill9() { # kill9 NAME: prints when (epoch ms) the signal was sent
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
    d="$work/controller-$2"
    if [ "$reference" = java ]; then   # Java's own DLedger controller, for a reference run
      nohup java -Xms256m -Xmx256m -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
        -Drocketmq.home.dir="$work/rmqhome" -Duser.home="$d" -cp "$cp" \
        org.apache.rocketmq.controller.ControllerStartup -c "$d/controller.conf" >> "$d/controller.out" 2>&1 < /dev/null &
    else
      FERROMQ_LOG_DIR="$d/logs" nohup "$bin" controller -c "$d/controller.conf" >> "$d/controller.out" 2>&1 < /dev/null &
    fi
    echo $! > "$work/pids/controller-$2"; rm -f "$work/pids/controller-$2.killed"
    wait_port "${cport[$2]}" 30 ;;
  start-namesrv)
    d="$work/namesrv"
    FERROMQ_LOG_DIR="$d/logs" nohup "$bin" namesrv -c "$d/namesrv.conf" --listen-port "$ns" >> "$d/namesrv.out" 2>&1 < /dev/null &
    echo $! > "$work/pids/namesrv"
    wait_port "$ns" 30 ;;
  start-broker)
    d="$work/broker-$2"
    echo "== start $(date +%T.%N)" >> "$d/broker.out"
    if [ -n "$mixed" ] && [ "$2" = 1 ]; then   # CC_MIXED: broker 1 is a FerroMQ broker
      FERROMQ_LOG_DIR="$d/logs" RUST_LOG=info nohup "$bin" broker -c "$d/broker.conf" >> "$d/broker.out" 2>&1 < /dev/null &
      echo $! > "$work/pids/broker-$2"; rm -f "$work/pids/broker-$2.killed"
      wait_port "${bport[$2]}" 90
      exit 0
    fi
    nohup java -Xms384m -Xmx384m -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
      -Drocketmq.home.dir="$work/rmqhome" -Duser.home="$d" -cp "$cp" \
      org.apache.rocketmq.broker.BrokerStartup -c "$d/broker.conf" >> "$d/broker.out" 2>&1 < /dev/null &
    echo $! > "$work/pids/broker-$2"; rm -f "$work/pids/broker-$2.killed"
    wait_port "${bport[$2]}" 90 ;;
  freeze-broker) kill -STOP "$(cat "$work/pids/broker-$2")"; echo "[ctl] SIGSTOP broker-$2 (127.0.0.1:${bport[$2]})" ;;
  kill-broker) # kill-broker I [J]: kill -9 broker I, then SIGCONT broker J (frozen by freeze-broker)
    kill9 "broker-$2"
    [ $# -ge 3 ] && kill -CONT "$(cat "$work/pids/broker-$3")"
    echo "[ctl] kill -9 broker-$2 (127.0.0.1:${bport[$2]})${3:+, SIGCONT broker-$3} at=$(cat "$work/killed-at")" ;;
  kill-controller) kill9 "controller-$2"; echo "[ctl] kill -9 controller-$2 (127.0.0.1:${cport[$2]}) at=$(cat "$work/killed-at")" ;;
  *) echo "usage: $0 start-controller|start-broker|freeze-broker|kill-controller I | kill-broker I [J] | start-namesrv" >&2
     exit 2 ;;
esac
CTL
} > "$work/ctl.sh"
chmod +x "$work/ctl.sh"

[ -n "${CC_MIXED:-}" ] && echo "== CC_MIXED: broker 1 is a ferromq broker"
echo "== controllers n0 127.0.0.1:$c0, n1 127.0.0.1:$c1, n2 127.0.0.1:$c2 (group $group);" \
  "NameServer 127.0.0.1:$ns; brokers 127.0.0.1:$b0 and 127.0.0.1:$b1; work dir $work"
for i in 0 1 2; do "$work/ctl.sh" start-controller "$i"; done
"$work/ctl.sh" start-namesrv
"$work/ctl.sh" start-broker 0 & sb0=$!
"$work/ctl.sh" start-broker 1 & sb1=$!
wait "$sb0"; wait "$sb1"
echo "== servers up after $(( $(date +%s) - started )) s; running the Java client"

rc=0
# Java's brokers log to ~/logs/rocketmqlogs (user.home is the broker's directory), FerroMQ's to
# FERROMQ_LOG_DIR.
b1logs="$work/broker-1/logs/rocketmqlogs"
[ -n "${CC_MIXED:-}" ] && b1logs="$work/broker-1/logs"
env CC_MIXED="${CC_MIXED:-}" CC_NAMESRV="127.0.0.1:$ns" CC_CONTROLLERS="$controllers" CC_BROKERS="127.0.0.1:$b0;127.0.0.1:$b1" \
  CC_BROKER_NAME=ctl-a CC_CLUSTER=CtlCluster CC_CONTROLLER_GROUP="$group" CC_CTL="$work/ctl.sh" CC_OUT="$work/client" \
  CC_BROKER_LOGS="$work/broker-0/logs/rocketmqlogs;$b1logs" \
  timeout --signal=KILL 300 java -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
    -Duser.home="$work/client" -Drocketmq.client.logRoot="$work/client/logs" -cp "$cp" \
    io.ferromq.controllercompat.ControllerCompat > "$work/client.out" 2>&1 || rc=$?
grep -E '^\[(controller-compat|ctl)\]' "$work/client.out" | sed 's/^/   /' || true
[ "$rc" -eq 0 ] || echo "the Java client exited with $rc (output: $work/client.out)" >&2

# What Java's AutoSwitchHAClient said when the killed master rejoined (its truncation point).
for i in 0 1; do
  grep -h -E 'local epoch entries is|truncateOffset is|Truncate slave log to|Failed to (find a consistent point|truncate)' \
    "$work/broker-$i/logs/rocketmqlogs/"store*.log 2>/dev/null | sed "s/^/   broker-$i: /" || true
  # ... or what a FerroMQ broker said (CC_MIXED).
  grep -h -E 'truncated the local log|shares no epoch|truncating to the master' "$work/broker-$i/logs/"broker.log* 2>/dev/null \
    | cut -c1-300 | sed "s/^/   broker-$i (ferromq): /" || true
done
# Every server the test did not kill must still run; no ferromq server may have panicked.
for f in "$work"/pids/*; do
  case "$f" in *.killed) continue ;; esac
  n=$(basename "$f")
  if [ ! -e "$f.killed" ] && ! ours "$(cat "$f")"; then echo "$n died (see $work/${n}*)" >&2; rc=1; fi
done
for f in "$work"/controller-*/controller.out "$work"/broker-1/broker.out; do
  if grep -q -E 'panicked at' "$f"; then
    echo "$f: panicked:" >&2; grep -A3 'panicked at' "$f" >&2; rc=1
  fi
done
# What the Java brokers said about the controllers' answers: controller response codes they got
# (CODE: 2000-2016) and warnings of their ReplicasManager / AutoSwitchHAService (counted, deduplicated).
for i in 0 1; do
  log="$work/broker-$i/logs/rocketmqlogs/broker.log"
  [ -e "$log" ] || continue
  { grep -h -o -E 'CODE: 20[0-9][0-9] +DESC: [^,]*' "$log" || true
    grep -h -E ' (WARN|ERROR) (ReplicasManager|AutoSwitchHAService)[A-Za-z_]*[0-9]* - ' "$log" \
      | sed -E 's/^[0-9-]+ [0-9:]+ //; s/_[0-9]+ - / - /; s/127\.0\.0\.1:[0-9]+/ADDR/g' | cut -c1-160 || true
  } | sort | uniq -c | sed "s/^/   broker-$i said: /"
done
if [ "$rc" -eq 0 ]; then status=0; fi
echo "== controller-compat $([ "$status" -eq 0 ] && echo OK || echo FAILED) in $(( $(date +%s) - started )) s"
exit "$status"
