/* feedsize.c - byte-by-byte feeding against 64 KiB chunks, in alternating pairs.

   bench/bench.c reports the best of N wall-clock runs; on a shared box that figure swings
   with other load. This reads the same corpus file into memory and alternates
   (64 KiB run, 1-byte run) pairs, timing each with CPU time (CLOCK_PROCESS_CPUTIME_ID) as
   well as wall time, so that the ratio is the parser's own cost. It exits 1 if the two
   feedings ever give different output.

   The parser is compiled in feedsize_lib.c and called from here as any program that links
   the library calls it: a direct call into another object file, never inlined into the
   1-byte loop (no link-time optimisation).

   usage: feedsize FILE [PAIRS]   (default 5 pairs)
          feedsize FILE --profile CHUNK   one run in CHUNK-byte feeds, for callgrind:
   valgrind --tool=callgrind --toggle-collect=ddbs_parser_feed build/peers/feedsize F --profile 1
   cc -std=c99 -O2 -I. bench/peers/feedsize.c bench/peers/feedsize_lib.c -o build/peers/feedsize */
#define _POSIX_C_SOURCE 200112L
#include "../../ddbstream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The sink reads every byte (one multiply per 8 bytes), the same kind as bench.c's, so the
   output is really used and both feedings can be compared. */
typedef struct { uint64_t h, lines, bytes; } digest;

static int sink(void *user, const char *d, size_t n)
{
    digest *g = (digest *)user;
    uint64_t h = g->h ^ n, x;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&x, d + i, 8);
        h = (h ^ x) * 0x9E3779B97F4A7C15u;
    }
    x = 0;
    memcpy(&x, d + i, n - i);
    g->h = (h ^ x) * 0x9E3779B97F4A7C15u;
    g->h ^= g->h >> 32;
    g->lines++;
    g->bytes += n;
    return 0;
}

/* In feedsize_lib.c: a feed that does nothing, called the same way as ddbs_parser_feed. It
   is the cost of the call alone, which no parser can go under when given one byte per call. */
ddbs_result feedsize_no_feed(ddbs_parser *p, const void *data, size_t len);

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static ddbs_parser g_parser;
static char g_line[1u << 20];

/* One run over the input in chunks of `chunk` bytes: CPU and wall seconds, and the digest.
   empty: call feedsize_no_feed instead of the parser. */
static void run(const char *in, size_t n, size_t chunk, int empty, double *cpu, double *wall,
                digest *g)
{
    ddbs_options o;
    ddbs_result rc;
    size_t off = 0;
    double c0, w0;
    memset(&o, 0, sizeof o);
    memset(g, 0, sizeof *g);
    o.sink = sink;
    o.user = g;
    o.buf = g_line;
    o.buf_size = sizeof g_line;
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    w0 = clock_s(CLOCK_MONOTONIC);
    rc = ddbs_parser_init(&g_parser, &o);
    /* two loops, so that each call site is a plain direct call */
    if (empty) {
        for (; rc == DDBS_OK && off < n; off += chunk)
            rc = feedsize_no_feed(&g_parser, in + off, n - off < chunk ? n - off : chunk);
    } else {
        for (; rc == DDBS_OK && off < n; off += chunk)
            rc = ddbs_parser_feed(&g_parser, in + off, n - off < chunk ? n - off : chunk);
        if (rc == DDBS_OK) rc = ddbs_parser_finish(&g_parser);
    }
    *cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *wall = clock_s(CLOCK_MONOTONIC) - w0;
    if (rc != DDBS_OK) {
        fprintf(stderr, "feedsize: %s at byte %llu\n", ddbs_strerror(rc),
                (unsigned long long)g_parser.error_offset);
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void show(const char *what, double *r, int n)
{
    qsort(r, (size_t)n, sizeof *r, cmp_double);
    printf("1B / 64KiB %s time: min %.2fx median %.2fx max %.2fx\n", what, r[0], r[n / 2], r[n - 1]);
}

int main(int argc, char **argv)
{
    FILE *f;
    char *in;
    long sz;
    int profile = argc > 3 && !strcmp(argv[2], "--profile");
    int pairs = argc > 2 && !profile ? atoi(argv[2]) : 5, i;
    double rc[64], rw[64], rf[64], cpu64 = 0, cpu1 = 0, cpu0 = 0;
    if (argc < 2 || pairs < 1 || pairs > 64) {
        fprintf(stderr, "usage: feedsize FILE [PAIRS 1..64] | FILE --profile CHUNK\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        perror(argv[1]);
        return 2;
    }
    in = (char *)malloc((size_t)sz + 1);
    if (!in || fread(in, 1, (size_t)sz, f) != (size_t)sz) {
        fprintf(stderr, "feedsize: cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(f);
    if (profile) {
        double c, w;
        digest a;
        size_t chunk = (size_t)atol(argv[3]);
        run(in, (size_t)sz, chunk ? chunk : 1, 0, &c, &w, &a);
        printf("%zu-byte feeds: %.3f s CPU, %llu lines\n", chunk ? chunk : 1, c,
               (unsigned long long)a.lines);
        free(in);
        return 0;
    }
    for (i = 0; i < pairs; i++) {
        double c64, w64, c1, w1, c0, w0;
        digest a, b;
        run(in, (size_t)sz, 64u * 1024u, 0, &c64, &w64, &a);
        run(in, (size_t)sz, 1, 0, &c1, &w1, &b);
        if (a.h != b.h || a.lines != b.lines || a.bytes != b.bytes) {
            fprintf(stderr, "feedsize: 1-byte output differs from 64 KiB output\n");
            return 1;
        }
        run(in, (size_t)sz, 1, 1, &c0, &w0, &b);
        rc[i] = c1 / c64;
        rw[i] = w1 / w64;
        rf[i] = (c64 + c0) / c64;
        cpu64 += c64;
        cpu1 += c1;
        cpu0 += c0;
    }
    {
        double mib = (double)sz / 1048576.0;
        printf("%.1f MiB, %d pairs; CPU MiB/s: 64KiB %.0f, 1B %.0f; outputs equal\n", mib, pairs,
               pairs * mib / cpu64, pairs * mib / cpu1);
        printf("an empty feed called the same way costs %.2f ns per call; parsing in 64 KiB "
               "chunks %.2f ns per byte\n", cpu0 / (double)pairs / (double)sz * 1e9,
               cpu64 / (double)pairs / (double)sz * 1e9);
    }
    show("CPU", rc, pairs);
    show("wall", rw, pairs);
    qsort(rf, (size_t)pairs, sizeof *rf, cmp_double);
    printf("floor (64 KiB time + empty calls) / 64 KiB time: min %.2fx median %.2fx max %.2fx\n",
           rf[0], rf[pairs / 2], rf[pairs - 1]);
    free(in);
    return 0;
}
