#!/usr/bin/env node
// Local DynamoDB stand-in for tests/replicate: dynalite, and in front of it a proxy that checks
// SigV4 signatures and injects faults. Both listen on 127.0.0.1 only, on free ports.
//   node server.js [--ttl SECONDS] [--watch-stdin]
// Prints "PORT <dynalite> <proxy>" once listening. Stops on SIGTERM/SIGINT, when stdin closes
// (--watch-stdin: the test runner died), or after --ttl seconds (default 120), so nothing is
// left running.
//
// The proxy serves POST / (DynamoDB's JSON API) and, for the tests:
//   POST /__faults  body {"queue":[fault...], "down":bool}: faults that the next BatchWriteItem
//                   calls take, one each, in order ({"kind":"pass"} takes one and does nothing)
//   GET  /__stats   counters, the faults taken, the last signature's scope and signed headers
//   POST /__reset   counters and faults back to zero
// Faults: error {status,type} (answered, not forwarded) | html (502 page) | reset (connection
// dropped unanswered) | hang (never answered) | crc (forwarded; x-amz-crc32 spoiled) | split
// (first half of each table's requests forwarded, the rest answered as UnprocessedItems, as
// DynamoDB does when throttled) | unprocess-all (nothing forwarded, all unprocessed) |
// down (from then on every connection is dropped).
'use strict';
const crypto = require('crypto');
const http = require('http');
const zlib = require('zlib');

const ttl = Number(process.argv.includes('--ttl') ? process.argv[process.argv.indexOf('--ttl') + 1] : 120);
const KEYS = { AKIDREPLICATETEST: 'replicate/test+secret' }; // credentials the tests use
const crc32 = zlib.crc32 || require('buffer-crc32').unsigned;

const dynalite = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

let st, queue, down;
const reset = () => {
  st = { requests: 0, batchWrites: 0, taken: [], sigFailures: [], scope: null, signedHeaders: null };
  queue = [];
  down = false;
};
reset();

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// Checks the SigV4 Authorization header the way AWS does; returns an error text or null.
function sigv4Error(req, body) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/
    .exec(req.headers.authorization || '');
  if (!m) return `malformed Authorization: ${req.headers.authorization}`;
  const [, akid, day, region, service, signed, sig] = m;
  const amzDate = req.headers['x-amz-date'] || '';
  const names = signed.split(';');
  if (!KEYS[akid]) return `unknown access key ${akid}`;
  if (service !== 'dynamodb') return `service ${service}, not dynamodb`;
  if (!amzDate.startsWith(day)) return `x-amz-date ${amzDate} not of ${day}`;
  for (const h of ['host', 'x-amz-date', 'x-amz-target', 'content-type'])
    if (!names.includes(h)) return `${h} not signed`;
  if (req.headers['x-amz-security-token'] !== undefined && !names.includes('x-amz-security-token'))
    return 'x-amz-security-token not signed';
  const canonHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const [path, query = ''] = req.url.split('?');
  const creq = [req.method, path, query, canonHeaders, signed, sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(creq)].join('\n');
  let key = hmac(`AWS4${KEYS[akid]}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  if (hmac(key, sts).toString('hex') !== sig) return 'signature does not match';
  st.scope = scope;
  st.signedHeaders = signed;
  st.token = req.headers['x-amz-security-token'] ?? null;
  return null;
}

function send(res, status, obj, crcOverride) {
  const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
  const buf = Buffer.from(text);
  res.writeHead(status, {
    'Content-Type': typeof obj === 'string' ? 'text/html' : 'application/x-amz-json-1.0',
    'Content-Length': buf.length,
    'x-amz-crc32': String(crcOverride ?? crc32(buf)),
  });
  res.end(buf);
}

function forward(req, body, cb) {
  const headers = { ...req.headers, 'content-length': Buffer.byteLength(body), host: `127.0.0.1:${dynalite.address().port}` };
  delete headers.expect;
  const f = http.request({ host: '127.0.0.1', port: dynalite.address().port, method: 'POST', path: '/', headers }, (r) => {
    const parts = [];
    r.on('data', (c) => parts.push(c));
    r.on('end', () => cb(null, r.statusCode, Buffer.concat(parts)));
  });
  f.on('error', (e) => cb(e));
  f.end(body);
}

// Answers with what dynalite said (crcOverride: a wrong x-amz-crc32, for the crc fault).
function reply(res, err, status, data, crcOverride) {
  if (err) return send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err) });
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': data.length,
    'x-amz-crc32': String(crcOverride ?? crc32(data)) });
  return res.end(data);
}

const proxy = http.createServer((req, res) => {
  if (down && !req.url.startsWith('/__')) return req.socket.destroy();
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(parts);
    if (req.url === '/__stats') return send(res, 200, { ...st, queued: queue.length, down });
    if (req.url === '/__reset') return reset(), send(res, 200, {});
    if (req.url === '/__faults') {
      const f = JSON.parse(raw.toString());
      queue.push(...(f.queue || []));
      if (f.down !== undefined) down = f.down;
      return send(res, 200, {});
    }
    st.requests++;
    if (req.headers.expect) st.expect = (st.expect || 0) + 1;
    const bad = sigv4Error(req, raw);
    if (bad) {
      st.sigFailures.push(bad);
      return send(res, 400, { __type: 'com.amazon.coral.service#InvalidSignatureException', message: bad });
    }
    if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.BatchWriteItem')
      return forward(req, raw, (e, s, d) => reply(res, e, s, d));
    st.batchWrites++;
    const fault = queue.shift() || { kind: 'none' };
    if (fault.kind !== 'none') st.taken.push(fault.kind);
    switch (fault.kind) {
      case 'down':
        down = true;
        return req.socket.destroy();
      case 'reset':
        return req.socket.destroy();
      case 'hang':
        return undefined; // the client's timeout ends it
      case 'error':
        return send(res, fault.status || 400, { __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: `injected ${fault.type}` });
      case 'html':
        return send(res, 502, '<html><body>502 Bad Gateway\n</body></html>');
      case 'crc':
        return forward(req, raw, (e, s, d) => reply(res, e, s, d, e ? 0 : (crc32(d) ^ 1) >>> 0));
      case 'unprocess-all':
        return send(res, 200, { UnprocessedItems: JSON.parse(raw.toString()).RequestItems });
      case 'split': {
        const items = JSON.parse(raw.toString()).RequestItems, keep = {}, rest = {};
        for (const [t, reqs] of Object.entries(items)) {
          const half = Math.max(1, Math.floor(reqs.length / 2));
          keep[t] = reqs.slice(0, half);
          if (reqs.length > half) rest[t] = reqs.slice(half);
        }
        return forward(req, JSON.stringify({ RequestItems: keep }), (e, s, d) => {
          if (e || s !== 200) return reply(res, e, s, d);
          const out = JSON.parse(d.toString());
          out.UnprocessedItems = rest;
          return reply(res, null, 200, Buffer.from(JSON.stringify(out)));
        });
      }
      default:
        return forward(req, raw, (e, s, d) => reply(res, e, s, d));
    }
  });
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  proxy.closeAllConnections?.();
  proxy.close();
  dynalite.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.argv.includes('--watch-stdin')) process.stdin.on('end', stop).on('error', stop).resume();
setTimeout(stop, ttl * 1000).unref();

dynalite.listen(0, '127.0.0.1', () => {
  proxy.listen(0, '127.0.0.1', () => {
    console.log(`PORT ${dynalite.address().port} ${proxy.address().port}`);
  });
});
