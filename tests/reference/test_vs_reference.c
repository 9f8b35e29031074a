/*
 * test_vs_reference.c - checks the engine, through the public C API only, against the
 * independent reference simulator (refsim.c): spike for spike on random LIF and QIF networks,
 * with external inputs, both event-loop frames, drive changes, procedural connectivity,
 * rewind, a long run, and the paper's balanced network rate (src/ARCHITECTURE.md, Verification).
 *
 * Calls are mirrored in lockstep (sp_step <-> ref_step, sp_run <-> ref_run with the same t_end
 * and cap, sp_input <-> ref_input, sp_set_drive <-> ref_set_drive) and every call's spikes are
 * compared: same neuron indices, times within TIME_TOL relative to max(t, tau) (time_err).
 * Voltages are compared every few calls. A second reference started 1 ulp away (the shadow,
 * see run_stats) receives the same calls and shows whether the network itself amplifies
 * rounding over the horizon; random networks are screened with it before use, so a failure
 * points at the engine, not at chaos.
 *
 * Every network, call sequence and initial state is drawn from fixed seeds: runs are
 * reproducible, and the choice of networks depends on the reference only.
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
#include <time.h>

#include <sparseprop/sparseprop.h>

#include "refsim.h"

#define TIME_TOL 1e-10 /* relative, on spike times */
#define VOLT_TOL 1e-8  /* absolute (scaled by max(1, |V|)), on voltages at matching times */
#define BUF_CAP 4096

/* ------------------------------------------------------------------------------------ */
/* Small helpers                                                                         */

static double rel_err(double a, double b) {
  double s = fmax(fabs(a), fabs(b));
  if (a == b) return 0.0;
  return fabs(a - b) / s;
}

/* Spike-time error relative to max(|t|, scale) with scale = tau: the first spikes of a large
   network come at t << tau, where a time relative error says nothing about the simulation
   (the same absolute error 1e-17 s is 1e-11 of t = 1e-6 s); tau is the model's time unit. */
static double time_err(double a, double b, double scale) {
  double s = fmax(fmax(fabs(a), fabs(b)), scale);
  if (a == b) return 0.0;
  return fabs(a - b) / s;
}

/* Test-side random numbers (splitmix64); independent of the generator under test. */
static uint64_t rng_next(uint64_t *s) {
  *s += UINT64_C(0x9e3779b97f4a7c15);
  return ref_mix64(*s);
}
static double rng_unif(uint64_t *s) {
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}
static double rng_range(uint64_t *s, double a, double b) { return a + (b - a) * rng_unif(s); }
static uint32_t rng_below(uint64_t *s, uint32_t m) { return (uint32_t)(rng_next(s) % m); }

static double seconds_since(clock_t start) { return (double)(clock() - start) / CLOCKS_PER_SEC; }

/* Statistics over the whole program, reported by the last test. */
static struct {
  double max_time_rel;
  double max_volt_abs;
  uint64_t spikes_compared;
  uint64_t cascade_spikes; /* spikes at exactly the time of the previous spike */
  uint64_t ignored_inputs; /* deliveries the reference ignored (refractory) */
} g_stats;

/* ------------------------------------------------------------------------------------ */
/* A network description owned by the test, turned into an engine network or a reference   */

typedef struct netspec {
  uint32_t model;
  uint32_t n;
  double tau;
  double drive;   /* used when drives == NULL */
  double *drives; /* n or NULL */
  double *v0;     /* n or NULL (engine: seeded phases) */
  uint64_t init_seed;
  double t_ref;
  uint32_t frame;
  sp_synapses rec;
  uint32_t n_inputs;
  sp_synapses in;
  /* storage */
  uint64_t *rec_ptr;
  uint32_t *rec_tgt;
  double *rec_w;
  uint64_t *in_ptr;
  uint32_t *in_tgt;
  double *in_w;
} netspec;

static void spec_init(netspec *s, uint32_t model, uint32_t n) {
  memset(s, 0, sizeof *s);
  s->model = model;
  s->n = n;
  s->tau = 0.01;
}

static void spec_free(netspec *s) {
  free(s->drives);
  free(s->v0);
  free(s->rec_ptr);
  free(s->rec_tgt);
  free(s->rec_w);
  free(s->in_ptr);
  free(s->in_tgt);
  free(s->in_w);
  memset(s, 0, sizeof *s);
}

static sp_network *spec_engine(const netspec *s) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_status st;
  sp_network_desc_init(&d, sizeof d);
  d.model = s->model;
  d.n = s->n;
  d.tau = s->tau;
  d.drive = s->drive;
  d.drives = s->drives;
  d.recurrent = s->rec;
  d.n_inputs = s->n_inputs;
  d.inputs = s->in;
  d.v0 = s->v0;
  d.init_seed = s->init_seed;
  d.t_ref = s->t_ref;
  d.frame = s->frame;
  st = sp_network_create(&d, &net);
  if (st != SP_OK) fail_msg("sp_network_create: %s: %s", sp_status_name(st), sp_last_error());
  assert_non_null(net);
  return net;
}

static ref_conn to_ref_conn(const sp_synapses *y) {
  ref_conn c;
  c.row_ptr = y->row_ptr;
  c.targets = y->targets;
  c.weights = y->weights;
  c.k = y->k;
  c.seed = y->seed;
  c.weight = y->weight;
  return c;
}

/* The reference for s, started from v0 (the spec's or the engine's initial voltages). */
static ref_sim *spec_reference(const netspec *s, const double *v0) {
  ref_config c;
  ref_sim *r;
  double *drives = (double *)malloc(s->n * sizeof(double));
  uint32_t i;
  assert_non_null(drives);
  for (i = 0; i < s->n; ++i) drives[i] = s->drives ? s->drives[i] : s->drive;
  memset(&c, 0, sizeof c);
  c.model = s->model == SP_MODEL_LIF ? REF_LIF : REF_QIF;
  c.n = s->n;
  c.tau = s->tau;
  c.drives = drives;
  c.v0 = v0 ? v0 : s->v0;
  c.t_ref = s->t_ref;
  c.recurrent = to_ref_conn(&s->rec);
  c.n_inputs = s->n_inputs;
  c.inputs = to_ref_conn(&s->in);
  r = ref_create(&c);
  free(drives);
  assert_non_null(r);
  return r;
}

/* A reference started one ulp above v0 (the spec's, or the given one): see run_stats. */
static ref_sim *spec_shadow(const netspec *s, const double *v0) {
  const double *base = v0 ? v0 : s->v0;
  double *nudged = (double *)malloc(s->n * sizeof(double));
  ref_sim *r;
  uint32_t i;
  assert_non_null(nudged);
  for (i = 0; i < s->n; ++i) nudged[i] = nextafter(base[i], INFINITY);
  r = spec_reference(s, nudged);
  free(nudged);
  return r;
}

/* The largest relative spike-time difference between the reference and its 1-ulp shadow over
   the first `spikes` spikes of the plain sequence (1.0 if the order differs). */
static double chaos_screen(const netspec *s, uint64_t spikes) {
  ref_sim *a = spec_reference(s, NULL), *b = spec_shadow(s, NULL);
  ref_spike x, y;
  double mx = 0;
  uint64_t k;
  for (k = 0; k < spikes; ++k) {
    int ra = ref_step(a, &x), rb = ref_step(b, &y);
    if (ra != rb || (ra == 0 && x.neuron != y.neuron)) {
      mx = 1.0;
      break;
    }
    if (ra != 0) break;
    mx = fmax(mx, time_err(x.t, y.t, s->tau));
  }
  ref_destroy(a);
  ref_destroy(b);
  return mx;
}

/* Random explicit CSR from n_src sources onto n neurons: degree 0..2*mean_k, weights
   excitatory U(exc_lo, exc_hi) with probability p_exc, else -U(inh_lo, inh_hi). For
   recurrent synapses, some sources get a self-synapse and some a repeated target. */
static void random_csr(uint64_t *rng, uint32_t n_src, uint32_t n, uint32_t mean_k, double p_exc,
                       double exc_lo, double exc_hi, double inh_lo, double inh_hi, int recurrent,
                       uint64_t **ptr_out, uint32_t **tgt_out, double **w_out) {
  uint64_t *ptr = (uint64_t *)malloc(((size_t)n_src + 1) * sizeof *ptr);
  uint32_t *deg = (uint32_t *)malloc(n_src * sizeof *deg);
  uint32_t *tgt;
  double *w;
  uint32_t j, e;
  assert_non_null(ptr);
  assert_non_null(deg);
  ptr[0] = 0;
  for (j = 0; j < n_src; ++j) {
    deg[j] = rng_below(rng, 2 * mean_k + 1);
    if (recurrent && deg[j] < 2) deg[j] = 2;
    ptr[j + 1] = ptr[j] + deg[j];
  }
  tgt = (uint32_t *)malloc((size_t)(ptr[n_src] + 1) * sizeof *tgt);
  w = (double *)malloc((size_t)(ptr[n_src] + 1) * sizeof *w);
  assert_non_null(tgt);
  assert_non_null(w);
  for (j = 0; j < n_src; ++j) {
    for (e = 0; e < deg[j]; ++e) {
      uint64_t at = ptr[j] + e;
      tgt[at] = rng_below(rng, n);
      if (rng_unif(rng) < p_exc)
        w[at] = rng_range(rng, exc_lo, exc_hi);
      else
        w[at] = -rng_range(rng, inh_lo, inh_hi);
    }
    if (recurrent && deg[j] >= 2) {
      if (rng_unif(rng) < 0.25) tgt[ptr[j] + rng_below(rng, deg[j])] = j; /* self-synapse */
      if (rng_unif(rng) < 0.25) tgt[ptr[j] + 1] = tgt[ptr[j]];            /* repeat */
    }
  }
  free(deg);
  *ptr_out = ptr;
  *tgt_out = tgt;
  *w_out = w;
}

