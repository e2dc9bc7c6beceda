/* Kinesis, Firehose and DynamoDB export inputs at the library level: the real KDS samples in
   tests/data, the fixtures in tests/data/forms (payloads decoded in its README.md), the time
   unit each form gives, errors inside base64 payloads and where they are reported, Firehose
   parts (on_part) and the response writer (ddbs_firehose_*), also within a small buffer; and
   split invariance: each fixture cut at every byte, fed byte by byte and in random pieces
   gives the same output, code, offset, counters, records and parts as one feed, with and
   without on_part. Inputs written inline use ' for " (see Q). Run from the repository root
   (or set DDBS_DATA). Link with tests/impl.c. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>

#include <criterion/criterion.h>

#include "run.h"

#define ULL(x) ((unsigned long long)(x))
#define RANDOM_SPLITS 30
#define MAX_RANDOM_CUTS 40
#define MAX_RECS 64
#define SPLIT_FH_CAP 65536u   /* response buffer in split runs: enough for every fixture */

/* ------------------------------------------------------------------ helpers ----------- */

/* JSON with ' for ": Q("{'a':1}") is {"a":1}. A ring of buffers, so a few can be used at once. */
static const char *Q(const char *src)
{
    static char ring[16][8192];
    static unsigned next;
    char *d = ring[next++ % 16u];
    size_t i;
    for (i = 0; src[i] && i + 1 < sizeof ring[0]; i++) d[i] = src[i] == '\'' ? '"' : src[i];
    d[i] = 0;
    return d;
}

