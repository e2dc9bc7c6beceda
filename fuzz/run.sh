#!/usr/bin/env bash
# Runs the fuzz targets; called by fuzz/Makefile.inc.
#   fuzz/run.sh fuzz   BINDIR SECONDS TARGET...   libFuzzer, SECONDS each, one job, in turn
#                                                  (with FUZZ_RUNS=N: N runs from seed 1 each,
#                                                  SECONDS at most: reproducible, for CI)
#   fuzz/run.sh replay BINDIR 0 TARGET...         replay_<target> over seeds and regressions
# Fuzz mode prints, per target, CPU seconds, executions and exec/s, and fails if any target
# crashed (the input is left in build/fuzz-crashes/<target>/; minimize it with
# BINDIR/fuzz_<target> -minimize_crash=1 -runs=10000 FILE and add it to fuzz/regressions/).
set -u
cd "$(dirname "$0")/.."
mode=$1 bindir=$2 seconds=$3
shift 3
status=0

if [ "$mode" = replay ]; then
    for t in "$@"; do
        dirs=(build/fuzz-corpus/"$t")
        [ -d fuzz/regressions/"$t" ] && dirs+=(fuzz/regressions/"$t")
        echo "== replay $t"
        "$bindir/replay_$t" "${dirs[@]}" || status=1
    done
    [ $status = 0 ] && echo "fuzz-replay: all inputs pass" || echo "fuzz-replay: FAILED"
    exit $status
fi

summary=""
total_cpu=0
for t in "$@"; do
    work=build/fuzz-work/$t crashes=build/fuzz-crashes/$t log=build/fuzz-work/$t.log
    mkdir -p "$work" "$crashes"
    dirs=("$work" build/fuzz-corpus/"$t")
    [ -d fuzz/regressions/"$t" ] && dirs+=(fuzz/regressions/"$t")
    echo "== fuzz $t for ${seconds}s (log: $log)"
    # the first corpus directory is the one libFuzzer adds to; the others only seed it
    TIMEFORMAT='%U %S'
    # FUZZ_RUNS=N: N inputs from seed 1, the same run everywhere (CI); else SECONDS of fuzzing
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS" -seed=1 -max_total_time="$seconds")
    else
        limit=(-max_total_time="$seconds")
    fi
    cpu=$( { time "$bindir/fuzz_$t" "${limit[@]}" -max_len=65536 -timeout=20 \
                -dict=fuzz/ddbs.dict -print_final_stats=1 -artifact_prefix="$crashes/" \
                "${dirs[@]}" > "$log" 2>&1; echo "rc=$?" >> "$log"; } 2>&1 )
    rc=$(sed -n 's/^rc=//p' "$log" | tail -1)
    cpu=$(echo "$cpu" | awk '{ printf "%.1f", $1 + $2 }')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ "$rc" = 0 ]; then result=ok; else result="CRASH (rc $rc)"; status=1; grep -m3 -E 'ERROR|invariant|SUMMARY|Test unit written' "$log"; fi
    summary+=$(printf '%-8s cpu %7ss  execs %9s  exec/s %6s  %-10s %s' "$t" "$cpu" "${execs:-?}" "${rate:-?}" "$cov" "$result")$'\n'
    total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
done
printf '\n%s' "$summary"
echo "total CPU fuzzed: ${total_cpu}s"
exit $status
