/* ddbstream.h v0.1.0 - DynamoDB change data to NDJSON, CSV, typed JSON; no heap, no recursion
   License: MIT, see the end of this file.
                                             In ONE .c file: #define DDBSTREAM_IMPLEMENTATION
                                                             #include "ddbstream.h"
     static int out(void *user, const char *s, size_t n)
     { return fwrite(s, 1, n, (FILE *)user) == n ? 0 : -1; }

     static char line[1 << 20];                // one output line is staged here
     ddbs_options o = {0};
     o.sink = out; o.user = stdout; o.buf = line; o.buf_size = sizeof line;
     ddbs_parser p;
     ddbs_result rc = ddbs_parser_init(&p, &o);
     while (rc == DDBS_OK && (n = fread(in, 1, sizeof in, stdin)) > 0)
         rc = ddbs_parser_feed(&p, in, n);     // a chunk may end anywhere
     if (rc == DDBS_OK)
         rc = ddbs_parser_finish(&p);          // catches input cut mid-value
     if (rc != DDBS_OK)
         fprintf(stderr, "ddbs: %s at byte %llu\n", ddbs_strerror(rc),
                 (unsigned long long)p.error_offset);

   Input: a stream of JSON documents (NDJSON, pretty printed or concatenated, optional BOM):
   Lambda DynamoDB stream events {"Records":[...]}, GetRecords responses, bare stream records,
   Kinesis Data Streams records for DynamoDB, Lambda Kinesis and Firehose events (base64
   payloads decoded and parsed in place), DynamoDB export lines. Output: one line per selected
   record (README.md has the contract); optional layers pack lines into objects of at most N
   bytes (chunker), BatchWriteItem bodies, or a Firehose response.

   Order inside: scanner, record assembler, emitters (NDJSON, typed, CSV), time, chunker,
   batch writer, Firehose response.

   Options: DDBS_STATIC (off) and DDBS_MAX_DEPTH (96) in every file; DDBS_ASSERT(x),
   DDBS_MEMCPY, DDBS_MEMMOVE, DDBS_MEMSET, DDBS_NO_SIMD in the implementation file.
   Guarantees: no allocation, no recursion, no stdio, no pointer kept into the caller's input
   between calls; needs only memcpy/memmove/memset. */
#ifndef DDBSTREAM_H
#define DDBSTREAM_H

#define DDBS_VERSION_MAJOR 0
#define DDBS_VERSION_MINOR 1
#define DDBS_VERSION_PATCH 0
#define DDBS_VERSION_STRING "0.1.0"

#include <stddef.h>
#include <stdint.h>

#if !defined(DDBS_API) && defined(DDBS_STATIC)
#define DDBS_API static
#elif !defined(DDBS_API)
#define DDBS_API extern
#endif

#ifndef DDBS_MAX_DEPTH  /* DynamoDB nests 32 levels, two JSON levels each, plus ~5 envelope */
#define DDBS_MAX_DEPTH 96
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Every result code with its message: one list, so they never drift apart. */
#define DDBS__RESULTS(R) \
    R(OK, "no error") \
    R(E_ARG, "invalid argument") \
    R(E_SYNTAX, "malformed JSON") \
    R(E_TRUNCATED, "input ended inside a document") \
    R(E_DEPTH, "nested too deep") \
    R(E_UTF8, "invalid UTF-8") \
    R(E_NOT_STREAM, "document is not a DynamoDB stream event or record") \
    R(E_SCHEMA, "stream record field has the wrong type or is missing") \
    R(E_ATTR, "invalid AttributeValue") \
    R(E_NUMBER, "invalid number text in N") \
    R(E_BASE64, "invalid base64 (a B value or a payload)") \
    R(E_FIELD_TOO_LONG, "record metadata field too long") \
    R(E_LINE_TOO_BIG, "record does not fit the line buffer") \
    R(E_SINK, "sink stopped the run") \
    R(E_OBJECT_TOO_BIG, "one line is larger than max_object_bytes") \
    R(E_NO_IMAGE, "record lacks the image this output needs")
#define DDBS__ENUM(name, text) DDBS_##name,
typedef enum ddbs_result { DDBS__RESULTS(DDBS__ENUM) DDBS__RESULT_COUNT } ddbs_result;
#undef DDBS__ENUM

typedef enum ddbs_format {
    DDBS_FORMAT_NDJSON = 0,   /* plain values: {"S":"x"} -> "x" */
    DDBS_FORMAT_DDB,          /* typed DynamoDB JSON as written, minified */
    DDBS_FORMAT_CSV           /* RFC 4180, columns from ddbs_options.columns */
} ddbs_format;

typedef enum ddbs_shape {
    DDBS_SHAPE_RECORD = 0,    /* {"eventName":..,"Keys":{..},"NewImage":{..},"OldImage":{..}} */
    DDBS_SHAPE_ITEM           /* the item alone: NewImage, OldImage for REMOVE, else Keys */
} ddbs_shape;

/* Event bits, for ddbs_options.events and ddbs_record.event; 0 in options means all. */
#define DDBS_EV_INSERT 1u
#define DDBS_EV_MODIFY 2u
#define DDBS_EV_REMOVE 4u

/* ddbs_options.flags; 0 is the default for each. */
#define DDBS_F_NO_KEYS            0x01u  /* record shape: leave out Keys */
#define DDBS_F_NO_NEW             0x02u  /* record shape: leave out NewImage */
#define DDBS_F_NO_OLD             0x04u  /* record shape: leave out OldImage */
#define DDBS_F_NUMBERS_AS_STRINGS 0x08u  /* N as "123" instead of 123 */
#define DDBS_F_TTL_ONLY           0x10u  /* only REMOVEs by TTL (userIdentity dynamodb service) */
#define DDBS_F_ITEM_META          0x20u  /* item shape: add _eventName, _eventID, ... first */
#define DDBS_F_SKIP_BAD           0x40u  /* on bad input: report, drop the document, go on */
#define DDBS_F_PARSE_ONLY         0x80u  /* validate and count records, write nothing */
#define DDBS_F_CRLF              0x100u  /* CSV: CRLF line ends instead of LF */
#define DDBS_F_CSV_SAFE          0x200u  /* CSV: S, B, metadata cells starting = + - @ tab CR get a ' */
#define DDBS_F_NO_HEADER         0x400u  /* CSV: no header row (the chunker writes its own) */

/* CSV columns at most; a column is an attribute name of the item, or one of eventName,
   eventID, SequenceNumber, ApproximateCreationDateTime. */
#define DDBS_MAX_COLUMNS 64

/* Smallest staging buffer: it also holds the record's metadata while the line is built. */
#define DDBS_MIN_BUF 4096u

/* Receives finished output: one call per whole line. Non-zero stops the run (DDBS_E_SINK). */
typedef int (*ddbs_sink_fn)(void *user, const char *data, size_t len);

/* One selected record, as handed to ddbs_options.on_record. Pointers are valid during the
   call only. Text fields are as written in the input (JSON escapes kept, no quotes). */
typedef struct ddbs_record {
    const char *line;           /* the finished output line, ending in '\n' */
    size_t line_len;
    unsigned event;             /* DDBS_EV_INSERT, _MODIFY or _REMOVE */
    int ttl;                    /* 1: a REMOVE made by DynamoDB TTL */
    const char *event_id;       size_t event_id_len;      /* empty when absent */
    const char *sequence;       size_t sequence_len;      /* empty when absent */
    const char *time;           size_t time_len;          /* ApproximateCreationDateTime */
    uint64_t index;             /* 0-based position among all records read */
    uint32_t time_unit;         /* 1, 1000 or 1000000 when the input says (Kinesis precision,
                                   export micros); 0: guess (see ddbs_time_seconds) */
    const char *image[3];       /* record shape: Keys, NewImage, OldImage objects inside the */
    size_t image_len[3];        /* line (plain or typed, as the format says), or NULL */
} ddbs_record;

/* Called for each selected record before the sink: return 0 to pass the line on to the
   sink, > 0 to consume it here, < 0 to stop the run with DDBS_E_SINK. */
typedef int (*ddbs_record_fn)(void *user, const ddbs_record *rec);

/* With DDBS_F_SKIP_BAD: called once per dropped document, with where it went wrong. */
typedef void (*ddbs_error_fn)(void *user, ddbs_result rc, uint64_t offset, uint64_t record);

/* Firehose transformation events: called after each of its records (a "part"), with its
   recordId as written, DDBS_OK or why its payload did not convert, and how many lines it
   gave. When set, a bad payload fails only its part: the run goes on with the next. */
typedef int (*ddbs_part_fn)(void *user, const char *record_id, size_t id_len, ddbs_result rc,
                            uint64_t lines);

typedef struct ddbs_options {
    ddbs_sink_fn sink;        /* receives every output line; may be NULL if on_record is set */
    void *user;               /* passed to the callbacks untouched */
    char *buf;                /* required: staging buffer for one output line */
    size_t buf_size;          /* >= DDBS_MIN_BUF; a line larger than this is an error */
    ddbs_format format;       /* default DDBS_FORMAT_NDJSON */
    ddbs_shape shape;         /* default DDBS_SHAPE_RECORD */
    uint32_t flags;           /* DDBS_F_* bits */
    uint32_t events;          /* DDBS_EV_* mask; 0 = all */
    ddbs_record_fn on_record; /* optional */
    ddbs_error_fn on_error;   /* optional; used with DDBS_F_SKIP_BAD */
    const char *const *columns; /* CSV: column names (UTF-8), kept alive by the caller */
    size_t ncolumns;          /* CSV: 1..DDBS_MAX_COLUMNS */
    ddbs_part_fn on_part;     /* optional: Firehose records; non-zero return: DDBS_E_SINK */
} ddbs_options;

/* Internal sizes, fixed so the parser struct has one size everywhere. */
#define DDBS__TOK_CAP 40      /* longest envelope key we match, with room to spare */
#define DDBS__CARRY 4096      /* chunks under DDBS__CARRY_MIN bytes gather up to this: a scan
                                 of 1 KiB costs 27% more per byte than one of 64 KiB, 4 KiB 8% */
#define DDBS__CARRY_MIN 64
/* Offsets inside a base64 payload: decoded bytes in the low 40 bits, \/ escapes before
   them in the top 24. Exact for payloads under 1 TiB with under 16 M escapes; past that
   an error offset inside the payload is approximate (the error itself is not). */
#define DDBS__KESC_SHIFT 40
#define DDBS__KDEC_MASK (((uint64_t)1 << DDBS__KESC_SHIFT) - 1)
#define DDBS__KESC_MAX (((uint32_t)1 << (64 - DDBS__KESC_SHIFT)) - 1)
#define DDBS__CT_PLAIN 0x80u  /* CSV cell type flag: taken whole by the fast path, so it holds
                                 no '"', backslash or control byte */
#define DDBS__META_CAP 768    /* eventName 32, eventID 128, SequenceNumber 64, time 64,
                                 userIdentity 480 bytes at most, as written */

/* Scanner position; a parser has a second one for documents inside base64 payloads. */
typedef struct ddbs__scan {
    uint64_t tok_off, doc_off;     /* where the current token and document started */
    uint16_t hexv, hisur;          /* \uXXXX being read; a high surrogate waiting for its pair */
    uint16_t sflags;               /* DDBS__SF_*: what to do with the current string */
    uint8_t st, depth, next, nst, b64, u8need, u8lo, u8hi, hexn, lit, litn, toklen;
    uint8_t doc_records;
    uint8_t stack[DDBS_MAX_DEPTH];
    char tok[DDBS__TOK_CAP];
} ddbs__scan;

typedef struct ddbs_parser {
    /* public, read-only */
    ddbs_result error;        /* first error; sticky */
    uint64_t error_offset;    /* byte offset of the first error in the whole stream */
    uint64_t error_record;    /* 1-based index of the record being read at that point */
    uint64_t offset;          /* bytes given to feed so far */
    uint64_t records_in;      /* stream records read */
    uint64_t records_out;     /* lines delivered */
    uint64_t bytes_out;       /* bytes delivered */
    uint64_t documents;       /* JSON documents read */
    uint64_t skipped;         /* documents dropped by DDBS_F_SKIP_BAD */
    /* internal from here on: may change in any release */
    ddbs_options opt;
    ddbs__scan sc;            /* where the scanner is */
    ddbs__scan outer;         /* the outer document's, while a base64 payload is read */
    size_t out_len, seg_beg[3], seg_end[3];
    uint32_t seen;
    uint16_t mlen[5];
    uint8_t dst, ev, in_record, img, col, ctype, header_sent, imgwant;
    uint8_t kind;             /* record: stream, full export line, incremental export line */
    uint8_t kds;              /* a Kinesis Data Streams record: times in ms unless it says */
    uint8_t evbad;            /* eventName not INSERT/MODIFY/REMOVE: an error if it is a record */
    uint8_t nested;           /* reading a base64 payload: no payloads inside it */
    uint8_t kn, kpad, kesc;   /* base64 payload: characters in the group, '=' seen, after '\\' */
    uint8_t last_byte;        /* of the previous chunk: is a resync already at a line start? */
    uint32_t tunit, kacc, kescs;  /* time unit; base64 bits; \/ escapes in the payload so far */
    uint64_t ev_off, kdata_off, kdec;  /* eventName value; payload start; bytes decoded */
    size_t kbn;
    unsigned char kbuf[192];  /* decoded payload bytes waiting for the scanner */
    uint8_t part_rc, drain;   /* Firehose part: first error; skipping the rest of its payload */
    uint16_t rid_len;
    uint64_t part_out;        /* records_out when the part began */
    char rid[256];            /* its recordId, as written */
    uint64_t done;            /* bytes run through the scanner; offset less the carry */
    uint64_t carry_lim;       /* a 1-byte chunk joins the carry while offset is under this:
                                 done + DDBS__CARRY - 1, or 0 after an error */
    unsigned char carry[DDBS__CARRY];  /* small chunks gathered before they are scanned */
    uint32_t kpos;            /* CSV: bytes of the attribute name matched so far */
    uint64_t cand;            /* CSV: columns the attribute name may still be */
    char meta[DDBS__META_CAP];
    char scratch[128];        /* a metadata value unescaped */
    uint32_t collen[DDBS_MAX_COLUMNS];
    uint64_t colhash[64];     /* CSV: attribute columns by a hash of their name's length and ends */
    uint8_t colmeta[DDBS_MAX_COLUMNS];                      /* 1 + meta field, or 0 */
    uint8_t celltype[3][DDBS_MAX_COLUMNS];  /* tag, DDBS__CT_PLAIN if the fast path took it */
    ddbs_record rec;          /* the record being delivered */
    uint32_t cell[3][DDBS_MAX_COLUMNS][2];                  /* staged cell per image */
    uint64_t cellset[3];                                    /* its columns with a cell */
    uint8_t indent[32];       /* pretty input: the indent last seen at each level (mod 32) */
} ddbs_parser;
typedef char ddbs__depth_fits_u8[(DDBS_MAX_DEPTH > 0 && DDBS_MAX_DEPTH < 256) ? 1 : -1];

/* Checks the options, copies them and resets the parser. Returns DDBS_OK or DDBS_E_ARG
   (NULL p or opt, no sink and no on_record, buf NULL or smaller than DDBS_MIN_BUF). */
DDBS_API ddbs_result ddbs_parser_init(ddbs_parser *p, const ddbs_options *opt);

/* Consumes len bytes; the chunk may end anywhere, even inside a token. Calls the sink for
   each finished line. Returns DDBS_OK or the first error, which stays (later calls return it
   again). Chunks under 64 bytes are gathered into up to 4 KiB before they are scanned, so
   an error in them may show in a later call or in ddbs_parser_finish; output, offsets and
   counts are the same however the input is cut. NULL data with len 0 is a no-op. */
DDBS_API ddbs_result ddbs_parser_feed(ddbs_parser *p, const void *data, size_t len);

/* Ends the input: DDBS_E_TRUNCATED if it stopped inside a document. */
DDBS_API ddbs_result ddbs_parser_finish(ddbs_parser *p);

/* Message for a result code; never NULL. */
DDBS_API const char *ddbs_strerror(ddbs_result r);

/* SequenceNumber (as written) of the record being read, e.g. after an error; *len 0 if none. */
DDBS_API const char *ddbs_parser_sequence(const ddbs_parser *p, size_t *len);

/* The CSV header row of these options (with its line end) written to dst if it fits in cap.
   Returns its length, or 0 if the options have no valid columns. */
DDBS_API size_t ddbs_csv_header(const ddbs_options *opt, char *dst, size_t cap);

/* ---- time: ApproximateCreationDateTime to UTC, integer arithmetic only -------------------- */

/* Whole seconds since 1970 from the time text (integer, decimal or E-notation, as written;
   quotes allowed). unit: 0 = guess from size (< 1e12 seconds, < 1e15 milliseconds, else
   microseconds), or 1, 1000, 1000000 to say it. Returns 0, or -1 if it is not such a time
   (negative, malformed, or past year 292 billion). Never goes through a double. */
DDBS_API int ddbs_time_seconds(const char *text, size_t len, uint32_t unit, int64_t *secs);

/* UTC calendar fields of secs >= 0 (proleptic Gregorian). */
DDBS_API void ddbs_civil(int64_t secs, int64_t *year, int *month, int *day, int *hour);

/* ---- chunker: finished lines into objects of at most N bytes ----------------------------- */

#define DDBS_DEFAULT_OBJECT_BYTES 4194304u  /* 4 MiB, the limit of the pipelines it replaces */
#define DDBS_CF_HOURLY 1u                   /* start a new object when the UTC hour changes */

/* Receives one finished object and its name; non-zero stops the run (DDBS_E_SINK). */
typedef int (*ddbs_flush_fn)(void *user, const char *name, const char *data, size_t len);

typedef struct ddbs_chunker_options {
    ddbs_flush_fn flush;      /* required */
    void *user;
    char *buf;                /* required: holds one object, >= max_object_bytes */
    size_t buf_size;
    size_t max_object_bytes;  /* default DDBS_DEFAULT_OBJECT_BYTES */
    uint32_t max_records;     /* records per object at most; 0 = no limit */
    uint32_t flags;           /* DDBS_CF_* */
    const char *prefix;       /* put before every name, at most 256 bytes; NULL = none */
    const char *ext;          /* name extension; NULL = "ndjson" */
    const char *header;       /* written first in every object (the CSV header), or NULL */
    size_t header_len;
} ddbs_chunker_options;

typedef struct ddbs_chunker {
    ddbs_result error;        /* first error; sticky */
    uint64_t error_record;    /* ddbs_record.index of the record it concerns: the line too
                                 big, or the first record of the object not stored */
    char error_sequence[64];  /* and its name key: SequenceNumber, else eventID, else index */
    uint64_t objects, bytes, records;  /* flushed so far */
    /* internal */
    ddbs_chunker_options opt;
    size_t len, prefix_len, ext_len;
    uint32_t nrec;
    uint64_t first_index;     /* ddbs_record.index of the object's first record */
    int64_t hour;             /* UTC hour of the object's first record; -1 if undated */
    char first[64], last[64];
    uint8_t first_len, last_len, unordered;
    char name[512];
} ddbs_chunker;

/* Checks and copies the options. DDBS_E_ARG for a missing flush or buf, a buf smaller than
   max_object_bytes, a header larger than it, or a prefix over 256 bytes. */
DDBS_API ddbs_result ddbs_chunker_init(ddbs_chunker *c, const ddbs_chunker_options *opt);

/* Adds one record's line; has the shape of ddbs_record_fn, so set on_record to it and user
   to the chunker. Flushes the object first when the line does not fit, the record count is
   reached or (DDBS_CF_HOURLY) the hour changes. A line that cannot fit even an empty object
   flushes what came before, then fails with DDBS_E_OBJECT_TOO_BIG. Returns 1 (line taken)
   or -1 (error in c->error; the parser then stops with DDBS_E_SINK). */
DDBS_API int ddbs_chunker_add(void *chunker, const ddbs_record *rec);

/* Flushes the last object, if any. Returns DDBS_OK or the first error. */
DDBS_API ddbs_result ddbs_chunker_finish(ddbs_chunker *c);

/* ---- batch writer: records into DynamoDB BatchWriteItem request bodies ------------------- */

#define DDBS_BATCH_MAX 25              /* requests per BatchWriteItem call */
#define DDBS_BATCH_BYTES 16777216u     /* request size DynamoDB accepts */
#define DDBS_BF_DELETE 1u              /* every record deletes its Keys ("a new item here
                                          removes its twin there") */

typedef struct ddbs_batch_options {
    ddbs_sink_fn sink;        /* required: one body per call, a JSON line ending in '\n' */
    void *user;
    char *buf;                /* required: holds one body; a body never exceeds buf_size */
    size_t buf_size;          /* >= 4096; more than DDBS_BATCH_BYTES is not used */
    const char *table;        /* required: [A-Za-z0-9_.-]{3,255} */
    uint32_t flags;           /* DDBS_BF_* */
} ddbs_batch_options;

typedef struct ddbs_batch {
    ddbs_result error;        /* first error; sticky */
    uint64_t error_record;    /* ddbs_record.index it concerns */
    uint64_t bodies, requests;
    /* internal */
    ddbs_batch_options opt;
    size_t len, table_len;
    uint32_t n;
    uint64_t key[DDBS_BATCH_MAX];  /* key hashes of the requests in the body */
} ddbs_batch;

/* Checks and copies the options; DDBS_E_ARG if one is missing or the table name is not
   a DynamoDB table name. */
DDBS_API ddbs_result ddbs_batch_init(ddbs_batch *b, const ddbs_batch_options *opt);

/* Adds one record as a PutRequest of its NewImage (INSERT, MODIFY) or a DeleteRequest of its
   Keys (REMOVE, or every record with DDBS_BF_DELETE). Needs the parser in DDBS_FORMAT_DDB,
   record shape. A body goes to the sink when it holds 25 requests, when the next request
   does not fit, or when the next request is for a key already in it (DynamoDB rejects such
   a batch whole), so order is kept. Has the shape of ddbs_record_fn: returns 1, or -1 with
   b->error set (DDBS_E_NO_IMAGE, DDBS_E_LINE_TOO_BIG, DDBS_E_SINK). */
DDBS_API int ddbs_batch_add(void *batch, const ddbs_record *rec);

/* Sends the last body, if any. Returns DDBS_OK or the first error. */
DDBS_API ddbs_result ddbs_batch_finish(ddbs_batch *b);

/* ---- Firehose response: {"records":[{"recordId":..,"result":..,"data":base64(lines)}]} ---- */

#define DDBS_FIREHOSE_BYTES 6291456u   /* 6 MiB: what a Lambda function may answer */

typedef struct ddbs_firehose {
    ddbs_result error;        /* DDBS_E_ARG at init, or DDBS_E_SINK */
    uint32_t ok, dropped, failed;      /* parts answered each way */
    /* internal */
    ddbs_sink_fn sink;
    void *user;
    char *buf;
    size_t cap, hard, len, entry;  /* data stops at cap; answers at hard; entry: where the
                                      current part's answer starts */
    uint8_t open, carry_n, full;
    unsigned char carry[3];   /* bytes waiting for a whole base64 group */
} ddbs_firehose;

/* buf (cap bytes, at most DDBS_FIREHOSE_BYTES used) holds the response; the sink gets it
   whole from ddbs_firehose_finish. DDBS_E_ARG if sink or buf is missing or cap < 4096. */
DDBS_API ddbs_result ddbs_firehose_init(ddbs_firehose *f, ddbs_sink_fn sink, void *user,
                                        char *buf, size_t cap);

/* As ddbs_options.on_record (user = the ddbs_firehose): the line joins its part's data. */
DDBS_API int ddbs_firehose_add(void *firehose, const ddbs_record *rec);

