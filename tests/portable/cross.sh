#!/usr/bin/env bash
# Cross run: tests/portable/runner.c built for other machines and run under qemu-user, each
# compared with the host's digests, so 32-bit and big-endian targets must give the same
# bytes, offsets and counters as x86_64. Installs nothing; the Debian packages:
#   gcc-i686-linux-gnu gcc-powerpc-linux-gnu gcc-s390x-linux-gnu qemu-user (or
#   qemu-user-static); clang for the clang builds (it uses the same cross sysroots).
#
# Targets: host gcc (writes the reference digests), host -DDDBS_NO_SIMD, host clang with
# ASan+UBSan, then under qemu: i686 gcc, i686 clang -msse2 (the SSE2 scanner on 32 bits),
# powerpc (32-bit big-endian) gcc and clang, s390x (64-bit big-endian) gcc and clang. Each
# is static, -O1, with UBSan: the full runtime where it links statically, else the
# minimal runtime (clang) or trap-on-error (a failed check ends the run with SIGILL).
#
# Prints "<target>: N passed, M failed" per target and "cross: N passed, M failed".
# Exit status 1 when anything failed, or a toolchain is missing (ALLOW_SKIP=1: skip it).
#   usage: bash tests/portable/cross.sh    env: CUTS (every cut up to this length under
#          qemu; default 256), JOBS (parallel runs; default nproc), B (build dir)
set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=${B:-build}/portable/cross
CUTS=${CUTS:-256}
JOBS=${JOBS:-$(nproc 2> /dev/null || echo 2)}
SRC=$OUT/src/tests/portable/runner.c   # a snapshot: see below
WARN=(-std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion)
ARGS=(-d tests/data -e tests/expected)
rm -rf "$OUT"
mkdir -p "$OUT/src/tests/portable"
# Every target builds from one copy of the header and the runner (which includes it as
# ../../ddbstream.h), so an edit made while the run goes cannot split the targets.
cp ddbstream.h "$OUT/src/" && cp tests/portable/runner.c "$OUT/src/tests/portable/" || exit 1
status=0
targets=()   # in the order they are reported

have() { command -v "$1" > /dev/null 2>&1; }

# qemu-user for an arch, dynamic or static package, or nothing.
qemu_for() {
    local q
    for q in "qemu-$1" "qemu-$1-static"; do have "$q" && { echo "$q"; return 0; }; done
    return 1
}

# Builds one target: tries UBSan with its runtime, then the minimal runtime (clang), then
# trap-on-error, then none; the first that links wins. Writes $OUT/<name>.mode.
#   build name kind(gcc|clang) compiler [flags...]
build() {
    local name=$1 kind=$2 cc=$3 mode flags
    shift 3
    for mode in runtime minimal trap off; do
        case $mode in
        runtime) flags=(-fsanitize=undefined -fno-sanitize-recover=all) ;;
        minimal) [ "$kind" = clang ] || continue
                 flags=(-fsanitize=undefined -fsanitize-minimal-runtime -fno-sanitize-recover=all) ;;
        trap)    flags=(-fsanitize=undefined -fsanitize-undefined-trap-on-error) ;;
        off)     flags=() ;;
        esac
        if "$cc" "$@" "${WARN[@]}" -O1 -g -static ${flags[@]+"${flags[@]}"} "$SRC" -o "$OUT/$name" \
               > "$OUT/$name.build.log" 2>&1; then
            echo "ubsan=$mode" > "$OUT/$name.mode"
            return 0
        fi
    done
    return 1
}

# Starts a target in the background, at most JOBS at once: build (emulated targets: with
# the UBSan fallbacks), then run against the host's digests. Results go to $OUT/<name>.*.
#   launch name kind(host|gcc|clang) compiler runner-prefix [flags...]
launch() {
    local name=$1 kind=$2 cc=$3 prefix=$4
    shift 4
    targets+=("$name")
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    (
        if [ "$kind" = host ]; then
            "$cc" "${WARN[@]}" "$@" "$SRC" -o "$OUT/$name" > "$OUT/$name.build.log" 2>&1 &&
                { grep -q sanitize <<< "$*" && echo ubsan=runtime || echo ubsan=off; } \
                    > "$OUT/$name.mode"
        else
            build "$name" "$kind" "$cc" "$@"
        fi || { echo "build failed, see $OUT/$name.build.log" > "$OUT/$name.broken"; exit 0; }
        # every cut up to CUTS bytes: emulation is 10-30 times slower than the host
        # shellcheck disable=SC2086  # the prefix is words
        timeout 900 $prefix "$OUT/$name" "${ARGS[@]}" -g "$OUT/golden.txt" -c "$CUTS" \
            > "$OUT/$name.log" 2>&1
        echo $? > "$OUT/$name.rc"
    ) &
}
skip() {
    targets+=("$1")
    echo "$2" > "$OUT/$1.skip"
}

