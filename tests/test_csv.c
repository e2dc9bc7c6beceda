/* CSV emitter through the library: quoting, line ends, the formula guard, columns (metadata,
   missing, odd names), which image is the item, the header (when, whether, ddbs_csv_header),
   argument checks, lines too big for the buffer, and the same bytes however the input is cut.
   Inputs are written with ' for " (see J) so they stay readable; a real ' is \u0027.
   Link with tests/impl.c. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ddbstream.h"

#define MAX_CALLS 256u

/* Everything one run gave the sink, and where each call ended. */
typedef struct res {
    ddbs_result rc;
    char *out;                 /* NUL-terminated for cr_assert_str_eq */
    size_t len, cap;
    size_t calls, ends[MAX_CALLS];
    int bad_call;              /* a call that is not whole lines inside the staging buffer */
    uint64_t records_out;
    const char *buf;
    size_t buf_size;
} res;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

static int sink(void *user, const char *data, size_t len)
{
    res *r = (res *)user;
    /* CSV cells may hold raw newlines, so a call only has to end one */
    if (len == 0 || data[len - 1] != '\n' || data < r->buf || data + len > r->buf + r->buf_size)
        r->bad_call = 1;
    if (r->len + len + 1 > r->cap) {
        r->cap = (r->len + len + 1) * 2;
        r->out = (char *)xrealloc(r->out, r->cap);
    }
    memcpy(r->out + r->len, data, len);
    r->len += len;
    r->out[r->len] = 0;
    if (r->calls < MAX_CALLS) r->ends[r->calls] = r->len;
    r->calls++;
    return 0;
}

static size_t ncols(const char *const *cols)
{
    size_t n = 0;
    while (cols[n]) n++;
    return n;
}

static ddbs_options csv_opts(const char *const *cols, uint32_t flags)
{
    ddbs_options o;
    memset(&o, 0, sizeof o);
    o.format = DDBS_FORMAT_CSV;
    o.columns = cols;
    o.ncolumns = ncols(cols);
    o.flags = flags;
    return o;
}

/* Feeds in[0..len) cut at cuts[0..ncuts) (ascending). The staging buffer is malloc'd at
   exactly buf_size (0: 64 KiB) so AddressSanitizer sees any write past it. */
static res run_cuts(const char *in, size_t len, const ddbs_options *base, const size_t *cuts,
                    size_t ncuts)
{
    ddbs_options o = *base;
    ddbs_parser p;
    res r;
    size_t at = 0, k;
    char *buf;
    memset(&r, 0, sizeof r);
    r.out = (char *)xrealloc(NULL, 1);
    r.out[0] = 0;
    r.cap = 1;
    o.buf_size = o.buf_size ? o.buf_size : 64u * 1024u;
    buf = (char *)xrealloc(NULL, o.buf_size);
    o.buf = buf;
    o.sink = sink;
    o.user = &r;
    r.buf = buf;
    r.buf_size = o.buf_size;
    r.rc = ddbs_parser_init(&p, &o);
    for (k = 0; r.rc == DDBS_OK && k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        r.rc = ddbs_parser_feed(&p, in + at, end - at);
        at = end;
    }
    if (r.rc == DDBS_OK) r.rc = ddbs_parser_finish(&p);
    r.records_out = p.records_out;
    free(buf);
    r.buf = NULL;
    return r;
}

static res run_in(const char *in, const ddbs_options *o)
{
    return run_cuts(in, strlen(in), o, NULL, 0);
}

static void res_free(res *r)
{
    free(r->out);
    r->out = NULL;
}

/* JSON from a readable form: every ' becomes ". */
static char *J(const char *s)
{
    size_t n = strlen(s), i;
    char *d = (char *)xrealloc(NULL, n + 1);
    for (i = 0; i <= n; i++) d[i] = s[i] == '\'' ? '"' : s[i];
    return d;
}

/* Runs J(in) with these columns and flags and checks the exact output. */
static void expect_csv(const char *in, const char *const *cols, uint32_t flags, const char *want)
{
    char *json = J(in);
    ddbs_options o = csv_opts(cols, flags);
    res r = run_in(json, &o);
    /* expect, not assert: a failure still frees, so LeakSanitizer stays quiet */
    cr_expect_eq(r.rc, DDBS_OK, "rc %s for %s", ddbs_strerror(r.rc), json);
    cr_expect_eq(r.bad_call, 0, "a sink call was not whole lines in the buffer");
    cr_expect_str_eq(r.out, want, "input %s\n  got:  %s\n  want: %s", json, r.out, want);
    res_free(&r);
    free(json);
}

/* One record: eventName ev, dynamodb body ddb (readable form). */
#define REC(ev, ddb) "{'eventID':'e1','eventName':'" ev "','dynamodb':{" ddb "}}"

/* ------------------------------------------------------------------------ quoting ------ */

