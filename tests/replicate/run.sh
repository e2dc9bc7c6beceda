#!/usr/bin/env bash
# replicate tests: examples/replicate.c against dynalite behind a fault-injecting, SigV4-checking
# proxy (server.js), all on 127.0.0.1, started here and always stopped. Ends with
# "replicate: N passed, M failed". Usage: [CC=clang] [CFLAGS="-fsanitize=..."] tests/replicate/run.sh
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
B=build/replicate-test
mkdir -p "$B"
[ -d tests/replicate/node_modules ] || (cd tests/replicate && npm ci --no-audit --no-fund --loglevel=error)
make -s build/ddbstream
BIN=$B/replicate-$(basename "$CC")
# shellcheck disable=SC2086 # CFLAGS is a list of flags
"$CC" -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion ${CFLAGS:--O2 -g} \
    -o "$BIN" examples/replicate.c -lcurl

export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost # loopback only, never via a proxy
TMP=$(mktemp -d)
SRV=
cleanup() {
    if [ -n "$SRV" ]; then kill "$SRV" 2> /dev/null || true; wait "$SRV" 2> /dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# --ttl: the server stops by itself even if this script is killed with SIGKILL
(cd tests/replicate && exec node server.js --ttl 120) > "$TMP/port" &
SRV=$!
for _ in $(seq 150); do grep -qs '^PORT ' "$TMP/port" && break; sleep 0.1; done
read -r _ DPORT PPORT < "$TMP/port" || true
[ -n "${PPORT:-}" ] || { echo "replicate: server.js did not start"; echo "replicate: 0 passed, 1 failed"; exit 1; }

echo "== replicate ($CC ${CFLAGS:-})"
REPLICATE=$BIN DDBSTREAM=build/ddbstream DYNALITE_PORT=$DPORT PROXY_PORT=$PPORT TMP=$TMP \
    timeout 100 node tests/replicate/test.js
