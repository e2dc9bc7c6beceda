#!/usr/bin/env bash
# Time conversion against date(1): ddbs_time_seconds + ddbs_civil (through tests/civil.c)
# must name the same UTC hour as `date -u` for every generated time text.
# usage: tests/dates.sh        (env: CC, default cc; DATES_SEED, default 20000229)
# Instants: edges (0, 2000-02-29, 2^31-1, 2^31, 2100-03-01, 9999-12-31T23:59:59), every
# Feb 28/29/Mar 1 and New Year from 1970 to 9999, and random ones; each written as an
# integer, a decimal, E-notation, quoted, milliseconds and microseconds. The unit is guessed
# from the size (< 1e12 seconds, < 1e15 ms, else us), so the expected second follows the same
# rule: e.g. 5000 written as "milliseconds" of 5 s is read, correctly, as 5000 s.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion -O1 -I. \
    tests/civil.c tests/impl.c -o "$tmp/civil"

# texts -> $tmp/in (one time text a line), expected seconds -> $tmp/at ("@SECS" a line)
python3 - "$tmp" "${DATES_SEED:-20000229}" <<'EOF'
import calendar, random, sys
tmp, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
MAX = 253402300799  # 9999-12-31T23:59:59Z

def guessed(v):
    """Seconds the unit guess makes of the integer part v."""
    return v if v < 10**12 else v // 1000 if v < 10**15 else v // 10**6

def digits(n):
    return ''.join(rng.choice('0123456789') for _ in range(n))

def forms(s):
    """(text, expected seconds) pairs for instant s."""
    d = str(s)
    out = [(d, s)]
    out.append((d + '.' + digits(rng.randint(1, 9)), s))               # decimal, floored
    frac = digits(rng.randint(0, 6))
    mant = d[0] + ('.' + d[1:] + frac if len(d) > 1 or frac else '')
    exp = len(d) - 1
    out.append((mant + rng.choice(['E', 'e', 'E+', 'E0']) + str(exp), s))  # 1.4806420205E9
    out.append((d + frac + 'E-' + str(len(frac)), s))                  # 14806420205E-1
    out.append(('"' + d + '"', s))                                     # quoted, as Kinesis may
    ms = s * 1000 + rng.randint(0, 999)
    out.append((str(ms), guessed(ms)))
    us = s * 10**6 + rng.randint(0, 10**6 - 1)
    out.append((str(us), guessed(us)))
    if s >= 10**9:                                                     # ms in E-notation
        m = str(ms)
        out.append((m[0] + '.' + m[1:] + 'E' + str(len(m) - 1), guessed(ms)))
    return out

inst = set()
def near(t, spread):
    for dt in spread:
        if 0 <= t + dt <= MAX + 86400:
            inst.add(t + dt)

EDGE = (-3601, -3600, -3599, -61, -1, 0, 1, 59, 3599, 3600, 86399, 86400)
for t in (0, 951782400, 2**31 - 1, 2**31, 2**32, 4107542400, MAX, MAX + 1):
    near(t, EDGE)
near(0, range(0, 200))
for y in range(1970, 10000):
    if y % 7 == 0 or y < 2200 or y % 100 == 0 or y > 9990:
        near(calendar.timegm((y, 1, 1, 0, 0, 0)), (-1, 0, 3600))
    if calendar.isleap(y) and (y % 4 != 0 or y % 100 == 0 or y < 2100 or y % 13 == 0):
        near(calendar.timegm((y, 2, 29, 0, 0, 0)), (-1, 0, 86399, 86400))
    if y % 100 == 0:  # century years: leap only every 400
        near(calendar.timegm((y, 3, 1, 0, 0, 0)), (-86401, -1, 0))
while len(inst) < 3000:
    inst.add(rng.randint(0, MAX))
for _ in range(300):                     # dense around today, where real data lives
    inst.add(rng.randint(1400000000, 1800000000))

with open(tmp + '/in', 'w') as fi, open(tmp + '/at', 'w') as fa:
    for s in sorted(inst):
        for text, e in forms(s):
            fi.write(text + '\n')
            fa.write('@%d\n' % e)
EOF

"$tmp/civil" < "$tmp/in" > "$tmp/got"
date -u -f "$tmp/at" +%Y/%m/%d/%H > "$tmp/want"
paste -d '\t' "$tmp/in" "$tmp/want" "$tmp/got" | awk -F '\t' '
    $2 == $3 { pass++; next }
    { fail++; if (fail <= 20) printf "FAIL %s: date says %s, ddbs %s\n", $1, $2, $3 }
    END { printf "dates: %d passed, %d failed\n", pass, fail; exit fail != 0 || pass < 5000 }'
