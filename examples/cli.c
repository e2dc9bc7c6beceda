/* The ddbstream command's engine; see cli.h. Everything here is I/O and wiring: the
   conversion itself is ddbstream.h. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE  /* MAP_POPULATE, where there is one */
#define DDBSTREAM_IMPLEMENTATION
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef DDBS_WITH_S3
#include "s3_put.h"
#endif

static const char usage[] =
    "usage: ddbstream [options] [FILE...]\n"
    "Reads DynamoDB change data (Lambda and GetRecords stream events, bare stream records,\n"
    "Kinesis and Firehose events with base64 payloads, DynamoDB export lines; NDJSON, pretty\n"
    "or concatenated) from FILEs or stdin, writes one line per record to stdout.\n"
    "\n"
    "  --events LIST         only these events: INSERT,MODIFY,REMOVE (default all)\n"
    "  --ttl-only            only REMOVEs made by DynamoDB TTL\n"
    "  --images LIST         record shape: which of keys,new,old to write (default all)\n"
    "  --shape record|item   record (default) or the item alone: NewImage, OldImage for\n"
    "                        REMOVE, else Keys\n"
    "  --item-meta           item shape: add _eventName, _eventID, _SequenceNumber,\n"
    "                        _ApproximateCreationDateTime\n"
    "  --format ndjson|ddb|csv|batchwrite\n"
    "                        plain values (default), typed DynamoDB JSON, CSV, or\n"
    "                        BatchWriteItem request bodies (one per line, 25 requests at\n"
    "                        most, never two for one key): PutRequest of the NewImage for\n"
    "                        INSERT/MODIFY, DeleteRequest of the Keys for REMOVE\n"
    "  --columns LIST        CSV columns: attribute names of the item, or eventName,\n"
    "                        eventID, SequenceNumber, ApproximateCreationDateTime; a CSV\n"
    "                        record: quote a name holding a comma, \"a,b\"\n"
    "  --crlf                CSV: CRLF line ends\n"
    "  --csv-safe            CSV: put ' before S, B, metadata cells starting = + - @ tab CR\n"
    "  --table T             batchwrite: the table to write to\n"
    "  --as delete           batchwrite: every record becomes a DeleteRequest of its Keys\n"
    "  --firehose-response   answer a Firehose transformation event: one JSON response with\n"
    "                        each record Ok (its lines, base64), Dropped or ProcessingFailed\n"
    "  --numbers-as-strings  write N as \"123\" instead of 123\n"
    "  --skip-bad            report a bad document on stderr, skip it, go on (exit 1 at end)\n"
    "  --line-max SIZE       largest output line (default 8MiB; accepts K, KiB, M, MiB)\n"
    "  --parse-only          validate and count, write nothing\n"
    "\n"
    "Objects instead of stdout (whole lines, each object at most --max-bytes, named\n"
    "PREFIX/YYYY/MM/DD/HH/FIRSTSEQ-LASTSEQ.ndjson|csv from the first record's UTC time):\n"
    "  --out-dir DIR         write objects under DIR (temporary name, then rename)\n"
    "  --s3 URL              upload to http(s)://host[:port]/bucket/prefix (SigV4, env\n"
    "                        AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
    "                        AWS_REGION)\n"
    "  --max-bytes SIZE      object size limit (default 4MiB)\n"
    "  --max-records N       records per object at most (default no limit)\n"
    "  --prefix P            put before every object name\n"
    "  --partition hour|none hour: a new object when the UTC hour changes (default none)\n"
    "\n"
    "  -j, --jobs N          threads for a large regular file (default: the CPUs, at most\n"
    "                        8); 1 converts it in one pass\n"
    "  --stats               records, bytes and MB/s on stderr at the end\n"
    "  --no-progress         no progress line (shown when stderr is a terminal)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 I/O error.\n";

static int out_sink(void *user, const char *s, size_t n)
{
    cli *c = (cli *)user;
    if (fwrite(s, 1, n, c->out) != n) {
        c->write_failed = 1;
        return -1;
    }
    return 0;
}

static int to_batch(void *user, const ddbs_record *rec)
{
    return ddbs_batch_add(&((cli *)user)->batch, rec);
}

static int to_firehose(void *user, const ddbs_record *rec)
{
    return ddbs_firehose_add(&((cli *)user)->firehose, rec);
}

static int firehose_part(void *user, const char *id, size_t n, ddbs_result rc, uint64_t lines)
{
    return ddbs_firehose_part(&((cli *)user)->firehose, id, n, rc, lines);
}

