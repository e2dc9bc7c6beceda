/* The parser: its API, every result code with its exact offset and record, the NDJSON output
   contract and every option, and the real samples in tests/data against tests/expected.
   Inputs are written with ' for " (see J) so they stay readable. Run from the repository
   root, or set DDBS_DATA to the data directory. Link with tests/impl.c. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include "run.h"

#define ULL(x) ((unsigned long long)(x))

/* ------------------------------------------------------------------ helpers ----------- */

/* JSON with ' for ": J("{'a':1}") is {"a":1}. A ring of buffers, so a few results can be
   used together. */
static const char *J(const char *src)
{
    static char ring[32][16384];
    static unsigned next;
    char *d = ring[next++ % 32u];
    size_t i;
    for (i = 0; src[i] && i + 1 < sizeof ring[0]; i++) d[i] = src[i] == '\'' ? '"' : src[i];
    d[i] = 0;
    return d;
}

/* a + b in a ring buffer (J's results are short-lived too). */
static const char *cat(const char *a, const char *b)
{
    static char ring[16][32768];
    static unsigned next;
    char *d = ring[next++ % 16u];
    snprintf(d, sizeof ring[0], "%s%s", a, b);
    return d;
}

/* Offset of the n-th (1-based) occurrence of needle in s; fails the test if absent. */
static uint64_t posn(const char *s, const char *needle, int n)
{
    const char *at = s - 1;
    while (n-- > 0) {
        at = strstr(at + 1, needle);
        cr_assert(at != NULL, "'%s' not in '%s'", needle, s);
    }
    return (uint64_t)(at - s);
}

static uint64_t pos(const char *s, const char *needle) { return posn(s, needle, 1); }

static ddbs_options opt_flags(uint32_t flags)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.flags = flags;
    return o;
}

static ddbs_options opt_item(uint32_t flags)
{
    ddbs_options o = opt_flags(flags);
    o.shape = DDBS_SHAPE_ITEM;
    return o;
}

/* in[0..len) fed whole with o gives rc (and, when it is an error, exactly off and rec), then
   exactly the output out; every sink call is one whole line and the error stays. */
static void check_len(const char *what, const char *in, size_t len, const ddbs_options *o,
                      ddbs_result rc, uint64_t off, uint64_t rec, const char *out)
{
    run r = run_whole(in, len, o);
    size_t n = strlen(out);
    cr_expect(r.rc == rc, "%s: result '%s', want '%s'", what, ddbs_strerror(r.rc),
              ddbs_strerror(rc));
    if (rc != DDBS_OK) {
        cr_expect(r.error_offset == off, "%s: error_offset %llu, want %llu", what,
                  ULL(r.error_offset), ULL(off));
        cr_expect(r.error_record == rec, "%s: error_record %llu, want %llu", what,
                  ULL(r.error_record), ULL(rec));
    } else {
        cr_expect(r.error_offset == 0 && r.error_record == 0, "%s: error position set", what);
    }
    cr_expect(!r.bad_call, "%s: a sink call was not one whole line in the buffer", what);
    cr_expect(!r.not_sticky, "%s: the error did not stay", what);
    cr_expect(r.out_len == n && (n == 0 || memcmp(r.out, out, n) == 0),
              "%s: output\n%.*s\nwant\n%s", what, (int)r.out_len, r.out ? r.out : "", out);
    run_free(&r);
}

static void check(const char *what, const char *in, const ddbs_options *o, ddbs_result rc,
                  uint64_t off, uint64_t rec, const char *out)
{
    check_len(what, in, strlen(in), o, rc, off, rec, out);
}

/* Shorthand for inputs that must succeed. */
static void check_ok(const char *what, const char *in, const ddbs_options *o, const char *out)
{
    check(what, in, o, DDBS_OK, 0, 0, out);
}

/* A good record and its line: put before a bad one, it shows that lines before an error
   are delivered and that the error names record 2. */
#define GOOD_REC "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}"
#define GOOD_LINE "{'eventName':'INSERT','Keys':{'k':'a'}}\n"

/* IMG_PRE value IMG_POST: a record whose NewImage attribute "a" holds value (J form). */
#define IMG_PRE "{'eventName':'INSERT','dynamodb':{'NewImage':{'a':"
#define IMG_POST "}}}"

static const ddbs_options no_opt;

/* ------------------------------------------------------------------ API ---------------- */

static int null_sink(void *user, const char *data, size_t len)
{
    (void)user;
    (void)data;
    (void)len;
    return 0;
}

static int null_record(void *user, const ddbs_record *rec)
{
    (void)user;
    (void)rec;
    return 1;
}

static char api_buf[DDBS_MIN_BUF];

static ddbs_options valid_opt(void)
{
    ddbs_options o = opt_flags(0);
    o.sink = null_sink;
    o.buf = api_buf;
    o.buf_size = sizeof api_buf;
    return o;
}

/* init with o on a garbage-filled parser: must return want, and a rejected parser stays
   unusable (feed and finish return DDBS_E_ARG). */
static void check_init(const char *what, const ddbs_options *o, ddbs_result want)
{
    ddbs_parser p;
    ddbs_result rc;
    memset(&p, 0xA5, sizeof p);
    rc = ddbs_parser_init(&p, o);
    cr_expect(rc == want, "%s: init gave '%s'", what, ddbs_strerror(rc));
    if (want == DDBS_OK) {
        cr_expect(p.error == DDBS_OK && p.offset == 0 && p.records_in == 0 &&
                  p.records_out == 0 && p.bytes_out == 0 && p.documents == 0 &&
                  p.skipped == 0 && p.error_offset == 0 && p.error_record == 0,
                  "%s: public fields not reset", what);
        cr_expect(ddbs_parser_feed(&p, "{\"Records\":[]}", 14) == DDBS_OK, "%s: feed", what);
        cr_expect(ddbs_parser_finish(&p) == DDBS_OK, "%s: finish", what);
    } else {
        cr_expect(p.error == DDBS_E_ARG, "%s: error field not set", what);
        cr_expect(ddbs_parser_feed(&p, "{}", 2) == DDBS_E_ARG, "%s: feed after bad init", what);
        cr_expect(ddbs_parser_finish(&p) == DDBS_E_ARG, "%s: finish after bad init", what);
    }
}

Test(api, init_rejects_bad_arguments)
{
    ddbs_options o;
    cr_expect(ddbs_parser_init(NULL, &no_opt) == DDBS_E_ARG, "NULL parser");
    {
        ddbs_parser p;
        memset(&p, 0xA5, sizeof p);
        cr_expect(ddbs_parser_init(&p, NULL) == DDBS_E_ARG, "NULL options");
        cr_expect(ddbs_parser_feed(&p, "{}", 2) == DDBS_E_ARG, "feed after NULL options");
    }
    o = valid_opt();
    o.sink = NULL;
    check_init("no sink and no on_record", &o, DDBS_E_ARG);
    o = valid_opt();
    o.buf = NULL;
    check_init("NULL buf", &o, DDBS_E_ARG);
    o = valid_opt();
    o.buf_size = DDBS_MIN_BUF - 1;
    check_init("buf_size below DDBS_MIN_BUF", &o, DDBS_E_ARG);
    o = valid_opt();
    o.buf_size = 0;
    check_init("buf_size 0", &o, DDBS_E_ARG);
    o = valid_opt();
    o.format = (ddbs_format)99;
    check_init("format out of range", &o, DDBS_E_ARG);
    o = valid_opt();
    o.shape = (ddbs_shape)2;
    check_init("shape out of range", &o, DDBS_E_ARG);
}

Test(api, init_accepts_minimal_options)
{
    ddbs_options o = valid_opt();
    check_init("buf_size == DDBS_MIN_BUF", &o, DDBS_OK);
    o.sink = NULL;
    o.on_record = null_record;
    check_init("on_record without sink", &o, DDBS_OK);
    o = valid_opt();
    o.format = DDBS_FORMAT_DDB;
    o.shape = DDBS_SHAPE_ITEM;
    check_init("ddb format, item shape", &o, DDBS_OK);
}

/* The options are copied: changing or dropping the caller's struct after init is safe. */
Test(api, init_copies_options)
{
    run r;
    char line[DDBS_MIN_BUF];
    ddbs_parser p;
    ddbs_options *o = (ddbs_options *)malloc(sizeof *o);
    const char *in = J(GOOD_REC);
    memset(&r, 0, sizeof r);
    memset(o, 0, sizeof *o);
    o->sink = run_sink;
    o->user = &r;
    o->buf = line;
    o->buf_size = sizeof line;
    r.buf = line;
    r.buf_size = sizeof line;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, o) == DDBS_OK, "init");
    memset(o, 0, sizeof *o);
    free(o);
    cr_expect(ddbs_parser_feed(&p, in, strlen(in)) == DDBS_OK, "feed");
    cr_expect(ddbs_parser_finish(&p) == DDBS_OK, "finish");
    cr_expect(r.out_len == strlen(J(GOOD_LINE)) && memcmp(r.out, J(GOOD_LINE), r.out_len) == 0,
              "output after the options were freed");
    run_free(&r);
}

Test(api, feed_null_data)
{
    ddbs_options o = valid_opt();
    ddbs_parser p;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    cr_expect(ddbs_parser_feed(&p, NULL, 0) == DDBS_OK, "NULL data, len 0 is a no-op");
    cr_expect(ddbs_parser_feed(&p, "  \n", 3) == DDBS_OK, "whitespace");
    cr_expect(ddbs_parser_feed(&p, NULL, 0) == DDBS_OK, "NULL data, len 0 again");
    cr_expect(p.offset == 3, "offset %llu", ULL(p.offset));
    cr_expect(ddbs_parser_feed(&p, NULL, 5) == DDBS_E_ARG, "NULL data with len 5");
    cr_expect(p.error == DDBS_E_ARG && p.error_offset == 3 && p.error_record == 1,
              "E_ARG at %llu record %llu", ULL(p.error_offset), ULL(p.error_record));
    cr_expect(ddbs_parser_feed(&p, "{}", 2) == DDBS_E_ARG, "sticky after E_ARG");
    cr_expect(ddbs_parser_finish(&p) == DDBS_E_ARG, "finish after E_ARG");
}

Test(api, null_parser)
{
    cr_expect(ddbs_parser_feed(NULL, "{}", 2) == DDBS_E_ARG, "feed(NULL)");
    cr_expect(ddbs_parser_feed(NULL, NULL, 0) == DDBS_E_ARG, "feed(NULL, NULL, 0)");
    cr_expect(ddbs_parser_finish(NULL) == DDBS_E_ARG, "finish(NULL)");
}

Test(api, strerror_messages)
{
    int a, b;
    for (a = 0; a < (int)DDBS__RESULT_COUNT; a++) {
        const char *m = ddbs_strerror((ddbs_result)a);
        cr_expect(m != NULL && m[0] != 0, "code %d has no message", a);
        cr_expect(strcmp(m, "unknown ddbs_result") != 0, "code %d reads as unknown", a);
        for (b = 0; b < a; b++)
            cr_expect(strcmp(m, ddbs_strerror((ddbs_result)b)) != 0,
                      "codes %d and %d share '%s'", a, b, m);
    }
    cr_expect(strcmp(ddbs_strerror(DDBS_OK), "no error") == 0, "DDBS_OK");
    cr_expect(strcmp(ddbs_strerror(DDBS__RESULT_COUNT), "unknown ddbs_result") == 0, "COUNT");
    cr_expect(strcmp(ddbs_strerror((ddbs_result)1000), "unknown ddbs_result") == 0, "1000");
    cr_expect(strcmp(ddbs_strerror((ddbs_result)-1), "unknown ddbs_result") == 0, "-1");
}

/* The first error stays: later feeds return it without consuming, offsets do not move. */
Test(api, sticky_error)
{
    ddbs_options o = valid_opt();
    ddbs_parser p;
    const char *bad = J("{'Records':[],'x':01}");
    const char *good = J("{'Records':[]}");
    uint64_t off;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    /* a chunk this small is gathered first (the tiny-chunk carry): its error shows at the
       latest in finish(), and from then on every call returns it */
    cr_expect(ddbs_parser_feed(&p, bad, strlen(bad)) == DDBS_OK, "small chunk gathered");
    cr_expect(ddbs_parser_finish(&p) == DDBS_E_SYNTAX, "bad input");
    cr_expect(p.error_offset == pos(bad, "01") + 1, "offset %llu", ULL(p.error_offset));
    off = p.offset;
    cr_expect(ddbs_parser_feed(&p, good, strlen(good)) == DDBS_E_SYNTAX, "feed again");
    cr_expect(ddbs_parser_feed(&p, NULL, 0) == DDBS_E_SYNTAX, "feed NULL, 0 again");
    cr_expect(p.offset == off && p.error_offset == pos(bad, "01") + 1 && p.error_record == 1,
              "offsets moved: %llu %llu", ULL(p.offset), ULL(p.error_offset));
    cr_expect(ddbs_parser_finish(&p) == DDBS_E_SYNTAX, "finish");
    cr_expect(ddbs_parser_finish(&p) == DDBS_E_SYNTAX, "finish again");
}

