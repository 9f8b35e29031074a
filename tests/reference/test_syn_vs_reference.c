/*
 * test_syn_vs_reference.c - current-based synapses (desc.tau_syn > 0) through the public C
 * API against the independent reference simulator (refsim.c, which advances (V, J) by its own
 * closed form and finds crossings by scanning): random small networks with mixed-sign
 * weights, sub- and supra-threshold drives, external inputs and refractory periods, for
 * tau_syn/tau in {1, 1/2, 1/4, 0.13, 2}: the same spike indices and times within 1e-10
 * (relative to max(t, tau)) over at least 10^4 spikes each, and the voltages along the way
 * (the synaptic currents only through them and the spike times: no public call reads J). The
 * descriptions the model refuses are in tests/abi/test_rejections.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "refsim.h"

#define TIME_TOL 1e-10
#define VOLT_TOL 1e-9
#define CHUNK 512

static uint64_t rng_next(uint64_t *s) {
  *s += UINT64_C(0x9e3779b97f4a7c15);
  return ref_mix64(*s);
}
static double rng_unif(uint64_t *s) {
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}
static double rng_range(uint64_t *s, double a, double b) { return a + (b - a) * rng_unif(s); }

static double time_err(double a, double b, double scale) {
  double s = fmax(fmax(fabs(a), fabs(b)), scale);
  return a == b ? 0.0 : fabs(a - b) / s;
}

/* A random network: n neurons, k explicit targets per neuron (repeats allowed), weights
   mixed in sign, drives around 1, one input channel per 8 neurons. */
typedef struct synnet {
  uint32_t n, k, n_inputs, k_in;
  double tau, tau_syn, t_ref;
  double shared_w; /* nonzero: every recurrent synapse has this weight (weights NULL) */
  double *drives, *v0, *w, *w_in;
  uint64_t *row, *row_in;
  uint32_t *tgt, *tgt_in;
} synnet;

static void synnet_make(synnet *s, uint64_t seed, uint32_t n, double ratio, double t_ref) {
  uint64_t r = seed;
  uint32_t i, e;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->k = 8;
  s->n_inputs = n / 8;
  s->k_in = 6;
  s->tau = 0.01;
  s->tau_syn = 0.01 * ratio;
  s->t_ref = t_ref;
  s->drives = (double *)malloc(n * sizeof(double));
  s->v0 = (double *)malloc(n * sizeof(double));
  s->row = (uint64_t *)malloc((n + 1) * sizeof(uint64_t));
  s->tgt = (uint32_t *)malloc((size_t)n * s->k * sizeof(uint32_t));
  s->w = (double *)malloc((size_t)n * s->k * sizeof(double));
  s->row_in = (uint64_t *)malloc((s->n_inputs + 1) * sizeof(uint64_t));
  s->tgt_in = (uint32_t *)malloc((size_t)s->n_inputs * s->k_in * sizeof(uint32_t));
  s->w_in = (double *)malloc((size_t)s->n_inputs * s->k_in * sizeof(double));
  assert_true(s->drives && s->v0 && s->row && s->tgt && s->w && s->row_in && s->tgt_in && s->w_in);
  for (i = 0; i < n; ++i) {
    s->drives[i] = rng_range(&r, 0.85, 1.25);
    s->v0[i] = rng_range(&r, -0.3, 0.95);
  }
  for (i = 0; i <= n; ++i) s->row[i] = (uint64_t)i * s->k;
  for (e = 0; e < n * s->k; ++e) {
    s->tgt[e] = (uint32_t)(rng_next(&r) % n);
    /* About one third excitatory. */
    s->w[e] = rng_unif(&r) < 0.35 ? rng_range(&r, 0.02, 0.3) : rng_range(&r, -0.35, -0.02);
  }
  for (i = 0; i <= s->n_inputs; ++i) s->row_in[i] = (uint64_t)i * s->k_in;
  for (e = 0; e < s->n_inputs * s->k_in; ++e) {
    s->tgt_in[e] = (uint32_t)(rng_next(&r) % n);
    s->w_in[e] = rng_range(&r, -0.2, 0.6);
  }
}

