/* fuzz_payload: the input becomes the base64 payload of a Lambda Kinesis event and of a
   Firehose transformation event, built in memory; this drives the base64 decoder and the
   nested documents. Bytes: FZ_CONF_BYTES options, one mode byte, FZ_CUT_BYTES cut bytes, then
   the payload P.
     mode bit 0: write every '/' of the base64 as \/
     mode bits 1-2: 0 Kinesis, 1 Firehose, 2 Firehose with on_part, 3 Firehose answered
                    through ddbs_firehose_* (on_record = add, on_part = part)
   Each event has a second record with a good payload after P's, so the state after a
   payload is exercised too. Checked:
   - split invariance of every event (cuts from the cut bytes);
   - when P can mean the same alone (no "kinesis"/"records" keys, which only count outside
     payloads, no BOM, no SKIP_BAD), the wrapped run agrees with P parsed directly: the same
     lines, the same code, the error offset at the base64 group holding the bad byte; with
     on_part a failed payload fails only its part, and the response says Ok / Dropped /
     ProcessingFailed with the right data. */
#include "fuzz.h"
#include "json_check.h"

static const char good_rec[] =
    "{\"eventName\":\"INSERT\",\"eventID\":\"g1\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"good\"}},"
    "\"NewImage\":{\"k\":{\"S\":\"good\"},\"n\":{\"N\":\"-1.5e3\"}},\"SequenceNumber\":\"900\"}}\n";

enum { W_KINESIS, W_FIREHOSE, W_PARTS, W_RESPONSE };

/* The event around payload p; *data_at is where p's base64 starts in it. */
static void build(fz_buf *ev, int wrapper, const uint8_t *p, size_t n, int esc, size_t *data_at)
{
    if (wrapper == W_KINESIS) {
        fz_putz(ev, "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"kinesis\":{\"partitionKey\":\"p\","
                    "\"data\":\"");
        *data_at = ev->n;
        fz_b64_put(ev, p, n, esc);
        fz_putz(ev, "\",\"approximateArrivalTimestamp\":1.5},\"eventName\":\"aws:kinesis:record\"},"
                    "{\"kinesis\":{\"data\":\"");
        fz_b64_put(ev, (const uint8_t *)good_rec, sizeof good_rec - 1, esc);
        fz_putz(ev, "\"},\"eventName\":\"aws:kinesis:record\"}]}\n");
    } else {
        fz_putz(ev, "{\"invocationId\":\"i\",\"records\":[{\"recordId\":\"r1\",\"data\":\"");
        *data_at = ev->n;
        fz_b64_put(ev, p, n, esc);
        fz_putz(ev, "\"},{\"recordId\":\"r\\/2\",\"approximateArrivalTimestamp\":1,\"data\":\"");
        fz_b64_put(ev, (const uint8_t *)good_rec, sizeof good_rec - 1, esc);
        fz_putz(ev, "\"}]}\n");
    }
}

/* The delivered lines of a run, CSV header left out. */
static void rows(const fz_run *r, fz_buf *d)
{
    size_t i;
    for (i = 0; i < r->kinds.n; i++) {
        size_t b = i ? fz_size_at(&r->ends, i - 1) : 0, e = fz_size_at(&r->ends, i);
        if (r->kinds.p[i] != 'h') fz_put(d, r->out.p + b, e - b);
    }
}

/* Where the base64 digit number k (escapes not counted) sits in text. */
static size_t digit_at(const char *text, size_t n, size_t k)
{
    size_t i, seen = 0;
    for (i = 0; i < n; i++) {
        if (text[i] == '\\') continue;
        if (seen++ == k) return i;
    }
    return n;
}

typedef struct response { fz_buf json; size_t calls; } response;

static int response_sink(void *user, const char *s, size_t n)
{
    response *x = (response *)user;
    fz_put(&x->json, s, n);
    x->calls++;
    return 0;
}

/* The text of "name":"..." after *at in the response, unescaped only for \/ . */
static int field(const fz_buf *j, size_t *at, const char *name, fz_buf *out)
{
    const char *s = fz_memmem(j->p + *at, j->n - *at, name), *e;
    if (!s) return 0;
    s += strlen(name);
    for (e = s; e < j->p + j->n && *e != '"'; e++) {
        if (*e == '\\' && e + 1 < j->p + j->n) e++;  /* \/ and \" stand for the next byte */
        fz_put(out, e, 1);
    }
    *at = (size_t)(e - j->p);
    return 1;
}

