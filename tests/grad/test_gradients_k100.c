/*
 * test_gradients_k100.c - exact gradients against central finite differences at the paper's
 * K = 100 (rows longer than the backward pass's 64-target blocks): LIF and QIF, phase frame,
 * time frame forced by desc.frame and time frame from per-neuron drives; procedural and
 * explicit connectivity (rows of ~100 with mixed-sign weights, repeated targets and
 * self-synapses), explicit and procedural inputs with rows of ~100; every parameter kind.
 *
 * The loss depends on every spike of a horizon of a few hundred spikes (random dL/dt per spike)
 * and on the voltages at the end (LIF: every neuron; QIF: the neurons whose voltage is
 * moderate, as near the reset or the spike V is huge), so nearly every delivery of the horizon
 * carries a non-zero adjoint. Explicit recurrent weights are checked over the full rows of
 * two sources that spiked early, and explicit input weights over the full row of a channel: a
 * delivery dropped anywhere in a row, in either 64-block, changes its entry. A perturbation
 * that changes the spike order (checked at +-h and +-2h) is skipped and counted; the horizon
 * ends between two spikes. In the phase frame, single drives are perturbed on a twin network
 * created with SP_FRAME_AUTO (unequal drives need the time frame), and all drives together on
 * the network itself (the phase frame's shared drive).
 *
 * Run with the argument "lif" or "qif" for one model (meson runs them as two tests).
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
#include <time.h>

#include <sparseprop/sparseprop.h>

#include "k100_nets.h"

#define K 100
#define FD_TOL 1e-6 /* |fd - gradient| / (largest gradient of the kind checked) */
#define ROWS 2      /* explicit recurrent rows checked in full */
#define SAMPLE 16   /* drives and initial voltages checked */
#define N_EVENTS 12 /* input events in the horizon */

enum { CONN_PROCEDURAL, CONN_EXPLICIT, CONN_EXPLICIT_SHARED };
enum { IN_PROCEDURAL, IN_EXPLICIT };

typedef struct gcase {
  const char *name;
  uint32_t model;
  uint32_t frame;      /* desc.frame */
  uint32_t want_frame; /* the frame the engine must run */
  int conn, per_neuron, inputs;
  uint32_t n, spikes; /* neurons; spikes in the horizon (about) */
  uint64_t seed;
} gcase;

typedef struct problem {
  const gcase *c;
  k100_spec s;
  sp_network *net;
  sp_network *twin; /* frame AUTO: per-neuron drive perturbations of a phase-frame case */
  size_t n_spikes;
  double t_end;
  double *dl_dt, *dl_dv;
  uint32_t *order;
  double in_t[N_EVENTS];
  uint32_t in_ch[N_EVENTS];
  sp_spike *buf;
  double *v;
} problem;

static double seconds_since(clock_t c0) { return (double)(clock() - c0) / CLOCKS_PER_SEC; }

static sp_network *create(const k100_spec *s, uint32_t frame) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_status st;
  k100_desc(s, frame, &d);
  st = sp_network_create(&d, &net);
  if (st != SP_OK) fail_msg("sp_network_create: %s: %s", sp_status_name(st), sp_last_error());
  return net;
}

static void queue_inputs(problem *p, sp_network *net) {
  uint32_t k;
  for (k = 0; k < N_EVENTS; ++k) assert_int_equal(sp_input(net, p->in_ch[k], p->in_t[k]), SP_OK);
}

/* Runs `net` from t = 0 to t_end; the loss, or NAN if the spikes or their order differ. */
static double loss(problem *p, sp_network *net) {
  size_t count = 0, q;
  double l = 0;
  uint32_t i;
  assert_int_equal(sp_rewind(net), SP_OK);
  queue_inputs(p, net);
  assert_int_equal(sp_run(net, p->t_end, p->buf, p->n_spikes + 1, &count), SP_OK);
  if (count != p->n_spikes) return NAN;
  for (q = 0; q < count; ++q) {
    if (p->buf[q].neuron != p->order[q]) return NAN;
    l += p->dl_dt[q] * p->buf[q].t;
  }
  assert_int_equal(sp_voltages(net, p->v, p->s.n), SP_OK);
  for (i = 0; i < p->s.n; ++i) l += p->dl_dv[i] * p->v[i];
  return l;
}

