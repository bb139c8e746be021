#!/usr/bin/env bash
# Measures the live room under load with cmd/phonghop-load, against phonghop,
# against Centrifugo (the baseline), or both in turn on the same machine.
#
#   scripts/load.sh phonghop 5000      # build and start phonghop on loopback, measure
#   scripts/load.sh centrifugo 5000    # install and start Centrifugo on loopback, measure
#   scripts/load.sh compare 5000       # both and the bare write loop, one after the
#                                      # other (-settle 1s), then a table; with
#                                      # PHONGHOP_BIN_BEFORE=<binary> that build runs
#                                      # too, after Centrifugo (a change before/after)
#   scripts/load.sh bare 5000          # the bare write loop alone: one prepared frame
#                                      # written to N plain gorilla sockets in turn
#   scripts/load.sh checkin 2000       # a check-in wave: N delegates check in within
#                                      # 10 s while N sockets listen (no page turns),
#                                      # twice on fresh servers: sockets taking whole
#                                      # lists (-attendance full), then deltas (as the
#                                      # web app), then a table; with
#                                      # PHONGHOP_BIN_BEFORE=<binary> that build runs
#                                      # first instead, then this one
#   scripts/load.sh storm 2000         # a reconnect storm: N sockets drop at once and
#                                      # all come back with since; when is the last back
#   scripts/load.sh soak 2000          # 30 minutes of churn at N sockets, then RSS,
#                                      # goroutines and open files must return to the
#                                      # baseline (-soak 2m for a short one)
#   scripts/load.sh meetings 2000      # N meetings open at once on a cluster: three
#                                      # nats-servers (JetStream, routed, 3 replicas),
#                                      # the S3 gateway and two phonghop processes; 5
#                                      # sockets per meeting (-delegates K), spread over
#                                      # both processes, then a page turn in each over
#                                      # 10 s (-spread); RSS and CPU of every process
#
# Memory: the tool reads the server's RSS after -settle (default 5s) of idling. Both
# servers are garbage-collected and give back what connecting cost them only after
# the runtime's periodic GC (every 2 minutes): for memory figures add -settle 130s.
#
# A phonghop meeting holds at most 10,000 participants, the chair included: past
# 9,999 sockets the tool deals them over 9,999 delegate accounts (socket i signs in
# as delegate i mod 9,999), so at 20,000 each delegate holds two or three sockets,
# a tablet and a phone (-accounts M to choose; the server allows 16 per account).
# Every socket is a descriptor in the tool and in the server: N plus about 60 must
# fit under the hard open-file limit (`ulimit -Hn`; 20,000 on the shared machine,
# which allows 19,900 here).
# Arguments after N go to phonghop-load (for example -turns 50 -interval 200ms).
# Each server is started fresh with a temporary config/data directory and stopped
# at the end. Results (JSON) are kept in $LOAD_OUT (default a temp directory).
# Environment: PHONGHOP_LOAD_PORT (18080), CENTRIFUGO_LOAD_PORT (18000),
# PHONGHOP_TOOLS_BIN ($HOME/.cache/phonghop/bin), PHONGHOP_BIN (a phonghop binary
# to use instead of building ./cmd/phonghop).
#
# phonghop's accounts are written into its fresh data directory before it starts,
# with bcrypt's minimum cost (see -seed-data-dir): at the default cost, creating
# and logging in 10,000 delegates takes most of an hour here, and login is not
# what is measured.
set -euo pipefail

