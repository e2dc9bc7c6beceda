#!/usr/bin/env python3
"""bench-peers: ddbstream against what users would pick instead (issue D, section 2).

usage: python3 bench/peers/run.py [--mib N] [--slice-mib N] [--pairs N] [--only a,b] [--no-bytewise]
                                  [--cli PATH]

1. Builds the CLI (make), bench/bench.c and the peers in bench/peers/ into build/peers/.
2. Writes the seeded corpus of bench/bench.c (--dump) into a temporary directory: N MiB
   (default 256), and with --slice-mib M < N a prefix of M MiB for node and jq (quicker
   runs; the default, 0, gives them the whole corpus like every other peer). Removed at the
   end.
3. Checks, before any timing, that every peer's output holds the same values as ddbstream's
   (bench/peers/same.js: numbers as exact text, key order, array order): the C/C++ peers on
   the whole corpus, node and jq on theirs.
4. Times ddbstream and each peer in alternating pairs (ours, peer), output to /dev/null,
   and prints per peer the speed ratio ddbstream/peer (= peer time / our time for the same
   input) as min/median/max over the pairs, for wall time and for CPU time (user+sys), with
   peak RSS. With a slice, node's and jq's pairs time ddbstream on the same slice, so the
   ratio compares like with like.
5. Byte-by-byte vs 64 KiB feeding: build/peers/bench (bench/bench.c, best of 3), and
   build/peers/feedsize (alternating pairs, CPU and wall time) on the corpus file.
6. Prints the issue's targets, met or missed.
Wall time: time.perf_counter around the run. Peak RSS: GNU time (/usr/bin/time -f %M).
CPU time (user+sys): the rusage of that time process from wait4, which includes its child. Exit 1 if a check fails, 2 if a tool is missing.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
HERE = os.path.join(ROOT, 'bench', 'peers')
B = os.path.join(ROOT, 'build')
P = os.path.join(B, 'peers')
CLI = os.path.join(B, 'ddbstream')
# Realistic CSV export: record metadata, the keys, and the first attributes of the item.
COLS = ('eventName,eventID,SequenceNumber,ApproximateCreationDateTime,pk,sk,status,createdAt,'
        'updatedAt,email,name,price,quantity,total,tags,isActive')
# Same optimisation level as the CLI (Makefile CFLAGS default -O2 -g), no -march=native.
CFLAGS = ['-O2', '-g']


def sh(cmd, **kw):
    print('  $ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def need_tools():
    missing = [t for t in ('cc', 'g++', 'node', 'jq', 'make') if not shutil.which(t)]
    missing += [] if os.access('/usr/bin/time', os.X_OK) else ['/usr/bin/time (GNU time)']
    missing += [h for h in ('/usr/include/simdjson.h', '/usr/include/yajl/yajl_parse.h',
                            '/usr/include/cjson/cJSON.h') if not os.path.exists(h)]
    if not os.path.isdir(os.path.join(ROOT, 'tests/oracle/node_modules/@aws-sdk/util-dynamodb')):
        missing.append('tests/oracle/node_modules (npm ci)')
    if missing:
        print('bench-peers: missing ' + ', '.join(missing) + '; run bench/peers/setup.sh')
        sys.exit(2)


def build():
    os.makedirs(P, exist_ok=True)
    sh(['make', '-s', 'build/ddbstream'])
    # bench: the Makefile's `bench` command (allocation counting on)
    sh(['cc', '-std=c99', '-O2', '-DBENCH_COUNT_ALLOCS',
        '-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free', '-I.', 'bench/bench.c',
        '-o', os.path.join(P, 'bench')])
    sh(['cc', '-std=c99', *CFLAGS, '-I.', 'bench/peers/feedsize.c', 'bench/peers/feedsize_lib.c', '-o', os.path.join(P, 'feedsize')])
    inc = ['-Ibench/peers']
    # -pthread: what simdjson's CMake package asks for; it turns on load_many's lookahead thread
    sh(['g++', '-std=c++17', *CFLAGS, '-pthread', *inc, 'bench/peers/simdjson_peer.cpp',
        '-lsimdjson', '-o', os.path.join(P, 'simdjson_peer')])
    sh(['cc', '-std=c99', *CFLAGS, *inc, 'bench/peers/yajl_peer.c', '-lyajl', '-o',
        os.path.join(P, 'yajl_peer')])
    sh(['cc', '-std=c99', *CFLAGS, *inc, 'bench/peers/cjson_peer.c', '-lcjson', '-lm', '-o',
        os.path.join(P, 'cjson_peer')])


def versions():
    def pkg(name):
        r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', name], capture_output=True, text=True)
        return r.stdout or '?'
    udb = '?'
    try:
        with open(os.path.join(ROOT, 'tests/oracle/node_modules/@aws-sdk/util-dynamodb/package.json')) as f:
            udb = json.load(f)['version']
    except OSError:
        pass
    node = subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()
    jq = subprocess.run(['jq', '--version'], capture_output=True, text=True).stdout.strip()
    cc = subprocess.run(['cc', '--version'], capture_output=True, text=True).stdout.split('\n')[0]
    # which ddbstream.h was measured: the commit, and the header's own hash (it may be edited)
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(['git', 'diff', '--quiet', 'HEAD', '--', 'ddbstream.h'], cwd=ROOT).returncode
    with open(os.path.join(ROOT, 'ddbstream.h'), 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:12]
    impl = subprocess.run([os.path.join(P, 'simdjson_peer'), '--impl'], capture_output=True, text=True).stdout.strip()
    hdr = f'ddbstream.h sha256 {sha} (commit {head or "?"}{", edited since" if dirty else ""})'
    return (f'{hdr}\nsimdjson {pkg("libsimdjson-dev")} (the Debian library; kernel chosen at run time: {impl}), yajl {pkg("libyajl-dev")}, cJSON {pkg("libcjson-dev")}, '
            f'{jq}, node {node} + @aws-sdk/util-dynamodb {udb}; {cc}; peers and CLI at {" ".join(CFLAGS)}')


TIMEF = os.path.join(tempfile.gettempdir(), f'bench-peers-time.{os.getpid()}')


def run_timed(cmd, out=subprocess.DEVNULL):
    """One run: (wall s, cpu s, peak RSS KiB). Fails loudly on a non-zero exit.
    Peak RSS is GNU time's %M: time is a small process, so its child's peak is the child's
    own (a child forked straight from Python would report at least Python's RSS). CPU time
    is the rusage that wait4 returns for the time process, which includes its reaped child,
    in microseconds (time's own %U %S print hundredths only)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(['/usr/bin/time', '-f', '%M', '-o', TIMEF] + cmd, stdout=out, cwd=ROOT)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f'bench-peers: {" ".join(cmd)}: exit {p.returncode}')
    with open(TIMEF) as f:
        rss = int(f.read().split()[-1])
    return wall, ru.ru_utime + ru.ru_stime, rss


def to_file(cmd, path):
    with open(path, 'wb') as f:
        run_timed(cmd, f)


class Peer:
    def __init__(self, name, cmd, ours, corpus, csv=False, note=''):
        self.name, self.cmd, self.ours, self.corpus, self.csv, self.note = name, cmd, ours, corpus, csv, note


def peers(full, slc):
    sp = os.path.join(P, 'simdjson_peer')
    node = ['node', os.path.join(HERE, 'node_peer.js')]
    jq = ['jq', '-c', '-f', os.path.join(HERE, 'unmarshall.jq')]
    one = [CLI, '-j', '1']  # ddbstream in one thread: against the peers that use one
    jobs = f'ours --jobs default ({min(os.cpu_count() or 1, 8)} threads here)'
    csv = ['--format', 'csv', '--columns', COLS]
    return [
        Peer('simdjson DOM', [sp, full], [CLI, full], full,
             note=f'load_many with its lookahead thread; {jobs}'),
        Peer('simdjson DOM 1 thread', [sp, '--one-thread', full], one + [full], full,
             note='parser.threaded = false; ours -j 1'),
        Peer('yajl callbacks', [os.path.join(P, 'yajl_peer'), full], one + [full], full,
             note='yajl_parse, 64 KiB reads; ours -j 1'),
        Peer('cJSON', [os.path.join(P, 'cjson_peer'), full], one + [full], full,
             note='whole file, a tree per document; ours -j 1'),
        Peer('CSV: simdjson DOM', [sp, '--csv', COLS, full], [CLI] + csv + [full], full, csv=True,
             note=f'{COLS.count(",") + 1} columns, lookahead thread; {jobs}'),
        Peer('CSV: simdjson DOM 1 thread', [sp, '--one-thread', '--csv', COLS, full], one + csv + [full],
             full, csv=True, note='ours -j 1'),
        Peer('node + util-dynamodb', node + [slc], [CLI, slc], slc,
             note=f'JSON.parse + unmarshall(wrapNumbers); {jobs}'),
        Peer('node, ours -j 1', node + [slc], one + [slc], slc, note='the same, ours in one thread'),
        Peer('jq (N as strings)', jq + [slc], one + ['--numbers-as-strings', slc], slc,
             note='both sides write N as "text"; ours -j 1'),
    ]


def check(pe, tmp):
    """Same values as ddbstream on pe.corpus, or exit 1."""
    ours, theirs = os.path.join(tmp, 'ours.out'), os.path.join(tmp, 'peer.out')
    to_file(pe.ours, ours)
    to_file(pe.cmd, theirs)
    cmd = ['node', '--max-old-space-size=8192', os.path.join(HERE, 'same.js'), ours, theirs]
    r = subprocess.run(cmd + (['--csv'] if pe.csv else []), capture_output=True, text=True)
    mb = os.path.getsize(pe.corpus) / 2**20
    print(f'  {pe.name:26} on {mb:5.1f} MiB: ' + r.stdout.strip().split('\n')[-1].split(': ', 1)[-1]
          + ('' if r.returncode == 0 else '\n' + r.stdout), flush=True)
    os.remove(ours)
    os.remove(theirs)
    if r.returncode:
        sys.exit(1)


def jq_tonumber_note(slc, tmp):
    """How many lines jq gets wrong when N goes through tonumber (jq 1.6 numbers are doubles)."""
    f = os.path.join(tmp, 'jqnum.jq')
    with open(os.path.join(HERE, 'unmarshall.jq')) as src, open(f, 'w') as dst:
        dst.write(src.read().replace('elif has("N") then .N', 'elif has("N") then .N | tonumber')
                  .replace('elif has("NS") then .NS', 'elif has("NS") then .NS | map(tonumber)'))
    ours, theirs = os.path.join(tmp, 'ours.out'), os.path.join(tmp, 'peer.out')
    to_file([CLI, slc], ours)
    to_file(['jq', '-c', '-f', f, slc], theirs)
    r = subprocess.run(['node', os.path.join(HERE, 'same.js'), ours, theirs], capture_output=True, text=True)
    last = r.stdout.strip().split('\n')[-1].split(': ', 1)[-1]
    first = next((l for l in r.stdout.split('\n') if l.startswith('line ')), '')
    print(f'  jq with .N | tonumber (for the record): {last}; first: {first}', flush=True)
    os.remove(ours)
    os.remove(theirs)


def fmt3(xs):
    return f'{min(xs):6.2f} {statistics.median(xs):6.2f} {max(xs):6.2f}'


def main():
    ap = argparse.ArgumentParser(description='ddbstream against peers (issue D section 2)')
    ap.add_argument('--mib', type=int, default=256, help='corpus MiB (default 256)')
    ap.add_argument('--slice-mib', type=int, default=0,
                    help='node/jq on a prefix of this many MiB (default 0: the whole corpus)')
    ap.add_argument('--pairs', type=int, default=7, help='timed pairs per peer (default 7, >= 5)')
    ap.add_argument('--only', default='', help='comma-separated name prefixes of peers to run')
    ap.add_argument('--no-bytewise', action='store_true', help='skip the byte-by-byte runs')
    ap.add_argument('--cli', help='time this ddbstream binary instead of build/ddbstream (e.g. an '
                    'older commit built elsewhere, for the step log in bench/RESULTS.md)')
    a = ap.parse_args()
    global CLI
    if a.cli:
        CLI = os.path.abspath(a.cli)
    t_start = time.perf_counter()
    need_tools()
    print('== build')
    build()
    print('\n' + versions())
    if a.cli:
        print(f'ddbstream timed: {CLI} (not the header above)')
    print(f'load average at start: {os.getloadavg()[0]:.2f} (2-core shared box: wall times are noisy)')

    tmp = tempfile.mkdtemp(prefix='bench-peers.')
    try:
        full, slc = os.path.join(tmp, 'corpus.json'), os.path.join(tmp, 'slice.json')
        print('\n== corpus (bench/bench.c generator, seed 1)')
        subprocess.run([os.path.join(P, 'bench'), str(a.mib), '--dump', full], check=True)
        if 0 < a.slice_mib < a.mib:
            subprocess.run([os.path.join(P, 'bench'), str(a.slice_mib), '--dump', slc], check=True)
            n = os.path.getsize(slc)
            if subprocess.run(['cmp', '-s', '-n', str(n), slc, full]).returncode:
                sys.exit('bench-peers: the slice is not a prefix of the corpus')
        else:
            slc = full
        ps = [p for p in peers(full, slc)
              if not a.only or any(p.name.lower().startswith(o.strip().lower()) for o in a.only.split(','))]

        print('\n== same values as ddbstream (checked before timing)')
        for pe in ps:
            check(pe, tmp)
        if any(p.name.startswith('jq') for p in ps):
            jq_tonumber_note(slc, tmp)

        print(f'\n== timing: {a.pairs} alternating pairs (ddbstream, peer), output to /dev/null')
        print('ratio = ddbstream speed / peer speed = peer time / ddbstream time, min median max')
        rows = []
        ours_rss = []
        hdr = (f'{"peer":26} {"input":>9} | {"wall ratio":^20} | {"cpu ratio":^20} | '
               f'{"peer wall":>9} {"ours wall":>9} | {"peer RSS":>9} {"ours RSS":>9}')
        print(hdr)
        for pe in ps:
            run_timed(pe.ours)   # warm: page cache, node's compile cache
            run_timed(pe.cmd)
            wr, cr, pw, ow, prss, orss = [], [], [], [], [], []
            for _ in range(a.pairs):
                w0, c0, r0 = run_timed(pe.ours)
                w1, c1, r1 = run_timed(pe.cmd)
                wr.append(w1 / w0)
                cr.append(c1 / c0)
                pw.append(w1)
                ow.append(w0)
                prss.append(r1)
                orss.append(r0)
            if pe.corpus == full:
                ours_rss += orss
            mb = os.path.getsize(pe.corpus) / 2**20
            row = (pe, mb, wr, cr, pw, ow, max(prss), max(orss))
            rows.append(row)
            print(f'{pe.name:26} {mb:5.0f} MiB | {fmt3(wr)} | {fmt3(cr)} | '
                  f'{statistics.median(pw):8.3f}s {statistics.median(ow):8.3f}s | '
                  f'{max(prss) / 1024:7.1f}Mi {max(orss) / 1024:7.1f}Mi   {pe.note}', flush=True)
        if rows:
            speeds = ', '.join(f'{r[0].name} {r[1] / statistics.median(r[4]):.0f}' for r in rows)
            print(f'(wall, CPU: ratios per pair; peer/ours wall: medians; RSS: the largest run; '
                  f'MiB = 2^20 bytes)\nMiB/s at the median wall time: {speeds}; ddbstream '
                  f'{rows[0][1] / statistics.median(rows[0][5]):.0f}')

        bytewise = None
        if not a.no_bytewise:
            print(f'\n== byte-by-byte vs 64 KiB chunks')
            print(f'-- build/peers/bench {a.mib} --runs 3 (in memory, same corpus, best of 3 wall-clock runs)')
            r = subprocess.run([os.path.join(P, 'bench'), str(a.mib), '--runs', '3'],
                               capture_output=True, text=True, cwd=ROOT)
            print(r.stdout.rstrip())
            if r.returncode:
                print(r.stderr)
                sys.exit(1)
            print(f'-- build/peers/feedsize: {a.pairs} alternating pairs (64 KiB, 1 B) over the corpus file in memory')
            r = subprocess.run([os.path.join(P, 'feedsize'), full, str(a.pairs)], capture_output=True, text=True)
            print(r.stdout.rstrip())
            if r.returncode:
                print(r.stderr)
                sys.exit(1)
            w = re.search(r'wall time: min [0-9.]+x median ([0-9.]+)x', r.stdout)
            c = re.search(r'CPU time: min [0-9.]+x median ([0-9.]+)x', r.stdout)
            bytewise = (float(w.group(1)), float(c.group(1)))

        print(f'\n== targets (issue D section 2): met or missed on the wall-time median; CPU-time median after it')
        by = {r[0].name: r for r in rows}

        def target(label, ok, text):
            print(f'  {"met   " if ok else "MISSED"} {label:46} {text}')

        def med(name, i):
            return statistics.median(by[name][i])
        if 'simdjson DOM' in by:
            extra = (f'; 1 thread: {med("simdjson DOM 1 thread", 2):.2f}x wall, {med("simdjson DOM 1 thread", 3):.2f}x CPU'
                     if 'simdjson DOM 1 thread' in by else '')
            target('transcode >= 2.0x simdjson DOM', med('simdjson DOM', 2) >= 2.0,
                   f'{med("simdjson DOM", 2):.2f}x wall, {med("simdjson DOM", 3):.2f}x CPU{extra}')
        if 'CSV: simdjson DOM' in by:
            extra = (f'; 1 thread: {med("CSV: simdjson DOM 1 thread", 2):.2f}x wall, '
                     f'{med("CSV: simdjson DOM 1 thread", 3):.2f}x CPU' if 'CSV: simdjson DOM 1 thread' in by else '')
            target('CSV >= 1.5x simdjson DOM CSV', med('CSV: simdjson DOM', 2) >= 1.5,
                   f'{med("CSV: simdjson DOM", 2):.2f}x wall, {med("CSV: simdjson DOM", 3):.2f}x CPU{extra}')
        if 'node + util-dynamodb' in by:
            extra = (f'; ours -j 1: {med("node, ours -j 1", 2):.1f}x wall, {med("node, ours -j 1", 3):.1f}x CPU'
                     if 'node, ours -j 1' in by else '')
            target('>= 50x node + util-dynamodb', med('node + util-dynamodb', 2) >= 50,
                   f'{med("node + util-dynamodb", 2):.1f}x wall, {med("node + util-dynamodb", 3):.1f}x CPU'
                   f'{extra} (on {os.path.getsize(slc) / 2**20:.0f} MiB; node CPU counts its GC threads)')
        if bytewise is not None:
            target('byte-by-byte <= 3x slower than 64 KiB chunks', bytewise[0] <= 3.0,
                   f'{bytewise[0]:.2f}x wall, {bytewise[1]:.2f}x CPU')
        if ours_rss:
            m = max(ours_rss) / 1024
            target(f'CLI peak RSS <= 16 MiB on the {a.mib} MiB corpus', m <= 16, f'{m:.1f} MiB (largest of its runs)')
        print(f'\nload average at end: {os.getloadavg()[0]:.2f}; total {time.perf_counter() - t_start:.0f} s')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if os.path.exists(TIMEF):
            os.remove(TIMEF)


if __name__ == '__main__':
    main()