/* A growable byte string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = (char *)run_xalloc(b->p, b->cap);
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;  /* NUL-terminated, so strstr and %s work on it */
}

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_put(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_free(sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static const char *sb_str(const sbuf *b) { return b->p ? b->p : ""; }

static int sb_eq(const sbuf *a, const sbuf *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Start of the n-th (1-based) occurrence of needle; fails the test if absent. */
static size_t posn(const char *s, const char *needle, int n)
{
    const char *at = s - 1;
    while (n-- > 0) {
        at = strstr(at + 1, needle);
        cr_assert(at != NULL, "'%s' not found", needle);
    }
    return (size_t)(at - s);
}

/* The n-th "data" string of an event: [*beg, *end) from its first base64 character to its
   closing quote, so an error reported at the quote is inside [*beg, *end]. */
static void data_span(const char *s, int n, size_t *beg, size_t *end)
{
    size_t k = posn(s, "\"data\"", n) + 6;
    while (s[k] != '"') k++;
    *beg = ++k;
    while (s[k] != '"') k++;
    *end = k;
}

/* Base64 into a fresh string, optionally with every '/' written as "\/". */
static char *b64(const char *src, size_t n, int esc_slash)
{
    char *raw = (char *)run_xalloc(NULL, 4 * ((n + 2) / 3) + 1), *d;
    size_t i, o = 0;
    run_b64(src, n, raw);
    d = (char *)run_xalloc(NULL, 2 * strlen(raw) + 1);
    for (i = 0; raw[i]; i++) {
        if (raw[i] == '/' && esc_slash) d[o++] = '\\';
        d[o++] = raw[i];
    }
    d[o] = 0;
    free(raw);
    return d;
}

/* Where an error at decoded byte pos of a payload is reported: the first character of the
   base64 group holding it, counting the "\/" escapes before it. */
static size_t group_at(const char *escaped, size_t pos)
{
    size_t want = pos / 3 * 4, seen = 0, i = 0;
    while (seen < want) {
        if (escaped[i] == '\\') i++;
        i++;
        seen++;
    }
    return i;
}

/* ------------------------------------------------------------------ the harness -------- */

enum { FR_PLAIN, FR_PARTS, FR_FIREHOSE };  /* no on_part; on_part; on_part + response */

typedef struct rec_seen {
    uint64_t index;
    unsigned event;
    int ttl;
    uint32_t unit;
    char time[40], id[40];
} rec_seen;

/* Everything a run reports. out: bytes given to the sink; log: on_record, on_part and
   on_error calls in order; resp: the Firehose response (FR_FIREHOSE). */
typedef struct frun {
    int mode;
    ddbs_result rc;
    uint64_t error_offset, error_record, records_in, records_out, bytes_out, documents, skipped;
    sbuf out, log, resp;
    size_t lines, parts, resp_calls, nrecs;
    rec_seen recs[MAX_RECS];
    int bad_call, not_sticky;
    ddbs_result fh_rc;
    uint32_t ok, dropped, failed;
    const char *buf, *fhbuf;  /* staging and response buffers, to check where data comes from */
    size_t buf_size, fh_cap;
    ddbs_firehose fh;
} frun;

static int fr_sink(void *user, const char *data, size_t len)
{
    frun *r = (frun *)user;
    /* one whole line per call, from the staging buffer (JSON strings hold no raw newline) */
    if (len == 0 || data[len - 1] != '\n' || memchr(data, '\n', len - 1) || data < r->buf ||
        data + len > r->buf + r->buf_size)
        r->bad_call = 1;
    sb_put(&r->out, data, len);
    r->lines++;
    return 0;
}

static int fr_record(void *user, const ddbs_record *rec)
{
    frun *r = (frun *)user;
    if (r->nrecs < MAX_RECS) {
        rec_seen *s = &r->recs[r->nrecs];
        s->index = rec->index;
        s->event = rec->event;
        s->ttl = rec->ttl;
        s->unit = rec->time_unit;
        snprintf(s->time, sizeof s->time, "%.*s", (int)rec->time_len, rec->time);
        snprintf(s->id, sizeof s->id, "%.*s", (int)rec->event_id_len, rec->event_id);
    }
    r->nrecs++;
    sb_printf(&r->log, "record %llu ev=%u ttl=%d unit=%lu time=%.*s id=%.*s\n", ULL(rec->index),
              rec->event, rec->ttl, (unsigned long)rec->time_unit, (int)rec->time_len, rec->time,
              (int)rec->event_id_len, rec->event_id);
    if (rec->line_len == 0 || rec->line[rec->line_len - 1] != '\n' || rec->line < r->buf ||
        rec->line + rec->line_len > r->buf + r->buf_size)
        r->bad_call = 1;
    return r->mode == FR_FIREHOSE ? ddbs_firehose_add(&r->fh, rec) : 0;
}

static int fr_part(void *user, const char *id, size_t n, ddbs_result rc, uint64_t lines)
{
    frun *r = (frun *)user;
    r->parts++;
    sb_printf(&r->log, "part %.*s rc=%s lines=%llu\n", (int)n, id, ddbs_strerror(rc), ULL(lines));
    return r->mode == FR_FIREHOSE ? ddbs_firehose_part(&r->fh, id, n, rc, lines) : 0;
}

static void fr_report(void *user, ddbs_result rc, uint64_t offset, uint64_t record)
{
    frun *r = (frun *)user;
    sb_printf(&r->log, "skipped rc=%s at %llu record %llu\n", ddbs_strerror(rc), ULL(offset),
              ULL(record));
}

static int fr_resp(void *user, const char *data, size_t len)
{
    frun *r = (frun *)user;
    if (data < r->fhbuf || data + len > r->fhbuf + r->fh_cap) r->bad_call = 1;
    sb_put(&r->resp, data, len);
    r->resp_calls++;
    return 0;
}

/* Feeds in[0..len) in pieces of `step` bytes (step > 0) or cut at cuts[0..ncuts), then
   finishes (and in FR_FIREHOSE closes the response). opt gives format, shape, flags, events
   and buf_size; the callbacks are the harness's. Buffers are allocated at their exact size so
   AddressSanitizer sees any write past them. */
static frun fr_pieces(const char *in, size_t len, const ddbs_options *opt, int mode,
                      size_t fh_cap, size_t step, const size_t *cuts, size_t ncuts)
{
    ddbs_options o = *opt;
    ddbs_parser p;
    frun r;
    char *buf, *fhbuf = NULL;
    memset(&r, 0, sizeof r);
    r.mode = mode;
    o.buf_size = o.buf_size ? o.buf_size : RUN_DEFAULT_BUF;
    buf = (char *)run_xalloc(NULL, o.buf_size);
    o.buf = buf;
    o.sink = fr_sink;
    o.on_record = fr_record;
    o.on_error = fr_report;
    o.on_part = mode == FR_PLAIN ? NULL : fr_part;
    o.user = &r;
    r.buf = buf;
    r.buf_size = o.buf_size;
    if (mode == FR_FIREHOSE) {
        fhbuf = (char *)run_xalloc(NULL, fh_cap);
        r.fhbuf = fhbuf;
        r.fh_cap = fh_cap;
        cr_assert(ddbs_firehose_init(&r.fh, fr_resp, &r, fhbuf, fh_cap) == DDBS_OK);
    }
    memset(&p, 0xA5, sizeof p);  /* init must not rely on a zeroed struct */
    r.rc = ddbs_parser_init(&p, &o);
    cr_assert(r.rc == DDBS_OK, "init: %s", ddbs_strerror(r.rc));
    run_feed(&p, in, len, step, cuts, ncuts, &r.rc, &r.error_offset, &r.not_sticky);
    r.error_offset = p.error_offset;
    r.error_record = p.error_record;
    r.records_in = p.records_in;
    r.records_out = p.records_out;
    r.bytes_out = p.bytes_out;
    r.documents = p.documents;
    r.skipped = p.skipped;
    if (mode == FR_FIREHOSE) {
        r.fh_rc = r.rc == DDBS_OK ? ddbs_firehose_finish(&r.fh) : r.fh.error;
        r.ok = r.fh.ok;
        r.dropped = r.fh.dropped;
        r.failed = r.fh.failed;
    }
    free(buf);
    free(fhbuf);
    r.buf = r.fhbuf = NULL;
    return r;
}

static frun fr_whole(const char *in, size_t len, const ddbs_options *opt, int mode, size_t fh_cap)
{
    return fr_pieces(in, len, opt, mode, fh_cap, 0, NULL, 0);
}

static void fr_free(frun *r)
{
    sb_free(&r->out);
    sb_free(&r->log);
    sb_free(&r->resp);
}

/* 0 when a and b agree on everything observable, else 1 with the first difference in why. */
static int fr_differs(const frun *a, const frun *b, char *why, size_t why_size)
{
#define FR_CMP(f) \
    if (a->f != b->f) { \
        snprintf(why, why_size, #f ": %llu vs %llu", ULL(a->f), ULL(b->f)); \
        return 1; \
    }
    FR_CMP(rc) FR_CMP(error_offset) FR_CMP(error_record) FR_CMP(records_in) FR_CMP(records_out)
    FR_CMP(bytes_out) FR_CMP(documents) FR_CMP(skipped) FR_CMP(lines) FR_CMP(parts)
    FR_CMP(nrecs) FR_CMP(bad_call) FR_CMP(not_sticky) FR_CMP(fh_rc) FR_CMP(ok) FR_CMP(dropped)
    FR_CMP(failed) FR_CMP(resp_calls)
#undef FR_CMP
    if (!sb_eq(&a->out, &b->out)) { snprintf(why, why_size, "output differs"); return 1; }
    if (!sb_eq(&a->log, &b->log)) {
        snprintf(why, why_size, "records/parts differ:\n%s---\n%s", sb_str(&a->log), sb_str(&b->log));
        return 1;
    }
    if (!sb_eq(&a->resp, &b->resp)) { snprintf(why, why_size, "Firehose response differs"); return 1; }
    return 0;
}

/* xorshift64*: the same sequence everywhere, so a failing split can be replayed. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

static const char *const mode_name[3] = { "no on_part", "on_part", "firehose response" };

/* One feed against: two pieces cut at every byte, byte by byte, and random pieces. Stops at
   the first difference of each kind so one bug prints one message. */
static void check_split(const char *name, const char *in, size_t len, const ddbs_options *o,
                        const char *oname, int mode)
{
    frun whole = fr_whole(in, len, o, mode, SPLIT_FH_CAP), r;
    char why[4096];
    size_t cut, k, cuts[MAX_RANDOM_CUTS];
    cr_expect(!whole.bad_call && !whole.not_sticky, "%s [%s, %s]: one feed: bad call or error "
              "not sticky", name, oname, mode_name[mode]);
    for (cut = 1; cut < len; cut++) {
        int bad;
        r = fr_pieces(in, len, o, mode, SPLIT_FH_CAP, 0, &cut, 1);
        bad = fr_differs(&whole, &r, why, sizeof why);
        fr_free(&r);
        if (bad) {
            cr_expect(0, "%s [%s, %s]: cut at byte %zu: %s", name, oname, mode_name[mode], cut, why);
            break;
        }
    }
    r = fr_pieces(in, len, o, mode, SPLIT_FH_CAP, 1, NULL, 0);
    if (fr_differs(&whole, &r, why, sizeof why))
        cr_expect(0, "%s [%s, %s]: byte by byte: %s", name, oname, mode_name[mode], why);
    fr_free(&r);
    rng_state = len * 2654435761u + 7u;
    for (k = 0; len > 1 && k < RANDOM_SPLITS; k++) {
        size_t n = 1 + (size_t)(rng() % MAX_RANDOM_CUTS), j, m = 0;
        int bad;
        for (j = 0; j < n; j++) cuts[j] = 1 + (size_t)(rng() % (len - 1));
        qsort(cuts, n, sizeof cuts[0], cmp_size);
        for (j = 0; j < n; j++)
            if (m == 0 || cuts[j] != cuts[m - 1]) cuts[m++] = cuts[j];
        r = fr_pieces(in, len, o, mode, SPLIT_FH_CAP, 0, cuts, m);
        bad = fr_differs(&whole, &r, why, sizeof why);
        fr_free(&r);
        if (bad) {
            cr_expect(0, "%s [%s, %s]: random split %zu (%zu cuts, first at %zu): %s", name, oname,
                      mode_name[mode], k, m, cuts[0], why);
            break;
        }
    }
    fr_free(&whole);
}

/* The log without its " unit=N" fields. */
static void skeleton(const sbuf *log, char *d, size_t cap)
{
    const char *s = sb_str(log);
    size_t n = 0;
    while (*s && n + 1 < cap) {
        if (!strncmp(s, " unit=", 6)) {
            s += 6;
            while (*s >= '0' && *s <= '9') s++;
            continue;
        }
        d[n++] = *s++;
    }
    d[n] = 0;
}

static ddbs_options opts(ddbs_format format, ddbs_shape shape, uint32_t flags, uint32_t events)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.format = format;
    o.shape = shape;
    o.flags = flags;
    o.events = events;
    return o;
}

static ddbs_options no_opt(void) { return opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, 0); }

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    char *s;
    snprintf(rel, sizeof rel, "forms/%s", name);
    s = load_sample(rel, len);
    cr_assert(s, "cannot read %s/%s (run from the repository root)", data_dir(), rel);
    return s;
}

/* ------------------------------------------------- a strict reader for the response ----- */

typedef struct fh_entry {
    char id[300], result[32];
    char *data;  /* base64 text, NUL-terminated, owned */
} fh_entry;

/* Reads "key":"value" into dst (cap bytes); values here never hold '"' or '\\'. */
static const char *fh_field(const char *s, const char *key, char *dst, size_t cap)
{
    size_t kl = strlen(key), n = 0;
    if (s[0] != '"' || strncmp(s + 1, key, kl) != 0 || strncmp(s + 1 + kl, "\":\"", 3) != 0)
        return NULL;
    s += kl + 4;
    while (*s && *s != '"' && *s != '\\') {
        if (n + 1 < cap) dst[n++] = *s;
        s++;
    }
    dst[n] = 0;
    return *s == '"' ? s + 1 : NULL;
}

/* Parses {"records":[{..},..]}\n where each entry has exactly recordId, result and data (any
   order). Returns the number of entries, or -1 (nothing left allocated) if the text is not
   exactly that shape. */
static int fh_parse(const char *s, size_t len, fh_entry *e, int max)
{
    const char *end = s + len;
    int n = 0, k;
    if (len < 15 || strncmp(s, "{\"records\":[", 12) != 0 || strcmp(end - 3, "]}\n") != 0) return -1;
    s += 12;
    while (*s == '{') {
        int got = 0;
        if (n == max) goto fail;
        memset(&e[n], 0, sizeof e[n]);
        e[n].data = (char *)run_xalloc(NULL, len);
        n++;
        s++;
        for (k = 0; k < 3; k++) {
            const char *t;
            fh_entry *x = &e[n - 1];
            if (!(got & 1) && (t = fh_field(s, "recordId", x->id, sizeof x->id)) != NULL) got |= 1;
            else if (!(got & 2) && (t = fh_field(s, "result", x->result, sizeof x->result)) != NULL) got |= 2;
            else if (!(got & 4) && (t = fh_field(s, "data", x->data, len)) != NULL) got |= 4;
            else goto fail;
            s = t;
            if (k < 2 && *s++ != ',') goto fail;
        }
        if (*s++ != '}') goto fail;
        if (*s == ',') s++;
        else break;
    }
    if (s == end - 3) return n;
fail:
    for (k = 0; k < n; k++) free(e[k].data);
    return -1;
}

static void fh_free(fh_entry *e, int n)
{
    int k;
    for (k = 0; k < n; k++) free(e[k].data);
}

/* ------------------------------------------------------------------ expected lines ----- */

#define K1 "{'eventName':'INSERT','eventID':'k1-insert','ApproximateCreationDateTime':1731924555370," \
           "'Keys':{'pk':'order#1'},'NewImage':{'pk':'order#1','total':12.50,'tags':['a','b']}}\n"
#define K2 "{'eventName':'MODIFY','eventID':'k2-modify','ApproximateCreationDateTime':1731924555370123," \
           "'Keys':{'pk':'order#2','sk':7},'NewImage':{'pk':'order#2','sk':7,'blob':'3q2+7w==','n':-1.5E+3," \
           "'m':{'ok':true,'none':null,'l':['x\\u00e9\\'y?????" "',[1,2.5]]},'bs':['AA==','/w==']}," \
           "'OldImage':{'pk':'order#2','sk':7,'n':0}}\n"
#define K3 "{'eventName':'REMOVE','eventID':'k3-ttl','ApproximateCreationDateTime':1731924555999," \
           "'userIdentity':{'type':'Service','principalId':'dynamodb.amazonaws.com'}," \
           "'Keys':{'pk':'session#9'},'OldImage':{'pk':'session#9','ttl':1731920000}}\n"
#define K4 "{'eventName':'INSERT','eventID':'k4-pretty','ApproximateCreationDateTime':1731924556001," \
           "'Keys':{'pk':'order#4'},'NewImage':{'pk':'order#4','e':'','l':[]}}\n"
#define F1 "{'eventName':'INSERT','eventID':'f1','ApproximateCreationDateTime':1700000000000," \
           "'Keys':{'id':1},'NewImage':{'id':1,'s':'one'}}\n"
#define F3 "{'eventName':'MODIFY','eventID':'f3','ApproximateCreationDateTime':1700000000000001," \
           "'Keys':{'id':3},'NewImage':{'id':3,'s':'three'},'OldImage':{'id':3,'s':'3'}}\n"
#define F4 "{'eventName':'REMOVE','eventID':'f4','ApproximateCreationDateTime':1700000000002," \
           "'Keys':{'id':4},'OldImage':{'id':4}}\n"
#define F6 "{'eventName':'INSERT','eventID':'f6','ApproximateCreationDateTime':1700000000004," \
           "'Keys':{'id':6},'NewImage':{'id':6}}\n"
#define FH_ID(n) "4954698668313554428650745793632162567570019247115678515" #n "000000"
/* f2's payload: the error is at its last '}' (a trailing comma before it) */
#define F2_TEXT "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"id\":{\"N\":\"2\"}}},}"

#define PT_1 "{'eventName':'INSERT','eventID':'d9428029-0f63-4056-86da-ce10d545b1b9'," \
             "'ApproximateCreationDateTime':1731924555370,'Keys':{'id':'record-1qit2y819gi'}," \
             "'NewImage':{'id':'record-1qit2y819gi','data':'data-x6aq7ckdpgk'}}\n"
#define PT_2 "{'eventName':'INSERT','eventID':'aa56cad4-311a-46c8-ab5f-c7a13a7a6298'," \
             "'ApproximateCreationDateTime':1731924555370,'Keys':{'id':'record-fvxn3q4q5jw'}," \
             "'NewImage':{'id':'record-fvxn3q4q5jw','data':'data-4eompjs89n5'}}\n"

static void expect_out(const char *what, const frun *r, const char *want)
{
    cr_expect(strcmp(sb_str(&r->out), want) == 0, "%s: output\n%s\nwant\n%s", what, sb_str(&r->out), want);
}

/* ------------------------------------------------------------------ real samples ------- */

/* A real Lambda Kinesis event whose base64 payloads are KDS-for-DynamoDB records; decoded by
   hand (base64 -d): INSERTs, ACDT in milliseconds, userIdentity null (left out), no
   SequenceNumber; the wrapper's own eventID and eventName do not leak into the line. */
Test(samples, powertools_kinesis_kds)
{
    size_t len = 0;
    char *in = load_sample("aws-powertools-powertools-lambda-typescript/dynamodb-stream.json", &len);
    ddbs_options o = no_opt();
    frun r;
    cr_assert(in, "sample missing (run from the repository root)");
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s at %llu", ddbs_strerror(r.rc), ULL(r.error_offset));
    expect_out("dynamodb-stream.json", &r, Q(PT_1 PT_2));
    cr_expect(r.records_in == 2 && r.records_out == 2 && r.documents == 1 && r.nrecs == 2);
    cr_expect(r.recs[0].event == DDBS_EV_INSERT && r.recs[1].event == DDBS_EV_INSERT);
    cr_expect(strcmp(r.recs[1].time, "1731924555370") == 0, "time %s", r.recs[1].time);
    fr_free(&r);
    /* with on_part too: not a Firehose event, so no part */
    r = fr_whole(in, len, &o, FR_PARTS, 0);
    cr_expect(r.rc == DDBS_OK && r.parts == 0 && r.lines == 2);
    fr_free(&r);
    free(in);
}

/* A bare KDS record, pretty printed: userIdentity null, recordFormat, tableName, no time. */
Test(samples, rust_bare_kds_record)
{
    size_t len = 0;
    char *in = load_sample("awslabs-aws-lambda-rust-runtime/"
                           "example-dynamodb-event-record-with-optional-fields.json", &len);
    ddbs_options o = no_opt();
    frun r;
    cr_assert(in, "sample missing (run from the repository root)");
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s", ddbs_strerror(r.rc));
    expect_out("rust sample", &r, Q("{'eventName':'INSERT','eventID':'00000000-0000-0000-0000-000000000000',"
                                    "'Keys':{'id':'00000000-0000-0000-0000-000000000000'},"
                                    "'NewImage':{'id':'00000000-0000-0000-0000-000000000000',"
                                    "'created':'2022-02-16T15:12:00.14Z'}}\n"));
    cr_expect(r.nrecs == 1 && r.recs[0].time[0] == 0 && r.recs[0].unit == 0);
    fr_free(&r);
    free(in);
}

/* A real Firehose event whose payloads are not DynamoDB data ("Hello World" and
   {"Hello": "World"}): without on_part the run stops in the first payload; with it both parts
   fail on their own and the event as a whole is read. */
Test(samples, powertools_firehose_not_ddb)
{
    size_t len = 0, beg, end;
    char *in = load_sample("aws-powertools-powertools-lambda-typescript/firehose.json", &len);
    ddbs_options o = no_opt();
    frun r;
    fh_entry e[4];
    int n;
    cr_assert(in, "sample missing (run from the repository root)");
    data_span(in, 1, &beg, &end);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_E_SYNTAX && r.error_offset == beg && r.error_record == 1,
              "%s at %llu record %llu, want syntax at %zu", ddbs_strerror(r.rc),
              ULL(r.error_offset), ULL(r.error_record), beg);
    fr_free(&r);
    r = fr_whole(in, len, &o, FR_PARTS, 0);
    cr_expect(r.rc == DDBS_OK && r.lines == 0, "%s", ddbs_strerror(r.rc));
    cr_expect(strcmp(sb_str(&r.log), "part record1 rc=malformed JSON lines=0\n"
                                     "part record2 rc=document is not a DynamoDB stream event or "
                                     "record lines=0\n") == 0, "parts:\n%s", sb_str(&r.log));
    fr_free(&r);
    r = fr_whole(in, len, &o, FR_FIREHOSE, DDBS_FIREHOSE_BYTES);
    n = fh_parse(r.resp.p ? r.resp.p : "", r.resp.n, e, 4);
    cr_expect(r.fh_rc == DDBS_OK && r.failed == 2 && r.ok == 0 && n == 2, "response: %s", sb_str(&r.resp));
    if (n == 2)
        cr_expect(!strcmp(e[0].id, "record1") && !strcmp(e[1].id, "record2") &&
                  !strcmp(e[0].result, "ProcessingFailed") && !strcmp(e[1].result, "ProcessingFailed") &&
                  !e[0].data[0] && !e[1].data[0], "response: %s", sb_str(&r.resp));
    fh_free(e, n);
    fr_free(&r);
    free(in);
}

