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
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
idp_port=$(freeport)
export PHONGHOP_ADMIN_PASSWORD=e2e-quan-tri-2026
pid= idp_pid=
cleanup() {
  for p in $pid $idp_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The province's identity provider: zitadel/oidc's example OpenID provider
# with a groups claim and a session of its own with the browser
# (internal/oidctest/idp). oidc.test.js signs in and out through it; phonghop's
# sign-in screen (PUBLIC_URL/) is its registered post-logout redirect URI.
go build -o "$work/idp" ./internal/oidctest/idp
cat >"$work/idp-users.json" <<'JSON'
{
  "p1": {"ID": "p1", "Username": "nguyen.van.an", "Password": "tinh-matkhau-1", "FirstName": "Nguyễn Văn", "LastName": "An",
         "Email": "an.nv@thapmuoi.gov.vn", "EmailVerified": true, "Groups": ["phonghop-admin", "unit:UBND huyện Tháp Mười"]},
  "p2": {"ID": "p2", "Username": "tran.thi.binh", "Password": "tinh-matkhau-2", "FirstName": "Trần Thị", "LastName": "Bình",
         "Email": "binh.tt@thapmuoi.gov.vn", "EmailVerified": true, "Groups": ["unit:Văn phòng HĐND và UBND huyện"]},
  "p3": {"ID": "p3", "Username": "le.van.khoa", "Password": "tinh-matkhau-3", "FirstName": "Lê Văn", "LastName": "Khoa",
         "Email": "khoa.lv@thapmuoi.gov.vn", "EmailVerified": true, "Groups": []},
  "p4": {"ID": "p4", "Username": "admin", "Password": "tinh-matkhau-4", "FirstName": "Người", "LastName": "Lạ",
         "Email": "nguoi.la@example.org", "EmailVerified": true, "Groups": []}
}
JSON
PORT=$idp_port USERS_FILE="$work/idp-users.json" REDIRECT_URI="http://127.0.0.1:$port/api/v1/auth/oidc/callback" \
  POST_LOGOUT_REDIRECT_URI="http://127.0.0.1:$port/" "$work/idp" >"$work/idp.log" 2>&1 &
idp_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://localhost:$idp_port/.well-known/openid-configuration" >/dev/null && break
  kill -0 "$idp_pid" 2>/dev/null || { cat "$work/idp.log" >&2; echo "e2e: identity provider exited" >&2; exit 1; }
  sleep 0.2
done
export PHONGHOP_E2E_IDP_URL="http://localhost:$idp_port"

PHONGHOP_DATA_DIR="$work/data" PHONGHOP_ADDR="127.0.0.1:$port" PHONGHOP_LOG_LEVEL=warn \
  PHONGHOP_PUBLIC_URL="http://127.0.0.1:$port" PHONGHOP_OIDC_ISSUER="$PHONGHOP_E2E_IDP_URL/" \
  PHONGHOP_OIDC_CLIENT_ID=web PHONGHOP_OIDC_CLIENT_SECRET=secret \
  PHONGHOP_OIDC_ADMIN_GROUP=phonghop-admin PHONGHOP_OIDC_UNIT_PREFIX=unit: \
  "$BIN" demo >"$work/server.out" 2>"$work/server.log" &
pid=$!

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
