/*
 * test_refsim.c - checks the reference simulator itself against closed-form results (free
 * periods, hand-computed cascades, refractory periods, input order, generator properties),
 * so that the oracle used by test_vs_reference.c is trustworthy on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refsim.h"

#define PI_D 3.14159265358979323846

static int close_rel(double a, double b, double rel) {
  double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  if (scale < 1e-300) return 1;
  return fabs(a - b) <= rel * scale;
}

#define assert_close(a, b, rel)                                                        \
  do {                                                                                 \
    double a_ = (a), b_ = (b);                                                         \
    if (!close_rel(a_, b_, (rel))) fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
  } while (0)

static ref_config base_config(int model, uint32_t n, const double *drives, const double *v0) {
  ref_config c;
  memset(&c, 0, sizeof c);
  c.model = model;
  c.n = n;
  c.tau = 0.01;
  c.drives = drives;
  c.v0 = v0;
  return c;
}

static void test_lif_free_period(void **state) {
  double drives[3] = {1.5, 3.0, 0.8}, v0[3] = {0.0, 0.0, 0.5};
  ref_config c = base_config(REF_LIF, 3, drives, v0);
  ref_sim *s = ref_create(&c);
  ref_spike sp;
  int k0 = 0, k1 = 0, step;
  (void)state;
  assert_non_null(s);
  for (step = 0; step < 50; ++step) {
    assert_int_equal(ref_step(s, &sp), 0);
    assert_true(sp.neuron < 2); /* neuron 2 has I < 1 and no input: never fires */
    if (sp.neuron == 0)
      assert_close(sp.t, ++k0 * 0.01 * log(1.5 / 0.5), 1e-13);
    else
      assert_close(sp.t, ++k1 * 0.01 * log(3.0 / 2.0), 1e-13);
  }
  /* Neuron 2 relaxes towards its drive. */
  assert_close(ref_voltage(s, 2), 0.8 + (0.5 - 0.8) * exp(-ref_now(s) / 0.01), 1e-13);
  ref_destroy(s);
}

static void test_lif_no_spike(void **state) {
  double drives[2] = {1.0, 0.3}, v0[2] = {0.5, 0.9};
  ref_config c = base_config(REF_LIF, 2, drives, v0);
  ref_sim *s = ref_create(&c);
  (void)state;
  assert_non_null(s);
  assert_int_equal(ref_step(s, NULL), -1);
  assert_int_equal(ref_run(s, 1.0, NULL, 0), 0);
  assert_close(ref_voltage(s, 0), 1.0 - 0.5 * exp(-100.0), 1e-15);
  ref_destroy(s);
}

static void test_qif_free_period(void **state) {
  double drives[2] = {0.25, 2.0}, v0[2] = {0.0, -1e300};
  ref_config c = base_config(REF_QIF, 2, drives, v0);
  ref_sim *s = ref_create(&c);
  ref_spike sp;
  int k0 = 0, k1 = 0, step;
  (void)state;
  assert_non_null(s);
  for (step = 0; step < 40; ++step) {
    assert_int_equal(ref_step(s, &sp), 0);
    if (sp.neuron == 0) {
      /* starts at V = 0 (phi = 0): half a period to the first spike */
      assert_close(sp.t, (k0 + 0.5) * PI_D * 0.01 / 0.5, 1e-13);
      ++k0;
    } else {
      ++k1;
      assert_close(sp.t, k1 * PI_D * 0.01 / sqrt(2.0), 1e-13);
    }
  }
  ref_destroy(s);
}

