/* bench.c - throughput benchmark for ddbstream.h.

   Builds a deterministic, seeded corpus of Lambda DynamoDB stream events in memory, then
   times parse-only, transcode (record / item shape, typed passthrough) and byte-by-byte
   feeding, and counts heap calls made while the parser runs.

     cc -std=c99 -O2 -I. bench/bench.c -o build/bench && ./build/bench
     cc -std=c99 -O2 -DBENCH_COUNT_ALLOCS \
        -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
        -I. bench/bench.c -o build/bench && ./build/bench

   usage: bench [MiB] [--runs N] [--seed N] [--bytewise-mb N] [--callgrind] [--dump FILE]
     MiB            corpus size (default 64)
     --runs N       timed runs per measurement, best one reported (default 3)
     --seed N       corpus seed (default 1)
     --bytewise-mb N  byte-by-byte run on a prefix of at most N MiB cut at a document
                    boundary, for slow machines (default 0 = whole corpus)
     --callgrind    one transcode run with 64 KiB chunks only, for valgrind/callgrind
     --dump FILE    write the corpus to FILE and stop */
#define _POSIX_C_SOURCE 200112L
#define DDBSTREAM_IMPLEMENTATION
#include "../ddbstream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1024.0 * 1024.0)
#define CHUNK (64u * 1024u)

/* ------------------------------------------------------------ allocation counter ------ */

#ifdef BENCH_COUNT_ALLOCS
/* With -Wl,--wrap=X every call to X from this program lands in __wrap_X; the parser is
   compiled into this file, so any heap use by it is counted here. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *q, size_t n);
void __real_free(void *q);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *q, size_t n);
void __wrap_free(void *q);

/* volatile: GCC assumes malloc leaves other globals alone and would fold the reads */
static volatile unsigned long long g_heap_calls;

void *__wrap_malloc(size_t n) { g_heap_calls++; return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { g_heap_calls++; return __real_calloc(a, b); }
void *__wrap_realloc(void *q, size_t n) { g_heap_calls++; return __real_realloc(q, n); }
void __wrap_free(void *q) { g_heap_calls++; __real_free(q); }

static unsigned long long heap_calls(void) { return g_heap_calls; }
#else
static unsigned long long heap_calls(void) { return 0; }
#endif

/* ------------------------------------------------------------------------ PRNG -------- */

/* splitmix64: tiny, fast, good enough for test data, and the same on every platform. */
typedef struct { uint64_t s; } rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift: no modulo bias worth caring about here. */
static unsigned rng_below(rng *r, unsigned n)
{
    return (unsigned)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static rng rng_seeded(uint64_t seed)
{
    rng r;
    r.s = seed;
    rng_next(&r);  /* one step so nearby seeds diverge at once */
    return r;
}

/* ---------------------------------------------------------------- JSON writer --------- */

/* Writes either compact JSON or AWS-console-like pretty JSON (2-space indent, "k": v). */
typedef struct {
    char *buf;
    size_t len, cap;
    int pretty, depth, after_key;
    unsigned char first[64];  /* per open container: nothing written in it yet */
    size_t content;           /* bytes written, indentation excluded: item size budget */
} jw;

static void jw_need(jw *w, size_t n)
{
    if (w->len + n <= w->cap) return;
    while (w->len + n > w->cap) w->cap *= 2;
    w->buf = (char *)realloc(w->buf, w->cap);
    if (!w->buf) { fprintf(stderr, "bench: out of memory for the corpus\n"); exit(2); }
}

static void jw_put(jw *w, const char *s, size_t n)
{
    jw_need(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->content += n;
}

static void jw_ch(jw *w, char c) { jw_put(w, &c, 1); }

static void jw_nl(jw *w)
{
    size_t k;
    if (!w->pretty) return;
    k = 1 + 2 * (size_t)w->depth;
    jw_need(w, k);
    w->buf[w->len] = '\n';
    memset(w->buf + w->len + 1, ' ', k - 1);
    w->len += k;
}

/* Before any value or key: the comma and the line break, unless a key just went out. */
static void jw_sep(jw *w)
{
    if (w->after_key) { w->after_key = 0; return; }
    if (w->depth == 0) return;
    if (!w->first[w->depth]) jw_ch(w, ',');
    w->first[w->depth] = 0;
    jw_nl(w);
}

static void jw_open(jw *w, char c)
{
    jw_sep(w);
    jw_ch(w, c);
    w->depth++;
    w->first[w->depth] = 1;
}

static void jw_close(jw *w, char c)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty) jw_nl(w);  /* AWS prints {} and [] on one line */
    jw_ch(w, c);
}

static void jw_key(jw *w, const char *k)
{
    jw_sep(w);
    jw_ch(w, '"');
    jw_put(w, k, strlen(k));
    jw_put(w, w->pretty ? "\": " : "\":", w->pretty ? 3u : 2u);
    w->after_key = 1;
}

/* s is already JSON-escaped text. */
static void jw_str(jw *w, const char *s, size_t n)
{
    jw_sep(w);
    jw_ch(w, '"');
    jw_put(w, s, n);
    jw_ch(w, '"');
}

static void jw_strz(jw *w, const char *s) { jw_str(w, s, strlen(s)); }

static void jw_raw(jw *w, const char *s, size_t n)
{
    jw_sep(w);
    jw_put(w, s, n);
}

/* ------------------------------------------------------------- value text ------------ */

static size_t fmt_u64(char *o, uint64_t v)
{
    char t[24];
    size_t n = 0, i;
    do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (i = 0; i < n; i++) o[i] = t[n - 1 - i];
    return n;
}

/* Zero-padded to width digits. */
static size_t fmt_pad(char *o, uint64_t v, size_t width)
{
    size_t i;
    for (i = width; i-- > 0;) { o[i] = (char)('0' + v % 10); v /= 10; }
    return width;
}

static size_t gen_hex(rng *r, char *o, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) o[i] = hx[rng_below(r, 16)];
    return n;
}

