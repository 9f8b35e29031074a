/* EIF with differing drives: the cost of the clock's re-bases. The balanced network of
 * bench_util.h with EIF's defaults (V_T = 1, so the same drive 1.1 as LIF) and per-neuron drives:
 * one drive; 64 drives in [1.1, 2.1); every neuron at 1.1 but neuron 7 at 10^3; and at 10^5.
 * The clock is re-based at 8 of the shortest intervals between a neuron's spikes but at least
 * 1/8 of the longest (README, "EIF and custom models"; an interval is the period here, t_ref
 * being 0): an outlier's fast period does not make the O(N) re-base run every few of its
 * spikes. Prints microseconds per spike (CPU and wall) and the rate; never fails on
 * timing.
 * Usage: bench_eif_drives [N [timed spikes]] (default 1e5 and 1e6; N spikes of burn-in). */
#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

static void run(const char *label, uint32_t n, uint64_t spikes, int config) {
  sp_network_desc d;
  sp_network *net = NULL;
  double *drives = malloc(sizeof *drives * n);
  bench_spike_timing r;
  uint32_t i;
  if (!drives) exit(1);
  bench_balanced_lif(&d, n);
  d.model = SP_MODEL_EIF;
  for (i = 0; i < n; ++i) drives[i] = config == 1 ? d.drive + (i % 64) / 64.0 : d.drive;
  if (config == 2) drives[7] = 1e3;
  if (config == 3) drives[7] = 1e5;
  d.drives = drives;
  bench_check(sp_network_create(&d, &net), "create");
  r = bench_time_spikes(net, n, n, spikes);
  printf("%-26s %8.3f us/spike CPU %8.3f wall  %8.4f spikes per neuron per tau\n", label, r.cpu_us,
         r.wall_us, r.rate_hz * d.tau);
  sp_network_destroy(net);
  free(drives);
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 100000;
  uint64_t spikes = argc > 2 ? (uint64_t)atof(argv[2]) : 1000000;
  if (n < 101 || spikes < 1) {
    fprintf(stderr, "usage: bench_eif_drives [N > 100 [timed spikes]]\n");
    return 2;
  }
  printf("EIF balanced network, N = %u, K = 100, %llu timed spikes\n", n,
         (unsigned long long)spikes);
  run("one drive (1.1)", n, spikes, 0);
  run("64 drives in [1.1, 2.1)", n, spikes, 1);
  run("1.1, one neuron at 1e3", n, spikes, 2);
  run("1.1, one neuron at 1e5", n, spikes, 3);
  return 0;
}