/* ------------------------------------------------------------------ fixtures ----------- */

/* Lambda Kinesis event: ms without precision, MICROSECOND (payload with \/ escapes),
   MILLISECOND before the time in a TTL delete whose dynamodb comes first, a pretty payload
   with a newline after it; the wrapper's keys before and after "kinesis". */
Test(fixtures, kinesis_event)
{
    size_t len = 0;
    char *in = fixture("kinesis-event.input", &len);
    ddbs_options o = no_opt();
    frun r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s at %llu", ddbs_strerror(r.rc), ULL(r.error_offset));
    expect_out("kinesis-event", &r, Q(K1 K2 K3 K4));
    cr_expect(r.documents == 1 && r.records_in == 4 && r.records_out == 4 && r.nrecs == 4,
              "%llu documents %llu records", ULL(r.documents), ULL(r.records_in));
    if (r.nrecs == 4) {
        cr_expect(r.recs[0].event == DDBS_EV_INSERT && r.recs[1].event == DDBS_EV_MODIFY &&
                  r.recs[2].event == DDBS_EV_REMOVE && r.recs[3].event == DDBS_EV_INSERT);
        cr_expect(!r.recs[0].ttl && !r.recs[1].ttl && r.recs[2].ttl && !r.recs[3].ttl);
        cr_expect(r.recs[1].unit == 1000000 && r.recs[2].unit == 1000, "units %lu %lu",
                  (unsigned long)r.recs[1].unit, (unsigned long)r.recs[2].unit);
        cr_expect(!strcmp(r.recs[1].time, "1731924555370123") && !strcmp(r.recs[2].id, "k3-ttl"));
        cr_expect(r.recs[3].index == 3);
    }
    fr_free(&r);
    /* filters see the payload's eventName, not the wrapper's "aws:kinesis:record" */
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_TTL_ONLY, 0);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    expect_out("kinesis-event --ttl-only", &r, Q(K3));
    fr_free(&r);
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META, DDBS_EV_MODIFY);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    expect_out("kinesis-event item MODIFY", &r,
               Q("{'_eventName':'MODIFY','_eventID':'k2-modify','_ApproximateCreationDateTime':"
                 "1731924555370123,'pk':'order#2','sk':7,'blob':'3q2+7w==','n':-1.5E+3,'m':{'ok':true,"
                 "'none':null,'l':['x\\u00e9\\'y?????" "',[1,2.5]]},'bs':['AA==','/w==']}\n"));
    fr_free(&r);
    o = opts(DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, DDBS_F_NO_NEW | DDBS_F_NO_OLD, DDBS_EV_REMOVE);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    expect_out("kinesis-event ddb REMOVE keys", &r,
               Q("{'eventName':'REMOVE','eventID':'k3-ttl','ApproximateCreationDateTime':1731924555999,"
                 "'userIdentity':{'type':'Service','principalId':'dynamodb.amazonaws.com'},"
                 "'Keys':{'pk':{'S':'session#9'}}}\n"));
    fr_free(&r);
    free(in);
}

