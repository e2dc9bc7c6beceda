/* The chunker, fed by the parser (on_record = ddbs_chunker_add, user = the chunker), and the
   time conversion it names objects by. Property tests on random Lambda events (seeded, with
   increasing SequenceNumbers and times over several hours, in every time form) against the
   unchunked output: same bytes once the repeated CSV header is taken off, whole lines, no
   object over the limit, greedy packing, names exact (hour from gmtime_r, not the library),
   unique and in sequence order, and the same objects on a second run fed in other pieces.
   Then max_records, hourly cuts, undated records, a line over the limit, a failing flush,
   init arguments, prefix and extension. Link with tests/impl.c. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ddbstream.h"

#define MIB (1024u * 1024u)
#define LINE_BUF (1u * MIB)   /* the parser's staging buffer: the biggest line is ~310 KB */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

/* ------------------------------------------------------------------ seeded PRNG ------- */

static uint64_t rng_state;

static uint64_t rnd(void)  /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static size_t upto(size_t n)  /* 0..n-1 */
{
    return (size_t)(rnd() % n);
}

static size_t between(size_t a, size_t b)  /* a..b */
{
    return a + upto(b - a + 1);
}

/* --------------------------------------------------------------- growable text -------- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = (char *)xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void putf(text *t, const char *fmt, long long v)
{
    char b[64];
    int n = snprintf(b, sizeof b, fmt, v);
    put(t, b, (size_t)n);
}

/* ------------------------------------------------------------- random input ----------- */

/* What the generator wrote for each record, in order. */
typedef struct input {
    text json;
    size_t n;
    char (*seq)[32];     /* SequenceNumber (digits), "" when left out */
    int64_t *t;          /* its time in whole seconds, -1 when it has none */
} input;

typedef struct gen_opts {
    size_t records;
    int big_permille;     /* records with a 50..300 KB value, per thousand */
    int undated_percent;  /* records with no usable time */
    int64_t start;        /* first time, seconds */
} gen_opts;

/* A JSON string body of about n bytes: letters, and , " newline and é for the CSV. */
static void put_value(text *t, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t r = upto(40);
        if (r == 0) { puts_(t, "\\\""); i += 2; }
        else if (r == 1) { puts_(t, ","); i++; }
        else if (r == 2) { puts_(t, "\\n"); i += 2; }
        else if (r == 3) { puts_(t, "\xc3\xa9"); i += 2; }
        else if (r == 4) { puts_(t, "\\u00e9"); i += 6; }
        else { char c = (char)('a' + upto(26)); put(t, &c, 1); i++; }
    }
}

/* The time of a record, in one of the forms DynamoDB sources write it; returns 0 when the
   record has none (left out, null, or not a time). */
static int put_time(text *t, int64_t s, int undated_percent)
{
    size_t r = upto(100);
    char d[32];
    int n;
    if ((int)r < undated_percent) {
        switch (upto(4)) {
        case 0: return 0;                                                   /* left out */
        case 1: puts_(t, ",\"ApproximateCreationDateTime\":null"); return 0;
        case 2: puts_(t, ",\"ApproximateCreationDateTime\":\"soon\""); return 0;
        default: puts_(t, ",\"ApproximateCreationDateTime\":-5"); return 0;
        }
    }
    puts_(t, ",\"ApproximateCreationDateTime\":");
    r = upto(8);
    n = snprintf(d, sizeof d, "%lld", (long long)s);
    if (r == 0) { putf(t, "%lld.", (long long)s); putf(t, "%03lld", (long long)upto(1000)); }
    else if (r == 1) {  /* 1.4806420205E9 */
        put(t, d, 1);
        puts_(t, ".");
        put(t, d + 1, (size_t)n - 1);
        putf(t, "%lldE", (long long)upto(10));
        putf(t, "%lld", (long long)n - 1);
    } else if (r == 2) { putf(t, "%lld", (long long)s * 1000 + (long long)upto(1000)); }     /* ms */
    else if (r == 3) { putf(t, "%lld", (long long)s * 1000000 + (long long)upto(1000000)); } /* us */
    else if (r == 4) { putf(t, "\"%lld\"", (long long)s); }                       /* a string */
    else put(t, d, (size_t)n);
    return 1;
}

