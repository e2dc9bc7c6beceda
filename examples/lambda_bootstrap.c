/* lambda_bootstrap: ddbstream as an AWS Lambda custom runtime (provided.al2023), for
   functions fed by a DynamoDB stream (or a Kinesis stream of DynamoDB changes).

   Configured by DDBSTREAM_ARGS, the CLI's flags split on whitespace (no quoting), e.g.
   "--ttl-only --shape item --s3 https://s3.eu-west-1.amazonaws.com/bucket/ttl/". Each batch
   goes through the chunker into objects (--out-dir or --s3); the answer is a partial batch
   response, so the event source mapping must have ReportBatchItemFailures turned on:
   without it Lambda takes any answer as success and the records named would be lost.

   Delivery: Lambda retries from the record named in batchItemFailures, so every record is
   stored at least once. Objects land whole or not at all (temporary name and rename; a PUT
   is atomic) and the chunker stops at its first failed object, so nothing from the named
   record on was stored by this call and the retry stores it once. Records are stored twice
   only when a store worked but we did not learn it (a lost PUT answer, a lost /response, a
   function timeout): the retry then writes the same records again, under the same names
   when the batch is cut the same way (names are FIRSTSEQ-LASTSEQ), so they overwrite; a
   batch cut differently gives overlapping objects, which readers dedupe on SequenceNumber. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_EVENT (8u << 20) /* Lambda sends at most 6 MB */
/* Request ids go into URL paths: Lambda's are UUIDs, these characters are safe there. */
#define ID_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._"

typedef struct buf {
    char *p;
    size_t n, cap;
    int over; /* the body was larger than MAX_EVENT */
} buf;

static CURL *h;            /* one handle: the connection to the Runtime API is kept */
static char base[300];     /* http://host:port/2018-06-01/runtime */
static char req_id[128], trace[512];