/* The QIF PTC against the voltage picture: a jump w in V = sqrt(I) tan(phi/2). */
static void test_qif_input(void **state) {
  double drives[2] = {1.0, 0.49}, v0[2] = {0.0, 0.3};
  uint64_t row_ptr[3] = {0, 1, 1};
  uint32_t targets[1] = {1};
  double w = -0.7, t1, v_before;
  ref_config c = base_config(REF_QIF, 2, drives, v0);
  ref_sim *s;
  ref_spike sp;
  (void)state;
  c.recurrent.row_ptr = row_ptr;
  c.recurrent.targets = targets;
  c.recurrent.weight = w;
  s = ref_create(&c);
  assert_non_null(s);
  /* neuron 1 at phase 2 atan(0.3/0.7) reaches pi at t = (pi - phi) tau / (2*0.7) */
  t1 = (PI_D - 2.0 * atan(0.3 / 0.7)) * 0.01 / 1.4;
  assert_true(t1 > PI_D * 0.01 / 2.0); /* neuron 0 first */
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_close(sp.t, PI_D * 0.01 / 2.0, 1e-14);
  v_before = 0.7 * tan(0.5 * (2.0 * atan(0.3 / 0.7) + 1.4 * sp.t / 0.01));
  assert_close(ref_voltage(s, 1), v_before + w, 1e-12);
  assert_true(ref_voltage(s, 0) == -INFINITY);
  ref_destroy(s);
}

/* Neuron 0 fires and pushes 1 over threshold; 1 fires at the same instant and its synapse
   back onto 0 (and its self-synapse) are ignored. */
static void test_lif_cascade(void **state) {
  double drives[3] = {1.5, 0.5, 0.5}, v0[3] = {0.0, 0.6, 0.0};
  uint64_t row_ptr[4] = {0, 1, 4, 4};
  uint32_t targets[4] = {1, 0, 1, 2};
  double weights[4] = {0.5, 0.4, 0.3, 0.25};
  ref_config c = base_config(REF_LIF, 3, drives, v0);
  ref_sim *s;
  ref_spike sp;
  double t0 = 0.01 * log(3.0);
  (void)state;
  c.recurrent.row_ptr = row_ptr;
  c.recurrent.targets = targets;
  c.recurrent.weights = weights;
  s = ref_create(&c);
  assert_non_null(s);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_close(sp.t, t0, 1e-14);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 1);
  assert_true(sp.t == t0);
  assert_int_equal((int)ref_ignored_inputs(s), 2);
  assert_close(ref_voltage(s, 2), 0.5 * (1.0 - 1.0 / 3.0) + 0.25, 1e-14);
  assert_true(ref_voltage(s, 0) == 0.0);
  assert_true(ref_voltage(s, 1) == 0.0);
  /* next: neuron 0 after one more free period (nothing else can fire) */
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_close(sp.t, 2 * t0, 1e-14);
  ref_destroy(s);
}

/* Two neurons due at the same time: lower index first, and it counts as the second's
   input (the second has not fired yet). */
static void test_lif_equal_times(void **state) {
  double drives[2] = {2.0, 2.0}, v0[2] = {0.25, 0.25};
  uint64_t row_ptr[3] = {0, 1, 2};
  uint32_t targets[2] = {1, 0};
  ref_config c = base_config(REF_LIF, 2, drives, v0);
  ref_sim *s;
  ref_spike sp;
  (void)state;
  c.recurrent.row_ptr = row_ptr;
  c.recurrent.targets = targets;
  c.recurrent.weight = -0.5;
  s = ref_create(&c);
  assert_non_null(s);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_close(sp.t, 0.01 * log(1.75), 1e-14);
  /* neuron 1 was at threshold and got -0.5 */
  assert_close(ref_voltage(s, 1), 0.5, 1e-14);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 1);
  assert_close(sp.t, 0.01 * log(1.75) + 0.01 * log(1.5 / 1.0), 1e-14);
  ref_destroy(s);
}

/* ref_peek names the next spike without changing anything: lowest index at equal times;
   queued inputs are not taken into account. Free periods: neuron 1 at 0.01 ln(1.75) =
   5.6 ms, neurons 0 and 2 at 0.01 ln 3 = 11.0 ms (equal), neuron 3 never. */
