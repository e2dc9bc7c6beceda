/* Shared by the Criterion suites: feed an input to a fresh parser in chosen pieces and keep
   everything it reports, so two ways of feeding the same bytes can be compared field by field.
   Include after defining _POSIX_C_SOURCE; link with tests/impl.c. Everything is static inline
   so a suite using only some of it still compiles with -Wunused-function -Werror. */
#ifndef DDBS_TESTS_RUN_H
#define DDBS_TESTS_RUN_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../ddbstream.h"

#define RUN_DEFAULT_BUF (64u * 1024u)
#define RUN_MAX_REPORTS 16u

/* What one run produced. */
typedef struct run {
    ddbs_result rc;               /* first non-OK result of feed or finish, else DDBS_OK */
    uint64_t error_offset, error_record;
    uint64_t records_in, records_out, bytes_out, documents, skipped;
    char *out;                    /* every byte given to the sink, in order */
    size_t out_len, out_cap, lines;
    int bad_call;                 /* a sink call that was not exactly one whole line */
    int not_sticky;               /* a call after the error did not return it unchanged */
    size_t reports;               /* on_error calls (DDBS_F_SKIP_BAD) */
    ddbs_result report_rc[RUN_MAX_REPORTS];
    uint64_t report_off[RUN_MAX_REPORTS], report_rec[RUN_MAX_REPORTS];
    const char *buf;              /* the staging buffer, to check where lines come from */
    size_t buf_size;
} run;

static inline void *run_xalloc(void *old, size_t n)
{
    void *q = realloc(old, n ? n : 1);
    if (!q) {
        fputs("out of memory\n", stderr);
        abort();
    }
    return q;
}

/* A sink call must be one line: its last byte is the only '\n' (JSON strings hold no raw
   newline), and it must point into the staging buffer. */
static inline int run_sink(void *user, const char *data, size_t len)
{
    run *r = (run *)user;
    if (len == 0 || data[len - 1] != '\n' || memchr(data, '\n', len - 1) ||
        data < r->buf || data + len > r->buf + r->buf_size)
        r->bad_call = 1;
    if (r->out_len + len > r->out_cap) {
        r->out_cap = (r->out_len + len) * 2;
        r->out = (char *)run_xalloc(r->out, r->out_cap);
    }
    memcpy(r->out + r->out_len, data, len);
    r->out_len += len;
    r->lines++;
    return 0;
}

static inline void run_report(void *user, ddbs_result rc, uint64_t offset, uint64_t record)
{
    run *r = (run *)user;
    if (r->reports < RUN_MAX_REPORTS) {
        r->report_rc[r->reports] = rc;
        r->report_off[r->reports] = offset;
        r->report_rec[r->reports] = record;
    }
    r->reports++;
}

/* Feeds s[0..len) to p in pieces of `step` bytes (step > 0) or cut at cuts[0..ncuts), every
   piece even after an error, then finishes. *rc gets the first error (or DDBS_OK) and
   *error_offset its offset; *not_sticky is set if a later call changed the code or an offset. */
static inline void run_feed(ddbs_parser *pp, const char *s, size_t len, size_t step,
                            const size_t *cuts, size_t ncuts, ddbs_result *rc0,
                            uint64_t *error_offset, int *not_sticky)
{
    size_t at = 0, k = 0;
    while (at < len) {
        size_t end = step ? (len - at < step ? len : at + step) : k < ncuts ? cuts[k++] : len;
        uint64_t off_before = pp->offset;
        ddbs_result rc = ddbs_parser_feed(pp, s + at, end - at);
        if (*rc0 != DDBS_OK) {
            /* sticky: the same code, and neither offset moves */
            if (rc != *rc0 || pp->offset != off_before || pp->error_offset != *error_offset)
                *not_sticky = 1;
        } else if (rc != DDBS_OK) {
            *rc0 = rc;
            *error_offset = pp->error_offset;
        }
        at = end;
    }
    if (*rc0 == DDBS_OK)
        *rc0 = ddbs_parser_finish(pp);
    else if (ddbs_parser_finish(pp) != *rc0)
        *not_sticky = 1;
}

/* Feeds in[0..len) in pieces: of `step` bytes each when step > 0, else cut at cuts[0..ncuts)
   (ascending, inside (0, len)). Every piece is fed even after an error, to check that the
   error stays. opt gives format, shape, flags, events and buf_size (0: RUN_DEFAULT_BUF);
   sink, user, buf and on_error are the harness's. The staging buffer is allocated at exactly
   buf_size bytes so AddressSanitizer catches a write past it. */
