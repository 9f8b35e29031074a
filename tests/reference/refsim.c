/*
 * refsim.c - the reference simulator (see refsim.h): the plain O(N)-per-event loop, written
 * from src/ARCHITECTURE.md (Models, Event semantics), README.md (Connectivity, Procedural)
 * and the header's event semantics, sharing no code with src/.
 */
#include "refsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REF_PI 3.14159265358979323846

struct ref_sim {
  int model;
  uint32_t n;
  double tau;
  double tau_syn; /* > 0: current-based synapses (LIF only) */
  double t_ref;
  double now;
  double *drive;
  /* Neuron i's state is known exactly at its anchor time ta[i]: voltage (LIF) or phase
     (QIF) xa[i]. Before ta[i] (only while refractory) it is held at reset. */
  double *ta;
  double *xa;
  double *ref_until; /* inputs at t <= ref_until[i] are ignored (-inf: never spiked) */
  double *next;      /* next spike time computed from the anchor (+inf: never) */
  /* Current-based synapses: the current J at the anchor. The anchor is then the last input
     or spike, and V is held at 0 (reset) for anchor times up to ref_until[i]. */
  double *ja;
  /* LIF neurons an input took to threshold: committed to spike at that instant, they ignore
     every further input until then (event semantics b). */
  unsigned char *pending;
  /* Connectivity, procedural expanded to CSR at creation. */
  uint64_t *rec_ptr;
  uint32_t *rec_tgt;
  double *rec_w;
  uint32_t n_inputs;
  uint64_t *in_ptr;
  uint32_t *in_tgt;
  double *in_w;
  /* Queued inputs in the order they were queued. */
  double *q_t;
  uint32_t *q_ch;
  size_t q_len;
  size_t q_cap;
  uint64_t ignored;
  /* REF_EIF, REF_CUSTOM: the model, the split point v_sw of the remaining-time integral
     (blow-up models: V-space below it, the tail above), and per neuron the remaining time
     from v_sw and from reset for its drive, in units of tau. */
  double v_reset, v_spike, delta_t, v_t, v_sw;
  int qif_finite_reset; /* REF_QIF_RESET (kept as REF_QIF with this flag) */
  double (*f)(double v, void *ctx);
  void *ctx;
  long double *r_sw;
  long double *r_reset;
};

/* ------------------------------------------------------------------------------------ */
/* Procedural connectivity                                                               */

uint64_t ref_mix64(uint64_t z) {
  z ^= z >> 30;
  z *= UINT64_C(0xbf58476d1ce4e5b9);
  z ^= z >> 27;
  z *= UINT64_C(0x94d049bb133111eb);
  z ^= z >> 31;
  return z;
}

/* The next uniform integer in [0, m), consuming raw draws *c, *c + 1, ... */
static uint32_t ref_uniform(uint64_t h, uint64_t *c, uint32_t m) {
  for (;;) {
    uint64_t r = ref_mix64(h + (*c + 1) * UINT64_C(0x9e3779b97f4a7c15));
    uint32_t x = (uint32_t)(r >> 32);
    uint64_t p = (uint64_t)x * (uint64_t)m;
    uint32_t lo = (uint32_t)p;
    uint32_t threshold = (uint32_t)(UINT32_C(0) - m) % m;
    *c += 1;
    if (lo < m && lo < threshold) continue;
    return (uint32_t)(p >> 32);
  }
}

static int ref_contains(const uint32_t *a, uint32_t len, uint32_t v) {
  uint32_t i;
  for (i = 0; i < len; ++i)
    if (a[i] == v) return 1;
  return 0;
}

int ref_procedural_targets(uint64_t seed, uint32_t n, uint32_t k, uint32_t source, int recurrent,
                           uint32_t *out) {
  uint32_t m = recurrent ? n - 1 : n;
  uint64_t h = ref_mix64(ref_mix64(seed) + (uint64_t)source);
  uint64_t c = 0;
  if (k > m || (recurrent && n == 0)) return -1;
  if (k == 0) return 0;
  if (2 * (uint64_t)k <= m) {
    uint32_t chosen = 0;
    while (chosen < k) {
      uint32_t v = ref_uniform(h, &c, m);
      if (recurrent && v >= source) v += 1;
      if (ref_contains(out, chosen, v)) continue;
      out[chosen++] = v;
    }
  } else {
    uint32_t e = m - k, excluded = 0, v, j = 0;
    unsigned char *is_excluded = (unsigned char *)calloc(m, 1);
    if (!is_excluded) return -1;
    while (excluded < e) {
      v = ref_uniform(h, &c, m);
      if (is_excluded[v]) continue;
      is_excluded[v] = 1;
      ++excluded;
    }
    for (v = 0; v < m; ++v) {
      if (is_excluded[v]) continue;
      out[j++] = (recurrent && v >= source) ? v + 1 : v;
    }
    free(is_excluded);
  }
  return 0;
}