static size_t on_body(char *d, size_t sz, size_t nm, void *user)
{
    buf *b = (buf *)user;
    size_t n = sz * nm, cap = b->cap ? b->cap : 1u << 16;
    char *p;
    if (b->n + n > MAX_EVENT) {
        b->over = 1;
        return 0; /* curl stops with a write error */
    }
    while (cap < b->n + n + 1) cap *= 2;
    if (cap != b->cap) {
        if (!(p = realloc(b->p, cap))) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

static size_t discard(char *d, size_t sz, size_t nm, void *user)
{
    (void)d, (void)user;
    return sz * nm;
}

/* The value of header name in line (not NUL-terminated), into out; too long counts as absent. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k)) return;
    for (line += k + 1, n -= k + 1; n && (*line == ' ' || *line == '\t'); n--) line++;
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ')) n--;
    if (n >= cap) n = 0;
    memcpy(out, line, n);
    out[n] = 0;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *user)
{
    (void)user;
    header_value(d, sz * nm, "Lambda-Runtime-Aws-Request-Id", req_id, sizeof req_id);
    header_value(d, sz * nm, "Lambda-Runtime-Trace-Id", trace, sizeof trace);
    return sz * nm;
}

/* One call to the Runtime API: GET when body is NULL (into out), else POST of the JSON body.
   Returns the HTTP status, or -1 when no answer came. No timeout: /next is a long poll. */
static long api(const char *path, const char *body, const char *error_type, buf *out)
{
    char url[512], hdr[160];
    struct curl_slist *hs = NULL;
    long code = -1;
    CURLcode rc;
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* a function's HTTP_PROXY is not for this API */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, out ? on_body : discard);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if (body) {
        hs = curl_slist_append(hs, "Content-Type: application/json");
        hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
        if (error_type) {
            snprintf(hdr, sizeof hdr, "Lambda-Runtime-Function-Error-Type: %s", error_type);
            hs = curl_slist_append(hs, hdr);
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    }
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    else if (!out || !out->over) fprintf(stderr, "lambda_bootstrap: %s: %s\n", url, curl_easy_strerror(rc));
    curl_slist_free_all(hs);
    return code;
}

static void post(const char *path, const char *body, const char *error_type)
{
    long code = api(path, body, error_type, NULL);
    if (code != 202) fprintf(stderr, "lambda_bootstrap: POST %s: HTTP %ld\n", path, code);
}

/* {"errorMessage":msg,"errorType":type}, msg escaped (non-ASCII bytes become '?'). */
static void post_error(const char *path, const char *type, const char *msg)
{
    char body[4096];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"errorMessage\":\"");
    for (; *msg && n < sizeof body - 64; msg++) {
        unsigned char ch = (unsigned char)*msg;
        if (ch == '"' || ch == '\\') n += (size_t)snprintf(body + n, 3, "\\%c", ch);
        else if (ch == '\n') n += (size_t)snprintf(body + n, 3, "\\n");
        else if (ch < 0x20) n += (size_t)snprintf(body + n, 7, "\\u%04x", ch);
        else body[n++] = ch < 0x7f ? (char)ch : '?';
    }
    snprintf(body + n, sizeof body - n, "\",\"errorType\":\"%s\"}", type);
    post(path, body, type);
}

/* Just enough JSON walking to name a record of the event, which Lambda wrote. */
static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *str_end(const char *p, const char *e) /* p at '"'; NULL if unclosed */
{
    for (p++; p < e; p++)
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    return NULL;
}

static const char *skip(const char *p, const char *e) /* past the value at p, or NULL */
{
    int depth = 0;
    while (p && p < e) {
        if (*p == '"') p = str_end(p, e);
        else if (*p == '{' || *p == '[') { depth++; p++; continue; }
        else if (*p == '}' || *p == ']') { if (!depth--) return p; p++; }
        else if (!depth && strchr(", \t\r\n", *p)) return p;
        else { p++; continue; }
        if (!depth) return p;
    }
    return NULL;
}

static const char *member(const char *p, const char *e, const char *key) /* in object p */
{
    size_t k = strlen(key);
    if (!p || (p = ws(p, e)) >= e || *p != '{') return NULL;
    for (p = ws(p + 1, e); p < e && *p == '"'; p = ws(p + 1, e)) {
        const char *q = str_end(p, e), *v = q ? ws(q, e) : e;
        if (v >= e || *v != ':') return NULL;
        v = ws(v + 1, e);
        if ((size_t)(q - p) == k + 2 && !memcmp(p + 1, key, k)) return v;
        if (!(p = skip(v, e)) || (p = ws(p, e)) >= e || *p != ',') return NULL;
    }
    return NULL;
}

static const char *element(const char *p, const char *e, uint64_t index) /* of array p */
{
    if (!p || (p = ws(p, e)) >= e || *p != '[') return NULL;
    for (p = ws(p + 1, e); index; index--)
        if (!(p = skip(p, e)) || (p = ws(p, e)) >= e || *p != ',' || (p = ws(p + 1, e)) >= e)
            return NULL;
    return p < e && *p != ']' ? p : NULL;
}

/* The string at p as written (hence valid inside JSON quotes), printable ASCII only. */
static int string_at(const char *p, const char *e, char *out, size_t cap)
{
    const char *q = p && p < e && *p == '"' ? str_end(p, e) : NULL;
    size_t n = q ? (size_t)(q - p) - 2 : 0, i;
    if (!n || n >= cap) return 0;
    for (i = 0; i < n; i++)
        if (p[1 + i] < 0x20 || p[1 + i] > 0x7e) return 0;
    memcpy(out, p + 1, n);
    out[n] = 0;
    return 1;
}

/* The itemIdentifier of record number index (0-based, as the library counts) of the event:
   Records[index].dynamodb.SequenceNumber, or for Kinesis .kinesis.sequenceNumber. Looked
   up in the event because the library may not have read it yet (Lambda writes it after the
   images). lib is the library's SequenceNumber for that record, "" if unknown: if it differs,
   the library's count and the Records array disagree and no record is named (0). */
static int record_id(const char *ev, size_t n, uint64_t index, const char *lib, char *out, size_t cap)
{
    const char *e = ev + n, *r, *d;
    if (n >= 3 && !memcmp(ev, "\xEF\xBB\xBF", 3)) ev += 3; /* a BOM, as the parser allows */
    r = element(member(ev, e, "Records"), e, index);
    if ((d = member(r, e, "dynamodb")) && string_at(member(d, e, "SequenceNumber"), e, out, cap))
        return !*lib || !strcmp(lib, out);
    return (d = member(r, e, "kinesis")) && string_at(member(d, e, "sequenceNumber"), e, out, cap);
}

/* One batch: convert, then answer. Everything before the failure point is stored; Lambda
   retries from the record named (or, after /error, the whole batch). */
static void handle(cli *c, const buf *ev)
{
    char path[200], body[200], id[64], msg[4700];
    const char *lib = "", *type = "Ddbstream.BadInput", *data = ev->p ? ev->p : "";
    uint64_t at = UINT64_MAX; /* index of the first record not stored, if known */
    int s = cli_begin(c);
    c->fail_index = UINT64_MAX;
    if (s == CLI_OK) {
        s = cli_end(c, cli_convert(c, -1, data, ev->n, req_id));
        if (c->chunker.error) {
            at = c->chunker.error_record;
            lib = c->chunker.error_sequence;
        } else {
            at = c->fail_index;
            lib = c->fail_seq;
        }
    }
    snprintf(path, sizeof path, "/invocation/%s/response", req_id);
    if (s == CLI_OK) {
        post(path, "{\"batchItemFailures\":[]}", NULL);
    } else if (at != UINT64_MAX && record_id(data, ev->n, at, lib, id, sizeof id)) {
        fprintf(stderr, "lambda_bootstrap: %s: records from SequenceNumber %s on not stored, "
                        "left to Lambda's retry\n", req_id, id);
        snprintf(body, sizeof body, "{\"batchItemFailures\":[{\"itemIdentifier\":\"%s\"}]}", id);
        post(path, body, NULL);
    } else {
        if (c->chunker.error == DDBS_E_SINK) {
            type = "Ddbstream.ObjectNotStored";
            snprintf(msg, sizeof msg, "object not stored: %s", c->flush_err);
        } else {
            snprintf(msg, sizeof msg, "the event did not convert and no record of it can be named; see the log");
        }
        snprintf(path, sizeof path, "/invocation/%s/error", req_id);
        post_error(path, type, msg);
    }
}

/* cli_configure and cli_begin report on stderr; the init error wants the words too, so
   stderr goes to a temporary file meanwhile, then to the log and msg. */
static int configure(cli *c, int argc, char **argv, char *msg, size_t cap)
{
    FILE *t = tmpfile();
    int saved = t ? dup(2) : -1, s;
    size_t n = 0;
    if (saved >= 0) dup2(fileno(t), 2);
    s = cli_configure(c, argc, argv);
    if (s == CLI_OK) s = cli_begin(c); /* checks what only it checks, e.g. --prefix length */
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
        rewind(t);
        n = fread(msg, 1, cap - 1, t);
    }
    if (t) fclose(t);
    msg[n] = 0;
    fputs(msg, stderr);
    while (n && msg[n - 1] == '\n') msg[--n] = 0;
    if (s != CLI_OK && !n) snprintf(msg, cap, "DDBSTREAM_ARGS: not usable, see the log");
    if (s == CLI_DONE) snprintf(msg, cap, "DDBSTREAM_ARGS: --help and --version are not for the runtime");
    else if (s != CLI_OK) return s;
    else if (!c->chunked) snprintf(msg, cap, "DDBSTREAM_ARGS needs --out-dir DIR or --s3 URL");
    else if (c->nfiles != 1 || strcmp(c->files[0], "-"))
        snprintf(msg, cap, "DDBSTREAM_ARGS: no FILE arguments, the input is the event");
    else if (c->o.flags & DDBS_F_SKIP_BAD) /* it would drop the rest of a batch, unnamed */
        snprintf(msg, cap, "DDBSTREAM_ARGS: --skip-bad is not for the runtime (Lambda's retry "
                           "limits and on-failure destination handle bad records)");
    else return CLI_OK;
    fprintf(stderr, "lambda_bootstrap: %s\n", msg);
    return CLI_USAGE;
}

