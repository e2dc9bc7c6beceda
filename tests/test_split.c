/* Split invariance: however the input is cut into feed() calls, the parser must report the
   same thing as for one feed: the same output bytes, result code, error_offset, error_record,
   counters and DDBS_F_SKIP_BAD reports. Every sample in tests/data (valid or not) and a set of
   tricky inputs are fed (a) in two pieces cut at every byte, (b) byte by byte, (c) in 50
   random pieces sets from a seeded PRNG, under several option sets. Run from the repository
   root, or set DDBS_DATA. Link with tests/impl.c. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include "run.h"

#define RANDOM_SPLITS 50
#define MAX_RANDOM_CUTS 40

/* xorshift64*: the same sequence on every platform, so a failure can be replayed. */
static uint64_t rng_state;

static void rng_seed(uint64_t s) { rng_state = s ? s : 0x9E3779B97F4A7C15u; }

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The option sets every input is run with. */
typedef struct option_set {
    const char *name;
    ddbs_format format;
    ddbs_shape shape;
    uint32_t flags, events;
    size_t buf_size;
} option_set;

static const option_set sets[] = {
    { "default", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, 0, 0, 0 },
    { "item+meta", DDBS_FORMAT_NDJSON, DDBS_SHAPE_ITEM, DDBS_F_ITEM_META, 0, 0 },
    { "ddb", DDBS_FORMAT_DDB, DDBS_SHAPE_RECORD, 0, 0, 0 },
    { "numbers-as-strings", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_NUMBERS_AS_STRINGS, 0, 0 },
    { "skip-bad", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_SKIP_BAD, 0, 0 },
    /* a small line buffer, and a filter that drops records after their images are staged */
    { "small-buffer+modify", DDBS_FORMAT_NDJSON, DDBS_SHAPE_RECORD, DDBS_F_NO_OLD,
      DDBS_EV_MODIFY | DDBS_EV_REMOVE, DDBS_MIN_BUF },
};

static ddbs_options options_of(const option_set *s)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.format = s->format;
    o.shape = s->shape;
    o.flags = s->flags;
    o.events = s->events;
    o.buf_size = s->buf_size;
    return o;
}

/* Stops at the first difference of each kind, so one bug does not print thousands of
   lines; the message has what is needed to replay it. */
static void check_split(const char *name, const char *in, size_t len, const option_set *set)
{
    ddbs_options o = options_of(set);
    run whole = run_whole(in, len, &o), r;
    char why[160];
    size_t cut, k, cuts[MAX_RANDOM_CUTS];
    cr_expect(!whole.bad_call && !whole.not_sticky, "%s [%s]: whole feed: partial line or "
              "error not sticky", name, set->name);
    for (cut = 1; cut < len; cut++) {
        int bad;
        r = run_pieces(in, len, &o, 0, &cut, 1);
        bad = run_differs(&whole, &r, why, sizeof why);
        run_free(&r);
        if (bad) {
            cr_expect(0, "%s [%s]: cut at byte %zu: %s", name, set->name, cut, why);
            break;
        }
    }
    r = run_pieces(in, len, &o, 1, NULL, 0);
    if (run_differs(&whole, &r, why, sizeof why))
        cr_expect(0, "%s [%s]: byte by byte: %s", name, set->name, why);
    run_free(&r);
    rng_seed(len * 2654435761u + 1);
    for (k = 0; len > 1 && k < RANDOM_SPLITS; k++) {
        size_t n = 1 + (size_t)(rng() % (len - 1 < MAX_RANDOM_CUTS ? len - 1 : MAX_RANDOM_CUTS));
        size_t j, m = 0;
        int bad;
        for (j = 0; j < n; j++) cuts[j] = 1 + (size_t)(rng() % (len - 1));
        qsort(cuts, n, sizeof cuts[0], cmp_size);
        for (j = 0; j < n; j++)
            if (m == 0 || cuts[j] != cuts[m - 1]) cuts[m++] = cuts[j];
        r = run_pieces(in, len, &o, 0, cuts, m);
        bad = run_differs(&whole, &r, why, sizeof why);
        run_free(&r);
        if (bad) {
            cr_expect(0, "%s [%s]: random split %zu (%zu cuts, first at %zu): %s", name,
                      set->name, k, m, cuts[0], why);
            break;
        }
    }
    run_free(&whole);
}

