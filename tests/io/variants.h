/* Small networks of every saved-file variant (model, frame, connectivity kind, inputs, v0,
 * refractory period, queued inputs, neurons due at now, a recording in progress, a re-based
 * frame), built through the public API only. Shared by the golden-file test (tests/io) and the
 * fuzzers' seed-corpus generator (tests/fuzz): golden_build(i) always builds the same network
 * and performs the same calls before it would be saved. */
#ifndef SP_TESTS_VARIANTS_H
#define SP_TESTS_VARIANTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sparseprop/sparseprop.h"

#define GOLDEN_N 24

typedef struct golden_variant {
  const char *name;
  uint32_t model, frame;
  /* 0 none, 1 explicit shared weight, 2 explicit weights, 3 explicit odd nnz with weights,
     4 procedural */
  int recurrent;
  int inputs; /* 0 none, 1 explicit weights, 2 explicit shared, 3 procedural */
  int drives; /* 0 one shared drive, 1 drives differ, 2 shared sub-threshold (LIF) */
  int v0;     /* 1: explicit initial voltages */
  double t_ref;
  int steps;     /* sp_step calls before saving */
  int queue;     /* inputs queued before saving */
  int record;    /* 1: sp_record before the steps (recording in progress when saved) */
  double run_to; /* > 0: sp_run to this time first (long runs re-base the frame) */
} golden_variant;

static const golden_variant golden_variants[] = {
    {"lif-phase-procedural", SP_MODEL_LIF, SP_FRAME_AUTO, 4, 0, 0, 0, 0.0, 60, 0, 0, 0},
    {"lif-time-explicit-weights", SP_MODEL_LIF, SP_FRAME_AUTO, 2, 0, 1, 0, 0.0, 60, 0, 0, 0},
    {"qif-phase-procedural", SP_MODEL_QIF, SP_FRAME_AUTO, 4, 0, 0, 0, 0.0, 60, 0, 0, 0},
    {"qif-time-explicit-weights", SP_MODEL_QIF, SP_FRAME_AUTO, 2, 0, 1, 0, 0.0, 60, 0, 0, 0},
    {"lif-odd-nnz-explicit-inputs", SP_MODEL_LIF, SP_FRAME_AUTO, 3, 1, 1, 0, 0.0, 40, 9, 0, 0},
    {"qif-odd-nnz-explicit-inputs", SP_MODEL_QIF, SP_FRAME_PHASE, 3, 1, 0, 0, 0.0, 40, 9, 0, 0},
    {"lif-refractory-time-inputs", SP_MODEL_LIF, SP_FRAME_TIME, 1, 2, 0, 0, 0.003, 50, 6, 0, 0},
    {"qif-refractory-phase-procedural-inputs", SP_MODEL_QIF, SP_FRAME_AUTO, 4, 3, 0, 0, 0.002, 50,
     6, 0, 0},
    {"lif-subthreshold-v0-inputs", SP_MODEL_LIF, SP_FRAME_AUTO, 2, 1, 2, 1, 0.0, 5, 12, 0, 0},
    {"lif-phase-due-neurons", SP_MODEL_LIF, SP_FRAME_AUTO, 4, 2, 0, 0, 0.0, 1, 2, 0, 0},
    {"qif-time-recording", SP_MODEL_QIF, SP_FRAME_TIME, 4, 3, 1, 1, 0.0, 30, 4, 1, 0},
    {"lif-none-forced-time", SP_MODEL_LIF, SP_FRAME_TIME, 0, 0, 0, 0, 0.0, 30, 0, 0, 0},
    {"lif-phase-rebased", SP_MODEL_LIF, SP_FRAME_AUTO, 4, 0, 0, 0, 0.0, 10, 0, 0, 2.0},
    {"qif-time-rebased-inputs", SP_MODEL_QIF, SP_FRAME_AUTO, 1, 3, 1, 0, 0.001, 10, 5, 0, 2.0},
};
#define GOLDEN_COUNT (sizeof golden_variants / sizeof golden_variants[0])

/* The arrays a description points into (one network at a time). */
typedef struct golden_arrays {
  uint64_t row_ptr[GOLDEN_N + 1];
  uint32_t targets[GOLDEN_N * 4];
  double weights[GOLDEN_N * 4];
  uint64_t in_row_ptr[4];
  uint32_t in_targets[9];
  double in_weights[9];
  double drives[GOLDEN_N];
  double v0[GOLDEN_N];
} golden_arrays;

