#!/usr/bin/env node
// Local S3 stand-in for tests/s3: s3rver (checks SigV4 signatures) on 127.0.0.1 only.
//   node server.js [--port N] [--dir DIR] [--ttl SECONDS] [--watch-stdin]
// Prints "PORT <n>" once listening. Bucket "archive" exists; credentials S3RVER / S3RVER.
// Stops on SIGTERM/SIGINT, when stdin closes (--watch-stdin: the test process died), or after
// --ttl seconds (default 120), so that nothing is left running.
// Additions that real S3 has or that tests need:
//  - the body of a PUT is checked against x-amz-content-sha256 (s3rver does not): mismatch is
//    400 XAmzContentSHA256Mismatch and the object is removed, as S3 would not store it;
//  - a key holding "__503xN__" gets 503 SlowDown for its first N PUTs, and "__resetxN__" has
//    its connection dropped without an answer for its first N PUTs.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const S3rver = require('@20minutes/s3rver');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
};
const port = Number(arg('--port', '0'));
const ttl = Number(arg('--ttl', '120'));
const ownDir = !process.argv.includes('--dir');
const dir = ownDir ? fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-')) : arg('--dir');

const app = new S3rver({
  address: '127.0.0.1',
  port,
  directory: dir,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: 'archive' }],
});

const seen = new Map(); // key -> PUTs seen, for the fault hooks
const xmlError = (ctx, status, code, message) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
};

// First in the chain, so it wraps s3rver's own handling.
app.middleware.unshift(async (ctx, next) => {
  const m = ctx.method === 'PUT' && /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!m) return next();
  const bucket = decodeURIComponent(m[1]);
  const key = decodeURIComponent(m[2]);
  const n = (seen.get(key) || 0) + 1;
  seen.set(key, n);
  const fault = /__(503|reset)x(\d+)__/.exec(key);
  if (fault && n <= Number(fault[2])) {
    if (fault[1] === 'reset') {
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    ctx.req.resume(); // drain the body, keep the connection usable
    return xmlError(ctx, 503, 'SlowDown', 'Please reduce your request rate.');
  }
  await next();
  const want = ctx.get('x-amz-content-sha256');
  if (ctx.status !== 200 || !/^[0-9a-f]{64}$/i.test(want)) return;
  const file = app.store.getResourcePath(bucket, key, 'object');
  const got = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  if (got !== want.toLowerCase()) {
    await app.store.deleteObject(bucket, key);
    ctx.remove('ETag');
    xmlError(ctx, 400, 'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
});

const stop = (code) => {
  if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
setTimeout(() => {
  process.stderr.write(`server.js: --ttl ${ttl} s reached, stopping\n`);
  stop(2);
}, ttl * 1000).unref();
if (process.argv.includes('--watch-stdin')) {
  process.stdin.on('end', () => stop(0)).on('error', () => stop(0)).resume();
}

app.run().then(
  (addr) => process.stdout.write(`PORT ${addr.port}\n`),
  (err) => {
    process.stderr.write(`server.js: ${err.message}\n`);
    stop(1);
  },
);