/* ------------------------------------------------------------------ samples ------------ */

static void split_samples(const option_set *set)
{
    sample_list l = samples_list();
    size_t k;
    cr_assert(l.n > 0, "no samples under %s (run from the repository root)", data_dir());
    for (k = 0; k < l.n; k++) {
        size_t len;
        char *in = load_sample(l.name[k], &len);
        cr_assert(in, "cannot read %s", l.name[k]);
        check_split(l.name[k], in, len, set);
        free(in);
    }
    samples_free(&l);
}

Test(split_samples, default_options) { split_samples(&sets[0]); }
Test(split_samples, item_shape) { split_samples(&sets[1]); }
Test(split_samples, ddb_format) { split_samples(&sets[2]); }
Test(split_samples, numbers_as_strings) { split_samples(&sets[3]); }
Test(split_samples, skip_bad) { split_samples(&sets[4]); }
Test(split_samples, small_buffer) { split_samples(&sets[5]); }

/* ------------------------------------------------------------------ tricky inputs ------ */

/* Inputs written with ' for ", like the parser tests; a NUL-free text each. */
static const char *const tricky[] = {
    /* escapes of every kind, a surrogate pair, a lone surrogate, in values, keys, metadata */
    "{'eventName':'INSERT','eventID':'\\u00e9\\\"x','dynamodb':{'NewImage':{'\\u0041b':{'S':"
    "'\\u00e9\\ud83e\\udd8a\\n\\\"\\\\\\/\\b\\f\\r\\t\\ud800'},'c':{'SS':['\\u0000','\\\\']}}}}",
    /* 2-, 3- and 4-byte UTF-8 in values, names, metadata, userIdentity and skipped fields */
    "{'Records':[{'eventName':'MODIFY','eventID':'\xF0\x9F\xA6\x8A','userIdentity':{'type':"
    "'Service','\xC3\xA9':'\xE2\x82\xAC'},'x\xF0\x9F\xA6\x8A':'\xF4\x8F\xBF\xBF\xED\x9F\xBF',"
    "'dynamodb':{'Keys':{'\xC3\xA9':{'S':'\xE2\x82\xAC\xF0\x9F\xA6\x8A\xC2\x80'}},"
    "'NewImage':{'k':{'L':[{'S':'\xEF\xBF\xBF'},{'SS':['\xF0\x90\x80\x80']}]}}}}]}",
    /* numbers of every form, where the chunk edge can fall inside them */
    "{'Records':[{'eventName':'MODIFY','dynamodb':{'ApproximateCreationDateTime':"
    "1.635734407123456789E9,'NewImage':{'a':{'N':'12345678901234567890123456789012345678'},"
    "'b':{'N':'-0.5e+10'},'c':{'NS':['1E-130','9.9999999999999999999999999999999999999E+125',"
    "'-0','0.0']}},'OldImage':{'a':{'N':'0'}},'SizeBytes':1234567890123,'z':-1.5E-3},"
    "'n':[0,-0,1e5,2E+3,3.25,-7]}],'m':12345}",
    /* sets: escapes, UTF-8, an element past 64 bytes, N forms, padding, empty, inside L and
       M, spaces and newlines around elements; then bad elements after good ones */
    "{'eventName':'INSERT','dynamodb':{'NewImage':{'ss':{'SS':['a','\\u00e9\\n\\\"',"
    "'\xC3\xA9\xE2\x82\xAC','0123456789012345678901234567890123456789012345678901234567890123456789\\t']},"
    "'ns':{'NS':['1','-2.5','3E+7','12345678901234567890123456789012345678']},'bs':{'BS':['AA==',"
    "'QUJD','']},'e':{'SS':[]},'l':{'L':[{'NS':['7']},{'M':{'s':{'SS':['x']}}}]}}}}\n"
    "{'eventName':'MODIFY','dynamodb':{'NewImage':{'ss':{'SS': [ 'a' , 'b' ]},'ns':{\n 'NS' : [\n"
    "  '1',\n  '2'\n ]\n}}}}\n{'eventName':'INSERT','dynamodb':{'NewImage':{'a':{'NS':['1','01']}}}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'BS':['AA==','A']}}}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'SS':['x','y\x01']}}}}",
    /* literals everywhere */
    "{'eventName':'REMOVE','t':true,'f':false,'n':null,'userIdentity':{'a':[true,false,null]},"
    "'dynamodb':{'OldImage':{'b':{'BOOL':true},'c':{'BOOL':false},'d':{'NULL':true},"
    "'e':{'L':[{'NULL':true},{'BOOL':false}]}},'Keys':null,'NewImage':null,"
    "'ApproximateCreationDateTime':null}}",
    /* BOM, blank lines, NDJSON, pretty with CRLF, concatenated documents */
    "\xEF\xBB\xBF\r\n{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'1'}}}}]}\n"
    "{\r\n  'eventName' : 'MODIFY' ,\r\n  'dynamodb' : { 'NewImage' : { 'k' : { 'N' : '2' } } }"
    "\r\n}{'eventName':'REMOVE','dynamodb':{'OldImage':{'k':{'B':'AA=='}}}}  \t\n",
    /* images and metadata in the least convenient order, time as a string */
    "{'dynamodb':{'OldImage':{'o':{'S':'c'}},'ApproximateCreationDateTime':'1.46480646E9',"
    "'NewImage':{'n':{'M':{'x':{'BS':['AAAA','QQ==']}}}},'SequenceNumber':'99','Keys':"
    "{'k':{'S':'a'}}},'userIdentity':{'principalId':'dynamodb.amazonaws.com','type':'Service'},"
    "'eventID':'e','eventName':'REMOVE'}",
    /* a tumbling-window event and a GetRecords response */
    "{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'Id':{'N':'101'}}}}],'window':"
    "{'start':'2020-07-30T17:00:00Z','end':'2020-07-30T17:05:00Z'},'state':{'1':'s'},"
    "'isFinalInvokeForWindow':false}{'Records':[],'NextShardIterator':'x|1|A'}",
    /* type-tag-looking keys in skipped places */
    "{'x':{'S':5,'N':[],'Records':{}},'Records':[{'eventName':'INSERT','NewImage':1,"
    "'dynamodb':{'q':{'M':[]},'Keys':{'k':{'S':'a'}}}}]}",
    /* errors at various places, each after a good record */
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':[1,]}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':01}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\\x'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\\u12G4'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xF0\x9F\x41'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xED\xA0\x80'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[],'x':'\xE0\x9F\xBF'}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'N':'1.5e+'}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'B':'AAA'}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'INSERT','dynamodb':"
    "{'NewImage':{'a':{'S':'x','N':'1'}}}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'eventName':'DELETE',"
    "'dynamodb':{}}\n{'eventName':'MODIFY','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'a':1}{'eventName':'MODIFY',"
    "'dynamodb':{}}\n[1]\n{'eventName':'REMOVE','dynamodb':{}}",
    "{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}}\n{'Records':[{'eventName':"
    "'INSERT'\n{'eventName':'MODIFY','dynamodb':{}}\n",
    "\xEF\xBB\x00{}",
    "{'Records':[]}\xEF\xBB\xBF{'Records':[]}",
    /* input ending inside a string, an escape, a number, a literal, a UTF-8 sequence */
    "{'Records':[{'eventName':'INSERT','dynamodb':{'Keys':{'k':{'S':'a'}}}},{'eventName':'IN",
    "{'Records':[],'x':'\\u00",
    "{'Records':[],'x':-12.5e",
    "{'Records':[],'x':nul",
    "{'Records':[],'x':'\xF0\x9F\xA6",
    "\xEF\xBB",
};

