/* test_vector_math.c - what the run-time vector math choice changes, as the header states it:
   the same networks run here (default: vector path where built and the CPU has AVX2) and in a
   child process of this program with SPARSEPROP_VECTOR_MATH=off (scalar path). LIF must give
   bit-identical spikes and gradients, QIF in the time frame bit-identical spikes, QIF in the
   phase frame the same spike sequence with times within the stated tolerance over a short
   horizon, QIF gradients (both frames) within a relative 1e-8. Where
   the vector path is built and the CPU has AVX2, the QIF phase-frame results must differ in
   some bit: the switch really changes the path. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "../skip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

/* The header's figure for QIF spike times, relative to max(1 s, t), over the first 1000
   spikes of this network (about 10 tau); and for gradients, relative. */
#define QIF_TOLERANCE 1e-12
#define GRAD_TOLERANCE 1e-8
#define N_NEURONS 400
#define N_SPIKES 1000

enum { CASE_LIF_PHASE, CASE_LIF_TIME, CASE_QIF_PHASE, CASE_QIF_TIME, N_CASES };
static const char *const case_names[N_CASES] = {"LIF phase frame", "LIF time frame",
                                                "QIF phase frame", "QIF time frame"};

/* One case's results: spikes, then the drive and weight gradients of L = sum of spike times. */
typedef struct result {
  uint32_t neuron[N_SPIKES];
  double t[N_SPIKES];
  double grad_drive[N_NEURONS];
  double grad_weight;
} result;

static char *g_self; /* argv[0] */

/* A sparse random network with one shared recurrent weight (procedural targets): the phase
   frame batches its QIF inputs, the path the vector math serves. */
static void run_case(int which, result *r) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_spike buf[N_SPIKES];
  double dl_dt[N_SPIKES];
  size_t count = 0, i;
  const int qif = which == CASE_QIF_PHASE || which == CASE_QIF_TIME;
  sp_network_desc_init(&d, sizeof d);
  d.model = qif ? SP_MODEL_QIF : SP_MODEL_LIF;
  d.n = N_NEURONS;
  d.tau = 0.01;
  d.drive = qif ? 1.0 : 1.5;
  d.recurrent.k = 40;
  d.recurrent.seed = 12345;
  d.recurrent.weight = qif ? -0.05 : -0.02;
  d.init_seed = 777;
  d.frame = (which == CASE_LIF_TIME || which == CASE_QIF_TIME) ? SP_FRAME_TIME : SP_FRAME_PHASE;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_int_equal(sp_network_frame(net), d.frame);
  assert_sp_ok(sp_record(net, N_SPIKES));
  /* A long t_end: the run stops when buf holds N_SPIKES spikes. */
  assert_sp_ok(sp_run(net, 1e6, buf, N_SPIKES, &count));
  assert_int_equal(count, N_SPIKES);
  for (i = 0; i < N_SPIKES; i++) {
    r->neuron[i] = buf[i].neuron;
    r->t[i] = buf[i].t;
    dl_dt[i] = 1.0;
  }
  assert_sp_ok(sp_backward(net, dl_dt, N_SPIKES, NULL));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_DRIVES, r->grad_drive, N_NEURONS));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_WEIGHTS, &r->grad_weight, 1));
  sp_network_destroy(net);
}

/* Child mode: every case's results as exact hex floats on stdout. */
static int child_main(void) {
  static result r;
  int c;
  size_t i;
  for (c = 0; c < N_CASES; c++) {
    run_case(c, &r);
    for (i = 0; i < N_SPIKES; i++) printf("%u %a\n", (unsigned)r.neuron[i], r.t[i]);
    for (i = 0; i < N_NEURONS; i++) printf("%a\n", r.grad_drive[i]);
    printf("%a\n", r.grad_weight);
  }
  return 0;
}

/* Reads one case written by child_main. */
static int read_result(FILE *f, result *r) {
  size_t i;
  unsigned n;
  for (i = 0; i < N_SPIKES; i++) {
    if (fscanf(f, "%u %la", &n, &r->t[i]) != 2) return 0;
    r->neuron[i] = n;
  }
  for (i = 0; i < N_NEURONS; i++)
    if (fscanf(f, "%la", &r->grad_drive[i]) != 1) return 0;
  return fscanf(f, "%la", &r->grad_weight) == 1;
}

static result g_default[N_CASES], g_scalar[N_CASES];

/* This process on the default path; a child forced to the scalar path. */
static int setup(void **state) {
  char cmd[4096];
  FILE *f;
  int c, ok = 1;
  (void)state;
  /* Decided at the first QIF batch of the process: before any network runs. */
  if (unsetenv("SPARSEPROP_VECTOR_MATH") != 0) return -1;
  for (c = 0; c < N_CASES; c++) run_case(c, &g_default[c]);
  if (strlen(g_self) + 64 > sizeof cmd || strchr(g_self, '\'')) return -1;
  snprintf(cmd, sizeof cmd, "SPARSEPROP_VECTOR_MATH=off '%s' --child", g_self);
  f = popen(cmd, "r");
  if (!f) return -1;
  for (c = 0; c < N_CASES && ok; c++) ok = read_result(f, &g_scalar[c]);
  if (pclose(f) != 0 || !ok) {
    fprintf(stderr, "the child (%s) failed or wrote too little\n", cmd);
    return -1;
  }
  return 0;
}

