#!/usr/bin/env bash
# Seed corpus: build/fuzz-corpus/<target>/ from tests/data, tests/data/forms (when present)
# and fuzz/seeds. Each target reads a few prefix bytes before the input (options, cuts,
# chunker settings, payload mode), so every sample is written once per prefix below, each
# prefix picking a different configuration. Usage: fuzz/corpus.sh [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/fuzz-corpus}

# Samples: every regular file under tests/data (the forms subdirectory included, if it is
# there) except the provenance notes, plus fuzz/seeds.
mapfile -t samples < <(find tests/data fuzz/seeds -type f ! -name '*.md' 2>/dev/null | LC_ALL=C sort)

# Prefixes, as printf escapes. Options (3 bytes, see fz_conf_read in fuzz.h):
#   NDJSON; DDB; CSV set 0; CSV set 1 + CRLF + CSV_SAFE; item shape + ITEM_META;
#   SKIP_BAD with the smallest staging buffer.
opts=('\x00\x00\x00' '\x01\x00\x00' '\x02\x00\x00' '\x02\x60\x01' '\x04\x10\x00' '\x80\x00\x04')
declare -A prefixes
prefixes[parse]="${opts[*]}"
prefixes[valid]="${opts[*]}"
# options + cut bytes (fz_cuts): three cuts; 7-byte pieces; random pieces; byte by byte
prefixes[split]='\x00\x00\x00\x00\x40\x80\xc0 \x01\x00\x00\x01\x06\x00\x00 \x02\x00\x00\x1e\x12\x34\x56 \x80\x00\x04\x03\x00\x00\x00'
# options + chunker bytes: max 257, max 513 CSV with 3 records a file and HOURLY, max 1025
# with a prefix, max ~4K with the flush failing at object 2
prefixes[chunker]='\x00\x00\x00\x00\x01\x00 \x02\x00\x00\x00\x02\x0b \x01\x00\x00\x00\x04\x10 \x00\x00\x00\x00\x10\x60'
# options + mode + cut bytes: Kinesis; Kinesis with \/ escapes; Firehose; Firehose with
# on_part; Firehose answered through ddbs_firehose (CSV too)
prefixes[payload]='\x00\x00\x00\x00\x00\x40\x80\xc0 \x00\x00\x00\x01\x01\x06\x00\x00 \x01\x00\x00\x02\x02\x12\x34\x56 \x00\x00\x00\x04\x00\x40\x80\xc0 \x00\x00\x00\x06\x03\x00\x00\x00 \x02\x00\x00\x06\x00\x11\x22\x33'

for t in parse split valid chunker payload; do
    # seeds only: libFuzzer adds what it finds to build/fuzz-work, never here
    rm -rf "${out:?}/$t"
    mkdir -p "$out/$t"
    k=0
    for pre in ${prefixes[$t]}; do
        for f in "${samples[@]}"; do
            name=$(printf '%s' "$f" | tr '/' '_')
            # shellcheck disable=SC2059  # the prefix is a printf escape string on purpose
            { printf "$pre"; cat "$f"; } > "$out/$t/seed-$k-$name"
        done
        k=$((k + 1))
    done
done
echo "seed corpus: ${#samples[@]} samples into $out/{parse,split,valid,chunker,payload}"