static void build(problem *p, const gcase *c) {
  uint64_t rng = c->seed;
  int lif = c->model == SP_MODEL_LIF;
  k100_spec *s = &p->s;
  size_t count = 0, q;
  uint32_t i;
  double horizon;
  memset(p, 0, sizeof *p);
  p->c = c;
  k100_init(s, c->model, c->n);
  s->frame = c->frame;
  /* drives: LIF well above 1 (a drive near 1 makes spike times ill-conditioned) */
  s->drive = lif ? 1.3 : 0.2;
  if (c->per_neuron)
    assert_int_equal(
        lif ? k100_random_drives(s, &rng, 1.1, 1.6) : k100_random_drives(s, &rng, 0.1, 0.4), 0);
  assert_int_equal(k100_random_v0(s, &rng, 0.9 * K100_PI), 0);
  if (c->conn == CONN_PROCEDURAL) {
    s->rec.k = K;
    s->rec.seed = k100_next(&rng);
    s->rec.weight = -0.1;
  } else {
    /* QIF in the phase frame: rows without a repeated target (the rows a batched reverse
       sweep may take) */
    uint32_t repeats = !lif && c->want_frame == SP_FRAME_PHASE ? 0 : 3;
    assert_int_equal(
        k100_explicit_recurrent(s, &rng, K, repeats, 0.5, lif ? 0.04 : 0.1, lif ? 0.1 : 0.2), 0);
    if (c->conn == CONN_EXPLICIT_SHARED) {
      s->rec.weights = NULL;
      s->rec.weight = -0.05;
    }
  }
  if (c->inputs == IN_PROCEDURAL) {
    s->n_inputs = 3;
    s->in.k = K;
    s->in.seed = k100_next(&rng);
    s->in.weight = lif ? 0.1 : 0.3;
  } else {
    assert_int_equal(k100_explicit_inputs(s, &rng, 3, K, 0.6, lif ? 0.1 : 0.3, lif ? 0.1 : 0.3), 0);
  }
  p->net = create(s, c->frame);
  if (sp_network_frame(p->net) != c->want_frame)
    fail_msg("%s: frame %u, meant for %u", c->name, sp_network_frame(p->net), c->want_frame);
  if (c->want_frame == SP_FRAME_PHASE) p->twin = create(s, SP_FRAME_AUTO);

  p->buf = (sp_spike *)malloc((c->spikes + 64) * sizeof(sp_spike));
  p->dl_dt = (double *)malloc((c->spikes + 64) * sizeof(double));
  p->order = (uint32_t *)malloc((c->spikes + 64) * sizeof(uint32_t));
  p->dl_dv = (double *)calloc(s->n, sizeof(double));
  p->v = (double *)malloc(s->n * sizeof(double));
  assert_true(p->buf && p->dl_dt && p->order && p->dl_dv && p->v);

  /* the horizon's duration without inputs, then inputs spread over it */
  assert_int_equal(sp_run(p->net, 1e3, p->buf, c->spikes, &count), SP_OK);
  assert_int_equal(count, c->spikes);
  horizon = p->buf[count - 1].t;
  for (i = 0; i < N_EVENTS; ++i) {
    p->in_ch[i] = i % 3;
    p->in_t[i] = horizon * (0.05 + 0.85 * i / N_EVENTS) * k100_range(&rng, 0.9, 1.1);
  }
  /* the horizon with inputs: end halfway between two spikes with distinct times */
  assert_int_equal(sp_rewind(p->net), SP_OK);
  queue_inputs(p, p->net);
  assert_int_equal(sp_run(p->net, 1e3, p->buf, c->spikes + 1, &count), SP_OK);
  assert_int_equal(count, c->spikes + 1);
  p->n_spikes = c->spikes;
  while (p->n_spikes > 1 && !(p->buf[p->n_spikes - 1].t < p->buf[p->n_spikes].t)) p->n_spikes--;
  p->t_end = 0.5 * (p->buf[p->n_spikes - 1].t + p->buf[p->n_spikes].t);
  for (q = 0; q < p->n_spikes; ++q) {
    p->order[q] = p->buf[q].neuron;
    p->dl_dt[q] = k100_range(&rng, -0.5, 0.5);
  }
  /* dL/dV at the end: LIF every neuron; QIF where |V| < 3 */
  assert_int_equal(sp_rewind(p->net), SP_OK);
  queue_inputs(p, p->net);
  assert_int_equal(sp_run(p->net, p->t_end, NULL, 0, NULL), SP_OK);
  assert_int_equal(sp_voltages(p->net, p->v, s->n), SP_OK);
  for (i = 0; i < s->n; ++i)
    if (lif || fabs(p->v[i]) < 3.0) p->dl_dv[i] = k100_range(&rng, -0.5, 0.5);
}