static input generate(uint64_t seed, const gen_opts *g)
{
    input in;
    size_t i = 0;
    int64_t s = g->start;
    uint64_t seq = 1000 + upto(1000);
    memset(&in, 0, sizeof in);
    rng_state = seed;
    in.n = g->records;
    in.seq = (char (*)[32])xrealloc(NULL, (g->records + 1) * sizeof *in.seq);
    in.t = (int64_t *)xrealloc(NULL, (g->records + 1) * sizeof *in.t);
    while (i < g->records) {
        size_t k = between(1, 60), j;
        if (k > g->records - i) k = g->records - i;
        puts_(&in.json, upto(10) == 0 ? "{\"Records\":[" : "{\"Records\": [\n");
        for (j = 0; j < k; j++, i++) {
            static const char *const ev[3] = { "INSERT", "MODIFY", "REMOVE" };
            size_t e = upto(3), size;
            size_t r = upto(1000);
            size = (int)r < g->big_permille ? between(50000, 300000)
                 : r < 950 ? between(5, 300) : between(1000, 20000);
            seq += between(1, 5000);
            s += (int64_t)(upto(20) == 0 ? between(600, 4000) : upto(60));
            snprintf(in.seq[i], sizeof in.seq[i], "4%020llu", (unsigned long long)seq);
            if (j) puts_(&in.json, ",");
            puts_(&in.json, "{\"eventID\":\"");
            putf(&in.json, "%016llx", (long long)(rnd() >> 1));
            puts_(&in.json, "\",\"eventName\":\"");
            puts_(&in.json, ev[e]);
            puts_(&in.json, "\",\"eventVersion\":\"1.1\",\"eventSource\":\"aws:dynamodb\","
                            "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"k");
            putf(&in.json, "%lld", (long long)i);
            puts_(&in.json, "\"}}");
            in.t[i] = put_time(&in.json, s, g->undated_percent) ? s : -1;
            if (e != 2) {
                puts_(&in.json, ",\"NewImage\":{\"pk\":{\"S\":\"k");
                putf(&in.json, "%lld", (long long)i);
                puts_(&in.json, "\"},\"data\":{\"S\":\"");
                put_value(&in.json, size);
                puts_(&in.json, "\"},\"n\":{\"N\":\"");
                putf(&in.json, "%lld", (long long)upto(100000) - 50000);
                puts_(&in.json, "\"}}");
            }
            if (e != 0) {
                puts_(&in.json, ",\"OldImage\":{\"pk\":{\"S\":\"k");
                putf(&in.json, "%lld", (long long)i);
                puts_(&in.json, "\"},\"data\":{\"S\":\"");
                put_value(&in.json, e == 2 ? size : between(1, 40));
                puts_(&in.json, "\"}}");
            }
            puts_(&in.json, ",\"SequenceNumber\":\"");
            puts_(&in.json, in.seq[i]);
            puts_(&in.json, "\",\"SizeBytes\":");
            putf(&in.json, "%lld", (long long)size);
            puts_(&in.json, ",\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}");
        }
        puts_(&in.json, "]}\n");
    }
    return in;
}

static void input_free(input *in)
{
    free(in->json.s);
    free(in->seq);
    free(in->t);
    memset(in, 0, sizeof *in);
}

/* ------------------------------------------------------------- running ---------------- */

static const char *const csv_cols[] = { "SequenceNumber", "pk", "data", "n", "eventName",
                                        "ApproximateCreationDateTime" };

typedef struct mode {
    ddbs_format format;
    ddbs_shape shape;
    uint32_t flags;       /* parser flags */
} mode;

static ddbs_options parser_opts(const mode *m, char *buf)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.format = m->format;
    o.shape = m->shape;
    o.flags = m->flags;
    o.buf = buf;
    o.buf_size = LINE_BUF;
    if (m->format == DDBS_FORMAT_CSV) {
        o.columns = csv_cols;
        o.ncolumns = sizeof csv_cols / sizeof *csv_cols;
    }
    return o;
}

/* The unchunked output, and the length of each sink call (one line; the CSV header first). */
typedef struct plain {
    text out;
    size_t *ends;
    size_t n, cap;
} plain;

static int plain_sink(void *user, const char *data, size_t len)
{
    plain *p = (plain *)user;
    put(&p->out, data, len);
    if (p->n == p->cap) {
        p->cap = p->cap * 2 + 64;
        p->ends = (size_t *)xrealloc(p->ends, p->cap * sizeof *p->ends);
    }
    p->ends[p->n++] = p->out.len;
    return 0;
}

static plain run_plain(const input *in, const mode *m)
{
    plain p;
    ddbs_parser ps;
    char *buf = (char *)xrealloc(NULL, LINE_BUF);
    ddbs_options o = parser_opts(m, buf);
    memset(&p, 0, sizeof p);
    o.sink = plain_sink;
    o.user = &p;
    cr_assert_eq(ddbs_parser_init(&ps, &o), DDBS_OK);
    cr_assert_eq(ddbs_parser_feed(&ps, in->json.s, in->json.len), DDBS_OK);
    cr_assert_eq(ddbs_parser_finish(&ps), DDBS_OK);
    free(buf);
    return p;
}

static void plain_free(plain *p)
{
    free(p->out.s);
    free(p->ends);
}

/* The objects one chunked run flushed. */
typedef struct object {
    char *name, *data;
    size_t len;
} object;

typedef struct objects {
    object *v;
    size_t n, cap;
    size_t fail_at;       /* flush call (1-based) that returns non-zero; 0: none */
    size_t calls;
} objects;

static int collect(void *user, const char *name, const char *data, size_t len)
{
    objects *os = (objects *)user;
    size_t nl = strlen(name);
    object *o;
    os->calls++;
    if (os->fail_at && os->calls == os->fail_at) return 1;
    if (os->n == os->cap) {
        os->cap = os->cap * 2 + 16;
        os->v = (object *)xrealloc(os->v, os->cap * sizeof *os->v);
    }
    o = &os->v[os->n++];
    o->name = (char *)xrealloc(NULL, nl + 1);
    memcpy(o->name, name, nl + 1);
    o->data = (char *)xrealloc(NULL, len);
    memcpy(o->data, data, len);
    o->len = len;
    return 0;
}

static void objects_free(objects *os)
{
    size_t i;
    for (i = 0; i < os->n; i++) {
        free(os->v[i].name);
        free(os->v[i].data);
    }
    free(os->v);
    memset(os, 0, sizeof *os);
}

typedef struct chunked {
    ddbs_result feed_rc, finish_rc, chunker_rc;
    ddbs_chunker c;       /* as it was at the end */
    objects os;
    char header[1024];
    size_t header_len;
} chunked;

/* Parser -> chunker. co gives the chunker's limits, prefix and ext; flush, user, buf, header
   are set here (buf exactly max_object_bytes, so AddressSanitizer sees any overrun). step 0
   feeds the input whole, else in random pieces of 1..step bytes. */
