#!/usr/bin/env bash
# Runs the cluster topology as plain processes on loopback (no Docker): Versity's
# S3 gateway, nats-server with JetStream, and two phonghop nodes sharing the
# bucket and NATS. Node 1 seeds the demo meeting (`phonghop demo`), node 2 serves.
#
#   scripts/cluster.sh          start, print the URLs, run until Ctrl-C
#   scripts/cluster.sh check    start, check that the nodes share one room, stop
#
# check: both /readyz answer 200; a login on node 1 lists the demo meeting on
# node 2; a page turned on node 1 is the state on node 2 with the same seq and
# reaches a socket on node 2; logging out on node 1 closes that socket (4001).
#
# Settings (environment):
#   PHONGHOP_CLUSTER_DIR    data, logs and the binary (default: a temporary
#                           directory, removed at exit; a given one is kept)
#   PHONGHOP_CLUSTER_S3_PORT   9390    PHONGHOP_CLUSTER_NATS_PORT  4392
#   PHONGHOP_CLUSTER_PORT1     8091    PHONGHOP_CLUSTER_PORT2      8092
#   PHONGHOP_ADMIN_PASSWORD    admin password (default: cluster-quan-tri)
# Everything started is stopped on exit, Ctrl-C or failure.
set -euo pipefail

mode=${1:-run}
case $mode in run|check) ;; *) echo "usage: $0 [run|check]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
s3_port=${PHONGHOP_CLUSTER_S3_PORT:-9390}
nats_port=${PHONGHOP_CLUSTER_NATS_PORT:-4392}
port1=${PHONGHOP_CLUSTER_PORT1:-8091}
port2=${PHONGHOP_CLUSTER_PORT2:-8092}
admin_pw=${PHONGHOP_ADMIN_PASSWORD:-cluster-quan-tri}
for p in "$s3_port" "$nats_port" "$port1" "$port2"; do
  case $p in ''|*[!0-9]*) echo "cluster: ports must be numbers, got '$p'" >&2; exit 2 ;; esac
done

if [ -n "${PHONGHOP_CLUSTER_DIR:-}" ]; then
  dir=$PHONGHOP_CLUSTER_DIR keep=1
  mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/phonghop-cluster.XXXXXX") keep=
fi
dir=$(cd "$dir" && pwd)

pids=()
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  # Stop in reverse order of start, each before the next: nodes first (they
  # close their live sockets and NATS connection), then NATS, then S3.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ -z "$keep" ]; then
    rm -rf "$dir"
  else
    echo "cluster: data and logs kept in $dir" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$s3_port" "$nats_port" "$port1" "$port2"; do
  port_free "$p" || { echo "cluster: port $p is in use (set PHONGHOP_CLUSTER_*_PORT)" >&2; exit 1; }
done

