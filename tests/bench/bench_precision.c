/* Spike-time precision over long runs: uncoupled LIF and QIF neurons in both frames, every
 * spike compared with its closed form in long double; prints the largest error in ulps of the
 * spike time. Usage: bench_precision [SPIKES per configuration, default 1e9] [CONFIG index, 0-7;
 * default all]. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../core/precision_measure.h"

int main(int argc, char **argv) {
  uint64_t total = argc > 1 ? (uint64_t)strtod(argv[1], NULL) : 1000000000ull;
  int k, only = argc > 2 ? atoi(argv[2]) : -1, bad = 0;
  printf("precision of uncoupled neurons against the long-double closed form, %llu spikes each\n",
         (unsigned long long)total);
  printf("%-10s %3s %12s %12s %12s %12s %12s %8s\n", "config", "n", "max ulps", "first 1000",
         "t>=1024tau", "/bound", "last t (s)", "wall (s)");
  for (k = 0; k < PM_CONFIGS; ++k) {
    const pm_config *c = &pm_configs[k];
    struct timespec a, b;
    pm_result r;
    if (only >= 0 && k != only) continue;
    clock_gettime(CLOCK_MONOTONIC, &a);
    r = pm_measure(c, total);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (r.status != SP_OK) {
      printf("%-10s failed: status %d (%s)\n", c->name, r.status, sp_last_error());
      bad = 1;
      continue;
    }
    printf("%-10s %3u %12.3f %12.3f %12.3f %12.3f %12.6g %8.1f   (worst: spike %llu, neuron %u, "
           "t = %.17g; at t >= 1024 tau: neuron %u, t = %.17g)\n",
           c->name, c->n, r.max_ulps, r.max_ulps_first, r.max_ulps_late, r.max_bound, r.last_t,
           (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec),
           (unsigned long long)r.worst_index, r.worst_neuron, r.worst_t, r.worst_late_neuron,
           r.worst_late_t);
    fflush(stdout);
  }
  return bad;
}
