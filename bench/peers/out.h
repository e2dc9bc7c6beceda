/* out.h - output helpers shared by the C and C++ peers of bench-peers.

   All peers write through the same small byte buffer and JSON string escaper, so the
   comparison with ddbstream is about how each library reads the input, not about whose
   writer is faster. The writer is deliberately lean (a table lookup and memcpy of clean
   runs): it makes the peers faster, never slower, than typical user code.

   Header-only, C99 and C++ (static functions; each peer is one translation unit). */
#ifndef BENCH_PEERS_OUT_H
#define BENCH_PEERS_OUT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable byte buffer: the stdout buffer, and the yajl peer's per-record images. */
typedef struct {
    char *p;
    size_t n, cap;
} obuf;

static inline void ob_grow(obuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < need) cap *= 2;
    b->p = (char *)realloc(b->p, cap);
    if (!b->p) { fprintf(stderr, "peer: out of memory\n"); exit(2); }
    b->cap = cap;
}

static inline void ob_put(obuf *b, const char *s, size_t n)
{
    if (!n) return;  /* an empty piece: s and b->p may still be NULL */
    if (b->cap - b->n < n) ob_grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static inline void ob_ch(obuf *b, char c)
{
    if (b->n == b->cap) ob_grow(b, 1);
    b->p[b->n++] = c;
}

static inline void ob_z(obuf *b, const char *s) { ob_put(b, s, strlen(s)); }

/* 1 for the bytes JSON requires escaped: '"', '\\' and controls. UTF-8 goes out raw,
   as it came (every library here validated it or passes it through). */
static const unsigned char ob_esc_tab[256] = {
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0 };

/* s (decoded text) as a JSON string with quotes. Clean runs are copied in one go. */
static inline void ob_jstr(obuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0;
    if (b->cap - b->n < n + 2) ob_grow(b, n + 2);
    b->p[b->n++] = '"';
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (!ob_esc_tab[c]) { i++; continue; }
        ob_put(b, s + run, i - run);
        switch (c) {
        case '"': ob_put(b, "\\\"", 2); break;
        case '\\': ob_put(b, "\\\\", 2); break;
        case '\n': ob_put(b, "\\n", 2); break;
        case '\r': ob_put(b, "\\r", 2); break;
        case '\t': ob_put(b, "\\t", 2); break;
        case '\b': ob_put(b, "\\b", 2); break;
        case '\f': ob_put(b, "\\f", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            ob_put(b, u, 6);
        }
        }
        run = ++i;
    }
    ob_put(b, s + run, n - run);
    ob_ch(b, '"');
}

/* A CSV cell (RFC 4180): quoted when it holds " , CR or LF, with quotes doubled; the same
   rule as ddbstream's --format csv without --csv-safe. */
static inline void ob_csv(obuf *b, const char *s, size_t n)
{
    size_t i;
    int q = 0;
    for (i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == ',' || s[i] == '\r' || s[i] == '\n') { q = 1; break; }
    if (!q) { ob_put(b, s, n); return; }
    ob_ch(b, '"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"') ob_ch(b, '"');
        ob_ch(b, s[i]);
    }
    ob_ch(b, '"');
}

/* stdout: written in 1 MiB blocks; every peer calls out_maybe_flush after each record. */
static obuf g_out;

static inline void out_flush(void)
{
    if (g_out.n && fwrite(g_out.p, 1, g_out.n, stdout) != g_out.n) {
        fprintf(stderr, "peer: write error\n");
        exit(3);
    }
    g_out.n = 0;
}

static inline void out_maybe_flush(void)
{
    if (g_out.n >= (1u << 20)) out_flush();
}

/* The whole input in memory (file or stdin), with pad zero bytes after it: for the
   libraries that parse a buffer (cJSON; simdjson reads its own). A file is sized first so
   the buffer is the file's size, as a careful user would do. */
static inline char *read_all(const char *path, size_t *len, size_t pad)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    size_t cap = 1u << 20, n = 0, k;
    long sz = -1;
    char *p;
    if (!f) { perror(path); exit(2); }
    if (path && fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        cap = (size_t)sz + 1;  /* +1: the read that sees EOF needs room to try */
    p = (char *)malloc(cap + pad);
    while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) p = (char *)realloc(p, (cap *= 2) + pad);
    }
    if (!p || ferror(f)) { fprintf(stderr, "peer: cannot read input\n"); exit(2); }
    if (path) fclose(f);
    memset(p + n, 0, pad);
    *len = n;
    return p;
}

#endif
