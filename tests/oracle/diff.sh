#!/usr/bin/env bash
# Differential test: the ddbstream CLI against oracle.js (AWS SDK unmarshall as reference).
# usage: tests/oracle/diff.sh BIN
# (a) real samples in tests/data, (b) generated streams in three layouts, (c) (b) again
# with --numbers-as-strings. One line per check, then "diff: N passed, M failed".
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
bin=$1
here=$(dirname "$0")
data=$here/../data
# The oracle needs its pinned npm packages; install them from the lock file if missing.
[ -d "$here/node_modules/@aws-sdk/util-dynamodb" ] || (cd "$here" && npm ci --no-audit --no-fund --silent)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }

# oracle INPUT EXPECTED: sets orc to 0 (expected written) or 3 (CLI must reject the input).
oracle() {
  orc=0
  node "$here/oracle.js" "$1" > "$2" 2> "$tmp/oerr" || orc=$?
  [ "$orc" = 0 ] || [ "$orc" = 3 ] || echo "     oracle: $(cat "$tmp/oerr")"
}

# check NAME INPUT EXPECTED [CLI FLAGS...]: runs BIN and compares (uses $orc).
check() {
  local name=$1 in=$2 exp=$3 rc=0
  shift 3
  "$bin" "$@" < "$in" > "$tmp/act" 2> "$tmp/err" || rc=$?
  if [ "$orc" = 3 ]; then
    if [ "$rc" != 0 ]; then ok "$name (rejected: $(cat "$tmp/oerr"))"; else ko "$name" "accepted input the contract rejects: $(cat "$tmp/oerr")"; fi
  elif [ "$orc" != 0 ]; then ko "$name" "oracle failed"
  elif [ "$rc" != 0 ]; then ko "$name" "exit $rc: $(head -c 300 "$tmp/err")"
  elif node "$here/compare.js" "$exp" "$tmp/act" "$@" > "$tmp/cmp"; then ok "$name"
  else ko "$name"; sed 's/^/     /' "$tmp/cmp" | head -12
  fi
}

# (a) real samples, minus files that are not DynamoDB stream input.
if [ -d "$data" ]; then
  shopt -s nocasematch
  while IFS= read -r f; do
    case $(basename "$f") in
      kinesis*|*firehose*|*response*|*malformed*|examples-1.json|dynamodb-stream.json) continue ;;
    esac
    oracle "$f" "$tmp/exp"
    check "${f#"$data"/}" "$f" "$tmp/exp"
    check "${f#"$data"/} --numbers-as-strings" "$f" "$tmp/exp" --numbers-as-strings
  done < <(find "$data" -name '*.json' | LC_ALL=C sort)
  shopt -u nocasematch
else
  echo "skip tests/data: not found"
fi

# (b), (c) generated: 11,000 records in all; seeds fixed so failures reproduce.
for spec in "1 4000 compact" "2 3000 pretty" "3 3000 concat" "4 1000 mixed"; do
  read -r seed n style <<< "$spec"
  node "$here/gen.js" "$seed" "$n" "$tmp/gen.json" --style "$style"
  oracle "$tmp/gen.json" "$tmp/gexp"
  check "gen seed $seed, $n records, $style" "$tmp/gen.json" "$tmp/gexp"
  check "gen seed $seed, $n records, $style --numbers-as-strings" "$tmp/gen.json" "$tmp/gexp" --numbers-as-strings
done

echo "diff: $pass passed, $fail failed"
[ "$fail" = 0 ]