/* As ddbs_options.on_part: answers the part "Ok" with its lines, "Dropped" when the filters
   left none, "ProcessingFailed" (data "") when it did not convert or would pass the 6 MiB
   limit; Firehose then keeps the original record in its error output. */
DDBS_API int ddbs_firehose_part(void *firehose, const char *record_id, size_t id_len,
                                ddbs_result rc, uint64_t lines);

/* Closes the response and hands it to the sink. Returns DDBS_OK or the error. */
DDBS_API ddbs_result ddbs_firehose_finish(ddbs_firehose *f);

#ifdef __cplusplus
}
#endif
#endif /* DDBSTREAM_H */

#if defined(DDBSTREAM_IMPLEMENTATION) && !defined(DDBSTREAM_IMPLEMENTATION_DONE)
#define DDBSTREAM_IMPLEMENTATION_DONE

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__ == 0
#define DDBS__FREESTANDING 1
#endif
#ifndef DDBS_ASSERT
#ifdef DDBS__FREESTANDING
#define DDBS_ASSERT(x) ((void)0)
#else
#include <assert.h>
#define DDBS_ASSERT(x) assert(x)
#endif
#endif
#if !defined(DDBS_MEMCPY) || !defined(DDBS_MEMMOVE) || !defined(DDBS_MEMSET)
#ifdef DDBS__FREESTANDING
/* Byte loops: a freestanding compiler may still turn them into mem* calls, which is all a
   freestanding target is expected to provide. */
static void ddbs__memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = (unsigned char *)d;
    const unsigned char *sp = (const unsigned char *)s;
    if (dp < sp) { while (n--) *dp++ = *sp++; }
    else { while (n) { n--; dp[n] = sp[n]; } }
}
static void ddbs__memset(void *d, int c, size_t n)
{
    unsigned char *dp = (unsigned char *)d;
    while (n--) *dp++ = (unsigned char)c;
}
#ifndef DDBS_MEMCPY
#define DDBS_MEMCPY ddbs__memmove
#endif
#ifndef DDBS_MEMMOVE
#define DDBS_MEMMOVE ddbs__memmove
#endif
#ifndef DDBS_MEMSET
#define DDBS_MEMSET ddbs__memset
#endif
#else
#include <string.h>
#ifndef DDBS_MEMCPY
#define DDBS_MEMCPY memcpy
#endif
#ifndef DDBS_MEMMOVE
#define DDBS_MEMMOVE memmove
#endif
#ifndef DDBS_MEMSET
#define DDBS_MEMSET memset
#endif
#endif
#endif

/* DDBS_SMALL (the default with -Os) leaves out the fast paths: the state machine alone gives
   the same output, at about half the speed, in less code. */
#if !defined(DDBS_SMALL) && defined(__OPTIMIZE_SIZE__)
#define DDBS_SMALL 1
#endif

#if (defined(__SSE2__) || defined(_M_X64)) && !defined(DDBS_NO_SIMD)
#include <emmintrin.h>
#define DDBS__SSE2 1
#endif

/* A few small helpers sit on the hottest paths, where a call costs more than they do.
   DDBS__LINE_ALIGNED starts a function on a cache line: the 1-byte path of
   ddbs_parser_feed ran 18% slower when a build happened to place it across two. */
#if defined(__GNUC__) || defined(__clang__)
#define DDBS__NOINLINE __attribute__((noinline))
#ifndef DDBS_SMALL  /* small builds leave inlining to the compiler */
#define DDBS__INLINE __attribute__((always_inline)) inline
#define DDBS__LINE_ALIGNED __attribute__((aligned(64)))
#endif
#endif
#ifndef DDBS__INLINE
#define DDBS__INLINE inline
#endif
#ifndef DDBS__NOINLINE
#define DDBS__NOINLINE
#endif
#ifndef DDBS__LINE_ALIGNED
#define DDBS__LINE_ALIGNED
#endif
#if defined(__GNUC__) || defined(__clang__)
#define DDBS__LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define DDBS__LIKELY(x) (x)
#endif

/* ---------------------------------------------------------------- scanner ------------ */

#if defined(__GNUC__) || defined(__clang__)
#define DDBS__CTZ(m) ((unsigned)__builtin_ctz(m))
#endif

#ifndef DDBS_SMALL
static unsigned ddbs__ctz64(uint64_t m)  /* m != 0 */
{
#if defined(DDBS__CTZ) && UINTPTR_MAX > 0xFFFFFFFFu
    return (unsigned)__builtin_ctzll(m);
#elif defined(DDBS__CTZ)  /* 32-bit targets: two 32-bit counts, no runtime helper */
    return (uint32_t)m ? DDBS__CTZ((uint32_t)m) : 32u + DDBS__CTZ((uint32_t)(m >> 32));
#else
    unsigned c = 0;
    while (!(m & 1u)) { m >>= 1; c++; }
    return c;
#endif
}
#endif

/* First s[j] == c in s[j..n), or n. */
static size_t ddbs__find(const char *s, size_t j, size_t n, char c)
{
#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
    const __m128i cc = _mm_set1_epi8(c);
    for (; n - j >= 16; j += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + j)), cc));
        if (m) return j + DDBS__CTZ(m);
    }
#endif
    while (j < n && s[j] != c) j++;
    return j;
}

/* 4 bytes as a little-endian number, the same value on every target (one load on most). */
#define DDBS__LE4(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
static uint32_t ddbs__ld4(const unsigned char *s) { return DDBS__LE4(s[0], s[1], s[2], s[3]); }
static DDBS__INLINE uint64_t ddbs__ld8(const unsigned char *s)
{
    return ddbs__ld4(s) | (uint64_t)ddbs__ld4(s + 4) << 32;
}

/* Where feed() resumes. */
enum {
    DDBS__S_BOM0, DDBS__S_BOM1, DDBS__S_BOM2,
    DDBS__S_TOP,        /* between documents */
    DDBS__S_VALUE,      /* a value must come */
    DDBS__S_OBJ_FIRST,  /* after '{': key or '}' */
    DDBS__S_KEY,        /* after ',' in an object: key */
    DDBS__S_COLON,      /* after a key */
    DDBS__S_ARR_FIRST,  /* after '[': value or ']' */
    DDBS__S_AFTER,      /* after a value inside a container: ',' or close */
    DDBS__S_STR, DDBS__S_ESC, DDBS__S_UHEX, DDBS__S_UTF8,
    DDBS__S_NUM, DDBS__S_LIT,
    DDBS__S_RESYNC,     /* --skip-bad: looking for a newline ... */
    DDBS__S_RESYNC_NL,  /* ... followed by '{' */
    DDBS__S_KDATA       /* in a base64 payload (Kinesis, Firehose): decoded and parsed */
};

/* What a value (or, for containers, each member) means: the record assembler's grammar. */
enum {
    DDBS__R_SKIP,       /* unknown field: validated, not kept */
    DDBS__R_RAW,        /* copied minified (inside userIdentity) */
    DDBS__R_UID,        /* userIdentity: object copied to the metadata */
    DDBS__R_UIDOBJ,     /* the userIdentity object itself */
    DDBS__R_DOC,        /* top-level object: an event or a bare record */
    DDBS__R_RECORDS,    /* "Records" array */
    DDBS__R_RECORD,
    DDBS__R_DDB,        /* "dynamodb" object */
    DDBS__R_IMG_KEYS, DDBS__R_IMG_NEW, DDBS__R_IMG_OLD,  /* in this order: image index */
    DDBS__R_IMAGE,      /* an open image object: attribute name -> AttributeValue */
    DDBS__R_MAP,        /* the object inside M: same grammar as an image */
    DDBS__R_AV,         /* AttributeValue object before its type tag */
    DDBS__R_AV_DONE,    /* ... after it: only '}' may follow */
    DDBS__R_LIST, DDBS__R_SS, DDBS__R_NS, DDBS__R_BS,
    DDBS__R_V_S, DDBS__R_V_N, DDBS__R_V_B, DDBS__R_V_BOOL, DDBS__R_V_NULL,
    DDBS__R_KREC,       /* Lambda Kinesis record: its "kinesis" holds the payload */
    DDBS__R_KINESIS,    /* the "kinesis" object */
    DDBS__R_FRECORDS,   /* Firehose "records" array */
    DDBS__R_FREC,       /* one Firehose record */
    DDBS__R_KDATA,      /* base64 "data": documents inside */
    DDBS__R_XMETA,      /* incremental export "Metadata" */
    DDBS__R_XWTS,       /* its WriteTimestampMicros: {"N":"..."} */
    DDBS__R_F_EVNAME, DDBS__R_F_EVID, DDBS__R_F_SEQ, DDBS__R_F_TIME,  /* same order as meta */
    DDBS__R_F_WTS,      /* the N text of WriteTimestampMicros, kept as the time */
    DDBS__R_F_PREC,     /* ApproximateCreationDateTimePrecision */
    DDBS__R_F_RID       /* Firehose recordId */
};
#define DDBS__ARR 0x80u   /* stack entry bit: the container is an array */

/* Metadata fields kept in the parser while the record's images are staged in buf. */
enum { DDBS__M_EVNAME, DDBS__M_EVID, DDBS__M_SEQ, DDBS__M_TIME, DDBS__M_UID };
static const uint16_t ddbs__moff[5] = { 0, 32, 160, 224, 288 };
static const uint16_t ddbs__mcap[5] = { 32, 128, 64, 64, 480 };

/* Output destination of the bytes being copied. */
enum { DDBS__D_NONE, DDBS__D_LINE, DDBS__D_META };

/* String handling bits, chosen when the string starts. */
#define DDBS__SF_OUT   0x01u  /* copy to the destination */
#define DDBS__SF_QUOTE 0x02u  /* with its quotes */
#define DDBS__SF_CAP   0x04u  /* keep the first DDBS__TOK_CAP bytes in tok, to match keys */
#define DDBS__SF_NUM   0x08u  /* content must be a JSON number (N) */
#define DDBS__SF_B64   0x10u  /* content must be base64 (B) */
#define DDBS__SF_KEY   0x20u
#define DDBS__SF_DECODE 0x40u /* CSV: write the text the escapes stand for, as UTF-8 */
#define DDBS__SF_MATCH 0x80u  /* CSV: compare the decoded name with the columns */
#define DDBS__SF_RID  0x100u  /* the Firehose recordId, kept as written */

/* Record fields seen, to reject duplicates and find what is missing. */
#define DDBS__SEEN_EVNAME  0x002u
#define DDBS__SEEN_EVID    0x004u
#define DDBS__SEEN_DDB     0x008u
#define DDBS__SEEN_UID     0x010u
#define DDBS__SEEN_KEYS    0x020u
#define DDBS__SEEN_NEW     0x040u
#define DDBS__SEEN_OLD     0x080u
#define DDBS__SEEN_SEQ     0x100u
#define DDBS__SEEN_TIME    0x200u
#define DDBS__SEEN_PREC    0x400u
#define DDBS__SEEN_XMETA   0x800u

/* What kind of record a document or Records element turned out to be. */
enum { DDBS__K_STREAM, DDBS__K_FULL, DDBS__K_INCR };

/* The line is built at buf + DDBS__HEAD; the metadata prefix is written just before it at
   the end, so fields may arrive in any order and still leave in a fixed one without moving
   the images. The longest prefix is below 900 bytes. */
#define DDBS__HEAD 1024u

/* JSON number grammar as a table: state x character class. Used for bare numbers and for
   the text of N. Accepting states: 2 (0), 3 (int), 5 (fraction), 8 (exponent). */
static const uint8_t ddbs__numtab[9][7] = {
    /*  other  '-'   '+'   '0'   1-9   '.'   e/E */
    { 0xFF,    1, 0xFF,    2,    3, 0xFF, 0xFF },  /* 0 start */
    { 0xFF, 0xFF, 0xFF,    2,    3, 0xFF, 0xFF },  /* 1 after '-' */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,    4,    6 },  /* 2 after leading 0 */
    { 0xFF, 0xFF, 0xFF,    3,    3,    4,    6 },  /* 3 integer digits */
    { 0xFF, 0xFF, 0xFF,    5,    5, 0xFF, 0xFF },  /* 4 after '.' */
    { 0xFF, 0xFF, 0xFF,    5,    5, 0xFF,    6 },  /* 5 fraction digits */
    { 0xFF,    7,    7,    8,    8, 0xFF, 0xFF },  /* 6 after e */
    { 0xFF, 0xFF, 0xFF,    8,    8, 0xFF, 0xFF },  /* 7 after exponent sign */
    { 0xFF, 0xFF, 0xFF,    8,    8, 0xFF, 0xFF },  /* 8 exponent digits */
};
#define DDBS__NUM_ACCEPTS(st) ((0x12Cu >> (st)) & 1u)

/* Byte classes: bits 0-2 the number class, bit 3 set for base64 letters. */
static const uint8_t ddbs__cls[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,8|2,0,1,5,8,  8|3,8|4,8|4,8|4,8|4,8|4,8|4,8|4,8|4,8|4,0,0,0,0,0,0,
    0,8,8,8,8,8|6,8,8,8,8,8,8,8,8,8,8, 8,8,8,8,8,8,8,8,8,8,8,0,0,0,0,0,
    0,8,8,8,8,8|6,8,8,8,8,8,8,8,8,8,8, 8,8,8,8,8,8,8,8,8,8,8,0,0,0,0,0,
};
static unsigned ddbs__numcls(unsigned c) { return ddbs__cls[c] & 7u; }

static int ddbs__is_ws(unsigned c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static int ddbs__is_b64(unsigned c) { return (ddbs__cls[c] & 8u) != 0; }

/* Base64 as DynamoDB writes it: groups of four, '=' padding only at the end.
   States 0-3: position in the group; 4: one '=' seen, one more due; 5: padded, done. */
static int ddbs__b64_step(uint8_t *st, unsigned c)
{
    if (ddbs__is_b64(c) && *st < 4) { *st = (uint8_t)((*st + 1u) & 3u); return 0; }
    if (c == '=' && (*st == 2 || *st == 3 || *st == 4)) {
        *st = (uint8_t)(*st == 2 ? 4 : 5);
        return 0;
    }
    return -1;
}

/* First position at or after j holding '"', '\\', a control byte or a non-ASCII byte. */
static size_t ddbs__scan_str(const unsigned char *s, size_t j, size_t n)
{
#ifdef DDBS__SSE2
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (n - j >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        /* signed compare: bytes >= 0x80 are negative, so one test catches them and < 0x20 */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
                                 _mm_cmplt_epi8(x, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
#if defined(__GNUC__) || defined(__clang__)
            return j + (size_t)__builtin_ctz(mask);
#else
            while (!(mask & 1u)) { mask >>= 1; j++; }
            return j;
#endif
        }
        j += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (n - j >= 8) {
        uint64_t x, a, b;
        DDBS_MEMCPY(&x, s + j, 8);
        a = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((a - ones) & ~a) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high)
            break;
        j += 8;
    }
#endif
    while (j < n) {
        unsigned c = s[j];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        j++;
    }
    return j;
}

/* First non-whitespace position at or after i (s[i] is whitespace): pretty-printed events
   are one-third indentation, so runs are skipped 16 bytes at a time where SSE2 is there. */
static size_t ddbs__skip_ws(const unsigned char *s, size_t i, size_t n)
{
#ifdef DDBS__SSE2
    const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');
    while (n - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tab)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m) ^ 0xFFFFu;
        if (mask) {
#if defined(__GNUC__) || defined(__clang__)
            return i + (size_t)__builtin_ctz(mask);
#else
            while (!(mask & 1u)) { mask >>= 1; i++; }
            return i;
#endif
        }
        i += 16;
    }
#endif
    while (i < n && ddbs__is_ws(s[i])) i++;
    return i;
}

/* Valid byte ranges after a UTF-8 lead byte (RFC 3629: no overlongs, no surrogates, no
   code points past U+10FFFF). Returns the number of continuation bytes, or -1. */
static int ddbs__u8lead(unsigned c, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80; *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) return 1;
    if (c == 0xE0) { *lo = 0xA0; return 2; }
    if (c == 0xED) { *hi = 0x9F; return 2; }
    if (c >= 0xE1 && c <= 0xEF) return 2;
    if (c == 0xF0) { *lo = 0x90; return 3; }
    if (c >= 0xF1 && c <= 0xF3) return 3;
    if (c == 0xF4) { *hi = 0x8F; return 3; }
    return -1;
}

/* ------------------------------------------------------------ record assembler -------- */

DDBS_API const char *ddbs_strerror(ddbs_result r)
{
#define DDBS__TEXT(name, text) text,
    static const char *const text[] = { DDBS__RESULTS(DDBS__TEXT) };
#undef DDBS__TEXT
    return (unsigned)r < (unsigned)DDBS__RESULT_COUNT ? text[r] : "unknown ddbs_result";
}

static size_t ddbs__strlen(const char *z)
{
    size_t n = 0;
    while (z[n]) n++;
    return n;
}

/* n / d, and n % d in *rem if rem is set. On 32-bit targets the / operator on 64 bits
   calls a runtime helper (__aeabi_uldivmod, __udivdi3) that a freestanding build may not
   link: there the high half takes a 32-bit divide and the low half 32 shift-subtract
   steps. Used off the hot path only (times, names, error offsets). */
static uint64_t ddbs__div(uint64_t n, uint32_t d, uint32_t *rem)
{
#if UINTPTR_MAX > 0xFFFFFFFFu
    if (rem) *rem = (uint32_t)(n % d);
    return n / d;
#else
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qlo = 0, r = hi % d;
    int i;
    for (i = 31; i >= 0; i--) {
        uint32_t carry = r >> 31;  /* r < d, so 2r + 1 needs 33 bits: keep the top one */
        r = (r << 1) | ((lo >> i) & 1u);
        if (carry || r >= d) {
            r -= d;  /* wraps back to the 33-bit difference, which is < d */
            qlo |= 1u << i;
        }
    }
    if (rem) *rem = r;
    return (uint64_t)(hi / d) << 32 | qlo;
#endif
}

/* Short copies into the line: 16-byte blocks when both sides have room for whole blocks,
   else memcpy. d has dn bytes of room from it, s has sn readable bytes. */
static DDBS__INLINE void ddbs__copy(char *d, const unsigned char *s, size_t n, size_t dn,
                                    size_t sn)
{
#ifdef DDBS__SSE2
    if (n <= 64 && dn >= 64 && sn >= 64) {  /* bytes past n are written, then overwritten */
        _mm_storeu_si128((__m128i *)(void *)d, _mm_loadu_si128((const __m128i *)(const void *)s));
        _mm_storeu_si128((__m128i *)(void *)(d + 16),
                         _mm_loadu_si128((const __m128i *)(const void *)(s + 16)));
        _mm_storeu_si128((__m128i *)(void *)(d + 32),  /* always: no branch on the length */
                         _mm_loadu_si128((const __m128i *)(const void *)(s + 32)));
        _mm_storeu_si128((__m128i *)(void *)(d + 48),
                         _mm_loadu_si128((const __m128i *)(const void *)(s + 48)));
        return;
    }
#else
    (void)dn; (void)sn;
#endif
    DDBS_MEMCPY(d, s, n);
}

/* n bytes from s to d for the short names and values of a line's prefix: two overlapping
   fixed-size moves, where a memcpy call (or the rep movsq gcc puts in for one) costs more
   than the copy itself at these lengths. */
static DDBS__INLINE void ddbs__copy_short(char *d, const char *s, size_t n)
{
#ifdef DDBS__SSE2
    if (n - 8 <= 8) {  /* 8..16 */
        __m128i a = _mm_loadl_epi64((const __m128i *)(const void *)s),
                b = _mm_loadl_epi64((const __m128i *)(const void *)(s + n - 8));
        _mm_storel_epi64((__m128i *)(void *)d, a);
        _mm_storel_epi64((__m128i *)(void *)(d + n - 8), b);
        return;
    }
    if (n - 16 <= 16) {  /* 16..32 */
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s),
                b = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)d, a);
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), b);
        return;
    }
#endif
    DDBS_MEMCPY(d, s, n);
}

static int ddbs__put(ddbs_parser *p, const char *s, size_t n)
{
    if (p->dst == DDBS__D_LINE) {
        /* two bytes stay free for the closing "}\n" */
        if (n > p->opt.buf_size - 2 - p->out_len) return DDBS_E_LINE_TOO_BIG;
        DDBS_MEMCPY(p->opt.buf + p->out_len, s, n);
        p->out_len += n;
    } else if (p->dst >= DDBS__D_META) {
        unsigned k = p->dst - DDBS__D_META;
        if (n > (size_t)(ddbs__mcap[k] - p->mlen[k])) return DDBS_E_FIELD_TOO_LONG;
        DDBS_MEMCPY(p->meta + ddbs__moff[k] + p->mlen[k], s, n);
        p->mlen[k] = (uint16_t)(p->mlen[k] + n);
    }
    return 0;
}

static int ddbs__put1(ddbs_parser *p, char c)
{
    if (p->dst == DDBS__D_LINE && p->out_len < p->opt.buf_size - 2) {
        p->opt.buf[p->out_len++] = c;
        return 0;
    }
    return ddbs__put(p, &c, 1);
}

/* Bytes the current destination still takes. */
static size_t ddbs__room(const ddbs_parser *p)
{
    return p->dst == DDBS__D_LINE ? p->opt.buf_size - 2 - p->out_len :
           (size_t)(ddbs__mcap[p->dst - DDBS__D_META] - p->mlen[p->dst - DDBS__D_META]);
}

/* Copies input bytes s[0..n) that start at stream offset at; on overflow the error offset is
   the first byte that did not fit, whatever the chunking. */
static int ddbs__put_in(ddbs_parser *p, const unsigned char *s, size_t n, uint64_t at,
                        uint64_t *err_at)
{
    int e = ddbs__put(p, (const char *)s, n);
    if (e) *err_at = at + ddbs__room(p);
    return e;
}

static int ddbs__putz(ddbs_parser *p, const char *z)
{
    size_t n = 0;
    while (z[n]) n++;
    return ddbs__put(p, z, n);
}

/* Is the key t (tn bytes) the literal z? Lengths first: most keys fail there. */
#define DDBS__KEY_IS(z) (tn == sizeof(z) - 1 && ddbs__same(t, z, sizeof(z) - 1))
static DDBS__INLINE int ddbs__same(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i;
    if (n < 4)  /* first, middle and last byte cover all of 1 to 3 */
        return n == 0 || (x[0] == y[0] && x[n >> 1] == y[n >> 1] && x[n - 1] == y[n - 1]);
    if (n <= 8)  /* the first and last 4 bytes cover all of 4 to 8 */
        return ((ddbs__ld4(x) ^ ddbs__ld4(y)) | (ddbs__ld4(x + n - 4) ^ ddbs__ld4(y + n - 4))) == 0;
    /* 8 at a time, the last 8 overlapping: one step for up to 16, the usual name */
    for (i = 0; i + 8 < n; i += 8)
        if (ddbs__ld8(x + i) != ddbs__ld8(y + i)) return 0;
    return ddbs__ld8(x + n - 8) == ddbs__ld8(y + n - 8);
}

/* Bucket of a column name: most attribute names then meet one column or none. */
static unsigned ddbs__colh(const char *z, size_t n)
{
    return n ? (unsigned)((n * 7u + (unsigned char)z[0] * 3u + (unsigned char)z[n - 1]) & 63u) : 0u;
}

static unsigned ddbs__hex4(const char *h)
{
    unsigned v = 0, k;
    for (k = 0; k < 4; k++)
        v = v << 4 | (unsigned)(h[k] <= '9' ? h[k] - '0' : (h[k] | 0x20) - 'a' + 10);
    return v;
}

/* The text a whole, valid JSON string body stands for, as UTF-8 (a lone surrogate becomes
   U+FFFD). Never longer than the body, so d may be as small as n. */