static chunked run_chunked(const input *in, const mode *m, const ddbs_chunker_options *co,
                           size_t step, size_t fail_at)
{
    chunked r;
    ddbs_parser ps;
    ddbs_chunker_options c = *co;
    char *buf = (char *)xrealloc(NULL, LINE_BUF), *obuf;
    ddbs_options o = parser_opts(m, buf);
    size_t max = c.max_object_bytes ? c.max_object_bytes : DDBS_DEFAULT_OBJECT_BYTES, at = 0;
    memset(&r, 0, sizeof r);
    r.os.fail_at = fail_at;
    if (m->format == DDBS_FORMAT_CSV) {
        r.header_len = ddbs_csv_header(&o, r.header, sizeof r.header);
        c.header = r.header;
        c.header_len = r.header_len;
        o.flags |= DDBS_F_NO_HEADER;   /* each object gets its own */
    }
    obuf = (char *)xrealloc(NULL, max);
    c.flush = collect;
    c.user = &r.os;
    c.buf = obuf;
    c.buf_size = max;
    cr_assert_eq(ddbs_chunker_init(&r.c, &c), DDBS_OK);
    o.on_record = ddbs_chunker_add;
    o.user = &r.c;
    cr_assert_eq(ddbs_parser_init(&ps, &o), DDBS_OK);
    if (!step) {
        r.feed_rc = ddbs_parser_feed(&ps, in->json.s, in->json.len);
    } else {
        while (at < in->json.len && r.feed_rc == DDBS_OK) {
            size_t n = between(1, step);
            if (n > in->json.len - at) n = in->json.len - at;
            r.feed_rc = ddbs_parser_feed(&ps, in->json.s + at, n);
            at += n;
        }
    }
    if (r.feed_rc == DDBS_OK) r.feed_rc = ddbs_parser_finish(&ps);
    r.finish_rc = ddbs_chunker_finish(&r.c);
    r.chunker_rc = r.c.error;
    free(buf);
    free(obuf);
    r.c.opt.buf = NULL;  /* gone */
    return r;
}

/* ------------------------------------------------------------- checking --------------- */