static size_t gen_uuid(rng *r, char *o)
{
    size_t n = gen_hex(r, o, 8);
    o[n++] = '-'; n += gen_hex(r, o + n, 4);
    o[n++] = '-'; n += gen_hex(r, o + n, 4);
    o[n++] = '-'; n += gen_hex(r, o + n, 4);
    o[n++] = '-'; n += gen_hex(r, o + n, 12);
    return n;
}

/* 2021-07-14T09:26:53.123Z */
static size_t gen_iso(rng *r, char *o)
{
    size_t n = fmt_pad(o, 2019 + rng_below(r, 7), 4);
    o[n++] = '-'; n += fmt_pad(o + n, 1 + rng_below(r, 12), 2);
    o[n++] = '-'; n += fmt_pad(o + n, 1 + rng_below(r, 28), 2);
    o[n++] = 'T'; n += fmt_pad(o + n, rng_below(r, 24), 2);
    o[n++] = ':'; n += fmt_pad(o + n, rng_below(r, 60), 2);
    o[n++] = ':'; n += fmt_pad(o + n, rng_below(r, 60), 2);
    o[n++] = '.'; n += fmt_pad(o + n, rng_below(r, 1000), 3);
    o[n++] = 'Z';
    return n;
}

static size_t cpy(char *o, const char *z)
{
    size_t n = strlen(z);
    memcpy(o, z, n);
    return n;
}

static const char *const first_names[] = {
    "Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
    "José", "Zoë", "Łukasz", "Søren", "Anaïs", "François", "Jürgen", "Иван", "さくら" };
static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Müller", "Núñez", "O'Brien",
    "Kowalski", "Nakamura", "Ødegaard", "Петров", "田中" };
static const char *const words[] = {
    "the", "order", "was", "shipped", "to", "customer", "after", "payment", "review",
    "warehouse", "delivery", "package", "status", "update", "please", "contact", "support",
    "thanks", "quick", "brown", "fox", "lorem", "ipsum", "dolor", "sit", "amet", "data",
    "stream", "table", "record", "item", "arrived", "damaged", "replacement", "requested",
    "refund", "issued", "within", "business", "days", "tracking", "number", "attached" };
static const char *const words_utf8[] = {
    "café", "naïve", "über", "Straße", "señor", "日本語", "привет", "😀", "façade",
    "résumé", "北京", "Ωmega", "€100", "—", "“smart quotes”", "✓" };
/* JSON escapes as they appear in DynamoDB stream JSON (which escapes only what it must,
   but other producers write \u and \/ too). */
static const char *const escapes[] = {
    "\\\"quoted\\\"", "\\n", "\\t", "\\\\", "\\u00e9", "\\/", "\\r\\n", "\\ud83d\\ude00" };
