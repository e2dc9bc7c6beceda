'use strict';
// Lossless JSON for the oracle and compare.js. Why not JSON.parse: it rounds numbers to
// doubles and moves integer-like keys ("7") to the front of objects; we must check both.
// parse() is strict RFC 8259: objects -> Map (duplicate keys rejected), numbers -> Num.

class Num { constructor(text) { this.text = text; } }   // a number, kept as its exact text
class SetV { constructor(items) { this.items = items; } } // an unordered-in-spirit set

const WS = /[ \t\n\r]*/y;
const NUM = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const RUN = /[^"\\\u0000-\u001f]*/y;   // string chars that need no decoding
const ESC = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

// Parses one value starting at pos (after whitespace); returns [value, endPos].
function parseAt(s, pos) {
  let p = pos;
  const fail = (m) => { throw new Error(`${m} at offset ${p}`); };
  const ws = () => { WS.lastIndex = p; WS.test(s); p = WS.lastIndex; };
  function str() {           // p is just past the opening quote
    let out = '';
    for (;;) {
      RUN.lastIndex = p; RUN.test(s); out += s.slice(p, RUN.lastIndex); p = RUN.lastIndex;
      const c = s[p++];
      if (c === '"') return out;
      if (c !== '\\') fail(c === undefined ? 'unterminated string' : 'control char in string');
      const e = s[p++];
      if (e === 'u') {
        const h = s.slice(p, p + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(h, 16)); p += 4;
      } else if (e in ESC) out += ESC[e];
      else fail('bad escape');
    }
  }
  function val(depth) {
    if (depth > 512) fail('too deep');
    ws();
    const c = s[p];
    if (c === '{') {
      const m = new Map(); p++; ws();
      if (s[p] === '}') { p++; return m; }
      for (;;) {
        ws(); if (s[p++] !== '"') fail('expected key');
        const k = str();
        if (m.has(k)) fail(`duplicate key ${JSON.stringify(k)}`);
        ws(); if (s[p++] !== ':') fail('expected :');
        m.set(k, val(depth + 1)); ws();
        const d = s[p++];
        if (d === '}') return m;
        if (d !== ',') fail('expected , or }');
      }
    }
    if (c === '[') {
      const a = []; p++; ws();
      if (s[p] === ']') { p++; return a; }
      for (;;) {
        a.push(val(depth + 1)); ws();
        const d = s[p++];
        if (d === ']') return a;
        if (d !== ',') fail('expected , or ]');
      }
    }
    if (c === '"') { p++; return str(); }
    for (const [w, v] of [['true', true], ['false', false], ['null', null]]) {
      if (s.startsWith(w, p)) { p += w.length; return v; }
    }
    NUM.lastIndex = p;
    const m = NUM.exec(s);
    if (!m) fail('unexpected character');
    p = NUM.lastIndex;
    return new Num(m[0]);
  }
  const v = val(0);
  return [v, p];
}

// Parses a whole text holding exactly one JSON value.
function parse(s) {
  const [v, end] = parseAt(s, 0);
  WS.lastIndex = end; WS.test(s);
  if (WS.lastIndex !== s.length) throw new Error(`trailing data at offset ${WS.lastIndex}`);
  return v;
}

// Splits a stream of concatenated / NDJSON / pretty documents (optional BOM first).
// Yields [value, start, end] so a caller can also JSON.parse the same slice.
function* docs(s) {
  let p = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    WS.lastIndex = p; WS.test(s); p = WS.lastIndex;
    if (p >= s.length) return;
    const [v, end] = parseAt(s, p);
    yield [v, p, end];
    p = end;
  }
}

// Canonical text form used in expected.ndjson: numbers {"$n":text}, sets {"$set":[..]};
// user keys starting with '$' get one more '$' so they can never look like a tag.
function stringify(v) {
  if (v instanceof Num) return `{"$n":${JSON.stringify(v.text)}}`;
  if (v instanceof SetV) return `{"$set":[${v.items.map(stringify).join(',')}]}`;
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  if (v instanceof Map) {
    const e = [];
    for (const [k, x] of v) e.push(JSON.stringify(k[0] === '$' ? '$' + k : k) + ':' + stringify(x));
    return `{${e.join(',')}}`;
  }
  return JSON.stringify(v);   // string, boolean, null
}

// Inverse of stringify, applied to parse() output of an expected line.
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (!(v instanceof Map)) return v;
  if (v.size === 1 && typeof v.get('$n') === 'string') return new Num(v.get('$n'));
  if (v.size === 1 && Array.isArray(v.get('$set'))) return new SetV(v.get('$set').map(decode));
  const m = new Map();
  for (const [k, x] of v) m.set(k[0] === '$' ? k.slice(1) : k, decode(x));
  return m;
}

module.exports = { Num, SetV, parse, docs, stringify, decode };
