/*
 * k100_nets.h - test-side network descriptions at the paper's K = 100 (shared by the reference
 * comparison tests/reference/test_k100.c and the finite-difference tests
 * tests/grad/test_gradients_k100.c). Nothing here comes from src/: the random numbers are the
 * test's own splitmix64, the networks are built through the public description only.
 *
 * Why K = 100: the engine walks a row of targets in blocks of 64 (prefetch, batched QIF kicks,
 * batched QIF reverse deliveries), so a fault that touches one delivery per block, or the
 * delivery at a position past 4, is invisible to networks with K <= 4. Rows of ~100 have one
 * full block and one partial block.
 */
#ifndef SP_K100_NETS_H
#define SP_K100_NETS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#define K100_PI 3.14159265358979323846

/* splitmix64: the test's random numbers. */
static inline uint64_t k100_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
static inline double k100_unif(uint64_t *s) {
  return (double)(k100_next(s) >> 11) * (1.0 / 9007199254740992.0);
}
static inline double k100_range(uint64_t *s, double a, double b) {
  return a + (b - a) * k100_unif(s);
}
static inline uint32_t k100_below(uint64_t *s, uint32_t m) { return (uint32_t)(k100_next(s) % m); }

/* A network description with the storage it points into. */
typedef struct k100_spec {
  uint32_t model, n, frame, n_inputs;
  double tau, drive, t_ref;
  double *drives; /* n, or NULL: `drive` for every neuron */
  double *v0;     /* n (always given: the reference needs it) */
  sp_synapses rec, in;
  uint64_t *rec_ptr, *in_ptr;
  uint32_t *rec_tgt, *in_tgt;
  double *rec_w, *in_w;
} k100_spec;

static inline void k100_init(k100_spec *s, uint32_t model, uint32_t n) {
  memset(s, 0, sizeof *s);
  s->model = model;
  s->n = n;
  s->tau = 0.01;
}

static inline void k100_free(k100_spec *s) {
  free(s->drives);
  free(s->v0);
  free(s->rec_ptr);
  free(s->in_ptr);
  free(s->rec_tgt);
  free(s->in_tgt);
  free(s->rec_w);
  free(s->in_w);
  memset(s, 0, sizeof *s);
}

static inline double k100_drive_of(const k100_spec *s, uint32_t i) {
  return s->drives ? s->drives[i] : s->drive;
}

/* The drive of the paper's balanced network (README): rate nu, coupling -J0/sqrt(K). */
static inline double k100_balanced_drive(uint32_t model, double tau, uint32_t k, double j0,
                                         double nu) {
  double d = tau * sqrt((double)k) * j0 * nu;
  return model == SP_MODEL_LIF ? 1.0 + d : d;
}

/* Random explicit CSR from n_src sources onto n neurons: row degrees k - spread ... k + spread,
   distinct targets except `repeats` positions per row that repeat an earlier target (taken
   from the other 64-block where the row has two), weights +w_exc U(0.5, 1.5) with probability
   p_exc, else -w_inh U(0.5, 1.5). Recurrent rows never target their source except every
   seventh row, which gets one self-synapse. Returns 0, or -1 out of memory. */
