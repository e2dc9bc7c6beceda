#!/usr/bin/env python3
"""CSV output re-read by Python's csv module must hold the same values as the NDJSON output.

usage: python3 tests/csv_check.py BIN

For each input the CLI runs once as `--shape item --item-meta` (NDJSON, the reference) and
then as `--format csv --columns META+NAMES` in four modes: plain, --crlf, --csv-safe and
both. The columns are the four metadata fields plus the item's top-level attribute names
(most frequent first, 60 a pass, up to 3 passes; a name equal to a metadata field is left
out, as the column means the field). Every cell is checked against the NDJSON value:
  S -> the decoded text (a lone surrogate, kept as an escape in NDJSON, is U+FFFD in CSV),
  N -> the exact number text, BOOL -> true/false, NULL or missing -> empty, B -> the base64
  text, M/L/sets -> compact JSON whose value equals the NDJSON value (numbers as text),
  metadata -> the field's value (the time as written, without quotes).
--crlf: every row ends CRLF and the values are the same. --csv-safe: text cells (S, B and the
string metadata fields) starting with = + - @ tab CR get a leading ', numbers never.
Inputs: the stream samples in tests/data (same exclusions as tests/oracle/diff.sh), 4,000
records from tests/oracle/gen.js, and 10,000 records from the generator below, whose
attribute names and strings hold , " CR LF tab, non-ASCII, escapes, surrogate pairs and lone
surrogates. --columns is a plain comma-separated list, so names with ',' are left out unless
the CLI reads the list as one CSV record ("a,b",c: probed at start, used when it does); names
with NUL or a lone surrogate (no UTF-8 form) always are. test_csv.c covers all of them
through the library.
Prints one line per check, then `csv: N passed, M failed`; exits 1 on any failure.
"""
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
META = ['eventName', 'eventID', 'SequenceNumber', 'ApproximateCreationDateTime']
GUARD = ('=', '+', '-', '@', '\t', '\r')
MAX_PASSES = 3      # column groups per input: enough for gen.js, whose names are random
csv.field_size_limit(1 << 30)   # gen.js writes ~400 KB items; the default limit is 128 KiB


class Num:
    """A JSON number as its exact text, equal only to another number with the same text."""
    __slots__ = ('t',)

    def __init__(self, t):
        self.t = t

    def __eq__(self, o):
        return isinstance(o, Num) and o.t == self.t

    def __hash__(self):
        return hash(self.t)

    def __repr__(self):
        return 'Num(%s)' % self.t


class Obj(tuple):
    """A JSON object as its (key, value) pairs in order: order and duplicates count, and an
    empty object never equals an empty array (a list)."""


def loads(text):
    return json.loads(text, parse_int=Num, parse_float=Num, object_pairs_hook=Obj)


def unsurrogate(s):
    """What a decoder makes of a string with lone surrogates: U+FFFD for each."""
    return ''.join('\ufffd' if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)


def compact(cell):
    """No whitespace between JSON tokens (strings may hold any)."""
    ins = esc = False
    for ch in cell:
        if ins:
            if esc:
                esc = False
            elif ch == '\\':
                esc = True
            elif ch == '"':
                ins = False
        elif ch == '"':
            ins = True
        elif ch in ' \t\r\n':
            return False
    return True


def split_records(text):
    """RFC 4180 record terminators outside quotes: returns (terminators, error or None)."""
    ends, ins, i, n = [], False, 0, len(text)
    while i < n:
        ch = text[i]
        if ins:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    ins = False
        elif ch == '"':
            ins = True
        elif ch == '\r':
            if i + 1 < n and text[i + 1] == '\n':
                ends.append('\r\n')
                i += 1
            else:
                return ends, 'bare CR outside quotes at char %d' % i
        elif ch == '\n':
            ends.append('\n')
        i += 1
    if ins:
        return ends, 'unterminated quote'
    if text and not text.endswith('\n'):
        return ends, 'last row has no line end'
    return ends, None


# ------------------------------------------------------------------------------ checking ----

