/* Portable runner: the library's behaviour checked with plain C99 and stdio only (no
   Criterion), so the same cases run on big-endian and 32-bit machines under qemu-user.

   Two kinds of checks:
   - self-contained ones, true on any machine: samples against tests/expected, the same
     result however the input is cut into feed() calls, time conversion edge values against
     a table, chunker names, the Firehose response decoded back to the lines it carries;
   - a digest of everything each case produced (result, offsets, counters, FNV-1a of the
     output and of every callback's arguments), written on the host with -w and compared
     with -g elsewhere, so another target must give identical bytes.

   usage: runner [-d DATA] [-e EXPECTED] [-w GOLDEN_OUT] [-g GOLDEN_IN] [-c MAXCUTS] [-v]
   Run from the repository root (defaults tests/data and tests/expected). The last line is
   "portable: N passed, M failed"; the exit status is 1 when anything failed.

   Build: cc -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion
          tests/portable/runner.c -o runner          (the implementation is included here) */
#define _POSIX_C_SOURCE 200809L  /* opendir/stat for the sample walk; -std=c99 hides them */
/* 64-bit inode numbers and sizes on 32-bit targets: without it, readdir and stat fail with
   EOVERFLOW on a host file system (as seen under qemu-i386 on an x86_64 disk). */
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One file: a cross build is a single compiler call, and no other object can differ. */
#define DDBSTREAM_IMPLEMENTATION
#include "../../ddbstream.h"

#define ULL(x) ((unsigned long long)(x))
#define MAX_SHOWN 40          /* failure messages printed; the counts go on */
#define STAGE_SIZE 65536u     /* staging buffer of every parser run */

/* ----------------------------------------------------------------- accounting ------- */

static unsigned long n_pass, n_fail;
static int verbose;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    if (ok) {
        n_pass++;
        return;
    }
    if (n_fail++ < MAX_SHOWN) {
        fputs("FAIL: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
    }
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("runner: out of memory\n", stderr);
        exit(2);
    }
    return q;
}

/* FNV-1a, 64-bit: byte at a time, so it is the same on every byte order. */
#define FNV_OFF 14695981039346656037u
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211u;
    return h;
}

/* A number folded in by value (its decimal digits), never by its bytes in memory. */
static uint64_t fnv_u(uint64_t h, uint64_t v)
{
    char t[24];
    int n = sprintf(t, "%llu;", ULL(v));
    return fnv(h, t, (size_t)n);
}

/* ----------------------------------------------------------------- golden digests ---- */

/* Host run (-w): every case's digest goes to a file. Target run (-g): each digest must
   equal the host's line with the same key. Neither: digests are not checked. */
static FILE *gold_out;
static char **gold_key, **gold_val;
static size_t gold_n, gold_used;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

static int gold_load(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t cap = 0;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
        if (!tab || !nl) continue;
        *tab = 0;
        *nl = 0;
        if (gold_n == cap) {
            cap = cap * 2 + 256;
            gold_key = (char **)xrealloc(gold_key, cap * sizeof *gold_key);
            gold_val = (char **)xrealloc(gold_val, cap * sizeof *gold_val);
        }
        gold_key[gold_n] = xstrdup(line);
        gold_val[gold_n++] = xstrdup(tab + 1);
    }
    fclose(f);
    return 0;
}

static void gold(const char *key, const char *val)
{
    size_t k;
    if (verbose) printf("%s\t%s\n", key, val);
    if (gold_out) fprintf(gold_out, "%s\t%s\n", key, val);
    if (!gold_n) return;
    /* the lines come in the order this runner writes them: try the next one first */
    k = gold_used < gold_n && strcmp(gold_key[gold_used], key) == 0 ? gold_used : 0;
    for (; k < gold_n && strcmp(gold_key[k], key) != 0; k++) {}
    if (k == gold_n) {
        check(0, "%s: no host digest for this case (stale golden file?)", key);
        return;
    }
    gold_used = k + 1;
    check(strcmp(gold_val[k], val) == 0,
          "%s: digest differs from the host's\n  here: %s\n  host: %s", key, val, gold_val[k]);
}

/* ----------------------------------------------------------------- one parser run ---- */

/* Everything a run shows to the outside. Two runs are the same when all of it is. */
typedef struct outcome {
    ddbs_result rc;
    uint64_t err_off, err_rec, rin, rout, bout, docs, skipped;
    uint64_t hash;            /* bytes given to the sink */
    uint64_t rep_hash;        /* on_error arguments, in order */
    uint64_t rec_hash;        /* on_record arguments (fields of ddbs_record), in order */
    uint64_t part_hash;       /* on_part arguments, in order */
    uint64_t len, calls, reports;
    int bad;                  /* a sink call or record that broke the API's promises */
    int not_sticky;           /* a call after an error did not repeat it */
} outcome;

/* What the callbacks fill in while a run goes. */
typedef struct capture {
    outcome *o;
    const char *buf;
    size_t buf_size;
    int csv;                  /* CSV cells may hold raw newlines: only the end is checked */
    char *keep;               /* a copy of the output, when the caller wants the bytes */
    size_t keep_len, keep_cap;
    int want_keep;
} capture;

static char stage[STAGE_SIZE];  /* line buffer of the chunker, batch and Firehose runs */

static void keep_bytes(capture *c, const char *s, size_t n)
{
    if (!c->want_keep) return;
    if (c->keep_len + n + 1 > c->keep_cap) {
        c->keep_cap = (c->keep_len + n + 1) * 2;
        c->keep = (char *)xrealloc(c->keep, c->keep_cap);
    }
    memcpy(c->keep + c->keep_len, s, n);
    c->keep_len += n;
    c->keep[c->keep_len] = 0;
}

/* Each sink call is one whole line (NDJSON: exactly one '\n', at its end), inside the
   staging buffer: the contract of ddbs_sink_fn. */
static int on_sink(void *user, const char *data, size_t len)
{
    capture *c = (capture *)user;
    if (len == 0 || data[len - 1] != '\n' || data < c->buf || data + len > c->buf + c->buf_size ||
        (!c->csv && memchr(data, '\n', len - 1)))
        c->o->bad = 1;
    c->o->hash = fnv(c->o->hash, data, len);
    c->o->len += len;
    c->o->calls++;
    keep_bytes(c, data, len);
    return 0;
}

static void on_error(void *user, ddbs_result rc, uint64_t offset, uint64_t record)
{
    capture *c = (capture *)user;
    c->o->rep_hash = fnv_u(fnv_u(fnv_u(c->o->rep_hash, (uint64_t)rc), offset), record);
    c->o->reports++;
}

/* Hashes every field of the record; the pointers must lie inside the line or the input's
   metadata copy, and the line must be the one about to reach the sink. Returns 0 so the
   line goes on to the sink. */
static int on_record_fields(void *user, const ddbs_record *r)
{
    capture *c = (capture *)user;
    uint64_t h = c->o->rec_hash;
    int k;
    if (!r->line || !r->line_len || r->line[r->line_len - 1] != '\n') c->o->bad = 1;
    h = fnv_u(h, r->line_len);
    h = fnv_u(fnv_u(fnv_u(h, r->event), (uint64_t)r->ttl), r->index);
    h = fnv_u(h, r->time_unit);
    h = fnv(fnv_u(h, r->event_id_len), r->event_id, r->event_id_len);
    h = fnv(fnv_u(h, r->sequence_len), r->sequence, r->sequence_len);
    h = fnv(fnv_u(h, r->time_len), r->time, r->time_len);
    for (k = 0; k < 3; k++) {
        if (!r->image[k]) {
            h = fnv_u(h, 0xFFFFu);
            continue;
        }
        /* an image points into the line: hash where, not the address */
        if (r->image[k] < r->line || r->image[k] + r->image_len[k] > r->line + r->line_len)
            c->o->bad = 1;
        else
            h = fnv_u(fnv_u(h, (uint64_t)(r->image[k] - r->line)), r->image_len[k]);
    }
    c->o->rec_hash = h;
    return 0;
}