/* Expands c (n_src sources onto n neurons) to CSR. Returns 0 or -1. */
static int ref_expand(const ref_conn *c, uint32_t n_src, uint32_t n, int recurrent, uint64_t **ptr,
                      uint32_t **tgt, double **w) {
  uint64_t nnz, e;
  uint32_t j;
  *ptr = (uint64_t *)calloc((size_t)n_src + 1, sizeof **ptr);
  if (!*ptr) return -1;
  if (c->row_ptr) {
    for (j = 0; j <= n_src; ++j) (*ptr)[j] = c->row_ptr[j];
  } else if (c->k > 0) {
    for (j = 0; j <= n_src; ++j) (*ptr)[j] = (uint64_t)j * c->k;
  }
  nnz = (*ptr)[n_src];
  *tgt = (uint32_t *)malloc((size_t)(nnz ? nnz : 1) * sizeof **tgt);
  *w = (double *)malloc((size_t)(nnz ? nnz : 1) * sizeof **w);
  if (!*tgt || !*w) return -1;
  for (e = 0; e < nnz; ++e) {
    (*w)[e] = (c->row_ptr && c->weights) ? c->weights[e] : c->weight;
    if (c->row_ptr) {
      (*tgt)[e] = c->targets[e];
      if ((*tgt)[e] >= n) return -1;
    }
  }
  if (!c->row_ptr && c->k > 0) {
    for (j = 0; j < n_src; ++j)
      if (ref_procedural_targets(c->seed, n, c->k, j, recurrent, *tgt + (*ptr)[j]) != 0) return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* One-variable models (EIF, custom F): time of flight by quadrature                     */

typedef long double ref_ld;

static int ref_is_gen(const ref_sim *s) { return s->model == REF_EIF || s->model == REF_CUSTOM; }

/* G(v) = F(v) + I. */
static ref_ld gen_g(const ref_sim *s, ref_ld v, double drive) {
  if (s->model == REF_EIF) return -v + drive + (ref_ld)s->delta_t * expl((v - s->v_t) / s->delta_t);
  return (ref_ld)s->f((double)v, s->ctx) + drive;
}

/* Gauss-Kronrod 7-15 (QUADPACK's qk15 nodes and weights). */
static const ref_ld gk_x[8] = {
    0.991455371120812639206854697526329L, 0.949107912342758524526189684047851L,
    0.864864423359769072789712788640926L, 0.741531185599394439863864773280788L,
    0.586087235467691130294144845693013L, 0.405845151377397166906606412076961L,
    0.207784955007898467600689403773245L, 0.0L};
static const ref_ld gk_wk[8] = {
    0.022935322010529224963732008058970L, 0.063092092629978553290700663189204L,
    0.104790010322250183839876322541518L, 0.140653259715525918745189590510238L,
    0.169004726639267902826583426598550L, 0.190350578064785409913256402421014L,
    0.204432940075298892414161999234649L, 0.209482141084727828012999174891714L};
static const ref_ld gk_wg[4] = {0.129484966168869693270611432679082L,
                                0.279705391489276667901467771423780L,
                                0.381830050505118944950369775488975L,
                                0.417959183673469387755102040816327L};

/* The integrand of the time of flight: 1/G(v) in v (in_y == 0), or 1/(y^2 G(1/y)) in
   y = 1/v (in_y != 0, for the tail of a blow-up). */
static ref_ld gen_integrand(const ref_sim *s, int in_y, double drive, ref_ld x) {
  if (!in_y) return 1.0L / gen_g(s, x, drive);
  return 1.0L / (x * x * gen_g(s, 1.0L / x, drive));
}

/* Adaptive quadrature of the integrand over [a, b]: a panel is accepted when its 15-point
   Kronrod and 7-point Gauss values agree to 1e-13 relative (the Kronrod value is then good to
   far below that). Only interior nodes are used (y = 0 is never evaluated). */
static ref_ld gen_quad(const ref_sim *s, int in_y, double drive, ref_ld a, ref_ld b, int depth) {
  ref_ld c = 0.5L * (a + b), h = 0.5L * (b - a);
  ref_ld fc = gen_integrand(s, in_y, drive, c);
  ref_ld k = gk_wk[7] * fc, g = gk_wg[3] * fc;
  int j;
  for (j = 0; j < 7; ++j) {
    ref_ld sum = gen_integrand(s, in_y, drive, c - h * gk_x[j]) +
                 gen_integrand(s, in_y, drive, c + h * gk_x[j]);
    k += gk_wk[j] * sum;
    if (j & 1) g += gk_wg[j / 2] * sum;
  }
  k *= h;
  g *= h;
  if (depth >= 60 || fabsl(k - g) <= 1e-13L * fabsl(k) || !(fabsl(k) < INFINITY)) return k;
  return gen_quad(s, in_y, drive, a, c, depth + 1) + gen_quad(s, in_y, drive, c, b, depth + 1);
}

/* Remaining time (units of tau) from v >= v_sw to the blow-up. EIF: in V up to V_T + 60 D_T,
   where the rest, about exp(-60) = 8.8e-27, is added in its leading order; custom: in
   y = 1/V. */
static ref_ld gen_tail(const ref_sim *s, double drive, ref_ld v) {
  if (s->model == REF_EIF) {
    ref_ld top = (ref_ld)s->v_t + 60.0L * s->delta_t;
    if (v >= top) return expl(-(v - s->v_t) / s->delta_t);
    return gen_quad(s, 0, drive, v, top, 0) + expl(-60.0L);
  }
  if (!(v < INFINITY)) return 0;
  return gen_quad(s, 1, drive, 0.0L, 1.0L / v, 0);
}

/* Remaining time (units of tau) from voltage v to the spike for neuron i's drive. */
static ref_ld gen_remaining(const ref_sim *s, uint32_t i, ref_ld v) {
  double drive = s->drive[i];
  if (s->v_spike < INFINITY) {
    if (v >= s->v_spike) return 0;
    return gen_quad(s, 0, drive, v, s->v_spike, 0);
  }
  if (v >= s->v_sw) return gen_tail(s, drive, v);
  return gen_quad(s, 0, drive, v, s->v_sw, 0) + s->r_sw[i];
}

/* The voltage a time d (units of tau) after neuron i was at va: the V >= va with
   r(V) = r(va) - d, by Newton's method on ln r (d ln r/dV = -1/(G r); nearly linear in the
   exponential tail) inside a bracket, bisecting when a step leaves it. */
static ref_ld gen_advance(const ref_sim *s, uint32_t i, ref_ld va, ref_ld d) {
  ref_ld target, lo = va, hi, v, step, log_target;
  int it;
  if (!(d > 0)) return va;
  target = gen_remaining(s, i, va) - d;
  if (!(target > 0)) return s->v_spike;
  log_target = logl(target);
  if (s->v_spike < INFINITY) {
    hi = s->v_spike;
  } else {
    step = fabsl(va) > 1 ? fabsl(va) : 1.0L;
    hi = va + step;
    while (gen_remaining(s, i, hi) >= target) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
  }
  v = va + d * gen_g(s, va, s->drive[i]);
  if (!(v > lo && v < hi)) v = 0.5L * (lo + hi);
  for (it = 0; it < 400; ++it) {
    ref_ld r = gen_remaining(s, i, v), next;
    if (r == target) return v;
    if (r > target)
      lo = v;
    else
      hi = v;
    next = v + (logl(r) - log_target) * gen_g(s, v, s->drive[i]) * r;
    if (!(next > lo && next < hi)) next = 0.5L * (lo + hi);
    if (fabsl(next - v) <= 4e-19L * (fabsl(v) > 1 ? fabsl(v) : 1.0L)) return next;
    v = next;
    if (hi - lo <= 4e-19L * (fabsl(lo) > 1 ? fabsl(lo) : 1.0L)) break;
  }
  return v;
}

/* Sets neuron i's cached remaining times for its drive. Returns 0, or -1 when the drive is
   excitable (G <= 0 somewhere from reset to the spike) or the period is not finite. */
static int gen_set_drive(ref_sim *s, uint32_t i) {
  double drive = s->drive[i];
  ref_ld top = s->v_spike < INFINITY ? (ref_ld)s->v_spike : (ref_ld)s->v_sw, v;
  int k;
  for (k = 0; k <= 4000; ++k) {
    v = s->v_reset + (top - s->v_reset) * k / 4000.0L;
    if (!(gen_g(s, v, drive) > 0)) return -1;
  }
  if (s->model == REF_EIF && (ref_ld)s->v_t < top && !(gen_g(s, s->v_t, drive) > 0)) return -1;
  s->r_sw[i] = s->v_spike < INFINITY ? 0.0L : gen_tail(s, drive, s->v_sw);
  s->r_reset[i] = gen_remaining(s, i, s->v_reset);
  if (!(s->r_reset[i] > 0 && s->r_reset[i] < INFINITY)) return -1;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Single-neuron dynamics                                                                */

/* LIF voltage or QIF phase of neuron i at time t >= its anchor (reset before it). */
/* The phase of a QIF neuron after a reset. */
static double ref_qif_reset_phase(const ref_sim *s, uint32_t i) {
  return s->qif_finite_reset ? 2.0 * atan(s->v_reset / sqrt(s->drive[i])) : -REF_PI;
}

static double ref_state_at(const ref_sim *s, uint32_t i, double t) {
  double I = s->drive[i];
  if (ref_is_gen(s)) {
    if (t <= s->ta[i]) return t == s->ta[i] ? s->xa[i] : s->v_reset;
    return (double)gen_advance(s, i, s->xa[i], ((ref_ld)t - s->ta[i]) / s->tau);
  }
  if (t <= s->ta[i])
    return t == s->ta[i] ? s->xa[i] : (s->model == REF_LIF ? 0.0 : ref_qif_reset_phase(s, i));
  if (s->model == REF_LIF) return I + (s->xa[i] - I) * exp(-(t - s->ta[i]) / s->tau);
  return s->xa[i] + 2.0 * sqrt(I) * (t - s->ta[i]) / s->tau;
}

/* ------------------------------------------------------------------------------------ */
/* Current-based synapses (tau_syn > 0): each neuron's (V, J) at its anchor, advanced by the
   closed-form solution of tau dV/dt = -V + I + J, tau_syn dJ/dt = -J from (V0, J0):
     J(d) = J0 exp(-d/tau_syn),
     V(d) = I + (V0 - I - K) exp(-d/tau) + K exp(-d/tau_syn),  K = J0 tau_syn/(tau_syn - tau),
     V(d) = I + (V0 - I + J0 d/tau) exp(-d/tau)                 when tau_syn = tau.          */

static double ref_syn_v(double I, double tau, double ts, double v0, double j0, double d) {
  if (ts == tau) return I + (v0 - I + j0 * d / tau) * exp(-d / tau);
  {
    double k = j0 * ts / (ts - tau);
    return I + (v0 - I - k) * exp(-d / tau) + k * exp(-d / ts);
  }
}

/* The free evolution of neuron i from its anchor: V starts at (*tv, *v0) with current *j0
   (V held at 0 until the end of a refractory period). */
static void ref_syn_start(const ref_sim *s, uint32_t i, double *tv, double *v0, double *j0) {
  double ta = s->ta[i];
  if (ta >= s->ref_until[i]) {
    *tv = ta;
    *v0 = s->xa[i];
    *j0 = s->ja[i];
  } else {
    *tv = s->ref_until[i];
    *v0 = 0.0;
    *j0 = s->ja[i] * exp(-(*tv - ta) / s->tau_syn);
  }
}

/* V and J of neuron i at time t >= its anchor. */
static void ref_syn_at(const ref_sim *s, uint32_t i, double t, double *v, double *j) {
  double tv, v0, j0;
  *j = s->ja[i] * exp(-(t - s->ta[i]) / s->tau_syn);
  if (t <= s->ref_until[i]) {
    *v = 0.0;
    return;
  }
  ref_syn_start(s, i, &tv, &v0, &j0);
  *v = ref_syn_v(s->drive[i], s->tau, s->tau_syn, v0, j0, t - tv);
}

/* dV/dt from the ODE itself, at time t (after any refractory period). */
static double ref_syn_dvdt(const ref_sim *s, uint32_t i, double t) {
  double v, j;
  ref_syn_at(s, i, t, &v, &j);
  return (-v + s->drive[i] + j) / s->tau;
}

/* The first t in (lo, hi] with V(t) >= 1, given V(lo) < 1 <= V(hi): bisection down to
   adjacent doubles. */
static double ref_syn_bisect(const ref_sim *s, uint32_t i, double lo, double hi) {
  for (;;) {
    double mid = lo + 0.5 * (hi - lo), v, j;
    if (!(mid > lo && mid < hi)) return hi;
    ref_syn_at(s, i, mid, &v, &j);
    if (v >= 1.0)
      hi = mid;
    else
      lo = mid;
  }
}

/* Neuron i's next spike: scan forward from the end of its hold on a grid of an eighth of the
   faster time constant; a grid step where V ends at or above 1 is bisected; a grid step where
   dV/dt turns from positive to negative holds a maximum, located by bisection on dV/dt and
   checked against threshold (so a short excursion above 1 inside one step is not missed).
   The scan ends when the transients |V0 - I - K| exp(-d/tau) + |K| exp(-d/tau_syn) (alpha:
   (|V0 - I| + |J0| d/tau) exp(-d/tau), d >= tau) are below |I - 1|/2: V then stays on I's side
   of threshold for good. */
static double ref_syn_next(const ref_sim *s, uint32_t i) {
  double tau = s->tau, ts = s->tau_syn, I = s->drive[i];
  double tv, v0, j0, v, j, dt = (tau < ts ? tau : ts) / 8.0, t_prev, d;
  double slow = tau > ts ? tau : ts, margin = 0.5 * fabs(I - 1.0);
  double alpha0, k;
  ref_syn_start(s, i, &tv, &v0, &j0);
  if (v0 >= 1.0) return tv;
  k = ts == tau ? 0.0 : j0 * ts / (ts - tau);
  alpha0 = fabs(v0 - I - k);
  t_prev = tv;
  for (d = dt;; d += dt) {
    double t = tv + d, bound;
    ref_syn_at(s, i, t, &v, &j);
    if (v >= 1.0) return ref_syn_bisect(s, i, t_prev, t);
    if (ref_syn_dvdt(s, i, t_prev) > 0.0 && ref_syn_dvdt(s, i, t) < 0.0) {
      double lo = t_prev, hi = t, vm;
      for (;;) {
        double mid = lo + 0.5 * (hi - lo);
        if (!(mid > lo && mid < hi)) break;
        if (ref_syn_dvdt(s, i, mid) > 0.0)
          lo = mid;
        else
          hi = mid;
      }
      ref_syn_at(s, i, lo, &vm, &j);
      if (vm >= 1.0) return ref_syn_bisect(s, i, t_prev, lo);
    }
    if (ts == tau)
      bound = d >= tau ? (fabs(v0 - I) + fabs(j0) * d / tau) * exp(-d / tau) : INFINITY;
    else
      bound = alpha0 * exp(-d / tau) + fabs(k) * exp(-d / ts);
    if (bound < margin || d > 1e4 * slow) return INFINITY;
    t_prev = t;
  }
}

static void ref_update_next(ref_sim *s, uint32_t i) {
  double I = s->drive[i], x = s->xa[i];
  if (s->tau_syn > 0) {
    s->next[i] = ref_syn_next(s, i);
    return;
  }
  if (ref_is_gen(s)) {
    ref_ld r = x == s->v_reset ? s->r_reset[i] : gen_remaining(s, i, x);
    if (s->pending[i])
      s->next[i] = s->ta[i];
    else
      s->next[i] = (double)((ref_ld)s->ta[i] + (ref_ld)s->tau * r);
    return;
  }
  if (s->model == REF_LIF) {
    if (x >= 1.0)
      s->next[i] = s->ta[i];
    else if (I > 1.0)
      s->next[i] = s->ta[i] + s->tau * log((I - x) / (I - 1.0));
    else
      s->next[i] = INFINITY;
  } else {
    s->next[i] = s->ta[i] + (REF_PI - x) * s->tau / (2.0 * sqrt(I));
  }
}

/* Neuron i receives weight w at time t. */
static void ref_deliver(ref_sim *s, uint32_t i, double w, double t) {
  double x;
  if (s->tau_syn > 0) {
    double v, j;
    ref_syn_at(s, i, t, &v, &j);
    s->ta[i] = t;
    s->xa[i] = v;
    s->ja[i] = j + w * s->tau / s->tau_syn;
    ref_update_next(s, i);
    return;
  }
  if (t <= s->ref_until[i] || s->pending[i]) {
    s->ignored++;
    return;
  }
  x = ref_state_at(s, i, t);
  if (ref_is_gen(s)) {
    x += w;
    if (x >= s->v_spike) s->pending[i] = 1;
  } else if (s->model == REF_LIF) {
    x += w;
    if (x >= 1.0) s->pending[i] = 1;
  } else {
    if (x > REF_PI) x = REF_PI; /* rounding only: events come in time order */
    x = 2.0 * atan(tan(0.5 * x) + w / sqrt(s->drive[i]));
  }
  s->ta[i] = t;
  s->xa[i] = x;
  ref_update_next(s, i);
}

static void ref_spike_now(ref_sim *s, uint32_t j, double t) {
  uint64_t e;
  if (s->tau_syn > 0) {
    double v, cur;
    ref_syn_at(s, j, t, &v, &cur);
    s->ja[j] = cur;
    s->ta[j] = t;
    s->xa[j] = 0.0;
    s->ref_until[j] = t + s->t_ref;
    ref_update_next(s, j);
    for (e = s->rec_ptr[j]; e < s->rec_ptr[j + 1]; ++e)
      ref_deliver(s, s->rec_tgt[e], s->rec_w[e], t);
    return;
  }
  s->ref_until[j] = t + s->t_ref;
  s->pending[j] = 0;
  s->ta[j] = s->ref_until[j];
  s->xa[j] = ref_is_gen(s) ? s->v_reset : (s->model == REF_LIF ? 0.0 : ref_qif_reset_phase(s, j));
  ref_update_next(s, j);
  for (e = s->rec_ptr[j]; e < s->rec_ptr[j + 1]; ++e) ref_deliver(s, s->rec_tgt[e], s->rec_w[e], t);
}

static void ref_input_now(ref_sim *s, uint32_t ch, double t) {
  uint64_t e;
  for (e = s->in_ptr[ch]; e < s->in_ptr[ch + 1]; ++e) ref_deliver(s, s->in_tgt[e], s->in_w[e], t);
}

/* ------------------------------------------------------------------------------------ */
/* The event loop                                                                        */

#define REF_NONE 0
#define REF_INPUT 1
#define REF_SPIKE 2

/* The next event: an input at equal time comes before any spike; spikes at equal times in
   index order; inputs at equal times in queue order. */
static int ref_next_event(const ref_sim *s, double *t, size_t *which) {
  uint32_t i, best = 0;
  size_t q, qbest = 0;
  double ts = INFINITY, tq = INFINITY;
  for (i = 0; i < s->n; ++i)
    if (s->next[i] < ts) {
      ts = s->next[i];
      best = i;
    }
  for (q = 0; q < s->q_len; ++q)
    if (s->q_t[q] < tq) {
      tq = s->q_t[q];
      qbest = q;
    }
  if (s->q_len > 0 && tq <= ts) {
    *t = tq;
    *which = qbest;
    return REF_INPUT;
  }
  if (ts < INFINITY) {
    *t = ts;
    *which = best;
    return REF_SPIKE;
  }
  return REF_NONE;
}

static void ref_process(ref_sim *s, int kind, double t, size_t which) {
  s->now = t;
  if (kind == REF_INPUT) {
    uint32_t ch = s->q_ch[which];
    memmove(s->q_t + which, s->q_t + which + 1, (s->q_len - which - 1) * sizeof *s->q_t);
    memmove(s->q_ch + which, s->q_ch + which + 1, (s->q_len - which - 1) * sizeof *s->q_ch);
    s->q_len--;
    ref_input_now(s, ch, t);
  } else {
    ref_spike_now(s, (uint32_t)which, t);
  }
}

int ref_step(ref_sim *s, ref_spike *out) {
  for (;;) {
    double t;
    size_t which;
    int kind = ref_next_event(s, &t, &which);
    if (kind == REF_NONE) return -1;
    ref_process(s, kind, t, which);
    if (kind == REF_SPIKE) {
      if (out) {
        out->t = t;
        out->neuron = (uint32_t)which;
      }
      return 0;
    }
  }
}

size_t ref_run(ref_sim *s, double t_end, ref_spike *buf, size_t cap) {
  size_t count = 0;
  for (;;) {
    double t;
    size_t which;
    int kind = ref_next_event(s, &t, &which);
    if (kind == REF_NONE || !(t < t_end)) break;
    ref_process(s, kind, t, which);
    if (kind == REF_SPIKE) {
      if (buf) {
        buf[count].t = t;
        buf[count].neuron = (uint32_t)which;
      }
      ++count;
      if (buf && count == cap) return count;
    }
  }
  s->now = t_end;
  return count;
}

/* ------------------------------------------------------------------------------------ */
/* Creation and queries                                                                  */

ref_sim *ref_create(const ref_config *c) {
  ref_sim *s;
  uint32_t i, n = c->n;
  if (n == 0 || !c->drives || !c->v0 || !(c->tau > 0)) return NULL;
  if (c->model != REF_LIF && c->model != REF_QIF && c->model != REF_EIF && c->model != REF_CUSTOM &&
      c->model != REF_QIF_RESET)
    return NULL;
  if (c->model == REF_QIF_RESET && !(fabs(c->v_reset) < INFINITY)) return NULL;
  if (c->model == REF_EIF || c->model == REF_CUSTOM) {
    if (!(fabs(c->v_reset) < INFINITY) || !(c->v_spike > c->v_reset)) return NULL;
    if (c->model == REF_EIF && !(c->delta_t > 0 && fabs(c->v_t) < INFINITY)) return NULL;
    if (c->model == REF_CUSTOM && !c->f) return NULL;
  }
  if (c->tau_syn < 0 || (c->tau_syn > 0 && c->model != REF_LIF)) return NULL;
  s = (ref_sim *)calloc(1, sizeof *s);
  if (!s) return NULL;
  s->model = c->model == REF_QIF_RESET ? REF_QIF : c->model;
  s->qif_finite_reset = c->model == REF_QIF_RESET;
  s->n = n;
  s->tau = c->tau;
  s->tau_syn = c->tau_syn;
  s->t_ref = c->t_ref;
  s->now = 0.0;
  s->n_inputs = c->n_inputs;
  s->drive = (double *)malloc(n * sizeof(double));
  s->ta = (double *)malloc(n * sizeof(double));
  s->xa = (double *)malloc(n * sizeof(double));
  s->ref_until = (double *)malloc(n * sizeof(double));
  s->next = (double *)malloc(n * sizeof(double));
  s->ja = (double *)calloc(n, sizeof(double));
  s->pending = (unsigned char *)calloc(n, 1);
  s->v_reset = c->v_reset;
  s->v_spike = c->v_spike;
  s->delta_t = c->delta_t;
  s->v_t = c->v_t;
  s->f = c->f;
  s->ctx = c->ctx;
  /* Any split point works; it only has to lie where the tail's form is good. */
  if (c->model == REF_EIF)
    s->v_sw = c->v_t + 10.0 * c->delta_t;
  else
    s->v_sw = fabs(c->v_reset) > 0.5 ? 2.0 * fabs(c->v_reset) : 1.0;
  s->r_sw = (ref_ld *)calloc(n, sizeof(ref_ld));
  s->r_reset = (ref_ld *)calloc(n, sizeof(ref_ld));
  s->q_cap = 64;
  s->q_t = (double *)malloc(s->q_cap * sizeof(double));
  s->q_ch = (uint32_t *)malloc(s->q_cap * sizeof(uint32_t));
  if (!s->drive || !s->ta || !s->xa || !s->ref_until || !s->next || !s->ja || !s->pending ||
      !s->q_t || !s->q_ch || !s->r_sw || !s->r_reset) {
    ref_destroy(s);
    return NULL;
  }
  if (ref_expand(&c->recurrent, n, n, 1, &s->rec_ptr, &s->rec_tgt, &s->rec_w) != 0 ||
      ref_expand(&c->inputs, c->n_inputs, n, 0, &s->in_ptr, &s->in_tgt, &s->in_w) != 0) {
    ref_destroy(s);
    return NULL;
  }
  for (i = 0; i < n; ++i) {
    double I = c->drives[i];
    if ((c->model == REF_QIF || c->model == REF_QIF_RESET) && !(I > 0)) {
      ref_destroy(s);
      return NULL;
    }
    s->drive[i] = I;
    s->ta[i] = 0.0;
    if (ref_is_gen(s) && gen_set_drive(s, i) != 0) {
      ref_destroy(s);
      return NULL;
    }
    s->xa[i] = s->model == REF_QIF ? 2.0 * atan(c->v0[i] / sqrt(I)) : c->v0[i];
    s->ref_until[i] = -INFINITY;
    ref_update_next(s, i);
  }
  return s;
}

void ref_destroy(ref_sim *s) {
  if (!s) return;
  free(s->drive);
  free(s->ta);
  free(s->xa);
  free(s->ref_until);
  free(s->next);
  free(s->ja);
  free(s->pending);
  free(s->rec_ptr);
  free(s->rec_tgt);
  free(s->rec_w);
  free(s->in_ptr);
  free(s->in_tgt);
  free(s->in_w);
  free(s->q_t);
  free(s->q_ch);
  free(s->r_sw);
  free(s->r_reset);
  free(s);
}

double ref_now(const ref_sim *s) { return s->now; }

int ref_input(ref_sim *s, uint32_t channel, double t) {
  if (channel >= s->n_inputs || !(t >= s->now) || !(t < INFINITY)) return -1;
  if (s->q_len == s->q_cap) {
    size_t cap = 2 * s->q_cap;
    double *qt = (double *)realloc(s->q_t, cap * sizeof(double));
    uint32_t *qc;
    if (!qt) return -1;
    s->q_t = qt;
    qc = (uint32_t *)realloc(s->q_ch, cap * sizeof(uint32_t));
    if (!qc) return -1;
    s->q_ch = qc;
    s->q_cap = cap;
  }
  s->q_t[s->q_len] = t;
  s->q_ch[s->q_len] = channel;
  s->q_len++;
  return 0;
}

int ref_peek(const ref_sim *s, double *t, uint32_t *neuron) {
  uint32_t i, best = 0;
  double ts = INFINITY;
  for (i = 0; i < s->n; ++i)
    if (s->next[i] < ts) {
      ts = s->next[i];
      best = i;
    }
  if (!(ts < INFINITY)) return -1;
  *t = ts;
  *neuron = best;
  return 0;
}

double ref_voltage(const ref_sim *s, uint32_t i) {
  double x;
  if (s->tau_syn > 0) {
    double v, j;
    ref_syn_at(s, i, s->now, &v, &j);
    return v;
  }
  x = ref_state_at(s, i, s->now);
  if (s->model != REF_QIF) return x;
  if (x <= -REF_PI) return -INFINITY;
  if (x >= REF_PI) return INFINITY;
  return sqrt(s->drive[i]) * tan(0.5 * x);
}

double ref_current(const ref_sim *s, uint32_t i) {
  double v, j;
  if (!(s->tau_syn > 0)) return 0.0;
  ref_syn_at(s, i, s->now, &v, &j);
  return j;
}

void ref_set_drive(ref_sim *s, uint32_t i, double drive) {
  if (s->tau_syn > 0) {
    double v, j;
    ref_syn_at(s, i, s->now, &v, &j);
    if (s->now > s->ref_until[i]) { /* a held voltage stays held at 0 */
      s->ta[i] = s->now;
      s->xa[i] = v;
      s->ja[i] = j;
    }
    s->drive[i] = drive;
    ref_update_next(s, i);
    return;
  }
  if (s->now >= s->ta[i]) {
    double x = ref_state_at(s, i, s->now);
    if (s->model == REF_QIF) x = 2.0 * atan(tan(0.5 * x) * sqrt(s->drive[i] / drive));
    s->xa[i] = x;
    s->ta[i] = s->now;
  }
  s->drive[i] = drive;
  /* Held at reset: a finite reset's phase depends on the drive. */
  if (s->qif_finite_reset && s->now < s->ta[i]) s->xa[i] = ref_qif_reset_phase(s, i);
  if (ref_is_gen(s)) gen_set_drive(s, i); /* the caller gives oscillatory drives only */
  ref_update_next(s, i);
}

size_t ref_queued(const ref_sim *s) { return s->q_len; }

uint64_t ref_ignored_inputs(const ref_sim *s) { return s->ignored; }
