'use strict';
// Rewrites the records of a gen.js stream (Lambda events, GetRecords responses, bare records)
// in the other input forms ddbstream reads, and checks ddbstream's output on them.
// usage:
//   node wrap.js FORM IN OUT [--bad]   FORM: kds | kinesis | firehose | export-incremental |
//                                      export-full | firehose-big; --bad (firehose only) puts
//                                      bad payloads, recordId "bad-..", among the good ones;
//                                      firehose-big: 16 records of 390 KB, recordIds "big-K"
//                                      (IN is not read)
//   node wrap.js unwrap IN OUT         Kinesis / Firehose payloads decoded, one per line
//   node wrap.js to-stream IN OUT      export lines as bare stream records, for oracle.js
//   node wrap.js expect FORM PLAIN OUT [--events LIST]
//                                      ddbstream's default output on the plain stream turned
//                                      into what it must write for FORM
//   node wrap.js all IN DIR            (one process instead of many) every FORM of IN as
//                                      DIR/FORM.json, firehose-bad.json (--bad) and
//                                      firehose-big.json; the payloads of kinesis, firehose
//                                      and firehose-big unwrapped as DIR/FORM.payloads, the
//                                      export forms to-stream as DIR/FORM.stream
//   node wrap.js expect-all PLAIN PLAIN_DDB DIR [--events LIST]
//                                      expect for every FORM: DIR/FORM.exp (from PLAIN),
//                                      FORM.exp.ddb (from PLAIN_DDB), FORM.exp.ev (PLAIN,
//                                      filtered by LIST)
//   node wrap.js split IN DIR          one file per document: DIR/000000.json, ...
//   node wrap.js fhcheck DIR PLAIN [--events LIST]
//                                      checks the --firehose-response answers DIR/*.out to the
//                                      events DIR/*.json against `expect firehose PLAIN` (PLAIN
//                                      "-": none); big-K records against line K of
//                                      DIR/big.expected
// Every value is moved as its raw text (the input is read as latin1, one char per byte), never
// through JSON.parse/stringify, so number text, escapes and key order survive the wrapping.
const fs = require('fs');
const path = require('path');

const FIREHOSE_LIMIT = 6291456;   // 6 MiB: what a Lambda function may answer
const NO_TIME_MICROS = '1700000000000000';   // export lines always carry a write time
// A valid KDS record the bad payloads are made from.
const GOOD_KDS = '{"awsRegion":"us-east-1","eventID":"e0","eventName":"INSERT","userIdentity":null,' +
  '"recordFormat":"application/json","tableName":"T","dynamodb":{"ApproximateCreationDateTime":1700000000000,' +
  '"Keys":{"k":{"S":"x"}},"NewImage":{"k":{"S":"x"}},"SizeBytes":10},"eventSource":"aws:dynamodb"}';