/* The name part of a time: YYYY/MM/DD/HH/ from libc (independent of ddbs_civil), or undated/ */
static void hour_path(int64_t t, char *d, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t < 0) {
        snprintf(d, cap, "undated/");
        return;
    }
    cr_assert_neq(gmtime_r(&tt, &tm), NULL);
    snprintf(d, cap, "%04d/%02d/%02d/%02d/", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int64_t hour_of(int64_t t)
{
    return t < 0 ? -1 : t / 3600;
}

typedef struct limits {
    size_t max;
    uint32_t max_records, cflags;
    const char *prefix, *ext;
} limits;

/* Every property of the objects against the unchunked output p (lines 0..nlines of it, the
   CSV header left out) and the records' sequence numbers and times. */
static void check_objects(const input *in, const plain *p, const chunked *r, const limits *l,
                          size_t nlines)
{
    size_t first_line = r->header_len ? 1u : 0u;   /* the unchunked header is a call too */
    size_t line = 0, i, bytes = 0;
    const char *ext = l->ext ? l->ext : "ndjson";
    cr_assert_eq(p->n - first_line >= nlines, 1);
    for (i = 0; i < r->os.n; i++) {
        const object *o = &r->os.v[i];
        size_t begin = line, off = r->header_len, k;
        char want[512], hp[32];
        cr_assert_leq(o->len, l->max, "object %zu: %zu bytes over the limit %zu", i, o->len, l->max);
        cr_assert_eq(memcmp(o->data, r->header, r->header_len), 0, "object %zu: header first", i);
        /* whole lines, the next ones of the unchunked output, and no others */
        while (off < o->len) {
            size_t s, n;
            cr_assert_lt(line, nlines, "object %zu: more lines than the input has", i);
            s = first_line + line ? p->ends[first_line + line - 1] : 0;
            n = p->ends[first_line + line] - s;
            cr_assert_leq(off + n, o->len, "object %zu: line %zu is cut", i, line);
            cr_assert_eq(memcmp(o->data + off, p->out.s + s, n), 0,
                         "object %zu: line %zu differs", i, line);
            off += n;
            line++;
        }
        cr_assert_gt(line, begin, "object %zu holds no record", i);
        bytes += o->len;
        if (l->max_records) cr_assert_leq(line - begin, l->max_records, "object %zu", i);
        if (l->cflags & DDBS_CF_HOURLY)
            for (k = begin + 1; k < line; k++)
                cr_assert_eq(hour_of(in->t[k]), hour_of(in->t[begin]),
                             "object %zu spans two hours (records %zu, %zu)", i, begin, k);
        /* greedy: a cut only where the next line did not fit, the count was reached or
           (hourly) the hour changed */
        if (i + 1 < r->os.n) {
            size_t next = p->ends[first_line + line] - p->ends[first_line + line - 1];
            int full = o->len + next > l->max;
            int count = l->max_records && line - begin == l->max_records;
            int hour = (l->cflags & DDBS_CF_HOURLY) && hour_of(in->t[line]) != hour_of(in->t[begin]);
            cr_assert(full || count || hour, "object %zu cut before record %zu for no reason", i, line);
        }
        /* the name: prefix, the first record's hour, first-last sequence numbers, ext */
        hour_path(in->t[begin], hp, sizeof hp);
        snprintf(want, sizeof want, "%s%s%s-%s.%s", l->prefix ? l->prefix : "", hp,
                 in->seq[begin], in->seq[line - 1], ext);
        cr_assert_str_eq(o->name, want, "object %zu", i);
        if (i) {  /* in sequence order (same-length digit strings), hence unique */
            const char *prev = strrchr(r->os.v[i - 1].name, '-') + 1;
            cr_assert_lt(strncmp(prev, in->seq[begin], strlen(in->seq[begin])), 0,
                         "object %zu starts before the last one ended", i);
            cr_assert_str_neq(o->name, r->os.v[i - 1].name);
        }
    }
    cr_assert_eq(line, nlines, "%zu of %zu lines in objects", line, nlines);
    if (r->os.n) {  /* unique, checked on their own too */
        char **names = (char **)xrealloc(NULL, r->os.n * sizeof *names);
        for (i = 0; i < r->os.n; i++) names[i] = r->os.v[i].name;
        qsort(names, r->os.n, sizeof *names, cmp_names);
        for (i = 1; i < r->os.n; i++) cr_assert_str_neq(names[i - 1], names[i]);
        free(names);
    }
    if (r->finish_rc == DDBS_OK) {
        cr_assert_eq(r->c.objects, r->os.n);
        cr_assert_eq(r->c.records, nlines);
        cr_assert_eq(r->c.bytes, bytes);
    }
}

static void same_objects(const chunked *a, const chunked *b)
{
    size_t i;
    cr_assert_eq(a->os.n, b->os.n, "%zu vs %zu objects", a->os.n, b->os.n);
    for (i = 0; i < a->os.n; i++) {
        cr_assert_str_eq(a->os.v[i].name, b->os.v[i].name);
        cr_assert_eq(a->os.v[i].len, b->os.v[i].len);
        cr_assert_eq(memcmp(a->os.v[i].data, b->os.v[i].data, a->os.v[i].len), 0);
    }
}

static size_t longest_line(const plain *p, size_t first)
{
    size_t i, m = 0;
    for (i = first; i < p->n; i++) {
        size_t n = p->ends[i] - (i ? p->ends[i - 1] : 0);
        if (n > m) m = n;
    }
    return m;
}

/* One input in one mode, chunked at several limits, each run twice. */
static void property(const input *in, const mode *m, size_t nlimits, size_t top)
{
    plain p = run_plain(in, m);
    size_t hl = m->format == DDBS_FORMAT_CSV ? p.ends[0] : 0, k;
    size_t nlines = p.n - (hl ? 1u : 0u);
    size_t low = hl + longest_line(&p, hl ? 1u : 0u);
    cr_assert_eq(nlines, in->n, "every record is a line");
    for (k = 0; k < nlimits; k++) {
        ddbs_chunker_options co;
        limits l;
        chunked a, b;
        size_t r = upto(4);
        memset(&co, 0, sizeof co);
        memset(&l, 0, sizeof l);
        /* from just above the longest line to the top (8 MiB at most), log-uniform between */
        if (k == 0 || r == 0) l.max = low + upto(3);
        else if (k == nlimits - 1) l.max = top;
        else {  /* low times 2^e, e random, plus a random part of that */
            size_t e = 0, v;
            while ((low << (e + 1)) <= top) e++;
            v = low << upto(e + 1);
            l.max = v + upto(v);
        }
        if (l.max > top) l.max = top;
        if (l.max < low) l.max = low;
        /* the last limit alone (no count, not hourly), so objects get near it */
        l.max_records = upto(4) == 0 && k != nlimits - 1 ? (uint32_t)between(1, 50) : 0;
        l.cflags = upto(2) && k != nlimits - 1 ? DDBS_CF_HOURLY : 0;
        l.prefix = upto(2) ? "tbl/dt=" : NULL;
        l.ext = m->format == DDBS_FORMAT_CSV ? "csv" : NULL;
        co.max_object_bytes = l.max;
        co.max_records = l.max_records;
        co.flags = l.cflags;
        co.prefix = l.prefix;
        co.ext = l.ext;
        a = run_chunked(in, m, &co, 0, 0);
        cr_assert_eq(a.feed_rc, DDBS_OK, "limit %zu: %s", l.max, ddbs_strerror(a.feed_rc));
        cr_assert_eq(a.finish_rc, DDBS_OK);
        cr_assert_eq(a.header_len, hl);
        check_objects(in, &p, &a, &l, nlines);
        /* the same input again, fed in other pieces: the same names and bytes */
        b = run_chunked(in, m, &co, 1 + upto(70000), 0);
        cr_assert_eq(b.finish_rc, DDBS_OK);
        same_objects(&a, &b);
        objects_free(&a.os);
        objects_free(&b.os);
    }
    plain_free(&p);
}

static const mode modes[] = {
    { DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0 },
    { DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META },
    { DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, 0 },
    { DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, DDBS_F_CRLF | DDBS_F_CSV_SAFE },
    { DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0 },
};

Test(chunker, property_random_inputs_and_limits, .timeout = 120)
{
    uint64_t seed;
    for (seed = 1; seed <= 10; seed++) {
        gen_opts g;
        input in;
        memset(&g, 0, sizeof g);
        rng_state = seed * 7919;
        g.records = between(50, 1500);
        g.big_permille = (int)upto(4);
        g.undated_percent = (int)upto(8);
        g.start = (int64_t)between(1400000000, 1800000000);
        in = generate(seed, &g);
        rng_state = seed * 104729;
        property(&in, &modes[seed % (sizeof modes / sizeof *modes)], 5, 8u * MIB);
        input_free(&in);
    }
}

Test(chunker, property_large_input_up_to_8_mib, .timeout = 120)
{
    /* ~20 MB of output: objects near the 8 MiB limit, more than one of them */
    gen_opts g;
    input in;
    memset(&g, 0, sizeof g);
    g.records = 2000;
    g.big_permille = 60;
    g.undated_percent = 2;
    g.start = 1480642020;
    in = generate(99, &g);
    rng_state = 4242;
    property(&in, &modes[0], 3, 8u * MIB);
    input_free(&in);
}

/* ------------------------------------------------------------- one behaviour each ----- */

/* A tiny event: records with these sequence numbers and time texts ("" = no time). */
static input tiny(size_t n, const char *const *seqs, const char *const *times)
{
    input in;
    size_t i;
    memset(&in, 0, sizeof in);
    in.n = n;
    in.seq = (char (*)[32])xrealloc(NULL, (n + 1) * sizeof *in.seq);
    in.t = (int64_t *)xrealloc(NULL, (n + 1) * sizeof *in.t);
    puts_(&in.json, "{\"Records\":[");
    for (i = 0; i < n; i++) {
        int64_t s;
        snprintf(in.seq[i], sizeof in.seq[i], "%s", seqs[i]);
        in.t[i] = ddbs_time_seconds(times[i], strlen(times[i]), 0, &s) == 0 ? s : -1;
        if (i) puts_(&in.json, ",");
        puts_(&in.json, "{\"eventName\":\"INSERT\",\"eventID\":\"ev");
        putf(&in.json, "%lld", (long long)i);
        puts_(&in.json, "\",\"dynamodb\":{");
        if (*times[i]) {
            puts_(&in.json, "\"ApproximateCreationDateTime\":");
            puts_(&in.json, times[i]);
            puts_(&in.json, ",");
        }
        if (*seqs[i]) {
            puts_(&in.json, "\"SequenceNumber\":\"");
            puts_(&in.json, seqs[i]);
            puts_(&in.json, "\",");
        }
        puts_(&in.json, "\"Keys\":{\"k\":{\"N\":\"");
        putf(&in.json, "%lld", (long long)i);
        puts_(&in.json, "\"}}}}");
    }
    puts_(&in.json, "]}");
    return in;
}

static const mode ndjson = { DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, 0 };

static chunked chunk_tiny(const input *in, const mode *m, size_t max, uint32_t max_records,
                          uint32_t flags, const char *prefix, const char *ext)
{
    ddbs_chunker_options co;
    memset(&co, 0, sizeof co);
    co.max_object_bytes = max;
    co.max_records = max_records;
    co.flags = flags;
    co.prefix = prefix;
    co.ext = ext;
    return run_chunked(in, m, &co, 0, 0);
}

Test(chunker, names_prefix_and_ext)
{
    static const char *const seqs[] = { "100", "101", "102" };
    static const char *const times[] = { "1480642020", "1480642021", "1480645620" };
    input in = tiny(3, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 0, 0, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 1u);
    /* 1480642020 is 2016-12-02T01:27:00Z; the next hour does not matter without HOURLY */
    cr_assert_str_eq(r.os.v[0].name, "2016/12/02/01/100-102.ndjson");
    cr_assert_eq(r.os.v[0].len, 3u * 8u);
    cr_assert_eq(memcmp(r.os.v[0].data, "{\"k\":0}\n{\"k\":1}\n{\"k\":2}\n", 24), 0);
    objects_free(&r.os);
    r = chunk_tiny(&in, &ndjson, 4096, 0, 0, "", "");
    cr_assert_str_eq(r.os.v[0].name, "2016/12/02/01/100-102.", "empty ext");
    objects_free(&r.os);
    r = chunk_tiny(&in, &ndjson, 4096, 0, 0, "my-table/dt=", "json.gz");
    cr_assert_str_eq(r.os.v[0].name, "my-table/dt=2016/12/02/01/100-102.json.gz");
    objects_free(&r.os);
    input_free(&in);
}

Test(chunker, an_object_may_be_exactly_the_limit)
{
    /* item lines {"k":N}\n are 8 bytes: a 16-byte limit holds two, not one */
    static const char *const seqs[] = { "1", "2", "3", "4", "5" };
    static const char *const times[] = { "9", "9", "9", "9", "9" };
    static const mode csv = { DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, 0 };
    input in = tiny(5, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 16, 0, 0, NULL, NULL);
    plain p;
    size_t hl, row;
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 3u);
    cr_assert_eq(r.os.v[0].len, 16u);
    cr_assert_str_eq(r.os.v[0].name, "1970/01/01/00/1-2.ndjson");
    cr_assert_str_eq(r.os.v[2].name, "1970/01/01/00/5-5.ndjson");
    objects_free(&r.os);
    /* CSV: the header and two rows, exactly */
    p = run_plain(&in, &csv);
    hl = p.ends[0];
    row = p.ends[1] - p.ends[0];
    cr_assert_eq(p.ends[2] - p.ends[1], row, "rows of one size");
    r = chunk_tiny(&in, &csv, hl + 2 * row, 0, 0, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 3u);
    cr_assert_eq(r.os.v[0].len, hl + 2 * row);
    objects_free(&r.os);
    plain_free(&p);
    input_free(&in);
}