def expected_cell(v, col, safe):
    """The cell text for NDJSON value v (None when v is a map, list or set: see check)."""
    if v is MISSING or v is None:
        return ''
    if v is True or v is False:
        return 'true' if v else 'false'
    if isinstance(v, Num):
        return v.t
    if isinstance(v, str):
        t = unsurrogate(v)
        if safe and col != 'ApproximateCreationDateTime' and t.startswith(GUARD):
            t = "'" + t
        return t
    return None


MISSING = object()


def item_split(line_obj):
    """(metadata dict, attribute pairs) of one item-shape line with --item-meta."""
    meta, k = {}, 0
    pairs = list(line_obj)
    for m in META:   # written first and in this order, each only when present
        if k < len(pairs) and pairs[k][0] == '_' + m:
            meta[m] = pairs[k][1]
            k += 1
    return meta, pairs[k:]


def run(args, timeout=120):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def csv_record(names):
    """names as one RFC 4180 record, for a --columns that reads quotes."""
    return ','.join('"%s"' % n.replace('"', '""') if any(c in n for c in ',"\r\n') else n
                    for n in names)


class Checker:
    def __init__(self, binary):
        self.bin = binary
        self.passed = self.failed = 0
        self.cells = 0
        # does --columns take a CSV record? then the header of "a,b",c is that same text
        rc, out, _ = run([binary, '--format', 'csv', '--columns', '"a,b",c', os.devnull])
        self.quoted = rc == 0 and out == b'"a,b",c\n'

    def ok(self, name):
        self.passed += 1
        print('ok   ' + name)

    def ko(self, name, why):
        self.failed += 1
        print('FAIL %s: %s' % (name, why))

    def check_file(self, path, label, passes=MAX_PASSES, seed=0):
        rc, out, err = run([self.bin, '--shape', 'item', '--item-meta', path])
        if rc != 0:
            self.ko(label, 'NDJSON run exit %d: %s' % (rc, err.decode(errors='replace')[:300]))
            return
        # split on LF only: str.splitlines would also cut at U+2028 inside strings
        items = [item_split(loads(l)) for l in out.decode('utf-8').split('\n') if l]
        # column candidates: every top-level name, most frequent first
        freq, first, skipped = {}, {}, set()
        for _, pairs in items:
            for k, _ in pairs:
                if k not in freq:
                    first[k] = len(first)
                freq[k] = freq.get(k, 0) + 1
        names = []
        for k in sorted(freq, key=lambda k: (-freq[k], first[k])):
            if (k == '' or (',' in k and not self.quoted) or '\0' in k or k in META or
                    any(0xD800 <= ord(c) <= 0xDFFF for c in k)):
                skipped.add(k)
            else:
                names.append(k)
        groups = [names[i:i + 60] for i in range(0, len(names), 60)][:passes] or [[]]
        rng = random.Random(seed)
        for g, group in enumerate(groups):
            cols = META + group
            rng.shuffle(cols)   # metadata anywhere in the row, not only first
            tag = '%s [%d cols%s]' % (label, len(cols), ', pass %d' % (g + 1) if len(groups) > 1 else '')
            for mode in ((), ('--crlf',), ('--csv-safe',), ('--crlf', '--csv-safe')):
                self.check_csv(path, items, cols, mode, tag + (' ' + ' '.join(mode) if mode else ''))
        if skipped:
            print('     (%s: %d names not passable to --columns)' % (label, len(skipped)))

    def check_csv(self, path, items, cols, mode, name):
        spec = csv_record(cols) if self.quoted else ','.join(cols)
        args = [self.bin, '--format', 'csv', '--columns', spec] + list(mode) + [path]
        rc, out, err = run(args)
        if rc != 0:
            return self.ko(name, 'exit %d: %s' % (rc, err.decode(errors='replace')[:300]))
        try:
            text = out.decode('utf-8')
        except UnicodeDecodeError as e:
            return self.ko(name, 'not UTF-8: %s' % e)
        crlf, safe = '--crlf' in mode, '--csv-safe' in mode
        ends, why = split_records(text)
        if why:
            return self.ko(name, why)
        want_end = '\r\n' if crlf else '\n'
        bad = [e for e in ends if e != want_end]
        if bad:
            return self.ko(name, '%d rows end %r instead of %r' % (len(bad), bad[0], want_end))
        try:
            rows = list(csv.reader(io.StringIO(text, newline=''), strict=True))
        except csv.Error as e:
            return self.ko(name, 'csv module: %s' % e)
        # a one-column row holding an empty cell is a blank line, which csv reads as []
        rows = [r if r or len(cols) != 1 else [''] for r in rows]
        if len(ends) != len(rows):
            return self.ko(name, '%d line ends but %d rows' % (len(ends), len(rows)))
        if not rows or rows[0] != cols:
            return self.ko(name, 'header %r, want %r' % (rows[0] if rows else None, cols))
        if len(rows) - 1 != len(items):
            return self.ko(name, '%d rows, NDJSON has %d lines' % (len(rows) - 1, len(items)))
        errors = []
        for r, (row, (meta, pairs)) in enumerate(zip(rows[1:], items), 1):
            if len(row) != len(cols):
                errors.append('row %d: %d cells, want %d' % (r, len(row), len(cols)))
                continue
            attrs = dict(pairs)
            for c, cell in zip(cols, row):
                self.cells += 1
                v = meta.get(c, MISSING) if c in META else attrs.get(c, MISSING)
                want = expected_cell(v, c, safe)
                if want is None:   # map, list or set: compact JSON of the same value
                    try:
                        same = loads(cell) == v
                    except ValueError:
                        same = False
                    if not same or not compact(cell):
                        errors.append('row %d col %r: %r is not compact JSON of %r' % (r, c, cell[:200], v))
                elif cell != want:
                    errors.append('row %d col %r: %r, want %r' % (r, c, cell[:200], want[:200]))
            if len(errors) > 5:
                break
        if errors:
            return self.ko(name, '\n     '.join([''] + errors[:6]))
        self.ok(name)


