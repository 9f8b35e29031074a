/*
 * test_refsim_gen.c - checks the reference simulator's one-variable models (REF_EIF,
 * REF_CUSTOM: quadrature of the time of flight) against independent results: F = -V against
 * the reference's closed-form LIF, F = V^2 against the closed form
 * V(t) = sqrt(I) tan(sqrt(I) t/tau + atan(V0/sqrt(I))), and EIF against a composite Simpson
 * rule for the period and a fixed-step RK4 for the voltage, both in long double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refsim.h"

static double rel_err(double a, double b) {
  double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return scale > 0 ? fabs(a - b) / scale : 0;
}

static double f_lif(double v, void *ctx) {
  (void)ctx;
  return -v;
}
static double f_qif(double v, void *ctx) {
  (void)ctx;
  return v * v;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static double uniform(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* A random explicit network with mixed-sign weights (strong enough for cascades). */
typedef struct net {
  uint32_t n;
  uint64_t *ptr;
  uint32_t *tgt;
  double *w;
  double *drives;
  double *v0;
} net;

static net make_net(uint32_t n, uint32_t k, double w_exc, double w_inh, double drive_lo,
                    double drive_hi, double v0_lo, double v0_hi) {
  net x;
  uint32_t i, j;
  x.n = n;
  x.ptr = (uint64_t *)malloc((n + 1) * sizeof(uint64_t));
  x.tgt = (uint32_t *)malloc((size_t)n * k * sizeof(uint32_t));
  x.w = (double *)malloc((size_t)n * k * sizeof(double));
  x.drives = (double *)malloc(n * sizeof(double));
  x.v0 = (double *)malloc(n * sizeof(double));
  for (i = 0; i <= n; ++i) x.ptr[i] = (uint64_t)i * k;
  for (i = 0; i < n; ++i) {
    for (j = 0; j < k; ++j) {
      uint32_t t = (uint32_t)(uniform() * (n - 1));
      x.tgt[i * k + j] = t >= i ? t + 1 : t;
      x.w[i * k + j] = uniform() < 0.5 ? w_exc * (0.5 + uniform()) : w_inh * (0.5 + uniform());
    }
    x.drives[i] = drive_lo + (drive_hi - drive_lo) * uniform();
    x.v0[i] = v0_lo + (v0_hi - v0_lo) * uniform();
  }
  return x;
}

static void free_net(net *x) {
  free(x->ptr);
  free(x->tgt);
  free(x->w);
  free(x->drives);
  free(x->v0);
}

static ref_config config_of(const net *x, int model) {
  ref_config c;
  memset(&c, 0, sizeof c);
  c.model = model;
  c.n = x->n;
  c.tau = 0.01;
  c.drives = x->drives;
  c.v0 = x->v0;
  c.recurrent.row_ptr = x->ptr;
  c.recurrent.targets = x->tgt;
  c.recurrent.weights = x->w;
  return c;
}

/* F = -V, threshold 1, reset 0 is the LIF: the same spikes as the closed-form REF_LIF, with
   mixed-sign weights, cascades (inputs that take V over threshold) and a refractory period. */
static void test_custom_lif_is_lif(void **state) {
  /* Weights small enough that the network is not chaotic over the horizon (with 0.3 and
     -0.25, differences of 1e-16 grow tenfold every 150 spikes in both simulators alike). */
  net x = make_net(40, 6, 0.06, -0.08, 1.05, 1.6, 0.0, 0.95);
  ref_config a = config_of(&x, REF_LIF), b = config_of(&x, REF_CUSTOM);
  ref_sim *lif, *cus;
  ref_spike sa, sb;
  double worst = 0, last = -1;
  int k, cascades = 0;
  (void)state;
  b.v_reset = 0;
  b.v_spike = 1;
  b.f = f_lif;
  a.t_ref = b.t_ref = 0.0005;
  lif = ref_create(&a);
  cus = ref_create(&b);
  assert_non_null(lif);
  assert_non_null(cus);
  for (k = 0; k < 3000; ++k) {
    assert_int_equal(ref_step(lif, &sa), 0);
    assert_int_equal(ref_step(cus, &sb), 0);
    if (sa.neuron != sb.neuron)
      fail_msg("spike %d: LIF neuron %u, custom %u (worst so far %.2e)", k, sa.neuron, sb.neuron,
               worst);
    if (rel_err(sa.t, sb.t) > worst) worst = rel_err(sa.t, sb.t);
    if (k > 0 && sa.t == last) ++cascades;
    last = sa.t;
  }
  printf("# custom F = -V vs LIF: 3000 spikes (%d at the time of the previous one), worst "
         "relative time error %.2e\n",
         cascades, worst);
  assert_true(worst < 1e-12);
  assert_true(cascades > 0);
  assert_true(ref_ignored_inputs(lif) == ref_ignored_inputs(cus));
  ref_destroy(lif);
  ref_destroy(cus);
  free_net(&x);
}

