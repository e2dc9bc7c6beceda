/* fuzz_chunker: parser -> ddbs_chunker with a small max_object_bytes. After the FZ_CONF_BYTES
   option bytes, 3 bytes set the chunker:
     k0, k1: max_object_bytes = header + 1 + (k0 | k1 << 8) % 8192
     k2: bits 0-2 max_records, 3 DDBS_CF_HOURLY, 4 a name prefix, 5 the flush callback fails
         at object (k2 >> 6) + 1
   Checked: no object over the limit; each object is its header then exactly the lines added
   since the previous one; objects are flushed only when they must be (line does not fit,
   record count, hour change); names unique and well formed; counters; and the lines of all
   objects, headers removed, equal the unchunked run's lines. */
#include "fuzz.h"

#define CH_BYTES 3

typedef struct chunk_ctx {
    ddbs_chunker ch;
    ddbs_chunker_options co;
    size_t max, hl;
    uint32_t max_records;
    int hourly, fail_at;
    fz_buf lines, ends;      /* lines the chunker took, in order, and where each ends */
    fz_buf hours;            /* int64 UTC hour of each, -1 undated */
    size_t flushed;          /* lines already in objects */
    fz_buf names;            /* char * of each object's name */
    size_t objects, bytes;
    /* the record being added, while ddbs_chunker_add runs */
    int pending;
    size_t pending_len;
    int64_t pending_hour;
} chunk_ctx;

static int64_t hour_of(const ddbs_record *rec)
{
    int64_t t;
    return ddbs_time_seconds(rec->time, rec->time_len, rec->time_unit, &t) == 0 ? t / 3600 : -1;
}

static int64_t hour_at(const chunk_ctx *x, size_t k)
{
    int64_t h;
    memcpy(&h, x->hours.p + k * sizeof h, sizeof h);
    return h;
}

