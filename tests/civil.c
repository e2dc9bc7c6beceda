/* Reads ApproximateCreationDateTime texts, one per line, and prints the UTC hour each names
   as YYYY/MM/DD/HH (the chunker's object name path), or "invalid" when ddbs_time_seconds
   refuses the text. tests/dates.sh compares the output with `date -u`.
   Link with tests/impl.c. */
#include <stdio.h>
#include <string.h>

#include "../ddbstream.h"

int main(void)
{
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        int64_t secs, year;
        int month, day, hour;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (ddbs_time_seconds(line, n, 0, &secs) != 0) {
            puts("invalid");
            continue;
        }
        ddbs_civil(secs, &year, &month, &day, &hour);
        /* %Y of date(1): at least 4 digits, more for years past 9999 */
        printf("%04lld/%02d/%02d/%02d\n", (long long)year, month, day, hour);
    }
    return ferror(stdin) ? 1 : 0;
}
