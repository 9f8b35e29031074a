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
