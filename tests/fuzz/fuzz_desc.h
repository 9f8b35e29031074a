/* Decoding a network description from fuzzer bytes (fuzz_create, fuzz_api). The layout, in
 * order (a double is one selector byte, see fz_double):
 *   model u8 (%4: 0 invalid, LIF, QIF, EIF; 0xff: a raw u32 follows), n u8 (1 + value % max_n;
 *   0: n = 0), tau, drive, flags u8 (1 drives, 2 v0, 4 t_ref, 8 inputs, 16 explicit recurrent,
 *   32 procedural recurrent, 64 per-synapse weights, 128 explicit inputs), frame u8, init_seed
 *   u8, [drives: n doubles], [v0: n doubles], [t_ref], recurrent block, [n_inputs u8 % 4,
 *   capacity u8, input block].
 * A synapse block: explicit: n_sources row lengths u8 % 5 (255: a decreasing row_ptr), then a
 * target u8 per synapse (% (n + 1): n is out of range), [a weight per synapse], shared weight;
 * procedural: k u8, seed u8, weight.
 * The model byte's upper bits (below 0xff) append the 0.2 fields, read after everything above:
 * 4 tau_syn (a double), 8 model_params (fz_model_params), 16 the model SP_MODEL_CUSTOM instead
 * of model % 4. (Inputs written before these existed have model bytes 1-3: same meaning.) */
#ifndef SP_FUZZ_DESC_H
#define SP_FUZZ_DESC_H

#include "fuzz_common.h"

#define FZ_MAX_N 64
#define FZ_MAX_SYN (FZ_MAX_N * 4)

typedef struct fuzz_desc {
  sp_network_desc d;
  /* model_params, with zeroed room after it: a struct_size larger than the library's is
     decoded too (a caller compiled against a later header). */
  union {
    sp_model_params p;
    unsigned char room[sizeof(sp_model_params) + 64];
  } mp;
  uint64_t callback_calls;
  double drives[FZ_MAX_N], v0[FZ_MAX_N];
  uint64_t row_ptr[FZ_MAX_N + 1], in_row_ptr[5];
  uint32_t targets[FZ_MAX_SYN], in_targets[4 * 4];
  double weights[FZ_MAX_SYN], in_weights[4 * 4];
} fuzz_desc;

static void fz_synapses(fuzz_bytes *b, sp_synapses *s, uint32_t n_sources, uint32_t n,
                        int explicit_, int procedural, int per_weights, uint64_t *row_ptr,
                        uint32_t *targets, double *weights, uint64_t max_syn) {
  if (explicit_) {
    uint64_t nnz = 0, e;
    uint32_t j;
    row_ptr[0] = 0;
    for (j = 0; j < n_sources; ++j) {
      uint8_t len = fz_u8(b);
      if (len == 255 && nnz > 0) {
        row_ptr[j + 1] = nnz - 1; /* decreasing: must be refused */
        continue;
      }
      len %= 5;
      if (nnz + len > max_syn) len = 0;
      nnz += len;
      row_ptr[j + 1] = nnz;
    }
    if (n_sources) {
      uint64_t last = row_ptr[n_sources];
      for (e = 0; e < last && e < max_syn; ++e) targets[e] = fz_u8(b) % (n + 1);
      if (per_weights)
        for (e = 0; e < last && e < max_syn; ++e) weights[e] = fz_double(b);
    }
    s->row_ptr = row_ptr;
    s->targets = targets;
    s->weights = per_weights ? weights : NULL;
    s->weight = fz_double(b);
    if (procedural) s->k = fz_u8(b) % 3; /* k with row_ptr: refused unless 0 */
  } else if (procedural) {
    s->k = fz_u8(b);
    if (s->k > n + 1) s->k = n + 1;
    s->seed = fz_u8(b);
    s->weight = fz_double(b);
  }
}

/* Custom-model callbacks F(V) (with their derivatives): a quadratic (QIF-like), a leak with an
 * exponential (EIF-like), one that is not finite, and one derivative that is wrong. ctx counts
 * the calls. */
static double fz_f_quadratic(double v, void *ctx) {
  ++*(uint64_t *)ctx;
  return v * v;
}
static double fz_df_quadratic(double v, void *ctx) {
  ++*(uint64_t *)ctx;
  return 2 * v;
}
static double fz_f_exp(double v, void *ctx) {
  ++*(uint64_t *)ctx;
  return -v + 0.5 * exp((v - 1.0) / 0.5);
}
static double fz_df_exp(double v, void *ctx) {
  ++*(uint64_t *)ctx;
  return -1.0 + exp((v - 1.0) / 0.5);
}
static double fz_f_nan(double v, void *ctx) {
  ++*(uint64_t *)ctx;
  return v > 0.5 ? NAN : -v;
}
static double fz_df_wrong(double v, void *ctx) {
  (void)v;
  ++*(uint64_t *)ctx;
  return 0.0;
}

/* model_params: a selector byte (bits 0-1 struct_size: sizeof, 0, 8 short, 8 long; bit 2 a
 * non-zero reserved field; bits 3-4 f: NULL, quadratic, exponential, NaN above 0.5; bits 5-6
 * df: NULL, f's own, a wrong one, f's own), then v_reset, v_spike, delta_t, v_t. */