static int on_part_hash(void *user, const char *id, size_t id_len, ddbs_result rc,
                        uint64_t lines)
{
    capture *c = (capture *)user;
    uint64_t h = fnv(fnv_u(c->o->part_hash, id_len), id, id_len);
    c->o->part_hash = fnv_u(fnv_u(h, (uint64_t)rc), lines);
    return 0;
}

/* The option sets every input is run with. hooks: 1 = on_record hashes the record fields,
   2 = on_part hashes the Firehose parts too. */
typedef struct option_set {
    const char *name;
    ddbs_format format;
    ddbs_shape shape;
    uint32_t flags, events;
    size_t buf_size;
    int hooks;
} option_set;

static const char *const csv_columns[] = {
    "eventName", "eventID", "SequenceNumber", "ApproximateCreationDateTime",
    "Id", "Message", "key", "val", "pk", "sk", "data", "id", "a", "k", "\xC3\xA9",
};

static const option_set sets[] = {
    { "default", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, 0, 0, 0 },
    { "fields", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, 0, 0, 3 },
    { "item-meta", DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META, 0, 0, 0 },
    { "ddb", DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0, 0, 0, 1 },
    { "ddb-item", DDBS_FORMAT_DDB, DDBS_SHAPE_ITEM, DDBS_F_NO_KEYS, 0, 0, 0 },
    { "strings-nokeys", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD,
      DDBS_F_NUMBERS_AS_STRINGS | DDBS_F_NO_KEYS, 0, 0, 0 },
    { "skip-bad", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_SKIP_BAD, 0, 0, 2 },
    /* the smallest buffer, and a filter that drops records after their images are staged */
    { "small-modify", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_NO_OLD,
      DDBS_EV_MODIFY | DDBS_EV_REMOVE, DDBS_MIN_BUF, 0 },
    { "ttl-only", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_TTL_ONLY | DDBS_F_NO_NEW, 0, 0, 0 },
    { "parse-only", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_PARSE_ONLY, 0, 0, 0 },
    { "csv", DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, DDBS_F_CSV_SAFE | DDBS_F_CRLF, 0, 0, 0 },
    { "csv-insert", DDBS_FORMAT_CSV, DDBS_SHAPE_RECORD, DDBS_F_NO_HEADER, DDBS_EV_INSERT, 0, 1 },
};
#define N_SETS (sizeof sets / sizeof sets[0])

static ddbs_options options_of(const option_set *s)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.format = s->format;
    o.shape = s->shape;
    o.flags = s->flags;
    o.events = s->events;
    o.buf_size = s->buf_size;
    if (s->format == DDBS_FORMAT_CSV) {
        o.columns = csv_columns;
        o.ncolumns = sizeof csv_columns / sizeof csv_columns[0];
    }
    if (s->hooks & 1) o.on_record = on_record_fields;
    if (s->hooks & 2) o.on_part = on_part_hash;
    return o;
}

/* Feeds in[0..len) to a fresh parser: in pieces of `step` bytes when step > 0, else cut at
   cuts[0..ncuts) (ascending, inside (0, len)). Every piece is fed even after an error, to
   check that the error stays. keep: also return the output bytes (free *keep after). */
static outcome feed(const char *in, size_t len, const ddbs_options *base, const size_t *cuts,
                    size_t ncuts, size_t step, char **keep, size_t *keep_len)
{
    ddbs_options o = *base;
    ddbs_parser p;
    outcome r;
    capture c;
    size_t at = 0, k = 0;
    memset(&r, 0, sizeof r);
    memset(&c, 0, sizeof c);
    r.hash = r.rep_hash = r.rec_hash = r.part_hash = FNV_OFF;
    c.o = &r;
    c.csv = o.format == DDBS_FORMAT_CSV;
    c.want_keep = keep != NULL;
    o.buf_size = o.buf_size ? o.buf_size : STAGE_SIZE;
    /* exactly buf_size bytes, so AddressSanitizer (host-clang-asan) sees a write past it */
    o.buf = (char *)xrealloc(NULL, o.buf_size);
    c.buf = o.buf;
    c.buf_size = o.buf_size;
    o.sink = on_sink;
    o.on_error = on_error;
    o.user = &c;
    memset(&p, 0xA5, sizeof p);  /* init must not rely on a zeroed struct */
    r.rc = ddbs_parser_init(&p, &o);
    while (at < len) {
        size_t end;
        uint64_t before;
        ddbs_result rc;
        end = step ? (len - at < step ? len : at + step) : k < ncuts ? cuts[k++] : len;
        before = p.offset;
        rc = ddbs_parser_feed(&p, in + at, end - at);
        if (r.rc != DDBS_OK) {
            if (rc != r.rc || p.offset != before) r.not_sticky = 1;
        } else {
            r.rc = rc;
        }
        at = end;
    }
    if (r.rc == DDBS_OK) r.rc = ddbs_parser_finish(&p);
    else if (ddbs_parser_finish(&p) != r.rc) r.not_sticky = 1;
    if (p.error != r.rc) r.not_sticky = 1;
    r.err_off = p.error_offset;
    r.err_rec = p.error_record;
    r.rin = p.records_in;
    r.rout = p.records_out;
    r.bout = p.bytes_out;
    r.docs = p.documents;
    r.skipped = p.skipped;
    /* the counters agree with what the sink saw */
    if (r.bout != r.len)
        r.bad = 1;
    if (keep) {
        *keep = c.keep ? c.keep : xstrdup("");
        *keep_len = c.keep_len;
    }
    free(o.buf);
    return r;
}

static outcome feed_whole(const char *in, size_t len, const ddbs_options *o)
{
    return feed(in, len, o, NULL, 0, 0, NULL, NULL);
}

/* The first field where a and b differ, or NULL. */
static const char *differs(const outcome *a, const outcome *b)
{
#define CMP(f) if (a->f != b->f) return #f;
    CMP(rc) CMP(err_off) CMP(err_rec) CMP(rin) CMP(rout) CMP(bout) CMP(docs) CMP(skipped)
    CMP(hash) CMP(rep_hash) CMP(rec_hash) CMP(part_hash) CMP(len) CMP(calls) CMP(reports)
    CMP(bad) CMP(not_sticky)
#undef CMP
    return NULL;
}

static void digest(const outcome *r, char *d)
{
    sprintf(d, "%s off=%llu rec=%llu in=%llu out=%llu bytes=%llu docs=%llu skip=%llu "
               "rep=%llu calls=%llu out#%016llx rep#%016llx rec#%016llx part#%016llx",
            r->rc == DDBS_OK ? "OK" : ddbs_strerror(r->rc), ULL(r->err_off), ULL(r->err_rec),
            ULL(r->rin), ULL(r->rout), ULL(r->bout), ULL(r->docs), ULL(r->skipped),
            ULL(r->reports), ULL(r->calls), ULL(r->hash), ULL(r->rep_hash), ULL(r->rec_hash),
            ULL(r->part_hash));
}

/* ----------------------------------------------------------------- split invariance -- */

static size_t max_cuts = 4096;  /* -c: every cut below this length, a stride above */

