#!/usr/bin/env bash
# Known vulnerabilities: fails when the code reaches one.
#
# Go: govulncheck (scripts/tools.sh installs it and builds the database once from
# golang.org/x/vulndb, cached beside the other tools) over every package, with the
# standard library of the toolchain go.mod names (GOTOOLCHAIN=auto brings it
# through the module proxy). It exits non-zero on any vulnerability whose code is
# reachable from ours; ones only in modules we require but never call are listed
# by `-show verbose` and do not fail.
#
# Web app: `npm audit --omit=dev` over frontend/package-lock.json (only what ships
# in the bundle). The registry reached here refuses the audit endpoint (405 on
# POST .../security/advisories/bulk), so the check says so and passes; where the
# registry answers, any advisory fails it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN_VULNCHECK:-auto}

tools_bin=$(bash "$here/tools.sh" vuln)
db=$(bash "$here/tools.sh" vulndb)
cd "$root"
echo "vulncheck: govulncheck with $(go env GOVERSION) against golang.org/x/vulndb ($(basename "$db"))" >&2
"$tools_bin/govulncheck" -db "file://$db" ./...

cd "$root/frontend"
out=$(npm audit --omit=dev --package-lock-only --json 2>/dev/null) && code=0 || code=$?
verdict=$(printf '%s' "$out" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("unreadable"); sys.exit()
if "statusCode" in d or ("error" in d and "metadata" not in d):
    print("refused %s" % (d.get("message") or d.get("error", {}).get("summary") or d.get("statusCode", "")))
else:
    v = d.get("metadata", {}).get("vulnerabilities", {})
    print("found %d" % sum(n for k, n in v.items() if k != "total"))
')
case $verdict in
  "found 0") echo "vulncheck: npm audit --omit=dev: no advisories" >&2 ;;
  found*) printf '%s\n' "$out" >&2; echo "vulncheck: npm audit --omit=dev: ${verdict#found } advisories" >&2; exit 1 ;;
  refused*) echo "vulncheck: npm audit --omit=dev not checked: the registry refused the audit request (${verdict#refused }); see docs/operations.md" >&2 ;;
  *) printf '%s\n' "$out" >&2; echo "vulncheck: npm audit gave no readable answer (exit $code)" >&2; exit 1 ;;
esac
