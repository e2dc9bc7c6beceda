#!/usr/bin/env bash
# S3 uploader tests: examples/s3_put.c against s3rver, on 127.0.0.1 only, started here and
# always stopped. Usage: [CC=clang] [CFLAGS="-fsanitize=address,undefined ..."] tests/s3/run.sh
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
B=build/s3
mkdir -p "$B"
[ -d tests/s3/node_modules ] || (cd tests/s3 && npm ci --no-audit --no-fund --loglevel=error)
BIN=$B/test_s3-$(basename "$CC")
# shellcheck disable=SC2086 # CFLAGS is a list of flags
"$CC" -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion ${CFLAGS:--O2 -g} \
    -Iexamples -o "$BIN" tests/s3/test_s3.c examples/s3_put.c -lcurl

export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost # loopback only, never via a proxy
TMP=$(mktemp -d)
SRV=
cleanup() {
    if [ -n "$SRV" ]; then kill "$SRV" 2> /dev/null || true; wait "$SRV" 2> /dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$TMP/main"
# --ttl: the server stops by itself even if this script is killed with SIGKILL
node tests/s3/server.js --dir "$TMP/main" --ttl 120 > "$TMP/port" &
SRV=$!
for _ in $(seq 150); do grep -q '^PORT ' "$TMP/port" && break; sleep 0.1; done
PORT=$(awk '/^PORT /{print $2}' "$TMP/port")
[ -n "$PORT" ] || { echo "s3: server.js did not start"; exit 1; }

echo "== s3 ($CC ${CFLAGS:-})"
S3T_PORT=$PORT S3T_DIR=$TMP/main S3T_TMP=$TMP S3T_SERVER_JS=tests/s3/server.js S3T_NODE=node \
    timeout 100 "$BIN"
