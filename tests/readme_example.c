#define DDBSTREAM_IMPLEMENTATION
#include "ddbstream.h"
#include <stdio.h>

static int out(void *user, const char *s, size_t n)
{ return fwrite(s, 1, n, (FILE *)user) == n ? 0 : -1; }

int main(void)
{
    static char line[1 << 20], in[1 << 16];  /* one output line is staged in `line` */
    ddbs_options o = {0};
    ddbs_parser p;
    size_t n;
    o.sink = out; o.user = stdout; o.buf = line; o.buf_size = sizeof line;
    ddbs_result rc = ddbs_parser_init(&p, &o);
    while (rc == DDBS_OK && (n = fread(in, 1, sizeof in, stdin)) > 0)
        rc = ddbs_parser_feed(&p, in, n);   /* a chunk may end anywhere */
    if (rc == DDBS_OK)
        rc = ddbs_parser_finish(&p);        /* catches input cut mid-document */
    if (rc != DDBS_OK)
        fprintf(stderr, "error: %s at byte %llu (record %llu)\n", ddbs_strerror(rc),
                (unsigned long long)p.error_offset, (unsigned long long)p.error_record);
    return rc != DDBS_OK;
}