# ---- host reference ---------------------------------------------------------------------
CC_HOST=${CC:-cc}
echo "== host reference: $CC_HOST -O2 (logs in $OUT)"
if ! "$CC_HOST" "${WARN[@]}" -O2 "$SRC" -o "$OUT/host" > "$OUT/host.build.log" 2>&1; then
    cat "$OUT/host.build.log"
    echo "cross: FAIL: the host runner does not build"
    exit 1
fi
echo "ubsan=off" > "$OUT/host.mode"
# the reference digests come from this run; every cut up to 4096 bytes, as on any host
"$OUT/host" "${ARGS[@]}" -w "$OUT/golden.txt" > "$OUT/host.log" 2>&1
targets+=(host)

echo "== the other targets, $JOBS at a time (CUTS=$CUTS under qemu)"
start=$SECONDS
host_target() {  # name compiler flags...
    local name=$1 cc=$2
    shift 2
    if have "$cc"; then launch "$name" host "$cc" "" "$@"; else skip "$name" "no $cc"; fi
}
host_target host-nosimd "$CC_HOST" -O2 -DDDBS_NO_SIMD
host_target host-clang-asan clang -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
# -m32 needs gcc-multilib, which Debian will not install next to the cross compilers; the
# i686 targets below cover 32-bit x86
if "$CC_HOST" -m32 -x c - -o "$OUT/m32-probe" <<< 'int main(void){return 0;}' 2> /dev/null; then
    host_target host-m32 "$CC_HOST" -m32 -O1 -g -fsanitize=undefined -fno-sanitize-recover=all
fi

#   emulated name kind compiler qemu-arch sysroot-triple [flags...]
emulated() {
    local name=$1 kind=$2 cc=$3 arch=$4 triple=$5 q
    shift 5
    if ! have "$cc"; then skip "$name" "no $cc"; return; fi
    if ! q=$(qemu_for "$arch"); then skip "$name" "no qemu-$arch"; return; fi
    if [ "$kind" = clang ] && [ ! -d "/usr/$triple" ]; then
        skip "$name" "no /usr/$triple (install gcc-$triple)"; return
    fi
    launch "$name" "$kind" "$cc" "$q" "$@"
}
emulated i686 gcc i686-linux-gnu-gcc i386 i686-linux-gnu
emulated i686-clang-sse2 clang clang i386 i686-linux-gnu --target=i686-linux-gnu -msse2
emulated powerpc gcc powerpc-linux-gnu-gcc ppc powerpc-linux-gnu
emulated powerpc-clang clang clang ppc powerpc-linux-gnu --target=powerpc-linux-gnu
emulated s390x gcc s390x-linux-gnu-gcc s390x s390x-linux-gnu
emulated s390x-clang clang clang s390x s390x-linux-gnu --target=s390x-linux-gnu
wait
elapsed=$((SECONDS - start))

# ---- report -----------------------------------------------------------------------------
total_pass=0
total_fail=0
for t in "${targets[@]}"; do
    if [ -f "$OUT/$t.skip" ]; then
        echo "$t: skipped ($(cat "$OUT/$t.skip"))"
        [ "${ALLOW_SKIP:-0}" = 1 ] || status=1
        continue
    fi
    if [ -f "$OUT/$t.broken" ]; then
        echo "$t: 0 passed, 1 failed ($(cat "$OUT/$t.broken"))"
        tail -5 "$OUT/$t.build.log" | sed 's/^/    /'
        total_fail=$((total_fail + 1))
        status=1
        continue
    fi
    line=$(grep -E '^portable: [0-9]+ passed, [0-9]+ failed$' "$OUT/$t.log" | tail -1)
    what="$(sed -n 's/^runner: //p' "$OUT/$t.log" | head -1); $(cat "$OUT/$t.mode")"
    if [ -z "$line" ]; then
        # no summary: it crashed (an UBSan trap is SIGILL) or timed out
        echo "$t: 0 passed, 1 failed (no summary, exit $(cat "$OUT/$t.rc" 2> /dev/null)," \
             "see $OUT/$t.log) [$what]"
        tail -5 "$OUT/$t.log" | sed 's/^/    /'
        total_fail=$((total_fail + 1))
        status=1
        continue
    fi
    read -r pass fail < <(sed -E 's/^portable: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/' <<< "$line")
    echo "$t: $pass passed, $fail failed [$what]"
    if [ "$fail" != 0 ]; then
        grep -E '^FAIL' "$OUT/$t.log" | head -5 | cut -c1-200 | sed 's/^/    /'
        status=1
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
done
echo "cross: $total_pass passed, $total_fail failed (builds and runs after the host's: ${elapsed}s)"
exit $status
