/*
 * test_tabulated_vs_reference.c - the engine's EIF (tabulated) against the reference
 * simulator's EIF (quadrature of the time of flight, refsim.c; no tables, no code shared with
 * src/), through the public C API: random small networks with mixed-sign weights and cascades
 * (excitatory inputs that carry V past the cut-off fire their target at that instant), spike
 * for spike over the first 2000 spikes: same neuron indices, times within 1e-9 relative to
 * max(t, tau) (issue 11, section 3).
 *
 * A second reference started 1 ulp away (the shadow) screens each random network: one whose
 * shadow drifts beyond 1e-11 within the horizon amplifies rounding (chaos) and is skipped, so
 * a failure points at the engine, not at the network.
 *
 * Until the engine has SP_MODEL_EIF, sp_network_create refuses it with SP_ERR_UNSUPPORTED and
 * the whole file reports a TAP skip.
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

#include <sparseprop/sparseprop.h>

#include "refsim.h"

#define SPIKES 2000
#define TIME_TOL 1e-9
#define TAU 0.01

static double time_err(double a, double b, double scale) {
  double s = fmax(fmax(fabs(a), fabs(b)), scale);
  if (a == b) return 0.0;
  return fabs(a - b) / s;
}

static uint64_t rng_next(uint64_t *s) {
  *s += UINT64_C(0x9e3779b97f4a7c15);
  return ref_mix64(*s);
}
static double uniform(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

/* One EIF network: the paper's units by default (V_r = -1, V_T = 0, D_T = 0.1). */
typedef struct eif_net {
  uint32_t n, k;
  uint64_t *ptr;
  uint32_t *tgt;
  double *w;
  double *drives, *v0;
  double v_reset, v_spike, delta_t, v_t;
} eif_net;

static eif_net make_net(uint64_t seed, uint32_t n, uint32_t k, double w_exc, double w_inh) {
  eif_net x;
  uint64_t s = seed;
  uint32_t i, j;
  memset(&x, 0, sizeof x);
  x.n = n;
  x.k = k;
  x.v_reset = -1;
  x.v_spike = INFINITY;
  x.delta_t = 0.1;
  x.v_t = 0;
  x.ptr = (uint64_t *)malloc((n + 1) * sizeof(uint64_t));
  x.tgt = (uint32_t *)malloc((size_t)n * k * sizeof(uint32_t));
  x.w = (double *)malloc((size_t)n * k * sizeof(double));
  x.drives = (double *)malloc(n * sizeof(double));
  x.v0 = (double *)malloc(n * sizeof(double));
  for (i = 0; i <= n; ++i) x.ptr[i] = (uint64_t)i * k;
  for (i = 0; i < n; ++i) {
    for (j = 0; j < k; ++j) {
      uint32_t t = (uint32_t)(uniform(&s) * (n - 1));
      x.tgt[i * k + j] = t >= i ? t + 1 : t;
      x.w[i * k + j] = uniform(&s) < 0.5 ? w_exc * (0.5 + uniform(&s))
                                         : w_inh * (0.5 + uniform(&s));
    }
    x.drives[i] = 0.3 + 0.5 * uniform(&s);
    x.v0[i] = -1.5 + 2.0 * uniform(&s);
  }
  return x;
}

static void free_net(eif_net *x) {
  free(x->ptr);
  free(x->tgt);
  free(x->w);
  free(x->drives);
  free(x->v0);
}

static ref_sim *reference(const eif_net *x, int ulps) {
  ref_config c;
  ref_sim *r;
  double *v0 = (double *)malloc(x->n * sizeof(double));
  uint32_t i;
  int u;
  for (i = 0; i < x->n; ++i) {
    v0[i] = x->v0[i];
    for (u = 0; u < ulps; ++u) v0[i] = nextafter(v0[i], INFINITY);
  }
  memset(&c, 0, sizeof c);
  c.model = REF_EIF;
  c.n = x->n;
  c.tau = TAU;
  c.drives = x->drives;
  c.v0 = v0;
  c.recurrent.row_ptr = x->ptr;
  c.recurrent.targets = x->tgt;
  c.recurrent.weights = x->w;
  c.v_reset = x->v_reset;
  c.v_spike = x->v_spike;
  c.delta_t = x->delta_t;
  c.v_t = x->v_t;
  r = ref_create(&c);
  free(v0);
  return r;
}

/* The engine's network, or NULL with *status set. */
static sp_network *engine(const eif_net *x, sp_status *status) {
  sp_network_desc d;
  sp_model_params mp;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  memset(&mp, 0, sizeof mp);
  mp.struct_size = (uint32_t)sizeof mp;
  mp.v_reset = x->v_reset;
  mp.v_spike = x->v_spike;
  mp.delta_t = x->delta_t;
  mp.v_t = x->v_t;
  d.model = SP_MODEL_EIF;
  d.n = x->n;
  d.tau = TAU;
  d.drives = x->drives;
  d.v0 = x->v0;
  d.recurrent.row_ptr = x->ptr;
  d.recurrent.targets = x->tgt;
  d.recurrent.weights = x->w;
  d.model_params = &mp;
  *status = sp_network_create(&d, &net);
  return *status == SP_OK ? net : NULL;
}

/* Whether the network keeps a 1-ulp perturbation of its initial state below 1e-11 over the
   horizon (else it amplifies rounding and no two simulators can agree on it). */