static void spec_explicit_recurrent(netspec *s, uint64_t *rng, uint32_t mean_k, double p_exc,
                                    double exc_lo, double exc_hi, double inh_lo, double inh_hi) {
  random_csr(rng, s->n, s->n, mean_k, p_exc, exc_lo, exc_hi, inh_lo, inh_hi, 1, &s->rec_ptr,
             &s->rec_tgt, &s->rec_w);
  s->rec.row_ptr = s->rec_ptr;
  s->rec.targets = s->rec_tgt;
  s->rec.weights = s->rec_w;
}

static void spec_random_v0(netspec *s, uint64_t *rng, double lo, double hi) {
  uint32_t i;
  s->v0 = (double *)malloc(s->n * sizeof(double));
  assert_non_null(s->v0);
  for (i = 0; i < s->n; ++i) s->v0[i] = rng_range(rng, lo, hi);
}

/* LIF drives: a fraction below or at threshold (never fire alone), the rest oscillatory. */
static void spec_lif_drives(netspec *s, uint64_t *rng, double frac_sub) {
  uint32_t i;
  s->drives = (double *)malloc(s->n * sizeof(double));
  assert_non_null(s->drives);
  for (i = 0; i < s->n; ++i) {
    double u = rng_unif(rng);
    if (u < 0.03)
      s->drives[i] = 1.0;
    else if (u < frac_sub)
      s->drives[i] = rng_range(rng, 0.2, 1.0);
    else
      s->drives[i] = rng_range(rng, 1.05, 2.5);
  }
  s->drives[0] = 1.7; /* at least one oscillator */
}

/* ------------------------------------------------------------------------------------ */
/* Lockstep comparison                                                                   */

/* A comparison in progress. `shadow` is a second reference started 1 ulp away (every v0
   nudged up by one unit in the last place) that receives the same calls: how far it drifts
   from the reference is how much the network itself amplifies rounding. Two correct
   implementations can only be expected to agree within TIME_TOL where the shadow stays far
   below it, so every comparison also asserts that (SHADOW_TOL): a failure there means the
   test picked a chaotic network, not that the engine is wrong. Random LIF networks are
   screened before use with the stricter SCREEN_TOL. */
#define SHADOW_TOL 1e-11
#define SCREEN_TOL 1e-12

typedef struct run_stats {
  double max_time_rel;
  double max_volt_abs;
  uint64_t spikes;
  uint64_t cascade_spikes;
  double last_t; /* time of the last compared spike (NaN before the first) */
  ref_sim *shadow;
  double max_shadow; /* max rel spike time difference shadow vs reference (1: order differs) */
  double tscale;     /* time_err's scale: the network's tau */
} run_stats;

static void stats_init(run_stats *r) {
  memset(r, 0, sizeof *r);
  r->last_t = NAN;
}

static void shadow_compare(run_stats *st, const ref_spike *a, size_t na, const ref_spike *b,
                           size_t nb) {
  size_t i;
  if (na != nb) st->max_shadow = 1.0;
  for (i = 0; i < na && i < nb; ++i) {
    double e = a[i].neuron == b[i].neuron ? time_err(a[i].t, b[i].t, st->tscale) : 1.0;
    if (e > st->max_shadow) st->max_shadow = e;
  }
}

static void check_not_chaotic(const char *what, const run_stats *st) {
  if (!st->shadow) return;
  if (!(st->max_shadow <= SHADOW_TOL))
    fail_msg("%s: test design: a 1-ulp perturbation of v0 moves the reference's spikes by %.3g "
             "(> %.0e) over this horizon; the network is too chaotic for a 1e-10 comparison",
             what, st->max_shadow, SHADOW_TOL);
}

static void stats_flush(const run_stats *r) {
  if (r->max_time_rel > g_stats.max_time_rel) g_stats.max_time_rel = r->max_time_rel;
  if (r->max_volt_abs > g_stats.max_volt_abs) g_stats.max_volt_abs = r->max_volt_abs;
  g_stats.spikes_compared += r->spikes;
  g_stats.cascade_spikes += r->cascade_spikes;
}

static void compare_spikes(const char *what, const sp_spike *e, size_t ne, const ref_spike *r,
                           size_t nr, double tol, run_stats *st) {
  size_t i;
  if (ne != nr)
    print_message("# %s: engine gave %lu spikes, reference %lu (after %lu compared)\n", what,
                  (unsigned long)ne, (unsigned long)nr, (unsigned long)st->spikes);
  for (i = 0; i < ne && i < nr; ++i) {
    double err = time_err(e[i].t, r[i].t, st->tscale);
    if (e[i].neuron != r[i].neuron || !(err <= tol)) {
      size_t k;
      for (k = i >= 3 ? i - 3 : 0; k <= i + 2 && k < ne && k < nr; ++k)
        print_message("# #%lu engine (%u, %.17g)  reference (%u, %.17g)\n",
                      (unsigned long)(st->spikes + k), e[k].neuron, e[k].t, r[k].neuron, r[k].t);
      fail_msg("%s: spike %lu differs: engine neuron %u t=%.17g, reference neuron %u t=%.17g "
               "(rel err %.3g; a 1-ulp shadow of the reference drifted %.3g so far)",
               what, (unsigned long)(st->spikes + i), e[i].neuron, e[i].t, r[i].neuron, r[i].t, err,
               st->max_shadow);
    }
    if (err > st->max_time_rel) st->max_time_rel = err;
    if (r[i].t == st->last_t) st->cascade_spikes++;
    st->last_t = r[i].t;
  }
  assert_int_equal(ne, nr);
  st->spikes += ne;
}

static void compare_voltages(const char *what, const sp_network *net, const ref_sim *ref,
                             uint32_t n, run_stats *st) {
  double *v;
  uint32_t i;
  sp_status s;
  if (n == 0) return; /* not compared (QIF: +-inf at the ends in exact arithmetic) */
  v = (double *)malloc(n * sizeof(double));
  assert_non_null(v);
  s = sp_voltages(net, v, n);
  assert_int_equal(s, SP_OK);
  for (i = 0; i < n; ++i) {
    double vr = ref_voltage(ref, i), d;
    if (isinf(vr) && v[i] == vr) continue;
    d = fabs(v[i] - vr) / fmax(1.0, fabs(vr));
    if (!(d <= VOLT_TOL))
      fail_msg("%s: voltage of neuron %u at t=%.17g: engine %.17g, reference %.17g", what, i,
               sp_now(net), v[i], vr);
    if (d > st->max_volt_abs) st->max_volt_abs = d;
  }
  free(v);
}

static sp_spike g_ebuf[BUF_CAP];
static ref_spike g_rbuf[BUF_CAP];
static ref_spike g_sbuf[BUF_CAP];

/* One sp_step mirrored; returns 1 if a spike happened. */
static int lock_step(const char *what, sp_network *net, ref_sim *ref, run_stats *st) {
  sp_status s = sp_step(net, &g_ebuf[0]);
  int rs = ref_step(ref, &g_rbuf[0]);
  if (st->shadow) {
    int ss = ref_step(st->shadow, &g_sbuf[0]);
    if (ss != rs) st->max_shadow = 1.0;
    if (ss == 0 && rs == 0) shadow_compare(st, g_rbuf, 1, g_sbuf, 1);
  }
  if (s != SP_OK && s != SP_ERR_STATE)
    fail_msg("%s: sp_step: %s: %s", what, sp_status_name(s), sp_last_error());
  if ((s == SP_OK) != (rs == 0))
    fail_msg("%s: sp_step gave %s, the reference %s (now %.17g)", what, sp_status_name(s),
             rs == 0 ? "a spike" : "no spike", sp_now(net));
  if (s == SP_OK) {
    compare_spikes(what, g_ebuf, 1, g_rbuf, 1, TIME_TOL, st);
    return 1;
  }
  if (!(rel_err(sp_now(net), ref_now(ref)) <= TIME_TOL))
    fail_msg("%s: after SP_ERR_STATE now %.17g, reference %.17g", what, sp_now(net), ref_now(ref));
  return 0;
}

/* One sp_run mirrored. cap == 0: count only. */
static size_t lock_run(const char *what, sp_network *net, ref_sim *ref, double t_end, size_t cap,
                       run_stats *st) {
  size_t ne = 0, nr;
  sp_status s = sp_run(net, t_end, cap ? g_ebuf : NULL, cap, &ne);
  if (s != SP_OK) fail_msg("%s: sp_run: %s: %s", what, sp_status_name(s), sp_last_error());
  nr = ref_run(ref, t_end, cap ? g_rbuf : NULL, cap);
  if (st->shadow) {
    size_t ns = ref_run(st->shadow, t_end, cap ? g_sbuf : NULL, cap);
    if (cap)
      shadow_compare(st, g_rbuf, nr, g_sbuf, ns);
    else if (ns != nr)
      st->max_shadow = 1.0;
  }
  if (cap) {
    compare_spikes(what, g_ebuf, ne, g_rbuf, nr, TIME_TOL, st);
  } else {
    assert_int_equal(ne, nr);
    st->last_t = NAN;
  }
  if (!cap || ne < cap) {
    assert_true(sp_now(net) == t_end);
  } else {
    assert_true(sp_now(net) == g_ebuf[ne - 1].t);
  }
  return ne;
}

