/* ddbstream: DynamoDB change data on stdin (or files) to one plain JSON line per record,
   CSV, typed JSON, BatchWriteItem bodies, or objects in a directory or S3. The work is in
   ddbstream.h; cli.c holds the options and the outputs. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static cli c;
    int a, status = cli_configure(&c, argc, argv);
    if (status == CLI_DONE) return 0;
    if (status == CLI_OK) status = cli_begin(&c);
    for (a = 0; a < c.nfiles && status == CLI_OK; a++) {
        int stdin_input = !strcmp(c.files[a], "-"), fd = 0;
        if (!stdin_input && (fd = open(c.files[a], O_RDONLY)) < 0) {
            fprintf(stderr, "ddbstream: %s: %s\n", c.files[a], strerror(errno));
            status = CLI_IO;
            break;
        }
        status = cli_convert(&c, fd, NULL, 0, c.nfiles > 1 || !stdin_input ? c.files[a] : NULL);
        if (fd > 0) close(fd);
    }
    status = cli_end(&c, status);
    return cli_finish(&c, status);
}
