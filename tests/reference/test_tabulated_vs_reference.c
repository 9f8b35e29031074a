/*
 * test_tabulated_vs_reference.c - the engine's EIF (tabulated) against the reference
 * simulator's EIF (quadrature of the time of flight, refsim.c; no tables, no code shared with
 * src/), through the public C API: random small networks with mixed-sign weights and cascades
 * (excitatory inputs that carry V past the cut-off fire their target at that instant), and
 * with one shared weight (the engine's kicks then go through its kick map), spike
 * for spike over the first 2000 spikes: same neuron indices, times within 1e-9 relative to
 * max(t, tau) (issue 11, section 3).
 *
 * A second reference started 1 ulp away and with tau 1 ulp away (the shadow: a perturbation of
 * every event, like the rounding of any simulator) screens each random network: one whose
 * shadow drifts beyond 1e-11 within the horizon amplifies rounding (chaos) and is refused, so
 * a failure points at the engine, not at the network. (A perturbation of v0 alone is erased by
 * the first resets and passed a network that amplifies per-event rounding by 1e7.)
 *
 * (While the engine refused SP_MODEL_EIF the whole file reported a TAP skip; it must not
 * now, so a refusal fails.)
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

/* Spikes compared per network; SP_TEST_QUICK=1 (set by tests/embed/cross/run-cross.sh under
   qemu) compares a fifth of them, and of the K = 100 twins' spikes. */
static int quick(void) {
  const char *q = getenv("SP_TEST_QUICK");
  return q && *q && *q != '0';
}
#define SPIKES (quick() ? 400 : 2000)
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
  double shared_w; /* NaN: the per-synapse weights w; else one shared weight (the engine's
                      kick map, models/tabulated/kick_map.hpp) */
  int custom;      /* the engine's network as SP_MODEL_CUSTOM with EIF's F (f_eif) */
} eif_net;

/* EIF's F as a custom model: -V + D_T exp((V - V_T)/D_T), written plainly, so that it
   overflows to +inf above about V_T + 709 D_T (the library evaluates F far up the blow-up). */
static double f_eif(double v, void *ctx) {
  const eif_net *x = (const eif_net *)ctx;
  return -v + x->delta_t * exp((v - x->v_t) / x->delta_t);
}

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
  x.shared_w = NAN;
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
  c.tau = ulps ? nextafter(TAU, 1.0) : TAU;
  c.drives = x->drives;
  c.v0 = v0;
  c.recurrent.row_ptr = x->ptr;
  c.recurrent.targets = x->tgt;
  c.recurrent.weights = isnan(x->shared_w) ? x->w : NULL;
  c.recurrent.weight = x->shared_w;
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
  if (x->custom) {
    d.model = SP_MODEL_CUSTOM;
    mp.delta_t = 0;
    mp.v_t = 0;
    mp.f = f_eif;
    mp.ctx = (void *)x;
  }
  d.n = x->n;
  d.tau = TAU;
  d.drives = x->drives;
  d.v0 = x->v0;
  d.recurrent.row_ptr = x->ptr;
  d.recurrent.targets = x->tgt;
  d.recurrent.weights = isnan(x->shared_w) ? x->w : NULL;
  d.recurrent.weight = isnan(x->shared_w) ? 0.0 : x->shared_w;
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
    double v, rv = ref_voltage(r, i);
    assert_int_equal(sp_voltage(net, i, &v), SP_OK);
    /* A neuron an input carried past a finite threshold at the last spike's instant is due to
       spike at it: the engine reports the threshold, the reference the voltage reached. */
    if (rv >= x->v_spike) rv = x->v_spike;
    if (fabs(v - rv) > 1e-7 * fmax(1.0, fabs(v)))
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
  double shared_w; /* NaN: mixed per-synapse weights */
} variant;

/* Seeds picked where the shadow stays within 1e-11 (most random EIF networks with these
   weights amplify a 1-ulp difference beyond 1e-9 within 2000 spikes, in both simulators
   alike: of the finite-threshold seeds 100 to 115 only 100 and 115 stay tame); the screen
   re-checks them. */