/* Random mixture of sp_step and sp_run calls (small bufs that fill, big bufs, count-only)
   until at least `spikes` spikes were compared. dt_scale: typical time between spikes. */
static void lockstep_random(const char *what, sp_network *net, ref_sim *ref, uint32_t n,
                            uint64_t *rng, uint64_t spikes, double dt_scale, run_stats *st) {
  uint64_t ops = 0;
  while (st->spikes < spikes) {
    uint32_t op = rng_below(rng, 10);
    double now = sp_now(net);
    if (op < 3) {
      uint32_t k, m = 1 + rng_below(rng, 30);
      for (k = 0; k < m; ++k)
        if (!lock_step(what, net, ref, st)) break;
    } else if (op < 6) {
      /* a small buffer that fills: t_end far away */
      (void)lock_run(what, net, ref, now + 1000.0 * dt_scale, 1 + rng_below(rng, 8), st);
    } else if (op < 9) {
      (void)lock_run(what, net, ref, now + rng_range(rng, 0.0, 400.0) * dt_scale, BUF_CAP, st);
    } else {
      (void)lock_run(what, net, ref, now + rng_range(rng, 0.0, 20.0) * dt_scale, 0, st);
    }
    if (++ops % 8 == 0) compare_voltages(what, net, ref, n, st);
  }
  compare_voltages(what, net, ref, n, st);
}

/* ------------------------------------------------------------------------------------ */
/* Random LIF networks                                                                   */

static void run_lif_case(const char *what, netspec *s, uint64_t *rng, uint64_t spikes,
                         run_stats *total) {
  sp_network *net = spec_engine(s);
  ref_sim *ref = spec_reference(s, NULL);
  run_stats st;
  clock_t c0 = clock();
  stats_init(&st);
  st.tscale = s->tau;
  st.shadow = spec_shadow(s, NULL);
  compare_voltages(what, net, ref, s->n, &st);
  lockstep_random(what, net, ref, s->n, rng, spikes, 1.0 / (20.0 * s->n), &st);
  check_not_chaotic(what, &st);
  ref_destroy(st.shadow);
  print_message("# %s: n=%u t_ref=%g frame=%u: %lu spikes to t=%.4g, %lu in cascades, max rel "
                "time err %.3g (shadow %.3g), max volt err %.3g, ignored inputs %lu (%.2f s)\n",
                what, s->n, s->t_ref, sp_network_frame(net), (unsigned long)st.spikes, sp_now(net),
                (unsigned long)st.cascade_spikes, st.max_time_rel, st.max_shadow, st.max_volt_abs,
                (unsigned long)ref_ignored_inputs(ref), seconds_since(c0));
  stats_flush(&st);
  g_stats.ignored_inputs += ref_ignored_inputs(ref);
  total->spikes += st.spikes;
  total->cascade_spikes += st.cascade_spikes;
  if (st.max_time_rel > total->max_time_rel) total->max_time_rel = st.max_time_rel;
  sp_network_destroy(net);
  ref_destroy(ref);
}

/* Explicit CSR with mixed-sign weights (strong excitatory ones, self-synapses, repeats),
   heterogeneous drives including subthreshold ones, t_ref = 0 and > 0. */
static void test_lif_random_explicit(void **state) {
  uint64_t rng = 20231201;
  run_stats total;
  int c, rejected = 0;
  (void)state;
  stats_init(&total);
  for (c = 0; c < 10; ++c) {
    netspec s;
    char what[64];
    for (;;) {
      uint32_t n = 20 + rng_below(&rng, 281);
      spec_init(&s, SP_MODEL_LIF, n);
      s.tau = c % 3 == 0 ? 0.01 : rng_range(&rng, 0.005, 0.03);
      s.t_ref = c % 2 == 0 ? 0.0 : rng_range(&rng, 0.0005, 0.004);
      spec_lif_drives(&s, &rng, 0.3);
      spec_random_v0(&s, &rng, -0.5, 0.99);
      spec_explicit_recurrent(&s, &rng, 3 + rng_below(&rng, 12), 0.35, 0.1, 0.7, 0.05, 0.6);
      /* Excitatory networks can be chaotic: keep only networks whose reference does not
         amplify a 1-ulp perturbation beyond SCREEN_TOL over (more than) the horizon. */
      if (chaos_screen(&s, 14000) <= SCREEN_TOL) break;
      ++rejected;
      spec_free(&s);
      assert_true(rejected < 100);
    }
    sprintf(what, "lif explicit #%d", c);
    run_lif_case(what, &s, &rng, 12000, &total);
    spec_free(&s);
  }
  print_message("# total %lu spikes, %lu in cascades, max rel time err %.3g (%d chaotic "
                "networks skipped)\n",
                (unsigned long)total.spikes, (unsigned long)total.cascade_spikes,
                total.max_time_rel, rejected);
  assert_true(total.cascade_spikes > 100);
}

/* Procedural connectivity (mixed sign is impossible: one shared weight). Excitatory and
   inhibitory networks, heterogeneous drives. */
static void test_lif_random_procedural(void **state) {
  uint64_t rng = 77;
  run_stats total;
  int c;
  (void)state;
  stats_init(&total);
  for (c = 0; c < 6; ++c) {
    netspec s;
    char what[64];
    int tries = 0;
    for (;;) {
      uint32_t n = c == 5 ? 1000 : 20 + rng_below(&rng, 281);
      spec_init(&s, SP_MODEL_LIF, n);
      s.t_ref = c % 2 == 0 ? 0.0 : 0.002;
      spec_lif_drives(&s, &rng, 0.2);
      spec_random_v0(&s, &rng, 0.0, 0.99);
      s.rec.k = c == 3 ? n - 1 - rng_below(&rng, 5) /* 2k > n - 1 */ : 1 + rng_below(&rng, 30);
      if (s.rec.k > n - 1) s.rec.k = n - 1;
      s.rec.seed = rng_next(&rng);
      s.rec.weight = c % 2 == 0 ? -rng_range(&rng, 0.05, 0.4) : rng_range(&rng, 0.05, 0.3);
      if (c == 3) s.rec.weight = -0.02;
      if (chaos_screen(&s, 14000) <= SCREEN_TOL) break; /* see test_lif_random_explicit */
      spec_free(&s);
      assert_true(++tries < 100);
    }
    sprintf(what, "lif procedural #%d k=%u w=%.3f", c, s.rec.k, s.rec.weight);
    run_lif_case(what, &s, &rng, 12000, &total);
    spec_free(&s);
  }
  assert_true(total.cascade_spikes > 0);
}

/* ------------------------------------------------------------------------------------ */
/* QIF                                                                                   */

/* QIF networks are compared over their first 500 spikes only: balanced QIF networks are
   chaotic (positive Lyapunov exponents, src/ARCHITECTURE.md, Verification), so the rounding
   differences between two correct implementations (phases vs co-moving phases, different
   operation order) grow exponentially in time and after enough spikes flip the order of two spikes,
   after which the sequences legitimately differ. 500 spikes is well inside the horizon
   where 1e-16 perturbations stay below the 1e-10 tolerance; the 1-ulp shadow checks that
   (it drifts up to ~1e-11 over 500 spikes on these networks). */
static void test_qif_random(void **state) {
  uint64_t rng = 4242;
  int c;
  (void)state;
  for (c = 0; c < 8; ++c) {
    netspec s;
    sp_network *net;
    ref_sim *ref;
    run_stats st;
    char what[64];
    uint32_t i, n = 20 + rng_below(&rng, 281);
    spec_init(&s, SP_MODEL_QIF, n);
    s.t_ref = c % 4 == 3 ? 0.001 : 0.0;
    if (c % 2 == 0) {
      s.drives = (double *)malloc(n * sizeof(double));
      assert_non_null(s.drives);
      for (i = 0; i < n; ++i) s.drives[i] = rng_range(&rng, 0.05, 2.0);
    } else {
      s.drive = rng_range(&rng, 0.1, 1.5);
      s.frame = c % 4 == 1 ? SP_FRAME_PHASE : SP_FRAME_TIME;
    }
    spec_random_v0(&s, &rng, -3.0, 3.0);
    /* phases near both ends of (-pi, pi) */
    for (i = 0; i < n; i += 7) s.v0[i] = (i % 2 ? 1.0 : -1.0) * rng_range(&rng, 50.0, 1000.0);
    if (c < 6) {
      spec_explicit_recurrent(&s, &rng, 2 + rng_below(&rng, 15), 0.4, 0.05, 0.8, 0.05, 0.8);
    } else {
      s.rec.k = 1 + rng_below(&rng, 20);
      s.rec.seed = rng_next(&rng);
      s.rec.weight = c == 6 ? -0.3 : 0.2;
    }
    sprintf(what, "qif #%d", c);
    net = spec_engine(&s);
    ref = spec_reference(&s, NULL);
    stats_init(&st);
    st.tscale = s.tau;
    st.shadow = spec_shadow(&s, NULL);
    lockstep_random(what, net, ref, 0, &rng, 500, 1.0 / (10.0 * n), &st);
    print_message("# %s: n=%u frame=%u t_ref=%g: %lu spikes to t=%.4g, max rel time err %.3g "
                  "(shadow %.3g)\n",
                  what, n, sp_network_frame(net), s.t_ref, (unsigned long)st.spikes, sp_now(net),
                  st.max_time_rel, st.max_shadow);
    check_not_chaotic(what, &st);
    ref_destroy(st.shadow);
    stats_flush(&st);
    sp_network_destroy(net);
    ref_destroy(ref);
    spec_free(&s);
  }
}