/* xorshift64*: the same cuts on every platform, so a failure replays anywhere. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The whole-input run must agree with: every two-piece cut (a stride past max_cuts), one
   byte at a time, and random multi-piece cuts. One check each, naming the first cut that
   differs. Digest of the whole run goes to the golden file under key. */
static void split_case(const char *key, const char *in, size_t len, const option_set *set,
                       int randoms)
{
    ddbs_options o = options_of(set);
    outcome whole = feed_whole(in, len, &o), r;
    const char *why = NULL;
    size_t cut, stride = len <= max_cuts ? 1 : (len + max_cuts - 1) / max_cuts, cuts[32];
    char d[512];
    int k;
    digest(&whole, d);
    gold(key, d);
    check(!whole.bad && !whole.not_sticky, "%s: broken sink call or record, or error not sticky",
          key);
    for (cut = 1; cut < len && !why; cut += stride) {
        r = feed(in, len, &o, &cut, 1, 0, NULL, NULL);
        why = differs(&whole, &r);
    }
    check(!why, "%s: two pieces cut at byte %llu: %s differs", key, ULL(cut - stride), why);
    r = feed(in, len, &o, NULL, 0, 1, NULL, NULL);
    why = differs(&whole, &r);
    check(!why, "%s: byte by byte: %s differs", key, why);
    rng_state = fnv(FNV_OFF, key, strlen(key)) | 1u;
    for (k = 0, why = NULL; len > 2 && k < randoms && !why; k++) {
        size_t n = 2 + (size_t)(rng() % 30u), j, m = 0;
        for (j = 0; j < n; j++) cuts[j] = 1 + (size_t)(rng() % (len - 1));
        qsort(cuts, n, sizeof cuts[0], cmp_size);
        for (j = 0; j < n; j++)
            if (m == 0 || cuts[j] != cuts[m - 1]) cuts[m++] = cuts[j];
        r = feed(in, len, &o, cuts, m, 0, NULL, NULL);
        why = differs(&whole, &r);
    }
    check(!why, "%s: random cuts #%d: %s differs", key, k - 1, why);
}

/* ----------------------------------------------------------------- sample files ------ */

static const char *data_dir = "tests/data", *expected_dir = "tests/expected";

static char *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0, got;
    if (!f) return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap * 2 + 8192;
            b = (char *)xrealloc(b, cap);
        }
        got = fread(b + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static char **sample;
static size_t n_samples, samples_cap;

static void walk(const char *rel)
{
    char path[2048], sub[1024];
    DIR *d;
    struct dirent *e;
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (!(d = opendir(path))) return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        size_t nl = strlen(e->d_name);
        if (e->d_name[0] == '.') continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(path, sizeof path, "%s/%s", data_dir, sub);
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            walk(sub);
        } else if (nl > 5 && strcmp(e->d_name + nl - 5, ".json") == 0) {
            if (n_samples == samples_cap) {
                samples_cap = samples_cap * 2 + 64;
                sample = (char **)xrealloc(sample, samples_cap * sizeof *sample);
            }
            sample[n_samples++] = xstrdup(sub);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *load_sample(const char *rel, size_t *len)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    return load_file(path, len);
}

/* Default options against tests/expected: a file for every sample with lines, byte for
   byte; no file means no line. */
static void sample_expected(const char *rel, const char *in, size_t len)
{
    ddbs_options o;
    char path[2048], *out, *want;
    size_t out_len, want_len = 0;
    outcome r;
    memset(&o, 0, sizeof o);
    r = feed(in, len, &o, NULL, 0, 0, &out, &out_len);
    snprintf(path, sizeof path, "%s/%s.ndjson", expected_dir, rel);
    want = load_file(path, &want_len);
    if (want)
        check(out_len == want_len && memcmp(out, want, want_len) == 0,
              "%s: output differs from %s (%llu bytes, want %llu)", rel, path, ULL(out_len),
              ULL(want_len));
    else
        check(r.calls == 0, "%s: %llu lines but no %s", rel, ULL(r.calls), path);
    free(want);
    free(out);
}

/* ----------------------------------------------------------------- chunker ----------- */

typedef struct objects {
    uint64_t hash;            /* names and bytes of every object, in order */
    char *all;                /* the objects' bytes joined, less their headers */
    size_t all_len, all_cap, n, hlen;
    int bad_name;             /* a name with a character object stores would not like */
    char first_name[600];
} objects;

static int on_flush(void *user, const char *name, const char *data, size_t len)
{
    objects *ob = (objects *)user;
    size_t nl = strlen(name), i;
    for (i = 0; i < nl; i++) {
        char ch = name[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              ch == '-' || ch == '_' || ch == '/' || ch == '.' || ch == '~'))
            ob->bad_name = 1;
    }
    if (!ob->n && nl < sizeof ob->first_name) memcpy(ob->first_name, name, nl + 1);
    ob->hash = fnv(fnv(ob->hash, name, nl + 1), data, len);
    if (len < ob->hlen) {
        ob->bad_name = 1;
        return 0;
    }
    data += ob->hlen;
    len -= ob->hlen;
    if (ob->all_len + len > ob->all_cap) {
        ob->all_cap = (ob->all_len + len) * 2;
        ob->all = (char *)xrealloc(ob->all, ob->all_cap);
    }
    memcpy(ob->all + ob->all_len, data, len);
    ob->all_len += len;
    ob->n++;
    return 0;
}

/* A sample through the parser into the chunker (hourly, 2 records or 1 KiB an object):
   the objects joined are the plain run's lines, every name is safe, and the names and
   bytes are the host's. CSV too, with its header in every object. */
static void sample_chunker(const char *rel, const char *in, size_t len, int csv)
{
    static char obj[1024];
    static const char hdr[] = "h1,h2\n";
    ddbs_options o;
    ddbs_chunker_options co;
    ddbs_chunker c;
    ddbs_parser p;
    objects ob;
    outcome plain;
    char *lines, key[1200], d[400];
    size_t lines_len;
    ddbs_result rc, crc;
    memset(&o, 0, sizeof o);
    if (csv) {
        o.format = DDBS_FORMAT_CSV;
        o.flags = DDBS_F_NO_HEADER;
        o.columns = csv_columns;
        o.ncolumns = 4;
    }
    plain = feed(in, len, &o, NULL, 0, 0, &lines, &lines_len);
    memset(&ob, 0, sizeof ob);
    ob.hash = FNV_OFF;
    ob.hlen = csv ? sizeof hdr - 1 : 0;
    ob.all = xstrdup("");  /* never NULL: memcmp wants a pointer even for 0 bytes */
    memset(&co, 0, sizeof co);
    co.flush = on_flush;
    co.user = &ob;
    co.buf = obj;
    co.buf_size = sizeof obj;
    co.max_object_bytes = sizeof obj;
    co.max_records = 2;
    co.flags = DDBS_CF_HOURLY;
    co.prefix = "t/";
    if (csv) {
        co.ext = "csv";
        co.header = hdr;
        co.header_len = sizeof hdr - 1;
    }
    memset(&c, 0x5A, sizeof c);
    crc = ddbs_chunker_init(&c, &co);
    o.buf = stage;
    o.buf_size = STAGE_SIZE;
    o.on_record = ddbs_chunker_add;
    o.user = &c;
    rc = ddbs_parser_init(&p, &o);
    if (rc == DDBS_OK) rc = ddbs_parser_feed(&p, in, len);
    if (rc == DDBS_OK) rc = ddbs_parser_finish(&p);
    crc = crc == DDBS_OK ? ddbs_chunker_finish(&c) : crc;
    snprintf(key, sizeof key, "chunk%s:%s", csv ? "-csv" : "", rel);
    /* a line over 1 KiB stops the run; up to there, the objects hold the lines in order */
    if (crc == DDBS_OK)
        check(rc == plain.rc && ob.all_len == lines_len && memcmp(ob.all, lines, lines_len) == 0,
              "%s: objects do not join to the plain run's output", key);
    else
        check(rc == DDBS_E_SINK && crc == DDBS_E_OBJECT_TOO_BIG && ob.all_len <= lines_len &&
              memcmp(ob.all, lines, ob.all_len) == 0, "%s: chunker error %s", key,
              ddbs_strerror(crc));
    check(!ob.bad_name, "%s: unsafe object name", key);
    check((crc != DDBS_OK || c.records == p.records_out) && c.objects == ob.n,
          "%s: chunker counters", key);
    sprintf(d, "%s %s objects=%llu records=%llu bytes=%llu err_rec=%llu seq=%s #%016llx",
            ddbs_strerror(rc), ddbs_strerror(crc), ULL(c.objects), ULL(c.records),
            ULL(c.bytes), ULL(c.error_record), crc ? c.error_sequence : "-", ULL(ob.hash));
    gold(key, d);
    free(lines);
    free(ob.all);
}

