/* s3_put.c: PUT objects to S3 with libcurl (CURLOPT_AWS_SIGV4), retries, clear errors. */
#define _POSIX_C_SOURCE 200809L
#include "s3_put.h"

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

#define RESP_MAX 8192 /* enough for any S3 XML error body; the rest is dropped */

struct s3_client {
    CURL *curl;
    s3_target t;
    char *secret, *token_hdr;      /* token_hdr: "x-amz-security-token: ..." or NULL */
    char sigv4[96];                /* "aws:amz:REGION:s3" */
    uint32_t rng;                  /* backoff jitter */
    s3_stats stats;
    const char *body;              /* request being sent */
    size_t body_len, body_off;
    char resp[RESP_MAX + 1];       /* response body, for the error message */
    size_t resp_len;
    int have_etag;
    char errbuf[CURL_ERROR_SIZE];
};

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (err && cap) {
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* With S3_CURL_DLOPEN (the CLI's build), libcurl is loaded when the first client opens, so a
   run without S3 starts without it and its dozens of libraries (about 4 ms and 6 MiB). */
#ifdef S3_CURL_DLOPEN
#include <dlfcn.h>
static struct {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} cu;
#define CU(f) cu.f

static int curl_load(char *err, size_t cap)
{
    static void *lib;
    if (lib) return 0;
    if (!(lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)))
        return fail(err, cap, "S3: cannot load libcurl (libcurl.so.4): %s", dlerror());
    /* POSIX's way to store a symbol in a function pointer without a cast between the two */
#define LOAD(f) if (!(*(void **)&cu.f = dlsym(lib, "curl_" #f))) goto missing
    LOAD(global_init); LOAD(global_cleanup); LOAD(easy_init); LOAD(easy_setopt);
    LOAD(easy_perform); LOAD(easy_getinfo); LOAD(easy_cleanup); LOAD(easy_strerror);
    LOAD(slist_append); LOAD(slist_free_all);
#undef LOAD
    return 0;
missing:
    dlclose(lib);
    lib = NULL;
    return fail(err, cap, "S3: libcurl.so.4 lacks a function this program needs");
}
#else
#define CU(f) curl_##f
static int curl_load(char *err, size_t cap) { (void)err; (void)cap; return 0; }
#endif

/* ---- SHA-256 (FIPS 180-4), one shot: the body is already in memory ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], v[8], t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (; i < 64; i++)
        w[i] = w[i - 16] + w[i - 7] +
               (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
               (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
    memcpy(v, h, sizeof v);
    for (i = 0; i < 64; i++) {
        t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
             ((v[4] & v[5]) ^ (~v[4] & v[6])) + K256[i] + w[i];
        t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
             ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++) h[i] += v[i];
}

void s3_sha256_hex(const void *data, size_t len, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = (const unsigned char *)data;
    unsigned char tail[128] = {0};
    uint64_t bits = (uint64_t)len * 8;
    size_t full = len / 64 * 64, rest = len - full, tl = rest < 56 ? 64 : 128, i;
    for (i = 0; i < full; i += 64) sha256_block(h, p + i);
    if (rest) memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    for (i = 0; i < 8; i++) tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (i = 0; i < tl; i += 64) sha256_block(h, tail + i);
    for (i = 0; i < 64; i++)
        out[i] = "0123456789abcdef"[(h[i / 8] >> (28 - 4 * (i % 8))) & 15];
    out[64] = 0;
}

/* ---- URL parsing and key encoding ---- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int is_lc(int ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'); }
static int is_alnum(int ch) { return is_lc(ch) || (ch >= 'A' && ch <= 'Z'); }

/* S3 keys are UTF-8; checking here turns a server-side 400/500 into a precise local error. */
static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s++, n, i;
        unsigned long cp;
        if (c < 0x80) continue;
        if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
        else return 0;
        for (i = 0; i < n; i++, s++) { /* the NUL terminator fails this test: no overrun */
            if ((*s & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (*s & 0x3Fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
    }
    return 1;
}

/* SigV4 canonical URI for S3: each byte except unreserved A-Z a-z 0-9 - _ . ~ becomes %XX
 * (upper-case hex); '/' stays as the segment separator. S3 does not normalise the path, and
 * libcurl signs the path exactly as sent, so sending this form makes both sides agree. */
static size_t uri_encode(const char *s, char *out)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/') {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = "0123456789ABCDEF"[ch >> 4];
            out[n++] = "0123456789ABCDEF"[ch & 15];
        }
    }
    out[n] = 0;
    return n;
}