/* ------------------------------------------------------------------------------------ */
/* External inputs                                                                       */

/* sp_input on the engine, ref_input on the reference and its shadow; t_eng/t_ref are the
   same time except for inputs "at now", which use each simulator's own now. */
static void mirror_input(sp_network *net, ref_sim *ref, run_stats *st, uint32_t ch, double t_eng,
                         double t_ref, int at_now) {
  sp_status s = sp_input(net, ch, t_eng);
  if (s != SP_OK)
    fail_msg("sp_input(%u, %.17g): %s: %s", ch, t_eng, sp_status_name(s), sp_last_error());
  assert_int_equal(ref_input(ref, ch, t_ref), 0);
  if (st->shadow)
    assert_int_equal(ref_input(st->shadow, ch, at_now ? ref_now(st->shadow) : t_ref), 0);
}

/* Queues a batch of inputs on both, some at equal times, some exactly at now(). */
static void queue_inputs(sp_network *net, ref_sim *ref, run_stats *st, uint64_t *rng,
                         uint32_t n_inputs, double horizon) {
  uint32_t k, m = 1 + rng_below(rng, 8);
  double now = sp_now(net), t = now + rng_range(rng, 1e-6, horizon);
  int at_now = 0;
  for (k = 0; k < m; ++k) {
    uint32_t ch = rng_below(rng, n_inputs);
    double u = rng_unif(rng);
    if (ref_queued(ref) > 4000) return;
    if (u < 0.15) {
      at_now = 1; /* at the current instant (each simulator's own now) */
    } else if (u < 0.55) {
      ; /* same time as the previous one */
    } else {
      at_now = 0;
      t = now + rng_range(rng, 1e-6, horizon);
    }
    mirror_input(net, ref, st, ch, at_now ? sp_now(net) : t, at_now ? ref_now(ref) : t, at_now);
  }
}

static void test_inputs(void **state) {
  uint64_t rng = 31337;
  uint64_t cascades = 0;
  int c;
  (void)state;
  for (c = 0; c < 6; ++c) {
    netspec s;
    sp_network *net;
    ref_sim *ref;
    run_stats st;
    char what[64];
    uint32_t i, n = 20 + rng_below(&rng, 200), ops = 0;
    int driven_only = c < 4, qif = c == 5;
    uint64_t target = qif ? 500 : 5000; /* QIF: see test_qif_random */
    clock_t c0 = clock();
    spec_init(&s, qif ? SP_MODEL_QIF : SP_MODEL_LIF, n);
    s.t_ref = c % 2 ? 0.0015 : 0.0;
    if (qif) {
      s.drives = (double *)malloc(n * sizeof(double));
      assert_non_null(s.drives);
      for (i = 0; i < n; ++i) s.drives[i] = rng_range(&rng, 0.1, 1.5);
    } else if (driven_only) {
      /* non-oscillatory: every spike is caused by an input */
      s.drives = (double *)malloc(n * sizeof(double));
      assert_non_null(s.drives);
      for (i = 0; i < n; ++i) s.drives[i] = rng_range(&rng, -0.5, 1.0);
    } else {
      spec_lif_drives(&s, &rng, 0.5);
    }
    spec_random_v0(&s, &rng, -0.2, 0.9);
    spec_explicit_recurrent(&s, &rng, 2 + rng_below(&rng, 8), 0.5, 0.1, 0.8, 0.05, 0.5);
    s.n_inputs = 3 + rng_below(&rng, 6);
    if (c == 2) {
      s.in.k = 1 + rng_below(&rng, n);
      s.in.seed = rng_next(&rng);
      s.in.weight = 0.6;
    } else {
      random_csr(&rng, s.n_inputs, n, 6, 0.8, 0.3, 1.2, 0.1, 0.5, 0, &s.in_ptr, &s.in_tgt, &s.in_w);
      s.in.row_ptr = s.in_ptr;
      s.in.targets = s.in_tgt;
      s.in.weights = s.in_w;
    }
    sprintf(what, "inputs #%d", c);
    net = spec_engine(&s);
    ref = spec_reference(&s, NULL);
    stats_init(&st);
    st.tscale = s.tau;
    st.shadow = spec_shadow(&s, NULL);
    while (st.spikes < target) {
      uint32_t op = rng_below(&rng, 10);
      double now = sp_now(net);
      if (op < 4) {
        queue_inputs(net, ref, &st, &rng, s.n_inputs, 0.01);
      } else if (op < 7) {
        uint32_t k, m = 1 + rng_below(&rng, 10);
        for (k = 0; k < m; ++k) {
          if (!lock_step(what, net, ref, &st)) break;
          /* an input at exactly the time of the spike just returned (now), while any
             remaining spikes of that instant are still due */
          if (rng_unif(&rng) < 0.3) {
            uint32_t ch = rng_below(&rng, s.n_inputs);
            mirror_input(net, ref, &st, ch, sp_now(net), ref_now(ref), 1);
          }
        }
      } else if (op < 9) {
        (void)lock_run(what, net, ref, now + rng_range(&rng, 0.0, 0.01),
                       rng_unif(&rng) < 0.5 ? 1 + rng_below(&rng, 5) : BUF_CAP, &st);
      } else {
        (void)lock_run(what, net, ref, now + rng_range(&rng, 0.0, 0.005), 0, &st);
      }
      if (++ops % 8 == 0) compare_voltages(what, net, ref, qif ? 0 : n, &st);
    }
    compare_voltages(what, net, ref, qif ? 0 : n, &st);
    print_message("# %s: n=%u inputs=%u %s t_ref=%g: %lu spikes to t=%.4g, %lu in cascades, "
                  "max rel time err %.3g (shadow %.3g), max volt err %.3g, ignored inputs %lu "
                  "(%.2f s)\n",
                  what, n, s.n_inputs,
                  qif           ? "qif"
                  : driven_only ? "input-driven lif"
                                : "oscillatory lif",
                  s.t_ref, (unsigned long)st.spikes, sp_now(net), (unsigned long)st.cascade_spikes,
                  st.max_time_rel, st.max_shadow, st.max_volt_abs,
                  (unsigned long)ref_ignored_inputs(ref), seconds_since(c0));
    check_not_chaotic(what, &st);
    ref_destroy(st.shadow);
    g_stats.ignored_inputs += ref_ignored_inputs(ref);
    cascades += st.cascade_spikes;
    stats_flush(&st);
    sp_network_destroy(net);
    ref_destroy(ref);
    spec_free(&s);
  }
  assert_true(cascades > 100);
}

/* ------------------------------------------------------------------------------------ */
/* Frames                                                                                */

static void test_frames(void **state) {
  uint64_t rng = 555;
  int c;
  (void)state;
  for (c = 0; c < 4; ++c) {
    netspec s;
    sp_network *phase, *time_net, *autonet;
    ref_sim *ref;
    run_stats sp_, st_;
    char what[64];
    uint32_t n, k;
    uint32_t model = c == 3 ? SP_MODEL_QIF : SP_MODEL_LIF;
    uint64_t spikes = model == SP_MODEL_QIF ? 500 : 10000;
    int tries = 0;
    for (;;) {
      n = 50 + rng_below(&rng, 200);
      spec_init(&s, model, n);
      s.drive = model == SP_MODEL_LIF ? rng_range(&rng, 1.05, 2.0) : 0.5;
      s.t_ref = c == 2 ? 0.001 : 0.0;
      spec_random_v0(&s, &rng, model == SP_MODEL_LIF ? 0.0 : -2.0,
                     model == SP_MODEL_LIF ? 0.99 : 2.0);
      if (c == 1) {
        s.rec.k = 10;
        s.rec.seed = 99;
        s.rec.weight = -0.15;
      } else {
        spec_explicit_recurrent(&s, &rng, 8, 0.3, 0.1, 0.5, 0.05, 0.4);
      }
      if (model == SP_MODEL_QIF || chaos_screen(&s, spikes + 2000) <= SCREEN_TOL) break;
      spec_free(&s); /* chaotic: see test_lif_random_explicit */
      assert_true(++tries < 100);
    }
    autonet = spec_engine(&s);
    assert_int_equal(sp_network_frame(autonet), SP_FRAME_PHASE);
    sp_network_destroy(autonet);
    s.frame = SP_FRAME_PHASE;
    phase = spec_engine(&s);
    assert_int_equal(sp_network_frame(phase), SP_FRAME_PHASE);
    s.frame = SP_FRAME_TIME;
    time_net = spec_engine(&s);
    assert_int_equal(sp_network_frame(time_net), SP_FRAME_TIME);
    /* both against the reference, with the same call sequence */
    sprintf(what, "frames #%d phase", c);
    ref = spec_reference(&s, NULL);
    stats_init(&sp_);
    sp_.tscale = s.tau;
    sp_.shadow = spec_shadow(&s, NULL);
    {
      uint64_t rng_copy = rng;
      lockstep_random(what, phase, ref, model == SP_MODEL_QIF ? 0 : n, &rng_copy, spikes,
                      1.0 / (20.0 * n), &sp_);
    }
    check_not_chaotic(what, &sp_);
    ref_destroy(sp_.shadow);
    ref_destroy(ref);
    sprintf(what, "frames #%d time", c);
    ref = spec_reference(&s, NULL);
    stats_init(&st_);
    st_.tscale = s.tau;
    st_.shadow = spec_shadow(&s, NULL);
    lockstep_random(what, time_net, ref, model == SP_MODEL_QIF ? 0 : n, &rng, spikes,
                    1.0 / (20.0 * n), &st_);
    check_not_chaotic(what, &st_);
    ref_destroy(st_.shadow);
    ref_destroy(ref);
    /* and against each other: run both a little further by steps */
    for (k = 0; k < 200; ++k) {
      sp_spike a, b;
      assert_int_equal(sp_step(phase, &a), SP_OK);
      assert_int_equal(sp_step(time_net, &b), SP_OK);
      if (a.neuron != b.neuron || !(time_err(a.t, b.t, s.tau) <= TIME_TOL))
        fail_msg("frames #%d: phase (%u, %.17g) vs time (%u, %.17g)", c, a.neuron, a.t, b.neuron,
                 b.t);
    }
    print_message("# frames #%d %s n=%u: phase %lu spikes (max rel err %.3g), time %lu spikes "
                  "(max rel err %.3g)\n",
                  c, model == SP_MODEL_LIF ? "lif" : "qif", n, (unsigned long)sp_.spikes,
                  sp_.max_time_rel, (unsigned long)st_.spikes, st_.max_time_rel);
    stats_flush(&sp_);
    stats_flush(&st_);
    sp_network_destroy(phase);
    sp_network_destroy(time_net);
    spec_free(&s);
  }
}

