#!/usr/bin/env bash
# The TTL archive pipeline end to end against a local s3rver (127.0.0.1, stopped on exit):
# usage: tests/s3/pipeline.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/s3"
node "$HERE/ttl_pipeline.js" gen "$T/events.json" "$T/expected.json" || exit 1
node "$HERE/server.js" --dir "$T/s3" --ttl 120 > "$T/port" 2> "$T/server.err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^PORT' "$T/port" && break; sleep 0.1; done
PORT=$(awk '/^PORT/ {print $2}' "$T/port")
[ -n "$PORT" ] || { echo "s3rver did not start"; cat "$T/server.err"; exit 1; }
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 NO_PROXY=127.0.0.1 \
    timeout 120 "$BIN" --ttl-only --shape item --max-records 10000 --stats \
    --s3 "http://127.0.0.1:$PORT/archive/ttl/" "$T/events.json" 2> "$T/err"
rc=$?
cat "$T/err"
[ $rc = 0 ] || { echo "pipeline: ddbstream exited $rc"; echo "pipeline: 0 passed, 1 failed"; exit 1; }
if node "$HERE/ttl_pipeline.js" check "$T/expected.json" "$T/s3"; then
    echo "pipeline: 1 passed, 0 failed"
else
    echo "pipeline: 0 passed, 1 failed"
    exit 1
fi
