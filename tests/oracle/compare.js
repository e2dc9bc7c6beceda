'use strict';
// Compares ddbstream NDJSON output with oracle.js output, record by record.
// usage: node compare.js EXPECTED ACTUAL [--numbers-as-strings]
// Strict: numbers compared as text, object key order must match, every ACTUAL line must be
// valid UTF-8 JSON. A {"$set":[..]} in EXPECTED matches an array whose de-duplicated members
// (first occurrence order) are equal.
const fs = require('fs');
const { Num, SetV, parse, stringify, decode } = require('./lj');

const [expFile, actFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const numStr = process.argv.includes('--numbers-as-strings');
if (!actFile) { console.error('usage: node compare.js EXPECTED ACTUAL [--numbers-as-strings]'); process.exit(2); }

const utf8 = new TextDecoder('utf-8', { fatal: true });
function lines(f) {
  const t = utf8.decode(fs.readFileSync(f));
  if (t !== '' && !t.endsWith('\n')) { console.log(`${f}: last line has no newline`); mism++; }
  return t === '' ? [] : t.replace(/\n$/, '').split('\n');
}
const short = (v) => { const s = v === undefined ? 'nothing' : stringify(v); return s.length > 100 ? s.slice(0, 100) + '…' : s; };
const dedupe = (a) => { const seen = new Set(); return a.filter((x) => { const k = stringify(x); return !seen.has(k) && seen.add(k); }); };

// Returns null when equal, else [path, message]. img: inside Keys/NewImage/OldImage.
function cmp(e, a, path, img) {
  const bad = (m) => [path || '.', m || `expected ${short(e)}, got ${short(a)}`];
  if (e instanceof Num) {
    if (a instanceof Num && a.text === e.text) return null;
    if (numStr && img && a === e.text) return null;   // option: N written as a JSON string
    return bad();
  }
  if (e instanceof SetV) {
    if (!Array.isArray(a)) return bad();
    const ei = dedupe(e.items), ai = dedupe(a);
    if (ei.length !== ai.length) return bad(`set of ${ei.length} distinct members, got ${ai.length}: ${short(a)}`);
    for (let i = 0; i < ei.length; i++) { const d = cmp(ei[i], ai[i], `${path}[${i}]`, img); if (d) return d; }
    return null;
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return bad();
    if (e.length !== a.length) return bad(`array length ${e.length}, got ${a.length}`);
    for (let i = 0; i < e.length; i++) { const d = cmp(e[i], a[i], `${path}[${i}]`, img); if (d) return d; }
    return null;
  }
  if (e instanceof Map) {
    if (!(a instanceof Map)) return bad();
    const ek = [...e.keys()], ak = [...a.keys()];
    if (ek.length !== ak.length || ek.some((k, i) => k !== ak[i])) {
      return bad(`keys ${JSON.stringify(ek).slice(0, 200)}, got ${JSON.stringify(ak).slice(0, 200)}`);
    }
    for (const k of ek) {
      const sub = path === '' && ['Keys', 'NewImage', 'OldImage'].includes(k);
      const d = cmp(e.get(k), a.get(k), `${path}.${k}`, img || sub);
      if (d) return d;
    }
    return null;
  }
  return e === a ? null : bad();   // string, boolean, null
}

let mism = 0;
const exp = lines(expFile), act = lines(actFile);
const report = (i, p, m) => { if (++mism <= 10) console.log(`record ${i}: ${p}: ${m}`); };
for (let i = 0; i < Math.min(exp.length, act.length); i++) {
  let a;
  try { a = parse(act[i]); } catch (err) { report(i, 'line', `invalid JSON: ${err.message}`); continue; }
  const d = cmp(decode(parse(exp[i])), a, '', false);
  if (d) report(i, d[0], d[1]);
}
if (exp.length !== act.length) console.log(`record count: expected ${exp.length}, got ${act.length}`);
if (mism > 10) console.log(`... ${mism - 10} more`);
console.log(`diff: ${exp.length} records, ${mism} mismatches`);
process.exit(mism || exp.length !== act.length ? 1 : 0);