/* Fills *d for variant v (arrays in *a). */
static void golden_desc(const golden_variant *v, golden_arrays *a, sp_network_desc *d) {
  uint32_t i, j, nnz = 0;
  int lif = v->model == SP_MODEL_LIF;
  memset(a, 0, sizeof *a);
  sp_network_desc_init(d, sizeof *d);
  d->model = v->model;
  d->n = GOLDEN_N;
  d->tau = 0.01;
  d->t_ref = v->t_ref;
  d->frame = v->frame;
  d->init_seed = 11;
  for (i = 0; i < GOLDEN_N; ++i) {
    double base = lif ? (v->drives == 2 ? 0.9 : 1.2) : 0.5;
    a->drives[i] = v->drives == 1 ? base + 0.02 * (double)(i % 5) : base;
    a->v0[i] = lif ? 0.04 * (double)(i % 20) : -2.0 + 0.2 * (double)i;
  }
  if (v->drives == 1)
    d->drives = a->drives;
  else
    d->drive = a->drives[0];
  if (v->v0) d->v0 = a->v0;
  if (v->recurrent >= 1 && v->recurrent <= 3) {
    for (i = 0; i < GOLDEN_N; ++i) {
      /* Odd nnz: row i has 3 targets, plus one more for every third row. */
      uint32_t len = v->recurrent == 3 ? 3 + (i % 3 == 0) : 3;
      a->row_ptr[i] = nnz;
      for (j = 0; j < len; ++j) {
        a->targets[nnz] = (i * 5 + j * 7 + 1) % GOLDEN_N;
        a->weights[nnz] = 0.03 * ((double)((i + j) % 5) - 2.5);
        ++nnz;
      }
    }
    a->row_ptr[GOLDEN_N] = nnz;
    d->recurrent.row_ptr = a->row_ptr;
    d->recurrent.targets = a->targets;
    if (v->recurrent >= 2)
      d->recurrent.weights = a->weights;
    else
      d->recurrent.weight = -0.04;
  } else if (v->recurrent == 4) {
    d->recurrent.k = 4;
    d->recurrent.seed = 99;
    d->recurrent.weight = -0.05;
  }
  if (v->inputs) {
    d->n_inputs = 3;
    d->input_capacity = 16;
    if (v->inputs == 3) {
      d->inputs.k = 3;
      d->inputs.seed = 5;
      d->inputs.weight = 0.3;
    } else {
      static const uint64_t rows[4] = {0, 3, 5, 9};
      static const uint32_t tg[9] = {0, 1, 2, 3, 3, 5, 8, 13, 23};
      memcpy(a->in_row_ptr, rows, sizeof rows);
      memcpy(a->in_targets, tg, sizeof tg);
      for (j = 0; j < 9; ++j) a->in_weights[j] = 0.2 + 0.05 * (double)j;
      d->inputs.row_ptr = a->in_row_ptr;
      d->inputs.targets = a->in_targets;
      if (v->inputs == 1)
        d->inputs.weights = a->in_weights;
      else
        d->inputs.weight = 1.5; /* takes its targets over threshold: due neurons */
    }
  }
}

/* Creates variant v and performs its calls up to the point where it is saved. Returns the
 * first failing status (SP_OK when everything succeeded); *out is the network either way
 * (NULL if creation failed). */
static sp_status golden_build(const golden_variant *v, sp_network **out) {
  golden_arrays a;
  sp_network_desc d;
  sp_spike sp;
  sp_status s;
  int k;
  golden_desc(v, &a, &d);
  s = sp_network_create(&d, out);
  if (s != SP_OK) return s;
  if (v->run_to > 0) {
    if (v->inputs)
      for (k = 0; k < 4; ++k) {
        s = sp_input(*out, (uint32_t)k % 3, v->run_to * 0.25 * k + 0.0005);
        if (s != SP_OK) return s;
      }
    s = sp_run(*out, v->run_to, NULL, 0, NULL);
    if (s != SP_OK) return s;
  }
  if (v->record && (s = sp_record(*out, 1000)) != SP_OK) return s;
  /* Queue half of the inputs before stepping (some are consumed), half after. */
  for (k = 0; k < v->queue / 2; ++k) {
    s = sp_input(*out, (uint32_t)k % 3, sp_now(*out) + 0.0007 * k);
    if (s != SP_OK) return s;
  }
  for (k = 0; k < v->steps; ++k)
    if ((s = sp_step(*out, &sp)) != SP_OK) return s;
  for (k = v->queue / 2; k < v->queue; ++k) {
    s = sp_input(*out, (uint32_t)k % 3, sp_now(*out) + 0.0011 * k);
    if (s != SP_OK) return s;
  }
  return SP_OK;
}

#include <math.h> /* INFINITY */

/* Variants saved in format versions 3 (current-based synapses) and 4 (tabulated models with
 * their phase tables), checked in as tests/io/golden-v34 (make_corpus --golden-v34). Each is a
 * golden_variant (its model, connectivity, inputs and calls as above) with what versions 3 and
 * 4 add; golden_variants[] above stays as the version-1 and version-2 files were written. */
typedef struct golden_v34_variant {
  golden_variant base;
  double tau_syn; /* > 0: LIF current-based synapses (format version 3) */
  int custom_f;   /* SP_MODEL_CUSTOM: 1 F = -V + 0.3 V^2, reset 0, spike at 2; 2 F = V^2, reset
                     -5, spike at +inf */
  double drive;   /* EIF and custom: the base drive (golden_desc's are LIF's and QIF's) */
} golden_v34_variant;