static const variant kVariants[] = {
    {"paper's units, mixed weights", 1, 0.1, -0.1, 0.1, 0.0, -1.0, INFINITY, NAN},
    {"paper's units, mixed weights", 2, 0.1, -0.1, 0.1, 0.0, -1.0, INFINITY, NAN},
    {"sharp spike D_T = 0.02", 100, 0.1, -0.1, 0.02, 0.0, -1.0, INFINITY, NAN},
    {"V_T = 0.2, V_r = -0.5", 101, 0.05, -0.05, 0.1, 0.2, -0.5, INFINITY, NAN},
    {"finite threshold 0.5, cascades", 100, 0.3, -0.1, 0.1, 0.0, -1.0, 0.5, NAN},
    {"finite threshold 0.5, cascades", 115, 0.3, -0.1, 0.1, 0.0, -1.0, 0.5, NAN},
    /* Thresholds far up the rise, where the table ends below v_spike and a series takes the
       rest (5.0 was refused at creation until then: the table failed its own check). */
    {"finite threshold 3.0, shared weight 0.15", 1, 0, 0, 0.1, 0.0, -1.0, 3.0, 0.15},
    {"finite threshold 5.0, shared weight 0.15", 1, 0, 0, 0.1, 0.0, -1.0, 5.0, 0.15},
    /* One shared weight: the engine's kicks go through its kick map (inhibitory networks with
       larger weights amplify rounding: -0.1 passes no seed of 1 to 12). */
    {"shared weight -0.03", 2, 0, 0, 0.1, 0.0, -1.0, INFINITY, -0.03},
    {"shared weight 0.15", 1, 0, 0, 0.1, 0.0, -1.0, INFINITY, 0.15},
    {"shared weight 0.15, threshold 0.5, cascades", 1, 0, 0, 0.1, 0.0, -1.0, 0.5, 0.15},
};

/* A variant's network (25 neurons, 5 targets each), its v0 kept below a finite threshold. */
static eif_net variant_net(const variant *v) {
  uint32_t j;
  eif_net x = make_net(v->seed, 25, 5, v->w_exc, v->w_inh);
  x.delta_t = v->delta_t;
  x.v_t = v->v_t;
  x.v_reset = v->v_reset;
  x.v_spike = v->v_spike;
  x.shared_w = v->shared_w;
  for (j = 0; j < x.n; ++j)
    if (x.v0[j] >= x.v_spike) x.v0[j] = x.v_spike - 0.1;
  return x;
}