static int same_spikes(const result *a, const result *b) {
  size_t i;
  for (i = 0; i < N_SPIKES; i++)
    if (a->neuron[i] != b->neuron[i] || !abi_same_bits(a->t[i], b->t[i])) return 0;
  return 1;
}

static int same_bits(const result *a, const result *b) {
  size_t i;
  if (!same_spikes(a, b)) return 0;
  for (i = 0; i < N_NEURONS; i++)
    if (!abi_same_bits(a->grad_drive[i], b->grad_drive[i])) return 0;
  return abi_same_bits(a->grad_weight, b->grad_weight);
}

static void assert_same_spikes(int c) {
  size_t i;
  const result *a = &g_default[c], *b = &g_scalar[c];
  for (i = 0; i < N_SPIKES; i++)
    if (a->neuron[i] != b->neuron[i] || !abi_same_bits(a->t[i], b->t[i]))
      abi_fail_at(__FILE__, __LINE__,
                  "%s, spike %lu: neuron %u at %a (default) vs %u at %a "
                  "(scalar)",
                  case_names[c], (unsigned long)i, (unsigned)a->neuron[i], a->t[i],
                  (unsigned)b->neuron[i], b->t[i]);
}

/* Gradients within GRAD_TOLERANCE (relative): the QIF backward pass batches its tangents in
   every frame. Returns the largest difference. */
static double assert_close_grads(int c) {
  const result *a = &g_default[c], *b = &g_scalar[c];
  double worst = 0;
  size_t i;
  for (i = 0; i <= N_NEURONS; i++) {
    double x = i < N_NEURONS ? a->grad_drive[i] : a->grad_weight;
    double y = i < N_NEURONS ? b->grad_drive[i] : b->grad_weight;
    double err = fabs(x - y) / fmax(1e-300, fmax(fabs(x), fabs(y)));
    if (!(err <= GRAD_TOLERANCE))
      abi_fail_at(__FILE__, __LINE__, "%s, gradient %lu: %.17g (default) vs %.17g (scalar)",
                  case_names[c], (unsigned long)i, x, y);
    if (err > worst) worst = err;
  }
  return worst;
}

/* LIF never uses the vector math: spikes and gradients bit-identical. */
static void test_lif_bit_identical(void **state) {
  int c;
  (void)state;
  for (c = CASE_LIF_PHASE; c <= CASE_LIF_TIME; c++) {
    assert_same_spikes(c);
    if (!same_bits(&g_default[c], &g_scalar[c]))
      abi_fail_at(__FILE__, __LINE__, "%s: the gradients differ between the paths", case_names[c]);
  }
}

/* QIF in the time frame: spikes bit-identical (its inputs are applied one by one, scalar). */
static void test_qif_time_frame(void **state) {
  (void)state;
  assert_same_spikes(CASE_QIF_TIME);
  printf("# QIF time frame: spikes bit-identical, largest relative gradient difference %.3g\n",
         assert_close_grads(CASE_QIF_TIME));
}

/* The phase frame's batched QIF inputs: the same spikes in the same order, times within the
   stated tolerance over this short horizon. */
static void test_qif_phase_frame(void **state) {
  const result *a = &g_default[CASE_QIF_PHASE], *b = &g_scalar[CASE_QIF_PHASE];
  double worst = 0, worst_grad;
  size_t i;
  (void)state;
  for (i = 0; i < N_SPIKES; i++) {
    double err = fabs(a->t[i] - b->t[i]) / fmax(1.0, fabs(b->t[i]));
    if (a->neuron[i] != b->neuron[i])
      abi_fail_at(__FILE__, __LINE__, "spike %lu: neuron %u (default) vs %u (scalar)",
                  (unsigned long)i, (unsigned)a->neuron[i], (unsigned)b->neuron[i]);
    if (!(err <= QIF_TOLERANCE))
      abi_fail_at(__FILE__, __LINE__, "spike %lu: %.17g (default) vs %.17g (scalar)",
                  (unsigned long)i, a->t[i], b->t[i]);
    if (err > worst) worst = err;
  }
  worst_grad = assert_close_grads(CASE_QIF_PHASE);
  printf("# QIF phase frame, first %d spikes (t < %.3g s): largest spike-time difference "
         "%.3g s, largest relative gradient difference %.3g\n",
         N_SPIKES, b->t[N_SPIKES - 1], worst, worst_grad);
}

/* Where this build has the vector path and the CPU has AVX2, the default run used it: some
   QIF phase-frame bit must differ from the scalar child (or the switch did nothing). */
static void test_switch_changes_the_path(void **state) {
  (void)state;
#if defined(ABI_EXPECT_VECTOR_MATH) && (defined(__x86_64__) || defined(__i386__))
  if (!__builtin_cpu_supports("avx2")) TEST_SKIP("the CPU has no AVX2");
  if (same_bits(&g_default[CASE_QIF_PHASE], &g_scalar[CASE_QIF_PHASE]))
    abi_fail_at(__FILE__, __LINE__,
                "QIF phase frame: the default and the forced scalar path "
                "agree to the bit; is the vector path used at all?");
#else
  TEST_SKIP("this build has no vector path");
#endif
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lif_bit_identical),
      cmocka_unit_test(test_qif_time_frame),
      cmocka_unit_test(test_qif_phase_frame),
      cmocka_unit_test(test_switch_changes_the_path),
  };
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_main();
  g_self = argv[0];
  return cmocka_run_group_tests_name("abi_vector_math", tests, setup, NULL);
}
