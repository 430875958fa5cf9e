# Sourced by interop scripts that run Java brokers on this host's loopback.
#
# Ports below 32768 (ephemeral client ports start there). A broker uses listenPort-2 (Java's fast
# port), listenPort and listenPort+1 (HA): every port picked here keeps [p-2, p+1] free and apart
# from the others'.
free_ports() { # free_ports N
  python3 - "$1" <<'PY'
import socket, random, sys
def free(p):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", p)); return True
    except OSError:
        return False
    finally:
        s.close()
taken = set()
out = []
while len(out) < int(sys.argv[1]):
    p = random.randint(20000, 32000)
    window = set(range(p - 2, p + 2))
    if window & taken or not all(free(q) for q in window):
        continue
    taken |= window
    out.append(p)
print(" ".join(map(str, out)))
PY
}
