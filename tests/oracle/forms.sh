#!/usr/bin/env bash
# The same records in every input form ddbstream reads must give the same values.
# usage: tests/oracle/forms.sh BIN
# Generated records (gen.js) are wrapped (wrap.js) as bare KDS records, Lambda Kinesis events,
# Firehose transformation events and DynamoDB export lines. For each form: BIN's output equals
# its output on the plain stream, line for line, but for the time (ms or us for KDS, as
# WriteTimestampMicros for exports); util-dynamodb agrees on the decoded payloads; --events
# filters; object names are the same (so the time unit is right). Then
# --firehose-response, one event at a time: Ok parts decode to the expected lines, bad
# payloads are ProcessingFailed without failing the batch, filtered parts Dropped, and a
# response stays within 6 MiB. One line per check, then "forms: N passed, M failed".
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
bin=$1
here=$(dirname "$0")
[ -d "$here/node_modules/@aws-sdk/util-dynamodb" ] || (cd "$here" && npm ci --no-audit --no-fund --silent)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
wrap() { node "$here/wrap.js" "$@"; }

# run NAME OUT ARGS...: BIN must exit 0; its stdout goes to OUT.
run() {
  local name=$1 out=$2 rc=0
  shift 2
  "$bin" "$@" > "$out" 2> "$tmp/err" || rc=$?
  [ "$rc" = 0 ] || ko "$name" "exit $rc: $(head -c 300 "$tmp/err")"
  return "$rc"
}
# same NAME EXPECTED ACTUAL: byte-identical files.
same() {
  if cmp -s "$2" "$3"; then ok "$1 ($(wc -l < "$3") lines)"
  else ko "$1" "$(cmp "$2" "$3" 2>&1 | head -1)"; diff <(head -c 100000 "$2") <(head -c 100000 "$3") | head -4 | cut -c1-200 | sed 's/^/     /'
  fi
}
# oracle NAME INPUT ACTUAL: util-dynamodb's values for INPUT against ACTUAL.
oracle() {
  if ! node "$here/oracle.js" "$2" > "$tmp/orc" 2> "$tmp/oerr"; then ko "$1" "oracle: $(cat "$tmp/oerr")"
  elif node "$here/compare.js" "$tmp/orc" "$3" > "$tmp/cmp"; then ok "$1"
  else ko "$1"; head -5 "$tmp/cmp" | sed 's/^/     /'
  fi
}

# 3,200 records: compact, pretty and concatenated documents, BOM, escapes, big items.
node "$here/gen.js" 21 3200 "$tmp/plain.json" --style mixed
run "plain stream" "$tmp/plain.out" "$tmp/plain.json" || exit 1
run "plain stream --format ddb" "$tmp/plain.ddb" --format ddb "$tmp/plain.json" || exit 1
oracle "plain stream: util-dynamodb" "$tmp/plain.json" "$tmp/plain.out"