Test(api, finish_twice_and_sequence)
{
    ddbs_options o = valid_opt();
    ddbs_parser p;
    size_t n = 99;
    const char *s;
    /* stops inside the second record, after its SequenceNumber */
    const char *in = J("{'Records':[{'eventName':'INSERT','dynamodb':{'SequenceNumber':'111'}},"
                       "{'eventName':'INSERT','dynamodb':{'SequenceNumber':'222','Keys':{'k':{'Q':1}}}}]}");
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    s = ddbs_parser_sequence(&p, &n);
    cr_expect(n == 0 && s != NULL, "no sequence before any record");
    cr_expect(ddbs_parser_feed(&p, in, strlen(in)) == DDBS_E_ATTR, "bad tag");
    s = ddbs_parser_sequence(&p, &n);
    cr_expect(n == 3 && memcmp(s, "222", 3) == 0, "sequence of the bad record: '%.*s'", (int)n, s);
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    cr_expect(ddbs_parser_finish(&p) == DDBS_OK, "finish on nothing");
    cr_expect(ddbs_parser_finish(&p) == DDBS_OK, "finish twice");
}

/* The parser is a fixed-size struct; nothing grows with the input. */
Test(api, fixed_size_state)
{
    cr_expect(sizeof(ddbs_parser) < 16384, "ddbs_parser is %zu bytes", sizeof(ddbs_parser));
}

/* ------------------------------------------------------------------ errors ------------- */

typedef struct err_case {
    const char *what, *in;    /* J form, fed after GOOD_REC and a newline */
    const char *at;           /* J form: the error is at its first occurrence ... */
    int delta;                /* ... plus this */
} err_case;

/* Each case after a good record: the error names record 2, the good line is out. */
static void check_cases(const err_case *c, size_t n, ddbs_result rc, const ddbs_options *o)
{
    size_t k;
    for (k = 0; k < n; k++) {
        const char *in = cat(J(GOOD_REC "\n"), J(c[k].in));
        uint64_t off = strlen(J(GOOD_REC "\n")) + pos(J(c[k].in), J(c[k].at)) + (uint64_t)c[k].delta;
        check(c[k].what, in, o, rc, off, 2, J(GOOD_LINE));
    }
}

Test(errors, syntax)
{
    static const err_case c[] = {
        { "trailing comma in an unknown field", "{'Records':[],'x':[1,]}", "[1,]", 3 },
        { "leading zero", "{'Records':[],'x':01}", "01", 1 },
        { "bad escape \\x", "{'Records':[],'x':'a\\x'}", "\\x", 1 },
        { "raw tab in a string", "{'Records':[],'x':'a\tb'}", "\t", 0 },
        { "raw newline in a key", "{'Records':[],'a\nb':1}", "\n", 0 },
        { "unterminated document, then another", "{'Records':[]\n{'Records':[]}", "{'R", 14 },
        { "missing colon", "{'Records' []}", "[", 0 },
        { "unquoted key", "{Records:[]}", "R", 0 },
        { "bracket mismatch", "{'Records':[}", "}", 0 },
        { "close at top level", "{'Records':[]}}", "}}", 1 },
        { "literal typo", "{'Records':[],'x':tru}", "}", 0 },
        { "number then letter", "{'Records':[],'x':1x}", "x}", 0 },
        { "minus alone", "{'Records':[],'x':-}", "-}", 1 },
        { "fraction without digits", "{'Records':[],'x':1.e5}", "e5", 0 },
        { "bad \\u escape", "{'Records':[],'x':'\\u12g4'}", "g4", 0 },
        { "comma before first key", "{,'Records':[]}", ",", 0 },
        { "garbage at top level", "x", "x", 0 },
        { "backslash outside a string", "{'Records':[],'x':\\'a\\'}", "\\'a", 0 },
    };
    check_cases(c, sizeof c / sizeof c[0], DDBS_E_SYNTAX, &no_opt);
    /* a BOM is only allowed as the first bytes of the stream */
    check("BOM in the middle", cat(J(GOOD_REC), "\xEF\xBB\xBF{}"), &no_opt, DDBS_E_SYNTAX,
          strlen(J(GOOD_REC)), 2, J(GOOD_LINE));
}

Test(errors, truncated)
{
    size_t len;
    char *in = load_sample("aws-aws-lambda-go/dynamodb-event-malformed.2.json", &len);
    /* its first record is whole (checked by hand, see tests/expected/README.md) */
    char *first = load_file("tests/expected/aws-aws-lambda-go/dynamodb-event-malformed.2.json.ndjson",
                            &len);
    cr_assert(in && first, "sample or expected file missing (run from the repository root)");
    check_len("real truncated sample", in, 2968, &no_opt, DDBS_E_TRUNCATED, 2968, 2, first);
    cr_expect(strlen(in) == 2968, "sample length %zu", strlen(in));
    free(in);
    free(first);
    {
        static const char *const cut[] = {
            "{", "{'Records':[", "{'Records':[{'eventName':'INS", "{'Records':[],'x':12",
            "{'Records':[],'x':tr", "{'Records':[],'x':'\\u00", "{'Records':[],'x':'\xF0\x9F",
            "{'Records':[],'x':[1,{'a':", "{'Records':[]  ,",
        };
        size_t k;
        for (k = 0; k < sizeof cut / sizeof cut[0]; k++) {
            const char *s = cat(J(GOOD_REC "\n"), J(cut[k]));
            check(cut[k], s, &no_opt, DDBS_E_TRUNCATED, strlen(s), 2, J(GOOD_LINE));
        }
    }
}

/* The JSON number grammar, written out plainly: the reference for the N texts below. */
static int json_number(const char *s, size_t n)
{
    size_t i = 0, d;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    else return 0;
    if (i < n && s[i] == '.') {
        for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-')) i++;
        for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == d) return 0;
    }
    return i == n;
}

/* One N text t[0..n) as an attribute, compact or pretty, and as a list element, with enough
   bytes after it for the parser's fast paths: OK and the text as written, or DDBS_E_NUMBER. */
