'use strict';
// node_peer.js - DynamoDB stream events to plain NDJSON with @aws-sdk/util-dynamodb, the way
// a Node user (a Lambda handler, a replay script) does it: JSON.parse each event, then
// unmarshall(image, { wrapNumbers: true }) per image. wrapNumbers keeps N as its exact text
// (without it, 38-digit numbers become BigInt and decimals doubles); sets come back as JS
// Sets and are written as arrays, B stays its base64 string. The record line is written in
// ddbstream's shape with a small serializer, because JSON.stringify cannot write a
// NumberValue as a bare number (JSON.rawJSON is not in Node 20).
//
// Input is read line by line (readline): a line that is a whole document (NDJSON) is parsed
// at once; a pretty document ("{" alone on a line ... "}" alone on a line) is gathered first.
// That framing fits NDJSON and the pretty output of the console and the AWS CLI.
// JSON.parse caveats (none hit by the bench corpus): ApproximateCreationDateTime goes through
// a double, and integer-like attribute names move to the front of an object.
//
// usage: node node_peer.js [FILE]   (stdin without FILE)
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { unmarshall, NumberValueImpl } = require(
  path.join(__dirname, '../../tests/oracle/node_modules/@aws-sdk/util-dynamodb'));

const opts = { wrapNumbers: true };

function ser(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return String(v);
    case 'bigint': return v.toString();
  }
  if (v instanceof NumberValueImpl) return v.value;   // the exact text
  if (Array.isArray(v)) return '[' + v.map(ser).join(',') + ']';
  if (v instanceof Set) return '[' + Array.from(v, ser).join(',') + ']';
  if (ArrayBuffer.isView(v)) return JSON.stringify(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
  const parts = [];
  for (const k of Object.keys(v)) parts.push(JSON.stringify(k) + ':' + ser(v[k]));
  return '{' + parts.join(',') + '}';
}

function recordLine(r) {
  const d = r.dynamodb, parts = [];
  if (!d) throw new Error('record without dynamodb');
  if (r.eventName != null) parts.push('"eventName":' + JSON.stringify(r.eventName));
  if (r.eventID != null) parts.push('"eventID":' + JSON.stringify(r.eventID));
  if (d.SequenceNumber != null) parts.push('"SequenceNumber":' + JSON.stringify(d.SequenceNumber));
  if (d.ApproximateCreationDateTime != null) {
    parts.push('"ApproximateCreationDateTime":' + JSON.stringify(d.ApproximateCreationDateTime));
  }
  if (r.userIdentity != null) parts.push('"userIdentity":' + JSON.stringify(r.userIdentity));
  for (const k of ['Keys', 'NewImage', 'OldImage']) {
    if (d[k] != null) parts.push(`"${k}":` + ser(unmarshall(d[k], opts)));
  }
  return '{' + parts.join(',') + '}';
}

// Output in ~1 MB blocks: one write per record would dominate.
let out = [], outLen = 0;
function flush() {
  const b = Buffer.from(out.join(''));
  for (let o = 0; o < b.length;) o += fs.writeSync(1, b, o);   // a write may be partial
  out = []; outLen = 0;
}
function doc(text) {
  const ev = JSON.parse(text);
  if (!Array.isArray(ev.Records)) throw new Error('not a stream event');
  for (const r of ev.Records) {
    const line = recordLine(r) + '\n';
    out.push(line);
    if ((outLen += line.length) >= 1 << 20) flush();
  }
}

let pending = null;
const rl = readline.createInterface({
  input: process.argv[2] ? fs.createReadStream(process.argv[2]) : process.stdin,
  crlfDelay: Infinity,
});
rl.on('line', (line) => {
  if (pending) {
    pending.push(line);
    if (line === '}') { doc(pending.join('\n')); pending = null; }
  } else if (line === '{') {
    pending = [line];
  } else if (line.trim() !== '') {
    doc(line);
  }
});
rl.on('close', () => {
  if (pending) { console.error('node_peer: input ends inside a document'); process.exit(1); }
  flush();
});
