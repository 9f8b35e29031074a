/* Golden files: tests/io/golden holds one saved network per variant in format version 1,
 * written by the library at commit 03b41b6 (tests/fuzz/make_corpus --golden), and
 * tests/io/golden-v2 the same in format version 2 (never regenerate either: they are what
 * earlier versions wrote). Each must keep loading in every later version, and continue as a network created independently from the
 * same description (tests/io/variants.h), after the same calls, does: the same neurons spike
 * in the same order at the same times. Times are compared to 1e-9 s rather than bit for bit:
 * a later version may represent the state differently (a version-1 file is then converted),
 * and a one-ulp difference in a state is not a format error; a misread field changes spike
 * times by far more. Run with the golden directory and its format version as the arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "variants.h"

#define STEPS 400

static const char *golden_dir;
static int golden_version;

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long size;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)size);
  if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)size;
  return buf;
}

static int close_enough(double a, double b) { return fabs(a - b) <= 1e-9 * (1.0 + fabs(a)); }

static void test_golden_files_continue_as_created(void **state) {
  size_t v;
  (void)state;
  for (v = 0; v < GOLDEN_COUNT; ++v) {
    const golden_variant *g = &golden_variants[v];
    char path[1024];
    unsigned char *buf;
    size_t len = 0, s, ca = 0, cb = 0;
    sp_network *a = NULL, *b = NULL;
    sp_spike sa, sb;
    static sp_spike ra[4096], rb[4096];
    double va[GOLDEN_N], vb[GOLDEN_N];
    uint32_t i;
    snprintf(path, sizeof path, "%s/%s.spnet", golden_dir, g->name);
    buf = read_all(path, &len);
    if (!buf) fail_msg("cannot read %s", path);
    /* The format version, as checked in. */
    assert_true(len > 12 && buf[8] == golden_version && buf[9] == 0 && buf[10] == 0 &&
                buf[11] == 0);
    if (sp_load(buf, len, NULL, &a) != SP_OK) fail_msg("%s: %s", g->name, sp_last_error());
    assert_int_equal(sp_load_file(path, &b), SP_OK);
    sp_network_destroy(b);
    b = NULL;
    assert_int_equal(golden_build(g, &b), SP_OK);
    /* (Equal on the build that wrote the files; another build, e.g. clang without the AVX2
       QIF path, may differ in the last bits.) */
    if (!close_enough(sp_now(a), sp_now(b)))
      fail_msg("%s: now %.17g loaded, %.17g created", g->name, sp_now(a), sp_now(b));
    assert_int_equal(sp_network_frame(a), sp_network_frame(b));
    assert_int_equal(sp_network_size(a), GOLDEN_N);
    assert_int_equal(sp_voltages(a, va, GOLDEN_N), SP_OK);
    assert_int_equal(sp_voltages(b, vb, GOLDEN_N), SP_OK);
    /* Compared as phases, atan(V): right after a QIF reset V sits at the pole (about -1e16),
       where one ulp of phase moves V by orders of magnitude. */
    for (i = 0; i < GOLDEN_N; ++i)
      if (!close_enough(atan(va[i]), atan(vb[i])))
        fail_msg("%s: voltage %u: %.17g loaded, %.17g created", g->name, i, va[i], vb[i]);
    for (s = 0; s < STEPS; ++s) {
      sp_status xa = sp_step(a, &sa), xb = sp_step(b, &sb);
      assert_int_equal(xa, xb);
      if (xa != SP_OK) break; /* (a network that falls silent: both alike) */
      if (sa.neuron != sb.neuron || !close_enough(sa.t, sb.t))
        fail_msg("%s: spike %zu: neuron %u at %.17g loaded, %u at %.17g created", g->name, s,
                 sa.neuron, sa.t, sb.neuron, sb.t);
    }
    /* Inputs queued after loading are applied alike too. */
    if (g->inputs) {
      for (i = 0; i < 3; ++i) {
        assert_int_equal(sp_input(a, i, sp_now(a) + 0.001 * i), SP_OK);
        assert_int_equal(sp_input(b, i, sp_now(b) + 0.001 * i), SP_OK);
      }
    }
    assert_int_equal(sp_run(a, sp_now(a) + 0.05, ra, 4096, &ca), SP_OK);
    assert_int_equal(sp_run(b, sp_now(b) + 0.05, rb, 4096, &cb), SP_OK);
    assert_int_equal(ca, cb);
    for (s = 0; s < ca; ++s)
      if (ra[s].neuron != rb[s].neuron || !close_enough(ra[s].t, rb[s].t))
        fail_msg("%s: run spike %zu differs", g->name, s);
    print_message("# %-40s %5zu bytes, %zu + %zu spikes agree\n", g->name, len, (size_t)STEPS, ca);
    free(buf);
    sp_network_destroy(a);
    sp_network_destroy(b);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_files_continue_as_created),
  };
  if (argc != 3) {
    fprintf(stderr, "usage: test_golden GOLDEN_DIR FORMAT_VERSION\n");
    return 2;
  }
  golden_dir = argv[1];
  golden_version = atoi(argv[2]);
  return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