static void check_n_text(const char *t, size_t n)
{
    static const char *const form[3][2] = {
        { "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{\"a\":{\"N\":\"",
          "\"},\"b\":{\"S\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}}}}\n" },
        { "{\"eventName\": \"INSERT\", \"dynamodb\": {\"NewImage\": {\"a\": {\n  \"N\": \"",
          "\"\n}, \"b\": {\"S\": \"abcdefghijklmnopqrstuvwxyz0123456789\"}}}}\n" },
        { "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{\"a\":{\"L\":[{\"N\":\"",
          "\"}]},\"b\":{\"S\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}}}}\n" },
    };
    static const char *const line[3] = { "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":",
                                          "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":",
                                          "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":[" };
    int good = json_number(t, n);
    unsigned f;
    for (f = 0; f < 3; f++) {
        char in[256], want[256];
        int len = snprintf(in, sizeof in, "%s%.*s%s", form[f][0], (int)n, t, form[f][1]);
        run r = run_whole(in, (size_t)len, &no_opt);
        snprintf(want, sizeof want, "%s%.*s%s,\"b\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}}\n",
                 line[f], (int)n, t, f == 2 ? "]" : "");
        cr_assert(r.rc == (good ? DDBS_OK : DDBS_E_NUMBER), "N text '%.*s' (form %u): %s, want %s",
                  (int)n, t, f, ddbs_strerror(r.rc), good ? "ok" : "a number error");
        cr_assert(!good || (r.out_len == strlen(want) && !memcmp(r.out, want, r.out_len)),
                  "N text '%.*s' (form %u): output %.*s", (int)n, t, f, (int)r.out_len, r.out);
        run_free(&r);
    }
}

/* N texts are judged by the JSON number grammar, whichever path reads them: every text of
   up to 5 bytes from 8 telling characters, and 30,000 random ones of 1 to 20. */
Test(errors, n_text_grammar)
{
    static const char al[] = "0159.-e+";
    char t[24];
    size_t n, i;
    uint64_t x = 0x9E3779B97F4A7C15u, k, total;
    for (n = 1; n <= 5; n++) {
        for (total = 1, i = 0; i < n; i++) total *= 8;
        for (k = 0; k < total; k++) {
            uint64_t c = k;
            for (i = 0; i < n; i++, c /= 8) t[i] = al[c % 8];
            check_n_text(t, n);
        }
    }
    for (k = 0; k < 30000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = 1 + (size_t)(x % 20);
        for (i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[i] = x % 4 ? (char)('0' + x / 4 % 10) : al[x / 4 % 8];  /* mostly digits */
        }
        check_n_text(t, n);
    }
}

/* Offset of the first byte of s[0..n) that breaks UTF-8 (RFC 3629), or n. */
static size_t utf8_first_bad(const unsigned char *s, size_t n)
{
    size_t i = 0, need, k;
    while (i < n) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else return i;
        for (k = 1; k <= need; k++, lo = 0x80, hi = 0xBF)
            if (i + k >= n || s[i + k] < lo || s[i + k] > hi) return i + k;
        i += need + 1;
    }
    return n;
}

/* Every lead byte from 0x80 with telling next bytes, inside a long S value after a first
   stop (a UTF-8 character or an escape) and at offsets that put it across the end of a
   64-byte block: the fast scans step over exactly the sequences RFC 3629 allows and stop
   with E_UTF8 at the first bad byte. In CSV the same text is a name: the cell scan. */
Test(errors, utf8_sequences)
{
    static const unsigned char b1[] = { 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0 };
    static const unsigned char b23[] = { 0x41, 0x80, 0xBF, 0xC0 };
    static const int gap[] = { 0, 21, 58, 59, 60, 61, 62 };
    static const char *const head[2] = { "\xC3\xA9", "\\n" };
    static const char *const cols[1] = { "a" };
    static const char pre[] = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{";
    static const char xs[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    static const char ys[] = "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
    ddbs_options csv = opt_flags(0);
    unsigned lead, x, y, z, g, h;
    size_t checked = 0;
    csv.format = DDBS_FORMAT_CSV;
    csv.columns = cols;
    csv.ncolumns = 1;
    for (lead = 0x80; lead <= 0xFF; lead++)
        for (x = 0; x < sizeof b1; x++)
            for (y = 0; y < sizeof b23; y++)
                for (z = 0; z < sizeof b23; z++)
                    for (g = 0; g < sizeof gap / sizeof gap[0]; g++)
                        for (h = 0; h < 2; h++) {
                            char text[160], in[512], want[512];
                            size_t n, bad, len, v0;
                            run r;
                            n = (size_t)sprintf(text, "%s%.*s%c%c%c%c%s", head[h], gap[g], xs, lead,
                                                b1[x], b23[y], b23[z], ys);
                            bad = utf8_first_bad((const unsigned char *)text, n);
                            /* the value */
                            v0 = (size_t)sprintf(in, "%s\"a\":{\"S\":\"", pre);
                            len = v0 + (size_t)sprintf(in + v0, "%s\"}}}}", text);
                            r = run_whole(in, len, &no_opt);
                            if (bad == n) {
                                snprintf(want, sizeof want,
                                         "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":\"%s\"}}\n", text);
                                cr_assert(r.rc == DDBS_OK && r.out_len == strlen(want) &&
                                          !memcmp(r.out, want, r.out_len),
                                          "S %02X %02X %02X %02X after %d: %s", lead, b1[x], b23[y],
                                          b23[z], gap[g], ddbs_strerror(r.rc));
                            } else {
                                cr_assert(r.rc == DDBS_E_UTF8 && r.error_offset == v0 + bad,
                                          "S %02X %02X %02X %02X after %d: %s at %llu, want E_UTF8 at %zu",
                                          lead, b1[x], b23[y], b23[z], gap[g], ddbs_strerror(r.rc),
                                          ULL(r.error_offset), v0 + bad);
                            }
                            run_free(&r);
                            if (h == 1) continue;  /* no escapes in CSV names' fast scan */
                            /* the name, in CSV */
                            len = (size_t)sprintf(in, "%s\"%s\":{\"S\":\"v\"}}}}", pre, text);
                            r = run_whole(in, len, &csv);
                            cr_assert(bad == n ? r.rc == DDBS_OK
                                               : r.rc == DDBS_E_UTF8 && r.error_offset == sizeof pre + bad,
                                      "name %02X %02X %02X %02X after %d: %s at %llu", lead, b1[x], b23[y],
                                      b23[z], gap[g], ddbs_strerror(r.rc), ULL(r.error_offset));
                            run_free(&r);
                            checked++;
                        }
    cr_assert(checked == 128u * 9 * 4 * 4 * 7);
}

/* Depth is bounded: 100,000 '[' cost nothing and fail at the first one past the limit. */
Test(errors, depth)
{
    size_t n = 100000, pre = 5, k;
    char *in = (char *)malloc(pre + 2 * n + 2);
    memcpy(in, "{\"x\":", pre);
    memset(in + pre, '[', n);
    memset(in + pre + n, ']', n);
    memcpy(in + pre + 2 * n, "}", 2);
    /* the document object is level 1: the '[' at level DDBS_MAX_DEPTH + 1 fails */
    check_len("100000 nested [", in, pre + 2 * n + 1, &no_opt, DDBS_E_DEPTH,
              pre + DDBS_MAX_DEPTH - 1, 1, "");
    free(in);
    /* the document is level 1: DDBS_MAX_DEPTH - 1 arrays inside it fit, one more fails */
    {
        static char deep[3 * DDBS_MAX_DEPTH + 64];
        const char *head = "{\"Records\":[],\"x\":";
        size_t h = strlen(head), d = DDBS_MAX_DEPTH - 1;
        memcpy(deep, head, h);
        for (k = 0; k < d; k++) { deep[h + k] = '['; deep[h + d + k] = ']'; }
        memcpy(deep + h + 2 * d, "}", 2);
        check("depth DDBS_MAX_DEPTH", deep, &no_opt, DDBS_OK, 0, 0, "");
        d++;
        for (k = 0; k < d; k++) { deep[h + k] = '['; deep[h + d + k] = ']'; }
        memcpy(deep + h + 2 * d, "}", 2);
        check("depth DDBS_MAX_DEPTH + 1", deep, &no_opt, DDBS_E_DEPTH, h + d - 1, 1, "");
    }
}

/* 32 levels of M (DynamoDB's limit) fit with the envelope around them. */
Test(errors, depth_dynamodb_limit)
{
    char in[4096], want[4096];
    size_t k;
    strcpy(in, J(IMG_PRE));
    strcpy(want, J("{'eventName':'INSERT','NewImage':{'a':"));
    for (k = 0; k < 32; k++) {
        strcat(in, J("{'M':{'m':"));
        strcat(want, J("{'m':"));
    }
    strcat(in, J("{'N':'1'}"));
    strcat(want, "1");
    for (k = 0; k < 32; k++) {
        strcat(in, "}}");
        strcat(want, "}");
    }
    strcat(in, J(IMG_POST));
    strcat(want, "}}\n");
    check_ok("32 nested M", in, &no_opt, want);
}

Test(errors, utf8)
{
    static const err_case c[] = {
        { "overlong C0 80", "{'Records':[],'x':'\xC0\x80'}", "\xC0", 0 },
        { "overlong E0 80 80", "{'Records':[],'x':'\xE0\x80\x80'}", "\xE0", 1 },
        { "surrogate ED A0 80", "{'Records':[],'x':'\xED\xA0\x80'}", "\xED", 1 },
        { "F5 lead", "{'Records':[],'x':'\xF5\x80\x80\x80'}", "\xF5", 0 },
        { "past U+10FFFF", "{'Records':[],'x':'\xF4\x90\x80\x80'}", "\xF4", 1 },
        { "truncated sequence then ASCII", "{'Records':[],'x':'\xE2\x82" "A'}", "A'", 0 },
        { "lone continuation", "{'Records':[],'x':'a\x80'}", "\x80", 0 },
        { "FF in a key", "{'Records':[],'\xFF':1}", "\xFF", 0 },
        { "bad byte in an S", IMG_PRE "{'S':'\xC1\xBF'}" IMG_POST, "\xC1", 0 },
        { "4-byte cut by a quote", "{'Records':[],'x':'\xF0\x9F\xA6'}", "\xF0", 3 },
    };
    check_cases(c, sizeof c / sizeof c[0], DDBS_E_UTF8, &no_opt);
    check_len("bad BOM EF BB 00", "\xEF\xBB\x00{}", 5, &no_opt, DDBS_E_UTF8, 2, 1, "");
    check("bad BOM EF 7B", "\xEF{}", &no_opt, DDBS_E_UTF8, 1, 1, "");
}

Test(errors, not_stream)
{
    static const char *const docs[] = { "[]", "'x'", "1", "-1", "true", "null",
                                         "{'a':1}", "{}", "{'eventName':'INSERT'}",
                                         "{'batchItemFailures':[]}" };
    size_t k;
    for (k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        check(docs[k], J(docs[k]), &no_opt, DDBS_E_NOT_STREAM, 0, 1, "");
        /* after a good line and some blank space: at the document's first byte */
        check(docs[k], cat(J(GOOD_REC "\n \n"), J(docs[k])), &no_opt, DDBS_E_NOT_STREAM,
              strlen(J(GOOD_REC "\n \n")), 2, J(GOOD_LINE));
    }
    check("after a BOM", "\xEF\xBB\xBF{\"a\":1}", &no_opt, DDBS_E_NOT_STREAM, 3, 1, "");
}

Test(errors, schema)
{
    static const err_case c[] = {
        { "eventName not INSERT/MODIFY/REMOVE",
          "{'eventName':'DELETE','dynamodb':{}}", "'DELETE'", 0 },
        { "eventName lower case", "{'eventName':'insert','dynamodb':{}}", "'insert'", 0 },
        { "eventName a number", "{'eventName':1,'dynamodb':{}}", "1,", 0 },
        { "eventName an object", "{'eventName':{},'dynamodb':{}}", "{}", 0 },
        { "eventName null", "{'eventName':null,'dynamodb':{}}", "}}", 1 },
        { "duplicate NewImage",
          "{'eventName':'INSERT','dynamodb':{'NewImage':{},'NewImage':{}}}", "'NewImage'", 14 },
        { "duplicate eventName", "{'eventName':'INSERT','eventName':'INSERT','dynamodb':{}}",
          "'eventName'", 21 },
        { "duplicate dynamodb", "{'eventName':'INSERT','dynamodb':{},'dynamodb':{}}",
          "'dynamodb'", 14 },
        { "Records not an array", "{'Records':{}}", "{}", 0 },
        { "Records twice", "{'Records':[],'Records':[]}", "'Records':[]}", 0 },
        { "a record not an object", "{'Records':[1]}", "1", 0 },
        { "dynamodb not an object", "{'eventName':'INSERT','dynamodb':[]}", "[]", 0 },
        { "dynamodb null", "{'eventName':'INSERT','dynamodb':null}", "null", 0 },
        { "NewImage an array", "{'eventName':'INSERT','dynamodb':{'NewImage':[]}}", "[]", 0 },
        { "userIdentity a string",
          "{'eventName':'INSERT','userIdentity':'x','dynamodb':{}}", "'x'", 0 },
        { "SequenceNumber a number",
          "{'eventName':'INSERT','dynamodb':{'SequenceNumber':1}}", "1}", 0 },
        { "eventID a number", "{'eventName':'INSERT','eventID':7,'dynamodb':{}}", "7", 0 },
        { "time true", "{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':true}}",
          "true", 0 },
        { "bare record without eventName", "{'dynamodb':{}}", "}}", 1 },
    };
    check_cases(c, sizeof c / sizeof c[0], DDBS_E_SCHEMA, &no_opt);
    /* inside Records: the good record before it is out, the error is at the bad record's
       closing brace, where its missing dynamodb becomes certain */
    {
        const char *in = J("{'Records':[" GOOD_REC ",{'eventName':'INSERT','eventID':'x'}]}");
        check("record without dynamodb", in, &no_opt, DDBS_E_SCHEMA, pos(in, "}]}"), 2,
              J(GOOD_LINE));
    }
}

/* An AttributeValue in NewImage attribute "a"; offsets relative to the value. */
typedef struct av_case {
    const char *av;           /* J form */
    ddbs_result rc;
    int rel;                  /* error offset minus the value's offset */
} av_case;

static void check_av(const av_case *c, size_t n, const ddbs_options *o)
{
    size_t k;
    for (k = 0; k < n; k++) {
        const char *pre = cat(J(GOOD_REC "\n"), J(IMG_PRE));
        const char *in = cat(cat(pre, J(c[k].av)), J(IMG_POST));
        check(c[k].av, in, o, c[k].rc, strlen(pre) + (uint64_t)c[k].rel, 2, J(GOOD_LINE));
    }
}

Test(errors, attr)
{
    static const av_case c[] = {
        { "{'S':'a','N':'1'}", DDBS_E_ATTR, 9 },     /* a second type tag */
        { "{'S':'a','S':'b'}", DDBS_E_ATTR, 9 },
        { "{'NULL':true,'S':'x'}", DDBS_E_ATTR, 13 },
        { "{'X':1}", DDBS_E_ATTR, 1 },               /* not a type tag */
        { "{'s':'a'}", DDBS_E_ATTR, 1 },             /* tags are case-sensitive */
        { "{'Ss':[]}", DDBS_E_ATTR, 1 },
        { "{}", DDBS_E_ATTR, 1 },                    /* no type tag */
        { "{'NULL':false}", DDBS_E_ATTR, 8 },
        { "{'NULL':null}", DDBS_E_ATTR, 8 },
        { "{'BOOL':'true'}", DDBS_E_ATTR, 8 },
        { "{'BOOL':null}", DDBS_E_ATTR, 8 },
        { "{'M':[]}", DDBS_E_ATTR, 5 },
        { "{'L':{}}", DDBS_E_ATTR, 5 },
        { "{'L':[1]}", DDBS_E_ATTR, 6 },
        { "{'SS':'a'}", DDBS_E_ATTR, 6 },
        { "{'SS':['a',1]}", DDBS_E_ATTR, 11 },
        { "{'SS':[null]}", DDBS_E_ATTR, 7 },
        { "{'BS':'AAAA'}", DDBS_E_ATTR, 6 },
        { "{'S':5}", DDBS_E_ATTR, 5 },
        { "{'B':5}", DDBS_E_ATTR, 5 },
        { "'x'", DDBS_E_ATTR, 0 },                   /* not an object */
        { "null", DDBS_E_ATTR, 0 },
        { "[]", DDBS_E_ATTR, 0 },
        { "{'M':{'b':{'Q':1}}}", DDBS_E_ATTR, 11 },  /* nested */
        { "{'L':[{'S':'x'},{}]}", DDBS_E_ATTR, 17 },
        { "{'NS':['1','x']}", DDBS_E_NUMBER, 12 },   /* NS member: its own code */
        { "{'NS':[1]}", DDBS_E_NUMBER, 7 },
    };
    check_av(c, sizeof c / sizeof c[0], &no_opt);
    /* maps and lists that the fast paths open and close: what breaks their structure is the
       state machine's syntax error, at the same byte (V2 in fuzz/README.md) */
    {
        static const av_case s[] = {
            { "{'M':{'b':{'S':'x'}s}}", DDBS_E_SYNTAX, 19 },   /* not ',' or '}' */
            { "{'L':[{'N':'1'}x]}", DDBS_E_SYNTAX, 15 },
            { "{'M':{'b':{'S':'x'}]}}", DDBS_E_SYNTAX, 19 },   /* the wrong bracket */
            { "{'L':[{'N':'1'}}]}", DDBS_E_SYNTAX, 15 },
            { "{'M':{'b':{'S':'x'},}}", DDBS_E_SYNTAX, 20 },   /* a trailing comma */
            { "{'L':[{'N':'1'},]}", DDBS_E_SYNTAX, 16 },
            { "{'M':{}x}", DDBS_E_SYNTAX, 7 },                 /* after the map, before '}' */
            { "{'M':{'b':{'BOOL':true}}x}", DDBS_E_SYNTAX, 24 },
            { "{'L':[{'L':[]}]]}", DDBS_E_SYNTAX, 15 },
        };
        check_av(s, sizeof s / sizeof s[0], &no_opt);
    }
    /* Keys and OldImage follow the same grammar */
    {
        const char *in = J("{'eventName':'REMOVE','dynamodb':{'Keys':{'k':{'Y':'1'}}}}");
        check("bad tag in Keys", in, &no_opt, DDBS_E_ATTR, pos(in, "\"Y\""), 1, "");
        in = J("{'eventName':'REMOVE','dynamodb':{'OldImage':{'k':{}}}}");
        check("empty AV in OldImage", in, &no_opt, DDBS_E_ATTR, pos(in, "}}}}"), 1, "");
    }
}

Test(errors, number)
{
    static const av_case c[] = {
        { "{'N':'01'}", DDBS_E_NUMBER, 7 },
        { "{'N':'1.'}", DDBS_E_NUMBER, 8 },          /* at the closing quote */
        { "{'N':''}", DDBS_E_NUMBER, 6 },
        { "{'N':'+1'}", DDBS_E_NUMBER, 6 },
        { "{'N':'1e'}", DDBS_E_NUMBER, 8 },
        { "{'N':'1.5e+'}", DDBS_E_NUMBER, 11 },
        { "{'N':' 1'}", DDBS_E_NUMBER, 6 },
        { "{'N':'1 '}", DDBS_E_NUMBER, 7 },
        { "{'N':'-'}", DDBS_E_NUMBER, 7 },
        { "{'N':'.5'}", DDBS_E_NUMBER, 6 },
        { "{'N':'0x10'}", DDBS_E_NUMBER, 7 },
        { "{'N':'NaN'}", DDBS_E_NUMBER, 6 },
        { "{'N':'Infinity'}", DDBS_E_NUMBER, 6 },
        { "{'N':'1\\u0030'}", DDBS_E_NUMBER, 7 },   /* escapes never make a number */
        { "{'N':'\xD9\xA1'}", DDBS_E_NUMBER, 6 },    /* Arabic-Indic digit one */
        { "{'N':1}", DDBS_E_NUMBER, 5 },             /* N is a string */
        { "{'N':null}", DDBS_E_NUMBER, 5 },
        { "{'L':[{'N':'1'},{'N':'1e+'}]}", DDBS_E_NUMBER, 25 },
        /* 8 digits and more: checked 8 bytes at a time on the fast path */
        { "{'N':'1234567890123x'}", DDBS_E_NUMBER, 19 },
        { "{'N':'123456789012345/'}", DDBS_E_NUMBER, 21 },     /* '/' is '0' - 1 */
        { "{'N':'12345678:'}", DDBS_E_NUMBER, 14 },           /* ':' is '9' + 1 */
        { "{'N':'12345678901234567890.'}", DDBS_E_NUMBER, 27 },
        { "{'N':'0123456789'}", DDBS_E_NUMBER, 7 },
        { "{'N':'-12345678901234567890123456789012345678e+'}", DDBS_E_NUMBER, 47 },
        { "{'N':'1.12345678x1'}", DDBS_E_NUMBER, 16 },
        { "{'N':'1234567\xC3\xA9'}", DDBS_E_NUMBER, 13 },
    };
    check_av(c, sizeof c / sizeof c[0], &no_opt);
}

Test(errors, base64)
{
    static const av_case c[] = {
        { "{'B':'abc'}", DDBS_E_BASE64, 9 },         /* not a multiple of 4 */
        { "{'B':'A'}", DDBS_E_BASE64, 7 },
        { "{'B':'ab=c'}", DDBS_E_BASE64, 9 },        /* data after padding */
        { "{'B':'a==='}", DDBS_E_BASE64, 7 },
        { "{'B':'AA='}", DDBS_E_BASE64, 9 },         /* half the padding */
        { "{'B':'AAAA='}", DDBS_E_BASE64, 10 },
        { "{'B':'AA-_'}", DDBS_E_BASE64, 8 },        /* base64url is not DynamoDB's */
        { "{'B':'AA AA'}", DDBS_E_BASE64, 8 },
        { "{'BS':['AAAA','%%%%']}", DDBS_E_BASE64, 15 },
        { "{'BS':['AAAA','AA']}", DDBS_E_BASE64, 17 },
    };
    check_av(c, sizeof c / sizeof c[0], &no_opt);
}

/* Metadata fields have fixed room; the error is at the first byte that does not fit. */
Test(errors, field_too_long)
{
    char id[201], in[1024];
    const char *pre;
    memset(id, 'e', 200);
    id[200] = 0;
    pre = cat(J(GOOD_REC "\n{'eventName':'INSERT','eventID':'"), "");
    snprintf(in, sizeof in, "%s%s%s", pre, id, J("','dynamodb':{}}"));
    check("eventID of 200", in, &no_opt, DDBS_E_FIELD_TOO_LONG, strlen(pre) + 128, 2,
          J(GOOD_LINE));
    /* 128 is the limit: it fits, copied whole */
    id[128] = 0;
    snprintf(in, sizeof in, "{\"eventName\":\"INSERT\",\"eventID\":\"%s\",\"dynamodb\":{}}", id);
    {
        char want[512];
        snprintf(want, sizeof want, "{\"eventName\":\"INSERT\",\"eventID\":\"%s\"}\n", id);
        check_ok("eventID of 128", in, &no_opt, want);
    }
    /* SequenceNumber 64, time 64, userIdentity 480 (as copied, minified) */
    memset(id, '7', 200);
    id[200] = 0;
    snprintf(in, sizeof in, "{\"eventName\":\"INSERT\",\"dynamodb\":{\"SequenceNumber\":\"%s\"}}", id);
    check("SequenceNumber of 200", in, &no_opt, DDBS_E_FIELD_TOO_LONG, pos(in, "777") + 64, 1, "");
    snprintf(in, sizeof in, "{\"eventName\":\"INSERT\",\"dynamodb\":{\"ApproximateCreationDateTime\":%s}}", id);
    check("time of 200 digits", in, &no_opt, DDBS_E_FIELD_TOO_LONG, pos(in, "777") + 64, 1, "");
    {
        char big[600], uin[1024];
        memset(big, 'u', 500);
        big[500] = 0;
        /* copied as {"p":"uuu...: 6 bytes before the text */
        snprintf(uin, sizeof uin, "{\"eventName\":\"REMOVE\",\"userIdentity\":{ \"p\" : \"%s\"},\"dynamodb\":{}}", big);
        check("userIdentity over 480", uin, &no_opt, DDBS_E_FIELD_TOO_LONG,
              pos(uin, "uuu") + 480 - 6, 1, "");
    }
    check("eventName of 40", J("{'eventName':'INSERTINSERTINSERTINSERTINSERTINSERTXX','dynamodb':{}}"),
          &no_opt, DDBS_E_FIELD_TOO_LONG, 14 + 32, 1, "");
}

/* The longest S value pre...post can hold and still fit the line buffer, found by trying:
   the test then needs no knowledge of how the buffer is laid out inside. */
static size_t largest_fitting(const char *pre, const char *post, const ddbs_options *o)
{
    size_t lo = 0, hi = DDBS_MIN_BUF;
    static char in[2 * DDBS_MIN_BUF + 256];
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2, p = strlen(pre);
        run r;
        memcpy(in, pre, p);
        memset(in + p, 'x', mid);
        strcpy(in + p + mid, post);
        r = run_str(in, o);
        if (r.rc == DDBS_OK) lo = mid; else hi = mid;
        run_free(&r);
    }
    return lo;
}

Test(errors, line_too_big)
{
    ddbs_options o = opt_flags(0);
    const char *pre = J("{'Records':[" GOOD_REC ",{'eventName':'INSERT','dynamodb':{'NewImage':{'a':{'S':'");
    const char *post = J("'}}}}]}");
    size_t fit, n = 5000, p = strlen(pre);
    char *in = (char *)malloc(p + n + 64);
    o.buf_size = DDBS_MIN_BUF;
    fit = largest_fitting(pre, post, &o);
    cr_expect(fit > 2000 && fit < DDBS_MIN_BUF, "a %u-byte buffer holds %zu bytes of S",
              DDBS_MIN_BUF, fit);
    memcpy(in, pre, p);
    memset(in + p, 'x', n);
    strcpy(in + p + n, post);
    /* with fit bytes, the S's closing quote and the image's } still fit, so the first byte
       that does not is at index fit + 2 of the string */
    check("S of 5000 in a 4096 buffer", in, &o, DDBS_E_LINE_TOO_BIG, p + fit + 2, 2,
          J(GOOD_LINE));
    /* nothing is staged when the line is not wanted */
    o.flags = DDBS_F_PARSE_ONLY;
    check("the same with PARSE_ONLY", in, &o, DDBS_OK, 0, 0, "");
    o.flags = DDBS_F_NO_NEW;
    check("the same without NewImage", in, &o, DDBS_OK, 0, 0,
          cat(J(GOOD_LINE), J("{'eventName':'INSERT'}\n")));
    o.flags = 0;
    o.events = DDBS_EV_MODIFY;  /* eventName comes first: the INSERT is known to be dropped */
    check("the same, INSERT filtered out", in, &o, DDBS_OK, 0, 0, "");
    free(in);
}

/* Sink that counts calls and returns ret on call number stop_at. */
typedef struct stopper {
    int calls, stop_at, ret;
    size_t bytes;
} stopper;

static int stop_sink(void *user, const char *data, size_t len)
{
    stopper *s = (stopper *)user;
    (void)data;
    s->bytes += len;
    return ++s->calls == s->stop_at ? s->ret : 0;
}

static int stop_record(void *user, const ddbs_record *rec)
{
    stopper *s = (stopper *)user;
    (void)rec;
    return ++s->calls == s->stop_at ? s->ret : 0;
}

static ddbs_parser stop_run(const char *in, int on_record, int stop_at, int ret, stopper *s)
{
    static char line[DDBS_MIN_BUF];
    ddbs_options o = opt_flags(0);
    ddbs_parser p;
    memset(s, 0, sizeof *s);
    s->stop_at = stop_at;
    s->ret = ret;
    if (on_record) o.on_record = stop_record; else o.sink = stop_sink;
    o.user = s;
    o.buf = line;
    o.buf_size = sizeof line;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    if (ddbs_parser_feed(&p, in, strlen(in)) == DDBS_OK) ddbs_parser_finish(&p);
    return p;
}

Test(errors, sink)
{
    const char *in = J("{'Records':[" GOOD_REC "," GOOD_REC "," GOOD_REC "]}");
    uint64_t second_end = posn(in, "}}}}", 2) + 3;
    size_t line_len = strlen(J(GOOD_LINE));
    stopper s;
    ddbs_parser p = stop_run(in, 0, 2, -1, &s);
    cr_expect(p.error == DDBS_E_SINK, "sink -1: %s", ddbs_strerror(p.error));
    cr_expect(p.error_offset == second_end, "at the record's closing brace: %llu, want %llu",
              ULL(p.error_offset), ULL(second_end));
    cr_expect(p.error_record == 2, "error_record %llu, want 2", ULL(p.error_record));
    cr_expect(p.records_out == 1 && p.bytes_out == line_len && s.calls == 2,
              "out %llu bytes %llu calls %d", ULL(p.records_out), ULL(p.bytes_out), s.calls);
    /* any non-zero return stops */
    p = stop_run(in, 0, 1, 7, &s);
    cr_expect(p.error == DDBS_E_SINK && p.error_offset == posn(in, "}}}}", 1) + 3 &&
              p.records_out == 0 && p.bytes_out == 0, "sink 7: %s", ddbs_strerror(p.error));
    /* on_record < 0 stops before the sink would see the line */
    p = stop_run(in, 1, 1, -1, &s);
    cr_expect(p.error == DDBS_E_SINK && p.error_offset == posn(in, "}}}}", 1) + 3 &&
              p.records_out == 0 && s.calls == 1, "on_record -1: %s", ddbs_strerror(p.error));
    cr_expect(p.error_record == 1, "on_record -1: error_record %llu, want 1",
              ULL(p.error_record));
}

/* DDBS_F_SKIP_BAD does not skip a sink refusal: the caller asked to stop. */
Test(errors, sink_not_skipped)
{
    static char line[DDBS_MIN_BUF];
    const char *in = J(GOOD_REC "\n" GOOD_REC "\n");
    ddbs_options o = opt_flags(DDBS_F_SKIP_BAD);
    stopper s;
    ddbs_parser p;
    memset(&s, 0, sizeof s);
    s.stop_at = 1;
    s.ret = -1;
    o.sink = stop_sink;
    o.user = &s;
    o.buf = line;
    o.buf_size = sizeof line;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    cr_expect(ddbs_parser_feed(&p, in, strlen(in)) == DDBS_E_SINK, "E_SINK with SKIP_BAD");
    cr_expect(p.skipped == 0 && s.calls == 1, "skipped %llu calls %d", ULL(p.skipped), s.calls);
}

/* DDBS_E_OBJECT_TOO_BIG comes from the chunker, when a line cannot fit even an empty object;
   the parser then stops with DDBS_E_SINK at that record. */
static int count_flush(void *user, const char *name, const char *data, size_t len)
{
    (void)name;
    (void)data;
    (void)len;
    ++*(int *)user;
    return 0;
}

Test(errors, object_too_big)
{
    static char obj[256], line[DDBS_MIN_BUF];
    char in[1024], big[201];
    ddbs_chunker c;
    ddbs_chunker_options co;
    ddbs_options o = opt_flags(0);
    ddbs_parser p;
    int flushes = 0;
    memset(big, 'x', 200);
    big[200] = 0;
    snprintf(in, sizeof in, "{'Records':[%s,{'eventName':'INSERT','dynamodb':{'Keys':{'k':"
             "{'S':'%s'}}}}]}", GOOD_REC, big);
    memset(&co, 0, sizeof co);
    co.flush = count_flush;
    co.user = &flushes;
    co.buf = obj;
    co.buf_size = sizeof obj;
    co.max_object_bytes = 128;
    cr_assert(ddbs_chunker_init(&c, &co) == DDBS_OK, "chunker init");
    o.on_record = ddbs_chunker_add;
    o.user = &c;
    o.buf = line;
    o.buf_size = sizeof line;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    cr_expect(ddbs_parser_feed(&p, J(in), strlen(in)) == DDBS_E_SINK, "parser: %s",
              ddbs_strerror(p.error));
    cr_expect(p.error_offset == pos(J(in), "}}}}]}") + 3, "at %llu", ULL(p.error_offset));
    cr_expect(c.error == DDBS_E_OBJECT_TOO_BIG && c.error_record == 1 && flushes == 1,
              "chunker: %s record %llu, %d objects", ddbs_strerror(c.error),
              ULL(c.error_record), flushes);
}

/* ------------------------------------------------------------------ output ------------- */

/* Keys, NewImage, OldImage in every input order, with the metadata before, between and
   after them: always the same line. */
Test(output, field_order)
{
    static const char *const img[3] = { "'Keys':{'k':{'N':'1'}}", "'NewImage':{'n':{'BOOL':true}}",
                                        "'OldImage':{'o':{'S':'old'}}" };
    static const int perm[6][3] = { {0,1,2}, {0,2,1}, {1,0,2}, {1,2,0}, {2,0,1}, {2,1,0} };
    const char *want = J("{'eventName':'REMOVE','eventID':'id1','SequenceNumber':'s1',"
                         "'ApproximateCreationDateTime':1480642020,"
                         "'userIdentity':{'principalId':'dynamodb.amazonaws.com','type':'Service'},"
                         "'Keys':{'k':1},'NewImage':{'n':true},'OldImage':{'o':'old'}}\n");
    int k;
    for (k = 0; k < 6; k++) {
        char ddb[512], in[1024], what[32];
        snprintf(ddb, sizeof ddb, "{%s,'SizeBytes':26,%s,'SequenceNumber':'s1',%s,"
                 "'ApproximateCreationDateTime':1480642020}",
                 img[perm[k][0]], img[perm[k][1]], img[perm[k][2]]);
        /* dynamodb first, eventName last */
        snprintf(in, sizeof in, "{'dynamodb':%s,'userIdentity':{'principalId':"
                 "'dynamodb.amazonaws.com','type':'Service'},'eventID':'id1','x':1,"
                 "'eventName':'REMOVE'}", ddb);
        snprintf(what, sizeof what, "order %d%d%d", perm[k][0], perm[k][1], perm[k][2]);
        check_ok(what, J(in), &no_opt, want);
        /* eventName first */
        snprintf(in, sizeof in, "{'eventName':'REMOVE','eventID':'id1','userIdentity':"
                 "{'principalId':'dynamodb.amazonaws.com','type':'Service'},'dynamodb':%s}", ddb);
        check_ok(what, J(in), &no_opt, want);
    }
    /* two of three, out of order */
    check_ok("OldImage then Keys",
             J("{'dynamodb':{'OldImage':{'o':{'S':'x'}},'Keys':{'k':{'S':'y'}}},'eventName':'MODIFY'}"),
             &no_opt, J("{'eventName':'MODIFY','Keys':{'k':'y'},'OldImage':{'o':'x'}}\n"));
    check_ok("NewImage then Keys",
             J("{'eventName':'MODIFY','dynamodb':{'NewImage':{'n':{'S':'x'}},'Keys':{'k':{'S':'y'}}}}"),
             &no_opt, J("{'eventName':'MODIFY','Keys':{'k':'y'},'NewImage':{'n':'x'}}\n"));
}

Test(output, all_types)
{
    const char *img = "{'s':{'S':'str'},'n':{'N':'-12.5e3'},'b':{'B':'AAEqQQ=='},"
                      "'t':{'BOOL':true},'f':{'BOOL':false},'z':{'NULL':true},"
                      "'m':{'M':{'x':{'S':'y'},'e':{'M':{}}}},"
                      "'l':{'L':[{'S':'a'},{'N':'1'},{'L':[]},{'NULL':true},{'M':{'q':{'BOOL':false}}}]},"
                      "'ss':{'SS':['b','a','b']},'ns':{'NS':['3','1','2.5']},"
                      "'bs':{'BS':['QQ==','AAAA']},'es':{'S':''},'eb':{'B':''}}";
    char in[2048];
    snprintf(in, sizeof in, "{'eventName':'INSERT','dynamodb':{'NewImage':%s}}", img);
    check_ok("ten types", J(in), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'s':'str','n':-12.5e3,'b':'AAEqQQ==',"
               "'t':true,'f':false,'z':null,'m':{'x':'y','e':{}},"
               "'l':['a',1,[],null,{'q':false}],'ss':['b','a','b'],'ns':[3,1,2.5],"
               "'bs':['QQ==','AAAA'],'es':'','eb':''}}\n"));
    /* typed passthrough: the image as written, minified */
    {
        char want[2048];
        snprintf(want, sizeof want, "{'eventName':'INSERT','NewImage':%s}\n", img);
        check_ok("ten types, DDB format", J(in), &(ddbs_options){ .format = DDBS_FORMAT_DDB },
                 J(want));
    }
    check_ok("numbers as strings", J(in), &(ddbs_options){ .flags = DDBS_F_NUMBERS_AS_STRINGS },
             J("{'eventName':'INSERT','NewImage':{'s':'str','n':'-12.5e3','b':'AAEqQQ==',"
               "'t':true,'f':false,'z':null,'m':{'x':'y','e':{}},"
               "'l':['a','1',[],null,{'q':false}],'ss':['b','a','b'],'ns':['3','1','2.5'],"
               "'bs':['QQ==','AAAA'],'es':'','eb':''}}\n"));
}

Test(output, numbers_exact)
{
    static const char *const nums[] = {
        "12345678901234567890123456789012345678", "-12345678901234567890123456789012345678",
        "1E-130", "9.9999999999999999999999999999999999999E+125", "-0", "0.0", "1e5",
        "-1.5E-3", "0.000000000000000000000000000000000000001", "100", "1E+2",
    };
    size_t k;
    for (k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        char in[256], want[256];
        snprintf(in, sizeof in, "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{\"a\":{\"N\":\"%s\"}}}}", nums[k]);
        snprintf(want, sizeof want, "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":%s}}\n", nums[k]);
        check_ok(nums[k], in, &no_opt, want);
        snprintf(want, sizeof want, "{\"eventName\":\"INSERT\",\"NewImage\":{\"a\":\"%s\"}}\n", nums[k]);
        check_ok(nums[k], in, &(ddbs_options){ .flags = DDBS_F_NUMBERS_AS_STRINGS }, want);
    }
}