Test(csv, quoting_and_quote_doubling)
{
    static const char *const cols[] = { "plain", "comma", "quote", "lf", "cr", "empty", "q1",
                                        "qq", "tail", "sp", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'plain':{'S':'abc'},'comma':{'S':'a,b'},"
                             "'quote':{'S':'say \\'hi\\''},'lf':{'S':'l1\\nl2'},"
                             "'cr':{'S':'x\\ry'},'empty':{'S':''},'q1':{'S':'\\''},"
                             "'qq':{'S':'\\'\\''},'tail':{'S':'a\\''},'sp':{'S':' x\\t'}}"),
               cols, 0,
               "plain,comma,quote,lf,cr,empty,q1,qq,tail,sp\n"
               "abc,\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",\"x\ry\",,\"\"\"\",\"\"\"\"\"\",\"a\"\"\", x\t\n");
}

Test(csv, values_of_each_type)
{
    /* S decoded, N as written, BOOL, NULL empty, B base64, M/L/sets compact JSON with the
       strings inside kept as written (they are JSON there) */
    static const char *const cols[] = { "s", "n", "t", "f", "nul", "b", "m", "l", "ss", "ns",
                                        "bs", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'s':{'S':'caf\\u00e9 \\ud83e\\udd8a'},"
                             "'n':{'N':'-1.50E+3'},'t':{'BOOL':true},'f':{'BOOL':false},"
                             "'nul':{'NULL':true},'b':{'B':'AAEqQQ=='},"
                             "'m':{'M':{'k':{'S':'v\\u00e9'},'x':{'N':'1'}}},"
                             "'l':{'L':[ {'S':'a,b'} , {'NULL':true},{'BOOL':false}]},"
                             "'ss':{'SS':['x','y\\'z']},'ns':{'NS':['1','2.5']},"
                             "'bs':{'BS':['AA==','AQ==']}}"),
               cols, 0,
               "s,n,t,f,nul,b,m,l,ss,ns,bs\n"
               "caf\xc3\xa9 \xf0\x9f\xa6\x8a,-1.50E+3,true,false,,AAEqQQ==,"
               "\"{\"\"k\"\":\"\"v\\u00e9\"\",\"\"x\"\":1}\","
               "\"[\"\"a,b\"\",null,false]\","
               "\"[\"\"x\"\",\"\"y\\\"\"z\"\"]\",\"[1,2.5]\",\"[\"\"AA==\"\",\"\"AQ==\"\"]\"\n");
}

Test(csv, lone_surrogates_become_replacement_characters)
{
    static const char *const cols[] = { "s", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'s':{'S':'a\\ud800b\\udc00\\ud83e\\ud83e\\udd8a\\ud800'}}"),
               cols, 0,
               "s\na\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xf0\x9f\xa6\x8a\xef\xbf\xbd\n");
}

Test(csv, crlf_line_ends)
{
    static const char *const cols[] = { "a", "b", NULL };
    char *json = J(REC("INSERT", "'NewImage':{'a':{'S':'x\\ny'},'b':{'S':'p\\r\\nq'}}")
                   REC("MODIFY", "'NewImage':{'a':{'S':'2'}}"));
    ddbs_options o = csv_opts(cols, DDBS_F_CRLF);
    res r = run_in(json, &o);
    cr_assert_eq(r.rc, DDBS_OK);
    /* the row ends change; a newline inside a cell is data and stays as it was */
    cr_assert_str_eq(r.out, "a,b\r\n\"x\ny\",\"p\r\nq\"\r\n2,\r\n");
    cr_assert_eq(r.calls, 3u, "header and one call per row");
    cr_assert_eq(r.ends[0], 5u);
    cr_assert_eq(r.bad_call, 0);
    res_free(&r);
    free(json);
}

Test(csv, formula_guard)
{
    static const char *const cols[] = { "eq", "plus", "minus", "at", "tab", "cr", "n", "b",
                                        "ok", "mid", "bool", "m", "both", "empty", NULL };
    const char *in = REC("INSERT", "'NewImage':{'eq':{'S':'=1+2'},'plus':{'S':'+1'},"
                                   "'minus':{'S':'-1'},'at':{'S':'@x'},'tab':{'S':'\\tx'},"
                                   "'cr':{'S':'\\rx'},'n':{'N':'-5'},'b':{'B':'+AA='},"
                                   "'ok':{'S':'a=b'},'mid':{'S':' =x'},'bool':{'BOOL':true},"
                                   "'m':{'M':{'x':{'S':'=1'}}},'both':{'S':'=a,\\'b\\''},"
                                   "'empty':{'S':''}}");
    const char *head = "eq,plus,minus,at,tab,cr,n,b,ok,mid,bool,m,both,empty\n";
    char want[512];
    /* S and B cells get a ' (inside the quotes when quoted); N, BOOL, maps never */
    snprintf(want, sizeof want, "%s%s", head,
             "'=1+2,'+1,'-1,'@x,'\tx,\"'\rx\",-5,'+AA=,a=b, =x,true,"
             "\"{\"\"x\"\":\"\"=1\"\"}\",\"'=a,\"\"b\"\"\",\n");
    expect_csv(in, cols, DDBS_F_CSV_SAFE, want);
    /* without the flag nothing changes */
    snprintf(want, sizeof want, "%s%s", head,
             "=1+2,+1,-1,@x,\tx,\"\rx\",-5,+AA=,a=b, =x,true,"
             "\"{\"\"x\"\":\"\"=1\"\"}\",\"=a,\"\"b\"\"\",\n");
    expect_csv(in, cols, 0, want);
}

