/* ddbstream: DynamoDB Streams JSON on stdin (or files) to one plain JSON line per record.
   A thin shell around ddbstream.h: argument parsing, reading, writing, reporting. */
#define _POSIX_C_SOURCE 200809L
#define DDBSTREAM_IMPLEMENTATION
#include "../ddbstream.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#ifdef DDBS_WITH_S3
#include "s3_put.h"
#endif

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char usage[] =
    "usage: ddbstream [options] [FILE...]\n"
    "Reads DynamoDB Streams JSON (Lambda events, GetRecords responses, bare records; NDJSON,\n"
    "pretty or concatenated) from FILEs or stdin, writes one JSON line per record to stdout.\n"
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
    "  --table T             batchwrite: the table to write to\n"
    "  --as delete           batchwrite: every record becomes a DeleteRequest of its Keys\n"
    "  --columns LIST        CSV columns: attribute names of the item, or eventName,\n"
    "                        eventID, SequenceNumber, ApproximateCreationDateTime\n"
    "  --crlf                CSV: CRLF line ends\n"
    "  --csv-safe            CSV: put ' before S/B cells starting with = + - @ tab CR\n"
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
    "  --stats               records, bytes and MB/s on stderr at the end\n"
    "  --no-progress         no progress line (shown when stderr is a terminal)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 I/O error.\n";

struct cli {
    const char *name;         /* input being read, for messages */
    int write_failed;
    ddbs_chunker chunker;     /* with --out-dir or --s3 */
    ddbs_batch batch;         /* with --format batchwrite */
    const char *out_dir;
    char flush_err[4608];     /* why an object did not land */
#ifdef DDBS_WITH_S3
    s3_client *s3;
#endif
};

static int to_batch(void *user, const ddbs_record *rec)
{
    return ddbs_batch_add(&((struct cli *)user)->batch, rec);
}

static int to_chunker(void *user, const ddbs_record *rec)
{
    return ddbs_chunker_add(&((struct cli *)user)->chunker, rec);
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
static int flush_to_dir(struct cli *c, const char *name, const char *data, size_t len)
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
    struct cli *c = (struct cli *)user;
#ifdef DDBS_WITH_S3
    if (c->s3) return s3_put(c->s3, name, data, len, c->flush_err, sizeof c->flush_err);
#endif
    return flush_to_dir(c, name, data, len);
}

static int out_sink(void *user, const char *s, size_t n)
{
    struct cli *c = (struct cli *)user;
    if (fwrite(s, 1, n, stdout) != n) {
        c->write_failed = 1;
        return -1;
    }
    return 0;
}