int s3_parse_url(const char *url, s3_target *t, char *err, size_t errcap)
{
    const char *p, *auth, *path, *host_end, *q;
    size_t slen, alen, blen, n = 0;
    memset(t, 0, sizeof *t);
    t->path_style = 1;
    if (!url || !*url) return fail(err, errcap, "empty S3 URL");
    if (strncasecmp(url, "http://", 7) == 0) slen = 7;
    else if (strncasecmp(url, "https://", 8) == 0) slen = 8;
    else return fail(err, errcap, "S3 URL must start with http:// or https://: %s", url);
    if (strpbrk(url, "?#"))
        return fail(err, errcap, "S3 URL must not have a query or fragment: %s", url);
    auth = url + slen;
    path = strchr(auth, '/');
    alen = path ? (size_t)(path - auth) : strlen(auth);
    if (alen == 0) return fail(err, errcap, "S3 URL has no host: %s", url);
    if (memchr(auth, '@', alen))
        return fail(err, errcap, "S3 URL must not hold credentials (use AWS_ACCESS_KEY_ID/"
                                 "AWS_SECRET_ACCESS_KEY): %s", url);
    /* host: a name, an IPv4 address, or [IPv6]; then an optional :port */
    if (auth[0] == '[') {
        host_end = memchr(auth, ']', alen);
        if (!host_end || host_end == auth + 1) return fail(err, errcap, "bad IPv6 host in %s", url);
        for (q = auth + 1; q < host_end; q++)
            if (hexval(*q) < 0 && *q != ':' && *q != '.')
                return fail(err, errcap, "bad IPv6 host in %s", url);
        host_end++;
    } else {
        for (host_end = auth; host_end < auth + alen && *host_end != ':'; host_end++)
            if (!is_alnum(*host_end) && *host_end != '.' && *host_end != '-')
                return fail(err, errcap, "bad character '%c' in the host of %s", *host_end, url);
        if (host_end == auth) return fail(err, errcap, "S3 URL has no host: %s", url);
    }
    if (host_end < auth + alen) {
        long port = 0;
        if (*host_end != ':' || host_end + 1 == auth + alen)
            return fail(err, errcap, "bad port in %s", url);
        for (q = host_end + 1; q < auth + alen; q++) {
            if (*q < '0' || *q > '9' || port > 65535)
                return fail(err, errcap, "bad port in %s", url);
            port = port * 10 + (*q - '0');
        }
        if (port < 1 || port > 65535) return fail(err, errcap, "port out of range in %s", url);
    }
    if (slen + alen >= sizeof t->endpoint) return fail(err, errcap, "S3 endpoint too long: %s", url);
    memcpy(t->endpoint, slen == 7 ? "http://" : "https://", slen);
    memcpy(t->endpoint + slen, auth, alen);

    /* bucket */
    if (!path || !path[1]) return fail(err, errcap, "S3 URL has no bucket: %s (expected "
                                                   "http(s)://host[:port]/bucket/prefix)", url);
    p = path + 1;
    blen = strcspn(p, "/");
    if (blen < 3 || blen > 63)
        return fail(err, errcap, "bucket name must be 3 to 63 characters: %.*s", (int)blen, p);
    for (q = p; q < p + blen; q++)
        if ((!is_lc(*q) && *q != '.' && *q != '-') || (q[0] == '.' && q[1] == '.'))
            return fail(err, errcap, "bucket name may hold only a-z 0-9 . - (no \"..\"): %.*s",
                        (int)blen, p);
    if (!is_lc(p[0]) || !is_lc(p[blen - 1]))
        return fail(err, errcap, "bucket name must start and end with a-z or 0-9: %.*s", (int)blen, p);
    memcpy(t->bucket, p, blen);

    /* prefix, percent-decoded so that it is the key text itself */
    p += blen;
    if (*p == '/') p++;
    for (; *p; p++) {
        int ch = (unsigned char)*p;
        if (ch == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0) return fail(err, errcap, "bad percent escape in the prefix of %s", url);
            ch = hi * 16 + lo;
            p += 2;
            if (ch == 0) return fail(err, errcap, "%%00 in the prefix of %s", url);
        }
        if (n >= S3_KEY_MAX - 1) return fail(err, errcap, "prefix too long in %s", url);
        t->prefix[n++] = (char)ch;
    }
    if (!utf8_ok((const unsigned char *)t->prefix))
        return fail(err, errcap, "prefix is not valid UTF-8 in %s", url);
    return 0;
}

