/* JSONTestSuite y_ and n_ cases, each wrapped as {"Records":[],"x":CASE} by
   tests/jsonsuite/extract.mjs into the directory named by DDBS_JSONSUITE_DIR (the test is
   skipped when it is unset). A y_ case must parse with no output line; an n_ case must fail
   with a parse error at an offset inside the file. Each case is fed whole and then byte by
   byte, and both runs must agree. Link with a file that defines DDBSTREAM_IMPLEMENTATION. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ddbstream.h"

#define MIN_Y_CASES 90u
#define MIN_N_CASES 150u

static char line_buf[64 * 1024];

typedef struct run_result {
    ddbs_result rc;
    uint64_t error_offset;
    unsigned long lines;
} run_result;

/* The sink gets one call per finished line. */
static int count_lines(void *user, const char *data, size_t len)
{
    unsigned long *lines = (unsigned long *)user;
    (void)data;
    (void)len;
    ++*lines;
    return 0;
}

static run_result run_case(const unsigned char *data, size_t len, int bytewise)
{
    ddbs_options o;
    ddbs_parser p;
    run_result r;
    size_t i;

    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    r.lines = 0;
    o.sink = count_lines;
    o.user = &r.lines;
    o.buf = line_buf;
    o.buf_size = sizeof line_buf;
    r.rc = ddbs_parser_init(&p, &o);
    if (r.rc == DDBS_OK) {
        if (bytewise) {
            for (i = 0; i < len && r.rc == DDBS_OK; i++)
                r.rc = ddbs_parser_feed(&p, data + i, 1);
        } else {
            r.rc = ddbs_parser_feed(&p, data, len);
        }
        if (r.rc == DDBS_OK)
            r.rc = ddbs_parser_finish(&p);
    }
    r.error_offset = p.error_offset;
    return r;
}

/* Reads a whole file into a malloc'd buffer; NULL on failure. */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            unsigned char *grown;
            cap = cap ? cap * 2 : 4096;
            grown = (unsigned char *)realloc(data, cap);
            if (grown == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

static void check_case(const char *dir, char kind, const char *name)
{
    char path[4096];
    unsigned char *data;
    size_t len = 0;
    int n;
    run_result whole, bytes;

    n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        cr_expect(0, "%s: path too long", name);
        return;
    }
    data = read_file(path, &len);
    if (data == NULL) {
        cr_expect(0, "%s: cannot read %s", name, path);
        return;
    }

    whole = run_case(data, len, 0);
    bytes = run_case(data, len, 1);

    if (kind == 'y') {
        cr_expect(whole.rc == DDBS_OK, "%s: y_ case rejected: %s at byte %llu", name,
                  ddbs_strerror(whole.rc), (unsigned long long)whole.error_offset);
        cr_expect(whole.lines == 0, "%s: y_ case wrote %lu lines", name, whole.lines);
        cr_expect(bytes.lines == 0, "%s: y_ case wrote %lu lines byte by byte", name,
                  bytes.lines);
    } else {
        cr_expect(whole.rc != DDBS_OK && whole.rc != DDBS_E_ARG,
                  "%s: n_ case gave %s, want a parse error", name, ddbs_strerror(whole.rc));
        cr_expect(whole.rc == DDBS_OK || whole.error_offset <= (uint64_t)len,
                  "%s: error offset %llu past the end of the %lu byte file", name,
                  (unsigned long long)whole.error_offset, (unsigned long)len);
    }
    cr_expect(bytes.rc == whole.rc &&
                  (whole.rc == DDBS_OK || bytes.error_offset == whole.error_offset),
              "%s: byte by byte gave %s at byte %llu, whole feed %s at byte %llu", name,
              ddbs_strerror(bytes.rc), (unsigned long long)bytes.error_offset,
              ddbs_strerror(whole.rc), (unsigned long long)whole.error_offset);
    free(data);
}

Test(jsonsuite, wrapped_cases)
{
    const char *dir = getenv("DDBS_JSONSUITE_DIR");
    char path[4096];
    char line[1024];
    FILE *manifest;
    unsigned long ny = 0, nn = 0, lineno = 0;
    int n;

    if (dir == NULL || *dir == '\0')
        cr_skip_test("DDBS_JSONSUITE_DIR is not set (node tests/jsonsuite/extract.mjs DIR)");

    n = snprintf(path, sizeof path, "%s/MANIFEST", dir);
    cr_assert(n > 0 && (size_t)n < sizeof path, "DDBS_JSONSUITE_DIR is too long");
    manifest = fopen(path, "r");
    cr_assert(manifest != NULL, "cannot open %s", path);

    while (fgets(line, sizeof line, manifest) != NULL) {
        size_t len = strlen(line);
        lineno++;
        if (len > 0 && line[len - 1] != '\n' && !feof(manifest)) {
            cr_expect(0, "MANIFEST line %lu is too long", lineno);
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (len < 3 || (line[0] != 'y' && line[0] != 'n') || line[1] != ' ') {
            cr_expect(0, "MANIFEST line %lu is malformed: %s", lineno, line);
            continue;
        }
        if (line[0] == 'y')
            ny++;
        else
            nn++;
        check_case(dir, line[0], line + 2);
    }
    cr_expect(!ferror(manifest), "error reading %s", path);
    fclose(manifest);

    cr_assert(ny >= MIN_Y_CASES, "MANIFEST lists %lu y_ cases, want at least %u", ny,
              MIN_Y_CASES);
    cr_assert(nn >= MIN_N_CASES, "MANIFEST lists %lu n_ cases, want at least %u", nn,
              MIN_N_CASES);
}
