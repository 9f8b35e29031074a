/* Seed inputs for fuzz_create and fuzz_api, encoded in fuzz_desc.h's layout: real networks of
 * every model and connectivity kind, and call sequences that record, train, save and load. */
#ifndef SP_FUZZ_SEEDS_H
#define SP_FUZZ_SEEDS_H

#include "fuzz_common.h"

#include <string.h>

#define SEED_MAX 512

typedef struct seed_writer {
  unsigned char *p;
  size_t n;
} seed_writer;

static void put(seed_writer *w, unsigned v) { w->p[w->n++] = (unsigned char)v; }
/* A double as fz_double reads it: a special value's index, else 8 raw bytes. */
static void put_double(seed_writer *w, double x) {
  unsigned i;
  uint64_t bits;
  for (i = 0; i < 24; ++i)
    if (memcmp(&fz_special[i], &x, 8) == 0) {
      put(w, i);
      return;
    }
  put(w, 255);
  memcpy(&bits, &x, 8);
  for (i = 0; i < 8; ++i) put(w, (unsigned)(bits >> (8 * i)) & 0xff);
}

/* model, n, drive, flags (fuzz_desc.h), frame; ext: the model byte's upper bits (4 tau_syn,
 * 8 model_params, 16 custom model) with tau_syn and model_params' selector and values. */
typedef struct seed_desc {
  const char *name;
  unsigned model, n;
  double drive;
  unsigned flags, frame;
  unsigned ext;
  double tau_syn;
  unsigned mp_selector;
  double v_reset, v_spike, delta_t, v_t;
} seed_desc;

static const seed_desc seed_descs[] = {
    {"lif-phase-procedural", 1, 20, 1.2, 32, 0, 0, 0, 0, 0, 0, 0, 0},
    {"lif-time-explicit-weights-inputs", 1, 12, 1.1, 1 | 8 | 16 | 64 | 128, 0, 0, 0, 0, 0, 0, 0, 0},
    {"qif-phase-procedural-inputs", 2, 16, 0.5, 8 | 32, 0, 0, 0, 0, 0, 0, 0, 0},
    {"qif-time-explicit-refractory", 2, 10, 0.3, 1 | 4 | 16, 2, 0, 0, 0, 0, 0, 0, 0},
    {"lif-subthreshold-v0-refractory-inputs", 1, 8, 0.9, 2 | 4 | 8 | 16 | 128, 0, 0, 0, 0, 0, 0, 0,
     0},
    {"lif-forced-phase-explicit-odd", 1, 9, 1.5, 16 | 64 | 8 | 128, 1, 0, 0, 0, 0, 0, 0, 0},
    {"eif-unsupported", 3, 4, 1.2, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"qif-excitable-unsupported", 2, 4, -1.0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"lif-syn-time-inputs", 1, 10, 1.2, 8 | 32, 0, 4, 0.005, 0, 0, 0, 0, 0},
    {"lif-syn-subthreshold-explicit-refractory", 1, 8, 0.9, 2 | 4 | 8 | 16 | 128, 0, 4, 0.02, 0, 0,
     0, 0, 0},
    {"eif-model-params", 3, 6, 1.2, 32, 0, 8, 0, 0, 0.0, INFINITY, 0.1, 1.0},
    {"custom-model-params-quadratic", 0, 6, 1.2, 32, 0, 8 | 16, 0, 1 << 3 | 1 << 5, -1.0, INFINITY,
     0.0, 0.0},
    {"custom-model-params-exp-inputs", 0, 6, 1.2, 8 | 32, 0, 8 | 16, 0, 2 << 3 | 1 << 5, 0.0, 3.0,
     0.0, 0.0},
};
#define SEED_COUNT (sizeof seed_descs / sizeof seed_descs[0])
static const char *const seed_names[SEED_COUNT] = {"lif-phase-procedural",
                                                   "lif-time-explicit-weights-inputs",
                                                   "qif-phase-procedural-inputs",
                                                   "qif-time-explicit-refractory",
                                                   "lif-subthreshold-v0-refractory-inputs",
                                                   "lif-forced-phase-explicit-odd",
                                                   "eif-unsupported",
                                                   "qif-excitable-unsupported",
                                                   "lif-syn-time-inputs",
                                                   "lif-syn-subthreshold-explicit-refractory",
                                                   "eif-model-params",
                                                   "custom-model-params-quadratic",
                                                   "custom-model-params-exp-inputs"};

static void put_synapses(seed_writer *w, unsigned n_sources, unsigned n, int explicit_,
                         int procedural, int per_weights, double weight) {
  unsigned j, e, nnz = 0;
  if (explicit_) {
    for (j = 0; j < n_sources; ++j) {
      unsigned len = 1 + (j % 3 == 0); /* odd totals */
      put(w, len);
      nnz += len;
    }
    for (e = 0; e < nnz; ++e) put(w, (e * 7 + 3) % n);
    if (per_weights)
      for (e = 0; e < nnz; ++e) put_double(w, weight * (1.0 + 0.25 * (e % 4)));
    put_double(w, weight);
  } else if (procedural) {
    put(w, n > 4 ? 3 : 1);
    put(w, 17);
    put_double(w, weight);
  }
}