static size_t ddbs__unescape(const char *s, size_t n, char *d)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t cp;
        size_t r = ddbs__find(s, i, n, '\\');  /* the text up to the next escape in one copy */
        DDBS_MEMCPY(d + o, s + i, r - i);
        o += r - i;
        if ((i = r) == n) break;
        if (s[i + 1] != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            unsigned k = 0;
            while (from[k] != s[i + 1]) k++;
            d[o++] = to[k];
            i += 2;
            continue;
        }
        cp = ddbs__hex4(s + i + 2);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            unsigned lo = ddbs__hex4(s + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
                i += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        if (cp < 0x80) {
            d[o++] = (char)cp;
        } else if (cp < 0x800) {
            d[o++] = (char)(0xC0 | (cp >> 6));
            d[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            d[o++] = (char)(0xE0 | (cp >> 12));
            d[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            d[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            d[o++] = (char)(0xF0 | (cp >> 18));
            d[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            d[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            d[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return o;
}

static unsigned ddbs__top(const ddbs_parser *p) { return p->sc.stack[p->sc.depth - 1] & 0x7Fu; }

static int ddbs__push(ddbs_parser *p, unsigned role)
{
    if (p->sc.depth >= DDBS_MAX_DEPTH) return DDBS_E_DEPTH;
    p->sc.stack[p->sc.depth++] = (uint8_t)role;
    return 0;
}

static void ddbs__record_begin(ddbs_parser *p)
{
    p->in_record = 1;
    p->seen = 0;
    p->ev = 0;
    p->evbad = 0;
    p->kind = DDBS__K_STREAM;
    p->kds = 0;
    p->tunit = 0;
    DDBS_MEMSET(p->mlen, 0, sizeof p->mlen);
    DDBS_MEMSET(p->seg_beg, 0, sizeof p->seg_beg);
    DDBS_MEMSET(p->seg_end, 0, sizeof p->seg_end);
    p->out_len = DDBS__HEAD;
}

static const char *const ddbs__img_name[3] = { "Keys", "NewImage", "OldImage" };
static const uint8_t ddbs__img_len[3] = { 4, 8, 8 };

/* CSV: is the value starting now a whole cell, i.e. a top-level attribute of an image? */
static int ddbs__in_cell(const ddbs_parser *p)
{
    return p->opt.format == DDBS_FORMAT_CSV && p->sc.depth >= 2 &&
           (p->sc.stack[p->sc.depth - 1] & 0x7Fu) == DDBS__R_AV_DONE &&
           (p->sc.stack[p->sc.depth - 2] & 0x7Fu) == DDBS__R_IMAGE;
}

/* A value starts; p->sc.next says what it must be. kind: '{' '[' '"' '0' (number) 't' 'f' 'n'.
   Returns 0 or an error for a value of the wrong kind. */
static int ddbs__begin(ddbs_parser *p, unsigned kind)
{
    unsigned r = p->sc.next, typed = p->opt.format == DDBS_FORMAT_DDB;
    int obj = kind == '{', arr = kind == '[', str = kind == '"';
    switch (r) {
    case DDBS__R_SKIP:
        p->sc.sflags = 0;
        return obj ? ddbs__push(p, r) : arr ? ddbs__push(p, r | DDBS__ARR) : 0;
    case DDBS__R_RAW:
        p->sc.sflags = DDBS__SF_OUT | DDBS__SF_QUOTE;
        if (obj || arr) {
            int e = ddbs__push(p, r | (arr ? DDBS__ARR : 0u));
            return e ? e : ddbs__put1(p, obj ? '{' : '[');
        }
        return 0;
    case DDBS__R_UID:
        if (kind == 'n') return 0;
        if (!obj) return DDBS_E_SCHEMA;
        p->dst = DDBS__D_META + DDBS__M_UID;
        p->mlen[DDBS__M_UID] = 0;
        {
            int e = ddbs__push(p, DDBS__R_UIDOBJ);
            return e ? e : ddbs__put1(p, '{');
        }
    case DDBS__R_RECORDS:
        return arr ? ddbs__push(p, r | DDBS__ARR) : DDBS_E_SCHEMA;
    case DDBS__R_RECORD:
        if (!obj) return DDBS_E_SCHEMA;
        ddbs__record_begin(p);
        return ddbs__push(p, r);
    case DDBS__R_DDB:
        return obj ? ddbs__push(p, r) : DDBS_E_SCHEMA;
    case DDBS__R_IMG_KEYS: case DDBS__R_IMG_NEW: case DDBS__R_IMG_OLD: {
        unsigned k = r - DDBS__R_IMG_KEYS;
        int want, e;
        if (kind == 'n') return 0;
        if (!obj) return DDBS_E_SCHEMA;
        want = p->opt.shape == DDBS_SHAPE_ITEM || p->opt.format == DDBS_FORMAT_CSV ||
               !(p->opt.flags & (DDBS_F_NO_KEYS << k));
        if (p->opt.flags & DDBS_F_PARSE_ONLY) want = 0;
        if (p->ev && p->opt.events && !(p->opt.events & p->ev)) want = 0;  /* known dropped */
        /* item shape and CSV use NewImage, or OldImage for a REMOVE: once the event is known,
           the other one need not be staged */
        if (p->ev && (p->opt.shape == DDBS_SHAPE_ITEM || p->opt.format == DDBS_FORMAT_CSV) &&
            k == (p->ev == DDBS_EV_REMOVE ? 1u : 2u))
            want = 0;
        e = ddbs__push(p, DDBS__R_IMAGE);
        if (e) return e;
        p->img = (uint8_t)k;
        p->imgwant = (uint8_t)want;
        if (!want) { p->dst = DDBS__D_NONE; return 0; }
        if (p->opt.format == DDBS_FORMAT_CSV) {
            /* attributes are staged as cells, one at a time, when a column wants them */
            p->dst = DDBS__D_NONE;
            p->seg_beg[k] = 1;
            p->cellset[k] = 0;
            return 0;
        }
        p->dst = DDBS__D_LINE;
        p->seg_beg[k] = p->out_len;
        if ((e = ddbs__put(p, ",\"", 2)) != 0 || (e = ddbs__put(p, ddbs__img_name[k], ddbs__img_len[k])) != 0)
            return e;
        return ddbs__put(p, "\":{", 3);
    }
    case DDBS__R_FREC:
        if (!obj) return DDBS_E_SCHEMA;
        p->part_rc = 0;
        p->rid_len = 0;
        p->part_out = p->records_out;
        return ddbs__push(p, r);
    case DDBS__R_F_RID:
        if (!str) return DDBS_E_SCHEMA;
        p->sc.sflags = DDBS__SF_RID;
        p->rid_len = 0;
        return 0;
    case DDBS__R_KINESIS: case DDBS__R_XMETA: case DDBS__R_XWTS:
        return obj ? ddbs__push(p, r) : DDBS_E_SCHEMA;
    case DDBS__R_FRECORDS:
        return arr ? ddbs__push(p, r | DDBS__ARR) : DDBS_E_SCHEMA;
    case DDBS__R_KDATA:
        return str ? 0 : DDBS_E_SCHEMA;
    case DDBS__R_F_PREC:
        if (!str) return DDBS_E_SCHEMA;
        p->sc.sflags = DDBS__SF_CAP | DDBS__SF_DECODE;
        p->sc.toklen = 0;
        return 0;
    case DDBS__R_F_WTS:
        if (!str) return DDBS_E_SCHEMA;
        p->dst = DDBS__D_META + DDBS__M_TIME;
        p->mlen[DDBS__M_TIME] = 0;
        p->sc.sflags = DDBS__SF_OUT | DDBS__SF_NUM;
        p->sc.nst = 0;
        return 0;
    case DDBS__R_F_EVNAME: case DDBS__R_F_EVID: case DDBS__R_F_SEQ: case DDBS__R_F_TIME:
        if (kind == 'n') {  /* null: as if absent */
            static const uint32_t bit[4] = { DDBS__SEEN_EVNAME, DDBS__SEEN_EVID, DDBS__SEEN_SEQ,
                                             DDBS__SEEN_TIME };
            p->seen &= ~bit[r - DDBS__R_F_EVNAME];
            return 0;
        }
        if (!str && !(r == DDBS__R_F_TIME && kind == '0')) return DDBS_E_SCHEMA;
        p->dst = (uint8_t)(DDBS__D_META + (r - DDBS__R_F_EVNAME));
        p->mlen[r - DDBS__R_F_EVNAME] = 0;
        /* a time written as a string keeps its quotes, so it leaves as it came */
        p->sc.sflags = (uint16_t)(DDBS__SF_OUT | (r == DDBS__R_F_TIME ? DDBS__SF_QUOTE : 0u));
        return 0;
    case DDBS__R_AV:
        if (!obj) return DDBS_E_ATTR;
        if (p->opt.format == DDBS_FORMAT_CSV && ddbs__top(p) == DDBS__R_IMAGE &&
            p->imgwant && p->col < DDBS_MAX_COLUMNS) {
            p->dst = DDBS__D_LINE;
            p->cell[p->img][p->col][0] = (uint32_t)p->out_len;
        }
        {
            int e = ddbs__push(p, r);
            return e ? e : typed ? ddbs__put1(p, '{') : 0;
        }
    case DDBS__R_MAP:
        if (!obj) return DDBS_E_ATTR;
        {
            int e = ddbs__push(p, r);
            return e ? e : ddbs__put1(p, '{');
        }
    case DDBS__R_LIST: case DDBS__R_SS: case DDBS__R_NS: case DDBS__R_BS:
        if (!arr) return DDBS_E_ATTR;
        {
            int e = ddbs__push(p, r | DDBS__ARR);
            return e ? e : ddbs__put1(p, '[');
        }
    case DDBS__R_V_S:
        p->sc.sflags = ddbs__in_cell(p) ? DDBS__SF_OUT | DDBS__SF_DECODE : DDBS__SF_OUT | DDBS__SF_QUOTE;
        return str ? 0 : DDBS_E_ATTR;
    case DDBS__R_V_B:
        p->sc.sflags = (uint16_t)(DDBS__SF_OUT | DDBS__SF_B64 |
                              (ddbs__in_cell(p) ? DDBS__SF_DECODE : DDBS__SF_QUOTE));
        p->sc.b64 = 0;
        return str ? 0 : DDBS_E_ATTR;
    case DDBS__R_V_N:
        p->sc.sflags = (uint16_t)(DDBS__SF_OUT | DDBS__SF_NUM |
                              (!ddbs__in_cell(p) && (typed || (p->opt.flags & DDBS_F_NUMBERS_AS_STRINGS)) ?
                               DDBS__SF_QUOTE : 0u));
        p->sc.nst = 0;
        return str ? 0 : DDBS_E_NUMBER;
    case DDBS__R_V_BOOL:
        return kind == 't' || kind == 'f' ? 0 : DDBS_E_ATTR;
    case DDBS__R_V_NULL:
        return kind == 't' ? 0 : DDBS_E_ATTR;
    default:
        return DDBS_E_SCHEMA;
    }
}

/* A key starts inside the object on top of the stack. */
static int ddbs__key_begin(ddbs_parser *p)
{
    switch (ddbs__top(p)) {
    case DDBS__R_SKIP:
        p->sc.sflags = DDBS__SF_KEY;
        return 0;
    case DDBS__R_IMAGE:
        if (p->opt.format == DDBS_FORMAT_CSV) {
            unsigned c;
            p->sc.sflags = DDBS__SF_KEY | DDBS__SF_DECODE | DDBS__SF_MATCH;
            p->kpos = 0;
            p->cand = 0;
            for (c = 0; c < p->opt.ncolumns; c++)
                if (!p->colmeta[c]) p->cand |= (uint64_t)1 << c;
            return 0;
        }
        p->sc.sflags = DDBS__SF_KEY | DDBS__SF_OUT | DDBS__SF_QUOTE;
        return 0;
    case DDBS__R_RAW: case DDBS__R_UIDOBJ: case DDBS__R_MAP:
        p->sc.sflags = DDBS__SF_KEY | DDBS__SF_OUT | DDBS__SF_QUOTE;
        return 0;
    case DDBS__R_AV_DONE:
        return DDBS_E_ATTR;  /* a second type tag */
    default:  /* envelope keys and type tags: compared after unescaping, as JSON means */
        p->sc.sflags = DDBS__SF_KEY | DDBS__SF_CAP | DDBS__SF_DECODE;
        p->sc.toklen = 0;
        return 0;
    }
}

static int ddbs__seen(ddbs_parser *p, uint32_t bit, unsigned role)
{
    if (p->seen & bit) return DDBS_E_SCHEMA;  /* the same field twice */
    p->seen |= bit;
    p->sc.next = (uint8_t)role;
    return 0;
}

/* Index of a type tag in "S N B BOOL NULL M L SS NS BS", or 10: by length and bytes, as
   this runs once per attribute value. */
static unsigned ddbs__tag(const char *t, unsigned n)
{
    switch (n) {
    case 1:
        switch (t[0]) {
        case 'S': return 0;
        case 'N': return 1;
        case 'B': return 2;
        case 'M': return 5;
        case 'L': return 6;
        default: return 10;
        }
    case 2:
        if (t[1] != 'S') return 10;
        return t[0] == 'S' ? 7u : t[0] == 'N' ? 8u : t[0] == 'B' ? 9u : 10u;
    case 4:
        if (t[0] == 'B' && t[1] == 'O' && t[2] == 'O' && t[3] == 'L') return 3;
        if (t[0] == 'N' && t[1] == 'U' && t[2] == 'L' && t[3] == 'L') return 4;
        return 10;
    default:
        return 10;
    }
}

/* A key ended: decide what its value means. t is its text: the capture, or where the fast
   path found it in the input (no copy to compare, and no load waiting on that copy's stores). */
static int ddbs__key_end(ddbs_parser *p, const char *t)
{
    unsigned tn = p->sc.toklen;
    static const char *const tags[10] = { "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS" };
    static const uint8_t roles[10] = {
        DDBS__R_V_S, DDBS__R_V_N, DDBS__R_V_B, DDBS__R_V_BOOL, DDBS__R_V_NULL,
        DDBS__R_MAP, DDBS__R_LIST, DDBS__R_SS, DDBS__R_NS, DDBS__R_BS };
    unsigned top = ddbs__top(p), k;
    switch (top) {
    case DDBS__R_SKIP:
        p->sc.next = DDBS__R_SKIP;
        return 0;
    case DDBS__R_RAW: case DDBS__R_UIDOBJ:
        p->sc.next = DDBS__R_RAW;
        return ddbs__put1(p, ':');
    case DDBS__R_IMAGE: case DDBS__R_MAP:
        p->sc.next = DDBS__R_AV;
        if (p->sc.sflags & DDBS__SF_MATCH) {
            p->col = 0xFF;
            for (k = 0; k < p->opt.ncolumns; k++)
                if (((p->cand >> k) & 1u) && p->collen[k] == p->kpos) { p->col = (uint8_t)k; break; }
            return 0;
        }
        return ddbs__put1(p, ':');
    case DDBS__R_AV:
        k = ddbs__tag(t, tn);
        {
            if (k < 10) {
                p->sc.next = roles[k];
                if (p->sc.depth >= 2 && (p->sc.stack[p->sc.depth - 2] & 0x7Fu) == DDBS__R_IMAGE)
                    p->ctype = (uint8_t)k;  /* a cell's type: not that of values inside it */
                p->sc.stack[p->sc.depth - 1] = DDBS__R_AV_DONE;
                if (p->opt.format == DDBS_FORMAT_DDB) {
                    int e;
                    if ((e = ddbs__put1(p, '"')) != 0 || (e = ddbs__put(p, tags[k], tn)) != 0)
                        return e;
                    return ddbs__put(p, "\":", 2);
                }
                return 0;
            }
        }
        return DDBS_E_ATTR;  /* not one of the ten type tags */
    case DDBS__R_DOC: case DDBS__R_RECORD:  /* a document may be a bare record */
        if (top == DDBS__R_DOC) {
            /* an event (Lambda, GetRecords, or Firehose with its lowercase "records") */
            int fh = !p->nested && DDBS__KEY_IS("records");
            if (fh || DDBS__KEY_IS("Records")) {
                if (p->sc.doc_records) return DDBS_E_SCHEMA;
                p->sc.doc_records = 1;
                p->sc.next = fh ? DDBS__R_FRECORDS : DDBS__R_RECORDS;
                return 0;
            }
            /* export lines: {"Item":..} or {"Metadata":..,"Keys":..,"NewImage":..,..} */
            if (DDBS__KEY_IS("Item")) {
                p->kind = DDBS__K_FULL;
                return ddbs__seen(p, DDBS__SEEN_NEW, DDBS__R_IMG_NEW);
            }
            if (DDBS__KEY_IS("Metadata") || DDBS__KEY_IS("Keys") ||
                DDBS__KEY_IS("NewImage") || DDBS__KEY_IS("OldImage")) {
                p->kind = DDBS__K_INCR;
                if (t[0] == 'M') return ddbs__seen(p, DDBS__SEEN_XMETA, DDBS__R_XMETA);
                top = DDBS__R_DDB;
                goto images;
            }
        } else if (!p->nested && DDBS__KEY_IS("kinesis")) {
            /* a Lambda Kinesis record: a wrapper, its payload holds the records */
            p->sc.stack[p->sc.depth - 1] = DDBS__R_KREC;
            p->sc.next = DDBS__R_KINESIS;
            return 0;
        }
        if (DDBS__KEY_IS("recordFormat") || DDBS__KEY_IS("tableName")) p->kds = 1;
        if (DDBS__KEY_IS("eventName")) return ddbs__seen(p, DDBS__SEEN_EVNAME, DDBS__R_F_EVNAME);
        if (DDBS__KEY_IS("eventID")) return ddbs__seen(p, DDBS__SEEN_EVID, DDBS__R_F_EVID);
        if (DDBS__KEY_IS("dynamodb")) return ddbs__seen(p, DDBS__SEEN_DDB, DDBS__R_DDB);
        if (DDBS__KEY_IS("userIdentity")) return ddbs__seen(p, DDBS__SEEN_UID, DDBS__R_UID);
        p->sc.next = DDBS__R_SKIP;
        return 0;
    case DDBS__R_DDB:
    images:
        if (DDBS__KEY_IS("Keys")) return ddbs__seen(p, DDBS__SEEN_KEYS, DDBS__R_IMG_KEYS);
        if (DDBS__KEY_IS("NewImage")) return ddbs__seen(p, DDBS__SEEN_NEW, DDBS__R_IMG_NEW);
        if (DDBS__KEY_IS("OldImage")) return ddbs__seen(p, DDBS__SEEN_OLD, DDBS__R_IMG_OLD);
        if (DDBS__KEY_IS("SequenceNumber")) return ddbs__seen(p, DDBS__SEEN_SEQ, DDBS__R_F_SEQ);
        if (top == DDBS__R_DDB && DDBS__KEY_IS("ApproximateCreationDateTime"))
            return ddbs__seen(p, DDBS__SEEN_TIME, DDBS__R_F_TIME);
        if (top == DDBS__R_DDB && DDBS__KEY_IS("ApproximateCreationDateTimePrecision"))
            return ddbs__seen(p, DDBS__SEEN_PREC, DDBS__R_F_PREC);
        p->sc.next = DDBS__R_SKIP;
        return 0;
    case DDBS__R_KINESIS: case DDBS__R_FREC:
        p->sc.next = DDBS__KEY_IS("data") ? DDBS__R_KDATA :
                     top == DDBS__R_FREC && DDBS__KEY_IS("recordId") ? DDBS__R_F_RID : DDBS__R_SKIP;
        return 0;
    case DDBS__R_XMETA:
        if (DDBS__KEY_IS("WriteTimestampMicros")) return ddbs__seen(p, DDBS__SEEN_TIME, DDBS__R_XWTS);
        p->sc.next = DDBS__R_SKIP;
        return 0;
    case DDBS__R_XWTS:
        if (!DDBS__KEY_IS("N")) return DDBS_E_SCHEMA;
        p->sc.next = DDBS__R_F_WTS;
        return 0;
    case DDBS__R_KREC:
        p->sc.next = DDBS__R_SKIP;
        return 0;
    default:
        DDBS_ASSERT(0);
        return DDBS_E_SYNTAX;
    }
}

/* Where elements of an array container go. */
static uint8_t ddbs__elem(unsigned top)
{
    switch (top) {
    case DDBS__R_RECORDS: return DDBS__R_RECORD;
    case DDBS__R_FRECORDS: return DDBS__R_FREC;
    case DDBS__R_LIST: return DDBS__R_AV;
    case DDBS__R_SS: return DDBS__R_V_S;
    case DDBS__R_NS: return DDBS__R_V_N;
    case DDBS__R_BS: return DDBS__R_V_B;
    case DDBS__R_RAW: return DDBS__R_RAW;
    default: return DDBS__R_SKIP;
    }
}

/* Is z (n bytes) in h[0..hn)? */
static int ddbs__mem_has(const char *h, size_t hn, const char *z, size_t n)
{
    size_t i, j;
    for (i = 0; i + n <= hn; i++) {
        for (j = 0; j < n && h[i + j] == z[j]; j++) {}
        if (j == n) return 1;
    }
    return 0;
}

/* ----------------------------------------------- emitters: a record's line ------------ */

/* The prefix {"eventName":"..",... written at d, or only measured when d is NULL. */
static size_t ddbs__prefix(const ddbs_parser *p, char *d, int item)
{
    static const char *const rec_names[5] = {
        "\"eventName\":", "\"eventID\":", "\"SequenceNumber\":",
        "\"ApproximateCreationDateTime\":", "\"userIdentity\":" };
    static const char *const item_names[4] = {
        "\"_eventName\":", "\"_eventID\":", "\"_SequenceNumber\":",
        "\"_ApproximateCreationDateTime\":" };
    static const char *const wts[2] = { "\"WriteTimestampMicros\":", "\"_WriteTimestampMicros\":" };
    static const uint8_t rec_len[5] = { 12, 10, 17, 30, 15 }, item_len[4] = { 13, 11, 18, 31 };
    size_t n = 0;
    unsigned k, nf = item ? ((p->opt.flags & DDBS_F_ITEM_META) ? 4u : 0u) : 5u, first = 1;
#define DDBS__EMIT(ptr, len) do { if (d) DDBS_MEMCPY(d + n, (ptr), (len)); n += (len); } while (0)
#define DDBS__EMITV(ptr, len) do { if (d) ddbs__copy_short(d + n, (ptr), (len)); n += (len); } while (0)
    DDBS__EMIT("{", 1);
    for (k = 0; k < nf; k++) {
        const char *name = k == DDBS__M_TIME && p->kind == DDBS__K_INCR ? wts[item] :
                           item ? item_names[k] : rec_names[k];
        size_t nl = k == DDBS__M_TIME && p->kind == DDBS__K_INCR ? 23u + (unsigned)item :
                    item ? item_len[k] : rec_len[k], vl = p->mlen[k];
        /* strings other than the time (which keeps its own form) get their quotes back */
        int quote = k < DDBS__M_TIME;
        if (!(p->seen & (k == DDBS__M_EVNAME ? DDBS__SEEN_EVNAME : k == DDBS__M_EVID ? DDBS__SEEN_EVID :
                          k == DDBS__M_SEQ ? DDBS__SEEN_SEQ : k == DDBS__M_TIME ? DDBS__SEEN_TIME :
                          DDBS__SEEN_UID)))
            continue;
        if (vl == 0 && !quote) continue;  /* null time or userIdentity: absent */
        if (!first) DDBS__EMIT(",", 1);
        first = 0;
        DDBS__EMITV(name, nl);
        if (quote) DDBS__EMIT("\"", 1);
        DDBS__EMITV(p->meta + ddbs__moff[k], vl);
        if (quote) DDBS__EMIT("\"", 1);
    }
#undef DDBS__EMIT
#undef DDBS__EMITV
    return n;
}

static void ddbs__reverse(char *a, size_t n)
{
    size_t i = 0;
    while (n > i + 1) {
        char t = a[i];
        a[i] = a[n - 1];
        a[n - 1] = t;
        i++;
        n--;
    }
}

/* Puts the staged images in Keys, NewImage, OldImage order, in place. Only needed when the
   input had them in another order; three reversals rotate without extra memory. */
static void ddbs__order_images(ddbs_parser *p)
{
    size_t pos = DDBS__HEAD;
    unsigned k, j;
    for (k = 0; k < 3; k++) {
        size_t b = p->seg_beg[k], e = p->seg_end[k], len;
        if (!b) continue;
        if (b != pos) {
            len = e - b;
            ddbs__reverse(p->opt.buf + pos, b - pos);
            ddbs__reverse(p->opt.buf + b, len);
            ddbs__reverse(p->opt.buf + pos, e - pos);
            for (j = 0; j < 3; j++)
                if (p->seg_beg[j] && p->seg_beg[j] >= pos && p->seg_beg[j] < b) {
                    p->seg_beg[j] += len;
                    p->seg_end[j] += len;
                }
            p->seg_beg[k] = pos;
            p->seg_end[k] = pos + len;
        }
        pos = p->seg_end[k];
    }
}

#ifdef DDBS__SSE2
/* Bits set in a 16-bit mask, without a loop per bit. */
static unsigned ddbs__pop16(unsigned m)
{
    m = m - ((m >> 1) & 0x5555u);
    m = (m & 0x3333u) + ((m >> 2) & 0x3333u);
    m = (m + (m >> 4)) & 0x0F0Fu;
    return (m + (m >> 8)) & 0x1Fu;
}
#endif

/* Does a cell starting with c look like a spreadsheet formula? */
static int ddbs__formula(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* CSV: one cell at out_len, quoted when it holds " , CR or LF (quotes doubled), and with a '
   first when guarded and it starts like a spreadsheet formula. */
static int ddbs__csv_cell(ddbs_parser *p, const char *v, size_t n, size_t vroom, int guard)
{
    size_t i = 0, extra = 0, need, run;
    int q = 0, g = guard && n && ddbs__formula(v[0]);
    char *d;
#ifdef DDBS__SSE2
    {   /* quotes counted and , CR LF noticed 16 bytes at a time: M and L cells are JSON,
           full of quotes */
        const __m128i dq = _mm_set1_epi8('"'), cm = _mm_set1_epi8(','), cr = _mm_set1_epi8('\r'),
                      lf = _mm_set1_epi8('\n');
        for (; n - i >= 16; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, dq));
            unsigned ms = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x, cm), _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf))));
            q |= (mq | ms) != 0;
            extra += ddbs__pop16(mq);
        }
        if (i < n && vroom >= i + 16) {  /* the tail in one more load, bytes past it masked */
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
            unsigned keep = (1u << (n - i)) - 1u;
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, dq)) & keep;
            unsigned ms = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x, cm), _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf)))) & keep;
            q |= (mq | ms) != 0;
            extra += ddbs__pop16(mq);
            i = n;
        }
    }