/* ---- client ---- */

static int env_long(const char *name, long lo, long hi, long *out, char *err, size_t cap)
{
    const char *v = getenv(name);
    char *end;
    long x;
    if (!v || !*v) return 0;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return fail(err, cap, "%s=%s: expected an integer from %ld to %ld", name, v, lo, hi);
    *out = x;
    return 0;
}

/* Field if set, else environment, else default. */
static int policy(long *field, const char *env, long lo, long hi, long dflt, char *err, size_t cap)
{
    if (*field < 0 || *field > hi) return fail(err, cap, "%s out of range: %ld", env, *field);
    if (*field) return 0;
    *field = dflt;
    return env_long(env, lo, hi, field, err, cap);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    s3_client *c = (s3_client *)user;
    size_t n = size * nmemb, room = RESP_MAX - c->resp_len;
    memcpy(c->resp + c->resp_len, ptr, n < room ? n : room);
    c->resp_len += n < room ? n : room;
    c->resp[c->resp_len] = 0;
    return n; /* take everything: a long body must not abort the transfer */
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
    s3_client *c = (s3_client *)user;
    size_t n = size * nmemb, i = 5;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) c->have_etag = 0; /* new (final) response */
    if (n > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
        while (i < n && (ptr[i] == ' ' || ptr[i] == '\t')) i++;
        if (i < n && ptr[i] != '\r' && ptr[i] != '\n') c->have_etag = 1;
    }
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *user)
{
    s3_client *c = (s3_client *)user;
    size_t n = size * nmemb, left = c->body_len - c->body_off;
    if (n > left) n = left;
    if (n) memcpy(buf, c->body + c->body_off, n);
    c->body_off += n;
    return n;
}