/* The AUTO choice: phase for one shared oscillatory drive, time for per-neuron drives or
   non-oscillatory neurons. */
static void test_frame_auto(void **state) {
  netspec s;
  sp_network *net;
  uint64_t rng = 8;
  (void)state;
  spec_init(&s, SP_MODEL_LIF, 30);
  s.drive = 1.2;
  spec_random_v0(&s, &rng, 0.0, 0.9);
  s.rec.k = 5;
  s.rec.seed = 1;
  s.rec.weight = -0.1;
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  sp_network_destroy(net);
  s.drive = 0.9; /* homogeneous but not oscillatory */
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  sp_network_destroy(net);
  spec_lif_drives(&s, &rng, 0.0);
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  sp_network_destroy(net);
  spec_free(&s);

  spec_init(&s, SP_MODEL_QIF, 30);
  s.drive = 0.3;
  spec_random_v0(&s, &rng, -1.0, 1.0);
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  sp_network_destroy(net);
  s.drives = (double *)malloc(30 * sizeof(double));
  assert_non_null(s.drives);
  {
    uint32_t i;
    for (i = 0; i < 30; ++i) s.drives[i] = 0.2 + 0.01 * i;
  }
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  sp_network_destroy(net);
  spec_free(&s);
}

/* Exact simultaneity must survive: neuron 0 fires and takes neuron 1 to threshold, so both
   are reset at the same instant; with one shared drive and no other input they are due again
   at exactly the same time, every period. Rule a: 0 first (lower index), its synapse takes 1
   (due anyway) over, 1 fires at that instant and its synapse back onto 0 is ignored (rule c).
   Should the two resets differ by rounding, 1 may fire first or an ulp later, and then the
   1 -> 0 input is applied instead of ignored. */
static void test_sync_pair(void **state) {
  int a, broken[3] = {0, 0, 0};
  uint32_t frame;
  (void)state;
  for (frame = SP_FRAME_PHASE; frame <= SP_FRAME_TIME; ++frame) {
    for (a = 0; a < 20; ++a) {
      netspec s;
      sp_network *net;
      ref_sim *ref;
      uint64_t rp[3] = {0, 1, 2};
      uint32_t tg[2] = {1, 0};
      double w[2] = {0.5, 0.3};
      int k;
      spec_init(&s, SP_MODEL_LIF, 2);
      s.drive = 1.1 + 0.037 * a;
      s.frame = frame;
      s.v0 = (double *)malloc(2 * sizeof(double));
      assert_non_null(s.v0);
      s.v0[0] = 0.9;
      s.v0[1] = 0.5;
      s.rec.row_ptr = rp;
      s.rec.targets = tg;
      s.rec.weights = w;
      net = spec_engine(&s);
      ref = spec_reference(&s, NULL);
      for (k = 0; k < 100; ++k) {
        sp_spike e0, e1;
        ref_spike r0, r1;
        assert_int_equal(sp_step(net, &e0), SP_OK);
        assert_int_equal(sp_step(net, &e1), SP_OK);
        assert_int_equal(ref_step(ref, &r0), 0);
        assert_int_equal(ref_step(ref, &r1), 0);
        /* the reference keeps the pair exact */
        assert_true(r0.neuron == 0 && r1.neuron == 1 && r0.t == r1.t);
        if (e0.neuron != 0 || e1.neuron != 1 || e0.t != e1.t ||
            !(time_err(e0.t, r0.t, s.tau) <= TIME_TOL)) {
          if (broken[frame]++ == 0)
            print_message("# sync pair, frame %u, I = %.3f, pair %d: engine (%u, %.17g) (%u, "
                          "%.17g), reference (0, %.17g) (1, %.17g)\n",
                          frame, s.drive, k, e0.neuron, e0.t, e1.neuron, e1.t, r0.t, r1.t);
          break;
        }
      }
      sp_network_destroy(net);
      ref_destroy(ref);
      spec_free(&s);
    }
  }
  print_message("# sync pair: synchrony broken in %d of 20 runs (phase frame), %d of 20 (time "
                "frame)\n",
                broken[SP_FRAME_PHASE], broken[SP_FRAME_TIME]);
  assert_int_equal(broken[SP_FRAME_PHASE], 0);
  assert_int_equal(broken[SP_FRAME_TIME], 0);
}

/* Three neurons with one drive and one v0 are due at the same instant. 0 fires first and
   its synapse takes 2 over threshold; rule a then orders 1 (due by its own flow) before 2
   (due by the input): lowest index first, whatever made a neuron due. */
static void test_equal_time_order(void **state) {
  uint32_t frame;
  (void)state;
  for (frame = SP_FRAME_PHASE; frame <= SP_FRAME_TIME; ++frame) {
    netspec s;
    sp_network *net;
    ref_sim *ref;
    uint64_t rp[4] = {0, 1, 1, 1};
    uint32_t tg[1] = {2};
    int k;
    spec_init(&s, SP_MODEL_LIF, 3);
    s.drive = 1.5;
    s.frame = frame;
    s.v0 = (double *)malloc(3 * sizeof(double));
    assert_non_null(s.v0);
    s.v0[0] = s.v0[1] = s.v0[2] = 0.5;
    s.rec.row_ptr = rp;
    s.rec.targets = tg;
    s.rec.weight = 0.6;
    net = spec_engine(&s);
    ref = spec_reference(&s, NULL);
    for (k = 0; k < 3; ++k) {
      sp_spike e;
      ref_spike r;
      assert_int_equal(sp_step(net, &e), SP_OK);
      assert_int_equal(ref_step(ref, &r), 0);
      assert_int_equal(r.neuron, (uint32_t)k); /* the reference: 0, 1, 2 */
      if (e.neuron != r.neuron || e.t != r.t)
        fail_msg("frame %u: spike %d at t = %.17g: engine neuron %u (t = %.17g), expected neuron "
                 "%u: 0 fired, its input made 2 due, 1 was due by its own flow at the same "
                 "instant",
                 frame, k, r.t, e.neuron, e.t, r.neuron);
    }
    sp_network_destroy(net);
    ref_destroy(ref);
    spec_free(&s);
  }
}

/* Rule c at its edges: after a spike at t, an input at exactly t + t_ref is ignored (closed
   interval), the voltage is held at 0 until t + t_ref and then relaxes from 0; inputs that
   take no neuron to threshold make sp_step apply them and return SP_ERR_STATE. */
