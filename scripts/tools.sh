#!/usr/bin/env bash
# Installs the tools the tests need, once, into a cache outside the clone so a fresh
# CI clone reuses them. Prints nothing when everything is already there.
set -euo pipefail
TOOLS_BIN=${PHONGHOP_TOOLS_BIN:-$HOME/.cache/phonghop/bin}
mkdir -p "$TOOLS_BIN"

VERSITYGW_VERSION=v1.8.0
NATS_SERVER_VERSION=v2.15.2
HELM_VERSION=v3.22.0
GOVULNCHECK_VERSION=v1.9.0
STATICCHECK_VERSION=v0.8.2
# The one version of the Go vulnerability database the module proxy serves here
# (golang.org/x/vulndb; others are refused). Its reports are turned into the
# database govulncheck reads by the module's own cmd/gendb.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
VULNDB_DIR=${PHONGHOP_VULNDB_DIR:-$(dirname "$TOOLS_BIN")/vulndb-$VULNDB_VERSION}

need_go_tool() { # name module@version
  local name=$1 mod=$2 stamp="$TOOLS_BIN/.$1.version"
  if [ -x "$TOOLS_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return; fi
  echo "tools: go install $mod" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$mod"
  echo "$mod" >"$stamp"
}

apt_updated=
apt_update_once() {
  [ -n "$apt_updated" ] && return
  echo "tools: apt-get update" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  apt_updated=1
}
need_apt() { # command package...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return
  apt_update_once
  echo "tools: apt-get install $*" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_vulndb builds the vulnerability database once into $VULNDB_DIR (about a
# minute): gendb wants a git repository, so it runs over a committed copy of the
# module. Built beside the target and renamed into place, so an interrupted or
# concurrent run never leaves half a database.
need_vulndb() {
  [ -f "$VULNDB_DIR/index/db.json" ] && return
  echo "tools: building the Go vulnerability database golang.org/x/vulndb@$VULNDB_VERSION" >&2
  local src work
  mkdir -p "$(dirname "$VULNDB_DIR")"
  work=$(mktemp -d "$(dirname "$VULNDB_DIR")/.vulndb.XXXXXX")
  # Outside any module, so nothing here touches a go.mod or go.sum.
  src=$(cd "$work" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "tools: golang.org/x/vulndb@$VULNDB_VERSION could not be downloaded" >&2; rm -rf "$work"; exit 1; }
  cp -R "$src" "$work/repo"
  chmod -R u+w "$work/repo"
  (cd "$work/repo" && go build -o "$work/gendb" ./cmd/gendb) || { rm -rf "$work"; exit 1; }
  (cd "$work/repo" && git init -q && git add -A &&
    git -c user.name=phonghop -c user.email=tools@phonghop.invalid -c commit.gpgsign=false -c gc.auto=0 -c maintenance.auto=false commit -q -m "golang.org/x/vulndb@$VULNDB_VERSION")
  (cd "$work/repo" && "$work/gendb" -repo . -out "$work/db" >/dev/null 2>"$work/gendb.log") ||
    { cat "$work/gendb.log" >&2; rm -rf "$work"; exit 1; }
  if [ ! -f "$VULNDB_DIR/index/db.json" ]; then
    rm -rf "$VULNDB_DIR"
    mv "$work/db" "$VULNDB_DIR"
  fi
  rm -rf "$work"
}

# need_pkgs package...: installs those not installed yet (fonts have no command to look for).
need_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  apt_update_once
  echo "tools: apt-get install ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

what=${1:-all}
case $what in
  s3|all) need_go_tool versitygw github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION ;;&
  nats|all) need_go_tool nats-server github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION ;;&
  pdf|all) need_apt pdftotext poppler-utils; need_apt qpdf qpdf ;;&
  browser|all) need_apt chromium chromium ;;&
  helm|all) need_go_tool helm helm.sh/helm/v3/cmd/helm@$HELM_VERSION ;;&
  lint|all) need_go_tool staticcheck honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION ;;&
  vuln|all) need_go_tool govulncheck golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION; need_vulndb ;;&
  # LibreOffice converts office documents to PDF (convert/); the Word-metric fonts
  # keep its pages breaking where Word breaks them (else it falls back to DejaVu).
  office|all) need_pkgs libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
                fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea ;;&
  *) ;;
esac
# `tools.sh vulndb` prints where the database is; everything else the tools' directory.
if [ "$what" = vulndb ]; then need_vulndb; echo "$VULNDB_DIR"; else echo "$TOOLS_BIN"; fi