#else
    (void)vroom;
#endif
    for (; i < n; i++) {
        if (v[i] == '"') { q = 1; extra++; }
        else if (v[i] == ',' || v[i] == '\r' || v[i] == '\n') q = 1;
    }
    need = n + extra + (q ? 2u : 0u) + (g ? 1u : 0u);
    if (need > p->opt.buf_size - p->out_len) return DDBS_E_LINE_TOO_BIG;
    d = p->opt.buf + p->out_len;
    if (!q && !g) {  /* the common cell: as it is */
        ddbs__copy(d, (const unsigned char *)v, n, p->opt.buf_size - p->out_len, vroom);
        p->out_len += n;
        return 0;
    }
    if (q) *d++ = '"';
    if (g) *d++ = '\'';
    /* runs between quotes go in one copy each, every quote doubled; the row is built after
       the staged cells, so the copies never overlap (vroom 0: v is not in the line) */
    for (i = 0; extra; i += run + 1, extra--) {
        run = ddbs__find(v, i, n, '"') - i;
        ddbs__copy(d, (const unsigned char *)v + i, run, p->opt.buf_size - (size_t)(d - p->opt.buf),
                   vroom > i ? vroom - i : 0);
        d += run;
        *d++ = '"';
        *d++ = '"';
    }
    ddbs__copy(d, (const unsigned char *)v + i, n - i, p->opt.buf_size - (size_t)(d - p->opt.buf),
               vroom > i ? vroom - i : 0);
    d += n - i;
    if (q) *d++ = '"';
    p->out_len += need;
    return 0;
}

static int ddbs__csv_end_line(ddbs_parser *p)
{
    int crlf = (p->opt.flags & DDBS_F_CRLF) != 0;
    if ((size_t)(1 + crlf) > p->opt.buf_size - p->out_len) return DDBS_E_LINE_TOO_BIG;
    if (crlf) p->opt.buf[p->out_len++] = '\r';
    p->opt.buf[p->out_len++] = '\n';
    return 0;
}

/* CSV: the header row goes to the sink once, before the first row (or at the end). */
static size_t ddbs__csv_header_row(const ddbs_options *opt, char *dst, size_t cap);

static int ddbs__csv_header_out(ddbs_parser *p)
{
    size_t n, at = p->out_len;
    p->header_sent = 1;
    if ((p->opt.flags & DDBS_F_NO_HEADER) || !p->opt.sink) return 0;
    n = ddbs__csv_header_row(&p->opt, p->opt.buf + at, p->opt.buf_size - at);
    if (n > p->opt.buf_size - at) return DDBS_E_LINE_TOO_BIG;
    if (p->opt.sink(p->opt.user, p->opt.buf + at, n)) return DDBS_E_SINK;
    p->bytes_out += n;
    return 0;
}

/* Is c in v[0..n)? v has vroom bytes of room from it, so whole 16-byte blocks may be read. */
static int ddbs__has(const char *v, size_t n, size_t vroom, char c)
{
#ifdef DDBS__SSE2
    if (vroom >= n + 16) {  /* the last block masked: no byte-by-byte tail */
        const __m128i cc = _mm_set1_epi8(c);
        size_t i;
        for (i = 0;; i += 16) {
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(v + i)), cc));
            if (n - i <= 16) return (m & ((1u << (n - i)) - 1u)) != 0;
            if (m) return 1;
        }
    }
#else
    (void)vroom;
#endif
    return ddbs__find(v, 0, n, c) < n;
}

/* CSV: the row of the record, built after the staged cells. */
static int ddbs__csv_row(ddbs_parser *p, size_t *start, size_t *end)
{
    unsigned k = p->ev == DDBS_EV_REMOVE ? 2u : 1u, c;
    int e, safe = (p->opt.flags & DDBS_F_CSV_SAFE) != 0;
    if (!p->header_sent && (e = ddbs__csv_header_out(p)) != 0) return e;
    if (!p->seg_beg[k]) k = 0;
    *start = p->out_len;
    for (c = 0; c < p->opt.ncolumns; c++) {
        const char *v = "";
        size_t n = 0, vroom = 0;  /* vroom: bytes readable from v, for whole-block loads */
        int guard = 0, plain = 1, comma = 0;  /* plain: no '"', CR or LF (an absent cell is
                                                 empty); comma: ',' possible */
        if (c) {
            if (p->out_len >= p->opt.buf_size) return DDBS_E_LINE_TOO_BIG;
            p->opt.buf[p->out_len++] = ',';
        }
        if (p->colmeta[c]) {  /* metadata: the text its JSON stands for */
            unsigned m = p->colmeta[c] - 1u;
            v = p->meta + ddbs__moff[m];
            n = p->mlen[m];
            vroom = DDBS__META_CAP - ddbs__moff[m];
            if (n >= 2 && v[0] == '"') { v++; n -= 2; vroom--; }  /* a time written as a string */
            if (ddbs__has(v, n, vroom, '\\')) {
                n = ddbs__unescape(v, n, p->scratch);
                v = p->scratch;
                vroom = 0;
                plain = 0;
            } else {
                comma = 1;  /* JSON text without escapes holds no '"' or control byte */
            }
            guard = 1;  /* a time written as a string could start like a formula too */
        } else if (p->seg_beg[k] && (p->cellset[k] >> c & 1u)) {
            unsigned ct = p->celltype[k][c], tag = ct & ~(unsigned)DDBS__CT_PLAIN;
            v = p->opt.buf + p->cell[k][c][0];
            n = p->cell[k][c][1] - p->cell[k][c][0];
            vroom = p->opt.buf_size - p->cell[k][c][0];
            guard = tag == 0 || tag == 2;  /* S or B */
            /* the fast path took it whole, or N, BOOL, NULL: digits, signs and letters */
            plain = (ct & DDBS__CT_PLAIN) || (tag != 0 && tag != 2 && tag < 5);
            comma = tag == 0;
        }
        if (!n && p->opt.ncolumns == 1) {  /* "" rather than a blank line */
            if (2 > p->opt.buf_size - p->out_len) return DDBS_E_LINE_TOO_BIG;
            p->opt.buf[p->out_len++] = '"';
            p->opt.buf[p->out_len++] = '"';
            continue;
        }
        if (plain && !(comma && ddbs__has(v, n, vroom, ',')) &&
            !(guard && safe && n && ddbs__formula(v[0])) && n <= p->opt.buf_size - p->out_len) {
            ddbs__copy(p->opt.buf + p->out_len, (const unsigned char *)v, n,
                       p->opt.buf_size - p->out_len, vroom);  /* the cell as it is */
            p->out_len += n;
            continue;
        }
        if ((e = ddbs__csv_cell(p, v, n, vroom, guard && safe)) != 0) return e;
    }
    if ((e = ddbs__csv_end_line(p)) != 0) return e;
    *end = p->out_len;
    return 0;
}

/* A record object closed: check it, filter it, build its line and deliver it. */
static int ddbs__record_end(ddbs_parser *p)
{
    char *b = p->opt.buf;
    size_t start, end, L;
    ddbs_record *rec = &p->rec;  /* in the parser, not on the stack: embedded stacks are small */
    int item = p->opt.shape == DDBS_SHAPE_ITEM;
    if (p->kind == DDBS__K_STREAM && (!(p->seen & DDBS__SEEN_DDB) || !p->ev)) return DDBS_E_SCHEMA;
    if (p->kind == DDBS__K_FULL) p->ev = DDBS_EV_INSERT;
    if (p->kind == DDBS__K_INCR)  /* no eventName in exports: what the images say */
        p->ev = (uint8_t)((p->seen & DDBS__SEEN_NEW) ?
                          ((p->seen & DDBS__SEEN_OLD) ? DDBS_EV_MODIFY : DDBS_EV_INSERT) :
                          DDBS_EV_REMOVE);
    p->in_record = 0;
    DDBS_MEMSET(rec, 0, sizeof *rec);
    rec->index = p->records_in;
    rec->event = p->ev;
    rec->ttl = p->ev == DDBS_EV_REMOVE &&
              ddbs__mem_has(p->meta + ddbs__moff[DDBS__M_UID], p->mlen[DDBS__M_UID],
                            "\"principalId\":\"dynamodb.amazonaws.com\"", 38) &&
              ddbs__mem_has(p->meta + ddbs__moff[DDBS__M_UID], p->mlen[DDBS__M_UID],
                            "\"type\":\"Service\"", 16);
    if ((p->opt.events && !(p->opt.events & p->ev)) || (p->opt.flags & DDBS_F_PARSE_ONLY) ||
        ((p->opt.flags & DDBS_F_TTL_ONLY) && !rec->ttl)) {
        p->records_in++;
        return 0;
    }
    if (p->opt.format == DDBS_FORMAT_CSV) {
        int e = ddbs__csv_row(p, &start, &end);
        if (e) return e;
    } else if (!item) {
        unsigned k;
        ddbs__order_images(p);
        L = ddbs__prefix(p, NULL, 0);
        if (L == 1 && p->out_len > DDBS__HEAD) {  /* no metadata (export lines) */
            start = DDBS__HEAD;
            b[start] = '{';
        } else {
            start = DDBS__HEAD - L;
            ddbs__prefix(p, b + start, 0);
        }
        end = p->out_len;
        for (k = 0; k < 3; k++) {
            if (!p->seg_beg[k] || !p->seg_end[k]) continue;
            rec->image[k] = b + p->seg_beg[k] + ddbs__img_len[k] + 4;
            rec->image_len[k] = (size_t)(b + p->seg_end[k] - rec->image[k]);
        }
    } else {
        /* the item: NewImage, or OldImage for a REMOVE, or else the Keys */
        unsigned k = p->ev == DDBS_EV_REMOVE ? 2u : 1u;
        if (!p->seg_beg[k]) k = 0;
        if (p->seg_beg[k]) {
            size_t body, body_end;
            body = p->seg_beg[k] + ddbs__img_len[k] + 5;  /* past ,"Name":{ */
            body_end = p->seg_end[k] - 1;            /* at its } */
            L = ddbs__prefix(p, NULL, 1);
            if (L > 1 && body != body_end) {
                start = body - L - 1;
                ddbs__prefix(p, b + start, 1);
                b[body - 1] = ',';
            } else {
                start = body - L;
                ddbs__prefix(p, b + start, 1);
            }
            end = body_end;
        } else {
            L = ddbs__prefix(p, NULL, 1);
            start = DDBS__HEAD - L;
            ddbs__prefix(p, b + start, 1);
            end = DDBS__HEAD;
        }
    }
    if (p->opt.format != DDBS_FORMAT_CSV) {
        b[end] = '}';
        b[end + 1] = '\n';
        end += 2;
    }
    rec->line = b + start;
    rec->line_len = end - start;
    rec->event_id = p->meta + ddbs__moff[DDBS__M_EVID];
    rec->event_id_len = p->mlen[DDBS__M_EVID];
    rec->sequence = p->meta + ddbs__moff[DDBS__M_SEQ];
    rec->sequence_len = p->mlen[DDBS__M_SEQ];
    rec->time = p->meta + ddbs__moff[DDBS__M_TIME];
    rec->time_len = p->mlen[DDBS__M_TIME];
    rec->time_unit = p->tunit ? p->tunit : p->kds && p->mlen[DDBS__M_TIME] ? 1000u : 0u;
    if (rec->time_len >= 2 && rec->time[0] == '"') { rec->time++; rec->time_len -= 2; }
    /* counted once delivered, so an error names this record */
    if (p->opt.on_record) {
        int r = p->opt.on_record(p->opt.user, rec);
        if (r < 0) return DDBS_E_SINK;
        if (r > 0) goto delivered;
    }
    if (p->opt.sink && p->opt.sink(p->opt.user, rec->line, rec->line_len)) return DDBS_E_SINK;
delivered:
    p->records_in++;
    p->records_out++;
    p->bytes_out += rec->line_len;
    return 0;
}

/* A container closes with byte c (at stream offset *at, which an error may move). */
static int ddbs__close(ddbs_parser *p, unsigned c, uint64_t *at)
{
    unsigned raw = p->sc.stack[p->sc.depth - 1], r = raw & 0x7Fu;
    if ((c == ']') != ((raw & DDBS__ARR) != 0)) return DDBS_E_SYNTAX;
    p->sc.depth--;
    switch (r) {
    case DDBS__R_RAW: case DDBS__R_MAP: case DDBS__R_LIST: case DDBS__R_SS: case DDBS__R_NS:
    case DDBS__R_BS:
        return ddbs__put1(p, (char)c);
    case DDBS__R_UIDOBJ: {
        int e = ddbs__put1(p, '}');
        p->dst = DDBS__D_NONE;
        return e;
    }
    case DDBS__R_IMAGE: {
        int e = ddbs__put1(p, '}');
        if (p->dst == DDBS__D_LINE) p->seg_end[p->img] = p->out_len;
        p->dst = DDBS__D_NONE;
        return e;
    }
    case DDBS__R_AV:
        return DDBS_E_ATTR;  /* {} has no type tag */
    case DDBS__R_AV_DONE:
        if (p->opt.format == DDBS_FORMAT_CSV && p->dst == DDBS__D_LINE && ddbs__top(p) == DDBS__R_IMAGE) {
            p->cell[p->img][p->col][1] = (uint32_t)p->out_len;
            p->cellset[p->img] |= (uint64_t)1 << p->col;
            p->celltype[p->img][p->col] = p->ctype;
            p->dst = DDBS__D_NONE;
        }
        return p->opt.format == DDBS_FORMAT_DDB ? ddbs__put1(p, '}') : 0;
    case DDBS__R_RECORD:
        if (p->evbad) { *at = p->ev_off; return DDBS_E_SCHEMA; }
        return ddbs__record_end(p);
    case DDBS__R_KREC:
        p->in_record = 0;
        return 0;
    case DDBS__R_FREC:
        if (p->opt.on_part &&
            p->opt.on_part(p->opt.user, p->rid, p->rid_len, (ddbs_result)p->part_rc,
                           p->records_out - p->part_out))
            return DDBS_E_SINK;
        return 0;
    case DDBS__R_DOC:
        if (!p->nested) p->documents++;
        if (p->sc.doc_records) return 0;  /* its records went out one by one */
        if ((p->seen & DDBS__SEEN_DDB) || p->kind != DDBS__K_STREAM) {
            if (p->evbad) { *at = p->ev_off; return DDBS_E_SCHEMA; }
            return ddbs__record_end(p);
        }
        p->in_record = 0;
        *at = p->sc.doc_off;
        return DDBS_E_NOT_STREAM;
    default:
        return 0;
    }
}

/* A string value ended (the closing quote is consumed). */
static int ddbs__str_end(ddbs_parser *p)
{
    int e = 0;
    unsigned r = p->sc.next;
    if ((p->sc.sflags & DDBS__SF_NUM) && !DDBS__NUM_ACCEPTS(p->sc.nst)) return DDBS_E_NUMBER;
    if ((p->sc.sflags & DDBS__SF_B64) && p->sc.b64 != 0 && p->sc.b64 != 5) return DDBS_E_BASE64;
    if (p->sc.sflags & DDBS__SF_QUOTE) e = ddbs__put1(p, '"');
    if (r >= DDBS__R_F_EVNAME) {
        p->dst = DDBS__D_NONE;
        if (r == DDBS__R_F_EVNAME) {
            const char *v = p->scratch;
            size_t n = ddbs__unescape(p->meta + ddbs__moff[DDBS__M_EVNAME], p->mlen[DDBS__M_EVNAME],
                                      p->scratch);
            p->ev = (uint8_t)(n != 6 ? 0u : ddbs__same(v, "INSERT", 6) ? DDBS_EV_INSERT :
                              ddbs__same(v, "MODIFY", 6) ? DDBS_EV_MODIFY :
                              ddbs__same(v, "REMOVE", 6) ? DDBS_EV_REMOVE : 0u);
            /* judged when the record ends: a Kinesis wrapper has "aws:kinesis:record" */
            p->evbad = !p->ev;
            p->ev_off = p->sc.tok_off;
        } else if (r == DDBS__R_F_PREC) {
            const char *t = p->sc.tok;
            unsigned tn = p->sc.toklen;
            p->tunit = DDBS__KEY_IS("MICROSECOND") ? 1000000u : DDBS__KEY_IS("MILLISECOND") ? 1000u : 0u;
        } else if (r == DDBS__R_F_WTS) {
            p->tunit = 1000000u;
        }
    }
    return e;
}

/* A number or literal value ended. */
static int ddbs__scalar_end(ddbs_parser *p, unsigned kind)
{
    static const char *const lits[3] = { "true", "false", "null" };
    unsigned r = p->sc.next;
    if (kind == '0') {
        if (r == DDBS__R_F_TIME) p->dst = DDBS__D_NONE;
        return 0;
    }
    if (r == DDBS__R_RAW || r == DDBS__R_V_BOOL)
        return ddbs__putz(p, lits[kind == 't' ? 0 : kind == 'f' ? 1 : 2]);
    if (r == DDBS__R_V_NULL) {
        if (p->opt.format == DDBS_FORMAT_CSV && ddbs__top(p) == DDBS__R_AV_DONE && p->sc.depth >= 2 &&
            (p->sc.stack[p->sc.depth - 2] & 0x7Fu) == DDBS__R_IMAGE)
            return 0;  /* an empty cell */
        return ddbs__putz(p, p->opt.format == DDBS_FORMAT_DDB ? "true" : "null");
    }
    return 0;
}

/* CSV: narrows the columns an attribute name may be, by its next decoded bytes. */
static void ddbs__match(ddbs_parser *p, const unsigned char *s, size_t n)
{
    size_t i, c;
    for (i = 0; i < n && p->cand; i++, p->kpos++)
        for (c = 0; c < p->opt.ncolumns; c++)
            if (((p->cand >> c) & 1u) &&
                (p->kpos >= p->collen[c] || (unsigned char)p->opt.columns[c][p->kpos] != s[i]))
                p->cand &= ~((uint64_t)1 << c);
    if (!p->cand) p->kpos = 0xFFFFFFFFu;  /* matches nothing, however long it goes on */
}

/* Decoded text (UTF-8 bytes) of the current string goes to the key capture, the CSV column
   matcher and the cell. */
static int ddbs__text(ddbs_parser *p, const unsigned char *b, size_t n, uint64_t at,
                      uint64_t *err_at)
{
    if (p->sc.sflags & DDBS__SF_CAP) {
        size_t room = DDBS__TOK_CAP - p->sc.toklen, m = n < room ? n : room;
        DDBS_MEMCPY(p->sc.tok + p->sc.toklen, b, m);
        p->sc.toklen = (uint8_t)(n > room ? DDBS__TOK_CAP : p->sc.toklen + m);
    }
    if (p->sc.sflags & DDBS__SF_MATCH) ddbs__match(p, b, n);
    if ((p->sc.sflags & DDBS__SF_OUT) && p->dst) {
        int e = ddbs__put(p, (const char *)b, n);
        if (e) { *err_at = at; return e; }
    }
    return 0;
}

/* One UTF-16 code unit from a \uXXXX escape, or DDBS__NO_UNIT to settle: a high
   surrogate waits for its low half; a lone half becomes U+FFFD, as decoders do. */
#define DDBS__NO_UNIT 0x110000u  /* ddbs__text_unit: settle a waiting surrogate only */
static int ddbs__text_unit(ddbs_parser *p, unsigned u, uint64_t at, uint64_t *err_at)
{
    unsigned char b[4];
    uint32_t cp = u;
    int e;
    if (p->sc.hisur) {
        unsigned hi = p->sc.hisur;
        p->sc.hisur = 0;
        if (u >= 0xDC00 && u <= 0xDFFF) {
            cp = 0x10000u + ((uint32_t)(hi - 0xD800u) << 10) + (u - 0xDC00u);
            u = 0x10000;  /* handled */
        } else {
            b[0] = 0xEF; b[1] = 0xBF; b[2] = 0xBD;
            if ((e = ddbs__text(p, b, 3, at, err_at)) != 0) return e;
        }
    }
    if (u == DDBS__NO_UNIT) return 0;
    if (u >= 0xD800 && u <= 0xDBFF) { p->sc.hisur = (uint16_t)u; return 0; }
    if (u >= 0xDC00 && u <= 0xDFFF) cp = 0xFFFD;
    if (cp < 0x80) { b[0] = (unsigned char)cp; return ddbs__text(p, b, 1, at, err_at); }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return ddbs__text(p, b, 2, at, err_at);
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return ddbs__text(p, b, 3, at, err_at);
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return ddbs__text(p, b, 4, at, err_at);
}

