'use strict';
// Checks that a peer's output holds the same values as ddbstream's, before any timing.
// usage: node same.js OURS PEER [--csv]
// NDJSON: line by line, both parsed with tests/oracle/lj.js (the oracle's lossless parser):
// numbers compared as their exact text, object keys in the same order, arrays (and so sets)
// in the same order. String escapes may differ (ddbstream keeps them as written, peers
// re-escape decoded text): values are compared, not bytes.
// --csv: RFC 4180 rows, cell by cell: equal text, or both cells JSON (M, L and set cells)
// with equal values by the rules above.
const fs = require('fs');
const path = require('path');
const { Num, parse } = require(path.join(__dirname, '../../tests/oracle/lj'));

const args = process.argv.slice(2);
const csv = args.includes('--csv');
const [oursFile, peerFile] = args.filter((a) => !a.startsWith('--'));
if (!peerFile) { console.error('usage: node same.js OURS PEER [--csv]'); process.exit(2); }

// null when equal, else the path where they first differ.
function diff(a, b, at) {
  if (a instanceof Num || b instanceof Num) {
    return a instanceof Num && b instanceof Num && a.text === b.text ? null : at;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return at;
    const ka = [...a.keys()], kb = [...b.keys()];
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return `${at}{key ${i}: ${ka[i]} vs ${kb[i]}}`;
      const d = diff(a.get(ka[i]), b.get(kb[i]), `${at}.${ka[i]}`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return at;
    for (let i = 0; i < a.length; i++) { const d = diff(a[i], b[i], `${at}[${i}]`); if (d) return d; }
    return null;
  }
  return a === b ? null : at;   // string, boolean, null
}

// RFC 4180 rows of text: quoted cells may hold , " CR LF.
function csvRows(t) {
  const rows = [];
  let row = [], cell = '', i = 0, q = false;
  while (i < t.length) {
    const c = t[i++];
    if (q) {
      if (c !== '"') cell += c;
      else if (t[i] === '"') { cell += '"'; i++; } else q = false;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const read = (f) => fs.readFileSync(f, 'utf8');
let bad = 0, n = 0;
const report = (i, m) => { if (++bad <= 5) console.log(`${csv ? 'row' : 'line'} ${i + 1}: ${m}`); };

if (csv) {
  const A = csvRows(read(oursFile)), B = csvRows(read(peerFile));
  n = A.length;
  if (A.length !== B.length) console.log(`rows: ${A.length} vs ${B.length}`), bad++;
  for (let i = 0; i < Math.min(A.length, B.length); i++) {
    if (A[i].length !== B[i].length) { report(i, `cells ${A[i].length} vs ${B[i].length}`); continue; }
    for (let c = 0; c < A[i].length; c++) {
      const a = A[i][c], b = B[i][c];
      if (a === b) continue;
      let d = `column ${c + 1}: ${JSON.stringify(a).slice(0, 80)} vs ${JSON.stringify(b).slice(0, 80)}`;
      try { if (!diff(parse(a), parse(b), '$')) d = null; } catch (e) { /* not JSON: differs */ }
      if (d) { report(i, d); break; }
    }
  }
} else {
  const A = read(oursFile).split('\n'), B = read(peerFile).split('\n');
  n = A.length - 1;
  if (A.length !== B.length) console.log(`lines: ${A.length - 1} vs ${B.length - 1}`), bad++;
  for (let i = 0; i < Math.min(A.length, B.length); i++) {
    if (A[i] === B[i]) continue;   // the same bytes: nothing to parse
    let d;
    try { d = diff(parse(A[i]), parse(B[i]), '$'); } catch (e) { d = `not JSON: ${e.message}`; }
    if (d) report(i, `differs at ${d}`);
  }
}
console.log(`${path.basename(peerFile)}: ${n} ${csv ? 'rows' : 'lines'}, ${bad} differ`);
process.exit(bad ? 1 : 0);
