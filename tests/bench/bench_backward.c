/* Backward-pass benchmark: the balanced LIF network (procedural, K = 100) at N = 10^4 by
 * default. Times a forward pass without recording, the same spikes recorded, and the backward
 * pass over them, all in this process; reports microseconds per spike, their ratios, and the
 * tape's bytes per synaptic event (measured through a counting allocator). */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "bench_util.h"

static size_t g_allocated;

static void *count_alloc(void *ctx, size_t size, size_t align) {
  void *p = NULL;
  (void)ctx;
  if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
    return NULL;
  g_allocated += size;
  return p;
}
static void count_free(void *ctx, void *p, size_t size) {
  (void)ctx;
  (void)size;
  free(p);
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 10000;
  size_t spikes = argc > 2 ? (size_t)atof(argv[2]) : 100000;
  const double k = 100;
  sp_allocator counting = {count_alloc, count_free, NULL};
  sp_network_desc d;
  sp_network *net = NULL;
  sp_spike *buf = malloc(sizeof *buf * spikes);
  double *dl_dt = malloc(sizeof *dl_dt * spikes);
  double t_fwd, t_rec, t_bwd, start, t_begin;
  size_t count = 0, s, before, tape_bytes, saved_len = 0;
  void *saved;
  if (!buf || !dl_dt) return 1;

  bench_balanced_lif(&d, n);
  d.allocator = &counting;
  bench_check(sp_network_create(&d, &net), "create");
  /* Burn-in: N spikes. */
  for (s = 0; s < n; ++s) bench_check(sp_step(net, NULL), "burn-in");
  t_begin = sp_now(net);

  /* 1. Forward without recording (a saved copy repeats the same spikes below). */
  bench_check(sp_save(net, NULL, 0, &saved_len), "save");
  saved = malloc(saved_len);
  if (!saved) return 1;
  bench_check(sp_save(net, saved, saved_len, &saved_len), "save");
  start = bench_seconds();
  for (s = 0; s < spikes; ++s) bench_check(sp_step(net, &buf[s]), "forward");
  t_fwd = bench_seconds() - start;
  sp_network_destroy(net);

  /* 2. The same spikes, recorded. */
  bench_check(sp_load(saved, saved_len, &counting, &net), "load");
  free(saved);
  before = g_allocated;
  bench_check(sp_record(net, spikes), "record");
  tape_bytes = g_allocated - before;
  start = bench_seconds();
  bench_check(sp_run(net, 1e9, buf, spikes, &count), "recorded forward");
  t_rec = bench_seconds() - start;

  /* 3. Backward: L = sum of spike times. */
  for (s = 0; s < count; ++s) dl_dt[s] = 1.0;
  start = bench_seconds();
  bench_check(sp_backward(net, dl_dt, count, NULL), "backward");
  t_bwd = bench_seconds() - start;

  printf("backward benchmark: LIF balanced network, N = %u, K = %.0f, %zu spikes from t = %.3f s\n",
         n, k, count, t_begin);
  printf("forward (not recorded) %8.3f us/spike\n", 1e6 * t_fwd / spikes);
  printf("forward (recorded)     %8.3f us/spike\n", 1e6 * t_rec / count);
  printf("backward               %8.3f us/spike\n", 1e6 * t_bwd / count);
  printf("backward / forward     %8.2f\n", t_bwd / t_fwd);
  printf("tape (incl. gradients) %8.2f bytes per synaptic event (%zu bytes for %zu spikes x K)\n",
         (double)tape_bytes / (count * k), tape_bytes, count);
  sp_network_destroy(net);
  free(buf);
  free(dl_dt);
  return 0;
}