static int tame(const eif_net *x) {
  ref_sim *a = reference(x, 0), *b = reference(x, 1);
  ref_spike sa, sb;
  int k, ok = 1;
  assert_non_null(a);
  assert_non_null(b);
  for (k = 0; k < SPIKES && ok; ++k) {
    if (ref_step(a, &sa) != 0 || ref_step(b, &sb) != 0) break;
    if (sa.neuron != sb.neuron || time_err(sa.t, sb.t, TAU) > 1e-11) ok = 0;
  }
  ref_destroy(a);
  ref_destroy(b);
  return ok;
}

/* Steps the engine and the reference together; returns the number of cascade spikes (at the
   time of the previous spike: with a finite v_spike, inputs that reach it; with the blow-up,
   inputs that carry V where the remaining time is below the rounding of t). */
static int compare(const eif_net *x, const char *what, double *worst) {
  sp_status st;
  sp_network *net = engine(x, &st);
  ref_sim *r;
  ref_spike rs;
  sp_spike es;
  double last = -1;
  int k, cascades = 0;
  uint32_t i;
  if (!net && st == SP_ERR_UNSUPPORTED) {
    printf("# %s: the engine refuses SP_MODEL_EIF (%s): skipped\n", what, sp_last_error());
    skip();
  }
  if (!net) fail_msg("%s: sp_network_create: %s: %s", what, sp_status_name(st), sp_last_error());
  r = reference(x, 0);
  assert_non_null(r);
  for (k = 0; k < SPIKES; ++k) {
    st = sp_step(net, &es);
    if (st != SP_OK) fail_msg("%s: sp_step: %s: %s", what, sp_status_name(st), sp_last_error());
    assert_int_equal(ref_step(r, &rs), 0);
    if (es.neuron != rs.neuron || time_err(es.t, rs.t, TAU) > TIME_TOL)
      fail_msg("%s: spike %d: engine neuron %u at %.17g, reference %u at %.17g", what, k, es.neuron,
               es.t, rs.neuron, rs.t);
    if (time_err(es.t, rs.t, TAU) > *worst) *worst = time_err(es.t, rs.t, TAU);
    if (rs.t == last) ++cascades;
    last = rs.t;
  }
  for (i = 0; i < x->n; ++i) {
    double v;
    assert_int_equal(sp_voltage(net, i, &v), SP_OK);
    if (fabs(v - ref_voltage(r, i)) > 1e-7 * fmax(1.0, fabs(v)))
      fail_msg("%s: voltage of %u: engine %.17g, reference %.17g", what, i, v, ref_voltage(r, i));
  }
  sp_network_destroy(net);
  ref_destroy(r);
  return cascades;
}

/* One screened network: the shadow must stay tame, then engine and reference must agree. */
typedef struct variant {
  const char *name;
  uint64_t seed;
  double w_exc, w_inh, delta_t, v_t, v_reset, v_spike;
} variant;

/* Seeds picked where the shadow stays within 1e-11 (most random EIF networks with these
   weights amplify a 1-ulp difference beyond 1e-9 within 2000 spikes, in both simulators
   alike); the screen re-checks them. */
static const variant kVariants[] = {
    {"paper's units, mixed weights", 1, 0.1, -0.1, 0.1, 0.0, -1.0, INFINITY},
    {"paper's units, mixed weights", 2, 0.1, -0.1, 0.1, 0.0, -1.0, INFINITY},
    {"sharp spike D_T = 0.02", 100, 0.1, -0.1, 0.02, 0.0, -1.0, INFINITY},
    {"V_T = 0.2, V_r = -0.5", 101, 0.05, -0.05, 0.1, 0.2, -0.5, INFINITY},
    {"finite threshold 0.5, cascades", 100, 0.3, -0.1, 0.1, 0.0, -1.0, 0.5},
    {"finite threshold 0.5, cascades", 101, 0.3, -0.1, 0.1, 0.0, -1.0, 0.5},
};

static void test_eif_vs_reference(void **state) {
  size_t i;
  int cascades = 0;
  double worst = 0;
  (void)state;
  for (i = 0; i < sizeof kVariants / sizeof kVariants[0]; ++i) {
    const variant *v = &kVariants[i];
    char what[96];
    uint32_t j;
    eif_net x = make_net(v->seed, 25, 5, v->w_exc, v->w_inh);
    x.delta_t = v->delta_t;
    x.v_t = v->v_t;
    x.v_reset = v->v_reset;
    x.v_spike = v->v_spike;
    for (j = 0; j < x.n; ++j)
      if (x.v0[j] >= x.v_spike) x.v0[j] = x.v_spike - 0.1;
    snprintf(what, sizeof what, "EIF %s, seed %llu", v->name, (unsigned long long)v->seed);
    if (!tame(&x)) fail_msg("%s: the reference's shadow drifts; pick another seed", what);
    cascades += compare(&x, what, &worst);
    free_net(&x);
  }
  printf("# EIF vs reference: %d networks x %d spikes, %d cascade spikes, worst time error "
         "%.2e\n",
         (int)(sizeof kVariants / sizeof kVariants[0]), SPIKES, cascades, worst);
  assert_true(cascades > 0);
}

int main(void) {
  eif_net probe = make_net(1, 25, 5, 0.1, -0.1);
  sp_status st;
  sp_network *net = engine(&probe, &st);
  free_net(&probe);
  if (!net && st == SP_ERR_UNSUPPORTED) {
    /* TAP's whole-file skip (cmocka 1.1.5 prints a skipped test as "not ok"). */
    printf("1..0 # SKIP the engine refuses SP_MODEL_EIF: %s\n", sp_last_error());
    return 0;
  }
  sp_network_destroy(net);
  {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eif_vs_reference),
    };
    return cmocka_run_group_tests_name("tabulated models vs reference", tests, NULL, NULL);
  }
}
