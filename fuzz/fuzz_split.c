/* fuzz_split: whole versus split. After the FZ_CONF_BYTES option bytes, FZ_CUT_BYTES bytes
   say where to cut the input (a few chosen cuts, fixed-size pieces, random pieces, or byte by
   byte; see fz_cuts). Any difference from one whole feed in output bytes, line boundaries,
   result code, error offset or record, counters or skip reports aborts. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_conf c;
    fz_run whole, split;
    uint8_t cut[FZ_CUT_BYTES] = { 0, 0, 0, 0 };
    size_t used = fz_conf_read(data, size, &c), ncut = size - used < FZ_CUT_BYTES ? size - used : FZ_CUT_BYTES;
    size_t len, *cuts, step, ncuts;
    char *in;
    memcpy(cut, data + used, ncut);
    used += ncut;
    len = size - used;
    in = fz_dup(data + used, len);
    ncuts = fz_cuts(cut, len, &cuts, &step);
    memset(&whole, 0, sizeof whole);
    memset(&split, 0, sizeof split);
    fz_exec(&whole, &c, (const uint8_t *)in, len, NULL, 0, 0);
    fz_exec(&split, &c, (const uint8_t *)in, len, cuts, ncuts, step);
    fz_same(&whole, &split, "whole vs split");
    fz_run_free(&whole);
    fz_run_free(&split);
    free(cuts);
    free(in);
    return 0;
}
