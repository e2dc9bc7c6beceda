/* The ddbstream command's engine, shared by the CLI (examples/ddbstream.c) and the Lambda
   runtime (examples/lambda_bootstrap.c): options, outputs (stdout, a directory, S3, batch
   bodies), one run per input, and the report. */
#ifndef DDBSTREAM_CLI_H
#define DDBSTREAM_CLI_H
#include <stddef.h>
#include <stdio.h>
#include "../ddbstream.h"

enum { CLI_OK = 0, CLI_BAD_INPUT = 1, CLI_USAGE = 2, CLI_IO = 3, CLI_DONE = -1 };
#define CLI_MAX_JOBS 8

struct s3_client;

typedef struct cli {
    /* configuration, from cli_configure */
    ddbs_options o;
    ddbs_chunker_options co;
    const char *columns[DDBS_MAX_COLUMNS];
    const char *out_dir, *s3_url, *table;
    int batchwrite, as_delete, stats, progress, chunked, firehose_response;
    int jobs;                 /* threads for a large regular file */
    char **files;
    int nfiles;
    /* outputs */
    ddbs_chunker chunker;
    ddbs_batch batch;
    ddbs_firehose firehose;
    struct s3_client *s3;
    char *line, *object, *header;
    FILE *out;                /* where lines go without --out-dir/--s3 */
    int write_failed;
    char flush_err[4608];     /* why an object did not land */
    /* run state and totals */
    const char *name;         /* input being read, for messages */
    uint64_t rin, rout, bin, bout, docs, skipped;
    uint64_t obase, rbase;    /* bytes and records of this input converted before its parser */
    int header_out;           /* the CSV header of this input is out (--jobs wrote it) */
    double t0, last;
    uint64_t fail_index;      /* after a failure: index of the record not converted */
    char fail_seq[64];        /* ... and its SequenceNumber ("" if unknown) */
} cli;

/* Parses the options (argv[0] is skipped), prints usage errors on stderr. Returns CLI_OK,
   CLI_USAGE, CLI_IO, or CLI_DONE when --help or --version was answered. */
int cli_configure(cli *c, int argc, char **argv);

/* Starts a batch of inputs: the chunker or batch writer, if used, starts empty. */
int cli_begin(cli *c);

/* Converts one input: fd >= 0 is read to its end, else the n bytes at mem. name labels
   messages (NULL: none). Returns CLI_OK, CLI_BAD_INPUT or CLI_IO. */
int cli_convert(cli *c, int fd, const char *mem, size_t n, const char *name);

/* Ends the batch: the last object or body goes out. Returns the status so far. */
int cli_end(cli *c, int status);

/* --stats, skipped documents; frees what cli_configure took. Returns the final status. */
int cli_finish(cli *c, int status);

#endif