static void destroy(problem *p) {
  sp_network_destroy(p->net);
  sp_network_destroy(p->twin);
  free(p->buf);
  free(p->dl_dt);
  free(p->order);
  free(p->dl_dv);
  free(p->v);
  k100_free(&p->s);
}

static void record_and_backward(problem *p) {
  size_t count = 0;
  assert_int_equal(sp_rewind(p->net), SP_OK);
  assert_int_equal(sp_zero_grads(p->net), SP_OK);
  queue_inputs(p, p->net);
  assert_int_equal(sp_record(p->net, p->n_spikes + 1), SP_OK);
  assert_int_equal(sp_run(p->net, p->t_end, p->buf, p->n_spikes + 1, &count), SP_OK);
  assert_int_equal(count, p->n_spikes);
  assert_int_equal(sp_backward(p->net, p->dl_dt, p->n_spikes, p->dl_dv), SP_OK);
}

typedef struct fd_stats {
  double max_err;
  int checked, skipped, nonzero;
} fd_stats;

/* Central differences (Richardson-extrapolated: (8 (L(h) - L(-h)) - (L(2h) - L(-2h))) / 12h,
   error O(h^4)) for the entries idx[0..m) of a kind, on `net`; the spike order is checked at
   every step. Errors are relative to the largest gradient among the entries checked. */
static void check_entries(problem *p, sp_network *net, sp_param kind, const double *grad,
                          const size_t *idx, size_t m, double h_rel, double h_min, const char *what,
                          fd_stats *st) {
  size_t len = 0, q;
  double *par, scale = 0;
  int reported = 0;
  assert_int_equal(sp_param_count(net, kind, &len), SP_OK);
  par = (double *)malloc(len * sizeof *par);
  assert_non_null(par);
  assert_int_equal(sp_get_params(net, kind, par, len), SP_OK);
  for (q = 0; q < m; ++q) scale = fmax(scale, fabs(grad[idx[q]]));
  for (q = 0; q < m; ++q) {
    size_t at = idx[q];
    double orig = par[at], h = h_rel * fmax(fabs(orig), h_min);
    double steps[4] = {h, -h, 2 * h, -2 * h}, l[4], fd, err;
    int k, ok = 1;
    for (k = 0; k < 4 && ok; ++k) {
      par[at] = orig + steps[k];
      assert_int_equal(sp_set_params(net, kind, par, len), SP_OK);
      l[k] = loss(p, net);
      if (isnan(l[k])) ok = 0;
    }
    par[at] = orig;
    assert_int_equal(sp_set_params(net, kind, par, len), SP_OK);
    if (!ok) {
      st->skipped++;
      continue;
    }
    fd = (8 * (l[0] - l[1]) - (l[2] - l[3])) / (12 * h);
    err = fabs(fd - grad[at]) / (scale > 0 ? scale : 1.0);
    if (!(err <= FD_TOL) && reported++ < 5)
      print_message("# %s: %s[%zu]: finite difference %.12g, gradient %.12g (error %.3g of "
                    "the largest %.3g)\n",
                    p->c->name, what, at, fd, grad[at], err, scale);
    if (!(err <= st->max_err)) st->max_err = err;
    if (fabs(grad[at]) > 1e-3 * scale) st->nonzero++;
    st->checked++;
  }
  free(par);
}

static double *grads_of(sp_network *net, sp_param kind, size_t *len) {
  double *g;
  assert_int_equal(sp_param_count(net, kind, len), SP_OK);
  g = (double *)malloc((*len ? *len : 1) * sizeof *g);
  assert_non_null(g);
  assert_int_equal(sp_get_grads(net, kind, g, *len), SP_OK);
  return g;
}

/* The phase-frame shared drive: every drive moved together keeps the phase frame; its
   derivative is the sum of the per-neuron drive gradients. */
