'use strict';
// Reference output for ddbstream: node oracle.js INPUT > expected.ndjson
// One canonical line per stream record (lj.stringify form), values from the AWS SDK's
// unmarshall(..., {wrapNumbers:true}), the reference named in DESIGN.md section 3.
// Exit 3 (message on stderr) when the input breaks a rule the CLI enforces but unmarshall
// does not check (NULL true, N grammar, one type tag, base64 B): the CLI must then fail.
const fs = require('fs');
const { unmarshall, NumberValueImpl } = require('@aws-sdk/util-dynamodb');
const { Num, SetV, docs, stringify } = require('./lj');

class Reject extends Error {}
const NUMRE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const B64RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TAGS = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

// Checks one AttributeValue (lossless form) against the CLI's grammar.
function check(av, path) {
  const no = (m) => { throw new Reject(`${path}: ${m}`); };
  if (!(av instanceof Map) || av.size !== 1) no('need exactly one type tag');
  const [t, v] = av.entries().next().value;
  const isStr = (x) => typeof x === 'string';
  const isN = (x) => isStr(x) && NUMRE.test(x);
  const isB = (x) => isStr(x) && B64RE.test(x);
  const ok = {
    S: isStr, N: isN, B: isB, BOOL: (x) => typeof x === 'boolean', NULL: (x) => x === true,
    SS: (x) => Array.isArray(x) && x.every(isStr), NS: (x) => Array.isArray(x) && x.every(isN),
    BS: (x) => Array.isArray(x) && x.every(isB), L: Array.isArray, M: (x) => x instanceof Map,
  }[t];
  if (!ok) no(`unknown type tag ${JSON.stringify(t)}`);
  if (!ok(v)) no(`bad ${t} value`);
  if (t === 'M') checkItem(v, path);
  if (t === 'L') v.forEach((x, i) => check(x, `${path}[${i}]`));
}
function checkItem(m, path) {
  if (!(m instanceof Map)) throw new Reject(`${path}: not an object`);
  for (const [k, x] of m) check(x, `${path}.${k}`);
}

// Native unmarshall value -> canonical value. h is the same AttributeValue from the
// order-preserving parse, used only for map key order (plain JS objects lose it).
function canon(v, h) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof NumberValueImpl) return new Num(v.value);
  if (v instanceof Set) return new SetV([...v].map((x) => canon(x)));
  if (Array.isArray(v)) return v.map((x, i) => canon(x, h.get('L')[i]));
  const hm = h.get('M'), out = new Map();
  if (Object.keys(v).length !== hm.size) throw new Error('oracle: unmarshall lost a key');
  for (const [k, hv] of hm) {
    // "__proto__" would be eaten by unmarshall's plain-object assignment; gen.js avoids it.
    if (!Object.prototype.hasOwnProperty.call(v, k)) throw new Error(`oracle: key ${k} lost`);
    out.set(k, canon(v[k], hv));
  }
  return out;
}

// One record: lossless form r (Map) and JSON.parse form j of the same text.
function line(r, j, where) {
  if (!(r instanceof Map)) throw new Reject(`${where}: record is not an object`);
  const out = new Map();
  const d = r.get('dynamodb'), jd = j.dynamodb;
  if (r.has('eventName')) out.set('eventName', r.get('eventName'));
  if (r.has('eventID')) out.set('eventID', r.get('eventID'));
  if (!(d instanceof Map)) throw new Reject(`${where}: no dynamodb object`);
  // README contract: a null time or userIdentity (KDS records carry userIdentity:null) is absent.
  for (const f of ['SequenceNumber', 'ApproximateCreationDateTime']) if (d.has(f) && d.get(f) !== null) out.set(f, d.get(f));
  if (r.has('userIdentity') && r.get('userIdentity') !== null) out.set('userIdentity', r.get('userIdentity'));
  for (const f of ['Keys', 'NewImage', 'OldImage']) {
    if (!d.has(f)) continue;
    checkItem(d.get(f), `${where}.${f}`);
    out.set(f, canon(unmarshall(jd[f], { wrapNumbers: true }), new Map([['M', d.get(f)]])));
  }
  return stringify(out);
}

function main() {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(process.argv[2]));
  const out = [];
  let n = 0;
  for (const [doc, a, b] of docs(text)) {
    const j = JSON.parse(text.slice(a, b));
    const where = `doc ${n++}`;
    if (doc instanceof Map && Array.isArray(doc.get('Records'))) {
      doc.get('Records').forEach((r, i) => out.push(line(r, j.Records[i], `${where}.Records[${i}]`)));
    } else if (doc instanceof Map && doc.has('dynamodb')) {
      out.push(line(doc, j, where));
    } else {
      throw new Reject(`${where}: not a DynamoDB stream document`);
    }
  }
  fs.writeFileSync(1, out.length ? out.join('\n') + '\n' : '');
}

try { main(); } catch (e) {
  process.stderr.write(`oracle: ${e.message}\n`);
  process.exit(e instanceof Reject ? 3 : 2);
}