# ----------------------------------------------------------------------------- generator ----
# Records whose attribute names and strings hold what CSV must quote or decode. Strings are
# written with escapes chosen at random (\" \u0022, \n \u000a, \u00e9, surrogate pairs, \/),
# lone surrogates always as escapes (they have no UTF-8 form).

PIECES = ['a', 'b', 'z', 'Q', '0', '7', ' ', ',', '"', '""', '\n', '\r', '\r\n', '\t', 'é',
          'ß', 'ж', '日本', '€', '\u2028', '\ufeff', '🦊', '𝄞', '\\', '/', "'", '=', '+', '-',
          '@', '\x00', '\x1f', '\x7f', '\ud83e', '\udd8a', '\udbff']
NAMES = ['id', 'pk', 'sk', 'a', 'ab', 'abc', 'A', 'Id', 'a"b', 'say "hi", ok', 'multi\nline',
         'cr\rx', 'crlf\r\nx', 'tab\tx', 'café', 'naïve', '日本語', '🦊', 'x🦊y', '€"\n',
         '=sum', '-dash', '+plus', '@at', ' lead', 'trail ', "it's", 'back\\slash', 'sl/ash',
         '\u2028sep', '""', '"', "'", 'n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8',
         'n9', 'zé"\r\n,', 'a,b', ',', 'lone\ud83e', '\udd8a low', 'nul\x00x', 'x\ud83e\udd8a']
SHORT = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
NUMS = ['0', '1', '-1', '-5', '42', '3.14', '-0.5', '1e3', '1E+125', '-1.5e-7', '1E-130',
        '12345678901234567890123456789012345678', '0.000001', '-9.99E+125', '100', '2.50']


def u4(rng, c):
    h = '\\u%04x' % c
    return h.upper().replace('\\U', '\\u') if rng.random() < 0.5 else h