static void check_shared_drive(problem *p, const double *g_drive, fd_stats *st) {
  uint32_t n = p->s.n, i;
  double *d = (double *)malloc(n * sizeof(double)), sum = 0, h = 1e-6 * p->s.drive, l[4], fd, err;
  double steps[4];
  int k, ok = 1;
  assert_non_null(d);
  steps[0] = h;
  steps[1] = -h;
  steps[2] = 2 * h;
  steps[3] = -2 * h;
  for (i = 0; i < n; ++i) sum += g_drive[i];
  for (k = 0; k < 4; ++k) {
    for (i = 0; i < n; ++i) d[i] = p->s.drive + steps[k];
    assert_int_equal(sp_set_params(p->net, SP_PARAM_DRIVES, d, n), SP_OK);
    assert_int_equal(sp_network_frame(p->net), SP_FRAME_PHASE);
    l[k] = loss(p, p->net);
    if (isnan(l[k])) ok = 0;
  }
  for (i = 0; i < n; ++i) d[i] = p->s.drive;
  assert_int_equal(sp_set_params(p->net, SP_PARAM_DRIVES, d, n), SP_OK);
  free(d);
  if (!ok) {
    st->skipped++;
    return;
  }
  fd = (8 * (l[0] - l[1]) - (l[2] - l[3])) / (12 * h);
  err = fabs(fd - sum) / fmax(fabs(sum), 1e-300);
  if (!(err <= FD_TOL))
    print_message("# %s: shared drive: finite difference %.12g, sum of drive gradients %.12g\n",
                  p->c->name, fd, sum);
  if (!(err <= st->max_err)) st->max_err = err;
  st->checked++;
}

static void run_case(const gcase *c) {
  static problem p;
  fd_stats st;
  size_t len, *idx, m, q, e;
  double *g;
  uint32_t r;
  uint64_t rng = c->seed ^ 77;
  clock_t c0 = clock();
  memset(&st, 0, sizeof st);
  build(&p, c);
  record_and_backward(&p);

  /* recurrent weights: the full rows of ROWS sources that spiked early in the horizon (their
     deliveries reach targets that spike later), or the shared weight */
  g = grads_of(p.net, SP_PARAM_WEIGHTS, &len);
  idx = (size_t *)malloc((len + p.s.n) * sizeof *idx);
  assert_non_null(idx);
  m = 0;
  if (p.s.rec.weights) {
    for (r = 0; r < ROWS; ++r) {
      uint32_t src = p.order[r * p.n_spikes / (2 * ROWS)];
      int seen = 0;
      for (q = 0; q < r; ++q)
        if (p.order[q * p.n_spikes / (2 * ROWS)] == src) seen = 1;
      if (seen) continue;
      for (e = p.s.rec_ptr[src]; e < p.s.rec_ptr[src + 1]; ++e) idx[m++] = e;
    }
  } else {
    idx[m++] = 0;
  }
  check_entries(&p, p.net, SP_PARAM_WEIGHTS, g, idx, m, 1e-5, 0.02, "weights", &st);
  free(g);

  /* input weights: the full row of channel 0, or the shared weight */
  g = grads_of(p.net, SP_PARAM_INPUT_WEIGHTS, &len);
  for (m = 0; m < (p.s.in.weights ? p.s.in_ptr[1] : 1); ++m) idx[m] = m;
  check_entries(&p, p.net, SP_PARAM_INPUT_WEIGHTS, g, idx, m, 1e-5, 0.02, "input weights", &st);
  free(g);

  /* drives and initial voltages: the first spikers and a random sample */
  for (m = 0; m < SAMPLE / 2; ++m) idx[m] = p.order[m];
  for (; m < SAMPLE; ++m) idx[m] = k100_below(&rng, p.s.n);
  g = grads_of(p.net, SP_PARAM_DRIVES, &len);
  check_entries(&p, p.twin ? p.twin : p.net, SP_PARAM_DRIVES, g, idx, m, 1e-6, 0.1, "drives", &st);
  if (c->want_frame == SP_FRAME_PHASE) check_shared_drive(&p, g, &st);
  free(g);
  g = grads_of(p.net, SP_PARAM_V0, &len);
  check_entries(&p, p.net, SP_PARAM_V0, g, idx, m, 1e-6, 0.1, "v0", &st);
  free(g);
  free(idx);

  print_message("# %-30s n=%u frame=%u: %3zu spikes to t=%.4g s: %d checked (%d non-zero), %d "
                "skipped, max error %.2e (%.2f s)\n",
                c->name, p.s.n, sp_network_frame(p.net), p.n_spikes, p.t_end, st.checked,
                st.nonzero, st.skipped, st.max_err, seconds_since(c0));
  assert_true(st.max_err <= FD_TOL);
  assert_true(st.skipped <= 1 + st.checked / 20); /* the horizon keeps the spike order */
  destroy(&p);
}

