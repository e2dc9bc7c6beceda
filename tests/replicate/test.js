#!/usr/bin/env node
// Tests of examples/replicate.c (run by run.sh): ddbstream --format batchwrite output sent to
// dynalite through server.js's proxy (SigV4 checked, faults injected), all on 127.0.0.1.
// Env: REPLICATE, DDBSTREAM (binaries), DYNALITE_PORT, PROXY_PORT, TMP (scratch directory).
// Ends with "replicate: N passed, M failed"; exit status 1 if any failed.
'use strict';
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawnSync } = require('child_process');

const { REPLICATE, DDBSTREAM, DYNALITE_PORT, PROXY_PORT, TMP } = process.env;
const ENDPOINT = `http://127.0.0.1:${PROXY_PORT}`;

// The child environment: no AWS settings or proxies from outside, test credentials, fast retries.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
  !/^(AWS_|DDBS_REPLICATE_)/.test(k) && !/_proxy$/i.test(k)));
Object.assign(childEnv, {
  NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1', REP: REPLICATE, DDBS: DDBSTREAM, EP: ENDPOINT,
  AWS_ACCESS_KEY_ID: 'AKIDREPLICATETEST', AWS_SECRET_ACCESS_KEY: 'replicate/test+secret',
  DDBS_REPLICATE_BACKOFF_MS: '5', DDBS_REPLICATE_BACKOFF_CAP_MS: '40',
});

// ---- plumbing ----

function request(port, method, urlPath, headers, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve([res.statusCode, Buffer.concat(parts).toString()]));
    });
    r.on('error', reject);
    r.end(body);
  });
}

// DynamoDB JSON API straight to dynalite, which takes any signature-shaped Authorization.
async function ddb(op, body) {
  const [status, text] = await request(DYNALITE_PORT, 'POST', '/', {
    'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `DynamoDB_20120810.${op}`,
    'X-Amz-Date': '20240101T000000Z',
    Authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  }, JSON.stringify(body));
  if (status !== 200) throw new Error(`${op}: HTTP ${status} ${text}`);
  return JSON.parse(text);
}

const proxy = async (urlPath, body) =>
  JSON.parse((await request(PROXY_PORT, body ? 'POST' : 'GET', urlPath, {}, body && JSON.stringify(body)))[1]);