def jstr(rng, s, heavy=None):
    """s as a JSON string literal with escapes chosen at random."""
    if heavy is None:
        heavy = rng.random() < 0.35
    o = ['"']
    for ch in s:
        c = ord(ch)
        if ch in '"\\' or c < 0x20:
            o.append(SHORT[ch] if ch in SHORT and rng.random() < 0.7 else u4(rng, c))
        elif 0xD800 <= c <= 0xDFFF:
            o.append(u4(rng, c))
        elif heavy and rng.random() < 0.4:
            if c > 0xFFFF:
                c -= 0x10000
                o.append(u4(rng, 0xD800 + (c >> 10)) + u4(rng, 0xDC00 + (c & 0x3FF)))
            elif ch == '/':
                o.append('\\/')
            else:
                o.append(u4(rng, c))
        else:
            o.append(ch)
    o.append('"')
    return ''.join(o)


def text(rng):
    r = rng.random()
    if r < 0.05:
        return ''
    s = ''.join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
    if r < 0.2:   # formula-looking starts, for --csv-safe
        s = rng.choice(GUARD) + s
    return s


def b64(rng):
    import base64
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))).decode()


def av(rng, depth):
    """One AttributeValue as JSON text."""
    t = rng.choice(['S', 'S', 'N', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'M', 'L'])
    if depth > 2 and t in ('M', 'L'):
        t = 'S'
    if t == 'S':
        v = jstr(rng, text(rng))
    elif t == 'N':
        v = '"%s"' % rng.choice(NUMS)
    elif t == 'B':
        v = '"%s"' % b64(rng)
    elif t == 'BOOL':
        v = rng.choice(['true', 'false'])
    elif t == 'NULL':
        v = 'true'
    elif t == 'SS':
        v = '[%s]' % ','.join(jstr(rng, s) for s in sorted({text(rng) for _ in range(rng.randint(1, 4))}))
    elif t == 'NS':
        v = '[%s]' % ','.join('"%s"' % s for s in sorted(set(rng.sample(NUMS, rng.randint(1, 4)))))
    elif t == 'BS':
        v = '[%s]' % ','.join('"%s"' % s for s in sorted({b64(rng) for _ in range(rng.randint(1, 3))}))
    elif t == 'M':
        v = image(rng, depth + 1, rng.randint(0, 4))
    else:
        v = '[%s]' % ','.join(av(rng, depth + 1) for _ in range(rng.randint(0, 4)))
    return '{"%s":%s}' % (t, v)


def image(rng, depth, n, keys=()):
    names = list(keys) + rng.sample([x for x in NAMES if x not in keys], n)
    rng.shuffle(names)
    return '{%s}' % ','.join('%s:%s' % (jstr(rng, k, rng.random() < 0.5), av(rng, depth))
                             for k in names)


def record(rng, seq, t, meta_escapes):
    ev = rng.choice(['INSERT', 'MODIFY', 'REMOVE'])
    keys = ['pk'] + (['sk'] if rng.random() < 0.5 else [])
    dd = ['"Keys":{%s}' % ','.join('%s:{"S":%s}' % (jstr(rng, k), jstr(rng, text(rng)))
                                   for k in keys)]
    want_new = ev != 'REMOVE' and rng.random() < 0.85
    want_old = ev != 'INSERT' and rng.random() < 0.8
    if ev == 'INSERT' and rng.random() < 0.05:
        want_old = True   # odd but valid: the item is still the NewImage
    if want_new:
        dd.append('"NewImage":' + image(rng, 1, rng.randint(0, 14), keys))
    if want_old:
        dd.append('"OldImage":' + image(rng, 1, rng.randint(0, 14), keys))
    sq = str(seq)
    if meta_escapes:   # two digits as \u0031 (the field holds 64 bytes as written)
        i = rng.randrange(len(sq) - 1)
        sq = sq[:i] + '\\u%04x\\u%04X' % (ord(sq[i]), ord(sq[i + 1])) + sq[i + 2:]
    dd.append('"SequenceNumber":"%s"' % sq)
    r = rng.random()
    if r < 0.5:
        dd.append('"ApproximateCreationDateTime":%d' % t)
    elif r < 0.65:
        dd.append('"ApproximateCreationDateTime":%d.%d' % (t, rng.randint(0, 999)))
    elif r < 0.8:
        s = str(t)
        dd.append('"ApproximateCreationDateTime":%s.%s%dE%d' % (s[0], s[1:], rng.randint(1, 9), len(s) - 1))
    elif r < 0.9:
        dd.append('"ApproximateCreationDateTime":"%d"' % t)   # as a string
    dd.append('"SizeBytes":%d' % rng.randint(10, 9999))
    rng.shuffle(dd)
    eid = '%032x' % rng.getrandbits(128)
    if meta_escapes:
        eid = jstr(rng, rng.choice(['', '-', '=', '@', 'x']) + eid[:8] + rng.choice(['é', ',', '"', '\\', '🦊', '']) + eid[8:16], True)
    else:
        eid = '"%s"' % eid
    env = ['"eventID":%s' % eid, '"eventName":"%s"' % ev, '"eventVersion":"1.1"',
           '"eventSource":"aws:dynamodb"', '"dynamodb":{%s}' % ','.join(dd)]
    rng.shuffle(env)
    return '{%s}' % ','.join(env)