static void fz_model_params(fuzz_bytes *b, fuzz_desc *f) {
  static const size_t sizes[4] = {sizeof(sp_model_params), 0, sizeof(sp_model_params) - 8,
                                  sizeof(sp_model_params) + 8};
  static sp_model_fn const fs[4] = {NULL, fz_f_quadratic, fz_f_exp, fz_f_nan};
  static sp_model_fn const dfs[4] = {NULL, fz_df_quadratic, fz_df_exp, NULL};
  sp_model_params *p = &f->mp.p;
  uint8_t sel = fz_u8(b);
  unsigned fi = (sel >> 3) & 3, di = (sel >> 5) & 3;
  p->struct_size = (uint32_t)sizes[sel & 3];
  p->reserved = (sel & 4) ? 1 : 0;
  p->v_reset = fz_double(b);
  p->v_spike = fz_double(b);
  p->delta_t = fz_double(b);
  p->v_t = fz_double(b);
  p->f = fs[fi];
  p->df = di == 0 ? NULL : di == 2 ? fz_df_wrong : fi == 1 ? fz_df_quadratic : dfs[fi];
  p->ctx = fi ? &f->callback_calls : NULL; /* (a model without a callback refuses a ctx) */
  f->d.model_params = p;
}

/* Decodes a description with at most max_n (<= FZ_MAX_N) neurons. */
static void fz_decode_desc(fuzz_bytes *b, fuzz_desc *f, uint32_t max_n) {
  sp_network_desc *d = &f->d;
  uint8_t m, nb, flags;
  uint32_t i;
  memset(f, 0, sizeof *f);
  sp_network_desc_init(d, sizeof *d);
  m = fz_u8(b);
  d->model = m == 0xff ? fz_u32(b) : (m & 16) ? (uint32_t)SP_MODEL_CUSTOM : m % 4u;
  nb = fz_u8(b);
  d->n = nb == 0 ? 0 : 1 + (nb - 1) % max_n;
  d->tau = fz_double(b);
  d->drive = fz_double(b);
  flags = fz_u8(b);
  d->frame = fz_u8(b) % 4;
  d->init_seed = fz_u8(b);
  if (flags & 1) {
    for (i = 0; i < d->n; ++i) f->drives[i] = fz_double(b);
    d->drives = f->drives;
  }
  if (flags & 2) {
    for (i = 0; i < d->n; ++i) f->v0[i] = fz_double(b);
    d->v0 = f->v0;
  }
  if (flags & 4) d->t_ref = fz_double(b);
  fz_synapses(b, &d->recurrent, d->n, d->n, (flags & 16) != 0, (flags & 32) != 0, (flags & 64) != 0,
              f->row_ptr, f->targets, f->weights, FZ_MAX_SYN);
  if (flags & 8) {
    d->n_inputs = fz_u8(b) % 5;
    d->input_capacity = fz_u8(b) % 9;
    fz_synapses(b, &d->inputs, d->n_inputs, d->n, (flags & 128) != 0, (flags & 128) == 0,
                (flags & 64) != 0, f->in_row_ptr, f->in_targets, f->in_weights, 16);
  }
  if (m != 0xff && (m & 4)) d->tau_syn = fz_double(b);
  if (m != 0xff && (m & 8)) fz_model_params(b, f);
}

/* With SP_FUZZ_TRACE: what a reproducer's description holds. */
static void fz_trace_desc(const sp_network_desc *d) {
  uint32_t i;
  if (!getenv("SP_FUZZ_TRACE")) return;
  fprintf(stderr,
          "trace: desc model %u n %u tau %.17g t_ref %.17g drive %.17g frame %u seed %llu "
          "n_inputs %u capacity %u tau_syn %.17g\n",
          d->model, d->n, d->tau, d->t_ref, d->drive, d->frame, (unsigned long long)d->init_seed,
          d->n_inputs, d->input_capacity, d->tau_syn);
  if (d->model_params)
    fprintf(stderr,
            "trace:   model_params size %u reserved %u v_reset %.17g v_spike %.17g delta_t %.17g "
            "v_t %.17g f %s df %s\n",
            d->model_params->struct_size, d->model_params->reserved, d->model_params->v_reset,
            d->model_params->v_spike, d->model_params->delta_t, d->model_params->v_t,
            d->model_params->f ? "set" : "NULL", d->model_params->df ? "set" : "NULL");
  for (i = 0; d->drives && i < d->n; ++i)
    fprintf(stderr, "trace:   drives[%u] = %.17g\n", i, d->drives[i]);
  for (i = 0; d->v0 && i < d->n; ++i) fprintf(stderr, "trace:   v0[%u] = %.17g\n", i, d->v0[i]);
  fprintf(stderr, "trace:   recurrent: %s k %u seed %llu weight %.17g%s\n",
          d->recurrent.row_ptr ? "explicit" : "procedural", d->recurrent.k,
          (unsigned long long)d->recurrent.seed, d->recurrent.weight,
          d->recurrent.weights ? " (per-synapse weights)" : "");
  fprintf(stderr, "trace:   inputs: %s k %u seed %llu weight %.17g%s\n",
          d->inputs.row_ptr ? "explicit" : "procedural", d->inputs.k,
          (unsigned long long)d->inputs.seed, d->inputs.weight,
          d->inputs.weights ? " (per-synapse weights)" : "");
}

#endif