static const gcase lif_cases[] = {
    {"lif phase procedural", SP_MODEL_LIF, SP_FRAME_AUTO, SP_FRAME_PHASE, CONN_PROCEDURAL, 0,
     IN_EXPLICIT, 300, 240, 11},
    {"lif phase explicit", SP_MODEL_LIF, SP_FRAME_PHASE, SP_FRAME_PHASE, CONN_EXPLICIT, 0,
     IN_PROCEDURAL, 300, 240, 12},
    {"lif time(forced) explicit", SP_MODEL_LIF, SP_FRAME_TIME, SP_FRAME_TIME, CONN_EXPLICIT, 0,
     IN_EXPLICIT, 300, 240, 13},
    {"lif time(drives) explicit shared", SP_MODEL_LIF, SP_FRAME_AUTO, SP_FRAME_TIME,
     CONN_EXPLICIT_SHARED, 1, IN_EXPLICIT, 300, 240, 14},
    {"lif time(drives) explicit", SP_MODEL_LIF, SP_FRAME_AUTO, SP_FRAME_TIME, CONN_EXPLICIT, 1,
     IN_PROCEDURAL, 300, 240, 15},
};

static const gcase qif_cases[] = {
    {"qif phase procedural", SP_MODEL_QIF, SP_FRAME_AUTO, SP_FRAME_PHASE, CONN_PROCEDURAL, 0,
     IN_PROCEDURAL, 300, 160, 21},
    {"qif phase explicit", SP_MODEL_QIF, SP_FRAME_PHASE, SP_FRAME_PHASE, CONN_EXPLICIT, 0,
     IN_EXPLICIT, 300, 160, 22},
    {"qif time(forced) procedural", SP_MODEL_QIF, SP_FRAME_TIME, SP_FRAME_TIME, CONN_PROCEDURAL, 0,
     IN_EXPLICIT, 300, 160, 23},
    {"qif time(drives) explicit", SP_MODEL_QIF, SP_FRAME_AUTO, SP_FRAME_TIME, CONN_EXPLICIT, 1,
     IN_PROCEDURAL, 300, 160, 24},
    {"qif time(drives) explicit shared", SP_MODEL_QIF, SP_FRAME_AUTO, SP_FRAME_TIME,
     CONN_EXPLICIT_SHARED, 1, IN_EXPLICIT, 300, 160, 25},
};

static void test_lif(void **state) {
  size_t c;
  (void)state;
  for (c = 0; c < sizeof lif_cases / sizeof lif_cases[0]; ++c) run_case(&lif_cases[c]);
}

static void test_qif(void **state) {
  size_t c;
  (void)state;
  for (c = 0; c < sizeof qif_cases / sizeof qif_cases[0]; ++c) run_case(&qif_cases[c]);
}

int main(int argc, char **argv) {
  const struct CMUnitTest lif[] = {cmocka_unit_test(test_lif)};
  const struct CMUnitTest qif[] = {cmocka_unit_test(test_qif)};
  const char *which = argc > 1 ? argv[1] : "both";
  int failed = 0;
  // An unknown name is refused: it would otherwise run both models and pass while checking
  // nothing of the model meant (tests/grad/meson.build passes one name per model).
  if (strcmp(which, "lif") != 0 && strcmp(which, "qif") != 0 && strcmp(which, "both") != 0) {
    fprintf(stderr, "usage: %s [lif|qif|both]: no model \"%s\" here\n", argv[0], which);
    return 2;
  }
  // (One equality test per model and "both", so that a model added to the list above runs
  // alone under its own name.)
  if (strcmp(which, "lif") == 0 || strcmp(which, "both") == 0)
    failed |= cmocka_run_group_tests_name("gradients_k100_lif", lif, NULL, NULL);
  if (strcmp(which, "qif") == 0 || strcmp(which, "both") == 0)
    failed |= cmocka_run_group_tests_name("gradients_k100_qif", qif, NULL, NULL);
  return failed;
}