static int to_chunker(void *user, const ddbs_record *rec)
{
    return ddbs_chunker_add(&((cli *)user)->chunker, rec);
}

static void on_bad(void *user, ddbs_result rc, uint64_t off, uint64_t rec)
{
    cli *c = (cli *)user;
    fprintf(stderr, "ddbstream: %s%s%s at byte %llu (record %llu), document skipped\n",
            c->name ? c->name : "", c->name ? ": " : "", ddbs_strerror(rc),
            (unsigned long long)off, (unsigned long long)rec);
}

/* mkdir -p of the directories in path, up to its last '/'. */
static int make_parents(char *path)
{
    char *s;
    for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(path, 0777) && errno != EEXIST) { *s = '/'; return -1; }
        *s = '/';
    }
    return 0;
}

/* An object lands whole or not at all: written to a temporary name, synced, renamed. */
static int flush_to_dir(cli *c, const char *name, const char *data, size_t len)
{
    static char path[4096], tmp[4200];
    int fd;
    size_t done = 0;
    if (snprintf(path, sizeof path, "%s/%s", c->out_dir, name) >= (int)sizeof path) {
        snprintf(c->flush_err, sizeof c->flush_err, "%s: name too long", name);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    if (make_parents(path) || (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0) {
        snprintf(c->flush_err, sizeof c->flush_err, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        done += (size_t)w;
    }
    if (done < len || fsync(fd) || close(fd) || rename(tmp, path)) {
        snprintf(c->flush_err, sizeof c->flush_err, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int on_flush(void *user, const char *name, const char *data, size_t len)
{
    cli *c = (cli *)user;
#ifdef DDBS_WITH_S3
    if (c->s3) return s3_put(c->s3, name, data, len, c->flush_err, sizeof c->flush_err);
#endif
    return flush_to_dir(c, name, data, len);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "4MiB", "64K", "1000000": bytes, or 0 when malformed. */
static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s) return 0;
    if (!strcmp(end, "K") || !strcmp(end, "KiB")) v <<= 10;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB")) v <<= 20;
    else if (!strcmp(end, "G") || !strcmp(end, "GiB")) v <<= 30;
    else if (*end) return 0;
    return (size_t)v;
}

/* Comma list of words to a bit mask; -1 if a word is unknown. */
static long parse_list(const char *s, const char *const *words, int n)
{
    long mask = 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        int k, found = 0;
        for (k = 0; k < n; k++)
            if (strlen(words[k]) == len && !strncasecmp(s, words[k], len)) {
                mask |= 1L << k;
                found = 1;
            }
        if (!found) return -1;
        s += len;
        if (*s == ',') s++;
    }
    return mask;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "ddbstream: %s%s%s\nTry 'ddbstream --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return CLI_USAGE;
}

static const char *const value_options[] = {
    "--events", "--images", "--shape", "--format", "--line-max", "--columns", "--out-dir",
    "--s3", "--max-bytes", "--max-records", "--prefix", "--partition", "--table", "--as",
    "--jobs", "-j" };

int cli_configure(cli *c, int argc, char **argv)
{
    static const char *const events[] = { "INSERT", "MODIFY", "REMOVE" };
    static const char *const images[] = { "keys", "new", "old" };
    ddbs_options *o = &c->o;
    ddbs_chunker_options *co = &c->co;
    size_t line_max = 8u << 20, k;
    char *colspec = NULL;
    int a;

    memset(c, 0, sizeof *c);
    c->out = stdout;
    if (!isatty(1)) {  /* fewer, larger writes (glibc ignores a size without a buffer) */
        static char obuf[1 << 18];
        setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    }
    c->progress = isatty(2);
    {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        c->jobs = ncpu < 1 ? 1 : ncpu > CLI_MAX_JOBS ? CLI_MAX_JOBS : (int)ncpu;
    }
    c->files = calloc((size_t)argc + 1, sizeof *c->files);
    if (!c->files) return CLI_IO;
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;
        int takes = 0;
        for (k = 0; k < sizeof value_options / sizeof *value_options; k++)
            takes |= !strcmp(arg, value_options[k]);
        if (takes && !val) return usage_error("option needs a value", arg);
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return CLI_DONE;
        } else if (!strcmp(arg, "--version")) {
            printf("ddbstream %s\n", DDBS_VERSION_STRING);
            return CLI_DONE;
        } else if (!strcmp(arg, "--events")) {
            long m = parse_list(val, events, 3);
            if (m <= 0) return usage_error("--events takes INSERT,MODIFY,REMOVE", val);
            o->events = (uint32_t)m;
        } else if (!strcmp(arg, "--images")) {
            long m = parse_list(val, images, 3);
            if (m < 0 || !*val) return usage_error("--images takes keys,new,old", val);
            o->flags |= (uint32_t)(~m & 7);  /* DDBS_F_NO_KEYS/NEW/OLD are bits 0-2 */
        } else if (!strcmp(arg, "--shape")) {
            if (!strcmp(val, "record")) o->shape = DDBS_SHAPE_RECORD;
            else if (!strcmp(val, "item")) o->shape = DDBS_SHAPE_ITEM;
            else return usage_error("--shape takes record or item", val);
        } else if (!strcmp(arg, "--format")) {
            if (!strcmp(val, "ndjson")) o->format = DDBS_FORMAT_NDJSON;
            else if (!strcmp(val, "ddb")) o->format = DDBS_FORMAT_DDB;
            else if (!strcmp(val, "csv")) o->format = DDBS_FORMAT_CSV;
            else if (!strcmp(val, "batchwrite")) c->batchwrite = 1;
            else return usage_error("--format takes ndjson, ddb, csv or batchwrite", val);
        } else if (!strcmp(arg, "--columns")) {
            colspec = argv[a + 1];
        } else if (!strcmp(arg, "--table")) {
            c->table = val;
        } else if (!strcmp(arg, "--as")) {
            if (strcmp(val, "delete")) return usage_error("--as takes delete", val);
            c->as_delete = 1;
        } else if (!strcmp(arg, "--out-dir")) {
            c->out_dir = val;
        } else if (!strcmp(arg, "--s3")) {
            c->s3_url = val;
        } else if (!strcmp(arg, "--max-bytes")) {
            co->max_object_bytes = parse_size(val);
            if (co->max_object_bytes < 64) return usage_error("--max-bytes needs a size >= 64", val);
        } else if (!strcmp(arg, "--max-records")) {
            long v = strtol(val, NULL, 10);
            if (v <= 0) return usage_error("--max-records needs a number > 0", val);
            co->max_records = (uint32_t)v;
        } else if (!strcmp(arg, "--prefix")) {
            co->prefix = val;
        } else if (!strcmp(arg, "--partition")) {
            if (!strcmp(val, "hour")) co->flags |= DDBS_CF_HOURLY;
            else if (strcmp(val, "none")) return usage_error("--partition takes hour or none", val);
        } else if (!strcmp(arg, "--jobs") || !strncmp(arg, "-j", 2)) {
            long v = strtol(arg[2] ? arg + 2 : val, NULL, 10);  /* -j N or -jN */
            if (v < 1 || v > CLI_MAX_JOBS) return usage_error("--jobs needs a number from 1 to 8", val);
            c->jobs = (int)v;
        } else if (!strcmp(arg, "--line-max")) {
            line_max = parse_size(val);
            if (line_max < DDBS_MIN_BUF) return usage_error("--line-max needs a size >= 4096", val);
        } else if (!strcmp(arg, "--crlf")) {
            o->flags |= DDBS_F_CRLF;
        } else if (!strcmp(arg, "--csv-safe")) {
            o->flags |= DDBS_F_CSV_SAFE;
        } else if (!strcmp(arg, "--ttl-only")) {
            o->flags |= DDBS_F_TTL_ONLY;
        } else if (!strcmp(arg, "--item-meta")) {
            o->flags |= DDBS_F_ITEM_META;
        } else if (!strcmp(arg, "--numbers-as-strings")) {
            o->flags |= DDBS_F_NUMBERS_AS_STRINGS;
        } else if (!strcmp(arg, "--skip-bad")) {
            o->flags |= DDBS_F_SKIP_BAD;
        } else if (!strcmp(arg, "--parse-only")) {
            o->flags |= DDBS_F_PARSE_ONLY;
        } else if (!strcmp(arg, "--firehose-response")) {
            c->firehose_response = 1;
        } else if (!strcmp(arg, "--stats")) {
            c->stats = 1;
        } else if (!strcmp(arg, "--no-progress")) {
            c->progress = 0;
        } else if (!strcmp(arg, "-") || arg[0] != '-') {
            c->files[c->nfiles++] = argv[a];
            continue;
        } else {
            return usage_error("unknown option", arg);
        }
        if (takes) a++;
    }
    if (!c->nfiles) c->files[c->nfiles++] = (char *)"-";

    if (o->format == DDBS_FORMAT_CSV) {
        /* the list is one CSV record, as the header will be: "a,b" names a column with a comma */
        char *r = colspec, *w = colspec;
        if (!colspec) return usage_error("--format csv needs --columns", NULL);
        while (*r) {
            char *start = w;
            if (o->ncolumns == DDBS_MAX_COLUMNS) return usage_error("too many columns (64 at most)", NULL);
            if (*r == '"') {
                for (r++; *r && !(*r == '"' && r[1] != '"'); r++) {
                    if (*r == '"') r++;
                    *w++ = *r;
                }
                if (*r++ != '"' || (*r && *r != ',')) return usage_error("--columns: bad quoting", NULL);
            } else {
                while (*r && *r != ',') *w++ = *r++;
            }
            if (*r == ',') r++;
            *w++ = 0;
            c->columns[o->ncolumns++] = start;
        }
        o->columns = c->columns;
        if (!ddbs_csv_header(o, NULL, 0)) return usage_error("--columns: empty or repeated names", NULL);
    } else if (colspec) {
        return usage_error("--columns needs --format csv", NULL);
    }
    if (c->out_dir && c->s3_url) return usage_error("--out-dir and --s3 exclude each other", NULL);
    if (c->batchwrite != (c->table != NULL) || (c->as_delete && !c->batchwrite))
        return usage_error("--format batchwrite goes with --table (and --as delete)", NULL);
    c->chunked = c->out_dir || c->s3_url;
    if (c->batchwrite && (c->chunked || o->shape || (o->flags & 7u)))
        return usage_error("--format batchwrite writes to stdout, in record shape, with all images", NULL);
    if (c->firehose_response && (c->chunked || c->batchwrite || o->format == DDBS_FORMAT_CSV))
        return usage_error("--firehose-response writes one response to stdout, in ndjson or ddb", NULL);
    if (!c->chunked && (co->max_object_bytes || co->max_records || co->prefix || co->flags))
        return usage_error("--max-bytes, --max-records, --prefix, --partition need --out-dir or --s3", NULL);

    if (c->s3_url) {
#ifdef DDBS_WITH_S3
        s3_target t;
        if (s3_parse_url(c->s3_url, &t, c->flush_err, sizeof c->flush_err))
            return usage_error(c->flush_err, c->s3_url);
        if (!(c->s3 = s3_open(&t, c->flush_err, sizeof c->flush_err))) {
            fprintf(stderr, "ddbstream: %s\n", c->flush_err);
            return CLI_IO;
        }
#else
        return usage_error("this build has no S3 support (needs libcurl)", c->s3_url);
#endif
    }
    if (c->batchwrite) {
        o->format = DDBS_FORMAT_DDB;
        o->on_record = to_batch;
        if (!(c->object = malloc(DDBS_BATCH_BYTES))) return CLI_IO;
    }
    if (c->firehose_response) {
        o->on_record = to_firehose;
        o->on_part = firehose_part;
        if (!(c->object = malloc(DDBS_FIREHOSE_BYTES))) return CLI_IO;
    }
    if (c->chunked) {
        size_t hn = o->format == DDBS_FORMAT_CSV ? ddbs_csv_header(o, NULL, 0) : 0;
        if (!co->max_object_bytes) co->max_object_bytes = DDBS_DEFAULT_OBJECT_BYTES;
        c->object = malloc(co->max_object_bytes);
        c->header = malloc(hn + 1);
        if (!c->object || !c->header) {
            fprintf(stderr, "ddbstream: cannot allocate a %zu-byte object buffer\n", co->max_object_bytes);
            return CLI_IO;
        }
        if (hn) ddbs_csv_header(o, c->header, hn);
        co->flush = on_flush;
        co->user = c;
        co->buf = c->object;
        co->buf_size = co->max_object_bytes;
        co->ext = o->format == DDBS_FORMAT_CSV ? "csv" : o->format == DDBS_FORMAT_DDB ? "json" : "ndjson";
        co->header = c->header;
        co->header_len = hn;
        o->on_record = to_chunker;
        o->flags |= DDBS_F_NO_HEADER;
        /* a line can never be larger than an object */
        if (line_max > co->max_object_bytes)
            line_max = co->max_object_bytes < DDBS_MIN_BUF ? DDBS_MIN_BUF : co->max_object_bytes;
    }
    if (!(c->line = malloc(line_max))) {
        fprintf(stderr, "ddbstream: cannot allocate a %zu-byte line buffer\n", line_max);
        return CLI_IO;
    }
    o->sink = out_sink;
    o->user = c;
    o->buf = c->line;
    o->buf_size = line_max;
    o->on_error = on_bad;
    c->t0 = c->last = now();
    return CLI_OK;
}

int cli_begin(cli *c)
{
    if (c->batchwrite) {
        ddbs_batch_options bo;
        memset(&bo, 0, sizeof bo);
        bo.sink = out_sink;
        bo.user = c;
        bo.buf = c->object;
        bo.buf_size = DDBS_BATCH_BYTES;
        bo.table = c->table;
        bo.flags = c->as_delete ? DDBS_BF_DELETE : 0;
        if (ddbs_batch_init(&c->batch, &bo) != DDBS_OK)
            return usage_error("--table: not a DynamoDB table name", c->table);
    }
    if (c->firehose_response)
        ddbs_firehose_init(&c->firehose, out_sink, c, c->object, DDBS_FIREHOSE_BYTES);
    if (c->chunked && ddbs_chunker_init(&c->chunker, &c->co) != DDBS_OK)
        return usage_error("--max-bytes too small for the CSV header, or --prefix over 256 bytes", NULL);
    c->fail_seq[0] = 0;
    return CLI_OK;
}

/* Why the parser stopped, on stderr; the status it means. */
static int report(cli *c, const ddbs_parser *p, ddbs_result rc)
{
    const char *n = c->name ? c->name : "", *sep = c->name ? ": " : "";
    size_t sl;
    const char *seq = ddbs_parser_sequence(p, &sl);
    if (rc == DDBS_OK) return CLI_OK;
    /* for a runtime that retries from here: the record that was not converted */
    c->fail_index = p->error_record ? c->rbase + p->error_record - 1 : 0;
    snprintf(c->fail_seq, sizeof c->fail_seq, "%.*s", (int)sl, seq);
    if (rc == DDBS_E_SINK && c->write_failed) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        return CLI_IO;
    }
    if (rc == DDBS_E_SINK && c->chunker.error == DDBS_E_OBJECT_TOO_BIG) {
        fprintf(stderr, "ddbstream: %s%s%s: record %llu (%s) at byte %llu\n", n, sep,
                ddbs_strerror(DDBS_E_OBJECT_TOO_BIG), (unsigned long long)p->error_record,
                c->chunker.error_sequence, (unsigned long long)p->error_offset);
        return CLI_BAD_INPUT;
    }
    if (rc == DDBS_E_SINK && c->batch.error) {
        fprintf(stderr, "ddbstream: %s%s%s: record %llu at byte %llu\n", n, sep,
                ddbs_strerror(c->batch.error), (unsigned long long)p->error_record,
                (unsigned long long)p->error_offset);
        return CLI_BAD_INPUT;
    }
    if (rc == DDBS_E_SINK && c->chunker.error) {
        fprintf(stderr, "ddbstream: object not stored: %s\n", c->flush_err);
        return CLI_IO;
    }
    fprintf(stderr, "ddbstream: %s%s%s at byte %llu (record %llu)\n", n, sep, ddbs_strerror(rc),
            (unsigned long long)(c->obase + p->error_offset),
            (unsigned long long)(c->rbase + p->error_record));
    return CLI_BAD_INPUT;
}

static void progress(cli *c, const ddbs_parser *p)
{
    double t;
    uint64_t bin = c->bin + (p ? p->offset : 0), rin = c->rin + (p ? p->records_in : 0);
    if (!c->progress || (t = now()) - c->last < 0.5) return;
    c->last = t;
    fprintf(stderr, "\rddbstream: %.1f MB read, %llu records, %.0f MB/s ", (double)bin / 1e6,
            (unsigned long long)rin, (double)bin / 1e6 / (t - c->t0));
}

#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif
#define MAP_WINDOW ((off_t)4 << 20)

/* A regular file of 1 MiB or more is mapped one window at a time: no copy through a read
   buffer, and memory stays at one window whatever the file's size. Returns where the read
   loop goes on (the end of the file as it was, or where a mapping failed), or -1. */
static off_t feed_mapped(cli *c, int fd, ddbs_parser *p, ddbs_result *rc)
{
    struct stat st;
    off_t at, end;
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (at = lseek(fd, 0, SEEK_CUR)) < 0 ||
        st.st_size - at < ((off_t)1 << 20))
        return -1;
    end = st.st_size;
    while (at < end && *rc == DDBS_OK) {
        /* windows end at multiples of MAP_WINDOW in the file, wherever the input started:
           after an error, bytes fed (--stats) are the same whether --jobs went before */
        off_t base = at - at % pg, len = MAP_WINDOW - base % MAP_WINDOW;
        if (len > end - base) len = end - base;
        void *m = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, base);
        if (m == MAP_FAILED) break;
        *rc = ddbs_parser_feed(p, (const char *)m + (at - base), (size_t)(len - (at - base)));
        munmap(m, (size_t)len);
        at = base + len;
        progress(c, p);
    }
    return lseek(fd, at, SEEK_SET);
}

