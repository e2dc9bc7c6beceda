/* A strict RFC 8259 validator for checking ddbstream's output, written apart from its scanner
   (different structure, no shared code) so one bug cannot hide in both. No recursion: an
   explicit stack. Lone surrogate escapes pass, as the grammar allows them. */
#ifndef DDBS_FUZZ_JSON_CHECK_H
#define DDBS_FUZZ_JSON_CHECK_H

#include <stddef.h>
#include <string.h>

#define JV_MAX_DEPTH 1024   /* output nests at most DDBS_MAX_DEPTH plus a few; be generous */
#define JV_MAX_KEYS 32

typedef struct jv_info {
    size_t err;                       /* where it went wrong */
    const char *why;
    size_t nkeys;                     /* top-level object keys, as written (no quotes) */
    const char *key[JV_MAX_KEYS];
    size_t key_len[JV_MAX_KEYS];
} jv_info;

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629: no overlong forms, no
   surrogates, nothing past U+10FFFF). */
static inline size_t jv_utf8(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need, k;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < need + 1) return 0;
    for (k = 1; k <= need; k++) {
        if (s[k] < lo || s[k] > hi) return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* Is s[0..n) all valid UTF-8? */
static inline int jv_utf8_all(const char *s, size_t n, size_t *err)
{
    size_t i = 0;
    while (i < n) {
        size_t k = jv_utf8((const unsigned char *)s + i, n - i);
        if (!k) { *err = i; return 0; }
        i += k;
    }
    return 1;
}

static inline int jv_hex(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at s[*i] == '"': moves *i past the closing quote, or returns 0. */
static inline int jv_string(const unsigned char *s, size_t n, size_t *i)
{
    size_t j = *i + 1;
    while (j < n) {
        unsigned c = s[j];
        if (c == '"') { *i = j + 1; return 1; }
        if (c < 0x20) { *i = j; return 0; }
        if (c == '\\') {
            if (j + 1 >= n) { *i = j; return 0; }
            c = s[j + 1];
            if (c == 'u') {
                size_t k;
                for (k = 2; k < 6; k++)
                    if (j + k >= n || !jv_hex(s[j + k])) { *i = j + k; return 0; }
                j += 6;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                j += 2;
            } else {
                *i = j + 1;
                return 0;
            }
            continue;
        }
        {
            size_t k = jv_utf8(s + j, n - j);
            if (!k) { *i = j; return 0; }
            j += k;
        }
    }
    *i = j;
    return 0;
}

/* A number at s[*i]: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static inline int jv_number(const unsigned char *s, size_t n, size_t *i)
{
    size_t j = *i;
    if (j < n && s[j] == '-') j++;
    if (j >= n) { *i = j; return 0; }
    if (s[j] == '0') j++;
    else if (s[j] >= '1' && s[j] <= '9') while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    else { *i = j; return 0; }
    if (j < n && s[j] == '.') {
        size_t d = ++j;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j == d) { *i = j; return 0; }
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t d;
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-')) j++;
        d = j;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j == d) { *i = j; return 0; }
    }
    *i = j;
    return 1;
}

static inline size_t jv_ws(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Is s[0..n) exactly one JSON value, with optional whitespace around it? 1 yes, 0 no (info
   says where and why). Top-level object keys are collected into info. */
static inline int jv_check(const char *text, size_t n, jv_info *info)
{
    const unsigned char *s = (const unsigned char *)text;
    static char stack[JV_MAX_DEPTH];  /* '{' or '[' per open container */
    size_t depth = 0, i = jv_ws(s, n, 0);
    enum { VALUE, AFTER, KEY_OR_END, VALUE_OR_END, KEY } want = VALUE;
    memset(info, 0, sizeof *info);
#define JV_BAD(w) do { info->err = i; info->why = (w); return 0; } while (0)
    for (;;) {
        i = jv_ws(s, n, i);
        if (want == AFTER && depth == 0) {
            if (i != n) JV_BAD("bytes after the value");
            return 1;
        }
        if (i >= n) JV_BAD("ends early");
        switch (want) {
        case KEY_OR_END:
            if (s[i] == '}') { depth--; i++; want = AFTER; continue; }
            /* fall through */
        case KEY: {
            size_t b = i;
            if (s[i] != '"') JV_BAD("key must be a string");
            if (!jv_string(s, n, &i)) JV_BAD("bad key string");
            if (depth == 1 && info->nkeys < JV_MAX_KEYS) {
                info->key[info->nkeys] = text + b + 1;
                info->key_len[info->nkeys++] = i - b - 2;
            }
            i = jv_ws(s, n, i);
            if (i >= n || s[i] != ':') JV_BAD("':' after a key");
            i++;
            want = VALUE;
            continue;
        }
        case VALUE_OR_END:
            if (s[i] == ']') { depth--; i++; want = AFTER; continue; }
            /* fall through */
        case VALUE:
            switch (s[i]) {
            case '{': case '[':
                if (depth == JV_MAX_DEPTH) JV_BAD("too deep for the checker");
                stack[depth++] = (char)s[i];
                want = s[i] == '{' ? KEY_OR_END : VALUE_OR_END;
                i++;
                continue;
            case '"':
                if (!jv_string(s, n, &i)) JV_BAD("bad string");
                break;
            case 't':
                if (n - i < 4 || memcmp(s + i, "true", 4)) JV_BAD("bad literal");
                i += 4;
                break;
            case 'f':
                if (n - i < 5 || memcmp(s + i, "false", 5)) JV_BAD("bad literal");
                i += 5;
                break;
            case 'n':
                if (n - i < 4 || memcmp(s + i, "null", 4)) JV_BAD("bad literal");
                i += 4;
                break;
            default:
                if (!jv_number(s, n, &i)) JV_BAD("bad number");
                break;
            }
            want = AFTER;
            continue;
        case AFTER:
            if (s[i] == ',') {
                want = stack[depth - 1] == '{' ? KEY : VALUE;
                i++;
                continue;
            }
            if ((s[i] == '}' && stack[depth - 1] == '{') || (s[i] == ']' && stack[depth - 1] == '[')) {
                depth--;
                i++;
                continue;
            }
            JV_BAD("',' or the matching close");
        }
    }
#undef JV_BAD
}

#endif /* DDBS_FUZZ_JSON_CHECK_H */