/* The bytes s[0..n) of the current string, between escapes and the quotes. */
static int ddbs__str_bytes(ddbs_parser *p, const unsigned char *s, size_t n, uint64_t at,
                           uint64_t *err_at)
{
    unsigned f = p->sc.sflags;
    size_t i, n0 = n;
    if (f == (DDBS__SF_OUT | DDBS__SF_QUOTE) || f == (DDBS__SF_OUT | DDBS__SF_QUOTE | DDBS__SF_KEY))
        return p->dst ? ddbs__put_in(p, s, n, at, err_at) : 0;  /* the common case: a copy */
    if (f == DDBS__SF_RID) {
        if (n > sizeof p->rid - p->rid_len) {
            *err_at = at + (sizeof p->rid - p->rid_len);  /* the first byte that does not fit */
            return DDBS_E_FIELD_TOO_LONG;
        }
        DDBS_MEMCPY(p->rid + p->rid_len, s, n);
        p->rid_len = (uint16_t)(p->rid_len + n);
        return 0;
    }
    if (f & DDBS__SF_CAP) {
        size_t room = DDBS__TOK_CAP - p->sc.toklen, m = n < room ? n : room;
        DDBS_MEMCPY(p->sc.tok + p->sc.toklen, s, m);
        p->sc.toklen = (uint8_t)(p->sc.toklen + m);
        if (n > room) p->sc.toklen = DDBS__TOK_CAP;  /* too long to be a key we know */
    }
    if ((f & (DDBS__SF_NUM | DDBS__SF_B64)) && (f & DDBS__SF_OUT) && p->dst) {
        /* each byte is checked, then copied: past the first byte that does not fit, the
           overflow comes first, as it would fed byte by byte */
        size_t room = ddbs__room(p);
        if (n > room) n = room + 1;
    }
    if (f & DDBS__SF_NUM) {
        for (i = 0; i < n; i++) {
            uint8_t nx = ddbs__numtab[p->sc.nst][ddbs__numcls(s[i])];
            if (nx == 0xFF) { *err_at = at + i; return DDBS_E_NUMBER; }
            p->sc.nst = nx;
        }
    }
    if (f & DDBS__SF_B64) {
        i = 0;
        if (p->sc.b64 < 4) {  /* a run of base64 digits only moves the group position */
            while (i < n && (ddbs__cls[s[i]] & 8u)) i++;
            p->sc.b64 = (uint8_t)((p->sc.b64 + i) & 3u);
        }
        for (; i < n; i++)
            if (ddbs__b64_step(&p->sc.b64, s[i])) { *err_at = at + i; return DDBS_E_BASE64; }
    }
    if (f & DDBS__SF_DECODE) {
        int e;
        if (n && p->sc.hisur && (e = ddbs__text_unit(p, DDBS__NO_UNIT, at, err_at)) != 0) return e;
        if (f & DDBS__SF_MATCH) ddbs__match(p, s, n);
    }
    if ((f & DDBS__SF_OUT) && p->dst) return ddbs__put_in(p, s, n0, at, err_at);
    return 0;
}

/* ------------------------------------------------------------- fast paths ------------ */

/* Fast paths: attribute names, scalar AttributeValues such as {"S":"x"}, and the maps and
   lists around them, lying in this chunk with nothing unusual in them (escapes where they
   would need decoding, errors, no room) are handled in one go. Each writes exactly what the
   state machine would, or nothing and hands over to it: results never depend on which path
   ran. */
#ifndef DDBS_SMALL

/* Whitespace, tested inline: compact input has none and pretty input one space after ':'. */
static size_t ddbs__ws_at(const unsigned char *s, size_t k, size_t len)
{
    if (s[k] == ' ' && (k + 1 == len || s[k + 1] > ' ')) return k + 1;  /* ": " */
#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
    if (s[k] == '\n' && len - k > 32) {  /* pretty: a newline and an indent of spaces */
        const __m128i sp = _mm_set1_epi8(' ');
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                         _mm_loadu_si128((const __m128i *)(const void *)(s + k + 1)), sp)) ^ 0xFFFFu;
        size_t j = k + 1;
        if (!m) {  /* 16 spaces or more: nested maps indent that far */
            j += 16;
            m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                    _mm_loadu_si128((const __m128i *)(const void *)(s + j)), sp)) ^ 0xFFFFu;
        }
        if (m && s[j + DDBS__CTZ(m)] > ' ') return j + DDBS__CTZ(m);
    }
#endif
    return ddbs__is_ws(s[k]) ? ddbs__skip_ws(s, k, len) : k;
}
/* Whitespace after s[k]: none (compact) and one space (pretty ": ") without a call. */
#define DDBS__WS(s, k, len) \
    ((k) < (len) && (s)[k] <= ' ' ? \
     ((s)[k] == ' ' && (k) + 1 < (len) && (s)[(k) + 1] > ' ' ? (k) + 1 : ddbs__ws_at(s, k, len)) : (k))

/* k, or k + 1 past a space, as a branch: the position is then known before the byte is
   loaded (the branch goes one way for a whole compact or pretty document), where the
   compiler's branch-free k + (s[k] == ' ') makes every later load wait for this one. */
static DDBS__INLINE size_t ddbs__past_space(const unsigned char *s, size_t k)
{
    if (s[k] == ' ') {
        k++;
#if defined(__GNUC__) || defined(__clang__)
        __asm__("" : "+r"(k));  /* keeps it a branch */
#endif
    }
    return k;
}

/* DDBS__WS where pretty printing may put a newline and an indent at s[k], before a token
   `up` levels deeper than the container on top (-1: its closing bracket). The indent last
   seen at that level is tried first (it is the same all through a document), with a branch
   whose result is known without waiting for the load of s[k..]; else the run is measured
   and remembered. */
static DDBS__INLINE size_t ddbs__ws_nl(ddbs_parser *p, const unsigned char *s, size_t k, size_t len,
                                      int up)
{
#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
    if (k < len && s[k] == '\n' && len - k > 33) {
        uint8_t *g = &p->indent[(unsigned)(p->sc.depth + up) & 31u];
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                         _mm_loadu_si128((const __m128i *)(const void *)(s + k + 1)), _mm_set1_epi8(' ')));
        unsigned want = (1u << *g) - 1u;
        size_t e;
        if ((m & want) == want && s[k + 1 + *g] > ' ') return k + 1 + *g;
        e = ddbs__ws_at(s, k, len);
        if (e - k - 1 <= 16) *g = (uint8_t)(e - k - 1);
        return e;
    }
#else
    (void)p;
    (void)up;
#endif
    return DDBS__WS(s, k, len);
}

#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
/* Bit i set where s[i] is '"', '\\', a control byte or a non-ASCII byte (signed compare:
   bytes >= 0x80 are negative, so one test catches them and those < 0x20). */
static DDBS__INLINE unsigned ddbs__stop16(const unsigned char *s)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
}
#endif

/* As ddbs__scan_str, with its first 16 bytes inline: most names and values are short. */
static DDBS__INLINE size_t ddbs__scan_short(const unsigned char *s, size_t j, size_t n)
{
#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
    if (n - j >= 16) {
        unsigned m = ddbs__stop16(s + j);
        if (m) return j + DDBS__CTZ(m);
        j += 16;
    }
#endif
    return ddbs__scan_str(s, j, n);
}

#if defined(DDBS__SSE2) && defined(DDBS__CTZ) && UINTPTR_MAX > 0xFFFFFFFFu
#define DDBS__SCAN64 1
/* ddbs__stop16 over 64 bytes. */
static DDBS__INLINE uint64_t ddbs__stop64(const unsigned char *s)
{
    return (uint64_t)ddbs__stop16(s) | (uint64_t)ddbs__stop16(s + 16) << 16 |
           (uint64_t)ddbs__stop16(s + 32) << 32 | (uint64_t)ddbs__stop16(s + 48) << 48;
}
#endif

/* As ddbs__scan_str, with its first 64 bytes inline and in one step: for values, whose
   lengths vary, a loop of 16-byte steps would leave it at an unpredictable count. */
static DDBS__INLINE size_t ddbs__scan_value(const unsigned char *s, size_t j, size_t n)
{
#ifdef DDBS__SCAN64
    if (n - j >= 64) {
        uint64_t m = ddbs__stop64(s + j);
        if (m) return j + (size_t)__builtin_ctzll(m);
        j += 64;
    }
#endif
    return ddbs__scan_str(s, j, n);
}

/* Length of the valid UTF-8 sequence at s[j] (a byte >= 0x80) that ends before n, or 0:
   as ddbs__u8lead judges, without its out parameters (they went through the stack). */
static DDBS__INLINE size_t ddbs__u8_len(const unsigned char *s, size_t j, size_t n)
{
    unsigned c = s[j], lo, hi;
    if (c - 0xC2u <= 0xDFu - 0xC2u) return n - j > 1 && (s[j + 1] & 0xC0u) == 0x80u ? 2 : 0;
    if (c - 0xE0u <= 0xFu) {
        lo = c == 0xE0u ? 0xA0u : 0x80u;
        hi = c == 0xEDu ? 0x9Fu : 0xBFu;
        return n - j > 2 && s[j + 1] >= lo && s[j + 1] <= hi && (s[j + 2] & 0xC0u) == 0x80u ? 3 : 0;
    }
    if (c - 0xF0u <= 4u) {
        lo = c == 0xF0u ? 0x90u : 0x80u;
        hi = c == 0xF4u ? 0x8Fu : 0xBFu;
        return n - j > 3 && s[j + 1] >= lo && s[j + 1] <= hi && (s[j + 2] & 0xC0u) == 0x80u &&
               (s[j + 3] & 0xC0u) == 0x80u ? 4 : 0;
    }
    return 0;
}

/* Length of the valid escape at s[j] (a '\\') that ends before n, or 0. */
static DDBS__INLINE size_t ddbs__esc_len(const unsigned char *s, size_t j, size_t n)
{
    size_t k;
    if (j + 1 >= n) return 0;
    switch (s[j + 1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return 2;
    case 'u':
        if (n - j < 6) return 0;
        for (k = 2; k < 6; k++) {
            unsigned h = s[j + k], l = h | 0x20u;  /* l: a letter in lower case */
            if (!((h >= '0' && h <= '9') || (l >= 'a' && l <= 'f'))) return 0;
        }
        return 6;
    default:
        return 0;
    }
}

/* As ddbs__scan_str, but steps over whole, valid UTF-8 sequences and, with esc, valid
   escapes: a string with non-ASCII text stays on the fast path; anything doubtful stops
   the scan there. 64 bytes are tested at once and their stops taken from the bit mask, so
   a run of non-ASCII text costs no new scan per character. */
static DDBS__INLINE size_t ddbs__scan_rich(const unsigned char *s, size_t j, size_t n, int esc)
{
    for (;;) {
        size_t q;
#ifdef DDBS__SCAN64
        while (n - j >= 64) {
            uint64_t m = ddbs__stop64(s + j);
            size_t r = 64;  /* where the next block starts, from j */
            while (m) {
                size_t x = j + (size_t)__builtin_ctzll(m);
                q = s[x] >= 0x80 ? ddbs__u8_len(s, x, n) : esc && s[x] == '\\' ? ddbs__esc_len(s, x, n) : 0;
                if (!q) return x;
                if ((r = x + q - j) >= 64) break;
                m &= ~(uint64_t)0 << r;  /* the stops inside the sequence too */
                r = 64;
            }
            j += r;
        }
#endif
        j = ddbs__scan_short(s, j, n);
        if (j == n) return j;
        q = s[j] >= 0x80 ? ddbs__u8_len(s, j, n) : esc && s[j] == '\\' ? ddbs__esc_len(s, j, n) : 0;
        if (!q) return j;
        j += q;
    }
}

static size_t ddbs__scan_text(const unsigned char *s, size_t j, size_t n) { return ddbs__scan_rich(s, j, n, 0); }

/* As ddbs__scan_text, and steps over valid escapes too: for strings copied as written. */
static size_t ddbs__scan_escaped(const unsigned char *s, size_t j, size_t n) { return ddbs__scan_rich(s, j, n, 1); }

/* The first byte of s[j..e) that is not a digit, or e: 8 bytes a step while 8 are left (a
   byte below '0' borrows into its top bit, one above '9' carries into it with 0x46 added). */
static size_t ddbs__digits(const unsigned char *s, size_t j, size_t e)
{
    while (e - j >= 8) {
        uint64_t x = ddbs__ld8(s + j),
                 m = ((x - 0x3030303030303030u) | (x + 0x4646464646464646u) | x) & 0x8080808080808080u;
        if (m) return j + ddbs__ctz64(m) / 8;
        j += 8;
    }
    while (j < e && (unsigned)(s[j] - '0') < 10u) j++;
    return j;
}

/* The JSON number grammar over s[j..e), as the number table would judge it. */
static int ddbs__is_number(const unsigned char *s, size_t j, size_t e)
{
    size_t d;
    if (j < e && s[j] == '-') j++;
    d = j;
    j = ddbs__digits(s, j, e);
    if (j == d || (s[d] == '0' && j - d > 1)) return 0;
    if (j < e && s[j] == '.') {
        d = ++j;
        if ((j = ddbs__digits(s, j, e)) == d) return 0;
    }
    if (j < e && (s[j] | 0x20u) == 'e') {
        if (++j < e && (s[j] == '+' || s[j] == '-')) j++;
        d = j;
        if ((j = ddbs__digits(s, j, e)) == d) return 0;
    }
    return j == e;
}

/* ddbs__is_number, s[j..e) in s[0..len): for N text of 1 to 16 bytes, plain and decimal
   numbers are judged in one step with bit masks, so that their varied lengths cost no
   mispredicted loop exits; anything else (an exponent, an error) goes to the full check. */
static DDBS__INLINE int ddbs__is_number16(const unsigned char *s, size_t j, size_t e, size_t len)
{
#if defined(DDBS__SSE2) && defined(DDBS__CTZ)
    unsigned n = (unsigned)(e - j);
    if (n - 1u < 16u && len - j >= 16) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        unsigned in = (1u << n) - 1u, neg = s[j] == '-';
        unsigned dig = (unsigned)_mm_movemask_epi8(_mm_and_si128(
                           _mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                           _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)))) & in;
        unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))) & in;
        /* after an optional '-': digits and at most one '.', a digit first and last, and
           no second digit after a leading 0 */
        unsigned ok = ((dig | dot) == (in & ~neg)) & ((dot & (dot - 1u)) == 0) &
                      (dig >> neg) & (dig >> (n - 1u)) & !(s[j + neg] == '0' && (dig >> (neg + 1u) & 1u));
        if (ok & 1u) return 1;
    }
#else
    (void)len;
#endif
    return ddbs__is_number(s, j, e);
}

/* Base64 as ddbs__b64_step would accept it whole: digits, then at most two '='. */
static int ddbs__is_base64(const unsigned char *s, size_t j, size_t e)
{
    size_t j0 = j;
    uint8_t st;
#ifdef DDBS__SSE2
    while (e - j >= 16) {  /* 16 digits at a time: A-Z a-z 0-9 + / */
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        const __m128i l = _mm_or_si128(x, _mm_set1_epi8(0x20));  /* letters in lower case */
        __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1)));
        ok = _mm_or_si128(ok, _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                            _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
        ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')),
                                           _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))));
        if (_mm_movemask_epi8(ok) != 0xFFFF) break;
        j += 16;
    }
#endif
    while (j < e && (ddbs__cls[s[j]] & 8u)) j++;
    st = (uint8_t)((j - j0) & 3u);
    for (; j < e; j++)
        if (ddbs__b64_step(&st, s[j])) return 0;
    return st == 0 || st == 5;
}

/* A type tag at s[t] ('"', with 8 bytes there) followed by ':': its index (ddbs__tag) with
   *after past the ':', or 10 when it is not written that plainly. */
static unsigned ddbs__tag_at(const unsigned char *s, size_t t, size_t *after)
{
    /* one-letter tags by their letter's low 5 bits (B 2, L 12, M 13, N 14, S 19), then the
       letter itself checked: a table instead of a chain of compares on unpredictable data */
    static const uint8_t one[32] = { 10, 10, 2, 10, 10, 10, 10, 10, 10, 10, 10, 10, 6, 5, 1, 10,
                                     10, 10, 10, 0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 };
    static const char letter[7] = { 'S', 'N', 'B', 0, 0, 'M', 'L' };
    unsigned c = s[t + 1], tag = one[c & 31u];
    if (s[t + 2] == '"') {
        if (tag == 10 || (unsigned char)letter[tag] != c || s[t + 3] != ':') return 10;
        *after = t + 4;
        return tag;
    }
    switch (ddbs__ld4(s + t)) {
    case DDBS__LE4('"', 'B', 'O', 'O'): tag = 3; break;
    case DDBS__LE4('"', 'N', 'U', 'L'): tag = 4; break;
    default: return 10;
    }
    if (s[t + 4] != 'L' || s[t + 5] != '"' || s[t + 6] != ':') return 10;
    *after = t + 7;
    return tag;
}

/* Is the value starting now a whole CSV cell (a top-level attribute of an image)? */
#define DDBS__CELL(p) ((p)->opt.format == DDBS_FORMAT_CSV && ddbs__top(p) == DDBS__R_IMAGE)

/* s[i] is the '"' of a key in an image or map: returns where its value starts, after the
   ':', or 0. In CSV, a top-level name is matched with the columns instead of written. */
static size_t ddbs__fast_key(ddbs_parser *p, const unsigned char *s, size_t i, size_t len)
{
    int cell = DDBS__CELL(p);  /* CSV compares names: no escapes there */
    size_t j = ddbs__scan_short(s, i + 1, len), k, n;
    if (j < len && s[j] != '"')
        j = cell ? ddbs__scan_text(s, j, len) : ddbs__scan_escaped(s, j, len);
    if (j >= len || s[j] != '"') return 0;
    k = j + 1;
    k = DDBS__WS(s, k, len);
    if (k >= len || s[k] != ':') return 0;
    n = j + 1 - i;  /* the name with its quotes */
    if (cell) {
        /* no escapes: the name as written is the name; the first column equal to it */
        uint64_t m = p->colhash[ddbs__colh((const char *)s + i + 1, n - 2)];
        p->col = 0xFF;
        for (; m; m &= m - 1) {  /* lowest column first */
            unsigned c = ddbs__ctz64(m);
            if (p->collen[c] == n - 2 && ddbs__same(p->opt.columns[c], (const char *)s + i + 1, n - 2)) {
                p->col = (uint8_t)c;
                break;
            }
        }
        p->sc.next = DDBS__R_AV;
        return k + 1;
    }
    if (p->dst) {
        size_t room = p->opt.buf_size - 2 - p->out_len;
        if (n + 1 > room) return 0;
        ddbs__copy(p->opt.buf + p->out_len, s + i, n, room, len - i);
        p->out_len += n;
        p->opt.buf[p->out_len++] = ':';
    }
    p->sc.next = DDBS__R_AV;
    return k + 1;
}

/* s[i] is the '{' of an AttributeValue: returns the index after its '}' if it was S, N, B,
   BOOL or NULL and all here, else 0: then *tagp is the tag seen (10: none) and, for M and L,
   *colon is where the value starts, past the ':'. */
static size_t ddbs__fast_av(ddbs_parser *p, const unsigned char *s, size_t i, size_t len,
                            unsigned *tagp, size_t *colon)
{
    static const char *const lit[3] = { "true", "false", "null" };
    size_t k, v0, v1, n, q, room, esc = 0;  /* esc: where S text stopped being plain ASCII */
    unsigned tag, typed = p->opt.format == DDBS_FORMAT_DDB, ln = 0;
    const char *l = NULL;
    char *d;
    *tagp = 10;
    if (p->sc.depth >= DDBS_MAX_DEPTH) return 0;
    k = ddbs__ws_nl(p, s, i + 1, len, 1);
    if (k >= len || s[k] != '"') return 0;
    if (len - k < 8 || (tag = ddbs__tag_at(s, k, &k)) == 10) {
        /* near the end of the chunk, or written with spaces: byte by byte */
        size_t t0 = ++k;
        while (k < len && k - t0 < 5 && s[k] >= 'A' && s[k] <= 'Z') k++;
        if (k >= len || s[k] != '"' || (tag = ddbs__tag((const char *)s + t0, (unsigned)(k - t0))) == 10)
            return 0;
        k++;
        k = DDBS__WS(s, k, len);
        if (k >= len || s[k] != ':') return 0;
        k++;
    }
    *tagp = tag;
    *colon = k;
    if (tag > 4) return 0;
    k = DDBS__WS(s, k, len);
    if (k >= len) return 0;
    if (tag <= 2) {  /* S, N, B: a plain string */
        if (s[k] != '"') return 0;
        v0 = k + 1;
        v1 = ddbs__scan_value(s, v0, len);
        if (v1 < len && s[v1] != '"' && tag == 0) {  /* S: escapes kept, or decoded in cells */
            esc = v1;
            v1 = ddbs__scan_escaped(s, v1, len);
        }
        if (v1 >= len || s[v1] != '"') return 0;
        if (tag == 1 ? !ddbs__is_number16(s, v0, v1, len) : tag == 2 && !ddbs__is_base64(s, v0, v1))
            return 0;
        k = v1 + 1;
    } else {  /* BOOL true/false, NULL true */
        if (len - k >= 5 && ddbs__ld4(s + k) == DDBS__LE4('t', 'r', 'u', 'e')) l = lit[0], ln = 4;
        else if (tag == 3 && len - k >= 6 && ddbs__ld4(s + k) == DDBS__LE4('f', 'a', 'l', 's') && s[k + 4] == 'e')
            l = lit[1], ln = 5;
        else return 0;
        v0 = k;
        v1 = k + ln;
        k = v1;
        if (tag == 4 && !typed) { l = lit[2]; ln = 4; }  /* NULL comes out as null */
    }
    k = ddbs__ws_nl(p, s, k, len, 0);
    if (k >= len || s[k] != '}') return 0;
    room = p->opt.buf_size - 2 - p->out_len;
    if (DDBS__CELL(p)) {  /* a cell: unquoted text, NULL empty */
        if (!p->imgwant || p->col >= DDBS_MAX_COLUMNS) return k + 1;
        if (tag == 4) l = "", ln = 0;
        n = tag <= 2 ? v1 - v0 : ln;
        if (n > room) return 0;
        p->cell[p->img][p->col][0] = (uint32_t)p->out_len;
        if (esc && ddbs__find((const char *)s, esc, v1, '\\') < v1) {
            /* the text the escapes stand for: it may hold '"' or a line break */
            p->out_len += ddbs__unescape((const char *)s + v0, n, p->opt.buf + p->out_len);
            p->cell[p->img][p->col][1] = (uint32_t)p->out_len;
            p->cellset[p->img] |= (uint64_t)1 << p->col;
            p->celltype[p->img][p->col] = (uint8_t)tag;
            return k + 1;
        }
        if (tag <= 2) ddbs__copy(p->opt.buf + p->out_len, s + v0, n, room, len - v0);
        else DDBS_MEMCPY(p->opt.buf + p->out_len, l, n);
        p->out_len += n;
        p->cell[p->img][p->col][1] = (uint32_t)p->out_len;
        p->cellset[p->img] |= (uint64_t)1 << p->col;
        p->celltype[p->img][p->col] = (uint8_t)(tag | DDBS__CT_PLAIN);
        return k + 1;
    }
    if (!p->dst) return k + 1;
    /* what the state machine writes: typed {"TAG":value}, plain the value alone */
    q = tag <= 2 && (typed || tag != 1 || (p->opt.flags & DDBS_F_NUMBERS_AS_STRINGS));
    n = (tag <= 2 ? v1 - v0 : ln) + (q ? 2u : 0u) + (typed ? (tag >= 3 ? 9u : 6u) : 0u);  /* {"TAG":} */
    if (n > room) return 0;
    d = p->opt.buf + p->out_len;
    if (typed) {
        static const char *const tags[5] = { "S", "N", "B", "BOOL", "NULL" };
        size_t tl = tag >= 3 ? 4u : 1u;
        *d++ = '{';
        *d++ = '"';
        DDBS_MEMCPY(d, tags[tag], tl);
        d += tl;
        *d++ = '"';
        *d++ = ':';
    }
    if (q) *d++ = '"';
    if (tag <= 2) {
        ddbs__copy(d, s + v0, v1 - v0, room - (size_t)(d - (p->opt.buf + p->out_len)), len - v0);
        d += v1 - v0;
    } else {
        DDBS_MEMCPY(d, l, ln);
        d += ln;
    }
    if (q) *d++ = '"';
    if (typed) *d++ = '}';
    DDBS_ASSERT((size_t)(d - p->opt.buf) - p->out_len == n);
    p->out_len = (size_t)(d - p->opt.buf);
    return k + 1;
}