/* --jobs: a large regular file is cut into windows that each start with a '{' at the start
   of a line; worker threads take the windows in turn, each converting one with a parser of
   its own into a buffer of its own, and this thread writes the buffers out in file order.
   A window converts cleanly only if its parser ends between documents with no error: then
   the next window's first byte really starts a document, and a fresh parser there is in the
   state one parser reading the whole file would be in. The first window that does not (a
   '{' inside a document, bad input, no memory) is converted again, with the rest of the
   file, by the sequential path, which also reports any error: output, messages and exit
   status are those of one parser. Memory: a window mapped per worker, a buffer per slot; a
   window that would be over 4 times the size asked (a document that large) or would give
   over 64 MiB of lines ends the threaded part there, and the one pass converts the rest. */
#define PAR_WINDOW_MAX ((off_t)2 << 20)
#define PAR_WINDOW_MIN ((off_t)512 << 10)

struct par;
typedef struct {
    struct par *pr;
    off_t beg, end;           /* the window: bytes [beg, end) of the file */
    int done;
    ddbs_parser p;
    ddbs_result rc;
    char *line, *out;
    size_t out_n, out_cap;
} par_job;

typedef struct par {
    cli *c;
    int fd, stop, nslots;
    off_t at, next, end;      /* the input's first byte, the next window's, the file's end */
    off_t window;             /* bytes per window: 16 or more per worker, so none waits long */
    uint64_t taken, written;  /* windows taken by workers; written out */
    par_job *slot;            /* window i uses slot i % nslots */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} par;