static void test_refractory_boundary(void **state) {
  netspec s;
  sp_network *net;
  ref_sim *ref;
  uint64_t in_ptr[3] = {0, 1, 3};
  uint32_t in_tgt[3] = {0, 0, 1};
  double in_w[3] = {1.5, 0.3, 0.3};
  const double t_spike = 0.01, t_ref = 0.002, t_edge = t_spike + t_ref, I = 0.5, tau = 0.01;
  double v;
  sp_spike sp;
  ref_spike rs;
  (void)state;
  spec_init(&s, SP_MODEL_LIF, 2);
  s.drive = I;
  s.t_ref = t_ref;
  s.v0 = (double *)calloc(2, sizeof(double));
  assert_non_null(s.v0);
  s.n_inputs = 2;
  s.in.row_ptr = in_ptr;
  s.in.targets = in_tgt;
  s.in.weights = in_w;
  net = spec_engine(&s);
  ref = spec_reference(&s, NULL);
  assert_int_equal(sp_input(net, 0, t_spike), SP_OK);
  assert_int_equal(ref_input(ref, 0, t_spike), 0);
  assert_int_equal(sp_step(net, &sp), SP_OK);
  assert_int_equal(ref_step(ref, &rs), 0);
  assert_int_equal(sp.neuron, 0);
  assert_true(sp.t == t_spike && rs.t == t_spike && rs.neuron == 0);
  /* held at reset inside the refractory period */
  assert_int_equal(sp_run(net, t_spike + 0.5 * t_ref, NULL, 0, NULL), SP_OK);
  assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
  assert_true(v == 0.0);
  (void)ref_run(ref, t_spike + 0.5 * t_ref, NULL, 0);
  assert_true(ref_voltage(ref, 0) == 0.0);
  /* an input at exactly t + t_ref: ignored by neuron 0, applied to neuron 1 */
  assert_int_equal(sp_input(net, 1, t_edge), SP_OK);
  assert_int_equal(ref_input(ref, 1, t_edge), 0);
  assert_int_equal(sp_step(net, &sp), SP_ERR_STATE);
  assert_int_equal(ref_step(ref, &rs), -1);
  assert_true(sp_now(net) == t_edge);
  assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
  if (!(fabs(v) < 1e-15))
    fail_msg("input at exactly t + t_ref = %.17g reached the neuron that fired at %.17g "
             "(V = %.17g, expected 0)",
             t_edge, t_spike, v);
  assert_true(fabs(ref_voltage(ref, 0)) < 1e-15);
  assert_int_equal(sp_voltage(net, 1, &v), SP_OK);
  assert_true(fabs(v - (I * -expm1(-t_edge / tau) + 0.3)) < 1e-14);
  assert_true(fabs(ref_voltage(ref, 1) - v) < 1e-14);
  /* just after: neuron 0 relaxes from 0 and takes the input */
  assert_int_equal(sp_input(net, 1, t_edge + 0.001), SP_OK);
  assert_int_equal(ref_input(ref, 1, t_edge + 0.001), 0);
  assert_int_equal(sp_step(net, &sp), SP_ERR_STATE);
  assert_int_equal(ref_step(ref, &rs), -1);
  assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
  if (!(fabs(v - (I * -expm1(-0.001 / tau) + 0.3)) < 1e-14))
    fail_msg("V0 = %.17g after the refractory period, expected %.17g", v,
             I * -expm1(-0.001 / tau) + 0.3);
  assert_true(fabs(ref_voltage(ref, 0) - v) < 1e-14);
  sp_network_destroy(net);
  ref_destroy(ref);
  spec_free(&s);
}

/* ------------------------------------------------------------------------------------ */
/* Drive changes at run time                                                             */

