/* LIF in the phase frame and in the time frame: the cost of differing drives. The balanced
 * network of bench_util.h (all couplings inhibitory) with one shared drive (the phase frame),
 * the same network forced into the time frame (desc.frame), and drives spread by 1% around the
 * shared one (the time frame, the engine's own choice). In the time frame an inhibitory input
 * leaves a far target's next spike time stale and the queue computes it (a log) only when it
 * reaches the target (README, "Frames"). Prints microseconds per spike (CPU and wall) and the
 * rate; never fails on timing.
 * Usage: bench_frames [N [timed spikes]] (default 1e5 and 1e6; N spikes of burn-in). */
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
  /* (A multiplicative hash of the index spreads the drives over [I, 1.01 I).) */
  for (i = 0; i < n; ++i) drives[i] = d.drive * (1.0 + 0.01 * ((i * 2654435761u) % 1000) / 1000.0);
  if (config == 1) d.frame = SP_FRAME_TIME;
  if (config == 2) d.drives = drives;
  bench_check(sp_network_create(&d, &net), "create");
  r = bench_time_spikes(net, n, n, spikes);
  printf("%-34s %8.3f us/spike CPU %8.3f wall  %7.3f Hz (%s frame)\n", label, r.cpu_us, r.wall_us,
         r.rate_hz, sp_network_frame(net) == SP_FRAME_PHASE ? "phase" : "time");
  sp_network_destroy(net);
  free(drives);
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 100000;
  uint64_t spikes = argc > 2 ? (uint64_t)atof(argv[2]) : 1000000;
  if (n < 101 || spikes < 1) {
    fprintf(stderr, "usage: bench_frames [N > 100 [timed spikes]]\n");
    return 2;
  }
  printf("LIF balanced network, N = %u, K = 100, %llu timed spikes\n", n,
         (unsigned long long)spikes);
  run("one drive", n, spikes, 0);
  run("one drive, time frame forced", n, spikes, 1);
  run("drives spread by 1%", n, spikes, 2);
  return 0;
}
