/* cjson_peer.c - DynamoDB stream events to plain NDJSON with cJSON.

   cJSON parses one whole document into a tree, so the input is read into memory once and
   parsed document after document with cJSON_ParseWithLengthOpts (which says where each
   document ends); each tree is walked, written in ddbstream's record shape, and freed.
   Strings are NUL-terminated in cJSON (an embedded \u0000 would cut them; the corpus has
   none). N values are JSON strings, written bare as their exact text; the only JSON number
   kept is ApproximateCreationDateTime, a double in cJSON: integers are exact, other values
   go out through %.17g. userIdentity goes out through cJSON_PrintUnformatted.

   usage: cjson_peer [FILE]   (stdin without FILE)
   Peer's favour: no AttributeValue grammar checks; records only from {"Records":[...]}. */
#include <cjson/cJSON.h>

#include <math.h>

#include "out.h"

static void die(const char *m)
{
    fprintf(stderr, "cjson_peer: %s\n", m);
    exit(1);
}

static void jstr(obuf *o, const char *s) { ob_jstr(o, s, strlen(s)); }

static void plain(const cJSON *av, obuf *o);

/* An object of AttributeValues: an image or an M. */
static void plain_map(const cJSON *m, obuf *o)
{
    const cJSON *x;
    if (!cJSON_IsObject(m)) die("image or M is not an object");
    ob_ch(o, '{');
    for (x = m->child; x; x = x->next) {
        if (x != m->child) ob_ch(o, ',');
        jstr(o, x->string);
        ob_ch(o, ':');
        plain(x, o);
    }
    ob_ch(o, '}');
}

static void plain_set(const cJSON *a, obuf *o, int raw)
{
    const cJSON *x;
    if (!cJSON_IsArray(a)) die("set is not an array");
    ob_ch(o, '[');
    for (x = a->child; x; x = x->next) {
        if (!cJSON_IsString(x)) die("set member is not a string");
        if (x != a->child) ob_ch(o, ',');
        if (raw) ob_z(o, x->valuestring); else jstr(o, x->valuestring);
    }
    ob_ch(o, ']');
}

/* One AttributeValue {"T": v}: its only member's key is the tag. */
static void plain(const cJSON *av, obuf *o)
{
    const cJSON *v = av->child, *x;
    const char *t;
    if (!cJSON_IsObject(av) || !v) die("bad AttributeValue");
    t = v->string;
    if (t[0] && !t[1]) {
        switch (t[0]) {
        case 'S': case 'B':
            if (!cJSON_IsString(v)) die("S/B is not a string");
            jstr(o, v->valuestring);
            return;
        case 'N':
            if (!cJSON_IsString(v)) die("N is not a string");
            ob_z(o, v->valuestring);
            return;
        case 'M':
            plain_map(v, o);
            return;
        case 'L':
            if (!cJSON_IsArray(v)) die("L is not an array");
            ob_ch(o, '[');
            for (x = v->child; x; x = x->next) {
                if (x != v->child) ob_ch(o, ',');
                plain(x, o);
            }
            ob_ch(o, ']');
            return;
        }
    } else if (!strcmp(t, "SS") || !strcmp(t, "BS")) { plain_set(v, o, 0); return; }
    else if (!strcmp(t, "NS")) { plain_set(v, o, 1); return; }
    else if (!strcmp(t, "BOOL")) { ob_z(o, cJSON_IsTrue(v) ? "true" : "false"); return; }
    else if (!strcmp(t, "NULL")) { ob_z(o, "null"); return; }
    die("unknown type tag");
}

/* A present, non-null member. */
static const cJSON *field(const cJSON *obj, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, k);
    return x && !cJSON_IsNull(x) ? x : NULL;
}

static void record_line(const cJSON *r, obuf *o)
{
    static const char *const imgs[3] = { "Keys", "NewImage", "OldImage" };
    const cJSON *d = field(r, "dynamodb"), *x;
    int first = 1, k;
#define KEY(name) do { if (!first) ob_ch(o, ','); first = 0; ob_z(o, "\"" name "\":"); } while (0)
    if (!d) die("record without dynamodb");
    ob_ch(o, '{');
    if ((x = field(r, "eventName")) && cJSON_IsString(x)) { KEY("eventName"); jstr(o, x->valuestring); }
    if ((x = field(r, "eventID")) && cJSON_IsString(x)) { KEY("eventID"); jstr(o, x->valuestring); }
    if ((x = field(d, "SequenceNumber")) && cJSON_IsString(x)) { KEY("SequenceNumber"); jstr(o, x->valuestring); }
    if ((x = field(d, "ApproximateCreationDateTime"))) {
        char b[40];
        KEY("ApproximateCreationDateTime");
        if (cJSON_IsString(x)) jstr(o, x->valuestring);
        else {
            double t = x->valuedouble;
            snprintf(b, sizeof b, t == floor(t) && fabs(t) < 9007199254740992.0 ? "%.0f" : "%.17g", t);
            ob_z(o, b);
        }
    }
    if ((x = field(r, "userIdentity"))) {
        char *s = cJSON_PrintUnformatted(x);
        KEY("userIdentity");
        ob_z(o, s);
        cJSON_free(s);
    }
    for (k = 0; k < 3; k++) {
        if (!(x = field(d, imgs[k]))) continue;
        if (!first) ob_ch(o, ',');
        first = 0;
        ob_ch(o, '"');
        ob_z(o, imgs[k]);
        ob_put(o, "\":", 2);
        plain_map(x, o);
    }
#undef KEY
    ob_put(o, "}\n", 2);
}

int main(int argc, char **argv)
{
    size_t len;
    char *in = read_all(argc > 1 ? argv[1] : NULL, &len, 1), *p = in, *end = in + len;
    for (;;) {
        const char *stop;
        cJSON *doc;
        const cJSON *recs, *r;
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
        if (p == end) break;
        doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, 0);
        if (!doc) die("malformed JSON");
        recs = cJSON_GetObjectItemCaseSensitive(doc, "Records");
        if (!cJSON_IsArray(recs)) die("not a stream event");
        for (r = recs->child; r; r = r->next) {
            record_line(r, &g_out);
            out_maybe_flush();
        }
        cJSON_Delete(doc);
        p = (char *)stop;
    }
    free(in);
    out_flush();
    return fflush(stdout) ? 3 : 0;
}
