/* Golden files: tests/io/golden holds one saved network per variant in format version 1,
 * written by the library at commit 03b41b6 (tests/fuzz/make_corpus --golden), and
 * tests/io/golden-v2 the same in format version 2; tests/io/golden-v34 holds one file per
 * variant of golden_v34_variants (make_corpus --golden-v34) in format version 3 (current-based
 * synapses) or 4 (EIF and custom models with their phase tables). Never regenerate any of them:
 * they are what earlier versions wrote. Each must keep loading in every later version, and
 * continue as a network created independently from the same description (tests/io/variants.h),
 * after the same calls, does: the same neurons spike in the same order at the same times. Times
 * are compared to 1e-9 s rather than bit for bit: a later version may represent the state
 * differently (a version-1 file is then converted), and a one-ulp difference in a state is not
 * a format error; a misread field changes spike times by far more. A version-3 or -4 file must
 * also load without calling a custom model's F and re-save, as loaded, to its own bytes. Run
 * with the golden directory and its format version (1, 2, or v34) as the arguments.
 * Each file also loads to the same network in the full and the compact layout
 * (SPARSEPROP_COMPACT_MIN_N=1, where its contents allow it): both save the same bytes (a
 * version-1 file's guessed flags included; an outside reader of FORMAT.md found the layouts
 * guessing differently for neurons taken to threshold at now). */
#define _POSIX_C_SOURCE 200809L /* setenv */
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
#include "continuation.h"

#define STEPS 400

/* Whether no neuron of net can reach the threshold 1 on its own: every drive and voltage
   below or at it (a LIF voltage relaxes towards its drive). */
static int can_never_spike(const sp_network *net) {
  double drives[GOLDEN_N], v[GOLDEN_N];
  uint32_t i;
  assert_int_equal(sp_get_params(net, SP_PARAM_DRIVES, drives, GOLDEN_N), SP_OK);
  assert_int_equal(sp_voltages(net, v, GOLDEN_N), SP_OK);
  for (i = 0; i < GOLDEN_N; ++i)
    if (!(drives[i] <= 1.0 && v[i] < 1.0)) return 0;
  return 1;
}

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

/* The file's bytes loaded in the compact layout where they allow it save what the full
   layout's copy `a` saves. */
static void check_layouts_agree(const char *name, const unsigned char *buf, size_t len,
                                const sp_network *a) {
  sp_network *d = NULL;
  unsigned char *full, *compact;
  size_t full_len = 0, compact_len = 0, s;
  assert_int_equal(setenv("SPARSEPROP_COMPACT_MIN_N", "1", 1), 0);
  if (sp_load(buf, len, NULL, &d) != SP_OK) fail_msg("%s (compact): %s", name, sp_last_error());
  assert_int_equal(unsetenv("SPARSEPROP_COMPACT_MIN_N"), 0);
  full = save(a, &full_len);
  compact = save(d, &compact_len);
  assert_int_equal(full_len, compact_len);
  for (s = 0; s < full_len; ++s)
    if (full[s] != compact[s])
      fail_msg("%s: saved byte %zu is 0x%02x from the full layout, 0x%02x from the compact one",
               name, s, full[s], compact[s]);
  free(full);
  free(compact);
  sp_network_destroy(d);
}

/* Loads the file of variant `name` from golden_dir, checks its version byte and that it
 * continues as `created` (the same description after the same calls; destroyed here). With
 * `resave`, the loaded copy must save to the file's bytes. */