Test(csv, formula_guard_looks_at_the_decoded_text)
{
    static const char *const cols[] = { "a", "b", NULL };
    /* \u003d is '=': the cell starts with '=' whatever the JSON spelling */
    expect_csv(REC("INSERT", "'NewImage':{'a':{'S':'\\u003d1'},'b':{'S':'\\u002d2'}}"),
               cols, DDBS_F_CSV_SAFE, "a,b\n'=1,'-2\n");
}

/* ------------------------------------------------------------------------ columns ------ */

Test(csv, missing_and_null_cells_are_empty)
{
    static const char *const cols[] = { "a", "b", "c", "d", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'d':{'N':'4'},'b':{'NULL':true},'zz':{'S':'x'}}")
               REC("INSERT", "'NewImage':{}")
               REC("REMOVE", "'SequenceNumber':'1'"),
               cols, 0, "a,b,c,d\n,,,4\n,,,\n,,,\n");
}

Test(csv, odd_column_names)
{
    /* names with , " CR LF, non-ASCII and astral characters: quoted in the header, and found
       in the item whatever escapes spell them */
    static const char *const cols[] = { "a,b", "say \"x\"", "l\nm", "\xc3\xa9", "plain", "cr\r",
                                        "\xf0\x9f\xa6\x8a", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'a\\u002cb':{'S':'1'},'say \\'x\\'':{'S':'2'},"
                             "'l\\nm':{'S':'3'},'\\u00E9':{'S':'4'},'pl\\u0061in':{'S':'5'},"
                             "'cr\\u000d':{'S':'6'},'\\ud83e\\udd8a':{'S':'7'}}"),
               cols, 0,
               "\"a,b\",\"say \"\"x\"\"\",\"l\nm\",\xc3\xa9,plain,\"cr\r\",\xf0\x9f\xa6\x8a\n"
               "1,2,3,4,5,6,7\n");
}

Test(csv, names_that_are_prefixes_of_each_other)
{
    static const char *const cols[] = { "ab", "a", "abc", "", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'abcd':{'S':'x'},'abc':{'S':'3'},'a':{'S':'1'},"
                             "'b':{'S':'y'},'ab':{'S':'2'},'':{'S':'e'},'A':{'S':'z'}}"),
               cols, 0, "ab,a,abc,\n2,1,3,e\n");
}

Test(csv, only_top_level_attributes_fill_columns)
{
    static const char *const cols[] = { "a", "inner", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'a':{'M':{'inner':{'S':'deep'}}},"
                             "'l':{'L':[{'M':{'inner':{'S':'x'}}}]}}"),
               cols, 0, "a,inner\n\"{\"\"inner\"\":\"\"deep\"\"}\",\n");
}

Test(csv, metadata_columns)
{
    static const char *const cols[] = { "SequenceNumber", "x", "eventName", "eventID",
                                        "ApproximateCreationDateTime", NULL };
    expect_csv("{'Records':["
               REC("INSERT", "'ApproximateCreationDateTime':1480642020,'SequenceNumber':'111',"
                             "'NewImage':{'x':{'S':'a'}}") ","
               REC("MODIFY", "'ApproximateCreationDateTime':1.4806420205E9,'SequenceNumber':'112',"
                             "'NewImage':{'x':{'S':'b'}}") ","
               REC("REMOVE", "'ApproximateCreationDateTime':'1480642020123','SequenceNumber':'113',"
                             "'OldImage':{'x':{'S':'c'}}") ","
               "{'eventName':'INSERT','dynamodb':{'NewImage':{'x':{'S':'d'}}}}"
               "]}",
               cols, DDBS_F_CSV_SAFE,
               "SequenceNumber,x,eventName,eventID,ApproximateCreationDateTime\n"
               "111,a,INSERT,e1,1480642020\n"
               "112,b,MODIFY,e1,1.4806420205E9\n"
               "113,c,REMOVE,e1,1480642020123\n"
               ",d,INSERT,,\n");
}

/* BUG (reported): metadata cells are the text as written, escapes and all, while attribute
   cells are decoded. A CSV reader must get the value: eventID "a\u00e9\"b" is aé"b. */
