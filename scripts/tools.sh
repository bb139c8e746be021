#!/usr/bin/env bash
# Installs the tools the tests need, once, into a cache outside the clone so a fresh
# CI clone reuses them. Prints nothing when everything is already there.
set -euo pipefail
TOOLS_BIN=${PHONGHOP_TOOLS_BIN:-$HOME/.cache/phonghop/bin}
mkdir -p "$TOOLS_BIN"

VERSITYGW_VERSION=v1.8.0
NATS_SERVER_VERSION=v2.15.2

need_go_tool() { # name module@version
  local name=$1 mod=$2 stamp="$TOOLS_BIN/.$1.version"
  if [ -x "$TOOLS_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return; fi
  echo "tools: go install $mod" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$mod"
  echo "$mod" >"$stamp"
}

apt_updated=
need_apt() { # command package...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return
  if [ -z "$apt_updated" ]; then
    echo "tools: apt-get update" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  echo "tools: apt-get install $*" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

what=${1:-all}
case $what in
  s3|all) need_go_tool versitygw github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION ;;&
  nats|all) need_go_tool nats-server github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION ;;&
  pdf|all) need_apt pdftotext poppler-utils; need_apt qpdf qpdf ;;&
  browser|all) need_apt chromium chromium ;;&
  *) ;;
esac
echo "$TOOLS_BIN"