/* Bare KDS records, NDJSON: ms, MICROSECOND, and one with the precision before the time and
   without awsRegion, userIdentity, eventSource. */
Test(fixtures, kds_records)
{
    size_t len = 0;
    char *in = fixture("kds-records.input", &len);
    ddbs_options o = no_opt();
    frun r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s", ddbs_strerror(r.rc));
    expect_out("kds-records", &r,
               Q("{'eventName':'INSERT','eventID':'d1','ApproximateCreationDateTime':1700000000000,"
                 "'Keys':{'id':'a'},'NewImage':{'id':'a','n':1E+2}}\n"
                 "{'eventName':'MODIFY','eventID':'d2','ApproximateCreationDateTime':1700000000000123,"
                 "'Keys':{'id':'b'},'NewImage':{'id':'b'},'OldImage':{'id':'b','gone':true}}\n"
                 "{'eventName':'REMOVE','eventID':'d3','ApproximateCreationDateTime':1700000000000456,"
                 "'Keys':{'id':'c'}}\n"));
    cr_expect(r.documents == 3 && r.nrecs == 3);
    if (r.nrecs == 3)
        cr_expect(r.recs[1].unit == 1000000 && r.recs[2].unit == 1000000, "units %lu %lu",
                  (unsigned long)r.recs[1].unit, (unsigned long)r.recs[2].unit);
    fr_free(&r);
    free(in);
}

/* Full export lines come out as {"NewImage":{...}}: every type, nesting, escapes kept. */
Test(fixtures, export_full)
{
    size_t len = 0;
    char *in = fixture("export-full.input", &len);
    ddbs_options o = no_opt();
    frun r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s", ddbs_strerror(r.rc));
    expect_out("export-full", &r,
               Q("{'NewImage':{'pk':'user#1','age':42,'tags':['x','y'],'scores':[1,2.5E3],'bin':'AAEC',"
                 "'bins':['AA==','AQ=='],'ok':false,'none':null,'addr':{'city':'Paris','zip':75001},"
                 "'hist':[1,'two',[]]}}\n"
                 "{'NewImage':{'pk':'user#2'}}\n"
                 "{'NewImage':{'pk':'user\\u00e9#3','n':-0.000001}}\n"));
    cr_expect(r.documents == 3 && r.records_in == 3 && r.nrecs == 3);
    if (r.nrecs == 3)
        cr_expect(r.recs[0].event == DDBS_EV_INSERT && r.recs[2].event == DDBS_EV_INSERT &&
                  r.recs[0].time[0] == 0 && r.recs[0].id[0] == 0);
    fr_free(&r);
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, 0, 0);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(strstr(sb_str(&r.out), Q("{'pk':'user#2'}\n{'pk':'user\\u00e9#3','n':-0.000001}\n")) != NULL,
              "item shape:\n%s", sb_str(&r.out));
    fr_free(&r);
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, DDBS_EV_REMOVE);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK && r.lines == 0 && r.records_in == 3, "full exports are INSERTs");
    fr_free(&r);
    free(in);
}

/* Incremental export lines: the write time, and the event the images imply (NewImage and
   OldImage MODIFY, NewImage INSERT, else REMOVE), whatever the key order. */
Test(fixtures, export_incremental)
{
    static const unsigned ev[4] = { DDBS_EV_INSERT, DDBS_EV_MODIFY, DDBS_EV_REMOVE, DDBS_EV_REMOVE };
    size_t len = 0, k;
    char *in = fixture("export-incremental.input", &len);
    ddbs_options o = no_opt();
    frun r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.rc == DDBS_OK, "%s", ddbs_strerror(r.rc));
    expect_out("export-incremental", &r,
               Q("{'WriteTimestampMicros':1721011165891550,'Keys':{'pk':'a'},'NewImage':{'pk':'a','v':1}}\n"
                 "{'WriteTimestampMicros':1721011165891551,'Keys':{'pk':'a'},'NewImage':{'pk':'a','v':2},"
                 "'OldImage':{'pk':'a','v':1}}\n"
                 "{'WriteTimestampMicros':1721011165891552,'Keys':{'pk':'b'},'OldImage':{'pk':'b'}}\n"
                 "{'WriteTimestampMicros':1721011165891553,'Keys':{'pk':'c'}}\n"));
    cr_expect(r.nrecs == 4);
    for (k = 0; k < 4 && k < r.nrecs; k++) {
        char t[32];
        snprintf(t, sizeof t, "172101116589155%zu", k);
        cr_expect(r.recs[k].event == ev[k] && r.recs[k].unit == 1000000 && !strcmp(r.recs[k].time, t),
                  "line %zu: event %u unit %lu time %s", k, r.recs[k].event,
                  (unsigned long)r.recs[k].unit, r.recs[k].time);
    }
    fr_free(&r);
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, DDBS_EV_REMOVE);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.lines == 2 && strstr(sb_str(&r.out), "891552") && strstr(sb_str(&r.out), "891553"),
              "--events REMOVE:\n%s", sb_str(&r.out));
    fr_free(&r);
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META, DDBS_EV_INSERT | DDBS_EV_MODIFY);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    expect_out("export-incremental item", &r,
               Q("{'_WriteTimestampMicros':1721011165891550,'pk':'a','v':1}\n"
                 "{'_WriteTimestampMicros':1721011165891551,'pk':'a','v':2}\n"));
    fr_free(&r);
    o = opts(DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0, DDBS_EV_MODIFY);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    expect_out("export-incremental ddb", &r,
               Q("{'WriteTimestampMicros':1721011165891551,'Keys':{'pk':{'S':'a'}},'NewImage':{'pk':{'S':'a'},"
                 "'v':{'N':'2'}},'OldImage':{'pk':{'S':'a'},'v':{'N':'1'}}}\n"));
    fr_free(&r);
    free(in);
}

/* Firehose event: good parts f1 f3 f4 f6; f2 is not JSON, f5 has {"NULL":false}. Without
   on_part the run stops at f2's payload; with it only f2 and f5 fail. */
