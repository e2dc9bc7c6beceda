#!/usr/bin/env bash
# Lambda custom runtime tests: examples/lambda_bootstrap.c against a Runtime API stand-in
# (tests/lambda/runtime.js) and, for --s3, tests/s3/server.js behind the stand-in's fault
# proxy. 127.0.0.1 only; every server is stopped by the trap and stops itself after --ttl.
# usage: tests/lambda/run.sh [BOOTSTRAP [CLI]]   (else both are built here, with sanitizers)
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
RT='' S3SRV='' # the servers running, by pid
stop() { if [ -n "$1" ]; then kill "$1" 2> /dev/null; wait "$1" 2> /dev/null; fi; }
cleanup() {
    stop "$RT"
    stop "$S3SRV"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

WARN="-std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion"
SAN="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
BIN=${1:-}
CLI=${2:-}
mkdir -p build/lambda
if [ -z "$BIN" ]; then
    BIN=build/lambda/lambda_bootstrap
    # shellcheck disable=SC2086 # flag lists
    ${CC:-cc} $WARN $SAN -DDDBS_WITH_S3 -o "$BIN" examples/lambda_bootstrap.c examples/cli.c \
        examples/s3_put.c -lcurl || exit 1
fi
if [ -z "$CLI" ]; then
    CLI=build/lambda/ddbstream
    # shellcheck disable=SC2086
    ${CC:-cc} $WARN -O2 -o "$CLI" examples/ddbstream.c examples/cli.c || exit 1
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# wait_port FILE WORD: the port a server printed as "WORD n"
wait_port() {
    for _ in $(seq 200); do grep -q "^$2 " "$1" && break; sleep 0.05; done
    awk -v w="$2" '$1 == w { print $2 }' "$1"
}
# runtime LOG ARGS... : starts the Runtime API stand-in, sets PORT (and PROXY with --s3)
runtime() {
    local log=$1 out=$T/rt.$RANDOM; shift
    : > "$log"
    : > "$out"
    node tests/lambda/runtime.js --ttl 50 --log "$log" "$@" > "$out" &
    RT=$!
    PORT=$(wait_port "$out" PORT)
    case " $* " in *" --s3 "*) PROXY=$(wait_port "$out" S3PROXY) ;; esac
    [ -n "$PORT" ] || { bad "runtime.js did not start"; exit 1; }
}
# boot DDBSTREAM_ARGS [VAR=value...]: the runtime until the stand-in's queue is empty,
# then the stand-in is stopped (its log is complete: written before each answer)
boot() {
    local args=$1; shift
    env "$@" AWS_LAMBDA_RUNTIME_API="127.0.0.1:$PORT" DDBSTREAM_ARGS="$args" \
        timeout 20 "$BIN" > "$T/out" 2> "$T/err"
    rc=$?
    stop "$RT"
    RT=
}
# cli DIR ARGS FILE...: the CLI's objects for the same events, one run per event, in order
cli() {
    local dir=$1 args=$2 f; shift 2
    # shellcheck disable=SC2086 # args is a flag list
    for f in "$@"; do "$CLI" $args --out-dir "$dir" "$f" 2> /dev/null; done
}
objects() { (cd "$1" && find . -type f | sort); }
responses() { grep -c "^response .* {\"batchItemFailures\":\[\]}$" "$1"; }
seq_of() { printf '400000000000000%03d000' "$1"; } # gen.js's k-th SequenceNumber
failure() { printf '{"batchItemFailures":[{"itemIdentifier":"%s"}]}' "$(seq_of "$1")"; }

node tests/lambda/gen.js 12 --hour-split 6 > "$T/gen.json"
node tests/lambda/gen.js 12 --bad 7 > "$T/bad.json"
node tests/lambda/gen.js 12 --bad 7 --seq-first > "$T/bad-seq-first.json"
node tests/lambda/gen.js 12 --big 5 > "$T/big.json"
{ printf '\357\273\277'; cat "$T/bad.json"; } > "$T/bad-bom.json"
# two events in one body: the library counts records across both, Records[] does not
{ node tests/lambda/gen.js 12; node tests/lambda/gen.js 12 --bad 7 --seq-first; } > "$T/two-docs.json"
echo '{"hello":"world"}' > "$T/not-stream.json"
echo '{"Records":[]}' > "$T/empty.json"
SAMPLES="aws-aws-lambda-go/dynamodb-event.json aws-aws-lambda-dotnet/dynamodb-event.json
aws-aws-lambda-java-libs/dynamo_event.json aws-powertools-powertools-lambda-java/dynamo_event_big.json
aws-aws-sam-cli/DynamoDBUpdate.json aws-powertools-powertools-lambda-python/dynamoStreamEvent.json"
EVENTS=()
for s in $SAMPLES; do EVENTS+=("tests/data/$s"); done
EVENTS+=("$T/gen.json" "$T/empty.json")
check "gen.js: 12 records, Lambda's key order" \
    test "$(grep -c SequenceNumber "$T/gen.json")" = 12 -a "$(seq_of 12)" = 400000000000000012000