static const golden_v34_variant golden_v34_variants[] = {
    {{"lif-syn-procedural-inputs", SP_MODEL_LIF, SP_FRAME_AUTO, 4, 3, 0, 0, 0.0, 60, 6, 0, 0},
     0.0025,
     0,
     0.0},
    {{"lif-syn-refractory-explicit-inputs", SP_MODEL_LIF, SP_FRAME_AUTO, 2, 1, 1, 0, 0.003, 50, 6,
      0, 0},
     0.0025,
     0,
     0.0},
    {{"eif-phase-procedural-rebased", SP_MODEL_EIF, SP_FRAME_AUTO, 4, 0, 0, 0, 0.0, 60, 0, 0, 2.0},
     0.0,
     0,
     1.2},
    {{"eif-time-explicit-weights-inputs", SP_MODEL_EIF, SP_FRAME_AUTO, 2, 1, 1, 0, 0.002, 50, 6, 0,
      0},
     0.0,
     0,
     1.1},
    {{"custom-quadratic-finite-v0-inputs", SP_MODEL_CUSTOM, SP_FRAME_AUTO, 1, 2, 1, 1, 0.0, 40, 6,
      0, 0},
     0.0,
     1,
     1.0},
    {{"custom-blowup-procedural-inputs", SP_MODEL_CUSTOM, SP_FRAME_AUTO, 4, 3, 0, 0, 0.0, 40, 4, 0,
      0},
     0.0,
     2,
     0.5},
};
#define GOLDEN_V34_COUNT (sizeof golden_v34_variants / sizeof golden_v34_variants[0])

/* (static inline: test_stream.cpp includes this header without using them.) The custom
   models' F. Called only while a network is created: golden_f_calls lets a test
   check that loading one calls neither (the file carries the tables). */
static long golden_f_calls;
static inline double golden_f_quadratic(double v, void *ctx) {
  (void)ctx;
  ++golden_f_calls;
  return -v + 0.3 * v * v;
}
static inline double golden_f_blowup(double v, void *ctx) {
  (void)ctx;
  ++golden_f_calls;
  return v * v;
}

/* The format version variant v is saved in. */
static inline int golden_v34_version(const golden_v34_variant *v) { return v->tau_syn > 0 ? 3 : 4; }

/* Fills *d for variant v (arrays in *a, model parameters in *mp). */
static inline void golden_v34_desc(const golden_v34_variant *v, golden_arrays *a,
                                   sp_model_params *mp, sp_network_desc *d) {
  uint32_t i;
  golden_desc(&v->base, a, d);
  d->tau_syn = v->tau_syn;
  if (v->base.model == SP_MODEL_LIF) return;
  /* EIF (default parameters) and custom: oscillatory drives, up to 5 distinct ones. */
  for (i = 0; i < GOLDEN_N; ++i)
    a->drives[i] = v->base.drives == 1 ? v->drive + 0.02 * (double)(i % 5) : v->drive;
  d->drive = v->drive;
  /* Below the finite spike voltage 2 (and EIF's soft threshold 1). */
  for (i = 0; i < GOLDEN_N; ++i) a->v0[i] = 0.045 * (double)(i % 20);
  if (v->base.model != SP_MODEL_CUSTOM) return;
  memset(mp, 0, sizeof *mp);
  mp->struct_size = (uint32_t)sizeof *mp;
  mp->v_reset = v->custom_f == 1 ? 0.0 : -5.0;
  mp->v_spike = v->custom_f == 1 ? 2.0 : (double)INFINITY;
  mp->f = v->custom_f == 1 ? golden_f_quadratic : golden_f_blowup;
  d->model_params = mp;
}

/* Creates variant v and performs golden_build's calls up to the point where it is saved (the
 * same sequence). Returns the first failing status; *out as golden_build's. */
static inline sp_status golden_v34_build(const golden_v34_variant *v, sp_network **out) {
  golden_arrays a;
  sp_model_params mp;
  sp_network_desc d;
  sp_spike sp;
  sp_status s;
  int k;
  golden_v34_desc(v, &a, &mp, &d);
  s = sp_network_create(&d, out);
  if (s != SP_OK) return s;
  if (v->base.run_to > 0) {
    if (v->base.inputs)
      for (k = 0; k < 4; ++k) {
        s = sp_input(*out, (uint32_t)k % 3, v->base.run_to * 0.25 * k + 0.0005);
        if (s != SP_OK) return s;
      }
    s = sp_run(*out, v->base.run_to, NULL, 0, NULL);
    if (s != SP_OK) return s;
  }
  if (v->base.record && (s = sp_record(*out, 1000)) != SP_OK) return s;
  for (k = 0; k < v->base.queue / 2; ++k) {
    s = sp_input(*out, (uint32_t)k % 3, sp_now(*out) + 0.0007 * k);
    if (s != SP_OK) return s;
  }
  for (k = 0; k < v->base.steps; ++k)
    if ((s = sp_step(*out, &sp)) != SP_OK) return s;
  for (k = v->base.queue / 2; k < v->base.queue; ++k) {
    s = sp_input(*out, (uint32_t)k % 3, sp_now(*out) + 0.0011 * k);
    if (s != SP_OK) return s;
  }
  return SP_OK;
}

#endif