static void check_file(const char *name, int version, int inputs, sp_network *created, int resave) {
  char path[1024];
  unsigned char *buf;
  size_t len = 0, s, steps = 0, ca = 0, cb = 0;
  sp_network *a = NULL, *b = created, *c = NULL;
  sp_spike sa, sb;
  static sp_spike ra[4096], rb[4096];
  double va[GOLDEN_N], vb[GOLDEN_N];
  uint32_t i;
  long calls = golden_f_calls;
  snprintf(path, sizeof path, "%s/%s.spnet", golden_dir, name);
  buf = read_all(path, &len);
  if (!buf) fail_msg("cannot read %s", path);
  /* The format version, as checked in. */
  if (!(len > 12 && buf[8] == version && buf[9] == 0 && buf[10] == 0 && buf[11] == 0))
    fail_msg("%s: not format version %d", name, version);
  if (sp_load(buf, len, NULL, &a) != SP_OK) fail_msg("%s: %s", name, sp_last_error());
  assert_int_equal(sp_load_file(path, &c), SP_OK);
  sp_network_destroy(c);
  check_layouts_agree(name, buf, len, a);
  /* A custom model's F is not needed: the file carries its tables. */
  assert_int_equal(golden_f_calls, calls);
  if (resave) {
    size_t len2 = 0;
    unsigned char *buf2;
    assert_int_equal(sp_save(a, NULL, 0, &len2), SP_OK);
    assert_int_equal(len2, len);
    buf2 = malloc(len2);
    assert_non_null(buf2);
    assert_int_equal(sp_save(a, buf2, len2, &len2), SP_OK);
    for (s = 0; s < len; ++s)
      if (buf2[s] != buf[s])
        fail_msg("%s: re-saved byte %zu is 0x%02x, the file's 0x%02x", name, s, buf2[s], buf[s]);
    free(buf2);
  }
  /* (Equal on the build that wrote the files; another build, e.g. clang without the AVX2
     QIF path, may differ in the last bits.) */
  if (!close_enough(sp_now(a), sp_now(b)))
    fail_msg("%s: now %.17g loaded, %.17g created", name, sp_now(a), sp_now(b));
  assert_int_equal(sp_network_frame(a), sp_network_frame(b));
  assert_int_equal(sp_network_size(a), GOLDEN_N);
  assert_int_equal(sp_voltages(a, va, GOLDEN_N), SP_OK);
  assert_int_equal(sp_voltages(b, vb, GOLDEN_N), SP_OK);
  /* Compared as phases, atan(V): right after a QIF reset V sits at the pole (about -1e16),
     where one ulp of phase moves V by orders of magnitude. */
  for (i = 0; i < GOLDEN_N; ++i)
    if (!close_enough(atan(va[i]), atan(vb[i])))
      fail_msg("%s: voltage %u: %.17g loaded, %.17g created", name, i, va[i], vb[i]);
  for (s = 0; s < STEPS; ++s) {
    sp_status xa = sp_step(a, &sa), xb = sp_step(b, &sb);
    assert_int_equal(xa, xb);
    if (xa != SP_OK) {
      /* Falling silent is right only for a network that can never spike again without input
         (SP_ERR_STATE): every drive at most the threshold 1, every voltage below it (LIF; a
         QIF neuron with a positive drive always spikes again). */
      assert_int_equal(xa, SP_ERR_STATE);
      assert_true(can_never_spike(b));
      break;
    }
    if (sa.neuron != sb.neuron || !close_enough(sa.t, sb.t))
      fail_msg("%s: spike %zu: neuron %u at %.17g loaded, %u at %.17g created", name, s, sa.neuron,
               sa.t, sb.neuron, sb.t);
  }
  steps = s; /* (the spikes compared) */
  /* Inputs queued after loading are applied alike too. */
  if (inputs) {
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
      fail_msg("%s: run spike %zu differs", name, s);
  print_message("# %-40s v%d %s frame %5zu bytes, %zu + %zu spikes agree\n", name, version,
                sp_network_frame(b) == SP_FRAME_PHASE ? "phase" : "time", len, steps, ca);
  free(buf);
  sp_network_destroy(a);
  sp_network_destroy(b);
}

static void test_golden_files_continue_as_created(void **state) {
  size_t v;
  (void)state;
  if (golden_version == 34) {
    for (v = 0; v < GOLDEN_V34_COUNT; ++v) {
      const golden_v34_variant *g = &golden_v34_variants[v];
      sp_network *b = NULL;
      if (golden_v34_build(g, &b) != SP_OK) fail_msg("%s: %s", g->base.name, sp_last_error());
      check_file(g->base.name, golden_v34_version(g), g->base.inputs, b, 1);
    }
    return;
  }
  for (v = 0; v < GOLDEN_COUNT; ++v) {
    const golden_variant *g = &golden_variants[v];
    sp_network *b = NULL;
    assert_int_equal(golden_build(g, &b), SP_OK);
    check_file(g->name, golden_version, g->inputs, b, 0);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_files_continue_as_created),
  };
  if (argc != 3) {
    fprintf(stderr, "usage: test_golden GOLDEN_DIR FORMAT_VERSION (1, 2, or v34)\n");
    return 2;
  }
  golden_dir = argv[1];
  /* v34: the files of golden_v34_variants, each in its own version (3 or 4). */
  golden_version = strcmp(argv[2], "v34") == 0 ? 34 : atoi(argv[2]);
  return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
