#!/usr/bin/env node
// Local S3 stand-in for tests/s3: s3rver (checks SigV4 signatures) on 127.0.0.1 only.
//   node server.js [--port N] [--dir DIR] [--ttl SECONDS] [--watch-stdin]
// Prints "PORT <n>" once listening. Bucket "archive" exists; credentials S3RVER / S3RVER.
// Stops on SIGTERM/SIGINT, when stdin closes (--watch-stdin: the test process died), or after
// --ttl seconds (default 120), so that nothing is left running.
// Additions that real S3 has or that tests need:
//  - a PUT is stored whole or not at all, and only if its body matches x-amz-content-sha256
//    (else 400 XAmzContentSHA256Mismatch), as S3 does and s3rver does not;
//  - a key holding "__503xN__" gets 503 SlowDown for its first N PUTs, and "__resetxN__" has
//    its connection dropped without an answer for its first N PUTs.
'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pipeline, Readable, Transform } = require('stream');
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

// S3 commits a PUT whole or not at all, and only if the body matches x-amz-content-sha256.
// s3rver writes into the object file as bytes arrive (an aborted upload leaves it truncated)
// and checks no payload hash, so its store's write is replaced: a temp file, hashed while
// written, renamed over the object only when complete and matching.
const als = new AsyncLocalStorage(); // the PUT being served: { want: hex hash or undefined }
let seq = 0;
app.store.putContent = (objectPath, content) =>
  new Promise((resolve, reject) => {
    const tmp = `${objectPath}.${process.pid}.${++seq}.partial`;
    const md5 = crypto.createHash('md5');
    const sha = crypto.createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk, enc, cb) {
        md5.update(chunk);
        sha.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const src = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    pipeline(src, tap, fs.createWriteStream(tmp), (err) => {
      const want = (als.getStore() || {}).want;
      if (!err && want && sha.digest('hex') !== want) {
        err = Object.assign(new Error('sha256 mismatch'), { sha256Mismatch: true });
      }
      if (err) return fs.rm(tmp, { force: true }, () => reject(err));
      fs.rename(tmp, objectPath, (e) => (e ? reject(e) : resolve([size, md5.digest('hex')])));
    });
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
  const h = ctx.get('x-amz-content-sha256');
  const want = /^[0-9a-f]{64}$/i.test(h) ? h.toLowerCase() : undefined;
  try {
    await als.run({ want }, next);
  } catch (err) {
    if (!err.sha256Mismatch) throw err;
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
