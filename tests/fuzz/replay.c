/* Replays fuzz inputs without libFuzzer: calls LLVMFuzzerTestOneInput on every file named on
 * the command line, or on every file of a directory named there (not recursively; names
 * starting with '.' and README files are skipped). Built with the ordinary compiler so that
 * `meson test --suite fuzz` runs each target's seed corpus and past crashes as plain tests.
 * A failing input aborts (the harnesses check their invariants with abort()); a directory
 * that does not exist is an error, an empty one is fine. An input that runs longer than
 * SP_REPLAY_TIMEOUT seconds (default 120; libFuzzer's limit in run-fuzzers.sh is 10) fails
 * too, so that a past timeout replayed after its fix is a test that can fail. Every input runs
 * in both memory layouts (see both_layouts). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *current_input = "";
/* Each input runs twice, in the default layouts and in the compact one, unless the caller set
 * SPARSEPROP_COMPACT_MIN_N (then once, as set). */
static int both_layouts = 1;

static void on_timeout(int sig) {
  static const char msg[] = "replay: an input ran over SP_REPLAY_TIMEOUT seconds: ";
  (void)sig;
  /* (async-signal-safe calls only) */
  if (write(2, msg, sizeof msg - 1) < 0 || write(2, current_input, strlen(current_input)) < 0 ||
      write(2, "\n", 1) < 0) {
  }
  abort();
}

static unsigned timeout_seconds(void) {
  const char *e = getenv("SP_REPLAY_TIMEOUT");
  long v = e ? strtol(e, NULL, 10) : 120;
  return v > 0 ? (unsigned)v : 0;
}

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  long size;
  unsigned char *buf;
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return 0;
  }
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (unsigned char *)malloc(size > 0 ? (size_t)size : 1);
  if (!buf || (size > 0 && fread(buf, 1, (size_t)size, f) != (size_t)size)) {
    fprintf(stderr, "cannot read %s\n", path);
    fclose(f);
    free(buf);
    return 0;
  }
  fclose(f);
  fprintf(stderr, "replaying %s (%ld bytes)\n", path, size);
  /* An exact-size buffer, as libFuzzer passes, so that overreads are caught under ASan. */
  current_input = path;
  alarm(timeout_seconds());
  LLVMFuzzerTestOneInput(buf, (size_t)size);
  alarm(0);
  if (both_layouts) {
    /* Again with the compact layout for every description that allows it (README, Memory
       layouts), which the fuzzers' small networks never reach at the default threshold. */
    setenv("SPARSEPROP_COMPACT_MIN_N", "1", 1);
    alarm(timeout_seconds());
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    alarm(0);
    unsetenv("SPARSEPROP_COMPACT_MIN_N");
  }
  free(buf);
  return 1;
}

int main(int argc, char **argv) {
  int a, files = 0;
  signal(SIGALRM, on_timeout);
  both_layouts = getenv("SPARSEPROP_COMPACT_MIN_N") == NULL;
  for (a = 1; a < argc; ++a) {
    struct stat st;
    if (stat(argv[a], &st) != 0) {
      fprintf(stderr, "%s: no such file or directory\n", argv[a]);
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      struct dirent **names;
      int k, count = scandir(argv[a], &names, NULL, alphasort);
      if (count < 0) {
        fprintf(stderr, "cannot list %s\n", argv[a]);
        return 1;
      }
      for (k = 0; k < count; ++k) {
        char path[4096];
        const char *name = names[k]->d_name;
        if (name[0] != '.' && strncmp(name, "README", 6) != 0) {
          snprintf(path, sizeof path, "%s/%s", argv[a], name);
          if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (!replay_file(path)) return 1;
            ++files;
          }
        }
        free(names[k]);
      }
      free(names);
    } else {
      if (!replay_file(argv[a])) return 1;
      ++files;
    }
  }
  printf("replayed %d inputs\n", files);
  return 0;
}