Test(output, strings_as_written)
{
    /* escapes are copied, never decoded: valid JSON in, the same valid JSON out */
    check_ok("escapes", J(IMG_PRE "{'S':'\\u00e9\\ud83e\\udd8a\\n'}" IMG_POST), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'a':'\\u00e9\\ud83e\\udd8a\\n'}}\n"));
    check_ok("every escape", J(IMG_PRE "{'S':'\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000'}" IMG_POST),
             &no_opt, J("{'eventName':'INSERT','NewImage':{'a':'\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000'}}\n"));
    /* a lone surrogate escape is grammatical JSON: accepted and copied (README) */
    check_ok("lone surrogate", J(IMG_PRE "{'S':'\\ud800'}" IMG_POST), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'a':'\\ud800'}}\n"));
    check_ok("low surrogate first", J(IMG_PRE "{'S':'\\udc00\\ud800x'}" IMG_POST), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'a':'\\udc00\\ud800x'}}\n"));
    check_ok("raw UTF-8", J(IMG_PRE "{'S':'\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x8A'}" IMG_POST),
             &no_opt, J("{'eventName':'INSERT','NewImage':{'a':'\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x8A'}}\n"));
    check_ok("escaped and UTF-8 names",
             J("{'eventName':'INSERT','dynamodb':{'NewImage':{'\\u0041\xC3\xA9':{'S':'v'}}}}"),
             &no_opt, J("{'eventName':'INSERT','NewImage':{'\\u0041\xC3\xA9':'v'}}\n"));
    /* \/ is the only escape base64 can hold; it comes out as "/" (the same JSON value),
       where an S keeps it as written */
    check_ok("B with an escaped slash", J(IMG_PRE "{'B':'ab\\/='}" IMG_POST), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'a':'ab/='}}\n"));
    check_ok("S with an escaped slash", J(IMG_PRE "{'S':'ab\\/='}" IMG_POST), &no_opt,
             J("{'eventName':'INSERT','NewImage':{'a':'ab\\/='}}\n"));
    check_ok("escapes in eventID", J("{'eventName':'INSERT','eventID':'a\\\"b\\u00e9','dynamodb':{}}"),
             &no_opt, J("{'eventName':'INSERT','eventID':'a\\\"b\\u00e9'}\n"));
}

