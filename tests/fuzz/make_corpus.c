/* Writes the fuzzers' seed corpora (and, with --golden DIR, the golden saved files of
 * tests/io/golden) from real networks of every variant, through the public API only.
 *
 *   make_corpus CORPUS_DIR            writes CORPUS_DIR/fuzz_load, fuzz_create, fuzz_api
 *                                     (made if missing; into tests/fuzz/corpus it rewrites
 *                                     the existing seeds too: write into a scratch directory
 *                                     and copy in only the new ones, as for golden files)
 *   make_corpus --golden GOLDEN_DIR   writes GOLDEN_DIR/<variant>.spnet
 *   make_corpus --golden-v34 DIR      writes DIR/<variant>.spnet for golden_v34_variants
 *                                     (tests/io/golden-v34: format versions 3 and 4)
 */
#include "fuzz_seeds.h" /* first: it sets _POSIX_C_SOURCE */
#include "fuzz_desc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../io/variants.h"

static int write_file(const char *dir, const char *name, const unsigned char *prefix,
                      size_t prefix_len, const void *data, size_t len) {
  char path[1024];
  FILE *f;
  int ok;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    return 0;
  }
  ok = fwrite(prefix, 1, prefix_len, f) == prefix_len && fwrite(data, 1, len, f) == len;
  ok = fclose(f) == 0 && ok;
  return ok;
}

static unsigned char *save(const sp_network *net, size_t *len) {
  unsigned char *buf;
  if (sp_save(net, NULL, 0, len) != SP_OK) return NULL;
  buf = malloc(*len);
  if (buf && sp_save(net, buf, *len, len) != SP_OK) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* Writes the version-3 and version-4 golden files. Returns the exit status. */
static int write_golden_v34(const char *dir) {
  size_t v;
  for (v = 0; v < GOLDEN_V34_COUNT; ++v) {
    const golden_v34_variant *g = &golden_v34_variants[v];
    sp_network *net = NULL;
    size_t len = 0;
    unsigned char *buf;
    char name[256];
    sp_status s = golden_v34_build(g, &net);
    if (s != SP_OK) {
      fprintf(stderr, "%s: %s: %s\n", g->base.name, sp_status_name(s), sp_last_error());
      return 1;
    }
    buf = save(net, &len);
    if (!buf) return 1;
    if (len < 12 || buf[8] != golden_v34_version(g)) {
      fprintf(stderr, "%s: saved as version %d, not %d\n", g->base.name, len < 12 ? -1 : buf[8],
              golden_v34_version(g));
      return 1;
    }
    snprintf(name, sizeof name, "%s.spnet", g->base.name);
    if (!write_file(dir, name, NULL, 0, buf, len)) return 1;
    free(buf);
    sp_network_destroy(net);
  }
  return 0;
}

int main(int argc, char **argv) {
  size_t v;
  int golden = argc == 3 && strcmp(argv[1], "--golden") == 0;
  const char *dir = golden ? argv[2] : argv[1];
  char sub[1024];
  if (argc == 3 && strcmp(argv[1], "--golden-v34") == 0) return write_golden_v34(argv[2]);
  if (argc < 2 || (!golden && argc != 2)) {
    fprintf(stderr, "usage: make_corpus CORPUS_DIR | make_corpus --golden GOLDEN_DIR | "
                    "make_corpus --golden-v34 DIR\n");
    return 2;
  }
  if (!golden) {
    static const char *const targets[] = {"fuzz_load", "fuzz_create", "fuzz_api"};
    for (v = 0; v < 3; ++v) {
      snprintf(sub, sizeof sub, "%s/%s", dir, targets[v]);
      if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot make %s: %s\n", sub, strerror(errno));
        return 1;
      }
    }
  }
  for (v = 0; v < GOLDEN_COUNT; ++v) {
    sp_network *net = NULL;
    size_t len = 0;
    unsigned char *buf;
    char name[256];
    /* fuzz_load's first byte: bit 0 set = the harness repairs length and checksum. */
    static const unsigned char repair = 1;
    sp_status s = golden_build(&golden_variants[v], &net);
    if (s != SP_OK) {
      fprintf(stderr, "%s: %s: %s\n", golden_variants[v].name, sp_status_name(s), sp_last_error());
      return 1;
    }
    buf = save(net, &len);
    if (!buf) return 1;
    if (golden) {
      snprintf(name, sizeof name, "%s.spnet", golden_variants[v].name);
      if (!write_file(dir, name, NULL, 0, buf, len)) return 1;
    } else {
      snprintf(sub, sizeof sub, "%s/fuzz_load", dir);
      if (!write_file(sub, golden_variants[v].name, &repair, 1, buf, len)) return 1;
    }
    free(buf);
    sp_network_destroy(net);
  }
  if (!golden) {
    for (v = 0; v < SEED_COUNT; ++v) {
      unsigned char bytes[SEED_MAX];
      size_t len = seed_bytes(v, bytes);
      snprintf(sub, sizeof sub, "%s/fuzz_create", dir);
      if (!write_file(sub, seed_names[v], NULL, 0, bytes, len)) return 1;
      len = seed_api_bytes(v, bytes);
      snprintf(sub, sizeof sub, "%s/fuzz_api", dir);
      if (!write_file(sub, seed_names[v], NULL, 0, bytes, len)) return 1;
      {
        /* The seed's network (when it is created) for fuzz_load too, after 20 steps with two
           inputs queued: the variants above have no current-based synapses. */
        static fuzz_desc f;
        fuzz_bytes fb;
        sp_network *net = NULL;
        static const unsigned char repair = 1;
        unsigned char *buf;
        int k;
        char name[256];
        fb.p = bytes;
        fb.n = seed_bytes(v, bytes);
        fb.pos = 0;
        fz_decode_desc(&fb, &f, FZ_MAX_N);
        if (sp_network_create(&f.d, &net) != SP_OK) continue;
        for (k = 0; k < 20; ++k) {
          sp_spike sp;
          if (sp_step(net, &sp) != SP_OK) break;
        }
        if (f.d.n_inputs) {
          sp_input(net, 0, sp_now(net) + 0.003);
          sp_input(net, f.d.n_inputs - 1, sp_now(net) + 0.01);
        }
        buf = save(net, &len);
        sp_network_destroy(net);
        if (!buf) return 1;
        snprintf(name, sizeof name, "seed-%s", seed_names[v]);
        snprintf(sub, sizeof sub, "%s/fuzz_load", dir);
        if (!write_file(sub, name, &repair, 1, buf, len)) return 1;
        free(buf);
      }
    }
  }
  return 0;
}