static const char *const statuses[] = {
    "ACTIVE", "PENDING", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED", "ON_HOLD" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Free text of about target bytes, mostly ASCII words with some UTF-8 and escapes. */
static size_t gen_text(rng *r, char *o, size_t target)
{
    size_t n = 0;
    while (n < target) {
        unsigned roll = rng_below(r, 100);
        if (n) o[n++] = ' ';
        if (roll < 8) n += cpy(o + n, words_utf8[rng_below(r, COUNT(words_utf8))]);
        else if (roll < 11) n += cpy(o + n, escapes[rng_below(r, COUNT(escapes))]);
        else n += cpy(o + n, words[rng_below(r, COUNT(words))]);
    }
    o[n++] = '.';
    return n;
}

static size_t gen_name(rng *r, char *o)
{
    size_t n = cpy(o, first_names[rng_below(r, COUNT(first_names))]);
    o[n++] = ' ';
    return n + cpy(o + n, last_names[rng_below(r, COUNT(last_names))]);
}

/* An S value of some realistic kind; budget limits long text. */
static size_t gen_s(rng *r, char *o, size_t budget)
{
    unsigned k = rng_below(r, 100);
    size_t n = 0;
    if (k < 25) return gen_uuid(r, o);
    if (k < 40) return gen_name(r, o);
    if (k < 58) return gen_iso(r, o);
    if (k < 72) return cpy(o, statuses[rng_below(r, COUNT(statuses))]);
    if (k < 82) {
        n = cpy(o, words[rng_below(r, COUNT(words))]);
        o[n++] = '.';
        n += fmt_u64(o + n, rng_below(r, 10000));
        return n + cpy(o + n, "@example.com");
    }
    if (k < 86) {
        n = cpy(o, "https://cdn.example.com/img/");
        n += gen_hex(r, o + n, 16);
        return n + cpy(o + n, ".jpg");
    }
    if (budget < 60) return cpy(o, "n/a");
    {
        size_t t = 50 + rng_below(r, 451);
        return gen_text(r, o, t < budget ? t : budget);
    }
}

/* An N value: mostly ints and decimals, a few 38-digit numbers (DynamoDB's maximum). */
static size_t gen_n(rng *r, char *o)
{
    unsigned k = rng_below(r, 100);
    size_t n = 0, i;
    if (k < 4) {
        o[n++] = (char)('1' + rng_below(r, 9));
        for (i = 1; i < 38; i++) o[n++] = (char)('0' + rng_below(r, 10));
        return n;
    }
    if (rng_below(r, 10) == 0) o[n++] = '-';
    if (k < 60) return n + fmt_u64(o + n, k < 30 ? rng_below(r, 100) : rng_below(r, 2000000000u));
    n += fmt_u64(o + n, rng_below(r, 100000));
    o[n++] = '.';
    n += fmt_u64(o + n, 1 + rng_below(r, 99));  /* DynamoDB drops trailing zeros */
    if (o[n - 1] == '0') o[n - 1] = '5';
    return n;
}

static size_t gen_b64(rng *r, char *o, size_t raw)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0, i;
    for (i = 0; i + 3 <= raw; i += 3) {
        uint32_t v = (uint32_t)(rng_next(r) & 0xFFFFFFu);
        o[n++] = al[v >> 18]; o[n++] = al[(v >> 12) & 63]; o[n++] = al[(v >> 6) & 63]; o[n++] = al[v & 63];
    }
    if (raw - i == 1) {
        o[n++] = al[rng_below(r, 64)]; o[n++] = al[rng_below(r, 4) << 4]; o[n++] = '='; o[n++] = '=';
    } else if (raw - i == 2) {
        o[n++] = al[rng_below(r, 64)]; o[n++] = al[rng_below(r, 64)]; o[n++] = al[rng_below(r, 16) << 2];
        o[n++] = '=';
    }
    return n;
}

/* ----------------------------------------------------------- AttributeValues ---------- */

static char tb[2048];  /* scratch for one scalar's text */

static void av_scalar(jw *w, const char *tag, const char *s, size_t n, int quoted)
{
    jw_open(w, '{');
    jw_key(w, tag);
    if (quoted) jw_str(w, s, n); else jw_raw(w, s, n);
    jw_close(w, '}');
}

static const char *const nested_names[] = {
    "street", "city", "zip", "country", "lat", "lng", "label", "value", "unit", "code",
    "kind", "amount", "currency", "sku", "qty", "note", "enabled", "weight", "color", "size" };

static void gen_av(jw *w, rng *r, int depth, int maxdepth, size_t budget);

static void gen_map(jw *w, rng *r, int depth, int maxdepth, size_t budget)
{
    unsigned i, nkids = 2 + rng_below(r, 5), base = rng_below(r, COUNT(nested_names));
    size_t start = w->content;
    jw_open(w, '{');
    jw_key(w, "M");
    jw_open(w, '{');
    for (i = 0; i < nkids && w->content - start < budget; i++) {
        jw_key(w, nested_names[(base + i) % COUNT(nested_names)]);
        gen_av(w, r, depth + 1, maxdepth, budget / nkids);
    }
    jw_close(w, '}');
    jw_close(w, '}');
}