/* Unknown fields of every JSON shape are validated and dropped, at every level, however
   deep, whatever their keys look like: a type tag is one only where an AttributeValue is
   expected, and envelope names mean nothing inside an unknown field. */
Test(output, unknown_fields_skipped)
{
    const char *junk = "{'o':{'a':[1,-2.5e-3,true,false,null,'s\\u0041\\n',{},[],[[[{'b':{}}]]]]},"
                       "'x':{'S':5},'NewImage':{'a':{'Q':1}},'Records':7,'eventName':'NOPE',"
                       "'dynamodb':'no','M':{'L':'x'},'\xC3\xA9':'\xF0\x9F\xA6\x8A'}";
    char in[2048];
    snprintf(in, sizeof in, "{'u1':%s,'Records':[{'u2':%s,'eventName':'INSERT','dynamodb':"
             "{'u3':%s,'Keys':{'k':{'S':'a'}},'SizeBytes':26,'StreamViewType':'KEYS_ONLY'},"
             "'eventVersion':'1.1'}],'u4':%s}", junk, junk, junk, junk);
    check_ok("junk everywhere", J(in), &no_opt, J(GOOD_LINE));
    check_ok("{'x':{'S':5}} at record level",
             J("{'eventName':'INSERT','x':{'S':5},'dynamodb':{'x':{'N':[]},'Keys':{'k':{'S':'a'}}}}"),
             &no_opt, J(GOOD_LINE));
    {
        /* deep nesting inside an unknown field, mixed objects and arrays */
        char deep[1024];
        size_t k, n = 80;
        strcpy(deep, "{\"Records\":[],\"x\":");
        for (k = 0; k < n; k++) strcat(deep, k % 2 ? "[" : "{\"k\":");
        strcat(deep, "0");
        for (k = n; k-- > 0;) strcat(deep, k % 2 ? "]" : "}");
        strcat(deep, "}");
        check_ok("80 levels skipped", deep, &no_opt, "");
    }
}

Test(output, envelopes)
{
    const char *rec2 = "{'eventName':'MODIFY','dynamodb':{'NewImage':{'k':{'S':'b'}}}}";
    const char *line2 = "{'eventName':'MODIFY','NewImage':{'k':'b'}}\n";
    char in[2048];
    const char *want = cat(J(GOOD_LINE), J(line2));
    snprintf(in, sizeof in, "{'Records':[%s,%s],'window':{'start':'2020-07-30T17:00:00Z',"
             "'end':'2020-07-30T17:05:00Z'},'state':{'1':'state1'},'shardId':'shard1',"
             "'eventSourceARN':'arn','isFinalInvokeForWindow':false,"
             "'isWindowTerminatedEarly':false}", GOOD_REC, rec2);
    check_ok("tumbling window", J(in), &no_opt, want);
    snprintf(in, sizeof in, "{'Records':[%s,%s],'NextShardIterator':'arn:aws:dynamodb:x|1|AAA'}",
             GOOD_REC, rec2);
    check_ok("GetRecords response", J(in), &no_opt, want);
    snprintf(in, sizeof in, "{'NextShardIterator':null,'Records':[%s,%s]}", GOOD_REC, rec2);
    check_ok("GetRecords, Records last", J(in), &no_opt, want);
    check_ok("bare record", J(GOOD_REC), &no_opt, J(GOOD_LINE));
    check_ok("empty Records", J("{'Records':[]}"), &no_opt, "");
    snprintf(in, sizeof in, "%s\n%s\n{'Records':[%s]}\n", GOOD_REC, rec2, GOOD_REC);
    check_ok("NDJSON", J(in), &no_opt, cat(want, J(GOOD_LINE)));
    snprintf(in, sizeof in, "%s%s{'Records':[%s]}", GOOD_REC, rec2, GOOD_REC);
    check_ok("concatenated", J(in), &no_opt, cat(want, J(GOOD_LINE)));
    check_ok("pretty, CRLF and tabs",
             J("\r\n{\r\n\t'Records' : [\r\n\t\t{ 'eventName' : 'INSERT' ,\r\n\t\t  'dynamodb' :"
               " { 'Keys' : { 'k' : { 'S' : 'a' } } } }\r\n\t]\r\n}\r\n \t"),
             &no_opt, J(GOOD_LINE));
    check_ok("BOM", cat("\xEF\xBB\xBF", J(GOOD_REC)), &no_opt, J(GOOD_LINE));
    check_ok("BOM then blank lines", cat("\xEF\xBB\xBF\n\n ", J(GOOD_REC)), &no_opt, J(GOOD_LINE));
    check_ok("BOM alone", "\xEF\xBB\xBF", &no_opt, "");
    check_ok("empty input", "", &no_opt, "");
    check_ok("whitespace only", " \n\t\r\n  ", &no_opt, "");
}

Test(output, counters)
{
    char in[2048];
    run r;
    ddbs_options o = opt_flags(0);
    o.events = DDBS_EV_MODIFY;
    snprintf(in, sizeof in, "%s\n{'Records':[%s,{'eventName':'MODIFY','dynamodb':{}}]}\n"
             "{'Records':[]}", GOOD_REC, GOOD_REC);
    r = run_str(J(in), &o);
    cr_expect(r.rc == DDBS_OK && r.records_in == 3 && r.records_out == 1 && r.documents == 3 &&
              r.bytes_out == strlen(J("{'eventName':'MODIFY'}\n")) && r.skipped == 0,
              "in %llu out %llu docs %llu bytes %llu", ULL(r.records_in), ULL(r.records_out),
              ULL(r.documents), ULL(r.bytes_out));
    run_free(&r);
}

Test(output, metadata)
{
    const char *head = "{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':";
    const char *tail = ",'Keys':{'k':{'S':'a'}}}}";
    static const char *const times[] = { "1480642020", "1693997155.0",
                                         "1.635734407123456789E9", "1480642020000",
                                         "'1.46480646E9'", "-1" };
    size_t k;
    for (k = 0; k < sizeof times / sizeof times[0]; k++) {
        char in[512], want[512];
        snprintf(in, sizeof in, "%s%s%s", head, times[k], tail);
        snprintf(want, sizeof want, "{'eventName':'INSERT','ApproximateCreationDateTime':%s,"
                 "'Keys':{'k':'a'}}\n", times[k]);
        check_ok(times[k], J(in), &no_opt, J(want));
    }
    check_ok("time null is absent", J("{'eventName':'INSERT','dynamodb':"
             "{'ApproximateCreationDateTime':null,'Keys':{'k':{'S':'a'}}}}"), &no_opt, J(GOOD_LINE));
    check_ok("userIdentity null is absent", J("{'eventName':'INSERT','userIdentity':null,"
             "'dynamodb':{'Keys':{'k':{'S':'a'}}}}"), &no_opt, J(GOOD_LINE));
    check_ok("userIdentity copied minified", J("{'eventName':'INSERT','userIdentity': { 'type' : "
             "'Service', 'n' : [ 1 , -2.5 , true , false , null , { } ] },"
             "'dynamodb':{'Keys':{'k':{'S':'a'}}}}"), &no_opt,
             J("{'eventName':'INSERT','userIdentity':{'type':'Service','n':[1,-2.5,true,false,"
               "null,{}]},'Keys':{'k':'a'}}\n"));
    check_ok("images null are absent", J("{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}},"
             "'NewImage':null,'OldImage':null}}"), &no_opt, J(GOOD_LINE));
    check_ok("eventID and SequenceNumber null are absent",
             J("{'eventName':'INSERT','eventID':null,'dynamodb':{'SequenceNumber':null,"
               "'Keys':{'k':{'S':'a'}}}}"), &no_opt, J(GOOD_LINE));
}

