/* Shared by the fuzz targets: options taken from the input's first bytes, a run of the parser
   over chosen pieces that keeps everything it reports, and checks that abort on a broken
   promise. Each target is one .c file that includes this (it holds the implementation), so
   libFuzzer builds and fuzz/replay.c builds link the same way. */
#ifndef DDBS_FUZZ_H
#define DDBS_FUZZ_H

#define DDBSTREAM_IMPLEMENTATION
#include "../ddbstream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then abort so libFuzzer (or replay) reports a crash. */
#define FZ_CHECK(cond, what) \
    do { if (!(cond)) fz_fail(__FILE__, __LINE__, #cond, (what)); } while (0)

static inline void fz_fail(const char *file, int line, const char *cond, const char *what)
{
    fprintf(stderr, "\nfuzz invariant broken at %s:%d: %s\n  (%s)\n", file, line, what, cond);
    abort();
}

/* ---- growable byte buffer -------------------------------------------------------------- */

typedef struct fz_buf { char *p; size_t n, cap; } fz_buf;

static inline void fz_reserve(fz_buf *b, size_t more)
{
    if (b->n + more <= b->cap) return;
    b->cap = (b->n + more) * 2 + 64;
    b->p = (char *)realloc(b->p, b->cap);
    if (!b->p) { fputs("fuzz: out of memory\n", stderr); abort(); }
}

static inline void fz_put(fz_buf *b, const void *s, size_t n)
{
    fz_reserve(b, n);
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}

static inline void fz_putz(fz_buf *b, const char *z) { fz_put(b, z, strlen(z)); }

static inline void fz_put_size(fz_buf *b, size_t v) { fz_put(b, &v, sizeof v); }

static inline size_t fz_size_at(const fz_buf *b, size_t k)
{
    size_t v;
    memcpy(&v, b->p + k * sizeof v, sizeof v);
    return v;
}

/* Equal byte strings; memcmp would be handed NULL for empty buffers. */
static inline int fz_eq(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (!an || !memcmp(a, b, an));
}

static inline void fz_buf_free(fz_buf *b) { free(b->p); memset(b, 0, sizeof *b); }

/* A copy of exactly n bytes in its own allocation, so ASan sees any read past the end. */
static inline char *fz_dup(const void *s, size_t n)
{
    char *d = (char *)malloc(n ? n : 1);
    if (!d) abort();
    if (n) memcpy(d, s, n);
    return d;
}

/* ---- options from the first bytes ------------------------------------------------------- */

/* CSV column sets: names found in the samples, the four metadata columns, and names that
   need quoting in the header (comma, quote, CR) or are not ASCII. */
static const char *const fz_cols0[] = { "Id", "Message", "eventName" };
static const char *const fz_cols1[] = { "ApproximateCreationDateTime", "SequenceNumber", "eventID",
                                        "eventName", "Keys", "id", "k", "a" };
static const char *const fz_cols2[] = { "a,b", "q\"x", "\xc3\xa9t\xc3\xa9", "line\r\nbreak", "" };
static const char *const fz_cols3[] = { "id", "n", "s", "b", "m", "l", "ss", "ns", "bs", "bool",
                                        "null", "S", "N", "B" };
static const char *const *const fz_colsets[4] = { fz_cols0, fz_cols1, fz_cols2, fz_cols3 };
static const size_t fz_ncols[4] = { 3, 8, 5, 14 };

/* Staging buffer sizes: roomy, the minimum, just over it, and in between. Small ones make
   DDBS_E_LINE_TOO_BIG frequent, which is where off-by-ones live. */
static const size_t fz_bufsizes[4] = { 65536, DDBS_MIN_BUF, DDBS_MIN_BUF + 1, 6000 };

#define FZ_CONF_BYTES 3

typedef struct fz_conf {
    ddbs_options o;      /* format, shape, flags, events, columns; no callbacks */
    int consume;         /* lines go to on_record, which keeps them (returns 1) */
} fz_conf;

/* Reads FZ_CONF_BYTES option bytes (missing ones count as 0); returns how many it used.
     b0: bits 0-1 format (3: CSV too), 2 item shape, 3 NO_KEYS, 4 NO_NEW, 5 NO_OLD,
         6 NUMBERS_AS_STRINGS, 7 SKIP_BAD
     b1: bits 0-2 events, 3 TTL_ONLY, 4 ITEM_META, 5 CRLF, 6 CSV_SAFE, 7 NO_HEADER
     b2: bits 0-1 column set, 2-3 staging size, 4-6 all set: PARSE_ONLY, 7 consume */
static inline size_t fz_conf_read(const uint8_t *d, size_t n, fz_conf *c)
{
    uint8_t b[FZ_CONF_BYTES] = { 0, 0, 0 };
    size_t used = n < FZ_CONF_BYTES ? n : FZ_CONF_BYTES;
    unsigned fmt;
    if (used) memcpy(b, d, used);
    memset(c, 0, sizeof *c);
    fmt = b[0] & 3u;
    c->o.format = fmt == 1 ? DDBS_FORMAT_DDB : fmt >= 2 ? DDBS_FORMAT_CSV : DDBS_FORMAT_NDJSON;
    c->o.shape = (b[0] & 4u) ? DDBS_SHAPE_ITEM : DDBS_SHAPE_RECORD;
    if (b[0] & 0x08u) c->o.flags |= DDBS_F_NO_KEYS;
    if (b[0] & 0x10u) c->o.flags |= DDBS_F_NO_NEW;
    if (b[0] & 0x20u) c->o.flags |= DDBS_F_NO_OLD;
    if (b[0] & 0x40u) c->o.flags |= DDBS_F_NUMBERS_AS_STRINGS;
    if (b[0] & 0x80u) c->o.flags |= DDBS_F_SKIP_BAD;
    c->o.events = b[1] & 7u;
    if (b[1] & 0x08u) c->o.flags |= DDBS_F_TTL_ONLY;
    if (b[1] & 0x10u) c->o.flags |= DDBS_F_ITEM_META;
    if (b[1] & 0x20u) c->o.flags |= DDBS_F_CRLF;
    if (b[1] & 0x40u) c->o.flags |= DDBS_F_CSV_SAFE;
    if (b[1] & 0x80u) c->o.flags |= DDBS_F_NO_HEADER;
    c->o.columns = fz_colsets[b[2] & 3u];
    c->o.ncolumns = fz_ncols[b[2] & 3u];
    c->o.buf_size = fz_bufsizes[(b[2] >> 2) & 3u];
    if ((b[2] & 0x70u) == 0x70u) c->o.flags |= DDBS_F_PARSE_ONLY;
    c->consume = (b[2] & 0x80u) != 0;
    return used;
}

/* ---- one run of the parser -------------------------------------------------------------- */

typedef struct fz_run fz_run;
/* Extra per-record checks a target may add; runs inside on_record. */
typedef void (*fz_rec_hook)(fz_run *r, const ddbs_record *rec);

struct fz_run {
    /* what the parser said */
    ddbs_result rc;
    uint64_t error_offset, error_record, records_in, records_out, bytes_out, documents, skipped;
    fz_buf out;          /* every byte of every line, sink or on_record, in order */
    fz_buf ends;         /* size_t: where each delivered piece of out ends */
    fz_buf kinds;        /* one byte per piece: 'h' header (sink), 's' sink line, 'r' kept by
                            on_record */
    fz_buf reports;      /* on_error: uint64 triples rc, offset, record */
    size_t nreports;
    /* set up by the caller */
    const fz_conf *conf;
    fz_rec_hook hook;
    void *hook_user;
    ddbs_record_fn on_record;  /* instead of the harness's own, e.g. a chunker */
    void *on_record_user;
    int use_parts;             /* set on_part (Firehose events): logged in parts, and passed */
    ddbs_part_fn on_part;      /* on to this one when set */
    void *on_part_user;
    fz_buf parts;              /* per part: uint64 rc, uint64 lines, size_t id length, id */
    size_t nparts;
    /* inside the run */
    const char *buf;
    size_t buf_size;
    uint64_t last_index;
    int have_index, rec_pending;  /* on_record said 0: the next sink call is that line */
    const char *pending_line;
    size_t pending_len;
};

static inline void fz_piece(fz_run *r, const char *s, size_t n, char kind)
{
    fz_put(&r->out, s, n);
    fz_put_size(&r->ends, r->out.n);
    fz_put(&r->kinds, &kind, 1);
}

/* Line-shape promises common to sink and on_record: whole lines, from the staging buffer. */
static inline void fz_check_line(const fz_run *r, const char *s, size_t n)
{
    const ddbs_options *o = &r->conf->o;
    FZ_CHECK(n > 0, "a delivered line is never empty");
    FZ_CHECK(s >= r->buf && s + n <= r->buf + r->buf_size, "lines point into the staging buffer");
    FZ_CHECK(s[n - 1] == '\n', "every delivered piece ends with a newline");
    if (o->format == DDBS_FORMAT_CSV) {
        if (o->flags & DDBS_F_CRLF) FZ_CHECK(n >= 2 && s[n - 2] == '\r', "CRLF rows end in \\r\\n");
        else FZ_CHECK(n < 2 || s[n - 2] != '\r', "LF rows do not end in \\r\\n");
    } else {
        FZ_CHECK(!memchr(s, '\n', n - 1), "a JSON line holds exactly one newline, at its end");
        FZ_CHECK(n >= 2 && s[0] == '{' && s[n - 2] == '}', "a JSON line is an object");
    }
}

static inline int fz_sink(void *user, const char *s, size_t n)
{
    fz_run *r = (fz_run *)user;
    int header = 0;
    if (r->rec_pending) {
        FZ_CHECK(s == r->pending_line && n == r->pending_len,
                 "the sink gets the very line on_record saw");
        r->rec_pending = 0;
    } else {
        /* no record announced it: only the CSV header may come this way */
        FZ_CHECK(r->conf->o.format == DDBS_FORMAT_CSV, "only a CSV header reaches the sink unannounced");
        header = 1;
    }
    fz_check_line(r, s, n);
    if (header) {
        char h[4096];
        size_t hn = ddbs_csv_header(&r->conf->o, h, sizeof h);
        FZ_CHECK(!(r->conf->o.flags & DDBS_F_NO_HEADER), "NO_HEADER: no header row");
        FZ_CHECK(!(r->conf->o.flags & DDBS_F_PARSE_ONLY), "PARSE_ONLY writes nothing");
        FZ_CHECK(hn == n && !memcmp(h, s, n), "the header row is ddbs_csv_header's");
    }
    fz_piece(r, s, n, header ? 'h' : 's');
    return 0;
}

static inline void fz_on_error(void *user, ddbs_result rc, uint64_t offset, uint64_t record)
{
    fz_run *r = (fz_run *)user;
    uint64_t t[3];
    t[0] = (uint64_t)rc;
    t[1] = offset;
    t[2] = record;
    FZ_CHECK(rc != DDBS_OK && (unsigned)rc < DDBS__RESULT_COUNT, "on_error gets an error code");
    FZ_CHECK(r->conf->o.flags & DDBS_F_SKIP_BAD, "on_error only with SKIP_BAD");
    fz_put(&r->reports, t, sizeof t);
    r->nreports++;
}

/* Checks a record against the options and the line; passes it on, keeps it, or hands it to
   the caller's on_record. */
static inline int fz_on_record(void *user, const ddbs_record *rec)
{
    fz_run *r = (fz_run *)user;
    const ddbs_options *o = &r->conf->o;
    unsigned k;
    int64_t secs;
    FZ_CHECK(!r->rec_pending, "a line announced to on_record reached the sink");
    FZ_CHECK(!(o->flags & DDBS_F_PARSE_ONLY), "PARSE_ONLY selects no record");
    FZ_CHECK(rec->event == DDBS_EV_INSERT || rec->event == DDBS_EV_MODIFY ||
             rec->event == DDBS_EV_REMOVE, "event is one of the three");
    FZ_CHECK(!o->events || (o->events & rec->event), "the events mask filters");
    FZ_CHECK(!(o->flags & DDBS_F_TTL_ONLY) || rec->ttl, "TTL_ONLY selects TTL removes");
    FZ_CHECK(!rec->ttl || rec->event == DDBS_EV_REMOVE, "only a REMOVE is a TTL delete");
    FZ_CHECK(!r->have_index || rec->index > r->last_index, "record indexes increase");
    r->last_index = rec->index;
    r->have_index = 1;
    FZ_CHECK(rec->event_id_len <= 128 && rec->sequence_len <= 64 && rec->time_len <= 64,
             "metadata within its documented caps");
    FZ_CHECK(rec->time_unit == 0 || rec->time_unit == 1 || rec->time_unit == 1000 ||
             rec->time_unit == 1000000, "time_unit is 0, 1, 1000 or 1000000");
    fz_check_line(r, rec->line, rec->line_len);
    for (k = 0; k < 3; k++) {
        if (!rec->image[k]) continue;
        FZ_CHECK(o->format != DDBS_FORMAT_CSV && o->shape == DDBS_SHAPE_RECORD,
                 "images only in record-shape JSON lines");
        FZ_CHECK(rec->image[k] > rec->line && rec->image[k] + rec->image_len[k] < rec->line + rec->line_len,
                 "an image lies inside its line");
        FZ_CHECK(rec->image_len[k] >= 2 && rec->image[k][0] == '{' &&
                 rec->image[k][rec->image_len[k] - 1] == '}', "an image is an object");
        FZ_CHECK(!(o->flags & (DDBS_F_NO_KEYS << k)), "a left-out image has no pointer");
    }
    /* time conversion on whatever text came; the calendar must be sane when it succeeds */
    if (ddbs_time_seconds(rec->time, rec->time_len, rec->time_unit, &secs) == 0) {
        int64_t y;
        int mo, da, h;
        FZ_CHECK(secs >= 0, "ddbs_time_seconds gives no negative time");
        ddbs_civil(secs, &y, &mo, &da, &h);
        FZ_CHECK(y >= 1970 && mo >= 1 && mo <= 12 && da >= 1 && da <= 31 && h >= 0 && h <= 23,
                 "ddbs_civil fields in range");
    }
    if (r->hook) r->hook(r, rec);
    if (r->on_record) {
        int v = r->on_record(r->on_record_user, rec);
        if (v > 0) fz_piece(r, rec->line, rec->line_len, 'r');
        if (v == 0) {
            r->rec_pending = 1;
            r->pending_line = rec->line;
            r->pending_len = rec->line_len;
        }
        return v;
    }
    if (r->conf->consume) {
        fz_piece(r, rec->line, rec->line_len, 'r');
        return 1;
    }
    r->rec_pending = 1;
    r->pending_line = rec->line;
    r->pending_len = rec->line_len;
    return 0;
}

static inline int fz_on_part(void *user, const char *id, size_t id_len, ddbs_result rc, uint64_t lines)
{
    fz_run *r = (fz_run *)user;
    uint64_t t[2];
    FZ_CHECK(r->use_parts, "on_part only when set");
    FZ_CHECK((unsigned)rc < DDBS__RESULT_COUNT && rc != DDBS_E_SINK, "a part's code is a real one");
    FZ_CHECK(id_len <= 256, "a recordId fits its 256 bytes");
    t[0] = (uint64_t)rc;
    t[1] = lines;
    fz_put(&r->parts, t, sizeof t);
    fz_put_size(&r->parts, id_len);
    fz_put(&r->parts, id, id_len);
    r->nparts++;
    return r->on_part ? r->on_part(r->on_part_user, id, id_len, rc, lines) : 0;
}

/* Feeds in[0..len) cut at cuts[0..ncuts) (ascending, each inside (0, len)); step > 0 feeds
   pieces of that many bytes instead. Every piece is fed even after an error, to check the
   error stays. The staging buffer is allocated at exactly buf_size. */
static inline void fz_exec(fz_run *r, const fz_conf *c, const uint8_t *in, size_t len,
                    const size_t *cuts, size_t ncuts, size_t step)
{
    ddbs_options o = c->o;
    ddbs_parser p;
    ddbs_result rc;
    size_t at = 0, k = 0;
    char *buf;
    uint64_t n_lines = 0, n_bytes = 0, i;
    const char *seq;
    size_t seq_len;
    r->conf = c;
    buf = (char *)malloc(o.buf_size);
    if (!buf) abort();
    r->buf = buf;
    r->buf_size = o.buf_size;
    o.buf = buf;
    o.sink = fz_sink;
    o.on_record = fz_on_record;
    o.on_error = fz_on_error;
    o.on_part = r->use_parts ? fz_on_part : NULL;
    o.user = r;
    memset(&p, 0xA5, sizeof p);  /* init must not rely on a zeroed struct */
    rc = ddbs_parser_init(&p, &o);
    FZ_CHECK(rc == DDBS_OK, "the harness's options are valid");
    r->rc = DDBS_OK;
    while (at < len) {
        size_t end = step ? (len - at < step ? len : at + step) : k < ncuts ? cuts[k++] : len;
        uint64_t off = p.error_offset;
        FZ_CHECK(end > at && end <= len, "harness: cuts ascend inside the input");
        /* an empty feed with a real pointer changes nothing */
        FZ_CHECK(ddbs_parser_feed(&p, in + at, 0) == r->rc, "an empty feed returns the state");
        rc = ddbs_parser_feed(&p, in + at, end - at);
        if (r->rc != DDBS_OK)
            FZ_CHECK(rc == r->rc && p.error_offset == off, "errors are sticky, offset and all");
        else
            r->rc = rc;
        FZ_CHECK(rc == p.error, "feed returns p->error");
        at = end;
    }
    if (r->rc == DDBS_OK) r->rc = ddbs_parser_finish(&p);
    else FZ_CHECK(ddbs_parser_finish(&p) == r->rc, "finish returns the sticky error");
    FZ_CHECK(ddbs_parser_finish(&p) == r->rc, "finish twice gives the same");
    FZ_CHECK(!r->rec_pending || r->rc != DDBS_OK, "an announced line reaches the sink");
    FZ_CHECK(p.error == r->rc, "p->error is the result");
    FZ_CHECK(ddbs_strerror(r->rc) != NULL, "every code has a message");
    r->error_offset = p.error_offset;
    r->error_record = p.error_record;
    r->records_in = p.records_in;
    r->records_out = p.records_out;
    r->bytes_out = p.bytes_out;
    r->documents = p.documents;
    r->skipped = p.skipped;
    /* counters agree with what was delivered */
    for (i = 0; i < r->kinds.n; i++) {
        size_t b = i ? fz_size_at(&r->ends, (size_t)i - 1) : 0, e = fz_size_at(&r->ends, (size_t)i);
        n_bytes += e - b;
        if (r->kinds.p[i] != 'h') n_lines++;
    }
    FZ_CHECK(n_lines == p.records_out, "records_out counts lines delivered");
    FZ_CHECK(n_bytes == p.bytes_out, "bytes_out counts bytes delivered");
    FZ_CHECK(p.records_out <= p.records_in, "no more lines out than records in");
    FZ_CHECK(r->rc != DDBS_OK || p.offset == len, "offset counts every byte fed");
    if (r->rc != DDBS_OK) {
        FZ_CHECK(p.error_offset <= len, "the error offset lies inside the input");
        FZ_CHECK(p.error_record >= 1, "error_record is 1-based");
    } else {
        FZ_CHECK(p.error_offset == 0 && p.error_record == 0, "no error: no error position");
    }
    if (c->o.flags & DDBS_F_SKIP_BAD) {
        FZ_CHECK(r->rc == DDBS_OK || r->rc == DDBS_E_SINK, "SKIP_BAD ends well or by the sink");
        FZ_CHECK(r->nreports == p.skipped, "one report per skipped document");
    } else {
        FZ_CHECK(r->nreports == 0 && p.skipped == 0, "nothing skipped without SKIP_BAD");
    }
    for (i = 0; i < r->nreports; i++) {
        uint64_t t[3];
        memcpy(t, r->reports.p + i * sizeof t, sizeof t);
        FZ_CHECK(t[1] <= len, "a reported offset lies inside the input");
    }
    if (c->o.flags & DDBS_F_PARSE_ONLY) FZ_CHECK(r->kinds.n == 0, "PARSE_ONLY writes nothing");
    seq = ddbs_parser_sequence(&p, &seq_len);
    FZ_CHECK(seq != NULL && seq_len <= 64, "ddbs_parser_sequence within its cap");
    free(buf);
    r->buf = NULL;
}

static inline void fz_run_free(fz_run *r)
{
    fz_buf_free(&r->out);
    fz_buf_free(&r->ends);
    fz_buf_free(&r->kinds);
    fz_buf_free(&r->reports);
    fz_buf_free(&r->parts);
}

/* Two runs of the same input must agree on everything observable. */
static inline void fz_same(const fz_run *a, const fz_run *b, const char *how)
{
    if (a->rc != b->rc || a->error_offset != b->error_offset || a->error_record != b->error_record) {
        fprintf(stderr, "%s: rc %d/%d, offset %llu/%llu, record %llu/%llu\n", how, (int)a->rc, (int)b->rc,
                (unsigned long long)a->error_offset, (unsigned long long)b->error_offset,
                (unsigned long long)a->error_record, (unsigned long long)b->error_record);
    }
    FZ_CHECK(a->rc == b->rc, "same result code whatever the chunking");
    FZ_CHECK(a->error_offset == b->error_offset, "same error offset whatever the chunking");
    FZ_CHECK(a->error_record == b->error_record, "same error record whatever the chunking");
    FZ_CHECK(a->records_in == b->records_in && a->records_out == b->records_out,
             "same record counts whatever the chunking");
    FZ_CHECK(a->bytes_out == b->bytes_out && a->documents == b->documents &&
             a->skipped == b->skipped, "same counters whatever the chunking");
    FZ_CHECK(fz_eq(a->out.p, a->out.n, b->out.p, b->out.n), "same output bytes whatever the chunking");
    FZ_CHECK(fz_eq(a->ends.p, a->ends.n, b->ends.p, b->ends.n) &&
             fz_eq(a->kinds.p, a->kinds.n, b->kinds.p, b->kinds.n), "same lines whatever the chunking");
    if (!(a->nreports == b->nreports && fz_eq(a->reports.p, a->reports.n, b->reports.p, b->reports.n))) {
        size_t k, i;
        for (k = 0; k < 2; k++) {  /* each report: code, offset, record */
            const fz_run *x = k ? b : a;
            fprintf(stderr, "%s reports:", k ? "second" : "first");
            for (i = 0; i < x->nreports; i++) {
                uint64_t t[3];
                memcpy(t, x->reports.p + i * sizeof t, sizeof t);
                fprintf(stderr, " [%s at %llu, record %llu]", ddbs_strerror((ddbs_result)t[0]),
                        (unsigned long long)t[1], (unsigned long long)t[2]);
            }
            fputc('\n', stderr);
        }
    }
    FZ_CHECK(a->nreports == b->nreports && fz_eq(a->reports.p, a->reports.n, b->reports.p, b->reports.n),
             "same skip reports whatever the chunking");
    if (!(a->nparts == b->nparts && fz_eq(a->parts.p, a->parts.n, b->parts.p, b->parts.n))) {
        const fz_run *r2[2];
        size_t k;
        r2[0] = a;
        r2[1] = b;
        for (k = 0; k < 2; k++) {  /* each part: code, lines, id */
            size_t at = 0;
            fprintf(stderr, "%s parts:", k ? "second" : "first");
            while (at < r2[k]->parts.n) {
                uint64_t t[2];
                size_t n;
                memcpy(t, r2[k]->parts.p + at, sizeof t);
                memcpy(&n, r2[k]->parts.p + at + sizeof t, sizeof n);
                fprintf(stderr, " [%s, %llu lines, %.*s]", ddbs_strerror((ddbs_result)t[0]),
                        (unsigned long long)t[1], (int)n, r2[k]->parts.p + at + sizeof t + sizeof n);
                at += sizeof t + sizeof n + n;
            }
            fputc('\n', stderr);
        }
    }
    FZ_CHECK(a->nparts == b->nparts && fz_eq(a->parts.p, a->parts.n, b->parts.p, b->parts.n),
             "same Firehose parts whatever the chunking");
}

/* ---- cut points from a few bytes -------------------------------------------------------- */

#define FZ_CUT_BYTES 4

/* A tiny PRNG: piece sizes must be reproducible from the input alone. */
static inline uint32_t fz_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Cuts for len bytes from 4 bytes c: mode c0&3 = 0: up to three cuts where c1..c3 say (one
   lands on each third of the input, so short inputs get cut too); 1: pieces of c1+1 bytes;
   2: random pieces of 1..(c0>>2)+1 bytes from seed c1..c3; 3: byte by byte. Returns the
   number of cuts in *cuts (malloc'd), or sets *step. */
static inline size_t fz_cuts(const uint8_t c[FZ_CUT_BYTES], size_t len, size_t **cuts, size_t *step)
{
    size_t n = 0, k, *v;
    *step = 0;
    *cuts = NULL;
    if (len < 2) return 0;
    switch (c[0] & 3u) {
    case 0:
        v = (size_t *)malloc(3 * sizeof *v);
        if (!v) abort();
        for (k = 0; k < 3; k++) {
            size_t third = len / 3 + 1, at = k * third + (size_t)c[1 + k] * 257u % third;
            if (at > 0 && at < len && (!n || at > v[n - 1])) v[n++] = at;
        }
        *cuts = v;
        return n;
    case 1:
        *step = (size_t)c[1] + 1u;
        return 0;
    case 2: {
        uint32_t s = ((uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3]) | 1u;
        size_t at = 0, most = (size_t)(c[0] >> 2) + 1u, cap = len;
        v = (size_t *)malloc(cap * sizeof *v);
        if (!v) abort();
        for (;;) {
            at += 1u + fz_rand(&s) % most;
            if (at >= len) break;
            v[n++] = at;
        }
        *cuts = v;
        return n;
    }
    default:
        *step = 1;
        return 0;
    }
}

/* ---- base64 ----------------------------------------------------------------------------- */

static const char fz_b64digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard padded base64 of s[0..n); with slash_escape every '/' is written \/ as some JSON
   encoders do. */
static inline void fz_b64_put(fz_buf *b, const uint8_t *s, size_t n, int slash_escape)
{
    size_t i;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0u) |
                     (i + 2 < n ? s[i + 2] : 0u);
        char g[4];
        unsigned k;
        g[0] = fz_b64digits[v >> 18];
        g[1] = fz_b64digits[(v >> 12) & 63u];
        g[2] = i + 1 < n ? fz_b64digits[(v >> 6) & 63u] : '=';
        g[3] = i + 2 < n ? fz_b64digits[v & 63u] : '=';
        for (k = 0; k < 4; k++) {
            if (slash_escape && g[k] == '/') fz_put(b, "\\", 1);
            fz_put(b, &g[k], 1);
        }
    }
}

/* Decodes strict padded base64; returns 0, or -1 if it is not that. */
static inline int fz_b64_decode(const char *s, size_t n, fz_buf *out)
{
    size_t i;
    if (n % 4) return -1;
    for (i = 0; i < n; i += 4) {
        uint32_t v = 0;
        unsigned k, pad = 0;
        for (k = 0; k < 4; k++) {
            const char *d = strchr(fz_b64digits, s[i + k]);
            if (s[i + k] == '=' && k >= 2 && i + 4 == n) { pad++; v <<= 6; continue; }
            if (!d || !s[i + k] || pad) return -1;
            v = v << 6 | (uint32_t)(d - fz_b64digits);
        }
        {
            unsigned char t[3];
            t[0] = (unsigned char)(v >> 16);
            t[1] = (unsigned char)(v >> 8);
            t[2] = (unsigned char)v;
            fz_put(out, t, 3u - pad);
        }
    }
    return 0;
}

static inline const char *fz_memmem(const char *h, size_t hn, const char *z)
{
    size_t n = strlen(z), i;
    for (i = 0; i + n <= hn; i++)
        if (!memcmp(h + i, z, n)) return h + i;
    return NULL;
}

#endif /* DDBS_FUZZ_H */
