/* replicate: apply `ddbstream --format batchwrite` output to DynamoDB.
 *
 *   ddbstream --format batchwrite --table Replica events.json | replicate [--endpoint URL]
 *
 * Each input line is one BatchWriteItem request body. Lines are sent in order, one at a
 * time, and line N+1 only once all of line N is applied: a later body may write a key that
 * an earlier one wrote, so order decides the final state. UnprocessedItems, throttling, 5xx
 * and connection errors are retried with capped exponential backoff and jitter. If a body
 * cannot be applied, its unapplied requests are named and replicate exits 1; lines before it
 * are applied, and re-sending from it on is safe (a body never holds two requests for one
 * key, so applying it again gives the same state).
 *
 * Signing is libcurl's CURLOPT_AWS_SIGV4 (libcurl >= 7.75), as in s3_put.c. Link with -lcurl. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_UNAPPLIED = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

#define LINE_LIMIT ((size_t)16 << 20) /* DynamoDB's request size limit */
#define RESP_LIMIT ((size_t)32 << 20) /* UnprocessedItems is at most the request, plus slack */
#define SHOW_BYTES 300                /* of each unapplied request in the report */

static const char usage[] =
    "usage: replicate [options] [FILE]\n"
    "Sends BatchWriteItem request bodies, one JSON line each (ddbstream --format batchwrite),\n"
    "from FILE or stdin to DynamoDB, in order, one at a time. UnprocessedItems, throttling,\n"
    "5xx answers, timeouts and connection errors are retried with backoff.\n"
    "\n"
    "  --endpoint URL   http(s)://host[:port] (default https://dynamodb.REGION.amazonaws.com)\n"
    "  --region R       signing region (default AWS_REGION, AWS_DEFAULT_REGION, us-east-1)\n"
    "  --retries N      give up on a body after N retries in a row that applied nothing\n"
    "                   (default 10, or DDBS_REPLICATE_RETRIES)\n"
    "  --stats          counts on stderr at the end\n"
    "  --help\n"
    "\n"
    "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. Tuning (ms):\n"
    "DDBS_REPLICATE_BACKOFF_MS (first delay, 50), DDBS_REPLICATE_BACKOFF_CAP_MS (20000),\n"
    "DDBS_REPLICATE_TIMEOUT_MS (per request; 30 s + 1 s per MiB),\n"
    "DDBS_REPLICATE_CONNECT_TIMEOUT_MS (10000).\n"
    "\n"
    "Exit status: 0 all applied, 1 a body was not applied (named on stderr; the lines before\n"
    "it were), 2 usage, 3 I/O error.\n";

typedef struct { char *p; size_t len, cap; } buf;
typedef struct { const char *p, *e; } span;

typedef struct {
    CURL *curl;
    struct curl_slist *hdrs;
    char *url, sigv4[96], errbuf[CURL_ERROR_SIZE];
    long retries, backoff_ms, cap_ms, timeout_ms, connect_ms;
    uint32_t rng;
    buf resp, body[2];   /* response; the pending body and the next one (UnprocessedItems) */
    int resp_over, have_crc, curl_up;
    unsigned long crc;   /* x-amz-crc32 of the response, when sent */
    const char *input;   /* for the resume hint */
    struct { unsigned long long lines, requests, posts, retries, throttled, errors5xx,
             neterrors, unprocessed; } st;
} rep;

static int say(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("replicate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

static int buf_add(buf *b, const char *s, size_t n, size_t limit)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        if (b->len + n + 1 > limit + 1) return -1;
        while (cap < b->len + n + 1) cap *= 2;
        if (cap > limit + 1) cap = limit + 1;
        if (!(p = (char *)realloc(b->p, cap))) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

/* ---- a small JSON scanner: enough to walk RequestItems / UnprocessedItems / errors ---- */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* p at '"': just past the closing quote, or NULL. Escapes are skipped whole, so an escaped
 * quote never ends the string. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '"') return p + 1;
        if (*p == '\\') p++;
        else if ((unsigned char)*p < 0x20) return NULL;
    }
    return NULL;
}

