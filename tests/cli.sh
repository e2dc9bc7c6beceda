#!/usr/bin/env bash
# CLI behaviour: options, exit codes, messages, constant memory on big inputs.
# usage: tests/cli.sh SANITIZED_BIN PLAIN_BIN [TSAN_BIN]   (memory is measured on the plain
# build; the ThreadSanitizer build, when given, runs the --jobs checks once more)
set -u
shopt -s lastpipe   # the memory checks read variables set at the end of a pipeline
BIN=$1
FAST=$2
TSAN=${3:-}
DATA=$(cd "$(dirname "$0")/data" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# run CMD...: sets rc, out (stdout file), err (stderr file)
run() { "$@" > "$T/out" 2> "$T/err"; rc=$?; }

SAMPLE=$DATA/aws-aws-lambda-go/dynamodb-event.json
TRUNC=$DATA/aws-aws-lambda-go/dynamodb-event-malformed.2.json

run "$BIN" --help
check "--help exits 0 and prints usage" test $rc = 0 -a -n "$(grep -l '^usage: ddbstream' "$T/out")"
run "$BIN" --version
check "--version prints the version" grep -qx 'ddbstream 0.1.0' "$T/out"
run "$BIN" --bogus
check "unknown option exits 2" test $rc = 2
run "$BIN" --events INSERT,FOO
check "bad --events exits 2 naming the value" test $rc = 2 -a -n "$(grep -l 'INSERT,FOO' "$T/err")"
run "$BIN" --shape
check "missing option value exits 2" test $rc = 2
run "$BIN" "$T/no-such-file"
check "missing file exits 3" test $rc = 3 -a -n "$(grep -l 'No such file' "$T/err")"
run "$BIN" "$SAMPLE"
cp "$T/out" "$T/sample.out"
check "sample converts, 2 lines" test $rc = 0 -a "$(wc -l < "$T/out")" = 2
"$BIN" < "$SAMPLE" > "$T/stdin.out"
check "stdin and file give the same bytes" cmp -s "$T/stdin.out" "$T/sample.out"
if [ -w /dev/full ]; then
    run "$BIN" "$SAMPLE"
    "$BIN" "$SAMPLE" > /dev/full 2> "$T/err"; rc=$?
    check "write error exits 3" test $rc = 3 -a -n "$(grep -l 'write error' "$T/err")"
fi

run "$BIN" "$TRUNC"
check "truncated sample exits 1" test $rc = 1
check "truncated sample: message with byte offset and record" \
    grep -q 'input ended inside a document at byte 2968 (record 2)$' "$T/err"
check "truncated sample: the whole first record only" test "$(wc -l < "$T/out")" = 1

# --skip-bad: good, bad (NULL:false), garbage, good; the bad ones reported with offsets
good=$(tr -d '\n' < "$DATA/awsdocs-aws-lambda-developer-guide/dynamodb-record.json")
{
    echo "$good"
    echo '{"Records":[{"eventName":"INSERT","dynamodb":{"NewImage":{"a":{"NULL":false}}}}]}'
    echo '{"Records":[{"eventName":"INSERT",,'
    echo "$good"
} > "$T/mixed.json"
run "$BIN" --skip-bad --stats "$T/mixed.json"
check "--skip-bad keeps the 4 good records" test "$(wc -l < "$T/out")" = 4
check "--skip-bad reports each bad document with its offset" \
    test "$(grep -c 'at byte [0-9]* (record [0-9]*), document skipped' "$T/err")" = 2
check "--skip-bad counts and exits 1" test $rc = 1 -a -n "$(grep -l 'skipped 2 bad documents' "$T/err")"
check "--stats reports records in and out" grep -q '4 records in, 4 out' "$T/err"
run "$BIN" "$T/mixed.json"
check "without --skip-bad the first bad document stops the run" \
    test $rc = 1 -a "$(wc -l < "$T/out")" = 2

run "$BIN" --events REMOVE --shape item --ttl-only "$DATA/aws-aws-lambda-dotnet/dynamodb-event.json"
check "--ttl-only --shape item gives the OldImage of the TTL delete" \
    test "$(cat "$T/out")" = '{"val":"data","asdf1":"AAEqQQ==","asdf2":["AAEqQQ==","QSoBAA==","AAEqQQ=="],"key":"binary"}'
run "$BIN" --images new --numbers-as-strings "$DATA/aws-aws-sam-cli/DynamoDBUpdate.json"
check "--images new --numbers-as-strings" \
    test "$(sed -n 2p "$T/out")" = '{"eventName":"MODIFY","eventID":"c81e728d9d4c2f636f067f89cc14862c","SequenceNumber":"4421584500000000017450439092","ApproximateCreationDateTime":1428537600,"NewImage":{"Message":"This item has changed","Id":"101"}}'

head -c 100000 /dev/zero | tr '\0' '[' | sed 's/^/{"Records":[],"x":/' > "$T/deep.json"
run "$BIN" "$T/deep.json"
check "100,000 nested [ is a depth error at byte 113 (96th level)" \
    grep -q 'nested too deep at byte 113 ' "$T/err"

# Memory: peak RSS of the plain build, from GNU time.
if [ -x /usr/bin/time ]; then
    rss() { /usr/bin/time -f %M -o "$T/rss" "$@"; r=$?; kb=$(tail -1 "$T/rss"); return $r; }
    { printf '{"Records":[],"x":"'; head -c 1073741824 /dev/zero | tr '\0' 'a'; printf '"}\n'; } |
        rss "$FAST" > "$T/out" 2> "$T/err"
    check "1 GiB string in an unknown field: accepted, peak RSS ${kb} KiB <= 16 MiB" \
        test $r = 0 -a "$kb" -le 16384
    { printf '{"eventName":"INSERT","dynamodb":{"NewImage":{"s":{"S":"'; head -c 1073741824 /dev/zero | tr '\0' 'a'; printf '"}}}}\n'; } |
        rss "$FAST" > "$T/out" 2> "$T/err"
    check "1 GiB string in a value: line too big at byte 8387620, nothing written, RSS ${kb} KiB" \
        test $r = 1 -a ! -s "$T/out" -a -n "$(grep -l 'does not fit the line buffer at byte 8387620 (record 1)' "$T/err")"
    line=$(tr -d '\n' < "$DATA/aws-powertools-powertools-lambda-java/dynamo_event_big.json")
    n=$(( 268435456 / (${#line} + 1) + 1 ))
    yes "$line" | head -n $n | rss "$FAST" --stats > /dev/null 2> "$T/err"
    check "256 MB input: $((n * 12)) records, peak RSS ${kb} KiB <= 16 MiB" \
        test $r = 0 -a "$kb" -le 16384 -a -n "$(grep -l "$((n * 12)) records in" "$T/err")"
    # A regular file of 1 MiB or more is mapped 4 MiB at a time instead of read: same bytes
    # as through a pipe, memory still bounded, and stdin on a file starts where it stands.
    yes "$line" | head -n 2100 > "$T/big.json"    # 21 MB: five windows and a part
    yes "$line" | head -n 2100 | "$FAST" > "$T/pipe.out"
    rss "$FAST" "$T/big.json" > "$T/file.out" 2> "$T/err"
    check "21 MB file mapped: same output as through a pipe, peak RSS ${kb} KiB <= 16 MiB" \
        test $r = 0 -a "$kb" -le 16384 -a -s "$T/pipe.out"
    cmp -s "$T/pipe.out" "$T/file.out" || bad "21 MB file mapped: output differs from the pipe's"
    { dd bs=1 count=$((${#line} + 1)) of=/dev/null 2> /dev/null; "$FAST" > "$T/file.out"; } < "$T/big.json"
    tail -n +13 "$T/pipe.out" | cmp -s - "$T/file.out"
    check "file on stdin already read in part: goes on from there" test $? = 0

    # --jobs: windows converted by several threads come out as one parser's output, errors
    # with the same byte and record, whatever the threads; memory still bounded.
    rss "$FAST" -j 2 "$T/big.json" > "$T/j2.out" 2> "$T/err"
    check "--jobs 2 on 21 MB: same bytes as the pipe, peak RSS ${kb} KiB <= 16 MiB" \
        test $r = 0 -a "$kb" -le 16384
    cmp -s "$T/pipe.out" "$T/j2.out" || bad "--jobs 2 on 21 MB: output differs from the pipe's"
    for j in 1 3 8; do
        "$BIN" -j $j --stats "$T/big.json" > "$T/j.out" 2> "$T/err"
        check "--jobs $j (sanitized build): same bytes, 25200 records counted" \
            test $? = 0 -a -n "$(grep -l '25200 records in, 25200 out' "$T/err")"
        cmp -s "$T/pipe.out" "$T/j.out" || bad "--jobs $j: output differs from the pipe's"
    done
    # a '{' starting a line inside a document (records at column 0 in the array): the cut
    # there is found out and the rest converted in one pass
    for k in $(seq 700); do echo "$line"; done |
        sed 's/},    {      "eventID"/},\n{"eventID"/g' > "$T/col0.json"
    "$BIN" -j 1 "$T/col0.json" > "$T/c1.out"; "$BIN" -j 2 "$T/col0.json" > "$T/c2.out"
    check "--jobs 2, records at the start of lines: same bytes as --jobs 1" \
        test -s "$T/c1.out" -a "$(cmp -s "$T/c1.out" "$T/c2.out"; echo $?)" = 0
    # bad input in a late window, and a file cut inside a document: same message, same lines
    { head -n 1500 "$T/big.json"; sed 's/"N": "101"/"N": "1o1"/' <<< "$line"; tail -n 600 "$T/big.json"; } > "$T/bad.json"
    head -c 20000000 "$T/big.json" > "$T/cut.json"
    for f in bad cut; do
        "$BIN" -j 1 "$T/$f.json" > "$T/e1.out" 2> "$T/e1.err"; r1=$?
        "$BIN" -j 3 "$T/$f.json" > "$T/e3.out" 2> "$T/e3.err"; r3=$?
        check "--jobs 3, $f.json: exit $r1, same message ($(cut -c1-60 < "$T/e1.err")...), same lines" \
            test $r1 = 1 -a $r3 = 1 -a "$(cat "$T/e1.err")" = "$(cat "$T/e3.err")" \
                 -a "$(cmp -s "$T/e1.out" "$T/e3.out"; echo $?)" = 0
    done
    # one document of 12 MB between ordinary ones: too large for a window, so the one pass
    # takes over there; memory stays bounded
    python3 - "$T/big.json" "$T/giant.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split('\n')[:1200]
recs = [r for l in lines[100:1100] for r in json.loads(l)['Records']]
with open(sys.argv[2], 'w') as f:
    f.write('\n'.join(lines[:100]) + '\n' + json.dumps({'Records': recs}) + '\n' + '\n'.join(lines[1100:]) + '\n')
PY
    "$BIN" -j 1 "$T/giant.json" > "$T/g1.out"
    rss "$FAST" -j 2 "$T/giant.json" > "$T/g2.out"
    check "--jobs 2, a 12 MB document: same bytes as --jobs 1, peak RSS ${kb} KiB <= 16 MiB" \
        test $r = 0 -a "$kb" -le 16384 -a -s "$T/g1.out" -a "$(cmp -s "$T/g1.out" "$T/g2.out"; echo $?)" = 0
    "$BIN" -j 2 --format csv --columns eventName,Id "$T/big.json" > "$T/csv2.out"
    "$BIN" -j 1 --format csv --columns eventName,Id "$T/big.json" > "$T/csv1.out"
    check "--jobs 2 CSV: one header, same bytes as --jobs 1" \
        test "$(grep -c '^eventName,Id' "$T/csv2.out")" = 1 -a "$(cmp -s "$T/csv1.out" "$T/csv2.out"; echo $?)" = 0
    # CSV with no row in the first windows: the header comes with the first row, so none at
    # all when the input fails first, one at the end when every record is filtered out
    python3 - "$T/norows.json" <<'PY'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(13000):
        k = {"Id": {"S": "k%d" % i}}
        f.write(json.dumps({"eventName": "MODIFY", "dynamodb": {"Keys": k, "NewImage": k}}) + '\n')
PY
    { cat "$T/norows.json"; echo '{oops}'; } > "$T/norows-bad.json"
    for f in norows norows-bad; do
        for j in 1 2; do
            "$BIN" -j $j --stats --format csv --columns eventName,Id --events INSERT "$T/$f.json" \
                > "$T/h$j.out" 2> "$T/h$j.err"
        done
        check "--jobs 2 CSV, $f.json (no rows): $(wc -c < "$T/h1.out") bytes, messages as --jobs 1" \
            test "$(cmp -s "$T/h1.out" "$T/h2.out"; echo $?)" = 0 -a "$(sed 's/; [0-9.]* s,.*//' "$T/h1.err")" = "$(sed 's/; [0-9.]* s,.*//' "$T/h2.err")"
    done
    # bytes fed before an error (--stats) do not depend on the threads having gone first
    "$BIN" -j 1 --stats "$T/bad.json" 2>&1 > /dev/null | sed -n 's/.*; \([0-9]* bytes in\),.*/\1/p' > "$T/s1"
    "$BIN" -j 3 --stats "$T/bad.json" 2>&1 > /dev/null | sed -n 's/.*; \([0-9]* bytes in\),.*/\1/p' > "$T/s3"
    check "--jobs 3 --stats after an error: $(cat "$T/s1") as --jobs 1" test -s "$T/s1" -a "$(cat "$T/s1")" = "$(cat "$T/s3")"
    run "$BIN" -j 0
    check "--jobs 0 is a usage error" test $rc = 2
    if [ -n "$TSAN" ]; then
        "$TSAN" -j 3 "$T/big.json" > "$T/t.out" 2> "$T/t.err"
        check "--jobs 3 under ThreadSanitizer: no report, same bytes" \
            test $? = 0 -a ! -s "$T/t.err" -a "$(cmp -s "$T/pipe.out" "$T/t.out"; echo $?)" = 0
        "$FAST" -j 1 "$T/bad.json" > "$T/b1.out" 2> "$T/b1.err"
        "$TSAN" -j 3 "$T/bad.json" > "$T/t.out" 2> "$T/t.err"
        check "--jobs 3 under ThreadSanitizer, bad input late: no report, the same message" \
            test "$(cat "$T/t.err")" = "$(cat "$T/b1.err")" -a "$(cmp -s "$T/b1.out" "$T/t.out"; echo $?)" = 0
    fi
fi

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