static void test_set_drive(void **state) {
  uint64_t rng = 2718;
  int c;
  (void)state;
  for (c = 0; c < 3; ++c) {
    netspec s;
    sp_network *net;
    ref_sim *ref;
    run_stats st;
    char what[64];
    uint32_t n = 40 + rng_below(&rng, 200), round;
    spec_init(&s, SP_MODEL_LIF, n);
    s.t_ref = c == 1 ? 0.002 : 0.0;
    if (c == 0) {
      s.drive = 1.4; /* starts in the phase frame */
    } else {
      spec_lif_drives(&s, &rng, 0.3);
    }
    spec_random_v0(&s, &rng, 0.0, 0.95);
    /* inhibition-dominated: drive changes must not make the network chaotic */
    spec_explicit_recurrent(&s, &rng, 6, 0.1, 0.1, 0.4, 0.05, 0.5);
    sprintf(what, "set_drive #%d", c);
    net = spec_engine(&s);
    ref = spec_reference(&s, NULL);
    if (c == 0) assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
    stats_init(&st);
    st.tscale = s.tau;
    st.shadow = spec_shadow(&s, NULL);
    for (round = 0; round < 6; ++round) {
      uint32_t k, m = 1 + rng_below(&rng, 10);
      lockstep_random(what, net, ref, n, &rng, st.spikes + 2000, 1.0 / (20.0 * n), &st);
      for (k = 0; k < m; ++k) {
        /* often the neuron that just fired (reset, maybe refractory) */
        uint32_t i = (k == 0 && !isnan(st.last_t)) ? g_ebuf[0].neuron : rng_below(&rng, n);
        double I = rng_unif(&rng) < 0.3 ? rng_range(&rng, 0.3, 1.0) : rng_range(&rng, 1.05, 2.5);
        sp_status r = sp_set_drive(net, i, I);
        if (r != SP_OK) fail_msg("sp_set_drive: %s: %s", sp_status_name(r), sp_last_error());
        ref_set_drive(ref, i, I);
        ref_set_drive(st.shadow, i, I);
      }
      compare_voltages(what, net, ref, n, &st);
      if (c == 0) assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
    }
    print_message("# %s: n=%u: %lu spikes, max rel time err %.3g (shadow %.3g), max volt err "
                  "%.3g\n",
                  what, n, (unsigned long)st.spikes, st.max_time_rel, st.max_shadow,
                  st.max_volt_abs);
    check_not_chaotic(what, &st);
    ref_destroy(st.shadow);
    stats_flush(&st);
    sp_network_destroy(net);
    ref_destroy(ref);
    spec_free(&s);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Procedural connectivity observed through the public API                              */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The targets of `source` as the engine sees them: a LIF network in which only `source`
   oscillates and every other neuron sits at V = 0 with drive 0; after its first spike (or,
   for an input channel, after the input) the targets are exactly the neurons at V = w.
   Returns the count written to out (sorted). */
static uint32_t engine_targets(uint64_t seed, uint32_t n, uint32_t k, uint32_t source,
                               int recurrent, uint32_t *out) {
  sp_network_desc d;
  sp_network *net = NULL;
  double *drives = (double *)calloc(n, sizeof(double));
  double *v0 = (double *)calloc(n, sizeof(double));
  double *v = (double *)malloc(n * sizeof(double));
  const double w = 0.25;
  uint32_t i, count = 0;
  sp_spike sp;
  sp_status s;
  assert_non_null(drives);
  assert_non_null(v0);
  assert_non_null(v);
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = n;
  d.tau = 0.01;
  d.drives = drives;
  d.v0 = v0;
  if (recurrent) {
    drives[source] = 1.5;
    d.recurrent.k = k;
    d.recurrent.seed = seed;
    d.recurrent.weight = w;
  } else {
    d.n_inputs = source + 1;
    d.inputs.k = k;
    d.inputs.seed = seed;
    d.inputs.weight = w;
  }
  s = sp_network_create(&d, &net);
  if (s != SP_OK) fail_msg("create: %s: %s", sp_status_name(s), sp_last_error());
  if (recurrent) {
    assert_int_equal(sp_step(net, &sp), SP_OK);
    assert_int_equal(sp.neuron, source);
    assert_true(rel_err(sp.t, 0.01 * log(3.0)) < 1e-14);
  } else {
    assert_int_equal(sp_input(net, source, 0.0), SP_OK);
    assert_int_equal(sp_step(net, &sp), SP_ERR_STATE); /* applied, nobody reaches 1 */
  }
  assert_int_equal(sp_voltages(net, v, n), SP_OK);
  for (i = 0; i < n; ++i) {
    if (fabs(v[i] - w) < 1e-12) {
      out[count++] = i;
    } else if (!(fabs(v[i]) < 1e-12)) {
      fail_msg("seed %lu n %u k %u source %u: neuron %u has V = %.17g, neither 0 nor w",
               (unsigned long)seed, n, k, source, i, v[i]);
    }
  }
  sp_network_destroy(net);
  free(drives);
  free(v0);
  free(v);
  return count;
}

static void check_procedural_case(uint64_t seed, uint32_t n, uint32_t k, uint32_t source,
                                  int recurrent, const uint32_t *pinned) {
  uint32_t *ref = (uint32_t *)malloc(k * sizeof(uint32_t));
  uint32_t *eng = (uint32_t *)malloc(n * sizeof(uint32_t));
  uint32_t i, count;
  assert_non_null(ref);
  assert_non_null(eng);
  assert_int_equal(ref_procedural_targets(seed, n, k, source, recurrent, ref), 0);
  if (pinned)
    for (i = 0; i < k; ++i)
      if (ref[i] != pinned[i])
        fail_msg("reference generator differs from the pinned list at %u: %u vs %u", i, ref[i],
                 pinned[i]);
  count = engine_targets(seed, n, k, source, recurrent, eng);
  if (count != k)
    fail_msg("seed %lu n %u k %u source %u: engine gave %u targets", (unsigned long)seed, n, k,
             source, count);
  qsort(ref, k, sizeof *ref, cmp_u32);
  for (i = 0; i < k; ++i) {
    if (recurrent) assert_true(eng[i] != source);
    if (eng[i] != ref[i])
      fail_msg("seed %lu n %u k %u source %u: engine target set differs from the generator "
               "(sorted #%u: engine %u, expected %u)",
               (unsigned long)seed, n, k, source, i, eng[i], ref[i]);
  }
  free(ref);
  free(eng);
}

/* Pinned target lists of the documented generator (README.md "Connectivity", Procedural),
   in the generator's order. They were computed with this file's reference generator
   (refsim.c) and, independently, with a separate Python transcription of the format; both
   agreed. Changing them means changing the documented format. */
static const uint32_t pin_a[5] = {8, 16, 19, 7, 15}; /* seed 1, n 20, k 5, source 3 */
/* seed 0xdeadbeef, n 1000, k 10, source 999 */
static const uint32_t pin_b[10] = {839, 822, 351, 419, 19, 84, 285, 125, 500, 644};
/* seed 7, n 12, k 8, source 5: 2k > m, increasing order */
static const uint32_t pin_c[8] = {1, 4, 6, 7, 8, 9, 10, 11};
static const uint32_t pin_d[20] = {0,  1,  4,  5,  6,  8,  10, 11, 14, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 26, 27};
/* input channel: seed 5, n 30, k 20, channel 2 (m = n = 30, 2k > m) */
static const uint32_t pin_e[100] = {
    9277, 6879, 8446, 5352, 9450, 7676, 9206, 3820, 2145, 8226, 1506, 5455, 5888, 4644, 9457,
    210,  735,  3877, 1645, 4327, 618,  221,  4169, 6459, 3386, 4233, 7411, 4137, 7713, 7604,
    6731, 2919, 6586, 2240, 9954, 1623, 9381, 9422, 8675, 859,  6614, 6265, 6185, 8979, 9412,
    4864, 9844, 9841, 2129, 2797, 3402, 3709, 1848, 6029, 9715, 7650, 1794, 128,  3492, 7546,
    5584, 1310, 4444, 7753, 272,  9054, 5053, 1378, 4934, 2712, 3390, 1589, 5744, 1005, 5673,
    5242, 5076, 1611, 4161, 4435, 2874, 3853, 5679, 1205, 1132, 5651, 4911, 1057, 3370, 6108,
    1399, 2743, 7076, 5924, 5074, 3633, 3016, 6360, 9590, 2440};
/* seed 123456789, n 10000, k 100, source 4242 (the benchmark's scale) */
/* seed 2024, n 300, k 290, source 0: 2k > m; the targets are every neuron except the source
   and these 9 excluded ones */
static const uint32_t pin_f_excluded[9] = {2, 98, 105, 151, 213, 221, 252, 282, 297};

static void test_procedural_pinned(void **state) {
  uint32_t pin_f[290], i, j = 0, x = 0;
  (void)state;
  check_procedural_case(1, 20, 5, 3, 1, pin_a);
  check_procedural_case(UINT64_C(0xdeadbeef), 1000, 10, 999, 1, pin_b);
  check_procedural_case(7, 12, 8, 5, 1, pin_c);
  check_procedural_case(5, 30, 20, 2, 0, pin_d);
  check_procedural_case(123456789, 10000, 100, 4242, 1, pin_e);
  for (i = 1; i < 300; ++i) {
    if (x < 9 && pin_f_excluded[x] == i) {
      ++x;
      continue;
    }
    pin_f[j++] = i;
  }
  assert_int_equal(j, 290);
  check_procedural_case(2024, 300, 290, 0, 1, pin_f);
}

/* Random (seed, n, k, source): exact k, distinct, never the source, the generator's set. */
static void test_procedural_random(void **state) {
  uint64_t rng = 1001;
  int c;
  (void)state;
  for (c = 0; c < 40; ++c) {
    uint32_t n = 2 + rng_below(&rng, c < 30 ? 200 : 5000);
    int recurrent = c % 5 != 4;
    uint32_t m = recurrent ? n - 1 : n;
    uint32_t k = 1 + rng_below(&rng, m);
    uint32_t source = recurrent ? rng_below(&rng, n) : rng_below(&rng, 7);
    if (c % 3 == 0 && m > 2) k = m - rng_below(&rng, m / 3 + 1); /* dense: 2k > m */
    if (k == 0) k = 1;
    check_procedural_case(rng_next(&rng), n, k, source, recurrent, NULL);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Rewind                                                                                */

typedef struct call_log {
  sp_spike *spikes;
  size_t count;
  size_t cap;
} call_log;

static void log_push(call_log *l, const sp_spike *s, size_t n) {
  if (l->count + n > l->cap) {
    l->cap = 2 * (l->count + n);
    l->spikes = (sp_spike *)realloc(l->spikes, l->cap * sizeof(sp_spike));
    assert_non_null(l->spikes);
  }
  memcpy(l->spikes + l->count, s, n * sizeof *s);
  l->count += n;
}

/* A fixed, seeded call sequence (steps, runs with small and big bufs, inputs). */
static void rewind_sequence(sp_network *net, uint64_t seed, uint32_t n_inputs, call_log *l) {
  uint64_t rng = seed;
  int op;
  for (op = 0; op < 400; ++op) {
    uint32_t kind = rng_below(&rng, 4);
    size_t cnt = 0;
    if (kind == 0) {
      sp_spike s;
      if (sp_step(net, &s) == SP_OK) log_push(l, &s, 1);
    } else if (kind == 1) {
      assert_int_equal(sp_run(net, sp_now(net) + 1.0, g_ebuf, 1 + rng_below(&rng, 5), &cnt), SP_OK);
      log_push(l, g_ebuf, cnt);
    } else if (kind == 2) {
      assert_int_equal(sp_run(net, sp_now(net) + rng_range(&rng, 0.0, 0.01), g_ebuf, BUF_CAP, &cnt),
                       SP_OK);
      log_push(l, g_ebuf, cnt);
    } else if (n_inputs > 0) {
      assert_int_equal(sp_input(net, rng_below(&rng, n_inputs),
                                sp_now(net) + rng_range(&rng, 0.0, 0.003)),
                       SP_OK);
    }
  }
}

static void test_rewind(void **state) {
  uint64_t rng = 6060;
  int c;
  (void)state;
  for (c = 0; c < 3; ++c) {
    netspec s;
    sp_network *net;
    call_log a, b;
    double *v_init, *v_again;
    uint32_t n = 100 + rng_below(&rng, 100), i;
    size_t k;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    spec_init(&s, SP_MODEL_LIF, n);
    if (c == 0) {
      spec_lif_drives(&s, &rng, 0.3);
      spec_random_v0(&s, &rng, 0.0, 0.9);
      spec_explicit_recurrent(&s, &rng, 6, 0.3, 0.1, 0.6, 0.05, 0.5);
      s.n_inputs = 4;
      s.in.k = 10;
      s.in.seed = 3;
      s.in.weight = 0.5;
    } else {
      /* seeded initial phases (v0 = NULL), phase frame (c == 1) and QIF (c == 2) */
      if (c == 2) s.model = SP_MODEL_QIF;
      s.drive = c == 1 ? 1.25 : 0.4;
      s.init_seed = 12345 + c;
      s.rec.k = 20;
      s.rec.seed = 4;
      s.rec.weight = -0.1;
    }
    net = spec_engine(&s);
    v_init = (double *)malloc(n * sizeof(double));
    v_again = (double *)malloc(n * sizeof(double));
    assert_non_null(v_init);
    assert_non_null(v_again);
    assert_int_equal(sp_voltages(net, v_init, n), SP_OK);
    rewind_sequence(net, 99 + c, s.n_inputs, &a);
    if (s.n_inputs) assert_int_equal(sp_input(net, 0, sp_now(net) + 0.001), SP_OK); /* dropped */
    assert_int_equal(sp_rewind(net), SP_OK);
    assert_true(sp_now(net) == 0.0);
    assert_int_equal(sp_voltages(net, v_again, n), SP_OK);
    for (i = 0; i < n; ++i)
      if (!(v_init[i] == v_again[i] || (isinf(v_init[i]) && v_init[i] == v_again[i])))
        fail_msg("rewind #%d: V[%u] %.17g after rewind, %.17g at creation", c, i, v_again[i],
                 v_init[i]);
    rewind_sequence(net, 99 + c, s.n_inputs, &b);
    assert_true(a.count > 1000);
    assert_int_equal(a.count, b.count);
    for (k = 0; k < a.count; ++k)
      if (a.spikes[k].neuron != b.spikes[k].neuron ||
          memcmp(&a.spikes[k].t, &b.spikes[k].t, sizeof(double)) != 0)
        fail_msg("rewind #%d: spike %lu differs: (%u, %.17g) vs (%u, %.17g)", c, (unsigned long)k,
                 a.spikes[k].neuron, a.spikes[k].t, b.spikes[k].neuron, b.spikes[k].t);
    print_message("# rewind #%d: %lu spikes bit-identical\n", c, (unsigned long)a.count);
    free(a.spikes);
    free(b.spikes);
    free(v_init);
    free(v_again);
    sp_network_destroy(net);
    spec_free(&s);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Long-run precision                                                                    */

/* A small network in the given frame runs `spikes` spikes (t grows to thousands of seconds,
   far past where exp(t/tau) overflows, so the engine must have re-based its state many
   times). At an arbitrary time T the engine's voltages are read out; then
   (1) the same network continues for 1000 spikes,
   (2) a fresh network created with v0 = those voltages runs 1000 spikes from t = 0,
   (3) the reference started from those voltages runs 1000 spikes.
   (1) - T, (2) and (3) must agree: spike intervals after 10^7 spikes are as precise as at the
   start (within 1e-10 relative plus a few dozen ulps of T, the resolution of time itself). */
static void long_run(uint32_t frame, uint64_t spikes) {
  uint64_t rng = 1234567 + frame;
  netspec s;
  sp_network *net, *fresh;
  ref_sim *ref, *shadow;
  double *v, T, max_err1 = 0, max_err2 = 0, t_end, max_shadow = 0;
  uint64_t done = 0;
  uint32_t n = 24, i;
  clock_t c0 = clock();
  spec_init(&s, SP_MODEL_LIF, n);
  s.tau = 0.01;
  if (frame == SP_FRAME_PHASE) {
    s.drive = 1.3;
  } else {
    /* per-neuron drives, all well above 1: a drive near 1 makes a spike time arbitrarily
       sensitive to the rounding of the absolute time (see tol1 below) */
    s.drives = (double *)malloc(n * sizeof(double));
    assert_non_null(s.drives);
    for (i = 0; i < n; ++i) s.drives[i] = rng_range(&rng, 1.2, 2.5);
  }
  s.frame = frame;
  spec_random_v0(&s, &rng, 0.0, 0.99);
  spec_explicit_recurrent(&s, &rng, 4, 0.2, 0.05, 0.3, 0.05, 0.3);
  net = spec_engine(&s);
  assert_int_equal(sp_network_frame(net), frame);
  while (done < spikes) {
    size_t cnt = 0, cap = BUF_CAP;
    if (spikes - done < cap) cap = (size_t)(spikes - done);
    assert_int_equal(sp_run(net, 1e9, g_ebuf, cap, &cnt), SP_OK);
    assert_int_equal(cnt, cap);
    done += cnt;
  }
  t_end = sp_now(net) + 0.0037;
  assert_int_equal(sp_run(net, t_end, NULL, 0, NULL), SP_OK);
  T = sp_now(net);
  assert_true(T == t_end);
  v = (double *)malloc(n * sizeof(double));
  assert_non_null(v);
  assert_int_equal(sp_voltages(net, v, n), SP_OK);
  for (i = 0; i < n; ++i) assert_true(v[i] < 1.0 && isfinite(v[i]));
  free(s.v0);
  s.v0 = v; /* owned by the spec from here */
  s.frame = SP_FRAME_AUTO;
  fresh = spec_engine(&s);
  ref = spec_reference(&s, NULL);
  shadow = spec_shadow(&s, NULL);
  for (i = 0; i < 1000; ++i) {
    sp_spike a, b;
    ref_spike r, q;
    double tol1, e1, e2;
    assert_int_equal(sp_step(net, &a), SP_OK);
    assert_int_equal(sp_step(fresh, &b), SP_OK);
    assert_int_equal(ref_step(ref, &r), 0);
    assert_int_equal(ref_step(shadow, &q), 0);
    max_shadow = fmax(max_shadow, q.neuron == r.neuron ? time_err(q.t, r.t, s.tau) : 1.0);
    /* the continued network works at absolute times near T, resolved only to ulp(T); each
       event's time carries that rounding, and it propagates through the targets' voltages
       into later spike times (by less than (I + |V|)/(I - 1), below 20 here) and accumulates
       over a few events: allow 128 ulps (3e-11 s at T = 850 s; losing the re-basing would
       cost many orders of magnitude more) */
    tol1 = TIME_TOL * r.t + 128.0 * (nextafter(T, INFINITY) - T);
    e1 = fabs((a.t - T) - r.t);
    e2 = time_err(b.t, r.t, s.tau);
    if (a.neuron != r.neuron || !(e1 <= tol1))
      fail_msg("long run (frame %u): spike %u after T=%.17g: continued (%u, T+%.17g), reference "
               "(%u, T+%.17g) (1-ulp shadow drift so far %.3g)",
               frame, i, T, a.neuron, a.t - T, r.neuron, r.t, max_shadow);
    if (b.neuron != r.neuron || !(e2 <= TIME_TOL))
      fail_msg("long run (frame %u): spike %u: fresh (%u, %.17g), reference (%u, %.17g) (1-ulp "
               "shadow drift so far %.3g)",
               frame, i, b.neuron, b.t, r.neuron, r.t, max_shadow);
    if (e1 > max_err1) max_err1 = e1;
    if (e2 > max_err2) max_err2 = e2;
  }
  print_message("# long run frame %u: %lu spikes to T=%.6g s; next 1000: continued vs reference "
                "max abs err %.3g s (%.1f ulp(T)), fresh vs reference %.3g rel, shadow %.3g "
                "(%.2f s)\n",
                frame, (unsigned long)spikes, T, max_err1, max_err1 / (nextafter(T, INFINITY) - T),
                max_err2, max_shadow, seconds_since(c0));
  assert_true(max_shadow <= SHADOW_TOL); /* test design: the network must not be chaotic */
  ref_destroy(shadow);
  if (max_err2 > g_stats.max_time_rel) g_stats.max_time_rel = max_err2;
  sp_network_destroy(net);
  sp_network_destroy(fresh);
  ref_destroy(ref);
  spec_free(&s);
}

static void test_long_run_phase(void **state) {
  (void)state;
  long_run(SP_FRAME_PHASE, 10000000);
}

static void test_long_run_time(void **state) {
  (void)state;
  long_run(SP_FRAME_TIME, 2000000);
}

/* ------------------------------------------------------------------------------------ */
/* The paper's balanced LIF network (src/ARCHITECTURE.md, Benchmarks)                            */

static void test_balanced_rate(void **state) {
  const uint32_t N = 10000, K = 100;
  const double J0 = 1.0, nu = 1.0, tau = 0.01;
  sp_network_desc d;
  sp_network *net = NULL;
  ref_sim *ref;
  netspec s;
  double *v, rate, t_burn = 1.0, t_meas = 5.0;
  size_t count = 0;
  uint32_t i;
  run_stats st;
  clock_t c0 = clock();
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = N;
  d.tau = tau;
  d.drive = 1.0 + tau * sqrt((double)K) * J0 * nu;
  d.recurrent.k = K;
  d.recurrent.seed = 2023;
  d.recurrent.weight = -J0 / sqrt((double)K);
  d.v0 = NULL;
  d.init_seed = 42;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  /* the seeded initial state: all below threshold, spread over [0, 1) */
  v = (double *)malloc(N * sizeof(double));
  assert_non_null(v);
  assert_int_equal(sp_voltages(net, v, N), SP_OK);
  {
    double lo = 1, hi = 0;
    for (i = 0; i < N; ++i) {
      assert_true(v[i] >= 0.0 && v[i] < 1.0);
      lo = fmin(lo, v[i]);
      hi = fmax(hi, v[i]);
    }
    assert_true(lo < 0.01 && hi > 0.99);
  }
  /* the first 5000 spikes against the reference started from the engine's initial state */
  spec_init(&s, SP_MODEL_LIF, N);
  s.tau = tau;
  s.drive = d.drive;
  s.rec = d.recurrent;
  ref = spec_reference(&s, v);
  stats_init(&st);
  st.tscale = tau;
  st.shadow = spec_shadow(&s, v);
  for (i = 0; i < 5000; ++i) assert_int_equal(lock_step("balanced", net, ref, &st), 1);
  compare_voltages("balanced", net, ref, N, &st);
  check_not_chaotic("balanced", &st);
  stats_flush(&st);
  ref_destroy(st.shadow);
  ref_destroy(ref);
  /* the rate */
  assert_int_equal(sp_run(net, t_burn, NULL, 0, NULL), SP_OK);
  assert_int_equal(sp_run(net, t_burn + t_meas, NULL, 0, &count), SP_OK);
  rate = (double)count / (N * t_meas);
  print_message("# balanced LIF N=%u K=%u: 5000 spikes vs reference max rel err %.3g (shadow "
                "%.3g); rate %.4f Hz over [%g, %g] s (%lu spikes) (%.2f s)\n",
                N, K, st.max_time_rel, st.max_shadow, rate, t_burn, t_burn + t_meas,
                (unsigned long)count, seconds_since(c0));
  assert_true(rate >= 3.0 && rate <= 3.8);
  free(v);
  sp_network_destroy(net);
}

/* ------------------------------------------------------------------------------------ */

static void test_summary(void **state) {
  (void)state;
  print_message("# summary: %lu spikes compared with the reference, %lu in cascades, max rel "
                "spike time err %.3g, max voltage err %.3g, %lu inputs ignored as refractory\n",
                (unsigned long)g_stats.spikes_compared, (unsigned long)g_stats.cascade_spikes,
                g_stats.max_time_rel, g_stats.max_volt_abs, (unsigned long)g_stats.ignored_inputs);
  assert_true(g_stats.max_time_rel <= TIME_TOL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lif_random_explicit),
      cmocka_unit_test(test_lif_random_procedural),
      cmocka_unit_test(test_qif_random),
      cmocka_unit_test(test_inputs),
      cmocka_unit_test(test_frames),
      cmocka_unit_test(test_frame_auto),
      cmocka_unit_test(test_sync_pair),
      cmocka_unit_test(test_equal_time_order),
      cmocka_unit_test(test_refractory_boundary),
      cmocka_unit_test(test_set_drive),
      cmocka_unit_test(test_procedural_pinned),
      cmocka_unit_test(test_procedural_random),
      cmocka_unit_test(test_rewind),
      cmocka_unit_test(test_long_run_phase),
      cmocka_unit_test(test_long_run_time),
      cmocka_unit_test(test_balanced_rate),
      cmocka_unit_test(test_summary),
  };
  return cmocka_run_group_tests_name("vs_reference", tests, NULL, NULL);
}