/* Just past the value at p, or NULL if it is cut short. Brackets are counted outside
 * strings; the server's JSON is trusted to pair them. */
static const char *skip_value(const char *p, const char *e)
{
    long depth = 0;
    if (p >= e) return NULL;
    if (*p != '{' && *p != '[' && *p != '"') { /* number or literal */
        const char *q = p;
        while (q < e && (strchr("+-.eE", *q) || (*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z'))) q++;
        return q > p ? q : NULL;
    }
    while (p < e) {
        if (*p == '"') {
            if (!(p = skip_string(p, e))) return NULL;
            if (!depth) return p;
            continue;
        }
        if (*p == '{' || *p == '[') depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
        p++;
    }
    return NULL;
}

/* Members of an object (key and value) or elements of an array (value only). */
typedef struct { const char *p, *e; char close; int n; } iter;

static int it_begin(iter *it, span v, char open)
{
    const char *p = ws(v.p, v.e);
    if (p == v.e || *p != open) return -1;
    it->p = p + 1;
    it->e = v.e;
    it->close = open == '{' ? '}' : ']';
    it->n = 0;
    return 0;
}

/* 1: next member in *key / *val; 0: end (it->p just past the bracket); -1: malformed. */
static int it_next(iter *it, span *key, span *val)
{
    const char *p = ws(it->p, it->e), *e = it->e;
    if (p == e) return -1;
    if (*p == it->close) {
        it->p = p + 1;
        return 0;
    }
    if (it->n) {
        if (*p != ',') return -1;
        p = ws(p + 1, e);
    }
    if (it->close == '}') {
        key->p = p;
        if (p == e || *p != '"' || !(p = skip_string(p, e))) return -1;
        key->e = p;
        p = ws(p, e);
        if (p == e || *p != ':') return -1;
        p = ws(p + 1, e);
    }
    val->p = p;
    if (!(p = skip_value(p, e))) return -1;
    val->e = p;
    it->p = p;
    it->n++;
    return 1;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    int i;
    *out = 0;
    if (e - p < 4) return -1;
    for (i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *out = *out << 4 | (unsigned)d;
    }
    return 0;
}

/* The text of a JSON string token, escapes decoded (non-ASCII \u escapes become '?', raw
 * UTF-8 is kept, control characters become spaces), into out; for messages and key tests. */
static void str_text(span s, char *out, size_t cap)
{
    const char *p = s.p + 1, *e = s.e - 1;
    size_t n = 0;
    while (p < e && n + 1 < cap) {
        char c = *p++;
        if (c == '\\' && p < e) {
            unsigned u;
            c = *p++;
            if (c == 'u' && hex4(p, e, &u) == 0) {
                c = u >= 0x20 && u < 0x7f ? (char)u : u < 0x20 ? ' ' : '?';
                p += 4;
            } else if (c == 'n' || c == 'r' || c == 't' || c == 'b' || c == 'f') {
                c = ' ';
            }
        }
        out[n++] = (unsigned char)c < 0x20 ? ' ' : c;
    }
    out[n] = 0;
}

static int key_is(span k, const char *name)
{
    char text[64];
    if (k.e - k.p > 6 * 32) return 0; /* longer than any name we look for, even escaped */
    str_text(k, text, sizeof text);
    return strcmp(text, name) == 0;
}

/* The value of member `name` of the object v (the first, if repeated). */
static int member(span v, const char *name, span *out)
{
    iter it;
    span k, val;
    int r;
    if (it_begin(&it, v, '{')) return -1;
    while ((r = it_next(&it, &k, &val)) == 1)
        if (key_is(k, name)) {
            *out = val;
            return 1;
        }
    return r; /* 0 absent, -1 malformed */
}

/* Checks a {TABLE:[request,...],...} object, counts its requests and, if out is given,
 * writes {"RequestItems":{...}} to it without the tables whose list is empty (DynamoDB
 * refuses those). -1 if malformed, -2 out of memory. */
static long request_items(span items, buf *out)
{
    iter tables, reqs;
    span table, list, req;
    long count = 0;
    int r, first = 1;
    if (out) {
        out->len = 0;
        if (buf_add(out, "{\"RequestItems\":{", 17, RESP_LIMIT)) return -2;
    }
    if (it_begin(&tables, items, '{')) return -1;
    while ((r = it_next(&tables, &table, &list)) == 1) {
        long n = 0;
        if (it_begin(&reqs, list, '[')) return -1;
        while ((r = it_next(&reqs, NULL, &req)) == 1) {
            if (*req.p != '{') return -1;
            n++;
        }
        if (r < 0) return -1;
        if (n && out && ((!first && buf_add(out, ",", 1, RESP_LIMIT)) ||
                         buf_add(out, table.p, (size_t)(list.e - table.p), RESP_LIMIT)))
            return -2;
        first = first && !n;
        count += n;
    }
    if (r < 0 || ws(tables.p, items.e) != items.e) return -1;
    if (out && buf_add(out, "}}", 2, RESP_LIMIT)) return -2;
    return count;
}

/* The RequestItems object of a whole body, or -1 if it is not {"RequestItems":{...},...}. */
static int body_items(const char *p, size_t len, span *items)
{
    span all;
    iter it;
    span k, v;
    int r;
    all.p = p;
    all.e = p + len;
    if (member(all, "RequestItems", items) != 1 || it_begin(&it, all, '{')) return -1;
    while ((r = it_next(&it, &k, &v)) == 1) {}
    return r == 0 && ws(it.p, all.e) == all.e ? 0 : -1;
}

/* ---- HTTP ---- */

static uint32_t crc_table[256];

static unsigned long crc32_of(const char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    if (!crc_table[1]) {
        uint32_t k, j, x;
        for (k = 0; k < 256; k++) {
            for (x = k, j = 0; j < 8; j++) x = x & 1 ? 0xEDB88320u ^ (x >> 1) : x >> 1;
            crc_table[k] = x;
        }
    }
    for (i = 0; i < n; i++) c = crc_table[(c ^ (unsigned char)p[i]) & 0xFF] ^ (c >> 8);
    return (unsigned long)(c ^ 0xFFFFFFFFu);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    rep *r = (rep *)user;
    size_t n = size * nmemb;
    if (!r->resp_over && buf_add(&r->resp, ptr, n, RESP_LIMIT)) r->resp_over = 1;
    return n; /* keep reading: a short read would look like a network error and be retried */
}

/* DynamoDB sends x-amz-crc32 of the body; the SDKs check it and retry on a mismatch. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
    rep *r = (rep *)user;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(ptr, "HTTP/", 5)) r->have_crc = 0; /* a new (final) response */
    if (n > 12 && !strncasecmp(ptr, "x-amz-crc32:", 12)) {
        char num[24];
        size_t k = n - 12 < sizeof num - 1 ? n - 12 : sizeof num - 1;
        char *end;
        memcpy(num, ptr + 12, k);
        num[k] = 0;
        r->crc = strtoul(num, &end, 10);
        r->have_crc = end != num && strspn(end, " \t\r\n") == strlen(end);
    }
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Delay before retry n (1-based): base * 2^(n-1), capped, "equal jitter" (half fixed, half
 * random) so writers throttled together do not retry together. */
static void backoff(rep *r, unsigned n)
{
    long d = r->backoff_ms;
    struct timespec ts;
    while (--n > 0 && d < r->cap_ms) d *= 2;
    if (d > r->cap_ms) d = r->cap_ms;
    r->rng ^= r->rng << 13, r->rng ^= r->rng >> 17, r->rng ^= r->rng << 5; /* xorshift32 */
    d = d / 2 + (long)(r->rng % (uint32_t)(d / 2 + 1));
    ts.tv_sec = d / 1000;
    ts.tv_nsec = d % 1000 * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* The start of an unexpected body, printable, in out[cap]. */
static void snippet(const char *p, size_t n, char *out, size_t cap)
{
    size_t i;
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    for (i = 0; out[i]; i++)
        if ((unsigned char)out[i] < 0x20) out[i] = ' ';
}

enum { SENT, RETRY, FINAL };

/* One POST of b. SENT: HTTP 200 with a readable body; else msg says why, and RETRY or FINAL
 * says whether trying again may help. */
static int post(rep *r, const buf *b, char *msg, size_t cap)
{
    static const char *const throttles[] = { /* 400s that mean "slow down" */
        "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"};
    char type[128] = "", text[512] = "";
    long status = 0;
    span all, v;
    size_t i;
    CURLcode rc;
    r->resp.len = 0;
    r->resp_over = r->have_crc = 0;
    r->errbuf[0] = 0;
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, b->p);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS,
                     r->timeout_ms ? r->timeout_ms : 30000L + (long)(b->len >> 20) * 1000L);
    rc = curl_easy_perform(r->curl);
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    r->st.posts++;
    if (rc != CURLE_OK) {
        snprintf(msg, cap, "curl error %d (%s)%s%s", (int)rc, curl_easy_strerror(rc),
                 r->errbuf[0] ? ": " : "", r->errbuf);
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
            r->st.neterrors++;
            return RETRY;
        default:
            return FINAL; /* bad URL, TLS verification, out of memory: the same again */
        }
    }
    if (r->resp_over) {
        snprintf(msg, cap, "HTTP %ld with a body over %lu MiB", status, (unsigned long)(RESP_LIMIT >> 20));
        return FINAL;
    }
    if (r->have_crc && r->crc != crc32_of(r->resp.p, r->resp.len)) {
        snprintf(msg, cap, "HTTP %ld: response damaged in transit (x-amz-crc32 mismatch)", status);
        return RETRY;
    }
    all.p = r->resp.p ? r->resp.p : "";
    all.e = all.p + r->resp.len;
    if (status == 200) {
        if (member(all, "UnprocessedItems", &v) >= 0) return SENT;
        snippet(all.p, r->resp.len, text, 201);
        snprintf(msg, cap, "HTTP 200 but not a BatchWriteItem response: %s", text);
        return FINAL;
    }
    /* DynamoDB's error: {"__type":"com.amazonaws.dynamodb.v20120810#Name","message":"..."} */
    if (member(all, "__type", &v) == 1 && *v.p == '"') {
        char *hash;
        str_text(v, type, sizeof type);
        if ((hash = strrchr(type, '#'))) memmove(type, hash + 1, strlen(hash));
    }
    if ((member(all, "message", &v) == 1 || member(all, "Message", &v) == 1) && *v.p == '"')
        str_text(v, text, sizeof text);
    if (type[0]) {
        snprintf(msg, cap, "HTTP %ld %s%s%s", status, type, text[0] ? ": " : "", text);
    } else { /* not DynamoDB's JSON (a proxy, a load balancer): the start of the body */
        snippet(all.p, r->resp.len, text, 201);
        snprintf(msg, cap, "HTTP %ld%s%s", status, text[0] ? ": " : " (empty body)", text);
    }
    if (status >= 500 || status == 408 || status == 429) { /* 500 InternalServerError, 503... */
        r->st.errors5xx += status >= 500;
        return RETRY;
    }
    for (i = 0; i < sizeof throttles / sizeof *throttles; i++)
        if (!strcmp(type, throttles[i])) {
            r->st.throttled++;
            return RETRY;
        }
    return FINAL;
}

/* Names the requests of b on stderr, each cut to SHOW_BYTES (at a UTF-8 boundary). */
static void list_requests(const buf *b, unsigned long line)
{
    span items, table, list, req;
    iter tables, reqs;
    char name[300];
    if (body_items(b->p, b->len, &items) || it_begin(&tables, items, '{')) return;
    while (it_next(&tables, &table, &list) == 1) {
        str_text(table, name, sizeof name);
        if (it_begin(&reqs, list, '[')) return;
        while (it_next(&reqs, NULL, &req) == 1) {
            size_t n = (size_t)(req.e - req.p), show = n;
            if (show > SHOW_BYTES) {
                show = SHOW_BYTES;
                while (show && ((unsigned char)req.p[show] & 0xC0) == 0x80) show--;
            }
            fprintf(stderr, "replicate:   line %lu, table %s: %.*s", line, name, (int)show, req.p);
            if (show < n) fprintf(stderr, "... (%lu bytes)", (unsigned long)n);
            fputc('\n', stderr);
        }
    }
}

static void resume_hint(const rep *r, unsigned long line)
{
    char done[64] = "line 1";
    if (line == 1) {
        say(0, "line 1 and after not (fully) applied; run again on the same input to resume");
        return;
    }
    if (line > 2) snprintf(done, sizeof done, "lines 1-%lu", line - 1);
    say(0, "%s applied; line %lu and after not (fully) applied. Resume with: tail -n +%lu %s | "
           "replicate ...", done, line, line, r->input ? r->input : "FILE");
}

static int oom(const rep *r, unsigned long line)
{
    say(0, "line %lu: out of memory", line);
    resume_hint(r, line);
    return EXIT_IO;
}

/* Applies one body line: 0, or EXIT_UNAPPLIED after naming what was not applied. */
static int apply(rep *r, unsigned long line, const char *p, size_t len)
{
    buf *cur = &r->body[0], *next = &r->body[1], *t;
    char msg[1024];
    span items, v, all;
    long n, m;
    long idle = 0;      /* retries in a row that applied nothing */
    unsigned tries = 0; /* posts of this line: sets the backoff */
    double t0 = now_s();
    int res;

    cur->len = 0;
    if (buf_add(cur, p, len, LINE_LIMIT)) return oom(r, line);
    if (body_items(cur->p, cur->len, &items) || (n = request_items(items, NULL)) < 1) {
        snippet(p, len, msg, 81);
        say(0, "line %lu: not a BatchWriteItem request body (want {\"RequestItems\":"
               "{\"TABLE\":[requests]}}): %s", line, msg);
        resume_hint(r, line);
        return EXIT_UNAPPLIED;
    }
    for (;;) {
        tries++;
        res = post(r, cur, msg, sizeof msg);
        if (res == SENT) {
            all.p = r->resp.p;
            all.e = all.p + r->resp.len;
            m = member(all, "UnprocessedItems", &v) == 1 ? request_items(v, next) : 0;
            if (m == -2) return oom(r, line);
            if (m < 0) {
                snprintf(msg, sizeof msg, "HTTP 200 with a malformed UnprocessedItems");
                res = FINAL;
            } else if (m == 0) {
                r->st.lines++;
                r->st.requests += (unsigned long long)n;
                return 0;
            } else {
                snprintf(msg, sizeof msg, "%ld of %ld requests came back in UnprocessedItems", m,
                         n);
                r->st.unprocessed += (unsigned long long)m;
                if (m < n) { /* progress: the count of idle retries starts again */
                    idle = -1;
                    r->st.requests += (unsigned long long)(n - m);
                }
                n = m;
                t = cur, cur = next, next = t;
                res = RETRY;
            }
        }
        if (res == RETRY && ++idle <= r->retries) {
            r->st.retries++;
            backoff(r, tries);
            continue;
        }
        if (res == RETRY)
            say(0, "line %lu: gave up after %u attempts in %.1f s; last: %s", line, tries,
                now_s() - t0, msg);
        else
            say(0, "line %lu: %s (not retried)", line, msg);
        say(0, "line %lu: %ld request%s not applied:", line, n, n == 1 ? "" : "s");
        list_requests(cur, line);
        resume_hint(r, line);
        return EXIT_UNAPPLIED;
    }
}

/* ---- input: one line at a time, at most LINE_LIMIT bytes ---- */

typedef struct { FILE *f; char in[1 << 16]; size_t pos, end; } reader;

/* 1: a line in *line (no newline; *too_long if it was cut); 0: end; -1: read error;
 * -2: out of memory. */
static int read_line(reader *rd, buf *line, int *too_long)
{
    int any = 0;
    line->len = 0;
    *too_long = 0;
    for (;;) {
        char *nl;
        size_t n;
        if (rd->pos == rd->end) {
            rd->pos = 0;
            rd->end = fread(rd->in, 1, sizeof rd->in, rd->f);
            if (!rd->end) return ferror(rd->f) ? -1 : any;
        }
        any = 1;
        nl = (char *)memchr(rd->in + rd->pos, '\n', rd->end - rd->pos);
        n = (nl ? (size_t)(nl - rd->in) : rd->end) - rd->pos;
        if (line->len + n > LINE_LIMIT) *too_long = 1;
        else if (!*too_long && buf_add(line, rd->in + rd->pos, n, LINE_LIMIT)) return -2;
        rd->pos += n + (nl != NULL);
        if (nl) return 1;
    }
}

/* ---- setup ---- */

static int env_long(const char *name, long lo, long hi, long dflt, long *out)
{
    const char *v = getenv(name);
    char *end;
    long x;
    *out = dflt;
    if (!v || !*v) return 0;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return say(-1, "%s=%s: expected an integer from %ld to %ld", name, v, lo, hi);
    *out = x;
    return 0;
}

static int setup(rep *r, const char *endpoint, const char *region, const char *retries)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tok = getenv("AWS_SESSION_TOKEN"), *q, *path;
    char host[128];
    size_t i;
    if (!region || !*region) region = getenv("AWS_REGION");
    if (!region || !*region) region = getenv("AWS_DEFAULT_REGION");
    if (!region || !*region) region = "us-east-1";
    /* the region goes inside "aws:amz:REGION:dynamodb" and the default host name */
    for (q = region; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-') || q - region > 40)
            return say(EXIT_USAGE, "bad region '%s'", region);
    if (!ak || !*ak || !sk || !*sk)
        return say(EXIT_USAGE, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
    if (env_long("DDBS_REPLICATE_RETRIES", 0, 1000, 10, &r->retries) ||
        env_long("DDBS_REPLICATE_BACKOFF_MS", 1, 600000, 50, &r->backoff_ms) ||
        env_long("DDBS_REPLICATE_BACKOFF_CAP_MS", 1, 3600000, 20000, &r->cap_ms) ||
        env_long("DDBS_REPLICATE_TIMEOUT_MS", 1, 86400000, 0, &r->timeout_ms) ||
        env_long("DDBS_REPLICATE_CONNECT_TIMEOUT_MS", 1, 600000, 10000, &r->connect_ms))
        return EXIT_USAGE;
    if (retries) {
        char *end;
        errno = 0;
        r->retries = strtol(retries, &end, 10);
        if (errno || *end || end == retries || r->retries < 0 || r->retries > 1000)
            return say(EXIT_USAGE, "--retries takes 0 to 1000: %s", retries);
    }
    if (!endpoint) { /* China regions live under amazonaws.com.cn */
        snprintf(host, sizeof host, "https://dynamodb.%s.amazonaws.com%s", region,
                 strncmp(region, "cn-", 3) ? "" : ".cn");
        endpoint = host;
    }
    /* http(s)://host[:port][/path], nothing else: curl would follow other schemes */
    i = !strncasecmp(endpoint, "http://", 7) ? 7 : !strncasecmp(endpoint, "https://", 8) ? 8 : 0;
    if (!i || !endpoint[i] || endpoint[i] == '/' || strpbrk(endpoint, "?# @"))
        return say(EXIT_USAGE, "--endpoint must be http(s)://host[:port]: %s", endpoint);
    path = strchr(endpoint + i, '/');
    if (!(r->url = (char *)malloc(strlen(endpoint) + 2))) return say(EXIT_IO, "out of memory");
    sprintf(r->url, "%s%s", endpoint, path ? "" : "/");
    snprintf(r->sigv4, sizeof r->sigv4, "aws:amz:%s:dynamodb", region);
    r->rng = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
    if (!r->rng) r->rng = 1;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return say(EXIT_IO, "cannot start libcurl");
    r->curl_up = 1;
    if (!(r->curl = curl_easy_init())) return say(EXIT_IO, "cannot start libcurl");
    r->hdrs = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.0");
    if (r->hdrs && !curl_slist_append(r->hdrs, "X-Amz-Target: DynamoDB_20120810.BatchWriteItem"))
        return say(EXIT_IO, "out of memory");
    if (r->hdrs && tok && *tok) { /* signed too: libcurl signs the headers it is given */
        char *h = (char *)malloc(strlen(tok) + 24);
        struct curl_slist *l = NULL;
        if (h) {
            sprintf(h, "X-Amz-Security-Token: %s", tok);
            l = curl_slist_append(r->hdrs, h);
            free(h);
        }
        if (!l) return say(EXIT_IO, "out of memory");
    }
    if (!r->hdrs) return say(EXIT_IO, "out of memory");
    curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(r->curl, CURLOPT_AWS_SIGV4, r->sigv4);
    curl_easy_setopt(r->curl, CURLOPT_USERNAME, ak); /* separate fields: no ':' parsing */
    curl_easy_setopt(r->curl, CURLOPT_PASSWORD, sk);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM */
    curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
    curl_easy_setopt(r->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(r->curl, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is an error, not chased */
    curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "ddbstream-replicate");
    return 0;
}

int main(int argc, char **argv)
{
    static rep r;
    static reader rd;
    const char *endpoint = NULL, *region = NULL, *retries = NULL, *file = NULL;
    unsigned long line = 0;
    double t0 = now_s();
    int a, stats = 0, status = 0, got, too_long;
    buf text = {NULL, 0, 0};

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char **val = !strcmp(arg, "--endpoint") ? &endpoint : !strcmp(arg, "--region") ? &region
                           : !strcmp(arg, "--retries") ? &retries : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (val) {
            if (a + 1 == argc) return say(EXIT_USAGE, "%s needs a value\nTry 'replicate --help'.", arg);
            *val = argv[++a];
        } else if (!strcmp(arg, "--stats")) {
            stats = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return say(EXIT_USAGE, "unknown option: %s\nTry 'replicate --help'.", arg);
        } else if (file) {
            return say(EXIT_USAGE, "one input file at most\nTry 'replicate --help'.");
        } else {
            file = arg;
        }
    }
    rd.f = stdin;
    if (file && strcmp(file, "-") && !(rd.f = fopen(file, "rb")))
        return say(EXIT_IO, "%s: %s", file, strerror(errno));
    r.input = file && strcmp(file, "-") ? file : NULL;
    status = setup(&r, endpoint, region, retries);

    while (!status && (got = read_line(&rd, &text, &too_long)) != 0) {
        line++;
        if (got == -2) {
            status = oom(&r, line);
        } else if (got < 0) {
            say(0, "%s: read error: %s", file ? file : "stdin", strerror(errno));
            resume_hint(&r, line);
            status = EXIT_IO;
        } else if (too_long) {
            say(0, "line %lu: longer than %lu MiB, the most DynamoDB takes; not sent", line,
                (unsigned long)(LINE_LIMIT >> 20));
            resume_hint(&r, line);
            status = EXIT_UNAPPLIED;
        } else if (text.len && ws(text.p, text.p + text.len) != text.p + text.len) { /* not blank */
            status = apply(&r, line, text.p, text.len);
        }
    }
    if (stats)
        say(0, "%llu bodies applied, %llu requests; %llu HTTP requests, %llu retries (%llu "
               "throttled, %llu 5xx, %llu network), %llu requests unprocessed and re-sent; %.3f s",
            r.st.lines, r.st.requests, r.st.posts, r.st.retries, r.st.throttled, r.st.errors5xx,
            r.st.neterrors, r.st.unprocessed, now_s() - t0);
    if (rd.f && rd.f != stdin) fclose(rd.f);
    if (r.curl) curl_easy_cleanup(r.curl);
    curl_slist_free_all(r.hdrs);
    if (r.curl_up) curl_global_cleanup();
    free(r.url);
    free(r.resp.p);
    free(r.body[0].p);
    free(r.body[1].p);
    free(text.p);
    return status;
}