static int par_sink(void *user, const char *s, size_t n)
{
    par_job *j = (par_job *)user;
    if (j->out_cap - j->out_n < n) {
        size_t cap = j->out_cap ? j->out_cap : (size_t)1 << 20;
        char *b;
        while (cap - j->out_n < n) cap *= 2;
        if (cap > (size_t)64 << 20) return -1;
        if (!(b = realloc(j->out, cap))) return -1;
        j->out = b;
        j->out_cap = cap;
    }
    memcpy(j->out + j->out_n, s, n);
    j->out_n += n;
    return 0;
}

static void par_run(par_job *j)
{
    ddbs_options o = j->pr->c->o;
    long pg = sysconf(_SC_PAGESIZE);
    off_t base = j->beg - j->beg % pg;
    size_t len = (size_t)(j->end - base);
    void *m;
    j->out_n = 0;
    o.sink = par_sink;
    o.user = j;
    o.buf = j->line;
    o.flags |= DDBS_F_NO_HEADER;  /* CSV: the writer puts it before the first row */
    if ((j->rc = ddbs_parser_init(&j->p, &o)) != DDBS_OK) return;
    m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, j->pr->fd, base);
    if (m == MAP_FAILED) {
        j->rc = DDBS_E_SINK;  /* any failure here: the sequential path converts it again */
        return;
    }
    j->rc = ddbs_parser_feed(&j->p, (const char *)m + (j->beg - base), (size_t)(j->end - j->beg));
    if (j->rc == DDBS_OK) j->rc = ddbs_parser_finish(&j->p);
    munmap(m, len);
}