echo "== 1. --out-dir: every batch stored, same objects as the CLI"
for args in "--max-records 5" "--format csv --columns id,name,SequenceNumber --partition hour --prefix p/"; do
    runtime "$T/log1" "${EVENTS[@]}"
    boot "$args --out-dir $T/l1"
    check "[$args] exits 0 when the API says stop" test $rc = 0
    got="$(responses "$T/log1") $(wc -l < "$T/log1") $(tail -n1 "$T/log1")"
    check "[$args] ${#EVENTS[@]} answers, all batchItemFailures []" \
        test "$got" = "${#EVENTS[@]} $((2 * ${#EVENTS[@]} + 1)) next-empty"
    cli "$T/c1" "$args" "${EVENTS[@]}"
    check "[$args] objects equal the CLI's ($(objects "$T/c1" | wc -l) objects)" \
        diff -r "$T/l1" "$T/c1"
    check "[$args] stderr: only the exit (no stats, no progress)" \
        test "$(cat "$T/err")" = "lambda_bootstrap: /invocation/next: HTTP 500, exiting"
    rm -rf "$T/l1" "$T/c1"
done

echo "== 2a. --out-dir: the second object cannot be stored"
# gen.json's records 6-12 are an hour later: their object's directory is a file here
for d in "$T/l2" "$T/c2"; do mkdir -p "$d/2023/11/14" && : > "$d/2023/11/14/23"; done
runtime "$T/log2" "$T/gen.json"
boot "--max-records 5 --out-dir $T/l2"
check "names the first record of the object not stored (6)" \
    grep -qxF "response gen.json $(failure 6)" "$T/log2"
check "says why on stderr" grep -q 'object not stored: .*Not a directory' "$T/err"
cli "$T/c2" "--max-records 5" "$T/gen.json"
check "records 1-5 stored, nothing after: same as the CLI" \
    test "$(objects "$T/l2")" = "$(printf './2023/11/14/22/%s-%s.ndjson\n./2023/11/14/23' "$(seq_of 1)" "$(seq_of 5)")"
check "... and the same bytes as the CLI's" diff -r "$T/l2" "$T/c2"

echo "== 2b. --s3: a PUT fails mid-batch, Lambda's retry stores the rest once"
if [ -d tests/s3/node_modules ]; then
    mkdir "$T/s3"
    : > "$T/s3.port"
    node tests/s3/server.js --dir "$T/s3" --ttl 50 > "$T/s3.port" &
    S3SRV=$!
    S3PORT=$(wait_port "$T/s3.port" PORT)
    # the 2nd object gets 503 for 2 tries: the first call gives up (2 tries), the retry works
    runtime "$T/log3" --s3 "$S3PORT" --fail-put 2 --fail-times 2 --redeliver 2 "$T/gen.json"
    boot "--max-records 4 --s3 http://127.0.0.1:$PROXY/archive/cdc/" AWS_ACCESS_KEY_ID=S3RVER \
        AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 DDBS_S3_RETRIES=2 DDBS_S3_BACKOFF_MS=10
    check "exits 0" test $rc = 0
    check "first call: one object stored, then the failure names record 5" test \
        "$(sed -n '1,/^response/p' "$T/log3" | grep -c ' 200$')$(grep -m1 '^response' "$T/log3")" \
        = "1response gen.json $(failure 5)"
    check "the retried batch (records 5-12) is all stored" \
        grep -qx 'response gen.json#1 {"batchItemFailures":\[\]}' "$T/log3"
    check "4 PUTs stored, 2 refused, nothing else" test \
        "$(grep -c ' 200$' "$T/log3") $(grep -c ' 503$' "$T/log3") $(wc -l < "$T/log3")" = "3 2 10"
    mkdir "$T/s3tree"
    (cd "$T/s3/archive" && find . -name '*._S3rver_object') | while read -r f; do
        mkdir -p "$T/s3tree/$(dirname "$f")" && cp "$T/s3/archive/$f" "$T/s3tree/${f%._S3rver_object}"
    done
    cli "$T/c3" "--max-records 4 --prefix cdc/" "$T/gen.json"
    check "every record stored exactly once: the store equals the CLI's objects" \
        diff -r "$T/s3tree" "$T/c3"
    stop "$S3SRV"
    S3SRV=''
