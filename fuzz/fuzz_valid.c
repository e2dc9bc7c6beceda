/* fuzz_valid: what comes out is well formed, judged by checkers written apart from the
   parser (json_check.h, csv_check.h). Options from the first FZ_CONF_BYTES bytes.
   - NDJSON and DDB: every line one valid JSON object; record shape keys unique and in the
     documented order; every ddbs_record.image a valid object.
   - CSV: the whole output and each row alone are RFC 4180 with ncolumns fields, quoted iff
     needed; the header names the columns; valid UTF-8; CSV_SAFE leaves no cell starting like
     a formula (the flag covers S, B and every metadata column).
   - DDB record shape: each typed image, parsed again as a record, gives exactly the plain
     image of an NDJSON run (typed output is valid DynamoDB JSON and means the same).
   - DDB record shape: BatchWriteItem bodies are valid JSON within buf_size. */
#include "fuzz.h"
#include "json_check.h"
#include "csv_check.h"

/* Record shape keys, in the order the README promises. */
static const char *const key_order[] = { "eventName", "eventID", "SequenceNumber",
    "ApproximateCreationDateTime", "WriteTimestampMicros", "userIdentity", "Keys", "NewImage",
    "OldImage" };
#define NKEYS (sizeof key_order / sizeof *key_order)

static void check_json(const char *s, size_t n, const char *what)
{
    jv_info info;
    if (!jv_check(s, n, &info)) {
        fprintf(stderr, "%s: invalid JSON at byte %zu (%s): %.*s\n", what, info.err, info.why,
                (int)(n > 2000 ? 2000 : n), s);
        FZ_CHECK(0, "output is valid JSON");
    }
}

static void check_record_keys(const char *s, size_t n, uint32_t flags)
{
    jv_info info;
    size_t k, last = 0, j;
    FZ_CHECK(jv_check(s, n, &info), "output is valid JSON");
    for (k = 0; k < info.nkeys; k++) {
        for (j = 0; j < NKEYS; j++)
            if (strlen(key_order[j]) == info.key_len[k] && !memcmp(key_order[j], info.key[k], info.key_len[k]))
                break;
        FZ_CHECK(j < NKEYS, "record shape has only the documented keys");
        FZ_CHECK(k == 0 || j + 1 > last, "record shape keys unique and in order");
        last = j + 1;
        FZ_CHECK(!(j == 6 && (flags & DDBS_F_NO_KEYS)) && !(j == 7 && (flags & DDBS_F_NO_NEW)) &&
                 !(j == 8 && (flags & DDBS_F_NO_OLD)), "a left-out image stays out");
    }
}

static void image_hook(fz_run *r, const ddbs_record *rec)
{
    unsigned k;
    (void)r;
    for (k = 0; k < 3; k++)
        if (rec->image[k]) check_json(rec->image[k], rec->image_len[k], "image");
}

/* ---- CSV -------------------------------------------------------------------------------- */

typedef struct csv_ctx {
    const ddbs_options *o;
    int header;          /* the rows being checked are the header */
} csv_ctx;

static void csv_field(void *user, size_t row, size_t col, const char *v, size_t n)
{
    csv_ctx *x = (csv_ctx *)user;
    (void)row;
    if (x->header) {
        FZ_CHECK(strlen(x->o->columns[col]) == n && !memcmp(x->o->columns[col], v, n),
                 "the header names the columns");
        return;
    }
    if ((x->o->flags & DDBS_F_CSV_SAFE) && n) {
        size_t i = 0;
        FZ_CHECK(v[0] != '=' && v[0] != '+' && v[0] != '@' && v[0] != '\t' && v[0] != '\r',
                 "CSV_SAFE: no cell starts like a formula");
        /* '-' only for numbers, which are not guarded */
        FZ_CHECK(v[0] != '-' || (jv_number((const unsigned char *)v, n, &i) && i == n),
                 "CSV_SAFE: a cell starting with '-' is a number");
    }
}