static void synnet_free(synnet *s) {
  free(s->drives);
  free(s->v0);
  free(s->row);
  free(s->tgt);
  free(s->w);
  free(s->row_in);
  free(s->tgt_in);
  free(s->w_in);
}

static sp_network *synnet_engine(const synnet *s) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_status st;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = s->n;
  d.tau = s->tau;
  d.tau_syn = s->tau_syn;
  d.t_ref = s->t_ref;
  d.drives = s->drives;
  d.v0 = s->v0;
  d.recurrent.row_ptr = s->row;
  d.recurrent.targets = s->tgt;
  d.recurrent.weights = s->shared_w != 0.0 ? NULL : s->w;
  d.recurrent.weight = s->shared_w;
  d.n_inputs = s->n_inputs;
  d.inputs.row_ptr = s->row_in;
  d.inputs.targets = s->tgt_in;
  d.inputs.weights = s->w_in;
  d.input_capacity = 64;
  st = sp_network_create(&d, &net);
  if (st != SP_OK) fail_msg("create: %s: %s", sp_status_name(st), sp_last_error());
  return net;
}

static ref_sim *synnet_reference(const synnet *s) {
  ref_config c;
  ref_sim *r;
  memset(&c, 0, sizeof c);
  c.model = REF_LIF;
  c.n = s->n;
  c.tau = s->tau;
  c.tau_syn = s->tau_syn;
  c.t_ref = s->t_ref;
  c.drives = s->drives;
  c.v0 = s->v0;
  c.recurrent.row_ptr = s->row;
  c.recurrent.targets = s->tgt;
  c.recurrent.weights = s->shared_w != 0.0 ? NULL : s->w;
  c.recurrent.weight = s->shared_w;
  c.n_inputs = s->n_inputs;
  c.inputs.row_ptr = s->row_in;
  c.inputs.targets = s->tgt_in;
  c.inputs.weights = s->w_in;
  r = ref_create(&c);
  assert_non_null(r);
  return r;
}

/* Runs engine and reference side by side in windows of 2 ms, queueing a few inputs per
   window, until `target` spikes; compares every spike, and the voltages of every 7th neuron
   at every window's end. */
static void compare_run(const synnet *s, uint64_t seed, uint64_t target) {
  sp_network *net = synnet_engine(s);
  ref_sim *ref = synnet_reference(s);
  sp_spike got[CHUNK];
  ref_spike want[CHUNK];
  uint64_t r = seed, total = 0;
  double t = 0.0, worst = 0.0, worst_v = 0.0;
  while (total < target) {
    double t_end = t + 0.002;
    int q;
    for (q = 0; q < 3; ++q) {
      double ti = rng_range(&r, t, t_end);
      uint32_t ch = (uint32_t)(rng_next(&r) % s->n_inputs);
      assert_int_equal(sp_input(net, ch, ti), SP_OK);
      assert_int_equal(ref_input(ref, ch, ti), 0);
    }
    for (;;) {
      size_t count = 0, rc, m;
      sp_status st = sp_run(net, t_end, got, CHUNK, &count);
      if (st != SP_OK) fail_msg("sp_run: %s: %s", sp_status_name(st), sp_last_error());
      rc = ref_run(ref, t_end, want, CHUNK);
      if (rc != count)
        fail_msg("window ending %.6f: engine %zu spikes, reference %zu (after %llu)", t_end, count,
                 rc, (unsigned long long)total);
      for (m = 0; m < count; ++m) {
        double e = time_err(got[m].t, want[m].t, s->tau);
        if (got[m].neuron != want[m].neuron || !(e <= TIME_TOL))
          fail_msg("spike %llu: engine neuron %u at %.17g, reference neuron %u at %.17g "
                   "(error %.3g)",
                   (unsigned long long)(total + m), got[m].neuron, got[m].t, want[m].neuron,
                   want[m].t, e);
        if (e > worst) worst = e;
      }
      total += count;
      if (count < CHUNK) break;
    }
    {
      uint32_t i;
      for (i = 0; i < s->n; i += 7) {
        double v, dv;
        assert_int_equal(sp_voltage(net, i, &v), SP_OK);
        dv = fabs(v - ref_voltage(ref, i));
        if (!(dv <= VOLT_TOL * fmax(1.0, fabs(v))))
          fail_msg("t = %.6f: V[%u] engine %.17g, reference %.17g", t_end, i, v,
                   ref_voltage(ref, i));
        if (dv > worst_v) worst_v = dv;
      }
    }
    t = t_end;
  }
  printf("# tau_syn/tau = %g, t_ref = %g: %llu spikes to t = %.3f s, worst time error %.2e, "
         "worst voltage error %.2e\n",
         s->tau_syn / s->tau, s->t_ref, (unsigned long long)total, t, worst, worst_v);
  sp_network_destroy(net);
  ref_destroy(ref);
}

