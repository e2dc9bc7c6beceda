/* ddbstream: DynamoDB Streams JSON on stdin (or files) to one plain JSON line per record.
   A thin shell around ddbstream.h: argument parsing, reading, writing, reporting. */
#define _POSIX_C_SOURCE 200809L
#define DDBSTREAM_IMPLEMENTATION
#include "../ddbstream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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
    "  --format ndjson|ddb   plain values (default) or typed DynamoDB JSON, minified\n"
    "  --numbers-as-strings  write N as \"123\" instead of 123\n"
    "  --skip-bad            report a bad document on stderr, skip it, go on (exit 1 at end)\n"
    "  --line-max SIZE       largest output line (default 8MiB; accepts K, KiB, M, MiB)\n"
    "  --parse-only          validate and count, write nothing\n"
    "  --stats               records, bytes and MB/s on stderr at the end\n"
    "  --no-progress         no progress line (shown when stderr is a terminal)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 I/O error.\n";

struct cli {
    const char *name;         /* input being read, for messages */
    int write_failed;
};

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
    ddbs_options o;
    struct cli cli = { NULL, 0 };
    size_t line_max = 8u << 20;
    int stats = 0, progress = isatty(2), nfiles = 0, a, status = 0;
    char **files;
    char *line;
    uint64_t rin = 0, rout = 0, bin = 0, bout = 0, docs = 0, skipped = 0;
    double t0, last;

    memset(&o, 0, sizeof o);
    files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return EXIT_IO;
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;
        int takes = !strcmp(arg, "--events") || !strcmp(arg, "--images") ||
                    !strcmp(arg, "--shape") || !strcmp(arg, "--format") ||
                    !strcmp(arg, "--line-max");
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
            else return die_usage("--format takes ndjson or ddb", val);
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
        } else if (rc != DDBS_OK) {
            fprintf(stderr, "ddbstream: %s%s%s at byte %llu (record %llu)\n",
                    cli.name ? cli.name : "", cli.name ? ": " : "", ddbs_strerror(rc),
                    (unsigned long long)p.error_offset, (unsigned long long)p.error_record);
            status = EXIT_BAD_INPUT;
        }
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
    }
    free(line);
    free(files);
    return status;
}