int main(void)
{
    static cli c;
    static buf ev;
    const char *api_host = getenv("AWS_LAMBDA_RUNTIME_API"), *args = getenv("DDBSTREAM_ARGS");
    char msg[4096], *argbuf, **argv, *tok;
    int argc = 1, rc = 0;
    if (!api_host || !*api_host || strlen(api_host) > 200) {
        fprintf(stderr, "lambda_bootstrap: AWS_LAMBDA_RUNTIME_API (host:port) is not set\n");
        return 1;
    }
    snprintf(base, sizeof base, "http://%s/2018-06-01/runtime", api_host);
    argbuf = strdup(args ? args : "");
    argv = argbuf ? calloc(strlen(argbuf) + 2, sizeof *argv) : NULL;
    if (!argv || curl_global_init(CURL_GLOBAL_DEFAULT) || !(h = curl_easy_init())) {
        fprintf(stderr, "lambda_bootstrap: out of memory\n");
        return 1;
    }
    argv[0] = (char *)"ddbstream";
    for (tok = strtok(argbuf, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) argv[argc++] = tok;

    if (configure(&c, argc, argv, msg, sizeof msg) != CLI_OK) {
        post_error("/init/error", "Ddbstream.ConfigError", msg);
        rc = 1;
    }
    c.stats = c.progress = 0;
    while (!rc) {
        long code;
        ev.n = 0;
        ev.over = 0;
        req_id[0] = trace[0] = 0;
        code = api("/invocation/next", NULL, NULL, &ev);
        if (ev.over && *req_id && strspn(req_id, ID_CHARS) == strlen(req_id)) {
            snprintf(msg, sizeof msg, "/invocation/%s/error", req_id);
            post_error(msg, "Ddbstream.EventTooLarge", "event larger than 8 MiB");
            continue;
        }
        if (code != 200) { /* the API says stop (500: "runtime should exit"), or is gone */
            fprintf(stderr, "lambda_bootstrap: /invocation/next: HTTP %ld, exiting\n", code);
            rc = code < 0;
            break;
        }
        if (!*req_id || strspn(req_id, ID_CHARS) != strlen(req_id)) {
            fprintf(stderr, "lambda_bootstrap: /invocation/next: no usable request id\n");
            continue;
        }
        if (*trace) setenv("_X_AMZN_TRACE_ID", trace, 1); /* for the X-Ray SDK, as runtimes do */
        else unsetenv("_X_AMZN_TRACE_ID");
        handle(&c, &ev);
    }
    cli_finish(&c, 0);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    free(ev.p);
    free(argv);
    free(argbuf);
    return rc;
}
