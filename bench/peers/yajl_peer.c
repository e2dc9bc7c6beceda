/* yajl_peer.c - DynamoDB stream events to plain NDJSON with yajl's callback (SAX) API.

   The callback API is yajl's fast way and streams like ddbstream: 64 KiB reads, one parser
   for the whole input (yajl_allow_multiple_values for NDJSON, pretty or concatenated
   documents), constant memory apart from one record's images. yajl_tree would build a tree
   per document first, which is slower and holds a whole document.

   Callbacks drive a small context stack. A record's fields arrive in input order (eventID,
   eventName, dynamodb{time, Keys, NewImage, OldImage, SequenceNumber}, userIdentity), but
   the line wants ddbstream's order, so the images are written into three buffers and the
   metadata kept, and the line is put together when the record object closes.
   The number callback gives the number's raw text (ApproximateCreationDateTime stays as
   written); N values are JSON strings anyway and are written bare as their exact text.

   usage: yajl_peer [FILE]   (stdin without FILE)
   Peer's favour: no AttributeValue grammar checks; records only from {"Records":[...]}. */
#include <yajl/yajl_parse.h>

#include "out.h"

enum {  /* what the innermost open container is */
    K_TOP, K_DOC, K_RECORDS, K_RECORD, K_DDB, K_IMAGE, K_AV, K_MAP, K_LIST, K_SET, K_NSET,
    K_SKIP, K_RAW_OBJ, K_RAW_ARR
};
enum {  /* what the value after the last key is for */
    R_SKIP, R_RECORDS, R_EVNAME, R_EVID, R_DDB, R_UID, R_SEQ, R_TIME, R_IMG /* +0..2 */
};
enum { M_EVNAME, M_EVID, M_SEQ, M_TIME, M_UID, M_COUNT };

typedef struct {
    unsigned char kind, tag;  /* tag: the AttributeValue's type, in K_AV */
    unsigned count;           /* members written so far: a comma before the next */
} frame;

#define MAX_DEPTH 1024
static frame g_st[MAX_DEPTH];
static int g_top;
static int g_role;
static obuf g_img[3], g_meta[M_COUNT];
static int g_has_img[3], g_has_meta[M_COUNT];
static obuf *g_cur;            /* where image / userIdentity text goes */
static const char *g_err;

enum { T_S = 1, T_N, T_B, T_BOOL, T_NULL, T_M, T_L, T_SS, T_NS, T_BS };

static int fail(const char *m) { g_err = m; return 0; }

static int push(int kind)
{
    if (g_top + 1 >= MAX_DEPTH) return fail("nested too deep");
    g_st[++g_top].kind = (unsigned char)kind;
    g_st[g_top].tag = 0;
    g_st[g_top].count = 0;
    return 1;
}

static int keyis(const unsigned char *k, size_t n, const char *z)
{
    return strlen(z) == n && !memcmp(k, z, n);
}

/* A comma before the next member of a container that writes output. */
static void sep(void)
{
    if (g_st[g_top].count++) ob_ch(g_cur, ',');
}

/* A scalar value arrives; kind 's' string, 'n' number, 'b' boolean, 'z' null. */
static int scalar(int kind, const char *s, size_t n, int b)
{
    frame *f = &g_st[g_top];
    switch (f->kind) {
    case K_DOC: case K_SKIP:
        return 1;
    case K_RECORD: case K_DDB:
        if (g_role == R_UID) return kind == 'z' ? 1 : fail("userIdentity is not an object");
        if (g_role == R_EVNAME || g_role == R_EVID || g_role == R_SEQ || g_role == R_TIME) {
            int m = g_role == R_EVNAME ? M_EVNAME : g_role == R_EVID ? M_EVID
                    : g_role == R_SEQ ? M_SEQ : M_TIME;
            if (kind == 'z') return 1;  /* null: absent */
            if (kind != 's' && !(kind == 'n' && m == M_TIME)) return fail("bad record field");
            g_meta[m].n = 0;
            if (kind == 's' && m == M_TIME) ob_jstr(&g_meta[m], s, n);  /* a string stays one */
            else ob_put(&g_meta[m], s, n);
            g_has_meta[m] = 1;
            return 1;
        }
        if (g_role >= R_IMG) return kind == 'z' ? 1 : fail("image is not an object");
        return 1;
    case K_AV:
        switch (f->tag) {
        case T_S: case T_B:
            if (kind != 's') return fail("S/B is not a string");
            ob_jstr(g_cur, s, n);
            return 1;
        case T_N:
            if (kind != 's') return fail("N is not a string");
            ob_put(g_cur, s, n);  /* the exact number text */
            return 1;
        case T_BOOL:
            if (kind != 'b') return fail("BOOL is not a boolean");
            ob_z(g_cur, b ? "true" : "false");
            return 1;
        case T_NULL:
            ob_z(g_cur, "null");
            return 1;
        }
        return fail("bad AttributeValue");
    case K_SET: case K_NSET:
        if (kind != 's') return fail("set member is not a string");
        sep();
        if (f->kind == K_SET) ob_jstr(g_cur, s, n); else ob_put(g_cur, s, n);
        return 1;
    case K_RAW_ARR: case K_RAW_OBJ:
        if (f->kind == K_RAW_ARR) sep();
        if (kind == 's') ob_jstr(g_cur, s, n);
        else if (kind == 'n') ob_put(g_cur, s, n);
        else ob_z(g_cur, kind == 'z' ? "null" : b ? "true" : "false");
        return 1;
    }
    return fail("unexpected value");
}