/* The Firehose answer for the two parts: part 1 as the direct run says, part 2 the good one. */
static void check_response(const response *x, const fz_run *direct, const fz_run *good)
{
    jv_info info;
    size_t at = 0, k;
    const fz_run *want[2];
    want[0] = direct;
    want[1] = good;
    FZ_CHECK(x->calls == 1, "the response goes to the sink once");
    FZ_CHECK(jv_check(x->json.p, x->json.n, &info), "the Firehose response is valid JSON");
    for (k = 0; k < 2; k++) {
        fz_buf data, result, id, dec, exp;
        memset(&data, 0, sizeof data);
        memset(&result, 0, sizeof result);
        memset(&id, 0, sizeof id);
        memset(&dec, 0, sizeof dec);
        memset(&exp, 0, sizeof exp);
        FZ_CHECK(field(&x->json, &at, "\"data\":\"", &data) && field(&x->json, &at, "\"result\":\"", &result) &&
                 field(&x->json, &at, "\"recordId\":\"", &id), "each part answered with data, result, recordId");
        FZ_CHECK(fz_eq(id.p, id.n, k ? "r/2" : "r1", 2u + k), "recordId as given");
        FZ_CHECK(fz_b64_decode(data.p ? data.p : "", data.n, &dec) == 0, "data is base64");
        rows(want[k], &exp);
        if (want[k]->rc != DDBS_OK) {
            FZ_CHECK(fz_eq(result.p, result.n, "ProcessingFailed", 16) && data.n == 0,
                     "a bad payload: ProcessingFailed, no data");
        } else if (!want[k]->records_out) {
            FZ_CHECK(fz_eq(result.p, result.n, "Dropped", 7) && data.n == 0, "no lines: Dropped");
        } else {
            FZ_CHECK(fz_eq(result.p, result.n, "Ok", 2), "lines: Ok");
            FZ_CHECK(fz_eq(dec.p, dec.n, exp.p, exp.n), "Ok data decodes to the part's lines");
        }
        fz_buf_free(&data);
        fz_buf_free(&result);
        fz_buf_free(&id);
        fz_buf_free(&dec);
        fz_buf_free(&exp);
    }
    FZ_CHECK(!fz_memmem(x->json.p + at, x->json.n - at, "recordId"), "two parts, two answers");
}