Test(csv, metadata_columns_are_decoded)
{
    static const char *const cols[] = { "eventID", "SequenceNumber", NULL };
    expect_csv("{'eventID':'a\\u00e9\\'b,\\/c','eventName':'INSERT',"
               "'dynamodb':{'SequenceNumber':'1\\u0032','Keys':{'k':{'S':'x'}}}}",
               cols, 0, "eventID,SequenceNumber\n\"a\xc3\xa9\"\"b,/c\",12\n");
    /* and the guard sees the decoded text too */
    expect_csv("{'eventID':'\\u003dcmd','eventName':'INSERT','dynamodb':{'Keys':{}}}",
               cols, DDBS_F_CSV_SAFE, "eventID,SequenceNumber\n'=cmd,\n");
}

/* BUG (reported): "INS\u0045RT" is the JSON string INSERT, but the record is rejected
   (DDBS_E_SCHEMA), in every format. */
Test(csv, escaped_event_name_is_the_same_event)
{
    static const char *const cols[] = { "eventName", "k", NULL };
    expect_csv("{'eventName':'INS\\u0045RT','dynamodb':{'Keys':{'k':{'S':'x'}}}}",
               cols, 0, "eventName,k\nINSERT,x\n");
}

/* --------------------------------------------------------------------- item choice ----- */

Test(csv, the_item_is_new_old_for_remove_else_keys)
{
    static const char *const cols[] = { "k", "v", NULL };
    expect_csv(REC("INSERT", "'Keys':{'k':{'N':'1'}},'NewImage':{'k':{'N':'1'},'v':{'S':'new1'}}")
               REC("MODIFY", "'OldImage':{'k':{'N':'2'},'v':{'S':'old2'}},"
                             "'NewImage':{'k':{'N':'2'},'v':{'S':'new2'}},'Keys':{'k':{'N':'2'}}")
               REC("REMOVE", "'Keys':{'k':{'N':'3'}},'OldImage':{'k':{'N':'3'},'v':{'S':'old3'}}")
               REC("REMOVE", "'NewImage':{'k':{'N':'4'},'v':{'S':'new4'}},"
                             "'OldImage':{'k':{'N':'4'},'v':{'S':'old4'}},'Keys':{'k':{'N':'4'}}")
               REC("REMOVE", "'Keys':{'k':{'N':'5'}}")
               REC("INSERT", "'Keys':{'k':{'N':'6'}}")
               REC("MODIFY", "'Keys':{'k':{'N':'7'}},'NewImage':null")
               REC("INSERT", "'NewImage':{'v':{'S':'new8'}}"),
               cols, 0, "k,v\n1,new1\n2,new2\n3,old3\n4,old4\n5,\n6,\n7,\n,new8\n");
}

/* --------------------------------------------------------------------------- header ---- */

Test(csv, empty_result_gives_the_header_at_finish)
{
    static const char *const cols[] = { "a", "eventName", NULL };
    static const char *const inputs[] = { "", "  \n", "{\"Records\":[]}",
                                          "{\"Records\":[]}{\"Records\":[]}" };
    size_t i;
    for (i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        ddbs_options o = csv_opts(cols, 0);
        ddbs_parser p;
        res r;
        char buf[DDBS_MIN_BUF];
        memset(&r, 0, sizeof r);
        o.buf = buf;
        o.buf_size = sizeof buf;
        o.sink = sink;
        o.user = &r;
        r.buf = buf;
        r.buf_size = sizeof buf;
        cr_assert_eq(ddbs_parser_init(&p, &o), DDBS_OK);
        cr_assert_eq(ddbs_parser_feed(&p, inputs[i], strlen(inputs[i])), DDBS_OK);
        cr_assert_eq(r.calls, 0u, "nothing before finish (input %zu)", i);
        cr_assert_eq(ddbs_parser_finish(&p), DDBS_OK);
        cr_assert_eq(r.calls, 1u);
        cr_assert_str_eq(r.out, "a,eventName\n");
        cr_assert_eq(r.bad_call, 0);
        free(r.out);
    }
}

Test(csv, all_records_filtered_out_gives_the_header)
{
    static const char *const cols[] = { "a", NULL };
    char *json = J(REC("INSERT", "'NewImage':{'a':{'S':'x'}}") REC("MODIFY", "'Keys':{}"));
    ddbs_options o = csv_opts(cols, DDBS_F_CRLF);
    res r;
    o.events = DDBS_EV_REMOVE;
    r = run_in(json, &o);
    cr_assert_eq(r.rc, DDBS_OK);
    cr_assert_str_eq(r.out, "a\r\n");
    cr_assert_eq(r.records_out, 0u);
    res_free(&r);
    free(json);
}

Test(csv, header_once_before_the_first_row)
{
    static const char *const cols[] = { "a", NULL };
    expect_csv("{'Records':[" REC("INSERT", "'NewImage':{'a':{'S':'1'}}") "]}\n"
               "{'Records':[]}"
               "{'Records':[" REC("INSERT", "'NewImage':{'a':{'S':'2'}}") "]}",
               cols, 0, "a\n1\n2\n");
}