async function createTable(name) {
  await ddb('CreateTable', {
    TableName: name, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  });
  for (let i = 0; (await ddb('DescribeTable', { TableName: name })).Table.TableStatus !== 'ACTIVE'; i++) {
    if (i > 100) throw new Error(`table ${name} not ACTIVE`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function putAll(table, items) {
  for (let i = 0; i < items.length; i += 25) {
    let req = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    while (Object.keys(req).length) req = (await ddb('BatchWriteItem', { RequestItems: req })).UnprocessedItems;
  }
}

async function scan(table) {
  const out = new Map();
  let start;
  do {
    const page = await ddb('Scan', { TableName: table, ...(start && { ExclusiveStartKey: start }) });
    for (const item of page.Items) out.set(keyId(item), item);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

function run(cmd, { input, env } = {}) {
  const r = spawnSync('bash', ['-c', cmd], { input, env: { ...childEnv, ...env }, timeout: 30000, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), errRaw: r.stderr };
}

// ---- values, compared as DynamoDB compares them ----

// "1.50", "15e-1", "+1.5" all give "15e-1": numbers are compared by value, not text.
function normN(s) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`not a number: ${s}`);
  let digits = (m[2] + (m[3] || '')).replace(/^0+/, '');
  let exp = Number(m[4] || 0) - (m[3] || '').length;
  if (!digits) return '0';
  const kept = digits.replace(/0+$/, '');
  exp += digits.length - kept.length;
  digits = kept;
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`;
}

const hex = (b64) => Buffer.from(b64, 'base64').toString('hex');
function canon(v) {
  const [t] = Object.keys(v), x = v[t];
  switch (t) {
    case 'N': return ['N', normN(x)];
    case 'B': return ['B', hex(x)];
    case 'SS': return ['SS', [...x].sort()];
    case 'NS': return ['NS', x.map(normN).sort()];
    case 'BS': return ['BS', x.map(hex).sort()];
    case 'L': return ['L', x.map(canon)];
    case 'M': return ['M', Object.keys(x).sort().map((k) => [k, canon(x[k])])];
    default: return [t, x]; // S, BOOL, NULL
  }
}
const keyId = (item) => JSON.stringify([item.pk.S, normN(item.sk.N)]);

function assertSameTable(got, want, what) {
  const diffs = [];
  for (const [k, item] of want) {
    if (!got.has(k)) diffs.push(`missing ${k}`);
    else if (JSON.stringify(canon({ M: got.get(k) })) !== JSON.stringify(canon({ M: item })))
      diffs.push(`differs ${k}: got ${JSON.stringify(got.get(k))} want ${JSON.stringify(item)}`);
  }
  for (const k of got.keys()) if (!want.has(k)) diffs.push(`extra ${k}`);
  if (diffs.length) throw new Error(`${what}: ${diffs.length} differences (of ${want.size} items): ${diffs.slice(0, 3).join('; ')}`);
}

// The state after applying body lines (BatchWriteItem JSON) in order to `state`.
function applyBodies(state, lines) {
  const s = new Map(state);
  for (const line of lines) {
    if (!line.trim()) continue;
    for (const reqs of Object.values(JSON.parse(line).RequestItems))
      for (const r of reqs) {
        if (r.PutRequest) s.set(keyId(r.PutRequest.Item), r.PutRequest.Item);
        else s.delete(keyId(r.DeleteRequest.Key));
      }
  }
  return s;
}

// ---- a seeded stream of Lambda DynamoDB stream events over a simulated source table ----

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PKS = ['a', 'b', 'ü', 'key "quoted"', 'back\\slash', '😀', 'tab\there'];
const SKS = ['0', '1', '-1', '2.5', '100', '-0.125', '12345678901234567890'];
const STRINGS = ['', 'plain', 'é', '"q"', '\\', 'line\nbreak', '\u0001ctl', '😀 wide', '</script>', 'x'.repeat(300)];
const NUMBERS = ['0', '-0', '1.50', '1E+3', '-7.25e-3', '12345678901234567890123456789012345678',
  '1E-130', '9.9999999999999999999999999999999999999E+125', '42'];
const SETNUMS = ['1', '2.5', '-3', '1E+3', '0.001', '12345678901234567890', '-0.5e-3'];
const NAMES = ['a', 'b', 'c', 'ü', 'with space', 'dot.ted', '"q"', 'n'];

function generate(seed, records, initialShare) {
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (arr) => arr[int(arr.length)];
  const some = (arr, min) => {
    const k = min + int(arr.length - min + 1);
    return [...arr].sort(() => rnd() - 0.5).slice(0, k);
  };
  const bytes = (min) => Buffer.from(Array.from({ length: min + int(12) }, () => int(256))).toString('base64');
  const value = (depth) => {
    const types = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', ...(depth < 3 ? ['M', 'L', 'M', 'L'] : [])];
    switch (pick(types)) {
      case 'S': return { S: rnd() < 0.7 ? pick(STRINGS) : pick(STRINGS) + pick(STRINGS) };
      case 'N': return { N: pick(NUMBERS) };
      case 'B': return { B: bytes(0) };
      case 'BOOL': return { BOOL: rnd() < 0.5 };
      case 'NULL': return { NULL: true };
      case 'SS': return { SS: some(STRINGS.filter(Boolean), 1) };
      case 'NS': return { NS: some(SETNUMS, 1) };
      case 'BS': return { BS: [...new Set(Array.from({ length: 1 + int(4) }, () => bytes(1)))] };
      case 'M': return { M: Object.fromEntries(some(NAMES, 0).slice(0, 4).map((n) => [n, value(depth + 1)])) };
      default: return { L: Array.from({ length: int(5) }, () => value(depth + 1)) };
    }
  };
  const keys = PKS.flatMap((pk) => SKS.map((sk) => ({ pk: { S: pk }, sk: { N: sk } })));
  const newItem = (k) => ({ pk: k.pk, sk: k.sk, ...Object.fromEntries(some(NAMES, 0).map((n) => [n, value(0)])) });

  const initial = new Map();
  for (const k of keys) if (rnd() < initialShare) initial.set(keyId(k), newItem(k));
  const state = new Map(initial), inserted = new Set(), touched = new Set(), recent = [];
  const recs = [];
  for (let i = 0; i < records; i++) {
    // half the time a key seen lately: repeated keys within one 25-record window
    const k = recent.length && rnd() < 0.5 ? recent[int(recent.length)] : pick(keys);
    recent.push(k);
    if (recent.length > 6) recent.shift();
    const id = keyId(k), old = state.get(id);
    const name = !old ? 'INSERT' : rnd() < 0.35 ? 'REMOVE' : 'MODIFY';
    const Keys = rnd() < 0.5 ? { pk: k.pk, sk: k.sk } : { sk: k.sk, pk: k.pk }; // member order varies
    const d = { ApproximateCreationDateTime: 1700000000 + i, Keys };
    if (name !== 'REMOVE') d.NewImage = newItem(k);
    if (old) d.OldImage = old;
    Object.assign(d, { SequenceNumber: String(1e20 + i * 100), SizeBytes: 100, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    if (name === 'REMOVE') state.delete(id);
    else state.set(id, d.NewImage);
    if (name === 'INSERT') inserted.add(id);
    touched.add(id);
    const rec = { eventID: `ev${seed}-${i}`, eventName: name, eventVersion: '1.1', eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1', dynamodb: d, eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/Source/stream/2024' };
    if (name === 'REMOVE' && rnd() < 0.2) rec.userIdentity = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
    recs.push(rec);
  }
  // Lambda events of 1 to 80 records, some pretty-printed, some on one line
  let text = '';
  for (let i = 0; i < recs.length;) {
    const n = 1 + int(80), doc = { Records: recs.slice(i, i + n) };
    text += (rnd() < 0.3 ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)) + '\n';
    i += n;
  }
  return { keys, initial, final: state, inserted, touched, text, records };
}

// ---- tests ----

let passed = 0, failed = 0;
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await proxy('/__reset', {});
    await fn();
    passed++;
    console.log(`ok     ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${name}\n       ${String(e.message || e).split('\n').join('\n       ')}`);
  }
}
const has = (text, ...parts) => parts.forEach((p) => assert(text.includes(p), `expected ${JSON.stringify(p)} in:\n${text}`));
const codeIs = (r, want) => assert.strictEqual(r.code, want, `exit ${r.code}, want ${want}; stderr:\n${r.err}`);
const write = (name, text) => (fs.writeFileSync(path.join(TMP, name), text), path.join(TMP, name));
function bodiesFor(table, eventsFile, extra = '') {
  const r = run(`"$DDBS" --format batchwrite --table ${table} ${extra} "${eventsFile}"`);
  codeIs(r, 0);
  return r.out.split('\n').filter(Boolean);
}
// The requests replicate names as not applied (lines "  line N, table T: {...}").
const listed = (err) => err.split('\n').filter((l) => /^replicate: {3}line \d+, table /.test(l));

async function main() {
  const g1 = generate(1, 1000, 0.5);
  const ev1 = write('events1.json', g1.text);

  await test('--help, usage errors exit 2, unreadable file exits 3', async () => {
    let r = run('"$REP" --help');
    codeIs(r, 0);
    has(r.out, 'usage: replicate', '--endpoint', 'DDBS_REPLICATE_BACKOFF_MS');
    for (const args of ['--bogus', '--retries', '--retries x', '--retries -1', '--endpoint ftp://h',
      '--endpoint http://', '--endpoint http://h?x=1', '--region "EU WEST"', 'a b']) {
      r = run(`"$REP" ${args} < /dev/null`);
      assert.strictEqual(r.code, 2, `${args}: exit ${r.code}, stderr ${r.err}`);
    }
    r = run('"$REP" --endpoint "$EP" < /dev/null', { env: { AWS_SECRET_ACCESS_KEY: '' } });
    codeIs(r, 2);
    has(r.err, 'AWS_SECRET_ACCESS_KEY');
    r = run('"$REP" --endpoint "$EP" < /dev/null', { env: { DDBS_REPLICATE_BACKOFF_MS: 'soon' } });
    codeIs(r, 2);
    has(r.err, 'DDBS_REPLICATE_BACKOFF_MS=soon');
    r = run(`"$REP" --endpoint "$EP" "${TMP}/no-such-file"`);
    codeIs(r, 3);
    has(r.err, 'no-such-file');
  });

  await test('empty input and blank lines send nothing, exit 0', async () => {
    for (const input of ['', '\n \r\n\n\t\n']) {
      const r = run('"$REP" --endpoint "$EP"', { input });
      codeIs(r, 0);
    }
    assert.strictEqual((await proxy('/__stats')).requests, 0);
  });

  const bodies1 = bodiesFor('Replica1', ev1);
  const bodiesFile1 = write('bodies1.ndjson', bodies1.join('\n') + '\n');
  await test('batchwrite bodies: <= 25 requests, no key twice in a body, same final state', async () => {
    for (const [i, line] of bodies1.entries()) {
      const reqs = JSON.parse(line).RequestItems.Replica1, ids = reqs.map((q) => keyId((q.PutRequest || {}).Item || q.DeleteRequest.Key));
      assert(reqs.length >= 1 && reqs.length <= 25, `line ${i + 1}: ${reqs.length} requests`);
      assert.strictEqual(new Set(ids).size, ids.length, `line ${i + 1}: a key twice`);
    }
    // repeated keys must have split bodies early, else this test proves little
    assert(bodies1.length > Math.ceil(g1.records / 25) * 1.5, `${bodies1.length} bodies for ${g1.records} records`);
    assertSameTable(applyBodies(g1.initial, bodies1), g1.final, 'simulated replica');
  });

  await test('stream of puts, updates, deletes: replica equals source (SigV4, token, region)', async () => {
    await createTable('Replica1');
    await putAll('Replica1', [...g1.initial.values()]);
    const r = run(`set -o pipefail; "$DDBS" --format batchwrite --table Replica1 "${ev1}" | "$REP" --endpoint "$EP" --region eu-west-1 --stats`,
      { env: { AWS_SESSION_TOKEN: 'tok/en+=session' } });
    codeIs(r, 0);
    has(r.err, `${bodies1.length} bodies applied, ${bodies1.reduce((n, l) => n + JSON.parse(l).RequestItems.Replica1.length, 0)} requests`);
    assertSameTable(await scan('Replica1'), g1.final, 'Replica1');
    const st = await proxy('/__stats');
    assert.deepStrictEqual(st.sigFailures, []);
    assert.strictEqual(st.batchWrites, bodies1.length);
    assert(/^\d{8}\/eu-west-1\/dynamodb\/aws4_request$/.test(st.scope), st.scope);
    has(st.signedHeaders, 'x-amz-security-token', 'x-amz-target');
    assert.strictEqual(st.token, 'tok/en+=session');
  });

  await test('the same bodies again (FILE argument) change nothing', async () => {
    const r = run(`"$REP" --endpoint "$EP" "${bodiesFile1}"`);
    codeIs(r, 0);
    assertSameTable(await scan('Replica1'), g1.final, 'Replica1 after a second run');
  });

  await test('--events INSERT --as delete removes exactly the inserted keys', async () => {
    const g = generate(4, 120, 0.5), ev = write('events4.json', g.text);
    await createTable('Twin1');
    const extra = ['x1', 'x2', 'x3'].map((pk) => ({ pk: { S: pk }, sk: { N: '7' }, v: { S: 'stays' } }));
    const all = [...g.keys.map((k) => ({ ...k, v: { S: 'twin' } })), ...extra];
    await putAll('Twin1', all);
    const want = new Map(all.map((i) => [keyId(i), i]).filter(([id]) => !g.inserted.has(id)));
    assert(g.inserted.size > 5 && [...g.touched].some((id) => !g.inserted.has(id)),
      'the stream should insert some keys, and change others without inserting them');
    const r = run(`set -o pipefail; "$DDBS" --format batchwrite --table Twin1 --events INSERT --as delete "${ev}" | "$REP" --endpoint "$EP"`);
    codeIs(r, 0);
    assertSameTable(await scan('Twin1'), want, 'Twin1');
  });

  await test('missing table: ResourceNotFoundException, not retried, requests named, exit 1', async () => {
    const long = 'é'.repeat(400);
    const body = JSON.stringify({ RequestItems: { NoSuchTable: [
      { PutRequest: { Item: { pk: { S: 'p' }, sk: { N: '1' }, s: { S: long } } } },
      { DeleteRequest: { Key: { pk: { S: 'q' }, sk: { N: '2' } } } }] } });
    const r = run('"$REP" --endpoint "$EP"', { input: `${body}\n${body}\n` });
    codeIs(r, 1);
    has(r.err, 'line 1: HTTP 400 ResourceNotFoundException: Requested resource not found (not retried)',
      '2 requests not applied', 'table NoSuchTable: {"DeleteRequest":{"Key":{"pk":{"S":"q"},"sk":{"N":"2"}}}}',
      `... (${Buffer.byteLength(JSON.stringify(JSON.parse(body).RequestItems.NoSuchTable[0]))} bytes)`, 'run again');
    new TextDecoder('utf-8', { fatal: true }).decode(r.errRaw); // cut at a character boundary
    assert.strictEqual(listed(r.err).length, 2);
    assert.strictEqual((await proxy('/__stats')).batchWrites, 1);
  });

  await test('invalid request (keys twice in a body): ValidationException, not retried', async () => {
    await createTable('Replica5');
    const put = { PutRequest: { Item: { pk: { S: 'p' }, sk: { N: '1' } } } };
    const dup = { PutRequest: { Item: { pk: { S: 'p' }, sk: { N: '1.0' } } } };
    const r = run('"$REP" --endpoint "$EP"', { input: JSON.stringify({ RequestItems: { Replica5: [put, dup] } }) });
    codeIs(r, 1);
    has(r.err, 'ValidationException: Provided list of item keys contains duplicates (not retried)');
    assert.strictEqual((await proxy('/__stats')).batchWrites, 1);
  });

  const g2 = generate(2, 500, 0.4);
  const ev2 = write('events2.json', g2.text);
  await test('throttling, 5xx, resets, timeouts, bad CRC, UnprocessedItems: still converges', async () => {
    await createTable('Replica2');
    await putAll('Replica2', [...g2.initial.values()]);
    const e = (status, type) => ({ kind: 'error', status, type });
    const pass = { kind: 'pass' };
    const queue = [e(400, 'ProvisionedThroughputExceededException'), pass, e(400, 'ThrottlingException'),
      e(400, 'RequestLimitExceeded'), pass, e(500, 'InternalServerError'), e(503, 'ServiceUnavailable'), { kind: 'html' },
      pass, { kind: 'reset' }, { kind: 'hang' }, { kind: 'crc' }, pass, { kind: 'split' }, { kind: 'split' },
      { kind: 'split' }, pass, { kind: 'unprocess-all' }, { kind: 'split' }, pass, { kind: 'crc' }];
    // faults near the end, where no later body hides a lost write
    const lead = Array(Math.max(0, bodiesFor('Replica2', ev2).length - 20)).fill(pass);
    await proxy('/__faults', { queue: [...lead, ...queue] });
    const r = run(`set -o pipefail; "$DDBS" --format batchwrite --table Replica2 "${ev2}" | "$REP" --endpoint "$EP" --stats`,
      { env: { DDBS_REPLICATE_TIMEOUT_MS: '1500' } });
    codeIs(r, 0);
    assertSameTable(await scan('Replica2'), g2.final, 'Replica2');
    const st = await proxy('/__stats');
    assert.deepStrictEqual(st.taken, [...lead, ...queue].map((f) => f.kind));
    const m = /(\d+) retries \((\d+) throttled, (\d+) 5xx, (\d+) network\), (\d+) requests unprocessed/.exec(r.err);
    assert(m, r.err);
    const [retries, throttled, e5xx, network, unprocessed] = m.slice(1).map(Number);
    // Each fault but these costs one retry: libcurl itself re-sends once when a reused
    // connection is dropped unanswered (the reset), and a split of a 1-request body is no split.
    const faults = queue.filter((f) => !['pass', 'reset', 'split'].includes(f.kind)).length;
    assert.deepStrictEqual([throttled, e5xx], [3, 3], r.err);
    assert(network >= 1 && retries >= faults, r.err);
    assert(unprocessed > 0, r.err);
  });

  await test('throttled for good: gives up after --retries, exit 1, requests named', async () => {
    const e = { kind: 'error', status: 400, type: 'ProvisionedThroughputExceededException' };
    await proxy('/__faults', { queue: [e, e, e] });
    const r = run(`"$REP" --endpoint "$EP" --retries 2 "${bodiesFile1}"`);
    codeIs(r, 1);
    has(r.err, 'line 1: gave up after 3 attempts', 'ProvisionedThroughputExceededException', 'run again');
    assert.strictEqual(listed(r.err).length, JSON.parse(bodies1[0]).RequestItems.Replica1.length);
  });

  const g3 = generate(3, 400, 0.5);
  const bodies3 = bodiesFor('Replica3', write('events3.json', g3.text));
  const bodiesFile3 = write('bodies3.ndjson', bodies3.join('\n') + '\n');
  await test('UnprocessedItems that never go: exactly those named, resume completes', async () => {
    await createTable('Replica3');
    await putAll('Replica3', [...g3.initial.values()]);
    const L = bodies3.findIndex((l, i) => i >= 2 && JSON.parse(l).RequestItems.Replica3.length >= 3) + 1;
    assert(L > 2, 'no body with 3 requests');
    const reqs = JSON.parse(bodies3[L - 1]).RequestItems.Replica3, half = Math.floor(reqs.length / 2);
    const all = { kind: 'unprocess-all' };
    await proxy('/__faults', { queue: [...Array(L - 1).fill({ kind: 'pass' }), { kind: 'split' }, all, all, all] });
    let r = run(`"$REP" --endpoint "$EP" --retries 2 "${bodiesFile3}"`);
    codeIs(r, 1);
    has(r.err, `line ${L}: gave up after 4 attempts`, `${reqs.length - half} of ${reqs.length - half} requests came back`,
      `lines 1-${L - 1} applied; line ${L} and after not (fully) applied. Resume with: tail -n +${L} ${bodiesFile3} | replicate`);
    const named = listed(r.err);
    assert.strictEqual(named.length, reqs.length - half);
    named.forEach((l, i) => {
      const shown = l.replace(/^replicate: {3}line \d+, table Replica3: /, '').replace(/\.\.\. \(\d+ bytes\)$/, '');
      assert(JSON.stringify(reqs[half + i]).startsWith(shown), `named ${shown}, want ${JSON.stringify(reqs[half + i])}`);
    });
    const partial = [...bodies3.slice(0, L - 1), JSON.stringify({ RequestItems: { Replica3: reqs.slice(0, half) } })];
    assertSameTable(await scan('Replica3'), applyBodies(g3.initial, partial), 'Replica3 after giving up');
    r = run(`tail -n +${L} "${bodiesFile3}" | "$REP" --endpoint "$EP"`);
    codeIs(r, 0);
    assertSameTable(await scan('Replica3'), g3.final, 'Replica3 after resuming');
  });

  await test('server gone mid-stream: exit 1 naming the body, lines before applied; resume', async () => {
    await createTable('Replica4');
    await putAll('Replica4', [...g3.initial.values()]);
    const bodies4 = bodies3.map((l) => l.replace('{"RequestItems":{"Replica3":', '{"RequestItems":{"Replica4":'));
    const file = write('bodies4.ndjson', bodies4.join('\n') + '\n');
    await proxy('/__faults', { queue: [...Array(4).fill({ kind: 'pass' }), { kind: 'down' }] });
    let r = run(`"$REP" --endpoint "$EP" --retries 2 < "${file}"`);
    codeIs(r, 1);
    has(r.err, 'line 5: gave up after 3 attempts', 'curl error', 'lines 1-4 applied', 'tail -n +5 FILE');
    assert.strictEqual(listed(r.err).length, JSON.parse(bodies4[4]).RequestItems.Replica4.length);
    assertSameTable(await scan('Replica4'), applyBodies(g3.initial, bodies4.slice(0, 4)), 'Replica4 after the outage');
    await proxy('/__faults', { down: false });
    r = run(`tail -n +5 "${file}" | "$REP" --endpoint "$EP"`);
    codeIs(r, 0);
    assertSameTable(await scan('Replica4'), g3.final, 'Replica4 after resuming');
  });

  await test('nothing listening: connection refused, gives up, exit 1', async () => {
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    const r = run(`head -n 1 "${bodiesFile1}" | "$REP" --endpoint http://127.0.0.1:${port} --retries 1`);
    codeIs(r, 1);
    has(r.err, 'line 1: gave up after 2 attempts', 'curl error 7');
    assert.strictEqual(listed(r.err).length, JSON.parse(bodies1[0]).RequestItems.Replica1.length);
  });

  await test('bad lines stop replication there: exit 1, earlier lines applied', async () => {
    await createTable('Replica6');
    const put = (pk) => JSON.stringify({ RequestItems: { Replica6: [{ PutRequest: { Item: { pk: { S: pk }, sk: { N: '1' } } } }] } });
    for (const bad of ['{"foo":1}', 'not json', '[1]', '{"RequestItems":{"Replica6":[]}}', `${put('z')} trailing`,
      '{"RequestItems":{"Replica6":[{"PutRequest":{}}]}', '{"RequestItems":{"Replica6":["x"]}}']) {
      await proxy('/__reset', {});
      const r = run('"$REP" --endpoint "$EP"', { input: `${put('first')}\n${bad}\n${put('third')}\n` });
      codeIs(r, 1);
      has(r.err, 'line 2: not a BatchWriteItem request body', 'line 1 applied; line 2 and after');
      assert.strictEqual((await proxy('/__stats')).batchWrites, 1, bad);
    }
    assert.deepStrictEqual([...(await scan('Replica6')).keys()], [keyId({ pk: { S: 'first' }, sk: { N: '1' } })]);
    const big = `{"RequestItems":{"Replica6":[{"PutRequest":{"Item":{"pk":{"S":"${'x'.repeat(17 << 20)}"}}}}]}}`;
    await proxy('/__reset', {});
    const r = run('"$REP" --endpoint "$EP"', { input: `${put('first')}\n${big}\n` });
    codeIs(r, 1);
    has(r.err, 'line 2: longer than 16 MiB');
    assert.strictEqual((await proxy('/__stats')).batchWrites, 1);
  });

  await test('large bodies (7.5 MB: libcurl sends Expect: 100-continue), split and re-sent', async () => {
    await createTable('Replica8');
    const item = (i) => ({ pk: { S: `big${i}` }, sk: { N: String(i) }, s: { S: 'é'.repeat(1000) + 'x'.repeat(298000) } });
    const body = (from, to) => JSON.stringify({ RequestItems: { Replica8: Array.from({ length: to - from }, (_, i) => ({ PutRequest: { Item: item(from + i) } })) } });
    const b = [body(0, 25), body(25, 30)];
    await proxy('/__faults', { queue: [{ kind: 'split' }] });
    const r = run('"$REP" --endpoint "$EP" --stats', { input: b.join('\n') });
    codeIs(r, 0);
    has(r.err, '2 bodies applied, 30 requests', '13 requests unprocessed');
    assertSameTable(await scan('Replica8'), applyBodies(new Map(), b), 'Replica8');
    assert.deepStrictEqual((await proxy('/__stats')).sigFailures, []);
  });

  await test('CRLF line ends, blank lines, no final newline', async () => {
    await createTable('Replica7');
    const b = bodiesFor('Replica7', ev2);
    const r = run('"$REP" --endpoint "$EP"', { input: `\r\n${b.join('\r\n\r\n')}` });
    codeIs(r, 0);
    assertSameTable(await scan('Replica7'), applyBodies(new Map(), b), 'Replica7');
  });

  console.log(`replicate: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`test.js: ${e.stack || e}`);
  console.log(`replicate: ${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
});