static inline run run_pieces(const void *in, size_t len, const ddbs_options *opt, size_t step,
                      const size_t *cuts, size_t ncuts)
{
    const char *s = (const char *)in;
    ddbs_options o;
    ddbs_parser p;
    run r;
    char *buf;
    memset(&r, 0, sizeof r);
    o = *opt;
    o.buf_size = o.buf_size ? o.buf_size : RUN_DEFAULT_BUF;
    buf = (char *)run_xalloc(NULL, o.buf_size);
    o.buf = buf;
    o.sink = run_sink;
    o.on_record = NULL;
    o.on_error = run_report;
    o.user = &r;
    r.buf = buf;
    r.buf_size = o.buf_size;
    memset(&p, 0xA5, sizeof p);  /* init must not rely on a zeroed struct */
    r.rc = ddbs_parser_init(&p, &o);
    if (r.rc != DDBS_OK) {
        free(buf);
        r.buf = NULL;
        return r;
    }
    run_feed(&p, s, len, step, cuts, ncuts, &r.rc, &r.error_offset, &r.not_sticky);
    if (r.rc != DDBS_OK && p.error != r.rc) r.not_sticky = 1;
    r.error_offset = p.error_offset;
    r.error_record = p.error_record;
    r.records_in = p.records_in;
    r.records_out = p.records_out;
    r.bytes_out = p.bytes_out;
    r.documents = p.documents;
    r.skipped = p.skipped;
    free(buf);
    r.buf = NULL;
    return r;
}

static inline run run_whole(const void *in, size_t len, const ddbs_options *opt)
{
    return run_pieces(in, len, opt, 0, NULL, 0);
}

static inline run run_str(const char *in, const ddbs_options *opt)
{
    return run_whole(in, strlen(in), opt);
}

static inline void run_free(run *r)
{
    free(r->out);
    r->out = NULL;
}

/* 0 when a and b agree on everything observable, else 1 with the first difference in why. */
static inline int run_differs(const run *a, const run *b, char *why, size_t why_size)
{
    size_t k;
#define RUN_CMP(f) \
    if (a->f != b->f) { \
        snprintf(why, why_size, #f ": %llu vs %llu", (unsigned long long)a->f, \
                 (unsigned long long)b->f); \
        return 1; \
    }
    if (a->rc != b->rc) {
        snprintf(why, why_size, "result '%s' vs '%s'", ddbs_strerror(a->rc), ddbs_strerror(b->rc));
        return 1;
    }
    RUN_CMP(error_offset) RUN_CMP(error_record) RUN_CMP(records_in)
    RUN_CMP(records_out) RUN_CMP(bytes_out) RUN_CMP(documents) RUN_CMP(skipped)
    RUN_CMP(out_len) RUN_CMP(lines) RUN_CMP(bad_call) RUN_CMP(not_sticky) RUN_CMP(reports)
    for (k = 0; k < a->reports && k < RUN_MAX_REPORTS; k++) {
        RUN_CMP(report_rc[k]) RUN_CMP(report_off[k]) RUN_CMP(report_rec[k])
    }
#undef RUN_CMP
    if (a->out_len && memcmp(a->out, b->out, a->out_len) != 0) {
        for (k = 0; a->out[k] == b->out[k]; k++) {}
        snprintf(why, why_size, "output differs at byte %zu", k);
        return 1;
    }
    return 0;
}

/* Padded base64 of src[0..n) into d, which has room for 4 * ((n + 2) / 3) + 1 bytes; the
   tests build Kinesis and Firehose payloads with it so the JSON inside stays readable. */
static inline char *run_b64(const void *src, size_t n, char *d)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)src;
    size_t i, o = 0;
    for (i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)s[i] << 16;
        if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        d[o++] = digits[(v >> 18) & 63];
        d[o++] = digits[(v >> 12) & 63];
        d[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        d[o++] = i + 2 < n ? digits[v & 63] : '=';
    }
    d[o] = 0;
    return d;
}

/* ------------------------------------------------------------------ sample files ------ */

static inline const char *data_dir(void)
{
    const char *d = getenv("DDBS_DATA");
    return d && *d ? d : "tests/data";
}

/* The whole file, NUL-terminated for convenience; NULL if it cannot be read. */
static inline char *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0, got;
    if (!f) return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap * 2 + 8192;
            b = (char *)run_xalloc(b, cap);
        }
        got = fread(b + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

/* A sample by its path relative to the data directory. */
static inline char *load_sample(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
    return load_file(path, len);
}

typedef struct sample_list {
    char **name;   /* relative to the data directory, sorted */
    size_t n, cap;
} sample_list;

static inline void samples_walk(sample_list *l, const char *root, const char *rel)
{
    char path[1024], sub[1024];
    DIR *d;
    struct dirent *e;
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    if (!(d = opendir(path))) return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char full[2048];
        size_t nl = strlen(e->d_name);
        if (e->d_name[0] == '.') continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            samples_walk(l, root, sub);
        } else if (nl > 5 && strcmp(e->d_name + nl - 5, ".json") == 0) {
            if (l->n == l->cap) {
                l->cap = l->cap * 2 + 16;
                l->name = (char **)run_xalloc(l->name, l->cap * sizeof *l->name);
            }
            l->name[l->n] = (char *)run_xalloc(NULL, strlen(sub) + 1);
            strcpy(l->name[l->n++], sub);
        }
    }
    closedir(d);
}

static inline int samples_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json file under the data directory (SOURCES.md is provenance, not a sample). */
static inline sample_list samples_list(void)
{
    sample_list l;
    memset(&l, 0, sizeof l);
    samples_walk(&l, data_dir(), "");
    if (l.n) qsort(l.name, l.n, sizeof *l.name, samples_cmp);
    return l;
}

static inline void samples_free(sample_list *l)
{
    size_t k;
    for (k = 0; k < l->n; k++) free(l->name[k]);
    free(l->name);
    memset(l, 0, sizeof *l);
}

#endif /* DDBS_TESTS_RUN_H */