Test(chunker, csv_header_in_every_object)
{
    static const char *const seqs[] = { "1", "2", "3", "4", "5" };
    static const char *const times[] = { "0", "1", "2", "3", "4" };
    static const mode csv = { DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, 0 };
    input in = tiny(5, seqs, times);
    chunked r = chunk_tiny(&in, &csv, 4096, 2, 0, NULL, "csv");
    static const char last[] = "5,,,,INSERT,4\n";
    size_t i;
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 3u);
    cr_assert_str_eq(r.os.v[0].name, "1970/01/01/00/1-2.csv");
    cr_assert_str_eq(r.os.v[2].name, "1970/01/01/00/5-5.csv");
    for (i = 0; i < 3; i++)
        cr_assert_eq(memcmp(r.os.v[i].data, r.header, r.header_len), 0);
    cr_assert_eq(r.os.v[2].len, r.header_len + sizeof last - 1, "header and one row");
    cr_assert_eq(memcmp(r.os.v[2].data + r.header_len, last, sizeof last - 1), 0);
    objects_free(&r.os);
    input_free(&in);
}

Test(chunker, max_records)
{
    static const char *const seqs[] = { "11", "12", "13", "14", "15", "16", "17", "18", "19", "20" };
    static const char *const times[] = { "1e9", "1e9", "1e9", "1e9", "1e9", "1e9", "1e9", "1e9",
                                         "1e9", "1e9" };
    input in = tiny(10, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 3, 0, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 4u);
    cr_assert_str_eq(r.os.v[0].name, "2001/09/09/01/11-13.ndjson");
    cr_assert_str_eq(r.os.v[1].name, "2001/09/09/01/14-16.ndjson");
    cr_assert_str_eq(r.os.v[2].name, "2001/09/09/01/17-19.ndjson");
    cr_assert_str_eq(r.os.v[3].name, "2001/09/09/01/20-20.ndjson");
    cr_assert_eq(r.c.records, 10u);
    objects_free(&r.os);
    r = chunk_tiny(&in, &ndjson, 4096, 1, 0, NULL, NULL);
    cr_assert_eq(r.os.n, 10u, "one record each");
    objects_free(&r.os);
    input_free(&in);
}