/* The first '{' at or after x that starts a line; end if there is none before it; -1 if there
   is none before limit either. */
static off_t par_cut(int fd, off_t x, off_t end, off_t limit)
{
    static char b[1 << 16];  /* used under the lock */
    while (x < end) {
        if (x >= limit) return -1;
        ssize_t r = pread(fd, b, sizeof b, x - 1);  /* with the byte before x */
        const char *q = b;
        if (r < 2) return end;
        while ((q = memchr(q, '\n', (size_t)(b + r - 1 - q))) != NULL)
            if (*++q == '{') return x - 1 + (q - b);
        x += r - 1;
    }
    return end;
}

static void *par_worker(void *arg)
{
    par *pr = (par *)arg;
    pthread_mutex_lock(&pr->mu);
    for (;;) {
        par_job *j;
        while (!pr->stop && pr->next < pr->end && pr->taken - pr->written >= (uint64_t)pr->nslots)
            pthread_cond_wait(&pr->cv, &pr->mu);
        if (pr->stop || pr->next >= pr->end) break;
        j = &pr->slot[pr->taken++ % (uint64_t)pr->nslots];
        j->beg = pr->next;
        j->end = pr->end - j->beg <= pr->window ? pr->end
                 : par_cut(pr->fd, j->beg + pr->window, pr->end, j->beg + 4 * pr->window);
        j->done = 0;
        if (j->end < 0) {  /* too large for a window: the one pass goes on from here */
            j->rc = DDBS_E_SINK;
            j->done = 1;
            pr->next = pr->end;
            pthread_cond_broadcast(&pr->cv);
            continue;
        }
        pr->next = j->end;
        pthread_mutex_unlock(&pr->mu);
        par_run(j);
        pthread_mutex_lock(&pr->mu);
        j->done = 1;
        pthread_cond_broadcast(&pr->cv);
    }
    pthread_mutex_unlock(&pr->mu);
    return NULL;
}