static void on_bad(void *user, ddbs_result rc, uint64_t off, uint64_t rec)
{
    struct cli *c = (struct cli *)user;
    fprintf(stderr, "ddbstream: %s%s%s at byte %llu (record %llu), document skipped\n",
            c->name ? c->name : "", c->name ? ": " : "", ddbs_strerror(rc),
            (unsigned long long)off, (unsigned long long)rec);
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

static int die_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "ddbstream: %s%s%s\nTry 'ddbstream --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    static const char *const events[] = { "INSERT", "MODIFY", "REMOVE" };
    static const char *const images[] = { "keys", "new", "old" };
    static char inbuf[1 << 16];
    static struct cli cli;
    static const char *columns[DDBS_MAX_COLUMNS];
    ddbs_options o;
    ddbs_chunker_options co;
    size_t line_max = 8u << 20;
    int stats = 0, progress = isatty(2), nfiles = 0, a, status = 0, chunked;
    char **files, *colspec = NULL, *header = NULL;
    const char *s3_url = NULL, *table = NULL;
    int batchwrite = 0, as_delete = 0;
    char *line, *object = NULL;
    uint64_t rin = 0, rout = 0, bin = 0, bout = 0, docs = 0, skipped = 0;
    double t0, last;

    memset(&o, 0, sizeof o);
    memset(&co, 0, sizeof co);
    files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return EXIT_IO;
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;
        int takes = !strcmp(arg, "--events") || !strcmp(arg, "--images") ||
                    !strcmp(arg, "--shape") || !strcmp(arg, "--format") ||
                    !strcmp(arg, "--line-max") || !strcmp(arg, "--columns") ||
                    !strcmp(arg, "--out-dir") || !strcmp(arg, "--s3") ||
                    !strcmp(arg, "--max-bytes") || !strcmp(arg, "--max-records") ||
                    !strcmp(arg, "--prefix") || !strcmp(arg, "--partition") ||
                    !strcmp(arg, "--table") || !strcmp(arg, "--as");
        if (takes && !val) return die_usage("option needs a value", arg);
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(arg, "--version")) {
            printf("ddbstream %s\n", DDBS_VERSION_STRING);
            return 0;
        } else if (!strcmp(arg, "--events")) {
            long m = parse_list(val, events, 3);
            if (m <= 0) return die_usage("--events takes INSERT,MODIFY,REMOVE", val);
            o.events = (uint32_t)m;
        } else if (!strcmp(arg, "--images")) {
            long m = parse_list(val, images, 3);
            if (m < 0 || !*val) return die_usage("--images takes keys,new,old", val);
            o.flags |= (uint32_t)(~m & 7);  /* DDBS_F_NO_KEYS/NEW/OLD are bits 0-2 */
        } else if (!strcmp(arg, "--shape")) {
            if (!strcmp(val, "record")) o.shape = DDBS_SHAPE_RECORD;
            else if (!strcmp(val, "item")) o.shape = DDBS_SHAPE_ITEM;
            else return die_usage("--shape takes record or item", val);
        } else if (!strcmp(arg, "--format")) {
            if (!strcmp(val, "ndjson")) o.format = DDBS_FORMAT_NDJSON;
            else if (!strcmp(val, "ddb")) o.format = DDBS_FORMAT_DDB;
            else if (!strcmp(val, "csv")) o.format = DDBS_FORMAT_CSV;
            else if (!strcmp(val, "batchwrite")) batchwrite = 1;
            else return die_usage("--format takes ndjson, ddb, csv or batchwrite", val);
        } else if (!strcmp(arg, "--table")) {
            table = val;
        } else if (!strcmp(arg, "--as")) {
            if (strcmp(val, "delete")) return die_usage("--as takes delete", val);
            as_delete = 1;
        } else if (!strcmp(arg, "--columns")) {
            colspec = argv[a + 1];
        } else if (!strcmp(arg, "--crlf")) {
            o.flags |= DDBS_F_CRLF;
        } else if (!strcmp(arg, "--csv-safe")) {
            o.flags |= DDBS_F_CSV_SAFE;
        } else if (!strcmp(arg, "--out-dir")) {
            cli.out_dir = val;
        } else if (!strcmp(arg, "--s3")) {
            s3_url = val;
        } else if (!strcmp(arg, "--max-bytes")) {
            co.max_object_bytes = parse_size(val);
            if (co.max_object_bytes < 64) return die_usage("--max-bytes needs a size >= 64", val);
        } else if (!strcmp(arg, "--max-records")) {
            long v = strtol(val, NULL, 10);
            if (v <= 0) return die_usage("--max-records needs a number > 0", val);
            co.max_records = (uint32_t)v;
        } else if (!strcmp(arg, "--prefix")) {
            co.prefix = val;
        } else if (!strcmp(arg, "--partition")) {
            if (!strcmp(val, "hour")) co.flags |= DDBS_CF_HOURLY;
            else if (strcmp(val, "none")) return die_usage("--partition takes hour or none", val);
        } else if (!strcmp(arg, "--line-max")) {
            line_max = parse_size(val);
            if (line_max < DDBS_MIN_BUF) return die_usage("--line-max needs a size >= 4096", val);
        } else if (!strcmp(arg, "--ttl-only")) {
            o.flags |= DDBS_F_TTL_ONLY;
        } else if (!strcmp(arg, "--item-meta")) {
            o.flags |= DDBS_F_ITEM_META;
        } else if (!strcmp(arg, "--numbers-as-strings")) {
            o.flags |= DDBS_F_NUMBERS_AS_STRINGS;
        } else if (!strcmp(arg, "--skip-bad")) {
            o.flags |= DDBS_F_SKIP_BAD;
        } else if (!strcmp(arg, "--parse-only")) {
            o.flags |= DDBS_F_PARSE_ONLY;
        } else if (!strcmp(arg, "--stats")) {
            stats = 1;
        } else if (!strcmp(arg, "--no-progress")) {
            progress = 0;
        } else if (!strcmp(arg, "-") || arg[0] != '-') {
            files[nfiles++] = argv[a];
            continue;
        } else {
            return die_usage("unknown option", arg);
        }
        if (takes) a++;
    }
    if (!nfiles) files[nfiles++] = (char *)"-";
    if (o.format == DDBS_FORMAT_CSV) {
        char *tok;
        if (!colspec) return die_usage("--format csv needs --columns", NULL);
        for (tok = strtok(colspec, ","); tok; tok = strtok(NULL, ",")) {
            if (o.ncolumns == DDBS_MAX_COLUMNS) return die_usage("too many columns (64 at most)", NULL);
            columns[o.ncolumns++] = tok;
        }
        o.columns = columns;
        if (!ddbs_csv_header(&o, NULL, 0)) return die_usage("--columns: empty or repeated names", colspec);
    } else if (colspec) {
        return die_usage("--columns needs --format csv", NULL);
    }
    if (cli.out_dir && s3_url) return die_usage("--out-dir and --s3 exclude each other", NULL);
    if (batchwrite != (table != NULL) || (as_delete && !batchwrite))
        return die_usage("--format batchwrite goes with --table (and --as delete)", NULL);
    if (batchwrite && (cli.out_dir || s3_url || o.shape || (o.flags & 7u)))
        return die_usage("--format batchwrite writes to stdout, in record shape, with all images", NULL);
    chunked = cli.out_dir || s3_url;
    if (!chunked && (co.max_object_bytes || co.max_records || co.prefix || co.flags))
        return die_usage("--max-bytes, --max-records, --prefix, --partition need --out-dir or --s3", NULL);
    if (s3_url) {
#ifdef DDBS_WITH_S3
        s3_target t;
        if (s3_parse_url(s3_url, &t, cli.flush_err, sizeof cli.flush_err))
            return die_usage(cli.flush_err, s3_url);
        if (!(cli.s3 = s3_open(&t, cli.flush_err, sizeof cli.flush_err))) {
            fprintf(stderr, "ddbstream: %s\n", cli.flush_err);
            return EXIT_IO;
        }
#else
        return die_usage("this build has no S3 support (needs libcurl)", s3_url);
#endif
    }
    if (batchwrite) {
        ddbs_batch_options bo;
        memset(&bo, 0, sizeof bo);
        bo.sink = out_sink;
        bo.user = &cli;
        bo.buf = object = malloc(DDBS_BATCH_BYTES);
        bo.buf_size = DDBS_BATCH_BYTES;
        bo.table = table;
        bo.flags = as_delete ? DDBS_BF_DELETE : 0;
        if (!object) return EXIT_IO;
        if (ddbs_batch_init(&cli.batch, &bo) != DDBS_OK)
            return die_usage("--table: not a DynamoDB table name", table);
        o.format = DDBS_FORMAT_DDB;
        o.on_record = to_batch;
    }
    if (chunked) {
        size_t hn = o.format == DDBS_FORMAT_CSV ? ddbs_csv_header(&o, NULL, 0) : 0;
        if (!co.max_object_bytes) co.max_object_bytes = DDBS_DEFAULT_OBJECT_BYTES;
        object = malloc(co.max_object_bytes);
        header = malloc(hn + 1);
        if (!object || !header) {
            fprintf(stderr, "ddbstream: cannot allocate a %zu-byte object buffer\n", co.max_object_bytes);
            return EXIT_IO;
        }
        if (hn) ddbs_csv_header(&o, header, hn);
        co.flush = on_flush;
        co.user = &cli;
        co.buf = object;
        co.buf_size = co.max_object_bytes;
        co.ext = o.format == DDBS_FORMAT_CSV ? "csv" : o.format == DDBS_FORMAT_DDB ? "json" : "ndjson";
        co.header = header;
        co.header_len = hn;
        if (ddbs_chunker_init(&cli.chunker, &co) != DDBS_OK)
            return die_usage("--max-bytes too small for the CSV header, or --prefix over 256 bytes", NULL);
        o.on_record = to_chunker;
        o.flags |= DDBS_F_NO_HEADER;
        if (line_max > co.max_object_bytes) line_max = co.max_object_bytes < DDBS_MIN_BUF ? DDBS_MIN_BUF : co.max_object_bytes;
    }

    line = malloc(line_max);
    if (!line) {
        fprintf(stderr, "ddbstream: cannot allocate a %zu-byte line buffer\n", line_max);
        return EXIT_IO;
    }
    o.sink = out_sink;
    o.user = &cli;
    o.buf = line;
    o.buf_size = line_max;
    o.on_error = on_bad;
    t0 = last = now();

    for (a = 0; a < nfiles && !status; a++) {
        ddbs_parser p;
        ddbs_result rc;
        int fd = 0;
        int stdin_input = !strcmp(files[a], "-");
        cli.name = nfiles > 1 || !stdin_input ? files[a] : NULL;
        if (!stdin_input && (fd = open(files[a], O_RDONLY)) < 0) {
            fprintf(stderr, "ddbstream: %s: %s\n", files[a], strerror(errno));
            status = EXIT_IO;
            break;
        }
        rc = ddbs_parser_init(&p, &o);
        while (rc == DDBS_OK) {
            ssize_t n = read(fd, inbuf, sizeof inbuf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                fprintf(stderr, "ddbstream: %s: %s\n", stdin_input ? "stdin" : files[a],
                        strerror(errno));
                status = EXIT_IO;
                break;
            }
            if (n == 0) {
                rc = ddbs_parser_finish(&p);
                break;
            }
            rc = ddbs_parser_feed(&p, inbuf, (size_t)n);
            if (progress) {
                double t = now();
                if (t - last >= 0.5) {
                    last = t;
                    fprintf(stderr, "\rddbstream: %.1f MB read, %llu records, %.0f MB/s ",
                            (double)(bin + p.offset) / 1e6,
                            (unsigned long long)(rin + p.records_in),
                            (double)(bin + p.offset) / 1e6 / (t - t0));
                }
            }
        }
        if (fd > 0) close(fd);
        rin += p.records_in;
        rout += p.records_out;
        bin += p.offset;
        bout += p.bytes_out;
        docs += p.documents;
        skipped += p.skipped;
        if (status) break;
        if (rc == DDBS_E_SINK && cli.write_failed) {
            fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
            status = EXIT_IO;
        } else if (rc == DDBS_E_SINK && cli.chunker.error == DDBS_E_OBJECT_TOO_BIG) {
            fprintf(stderr, "ddbstream: %s%s%s: record %llu (SequenceNumber %s) at byte %llu\n",
                    cli.name ? cli.name : "", cli.name ? ": " : "", ddbs_strerror(DDBS_E_OBJECT_TOO_BIG),
                    (unsigned long long)p.error_record, cli.chunker.error_sequence,
                    (unsigned long long)p.error_offset);
            status = EXIT_BAD_INPUT;
        } else if (rc == DDBS_E_SINK && cli.batch.error) {
            fprintf(stderr, "ddbstream: %s%s%s: record %llu at byte %llu\n",
                    cli.name ? cli.name : "", cli.name ? ": " : "", ddbs_strerror(cli.batch.error),
                    (unsigned long long)p.error_record, (unsigned long long)p.error_offset);
            status = EXIT_BAD_INPUT;
        } else if (rc == DDBS_E_SINK && cli.chunker.error) {
            fprintf(stderr, "ddbstream: object not stored: %s\n", cli.flush_err);
            status = EXIT_IO;
        } else if (rc != DDBS_OK) {
            fprintf(stderr, "ddbstream: %s%s%s at byte %llu (record %llu)\n",
                    cli.name ? cli.name : "", cli.name ? ": " : "", ddbs_strerror(rc),
                    (unsigned long long)p.error_offset, (unsigned long long)p.error_record);
            status = EXIT_BAD_INPUT;
        }
    }
    if (batchwrite && !cli.batch.error && ddbs_batch_finish(&cli.batch) != DDBS_OK && !status) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        status = EXIT_IO;
    }
    if (chunked && !cli.chunker.error && ddbs_chunker_finish(&cli.chunker) != DDBS_OK) {
        fprintf(stderr, "ddbstream: object not stored: %s\n", cli.flush_err);
        if (!status) status = EXIT_IO;
    }
    if (fflush(stdout) != 0 && !status) {
        fprintf(stderr, "ddbstream: write error: %s\n", strerror(errno));
        status = EXIT_IO;
    }
    if (progress) fputs("\r\033[K", stderr);
    if (skipped) {
        fprintf(stderr, "ddbstream: skipped %llu bad document%s\n", (unsigned long long)skipped,
                skipped == 1 ? "" : "s");
        if (!status) status = EXIT_BAD_INPUT;
    }
    if (stats) {
        double t = now() - t0;
        fprintf(stderr,
                "ddbstream: %llu documents, %llu records in, %llu out; %llu bytes in, %llu out;"
                " %.3f s, %.1f MB/s\n",
                (unsigned long long)docs, (unsigned long long)rin, (unsigned long long)rout,
                (unsigned long long)bin, (unsigned long long)bout, t,
                t > 0 ? (double)bin / 1e6 / t : 0.0);
        if (batchwrite)
            fprintf(stderr, "ddbstream: %llu request bodies, %llu requests\n",
                    (unsigned long long)cli.batch.bodies, (unsigned long long)cli.batch.requests);
        if (chunked)
            fprintf(stderr, "ddbstream: %llu objects written, %llu bytes, %llu records\n",
                    (unsigned long long)cli.chunker.objects, (unsigned long long)cli.chunker.bytes,
                    (unsigned long long)cli.chunker.records);
    }
#ifdef DDBS_WITH_S3
    if (cli.s3) s3_close(cli.s3);
#endif
    free(object);
    free(header);
    free(line);
    free(files);
    return status;
}