/* Attribute values in one loop: the members of images and maps and the elements of lists,
   with maps and lists opened and closed here as the state machine would. Starts at the '"'
   of a member's name (at_value 0) or at the '{' of an AttributeValue (at_value 1, with
   p->sc.next == DDBS__R_AV). Returns where the state machine goes on, in state *st. */
static size_t ddbs__fast_tree(ddbs_parser *p, const unsigned char *s, size_t i, size_t len,
                              uint8_t *st, int at_value)
{
    size_t k = i, v, w;
    unsigned tag, raw;
    /* plain NDJSON: a member "name":{"S":"text"} (or N, B), compact or pretty, is matched
       whole below, and written as fast_key and fast_av would write it, in one go */
    int plain = p->opt.format == DDBS_FORMAT_NDJSON;
    unsigned nq = (p->opt.flags & DDBS_F_NUMBERS_AS_STRINGS) != 0;
    if (at_value) goto value;
    for (;;) {
        /* s[i] == '"': a name in the image or map on top */
        if (plain && p->sc.depth < DDBS_MAX_DEPTH) {
            /* a plain name, then : or ": " and { */
            size_t j = ddbs__scan_short(s, i + 1, len), n = j + 1 - i, a, t, v0, v1;
            if (len - j >= 32 && s[j] == '"' && s[j + 1] == ':' &&
                s[a = ddbs__past_space(s, j + 2)] == '{') {
                /* "X": with X the tag, then " or  " (pretty: a newline and an indent before the
                   tag and before the closing brace) */
                t = ddbs__ws_nl(p, s, a + 1, len, 1);
                if (len - t >= 8 && (ddbs__ld4(s + t) & 0xFFFF00FFu) == DDBS__LE4('"', 0, '"', ':')) {
                    unsigned c = s[t + 1];
                    tag = c == 'S' ? 0u : c == 'N' ? 1u : c == 'B' ? 2u : 3u;
                    v0 = ddbs__past_space(s, t + 4);
                    if (tag <= 2 && s[v0] == '"') {
                        v1 = ddbs__scan_value(s, ++v0, len);
                        if (v1 < len && s[v1] != '"' && tag == 0) v1 = ddbs__scan_escaped(s, v1, len);
                        if (v1 < len && s[v1] == '"' && (k = ddbs__ws_nl(p, s, v1 + 1, len, 0)) < len &&
                            s[k] == '}' &&
                            (tag == 0 || (tag == 1 ? ddbs__is_number16(s, v0, v1, len) : ddbs__is_base64(s, v0, v1)))) {
                            p->sc.next = DDBS__R_AV;
                            if (p->dst) {  /* "name":"text" as fast_key and fast_av write it */
                                size_t vn = v1 - v0, room = p->opt.buf_size - 2 - p->out_len;
                                unsigned q = tag != 1 || nq;
                                char *d = p->opt.buf + p->out_len;
                                if (n + 1 + vn + 2 * q > room) goto member;
                                ddbs__copy(d, s + i, n, room, len - i);
                                d[n] = ':';
                                d += n + 1;
                                d[0] = '"';
                                d += q;
                                ddbs__copy(d, s + v0, vn, room - n - 1 - q, len - v0);
                                d += vn;
                                d[0] = '"';
                                p->out_len = (size_t)(d + q - p->opt.buf);
                            }
                            v = k + 1;
                            goto after;
                        }
                    }
                }
                /* any other AttributeValue: the name as fast_key writes it, the value below */
                if (p->dst) {
                    size_t room = p->opt.buf_size - 2 - p->out_len;
                    if (n + 1 > room) goto member;
                    ddbs__copy(p->opt.buf + p->out_len, s + i, n, room, len - i);
                    p->opt.buf[p->out_len + n] = ':';
                    p->out_len += n + 1;
                }
                p->sc.next = DDBS__R_AV;
                k = a;
                goto value;
            }
        }
    member:
        if (!(k = ddbs__fast_key(p, s, i, len))) { *st = DDBS__S_KEY; return i; }
        k = DDBS__WS(s, k, len);
        if (k >= len || s[k] != '{') { *st = DDBS__S_VALUE; return k; }
    value:  /* s[k] == '{' of an AttributeValue */
        if (!(v = ddbs__fast_av(p, s, k, len, &tag, &w))) {
            /* {"M":{, {"L":[ or a set's {"SS":[ opens here when the state machine could not
               fail on it */
            static const char *const typed_open[5] = { "{\"M\":", "{\"L\":", "{\"SS\":", "{\"NS\":",
                                                       "{\"BS\":" };
            if (tag < 5 || tag > 9 || p->sc.depth + 3 > DDBS_MAX_DEPTH ||
                p->opt.buf_size - 2 - p->out_len < 8)
                { *st = DDBS__S_VALUE; return k; }
            w = DDBS__WS(s, w, len);
            if (w >= len || s[w] != (tag == 5 ? '{' : '[')) { *st = DDBS__S_VALUE; return k; }
            /* as ddbs__begin (the AttributeValue), ddbs__key_end (its tag) and ddbs__begin
               (the map or list) would, with the room and depth checked above */
            if (DDBS__CELL(p)) {
                p->ctype = (uint8_t)tag;
                if (p->imgwant && p->col < DDBS_MAX_COLUMNS) {
                    p->dst = DDBS__D_LINE;
                    p->cell[p->img][p->col][0] = (uint32_t)p->out_len;
                }
            }
            p->sc.stack[p->sc.depth++] = DDBS__R_AV_DONE;
            if (p->opt.format == DDBS_FORMAT_DDB) (void)ddbs__put(p, typed_open[tag - 5], tag <= 6 ? 5u : 6u);
            /* L, SS, NS, BS: the roles follow the tags' order */
            p->sc.stack[p->sc.depth++] = (uint8_t)(tag == 5 ? (unsigned)DDBS__R_MAP : (DDBS__R_LIST + tag - 6) | DDBS__ARR);
            (void)ddbs__put1(p, (char)s[w]);
            v = ddbs__ws_nl(p, s, w + 1, len, 0);
            if (v >= len) { *st = tag == 5 ? DDBS__S_OBJ_FIRST : DDBS__S_ARR_FIRST; return v; }
            if (tag == 5 && s[v] == '"') { i = v; continue; }
            if (tag == 6 && s[v] == '{') { p->sc.next = DDBS__R_AV; k = v; goto value; }
            if (tag >= 7 && s[v] == '"') goto element;
            if (s[v] != (tag == 5 ? '}' : ']')) {
                *st = tag == 5 ? DDBS__S_OBJ_FIRST : DDBS__S_ARR_FIRST;
                return v;
            }
            goto close;  /* {} or [] */
        }
    after:  /* v: after a value in the container on top */
        v = ddbs__ws_nl(p, s, v, len, -1);
        if (v >= len) { *st = DDBS__S_AFTER; return v; }
        raw = p->sc.stack[p->sc.depth - 1];
        if (s[v] == ',') {
            if (p->dst && ddbs__put1(p, ',')) { *st = DDBS__S_AFTER; return v; }  /* retold there */
            i = ddbs__ws_nl(p, s, v + 1, len, 0);
            if (raw & DDBS__ARR) {  /* a list or a set: the next element */
                p->sc.next = ddbs__elem(raw & 0x7Fu);
                if (i < len && s[i] == '{' && (raw & 0x7Fu) == DDBS__R_LIST) { k = i; goto value; }
                if (i < len && s[i] == '"' && (raw & 0x7Fu) != DDBS__R_LIST) { v = i; goto element; }
                *st = DDBS__S_VALUE;
                return i;
            }
            if (i >= len || s[i] != '"') { *st = DDBS__S_KEY; return i; }
            continue;
        }
        if (((raw & 0x7Fu) != DDBS__R_MAP && ((raw & 0x7Fu) < DDBS__R_LIST || (raw & 0x7Fu) > DDBS__R_BS)) ||
            (s[v] != '}' && s[v] != ']')) {
            *st = DDBS__S_AFTER;  /* the end of an image, or an error: the state machine's */
            return v;
        }
    close:  /* s[v] closes the map or list on top, then its AttributeValue's '}' must come */
        if ((s[v] == ']') != ((p->sc.stack[p->sc.depth - 1] & DDBS__ARR) != 0) ||
            (p->dst == DDBS__D_LINE && p->opt.buf_size - 2 - p->out_len < 2))
            { *st = DDBS__S_AFTER; return v; }
        p->sc.depth--;  /* as ddbs__close: the bracket out, with the room checked above */
        (void)ddbs__put1(p, (char)s[v]);
        k = ddbs__ws_nl(p, s, v + 1, len, -1);
        if (k >= len || s[k] != '}') { *st = DDBS__S_AFTER; return v + 1; }
        p->sc.depth--;  /* the AttributeValue: a CSV cell ends, typed '}' */
        if (p->opt.format == DDBS_FORMAT_CSV && p->dst == DDBS__D_LINE && ddbs__top(p) == DDBS__R_IMAGE) {
            p->cell[p->img][p->col][1] = (uint32_t)p->out_len;
            p->cellset[p->img] |= (uint64_t)1 << p->col;
            p->celltype[p->img][p->col] = p->ctype;
            p->dst = DDBS__D_NONE;
        }
        if (p->opt.format == DDBS_FORMAT_DDB) (void)ddbs__put1(p, '}');
        v = k + 1;
        goto after;
    element: {  /* s[v] == '"': an element of the set on top, plain and whole here, or the
                   state machine's (p->sc.next is its role) */
            unsigned r = p->sc.stack[p->sc.depth - 1] & 0x7Fu;
            size_t v0 = v + 1, v1 = ddbs__scan_value(s, v0, len);
            p->sc.next = ddbs__elem(r);
            if (v1 < len && s[v1] != '"' && r == DDBS__R_SS) v1 = ddbs__scan_escaped(s, v1, len);
            if (v1 >= len || s[v1] != '"' ||
                (r == DDBS__R_NS ? !ddbs__is_number16(s, v0, v1, len) : r == DDBS__R_BS && !ddbs__is_base64(s, v0, v1)))
                { *st = DDBS__S_VALUE; return v; }
            if (p->dst) {  /* as ddbs__begin and ddbs__str_end write it: N quoted only when asked */
                size_t vn = v1 - v0, room = p->opt.buf_size - 2 - p->out_len;
                unsigned q = r != DDBS__R_NS || nq || p->opt.format == DDBS_FORMAT_DDB;
                char *d = p->opt.buf + p->out_len;
                if (vn + 2 * q > room) { *st = DDBS__S_VALUE; return v; }
                d[0] = '"';
                d += q;
                ddbs__copy(d, s + v0, vn, room - q, len - v0);
                d += vn;
                d[0] = '"';
                p->out_len = (size_t)(d + q - p->opt.buf);
            }
            v = v1 + 1;
            goto after;
        }
    }
}

/* s[i] is the '"' of a string ddbs__begin has set up: if it is plain (copied as written, or
   only checked) and whole here, it is copied and the index of its closing quote returned;
   else 0, and nothing is done. */
static DDBS__INLINE size_t ddbs__fast_string(ddbs_parser *p, const unsigned char *s, size_t i, size_t len)
{
    int out = (p->sc.sflags & DDBS__SF_OUT) && p->dst;
    size_t j;
    if ((p->sc.sflags & ~(unsigned)(DDBS__SF_OUT | DDBS__SF_QUOTE)) != 0) return 0;
    j = ddbs__scan_value(s, i + 1, len);
    if (j < len && s[j] != '"') j = ddbs__scan_escaped(s, j, len);
    if (j >= len || s[j] != '"' || (out && j - i - 1 > ddbs__room(p))) return 0;
    if (out) (void)ddbs__put(p, (const char *)s + i + 1, j - i - 1);
    return j;
}

/* Envelope fields in one loop: in the objects around the images (the event, the record,
   "dynamodb", unknown objects), each plain key is matched, and a plain string or number
   value taken, without a trip through the state machine per token. Starts at the '"' of a
   key. Returns 0 with *pos and *st where the state machine goes on, or an error as the
   state machine would report it (*pos, *at). */
static int ddbs__fast_fields(ddbs_parser *p, const unsigned char *s, size_t *pos, size_t len,
                             uint64_t base, uint64_t *at, uint8_t *st)
{
    size_t i = *pos, j, k, v;
    int e;
    for (;;) {
        unsigned raw = ddbs__top(p);
        /* s[i] == '"': the key, compared after unescaping: only one without escapes here */
        if (raw == DDBS__R_AV_DONE || raw == DDBS__R_RAW || raw == DDBS__R_UIDOBJ ||
            raw == DDBS__R_IMAGE || raw == DDBS__R_MAP)
            { *st = DDBS__S_KEY; break; }  /* a second type tag, or names copied out */
        j = ddbs__scan_short(s, i + 1, len);
        if (j >= len || s[j] != '"' || j - i - 1 > DDBS__TOK_CAP) { *st = DDBS__S_KEY; break; }
        p->sc.tok_off = base + i;
        p->sc.sflags = DDBS__SF_KEY | DDBS__SF_CAP | DDBS__SF_DECODE;
        p->sc.toklen = (uint8_t)(j - i - 1);
        i = j + 1;
        if ((e = ddbs__key_end(p, (const char *)s + j - p->sc.toklen)) != 0) {
            *pos = i;
            *at = p->sc.tok_off;
            return e;
        }
        k = DDBS__WS(s, i, len);
        if (k >= len || s[k] != ':') { *st = DDBS__S_COLON; break; }
        i = k + 1;
        k = DDBS__WS(s, i, len);
        if (k >= len) { *st = DDBS__S_VALUE; i = k; break; }
        if (s[k] == '"' && p->sc.next == DDBS__R_SKIP) {
            /* an unknown field's string is only checked: what ddbs__begin, ddbs__fast_string
               and ddbs__str_end would do with it, without them */
            j = ddbs__scan_value(s, k + 1, len);
            if (j < len && s[j] != '"') j = ddbs__scan_escaped(s, j, len);
            if (j < len && s[j] == '"') {
                p->sc.tok_off = base + k;
                p->sc.sflags = 0;
                v = j + 1;
                goto value_done;
            }
        }
        if (s[k] == '"' && p->sc.next != DDBS__R_KDATA) {
            p->sc.tok_off = base + k;
            if ((e = ddbs__begin(p, '"')) != 0 ||
                ((p->sc.sflags & DDBS__SF_QUOTE) && p->dst && (e = ddbs__put1(p, '"')) != 0)) {
                *pos = k;
                *at = base + k;
                return e;
            }
            i = k + 1;
            if (!(j = ddbs__fast_string(p, s, k, len))) { *st = DDBS__S_STR; break; }
            if ((e = ddbs__str_end(p)) != 0) {
                *pos = j + 1;
                *at = e == DDBS_E_SCHEMA ? p->sc.tok_off : base + j;
                return e;
            }
            v = j + 1;
        } else if (s[k] == '{' && p->sc.next >= DDBS__R_DDB && p->sc.next <= DDBS__R_IMG_OLD) {
            /* "dynamodb" and the images open here, as the state machine would (S_VALUE,
               then S_OBJ_FIRST); an image's members go to the member loop, and its '}' is
               closed here when that loop stops at it */
            p->sc.tok_off = base + k;
            if ((e = ddbs__begin(p, '{')) != 0) { *pos = k; *at = base + k; return e; }
            i = k + 1;
            i = DDBS__WS(s, i, len);
            if (i >= len || s[i] != '"') { *st = DDBS__S_OBJ_FIRST; break; }
            if (ddbs__top(p) != DDBS__R_IMAGE) continue;  /* "dynamodb": its first key */
            j = ddbs__fast_tree(p, s, i, len, st, 0);
            if (j == i && *st == DDBS__S_KEY) { *st = DDBS__S_OBJ_FIRST; break; }
            if (*st != DDBS__S_AFTER || j >= len || s[j] != '}' || ddbs__top(p) != DDBS__R_IMAGE) {
                i = j;
                break;
            }
            *at = base + j;
            if ((e = ddbs__close(p, '}', at)) != 0) { *pos = j + 1; return e; }
            v = j + 1;
        } else if (s[k] == '-' || (unsigned)(s[k] - '0') < 10u) {
            uint8_t ns = 0, nx;
            for (j = k; j < len && (nx = ddbs__numtab[ns][ddbs__numcls(s[j])]) != 0xFF; j++) ns = nx;
            if (j >= len || !DDBS__NUM_ACCEPTS(ns)) { *st = DDBS__S_VALUE; i = k; break; }
            p->sc.tok_off = base + k;
            if ((e = ddbs__begin(p, '0')) != 0) { *pos = k; *at = base + k; return e; }
            if (p->dst && (e = ddbs__put_in(p, s + k, j - k, base + k, at)) != 0) { *pos = k; return e; }
            (void)ddbs__scalar_end(p, '0');  /* a number cannot fail there */
            v = j;
        } else {
            *st = DDBS__S_VALUE;  /* objects, arrays, literals, payloads */
            i = k;
            break;
        }
    value_done:  /* after the value: ',' and the next key, or the state machine closes the object */
        i = v;
        v = DDBS__WS(s, v, len);
        raw = p->sc.stack[p->sc.depth - 1];
        if (v >= len || s[v] != ',' || (raw & DDBS__ARR) ||
            (p->dst && (raw & 0x7Fu) != DDBS__R_SKIP && ddbs__room(p) < 1))
            { *st = DDBS__S_AFTER; i = v; break; }
        if (p->dst && (raw & 0x7Fu) != DDBS__R_SKIP) (void)ddbs__put1(p, ',');
        i = v + 1;
        i = DDBS__WS(s, i, len);
        if (i >= len || s[i] != '"') { *st = DDBS__S_KEY; break; }
    }
    *pos = i;
    return 0;
}

#endif /* DDBS_SMALL */

/* ------------------------------------------------------------------ driver ------------ */

/* CSV column names: 1..DDBS_MAX_COLUMNS, no NULL, no duplicates. Fills lengths and the
   metadata index of each; returns 0 or -1. */
static int ddbs__columns(const ddbs_options *o, uint32_t *len, uint8_t *meta)
{
    static const char *const names[4] = { "eventName", "eventID", "SequenceNumber",
                                          "ApproximateCreationDateTime" };
    size_t c, d;
    if (!o->columns || o->ncolumns < 1 || o->ncolumns > DDBS_MAX_COLUMNS) return -1;
    for (c = 0; c < o->ncolumns; c++) {
        size_t n;
        unsigned m;
        if (!o->columns[c]) return -1;
        n = ddbs__strlen(o->columns[c]);
        if (n > 0xFFFFFFF0u) return -1;
        if (len) len[c] = (uint32_t)n;
        for (d = 0; d < c; d++) {
            const char *a = o->columns[c], *b = o->columns[d];
            while (*a && *a == *b) { a++; b++; }
            if (*a == *b) return -1;
        }
        for (m = 0; m < 4 && meta; m++) {
            const char *a = o->columns[c], *b = names[m];
            while (*a && *a == *b) { a++; b++; }
            meta[c] = (uint8_t)(*a == *b ? m + 1 : meta[c]);
        }
    }
    return 0;
}

/* The header row of columns already checked. Apart from ddbs_csv_header so the parser,
   whose init checked them, writes it without ddbs__columns on its deepest call chain. */
static size_t ddbs__csv_header_row(const ddbs_options *opt, char *dst, size_t cap)
{
    size_t c, n = 0, i;
    int crlf = (opt->flags & DDBS_F_CRLF) != 0;
    for (c = 0; c < opt->ncolumns; c++) {  /* measure first: write only if it all fits */
        const char *v = opt->columns[c];
        int q = 0;
        for (i = 0; v[i]; i++) {
            if (v[i] == '"') { q = 1; n++; }
            else if (v[i] == ',' || v[i] == '\r' || v[i] == '\n') q = 1;
        }
        n += i + (q ? 2u : 0u) + (c ? 1u : 0u);
    }
    n += 1u + (unsigned)crlf;
    if (!dst || n > cap) return n;
    for (c = 0, i = 0; c < opt->ncolumns; c++) {
        const char *v = opt->columns[c];
        size_t j;
        int q = 0;
        for (j = 0; v[j]; j++) if (v[j] == '"' || v[j] == ',' || v[j] == '\r' || v[j] == '\n') q = 1;
        if (c) dst[i++] = ',';
        if (q) dst[i++] = '"';
        for (j = 0; v[j]; j++) { if (v[j] == '"') dst[i++] = '"'; dst[i++] = v[j]; }
        if (q) dst[i++] = '"';
    }
    if (crlf) dst[i++] = '\r';
    dst[i++] = '\n';
    DDBS_ASSERT(i == n);
    return n;
}

DDBS_API size_t ddbs_csv_header(const ddbs_options *opt, char *dst, size_t cap)
{
    if (!opt || ddbs__columns(opt, NULL, NULL)) return 0;
    return ddbs__csv_header_row(opt, dst, cap);
}

DDBS_API ddbs_result ddbs_parser_init(ddbs_parser *p, const ddbs_options *opt)
{
    if (!p) return DDBS_E_ARG;
    DDBS_MEMSET(p, 0, sizeof *p);
    if (!opt || (!opt->sink && !opt->on_record) || !opt->buf || opt->buf_size < DDBS_MIN_BUF ||
        (unsigned)opt->format > DDBS_FORMAT_CSV || (unsigned)opt->shape > DDBS_SHAPE_ITEM ||
        (opt->format == DDBS_FORMAT_CSV &&
         (opt->buf_size > 0xFFFFFFF0u || ddbs__columns(opt, p->collen, p->colmeta)))) {
        DDBS_MEMSET(p, 0, sizeof *p);
        p->error = DDBS_E_ARG;
        return DDBS_E_ARG;
    }
    p->opt = *opt;
    p->sc.st = DDBS__S_BOM0;
    p->carry_lim = DDBS__CARRY - 1;
    if (opt->format == DDBS_FORMAT_CSV) {
        size_t c;
        for (c = 0; c < opt->ncolumns; c++)
            if (!p->colmeta[c])
                p->colhash[ddbs__colh(opt->columns[c], p->collen[c])] |= (uint64_t)1 << c;
    }
    return DDBS_OK;
}

DDBS_API const char *ddbs_parser_sequence(const ddbs_parser *p, size_t *len)
{
    if (len) *len = p ? p->mlen[DDBS__M_SEQ] : 0;
    return p ? p->meta + ddbs__moff[DDBS__M_SEQ] : "";
}

static ddbs_result ddbs__fail(ddbs_parser *p, int code, uint64_t at)
{
    p->error = (ddbs_result)code;
    p->carry_lim = 0;
    p->error_offset = at;
    p->error_record = p->records_in + 1;
    return p->error;
}

/* Runs the scanner and the record assembler over s[*pos..len), whose s[0] is at stream
   offset base, until the end of s, an error (returned, with its offset in *at_out) or the
   start of a base64 payload (p->nested set). *pos is where it stopped. */