static void test_peek(void **state) {
  double drives[4] = {1.5, 2.0, 1.5, 0.5}, v0[4] = {0.0, 0.25, 0.0, 0.0}, t = 0;
  uint64_t row_ptr[2] = {0, 1};
  uint32_t targets[1] = {1};
  ref_config c = base_config(REF_LIF, 4, drives, v0);
  ref_sim *s;
  ref_spike sp;
  uint32_t j = 9;
  (void)state;
  c.n_inputs = 1;
  c.inputs.row_ptr = row_ptr;
  c.inputs.targets = targets;
  c.inputs.weight = -1.5; /* V(1 ms) = 0.42 -> -1.08: next spike at 12.2 ms */
  s = ref_create(&c);
  assert_non_null(s);
  assert_int_equal(ref_peek(s, &t, &j), 0);
  assert_int_equal(j, 1);
  assert_close(t, 0.01 * log(1.75), 1e-14);
  /* an input queued before that spike delays it, but peek does not look at inputs */
  assert_int_equal(ref_input(s, 0, 0.001), 0);
  assert_int_equal(ref_peek(s, &t, &j), 0);
  assert_int_equal(j, 1);
  assert_close(t, 0.01 * log(1.75), 1e-14);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0); /* neuron 1 was delayed past 11 ms */
  assert_close(sp.t, 0.01 * log(3.0), 1e-14);
  assert_int_equal(ref_peek(s, &t, &j), 0);
  assert_int_equal(j, 2); /* the equal-time partner */
  assert_true(t == sp.t);
  ref_destroy(s);
  /* nobody will ever spike */
  c.n = 1;
  c.drives = drives + 3;
  c.v0 = v0 + 3;
  c.n_inputs = 0;
  s = ref_create(&c);
  assert_non_null(s);
  assert_int_equal(ref_peek(s, &t, &j), -1);
  ref_destroy(s);
}

static void test_lif_refractory(void **state) {
  double drives[2] = {1.5, 1.5}, v0[2] = {0.0, 0.5};
  uint64_t row_ptr[3] = {0, 0, 1};
  uint32_t targets[1] = {0};
  ref_config c = base_config(REF_LIF, 2, drives, v0);
  ref_sim *s;
  ref_spike sp;
  double T = 0.01 * log(3.0), t1 = 0.01 * log(2.0); /* neuron 1: (1.5-0.5)/0.5 */
  double v0_at_t1 = 1.5 - 1.5 * exp(-t1 / 0.01) + 0.2;
  (void)state;
  c.t_ref = 0.005;
  c.recurrent.row_ptr = row_ptr;
  c.recurrent.targets = targets;
  c.recurrent.weight = 0.2;
  s = ref_create(&c);
  assert_non_null(s);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 1);
  assert_close(sp.t, t1, 1e-14);
  assert_close(ref_voltage(s, 0), v0_at_t1, 1e-14);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0); /* V0 = 0.95 at t1; reaches 1 at t1 + tau ln(0.55/0.5) */
  assert_close(sp.t, t1 + 0.01 * log((1.5 - v0_at_t1) / 0.5), 1e-13);
  /* neuron 1 held at 0 until t1 + t_ref */
  assert_true(ref_voltage(s, 1) == 0.0);
  do {
    assert_int_equal(ref_step(s, &sp), 0);
  } while (sp.neuron != 1);
  assert_close(sp.t, t1 + 0.005 + T, 1e-13);
  (void)ref_run(s, sp.t + 0.002, NULL, 0);
  assert_true(ref_voltage(s, 1) == 0.0); /* still refractory */
  (void)ref_run(s, sp.t + 0.006, NULL, 0);
  assert_close(ref_voltage(s, 1), 1.5 - 1.5 * exp(-0.001 / 0.01), 1e-12);
  ref_destroy(s);
}