static void check_csv(const fz_run *r, const ddbs_options *o)
{
    csv_ctx x;
    csv_info info;
    char *tmp = (char *)malloc(r->out.n + 1);
    size_t i, err;
    int crlf = (o->flags & DDBS_F_CRLF) != 0;
    if (!tmp) abort();
    x.o = o;
    /* the whole output, then each piece alone: exactly one row each */
    x.header = 0;
    if (!csv_check(r->out.p, r->out.n, o->ncolumns, crlf, tmp, NULL, NULL, &info)) {
        fprintf(stderr, "CSV invalid at %zu: %s\n", info.err, info.why);
        FZ_CHECK(0, "CSV output is RFC 4180");
    }
    FZ_CHECK(info.rows == r->kinds.n, "one CSV row per delivered piece");
    for (i = 0; i < r->kinds.n; i++) {
        size_t b = i ? fz_size_at(&r->ends, i - 1) : 0, e = fz_size_at(&r->ends, i);
        x.header = r->kinds.p[i] == 'h';
        FZ_CHECK(!x.header || i == 0, "the header comes first");
        if (!csv_check(r->out.p + b, e - b, o->ncolumns, crlf, tmp, csv_field, &x, &info)) {
            fprintf(stderr, "CSV row %zu invalid at %zu: %s: %.*s\n", i, info.err, info.why,
                    (int)(e - b), r->out.p + b);
            FZ_CHECK(0, "each CSV row is RFC 4180");
        }
        FZ_CHECK(info.rows == 1, "each delivered CSV piece is one row");
    }
    FZ_CHECK(jv_utf8_all(r->out.p, r->out.n, &err), "CSV output is valid UTF-8");
    free(tmp);
}

/* ---- typed versus plain ----------------------------------------------------------------- */

/* Images kept by index: entries of [uint64 index][size_t k][size_t len][bytes]. */
static void keep_images(fz_run *r, const ddbs_record *rec)
{
    fz_buf *b = (fz_buf *)r->hook_user;
    size_t k;
    image_hook(r, rec);
    for (k = 0; k < 3; k++) {
        if (!rec->image[k]) continue;
        fz_put(b, &rec->index, sizeof rec->index);
        fz_put_size(b, k);
        fz_put_size(b, rec->image_len[k]);
        fz_put(b, rec->image[k], rec->image_len[k]);
    }
}

/* Next entry at *at: returns 0 at the end. */
static int next_image(const fz_buf *b, size_t *at, uint64_t *index, size_t *k, const char **s, size_t *n)
{
    if (*at >= b->n) return 0;
    memcpy(index, b->p + *at, sizeof *index);
    memcpy(k, b->p + *at + sizeof *index, sizeof *k);
    memcpy(n, b->p + *at + sizeof *index + sizeof *k, sizeof *n);
    *s = b->p + *at + sizeof *index + 2 * sizeof *k;
    *at += sizeof *index + 2 * sizeof *k + *n;
    return 1;
}

typedef struct one_line { fz_buf out; size_t calls; } one_line;

static int one_sink(void *user, const char *s, size_t n)
{
    one_line *o = (one_line *)user;
    fz_put(&o->out, s, n);
    o->calls++;
    return 0;
}