Test(csv, no_header_flag)
{
    static const char *const cols[] = { "a", "b", NULL };
    expect_csv(REC("INSERT", "'NewImage':{'a':{'S':'1'},'b':{'S':'x,y'}}"), cols,
               DDBS_F_NO_HEADER, "1,\"x,y\"\n");
    expect_csv("", cols, DDBS_F_NO_HEADER, "");
    expect_csv("{'Records':[]}", cols, DDBS_F_NO_HEADER | DDBS_F_CRLF, "");
}

Test(csv, header_function)
{
    static const char *const ab[] = { "a", "b", NULL };
    static const char *const odd[] = { "x,y", "q\"", "\xc3\xa9", NULL };
    static const char *const dup[] = { "a", "b", "a", NULL };
    static const char *const dupmeta[] = { "eventID", "eventID", NULL };
    static const char *const nul[] = { "a", NULL, NULL };
    static const char *many[DDBS_MAX_COLUMNS + 1];
    static char names[DDBS_MAX_COLUMNS + 1][8];
    char dst[64];
    ddbs_options o = csv_opts(ab, 0);
    size_t i;

    cr_assert_eq(ddbs_csv_header(&o, NULL, 0), 4u, "measure only: a,b\\n");
    memset(dst, 'Z', sizeof dst);
    cr_assert_eq(ddbs_csv_header(&o, dst, 4), 4u, "fits exactly");
    cr_assert_eq(memcmp(dst, "a,b\nZ", 5), 0, "written, nothing after it");
    memset(dst, 'Z', sizeof dst);
    cr_assert_eq(ddbs_csv_header(&o, dst, 3), 4u, "too small: the length it needs");
    cr_assert_eq(dst[0], 'Z', "and nothing written");
    o.flags = DDBS_F_CRLF;
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 5u);
    cr_assert_eq(memcmp(dst, "a,b\r\n", 5), 0);

    o = csv_opts(odd, 0);
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 15u);
    cr_assert_eq(memcmp(dst, "\"x,y\",\"q\"\"\",\xc3\xa9\n", 15), 0);

    /* invalid columns: 0 */
    cr_assert_eq(ddbs_csv_header(NULL, dst, sizeof dst), 0u);
    o = csv_opts(dup, 0);
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 0u, "duplicate");
    o = csv_opts(dupmeta, 0);
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 0u, "duplicate metadata column");
    o = csv_opts(nul, 0);
    o.ncolumns = 2;
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 0u, "NULL name");
    o = csv_opts(ab, 0);
    o.ncolumns = 0;
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 0u, "no columns");
    o.columns = NULL;
    o.ncolumns = 1;
    cr_assert_eq(ddbs_csv_header(&o, dst, sizeof dst), 0u, "columns NULL");

    for (i = 0; i <= DDBS_MAX_COLUMNS; i++) {
        snprintf(names[i], sizeof names[i], "c%zu", i);
        many[i] = names[i];
    }
    o = csv_opts(ab, 0);
    o.columns = many;
    o.ncolumns = DDBS_MAX_COLUMNS;
    cr_assert_gt(ddbs_csv_header(&o, NULL, 0), 0u, "64 columns are fine");
    o.ncolumns = DDBS_MAX_COLUMNS + 1;
    cr_assert_eq(ddbs_csv_header(&o, NULL, 0), 0u, "65 are not");
}

Test(csv, header_written_by_the_parser_matches_the_function)
{
    static const char *const cols[] = { "x,y", "q\"", "eventName", NULL };
    ddbs_options o = csv_opts(cols, DDBS_F_CRLF);
    char h[64];
    size_t n = ddbs_csv_header(&o, h, sizeof h);
    res r = run_in("", &o);
    cr_assert_eq(r.rc, DDBS_OK);
    cr_assert_eq(r.len, n);
    cr_assert_eq(memcmp(r.out, h, n), 0);
    res_free(&r);
}

/* ---------------------------------------------------------------------- arguments ------ */

Test(csv, init_rejects_bad_columns)
{
    static const char *const ab[] = { "a", "b", NULL };
    static const char *const dup[] = { "a", "b", "a", NULL };
    static const char *const nul[] = { "a", NULL, NULL };
    static const char *many[DDBS_MAX_COLUMNS + 1];
    static char names[DDBS_MAX_COLUMNS + 1][8];
    char buf[DDBS_MIN_BUF];
    ddbs_parser p;
    ddbs_options o;
    res r;
    size_t i;
    memset(&r, 0, sizeof r);
    for (i = 0; i <= DDBS_MAX_COLUMNS; i++) {
        snprintf(names[i], sizeof names[i], "n%zu", i);
        many[i] = names[i];
    }
#define INIT_WITH(cols_, n_) \
    (o = csv_opts(ab, 0), o.columns = (cols_), o.ncolumns = (n_), o.sink = sink, o.user = &r, \
     o.buf = buf, o.buf_size = sizeof buf, ddbs_parser_init(&p, &o))
    cr_assert_eq(INIT_WITH(ab, 2), DDBS_OK);
    cr_assert_eq(INIT_WITH(ab, 0), DDBS_E_ARG, "0 columns");
    cr_assert_eq(INIT_WITH(NULL, 2), DDBS_E_ARG, "columns NULL");
    cr_assert_eq(INIT_WITH(dup, 3), DDBS_E_ARG, "duplicate");
    cr_assert_eq(INIT_WITH(nul, 2), DDBS_E_ARG, "NULL name");
    cr_assert_eq(INIT_WITH((const char *const *)many, DDBS_MAX_COLUMNS), DDBS_OK, "64");
    cr_assert_eq(INIT_WITH((const char *const *)many, DDBS_MAX_COLUMNS + 1), DDBS_E_ARG, "65");
    /* the error stays: feeding a parser that failed init gives it back */
    cr_assert_eq(ddbs_parser_feed(&p, "{}", 2), DDBS_E_ARG);
#undef INIT_WITH
    /* columns are only required for CSV */
    o = csv_opts(ab, 0);
    o.format = DDBS_FORMAT_NDJSON;
    o.columns = NULL;
    o.ncolumns = 0;
    o.sink = sink;
    o.buf = buf;
    o.buf_size = sizeof buf;
    cr_assert_eq(ddbs_parser_init(&p, &o), DDBS_OK);
}