static int cb_null(void *u) { (void)u; return scalar('z', NULL, 0, 0); }
static int cb_bool(void *u, int b) { (void)u; return scalar('b', NULL, 0, b); }
static int cb_number(void *u, const char *s, size_t n) { (void)u; return scalar('n', s, n, 0); }
static int cb_string(void *u, const unsigned char *s, size_t n)
{
    (void)u;
    return scalar('s', (const char *)s, n, 0);
}

/* A container starts: arr says '[' rather than '{'. */
static int open_container(int arr)
{
    frame *f = &g_st[g_top];
    switch (f->kind) {
    case K_TOP:
        if (arr) return fail("document is not an object");
        return push(K_DOC);
    case K_DOC:
        if (g_role == R_RECORDS && arr) return push(K_RECORDS);
        return push(K_SKIP);
    case K_RECORDS:
        if (arr) return fail("record is not an object");
        memset(g_has_img, 0, sizeof g_has_img);
        memset(g_has_meta, 0, sizeof g_has_meta);
        return push(K_RECORD);
    case K_RECORD: case K_DDB:
        if (g_role == R_DDB && !arr) return push(K_DDB);
        if (g_role == R_UID && !arr) {
            g_cur = &g_meta[M_UID];
            g_cur->n = 0;
            g_has_meta[M_UID] = 1;
            ob_ch(g_cur, '{');
            return push(K_RAW_OBJ);
        }
        if (g_role >= R_IMG && !arr) {
            int k = g_role - R_IMG;
            g_cur = &g_img[k];
            g_cur->n = 0;
            g_has_img[k] = 1;
            ob_ch(g_cur, '{');
            return push(K_IMAGE);
        }
        return push(K_SKIP);
    case K_IMAGE: case K_MAP:
        if (arr) return fail("AttributeValue is not an object");
        return push(K_AV);
    case K_LIST:
        if (arr) return fail("AttributeValue is not an object");
        sep();
        return push(K_AV);
    case K_AV:
        if (f->tag == T_M && !arr) { ob_ch(g_cur, '{'); return push(K_MAP); }
        if (arr && (f->tag == T_L || f->tag == T_SS || f->tag == T_NS || f->tag == T_BS)) {
            ob_ch(g_cur, '[');
            return push(f->tag == T_L ? K_LIST : f->tag == T_NS ? K_NSET : K_SET);
        }
        return fail("bad AttributeValue");
    case K_SKIP:
        return push(K_SKIP);
    case K_RAW_OBJ: case K_RAW_ARR:
        if (f->kind == K_RAW_ARR) sep();
        ob_ch(g_cur, arr ? '[' : '{');
        return push(arr ? K_RAW_ARR : K_RAW_OBJ);
    }
    return fail("unexpected container");
}

static int cb_start_map(void *u) { (void)u; return open_container(0); }
static int cb_start_array(void *u) { (void)u; return open_container(1); }

