#!/usr/bin/env bash
# Freestanding build for a Cortex-M4 (thumbv7em, no OS, no libc): the implementation must
# compile without warnings, need no symbol but memcpy/memset/memmove (or their __aeabi_
# forms), and stay small. Prints .text size and the worst stack use of every public entry
# point, walking the call graph from -fstack-usage (clang: calls read from the object's
# relocations; arm-none-eabi-gcc: -fcallgraph-info). Compilers: clang (required) and
# arm-none-eabi-gcc (used when installed: Debian package gcc-arm-none-eabi).
#
# Exit status 1 when a compile fails, a symbol is undefined that a bare-metal target may
# lack, a frame is dynamic (alloca/VLA) or the graph has a cycle (the header promises no
# recursion). The size and stack goals are reported; STRICT=1 makes them fail too.
#   usage: bash tests/portable/freestanding.sh        (from anywhere; B=build dir)
set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=${B:-build}/portable/freestanding
mkdir -p "$OUT"
TEXT_GOAL=${TEXT_GOAL:-24576}   # bytes of .text
STACK_GOAL=${STACK_GOAL:-512}   # bytes per call chain, callbacks' own frames not included
WARN=(-std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion)
status=0
summary=()

first_tool() {  # the first of the names that is installed
    local t
    for t in "$@"; do command -v "$t" > /dev/null 2>&1 && { echo "$t"; return 0; }; done
    return 1
}

# The one-line implementation file a firmware project would have, next to a copy of the
# header: every object below is built from the same bytes even if the header is edited.
printf '#define DDBSTREAM_IMPLEMENTATION\n#include "ddbstream.h"\n' > "$OUT/impl.c"
cp ddbstream.h "$OUT/ddbstream.h" || exit 1

# Undefined symbols other than the mem* functions (and the ARM EABI spellings of them):
# anything else (__aeabi_uldivmod, __udivdi3, ...) comes from a runtime library that
# -nostdlib leaves out.
check_symbols() {  # name nm object
    local bad
    bad=$("$2" -u "$3" | awk '{print $NF}' |
          grep -Ev '^(memcpy|memset|memmove|__aeabi_mem(cpy|move|set|clr)[48]?)$')
    if [ -n "$bad" ]; then
        echo "$1: FAIL: undefined symbols beyond memcpy/memset/memmove: ${bad//$'\n'/ }"
        return 1
    fi
    echo "$1: undefined symbols ok: $("$2" -u "$3" | awk '{printf "%s ", $NF}')"
}

# Section sizes (sysv format of size -A): .text and read-only data, in bytes.
sizes() {  # size-tool object -> "text rodata"
    "$1" -A "$2" | awk '$1 ~ /^\.text/ {t += $2} $1 ~ /^\.rodata/ {r += $2}
                        END {printf "%d %d\n", t, r}'
}

# The call-graph walk. Input lines: "N name bytes qualifier", "E caller callee",
# "I caller" (an indirect call: a user callback), "P name" (a public entry point).
# Output: one line per entry point, worst first: bytes and the chain, then a last line
# "worst <bytes>" or "cycle <names>"/"dynamic <names>" problems.
walk() {
    awk '
    $1 == "N" { size[$2] = $3; if ($4 !~ /^static/) dyn = dyn " " $2; next }
    $1 == "E" { if (!((($2) SUBSEP ($3)) in seen)) {
                    seen[$2, $3] = 1; calls[$2] = calls[$2] " " $3 }
                next }
    $1 == "I" { calls[$2] = calls[$2] " <callback>"; next }
    $1 == "P" { pub[++np] = $2; next }
    # deepest stack below f, f included; cs is a local array (awk: extra parameters)
    function worst(f, cs, n, i, w, best, bestc) {
        if (f in memo) return memo[f]
        if (f in onstack) { cycle = cycle " " f; return 0 }
        onstack[f] = 1
        best = 0; bestc = ""
        n = split(calls[f], cs, " ")
        for (i = 1; i <= n; i++) {
            w = worst(cs[i])
            if (w > best || bestc == "") { best = w; bestc = cs[i] }
        }
        delete onstack[f]
        nextf[f] = bestc
        memo[f] = size[f] + best
        return memo[f]
    }
    END {
        max = 0
        for (k = 1; k <= np; k++) {
            f = pub[k]; w = worst(f)
            chain = f; g = f
            while (nextf[g] != "") { g = nextf[g]; chain = chain " > " g }
            printf "  %5d B  %s\n", w, chain
            if (w > max) max = w
        }
        if (cycle != "") print "cycle" cycle
        if (dyn != "") print "dynamic" dyn
        print "worst " max
    }'
}

# clang: graph from the relocations of each function section; blx/bx to a register is a
# call through a pointer (sink, on_record, flush ...).
clang_graph() {  # objdump object su-file nm
    awk -F'\t' '{n = split($1, a, ":"); print "N", a[n], $2, $3}' "$3"
    # the function is the section's name: labels inside it include ARM mapping symbols
    # ($t.N, $d.N), which are not functions
    "$1" -dr "$2" | awk '
        /^Disassembly of section \.text\./ { f = $4; sub(/^\.text\./, "", f); sub(/:$/, "", f); next }
        /R_ARM_THM_(CALL|JUMP24|JUMP19)/ { t = $NF; sub(/^\.text\./, "", t); sub(/\+.*/, "", t)
                                           if (t != f) print "E", f, t; next }
        /\tblx\tr[0-9]/ || /\tbx\tr[0-9]/ { print "I", f }'
    "$4" --defined-only -g "$2" | awk '$2 == "T" {print "P", $3}'
}

