/* Decoding a network description from fuzzer bytes (fuzz_create, fuzz_api). The layout, in
 * order (a double is one selector byte, see fz_double):
 *   model u8 (%4: 0 invalid, LIF, QIF, EIF; 0xff: a raw u32 follows), n u8 (1 + value % max_n;
 *   0: n = 0), tau, drive, flags u8 (1 drives, 2 v0, 4 t_ref, 8 inputs, 16 explicit recurrent,
 *   32 procedural recurrent, 64 per-synapse weights, 128 explicit inputs), frame u8, init_seed
 *   u8, [drives: n doubles], [v0: n doubles], [t_ref], recurrent block, [n_inputs u8 % 4,
 *   capacity u8, input block].
 * A synapse block: explicit: n_sources row lengths u8 % 5 (255: a decreasing row_ptr), then a
 * target u8 per synapse (% (n + 1): n is out of range), [a weight per synapse], shared weight;
 * procedural: k u8, seed u8, weight. */
#ifndef SP_FUZZ_DESC_H
#define SP_FUZZ_DESC_H

#include "fuzz_common.h"

#define FZ_MAX_N 64
#define FZ_MAX_SYN (FZ_MAX_N * 4)

typedef struct fuzz_desc {
  sp_network_desc d;
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

/* Decodes a description with at most max_n (<= FZ_MAX_N) neurons. */
static void fz_decode_desc(fuzz_bytes *b, fuzz_desc *f, uint32_t max_n) {
  sp_network_desc *d = &f->d;
  uint8_t m, nb, flags;
  uint32_t i;
  memset(f, 0, sizeof *f);
  sp_network_desc_init(d, sizeof *d);
  m = fz_u8(b);
  d->model = m == 0xff ? fz_u32(b) : m % 4;
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
}

/* With SP_FUZZ_TRACE: what a reproducer's description holds. */
static void fz_trace_desc(const sp_network_desc *d) {
  uint32_t i;
  if (!getenv("SP_FUZZ_TRACE")) return;
  fprintf(stderr,
          "trace: desc model %u n %u tau %.17g t_ref %.17g drive %.17g frame %u seed %llu "
          "n_inputs %u capacity %u\n",
          d->model, d->n, d->tau, d->t_ref, d->drive, d->frame, (unsigned long long)d->init_seed,
          d->n_inputs, d->input_capacity);
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