static int ddbs__run(ddbs_parser *p, const unsigned char *s, size_t *pos, size_t len,
                     uint64_t base, uint64_t *at_out)
{
    size_t i = *pos;
    uint64_t at = 0;
    int e = 0;
    while (i < len) {
        unsigned c = s[i];
        switch (p->sc.st) {
        case DDBS__S_BOM0:
            if (c == 0xEF) { p->sc.st = DDBS__S_BOM1; i++; } else p->sc.st = DDBS__S_TOP;
            continue;
        case DDBS__S_BOM1: case DDBS__S_BOM2:
            if (c != (p->sc.st == DDBS__S_BOM1 ? 0xBBu : 0xBFu)) { e = DDBS_E_UTF8; at = base + i; goto fail; }
            p->sc.st = (uint8_t)(p->sc.st == DDBS__S_BOM1 ? DDBS__S_BOM2 : DDBS__S_TOP);
            i++;
            continue;
        case DDBS__S_TOP:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            if (c == '{') {
                p->sc.doc_off = base + i;
                p->sc.depth = 0;
                p->sc.doc_records = 0;
                ddbs__record_begin(p);
                p->in_record = 0;
                p->sc.stack[p->sc.depth++] = DDBS__R_DOC;
                p->sc.st = DDBS__S_OBJ_FIRST;
                i++;
                continue;
            }
            at = base + i;
            e = (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
                 c == 'f' || c == 'n') ? DDBS_E_NOT_STREAM : DDBS_E_SYNTAX;
            goto fail;
        case DDBS__S_OBJ_FIRST: case DDBS__S_KEY:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            if (c == '}' && p->sc.st == DDBS__S_OBJ_FIRST) goto close;
            if (c != '"') { e = DDBS_E_SYNTAX; at = base + i; goto fail; }
#ifndef DDBS_SMALL
            if (ddbs__top(p) == DDBS__R_IMAGE || ddbs__top(p) == DDBS__R_MAP) {
                uint8_t st = DDBS__S_KEY;
                size_t k = ddbs__fast_tree(p, s, i, len, &st, 0);
                if (k != i || st != DDBS__S_KEY) {
                    i = k;
                    p->sc.st = st;
                    continue;
                }
            } else {
                uint8_t st = DDBS__S_KEY;
                size_t k = i;
                if ((e = ddbs__fast_fields(p, s, &k, len, base, &at, &st)) != 0) { i = k; goto fail; }
                if (k != i || st != DDBS__S_KEY) {
                    i = k;
                    p->sc.st = st;
                    continue;
                }
            }
#endif
            p->sc.tok_off = base + i;
            if ((e = ddbs__key_begin(p)) != 0 ||
                ((p->sc.sflags & DDBS__SF_QUOTE) && p->dst && (e = ddbs__put1(p, '"')) != 0)) {
                at = base + i;
                goto fail;
            }
            p->sc.st = DDBS__S_STR;
            i++;
            continue;
        case DDBS__S_COLON:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            if (c != ':') { e = DDBS_E_SYNTAX; at = base + i; goto fail; }
            p->sc.st = DDBS__S_VALUE;
            i++;
            continue;
        case DDBS__S_ARR_FIRST:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            if (c == ']') goto close;
            p->sc.next = ddbs__elem(ddbs__top(p));
            p->sc.st = DDBS__S_VALUE;
            continue;
        case DDBS__S_VALUE:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            p->sc.tok_off = at = base + i;
            switch (c) {
            case '{':
#ifndef DDBS_SMALL
                if (p->sc.next == DDBS__R_AV) {
                    uint8_t st = DDBS__S_VALUE;
                    size_t k = ddbs__fast_tree(p, s, i, len, &st, 1);
                    if (k != i || st != DDBS__S_VALUE) {
                        i = k;
                        p->sc.st = st;
                        continue;
                    }
                }
#endif
                if ((e = ddbs__begin(p, '{')) != 0) goto fail;
                p->sc.st = DDBS__S_OBJ_FIRST;
                break;
            case '[':
                if ((e = ddbs__begin(p, '[')) != 0) goto fail;
                p->sc.st = DDBS__S_ARR_FIRST;
                break;
            case '"':
                if ((e = ddbs__begin(p, '"')) != 0 ||
                    ((p->sc.sflags & DDBS__SF_QUOTE) && p->dst && (e = ddbs__put1(p, '"')) != 0))
                    goto fail;
#ifndef DDBS_SMALL
                if (p->sc.next != DDBS__R_KDATA) {
                    size_t j = ddbs__fast_string(p, s, i, len);
                    if (j) {
                        i = j + 1;
                        at = base + j;
                        if ((e = ddbs__str_end(p)) != 0) {
                            if (e == DDBS_E_SCHEMA) at = p->sc.tok_off;
                            goto fail;
                        }
                        p->sc.st = DDBS__S_AFTER;
                        continue;
                    }
                }
#endif
                p->sc.st = DDBS__S_STR;
                if (p->sc.next == DDBS__R_KDATA) {
                    /* a payload: the outer scanner waits while its documents are read */
                    p->outer = p->sc;
                    DDBS_MEMSET(&p->sc, 0, sizeof p->sc);
                    p->sc.st = DDBS__S_TOP;
                    p->nested = 1;
                    p->kn = p->kpad = p->kesc = 0;
                    p->kacc = 0;
                    p->kdec = 0;
                    p->kescs = 0;
                    p->kbn = 0;
                    p->kdata_off = base + i + 1;
                    i++;
                    goto done;
                }
                break;
            case 't': case 'f': case 'n':
                if ((e = ddbs__begin(p, c)) != 0) goto fail;
                p->sc.lit = (uint8_t)(c == 't' ? 0 : c == 'f' ? 1 : 2);
                p->sc.litn = 1;
                p->sc.st = DDBS__S_LIT;
                break;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    if ((e = ddbs__begin(p, '0')) != 0) goto fail;
                    p->sc.nst = 0;
                    p->sc.st = DDBS__S_NUM;
                    continue;  /* the number state takes this byte */
                }
                e = DDBS_E_SYNTAX;
                goto fail;
            }
            i++;
            continue;
        case DDBS__S_AFTER:
            if (ddbs__is_ws(c)) {
                if ((i = ddbs__skip_ws(s, i, len)) == len) goto done;
                c = s[i];
            }
            if (c == ',') {
                unsigned raw = p->sc.stack[p->sc.depth - 1], r = raw & 0x7Fu;
                if (p->dst && r != DDBS__R_SKIP && (e = ddbs__put1(p, ',')) != 0) {
                    at = base + i;
                    goto fail;
                }
                if (raw & DDBS__ARR) {
                    p->sc.next = ddbs__elem(r);
                    p->sc.st = DDBS__S_VALUE;
                } else {
                    p->sc.st = DDBS__S_KEY;
                }
                i++;
                continue;
            }
            if (c == '}' || c == ']') goto close;
            e = DDBS_E_SYNTAX;
            at = base + i;
            goto fail;
        case DDBS__S_STR: {
            size_t j = i;
            for (;;) {
                int need;
                uint8_t lo, hi;
                size_t bad;
                j = ddbs__scan_str(s, j, len);
                if (j == len || s[j] < 0x80) break;
                /* UTF-8 checked in place when the sequence is whole in this chunk. A bad byte
                   is reported after the bytes before it are used, as when fed one by one: an
                   error in them (a number, a full buffer) comes first, whatever the chunks */
                need = ddbs__u8lead(s[j], &lo, &hi);
                if (need < 0) { bad = j; goto bad_utf8; }
                if (len - j <= (size_t)need) {
                    size_t k = j + 1;
                    for (; k < len; k++, need--, lo = 0x80, hi = 0xBF)
                        if (s[k] < lo || s[k] > hi) { bad = k; goto bad_utf8; }
                    if ((e = ddbs__str_bytes(p, s + i, len - i, base + i, &at)) != 0) goto fail;
                    p->sc.u8need = (uint8_t)need;  /* the loop counted down what it saw */
                    p->sc.u8lo = lo;
                    p->sc.u8hi = hi;
                    p->sc.st = DDBS__S_UTF8;
                    i = len;
                    goto done;
                }
                {
                    size_t k;
                    for (k = 1; k <= (size_t)need; k++, lo = 0x80, hi = 0xBF)
                        if (s[j + k] < lo || s[j + k] > hi) { bad = j + k; goto bad_utf8; }
                    j += k;
                }
                continue;
            bad_utf8:
                if ((e = ddbs__str_bytes(p, s + i, bad - i, base + i, &at)) != 0) goto fail;
                e = DDBS_E_UTF8;
                at = base + bad;
                goto fail;
            }
            if ((e = ddbs__str_bytes(p, s + i, j - i, base + i, &at)) != 0) goto fail;
            i = j;
            if (j == len) goto done;
            c = s[j];
            if (c == '"') {
                i++;
                at = base + j;
                if (p->sc.hisur && (e = ddbs__text_unit(p, DDBS__NO_UNIT, at, &at)) != 0) goto fail;
                if (p->sc.sflags & DDBS__SF_KEY) {
                    if ((p->sc.sflags & DDBS__SF_QUOTE) && p->dst && (e = ddbs__put1(p, '"')) != 0) goto fail;
                    if ((e = ddbs__key_end(p, p->sc.tok)) != 0) { at = p->sc.tok_off; goto fail; }
                    p->sc.st = DDBS__S_COLON;
                } else {
                    if ((e = ddbs__str_end(p)) != 0) {
                        if (e == DDBS_E_SCHEMA) at = p->sc.tok_off;
                        goto fail;
                    }
                    p->sc.st = DDBS__S_AFTER;
                }
                continue;
            }
            if (c == '\\') {
                at = base + j;
                if (p->sc.sflags & DDBS__SF_NUM) { e = DDBS_E_NUMBER; goto fail; }
                if (!(p->sc.sflags & DDBS__SF_DECODE) &&
                    (e = ddbs__str_bytes(p, s + j, 1, at, &at)) != 0 && e != DDBS_E_BASE64)
                    goto fail;
                e = 0;
                p->sc.st = DDBS__S_ESC;
                i++;
                continue;
            }
            e = DDBS_E_SYNTAX;  /* raw control character */
            at = base + j;
            goto fail;
        }
        case DDBS__S_ESC: {
            unsigned f = p->sc.sflags;
            at = base + i;
            if (c == 'u') {
                p->sc.hexn = 0;
                p->sc.hexv = 0;
                p->sc.st = DDBS__S_UHEX;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                p->sc.st = DDBS__S_STR;
            } else {
                e = DDBS_E_SYNTAX;
                goto fail;
            }
            /* base64 sees the escaped character: only \/ makes sense there */
            if ((f & DDBS__SF_B64) && (c != '/' || ddbs__b64_step(&p->sc.b64, '/'))) {
                e = DDBS_E_BASE64;
                goto fail;
            }
            p->sc.sflags = (uint16_t)(f & ~DDBS__SF_B64);
            if (!(f & DDBS__SF_DECODE)) {
                e = ddbs__str_bytes(p, s + i, 1, at, &at);
            } else if (c != 'u') {
                static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                unsigned k = 0;
                while ((unsigned char)from[k] != c) k++;
                e = ddbs__text_unit(p, (unsigned char)to[k], at, &at);
            }
            p->sc.sflags = (uint16_t)f;
            if (e) goto fail;
            i++;
            continue;
        }
        case DDBS__S_UHEX:
            at = base + i;
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                e = DDBS_E_SYNTAX;
                goto fail;
            }
            p->sc.hexv = (uint16_t)(((unsigned)p->sc.hexv << 4) |
                                 (c <= '9' ? c - '0' : (c | 0x20u) - 'a' + 10u));
            if (!(p->sc.sflags & DDBS__SF_DECODE) && (e = ddbs__str_bytes(p, s + i, 1, at, &at)) != 0)
                goto fail;
            if (++p->sc.hexn == 4) {
                p->sc.st = DDBS__S_STR;
                if ((p->sc.sflags & DDBS__SF_DECODE) && (e = ddbs__text_unit(p, p->sc.hexv, at, &at)) != 0)
                    goto fail;
            }
            i++;
            continue;
        case DDBS__S_UTF8:
            at = base + i;
            if (c < p->sc.u8lo || c > p->sc.u8hi) { e = DDBS_E_UTF8; goto fail; }
            if ((e = ddbs__str_bytes(p, s + i, 1, at, &at)) != 0) goto fail;
            p->sc.u8lo = 0x80;
            p->sc.u8hi = 0xBF;
            if (--p->sc.u8need == 0) p->sc.st = DDBS__S_STR;
            i++;
            continue;
        case DDBS__S_NUM: {
            size_t j = i;
            uint8_t st = p->sc.nst, nx;
            while (j < len && (nx = ddbs__numtab[st][ddbs__numcls(s[j])]) != 0xFF) { st = nx; j++; }
            p->sc.nst = st;
            if (p->dst && j > i && (e = ddbs__put_in(p, s + i, j - i, base + i, &at)) != 0)
                goto fail;
            i = j;
            if (j == len) goto done;
            if (!DDBS__NUM_ACCEPTS(st)) { e = DDBS_E_SYNTAX; at = base + j; goto fail; }
            if ((e = ddbs__scalar_end(p, '0')) != 0) { at = base + j; goto fail; }
            p->sc.st = DDBS__S_AFTER;
            continue;
        }
        case DDBS__S_LIT: {
            static const char *const lits[3] = { "true", "false", "null" };
            const char *z = lits[p->sc.lit];
            if (c != (unsigned char)z[p->sc.litn]) { e = DDBS_E_SYNTAX; at = base + i; goto fail; }
            i++;
            if (z[++p->sc.litn] == 0) {
                if ((e = ddbs__scalar_end(p, (unsigned char)z[0])) != 0) { at = base + i - 1; goto fail; }
                p->sc.st = DDBS__S_AFTER;
            }
            continue;
        }
        case DDBS__S_RESYNC:
            while (c != '\n') { if (++i == len) goto done; c = s[i]; }
            p->sc.st = DDBS__S_RESYNC_NL;
            i++;
            continue;
        case DDBS__S_RESYNC_NL:
            if (c == '{') p->sc.st = DDBS__S_TOP;
            else { p->sc.st = (uint8_t)(c == '\n' ? DDBS__S_RESYNC_NL : DDBS__S_RESYNC); i++; }
            continue;
        default:
            DDBS_ASSERT(0);
            e = DDBS_E_SYNTAX;
            at = base + i;
            goto fail;
        }
    close:
        at = base + i;
        e = ddbs__close(p, c, &at);
        i++;
        if (p->sc.depth == 0) {
            p->sc.st = DDBS__S_TOP;
            if (e) goto fail;  /* the document itself is whole: no resync needed */
            continue;
        }
        p->sc.st = DDBS__S_AFTER;
        if (e) goto fail;
        continue;
    }
done:
    *pos = i;
    return 0;
fail:
    *pos = i;
    *at_out = at;
    return e;
}

/* Base64 digit values; 0xFF: not one. */
static unsigned ddbs__b64val(unsigned c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62u : c == '/' ? 63u : 0xFFu;
}

/* Scans the decoded payload bytes waiting in kbuf. An error offset inside the payload is
   mapped back to the base64 group it came from. */
static int ddbs__inner(ddbs_parser *p, uint64_t *at)
{
    size_t k = 0;
    uint64_t iat = 0;
    /* kbuf is flushed at every \/ escape, so all its bytes come after kescs of them. The
       scanner may report an offset it noted in an earlier batch (a document's or a key's
       start), so the count travels in the offset's top bits: a noted offset keeps its own. */
    uint64_t base = p->kdec | (uint64_t)p->kescs << DDBS__KESC_SHIFT;
    int e = p->kbn ? ddbs__run(p, p->kbuf, &k, p->kbn, base, &iat) : 0;
    DDBS_ASSERT(e || k == p->kbn);
    p->kdec += p->kbn;
    p->kbn = 0;
    if (e) *at = p->kdata_off + ddbs__div(iat & DDBS__KDEC_MASK, 3u, NULL) * 4 +
                 (iat >> DDBS__KESC_SHIFT);
    return e;
}

/* Inside a base64 payload string: decode, scan the documents in it, and at its closing
   quote hand back to the outer document. Escapes: only \/ (some encoders write it). */
static int ddbs__payload(ddbs_parser *p, const unsigned char *s, size_t *pos, size_t len,
                         uint64_t base, uint64_t *at)
{
    size_t i = *pos;
    int e = 0, end = 0;
    for (; i < len; i++) {
        unsigned c = s[i], v;
        if (p->drain) {  /* a failed Firehose part: only look for the payload's end */
            if (p->kesc) p->kesc = 0;
            else if (c == '\\') p->kesc = 1;
            else if (c == '"') { end = 1; break; }
            continue;
        }
        if (p->kesc) {
            p->kesc = 0;
            if (c != '/') {
                if ((e = ddbs__inner(p, at)) == 0) {
                    e = DDBS_E_BASE64;
                    *at = base + i;
                }
                break;
            }
        } else if (c == '\\') {
            if ((e = ddbs__inner(p, at)) != 0) break;
            if (p->kescs < DDBS__KESC_MAX) p->kescs++;
            p->kesc = 1;
            continue;
        } else if (c == '"') {
            end = 1;
            break;
        }
        v = ddbs__b64val(c);
        if (p->kpad == 4 || (c == '=' ? p->kn < 2 : (v == 0xFF || p->kpad))) {
            /* what was decoded before the bad character counts first, whatever the chunks */
            if ((e = ddbs__inner(p, at)) == 0) {
                e = DDBS_E_BASE64;
                *at = base + i;
            }
            break;
        }
        p->kacc = (p->kacc << 6) | (c == '=' ? 0u : v);
        p->kpad = (uint8_t)(p->kpad + (c == '='));
        if (++p->kn == 4) {
            p->kbuf[p->kbn++] = (unsigned char)(p->kacc >> 16);
            if (p->kpad < 2) p->kbuf[p->kbn++] = (unsigned char)(p->kacc >> 8);
            if (p->kpad < 1) p->kbuf[p->kbn++] = (unsigned char)p->kacc;
            if (p->kpad) p->kpad = 4;  /* padded: the payload must end here */
            p->kn = 0;
            p->kacc = 0;
            if (p->kbn > sizeof p->kbuf - 3 && (e = ddbs__inner(p, at)) != 0) break;
        }
    }
    if (!e && !p->drain) e = ddbs__inner(p, at);
    if (!e && end && !p->drain) {  /* the payload is over: it must be whole */
        if (p->kn || p->kesc) {
            e = DDBS_E_BASE64;
            *at = base + i;
        } else if (p->sc.st != DDBS__S_TOP && p->sc.st != DDBS__S_RESYNC &&
                   p->sc.st != DDBS__S_RESYNC_NL) {
            e = DDBS_E_TRUNCATED;  /* it ended inside a document */
            *at = base + i;
        }
    }
    if (e && p->opt.on_part && e != DDBS_E_SINK && p->outer.depth >= 2 &&
        (p->outer.stack[p->outer.depth - 1] & 0x7Fu) == DDBS__R_FREC) {
        /* contained: this part fails, the event goes on */
        p->part_rc = (uint8_t)e;
        p->drain = 1;
        p->dst = DDBS__D_NONE;
        p->in_record = 0;
        e = 0;
        for (; i < len && !end; i++) {
            unsigned c = s[i];
            if (p->kesc) p->kesc = 0;
            else if (c == '\\') p->kesc = 1;
            else if (c == '"') { end = 1; break; }
        }
    }
    if (end) i++;  /* past the closing quote */
    if (e || end) {
        p->sc = p->outer;
        p->sc.st = DDBS__S_AFTER;
        p->nested = 0;
        p->drain = 0;
        p->kesc = 0;
    }
    *pos = i;
    return e;
}

/* Runs over one chunk s[0..len), the next bytes of the stream after p->done. */
static ddbs_result ddbs__chunk(ddbs_parser *p, const unsigned char *s, size_t len)
{
    size_t i = 0;
    uint64_t base = p->done, at = 0;
    int e;
    while (i < len) {
        e = p->nested ? ddbs__payload(p, s, &i, len, base, &at) : ddbs__run(p, s, &i, len, base, &at);
        if (!e) continue;
        if (!(p->opt.flags & DDBS_F_SKIP_BAD) || e == DDBS_E_SINK) {
            p->done = base + len;
            return ddbs__fail(p, e, at);
        }
        p->skipped++;
        if (p->opt.on_error) p->opt.on_error(p->opt.user, (ddbs_result)e, at, p->records_in + 1);
        p->dst = DDBS__D_NONE;
        p->in_record = 0;
        /* an error that closed a whole document needs no resync: carry on with the next;
           one found at a '{' that starts a line (a cut-short line before it) resyncs there */
        if (!(p->sc.depth == 0 && p->sc.st == DDBS__S_TOP && at < base + i))
            p->sc.st = at == base + i && i < len && (i ? s[i - 1] : p->last_byte) == '\n' ?
                       DDBS__S_RESYNC_NL : DDBS__S_RESYNC;
        p->sc.depth = 0;
        p->sc.hisur = 0;  /* a string cut short by the error: no half surrogate carries over */
    }
    p->done = base + len;
    p->carry_lim = p->done + DDBS__CARRY - 1;
    if (len) p->last_byte = s[len - 1];
    return DDBS_OK;
}

/* Small chunks are gathered first (the tiny-chunk carry): the scanner then runs over enough
   bytes at once for its fast paths, so byte-by-byte feeding stays within a few times the
   speed of large chunks. What comes out, and every offset, is the same. The carry holds
   p->offset - p->done bytes: one counter per call, not two. p->offset already counts s. */
static DDBS__NOINLINE ddbs_result ddbs__feed(ddbs_parser *p, const unsigned char *s, size_t len)
{
    size_t n = (size_t)(p->offset - len - p->done);  /* bytes in the carry before s */
    while (len) {
        size_t m;
        ddbs_result rc;
        if (!n && len >= DDBS__CARRY_MIN) return ddbs__chunk(p, s, len);
        m = DDBS__CARRY - n < len ? DDBS__CARRY - n : len;
        DDBS_MEMCPY(p->carry + n, s, m);
        n += m;
        s += m;
        len -= m;
        if (n < DDBS__CARRY) break;
        n = 0;
        if ((rc = ddbs__chunk(p, p->carry, DDBS__CARRY)) != DDBS_OK) return rc;
    }
    return DDBS_OK;
}

DDBS__LINE_ALIGNED DDBS_API ddbs_result ddbs_parser_feed(ddbs_parser *p, const void *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    if (DDBS__LIKELY(len == 1) && p && s) {  /* byte by byte: the fewest instructions that can do it */
        uint64_t o = p->offset, lim = p->carry_lim;
        if (DDBS__LIKELY(o < lim)) {  /* laid out straight, no taken branch */
            p->offset = o + 1;
            p->carry[o + (DDBS__CARRY - 1) - lim] = *s;  /* o - done, without loading done */
            return DDBS_OK;
        }
    }
    if (len < DDBS__CARRY_MIN && p && s && !p->error) {
        uint64_t o = p->offset;
        size_t n = (size_t)(o - p->done);
        if (len < DDBS__CARRY - n) {  /* a small chunk joins the carry: no call, no scanner */
            p->offset = o + len;
            if (len == 1) {
                p->carry[n] = *s;
            } else {
                size_t k;
                for (k = 0; k < len; k++) p->carry[n + k] = s[k];
            }
            return DDBS_OK;
        }
    }
    if (!p) return DDBS_E_ARG;
    if (p->error) return p->error;
    if (!s) return len ? ddbs__fail(p, DDBS_E_ARG, p->offset) : DDBS_OK;
    p->offset += len;
    return ddbs__feed(p, s, len);
}