/* A record with only what the chunker reads. */
static ddbs_record rec_of(const char *line, const char *seq, const char *id, const char *time,
                          uint32_t unit, uint64_t index)
{
    ddbs_record r;
    memset(&r, 0, sizeof r);
    r.line = line;
    r.line_len = strlen(line);
    r.event = DDBS_EV_INSERT;
    r.sequence = seq;
    r.sequence_len = strlen(seq);
    r.event_id = id;
    r.event_id_len = strlen(id);
    r.time = time;
    r.time_len = strlen(time);
    r.time_unit = unit;
    r.index = index;
    return r;
}

typedef struct names {
    char list[8][600];
    size_t n;
} names;

static int keep_name(void *user, const char *name, const char *data, size_t len)
{
    names *nm = (names *)user;
    (void)data;
    (void)len;
    if (nm->n < 8) snprintf(nm->list[nm->n], sizeof nm->list[0], "%s", name);
    nm->n++;
    return 0;
}

/* Names worked out by hand from the time (year 10000, 146 billion) and the keys (a 64-bit
   index, ids out of order): they exercise ddbs_civil and the decimal writer past 32 bits. */
static void chunker_names(void)
{
    static char obj[256];
    static const struct { const char *seq, *id, *time; uint32_t unit; uint64_t index; } in[] = {
        { "100", "", "1480642020", 0, 0 },                  /* 2016-12-02 01:27:00 */
        { "101", "", "\"1480643999.999\"", 0, 1 },          /* 01:59:59, quoted, a fraction */
        { "102", "", "1480644000000", 0, 2 },               /* ms: 02:00, the next hour */
        { "103", "", "253402300800", 1, 3 },                /* 10000-01-01 00:00 */
        { "104", "", "4611686018427387903", 1, 4 },         /* INT64_MAX / 2 seconds */
        { "105", "", "\"4611686018427387903\"", 1, 5 },     /* the same hour */
        { "", "", "garbage", 0, 18446744073709551615u },    /* undated; key: the index */
        { "", "id-b", "", 0, 7 },                           /* ids: names get the ordinal */
        { "", "id-a", "", 0, 8 },
    };
    /* An object closes on a new hour or its third record; the ordinal (~n) joins the name
       from the first flush after a record without a sequence number. */
    static const char *const want[] = {
        "2016/12/02/01/100-101.ndjson",
        "2016/12/02/02/102-102.ndjson",
        "10000/01/01/00/103-103.ndjson",
        "146138514283/06/19/07/104-105~3.ndjson",
        "undated/18446744073709551615-id-b~4.ndjson",
        "undated/id-a-id-a~5.ndjson",
    };
    ddbs_chunker_options co;
    ddbs_chunker c;
    names nm;
    size_t k;
    int ok = 1;
    memset(&nm, 0, sizeof nm);
    memset(&co, 0, sizeof co);
    co.flush = keep_name;
    co.user = &nm;
    co.buf = obj;
    co.buf_size = sizeof obj;
    co.max_object_bytes = sizeof obj;
    co.max_records = 2;
    co.flags = DDBS_CF_HOURLY;
    check(ddbs_chunker_init(&c, &co) == DDBS_OK, "chunker names: init");
    for (k = 0; k < sizeof in / sizeof in[0]; k++) {
        ddbs_record r = rec_of("{}\n", in[k].seq, in[k].id, in[k].time, in[k].unit, in[k].index);
        ok &= ddbs_chunker_add(&c, &r) == 1;
    }
    check(ok && ddbs_chunker_finish(&c) == DDBS_OK, "chunker names: add/finish failed");
    check(nm.n == sizeof want / sizeof want[0], "chunker names: %llu objects, want %llu",
          ULL(nm.n), ULL(sizeof want / sizeof want[0]));
    for (k = 0; k < nm.n && k < sizeof want / sizeof want[0]; k++)
        check(strcmp(nm.list[k], want[k]) == 0, "chunker names: object %llu is %s, want %s",
              ULL(k), nm.list[k], want[k]);
    /* a line larger than an object: the error names its key (a 20-digit index) */
    {
        static char big[300];
        ddbs_record r;
        memset(big, 'x', sizeof big - 2);
        big[sizeof big - 2] = '\n';
        r = rec_of(big, "", "", "", 0, 12345678901234567890u);
        memset(&nm, 0, sizeof nm);
        co.max_records = 0;
        ddbs_chunker_init(&c, &co);
        check(ddbs_chunker_add(&c, &r) == -1 && c.error == DDBS_E_OBJECT_TOO_BIG &&
              c.error_record == 12345678901234567890u &&
              strcmp(c.error_sequence, "12345678901234567890") == 0,
              "chunker: too big line: %s, record %llu, key %s", ddbs_strerror(c.error),
              ULL(c.error_record), c.error_sequence);
    }
}

/* ----------------------------------------------------------------- time ------------- */