// ---------- a span scanner over valid JSON text: values are located, not decoded ----------
function ws(s, p) {
  for (;;) {
    const c = s.charCodeAt(p);
    if (c === 32 || c === 10 || c === 13 || c === 9) p++;
    else return p;
  }
}
// p at the opening quote; returns the index after the closing one.
function strEnd(s, p) {
  for (let i = p + 1; ;) {
    const q = s.indexOf('"', i);
    if (q < 0) throw new Error(`unterminated string at ${p}`);
    let n = 0;
    while (s.charCodeAt(q - 1 - n) === 92) n++;   // an odd run of \ escapes the quote
    if (n % 2 === 0) return q + 1;
    i = q + 1;
  }
}
const SCALAR = /-?[0-9][-+0-9.eE]*|true|false|null/y;
// p at a value's first byte; returns the index after it. No recursion: items near 400 KB
// and 32-level nesting are just bytes here.
function skip(s, p) {
  const c = s[p];
  if (c === '"') return strEnd(s, p);
  if (c !== '{' && c !== '[') {
    SCALAR.lastIndex = p;
    if (!SCALAR.test(s)) throw new Error(`unexpected ${JSON.stringify(c)} at ${p}`);
    return SCALAR.lastIndex;
  }
  let depth = 0;
  for (let i = p; i < s.length; i++) {
    const d = s[i];
    if (d === '"') i = strEnd(s, i) - 1;
    else if (d === '{' || d === '[') depth++;
    else if ((d === '}' || d === ']') && --depth === 0) return i + 1;
  }
  throw new Error(`unclosed container at ${p}`);
}
// Members of the object at p: a Map key -> [start, end] of the value (keys are ASCII here).
function members(s, p) {
  const m = new Map();
  if (s[p] !== '{') throw new Error(`not an object at ${p}`);
  p = ws(s, p + 1);
  if (s[p] === '}') return m;
  for (;;) {
    const ke = strEnd(s, p), key = JSON.parse(s.slice(p, ke));
    const a = ws(s, ws(s, ke) + 1), b = skip(s, a);
    m.set(key, [a, b]);
    p = ws(s, b);
    if (s[p] === '}') return m;
    p = ws(s, p + 1);
  }
}
// Elements of the array at p: [start, end] each.
function elements(s, p) {
  const out = [];
  p = ws(s, p + 1);
  if (s[p] === ']') return out;
  for (;;) {
    const b = skip(s, p);
    out.push([p, b]);
    p = ws(s, b);
    if (s[p] === ']') return out;
    p = ws(s, p + 1);
  }
}
// Documents of a stream (NDJSON, pretty or concatenated; optional BOM): [start, end] each.
function docs(s) {
  const out = [];
  let p = s.startsWith('\xef\xbb\xbf') ? 3 : 0;
  for (;;) {
    p = ws(s, p);
    if (p >= s.length) return out;
    const b = skip(s, p);
    out.push([p, b]);
    p = b;
  }
}
const text = (s, span) => (span ? s.slice(span[0], span[1]) : undefined);

// Every stream record of a gen.js stream, grouped by document: [[{f, d}, ...], ...] where
// f and d map the record's and its dynamodb object's keys to their raw text.
function streamRecords(s) {
  const recordOf = (span) => {
    const f = members(s, span[0]), dd = f.get('dynamodb'), d = new Map();
    for (const [k, v] of members(s, dd[0])) d.set(k, text(s, v));
    const ft = new Map();
    for (const [k, v] of f) ft.set(k, text(s, v));
    return { f: ft, d };
  };
  return docs(s).map((span) => {
    const m = members(s, span[0]);
    if (m.has('Records')) return elements(s, m.get('Records')[0]).map(recordOf);
    return [recordOf(span)];
  });
}

// ---------- time: seconds as written (integer, decimal, E-notation) to an integer unit ----
// floor(t * unit) by moving the decimal point in the text: exact, no double.
function scale(t, unit) {
  const m = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) throw new Error(`not a time: ${t}`);
  const frac = m[2] || '', digits = m[1] + frac;
  const shift = Number(m[3] || 0) - frac.length + String(unit).length - 1;
  const whole = shift >= 0 ? digits + '0'.repeat(shift) : digits.slice(0, Math.max(0, digits.length + shift));
  return whole.replace(/^0+(?=.)/, '') || '0';
}
// Which records say MICROSECOND: every third, by position in the stream, so `expect` knows.
const unitOf = (i) => (i % 3 === 1 ? 1000000 : 1000);

// ---------- forms ----------
const obj = (pairs) => '{' + pairs.map(([k, v]) => JSON.stringify(k) + ':' + v).join(',') + '}';
// A fixed rotation for some records: the reader must not depend on key order.
const rotate = (a, i) => (i % 8 === 5 ? a.slice(3).concat(a.slice(0, 3)) : a);

// One KDS-for-DynamoDB record from stream record r, the i-th of the stream. Fields and order
// as AWS writes them (awsRegion .. eventSource), plus SequenceNumber so outputs compare.
function kds(r, i) {
  const { f, d } = r, unit = unitOf(i), dd = [];
  if (d.has('ApproximateCreationDateTime')) dd.push(['ApproximateCreationDateTime', scale(d.get('ApproximateCreationDateTime'), unit)]);
  if (unit === 1000000) dd.push(['ApproximateCreationDateTimePrecision', '"MICROSECOND"']);
  else if (i % 5 === 0) dd.push(['ApproximateCreationDateTimePrecision', '"MILLISECOND"']);
  for (const k of ['Keys', 'NewImage', 'OldImage', 'SizeBytes', 'SequenceNumber']) if (d.has(k)) dd.push([k, d.get(k)]);
  return obj(rotate([
    ['awsRegion', f.get('awsRegion') || '"us-east-1"'], ['eventID', f.get('eventID')],
    ['eventName', f.get('eventName')], ['userIdentity', f.get('userIdentity') || 'null'],
    ['recordFormat', '"application/json"'], ['tableName', '"T"'], ['dynamodb', obj(rotate(dd, i))],
    ['eventSource', '"aws:dynamodb"']], i));
}