/* The typed image, as the NewImage of a record converted in item shape, equals plain. */
static void typed_means_plain(const char *typed, size_t tn, const char *plain, size_t pn, uint32_t flags)
{
    static const char pre[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":", post[] = "}}";
    ddbs_options o;
    ddbs_parser p;
    one_line got;
    size_t bs = tn + 8192;
    char *buf = (char *)malloc(bs);
    fz_buf doc;
    if (!buf) abort();
    memset(&doc, 0, sizeof doc);
    memset(&got, 0, sizeof got);
    fz_put(&doc, pre, sizeof pre - 1);
    fz_put(&doc, typed, tn);
    fz_put(&doc, post, sizeof post - 1);
    memset(&o, 0, sizeof o);
    o.sink = one_sink;
    o.user = &got;
    o.buf = buf;
    o.buf_size = bs;
    o.shape = DDBS_SHAPE_ITEM;
    o.flags = flags & DDBS_F_NUMBERS_AS_STRINGS;
    FZ_CHECK(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    if (ddbs_parser_feed(&p, doc.p, doc.n) != DDBS_OK || ddbs_parser_finish(&p) != DDBS_OK) {
        fprintf(stderr, "typed image rejected: %s at %llu: %.*s\n", ddbs_strerror(p.error),
                (unsigned long long)p.error_offset, (int)doc.n, doc.p);
        FZ_CHECK(0, "a typed image is valid DynamoDB JSON");
    }
    if (!(got.calls == 1 && got.out.n == pn + 1 && !memcmp(got.out.p, plain, pn))) {
        fprintf(stderr, "typed %.*s\ngave  %.*s\nplain %.*s\n", (int)tn, typed, (int)got.out.n,
                got.out.p, (int)pn, plain);
        FZ_CHECK(0, "a typed image means the plain one");
    }
    fz_buf_free(&doc);
    fz_buf_free(&got.out);
    free(buf);
}

static void check_typed(const uint8_t *in, size_t len, const fz_conf *c)
{
    fz_conf typed = *c, plain = *c;
    fz_run a, b;
    fz_buf ia, ib;
    size_t at_a = 0, at_b = 0;
    uint64_t xa, xb;
    size_t ka, kb, na, nb;
    const char *sa, *sb;
    typed.o.buf_size = plain.o.buf_size = 65536;  /* the same lines fit in both */
    plain.o.format = DDBS_FORMAT_NDJSON;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&ia, 0, sizeof ia);
    memset(&ib, 0, sizeof ib);
    a.hook = keep_images;
    a.hook_user = &ia;
    b.hook = keep_images;
    b.hook_user = &ib;
    fz_exec(&a, &typed, in, len, NULL, 0, 0);
    fz_exec(&b, &plain, in, len, NULL, 0, 0);
    /* merge by record index and image: a line may be too big in one form only */
    while (next_image(&ia, &at_a, &xa, &ka, &sa, &na)) {
        size_t save = at_b;
        int found = 0;
        while (next_image(&ib, &at_b, &xb, &kb, &sb, &nb)) {
            if (xb > xa || (xb == xa && kb > ka)) break;
            if (xb == xa && kb == ka) { found = 1; break; }
            save = at_b;
        }
        if (found) typed_means_plain(sa, na, sb, nb, c->o.flags);
        else at_b = save;
    }
    fz_buf_free(&ia);
    fz_buf_free(&ib);
    fz_run_free(&a);
    fz_run_free(&b);
}

/* ---- BatchWriteItem bodies -------------------------------------------------------------- */

typedef struct batch_ctx { ddbs_batch b; size_t bodies, size; } batch_ctx;

static int batch_sink(void *user, const char *s, size_t n)
{
    batch_ctx *x = (batch_ctx *)user;
    jv_info info;
    FZ_CHECK(n <= x->size && n > 0 && s[n - 1] == '\n' && !memchr(s, '\n', n - 1),
             "a batch body is one line within buf_size");
    check_json(s, n, "batch body");
    FZ_CHECK(jv_check(s, n, &info) && info.nkeys == 1 && info.key_len[0] == 12 &&
             !memcmp(info.key[0], "RequestItems", 12), "a batch body is {\"RequestItems\":..}");
    x->bodies++;
    return 0;
}

static void check_batch(const uint8_t *in, size_t len, const fz_conf *c)
{
    fz_conf bc = *c;
    fz_run r;
    batch_ctx x;
    ddbs_batch_options bo;
    char *body;
    memset(&x, 0, sizeof x);
    memset(&bo, 0, sizeof bo);
    bc.o.buf_size = 65536;
    x.size = c->o.buf_size;  /* 4096 .. 65536: small bodies split often */
    body = (char *)malloc(x.size);
    if (!body) abort();
    bo.sink = batch_sink;
    bo.user = &x;
    bo.buf = body;
    bo.buf_size = x.size;
    bo.table = "fuzz-table.1";
    bo.flags = c->consume ? DDBS_BF_DELETE : 0u;
    FZ_CHECK(ddbs_batch_init(&x.b, &bo) == DDBS_OK, "batch init");
    memset(&r, 0, sizeof r);
    r.on_record = ddbs_batch_add;
    r.on_record_user = &x.b;
    fz_exec(&r, &bc, in, len, NULL, 0, 0);
    if (r.rc == DDBS_OK) {
        FZ_CHECK(ddbs_batch_finish(&x.b) == DDBS_OK, "batch finish after a clean run");
        FZ_CHECK(x.b.requests == r.records_out, "one request per record");
        FZ_CHECK(x.b.bodies == x.bodies, "bodies counted");
        FZ_CHECK(x.b.requests <= x.bodies * DDBS_BATCH_MAX, "at most 25 requests a body");
    } else if (r.rc == DDBS_E_SINK) {
        FZ_CHECK(x.b.error != DDBS_OK, "the batch writer says why it stopped");
    }
    fz_run_free(&r);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_conf c;
    fz_run r;
    size_t used = fz_conf_read(data, size, &c), i, len = size - used;
    char *in = fz_dup(data + used, len);
    memset(&r, 0, sizeof r);
    r.hook = image_hook;
    fz_exec(&r, &c, (const uint8_t *)in, len, NULL, 0, 0);
    if (c.o.format == DDBS_FORMAT_CSV) {
        check_csv(&r, &c.o);
    } else {
        for (i = 0; i < r.kinds.n; i++) {
            size_t b = i ? fz_size_at(&r.ends, i - 1) : 0, e = fz_size_at(&r.ends, i);
            check_json(r.out.p + b, e - b, "line");
            if (c.o.shape == DDBS_SHAPE_RECORD) check_record_keys(r.out.p + b, e - b, c.o.flags);
        }
    }
    fz_run_free(&r);
    if (c.o.format == DDBS_FORMAT_DDB && c.o.shape == DDBS_SHAPE_RECORD &&
        !(c.o.flags & DDBS_F_PARSE_ONLY)) {
        check_typed((const uint8_t *)in, len, &c);
        check_batch((const uint8_t *)in, len, &c);
    }
    free(in);
    return 0;
}