/* libcurl rewinds the body when it re-sends on a fresh connection. */
static int on_seek(void *user, curl_off_t off, int origin)
{
    s3_client *c = (s3_client *)user;
    if (origin != SEEK_SET || off < 0 || (unsigned long long)off > c->body_len)
        return CURL_SEEKFUNC_FAIL;
    c->body_off = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

s3_client *s3_open(const s3_target *t, char *err, size_t errcap)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tok = getenv("AWS_SESSION_TOKEN"), *region = getenv("AWS_REGION"), *q;
    long attempts, conn_ms;
    s3_client *c;
    if (!region || !*region) region = getenv("AWS_DEFAULT_REGION");
    if (!region || !*region) region = "us-east-1";
    if (!t || !t->endpoint[0] || !t->bucket[0])
        return fail(err, errcap, "S3 target not set (use s3_parse_url)"), NULL;
    if (!ak || !*ak || !sk || !*sk)
        return fail(err, errcap, "S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"), NULL;
    /* The region goes inside "aws:amz:REGION:s3": keep it to the characters regions use. */
    for (q = region; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-') || q - region > 40)
            return fail(err, errcap, "S3: bad AWS_REGION '%s'", region), NULL;
    if (curl_load(err, errcap)) return NULL;
    if (!(c = (s3_client *)calloc(1, sizeof *c))) return fail(err, errcap, "out of memory"), NULL;
    c->t = *t;
    attempts = c->t.max_attempts;
    conn_ms = c->t.connect_timeout_ms;
    if (policy(&attempts, "DDBS_S3_RETRIES", 1, 100, 6, err, errcap) ||
        policy(&c->t.backoff_ms, "DDBS_S3_BACKOFF_MS", 1, 600000, 200, err, errcap) ||
        policy(&c->t.backoff_cap_ms, "DDBS_S3_BACKOFF_CAP_MS", 1, 3600000, 5000, err, errcap) ||
        policy(&conn_ms, "DDBS_S3_CONNECT_TIMEOUT_MS", 1, 600000, 10000, err, errcap) ||
        policy(&c->t.timeout_ms, "DDBS_S3_TIMEOUT_MS", 1, 86400000, 0, err, errcap)) {
        free(c);
        return NULL;
    }
    c->t.max_attempts = (int)attempts;
    c->t.connect_timeout_ms = conn_ms;
    snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", region);
    c->rng = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
    if (!c->rng) c->rng = 1;
    c->secret = strdup(sk);
    if (tok && *tok) {
        c->token_hdr = (char *)malloc(strlen(tok) + 32);
        if (c->token_hdr) sprintf(c->token_hdr, "x-amz-security-token: %s", tok);
    }
    if (CU(global_init)(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(c->secret);
        free(c->token_hdr);
        free(c);
        return fail(err, errcap, "S3: curl_global_init failed"), NULL;
    }
    c->curl = CU(easy_init)();
    if (!c->curl || !c->secret || (tok && *tok && !c->token_hdr)) {
        s3_close(c);
        return fail(err, errcap, "S3: out of memory"), NULL;
    }
    /* Options that hold for every request; the handle keeps its connection alive. */
    CU(easy_setopt)(c->curl, CURLOPT_AWS_SIGV4, c->sigv4);
    CU(easy_setopt)(c->curl, CURLOPT_USERNAME, ak); /* separate fields: no ':' parsing */
    CU(easy_setopt)(c->curl, CURLOPT_PASSWORD, c->secret);
    CU(easy_setopt)(c->curl, CURLOPT_UPLOAD, 1L);
    CU(easy_setopt)(c->curl, CURLOPT_READFUNCTION, on_read);
    CU(easy_setopt)(c->curl, CURLOPT_READDATA, c);
    CU(easy_setopt)(c->curl, CURLOPT_SEEKFUNCTION, on_seek);
    CU(easy_setopt)(c->curl, CURLOPT_SEEKDATA, c);
    CU(easy_setopt)(c->curl, CURLOPT_WRITEFUNCTION, on_write);
    CU(easy_setopt)(c->curl, CURLOPT_WRITEDATA, c);
    CU(easy_setopt)(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    CU(easy_setopt)(c->curl, CURLOPT_HEADERDATA, c);
    CU(easy_setopt)(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
    CU(easy_setopt)(c->curl, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM */
    CU(easy_setopt)(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->t.connect_timeout_ms);
    CU(easy_setopt)(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    CU(easy_setopt)(c->curl, CURLOPT_PATH_AS_IS, 1L); /* a key may hold "." or ".." segments */
    CU(easy_setopt)(c->curl, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is reported, not chased */
    CU(easy_setopt)(c->curl, CURLOPT_USERAGENT, "ddbstream-s3");
    return c;
}

void s3_close(s3_client *c)
{
    volatile char *v;
    if (!c) return;
    if (c->curl) CU(easy_cleanup)(c->curl);
    for (v = c->secret; v && *v; v++) *v = 0; /* volatile: the wipe is not optimised away */
    for (v = c->token_hdr; v && *v; v++) *v = 0;
    free(c->secret);
    free(c->token_hdr);
    free(c);
    CU(global_cleanup)();
}

const s3_stats *s3_get_stats(const s3_client *c) { return &c->stats; }

/* Text of <tag>...</tag> in an S3 XML error body, with XML's entities decoded. */
static void xml_text(const char *xml, const char *tag, char *out, size_t cap)
{
    char open[32], close[32];
    const char *a, *b;
    size_t n = 0;
    out[0] = 0;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    if (!(a = strstr(xml, open)) || !(b = strstr(a += strlen(open), close))) return;
    while (a < b && n + 1 < cap) {
        static const char *const ent[][2] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"},
                                             {"&quot;", "\""}, {"&apos;", "'"}};
        size_t i, hit = 0;
        for (i = 0; i < 5 && !hit; i++)
            if (strncmp(a, ent[i][0], strlen(ent[i][0])) == 0) {
                out[n++] = ent[i][1][0];
                a += strlen(ent[i][0]);
                hit = 1;
            }
        if (hit) continue;
        if (a[0] == '&' && a[1] == '#') { /* numeric reference: keep ASCII, '?' otherwise */
            char *end;
            long cp = a[2] == 'x' ? strtol(a + 3, &end, 16) : strtol(a + 2, &end, 10);
            if (*end == ';' && end < b) {
                out[n++] = cp < 32 ? ' ' : cp < 127 ? (char)cp : '?';
                a = end + 1;
                continue;
            }
        }
        out[n++] = (unsigned char)*a < 32 ? ' ' : *a;
        a++;
    }
    out[n] = 0;
}

/* Describes a failed attempt into msg; returns 1 when a retry may succeed. */
static int classify(s3_client *c, CURLcode rc, long status, char *msg, size_t cap)
{
    char code[128], text[512];
    size_t i;
    if (rc != CURLE_OK) {
        snprintf(msg, cap, "curl error %d (%s)%s%s", (int)rc, CU(easy_strerror)(rc),
                 c->errbuf[0] ? ": " : "", c->errbuf);
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
            return 1;
        default:
            return 0; /* bad URL, TLS verification, out of memory...: the same again */
        }
    }
    if (status == 200 && !c->have_etag) {
        snprintf(msg, cap, "HTTP 200 without an ETag: the server did not confirm the object");
        return 0;
    }
    xml_text(c->resp, "Code", code, sizeof code);
    xml_text(c->resp, "Message", text, sizeof text);
    if (code[0]) {
        snprintf(msg, cap, "HTTP %ld %s%s%s", status, code, text[0] ? ": " : "", text);
    } else { /* not S3's XML (a proxy, a load balancer): show the start of the body */
        snprintf(text, sizeof text, "%.200s", c->resp);
        for (i = 0; text[i]; i++)
            if ((unsigned char)text[i] < 32) text[i] = ' ';
        snprintf(msg, cap, "HTTP %ld%s%s", status, text[0] ? ": " : " (empty body)", text);
    }
    return status >= 500 || status == 408 || status == 429 || strcmp(code, "RequestTimeout") == 0;
}

static const char *content_type(const char *key)
{
    size_t n = strlen(key);
    if (n >= 7 && strcmp(key + n - 7, ".ndjson") == 0) return "Content-Type: application/x-ndjson";
    if (n >= 4 && strcmp(key + n - 4, ".csv") == 0) return "Content-Type: text/csv";
    if (n >= 5 && strcmp(key + n - 5, ".json") == 0) return "Content-Type: application/json";
    return "Content-Type: application/octet-stream";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Delay before retry n (1-based): base * 2^(n-1), capped, with "equal jitter" (half fixed,
 * half random) so that many writers retrying together spread out. */
static void backoff(s3_client *c, int n)
{
    long d = c->t.backoff_ms;
    struct timespec ts;
    while (--n > 0 && d < c->t.backoff_cap_ms) d *= 2;
    if (d > c->t.backoff_cap_ms) d = c->t.backoff_cap_ms;
    c->rng ^= c->rng << 13, c->rng ^= c->rng >> 17, c->rng ^= c->rng << 5; /* xorshift32 */
    d = d / 2 + (long)(c->rng % (uint32_t)(d / 2 + 1));
    ts.tv_sec = d / 1000;
    ts.tv_nsec = d % 1000 * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int s3_put(s3_client *c, const char *key, const char *data, size_t len, char *err, size_t errcap)
{
    char full[S3_KEY_MAX + 1], hash[65], sha_hdr[96], last[1024] = "", *url;
    size_t plen = strlen(c->t.prefix), klen = key ? strlen(key) : 0, ulen;
    struct curl_slist *hdrs = NULL, *h;
    int attempt, retry = 0, ok = 0;
    long status;
    double t0 = now_s();
    CURLcode rc;

    if (!klen) return fail(err, errcap, "PUT s3://%s/%s: empty object name", c->t.bucket, c->t.prefix);
    if (plen + klen > S3_KEY_MAX)
        return fail(err, errcap, "PUT s3://%s/%.40s...: key of %lu bytes, longer than %d",
                    c->t.bucket, plen ? c->t.prefix : key, (unsigned long)(plen + klen), S3_KEY_MAX);
    memcpy(full, c->t.prefix, plen);
    memcpy(full + plen, key, klen + 1);
    if (!utf8_ok((const unsigned char *)full))
        return fail(err, errcap, "PUT s3://%s/%s: key is not valid UTF-8", c->t.bucket, full);
    if (!data && len) return fail(err, errcap, "PUT s3://%s/%s: no data", c->t.bucket, full);

    ulen = strlen(c->t.endpoint) + strlen(c->t.bucket) + 3 * (plen + klen) + 3;
    if (!(url = (char *)malloc(ulen))) return fail(err, errcap, "out of memory");
    ulen = (size_t)sprintf(url, "%s/%s/", c->t.endpoint, c->t.bucket);
    uri_encode(full, url + ulen);

    /* libcurl 7.88 neither sends x-amz-content-sha256 nor hashes a streamed body (it signs
     * the hash of CURLOPT_POSTFIELDS, or of "" for an upload); given this header it signs
     * the header's value. So we send the real hash, and S3 checks the body against it. */
    s3_sha256_hex(data ? data : "", len, hash);
    snprintf(sha_hdr, sizeof sha_hdr, "x-amz-content-sha256: %s", hash);
    hdrs = CU(slist_append)(hdrs, sha_hdr);
    if (hdrs && (h = CU(slist_append)(hdrs, content_type(full)))) hdrs = h; else goto oom;
    /* No "Expect:" here to skip 100-continue: libcurl < 8.3 signs that removed header
     * (curl issue 11664) and every request fails. Its own Expect is not signed, and lets S3
     * refuse a request (403...) before the body is sent. */
    if (c->token_hdr && (h = CU(slist_append)(hdrs, c->token_hdr))) hdrs = h;
    else if (c->token_hdr) goto oom;

    CU(easy_setopt)(c->curl, CURLOPT_URL, url);
    CU(easy_setopt)(c->curl, CURLOPT_HTTPHEADER, hdrs);
    CU(easy_setopt)(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    CU(easy_setopt)(c->curl, CURLOPT_TIMEOUT_MS,
                     c->t.timeout_ms ? c->t.timeout_ms : 30000L + (long)(len >> 20) * 1000L);
    c->body = data;
    c->body_len = len;

    for (attempt = 1;; attempt++) {
        c->body_off = 0;
        c->resp_len = 0;
        c->resp[0] = 0;
        c->have_etag = 0;
        c->errbuf[0] = 0;
        status = 0;
        rc = CU(easy_perform)(c->curl);
        CU(easy_getinfo)(c->curl, CURLINFO_RESPONSE_CODE, &status);
        c->stats.attempts++;
        if ((ok = rc == CURLE_OK && status == 200 && c->have_etag)) break;
        retry = classify(c, rc, status, last, sizeof last);
        if (!retry || attempt >= c->t.max_attempts) break;
        c->stats.retries++;
        backoff(c, attempt);
    }
    CU(easy_setopt)(c->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    CU(slist_free_all)(hdrs);
    c->body = NULL;
    if (ok) {
        free(url);
        c->stats.objects_ok++;
        c->stats.bytes_ok += len;
        return 0;
    }
    c->stats.objects_failed++;
    free(url);
    if (!retry)
        return fail(err, errcap, "PUT s3://%s/%s: %s (attempt %d of %d, not retried)",
                    c->t.bucket, full, last, attempt, c->t.max_attempts);
    return fail(err, errcap, "PUT s3://%s/%s: gave up after %d attempts in %.1f s; last error: %s",
                c->t.bucket, full, attempt, now_s() - t0, last);
oom:
    CU(slist_free_all)(hdrs);
    free(url);
    return fail(err, errcap, "out of memory");
}
