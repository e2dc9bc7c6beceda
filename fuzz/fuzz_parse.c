/* fuzz_parse: the parser on the whole input, in one feed. The first FZ_CONF_BYTES bytes
   choose the options (format, shape, flags, events, CSV columns, staging size); the rest is
   the input. The harness (fuzz.h) aborts on any broken promise: lines whole and from the
   staging buffer, counters equal to what was delivered, sticky errors, offsets inside the
   input, filters obeyed, and nothing from PARSE_ONLY. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_conf c;
    fz_run r;
    size_t used = fz_conf_read(data, size, &c);
    /* exactly the input's bytes in their own block, so a read past the end is caught */
    char *in = fz_dup(data + used, size - used);
    memset(&r, 0, sizeof r);
    fz_exec(&r, &c, (const uint8_t *)in, size - used, NULL, 0, 0);
    fz_run_free(&r);
    free(in);
    return 0;
}