Test(fixtures, firehose_event_parts)
{
    size_t len = 0, beg, end;
    char *in = fixture("firehose-event.input", &len), *f2, sk[4096];
    ddbs_options o = no_opt();
    frun r;
    data_span(in, 2, &beg, &end);
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    f2 = b64(F2_TEXT, strlen(F2_TEXT), 0);
    cr_expect(r.rc == DDBS_E_SYNTAX && r.error_record == 2, "%s record %llu", ddbs_strerror(r.rc),
              ULL(r.error_record));
    cr_expect(r.error_offset == beg + group_at(f2, strlen(F2_TEXT) - 1),
              "error at %llu, want the group of its last byte: %zu (data %zu..%zu)",
              ULL(r.error_offset), beg + group_at(f2, strlen(F2_TEXT) - 1), beg, end);
    expect_out("firehose without on_part", &r, Q(F1));
    fr_free(&r);
    free(f2);
    r = fr_whole(in, len, &o, FR_PARTS, 0);
    cr_expect(r.rc == DDBS_OK, "%s at %llu", ddbs_strerror(r.rc), ULL(r.error_offset));
    expect_out("firehose parts", &r, Q(F1 F3 F4 F6));
    cr_expect(r.records_out == 4 && r.documents == 1);
    /* records and parts interleaved as read (units are checked in the time_unit suite) */
    skeleton(&r.log, sk, sizeof sk);
    cr_expect(strcmp(sk, "record 0 ev=1 ttl=0 time=1700000000000 id=f1\n"
                         "part " FH_ID(4) " rc=no error lines=1\n"
                         "part " FH_ID(5) " rc=malformed JSON lines=0\n"
                         "record 1 ev=2 ttl=0 time=1700000000000001 id=f3\n"
                         "part " FH_ID(6) " rc=no error lines=1\n"
                         "record 2 ev=4 ttl=0 time=1700000000002 id=f4\n"
                         "part " FH_ID(7) " rc=no error lines=1\n"
                         "part " FH_ID(8) " rc=invalid AttributeValue lines=0\n"
                         "record 3 ev=1 ttl=0 time=1700000000004 id=f6\n"
                         "part " FH_ID(9) " rc=no error lines=1\n") == 0, "parts:\n%s", sk);
    cr_expect(r.nrecs == 4 && r.recs[1].unit == 1000000, "f3 says MICROSECOND");
    fr_free(&r);
    free(in);
}

/* Checks a response against the fixture's parts: result per part, and Ok data = the base64
   of that part's lines. want[k]: the expected line (Q form) or NULL for ProcessingFailed, ""
   for Dropped. */
static void expect_response(const frun *r, const char *const *want, int n)
{
    fh_entry e[16];
    int got = fh_parse(r->resp.p ? r->resp.p : "", r->resp.n, e, 16), k;
    cr_expect(got == n, "%d entries, want %d; response:\n%s", got, n, sb_str(&r->resp));
    for (k = 0; k < got && k < n; k++) {
        char id[80];
        snprintf(id, sizeof id, "4954698668313554428650745793632162567570019247115678515%d000000", k + 4);
        cr_expect(!strcmp(e[k].id, id), "entry %d: recordId %s", k, e[k].id);
        if (!want[k]) {
            cr_expect(!strcmp(e[k].result, "ProcessingFailed") && !e[k].data[0], "entry %d: %s", k, e[k].result);
        } else if (!want[k][0]) {
            cr_expect(!strcmp(e[k].result, "Dropped"), "entry %d: %s, want Dropped", k, e[k].result);
        } else {
            const char *line = Q(want[k]);
            char *d = b64(line, strlen(line), 0);
            cr_expect(!strcmp(e[k].result, "Ok") && !strcmp(e[k].data, d), "entry %d: %s %s, want Ok %s",
                      k, e[k].result, e[k].data, d);
            free(d);
        }
    }
    fh_free(e, got);
    cr_expect(r->resp_calls == 1 && !r->bad_call, "the response goes out once, from its buffer");
}

Test(fixtures, firehose_response)
{
    static const char *const all[6] = { F1, NULL, F3, F4, NULL, F6 };
    static const char *const no_remove[6] = { F1, NULL, F3, "", NULL, F6 };
    size_t len = 0;
    char *in = fixture("firehose-event.input", &len);
    ddbs_options o = no_opt();
    frun r = fr_whole(in, len, &o, FR_FIREHOSE, DDBS_FIREHOSE_BYTES);
    cr_expect(r.rc == DDBS_OK && r.fh_rc == DDBS_OK, "%s / %s", ddbs_strerror(r.rc), ddbs_strerror(r.fh_rc));
    cr_expect(r.ok == 4 && r.failed == 2 && r.dropped == 0 && r.lines == 0, "%u Ok %u failed %u dropped",
              r.ok, r.failed, r.dropped);
    expect_response(&r, all, 6);
    fr_free(&r);
    /* filtered out: Dropped, not ProcessingFailed */
    o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, DDBS_EV_INSERT | DDBS_EV_MODIFY);
    r = fr_whole(in, len, &o, FR_FIREHOSE, DDBS_FIREHOSE_BYTES);
    cr_expect(r.fh_rc == DDBS_OK && r.ok == 3 && r.dropped == 1 && r.failed == 2);
    expect_response(&r, no_remove, 6);
    fr_free(&r);
    free(in);
}

/* ------------------------------------------------------------------ time units --------- */

static uint32_t unit_of(const char *in, char *time, size_t cap)
{
    ddbs_options o = no_opt();
    frun r = fr_whole(in, strlen(in), &o, FR_PLAIN, 0);
    uint32_t u = r.nrecs == 1 ? r.recs[0].unit : 0xFFFFFFFFu;
    cr_expect(r.rc == DDBS_OK && r.nrecs == 1, "%s: %s, %zu records", in, ddbs_strerror(r.rc), r.nrecs);
    if (time) snprintf(time, cap, "%s", r.nrecs ? r.recs[0].time : "");
    fr_free(&r);
    return u;
}

#define KDS_WITH(dd) "{'eventName':'INSERT','recordFormat':'application/json','tableName':'T'," \
                     "'dynamodb':{'Keys':{'k':{'S':'a'}}" dd "}}"

Test(time_unit, precision_and_exports)
{
    char t[64];
    int64_t secs = 0;
    cr_expect(unit_of(Q(KDS_WITH(",'ApproximateCreationDateTime':1731924555370123,"
                                 "'ApproximateCreationDateTimePrecision':'MICROSECOND'")), t, sizeof t) == 1000000);
    cr_expect(ddbs_time_seconds(t, strlen(t), 1000000, &secs) == 0 && secs == 1731924555, "%s", t);
    /* the precision may come first */
    cr_expect(unit_of(Q(KDS_WITH(",'ApproximateCreationDateTimePrecision':'MICROSECOND',"
                                 "'ApproximateCreationDateTime':1731924555370123")), NULL, 0) == 1000000);
    cr_expect(unit_of(Q(KDS_WITH(",'ApproximateCreationDateTimePrecision':'MILLISECOND',"
                                 "'ApproximateCreationDateTime':999999999999")), t, sizeof t) == 1000);
    cr_expect(ddbs_time_seconds(t, strlen(t), 1000, &secs) == 0 && secs == 999999999, "%s", t);
    cr_expect(unit_of(Q("{'Metadata':{'WriteTimestampMicros':{'N':'1721011165891550'}},"
                        "'Keys':{'k':{'S':'a'}}}"), t, sizeof t) == 1000000);
    cr_expect(ddbs_time_seconds(t, strlen(t), 1000000, &secs) == 0 && secs == 1721011165);
    /* a Lambda stream record does not say: seconds by size */
    cr_expect(unit_of(Q("{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':1731924555,"
                        "'Keys':{'k':{'S':'a'}}}}"), NULL, 0) == 0);
}

/* A KDS record (recordFormat, tableName) without ApproximateCreationDateTimePrecision has its
   time in milliseconds (issue C: "ApproximateCreationDateTime in ms, or us with
   ApproximateCreationDateTimePrecision"): the real capture has no precision field. Left to the
   size guess, 999999999999 ms (2001-09-09) reads as seconds in year 33658. */
Test(time_unit, kds_without_precision_is_ms)
{
    size_t len = 0;
    char t[64];
    int64_t secs = 0;
    char *in = load_sample("aws-powertools-powertools-lambda-typescript/dynamodb-stream.json", &len);
    ddbs_options o = no_opt();
    frun r;
    cr_assert(in, "sample missing (run from the repository root)");
    r = fr_whole(in, len, &o, FR_PLAIN, 0);
    cr_expect(r.nrecs == 2 && r.recs[0].unit == 1000 && r.recs[1].unit == 1000,
              "real KDS capture: time_unit %lu, want 1000", (unsigned long)r.recs[0].unit);
    fr_free(&r);
    free(in);
    cr_expect(unit_of(Q(KDS_WITH(",'ApproximateCreationDateTime':999999999999")), t, sizeof t) == 1000,
              "bare KDS record without precision: want 1000");
    cr_expect(ddbs_time_seconds(t, strlen(t), 1000, &secs) == 0 && secs == 999999999);
}

/* ------------------------------------------------------------------ payload errors ----- */

