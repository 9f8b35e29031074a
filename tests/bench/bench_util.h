/* Helpers shared by the benchmark programs: a monotonic clock, a status check that exits with
 * the library's message, and the paper's balanced LIF network description. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sparseprop/sparseprop.h"

static double bench_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void bench_check(sp_status s, const char *what) {
  if (s != SP_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, sp_status_name(s), sp_last_error());
    exit(1);
  }
}

/* (Inline: the programs that do not time spikes this way would warn about an unused static
   function, and the benchmarks build with -Werror.) */
static inline double bench_cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* sp_step for burn_in spikes, then `spikes` more timed: microseconds per spike of CPU and wall
   time, and the rate in spikes per neuron per second of simulated time. */
typedef struct {
  double cpu_us, wall_us, rate_hz;
} bench_spike_timing;
static inline bench_spike_timing bench_time_spikes(sp_network *net, uint32_t n, uint64_t burn_in,
                                                   uint64_t spikes) {
  bench_spike_timing r;
  double t0, c0, w0;
  uint64_t s;
  for (s = 0; s < burn_in; ++s) bench_check(sp_step(net, NULL), "burn-in");
  t0 = sp_now(net);
  c0 = bench_cpu_seconds();
  w0 = bench_seconds();
  for (s = 0; s < spikes; ++s) bench_check(sp_step(net, NULL), "run");
  r.cpu_us = 1e6 * (bench_cpu_seconds() - c0) / (double)spikes;
  r.wall_us = 1e6 * (bench_seconds() - w0) / (double)spikes;
  r.rate_hz = (double)spikes / (sp_now(net) - t0) / n;
  return r;
}

/* src/ARCHITECTURE.md, Benchmarks: LIF, K = 100 procedural, w = -J0/sqrt(K), I = 1 + tau sqrt(K) J0 nu,
   J0 = 1, nu = 1 Hz, tau = 10 ms, random initial phases. */
static void bench_balanced_lif(sp_network_desc *d, uint32_t n) {
  const double k = 100, tau = 0.01, j0 = 1, nu = 1;
  sp_network_desc_init(d, sizeof *d);
  d->model = SP_MODEL_LIF;
  d->n = n;
  d->tau = tau;
  d->drive = 1 + tau * sqrt(k) * j0 * nu;
  d->recurrent.k = (uint32_t)k;
  d->recurrent.seed = 1;
  d->recurrent.weight = -j0 / sqrt(k);
  d->init_seed = 2;
}

#endif