static int on_flush(void *user, const char *name, const char *data, size_t len)
{
    chunk_ctx *x = (chunk_ctx *)user;
    size_t nlines = x->ends.n / sizeof(size_t), from = x->flushed;
    size_t b = from ? fz_size_at(&x->ends, from - 1) : 0, e = nlines ? fz_size_at(&x->ends, nlines - 1) : 0;
    size_t k, i, plen = strlen(x->co.prefix ? x->co.prefix : ""), nlen = strlen(name);
    const char *ext = x->co.ext ? x->co.ext : "ndjson";
    char *copy;
    FZ_CHECK(len <= x->max, "no object over max_object_bytes");
    FZ_CHECK(nlines > from, "no empty object");
    FZ_CHECK(len >= x->hl && (!x->hl || !memcmp(data, x->co.header, x->hl)), "each object starts with the header");
    FZ_CHECK(len - x->hl == e - b && !memcmp(data + x->hl, x->lines.p + b, e - b),
             "an object is exactly the lines added since the last one");
    FZ_CHECK(!x->max_records || nlines - from <= x->max_records, "max_records per object");
    if (x->hourly)
        for (k = from + 1; k < nlines; k++)
            FZ_CHECK(hour_at(x, k) == hour_at(x, from), "HOURLY: one hour per object");
    if (x->pending) {
        /* flushed while adding a record: one of the documented reasons holds */
        int full = len + x->pending_len > x->max, count = x->max_records && nlines - from >= x->max_records;
        int hour = x->hourly && x->pending_hour != hour_at(x, from);
        FZ_CHECK(full || count || hour, "an object is flushed only when it must be");
    }
    /* name: prefix, then [A-Za-z0-9_-/~] and digits, then .ext */
    FZ_CHECK(nlen > plen + strlen(ext) + 1 && !memcmp(name, x->co.prefix ? x->co.prefix : "", plen),
             "a name starts with the prefix");
    FZ_CHECK(name[nlen - strlen(ext) - 1] == '.' && !strcmp(name + nlen - strlen(ext), ext),
             "a name ends with .ext");
    for (i = plen; i < nlen - strlen(ext) - 1; i++) {
        char ch = name[i];
        FZ_CHECK((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 ch == '_' || ch == '-' || ch == '/' || ch == '~', "name characters are safe");
    }
    x->objects++;
    if (x->fail_at && (int)x->objects == x->fail_at) return 1;  /* this one is not stored */
    copy = fz_dup(name, nlen + 1);
    fz_put(&x->names, &copy, sizeof copy);
    x->flushed = nlines;
    x->bytes += len;
    return 0;
}

static int to_chunker(void *user, const ddbs_record *rec)
{
    chunk_ctx *x = (chunk_ctx *)user;
    int64_t h = hour_of(rec);
    int v;
    x->pending = 1;
    x->pending_len = rec->line_len;
    x->pending_hour = h;
    v = ddbs_chunker_add(&x->ch, rec);
    x->pending = 0;
    FZ_CHECK(v == 1 || v == -1, "ddbs_chunker_add returns 1 or -1");
    FZ_CHECK((v == -1) == (x->ch.error != DDBS_OK), "-1 exactly when the chunker has an error");
    if (v == 1) {
        fz_put(&x->lines, rec->line, rec->line_len);
        fz_put_size(&x->ends, x->lines.n);
        fz_put(&x->hours, &h, sizeof h);
    } else if (x->ch.error == DDBS_E_OBJECT_TOO_BIG) {
        FZ_CHECK(x->hl + rec->line_len > x->max, "OBJECT_TOO_BIG only for a line that cannot fit");
        FZ_CHECK(x->ch.error_record == rec->index, "OBJECT_TOO_BIG names the record");
        FZ_CHECK(x->flushed == x->ends.n / sizeof(size_t), "what came before was flushed");
    }
    return v;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_conf c, cc;
    fz_run u, r;
    chunk_ctx x;
    uint8_t k[CH_BYTES] = { 0, 0, 0 };
    size_t used = fz_conf_read(data, size, &c), nk = size - used < CH_BYTES ? size - used : CH_BYTES;
    size_t len, i, nu = 0, added, nnames;
    char header[4096], *in, *obj;
    char **names;
    memcpy(k, data + used, nk);
    used += nk;
    len = size - used;
    in = fz_dup(data + used, len);
    memset(&x, 0, sizeof x);
    x.hl = c.o.format == DDBS_FORMAT_CSV ? ddbs_csv_header(&c.o, header, sizeof header) : 0;
    x.max = x.hl + 1 + ((size_t)k[0] | (size_t)k[1] << 8) % 8192u;
    x.max_records = k[2] & 7u;
    x.hourly = (k[2] & 8u) != 0;
    x.fail_at = (k[2] & 0x20u) ? (k[2] >> 6) + 1 : 0;
    obj = (char *)malloc(x.max);  /* exactly max_object_bytes: ASan sees an overrun */
    if (!obj) abort();
    x.co.flush = on_flush;
    x.co.user = &x;
    x.co.buf = obj;
    x.co.buf_size = x.max;
    x.co.max_object_bytes = x.max;
    x.co.max_records = x.max_records;
    x.co.flags = x.hourly ? DDBS_CF_HOURLY : 0u;
    x.co.prefix = (k[2] & 0x10u) ? "p/x-" : NULL;
    x.co.ext = c.o.format == DDBS_FORMAT_CSV ? "csv" : NULL;
    x.co.header = x.hl ? header : NULL;
    x.co.header_len = x.hl;
    {   /* a header that fills the whole object is refused */
        ddbs_chunker bad;
        ddbs_chunker_options bo = x.co;
        bo.max_object_bytes = bo.buf_size = x.hl ? x.hl : 1;
        FZ_CHECK(!x.hl || ddbs_chunker_init(&bad, &bo) == DDBS_E_ARG, "header >= max: DDBS_E_ARG");
    }
    FZ_CHECK(ddbs_chunker_init(&x.ch, &x.co) == DDBS_OK, "chunker init");

    /* the reference: the same options without a chunker */
    memset(&u, 0, sizeof u);
    fz_exec(&u, &c, (const uint8_t *)in, len, NULL, 0, 0);
    /* chunked: the header comes from the chunker, once per object */
    cc = c;
    cc.o.flags |= DDBS_F_NO_HEADER;
    memset(&r, 0, sizeof r);
    r.on_record = to_chunker;
    r.on_record_user = &x;
    fz_exec(&r, &cc, (const uint8_t *)in, len, NULL, 0, 0);
    added = x.ends.n / sizeof(size_t);
    if (!x.ch.error) {
        ddbs_result fr = ddbs_chunker_finish(&x.ch);
        FZ_CHECK(fr == x.ch.error, "finish returns the chunker's error");
        FZ_CHECK(fr == DDBS_OK || (fr == DDBS_E_SINK && x.fail_at && x.objects == (size_t)x.fail_at),
                 "finish fails only when the flush callback does");
    }
    if (!x.ch.error) {
        FZ_CHECK(x.flushed == added, "finish flushes the rest");
        FZ_CHECK(x.ch.objects == x.objects && x.ch.records == added && x.ch.bytes == x.bytes,
                 "chunker counters");
    }
    /* the lines it took are the unchunked lines, in order */
    for (i = 0; i < u.kinds.n; i++) {
        size_t b = i ? fz_size_at(&u.ends, i - 1) : 0, e = fz_size_at(&u.ends, i);
        if (u.kinds.p[i] == 'h') continue;
        if (nu < added) {
            size_t lb = nu ? fz_size_at(&x.ends, nu - 1) : 0, le = fz_size_at(&x.ends, nu);
            FZ_CHECK(le - lb == e - b && !memcmp(x.lines.p + lb, u.out.p + b, e - b),
                     "chunked lines equal the unchunked ones");
        } else if (nu == added && x.ch.error == DDBS_E_OBJECT_TOO_BIG) {
            FZ_CHECK(x.hl + (e - b) > x.max, "the line the chunker refused is too big");
        }
        nu++;
    }
    if (x.ch.error == DDBS_OK) {
        FZ_CHECK(nu == added, "every line reached an object");
        FZ_CHECK(r.rc == u.rc && r.error_offset == u.error_offset, "same result as unchunked");
    } else {
        FZ_CHECK(r.rc == DDBS_E_SINK || (r.rc == u.rc && x.ch.error == DDBS_E_SINK),
                 "a chunker error stops the parser with DDBS_E_SINK");
        FZ_CHECK(nu > added || x.ch.error == DDBS_E_SINK, "the refused line was a real one");
    }
    /* names unique */
    nnames = x.names.n / sizeof(char *);
    names = (char **)(void *)x.names.p;
    if (nnames) qsort(names, nnames, sizeof *names, cmp_names);
    for (i = 1; i < nnames; i++) {
        if (!strcmp(names[i - 1], names[i])) fprintf(stderr, "name twice: %s\n", names[i]);
        FZ_CHECK(strcmp(names[i - 1], names[i]) != 0, "object names are unique");
    }
    for (i = 0; i < nnames; i++) free(names[i]);
    fz_buf_free(&x.names);
    fz_buf_free(&x.lines);
    fz_buf_free(&x.ends);
    fz_buf_free(&x.hours);
    fz_run_free(&u);
    fz_run_free(&r);
    free(obj);
    free(in);
    return 0;
}