/* A Lambda Kinesis event with one good payload, then `data` (already base64) as the second. */
static char *kinesis_with(const char *data)
{
    static const char good[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}";
    char *g = b64(good, strlen(good), 0), *s = (char *)run_xalloc(NULL, strlen(data) + 512);
    sprintf(s, "{\"Records\":[{\"kinesis\":{\"data\":\"%s\"},\"eventName\":\"aws:kinesis:record\"},"
               "{\"eventName\":\"aws:kinesis:record\",\"kinesis\":{\"partitionKey\":\"p\",\"data\":\"%s\"}}]}",
            g, data);
    free(g);
    return s;
}

/* rc at exactly `at` (a position in the second data string), or anywhere inside it (at < 0,
   the closing quote included); the good first payload's line comes out first. */
static void expect_payload_error(const char *what, const char *data, ddbs_result rc, long at)
{
    char *in = kinesis_with(data);
    size_t beg, end;
    ddbs_options o = no_opt();
    frun r = fr_whole(in, strlen(in), &o, FR_PLAIN, 0);
    data_span(in, 2, &beg, &end);
    cr_expect(r.rc == rc, "%s: %s, want %s", what, ddbs_strerror(r.rc), ddbs_strerror(rc));
    if (at >= 0)
        cr_expect(r.error_offset == beg + (size_t)at, "%s: at %llu, want %zu", what,
                  ULL(r.error_offset), beg + (size_t)at);
    else
        cr_expect(r.error_offset >= beg && r.error_offset <= end, "%s: at %llu, outside %zu..%zu",
                  what, ULL(r.error_offset), beg, end);
    cr_expect(r.error_record == 2 && r.lines == 1 && !r.not_sticky, "%s: record %llu, %zu lines", what,
              ULL(r.error_record), r.lines);
    fr_free(&r);
    free(in);
}

Test(payload_errors, base64)
{
    expect_payload_error("bad character", "eyJ!", DDBS_E_BASE64, 3);
    /* "{" then more after its padding ("e30=e30=" would be a whole {} first: not a record) */
    expect_payload_error("data after padding", "ew==ew==", DDBS_E_BASE64, 4);
    expect_payload_error("space", "e30 ", DDBS_E_BASE64, 3);
    expect_payload_error("\\u escape", "e3\\u0030=", DDBS_E_BASE64, -1);
    expect_payload_error("unfinished group", "e30", DDBS_E_BASE64, -1);
    expect_payload_error("lone =", "e3=", DDBS_E_BASE64, -1);
}