/* Converts [at, end) of fd with c->jobs workers; returns where the sequential path goes on
   (end, or the first window that did not convert cleanly), or -1 after a write error. */
static off_t par_convert(cli *c, int fd, off_t at, off_t end)
{
    par pr;
    pthread_t tid[CLI_MAX_JOBS];
    off_t pos = at;
    int t, started = 0, werr;
    memset(&pr, 0, sizeof pr);
    pr.c = c;
    pr.fd = fd;
    pr.at = pr.next = at;
    pr.end = end;
    pr.nslots = c->jobs + 1;  /* one waiting to be written while each worker converts */
    pr.window = (end - at) / (16 * c->jobs);
    if (pr.window < PAR_WINDOW_MIN) pr.window = PAR_WINDOW_MIN;
    if (pr.window > PAR_WINDOW_MAX) pr.window = PAR_WINDOW_MAX;
    if (!(pr.slot = calloc((size_t)pr.nslots, sizeof *pr.slot))) return at;
    for (t = 0; t < pr.nslots; t++) {
        pr.slot[t].pr = &pr;
        if (!(pr.slot[t].line = malloc(c->o.buf_size))) pr.next = end;  /* none taken */
    }
    pthread_mutex_init(&pr.mu, NULL);
    pthread_cond_init(&pr.cv, NULL);
    while (started < c->jobs && !pthread_create(&tid[started], NULL, par_worker, &pr)) started++;
    pthread_mutex_lock(&pr.mu);
    if (!started) pr.next = end;
    for (;;) {
        par_job *j = &pr.slot[pr.written % (uint64_t)pr.nslots];
        while (pr.written == pr.taken && pr.next < end) pthread_cond_wait(&pr.cv, &pr.mu);
        if (pr.written == pr.taken) break;  /* all written */
        while (!j->done) pthread_cond_wait(&pr.cv, &pr.mu);
        pthread_mutex_unlock(&pr.mu);
        if (j->rc != DDBS_OK) {
            pthread_mutex_lock(&pr.mu);
            break;
        }
        /* the CSV header goes out with the first row, as one parser writes it: a first
           window with no rows and a later error give no header at all */
        werr = 0;
        if (j->out_n && !c->header_out && c->o.format == DDBS_FORMAT_CSV &&
            !(c->o.flags & (DDBS_F_NO_HEADER | DDBS_F_PARSE_ONLY))) {
            size_t hn = ddbs_csv_header(&c->o, j->line, c->o.buf_size);  /* the buffer is free */
            werr = hn > c->o.buf_size || fwrite(j->line, 1, hn, c->out) != hn;
            c->bout += hn;
            c->header_out = 1;
        }
        if (werr || (j->out_n && fwrite(j->out, 1, j->out_n, c->out) != j->out_n)) {
            fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
            pos = -1;
            pthread_mutex_lock(&pr.mu);
            break;
        }
        c->rin += j->p.records_in;
        c->rout += j->p.records_out;
        c->bin += j->p.offset;
        c->bout += j->p.bytes_out;
        c->docs += j->p.documents;
        c->obase += j->p.offset;
        c->rbase += j->p.records_in;
        pos = j->end;
        progress(c, NULL);
        pthread_mutex_lock(&pr.mu);
        pr.written++;
        pthread_cond_broadcast(&pr.cv);
    }
    pr.stop = 1;
    pthread_cond_broadcast(&pr.cv);
    pthread_mutex_unlock(&pr.mu);
    for (t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&pr.mu);
    pthread_cond_destroy(&pr.cv);
    for (t = 0; t < pr.nslots; t++) {
        free(pr.slot[t].line);
        free(pr.slot[t].out);
    }
    free(pr.slot);
    return pos;
}