Test(output, images_option)
{
    const char *in = J("{'eventName':'MODIFY','dynamodb':{'Keys':{'k':{'S':'a'}},"
                       "'NewImage':{'n':{'S':'b'}},'OldImage':{'o':{'S':'c'}}}}");
    check_ok("no keys", in, &(ddbs_options){ .flags = DDBS_F_NO_KEYS },
             J("{'eventName':'MODIFY','NewImage':{'n':'b'},'OldImage':{'o':'c'}}\n"));
    check_ok("no new", in, &(ddbs_options){ .flags = DDBS_F_NO_NEW },
             J("{'eventName':'MODIFY','Keys':{'k':'a'},'OldImage':{'o':'c'}}\n"));
    check_ok("no old", in, &(ddbs_options){ .flags = DDBS_F_NO_OLD },
             J("{'eventName':'MODIFY','Keys':{'k':'a'},'NewImage':{'n':'b'}}\n"));
    check_ok("new only", in, &(ddbs_options){ .flags = DDBS_F_NO_KEYS | DDBS_F_NO_OLD },
             J("{'eventName':'MODIFY','NewImage':{'n':'b'}}\n"));
    check_ok("none", in, &(ddbs_options){ .flags = DDBS_F_NO_KEYS | DDBS_F_NO_NEW | DDBS_F_NO_OLD },
             J("{'eventName':'MODIFY'}\n"));
    check_ok("no keys, DDB format", in,
             &(ddbs_options){ .format = DDBS_FORMAT_DDB, .flags = DDBS_F_NO_KEYS },
             J("{'eventName':'MODIFY','NewImage':{'n':{'S':'b'}},'OldImage':{'o':{'S':'c'}}}\n"));
}

Test(output, item_shape)
{
    const char *meta = "'eventID':'e1','dynamodb':{'SequenceNumber':'s1',"
                       "'ApproximateCreationDateTime':1480642020,";
    char in[1024];
    ddbs_options item = opt_item(0), itemm = opt_item(DDBS_F_ITEM_META);
    /* INSERT and MODIFY: the NewImage */
    snprintf(in, sizeof in, "{'eventName':'MODIFY',%s'OldImage':{'o':{'S':'c'}},"
             "'NewImage':{'n':{'S':'b'},'m':{'N':'2'}},'Keys':{'k':{'S':'a'}}}}", meta);
    check_ok("MODIFY", J(in), &item, J("{'n':'b','m':2}\n"));
    check_ok("MODIFY with meta", J(in), &itemm,
             J("{'_eventName':'MODIFY','_eventID':'e1','_SequenceNumber':'s1',"
               "'_ApproximateCreationDateTime':1480642020,'n':'b','m':2}\n"));
    /* REMOVE: the OldImage, whatever the order */
    snprintf(in, sizeof in, "{'dynamodb':{'OldImage':{'o':{'S':'c'}},'NewImage':{'n':{'S':'b'}},"
             "'Keys':{'k':{'S':'a'}}},'eventName':'REMOVE'}");
    check_ok("REMOVE", J(in), &item, J("{'o':'c'}\n"));
    check_ok("REMOVE with meta, eventName last", J(in), &itemm, J("{'_eventName':'REMOVE','o':'c'}\n"));
    /* no such image: the Keys */
    check_ok("REMOVE, keys only",
             J("{'eventName':'REMOVE','dynamodb':{'NewImage':{'n':{'S':'b'}},'Keys':{'k':{'S':'a'}}}}"),
             &item, J("{'k':'a'}\n"));
    check_ok("INSERT, keys only", J(GOOD_REC), &item, J("{'k':'a'}\n"));
    check_ok("INSERT, keys only, meta", J(GOOD_REC), &itemm, J("{'_eventName':'INSERT','k':'a'}\n"));
    /* nothing at all, or an empty image */
    check_ok("no image", J("{'eventName':'INSERT','dynamodb':{}}"), &item, "{}\n");
    check_ok("no image, meta", J("{'eventName':'INSERT','eventID':'e','dynamodb':{}}"), &itemm,
             J("{'_eventName':'INSERT','_eventID':'e'}\n"));
    check_ok("empty NewImage", J("{'eventName':'INSERT','dynamodb':{'NewImage':{}}}"), &item, "{}\n");
    check_ok("empty NewImage, meta",
             J("{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}},'NewImage':{}}}"), &itemm,
             J("{'_eventName':'INSERT'}\n"));
    /* the time keeps its form; the DDB format keeps the types */
    check_ok("string time, meta",
             J("{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':'1.46480646E9',"
               "'NewImage':{'n':{'N':'1'}}}}"), &itemm,
             J("{'_eventName':'INSERT','_ApproximateCreationDateTime':'1.46480646E9','n':1}\n"));
    check_ok("DDB format", J("{'eventName':'INSERT','dynamodb':{'NewImage':{'n':{'N':'1'},"
             "'s':{'SS':['a']}}}}"), &(ddbs_options){ .shape = DDBS_SHAPE_ITEM,
             .format = DDBS_FORMAT_DDB }, J("{'n':{'N':'1'},'s':{'SS':['a']}}\n"));
    /* record-shape image flags do not apply to the item */
    check_ok("NO_NEW ignored", J("{'eventName':'INSERT','dynamodb':{'NewImage':{'n':{'N':'1'}}}}"),
             &(ddbs_options){ .shape = DDBS_SHAPE_ITEM, .flags = DDBS_F_NO_NEW }, J("{'n':1}\n"));
}

Test(output, events_filter)
{
    char in[2048];
    const char *ins = GOOD_REC;
    const char *mod = "{'dynamodb':{'Keys':{'k':{'S':'m'}}},'eventName':'MODIFY'}";
    const char *rem = "{'eventName':'REMOVE','dynamodb':{'Keys':{'k':{'S':'r'}}}}";
    run r;
    ddbs_options o = opt_flags(0);
    snprintf(in, sizeof in, "{'Records':[%s,%s,%s]}", ins, mod, rem);
    o.events = DDBS_EV_INSERT;
    check_ok("INSERT", J(in), &o, J(GOOD_LINE));
    o.events = DDBS_EV_MODIFY | DDBS_EV_REMOVE;
    check_ok("MODIFY|REMOVE", J(in), &o, J("{'eventName':'MODIFY','Keys':{'k':'m'}}\n"
                                           "{'eventName':'REMOVE','Keys':{'k':'r'}}\n"));
    o.events = DDBS_EV_MODIFY;
    r = run_str(J(in), &o);
    cr_expect(r.records_in == 3 && r.records_out == 1, "in %llu out %llu", ULL(r.records_in),
              ULL(r.records_out));
    run_free(&r);
    o.events = 0;
    check_ok("0 is all", J(in), &o, J(GOOD_LINE "{'eventName':'MODIFY','Keys':{'k':'m'}}\n"
                                      "{'eventName':'REMOVE','Keys':{'k':'r'}}\n"));
}

Test(output, ttl_only)
{
    const char *ttl = "'userIdentity':{'type':'Service','principalId':'dynamodb.amazonaws.com'}";
    char in[2048];
    ddbs_options o = opt_flags(DDBS_F_TTL_ONLY);
    snprintf(in, sizeof in,
             "{'eventName':'REMOVE',%s,'dynamodb':{'Keys':{'k':{'S':'1'}}}}\n"
             "{'eventName':'REMOVE','dynamodb':{'Keys':{'k':{'S':'2'}}}}\n"
             "{'eventName':'INSERT',%s,'dynamodb':{'Keys':{'k':{'S':'3'}}}}\n"
             "{'eventName':'REMOVE','userIdentity':{'type':'Service','principalId':'x.amazonaws.com'},"
             "'dynamodb':{'Keys':{'k':{'S':'4'}}}}\n"
             "{'dynamodb':{'Keys':{'k':{'S':'5'}}},'userIdentity':{'principalId':"
             "'dynamodb.amazonaws.com','type':'Service'},'eventName':'REMOVE'}\n",
             ttl, ttl);
    check_ok("TTL deletes only", J(in), &o,
             J("{'eventName':'REMOVE','userIdentity':{'type':'Service','principalId':"
               "'dynamodb.amazonaws.com'},'Keys':{'k':'1'}}\n"
               "{'eventName':'REMOVE','userIdentity':{'principalId':'dynamodb.amazonaws.com',"
               "'type':'Service'},'Keys':{'k':'5'}}\n"));
    o.shape = DDBS_SHAPE_ITEM;
    check_ok("TTL deletes as items", J(in), &o, J("{'k':'1'}\n{'k':'5'}\n"));
}

Test(output, parse_only)
{
    size_t len;
    char *in = load_sample("aws-powertools-powertools-lambda-java/dynamo_event_big.json", &len);
    run r;
    ddbs_options o = opt_flags(DDBS_F_PARSE_ONLY);
    cr_assert(in, "sample missing");
    r = run_whole(in, len, &o);
    cr_expect(r.rc == DDBS_OK && r.out_len == 0 && r.records_in == 12 && r.records_out == 0 &&
              r.bytes_out == 0 && r.documents == 1, "rc %s in %llu out %llu",
              ddbs_strerror(r.rc), ULL(r.records_in), ULL(r.records_out));
    run_free(&r);
    free(in);
    /* errors are still found */
    check("parse only, bad N", J(GOOD_REC "\n" IMG_PRE "{'N':'x'}" IMG_POST), &o, DDBS_E_NUMBER,
          strlen(J(GOOD_REC "\n" IMG_PRE "{'N':'")), 2, "");
}

Test(output, skip_bad)
{
    const char *in = J(GOOD_REC "\n"
                       IMG_PRE "{'Q':1}" IMG_POST "\n"              /* E_ATTR mid-record */
                       "{'eventName':'MODIFY','dynamodb':{}}\n"
                       "{'a':1}{'eventName':'REMOVE','dynamodb':{}}\n" /* E_NOT_STREAM, closed */
                       "[1,2]\n"                                    /* E_NOT_STREAM at '[' */
                       GOOD_REC "\n"
                       "{'Records':[" GOOD_REC ",");                /* truncated */
    ddbs_options o = opt_flags(DDBS_F_SKIP_BAD);
    run r = run_str(in, &o);
    uint64_t l2 = pos(in, "\n") + 1;
    cr_expect(r.rc == DDBS_OK, "rc %s", ddbs_strerror(r.rc));
    cr_expect(r.out_len == strlen(J(GOOD_LINE "{'eventName':'MODIFY'}\n{'eventName':'REMOVE'}\n"
                                    GOOD_LINE GOOD_LINE)) &&
              memcmp(r.out, J(GOOD_LINE "{'eventName':'MODIFY'}\n{'eventName':'REMOVE'}\n"
                              GOOD_LINE GOOD_LINE), r.out_len) == 0,
              "output\n%.*s", (int)r.out_len, r.out ? r.out : "");
    cr_expect(r.skipped == 4 && r.reports == 4, "skipped %llu reports %zu", ULL(r.skipped),
              r.reports);
    cr_expect(r.records_in == 5 && r.records_out == 5, "in %llu out %llu", ULL(r.records_in),
              ULL(r.records_out));
    if (r.reports == 4) {
        cr_expect(r.report_rc[0] == DDBS_E_ATTR && r.report_off[0] == l2 + pos(J(IMG_PRE "{'Q'"), "\"Q\"") &&
                  r.report_rec[0] == 2, "1st: %s at %llu rec %llu", ddbs_strerror(r.report_rc[0]),
                  ULL(r.report_off[0]), ULL(r.report_rec[0]));
        cr_expect(r.report_rc[1] == DDBS_E_NOT_STREAM && r.report_off[1] == pos(in, "{\"a\":1}") &&
                  r.report_rec[1] == 3, "2nd: %s at %llu rec %llu", ddbs_strerror(r.report_rc[1]),
                  ULL(r.report_off[1]), ULL(r.report_rec[1]));
        cr_expect(r.report_rc[2] == DDBS_E_NOT_STREAM && r.report_off[2] == pos(in, "[1,2]") &&
                  r.report_rec[2] == 4, "3rd: %s at %llu rec %llu", ddbs_strerror(r.report_rc[2]),
                  ULL(r.report_off[2]), ULL(r.report_rec[2]));
        cr_expect(r.report_rc[3] == DDBS_E_TRUNCATED && r.report_off[3] == strlen(in) &&
                  r.report_rec[3] == 6, "4th: %s at %llu rec %llu", ddbs_strerror(r.report_rc[3]),
                  ULL(r.report_off[3]), ULL(r.report_rec[3]));
    }
    run_free(&r);
}

/* A document dropped inside a string just after a high surrogate escape: the half waiting
   for its low half must not carry over into the next document's strings (S5). */
