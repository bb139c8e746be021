#!/usr/bin/env bash
# Runs the browser tests: a throw-away phonghop (demo seeded, embedded store) on a
# free loopback port, then the e2e suite in Debian's chromium. Needs bin/phonghop
# built with the web app (make build) and chromium (scripts/tools.sh browser).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${PHONGHOP_BIN:-bin/phonghop}
[ -x "$BIN" ] || { echo "e2e: $BIN missing: run make build" >&2; exit 1; }
bash scripts/tools.sh browser >/dev/null

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PHONGHOP_ADMIN_PASSWORD=e2e-admin-pass
PHONGHOP_DATA_DIR="$work/data" PHONGHOP_ADDR="127.0.0.1:$port" PHONGHOP_LOG_LEVEL=warn \
  "$BIN" demo >"$work/server.out" 2>"$work/server.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  grep -q '^phonghop demo:' "$work/server.out" 2>/dev/null && curl -fs "$url/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "e2e: server exited" >&2; exit 1; }
  sleep 0.5
done
curl -fs "$url/readyz" >/dev/null || { echo "e2e: server not ready" >&2; exit 1; }

cd e2e
[ -d node_modules/playwright-core ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error
# Arguments pick test files (relative to e2e/); none runs them all.
if [ $# -gt 0 ]; then
  PHONGHOP_E2E_URL="$url" node --test --test-concurrency=1 "$@"
else
  PHONGHOP_E2E_URL="$url" npm test
fi