static void run_ratio(double ratio, double t_ref, uint64_t seed) {
  synnet s;
  synnet_make(&s, seed, 60, ratio, t_ref);
  compare_run(&s, seed ^ 0x5555, 10000);
  synnet_free(&s);
}

/* One shared inhibitory recurrent weight (the balanced network's kind of row, which the engine
   delivers by a loop of its own), with and without a refractory period (inhibition of held
   neurons); the inputs, mixed in sign, drive the network. */
static void test_shared_inhibition(void **state) {
  const double ratios[] = {0.25, 1.0};
  const double t_refs[] = {0.0, 0.002};
  int a, b;
  (void)state;
  for (a = 0; a < 2; ++a)
    for (b = 0; b < 2; ++b) {
      synnet s;
      synnet_make(&s, 21 + 2 * a + b, 60, ratios[a], t_refs[b]);
      s.shared_w = -0.12;
      compare_run(&s, 0x77 + a + b, 10000);
      synnet_free(&s);
    }
}

static void test_ratio_1(void **state) {
  (void)state;
  run_ratio(1.0, 0.0, 11);
}
static void test_ratio_half(void **state) {
  (void)state;
  run_ratio(0.5, 0.0, 12);
}
static void test_ratio_quarter(void **state) {
  (void)state;
  run_ratio(0.25, 0.0, 13);
}
static void test_ratio_013(void **state) {
  (void)state;
  run_ratio(0.13, 0.0, 14);
}
static void test_ratio_2(void **state) {
  (void)state;
  run_ratio(2.0, 0.0, 15);
}
static void test_refractory(void **state) {
  (void)state;
  run_ratio(0.25, 0.002, 16);
  run_ratio(1.0, 0.0007, 17);
}

/* One neuron, a strong fast input (tau_syn << tau): a burst of spikes while J is large, then
   free-running ones. Its spike times against the exact solution in long double (closed form
   between events: tau V' = I + J - V, J = J0 exp(-s/tau_syn); crossings bracketed on a
   geometric grid and bisected; each reset at the exact crossing), within 4 times the header's
   precision for a neuron on its own, 8 ulps of t plus 4 x 2^-52 tau (the input's rounding of
   the state comes on top; measured: at most 0.93 of it). The engine reset to V = 0 at the spike
   time rounded to a double, which moved every spike after the burst by (I + J)/tau times half
   an ulp of a burst spike's time in V: 1.1e-13 s, 3,000 times that precision, at tau_syn =
   1e-4 tau (32 times at 1e-2). */
typedef struct exact_neuron {
  long double tau, tau_s, drive, t0, v0, j0; /* state (v0, j0) at t0 */
} exact_neuron;

static long double exact_v(const exact_neuron *e, long double s) {
  if (e->tau_s == e->tau) /* the alpha kernel: V = I + (v0 - I + j0 s/tau) exp(-s/tau) */
    return e->drive + (e->v0 - e->drive + e->j0 * s / e->tau) * expl(-s / e->tau);
  const long double a = e->j0 * e->tau_s / (e->tau_s - e->tau);
  return e->drive + a * expl(-s / e->tau_s) + (e->v0 - e->drive - a) * expl(-s / e->tau);
}