DDBS_API ddbs_result ddbs_parser_finish(ddbs_parser *p)
{
    if (!p) return DDBS_E_ARG;
    if (p->error) return p->error;
    if (p->offset != p->done) {  /* the carry */
        ddbs_result rc = ddbs__chunk(p, p->carry, (size_t)(p->offset - p->done));
        if (rc != DDBS_OK) return rc;
    }
    if (p->nested) {  /* the input ended inside a base64 payload */
        p->sc = p->outer;
        p->nested = 0;
    }
    switch (p->sc.st) {
    case DDBS__S_BOM0: case DDBS__S_TOP: case DDBS__S_RESYNC: case DDBS__S_RESYNC_NL:
        if (p->opt.format == DDBS_FORMAT_CSV && !p->header_sent && !(p->opt.flags & DDBS_F_PARSE_ONLY)) {
            int e;
            p->out_len = 0;
            if ((e = ddbs__csv_header_out(p)) != 0) return ddbs__fail(p, e, p->offset);
        }
        return DDBS_OK;
    default:
        if (p->opt.flags & DDBS_F_SKIP_BAD) {
            p->skipped++;
            if (p->opt.on_error)
                p->opt.on_error(p->opt.user, DDBS_E_TRUNCATED, p->offset, p->records_in + 1);
            p->sc.st = DDBS__S_TOP;
            p->sc.depth = 0;
            return DDBS_OK;
        }
        return ddbs__fail(p, DDBS_E_TRUNCATED, p->offset);
    }
}

/* ------------------------------------------------------------------ time ------------- */

DDBS_API int ddbs_time_seconds(const char *text, size_t len, uint32_t unit, int64_t *secs)
{
    /* The integer part of digits x 10^(exp - fraction digits), found by moving the decimal
       point: no double, so 1.635734407123456789E9 is exactly 1635734407. */
    size_t i = 0, nd = 0, point = (size_t)-1;
    uint64_t v = 0;
    int64_t exp = 0, shift, kept = 0;
    int esign = 1, any = 0;
    if (!text || !secs) return -1;
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') { text++; len -= 2; }
    for (; i < len && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'); i++) {
        if (text[i] == '.') {
            if (point != (size_t)-1) return -1;
            point = nd;
            continue;
        }
        any = 1;
        nd++;
    }
    if (!any) return -1;
    if (point == (size_t)-1) point = nd;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) esign = text[i++] == '-' ? -1 : 1;
        if (i == len) return -1;
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
            if (exp < 100000) exp = exp * 10 + (text[i] - '0');
    }
    if (i != len) return -1;
    shift = (int64_t)point + esign * exp;  /* digits before the decimal point */
    for (i = 0; i < len && kept < shift; i++) {
        if (text[i] == '.') continue;
        if (text[i] < '0' || text[i] > '9') break;
        /* exact: 18446744073709551615 (us) is a time; constants only, no 64-bit divide */
        if (v > UINT64_MAX / 10 ||
            (v == UINT64_MAX / 10 && (uint64_t)(text[i] - '0') > UINT64_MAX % 10))
            return -1;
        v = v * 10 + (uint64_t)(text[i] - '0');
        kept++;
    }
    for (; kept < shift; kept++) {  /* E-notation past the last digit */
        if (v > UINT64_MAX / 10) return -1;
        v *= 10;
    }
    if (!unit) unit = v < 1000000000000u ? 1u : v < 1000000000000000u ? 1000u : 1000000u;
    v = ddbs__div(v, unit, NULL);
    if (v > (uint64_t)INT64_MAX / 2) return -1;
    *secs = (int64_t)v;
    return 0;
}

DDBS_API void ddbs_civil(int64_t secs, int64_t *year, int *month, int *day, int *hour)
{
    /* days to civil date, after Howard Hinnant's algorithm (eras of 400 years); secs < 0
       is outside the contract and reads as 0 */
    uint32_t sod, doe, yoe, doy, mp, m;
    uint64_t days = ddbs__div(secs < 0 ? 0u : (uint64_t)secs, 86400u, &sod);
    uint64_t era = ddbs__div(days + 719468u, 146097u, &doe);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *hour = (int)(sod / 3600);
}

/* ----------------------------------------------------------------- chunker ------------ */

DDBS_API ddbs_result ddbs_chunker_init(ddbs_chunker *c, const ddbs_chunker_options *opt)
{
    size_t max;
    if (!c) return DDBS_E_ARG;
    DDBS_MEMSET(c, 0, sizeof *c);
    c->error = DDBS_E_ARG;
    if (!opt || !opt->flush || !opt->buf) return DDBS_E_ARG;
    c->opt = *opt;
    max = c->opt.max_object_bytes = opt->max_object_bytes ? opt->max_object_bytes : DDBS_DEFAULT_OBJECT_BYTES;
    if (!c->opt.ext) c->opt.ext = "ndjson";
    if (!c->opt.prefix) c->opt.prefix = "";
    if (!c->opt.header) c->opt.header_len = 0;
    c->prefix_len = ddbs__strlen(c->opt.prefix);
    c->ext_len = ddbs__strlen(c->opt.ext);
    if (opt->buf_size < max || c->opt.header_len >= max || c->prefix_len > 256 || c->ext_len > 16)
        return DDBS_E_ARG;
    c->error = DDBS_OK;
    c->hour = -1;
    return DDBS_OK;
}

/* A name part from a sequence number or id: characters safe in any object store. */
static uint8_t ddbs__name_part(char *d, const char *s, size_t n)
{
    size_t i;
    if (n > 63) n = 63;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        d[i] = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
               ch == '-' || ch == '_' ? ch : '_';
    }
    return (uint8_t)n;
}

static size_t ddbs__put_uint(char *d, uint64_t v, int width)
{
    char t[20];
    size_t n = 0, i;
    do {
        uint32_t r;
        v = ddbs__div(v, 10u, &r);
        t[n++] = (char)('0' + r);
    } while (v);
    while ((int)n < width) t[n++] = '0';
    for (i = 0; i < n; i++) d[i] = t[n - 1 - i];
    return n;
}

static int ddbs__flush_object(ddbs_chunker *c)
{
    char *d = c->name;
    size_t n = 0;
    if (!c->nrec) return 0;
    DDBS_MEMCPY(d, c->opt.prefix, c->prefix_len);
    n = c->prefix_len;
    if (c->hour >= 0) {
        int64_t y;
        int mo, da, h;
        ddbs_civil(c->hour * 3600, &y, &mo, &da, &h);
        n += ddbs__put_uint(d + n, (uint64_t)y, 4);
        d[n++] = '/';
        n += ddbs__put_uint(d + n, (uint64_t)mo, 2);
        d[n++] = '/';
        n += ddbs__put_uint(d + n, (uint64_t)da, 2);
        d[n++] = '/';
        n += ddbs__put_uint(d + n, (uint64_t)h, 2);
        d[n++] = '/';
    } else {
        DDBS_MEMCPY(d + n, "undated/", 8);
        n += 8;
    }
    DDBS_MEMCPY(d + n, c->first, c->first_len);
    n += c->first_len;
    d[n++] = '-';
    n += ddbs__name_part(d + n, c->last, c->last_len);
    /* Increasing sequence numbers make first-last unique. Once they stop increasing (ids
       instead, or repeats as in hand-made events), the object's ordinal keeps names unique,
       and still the same on every run of the same input. */
    if (c->unordered) {
        d[n++] = '~';
        n += ddbs__put_uint(d + n, c->objects, 1);
    }
    d[n++] = '.';
    DDBS_MEMCPY(d + n, c->opt.ext, c->ext_len);
    n += c->ext_len;
    d[n] = 0;
    if (c->opt.flush(c->opt.user, d, c->opt.buf, c->len)) {
        c->error = DDBS_E_SINK;
        c->error_record = c->first_index;
        DDBS_MEMCPY(c->error_sequence, c->first, c->first_len);
        c->error_sequence[c->first_len] = 0;
        return -1;
    }
    c->objects++;
    c->bytes += c->len;
    c->records += c->nrec;
    c->len = 0;
    c->nrec = 0;
    return 0;
}

/* Is sequence number a (digits) greater than b, the previous one as kept in the name? */
static int ddbs__seq_after(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i;
    if (an > 63) return 0;  /* cut in the name: cannot vouch for it */
    for (i = 0; i < an; i++) if (a[i] < '0' || a[i] > '9') return 0;
    while (an > 1 && *a == '0') { a++; an--; }
    while (bn > 1 && *b == '0') { b++; bn--; }
    if (an != bn) return an > bn;
    for (i = 0; i < an; i++) if (a[i] != b[i]) return a[i] > b[i];
    return 0;
}

DDBS_API int ddbs_chunker_add(void *chunker, const ddbs_record *rec)
{
    ddbs_chunker *c = (ddbs_chunker *)chunker;
    size_t max = c->opt.max_object_bytes, hl = c->opt.header_len;
    int64_t t, hour = -1;
    const char *key = rec->sequence;
    size_t key_len = rec->sequence_len;
    char idx[20];
    if (c->error) return -1;
    /* the time is read only where it matters: hourly cuts, or an object's first record */
    if ((c->opt.flags & DDBS_CF_HOURLY) &&
        !ddbs_time_seconds(rec->time, rec->time_len, rec->time_unit, &t))
        hour = (int64_t)ddbs__div((uint64_t)t, 3600u, NULL);
    if (!key_len) { key = rec->event_id; key_len = rec->event_id_len; c->unordered = 1; }
    if (!key_len) { key = idx; key_len = ddbs__put_uint(idx, rec->index, 1); }
    if (!c->unordered && (c->objects || c->nrec) && !ddbs__seq_after(key, key_len, c->last, c->last_len))
        c->unordered = 1;
    if (c->nrec && (c->len + rec->line_len > max ||
                    (c->opt.max_records && c->nrec >= c->opt.max_records) ||
                    ((c->opt.flags & DDBS_CF_HOURLY) && hour != c->hour)) &&
        ddbs__flush_object(c))
        return -1;
    if (hl + rec->line_len > max) {
        if (ddbs__flush_object(c)) return -1;
        c->error = DDBS_E_OBJECT_TOO_BIG;
        c->error_record = rec->index;
        c->error_sequence[ddbs__name_part(c->error_sequence, key, key_len)] = 0;
        return -1;
    }
    if (!c->nrec) {
        c->first_index = rec->index;
        if (hl) DDBS_MEMCPY(c->opt.buf, c->opt.header, hl);
        c->len = hl;
        if (!(c->opt.flags & DDBS_CF_HOURLY) &&
            !ddbs_time_seconds(rec->time, rec->time_len, rec->time_unit, &t))
            hour = (int64_t)ddbs__div((uint64_t)t, 3600u, NULL);
        c->hour = hour;
        c->first_len = ddbs__name_part(c->first, key, key_len);
    }
    DDBS_MEMCPY(c->opt.buf + c->len, rec->line, rec->line_len);
    c->len += rec->line_len;
    c->nrec++;
    /* kept as written; made safe for a name only when the object is flushed */
    c->last_len = (uint8_t)(key_len < 63 ? key_len : 63);
    DDBS_MEMCPY(c->last, key, c->last_len);
    return 1;
}

DDBS_API ddbs_result ddbs_chunker_finish(ddbs_chunker *c)
{
    if (!c) return DDBS_E_ARG;
    if (!c->error) ddbs__flush_object(c);
    return c->error;
}

/* ------------------------------------------------------------ batch writer ------------ */

DDBS_API ddbs_result ddbs_batch_init(ddbs_batch *b, const ddbs_batch_options *opt)
{
    size_t i;
    if (!b) return DDBS_E_ARG;
    DDBS_MEMSET(b, 0, sizeof *b);
    b->error = DDBS_E_ARG;
    if (!opt || !opt->sink || !opt->buf || opt->buf_size < 4096 || !opt->table) return DDBS_E_ARG;
    b->opt = *opt;
    if (b->opt.buf_size > DDBS_BATCH_BYTES) b->opt.buf_size = DDBS_BATCH_BYTES;
    b->table_len = ddbs__strlen(opt->table);
    if (b->table_len < 3 || b->table_len > 255) return DDBS_E_ARG;
    for (i = 0; i < b->table_len; i++) {
        char ch = opt->table[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              ch == '_' || ch == '.' || ch == '-'))
            return DDBS_E_ARG;
    }
    b->error = DDBS_OK;
    return DDBS_OK;
}

#define DDBS__FNV(h, b) ((h) = ((h) ^ (unsigned char)(b)) * 1099511628211u)

/* splitmix64's finaliser: spreads each member's hash before the order-free sum, so changes
   in two members cannot cancel out. */
static uint64_t ddbs__mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Hashes the text a string body stands for, from s[*i] to its closing quote (then past it):
   "a" and "\u0061" are the same key. */
static uint64_t ddbs__hash_str(uint64_t h, const char *s, size_t n, size_t *i)
{
    size_t j = *i, k, m, t;
    char d[4];
    while (j < n && s[j] != '"') {
        if (s[j] != '\\') {
            DDBS__FNV(h, s[j]);
            j++;
            continue;
        }
        k = 2;
        if (s[j + 1] == 'u') {
            k = 6;
            if (j + 12 <= n && s[j + 6] == '\\' && s[j + 7] == 'u') {  /* a pair together */
                unsigned hi = ddbs__hex4(s + j + 2), lo = ddbs__hex4(s + j + 8);
                if (hi >= 0xD800 && hi <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) k = 12;
            }
        }
        m = ddbs__unescape(s + j, k, d);
        for (t = 0; t < m; t++) DDBS__FNV(h, d[t]);
        j += k;
    }
    *i = j + 1;
    return h;
}

/* Hashes a number body canonically (sign, significant digits, exponent of the first one):
   "1", "1.0", "10E-1" and "0.1E1" are the same key, as DynamoDB compares them. */
static uint64_t ddbs__hash_num(uint64_t h, const char *s, size_t n, size_t *i)
{
    size_t j = *i, end, k;
    int64_t idx = 0, lead = -1, last = -1, ints = -1, exp = 0, esign = 1, e10;
    int neg = s[j] == '-';
    j += (size_t)neg;
    for (end = j; end < n && s[end] != '"' && s[end] != 'e' && s[end] != 'E'; end++) {
        if (s[end] == '.') { ints = idx; continue; }
        if (s[end] != '0') { if (lead < 0) lead = idx; last = idx; }
        idx++;
    }
    if (ints < 0) ints = idx;
    k = end;
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (s[k] == '-' || s[k] == '+') esign = s[k++] == '-' ? -1 : 1;
        for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
            if (exp < 100000) exp = exp * 10 + (s[k] - '0');
    }
    while (k < n && s[k] != '"') k++;
    *i = k + 1;
    if (lead < 0) {  /* zero, whatever its sign or form */
        DDBS__FNV(h, '0');
        return h;
    }
    if (neg) DDBS__FNV(h, '-');
    for (idx = 0, k = j; k < end; k++) {
        if (s[k] == '.') continue;
        if (idx >= lead && idx <= last) DDBS__FNV(h, s[k]);
        idx++;
    }
    e10 = ints - lead - 1 + esign * exp;
    for (k = 0; k < 8; k++) DDBS__FNV(h, (unsigned char)((uint64_t)e10 >> (8 * k)));
    return h;
}

/* A hash of a typed Keys object, {"name":{"T":"value"},...}, equal for equal keys whatever
   the attribute order, escapes or number form: the sum of its members' mixed hashes. Equal
   keys always hash equal; a collision only starts a body early. */
static uint64_t ddbs__key_hash(const char *s, size_t n)
{
    uint64_t sum = 0;
    size_t i = 1;
    while (i < n && s[i] == '"') {
        uint64_t h = 1469598103934665603u;
        char tag;
        i++;
        h = ddbs__hash_str(h, s, n, &i);      /* the name */
        DDBS__FNV(h, 0);
        i += 3;                               /* :{" */
        tag = s[i];
        while (i < n && s[i] != ':') i++;
        DDBS__FNV(h, tag);
        i += 2;                               /* :" */
        h = tag == 'N' ? ddbs__hash_num(h, s, n, &i) : ddbs__hash_str(h, s, n, &i);
        sum += ddbs__mix(h);
        i += 1;                               /* } */
        if (i < n && s[i] == ',') i++;
    }
    return sum;
}

static int ddbs__batch_send(ddbs_batch *b)
{
    if (!b->n) return 0;
    DDBS_MEMCPY(b->opt.buf + b->len, "]}}\n", 4);
    if (b->opt.sink(b->opt.user, b->opt.buf, b->len + 4)) {
        b->error = DDBS_E_SINK;
        return -1;
    }
    b->bodies++;
    b->requests += b->n;
    b->n = 0;
    b->len = 0;
    return 0;
}

DDBS_API int ddbs_batch_add(void *batch, const ddbs_record *rec)
{
    static const char put[] = "{\"PutRequest\":{\"Item\":", del[] = "{\"DeleteRequest\":{\"Key\":";
    static const char lead[] = "{\"RequestItems\":{\"";
    ddbs_batch *b = (ddbs_batch *)batch;
    int is_del = rec->event == DDBS_EV_REMOVE || (b->opt.flags & DDBS_BF_DELETE);
    const char *v = is_del ? rec->image[0] : rec->image[1];
    size_t vn = is_del ? rec->image_len[0] : rec->image_len[1];
    size_t head = sizeof lead - 1 + b->table_len + 3, req = is_del ? sizeof del - 1 : sizeof put - 1;
    size_t need, i;
    uint64_t h;
    if (b->error) return -1;
    if (!v || !rec->image[0]) {
        b->error = DDBS_E_NO_IMAGE;
        b->error_record = rec->index;
        return -1;
    }
    h = ddbs__key_hash(rec->image[0], rec->image_len[0]);
    need = 1 + req + vn + 2;  /* "," request item "}}" */
    for (i = 0; i < b->n && b->key[i] != h; i++) {}
    if (b->n && (b->n == DDBS_BATCH_MAX || i < b->n || b->len + need + 4 > b->opt.buf_size) &&
        ddbs__batch_send(b))
        return -1;
    if (head + need + 4 > b->opt.buf_size) {
        b->error = DDBS_E_LINE_TOO_BIG;
        b->error_record = rec->index;
        return -1;
    }
    if (!b->n) {  /* {"RequestItems":{"TABLE":[ */
        DDBS_MEMCPY(b->opt.buf, lead, sizeof lead - 1);
        DDBS_MEMCPY(b->opt.buf + sizeof lead - 1, b->opt.table, b->table_len);
        DDBS_MEMCPY(b->opt.buf + sizeof lead - 1 + b->table_len, "\":[", 3);
        b->len = head;
    } else {
        b->opt.buf[b->len++] = ',';
    }
    DDBS_MEMCPY(b->opt.buf + b->len, is_del ? del : put, req);
    b->len += req;
    DDBS_MEMCPY(b->opt.buf + b->len, v, vn);
    b->len += vn;
    DDBS_MEMCPY(b->opt.buf + b->len, "}}", 2);
    b->len += 2;
    b->key[b->n++] = h;
    return 1;
}

DDBS_API ddbs_result ddbs_batch_finish(ddbs_batch *b)
{
    if (!b) return DDBS_E_ARG;
    if (!b->error) ddbs__batch_send(b);
    return b->error;
}

/* -------------------------------------------------------- Firehose response ------------ */

DDBS_API ddbs_result ddbs_firehose_init(ddbs_firehose *f, ddbs_sink_fn sink, void *user,
                                        char *buf, size_t cap)
{
    if (!f) return DDBS_E_ARG;
    DDBS_MEMSET(f, 0, sizeof *f);
    if (!sink || !buf || cap < 4096) return f->error = DDBS_E_ARG;
    f->sink = sink;
    f->user = user;
    f->buf = buf;
    f->hard = (cap < DDBS_FIREHOSE_BYTES ? cap : DDBS_FIREHOSE_BYTES) - 3;  /* "]}\n" */
    /* data leaves room to fail the parts still to come: 100-300 bytes each */
    f->cap = f->hard - (f->hard / 4 < 65536u ? f->hard / 4 : 65536u);
    DDBS_MEMCPY(f->buf, "{\"records\":[", 12);
    f->len = f->entry = 12;
    return DDBS_OK;
}

static void ddbs__fh_put(ddbs_firehose *f, const char *s, size_t n)
{
    DDBS_MEMCPY(f->buf + f->len, s, n);
    f->len += n;
}

static void ddbs__fh_group(ddbs_firehose *f, const unsigned char *g, unsigned n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t v = (uint32_t)g[0] << 16 | (n > 1 ? (uint32_t)g[1] << 8 : 0u) | (n > 2 ? g[2] : 0u);
    char *d = f->buf + f->len;
    d[0] = digits[v >> 18];
    d[1] = digits[(v >> 12) & 63];
    d[2] = n > 1 ? digits[(v >> 6) & 63] : '=';
    d[3] = n > 2 ? digits[v & 63] : '=';
    f->len += 4;
}

DDBS_API int ddbs_firehose_add(void *firehose, const ddbs_record *rec)
{
    ddbs_firehose *f = (ddbs_firehose *)firehose;
    const unsigned char *s = (const unsigned char *)rec->line;
    size_t n = rec->line_len, i = 0;
    if (f->error) return -1;
    if (f->full) return 1;  /* this part fails anyway */
    if (f->len + 16 + (n + 2) / 3 * 4 > f->cap) {
        f->full = 1;
        return 1;
    }
    if (!f->open) {
        if (f->entry != 12) ddbs__fh_put(f, ",", 1);
        ddbs__fh_put(f, "{\"data\":\"", 9);
        f->open = 1;
    }
    while (f->carry_n && f->carry_n < 3 && i < n) f->carry[f->carry_n++] = s[i++];
    if (f->carry_n == 3) {
        ddbs__fh_group(f, f->carry, 3);
        f->carry_n = 0;
    }
    for (; i + 3 <= n; i += 3) ddbs__fh_group(f, s + i, 3);
    while (i < n) f->carry[f->carry_n++] = s[i++];
    return 1;
}

DDBS_API int ddbs_firehose_part(void *firehose, const char *record_id, size_t id_len,
                                ddbs_result rc, uint64_t lines)
{
    ddbs_firehose *f = (ddbs_firehose *)firehose;
    const char *result = "Ok";
    if (f->error) return -1;
    if (rc != DDBS_OK || f->full || id_len > 256) {
        result = "ProcessingFailed";
        f->failed++;
    } else if (!lines) {
        result = "Dropped";
        f->dropped++;
    } else {
        f->ok++;
    }
    if (result[0] != 'O') {  /* its data, if any, is taken back */
        f->len = f->entry;
        f->open = 0;
        f->carry_n = 0;
    }
    if (f->len + 64 + id_len > f->hard) {  /* not even a failure fits: never write past */
        f->error = DDBS_E_LINE_TOO_BIG;
        return -1;
    }
    if (!f->open) {
        if (f->entry != 12) ddbs__fh_put(f, ",", 1);
        ddbs__fh_put(f, "{\"data\":\"", 9);
    }
    if (f->carry_n) ddbs__fh_group(f, f->carry, f->carry_n);
    ddbs__fh_put(f, "\",\"result\":\"", 12);
    ddbs__fh_put(f, result, ddbs__strlen(result));
    ddbs__fh_put(f, "\",\"recordId\":\"", 14);
    ddbs__fh_put(f, record_id, id_len > 256 ? 0 : id_len);
    ddbs__fh_put(f, "\"}", 2);
    f->entry = f->len;
    f->open = 0;
    f->carry_n = 0;
    f->full = 0;
    return 0;
}

DDBS_API ddbs_result ddbs_firehose_finish(ddbs_firehose *f)
{
    if (!f) return DDBS_E_ARG;
    if (f->error) return f->error;
    ddbs__fh_put(f, "]}\n", 3);
    if (f->sink(f->user, f->buf, f->len)) f->error = DDBS_E_SINK;
    return f->error;
}

#endif /* DDBSTREAM_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 the ddbstream authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