static void gen_list(jw *w, rng *r, int depth, int maxdepth, size_t budget)
{
    unsigned i, n = 1 + rng_below(r, 6);
    size_t start = w->content;
    jw_open(w, '{');
    jw_key(w, "L");
    jw_open(w, '[');
    for (i = 0; i < n && w->content - start < budget; i++)
        gen_av(w, r, depth + 1, maxdepth, budget / n);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void gen_set(jw *w, rng *r)
{
    unsigned kind = rng_below(r, 3), i, n = 1 + rng_below(r, 5);
    jw_open(w, '{');
    jw_key(w, kind == 0 ? "SS" : kind == 1 ? "NS" : "BS");
    jw_open(w, '[');
    for (i = 0; i < n; i++) {
        if (kind == 0) {
            /* tags: distinct by index, as a set must be */
            size_t k = cpy(tb, words[rng_below(r, COUNT(words))]);
            tb[k++] = '-';
            k += fmt_u64(tb + k, i);
            jw_str(w, tb, k);
        } else if (kind == 1) {
            size_t k = fmt_u64(tb, i * 1000 + rng_below(r, 1000));
            jw_str(w, tb, k);
        } else {
            jw_str(w, tb, gen_b64(r, tb, 8 + rng_below(r, 40)));
        }
    }
    jw_close(w, ']');
    jw_close(w, '}');
}

/* One AttributeValue with the type mix of a typical application table. */
static void gen_av(jw *w, rng *r, int depth, int maxdepth, size_t budget)
{
    unsigned k = rng_below(r, 100);
    if (k >= 80 && k < 96 && depth >= maxdepth) k = 0;  /* nesting bottoms out in an S */
    if (k < 45) {
        av_scalar(w, "S", tb, gen_s(r, tb, budget), 1);
    } else if (k < 70) {
        av_scalar(w, "N", tb, gen_n(r, tb), 1);
    } else if (k < 77) {
        int t = (int)rng_below(r, 2);  /* one draw: the text and its length must agree */
        av_scalar(w, "BOOL", t ? "true" : "false", t ? 4u : 5u, 0);
    } else if (k < 80) {
        av_scalar(w, "NULL", "true", 4, 0);
    } else if (k < 90) {
        gen_map(w, r, depth, maxdepth, budget);
    } else if (k < 96) {
        gen_list(w, r, depth, maxdepth, budget);
    } else if (k < 98) {
        gen_set(w, r);
    } else {
        av_scalar(w, "B", tb, gen_b64(r, tb, 16 + rng_below(r, 300)), 1);
    }
}

static const char *const item_names[] = {
    "status", "createdAt", "updatedAt", "email", "name", "description", "price", "quantity",
    "total", "tags", "address", "items", "metadata", "isActive", "deletedAt", "version",
    "score", "payload", "notes", "attributes", "preferences", "history", "thumbnail",
    "checksum", "owner", "region", "currency", "discount", "rating", "comments", "flags",
    "expiresAt" };

typedef struct {
    char pk[96], sk[64];
    size_t pkn, skn;
} keyvals;

static void put_keys(jw *w, const keyvals *kv)
{
    jw_key(w, "pk");
    av_scalar(w, "S", kv->pk, kv->pkn, 1);
    if (kv->skn) {
        jw_key(w, "sk");
        av_scalar(w, "S", kv->sk, kv->skn, 1);
    }
}

/* An item of about target bytes. variant != 0 gives the "other" image of a MODIFY: the
   same attributes with about a third of their values changed. */
static void gen_item(jw *w, uint64_t seed, int variant, const keyvals *kv, size_t target)
{
    size_t start = w->content;
    unsigned i;
    char nm[48];
    jw_open(w, '{');
    put_keys(w, kv);
    for (i = 0; w->content - start < target; i++) {
        rng ar = rng_seeded(seed + i * 0x632BE59BD9B4E019u +
                            (variant && i % 3 == 1 ? 0xA5A5A5A5u : 0u));
        size_t left = target - (w->content - start);
        const char *name = item_names[i % COUNT(item_names)];
        if (i >= COUNT(item_names)) {
            size_t n = cpy(nm, name);
            nm[n++] = '_';
            nm[n + fmt_u64(nm + n, i / COUNT(item_names))] = 0;
            name = nm;
        }
        jw_key(w, name);
        gen_av(w, &ar, 0, 2 + (int)rng_below(&ar, 3), left < 1500 ? left : 1500);
    }
    jw_close(w, '}');
}

/* ----------------------------------------------------------------- corpus ------------- */

typedef struct {
    char *data;
    size_t len;
    size_t prefix_len;     /* last document end at or below the byte-by-byte limit */
    uint64_t records, documents;
} corpus;

static const char *const regions[] = { "us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1" };
static const char *const tables[] = { "Orders", "Users", "Sessions", "Inventory", "Events" };
static const char *const views[] = {
    "NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY" };

static void gen_record(jw *w, rng *r, uint64_t *seq, uint64_t *clock, int table, int view,
                       const char *region, int has_sk)
{
    char t[128];
    size_t n, img_start;
    unsigned ev = rng_below(r, 100);
    int ttl;
    const char *ename = ev < 40 ? "INSERT" : ev < 85 ? "MODIFY" : "REMOVE";
    int want_new = ev < 85 && (view == 0 || view == 1);
    int want_old = ev >= 40 && (view == 0 || view == 2);
    keyvals kv;
    uint64_t item_seed = rng_next(r);
    size_t target = 200 + (size_t)(rng_below(r, 100) * rng_below(r, 100)) * 39 / 100;

    ttl = ev >= 85 && rng_below(r, 3) == 0;
    kv.pkn = cpy(kv.pk, table == 1 ? "USER#" : table == 0 ? "ORDER#" : "ID#");
    kv.pkn += gen_uuid(r, kv.pk + kv.pkn);
    kv.skn = 0;
    if (has_sk) {
        if (rng_below(r, 2)) { kv.skn = cpy(kv.sk, "ITEM#"); kv.skn += fmt_pad(kv.sk + kv.skn, rng_below(r, 10000), 4); }
        else kv.skn = gen_iso(r, kv.sk);
    }

    jw_open(w, '{');
    jw_key(w, "eventID");
    jw_str(w, t, gen_hex(r, t, 32));
    jw_key(w, "eventName");
    jw_strz(w, ename);
    jw_key(w, "eventVersion");
    jw_strz(w, "1.1");
    jw_key(w, "eventSource");
    jw_strz(w, "aws:dynamodb");
    jw_key(w, "awsRegion");
    jw_strz(w, region);
    jw_key(w, "dynamodb");
    jw_open(w, '{');
    *clock += rng_below(r, 3);
    jw_key(w, "ApproximateCreationDateTime");
    jw_raw(w, t, fmt_u64(t, *clock));
    jw_key(w, "Keys");
    jw_open(w, '{');
    put_keys(w, &kv);
    jw_close(w, '}');
    img_start = w->content;
    if (want_new) {
        jw_key(w, "NewImage");
        gen_item(w, item_seed, 0, &kv, target);
    }
    if (want_old) {
        jw_key(w, "OldImage");
        gen_item(w, item_seed, ev < 85, &kv, target);
    }
    jw_key(w, "SequenceNumber");
    *seq += 1 + rng_below(r, 1000);
    n = cpy(t, "4");
    n += fmt_pad(t + n, *seq, 25);
    jw_str(w, t, n);
    jw_key(w, "SizeBytes");
    jw_raw(w, t, fmt_u64(t, 40 + (w->content - img_start) / 2));  /* ~binary size */
    jw_key(w, "StreamViewType");
    jw_strz(w, views[view]);
    jw_close(w, '}');
    if (ttl) {
        jw_key(w, "userIdentity");
        jw_open(w, '{');
        jw_key(w, "type");
        jw_strz(w, "Service");
        jw_key(w, "principalId");
        jw_strz(w, "dynamodb.amazonaws.com");
        jw_close(w, '}');
    }
    jw_key(w, "eventSourceARN");
    n = cpy(t, "arn:aws:dynamodb:");
    n += cpy(t + n, region);
    n += cpy(t + n, ":123456789012:table/");
    n += cpy(t + n, tables[table]);
    n += cpy(t + n, "/stream/2024-01-01T00:00:00.000");
    jw_str(w, t, n);
    jw_close(w, '}');
}

static void gen_corpus(corpus *c, size_t target, size_t prefix_limit, uint64_t seed)
{
    jw w;
    rng r = rng_seeded(seed);
    uint64_t seq = 1000000, clock = 1700000000;
    memset(&w, 0, sizeof w);
    w.cap = target + (4u << 20);  /* one growth at most: a document is < 4 MiB */
    w.buf = (char *)malloc(w.cap);
    if (!w.buf) { fprintf(stderr, "bench: out of memory for the corpus\n"); exit(2); }
    memset(c, 0, sizeof *c);
    while (w.len < target) {
        unsigned i, nrec = 1 + rng_below(&r, 100);
        unsigned vroll = rng_below(&r, 100);
        int view = vroll < 70 ? 0 : vroll < 90 ? 1 : vroll < 95 ? 2 : 3;
        int table = (int)rng_below(&r, COUNT(tables));
        const char *region = regions[rng_below(&r, COUNT(regions))];
        int has_sk = table != 1 && table != 2;
        w.pretty = (int)rng_below(&r, 2);  /* half pretty like the console, half NDJSON */
        jw_open(&w, '{');
        jw_key(&w, "Records");
        jw_open(&w, '[');
        for (i = 0; i < nrec; i++)
            gen_record(&w, &r, &seq, &clock, table, view, region, has_sk);
        jw_close(&w, ']');
        jw_close(&w, '}');
        jw_need(&w, 1);
        w.buf[w.len++] = '\n';
        c->records += nrec;
        c->documents++;
        if (w.len <= prefix_limit) c->prefix_len = w.len;
    }
    c->data = w.buf;
    c->len = w.len;
}

/* -------------------------------------------------------------------- runs ------------ */

/* The sink: a 64-bit hash of every line, 8 bytes per multiply, so the output is really
   read (and can be compared between runs) at a cost well below the parser's. */
typedef struct { uint64_t h, lines, bytes; } digest;

static int sink_hash(void *user, const char *d, size_t n)
{
    digest *g = (digest *)user;
    uint64_t h = g->h ^ n, x;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&x, d + i, 8);
        h = (h ^ x) * 0x9E3779B97F4A7C15u;
    }
    x = 0;
    memcpy(&x, d + i, n - i);
    h = (h ^ x) * 0x9E3779B97F4A7C15u;
    g->h = h ^ (h >> 32);  /* fold high bits down so late bytes reach every bit */
    g->lines++;
    g->bytes += n;
    return 0;
}

