/* A main() for the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput once per file
   named on the command line, descending into directories (sorted, so runs are repeatable).
   Linked with one fuzz_<name>.c, so gcc builds the targets too and regressions replay in the
   normal test run. A broken invariant aborts, as under libFuzzer, and the input is named.
   REPLAY_VERBOSE=1 names every input as it runs. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by the sanitizer runtime when linked in; weak so a plain build links too. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static unsigned long replayed;
static const char *current = "";  /* the input being run, named when something dies */
static int verbose;

static void say_current(void)
{
    static const char a[] = "\nreplay: crashed on ", b[] = "\n";
    ssize_t w = write(2, a, sizeof a - 1);
    w = write(2, current, strlen(current));
    w = write(2, b, sizeof b - 1);
    (void)w;
}

static void on_abort(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file into an allocation of exactly its size, so ASan sees overreads. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *d;
    long n;
    if (!f) { perror(path); return -1; }
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        perror(path);
        fclose(f);
        return -1;
    }
    d = (unsigned char *)malloc(n ? (size_t)n : 1u);
    if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: read failed\n", path);
        free(d);
        fclose(f);
        return -1;
    }
    fclose(f);
    if (verbose) fprintf(stderr, "replay %s (%ld bytes)\n", path, n);
    current = path;
    LLVMFuzzerTestOneInput(d, (size_t)n);
    current = "";
    free(d);
    replayed++;
    return 0;
}

static int replay_path(const char *path)
{
    struct stat st;
    DIR *dir;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;
    if (stat(path, &st)) { perror(path); return -1; }
    if (!S_ISDIR(st.st_mode)) return replay_file(path);
    if (!(dir = opendir(path))) { perror(path); return -1; }
    while ((de = readdir(dir)) != NULL) {
        size_t len;
        if (de->d_name[0] == '.') continue;  /* ., .., and hidden files such as .gitkeep */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = (char **)realloc(names, cap * sizeof *names);
            if (!names) abort();
        }
        len = strlen(path) + strlen(de->d_name) + 2;
        names[n] = (char *)malloc(len);
        if (!names[n]) abort();
        snprintf(names[n], len, "%s/%s", path, de->d_name);
        n++;
    }
    closedir(dir);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        if (replay_path(names[i])) rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int i, rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...  (runs the fuzz target on each file)\n", argv[0]);
        return 2;
    }
    verbose = getenv("REPLAY_VERBOSE") != NULL;
    signal(SIGABRT, on_abort);  /* a broken fuzz invariant */
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);
    for (i = 1; i < argc; i++)
        if (replay_path(argv[i])) rc = 1;
    fprintf(stderr, "%s: %lu inputs replayed%s\n", argv[0], replayed, rc ? ", some unreadable" : "");
    return rc;
}
