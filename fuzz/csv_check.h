/* An RFC 4180 checker for ddbstream's CSV: every record ends with the chosen line end, has
   exactly ncols fields, and a field is quoted if and only if it needs to be (it holds '"',
   ',', CR or LF), with inner quotes doubled. Independent of the writer's code. */
#ifndef DDBS_FUZZ_CSV_CHECK_H
#define DDBS_FUZZ_CSV_CHECK_H

#include <stddef.h>

/* Called with each field's value, unquoted (quotes undoubled into tmp). */
typedef void (*csv_field_fn)(void *user, size_t row, size_t col, const char *v, size_t n);

typedef struct csv_info {
    size_t err;          /* offset of the problem */
    const char *why;
    size_t rows;
} csv_info;

/* Checks s[0..n). tmp must hold n bytes (an unquoted value is never longer). Returns 1 if
   valid, else 0 with info->err and info->why. */
static inline int csv_check(const char *s, size_t n, size_t ncols, int crlf, char *tmp,
                     csv_field_fn fn, void *user, csv_info *info)
{
    size_t i = 0, col = 0;
    info->rows = 0;
    info->why = NULL;
#define CSV_BAD(w) do { info->err = i; info->why = (w); return 0; } while (0)
    while (i < n) {
        size_t len = 0, b = i;
        int special = 0;
        if (s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n) CSV_BAD("unterminated quoted field");
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') { tmp[len++] = '"'; special = 1; i += 2; continue; }
                    i++;
                    break;
                }
                if (s[i] == ',' || s[i] == '\r' || s[i] == '\n') special = 1;
                tmp[len++] = s[i++];
            }
            if (!special) { i = b; CSV_BAD("quoted field that needs no quotes"); }
        } else {
            while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                if (s[i] == '"') CSV_BAD("quote inside an unquoted field");
                tmp[len++] = s[i++];
            }
        }
        if (fn) fn(user, info->rows, col, tmp, len);
        col++;
        if (i >= n) CSV_BAD("record without its line end");
        if (s[i] == ',') {
            i++;
            if (col >= ncols) CSV_BAD("more fields than columns");
            continue;
        }
        /* the line end */
        if (crlf) {
            if (s[i] != '\r' || i + 1 >= n || s[i + 1] != '\n') CSV_BAD("line end is not CRLF");
            i += 2;
        } else {
            if (s[i] != '\n') CSV_BAD("line end is not LF");
            i++;
        }
        if (col != ncols) CSV_BAD("fewer fields than columns");
        col = 0;
        info->rows++;
    }
#undef CSV_BAD
    return 1;
}

#endif /* DDBS_FUZZ_CSV_CHECK_H */