Test(payload_errors, inside_the_payload)
{
    static const char trunc[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":";
    /* a '/' early in the base64 (the "?????"), the error late: "\/" escapes count too */
    static const char late[] = "{\"eventName\":\"INSERT\",\"x\":\"?????\",\"dynamodb\":{\"Keys\":"
                               "{\"k\":{\"S\":\"a\"}},\"NewImage\":{\"z\":{\"NULL\":false}}}}";
    static const char notrec[] = "[1,2]";
    char *d = b64(trunc, strlen(trunc), 0), *e;
    expect_payload_error("truncated document", d, DDBS_E_TRUNCATED, -1);
    free(d);
    d = b64(late, strlen(late), 1);
    cr_assert(strstr(d, "\\/") != NULL, "the test needs a '/' in the base64");
    e = strstr(late, "false");
    expect_payload_error("NULL false after \\/", d, DDBS_E_ATTR, (long)group_at(d, (size_t)(e - late)));
    free(d);
    d = b64(notrec, strlen(notrec), 0);
    expect_payload_error("not a document", d, DDBS_E_NOT_STREAM, 0);
    free(d);
}

/* Errors found late but reported where something began (the document, the eventName value):
   only the \/ escapes before that point count, not those read since (fuzz find P2). */
Test(payload_errors, reported_at_an_earlier_start)
{
    static const char nodoc[] = "{\"x\":\"???????????????\",\"eventName\":\"INSERT\"}";
    static const char badev[] = "{\"x\":\"??????\",\"eventName\":\"BOGUS\",\"y\":\"??????\","
                                "\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}";
    char *d = b64(nodoc, strlen(nodoc), 1);
    cr_assert(strstr(d, "\\/") != NULL, "the test needs a '/' in the base64");
    expect_payload_error("no dynamodb, \\/ before its end", d, DDBS_E_NOT_STREAM, 0);
    free(d);
    d = b64(badev, strlen(badev), 1);
    expect_payload_error("bad eventName, \\/ after it", d, DDBS_E_SCHEMA,
                         (long)group_at(d, (size_t)(strstr(badev, "BOGUS") - 1 - badev)));
    free(d);
}

/* With on_part, a bad Firehose payload fails its part only, whatever is wrong with it. */
static void expect_contained(const char *what, const char *data, ddbs_result part_rc)
{
    static const char good[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}";
    char *g = b64(good, strlen(good), 0), *in = (char *)run_xalloc(NULL, strlen(data) + 512);
    char want[512];
    ddbs_options o = no_opt();
    frun r;
    sprintf(in, "{\"records\":[{\"recordId\":\"r1\",\"data\":\"%s\"},{\"recordId\":\"r2\",\"data\":\"%s\"},"
                "{\"recordId\":\"r3\",\"data\":\"%s\"}]}", g, data, g);
    r = fr_whole(in, strlen(in), &o, FR_PARTS, 0);
    snprintf(want, sizeof want, "part r2 rc=%s lines=0\n", ddbs_strerror(part_rc));
    cr_expect(r.rc == DDBS_OK && r.lines == 2 && r.parts == 3 && strstr(sb_str(&r.log), want),
              "%s: %s at %llu, %zu lines; parts:\n%s", what, ddbs_strerror(r.rc), ULL(r.error_offset),
              r.lines, sb_str(&r.log));
    fr_free(&r);
    r = fr_whole(in, strlen(in), &o, FR_FIREHOSE, 4096);
    cr_expect(r.fh_rc == DDBS_OK && r.ok == 2 && r.failed == 1, "%s: response %s", what, sb_str(&r.resp));
    fr_free(&r);
    free(in);
    free(g);
}

Test(payload_errors, contained_in_firehose_parts)
{
    static const char trunc[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":";
    static const char nullf[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"NULL\":false}}}}";
    char *d;
    expect_contained("bad character", "eyJ!", DDBS_E_BASE64);
    expect_contained("data after padding", "ew==ew==", DDBS_E_BASE64);
    d = b64(nullf, strlen(nullf), 0);
    expect_contained("NULL false", d, DDBS_E_ATTR);
    free(d);
    expect_contained("Hello World", "SGVsbG8gV29ybGQ=", DDBS_E_SYNTAX);
    /* the payload's end found before the document's or the group's: the same containment */
    d = b64(trunc, strlen(trunc), 0);
    expect_contained("truncated document", d, DDBS_E_TRUNCATED);
    free(d);
    expect_contained("unfinished group", "e30", DDBS_E_BASE64);
}

/* ------------------------------------------------------------------ response writer ---- */

static sbuf sunk;
static int sunk_calls, sink_fails;

static int to_sunk(void *user, const char *data, size_t len)
{
    (void)user;
    sunk_calls++;
    if (sink_fails) return -1;
    sb_put(&sunk, data, len);
    return 0;
}

static ddbs_record line_rec(const char *line)
{
    ddbs_record rec;
    memset(&rec, 0, sizeof rec);
    rec.line = line;
    rec.line_len = strlen(line);
    rec.event = DDBS_EV_INSERT;
    return rec;
}

Test(firehose_writer, arguments)
{
    ddbs_firehose f;
    char buf[4096];
    cr_expect(ddbs_firehose_init(NULL, to_sunk, NULL, buf, sizeof buf) == DDBS_E_ARG);
    cr_expect(ddbs_firehose_init(&f, NULL, NULL, buf, sizeof buf) == DDBS_E_ARG && f.error == DDBS_E_ARG);
    cr_expect(ddbs_firehose_init(&f, to_sunk, NULL, NULL, sizeof buf) == DDBS_E_ARG);
    cr_expect(ddbs_firehose_init(&f, to_sunk, NULL, buf, 4095) == DDBS_E_ARG);
    cr_expect(ddbs_firehose_finish(NULL) == DDBS_E_ARG);
    /* a failed init stays failed: nothing is written */
    sunk_calls = 0;
    cr_expect(ddbs_firehose_finish(&f) == DDBS_E_ARG && sunk_calls == 0);
    cr_expect(ddbs_firehose_init(&f, to_sunk, NULL, buf, sizeof buf) == DDBS_OK);
}

/* Lines of one part are one base64 text, whatever their lengths (groups carried across
   lines); nothing of a failed or dropped part is kept; an empty response is valid. */
Test(firehose_writer, parts_and_carry)
{
    ddbs_firehose f;
    char *buf = (char *)run_xalloc(NULL, 4096);
    ddbs_record a = line_rec("a\n"), bc = line_rec("bc\n"), d = line_rec("d\n");
    memset(&sunk, 0, sizeof sunk);
    sink_fails = 0;
    sunk_calls = 0;
    cr_assert(ddbs_firehose_init(&f, to_sunk, NULL, buf, 4096) == DDBS_OK);
    cr_expect(ddbs_firehose_finish(&f) == DDBS_OK && !strcmp(sb_str(&sunk), "{\"records\":[]}\n"),
              "%s", sb_str(&sunk));
    sb_free(&sunk);
    sunk_calls = 0;
    cr_assert(ddbs_firehose_init(&f, to_sunk, NULL, buf, 4096) == DDBS_OK);
    cr_expect(ddbs_firehose_add(&f, &a) == 1 && ddbs_firehose_add(&f, &bc) == 1 && ddbs_firehose_add(&f, &d) == 1);
    cr_expect(ddbs_firehose_part(&f, "p1", 2, DDBS_OK, 3) == 0);
    cr_expect(ddbs_firehose_add(&f, &bc) == 1);
    cr_expect(ddbs_firehose_part(&f, "p2", 2, DDBS_E_SYNTAX, 0) == 0);   /* its line taken back */
    cr_expect(ddbs_firehose_part(&f, "p3", 2, DDBS_OK, 0) == 0);
    cr_expect(ddbs_firehose_add(&f, &a) == 1);
    cr_expect(ddbs_firehose_part(&f, "p4", 2, DDBS_OK, 1) == 0);
    cr_expect(ddbs_firehose_finish(&f) == DDBS_OK && sunk_calls == 1);
    {
        fh_entry e[8];
        int n = fh_parse(sb_str(&sunk), sunk.n, e, 8);
        cr_expect(n == 4, "response %s", sb_str(&sunk));
        if (n == 4) {
            cr_expect(!strcmp(e[0].id, "p1") && !strcmp(e[0].result, "Ok") && !strcmp(e[0].data, "YQpiYwpkCg=="),
                      "p1: %s %s", e[0].result, e[0].data);
            cr_expect(!strcmp(e[1].result, "ProcessingFailed") && !e[1].data[0]);
            cr_expect(!strcmp(e[2].result, "Dropped"));
            cr_expect(!strcmp(e[3].id, "p4") && !strcmp(e[3].result, "Ok") && !strcmp(e[3].data, "YQo="),
                      "p4: %s %s", e[3].result, e[3].data);
        }
        fh_free(e, n < 0 ? 0 : n);
    }
    cr_expect(f.ok == 2 && f.failed == 1 && f.dropped == 1);
    sb_free(&sunk);
    /* the sink refusing the response */
    cr_assert(ddbs_firehose_init(&f, to_sunk, NULL, buf, 4096) == DDBS_OK);
    sink_fails = 1;
    cr_expect(ddbs_firehose_finish(&f) == DDBS_E_SINK && f.error == DDBS_E_SINK);
    sink_fails = 0;
    free(buf);
}

/* A payload may hold several records (NDJSON): one part, all its lines, one answer; with a
   filter, only the lines kept. */
Test(firehose_writer, payload_with_two_records)
{
    static const char two[] =
        "{\"eventName\":\"INSERT\",\"eventID\":\"a\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}\n"
        "{\"eventName\":\"REMOVE\",\"eventID\":\"b\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"b\"}}}}";
    static const char *const lines[2] = {
        "{\"eventName\":\"INSERT\",\"eventID\":\"a\",\"Keys\":{\"k\":\"a\"}}\n"
        "{\"eventName\":\"REMOVE\",\"eventID\":\"b\",\"Keys\":{\"k\":\"b\"}}\n",
        "{\"eventName\":\"INSERT\",\"eventID\":\"a\",\"Keys\":{\"k\":\"a\"}}\n" };
    char *d = b64(two, strlen(two), 0), *in = (char *)run_xalloc(NULL, strlen(d) + 64);
    int pass;
    sprintf(in, "{\"records\":[{\"recordId\":\"x\",\"data\":\"%s\"}]}", d);
    for (pass = 0; pass < 2; pass++) {
        ddbs_options o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, pass ? DDBS_EV_INSERT : 0);
        frun r = fr_whole(in, strlen(in), &o, FR_FIREHOSE, 4096);
        fh_entry e[2];
        int n = fh_parse(sb_str(&r.resp), r.resp.n, e, 2);
        char *want = b64(lines[pass], strlen(lines[pass]), 0);
        char part[64];
        snprintf(part, sizeof part, "part x rc=no error lines=%d\n", 2 - pass);
        cr_expect(n == 1 && !strcmp(e[0].result, "Ok") && !strcmp(e[0].data, want),
                  "pass %d: response %s", pass, sb_str(&r.resp));
        cr_expect(strstr(sb_str(&r.log), part) != NULL, "pass %d: %s", pass, sb_str(&r.log));
        fh_free(e, n < 0 ? 0 : n);
        free(want);
        fr_free(&r);
    }
    free(in);
    free(d);
}

/* A part whose payload fails after one of its records already converted: the part is
   ProcessingFailed and that record's line is not in the answer (on_part reports it). */
Test(firehose_writer, part_failing_after_a_line)
{
    static const char two[] =
        "{\"eventName\":\"INSERT\",\"eventID\":\"a\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}\n"
        "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"NULL\":false}}}}";
    static const char one[] = "{\"eventName\":\"INSERT\",\"eventID\":\"b\",\"dynamodb\":{\"Keys\":"
                              "{\"k\":{\"S\":\"b\"}}}}";
    static const char line_b[] = "{\"eventName\":\"INSERT\",\"eventID\":\"b\",\"Keys\":{\"k\":\"b\"}}\n";
    char *d2 = b64(two, strlen(two), 0), *d1 = b64(one, strlen(one), 0), *want = b64(line_b, strlen(line_b), 0);
    char *in = (char *)run_xalloc(NULL, strlen(d1) + strlen(d2) + 128);
    ddbs_options o = no_opt();
    frun r;
    fh_entry e[3];
    int n;
    sprintf(in, "{\"records\":[{\"recordId\":\"x\",\"data\":\"%s\"},{\"recordId\":\"y\",\"data\":\"%s\"}]}",
            d2, d1);
    r = fr_whole(in, strlen(in), &o, FR_FIREHOSE, 4096);
    n = fh_parse(sb_str(&r.resp), r.resp.n, e, 3);
    cr_expect(strstr(sb_str(&r.log), "part x rc=invalid AttributeValue lines=1\n") != NULL, "%s", sb_str(&r.log));
    cr_expect(n == 2 && !strcmp(e[0].result, "ProcessingFailed") && !e[0].data[0] &&
              !strcmp(e[1].result, "Ok") && !strcmp(e[1].data, want), "response %s", sb_str(&r.resp));
    fh_free(e, n < 0 ? 0 : n);
    fr_free(&r);
    free(in);
    free(d1);
    free(d2);
    free(want);
}

/* A Firehose event of n records whose lines are about 200 bytes, record ids of idlen bytes. */
static char *many_parts(int n, size_t idlen)
{
    sbuf s;
    int k;
    memset(&s, 0, sizeof s);
    sb_put(&s, "{\"records\":[", 12);
    for (k = 0; k < n; k++) {
        char rec[512], id[300], *d;
        snprintf(rec, sizeof rec, "{\"eventName\":\"INSERT\",\"eventID\":\"e%d\",\"dynamodb\":{\"Keys\":"
                 "{\"k\":{\"N\":\"%d\"}},\"NewImage\":{\"s\":{\"S\":\"%0150d\"}}}}", k, k, k);
        memset(id, 'i', idlen);
        snprintf(id + idlen - 4, 5, "%04u", (unsigned)k % 10000u);
        d = b64(rec, strlen(rec), 0);
        sb_printf(&s, "%s{\"recordId\":\"%s\",\"data\":\"%s\"}", k ? "," : "", id, d);
        free(d);
    }
    sb_put(&s, "]}", 2);
    return s.p;
}

/* Runs a Firehose event against a response buffer of cap bytes followed by a canary: the
   response must never reach the canary. */
static frun fh_small(const char *in, size_t cap, ddbs_firehose *out_f)
{
    char *mem = (char *)run_xalloc(NULL, cap + 256), *line = (char *)run_xalloc(NULL, 1u << 20);
    ddbs_options o = no_opt();
    ddbs_parser p;
    frun r;
    size_t k;
    memset(&r, 0, sizeof r);
    memset(mem, 0x5A, cap + 256);
    r.mode = FR_FIREHOSE;
    r.buf = line;
    r.buf_size = 1u << 20;
    r.fhbuf = mem;
    r.fh_cap = cap;
    cr_assert(ddbs_firehose_init(&r.fh, fr_resp, &r, mem, cap) == DDBS_OK);
    o.buf = line;
    o.buf_size = 1u << 20;
    o.sink = fr_sink;
    o.on_record = fr_record;
    o.on_part = fr_part;
    o.user = &r;
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK);
    r.rc = ddbs_parser_feed(&p, in, strlen(in));
    if (r.rc == DDBS_OK) r.rc = ddbs_parser_finish(&p);
    r.fh_rc = r.rc == DDBS_OK ? ddbs_firehose_finish(&r.fh) : r.fh.error;
    for (k = cap; k < cap + 256; k++)
        if ((unsigned char)mem[k] != 0x5A) break;
    cr_expect(k == cap + 256, "response written past its buffer, at %zu", k);
    cr_expect(r.resp.n <= cap, "response of %zu bytes in a %zu-byte buffer", r.resp.n, cap);
    *out_f = r.fh;
    free(mem);
    free(line);
    r.buf = r.fhbuf = NULL;
    return r;
}

/* Parts that do not fit the (here 4096-byte) limit are ProcessingFailed; the answer stays
   within the buffer and names every record once. */
Test(firehose_writer, limit_small_buffer)
{
    char *in = many_parts(12, 12);
    ddbs_firehose f;
    frun r = fh_small(in, 4096, &f);
    fh_entry e[16];
    int n = fh_parse(sb_str(&r.resp), r.resp.n, e, 16), k, oks = 0, failed = 0;
    cr_expect(r.rc == DDBS_OK && r.fh_rc == DDBS_OK, "%s / %s", ddbs_strerror(r.rc), ddbs_strerror(r.fh_rc));
    cr_expect(n == 12, "%d entries: %s", n, sb_str(&r.resp));
    for (k = 0; k < n; k++) {
        char id[16];
        snprintf(id, sizeof id, "iiiiiiii%04u", (unsigned)k % 10000u);
        cr_expect(!strcmp(e[k].id, id), "entry %d: %s", k, e[k].id);
        if (!strcmp(e[k].result, "Ok")) {
            char want[256], *d;
            snprintf(want, sizeof want, "{\"eventName\":\"INSERT\",\"eventID\":\"e%d\",\"Keys\":{\"k\":%d},"
                     "\"NewImage\":{\"s\":\"%0150d\"}}\n", k, k, k);
            d = b64(want, strlen(want), 0);
            cr_expect(!strcmp(e[k].data, d) && !failed, "entry %d: wrong data, or Ok after a part that "
                      "did not fit", k);
            free(d);
            oks++;
        } else {
            cr_expect(!strcmp(e[k].result, "ProcessingFailed") && !e[k].data[0], "entry %d: %s", k, e[k].result);
            failed++;
        }
    }
    cr_expect(oks > 0 && failed > 0 && f.ok == (uint32_t)oks && f.failed == (uint32_t)failed,
              "%d Ok, %d failed", oks, failed);
    fh_free(e, n < 0 ? 0 : n);
    fr_free(&r);
    free(in);
}

/* So many parts that not even their failures fit: the run stops, nothing is written past
   the buffer and no partial response goes out. */
Test(firehose_writer, limit_not_even_failures_fit)
{
    char *in = many_parts(40, 250);
    ddbs_firehose f;
    frun r = fh_small(in, 4096, &f);
    cr_expect(r.rc == DDBS_E_SINK && f.error != DDBS_OK && r.resp_calls == 0, "%s, writer %s, %zu responses",
              ddbs_strerror(r.rc), ddbs_strerror(f.error), r.resp_calls);
    fr_free(&r);
    free(in);
}

/* The real limit: 6 MiB. Forty ~190 KB parts: the first fit, the rest fail, none past. */
Test(firehose_writer, limit_6_mib)
{
    sbuf s;
    char *big = (char *)run_xalloc(NULL, 200000), *d;
    ddbs_firehose f;
    frun r;
    int k;
    size_t h;
    memset(&s, 0, sizeof s);
    strcpy(big, "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"");
    h = strlen(big);
    memset(big + h, 'x', 190000);
    strcpy(big + h + 190000, "\"}}}}");
    d = b64(big, strlen(big), 0);
    sb_put(&s, "{\"records\":[", 12);
    for (k = 0; k < 40; k++) {
        sb_printf(&s, "%s{\"recordId\":\"r%d\",\"data\":\"", k ? "," : "", k);
        sb_put(&s, d, strlen(d));
        sb_put(&s, "\"}", 2);
    }
    sb_put(&s, "]}", 2);
    r = fh_small(s.p, DDBS_FIREHOSE_BYTES, &f);
    cr_expect(r.rc == DDBS_OK && r.fh_rc == DDBS_OK && r.resp.n <= DDBS_FIREHOSE_BYTES, "%s, %zu bytes",
              ddbs_strerror(r.rc), r.resp.n);
    cr_expect(f.ok >= 20 && f.ok < 40 && f.ok + f.failed == 40, "%u Ok, %u failed", f.ok, f.failed);
    fr_free(&r);
    sb_free(&s);
    free(d);
    free(big);
}

/* ------------------------------------------------------------------ split invariance --- */

typedef struct named_opts {
    const char *name;
    ddbs_options o;
} named_opts;

static void split_all(const char *name, const char *in, size_t len, int modes)
{
    named_opts sets[5];
    int m;
    size_t k;
    sets[0].name = "default";
    sets[0].o = no_opt();
    sets[1].name = "ddb";
    sets[1].o = opts(DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0, 0);
    sets[2].name = "item+meta";
    sets[2].o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META, 0);
    sets[3].name = "INSERT|MODIFY, no old";
    sets[3].o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_NO_OLD, DDBS_EV_INSERT | DDBS_EV_MODIFY);
    sets[4].name = "skip-bad";
    sets[4].o = opts(DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_SKIP_BAD, 0);
    for (m = 0; m < 3; m++) {
        if (!(modes & (1 << m))) continue;
        for (k = 0; k < 5; k++) check_split(name, in, len, &sets[k].o, sets[k].name, m);
    }
}

