/* Replays fuzz inputs without libFuzzer: calls LLVMFuzzerTestOneInput on every file named on
 * the command line, or on every file of a directory named there (not recursively; names
 * starting with '.' and README files are skipped). Built with the ordinary compiler so that
 * `meson test --suite fuzz` runs each target's seed corpus and past crashes as plain tests.
 * A failing input aborts (the harnesses check their invariants with abort()); a directory
 * that does not exist is an error, an empty one is fine. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
  LLVMFuzzerTestOneInput(buf, (size_t)size);
  free(buf);
  return 1;
}

int main(int argc, char **argv) {
  int a, files = 0;
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
