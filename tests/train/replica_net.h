/* replica_net.h - the recurrent network and the samples of the replica tests: 40 LIF neurons
   with explicit CSR rows (per-synapse weights), 4 input channels, per-neuron drives; a sample
   is a set of input times, run until the first 3 neurons (the readout) have spiked, with a
   first-spike loss L = sum of those spike times times a weight per readout neuron. */
#ifndef REPLICA_NET_H
#define REPLICA_NET_H

#include <stdint.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#define RN_N 40
#define RN_K 8
#define RN_IN 4
#define RN_OUT 3
#define RN_T_END 0.2
#define RN_MAX_SPIKES 4096

typedef struct replica_net {
  uint64_t rows[RN_N + 1];
  uint32_t targets[RN_N * RN_K];
  double weights[RN_N * RN_K];
  uint64_t in_rows[RN_IN + 1];
  uint32_t in_targets[RN_IN * RN_K];
  double in_weights[RN_IN * RN_K];
  double drives[RN_N];
  double v0[RN_N];
} replica_net;

static inline double rn_uniform(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(*s >> 11) * 0x1p-53;
}

static inline void rn_desc(replica_net *r, sp_network_desc *d, uint64_t seed) {
  uint32_t i, k;
  for (i = 0; i <= RN_N; i++) r->rows[i] = (uint64_t)i * RN_K;
  for (i = 0; i < RN_N; i++)
    for (k = 0; k < RN_K; k++) {
      r->targets[i * RN_K + k] = (uint32_t)((i + 1 + (uint32_t)(rn_uniform(&seed) * (RN_N - 1))) %
                                            RN_N);
      r->weights[i * RN_K + k] = 0.4 * (rn_uniform(&seed) - 0.4);
    }
  for (i = 0; i <= RN_IN; i++) r->in_rows[i] = (uint64_t)i * RN_K;
  for (i = 0; i < RN_IN * RN_K; i++) {
    r->in_targets[i] = (uint32_t)(rn_uniform(&seed) * RN_N);
    r->in_weights[i] = 0.2 + 0.3 * rn_uniform(&seed);
  }
  for (i = 0; i < RN_N; i++) {
    r->drives[i] = 0.9 + 0.3 * rn_uniform(&seed);
    r->v0[i] = 0.5 * rn_uniform(&seed);
  }
  for (i = 0; i < RN_OUT; i++)
    r->drives[i] = 0.98; /* the readout fires when the network drives it */
  sp_network_desc_init(d, sizeof *d);
  d->model = SP_MODEL_LIF;
  d->n = RN_N;
  d->tau = 0.01;
  d->drives = r->drives;
  d->v0 = r->v0;
  d->recurrent.row_ptr = r->rows;
  d->recurrent.targets = r->targets;
  d->recurrent.weights = r->weights;
  d->n_inputs = RN_IN;
  d->inputs.row_ptr = r->in_rows;
  d->inputs.targets = r->in_targets;
  d->inputs.weights = r->in_weights;
}

/* Sample b's inputs: 8 events at times from its own seed. */
static inline void rn_sample(uint32_t b, uint32_t *channels, double *times) {
  uint64_t s = 1000u + b;
  uint32_t e;
  for (e = 0; e < 8; e++) {
    channels[e] = e % RN_IN;
    times[e] = 0.001 + 0.01 * rn_uniform(&s);
  }
}

/* Runs sample b on net (rewound, recorded when record != 0) until the readout has spiked;
   returns the loss and, when recording, adds its gradients to net's. *status gets the first
   failure. */
static inline double rn_run_sample(sp_network *net, uint32_t b, int record, sp_status *status) {
  static const uint32_t readout[RN_OUT] = {0, 1, 2};
  uint32_t channels[8];
  double times[8], loss = 0.0;
  sp_spike spikes[RN_MAX_SPIKES];
  double dl_dt[RN_MAX_SPIKES];
  int seen[RN_OUT] = {0, 0, 0};
  size_t count = 0, s;
  sp_status st;
  rn_sample(b, channels, times);
  st = sp_rewind(net);
  if (st == SP_OK) st = sp_input_many(net, channels, times, 8);
  if (st == SP_OK && record) st = sp_record(net, RN_MAX_SPIKES);
  if (st == SP_OK) st = sp_run_until(net, RN_T_END, readout, RN_OUT, spikes, RN_MAX_SPIKES, &count);
  for (s = 0; s < count; s++) {
    uint32_t j = spikes[s].neuron;
    dl_dt[s] = 0.0;
    if (j < RN_OUT && !seen[j]) {
      seen[j] = 1;
      dl_dt[s] = 1.0 + j;
      loss += (1.0 + j) * spikes[s].t;
    }
  }
  if (st == SP_OK && record) st = sp_backward(net, dl_dt, count, NULL);
  if (st != SP_OK && *status == SP_OK) *status = st;
  return loss;
}

#endif
