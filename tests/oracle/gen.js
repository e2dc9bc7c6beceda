'use strict';
// Deterministic DynamoDB Streams input generator for differential tests.
// usage: node gen.js SEED NRECORDS OUTFILE [--style compact|pretty|concat|mixed]
// Writes exactly NRECORDS stream records, only valid DynamoDB data (what the CLI must accept).
const fs = require('fs');

// mulberry32: tiny seeded PRNG, so any failing seed reproduces byte for byte.
let st = 0;
function rnd() {
  st = (st + 0x6d2b79f5) | 0;
  let t = Math.imul(st ^ (st >>> 15), 1 | st);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));   // inclusive
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;
const digits = (n, lead) => { let s = lead ? String(int(1, 9)) : ''; while (s.length < n) s += int(0, 9); return s; };
function shuffle(a) { for (let i = a.length - 1; i > 0; i--) { const j = int(0, i); [a[i], a[j]] = [a[j], a[i]]; } return a; }

// Tree nodes. Raw: number text written verbatim. Obj: ordered entries; esc=true lets key
// names get random escapes (attribute names, junk), false keeps envelope keys plain.
// U: a user string whose escapes are chosen at random; plain JS strings are written minimally.
class Raw { constructor(t) { this.t = t; } }
class Obj { constructor(e, esc) { this.e = e; this.esc = esc; } }
class U { constructor(s) { this.s = s; } }
const obj = (e, esc = false) => new Obj(shuffle(e), esc);