/* F = V^2, reset -20, spike at +inf: free period and the response to inputs against the
   closed form, followed in long double alongside. */
static void test_custom_qif_closed_form(void **state) {
  const double I = 0.7, vr = -20, tau = 0.01;
  const long double s = sqrtl(I);
  double drives[1], v0[1];
  uint64_t ptr[2] = {0, 1};
  uint32_t tgt[1] = {0};
  double w[1] = {0};
  ref_config c;
  ref_sim *r;
  ref_spike sp;
  long double t0 = 0, vv0 = -3.0L, next;
  double worst = 0;
  int k;
  (void)state;
  drives[0] = I;
  v0[0] = -3.0;
  memset(&c, 0, sizeof c);
  c.model = REF_CUSTOM;
  c.n = 1;
  c.tau = tau;
  c.drives = drives;
  c.v0 = v0;
  c.v_reset = vr;
  c.v_spike = INFINITY;
  c.f = f_qif;
  c.n_inputs = 1;
  c.inputs.row_ptr = ptr;
  c.inputs.targets = tgt;
  c.inputs.weights = w;
  /* Each second interval gets an input of weight 1.7 halfway to the spike. */
  w[0] = 1.7;
  r = ref_create(&c);
  assert_non_null(r);
  for (k = 0; k < 300; ++k) {
    /* Next spike of the closed form from (t0, vv0): sqrt(I)(t - t0)/tau + atan(vv0/s) = pi/2. */
    next = t0 + tau * (1.5707963267948966192313216916397514L - atanl(vv0 / s)) / s;
    if (k % 2 == 1) {
      /* An input of weight 1.7 halfway to the spike. */
      long double tin = t0 + 0.5L * (next - t0);
      long double vin = s * tanl(s * (tin - t0) / tau + atanl(vv0 / s)) + 1.7L;
      assert_int_equal(ref_input(r, 0, (double)tin), 0);
      t0 = (double)tin;
      vv0 = vin;
      next = t0 + tau * (1.5707963267948966192313216916397514L - atanl(vv0 / s)) / s;
    }
    assert_int_equal(ref_step(r, &sp), 0);
    if (rel_err(sp.t, (double)next) > worst) worst = rel_err(sp.t, (double)next);
    t0 = sp.t;
    vv0 = vr;
  }
  printf("# custom F = V^2 vs closed form: 300 spikes with inputs, worst relative error %.2e\n",
         worst);
  assert_true(worst < 1e-13);
  ref_destroy(r);
}

/* A network of F = V^2 neurons (reset -20, spike at +inf) with mixed-sign inputs and a
   refractory period: the quadrature model against REF_QIF_RESET, the closed form in phases. */
static void test_custom_qif_network(void **state) {
  /* Weak enough that the network's chaos (with 0.8 and -1.0, differences grow tenfold every
     50 spikes) leaves the 2000 spikes comparable. */
  net x = make_net(30, 5, 0.1, -0.1, 0.3, 2.0, -5.0, 5.0);
  ref_config a = config_of(&x, REF_QIF_RESET), b = config_of(&x, REF_CUSTOM);
  ref_sim *qif, *cus;
  ref_spike sa, sb;
  double worst = 0;
  int k;
  (void)state;
  a.v_reset = b.v_reset = -20;
  b.v_spike = INFINITY;
  b.f = f_qif;
  a.t_ref = b.t_ref = 0.0002;
  qif = ref_create(&a);
  cus = ref_create(&b);
  assert_non_null(qif);
  assert_non_null(cus);
  for (k = 0; k < 2000; ++k) {
    assert_int_equal(ref_step(qif, &sa), 0);
    assert_int_equal(ref_step(cus, &sb), 0);
    if (sa.neuron != sb.neuron)
      fail_msg("spike %d: closed form neuron %u, quadrature %u (worst so far %.2e)", k, sa.neuron,
               sb.neuron, worst);
    if (rel_err(sa.t, sb.t) > worst) worst = rel_err(sa.t, sb.t);
  }
  printf("# custom F = V^2 vs closed-form QIF with reset -20: 2000 spikes, worst relative "
         "time error %.2e\n",
         worst);
  assert_true(worst < 1e-12);
  assert_true(rel_err(ref_voltage(qif, 3), ref_voltage(cus, 3)) < 1e-11);
  ref_destroy(qif);
  ref_destroy(cus);
  free_net(&x);
}