static void test_eif_vs_reference(void **state) {
  size_t i;
  int cascades = 0;
  double worst = 0;
  (void)state;
  for (i = 0; i < sizeof kVariants / sizeof kVariants[0]; ++i) {
    const variant *v = &kVariants[i];
    char what[96];
    eif_net x = variant_net(v);
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

/* A custom model whose F is EIF's, spiking at +inf: its F grows like exp(V), so the remaining
   phase falls over hundreds of decades towards the spike and F overflows to +inf on the way
   (the library refused it, "F must grow at least like V^2", until the tail's fit took an
   absolute floor); against the reference's EIF, as SP_MODEL_EIF above. */
static void test_custom_exponential_vs_reference(void **state) {
  size_t i;
  double worst = 0;
  (void)state;
  for (i = 0; i < 4; ++i) {
    const variant *v = &kVariants[i];
    char what[96];
    eif_net x = variant_net(v);
    x.custom = 1;
    snprintf(what, sizeof what, "custom exp %s, seed %llu", v->name, (unsigned long long)v->seed);
    if (!tame(&x)) fail_msg("%s: the reference's shadow drifts; pick another seed", what);
    compare(&x, what, &worst);
    free_net(&x);
  }
  printf("# custom F = EIF's vs reference: 4 networks x %d spikes, worst time error %.2e\n", SPIKES,
         worst);
}

/* ---------------------------------------------------------------------------------------- */
/* Custom models through the engine */

static double f_qif(double v, void *ctx) {
  (void)ctx;
  return v * v;
}
static double f_lif(double v, void *ctx) {
  (void)ctx;
  return -v;
}

/* A custom F = V^2 network (reset -20, spike at +inf) with mixed-sign weights and a refractory
   period against the reference's closed-form QIF with that reset (REF_QIF_RESET: V(t) =
   sqrt(I) tan(sqrt(I) t/tau + atan(V_r/sqrt(I))), no quadrature, no tables): same indices,
   times within 1e-10 relative over the first 2000 spikes (issue 11, section 3). */
static void test_custom_qif_vs_closed_form(void **state) {
  const uint32_t n = 30, k = 5;
  eif_net x = make_net(7, n, k, 0.1, -0.1);
  ref_config c;
  ref_sim *r;
  sp_network_desc d;
  sp_model_params mp;
  sp_network *net = NULL;
  uint64_t s = 99;
  uint32_t i;
  int j;
  double worst = 0;
  (void)state;
  for (i = 0; i < n; ++i) {
    x.drives[i] = 0.3 + 1.7 * uniform(&s);
    x.v0[i] = -5.0 + 10.0 * uniform(&s);
  }
  memset(&c, 0, sizeof c);
  c.model = REF_QIF_RESET;
  c.n = n;
  c.tau = TAU;
  c.drives = x.drives;
  c.v0 = x.v0;
  c.t_ref = 0.0002;
  c.recurrent.row_ptr = x.ptr;
  c.recurrent.targets = x.tgt;
  c.recurrent.weights = x.w;
  c.v_reset = -20;
  r = ref_create(&c);
  assert_non_null(r);
  sp_network_desc_init(&d, sizeof d);
  memset(&mp, 0, sizeof mp);
  mp.struct_size = (uint32_t)sizeof mp;
  mp.v_reset = -20;
  mp.v_spike = INFINITY;
  mp.f = f_qif;
  d.model = SP_MODEL_CUSTOM;
  d.model_params = &mp;
  d.n = n;
  d.tau = TAU;
  d.t_ref = 0.0002;
  d.drives = x.drives;
  d.v0 = x.v0;
  d.recurrent.row_ptr = x.ptr;
  d.recurrent.targets = x.tgt;
  d.recurrent.weights = x.w;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  for (j = 0; j < SPIKES; ++j) {
    sp_spike es;
    ref_spike rs;
    assert_int_equal(sp_step(net, &es), SP_OK);
    assert_int_equal(ref_step(r, &rs), 0);
    if (es.neuron != rs.neuron || time_err(es.t, rs.t, TAU) > 1e-10)
      fail_msg("custom F = V^2: spike %d: engine neuron %u at %.17g, closed form %u at %.17g", j,
               es.neuron, es.t, rs.neuron, rs.t);
    if (time_err(es.t, rs.t, TAU) > worst) worst = time_err(es.t, rs.t, TAU);
  }
  printf("# custom F = V^2 (reset -20) vs closed-form QIF: %d spikes, worst relative time "
         "error %.2e\n",
         SPIKES, worst);
  sp_network_destroy(net);
  ref_destroy(r);
  free_net(&x);
}

/* The paper's acceptance check through the engine: a custom F = -V (threshold 1, reset 0) is
   SP_MODEL_LIF (closed form, no table). Inhibitory balanced network at K = 100 (N = 2000,
   procedural, w = -0.1, I = 1.1), both frames: identical indices, spike times within 1e-12
   relative (the paper's figure is about 1e-13). A small explicit network with mixed weights,
   three drives and cascades amplifies the rounding of any simulator (as the EIF networks
   above: from 1e-12 at spike 650 to 1e-10 at spike 740): its first 400 spikes, 1e-12. */
static void lif_twins(uint32_t n, int procedural, uint32_t frame, int spikes, double tol,
                      double *worst) {
  eif_net x = make_net(11, n, procedural ? 1 : 6, 0.3, -0.2);
  sp_network_desc d;
  sp_model_params mp;
  sp_network *lif = NULL, *cus = NULL;
  uint64_t s = 5;
  uint32_t i;
  int j;
  for (i = 0; i < n; ++i) {
    x.drives[i] = procedural ? 1.1 : 1.05 + 0.05 * (i % 3);
    x.v0[i] = 0.95 * uniform(&s);
  }
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = n;
  d.tau = TAU;
  d.frame = frame;
  d.drives = x.drives;
  d.v0 = x.v0;
  if (procedural) {
    d.recurrent.k = 100;
    d.recurrent.seed = 42;
    d.recurrent.weight = -0.1;
  } else {
    d.recurrent.row_ptr = x.ptr;
    d.recurrent.targets = x.tgt;
    d.recurrent.weights = x.w;
  }
  if (sp_network_create(&d, &lif) != SP_OK) fail_msg("LIF: %s", sp_last_error());
  memset(&mp, 0, sizeof mp);
  mp.struct_size = (uint32_t)sizeof mp;
  mp.v_reset = 0;
  mp.v_spike = 1;
  mp.f = f_lif;
  d.model = SP_MODEL_CUSTOM;
  d.model_params = &mp;
  if (sp_network_create(&d, &cus) != SP_OK) fail_msg("custom: %s", sp_last_error());
  assert_int_equal(sp_network_frame(cus), sp_network_frame(lif));
  for (j = 0; j < spikes; ++j) {
    sp_spike a, b;
    assert_int_equal(sp_step(lif, &a), SP_OK);
    assert_int_equal(sp_step(cus, &b), SP_OK);
    if (a.neuron != b.neuron || time_err(a.t, b.t, TAU) > tol)
      fail_msg("custom F = -V (n %u, frame %u): spike %d: LIF neuron %u at %.17g, custom %u at "
               "%.17g",
               n, frame, j, a.neuron, a.t, b.neuron, b.t);
    if (time_err(a.t, b.t, TAU) > *worst) *worst = time_err(a.t, b.t, TAU);
  }
  sp_network_destroy(lif);
  sp_network_destroy(cus);
  free_net(&x);
}

static void test_custom_lif_is_lif(void **state) {
  const int twin_spikes = quick() ? 4000 : 20000;
  double worst = 0, mixed = 0;
  (void)state;
  lif_twins(2000, 1, SP_FRAME_AUTO, twin_spikes, 1e-12, &worst);
  lif_twins(2000, 1, SP_FRAME_TIME, twin_spikes, 1e-12, &worst);
  lif_twins(40, 0, SP_FRAME_AUTO, 400, 1e-12, &mixed);
  printf("# custom F = -V vs SP_MODEL_LIF: K = 100 (N = 2000, both frames, 2 x %d spikes) "
         "worst relative time error %.2e; explicit mixed with cascades (400 spikes) %.2e\n",
         twin_spikes, worst, mixed);
}

/* A shared weight changed by sp_set_params no longer matches the kick map built for the old
   one: the kicks must take the weight now in force (the look-ups), as a network created with
   it does (through its own map): same spikes, times within 1e-9 relative, over 200 spikes of
   the balanced EIF network (N = 1000, K = 100; the two differ by rounding only, which this
   chaotic network amplifies: 1.1e-12 measured, growing beyond 1e-9 by spike 460). A kick
   through the stale map (w = -0.1 instead of -0.12) parts them by 2e-1 at spike 26. */
static void test_changed_weight_leaves_the_map(void **state) {
  sp_network_desc d;
  sp_network *a = NULL, *b = NULL;
  const double w_new = -0.12;
  double worst = 0;
  int j;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_EIF;
  d.n = 1000;
  d.tau = TAU;
  d.drive = 1.1;
  d.init_seed = 7;
  d.recurrent.k = 100;
  d.recurrent.seed = 3;
  d.recurrent.weight = -0.1;
  assert_int_equal(sp_network_create(&d, &a), SP_OK);
  assert_int_equal(sp_set_params(a, SP_PARAM_WEIGHTS, &w_new, 1), SP_OK);
  d.recurrent.weight = w_new;
  assert_int_equal(sp_network_create(&d, &b), SP_OK);
  for (j = 0; j < 200; ++j) {
    sp_spike x, y;
    assert_int_equal(sp_step(a, &x), SP_OK);
    assert_int_equal(sp_step(b, &y), SP_OK);
    if (x.neuron != y.neuron || time_err(x.t, y.t, TAU) > 1e-9)
      fail_msg("spike %d: weight set %u at %.17g, created with it %u at %.17g", j, x.neuron, x.t,
               y.neuron, y.t);
    if (time_err(x.t, y.t, TAU) > worst) worst = time_err(x.t, y.t, TAU);
  }
  printf("# EIF weight changed by sp_set_params vs created with it: 200 spikes, worst relative "
         "time error %.2e\n",
         worst);
  sp_network_destroy(a);
  sp_network_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eif_vs_reference),
      cmocka_unit_test(test_custom_exponential_vs_reference),
      cmocka_unit_test(test_custom_qif_vs_closed_form),
      cmocka_unit_test(test_custom_lif_is_lif),
      cmocka_unit_test(test_changed_weight_leaves_the_map),
  };
  return cmocka_run_group_tests_name("tabulated models vs reference", tests, NULL, NULL);
}