int cli_convert(cli *c, int fd, const char *mem, size_t n, const char *name)
{
    static char in[1 << 16];
    ddbs_parser p;
    ddbs_result rc;
    int status = CLI_OK;
    struct stat st;
    off_t at;
    c->name = name;
    c->obase = c->rbase = 0;
    c->header_out = 0;
    if (fd >= 0 && c->jobs > 1 && !c->chunked && !c->batchwrite && !c->firehose_response &&
        !(c->o.flags & DDBS_F_SKIP_BAD) && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
        (at = lseek(fd, 0, SEEK_CUR)) >= 0 && st.st_size - at > 2 * PAR_WINDOW_MIN) {
        off_t resume = par_convert(c, fd, at, st.st_size);
        if (resume < 0) return CLI_IO;
        if (lseek(fd, resume, SEEK_SET) < 0) return CLI_IO;
    }
    {
        ddbs_options o = c->o;
        if (c->header_out) o.flags |= DDBS_F_NO_HEADER;  /* the threads wrote it */
        rc = ddbs_parser_init(&p, &o);
    }
    if (fd < 0 && rc == DDBS_OK) rc = ddbs_parser_feed(&p, mem, n);
    if (fd >= 0 && rc == DDBS_OK) (void)feed_mapped(c, fd, &p, &rc);
    while (fd >= 0 && rc == DDBS_OK) {
        ssize_t r = read(fd, in, sizeof in);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fprintf(stderr, "ddbstream: %s: %s\n", name ? name : "stdin", strerror(errno));
            status = CLI_IO;
            break;
        }
        if (r == 0) break;
        rc = ddbs_parser_feed(&p, in, (size_t)r);
        progress(c, &p);
        if ((size_t)r < sizeof in && fflush(c->out)) {  /* input paused: what is done goes out */
            fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
            status = CLI_IO;
            break;
        }
    }
    if (rc == DDBS_OK && !status) rc = ddbs_parser_finish(&p);
    c->rin += p.records_in;
    c->rout += p.records_out;
    c->bin += p.offset;
    c->bout += p.bytes_out;
    c->docs += p.documents;
    c->skipped += p.skipped;
    return status ? status : report(c, &p, rc);
}