/* Called through pointers, as from another translation unit: the compiler must not inline
   the parser into the byte-by-byte loop, which no real caller would get. */
static ddbs_result (*volatile feed_fn)(ddbs_parser *, const void *, size_t) = ddbs_parser_feed;
static ddbs_result (*volatile finish_fn)(ddbs_parser *) = ddbs_parser_finish;

typedef struct {
    const char *name, *chunk_name;
    ddbs_format format;
    ddbs_shape shape;
    uint32_t flags;
    size_t chunk;
    int chunker;              /* lines go through ddbs_chunker into 4 MiB objects */
} mode;

/* CSV columns: metadata and attributes the generator writes */
static const char *const csv_columns[] = {
    "eventName", "SequenceNumber", "ApproximateCreationDateTime", "pk", "sk", "status",
    "createdAt", "email", "name", "price", "quantity", "total", "tags", "address", "isActive",
    "version", "score", "rating" };

static char g_object[DDBS_DEFAULT_OBJECT_BYTES];  /* the chunker's object buffer */
static ddbs_chunker g_chunker;

/* An object: hashed like a line, so the bytes cannot be skipped. */
static int flush_hash(void *user, const char *name, const char *d, size_t n)
{
    (void)name;
    return sink_hash(user, d, n);
}

typedef struct {
    double secs;
    uint64_t records, out_bytes, lines, hash;
    unsigned long long heap;
} result;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static ddbs_parser g_parser;      /* static: no heap, and sizeof is shown anyway */
static char g_line[1u << 20];     /* staging buffer for one output line */