def generate(path, seed, n, meta_escapes=False):
    """n records in Lambda events, GetRecords responses and bare records, mixed layouts."""
    rng = random.Random(seed)
    seq, t, left, docs = 10**20, 1480642020, n, []
    while left:
        k = min(left, rng.randint(1, 40))
        recs = []
        for _ in range(k):
            seq += rng.randint(1, 1000)
            t += rng.randint(0, 120)
            recs.append(record(rng, seq, t, meta_escapes))
        left -= k
        if k == 1 and rng.random() < 0.3:
            docs.append(recs[0])
        elif rng.random() < 0.2:
            docs.append('{"Records":[%s],"NextShardIterator":"it"}' % ','.join(recs))
        else:
            docs.append('{"Records":[\n%s\n]}' % ',\n'.join(recs))
    with open(path, 'w', encoding='utf-8', newline='') as f:
        for d in docs:
            f.write(d + rng.choice(['\n', '', ' ', '\r\n', '\n\n']))


# ---------------------------------------------------------------------------------- main ----

def samples():
    """The stream inputs in tests/data: tests/oracle/diff.sh leaves out the same files."""
    data = os.path.join(HERE, 'data')
    out = []
    for root, _, files in os.walk(data):
        for f in files:
            low = f.lower()
            if not low.endswith('.json') or low.startswith('kinesis') or 'firehose' in low or \
                    'response' in low or 'malformed' in low or low in ('examples-1.json', 'dynamodb-stream.json'):
                continue
            out.append(os.path.join(root, f))
    return sorted(out)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: %s BIN\n' % sys.argv[0])
        return 2
    ck = Checker(sys.argv[1])
    if not ck.quoted:
        print('note: --columns is a plain comma list here: names with "," are left out')
    for f in samples():
        ck.check_file(f, os.path.relpath(f, os.path.join(HERE, 'data')))
    with tempfile.TemporaryDirectory() as tmp:
        g = os.path.join(tmp, 'gen.json')
        rc, _, err = run(['node', os.path.join(HERE, 'oracle', 'gen.js'), '5', '4000', g, '--style', 'mixed'])
        if rc != 0:
            ck.ko('gen.js seed 5, 4000 records', 'gen.js failed: %s' % err.decode(errors='replace')[:300])
        else:
            ck.check_file(g, 'gen.js seed 5, 4000 records, mixed', seed=5)
        for seed, n in ((1, 6000), (2, 4000)):
            p = os.path.join(tmp, 'own%d.json' % seed)
            generate(p, seed, n)
            ck.check_file(p, 'generated seed %d, %d records' % (seed, n), seed=seed)
        p = os.path.join(tmp, 'meta.json')
        generate(p, 3, 300, meta_escapes=True)
        ck.check_file(p, 'generated seed 3, 300 records, escapes in eventID and SequenceNumber', seed=3)
    print('%d cells compared' % ck.cells)
    print('csv: %d passed, %d failed' % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == '__main__':
    sys.exit(main())