# gcc: -fcallgraph-info=su writes nodes with their frame size and the edges.
gcc_graph() {  # ci-file nm object
    sed -n 's/^node: { title: "\([^"]*\)" label: "[^"]*\\n\([0-9]*\) bytes (\([^)]*\))".*/N \1 \2 \3/p' "$1" |
        sed 's/^N [^ :]*:/N /'
    sed -n 's/^edge: { sourcename: "\([^"]*\)" targetname: "\([^"]*\)".*/E \1 \2/p' "$1" |
        sed 's/ [^ :]*\.c:/ /g' |
        awk '$3 == "__indirect_call" {print "I", $2; next} {print}'
    "$2" --defined-only -g "$3" | awk '$2 == "T" {print "P", $3}'
}

report() {  # name "text rodata" walk-output
    local name=$1 text rodata worst
    read -r text rodata <<< "$2"
    worst=$(awk '$1 == "worst" {print $2}' <<< "$3")
    echo "$name: .text $text B, .rodata $rodata B (goal .text <= $TEXT_GOAL B:" \
         "$([ "$text" -le "$TEXT_GOAL" ] && echo met || echo OVER))"
    echo "$name: stack per public entry point, frames of this object only" \
         "(a callback adds its own):"
    grep -E '^ ' <<< "$3" | sort -rn
    echo "$name: worst stack $worst B (goal <= $STACK_GOAL B:" \
         "$([ "$worst" -le "$STACK_GOAL" ] && echo met || echo OVER))"
    if grep -qE '^(cycle|dynamic)' <<< "$3"; then
        echo "$name: FAIL: $(grep -E '^(cycle|dynamic)' <<< "$3" | tr '\n' ' ')"
        status=1
    fi
    if [ "${STRICT:-0}" = 1 ] &&
       { [ "$text" -gt "$TEXT_GOAL" ] || [ "$worst" -gt "$STACK_GOAL" ]; }; then
        status=1
    fi
    summary+=("$name .text ${text} B stack ${worst} B")
}

# ---- clang ------------------------------------------------------------------------------
if ! CLANG=$(first_tool clang clang-16 clang-15 clang-14); then
    echo "freestanding: FAIL: no clang"
    exit 1
fi
V=$("$CLANG" -dumpversion | cut -d. -f1)
NM=$(first_tool llvm-nm "llvm-nm-$V" llvm-nm-14)
SIZE=$(first_tool llvm-size "llvm-size-$V" llvm-size-14)
OBJDUMP=$(first_tool llvm-objdump "llvm-objdump-$V" llvm-objdump-14)
CFLAGS_M4=(--target=thumbv7em-none-eabi -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib)
echo "== $CLANG ${CFLAGS_M4[*]}"
# as a firmware build would compile it: size and symbols
if "$CLANG" "${CFLAGS_M4[@]}" "${WARN[@]}" -I"$OUT" -c "$OUT/impl.c" -o "$OUT/clang.o" &&
   # a second object for the analysis: one section per function, so every call has a
   # relocation naming its target; and a .su file per function
   "$CLANG" "${CFLAGS_M4[@]}" -ffunction-sections -fstack-usage -I"$OUT" -c "$OUT/impl.c" \
       -o "$OUT/clang-fs.o"
then
    check_symbols clang "$NM" "$OUT/clang.o" || status=1
    report clang "$(sizes "$SIZE" "$OUT/clang.o")" \
        "$(clang_graph "$OBJDUMP" "$OUT/clang-fs.o" "$OUT/clang-fs.su" "$NM" | walk)"
else
    echo "clang: FAIL: compile"
    status=1
fi

# ---- arm-none-eabi-gcc ------------------------------------------------------------------
if GCC=$(first_tool arm-none-eabi-gcc); then
    GFLAGS_M4=(-mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib)
    echo "== $GCC ${GFLAGS_M4[*]}"
    if "$GCC" "${GFLAGS_M4[@]}" "${WARN[@]}" -I"$OUT" -c "$OUT/impl.c" -o "$OUT/gcc.o" &&
       "$GCC" "${GFLAGS_M4[@]}" -fstack-usage -fcallgraph-info=su -I"$OUT" -c "$OUT/impl.c" \
           -o "$OUT/gcc-cg.o"
    then
        check_symbols gcc arm-none-eabi-nm "$OUT/gcc.o" || status=1
        # gcc names the .ci after the object
        report gcc "$(sizes arm-none-eabi-size "$OUT/gcc.o")" \
            "$(gcc_graph "$OUT/gcc-cg.ci" arm-none-eabi-nm "$OUT/gcc-cg.o" | walk)"
    else
        echo "gcc: FAIL: compile"
        status=1
    fi
else
    echo "gcc: skipped (arm-none-eabi-gcc not installed: apt-get install gcc-arm-none-eabi)"
fi

joined=$(printf '%s; ' "${summary[@]}")
echo "freestanding: $([ $status = 0 ] && echo ok || echo FAILED); ${joined}goals .text <=" \
     "$TEXT_GOAL B, stack <= $STACK_GOAL B"
exit $status