static void run_once(const char *in, size_t n, const mode *m, result *res)
{
    ddbs_options o;
    digest g;
    ddbs_result rc;
    size_t off = 0;
    double t0, t1;
    unsigned long long h0;
    memset(&o, 0, sizeof o);
    memset(&g, 0, sizeof g);
    o.sink = sink_hash;
    o.user = &g;
    o.buf = g_line;
    o.buf_size = sizeof g_line;
    o.format = m->format;
    o.shape = m->shape;
    o.flags = m->flags;
    o.columns = csv_columns;
    o.ncolumns = sizeof csv_columns / sizeof *csv_columns;
    h0 = heap_calls();
    t0 = now();
    if (m->chunker) {
        ddbs_chunker_options co;
        memset(&co, 0, sizeof co);
        co.flush = flush_hash;
        co.user = &g;
        co.buf = g_object;
        co.buf_size = sizeof g_object;
        ddbs_chunker_init(&g_chunker, &co);
        o.on_record = ddbs_chunker_add;
        o.user = &g_chunker;
    }
    rc = ddbs_parser_init(&g_parser, &o);
    while (rc == DDBS_OK && off < n) {
        size_t k = n - off < m->chunk ? n - off : m->chunk;
        rc = feed_fn(&g_parser, in + off, k);
        off += k;
    }
    if (rc == DDBS_OK) rc = finish_fn(&g_parser);
    if (rc == DDBS_OK && m->chunker) rc = ddbs_chunker_finish(&g_chunker);
    t1 = now();
    res->heap = heap_calls() - h0;
    if (rc != DDBS_OK) {
        fprintf(stderr, "bench: %s %s: %s at byte %llu (record %llu)\n", m->name, m->chunk_name,
                ddbs_strerror(rc), (unsigned long long)g_parser.error_offset,
                (unsigned long long)g_parser.error_record);
        exit(1);
    }
    res->secs = t1 - t0;
    res->records = g_parser.records_in;
    res->out_bytes = g.bytes;
    res->lines = g.lines;
    res->hash = g.h;
}