static void split_fixture(const char *file, int modes)
{
    size_t len = 0;
    char *in = fixture(file, &len);
    split_all(file, in, len, modes);
    free(in);
}

#define ALL_MODES 7
Test(split, kinesis_event, .timeout = 300) { split_fixture("kinesis-event.input", ALL_MODES); }
Test(split, firehose_event, .timeout = 300) { split_fixture("firehose-event.input", ALL_MODES); }
Test(split, kds_records, .timeout = 300) { split_fixture("kds-records.input", ALL_MODES); }
Test(split, export_full, .timeout = 300) { split_fixture("export-full.input", ALL_MODES); }
Test(split, export_incremental, .timeout = 300) { split_fixture("export-incremental.input", ALL_MODES); }

/* The harness itself: runs that differ in any reported way are told apart. */
Test(split, harness_detects_differences)
{
    static const char a[] = "{\"Item\":{\"k\":{\"S\":\"a\"}}}";
    static const char b[] = "{\"Item\":{\"k\":{\"S\":\"b\"}}}";
    ddbs_options o = no_opt();
    frun x = fr_whole(a, strlen(a), &o, FR_PARTS, 0), y = fr_whole(b, strlen(b), &o, FR_PARTS, 0);
    frun z = fr_whole(a, strlen(a) - 1, &o, FR_PARTS, 0);
    char why[4096];
    cr_expect(fr_differs(&x, &y, why, sizeof why) == 1, "output difference not seen");
    cr_expect(fr_differs(&x, &z, why, sizeof why) == 1, "result difference not seen");
    cr_expect(fr_differs(&x, &x, why, sizeof why) == 0);
    fr_free(&x);
    fr_free(&y);
    fr_free(&z);
}

/* Errors inside payloads: same code and offset however the event is cut. */
Test(split, payload_errors, .timeout = 300)
{
    static const char trunc[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":";
    static const char late[] = "{\"eventName\":\"INSERT\",\"x\":\"?????\",\"dynamodb\":{\"Keys\":"
                               "{\"k\":{\"S\":\"a\"}},\"NewImage\":{\"z\":{\"NULL\":false}}}}";
    const char *datas[5] = { "eyJ!", "ew==ew==", "e30", NULL, NULL };
    char *t = b64(trunc, strlen(trunc), 0), *l = b64(late, strlen(late), 1);
    int k;
    datas[3] = t;
    datas[4] = l;
    for (k = 0; k < 5; k++) {
        char *in = kinesis_with(datas[k]), name[64];
        snprintf(name, sizeof name, "Kinesis payload error %d", k);
        split_all(name, in, strlen(in), 3);
        free(in);
    }
    free(t);
    free(l);
}
