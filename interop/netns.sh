# Zones on one machine, shared by interop/zones.sh and interop/zones-controller.sh (sourced):
# one network namespace per host, a "core" namespace routing between the zones (one bridge per
# zone, 10.77.<zone>.1 the gateway). Needs root, ip (iproute2).
#
#   netns_init PFX           the core namespace PFX-core and bridges br1..br3
#   netns_host NAME ZONE NUM namespace PFX-NAME with address 10.77.ZONE.NUM behind the core
#   netns_pids NS            pids running in namespace NS
#   netns_stop FIRST_REGEX   TERM the processes of the namespaces matching FIRST_REGEX, then
#                            all others, KILL what ignores TERM, delete every namespace
#   netns_no_wildcard NAME.. fail if a server in PFX-NAME listens on all addresses
#
# The namespaces made are listed in $netns_list.

netns_list=()

netns_init() {
  netns_pfx=$1
  local core="$netns_pfx-core" z
  ip netns add "$core"; netns_list+=("$core")
  ip -n "$core" link set lo up
  ip netns exec "$core" sysctl -qw net.ipv4.ip_forward=1
  for z in 1 2 3; do
    ip -n "$core" link add "br$z" type bridge
    ip -n "$core" addr add "10.77.$z.1/24" dev "br$z"
    ip -n "$core" link set "br$z" up
  done
}

netns_host() {
  local name=$1 zone=$2 num=$3 ns="$netns_pfx-$1" core="$netns_pfx-core"
  ip netns add "$ns"; netns_list+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$core" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$core" link set "v-$name" master "br$zone" up
  ip -n "$ns" addr add "10.77.$zone.$num/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "10.77.$zone.1"
}

netns_pids() { ip netns pids "$1" 2>/dev/null || true; }

netns_stop() {
  local first=$1 ns p left pass
  for pass in first rest; do
    for ns in "${netns_list[@]}"; do
      if [ "$pass" = first ]; then [[ "$ns" =~ $first ]] || continue; fi
      for p in $(netns_pids "$ns"); do kill -TERM "$p" 2>/dev/null; done
    done
    for _ in $(seq 1 50); do
      left=0
      for ns in "${netns_list[@]}"; do
        if [ "$pass" = first ] && ! [[ "$ns" =~ $first ]]; then continue; fi
        [ -n "$(netns_pids "$ns")" ] && left=1
      done
      [ "$left" = 0 ] && break
      sleep 0.2
    done
  done
  for ns in "${netns_list[@]}"; do
    for p in $(netns_pids "$ns"); do echo "pid $p in $ns ignored SIGTERM: killing it" >&2; kill -KILL "$p" 2>/dev/null; done
  done
  sleep 0.2
  for ns in "${netns_list[@]}"; do ip netns del "$ns" 2>/dev/null; done
}

netns_no_wildcard() {
  local h wild
  for h in "$@"; do
    wild=$(ip netns exec "$netns_pfx-$h" ss -Hltn | awk '$4 ~ /^(0\.0\.0\.0|\*|\[::\]):/ {print $4}')
    [ -z "$wild" ] || { echo "a server on host $h listens on all addresses: $wild" >&2; return 1; }
  done
}