/* The first crossing of V = 1 after t0 within `horizon` (s from t0), or -1. */
static long double exact_crossing(const exact_neuron *e, long double horizon) {
  long double lo = 0, hi = -1, s;
  int k, it;
  for (k = 90; k >= 0; --k) {
    s = ldexpl(horizon, -k);
    if (exact_v(e, s) >= 1) {
      hi = s;
      break;
    }
    lo = s;
  }
  if (hi < 0) return -1;
  for (it = 0; it < 200 && lo < hi; ++it) {
    const long double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (exact_v(e, mid) >= 1)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

/* One LIF neuron with current-based synapses from v0: one input channel of weight input_w to
   it, and a synapse of weight self_w onto itself, each if its weight is not 0. */
static sp_network *one_neuron(double tau, double tau_syn, double t_ref, double drive, double v0,
                              double input_w, double self_w) {
  static const uint64_t row[2] = {0, 1};
  static const uint32_t target = 0;
  sp_network_desc d;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  d.n = 1;
  d.tau = tau;
  d.tau_syn = tau_syn;
  d.t_ref = t_ref;
  d.drive = drive;
  d.v0 = &v0;
  if (input_w != 0.0) {
    d.n_inputs = 1;
    d.inputs.row_ptr = row;
    d.inputs.targets = &target;
    d.inputs.weight = input_w;
  }
  if (self_w != 0.0) {
    d.recurrent.row_ptr = row;
    d.recurrent.targets = &target;
    d.recurrent.weight = self_w;
  }
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

/* The burst of n_in inputs of weight w, `spacing` apart from t = 0.013 s, at ratio =
   tau_syn/tau, with a refractory period t_ref (V held at 0 from the exact crossing t* to
   t* + t_ref, J integrating its inputs meanwhile), against the exact solution: each spike
   within `times` the precision. */
static void check_burst(double ratio, double w, double drive, double t_ref, int n_in,
                        double spacing, double times) {
  const double tau = 0.01, tau_syn = tau * ratio, t_in = 0.013, t_end = 0.2, v0 = 0.9;
  sp_network *net;
  double worst = 0;
  sp_spike out[256];
  size_t count = 0, k;
  exact_neuron e;
  long double held_until = -1;
  int m = 0, in_hold = 0;
  net = one_neuron(tau, tau_syn, t_ref, drive, v0, w, 0.0);
  for (k = 0; k < (size_t)n_in; ++k) assert_int_equal(sp_input(net, 0, t_in + k * spacing), SP_OK);
  assert_int_equal(sp_run(net, t_end, out, 256, &count), SP_OK);
  assert_true(count > 8 && count < 256);
  e.tau = tau;
  e.tau_s = tau_syn;
  e.drive = drive;
  e.t0 = 0;
  e.v0 = v0;
  e.j0 = 0;
  for (k = 0; k < count; ++k) {
    long double t, err, bound;
    for (;;) {
      const long double until = m < n_in ? (long double)(t_in + m * spacing) : (long double)t_end;
      long double s;
      if (held_until > e.t0) {
        if (m < n_in && until < held_until) { /* an input during the hold: V stays at 0 */
          e.j0 = e.j0 * expl(-(until - e.t0) / e.tau_s) + (long double)w * tau / tau_syn;
          e.t0 = until;
          ++m;
          ++in_hold;
          continue;
        }
        e.j0 *= expl(-(held_until - e.t0) / e.tau_s);
        e.t0 = held_until;
        e.v0 = 0;
      }
      s = exact_crossing(&e, until - e.t0);
      if (s >= 0) {
        t = e.t0 + s;
        e.j0 *= expl(-s / e.tau_s);
        e.t0 = t;
        e.v0 = 0;
        held_until = t + (long double)t_ref;
        break;
      }
      assert_true(m < n_in); /* (the reference has as many spikes as the engine) */
      e.v0 = exact_v(&e, until - e.t0);
      e.j0 = e.j0 * expl(-(until - e.t0) / e.tau_s) + (long double)w * tau / tau_syn;
      e.t0 = until;
      ++m;
    }
    err = fabsl((long double)out[k].t - t);
    bound = 8 * (nextafter(out[k].t, INFINITY) - out[k].t) + 4 * ldexp(tau, -52);
    if ((double)(err / bound) > worst) worst = (double)(err / bound);
    if (err > times * bound)
      fail_msg("tau_syn/tau = %g, w = %g, t_ref = %g: spike %zu at %.17g, exact %.20Lg: off by "
               "%.3Lg, %.1Lf times the precision",
               ratio, w, t_ref, k, out[k].t, t, err, err / bound);
  }
  printf("# burst, tau_syn/tau = %g, w = %g, t_ref = %g, %d inputs (%d in holds): %zu spikes, "
         "worst error %.2f of the precision\n",
         ratio, w, t_ref, n_in, in_hold, count, worst);
  sp_network_destroy(net);
}

static void test_fast_synapse_burst(void **state) {
  (void)state;
  if (LDBL_MANT_DIG < 64) skip(); /* (long double is a double here: no exact reference) */
  check_burst(1e-4, 5.0, 1.1, 0, 1, 0, 4);
  check_burst(1e-2, 5.0, 1.1, 0, 1, 0, 4);
  check_burst(1e-3, 3.0, 1.5, 0, 1, 0, 4);
}

/* The same with refractory periods shorter than tau_syn or near it, where the hold ends while
   J is still large. The engine held V at 0 up to r = t + t_ref rounded to a double, which moved
   each later spike by the roundings of t and of r: 268 times the precision at tau_syn = 1e-3
   tau, t_ref = 1e-4 tau; 81 times at 1e-4 and 1e-4, 28 times at 1e-2 and 1e-5 (measured now:
   0.25, 0.12, 2.2; the last allowed 8 times, as bursts at tau_syn/tau = 0.1 without a hold
   measure 2.8). Trains of inputs put some of them into holds, where the hold's offset is
   rescaled to the release slope; their roundings of the state come on top of the precision
   for a neuron on its own, hence 32 times it (measured now: 7.2, 1.5, 10.9 and 2.6; before:
   4,082, 308, 416 and 4,479). */
static void test_fast_synapse_burst_refractory(void **state) {
  (void)state;
  if (LDBL_MANT_DIG < 64) skip();
  check_burst(1e-3, 5.0, 1.1, 1e-6, 1, 0, 4);
  check_burst(1e-4, 5.0, 1.1, 1e-6, 1, 0, 4);
  check_burst(1e-2, 5.0, 1.1, 1e-7, 1, 0, 8);
  check_burst(1e-3, 0.5, 1.1, 1e-6, 40, 3.1e-7, 32);
  check_burst(1e-2, 0.5, 1.1, 1e-6, 60, 1.3e-6, 32);
  check_burst(1e-2, 2.0, 1.1, 3e-6, 25, 2e-6, 32);
  check_burst(1e-4, 1.0, 1.1, 2e-7, 30, 1.1e-7, 32);
}

/* The alpha kernel (tau_syn = tau = 1): 100 inputs of weight 10^6 at t1 = 0.9999999963, so the
   first spike comes within about 1e-8 tau, where x = (t - t0)/tau is 1 and J's share of V
   barely moves (its rate J (1 - x)/tau): the reset takes the crossing's clock from the state.
   Its J term was taken at the rounded release r's x scaled by E(r*)/E(r), which missed J's
   x - 1 at the release, 16 tau later: the second spike 1.24 times the precision off (the
   fix's review); now at J's own x there, ln E(r*). Against the exact solution (the hold from
   t* to t* + 17, J decaying, then V from 0): within half the precision. */
static void test_alpha_release_after_a_large_input(void **state) {
  const double t1 = 0.9999999963, t_ref = 17.0, w = 1e6;
  const int n_in = 100;
  double bound;
  sp_network *net = one_neuron(1.0, 1.0, t_ref, 0.5, 0.0, w, 0.0);
  sp_spike out[4];
  size_t count = 0;
  exact_neuron e;
  long double s1, s2, release, err;
  int k;
  (void)state;
  if (LDBL_MANT_DIG < 64) {
    sp_network_destroy(net);
    skip();
  }
  for (k = 0; k < n_in; ++k) assert_int_equal(sp_input(net, 0, t1), SP_OK);
  assert_int_equal(sp_run(net, 20.0, out, 4, &count), SP_OK);
  assert_int_equal(count, 2);
  e.tau = 1;
  e.tau_s = 1;
  e.drive = 0.5;
  e.t0 = 0;
  e.v0 = 0;
  e.j0 = 0;
  e.v0 = exact_v(&e, t1);
  e.j0 = (long double)w * n_in;
  e.t0 = t1;
  s1 = exact_crossing(&e, 1.0L);
  assert_true(s1 > 0 && s1 < 1e-6L);
  release = t1 + s1 + t_ref;
  e.j0 *= expl(-(release - e.t0));
  e.t0 = release;
  e.v0 = 0;
  s2 = exact_crossing(&e, 3.0L);
  assert_true(s2 > 0);
  err = fabsl((long double)out[1].t - (release + s2));
  bound = 8 * (nextafter(out[1].t, INFINITY) - out[1].t) + 4 * ldexp(1.0, -52);
  printf("# alpha kernel, %d inputs of %g at %.10g, t_ref %g: second spike at %.17g, %.3f of "
         "the precision\n",
         n_in, w, t1, t_ref, out[1].t, (double)(err / bound));
  if (!(err <= 0.5 * bound))
    fail_msg("second spike at %.17g, exact %.20Lg: %.2Lf times the precision", out[1].t,
             release + s2, err / bound);
  sp_network_destroy(net);
}

/* One neuron just above threshold (I = 1.0001, v0 0.5, t_ref = 0.1 tau) with a synapse of
   weight 10^-8 onto itself, so that a tiny current is always there at its crossings. The quiet
   reset's rise I + q - 1 was taken as (I + q) - 1, which rounded q's share away the same way at
   every spike: 60 times the precision after 10^5 spikes (an outside review); now (I - 1) + q.
   Against the exact solution, 10^4 spikes, both kernels: within the precision. */
static void test_self_synapse_near_threshold(void **state) {
  const double tau = 1.0, drive = 1.0001, t_ref = 0.1, w = 1e-8, ratios[2] = {0.5, 1.0};
  const int spikes = 10000;
  int q;
  (void)state;
  if (LDBL_MANT_DIG < 64) skip();
  for (q = 0; q < 2; ++q) {
    const double tau_syn = tau * ratios[q], v0 = 0.5;
    sp_network *net = one_neuron(tau, tau_syn, t_ref, drive, v0, 0.0, w);
    exact_neuron e;
    double worst = 0;
    int k;
    e.tau = tau;
    e.tau_s = tau_syn;
    e.drive = drive;
    e.t0 = 0;
    e.v0 = v0;
    e.j0 = 0;
    for (k = 0; k < spikes; ++k) {
      sp_spike sp;
      long double s, t;
      double err;
      assert_int_equal(sp_step(net, &sp), SP_OK);
      s = exact_crossing(&e, 100.0L);
      assert_true(s > 0);
      t = e.t0 + s;
      err = (double)(fabsl((long double)sp.t - t) /
                     (8 * (nextafter(sp.t, INFINITY) - sp.t) + 4 * ldexp(tau, -52)));
      if (err > worst) worst = err;
      /* the kick at the spike, then the hold: J decays to the release, V = 0 there */
      e.j0 = (e.j0 * expl(-s / e.tau_s) + (long double)w * tau / tau_syn) *
             expl(-(long double)t_ref / e.tau_s);
      e.t0 = t + t_ref;
      e.v0 = 0;
    }
    printf("# I = %g, self-synapse %g, tau_syn/tau = %g: %d spikes, worst error %.3f of the "
           "precision\n",
           drive, w, ratios[q], spikes, worst);
    if (!(worst <= 1.0)) fail_msg("tau_syn/tau = %g: %.2f times the precision", ratios[q], worst);
    sp_network_destroy(net);
  }
}

/* A neuron with no input (J = 0) firing on its own, fast (I = 100, period 0.01 tau), against
   k tau ln(I/(I - 1)): within the header's precision for a neuron on its own, as with delta
   synapses. Reset at its spike time rounded to a double, corrected by an overshoot that was
   mostly below its noise test, it drifted by 67 times that precision by t = 32 tau (1,200
   at I = 1000; an outside check), the same rounding of the same period added at each spike.
   Now the crossing's clock comes from the state. */
static void test_free_running_fast(void **state) {
  static const double ratios[] = {0.5, 2.0, 1e-2};
  size_t q;
  (void)state;
  if (LDBL_MANT_DIG < 64) skip();
  for (q = 0; q < sizeof ratios / sizeof ratios[0]; ++q) {
    const double tau = 1.0, drive = 100.0;
    const long double period = tau * logl((long double)drive / (drive - 1));
    double worst = 0;
    sp_network *net = one_neuron(tau, tau * ratios[q], 0.0, drive, 0.0, 0.0, 0.0);
    int k;
    for (k = 1; k <= 5000; ++k) {
      sp_spike sp;
      long double err;
      double bound;
      assert_int_equal(sp_step(net, &sp), SP_OK);
      err = fabsl((long double)sp.t - k * period);
      bound = 8 * (nextafter(sp.t, INFINITY) - sp.t) + 4 * ldexp(tau, -52);
      if ((double)(err / bound) > worst) worst = (double)(err / bound);
      if (err > 4 * bound)
        fail_msg("tau_syn/tau = %g: spike %d at %.17g, exact %.20Lg: %.1Lf times the precision",
                 ratios[q], k, sp.t, k * period, err / bound);
    }
    printf("# free-running, I = 100, tau_syn/tau = %g: 5000 spikes to t = %.4g tau, worst "
           "error %.2f of the precision\n",
           ratios[q], (double)(5000 * period / tau), worst);
    sp_network_destroy(net);
  }
}

/* The same with a refractory period, t_ref = 0.01 tau (tau_syn = tau/2), over 10^6 spikes:
   the reset's clock at the hold's end came from E_m(t*) exp(t_ref/tau), whose one rounding
   recurred at every spike, all one way: 3.7 times the precision over the last of 10^6 spikes,
   growing (an outside review); before that clock, the reset at t gave 26 times it early on.
   Then from the end's own clock (whose exponents' rounding walked, another review), now with
   that factor kept as two doubles: the late spikes within 2 times it, every spike within 16. */
static void test_free_running_refractory(void **state) {
  const double tau = 1.0, drive = 100.0, t_ref = 0.01;
  const long double period = t_ref + tau * logl((long double)drive / (drive - 1));
  const int spikes = 1000000;
  double worst = 0, worst_late = 0;
  sp_network *net = NULL;
  int k;
  (void)state;
  if (LDBL_MANT_DIG < 64) skip();
  net = one_neuron(tau, 0.5 * tau, t_ref, drive, 0.0, 0.0, 0.0);
  for (k = 1; k <= spikes; ++k) {
    sp_spike sp;
    double e;
    assert_int_equal(sp_step(net, &sp), SP_OK);
    /* (the first spike has no hold before it: k - 1 holds) */
    e = (double)(fabsl((long double)sp.t - (k * period - t_ref)) /
                 (8 * (nextafter(sp.t, INFINITY) - sp.t) + 4 * ldexp(tau, -52)));
    if (e > worst) worst = e;
    if (k > spikes - 1000 && e > worst_late) worst_late = e;
  }
  printf("# free-running, I = 100, t_ref = 0.01 tau: %d spikes, worst error %.2f of the "
         "precision, %.2f over the last 1000\n",
         spikes, worst, worst_late);
  if (!(worst <= 16 && worst_late <= 2))
    fail_msg("worst %.2f, last 1000 %.2f times the precision", worst, worst_late);
  sp_network_destroy(net);
}

/* A hold whose release slope I + J(r) an inhibitory input brings to 1e-8 of I, a clock re-base
   within the hold (32 tau_syn after t0 = 0), then an excitatory input in the hold: the re-base
   leaves A's rounding beside the hold's offset, and rescaling the offset to the new slope
   scaled that rounding by 10^8 too: the next spike 10^6 times the precision off (an outside
   review's case). Against the exact solution: the hold from t* + t_ref, J integrating. */
static void test_hold_slope_near_zero(void **state) {
  const double tau = 0.01, ts = 0.1, t_ref = 0.05, t_in = 0.3, t_a = 0.31, t_b = 0.33;
  const double drive = 0.5, eps = 1e-8;
  static const uint64_t rp[4] = {0, 1, 2, 3};
  static const uint32_t tg[3] = {0, 0, 0};
  double ws[3] = {20, 0, 30}, v0 = 0.5, bound;
  long double j0, jr, tstar, rstar, t2, err;
  sp_network_desc d;
  sp_network *net = NULL;
  sp_spike sp[4];
  size_t count = 0;
  exact_neuron e;
  (void)state;
  if (LDBL_MANT_DIG < 64) skip();
  sp_network_desc_init(&d, sizeof d);
  d.n = 1;
  d.tau = tau;
  d.tau_syn = ts;
  d.t_ref = t_ref;
  d.drive = drive;
  d.v0 = &v0;
  d.n_inputs = 3;
  d.inputs.row_ptr = rp;
  d.inputs.targets = tg;
  d.inputs.weights = ws;
  /* The exact first spike (from the first input) and the weight that brings I + J(r*) to
     eps I with the second. */
  j0 = 20.0L * tau / ts;
  e.tau = tau;
  e.tau_s = ts;
  e.drive = drive;
  e.t0 = 0;
  e.v0 = v0;
  e.j0 = 0;
  e.v0 = exact_v(&e, t_in);
  e.t0 = t_in;
  e.j0 = j0;
  tstar = t_in + exact_crossing(&e, 0.1L);
  rstar = tstar + t_ref;
  jr = j0 * expl(-(rstar - t_in) / ts);
  ws[1] = (double)((-(long double)drive * (1 - eps) - jr) / (tau / ts) / expl(-(rstar - t_a) / ts));
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  assert_int_equal(sp_input(net, 0, t_in), SP_OK);
  assert_int_equal(sp_input(net, 1, t_a), SP_OK);
  assert_int_equal(sp_input(net, 2, t_b), SP_OK);
  assert_int_equal(sp_run(net, 0.6, sp, 4, &count), SP_OK);
  assert_true(count >= 2 && sp[1].t > rstar);
  /* The second spike: from V = 0 at r*, J from all three inputs. */
  e.t0 = rstar;
  e.v0 = 0;
  e.j0 = j0 * expl(-(rstar - t_in) / ts) +
         (long double)ws[1] * tau / ts * expl(-(rstar - t_a) / ts) +
         30.0L * tau / ts * expl(-(rstar - t_b) / ts);
  t2 = rstar + exact_crossing(&e, 1.0L);
  err = fabsl((long double)sp[1].t - t2);
  bound = 8 * (nextafter(sp[1].t, INFINITY) - sp[1].t) + 4 * ldexp(tau, -52);
  printf("# release slope 1e-8 I, a re-base and an input in the hold: second spike %.17g, exact "
         "%.20Lg, %.3f of the precision\n",
         sp[1].t, t2, (double)(err / bound));
  if (err > 4 * bound) fail_msg("%.1Lf times the precision", err / bound);
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ratio_1),
      cmocka_unit_test(test_ratio_half),
      cmocka_unit_test(test_ratio_quarter),
      cmocka_unit_test(test_ratio_013),
      cmocka_unit_test(test_ratio_2),
      cmocka_unit_test(test_refractory),
      cmocka_unit_test(test_shared_inhibition),
      cmocka_unit_test(test_fast_synapse_burst),
      cmocka_unit_test(test_fast_synapse_burst_refractory),
      cmocka_unit_test(test_free_running_fast),
      cmocka_unit_test(test_free_running_refractory),
      cmocka_unit_test(test_alpha_release_after_a_large_input),
      cmocka_unit_test(test_self_synapse_near_threshold),
      cmocka_unit_test(test_hold_slope_near_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