usage() { echo "usage: $0 phonghop|centrifugo|bare|compare|checkin|storm|soak|meetings [N] [phonghop-load flags...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
n=${1:-1000}; [ $# -ge 1 ] && shift
case $mode in phonghop|centrifugo|bare|compare|checkin|storm|soak|meetings) ;; *) usage ;; esac
[[ $n =~ ^[0-9]+$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${PHONGHOP_TOOLS_BIN:-$HOME/.cache/phonghop/bin}
CENTRIFUGO_VERSION=v6.9.1
ph_port=${PHONGHOP_LOAD_PORT:-18080}
cf_port=${CENTRIFUGO_LOAD_PORT:-18000}
bare_port=${BARE_LOAD_PORT:-18100}
work=$(mktemp -d "${TMPDIR:-/tmp}/phonghop-load.XXXXXX")
out=${LOAD_OUT:-$work}
mkdir -p "$out"

# Every socket is a descriptor on both ends: lift the soft limit for the servers
# started below (the tool lifts its own).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sockets=$n; [ "$mode" != meetings ] || sockets=$((n * 5))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((sockets + 100)) ]; then
  echo "load: open-file limit $(ulimit -n) is too low for $sockets sockets" >&2; exit 1
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${LOAD_OUT:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { # url pid log
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "load: server exited; its log:" >&2; cat "$3" >&2; exit 1; }
    sleep 0.1
  done
  echo "load: server did not start; its log:" >&2; cat "$3" >&2; exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

echo "load: building phonghop-load" >&2
(cd "$root" && go build -o "$work/phonghop-load" ./cmd/phonghop-load)

run_centrifugo() {
  local stamp="$tools/.centrifugo.version" mod=github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION
  if [ ! -x "$tools/centrifugo" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$mod" ]; then
    echo "load: go install $mod (a few minutes the first time)" >&2
    mkdir -p "$tools"
    GOBIN="$tools" GOFLAGS=-mod=mod go install "$mod"
    echo "$mod" >"$stamp"
  fi
  port_free "$cf_port" || { echo "load: port $cf_port is taken (set CENTRIFUGO_LOAD_PORT)" >&2; exit 1; }
  local key; key=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # Insecure client mode: anonymous connections may subscribe to any channel,
  # which is what a loopback benchmark needs; the HTTP API still wants the key.
  cat >"$work/centrifugo.json" <<JSON
{
  "http_server": {"address": "127.0.0.1", "port": $cf_port},
  "client": {"insecure": true},
  "http_api": {"key": "$key"},
  "log": {"level": "error"}
}
JSON
  "$tools/centrifugo" --config "$work/centrifugo.json" >"$work/centrifugo.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$cf_port/" "$pid" "$work/centrifugo.log"
  echo "load: centrifugo $CENTRIFUGO_VERSION pid $pid on 127.0.0.1:$cf_port" >&2
  "$work/phonghop-load" -target centrifugo -url "http://127.0.0.1:$cf_port" -api-key "$key" \
    -server-pid "$pid" -delegates "$n" -json-out "$out/centrifugo-$n.json" "$@"
  stop "$pid"
}

run_bare() {
  port_free "$bare_port" || { echo "load: port $bare_port is taken (set BARE_LOAD_PORT)" >&2; exit 1; }
  "$work/phonghop-load" -bare-serve "127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$bare_port/healthz" "$pid" "$work/bare.log"
  echo "load: bare write loop pid $pid on 127.0.0.1:$bare_port" >&2
  "$work/phonghop-load" -target bare -url "http://127.0.0.1:$bare_port" \
    -server-pid "$pid" -delegates "$n" -json-out "$out/bare-$n.json" "$@"
  stop "$pid"
}

run_phonghop() {
  local bin=${PHONGHOP_BIN:-} name=phonghop-$n
  if [ "${1:-}" = -name ]; then name=$2; shift 2; fi
  if [ -z "$bin" ]; then
    echo "load: building phonghop" >&2
    (cd "$root" && go build -o "$work/phonghop" ./cmd/phonghop)
    bin=$work/phonghop
  fi
  port_free "$ph_port" || { echo "load: port $ph_port is taken (set PHONGHOP_LOAD_PORT)" >&2; exit 1; }
  local pass; pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  rm -rf "$work/data"; mkdir -p "$work/data"
  "$work/phonghop-load" -seed-data-dir "$work/data" -admin-password "$pass" -delegates "$n"
  PHONGHOP_ADDR="127.0.0.1:$ph_port" PHONGHOP_DATA_DIR="$work/data" PHONGHOP_ADMIN_PASSWORD="$pass" \
    PHONGHOP_LOG_LEVEL=warn "$bin" serve >"$work/phonghop.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_up "http://127.0.0.1:$ph_port/healthz" "$pid" "$work/phonghop.log"
  echo "load: phonghop pid $pid on 127.0.0.1:$ph_port, data in $work/data" >&2
  "$work/phonghop-load" -target phonghop -url "http://127.0.0.1:$ph_port" -admin-password "$pass" \
    -server-pid "$pid" -delegates "$n" -json-out "$out/$name.json" "$@"
  stop "$pid"
}

# Many meetings on a cluster as production runs it (docs/operations.md, "A
# cluster"): three routed nats-servers with JetStream, each meeting's stream with
# 3 replicas; the S3 gateway; two phonghop processes on both. Every socket of
# the run signs in as one of -delegates accounts, each in every meeting, so the
# per-account socket cap is lifted (PHONGHOP_LIVE_SOCKETS_PER_USER=0); the
# accounts' hashes use bcrypt's minimum cost (PHONGHOP_BCRYPT_COST=4): sign-in
# is not what is measured.
run_meetings() {
  local bin=${PHONGHOP_BIN:-} nb s3 i
  nb=$(bash "$root/scripts/tools.sh" nats)
  s3=${PHONGHOP_LOAD_S3_PORT:-18190}
  local nats_ports=(${PHONGHOP_LOAD_NATS_PORTS:-18191 18192 18193}) route_ports=(18194 18195 18196) mon_ports=(18197 18198 18199)
  local ph_ports=("$ph_port" $((ph_port + 1)))
  for p in "$s3" "${nats_ports[@]}" "${route_ports[@]}" "${mon_ports[@]}" "${ph_ports[@]}"; do
    port_free "$p" || { echo "load: port $p is taken" >&2; exit 1; }
  done
  if [ -z "$bin" ]; then
    echo "load: building phonghop" >&2
    (cd "$root" && go build -o "$work/phonghop" ./cmd/phonghop)
    bin=$work/phonghop
  fi
  export PHONGHOP_S3_ACCESS_KEY=phonghop PHONGHOP_S3_SECRET_KEY=phonghop-secret
  bash "$root/scripts/s3gw.sh" "$work/s3" "$s3" >"$work/s3.log" 2>&1 &
  pids+=($!)
  local routes="" urls="" natspids="" phpids="" phurls=""
  for i in 0 1 2; do routes+="${routes:+,}nats://127.0.0.1:${route_ports[i]}"; done
  for i in 0 1 2; do
    mkdir -p "$work/nats$i"
    "$nb/nats-server" -a 127.0.0.1 -p "${nats_ports[i]}" -js -sd "$work/nats$i" -n "n$i" -m "${mon_ports[i]}" \
      --cluster_name phonghop-load --cluster "nats://127.0.0.1:${route_ports[i]}" --routes "$routes" \
      >"$work/nats$i.log" 2>&1 &
    pids+=($!); natspids+="${natspids:+,}$!"
    urls+="${urls:+,}nats://127.0.0.1:${nats_ports[i]}"
  done
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$s3") 2>/dev/null && break; sleep 0.1; done
  # The cluster's JetStream answers once its meta leader is elected: /healthz
  # on every server says so.
  for i in 0 1 2; do
    for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:${mon_ports[i]}/healthz" && break; sleep 0.1; done
  done
  local pass; pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  for i in 0 1; do
    PHONGHOP_ADDR="127.0.0.1:${ph_ports[i]}" PHONGHOP_ADMIN_PASSWORD="$pass" PHONGHOP_LOG_LEVEL=warn \
      PHONGHOP_S3_ENDPOINT="127.0.0.1:$s3" PHONGHOP_S3_BUCKET=phonghop \
      PHONGHOP_NATS_URL="$urls" PHONGHOP_NATS_REPLICAS=3 PHONGHOP_LIVE_SOCKETS_PER_USER=0 PHONGHOP_BCRYPT_COST=4 \
      "$bin" serve >"$work/phonghop$i.log" 2>&1 &
    local pid=$!; pids+=("$pid"); phpids+="${phpids:+,}$pid"
    phurls+="${phurls:+,}http://127.0.0.1:${ph_ports[i]}"
    # /readyz: S3 and the NATS cluster (its meta leader elected) answer.
    for _ in $(seq 1 600); do
      curl -fs -o /dev/null "http://127.0.0.1:${ph_ports[i]}/readyz" && break
      kill -0 "$pid" 2>/dev/null || { echo "load: phonghop exited; its log:" >&2; cat "$work/phonghop$i.log" >&2; exit 1; }
      sleep 0.1
    done
  done
  echo "load: nats pids $natspids, phonghop pids $phpids on $phurls" >&2
  "$work/phonghop-load" -target phonghop -url "$phurls" -admin-password "$pass" -meetings "$n" -delegates 5 \
    -server-pids "$phpids" -nats-pids "$natspids" -wait 60s -json-out "$out/meetings-$n.json" "$@"
}

case $mode in
  centrifugo) run_centrifugo "$@" ;;
  phonghop) run_phonghop "$@" ;;
  bare) run_bare "$@" ;;
  compare)
    run_centrifugo -q -settle 1s "$@"
    echo >&2
    before=()
    if [ -n "${PHONGHOP_BIN_BEFORE:-}" ]; then
      PHONGHOP_BIN=$PHONGHOP_BIN_BEFORE run_phonghop -name "phonghop-before-$n" -q -settle 1s "$@"
      echo >&2
      before=("$out/phonghop-before-$n.json")
    fi
    run_phonghop -q -settle 1s "$@"
    echo >&2
    run_bare -q -settle 1s "$@"
    echo
    "$work/phonghop-load" -table "$out/centrifugo-$n.json" "${before[@]}" "$out/phonghop-$n.json" "$out/bare-$n.json"
    ;;
  checkin)
    wave=(-turns 0 -settle 1s -checkin-wave 10s -wait 60s)
    if [ -n "${PHONGHOP_BIN_BEFORE:-}" ]; then
      PHONGHOP_BIN=$PHONGHOP_BIN_BEFORE run_phonghop -name "checkin-before-$n" -q "${wave[@]}" "$@"
      echo >&2
      run_phonghop -name "checkin-$n" -q "${wave[@]}" "$@"
      echo
      "$work/phonghop-load" -table "$out/checkin-before-$n.json" "$out/checkin-$n.json"
    else
      run_phonghop -name "checkin-full-$n" -q "${wave[@]}" -attendance full "$@"
      echo >&2
      run_phonghop -name "checkin-$n" -q "${wave[@]}" -attendance delta "$@"
      echo
      "$work/phonghop-load" -table "$out/checkin-full-$n.json" "$out/checkin-$n.json"
    fi
    ;;
  storm) run_phonghop -name "storm-$n" -storm -settle 1s -wait 60s "$@" ;;
  soak) run_phonghop -name "soak-$n" -soak 30m -settle 10s -wait 60s "$@" ;;
  meetings) run_meetings "$@" ;;
esac
[ -z "${LOAD_OUT:-}" ] || echo "load: results in $out" >&2
