#!/usr/bin/env node
// The archive pipeline end to end: a generated stream where some REMOVEs are TTL deletes goes
// through `ddbstream --ttl-only --shape item --max-records 10000 --s3 ...` into s3rver; the
// items in the bucket must be the TTL deletes' OldImages, each exactly once, in order.
//   node ttl_pipeline.js gen OUT.json EXPECTED.json   (seeded: same files every time)
//   node ttl_pipeline.js check EXPECTED.json DIR       (DIR: s3rver's directory)
'use strict';
const fs = require('fs');
const path = require('path');
const { unmarshall } = require('../oracle/node_modules/@aws-sdk/util-dynamodb');
const lj = require('../oracle/lj.js');

let seed = 20261125;
const rand = () => {  // mulberry32: small, seeded, enough for test data
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];

function item(i) {
  const it = {
    pk: { S: `user#${i}` }, sk: { N: String(i % 97) },
    ttl: { N: String(1700000000 + i) },
    name: { S: pick(['Ada', 'Grace', 'Zoë "Z"', 'Ōta, Kenji', 'line\nbreak']) },
    amount: { N: pick(['12345678901234567890123456789012345678', '-0.5', '1E-130', '42']) },
    tags: { SS: ['a', 'b' + i] },
    blob: { B: 'AAEqQQ==' },
    nested: { M: { l: { L: [{ BOOL: true }, { NULL: true }, { NS: ['1', '2.5'] }] } } },
  };
  if (rand() < 0.01) it.big = { S: 'x'.repeat(200000) };  // some large items: the 4 MiB cut
  return it;
}

function gen(out, expected) {
  const fd = fs.openSync(out, 'w');
  const want = [];
  let seq = 100000000000000000000n, n = 0;
  for (let ev = 0; ev < 300; ev++) {
    const recs = [];
    for (let k = 0; k < 100; k++, n++) {
      const r = rand(), img = item(n), ttlDel = r < 0.45;
      const name = r < 0.6 ? 'REMOVE' : r < 0.8 ? 'INSERT' : 'MODIFY';
      const keys = { pk: img.pk, sk: img.sk };
      const dd = { ApproximateCreationDateTime: 1732500000 + n, Keys: keys,
                   SequenceNumber: String(seq++), SizeBytes: 100, StreamViewType: 'NEW_AND_OLD_IMAGES' };
      if (name !== 'REMOVE') dd.NewImage = img;
      if (name !== 'INSERT') dd.OldImage = img;
      const rec = { eventID: n.toString(16), eventName: name, eventVersion: '1.1',
                    eventSource: 'aws:dynamodb', awsRegion: 'eu-west-1', dynamodb: dd };
      if (name === 'REMOVE' && ttlDel) {
        rec.userIdentity = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
        want.push(unmarshall(img, { wrapNumbers: true }));
      } else if (name === 'REMOVE' && rand() < 0.5) {
        rec.userIdentity = { type: 'Service', principalId: 'someone-else' };  // not TTL
      }
      recs.push(rec);
    }
    fs.writeSync(fd, JSON.stringify({ Records: recs }) + '\n');
  }
  fs.closeSync(fd);
  fs.writeFileSync(expected, JSON.stringify(want.map(canon)));
}

// numbers as text, sets as sorted arrays: what both sides must agree on
function canon(v) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Set) return { $set: [...v].map((x) => String(x)).sort() };  // NumberValue: its text
  if (typeof v.toAttributeValue === 'function') return { $n: v.toString() };
  if (Array.isArray(v)) return v.map(canon);
  const o = {};
  for (const k of Object.keys(v)) o[k] = canon(v[k]);
  return o;
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

function check(expected, dir) {
  const want = JSON.parse(fs.readFileSync(expected, 'utf8'));
  const root = path.join(dir, 'archive');
  const files = walk(root).filter((f) => f.endsWith('._S3rver_object')).sort();
  const got = [];
  let failed = 0;
  const fail = (m) => { failed++; console.log('FAIL ' + m); };
  for (const f of files) {
    const buf = fs.readFileSync(f);
    const name = path.relative(root, f).replace(/\._S3rver_object$/, '');
    const lines = buf.toString('utf8').split('\n');
    if (lines.pop() !== '') fail(`${name}: does not end with a whole line`);
    if (buf.length > 4194304) fail(`${name}: ${buf.length} bytes, over 4 MiB`);
    if (lines.length > 10000) fail(`${name}: ${lines.length} records, over 10,000`);
    if (!/^ttl\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d+-\d+\.ndjson$/.test(name)) fail(`${name}: unexpected name`);
    for (const l of lines) got.push(fromLj(lj.parse(l)));
  }
  if (got.length !== want.length) fail(`${got.length} items in the bucket, ${want.length} TTL deletes in the input`);
  for (let i = 0; i < Math.min(got.length, want.length) && failed < 5; i++)
    if (JSON.stringify(sortSets(got[i], want[i])) !== JSON.stringify(want[i]))
      fail(`item ${i} differs:\n  got  ${JSON.stringify(sortSets(got[i], want[i])).slice(0, 400)}\n  want ${JSON.stringify(want[i]).slice(0, 400)}`);
  console.log(`ttl pipeline: ${files.length} objects, ${got.length} items, ${want.length} TTL deletes`);
  return failed;
}

// lj.js gives objects as Maps and numbers as Num: into the same form as canon()
function fromLj(v) {
  if (v instanceof lj.Num) return { $n: v.text };
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) o[k] = fromLj(x);
    return o;
  }
  return Array.isArray(v) ? v.map(fromLj) : v;
}
// our sets are arrays: sorted, where the oracle has a set, to compare as sets
function sortSets(g, w) {
  if (w && typeof w === 'object' && w.$set && Array.isArray(g))
    return { $set: g.map((x) => (x && x.$n !== undefined ? x.$n : x)).map(String).sort() };
  if (Array.isArray(w) && Array.isArray(g)) return g.map((x, i) => sortSets(x, w[i]));
  if (w && typeof w === 'object' && g && typeof g === 'object' && !Array.isArray(g)) {
    const o = {};
    for (const k of Object.keys(g)) o[k] = sortSets(g[k], w[k]);
    return o;
  }
  return g;
}

if (process.argv[2] === 'gen') gen(process.argv[3], process.argv[4]);
else if (process.argv[2] === 'check') process.exit(check(process.argv[3], process.argv[4]) ? 1 : 0);
else { console.error('usage: ttl_pipeline.js gen OUT EXPECTED | check EXPECTED DIR'); process.exit(2); }
