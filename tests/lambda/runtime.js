#!/usr/bin/env node
// Lambda Runtime API stand-in for tests/lambda, on 127.0.0.1 only, node's http alone.
//   node runtime.js --log FILE [--ttl S] [--redeliver N] [--watch-stdin]
//                   [--s3 PORT --fail-put K --fail-times R] EVENT_FILE...
// Prints "PORT n" (and "S3PROXY m") once listening. Serves the events in order on
// /invocation/next, then answers 500, which tells a runtime to exit. Logs one line per call:
//   next NAME | response NAME BODY | error NAME TYPE BODY | init-error TYPE BODY | put KEY STATUS
// --redeliver N: like Lambda on a stream, a batchItemFailures answer queues the batch again
//   from the record named (an /error answer: the whole batch), N times per event at most.
// --s3 PORT: a proxy to the S3 stand-in on PORT (Host kept, so SigV4 still verifies) where
//   the K-th distinct key PUT gets 503 SlowDown for its first R tries.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const argv = process.argv.slice(2);
const opts = {};
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--watch-stdin') opts.watch = true;
  else if (argv[i].startsWith('--')) opts[argv[i].slice(2)] = argv[++i];
  else files.push(argv[i]);
}
const log = (line) => fs.appendFileSync(opts.log, line.replace(/\n/g, '\\n') + '\n');
const queue = files.map((f) => ({ name: path.basename(f), body: fs.readFileSync(f), tries: 0 }));
const pending = new Map(); // request id -> batch served
const redeliver = Number(opts.redeliver || 0);

// What Lambda does with the answer of a stream batch: retry from the lowest record named.
function again(batch, failures) {
  if (batch.tries >= redeliver) return;
  let records = JSON.parse(batch.body).Records;
  if (failures) {
    const ids = failures.map((f) => f.itemIdentifier);
    const from = records.findIndex((r) => ids.includes((r.dynamodb || {}).SequenceNumber));
    if (from >= 0) records = records.slice(from); // else: a complete failure, all again
  }
  const body = Buffer.from(JSON.stringify({ Records: records }));
  queue.unshift({ name: `${batch.name}#${batch.tries + 1}`, body, tries: batch.tries + 1 });
}

const readBody = (req) =>
  new Promise((resolve) => {
    const parts = [];
    req.on('data', (d) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts)));
  });

const api = http.createServer(async (req, res) => {
  const body = (await readBody(req)).toString();
  const answer = (code, obj) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const type = req.headers['lambda-runtime-function-error-type'] || '-';
  const m = /^\/2018-06-01\/runtime\/(?:invocation\/([^/]+)\/(response|error)|(init\/error|invocation\/next))$/.exec(req.url);
  if (m && m[3] === 'invocation/next' && req.method === 'GET') {
    const batch = queue.shift();
    if (!batch) {
      log('next-empty');
      return answer(500, { errorMessage: 'no more events', errorType: 'Test.Done' });
    }
    const id = crypto.randomUUID();
    pending.set(id, batch);
    log(`next ${batch.name}`);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': id,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60000),
      'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:123456789012:function:test',
      'Lambda-Runtime-Trace-Id': `Root=1-${id.slice(0, 8)}-000000000000000000000000;Sampled=0`,
    });
    return res.end(batch.body);
  }
  if (m && m[3] === 'init/error' && req.method === 'POST') {
    log(`init-error ${type} ${JSON.stringify(JSON.parse(body))}`); // throws: not JSON
    return answer(202, { status: 'OK' });
  }
  if (m && m[1] && req.method === 'POST') {
    const batch = pending.get(m[1]);
    if (!batch) {
      log(`bad-id ${m[1]}`);
      return answer(400, { errorMessage: 'unknown request id', errorType: 'InvalidRequestID' });
    }
    pending.delete(m[1]);
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      log(`bad-json ${batch.name} ${body}`);
      return answer(400, { errorMessage: 'not JSON', errorType: 'InvalidJSON' });
    }
    if (m[2] === 'response') {
      log(`response ${batch.name} ${body}`);
      const failures = parsed.batchItemFailures;
      if (failures && failures.length) again(batch, failures);
    } else {
      log(`error ${batch.name} ${type} ${body}`);
      again(batch, null);
    }
    return answer(202, { status: 'OK' });
  }
  log(`unexpected ${req.method} ${req.url}`);
  return answer(404, { errorMessage: 'not found' });
});

// The S3 fault proxy: forwards everything, fails the chosen object's first tries.
const putKeys = [];
const putTries = new Map();
const proxy = http.createServer(async (req, res) => {
  const body = await readBody(req);
  const key = decodeURIComponent(req.url.split('?')[0]).replace(/^\/[^/]+\//, '');
  if (req.method === 'PUT') {
    if (!putTries.has(key)) putKeys.push(key);
    putTries.set(key, (putTries.get(key) || 0) + 1);
    if (putKeys.indexOf(key) + 1 === Number(opts['fail-put']) && putTries.get(key) <= Number(opts['fail-times'])) {
      log(`put ${key} 503`);
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      return res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    }
  }
  const headers = { ...req.headers };
  delete headers.expect; // the body is here already
  const up = http.request({ host: '127.0.0.1', port: Number(opts.s3), method: req.method, path: req.url, headers }, (ur) => {
    const parts = [];
    ur.on('data', (d) => parts.push(d)).on('end', () => {
      if (req.method === 'PUT') log(`put ${key} ${ur.statusCode}`);
      res.writeHead(ur.statusCode, ur.headers);
      res.end(Buffer.concat(parts));
    });
  });
  up.on('error', () => res.destroy());
  up.end(body);
});

setTimeout(() => process.exit(2), Number(opts.ttl || 60) * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
if (opts.watch) process.stdin.on('end', () => process.exit(0)).resume();
api.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${api.address().port}\n`);
  if (opts.s3) proxy.listen(0, '127.0.0.1', () => process.stdout.write(`S3PROXY ${proxy.address().port}\n`));
});
