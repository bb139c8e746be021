#!/usr/bin/env bash
# Runs Versity's S3 gateway (versitygw, Apache-2.0) in the foreground on loopback,
# keeping objects as files under DIR, for development and local cluster scripts:
#
#   scripts/s3gw.sh DIR PORT
#
# Credentials come from PHONGHOP_S3_ACCESS_KEY and PHONGHOP_S3_SECRET_KEY (the
# names phonghop itself reads), defaulting to phonghop / phonghop-secret, so
#   PHONGHOP_S3_ENDPOINT=127.0.0.1:PORT PHONGHOP_S3_BUCKET=phonghop phonghop serve
# finds it with the same environment. Set PHONGHOP_S3GW_ADDR to listen elsewhere
# than 127.0.0.1. Installs versitygw with scripts/tools.sh on first use.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DIR PORT" >&2
  exit 2
fi
dir=$1 port=$2
case $port in ''|*[!0-9]*) echo "s3gw: PORT must be a number, got '$port'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_bin=$(bash "$here/tools.sh" s3)
mkdir -p "$dir"
addr=${PHONGHOP_S3GW_ADDR:-127.0.0.1}
export ROOT_ACCESS_KEY=${PHONGHOP_S3_ACCESS_KEY:-phonghop}
export ROOT_SECRET_KEY=${PHONGHOP_S3_SECRET_KEY:-phonghop-secret}
echo "s3gw: http://$addr:$port  access key $ROOT_ACCESS_KEY  data in $dir" >&2
exec "$tools_bin/versitygw" --port "$addr:$port" posix "$dir"