else
    echo "skip 2b: tests/s3/node_modules missing (make tests/s3/node_modules)"
fi

echo "== 3. a bad record mid-batch"
for ev in bad bad-seq-first bad-bom; do
    runtime "$T/log4" "$T/$ev.json"
    boot "--max-records 4 --out-dir $T/l4"
    check "[$ev] names the bad record (7)" grep -qxF "response $ev.json $(failure 7)" "$T/log4"
    cli "$T/c4" "--max-records 4" "$T/$ev.json"
    check "[$ev] records 1-6 stored (2 objects), as the CLI stores them" \
        test "$(objects "$T/l4" | wc -l)" = 2 -a -z "$(diff -r "$T/l4" "$T/c4")"
    rm -rf "$T/l4" "$T/c4"
done

runtime "$T/log4" "$T/big.json"
boot "--max-records 4 --max-bytes 1024 --out-dir $T/l4"
check "[big] a record larger than --max-bytes is named (5)" \
    grep -qxF "response big.json $(failure 5)" "$T/log4"
check "[big] records 1-4 stored (1 object)" test "$(objects "$T/l4" | wc -l)" = 1

echo "== 4. no record can be named: /invocation/error"
runtime "$T/log5" "$T/not-stream.json" "$T/two-docs.json"
boot "--out-dir $T/l5"
check "a non-stream event is an invocation error" \
    grep -q '^error not-stream.json Ddbstream.BadInput {"errorMessage":"[^"]*","errorType":"Ddbstream.BadInput"}$' "$T/log5"
check "so is a record the event's Records[] cannot tell (two documents)" \
    grep -q '^error two-docs.json Ddbstream.BadInput ' "$T/log5"
{ printf '{"Records":[],"pad":"'; head -c 9000000 /dev/zero | tr '\0' x; echo '"}'; } > "$T/huge.json"
runtime "$T/log5" "$T/huge.json" "$T/empty.json"
boot "--out-dir $T/l5"
check "an event over 8 MiB is an invocation error, the next one is served" test "$(cat "$T/log5")" = \
    "$(printf '%s\n' 'next huge.json' 'error huge.json Ddbstream.EventTooLarge {"errorMessage":"event larger than 8 MiB","errorType":"Ddbstream.EventTooLarge"}' 'next empty.json' 'response empty.json {"batchItemFailures":[]}' next-empty)"

echo "== 5. bad DDBSTREAM_ARGS: /runtime/init/error, exit 1"
runtime "$T/log6"
boot "--out-dir $T/l6 --bogus"
check "unknown option: init error with the CLI's message, no invocation" test $rc = 1 -a \
    "$(cat "$T/log6")" = 'init-error Ddbstream.ConfigError {"errorMessage":"ddbstream: unknown option: --bogus\nTry '"'"'ddbstream --help'"'"'.","errorType":"Ddbstream.ConfigError"}'
for args in "" "--format batchwrite --table T" "--out-dir $T/l6 --skip-bad" "--out-dir $T/l6 x.json"; do
    runtime "$T/log7"
    boot "$args"
    check "[$args] refused at init" test $rc = 1 -a "$(grep -c '^init-error ' "$T/log7")" = 1 \
        -a "$(wc -l < "$T/log7")" = 1
done

runtime "$T/log7"
boot "--s3 http://127.0.0.1:9/archive/x/" -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY
check "S3 without credentials: init error naming them" test $rc = 1 -a \
    -n "$(grep -l '^init-error Ddbstream.ConfigError .*AWS_ACCESS_KEY_ID' "$T/log7")"

echo "== 6. the Runtime API is gone"
PORT=1
boot "--out-dir $T/l8"
check "exits 1" test $rc = 1 -a -n "$(grep -l 'invocation/next' "$T/err")"

echo "lambda: $pass passed, $fail failed"
[ "$fail" = 0 ]