/* Counts its calls and refuses each. */
static int refuse(void *user, const char *data, size_t len)
{
    (void)data;
    (void)len;
    ++*(int *)user;
    return 1;
}

Test(csv, sink_refusing_the_header_stops_the_run)
{
    static const char *const cols[] = { "a", NULL };
    static const char *const inputs[] = { "", "{\"eventName\":\"INSERT\",\"dynamodb\":{}}" };
    size_t i;
    for (i = 0; i < 2; i++) {
        ddbs_options o = csv_opts(cols, 0);
        ddbs_parser p;
        char buf[DDBS_MIN_BUF];
        int calls = 0;
        ddbs_result rc;
        o.buf = buf;
        o.buf_size = sizeof buf;
        o.sink = refuse;
        o.user = &calls;
        cr_assert_eq(ddbs_parser_init(&p, &o), DDBS_OK);
        rc = ddbs_parser_feed(&p, inputs[i], strlen(inputs[i]));
        if (rc == DDBS_OK) rc = ddbs_parser_finish(&p);
        cr_assert_eq(rc, DDBS_E_SINK, "input %zu: %s", i, ddbs_strerror(rc));
        cr_assert_eq(calls, 1, "the header only, then it stops");
        cr_assert_eq(ddbs_parser_finish(&p), DDBS_E_SINK, "and the error stays");
        cr_assert_eq(calls, 1);
    }
}

Test(csv, bad_record_leaves_no_partial_row)
{
    static const char *const cols[] = { "a", "b", NULL };
    char *json = J(REC("INSERT", "'NewImage':{'a':{'S':'1'},'b':{'S':'2'}}")
                   REC("INSERT", "'NewImage':{'a':{'S':'x'},'b':{'X':'2'}}"));
    ddbs_options o = csv_opts(cols, 0);
    res r = run_in(json, &o);
    cr_assert_eq(r.rc, DDBS_E_ATTR, "%s", ddbs_strerror(r.rc));
    cr_assert_str_eq(r.out, "a,b\n1,2\n");
    res_free(&r);
    free(json);
}

Test(csv, skipped_document_leaves_no_cells_behind)
{
    /* the bad document's 'a' was staged before the error; the next record has no 'a' */
    static const char *const cols[] = { "a", "b", NULL };
    char *json = J(REC("INSERT", "'NewImage':{'a':{'S':'1'},'b':{'S':'2'}}") "\n"
                   REC("INSERT", "'NewImage':{'a':{'S':'stale'},'b':{'NULL':false}}") "\n"
                   REC("INSERT", "'NewImage':{'b':{'S':'y'}}") "\n"
                   REC("REMOVE", "'OldImage':{'a':{'S':'old'},'b':{'BOOL':1}}") "\n"
                   REC("REMOVE", "'Keys':{'b':{'S':'k'}}") "\n");
    ddbs_options o = csv_opts(cols, DDBS_F_SKIP_BAD);
    res r = run_in(json, &o);
    cr_assert_eq(r.rc, DDBS_OK, "%s", ddbs_strerror(r.rc));
    cr_assert_str_eq(r.out, "a,b\n1,2\n,y\n,k\n");
    res_free(&r);
    free(json);
}

/* ------------------------------------------------------------------ buffer limits ------ */

/* A record whose S value is n copies of ch (a '"' is written \"). */
static char *record_with(size_t n, char ch, const char *first)
{
    size_t cap = 2 * n + 256, k = 0, i;
    char *s = (char *)xrealloc(NULL, cap);
    k += (size_t)snprintf(s + k, cap - k, "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":"
                                           "{\"a\":{\"S\":\"%s", first);
    for (i = 0; i < n; i++) {
        if (ch == '"') s[k++] = '\\';
        s[k++] = ch;
    }
    k += (size_t)snprintf(s + k, cap - k, "\"}}}}");
    return s;
}