Test(output, skip_bad_surrogate_reset)
{
    const char *in = J("{'Records':[],'x\\ud83d\x01':1}\n"
                       "{'event\\u004eame':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n");
    ddbs_options o = opt_flags(DDBS_F_SKIP_BAD);
    run r = run_str(in, &o);
    cr_expect(r.rc == DDBS_OK && r.skipped == 1, "rc %s skipped %llu", ddbs_strerror(r.rc),
              ULL(r.skipped));
    cr_expect(r.out_len == strlen(J(GOOD_LINE)) && memcmp(r.out, J(GOOD_LINE), r.out_len) == 0,
              "output\n%.*s", (int)r.out_len, r.out ? r.out : "");
    run_free(&r);
}

/* A line cut short (a writer that died mid-line) is found bad only at the next line's '{';
   that next document must not be lost with it. */
Test(output, skip_bad_cut_line)
{
    const char *in = J(GOOD_REC "\n{'Records':[{'eventName':'INSERT'\n"
                       "{'eventName':'MODIFY','dynamodb':{}}\n");
    ddbs_options o = opt_flags(DDBS_F_SKIP_BAD);
    run r = run_str(in, &o);
    cr_expect(r.reports == 1 && r.report_rc[0] == DDBS_E_SYNTAX &&
              r.report_off[0] == pos(in, "\n{\"eventName\":\"MODIFY\"") + 1, "report %s at %llu",
              ddbs_strerror(r.report_rc[0]), ULL(r.report_off[0]));
    cr_expect(r.out_len == strlen(J(GOOD_LINE "{'eventName':'MODIFY'}\n")) &&
              memcmp(r.out, J(GOOD_LINE "{'eventName':'MODIFY'}\n"), r.out_len) == 0,
              "output\n%.*s", (int)r.out_len, r.out ? r.out : "");
    run_free(&r);
}

/* on_record: what it is told, and what its return value does. */
typedef struct seen_rec {
    unsigned event;
    int ttl;
    uint64_t index;
    char id[200], seq[80], time[80], line[512], image[3][128];
} seen_rec;

typedef struct hook {
    int ret;                  /* what on_record returns */
    size_t n;
    seen_rec r[8];
    run sink;                 /* what reached the sink */
} hook;

static void copy_text(char *d, size_t cap, const char *s, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(d, s, n);
    d[n] = 0;
}

static int hook_record(void *user, const ddbs_record *rec)
{
    hook *h = (hook *)user;
    int k;
    if (h->n < 8) {
        seen_rec *s = &h->r[h->n];
        s->event = rec->event;
        s->ttl = rec->ttl;
        s->index = rec->index;
        copy_text(s->id, sizeof s->id, rec->event_id, rec->event_id_len);
        copy_text(s->seq, sizeof s->seq, rec->sequence, rec->sequence_len);
        copy_text(s->time, sizeof s->time, rec->time, rec->time_len);
        copy_text(s->line, sizeof s->line, rec->line, rec->line_len);
        for (k = 0; k < 3; k++) {
            /* an image must lie inside the line; "-" marks a NULL one */
            if (!rec->image[k])
                strcpy(s->image[k], "-");
            else if (rec->image[k] < rec->line ||
                     rec->image[k] + rec->image_len[k] > rec->line + rec->line_len)
                strcpy(s->image[k], "outside the line");
            else
                copy_text(s->image[k], sizeof s->image[k], rec->image[k], rec->image_len[k]);
        }
    }
    h->n++;
    return h->ret;
}

static int hook_sink(void *user, const char *data, size_t len)
{
    return run_sink(&((hook *)user)->sink, data, len);
}

static ddbs_parser hook_run(const char *in, hook *h, int ret, uint32_t events, int sink)
{
    static char line[DDBS_MIN_BUF];
    ddbs_options o = opt_flags(0);
    ddbs_parser p;
    memset(h, 0, sizeof *h);
    h->ret = ret;
    h->sink.buf = line;
    h->sink.buf_size = sizeof line;
    o.on_record = hook_record;
    o.sink = sink ? hook_sink : NULL;
    o.user = h;
    o.buf = line;
    o.buf_size = sizeof line;
    o.events = events;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    if (ddbs_parser_feed(&p, in, strlen(in)) == DDBS_OK) ddbs_parser_finish(&p);
    return p;
}

Test(output, on_record)
{
    const char *in = J("{'Records':["
        "{'eventName':'INSERT','eventID':'i1','dynamodb':{'SequenceNumber':'100',"
        "'ApproximateCreationDateTime':1480642020,'Keys':{'k':{'S':'a'}}}},"
        "{'eventName':'MODIFY','eventID':'i2','dynamodb':{'OldImage':{'o':{'S':'c'}},"
        "'SequenceNumber':'200','NewImage':{'n':{'S':'b'}},"
        "'ApproximateCreationDateTime':'1.46480646E9','Keys':{'k':{'S':'m'}}}},"
        "{'eventName':'REMOVE','userIdentity':{'type':'Service','principalId':"
        "'dynamodb.amazonaws.com'},'dynamodb':{}}]}");
    hook h;
    ddbs_parser p = hook_run(in, &h, 0, 0, 1);
    cr_expect(p.error == DDBS_OK && h.n == 3, "%s, %zu records", ddbs_strerror(p.error), h.n);
    cr_expect(h.r[0].event == DDBS_EV_INSERT && h.r[0].ttl == 0 && h.r[0].index == 0 &&
              !strcmp(h.r[0].id, "i1") && !strcmp(h.r[0].seq, "100") &&
              !strcmp(h.r[0].time, "1480642020") &&
              !strcmp(h.r[0].line, J("{'eventName':'INSERT','eventID':'i1','SequenceNumber':'100',"
                                     "'ApproximateCreationDateTime':1480642020,'Keys':{'k':'a'}}\n")),
              "1st record: %u %d %llu '%s' '%s' '%s' %s", h.r[0].event, h.r[0].ttl,
              ULL(h.r[0].index), h.r[0].id, h.r[0].seq, h.r[0].time, h.r[0].line);
    cr_expect(!strcmp(h.r[0].image[0], J("{'k':'a'}")) && !strcmp(h.r[0].image[1], "-") &&
              !strcmp(h.r[0].image[2], "-"), "1st record images '%s' '%s' '%s'",
              h.r[0].image[0], h.r[0].image[1], h.r[0].image[2]);
    /* a time written as a string is given without its quotes */
    cr_expect(h.r[1].event == DDBS_EV_MODIFY && h.r[1].index == 1 &&
              !strcmp(h.r[1].time, "1.46480646E9"), "2nd record time '%s'", h.r[1].time);
    /* images given Old, New, Keys are found where the reordered line has them */
    cr_expect(!strcmp(h.r[1].image[0], J("{'k':'m'}")) && !strcmp(h.r[1].image[1], J("{'n':'b'}")) &&
              !strcmp(h.r[1].image[2], J("{'o':'c'}")), "2nd record images '%s' '%s' '%s'",
              h.r[1].image[0], h.r[1].image[1], h.r[1].image[2]);
    cr_expect(h.r[2].event == DDBS_EV_REMOVE && h.r[2].ttl == 1 && h.r[2].index == 2 &&
              h.r[2].id[0] == 0 && h.r[2].seq[0] == 0 && h.r[2].time[0] == 0,
              "3rd record: ttl %d id '%s'", h.r[2].ttl, h.r[2].id);
    /* 0 passes the line on */
    cr_expect(h.sink.lines == 3 && !h.sink.bad_call && p.records_out == 3 &&
              p.bytes_out == h.sink.out_len, "sink lines %zu out %llu", h.sink.lines,
              ULL(p.records_out));
    run_free(&h.sink);
    /* > 0 keeps it: the sink sees nothing, the record counts as delivered */
    p = hook_run(in, &h, 1, 0, 1);
    cr_expect(p.error == DDBS_OK && h.n == 3 && h.sink.lines == 0 && p.records_out == 3,
              "consumed: %zu sink lines, out %llu", h.sink.lines, ULL(p.records_out));
    run_free(&h.sink);
    /* no sink at all is fine with on_record */
    p = hook_run(in, &h, 0, 0, 0);
    cr_expect(p.error == DDBS_OK && h.n == 3, "no sink: %s", ddbs_strerror(p.error));
    /* index counts every record read, filtered ones too */
    p = hook_run(in, &h, 0, DDBS_EV_REMOVE, 1);
    cr_expect(h.n == 1 && h.r[0].index == 2 && p.records_in == 3 && p.records_out == 1,
              "filtered: %zu calls, index %llu", h.n, ULL(h.r[0].index));
    run_free(&h.sink);
    /* < 0 stops */
    p = hook_run(in, &h, -1, 0, 1);
    cr_expect(p.error == DDBS_E_SINK && h.n == 1 && h.sink.lines == 0 && p.records_out == 0,
              "stop: %s", ddbs_strerror(p.error));
    run_free(&h.sink);
    /* INSERT with the TTL identity is not a TTL delete */
    p = hook_run(J("{'eventName':'INSERT','userIdentity':{'type':'Service','principalId':"
                   "'dynamodb.amazonaws.com'},'dynamodb':{}}"), &h, 0, 0, 1);
    cr_expect(h.n == 1 && h.r[0].ttl == 0, "INSERT ttl %d", h.r[0].ttl);
    run_free(&h.sink);
}

/* ------------------------------------------------------------------ payloads ----------- */

/* Base64 of J(json), in a ring buffer. */
static const char *B64(const char *json)
{
    static char ring[8][8192];
    static unsigned next;
    const char *j = J(json);
    return run_b64(j, strlen(j), ring[next++ % 8u]);
}

/* A Kinesis Data Streams record for DynamoDB, as it sits base64-encoded in Kinesis and
   Firehose events: no SequenceNumber, userIdentity null, time in microseconds. */
#define KDS_REC "{'awsRegion':'eu-west-1','eventID':'k1','eventName':'MODIFY','userIdentity':null," \
    "'recordFormat':'application/json','tableName':'T','dynamodb':{'ApproximateCreationDateTime':" \
    "1721011165891550,'ApproximateCreationDateTimePrecision':'MICROSECOND','Keys':{'id':{'S':'1'}}," \
    "'NewImage':{'id':{'S':'1'},'n':{'N':'5'}},'OldImage':{'id':{'S':'1'}},'SizeBytes':60}," \
    "'eventSource':'aws:dynamodb'}"
#define KDS_LINE "{'eventName':'MODIFY','eventID':'k1','ApproximateCreationDateTime':1721011165891550," \
    "'Keys':{'id':'1'},'NewImage':{'id':'1','n':5},'OldImage':{'id':'1'}}\n"

/* A Lambda Kinesis event with the payloads a and b. */
static const char *kinesis_event(const char *a, const char *b)
{
    static char ev[2][16384];
    static unsigned next;
    char *d = ev[next++ % 2u];
    snprintf(d, sizeof ev[0],
             "{\"Records\":[{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\"p\","
             "\"sequenceNumber\":\"49\",\"data\":\"%s\",\"approximateArrivalTimestamp\":1.5},"
             "\"eventSource\":\"aws:kinesis\",\"eventID\":\"shardId-0:49\",\"eventName\":"
             "\"aws:kinesis:record\"},{\"kinesis\":{\"data\":\"%s\"},\"eventName\":"
             "\"aws:kinesis:record\"}]}", a, b);
    return d;
}

static const char *firehose_event(const char *a)
{
    static char ev[16384];
    snprintf(ev, sizeof ev, "{\"invocationId\":\"i\",\"deliveryStreamArn\":\"arn\",\"region\":"
             "\"eu-west-1\",\"records\":[{\"recordId\":\"r1\",\"approximateArrivalTimestamp\":1,"
             "\"data\":\"%s\"}]}", a);
    return ev;
}

/* text with every '/' written as the JSON escape \/ (some encoders do that). */
static const char *escape_slashes(const char *text)
{
    static char ring[4][16384];
    static unsigned next;
    char *d = ring[next++ % 4u], *o = d;
    for (; *text; text++) {
        if (*text == '/') *o++ = '\\';
        *o++ = *text;
    }
    *o = 0;
    return d;
}

/* Where the base64 group holding decoded byte k starts in text (escapes counted). */
static uint64_t group_at(const char *text, uint64_t k)
{
    uint64_t digits = k / 3 * 4, n = 0, i;
    for (i = 0; n < digits; i++)
        if (text[i] != '\\') n++;
    return i;
}

Test(payloads, envelopes)
{
    /* a value whose base64 has a '/' in it */
    const char *slashy = "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'?\?\?'}}}}";
    check_ok("bare KDS record", J(KDS_REC), &no_opt, J(KDS_LINE));
    check_ok("Lambda Kinesis event", kinesis_event(B64(KDS_REC), B64(GOOD_REC)), &no_opt,
             J(KDS_LINE GOOD_LINE));
    check_ok("Firehose event", firehose_event(B64(KDS_REC)), &no_opt, J(KDS_LINE));
    check_ok("Firehose event, two documents in one payload",
             firehose_event(B64(KDS_REC "\n" GOOD_REC)), &no_opt, J(KDS_LINE GOOD_LINE));
    cr_expect(strchr(B64(slashy), '/') != NULL, "the slashy payload has no '/'");
    check_ok("payload with \\/ escapes", kinesis_event(escape_slashes(B64(slashy)), B64(GOOD_REC)),
             &no_opt, J("{'eventName':'INSERT','Keys':{'k':'?\?\?'}}\n" GOOD_LINE));
    check_ok("payload options", kinesis_event(B64(KDS_REC), B64(GOOD_REC)),
             &(ddbs_options){ .shape = DDBS_SHAPE_ITEM, .events = DDBS_EV_MODIFY },
             J("{'id':'1','n':5}\n"));
}