/* Payload documents for Kinesis and Firehose events. */
static const char kds[] =
    "{\"awsRegion\":\"eu-west-1\",\"eventID\":\"k1\",\"eventName\":\"REMOVE\",\"userIdentity\":"
    "{\"type\":\"Service\",\"principalId\":\"dynamodb.amazonaws.com\"},\"recordFormat\":"
    "\"application/json\",\"tableName\":\"T\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
    "1721011165891550,\"ApproximateCreationDateTimePrecision\":\"MICROSECOND\",\"Keys\":"
    "{\"id\":{\"S\":\"\xF0\x9F\xA6\x8A\"}},\"OldImage\":{\"id\":{\"S\":\"1\"},\"n\":{\"N\":\"-5e3\"}},"
    "\"SizeBytes\":60},\"eventSource\":\"aws:dynamodb\"}";
static const char kds_twice[] =
    "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":{\"S\":\"x\"}}}}\n"
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"a\":{\"N\":\"2\"}}}}";
static const char kds_bad[] =
    "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":{\"S\":\"x\"}}}}\n"
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"a\":{\"N\":\"02\"}}}}";
static const char kds_cut[] = "{\"eventName\":\"MODIFY\",\"dynamodb\":{";
/* its base64 has '/' in it */
static const char slashy[] =
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"?\?\?\"}}}}";

/* Base64 of text, with '/' written \/ when escape is set; in a ring of buffers. */
static const char *b64(const char *text, int escape)
{
    static char ring[4][8192];
    static unsigned next;
    char plain[8192], *d = ring[next++ % 4u], *o = d;
    const char *q;
    run_b64(text, strlen(text), plain);
    for (q = plain; *q; q++) {
        if (escape && *q == '/') *o++ = '\\';
        *o++ = *q;
    }
    *o = 0;
    return d;
}

/* Generated inputs: nesting at and past the limit, values long enough to overflow a
   DDBS_MIN_BUF line or a metadata field, base64 payloads, export lines. */
static char *generated(int k, size_t *len)
{
    size_t n, i, cap = 16384;
    char *b = (char *)malloc(cap);
    char *p = b;
    if (!b) abort();
    switch (k) {
    case 0: case 1:  /* DDBS_MAX_DEPTH levels (fine), then one more (E_DEPTH) */
        n = DDBS_MAX_DEPTH - 1 + (size_t)k;
        p += sprintf(p, "{\"Records\":[],\"x\":");
        for (i = 0; i < n; i++) *p++ = '[';
        for (i = 0; i < n; i++) *p++ = ']';
        p += sprintf(p, "}");
        break;
    case 2:  /* 32 levels of M, the DynamoDB limit */
        p += sprintf(p, "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":");
        for (i = 0; i < 32; i++) p += sprintf(p, "{\"M\":{\"m\":");
        p += sprintf(p, "{\"L\":[{\"N\":\"1\"}]}");
        for (i = 0; i < 32; i++) p += sprintf(p, "}}");
        p += sprintf(p, "}}}");
        break;
    case 3:  /* a line too big for DDBS_MIN_BUF after a small one */
        p += sprintf(p, "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}\n"
                        "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":{\"S\":\"");
        for (i = 0; i < 5000; i++) *p++ = (char)('a' + i % 26);
        p += sprintf(p, "\"}}}}\n{\"eventName\":\"REMOVE\",\"dynamodb\":{}}");
        break;
    case 4:  /* a number too big for DDBS_MIN_BUF, in a list */
        p += sprintf(p, "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"a\":{\"L\":[");
        for (i = 0; i < 400; i++) p += sprintf(p, "%s{\"N\":\"1234567890.5\"}", i ? "," : "");
        p += sprintf(p, "]}}}}");
        break;
    case 5:  /* metadata over its room: eventID, SequenceNumber, time */
        p += sprintf(p, "{\"eventName\":\"INSERT\",\"eventID\":\"");
        for (i = 0; i < 200; i++) *p++ = (char)('0' + i % 10);
        p += sprintf(p, "\",\"dynamodb\":{}}\n{\"eventName\":\"INSERT\",\"dynamodb\":"
                        "{\"ApproximateCreationDateTime\":");
        for (i = 0; i < 100; i++) *p++ = '7';
        p += sprintf(p, "}}");
        break;
    case 6:  /* a long string with escapes and UTF-8 in a skipped field */
        p += sprintf(p, "{\"Records\":[],\"x\":\"");
        for (i = 0; i < 300; i++) p += sprintf(p, i % 3 ? "\\u00e9\xC3\xA9" : "\\n\xF0\x9F\xA6\x8A");
        p += sprintf(p, "\"}");
        break;
    case 7:  /* a Lambda Kinesis event: KDS records base64-encoded, one with \/ escapes */
        p += sprintf(p, "{\"Records\":[{\"kinesis\":{\"partitionKey\":\"p\",\"data\":\"%s\","
                        "\"approximateArrivalTimestamp\":1.5},\"eventName\":\"aws:kinesis:record\"},",
                     b64(kds, 0));
        p += sprintf(p, "{\"kinesis\":{\"data\":\"%s\"},\"eventName\":\"aws:kinesis:record\"}]}",
                     b64(slashy, 1));
        break;
    case 8:  /* a Firehose event whose payload holds two documents */
        p += sprintf(p, "{\"invocationId\":\"i\",\"records\":[{\"recordId\":\"1\",\"data\":"
                        "\"%s\"},{\"recordId\":\"2\",\"data\":\"%s\"}]}",
                     b64(kds_twice, 0), b64(slashy, 0));
        break;
    case 9:  /* errors inside payloads: bad JSON after a good record, bad digit, cut document */
        p += sprintf(p, "{\"records\":[{\"data\":\"%s\"}]}\n", b64(kds_bad, 1));
        p += sprintf(p, "{\"records\":[{\"data\":\"%s\"}]}\n", b64(slashy, 0));
        break;
    case 10:
        p += sprintf(p, "{\"records\":[{\"data\":\"%s!AAA\"}]}\n", b64(slashy, 0));
        p += sprintf(p, "{\"records\":[{\"data\":\"%s\"}]}\n", b64(kds_cut, 0));
        p += sprintf(p, "{\"records\":[{\"data\":\"%s\"}]}\n", b64(slashy, 0));
        break;
    case 11:  /* the input ends inside a payload */
        p += sprintf(p, "{\"records\":[{\"data\":\"%s", b64(kds_twice, 0));
        break;
    case 12:  /* DynamoDB export lines, full and incremental */
        p += sprintf(p, "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}\n"
                        "{\"Metadata\":{\"WriteTimestampMicros\":{\"N\":\"1721011165891550\"}},"
                        "\"Keys\":{\"pk\":{\"S\":\"b\"}},\"OldImage\":{\"pk\":{\"S\":\"c\"}}}\n");
        break;
    default:
        free(b);
        return NULL;
    }
    *len = (size_t)(p - b);
    return b;
}

/* J: ' to ", into a fresh buffer. */
static char *unquote(const char *src, size_t *len)
{
    size_t n = strlen(src), i;
    char *d = (char *)malloc(n + 1);
    if (!d) abort();
    for (i = 0; i <= n; i++) d[i] = src[i] == '\'' ? '"' : src[i];
    *len = n;
    return d;
}

static void split_tricky(const option_set *set)
{
    size_t k, len;
    char name[64];
    char *in;
    for (k = 0; k < sizeof tricky / sizeof tricky[0]; k++) {
        in = unquote(tricky[k], &len);
        snprintf(name, sizeof name, "tricky[%zu]", k);
        check_split(name, in, len, set);
        free(in);
    }
    /* the bad BOM has a NUL: its length is given */
    check_split("bad BOM with NUL", "\xEF\xBB\x00{}", 5, set);
    for (k = 0; (in = generated((int)k, &len)) != NULL; k++) {
        snprintf(name, sizeof name, "generated[%zu]", k);
        check_split(name, in, len, set);
        free(in);
    }
}

Test(split_tricky, default_options) { split_tricky(&sets[0]); }
Test(split_tricky, item_shape) { split_tricky(&sets[1]); }
Test(split_tricky, ddb_format) { split_tricky(&sets[2]); }
Test(split_tricky, numbers_as_strings) { split_tricky(&sets[3]); }
Test(split_tricky, skip_bad) { split_tricky(&sets[4]); }
Test(split_tricky, small_buffer) { split_tricky(&sets[5]); }

/* The harness itself: two runs that differ must be told apart, or every test above would
   pass vacuously. */
Test(split_harness, detects_differences)
{
    ddbs_options o;
    run a, b;
    char why[160];
    const char *x = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"a\"}}}}";
    const char *y = "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"k\":{\"S\":\"b\"}}}}";
    memset(&o, 0, sizeof o);
    a = run_str(x, &o);
    b = run_str(y, &o);
    cr_expect(run_differs(&a, &b, why, sizeof why) == 1, "different output not seen");
    run_free(&b);
    b = run_str("{\"Records\":[],\"x\":01}", &o);
    cr_expect(run_differs(&a, &b, why, sizeof why) == 1, "different result not seen");
    run_free(&b);
    b = run_str(x, &o);
    cr_expect(run_differs(&a, &b, why, sizeof why) == 0, "same run differs: %s", why);
    run_free(&a);
    run_free(&b);
}