/* Expected values from Python's datetime plus the 400-year cycle for years past 9999. */
static void time_cases(void)
{
    static const struct { const char *text; uint32_t unit; int rc; int64_t secs; } ts[] = {
        { "0", 0, 0, 0 },
        { "1480642020", 0, 0, 1480642020 },
        { "\"1480642020\"", 0, 0, 1480642020 },
        { "1.635734407123456789E9", 0, 0, 1635734407 },
        { "1.46480646E9", 0, 0, 1464806460 },
        { "1693997155.0", 0, 0, 1693997155 },
        { "1731924555370", 0, 0, 1731924555 },                /* ms, by size */
        { "1721011165891550", 0, 0, 1721011165 },             /* us, by size */
        { "999999999999", 0, 0, 999999999999 },               /* largest "seconds" */
        { "1000000000000", 0, 0, 1000000000 },                /* smallest "ms" */
        { "999999999999999", 0, 0, 999999999999 },
        { "1000000000000000", 0, 0, 1000000000 },             /* smallest "us" */
        { "4294967295", 0, 0, 4294967295 },
        { "4294967296", 0, 0, 4294967296 },
        { "18446744073709551609", 0, 0, 18446744073709 },
        { "18446744073709551615", 0, 0, 18446744073709 },     /* UINT64_MAX us */
        { "18446744073709551616", 0, -1, 0 },                 /* past UINT64_MAX */
        { "4611686018427387903", 1, 0, 4611686018427387903 }, /* INT64_MAX / 2 */
        { "4611686018427387904", 1, -1, 0 },
        { "1480642020000", 1000, 0, 1480642020 },
        { "1480642020", 1000, 0, 1480642 },                   /* a unit given is obeyed */
        { "1480642020123456", 1000000, 0, 1480642020 },
        { "1E3", 0, 0, 1000 },
        { "1e-3", 0, 0, 0 },
        { "15e-1", 0, 0, 1 },
        { "0.000001e+6", 0, 0, 1 },
        { "0E99999", 0, 0, 0 },
        { "1e19", 0, 0, 10000000000000 },
        { "1e20", 0, -1, 0 },
        { "1e100000000", 0, -1, 0 },
        { ".5", 0, 0, 0 },
        { "5.", 0, 0, 5 },
        { "-1", 0, -1, 0 },
        { "", 0, -1, 0 },
        { "\"\"", 0, -1, 0 },
        { ".", 0, -1, 0 },
        { "1.2.3", 0, -1, 0 },
        { "1e", 0, -1, 0 },
        { "1e+", 0, -1, 0 },
        { "1x", 0, -1, 0 },
        { "12 ", 0, -1, 0 },
        { "123456789012345678901234", 0, -1, 0 },
    };
    static const struct { int64_t secs, year; int month, day, hour; } cs[] = {
        { 0, 1970, 1, 1, 0 },
        { 86399, 1970, 1, 1, 23 },
        { 86400, 1970, 1, 2, 0 },
        { 951782400, 2000, 2, 29, 0 },
        { 951868800, 2000, 3, 1, 0 },
        { 4107542399, 2100, 2, 28, 23 },
        { 4107542400, 2100, 3, 1, 0 },
        { 1480642020, 2016, 12, 2, 1 },
        { 2147483647, 2038, 1, 19, 3 },
        { 4294967295, 2106, 2, 7, 6 },
        { 4294967296, 2106, 2, 7, 6 },
        { 12622780799, 2369, 12, 31, 23 },   /* the end of the first 400-year era after 1970 */
        { 12622780800, 2370, 1, 1, 0 },
        { 253402300799, 9999, 12, 31, 23 },
        { 253402300800, 10000, 1, 1, 0 },
        { 371085174374400, 11761191, 1, 21, 0 },
        { 4611686018427387903, 146138514283, 6, 19, 7 },
        { 9223372036854775807, 292277026596, 12, 4, 15 },
    };
    size_t k;
    int64_t s;
    for (k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        int rc;
        s = -7;
        rc = ddbs_time_seconds(ts[k].text, strlen(ts[k].text), ts[k].unit, &s);
        check(rc == ts[k].rc && (rc != 0 || s == ts[k].secs),
              "ddbs_time_seconds(%s, %u): %d %lld, want %d %lld", ts[k].text,
              (unsigned)ts[k].unit, rc, (long long)s, ts[k].rc, (long long)ts[k].secs);
    }
    check(ddbs_time_seconds(NULL, 3, 0, &s) == -1 && ddbs_time_seconds("1", 1, 0, NULL) == -1,
          "ddbs_time_seconds: NULL arguments");
    /* the length is obeyed: no NUL needed, bytes past it unread */
    check(ddbs_time_seconds("1234567", 3, 0, &s) == 0 && s == 123, "ddbs_time_seconds: length");
    for (k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        int64_t y = -1;
        int mo = -1, da = -1, h = -1;
        ddbs_civil(cs[k].secs, &y, &mo, &da, &h);
        check(y == cs[k].year && mo == cs[k].month && da == cs[k].day && h == cs[k].hour,
              "ddbs_civil(%lld): %lld-%d-%d %d, want %lld-%d-%d %d", (long long)cs[k].secs,
              (long long)y, mo, da, h, (long long)cs[k].year, cs[k].month, cs[k].day,
              cs[k].hour);
    }
    /* every day of 1970..2400 at noon against a day counter walked by hand */
    {
        static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int64_t y = 1970, day = 0;
        int m = 1, d = 1, bad = 0;
        while (y < 2400 && !bad) {
            int64_t gy;
            int gm, gd, gh;
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            ddbs_civil(day * 86400 + 43200, &gy, &gm, &gd, &gh);
            if (gy != y || gm != m || gd != d || gh != 12) bad = 1;
            day++;
            if (++d > mdays[m - 1] + (m == 2 && leap)) {
                d = 1;
                if (++m > 12) {
                    m = 1;
                    y++;
                }
            }
        }
        check(!bad, "ddbs_civil: day %lld is not %lld-%d-%d", (long long)day - 1, (long long)y,
              m, d);
    }
}

/* ----------------------------------------------------------------- generated inputs -- */

static char *b64(const char *src, size_t n, int escape_slash)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)src;
    char *d = (char *)xrealloc(NULL, (n + 2) / 3 * 8 + 1), *o = d;
    size_t i;
    for (i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)s[i] << 16;
        char g[4];
        int j;
        if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        g[0] = digits[(v >> 18) & 63];
        g[1] = digits[(v >> 12) & 63];
        g[2] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        g[3] = i + 2 < n ? digits[v & 63] : '=';
        for (j = 0; j < 4; j++) {
            if (escape_slash && g[j] == '/') *o++ = '\\';  /* some encoders write \/ */
            *o++ = g[j];
        }
    }
    *o = 0;
    return d;
}

/* A growing text. */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->s = (char *)xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = 0;
}

static void adds(text *t, const char *s) { add(t, s, strlen(s)); }

static void addrep(text *t, const char *s, size_t times)
{
    while (times--) adds(t, s);
}

/* Writes ' as ": the inputs below stay readable. */
static void addq(text *t, const char *s)
{
    for (; *s; s++) add(t, *s == '\'' ? "\"" : s, 1);
}

/* Hand-written inputs: each shows one thing that could depend on byte order, word size or
   where a chunk ends. ' stands for ". */
