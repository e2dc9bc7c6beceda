/* feedsize_lib.c - the parser for feedsize.c, in its own object file as a program that links
   the library has it, and the empty feed it is compared with, compiled the same way. */
#define DDBSTREAM_IMPLEMENTATION
#include "../../ddbstream.h"

ddbs_result feedsize_no_feed(ddbs_parser *p, const void *data, size_t len);

ddbs_result feedsize_no_feed(ddbs_parser *p, const void *data, size_t len)
{
    (void)data;
    (void)len;
    return p->error;
}