static int cb_key(void *u, const unsigned char *k, size_t n)
{
    frame *f = &g_st[g_top];
    (void)u;
    switch (f->kind) {
    case K_DOC:
        g_role = keyis(k, n, "Records") ? R_RECORDS : R_SKIP;
        return 1;
    case K_RECORD:
        g_role = keyis(k, n, "eventName") ? R_EVNAME : keyis(k, n, "eventID") ? R_EVID
               : keyis(k, n, "dynamodb") ? R_DDB : keyis(k, n, "userIdentity") ? R_UID : R_SKIP;
        return 1;
    case K_DDB:
        g_role = keyis(k, n, "SequenceNumber") ? R_SEQ
               : keyis(k, n, "ApproximateCreationDateTime") ? R_TIME
               : keyis(k, n, "Keys") ? R_IMG : keyis(k, n, "NewImage") ? R_IMG + 1
               : keyis(k, n, "OldImage") ? R_IMG + 2 : R_SKIP;
        return 1;
    case K_IMAGE: case K_MAP: case K_RAW_OBJ:
        sep();
        ob_jstr(g_cur, (const char *)k, n);
        ob_ch(g_cur, ':');
        return 1;
    case K_AV: {
        /* the type tag, by length and first byte */
        int t = 0;
        if (f->tag) return fail("two type tags");
        if (n == 1) t = k[0] == 'S' ? T_S : k[0] == 'N' ? T_N : k[0] == 'B' ? T_B
                      : k[0] == 'M' ? T_M : k[0] == 'L' ? T_L : 0;
        else if (n == 2 && k[1] == 'S') t = k[0] == 'S' ? T_SS : k[0] == 'N' ? T_NS : k[0] == 'B' ? T_BS : 0;
        else if (keyis(k, n, "BOOL")) t = T_BOOL;
        else if (keyis(k, n, "NULL")) t = T_NULL;
        if (!t) return fail("unknown type tag");
        f->tag = (unsigned char)t;
        return 1;
    }
    case K_SKIP:
        return 1;
    }
    return fail("unexpected key");
}

/* The record's line, in ddbstream's field order, from the kept parts. */
static void record_line(void)
{
    static const char *const mname[M_COUNT] = { "eventName", "eventID", "SequenceNumber",
                                                "ApproximateCreationDateTime", "userIdentity" };
    static const char *const iname[3] = { "Keys", "NewImage", "OldImage" };
    int first = 1, m, k;
    ob_ch(&g_out, '{');
    for (m = 0; m < M_COUNT; m++) {
        if (!g_has_meta[m]) continue;
        if (!first) ob_ch(&g_out, ',');
        first = 0;
        ob_ch(&g_out, '"');
        ob_z(&g_out, mname[m]);
        ob_put(&g_out, "\":", 2);
        /* strings were kept decoded; the time and userIdentity as JSON text */
        if (m <= M_SEQ) ob_jstr(&g_out, g_meta[m].p, g_meta[m].n);
        else ob_put(&g_out, g_meta[m].p, g_meta[m].n);
    }
    for (k = 0; k < 3; k++) {
        if (!g_has_img[k]) continue;
        if (!first) ob_ch(&g_out, ',');
        first = 0;
        ob_ch(&g_out, '"');
        ob_z(&g_out, iname[k]);
        ob_put(&g_out, "\":", 2);
        ob_put(&g_out, g_img[k].p, g_img[k].n);
    }
    ob_put(&g_out, "}\n", 2);
    out_maybe_flush();
}

static int close_container(void)
{
    int kind = g_st[g_top].kind;
    if (g_top == 0) return fail("unbalanced");
    g_top--;
    switch (kind) {
    case K_IMAGE: case K_MAP: case K_RAW_OBJ:
        ob_ch(g_cur, '}');
        break;
    case K_LIST: case K_SET: case K_NSET: case K_RAW_ARR:
        ob_ch(g_cur, ']');
        break;
    case K_AV:
        if (!g_st[g_top + 1].tag) return fail("empty AttributeValue");
        break;
    case K_RECORD:
        if (!g_has_meta[M_EVNAME]) return fail("record without eventName");
        record_line();
        break;
    }
    g_role = R_SKIP;
    return 1;
}

static int cb_end(void *u) { (void)u; return close_container(); }

static const yajl_callbacks callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_key, cb_end, cb_start_array, cb_end
};

int main(int argc, char **argv)
{
    static unsigned char in[64 * 1024];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    yajl_handle h;
    yajl_status st = yajl_status_ok;
    size_t n;
    if (!f) { perror(argv[1]); return 2; }
    h = yajl_alloc(&callbacks, NULL, NULL);
    yajl_config(h, yajl_allow_multiple_values, 1);  /* a stream of documents */
    while (st == yajl_status_ok && (n = fread(in, 1, sizeof in, f)) > 0)
        st = yajl_parse(h, in, n);
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        unsigned char *e = yajl_get_error(h, 0, NULL, 0);
        fprintf(stderr, "yajl_peer: %s\n", g_err ? g_err : (const char *)e);
        yajl_free_error(h, e);
        return 1;
    }
    yajl_free(h);
    out_flush();
    return fflush(stdout) ? 3 : 0;
}