static const char *const tricky[] = {
    /* escapes everywhere: keys, values, metadata; a surrogate pair and a lone one */
    "{'eventName':'INSERT','eventID':'\\u00e9\\\"q','dynamodb':{'Keys':{'k\\u0041':{'S':"
    "'\\ud83d\\ude00\\n\\t\\\\\\/\\b\\f\\r\\u0000'}},'NewImage':{'s':{'SS':['\\udc00x','a']}}}}",
    /* UTF-8 of each length in names, values, skipped fields and userIdentity */
    "{'Records':[{'eventName':'MODIFY','eventID':'\xE2\x82\xAC','userIdentity':{'type':'Service',"
    "'\xC3\xA9':'\xF0\x9F\x98\x80'},'skip\xF4\x8F\xBF\xBF':1,'dynamodb':{'Keys':{'\xC3\xA9':"
    "{'S':'\xE2\x82\xAC\xF0\x9F\x98\x80\xC2\x80'}},'OldImage':{'a':{'L':[{'S':'\xEF\xBF\xBF'}]}}}}]}",
    /* numbers of every shape, and an ACDT with 19 significant digits */
    "{'Records':[{'eventName':'MODIFY','dynamodb':{'ApproximateCreationDateTime':"
    "1.635734407123456789E9,'NewImage':{'a':{'N':'-0.0'},'b':{'N':'12345678901234567890123456789012345678'},"
    "'c':{'NS':['1E-130','9.9999999999999999999999999999999999999E+125','-5e3']}},'SizeBytes':"
    "18446744073709551616},'x':[0,-0,1e5,2E+3,3.25,-7e-2]}]}",
    /* literals, nulls where objects are expected, a TTL removal */
    "{'eventName':'REMOVE','userIdentity':{'type':'Service','principalId':'dynamodb.amazonaws.com'},"
    "'t':[true,false,null],'dynamodb':{'Keys':{'k':{'N':'1'}},'OldImage':{'b':{'BOOL':true},"
    "'c':{'BOOL':false},'d':{'NULL':true},'e':{'L':[{'NULL':true},{'M':{}}]}},'NewImage':null}}",
    /* BOM, blank lines, NDJSON, pretty printed with CRLF, documents back to back */
    "\xEF\xBB\xBF\r\n\n{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'1'}}}}]}\n"
    "{\r\n  'eventName' : 'MODIFY' ,\r\n  'dynamodb' : { 'NewImage' : { 'k' : { 'N' : '2' } } }\r\n}"
    "{'eventName':'REMOVE','dynamodb':{'OldImage':{'k':{'B':'AA=='},'bs':{'BS':['QQ==','QUI=']}}}}\t \n",
    /* metadata after the images; time as a string; a GetRecords response; tumbling window */
    "{'dynamodb':{'OldImage':{'o':{'S':'c'}},'ApproximateCreationDateTime':'1.46480646E9',"
    "'Keys':{'k':{'S':'a'}},'SequenceNumber':'000099'},'eventID':'e','eventName':'REMOVE'}"
    "{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'Id':{'N':'101'}}}}],"
    "'NextShardIterator':'x|1|A'}{'Records':[],'window':{'start':'2020-07-30T17:00:00Z'},"
    "'state':{'1':'s'},'isFinalInvokeForWindow':false}",
    /* CSV cells that need quotes, doubled quotes, the formula guard, raw newlines */
    "{'eventName':'INSERT','dynamodb':{'NewImage':{'a':{'S':'=1+1'},'k':{'S':'x,\\\"y\\\"\\nz'},"
    "'Id':{'N':'-3'},'Message':{'M':{'q':{'S':'\\u0027'}}},'\xC3\xA9':{'S':'@'}}}}",
    /* export lines, full and incremental */
    "{'Item':{'pk':{'S':'a'},'n':{'N':'1'}}}\n{'Metadata':{'WriteTimestampMicros':"
    "{'N':'1721011165891550'}},'Keys':{'pk':{'S':'b'}},'OldImage':{'pk':{'S':'c'}}}\n",
    /* errors, each after a good record */
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':[1,]}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':012}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\\q'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\\u0G00'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xC0\x80'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xED\xB0\x80'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xF4\x90\x80\x80'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'N':'1.5e'}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'B':'QQ='}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'S':'x','N':'1'}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'UPSERT',"
    "'dynamodb':{}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'a':1}\n[1]\n"
    "{'eventName':'REMOVE','dynamodb':{'Keys':7}}\n{'eventName':'REMOVE','dynamodb':{}}",
    /* the input stops inside a string, an escape, a number, a literal, UTF-8, the BOM */
    "{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}},{'eventName':'INS",
    "{'Records':[],'x':'\\u00",
    "{'Records':[],'x':-12.5e",
    "{'Records':[],'x':tru",
    "{'Records':[],'x':'\xF0\x9F\x98",
    "\xEF\xBB",
};

/* Payload documents for Kinesis and Firehose events. */
static const char kds_doc[] =
    "{'awsRegion':'eu-west-1','eventID':'k1','eventName':'REMOVE','userIdentity':{'type':"
    "'Service','principalId':'dynamodb.amazonaws.com'},'recordFormat':'application/json',"
    "'tableName':'T','dynamodb':{'ApproximateCreationDateTime':1721011165891550,"
    "'ApproximateCreationDateTimePrecision':'MICROSECOND','Keys':{'id':{'S':'\xF0\x9F\x98\x80'}},"
    "'OldImage':{'id':{'S':'1'},'n':{'N':'-5e3'}},'SizeBytes':60},'eventSource':'aws:dynamodb'}";
static const char two_docs[] =
    "{'eventName':'MODIFY','dynamodb':{'NewImage':{'a':{'S':'x?>'}},'Keys':{'a':{'N':'1'}}}}\n"
    "{'eventName':'INSERT','dynamodb':{'Keys':{'a':{'N':'2'}},'NewImage':{'a':{'N':'2'}}}}";
static const char bad_doc[] =
    "{'eventName':'MODIFY','dynamodb':{'NewImage':{'a':{'S':'x'}}}}\n"
    "{'eventName':'INSERT','dynamodb':{'Keys':{'a':{'N':'02'}}}}";
static const char cut_doc[] = "{'eventName':'MODIFY','dynamodb':{";
static const char filtered_doc[] = "{'eventName':'INSERT','dynamodb':{'Keys':{'a':{'N':'3'}}}}";

/* ' to " in a fresh string. */
static char *unq(const char *s)
{
    text t;
    memset(&t, 0, sizeof t);
    addq(&t, s);
    return t.s ? t.s : xstrdup("");
}

/* A payload field: base64 of the document with ' made ". */
static void add_payload(text *t, const char *doc, int escape)
{
    char *plain = unq(doc), *enc = b64(plain, strlen(plain), escape);
    adds(t, enc);
    free(enc);
    free(plain);
}

/* Inputs made by code: nesting at and past the limit, lines and fields over their room,
   Kinesis and Firehose events with base64 payloads (good, bad, cut). NULL after the last. */
