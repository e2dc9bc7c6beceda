#!/usr/bin/env node
// A DynamoDB stream event as Lambda delivers it, with increasing SequenceNumbers.
//   node gen.js COUNT [--bad K] [--big K] [--seq-first] [--hour-split K]
// --bad K: record K (1-based) gets {"NULL":false}, which DynamoDB never sends.
// --big K: record K gets a 2000-byte string.
// --seq-first: SequenceNumber before the images (Lambda writes it after them).
// --hour-split K: records from K on are an hour later (a new date directory).
'use strict';
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : 0;
};
const count = Number(argv[0] || 10);
const bad = opt('--bad');
const big = opt('--big');
const split = opt('--hour-split');
const seqFirst = argv.includes('--seq-first');
const names = ['INSERT', 'MODIFY', 'REMOVE'];
const records = [];
for (let k = 1; k <= count; k++) {
  const item = { id: { N: String(k) }, name: { S: `item ${k}` }, price: { N: `${k}.25` } };
  if (k === bad) item.broken = { NULL: false };
  if (k === big) item.text = { S: 'x'.repeat(2000) };
  const ddb = { ApproximateCreationDateTime: 1700000000 + k + (split && k >= split ? 3600 : 0) };
  const seq = (400000000000000000000n + BigInt(k) * 1000n).toString();
  if (seqFirst) ddb.SequenceNumber = seq;
  ddb.Keys = { id: { N: String(k) } };
  const name = names[(k - 1) % 3];
  if (name !== 'REMOVE') ddb.NewImage = item;
  if (name !== 'INSERT') ddb.OldImage = { id: { N: String(k) }, name: { S: 'old' } };
  if (!seqFirst) ddb.SequenceNumber = seq;
  ddb.SizeBytes = 60;
  ddb.StreamViewType = 'NEW_AND_OLD_IMAGES';
  records.push({
    eventID: k.toString(16).padStart(32, '0'),
    eventName: name,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: ddb,
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2023-11-14T00:00:00.000',
  });
}
process.stdout.write(JSON.stringify({ Records: records }, null, 1) + '\n');