int cli_end(cli *c, int status)
{
    if (c->firehose_response && !status && ddbs_firehose_finish(&c->firehose) != DDBS_OK) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        status = CLI_IO;
    }
    if (c->batchwrite && !c->batch.error && ddbs_batch_finish(&c->batch) != DDBS_OK && !status) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        status = CLI_IO;
    }
    if (c->chunked && !c->chunker.error && ddbs_chunker_finish(&c->chunker) != DDBS_OK) {
        fprintf(stderr, "ddbstream: object not stored: %s\n", c->flush_err);
        if (!status) status = CLI_IO;
    }
    if (fflush(c->out) != 0 && !status) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        status = CLI_IO;
    }
    return status;
}

int cli_finish(cli *c, int status)
{
    if (c->progress) fputs("\r\033[K", stderr);
    if (c->skipped) {
        fprintf(stderr, "ddbstream: skipped %llu bad document%s\n", (unsigned long long)c->skipped,
                c->skipped == 1 ? "" : "s");
        if (!status) status = CLI_BAD_INPUT;
    }
    if (c->stats) {
        double t = now() - c->t0;
        fprintf(stderr,
                "ddbstream: %llu documents, %llu records in, %llu out; %llu bytes in, %llu out;"
                " %.3f s, %.1f MB/s\n",
                (unsigned long long)c->docs, (unsigned long long)c->rin, (unsigned long long)c->rout,
                (unsigned long long)c->bin, (unsigned long long)c->bout, t,
                t > 0 ? (double)c->bin / 1e6 / t : 0.0);
        if (c->firehose_response)
            fprintf(stderr, "ddbstream: firehose records: %u Ok, %u Dropped, %u ProcessingFailed\n",
                    c->firehose.ok, c->firehose.dropped, c->firehose.failed);
        if (c->batchwrite)
            fprintf(stderr, "ddbstream: %llu request bodies, %llu requests\n",
                    (unsigned long long)c->batch.bodies, (unsigned long long)c->batch.requests);
        if (c->chunked)
            fprintf(stderr, "ddbstream: %llu objects written, %llu bytes, %llu records\n",
                    (unsigned long long)c->chunker.objects, (unsigned long long)c->chunker.bytes,
                    (unsigned long long)c->chunker.records);
    }
#ifdef DDBS_WITH_S3
    if (c->s3) s3_close(c->s3);
#endif
    free(c->object);
    free(c->header);
    free(c->line);
    free(c->files);
    return status;
}