// ---------- serializer (own, because JSON.stringify can't write raw numbers or escapes) ----
const SHORT = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const u4 = (c) => { const h = c.toString(16).padStart(4, '0'); return '\\u' + (chance(0.5) ? h : h.toUpperCase()); };
function plain(s) { return JSON.stringify(s); }   // minimal escapes, valid JSON
function esc(s) {
  const heavy = chance(0.35);                      // heavy: escape ~30% of all chars
  if (!heavy && !/["\\\u0000-\u001f]/.test(s)) return '"' + s + '"';
  let o = '"';
  for (const ch of s) {                            // by code point: pairs stay together
    const c = ch.codePointAt(0);
    if (c < 0x20 || ch === '"' || ch === '\\') o += SHORT[ch] && chance(0.7) ? SHORT[ch] : u4(c);
    else if (heavy && chance(0.3)) {
      if (c > 0xffff) o += u4(ch.charCodeAt(0)) + u4(ch.charCodeAt(1));   // surrogate pair
      else o += ch === '/' && chance(0.5) ? '\\/' : u4(c);
    } else o += ch;
  }
  return o + '"';
}
// fmt: {ind: indent unit or null, ws: random whitespace between tokens}
function ser(v, f, pre) {
  const w = () => (f.ws ? pick(['', '', ' ', '\t', '\n', '\r\n', '  ']) : '');
  if (v instanceof Raw) return v.t;
  if (v instanceof U) return esc(v.s);
  if (typeof v === 'string') return plain(v);
  if (v === null || typeof v === 'boolean') return String(v);
  const isArr = Array.isArray(v), items = isArr ? v : v.e;
  const [l, r] = isArr ? '[]' : '{}';
  if (!items.length) return l + w() + r;
  const inner = pre + (f.ind || '');
  const parts = items.map((x) => isArr ? ser(x, f, inner)
    : (v.esc ? esc(x[0]) : plain(x[0])) + w() + ':' + (f.ind ? ' ' : w()) + ser(x[1], f, inner));
  if (f.ind) return `${l}\n${inner}${parts.join(`,\n${inner}`)}\n${pre}${r}`;
  return l + w() + parts.join(w() + ',' + w()) + w() + r;
}

// ---------- values ----------
const POOLS = [
  [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.:,'],
  [...'"\\/\b\f\n\r\t\u0000\u0001\u001b\u001f\u007f'],   // chars that need or invite escapes
  [...'éßжñ\u0080\u07ff'],                                // 2-byte UTF-8
  [...'中€\u0800\uffff\u2028\u2029\ufeff'],               // 3-byte UTF-8
  ['🦊', '𝄞', '\u{10000}', '\u{10ffff}'],                 // 4-byte UTF-8 (surrogate pairs in JS)
];
function text(n) {
  const spice = chance(0.3);   // most strings are plain ASCII, like real data
  let s = '';
  for (let i = 0; i < n; i++) s += pick(POOLS[spice && chance(0.4) ? int(1, 4) : 0]);
  return s;
}
function bigText(bytes) {   // about `bytes` of UTF-8, built from ordinary random text
  const parts = [];
  for (let n = 0; n < bytes;) { const t = text(100); parts.push(t); n += Buffer.byteLength(t); }
  return parts.join('');
}
const str = () => (chance(0.05) ? '' : text(chance(0.9) ? int(1, 12) : int(13, 200)));

// Attribute names: never empty, never "__proto__" (util-dynamodb's plain-object build drops
// it, so the oracle could not speak for it); integer-like names test key ORDER, since JS
// objects would move them first.
function attrName() {
  const r = rnd();
  if (r < 0.1) return String(pick([0, 1, 7, 42, 4294967294, 4294967295, int(0, 99999)]));
  if (r < 0.25) return text(int(1, 10)) || 'x';
  return pick(['id', 'pk', 'sk', 'name', 'data', 'ttl', 'Message', 'count', 'tags', 'a']) + (chance(0.6) ? int(0, 999) : '');
}

// Number text: valid JSON grammar and within DynamoDB's range (38 digits, 1E-130..9.99E+125).
const EXTREMES = ['1E-130', '-1E-130', '9.9999999999999999999999999999999999999E+125',
  '-9.9999999999999999999999999999999999999E+125', '0'];
function num() {
  const r = rnd(), sg = chance(0.3) ? '-' : '';
  if (r < 0.06) return pick(EXTREMES);
  if (r < 0.35) return sg + int(1, 1000);                                  // small ints
  if (r < 0.5) return sg + digits(int(1, 38), true);                         // up to 38 digits
  if (r < 0.75) {                                                            // decimals
    const ip = chance(0.4) ? '0' : digits(int(1, 19), true);
    const room = 38 - (ip === '0' ? 0 : ip.length);
    return sg + ip + '.' + digits(int(0, room - 1), false) + int(1, 9);     // no trailing 0 => never -0
  }
  const mant = int(1, 9) + (chance(0.6) ? '.' + digits(int(0, 36), false) + int(1, 9) : '');
  const e = int(-130, 125);
  return sg + mant + pick(['e', 'E']) + (e < 0 ? '-' : pick(['', '+'])) + (chance(0.1) ? '0' : '') + Math.abs(e);
}
// Numeric identity, for distinct NS members ("1" and "1.0" are the same number).
function numKey(t) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  let d = m[2] + (m[3] || ''), e = Number(m[4] || 0) - (m[3] || '').length;
  d = d.replace(/^0+/, '');
  if (!d) return '0';
  const tz = d.length - d.replace(/0+$/, '').length;
  return `${m[1]}${d.slice(0, d.length - tz)}e${e + tz}`;
}
const b64 = (n) => Buffer.from(Array.from({ length: n }, () => int(0, 255))).toString('base64');

function set(make, key) {   // non-empty, distinct members (DynamoDB rule)
  const seen = new Set(), out = [];
  for (let i = int(1, chance(0.9) ? 5 : 30); i > 0; i--) {
    const v = make(), k = key(v);
    if (!seen.has(k)) { seen.add(k); out.push(v); }
  }
  return out;
}

// One AttributeValue at container depth d (DynamoDB allows 32 nested levels).
function av(d) {
  const box = (t, v) => new Obj([[t, v]], false);
  const r = rnd() * (d < 3 ? 100 : d < 32 ? 84 : 80);   // containers get rarer as we go deep
  if (r < 20) return box('S', new U(str()));
  if (r < 40) return box('N', num());
  if (r < 46) return box('B', chance(0.03) ? '' : b64(int(1, 40)));
  if (r < 52) return box('BOOL', chance(0.5));
  if (r < 56) return box('NULL', true);
  if (r < 64) return box('SS', set(() => text(int(1, 10)), (s) => s).map((s) => new U(s)));
  if (r < 72) return box('NS', set(num, numKey));
  if (r < 80) return box('BS', set(() => b64(int(1, 20)), (s) => s));
  if (r < 84 || d >= 32) return box('L', Array.from({ length: int(0, 5) }, () => av(d + 1)));
  return box('M', item(int(0, 5), d + 1));
}
// A chain of exactly n nested M/L containers: the DynamoDB maximum is 32.
function deep(n) {
  if (n === 0) return av(32);
  const inner = deep(n - 1);
  return chance(0.5) ? new Obj([['L', [inner]]]) : new Obj([['M', new Obj([[attrName(), inner]], true)]]);
}
// An item / map body: n distinct attribute names (plus fixed ones first, e.g. keys).
function item(n, d, fixed = []) {
  const names = new Set(fixed.map((x) => x[0])), e = [...fixed];
  while (e.length < n + fixed.length) {
    const k = attrName();
    if (!names.has(k) && k !== '__proto__') { names.add(k); e.push([k, av(d)]); }
  }
  return obj(e, true);
}

// Unknown fields of any JSON shape: the CLI must skip them. Names differ from every
// envelope field, some only by case.
const JUNK_NAMES = ['x', 'extra', 'EventName', 'Dynamodb', 'keys', 'newImage', 'SEQUENCENUMBER',
  'trace', 'meta', 'ddb\u00e9', 'n\ud83e\udd8a'];
function junk(d) {
  const r = rnd();
  if (d > 4 || r < 0.3) return pick([true, false, null, new U(str()), new Raw(pick(['0', '-0', '1e999',
    '-12.5E-3', '123456789012345678901234567890', '0.0e+0', '3']))]);
  if (r < 0.6) return Array.from({ length: int(0, 4) }, () => junk(d + 1));
  const e = [], seen = new Set();
  for (let i = int(0, 4); i > 0; i--) { const k = pick(JUNK_NAMES) + int(0, 9); if (!seen.has(k)) { seen.add(k); e.push([k, junk(d + 1)]); } }
  return obj(e, true);
}
function addJunk(e, p) {
  const seen = new Set(e.map((x) => x[0]));
  while (chance(p)) { const k = pick(JUNK_NAMES); if (!seen.has(k)) { seen.add(k); e.push([k, junk(0)]); } }
}

// ---------- envelope ----------
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
function acdt() {
  const t = String(int(1400000000, 1800000000)), r = rnd();
  if (r < 0.6) return t;
  if (r < 0.75) return t + '.' + (chance(0.5) ? '0' : digits(int(1, 9), false));
  const frac = (t.slice(1) + (chance(0.5) ? digits(int(1, 9), false) : '')).replace(/0+$/, '');
  return t[0] + (frac ? '.' + frac : '') + pick(['E9', 'e9', 'E+9', 'E09']);
}
function table() {   // per-table key schema: hash key and maybe a range key, S/N/B
  const ks = [['pk', 'S'], ['id', 'N'], ['Id', 'N'], ['key', 'B'], ['user\u00e9', 'S'], ['7', 'S']];
  const h = pick(ks), keys = [h];
  if (chance(0.6)) { const r = pick(ks); if (r[0] !== h[0]) keys.push(r); }
  return keys;
}
function keyVal(t) {
  if (t === 'S') return new Obj([['S', new U(text(int(1, 20)))]]);
  if (t === 'N') return new Obj([['N', num()]]);
  return new Obj([['B', b64(int(1, 16))]]);
}

let recNo = 0;
function record(keys) {
  let big = recNo++ % 2000 === 7;   // a few items near DynamoDB's 400 KB item limit (one image)
  const name = big ? 'INSERT' : pick(['INSERT', 'MODIFY', 'REMOVE']);
  const view = big ? 'NEW_IMAGE' : pick(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'NEW_AND_OLD_IMAGES']);
  const kv = keys.map(([k, t]) => [k, keyVal(t)]);
  const img = () => {
    const it = item(chance(0.1) ? int(10, 40) : int(0, 10), 1, kv.slice());
    if (chance(0.02)) it.e.push([`deep${int(0, 9)}\u00e9`, deep(int(20, 32))]);
    if (big) {
      it.e.push(recNo % 4000 === 8 ? ['blob', new Obj([['S', new U(bigText(int(300000, 380000)))]])]
        : ['list', new Obj([['L', Array.from({ length: 50000 }, () => new Obj([['N', String(int(0, 999))]]))]])]);
      big = false;
    }
    shuffle(it.e);   // so the deep or big attribute is not always last
    return it;
  };
  const dd = [['Keys', obj(kv.slice(), true)], ['SequenceNumber', digits(int(21, 40), true)],
    ['SizeBytes', new Raw(String(int(20, 400000)))], ['StreamViewType', view]];
  if (chance(0.95)) dd.push(['ApproximateCreationDateTime', new Raw(acdt())]);
  if (name !== 'REMOVE' && /NEW/.test(view)) dd.push(['NewImage', img()]);
  if (name !== 'INSERT' && /OLD/.test(view)) dd.push(['OldImage', img()]);
  addJunk(dd, 0.05);
  const e = [['eventID', hex(32)], ['eventName', name], ['eventVersion', '1.1'],
    ['eventSource', 'aws:dynamodb'], ['awsRegion', pick(['us-east-1', 'eu-west-1', 'ap-south-1'])],
    ['dynamodb', obj(dd)],
    ['eventSourceARN', 'arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2024-01-01T00:00:00.000']];
  if (name === 'REMOVE' && chance(0.3)) {
    e.push(['userIdentity', obj([['type', 'Service'], ['principalId', 'dynamodb.amazonaws.com']])]);
  }
  addJunk(e, 0.05);
  return obj(e);
}

// One document holding at most `left` records; returns [count, node].
function doc(left) {
  const keys = table(), r = rnd();
  if (r < 0.1) return [1, record(keys)];                          // bare stream record
  const n = chance(0.02) ? 0 : Math.min(left, int(1, 100));
  const e = [['Records', Array.from({ length: n }, () => record(keys))]];
  if (r < 0.25) e.push(['NextShardIterator', 'arn:aws:dynamodb:x|1|AAAA' + hex(40)]);  // GetRecords
  else if (r < 0.35) {                                            // tumbling-window Lambda event
    e.push(['window', obj([['start', '2020-07-30T17:00:00Z'], ['end', '2020-07-30T17:05:00Z']])],
      ['state', obj([['1', new U(str())]], true)], ['shardId', 'shard123456789'],
      ['isFinalInvokeForWindow', false], ['isWindowTerminatedEarly', false]);
  }
  addJunk(e, 0.1);
  return [n, obj(e)];
}

function main() {
  const [seed, count, file] = process.argv.slice(2);
  const si = process.argv.indexOf('--style');
  const style = si > 0 ? process.argv[si + 1] : 'compact';
  if (!file || !['compact', 'pretty', 'concat', 'mixed'].includes(style)) {
    console.error('usage: node gen.js SEED NRECORDS OUTFILE [--style compact|pretty|concat|mixed]');
    process.exit(2);
  }
  st = Number(seed) | 0;
  const fd = fs.openSync(file, 'w');
  let buf = [], size = 0, left = Number(count);
  const put = (s) => { buf.push(s); size += s.length; if (size > 1 << 22) { fs.writeSync(fd, buf.join('')); buf = []; size = 0; } };
  if (style === 'mixed' && chance(0.5)) put('\ufeff');         // optional BOM at the start
  while (left > 0) {
    const [n, node] = doc(left);
    left -= n;
    const s = style === 'mixed' ? pick(['compact', 'pretty', 'concat', 'spacy']) : style;
    const f = { ind: s === 'pretty' ? pick(['  ', '    ', '\t']) : null, ws: s === 'spacy' };
    put(ser(node, f, '') + (s === 'concat' ? '' : s === 'spacy' ? pick(['\n', '\r\n', ' ', '']) : '\n'));
  }
  put('');
  fs.writeSync(fd, buf.join(''));
  fs.closeSync(fd);
}
main();