static char *generated(int k, size_t *len)
{
    text t;
    memset(&t, 0, sizeof t);
    switch (k) {
    case 0: case 1:  /* DDBS_MAX_DEPTH levels, then one too many */
        adds(&t, "{\"Records\":[],\"x\":");
        addrep(&t, "[", (size_t)(DDBS_MAX_DEPTH - 1 + k));
        addrep(&t, "]", (size_t)(DDBS_MAX_DEPTH - 1 + k));
        adds(&t, "}");
        break;
    case 2:  /* 32 levels of M: DynamoDB's own limit */
        adds(&t, "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":");
        addrep(&t, "{\"M\":{\"m\":", 32);
        adds(&t, "{\"L\":[{\"N\":\"1\"},{\"NULL\":true}]}");
        addrep(&t, "}}", 32);
        adds(&t, "}}}");
        break;
    case 3:  /* a line too big for DDBS_MIN_BUF between two small ones */
        adds(&t, "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}\n"
                 "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":{\"S\":\"");
        addrep(&t, "0123456789abcdefghijklmnopqrstuvwxyz\\u00e9", 130);
        adds(&t, "\"}}}}\n{\"eventName\":\"REMOVE\",\"dynamodb\":{\"Keys\":{\"k\":{\"N\":\"9\"}}}}");
        break;
    case 4:  /* metadata over its room: a long eventID, a long time */
        adds(&t, "{\"eventName\":\"INSERT\",\"eventID\":\"");
        addrep(&t, "0123456789", 20);
        adds(&t, "\",\"dynamodb\":{}}\n{\"eventName\":\"INSERT\",\"dynamodb\":"
                 "{\"ApproximateCreationDateTime\":");
        addrep(&t, "7", 100);
        adds(&t, "}}");
        break;
    case 5:  /* a Lambda Kinesis event: a KDS record, and one whose base64 has \/ */
        adds(&t, "{\"Records\":[{\"kinesis\":{\"partitionKey\":\"p\",\"data\":\"");
        add_payload(&t, kds_doc, 0);
        adds(&t, "\",\"approximateArrivalTimestamp\":1.5},\"eventName\":\"aws:kinesis:record\"},"
                 "{\"kinesis\":{\"data\":\"");
        add_payload(&t, two_docs, 1);
        adds(&t, "\"},\"eventName\":\"aws:kinesis:record\"}]}");
        break;
    case 6:  /* a Firehose event: good, bad JSON, bad base64, cut, filtered-out parts */
        adds(&t, "{\"invocationId\":\"i\",\"records\":[{\"recordId\":\"r1\",\"data\":\"");
        add_payload(&t, two_docs, 0);
        adds(&t, "\"},{\"recordId\":\"r2\",\"data\":\"");
        add_payload(&t, bad_doc, 1);
        adds(&t, "\"},{\"recordId\":\"r3\",\"data\":\"!AAA\"},{\"recordId\":\"r4\",\"data\":\"");
        add_payload(&t, cut_doc, 0);
        adds(&t, "\"},{\"recordId\":\"r\\u0035\",\"data\":\"");
        add_payload(&t, kds_doc, 0);
        adds(&t, "\"}]}");
        break;
    case 7:  /* the input ends inside a payload */
        adds(&t, "{\"records\":[{\"recordId\":\"r1\",\"data\":\"");
        add_payload(&t, two_docs, 0);
        t.n -= 6;
        break;
    default:
        return NULL;
    }
    *len = t.n;
    return t.s;
}

static void tricky_cases(void)
{
    size_t k, s, len;
    char key[64], *in;
    int g;
    for (k = 0; k < sizeof tricky / sizeof tricky[0]; k++) {
        in = unq(tricky[k]);
        for (s = 0; s < N_SETS; s++) {
            snprintf(key, sizeof key, "tricky:%llu:%s", ULL(k), sets[s].name);
            split_case(key, in, strlen(in), &sets[s], 8);
        }
        free(in);
    }
    for (g = 0; (in = generated(g, &len)) != NULL; g++) {
        for (s = 0; s < N_SETS; s++) {
            snprintf(key, sizeof key, "generated:%d:%s", g, sets[s].name);
            split_case(key, in, len, &sets[s], 8);
        }
        free(in);
    }
}

/* ----------------------------------------------------------------- Firehose response - */

typedef struct response {
    char *s;
    size_t n, calls;
} response;

static int on_response(void *user, const char *data, size_t len)
{
    response *r = (response *)user;
    r->s = (char *)xrealloc(r->s, len + 1);
    memcpy(r->s, data, len);
    r->s[len] = 0;
    r->n = len;
    r->calls++;
    return 0;
}

/* The parser writes the Firehose answer: per part Ok with base64 of exactly the lines the
   same payload gives alone, ProcessingFailed for the broken ones, Dropped when the filter
   (MODIFY only) leaves none. The expected answer is built here from plain runs. */
static void firehose_case(void)
{
    static char resp_buf[16384];
    /* raw: data written as is, not as base64 of doc */
    static const struct { const char *id, *doc, *result; int raw; } part[] = {
        { "r1", two_docs, "Ok", 0 },
        { "r2", bad_doc, "ProcessingFailed", 0 },
        { "r3", filtered_doc, "Dropped", 0 },
        { "r4", cut_doc, "ProcessingFailed", 0 },        /* ends inside a document */
        { "r5", two_docs, "Ok", 0 },
        { "r6", "eyJ", "ProcessingFailed", 1 },          /* ends inside a base64 group */
        { "r7", "e30=!", "ProcessingFailed", 1 },        /* a bad digit after a document */
        { "r\\u0038", two_docs, "Ok", 0 },               /* the id as written, escape kept */
    };
    ddbs_options o;
    ddbs_firehose fh;
    ddbs_parser p;
    response resp;
    text ev, want;
    size_t k;
    ddbs_result rc;
    memset(&ev, 0, sizeof ev);
    memset(&want, 0, sizeof want);
    memset(&resp, 0, sizeof resp);
    memset(&o, 0, sizeof o);
    o.events = DDBS_EV_MODIFY;
    adds(&ev, "{\"invocationId\":\"i\",\"records\":[");
    adds(&want, "{\"records\":[");
    for (k = 0; k < sizeof part / sizeof part[0]; k++) {
        char *doc = unq(part[k].doc), *lines = NULL, *enc;
        size_t lines_len = 0;
        if (!part[k].raw) feed(doc, strlen(doc), &o, NULL, 0, 0, &lines, &lines_len);
        enc = b64(lines, strcmp(part[k].result, "Ok") == 0 ? lines_len : 0, 0);
        adds(&ev, k ? ",{\"recordId\":\"" : "{\"recordId\":\"");
        adds(&ev, part[k].id);
        adds(&ev, "\",\"approximateArrivalTimestamp\":1,\"data\":\"");
        if (part[k].raw) adds(&ev, part[k].doc);
        else add_payload(&ev, part[k].doc, (int)(k & 1u));
        adds(&ev, "\"}");
        adds(&want, k ? ",{\"data\":\"" : "{\"data\":\"");
        adds(&want, enc);
        adds(&want, "\",\"result\":\"");
        adds(&want, part[k].result);
        adds(&want, "\",\"recordId\":\"");
        adds(&want, part[k].id);
        adds(&want, "\"}");
        free(enc);
        free(lines);
        free(doc);
    }
    adds(&ev, "]}");
    adds(&want, "]}\n");
    check(ddbs_firehose_init(&fh, on_response, &resp, resp_buf, sizeof resp_buf) == DDBS_OK,
          "firehose: init");
    o.buf = stage;
    o.buf_size = STAGE_SIZE;
    o.sink = on_response;      /* never called: the records go to the firehose writer */
    o.on_record = ddbs_firehose_add;
    o.on_part = ddbs_firehose_part;
    o.user = &fh;
    rc = ddbs_parser_init(&p, &o);
    /* fed in 7-byte pieces: part boundaries and base64 groups cut every way */
    for (k = 0; rc == DDBS_OK && k < ev.n; k += 7)
        rc = ddbs_parser_feed(&p, ev.s + k, ev.n - k < 7 ? ev.n - k : 7);
    if (rc == DDBS_OK) rc = ddbs_parser_finish(&p);
    check(rc == DDBS_OK, "firehose: parser %s at %llu", ddbs_strerror(rc), ULL(p.error_offset));
    check(ddbs_firehose_finish(&fh) == DDBS_OK && fh.ok == 3 && fh.failed == 4 &&
          fh.dropped == 1, "firehose: finish, ok %u failed %u dropped %u", fh.ok, fh.failed,
          fh.dropped);
    check(resp.calls == 1 && resp.n == want.n && memcmp(resp.s, want.s, want.n) == 0,
          "firehose: response\n  got:  %s  want: %s", resp.s ? resp.s : "(none)", want.s);
    {
        char d[100];
        sprintf(d, "bytes=%llu #%016llx", ULL(resp.n), ULL(fnv(FNV_OFF, resp.s, resp.n)));
        gold("firehose", d);
    }
    free(resp.s);
    free(ev.s);
    free(want.s);
}

/* ----------------------------------------------------------------- batch writer ------ */

typedef struct bodies {
    uint64_t hash;
    size_t n;
    int bad;
} bodies;

static int on_body(void *user, const char *data, size_t len)
{
    static const char lead[] = "{\"RequestItems\":{\"portable_t\":[";
    bodies *b = (bodies *)user;
    if (len < sizeof lead || memcmp(data, lead, sizeof lead - 1) != 0 || data[len - 1] != '\n' ||
        memchr(data, '\n', len - 1) || memcmp(data + len - 4, "]}}\n", 4) != 0)
        b->bad = 1;
    b->hash = fnv(b->hash, data, len);
    b->n++;
    return 0;
}

/* A sample in typed form into BatchWriteItem bodies (small bodies, so several). */
static void sample_batch(const char *rel, const char *in, size_t len, uint32_t flags)
{
    static char body[4096];
    ddbs_options o;
    ddbs_batch_options bo;
    ddbs_batch b;
    ddbs_parser p;
    bodies out;
    ddbs_result rc, brc;
    char key[1200], d[300];
    memset(&out, 0, sizeof out);
    out.hash = FNV_OFF;
    memset(&bo, 0, sizeof bo);
    bo.sink = on_body;
    bo.user = &out;
    bo.buf = body;
    bo.buf_size = sizeof body;
    bo.table = "portable_t";
    bo.flags = flags;
    brc = ddbs_batch_init(&b, &bo);
    memset(&o, 0, sizeof o);
    o.format = DDBS_FORMAT_DDB;
    o.buf = stage;
    o.buf_size = STAGE_SIZE;
    o.on_record = ddbs_batch_add;
    o.user = &b;
    rc = ddbs_parser_init(&p, &o);
    if (rc == DDBS_OK) rc = ddbs_parser_feed(&p, in, len);
    if (rc == DDBS_OK) rc = ddbs_parser_finish(&p);
    if (brc == DDBS_OK) brc = ddbs_batch_finish(&b);
    snprintf(key, sizeof key, "batch%s:%s", flags ? "-delete" : "", rel);
    check(!out.bad && out.n == b.bodies, "%s: a body is not one BatchWriteItem line", key);
    check(brc != DDBS_OK || b.requests == p.records_out, "%s: %llu requests for %llu records",
          key, ULL(b.requests), ULL(p.records_out));
    sprintf(d, "%s %s bodies=%llu requests=%llu err_rec=%llu #%016llx", ddbs_strerror(rc),
            ddbs_strerror(brc), ULL(b.bodies), ULL(b.requests), ULL(b.error_record),
            ULL(out.hash));
    gold(key, d);
}

/* ----------------------------------------------------------------- CSV by hand ------- */

/* A few CSV lines checked byte for byte, so a wrong quoting rule on one target cannot hide
   behind a digest that only says "different". */
static void csv_cases(void)
{
    static const char *const cols[] = { "eventName", "a", "k", "Id", "Message" };
    static const struct { const char *in; uint32_t flags; const char *want; } cs[] = {
        { "{'eventName':'INSERT','dynamodb':{'NewImage':{'a':{'S':'=1+1'},'k':{'S':"
          "'x,\\\"y\\\"\\nz'},'Id':{'N':'-3'},'Message':{'L':[{'S':'q'},{'NULL':true}]}}}}",
          DDBS_F_CSV_SAFE,
          "eventName,a,k,Id,Message\nINSERT,'=1+1,\"x,\"\"y\"\"\nz\",-3,\"[\"\"q\"\",null]\"\n" },
        { "{'eventName':'REMOVE','dynamodb':{'OldImage':{'a':{'BOOL':false},'Id':{'N':'1e3'}}}}",
          DDBS_F_CRLF | DDBS_F_NO_HEADER, "REMOVE,false,,1e3,\r\n" },
        { "{'eventName':'MODIFY','dynamodb':{'NewImage':{'k':{'B':'QUI='},'a':{'NULL':true}}}}",
          DDBS_F_NO_HEADER, "MODIFY,,QUI=,,\n" },
    };
    size_t k;
    for (k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        ddbs_options o;
        char *in = unq(cs[k].in), *out = NULL;
        size_t out_len = 0;
        outcome r;
        memset(&o, 0, sizeof o);
        o.format = DDBS_FORMAT_CSV;
        o.flags = cs[k].flags;
        o.columns = cols;
        o.ncolumns = 5;
        r = feed(in, strlen(in), &o, NULL, 0, 0, &out, &out_len);
        check(r.rc == DDBS_OK && strcmp(out, cs[k].want) == 0, "csv %llu: %s\n  got:  %s  want: %s",
              ULL(k), ddbs_strerror(r.rc), out, cs[k].want);
        free(out);
        free(in);
    }
    {
        ddbs_options o;
        char hdr[64];
        size_t n;
        memset(&o, 0, sizeof o);
        o.columns = cols;
        o.ncolumns = 5;
        o.flags = DDBS_F_CRLF;
        n = ddbs_csv_header(&o, hdr, sizeof hdr);
        check(n == 26 && memcmp(hdr, "eventName,a,k,Id,Message\r\n", 26) == 0,
              "ddbs_csv_header: %llu bytes, want 26", ULL(n));
        /* too small: the length still comes back, and nothing is written past cap */
        memset(hdr, 'Z', sizeof hdr);
        n = ddbs_csv_header(&o, hdr, 10);
        check(n == 26 && hdr[10] == 'Z' && hdr[25] == 'Z', "ddbs_csv_header: small cap");
    }
}

/* ----------------------------------------------------------------- main ------------- */

int main(int argc, char **argv)
{
    const char *gold_in = NULL, *gold_path = NULL;
    size_t k, s;
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (i + 1 < argc && strcmp(argv[i], "-d") == 0) data_dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-e") == 0) expected_dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-w") == 0) gold_path = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-g") == 0) gold_in = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) max_cuts = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [-d DATA] [-e EXPECTED] [-w GOLDEN_OUT] [-g GOLDEN_IN] "
                            "[-c MAXCUTS] [-v]\n", argv[0]);
            return 2;
        }
    }
    if (max_cuts == 0) max_cuts = 1;
    if (gold_in && gold_load(gold_in) != 0) {
        fprintf(stderr, "runner: cannot read %s\n", gold_in);
        return 2;
    }
    if (gold_path && !(gold_out = fopen(gold_path, "w"))) {
        fprintf(stderr, "runner: cannot write %s\n", gold_path);
        return 2;
    }
    {
        /* what this machine is, so a log shows the emulated target really ran */
        const uint32_t one = 1;
        unsigned char first;
#ifdef DDBS__SSE2
        const char *scanner = "SSE2 scanner";
#else
        const char *scanner = "portable scanner";
#endif
        memcpy(&first, &one, 1);
        printf("runner: %u-bit pointers, %s-endian, %s\n", (unsigned)(sizeof(void *) * 8),
               first ? "little" : "big", scanner);
    }
    walk("");
    if (n_samples) qsort(sample, n_samples, sizeof *sample, cmp_str);
    check(n_samples > 0, "no *.json samples under %s", data_dir);

    time_cases();
    chunker_names();
    csv_cases();
    firehose_case();
    tricky_cases();
    for (k = 0; k < n_samples; k++) {
        size_t len;
        char *in = load_sample(sample[k], &len), key[1200];
        check(in != NULL, "cannot read %s/%s", data_dir, sample[k]);
        if (!in) continue;
        sample_expected(sample[k], in, len);
        for (s = 0; s < N_SETS; s++) {
            snprintf(key, sizeof key, "sample:%s:%s", sample[k], sets[s].name);
            split_case(key, in, len, &sets[s], s == 0 ? 8 : 2);
        }
        sample_chunker(sample[k], in, len, 0);
        sample_chunker(sample[k], in, len, 1);
        sample_batch(sample[k], in, len, 0);
        sample_batch(sample[k], in, len, DDBS_BF_DELETE);
        free(in);
    }
    if (gold_n)
        check(gold_used > 0, "the golden file matched no case");
    if (gold_out && fclose(gold_out) != 0) check(0, "cannot write %s", gold_path);
    printf("portable: %lu passed, %lu failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