/* EIF: the free period against a composite Simpson rule of 1/G (long double, 2 10^6 panels,
   to V_T + 40 D_T, plus exp(-40)), the voltage at half the period against fixed-step RK4, and
   a drive below V_T - D_T refused. */
static void test_eif_single_neuron(void **state) {
  const long double I = 1.2L, vr = 0, vt = 1, dt = 0.1L, tau = 0.01L;
  double drives[1] = {1.2}, v0[1] = {0.0};
  ref_config c;
  ref_sim *r;
  ref_spike sp;
  long double a = vr, b = vt + 40 * dt, h, sum = 0, carry = 0, T, v;
  const long n = 2000000;
  long j;
  (void)state;
  h = (b - a) / n;
  /* (Compensated sums, here and in RK4 below: where long double is double, as on 32-bit ARM,
     plain sums of 10^5-10^6 terms are off by 1e-12.) */
  for (j = 0; j <= n; ++j) {
    long double x = a + h * j;
    long double g = -x + I + dt * expl((x - vt) / dt);
    long double y = (j == 0 || j == n ? 1 : (j % 2 ? 4 : 2)) / g - carry, next = sum + y;
    carry = (next - sum) - y;
    sum = next;
  }
  T = sum * h / 3 + expl(-40.0L);
  memset(&c, 0, sizeof c);
  c.model = REF_EIF;
  c.n = 1;
  c.tau = (double)tau;
  c.drives = drives;
  c.v0 = v0;
  c.v_reset = 0;
  c.v_spike = INFINITY;
  c.delta_t = 0.1;
  c.v_t = 1;
  r = ref_create(&c);
  assert_non_null(r);
  /* The voltage at half the period by RK4 (V stays below V_T there). */
  assert_int_equal(ref_run(r, (double)(0.5L * T * tau), NULL, 0), 0);
  v = vr;
  {
    const long m = 200000;
    long double hs = 0.5L * T / m;
    carry = 0;
    for (j = 0; j < m; ++j) {
#define G_EIF(x) (-(x) + I + dt * expl(((x)-vt) / dt))
      long double k1 = G_EIF(v), k2 = G_EIF(v + 0.5L * hs * k1), k3 = G_EIF(v + 0.5L * hs * k2),
                  k4 = G_EIF(v + hs * k3);
#undef G_EIF
      long double y = hs * (k1 + 2 * k2 + 2 * k3 + k4) / 6 - carry, next = v + y;
      carry = (next - v) - y;
      v = next;
    }
  }
  printf("# EIF: period %.15Lf tau (Simpson), V(T/2) = %.15Lf (RK4), reference %.15f\n", T, v,
         ref_voltage(r, 0));
  assert_true(rel_err(ref_voltage(r, 0), (double)v) < 1e-13);
  assert_int_equal(ref_step(r, &sp), 0);
  assert_true(rel_err(sp.t, (double)(T * tau)) < 1e-13);
  assert_int_equal(ref_step(r, &sp), 0);
  assert_true(rel_err(sp.t, (double)(2 * T * tau)) < 1e-13);
  ref_destroy(r);
  /* Excitable: G(V_T) = I - V_T + D_T <= 0. */
  drives[0] = 0.85;
  assert_null(ref_create(&c));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_custom_lif_is_lif),
      cmocka_unit_test(test_custom_qif_closed_form),
      cmocka_unit_test(test_custom_qif_network),
      cmocka_unit_test(test_eif_single_neuron),
  };
  return cmocka_run_group_tests_name("refsim one-variable models", tests, NULL, NULL);
}