Test(chunker, hourly_cuts_at_hour_changes)
{
    /* 2016-12-02 00:59:59, 01:00:00 (as ms), 01:59:59.9, undated, 02:00:00 (E-notation),
       02:01:40 (a string) */
    static const char *const seqs[] = { "1", "2", "3", "4", "5", "6" };
    static const char *const times[] = { "1480640399", "1480640400000", "1480643999.9", "",
                                         "1.480644E9", "\"1480644100\"" };
    input in = tiny(6, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 0, DDBS_CF_HOURLY, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 4u);
    cr_assert_str_eq(r.os.v[0].name, "2016/12/02/00/1-1.ndjson");
    cr_assert_str_eq(r.os.v[1].name, "2016/12/02/01/2-3.ndjson");
    cr_assert_str_eq(r.os.v[2].name, "undated/4-4.ndjson");
    cr_assert_str_eq(r.os.v[3].name, "2016/12/02/02/5-6.ndjson");
    objects_free(&r.os);
    /* without the flag: one object, named by its first record */
    r = chunk_tiny(&in, &ndjson, 4096, 0, 0, NULL, NULL);
    cr_assert_eq(r.os.n, 1u);
    cr_assert_str_eq(r.os.v[0].name, "2016/12/02/00/1-6.ndjson");
    objects_free(&r.os);
    input_free(&in);
}

Test(chunker, undated_records)
{
    /* no time, null, a word, negative: all undated */
    static const char *const seqs[] = { "7", "8", "9", "10" };
    static const char *const times[] = { "", "null", "\"later\"", "-1" };
    input in = tiny(4, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 0, DDBS_CF_HOURLY, "p/", NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 1u, "all in the same undated hour");
    cr_assert_str_eq(r.os.v[0].name, "p/undated/7-10.ndjson");
    objects_free(&r.os);
    input_free(&in);
}

Test(chunker, names_stay_unique_without_increasing_sequence_numbers)
{
    /* repeated, decreasing and missing sequence numbers: names must still differ */
    static const char *const seqs[] = { "5", "5", "3", "", "", "9", "9" };
    static const char *const times[] = { "1e9", "1e9", "1e9", "1e9", "1e9", "1e9", "1e9" };
    input in = tiny(7, seqs, times);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 1, 0, NULL, NULL), r2;
    size_t i, j;
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 7u);
    for (i = 0; i < r.os.n; i++)
        for (j = i + 1; j < r.os.n; j++)
            cr_assert_str_neq(r.os.v[i].name, r.os.v[j].name, "objects %zu and %zu", i, j);
    r2 = chunk_tiny(&in, &ndjson, 4096, 1, 0, NULL, NULL);
    same_objects(&r, &r2);
    objects_free(&r.os);
    objects_free(&r2.os);
    input_free(&in);
}

Test(chunker, empty_input_flushes_nothing)
{
    input in = tiny(0, NULL, NULL);
    chunked r = chunk_tiny(&in, &ndjson, 4096, 0, 0, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK);
    cr_assert_eq(r.os.n, 0u);
    cr_assert_eq(r.os.calls, 0u);
    input_free(&in);
}

/* ------------------------------------------------------------- errors ----------------- */

/* n records, record `big` (0-based) with a value larger than max, the others small. */
static void too_big_case(size_t n, size_t big, size_t max, const mode *m)
{
    input in;
    plain p;
    chunked r;
    ddbs_chunker_options co;
    size_t i, hl, before, flushed = 0;
    memset(&in, 0, sizeof in);
    rng_state = 77 + big;
    in.n = n;
    in.seq = (char (*)[32])xrealloc(NULL, (n + 1) * sizeof *in.seq);
    in.t = (int64_t *)xrealloc(NULL, (n + 1) * sizeof *in.t);
    puts_(&in.json, "{\"Records\":[");
    for (i = 0; i < n; i++) {
        snprintf(in.seq[i], sizeof in.seq[i], "%llu", 500000000000ull + i);
        in.t[i] = 1600000000 + (int64_t)i * 100;
        if (i) puts_(&in.json, ",");
        puts_(&in.json, "{\"eventName\":\"MODIFY\",\"eventID\":\"x\",\"dynamodb\":{"
                        "\"ApproximateCreationDateTime\":");
        putf(&in.json, "%lld", (long long)in.t[i]);
        puts_(&in.json, ",\"SequenceNumber\":\"");
        puts_(&in.json, in.seq[i]);
        puts_(&in.json, "\",\"NewImage\":{\"data\":{\"S\":\"");
        put_value(&in.json, i == big ? 2 * max : between(10, 200));
        puts_(&in.json, "\"}}}}");
    }
    puts_(&in.json, "]}");
    p = run_plain(&in, m);
    hl = m->format == DDBS_FORMAT_CSV ? p.ends[0] : 0;
    memset(&co, 0, sizeof co);
    co.max_object_bytes = max;
    r = run_chunked(&in, m, &co, 0, 0);
    cr_assert_eq(r.feed_rc, DDBS_E_SINK, "n=%zu big=%zu max=%zu: the parser stops: %s", n, big, max,
                 ddbs_strerror(r.feed_rc));
    cr_assert_eq(r.chunker_rc, DDBS_E_OBJECT_TOO_BIG);
    cr_assert_eq(r.finish_rc, DDBS_E_OBJECT_TOO_BIG, "finish gives the error back");
    cr_assert_eq(r.c.error_record, big, "error_record %llu", (unsigned long long)r.c.error_record);
    cr_assert_str_eq(r.c.error_sequence, in.seq[big]);
    /* everything before it was flushed, whole and in order, and nothing after it: the
       bodies put together are the unchunked output up to the end of record big-1 */
    before = big + (hl ? 1u : 0u) ? p.ends[big + (hl ? 1u : 0u) - 1] - hl : 0;
    for (i = 0; i < r.os.n; i++) {
        size_t body = r.os.v[i].len - hl;
        cr_assert_leq(r.os.v[i].len, max);
        cr_assert_eq(memcmp(r.os.v[i].data, p.out.s, hl), 0, "header first");
        cr_assert_leq(flushed + body, before, "object %zu goes past the record before it", i);
        cr_assert_eq(memcmp(r.os.v[i].data + hl, p.out.s + hl + flushed, body), 0);
        flushed += body;
    }
    cr_assert_eq(flushed, before, "flushed %zu bytes, the records before it are %zu", flushed, before);
    cr_assert_eq(r.c.records, big);
    cr_assert_eq(r.os.calls, r.os.n, "no flush after the error");
    objects_free(&r.os);
    plain_free(&p);
    input_free(&in);
}