/* Best of runs; every run must give the same output. */
static void measure(const char *in, size_t n, const mode *m, int runs, result *best,
                    unsigned long long *heap_total)
{
    int i;
    for (i = 0; i < runs; i++) {
        result r;
        run_once(in, n, m, &r);
        *heap_total += r.heap;
        if (i && (r.hash != best->hash || r.lines != best->lines)) {
            fprintf(stderr, "bench: %s %s: output differs between runs\n", m->name, m->chunk_name);
            exit(1);
        }
        if (i == 0 || r.secs < best->secs) *best = r;
    }
}

static void print_row(const mode *m, size_t in_bytes, const result *r)
{
    printf("%-20s %-6s %8.1f MB/s %7.3f M records/s   out %8.1f MB  %8llu lines\n", m->name,
           m->chunk_name, in_bytes / MIB / r->secs, r->records / 1e6 / r->secs,
           r->out_bytes / MIB, (unsigned long long)r->lines);
}

int main(int argc, char **argv)
{
    size_t mib = 64, bytewise_mib = 0;  /* 1-byte feeds run at ~100 MB/s: whole corpus */
    int runs = 3, callgrind = 0, i;
    const char *dump = NULL;
    uint64_t seed = 1;
    corpus c;
    double t0;
    unsigned long long heap = 0, probe;
    result full_chunked, r, pre_chunked, pre_bytes, csv, objects, plain;
    const mode m_parse = { "parse-only", "64KiB", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_PARSE_ONLY, CHUNK };
    const mode m_rec = { "transcode record", "64KiB", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, CHUNK };
    const mode m_item = { "transcode item", "64KiB", DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, 0, CHUNK };
    const mode m_ddb = { "transcode ddb-typed", "64KiB", DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0, CHUNK };
    const mode m_byte = { "transcode record", "1B", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, 1 };
    const mode m_csv = { "transcode csv", "64KiB", DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, 0, CHUNK };
    const mode m_objs = { "record + chunker", "64KiB", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, CHUNK, 1 };

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--bytewise-mb") && i + 1 < argc) bytewise_mib = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--callgrind")) callgrind = 1;
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump = argv[++i];
        else if (argv[i][0] >= '1' && argv[i][0] <= '9') mib = (size_t)atol(argv[i]);
        else {
            fprintf(stderr, "usage: bench [MiB] [--runs N] [--seed N] [--bytewise-mb N] [--callgrind] [--dump FILE]\n");
            return 2;
        }
    }
    if (runs < 1) runs = 1;

    t0 = now();
    gen_corpus(&c, mib << 20, bytewise_mib ? bytewise_mib << 20 : (size_t)-1, seed);
    if (!c.prefix_len) c.prefix_len = c.len;  /* first document already past the limit */
    printf("corpus: %.1f MiB, %llu documents, %llu records (seed %llu, generated in %.2f s)\n",
           c.len / MIB, (unsigned long long)c.documents, (unsigned long long)c.records,
           (unsigned long long)seed, now() - t0);

    if (dump) {
        /* the corpus as a file, to check it with other tools (the CLI, the oracle) */
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(c.data, 1, c.len, f) != c.len || fclose(f)) {
            fprintf(stderr, "bench: cannot write %s\n", dump);
            return 2;
        }
        return 0;
    }
    if (callgrind) {
        /* one run only: profile with --toggle-collect=ddbs_parser_feed */
        run_once(c.data, c.len, &m_rec, &r);
        print_row(&m_rec, c.len, &r);
        free(c.data);
        return 0;
    }