# wait_for NAME PID TEST...: until TEST succeeds, failing if PID exits or 60 s pass.
wait_for() {
  local name=$1 pid=$2; shift 2
  local deadline=$((SECONDS + 60))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster: $name exited; its log:" >&2
      tail -n 40 "$dir/$name.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "cluster: $name not ready within 60 s; its log:" >&2
      tail -n 40 "$dir/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}
listening() { ! port_free "$1"; }
ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/readyz"; }

tools_bin=$(bash "$here/tools.sh" s3)
tools_bin=$(bash "$here/tools.sh" nats)
echo "cluster: building phonghop into $dir/bin" >&2
mkdir -p "$dir/bin" "$dir/s3" "$dir/nats"
(cd "$root" && go build -o "$dir/bin/phonghop" ./cmd/phonghop)

export PHONGHOP_S3_ACCESS_KEY=${PHONGHOP_S3_ACCESS_KEY:-phonghop}
export PHONGHOP_S3_SECRET_KEY=${PHONGHOP_S3_SECRET_KEY:-phonghop-secret}
bash "$here/s3gw.sh" "$dir/s3" "$s3_port" >"$dir/s3.log" 2>&1 &
pids+=($!)
wait_for s3 "${pids[-1]}" listening "$s3_port"

"$tools_bin/nats-server" -a 127.0.0.1 -p "$nats_port" -js -sd "$dir/nats" -n phonghop-nats >"$dir/nats.log" 2>&1 &
pids+=($!)
wait_for nats "${pids[-1]}" listening "$nats_port"

# Both nodes: one bucket, one NATS.
export PHONGHOP_S3_ENDPOINT=127.0.0.1:$s3_port PHONGHOP_S3_BUCKET=phonghop
export PHONGHOP_NATS_URL=nats://127.0.0.1:$nats_port
export PHONGHOP_ADMIN_PASSWORD=$admin_pw PHONGHOP_LOG_FORMAT=text

PHONGHOP_ADDR=127.0.0.1:$port1 PHONGHOP_PUBLIC_URL=http://127.0.0.1:$port1 \
  "$dir/bin/phonghop" demo >"$dir/node1.out" 2>"$dir/node1.log" &
pids+=($!)
wait_for node1 "${pids[-1]}" ready "$port1"

PHONGHOP_ADDR=127.0.0.1:$port2 PHONGHOP_PUBLIC_URL=http://127.0.0.1:$port2 \
  "$dir/bin/phonghop" serve >"$dir/node2.out" 2>"$dir/node2.log" &
pids+=($!)
wait_for node2 "${pids[-1]}" ready "$port2"

cat "$dir/node1.out" >&2
cat >&2 <<EOF
cluster is up:
  node 1   http://127.0.0.1:$port1   (log $dir/node1.log)
  node 2   http://127.0.0.1:$port2   (log $dir/node2.log)
  S3       http://127.0.0.1:$s3_port  bucket phonghop  (versitygw, $PHONGHOP_S3_ACCESS_KEY)
  NATS     $PHONGHOP_NATS_URL  (JetStream store $dir/nats)
  admin password: $admin_pw
EOF

if [ "$mode" = run ]; then
  echo "Ctrl-C stops everything." >&2
  # Exit when any process dies, so a crash is not hidden.
  wait -n "${pids[@]}" || true
  echo "cluster: a process exited; stopping" >&2
  exit 1
fi

# check: the two nodes serve the same meetings and the same live room.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
api() { # NODE_PORT METHOD PATH [BODY]
  curl -fsS -X "$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${4:+--data "$4"} "http://127.0.0.1:$1/api/v1$3"
}
for p in "$port1" "$port2"; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/readyz")
  [ "$code" = 200 ] || { echo "check: /readyz on $p answered $code" >&2; exit 1; }
done
echo "check: /readyz 200 on both nodes" >&2
token=$(curl -fsS -H 'Content-Type: application/json' --data '{"username":"chutich","password":"hop-khong-giay"}' \
  "http://127.0.0.1:$port1/api/v1/auth/login" | json 'd["token"]')
meetings=$(api "$port2" GET /meetings)
mid=$(printf '%s' "$meetings" | json 'd[0]["id"] if isinstance(d, list) else (d.get("meetings") or d.get("items"))[0]["id"]')
echo "check: logged in on node 1; node 2 lists meeting $mid" >&2
meeting=$(api "$port2" GET "/meetings/$mid")
item=$(printf '%s' "$meeting" | json '[a for a in d["agenda"] if a.get("documentIds")][0]["id"]')
doc=$(printf '%s' "$meeting" | json '[a for a in d["agenda"] if a.get("documentIds")][0]["documentIds"][0]')
seq=$(api "$port1" PUT "/meetings/$mid/presentation" "{\"agendaItemId\":\"$item\",\"documentId\":\"$doc\",\"page\":2}" | json 'd["seq"]')
state=$(api "$port2" GET "/meetings/$mid/state")
got=$(printf '%s' "$state" | json '"%s %s" % (d["seq"], (d.get("state", d).get("presentation") or {}).get("page"))')
if [ "$got" != "$seq 2" ]; then
  echo "check: page 2 turned on node 1 with seq $seq; node 2 has seq/page '$got': $state" >&2
  exit 1
fi
echo "check: page turned on node 1 (seq $seq) is the state on node 2" >&2

# A tablet's socket on node 2 gets node 1's page turn; logging out on node 1
# closes it with 4001 (the control message goes through NATS).
wsclient() { # PORT PATH TOKEN: prints each text frame, then "close CODE"
  python3 - "$@" <<'PY'
import base64, os, socket, struct, sys
port, path, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
           f"Authorization: Bearer {token}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    chunk = s.recv(4096)
    if not chunk:
        sys.exit("closed during the handshake")
    buf += chunk
head, buf = buf.split(b"\r\n\r\n", 1)
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit("no upgrade: " + head.decode(errors="replace"))
def need(n):
    global buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection ended without a close frame")
        buf += chunk
    out, buf = buf[:n], buf[n:]
    return out
while True:
    b0, b1 = need(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", need(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", need(8))[0]
    payload = need(n)
    op = b0 & 0x0F
    if op == 1:
        print(payload.decode(), flush=True)
    elif op == 8:
        print("close", struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005, flush=True)
        break
PY
}
wait_line() { # FILE PATTERN
  local deadline=$((SECONDS + 10))
  until grep -q "$2" "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "check: no '$2' from the socket on node 2: $(cat "$1")" >&2; exit 1; }
    sleep 0.1
  done
}
wsout="$dir/ws-node2.out"
: >"$wsout"
wsclient "$port2" "/api/v1/meetings/$mid/live" "$token" >"$wsout" 2>&1 &
wspid=$!
wait_line "$wsout" '"type":"snapshot"'
seq=$(api "$port1" PUT "/meetings/$mid/presentation" "{\"agendaItemId\":\"$item\",\"documentId\":\"$doc\",\"page\":3}" | json 'd["seq"]')
wait_line "$wsout" "\"type\":\"presentation\",\"seq\":$seq"
echo "check: a socket on node 2 got node 1's page turn (seq $seq)" >&2
api "$port1" POST /auth/logout >/dev/null
wait_line "$wsout" '^close '
wait "$wspid" || true
if ! grep -q '^close 4001$' "$wsout"; then
  echo "check: after logout on node 1 the socket on node 2 ended with: $(tail -n 1 "$wsout")" >&2
  exit 1
fi
echo "check: logout on node 1 closed the socket on node 2 with 4001" >&2
echo "check: ok" >&2