static inline int k100_rows(uint64_t *rng, uint32_t n_src, uint32_t n, uint32_t k, uint32_t spread,
                            int recurrent, uint32_t repeats, double p_exc, double w_exc,
                            double w_inh, uint64_t **ptr_out, uint32_t **tgt_out, double **w_out) {
  uint64_t *ptr = (uint64_t *)malloc(((size_t)n_src + 1) * sizeof *ptr);
  unsigned char *mark = (unsigned char *)calloc(n, 1);
  uint32_t *tgt;
  double *w;
  uint32_t j, e, r;
  if (!ptr || !mark) return -1;
  ptr[0] = 0;
  for (j = 0; j < n_src; ++j) ptr[j + 1] = ptr[j] + k - spread + k100_below(rng, 2 * spread + 1);
  tgt = (uint32_t *)malloc((size_t)ptr[n_src] * sizeof *tgt);
  w = (double *)malloc((size_t)ptr[n_src] * sizeof *w);
  if (!tgt || !w) return -1;
  for (j = 0; j < n_src; ++j) {
    uint32_t *row = tgt + ptr[j];
    uint32_t deg = (uint32_t)(ptr[j + 1] - ptr[j]);
    for (e = 0; e < deg; ++e) {
      uint32_t v;
      do v = k100_below(rng, n);
      while (mark[v] || (recurrent && v == j));
      mark[v] = 1;
      row[e] = v;
      w[ptr[j] + e] = k100_unif(rng) < p_exc ? w_exc * k100_range(rng, 0.5, 1.5)
                                             : -w_inh * k100_range(rng, 0.5, 1.5);
    }
    for (e = 0; e < deg; ++e) mark[row[e]] = 0;
    for (r = 0; r < repeats && deg > 2; ++r) {
      uint32_t at = 1 + k100_below(rng, deg - 1);
      uint32_t from = at >= 64 ? k100_below(rng, 64) : k100_below(rng, at);
      row[at] = row[from];
    }
    if (recurrent && j % 7 == 3) row[k100_below(rng, deg)] = j;
  }
  free(mark);
  *ptr_out = ptr;
  *tgt_out = tgt;
  *w_out = w;
  return 0;
}

/* Explicit recurrent / input synapses in the spec (see k100_rows). */
static inline int k100_explicit_recurrent(k100_spec *s, uint64_t *rng, uint32_t k, uint32_t repeats,
                                          double p_exc, double w_exc, double w_inh) {
  if (k100_rows(rng, s->n, s->n, k, k / 5, 1, repeats, p_exc, w_exc, w_inh, &s->rec_ptr,
                &s->rec_tgt, &s->rec_w) != 0)
    return -1;
  s->rec.row_ptr = s->rec_ptr;
  s->rec.targets = s->rec_tgt;
  s->rec.weights = s->rec_w;
  return 0;
}

static inline int k100_explicit_inputs(k100_spec *s, uint64_t *rng, uint32_t n_inputs, uint32_t k,
                                       double p_exc, double w_exc, double w_inh) {
  s->n_inputs = n_inputs;
  if (k100_rows(rng, n_inputs, s->n, k, k / 5, 0, 2, p_exc, w_exc, w_inh, &s->in_ptr, &s->in_tgt,
                &s->in_w) != 0)
    return -1;
  s->in.row_ptr = s->in_ptr;
  s->in.targets = s->in_tgt;
  s->in.weights = s->in_w;
  return 0;
}

/* Initial voltages: LIF uniform in [0, 0.99); QIF at phases uniform in (-phi_max, phi_max)
   (V = sqrt(I) tan(phi / 2)). */
static inline int k100_random_v0(k100_spec *s, uint64_t *rng, double phi_max) {
  uint32_t i;
  s->v0 = (double *)malloc(s->n * sizeof(double));
  if (!s->v0) return -1;
  for (i = 0; i < s->n; ++i) {
    if (s->model == SP_MODEL_LIF)
      s->v0[i] = k100_range(rng, 0.0, 0.99);
    else
      s->v0[i] = sqrt(k100_drive_of(s, i)) * tan(0.5 * k100_range(rng, -phi_max, phi_max));
  }
  return 0;
}

/* Per-neuron drives uniform in [lo, hi). */
static inline int k100_random_drives(k100_spec *s, uint64_t *rng, double lo, double hi) {
  uint32_t i;
  s->drives = (double *)malloc(s->n * sizeof(double));
  if (!s->drives) return -1;
  for (i = 0; i < s->n; ++i) s->drives[i] = k100_range(rng, lo, hi);
  return 0;
}

/* The engine's description of s, with `frame` in place of s->frame. */
static inline void k100_desc(const k100_spec *s, uint32_t frame, sp_network_desc *d) {
  sp_network_desc_init(d, sizeof *d);
  d->model = s->model;
  d->n = s->n;
  d->tau = s->tau;
  d->drive = s->drive;
  d->drives = s->drives;
  d->recurrent = s->rec;
  d->n_inputs = s->n_inputs;
  d->inputs = s->in;
  d->v0 = s->v0;
  d->t_ref = s->t_ref;
  d->frame = frame;
}

#endif /* SP_K100_NETS_H */