#ifdef BENCH_COUNT_ALLOCS
    {
        /* prove the wrappers are live, or a 0 below would mean nothing */
        void *volatile q;
        probe = heap_calls();
        q = malloc(16);
        free(q);
        probe = heap_calls() - probe;
        if (probe != 2) {
            fprintf(stderr, "bench: allocation wrappers not active (link with -Wl,--wrap=...)\n");
            return 1;
        }
    }
#else
    probe = 0;
#endif

    printf("2-core shared box: figures are noisy\n");
    printf("sizeof(ddbs_parser) = %zu bytes, line buffer %zu KiB, best of %d runs, MB = 2^20 bytes\n\n",
           sizeof(ddbs_parser), sizeof g_line / 1024, runs);

    measure(c.data, c.len, &m_parse, runs, &r, &heap);
    print_row(&m_parse, c.len, &r);
    if (r.records != c.records) {
        fprintf(stderr, "bench: parser read %llu records, generator wrote %llu\n",
                (unsigned long long)r.records, (unsigned long long)c.records);
        return 1;
    }
    measure(c.data, c.len, &m_rec, runs, &full_chunked, &heap);
    print_row(&m_rec, c.len, &full_chunked);
    measure(c.data, c.len, &m_item, runs, &r, &heap);
    print_row(&m_item, c.len, &r);
    measure(c.data, c.len, &m_ddb, runs, &r, &heap);
    print_row(&m_ddb, c.len, &r);
    measure(c.data, c.len, &m_csv, runs, &csv, &heap);
    print_row(&m_csv, c.len, &csv);
    printf("  csv / ndjson record speed: %.2fx (target >= 0.75)\n", full_chunked.secs / csv.secs);

    /* chunker overhead: unchunked and chunked runs alternated, best of each */
    for (i = 0; i < runs + 2; i++) {
        result a, b;
        run_once(c.data, c.len, &m_rec, &a);
        run_once(c.data, c.len, &m_objs, &b);
        heap += a.heap + b.heap;
        if (i == 0 || a.secs < plain.secs) plain = a;
        if (i == 0 || b.secs < objects.secs) objects = b;
    }
    print_row(&m_objs, c.len, &objects);
    printf("  chunker overhead: %+.1f%% (target <= 5%%); %llu objects, %llu bytes = %llu unchunked\n",
           (objects.secs / plain.secs - 1.0) * 100.0, (unsigned long long)g_chunker.objects,
           (unsigned long long)objects.out_bytes, (unsigned long long)plain.out_bytes);
    if (objects.out_bytes != plain.out_bytes) {
        fprintf(stderr, "bench: chunked output has %llu bytes, unchunked %llu\n",
                (unsigned long long)objects.out_bytes, (unsigned long long)plain.out_bytes);
        return 1;
    }

    /* byte by byte: compared against 64 KiB chunks over the very same bytes */
    if (c.prefix_len == c.len) {
        pre_chunked = full_chunked;
    } else {
        measure(c.data, c.prefix_len, &m_rec, runs, &pre_chunked, &heap);
        printf("byte-by-byte on a %.1f MiB prefix; the same prefix in 64KiB chunks:\n",
               c.prefix_len / MIB);
        print_row(&m_rec, c.prefix_len, &pre_chunked);
    }
    measure(c.data, c.prefix_len, &m_byte, runs, &pre_bytes, &heap);
    print_row(&m_byte, c.prefix_len, &pre_bytes);
    printf("\n64KiB / 1B speed ratio: %.1fx (on %.1f MiB)\n", pre_bytes.secs / pre_chunked.secs,
           c.prefix_len / MIB);
    printf("1B output %s 64KiB output: %llu lines, %llu bytes, hash %016llx vs %016llx\n",
           pre_bytes.hash == pre_chunked.hash ? "==" : "!=", (unsigned long long)pre_bytes.lines,
           (unsigned long long)pre_bytes.out_bytes, (unsigned long long)pre_bytes.hash,
           (unsigned long long)pre_chunked.hash);
#ifdef BENCH_COUNT_ALLOCS
    printf("allocations during parsing: %llu\n", heap);
#else
    (void)probe;
    printf("allocations during parsing: not counted (build with -DBENCH_COUNT_ALLOCS and "
           "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free)\n");
#endif
    free(c.data);
    if (pre_bytes.hash != pre_chunked.hash || pre_bytes.lines != pre_chunked.lines ||
        pre_bytes.out_bytes != pre_chunked.out_bytes) {
        fprintf(stderr, "bench: byte-by-byte output differs from 64 KiB chunk output\n");
        return 1;
    }
    return heap ? 1 : 0;
}