/* One event, whole and split; the whole run stays in *out for the caller. */
static void run_event(fz_run *out, const fz_conf *c, const fz_buf *ev, int wrapper,
                      const uint8_t cut[FZ_CUT_BYTES], response *resp)
{
    fz_run split;
    ddbs_firehose fh, fh2;
    response resp2;
    char *fbuf = NULL, *fbuf2 = NULL;
    size_t *cuts, step, ncuts = fz_cuts(cut, ev->n, &cuts, &step);
    char *in = fz_dup(ev->p, ev->n);
    memset(&split, 0, sizeof split);
    memset(&resp2, 0, sizeof resp2);
    out->use_parts = split.use_parts = wrapper >= W_PARTS;
    if (wrapper == W_RESPONSE) {
        fbuf = (char *)malloc(4 * ev->n + 65536);
        fbuf2 = (char *)malloc(4 * ev->n + 65536);
        if (!fbuf || !fbuf2) abort();
        FZ_CHECK(ddbs_firehose_init(&fh, response_sink, resp, fbuf, 4 * ev->n + 65536) == DDBS_OK &&
                 ddbs_firehose_init(&fh2, response_sink, &resp2, fbuf2, 4 * ev->n + 65536) == DDBS_OK,
                 "firehose init");
        out->on_record = ddbs_firehose_add;
        out->on_record_user = &fh;
        out->on_part = ddbs_firehose_part;
        out->on_part_user = &fh;
        split.on_record = ddbs_firehose_add;
        split.on_record_user = &fh2;
        split.on_part = ddbs_firehose_part;
        split.on_part_user = &fh2;
    }
    fz_exec(out, c, (const uint8_t *)in, ev->n, NULL, 0, 0);
    fz_exec(&split, c, (const uint8_t *)in, ev->n, cuts, ncuts, step);
    fz_same(out, &split, "payload whole vs split");
    if (wrapper == W_RESPONSE) {
        ddbs_result a = ddbs_firehose_finish(&fh), b = ddbs_firehose_finish(&fh2);
        FZ_CHECK(a == b && fz_eq(resp->json.p, resp->json.n, resp2.json.p, resp2.json.n),
                 "same Firehose response whatever the chunking");
        FZ_CHECK(fh.ok + fh.dropped + fh.failed == out->nparts || out->rc != DDBS_OK, "parts counted");
    }
    fz_run_free(&split);
    fz_buf_free(&resp2.json);
    free(fbuf);
    free(fbuf2);
    free(cuts);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_conf c;
    uint8_t mode = 0, cut[FZ_CUT_BYTES] = { 0, 0, 0, 0 };
    size_t used = fz_conf_read(data, size, &c), n, data_at = 0;
    int esc, wrapper, comparable;
    fz_buf ev, want, got;
    fz_run direct, good, w;
    response resp;
    char *p;
    if (used < size) mode = data[used++];
    n = size - used < FZ_CUT_BYTES ? size - used : FZ_CUT_BYTES;
    memcpy(cut, data + used, n);
    used += n;
    n = size - used;
    p = fz_dup(data + used, n);
    esc = mode & 1;
    wrapper = (mode >> 1) & 3;
    memset(&ev, 0, sizeof ev);
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    memset(&resp, 0, sizeof resp);
    memset(&direct, 0, sizeof direct);
    memset(&good, 0, sizeof good);
    memset(&w, 0, sizeof w);
    build(&ev, wrapper, (const uint8_t *)p, n, esc, &data_at);
    run_event(&w, &c, &ev, wrapper, cut, &resp);

    comparable = !(c.o.flags & DDBS_F_SKIP_BAD) && !fz_memmem(p, n, "kinesis") &&
                 !fz_memmem(p, n, "records") && !(n && (uint8_t)p[0] == 0xEF);
    if (comparable) {
        int contained = wrapper >= W_PARTS;
        fz_exec(&direct, &c, (const uint8_t *)p, n, NULL, 0, 0);
        fz_exec(&good, &c, (const uint8_t *)good_rec, sizeof good_rec - 1, NULL, 0, 0);
        FZ_CHECK(good.rc == DDBS_OK, "the good record is good");
        rows(&w, &got);
        rows(&direct, &want);
        if (direct.rc == DDBS_OK || contained) rows(&good, &want);
        if (!fz_eq(got.p, got.n, want.p, want.n))
            fprintf(stderr, "direct rc %d, wrapped rc %d\n", (int)direct.rc, (int)w.rc);
        FZ_CHECK(fz_eq(got.p, got.n, want.p, want.n), "a payload gives the lines it gives alone");
        if (wrapper == W_RESPONSE) {
            FZ_CHECK(w.rc == DDBS_OK, "a Firehose event with on_part ends well");
            check_response(&resp, &direct, &good);
        }
        if (contained) {
            /* part 1 as P alone, part 2 the good one; the run goes on */
            uint64_t t[2];
            FZ_CHECK(w.rc == DDBS_OK, "a failed part does not stop the run");
            FZ_CHECK(w.nparts == 2, "one on_part call per Firehose record");
            memcpy(t, w.parts.p, sizeof t);
            if (t[0] != (uint64_t)direct.rc)
                fprintf(stderr, "part rc %d, alone %d\n", (int)t[0], (int)direct.rc);
            FZ_CHECK(t[0] == (uint64_t)direct.rc, "the part's code is P's own");
            FZ_CHECK(t[1] == direct.records_out, "the part's line count");
        } else if (direct.rc == DDBS_OK) {
            FZ_CHECK(w.rc == DDBS_OK, "a good payload makes a good event");
        } else {
            FZ_CHECK(w.rc == direct.rc, "a bad payload fails with P's own code");
            FZ_CHECK(w.error_record == direct.error_record, "and P's record number");
            if (direct.rc == DDBS_E_TRUNCATED) {
                /* cut short inside the payload: the error is at its closing quote */
                size_t close = data_at;
                while (ev.p[close] != '"') close += ev.p[close] == '\\' ? 2u : 1u;
                FZ_CHECK(w.error_offset == close, "a payload cut short fails at its end");
            } else {
                size_t g = (size_t)direct.error_offset / 3u * 4u, s0, s3;
                s0 = data_at + digit_at(ev.p + data_at, ev.n - data_at, g);
                s3 = data_at + digit_at(ev.p + data_at, ev.n - data_at, g + 3u);
                if (s0 > data_at && ev.p[s0 - 1] == '\\') s0--;  /* a group may start at \/ */
                if (!(w.error_offset >= s0 && w.error_offset <= s3))
                    fprintf(stderr, "wrapped error at %llu, group %zu..%zu (alone %llu)\n",
                            (unsigned long long)w.error_offset, s0, s3,
                            (unsigned long long)direct.error_offset);
                FZ_CHECK(w.error_offset >= s0 && w.error_offset <= s3,
                         "the error points at the base64 group holding the bad byte");
                if (!esc) FZ_CHECK(w.error_offset == s0, "and at its first digit");
            }
        }
    }
    fz_run_free(&direct);
    fz_run_free(&good);
    fz_run_free(&w);
    fz_buf_free(&ev);
    fz_buf_free(&want);
    fz_buf_free(&got);
    fz_buf_free(&resp.json);
    free(p);
    return 0;
}