# every form, decoded payloads and expected lines, in two node processes
wrap all "$tmp/plain.json" "$tmp"
wrap expect-all "$tmp/plain.out" "$tmp/plain.ddb" "$tmp" --events INSERT,REMOVE
for form in kds kinesis firehose export-incremental export-full; do
  in=$tmp/$form.json
  run "$form" "$tmp/act" "$in" && same "$form: same values as the plain stream" "$tmp/$form.exp" "$tmp/act"
  run "$form --format ddb" "$tmp/act.ddb" --format ddb "$in" &&
    same "$form --format ddb: same typed values" "$tmp/$form.exp.ddb" "$tmp/act.ddb"
  # exports have no eventName: the images say which event it was
  run "$form --events" "$tmp/act.ev" --events INSERT,REMOVE "$in" &&
    same "$form --events INSERT,REMOVE" "$tmp/$form.exp.ev" "$tmp/act.ev"
  case $form in
    kds) oracle "$form: util-dynamodb" "$in" "$tmp/act" ;;
    kinesis|firehose) oracle "$form: util-dynamodb on the decoded payloads" "$tmp/$form.payloads" "$tmp/act" ;;
    export-*)
      # as stream records with the write time as ApproximateCreationDateTime
      sed 's/^{"WriteTimestampMicros":/{"ApproximateCreationDateTime":/' "$tmp/act" > "$tmp/act.renamed"
      oracle "$form: util-dynamodb" "$tmp/$form.stream" "$tmp/act.renamed"
      # exports come gzip'd; the CLI reads them through zcat
      gzip -c "$in" > "$tmp/in.gz"
      zcat "$tmp/in.gz" | "$bin" > "$tmp/act.gz" 2> "$tmp/err" || true
      same "$form: gzip'd, through zcat" "$tmp/act" "$tmp/act.gz" ;;
  esac
  # the time's unit (s, ms, us) is right when objects get the same names: each is named
  # from its first record's UTC hour (10 records an object, as every object is synced)
  case $form in
    kds|kinesis|firehose)
      if run "$form --out-dir" /dev/null --out-dir "$tmp/od/$form" --max-records 10 "$in" &&
         { [ -d "$tmp/od/plain" ] || run "plain --out-dir" /dev/null --out-dir "$tmp/od/plain" --max-records 10 "$tmp/plain.json"; }; then
        (cd "$tmp/od/plain" && find . -type f | LC_ALL=C sort) > "$tmp/names.plain"
        (cd "$tmp/od/$form" && find . -type f | LC_ALL=C sort) > "$tmp/names.form"
        same "$form: object names as for the plain stream" "$tmp/names.plain" "$tmp/names.form"
      fi ;;
  esac
done

# --firehose-response, one event per invocation as Lambda gets them.
# fhresp NAME DIR PLAIN [ARGS...]: answers every DIR/*.json, then fhcheck with ARGS' --events.
fhresp() {
  local name=$1 dir=$2 plain=$3 e rc bad=0
  shift 3
  for e in "$dir"/*.json; do
    rc=0
    "$bin" --firehose-response "$@" "$e" > "${e%.json}.out" 2> "$tmp/err" || rc=$?
    [ "$rc" = 0 ] || { bad=1; ko "$name: $(basename "$e")" "exit $rc: $(head -c 300 "$tmp/err")"; }
  done
  if node "$here/wrap.js" fhcheck "$dir" "$plain" "$@" > "$tmp/fh"; then ok "$name: $(tail -1 "$tmp/fh")"
  else ko "$name"; sed 's/^/     /' "$tmp/fh" | head -10
  fi
  if [ "$bad" = 0 ]; then ok "$name: every batch answered"; fi
}
wrap split "$tmp/firehose.json" "$tmp/fh1"
cp -r "$tmp/fh1" "$tmp/fh2"
fhresp "--firehose-response" "$tmp/fh1" "$tmp/plain.out"
fhresp "--firehose-response --events INSERT (others Dropped)" "$tmp/fh2" "$tmp/plain.out" --events INSERT
wrap split "$tmp/firehose-bad.json" "$tmp/fh3"
fhresp "--firehose-response with bad payloads (ProcessingFailed)" "$tmp/fh3" "$tmp/plain.out"
# 16 records of 390 KB: the answer must stop short of 6 MiB
mkdir -p "$tmp/fh4"
cp "$tmp/firehose-big.json" "$tmp/fh4/big.json"
"$bin" "$tmp/firehose-big.payloads" > "$tmp/fh4/big.expected"
fhresp "--firehose-response over 6 MiB" "$tmp/fh4" -
if grep -q '"result":"Ok"' "$tmp/fh4/big.out" && grep -q '"result":"ProcessingFailed"' "$tmp/fh4/big.out"; then
  ok "--firehose-response over 6 MiB: $(grep -o '"result":"Ok"' "$tmp/fh4/big.out" | wc -l) Ok, then ProcessingFailed ($(wc -c < "$tmp/fh4/big.out") bytes)"
else ko "--firehose-response over 6 MiB" "expected some Ok and some ProcessingFailed"
fi

echo "forms: $pass passed, $fail failed"
[ "$fail" = 0 ]