const latin1b64 = (t) => Buffer.from(t, 'latin1').toString('base64');
// Some encoders write "/" as "\/" inside JSON strings: every fourth payload gets that.
const b64field = (t, i) => { const b = latin1b64(t); return '"' + (i % 4 === 2 ? b.replace(/\//g, '\\/') : b) + '"'; };
const digitsOf = (i, n) => String(i * 7919 + 1234567).padStart(n, '9').slice(-n);
const pretty = (pairs, ind) => '{\n' + pairs.map(([k, v]) => ind + JSON.stringify(k) + ': ' + v).join(',\n') + '\n}';

function kinesisRecord(payload, i) {
  const seq = '4965782840918770152001999524' + digitsOf(i, 28);
  const k = obj([['kinesisSchemaVersion', '"1.0"'], ['partitionKey', `"${digitsOf(i, 32)}"`],
    ['sequenceNumber', `"${seq}"`], ['data', b64field(payload, i)], ['approximateArrivalTimestamp', '1731924555.932']]);
  // the wrapper's own eventName and eventID come before "kinesis" in some records
  const meta = [['eventSource', '"aws:kinesis"'], ['eventVersion', '"1.0"'],
    ['eventID', `"shardId-000000000000:${seq}"`], ['eventName', '"aws:kinesis:record"'],
    ['invokeIdentityArn', '"arn:aws:iam::123456789012:role/r"'], ['awsRegion', '"eu-west-1"'],
    ['eventSourceARN', '"arn:aws:kinesis:eu-west-1:123456789012:stream/s"']];
  return obj(i % 2 ? [['kinesis', k], ...meta] : [...meta, ['kinesis', k]]);
}
function firehoseRecord(id, data, i) {
  const pairs = [['recordId', JSON.stringify(id)], ['approximateArrivalTimestamp', '1664028820148'], ['data', data],
    ['kinesisRecordMetadata', obj([['shardId', '"shardId-000000000000"'], ['partitionKey', `"${digitsOf(i, 32)}"`],
      ['approximateArrivalTimestamp', '1664028820148'], ['sequenceNumber', `"${digitsOf(i, 56)}"`], ['subsequenceNumber', '0']])]];
  return obj(i % 3 === 2 ? pairs.reverse() : pairs);
}
function firehoseEvent(recs, n) {
  const pairs = [['invocationId', `"inv-${n}"`], ['sourceKinesisStreamArn', '"arn:aws:kinesis:us-east-1:123456789012:stream/s"'],
    ['deliveryStreamArn', '"arn:aws:firehose:us-east-1:123456789012:deliverystream/d"'], ['region', '"us-east-1"'],
    ['records', '[' + recs.join(',') + ']']];
  return n % 4 === 1 ? pretty(pairs, '  ') : obj(pairs);
}

// Bad payloads for --bad: each must fail its own part only.
function badPayloads(good) {
  const b = latin1b64;
  return [
    ['not-base64', '"not base64!"'],
    ['invalid-json', '"' + b('{"eventName":"INSERT","dynamodb":{"Keys":{"k":{"S":"x"}}},}') + '"'],
    ['null-false', '"' + b(good.replace('"dynamodb":{', '"dynamodb":{"NewImage":{"z":{"NULL":false}},')) + '"'],
    ['truncated', '"' + b(good.slice(0, good.length >> 1)) + '"'],
    ['data-after-padding', '"ew==ew=="'],   // "{" then more after its padding
    ['not-a-record', '"' + b('{"Hello": "World"}') + '"'],
    ['bad-eventName', '"' + b(good.replace(/"eventName":"[A-Z]+"/, '"eventName":"UPSERT"')) + '"'],
    ['hello-world', '"SGVsbG8gV29ybGQ="'],
    ['unfinished-group', '"e30"'],
  ];
}

function wrap(form, s, bad) {
  if (form === 'firehose-big') {
    // 16 records of about 390 KB each (DynamoDB's item limit is 400 KB): more than the 6 MiB
    // a response may hold. Each has its own letter, so an answer cannot be another's.
    const recs = [];
    for (let k = 0; k < 16; k++) {
      const t = GOOD_KDS.replace('"NewImage":{', `"NewImage":{"blob":{"S":"${String.fromCharCode(97 + k).repeat(390000)}"},`);
      recs.push(firehoseRecord(`big-${k}`, '"' + latin1b64(t) + '"', k));
    }
    return firehoseEvent(recs, 0) + '\n';
  }
  const groups = streamRecords(s), out = [];
  let i = 0;
  groups.forEach((g, n) => {
    const payloads = g.map((r) => { const t = kds(r, i); return [t, i++]; });
    if (form === 'kds') {
      // one record per line: whitespace outside strings goes (pretty input spans lines)
      for (const [t] of payloads) out.push(minify(t) + '\n');
    } else if (form === 'kinesis') {
      const recs = payloads.map(([t, k]) => kinesisRecord(t, k));
      out.push((n % 4 === 1 ? pretty([['Records', '[' + recs.join(',') + ']']], '  ') : obj([['Records', '[' + recs.join(',') + ']']])) + '\n');
    } else if (form === 'firehose') {
      // Firehose producers often end a record with a newline: some payloads have one
      const recs = payloads.map(([t, k]) => firehoseRecord(`${digitsOf(k, 40)}${k}`, b64field(k % 5 === 3 ? t + '\n' : t, k), k));
      if (bad) {
        const bads = badPayloads(GOOD_KDS);
        const which = bads[n % bads.length];
        // first, last, or in the middle of the event
        recs.splice(n % 3 === 0 ? 0 : n % 3 === 1 ? recs.length : recs.length >> 1, 0,
          firehoseRecord(`bad-${which[0]}-${n}`, which[1], n));
      }
      out.push(firehoseEvent(recs, n) + (n % 5 === 4 ? '' : '\n'));   // some concatenated
    } else if (form === 'export-incremental') {
      for (const [k, r] of g.entries()) {
        const d = r.d, t = d.get('ApproximateCreationDateTime');
        const wts = t === undefined ? NO_TIME_MICROS : scale(t, 1000000);
        const pairs = [['Metadata', obj([['WriteTimestampMicros', obj([['N', `"${wts}"`]])]])]];
        for (const f of ['Keys', 'NewImage', 'OldImage']) if (d.has(f)) pairs.push([f, d.get(f)]);
        out.push(minify(obj(rotate(pairs, payloads[k][1]))) + '\n');
      }
    } else if (form === 'export-full') {
      for (const r of g) {
        const d = r.d;
        out.push(minify(obj([['Item', d.get('NewImage') || d.get('OldImage') || d.get('Keys')]])) + '\n');
      }
    } else throw new Error(`unknown form ${form}`);
  });
  return out.join('');
}

// Whitespace outside strings removed; strings (with their escapes) kept byte for byte.
function minify(t) {
  let o = '', i = 0;
  while (i < t.length) {
    const c = t[i];
    if (c === '"') { const e = strEnd(t, i); o += t.slice(i, e); i = e; } else {
      if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') o += c;
      i++;
    }
  }
  return o;
}

// ---------- unwrap, to-stream ----------
// The payloads of Kinesis and Firehose events, decoded, one per line.
function unwrap(s) {
  const out = [];
  for (const span of docs(s)) {
    const m = members(s, span[0]);
    const list = m.has('Records') ? elements(s, m.get('Records')[0]).map((r) => members(s, members(s, r[0]).get('kinesis')[0]).get('data'))
      : elements(s, m.get('records')[0]).map((r) => members(s, r[0]).get('data'));
    for (const d of list) {
      const b = JSON.parse(text(s, d));   // base64 is ASCII: only \/ may be escaped
      out.push(Buffer.from(b, 'base64').toString('latin1').replace(/\n$/, '') + '\n');
    }
  }
  return out.join('');
}
// Export lines as bare stream records (WriteTimestampMicros as the time) for oracle.js.
function toStream(s) {
  return docs(s).map((span) => {
    const m = members(s, span[0]), dd = [];
    if (m.has('Item')) dd.push(['NewImage', text(s, m.get('Item'))]);
    else {
      const w = m.get('Metadata') && members(s, m.get('Metadata')[0]).get('WriteTimestampMicros');
      if (w) dd.push(['ApproximateCreationDateTime', JSON.parse(text(s, members(s, w[0]).get('N')))]);
      for (const f of ['Keys', 'NewImage', 'OldImage']) if (m.has(f)) dd.push([f, text(s, m.get(f))]);
    }
    return obj([['dynamodb', obj(dd)]]) + '\n';
  }).join('');
}

// ---------- expect ----------
const parseEvents = (argv) => {
  const k = argv.indexOf('--events');
  return k < 0 ? null : new Set(argv[k + 1].split(','));
};
// The event of an output line of form `form`: as written, or what the images say (exports).
function eventOf(form, m, line) {
  if (form === 'export-full') return 'INSERT';
  if (form === 'export-incremental') return m.has('NewImage') ? (m.has('OldImage') ? 'MODIFY' : 'INSERT') : 'REMOVE';
  return JSON.parse(text(line, m.get('eventName')));
}
// Lines ddbstream must write for `form`, from its default output on the plain stream: the
// same text but for the time, in the form's unit (or the export shapes).
function expectLines(form, plain) {
  return plain.split('\n').filter((l) => l !== '').map((line, i) => {
    const m = members(line, 0), pairs = [];
    if (form === 'export-full') {
      pairs.push(['NewImage', text(line, m.get('NewImage') || m.get('OldImage') || m.get('Keys'))]);
    } else if (form === 'export-incremental') {
      const t = text(line, m.get('ApproximateCreationDateTime'));
      pairs.push(['WriteTimestampMicros', t === undefined ? NO_TIME_MICROS : scale(t, 1000000)]);
      for (const f of ['Keys', 'NewImage', 'OldImage']) if (m.has(f)) pairs.push([f, text(line, m.get(f))]);
    } else {
      for (const [k, v] of m) pairs.push([k, k === 'ApproximateCreationDateTime' ? scale(text(line, v), unitOf(i)) : text(line, v)]);
    }
    const im = new Map(pairs.map(([k]) => [k, [0, 0]]));
    return { line: obj(pairs) + '\n', event: form.startsWith('export') ? eventOf(form, im) : eventOf(form, m, line) };
  });
}

// ---------- Firehose responses ----------
function fhcheck(dir, expFile, events) {
  const exp = expFile === '-' ? [] : expectLines('firehose', fs.readFileSync(expFile, 'latin1'));
  const bigFile = path.join(dir, 'big.expected');
  const big = fs.existsSync(bigFile) ? fs.readFileSync(bigFile, 'latin1').split(/(?<=\n)/) : [];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  let next = 0, parts = 0, bad = 0;
  const fail = (m) => { if (++bad <= 10) console.log(m); };
  for (const f of files) {
    const ev = fs.readFileSync(path.join(dir, f), 'latin1');
    const raw = fs.readFileSync(path.join(dir, f.replace(/\.json$/, '.out')));
    const where = (k) => `${f} record ${k}`;
    const m = members(ev, docs(ev)[0][0]);
    const ids = elements(ev, m.get('records')[0]).map((r) => JSON.parse(text(ev, members(ev, r[0]).get('recordId'))));
    let resp;
    if (raw.length > FIREHOSE_LIMIT) fail(`${f}: response of ${raw.length} bytes, over 6 MiB`);
    try { resp = JSON.parse(raw.toString('utf8')); } catch (e) {
      fail(`${f}: response is not JSON: ${e.message}`);
      next += ids.filter((id) => !/^(bad|big)-/.test(id)).length;   // the next event's lines
      continue;
    }
    const got = resp.records || [];
    if (got.length !== ids.length) fail(`${f}: ${got.length} answers for ${ids.length} records`);
    const seen = new Set(got.map((x) => x.recordId));
    if (seen.size !== got.length) fail(`${f}: a recordId answered twice`);
    let okBytes = 0;
    ids.forEach((id, k) => {
      const a = got[k] || {};
      parts++;
      if (a.recordId !== id) { fail(`${where(k)}: recordId ${a.recordId}, expected ${id}`); return; }
      const data = Buffer.from(a.data || '', 'base64').toString('latin1');
      if (id.startsWith('bad-')) {
        if (a.result !== 'ProcessingFailed') fail(`${where(k)} (${id}): ${a.result}, expected ProcessingFailed`);
        return;
      }
      const want = id.startsWith('big-') ? { line: big[Number(id.slice(4))], event: 'INSERT' } : exp[next++];
      if (!want || want.line === undefined) { fail(`${where(k)}: no expected line for ${id}`); return; }
      const entry = Math.ceil(want.line.length / 3) * 4 + id.length + 64;
      if (events && !events.has(want.event)) {
        if (a.result !== 'Dropped') fail(`${where(k)}: ${a.result}, expected Dropped (${want.event})`);
      } else if (a.result === 'Ok') {
        if (data !== want.line) fail(`${where(k)}: data ${JSON.stringify(data.slice(0, 120))}, expected ${JSON.stringify(want.line.slice(0, 120))}`);
        okBytes += entry;
      } else if (a.result !== 'ProcessingFailed' || okBytes + entry <= FIREHOSE_LIMIT - 131072) {
        // a part may fail for size only near the limit
        fail(`${where(k)}: ${a.result} (${okBytes} bytes answered before it), expected Ok`);
      }
    });
  }
  if (next !== exp.length) fail(`${next} good records in the events, ${exp.length} expected lines`);
  console.log(`fhcheck: ${parts} records, ${bad} mismatches`);
  return bad === 0;
}

const FORMS = ['kds', 'kinesis', 'firehose', 'export-incremental', 'export-full'];

function main() {
  const argv = process.argv.slice(2), [cmd, a, b, c] = argv;
  const read = (f) => fs.readFileSync(f, 'latin1');
  const write = (f, t) => fs.writeFileSync(f, Buffer.from(t, 'latin1'));
  if (cmd === 'unwrap' && b) write(b, unwrap(read(a)));
  else if (cmd === 'to-stream' && b) write(b, toStream(read(a)));
  else if (cmd === 'expect' && c) {
    const ev = parseEvents(argv);
    write(c, expectLines(a, read(b)).filter((x) => !ev || ev.has(x.event)).map((x) => x.line).join(''));
  } else if (cmd === 'all' && b) {
    const s = read(a);
    fs.mkdirSync(b, { recursive: true });
    for (const f of FORMS) {
      const t = wrap(f, s, false);
      write(path.join(b, f + '.json'), t);
      if (f === 'kinesis' || f === 'firehose') write(path.join(b, f + '.payloads'), unwrap(t));
      if (f.startsWith('export')) write(path.join(b, f + '.stream'), toStream(t));
    }
    write(path.join(b, 'firehose-bad.json'), wrap('firehose', s, true));
    const big = wrap('firehose-big', '', false);
    write(path.join(b, 'firehose-big.json'), big);
    write(path.join(b, 'firehose-big.payloads'), unwrap(big));
  } else if (cmd === 'expect-all' && c) {
    const ev = parseEvents(argv), plain = read(a), ddb = read(b);
    for (const f of FORMS) {
      const lines = expectLines(f, plain);
      write(path.join(c, f + '.exp'), lines.map((x) => x.line).join(''));
      write(path.join(c, f + '.exp.ddb'), expectLines(f, ddb).map((x) => x.line).join(''));
      write(path.join(c, f + '.exp.ev'), lines.filter((x) => !ev || ev.has(x.event)).map((x) => x.line).join(''));
    }
  } else if (cmd === 'split' && b) {
    const s = read(a);
    fs.mkdirSync(b, { recursive: true });
    docs(s).forEach((span, n) => write(path.join(b, String(n).padStart(6, '0') + '.json'), text(s, span) + '\n'));
  } else if (cmd === 'fhcheck' && b) process.exit(fhcheck(a, b, parseEvents(argv)) ? 0 : 1);
  else if (cmd && b && !cmd.startsWith('-')) write(b, wrap(cmd, a === '-' ? '' : read(a), argv.includes('--bad')));
  else {
    console.error('usage: node wrap.js FORM IN OUT [--bad] | unwrap IN OUT | to-stream IN OUT |\n' +
      '       all IN DIR | expect FORM PLAIN OUT [--events LIST] |\n' +
      '       expect-all PLAIN PLAIN_DDB DIR [--events LIST] | split IN DIR | fhcheck DIR PLAIN [--events LIST]');
    process.exit(2);
  }
}
main();
