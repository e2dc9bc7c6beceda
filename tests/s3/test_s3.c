/* test_s3.c: examples/s3_put.c against s3rver (tests/s3/server.js) on 127.0.0.1.
 * Run by tests/s3/run.sh. Environment: S3T_NODE (node binary), S3T_SERVER_JS, S3T_TMP (a
 * scratch directory), and optionally S3T_PORT + S3T_DIR for an already running server.
 * Prints "ok N - ..." / "not ok N - ..." and ends with "s3: P passed, F failed". */
#define _POSIX_C_SOURCE 200809L
#include "s3_put.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n_pass, n_fail;
static const char *node_bin, *server_js, *tmp_dir;

static void check(int cond, const char *what, const char *detail)
{
    if (cond) n_pass++; else n_fail++;
    printf("%sok %d - %s%s%s\n", cond ? "" : "not ", n_pass + n_fail, what,
           !cond && detail && *detail ? ": " : "", !cond && detail ? detail : "");
    fflush(stdout);
}

static int has(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = ms % 1000 * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- servers started by this program (the restart tests need their own) ---- */

typedef struct server { pid_t pid; int in_fd, out_fd, port; } server;

/* Reads "PORT n" from the server's stdout; 0 when it is listening. */
static int server_wait(server *s, int ms)
{
    char line[64];
    size_t n = 0;
    struct pollfd p;
    double end = now_s() + ms / 1000.0;
    p.fd = s->out_fd;
    p.events = POLLIN;
    while (n + 1 < sizeof line && now_s() < end) {
        ssize_t r;
        if (poll(&p, 1, 100) <= 0) continue;
        if ((r = read(s->out_fd, line + n, 1)) <= 0) return -1;
        if (line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    return sscanf(line, "PORT %d", &s->port) == 1 ? 0 : -1;
}

/* Starts server.js on port (0: any) after delay_ms, serving dir; its stdin is a pipe held by
 * us, so it also stops if this program dies. With no delay, waits until it listens. */
static int server_start(server *s, int port, const char *dir, long delay_ms)
{
    int in[2], out[2];
    char portarg[16];
    if (pipe(in) || pipe(out)) return -1;
    snprintf(portarg, sizeof portarg, "%d", port);
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        if (delay_ms) sleep_ms(delay_ms);
        execlp(node_bin, node_bin, server_js, "--port", portarg, "--dir", dir, "--watch-stdin",
               "--ttl", "60", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    s->in_fd = in[1];
    s->out_fd = out[0];
    fcntl(s->in_fd, F_SETFD, FD_CLOEXEC); /* later children must not keep it open */
    fcntl(s->out_fd, F_SETFD, FD_CLOEXEC);
    s->port = port;
    return delay_ms ? 0 : server_wait(s, 15000);
}

static void server_stop(server *s, int sig)
{
    if (s->pid > 0) {
        kill(s->pid, sig);
        kill(s->pid, SIGCONT); /* a stopped process acts on SIGTERM only once resumed */
        waitpid(s->pid, NULL, 0);
    }
    if (s->pid > 0) close(s->in_fd), close(s->out_fd);
    s->pid = 0;
}

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = (char *)malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* s3rver keeps bucket/key as DIR/bucket/key._S3rver_object: read it back from disk, so the
 * check of names and bytes does not go through s3rver's (or our) URL handling. */
static int stored(const char *dir, const char *key, const char *data, size_t len)
{
    char path[2048];
    size_t n = 0;
    char *got;
    int same;
    snprintf(path, sizeof path, "%s/archive/%s._S3rver_object", dir, key);
    if (!(got = slurp(path, &n))) return 0;
    same = n == len && (len == 0 || memcmp(got, data, len) == 0);
    free(got);
    return same;
}

static int on_disk(const char *dir, const char *key)
{
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/archive/%s._S3rver_object", dir, key);
    return stat(path, &st) == 0;
}

static s3_client *client(int port, const char *bucket_prefix, int attempts, long backoff_ms,
                         long timeout_ms, char *err, size_t errcap)
{
    char url[256];
    s3_target t;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", port, bucket_prefix);
    if (s3_parse_url(url, &t, err, errcap)) return NULL;
    t.max_attempts = attempts;
    t.backoff_ms = backoff_ms;
    t.backoff_cap_ms = 1000;
    t.connect_timeout_ms = 2000;
    t.timeout_ms = timeout_ms;
    return s3_open(&t, err, errcap);
}

typedef struct { char *p; size_t n; } buf_t;

static size_t buf_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    buf_t *b = (buf_t *)user;
    size_t n = size * nmemb;
    char *q = (char *)realloc(b->p, b->n + n + 1);
    if (!q) return 0;
    memcpy(q + b->n, ptr, n);
    b->p = q;
    b->n += n;
    return n;
}

/* A signed GET, encoding the key with curl_easy_escape (not our encoder): the object must be
 * reachable under its name through the S3 API too. */
static int get_equals(int port, const char *key, const char *data, size_t len, long *status)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    buf_t b = {NULL, 0};
    char url[4096], seg[1024];
    const char *p = key;
    int same = 0;
    size_t n = (size_t)snprintf(url, sizeof url, "http://127.0.0.1:%d/archive", port);
    *status = 0;
    if (!h) return 0;
    while (*p && n < sizeof url - 1) {
        size_t sl = strcspn(p, "/");
        char *e;
        memcpy(seg, p, sl);
        seg[sl] = 0;
        e = curl_easy_escape(h, seg, (int)sl);
        n += (size_t)snprintf(url + n, sizeof url - n, "/%s", e ? e : "");
        curl_free(e);
        p += sl + (p[sl] == '/');
    }
    hdr = curl_slist_append(hdr, "x-amz-content-sha256: "
                                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(h, CURLOPT_USERNAME, "S3RVER");
    curl_easy_setopt(h, CURLOPT_PASSWORD, "S3RVER");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        same = *status == 200 && b.n == len && (len == 0 || memcmp(b.p, data, len) == 0);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(b.p);
    return same;
}

static char *random_bytes(size_t n, unsigned seed)
{
    char *p = (char *)malloc(n);
    size_t i;
    unsigned x = seed | 1;
    for (i = 0; p && i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (char)(x >> 24);
    }
    return p;
}

/* ---- tests ---- */

static void test_sha256(void)
{
    static const char *const want[] = {
        "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b", /* 55 */
        "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27", /* 56 */
        "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055", /* 63 */
        "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241", /* 64 */
        "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e", /* 119 */
        "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"}; /* 120 */
    static const size_t lens[] = {55, 56, 63, 64, 119, 120};
    char hex[65], buf[120], *m;
    size_t i, k;
    int all = 1;
    s3_sha256_hex("", 0, hex);
    all &= strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0;
    s3_sha256_hex("abc", 3, hex);
    all &= strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0;
    s3_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    all &= strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0;
    check(all, "sha256: FIPS 180 examples", NULL);
    for (i = 0; i < sizeof buf; i++) buf[i] = (char)((i * 7 + 3) & 255);
    for (all = 1, k = 0; k < 6; k++) {
        s3_sha256_hex(buf, lens[k], hex);
        all &= strcmp(hex, want[k]) == 0;
    }
    check(all, "sha256: padding edges (55, 56, 63, 64, 119, 120 bytes)", NULL);
    if ((m = (char *)malloc(1000000))) {
        memset(m, 'a', 1000000);
        s3_sha256_hex(m, 1000000, hex);
        check(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
              "sha256: a million 'a'", hex);
        free(m);
    }
}

static void test_parse_url(void)
{
    static const char *const bad[] = {
        "", "ftp://h/bucket", "http://", "http:///bucket", "http://h", "http://h/",
        "http://h:99999/bucket", "http://h:/bucket", "http://h:12a/bucket", "http://h:0/bucket",
        "http://user:pw@h/bucket", "http://h/bucket?x=1", "http://h/bucket#f", "http://h/Bucket",
        "http://h/ab", "http://h/b_c_d", "http://h/-abc", "http://h/abc.", "http://h/a..b",
        "http://h/bucket/%zz", "http://h/bucket/%4", "http://h/bucket/a%00b", "http://h/bucket/%ff",
        "http://h h/bucket", "http://[::1/bucket", "http://[]/bucket", "s3://bucket/prefix",
        "http://h/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    char err[512], first_bad[600] = "";
    s3_target t;
    size_t i;
    int all = 1;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        if (s3_parse_url(bad[i], &t, err, sizeof err) != -1 || !err[0]) {
            if (all) snprintf(first_bad, sizeof first_bad, "accepted '%s'", bad[i]);
            all = 0;
        }
    }
    check(all, "s3_parse_url rejects 28 bad URLs with a message", first_bad);
    s3_parse_url("http://h/Bucket", &t, err, sizeof err);
    check(has(err, "Bucket"), "s3_parse_url: the message names the bad part", err);

    check(s3_parse_url("http://127.0.0.1:4568/archive", &t, err, sizeof err) == 0 &&
              strcmp(t.endpoint, "http://127.0.0.1:4568") == 0 &&
              strcmp(t.bucket, "archive") == 0 && t.prefix[0] == 0 && t.path_style == 1,
          "s3_parse_url: endpoint and bucket, no prefix", err);
    check(s3_parse_url("HTTPS://s3.eu-west-1.amazonaws.com/my-bucket.logs/ddb/t%20x/", &t, err,
                       sizeof err) == 0 &&
              strcmp(t.endpoint, "https://s3.eu-west-1.amazonaws.com") == 0 &&
              strcmp(t.bucket, "my-bucket.logs") == 0 && strcmp(t.prefix, "ddb/t x/") == 0,
          "s3_parse_url: https, prefix percent-decoded", t.prefix);
    check(s3_parse_url("http://[::1]:9000/bkt/p-", &t, err, sizeof err) == 0 &&
              strcmp(t.endpoint, "http://[::1]:9000") == 0 && strcmp(t.prefix, "p-") == 0,
          "s3_parse_url: IPv6 host, prefix without a slash", err);
}

static void test_put(int port, const char *dir)
{
    static const char ndjson[] = "{\"eventName\":\"INSERT\",\"Keys\":{\"id\":\"1\"}}\n"
                                 "{\"eventName\":\"REMOVE\",\"Keys\":{\"id\":\"2\"}}\n";
    static const char csv[] = "id,name\r\n1,\"a, b\"\r\n";
    static const char *const keys[] = {
        "2024/01/02/03/100-200.ndjson", "with space/\xC3\xBCn\xC3\xAF c\xC3\xB6\x64\xC3\xA9 \xE2\x82\xAC/a+b=c.csv",
        "big/five-mib.bin", "sub-delims/!$&'()*,;:@~^`[]{}|\\\"<>.ndjson", "empty.ndjson"};
    size_t big_len = 5u << 20, lens[5], i;
    char *big = random_bytes(big_len, 7), err[1024], full[1200];
    const char *bodies[5];
    const s3_stats *st;
    s3_client *c;
    long status;
    int all = 1;
    if (!big) return;
    bodies[0] = ndjson, lens[0] = sizeof ndjson - 1;
    bodies[1] = csv, lens[1] = sizeof csv - 1;
    bodies[2] = big, lens[2] = big_len;
    bodies[3] = ndjson, lens[3] = 10;
    bodies[4] = "", lens[4] = 0;

    c = client(port, "archive/t1/", 3, 50, 0, err, sizeof err);
    check(c != NULL, "s3_open with S3RVER credentials", err);
    if (!c) {
        free(big);
        return;
    }
    for (i = 0; i < 5; i++) {
        int rc = s3_put(c, keys[i], bodies[i], lens[i], err, sizeof err);
        snprintf(full, sizeof full, "t1/%s", keys[i]);
        if (rc != 0) printf("# %s\n", err);
        all &= rc == 0 && stored(dir, full, bodies[i], lens[i]);
    }
    check(all, "5 objects (NDJSON, CSV under a unicode/space/+= name, 5 MiB of random bytes, "
               "every ASCII punctuation, empty) land with their names and bytes", NULL);
    st = s3_get_stats(c);
    check(st->objects_ok == 5 && st->objects_failed == 0 && st->attempts == 5 &&
              st->bytes_ok == lens[0] + lens[1] + lens[2] + lens[3],
          "stats: 5 objects, 5 attempts, bytes counted", NULL);
    check(get_equals(port, "t1/big/five-mib.bin", big, big_len, &status) &&
              get_equals(port, "t1/with space/\xC3\xBCn\xC3\xAF c\xC3\xB6\x64\xC3\xA9 \xE2\x82\xAC/a+b=c.csv",
                         csv, lens[1], &status),
          "signed GET returns the same bytes under the same names", NULL);

    /* The same name again (a retried batch) overwrites, as the naming scheme relies on. */
    check(s3_put(c, keys[0], csv, lens[1], err, sizeof err) == 0 &&
              stored(dir, "t1/2024/01/02/03/100-200.ndjson", csv, lens[1]),
          "a second PUT of a name replaces the object", err);

    check(s3_put(c, "bad-\xFF.ndjson", "x", 1, err, sizeof err) == -1 && has(err, "UTF-8"),
          "a key that is not UTF-8 is refused before sending", err);
    memset(full, 'k', 1100);
    full[1100] = 0;
    check(s3_put(c, full, "x", 1, err, sizeof err) == -1 && has(err, "longer than 1024"),
          "a key over 1024 bytes is refused before sending", err);
    check(s3_put(c, "", "x", 1, err, sizeof err) == -1 && has(err, "empty"),
          "an empty object name is refused", err);
    s3_close(c);

    setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEJr//token+with/odd=chars", 1);
    c = client(port, "archive/token/", 1, 50, 0, err, sizeof err);
    check(c && s3_put(c, "x.ndjson", ndjson, 5, err, sizeof err) == 0 &&
              stored(dir, "token/x.ndjson", ndjson, 5),
          "with AWS_SESSION_TOKEN: x-amz-security-token sent and signed, object lands", err);
    s3_close(c);
    unsetenv("AWS_SESSION_TOKEN");
    free(big);
}

static void test_errors(int port, const char *dir)
{
    char err[1024];
    s3_client *c;
    char *big = random_bytes(5u << 20, 9);
    unsigned long before;

    setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
    c = client(port, "archive/t2/", 6, 50, 0, err, sizeof err);
    check(c && s3_put(c, "wrong-secret.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "HTTP 403 SignatureDoesNotMatch") && has(err, "does not match") &&
              has(err, "s3://archive/t2/wrong-secret.ndjson") && has(err, "attempt 1 of 6") &&
              s3_get_stats(c)->attempts == 1 && !on_disk(dir, "t2/wrong-secret.ndjson"),
          "wrong secret: -1, HTTP 403 SignatureDoesNotMatch with S3's message, not retried", err);
    printf("#   %s\n", err);
    check(c && big && s3_put(c, "wrong-secret-big.bin", big, 5u << 20, err, sizeof err) == -1 &&
              has(err, "HTTP 403 SignatureDoesNotMatch") && !on_disk(dir, "t2/wrong-secret-big.bin"),
          "wrong secret with a 5 MiB body: the same clear 403", err);
    s3_close(c);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);

    setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN", 1);
    c = client(port, "archive/t2/", 6, 50, 0, err, sizeof err);
    check(c && s3_put(c, "wrong-key.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "HTTP 403 InvalidAccessKeyId"),
          "unknown access key: HTTP 403 InvalidAccessKeyId", err);
    s3_close(c);
    unsetenv("AWS_ACCESS_KEY_ID");
    c = client(port, "archive/t2/", 6, 50, 0, err, sizeof err);
    check(!c && has(err, "AWS_ACCESS_KEY_ID"), "no credentials: s3_open fails and says which", err);
    s3_close(c);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);

    c = client(port, "no-such-bucket/", 6, 50, 0, err, sizeof err);
    check(c && s3_put(c, "x.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "HTTP 404 NoSuchBucket"),
          "missing bucket: HTTP 404 NoSuchBucket", err);
    s3_close(c);

    /* server.js answers 503 SlowDown to the first N PUTs of a key holding __503xN__ */
    c = client(port, "archive/t2/", 6, 20, 0, err, sizeof err);
    before = c ? s3_get_stats(c)->attempts : 0;
    check(c && s3_put(c, "a__503x2__.ndjson", "{}\n", 3, err, sizeof err) == 0 &&
              s3_get_stats(c)->attempts - before == 3 && s3_get_stats(c)->retries == 2 &&
              stored(dir, "t2/a__503x2__.ndjson", "{}\n", 3),
          "two 503 SlowDown answers are retried and the object lands on the 3rd attempt", err);
    before = c ? s3_get_stats(c)->attempts : 0;
    check(c && s3_put(c, "b__resetx2__.ndjson", "{}\n", 3, err, sizeof err) == 0 &&
              s3_get_stats(c)->attempts - before == 3 && stored(dir, "t2/b__resetx2__.ndjson", "{}\n", 3),
          "two connections dropped without an answer are retried, the object lands", err);
    s3_close(c);

    setenv("DDBS_S3_RETRIES", "3", 1);
    c = client(port, "archive/t2/", 0, 20, 0, err, sizeof err);
    check(c && s3_put(c, "c__503x50__.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "gave up after 3 attempts") && has(err, "HTTP 503 SlowDown: Please reduce") &&
              s3_get_stats(c)->objects_ok == 0 && s3_get_stats(c)->objects_failed == 1 &&
              !on_disk(dir, "t2/c__503x50__.ndjson"),
          "503 every time: -1 after DDBS_S3_RETRIES=3 attempts, with the last Code and Message", err);
    printf("#   %s\n", err);
    s3_close(c);
    setenv("DDBS_S3_RETRIES", "many", 1);
    c = client(port, "archive/t2/", 0, 20, 0, err, sizeof err);
    check(!c && has(err, "DDBS_S3_RETRIES=many"), "a bad DDBS_S3_RETRIES is an error", err);
    s3_close(c);
    unsetenv("DDBS_S3_RETRIES");
    free(big);
}

/* The server is killed and restarted, stopped and resumed, then killed for good. */
static void test_outages(void)
{
    char dir[1024], err[1024], key[64], body[64];
    server b = {0, -1, -1, 0};
    s3_client *c = NULL, *fast = NULL;
    pid_t helper;
    char *big = random_bytes(5u << 20, 11);
    int i, all = 1, port;
    double t0;

    snprintf(dir, sizeof dir, "%s/outage", tmp_dir);
    mkdir(dir, 0700);
    if (server_start(&b, 0, dir, 0) != 0 || !big) {
        check(0, "start a second server for the outage tests", node_bin);
        server_stop(&b, SIGKILL);
        free(big);
        return;
    }
    port = b.port;
    c = client(port, "archive/", 12, 100, 3000, err, sizeof err);
    for (i = 0; c && i < 10; i++) {
        if (i == 5) { /* kill it, and start it again on the same port 0.7 s later */
            server_stop(&b, SIGKILL);
            server_start(&b, port, dir, 700);
        }
        snprintf(key, sizeof key, "restart/%02d.ndjson", i);
        snprintf(body, sizeof body, "{\"n\":%d}\n", i);
        if (s3_put(c, key, body, strlen(body), err, sizeof err) != 0) printf("# %s\n", err), all = 0;
    }
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "restart/%02d.ndjson", i);
        snprintf(body, sizeof body, "{\"n\":%d}\n", i);
        all &= stored(dir, key, body, strlen(body));
    }
    check(c && all && s3_get_stats(c)->retries > 0 && s3_get_stats(c)->objects_ok == 10,
          "server killed after 5 of 10 PUTs and restarted 0.7 s later: retried, all 10 land", err);
    printf("#   %lu retries\n", c ? s3_get_stats(c)->retries : 0);
    if (server_wait(&b, 5000) != 0) b.port = port;

    /* SIGSTOP: connections are accepted but never answered, so each attempt times out
     * (1 s here); resumed after 1.5 s, a retry lands the 5 MiB object. */
    s3_close(c);
    c = client(port, "archive/", 6, 100, 1000, err, sizeof err);
    kill(b.pid, SIGSTOP);
    helper = fork();
    if (helper == 0) {
        sleep_ms(1500);
        kill(b.pid, SIGCONT);
        _exit(0);
    }
    t0 = now_s();
    check(c && s3_put(c, "stopped/big.bin", big, 5u << 20, err, sizeof err) == 0 &&
              s3_get_stats(c)->retries >= 1 && stored(dir, "stopped/big.bin", big, 5u << 20),
          "server stopped (SIGSTOP) for 1.5 s during a 5 MiB PUT: timed out, retried, lands whole",
          err);
    printf("#   %lu retries, %.1f s\n", c ? s3_get_stats(c)->retries : 0, now_s() - t0);
    if (helper > 0) waitpid(helper, NULL, 0);

    /* Stopped for longer than the retries last: a precise failure, not a success. */
    fast = client(port, "archive/", 2, 50, 400, err, sizeof err);
    kill(b.pid, SIGSTOP);
    check(fast && s3_put(fast, "stopped/never.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "s3://archive/stopped/never.ndjson") && has(err, "gave up after 2 attempts") &&
              has(err, "Timeout was reached"),
          "server stopped for good: -1 naming the key, the attempts and the timeout", err);
    printf("#   %s\n", err);
    kill(b.pid, SIGCONT);
    s3_close(fast);

    /* Killed for good: connection refused on every attempt. */
    server_stop(&b, SIGKILL);
    t0 = now_s();
    check(c && s3_put(c, "gone/x.ndjson", "{}\n", 3, err, sizeof err) == -1 &&
              has(err, "s3://archive/gone/x.ndjson") && has(err, "gave up after 6 attempts") &&
              has(err, "Couldn't connect to server") && !on_disk(dir, "gone/x.ndjson") &&
              now_s() - t0 < 10,
          "server gone: -1 after 6 attempts, naming the key and curl's connect error", err);
    printf("#   %s\n", err);
    s3_close(c);
    free(big);
}

int main(void)
{
    const char *port_env = getenv("S3T_PORT"), *dir_env = getenv("S3T_DIR");
    char dir[1024];
    server main_srv = {0, -1, -1, 0};
    int port;
    node_bin = getenv("S3T_NODE") ? getenv("S3T_NODE") : "node";
    server_js = getenv("S3T_SERVER_JS") ? getenv("S3T_SERVER_JS") : "tests/s3/server.js";
    tmp_dir = getenv("S3T_TMP") ? getenv("S3T_TMP") : "/tmp";
    signal(SIGPIPE, SIG_IGN);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1); /* s3rver's built-in account */
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    unsetenv("AWS_SESSION_TOKEN");
    setenv("AWS_REGION", "us-east-1", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    test_sha256();
    test_parse_url();
    if (port_env && dir_env) {
        port = atoi(port_env);
        snprintf(dir, sizeof dir, "%s", dir_env);
    } else { /* no server given: start one */
        snprintf(dir, sizeof dir, "%s/main", tmp_dir);
        mkdir(dir, 0700);
        if (server_start(&main_srv, 0, dir, 0) != 0) {
            check(0, "start server.js", node_bin);
            printf("s3: %d passed, %d failed\n", n_pass, n_fail);
            return 1;
        }
        port = main_srv.port;
    }
    test_put(port, dir);
    test_errors(port, dir);
    test_outages();
    server_stop(&main_srv, SIGTERM);
    curl_global_cleanup();
    printf("s3: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail != 0;
}