Test(csv, line_too_big)
{
    static const char *const cols[] = { "a", NULL };
    ddbs_options o = csv_opts(cols, 0);
    char *small = J(REC("INSERT", "'NewImage':{'a':{'S':'ok'}}"));
    char *big = record_with(5000, 'x', "");
    size_t ls = strlen(small), lb = strlen(big);
    char *both = (char *)xrealloc(NULL, ls + lb + ls + 1);
    res r;
    memcpy(both, small, ls);
    memcpy(both + ls, big, lb);
    memcpy(both + ls + lb, small, ls + 1);
    o.buf_size = DDBS_MIN_BUF;
    r = run_in(both, &o);
    cr_assert_eq(r.rc, DDBS_E_LINE_TOO_BIG, "rc %s", ddbs_strerror(r.rc));
    cr_assert_str_eq(r.out, "a\nok\n", "the rows before it, nothing of it");
    cr_assert_eq(r.bad_call, 0);
    res_free(&r);
    o.buf_size = 64u * 1024u;
    r = run_in(both, &o);
    cr_assert_eq(r.rc, DDBS_OK, "fits a bigger buffer");
    cr_assert_eq(r.len, 2u + 3u + 5001u + 3u);
    res_free(&r);
    free(small);
    free(big);
    free(both);
}

/* Near the buffer size, a cell that grows when quoted ('"' doubled, a ' in front) either
   fits whole or fails cleanly; once too big it stays too big. AddressSanitizer checks the
   writes (the buffer is exactly DDBS_MIN_BUF). */
Test(csv, quoting_growth_near_the_buffer_end)
{
    static const char *const cols[] = { "a", NULL };
    static const char chars[] = { '"', 'x', ',' };
    size_t c, n;
    for (c = 0; c < sizeof chars; c++) {
        int failed = 0;
        for (n = 500; n <= 4200; n += 7) {
            ddbs_options o = csv_opts(cols, DDBS_F_CSV_SAFE | DDBS_F_NO_HEADER);
            char *in = record_with(n, chars[c], "=");
            res r;
            o.buf_size = DDBS_MIN_BUF;
            r = run_in(in, &o);
            if (r.rc == DDBS_OK) {
                /* ' = then the characters, '"' doubled; quoted unless plain x */
                size_t i, inner = 2 + n * (chars[c] == '"' ? 2u : 1u);
                size_t q = chars[c] == 'x' ? 0u : 2u;
                cr_assert_eq(failed, 0, "n=%zu fits after a smaller one did not", n);
                cr_assert_eq(r.len, inner + q + 1, "n=%zu char %c", n, chars[c]);
                cr_assert_eq(r.out[q / 2], '\'');
                cr_assert_eq(r.out[q / 2 + 1], '=');
                for (i = q / 2 + 2; i < q / 2 + inner; i++)
                    cr_assert_eq(r.out[i], chars[c], "n=%zu at %zu", n, i);
                if (q) cr_assert_eq(r.out[0], '"');
                if (q) cr_assert_eq(r.out[inner + 1], '"');
                cr_assert_eq(r.out[r.len - 1], '\n');
            } else {
                cr_assert_eq(r.rc, DDBS_E_LINE_TOO_BIG, "n=%zu: %s", n, ddbs_strerror(r.rc));
                cr_assert_eq(r.len, 0u);
                failed = 1;
            }
            res_free(&r);
            free(in);
        }
        cr_assert_eq(failed, 1, "4200 characters do not fit 4096 bytes");
    }
}

Test(csv, header_too_big_for_the_buffer)
{
    static const char *cols[DDBS_MAX_COLUMNS + 1];
    static char names[DDBS_MAX_COLUMNS][100];
    ddbs_options o;
    res r;
    size_t i;
    for (i = 0; i < DDBS_MAX_COLUMNS; i++) {
        memset(names[i], 'a', sizeof names[i] - 4);
        snprintf(names[i] + sizeof names[i] - 4, 4, "%02zu", i);
        cols[i] = names[i];
    }
    cols[DDBS_MAX_COLUMNS] = NULL;
    o = csv_opts(cols, 0);
    o.buf_size = DDBS_MIN_BUF;
    r = run_in("", &o);
    cr_assert_eq(r.rc, DDBS_E_LINE_TOO_BIG, "%s", ddbs_strerror(r.rc));
    cr_assert_eq(r.len, 0u);
    res_free(&r);
}

/* -------------------------------------------------------------- split invariance ------ */

static void same_run(const res *a, const res *b, const char *what, size_t at)
{
    size_t k;
    cr_assert_eq(a->rc, b->rc, "%s %zu: rc %d vs %d", what, at, a->rc, b->rc);
    cr_assert_eq(a->len, b->len, "%s %zu: %zu vs %zu bytes", what, at, a->len, b->len);
    cr_assert_eq(memcmp(a->out, b->out, a->len), 0, "%s %zu: bytes differ", what, at);
    cr_assert_eq(a->calls, b->calls, "%s %zu: calls", what, at);
    for (k = 0; k < a->calls && k < MAX_CALLS; k++)
        cr_assert_eq(a->ends[k], b->ends[k], "%s %zu: call %zu ends elsewhere", what, at, k);
    cr_assert_eq(b->bad_call, 0, "%s %zu", what, at);
}