static size_t seed_bytes(size_t v, unsigned char *out) {
  const seed_desc *s = &seed_descs[v];
  seed_writer w = {out, 0};
  unsigned i, f = s->flags;
  int lif = s->model == 1;
  put(&w, s->model | s->ext);
  put(&w, s->n);
  put_double(&w, 0.01);
  put_double(&w, s->drive);
  put(&w, f);
  put(&w, s->frame);
  put(&w, 7);
  if (f & 1)
    for (i = 0; i < s->n; ++i) put_double(&w, s->drive + 0.01 * (i % 4));
  if (f & 2)
    for (i = 0; i < s->n; ++i) put_double(&w, lif ? 0.1 * (i % 9) : -1.0 + 0.2 * i);
  if (f & 4) put_double(&w, 0.002);
  put_synapses(&w, s->n, s->n, (f & 16) != 0, (f & 32) != 0, (f & 64) != 0, lif ? -0.1 : -0.3);
  if (f & 8) {
    put(&w, 3);
    put(&w, 8);
    put_synapses(&w, 3, s->n, (f & 128) != 0, (f & 128) == 0, (f & 64) != 0, 0.6);
  }
  if (s->ext & 4) put_double(&w, s->tau_syn);
  if (s->ext & 8) {
    put(&w, s->mp_selector);
    put_double(&w, s->v_reset);
    put_double(&w, s->v_spike);
    put_double(&w, s->delta_t);
    put_double(&w, s->v_t);
  }
  return w.n;
}

/* A call sequence: inputs, steps, a recording with backward, a drive change, parameter
 * changes, a run, save/load, a rewind, continuation checks, replicas, files, sp_run_until (op
 * numbers of fuzz_api.c). */
static size_t seed_api_bytes(size_t v, unsigned char *out) {
  size_t n = seed_bytes(v, out);
  seed_writer w = {out, n};
  put(&w, 2), put(&w, 0), put_double(&w, 0.01); /* input channel 0 at now + 0.01 */
  put(&w, 0), put(&w, 0), put(&w, 0);           /* three steps */
  put(&w, 6), put(&w, 30);                      /* record 30 spikes */
  put(&w, 0), put(&w, 0);                       /* two steps */
  put(&w, 1), put(&w, 4), put_double(&w, 0.01); /* run, cap 5 */
  put(&w, 7), put(&w, 2);                       /* backward with dl_dv_end */
  for (n = 0; n < 8 + 12; ++n) put_double(&w, n % 2 ? 0.5 : -1.0);
  put(&w, 8), put(&w, 3);                      /* grads of the drives */
  put(&w, 15);                                 /* continuation */
  put(&w, 3), put(&w, 1), put_double(&w, 2.0); /* set_drive(1, 2.0) */
  put(&w, 4), put(&w, 4), put(&w, 0);          /* set_params(V0, ...) */
  for (n = 0; n < 20; ++n) put_double(&w, -0.3);
  put(&w, 11); /* save/load swap */
  put(&w, 0), put(&w, 0);
  put(&w, 12), put(&w, 0);              /* voltages */
  put(&w, 10), put(&w, 0), put(&w, 15); /* rewind, step, continuation */
  /* A replica (op 18), a sample on it: rewind, one input, record, run until neuron 0 spikes,
     backward (op 19); its gradients into the parent, then the parent with itself (refused;
     op 20); the replica destroyed. */
  put(&w, 143);
  put(&w, 159), put(&w, 7), put(&w, 1), put(&w, 0), put_double(&w, 0.01), put(&w, 20);
  put(&w, 0), put_double(&w, 0.5);
  put(&w, 175), put(&w, 0);
  put(&w, 175), put(&w, 2);
  put(&w, 143);
  /* Files (op 21, code 207): with a current replica, save/load/continue (mode 0); a drive
     change makes the replica stale, then the refusals (mode 1: the stale replica's file is
     refused too); the replica destroyed; a changed byte and a cut file (mode 2); sp_run_until
     watching neurons 0 and 1 with room for 16 spikes (code 224); carrying on with the network
     loaded from the file (mode 4). */
  put(&w, 143), put(&w, 207), put(&w, 0);
  put(&w, 3), put(&w, 0), put_double(&w, 1.1);
  put(&w, 207), put(&w, 1);
  put(&w, 143);
  put(&w, 207), put(&w, 2), put(&w, 40), put(&w, 0), put(&w, 0x10);
  put(&w, 207), put(&w, 2), put(&w, 40), put(&w, 0), put(&w, 0);
  put(&w, 224), put(&w, 1), put(&w, 16), put_double(&w, 0.02), put(&w, 0), put(&w, 1);
  put(&w, 207), put(&w, 4);
  put(&w, 0), put(&w, 15);
  return w.n;
}

#endif