static void test_inputs_order(void **state) {
  double drives[2] = {0.0, 0.5}, v0[2] = {0.0, 0.0};
  uint64_t in_ptr[3] = {0, 1, 2};
  uint32_t in_tgt[2] = {0, 0};
  double in_w[2] = {0.7, -0.5};
  ref_config c = base_config(REF_LIF, 2, drives, v0);
  ref_sim *s;
  ref_spike sp;
  (void)state;
  c.n_inputs = 2;
  c.inputs.row_ptr = in_ptr;
  c.inputs.targets = in_tgt;
  c.inputs.weights = in_w;
  s = ref_create(&c);
  assert_non_null(s);
  /* t = 0.01: all inputs of one instant come before any spike at it, in queue order: 0.7,
     then 1.4 (threshold: committed to spike), then -0.5 ignored; the spike follows */
  assert_int_equal(ref_input(s, 1, 0.02), 0);
  assert_int_equal(ref_input(s, 0, 0.01), 0);
  assert_int_equal(ref_input(s, 0, 0.01), 0);
  assert_int_equal(ref_input(s, 1, 0.01), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_true(sp.t == 0.01);
  assert_int_equal((int)ref_ignored_inputs(s), 1);
  /* t = 0.02: -0.5 onto the reset neuron: no spike, all inputs applied */
  assert_int_equal(ref_step(s, &sp), -1);
  assert_true(ref_now(s) == 0.02);
  assert_close(ref_voltage(s, 0), -0.5, 1e-15);
  /* the order decides: -0.5 + 0.7 + 0.7 stays below, 0.7 + 0.7 - 0.5 fires */
  assert_int_equal(ref_input(s, 1, 0.03), 0);
  assert_int_equal(ref_input(s, 0, 0.03), 0);
  assert_int_equal(ref_input(s, 0, 0.03), 0);
  assert_int_equal((int)ref_run(s, 0.035, NULL, 0), 0);
  assert_close(ref_voltage(s, 0), (-0.5 * exp(-1.0) - 0.5 + 1.4) * exp(-0.5), 1e-14);
  /* t = 0.04: ~0.26 + 0.7 + 0.7 > 1: spike at 0.04 */
  assert_int_equal(ref_input(s, 0, 0.04), 0);
  assert_int_equal(ref_input(s, 0, 0.04), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_true(sp.t == 0.04);
  /* an input queued at the spike's instant after it is ignored (refractory) */
  assert_int_equal(ref_input(s, 0, 0.04), 0);
  assert_int_equal(ref_step(s, &sp), -1);
  assert_true(ref_now(s) == 0.04);
  assert_true(ref_voltage(s, 0) == 0.0);
  assert_int_equal((int)ref_ignored_inputs(s), 2);
  assert_int_equal(ref_input(s, 0, 0.01), -1); /* in the past */
  assert_int_equal(ref_input(s, 2, 0.05), -1); /* no such channel */
  ref_destroy(s);
}

/* One spike's synapses onto the same target: +0.4 takes it over threshold, the following
   -0.6 is ignored, the target spikes at the same instant. In the opposite order it stays
   below. */
static void test_commit_semantics(void **state) {
  double drives[3] = {1.5, 0.5, 0.5}, v0[3] = {0.0, 0.95, 0.95};
  uint64_t row_ptr[4] = {0, 4, 4, 4};
  uint32_t targets[4] = {1, 1, 2, 2};
  double weights[4] = {0.4, -0.6, -0.6, 0.4};
  ref_config c = base_config(REF_LIF, 3, drives, v0);
  ref_sim *s;
  ref_spike sp;
  double t0 = 0.01 * log(3.0), v_before = 0.5 + 0.45 * exp(-t0 / 0.01);
  (void)state;
  c.recurrent.row_ptr = row_ptr;
  c.recurrent.targets = targets;
  c.recurrent.weights = weights;
  s = ref_create(&c);
  assert_non_null(s);
  assert_true(v_before + 0.4 >= 1.0 && v_before - 0.6 + 0.4 < 1.0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 0);
  assert_close(ref_voltage(s, 2), v_before - 0.2, 1e-14);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_int_equal(sp.neuron, 1);
  assert_true(sp.t == t0);
  assert_int_equal((int)ref_ignored_inputs(s), 1);
  ref_destroy(s);
}

static void test_generator(void **state) {
  uint32_t out[400], n, k, j, i, seen;
  unsigned char mark[401];
  (void)state;
  for (n = 2; n <= 401; n += 57) {
    for (k = 1; k < n; k += (n / 7) + 1) {
      for (j = 0; j < n; j += (n / 5) + 1) {
        assert_int_equal(ref_procedural_targets(12345u, n, k, j, 1, out), 0);
        memset(mark, 0, sizeof mark);
        for (i = 0; i < k; ++i) {
          assert_true(out[i] < n);
          assert_true(out[i] != j);
          assert_false(mark[out[i]]);
          mark[out[i]] = 1;
          if (2 * k > n - 1 && i > 0) assert_true(out[i] > out[i - 1]);
        }
      }
    }
  }
  assert_int_equal(ref_procedural_targets(1u, 10, 10, 0, 1, out), -1);
  assert_int_equal(ref_procedural_targets(1u, 10, 10, 0, 0, out), 0);
  for (i = 0; i < 10; ++i) assert_int_equal(out[i], i);
  assert_int_equal(ref_procedural_targets(1u, 10, 9, 4, 1, out), 0);
  for (i = 0; i < 9; ++i) assert_int_equal(out[i], i < 4 ? i : i + 1);
  /* uniformity: over many sources every candidate is hit about equally often */
  {
    uint32_t hits[50];
    double chi2 = 0, expect;
    memset(hits, 0, sizeof hits);
    for (j = 0; j < 4000; ++j) {
      assert_int_equal(ref_procedural_targets(99u, 50, 5, j, 0, out), 0);
      for (i = 0; i < 5; ++i) hits[out[i]]++;
    }
    expect = 4000.0 * 5 / 50;
    for (i = 0; i < 50; ++i) chi2 += (hits[i] - expect) * (hits[i] - expect) / expect;
    seen = (uint32_t)chi2;
    assert_true(seen < 100); /* 49 degrees of freedom: mean 49 */
  }
  /* the different sources of one seed differ */
  {
    uint32_t a[5], b[5];
    assert_int_equal(ref_procedural_targets(7u, 1000, 5, 3, 1, a), 0);
    assert_int_equal(ref_procedural_targets(7u, 1000, 5, 4, 1, b), 0);
    assert_true(memcmp(a, b, sizeof a) != 0);
  }
}

/* Lemire's rejection: for m = 3 the threshold (2^32 - 3) % 3 = 1, so lo = 0 is rejected. A
   brute check of the mapping on the generator's own stream: every value is < m. */
static void test_mix64_known(void **state) {
  (void)state;
  /* splitmix64 finaliser of 0 is 0; of 1 a known constant */
  assert_true(ref_mix64(0) == 0);
  assert_true(ref_mix64(UINT64_C(1)) == UINT64_C(0x5692161d100b05e5));
}

/* ------------------------------------------------------------------------------------ */
/* Current-based synapses (tau_syn > 0)                                                  */

/* One neuron at rest (I = 0) and one input channel of weight w, fired at t_in. */
static ref_sim *syn_single(double tau_syn, double w, double drive, double t_ref) {
  static double drives[1], v0[1] = {0.0}, weights[1];
  static uint64_t row_ptr[2] = {0, 1};
  static uint32_t targets[1] = {0};
  ref_config c;
  drives[0] = drive;
  weights[0] = w;
  c = base_config(REF_LIF, 1, drives, v0);
  c.tau_syn = tau_syn;
  c.t_ref = t_ref;
  c.n_inputs = 1;
  c.inputs.row_ptr = row_ptr;
  c.inputs.targets = targets;
  c.inputs.weights = weights;
  return ref_create(&c);
}

/* The PSP peaks at tau tau_s/(tau - tau_s) ln(tau/tau_s) with height w tau/(tau - tau_s)
   (r^(tau_s/(tau - tau_s)) - r^(tau/(tau - tau_s))), r = tau_s/tau (tau_s = tau: at tau, w/e);
   J jumps by w tau/tau_s and decays with tau_s. */
static void test_syn_psp(void **state) {
  const double ratios[4] = {1.0, 0.5, 0.25, 0.13};
  int k;
  (void)state;
  for (k = 0; k < 4; ++k) {
    double tau = 0.01, ts = tau * ratios[k], w = 0.6, t_in = 0.003, tp, h;
    ref_sim *s = syn_single(ts, w, 0.0, 0.0);
    assert_non_null(s);
    if (ts == tau) {
      tp = tau;
      h = w / exp(1.0);
    } else {
      double r = ts / tau;
      tp = tau * ts / (tau - ts) * log(tau / ts);
      h = w * tau / (tau - ts) * (pow(r, ts / (tau - ts)) - pow(r, tau / (tau - ts)));
    }
    assert_int_equal(ref_input(s, 0, t_in), 0);
    assert_int_equal(ref_run(s, t_in + 1e-12, NULL, 0), 0);
    assert_close(ref_current(s, 0), w * tau / ts * exp(-1e-12 / ts), 1e-12);
    assert_int_equal(ref_run(s, t_in + tp, NULL, 0), 0);
    assert_close(ref_voltage(s, 0), h, 1e-12);
    assert_close(ref_current(s, 0), w * tau / ts * exp(-tp / ts), 1e-12);
    ref_destroy(s);
  }
}

static long double lambert_w0(long double z) {
  long double p = sqrtl(2.0L * (expl(1.0L) * z + 1.0L)), w = -1.0L + p - p * p / 3.0L;
  int i;
  for (i = 0; i < 60; ++i) {
    long double e = expl(w), f = w * e - z;
    long double step = f / (e * (w + 1) - (w + 2) * f / (2 * w + 2));
    w -= step;
    if (fabsl(step) < 1e-19L * fabsl(w)) break;
  }
  return w;
}

/* Spike times of a neuron at rest after one input: tau_s = tau/2, V = 2w (x - x^2) with
   x = exp(-s/tau), first V = 1 at x = (1 + sqrt(1 - 2/w))/2; tau_s = 2 tau, V = w (y - y^2),
   y = exp(-s/tau_s), at y = (1 + sqrt(1 - 4/w))/2; tau_s = tau, V = w u exp(-u), u = s/tau,
   at u = -W0(-1/w). Below those weights' thresholds (peaks w/2, w/4, w/e) nothing fires. */
static void test_syn_spike_times(void **state) {
  const double tau = 0.01, t_in = 0.002;
  ref_spike sp;
  ref_sim *s;
  (void)state;
  s = syn_single(tau / 2, 3.0, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_close(sp.t, t_in - tau * log((1 + sqrt(1 - 2 / 3.0)) / 2), 1e-14);
  assert_int_equal(ref_step(s, &sp), -1);
  ref_destroy(s);

  s = syn_single(2 * tau, 5.0, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_close(sp.t, t_in - 2 * tau * log((1 + sqrt(1 - 4 / 5.0)) / 2), 1e-14);
  ref_destroy(s);

  s = syn_single(tau, 4.0, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_close(sp.t, t_in - tau * (double)lambert_w0(-0.25L), 1e-14);
  ref_destroy(s);

  /* A peak of 1 + 1e-9: above threshold for a few 1e-7 s only, well inside one scan step. */
  s = syn_single(tau / 2, 2.0 + 2e-9, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), 0);
  assert_close(sp.t, t_in - tau * log((1 + sqrt(1 - 2 / (2.0 + 2e-9))) / 2), 1e-8);
  ref_destroy(s);

  s = syn_single(tau / 2, 1.999, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), -1);
  ref_destroy(s);
  s = syn_single(tau, 2.718, 0.0, 0.0);
  assert_int_equal(ref_input(s, 0, t_in), 0);
  assert_int_equal(ref_step(s, &sp), -1);
  ref_destroy(s);
}

/* The ODE by classical Runge-Kutta on a fine grid (sharing nothing with the closed form):
   a neuron with I = 1.5 fires, is held at 0 for t_ref while an inhibitory input arrives and
   J keeps integrating, then relaxes; V at several times after the release. */
static void rk4(double *v, double *j, double I, double tau, double ts, double t_span, int steps) {
  double h = t_span / steps;
  int k;
  for (k = 0; k < steps; ++k) {
    double v1 = (-*v + I + *j) / tau, j1 = -*j / ts;
    double v2 = (-(*v + 0.5 * h * v1) + I + *j + 0.5 * h * j1) / tau,
           j2 = -(*j + 0.5 * h * j1) / ts;
    double v3 = (-(*v + 0.5 * h * v2) + I + *j + 0.5 * h * j2) / tau,
           j3 = -(*j + 0.5 * h * j2) / ts;
    double v4 = (-(*v + h * v3) + I + *j + h * j3) / tau, j4 = -(*j + h * j3) / ts;
    *v += h / 6 * (v1 + 2 * v2 + 2 * v3 + v4);
    *j += h / 6 * (j1 + 2 * j2 + 2 * j3 + j4);
  }
}

static void test_syn_refractory_vs_rk4(void **state) {
  const double ratios[3] = {1.0, 0.5, 0.13};
  int k;
  (void)state;
  for (k = 0; k < 3; ++k) {
    const double tau = 0.01, ts = tau * ratios[k], I = 1.5, t_ref = 0.004, w = -0.3;
    double t_spike = tau * log(3.0), t_in = t_spike + 0.001, v = 0, j = 0, t;
    ref_spike sp;
    ref_sim *s = syn_single(ts, w, I, t_ref);
    assert_non_null(s);
    assert_int_equal(ref_input(s, 0, t_in), 0);
    assert_int_equal(ref_step(s, &sp), 0);
    assert_close(sp.t, t_spike, 1e-14);
    /* Held: V = 0 through the input, J = w tau/tau_s since it. */
    assert_int_equal(ref_run(s, t_in + 0.002, NULL, 0), 0);
    assert_true(ref_voltage(s, 0) == 0.0);
    assert_close(ref_current(s, 0), w * tau / ts * exp(-0.002 / ts), 1e-13);
    /* Released at t_spike + t_ref with V = 0 and that J, then the ODE. */
    j = w * tau / ts * exp(-(t_spike + t_ref - t_in) / ts);
    t = t_spike + t_ref;
    for (; t < t_spike + t_ref + 0.02; t += 0.004) {
      if (ref_run(s, t + 0.004, &sp, 1) != 0) break;
      rk4(&v, &j, I, tau, ts, 0.004, 4000);
      assert_close(ref_voltage(s, 0), v, 1e-10);
      assert_close(ref_current(s, 0), j, 1e-10);
    }
    ref_destroy(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_psp),
      cmocka_unit_test(test_syn_spike_times),
      cmocka_unit_test(test_syn_refractory_vs_rk4),
      cmocka_unit_test(test_lif_free_period),
      cmocka_unit_test(test_lif_no_spike),
      cmocka_unit_test(test_qif_free_period),
      cmocka_unit_test(test_qif_input),
      cmocka_unit_test(test_lif_cascade),
      cmocka_unit_test(test_lif_equal_times),
      cmocka_unit_test(test_lif_refractory),
      cmocka_unit_test(test_inputs_order),
      cmocka_unit_test(test_commit_semantics),
      cmocka_unit_test(test_peek),
      cmocka_unit_test(test_generator),
      cmocka_unit_test(test_mix64_known),
  };
  return cmocka_run_group_tests_name("refsim", tests, NULL, NULL);
}