/* The whole input, then every single cut, then byte by byte: the same output. With pairs,
   also every two cuts (for short inputs). */
static void split_invariant(const char *in, size_t len, const ddbs_options *o, int pairs)
{
    res whole = run_cuts(in, len, o, NULL, 0), r;
    size_t i, j, *cuts;
    cr_assert_eq(whole.rc, DDBS_OK, "whole: %s", ddbs_strerror(whole.rc));
    cr_assert_gt(whole.calls, 1u);
    for (i = 1; i < len; i++) {
        r = run_cuts(in, len, o, &i, 1);
        same_run(&whole, &r, "cut at", i);
        res_free(&r);
    }
    if (pairs) {
        for (i = 1; i < len; i++)
            for (j = i + 1; j < len; j++) {
                size_t two[2];
                two[0] = i;
                two[1] = j;
                r = run_cuts(in, len, o, two, 2);
                same_run(&whole, &r, "cuts at i and", j);
                res_free(&r);
            }
    }
    cuts = (size_t *)xrealloc(NULL, len * sizeof *cuts);
    for (i = 1; i < len; i++) cuts[i - 1] = i;
    r = run_cuts(in, len, o, cuts, len - 1);
    same_run(&whole, &r, "byte by byte", 0);
    res_free(&r);
    free(cuts);
    res_free(&whole);
}

static const char *const split_cols[] = { "caf\xc3\xa9", "\xf0\x9f\xa6\x8a", "q\"", "x,y",
                                          "n", "m", "eventID", "ApproximateCreationDateTime",
                                          "SequenceNumber", "eventName", "lone", NULL };

Test(csv, split_invariance_escapes)
{
    /* \u00e9 and surrogate pairs in names and values, cut everywhere, also between the
       halves of a pair and inside each \uXXXX */
    char *json = J("\xef\xbb\xbf{'Records':[{'eventName':'MODIFY','eventID':'id,1',"
                   "'dynamodb':{'ApproximateCreationDateTime':1.4806420205E9,"
                   "'SequenceNumber':'42','NewImage':{'caf\\u00e9':{'S':'\\u00e9t\\u00E9'},"
                   "'\\ud83e\\udd8a':{'S':'fox \\ud83e\\udd8a, \\'q\\''},"
                   "'q\\u0022':{'S':'=\\nx'},'x,y':{'N':'-1.5e3'},"
                   "'m':{'M':{'k':{'S':'\\ud83e\\udd8a'}}},'lone':{'S':'\\ud800\\ud83e'},"
                   "'n':{'BOOL':true}}}}]}"
                   "{'eventName':'REMOVE','dynamodb':{'Keys':{'caf\\u00e9':{'S':'k\\u00e9'}},"
                   "'OldImage':{'\\u0063af\\u00e9':{'S':'old'}}}}");
    size_t len = strlen(json);
    ddbs_options o = csv_opts(split_cols, 0);
    split_invariant(json, len, &o, 0);
    o.flags = DDBS_F_CRLF | DDBS_F_CSV_SAFE;
    split_invariant(json, len, &o, 0);
    free(json);
}

Test(csv, split_invariance_every_two_cuts)
{
    char *json = J("{'eventName':'INSERT','dynamodb':{'NewImage':{'caf\\u00e9':{'S':'\\ud83e\\udd8a\\u00e9'},"
                   "'\\ud83e\\udd8a':{'S':'a\\'b,c'}}}}");
    ddbs_options o = csv_opts(split_cols, DDBS_F_CSV_SAFE);
    split_invariant(json, strlen(json), &o, 1);
    free(json);
}

Test(csv, split_invariance_sample)
{
    static const char *const cols[] = { "val", "asdf1", "asdf2", "key", "b2", "Binary",
                                        "Boolean", "List", "Map", "FloatNumber", "Null",
                                        "String", "eventName", "SequenceNumber", NULL };
    const char *dir = getenv("DDBS_DATA");   /* as the other suites: default tests/data */
    char path[1024];
    FILE *f;
    char *in;
    size_t len;
    ddbs_options o = csv_opts(cols, DDBS_F_CRLF);
    snprintf(path, sizeof path, "%s/aws-aws-lambda-go/dynamodb-event.json",
             dir && *dir ? dir : "tests/data");
    if (!(f = fopen(path, "rb"))) cr_skip_test("%s not found (run from the repository root)", path);
    in = (char *)xrealloc(NULL, 1 << 20);
    len = fread(in, 1, 1 << 20, f);
    fclose(f);
    split_invariant(in, len, &o, 0);
    free(in);
}