/* Errors inside a payload point at the base64 group that holds the offending byte. */
Test(payloads, errors)
{
    const char *ev, *data;
    uint64_t d0;
    /* not base64 */
    ev = kinesis_event("eyJ!", "");
    check("bad base64 digit", ev, &no_opt, DDBS_E_BASE64, pos(ev, "!"), 1, "");
    /* the document decoded before the bad padding comes first: {} is no stream document */
    ev = kinesis_event("e30=e30=", "");
    check("data after padding", ev, &no_opt, DDBS_E_NOT_STREAM, pos(ev, "e30="), 1, "");
    ev = kinesis_event("eyJ", "");
    check("incomplete group", ev, &no_opt, DDBS_E_BASE64, pos(ev, "eyJ\"") + 3, 1, "");
    data = cat(B64(GOOD_REC), "!AAA");
    ev = firehose_event(data);
    check("record before a bad digit", ev, &no_opt, DDBS_E_BASE64, pos(ev, "!"), 2, J(GOOD_LINE));
    ev = kinesis_event("e3\\n0=", "");
    check("escape other than \\/", ev, &no_opt, DDBS_E_BASE64, pos(ev, "\\n") + 1, 1, "");
    /* base64 of bad JSON: the group of the first bad byte; the record before it is out */
    data = B64(GOOD_REC "\n{'Records':[],'x':01}");
    ev = kinesis_event(data, "");
    d0 = pos(ev, data);
    check("bad JSON inside", ev, &no_opt, DDBS_E_SYNTAX,
          d0 + group_at(data, strlen(J(GOOD_REC "\n{'Records':[],'x':0"))), 2, J(GOOD_LINE));
    data = B64("{'a':1}");
    ev = kinesis_event(data, "");
    check("not a record inside", ev, &no_opt, DDBS_E_NOT_STREAM, pos(ev, data), 1, "");
    data = B64("{'eventName':'DELETE','dynamodb':{}}");
    ev = kinesis_event(data, "");
    check("bad eventName inside", ev, &no_opt, DDBS_E_SCHEMA,
          pos(ev, data) + group_at(data, 13), 1, "");
    data = B64("{'Records':[");
    ev = kinesis_event(data, "");
    check("payload ends inside a document", ev, &no_opt, DDBS_E_TRUNCATED,
          pos(ev, data) + strlen(data), 1, "");
    ev = J("{'Records':[{'kinesis':{'data':5},'eventName':'aws:kinesis:record'}]}");
    check("data not a string", ev, &no_opt, DDBS_E_SCHEMA, pos(ev, "5"), 1, "");
    {
        const char *bad = "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'?\?\?'}}},'x':01}";
        size_t at1 = strlen(J(bad)) - 2;  /* the '1' of 01 */
        data = escape_slashes(B64(bad));
        ev = kinesis_event(data, "");
        check("error after a \\/ escape", ev, &no_opt, DDBS_E_SYNTAX,
              pos(ev, data) + group_at(data, at1), 1, "");
    }
}

/* on_record's time_unit says what the input says about the time's unit. */
typedef struct unit_seen { size_t n; uint32_t unit[4]; } unit_seen;

static int unit_record(void *user, const ddbs_record *rec)
{
    unit_seen *u = (unit_seen *)user;
    if (u->n < 4) u->unit[u->n] = rec->time_unit;
    u->n++;
    return 1;
}

Test(payloads, time_unit)
{
    static char line[DDBS_MIN_BUF];
    const char *in = J(KDS_REC "\n"
                       "{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':1731924555370,"
                       "'ApproximateCreationDateTimePrecision':'MILLISECOND'}}\n"
                       "{'eventName':'INSERT','dynamodb':{'ApproximateCreationDateTime':1480642020}}\n");
    unit_seen u;
    ddbs_options o = opt_flags(0);
    ddbs_parser p;
    memset(&u, 0, sizeof u);
    o.on_record = unit_record;
    o.user = &u;
    o.buf = line;
    o.buf_size = sizeof line;
    memset(&p, 0xA5, sizeof p);
    cr_assert(ddbs_parser_init(&p, &o) == DDBS_OK, "init");
    cr_expect(ddbs_parser_feed(&p, in, strlen(in)) == DDBS_OK, "%s", ddbs_strerror(p.error));
    cr_expect(u.n == 3 && u.unit[0] == 1000000 && u.unit[1] == 1000 && u.unit[2] == 0,
              "%zu records, units %u %u %u", u.n, u.unit[0], u.unit[1], u.unit[2]);
}

/* DynamoDB export lines are read (their output shape is not documented yet, so only the
   values are checked). */
Test(payloads, export_lines)
{
    const char *in = J("{'Item':{'pk':{'S':'a'},'n':{'N':'1'}}}\n"
                       "{'Metadata':{'WriteTimestampMicros':{'N':'1721011165891550'}},"
                       "'Keys':{'pk':{'S':'b'}},'NewImage':{'pk':{'S':'b'}},'OldImage':{'pk':{'S':'c'}}}\n");
    run r = run_str(in, &no_opt);
    cr_expect(r.rc == DDBS_OK && r.records_in == 2 && r.lines == 2, "%s, %llu records",
              ddbs_strerror(r.rc), ULL(r.records_in));
    cr_expect(r.out && strstr(r.out, J("{'pk':'a','n':1}")) && strstr(r.out, J("'OldImage':{'pk':'c'}")),
              "output\n%.*s", (int)r.out_len, r.out ? r.out : "");
    run_free(&r);
}

/* ------------------------------------------------------------------ samples ------------ */

/* Every *.json in tests/data: what it gives with default options. Stream input gives lines
   (compared with tests/expected), including the real KDS capture inside a Lambda Kinesis
   event (dynamodb-stream.json). Kinesis and Firehose wrappers are read and their base64
   "data" parsed: the other samples carry "Hello World"-like payloads, so DDBS_E_SYNTAX at the
   base64 group holding the payload's first byte (the first character of "data"); the SAM
   templates hold "{{{data}}}", not base64; responses and botocore's examples file have no
   stream envelope at all: DDBS_E_NOT_STREAM at the document's first byte (3 after a BOM). */
static const struct sample_case {
    const char *path;
    ddbs_result rc;
    uint64_t offset, record, lines;
} sample_table[] = {
    { "Ankcorn-dynamodb-streams-test/README.md.KEYS_ONLY.INSERT.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.KEYS_ONLY.MODIFY.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.KEYS_ONLY.REMOVE.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_AND_OLD_IMAGES.INSERT.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_AND_OLD_IMAGES.MODIFY.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_AND_OLD_IMAGES.REMOVE.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_IMAGE.INSERT.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_IMAGE.MODIFY.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.NEW_IMAGE.REMOVE.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.OLD_IMAGE.INSERT.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.OLD_IMAGE.MODIFY.json", DDBS_OK, 0, 0, 1 },
    { "Ankcorn-dynamodb-streams-test/README.md.OLD_IMAGE.REMOVE.json", DDBS_OK, 0, 0, 1 },
    { "aws-aws-lambda-dotnet/dynamodb-batchitemfailures-response.json", DDBS_E_NOT_STREAM, 3, 1, 0 },
    { "aws-aws-lambda-dotnet/dynamodb-event.json", DDBS_OK, 0, 0, 2 },
    { "aws-aws-lambda-dotnet/dynamodb-with-ms-event.json", DDBS_OK, 0, 0, 2 },
    { "aws-aws-lambda-dotnet/kinesis-firehose-event.json", DDBS_E_SYNTAX, 347, 1, 0 },
    { "aws-aws-lambda-dotnet/kinesis-firehose-response.json", DDBS_E_SYNTAX, 141, 1, 0 },
    { "aws-aws-lambda-go/dynamodb-event-malformed.2.json", DDBS_E_TRUNCATED, 2968, 2, 1 },
    { "aws-aws-lambda-go/dynamodb-event.json", DDBS_OK, 0, 0, 2 },
    { "aws-aws-lambda-go/dynamodb-time-window-event.json", DDBS_OK, 0, 0, 3 },
    { "aws-aws-lambda-go/kinesis-event.json", DDBS_E_SYNTAX, 187, 1, 0 },
    { "aws-aws-lambda-go/kinesis-firehose-event.json", DDBS_E_SYNTAX, 228, 1, 0 },
    { "aws-aws-lambda-go/kinesis-firehose-response.json", DDBS_E_SYNTAX, 38, 1, 0 },
    { "aws-aws-lambda-java-libs/dynamo_ddb_stream_record.json", DDBS_OK, 0, 0, 1 },
    { "aws-aws-lambda-java-libs/dynamo_event.json", DDBS_OK, 0, 0, 3 },
    { "aws-aws-lambda-java-libs/dynamo_event_roundtrip.json", DDBS_OK, 0, 0, 3 },
    { "aws-aws-lambda-java-libs/dynamo_time_window_event.json", DDBS_OK, 0, 0, 2 },
    { "aws-aws-lambda-java-libs/firehose_event.json", DDBS_E_SYNTAX, 287, 1, 0 },
    { "aws-aws-sam-cli/DynamoDBUpdate.json", DDBS_OK, 0, 0, 3 },
    { "aws-aws-sam-cli/KinesisFirehose.json", DDBS_E_BASE64, 329, 1, 0 },
    { "aws-aws-sam-cli/KinesisFirehoseStreamsAsSource.json", DDBS_E_BASE64, 648, 1, 0 },
    { "aws-powertools-powertools-lambda-java/dynamo_event_big.json", DDBS_OK, 0, 0, 12 },
    { "aws-powertools-powertools-lambda-python/dynamoStreamEvent.json", DDBS_OK, 0, 0, 2 },
    { "aws-powertools-powertools-lambda-python/getting_started_dynamodb_event.json", DDBS_OK, 0, 0, 2 },
    { "aws-powertools-powertools-lambda-python/getting_started_dynamodb_response.json", DDBS_E_NOT_STREAM, 0, 1, 0 },
    { "aws-powertools-powertools-lambda-python/pydantic_dynamodb_event.json", DDBS_OK, 0, 0, 2 },
    { "aws-powertools-powertools-lambda-typescript/base.json", DDBS_OK, 0, 0, 2 },
    { "aws-powertools-powertools-lambda-typescript/dynamodb-stream.json", DDBS_OK, 0, 0, 2 },
    { "aws-powertools-powertools-lambda-typescript/firehose.json", DDBS_E_SYNTAX, 315, 1, 0 },
    { "awsdocs-aws-lambda-developer-guide/dynamodb-record.json", DDBS_OK, 0, 0, 2 },
    { "awsdocs-aws-lambda-developer-guide/firehose-record.json", DDBS_E_SYNTAX, 287, 1, 0 },
    { "awslabs-aws-lambda-rust-runtime/example-dynamodb-event-record-with-optional-fields.json", DDBS_OK, 0, 0, 1 },
    { "boto-botocore/examples-1.json", DDBS_E_NOT_STREAM, 0, 1, 0 },
};

#define N_SAMPLES (sizeof sample_table / sizeof sample_table[0])

/* The table and the directory list the same files, so a new sample cannot go unchecked. */
Test(samples, table_covers_directory)
{
    sample_list l = samples_list();
    size_t k, j;
    cr_assert(l.n > 0, "no samples under %s (run from the repository root)", data_dir());
    cr_expect(l.n == N_SAMPLES, "%zu files, %zu table rows", l.n, N_SAMPLES);
    for (k = 0; k < l.n; k++) {
        for (j = 0; j < N_SAMPLES && strcmp(sample_table[j].path, l.name[k]); j++) {}
        cr_expect(j < N_SAMPLES, "%s is not in the table", l.name[k]);
    }
    samples_free(&l);
}

Test(samples, expected_output)
{
    size_t k;
    for (k = 0; k < N_SAMPLES; k++) {
        const struct sample_case *c = &sample_table[k];
        char path[1024];
        size_t len, want_len = 0;
        char *in = load_sample(c->path, &len), *want;
        run r;
        cr_assert(in, "%s: cannot read", c->path);
        snprintf(path, sizeof path, "tests/expected/%s.ndjson", c->path);
        want = load_file(path, &want_len);
        cr_expect(c->lines == 0 || want, "%s: no expected file %s", c->path, path);
        r = run_whole(in, len, &no_opt);
        cr_expect(r.rc == c->rc, "%s: '%s', want '%s'", c->path, ddbs_strerror(r.rc),
                  ddbs_strerror(c->rc));
        cr_expect(r.error_offset == c->offset && r.error_record == c->record,
                  "%s: at %llu record %llu, want %llu record %llu", c->path,
                  ULL(r.error_offset), ULL(r.error_record), ULL(c->offset), ULL(c->record));
        cr_expect(r.lines == c->lines && r.records_out == c->lines, "%s: %zu lines, want %llu",
                  c->path, r.lines, ULL(c->lines));
        cr_expect(!r.bad_call && !r.not_sticky, "%s: partial line or error not sticky", c->path);
        if (want)
            cr_expect(r.out_len == want_len && (want_len == 0 || memcmp(r.out, want, want_len) == 0),
                      "%s: output differs from %s", c->path, path);
        run_free(&r);
        free(want);
        free(in);
    }
}