Test(chunker, line_over_the_limit)
{
    too_big_case(30, 17, 1000, &ndjson);             /* several objects before it */
    too_big_case(5, 0, 4096, &ndjson);               /* the first record: nothing to flush */
    too_big_case(8, 7, 100000, &modes[0]);           /* the last one, after one object */
    too_big_case(12, 4, 700, &modes[2]);             /* CSV: the header counts too */
}

Test(chunker, csv_line_that_fits_alone_but_not_with_the_header)
{
    /* header + line > max >= line: too big, as no object can hold it */
    static const char *const seqs[] = { "1", "2" };
    static const char *const times[] = { "5", "6" };
    static const mode csv = { DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, 0 };
    input in = tiny(2, seqs, times);
    plain p = run_plain(&in, &csv);
    size_t hl = p.ends[0], line = p.ends[1] - p.ends[0];
    chunked r = chunk_tiny(&in, &csv, hl + line - 1, 0, 0, NULL, NULL);
    cr_assert_eq(r.chunker_rc, DDBS_E_OBJECT_TOO_BIG);
    cr_assert_eq(r.c.error_record, 0u);
    cr_assert_str_eq(r.c.error_sequence, "1");
    cr_assert_eq(r.os.n, 0u);
    r = chunk_tiny(&in, &csv, hl + line, 0, 0, NULL, NULL);
    cr_assert_eq(r.finish_rc, DDBS_OK, "exactly the limit is fine");
    cr_assert_eq(r.os.n, 2u);
    objects_free(&r.os);
    plain_free(&p);
    input_free(&in);
}

Test(chunker, failing_flush)
{
    static const char *const seqs[] = { "1", "2", "3", "4", "5", "6" };
    static const char *const times[] = { "9", "9", "9", "9", "9", "9" };
    input in = tiny(6, seqs, times);
    ddbs_chunker_options co;
    chunked r;
    memset(&co, 0, sizeof co);
    co.max_object_bytes = 4096;
    co.max_records = 2;
    /* the second object's flush fails: the parser stops with E_SINK, and nothing more */
    r = run_chunked(&in, &ndjson, &co, 0, 2);
    cr_assert_eq(r.feed_rc, DDBS_E_SINK);
    cr_assert_eq(r.chunker_rc, DDBS_E_SINK);
    cr_assert_eq(r.finish_rc, DDBS_E_SINK);
    cr_assert_eq(r.os.calls, 2u, "no flush after the failing one, not even at finish");
    cr_assert_eq(r.os.n, 1u);
    cr_assert_eq(r.c.objects, 1u, "only the flushed object counts");
    cr_assert_eq(r.c.records, 2u);
    objects_free(&r.os);
    /* the last flush, from finish, fails */
    co.max_records = 0;
    r = run_chunked(&in, &ndjson, &co, 0, 1);
    cr_assert_eq(r.feed_rc, DDBS_OK);
    cr_assert_eq(r.finish_rc, DDBS_E_SINK);
    cr_assert_eq(r.os.calls, 1u);
    cr_assert_eq(r.c.objects, 0u);
    objects_free(&r.os);
    input_free(&in);
}

static int never(void *user, const char *name, const char *data, size_t len)
{
    (void)user;
    (void)name;
    (void)data;
    (void)len;
    return 0;
}

