/* s3_put.h: store objects in S3 (or a compatible server) with libcurl's SigV4 signing.
 *
 *   s3_target t;  char err[512];
 *   if (s3_parse_url("https://s3.eu-west-1.amazonaws.com/bucket/stream/", &t, err, sizeof err)) ...
 *   s3_client *c = s3_open(&t, err, sizeof err);          // credentials from the environment
 *   if (s3_put(c, "2024/01/02/03/1-9.ndjson", data, len, err, sizeof err)) ... // not stored
 *   s3_close(c);
 *
 * Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN; region
 * AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1). Requests are path-style
 * (endpoint/bucket/key) because the endpoint is given explicitly. Link with -lcurl. */
#ifndef S3_PUT_H
#define S3_PUT_H

#include <stddef.h>

#define S3_KEY_MAX 1024 /* S3's limit on a whole key (prefix + name), in bytes */

typedef struct s3_target {
    char endpoint[256];          /* "http[s]://host[:port]", no trailing slash */
    char bucket[64];             /* S3 bucket naming rules: 3..63 of a-z 0-9 . - */
    char prefix[S3_KEY_MAX + 1]; /* key prefix (percent-decoded), put before every key; may be "" */
    int path_style;              /* always 1: URLs are endpoint/bucket/key */
    /* Retry and timeout policy. 0 = take the environment variable, else the default. */
    int max_attempts;            /* DDBS_S3_RETRIES: tries per object, first included; 6 */
    long backoff_ms;             /* DDBS_S3_BACKOFF_MS: first retry delay, doubled each time; 200 */
    long backoff_cap_ms;         /* DDBS_S3_BACKOFF_CAP_MS: longest delay; 5000 */
    long connect_timeout_ms;     /* DDBS_S3_CONNECT_TIMEOUT_MS: 10000 */
    long timeout_ms;             /* DDBS_S3_TIMEOUT_MS: whole request; 30 s + 1 s per MiB of body */
} s3_target;

/* Counters for --stats; an object counts as stored only once s3_put returned 0. */
typedef struct s3_stats {
    unsigned long objects_ok, objects_failed, attempts, retries;
    unsigned long long bytes_ok;
} s3_stats;

typedef struct s3_client s3_client; /* one CURL handle (keep-alive), credentials, policy */

/* "http(s)://host[:port]/bucket[/prefix]" -> *t (policy fields zeroed). 0 ok, else -1 and err. */
int s3_parse_url(const char *url, s3_target *t, char *err, size_t errcap);

/* Reads credentials, region and policy from the environment. NULL and err on failure. */
s3_client *s3_open(const s3_target *t, char *err, size_t errcap);

/* PUT prefix+key with the body data[0..len). 0 only when the server answered 200 with an ETag;
 * else -1 and err names the object, the attempts made and the last error (HTTP status with
 * S3's <Code> and <Message>, or the connection error). Retries 5xx, 408, 429, RequestTimeout,
 * timeouts and connection errors with capped exponential backoff; other answers are final. */
int s3_put(s3_client *c, const char *key, const char *data, size_t len, char *err, size_t errcap);

const s3_stats *s3_get_stats(const s3_client *c);
void s3_close(s3_client *c); /* NULL is fine */

/* Hex SHA-256 (the x-amz-content-sha256 payload hash); out gets 64 digits and a NUL. */
void s3_sha256_hex(const void *data, size_t len, char out[65]);

#endif