Test(chunker, init_arguments)
{
    static char buf[8192];
    static char prefix[300];
    ddbs_chunker c;
    ddbs_chunker_options o;
    ddbs_record rec;
#define BASE() (memset(&o, 0, sizeof o), o.flush = never, o.buf = buf, o.buf_size = sizeof buf, \
                o.max_object_bytes = sizeof buf)
    BASE();
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_OK);
    cr_assert_eq(ddbs_chunker_init(NULL, &o), DDBS_E_ARG);
    cr_assert_eq(ddbs_chunker_init(&c, NULL), DDBS_E_ARG);
    BASE(); o.flush = NULL;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "no flush");
    BASE(); o.buf = NULL;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "no buf");
    BASE(); o.buf_size = sizeof buf - 1;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "buf smaller than max_object_bytes");
    BASE(); o.max_object_bytes = 0;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "the 4 MiB default does not fit buf");
    BASE(); o.header = buf; o.header_len = sizeof buf + 1;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "header larger than an object");
    BASE(); o.header = "h\n"; o.header_len = 2;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_OK);
    memset(prefix, 'p', sizeof prefix);
    prefix[256] = 0;
    BASE(); o.prefix = prefix;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_OK, "256-byte prefix");
    prefix[256] = 'p';
    prefix[257] = 0;
    BASE(); o.prefix = prefix;
    cr_assert_eq(ddbs_chunker_init(&c, &o), DDBS_E_ARG, "257-byte prefix");
    /* a chunker that failed init refuses records and says why at finish */
    memset(&rec, 0, sizeof rec);
    rec.line = "x\n";
    rec.line_len = 2;
    cr_assert_eq(ddbs_chunker_add(&c, &rec), -1);
    cr_assert_eq(ddbs_chunker_finish(&c), DDBS_E_ARG);
    cr_assert_eq(ddbs_chunker_finish(NULL), DDBS_E_ARG);
#undef BASE
}

/* ------------------------------------------------------------- ddbs_time_seconds ------ */

static int64_t secs_of(const char *s)
{
    int64_t v = -2;
    return ddbs_time_seconds(s, strlen(s), 0, &v) == 0 ? v : -1;
}

Test(chunker, time_seconds_edges)
{
    int64_t v;
    cr_assert_eq(secs_of("1.635734407123456789E9"), 1635734407, "no double rounding");
    cr_assert_eq(secs_of("1.4285376E9"), 1428537600);
    cr_assert_eq(secs_of("\"1.46480646E9\""), 1464806460, "quoted");
    cr_assert_eq(secs_of("1480642020000"), 1480642020, "milliseconds");
    cr_assert_eq(secs_of("1721011165891550"), 1721011165, "microseconds");
    cr_assert_eq(secs_of("1480642020"), 1480642020);
    cr_assert_eq(secs_of("1480642020.999"), 1480642020, "floored");
    cr_assert_eq(secs_of("14806420205E-1"), 1480642020);
    cr_assert_eq(secs_of("1.4806420205e+9"), 1480642020);
    cr_assert_eq(secs_of("0"), 0);
    cr_assert_eq(secs_of("0.5"), 0);
    cr_assert_eq(secs_of("999999999999"), 999999999999, "just under 1e12: seconds");
    cr_assert_eq(secs_of("1000000000000"), 1000000000, "1e12: milliseconds");
    cr_assert_eq(secs_of("999999999999999"), 999999999999, "just under 1e15: ms");
    cr_assert_eq(secs_of("1000000000000000"), 1000000000, "1e15: microseconds");
    cr_assert_eq(secs_of("253402300799"), 253402300799, "9999-12-31T23:59:59");
    /* not times */
    cr_assert_eq(secs_of("-1"), -1, "negative");
    cr_assert_eq(secs_of("-1480642020"), -1);
    cr_assert_eq(secs_of(""), -1, "empty");
    cr_assert_eq(secs_of("\"\""), -1, "empty string");
    cr_assert_eq(secs_of("abc"), -1);
    cr_assert_eq(secs_of("12abc"), -1);
    cr_assert_eq(secs_of("1.2.3"), -1);
    cr_assert_eq(secs_of("1e"), -1);
    cr_assert_eq(secs_of("1e+"), -1);
    cr_assert_eq(secs_of("."), -1);
    cr_assert_eq(secs_of("1E99999"), -1, "huge exponent");
    cr_assert_eq(secs_of("1E400"), -1);
    cr_assert_eq(secs_of("9.9E30"), -1);
    cr_assert_eq(secs_of("99999999999999999999999"), -1, "past 64 bits");
    cr_assert_eq(secs_of("1E-99999"), 0, "tiny is 0, not an error");
    /* the unit can be given */
    cr_assert_eq(ddbs_time_seconds("5000", 4, 1000, &v), 0);
    cr_assert_eq(v, 5);
    cr_assert_eq(ddbs_time_seconds("5000000", 7, 1000000, &v), 0);
    cr_assert_eq(v, 5);
    cr_assert_eq(ddbs_time_seconds("1480642020000", 13, 1, &v), 0, "seconds said: kept");
    cr_assert_eq(v, 1480642020000);
    cr_assert_eq(ddbs_time_seconds(NULL, 0, 0, &v), -1);
    cr_assert_eq(ddbs_time_seconds("1", 1, 0, NULL), -1);
    /* only len bytes are read */
    cr_assert_eq(ddbs_time_seconds("12345", 2, 0, &v), 0);
    cr_assert_eq(v, 12);
}

Test(chunker, civil_edges)
{
    static const struct { int64_t s; long long y; int mo, d, h; } cases[] = {
        { 0, 1970, 1, 1, 0 },
        { 951782400, 2000, 2, 29, 0 },
        { 2147483647, 2038, 1, 19, 3 },
        { 2147483648, 2038, 1, 19, 3 },
        { 4107542400, 2100, 3, 1, 0 },
        { 4107542399, 2100, 2, 28, 23 },
        { 253402300799, 9999, 12, 31, 23 },
        { 253402300800, 10000, 1, 1, 0 },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t y;
        int mo, d, h;
        ddbs_civil(cases[i].s, &y, &mo, &d, &h);
        cr_assert_eq(y, cases[i].y, "%lld", (long long)cases[i].s);
        cr_assert_eq(mo, cases[i].mo, "%lld", (long long)cases[i].s);
        cr_assert_eq(d, cases[i].d, "%lld", (long long)cases[i].s);
        cr_assert_eq(h, cases[i].h, "%lld", (long long)cases[i].s);
    }
}
